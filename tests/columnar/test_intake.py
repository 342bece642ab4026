"""A JSON Lines population staged in SQL gives exactly the results and error rows of the case-by-case path."""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import json
import os
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples
from test_columnar import _scalar

import teilhabe_rules
from teilhabe_rules.columnar import BatchResult, Plan, run_batch
from teilhabe_rules.columnar.batch import SharedStage, stage_shared
from teilhabe_rules.columnar.plan import FIX
from teilhabe_rules.columnar.sources import read_source
from teilhabe_rules.model import Model
from teilhabe_rules.tools.strategies import invalid_cases, sample_cases, sample_invalid_cases, valid_cases

MODELS = ("mawo", "mawo_2025", "bei_nrw2", "bei_nrw3")


def _old_path(model: Model, path: Path) -> BatchResult:
    """``evaluate_many`` as before: every case through the case loader, one by one."""
    plan = model.columnar_plan()
    return run_batch(plan, model.checked, read_source(path), model.loader, _scalar(model))


def _same(model: Model, path: Path) -> BatchResult:
    """The staged path's result, asserted equal to the old path's."""
    new = model.evaluate_many(path)
    old = _old_path(model, path)
    assert new.cases == old.cases
    assert [(e.index, e.problems, e.hints) for e in new.errors] == [(e.index, e.problems, e.hints) for e in old.errors]
    plan = model.columnar_plan()
    for sid in model.checked.scopes:
        new_rows, old_rows = new.rows(sid), old.rows(sid)
        assert len(new_rows) == len(old_rows), sid
        for mine, theirs in zip(new_rows, old_rows, strict=True):
            if mine["_skalar"] == theirs["_skalar"]:
                assert mine == theirs
                continue
            # a row the SQL checks leave to the loader (a duplicate key, a number of many digits): the
            # scalar backend's exact figures, which the plan's figures of the old path equal as the
            # differential tests require of every plan figure
            assert mine["_skalar"] and not theirs["_skalar"], (sid, theirs["_c"])
            for key, value in theirs.items():
                if key != "_skalar":
                    assert _agree(plan, sid, key, value, mine[key]), (sid, theirs["_c"], key)
    return new


def _agree(plan: Any, sid: str, key: str, figure: Any, exact: Any) -> bool:
    """Whether the plan's ``figure`` is the scalar backend's ``exact`` value (see test_columnar.mismatches)."""
    if not (isinstance(figure, Decimal) and isinstance(exact, Decimal)):
        return bool(figure == exact)
    places = figure.as_tuple().exponent
    assert isinstance(places, int)
    meta = plan.columns[sid].get(key)
    if meta is None or not meta.err and -places < FIX:
        return exact.quantize(Decimal(1).scaleb(places), rounding=decimal.ROUND_HALF_UP) == figure
    return abs(exact - figure) <= Decimal(float(meta.err)) + Decimal(2).scaleb(-FIX) + abs(exact).scaleb(-26)


def _line(case: Any) -> str:
    return json.dumps(case, default=str, ensure_ascii=False)


def _numbers(case: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every number of a case's data."""
    found: list[tuple[Any, Any]] = []
    items = case.items() if isinstance(case, dict) else enumerate(case) if isinstance(case, list) else []
    for key, value in items:
        if isinstance(value, (dict, list)):
            found += _numbers(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) or isinstance(value, str) and (
                value.replace(".", "", 1).isdigit()):
            found.append((case, key))
    return found


def _texts(case: Any, suffix: str = "") -> list[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = []
    items = case.items() if isinstance(case, dict) else enumerate(case) if isinstance(case, list) else []
    for key, value in items:
        if isinstance(value, (dict, list)):
            found += _texts(value)
        elif isinstance(value, str):
            found.append((case, key))
    return found


def _objects(case: Any) -> list[dict[str, Any]]:
    """Every object inside a case's data (elements, package tables), not the case itself."""
    found: list[dict[str, Any]] = []
    items = case.values() if isinstance(case, dict) else case if isinstance(case, list) else []
    for value in items:
        if isinstance(value, dict):
            found.append(value)
        if isinstance(value, (dict, list)):
            found += _objects(value)
    return found


# line-level injections: each a text the loader or the JSON decoder treats in its own way
def _spoil_line(case: dict[str, Any], kind: str, pick: random.Random) -> str:
    data = copy.deepcopy(case)
    numbers = _numbers(data)
    texts = _texts(data)
    if kind == "viele Stellen" and numbers:
        holder, key = pick.choice(numbers)
        holder[key] = "§Z§"
        return _line(data).replace('"§Z§"', "1.00000000000000000001")
    if kind == "sieben Nachkommastellen" and numbers:
        holder, key = pick.choice(numbers)
        holder[key] = "§Z§"
        return _line(data).replace('"§Z§"', "1.0000001")
    if kind == "Exponent" and numbers:
        holder, key = pick.choice(numbers)
        holder[key] = "§Z§"
        return _line(data).replace('"§Z§"', pick.choice(["1e-400", "2E0", "1e2"]))
    if kind == "NaN" and numbers:
        holder, key = pick.choice(numbers)
        holder[key] = "§Z§"
        return _line(data).replace('"§Z§"', pick.choice(["NaN", "Infinity", "-Infinity"]))
    if kind == "Komma am Ende":
        return _line(data)[:-1] + ",}"
    if kind == "doppelter Schlüssel":
        key = pick.choice(sorted(data))
        return _line(data)[:-1] + ", " + json.dumps(key) + ": " + _line(data[key]) + "}"
    if kind == "Schlüssel tief doppelt oder fremd":
        inner = [o for o in _objects(data) if o]
        if inner:
            holder = pick.choice(inner)
            key = pick.choice(sorted(holder))
            holder["§D§"] = pick.choice([holder[key], None, 1])
            twice = pick.random() < 0.5  # the key twice (the loader takes the last), or one not allowed here
            return _line(data).replace('"§D§"', json.dumps(key) if twice else '"gibt_es_nicht"')
        return _line(data)
    if kind == "kaputt":
        return _line(data)[: pick.randrange(1, len(_line(data)))]
    if kind == "keine Tabelle":
        return pick.choice(["[1, 2]", "5", '"Fall"', "null", "true"])
    if kind == "Text mit Nullzeichen" and texts:
        holder, key = pick.choice(texts)
        holder[key] = "a\x00b"
        return _line(data)
    if kind == "Datum anders" and texts:
        holder, key = pick.choice(texts)
        holder[key] = pick.choice(["2024-1-5", " 2024-01-05", "05.01.2024", "0000-01-01", "2024-02-30", "31.12.9999"])
        return _line(data)
    if kind == "Zahl als Text" and numbers:
        holder, key = pick.choice(numbers)
        holder[key] = pick.choice(["2,5", " 2.5", "2.5 h/Woche", "1:48", "+1", "-0", "0.50", "٣",
                                   "1.500", "-2.250", "1,500", "1.500,5", "0.125"])
        return _line(data)
    if kind == "Liste als Datei":
        lists = [k for k, v in data.items() if isinstance(v, list)]
        if lists:
            data[pick.choice(lists)].append("fall.json")
        return _line(data)
    if kind == "Nachbarschaft" and numbers:
        holder, key = pick.choice(numbers)
        holder[key] = pick.choice([True, None, [], {}, -1, 10**13, "1.5"])
        return _line(data)
    return _line(data)


LINE_KINDS = ("viele Stellen", "sieben Nachkommastellen", "Exponent", "NaN", "Komma am Ende", "doppelter Schlüssel",
              "Schlüssel tief doppelt oder fremd",
              "kaputt", "keine Tabelle", "Text mit Nullzeichen", "Datum anders", "Zahl als Text", "Liste als Datei",
              "Nachbarschaft", "unverändert")


@pytest.mark.parametrize("name", MODELS)
def test_a_population_with_every_kind_of_bad_row_gives_the_old_paths_results(name: str, tmp_path: Path) -> None:
    model = teilhabe_rules.bundled(name)
    good = list(sample_cases(model, 30, 21))
    bad = [case for case, _ in sample_invalid_cases(model, 30, 22)]
    pick = random.Random(23)
    lines = []
    for number, case in enumerate(good):
        lines.append(_line(case))
        lines.append(_line(bad[number]))
        lines.append(_spoil_line(case, LINE_KINDS[number % len(LINE_KINDS)], pick))
        if number % 7 == 0:
            lines.append("   ")  # a blank line is no case
    path = tmp_path / "population.jsonl"
    path.write_text("\r\n".join(lines) + "\n", "utf-8")
    result = _same(model, path)
    assert len(result.errors) >= 30
    # the valid cases were staged in SQL, not loaded one by one
    assert result.scalar_cases < result.cases - 25


@pytest.mark.parametrize("name", MODELS)
def test_generated_populations_with_injected_rows_give_the_old_paths_results(name: str, tmp_path_factory: Any) -> None:
    model = teilhabe_rules.bundled(name)
    rows = st.one_of(
        valid_cases(model).map(_line),
        invalid_cases(model).map(lambda found: _line(found[0])),
        st.tuples(valid_cases(model), st.sampled_from(LINE_KINDS), st.randoms(use_true_random=False)).map(
            lambda t: _spoil_line(t[0], t[1], t[2])),
    )

    @settings(max_examples=examples(3), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(rows, min_size=1, max_size=8))
    def check(lines: list[str]) -> None:
        path = tmp_path_factory.mktemp("p") / "population.jsonl"
        path.write_text("\n".join(lines), "utf-8")
        _same(model, path)

    check()


def test_a_file_that_is_not_plain_utf8_is_read_case_by_case(tmp_path: Path) -> None:
    model = teilhabe_rules.bundled("bei_nrw2")
    cases = list(sample_cases(model, 4, 2))
    path = tmp_path / "population.jsonl"
    path.write_bytes("\ufeff".encode() + "\n".join(_line(c) for c in cases).encode() + b"\n\xff\xfe{}\n")
    result = _same(model, path)
    assert [e.index for e in result.errors] == [4]


def test_flagged_cases_of_a_staged_file_are_evaluated_by_the_scalar_backend(tmp_path: Path) -> None:
    model = teilhabe_rules.bundled("mawo")
    case = next(iter(sample_cases(model, 1, 5)))
    case["bewohner"] = case["bewohner"][:1]
    case["bewohner"][0]["massnahmen"] = [{"bezeichnung": "Ausflug zu viert", "stunden": 40, "personen": 4}]
    path = tmp_path / "population.jsonl"
    path.write_text(_line(case) + "\n", "utf-8")
    result = _same(model, path)
    assert result.scalar_cases == 1 and len(result.errors) == 1


def test_excel_s_truth_words_are_staged_as_ja_and_nein(tmp_path: Path) -> None:
    """A ``ja_nein`` input written ``WAHR``/``FALSCH`` (as German Excel saves truth values) is
    staged in SQL as ``ja``/``nein`` are — the results of the case-by-case path, no case left to
    the scalar backend — and ``Wahr`` or ``VIELLEICHT`` is the loader's error row."""
    model = teilhabe_rules.bundled("mawo")
    cases = list(sample_cases(model, 6, 3))
    written = {True: ["WAHR", "ja", True], False: ["FALSCH", "nein", False]}
    lines = []
    for number, case in enumerate(cases):
        case = copy.deepcopy(case)
        for spec in model.checked.scopes[""].inputs:
            if spec.type.kind.value == "ja_nein" and isinstance(case.get(spec.id), bool):
                case[spec.id] = written[case[spec.id]][number % 3]
        lines.append(_line(case))
    flags = [spec.id for spec in model.checked.scopes[""].inputs if spec.type.kind.value == "ja_nein"]
    assert flags
    bad = copy.deepcopy(cases[0])
    bad[flags[0]] = "Wahr"
    lines.append(_line(bad))
    bad[flags[0]] = "VIELLEICHT"
    lines.append(_line(bad))
    path = tmp_path / "population.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = _same(model, path)
    assert [e.index for e in result.errors] == [len(cases), len(cases) + 1]
    assert [row["_skalar"] for row in result.rows()] == [False] * len(cases)
    assert result.rows() == model.evaluate_many(cases).rows()


def test_a_file_larger_than_the_intake_takes_is_read_case_by_case(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB reads a staged file as one text (its limit ~3.9 GiB): a file above ``MAX_FILE`` never
    reaches it, and its cases are read one by one with the same results."""
    from teilhabe_rules.columnar import intake

    model = teilhabe_rules.bundled("mawo")
    cases = list(sample_cases(model, 3, 7))
    path = tmp_path / "population.jsonl"
    path.write_text("\n".join(_line(c) for c in cases) + "\n", "utf-8")
    monkeypatch.setattr(intake, "MAX_FILE", 10)

    def not_read(_path: Path) -> bool:
        raise AssertionError("the file was opened for the intake")

    monkeypatch.setattr(intake, "plain_text_file", not_read)
    result = _same(model, path)
    assert result.cases == len(cases) and not result.errors


def _plain_oracle(data: bytes, longest: int) -> bool:
    """Whole: UTF-8, no byte order mark, no NUL byte, no line longer than ``longest`` bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\ufeff" not in text and "\x00" not in text and all(len(p) <= longest for p in data.split(b"\n"))


_VALID = [b"a", b"{", b"\n", b"\n", b"\r", "ä".encode(), "„".encode()]
_BAD = [b"\x00", "\ufeff".encode(), b"\xc3", b"\xa4", b"\xff"]


@st.composite
def _file_bytes(draw: st.DrawFn) -> bytes:
    """Mostly plain text; at times one bad piece (NUL, byte order mark, part of a character) in it."""
    pieces = draw(st.lists(st.sampled_from(_VALID), max_size=40))
    if draw(st.booleans()):
        pieces.insert(draw(st.integers(0, len(pieces))), draw(st.sampled_from(_BAD)))
    return b"".join(pieces)


@pytest.mark.parametrize(("chunk", "longest"), [(4, 6), (8, 3), (5, 5)])
@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_file_bytes())
@example(data=b"ab\n\xc3defg\xa4")  # ASCII after half a character (chunks of 4), completed later
@example(data=b"\nabcd\nef")  # a line too long within one chunk
def test_plain_text_is_read_chunk_by_chunk_as_if_whole(data: bytes, chunk: int, longest: int,
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read a chunk at a time — characters and line ends across chunks, chunks of ASCII after a
    character cut in two, lines longer than a chunk or within one — the answer is the whole file's."""
    from teilhabe_rules.columnar import intake

    monkeypatch.setattr(intake, "_CHUNK", chunk)
    monkeypatch.setattr(intake, "MAX_LINE", longest)
    path = tmp_path / "p.jsonl"
    path.write_bytes(data)
    intake._plain_text.cache_clear()
    assert intake.plain_text_file(path) == _plain_oracle(data, longest)


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    """Whether a file is plain text is remembered for the file as it is: a file changed since — in
    its size, or only in its time — is read again."""
    import os

    from teilhabe_rules.columnar.intake import plain_text_file

    path = tmp_path / "population.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    assert plain_text_file(path) and plain_text_file(path)
    path.write_bytes(b'{"a": 1}\x00\n')  # another size
    assert not plain_text_file(path)
    state = path.stat()
    path.write_bytes(b'{"a": 12}\n')  # the same size: only the time tells
    os.utime(path, ns=(state.st_atime_ns, state.st_mtime_ns + 1_000_000))
    assert plain_text_file(path)
    assert not plain_text_file(tmp_path / "fehlt.jsonl")


@pytest.mark.parametrize(("below", "size", "scratch"), [(None, None, True), (3, None, False), (None, 100, False)])
def test_a_small_population_is_staged_in_the_scratch_database(below: int | None, size: int | None, scratch: bool,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer lines than ``SCRATCH_BELOW`` and bytes than ``SCRATCH_BYTES``: the intake's tables go to
    the sandbox's scratch database (row groups DuckDB scans on several threads), else they stay in
    memory — the same results either way."""
    from teilhabe_rules.columnar import intake

    if below is not None:
        monkeypatch.setattr(intake, "SCRATCH_BELOW", below)
    if size is not None:
        monkeypatch.setattr(intake, "SCRATCH_BYTES", size)
    used: list[str] = []
    made = intake._sandbox

    class Recorded:
        def __init__(self, con: Any) -> None:
            self.con = con

        def execute(self, query: str, *args: Any) -> Any:
            if query.startswith("USE "):
                used.append(query)
            return self.con.execute(query, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.con, name)

    def sandbox(*args: Any, **options: Any) -> Any:
        found = made(*args, **options)
        if found is not None:
            found.connection = Recorded(found.connection)
        return found

    monkeypatch.setattr(intake, "_sandbox", sandbox)
    model = teilhabe_rules.bundled("mawo")
    cases = list(sample_cases(model, 5, 9))
    path = tmp_path / "population.jsonl"
    path.write_text("\n".join(_line(c) for c in cases) + "\n", "utf-8")
    result = _same(model, path)
    assert result.cases == len(cases)
    # done, the connection uses its own database again (the scratch one is let go)
    assert used == (["USE arbeit", "USE memory"] if scratch else ["USE memory"])


def test_duckdb_refusing_the_file_means_case_by_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error of DuckDB while staging (such as its limit on the size of a text) is no failure of
    the batch: the file is read case by case."""
    import duckdb

    from teilhabe_rules.columnar import intake

    model = teilhabe_rules.bundled("bei_nrw2")
    cases = list(sample_cases(model, 3, 8))
    path = tmp_path / "population.jsonl"
    path.write_text("\n".join(_line(c) for c in cases) + "\n", "utf-8")

    def refused(*_args: Any) -> list[str]:
        raise duckdb.InvalidInputException("file size exceeds maximum allowed file")

    monkeypatch.setattr(intake, "_queries", refused)
    result = _same(model, path)
    assert result.cases == len(cases)


def checked_in(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a shared stage checks its rows: the sandbox's ``scratch`` database (fewer lines than
    ``SCRATCH_BELOW``; the stage's tables are copies) or its ``home`` one (the stage's tables are
    views of the checked rows)."""
    from teilhabe_rules.columnar import intake

    if where == "home":
        monkeypatch.setattr(intake, "SCRATCH_BELOW", 0)


@pytest.mark.parametrize("where", ["scratch", "home"])
@pytest.mark.parametrize("names", [("mawo", "mawo_2025"), ("mawo_2025", "mawo")])
def test_a_stage_shared_by_two_versions_gives_each_the_results_of_its_own(names: tuple[str, str], where: str,
                                                                          tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Staged once (without the validity check) for two versions with the same inputs: each version's
    batch sets aside the cases outside its own validity and gets what staging for it alone gives —
    the rows checked in the scratch database or in the stage's own."""
    checked_in(where, monkeypatch)
    first, second = (teilhabe_rules.bundled(name) for name in names)
    good = list(sample_cases(first, 30, 31)) + list(sample_cases(second, 30, 32))
    pick = random.Random(33)
    lines = [_line(case) for case in good]
    lines += [_spoil_line(case, LINE_KINDS[number], pick) for number, case in enumerate(good[:len(LINE_KINDS)])]
    pick.shuffle(lines)
    path = tmp_path / "population.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    shared = stage_shared(first.columnar_plan(), first.checked, path, None)
    assert shared is not None
    try:
        outside = 0
        for model in (second, first):
            alone = model.evaluate_many(path)
            together = run_batch(model.columnar_plan(), model.checked, shared, model.loader, _scalar(model))
            assert together.cases == alone.cases == len(lines)
            assert [(e.index, e.problems) for e in together.errors] == [(e.index, e.problems) for e in alone.errors]
            for sid in model.checked.scopes:
                assert together.rows(sid) == alone.rows(sid), sid
            outside += sum("außerhalb der Gültigkeit" in e.message for e in together.errors)
        assert outside > 0  # mawo_2025 refuses the cases of 2024
    finally:
        shared.close()


def _staged_once(model: Model, cases: list[dict[str, Any]], folder: Path) -> tuple[Path, Plan, SharedStage]:
    """``cases`` as a JSON Lines file in ``folder``, ``model``'s plan, and the file staged once
    for it with each case's own date."""
    path = folder / "population.jsonl"
    path.write_text("\n".join(_line(case) for case in cases) + "\n", "utf-8")
    plan = model.columnar_plan()
    shared = stage_shared(plan, model.checked, path, None)
    assert shared is not None
    return path, plan, shared


@pytest.mark.parametrize("where", ["scratch", "home"])
def test_a_shared_stage_keeps_its_rows_in_its_own_database(where: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared stage writes no staged files: its rows are tables of its own database — copies of
    the rows checked in the scratch database, else views of those checked in its own — which its
    batches read (as views, changed by none of them) in connections of that database; a batch
    given any other connection is refused, and the stage serves the next batch the same."""
    from teilhabe_rules.duck import connect

    checked_in(where, monkeypatch)
    model = teilhabe_rules.bundled("mawo")
    cases = list(sample_cases(model, 20, 51))
    path, plan, shared = _staged_once(model, cases, tmp_path)
    try:
        assert not [name for name in os.listdir(shared.folder) if name.startswith("in")]
        assert shared.intake.tables is not None
        views = {name for (name,) in shared.cursor().execute("SELECT view_name FROM duckdb_views()").fetchall()}
        assert all((table.name in views) == (where == "home") for table in shared.intake.tables)
        alone = model.evaluate_many(path)
        foreign = connect()
        try:
            with pytest.raises(ValueError, match="SharedStage.cursor"):
                run_batch(plan, model.checked, shared, model.loader, _scalar(model), connection=foreign)
        finally:
            foreign.close()
        for connection in (None, shared.cursor(), None):
            together = run_batch(plan, model.checked, shared, model.loader, _scalar(model), connection=connection)
            assert together.cases == len(cases)
            for sid in model.checked.scopes:
                assert together.rows(sid) == alone.rows(sid), sid
        with pytest.raises(teilhabe_rules.CaseError, match="geteilte Stufe") as caught:  # its database writes no file
            together.write(str(tmp_path / "ergebnis.parquet"))
        assert caught.value.diagnostics[0].code == "ausgabe"
        assert not (tmp_path / "ergebnis.parquet").exists()
    finally:
        shared.close()


def test_a_stage_without_a_date_serves_batches_with_dates_of_their_own(tmp_path: Path) -> None:
    """Staged once with each case's own date: a batch with a date of its own puts it in, and gets
    what staging for it alone with that date gives (parameters, validity — mawo_2025 holds from
    2025 on, the cases are of 2024 and 2025), no case more on the scalar backend; a stage made
    for one date refuses a batch of another."""
    model = teilhabe_rules.bundled("mawo_2025")
    cases = list(sample_cases(teilhabe_rules.bundled("mawo"), 30, 41))
    path, plan, shared = _staged_once(model, cases, tmp_path)
    try:
        outcomes = []
        for day in (dt.date(2025, 7, 1), dt.date(2026, 7, 1), None):
            alone = model.evaluate_many(path, at=day)
            together = run_batch(model.columnar_plan(None, day), model.checked, shared, model.loader, _scalar(model),
                                 at=day)
            assert [(e.index, e.problems) for e in together.errors] == [(e.index, e.problems) for e in alone.errors]
            for sid in model.checked.scopes:
                assert together.rows(sid) == alone.rows(sid), (day, sid)
            assert together.scalar_cases == alone.scalar_cases
            outcomes.append((len(together.errors), together.rows()))
        assert outcomes[0][0] == 0 < outcomes[2][0]  # by their own date, the cases of 2024 are outside
        assert outcomes[0][1] != outcomes[1][1]  # the date's parameters
    finally:
        shared.close()
    dated = stage_shared(plan, model.checked, path, dt.date(2025, 7, 1))
    assert dated is not None
    try:
        with pytest.raises(ValueError, match="another date"):
            run_batch(plan, model.checked, dated, model.loader, _scalar(model), at=dt.date(2026, 7, 1))
    finally:
        dated.close()


def test_a_file_rewritten_in_place_with_its_old_time_is_read_again(tmp_path: Path) -> None:
    """A file rewritten in place to the same size and given its old modification time back (``cp -p``,
    ``touch -r``, a tar or a backup restoring it) is read again: its change time tells."""
    import os

    from teilhabe_rules.columnar.intake import plain_text_file

    path = tmp_path / "population.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    state = path.stat()
    assert plain_text_file(path)
    path.write_bytes(b'{"a":\x001}\n')  # the same size, a NUL byte: not plain text
    os.utime(path, ns=(state.st_atime_ns, state.st_mtime_ns))
    assert path.stat().st_ino == state.st_ino and path.stat().st_size == state.st_size
    assert not plain_text_file(path)


def test_a_case_asked_for_again_is_not_read_again() -> None:
    """The batches of a shared stage mostly send the same cases to the scalar backend: each case
    is read from the file once, and every batch gets it."""
    from teilhabe_rules.columnar.intake import Intake
    from teilhabe_rules.duck import Sandbox

    asked: list[list[int]] = []

    def read(indexes: Any) -> dict[int, Any]:
        asked.append(list(indexes))
        return {index: {"fall": index} for index in indexes if index != 99}  # 99: a line it cannot give

    with Sandbox([]) as sandbox:
        intake = Intake(sandbox, 100, read)
        assert intake.cases([3, 5]) == {3: {"fall": 3}, 5: {"fall": 5}}
        assert intake.cases([5, 7, 3]) == {5: {"fall": 5}, 7: {"fall": 7}, 3: {"fall": 3}}
        assert intake.cases([3]) == {3: {"fall": 3}} and intake.cases([]) == {}
        assert intake.cases([99, 3]) == {3: {"fall": 3}}
        assert asked == [[3, 5], [7], [99]]


@given(st.integers(min_value=0, max_value=9).flatmap(lambda scale: st.tuples(
    st.just(scale), st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=20).flatmap(
        lambda digits: st.integers(min_value=0, max_value=10**digits - 1)), st.integers(min_value=0, max_value=scale)),
        min_size=1, max_size=40))))
@example((6, [(False, 10**18 - 1, 6), (True, 10**18 - 1, 6), (False, 10**18, 6), (True, 1, 6), (True, 5, 0)]))
@example((9, [(False, 10**18 - 1, 9), (True, 10**18 - 1, 9), (True, 10**9 - 1, 9)]))
@settings(max_examples=examples(200), deadline=None)
def test_a_numbers_numerator_is_its_units_of_the_last_place_exactly(drawn: tuple[int, list[tuple[bool, int, int]]]
                                                                   ) -> None:
    """A decimal text of at most ``scale`` fractional digits gives the integer ``text × 10^scale``
    — both signs, whole numbers and fractions, up to the 18 digits ``DECIMAL(18, scale)`` holds —
    and NULL beyond them."""
    import duckdb
    from sqlglot import exp

    from teilhabe_rules.columnar.intake import _numerator

    scale, numbers = drawn
    texts, expected = [], []
    for negative, units, places in numbers:
        digits = str(units).rjust(places + 1, "0")
        text = ("-" if negative else "") + (digits[:-places] + "." + digits[-places:] if places else digits)
        texts.append(text)
        value = Decimal(text).scaleb(scale)
        expected.append(int(value) if abs(value) < 10**18 else None)
    query = exp.select(_numerator(exp.column("x"), scale)).from_(exp.Table(this=exp.Unnest(
        expressions=[exp.Placeholder()]), alias=exp.TableAlias(columns=[exp.to_identifier("x")])))
    with duckdb.connect() as con:
        found = [row[0] for row in con.execute(query.sql("duckdb"), [texts]).fetchall()]
    assert found == expected, texts
