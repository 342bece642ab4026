"""The columnar generator: valid, seeded cases of every bundled model, with the palette's boundaries."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.errors import CaseError
from teilhabe_rules.inputs.population import read_population
from teilhabe_rules.tools import generate as generate_module
from teilhabe_rules.tools.compare import generate_population
from teilhabe_rules.tools.generate import palettes, population_query, write_population
from teilhabe_rules.tools.strategies import case_space

MODELS = {name: teilhabe_rules.bundled(name) for name in ("mawo", "mawo_2025", "bei_nrw2", "bei_nrw3")}


def decoded(path: Path) -> list[dict[str, Any]]:
    with read_population(path) as population:
        out = []
        for row in population:
            data, error = row.decoded()
            assert error is None, error
            out.append(data)
        return out


def plain(value: Any) -> Any:
    """Case data with every number a Decimal (a JSON line and a Parquet cell read alike)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value).normalize()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_case_passes_the_case_loader_in_both_formats(name: str, tmp_path: Path) -> None:
    model = MODELS[name]
    assert write_population(model, 200, 5, tmp_path / "f.jsonl") == 200
    write_population(model, 200, 5, tmp_path / "f.parquet")
    from_json, from_parquet = decoded(tmp_path / "f.jsonl"), decoded(tmp_path / "f.parquet")
    assert len(from_json) == 200
    for data in from_json:
        model.load_case(data)  # raises CaseError for an invalid case
    assert [plain(d) for d in from_json] == [plain(d) for d in from_parquet]


def values_at(data: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """The values at a palette path (``bewohner.lp3b.stunden``) in every list element."""
    if not path:
        yield data
        return
    if isinstance(data, list):
        for item in data:
            yield from values_at(item, path)
        return
    if isinstance(data, dict) and path[0] in data:
        yield from values_at(data[path[0]], path[1:])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_boundary_of_the_palette_appears(name: str, tmp_path: Path) -> None:
    """Range ends and one step inside, the middle, corridor bounds ± one step, table keys,
    choices, members, levels: each is drawn in 3,000 cases (drawn as they are, before the
    element's own checks pick among several draws); each list length from the shortest to the
    longest occurs."""
    model = MODELS[name]
    space = case_space(model)
    target = tmp_path / "f.jsonl"
    with target.open("w", encoding="utf-8") as handle:
        write_population(model, 3000, 11, handle, repair=False)
    cases = [json.loads(line, parse_float=Decimal) for line in target.read_text(encoding="utf-8").splitlines()]
    missing = []
    for path, palette in palettes(model).items():
        if palette.derived:
            continue
        seen = {plain(v) if not isinstance(v, str) else v
                for case in cases for v in values_at(case, tuple(path.split(".")))}
        wanted = palette.values if palette.values is not None else palette.candidates
        for value in wanted:
            shown = value.isoformat() if hasattr(value, "isoformat") else value
            if (plain(shown) if not isinstance(shown, str) else shown) not in seen:
                missing.append((path, value))
    assert missing == []
    for sid, scope in model.checked.scopes.items():
        if not sid or sid in space.partitions:
            continue
        steps = tuple(space.checked.scopes[s].name for s in _chain(model, sid))
        lengths = {len(items) for case in cases for items in values_at(case, steps) if isinstance(items, list)}
        low = scope.min_count or 0
        high = max(low, 4 if scope.max_count is None else min(scope.max_count, 4))
        assert lengths == set(range(low, high + 1)), (sid, lengths)


def _chain(model: Any, scope: str) -> list[str]:
    chain = []
    sid: str | None = scope
    while sid:
        chain.append(sid)
        sid = model.checked.scopes[sid].parent
    return list(reversed(chain))


def test_corridor_boundaries_appear_as_sums(tmp_path: Path) -> None:
    """MAWo LP 2a (kap4 + kap5 + kap6 in min/Tag): every boundary target of the corridor is the
    sum of an element's inputs in a population of 3,000 persons."""
    model = MODELS["mawo"]
    plan = next(p for p in case_space(model).corridors if p.package == "lp2a")
    target = tmp_path / "f.jsonl"
    write_population(model, 3000, 2, target, split="bewohner")
    sums = set()
    for line in target.read_text(encoding="utf-8").splitlines():
        person = json.loads(line, parse_float=Decimal)["bewohner"][0]
        package = person.get("lp2a", {})
        sums.add(sum((Decimal(package.get(k.split(".")[-1], 0)) for k in plan.inputs), Decimal(0)))
    assert {t for t, _ in plan.combos} <= sums


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_the_same_seed_gives_the_same_bytes_for_any_number_of_threads(fmt: str, tmp_path: Path) -> None:
    model = MODELS["mawo_2025"]
    write_population(model, 500, 7, tmp_path / f"a.{fmt}", threads=1)
    write_population(model, 500, 7, tmp_path / f"b.{fmt}", threads=2)
    write_population(model, 500, 8, tmp_path / f"c.{fmt}", threads=2)
    first, second, other = ((tmp_path / f"{x}.{fmt}").read_bytes() for x in "abc")
    assert first == second != other


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), n=st.integers(1, 30), more=st.integers(1, 30))
def test_a_case_does_not_depend_on_the_size_of_the_population(seed: int, n: int, more: int) -> None:
    """Case k is a function of (seed, k): the first n cases of a larger population are the same."""
    model = MODELS["bei_nrw3"]
    small, large = io.StringIO(), io.StringIO()
    write_population(model, n, seed, small)
    write_population(model, n + more, seed, large)
    assert large.getvalue().splitlines()[:n] == small.getvalue().splitlines()


def test_no_floating_point_anywhere(tmp_path: Path) -> None:
    for name, model in MODELS.items():
        query = population_query(model, 10, 1)
        assert "DOUBLE" not in query and "FLOAT" not in query and "REAL" not in query, name
        write_population(model, 20, 1, tmp_path / f"{name}.parquet")
        with duckdb.connect() as con:
            kinds = [row[1] for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                                   [str(tmp_path / f"{name}.parquet")]).fetchall()]
        assert not any("DOUBLE" in k or "FLOAT" in k for k in kinds), (name, kinds)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_population_evaluates_row_for_row(name: str, tmp_path: Path) -> None:
    """evaluate_many: results + error rows = cases. MAWo persons pass the case loader, and
    nearly all meet their checks: the generator redraws the inputs an element's own checks read
    a few times, so a case fails one only now and then (as the generator's docs say) — and then
    it is a check of that case, which evaluating it alone reports the same way."""
    model = MODELS[name]
    split = "bewohner" if name.startswith("mawo") else None
    target = tmp_path / "f.parquet"
    write_population(model, 1000, 3, target, split=split)
    result = model.evaluate_many(target)
    assert result.cases == 1000 and result.evaluated + len(result.errors) == 1000
    if split:
        assert len(result.errors) <= 20, [e.message for e in result.errors]
        cases = decoded(target)
        for error in result.errors:
            loaded = model.load_case(cases[error.index])  # the inputs are valid
            with pytest.raises(CaseError) as alone:
                model.evaluate(loaded)
            assert [d.message for d in alone.value.diagnostics] == [m for m, _path in error.problems]


def test_checks_on_the_number_of_elements_and_on_own_inputs_are_met(tmp_path: Path) -> None:
    """A list its element's checks bound is cut to what they allow (MAWo: no more residents than
    places; BEI_NRW 3: billing months only with a Leistungstyp), and a group of checks that shares
    no input with the others is met on its own (BEI_NRW 3: the second Leistungstyp 24 or none,
    whatever the other checks' draws) — the offers of MAWo and BEI_NRW 3 evaluate far more often."""
    offers = tmp_path / "mawo.jsonl"
    write_population(MODELS["mawo"], 1000, 5, offers)
    cases = [json.loads(line) for line in offers.read_text(encoding="utf-8").splitlines()]
    assert all(len(case["bewohner"]) <= case["plaetze"] for case in cases)
    assert len({len(case["bewohner"]) for case in cases}) == 4  # (one to four residents, still)
    result = MODELS["mawo"].evaluate_many(offers)
    assert len(result.errors) <= 50, [e.message for e in result.errors][:5]  # (ILB-4 hours now and then)
    plans = tmp_path / "bei_nrw3.jsonl"
    write_population(MODELS["bei_nrw3"], 1000, 5, plans)
    cases = [json.loads(line) for line in plans.read_text(encoding="utf-8").splitlines()]
    assert all(case.get("leistungstyp_tagesstruktur", 0) in (0, 24) for case in cases)
    assert all(case.get("leistungstyp", 0) not in (0, 24) for case in cases if case.get("abrechnungsmonate"))
    assert any(case.get("abrechnungsmonate") for case in cases)
    result = MODELS["bei_nrw3"].evaluate_many(plans)
    assert result.evaluated >= 700, [e.message for e in result.errors][:5]  # (before: about a quarter)


BOUNDED = """\
modell g "G"
  version "1"
  gültig ab 01.01.2024
ende
eingabe aktiv: ja_nein "aktiv"
eingabe plaetze: ganzzahl von 0 bis 5 "Plätze"
eingabe grenze: zahl von 0 bis 99999999999999999 "eine Grenze jenseits von BIGINT, mal 1000"
liste leute "Leute"
  eingabe n: ganzzahl von 0 bis 3 "n"
  liste dinge "Dinge"
    eingabe w: zahl h von 0 bis 10 "w"
  ende
  prüfung "zu viele Dinge": anzahl(dinge) <= n
ende
liste posten "Posten"
  eingabe b: zahl von 0 bis 10 "b"
ende
prüfung "Leute nur, wenn aktiv": aktiv oder anzahl(leute) = 0
prüfung "nicht mehr Leute als Plätze": anzahl(leute) <= plaetze
prüfung "Grenze": anzahl(posten) <= grenze * 1000
wert s = anzahl(leute)
"""


def test_a_bounded_list_is_cut_but_a_split_list_keeps_its_element(tmp_path: Path) -> None:
    """Nested lists are cut to their checks; a bound beyond BIGINT cuts nothing (and fails
    nothing); the list a population is split by keeps exactly one element in every case."""
    model = teilhabe_rules.loads(BOUNDED, "g.rules")
    target = tmp_path / "g.jsonl"
    write_population(model, 500, 3, target)
    cases = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    for case in cases:
        assert len(case["leute"]) <= case.get("plaetze", 0) and (case.get("aktiv") or not case["leute"])
        assert all(len(person.get("dinge", [])) <= person.get("n", 0) for person in case["leute"])
    assert {len(case["posten"]) for case in cases} == {0, 1, 2, 3, 4}
    assert model.evaluate_many(target).evaluated == 500
    split = tmp_path / "split.jsonl"
    write_population(model, 500, 3, split, split="leute")
    assert {len(json.loads(line)["leute"]) for line in split.read_text(encoding="utf-8").splitlines()} == {1}


def test_the_cli_writes_columnar_by_default_and_hypothesis_on_request(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "p.parquet"
    assert main(["generate", "mawo", "-n", "40", "--split", "bewohner", "--out", str(target)], out, err) == 0
    with duckdb.connect() as con:
        columns = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(target)]).fetchall()]
    assert "bewohner" in columns and not any("[]" in c for c in columns)  # nested, one row per case
    assert len(decoded(target)) == 40
    assert main(["generate", "mawo", "-n", "3", "--out", str(tmp_path / "h.parquet"), "--verfahren", "hypothesis"],
                out, err) == 0
    with duckdb.connect() as con:
        flat = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                          [str(tmp_path / "h.parquet")]).fetchall()]
    assert "bewohner[].kuerzel" in flat
    stdout = io.StringIO()
    assert main(["generate", "bei_nrw2", "-n", "5", "--seed", "3"], stdout, err) == 0
    lines = stdout.getvalue().splitlines()
    assert len(lines) == 5 and all(MODELS["bei_nrw2"].load_case(json.loads(line, parse_float=Decimal))
                                   for line in lines)
    assert main(["generate", "mawo", "-n", "3", "--out", str(tmp_path / "x.csv"), "--verfahren", "spaltenweise"],
                out, err) == 2
    assert "spaltenweise schreibt Parquet oder JSON Lines" in err.getvalue()


def test_a_console_without_unicode_gets_json_escapes() -> None:
    model = MODELS["mawo"]
    wide, narrow = io.StringIO(), io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    generate_population(model, 30, 1, wide)
    generate_population(model, 30, 1, narrow)
    narrow.flush()
    text = narrow.buffer.getvalue().decode("ascii")  # type: ignore[attr-defined]
    assert "\\u00df" in text or "\\u00c4" in text
    assert [json.loads(line) for line in text.splitlines()] == [json.loads(line) for line in
                                                                wide.getvalue().splitlines()]


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_an_interrupted_write_leaves_nothing(suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    connect = generate_module._connection

    class Interrupted:
        """DuckDB's connection, interrupted while it writes the file."""

        def __init__(self, con: Any) -> None:
            self.con = con

        def execute(self, sql: str, *args: Any) -> Any:
            if sql.startswith("COPY"):
                self.con.execute(sql, *args)  # the file is written in the staging folder, not published
                raise KeyboardInterrupt
            return self.con.execute(sql, *args)

    monkeypatch.setattr(generate_module, "_connection", lambda *a: Interrupted(connect(*a)))
    with pytest.raises(KeyboardInterrupt):
        write_population(MODELS["mawo"], 10, 1, tmp_path / f"f.{suffix}")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_cannot_be_written_is_a_case_error(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="lässt sich nicht schreiben"):
        write_population(MODELS["mawo"], 10, 1, tmp_path / "fehlt" / "f.parquet")


@pytest.mark.parametrize("suffix", [".csv", ".CSV", ".xlsx", ".tsv", ".json", ""])
def test_a_csv_or_excel_file_is_never_written_as_json_lines(tmp_path: Path, suffix: str) -> None:
    """A CSV or Excel file name without ``fmt`` — or any other that is not ``.parquet``,
    ``.jsonl`` or ``.ndjson`` — is refused (a FormatError, nothing written), not filled with JSON
    Lines; with ``fmt`` the caller chose the format."""
    from teilhabe_rules.tools.export import FormatError

    target = tmp_path / f"f{suffix}"
    with pytest.raises(FormatError, match="schreibt Parquet oder JSON Lines") as caught:
        write_population(MODELS["mawo"], 3, 1, target)
    assert caught.value.diagnostics[0].hint is not None and "generate_population" in caught.value.diagnostics[0].hint
    assert list(tmp_path.iterdir()) == []
    assert write_population(MODELS["mawo"], 3, 1, target, fmt="jsonl") == 3
    assert len(target.read_text(encoding="utf-8").splitlines()) == 3
    lines = tmp_path / "g.NDJSON"  # (the suffixes it writes, in any case)
    assert write_population(MODELS["mawo"], 2, 1, lines) == 2
    assert len(lines.read_text(encoding="utf-8").splitlines()) == 2


def test_a_negative_number_of_cases_is_refused(tmp_path: Path) -> None:
    from teilhabe_rules.tools.generate import write_population

    with pytest.raises(ValueError, match="at least 0"):
        write_population(teilhabe_rules.bundled("mawo"), -3, 1, tmp_path / "p.jsonl")
    assert not (tmp_path / "p.jsonl").exists()
