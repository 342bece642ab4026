"""The Python blocks and concrete commands of README.md and the getting-started guide run, and
the values the documentation states next to the code are the values the code gives.

A stated value is a comment ``# → SHOWN`` at the end of a statement in a ```python block:

- after an expression, ``SHOWN`` is its ``repr`` (what the interpreter shows):
  ``result.value("bewohner[1].lp2a.stufe")  # → 1``;
- after ``print(…)``, ``SHOWN`` is the printed text: ``print(result.quantity("…"))  # → 115.68 EUR/Tag``;
- after an assignment to one name, ``SHOWN`` is the ``repr`` of the name's new value.

``SHOWN`` ends at two spaces; what follows is a remark for the reader (``# → 1  (the level)``).
Every ``# →`` comment in a Python block of README.md or docs/ must be such a statement, in a
block this module runs.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shlex
import tokenize
from pathlib import Path
from typing import Any

import pytest

from teilhabe_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", ROOT / "docs" / "01_getting_started.md", ROOT / "docs" / "06_daten.md"]
ALL_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
ARROW = re.compile(r"#\s*→\s*(?P<shown>.*?)(?:\s{2,}.*)?$")


def _fenced(file: Path, kind: str) -> list[tuple[str, int, str]]:
    """(id, line of the fence, code) of every ```kind block of ``file``."""
    text = file.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(rf"```{kind}\n(.*?)```", text, re.S):
        line = text[: match.start()].count("\n") + 1
        found.append((f"{file.name}-zeile-{line}", line, match.group(1)))
    return found


def _blocks(kind: str) -> list[tuple[str, str]]:
    return [(name, code) for file in FILES for name, _, code in _fenced(file, kind)]


def stated_values(code: str) -> dict[int, str]:
    """Line (1-based, in the block) → the value a ``# → …`` comment on that line states."""
    stated = {}
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT and (match := ARROW.fullmatch(token.string)):
            stated[token.start[0]] = match["shown"]
    return stated


def run_checking_values(code: str, name: str, namespace: dict[str, Any]) -> int:
    """Runs ``code`` statement by statement in ``namespace``; every stated value must be what its
    statement gives (AssertionError naming the line otherwise). Returns the number of values checked."""
    stated = stated_values(code)
    checked = 0
    for statement in ast.parse(code, name).body:
        shown = stated.pop(statement.end_lineno or statement.lineno, None)
        where = f"{name}, Zeile {statement.lineno} des Blocks"
        if shown is None:
            exec(compile(ast.Module([statement], []), name, "exec"), namespace)  # noqa: S102 - our own docs
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
                and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "print":
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(ast.Module([statement], []), name, "exec"), namespace)  # noqa: S102
            actual = printed.getvalue().rstrip("\n")
        elif isinstance(statement, ast.Expr):
            actual = repr(eval(compile(ast.Expression(statement.value), name, "eval"), namespace))  # noqa: S307
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            exec(compile(ast.Module([statement], []), name, "exec"), namespace)  # noqa: S102
            actual = repr(namespace[statement.targets[0].id])
        else:
            raise AssertionError(f"{where}: „# → {shown}“ folgt keinem Ausdruck, print(…) oder keiner Zuweisung")
        assert actual == shown, f"{where}: die Dokumentation nennt {shown}, der Code ergibt {actual}"
        checked += 1
    assert not stated, f"{name}: „# →“ ohne Anweisung, die auf dieser Zeile endet: Zeilen {sorted(stated)}"
    return checked


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
def test_python_block_runs_and_states_true_values(name: str, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    run_checking_values(code, name, {"__name__": "docs"})


def test_the_readme_states_values() -> None:
    """The README's Python block states what its calls give (the extraction finds them)."""
    readme = [code for name, code in _blocks("python") if name.startswith("README.md")]
    assert len(readme) == 1 and len(stated_values(readme[0])) >= 4
    guide = [code for name, code in _blocks("python") if name.startswith("01_getting_started.md")]
    assert sum(len(stated_values(code)) for code in guide) >= 2


def test_every_stated_value_is_in_a_block_that_runs() -> None:
    """A ``# →`` in any other document's Python block would go unchecked: there is none."""
    elsewhere = [f"{name}, Zeile {line}" for file in ALL_DOCS if file not in FILES
                 for name, _, code in _fenced(file, "python") for line in stated_values(code)]
    assert not elsewhere


def test_a_wrong_stated_value_fails() -> None:
    code = 'x = 2 + 2  # → 4\nx * 10  # → 40  (a remark)\nprint(f"{x} EUR")  # → 4 EUR\nx + 1  # → 6\n'
    with pytest.raises(AssertionError, match=r"Zeile 4 des Blocks: die Dokumentation nennt 6, der Code ergibt 5"):
        run_checking_values(code, "probe", {})
    assert run_checking_values(code.replace("# → 6", "# → 5"), "probe", {}) == 4


@pytest.mark.parametrize("code", ["import decimal  # → decimal\n", "x = 1\n# → 1\n", "a, b = 1, 2  # → (1, 2)\n"])
def test_a_stated_value_needs_a_statement_that_gives_it(code: str) -> None:
    with pytest.raises(AssertionError, match="# →"):
        run_checking_values(code, "probe", {})


@pytest.mark.parametrize(("name", "argv"), _commands(), ids=[n for n, _ in _commands()])
def test_command_succeeds(name: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out, err) == 0, err.getvalue()
    assert out.getvalue().strip()


def test_the_commands_were_found() -> None:
    """The parametrized tests above must not silently become empty."""
    assert len(_commands()) >= 5 and len(_blocks("python")) >= 2
