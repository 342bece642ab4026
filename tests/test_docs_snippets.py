"""The Python blocks and concrete commands of README.md and the getting-started guide run."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from teilhabe_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", ROOT / "docs" / "01_getting_started.md"]


def _blocks(kind: str) -> list[tuple[str, str]]:
    found = []
    for file in FILES:
        text = file.read_text(encoding="utf-8")
        for match in re.finditer(rf"```{kind}\n(.*?)```", text, re.S):
            line = text[: match.start()].count("\n") + 1
            found.append((f"{file.name}-zeile-{line}", match.group(1)))
    return found


def _commands() -> list[tuple[str, list[str]]]:
    """`teilhabe-rules …` lines whose files all exist (placeholders like MODELL are skipped)."""
    found = []
    for name, block in _blocks("sh"):
        for raw in block.replace("\\\n", " ").splitlines():
            raw = raw.split("#", 1)[0].strip()
            if "teilhabe-rules" not in raw or "&&" in raw:
                continue
            words = shlex.split(raw[raw.index("teilhabe-rules"):])[1:]
            if words[0] not in ("eval", "check", "test"):
                continue
            paths = [w for w in words if w.endswith((".rules", ".toml", ".json")) or "/" in w]
            if all((ROOT / p).exists() for p in paths):
                found.append((f"{name}: {' '.join(words[:3])}", words))
    return found


@pytest.mark.parametrize(("name", "code"), _blocks("python"), ids=[n for n, _ in _blocks("python")])
def test_python_block_runs(name: str, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(code, name, "exec"), {"__name__": "docs"})  # noqa: S102 - our own documentation


@pytest.mark.parametrize(("name", "argv"), _commands(), ids=[n for n, _ in _commands()])
def test_command_succeeds(name: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out, err) == 0, err.getvalue()
    assert out.getvalue().strip()


def test_the_commands_were_found() -> None:
    """The parametrized tests above must not silently become empty."""
    assert len(_commands()) >= 5 and len(_blocks("python")) >= 2
