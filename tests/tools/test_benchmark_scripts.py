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
