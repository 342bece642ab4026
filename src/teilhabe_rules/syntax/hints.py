"""Plain-word explanations of syntax errors.

Takes: a :class:`SyntaxErrorContext` — the source, where the parser stopped, the offending token
and what it would have accepted (built by :mod:`teilhabe_rules.syntax.parser`). Gives: an
:class:`Explanation` — a German message, a hint and the position to point at.

Common mistakes are recognised by the entries of :data:`MISTAKES`, tried in order; the first
whose ``test`` finds the mistake explains the error. Each entry carries an example snippet that
makes exactly that mistake; ``tests/syntax/test_syntax_hints.py`` parses every snippet and asserts the
message, the position and that no other entry claims it, so the table cannot rot. Every test
looks only at the offending token and its surroundings, so it never fires on a valid file and
rarely on an unrelated error. Anything not recognised gets a generic message listing what the
parser expected.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..span import source_lines

__all__ = [
    "KEYWORDS",
    "MISTAKES",
    "Explanation",
    "Finding",
    "Mistake",
    "SyntaxErrorContext",
    "describe_expected",
    "explain_syntax_error",
    "find_mistake",
]

KEYWORDS: tuple[str, ...] = (
    "modell",
    "ende",
    "version",
    "titel",
    "gültig",
    "ab",
    "bis",
    "quelle",
    "familie",
    "stichtag",
    "beschreibung",
    "vorgänger",
    "erweitert",
    "budget",
    "aufzählung",
    "eingabe",
    "standard",
    "zahl",
    "ganzzahl",
    "auswahl",
    "ja_nein",
    "datum",
    "text",
    "schlüssel",
    "stufe",
    "stufen",
    "von",
    "liste",
    "mindestens",
    "höchstens",
    "parameter",
    "annahme",
    "tabelle",
    "teilweise",
    "wert",
    "prüfung",
    "warnung",
    "eigenschaft",
    "steigend",
    "fallend",
    "mit",
    "paket",
    "nach",
    "einschätzung",
    "korridor",
    "über",
    "unter",
    "vorlage",
    "beispiel",
    "basis",
    "erwartet",
    "fehler",
    "vereinbarung",
    "wenn",
    "dann",
    "sonst",
    "oder",
    "und",
    "nicht",
    "als",
    "wo",
    "ja",
    "nein",
)

# Names of grammar terminals with a pattern, in words a rule author understands. Terminals with
# a fixed text (keywords, punctuation) are shown as that text.
_TERMINAL_WORDS = {
    "NAME": "ein Name",
    "NUMBER": "eine Zahl",
    "STRING": "ein Text in Anführungszeichen",
    "DATE": "ein Datum (TT.MM.JJJJ)",
    "KEY": "ein Schlüssel (1:x)",
    "COMPOUND_UNIT": "eine Einheit",
    "_NL": "ein Zeilenende",
    "COMP_OP": "ein Vergleich",
    "ADD_OP": "„+“ oder „-“",
    "MUL_OP": "„*“ oder „/“",
    "ARROW": "„->“",
    "$END": "das Dateiende",
}

_WORD = r"[^\W\d]\w*"
_STRING = r'"(?:[^"\\\n]|\\.)*"'
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"


# ======================================================================================
# What the parser knew, what a test finds, what the user is told
# ======================================================================================


@attrs.frozen
class SyntaxErrorContext:
    """Where the parser stopped: the source, the offending token and what would have fitted."""

    text: str  # the whole source as parsed (ends with a newline)
    line: int  # 1-based line of the offending token (lines split at "\n" only, as the lexer does)
    column: int  # 1-based column of the offending token
    token: str | None  # the offending text; None at the end of the file
    token_type: str | None  # terminal name (NAME, COMMA, _NL, $END, …); None: no terminal matched
    expected: frozenset[str]  # terminal names the parser would have accepted
    literals: Mapping[str, str] = attrs.field(factory=dict)  # terminal name -> its fixed text

    @property
    def lines(self) -> list[str]:
        return source_lines(self.text)

    @property
    def source_line(self) -> str:
        lines = self.lines
        return lines[self.line - 1] if 0 < self.line <= len(lines) else ""

    @property
    def offset(self) -> int:
        """Index of the offending token in :attr:`text`."""
        if self.token_type == "$END":
            return len(self.text)
        start = 0
        for _ in range(self.line - 1):
            found = self.text.find("\n", start)
            if found < 0:
                return len(self.text)
            start = found + 1
        return min(len(self.text), start + self.column - 1)

    @property
    def line_offset(self) -> int:
        """Index in :attr:`text` where the offending token's line starts."""
        return self.offset - (self.column - 1) if self.token_type != "$END" else len(self.text)

    @property
    def expected_keywords(self) -> frozenset[str]:
        return frozenset(
            text for name in self.expected if (text := self.literals.get(name, "")) in KEYWORDS
        )

    @property
    def at_line_start(self) -> bool:
        return bool(self.token) and self.source_line[: self.column - 1].strip() == ""


@attrs.frozen
class Finding:
    """Where a test found its mistake, and the words that fill the entry's message and hint."""

    column: int
    line: int | None = None  # None: the line of the offending token
    end_column: int | None = None  # exclusive; the caret is widened to cover the span
    details: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Mistake:
    """A recognisable mistake: ``test`` finds it, ``example`` is a snippet that makes it.

    ``message`` and ``hint`` are :meth:`str.format` templates filled from the finding's details.
    """

    name: str
    example: str
    message: str
    hint: str
    test: Callable[[SyntaxErrorContext], Finding | None]


@attrs.frozen
class Explanation:
    """What the user is told about one syntax error."""

    message: str
    hint: str | None
    line: int
    column: int
    end_column: int | None = None
    mistake: str | None = None  # the name of the recognised mistake, if any


# ======================================================================================
# The block and bracket structure of the text before the error
# ======================================================================================

_SCAN = re.compile(
    r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"?|#[^\n]*|\n|' + _WORD + r"|[0-9]+(?:[.:][0-9]+)*|\S"
)

# Block kind -> the first words of the lines that may stand directly inside it.
_HEADER_WORDS = frozenset(
    {"version", "titel", "gültig", "quelle", "familie", "stichtag", "beschreibung", "vorgänger"}
)
_ITEM_WORDS = frozenset(
    {
        "aufzählung",
        "eingabe",
        "liste",
        "parameter",
        "tabelle",
        "wert",
        "paket",
        "prüfung",
        "warnung",
        "beispiel",
        "vorlage",
        "eigenschaft",
    }
)
_PACKAGE_WORDS = frozenset(
    {"stufen", "stufe", "eingabe", "wert", "prüfung", "warnung", "beispiel", "tabelle", "parameter"}
)
_EXAMPLE_WORDS = frozenset({"basis", "eingabe", "erwartet", "vereinbarung"})
_ALLOWED_WORDS: dict[str, frozenset[str]] = {
    "modell": _HEADER_WORDS,
    "liste": _ITEM_WORDS,
    "paket": _PACKAGE_WORDS,
    "beispiel": _EXAMPLE_WORDS,
}
# The words that start a declaration line somewhere in the language.
_STARTERS = _HEADER_WORDS | _ITEM_WORDS | _PACKAGE_WORDS | _EXAMPLE_WORDS
# Block kind -> the blocks that may open inside it ("top" is the file after the header).
_OPENERS: dict[str, frozenset[str]] = {
    "top": frozenset({"aufzählung", "liste", "tabelle", "paket", "vorlage", "beispiel"}),
    "liste": frozenset({"aufzählung", "liste", "tabelle", "paket", "vorlage", "beispiel"}),
    "paket": frozenset({"tabelle", "stufen", "korridor", "beispiel"}),
}


@attrs.frozen
class _Block:
    kind: str
    label: str
    line: int
    column: int
    end_column: int


@attrs.frozen
class _Piece:
    text: str  # a string literal is kept as '"' (its words must not count as keywords)
    line: int
    column: int
    written: str = ""  # a string literal as written


@attrs.define
class _Structure:
    blocks: list[_Block] = attrs.field(factory=list)
    brackets: list[_Piece] = attrs.field(factory=list)
    stray_ende: list[_Piece] = attrs.field(factory=list)

    @property
    def innermost(self) -> str:
        return self.blocks[-1].kind if self.blocks else "top"


def _structure(text: str, stop: int) -> _Structure:
    """The blocks and brackets open at index ``stop`` of ``text`` (strings and comments skipped)."""
    state = _Structure()
    pieces: list[_Piece] = []
    line, line_start = 1, 0
    for match in _SCAN.finditer(text):
        if match.start() >= stop:
            break
        piece = match.group()
        if piece == "\n":
            if not state.brackets:
                _end_line(state, pieces)
                pieces = []
            line, line_start = line + 1, match.end()
            continue
        column = match.start() - line_start + 1
        if piece.startswith("#"):
            continue
        if piece.startswith('"'):
            pieces.append(_Piece('"', line, column, piece))
            if "\n" in piece:
                line += piece.count("\n")
                line_start = match.start() + piece.rindex("\n") + 1
            continue
        if piece in "([{":
            state.brackets.append(_Piece(piece, line, column))
        elif piece in ")]}" and state.brackets:
            state.brackets.pop()
        pieces.append(_Piece(piece, line, column))
    return state


def _end_line(state: _Structure, pieces: list[_Piece]) -> None:
    if not pieces:
        return
    first = pieces[0]
    if first.text == "ende":
        if state.blocks:
            state.blocks.pop()
        else:
            state.stray_ende.append(first)
        return
    if not state.blocks and first.text == "modell":
        kind = "modell"
    elif first.text == "stufe" and [p.text for p in pieces[1:3]] == ["nach", "korridor"]:
        kind = "korridor"
    else:
        kind = first.text
    if kind != "modell" and kind not in _OPENERS.get(state.innermost, frozenset()):
        return
    if kind == "korridor":
        label = "stufe nach korridor"
    elif kind == "stufen" or len(pieces) < 2 or pieces[1].text == ":":
        label = first.text
    elif pieces[1].text == '"':
        written = pieces[1].written
        label = (
            f"{first.text} {written}" if len(written) <= 30 and "\n" not in written else first.text
        )
    else:
        label = f"{first.text} {pieces[1].text}"
    state.blocks.append(
        _Block(kind, label, first.line, first.column, first.column + len(first.text))
    )


def _looks_like_entry(kind: str, line: str) -> bool:
    """Whether ``line`` has the shape of an entry of a block of ``kind`` (a row, a member …)."""
    key = rf"(?:{_NUMBER}|{_WORD}|{_STRING})"
    if kind == "aufzählung":
        return re.match(rf"\s*{key}\s*(?:\"|#|$)", line) is not None
    if kind == "tabelle":
        return re.match(rf"\s*{key}(?:\s*,\s*{key})*\s*:", line) is not None
    if kind == "vorlage":
        return re.match(rf"\s*{_WORD}(?:\s*\.\s*{_WORD}|\s*\[\s*[0-9]+\s*\])*\s*=", line) is not None
    return False


# ======================================================================================
# The tests of the table, one per mistake
# ======================================================================================


def _unclosed_string(ctx: SyntaxErrorContext) -> Finding | None:
    # A '"' no terminal matches: the string regex needs the closing quote on the same line.
    if ctx.token_type is not None or ctx.token != '"':
        return None
    line, column = ctx.source_line, ctx.column
    if column >= 3 and line[column - 3 : column - 1] == '""':
        # '"""abc' without closing: the lexer reads '""' (an empty string) and stops at the third.
        return Finding(column - 2, end_column=column + 1, details={"quote": '"""'})
    return Finding(column, details={"quote": '"'})


def _combining_mark(ctx: SyntaxErrorContext) -> Finding | None:
    """A letter written in decomposed Unicode (``é`` as ``e`` and U+0301, as text copied from
    some systems is): the parser stops at the combining mark."""
    line, at = ctx.source_line, ctx.column - 1
    if not 0 < at < len(line) or not unicodedata.combining(line[at]) or not line[at - 1].isalpha():
        return None
    end = at
    while end < len(line) and unicodedata.combining(line[end]):
        end += 1
    written = line[at - 1:end]
    composed = unicodedata.normalize("NFC", written)
    marks = ", ".join(_code(char) for char in line[at:end])
    advice = (f"schreibe „{composed}“ als ein Zeichen (Unicode NFC)" if len(composed) == 1
              else f"lösche {marks}: ein Name besteht aus Buchstaben, Ziffern und „_“")
    named = ("dem Zeichen " if end - at == 1 else "den Zeichen ") + marks
    return Finding(ctx.column - 1, end_column=end + 1, details={
        "written": written, "base": line[at - 1], "marks": named, "advice": advice})


def _decimal_comma(ctx: SyntaxErrorContext) -> Finding | None:
    if ctx.token != ",":
        return None
    line, at = ctx.source_line, ctx.column - 1
    left = re.search(r"([0-9]+(?:\.[0-9]{3})*)$", line[:at])
    right = re.match(r"[0-9]+", line[at + 1 :])
    if not left or not right or re.search(r"[\w.]$", line[: left.start()]):
        return None
    written = f"{left.group()},{right.group()}"
    fixed = f"{left.group().replace('.', '')}.{right.group()}"
    return Finding(ctx.column, details={"written": written, "fixed": fixed})


_DATE_LIKE = re.compile(
    r"(?<![0-9.])(?:(?P<y1>[0-9]{4})-(?P<m1>[0-9]{1,2})-(?P<d1>[0-9]{1,2})"
    r"|(?P<d2>[0-9]{1,2})[-/](?P<m2>[0-9]{1,2})[-/](?P<y2>[0-9]{4}))(?![0-9.])"
)


def _date_format(ctx: SyntaxErrorContext) -> Finding | None:
    if ctx.token is None:
        return None
    for match in _DATE_LIKE.finditer(ctx.source_line):
        if match.start() <= ctx.column - 1 < match.end():
            day, month, year = (
                (match["d1"], match["m1"], match["y1"])
                if match["y1"]
                else (match["d2"], match["m2"], match["y2"])
            )
            fixed = f"{int(day):02d}.{int(month):02d}.{year}"
            return Finding(
                match.start() + 1,
                end_column=match.end() + 1,
                details={"written": match.group(), "fixed": fixed},
            )
    return None


_SPACED_UNIT = re.compile(rf"(?:{_WORD}|€)(?:\s*/\s*{_WORD})+")
# What may stand before a unit: a number (a quantity) or the start of a type.
_BEFORE_UNIT = re.compile(r"(?:[0-9]|:|\bzahl|\bganzzahl|\}|->|→|,)\s*$")


def _unit_spaces(ctx: SyntaxErrorContext) -> Finding | None:
    if ctx.token != "/":
        return None
    line, slash = ctx.source_line, ctx.column - 1
    for match in _SPACED_UNIT.finditer(line):
        if match.start() < slash < match.end() and re.search(r"\s", match.group()):
            if not _BEFORE_UNIT.search(line[: match.start()]):
                return None
            written = match.group()
            fixed = re.sub(r"\s*/\s*", "/", written)
            return Finding(
                match.start() + 1,
                end_column=match.end() + 1,
                details={"written": written, "fixed": fixed},
            )
    return None


def _unclosed_bracket(ctx: SyntaxErrorContext) -> Finding | None:
    state = _structure(ctx.text, ctx.offset)
    if not state.brackets:
        return None
    opened = state.brackets[-1]
    # Inside brackets newlines do not end the statement, so a forgotten closing bracket shows up
    # only later: at the end of the file, or on a later line that starts a new statement (the
    # keyword itself may still be read as a name, e.g. as the unit of a number before it). An
    # error on another line inside an intentionally multi-line bracket is something else.
    if ctx.token_type != "$END":
        first = re.match(rf"\s*({_WORD})", ctx.source_line)
        starts_statement = first is not None and first.group(1) in _STARTERS | {"ende"}
        if opened.line >= ctx.line or not starts_statement:
            return None
    closing = {"(": ")", "[": "]", "{": "}"}[opened.text]
    return Finding(
        opened.column,
        line=opened.line,
        details={
            "bracket": opened.text,
            "closing": closing,
            "noticed": "am Dateiende" if ctx.token_type == "$END" else f"in Zeile {ctx.line}",
        },
    )


# The statements whose expression an author may want to write over several lines, and the
# tokens that can only continue an expression begun on the line before.
_EXPRESSION_STATEMENT = re.compile(r"\s*(?:wert|prüfung|warnung|eigenschaft|stufe\s*=)(?!\w)")
_CONTINUATION = re.compile(r"(?:dann|sonst|und|oder|als|wo|mit)(?!\w)|(?:[-+*/=<>≤≥≠]|->|→)")


def _code_line(lines: list[str], number: int, step: int) -> int | None:
    """The number of the nearest line from ``number`` on (``step`` 1: down, -1: up) that holds
    code, not only blanks or a comment; None if there is none."""
    while 0 < number <= len(lines):
        text = lines[number - 1].strip()
        if text and not text.startswith("#"):
            return number
        number += step
    return None


def _line_ends_statement(ctx: SyntaxErrorContext) -> Finding | None:
    """An expression broken over two lines without brackets: the line ends before the
    expression is complete (``wert b = a +``), and the next line goes on with it."""
    if ctx.token_type != "_NL" or not _EXPRESSION_STATEMENT.match(ctx.source_line):
        return None
    lines = ctx.lines
    following = _code_line(lines, ctx.line + 1, 1)
    if following is None:
        return None
    first = re.match(rf"\s*({_WORD})", lines[following - 1])
    if first is not None and first.group(1) in _STARTERS | {"ende"}:
        return None  # a new statement: the line is simply incomplete
    if _structure(ctx.text, ctx.offset).brackets:
        return None
    wanted = describe_expected(ctx.expected, ctx.literals)
    shown = f" (erwartet hier: {wanted})" if wanted and wanted.count(",") < 3 else ""
    return Finding(ctx.column, details={"next": following, "expected": shown})


def _line_continues_statement(ctx: SyntaxErrorContext) -> Finding | None:
    """An expression broken over two lines without brackets: the first line was complete
    (``wert b = a``), and the next begins with what can only continue it (``+ 2 h``, ``dann …``)."""
    if ctx.token is None or not ctx.at_line_start or not _CONTINUATION.match(ctx.token):
        return None
    previous = _code_line(ctx.lines, ctx.line - 1, -1)
    if previous is None or not _EXPRESSION_STATEMENT.match(ctx.lines[previous - 1]):
        return None
    if _structure(ctx.text, ctx.line_offset).brackets:
        return None
    return Finding(ctx.column, end_column=ctx.column + len(ctx.token),
                   details={"token": ctx.token, "previous": previous})


def _extra_bracket(ctx: SyntaxErrorContext) -> Finding | None:
    if ctx.token not in (")", "]", "}") or ctx.token_type is None:
        return None
    if _structure(ctx.text, ctx.offset).brackets:
        return None
    return Finding(ctx.column, details={"bracket": ctx.token})


def _missing_ende(ctx: SyntaxErrorContext) -> Finding | None:
    if ctx.token_type == "$END":
        state = _structure(ctx.text, len(ctx.text))
        if not state.blocks or state.brackets:
            return None
        where = "am Dateiende"
    else:
        first = re.match(rf"\s*({_WORD})", ctx.source_line)
        if not first or first.group(1) not in _STARTERS:
            return None
        state = _structure(ctx.text, ctx.line_offset)
        if not state.blocks or state.brackets:
            return None
        kind = state.innermost
        if first.group(1) in _ALLOWED_WORDS.get(kind, frozenset()):
            return None
        if _looks_like_entry(kind, ctx.source_line):
            return None
        where = f"vor Zeile {ctx.line}"
    block = state.blocks[-1]
    return Finding(
        block.column,
        line=block.line,
        end_column=block.end_column,
        details={"block": block.label, "opened": block.line, "where": where},
    )


def _extra_ende(ctx: SyntaxErrorContext) -> Finding | None:
    if ctx.token != "ende" or not ctx.at_line_start:
        return None
    state = _structure(ctx.text, ctx.line_offset)
    if state.blocks or state.brackets:
        return None
    return Finding(ctx.column, end_column=ctx.column + 4)


def _empty_block(ctx: SyntaxErrorContext) -> Finding | None:
    """An ``ende`` right after ``stufen`` or ``stufe nach korridor``: a block of no entries."""
    if ctx.token != "ende" or not ctx.at_line_start:
        return None
    state = _structure(ctx.text, ctx.line_offset)
    if not state.blocks or state.brackets or state.innermost not in _ENTRIES:
        return None
    block = state.blocks[-1]
    return Finding(block.column, line=block.line, end_column=block.end_column,
                   details={"block": block.label, "entry": _ENTRIES[block.kind]})


# A block that needs entries -> what an entry is, with an example line.
_ENTRIES = {
    "stufen": "jede Stufe steht vor „ende“ in einer Zeile: ihre Nummer und Bezeichnung, z. B. „0 \"kein Bedarf\"“",
    "korridor": "jedes Band steht vor „ende“ in einer Zeile: die Stufe, ein Doppelpunkt und die Grenzen, "
                "z. B. „1: über 0 bis 25“",
}


_ROW_KEYS = re.compile(
    rf"\s*(?:{_NUMBER}|{_WORD}|{_STRING})(?:\s*,\s*(?:{_NUMBER}|{_WORD}|{_STRING}))*\s*$"
)


def _equals_for_colon(ctx: SyntaxErrorContext) -> Finding | None:
    if ctx.token != "=" or "COLON" not in ctx.expected:
        return None
    line, at = ctx.source_line, ctx.column - 1
    if not _ROW_KEYS.fullmatch(line[:at]):
        return None
    state = _structure(ctx.text, ctx.line_offset)
    if state.innermost not in ("tabelle", "korridor") or state.brackets:
        return None
    fixed = f"{line[:at].strip()}:{line[at + 1 :].rstrip()}"
    return Finding(ctx.column, details={"block": state.blocks[-1].label, "fixed": fixed})


# What stands before the "=" of an assignment: a data path, at the start of a line (in a
# template, after eingabe/erwartet/vereinbarung in an example, or ``stufe``) or in a record.
_ASSIGNED = re.compile(
    rf"(?:^\s*(?:(?:eingabe|erwartet|vereinbarung)\s+)?|[{{,]\s*)"
    rf"{_WORD}(?:\s*\.\s*{_WORD}|\s*\[\s*[0-9]+\s*\])*\s*$"
)


def _colon_for_equals(ctx: SyntaxErrorContext) -> Finding | None:
    if ctx.token != ":" or "EQUAL" not in ctx.expected or "COLON" in ctx.expected:
        return None
    line, at = ctx.source_line, ctx.column - 1
    if not _ASSIGNED.search(line[:at]):
        return None
    fixed = f"{line[:at].strip()} = {line[at + 1 :].strip()}"
    return Finding(ctx.column, details={"fixed": fixed})


_DECLARATION_HEAD = re.compile(
    rf"\s*(?P<keyword>eingabe|parameter|wert)\s+(?P<name>{_WORD})(?P<gap>\s*)"
    rf"|\s*(?P<tkeyword>tabelle)\s+(?P<tname>{_WORD})(?:\s+(?P<title>{_STRING}))?(?P<tgap>\s*)"
    rf"|\s*(?P<ckeyword>prüfung|warnung|eigenschaft)\s+(?P<message>{_STRING})(?P<cgap>\s*)"
)
_FORMS = {
    "eingabe": "eingabe {name}: TYP",
    "parameter": "parameter {name}: TYP = WERT",
    "wert": "wert {name}: TYP = AUSDRUCK",
    "tabelle": "tabelle {name} {title}: SCHLÜSSELTYP -> WERTTYP",
    "prüfung": "prüfung {message}: BEDINGUNG",
    "warnung": "warnung {message}: BEDINGUNG",
    "eigenschaft": "eigenschaft {message}: BEDINGUNG",
}


# ``tabelle teilweise NAME …`` (a name after it, not the title of a table named „teilweise“),
# the line not ending in „teilweise“ already; a comment kept after the line
_PARTIAL_FIRST = re.compile(r"^(?P<indent>\s*)tabelle\s+(?P<word>teilweise)\s+(?P<rest>[^\W\d]\w*\b[^#]*?)\s*"
                            r"(?P<comment>#.*)?$")


def _partial_first(ctx: SyntaxErrorContext) -> Finding | None:
    """``tabelle teilweise NAME …``: the word belongs at the end of the line."""
    match = _PARTIAL_FIRST.match(ctx.source_line)
    if not match or ctx.column - 1 < match.end("word") or re.search(r"\bteilweise$", match["rest"]):
        return None
    fixed = f"tabelle {match['rest']} teilweise" + (f"  {match['comment']}" if match["comment"] else "")
    return Finding(match.start("word") + 1, end_column=match.end("word") + 1, details={"fixed": fixed})


def _missing_colon(ctx: SyntaxErrorContext) -> Finding | None:
    if "COLON" not in ctx.expected or ctx.token in (":", None) or ctx.token_type == "_NL":
        return None
    if _PARTIAL_FIRST.match(ctx.source_line):
        return None  # (_partial_first)
    if _combining_mark(ctx) is not None or ctx.source_line[ctx.column - 1:ctx.column] in _TYPOGRAPHIC_QUOTES:
        return None  # (a name that goes on in a combining mark; a title in „…“: the quotes' hint)
    match = _DECLARATION_HEAD.match(ctx.source_line)
    if not match or match.end() != ctx.column - 1:
        return None
    keyword = match["keyword"] or match["tkeyword"] or match["ckeyword"]
    gap = "gap" if match["keyword"] else "tgap" if match["tkeyword"] else "cgap"
    head = ctx.source_line[: match.start(gap)].strip()
    form = _FORMS[keyword].format(
        name=match["name"] or match["tname"],
        title=match["title"] or '"Titel"',
        message=match["message"] if match["message"] and len(match["message"]) < 30 else '"…"',
    )
    return Finding(match.start(gap) + 1, details={"head": head, "form": form})


def _misspelt_keyword(ctx: SyntaxErrorContext) -> Finding | None:
    word = ctx.token
    if ctx.token_type != "NAME" or not word or word in KEYWORDS or "NAME" in ctx.expected:
        return None
    if word in _declared_names(ctx.text):
        return None  # a name of the model standing in the wrong place, not a misspelt keyword
    suggestion = _closest_keyword(word, ctx.expected_keywords)
    if suggestion is None:
        return None
    return Finding(
        ctx.column,
        end_column=ctx.column + len(word),
        details={"word": word, "suggestion": suggestion},
    )


def _keyword_read_as_unit(ctx: SyntaxErrorContext) -> Finding | None:
    """A misspelt keyword right after a number (``dann 1 snst 2``): the number took it as its
    unit, and the parser stops only at what follows — the word is what to point at."""
    before = ctx.source_line[: ctx.column - 1]
    match = re.search(r"(?<![\w.])-?[0-9]+(?:\.[0-9]+)?\s+([^\W\d]\w*)\s*$", before)
    if match is None or ctx.token_type in (None, "$END", "_NL"):
        return None
    word = match.group(1)
    if word in KEYWORDS or word in _declared_names(ctx.text):
        return None
    suggestion = _closest_keyword(word, ctx.expected_keywords)
    if suggestion is None:
        return None
    return Finding(match.start(1) + 1, end_column=match.end(1) + 1,
                   details={"word": word, "suggestion": suggestion})


# ======================================================================================
# The table
# ======================================================================================

_MODEL = 'modell m "M"\nende\n'

MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "zerlegter-buchstabe",
        _MODEL + "eingabe be\u0301trag: zahl\n",
        "„{written}“ ist aus „{base}“ und {marks} zusammengesetzt",
        "{advice}",
        _combining_mark,
    ),
    Mistake(
        "text-nicht-geschlossen",
        'modell m "M\nende\n',
        "Der Text ist nicht abgeschlossen: es fehlt das schließende {quote}",
        'ein Text steht in "…" auf einer Zeile; über mehrere Zeilen: """…"""',
        _unclosed_string,
    ),
    Mistake(
        "dezimalkomma",
        _MODEL + "parameter satz: EUR/h = 68,95\n",
        "Dezimalzahlen werden mit Punkt geschrieben, nicht mit Komma: {written}",
        "schreibe {fixed} statt {written}",
        _decimal_comma,
    ),
    Mistake(
        "datum-format",
        'modell m "M"\n  gültig ab 2024-01-01\nende\n',
        "Ein Datum wird als TT.MM.JJJJ geschrieben, nicht {written}",
        "schreibe {fixed}",
        _date_format,
    ),
    Mistake(
        "einheit-mit-leerzeichen",
        _MODEL + "parameter satz: EUR / h = 68.95\n",
        "Eine zusammengesetzte Einheit wird ohne Leerzeichen geschrieben: {written}",
        "schreibe {fixed} statt {written}",
        _unit_spaces,
    ),
    Mistake(
        "klammer-nicht-geschlossen",
        _MODEL + "wert x = max(1, 2\nwert y = 3\n",
        "Die Klammer „{bracket}“ ist nicht geschlossen",
        "es fehlt „{closing}“; in Klammern geht die Zeile weiter, "
        "deshalb fällt das erst {noticed} auf",
        _unclosed_bracket,
    ),
    Mistake(
        "zeile-endet-im-ausdruck",
        _MODEL + "eingabe a: zahl\nwert b = wenn a > 1\n  dann 1 sonst 2\n",
        "Die Zeile endet, bevor die Angabe vollständig ist",
        "eine Angabe endet am Zeilenende: soll sie in Zeile {next} weitergehen, setze den Ausdruck in "
        "Klammern ( … ), in ihnen geht er über mehrere Zeilen{expected}",
        _line_ends_statement,
    ),
    Mistake(
        "zeile-setzt-ausdruck-fort",
        _MODEL + "eingabe a: zahl\nwert b = a\n  + 2\n",
        "„{token}“ am Anfang der Zeile setzt den Ausdruck aus Zeile {previous} fort, aber eine Angabe endet "
        "am Zeilenende",
        "setze den Ausdruck in Klammern ( … ), in ihnen geht er über mehrere Zeilen",
        _line_continues_statement,
    ),
    Mistake(
        "klammer-zu-viel",
        _MODEL + "wert x = (1 + 2))\n",
        "Zu der schließenden Klammer „{bracket}“ gibt es keine öffnende",
        "lösche die überzählige Klammer oder ergänze die öffnende",
        _extra_bracket,
    ),
    Mistake(
        "ende-fehlt",
        _MODEL + 'paket lp1 "LP 1"\n  wert x = 1\n',
        "Der Block „{block}“ aus Zeile {opened} ist nicht mit „ende“ abgeschlossen",
        "jeder Block (modell, aufzählung, tabelle, liste, paket, stufen, korridor, vorlage, "
        "beispiel) endet mit einer eigenen Zeile „ende“ — sie fehlt {where}",
        _missing_ende,
    ),
    Mistake(
        "ende-zu-viel",
        _MODEL + "wert x = 1\nende\n",
        "Zu diesem „ende“ gibt es keinen offenen Block",
        "lösche die Zeile oder prüfe, ob ein Block doppelt geschlossen wird",
        _extra_ende,
    ),
    Mistake(
        "block-leer",
        _MODEL + 'paket lp1 "LP 1"\n  stufen\n  ende\nende\n',
        "Der Block „{block}“ hat keinen Eintrag",
        "{entry}",
        _empty_block,
    ),
    Mistake(
        "gleich-statt-doppelpunkt",
        _MODEL + 'tabelle anteil "Anteil": ganzzahl -> %\n  1 = 100 %\nende\n',
        "In einer Zeile von „{block}“ steht nach dem Schlüssel ein Doppelpunkt, kein „=“",
        "schreibe „{fixed}“",
        _equals_for_colon,
    ),
    Mistake(
        "doppelpunkt-statt-gleich",
        _MODEL + "vorlage grundfall\n  kap4: 0\nende\n",
        "Hier steht ein Gleichheitszeichen „=“, kein Doppelpunkt",
        "schreibe „{fixed}“",
        _colon_for_equals,
    ),
    Mistake(
        "teilweise-vorne",
        _MODEL + 'tabelle teilweise anteil "Anteil": ganzzahl -> %\n  1: 100 %\nende\n',
        "„teilweise“ steht am Ende der Kopfzeile einer Tabelle, nicht vor ihrem Namen",
        "schreibe „{fixed}“",
        _partial_first,
    ),
    Mistake(
        "doppelpunkt-fehlt",
        _MODEL + "eingabe stunden zahl h/Jahr\n",
        "Nach „{head}“ fehlt ein Doppelpunkt",
        "schreibe „{form}“",
        _missing_colon,
    ),
    Mistake(
        "schluesselwort-als-einheit",
        _MODEL + "eingabe x: zahl\nwert a = wenn x > 1 dann 1 snst 2\n",
        "Unbekanntes Schlüsselwort „{word}“",
        "meinten Sie „{suggestion}“? (nach einer Zahl wird ein Wort als ihre Einheit gelesen)",
        _keyword_read_as_unit,
    ),
    Mistake(
        "schluesselwort-vertippt",
        _MODEL + "paramter satz: EUR/h = 68.95\n",
        "Unbekanntes Schlüsselwort „{word}“",
        "meinten Sie „{suggestion}“?",
        _misspelt_keyword,
    ),
)


# ======================================================================================
# Explaining an error
# ======================================================================================


def find_mistake(ctx: SyntaxErrorContext) -> tuple[Mistake, Finding] | None:
    """The first entry of :data:`MISTAKES` whose test recognises the error, with its finding."""
    for mistake in MISTAKES:
        finding = mistake.test(ctx)
        if finding is not None:
            return mistake, finding
    return None


def explain_syntax_error(ctx: SyntaxErrorContext) -> Explanation:
    """The message, hint and position for the syntax error described by ``ctx``."""
    found = find_mistake(ctx)
    if found is not None:
        mistake, finding = found
        return Explanation(
            mistake.message.format_map(finding.details),
            mistake.hint.format_map(finding.details),
            finding.line if finding.line is not None else ctx.line,
            finding.column,
            finding.end_column,
            mistake.name,
        )
    wanted = describe_expected(ctx.expected, ctx.literals)
    hint = f"erwartet: {wanted}" if wanted else None
    if ctx.token_type == "$END":
        if "modell" in {ctx.literals.get(t) for t in ctx.expected} and all(  # (a file, not an expression)
                not line.strip() or line.lstrip().startswith("#") for line in ctx.lines):
            return Explanation("Die Regeldatei ist leer (nur Leerzeilen und Kommentare)",
                               'eine Regeldatei beginnt mit dem Modellkopf: modell NAME "Titel", darunter '
                               "„gültig ab TT.MM.JJJJ“ und „ende“", 1, 1)
        return Explanation("Unerwartetes Dateiende", hint, ctx.line, ctx.column)
    if ctx.token_type == "_NL":
        return Explanation(
            "Die Zeile endet, bevor die Angabe vollständig ist", hint, ctx.line, ctx.column
        )
    token = ctx.token or ""
    if ctx.token_type is None:
        shown = (
            token
            if token.isprintable()
            else _code(token)
            if len(token) == 1
            else repr(token)
        )
        if token == "'":
            hint = 'ein Text steht in doppelten Anführungszeichen: "…"'
        elif token in _TYPOGRAPHIC_QUOTES:  # („…“, »…«, “…”: the quotes a word processor writes)
            hint = 'ein Text steht in geraden doppelten Anführungszeichen: "…" (nicht „…“ oder “…”)'
        elif token in _DASHES:
            hint = "das Minuszeichen ist „-“ (nicht „–“, „—“ oder „−“)"
        elif token in _SPACES:
            hint = f"ein geschütztes Leerzeichen ({_code(token)}): schreibe ein gewöhnliches Leerzeichen"
        elif token == ";":
            hint = "eine Angabe endet mit dem Zeilenende; „;“ gibt es nicht"
        elif len(token) == 1 and token.isdigit():  # ٣, ３: a digit of another script
            hint = "Zahlen und Daten stehen in den Ziffern 0–9"
        return Explanation(f"Unerwartetes Zeichen „{shown}“", hint, ctx.line, ctx.column)
    return Explanation(f"Unerwartetes „{_shorten(token)}“", hint, ctx.line, ctx.column)


_TYPOGRAPHIC_QUOTES = frozenset("„“”‟«»‹›‚‘’")
_DASHES = frozenset("–—−‐‑‒")
_SPACES = frozenset("\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u3000")


def _code(char: str) -> str:
    """``U+00A0`` for a character."""
    return f"U+{ord(char):04X}"


def describe_expected(
    expected: frozenset[str] | set[str], literals: Mapping[str, str] | None = None
) -> str:
    """The terminals the parser would have accepted, in words (at most fourteen)."""
    literals = literals or {}
    words = set()
    for name in expected:
        if name == "$END" and len(expected) > 1:
            continue  # "or the file may end here" helps nobody
        if name in _TERMINAL_WORDS:
            words.add(_TERMINAL_WORDS[name])
        elif name in literals:
            words.add(f"„{literals[name]}“")
        else:
            words.add(f"„{name.lower()}“")
    ordered = sorted(words)
    if len(ordered) > 14:
        ordered = ordered[:14] + ["…"]
    return ", ".join(ordered)


# ======================================================================================
# Helpers
# ======================================================================================


def _shorten(token: str, limit: int = 30) -> str:
    first = token.split("\n", 1)[0]
    return first if len(first) <= limit and first == token else first[:limit] + "…"


_DECLARED = re.compile(
    rf"^[ \t\f]*(?:eingabe|wert|parameter|tabelle|liste|paket|aufzählung|vorlage)[ \t\f]+({_WORD})",
    re.MULTILINE,
)


def _declared_names(text: str) -> set[str]:
    return set(_DECLARED.findall(text))


_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _fold(word: str) -> str:
    """Lower case with umlauts spelt out: ``Gültig`` and ``gueltig`` fold alike."""
    return word.lower().translate(_FOLD)


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def _closest_keyword(word: str, candidates: frozenset[str]) -> str | None:
    """The candidate keyword ``word`` is most plausibly a misspelling of, if any."""
    folded = _fold(word)
    best: tuple[int, str] | None = None
    for keyword in sorted(candidates):
        target = _fold(keyword)
        allowed = 0 if len(target) <= 2 else 1 if len(target) <= 5 else 2
        if abs(len(folded) - len(target)) > allowed:
            continue  # the distance is at least the difference in length: not worth computing
        distance = _distance(folded, target)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, keyword)
    return best[1] if best else None
