"""The fast path gives exactly what the lark path gives, or steps aside.

For every text, :func:`teilhabe_rules.fastpath.FastParser.parse` either builds the AST that lark's
parse tree and :class:`~teilhabe_rules.builder.AstBuilder` build — equal node for node, span for
span — or raises ``Fallback``, and then only where the lark path raises a ``RuleSyntaxError``.
A limit of :mod:`teilhabe_rules.limits` passed is reported by both paths alike, and where the
text does not parse, lark resumed where the fast path stopped reports the error lark reports.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples
from test_parser_fuzz import (
    _SOUP,
    FUZZ,
    GRAMMAR_TEXT,
    HEADER,
    RAW_GRAMMAR_TEXT,
    SAMPLE,
    mutated_sample,
)

from teilhabe_rules import ast
from teilhabe_rules.builder import build_expression, build_module, parse_expression, parse_module
from teilhabe_rules.errors import RuleSyntaxError
from teilhabe_rules.fastpath import Fallback, fast_parser
from teilhabe_rules.limits import MAX_BRACKETS, MAX_DEPTH, LimitExceeded, limit_error
from teilhabe_rules.parser import parse_text, syntax_error_at

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((ROOT / "models").glob("*.rules")) + sorted((ROOT / "tests/fixtures").rglob("*.rules"))
FENCE = re.compile(r"^```rules[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)
DOC_BLOCKS = [
    (f"{doc.name}:{text[: m.start()].count(chr(10)) + 1}", m.group("code"))
    for doc in sorted((ROOT / "docs").rglob("*.md"))
    for text in [doc.read_text("utf-8")]
    for m in FENCE.finditer(text)
]


def lark_path(text: str) -> ast.Module | RuleSyntaxError:
    try:
        return build_module(parse_text(text, "f.rules"), "f.rules", text)
    except RuleSyntaxError as exc:
        return exc


def fast_path(text: str) -> ast.Module | RuleSyntaxError | None:
    """The fast path's module, its error for a limit passed, or None where it steps aside."""
    parser = fast_parser()
    assert parser is not None, "the fast path is available with the lark this package requires"
    full = text if text.endswith("\n") else text + "\n"
    try:
        header, items = parser.parse(full)
    except Fallback:
        return None
    except LimitExceeded as exc:
        return limit_error(exc, full, "f.rules")
    return ast.Module(header, items, "f.rules")


def resumed_error(text: str) -> RuleSyntaxError | None:
    """The error of lark resumed where the fast path stopped, for text that does not parse."""
    parser = fast_parser()
    assert parser is not None
    full = text if text.endswith("\n") else text + "\n"
    try:
        parser.parse(full)
    except Fallback as fallback:
        if fallback.syntax:
            assert fallback.states is not None
            error = syntax_error_at(full, fallback.states, fallback.offset, "f.rules",
                                    token=fallback.token)
            assert error is not None, "lark resumed where the fast path stopped finds no error"
            return error
    except LimitExceeded:
        pass
    return None


def assert_same(text: str) -> Any:
    """Both paths agree; returns what the lark path gave."""
    expected = lark_path(text)
    got = fast_path(text)
    if isinstance(got, RuleSyntaxError):
        assert isinstance(expected, RuleSyntaxError), "the fast path stopped where lark parses"
        assert got.diagnostics == expected.diagnostics
    elif got is None:
        assert isinstance(expected, RuleSyntaxError), "the fast path gave up where lark parses"
        resumed = resumed_error(text)
        if resumed is not None:
            assert resumed.diagnostics == expected.diagnostics
    else:
        assert not isinstance(expected, RuleSyntaxError), f"the fast path accepted what lark rejects: {expected}"
        assert got == expected
    return expected


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rule_file_gives_the_same_ast(path: Path) -> None:
    assert_same(path.read_text("utf-8"))


@pytest.mark.parametrize("path", sorted((ROOT / "models").glob("*.rules")), ids=lambda p: p.name)
def test_bundled_models_take_the_fast_path(path: Path) -> None:
    assert fast_path(path.read_text("utf-8")) is not None


@pytest.mark.parametrize(("where", "code"), DOC_BLOCKS, ids=[where for where, _ in DOC_BLOCKS])
def test_documented_examples_give_the_same_ast(where: str, code: str) -> None:
    assert_same(code)


def test_spans_follow_the_text_as_written() -> None:
    """Spot checks of what the comparison relies on: keywords, closing newlines and brackets
    count towards a node's span; a parenthesised operand keeps its own."""
    text = HEADER + "wert x: EUR = (a + b) * 2 EUR # Kommentar\n  \nwert y = max(\n  1,\n  2\n)\n"
    module = fast_path(text)
    assert module is not None and module == lark_path(text)
    x, y = module.items
    assert (x.span.line, x.span.column) == (3, 1)  # from the keyword „wert“ on
    assert (x.span.end_line, x.span.end_column) == (5, 1)  # through the newline and the blank line
    product = x.expr
    assert (product.span.column, product.span.end_column) == (15, 30)  # „(a + b) * 2 EUR“
    assert (product.left.span.column, product.left.span.end_column) == (16, 21)  # „a + b“
    assert (y.span.line, y.span.end_line) == (5, 9)  # newlines inside brackets are dropped


def test_a_keyword_is_a_name_where_no_keyword_fits() -> None:
    text = HEADER + "eingabe stufe: zahl\nwert wert = stufe + 1\nbeispiel \"b\"\n  erwartet lp2a.stufe = 2\nende\n"
    module = assert_same(text)
    assert isinstance(module, ast.Module) and module.items[1].name == "wert"


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "wert x = 1,5\n",  # decimal comma
        HEADER + "paket p\n  stufen\n    0 \"a\"\n",  # missing ende
        HEADER + "wert x = 1 @\n",  # no terminal matches
        HEADER + "wert x = 31.02.2024\n",  # the builder rejects the date
        HEADER + "wert x = 1:0\n",  # the builder rejects the key
    ],
    ids=["komma", "ende-fehlt", "zeichen", "datum", "schluessel"],
)
def test_errors_come_from_the_lark_path(text: str) -> None:
    assert fast_path(text) is None
    error = lark_path(text)
    assert isinstance(error, RuleSyntaxError)
    with pytest.raises(RuleSyntaxError) as raised:
        parse_module(text, "f.rules")
    assert raised.value.diagnostics == error.diagnostics


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + "wert x = " + "max(" * (MAX_BRACKETS + 5) + "1" + ")" * (MAX_BRACKETS + 5) + "\n",
         "Klammern"),
        (HEADER + "wert x = " + "-(-" * 80 + "1" + ")" * 80 + "\n", "Ebenen"),
        # deep by left recursion
        (HEADER + "wert x = " + " + ".join(["1"] * (MAX_DEPTH + 5)) + "\n", "Glieder"),
        (HEADER + "wert x = a und b" + " und c" * MAX_DEPTH + "\n", "Glieder"),
        (HEADER + "wert x = " + "-" * 600 + "1\n", "Ebenen"),
        (HEADER + "wert x = (" + "a + " * 150 + "a) < 1 + 2\n", "Glieder"),
        (HEADER + "wert x = " + "(a < 1) + " * 151 + "1\n", "Glieder"),
        (HEADER + "wert x = 1" + " + (a < b)" * 75 + " + 1" * 80 + "\n", "Glieder"),
        (HEADER + "wert x = " + "wenn a dann 1 sonst " * 200 + "1\n", "Ebenen"),
        (HEADER + "wert " + "x" * 101 + " = 1\n", "Wort"),
        (HEADER + "wert x = 1\n" + "wert y = 1 " + "EUR/h" * 30 + "\n", "Einheit"),
        (HEADER + "wert x = 1" + "0" * 50 + "\n", "Zahl"),
        (HEADER + "wert x = 1:" + "1" * 49 + "\n", "Schlüssel"),
        (HEADER + 'wert x = "' + "ä" * 9_999 + '"\n', "Text"),
        (HEADER + "wert x = max(1" + ", 1" * 5_000 + ")\n", "Anweisung"),
        # the newlines are inside brackets: one statement
        (HEADER + "wert x = max(1" + ",\n1" * 5_000 + "\n)\n", "Anweisung"),
    ],
    ids=["klammern", "ebenen", "summe", "und", "vorzeichen", "vergleich-in-klammern",
         "vergleiche", "gemischt", "wenn", "wort", "einheit", "zahl", "schluessel", "text",
         "anweisung", "anweisung-zeilen"],
)
def test_limits_are_reported_alike_by_both_paths(text: str, message: str) -> None:
    """The fast path stops at a limit itself (it does not step aside), at the same place and
    with the same diagnostic as the lark path."""
    got = fast_path(text)
    assert isinstance(got, RuleSyntaxError)
    assert message in got.message and got.diagnostics[0].code == "grenze"
    assert got.diagnostics == lark_path(text).diagnostics  # type: ignore[union-attr]
    with pytest.raises(RuleSyntaxError) as raised:
        parse_module(text, "f.rules")
    assert raised.value.diagnostics == got.diagnostics


def test_nesting_up_to_the_limit_takes_the_fast_path() -> None:
    depth = MAX_DEPTH - 10
    text = HEADER + "wert x = " + " + ".join(["1"] * depth) + "\n"
    assert fast_path(text) is not None
    assert_same(text)


@pytest.mark.parametrize(
    "text",
    ["a + b * 2", "wenn x > 1 dann max(a, b) sonst -1 EUR", "lp2a.stufe", "t[grad, 2]", "summe(m.x wo y >= 1) als h/Jahr", "x ", " x"],
)
def test_expressions_give_the_same_ast(text: str) -> None:
    expected = build_expression(parse_text(text, "e", start="expr"), "e", text)
    parser = fast_parser()
    assert parser is not None
    assert parser.parse(text, start="expr") == expected
    assert parse_expression(text) == expected


# ---- generated text --------------------------------------------------------------------------


@settings(FUZZ, max_examples=examples(150))
@given(GRAMMAR_TEXT)
def test_grammar_generated_text(text: str) -> None:
    assert_same(text)


@settings(FUZZ, max_examples=examples(50))
@given(RAW_GRAMMAR_TEXT)
def test_raw_grammar_generated_text(text: str) -> None:
    assert_same(text)


@settings(FUZZ, max_examples=examples(300))
@given(mutated_sample())
@example(SAMPLE)
@example(SAMPLE.replace("max(", "max((", 1))
def test_mutated_sample(text: str) -> None:
    assert_same(text)


@settings(FUZZ, max_examples=examples(200))
@given(_SOUP)
def test_word_soup(soup: str) -> None:
    assert_same(HEADER + soup)


@settings(FUZZ, max_examples=examples(200))
@given(st.text(st.sampled_from(list("wert x=1+-*/()[]{}.,:#\"\n \t\f\r%€abcä09")), max_size=40))
def test_character_soup(soup: str) -> None:
    assert_same(HEADER + soup)


def test_spans_name_the_base_file_on_both_paths() -> None:
    """A base model parsed for a variant: every span names its file, on either path."""
    from teilhabe_rules import builder

    text = (ROOT / "models/mawo.rules").read_text("utf-8")
    fast = parse_module(text, "mawo.rules", span_file="mawo.rules")
    reset = builder._SPAN_FILE.set("mawo.rules")
    try:
        slow = build_module(parse_text(text, "mawo.rules"), "mawo.rules", text)
    finally:
        builder._SPAN_FILE.reset(reset)
    assert fast == slow
    assert fast.header.span.file == "mawo.rules" and fast.items[0].span.file == "mawo.rules"
