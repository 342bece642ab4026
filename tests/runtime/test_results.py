"""A result's JSON form follows docs/04_results.md: exact decimals as strings, explained figures."""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules as tr

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
MODEL_FILE = CASES / "klein.rules"
MODEL_LINES = MODEL_FILE.read_text(encoding="utf-8").splitlines()


@functools.cache
def model() -> tr.Model:
    return tr.load(MODEL_FILE)


def evaluate(case: Any = CASES / "grundfall.toml", **kwargs: Any) -> tr.Result:
    return model().evaluate(case, **kwargs)


def walk(value: Any, path: str = "$") -> list[tuple[str, Any]]:
    """Every (path, leaf) of a JSON-like structure."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in walk(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in walk(item, f"{path}[{index}]")]
    return [(path, value)]


def assert_json_types(data: Any) -> None:
    """Only JSON types; no float anywhere (decimals are strings)."""
    for path, leaf in walk(data):
        assert not isinstance(leaf, float), path
        assert leaf is None or isinstance(leaf, (str, int, bool)), (path, type(leaf))
    for path, _ in walk(data):
        assert isinstance(path, str)


def value_entries(ergebnis: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(name, entry) of every value in a scope of ``ergebnis``, its packages and list elements."""
    out = [(f"{prefix}{name}", entry) for name, entry in ergebnis["werte"].items()]
    for package, content in ergebnis["pakete"].items():
        out += [(f"{prefix}{package}.{name}", entry) for name, entry in content["werte"].items()]
    for name, items in ergebnis["listen"].items():
        for index, item in enumerate(items, start=1):
            out += value_entries(item, f"{prefix}{name}[{index}].")
    return out


class TestSchema:
    """``to_dict()`` has the documented keys and types."""

    def test_top_level_keys(self) -> None:
        data = evaluate().to_dict()
        assert set(data) == {"schema", "modell", "vereinbarung", "fall", "ergebnis", "warnungen"}
        assert data["schema"] == "1"
        assert data["modell"] == {"name": "klein", "titel": "Kleines Modell", "version": "1.0",
                                  "datei": str(MODEL_FILE)}
        assert data["vereinbarung"] is None
        assert data["fall"] == str(CASES / "grundfall.toml")
        assert data["warnungen"] == []
        assert set(data["ergebnis"]) == {"werte", "pakete", "listen"}

    def test_scope_contents(self) -> None:
        ergebnis = evaluate().to_dict()["ergebnis"]
        assert set(ergebnis["werte"]) == {"stunden_gesamt", "pflege", "betrag"}
        assert set(ergebnis["pakete"]) == {"lp2a"}
        assert set(ergebnis["listen"]) == {"massnahmen"}
        elements = ergebnis["listen"]["massnahmen"]
        assert len(elements) == 2
        for element in elements:
            assert set(element) == {"werte", "pakete", "listen"}
            assert set(element["werte"]) == {"anteil", "abrechenbar"}

    def test_values_are_strings_with_units(self) -> None:
        ergebnis = evaluate().to_dict()["ergebnis"]
        assert ergebnis["werte"]["betrag"] == {"wert": "4619.50", "einheit": "EUR/Jahr"}
        assert ergebnis["werte"]["stunden_gesamt"] == {"wert": "75.325", "einheit": "h/Jahr"}
        assert ergebnis["pakete"]["lp2a"]["werte"]["summe"] == {"wert": "7", "einheit": "min/Tag"}

    def test_percent_is_written_in_percent(self) -> None:
        first = evaluate().to_dict()["ergebnis"]["listen"]["massnahmen"][0]["werte"]["anteil"]
        assert first == {"wert": "65", "einheit": "%"}
        assert evaluate().value("massnahmen[1].anteil") == Decimal("0.65")

    def test_package_level(self) -> None:
        package = evaluate().to_dict()["ergebnis"]["pakete"]["lp2a"]
        assert set(package) == {"titel", "stufe", "werte"}
        assert package["titel"] == "LP 2a – Routinen"
        assert package["stufe"].pop("korridor")["band"] == "über 0 bis 7"  # tests/runtime/test_level_margins.py
        assert package["stufe"] == {
            "berechnet": 1, "bewilligt": None, "wirksam": 1, "bezeichnung": "gering", "begründung": None,
        }

    def test_granted_level(self) -> None:
        case = json.loads((CASES / "grundfall.json").read_text(encoding="utf-8"), parse_float=Decimal)
        case["lp2a"].update({"bewilligte_stufe": 2, "begründung": "Gutachten vom 03.02.2025"})
        stufe = dict(evaluate(case).to_dict()["ergebnis"]["pakete"]["lp2a"]["stufe"])
        assert stufe.pop("korridor")["bewilligte"]["stufe"] == 2
        assert stufe == {
            "berechnet": 1, "bewilligt": 2, "wirksam": 2, "bezeichnung": "mittel",
            "begründung": "Gutachten vom 03.02.2025",
        }
        assert evaluate(case).value("lp2a.stufe") == 2
        assert evaluate(case).value("lp2a.berechnete_stufe") == 1

    def test_warnings_are_texts(self) -> None:
        case = json.loads((CASES / "grundfall.json").read_text(encoding="utf-8"), parse_float=Decimal)
        case["massnahmen"][1]["stunden"] = 1500
        warnings = evaluate(case).to_dict()["warnungen"]
        assert len(warnings) == 1
        assert "Mehr als 1000 Stunden" in warnings[0] and "1565.325 h/Jahr" in warnings[0]

    def test_agreement_name(self) -> None:
        data = evaluate(agreement=CASES.parent / "agreements" / "gut.toml").to_dict()
        assert data["vereinbarung"] == "Haus Test – Vereinbarung 2025"

    def test_no_explanations_unless_asked(self) -> None:
        data = evaluate().to_dict()
        assert not any("erklärung" in path for path, _ in walk(data))


class TestJson:
    """The JSON form has no floats and survives ``json.dumps``/``json.loads`` unchanged."""

    @pytest.mark.parametrize("explain", [False, True])
    def test_no_float_anywhere(self, explain: bool) -> None:
        assert_json_types(evaluate(explain=explain).to_dict())

    @pytest.mark.parametrize("explain", [False, True])
    def test_round_trip(self, explain: bool) -> None:
        data = evaluate(explain=explain).to_dict()
        assert json.loads(json.dumps(data, ensure_ascii=False)) == data

    def test_decimals_keep_their_digits(self) -> None:
        data = evaluate().to_dict()
        assert data["ergebnis"]["werte"]["betrag"]["wert"] == "4619.50"  # not 4619.5


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    """The explained JSON form of ``grundfall.toml``."""
    return evaluate(explain=True).to_dict()


class TestExplanations:
    """With ``explain=True`` every derived figure carries its rule, formula, inputs and text."""

    def test_every_value_is_explained(self, data: dict[str, Any]) -> None:
        result = evaluate(explain=True)
        entries = value_entries(data["ergebnis"])
        assert len(entries) == 3 + 1 + 2 * 2  # three values, one package value, two per element
        for name, entry in entries:
            assert "erklärung" in entry, name
            explanation = entry["erklärung"]
            assert set(explanation) == {"regel", "formel", "verwendet", "text"}
            assert isinstance(explanation["verwendet"], dict)
            assert explanation["text"].endswith(f"= {result.quantity(name)}"), (name, explanation["text"])

    def test_rule_points_at_the_line_of_the_value(self, data: dict[str, Any]) -> None:
        for name, entry in value_entries(data["ergebnis"]):
            file, _, line = entry["erklärung"]["regel"].rpartition(":")
            assert file == str(MODEL_FILE)
            assert 1 <= int(line) <= len(MODEL_LINES), name
            source = MODEL_LINES[int(line) - 1]
            assert name.rsplit(".", 1)[-1] in source, (name, source)

    def test_levels_are_explained(self, data: dict[str, Any]) -> None:
        stufe = data["ergebnis"]["pakete"]["lp2a"]["stufe"]
        for key in ("erklärung", "erklärung_berechnet"):
            file, _, line = stufe[key]["regel"].rpartition(":")
            assert file == str(MODEL_FILE)
            assert "stufe" in MODEL_LINES[int(line) - 1]
        assert "7 min/Tag" in stufe["erklärung_berechnet"]["text"]
        assert "Stufe 1" in stufe["erklärung_berechnet"]["text"]

    def test_inputs_and_parameters_used(self, data: dict[str, Any]) -> None:
        betrag = data["ergebnis"]["werte"]["betrag"]["erklärung"]
        assert betrag["verwendet"]["satz"] == "60 EUR/h"
        assert betrag["verwendet"]["stunden_gesamt"] == "75.325 h/Jahr"
        summe = data["ergebnis"]["pakete"]["lp2a"]["werte"]["summe"]["erklärung"]
        assert summe["verwendet"]["kap4"] == "5 min/Tag"

    def test_explanations_by_path(self) -> None:
        result = evaluate(explain=True)
        explanation = result.explain("massnahmen[2].abrechenbar")
        assert isinstance(explanation, tr.Explanation)
        assert explanation.text.endswith("= 10 h/Jahr")
        assert set(result.explanations()) >= {"betrag", "lp2a.summe", "lp2a.stufe", "massnahmen[1].anteil"}

    def test_explanations_do_not_change_the_figures(self) -> None:
        plain = evaluate().to_dict()["ergebnis"]
        explained = evaluate(explain=True).to_dict()["ergebnis"]
        for (name, a), (other, b) in zip(value_entries(plain), value_entries(explained), strict=True):
            assert name == other
            assert (a["wert"], a.get("einheit")) == (b["wert"], b.get("einheit"))


class TestAccess:
    """``value(path)`` gives the raw value, ``quantity(path)`` the value with its unit."""

    def test_values(self) -> None:
        result = evaluate()
        assert result.value("betrag") == Decimal("4619.50")
        assert result.value("lp2a.summe") == Decimal("7")
        assert result.value("lp2a.stufe") == 1
        assert result.value("massnahmen[1].abrechenbar") == Decimal("65.325")
        assert result.value(("massnahmen", 2, "abrechenbar")) == Decimal("10")
        assert result.value("kap4") == Decimal("5")  # inputs too
        assert result.value("beginn") == dt.date(2025, 1, 1)

    def test_quantities(self) -> None:
        result = evaluate()
        betrag = result.quantity("betrag")
        assert (betrag.value, betrag.unit, str(betrag)) == (Decimal("4619.50"), "EUR/Jahr", "4619.50 EUR/Jahr")
        anteil = result.quantity("massnahmen[1].anteil")
        assert (anteil.value, anteil.unit, str(anteil)) == (Decimal("0.65"), "%", "65 %")
        assert anteil.to_dict() == {"wert": "65", "einheit": "%"}
        assert result.quantity("lp2a.stufe").value == 1

    @pytest.mark.parametrize(
        "path", ["gibt_es_nicht", "massnahmen[3].anteil", "massnahmen[0].anteil", "betrag[1].x", "massnahmen.anteil"]
    )
    def test_unknown_paths(self, path: str) -> None:
        with pytest.raises(KeyError):
            evaluate().value(path)

    def test_an_element_beyond_the_list_is_told_apart(self) -> None:
        """Only an index beyond the list's elements is NoSuchElement (the properties skip such a case)."""
        from teilhabe_rules.runtime.results import NoSuchElement

        result = evaluate()
        for path in ("massnahmen[3].anteil", "massnahmen[4]"):
            with pytest.raises(NoSuchElement):
                result.value(path)
        for path in ("gibt_es_nicht", "betrag[1].x", "massnahmen[0].anteil", "massnahmen[1].gibt_es_nicht"):
            with pytest.raises(KeyError) as caught:
                result.value(path)
            assert not isinstance(caught.value, NoSuchElement)

    def test_an_element_beyond_a_list_of_one_says_it_has_one_entry(self) -> None:
        from teilhabe_rules.inputs.cases import read_data

        case = read_data(CASES / "grundfall.toml")
        case["massnahmen"] = case["massnahmen"][:1]
        with pytest.raises(KeyError) as caught:
            evaluate(case).value("massnahmen[2].anteil")
        assert caught.value.args[0] == "„massnahmen[2]“ gibt es nicht: die Liste hat 1 Eintrag (ab 1 gezählt)"

    def test_equal_cases_give_equal_results(self) -> None:
        from_toml = evaluate(CASES / "grundfall.toml")
        from_json = evaluate(CASES / "grundfall.json")
        again = evaluate(CASES / "grundfall.toml")
        assert from_toml == again
        assert from_toml.to_dict()["ergebnis"] == from_json.to_dict()["ergebnis"]
        assert from_toml != from_json  # the case file is part of the result

    def test_different_cases_give_different_results(self) -> None:
        case = json.loads((CASES / "grundfall.json").read_text(encoding="utf-8"), parse_float=Decimal)
        other = json.loads((CASES / "grundfall.json").read_text(encoding="utf-8"), parse_float=Decimal)
        other["kap4"] = 8
        assert evaluate(case) == evaluate(json.loads(json.dumps(case, default=str), parse_float=Decimal))
        assert evaluate(case) != evaluate(other)

    def test_text_report(self) -> None:
        text = evaluate(explain=True).render_text(explain=True)
        assert "betrag" in text and "4.619,50 EUR/Jahr" in text
        assert f"[{MODEL_FILE}:" in text


TYPES_MODEL = """\
modell typen "Werte aller Arten"
  version "1"
  gültig ab 01.01.2024
ende

aufzählung Dienst "Dienst"
  qa "qualifizierte Assistenz"
  ua "unterstützende Assistenz"
ende

eingabe dienst: Dienst
eingabe beginn: datum
eingabe anteil: zahl % von 0 bis 100
parameter leitung: schlüssel = 1:50

wert schluessel = leitung
wert frist = beginn + 3 Tage
wert hoch = anteil > 50 %
wert art = dienst
wert doppelt: % = anteil * 2
wert stellen = leitung * 24 Personen
"""


class TestValueKinds:
    """Each kind of value has its documented JSON form."""

    def test_json_forms(self) -> None:
        typed = tr.loads(TYPES_MODEL, "typen.rules")
        result = typed.evaluate({"dienst": "qa", "beginn": "2025-01-01", "anteil": "32.75 %"}, explain=True)
        werte = result.to_dict()["ergebnis"]["werte"]
        assert werte["schluessel"]["wert"] == "1:50" and "einheit" not in werte["schluessel"]
        assert werte["frist"]["wert"] == "2025-01-04"
        assert werte["hoch"]["wert"] is False
        assert werte["art"]["wert"] == "qa"
        assert werte["doppelt"] == {"wert": "65.50", "einheit": "%", "erklärung": werte["doppelt"]["erklärung"]}
        assert werte["stellen"]["wert"] == "0.48" and werte["stellen"]["einheit"] == "VK"
        assert werte["stellen"]["erklärung"]["verwendet"] == {"leitung": "1:50"}
        assert result.value("doppelt") == Decimal("0.6550")
        assert str(result.quantity("doppelt")) == "65.50 %"
        assert_json_types(result.to_dict())


DECIMALS = st.decimals(min_value=0, max_value=2000, places=3, allow_nan=False, allow_infinity=False)
MEASURE = st.fixed_dictionaries(
    {"bezeichnung": st.text(max_size=10), "stunden": DECIMALS},
    optional={"personen": st.integers(1, 3)},
)
CASE = st.fixed_dictionaries(
    {
        "beginn": st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)),
        "pflegegrad": st.sampled_from([0, 1, 2]),
        "kap4": st.sampled_from([0, 2, 5, 8, 16]),
        "lp2a": st.fixed_dictionaries({"kap5": st.sampled_from([0, 2, 9])}),
        "massnahmen": st.lists(MEASURE, min_size=1, max_size=3),
    },
    optional={
        "zuschlag": st.decimals(min_value=0, max_value=50, places=1).map(lambda d: f"{d} %"),
        "extra": st.decimals(min_value=0, max_value=30, places=2),
    },
)


class TestGenerated:
    """For random valid cases the JSON form is plain JSON and round-trips."""

    @settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=CASE, explain=st.booleans())
    def test_round_trip(self, case: dict[str, Any], explain: bool) -> None:
        result = model().evaluate(case, explain=explain)
        data = result.to_dict()
        assert_json_types(data)
        assert json.loads(json.dumps(data, ensure_ascii=False)) == data
        assert len(data["ergebnis"]["listen"]["massnahmen"]) == len(case["massnahmen"])
        # the same case written as JSON text gives the same result
        as_json = json.loads(json.dumps(case, default=str), parse_float=Decimal)
        assert model().evaluate(as_json, explain=explain) == result


RESULTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "04_results.md"


def doc_blocks(language: str) -> list[str]:
    """The fenced code blocks of docs/04_results.md in ``language``, in order."""
    import re

    text = RESULTS_DOC.read_text(encoding="utf-8")
    return [m["code"] for m in re.finditer(r"^```" + language + r"[ \t]*\n(?P<code>.*?)^```[ \t]*$", text, re.S | re.M)]


class TestResultsDocumentation:
    """The example outputs in docs/04_results.md are what the command line prints for its model and cases."""

    @pytest.fixture
    def files(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        (rules,) = doc_blocks("rules")
        case, bad_case = doc_blocks("toml")
        (tmp_path / "beispiel.rules").write_text(rules, encoding="utf-8")
        (tmp_path / "fall.toml").write_text(case, encoding="utf-8")
        (tmp_path / "falsch.toml").write_text(bad_case, encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        return tmp_path

    def run(self, *argv: str) -> tuple[int, Any]:
        import io

        from teilhabe_rules.cli import main

        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out, err)
        return code, json.loads(out.getvalue())

    def test_result_example(self, files: Path) -> None:
        documented = json.loads(doc_blocks("json")[0])
        code, printed = self.run("eval", "beispiel.rules", "fall.toml", "--explain", "--format", "json")
        assert code == 0
        assert printed == documented

    def test_error_example(self, files: Path) -> None:
        documented = json.loads(doc_blocks("json")[1])
        code, printed = self.run("eval", "beispiel.rules", "falsch.toml", "--format", "json")
        assert code == 1
        assert printed == documented


def test_what_to_dict_and_explanations_give_is_the_callers_to_change() -> None:
    """Each call gives its own copy: changing one changes neither the result nor the next call."""
    result = evaluate(explain=True)
    first = result.to_dict()
    expected = json.dumps(first, sort_keys=True)
    first["warnungen"].append("von mir")
    first["ergebnis"]["werte"].clear()
    assert json.dumps(result.to_dict(), sort_keys=True) == expected
    assert result == evaluate(explain=True)
    explanations = result.explanations()
    path = next(iter(explanations))
    explanations.pop(path)
    assert path in result.explanations() and result.explain(path) is not None


def test_explaining_what_is_no_figure_says_so_in_german() -> None:
    result = evaluate(explain=True)
    with pytest.raises(KeyError, match="ist kein berechneter Wert des Ergebnisses"):
        result.explain("gibt_es_nicht")
    with pytest.raises(KeyError, match="ist kein berechneter Wert des Ergebnisses"):
        result.explain("gibt_es_nicht", level_changes=True)
    from teilhabe_rules.runtime.frame import NoFigure

    for method in (result.explain, result.level_margin, result.level_changes):  # no path at all: alike
        with pytest.raises(NoFigure):
            method(123)  # type: ignore[arg-type]


def test_a_fault_inside_an_explanation_is_not_taken_for_a_missing_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a path naming no figure is „kein berechneter Wert“; a KeyError of any other cause
    (a defect where the explanation is made) is raised as it is, not hidden behind that message."""
    from teilhabe_rules.runtime import explain as explain_module
    from teilhabe_rules.runtime.frame import NoFigure

    result = evaluate()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("intern")

    monkeypatch.setattr(explain_module, "explain_one", broken)
    with pytest.raises(KeyError) as caught:
        result.explain("massnahmen[1].abrechenbar")
    assert not isinstance(caught.value, NoFigure) and caught.value.args == ("intern",)


@given(st.sampled_from(["-0", "-0.0", "-0.000", -0.0, Decimal("-0"), Decimal("-0E+2")]))
@settings(max_examples=6, deadline=None)
def test_a_zero_has_no_sign_in_any_output(zero: Any) -> None:
    """``-0`` given for a number (or ``0 × -60`` computed) is 0: no „-0“ in the JSON form, the
    explanations, the CSV cells or the comparison's rows."""
    from teilhabe_rules.tools.export import cell_text

    flat = tr.loads('modell n "N"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                    'eingabe x: zahl h/Jahr von -10 bis 10\nparameter satz: EUR/h = -60\n'
                    'wert betrag: EUR/Jahr = x * satz\nwert gegen: EUR/Jahr = betrag * -1\n', "n.rules")
    result = flat.evaluate({"x": zero})
    assert result.value("betrag") == 0
    leaves = walk(result.to_dict())
    assert not [(path, leaf) for path, leaf in leaves if isinstance(leaf, str) and leaf.startswith("-0")]
    assert "-0" not in result.explain("gegen").text
    assert not cell_text(result.value("gegen")).startswith("-")
    assert "-0" not in result.render_text(explain=True)
    # the values themselves: a Decimal zero without its sign (``str`` of one is what a caller shows)
    for name in ("betrag", "gegen"):
        for value in (result.value(name), result.root.values[name].value, result.quantity(name).value):
            assert value == 0 and not value.is_signed(), (name, value)


@given(st.decimals(min_value=Decimal("-0.004"), max_value=Decimal("-0.001"), places=3))
@settings(max_examples=examples(20), deadline=None)
def test_a_negative_amount_rounded_to_zero_is_zero_without_a_sign(amount: Decimal) -> None:
    """``runde(-0.003, 2)`` is Decimal's ``-0.00``; a result gives ``0.00``, as the columnar
    backend does."""
    rounded = tr.loads('modell r "R"\n  gültig ab 01.01.2024\nende\neingabe a: zahl EUR von -1 bis 1\n'
                       'wert r: EUR = runde(a, 2, kaufmännisch)\n', "r.rules")
    result = rounded.evaluate({"a": amount})
    assert str(result.value("r")) == str(result.root.values["r"].value) == "0.00"
    assert str(rounded.evaluate_many([{"a": amount}] * 2).rows()[0]["r"]) == "0.00"
