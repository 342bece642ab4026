"""Source text → parse tree.

Takes: the text of a rule file and its name. Gives: a ``lark.Tree`` (LALR, positions kept), or a
:class:`~teilhabe_rules.errors.RuleSyntaxError` in plain German words. Common mistakes (decimal
comma, missing ``ende``, misspelt keyword, …) are recognised from the table in
:mod:`teilhabe_rules.syntax.hints`. The parser is built once per process by a pure, cached
factory and kept in the cache directory (see :func:`make_parser`).

The limits of :mod:`teilhabe_rules.limits` are checked where the text enters: the file size before
parsing, the length of words, numbers and texts, the brackets open at once and the tokens of one
statement while lexing (:class:`BracketPostLexer`), the depth of the tree once it is built. Each is
reported as a located :class:`RuleSyntaxError` (``code="grenze"``), the same as
:mod:`teilhabe_rules.syntax._fastpath` reports it.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import lark
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from .. import cache
from ..errors import Diagnostic, Location, RuleSyntaxError
from ..limits import (
    MAX_DEPTH,
    LimitExceeded,
    check_rule_text,
    clip_line,
    depth_exceeded,
    limit_error,
    telling_chain,
)
from ..shipped import grammar_file
from .hints import SyntaxErrorContext, explain_syntax_error
from .postlex import BracketPostLexer

__all__ = [
    "MAX_DEPTH",
    "BracketPostLexer",
    "grammar_text",
    "find_syntax_error",
    "make_parser",
    "parse_text",
    "syntax_error_at",
    "syntax_error_context",
]

# Rules whose first child of the same kind makes a chain (``a + b + c``, ``a und b und c``).
_CHAIN_RULES = frozenset({"binary", "or_", "and_"})


def grammar_text() -> str:
    """The grammar as shipped inside the package."""
    return grammar_file().read_text("utf-8")


@functools.lru_cache(maxsize=2)
def make_parser(strict: bool = False) -> lark.Lark:
    """The LALR parser, once per process (``strict`` turns grammar conflicts into errors).

    Building it (lark's grammar analysis) takes a few hundred milliseconds; the built parser is
    kept in the cache directory of :mod:`teilhabe_rules.cache`, keyed by the grammar, the
    library's code and the lark and Python versions, and loads from there in about 15 ms.
    """
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


def parse_text(text: str, filename: str = "<eingabe>", start: str = "start") -> lark.Tree[lark.Token]:
    """Parse rule-file text (or, with ``start="expr"``, one expression); raise
    :class:`RuleSyntaxError` on any syntax error."""
    if start == "start" and not text.endswith("\n"):
        text += "\n"
    try:
        check_rule_text(text)
        tree = make_parser().parse(text, start=start)
        _check_depth(tree)
    except LimitExceeded as exc:
        raise limit_error(exc, text, filename) from None
    except UnexpectedInput as exc:
        raise RuleSyntaxError(_diagnostic(_context(exc, text), filename)) from None
    except LarkError as exc:  # pragma: no cover - defensive: any other parser failure
        raise RuleSyntaxError(
            Diagnostic(f"Syntaxfehler: {exc}", Location(filename, 1, 1))
        ) from None
    return tree


def _first_failure(text: str, start: str) -> tuple[str, UnexpectedInput | LimitExceeded | None]:
    """``text`` (with its closing newline) and where lark's parser, run without building a
    tree, stops on it: an unexpected input, a limit passed, or None."""
    if start == "start" and not text.endswith("\n"):
        text += "\n"
    try:
        check_rule_text(text)
        _parse_without_tree(text, start)
    except (UnexpectedInput, LimitExceeded) as exc:
        return text, exc
    return text, None


def syntax_error_context(text: str, start: str = "start") -> SyntaxErrorContext | None:
    """Where and on what parsing ``text`` stops, or None if it parses (or passes a limit of
    :mod:`teilhabe_rules.limits` first)."""
    text, failure = _first_failure(text, start)
    return _context(failure, text) if isinstance(failure, UnexpectedInput) else None


def find_syntax_error(
    text: str, filename: str = "<eingabe>", start: str = "start"
) -> RuleSyntaxError | None:
    """The :class:`RuleSyntaxError` :func:`parse_text` raises for ``text`` — or None where the
    text parses (a depth beyond the limit is then left to :func:`parse_text`). It runs lark's
    parser without building a tree: the same error in about half the time, for text the fast
    path of :mod:`teilhabe_rules.syntax._fastpath` found not to parse."""
    text, failure = _first_failure(text, start)
    if isinstance(failure, LimitExceeded):
        return limit_error(failure, text, filename)
    if isinstance(failure, UnexpectedInput):
        return RuleSyntaxError(_diagnostic(_context(failure, text), filename))
    return None


def syntax_error_at(
    text: str, states: list[int], offset: int, filename: str = "<eingabe>", start: str = "start",
    token: tuple[str, int, int, int, int] | None = None,
) -> RuleSyntaxError | None:
    """The :class:`RuleSyntaxError` :func:`parse_text` raises for ``text``, where the fast path
    of :mod:`teilhabe_rules.syntax._fastpath` stopped with the parse-table ``states`` (lark's own) at
    ``offset``: nothing is read twice. A ``token`` (terminal, start, end, line, column) no
    action accepts gives the error lark's parser raises for it; without one, no terminal matched
    at ``offset``, and lark's parser resumes there — its contextual lexer, post-lexer and
    tables — to fail as it does after reading the text before. None where that does not give an
    error, or passes a limit first (then the caller parses from the start). lark's internals used
    here are those of the lark versions ``pyproject.toml`` allows; any other exception is a
    defect and propagates."""
    from lark import Token
    from lark.lexer import LexerState, LexerThread
    from lark.parsers.lalr_interactive_parser import InteractiveParser
    from lark.parsers.lalr_parser import _Parser
    from lark.parsers.lalr_parser_state import ParseConf, ParserState
    from lark.utils import TextSlice

    try:
        frontend = make_parser().parser
        table = frontend.parser.parser.parse_table
        bare = _Parser(table, {}, False)
        thread = LexerThread(frontend.lexer, LexerState(TextSlice(text, offset, len(text))))
        state = ParserState(ParseConf(table, {}, start), thread, list(states), [None] * len(states))
        if token is None:
            bare.parse_from_state(state)
            return None
        kind, begin, end, line, column = token
        found = Token(kind, text[begin:end], begin, line, column, end_pos=end)
        expected = {name for name in table.states[states[-1]] if name.isupper()}
        interactive = InteractiveParser(bare, state, thread)
        # lark's exception classes have no annotations on their constructors
        raise UnexpectedToken(  # type: ignore[no-untyped-call]
            found, expected, state=state, interactive_parser=interactive
        )
    except UnexpectedInput as exc:
        return RuleSyntaxError(_diagnostic(_context(exc, text), filename))
    except LimitExceeded:  # the caller's parse from the start reports it where it is passed
        return None


def _parse_without_tree(text: str, start: str) -> None:
    """lark's LALR parser over ``text`` with no callbacks: the same lexer, post-lexer, tables
    and exceptions as :meth:`lark.Lark.parse`, but no tree."""
    from lark.parsers.lalr_parser import _Parser

    frontend = make_parser().parser
    bare = _Parser(frontend.parser.parser.parse_table, {}, False)
    stream: Any = frontend._make_lexer_thread(text)
    bare.parse(stream, start)


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
        where = exc.pos_in_stream or 0
        if where < len(text):
            token, token_type = text[where], None
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
        source_line=(
            clip_line(lines[line - 1], explanation.column) if 0 < line <= len(lines) else ""
        ),
        code="syntax",
    )


def _heights(tree: lark.Tree[lark.Token]) -> dict[int, int]:
    """The height of every node of ``tree`` (by ``id``), as :func:`_check_depth` counts it."""
    heights: dict[int, int] = {}
    stack: list[tuple[lark.Tree[lark.Token], bool]] = [(tree, False)]
    while stack:
        node, done = stack.pop()
        trees = [child for child in node.children if isinstance(child, lark.Tree)]
        if done:
            heights[id(node)] = 1 + max((heights[id(child)] for child in trees), default=0)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in trees)
    return heights


def _highest(node: lark.Tree[lark.Token], heights: dict[int, int]) -> lark.Tree[lark.Token] | None:
    """The highest child of ``node`` that is a tree (the first of equals), if any."""
    trees = [child for child in node.children if isinstance(child, lark.Tree)]
    if not trees:
        return None
    highest = max(heights[id(child)] for child in trees)
    return next(child for child in trees if heights[id(child)] == highest)


def _chain_on_path(node: lark.Tree[lark.Token]) -> tuple[lark.Tree[lark.Token], int, int] | None:
    """For a node too deep: the first chain on its deepest path (the node, its highest child —
    the first of equals —, and so on down): its last operator, its terms, and the levels it adds
    to the path (its operators the path goes through, down to where an operand other than the
    chain's own is higher); None without a chain on the path. Only on the way to an error: the
    heights are counted again. :func:`teilhabe_rules.syntax._fastpath._chain_on_path` finds the
    same in the AST."""
    heights = _heights(node)
    top: lark.Tree[lark.Token] | None = node
    while top is not None and top.data not in _CHAIN_RULES:
        top = _highest(top, heights)
    if top is None:
        return None
    terms, levels, on_path, current = 1, 0, True, top
    while isinstance(current, lark.Tree) and current.data in _CHAIN_RULES:
        terms += 1
        levels += on_path
        first = current.children[0]
        on_path = on_path and _highest(current, heights) is first
        current = first  # type: ignore[assignment]
    return top, terms, levels


def _check_depth(tree: lark.Tree[lark.Token]) -> None:
    """Raise :class:`LimitExceeded` at the first node (in the order the parser reduces them:
    children first, left to right) that is more than :data:`MAX_DEPTH` levels high — the node
    :mod:`teilhabe_rules.syntax._fastpath` stops at. The file itself (``start``) does not count."""
    # frames: [node, index of the next child, height of the highest child so far]
    stack: list[list[Any]] = [[tree, 0, 0]]
    while stack:
        frame = stack[-1]
        node, index, highest = frame
        children = node.children
        while index < len(children) and not isinstance(children[index], lark.Tree):
            index += 1
        if index < len(children):
            frame[1] = index + 1
            stack.append([children[index], 0, 0])
            continue
        stack.pop()
        height = highest + 1
        if height > MAX_DEPTH and node.data != "start":  # the file holds any number of items
            meta = node.meta
            found = _chain_on_path(node)
            links = None
            if found is not None and telling_chain(*found[1:]):
                meta = found[0].meta  # (the node itself where its own chain passes the limit)
                links = found[1:]
            if meta.empty:  # pragma: no cover - every node of this grammar spans a token
                raise depth_exceeded(0, 1, 1, links)
            raise depth_exceeded(meta.start_pos, meta.line, meta.column, links)
        if stack and height > stack[-1][2]:
            stack[-1][2] = height
