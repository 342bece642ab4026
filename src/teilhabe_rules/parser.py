"""Source text → parse tree.

Takes: the text of a rule file and its name. Gives: a ``lark.Tree`` (LALR, positions kept), or a
:class:`~teilhabe_rules.errors.RuleSyntaxError` in plain German words. Common mistakes (decimal
comma, missing ``ende``, misspelt keyword, …) are recognised from the table in
:mod:`teilhabe_rules.syntax_hints`. The parser is built once per process by a pure, cached
factory and kept in the cache directory (see :func:`make_parser`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from importlib import resources

import lark
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from .errors import Diagnostic, Location, RuleSyntaxError
from .syntax_hints import SyntaxErrorContext, explain_syntax_error

__all__ = [
    "MAX_DEPTH",
    "BracketPostLexer",
    "grammar_text",
    "make_parser",
    "parse_text",
    "syntax_error_context",
]

_OPEN = {"LPAR", "LSQB", "LBRACE"}
_CLOSE = {"RPAR", "RSQB", "RBRACE"}

# Deepest parse tree accepted. Deeper nesting (``- - - … x``, ``[[[…]]]``, a sum of hundreds of
# terms) is reported as a syntax error instead of exhausting Python's recursion limit in the
# stages that walk the tree.
MAX_DEPTH = 150


class BracketPostLexer:
    """Drops newlines inside brackets so formulas and records may span lines.

    ``always_accept`` also makes every lexer state recognise NAME: a word is then always read
    whole, so ``werte`` is one (unexpected) name and never the keyword ``wert`` followed by ``e``.
    A word that equals a keyword the state accepts is still that keyword.
    """

    always_accept = ("_NL", "NAME")

    def process(self, stream: Iterator[lark.Token]) -> Iterator[lark.Token]:
        depth = 0
        for token in stream:
            if token.type in _OPEN:
                depth += 1
            elif token.type in _CLOSE:
                depth = max(0, depth - 1)
            elif token.type == "_NL" and depth:
                continue
            yield token


def grammar_text() -> str:
    """The grammar as shipped inside the package."""
    return resources.files("teilhabe_rules").joinpath("grammars/teilhabe.lark").read_text("utf-8")


@functools.lru_cache(maxsize=2)
def make_parser(strict: bool = False) -> lark.Lark:
    """The LALR parser, once per process (``strict`` turns grammar conflicts into errors).

    Building it (lark's grammar analysis) takes a few hundred milliseconds; the built parser is
    kept in the cache directory of :mod:`teilhabe_rules.cache`, keyed by the grammar, the
    library's code and the lark and Python versions, and loads from there in about 15 ms.
    """
    from . import cache

    if not strict:
        loaded = cache.lookup_parser()
        if loaded is not None:
            return loaded
    parser = lark.Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        postlex=BracketPostLexer(),
        strict=strict,
        start=["start", "expr"],
    )
    if not strict:
        cache.store_parser(parser)
    return parser


def parse_text(text: str, filename: str = "<eingabe>", start: str = "start") -> lark.Tree:
    """Parse rule-file text (or, with ``start="expr"``, one expression); raise
    :class:`RuleSyntaxError` on any syntax error."""
    if start == "start" and not text.endswith("\n"):
        text += "\n"
    try:
        tree = make_parser().parse(text, start=start)
    except UnexpectedInput as exc:
        raise RuleSyntaxError(_diagnostic(_context(exc, text), filename)) from None
    except LarkError as exc:  # pragma: no cover - defensive: any other parser failure
        raise RuleSyntaxError(
            Diagnostic(f"Syntaxfehler: {exc}", Location(filename, 1, 1))
        ) from None
    _check_depth(tree, text, filename)
    return tree


def syntax_error_context(text: str, start: str = "start") -> SyntaxErrorContext | None:
    """Where and on what parsing ``text`` stops, or None if it parses."""
    if start == "start" and not text.endswith("\n"):
        text += "\n"
    try:
        make_parser().parse(text, start=start)
    except UnexpectedInput as exc:
        return _context(exc, text)
    return None


@functools.lru_cache(maxsize=1)
def _literals() -> dict[str, str]:
    """Terminal name → its fixed text, for terminals that are a fixed text (keywords, ``:``)."""
    return {
        t.name: t.pattern.value
        for t in make_parser().terminals
        if isinstance(t.pattern, PatternStr)
    }


def _context(exc: UnexpectedInput, text: str) -> SyntaxErrorContext:
    lines = text.split("\n")
    line = max(1, getattr(exc, "line", 1) or 1)
    column = max(1, getattr(exc, "column", 1) or 1)
    token: str | None = None
    token_type: str | None = "$END"
    expected: set[str] = set()
    if isinstance(exc, UnexpectedToken):
        expected = set(exc.expected or ())
        if exc.token.type != "$END":
            token, token_type = str(exc.token), exc.token.type
    elif isinstance(exc, UnexpectedCharacters):
        expected = set(exc.allowed or ()) - set(BracketPostLexer.always_accept)
        if exc.pos_in_stream < len(text):
            token, token_type = text[exc.pos_in_stream], None
    # Lark's ``expected`` is the lookahead set of the state, which may include terminals that
    # fail after a reduction; the interactive parser knows exactly what would be accepted.
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        with contextlib.suppress(LarkError):  # defensive: else keep lark's own set
            expected = set(interactive.accepts())
    if token_type == "$END":
        # Point just behind the last character of the file.
        filled = [number for number, content in enumerate(lines, start=1) if content.strip()]
        line = filled[-1] if filled else 1
        column = len(lines[line - 1].rstrip("\r")) + 1
    return SyntaxErrorContext(
        text=text,
        line=line,
        column=column,
        token=token,
        token_type=token_type,
        expected=frozenset(expected),
        literals=_literals(),
    )


def _diagnostic(ctx: SyntaxErrorContext, filename: str) -> Diagnostic:
    explanation = explain_syntax_error(ctx)
    lines = ctx.lines
    line = explanation.line
    end_column = explanation.end_column
    return Diagnostic(
        explanation.message,
        Location(filename, line, explanation.column, line if end_column else None, end_column),
        hint=explanation.hint,
        source_line=lines[line - 1] if 0 < line <= len(lines) else "",
        code="syntax",
    )


def _check_depth(tree: lark.Tree, text: str, filename: str) -> None:
    """Raise :class:`RuleSyntaxError` if the tree is nested deeper than :data:`MAX_DEPTH`."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta
            line = 1 if meta.empty else meta.line
            column = 1 if meta.empty else meta.column
            lines = [content.rstrip("\r") for content in text.split("\n")]
            raise RuleSyntaxError(
                Diagnostic(
                    f"Zu tief verschachtelt: mehr als {MAX_DEPTH} Ebenen",
                    Location(filename, line, column),
                    hint="teile den Ausdruck mit „wert“-Zeilen in Zwischenwerte auf",
                    source_line=lines[line - 1] if 0 < line <= len(lines) else "",
                    code="syntax",
                )
            )
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, lark.Tree))
