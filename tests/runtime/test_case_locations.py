"""Errors caused by a case value point into the case file — its line, its text, a caret — and a
failed check names the model line in its hint."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules import CaseError, ValidityError
from teilhabe_rules.inputs.cases import read_data

ROOT = Path(__file__).resolve().parents[2]
EIGENE = ROOT / "examples" / "bei_nrw3" / "eigene_haeuslichkeit.toml"
PERSON = ROOT / "examples" / "mawo" / "person_grundfall.toml"
BEI_NRW3_LINES = (ROOT / "models" / "bei_nrw3.rules").read_text(encoding="utf-8").split("\n")
# the model's check that the period does not end before it begins
CHECK_LINE = next(number for number, line in enumerate(BEI_NRW3_LINES, 1)
                  if line.startswith('prüfung "Der Überprüfungszeitraum endet'))
# the column of its condition
CHECK_COLUMN = BEI_NRW3_LINES[CHECK_LINE - 1].index(": zeitraum_ende >=") + 3


def changed(source: Path, target: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def line_of(path: Path, text: str, start: int = 1) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(number for number, line in enumerate(lines, start=1) if number >= start and line.startswith(text))


def errors(model: teilhabe_rules.Model, case: Any, error: type = CaseError) -> list:
    with pytest.raises(error) as caught:
        model.evaluate(case)
    return list(caught.value.diagnostics)


@pytest.fixture(scope="module")
def bei() -> teilhabe_rules.Model:
    return teilhabe_rules.bundled("bei_nrw3")


class TestFailedChecks:
    """A failed prüfung is shown at the first input it reads that the case file gives."""

    def test_a_reversed_period_points_at_its_end(self, bei: teilhabe_rules.Model, tmp_path: Path) -> None:
        path = changed(EIGENE, tmp_path / "fall.toml", "zeitraum_ende = 2027-12-31", "zeitraum_ende = 2025-12-31")
        found = errors(bei, path)
        reversed_ = next(d for d in found if "endet (zeitraum_ende 31.12.2025) vor seinem Beginn" in d.message)
        assert reversed_.location is not None and reversed_.location.file == str(path)
        assert (reversed_.location.line, reversed_.location.column) == (line_of(path, "zeitraum_ende"), 1)
        assert reversed_.source_line == "zeitraum_ende = 2025-12-31"
        assert reversed_.hint is not None
        assert re.search(rf"bei_nrw3\.rules:{CHECK_LINE}:{CHECK_COLUMN}$", reversed_.hint)
        assert "zeitraum_ende = 2025-12-31\n    ^" in reversed_.render()

    def test_a_check_of_a_list_element_points_into_that_element(self, bei: teilhabe_rules.Model,
                                                                tmp_path: Path) -> None:
        path = changed(EIGENE, tmp_path / "fall.toml", "schluss = 2027-06-30", "schluss = 2026-06-01")
        found = errors(bei, path)
        inverted = next(d for d in found if d.path == "$.zeitabschnitte[2]" and "schluss" in d.message)
        assert inverted.location is not None and inverted.location.file == str(path)
        second = line_of(path, "[[zeitabschnitte]]", line_of(path, "[[zeitabschnitte]]") + 1)
        assert inverted.location.line > second
        assert inverted.source_line is not None and inverted.source_line.startswith(("beginn", "schluss"))
        assert inverted.hint is not None and "bei_nrw3.rules:" in inverted.hint

    def test_the_same_case_as_json(self, bei: teilhabe_rules.Model, tmp_path: Path) -> None:
        data = json.loads(json.dumps(read_data(EIGENE), default=str))
        data["zeitraum_ende"] = "2025-12-31"
        path = tmp_path / "fall.json"
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        reversed_ = next(d for d in errors(bei, path) if "vor seinem Beginn" in d.message)
        assert reversed_.location is not None and reversed_.location.file == str(path)
        assert (reversed_.source_line or "").strip().startswith('"zeitraum_ende": "2025-12-31"')

    def test_a_case_given_as_a_mapping_keeps_the_model_location(self, bei: teilhabe_rules.Model) -> None:
        data = read_data(EIGENE)
        data["zeitraum_ende"] = "2025-12-31"
        reversed_ = next(d for d in errors(bei, data) if "vor seinem Beginn" in d.message)
        assert reversed_.location is not None and reversed_.location.file.endswith("bei_nrw3.rules")
        assert (reversed_.location.line, reversed_.location.column) == (CHECK_LINE, CHECK_COLUMN)
        assert reversed_.path == "$"


class TestListBounds:
    """Too many elements are shown at the first one too many; a missing reason at the granted level."""

    def test_four_periods_point_at_the_fourth(self, bei: teilhabe_rules.Model, tmp_path: Path) -> None:
        path = tmp_path / "vier.toml"
        fourth = "\n[[zeitabschnitte]]\nbeginn = 2027-12-01\nschluss = 2027-12-31\n"
        path.write_text(EIGENE.read_text(encoding="utf-8") + fourth, encoding="utf-8")
        too_many = next(d for d in errors(bei, path) if "höchstens 3" in d.message)
        assert too_many.path == "$.zeitabschnitte"
        assert too_many.location is not None and too_many.location.file == str(path)
        assert too_many.location.line == len(path.read_text(encoding="utf-8").split("\n")) - 3
        assert too_many.source_line == "[[zeitabschnitte]]"

    def test_too_few_points_at_the_list(self, tmp_path: Path) -> None:
        model = teilhabe_rules.load(ROOT / "tests" / "fixtures" / "cases" / "klein.rules")
        path = tmp_path / "leer.toml"
        path.write_text("beginn = 2025-01-01\npflegegrad = 1\nkap4 = 5\nmassnahmen = []\n\n[lp2a]\nkap5 = 2\n",
                        encoding="utf-8")
        (few,) = errors(model, path)
        assert "mindestens 1" in few.message
        assert few.location is not None and (few.location.line, few.source_line) == (4, "massnahmen = []")

    def test_a_granted_level_without_reason_points_at_the_level(self, tmp_path: Path) -> None:
        model = teilhabe_rules.bundled("mawo")
        path = changed(PERSON, tmp_path / "person.toml",
                       "[bewohner.lp1a]\nstufe = 1\n", "[bewohner.lp1a]\nstufe = 1\nbewilligte_stufe = 2\n")
        (missing,) = errors(model, path)
        assert missing.path == "$.bewohner[1].lp1a.begründung"
        assert missing.location is not None and missing.source_line == "bewilligte_stufe = 2"


class TestValidity:
    """A reference date outside the model's validity is shown where the case gives it."""

    def test_the_date_of_the_case_file(self, tmp_path: Path) -> None:
        (outside,) = errors(teilhabe_rules.bundled("mawo_2025"), PERSON, ValidityError)
        assert outside.path == "$.zeitraum_ab"
        assert outside.location is not None and outside.location.file == str(PERSON)
        assert (outside.location.line, outside.source_line) == (line_of(PERSON, "zeitraum_ab"),
                                                                "zeitraum_ab = 2024-07-01")

    def test_a_case_of_the_other_version_that_also_fails_structurally(self, tmp_path: Path) -> None:
        path = changed(PERSON, tmp_path / "person.toml", "plaetze = 24", "plaetze = 24\nunbekannt = 1")
        (outside,) = errors(teilhabe_rules.bundled("mawo_2025"), path, ValidityError)
        assert outside.location is not None and outside.location.file == str(path)
        assert outside.source_line == "zeitraum_ab = 2024-07-01"

    def test_a_date_given_with_at_has_no_case_location(self) -> None:
        import datetime as dt

        with pytest.raises(ValidityError) as caught:
            teilhabe_rules.bundled("mawo_2025").evaluate(PERSON, at=dt.date(2024, 1, 1))
        assert caught.value.diagnostics[0].location is None and caught.value.diagnostics[0].path is None
