"""Syntax highlighting of rule files: a Pygments lexer for ``*.rules``.

Takes: the text of a rule file (any text: a file being written need not parse). Gives: Pygments
tokens that together are exactly that text — keywords, names, units, numbers, staff keys, dates,
texts, comments, operators and brackets told apart. ``pyproject.toml`` registers
:class:`TeilhabeRulesLexer` as a Pygments plugin, so ``pygmentize``, Sphinx, MkDocs and every other
user of Pygments find it for ``*.rules`` files and by the names ``teilhabe-rules`` and ``rules``.

The lexer is built from the language, not from a copy of it: its patterns are the terminals of
``grammars/teilhabe.lark`` as the parser's lark compiles them (:func:`keywords` are the grammar's
word terminals, the patterns of numbers, dates, staff keys, units, texts and comments are the
grammar's own), tried in lark's order of precedence — higher priority first, then the longer match —
so the text is cut into tokens where the parser cuts it. Only what the grammar leaves to context is
decided here, from the neighbouring tokens:

- a word directly after a number on the same line is its unit (``15 min/Tag``, ``45 %``), as is a
  word the unit table of :mod:`teilhabe_rules.units` knows (``ganzzahl Personen``, ``als Wochen``);
- a word after ``.`` is a field (``lp2a.stufe``), a word before ``(`` a built-in function
  (``summe(…)``);
- a ``-`` right before a number is the number's sign unless an operand precedes it (``a -1``);
- ``{…}`` in the message of a ``prüfung`` or ``warnung`` is a placeholder for a value.

Pygments is an optional dependency (``pip install 'teilhabe-rules[editor]'``): nothing else in the
package imports this module. Importing it is cheap; the grammar is read when the first text is
lexed. The lexer keeps leading blank lines (``stripnl=False``), so the line numbers of highlighted
output are those of the checker's messages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from pygments.lexer import Lexer
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    is_token_subtype,
)

if TYPE_CHECKING:
    # the class of Pygments' token types: Pygments' own signatures (and its stubs) use this name
    from pygments.token import _TokenType

__all__ = ["KEYWORD_TOKENS", "TERMINAL_TOKENS", "UNIT", "TeilhabeRulesLexer", "keywords", "terminal_tokens"]

# A unit names the kind of a quantity, and in this language a unit alone is a type
# (``parameter satz: EUR/h``); Pygments' CSS lexer shows units the same way.
UNIT = Keyword.Type

# The token type of every regular-expression terminal of the grammar. A terminal the grammar gains
# must be added here: the lexer refuses to build without it (and the tests build it).
TERMINAL_TOKENS: dict[str, _TokenType] = {
    "COMP_OP": Operator,
    "ADD_OP": Operator,
    "MUL_OP": Operator,
    "ARROW": Operator,
    "DATE": Literal.Date,
    "KEY": Number,  # a staff key, 1:48
    "COMPOUND_UNIT": UNIT,
    "NAME": Name,  # a keyword where the word is one (see keywords())
    "NUMBER": Number.Integer,  # Number.Float with a decimal point
    "STRING": String.Double,
    "COMMENT": Comment.Single,
    "_NL": Whitespace,  # newlines with the next line's indentation and comments: lexed piece by piece
}

# Symbols of the grammar (its string terminals that are not words) that are not punctuation.
_SYMBOL_TOKENS: dict[str, _TokenType] = {"%": UNIT, "€": UNIT, "-": Operator, "=": Operator}

# Keywords shown other than as a plain keyword (each is a keyword of the grammar: tested).
KEYWORD_TOKENS: dict[str, _TokenType] = {
    "ja": Keyword.Constant,
    "nein": Keyword.Constant,
    "und": Operator.Word,
    "oder": Operator.Word,
    "nicht": Operator.Word,
    "als": Operator.Word,
    "wo": Operator.Word,
}

# Keywords whose text is a message with ``{AUSDRUCK}`` placeholders (docs/02_language.md, "Checks").
_MESSAGE_KEYWORDS = frozenset({"prüfung", "warnung"})
_PLACEHOLDER = re.compile(r"\{[^{}]+\}")

# the newline of the grammar's _NL (which takes the next line's indentation and comments along):
# those are lexed as tokens of their own
_NEWLINE_PATTERN = r"\r?\n"

# what may stand before a "-" that is then an operator, not a sign (an operand ends there)
_OPERAND_ENDS = (Name, Number, UNIT, String, Literal.Date)


class _Scanner(NamedTuple):
    """The grammar's terminals as one pattern (a group per terminal, named as the terminal, in
    lark's order of precedence), the token type of each, and the keywords."""

    pattern: re.Pattern[str]
    tokens: dict[str, _TokenType]
    words: frozenset[str]
    # the pattern where a statement begins (a line's first token outside brackets): no staff key,
    # which never begins one — ``1:50`` there is a table row's key, colon and value, as the
    # parser's contextual lexer reads it
    statement: re.Pattern[str]


def terminal_tokens() -> dict[str, _TokenType]:
    """The token type of every terminal of the grammar, by the terminal's name: a keyword's
    (``GÜLTIG``: :data:`~pygments.token.Keyword`), a symbol's (``LPAR``: punctuation, ``PERCENT``:
    a unit) and those of :data:`TERMINAL_TOKENS`. A terminal of none of these kinds is a
    :class:`LookupError`: the lexer would not know how to show it."""
    from lark.lexer import PatternStr

    from ..syntax.parser import make_parser

    parser = make_parser()
    word = _word_pattern()
    tokens: dict[str, _TokenType] = {}
    for terminal in parser.terminals:
        pattern = terminal.pattern
        if isinstance(pattern, PatternStr):
            if word.fullmatch(pattern.value):
                tokens[terminal.name] = KEYWORD_TOKENS.get(pattern.value, Keyword)
            else:
                tokens[terminal.name] = _SYMBOL_TOKENS.get(pattern.value, Punctuation)
        elif terminal.name in TERMINAL_TOKENS:
            tokens[terminal.name] = TERMINAL_TOKENS[terminal.name]
        elif terminal.name in parser.lexer_conf.ignore:
            tokens[terminal.name] = Whitespace  # the blanks between tokens
        else:
            raise LookupError(f"the grammar's terminal {terminal.name} has no token type in TERMINAL_TOKENS")
    return tokens


def _word_pattern() -> re.Pattern[str]:
    """The grammar's NAME: a keyword is a word of this form (and read as one, as lark does)."""
    from ..syntax.parser import make_parser

    (name,) = (terminal for terminal in make_parser().terminals if terminal.name == "NAME")
    return re.compile(name.pattern.to_regexp())


@functools.lru_cache(maxsize=1)
def _scanner() -> _Scanner:
    from lark.lexer import PatternStr

    from ..syntax.parser import make_parser

    tokens = terminal_tokens()
    word = _word_pattern()
    groups: list[tuple[tuple[int, int, int], str, str]] = []  # (order, group, regexp)
    words: set[str] = set()
    for terminal in make_parser().terminals:
        pattern = terminal.pattern
        regexp = pattern.to_regexp()
        if isinstance(pattern, PatternStr) and word.fullmatch(pattern.value):
            words.add(pattern.value)  # read as a NAME, then told apart
            continue
        if terminal.name == "_NL":
            regexp = _NEWLINE_PATTERN
        groups.append(((-terminal.priority, -pattern.max_width, -len(regexp)), terminal.name, regexp))
    groups.sort(key=lambda entry: entry[0])
    joined = "|".join(f"(?P<{group}>{regexp})" for _, group, regexp in groups)
    beginning = "|".join(f"(?P<{group}>{regexp})" for _, group, regexp in groups if group != "KEY")
    return _Scanner(re.compile(joined), tokens, frozenset(words), re.compile(beginning))


def keywords() -> frozenset[str]:
    """The keywords of the language: the word terminals of the grammar (``modell``, ``gültig``, …)."""
    return _scanner().words


@functools.lru_cache(maxsize=256)
def _is_unit(word: str) -> bool:
    from ..units import UnitError, parse_unit

    try:
        parse_unit(word)
    except UnitError:
        return False
    return True


class _Token(NamedTuple):
    start: int
    kind: _TokenType
    text: str
    keyword: bool = False  # a word that is a keyword of the grammar


def _scan(text: str) -> list[_Token]:
    """The grammar's cut of ``text`` into tokens; a character no terminal matches is an error."""
    scanner = _scanner()
    found: list[_Token] = []
    position = 0
    beginning = True  # nothing but blanks and comments since a line break
    depth = 0  # brackets open (a statement goes on over line breaks inside them)
    while position < len(text):
        match = (scanner.statement if beginning and not depth else scanner.pattern).match(text, position)
        if match is None or match.end() == position:
            found.append(_Token(position, Error, text[position]))
            position += 1
            beginning = False
            continue
        group = match.lastgroup
        assert group is not None
        value = match.group()
        kind = scanner.tokens[group]
        if kind is Whitespace or kind is Comment.Single:
            beginning = beginning or "\n" in value
        else:
            beginning = False
            if len(value) == 1 and value in "([{)]}":
                depth = max(0, depth + (1 if value in "([{" else -1))
        if group == "NAME" and value in scanner.words:
            found.append(_Token(position, KEYWORD_TOKENS.get(value, Keyword), value, keyword=True))
        elif kind is Number.Integer and "." in value:
            found.append(_Token(position, Number.Float, value))
        else:
            found.append(_Token(position, kind, value))
        position = match.end()
    return found


def _blank(token: _Token) -> bool:
    return is_token_subtype(token.kind, Whitespace) or is_token_subtype(token.kind, Comment)


def _neighbours(tokens: Sequence[_Token], index: int, step: int) -> tuple[_Token | None, bool]:
    """The nearest token before (``step=-1``) or after (``step=1``) that is not blank or a
    comment, and whether a newline lies between."""
    newline = False
    index += step
    while 0 <= index < len(tokens):
        token = tokens[index]
        if not _blank(token):
            return token, newline
        newline = newline or "\n" in token.text
        index += step
    return None, newline


def _refine(tokens: list[_Token]) -> Iterator[tuple[int, _TokenType, str]]:
    """What the grammar leaves to context, decided from the neighbouring tokens."""
    for index, token in enumerate(tokens):
        if _blank(token) or token.kind is Error:
            yield token.start, token.kind, token.text
            continue
        before, line_break = _neighbours(tokens, index, -1)
        if line_break:
            before = None  # only a token on the same line is a neighbour here
        if token.kind is Name or token.keyword:
            yield token.start, _word(token, before, _neighbours(tokens, index, 1)[0]), token.text
        elif is_token_subtype(token.kind, Number) and token.text.startswith("-") and _ends_operand(before):
            yield token.start, Operator, "-"
            yield token.start + 1, token.kind, token.text[1:]
        elif is_token_subtype(token.kind, String) and _is_message_keyword(before):
            yield from _message(token)
        else:
            yield token.start, token.kind, token.text


def _word(token: _Token, before: _Token | None, after: _Token | None) -> _TokenType:
    """A word: a field after ``.``, else a keyword, a built-in function before ``(``, a unit after
    a number or one of the known units, else a name."""
    if before is not None and before.text == ".":
        return Name.Attribute
    if token.keyword:
        return token.kind
    if after is not None and after.text == "(":
        return Name.Builtin
    if before is not None and before.kind in (Number.Integer, Number.Float) or _is_unit(token.text):
        return UNIT
    return Name


def _ends_operand(token: _Token | None) -> bool:
    """Whether ``token`` ends an operand, so that a ``-`` after it subtracts."""
    if token is None or token.keyword:
        return False
    return token.text in (")", "]") or any(is_token_subtype(token.kind, kind) for kind in _OPERAND_ENDS)


def _is_message_keyword(token: _Token | None) -> bool:
    return token is not None and token.keyword and token.text in _MESSAGE_KEYWORDS


def _message(token: _Token) -> Iterator[tuple[int, _TokenType, str]]:
    """A check's message: the text, and its ``{AUSDRUCK}`` placeholders as interpolations."""
    position = 0
    for match in _PLACEHOLDER.finditer(token.text):
        if match.start() > position:
            yield token.start + position, token.kind, token.text[position:match.start()]
        yield token.start + match.start(), String.Interpol, match.group()
        position = match.end()
    if position < len(token.text):
        yield token.start + position, token.kind, token.text[position:]


class TeilhabeRulesLexer(Lexer):
    """Rule files of teilhabe_rules (``*.rules``): the tariff models of the Eingliederungshilfe."""

    name = "Teilhabe-Regeln"
    aliases: ClassVar[Sequence[str]] = ["teilhabe-rules", "rules"]
    filenames: ClassVar[Sequence[str]] = ["*.rules"]
    mimetypes: ClassVar[Sequence[str]] = ["text/x-teilhabe-rules"]

    def __init__(self, **options: object) -> None:
        # keep leading blank lines: line numbers stay those of the checker's messages
        options.setdefault("stripnl", False)
        super().__init__(**options)

    @staticmethod
    def analyse_text(text: str) -> float:
        """A rule file begins (after blank lines and comments) with its header ``modell NAME``."""
        return 0.5 if _HEADER.match(text) else 0.0

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, _TokenType, str]]:
        yield from _refine(_scan(text))


_HEADER = re.compile(r"\A\ufeff?(?:\s|#[^\n]*)*modell[ \t]+[^\W\d]")
