"""A BEI_NRW 2.0 case becomes a 3.0 case through the model's chapter → Bereich table."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.inputs.cases import read_data
from teilhabe_rules.tools.conversions import bei_nrw_2_to_3

ROOT = Path(__file__).resolve().parents[2]
CASE_2_0 = ROOT / "examples" / "bei_nrw2" / "fall_2_0.toml"
NEXT_PERIOD = {"zeitraum_beginn": dt.date(2026, 4, 1), "zeitraum_ende": dt.date(2027, 3, 31)}


class TestConversion:
    """The converted case equals the documented one and keeps the budget of an equally long period."""

    def test_equals_the_documented_conversion(self) -> None:
        new = bei_nrw_2_to_3(CASE_2_0, erstellt_am=dt.date(2026, 1, 15), wohnform="eigene_häuslichkeit", **NEXT_PERIOD)
        model = teilhabe_rules.bundled("bei_nrw3")
        documented = model.load_case(ROOT / "examples" / "bei_nrw3" / "umstellung_aus_2_0.toml")
        assert model.load_case(new).row == documented.row

    def test_budget_of_a_period_of_the_same_length_is_unchanged(self) -> None:
        new = bei_nrw_2_to_3(CASE_2_0, erstellt_am=dt.date(2026, 1, 15), wohnform="eigene_häuslichkeit", **NEXT_PERIOD)
        old_budget = teilhabe_rules.bundled("bei_nrw2").evaluate(CASE_2_0).value("gesamtbudget")
        assert teilhabe_rules.bundled("bei_nrw3").evaluate(new).value("gesamtbudget") == old_budget

    def test_mapping_is_read_from_the_model_table(self) -> None:
        text = teilhabe_rules.bundled("bei_nrw3").checked.source.replace("d2: b1", "d2: b3")
        changed = teilhabe_rules.loads(text, "bei_nrw3_geaendert.rules")
        new = bei_nrw_2_to_3(CASE_2_0, erstellt_am=dt.date(2026, 1, 15), wohnform="eigene_häuslichkeit", target=changed)
        areas = {m["bezeichnung"]: m["bereich"] for m in new["zeitabschnitte"][0]["massnahmen"]}
        assert areas["Unterstützung bei Behördenangelegenheiten"] == "b3"

    def test_an_invalid_2_0_case_is_rejected_with_its_path(self, tmp_path: Path) -> None:
        bad = tmp_path / "kaputt.toml"
        bad.write_text(CASE_2_0.read_text(encoding="utf-8").replace('kapitel = "d6"', 'kapitel = "d10"'),
                       encoding="utf-8")
        with pytest.raises(teilhabe_rules.CaseError, match=r"massnahmen\[1\]\.kapitel"):
            bei_nrw_2_to_3(bad, erstellt_am=dt.date(2026, 1, 15), wohnform="eigene_häuslichkeit")

    def test_command_line_writes_a_case_that_evaluates(self, tmp_path: Path) -> None:
        target = tmp_path / "neu.toml"
        out, err = io.StringIO(), io.StringIO()
        code = main(["umstellen", str(CASE_2_0), "--erstellt-am", "2026-01-15", "--wohnform", "eigene_häuslichkeit",
                     "--beginn", "2026-04-01", "--ende", "2027-03-31", "--out", str(target)], out, err)
        assert code == 0, err.getvalue()
        converted = teilhabe_rules.bundled("bei_nrw3").evaluate(target)
        original = teilhabe_rules.bundled("bei_nrw2").evaluate(CASE_2_0)
        assert converted.value("gesamtbudget") == original.value("gesamtbudget")

    @pytest.mark.parametrize(("options", "words"), [
        (["--erstellt-am", "2026-01-15", "--beginn", "2026-04-01", "--ende", "2025-03-31"], "liegt vor beginn"),
        (["--erstellt-am", "2020-01-01"], "liegt außerhalb der Gültigkeit"),
    ])
    def test_a_case_the_3_0_model_refuses_is_an_error_and_not_written(self, tmp_path: Path, options: list[str],
                                                                        words: str) -> None:
        target = tmp_path / "neu.toml"
        out, err = io.StringIO(), io.StringIO()
        code = main(["umstellen", str(CASE_2_0), "--wohnform", "eigene_häuslichkeit", *options, "--out", str(target)],
                    out, err)
        assert code == 1 and words in err.getvalue() and not target.exists()


def test_an_output_that_is_the_2_0_case_itself_is_refused_and_the_case_kept(tmp_path: Path) -> None:
    case = tmp_path / "fall.toml"
    case.write_bytes(CASE_2_0.read_bytes())
    out, err = io.StringIO(), io.StringIO()
    code = main(["umstellen", str(case), "--erstellt-am", "2026-01-15", "--wohnform", "eigene_häuslichkeit",
                 "--out", str(tmp_path / "." / "fall.toml")], out, err)
    assert code == 2 and "ist der Fall selbst" in err.getvalue()
    assert case.read_bytes() == CASE_2_0.read_bytes()


@pytest.mark.parametrize("option", ["--erstellt-am", "--beginn", "--ende"])
def test_a_date_that_is_none_is_named_by_its_option(option: str) -> None:
    dates = {"--erstellt-am": "2026-01-15", "--beginn": "2026-04-01", "--ende": "2027-03-31", option: "2026-13-01"}
    out, err = io.StringIO(), io.StringIO()
    code = main(["umstellen", str(CASE_2_0), "--wohnform", "eigene_häuslichkeit",
                 *[part for pair in dates.items() for part in pair]], out, err)
    assert code == 2 and f"{option}: „2026-13-01“ ist kein Datum" in err.getvalue()


def test_a_2_0_case_with_as_many_measures_as_2_0_allows_is_converted() -> None:
    """2.0 takes up to 40 measures in a case; 3.0 takes as many in a Zeitabschnitt, so every
    2.0 case converts into one — with the same budget."""
    old = teilhabe_rules.bundled("bei_nrw2")
    (spec,) = [s for s in old.checked.scopes.values() if s.name == "massnahmen"]
    data = read_data(CASE_2_0)
    data["massnahmen"] = [dict(data["massnahmen"][i % len(data["massnahmen"])], bezeichnung=f"M{i}")
                          for i in range(spec.max_count)]
    converted = bei_nrw_2_to_3(data, erstellt_am=dt.date(2026, 1, 15), wohnform="eigene_häuslichkeit")
    assert len(converted["zeitabschnitte"][0]["massnahmen"]) == spec.max_count == 40
    assert teilhabe_rules.bundled("bei_nrw3").evaluate(converted).value("gesamtbudget") == \
        old.evaluate(data).value("gesamtbudget")
