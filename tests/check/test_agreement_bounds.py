"""Corridor bounds written as expressions over parameters are re-checked with agreed values."""

from __future__ import annotations

from pathlib import Path

import pytest

import teilhabe_rules

MODEL = """modell m "M"
  version "1"
  gültig ab 01.01.2024
ende
parameter g: min/Tag = 7
eingabe x: auswahl {0, 2, 5, 8, 16} min/Tag
paket p
  stufen
    0 "null"
    1 "eins"
    2 "zwei"
  ende
  stufe nach korridor x
    0: ab 0 bis 0
    1: über 0 bis g + 0 min/Tag
    2: über g + 1 min/Tag
  ende
ende
"""


class TestExpressionBounds:
    """An agreement is judged by the bounds its values give, not refused for their form."""

    def test_agreeing_the_default_is_accepted(self) -> None:
        model = teilhabe_rules.loads(MODEL.replace("über g + 1 min/Tag", "über g"), "m.rules")
        assert model.evaluate({"x": 5}, {"parameter": {"g": 7}}).value("p.stufe") == 1

    def test_a_moved_bound_moves_the_level(self) -> None:
        model = teilhabe_rules.loads(MODEL.replace("über g + 1 min/Tag", "über g"), "m.rules")
        assert model.evaluate({"x": 8}, {"parameter": {"g": 7}}).value("p.stufe") == 2
        assert model.evaluate({"x": 8}, {"parameter": {"g": 9}}).value("p.stufe") == 1

    def test_a_gap_opened_through_an_expression_is_an_agreement_error(self) -> None:
        # bands (0, g] and (g + 1, ∞): the model's own domain {0, 2, 5, 8, 16} has 8 in the gap (7, 8]
        with pytest.raises(teilhabe_rules.CheckError, match="deckt mögliche Werte nicht ab: 8"):
            teilhabe_rules.loads(MODEL, "m.rules")
        shifted = MODEL.replace("parameter g: min/Tag = 7", "parameter g: min/Tag = 9")
        model = teilhabe_rules.loads(shifted, "m.rules")
        with pytest.raises(teilhabe_rules.AgreementError, match="8"):
            model.load_agreement({"parameter": {"g": 7}})


AGREED_THROUGH = """modell a "A"
  version "1"
  gültig ab 01.01.2024
ende
aufzählung Grad "G"
  1 "eins"
  2 "zwei"
ende
eingabe g: Grad
eingabe x: zahl h von 0 bis 10
tabelle minuten "M": Grad -> min/Tag
  1: 5
  2: 10
ende
parameter faktor: zahl von 0 bis 10 = 1
parameter grenze: min/Tag = 10
wert obergrenze: min/Tag = grenze
wert menge: h = x * faktor
paket p "P"
  stufen
    0 "a"
    1 "b"
  ende
  stufe nach korridor menge
    0: ab 0 bis 5
    1: über 5 bis 10
  ende
ende
paket q "Q"
  stufen
    0 "a"
    1 "b"
  ende
  stufe nach korridor minuten[g]
    0: ab 0 bis 5
    1: über 5 bis obergrenze
  ende
ende
"""


@pytest.fixture(scope="module")
def model() -> teilhabe_rules.Model:
    return teilhabe_rules.loads(AGREED_THROUGH, "a.rules")


class TestAgreedValuesBeyondTheBounds:
    """An agreed value that moves a corridor's quantity — a factor of it, a table row it looks up
    — or a bound through a value is judged by the corridor it gives, located at the agreement's
    line: no agreement is accepted that leaves a case in no band."""

    @pytest.mark.parametrize(("agreement", "message", "line"), [
        ('[parameter]\nfaktor = 2\n', "„p“ lässt eine Lücke: Werte über 10 bis 20 h liegen in keinem Band", 5),
        ('[tabellen.minuten]\n"2" = "12 min/Tag"\n', "„q“ deckt mögliche Werte nicht ab: 12 min/Tag", 4),
        ('[parameter]\ngrenze = 8\n', "„q“ deckt mögliche Werte nicht ab: 10 min/Tag", 5),
    ], ids=["faktor", "tabelle", "wert"])
    def test_refused_at_its_line(self, model: teilhabe_rules.Model, agreement: str, message: str, line: int,
                                 tmp_path: Path) -> None:
        path = tmp_path / "v.toml"
        path.write_text('[vereinbarung]\nname = "x"\nmodell = "a"\n' + agreement, "utf-8")
        with pytest.raises(teilhabe_rules.AgreementError) as raised:
            model.load_agreement(path)
        (error,) = raised.value.errors
        assert error.message == f"Mit den vereinbarten Werten: Der Korridor von {message}"
        assert error.location is not None and error.location.line == line

    @pytest.mark.parametrize("agreement", [{"parameter": {"faktor": "1"}}, {"parameter": {"grenze": "12 min/Tag"}},
                                           {"tabellen": {"minuten": {"2": "8 min/Tag"}}}])
    def test_values_the_bands_still_cover_are_accepted(self, model: teilhabe_rules.Model,
                                                       agreement: dict[str, object]) -> None:
        model.load_agreement(agreement)


def test_an_agreed_value_that_makes_a_level_rule_give_no_level_is_refused() -> None:
    text = MODEL.split("eingabe x", 1)[0] + (
        'eingabe n: ganzzahl von 0 bis 3\nparameter grenze: ganzzahl = 1\n'
        'paket q "Q"\n  stufen\n    0 "keine"\n    1 "eine"\n  ende\n  stufe = min(n, grenze)\nende\n')
    model = teilhabe_rules.loads(text, "s.rules")
    with pytest.raises(teilhabe_rules.AgreementError) as raised:
        model.load_agreement({"parameter": {"grenze": 2}})
    (error,) = raised.value.errors
    assert error.message == ("Mit den vereinbarten Werten: Die Stufenregel von „q“ kann 2 ergeben; "
                             "deklariert sind 0, 1")
    model.load_agreement({"parameter": {"grenze": 0}})


def test_a_level_rule_of_a_package_in_a_list_is_checked_with_the_agreed_table(tmp_path: Path) -> None:
    """MAWo's LP 2b (in ``bewohner``) reads its level from ``lp2b_stufe_je_pg``: an agreed row
    with a declared level is taken and moves the level, one with an undeclared level is refused
    at the table's line."""
    model = teilhabe_rules.bundled("mawo")
    case = Path(__file__).resolve().parents[2] / "examples/mawo/person_grundfall.toml"
    before = model.evaluate(case).frame.root.children("bewohner")[0]["lp2b.stufe"]
    agreed = model.load_agreement({"tabellen": {"lp2b_stufe_je_pg": {"3": 3}}})
    assert before == 2
    assert model.evaluate(case, agreed).frame.root.children("bewohner")[0]["lp2b.stufe"] == 3
    file = tmp_path / "v.toml"
    file.write_text('[vereinbarung]\nmodell = "mawo"\n\n[tabellen.lp2b_stufe_je_pg]\n"3" = 7\n', encoding="utf-8")
    with pytest.raises(teilhabe_rules.AgreementError) as raised:
        model.load_agreement(file)
    (error,) = raised.value.errors
    assert error.message.startswith("Mit den vereinbarten Werten: Die Stufenregel von „lp2b“ kann 7 ergeben")
    assert error.location is not None and error.location.line == 4
