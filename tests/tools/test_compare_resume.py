"""compare writes rows under a partial name, renames them when done, resumes an interrupted run."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_compare import FLAT

import teilhabe_rules
from teilhabe_rules.cli import EXIT_INTERRUPTED, main
from teilhabe_rules.tools import compare as compare_module
from teilhabe_rules.tools.compare import compare

ROWS = 8_000


def population(path: Path, rows: int) -> Path:
    """``rows`` cases of the flat model; every 97th line is broken (error rows are resumed too)."""
    lines = []
    for number in range(rows):
        if number % 97 == 96:
            lines.append('{"beginn": "2025-01-01", "stunden": ')
        else:
            lines.append(
                json.dumps(
                    {"beginn": "2025-01-01", "stunden": number % 101, "gruppe": 1 + number % 3}
                )
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def partial(path: Path) -> Path:
    return path.with_name(path.name + ".unvollständig")


def state(path: Path) -> Path:
    return path.with_name(path.name + ".unvollständig.stand")


def without_time(summary: Path) -> dict:
    data = json.loads(summary.read_text(encoding="utf-8"))
    data.pop("sekunden")
    return data


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "flach.rules").write_text(FLAT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


class Interrupt:
    """Makes the comparison stop (as Ctrl+C would) when it evaluates its ``after``-th batch."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, after: int):
        original = compare_module._Batch.__call__
        self.calls = 0

        def call(batch: compare_module._Batch, rows: list) -> tuple:
            self.calls += 1
            if self.calls == after:
                raise KeyboardInterrupt
            return original(batch, rows)

        monkeypatch.setattr(compare_module._Batch, "__call__", call)


class TestKilled:
    """A run killed with SIGKILL leaves the partial file, not the target; --fortsetzen ends it."""

    @pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
    def test_killed_halfway_then_resumed(self, folder: Path) -> None:
        cases = population(folder / "fälle.jsonl", ROWS)
        command = [
            sys.executable,
            "-m",
            "teilhabe_rules",
            "compare",
            "flach.rules",
            "flach.rules",
            str(cases),
            "--out",
            "aus.csv",
            "--summary",
            "s.json",
        ]
        target = folder / "aus.csv"
        # The columnar backend writes the rows of all cases in a burst once they are computed: on
        # a busy machine the run may end between the first state seen and the signal. Such a
        # run is started again (its files removed), up to five times.
        for _attempt in range(5):
            for leftover in (target, partial(target), state(target), folder / "s.json"):
                leftover.unlink(missing_ok=True)
            process = subprocess.Popen(
                command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            written = 0
            deadline = time.monotonic() + 120
            try:
                while process.poll() is None and time.monotonic() < deadline:
                    lines = (
                        state(target).read_bytes().split(b"\n")[1:-1] if state(target).exists() else []
                    )
                    written = json.loads(lines[-1])["zeilen"] if lines else 0
                    if written > 0:
                        process.send_signal(signal.SIGKILL)
                        break
                    time.sleep(0.002)
            finally:
                process.kill()
                process.wait()
            if process.returncode == -signal.SIGKILL:
                break
        assert written > 0 and process.returncode == -signal.SIGKILL, (
            "the run ended before it could be killed, five times"
        )

        assert not target.exists() and not (folder / "s.json").exists()
        assert partial(target).exists() and state(target).exists()
        assert partial(target).read_text(encoding="utf-8").startswith("fall,status,fehler,")

        code, _, err = run(
            "compare",
            "flach.rules",
            "flach.rules",
            str(cases),
            "--out",
            "aus.csv",
            "--summary",
            "s.json",
            "--fortsetzen",
        )
        assert code == 1  # there are error rows
        resumed = int(err.split("fortgesetzt nach ")[1].split(" ")[0])
        assert resumed >= written and resumed % 250 == 0
        assert not partial(target).exists() and not state(target).exists()

        code, _, _ = run(
            "compare",
            "flach.rules",
            "flach.rules",
            str(cases),
            "--out",
            "ganz.csv",
            "--summary",
            "ganz.json",
        )
        assert code == 1
        assert target.read_bytes() == (folder / "ganz.csv").read_bytes()
        assert without_time(folder / "s.json") == without_time(folder / "ganz.json")
        assert without_time(folder / "s.json")["fälle"] == ROWS


class TestInterrupted:
    """Ctrl+C (KeyboardInterrupt) in the middle: exit 130, the partial file stays, resuming gives
    the same bytes as an uninterrupted run."""

    def test_a_second_interrupt_while_the_first_is_handled_still_names_the_file(
        self, folder: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The command-line watcher stops a query DuckDB did not stop and tells the main thread
        once more: that KeyboardInterrupt may come while compare handles the stopped query, and
        is then caught by ``main`` — the partial file is named all the same."""
        from teilhabe_rules import cli

        cases = population(folder / "fälle.jsonl", 1_000)
        original = cli._interruption
        calls = []

        def late(exc: BaseException) -> bool:
            calls.append(exc)
            if len(calls) == 1:
                raise KeyboardInterrupt  # (Python's handler, run between two byte codes here)
            return original(exc)

        with monkeypatch.context() as patched:
            Interrupt(patched, after=4)
            patched.setattr(cli, "_interruption", late)
            code, _, err = run("compare", "flach.rules", "flach.rules", str(cases), "--out", "aus.csv")
        assert calls and code == EXIT_INTERRUPTED
        assert err == ("teilhabe-rules: abgebrochen; „aus.csv.unvollständig“ hält die bisher "
                       "geschriebenen Fälle, --fortsetzen macht dort weiter\n")

    @pytest.mark.parametrize("suffix", ["csv", "jsonl"])
    def test_resumed_output_equals_an_uninterrupted_run(
        self, folder: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
    ) -> None:
        cases = population(folder / "fälle.jsonl", 1_000)
        code, _, _ = run(
            "compare",
            "flach.rules",
            "flach.rules",
            str(cases),
            "--out",
            f"ganz.{suffix}",
            "--summary",
            "ganz.json",
        )
        assert code == 1
        with monkeypatch.context() as patched:
            Interrupt(patched, after=4)
            code, _, err = run(
                "compare",
                "flach.rules",
                "flach.rules",
                str(cases),
                "--out",
                f"aus.{suffix}",
                "--summary",
                "s.json",
            )
        assert code == EXIT_INTERRUPTED
        assert err == (
            f"teilhabe-rules: abgebrochen; „aus.{suffix}.unvollständig“ hält die bisher "
            "geschriebenen Fälle, --fortsetzen macht dort weiter\n"
        )
        target = folder / f"aus.{suffix}"
        assert not target.exists() and partial(target).exists() and not (folder / "s.json").exists()
        code, _, err = run(
            "compare",
            "flach.rules",
            "flach.rules",
            str(cases),
            "--out",
            f"aus.{suffix}",
            "--summary",
            "s.json",
            "--fortsetzen",
        )
        assert code == 1 and "fortgesetzt nach 750 Fällen" in err
        assert target.read_bytes() == (folder / f"ganz.{suffix}").read_bytes()
        assert without_time(folder / "s.json") == without_time(folder / "ganz.json")

    def test_a_torn_tail_is_cut_off(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Bytes after the last recorded batch (a kill between writing rows and recording them)
        and a half-written state line are dropped."""
        cases = population(folder / "fälle.jsonl", 1_000)
        flat = teilhabe_rules.load(folder / "flach.rules")
        whole = compare(flat, flat, cases, out=folder / "ganz.csv")
        with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
            Interrupt(patched, after=3)
            compare(flat, flat, cases, out=folder / "aus.csv")
        with partial(folder / "aus.csv").open("ab") as handle:
            handle.write(b"Zeile 501,ok,,halb")
        with state(folder / "aus.csv").open("ab") as handle:
            handle.write(b'{"zeilen": 750, "bytes": 99')
        summary = compare(flat, flat, cases, out=folder / "aus.csv", resume=True)
        assert summary.resumed == 500
        assert (folder / "aus.csv").read_bytes() == (folder / "ganz.csv").read_bytes()
        assert {k: v for k, v in summary.to_dict().items() if k != "sekunden"} == {
            k: v for k, v in whole.to_dict().items() if k != "sekunden"
        }

    def test_an_older_target_stays_until_replaced(
        self, folder: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cases = population(folder / "fälle.jsonl", 600)
        (folder / "aus.csv").write_text("alt\n", encoding="utf-8")
        with monkeypatch.context() as patched:
            Interrupt(patched, after=2)
            assert (
                run("compare", "flach.rules", "flach.rules", str(cases), "--out", "aus.csv")[0]
                == EXIT_INTERRUPTED
            )
        assert (folder / "aus.csv").read_text(encoding="utf-8") == "alt\n"
        assert run("compare", "flach.rules", "flach.rules", str(cases), "--out", "aus.csv")[0] == 1
        assert (folder / "aus.csv").read_text(encoding="utf-8").count("\n") == 601
        assert not partial(folder / "aus.csv").exists() and not state(folder / "aus.csv").exists()


class TestResumeChecks:
    """Only the same comparison is resumed; otherwise a clear error, or a run from the start."""

    def interrupted(self, folder: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> Path:
        cases = population(folder / "fälle.jsonl", 1_000)
        with monkeypatch.context() as patched:
            Interrupt(patched, after=3)
            assert (
                run(
                    "compare", "flach.rules", "flach.rules", str(cases), "--out", "aus.csv", *extra
                )[0]
                == EXIT_INTERRUPTED
            )
        return cases

    def test_other_options(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        cases = self.interrupted(folder, monkeypatch)
        code, _, err = run(
            "compare",
            "flach.rules",
            "flach.rules",
            str(cases),
            "--out",
            "aus.csv",
            "--at",
            "2025-06-01",
            "--fortsetzen",
        )
        assert code == 1
        assert "aus.csv.unvollständig“ stammt aus einem anderen Vergleich: die Optionen" in err
        assert "ohne --fortsetzen beginnt er von vorn" in err
        assert partial(folder / "aus.csv").exists()  # kept: nothing was decided

    def test_another_population(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        cases = self.interrupted(folder, monkeypatch)
        with cases.open("a", encoding="utf-8") as handle:
            handle.write('{"beginn": "2025-01-01", "stunden": 1}\n')
        code, _, err = run(
            "compare", "flach.rules", "flach.rules", str(cases), "--out", "aus.csv", "--fortsetzen"
        )
        assert code == 1 and "stammt aus einem anderen Vergleich: die Population ist anders" in err

    def test_another_model(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        cases = self.interrupted(folder, monkeypatch)
        (folder / "flach.rules").write_text(FLAT.replace("= 60", "= 61"), encoding="utf-8")
        code, _, err = run(
            "compare", "flach.rules", "flach.rules", str(cases), "--out", "aus.csv", "--fortsetzen"
        )
        assert code == 1 and "das alte Modell, das neue Modell sind anders" in err

    def test_nothing_to_resume(self, folder: Path) -> None:
        cases = population(folder / "fälle.jsonl", 10)
        code, _, err = run(
            "compare", "flach.rules", "flach.rules", str(cases), "--out", "aus.csv", "--fortsetzen"
        )
        assert code == 0 and "nichts fortzusetzen („aus.csv.unvollständig“ fehlt oder ist leer)" in err
        assert (folder / "aus.csv").read_text(encoding="utf-8").count("\n") == 11

    @pytest.mark.parametrize("loss", ["stand", "fortschritt"])
    def test_nothing_to_resume_says_what_is_missing(self, folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                    loss: str) -> None:
        """A partial file whose state is gone, or whose state records no complete row: the run
        starts over and says which file lacks what — not that the partial file is missing."""
        cases = self.interrupted(folder, monkeypatch)
        written = state(folder / "aus.csv")
        if loss == "stand":
            written.unlink()
        else:
            written.write_bytes(written.read_bytes().split(b"\n", 1)[0] + b"\n")  # the run's identity alone
        code, _, err = run(
            "compare", "flach.rules", "flach.rules", str(cases), "--out", "aus.csv", "--fortsetzen"
        )
        assert code == 1 and "fehlt oder ist leer" not in err, err  # (1: every 97th row is an error)
        said = {"stand": "nichts fortzusetzen („aus.csv.unvollständig.stand“ fehlt, die Datei, die festhält, welche "
                         "Zeilen von „aus.csv.unvollständig“ fertig sind), der Vergleich lief von vorn",
                "fortschritt": "nichts fortzusetzen („aus.csv.unvollständig.stand“ nennt keine fertige Zeile, die "
                               "„aus.csv.unvollständig“ hält), der Vergleich lief von vorn"}[loss]
        assert said in err
        assert (folder / "aus.csv").read_text(encoding="utf-8").count("\n") == 1_001

    def test_a_folder_without_case_files_is_said(self, folder: Path) -> None:
        """A population folder that holds no case file: compare and eval-many say so (a note;
        the run over no case is not an error), a folder of cases does not."""
        empty = folder / "leer"
        empty.mkdir()
        (empty / "notiz.txt").write_text("keine Fälle\n", encoding="utf-8")
        note = "„leer“ enthält keine Falldatei (*.toml, *.json)"
        code, _, err = run("compare", "flach.rules", "flach.rules", "leer")
        assert code == 0 and note in err
        code, _, err = run("eval-many", "flach.rules", "leer", "--out", "aus.csv")
        assert code == 0 and note in err
        (empty / "a.json").write_text('{"beginn": "2025-01-01", "stunden": 1}', encoding="utf-8")
        code, _, err = run("eval-many", "flach.rules", "leer", "--out", "aus.csv")
        assert code == 0 and "Falldatei" not in err

    @pytest.mark.parametrize(("name", "text", "why"), [
        ("leer.csv", "", "die Datei ist leer"),
        ("kopf.csv", "beginn;stunden\n", "keine Zeile mit Daten"),
        ("leer.jsonl", "\n\n", "keine Zeile mit Daten"),
    ])
    def test_a_population_file_of_no_case_is_said(self, folder: Path, name: str, text: str, why: str) -> None:
        """A population file that holds no case — empty, a table's header alone, empty lines — is
        said as an empty folder is (a note; not an error), a file of cases is not."""
        (folder / name).write_text(text, encoding="utf-8")
        note = f"„{name}“ enthält keinen Fall ({why})"
        code, _, err = run("compare", "flach.rules", "flach.rules", name)
        assert code == 0 and note in err
        code, _, err = run("eval-many", "flach.rules", name, "--out", "aus.csv")
        assert code == 0 and note in err
        cases = population(folder / "fälle.jsonl", 3)
        code, _, err = run("eval-many", "flach.rules", str(cases), "--out", "aus.csv")
        assert "enthält keinen Fall" not in err

    def test_resume_needs_an_output_file(self, folder: Path) -> None:
        cases = population(folder / "fälle.jsonl", 10)
        code, _, err = run("compare", "flach.rules", "flach.rules", str(cases), "--fortsetzen")
        assert code == 2 and "--fortsetzen: setzt einen Lauf mit --out DATEI fort" in err


class TestGenerateIsAtomic:
    """``generate --out`` writes through the same partial file: complete or absent."""

    def test_an_interrupted_generation_leaves_nothing(
        self, folder: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        pytest.importorskip("teilhabe_rules.tools.strategies")
        original = compare_module._Sink.write

        def write(sink: compare_module._Sink, number: int, case: dict) -> None:
            if number == 3:
                raise KeyboardInterrupt
            original(sink, number, case)

        with monkeypatch.context() as patched:
            patched.setattr(compare_module._Sink, "write", write)
            assert (
                run("generate", "flach.rules", "-n", "5", "--out", "fälle.jsonl", "--verfahren", "hypothesis")[0]
                == EXIT_INTERRUPTED
            )
        assert (
            not (folder / "fälle.jsonl").exists() and not partial(folder / "fälle.jsonl").exists()
        )
        assert run("generate", "flach.rules", "-n", "5", "--out", "fälle.jsonl")[0] == 0
        assert (folder / "fälle.jsonl").read_text(encoding="utf-8").count("\n") == 5
        assert not partial(folder / "fälle.jsonl").exists()


class TestTablesResume:
    """XLSX and Parquet outputs of the scalar path are written at the end from the partial rows: an
    interrupted run resumes to the same file as an uninterrupted one (Parquet rows are written by
    the columnar backend where it runs: pinned to the scalar one here)."""

    @pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
    def test_interrupted_then_resumed(self, folder: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
        cases = population(folder / "fälle.jsonl", 1_200)
        whole = folder / f"ganz{suffix}"
        scalar = ("--backend", "skalar")
        assert run("compare", "flach.rules", "flach.rules", str(cases), "--out", str(whole), *scalar)[0] == 1
        target = folder / f"aus{suffix}"
        with monkeypatch.context() as patched:
            Interrupt(patched, after=3)
            code, _, err = run("compare", "flach.rules", "flach.rules", str(cases), "--out", str(target), *scalar)
        assert code == EXIT_INTERRUPTED and not target.exists() and partial(target).exists(), err
        code, _, err = run("compare", "flach.rules", "flach.rules", str(cases), "--out", str(target), "--fortsetzen")
        assert code == 1 and "fortgesetzt nach 500 Fällen" in err
        assert not partial(target).exists() and not state(target).exists()
        assert table_rows(target) == table_rows(whole) and len(table_rows(whole)) == 1_200


def table_rows(path: Path) -> list[tuple]:
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return list(book["Fälle"].iter_rows(values_only=True))[1:]
        finally:
            book.close()
    import duckdb

    with duckdb.connect() as connection:
        return connection.execute(f"SELECT * FROM '{path}'").fetchall()
