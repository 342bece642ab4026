"""A rule file holds no control character but tab, line feed, form feed and a carriage return
before a line feed — nor a line separator or a bidirectional control: each ends a line, or
reorders it, for some readers (an editor, a terminal) and not for the parser, so a reported
position would point elsewhere than the reader looks. A diagnostic's source line shows such a
character visibly, and is the line the parser counts."""

from __future__ import annotations

import lark
import pytest
from hypothesis import given
from hypothesis import strategies as st

from teilhabe_rules.errors import CONTROL, RuleSyntaxError, TeilhabeError, visible
from teilhabe_rules.limits import LimitExceeded, check_characters
from teilhabe_rules.loading import check_text
from teilhabe_rules.syntax.parser import make_parser
from teilhabe_rules.tools.formatter import format_text

HEAD = 'modell m "M"\n  gültig ab 01.01.2024\nende\n'
REFUSED = sorted({chr(c) for c in range(0x3000) if CONTROL.match(chr(c))} - {"\f"})


def _refused(ch: str) -> bool:
    try:
        check_characters(f"a{ch}b\n")
    except LimitExceeded:
        return True
    return False


def test_the_refused_characters_are_the_control_ones_but_the_form_feed() -> None:
    # every code point of the first blocks (the controls, separators and bidi marks lie there)
    # (a carriage return between two characters: a lone one)
    assert [chr(c) for c in range(0x3000) if _refused(chr(c))] == sorted([*REFUSED, "\r"])
    assert {"\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u202e", "\u2066"} <= set(REFUSED)
    assert not {"\t", "\n", "\f", "ä", "€", "\u200b"} & set(REFUSED)


@pytest.mark.parametrize("where", ["# Kommentar {}.", 'wert t = "Text {}"', 'wert t = """a\n{}"""', "wert a = 1 {}."])
@pytest.mark.parametrize("ch", ["\x00", "\x1b", "\x0b", "\x7f", "\x9b", "\u2028", "\u202e", "\r"])
def test_a_refused_character_is_a_located_error(where: str, ch: str) -> None:
    text = HEAD + "wert x = 1\n" + where.format(ch) + "\n"
    with pytest.raises(RuleSyntaxError) as info:
        check_text(text, "m.rules")
    (found,) = info.value.diagnostics
    assert found.code == "syntax"
    assert found.location is not None
    offset = text.index(ch)
    assert (found.location.line, found.location.column) == (
        text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))
    assert f"U+{ord(ch):04X}" in found.message
    rendered = info.value.diagnostics[0].render()
    assert not CONTROL.search(rendered) and "\r" not in rendered  # shown, never sent to the terminal
    # the formatter refuses it alike, and the grammar on its own never takes it
    with pytest.raises(RuleSyntaxError):
        format_text(text, "m.rules")
    with pytest.raises(lark.exceptions.UnexpectedInput):
        make_parser().parse(text, start="start")


def test_line_ends_of_either_kind_and_the_form_feed_are_taken() -> None:
    text = HEAD + 'wert x = 1 # a\fb\n\fwert t = """a\r\nb"""\n'
    assert check_text(text, "m.rules") is not None
    assert check_text(HEAD.replace("\n", "\r\n") + 'wert t = """a\r\nb"""\r\n', "m.rules") is not None


def test_the_source_line_shown_is_the_line_the_parser_counts() -> None:
    # a form feed ends a line for str.splitlines, not for the parser: line 5 is `wert b = xx`
    text = HEAD.replace("ende\n", "# a\fb\nende\n") + "wert a = 1\nwert b = xx\n"
    with pytest.raises(TeilhabeError) as info:
        check_text(text, "m.rules")
    (found,) = info.value.diagnostics
    assert found.location is not None and found.location.line == 6
    assert found.source_line == "wert b = xx"


@given(st.text(max_size=40))
def test_visible_keeps_the_length_and_shows_no_control(text: str) -> None:
    shown = visible(text)
    assert len(shown) == len(text)
    assert not CONTROL.search(shown) and "\r" not in shown
    assert all(a == b for a, b in zip(text, shown, strict=True) if not (CONTROL.match(a) or a == "\r"))


def test_an_evaluation_error_shows_the_line_the_parser_counts() -> None:
    import teilhabe_rules

    model = teilhabe_rules.loads(HEAD + "# a\fb\neingabe x: zahl\nprüfung \"x zu klein\": x > 0\n", "m.rules")
    with pytest.raises(TeilhabeError) as info:
        model.evaluate({"x": -1})
    (found,) = info.value.diagnostics
    assert found.location is not None and found.location.line == 6
    assert found.source_line == 'prüfung "x zu klein": x > 0'
