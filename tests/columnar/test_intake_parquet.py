"""A Parquet population staged in SQL gives exactly the results and error rows of the case-by-case path."""

from __future__ import annotations

import copy
import datetime as _dt
import json
import random
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples
from test_columnar import _scalar
from test_intake import LINE_KINDS, _same, _spoil_line

import teilhabe_rules
from teilhabe_rules.columnar import run_batch
from teilhabe_rules.columnar.batch import column_types, stage_shared, staging
from teilhabe_rules.columnar.intake import Intake, parquet_cases, stage_parquet
from teilhabe_rules.columnar.sources import Unreadable, read_source
from teilhabe_rules.errors import TeilhabeError
from teilhabe_rules.inputs.cases import parse_document
from teilhabe_rules.inputs.population import NO_BOUNDS, elements_one, read_population
from teilhabe_rules.model import Model
from teilhabe_rules.tools.generate import write_population
from teilhabe_rules.tools.strategies import invalid_cases, sample_cases, sample_invalid_cases, valid_cases

MODELS = ("mawo", "mawo_2025", "bei_nrw2", "bei_nrw3")


# ---- writing cases as Parquet: a column type per place, inferred from the values ----


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Misfit(Exception):
    """Values of one place that no one column type holds: records beside lists or plain values."""


def _kind(values: list[Any]) -> str:
    """The DuckDB type of a place holding ``values``: the type of all of them where they agree
    (whole numbers BIGINT, other numbers DECIMAL(18, k)), a STRUCT of the union of the keys of
    records, a list of lists, VARCHAR for other plain values (each then as its text); records
    or lists beside other values: :class:`_Misfit`."""
    given = [v for v in values if v is not None]
    shapes = {dict if isinstance(v, dict) else list if isinstance(v, list) else str for v in given}
    if len(shapes) > 1:
        raise _Misfit
    if not given:
        return "VARCHAR"
    if all(isinstance(v, bool) for v in given):
        return "BOOLEAN"
    if all(isinstance(v, _dt.date) and not isinstance(v, _dt.datetime) for v in given):
        return "DATE"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in given) and all(abs(v) < 10**17 for v in given):
        return "BIGINT"
    if all(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in given):
        numbers = [Decimal(v) for v in given]
        if all(n.is_finite() for n in numbers):
            places = max(max(-int(n.as_tuple().exponent), 0) for n in numbers)
            if places <= 6 and all(abs(n) < Decimal(10) ** (17 - places) for n in numbers):
                return f"DECIMAL(18, {places})"
    if all(isinstance(v, dict) for v in given):
        keys: dict[str, list[Any]] = {}
        for v in given:
            for k, item in v.items():
                keys.setdefault(k, []).append(item)
        if not keys:
            return "VARCHAR"
        return "STRUCT(" + ", ".join(f"{_quoted(k)} {_kind(items)}" for k, items in keys.items()) + ")"
    if all(isinstance(v, list) for v in given):
        return _kind([item for v in given for item in v]) + "[]"
    return "VARCHAR"


def representable(cases: list[dict[str, Any]], extra: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``cases`` and those of ``extra`` that one Parquet file holds with them (:func:`_kind`)
    without making a column outside the nested ones a text column (whose number-like cells the
    table reader reads in the file's notation: they are all the loader's)."""
    kept = list(cases)
    top = _top_kinds(kept)
    for case in extra:
        try:
            found = _top_kinds([*kept, case])
        except _Misfit:
            continue
        if all(found[k] == kind for k, kind in top.items() if "(" not in kind and not kind.endswith("[]")):
            kept.append(case)
            top = found
    return kept


def _top_kinds(cases: list[dict[str, Any]]) -> dict[str, str]:
    names: dict[str, list[Any]] = {}
    for case in cases:
        for key, value in case.items():
            names.setdefault(key, []).append(value)
    return {name: _kind(values) for name, values in names.items()}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (_dt.date, Path)):
        return str(value)
    raise TypeError(type(value).__name__)


def write_parquet(cases: Iterable[dict[str, Any]], path: Path, **kinds: str) -> Path:
    """``cases`` as a Parquet file, one row each, the columns' types inferred (``kinds``: some given)."""
    rows = list(cases)
    names: dict[str, list[Any]] = {}
    for case in rows:
        for key, value in case.items():
            names.setdefault(key, []).append(value)
    columns = {name: kinds.get(name) or _kind(values) for name, values in names.items()}
    source = path.with_suffix(".jsonl")
    source.write_text("".join(json.dumps({k: _text_of(v, columns[k]) for k, v in c.items()}, default=_json_default,
                                         ensure_ascii=False) + "\n" for c in rows), "utf-8")
    con = duckdb.connect()
    if not columns:
        con.execute(f"COPY (SELECT 1 AS fall FROM range({len(rows)})) TO '{path}' (FORMAT parquet)")
        return path
    spec = "{" + ", ".join(f"'{k.replace(chr(39), chr(39) * 2)}': '{t.replace(chr(39), chr(39) * 2)}'"
                           for k, t in columns.items()) + "}"
    con.execute(f"COPY (SELECT * FROM read_json('{source}', format = 'newline_delimited', columns = {spec})) "
                f"TO '{path}' (FORMAT parquet)")
    source.unlink()
    return path


def _text_of(value: Any, kind: str) -> Any:
    """A value for a VARCHAR column as its text (a record or list as its JSON)."""
    if kind != "VARCHAR" or value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _staged(model: Model, path: Path, rows: int | None = None) -> Intake | None:
    plan = model.columnar_plan()
    types = {sid: column_types(plan, model.checked, sid) for sid in model.checked.scopes}
    folder = tempfile.mkdtemp(dir=path.parent)  # a fresh one: DuckDB writes files it has not seen
    return stage_parquet(plan, model.checked, staging(plan, model.checked), types, path, None, folder, rows=rows)


def _slow(model: Model, path: Path) -> list[int] | None:
    """The rows the intake leaves to the loader (None: the whole file), their data checked
    against the case-by-case reading of the file."""
    intake = _staged(model, path)
    if intake is None:
        return None
    try:
        cases = list(read_source(path))
        assert intake.count == len(cases)
        for index, data in intake.slow:
            assert data == cases[index], index
        slow = [index for index, _ in intake.slow]
        some = [i for i in range(len(cases)) if i not in slow][::3]  # staged ones, as the plan flags them
        assert intake.cases(some) == {i: cases[i] for i in some}
        return slow
    finally:
        intake.close()


# ---- tests ----


@pytest.mark.parametrize("name", MODELS)
def test_a_generated_parquet_population_is_staged_whole(name: str, tmp_path: Path) -> None:
    """``generate``'s Parquet file (nested STRUCT and list columns, DECIMAL, DATE, a key column):
    every row staged in SQL, results equal to the case-by-case path."""
    model = teilhabe_rules.bundled(name)
    path = tmp_path / "population.parquet"
    write_population(model, 60, 3, path)
    assert _slow(model, path) == []
    result = _same(model, path)
    assert result.cases == 60 and result.scalar_cases < 60


@pytest.mark.parametrize("name", MODELS)
def test_a_parquet_population_with_every_kind_of_bad_row_gives_the_old_paths_results(name: str,
                                                                                   tmp_path: Path) -> None:
    """Valid cases, each defect of the case generator (a wrong type, out of range, an unknown
    choice, a missing required input, too many list elements, …) and the line spoilers that
    still give a case (numbers as text, dates written otherwise, NULLs): one error row per bad row,
    the same messages and paths, the valid rows staged."""
    model = teilhabe_rules.bundled(name)
    good = list(sample_cases(model, 30, 41))
    bad = [case for case, _ in sample_invalid_cases(model, 30, 42)]
    pick = random.Random(43)
    extra: list[dict[str, Any]] = list(bad)
    for number, case in enumerate(good * 2):
        spoiled = _case_of(_spoil_line(case, LINE_KINDS[number % len(LINE_KINDS)], pick))
        if spoiled is not None:
            extra.append(spoiled)
    cases = representable(good, extra)
    pick.shuffle(cases)
    assert len(cases) >= len(good) + 15
    path = write_parquet(cases, tmp_path / "population.parquet")
    slow = _slow(model, path)
    assert slow is not None and len(slow) < len(cases) - 25
    result = _same(model, path)
    assert len(result.errors) >= 10
    assert result.scalar_cases < result.cases - 25


def _case_of(line: str) -> dict[str, Any] | None:
    try:
        data = parse_document(line, json_format=True)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@pytest.mark.parametrize("name", MODELS)
def test_generated_parquet_populations_with_injected_rows_give_the_old_paths_results(
        name: str, tmp_path_factory: Any) -> None:
    model = teilhabe_rules.bundled(name)
    rows = st.one_of(valid_cases(model), invalid_cases(model).map(lambda found: found[0]))

    @settings(max_examples=examples(3), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(rows, min_size=1, max_size=8))
    def check(drawn: list[dict[str, Any]]) -> None:
        cases = representable([], drawn)  # (a record where another case has a number: no one column)
        assume(cases)
        path = write_parquet(cases, tmp_path_factory.mktemp("p") / "population.parquet")
        _slow(model, path)
        _same(model, path)

    check()


def _mawo_cases(n: int, seed: int) -> list[dict[str, Any]]:
    return list(sample_cases(teilhabe_rules.bundled("mawo"), n, seed))


def test_nulls_in_nested_columns_are_left_out_as_the_reader_leaves_them_out(tmp_path: Path) -> None:
    """A NULL field of a struct is no input (its default applies) and a NULL list element is an
    error: the NULL-free rows are staged, the one with a NULL element goes to the loader."""
    model = teilhabe_rules.bundled("mawo")
    cases = _mawo_cases(6, 51)
    for case in cases[:3]:
        for resident in case["bewohner"]:
            resident["lp2a"]["bewilligte_stufe"] = None  # a granted level needs its reason
            resident["lp2a"]["begründung"] = None  # written as NULL: absent, as if not given
    path = write_parquet(cases, tmp_path / "population.parquet")
    with duckdb.connect() as con:
        nulls = con.execute(f"SELECT count(*) FROM '{path}' WHERE list_contains(list_transform(bewohner, "
                            "lambda b: b.lp2a.\"begründung\" IS NULL), true)").fetchone()
    assert nulls is not None and nulls[0] >= 3
    assert _slow(model, path) == []
    spoiled = tmp_path / "nullelement.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * REPLACE (CASE WHEN fall_nr = 2 THEN list_append(bewohner, NULL) ELSE bewohner "
                    f"END AS bewohner) FROM (SELECT *, row_number() OVER () AS fall_nr FROM '{path}')) "
                    f"TO '{tmp_path / 'tmp.parquet'}' (FORMAT parquet)")
        con.execute(f"COPY (SELECT * EXCLUDE (fall_nr) FROM '{tmp_path / 'tmp.parquet'}') TO '{spoiled}' "
                    "(FORMAT parquet)")
    assert _slow(model, spoiled) == [1]
    result = _same(model, spoiled)
    assert [e.index for e in result.errors] == [1]


def test_a_date_outside_the_models_validity_goes_to_the_loader(tmp_path: Path) -> None:
    model = teilhabe_rules.bundled("mawo_2025")
    cases = _mawo_cases(4, 52)
    assert model.info.valid_from is not None
    for case in cases:
        case["zeitraum_ab"] = model.info.valid_from - _dt.timedelta(days=1)
    path = write_parquet(cases + list(sample_cases(model, 4, 53)), tmp_path / "population.parquet")
    assert _slow(model, path) == [0, 1, 2, 3]
    result = _same(model, path)
    assert [e.index for e in result.errors] == [0, 1, 2, 3]
    assert all("Gültigkeit" in e.message for e in result.errors)


def test_text_cells_outside_nested_columns_are_read_as_the_table_reader_reads_them(tmp_path: Path) -> None:
    """A plain text cell (a date too) is staged; one the reader trims, reads as a number or as JSON
    goes to the loader with its data as the reader gives it."""
    model = teilhabe_rules.bundled("mawo")
    cases = _mawo_cases(9, 54)
    names = ["Haus A", " Haus B", "Haus C ", "", "12", '{"x": 1}', "Haus\u2028", "Ä", "2024-01-05"]
    for case, name in zip(cases, names, strict=True):
        case["name"] = name
    path = write_parquet(cases, tmp_path / "population.parquet")
    assert _slow(model, path) == [1, 2, 3, 4, 5, 6]
    _same(model, path)


def test_numbers_in_text_cells_are_read_in_the_notation_the_file_shows_first(tmp_path: Path) -> None:
    """Numbers in a text column: the decimal mark is detected at the first cell that tells and a
    later cell in the other notation is an error naming it — those rows are the loader's, read in
    order, with the same messages."""
    model = teilhabe_rules.bundled("mawo")
    cases = _mawo_cases(6, 58)
    for case, places in zip(cases, ["12", "1,5", "199", "2.5", "20 Plätze", "٣"], strict=True):
        case["plaetze"] = places
    path = write_parquet(cases, tmp_path / "population.parquet", plaetze="VARCHAR")
    assert _slow(model, path) == [0, 1, 2, 3, 4, 5]
    result = _same(model, path)
    assert any("Dezimalkomma" in e.message for e in result.errors)


@pytest.mark.parametrize("kind", ["DOUBLE", "FLOAT", "BLOB", "TIMESTAMP"])
def test_a_file_with_a_column_the_json_text_might_change_is_read_case_by_case(kind: str, tmp_path: Path) -> None:
    """A floating-point number (read as the Decimal of its shortest text), bytes, a timestamp:
    the whole file is read case by case, with the same results."""
    model = teilhabe_rules.bundled("mawo")
    path = tmp_path / "population.parquet"
    write_population(model, 6, 5, path)
    spoiled = tmp_path / "spoiled.parquet"
    value = {"DOUBLE": "CAST(plaetze AS DOUBLE) + 0.1", "FLOAT": "CAST(plaetze AS FLOAT)",
             "BLOB": "CAST('x' AS BLOB)", "TIMESTAMP": "TIMESTAMP '2024-01-01 00:00:00'"}[kind]
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * REPLACE ({value} AS plaetze) FROM '{path}') TO '{spoiled}' (FORMAT parquet)")
    assert _staged(model, spoiled) is None
    result = _same(model, spoiled)
    assert result.cases == 6


@pytest.mark.parametrize("date", ["DATE '10000-01-01'", "CAST(DATE '0001-01-01' - INTERVAL 1 DAY AS DATE)",
                                  "'infinity'::DATE", "DATE '2024-01-01'", "NULL"])
@pytest.mark.parametrize("where", ["bewohner", "zeitraum_ab"])
def test_a_date_beyond_pythons_dates_anywhere_means_case_by_case(date: str, where: str, tmp_path: Path) -> None:
    """A DATE Python cannot hold (after 9999, before the year 1, infinite) in a list's element or on
    the top level: the whole file is read case by case, with the same results — whether the file's
    statistics tell it (each row group's bounds) or its rows must be scanned; a date within them
    (or only NULLs) leaves the file to the intake, its statistics telling so without a scan."""
    from teilhabe_rules.columnar.intake import _dates_within

    model = teilhabe_rules.bundled("mawo")
    path = tmp_path / "population.parquet"
    write_population(model, 6, 5, path)
    spoiled = tmp_path / "spoiled.parquet"
    value = f"CASE WHEN fall_nr = 3 THEN {date} ELSE zeitraum_ab END" if where == "zeitraum_ab" else (
        f"CASE WHEN fall_nr = 3 THEN list_transform(bewohner, lambda b: struct_update(b, einstufung_bis := {date})) "
        "ELSE bewohner END")
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * EXCLUDE (fall_nr) REPLACE ({value} AS {where}) FROM (SELECT *, row_number() "
                    f"OVER () AS fall_nr FROM '{path}')) TO '{spoiled}' (FORMAT parquet)")
        within = _dates_within(con, str(spoiled), 2)
    beyond = date not in ("DATE '2024-01-01'", "NULL")
    assert within is not beyond
    assert (_staged(model, spoiled) is None) is beyond
    result = _same(model, spoiled)
    assert result.cases == 6


def test_a_date_where_a_text_is_read_means_case_by_case(tmp_path: Path) -> None:
    """A DATE is JSON text ``"2024-01-01"``, which a text input takes: where a text or choice is
    read, the loader must see the date itself."""
    model = teilhabe_rules.bundled("mawo")
    path = tmp_path / "population.parquet"
    write_population(model, 4, 6, path)
    spoiled = tmp_path / "spoiled.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * REPLACE (DATE '2024-01-01' AS name) FROM '{path}') TO '{spoiled}' "
                    "(FORMAT parquet)")
    assert _staged(model, spoiled) is None
    assert len(_same(model, spoiled).errors) == 4


def test_a_flat_file_of_data_paths_is_read_case_by_case(tmp_path: Path) -> None:
    """Columns named by data paths (``bewohner[1].lp2a.kap4``) or a list's flat columns: the table
    reader assembles the case, the intake leaves the file to it."""
    model = teilhabe_rules.bundled("bei_nrw2")
    cases = list(sample_cases(model, 5, 55))
    flat = [{"erstellt_am": c["erstellt_am"], "zeitraum_beginn": c["zeitraum_beginn"],
             "zeitraum_ende": c["zeitraum_ende"],
             **{f"massnahmen[{i}].{k}": v for i, m in enumerate(c["massnahmen"], start=1) for k, v in m.items()}}
            for c in cases]
    path = write_parquet(flat, tmp_path / "population.parquet")
    assert _staged(model, path) is None
    result = _same(model, path)
    assert result.cases == 5 and not result.errors


@pytest.mark.parametrize("keys", [[1, 2, 2, 3], [1, None, 2, 3], ["a", " b", "c", "d"]])
def test_a_key_column_that_joins_rows_means_case_by_case(keys: list[Any], tmp_path: Path) -> None:
    """Rows with the same key (or an empty one, continuing the case above) are one case; a key
    the reader trims might be: the file is read case by case."""
    model = teilhabe_rules.bundled("bei_nrw2")
    cases = [{"fall": key, **case} for key, case in zip(keys, sample_cases(model, 4, 56), strict=True)]
    path = write_parquet(cases, tmp_path / "population.parquet")
    assert _staged(model, path) is None
    result = _same(model, path)
    assert result.cases == len(list(read_source(path)))


def test_a_key_the_caller_has_checked_is_not_checked_again(tmp_path: Path) -> None:
    """``rows`` given (the caller has had ``parquet_cases`` check the key): the file is staged
    without reading its key again — the key of a file that ``parquet_cases`` refuses is then
    the caller's doing; without ``rows``, such a file is read case by case."""
    model = teilhabe_rules.bundled("bei_nrw2")
    cases = [{"fall": key, **case} for key, case in zip([1, 2, 2, 3], sample_cases(model, 4, 56), strict=True)]
    path = write_parquet(cases, tmp_path / "population.parquet")
    assert parquet_cases(path) is None and _staged(model, path) is None
    intake = _staged(model, path, rows=4)
    assert intake is not None
    intake.close()
    unique = write_parquet([{**case, "fall": n} for n, case in enumerate(cases)], tmp_path / "unique.parquet")
    found = parquet_cases(unique)
    assert found is not None and found[0] == 4
    for rows in (None, found[0]):
        intake = _staged(model, unique, rows)
        assert intake is not None and intake.count == 4
        intake.close()


def test_unknown_columns_and_a_list_too_long_go_to_the_loader(tmp_path: Path) -> None:
    model = teilhabe_rules.bundled("mawo")
    cases = _mawo_cases(5, 57)
    cases[1]["unbekannt"] = "x"
    resident = cases[3]["bewohner"][0]
    resident["massnahmen"] = [{"bezeichnung": "x", "stunden": 1}] * 21  # at most 20 measures
    path = write_parquet(cases, tmp_path / "population.parquet")
    assert _slow(model, path) == [1, 3]
    result = _same(model, path)
    assert [e.index for e in result.errors] == [1, 3]


def test_the_length_of_a_list_of_the_rows_is_checked_from_its_elements(tmp_path: Path) -> None:
    """A list column of the rows is not read for its length (its elements' table gives it): a list
    of 1 to 3 (``zeitabschnitte``) empty, missing or of 4 elements, one of 0 to 24
    (``abrechnungsmonate``) of 25 go to the loader; that one missing or empty, or either at its
    bounds, is staged."""
    model = teilhabe_rules.bundled("bei_nrw3")
    cases = list(sample_cases(model, 9, 61))
    month = next(m for case in sample_cases(model, 20, 62) for m in case.get("abrechnungsmonate", []))
    for case in cases:
        case["zeitabschnitte"] = case["zeitabschnitte"][:1]
        case.pop("abrechnungsmonate", None)
    cases[1]["zeitabschnitte"] = []
    del cases[2]["zeitabschnitte"]
    cases[3]["zeitabschnitte"] = cases[3]["zeitabschnitte"] * 4
    cases[4]["abrechnungsmonate"] = [month] * 25
    cases[5]["abrechnungsmonate"] = []
    cases[6]["zeitabschnitte"] = cases[6]["zeitabschnitte"] * 3
    cases[7]["abrechnungsmonate"] = [month] * 24
    cases[8]["abrechnungsmonate"] = [month]
    path = write_parquet(cases, tmp_path / "population.parquet")
    assert _slow(model, path) == [1, 2, 3, 4]
    result = _same(model, path)
    assert {1, 2, 3, 4} <= {e.index for e in result.errors}


@pytest.mark.parametrize("where", ["scratch", "home"])
@pytest.mark.parametrize("names", [("mawo", "mawo_2025"), ("mawo_2025", "mawo")])
def test_a_parquet_stage_shared_by_two_versions_gives_each_the_results_of_its_own(
        names: tuple[str, str], where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a JSON Lines file's (``test_intake``): each version gets what staging for it alone gives,
    the cases left to the loader (here one with too many places) among them."""
    from tests.columnar.test_intake import checked_in

    checked_in(where, monkeypatch)
    first, second = (teilhabe_rules.bundled(name) for name in names)
    cases = list(sample_cases(first, 20, 61)) + list(sample_cases(second, 20, 62))
    random.Random(63).shuffle(cases)
    cases[3]["plaetze"] = 5000
    path = write_parquet(cases, tmp_path / "population.parquet")
    shared = stage_shared(first.columnar_plan(), first.checked, path, None)
    assert shared is not None
    try:
        outside = 0
        for model in (second, first):
            alone = _same(model, path)
            together = run_batch(model.columnar_plan(), model.checked, shared, model.loader, _scalar(model))
            assert together.cases == alone.cases == len(cases)
            assert [(e.index, e.problems) for e in together.errors] == [(e.index, e.problems) for e in alone.errors]
            for sid in model.checked.scopes:
                assert together.rows(sid) == alone.rows(sid), sid
            outside += sum("außerhalb der Gültigkeit" in e.message for e in together.errors)
            assert 3 in [e.index for e in together.errors]
        assert outside > 0 and [index for index, _data in shared.intake.slow] == [3]
    finally:
        shared.close()


def _one_each(path: Path, listed: str, bounds: tuple[int, int] = NO_BOUNDS) -> bool:
    """``compare.one_element_each`` as the population reader answers it."""
    found = False
    for data in read_source(path):
        one = elements_one(data, listed, bounds)
        if one is None:
            continue
        if not one:
            return False
        found = True
    return found


@pytest.mark.parametrize("split", [True, False])
def test_one_element_each_of_a_parquet_file_is_the_population_readers_answer(split: bool, tmp_path: Path) -> None:
    from teilhabe_rules.columnar.intake import parquet_one_element_each

    model = teilhabe_rules.bundled("mawo")
    path = tmp_path / "population.parquet"
    write_population(model, 20, 9, path, split="bewohner" if split else None)
    assert parquet_one_element_each(path, "bewohner") is _one_each(path, "bewohner") is split
    assert parquet_one_element_each(path, "name") is _one_each(path, "name") is False
    cases = _mawo_cases(4, 59)
    for case in cases:
        case["bewohner"] = case["bewohner"][:1]
    path = write_parquet(cases, tmp_path / "one.parquet")
    assert parquet_one_element_each(path, "bewohner") is _one_each(path, "bewohner") is True
    cases[3]["bewohner"] = None  # a NULL list: none, which MAWo refuses, so it does not count there
    path = write_parquet(cases, tmp_path / "null.parquet")
    assert parquet_one_element_each(path, "bewohner") is _one_each(path, "bewohner") is False
    assert parquet_one_element_each(path, "bewohner", (1, 9)) is _one_each(path, "bewohner", (1, 9)) is True
    cases[2]["name"] = "1,5"  # a text read as a number: the reader decides
    path = write_parquet(cases, tmp_path / "two.parquet")
    assert parquet_one_element_each(path, "bewohner") is None
    assert _one_each(path, "bewohner") is False
    assert parquet_one_element_each(write_parquet(cases[:0], tmp_path / "none.parquet"), "bewohner") in (None, False)


# ---- what the JSON Lines screening would find in a Parquet row's JSON text: found on the typed values ----

_LONG_NUMBER = r"[0-9](\.?[0-9]){15}"  # the screening's number of 16 or more digits (see intake._queries)


@given(st.sampled_from(["BIGINT", "HUGEINT", "UBIGINT", "INTEGER", "DECIMAL(18, 0)", "DECIMAL(18, 6)",
                        "DECIMAL(38, 2)", "DECIMAL(38, 16)", "DECIMAL(15, 3)", "DECIMAL(16, 16)", "DECIMAL(15, 15)",
                        "DECIMAL(20, 14)", "DECIMAL(20, 15)", "DECIMAL(9, 0)", "DECIMAL(4, 2)", "DECIMAL(10, 3)",
                        "DECIMAL(4, 4)", "DECIMAL(12, 12)"]),
       st.integers(min_value=1, max_value=38).flatmap(
           lambda digits: st.integers(min_value=10 ** (digits - 1) if digits > 1 else 0, max_value=10**digits - 1)),
       st.booleans())
@settings(max_examples=examples(200), deadline=None)
def test_a_number_is_risky_where_the_screening_finds_16_digits_in_its_text(kind: str, mantissa: int,
                                                                           negative: bool) -> None:
    """A number of a Parquet column is screened on its typed value exactly where the JSON Lines
    screening would find 16 or more digits in its JSON text (all its scale's digits) — numbers of
    every number of digits; one not screened is read as the text DuckDB reads back from the JSON
    text of its row, which is the number exactly."""
    from sqlglot import exp

    from teilhabe_rules.columnar.intake import _risky, _value_text

    with duckdb.connect() as con:
        typed = con.sql(f"SELECT CAST(0 AS {kind}) AS v").types[0]
        scale = dict(typed.children)["scale"] if typed.id == "decimal" else 0
        value = Decimal(-mantissa if negative else mantissa).scaleb(-scale)
        found = con.execute(f"SELECT TRY_CAST(? AS {kind})", [str(value)]).fetchone()
        assume(found is not None and found[0] is not None)
        risky = _risky(exp.column("v"), typed, 1)
        # (TRY: a DECIMAL with no integer digit is written ".5", no JSON — it is screened)
        read_back = "TRY(CAST(json_extract('{\"v\":' || CAST(v AS VARCHAR) || '}', '$.v') AS VARCHAR))"
        row = con.execute(f"SELECT CAST(v AS VARCHAR), regexp_matches(CAST(v AS VARCHAR), '{_LONG_NUMBER}'), "
                          f"{risky.sql('duckdb') if risky is not None else 'false'}, "
                          f"{_value_text(exp.column('v'), typed).sql('duckdb')}, {read_back} "
                          f"FROM (SELECT CAST(? AS {kind}) AS v)", [str(value)]).fetchone()
    assert row is not None
    assert bool(row[2]) is bool(row[1]), (kind, value, row[0])
    if not row[2]:
        assert row[3] == row[4] or row[4] is None, (kind, value)  # None: that text was no JSON
        assert Decimal(row[3]) == value, (kind, value, row[3])


@pytest.mark.parametrize("text", ["A\x00B", "\x00", "AB", "1234567890123456", "\\u0000"])
def test_a_text_is_risky_where_it_holds_a_nul(text: str) -> None:
    from sqlglot import exp

    from teilhabe_rules.columnar.intake import _risky

    with duckdb.connect() as con:
        typed = con.sql("SELECT 'x' AS v").types[0]
        risky = _risky(exp.column("v"), typed, 1)
        assert risky is not None
        row = con.execute(f"SELECT {risky.sql('duckdb')} FROM (SELECT ? AS v)", [text]).fetchone()
    assert row == ("\x00" in text,)


def test_typed_values_of_the_inputs_types_are_read_as_they_are(tmp_path: Path) -> None:
    """A value whose type is the input's is read as it is, not as its JSON text: a NUL in a nested
    text, a text of 16 digits — each row staged; a number of 16 digits in a nested DECIMAL is
    beyond its input's range, the loader's (a whole number of 16 digits staged: the test below).
    The results are the case-by-case path's."""
    model = teilhabe_rules.bundled("mawo")
    cases = _mawo_cases(6, 57)
    cases[1]["bewohner"][0]["kuerzel"] = "A\x00B"
    cases[2]["bewohner"][0]["kuerzel"] = "1234567890123456"
    cases[4]["bewohner"][0]["lp3b"] = {"stunden": Decimal("1234567890.123456")}
    path = write_parquet(cases, tmp_path / "population.parquet")
    assert _slow(model, path) == [4]
    _same(model, path)


WIDE = ('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        "eingabe x: ganzzahl von -100000000000000000 bis 100000000000000000\n"
        "eingabe t: text\n"
        "wert y = x + 1\n")


@pytest.mark.parametrize(("kind", "slow"), [("DECIMAL(18, 1)", [0]), ("DECIMAL(18, 0)", []), ("BIGINT", [])])
def test_a_number_read_as_its_json_text_that_the_decoders_would_read_apart_goes_to_the_loader(
        kind: str, slow: list[int], tmp_path: Path) -> None:
    """A whole number in a DECIMAL with a fractional digit is read as its JSON text, which DuckDB
    writes from a double: 2^53 + 1 has 16 digits, and the row goes to the loader (staged, it
    would be 2^53). Where the type is the input's, the value is read as it is and staged."""
    model = teilhabe_rules.loads(WIDE)
    cases = [{"x": 2**53 + 1, "t": "a"}, {"x": 5, "t": "b"}]
    path = write_parquet(cases, tmp_path / "population.parquet", x=kind)
    assert _slow(model, path) == slow
    result = _same(model, path)
    assert [row["y"] for row in result.rows()] == [2**53 + 2, 6]


def _generated_and_replaced(model: Model, seed: int, replace: str, folder: Path) -> tuple[Path, Path]:
    """A generated Parquet file of 8 cases, and a copy with the columns ``replace`` (``expr AS name, …``)."""
    path = folder / "population.parquet"
    write_population(model, 8, seed, path)
    changed = folder / "changed.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * REPLACE ({replace}) FROM '{path}') TO '{changed}' (FORMAT parquet)")
    return path, changed


@pytest.mark.parametrize(("column", "value", "slow"), [
    # a record where a number is read, a number where a package table is, numbers where a list of
    # records is, one record where a list is: every row the loader's
    ("plaetze", "{'zahl': plaetze}", "all"),
    ("bewohner", "[{'kuerzel': b.kuerzel, 'lp2a': 3} FOR b IN bewohner]", "all"),
    ("bewohner", "[len(b.massnahmen) FOR b IN bewohner]", "all"),
    ("bewohner", "bewohner[1]", "all"),
    # an unknown field of a list's record or of a package table: only where it is set
    ("bewohner", "[struct_insert(b, neu := CASE WHEN fall % 2 = 0 THEN 1 END) FOR b IN bewohner]", "even"),
    ("bewohner", "[struct_update(b, lp2c := struct_insert(b.lp2c, neu := CASE WHEN fall % 2 = 0 THEN 'x' END)) "
                 "FOR b IN bewohner]", "even"),
])
def test_typed_values_of_another_shape_than_the_model_reads_go_to_the_loader(column: str, value: str, slow: str,
                                                                             tmp_path: Path) -> None:
    """The intake reads a Parquet row's typed values, not a JSON text of them: a value of another
    shape than the input, package table or list it stands for, and a field no input has, leave the
    row to the loader exactly where its JSON text would, with the case-by-case path's results."""
    model = teilhabe_rules.bundled("mawo")
    _path, spoiled = _generated_and_replaced(model, 61, f"{value} AS {column}", tmp_path)
    with duckdb.connect() as con:
        (fall,) = con.execute(f"SELECT list(fall ORDER BY file_row_number) FROM read_parquet('{spoiled}', "
                              "file_row_number = true)").fetchone() or ([],)
    expected = list(range(8)) if slow == "all" else [i for i, key in enumerate(fall) if key % 2 == 0]
    assert 0 < len(expected) <= 8
    assert _slow(model, spoiled) == expected
    result = _same(model, spoiled)
    assert set(expected) <= {e.index for e in result.errors}  # (a generated case may fail a prüfung too)


@pytest.mark.parametrize("value", ["CAST(plaetze AS DECIMAL(18, 6)) AS plaetze",
                                   "CAST(plaetze AS DECIMAL(38, 3)) AS plaetze",
                                   "CAST(plaetze AS DECIMAL(9, 2)) AS plaetze",
                                   "CAST(nachtdienst AS DECIMAL(9, 0)) AS nachtdienst",
                                   "CAST(nachtdienst AS DECIMAL(18, 0)) AS nachtdienst",
                                   "[struct_update(b, lp3a := struct_update(b.lp3a, kap1 := CAST(b.lp3a.kap1 AS "
                                   "DECIMAL(18, 4)))) FOR b IN bewohner] AS bewohner"])
def test_a_number_in_a_decimal_column_of_any_width_is_staged_as_in_a_json_text(value: str, tmp_path: Path) -> None:
    """A number is read as the JSON number it is in a JSON text, whatever the width and scale of
    its DECIMAL column (``12.000000`` as ``12.0``, a level ``2`` of a ``DECIMAL(9, 0)`` as ``2``):
    the rows staged are those of the generated file, with the case-by-case path's results."""
    model = teilhabe_rules.bundled("mawo")
    path, widened = _generated_and_replaced(model, 62, value, tmp_path)
    assert _slow(model, widened) == _slow(model, path) == []
    _same(model, widened)


def test_a_row_with_an_unreadable_cell_is_an_error_of_its_own_case(tmp_path: Path) -> None:
    """A text cell where a list is read that starts like JSON and is none makes its row
    unreadable; the population reader reads its key all the same, so the row is an error of its
    own case, not of the case above it: five rows, five cases, two of them error rows — on the
    staged path as case by case."""
    model = teilhabe_rules.bundled("bei_nrw2")
    cases = [{"fall": number + 1, **case} for number, case in enumerate(sample_cases(model, 5, 63))]
    for number, case in enumerate(cases):
        case["massnahmen"] = "[{'bezeichnung': x}]" if number in (1, 3) else "[]"
    path = write_parquet(cases, tmp_path / "population.parquet", massnahmen="VARCHAR")
    read = list(read_source(path))
    assert len(read) == 5 and [isinstance(data, Unreadable) for data in read] == [False, True, False, True, False]
    assert _slow(model, path) is not None
    result = _same(model, path)
    assert result.cases == 5 and sorted(error.index for error in result.errors if error.index in (1, 3)) == [1, 3]


def test_a_key_that_starts_like_json_names_its_case(tmp_path: Path) -> None:
    """A key cell that starts like JSON but is none (``[3``) is the text of its case's key, as
    every key cell: the file is staged, five cases from five rows, with the ids the population
    reader gives — the same results as case by case."""
    model = teilhabe_rules.bundled("bei_nrw2")
    cases = [{"fall": str(number + 1), **case} for number, case in enumerate(sample_cases(model, 5, 63))]
    cases[2]["fall"] = "[3"
    path = write_parquet(cases, tmp_path / "population.parquet", fall="VARCHAR")
    assert _staged(model, path) is not None
    result = _same(model, path)
    assert result.cases == 5
    assert [row.id for row in read_population(path)] == ["1", "2", "[3", "4", "5"]
    found = parquet_cases(path)
    assert found is not None and found[1]([0, 2, 4]) == ["1", "[3", "5"]


@pytest.mark.parametrize(("key", "staged"), [("1,5", True), ("12h", True), ("[3]", True), ('{"a":1}', True),
                                             (" 3", False), ("3\t", False), ("007", True), ("-3", True),
                                             ("Haus 3", True)])
def test_a_key_text_the_reader_writes_anew_means_case_by_case(tmp_path: Path, key: str, staged: bool) -> None:
    """A key text with blanks around it, which the population reader takes without them, would
    name its case otherwise, or make two keys one: the file is read case by case. Every other
    text — a number in any notation, JSON — is a key as it is, and staged. Both give the same
    results and ids."""
    model = teilhabe_rules.bundled("bei_nrw2")
    cases = [{"fall": str(number + 1), **case} for number, case in enumerate(sample_cases(model, 4, 63))]
    cases[2]["fall"] = key
    path = write_parquet(cases, tmp_path / "population.parquet", fall="VARCHAR")
    assert (_staged(model, path) is not None) == staged
    assert (parquet_cases(path) is not None) == staged
    _same(model, path)
    assert [row.id for row in read_population(path)][2] == key.strip()


@pytest.mark.parametrize("kind", ["jsonl-ascii", "jsonl", "parquet"])
def test_a_reason_of_blanks_only_is_no_reason_on_every_path(kind: str, tmp_path: Path) -> None:
    """A granted level needs a reason; spaces, tabs, line breaks and other blanks (as
    ``str.strip`` sees them, some written as JSON escapes) are none — the same error row on the
    SQL intake as on the case loader, and the JSON Schema refuses it too."""
    from jsonschema import Draft202012Validator

    from teilhabe_rules.inputs.cases import no_reason
    from teilhabe_rules.tools.schema import json_schema

    model = teilhabe_rules.bundled("mawo")
    reasons = ["Nachtunruhe", " ", "\t", " \n ", "\u00a0", "\u3000 ", "\u2028", "\x1c", " x ", "\ufeff"]
    cases = []
    for number, reason in enumerate(reasons):
        case = next(iter(sample_cases(model, 1, 50 + number)))
        case["bewohner"] = case["bewohner"][:1]
        case["bewohner"][0]["lp2a"].update({"bewilligte_stufe": 1, "begründung": reason})
        cases.append(case)
    if kind == "parquet":
        path = write_parquet(cases, tmp_path / "p.parquet")
    else:
        path = tmp_path / "p.jsonl"
        path.write_text("".join(json.dumps(case, default=str, ensure_ascii=kind == "jsonl-ascii") + "\n"
                                for case in cases), "utf-8")
    result = _same(model, path)
    blank = [number for number, reason in enumerate(reasons) if not reason.strip()]
    assert result.scalar_cases == len(blank)  # the rest staged in SQL; a bad row's message from the loader
    assert [error.index for error in result.errors] == blank == [1, 2, 3, 4, 5, 6, 7]
    for error in result.errors:
        assert error.problems == (("Die bewilligte Stufe 1 von „lp2a“ braucht eine Begründung",
                                   "$.bewohner[1].lp2a.begründung"),)
    assert [no_reason(reason) for reason in reasons] == [number in blank for number in range(len(reasons))]
    schema = Draft202012Validator(json_schema(model.checked, "fall"))
    assert [number for number, case in enumerate(cases) if not schema.is_valid(json.loads(json.dumps(
        case, default=str)))] == blank


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_float_that_is_no_finite_number_is_the_error_row_of_model_evaluate(value: str, tmp_path: Path) -> None:
    """NaN or an infinity in a Parquet DOUBLE column — of the case or nested in a list's records —
    makes the error row ``Model.evaluate`` gives for the same value (a float of Python): the
    message and the ``$.path`` of each, on both backends, beside the valid rows — not a row
    without a path naming only the first such cell."""
    model = teilhabe_rules.bundled("mawo")
    cases = list(sample_cases(model, 3, 5))
    for case in cases:
        case["bewohner"] = case["bewohner"][:1]
    path = write_parquet(cases, tmp_path / "population.parquet")
    spoiled = tmp_path / "spoiled.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * EXCLUDE (r) REPLACE (CASE WHEN r = 1 THEN '{value}'::DOUBLE ELSE plaetze::DOUBLE END "
            f"AS plaetze, [struct_update(b, lp3a := struct_update(b.lp3a, kap1 := CASE WHEN r = 1 THEN "
            f"'{value}'::DOUBLE ELSE b.lp3a.kap1::DOUBLE END)) FOR b IN bewohner] AS bewohner) FROM (SELECT *, "
            f"row_number() OVER () - 1 AS r FROM read_parquet('{path}'))) TO '{spoiled}' (FORMAT parquet)")
    bad = copy.deepcopy(cases[1])
    bad["plaetze"] = float(value)
    bad["bewohner"][0]["lp3a"]["kap1"] = float(value)
    with pytest.raises(TeilhabeError) as info:
        model.evaluate(bad)
    expected = tuple((d.message, d.path) for d in info.value.diagnostics)
    assert [path for _, path in expected] == ["$.plaetze", "$.bewohner[1].lp3a.kap1"]
    for backend in ("spalten", "skalar"):
        result = model.evaluate_many(spoiled, backend=backend)
        assert [(e.index, e.problems) for e in result.errors] == [(1, expected)]
        assert [row["_c"] for row in result.rows()] == [0, 2]


def test_a_nan_given_in_two_rows_of_a_case_is_one_value(tmp_path: Path) -> None:
    """A value of the case given in each of its rows agrees where both rows hold NaN (which no
    comparison finds equal): the case's error row names the NaN at its path, as for one row."""
    model = teilhabe_rules.bundled("mawo")
    path = tmp_path / "flach.parquet"
    with duckdb.connect() as con:
        con.execute("COPY (SELECT * FROM (VALUES ('a', 'nan'::DOUBLE, 'X1'), ('a', 'nan'::DOUBLE, 'X2'), "
                    "('b', 'nan'::DOUBLE, 'Y1')) t(fall, plaetze, \"bewohner[].kuerzel\")) "
                    f"TO '{path}' (FORMAT parquet)")
    result = model.evaluate_many(path)
    assert [e.index for e in result.errors] == [0, 1]
    for error in result.errors:
        assert ("NaN ist keine endliche Zahl", "$.plaetze") in error.problems
        assert all(where is not None and where.startswith("$") for _, where in error.problems)
