"""``compare`` on the columnar backend gives the summary the scalar backend gives, bad rows included, and
says in one line where it takes the scalar path."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
import teilhabe_rules.columnar.batch as batch_module
from teilhabe_rules.cli import main
from teilhabe_rules.shipped import model_files
from teilhabe_rules.tools import compare as compare_module
from teilhabe_rules.tools.compare import Summary, compare, generate_population
from teilhabe_rules.tools.strategies import invalid_cases, sample_cases, valid_cases

AT_OLD, AT_NEW = dt.date(2024, 7, 1), dt.date(2025, 7, 1)
# lines that are no valid case: not JSON, an array, an unknown input, a NUL character
BROKEN = ("[1, 2", "[1, 2]", '{"bewohner": [{"gibt_es_nicht": 1}]}', '{"bewohner": [{"kuerzel": "\\u0000"}]}')


INTERRUPTED = """
import datetime as dt, signal, sys, threading, time
import teilhabe_rules
from teilhabe_rules.tools import compare as compare_module

signal.signal(signal.SIGINT, signal.default_int_handler)
scalar = compare_module._ColumnarRun._scalar
waiting = threading.main_thread().ident
interrupted = threading.Event()
sent = []


def slow(run, side):
    evaluate = scalar(run, side)

    def slowly(index, data):
        if not interrupted.is_set():  # both sides run: Ctrl-C to the thread that waits for them
            interrupted.set()
            sent.append(time.monotonic())
            signal.pthread_kill(waiting, signal.SIGINT)
        time.sleep(0.5)
        return evaluate(index, data)

    return slowly


compare_module._ColumnarRun._scalar = slow
try:
    compare_module.compare(teilhabe_rules.bundled("mawo"), teilhabe_rules.bundled("mawo_2025"), sys.argv[1],
                           backend="spalten", at_old=dt.date.fromisoformat(sys.argv[2]),
                           at_new=dt.date.fromisoformat(sys.argv[3]))
    what = "durchgelaufen"
except KeyboardInterrupt:
    what = "unterbrochen"
print(what, interrupted.is_set(), round(time.monotonic() - sent[0], 2) if sent else None)
"""
"""A comparison whose rows on the scalar backend are slow, interrupted (Ctrl-C to the waiting
thread) once both sides run: prints whether it stopped, whether the signal was sent, and the
seconds from the signal to the end (argv: the population, the old and the new date) — not from
the start, which loading, compiling and staging make longer on a loaded machine."""

def model(name: str) -> teilhabe_rules.Model:
    return teilhabe_rules.bundled(name)


def write(path: Path, cases: list[Any], extra: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(case, ensure_ascii=False, default=str) for case in cases] + list(extra)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def persons(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every resident of ``cases`` as a case of its own (a person population); a case whose
    residents are no list (spoiled: ``bewohner`` a number, say) stays one case, as it is."""
    found: list[dict[str, Any]] = []
    for case in cases:
        elements = case.get("bewohner") or ()
        if isinstance(elements, (list, tuple)):
            found += [{**case, "bewohner": [element]} for element in elements]
        else:
            found.append(case)
    return found


def with_bad_rows(subject: teilhabe_rules.Model) -> st.SearchStrategy[tuple[list[dict[str, Any]], list[str]]]:
    """Populations of ``subject``: valid cases, spoiled cases (every input check) — each resident
    a case of its own for MAWo — and unreadable lines (the second item)."""

    def made(drawn: tuple[list[dict[str, Any]], list[tuple[dict[str, Any], str]], list[str]]
             ) -> tuple[list[dict[str, Any]], list[str]]:
        valid, spoiled, broken = drawn
        cases = valid + [case for case, _ in spoiled]
        return (persons(cases) if subject.name.startswith("mawo") else cases), broken

    return st.tuples(st.lists(valid_cases(subject), min_size=1, max_size=3),
                     st.lists(invalid_cases(subject), max_size=2),
                     st.lists(st.sampled_from(BROKEN), max_size=2)).map(made)


def counted_stages(monkeypatch: pytest.MonkeyPatch, name: str = "stage_shared") -> list[Any]:
    """The stages ``batch.<name>`` makes from now on (``stage_shared``, ``stage_parquet`` …: each
    appended as made; None: none made)."""
    made: list[Any] = []
    original = getattr(batch_module, name)

    def stage(*args: Any, **options: Any) -> Any:
        made.append(original(*args, **options))
        return made[-1]

    monkeypatch.setattr(batch_module, name, stage)
    return made


def both(old: teilhabe_rules.Model, new: teilhabe_rules.Model | None, population: Path,
         **options: Any) -> tuple[Summary, Summary]:
    """The comparison on each backend; their summaries must be the same, as data and as text."""
    columnar = compare(old, new, population, backend="spalten", **options)
    scalar = compare(old, new, population, backend="skalar", **options)
    assert scalar.backend == "skalar" and not scalar.notes
    left, right = columnar.to_dict(), scalar.to_dict()
    left.pop("sekunden"), right.pop("sekunden")
    assert left == right
    columnar.seconds = scalar.seconds = 0.0
    assert columnar.render_text() == scalar.render_text()
    return columnar, scalar


class TestSameSummary:
    """Two versions and two values of one model: the same figures on both backends."""

    def test_mawo_persons_under_two_versions_with_bad_rows(self, tmp_path: Path) -> None:
        old = model("mawo")
        cases = persons(list(sample_cases(old, 40, 7)))
        population = write(tmp_path / "p.jsonl", cases, BROKEN)
        columnar, scalar = both(old, model("mawo_2025"), population, at_old=AT_OLD, at_new=AT_NEW)
        assert columnar.backend == "spalten"
        assert columnar.basis == "element"  # bewohner[].jahresbetrag, one element per case
        assert columnar.errors == scalar.errors >= len(BROKEN)
        assert columnar.rows == len(cases) + len(BROKEN)

    def test_versions_whose_lists_stand_in_another_order(self, tmp_path: Path) -> None:
        """The old version declares a list before ``bewohner``: the levels of the residents are still
        paired by name, their tables by what is wanted, not by where a model declares its lists."""
        text = next(path for path in model_files() if path.stem == "mawo").read_text(encoding="utf-8")
        extra = 'liste zusatz "Zusatz" mindestens 0\n  eingabe x: zahl von 0 bis 10 standard 0 "x"\nende\n\n'
        residents = 'liste bewohner "Bewohnerinnen'
        assert residents in text
        old = teilhabe_rules.loads(text.replace(residents, extra + residents, 1)
                                   .replace('modell mawo "', 'modell mawo_alt "', 1), "mawo_alt.rules")
        new = model("mawo_2025")
        assert list(old.checked.scopes).index("bewohner") != list(new.checked.scopes).index("bewohner")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(new, 30, 7))))
        moved = {"parameter": {"lp2a_grenze_1": "15 min/Tag"}}  # the old bands elsewhere: levels change
        columnar, _ = both(old, new, population, at_old=AT_OLD, at_new=AT_NEW, agreement_old=moved)
        assert columnar.backend == "spalten"
        assert any(level.cases for level in columnar.levels.values())

    def test_an_agreement_on_the_new_side(self, tmp_path: Path) -> None:
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(mawo, 15, 3))))
        agreement = {"parameter": {"fls_satz": "75 EUR/h"}}
        columnar, _ = both(mawo, mawo, population, agreement_new=agreement, values="alle")
        assert columnar.backend == "spalten" and columnar.difference != 0

    def test_bei_nrw3_two_values_of_one_model(self, tmp_path: Path) -> None:
        bei = model("bei_nrw3")
        population = write(tmp_path / "p.jsonl", list(sample_cases(bei, 30, 5)), BROKEN[:2])
        columnar, _ = both(bei, None, population, figures=("budgetvergleich_alt", "budgetvergleich_neu"))
        assert columnar.backend == "spalten" and columnar.errors >= 2

    @pytest.mark.parametrize("name", ["mawo", "mawo_2025", "bei_nrw3"])
    def test_generated_populations_with_injected_bad_rows(self, name: str, tmp_path_factory: pytest.TempPathFactory
                                                          ) -> None:
        """Hypothesis: valid cases, spoiled cases (every input check) and unreadable lines."""
        subject = model(name)
        at = {"at_old": AT_NEW, "at_new": AT_NEW} if subject.needs_date else {}
        folder = tmp_path_factory.mktemp("gen")

        @settings(max_examples=examples(3), deadline=None, suppress_health_check=list(HealthCheck))
        @given(with_bad_rows(subject))
        def check(drawn: tuple[list[dict[str, Any]], list[str]]) -> None:
            cases, broken = drawn
            population = write(folder / "p.jsonl", cases, tuple(broken))
            columnar, scalar = both(subject, subject, population, **at)
            assert columnar.backend == "spalten", columnar.notes
            assert columnar.errors == scalar.errors >= len(broken)
            assert columnar.rows == len(cases) + len(broken)

        check()


def spoiled(case: dict[str, Any], kind: str) -> str:
    """A line of ``kind`` made from a valid case: a bad row the SQL intake must leave to the loader."""
    bad = json.loads(json.dumps(case, default=str))
    top = next(iter(bad))  # an input of the case (name for MAWo, erstellt_am for BEI_NRW 3)
    if kind == "falscher_typ":
        bad[top] = {"kein": "Wert"}
    elif kind == "unbekannter_schluessel":
        bad["gibt_es_nicht"] = 1
    elif kind == "fehlende_eingabe":
        del bad[top]
    elif kind == "falscher_typ_im_element":
        bad["bewohner"][0]["pflegegrad"] = "zwei"
    elif kind == "unbekannter_schluessel_im_element":
        bad["bewohner"][0]["gibt_es_nicht"] = True
    elif kind == "zahl_als_text":  # no error: the loader reads it, the intake takes it too
        bad["plaetze"] = str(bad["plaetze"])
    return json.dumps(bad, ensure_ascii=False)


# lines that are no case or no row: malformed, empty (blanks, a tab, a carriage return), an array
MALFORMED = ('{"name": "x",', "", "   \t", "\r", "[]", "nicht json")
KINDS = ("falscher_typ", "unbekannter_schluessel", "fehlende_eingabe", "falscher_typ_im_element",
         "unbekannter_schluessel_im_element", "zahl_als_text")


def test_a_keyed_parquet_population_names_its_largest_changes_by_their_keys(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A Parquet file of one case per row with a key column, staged by DuckDB: the ten largest
    changes are named by their keys (read at once for all ten), as the scalar path names them."""
    from teilhabe_rules.tools.generate import write_population

    old, new = model("mawo"), model("mawo_2025")
    generated = tmp_path / "erzeugt.parquet"
    write_population(new, 40, 3, generated, split="bewohner")
    population = tmp_path / "p.parquet"
    duckdb.execute(f"COPY (SELECT * REPLACE ('P-' || (1000 - fall) AS fall) FROM read_parquet('{generated}')) "
                   f"TO '{population}' (FORMAT parquet)")
    stages = counted_stages(monkeypatch, "stage_parquet")
    columnar, _scalar = both(old, new, population, at_old=AT_OLD, at_new=AT_NEW)
    assert columnar.backend == "spalten" and len(stages) == 1 and None not in stages
    ids = [item[2] for item in columnar.top()]
    assert len(ids) == 10 and all(name.startswith("P-9") for name in ids)


class TestJsonLinesIntake:
    """A JSON Lines population goes through DuckDB's intake on the columnar path: bad rows of every
    kind, empty lines and line ends leave the summary (errors, ids of the largest changes, empty
    lines) the scalar path's."""

    def test_mawo_persons_with_bad_rows_of_every_kind(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        staged = []
        original = batch_module.stage_jsonl

        def stage(*args: Any, **options: Any) -> Any:
            staged.append(original(*args, **options))
            return staged[-1]

        monkeypatch.setattr(batch_module, "stage_jsonl", stage)
        old, new = model("mawo"), model("mawo_2025")
        cases = persons(list(sample_cases(old, 30, 11)))
        lines = ["", " "] + [json.dumps(case, ensure_ascii=False, default=str) for case in cases]
        bad = [spoiled(cases[number], kind) for number, kind in enumerate(KINDS)]
        for number, line in enumerate([*bad, *MALFORMED]):  # spread over the file
            lines.insert(3 + 4 * number, line)
        lines[-1] += "\r"  # a line ending in CR LF
        population = tmp_path / "p.jsonl"
        population.write_text("\n".join(lines), encoding="utf-8")  # the last line without its line end
        columnar, scalar = both(old, new, population, at_old=AT_OLD, at_new=AT_NEW)
        assert columnar.backend == "spalten"
        assert columnar.empty == scalar.empty == 5
        assert columnar.errors == scalar.errors >= len(KINDS) - 1 + 3
        assert columnar.rows == len(lines) - 5
        assert [item[2] for item in columnar.top()] == [item[2] for item in scalar.top()]
        assert len(staged) == 1 and None not in staged  # staged by DuckDB once, for both sides (each its own date)

    def test_elements_named_by_file_are_read_beside_the_population(self, tmp_path: Path) -> None:
        mawo = model("mawo")
        cases = persons(list(sample_cases(mawo, 8, 4)))
        (tmp_path / "b1.json").write_text(json.dumps(cases[0]["bewohner"][0], default=str), encoding="utf-8")
        named = json.dumps({**cases[0], "bewohner": ["b1.json"]}, default=str)
        population = write(tmp_path / "p.jsonl", cases, (named,))
        agreement = {"parameter": {"fls_satz": "75 EUR/h"}}
        columnar, scalar = both(mawo, mawo, population, agreement_new=agreement)
        assert columnar.backend == "spalten" and columnar.errors == scalar.errors == 0

    def test_two_values_of_one_model_with_bad_rows(self, tmp_path: Path) -> None:
        bei = model("bei_nrw3")
        cases = list(sample_cases(bei, 12, 9))
        bad = [spoiled(cases[number], kind) for number, kind in enumerate(KINDS[:3])]
        population = write(tmp_path / "p.jsonl", cases, (*bad, *MALFORMED))
        columnar, _ = both(bei, None, population, figures=("budgetvergleich_alt", "budgetvergleich_neu"))
        assert columnar.backend == "spalten" and columnar.errors >= 3 + 3

    def test_a_file_that_is_not_plain_utf8_is_read_row_by_row(self, tmp_path: Path) -> None:
        """A byte that is no UTF-8 (and a byte order mark): the rows are read in Python, with the same ids."""
        mawo = model("mawo")
        cases = persons(list(sample_cases(mawo, 10, 6)))
        lines = [json.dumps(case, ensure_ascii=False, default=str).encode() for case in cases]
        lines.insert(2, b'{"name": "\xff"}')
        lines.insert(0, b"")
        population = tmp_path / "p.jsonl"
        population.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
        columnar, scalar = both(mawo, mawo, population, agreement_new={"parameter": {"fls_satz": "75 EUR/h"}})
        assert columnar.backend == "spalten" and columnar.errors == 1 and columnar.empty == 1

    @pytest.mark.parametrize("content", ["", "\n\n", "kaputt\n"])
    def test_no_case_evaluated(self, content: str, tmp_path: Path) -> None:
        """An empty file, only empty lines, only an error row: counts of zero from SQL, as on the scalar path."""
        population = tmp_path / "p.jsonl"
        population.write_text(content, encoding="utf-8")
        bei = model("bei_nrw3")
        columnar, _ = both(bei, None, population, figures=("budgetvergleich_alt", "budgetvergleich_neu"))
        assert columnar.backend == "spalten" and columnar.evaluated == 0

    def test_a_csv_population(self, tmp_path: Path) -> None:
        """A table population is staged case by case; the summary is the scalar path's."""
        mawo = model("mawo")
        population = tmp_path / "p.csv"
        generate_population(mawo, 12, 3, population, split="bewohner")
        columnar, _ = both(mawo, model("mawo_2025"), population, at_old=AT_OLD, at_new=AT_NEW)
        assert columnar.backend == "spalten" and columnar.rows == 12

    def test_the_old_version_valid_for_fewer_cases_than_the_new(self, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
        """mawo_2025 → mawo, staged once for both: the cases of 2024 are errors of the old side only."""
        shared = counted_stages(monkeypatch)
        cases = persons(list(sample_cases(model("mawo"), 30, 13)))
        population = write(tmp_path / "p.jsonl", cases, BROKEN)
        columnar, _ = both(model("mawo_2025"), model("mawo"), population)
        assert columnar.backend == "spalten" and columnar.errors_old > columnar.errors_new >= len(BROKEN)
        assert len(shared) == 1 and shared[0] is not None

    def test_two_dates_share_one_stage(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """--at-old and --at-new differ: the file is staged once, with each case's own date, and
        each side puts its own date in; the summary is the scalar path's."""
        shared = counted_stages(monkeypatch)
        cases = persons(list(sample_cases(model("mawo"), 40, 17)))
        population = write(tmp_path / "p.jsonl", cases, BROKEN)
        columnar, _ = both(model("mawo"), model("mawo_2025"), population, at_old=AT_OLD, at_new=AT_NEW)
        assert columnar.backend == "spalten" and len(shared) == 1 and shared[0] is not None
        assert shared[0].at is None
        # each side took the staged cases with its own date: only the broken lines went to the scalar
        # backend (one note, as both sides said the same)
        assert columnar.notes == [f"{len(BROKEN)} von {len(cases) + len(BROKEN)} Fällen mit dem skalaren Backend "
                                  f"ausgewertet ({len(BROKEN)} bei der Eingabeprüfung, 0 aus dem Plan)"]

    def test_the_sides_of_one_stage_run_at_once_with_one_progress_bar(self, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        """Both versions of a shared stage run at once (each in a connection of its own): the bar
        counts both sides' rows and never goes back, and the summary is the scalar path's."""
        import io
        import re

        from teilhabe_rules.tools import progress as progress_module

        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        monkeypatch.setattr(progress_module, "INTERVAL", 0.0)  # every update drawn
        cases = persons(list(sample_cases(model("mawo"), 60, 23)))
        population = write(tmp_path / "p.jsonl", cases, BROKEN)
        terminal = Terminal()
        columnar = compare(model("mawo"), model("mawo_2025"), population, backend="spalten", at_old=AT_OLD,
                           at_new=AT_NEW, progress=terminal)
        scalar = compare(model("mawo"), model("mawo_2025"), population, backend="skalar", at_old=AT_OLD,
                         at_new=AT_NEW)
        columnar.seconds = scalar.seconds = 0.0
        assert columnar.render_text() == scalar.render_text()
        shown = [int(done) for done in re.findall(r"\] (\d+)/\d+ Fälle", terminal.getvalue())]
        total = len(cases) + len(BROKEN)
        assert columnar.backend == "spalten" and shown and shown[-1] == total
        assert shown == sorted(shown), shown

    def test_a_side_that_fails_stops_the_other_at_once(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The two sides of one stage run at once: where one fails (here the old side's sums
        beyond DuckDB's DECIMAL), the other stops at once instead of running on to its end, and
        the comparison falls back to the scalar path as before."""
        import time

        keep, scalar = compare_module._ColumnarRun._keep, compare_module._ColumnarRun._scalar

        def failing(run: Any, con: Any, number: int, side: Any, result: Any) -> None:
            if number == 0:
                raise duckdb.OutOfRangeException("Overflow in addition of DECIMAL(38)")
            keep(run, con, number, side, result)

        def slow(run: Any, side: Any) -> Any:
            evaluate = scalar(run, side)
            if side is run.sides[0]:
                return evaluate

            def slowly(index: int, data: Any) -> Any:
                time.sleep(0.5)
                return evaluate(index, data)

            return slowly

        monkeypatch.setattr(compare_module._ColumnarRun, "_keep", failing)
        monkeypatch.setattr(compare_module._ColumnarRun, "_scalar", slow)
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(mawo, 4, 2))), BROKEN * 10)
        start = time.monotonic()
        summary = compare(mawo, model("mawo_2025"), population, backend="spalten", at_old=AT_OLD, at_new=AT_NEW)
        seconds = time.monotonic() - start  # the new side alone: 40 rows on the scalar backend, 20 seconds
        scalar_summary = compare(mawo, model("mawo_2025"), population, at_old=AT_OLD, at_new=AT_NEW)
        assert summary.backend == "skalar" and summary.notes[-1].startswith("die Summen des Vergleichs")
        summary.seconds = scalar_summary.seconds = 0.0
        assert summary.render_text() == scalar_summary.render_text()
        assert seconds < 8, seconds

    def test_an_interrupt_stops_both_sides_at_once(self, tmp_path: Path) -> None:
        """Ctrl-C while the two sides of one stage run: the comparison stops at once, not after
        both sides have run to their end. In a process of its own, with Python's own handler of
        Ctrl-C: a test runner's process may have had its handler changed by the tests before."""
        import subprocess
        import sys

        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(mawo, 4, 2))), BROKEN * 10)
        done = subprocess.run([sys.executable, "-W", "error", "-c", INTERRUPTED, str(population), AT_OLD.isoformat(),
                               AT_NEW.isoformat()], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        what, signalled, seconds = done.stdout.split()
        assert (what, signalled) == ("unterbrochen", "True")
        assert float(seconds) < 8  # each side to its end: 40 rows on the scalar backend, 20 seconds

    def test_sums_beyond_duckdb_s_decimal_run_on_the_scalar_backend(self, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        def refuse(*args: Any) -> None:
            raise duckdb.OutOfRangeException("Overflow in addition of DECIMAL(38)")

        monkeypatch.setattr(compare_module._ColumnarRun, "_tally", refuse)
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(mawo, 4, 2))))
        summary = compare(mawo, model("mawo_2025"), population, backend="spalten")
        scalar = compare(mawo, model("mawo_2025"), population)
        assert summary.backend == "skalar" and summary.notes[-1].startswith("die Summen des Vergleichs")
        summary.seconds = scalar.seconds = 0.0
        assert summary.render_text() == scalar.render_text()

    @pytest.mark.parametrize("where", ["plan", "tally"])
    def test_duckdb_out_of_its_memory_is_a_resource_error(self, where: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
        """Where DuckDB needs more than the memory it may use, the comparison ends with the
        library's error and its hint (on the command line: its message, exit code 1) — not a
        traceback, not an internal error."""
        def refuse(*args: Any, **options: Any) -> None:
            raise duckdb.OutOfMemoryException("could not allocate block of size 256.0 KiB (64.0 MiB/64.0 MiB used)")

        if where == "plan":
            monkeypatch.setattr(batch_module, "execute_plan", refuse)
        else:
            monkeypatch.setattr(compare_module._ColumnarRun, "_tally", refuse)
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(mawo, 4, 2))))
        with pytest.raises(teilhabe_rules.ResourceError) as raised:
            compare(mawo, model("mawo_2025"), population, backend="spalten", at_old=AT_OLD, at_new=AT_NEW)
        assert raised.value.diagnostics[0].code == "speicher"
        assert "TEILHABE_RULES_MEMORY" in (raised.value.diagnostics[0].hint or "")
        out, err = io.StringIO(), io.StringIO()
        code = main(["compare", "mawo", "mawo_2025", str(population), "--stichtag-alt", "2024-07-01",
                     "--stichtag-neu", "2025-07-01"], out, err)
        assert code == 1 and "DuckDB braucht mehr Speicher" in err.getvalue()
        assert "Traceback" not in err.getvalue() and "interner Fehler" not in err.getvalue()

    @pytest.mark.parametrize("name", ["mawo", "mawo_2025"])
    def test_generated_persons_with_bad_rows_anywhere(self, name: str,
                                                      tmp_path_factory: pytest.TempPathFactory) -> None:
        """Hypothesis: valid persons, bad rows of every kind and empty lines in any order."""
        subject = model(name)
        folder = tmp_path_factory.mktemp("gen")

        @settings(max_examples=examples(4), deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(valid_cases(subject), min_size=1, max_size=3), st.lists(st.sampled_from(KINDS), max_size=3),
               st.lists(st.sampled_from(MALFORMED), max_size=3), st.randoms(use_true_random=False))
        def check(valid: list[dict[str, Any]], kinds: list[str], malformed: list[str], order: Any) -> None:
            cases = persons(valid)
            if not cases:
                return
            lines = [json.dumps(case, ensure_ascii=False, default=str) for case in cases]
            lines += [spoiled(cases[number % len(cases)], kind) for number, kind in enumerate(kinds)]
            lines += malformed
            order.shuffle(lines)
            population = folder / "p.jsonl"
            population.write_text("\n".join(lines) + "\n", encoding="utf-8")
            columnar, scalar = both(subject, subject, population)
            assert columnar.backend == "spalten", columnar.notes
            assert columnar.rows == scalar.rows and columnar.empty == scalar.empty

        check()


class TestScalarPath:
    """Where the columnar backend cannot promise the same output, the scalar one runs, with a note."""

    def test_an_inexact_budget(self, tmp_path: Path) -> None:
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", list(sample_cases(mawo, 3, 1)))
        summary = compare(mawo, mawo, population, backend="spalten")  # budget_jahr: fixed point in the plan
        assert summary.backend == "skalar"
        assert summary.notes == ["das Budget „budget_jahr“ ist im Spaltenplan von „mawo“ nicht exakt "
                                 "(Festkomma mit 18 Nachkommastellen): Vergleich mit dem skalaren Backend"]

    def test_resuming(self, tmp_path: Path) -> None:
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(mawo, 3, 1))))
        summary = compare(mawo, mawo, population, out=tmp_path / "aus.csv", backend="spalten", resume=True)
        assert summary.backend == "skalar" and len(summary.notes) == 1
        assert summary.notes[0].startswith("--fortsetzen:")

    def test_a_directory_of_case_files(self, tmp_path: Path) -> None:
        root = Path(__file__).resolve().parents[2]
        summary = compare(model("mawo"), model("mawo_2025"), root / "examples/mawo", at_old=AT_OLD,
                          at_new=AT_NEW, backend="spalten")
        assert summary.backend == "skalar" and "Verzeichnis" in summary.notes[0]

    def test_a_side_without_a_plan(self, tmp_path: Path) -> None:
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(mawo, 3, 1))))
        dated = {"vereinbarung": {"modell": "mawo", "gültig_ab": "2020-01-01"},  # a plan is for one date
                 "parameter": {"fls_satz": "75 EUR/h"}}
        summary = compare(mawo, mawo, population, agreement_new=dated, backend="spalten")
        assert summary.backend == "skalar"
        assert summary.notes == ["Vereinbarung mit Gültigkeitszeitraum: jeder Fall mit dem skalaren Backend "
                                 "(Vergleich mit dem skalaren Backend)"]

    def test_an_unknown_backend(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="spalten or skalar"):
            compare(model("mawo"), model("mawo"), tmp_path / "p.jsonl", backend="gpu")


class TestCli:
    """``--backend`` on the command line, and the notes on standard error."""

    @pytest.mark.parametrize("written", ["skalar", "scalar"])
    def test_backend_scalar_is_today_s_path(self, written: str, tmp_path: Path) -> None:
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(mawo, 4, 2))))
        runs = {}
        for backend in ("spalten", written):
            out, err = io.StringIO(), io.StringIO()
            code = main(["compare", "mawo", "mawo", str(population), "--format", "json", "--backend", backend],
                        out, err)
            assert code == 0, err.getvalue()
            data = json.loads(out.getvalue())
            data.pop("sekunden")
            runs[backend] = (data, err.getvalue())
        assert runs["spalten"][0] == runs[written][0]
        assert runs[written][1] == ""

    def test_the_note_goes_to_standard_error(self, tmp_path: Path) -> None:
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", list(sample_cases(mawo, 2, 2)))
        out, err = io.StringIO(), io.StringIO()
        assert main(["compare", "mawo", "mawo", str(population), "--backend", "spalten"], out, err) == 0
        assert err.getvalue().count("\n") == 1 and "Festkomma" in err.getvalue()

    def test_the_default_is_columnar_for_a_json_lines_summary(self, tmp_path: Path) -> None:
        """Without --backend: the columnar backend for a JSON Lines file, without rows per case or
        with rows as Parquet (its notes not reported), the scalar one for rows of text, where a run
        is resumed or for another population."""
        mawo = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(mawo, 3, 3))))
        out, err = io.StringIO(), io.StringIO()
        assert main(["compare", "mawo", "mawo", str(population), "--format", "json"], out, err) == 0
        assert err.getvalue() == ""
        assert compare(mawo, mawo, population).backend == "spalten"
        summary = compare(mawo, mawo, population, out=tmp_path / "aus.parquet")
        assert summary.backend == "spalten" and (tmp_path / "aus.parquet").is_file()
        summary = compare(mawo, mawo, population, out=tmp_path / "aus.csv")
        assert summary.backend == "skalar" and summary.notes == []
        summary = compare(mawo, mawo, population, out=tmp_path / "weiter.parquet", resume=True)
        assert summary.backend == "skalar" and summary.notes == []
        root = Path(__file__).resolve().parents[2]
        assert compare(mawo, model("mawo_2025"), root / "examples/mawo", at_old=AT_OLD,
                       at_new=AT_NEW).backend == "skalar"
        csv = tmp_path / "p.csv"
        generate_population(mawo, 3, 3, csv, split="bewohner")
        assert compare(mawo, mawo, csv).backend == "skalar"

    def test_an_unknown_backend_is_a_usage_error(self, tmp_path: Path) -> None:
        out, err = io.StringIO(), io.StringIO()
        assert main(["compare", "mawo", "mawo", str(tmp_path / "p.jsonl"), "--backend", "gpu"], out, err) == 2


@settings(max_examples=examples(80), deadline=None)
@given(st.lists(st.sampled_from(["{}", "", " ", "\t", "\r", " \r", "x", '{"a": 1}  ']), max_size=12), st.booleans())
def test_line_numbers_are_the_population_reader_s(lines: list[str], end: bool) -> None:
    """The ids of the largest changes, and of a written batch result's rows: the line of each case
    and the empty lines as the reader counts them."""
    import tempfile

    from teilhabe_rules.columnar.batch import FileIds
    from teilhabe_rules.inputs.population import line_numbers, read_population

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.jsonl"
        path.write_bytes(("\n".join(lines) + ("\n" if end else "")).encode())
        line, empty, cases = line_numbers(path)
        with read_population(path) as rows:
            ids = [row.id for row in rows]
            assert (empty, cases) == (rows.empty, len(ids))
        assert [f"Zeile {line(index)}" for index in range(cases)] == ids
        named = FileIds(path)
        assert named(range(cases)) == ids and named.every_line() == (empty == 0)


@pytest.mark.parametrize(("positions", "expected"), [
    ([], True), ([(1,)], True), ([(1,), (1,)], True), ([(1,), (2,)], False),
    ([(1, 1), (1, 1)], True), ([(1, 1), (1, 2)], False), ([(1, 1), (2, 1)], False)])
def test_an_element_budget_is_summed_without_grouping_only_where_no_case_has_a_second(
        positions: list[tuple[int, ...]], expected: bool) -> None:
    """A list's results hold at most one element of each case only where no position (1-based, of
    each level of nested lists) is beyond the first."""
    from teilhabe_rules.duck import connect

    keys = [f"_i{depth}" for depth in range(1, len(positions[0]) + 1)] if positions else ["_i1"]
    con = connect()
    try:
        con.execute(f"CREATE TABLE ergebnis (_c BIGINT, {', '.join(f'{k} INTEGER' for k in keys)})")
        for number, position in enumerate(positions):
            con.execute(f"INSERT INTO ergebnis VALUES ({number}, {', '.join(map(str, position))})")
        assert compare_module._at_most_one_each(con, keys, "ergebnis") is expected
    finally:
        con.close()


def row_files(old: teilhabe_rules.Model, new: teilhabe_rules.Model | None, population: Path, folder: Path,
              suffix: str = ".jsonl", **options: Any) -> tuple[Path, Path, Summary]:
    """The rows per case of the comparison on each backend (files ``spalten<suffix>`` and
    ``skalar<suffix>`` in ``folder``), their summaries the same (:func:`both`); gives both files
    and the columnar summary."""
    columnar_rows, scalar_rows = folder / f"spalten{suffix}", folder / f"skalar{suffix}"
    columnar = compare(old, new, population, out=columnar_rows, backend="spalten", **options)
    scalar = compare(old, new, population, out=scalar_rows, backend="skalar", **options)
    assert columnar.backend == "spalten", columnar.notes
    left, right = columnar.to_dict(), scalar.to_dict()
    left.pop("sekunden"), right.pop("sekunden")
    assert left == right
    return columnar_rows, scalar_rows, columnar


def same_number(plan: Any, scalar: Any) -> bool:
    """Whether a number of the columnar rows is the scalar path's: the same value where the scalar
    figure has at most 6 places (a billed, rounded or otherwise exact figure, which the plan holds
    exactly), else within the plan's fixed-point error (18 places) of the 28-digit figure."""
    if plan is None or scalar is None:
        return plan is None and scalar is None
    a, b = Decimal(plan), Decimal(scalar)
    exponent = b.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent >= -6:
        return a == b
    return abs(a - b) <= Decimal("1e-15") * max(1, abs(b))


def json_lines(path: Path) -> list[Any]:
    """The objects of a JSON Lines file (its lines ended by ``\n`` only: a text may hold U+2028)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def same_json_rows(columnar: Path, scalar: Path) -> int:
    """Compare two JSON Lines files of rows per case: ids, status and messages alike, levels the
    same, every number :func:`same_number`; gives the number of rows."""
    left, right = json_lines(columnar), json_lines(scalar)
    assert len(left) == len(right)
    for mine, theirs in zip(left, right, strict=True):
        assert (mine["fall"], mine["status"], mine.get("fehler")) == (
            theirs["fall"], theirs["status"], theirs.get("fehler"))
        assert mine.get("stufen") == theirs.get("stufen")
        assert (mine.get("werte") or {}).keys() == (theirs.get("werte") or {}).keys()
        for name, figure in (theirs.get("werte") or {}).items():
            ours = mine["werte"][name]
            assert ours["einheit"] == figure["einheit"]
            for part in ("alt", "neu", "differenz"):
                if isinstance(figure[part], list):
                    assert len(ours[part]) == len(figure[part]), (name, part)
                    assert all(same_number(a, b) for a, b in zip(ours[part], figure[part], strict=True)), (name, part)
                else:
                    assert same_number(ours[part], figure[part]), (mine["fall"], name, part, ours[part], figure[part])
    return len(left)


def same_parquet_rows(columnar: Path, scalar: Path) -> int:
    """Compare two Parquet files of rows per case: the same columns; ids, status, messages and
    levels alike, every number :func:`same_number`; no floating-point column. Gives the number
    of rows."""
    tables = [duckdb.sql(f"SELECT * FROM '{path}'") for path in (columnar, scalar)]
    assert tables[0].columns == tables[1].columns
    # the same columns that may be NULL (a reader's schema: pyarrow's ``string`` or ``string not null``)
    schemas = [duckdb.sql(f"SELECT name, repetition_type FROM parquet_schema('{path}') WHERE num_children IS NULL "
                          f"OR num_children = 0").fetchall() for path in (columnar, scalar)]
    assert schemas[0] == schemas[1]
    assert not any(kind in str(t) for t in tables[0].types for kind in ("DOUBLE", "FLOAT", "REAL"))
    rows = [table.fetchall() for table in tables]
    assert len(rows[0]) == len(rows[1])
    for mine, theirs in zip(*rows, strict=True):
        for name, a, b in zip(tables[0].columns, mine, theirs, strict=True):
            if isinstance(b, list):
                assert isinstance(a, list) and len(a) == len(b), name
                assert all(same_number(x, y) for x, y in zip(a, b, strict=True)), (name, a, b)
            elif isinstance(b, (Decimal, int)) and not isinstance(b, bool):
                assert same_number(a, b), (mine[0], name, a, b)
            else:
                assert a == b, (mine[0], name, a, b)
    return len(rows[0])


class TestRowsPerCase:
    """``--out`` on the columnar backend: every row of the scalar path, in its order, with its id,
    status and messages; its levels and billed figures digit for digit, unrounded figures within
    the plan's fixed-point error."""

    @pytest.mark.parametrize("name", ["mawo", "mawo_2025", "bei_nrw3"])
    def test_generated_populations_with_injected_bad_rows(self, name: str,
                                                          tmp_path_factory: pytest.TempPathFactory) -> None:
        """Hypothesis: valid cases, spoiled cases (every input check) and unreadable lines, under
        two versions (MAWo, every value and list value) or two values of one model (BEI_NRW 3)."""
        subject = model(name)
        at = {"at_old": AT_NEW, "at_new": AT_NEW} if subject.needs_date else {}
        folder = tmp_path_factory.mktemp("rows")

        @settings(max_examples=examples(3), deadline=None, suppress_health_check=list(HealthCheck))
        @given(with_bad_rows(subject))
        def check(drawn: tuple[list[dict[str, Any]], list[str]]) -> None:
            cases, broken = drawn
            population = write(folder / "p.jsonl", cases, tuple(broken))
            if name == "bei_nrw3":
                columnar, scalar, summary = row_files(subject, None, population, folder,
                                                      figures=("budgetvergleich_alt", "budgetvergleich_neu"))
            else:
                columnar, scalar, summary = row_files(subject, subject, population, folder, values="alle", **at)
            assert same_json_rows(columnar, scalar) == len(cases) + len(broken) == summary.rows

        check()

    @pytest.mark.parametrize("name", ["mawo", "bei_nrw3"])
    def test_parquet_rows_written_by_duckdb(self, name: str, tmp_path_factory: pytest.TempPathFactory,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
        """Hypothesis: Parquet rows (levels, budget and the default values) are written by DuckDB
        from the plan's tables — no row is formatted in Python — and hold the scalar path's cells."""
        subject = model(name)
        folder = tmp_path_factory.mktemp("parquet")
        formatted = []
        monkeypatch.setattr(compare_module, "_write_records", lambda *args: formatted.append(args))

        @settings(max_examples=examples(3), deadline=None, suppress_health_check=list(HealthCheck))
        @given(with_bad_rows(subject), st.booleans())
        def check(drawn: tuple[list[dict[str, Any]], list[str]], empty_lines: bool) -> None:
            cases, broken = drawn
            population = write(folder / "p.jsonl", cases, tuple(broken) + (("", " ") if empty_lines else ()))
            if name == "bei_nrw3":
                columnar, scalar, summary = row_files(subject, None, population, folder, ".parquet",
                                                      figures=("budgetvergleich_alt", "budgetvergleich_neu"))
            else:
                columnar, scalar, summary = row_files(subject, model("mawo_2025"), population, folder, ".parquet",
                                                      at_old=AT_NEW, at_new=AT_NEW)
            assert same_parquet_rows(columnar, scalar) == len(cases) + len(broken) == summary.rows
            assert not formatted

        check()

    def test_offers_of_several_residents(self, tmp_path: Path) -> None:
        """Whole offers (several residents, one without any; the budget the offer's billed
        revenue): each level a list over the residents in their order, on both ways of writing
        rows (Parquet by DuckDB, JSON Lines)."""
        old = model("mawo")
        cases = list(sample_cases(old, 12, 8)) + [{**next(iter(sample_cases(old, 1, 2))), "bewohner": []}]
        assert any(len(case.get("bewohner") or ()) > 1 for case in cases)
        population = write(tmp_path / "p.jsonl", cases, BROKEN[:1])
        columnar, scalar, summary = row_files(old, model("mawo_2025"), population, tmp_path, ".parquet",
                                              at_old=AT_NEW, at_new=AT_NEW, budget="erloes_jahr")
        assert same_parquet_rows(columnar, scalar) == len(cases) + 1 == summary.rows
        levels = duckdb.sql(f'SELECT len("bewohner[].lp2a.stufe.alt") FROM \'{columnar}\'').fetchall()
        assert max(n for (n,) in levels if n is not None) > 1
        columnar, scalar, summary = row_files(old, model("mawo_2025"), population, tmp_path, at_old=AT_NEW,
                                              at_new=AT_NEW, values="alle", budget="erloes_jahr")
        assert same_json_rows(columnar, scalar) == len(cases) + 1

    def test_a_temporary_folder_with_a_pattern_character(self, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
        """The stage's folder holds ``~``: its database reaches the rows file only through a link,
        which DuckDB does not write through — the rows go through the scalar path's writer."""
        import tempfile

        folder = tmp_path / "tmp~[x]"
        folder.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(folder))
        old = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(old, 6, 4))), BROKEN[:1])
        columnar, scalar, summary = row_files(old, model("mawo_2025"), population, tmp_path, ".parquet",
                                              at_old=AT_NEW, at_new=AT_NEW)
        assert same_parquet_rows(columnar, scalar) == summary.rows > 6

    def test_parquet_columns_are_typed_without_any_error_or_case(self, tmp_path: Path) -> None:
        """``fehler`` is text where no case fails, ``fall`` where there is no case (as the scalar path
        writes them), never Parquet's null type."""
        old = model("mawo")
        clean = write(tmp_path / "p.jsonl", persons(list(sample_cases(old, 4, 6)))[:3])
        empty = tmp_path / "leer.jsonl"
        empty.write_text("\n \n", encoding="utf-8")
        for number, population in enumerate((clean, empty)):
            folder = tmp_path / f"aus{number}"
            folder.mkdir()
            columnar, scalar, summary = row_files(old, old, population, folder, ".parquet", budget="erloes_jahr")
            assert summary.errors == 0
            kinds = [dict(duckdb.sql(f"SELECT name, type FROM parquet_schema('{path}')").fetchall())
                     for path in (columnar, scalar)]
            assert kinds[0]["fall"] == kinds[0]["fehler"] == kinds[1]["fehler"] == "BYTE_ARRAY"

    def test_a_target_that_cannot_be_written_fails_before_the_evaluation(self, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
        old = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(old, 2, 6))))

        def evaluated(*args: Any, **options: Any) -> None:
            raise AssertionError("evaluated before the target was checked")

        monkeypatch.setattr(compare_module._ColumnarRun, "summarize", evaluated)
        for target in (tmp_path / "fehlt" / "x.parquet", tmp_path):
            with pytest.raises(teilhabe_rules.CaseError):
                compare(old, old, population, out=target, out_format="parquet", backend="spalten")

    def test_two_versions_with_failures_on_one_side(self, tmp_path: Path) -> None:
        """MAWo against MAWo 2025 on the old date: the new version refuses every case (its
        validity), each row says so on its side; bad lines fail on both."""
        old = model("mawo")
        cases = persons(list(sample_cases(old, 12, 5)))
        population = write(tmp_path / "p.jsonl", cases, BROKEN)
        columnar, scalar, summary = row_files(old, model("mawo_2025"), population, tmp_path,
                                              at_old=AT_OLD, at_new=AT_OLD)
        assert same_json_rows(columnar, scalar) == len(cases) + len(BROKEN)
        rows = json_lines(columnar)
        assert summary.errors_new == len(rows) and all("neu" in row["fehler"] for row in rows)
        assert sum("alt" in row["fehler"] for row in rows) == summary.errors_old >= len(BROKEN)

    @pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
    def test_every_format(self, suffix: str, tmp_path: Path) -> None:
        """CSV, Parquet and XLSX hold the same cells on both backends (numbers as values)."""
        import openpyxl

        old = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(old, 8, 9))), BROKEN[:1])
        columnar, scalar, _ = row_files(old, model("mawo_2025"), population, tmp_path, suffix, at_old=AT_NEW,
                                        at_new=AT_NEW)
        if suffix == ".csv":
            tables = [list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
                      for path in (columnar, scalar)]
        elif suffix == ".parquet":
            tables = [[[str(cell) if cell is not None else "" for cell in row]
                       for row in duckdb.sql(f"SELECT * FROM '{path}'").fetchall()] for path in (columnar, scalar)]
        else:
            tables = []
            for path in (columnar, scalar):
                book = openpyxl.load_workbook(path, read_only=True)
                try:
                    tables.append([["" if cell is None else str(cell) for cell in row]
                                   for row in book["Fälle"].iter_rows(values_only=True)])
                finally:
                    book.close()
        assert len(tables[0]) == len(tables[1]) > 8
        for mine, theirs in zip(*tables, strict=True):
            assert len(mine) == len(theirs)
            for a, b in zip(mine, theirs, strict=True):
                try:
                    assert same_number(Decimal(str(a)), Decimal(str(b)))
                except ArithmeticError:
                    assert a == b

    def test_a_keyed_parquet_population(self, tmp_path: Path) -> None:
        """The rows of a Parquet population with a key column are named by their keys."""
        from teilhabe_rules.tools.generate import write_population

        old, new = model("mawo"), model("mawo_2025")
        generated = tmp_path / "erzeugt.parquet"
        write_population(new, 30, 4, generated, split="bewohner")
        population = tmp_path / "p.parquet"
        duckdb.execute(f"COPY (SELECT * REPLACE ('P-' || (1000 - fall) AS fall) FROM read_parquet('{generated}')) "
                       f"TO '{population}' (FORMAT parquet)")
        columnar, scalar, summary = row_files(old, new, population, tmp_path, at_old=AT_NEW, at_new=AT_NEW)
        assert same_json_rows(columnar, scalar) == summary.rows
        first = json_lines(columnar)[0]
        assert first["fall"].startswith("P-9")
        columnar, scalar, summary = row_files(old, new, population, tmp_path, ".parquet", at_old=AT_NEW,
                                              at_new=AT_NEW)
        assert same_parquet_rows(columnar, scalar) == summary.rows
        assert duckdb.sql(f"SELECT fall FROM '{columnar}' LIMIT 1").fetchall()[0][0].startswith("P-9")

    @pytest.mark.parametrize(("notation", "mark"), [(("1,0", "1.0"), ","), (("1.0", "1,0"), "."), ((None, None), None)])
    def test_a_parquet_file_s_decimal_mark_is_told_on_both_backends(self, tmp_path: Path,
                                                                      notation: tuple[str | None, ...],
                                                                      mark: str | None) -> None:
        """A Parquet population with numbers in a text column (``plaetze`` as ``199,0``, a later
        row in the other notation, an error): the columnar backend stages it in SQL, yet its
        summary tells the decimal mark as the scalar backend's reader does — the first text cell
        that tells — with or without rows written; so too a file whose text cells tell none."""
        from teilhabe_rules.tools.generate import write_population

        old, new = model("mawo"), model("mawo_2025")
        generated = tmp_path / "erzeugt.parquet"
        write_population(new, 12, 3, generated, split="bewohner")
        first, later = notation
        text = "plaetze::VARCHAR" if first is None else (
            f"CASE WHEN fall = 3 THEN plaetze::VARCHAR || '{first[1:]}' WHEN fall = 8 THEN plaetze::VARCHAR || "
            f"'{later[1:]}' ELSE plaetze::VARCHAR END")
        population = tmp_path / "text.parquet"
        duckdb.execute(f"COPY (SELECT * REPLACE ({text} AS plaetze) FROM read_parquet('{generated}') ORDER BY fall) "
                       f"TO '{population}' (FORMAT parquet)")
        columnar, scalar, summary = row_files(old, new, population, tmp_path, ".parquet", at_old=AT_NEW,
                                              at_new=AT_NEW)
        assert same_parquet_rows(columnar, scalar) == summary.rows == 12
        assert summary.reading is not None and summary.reading.decimal == mark
        assert summary.errors == (0 if mark is None else 1)
        alone = compare(old, new, population, backend="spalten", at_old=AT_NEW, at_new=AT_NEW)
        assert alone.backend == "spalten" and alone.reading == summary.reading

    def test_keys_are_written_as_the_population_writes_them(self, tmp_path: Path) -> None:
        """A key that reads like a number in either notation or like JSON names its case as the
        population writes it, on both backends, from Parquet and from CSV: ``1,5`` stays
        ``1,5``, ``{"a":1}`` stays ``{"a":1}`` (not Python's ``{'a': 1}``); only the blanks
        around a key are not part of it."""
        from teilhabe_rules.tools.generate import write_population

        old, new = model("mawo"), model("mawo_2025")
        keys = ["1,5", '{"a":1}', "1.5", "[3", "007", " 12h ", "1e3"]
        generated = tmp_path / "erzeugt.parquet"
        write_population(new, len(keys), 5, generated, split="bewohner")
        population = tmp_path / "p.parquet"
        duckdb.execute(f"COPY (SELECT * REPLACE (list_extract(?, fall::INTEGER) AS fall) "
                       f"FROM read_parquet('{generated}')) TO '{population}' (FORMAT parquet)", [keys])
        expected = [key.strip() for key in keys]
        columnar, scalar, summary = row_files(old, new, population, tmp_path, ".parquet", at_old=AT_NEW,
                                              at_new=AT_NEW)
        assert same_parquet_rows(columnar, scalar) == summary.rows
        assert [row[0] for row in duckdb.sql(f"SELECT fall FROM '{columnar}'").fetchall()] == expected
        written, table = tmp_path / "erzeugt.csv", tmp_path / "p.csv"
        generate_population(new, len(keys), 5, written, split="bewohner")
        with written.open(encoding="utf-8", newline="") as source, table.open("w", encoding="utf-8", newline="") as out:
            lines = list(csv.reader(source))
            assert lines[0][0] == "fall"
            csv.writer(out).writerows([lines[0], *([keys[int(line[0]) - 1], *line[1:]] for line in lines[1:])])
        for backend in ("spalten", "skalar"):
            out = tmp_path / f"{backend}.csv"
            compare(old, new, table, out=out, backend=backend, at_old=AT_NEW, at_new=AT_NEW)
            with out.open(encoding="utf-8", newline="") as handle:
                assert [row["fall"] for row in csv.DictReader(handle)] == expected, backend

    def test_a_large_population_s_rows_keep_its_order(self, tmp_path: Path) -> None:
        """60,000 generated persons, every 101st made failing (several night watches without their
        number; row groups and threads enough for DuckDB to join its tables out of order): the
        Parquet rows are the population's in its order, each with its own key, status, message and
        figures — those of the person compared alone."""
        from teilhabe_rules.tools.generate import write_population

        old, new = model("mawo"), model("mawo_2025")
        generated = tmp_path / "erzeugt.parquet"
        write_population(new, 60_000, 7, generated, split="bewohner")
        population = tmp_path / "p.parquet"  # keys falling as the rows go on
        duckdb.execute(f"COPY (SELECT * REPLACE ('P-' || (100000 - fall) AS fall, CASE WHEN fall % 101 = 0 THEN 4 "
                       "ELSE nachtdienst END AS nachtdienst, CASE WHEN fall % 101 = 0 THEN NULL ELSE nachtwachen END "
                       f"AS nachtwachen) FROM read_parquet('{generated}')) TO '{population}' (FORMAT parquet)")
        rows = tmp_path / "zeilen.parquet"
        summary = compare(old, new, population, out=rows, backend="spalten", at_old=AT_NEW, at_new=AT_NEW)
        assert summary.backend == "spalten" and summary.rows == 60_000
        keys = [key for (key,) in duckdb.sql(f"SELECT fall FROM '{population}'").fetchall()]
        table = duckdb.sql(f"SELECT * FROM '{rows}'").fetchall()
        assert [row[0] for row in table] == keys
        failed = [index for index, row in enumerate(table) if row[1] == "fehler"]
        assert failed == [index for index in range(60_000) if (index + 1) % 101 == 0]
        picked = [59_999, 0, 2047, 2048, 30_001, *failed[:2], failed[-1]]  # compared again, by themselves
        few, again = tmp_path / "einige.parquet", tmp_path / "zeilen_einige.parquet"
        duckdb.execute(f"COPY (SELECT p.* EXCLUDE (file_row_number) FROM read_parquet('{population}', "
                       f"file_row_number = true) AS p JOIN (SELECT unnest({picked}) AS n, "
                       f"generate_subscripts({picked}, 1) AS k) ON file_row_number = n ORDER BY k) "
                       f"TO '{few}' (FORMAT parquet)")
        compare(old, new, few, out=again, backend="spalten", at_old=AT_NEW, at_new=AT_NEW)
        assert duckdb.sql(f"SELECT * FROM '{again}'").fetchall() == [table[index] for index in picked]

    def test_the_rows_can_be_taken_over_by_a_resumed_run(self, tmp_path: Path) -> None:
        """The columnar run writes the state of its partial file as the scalar path does: a run
        stopped after its rows are written (before the file is renamed) is resumed, on the scalar
        path, with every row taken over and the same summary."""
        old = model("mawo")
        population = write(tmp_path / "p.jsonl", persons(list(sample_cases(old, 10, 4))), BROKEN[:2])
        target = tmp_path / "zeilen.jsonl"
        finish = compare_module._RowFile.finish

        def stop(self: Any, summary: Summary) -> None:
            raise KeyboardInterrupt

        compare_module._RowFile.finish = stop  # type: ignore[method-assign]
        try:
            with pytest.raises(KeyboardInterrupt):
                compare(old, old, population, out=target, backend="spalten", values="alle")
        finally:
            compare_module._RowFile.finish = finish  # type: ignore[method-assign]
        assert not target.exists()
        resumed = compare(old, old, population, out=target, resume=True, values="alle")
        whole = compare(old, old, population, out=tmp_path / "ganz.jsonl", backend="skalar", values="alle")
        assert resumed.backend == "skalar" and resumed.resumed == whole.rows
        left, right = resumed.to_dict(), whole.to_dict()
        for data in (left, right):
            data.pop("sekunden"), data.pop("fortgesetzt", None)
        assert left == right
        assert same_json_rows(target, tmp_path / "ganz.jsonl") == whole.rows
