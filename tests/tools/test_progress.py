"""The progress bar of ``compare`` and ``eval-many``: redrawn in place on a terminal, ending at 100 %, and
nothing on a pipe."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules.tools.progress import ProgressBar, progress_bar
from teilhabe_rules.tools.strategies import sample_cases

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def person_population(path: Path, n: int) -> Path:
    mawo = teilhabe_rules.bundled("mawo")
    lines: list[str] = []
    for case in sample_cases(mawo, n, 4):
        for element in case["bewohner"]:
            lines.append(json.dumps({**case, "bewohner": [element]}, default=str))
            if len(lines) == n:
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                return path
    raise AssertionError("too few generated persons")


class TestBar:
    """The bar itself."""

    def test_only_on_a_terminal(self) -> None:
        assert progress_bar(io.StringIO(), 10) is None
        assert progress_bar(None, 10) is None
        assert isinstance(progress_bar(Terminal(), 10), ProgressBar)

    def test_redraws_are_throttled_and_the_last_shows_all(self) -> None:
        stream = Terminal()
        start = time.perf_counter()
        bar = ProgressBar(stream, 100_000)
        for done in range(1, 100_001):
            bar.update(done)
        bar.close()
        seconds = time.perf_counter() - start
        text = stream.getvalue()
        assert text.count("\r") <= seconds / 0.2 + 1  # at most one draw per 0.2 s, and the final one
        assert text.endswith("\n")
        last = text.rsplit("\r", 1)[1]
        assert "100000/100000 Fälle (100%)" in last and "Fälle/s" in last and "noch 0 s" in last

    def test_show_draws_at_once(self) -> None:
        """``show`` draws whatever the time since the last draw; ``update`` right after it waits."""
        stream = Terminal()
        bar = ProgressBar(stream, 10)
        bar.update(1)
        assert stream.getvalue() == ""  # throttled: the bar was made just now
        bar.show(0)
        assert stream.getvalue().count("\r") == 1 and "0/10 Fälle (0%)" in stream.getvalue()
        bar.update(2)
        assert stream.getvalue().count("\r") == 1

    def test_closed_once(self) -> None:
        """A bar handed on (``compare`` draws it before staging) is closed by whoever ends last: once."""
        stream = Terminal()
        bar = ProgressBar(stream, 10)
        bar.close(10)
        bar.close()
        assert stream.getvalue().count("\n") == 1 and stream.getvalue().count("\r") == 1


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), TEILHABE_RULES_CACHE=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-m", "teilhabe_rules", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600, check=False)


@pytest.mark.parametrize("command", ["compare", "eval-many"])
def test_no_bar_on_a_pipe(command: str, tmp_path: Path) -> None:
    population = person_population(tmp_path / "p.jsonl", 30)
    args = (["compare", "mawo", "mawo_2025", str(population), "--at-old", "2024-07-01", "--at-new", "2025-07-01"]
            if command == "compare" else ["eval-many", "mawo", str(population), "--out", "e.parquet"])
    done = _run(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "\x1b" not in done.stderr and "Fälle/s" not in done.stderr


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("command", ["compare", "eval-many"])
def test_the_bar_as_a_person_sees_it_in_a_terminal(command: str, tmp_path: Path) -> None:
    """Run under tmux, read the screen: one bar line, redrawn in place, at 100 % when done."""
    population = person_population(tmp_path / "p.jsonl", 3000)
    args = (["compare", "mawo", "mawo_2025", str(population), "--at-old", "2024-07-01", "--at-new", "2025-07-01"]
            if command == "compare" else ["eval-many", "mawo", str(population), "--out", "e.parquet"])
    socket = f"teilhabe-test-{uuid.uuid4().hex[:8]}"
    shell = (f"cd {tmp_path} && env PYTHONPATH={ROOT / 'src'} TEILHABE_RULES_CACHE={tmp_path / 'cache'} "
             f"{sys.executable} -m teilhabe_rules {' '.join(args)} > out.txt; echo FERTIG $?; sleep 600")
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-s", "t", "-x", "160", "-y", "20", shell], check=True)
    screens: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "t"], capture_output=True, text=True,
                                    check=True).stdout
            screens.append(screen)
            if "FERTIG" in screen:
                break
            time.sleep(0.3)
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
    final = screens[-1]
    assert "FERTIG 0" in final, final
    bars = [line for line in final.splitlines() if "Fälle/s" in line]
    assert len(bars) == 1, final  # redrawn in place: one line
    assert "3000/3000 Fälle (100%)" in bars[0] and bars[0].lstrip().startswith("[" + "#" * 30 + "]")
    during: list[Any] = [line for screen in screens[:-1] for line in screen.splitlines()
                         if "Fälle/s" in line and "(100%)" not in line]
    assert during, "no bar was seen before the end"


@pytest.mark.parametrize("command", ["compare", "eval-many"])
def test_a_population_whose_cases_span_rows_ends_at_its_number_of_cases(command: str, tmp_path: Path) -> None:
    """A CSV file with a ``fall`` column lays each BEI_NRW case over several rows: the bar counts
    its cases, and ends at all of them, not at a share of its rows."""
    from teilhabe_rules.cli import main

    population = tmp_path / "fälle.csv"
    assert main(["generate", "bei_nrw3", "-n", "30", "--out", str(population)], io.StringIO(), io.StringIO()) == 0
    rows = population.read_text(encoding="utf-8").count("\n") - 1
    assert rows > 60  # the cases do span rows
    err = Terminal()
    args = (["compare", "bei_nrw3", "bei_nrw3", str(population), "--out", str(tmp_path / "v.csv")]
            if command == "compare" else ["eval-many", "bei_nrw3", str(population), "--out", str(tmp_path / "e.csv")])
    assert main(args, io.StringIO(), err) in (0, 1), err.getvalue()
    last = err.getvalue().rsplit("\r", 1)[1]
    assert "30/30 Fälle (100%)" in last, err.getvalue()
