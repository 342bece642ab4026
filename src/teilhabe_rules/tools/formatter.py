"""The canonical layout of rule files: ``teilhabe-rules format``.

Takes: the text of a rule file that parses. Gives: the same rule file in one canonical layout
(:func:`format_text`), with the same tokens in the same order — so the same module, the same
checked model — and every comment where it was (a comment on a line of its own stays on a line of
its own before the same code, a comment at the end of a line stays at the end of that line).
A text that does not parse is refused with the parser's own
:class:`~teilhabe_rules.errors.RuleSyntaxError`.

The layout:

- **Indentation**: two spaces per block (``modell``, ``aufzählung``, ``liste``, ``tabelle``,
  ``paket``, ``stufen``, ``stufe nach korridor``, ``vorlage``, ``beispiel`` … ``ende``); the later
  values of a parameter (``ab 01.01.2025 = …``) one level deeper than the parameter. A comment on
  a line of its own is indented as the code it stands before (before ``ende``: as the block's
  content). The lines of a statement spanning lines (inside brackets) keep their line breaks and
  are indented two spaces deeper for every line whose brackets are still open.
- **Spacing**: one blank between tokens; none before ``, : ) ] }`` and ``.``, none after
  ``( [ {`` and ``.``, none before the ``(`` of a call or the ``[`` of a lookup (``summe(…)``,
  ``bewohner[1].stufe``), none after a sign (``-x``). A comment at the end of a line follows its
  code after one blank. No blanks at the end of a line, no tabs.
- **Blank lines**: at most one in a row; none at the start or the end of the file, none inside a
  statement; the file ends with one line break (``\\n``).
- **Alignment**: the values of the rows of a table start in one column, and so do the bands of a
  corridor (their levels, and the upper bounds ``bis``/``unter`` in the column after the longest
  lower bound).
- **Spelling**: keywords are lower case (the only spelling the language has); the comparison
  and arrow operators are written in ASCII (``<=``, ``>=``, ``<>``, ``->`` for ``≤``, ``≥``,
  ``≠``, ``→``, which mean the same). Texts, numbers, names and units stay as written.

Where leaving out a blank would make two tokens run together (``1 . 5`` is not ``1.5``), the
blank stays: the result is read again, and where its tokens are not the text's, blanks are kept
there. So the result always has exactly the tokens of the text, and formatting it again changes
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import attrs
import lark
from lark.exceptions import UnexpectedInput

from ..atomic import rewrite_atomic
from ..errors import Diagnostic, Location, RuleSyntaxError
from ..files import MAX_RULE_BYTES, FileRefused, read_text
from ..ir.text import group_digits
from ..limits import MAX_RULE_FILE_CHARS, LimitExceeded, check_characters, check_file_size, limit_error
from ..syntax.parser import make_parser, parse_text

__all__ = ["BLOCK_KEYWORDS", "INDENT", "format_file", "format_text", "is_formatted"]

#: one level of indentation
INDENT = "  "

# Tokens by terminal name (the grammar's names for its symbols).
_OPEN = frozenset({"LPAR", "LSQB", "LBRACE"})
_CLOSE = frozenset({"RPAR", "RSQB", "RBRACE"})
_NO_SPACE_BEFORE = frozenset({"COMMA", "COLON", "DOT"}) | _CLOSE
_NO_SPACE_AFTER = frozenset({"DOT"}) | _OPEN
# what ends an operand, so that a "[" after it is a lookup and a "(" after a name is a call
_OPERAND_END = frozenset({"NAME", "NUMBER", "RPAR", "RSQB"})

# what a keyword looks like (the grammar's words; names are NAME tokens)
_KEYWORD = re.compile(r"[^\W\d]\w*")

# The one spelling of operators that have two.
_SPELLING = {"≤": "<=", "≥": ">=", "≠": "<>", "→": "->"}

#: keywords that open a block closed by ``ende`` when they begin a statement (and ``stufe nach
#: korridor``)
BLOCK_KEYWORDS = frozenset({"modell", "aufzählung", "liste", "tabelle", "paket", "stufen", "vorlage", "beispiel"})


@attrs.frozen
class _Gap:
    """What stands between two tokens besides blanks: a comment at the end of the first token's
    line, then the lines that follow (``None`` for a blank line, else a comment), and whether
    a line break lies between the tokens at all."""

    trailing: str | None
    lines: tuple[str | None, ...]
    breaks: bool


@attrs.define
class _Statement:
    """One statement: its tokens, the gaps inside it (``gaps[i]`` between ``tokens[i]`` and
    ``tokens[i + 1]``), its indentation level and its part in the block it stands in."""

    tokens: list[lark.Token]
    gaps: list[_Gap]
    level: int = 0
    role: str = ""  # "row" (of a table), "band" (of a corridor) or ""
    block: int = -1  # the index of the block a row or band belongs to


def format_text(text: str, filename: str = "<eingabe>") -> str:
    """``text`` in the canonical layout (see the module's description); a text that does not
    parse raises the parser's :class:`~teilhabe_rules.errors.RuleSyntaxError`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    tokens = _tokens(text, filename)
    expected = [_key(token) for token in _without_leading_breaks(tokens)]
    gaps_before, statements = _statements(text, tokens)
    _arrange(statements)
    count = sum(len(statement.tokens) for statement in statements)
    forced: set[int] = set()  # code tokens (by their index among all code tokens) with a blank before
    while True:
        result, offsets = _render(gaps_before, statements, forced)
        mismatch = _first_mismatch(result, expected)
        if mismatch is None:
            _within_limit(result, filename)
            return result
        index = max((i for i, start in enumerate(offsets) if start <= mismatch), default=0)
        before = len(forced)
        forced.update(range(max(1, index - 1), min(count, index + 3)))
        if len(forced) == before:  # pragma: no cover - defensive: a blank between all tokens reads as the text
            raise AssertionError(f"the formatter could not keep the tokens of {filename}")


def _within_limit(result: str, filename: str) -> None:
    """A layout longer than a rule file may be (by the indentation it adds) is an error: the
    file is not written, as the checker would refuse it."""
    if len(result) > MAX_RULE_FILE_CHARS:
        raise RuleSyntaxError(Diagnostic(
            f"Im einheitlichen Layout wäre die Regeldatei zu groß: {group_digits(str(len(result)))} Zeichen, "
            f"erlaubt sind höchstens {group_digits(str(MAX_RULE_FILE_CHARS))}",
            Location(filename, 1, 1), code="grenze",
            hint="die Datei bleibt, wie sie ist; ein Tarifmodell hat einige tausend Zeilen — große "
                 "Datenmengen gehören in Fälle und Vereinbarungen"))


def is_formatted(text: str, filename: str = "<eingabe>") -> bool:
    """Whether ``text`` is in the canonical layout already (:func:`format_text` would not change it)."""
    return format_text(text, filename) == text


# ---- reading -----------------------------------------------------------------------------------


def _tokens(text: str, filename: str) -> list[lark.Token]:
    """The tokens the parser reads (with an ``_NL`` ending each statement); the parser's located
    error for a text that does not parse."""
    full = text if text.endswith("\n") else text + "\n"
    try:  # (a comment or text holding a control character would pass the parser)
        check_file_size(full)
        check_characters(full)
    except LimitExceeded as exc:
        raise limit_error(exc, full, filename) from None
    parsing = make_parser().parse_interactive(full, start="start")
    try:
        tokens = list(parsing.iter_parse())
        parsing.feed_eof()  # type: ignore[no-untyped-call]  # lark leaves it unannotated
    except (UnexpectedInput, LimitExceeded):
        pass
    else:
        return tokens
    parse_text(full, filename)  # raises the library's located error
    raise AssertionError("the parser takes what it refused")  # pragma: no cover


def _key(token: lark.Token) -> tuple[str, str]:
    """What a token is, layout aside: its terminal and its text (one spelling of an operator;
    a text's line ends as ``\n``)."""
    value = "\n" if token.type == "_NL" else _spelled(token)
    return token.type, value


def _without_leading_breaks(tokens: Iterable[lark.Token]) -> Iterator[lark.Token]:
    """The tokens from the first that is not a line break (blank lines and comments before the
    header are layout)."""
    started = False
    for token in tokens:
        started = started or token.type != "_NL"
        if started:
            yield token


def _first_mismatch(result: str, expected: Sequence[tuple[str, str]]) -> int | None:
    """The offset in ``result`` where its tokens first differ from ``expected``; None where they
    are the same."""
    index = 0
    try:
        for token in _without_leading_breaks(make_parser().parse_interactive(result, start="start").iter_parse()):
            if index >= len(expected) or _key(token) != expected[index]:
                return token.start_pos or 0
            index += 1
    except UnexpectedInput as exc:
        return exc.pos_in_stream or 0
    except LimitExceeded:  # pragma: no cover - the same tokens keep the same limits
        return 0
    return None if index == len(expected) else len(result)


def _gap(text: str, start: int, end: int) -> _Gap:
    """The gap ``text[start:end]`` between two tokens (blanks, line breaks and comments only);
    the gap before the first token begins a line."""
    pieces = (text[start:end] if start else "\n" + text[:end]).split("\n")
    first = pieces[0].strip(" \t\f\r")
    lines: list[str | None] = []
    for piece in pieces[1:-1]:
        content = piece.strip(" \t\f\r")
        lines.append(content if content else None)
    if len(pieces) > 1 and pieces[-1].strip(" \t\f\r"):  # a comment at the end of the text
        lines.append(pieces[-1].strip(" \t\f\r"))
    return _Gap(first if first else None, tuple(lines), len(pieces) > 1)


def _statements(text: str, tokens: Sequence[lark.Token]) -> tuple[list[_Gap], list[_Statement]]:
    """The gap before each statement (and one after the last), and the statements."""
    gaps_before: list[_Gap] = []
    statements: list[_Statement] = []
    previous_end = 0
    statement_ended = True
    for token in tokens:
        if token.type == "_NL":
            statement_ended = True
            continue
        start = token.start_pos or 0
        gap = _gap(text, previous_end, start)
        if statement_ended:
            gaps_before.append(gap)
            statements.append(_Statement([token], []))
            statement_ended = False
        else:
            statements[-1].tokens.append(token)
            statements[-1].gaps.append(gap)
        previous_end = token.end_pos if token.end_pos is not None else start
    gaps_before.append(_gap(text, previous_end, len(text)))
    return gaps_before, statements


def _word(token: lark.Token) -> str:
    """A keyword's text; "" for any other token."""
    return str(token) if token.type not in ("NAME", "STRING") and _KEYWORD.fullmatch(str(token)) else ""


def _arrange(statements: Sequence[_Statement]) -> None:
    """The level of each statement, and the rows and bands of its blocks."""
    stack: list[str] = []
    for number, statement in enumerate(statements):
        words = [_word(token) for token in statement.tokens[:3]]
        if words[0] == "ende":
            if stack:
                stack.pop()
            statement.level = len(stack)
            continue
        statement.level = len(stack)
        top = stack[-1] if stack else ""
        if top == "tabelle":
            statement.role = "row"
        elif top == "korridor":
            statement.role = "band"
        elif words[0] == "ab":  # a later value of a parameter
            statement.level += 1
        if statement.role:
            previous = statements[number - 1]
            same = previous.role == statement.role and previous.level == statement.level
            statement.block = previous.block if same else number
        if words[0] in BLOCK_KEYWORDS:
            stack.append(words[0])
        elif words == ["stufe", "nach", "korridor"]:
            stack.append("korridor")


# ---- writing -----------------------------------------------------------------------------------


def _space(before: lark.Token, after: lark.Token) -> bool:
    """Whether a blank stands between two tokens on one line."""
    if before.type in _NO_SPACE_AFTER or after.type in _NO_SPACE_BEFORE:
        return False
    if before.type == "MINUS":  # a sign: "-x"; but "- 1" and "- -1" keep their own tokens
        return str(after)[:1].isdigit() or str(after).startswith("-")
    if after.type == "LSQB":
        return before.type not in _OPERAND_END
    if after.type == "LPAR":
        return before.type != "NAME"
    return True


def _spelled(token: lark.Token) -> str:
    """A token as the layout writes it: one spelling of an operator, a text's line ends ``\n``."""
    value = str(token)
    if token.type == "STRING":
        return value.replace("\r\n", "\n")
    return _SPELLING.get(value, value)


def _joined(tokens: Sequence[lark.Token], forced: Sequence[bool]) -> str:
    """Tokens on one line, spaced (``forced[i]``: a blank before ``tokens[i]`` in any case)."""
    parts: list[str] = []
    for index, token in enumerate(tokens):
        if index and (forced[index] or _space(tokens[index - 1], token)):
            parts.append(" ")
        parts.append(_spelled(token))
    return "".join(parts)


@attrs.frozen
class _Columns:
    """Where a block of rows or bands aligns, in columns after its indentation: the first token
    after a key's ``:``, and a band's upper bound (0: not aligned)."""

    value: int
    upper: int


def _key_end(statement: _Statement) -> int:
    """The index of the first token after a row's or band's key (which ends with its ``:``)."""
    return next(index for index, token in enumerate(statement.tokens) if token.type == "COLON") + 1


def _bounds(statement: _Statement) -> tuple[int, int] | None:
    """Where a band's lower bound begins and its upper bound begins (``len(tokens)`` where it has
    none); None for a band spanning lines, which is not aligned."""
    tokens = statement.tokens
    if any(gap.breaks for gap in statement.gaps) or any("\n" in str(token) for token in tokens):
        return None
    key = _key_end(statement)
    upper = next((i for i in range(key, len(tokens)) if _word(tokens[i]) in ("bis", "unter")), len(tokens))
    return key, upper


def _columns(statements: Sequence[_Statement], forced: Sequence[bool]) -> dict[int, _Columns]:
    """The columns each block of rows or bands aligns to."""
    keys: dict[int, int] = {}
    lowers: dict[int, int] = {}
    first = 0
    for statement in statements:
        tokens = statement.tokens
        own = forced[first:first + len(tokens)]
        first += len(tokens)
        if not statement.role:
            continue
        key = _key_end(statement)
        keys[statement.block] = max(keys.get(statement.block, 0), len(_joined(tokens[:key], own[:key])))
        bounds = _bounds(statement) if statement.role == "band" else None
        if bounds is not None and bounds[1] < len(tokens):
            lower, upper = bounds
            width = len(_joined(tokens[lower:upper], own[lower:upper])) if lower < upper else 0
            lowers[statement.block] = max(lowers.get(statement.block, 0), width)
    return {
        block: _Columns(width + 1, width + 1 + (lowers[block] + 1 if lowers.get(block) else 0))
        for block, width in keys.items()
    }


class _Writer:
    """The formatted text as it grows, and where each code token stands in it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.written = 0
        self.line_start = 0
        self.offsets: list[int] = []

    def write(self, piece: str) -> None:
        self.parts.append(piece)
        self.written += len(piece)
        newline = piece.rfind("\n")
        if newline >= 0:
            self.line_start = self.written - len(piece) + newline + 1

    def column(self) -> int:
        return self.written - self.line_start

    def comment_lines(self, lines: Sequence[str | None], indent: str, *, opened: bool = False,
                      closing: bool = False) -> None:
        """Comments on lines of their own, and at most one blank line in a row: none at the start
        of the text, right after a line that opens a block (``opened``) or right before its
        ``ende`` (``closing``)."""
        blank = False
        for line in lines:
            if line is None:
                blank = self.written > 0 and not opened
                continue
            if blank:
                self.write("\n")
            blank = opened = False
            self.write(f"{indent}{line}\n")
        if blank and not closing:
            self.write("\n")


def _render(gaps_before: Sequence[_Gap], statements: Sequence[_Statement],
            forced_before: set[int]) -> tuple[str, list[int]]:
    """The formatted text, and where each code token starts in it."""
    count = sum(len(statement.tokens) for statement in statements)
    forced = [index in forced_before for index in range(count)]
    columns = _columns(statements, forced)
    writer = _Writer()
    first = 0
    for number, statement in enumerate(statements):
        indent = INDENT * statement.level
        closing = statement.tokens[0].type == "ENDE"
        opened = number > 0 and statements[number - 1].level < statement.level + closing
        writer.comment_lines(gaps_before[number].lines, INDENT * (statement.level + closing), opened=opened,
                             closing=closing)
        writer.write(indent)
        _write_statement(writer, statement, forced[first:first + len(statement.tokens)],
                         columns.get(statement.block), indent)
        first += len(statement.tokens)
        trailing = gaps_before[number + 1].trailing
        writer.write(f" {trailing}\n" if trailing else "\n")
    writer.comment_lines(gaps_before[-1].lines, "")
    result = "".join(writer.parts)
    result = result.rstrip("\n") + "\n" if result.strip() else ""
    return result, writer.offsets


def _write_statement(writer: _Writer, statement: _Statement, forced: Sequence[bool], columns: _Columns | None,
                     indent: str) -> None:
    """One statement, from its first token to its last (its indentation written already)."""
    tokens = statement.tokens
    key = _key_end(statement) if columns is not None else None
    bounds = _bounds(statement) if columns is not None and statement.role == "band" else None
    upper = bounds[1] if bounds is not None and columns is not None and columns.upper else None
    open_on: list[int] = []  # for each bracket open: the line (of the statement) it was opened on
    line = 0
    for index, token in enumerate(tokens):
        if index:
            gap = statement.gaps[index - 1]
            if gap.breaks:
                # a line break inside brackets: kept, with the comments around it
                writer.write(f" {gap.trailing}\n" if gap.trailing else "\n")
                line += 1
                inner = indent + INDENT * len(set(open_on))
                for comment in gap.lines:
                    if comment is not None:
                        writer.write(f"{inner}{comment}\n")
                closing = 0
                while index + closing < len(tokens) and tokens[index + closing].type in _CLOSE:
                    closing += 1
                still_open = open_on[: max(0, len(open_on) - closing)]
                writer.write(indent + INDENT * len(set(still_open)))
            elif columns is not None and index in (key, upper):
                target = columns.upper if index == upper else columns.value
                writer.write(" " * max(1, target - (writer.column() - len(indent))))
            elif forced[index] or _space(tokens[index - 1], token):
                writer.write(" ")
        writer.offsets.append(writer.written)
        writer.write(_spelled(token))
        if token.type in _OPEN:
            open_on.append(line)
        elif token.type in _CLOSE and open_on:
            open_on.pop()


def format_file(path: str | Path, *, write: bool = True) -> bool:
    """Whether the rule file ``path`` is not in the canonical layout; with ``write`` it is
    rewritten in it (as a whole or not at all). A file that cannot be read or does not parse
    raises a located :class:`~teilhabe_rules.errors.RuleSyntaxError`."""
    try:
        text = read_text(path, MAX_RULE_BYTES)
    except FileRefused as exc:
        raise RuleSyntaxError(Diagnostic(f"Die Regeldatei „{path}“ {exc.reason}",
                                         Location(str(path), exc.line, exc.column), hint=exc.hint,
                                         source_line=exc.source_line)) from None
    formatted = format_text(text, str(path))
    if formatted == text and not _starts_with_bom(path):  # (read_text drops a byte order mark; the layout has none)
        return False
    if write:
        rewrite_atomic(path, formatted)
    return True


def _starts_with_bom(path: str | Path) -> bool:
    """Whether the file ``path`` (a regular file: :func:`read_text` read it) begins with a UTF-8
    byte order mark."""
    try:
        with open(path, "rb") as handle:
            return handle.read(3) == b"\xef\xbb\xbf"
    except OSError:  # (gone or changed since: what was read is what is formatted)
        return False
