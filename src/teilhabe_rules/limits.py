"""The limits on what the library reads, in one place.

Takes: nothing (constants), and for the helpers a rule file's text and where a limit was passed.
Gives: the documented limits every stage checks where text or data enters, the internal
:class:`LimitExceeded` the lexers raise, and the located German diagnostic that reports it.

Why: a hand-written tariff model is a few thousand lines (the bundled ones are under 100,000
characters, no word longer than 50 characters, no statement of more than 160 tokens, nesting at
most 4 brackets deep). Input far beyond that is a mistake or an attack; each limit rejects it
with a located :class:`~teilhabe_rules.errors.RuleSyntaxError` (``code="grenze"``) as soon as the
lexer or parser reaches the place, before any stage does work that grows faster than the text.
The limits are checked in the same way by the fast path (:mod:`teilhabe_rules.syntax._fastpath`) and the
lark path (:mod:`teilhabe_rules.syntax.parser`). ``docs/03_checker.md`` lists them for users.

Case data: a list whose model declares no ``höchstens`` takes at most
:data:`MAX_LIST_ITEMS` elements (:func:`list_limit`, :func:`list_length_problem`).
"""

from __future__ import annotations

import re

from .errors import MAX_SUGGESTION_LENGTH, Diagnostic, Location, RuleSyntaxError, counted

__all__ = [
    "MAX_BRACKETS",
    "MAX_DEPTH",
    "MAX_LIST_ITEMS",
    "MAX_LIST_NESTING",
    "MAX_NUMBER_LENGTH",
    "MAX_RULE_FILE_CHARS",
    "MAX_STATEMENT_TOKENS",
    "MAX_STRING_LENGTH",
    "MAX_SUGGESTION_LENGTH",
    "MAX_WORD_LENGTH",
    "SHORTEST_TOKEN_LIMIT",
    "LimitExceeded",
    "check_characters",
    "check_file_size",
    "check_rule_text",
    "clip_line",
    "depth_exceeded",
    "limit_error",
    "list_length_problem",
    "list_limit",
    "statement_too_long",
    "telling_chain",
    "token_too_long",
    "too_many_brackets",
]

#: Characters of one rule file (about 500 KB; the bundled models have under 100,000). Parsing this
#: much takes about half a second: a limit passed at the very end is found within a second.
MAX_RULE_FILE_CHARS = 500_000
#: Levels of the parse tree of one declaration (``- - - … x``, ``[[[…]]]``, ``{a = {a = …}}``,
#: a chain of ``+``): deeper nesting would exhaust Python's recursion limit in the stages that
#: walk the tree.
MAX_DEPTH = 150
#: Brackets ``(``, ``[``, ``{`` open at the same time.
MAX_BRACKETS = 100
#: Characters of one word: a name, a keyword, a unit.
MAX_WORD_LENGTH = 100
#: Characters of one number (digits, sign and decimal point) or staff key ``1:x``.
MAX_NUMBER_LENGTH = 50
#: Characters of one text in quotes (quotes included).
MAX_STRING_LENGTH = 10_000
#: Tokens (names, numbers, texts, operators, brackets, commas) of one statement — a line, or
#: several lines joined by open brackets: the length of one expression.
MAX_STATEMENT_TOKENS = 10_000
#: Elements of one list in a case where the model declares no ``höchstens``.
MAX_LIST_ITEMS = 10_000
#: Lists inside lists (the evaluator nests one loop per level).
MAX_LIST_NESTING = 10

_HINT_SPLIT = "teile den Ausdruck mit „wert“-Zeilen in Zwischenwerte auf"

# terminal -> (limit, what it is, hint)
_TOKEN_LIMITS: dict[str, tuple[int, str, str]] = {
    "NAME": (MAX_WORD_LENGTH, "Das Wort",
             "Namen sind kurz und sprechend, z. B. fls_satz oder stunden_jahr"),
    "COMPOUND_UNIT": (MAX_WORD_LENGTH, "Die Einheit", "Einheiten wie EUR/h oder min/Tag"),
    "NUMBER": (MAX_NUMBER_LENGTH, "Die Zahl", "gerechnet wird mit 28 gültigen Stellen"),
    "KEY": (MAX_NUMBER_LENGTH, "Der Schlüssel",
            "ein Schlüssel wird als 1:x geschrieben, z. B. 1:48"),
    "STRING": (MAX_STRING_LENGTH, "Der Text",
               "lange Beschreibungen gehören in die Dokumentation des Modells"),
}
#: The smallest of the token limits: a token at most this long needs no further look.
SHORTEST_TOKEN_LIMIT = min(limit for limit, _, _ in _TOKEN_LIMITS.values())

#: A source line longer than this is cut in diagnostics ...
_LONG_LINE = 500
#: ... this many characters behind the caret.
_SHOWN_BEHIND = 100


class LimitExceeded(Exception):
    """A limit was passed at ``offset`` of the text (line and column 1-based). Raised by the
    lexers and the parsers; :func:`limit_error` turns it into the located user error."""

    def __init__(self, message: str, hint: str, offset: int, line: int, column: int,
                 end_column: int | None = None, code: str = "grenze"):
        super().__init__(message)
        self.message, self.hint, self.code = message, hint, code
        self.offset, self.line, self.column, self.end_column = offset, line, column, end_column


def _number(value: int) -> str:
    """``10000`` as German readers write it: ``10.000``."""
    return f"{value:,}".replace(",", ".")


def check_rule_text(text: str) -> None:
    """Raise :class:`LimitExceeded` for the first thing in ``text`` a rule file may not hold: more
    than :data:`MAX_RULE_FILE_CHARS` characters (:func:`check_file_size`), a control character
    (:func:`check_characters`)."""
    check_file_size(text)
    check_characters(text)


# errors.CONTROL but the form feed (blank space to the grammar, as to Python), and a lone carriage return;
# the grammar's texts and comments hold none of them either (``grammars/teilhabe.lark``)
_REFUSED = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\r(?!\n)")


def check_characters(text: str) -> None:
    """Raise :class:`LimitExceeded` (``code="syntax"``) at the first character of
    :data:`teilhabe_rules.errors.CONTROL` in ``text`` but a form feed, or a carriage return not
    before a line feed: each ends a line for some readers and not for others (an editor, the terminal showing
    an error), or shows the text in another order than it is read — so a position the library
    reports would point elsewhere than the reader looks."""
    found = _REFUSED.search(text)
    if found is None:
        return
    offset = found.start()
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    code = ord(found.group())
    if found.group() == "\r":
        message = "Ein Wagenrücklauf (U+000D), dem kein Zeilenvorschub folgt, ist in einer Regeldatei nicht erlaubt"
        hint = "eine Zeile endet mit LF oder CR LF; speichere die Datei mit diesen Zeilenenden"
    elif code in (0x2028, 0x2029):
        message = f"Der Zeilentrenner U+{code:04X} ist in einer Regeldatei nicht erlaubt"
        hint = "eine Zeile endet mit LF oder CR LF; ersetze ihn durch einen Zeilenumbruch"
    elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        message = f"Das Steuerzeichen der Schreibrichtung U+{code:04X} ist in einer Regeldatei nicht erlaubt"
        hint = "es lässt den Text in anderer Reihenfolge erscheinen, als er gelesen wird; entferne es"
    else:
        message = f"Das Steuerzeichen U+{code:04X} ist in einer Regeldatei nicht erlaubt"
        hint = "entferne das unsichtbare Zeichen (es kommt oft mit kopiertem Text)"
    raise LimitExceeded(message, hint, offset, line, column, code="syntax")


def check_file_size(text: str) -> None:
    """Raise :class:`LimitExceeded` if ``text`` is longer than :data:`MAX_RULE_FILE_CHARS`,
    pointing at the first character beyond it."""
    if len(text) <= MAX_RULE_FILE_CHARS:
        return
    offset = MAX_RULE_FILE_CHARS
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    raise LimitExceeded(
        f"Die Regeldatei ist zu groß: {_number(len(text))} Zeichen, erlaubt sind höchstens "
        f"{_number(MAX_RULE_FILE_CHARS)}; hier ist die Grenze überschritten",
        "ein Tarifmodell hat einige tausend Zeilen (die mitgelieferten unter 100.000 Zeichen); "
        "große Datenmengen gehören in Fälle und Vereinbarungen",
        offset, line, column,
    )


def token_too_long(
    kind: str, length: int, offset: int, line: int, column: int
) -> LimitExceeded | None:
    """The error for a token of terminal ``kind`` and ``length`` characters, or None if it is
    within its limit (or its terminal has none)."""
    limit = _TOKEN_LIMITS.get(kind)
    if limit is None or length <= limit[0]:
        return None
    most, what, hint = limit
    return LimitExceeded(
        f"{what} ist zu lang: {_number(length)} Zeichen, erlaubt sind höchstens {_number(most)}",
        hint, offset, line, column,
    )


def too_many_brackets(offset: int, line: int, column: int) -> LimitExceeded:
    """The error for the opening bracket that is one more than :data:`MAX_BRACKETS`."""
    return LimitExceeded(
        f"Zu tief verschachtelt: mehr als {MAX_BRACKETS} Klammern sind zugleich offen",
        _HINT_SPLIT, offset, line, column, column + 1,
    )


def statement_too_long(offset: int, line: int, column: int) -> LimitExceeded:
    """The error for a statement (starting at ``line``/``column``) of more than
    :data:`MAX_STATEMENT_TOKENS` tokens."""
    return LimitExceeded(
        f"Die Anweisung ist zu lang: mehr als {_number(MAX_STATEMENT_TOKENS)} Bestandteile "
        "(Namen, Zahlen, Texte, Zeichen)",
        _HINT_SPLIT + "; lange Listen gehören in die Falldaten", offset, line, column,
    )


def telling_chain(terms: int, levels: int) -> bool:
    """Whether a chain of ``terms`` terms adding ``levels`` levels to the deepest path of a node
    too deep makes most of its depth: the error then names the chain, located at it."""
    return levels >= MAX_DEPTH // 2


def depth_exceeded(offset: int, line: int, column: int, links: tuple[int, int] | None = None) -> LimitExceeded:
    """The error for a parse-tree node more than :data:`MAX_DEPTH` levels high; ``links``: the
    chain of operators (``a + b + c + …``) on its deepest path that makes most of its levels
    (:func:`telling_chain`): its terms and the levels it adds — where these alone pass the limit,
    a chain too long."""
    if links is not None and links[1] >= MAX_DEPTH:
        message = (
            f"Der Ausdruck ist zu lang: mehr als {MAX_DEPTH} Glieder in einer Kette von "
            "Rechenzeichen"
        )
    elif links is not None:
        message = (
            f"Der Ausdruck ist zu lang: mehr als {MAX_DEPTH} Ebenen, davon {links[1]} aus einer "
            f"Kette von {links[0]} Gliedern (jedes Rechenzeichen ist eine Ebene)"
        )
    else:
        message = f"Zu tief verschachtelt: mehr als {MAX_DEPTH} Ebenen"
    return LimitExceeded(message, _HINT_SPLIT, offset, line, column)


def clip_line(line: str, column: int) -> str:
    """``line`` as a diagnostic shows it: whole, or — if longer than 500 characters — cut 100
    characters behind ``column`` and marked `` …`` (the caret stays where it belongs)."""
    shown = max(column - 1 + _SHOWN_BEHIND, _LONG_LINE)
    return line if len(line) <= shown else line[:shown] + " …"


def _line_at(text: str, exc: LimitExceeded) -> str:
    """The source line of ``exc`` as the lexer counts lines (at ``\\n``), cut behind the caret
    when it is very long."""
    offset = min(max(exc.offset, 0), len(text))
    if exc.offset < 0:  # only the line is known: find its start
        offset = 0
        for _ in range(exc.line - 1):
            found = text.find("\n", offset)
            if found < 0:
                break
            offset = found + 1
        offset += exc.column - 1
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    if end < 0:
        end = len(text)
    shown = max(exc.column - 1 + _SHOWN_BEHIND, _LONG_LINE) + 1  # enough to know it is cut
    return clip_line(text[start : min(end, start + shown)].rstrip("\r"), exc.column)


def limit_error(exc: LimitExceeded, text: str, filename: str) -> RuleSyntaxError:
    """The located :class:`RuleSyntaxError` for ``exc`` in ``text`` (``code="grenze"``).
    ``exc.offset`` < 0: the offset is not known; the line is found by counting."""
    end_column = exc.end_column
    if end_column is not None and end_column - exc.column > _SHOWN_BEHIND:
        end_column = None
    return RuleSyntaxError(
        Diagnostic(
            exc.message,
            Location(filename, exc.line, exc.column, exc.line if end_column else None, end_column),
            hint=exc.hint,
            source_line=_line_at(text, exc),
            code=exc.code,
        )
    )


def list_limit(declared: int | None) -> int:
    """How many elements a case's list may have: the model's ``höchstens``, else
    :data:`MAX_LIST_ITEMS`."""
    return MAX_LIST_ITEMS if declared is None else declared


def list_length_problem(
    name: str, count: int, declared: int | None
) -> tuple[str, str | None] | None:
    """Message and hint when a case's list ``name`` of ``count`` elements is longer than its
    model allows (``declared``: the list's ``höchstens``, or None), else None."""
    if count <= list_limit(declared):
        return None
    if declared is not None:
        return (f"„{name}“ erlaubt höchstens {counted(declared, 'Eintrag', 'Einträge')}, "
                f"angegeben {'ist' if count == 1 else 'sind'} {count}", None)
    return (
        f"„{name}“ hat {_number(count)} Einträge, ohne „höchstens“ im Modell sind höchstens "
        f"{_number(MAX_LIST_ITEMS)} erlaubt",
        "mehr Einträge erlaubt das Modell mit „höchstens N“ in der Zeile „liste …“",
    )
