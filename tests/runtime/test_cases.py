"""Case data is checked against the model's inputs: every error with its data path, all at once."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules as tr
import teilhabe_rules.inputs.cases
from teilhabe_rules import CaseError

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
EIGENE_HAEUSLICHKEIT = Path(__file__).resolve().parents[2] / "examples" / "bei_nrw3" / "eigene_haeuslichkeit.toml"


@pytest.fixture(scope="module")
def model() -> tr.Model:
    return tr.load(CASES / "klein.rules")


def base_case() -> dict[str, Any]:
    """The case of ``grundfall.toml`` as a Python mapping."""
    return {
        "beginn": dt.date(2025, 1, 1),
        "pflegegrad": 1,
        "kap4": 5,
        "lp2a": {"kap5": 2},
        "massnahmen": [
            {"bezeichnung": "Gruppenangebot", "stunden": Decimal("100.5"), "personen": 2},
            {"bezeichnung": "Einzelbegleitung", "stunden": "10 h/Jahr"},
        ],
    }


def with_changes(**changes: Any) -> dict[str, Any]:
    """``base_case()`` with keys replaced; ``m2_FIELD`` sets FIELD of the second measure."""
    case = copy.deepcopy(base_case())
    for key, value in changes.items():
        if key.startswith("m2_"):
            case["massnahmen"][1][key[3:]] = value
        else:
            case[key] = value
    return case


def case_error(model: tr.Model, data: Any) -> CaseError:
    with pytest.raises(CaseError) as info:
        model.load_case(data)
    return info.value


def by_path(error: CaseError) -> dict[str, str]:
    return {d.path: d.message for d in error.diagnostics if d.path}


EXPECTED_ROW = {
    "beginn": dt.date(2025, 1, 1),
    "pflegegrad": 1,
    "kap4": Decimal("5"),
    "zuschlag": Decimal("0"),
    "extra": Decimal("0"),
    "lp2a.kap5": Decimal("2"),
    "massnahmen": [
        {"bezeichnung": "Gruppenangebot", "stunden": Decimal("100.5"), "personen": Decimal("2")},
        {"bezeichnung": "Einzelbegleitung", "stunden": Decimal("10"), "personen": Decimal("1")},
    ],
}


def inputs_of(row: dict[str, Any]) -> dict[str, Any]:
    """The row without the package bookkeeping keys (granted level, reason)."""
    return {k: v for k, v in row.items() if not k.endswith((".bewilligte_stufe", ".begründung"))}


class TestFormats:
    """TOML, JSON and a Python mapping with the same content give the same validated row."""

    def test_toml_json_and_mapping_give_equal_rows(self, model: tr.Model) -> None:
        rows = [
            model.load_case(CASES / "grundfall.toml").row,
            model.load_case(CASES / "grundfall.json").row,
            model.load_case(base_case()).row,
            model.load_case(str(CASES / "grundfall.toml")).row,
        ]
        for row in rows:
            assert inputs_of(row) == EXPECTED_ROW
        assert rows[0] == rows[1] == rows[2] == rows[3]

    def test_json_decimals_are_exact(self, model: tr.Model, tmp_path: Path) -> None:
        data = json.loads((CASES / "grundfall.json").read_text(encoding="utf-8"))
        case_file = tmp_path / "genau.json"
        case_file.write_text(json.dumps(data).replace("100.5", "100.12345678901234567891"), encoding="utf-8")
        row = model.load_case(case_file).row
        stunden = row["massnahmen"][0]["stunden"]
        assert isinstance(stunden, Decimal)
        assert stunden == Decimal("100.12345678901234567891")  # a float would have lost digits

    def test_no_float_in_a_row(self, model: tr.Model) -> None:
        case = with_changes(m2_stunden=12.25)  # a Python float given directly
        row = model.load_case(case).row
        assert row["massnahmen"][1]["stunden"] == Decimal("12.25")

        def walk(value: Any) -> None:
            assert not isinstance(value, float)
            if isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(row)

    def test_the_case_remembers_its_file(self, model: tr.Model) -> None:
        assert model.load_case(CASES / "grundfall.toml").source == str(CASES / "grundfall.toml")
        assert model.load_case(base_case()).source is None


class TestValues:
    """Quantities, percentages, dates and defaults are read as the model declares them."""

    @pytest.mark.parametrize(
        ("given", "expected"),
        [(5, Decimal("5")), ("5", Decimal("5")), ("5 min/Tag", Decimal("5")), (Decimal("5"), Decimal("5"))],
    )
    def test_quantity_strings_and_numbers(self, model: tr.Model, given: Any, expected: Decimal) -> None:
        assert model.load_case(with_changes(kap4=given)).row["kap4"] == expected

    @pytest.mark.parametrize("given", ["45 %", "45%", 45, Decimal("45"), "45"])
    def test_percent_is_read_as_a_share(self, model: tr.Model, given: Any) -> None:
        assert model.load_case(with_changes(zuschlag=given)).row["zuschlag"] == Decimal("0.45")

    def test_quantity_in_hours_of_a_list_element(self, model: tr.Model) -> None:
        row = model.load_case(with_changes(m2_stunden="12.5 h/Jahr")).row
        assert row["massnahmen"][1]["stunden"] == Decimal("12.5")

    @pytest.mark.parametrize("given", [dt.date(2026, 1, 1), "2026-01-01", "01.01.2026", " 01.01.2026 "])
    def test_dates(self, model: tr.Model, given: Any) -> None:
        assert model.load_case(with_changes(beginn=given)).row["beginn"] == dt.date(2026, 1, 1)

    @given(year=st.integers(0, 9999), month=st.integers(0, 99), day=st.integers(0, 99),
           german=st.booleans(), pad=st.booleans(), blank=st.sampled_from(["", " ", "\t", "\u00a0"]))
    @settings(max_examples=examples(300))
    def test_a_day_is_read_as_its_calendar_says(self, year: int, month: int, day: int, german: bool, pad: bool,
                                                blank: str) -> None:
        """Any text of either form, of real days and of none (month 13, 30 February, year 0,
        one or two digits of day and month): the day ``strptime`` reads in it, or none."""
        width = 2 if pad else 1
        d, m = f"{day:0{width}d}", f"{month:0{width}d}"
        text, pattern = (f"{d}.{m}.{year:04d}", "%d.%m.%Y") if german else (f"{year:04d}-{m}-{d}", "%Y-%m-%d")
        try:
            expected: dt.date | None = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            expected = None
        assert teilhabe_rules.inputs.cases.day_of_text(blank + text + blank) == expected

    @pytest.mark.parametrize("text", ["2025-01- 5", "2025-\u0660\u0661-05", "\uff12025-01-05", "+2025-01-05",
                                      "0000-01-01", "29.02.2100", "2025-01-05x", "2025/01/05", "2025-01-\ud800",
                                      "1.1.25", "2025-001-05", ""])
    def test_a_text_of_no_day_is_none(self, text: str) -> None:
        assert teilhabe_rules.inputs.cases.day_of_text(text) is None

    def test_toml_date_from_file(self, model: tr.Model) -> None:
        assert model.load_case(CASES / "grundfall.toml").row["beginn"] == dt.date(2025, 1, 1)

    @pytest.mark.parametrize("given", [dt.datetime(2026, 1, 1, 12, 0), "2026-13-01", "1.1.26", 20260101])
    def test_bad_dates(self, model: tr.Model, given: Any) -> None:
        error = case_error(model, with_changes(beginn=given))
        assert list(by_path(error)) == ["$.beginn"]
        assert "Datum" in error.diagnostics[0].message

    def test_defaults_are_filled(self, model: tr.Model) -> None:
        row = model.load_case(base_case()).row
        assert row["zuschlag"] == Decimal("0")
        assert row["extra"] == Decimal("0")
        assert row["massnahmen"][1]["personen"] == Decimal("1")
        assert row["lp2a.bewilligte_stufe"] is None

    def test_given_values_override_defaults(self, model: tr.Model) -> None:
        row = model.load_case(with_changes(extra="3 min/Tag", m2_personen=3)).row
        assert row["extra"] == Decimal("3")
        assert row["massnahmen"][1]["personen"] == Decimal("3")

    def test_enum_member_as_number_or_text(self, model: tr.Model) -> None:
        assert model.load_case(with_changes(pflegegrad="2")).row["pflegegrad"] == 2

    @given(digit=st.characters(categories=["Nd"]).filter(lambda ch: not "0" <= ch <= "9"),
           where=st.sampled_from(["kap4", "pflegegrad", "m2_stunden", "m2_personen"]),
           form=st.sampled_from(["{}", "1{}", "{}.5", "{} min/Tag", "1,{}"]))
    @settings(max_examples=examples(60), deadline=None)
    def test_digits_other_than_0_to_9_are_not_numbers(self, model: tr.Model, digit: str, where: str,
                                                      form: str) -> None:
        """"٣" or "３" is no number of a case (as in the JSON schema, and as DuckDB reads a
        column): Python's ``Decimal`` and ``\\d`` took them for 3."""
        error = case_error(model, with_changes(**{where: form.format(digit)}))
        assert list(by_path(error)) == [f"$.massnahmen[2].{where[3:]}" if where.startswith("m2_") else f"$.{where}"]


class TestKeys:
    """Unknown keys are rejected with a did-you-mean; missing required inputs name their path."""

    def test_unknown_key_with_did_you_mean(self, model: tr.Model) -> None:
        error = case_error(model, with_changes(kapp4=5))
        assert len(error.diagnostics) == 1
        diagnostic = error.diagnostics[0]
        assert diagnostic.path == "$.kapp4"
        assert "kapp4" in diagnostic.message
        assert "meinten Sie „kap4“" in diagnostic.message

    def test_unknown_key_in_a_package_table(self, model: tr.Model) -> None:
        error = case_error(model, with_changes(lp2a={"kap5": 2, "kap6": 0}))
        assert by_path(error).keys() == {"$.lp2a.kap6"}
        assert "kap5" in by_path(error)["$.lp2a.kap6"]

    def test_unknown_key_in_a_list_element(self, model: tr.Model) -> None:
        error = case_error(model, with_changes(m2_stunde=1))
        assert "$.massnahmen[2].stunde" in by_path(error)
        assert "meinten Sie „stunden“" in by_path(error)["$.massnahmen[2].stunde"]

    def test_unknown_key_without_a_close_match_lists_the_allowed(self, model: tr.Model) -> None:
        error = case_error(model, with_changes(m2_xyz=1))
        message = by_path(error)["$.massnahmen[2].xyz"]
        assert "bezeichnung" in message and "stunden" in message and "personen" in message

    @pytest.mark.parametrize(
        ("remove", "path"),
        [("kap4", "$.kap4"), ("beginn", "$.beginn"), ("lp2a", "$.lp2a"), ("massnahmen", "$.massnahmen")],
    )
    def test_missing_required_input(self, model: tr.Model, remove: str, path: str) -> None:
        case = base_case()
        del case[remove]
        error = case_error(model, case)
        assert by_path(error).keys() == {path}
        assert "fehlt" in by_path(error)[path]

    def test_missing_input_of_a_package_and_of_a_list_element(self, model: tr.Model) -> None:
        case = with_changes(lp2a={})
        del case["massnahmen"][1]["stunden"]
        error = case_error(model, case)
        assert by_path(error).keys() == {"$.lp2a.kap5", "$.massnahmen[2].stunden"}

    def test_error_text_names_the_path(self, model: tr.Model) -> None:
        error = case_error(model, with_changes(m2_stunden="viel"))
        assert "@ $.massnahmen[2].stunden" in str(error)
        assert "@ $.massnahmen[2].stunden" in error.render()
        assert error.to_dict()["meldungen"][0]["pfad"] == "$.massnahmen[2].stunden"
        assert error.to_dict()["fehlerart"] == "fall"


class TestWrongValues:
    """A wrong value is reported with the value itself and what is allowed."""

    @pytest.mark.parametrize(
        ("changes", "path", "fragments"),
        [
            ({"m2_stunden": "viel"}, "$.massnahmen[2].stunden", ["„viel“", "h/Jahr"]),
            ({"m2_stunden": True}, "$.massnahmen[2].stunden", ["ja", "h/Jahr"]),
            ({"m2_stunden": "5 min/Tag"}, "$.massnahmen[2].stunden", ["5 min/Tag", "min/Tag", "h/Jahr"]),
            ({"m2_stunden": "5 Äpfel"}, "$.massnahmen[2].stunden", ["Äpfel"]),
            ({"m2_stunden": 2500}, "$.massnahmen[2].stunden", ["2500", "0 bis 2000 h/Jahr"]),
            ({"m2_stunden": -1}, "$.massnahmen[2].stunden", ["-1", "0 bis 2000 h/Jahr"]),
            ({"m2_personen": "1.5"}, "$.massnahmen[2].personen", ["1.5", "ganze Zahl"]),
            ({"m2_personen": 4}, "$.massnahmen[2].personen", ["4", "1 bis 3"]),
            ({"m2_bezeichnung": 5}, "$.massnahmen[2].bezeichnung", ["5", "Text"]),
            ({"kap4": 3}, "$.kap4", ["3", "{0, 2, 5, 8, 16} min/Tag"]),
            ({"kap4": "3 min/Tag"}, "$.kap4", ["3 min/Tag", "{0, 2, 5, 8, 16}"]),
            ({"pflegegrad": 7}, "$.pflegegrad", ["7", "Pflegegrad", "0, 1, 2"]),
            ({"pflegegrad": "zwei"}, "$.pflegegrad", ["zwei", "0, 1, 2"]),
            ({"zuschlag": "60 %"}, "$.zuschlag", ["60 %", "0 bis 50 %"]),
            ({"extra": "15 h/Tag"}, "$.extra", ["15 h/Tag", "min/Tag"]),
            ({"lp2a": {"kap5": 5}}, "$.lp2a.kap5", ["5", "{0, 2, 9}"]),
        ],
    )
    def test_message_has_value_and_allowed(self, model: tr.Model, changes: dict[str, Any], path: str,
                                           fragments: list[str]) -> None:
        error = case_error(model, with_changes(**changes))
        messages = by_path(error)
        assert list(messages) == [path]
        for fragment in fragments:
            assert fragment in messages[path], (fragment, messages[path])

    @pytest.mark.parametrize(("path", "written", "meant"), [
        (("wohnform",), "eigene_haeuslichkeit", "eigene_häuslichkeit"),
        (("wohnform",), "Eigene Häuslichkeit", "eigene_häuslichkeit"),
        (("wohnform",), "besondere-wohnform", "besondere_wohnform"),
        (("wohnform",), "wohngemeinschaf", "wohngemeinschaft"),
        (("zeitabschnitte", 0, "massnahmen", 0, "art"), "QA", "qa"),
        (("zeitabschnitte", 0, "massnahmen", 0, "bereich"), "B2", "b2"),
    ])
    def test_a_member_written_another_way_is_named(self, path: tuple[Any, ...], written: str, meant: str) -> None:
        """A member of an enumeration written in capitals, with blanks, its umlauts written out or
        misspelt gets „meinten Sie …?“ after the members allowed (the value stays refused)."""
        model = tr.bundled("bei_nrw3")
        data = teilhabe_rules.inputs.cases.read_data(EIGENE_HAEUSLICHKEIT)
        place = data
        for step in path[:-1]:
            place = place[step]
        place[path[-1]] = written
        message = case_error(model, data).diagnostics[0].message
        assert message.startswith(f"„{written}“ gehört nicht zu ") and message.endswith(f"(meinten Sie „{meant}“?)")

    @pytest.mark.parametrize("written", ["2,0", "2.0", " 2 ", "2,00", "2"])
    def test_a_numbered_member_as_a_whole_number_with_zero_places_is_taken(self, model: tr.Model,
                                                                         written: str) -> None:
        """A level or numbered member written as text of a whole number with places of zero —
        „2,0“, as a German spreadsheet's cell of one place writes it — is that member, as the
        number 2.0 is and as „6,0“ is a whole number of places (before: „„2,0“ gehört nicht zu
        Pflegegrad; erlaubt: 0, 1, 2“)."""
        assert model.load_case(with_changes(pflegegrad=written)).row["pflegegrad"] == 2

    @pytest.mark.parametrize("written", ["2,5", "PG2", "2.01", ""])
    def test_a_numbered_member_of_places_or_words_is_refused(self, model: tr.Model, written: str) -> None:
        assert "gehört nicht zu Pflegegrad" in by_path(case_error(model, with_changes(pflegegrad=written)))[
            "$.pflegegrad"]

    def test_a_member_near_none_gets_no_guess(self) -> None:
        model = tr.bundled("bei_nrw3")
        data = teilhabe_rules.inputs.cases.read_data(EIGENE_HAEUSLICHKEIT)
        data["zeitabschnitte"][0]["massnahmen"][0]["bereich"] = "b9"  # (b1, b2 and b3 alike)
        assert "meinten Sie" not in case_error(model, data).diagnostics[0].message
        data["zeitabschnitte"][0]["massnahmen"][0]["bereich"] = "b22"  # (a short code: no guess)
        assert "meinten Sie" not in case_error(model, data).diagnostics[0].message

    def test_percent_bounds_are_shown_in_percent(self, model: tr.Model) -> None:
        message = by_path(case_error(model, with_changes(zuschlag=51)))["$.zuschlag"]
        assert "0 bis 50 %" in message
        assert "0.5" not in message

    def test_a_count_of_one_entry_is_singular(self, model: tr.Model) -> None:
        from teilhabe_rules.limits import list_length_problem

        assert by_path(case_error(model, with_changes(massnahmen=[]))) == {
            "$.massnahmen": "„massnahmen“ braucht mindestens 1 Eintrag, angegeben sind 0"}
        assert list_length_problem("l", 2, 1) == ("„l“ erlaubt höchstens 1 Eintrag, angegeben sind 2", None)
        assert list_length_problem("l", 1, 0) == ("„l“ erlaubt höchstens 0 Einträge, angegeben ist 1", None)

    def test_record_where_a_list_is_expected(self, model: tr.Model) -> None:
        error = case_error(model, with_changes(massnahmen={"bezeichnung": "A", "stunden": 1}))
        assert by_path(error).keys() == {"$.massnahmen"}
        assert "Liste" in by_path(error)["$.massnahmen"]

    def test_number_where_a_record_is_expected(self, model: tr.Model) -> None:
        case = with_changes(lp2a=5)
        case["massnahmen"].append(7)
        error = case_error(model, case)
        messages = by_path(error)
        assert messages.keys() == {"$.lp2a", "$.massnahmen[3]"}
        assert "Datensatz" in messages["$.lp2a"] and "5" in messages["$.lp2a"]
        assert "Datensatz" in messages["$.massnahmen[3]"] and "7" in messages["$.massnahmen[3]"]
        assert "object" not in error.render()  # no Python error text


class TestAllErrorsTogether:
    """Every problem of a case is reported in one error, each with its own path."""

    def test_all_errors_are_counted(self, model: tr.Model) -> None:
        case = with_changes(
            kap4=3,                      # not in auswahl
            pflegegrad=7,                # not a member
            zuschlag="60 %",             # out of range
            extra="1 h/Tag",             # wrong unit
            unbekannt=1,                 # unknown key
            lp2a={"kap5": 2, "bewilligte_stufe": 2},  # granted level without reason
        )
        del case["beginn"]               # missing
        case["massnahmen"][0]["stunden"] = "viel"     # wrong type
        case["massnahmen"][1]["personen"] = "1.5"     # not an integer
        case["massnahmen"] += [{"bezeichnung": "C", "stunden": 1},
                               {"bezeichnung": "D", "stunden": 1}]  # 4 > höchstens 3
        error = case_error(model, case)
        assert sorted(by_path(error)) == sorted([
            "$.kap4", "$.pflegegrad", "$.zuschlag", "$.extra", "$.unbekannt", "$.beginn",
            "$.massnahmen[1].stunden", "$.massnahmen[2].personen", "$.massnahmen", "$.lp2a.begründung",
        ])
        assert len(error.diagnostics) == 10
        assert all(d.is_error for d in error.diagnostics)
        assert len(error.to_dict()["meldungen"]) == 10

    def test_a_valid_case_has_no_errors(self, model: tr.Model) -> None:
        model.load_case(base_case())  # does not raise


class TestLists:
    """The number of list elements is bounded by ``mindestens`` and ``höchstens``."""

    def test_too_few(self, model: tr.Model) -> None:
        error = case_error(model, with_changes(massnahmen=[]))
        message = by_path(error)["$.massnahmen"]
        assert "mindestens 1" in message and "0" in message

    def test_too_many(self, model: tr.Model) -> None:
        items = [{"bezeichnung": str(i), "stunden": 1} for i in range(4)]
        error = case_error(model, with_changes(massnahmen=items))
        message = by_path(error)["$.massnahmen"]
        assert "höchstens 3" in message and "4" in message

    @pytest.mark.parametrize("count", [1, 3])
    def test_bounds_are_inclusive(self, model: tr.Model, count: int) -> None:
        items = [{"bezeichnung": str(i), "stunden": 1} for i in range(count)]
        assert len(model.load_case(with_changes(massnahmen=items)).row["massnahmen"]) == count

    def test_granted_level_needs_a_reason(self, model: tr.Model) -> None:
        error = case_error(model, with_changes(lp2a={"kap5": 2, "bewilligte_stufe": 2}))
        assert by_path(error).keys() == {"$.lp2a.begründung"}
        row = model.load_case(with_changes(lp2a={"kap5": 2, "bewilligte_stufe": 2, "begründung": "Gutachten"})).row
        assert row["lp2a.bewilligte_stufe"] == 2


class TestElementFiles:
    """A list element may be the path of a TOML or JSON file, relative to the case file."""

    @pytest.mark.parametrize("name", ["mit_dateien.toml", "mit_dateien.json"])
    def test_elements_from_files_equal_inline_elements(self, model: tr.Model, name: str) -> None:
        row = model.load_case(CASES / name).row
        assert inputs_of(row) == EXPECTED_ROW

    def test_paths_are_relative_to_the_case_file(self, model: tr.Model, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)  # not the directory of the case file
        assert inputs_of(model.load_case(CASES / "mit_dateien.toml").row) == EXPECTED_ROW

    def test_errors_point_into_the_element_file(self, model: tr.Model) -> None:
        error = case_error(model, CASES / "dateifehler.toml")
        located = {d.path: d for d in error.diagnostics}
        assert located.keys() == {"$.massnahmen[2]", "$.massnahmen[3].stunden"}
        # an unreadable element keeps its place: the third element is still [3]
        missing = located["$.massnahmen[2]"]
        assert "fehlt.toml" in missing.message
        too_many = located["$.massnahmen[3].stunden"]
        assert too_many.location is not None and Path(too_many.location.file).name == "zu_viel.toml"
        assert "5000" in too_many.message and "0 bis 2000 h/Jahr" in too_many.message

    def test_invalid_element_file_with_line(self, model: tr.Model) -> None:
        error = case_error(model, CASES / "element_kaputt.toml")
        located = {d.path: d for d in error.diagnostics}
        assert located.keys() == {"$.massnahmen[1]", "$.massnahmen[2].stunden"}
        broken = located["$.massnahmen[1]"]
        assert broken.location is not None
        assert Path(broken.location.file).name == "kaputt.toml"
        assert broken.location.line == 2  # `stunden = = 5`
        assert "mindestens" not in error.render()  # the broken element still counts

    def test_a_file_named_twice_gives_two_independent_elements(self, model: tr.Model,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(CASES)
        row = model.load_case(with_changes(massnahmen=["massnahmen/gruppe.toml", "massnahmen/gruppe.toml"])).row
        assert row["massnahmen"] == EXPECTED_ROW["massnahmen"][:1] * 2
        assert row["massnahmen"][0] is not row["massnahmen"][1]

    def test_a_broken_file_named_twice_is_reported_at_both_elements(self, model: tr.Model, tmp_path: Path) -> None:
        (tmp_path / "massnahmen").mkdir()
        broken = (CASES / "massnahmen" / "kaputt.toml").read_text(encoding="utf-8")
        (tmp_path / "massnahmen" / "kaputt.toml").write_text(broken, encoding="utf-8")
        text = (CASES / "element_kaputt.toml").read_text(encoding="utf-8").replace(
            '"massnahmen/zu_viel.toml"', '"massnahmen/kaputt.toml"')
        (tmp_path / "fall.toml").write_text(text, encoding="utf-8")
        error = case_error(model, tmp_path / "fall.toml")
        located = {d.path: d for d in error.diagnostics}
        assert located.keys() == {"$.massnahmen[1]", "$.massnahmen[2]"}
        for diagnostic in located.values():
            assert diagnostic.location is not None
            assert Path(diagnostic.location.file).name == "kaputt.toml" and diagnostic.location.line == 2

    def test_element_file_given_in_a_mapping_is_relative_to_the_working_directory(
        self, model: tr.Model, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(CASES)
        row = model.load_case(with_changes(massnahmen=["massnahmen/gruppe.toml"])).row
        assert row["massnahmen"] == EXPECTED_ROW["massnahmen"][:1]

    @pytest.mark.parametrize("kind", ["Path", "PathLike"])
    def test_an_element_file_given_as_a_path_object_is_read_as_its_text(
        self, model: tr.Model, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A ``pathlib.Path`` (or another ``os.PathLike``) naming an element file in a mapping
        is read as the ``str`` of its path is — never „erwartet … den Pfad einer TOML-/JSON-Datei“
        — and confined as it is: ``..`` out of the folder is refused."""

        class Named(os.PathLike[str]):  # another library's path type
            def __init__(self, name: str) -> None:
                self.name = name

            def __fspath__(self) -> str:
                return self.name

        def named(name: str) -> Any:
            return Path(name) if kind == "Path" else Named(name)

        monkeypatch.chdir(CASES)
        data = with_changes(massnahmen=[named("massnahmen/gruppe.toml")])
        assert model.load_case(data).row == model.load_case(with_changes(massnahmen=["massnahmen/gruppe.toml"])).row
        assert model.evaluate(data, base_dir=CASES).to_dict() == model.evaluate(
            with_changes(massnahmen=["massnahmen/gruppe.toml"]), base_dir=CASES).to_dict()
        (result,) = model.evaluate_many([data], base_dir=CASES).rows()
        assert result == model.evaluate_many([with_changes(massnahmen=["massnahmen/gruppe.toml"])]).rows()[0]
        outside = with_changes(massnahmen=[named("../cases/massnahmen/gruppe.toml")])
        with pytest.raises(CaseError, match="außerhalb von"):
            model.load_case(outside, base_dir=CASES / "massnahmen")


class TestBadDocuments:
    """A case that is not a table or not a readable document is a CaseError, never a raw exception."""

    @pytest.mark.parametrize("data", [[1, 2], "nur Text", 5, None])
    def test_case_that_is_not_a_table(self, model: tr.Model, data: Any) -> None:
        if isinstance(data, str):
            with pytest.raises(CaseError):  # a string is a file name; this one does not exist
                model.load_case(data)
            return
        error = case_error(model, data)
        assert error.diagnostics[0].path == "$"
        assert "Datensatz" in error.diagnostics[0].message

    def test_json_array_file(self, model: tr.Model) -> None:
        error = case_error(model, CASES / "keine_tabelle.json")
        assert error.diagnostics[0].path == "$"

    def test_invalid_toml_names_file_and_line(self, model: tr.Model) -> None:
        error = case_error(model, CASES / "kaputt.toml")
        location = error.diagnostics[0].location
        assert location is not None
        assert Path(location.file).name == "kaputt.toml"
        assert location.line == 3  # `kap4 = `
        assert re.search(r"kaputt\.toml:3:\d+", error.render())

    def test_invalid_json_names_file_and_line(self, model: tr.Model) -> None:
        error = case_error(model, CASES / "kaputt.json")
        location = error.diagnostics[0].location
        assert location is not None
        assert (Path(location.file).name, location.line) == ("kaputt.json", 3)

    def test_missing_file(self, model: tr.Model, tmp_path: Path) -> None:
        error = case_error(model, tmp_path / "gibt_es_nicht.toml")
        assert "gibt_es_nicht.toml" in error.render()

    def test_directory_instead_of_a_file(self, model: tr.Model, tmp_path: Path) -> None:
        error = case_error(model, tmp_path)
        assert str(tmp_path) in error.render()

    def test_not_utf8(self, model: tr.Model, tmp_path: Path) -> None:
        case_file = tmp_path / "latin1.toml"
        case_file.write_bytes("bezeichnung = 'Maßnahme'\n".encode("latin-1"))
        error = case_error(model, case_file)
        assert "latin1.toml" in error.render()


class TestOmittedLists:
    """A list the model allows to be empty may be left out of a case; one that needs elements may not."""

    def test_an_empty_allowed_list_may_be_left_out(self) -> None:
        model = tr.bundled("bei_nrw3")
        data = tr.inputs.cases.read_data(EIGENE_HAEUSLICHKEIT)
        assert model.checked.scopes["abrechnungsmonate"].min_count in (None, 0)
        assert model.checked.scopes["zeitabschnitte.massnahmen"].min_count in (None, 0)
        explicit = {**data, "abrechnungsmonate": [],
                    "zeitabschnitte": [{**za, "massnahmen": []} for za in data["zeitabschnitte"]]}
        omitted = {key: value for key, value in data.items() if key != "abrechnungsmonate"}
        omitted["zeitabschnitte"] = [{k: v for k, v in za.items() if k != "massnahmen"}
                                     for za in data["zeitabschnitte"]]
        assert model.evaluate(omitted).to_dict() == model.evaluate(explicit).to_dict()

    def test_a_list_that_needs_elements_is_still_required(self) -> None:
        model = tr.bundled("bei_nrw3")
        data = tr.inputs.cases.read_data(EIGENE_HAEUSLICHKEIT)
        assert model.checked.scopes["zeitabschnitte"].min_count
        del data["zeitabschnitte"]
        with pytest.raises(tr.CaseError) as caught:
            model.evaluate(data)
        assert any(d.path == "$.zeitabschnitte" and "fehlt" in d.message for d in caught.value.diagnostics)


@pytest.mark.parametrize(("value", "shown"), [(None, "leer (null)"), (b"\x00ab", "Binärdaten (3 Bytes)"),
                                              (bytearray(b"x"), "Binärdaten (1 Byte)"),
                                              (dt.timedelta(days=3), "eine Zeitspanne")])
def test_a_value_of_no_input_type_is_shown_in_the_words_of_its_data(model: tr.Model, value: Any,
                                                                      shown: str) -> None:
    """A message shows a value the input cannot take as the data holds it — JSON's ``null``, a
    table's binary cell or interval — never as Python writes it (``None``, ``b'…'``,
    ``3 days, 0:00:00``): as a number, a choice and a list element alike."""
    for changed, path in ((with_changes(kap4=value), "$.kap4"), (with_changes(pflegegrad=value), "$.pflegegrad")):
        with pytest.raises(CaseError) as caught:
            model.load_case(changed)
        (diagnostic,) = [d for d in caught.value.diagnostics if d.path == path]
        assert shown in diagnostic.message
        assert "None" not in diagnostic.message and "b'" not in diagnostic.message and "days" not in diagnostic.message
    element = base_case()
    element["massnahmen"].append(value)
    with pytest.raises(CaseError) as caught:
        model.load_case(element)
    assert any(shown in d.message and d.path == "$.massnahmen[3]" for d in caught.value.diagnostics)


@pytest.mark.parametrize(("first", "second"), [
    ("_x", "x"), ("_1", "y"), ("in", "class"), ("__x", "_x"), ("_p", "None"), ("ä", "_ä"),
])
def test_input_names_python_treats_apart_load_on_every_path(first: str, second: str) -> None:
    """Names a model may give inputs that Python's generated code would not take as arguments
    (a leading underscore, which attrs drops: ``_x`` beside ``x``, ``_1``; a Python keyword) —
    in the case, a package and a list: a case with them is loaded, checked (its faults with
    their paths) and evaluated on every path, never an internal error."""
    text = ('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
            f"eingabe {first}: zahl von 0 bis 9\neingabe {second}: zahl von 0 bis 9\n"
            'paket pk "P"\n  stufen\n    0 "a"\n    1 "b"\n  ende\n'
            f"  eingabe {first}: zahl von 0 bis 9\n  eingabe {second}: zahl von 0 bis 9\n"
            f"  stufe nach einschätzung\n  wert s = {first} + {second}\nende\n"
            f'liste {first}_l "L" mindestens 0 höchstens 3\n'
            f"  eingabe {first}: zahl von 0 bis 9\n  eingabe {second}: zahl von 0 bis 9\n"
            f"  wert e = {first} * 10 + {second}\nende\n"
            f"wert summe_e = summe({first}_l.e)\nwert a = {first} * 10 + {second} + pk.s\n")
    model = tr.loads(text)
    good = {first: 1, second: 2, "pk": {first: 3, second: 4, "stufe": 1}, f"{first}_l": [{first: 5, second: 6}]}
    bad = copy.deepcopy(good)
    bad[f"{first}_l"][0][second] = 60
    assert model.evaluate(good).frame.values(["a", "summe_e"]) == (Decimal(19), Decimal(56))
    with pytest.raises(tr.TeilhabeError) as info:
        model.evaluate(bad)
    assert [d.path for d in info.value.diagnostics] == [f"$.{first}_l[1].{second}"]  # (positions from 1)
    for backend in ("spalten", "skalar"):
        result = model.evaluate_many([good, bad], backend=backend)
        assert [(row["a"], row["summe_e"]) for row in result.rows()] == [(19, 56)], backend
        assert [error.index for error in result.errors] == [1], backend
        assert f"@ $.{first}_l[1].{second}" in result.errors[0].message, backend


@pytest.mark.parametrize(("name", "message"), [
    ("ǅx", "„ǅx“ ist kein Name in Unicode-Normalform (NFKC)"),
    ("ｆｕｌｌ", "„ｆｕｌｌ“ ist kein Name in Unicode-Normalform (NFKC)"),
    ("µ", "„µ“ ist kein Name in Unicode-Normalform (NFKC)"),
    ("ﬁx", "„ﬁx“ ist kein Name in Unicode-Normalform (NFKC)"),
    ("__new__", "„__new__“ ist ein Name, den Python selbst verwendet"),
    ("__slots__", "„__slots__“ ist ein Name, den Python selbst verwendet"),
    ("x\u09f4", "„x\u09f4“ enthält ein Zeichen, das in Namen nicht vorkommt"),
])
def test_a_name_python_would_read_otherwise_is_a_check_error(name: str, message: str) -> None:
    """A name Python reads as another (its NFKC form: ``ǅx`` as ``Džx``, ``ﬁx`` as ``fix``) or
    uses itself (``__new__``) made the case loader end in an internal error, every row of a
    batch lost: it is refused where it is defined, with the form to write as the hint."""
    text = ('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
            f"eingabe {name}: zahl von 0 bis 9\n")
    with pytest.raises(tr.TeilhabeError) as info:
        tr.loads(text)
    (found,) = info.value.diagnostics
    assert (found.message, found.location.line if found.location else None) == (message, 5)
    assert found.hint


@pytest.mark.parametrize("name", ["__x", "x__", "__", "Straße", "Äpfel", "dz_x"])
def test_names_in_normal_form_are_loaded(name: str) -> None:
    model = tr.loads('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                     f"eingabe {name}: zahl von 0 bis 9\nwert a = {name} + 1\n")
    result = model.evaluate_many([{name: 2}, {name: 20}])
    assert [row["a"] for row in result.rows()] == [3] and [e.index for e in result.errors] == [1]


@settings(max_examples=examples(200), deadline=None)
@given(st.dates())
def test_a_date_is_written_with_a_four_digit_year(day: dt.date) -> None:
    """``TT.MM.JJJJ`` for every date Python has, the year in four digits (``strftime`` writes the
    year 1 as ``1``), read back as the same day."""
    from teilhabe_rules.ir.text import date_text

    text = date_text(day)
    assert re.fullmatch(r"[0-9]{2}\.[0-9]{2}\.[0-9]{4}", text)
    assert dt.datetime.strptime(text, "%d.%m.%Y").date() == day


def test_a_date_before_the_year_1000_is_named_in_full() -> None:
    model = tr.loads('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\n  stichtag beginn\nende\n'
                     "eingabe beginn: datum\neingabe x: zahl von 0 bis 9\nwert a = x + 1\n")
    with pytest.raises(tr.TeilhabeError) as info:
        model.evaluate({"beginn": "0001-01-01", "x": 1})
    assert [d.message for d in info.value.diagnostics] == [
        "beginn 01.01.0001 liegt außerhalb der Gültigkeit von „probe 1“ (gültig ab 01.01.2024)"]


@pytest.mark.parametrize("written", ["1e400", "2E-3 h", "1e4h"])
def test_a_number_with_an_exponent_is_named_so(written: str) -> None:
    """``1e400`` in a case (a text cell, an agreement) is a number with an exponent, which a case
    does not take — said so, not „unbekannte Einheit „e400““."""
    model = tr.loads('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                     "eingabe x: zahl h von 0 bis 9\nwert a: h = x\n")
    with pytest.raises(tr.TeilhabeError) as info:
        model.evaluate({"x": written})
    assert [d.message for d in info.value.diagnostics] == [
        f"„{written}“ ist eine Zahl mit Exponent; Zahlen werden ausgeschrieben (0.002, nicht 2e-3)"]


@pytest.mark.parametrize("suffix", [".jsonl", ".NDJSON", ".csv", ".parquet"])
def test_a_population_file_given_as_a_case_points_to_eval_many(tmp_path: Path, suffix: str) -> None:
    """A JSON Lines, CSV or Parquet population given where one case is read (``eval``) is no
    TOML (a Parquet file no text at all): the error's hint says it is a population, which
    ``eval-many`` evaluates."""
    path = tmp_path / f"fälle{suffix}"
    if suffix == ".parquet":
        path.write_bytes(b"PAR1\x15\x00\x15\xff\xfe\x00PAR1")
    else:
        path.write_text('{"plaetze": 1}\n{"plaetze": 2}\n', encoding="utf-8")
    with pytest.raises(CaseError) as info:
        tr.bundled("mawo").load_case(path)
    (found,) = info.value.diagnostics
    assert found.hint == (f"eine {suffix.lower()}-Datei ist eine Population: eval-many wertet sie aus (ein Fall "
                          "ist eine .toml- oder .json-Datei)")


@pytest.mark.parametrize(("text", "read"), [
    ("1.200 h", None), ("-1.200 h", None), ("66.000 h", None), ("1,200 h", Decimal("1.2")),
    ("1.200,5 h", Decimal("1200.5")), ("1.234.567,5", Decimal("1234567.5")), ("1,234.5 h", Decimal("1234.5")),
    ("0.125 h", Decimal("0.125")), ("1.2345", Decimal("1.2345")), ("1234.567 h", Decimal("1234.567")),
    ("12,5 Stunden", Decimal("12.5")), ("1.200", Decimal("1.2")), ("-1.485", Decimal("-1.485")),
    ("1.234,5", Decimal("1234.5")),
])
def test_a_number_text_of_both_notations_is_an_error_on_every_path(text: str, read: Decimal | None,
                                                                   tmp_path: Path) -> None:
    """A number in a text of a case or an agreement is read as a CSV cell's: a decimal comma or a
    decimal point, thousands grouped (``1.234,5``); a quantity with a unit that reads both ways
    (``1.200 h``: 1.2 with a decimal point, 1200 with points grouping thousands) is an error —
    before, it was silently 1.2, in a case and in an agreement alike, on both backends. A number
    alone is read as JSON and programs write it (``str(Decimal("1.200"))``: 1.2)."""
    text_model = ('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                  "eingabe x: zahl h von -10000000 bis 10000000\n"
                  'parameter p: zahl h von -10000000 bis 10000000 = 1 h "P"\n'
                  "wert a: h = x + p\n")
    model = tr.loads(text_model)
    cases = [{"x": text}, {"x": 1}]
    if read is None:
        with pytest.raises(tr.TeilhabeError, match="ist mehrdeutig: mit Dezimalpunkt"):
            model.evaluate(cases[0])
    else:
        assert model.evaluate(cases[0]).value("a") == read + 1
    population = tmp_path / "f.jsonl"
    population.write_text("".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8")
    for backend in ("spalten", "skalar"):
        result = model.evaluate_many(population, backend=backend)
        if read is None:
            assert [error.index for error in result.errors] == [0], backend
            assert "ist mehrdeutig" in result.errors[0].message, backend
        else:
            assert [row["a"] for row in result.rows()] == [read + 1, 2], backend
    agreement = tmp_path / "v.toml"
    agreement.write_text(f'[vereinbarung]\nmodell = "probe"\n[parameter]\np = "{text}"\n', encoding="utf-8")
    if read is None:
        with pytest.raises(tr.TeilhabeError, match="ist mehrdeutig"):
            model.evaluate({"x": 1}, agreement)
    else:
        assert model.evaluate({"x": 1}, agreement).value("a") == read + 1


@pytest.mark.parametrize(("text", "read"), [
    ("1:1.000", None), ("1:28.410", None), ("1:28.41", Decimal("28.41")), ("1:1000", Decimal(1000)),
    ("1:0.125", Decimal("0.125")), ("1:1234.5", Decimal("1234.5")),
])
def test_a_staff_key_that_reads_both_ways_is_an_error_on_every_path(text: str, read: Decimal | None,
                                                                   tmp_path: Path) -> None:
    """``1:1.000`` is 1:1 with a decimal point and 1:1000 with a point grouping thousands: an error
    naming both, in a case (both backends) and in an agreement; before, it was 1:1 — a thousand
    times the staff."""
    model = tr.loads('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                     "eingabe k: schlüssel\nparameter p: schlüssel = 1:50 \"P\"\n"
                     "eingabe n: zahl von 0 bis 100\nwert a = k * n\nwert b = p * n\n")
    population = tmp_path / "f.jsonl"
    population.write_text(json.dumps({"k": text, "n": 30}) + "\n" + json.dumps({"k": "1:2", "n": 30}) + "\n", "utf-8")
    for backend in ("spalten", "skalar"):
        result = model.evaluate_many(population, backend=backend)
        if read is None:
            assert [error.index for error in result.errors] == [0], backend
            assert "ist mehrdeutig" in result.errors[0].message, backend
        else:
            places = Decimal("1e-12")  # (the plan's fixed point: 18 digits)
            assert [row["a"].quantize(places) for row in result.rows()] == [
                (Decimal(30) / read).quantize(places), 15], backend
    agreement = tmp_path / "v.toml"
    agreement.write_text(f'[vereinbarung]\nmodell = "probe"\n[parameter]\np = "{text}"\n', encoding="utf-8")
    if read is None:
        with pytest.raises(tr.TeilhabeError, match="ist mehrdeutig"):
            model.evaluate({"k": "1:2", "n": 30}, agreement)
    else:
        assert model.evaluate({"k": "1:2", "n": 30}, agreement).value("b") == Decimal(30) / read


class TestCaseLoadedForAnotherModel:
    """A case loaded by one model was checked against that model's inputs: a model of other
    inputs refuses it rather than take its values unchecked; one of the same inputs (a variant
    that changes values only) evaluates it as the data itself."""

    NARROW = """modell schmal "Schmal"
  gültig ab 01.01.2024
ende
eingabe x: zahl h von 0 bis 5
wert kosten: EUR = x * 10 EUR/h
"""

    def test_a_model_of_other_inputs_refuses_it(self) -> None:
        wide = tr.loads(self.NARROW.replace("schmal", "breit").replace("bis 5", "bis 10"), "breit.rules")
        narrow = tr.loads(self.NARROW, "schmal.rules")
        loaded = wide.load_case({"x": 8})
        with pytest.raises(CaseError) as info:  # (not 80 EUR from an x outside 0 bis 5)
            narrow.evaluate(loaded)
        (found,) = info.value.diagnostics
        assert found.message == "Der Fall wurde für das Modell „breit“ geladen; „schmal“ hat andere Eingaben"
        assert found.path == "$" and found.hint is not None and "Model.load_case" in found.hint
        with pytest.raises(CaseError, match="8 liegt außerhalb von 0 bis 5 h"):
            narrow.evaluate({"x": 8})

    def test_the_digest_of_the_inputs_is_made_only_for_a_case_of_another_model(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Loading and evaluating a model's own cases makes no digest of its inputs (a new process
        evaluating one case pays nothing for the check); a case of another model object makes it
        once per model."""
        import teilhabe_rules.model as model_module

        made: list[str] = []
        real = model_module.input_identity
        monkeypatch.setattr(model_module, "input_identity",
                            lambda checked: made.append(checked.info.name) or real(checked))
        narrow = tr.loads(self.NARROW, "schmal.rules")
        for x in (1, 2, 3):
            assert narrow.evaluate(narrow.load_case({"x": x})).value("kosten") == Decimal(x * 10)
        assert made == []
        twin = tr.loads(self.NARROW.replace("Schmal", "Zwilling"), "zwilling.rules")
        assert twin.evaluate(narrow.load_case({"x": 4})).value("kosten") == Decimal(40)
        assert twin.evaluate(narrow.load_case({"x": 5})).value("kosten") == Decimal(50)
        assert sorted(made) == ["schmal", "schmal"]  # (each model object once: twin and narrow are both „schmal“)

    def test_an_unrelated_model_names_the_case_not_a_missing_list(self) -> None:
        loaded = tr.bundled("mawo").load_case(Path(__file__).resolve().parents[2] / "examples/mawo/haus_linde.toml")
        with pytest.raises(CaseError, match="für das Modell „mawo“ geladen; „bei_nrw3“ hat andere Eingaben"):
            tr.bundled("bei_nrw3").evaluate(loaded)

    def test_a_variant_of_the_same_inputs_and_the_model_itself_take_it(self, model: tr.Model) -> None:
        import pickle

        case = Path(__file__).resolve().parents[2] / "examples/mawo/haus_linde.toml"
        base, variant = tr.bundled("mawo"), tr.bundled("mawo_2025")
        loaded = base.load_case(case)
        assert variant.evaluate(loaded, at=dt.date(2025, 3, 1)) == variant.evaluate(case, at=dt.date(2025, 3, 1))
        assert pickle.loads(pickle.dumps(base)).evaluate(pickle.loads(pickle.dumps(loaded))) == base.evaluate(case)
        assert model.evaluate(model.load_case(CASES / "grundfall.toml")) == model.evaluate(CASES / "grundfall.toml")

    def test_a_variant_declaring_an_input_anew_with_its_numbers_written_otherwise_takes_it(
            self, tmp_path: Path) -> None:
        """``bis 5.0`` is ``bis 5`` and ``standard 1.0 h`` is ``standard 1 h``: the inputs are the
        same, as ``compare`` finds them (and shares each case's check between the versions)."""
        from teilhabe_rules.tools.compare import compare

        base = self.NARROW.replace("gültig ab 01.01.2024", "gültig ab 01.01.2024\n  budget kosten").replace(
            "bis 5", "bis 5 standard 1 h")
        (tmp_path / "schmal.rules").write_text(base, encoding="utf-8")
        (tmp_path / "neu.rules").write_text(
            'modell neu "Neu"\n  erweitert "schmal"\nende\n'
            "eingabe x: zahl h von 0.0 bis 5.0 standard 1.0 h\nwert kosten: EUR = x * 11 EUR/h\n", encoding="utf-8")
        old, new = tr.load(tmp_path / "schmal.rules"), tr.load(tmp_path / "neu.rules")
        assert new.evaluate(old.load_case({"x": 2})).value("kosten") == Decimal(22)
        assert new.evaluate(old.load_case({})).value("kosten") == Decimal(11)
        (tmp_path / "faelle.jsonl").write_text('{"x": 2}\n{}\n', encoding="utf-8")
        summary = compare(old, new, tmp_path / "faelle.jsonl", backend="skalar")
        assert (summary.evaluated, summary.total_old, summary.total_new) == (2, Decimal(30), Decimal(33))
        assert old.same_inputs(new) and new.same_inputs(old)

    def test_models_of_other_inputs_are_told_apart_as_compare_tells_them(self) -> None:
        """:meth:`Model.same_inputs` is the one notion of „the same inputs“: a variant that changes
        values only has them, a model of other bounds or another list has not."""
        narrow = tr.loads(self.NARROW, "schmal.rules")
        assert narrow.same_inputs(tr.loads(self.NARROW.replace("Schmal", "Zwilling"), "zwilling.rules"))
        assert not narrow.same_inputs(tr.loads(self.NARROW.replace("bis 5", "bis 6"), "weit.rules"))
        assert tr.bundled("mawo").same_inputs(tr.bundled("mawo_2025"))
        assert not tr.bundled("mawo").same_inputs(tr.bundled("bei_nrw3"))


@pytest.mark.parametrize(("value", "shown"), [
    (float("nan"), "NaN"), (float("inf"), "Infinity"), (float("-inf"), "-Infinity"),
    (Decimal("NaN"), "NaN"), (Decimal("-Infinity"), "-Infinity"), (Decimal("sNaN"), "sNaN"),
])
def test_a_number_that_is_not_finite_is_named_in_json_s_words(value: object, shown: str) -> None:
    """NaN and the infinities (JSON's ``NaN``, ``Infinity``; a float or a Decimal) are named as
    a file writes them, not as Python prints a float (``nan``, ``inf``)."""
    model = tr.load(Path(__file__).resolve().parents[2] / "examples/daten/stunden.rules")
    with pytest.raises(CaseError) as info:
        model.evaluate({"beginn": "2025-03-01", "stunden": value})
    assert info.value.diagnostics[0].message == f"{shown} ist keine endliche Zahl"
    assert info.value.diagnostics[0].path == "$.stunden"


@pytest.mark.parametrize("text", ['{"beginn": "2025-03-01", "stunden": 1}', "stunden = 1", "beginn = 2025-03-01\nx=1"])
def test_a_case_s_data_as_text_given_for_a_file_name_is_told_to_be_read_first(text: str) -> None:
    model = tr.load(Path(__file__).resolve().parents[2] / "examples/daten/stunden.rules")
    with pytest.raises(CaseError) as info:
        model.evaluate(text)
    hint = info.value.diagnostics[0].hint or ""
    assert "gilt hier als Name einer Falldatei" in hint and "json.loads" in hint
    with pytest.raises(CaseError) as info:
        model.evaluate("fehlt.toml")
    assert info.value.diagnostics[0].hint is None
