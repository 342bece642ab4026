"""Every rules example in the language reference loads, checks and passes its own examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.syntax.hints import KEYWORDS
from teilhabe_rules.tools.testing import run_examples

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "02_language.md"
TEXT = REFERENCE.read_text(encoding="utf-8")
FENCE = re.compile(r"^```rules[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)


def _blocks() -> list[tuple[str, int, str]]:
    """(id, line of the fence, code) for every ```rules block, in order."""
    found = []
    for number, match in enumerate(FENCE.finditer(TEXT), start=1):
        line = TEXT.count("\n", 0, match.start()) + 1
        found.append((f"block-{number}-line-{line}", line, match["code"]))
    return found


BLOCKS = _blocks()


def _load(line: int, code: str) -> teilhabe_rules.Model:
    # leading newlines put the block at its own lines, so a diagnostic points into the reference
    return teilhabe_rules.loads("\n" * line + code, str(REFERENCE))


def test_reference_has_rules_blocks() -> None:
    """The reference shows the language in several checked blocks (the extraction finds them)."""
    assert len(BLOCKS) >= 5
    assert all(code.lstrip().startswith("modell ") for _, _, code in BLOCKS)


@pytest.mark.parametrize(
    ("line", "code"), [(line, code) for _, line, code in BLOCKS], ids=[bid for bid, _, _ in BLOCKS]
)
def test_block_loads_and_its_examples_pass(line: int, code: str) -> None:
    """The block parses and checks without error, and each of its `beispiel` blocks passes."""
    try:
        model = _load(line, code)
    except teilhabe_rules.TeilhabeError as exc:
        pytest.fail(f"the block at {REFERENCE.name}:{line} does not load:\n{exc.render()}")
    assert not [d for d in model.warnings if d.is_error]
    outcomes = run_examples(model)
    failed = [f"{o.id}:\n" + "\n".join(o.failures) for o in outcomes if not o.passed]
    assert not failed, "\n\n".join(failed)
    assert len(outcomes) == code.count("\nbeispiel ") + code.count("\n  beispiel ")


def test_block_diagnostics_point_into_the_reference() -> None:
    """A mistake in a block would be reported at its line in the reference, not in the block."""
    _, line, code = BLOCKS[0]
    broken = code.replace("wert eins = 1", "wert eins = einz")
    assert broken != code
    with pytest.raises(teilhabe_rules.CheckError, match="Unbekannter Name „einz“") as info:
        _load(line, broken)
    location = info.value.errors[0].location
    assert location is not None and location.file == str(REFERENCE)
    assert TEXT.splitlines()[location.line - 1] == "wert eins = 1"


def test_examples_block_contains_examples() -> None:
    """At least one block exercises examples, including an expected error and an agreement."""
    with_examples = [code for _, _, code in BLOCKS if "\nbeispiel " in code]
    assert with_examples
    joined = "\n".join(with_examples)
    assert "erwartet fehler" in joined and "vereinbarung " in joined


def test_reference_mentions_every_keyword() -> None:
    """The keyword list of the reference is exactly the keywords the syntax hints know."""
    listed = re.search(r"Keywords are German and lower case: `(?P<words>[^`]*)`", TEXT)
    assert listed, "the reference lists the keywords in one code span"
    assert sorted(listed["words"].split()) == sorted(KEYWORDS)
    for keyword in KEYWORDS:
        assert re.search(rf"(?<![\w]){re.escape(keyword)}(?![\w])", TEXT), keyword
