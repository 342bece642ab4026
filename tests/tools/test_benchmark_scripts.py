"""The benchmark scripts are programs a person runs: each answers ``--help`` with its usage and
refuses an argument it does not know, before measuring anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(p for p in [*BENCHMARKS.glob("bench_*.py"), *BENCHMARKS.glob("peers/bench_*.py")])


def _run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_every_benchmark_script_is_found() -> None:
    assert {p.name for p in SCRIPTS} >= {"bench_columnar.py", "bench_scalar.py", "bench_versions.py",
                                          "bench_core.py", "bench_limits.py", "bench_openfisca.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_help_is_its_usage(script: Path) -> None:
    found = _run(script, "--help")
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith(f"usage: {script.name}"), found.stdout
    assert "Traceback" not in found.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_an_unknown_option_is_refused(script: Path) -> None:
    found = _run(script, "--keine-solche-option")
    assert found.returncode == 2, (found.stdout, found.stderr)
    assert "Traceback" not in found.stderr
    assert found.stdout == ""


def test_bench_versions_refuses_a_revision_that_is_none() -> None:
    found = _run(BENCHMARKS / "bench_versions.py", "keine-revision-xyz")
    assert found.returncode == 2
    assert "keine Revision" in found.stderr and "Traceback" not in found.stderr


def test_the_copy_floor_copies_the_result_tables_and_leaves_them_as_they_were() -> None:
    """``bench_columnar.copy_floor`` times DuckDB copying the result tables: every row of each is
    read (a table DuckDB cannot read stops it), the copies are gone after, the tables unchanged."""
    import importlib.util

    import duckdb

    spec = importlib.util.spec_from_file_location("bench_columnar_floor", BENCHMARKS / "bench_columnar.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE ergebnis_0 AS SELECT range AS _c, CAST(range AS DECIMAL(38, 18)) / 3 AS v "
                "FROM range(5000)")
    con.execute("CREATE TEMP TABLE ergebnis_1 AS SELECT range AS _c, range % 7 AS stufe FROM range(3000)")
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY _c").fetchall() for t in ("ergebnis_0", "ergebnis_1")}
    seconds = bench.copy_floor(con, {"": "ergebnis_0", "bewohner": "ergebnis_1"})
    assert seconds > 0
    names = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert names == {"ergebnis_0", "ergebnis_1"}
    assert {t: con.execute(f"SELECT * FROM {t} ORDER BY _c").fetchall() for t in before} == before
    with pytest.raises(duckdb.CatalogException):
        bench.copy_floor(con, {"": "keine_solche_tabelle"})
