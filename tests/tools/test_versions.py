"""Validity of models and of parameter values, reference dates, and choosing a bundled version."""

from __future__ import annotations

import copy
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import CheckError, ValidityError
from teilhabe_rules.cli import main
from teilhabe_rules.errors import did_you_mean
from teilhabe_rules.ir.text import format_value
from teilhabe_rules.registry import choose, versions

ROOT = Path(__file__).resolve().parents[2]

DATED = """\
modell stunden "Stunden mit Satz je Zeitraum"
  version "1"
  gültig ab 01.01.2024
  gültig bis 31.12.2027
  stichtag beginn
  budget betrag
ende

eingabe beginn: datum
eingabe stunden: zahl h/Jahr von 0 bis 2000
parameter satz: zahl EUR/h von 0 bis 500 = 60 EUR/h "Stundensatz" annahme "Satz 2024"
  ab 01.01.2025 = 62.50 EUR/h annahme "Anpassung 2025"
  ab 01.01.2026 = 65 EUR/h bis 30.06.2026
parameter fest: EUR/Jahr = 100 "fester Betrag"
wert betrag: EUR/Jahr = stunden * satz + fest
"""

UNDATED_CASES = DATED.replace("  stichtag beginn\n", "")


def dated(text: str = DATED) -> teilhabe_rules.Model:
    return teilhabe_rules.loads(text, "stunden.rules")


class TestParameterValuesPerPeriod:
    """A parameter with values per period takes the value valid on the reference date."""

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (dt.date(2024, 1, 1), "700"),      # 10 h × 60 + 100
            (dt.date(2024, 12, 31), "700"),
            (dt.date(2025, 1, 1), "725.00"),   # the day a new value starts
            (dt.date(2025, 12, 31), "725.00"),
            (dt.date(2026, 6, 30), "750"),     # the last day of the last value
        ],
    )
    def test_the_case_date_chooses_the_value(self, day: dt.date, expected: str) -> None:
        result = dated().evaluate({"beginn": day, "stunden": 10})
        assert result.value("betrag") == Decimal(expected)

    def test_at_overrides_the_case_date(self) -> None:
        result = dated().evaluate({"beginn": dt.date(2024, 5, 1), "stunden": 10}, at=dt.date(2025, 5, 1))
        assert result.value("betrag") == Decimal("725.00")

    def test_the_explanation_shows_the_value_used(self) -> None:
        result = dated().evaluate({"beginn": dt.date(2025, 5, 1), "stunden": 10}, explain=True)
        assert ("satz", "62.50 EUR/h") in result.explain("betrag").inputs

    def test_a_date_after_the_last_value_is_an_error_not_the_last_value(self) -> None:
        with pytest.raises(ValidityError) as caught:
            dated().evaluate({"beginn": dt.date(2026, 7, 1), "stunden": 10})
        message = caught.value.message
        assert "„satz“" in message and "„stunden 1“" in message and "01.07.2026" in message
        assert "65 EUR/h ab 01.01.2026 bis 30.06.2026" in message

    def test_a_date_outside_the_model_is_an_error_naming_the_model_and_its_validity(self) -> None:
        with pytest.raises(ValidityError) as caught:
            dated().evaluate({"beginn": dt.date(2028, 1, 1), "stunden": 10})
        assert "„stunden 1“" in caught.value.message
        assert "gültig ab 01.01.2024 bis 31.12.2027" in caught.value.message
        with pytest.raises(ValidityError):
            dated().evaluate({"beginn": dt.date(2023, 12, 31), "stunden": 10})

    def test_without_stichtag_the_date_is_required(self) -> None:
        model = dated(UNDATED_CASES)
        assert model.needs_date
        with pytest.raises(ValidityError) as caught:
            model.evaluate({"beginn": dt.date(2025, 1, 1), "stunden": 10})
        assert "Stichtag" in caught.value.message and "satz" in caught.value.message
        assert "--at" in (caught.value.diagnostics[0].hint or "")
        result = model.evaluate({"beginn": dt.date(2025, 1, 1), "stunden": 10}, at=dt.date(2025, 2, 1))
        assert result.value("betrag") == Decimal("725.00")

    def test_a_model_with_single_values_needs_no_date(self) -> None:
        model = teilhabe_rules.bundled("mawo")
        assert not model.needs_date and not model.has_periods
        assert not dated().needs_date  # it has a stichtag input

    def test_an_agreement_replaces_the_value_of_every_period(self) -> None:
        model = dated()
        agreed = model.load_agreement({"parameter": {"satz": "70 EUR/h"}})
        for day in (dt.date(2024, 3, 1), dt.date(2025, 3, 1)):
            assert model.evaluate({"beginn": day, "stunden": 10}, agreed).value("betrag") == Decimal("800")

    def test_parameters_on_gives_the_values_by_id(self) -> None:
        model = dated()
        assert model.parameters_on(dt.date(2025, 3, 1))["satz"] == Decimal("62.50")
        assert model.parameters_on(dt.date(2024, 3, 1))["satz"] == Decimal("60")
        assert model.checked.parameters["satz"].periods[1].valid_to == dt.date(2026, 6, 30)

    def test_cli_eval_takes_at(self, tmp_path: Path) -> None:
        rules = tmp_path / "stunden.rules"
        rules.write_text(UNDATED_CASES, encoding="utf-8")
        case = tmp_path / "fall.toml"
        case.write_text("beginn = 2024-03-01\nstunden = 10\n", encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        assert main(["eval", str(rules), str(case), "--format", "json"], out, err) == 1
        assert "Stichtag" in out.getvalue()
        out = io.StringIO()
        assert main(["eval", str(rules), str(case), "--at", "2025-03-01", "--format", "json"], out, err) == 0
        assert '"725.00"' in out.getvalue()


class TestPeriodChecks:
    """The checker rejects values per period that are out of order or outside the model."""

    @pytest.mark.parametrize(
        ("lines", "words", "line"),
        [
            ("  ab 01.01.2023 = 61\n", "liegt nicht nach dem Beginn der Gültigkeit des Modells (01.01.2024)", 12),
            ("  ab 01.01.2025 = 61\n  ab 01.01.2025 = 62\n", "liegt nicht nach dem vorigen Wert (01.01.2025)", 13),
            ("  ab 01.01.2025 = 61 bis 31.12.2025\n  ab 01.01.2026 = 62\n",
             "Nur der letzte Wert von „satz“ kann mit „bis“ enden", 12),
            ("  ab 01.01.2028 = 61\n", "liegt nach dem Ende der Gültigkeit des Modells (31.12.2027)", 12),
            ("  ab 01.01.2025 = 61 bis 31.12.2024\n", "„bis 31.12.2024“ liegt vor „ab 01.01.2025“", 12),
            ("  ab 01.01.2025 = 600\n", "Der Wert von „satz“ ab 01.01.2025 (600) liegt außerhalb von 0 bis 500", 12),
            ("  ab 01.01.2025 = 61 EUR/Tag\n", "hat die Einheit „EUR/Tag“, erwartet ist EUR/h", 12),
        ],
        ids=["vor-beginn", "reihenfolge", "bis-nicht-zuletzt", "nach-ende", "bis-vor-ab", "bereich", "einheit"],
    )
    def test_bad_periods(self, lines: str, words: str, line: int) -> None:
        text = (DATED.split("parameter satz")[0] + 'parameter satz: zahl EUR/h von 0 bis 500 = 60 EUR/h "Stundensatz"\n'
                + lines + "wert betrag: EUR/Jahr = stunden * satz\n")
        with pytest.raises(CheckError) as caught:
            dated(text)
        diagnostic = next(d for d in caught.value.errors if words in d.message)
        assert diagnostic.location is not None
        assert (diagnostic.location.file, diagnostic.location.line) == ("stunden.rules", line)
        assert diagnostic.source_line is not None and diagnostic.source_line.strip().startswith("ab ")


class TestBudgetHeader:
    """``budget PFAD`` names the value that is a case's total budget."""

    def test_bundled_models_name_their_budget(self) -> None:
        assert teilhabe_rules.bundled("mawo").info.budget == ("budget_jahr",)
        assert teilhabe_rules.bundled("bei_nrw3").info.budget == ("gesamtbudget",)
        assert teilhabe_rules.bundled("bei_nrw2").info.budget == ("gesamtbudget",)
        assert teilhabe_rules.bundled("mawo_2025").info.budget == ("budget_jahr",)  # inherited

    def test_an_unknown_budget_is_a_check_error_with_did_you_mean(self) -> None:
        with pytest.raises(CheckError) as caught:
            dated(DATED.replace("budget betrag", "budget betrg"))
        diagnostic = caught.value.errors[0]
        assert "Das Budget „betrg“ ist kein Wert auf oberster Ebene" in diagnostic.message
        assert diagnostic.hint == "meinten Sie „betrag“?"
        assert diagnostic.location is not None and (diagnostic.location.line, diagnostic.location.column) == (6, 10)

    def test_a_budget_that_is_no_number_is_a_check_error(self) -> None:
        text = DATED.replace("budget betrag", "budget ok") + "wert ok: ja_nein = stunden > 0 h/Jahr\n"
        with pytest.raises(CheckError, match="keine Zahl, sondern ja/nein"):
            dated(text)


class TestRegistry:
    """The bundled models are listed with their versions, and chosen by family or name and date."""

    def test_bundled_models_list_the_variant(self) -> None:
        found = {m.name: m for m in teilhabe_rules.bundled_models()}
        assert found["mawo_2025"].extends == "mawo"
        assert found["mawo_2025"].family == "MAWo"
        assert found["mawo"].extends is None

    def test_a_bundled_variant_describes_its_own_version(self) -> None:
        """A variant that inherited its base's ``beschreibung`` would show the base's text (MAWo's
        „Der Gültigkeitsbeginn 01.01.2024 ist eine Annahme“) as its own in the handbook."""
        variants = [m for m in teilhabe_rules.bundled_models() if m.extends]
        assert [m.name for m in variants] == ["mawo_2025"]
        for info in variants:
            base = teilhabe_rules.bundled(info.extends or "").checked.info
            own = teilhabe_rules.bundled(info.name).checked.info
            assert own.description and own.description != base.description
            assert own.valid_from is not None and format_value(own.valid_from) in own.description
            assert base.valid_from is not None and format_value(base.valid_from) not in own.description

    def test_versions_are_in_date_order(self) -> None:
        assert [m.name for m in versions("BEI_NRW")] == ["bei_nrw2", "bei_nrw3"]
        assert [m.name for m in versions("mawo")] == ["mawo", "mawo_2025"]

    @pytest.mark.parametrize(
        ("family", "day", "name"),
        [
            ("MAWo", dt.date(2024, 6, 1), "mawo"),
            ("MAWo", dt.date(2025, 1, 1), "mawo_2025"),   # the newer version supersedes the open-ended one
            ("mawo", dt.date(2030, 1, 1), "mawo_2025"),
            ("BEI_NRW", dt.date(2025, 8, 26), "bei_nrw2"),
            ("BEI_NRW", dt.date(2025, 8, 27), "bei_nrw3"),
            ("bei_nrw2", dt.date(2023, 1, 1), "bei_nrw2"),  # a model's name
        ],
    )
    def test_choose(self, family: str, day: dt.date, name: str) -> None:
        assert choose(family, day).name == name

    def test_a_model_not_valid_on_the_date_names_the_one_that_is(self) -> None:
        with pytest.raises(ValidityError) as caught:
            choose("mawo_2025", dt.date(2024, 6, 1))
        assert caught.value.message == "Das Modell „mawo_2025“ gilt am 01.06.2024 nicht"
        assert "am 01.06.2024 gilt „mawo“" in (caught.value.diagnostics[0].hint or "")

    def test_no_model_of_the_family_is_valid(self) -> None:
        with pytest.raises(ValidityError, match="Kein Modell der Familie „BEI_NRW“ gilt am 01.01.2020"):
            choose("BEI_NRW", dt.date(2020, 1, 1))

    def test_an_unknown_family(self) -> None:
        with pytest.raises(ValidityError, match="Keine mitgelieferte Modellfamilie und kein Modell „XYZ“"):
            choose("XYZ", dt.date(2024, 1, 1))

    @pytest.mark.parametrize(("given", "meant"), [("MAWO", "mawo"), ("MAWO_2025", "mawo_2025"),
                                                  ("BEI_NRW3", "bei_nrw3"), ("Bei_Nrw2", "bei_nrw2")])
    def test_a_bundled_name_in_other_case_is_named_as_it_is_written(self, given: str, meant: str) -> None:
        """Bundled names are case-sensitive (a file's name): ``MAWO`` is refused with a hint
        naming ``mawo`` — by the API and on the command line."""
        with pytest.raises(ValidityError) as caught:
            teilhabe_rules.bundled(given)
        assert caught.value.message == f"Kein mitgeliefertes Modell „{given}“"
        assert caught.value.diagnostics[0].hint == f"meinten Sie „{meant}“?"
        err = io.StringIO()
        assert main(["schema", given], io.StringIO(), err) == 1
        assert f"Kein mitgeliefertes Modell „{given}“" in err.getvalue()
        assert f"meinten Sie „{meant}“?" in err.getvalue()

    @settings(max_examples=examples(100), deadline=None)
    @given(st.lists(st.from_regex(r"\A[a-z][a-z0-9_]{1,11}\Z"), min_size=1, max_size=6, unique=True), st.data())
    def test_a_name_written_in_other_case_is_suggested_as_it_is(self, names: list[str], data: st.DataObject) -> None:
        """Of names written in lower case, the one given in upper case (or capitalised) is
        suggested, as it is written — before any name close to it as given (``Tag`` → ``tag``,
        not ``Tage``)."""
        name = data.draw(st.sampled_from(names))
        given = data.draw(st.sampled_from([name.upper(), name.capitalize(), name.swapcase()]))
        assume(given != name)
        assert did_you_mean(given, names) == f"meinten Sie „{name}“?"

    def test_the_same_word_in_other_case_comes_before_a_near_one(self) -> None:
        assert did_you_mean("Tag", ["Tage", "tag"]) == "meinten Sie „tag“?"
        assert did_you_mean("MASSE", ["maße", "masse"]) == "meinten Sie „masse“?"
        assert did_you_mean("MASSE", ["masse", "maße"]) == "meinten Sie „masse“?"

    def test_choose_names_a_model_name_written_in_other_case(self) -> None:
        """A family is chosen in any case (``mawo``: MAWo); a model's name is written as it is."""
        with pytest.raises(ValidityError) as caught:
            choose("MAWO_2025", dt.date(2025, 9, 1))
        assert caught.value.diagnostics[0].hint == "meinten Sie „mawo_2025“?"

    def test_a_name_near_no_bundled_model_lists_them(self) -> None:
        with pytest.raises(ValidityError) as caught:
            teilhabe_rules.bundled("xyz")
        assert caught.value.diagnostics[0].hint == "mitgeliefert: bei_nrw2, bei_nrw3, mawo, mawo_2025"

    def test_a_case_of_the_old_version_names_the_new_one(self) -> None:
        from teilhabe_rules.inputs.cases import read_data

        data = read_data(ROOT / "examples/mawo/person_grundfall.toml")
        model = teilhabe_rules.bundled("mawo_2025")
        with pytest.raises(ValidityError) as caught:
            model.evaluate(copy.deepcopy(data))
        assert "außerhalb der Gültigkeit von „mawo_2025 2025.1“ (gültig ab 01.01.2025)" in caught.value.message
        assert "„mawo“" in (caught.value.diagnostics[0].hint or "")

    def test_cli_lists_family_and_base(self) -> None:
        out = io.StringIO()
        assert main(["modelle"], out, io.StringIO()) == 0
        line = next(text for text in out.getvalue().splitlines() if text.startswith("mawo_2025"))
        assert "Familie MAWo, erweitert mawo" in line and "gültig ab 01.01.2025" in line
