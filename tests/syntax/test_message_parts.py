"""A check's message reaches the AST as parts: its text and the expressions of its ``{…}``.

The builder splits the string literal, parses each ``{…}`` and gives every node of the
expression the span of its text inside the literal (escapes counted as written); a malformed
``{…}`` is a located :class:`RuleSyntaxError`. The checker only resolves the parts
(``tests/check/test_check_messages.py``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

from teilhabe_rules.errors import RuleSyntaxError
from teilhabe_rules.syntax import ast
from teilhabe_rules.syntax.builder import parse_module

HEADER = 'modell m "M"\nende\neingabe a: zahl\neingabe b: zahl\n'
CHECK_LINE = 5  # the line of the check in ``_check``'s text


def _check(message: str, keyword: str = "prüfung") -> tuple[ast.Check, str]:
    """The check ``keyword MESSAGE: a > 0`` (``message`` as written, quotes included) and its text."""
    text = HEADER + f"{keyword} {message}: a > 0\n"
    check = parse_module(text, "m.rules").items[-1]
    assert isinstance(check, ast.Check)
    return check, text


def _written(text: str, span: ast.Span) -> str:
    """The text a span covers."""
    lines = text.split("\n")
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    head = lines[span.line - 1][span.column - 1 :]
    middle = lines[span.line : span.end_line - 1]
    tail = lines[span.end_line - 1][: span.end_column - 1]
    return "\n".join([head, *middle, tail])


def _error(message: str) -> tuple[RuleSyntaxError, str]:
    text = HEADER + f"prüfung {message}: a > 0\n"
    with pytest.raises(RuleSyntaxError) as raised:
        parse_module(text, "m.rules")
    return raised.value, text


# ---- parts -------------------------------------------------------------------------------------


def test_text_and_expressions_alternate() -> None:
    check, text = _check('"Maßnahme {a}: {a + b} sind zu viel"')
    assert check.label == "Maßnahme {a}: {a + b} sind zu viel"
    first, second = check.message[1], check.message[3]
    assert check.message[0] == "Maßnahme " and check.message[2] == ": " and check.message[4] == " sind zu viel"
    assert isinstance(first, ast.Name) and first.name == "a"
    assert isinstance(second, ast.Binary) and second.op == "+"
    assert _written(text, first.span) == "a"
    assert _written(text, second.span) == "a + b"
    assert (second.span.line, second.span.column) == (CHECK_LINE, 25)
    assert _written(text, second.right.span) == "b"


def test_no_empty_text_between_or_around_expressions() -> None:
    check, _ = _check('"{a}{b}"')
    assert [type(part) for part in check.message] == [ast.Name, ast.Name]
    plain, _ = _check('"nur Text"')
    assert plain.message == ("nur Text",)
    empty, _ = _check('""')
    assert empty.message == () and empty.label == ""


def test_doubled_braces_are_text() -> None:
    check, _ = _check('"{{a}} ist {a}, }} und {{"')
    assert check.label == "{{a}} ist {a}, }} und {{"
    assert check.message[0] == "{a} ist " and check.message[2] == ", } und {"
    assert isinstance(check.message[1], ast.Name)


def test_spans_count_escapes_as_written() -> None:
    check, text = _check(r'"\"{a}\" \\ \t {b * 2}"')
    assert check.label == '"{a}" \\ \t {b * 2}'
    names = [part for part in check.message if not isinstance(part, str)]
    assert [_written(text, part.span) for part in names] == ["a", "b * 2"]
    assert check.message[1] == ast.Name("a", ast.Span(CHECK_LINE, 13, CHECK_LINE, 14))


def test_a_brace_inside_a_string_literal_of_the_expression() -> None:
    check, text = _check(r'"Zeichen {wenn a > 1 dann \"}\" sonst \"{\"}"')
    (conditional,) = (part for part in check.message if not isinstance(part, str))
    assert isinstance(conditional, ast.Conditional)
    assert conditional.then == ast.Text("}", conditional.then.span)
    assert conditional.otherwise == ast.Text("{", conditional.otherwise.span)
    assert _written(text, conditional.then.span) == r"\"}\""
    assert _written(text, conditional.span) == r"wenn a > 1 dann \"}\" sonst \"{\""


def test_a_message_across_lines() -> None:
    check, text = _check('"""erste Zeile\nzweite {a} und\n  {b}"""', keyword="warnung")
    assert check.severity == "warnung"
    a, b = (part for part in check.message if not isinstance(part, str))
    assert (a.span.line, a.span.column) == (CHECK_LINE + 1, 9)
    assert (b.span.line, b.span.column) == (CHECK_LINE + 2, 4)
    assert [_written(text, a.span), _written(text, b.span)] == ["a", "b"]


def test_spans_name_the_base_file() -> None:
    text = HEADER + 'prüfung "x {a}": a > 0\n'
    check = parse_module(text, "m.rules", span_file="basis.rules").items[-1]
    assert isinstance(check, ast.Check)
    assert check.span.file == "basis.rules" and check.message[1].span.file == "basis.rules"  # type: ignore[union-attr]


_TEXT_CHARS = st.sampled_from(list('ab ä.:;"\\{}\t\n-'))


@settings(max_examples=examples(100))
@given(st.lists(st.one_of(st.text(_TEXT_CHARS, max_size=6), st.sampled_from(["a", "b", "a + b", " a "])), max_size=6),
       st.booleans())
def test_parts_follow_what_is_written(pieces: list[str], expressions_are_names: bool) -> None:
    """Text written with its escapes (``\\"``, ``\\\\``, ``\\n``, ``{{``, ``}}``) and ``{…}`` in any order
    give the text, merged, and the expressions, each spanning what is written between its braces."""
    written: list[str] = []
    expected: list[str | tuple[str, str]] = []  # text, or (kind, what is written)
    is_text = True
    for piece in pieces:
        is_text = not is_text if expressions_are_names else True
        if is_text or piece not in ("a", "b", "a + b", " a "):
            escaped = (piece.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
                       .replace("{", "{{").replace("}", "}}"))
            written.append(escaped)
            if piece:
                if expected and isinstance(expected[-1], str):
                    expected[-1] += piece
                else:
                    expected.append(piece)
        else:
            written.append("{" + piece + "}")
            expected.append(("Binary" if "+" in piece else "Name", piece.strip()))
    check, text = _check('"' + "".join(written) + '"')
    got: list[str | tuple[str, str]] = [
        part if isinstance(part, str) else (type(part).__name__, _written(text, part.span)) for part in check.message
    ]
    assert got == expected


# ---- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "words", "column"),
    [
        ('"x {a"', "„{“ ohne schließende „}“ in der Meldung", 12),
        ('"x } y"', "„}“ ohne öffnende „{“ in der Meldung", 12),
        ('"x {{a}"', "„}“ ohne öffnende „{“ in der Meldung", 15),
        ('"x {} y"', "Leere geschweifte Klammern in der Meldung", 12),
        ('"x {  } y"', "Leere geschweifte Klammern in der Meldung", 12),
        ('"x {a b} y"', "„{a b}“ in der Meldung ist kein Ausdruck: Unerwartetes „b“", 15),
        ('"x {a +} y"', "„{a +}“ in der Meldung ist kein Ausdruck: er endet zu früh", 16),
        (r'"\"\" {a @ b}"', "„{a @ b}“ in der Meldung ist kein Ausdruck: Unerwartetes Zeichen „@“", 18),
        ('"{(a}"', "„{(a}“ in der Meldung ist kein Ausdruck: Die Klammer „(“ ist nicht geschlossen", 11),
        ('"{31.02.2024}"', "„{31.02.2024}“ in der Meldung ist kein Ausdruck: „31.02.2024“ ist kein gültiges Datum", 11),
        (r'"{\"x}"', "„{“ ohne schließende „}“ in der Meldung", 10),
        ('"""eins\n  {a b}"""', "„{a b}“ in der Meldung ist kein Ausdruck: Unerwartetes „b“", 6),
    ],
    ids=["offen", "zu", "verdoppelt-dann-zu", "leer", "leer-mit-leerzeichen", "unerwartet", "zu-frueh",
         "nach-escapes", "klammer", "datum", "text-offen", "zweite-zeile"],
)
def test_a_malformed_part_is_a_located_syntax_error(message: str, words: str, column: int) -> None:
    error, text = _error(message)
    (diagnostic,) = error.diagnostics
    assert diagnostic.message == words
    assert diagnostic.code == "syntax" and diagnostic.hint
    assert diagnostic.location is not None and diagnostic.location.file == "m.rules"
    line = CHECK_LINE + message.count("\n")
    assert (diagnostic.location.line, diagnostic.location.column) == (line, column)
    assert diagnostic.source_line == text.split("\n")[line - 1]


def test_a_part_too_deep_is_reported_as_a_limit() -> None:
    error, _ = _error('"{' + "-" * 600 + '1}"')
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "grenze" and "Zu tief verschachtelt" in diagnostic.message
    assert diagnostic.location is not None and diagnostic.location.line == CHECK_LINE
    assert len(diagnostic.message) < 200  # the expression is shortened in the message
