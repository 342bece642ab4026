"""docs/versions.md: its commands run with the output shown, its rules and Python blocks work."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "versions.md"
TEXT = DOC.read_text(encoding="utf-8")
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)
EXIT = re.compile(r"\s+# Exit-Code (\d+)\s*$")


def blocks(kind: str) -> list[tuple[str, str]]:
    return [(m["info"].strip(), m["code"]) for m in FENCE.finditer(TEXT) if m["info"].split(" ")[:1] == [kind]]


def commands(code: str) -> list[tuple[str, int, list[str]]]:
    """(command line, expected exit code, expected output lines) of a console block."""
    out: list[tuple[str, int, list[str]]] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            command = line[2:]
            found = EXIT.search(command)
            out.append((EXIT.sub("", command), int(found.group(1)) if found else 0, []))
        else:
            out[-1][2].append(line)
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where ``models/`` and ``examples/`` are those of the checkout (outputs land here)."""
    folder = tmp_path_factory.mktemp("versions-doc")
    (folder / "models").symlink_to(ROOT / "models")
    (folder / "examples").symlink_to(ROOT / "examples")
    return folder


def run(command: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    argv = shlex.split(command)
    assert argv[0] == "teilhabe-rules"
    monkeypatch.chdir(folder)
    out, err = io.StringIO(), io.StringIO()
    code = main(argv[1:], out, err)
    return code, [line.rstrip() for line in (out.getvalue() + err.getvalue()).splitlines()]


def test_the_doc_has_its_blocks() -> None:
    assert len(blocks("console")) == 9
    assert len(blocks("rules")) == 2 and len(blocks("python")) == 2


def test_console_blocks_in_order(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command exits as shown; exact blocks print exactly what is shown; blocks marked
    ``generiert`` (figures of the generated population) print the same counts and sections."""
    pytest.importorskip("teilhabe_rules.tools.strategies")  # `generate` draws from the testing strategies
    ran = 0
    for info, code in blocks("console"):
        for command, expected_code, expected in commands(code):
            status, lines = run(command, workdir, monkeypatch)
            assert status == expected_code, (command, lines)
            expected = [line.rstrip() for line in expected]
            if info == "console":
                assert lines == expected, command
            else:
                assert info == "console generiert"
                assert lines[:3] == expected[:3], command
                headings = [line for line in expected if line and not line.startswith(" ")]
                assert [line for line in lines if line and not line.startswith(" ")] == headings
                assert len(lines) == len(expected)
            ran += 1
    assert ran == 12
    assert (workdir / "personen.jsonl").read_text(encoding="utf-8").count("\n") == 1000
    assert (workdir / "vergleich.csv").read_text(encoding="utf-8").count("\n") == 1001
    assert (workdir / "zusammenfassung.json").exists() and (workdir / "lesart2.jsonl").exists()
    assert (workdir / "budgetvergleich.csv").read_text(encoding="utf-8").count("\n") == 9  # header + 8 persons

    # then the Python blocks, in the same folder (the second reads personen.jsonl)
    monkeypatch.chdir(workdir)
    for _, code in blocks("python"):
        exec(compile(code, str(DOC), "exec"), {"__name__": "versions_doc"})  # noqa: S102 - the doc's own example


def test_rules_blocks_are_the_files_they_show() -> None:
    (_, first), (_, second) = blocks("rules")
    assert first in (ROOT / "examples/versionen/stundensatz.rules").read_text(encoding="utf-8")
    assert second in (ROOT / "models/mawo_2025.rules").read_text(encoding="utf-8")
    assert teilhabe_rules.loads(first, str(DOC)).needs_date
    variant = teilhabe_rules.loads(second, str(DOC))  # the base is found among the bundled models
    bundled = teilhabe_rules.bundled("mawo_2025")
    assert variant.checked.parameters["fls_satz"].default == bundled.checked.parameters["fls_satz"].default
