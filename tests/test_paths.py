"""A data path is read exactly as it is written, or it is a PathError: never read otherwise."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from teilhabe_rules.paths import PathError, format_path, parse_path

NAMES = st.text(alphabet="abü_", min_size=1, max_size=4)
STEPS = st.lists(st.one_of(NAMES, st.integers(min_value=1, max_value=10**6)), max_size=6).map(tuple)


@given(first=NAMES, rest=STEPS)
def test_a_formatted_path_reads_back_as_its_steps(first: str, rest: tuple[str | int, ...]) -> None:
    steps = (first, *rest)
    assert parse_path(format_path(steps)) == steps


@given(text=st.text(alphabet="ab.[]12²١", max_size=12))
@example("a.b.")
@example("a..b")
@example("a[1")
@example("a[1].5]")
@example("a[²]")
def test_a_text_reads_as_written_or_not_at_all(text: str) -> None:
    """Any text either reads as the steps it writes (formatted again, it is the same text) or is a
    PathError (a ValueError with a German message) — not a path with a dot, a bracket or a
    character dropped, nor another ValueError."""
    try:
        steps = parse_path(text)
    except PathError:
        return
    assert format_path(steps) == text


@pytest.mark.parametrize(("text", "words"), [
    ("bewohner[1]..kap4", "nach einem Punkt fehlt ein Name"),
    ("bewohner.", "nach einem Punkt fehlt ein Name"),
    ("bewohner[1.kap4", "„[1“ ist nicht mit „]“ geschlossen"),
    ("bewohner]", "unerwartet „]“"),
    ("bewohner[²]", "„[²]“ ist kein Listenindex (ab 1)"),
    ("bewohner[0]", "„[0]“ ist kein Listenindex (ab 1)"),
])
def test_a_malformed_path_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(PathError, match=re.escape(words)):
        parse_path(text)
