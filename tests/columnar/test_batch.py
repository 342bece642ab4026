"""Populations through the columnar backend: bad rows become one error row each, sources, the CLI."""

from __future__ import annotations

import copy
import csv
import datetime as _dt
import decimal
import json
import numbers
import os
import re
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.errors import CaseError, TeilhabeError
from teilhabe_rules.inputs.cases import read_data
from teilhabe_rules.inputs.population import read_population
from teilhabe_rules.model import Model
from teilhabe_rules.tools.strategies import sample_cases, sample_invalid_cases

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("mawo", "mawo_2025", "bei_nrw2", "bei_nrw3")


def _problems(model: Model, data: Any) -> tuple[tuple[str, str | None], ...]:
    with pytest.raises(TeilhabeError) as info:
        model.evaluate(data)
    return tuple((d.message, d.path) for d in info.value.diagnostics)


def _hints(model: Model, data: Any) -> tuple[str | None, ...]:
    """The hints of the problems ``model.evaluate`` reports for ``data``, problem by problem."""
    with pytest.raises(TeilhabeError) as info:
        model.evaluate(data)
    return tuple(d.hint for d in info.value.diagnostics)


def _person(model: Model) -> dict[str, Any]:
    case = copy.deepcopy(next(iter(sample_cases(model, 1, 7))))
    case["bewohner"] = case["bewohner"][:1]
    return case


def _bad_rows(model: Model) -> list[tuple[str, dict[str, Any]]]:
    """One case per kind of problem: input checks and evaluation faults."""
    good = _person(model)
    rows = []

    def variant(kind: str, change: Any) -> None:
        case = copy.deepcopy(good)
        change(case)
        rows.append((kind, case))

    variant("Typ", lambda d: d["bewohner"][0]["lp2a"].__setitem__("kap4", "viel"))
    variant("Bereich", lambda d: d["bewohner"][0]["lp3b"].__setitem__("stunden", 5000))
    variant("Auswahl", lambda d: d["bewohner"][0].__setitem__("pflegegrad", 9))
    variant("Pflichtfeld", lambda d: d["bewohner"][0].pop("kuerzel"))
    variant("unbekannter Schlüssel", lambda d: d.__setitem__("plaetzee", 3))
    # a mapping given in Python may have keys that are no texts (a DuckDB MAP, say)
    variant("Schlüssel, der kein Text ist", lambda d: d.__setitem__(1, "x"))
    variant("Schlüssel eines Pakets, der kein Text ist", lambda d: d["bewohner"][0]["lp2a"].__setitem__(None, 2))
    variant("Gruppe ohne Poolanteil", lambda d: d["bewohner"][0].__setitem__(
        "massnahmen", [{"bezeichnung": "Ausflug zu viert", "stunden": 40, "personen": 4}]))
    variant("Prüfung", lambda d: d["bewohner"][0].__setitem__("massnahmen", [{"bezeichnung": "Ohne Angabe"}]))
    variant("Prüfung des Angebots", lambda d: (d.__setitem__("plaetze", 1), d["bewohner"].append(
        copy.deepcopy(d["bewohner"][0]))))
    variant("Gültigkeit", lambda d: d.__setitem__("zeitraum_ab", "2023-06-01"))
    return rows


def test_a_population_with_bad_rows_gives_exactly_one_error_row_per_bad_row() -> None:
    model = teilhabe_rules.bundled("mawo")
    good = list(sample_cases(model, 12, 5))
    bad = _bad_rows(model)
    population: list[Any] = []
    expected: dict[int, tuple[tuple[str, str | None], ...]] = {}
    hints: dict[int, tuple[str | None, ...]] = {}
    for number, case in enumerate(good):
        population.append(case)
        if number < len(bad):
            expected[len(population)] = _problems(model, bad[number][1])
            hints[len(population)] = _hints(model, bad[number][1])
            population.append(bad[number][1])
    result = model.evaluate_many(population)
    assert {e.index: e.problems for e in result.errors} == expected
    # the hints too, problem by problem: a group size without a pooling share names the shares there
    # are, a day outside the validity the model's validity
    assert {e.index: e.hints for e in result.errors} == {i: h if any(h) else () for i, h in hints.items()}
    shown = {e.index: e.hint for e in result.errors}
    assert shown == {i: "; ".join(dict.fromkeys(x for x in h if x)) or None for i, h in hints.items()}
    assert "vorhandene Einträge: 1, 2, 3" in shown.values()
    assert any(hint is not None and hint.startswith("ein Tag in der Gültigkeit") for hint in shown.values())
    assert len(result.rows()) + len(result.errors) == len(population)
    assert sorted(r["_c"] for r in result.rows()) == [i for i in range(len(population)) if i not in expected]


@pytest.mark.parametrize("name", ["mawo", "bei_nrw3"])
def test_the_scalar_backend_gives_a_result_of_the_same_form(name: str, tmp_path: Path) -> None:
    """``evaluate_many(…, backend="skalar")``: no plan compiled (one note says so), every case
    through the scalar backend — the same error rows, the same cases with results and the
    same figures as the columnar backend (rounded to the places of its columns), from a list
    and from a JSON Lines file with a line that is no JSON."""
    model = teilhabe_rules.bundled(name)
    good = list(sample_cases(model, 8, 6))
    spoiled = [case for case, _ in sample_invalid_cases(model, 4, 6)]
    cases = [*good[:4], *spoiled, *good[4:]]
    population = tmp_path / "p.jsonl"
    population.write_text("".join(json.dumps(c, default=str) + "\n" for c in cases) + "{kaputt\n", "utf-8")
    for source in (cases, population):
        columnar = model.evaluate_many(source)
        scalar = model.evaluate_many(source, backend="skalar")
        assert scalar.notes == ["Backend „skalar“ gewählt: jeder Fall mit dem skalaren Backend, einer nach dem anderen"]
        assert [(e.index, e.problems, e.hints, e.hint) for e in scalar.errors] == [
            (e.index, e.problems, e.hints, e.hint) for e in columnar.errors]
        assert len(scalar.errors) == len(spoiled) + (source is population)
        by_case = {row["_c"]: row for row in columnar.rows()}
        assert sorted(by_case) == sorted(row["_c"] for row in scalar.rows())
        for row in scalar.rows():
            expected = model.evaluate(cases[row["_c"]]).frame.root
            for key, value in row.items():
                if not key.startswith("_"):
                    assert value == expected[key], key
                    shown = by_case[row["_c"]][key]
                    if isinstance(shown, Decimal) and isinstance(value, Decimal):
                        places = shown.as_tuple().exponent
                        assert isinstance(places, int)
                        if places > -18:  # (an unrounded quotient: within the plan's error, elsewhere)
                            assert shown == value.quantize(Decimal(1).scaleb(places),
                                                           rounding=decimal.ROUND_HALF_UP), key
    assert model.evaluate_many(cases, backend="scalar").rows() == model.evaluate_many(cases, backend="skalar").rows()


_KINDS = teilhabe_rules.loads(
    'modell arten "Arten"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe stunden: zahl h/Jahr von -2000 bis 2000\neingabe name: text\neingabe aktiv: ja_nein\n"
    "eingabe beginn: datum\n"
    "wert drittel: h/Jahr = stunden / 3\nwert gross: h/Jahr = stunden * 1000000000000000\n"
    "wert wer: text = name\nwert an: ja_nein = aktiv\nwert ab: datum = beginn\n", "arten.rules")


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({
    "stunden": st.decimals(min_value=-2000, max_value=2000, places=6, allow_nan=False),
    "name": st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    "aktiv": st.booleans(),
    "beginn": st.dates(_dt.date(1, 1, 1), _dt.date(9999, 12, 31)).map(_dt.date.isoformat)}), min_size=1, max_size=9))
def test_the_scalar_backend_s_values_reach_the_result_tables_as_they_are(cases: list[dict[str, Any]]) -> None:
    """Every value the scalar backend gives — numbers of every sign and up to 28 digits, texts of
    any characters (quotes, line breaks, separators), truth values, dates — is in its result
    table as it is, in chunks of any size (here 4 rows a statement)."""
    with pytest.MonkeyPatch.context() as patch:
        from teilhabe_rules.columnar import batch

        patch.setattr(batch, "INSERT_CHUNK", 4)
        result = _KINDS.evaluate_many(cases, backend="skalar")
    assert not result.errors and [row["_c"] for row in result.rows()] == list(range(len(cases)))
    for row in result.rows():
        expected = _KINDS.evaluate(cases[row["_c"]]).frame.root
        for key in ("drittel", "gross", "wer", "an", "ab"):
            assert row[key] == expected[key] and type(row[key]) is type(expected[key]), key


def test_a_backend_evaluate_many_has_not_is_a_value_error() -> None:
    model = teilhabe_rules.bundled("mawo")
    with pytest.raises(ValueError, match="evaluate_many: backend 'schnell' \\(spalten or skalar\\)"):
        model.evaluate_many([], backend="schnell")


def test_invalid_generated_cases_each_give_the_scalar_backends_messages() -> None:
    model = teilhabe_rules.bundled("bei_nrw3")
    spoiled = [case for case, _ in sample_invalid_cases(model, 15, 3)]
    result = model.evaluate_many(spoiled)
    assert len(result.errors) == 15
    for error in result.errors:
        assert error.problems == _problems(model, spoiled[error.index])


def test_the_sources_give_the_same_results(tmp_path: Path) -> None:
    model = teilhabe_rules.bundled("bei_nrw2")
    cases = list(sample_cases(model, 8, 4))
    jsonl = tmp_path / "f.jsonl"
    jsonl.write_text("".join(json.dumps(c, default=str) + "\n" for c in cases) + "{kaputt\n", "utf-8")
    folder = tmp_path / "faelle"
    folder.mkdir()
    for number, case in enumerate(cases):
        (folder / f"{number:03}.json").write_text(json.dumps(case, default=str), "utf-8")
    from_list = model.evaluate_many(cases).rows()
    from_jsonl = model.evaluate_many(jsonl)
    assert from_jsonl.rows() == from_list
    assert [e.index for e in from_jsonl.errors] == [8]
    assert model.evaluate_many(folder).rows() == from_list


def test_every_case_file_of_a_folder_gives_a_result_or_an_error_row(tmp_path: Path) -> None:
    """An entry named as a case file that is no regular file — a dangling link, a link in a
    circle, a FIFO — is refused (a FIFO without blocking) with the message of the scalar
    backend: an error row, never a case lost without a word. A folder named so is no case."""
    model = teilhabe_rules.bundled("mawo")
    folder = tmp_path / "faelle"
    folder.mkdir()
    (folder / "a.toml").write_text((ROOT / "examples/mawo/person_grundfall.toml").read_text("utf-8"), "utf-8")
    (folder / "b.toml").symlink_to(folder / "fehlt.toml")  # (one leading out: test_hostile_inputs)
    (folder / "c.toml").symlink_to("c.toml")
    (folder / "d.toml").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "e.toml")
    result = model.evaluate_many(folder)
    named = sorted(p.name for p in folder.iterdir() if p.name != "d.toml")
    assert result.cases == len(named) and result.evaluated == 1
    for error in result.errors:
        path = folder / named[error.index]
        with pytest.raises(TeilhabeError) as scalar:
            model.evaluate(path)
        assert error.problems == tuple((d.render().splitlines()[0], d.path) for d in scalar.value.diagnostics)
        assert error.hint == scalar.value.diagnostics[0].hint
    assert sorted(named[e.index] for e in result.errors) == named[1:]


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_a_case_file_that_cannot_be_read_gives_its_hint_in_its_error_row(tmp_path: Path, backend: str) -> None:
    """A case file of a folder that is no case data has the hint in its error row that evaluating
    it alone gives (lines ended by a carriage return alone, bytes that are no UTF-8), on both backends."""
    model = teilhabe_rules.bundled("mawo")
    folder = tmp_path / "faelle"
    folder.mkdir()
    (folder / "a.toml").write_bytes(b'name = "x"\rplaetze = \r')
    (folder / "b.toml").write_bytes(b"\xff\xfe")
    (folder / "c.toml").write_text("name = \n", "utf-8")
    result = model.evaluate_many(folder, backend=backend)
    assert [e.index for e in result.errors] == [0, 1, 2]
    for error, name in zip(result.errors, ("a.toml", "b.toml", "c.toml"), strict=True):
        with pytest.raises(TeilhabeError) as alone:
            model.evaluate(folder / name)
        (diagnostic,) = alone.value.diagnostics
        assert error.hint == diagnostic.hint and error.hints == ((diagnostic.hint,) if diagnostic.hint else ())
    assert [e.hint is not None for e in result.errors] == [True, True, False]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_a_case_file_whose_name_is_no_utf8_is_written_with_its_escape(suffix: str, backend: str,
                                                                      tmp_path: Path) -> None:
    """A case file of a folder whose name holds a byte that is no UTF-8 (its id a lone surrogate)
    does not keep the results from being written: its ``_fall`` is the name with the escape."""
    model = teilhabe_rules.bundled("mawo")
    folder = tmp_path / "faelle"
    folder.mkdir()
    person = (ROOT / "examples/mawo/person_grundfall.toml").read_bytes()
    (folder / "a.toml").write_bytes(person)
    with open(os.path.join(os.fsencode(folder), b"b\xff.toml"), "wb") as handle:
        handle.write(person)
    out = tmp_path / f"ergebnis{suffix}"
    assert main(["eval-many", "mawo", str(folder), "--out", str(out), "--backend", backend]) == 0
    assert model.evaluate_many(folder, backend=backend).write(out) == 2
    with duckdb.connect() as con:
        read = ("read_json_auto" if suffix == ".jsonl" else f"read_{suffix[1:]}")
        names = con.sql(f"SELECT _fall FROM {read}('{out}') ORDER BY _c").fetchall()
    assert names == [("a.toml",), ("b\\udcff.toml",)]


def test_progress_is_reported_up_to_the_number_of_cases() -> None:
    model = teilhabe_rules.bundled("bei_nrw2")
    seen: list[tuple[int, int]] = []
    cases: list[Any] = [*sample_cases(model, 3, 4), {"unbekannt": 1}]
    model.evaluate_many(cases, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (4, 4)
    # the plan's cases at once, then each the scalar backend evaluates (here the unreadable case)
    assert seen == [(3, 4), (4, 4)]


def test_progress_reaches_the_end_when_the_plan_computes_every_case(tmp_path: Path) -> None:
    model = teilhabe_rules.bundled("mawo")
    population = tmp_path / "personen.jsonl"
    population.write_text("".join(json.dumps(_person(model), default=str) + "\n" for _ in range(5)), encoding="utf-8")
    seen: list[tuple[int, int]] = []
    result = model.evaluate_many(population, progress=lambda done, total: seen.append((done, total)))
    assert result.evaluated == 5 and not result.errors
    assert seen == [(5, 5)]


@pytest.mark.parametrize("name", MODELS)
def test_the_sql_of_every_bundled_model_transpiles_to_spark(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``sql --dialect spark`` prints statements — each step's table made, the results' query,
    the tables dropped — without DuckDB's own types and functions; whether Spark runs them and
    gives DuckDB's figures is tests/columnar/test_spark.py, where pyspark is installed."""
    assert main(["sql", name, "--dialect", "spark"]) == 0
    text = capsys.readouterr().out
    statements = text.rstrip().removesuffix(";").split(";\n\n")
    kinds = [s.split(None, 1)[0] for s in statements]
    assert kinds[:2] == ["DROP", "CREATE"] and kinds[-1] == "DROP" and kinds.count("SELECT") == 1
    assert kinds.count("CREATE") * 2 == kinds.count("DROP") == len(statements) - 1 - kinds.count("CREATE")
    upper = text.upper()
    for duckdb_s in ("MATERIALIZED", "TRY(", "INT128", "HUGEINT", "COUNT_STAR", "SHIFTLEFT", "SHIFTRIGHT", " DIV ",
                     "TO_MONTHS", "WITH "):
        assert duckdb_s not in upper, duckdb_s


def test_the_sql_command_prints_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "bei_nrw2"]) == 0
    text = capsys.readouterr().out
    assert "DOUBLE" not in text.upper()
    assert text.startswith("WITH ")
    assert "TRY(" in text
    spark = capsys.readouterr
    assert main(["sql", "bei_nrw2", "--dialect", "spark"]) == 0
    assert "TRY(" not in spark().out
    # an unknown dialect: a German usage error with a suggestion, not sqlglot's English
    assert main(["sql", "bei_nrw2", "--dialect", "sprak"]) == 2
    said = capsys.readouterr().err
    assert said.startswith("teilhabe-rules: --dialect: „sprak“ ist kein SQL-Dialekt von sqlglot — meinten Sie „spark“?")
    # a dialect whose engines cannot run the plan's „* EXCEPT (…)“ (sqlglot writes it for SQLite,
    # Trino, T-SQL without a word; for PostgreSQL after 34 lines of warnings): refused, nothing written
    for dialect in ("postgres", "sqlite", "trino", "tsql"):
        assert main(["sql", "mawo", "--dialect", dialect]) == 2
        written = capsys.readouterr()
        assert written.out == ""
        assert written.err.splitlines()[0].startswith(f"teilhabe-rules: --dialect: der Dialekt „{dialect}“ kennt kein "
                                                      "„SELECT * EXCEPT (…)“, das der Plan braucht")
        # then the command's usage, its lines indented after the first: no warnings of sqlglot's
        usage = written.err.splitlines()[1:]
        assert usage[0].startswith("Aufruf: teilhabe-rules sql ") and all(line.startswith(" ") for line in usage[1:])
    assert main(["sql", "mawo", "--dialect", "snowflake"]) == 0 and "EXCLUDE (" in capsys.readouterr().out


def test_eval_many_writes_results_and_error_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = teilhabe_rules.bundled("mawo")
    cases = [_person(model), {"plaetze": "viele"}]
    population = tmp_path / "p.jsonl"
    population.write_text("".join(json.dumps(c, default=str) + "\n" for c in cases), "utf-8")
    for suffix in ("parquet", "csv", "jsonl"):
        out = tmp_path / f"e.{suffix}"
        code = main(["eval-many", "mawo", str(population), "--out", str(out), "--liste", "bewohner"])
        assert code == 1  # an error row
        assert "1 von 2 Fällen ausgewertet, 1 Fehlerzeile" in capsys.readouterr().out
        rows = duckdb.sql(f"SELECT _c, _fehler FROM '{out}' ORDER BY _c").fetchall()  # noqa: S608 - test path
        assert [r[0] for r in rows] == [0, 1]
        assert rows[0][1] is None and rows[1][1]


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_eval_many_writes_each_error_row_s_hint_in_every_format(tmp_path: Path, backend: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Every output of ``eval-many`` has the column ``_hinweis`` after ``_fehler``: the hints of an
    error row's problems as evaluating the case alone gives them, empty where none has one and in
    the rows with a result."""
    import openpyxl

    model = teilhabe_rules.bundled("mawo")
    pooled = _person(model)
    pooled["bewohner"][0]["massnahmen"] = [{"bezeichnung": "Ausflug zu viert", "stunden": 40, "personen": 4}]
    cases = [_person(model), pooled, {"plaetze": "viele"}]
    assert _hints(model, pooled) == ("vorhandene Einträge: 1, 2, 3",)
    assert not any(_hints(model, cases[2]))
    population = tmp_path / "p.jsonl"
    population.write_text("".join(json.dumps(c, default=str) + "\n" for c in cases), "utf-8")
    expected = [None, "vorhandene Einträge: 1, 2, 3", None]
    for suffix in ("parquet", "csv", "jsonl", "xlsx", "csv-de"):
        out = tmp_path / f"e.{suffix.removesuffix('-de')}"
        given = ["--format", "csv-de"] if suffix == "csv-de" else []
        assert main(["eval-many", "mawo", str(population), "--out", str(out), "--backend", backend, *given]) == 1
        capsys.readouterr()
        if suffix == "xlsx":
            sheet = openpyxl.load_workbook(out)["Fälle"]
            names, *rows = list(sheet.iter_rows(values_only=True))
        elif suffix == "csv-de":
            with out.open(encoding="utf-8-sig", newline="") as handle:
                names, *rows = list(csv.reader(handle, delimiter=";"))
            rows = [tuple(cell or None for cell in row) for row in rows]
        else:
            relation = duckdb.sql(f"SELECT * FROM '{out}' ORDER BY _c")  # noqa: S608 - test path
            names, rows = relation.columns, relation.fetchall()
        assert list(names[-2:]) == ["_fehler", "_hinweis"], suffix
        assert [row[-1] for row in rows] == expected, suffix
        assert [row[-2] is not None for row in rows] == [False, True, True], suffix


def test_eval_many_names_an_inner_list_by_its_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two inner lists of one name (``a.posten``, ``b.posten``): ``--liste posten`` is a usage
    error naming both paths (it wrote the first one's elements without a word), ``--liste b.posten``
    writes that list's elements."""
    rules = tmp_path / "zwei.rules"
    rules.write_text('modell zwei "Z"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                     'liste a "A"\n  eingabe x: zahl von 0 bis 10\n  liste posten "P"\n'
                     "    eingabe k: zahl von 0 bis 10\n  ende\nende\n"
                     'liste b "B"\n  eingabe y: zahl von 0 bis 10\n  liste posten "P2"\n'
                     "    eingabe k: zahl von 0 bis 10\n    wert kk = k * 100\n  ende\nende\n", encoding="utf-8")
    population = tmp_path / "p.jsonl"
    population.write_text('{"a": [{"x": 1, "posten": [{"k": 1}]}], "b": [{"y": 1, "posten": [{"k": 2}, {"k": 3}]}]}\n',
                          encoding="utf-8")
    out = tmp_path / "e.csv"
    assert main(["eval-many", str(rules), str(population), "--out", str(out), "--liste", "posten"]) == 2
    assert "„posten“ ist der Name mehrerer Listen von „zwei“: „a.posten“ oder „b.posten“ angeben" in \
        capsys.readouterr().err
    assert not out.exists()
    assert main(["eval-many", str(rules), str(population), "--out", str(out), "--liste", "b.posten"]) == 0
    assert [row[0] for row in duckdb.sql(f"SELECT kk FROM '{out}' ORDER BY _i2").fetchall()] == [200, 300]
    # a list of the case named as an inner one: its name is its path, and names it
    rules.write_text(rules.read_text(encoding="utf-8").replace('liste a "A"', 'liste posten "Oben"\n'
                     "  eingabe o: zahl von 0 bis 10\n  wert oo = o * 2\nende\nliste a \"A\"", 1), encoding="utf-8")
    population.write_text('{"posten": [{"o": 4}], "a": [], "b": []}\n', encoding="utf-8")
    assert main(["eval-many", str(rules), str(population), "--out", str(out), "--liste", "posten"]) == 0
    assert duckdb.sql(f"SELECT oo FROM '{out}'").fetchall() == [(8,)]


def _same_as_scalar(model: Model, cases: list[Any], **options: Any) -> None:
    """Every figure of the cases' table equals Model.evaluate's under the same options: exactly
    (rounded to the column's places), or within the plan's error bound where it carries one."""
    columns = model.columnar_plan(options.get("agreement"), options.get("at")).columns[""]
    result = model.evaluate_many(cases, options.get("agreement"), at=options.get("at"))
    assert result.notes == [] and result.errors == []
    for row in result.rows():
        frame = model.evaluate(cases[row["_c"]], options.get("agreement"), at=options.get("at")).frame
        for key, value in row.items():
            if key.startswith("_"):
                continue
            expected = frame.root[key]
            if isinstance(value, Decimal) and columns[key].err:
                assert abs(value - expected) <= Decimal(float(columns[key].err)) + Decimal("2e-18"), key
            elif isinstance(value, Decimal):
                places = value.as_tuple().exponent
                assert isinstance(places, int)
                assert value == expected.quantize(Decimal(1).scaleb(places), rounding=decimal.ROUND_HALF_UP), key
            else:
                assert value == expected, key


def test_an_agreement_is_folded_into_the_plan() -> None:
    model = teilhabe_rules.bundled("mawo")
    agreement = {"vereinbarung": {"name": "Haus Probe", "modell": "mawo"},
                 "parameter": {"berechnungstage": "354.05 Tage/Jahr", "pk_fachkraft": "67123.45 EUR/VK/Jahr"}}
    cases = [_person(model), *sample_cases(model, 6, 8)]
    _same_as_scalar(model, cases, agreement=model.load_agreement(agreement))


def test_parameters_per_period_take_the_value_of_the_date() -> None:
    model = teilhabe_rules.loads(
        'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        "eingabe stunden: zahl h/Jahr von 0 bis 2000\n"
        "parameter satz: zahl EUR/h von 0 bis 500 = 60 EUR/h\n  ab 01.01.2025 = 62.50 EUR/h\n"
        "wert betrag: EUR/Jahr = runde(stunden * satz / 7, 2, kaufmännisch)\n"
        "wert ungerundet: EUR/Jahr = stunden * satz / 7\n", "datiert.rules")
    cases = [{"stunden": h} for h in ("0", "1", "7.7", "1999.99", "1234.5")]
    for day in (_dt.date(2024, 6, 1), _dt.date(2025, 6, 1)):
        _same_as_scalar(model, cases, at=day)
    without = model.evaluate_many(cases)
    assert without.notes and "Zeitraum" in without.notes[0]


@pytest.mark.parametrize("name", ["mawo", "bei_nrw3"])
def test_the_warnings_of_a_case_are_counted_as_the_scalar_backend_gives_them(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    cases = list(sample_cases(model, 25, 9))
    rows = model.evaluate_many(cases).rows()
    assert any(row["_warnungen"] for row in rows)
    assert [row["_warnungen"] for row in rows] == [len(model.evaluate(c).frame.warnings) for c in cases]


DATEN = Path(__file__).resolve().parents[2] / "examples" / "daten"


@pytest.mark.parametrize("population", ["fälle.csv", "fälle_excel.csv", "fälle.xlsx"])
def test_eval_many_reads_populations_as_compare_does(population: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """German Excel CSV (BOM, ';', decimal comma, dates TT.MM.JJJJ), plain CSV and XLSX give the same results."""
    source = DATEN / population
    if population.endswith(".xlsx"):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in (("beginn", "stunden", "name"), ("2025-03-01", 250.5, "Jürgen Müller"), ("2025-03-01", 12, "Änne")):
            sheet.append(row)
        source = tmp_path / population
        book.save(source)
    out = tmp_path / "e.jsonl"
    code = main(["eval-many", str(DATEN / "stunden.rules"), str(source), "--out", str(out)])
    assert code == 0, capsys.readouterr()
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [Decimal(str(r["betrag"])) for r in rows] == [Decimal("15030"), Decimal("720")]


@pytest.mark.parametrize(("arguments", "expected"), [
    (["--at", "morgen"], "--at: „morgen“ ist kein Datum"),
    (["--trennzeichen", "|"], "--trennzeichen: „|“ ist kein Trennzeichen"),
    (["--dezimalzeichen", ";"], "--dezimalzeichen: „;“ ist kein Dezimalzeichen"),
])
def test_eval_many_usage_errors_exit_2(arguments: list[str], expected: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval-many", str(DATEN / "stunden.rules"), str(DATEN / "fälle.csv"),
                 "--out", str(tmp_path / "e.jsonl"), *arguments])
    assert code == 2 and expected in capsys.readouterr().err


def _population_of_format(folder: Path, suffix: str) -> Path:
    """The two cases of ``fälle.csv`` as a population of another format: a JSON Lines, Parquet
    or Excel file (``.xlsx``, ``.xlsm``), or a folder of case files (``suffix`` empty)."""
    rows = (("2025-03-01", "250.5", "Jürgen Müller"), ("2025-03-01", "12", "Änne"))
    path = folder / f"fälle{suffix}"
    if suffix == "":
        path.mkdir()
        for number, (beginn, stunden, name) in enumerate(rows, 1):
            (path / f"fall{number}.toml").write_text(f'beginn = {beginn}\nstunden = {stunden}\nname = "{name}"\n',
                                                     encoding="utf-8")
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps({"beginn": b, "stunden": s, "name": n}) + "\n" for b, s, n in rows),
                        encoding="utf-8")
    elif suffix == ".parquet":
        with duckdb.connect() as connection:
            connection.execute("COPY (SELECT * FROM (VALUES (DATE '2025-03-01', '250.5', 'Jürgen Müller'), "
                               "(DATE '2025-03-01', '12', 'Änne')) AS t(beginn, stunden, name)) "
                               f"TO '{path}' (FORMAT parquet)")
    else:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in (("beginn", "stunden", "name"), *rows):
            sheet.append(row)
        book.save(path)
    return path


_NOT_CSV = "ist keine CSV-Datei (.csv, .tsv); nur eine CSV-Population hat ein Trennzeichen"
_NO_TABLE = ("ist keine Tabelle (CSV, Excel, Parquet); nur in den Textzellen einer Tabelle stehen Zahlen mit "
             "Dezimalzeichen")
_NO_BOOK = "ist keine Excel-Mappe (.xlsx, .xlsm); nur eine Mappe hat Blätter"


@pytest.mark.parametrize("command", ["eval-many", "compare"])
@pytest.mark.parametrize(("suffix", "option", "expected"), [
    (".jsonl", ["--trennzeichen", ";"], _NOT_CSV),
    (".parquet", ["--separator", ";"], _NOT_CSV),
    (".xlsx", ["--trennzeichen", ";"], _NOT_CSV),
    ("", ["--trennzeichen", ";"], _NOT_CSV),
    (".jsonl", ["--dezimalzeichen", ","], _NO_TABLE),
    ("", ["--decimal", ","], _NO_TABLE),
    (".jsonl", ["--blatt", "1"], _NO_BOOK),
    (".parquet", ["--sheet", "1"], _NO_BOOK),
    ("", ["--blatt", "1"], _NO_BOOK),
], ids=["jsonl-trennzeichen", "parquet-separator", "xlsx-trennzeichen", "ordner-trennzeichen",
        "jsonl-dezimalzeichen", "ordner-decimal", "jsonl-blatt", "parquet-sheet", "ordner-blatt"])
def test_a_reading_option_of_another_format_is_a_usage_error(
        command: str, suffix: str, option: list[str], expected: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--trennzeichen`` (of a CSV file), ``--dezimalzeichen`` (of a table's text cells) and
    ``--blatt`` (of a workbook) for a population they do not apply to: exit 2 naming the option
    (by its German name, as every message does), never the option ignored."""
    population = _population_of_format(tmp_path, suffix)
    model = str(DATEN / "stunden.rules")
    out = tmp_path / "e.jsonl"
    argv = ["eval-many", model, str(population), "--out", str(out)] if command == "eval-many" else [
        "compare", model, model, str(population)]
    code = main([*argv, *option])
    err = capsys.readouterr().err
    assert code == 2, err
    german = {"--separator": "--trennzeichen", "--decimal": "--dezimalzeichen", "--sheet": "--blatt"}
    assert f"{german.get(option[0], option[0])}: „{population}“ {expected}" in err and "Aufruf:" in err
    assert not out.exists()


@pytest.mark.parametrize("command", ["eval-many", "compare"])
@pytest.mark.parametrize("option", [[], ["--dezimalzeichen", ","], ["--decimal", "."], ["--trennzeichen", ";"],
                                    ["--blatt", "1"]],
                         ids=["ohne", "dezimalzeichen", "decimal", "trennzeichen", "blatt"])
@pytest.mark.parametrize("name", ["bestand_2024", "bestand_2024.12"])
def test_a_population_folder_that_does_not_exist_is_said_to_be_missing(
        command: str, option: list[str], name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A population named without a population file's suffix that names nothing (a mistyped
    folder, also one whose name has a dot) is an input error saying it does not exist — with a
    reading option too, which is then no usage error claiming the population is not a table (or
    no CSV file, no workbook)."""
    population = tmp_path / name
    model, out = str(DATEN / "stunden.rules"), tmp_path / "e.jsonl"
    argv = (["eval-many", model, str(population), "--out", str(out)] if command == "eval-many"
            else ["compare", model, model, str(population)])
    code = main([*argv, *option])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"Die Population „{population}“ gibt es nicht: kein Verzeichnis und keine Datei dieses Namens" in err
    assert "ist keine" not in err and "Aufruf:" not in err
    assert not out.exists()


@pytest.mark.parametrize("reading", [{}, {"decimal": ","}, {"separator": ";"}, {"sheet": "1"}],
                         ids=["ohne", "decimal", "separator", "sheet"])
@pytest.mark.parametrize("name", ["bestand_2024", "bestand_2024.12"])
def test_read_population_of_a_folder_that_does_not_exist(reading: dict[str, str], name: str, tmp_path: Path) -> None:
    """Through the API the same: a CaseError saying the population does not exist, whatever
    reading option is given."""
    with pytest.raises(CaseError, match="gibt es nicht: kein Verzeichnis und keine Datei dieses Namens"):
        read_population(tmp_path / name, **reading)


@pytest.mark.parametrize(("suffix", "option"), [
    (".xlsx", ["--dezimalzeichen", "."]),
    (".parquet", ["--dezimalzeichen", "."]),
    (".xlsm", ["--blatt", "1"]),
    (".tsv", ["--trennzeichen", ","]),
], ids=["xlsx-dezimalzeichen", "parquet-dezimalzeichen", "xlsm-blatt", "tsv-trennzeichen"])
def test_a_reading_option_applies_to_each_format_that_has_it(
        suffix: str, option: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A decimal mark of an Excel or Parquet file's text cells, a sheet of a workbook with macros,
    a separator of a ``.tsv`` file: read as given."""
    if suffix == ".tsv":
        population = tmp_path / "fälle.tsv"
        population.write_text((DATEN / "fälle.csv").read_text("utf-8"), encoding="utf-8")
    else:
        population = _population_of_format(tmp_path, suffix)
    out = tmp_path / "e.jsonl"
    code = main(["eval-many", str(DATEN / "stunden.rules"), str(population), "--out", str(out), *option])
    assert code == 0, capsys.readouterr()
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [Decimal(str(r["betrag"])) for r in rows] == [Decimal("15030"), Decimal("720")]


@pytest.mark.parametrize("command", ["eval-many", "compare"])
@pytest.mark.parametrize("spelling", ["tab", "TAB", "tabulator", "Tabulator", "\\t", "\t", "|", "tabs"])
def test_the_command_line_takes_the_separators_the_api_takes(
        command: str, spelling: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--trennzeichen`` takes exactly the spellings ``read_population(…, separator=…)`` takes
    (``tabulator`` as well as ``tab``): a tab-separated file is read with each of them, any other
    is refused by both."""
    population = tmp_path / "fälle.csv"
    population.write_text((DATEN / "fälle.csv").read_text("utf-8").replace(",", "\t"), encoding="utf-8")
    try:
        with read_population(population, separator=spelling) as rows:
            api = [row.data["stunden"] for row in rows]
    except CaseError:
        api = None
    model, out = str(DATEN / "stunden.rules"), tmp_path / "e.jsonl"
    argv = (["eval-many", model, str(population), "--out", str(out)] if command == "eval-many"
            else ["compare", model, model, str(population), "--out", str(out)])
    code = main([*argv, "--trennzeichen", spelling])
    err = capsys.readouterr().err
    if api is None:
        assert code == 2 and f"--trennzeichen: „{spelling}“ ist kein Trennzeichen" in err
        assert not out.exists()
        return
    assert api == ["250.5", "12"]
    assert code == 0, err
    assert len(out.read_text("utf-8").splitlines()) == 2


def _unreadable_parquet(folder: Path, kind: str) -> Path:
    """A file named ``.parquet`` that DuckDB cannot read as one: text, a file cut in the middle,
    a name in its footer that is no UTF-8 (a column's, or a field of a list's elements)."""
    path = folder / "fälle.parquet"
    if kind == "text":
        path.write_text("fall,name\n1,A\n", encoding="utf-8")
        return path
    select = {"halb": "SELECT range AS fall, 'A' AS name FROM range(100)",
              "spalte": "SELECT 1 AS fall, 'A' AS kuerzelXY",
              "feld": "SELECT 1 AS fall, [{'kuerzelXY': 'A'}] AS bewohner"}[kind]
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2] if kind == "halb" else data.replace(b"kuerzelXY", b"kuerzel\xff\xfe"))
    return path


@pytest.mark.parametrize("kind", ["text", "halb", "spalte", "feld"])
def test_a_population_that_is_no_readable_parquet_file_is_an_input_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    """``eval-many`` and ``compare`` on both backends: the library's German error naming the file
    (DuckDB's words after it, as context), exit code 1 — never DuckDB's text alone, an internal
    error or a traceback."""
    path = _unreadable_parquet(tmp_path, kind)
    for backend in ("spalten", "skalar"):
        for command in (["eval-many", "mawo", str(path), "--out", str(tmp_path / "e.jsonl")],
                        ["compare", "mawo", "mawo_2025", str(path), "--at", "2025-03-01"]):
            assert main([*command, "--backend", backend]) == 1, (command, backend)
            said = capsys.readouterr()
            assert said.out == "" and said.err.startswith(
                f"{path}:1:1: fehler: Die Population „{path}“ lässt sich nicht lesen: keine gültige Parquet-Datei ("), \
                (command, backend, said.err)
            assert "interner Fehler" not in said.err and "Traceback" not in said.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fälle.parquet"]


def test_one_case_is_counted_in_the_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    population = tmp_path / "p.jsonl"
    assert main(["generate", "mawo", "-n", "1", "--out", str(population)]) == 0
    assert capsys.readouterr().out == f"1 Fall von „mawo“ (Startwert 0) geschrieben: {population}\n"
    out = tmp_path / "e.jsonl"
    assert main(["eval-many", "mawo", str(population), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"1 von 1 Fall ausgewertet, 0 Fehlerzeilen: {out}\n"
    population.write_text('{"plaetze": "viele"}\n', "utf-8")
    assert main(["eval-many", "mawo", str(population), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"0 von 1 Fall ausgewertet, 1 Fehlerzeile: {out}\n"
    assert captured.err.startswith("1 von 1 Fall mit dem skalaren Backend ausgewertet")


def test_eval_many_on_the_scalar_backend_writes_the_same_rows(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """``eval-many --backend skalar`` evaluates case by case and writes the file the default
    writes: the same cases, errors and levels; ``--backend`` takes only the backends' names."""
    model = teilhabe_rules.bundled("mawo")
    cases = [*sample_cases(model, 5, 2), {"plaetze": "viele"}]
    population = tmp_path / "p.jsonl"
    population.write_text("".join(json.dumps(c, default=str) + "\n" for c in cases), "utf-8")
    written = {}
    for backend in ("spalten", "skalar"):
        out = tmp_path / f"{backend}.parquet"
        code = main(["eval-many", "mawo", str(population), "--out", str(out), "--backend", backend])
        captured = capsys.readouterr()
        assert code == 1 and "5 von 6 Fällen ausgewertet, 1 Fehlerzeile" in captured.out
        assert ("Backend „skalar“ gewählt" in captured.err) == (backend == "skalar")
        written[backend] = duckdb.sql(f"SELECT _c, _fehler, erloes_jahr FROM '{out}' ORDER BY _c").fetchall()  # noqa: S608
    assert written["skalar"] == written["spalten"]
    assert main(["eval-many", "mawo", str(population), "--out", str(tmp_path / "x.csv"), "--backend", "schnell"]) == 2
    err = capsys.readouterr().err
    assert "--backend" in err and "Traceback" not in err and not (tmp_path / "x.csv").exists()


def test_sql_with_a_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "mawo", "--at", "31.02.2025"]) == 2
    assert "--at: „31.02.2025“ ist kein Datum" in capsys.readouterr().err


def test_sql_of_a_model_with_values_per_period_asks_for_its_day(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A model whose parameter has a later value (``ab 01.07.2025 = …``) has a plan for one day:
    without ``--at``, ``sql`` said „fehler: Parameter mit Werten je Zeitraum ohne Stichtag („at“):
    jeder Fall mit dem skalaren Backend“ — eval-many's note, no case here, no option named."""
    rules = tmp_path / "satz.rules"
    rules.write_text('modell satz "Satz"\n  version "1"\n  gültig ab 01.01.2025\nende\n'
                     "eingabe stunden: zahl h von 0 bis 100\n"
                     'parameter satz: EUR/h = 68.95 EUR/h "Satz"\n  ab 01.07.2025 = 70.10 EUR/h\n'
                     "wert betrag: EUR = stunden * satz\n", encoding="utf-8")
    assert main(["sql", str(rules)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "skalaren Backend" not in captured.err
    assert captured.err.startswith("teilhabe-rules: --at: „satz 1“ hat Parameter mit Werten je Zeitraum (satz); sein "
                                   "Spaltenplan gilt für einen Stichtag: gib ihn mit --at JJJJ-MM-TT an\nAufruf: ")
    plans = []
    for day in ("2025-06-30", "2025-07-01"):
        assert main(["sql", str(rules), "--at", day]) == 0
        plans.append(capsys.readouterr().out)
    assert plans[0].startswith("WITH ") and plans[0] != plans[1]  # (each day's rate)



@pytest.mark.parametrize(("name", "day", "other"), [("mawo", "1990-01-01", None), ("mawo_2025", "2024-06-01", "mawo")])
def test_no_plan_for_a_day_outside_the_model_s_validity(name: str, day: str, other: str | None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """``sql --at`` (and ``Model.check_date``) refuse a day the tariff does not cover, with the
    message and hint ``eval`` gives for it — never a plan of parameters that do not hold then."""
    model = teilhabe_rules.bundled(name)
    with pytest.raises(teilhabe_rules.errors.ValidityError) as info:
        model.check_date(_dt.date.fromisoformat(day))
    model.check_date(model.checked.info.valid_from)  # (its first day: fine)
    (diagnostic,) = info.value.diagnostics
    assert main(["sql", name, "--at", day]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert diagnostic.message in captured.err and diagnostic.hint is not None and diagnostic.hint in captured.err
    assert (f"„{other}“" in diagnostic.hint) if other else ("gültig ab" in diagnostic.hint)
    case = ROOT / "examples" / "mawo" / "person_grundfall.toml"
    assert main(["eval", name, str(case), "--at", day]) == 1
    assert diagnostic.message in capsys.readouterr().err


def test_eval_many_on_a_missing_population_is_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval-many", str(DATEN / "stunden.rules"), str(tmp_path / "fehlt.csv"),
                 "--out", str(tmp_path / "e.jsonl")])
    assert code == 1
    assert "fehlt.csv" in capsys.readouterr().err


def test_eval_many_writes_to_exactly_the_named_file_or_says_why_not(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A folder that does not exist is a finding (exit 1, nothing left behind), never an internal
    error; a name DuckDB would read as a pattern (``[…]``, ``~``) is written as that very file."""
    population = DATEN / "fälle.csv"
    model = str(DATEN / "stunden.rules")
    code = main(["eval-many", model, str(population), "--out", str(tmp_path / "fehlt" / "e.parquet")])
    assert code == 1
    assert "lässt sich nicht schreiben" in capsys.readouterr().err
    for name in ("a[bc].parquet", "~e.csv", "e*.jsonl"):
        assert main(["eval-many", model, str(population), "--out", str(tmp_path / name)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a[bc].parquet", "~e.csv", "e*.jsonl"])
    assert (tmp_path / "a[bc].parquet").read_bytes()[:4] == b"PAR1"
    assert len((tmp_path / "e*.jsonl").read_text("utf-8").splitlines()) == 2


@pytest.mark.skipif(os.name != "posix", reason="file modes")
@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_written_files_follow_the_umask_as_every_file_of_the_user(tmp_path: Path, suffix: str) -> None:
    """A result file (and a generated population) is created with mode 0666 less the umask, as
    an editor or ``cp`` would create it — not readable by its owner alone."""
    from teilhabe_rules.tools.generate import write_population

    model = teilhabe_rules.bundled("mawo")
    old = os.umask(0o022)
    try:
        population = tmp_path / "p.jsonl"
        write_population(model, 3, 1, str(population))
        result = model.evaluate_many(population)
        out = tmp_path / f"ergebnis{suffix}"
        result.write(str(out), "bewohner")
        os.umask(0o027)
        strict = tmp_path / f"streng{suffix}"
        result.write(str(strict), "bewohner")
    finally:
        os.umask(old)
    assert stat.S_IMODE(population.stat().st_mode) == 0o644
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE(strict.stat().st_mode) == 0o640
    assert not [p.name for p in tmp_path.iterdir() if "unvollständig" in p.name]


def test_a_text_with_a_lone_surrogate_is_evaluated_by_the_scalar_backend() -> None:
    """JSON may carry ``"\\ud800"``, which no UTF-8 file can hold: the staged lines of such a case
    are not written; the scalar backend evaluates it (as ``Model.evaluate`` does), the batch goes on."""
    model = teilhabe_rules.bundled("mawo")
    cases = list(sample_cases(model, 3, 1))
    cases[1]["name"] = "Haus \ud800"
    result = model.evaluate_many(cases)
    assert result.cases == 3 and not result.errors and result.scalar_cases >= 1
    assert [row["_skalar"] for row in result.rows()][1] is True
    model.evaluate(cases[1])


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_a_result_text_no_table_can_hold_is_an_error_row_and_the_batch_goes_on(backend: str, tmp_path: Path) -> None:
    """A text value with a lone surrogate (``"\\ud800"`` in JSON) — which the scalar backend
    gives, and no DuckDB text holds — makes that case an error row saying so, not the end of the
    batch: the other cases have their results, a file of them is written."""
    cases = [{"stunden": "1", "name": "gut", "aktiv": True, "beginn": "2024-05-01"},
             {"stunden": "2", "name": "x\ud800", "aktiv": False, "beginn": "2024-05-01"},
             {"stunden": "3", "name": "auch gut", "aktiv": True, "beginn": "2024-05-01"}]
    assert _KINDS.evaluate(cases[1]).frame.root["wer"] == "x\ud800"
    result = _KINDS.evaluate_many(cases, backend=backend)
    assert [row["wer"] for row in result.rows()] == ["gut", "auch gut"]
    assert [(e.index, e.problems) for e in result.errors] == [(1, (
        ("„wer“ enthält das Zeichen U+D800, ein einzelnes Surrogat, das kein UTF-8-Text hält: die "
         "Ergebnistabelle der Population hält es nicht (einzeln auswerten)", None),))]
    assert result.write(tmp_path / "e.jsonl") == 3


def test_eval_many_stages_a_json_lines_file_in_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``teilhabe-rules eval-many`` hands a JSON Lines path to the SQL intake (not case by case), with
    the same results as the case loader's path."""
    from teilhabe_rules.columnar import batch, intake

    model = teilhabe_rules.bundled("mawo")
    cases = list(sample_cases(model, 4, 3))
    population = tmp_path / "p.jsonl"
    population.write_text("\n".join(json.dumps(c, default=str, ensure_ascii=False) for c in cases) + "\n",
                          "utf-8")
    calls: list[Path] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[4])
        return intake.stage_jsonl(*args, **kwargs)

    monkeypatch.setattr(batch, "stage_jsonl", counted)
    out = tmp_path / "e.jsonl"
    assert main(["eval-many", "mawo", str(population), "--out", str(out)]) in (0, 1)
    assert calls == [population]
    staged = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    by_case = model.evaluate_many(cases)  # mappings: staged case by case
    relation = by_case.combined()
    expected = [dict(zip(relation.columns, values, strict=True)) for values in relation.fetchall()]
    assert len(staged) == len(expected) == len(cases)
    assert [row["budget_jahr"] for row in staged] == [
        None if row["budget_jahr"] is None else str(row["budget_jahr"]) for row in expected]


def test_building_trees_pauses_the_collector_and_gives_it_back_as_it_was() -> None:
    """The cyclic collector is off inside the block, and afterwards as before it — on, or off
    when the caller had it off — also when the block fails."""
    import gc

    from teilhabe_rules.columnar.plan import building_trees

    assert gc.isenabled()
    with building_trees():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), building_trees():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with building_trees():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_writing_results_beyond_duckdb_s_memory_is_a_resource_error(suffix: str, tmp_path: Path) -> None:
    """DuckDB out of the memory it may use while the results are written: the library's error with
    its hint, and no file."""
    model = teilhabe_rules.bundled("mawo")
    result = model.evaluate_many([_person(model) for _ in range(3000)])
    result.connection.execute("SET memory_limit = '1MB'")
    target = tmp_path / f"ergebnis{suffix}"
    with pytest.raises(teilhabe_rules.ResourceError) as raised:
        result.write(str(target))
    assert raised.value.diagnostics[0].code == "speicher" and str(target) in raised.value.message
    assert not target.exists()


def test_generating_beyond_duckdb_s_memory_is_a_resource_error(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from teilhabe_rules.tools import generate as generate_module

    def refuse(*args: Any, **options: Any) -> None:
        raise duckdb.OutOfMemoryException("could not allocate block of size 256.0 KiB")

    monkeypatch.setattr(generate_module, "_write", refuse)
    target = tmp_path / "p.parquet"
    with pytest.raises(teilhabe_rules.ResourceError, match="DuckDB braucht mehr Speicher"):
        generate_module.write_population(teilhabe_rules.bundled("mawo"), 10, 1, target)


@pytest.mark.parametrize(("text", "message", "line"), [
    ("wert a = basis + 1\nwert A = basis + 2\n", "„A“ unterscheidet sich von „a“ nur in Groß- und Kleinschreibung", 7),
    ('paket lp "P"\n  stufen\n    0 "a"\n    1 "b"\n  ende\n  stufe nach einschätzung\n  wert Stufe = 1\nende\n',
     "„Stufe“ unterscheidet sich von „stufe“ des Pakets nur in Groß- und Kleinschreibung", 12),
    ("wert _C = 5\n", "„_C“ ist der Name einer Spalte der Ergebnisse", 6),
    ("wert _Fall = 5\n", "„_Fall“ ist der Name einer Spalte der Ergebnisse", 6),
    ("wert _Flag = 5\n", "„_Flag“ ist der Name einer Spalte der Ergebnisse", 6),
    ("wert _meldung = 5\n", "„_meldung“ ist der Name einer Spalte der Ergebnisse", 6),
    ('liste p "P" mindestens 0 höchstens 2\n  wert _fehler = 5\nende\n',
     "„_fehler“ ist der Name einer Spalte der Ergebnisse", 7),
    ("wert _Hinweis = 5\n", "„_Hinweis“ ist der Name einer Spalte der Ergebnisse", 6),
    ('liste p "P" mindestens 0 höchstens 2\n  wert _i1 = 5\nende\n',
     "„_i1“ ist der Name einer Spalte der Ergebnisse", 7),
])
def test_names_a_result_table_cannot_tell_apart_are_a_check_error(text: str, message: str, line: int) -> None:
    """Result tables (DuckDB, Parquet, CSV) do not tell A–Z from a–z in their column names: a name
    of a scope that differs in that alone from another of it, from a level of its package or from
    a column every result has, is refused where it is defined."""
    head = 'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\neingabe basis: zahl von 0 bis 100\n'
    with pytest.raises(TeilhabeError) as info:
        teilhabe_rules.loads(head + text)
    (found,) = info.value.diagnostics
    assert (found.message, found.location.line if found.location else None) == (message, line)
    assert found.hint is not None


_PROBE_HEAD = 'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\neingabe basis: zahl von 0 bis 100\n'


def _probe(name: str) -> str:
    """A model whose case and list each have a value ``name``, read by other values, beside a
    ``prüfung`` and a ``warnung`` (the plan's columns of rows in doubt and of failures)."""
    return (_PROBE_HEAD + f"wert {name} = basis + 1\nwert b = {name} * 2\n"
            'prüfung "zu groß": basis < 50\nwarnung "groß": basis < 40\n'
            'liste p "P" mindestens 0 höchstens 3\n  eingabe x: zahl von 0 bis 9\n'
            f"  wert {name} = x + 1\n  wert y = {name} + b\nende\nwert s = summe(p.y)\n")


def test_no_name_of_a_model_is_lost_among_the_columns_its_plan_adds(tmp_path: Path) -> None:
    """Every name the columnar plan gives a column of its own (``_flag``, ``_meldung`` …) is
    either refused as a model's name where it is defined, or a value of that name is computed as
    the scalar backend computes it — never a column the plan's own overwrites or renames."""
    from sqlglot import exp

    model = teilhabe_rules.loads(_probe("a"))
    names: set[str] = set()
    for plan in (model.columnar_plan(), model.columnar_plan().single):
        assert plan is not None
        for step in plan.steps:
            for node in step.query.walk():
                if isinstance(node, (exp.Alias, exp.Column, exp.TableAlias)) and node.name.startswith("_"):
                    names.add(node.name)
    cases = [{"basis": "1", "p": [{"x": "2"}]}, {"basis": "45", "p": []}, {"basis": "60", "p": [{"x": "1"}]},
             {"basis": "3", "p": [{"x": "1"}, {"x": "2"}]}]
    written = tmp_path / "r.csv"
    model.evaluate_many(cases).write(written)
    with written.open(encoding="utf-8") as handle:
        names |= {name for name in next(csv.reader(handle)) if name.startswith("_")}
    assert {"_c", "_flag", "_meldung", "_skalar", "_fehler"} <= names
    for name in sorted(names - {"_i1"}):
        try:
            probe = teilhabe_rules.loads(_probe(name))
        except TeilhabeError as exc:
            messages = [found.message for found in exc.diagnostics]
            assert messages.count(f"„{name}“ ist der Name einer Spalte der Ergebnisse") == 2, name  # (case, list)
            continue
        columnar, scalar = probe.evaluate_many(cases), probe.evaluate_many(cases, backend="skalar")
        for scope in ("", "p"):
            got = [{key: row[key] for key in (name, "b", "s", "y") if key in row} for row in columnar.rows(scope)]
            want = [{key: row[key] for key in (name, "b", "s", "y") if key in row} for row in scalar.rows(scope)]
            assert got == want and all(name in row for row in got), name
        assert [e.index for e in columnar.errors] == [e.index for e in scalar.errors] == [2], name


def test_names_that_a_result_table_tells_apart_are_fine() -> None:
    """Other letters than A–Z are not folded (``maße`` beside ``masse``, ``Äpfel`` beside
    ``äpfel``), and another scope may use a name that differs in case alone."""
    head = 'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    model = teilhabe_rules.loads(head + "eingabe masse: zahl von 0 bis 100\nwert maße = masse + 1\n"
                                 "wert Äpfel = masse + 2\nwert äpfel = masse + 3\nwert a = masse + 4\n"
                                 'liste p "P" mindestens 0 höchstens 2\n  eingabe x: zahl\n  wert A = x * 2\nende\n')
    result = model.evaluate_many([{"masse": "1", "p": [{"x": "4"}]}])
    assert [(row["maße"], row["Äpfel"], row["äpfel"], row["a"]) for row in result.rows()] == [(2, 3, 4, 5)]
    assert [row["A"] for row in result.rows("p")] == [8]


@pytest.mark.parametrize("name", MODELS)
def test_a_model_s_inputs_stage_as_its_plans_do(name: str) -> None:
    """A file staged for the plan of a model's inputs alone (before its plan is compiled: a
    comparison's early stage) is staged for each compiled plan of the model: of every value or of
    none read, on a date or on each case's own (a model whose parameters have dated values has no
    plan without a date)."""
    from teilhabe_rules.columnar.batch import stages_alike
    from teilhabe_rules.columnar.plan import input_plan
    from teilhabe_rules.errors import CheckError

    model = teilhabe_rules.bundled(name)
    inputs = input_plan(model.checked)
    assert inputs.steps == () and set(inputs.inputs) == set(model.checked.scopes)
    compared = 0
    for at in (None, model.checked.info.valid_from):  # (a day of its validity: no plan for any other)
        for wanted in (None, frozenset()):
            try:
                plan = model.columnar_plan(at=at, wanted=wanted)
            except CheckError:
                assert at is None
                continue
            assert stages_alike(inputs, model.checked, plan, model.checked)
            compared += 1
    assert compared >= 2


@pytest.mark.parametrize("name", ["fälle.csv", "fälle.jsonl"])
def test_eval_many_never_writes_over_its_population(name: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """``--out`` naming the population itself (also through a symbolic link) is a usage error, and
    the population is left as it was."""
    model = str(DATEN / "stunden.rules")
    population = tmp_path / name
    if name.endswith(".csv"):
        population.write_bytes((DATEN / "fälle.csv").read_bytes())
    else:
        population.write_text('{"beginn": "2025-03-01", "stunden": 12}\n', "utf-8")
    before = population.read_bytes()
    link = tmp_path / ("link" + population.suffix)
    link.symlink_to(population)
    for out in (population, link):
        code = main(["eval-many", model, str(population), "--out", str(out)])
        assert code == 2
        assert "ist die Population selbst" in capsys.readouterr().err
        assert population.read_bytes() == before


_FINE = teilhabe_rules.loads(
    'modell fein "Feine Stunden"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe stunden: zahl h/Jahr von 0 bis 1000\n"
    "eingabe menge: zahl h/Jahr von 0 bis 100000000000000000000000000\n"
    "parameter satz: EUR/h = 60\n"
    "wert betrag: EUR/Jahr = stunden * satz\n"
    "wert gross = menge + stunden\n", "fein.rules")


@given(st.lists(st.decimals(min_value=0, max_value=1000, places=12, allow_nan=False), min_size=1, max_size=4))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_case_the_scalar_backend_evaluates_keeps_every_digit(hours: list[Decimal]) -> None:
    """A case with more digits after the point than the plan stages goes to the scalar backend;
    its figures reach the result table exactly (the column takes more digits), as
    :meth:`Model.evaluate` gives them — never rounded to the plan's fixed point."""
    cases = [{"stunden": format(h, "f"), "menge": "1"} for h in hours]
    result = _FINE.evaluate_many(cases)
    assert not result.errors
    for row, case in zip(result.rows(), cases, strict=True):
        figures = _FINE.evaluate(case).frame.root
        assert (row["betrag"], row["gross"]) == (figures.get("betrag"), figures.get("gross"))


def test_a_figure_no_result_column_holds_exactly_is_an_error_row() -> None:
    """Where the digits before the point of one case and after it of another need more than a
    128-bit decimal holds, the finer case is an error row that says so, never a rounded figure."""
    cases = [{"stunden": "1", "menge": "10000000000000000000000000"},
             {"stunden": "0.123456789012345678901234567", "menge": "0"}]
    result = _FINE.evaluate_many(cases)
    assert [row["_c"] for row in result.rows()] == [0]
    assert result.rows()[0]["gross"] == Decimal("10000000000000000000000001")
    (error,) = result.errors
    assert error.index == 1
    assert "Stellen nach dem Komma" in error.problems[0][0]


_CHECKED = teilhabe_rules.loads(
    'modell fein "Feine Stunden"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe stunden: zahl h/Jahr von 0 bis 1000\n"
    "eingabe menge: zahl h/Jahr von 0 bis 100000000000000000000000000\n"
    "wert gross = menge + stunden\n"
    'prüfung "menge {menge} ist zu groß": menge < 1000000 h/Jahr\n', "geprüft.rules")


@pytest.mark.parametrize("order", [1, -1])
def test_a_failing_case_s_large_figure_does_not_keep_a_finer_case_from_the_table(order: int) -> None:
    """A case that fails a check leaves the result tables, but its figures stay in DuckDB's
    storage until a checkpoint: a column that takes more places after the point for a finer
    case of the scalar backend must not fail on them — one error row, one result, no exception."""
    large = {"stunden": "1", "menge": "10000000000000000000000000"}
    fine = {"stunden": "0.123456789012345678901234567", "menge": "0"}
    cases = [large, fine][::order]
    result = _CHECKED.evaluate_many(cases)
    (row,) = result.rows()
    assert row["_c"] == cases.index(fine)
    assert row["gross"] == Decimal("0.123456789012345678901234567")
    (error,) = result.errors
    assert error.index == cases.index(large)
    assert error.problems == _problems(_CHECKED, large)


_DAYS = teilhabe_rules.loads(
    'modell kt "Kalendertage"\n  version "1"\n  gültig ab 01.01.2025\nende\n'
    "eingabe von: datum\neingabe bis: datum\n"
    "wert satz: EUR = wenn kalendertage(von, bis) > 5 Tage dann 10 EUR sonst 5 EUR\n"
    "wert tage: Tage = wenn bis >= von dann kalendertage(von, bis) sonst 0 Tage\n", "kt.rules")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.dates(_dt.date(2024, 1, 1), _dt.date(2026, 12, 31)), st.integers(-4, 8)),
                min_size=1, max_size=6))
def test_kalendertage_of_a_period_ending_before_it_begins_is_a_fault_on_both_backends(
        periods: list[tuple[_dt.date, int]]) -> None:
    """A period ending the day before it starts has 0 days; one ending earlier is an evaluation
    error (it counted negative days) — the same error row on the columnar backend, and a rule
    that asks first (``wenn bis >= von``) never meets it."""
    cases = [{"von": start.isoformat(), "bis": (start + _dt.timedelta(days=shift)).isoformat()}
             for start, shift in periods]
    result = _DAYS.evaluate_many(cases)
    backwards = [number for number, (_, shift) in enumerate(periods) if shift < -1]
    assert [error.index for error in result.errors] == backwards
    for error in result.errors:
        assert error.problems == _problems(_DAYS, cases[error.index])
        (message, path), = error.problems
        assert message.startswith("kalendertage(von, bis): der Zeitraum vom ") and message.endswith(
            " endet vor seinem Beginn (bei „satz“)")
    for row in result.rows():
        shift = periods[row["_c"]][1]
        assert row["tage"] == max(shift + 1, 0) and row["satz"] == (10 if shift + 1 > 5 else 5)


def _population_naming_files(form: str, folder: Path, elsewhere: Path) -> tuple[Model, Path]:
    """A population of one MAWo person whose resident is the file ``bewohner/b.toml`` beside it
    (``form``: a JSON Lines file, a Parquet file, or a folder holding the case as a JSON case
    file), and in ``elsewhere`` a file of the same name that is no resident."""
    model = teilhabe_rules.bundled("mawo")
    (folder / "bewohner").mkdir(parents=True)
    (elsewhere / "bewohner").mkdir(parents=True)
    resident = (ROOT / "examples/mawo/bewohner/linde_1.toml").read_text("utf-8")
    (folder / "bewohner" / "b.toml").write_text(resident, "utf-8")
    (elsewhere / "bewohner" / "b.toml").write_text("kuerzel = 1\n", "utf-8")  # no resident
    case = _person(model)
    case["bewohner"] = ["bewohner/b.toml"]
    lines = folder / "p.jsonl"
    lines.write_text(json.dumps(case, default=str) + "\n", "utf-8")
    if form == "jsonl":
        return model, lines
    if form == "csv":  # (the resident as a JSON cell naming the file)
        population = folder / "p.csv"
        with population.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(list(case))
            writer.writerow([json.dumps(value) if isinstance(value, list) else ("ja" if value else "nein")
                             if isinstance(value, bool) else str(value) for value in case.values()])
        lines.unlink()
        return model, population
    if form == "parquet":
        population = folder / "p.parquet"
        con = duckdb.connect()
        con.execute(f"COPY (SELECT * FROM read_json('{lines}')) TO '{population}' (FORMAT parquet)")
        con.close()
        lines.unlink()
        return model, population
    lines.rename(folder / "fall.json")  # a folder of case files: the folder itself
    return model, folder


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
@pytest.mark.parametrize("form", ["jsonl", "parquet", "csv", "ordner"])
@pytest.mark.parametrize("where", ["datei", "api", "objekt"])
def test_element_files_of_a_population_file_are_read_beside_it(where: str, form: str, backend: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A row's element files are read from the population file's folder, or from a folder
    population's own (as ``compare`` reads them), not from the working directory — which may
    hold a file of the same name —, whatever the population's form and the backend, on the
    command line too (which reads CSV, Excel and folders case by case, JSON Lines and Parquet as
    the API does), and given to ``evaluate_many`` as its path or as the population read from it
    (``objekt``)."""
    folder, elsewhere = tmp_path / "population", tmp_path / "anderswo"
    model, population = _population_naming_files(form, folder, elsewhere)
    monkeypatch.chdir(elsewhere)
    if where != "datei":
        result = model.evaluate_many(population if where == "api" else read_population(population), backend=backend)
        assert result.errors == [] and result.evaluated == 1
    else:
        out = tmp_path / "e.csv"
        assert main(["eval-many", "mawo", str(population), "--out", str(out), "--backend", backend]) == 0
        header, row = out.read_text("utf-8").splitlines()
        assert row.endswith(",")  # (no error: the last column, _fehler, empty)


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_a_case_file_of_a_folder_reads_its_element_files_beside_it_and_no_further(
        backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cases read from a folder of case files, given to ``evaluate_many`` as a population
    object (no path to take a folder from), read their element files beside their file, as a
    case file read alone does — not from the working directory, which holds a file a case
    names: that one is not found. ``base_dir`` changes nothing for them."""
    folder, elsewhere = tmp_path / "population", tmp_path / "anderswo"
    model, population = _population_naming_files("ordner", folder, elsewhere)
    stray = json.loads((population / "fall.json").read_text("utf-8"))
    stray["bewohner"] = ["geheim/x.toml"]
    (population / "zweiter.json").write_text(json.dumps(stray), "utf-8")
    (elsewhere / "geheim").mkdir()
    (elsewhere / "geheim" / "x.toml").write_text(
        (ROOT / "examples/mawo/bewohner/linde_1.toml").read_text("utf-8"), "utf-8")
    monkeypatch.chdir(elsewhere)
    for base_dir in (None, elsewhere):
        result = model.evaluate_many(read_population(population), backend=backend, base_dir=base_dir)
        assert result.evaluated == 1
        (error,) = result.errors
        assert error.index == 1 and error.problems == (("Die Datei „geheim/x.toml“ gibt es nicht", "$.bewohner[1]"),)


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_base_dir_says_where_the_element_files_of_mappings_are_read_from(
        backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``evaluate_many(…, base_dir=…)``: the element files of cases given as mappings are read
    there and confined to it, not to the working directory; a ``base_dir`` that is no folder
    name is a CaseError."""
    folder, elsewhere = tmp_path / "population", tmp_path / "anderswo"
    model, population = _population_naming_files("jsonl", folder, elsewhere)
    case = json.loads(population.read_text("utf-8"))
    monkeypatch.chdir(elsewhere)
    assert model.evaluate_many([case], backend=backend).errors != []  # the working directory's is no resident
    for named in (folder, str(folder)):
        result = model.evaluate_many([case], backend=backend, base_dir=named)
        assert result.errors == [] and result.evaluated == 1
    outside = dict(case, bewohner=["../anderswo/bewohner/b.toml"])
    (error,) = model.evaluate_many([outside], backend=backend, base_dir=folder).errors
    ((message, path),) = error.problems
    assert "außerhalb von" in message and path == "$.bewohner[1]"
    with pytest.raises(CaseError):
        model.evaluate_many([case], backend=backend, base_dir=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
@pytest.mark.parametrize(("named", "problem"), [
    ("fehlt", "gibt es nicht"),
    ("datei.toml", "ist kein Verzeichnis"),
    ("datei.toml/darunter", "gibt es nicht (ein Teil des Pfads ist kein Verzeichnis)"),
])
@pytest.mark.parametrize("kind", ["str", "Path"])
def test_a_base_dir_that_is_no_folder_is_a_case_error(backend: str, named: str, problem: str, kind: str,
                                                      tmp_path: Path) -> None:
    """``evaluate_many(…, base_dir=…)`` naming nothing, or a file: the library's German error
    naming it, before any case is read — never each case naming an element file an error row
    of a missing file, nor the cases naming none evaluated as if all were well."""
    (tmp_path / "datei.toml").write_text("", encoding="utf-8")
    folder = tmp_path / named
    model = teilhabe_rules.load(DATEN / "stunden.rules")
    cases = [{"beginn": "2025-03-01", "stunden": 12}]
    with pytest.raises(CaseError) as caught:
        model.evaluate_many(cases, backend=backend, base_dir=str(folder) if kind == "str" else folder)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message == f"base_dir: „{folder}“ {problem}"
    assert diagnostic.hint is not None and "Listenelemente" in diagnostic.hint
    with pytest.raises(CaseError, match=re.escape(f"base_dir: „{folder}“ {problem}")):
        model.evaluate(cases[0], base_dir=folder)


@pytest.mark.parametrize("population", ["cases", "file"])
def test_a_base_dir_is_looked_up_once_not_per_case(population: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The scalar backend evaluates case after case: the folder ``base_dir`` names (or the
    population file's) is checked once, not looked up on the file system again for each case."""
    import teilhabe_rules.model as model_module

    model = teilhabe_rules.load(DATEN / "stunden.rules")
    cases = [{"beginn": "2025-03-01", "stunden": number} for number in range(1, 6)]
    source: Any = cases
    if population == "file":
        source = tmp_path / "fälle.jsonl"
        source.write_text("".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8")
    looked_up: list[Any] = []
    checked = model_module._folder

    def counting(base_dir: Any) -> Path:
        looked_up.append(base_dir)
        return checked(base_dir)

    monkeypatch.setattr(model_module, "_folder", counting)
    result = model.evaluate_many(source, backend="skalar", base_dir=tmp_path)
    assert result.evaluated == 5 and result.errors == []
    assert looked_up == [tmp_path]


class _Whole(numbers.Integral):  # a whole number of another library (numpy's int64, say)
    def __init__(self, value: int) -> None:
        self.value = value

    def __int__(self) -> int:
        return self.value

    def __index__(self) -> int:
        return self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __eq__(self, other: object) -> bool:
        return other == self.value

    def __repr__(self) -> str:
        return f"_Whole({self.value})"

    def __getattr__(self, name: str) -> Any:  # (the other operations of the ABC are not used)
        raise AttributeError(name)


for _name in ("__abs__", "__add__", "__and__", "__ceil__", "__floor__", "__floordiv__", "__invert__", "__le__",
              "__lshift__", "__lt__", "__mod__", "__mul__", "__neg__", "__or__", "__pos__", "__pow__", "__radd__",
              "__rand__", "__rfloordiv__", "__rlshift__", "__rmod__", "__rmul__", "__ror__", "__round__",
              "__rpow__", "__rrshift__", "__rshift__", "__rtruediv__", "__rxor__", "__truediv__", "__trunc__",
              "__xor__"):
    setattr(_Whole, _name, lambda self, *args: NotImplemented)
_Whole.__abstractmethods__ = frozenset()


def _wholes() -> list[Any]:
    found: list[Any] = [_Whole]
    try:
        import numpy
    except ImportError:
        return found
    return [*found, numpy.int64]


@pytest.mark.parametrize("whole", _wholes(), ids=lambda w: w.__name__)
def test_whole_numbers_of_other_types_are_taken_as_ints(whole: Any) -> None:
    """A level, a choice and a whole number given as another library's integer (a case from a
    data frame) are read as ints — by the plan and the scalar backend alike; the batch never
    stops at such a case."""
    model = teilhabe_rules.bundled("mawo")
    cases = list(sample_cases(model, 3, 2))
    odd = copy.deepcopy(cases[0])
    odd["nachtdienst"] = whole(int(odd["nachtdienst"]))
    odd["plaetze"] = whole(int(odd["plaetze"]))
    for resident in odd["bewohner"]:
        resident["pflegegrad"] = whole(int(resident["pflegegrad"]))
        resident["lp1a"]["stufe"] = whole(int(resident["lp1a"]["stufe"]))
    assert model.evaluate(odd).frame == model.evaluate(cases[0]).frame
    result = model.evaluate_many([cases[1], odd, cases[2]])
    assert result.errors == [] and result.evaluated == 3
    same = model.evaluate_many([cases[1], cases[0], cases[2]])
    assert result.rows() == same.rows()


class _DType:
    kind = "b"  # a boolean dtype


class _Truth:  # a truth value of another library (numpy's bool_, say): no bool, no number
    dtype = _DType()
    shape = ()  # a scalar, not an array

    def __init__(self, value: bool) -> None:
        self.value = bool(value)

    def __bool__(self) -> bool:
        return self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __eq__(self, other: object) -> bool:
        return other == self.value

    def __repr__(self) -> str:
        return f"_Truth({self.value})"


def _truths() -> list[Any]:
    try:
        import numpy
    except ImportError:
        return [_Truth, pytest.param(None, id="bool_", marks=pytest.mark.skip(reason="numpy is not installed"))]
    return [_Truth, numpy.bool_]


def test_the_stand_in_truth_value_is_no_bool_and_no_number() -> None:
    assert not isinstance(_Truth(True), (bool, int, numbers.Number)) and _Truth(True) == True  # noqa: E712


@pytest.mark.parametrize("truth", _truths(), ids=lambda t: t.__name__)
def test_truth_values_of_another_library_are_taken_as_ja_nein(truth: Any) -> None:
    """A ja/nein input given as another library's truth value — numpy's ``bool_``, a case from a
    data frame's column of ja/nein; recognised by its boolean ``dtype`` and empty ``shape``, as
    the stand-in has them — is read as ja or nein, by the scalar backend and the plan alike, not
    refused with „erwartet ja/nein (…), nicht True“."""
    model = teilhabe_rules.bundled("mawo")
    cases = list(sample_cases(model, 3, 2))
    odd = copy.deepcopy(cases[0])
    odd["lp1b_einfachbesetzung"] = truth(odd["lp1b_einfachbesetzung"])
    odd["besondere_personenkreise"] = truth(not odd.get("besondere_personenkreise", False))
    plain = copy.deepcopy(cases[0])
    plain["besondere_personenkreise"] = bool(odd["besondere_personenkreise"])
    for resident in odd["bewohner"]:
        resident.setdefault("lp2c", {})["reinigung"] = truth(False)
    for resident in plain["bewohner"]:
        resident.setdefault("lp2c", {})["reinigung"] = False
    assert model.evaluate(odd).frame == model.evaluate(plain).frame
    for backend in ("spalten", "skalar"):
        result = model.evaluate_many([cases[1], odd, cases[2]], backend=backend)
        assert result.errors == [] and result.evaluated == 3
        same = model.evaluate_many([cases[1], plain, cases[2]], backend=backend)
        assert result.rows() == same.rows()


def test_a_result_written_is_still_read_and_queried(tmp_path: Path) -> None:
    """``write`` leaves the connection free: the rows, the relation and the caller's own query
    work after it as before."""
    model = teilhabe_rules.bundled("mawo")
    result = model.evaluate_many([_person(model) for _ in range(3)])
    before = result.rows("bewohner")
    assert result.write(tmp_path / "ergebnis.parquet", "bewohner") == 3
    assert result.rows("bewohner") == before
    assert len(result.relation("").fetchall()) == 3
    assert result.connection.sql("SELECT 42").fetchall() == [(42,)]


def test_json_lines_give_numbers_as_exact_decimal_texts_without_exponent(tmp_path: Path) -> None:
    model = teilhabe_rules.bundled("mawo")
    result = model.evaluate_many([_person(model) for _ in range(3)])
    target = tmp_path / "ergebnis.jsonl"
    result.write(str(target), "bewohner")
    rows = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    texts = [value for row in rows for value in row.values() if isinstance(value, str)]
    assert any(re.fullmatch(r"-?[0-9]+\.[0-9]+", text) for text in texts)
    assert not [text for text in texts if re.fullmatch(r"-?[0-9.]+E[-+]?[0-9]+", text)]


@pytest.mark.parametrize("path", [None, 5, b"x.parquet", "ergebnis.txt", "a\x00b.csv"])
def test_writing_to_what_is_no_output_file_is_the_librarys_error(path: Any) -> None:
    model = teilhabe_rules.bundled("mawo")
    result = model.evaluate_many([_person(model)])
    with pytest.raises(teilhabe_rules.CaseError) as raised:
        result.write(path)
    assert raised.value.diagnostics[0].code == "ausgabe"
    if path == "ergebnis.txt":  # every kind of file it writes named
        assert all(kind in raised.value.diagnostics[0].message for kind in (".parquet", ".csv", ".jsonl", ".json-"))


def test_a_json_file_is_written_as_json_lines(tmp_path: Path) -> None:
    model = teilhabe_rules.bundled("mawo")
    result = model.evaluate_many([_person(model) for _ in range(2)])
    assert result.write(tmp_path / "ergebnis.json", "bewohner") == 2
    lines = (tmp_path / "ergebnis.json").read_text("utf-8").splitlines()
    assert [json.loads(line)["_c"] for line in lines] == [0, 1]


def test_a_scope_the_model_has_not_is_named_in_german() -> None:
    model = teilhabe_rules.bundled("mawo")
    result = model.evaluate_many([_person(model)])
    for call in (result.rows, result.relation, result.combined):
        with pytest.raises(KeyError, match="ist keine Ebene des Modells"):
            call("xyz")


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_a_relation_that_cannot_be_read_is_an_error_of_the_library(backend: str) -> None:
    """A relation DuckDB cannot read — its connection closed, its query failing — is a
    CaseError saying so, with a hint, never DuckDB's own exception."""
    model = teilhabe_rules.bundled("mawo")
    con = duckdb.connect()
    closed = con.sql("SELECT 'Haus' AS name, 12 AS plaetze")
    con.close()
    with duckdb.connect() as other:
        failing = other.sql("SELECT 'Haus' AS name, error('kaputt') AS plaetze")
        for relation, words in ((closed, "closed"), (failing, "kaputt")):
            with pytest.raises(CaseError) as info:
                model.evaluate_many(relation, backend=backend)
            (diagnostic,) = info.value.diagnostics
            assert diagnostic.message.startswith("Die Population (DuckDB-Relation) lässt sich nicht lesen: DuckDB: ")
            assert words in diagnostic.message and diagnostic.hint


def test_a_relation_is_read_as_the_same_table_in_a_file(tmp_path: Path) -> None:
    """A DuckDB relation is a table as a Parquet or CSV file is one: its ``fall`` column keys the
    cases, ``bewohner[].kuerzel`` lays a list out flat — the same cases, results and error rows as
    from the file."""
    model = teilhabe_rules.bundled("mawo")
    parquet = tmp_path / "p.parquet"
    assert main(["generate", "mawo", "-n", "30", "--seed", "3", "--out", str(parquet)]) == 0
    con = duckdb.connect()
    from_file = model.evaluate_many(parquet)
    from_relation = model.evaluate_many(con.sql("SELECT * FROM read_parquet(?)", params=[str(parquet)]))
    assert from_file.cases == from_relation.cases == 30 and from_file.evaluated > 20
    assert from_relation.rows("bewohner") == from_file.rows("bewohner")
    assert [(e.index, e.message) for e in from_relation.errors] == [(e.index, e.message) for e in from_file.errors]
    flat = ROOT / "examples/daten/angebote_flach.csv"
    relation = con.sql("SELECT * FROM read_csv(?, delim = ';', header = true, all_varchar = true)",
                       params=[str(flat)])
    expected = model.evaluate_many(flat)
    found = model.evaluate_many(relation)
    assert found.cases == expected.cases == 2 and found.rows("bewohner") == expected.rows("bewohner")


def _population_of(form: str, folder: Path) -> Path:
    """Six generated MAWo persons (the third made bad, so that its case is an error row) as a
    population of ``form``: JSON Lines with empty lines, a keyed CSV (cases of several rows),
    a Parquet file with a key column, or a folder of case files."""
    from teilhabe_rules.tools.compare import generate_population

    model = teilhabe_rules.bundled("mawo")
    folder.mkdir()
    cases = list(sample_cases(model, 6, 17))
    cases[2]["plaetze"] = -5
    if form == "jsonl":
        path = folder / "p.jsonl"
        lines = [json.dumps(case, default=str, ensure_ascii=False) for case in cases]
        path.write_text("\n".join([lines[0], "", *lines[1:4], "  ", *lines[4:]]) + "\n", "utf-8")
    elif form == "ordner":
        path = folder
        for number, case in enumerate(cases):
            (folder / f"fall_{number}.json").write_text(json.dumps(case, default=str, ensure_ascii=False), "utf-8")
    elif form == "csv":
        path = folder / "p.csv"
        generate_population(model, 6, 17, path, split="bewohner")
        with path.open(encoding="utf-8", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        keys, places = {"1": "AZ 1/7", "3": "[3", "4": "1,5"}, header.index("plaetze")
        for row in rows:
            if row[0] == "3" and row[places]:
                row[places] = "-5"
            row[0] = keys.get(row[0], row[0])
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
    else:
        path = folder / "p.parquet"
        generate_population(model, 6, 17, path, split="bewohner")
        key = "" if form == "parquet-ohne-schlüssel" else \
            "CASE fall WHEN 2 THEN '1,5' ELSE 'AZ-' || fall END AS fall, "
        duckdb.execute(f"COPY (SELECT * {'EXCLUDE (fall) ' if not key else ''}REPLACE ({key}"
                       f"CASE fall WHEN 3 THEN -5 ELSE plaetze END AS plaetze) FROM read_parquet('{path}')) "
                       f"TO '{folder / 'k.parquet'}' (FORMAT parquet)")
        path.unlink()
        path = folder / "k.parquet"
    return path


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
@pytest.mark.parametrize("form", ["jsonl", "csv", "parquet", "parquet-ohne-schlüssel", "ordner"])
def test_every_row_written_names_its_case_as_the_population_does(form: str, backend: str, tmp_path: Path) -> None:
    """``eval-many`` and ``BatchResult.write`` give each row — result or error — its case's id as
    ``_fall`` after ``_c``: the key ``fall`` of a table as written (a case of several CSV rows once),
    ``Zeile N`` of a JSON Lines line (empty lines counted), a case file's name — the ids the
    population reader gives, on both backends, from the path and from the population read."""
    path = _population_of(form, tmp_path / "population")
    model = teilhabe_rules.bundled("mawo")
    with read_population(path) as population:
        expected = [row.id for row in population]
    assert len(set(expected)) == len(expected) >= 5
    for how in ("cli", "pfad", "objekt"):
        out = tmp_path / f"{how}.csv"
        if how == "cli":
            assert main(["eval-many", "mawo", str(path), "--out", str(out), "--backend", backend]) in (0, 1)
        else:
            result = model.evaluate_many(path if how == "pfad" else read_population(path), backend=backend)
            assert result.ids is not None and result.ids(range(result.cases)) == expected
            result.write(out)
        with out.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert list(rows[0])[:2] == ["_c", "_fall"], how
        assert [row["_fall"] for row in rows] == expected, how
        assert [row["_c"] for row in rows] == [str(number) for number in range(len(expected))]
        assert sum(1 for row in rows if row["_fehler"]) >= 1, how


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
@pytest.mark.parametrize(("name", "text"), [("leer.jsonl", ""), ("kopf.csv", "name,plaetze\n"),
                                            ("kopf-de.csv", "\ufeffname;plaetze\n")])
def test_a_population_of_no_case_has_the_same_columns(name: str, text: str, backend: str, tmp_path: Path) -> None:
    """A population file of no case — an empty JSON Lines file, a CSV table of its header alone —
    gives a file of no row with the columns of any population's results, ``_fall`` after ``_c``,
    whatever the format and the way in (command line, path, population opened)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    model = teilhabe_rules.bundled("mawo")
    for how in ("cli", "pfad", "objekt"):
        out = tmp_path / f"{how}.csv"
        if how == "cli":
            assert main(["eval-many", "mawo", str(path), "--out", str(out), "--backend", backend]) == 0
        else:
            with read_population(path) as population:
                result = model.evaluate_many(path if how == "pfad" else population, backend=backend)
                assert result.cases == 0
                result.write(out)
        header, *rows = out.read_text("utf-8").splitlines()
        assert header.split(",")[:3] == ["_c", "_fall", "_skalar"], (how, header)
        assert rows == []


def test_an_empty_relation_has_the_same_columns_as_a_full_one(tmp_path: Path) -> None:
    """A DuckDB relation names its cases (``Zeile N``): with no row, its results have ``_fall`` too."""
    model = teilhabe_rules.bundled("mawo")
    con = duckdb.connect()
    headers = []
    for where in ("true", "false"):
        relation = con.sql(f"SELECT 'Haus' AS name, 12 AS plaetze WHERE {where}")
        out = tmp_path / f"{where}.csv"
        model.evaluate_many(relation).write(out)
        headers.append(out.read_text("utf-8").splitlines()[0])
    assert headers[0] == headers[1] and headers[0].startswith("_c,_fall,")


def test_cases_given_as_mappings_have_no_ids(tmp_path: Path) -> None:
    """Cases given as mappings name no case: the result has no ids, its file no ``_fall``."""
    model = teilhabe_rules.bundled("mawo")
    result = model.evaluate_many(list(sample_cases(model, 3, 5)))
    assert result.ids is None
    out = tmp_path / "e.csv"
    result.write(out)
    assert "_fall" not in out.read_text("utf-8").splitlines()[0].split(",")


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_the_results_never_replace_the_population_file(backend: str, tmp_path: Path) -> None:
    """``BatchResult.write`` to the very file the population was read from (by another name too)
    is refused, as ``eval-many --out`` refuses it: the population is not replaced by its results."""
    model = teilhabe_rules.bundled("mawo")
    case = read_data(Path(__file__).resolve().parents[2] / "examples" / "mawo" / "person_grundfall.toml")
    case = json.loads(json.dumps(case, default=str))
    population = tmp_path / "personen.jsonl"
    population.write_text(json.dumps(case, ensure_ascii=False) + "\n", encoding="utf-8")
    before = population.read_bytes()
    result = model.evaluate_many(population, backend=backend)
    assert result.evaluated == 1
    for target in (population, tmp_path / "." / "personen.jsonl"):
        with pytest.raises(CaseError) as refused:
            result.write(target)
        (diagnostic,) = refused.value.diagnostics
        assert diagnostic.message == f"„{target}“ ist die Population selbst: die Ergebnisse würden sie ersetzen"
        assert diagnostic.hint == "die Ergebnisse in eine eigene Datei schreiben"
    assert population.read_bytes() == before
    assert result.write(tmp_path / "ergebnisse.jsonl") == 1


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_a_json_cell_of_a_csv_row_with_nan_is_the_error_row_of_model_evaluate(backend: str, tmp_path: Path) -> None:
    """``NaN`` and ``Infinity`` in the JSON text of a CSV cell (a list written in one cell) are
    values of the case, as in a JSON line: the error row names each at its ``$.path`` in the
    order ``Model.evaluate`` gives — not one row-level message without a path."""
    model = teilhabe_rules.bundled("bei_nrw2")
    path = tmp_path / "population.csv"
    path.write_text(
        "fall;erstellt_am;zeitraum_beginn;zeitraum_ende;massnahmen\n"
        'a;01.01.2025;01.02.2025;31.12.2025;"[{""bezeichnung"": ""X"", ""kapitel"": ""d1"", ""art"": ""qa"", '
        '""stunden"": NaN, ""personen"": Infinity}]"\n'
        'b;01.01.2025;01.02.2025;31.12.2025;"[{""bezeichnung"": ""X"", ""kapitel"": ""d1"", ""art"": ""qa"", '
        '""stunden"": 2}]"\n', "utf-8")
    case = {"erstellt_am": "2025-01-01", "zeitraum_beginn": "2025-02-01", "zeitraum_ende": "2025-12-31",
            "massnahmen": [{"bezeichnung": "X", "kapitel": "d1", "art": "qa", "stunden": float("nan"),
                            "personen": float("inf")}]}
    expected = _problems(model, case)
    assert [where for _, where in expected] == ["$.massnahmen[1].stunden", "$.massnahmen[1].personen"]
    result = model.evaluate_many(path, backend=backend)
    assert [(e.index, e.problems) for e in result.errors] == [(0, expected)]
    assert [row["_c"] for row in result.rows()] == [1]


def _json_text(value: Any) -> str:
    """``value`` as JSON with every Decimal as the number it is (not a text), as a JSON line writes it."""
    if isinstance(value, dict):
        pairs = (json.dumps(str(k), ensure_ascii=False) + ":" + _json_text(v) for k, v in value.items())
        return "{" + ",".join(pairs) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, _dt.date):
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False)


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*path, key))]
    if isinstance(data, list):
        return [leaf for number, value in enumerate(data) for leaf in _leaves(value, (*path, number))]
    return [path]


_SPOILS = (99999, -1, "quatsch", None, "unbekannt")  # None: left out; "unbekannt": an unknown key beside it


@settings(max_examples=examples(8), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(name=st.sampled_from(["mawo", "bei_nrw3"]), data=st.data())
def test_several_problems_of_a_row_are_in_the_scalar_backend_s_order_in_every_form(
        name: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A case with several problems — wrong types, values out of range or choice, required inputs
    left out, unknown keys, anywhere in its records and lists — has one error row whose problems
    are ``Model.evaluate``'s, in its order (docs/batch.md, "Bad rows"): given as a mapping, as a
    JSON Lines file (staged in SQL) and as a folder of case files."""
    from teilhabe_rules.toml_writer import dumps
    from teilhabe_rules.tools.strategies import valid_cases

    model = teilhabe_rules.bundled(name)
    case = copy.deepcopy(data.draw(valid_cases(model), label="case"))
    for _ in range(data.draw(st.integers(2, 5), label="spoils")):
        leaves = [leaf for leaf in _leaves(case) if leaf]
        path = data.draw(st.sampled_from(leaves), label="path")
        spoil = data.draw(st.sampled_from(_SPOILS), label="spoil")
        holder = case
        for step in path[:-1]:
            holder = holder[step]
        if spoil is None or spoil == "unbekannt":
            if isinstance(holder, dict):
                if spoil is None:
                    del holder[path[-1]]
                else:
                    holder[f"unbekannt_{len(holder)}"] = 1
        else:
            holder[path[-1]] = spoil
    try:
        model.evaluate(case)
    except TeilhabeError as error:
        expected = tuple((d.message, d.path) for d in error.diagnostics)
    else:
        return  # (spoils that leave a valid case)
    folder = tmp_path_factory.mktemp("bevoelkerung")
    jsonl = folder / "population.jsonl"
    jsonl.write_text(_json_text(case) + "\n", "utf-8")
    cases = folder / "faelle"
    cases.mkdir()
    (cases / "fall.toml").write_text(dumps(case), "utf-8")
    for source, backend in (([case], "spalten"), (jsonl, "spalten"), (cases, "spalten"), (jsonl, "skalar")):
        result = model.evaluate_many(source, backend=backend)
        assert [(e.index, e.problems) for e in result.errors] == [(0, expected)], (source, backend)
        assert not result.rows()


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_a_json_line_that_is_no_object_is_the_error_row_of_model_evaluate(backend: str, tmp_path: Path) -> None:
    """A JSON Lines line of valid JSON that is no object (a list, a number, a text, ``null``,
    ``true``) is refused as ``Model.evaluate`` refuses that data (a text: a case file holding
    it) — and as a case file of a folder is in a batch: „Ein Fall ist ein Datensatz“ at ``$``,
    not a message of its own without a path."""
    model = teilhabe_rules.bundled("mawo")
    good = _person(model)
    others: list[Any] = [[1, 2], 3, "x", None, True]
    path = tmp_path / "population.jsonl"
    path.write_text("".join(json.dumps(line, default=str) + "\n" for line in [good, *others, good]), "utf-8")
    folder = tmp_path / "faelle"
    folder.mkdir()
    for number, data in enumerate(others):
        (folder / f"{number}.json").write_text(json.dumps(data), "utf-8")
    no_record = (("Ein Fall ist ein Datensatz (Tabelle/Objekt)", "$"),)
    # (a text given to Model.evaluate names a case file: the data of one, as a JSON case file holds it)
    assert {_problems(model, data) for data in others if not isinstance(data, str)} == {no_record}
    assert _problems(model, folder / "2.json") == no_record
    expected = [(number + 1, no_record) for number in range(len(others))]
    result = model.evaluate_many(path, backend=backend)
    assert [(e.index, e.problems) for e in result.errors] == expected
    assert [row["_c"] for row in result.rows()] == [0, len(others) + 1]
    in_folder = model.evaluate_many(folder, backend=backend)
    assert [e.problems for e in in_folder.errors] == [problems for _, problems in expected]


_TRUTH = teilhabe_rules.loads(
    'modell wahrheit "Wahrheit"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    'eingabe aktiv: ja_nein\neingabe name: text standard ""\neingabe stunden: zahl h/Jahr von 0 bis 1000 standard 0\n'
    "wert an: ja_nein = aktiv\nwert wer: text = name\nwert zeit: h/Jahr = stunden\n", "wahrheit.rules")
_TRUTH_WRITTEN = {"ja": True, "nein": False, "WAHR": True, "FALSCH": False}
_NO_TRUTH = ("VIELLEICHT", "Wahr", "wahr", "falsch", "Ja", "true", "1")


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
@settings(max_examples=examples(10), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.sampled_from([*_TRUTH_WRITTEN, *_NO_TRUTH]), min_size=1, max_size=8),
       name=st.sampled_from(["WAHR", "FALSCH", "Haus"]))
def test_excel_s_truth_words_in_a_csv_cell_are_ja_and_nein(backend: str, cells: list[str], name: str,
                                                          tmp_path: Path) -> None:
    """German Excel saves truth values in a CSV file as ``WAHR``/``FALSCH``: a ``ja_nein`` input
    reads them as ``ja``/``nein`` — by both backends, in a file with a decimal comma as in one
    without — and a text input keeps them as the text they are. Any other word (``Wahr``,
    ``VIELLEICHT``) is an error row, with the message evaluating the case gives."""
    path = tmp_path / "fälle.csv"
    path.write_text("\ufefffall;aktiv;name;stunden\n" + "".join(
        f"{number};{cell};{name};{'1,5' if number % 2 else '2'}\n" for number, cell in enumerate(cells)), "utf-8")
    result = _TRUTH.evaluate_many(path, backend=backend)
    taken = [number for number, cell in enumerate(cells) if cell in _TRUTH_WRITTEN]
    assert [(row["_c"], row["an"], row["wer"]) for row in result.rows()] == [
        (number, _TRUTH_WRITTEN[cells[number]], name) for number in taken]
    assert [(e.index, e.problems) for e in result.errors] == [
        (number, _problems(_TRUTH, {"aktiv": cell})) for number, cell in enumerate(cells) if cell in _NO_TRUTH]
    for _number, cell in enumerate(cells):
        if cell in _NO_TRUTH:
            assert _problems(_TRUTH, {"aktiv": cell}) == (
                (f"erwartet ja/nein (true/false, WAHR/FALSCH), nicht „{cell}“", "$.aktiv"),)


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_truth_cells_and_excel_s_truth_words_of_a_workbook_are_ja_and_nein(backend: str, tmp_path: Path) -> None:
    """A workbook's truth cells (openpyxl reads them as truth values) and its text cells
    ``WAHR``/``FALSCH`` are ``ja``/``nein``; a text cell ``wahr`` is an error row."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (("fall", "aktiv"), ("a", True), ("b", False), ("c", "WAHR"), ("d", "FALSCH"), ("e", "wahr")):
        sheet.append(row)
    path = tmp_path / "fälle.xlsx"
    book.save(path)
    result = _TRUTH.evaluate_many(path, backend=backend)
    assert [(row["_c"], row["an"]) for row in result.rows()] == [(0, True), (1, False), (2, True), (3, False)]
    assert [(e.index, e.problems) for e in result.errors] == [
        (4, (("erwartet ja/nein (true/false, WAHR/FALSCH), nicht „wahr“", "$.aktiv"),))]
