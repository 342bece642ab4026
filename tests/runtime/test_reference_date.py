"""``stichtag()``: the reference date of the evaluation as a built-in of the rules language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import CheckError, EvaluationError
from teilhabe_rules.ir import checked as c
from teilhabe_rules.ir import toolkit
from teilhabe_rules.model import Model, loads
from teilhabe_rules.runtime.backend import CaseInput
from teilhabe_rules.tools.properties import run_properties
from teilhabe_rules.tools.strategies import default_date

HEAD = 'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\n'

# the reference date is the case's input „beginn“
WITH_INPUT = loads(HEAD + """\
  stichtag beginn
ende
eingabe beginn: datum "Beginn"
eingabe frist: datum "Frist"
wert heute = stichtag() "Stichtag der Auswertung"
wert seit_beginn: Tage = kalendertage(beginn, stichtag())
liste posten "Posten"
  eingabe ab: datum "ab"
  wert tage: Tage = wenn ab <= stichtag() dann kalendertage(ab, stichtag()) sonst 0 Tage
ende
wert summe_tage = summe(posten.tage)
warnung "Der Stichtag {stichtag()} liegt nach der Frist {frist}": stichtag() <= frist
eigenschaft "Ohne „at“ ist der Stichtag der Beginn": stichtag() = beginn
""", "mit_eingabe.rules")

# no reference-date input: only ``at`` gives the date
WITHOUT_INPUT = loads(HEAD + """\
ende
eingabe frist: datum "Frist"
wert vorher_berechnet = 1
wert verspätet: ja_nein = stichtag() > frist "Frist überschritten"
""", "ohne_eingabe.rules")

PLAIN = loads(HEAD + 'ende\neingabe x: zahl\nwert y = x * 2\n', "ohne_stichtag.rules")

CASE = {"beginn": "01.07.2024", "frist": "31.12.2024", "posten": [{"ab": "01.01.2024"}, {"ab": "01.06.2024"}]}


def _check_error(body: str) -> CheckError:
    with pytest.raises(CheckError) as caught:
        loads(HEAD + "ende\neingabe beginn: datum\n" + body, "fehler.rules")
    return caught.value


class TestChecker:
    def test_a_date_without_arguments(self) -> None:
        model = loads(HEAD + "ende\nwert heute = stichtag()\n", "typ.rules")
        node = next(n for n in model.checked.nodes.values() if n.key == "heute")
        assert isinstance(node.expr, c.Func) and node.expr.name == "stichtag" and node.expr.args == ()
        assert node.expr.type == c.DATE

    @pytest.mark.parametrize("call, count", [("stichtag(beginn)", 1), ("stichtag(beginn, beginn)", 2)])
    def test_arguments_are_an_error_at_the_call(self, call: str, count: int) -> None:
        error = _check_error(f"wert heute = {call}\n")
        (diagnostic,) = error.diagnostics
        assert diagnostic.message == f"stichtag() hat keine Angaben, nicht {count}"
        assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (6, 14)
        assert diagnostic.hint is not None and "stichtag()" in diagnostic.hint

    def test_it_is_a_date_not_a_number(self) -> None:
        error = _check_error("wert n: zahl = stichtag()\n")
        assert "Datum" in error.diagnostics[0].message or "datum" in error.diagnostics[0].message
        error = _check_error("wert j = jahr(stichtag()) + stichtag()\n")
        assert error.diagnostics[0].location is not None and error.diagnostics[0].location.line == 6

    def test_a_misspelling_suggests_it(self) -> None:
        error = _check_error("wert heute = stichtg()\n")
        assert error.diagnostics[0].hint is not None and "stichtag" in error.diagnostics[0].hint

    def test_models_that_read_it(self) -> None:
        assert toolkit.reads_date(WITH_INPUT.checked) and WITH_INPUT.reads_date
        assert WITHOUT_INPUT.reads_date
        assert not PLAIN.reads_date and "#stichtag" not in PLAIN.program.source


class TestEvaluation:
    def test_without_at_the_case_gives_the_date(self) -> None:
        result = WITH_INPUT.evaluate(CASE)
        assert result.value("heute") == dt.date(2024, 7, 1)
        assert result.value("seit_beginn") == 1
        assert result.value("summe_tage") == (183 + 31) and result.warnings == ()

    def test_at_overrides_the_case(self) -> None:
        result = WITH_INPUT.evaluate(CASE, at=dt.date(2025, 2, 1))
        assert result.value("heute") == dt.date(2025, 2, 1)
        assert result.value("seit_beginn") == 216
        assert result.warnings == ("Der Stichtag 01.02.2025 liegt nach der Frist 31.12.2024",)
        assert "#stichtag" not in result.frame.root and "#stichtag" not in dict(result.frame.root)

    @given(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)))
    @settings(max_examples=examples(30))
    def test_the_date_read_is_the_date_given(self, day: dt.date) -> None:
        result = WITHOUT_INPUT.evaluate({"frist": "30.06.2026"}, at=day)
        assert result.value("verspätet") is (day > dt.date(2026, 6, 30))

    def test_without_any_date_an_error_at_the_use(self) -> None:
        with pytest.raises(EvaluationError) as caught:
            WITHOUT_INPUT.evaluate({"frist": "30.06.2026"})
        (diagnostic,) = caught.value.diagnostics
        assert diagnostic.message.startswith("stichtag() braucht den Stichtag der Auswertung")
        assert "(bei „verspätet“)" in diagnostic.message
        assert diagnostic.hint is not None and "--at TT.MM.JJJJ" in diagnostic.hint
        location = diagnostic.location
        assert location is not None and location.file == "ohne_eingabe.rules"
        assert (location.line, location.column, location.end_column) == (7, 27, 37)
        assert diagnostic.source_line is not None and "stichtag()" in diagnostic.source_line
        assert diagnostic.code == "auswertung"

    def test_the_backend_reads_the_date_of_the_case_input(self) -> None:
        model = WITHOUT_INPUT
        row = model.load_case({"frist": "30.06.2026"}).row
        late = model.backend.evaluate(CaseInput(row, model.parameters, model.tables, dt.date(2027, 1, 1)))
        assert late.frame is not None and late.frame.root["verspätet"] is True
        assert late.frame.date == dt.date(2027, 1, 1)
        missing = model.backend.evaluate(CaseInput(row, model.parameters, model.tables))
        assert missing.frame is None and missing.fault is not None

    def test_a_model_without_it_is_unchanged(self) -> None:
        result = PLAIN.evaluate({"x": 2}, at=dt.date(2025, 1, 1))
        assert result.value("y") == Decimal(4) and result.frame.date is None


class TestExplanation:
    def test_the_date_is_shown_in_the_substituted_formula(self) -> None:
        result = WITH_INPUT.evaluate(CASE, explain=True, at=dt.date(2024, 8, 1))
        assert result.explain("seit_beginn").text == (
            "seit_beginn = kalendertage(beginn, stichtag()) = kalendertage(01.07.2024, 01.08.2024) = 32 Tage"
        )
        assert result.explain("posten[2].tage").text == (
            "tage = wenn ab <= stichtag() dann kalendertage(ab, stichtag()) sonst 0 Tage = wenn 01.06.2024 <= "
            "01.08.2024 dann kalendertage(01.06.2024, 01.08.2024) sonst 0 Tage = 62 Tage"
        )
        assert toolkit.render(WITH_INPUT.checked.nodes["seit_beginn"].expr) == "kalendertage(beginn, stichtag())"


class TestTools:
    def test_properties_evaluate_on_a_date(self) -> None:
        for model in (WITH_INPUT, WITHOUT_INPUT):
            outcomes = run_properties(model, max_examples=5, seed=3)
            assert outcomes and [o.message for o in outcomes if not o.passed] == []

    def test_default_date_lies_in_the_validity(self) -> None:
        model: Model = WITHOUT_INPUT
        assert model.valid_on(default_date(model))


def test_a_day_outside_the_validity_says_what_would_do() -> None:
    """Where no other version of the family covers the day, the hint names the model's validity."""
    model = teilhabe_rules.bundled("mawo")
    with pytest.raises(teilhabe_rules.ValidityError) as raised:
        model.evaluate(Path(__file__).resolve().parents[2] / "examples/mawo/person_grundfall.toml",
                       at=dt.date(2019, 1, 1))
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.hint == ("ein Tag in der Gültigkeit (gültig ab 01.01.2024), oder ein Modell, das am "
                               "01.01.2019 gilt")
