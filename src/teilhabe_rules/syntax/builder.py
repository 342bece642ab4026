"""Parse tree → AST.

Takes: the ``lark.Tree`` from :mod:`teilhabe_rules.syntax.parser`. Gives: an :class:`ast.Module` of frozen
nodes with spans. One method per grammar rule, named after the rule; each docstring quotes its
production. Nothing is evaluated or resolved here; literal forms are only decoded (numbers,
dates, strings).
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import functools
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import lark
from lark import Token, Transformer, v_args
from lark.tree import Meta

from ..errors import Diagnostic, Location, RuleSyntaxError
from ..limits import LimitExceeded, check_rule_text, limit_error
from ..span import source_lines
from . import ast
from ._fastpath import Fallback, FastParser
from .parser import find_syntax_error, make_parser, parse_text, syntax_error_at

__all__ = ["build_module", "parse_expression", "parse_module"]


# The file every span of the module being built names, where it is not the module's own
# (a base model parsed for a variant, see :func:`parse_module`).
_SPAN_FILE: contextvars.ContextVar[str | None] = contextvars.ContextVar("span_file", default=None)

# What a rule's method gets as its position: lark's ``Meta`` on the lark path, the finished
# :class:`ast.Span` on the fast path (:mod:`teilhabe_rules.syntax._fastpath`).
_Meta = Meta | ast.Span


def _span(meta: _Meta) -> ast.Span:
    """The span of a rule: from lark's ``Meta``, or as :mod:`teilhabe_rules.syntax._fastpath` gives it."""
    if meta.__class__ is ast.Span:
        return meta
    if getattr(meta, "empty", True):
        return ast.NO_SPAN
    return ast.Span(meta.line, meta.column, meta.end_line, meta.end_column, _SPAN_FILE.get())


def _tspan(token: Token) -> ast.Span:
    return ast.Span(token.line or 0, token.column or 0, token.end_line or 0, token.end_column or 0, _SPAN_FILE.get())


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _string(token: Token) -> str:
    raw = str(token)
    if raw.startswith('"""'):
        return raw[3:-3].replace("\r\n", "\n")  # (its line ends are \n, as the file's are read)
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw[1:-1])


def _name_and_title(children: list[Any]) -> tuple[str, str | None, list[Any]]:
    """``NAME STRING? …`` (or ``STRING STRING? …``): the name, the optional title, the rest."""
    rest = children[1:]
    title = None
    if rest and isinstance(rest[0], Token) and rest[0].type == "STRING":
        title = _string(rest[0])
        rest = rest[1:]
    return str(children[0]), title, rest


class _StringPlaces:
    """Where each character of a string literal's decoded text stands in the file: ``starts[i]``
    (line, column) of the first character written for character ``i`` (two for an escape such as
    ``\\"``), ``ends[i]`` the column after its last; one more start for the closing quotes."""

    def __init__(self, token: Token):
        raw = str(token)
        line, column = token.line or 1, token.column or 1
        chars: list[str] = []
        self.starts: list[tuple[int, int]] = []
        self.ends: list[tuple[int, int]] = []
        if raw.startswith('"""'):  # written as it reads, across lines
            column += 3
            body = raw[3:-3]
            for index, char in enumerate(body):
                if char == "\r" and body[index + 1:index + 2] == "\n":  # (a line end \n, as _string reads it)
                    column += 1
                    continue
                chars.append(char)
                self.starts.append((line, column))
                self.ends.append((line, column + 1))
                line, column = (line + 1, 1) if char == "\n" else (line, column + 1)
        else:
            body = raw[1:-1]
            column += 1
            index = 0
            while index < len(body):
                width = 2 if body[index] == "\\" else 1  # the terminal puts a character after each backslash
                written = body[index + width - 1]
                chars.append(_ESCAPES.get(written, written) if width == 2 else written)
                self.starts.append((line, column))
                column += width
                self.ends.append((line, column))
                index += width
        self.starts.append((line, column))
        self.text = "".join(chars)

    def span(self, start: int, end: int) -> ast.Span:
        """The span in the file of the decoded characters ``start`` up to ``end`` (exclusive)."""
        first = self.starts[start]
        last = self.ends[end - 1] if end > start else first
        return ast.Span(*first, *last, _SPAN_FILE.get())


_BRACES_HINT = (
    "ein Ausdruck in der Meldung steht in geschweiften Klammern: {stunden}; eine Klammer als Text: {{ oder }}"
)


def _message(token: Token) -> tuple[str, tuple[ast.MessagePart, ...]]:
    """A check's message: its text, and its parts — text and the expression of each ``{…}``,
    each expression spanning its text in the file. ``{{`` and ``}}`` are single braces of the
    text; a brace without its partner, an empty ``{}`` or a ``{…}`` that is not an expression is a
    :class:`_BuildError` where it stands."""
    places = _StringPlaces(token)
    text = places.text
    parts: list[ast.MessagePart] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "{}" and text.startswith(char * 2, index):
            literal.append(char)
            index += 2
        elif char == "}":
            raise _BuildError("„}“ ohne öffnende „{“ in der Meldung", places.span(index, index + 1), _BRACES_HINT)
        elif char == "{":
            close = _closing_brace(text, index + 1)
            if close is None:
                raise _BuildError("„{“ ohne schließende „}“ in der Meldung", places.span(index, index + 1),
                                  _BRACES_HINT)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_message_expression(places, index + 1, close))
            index = close + 1
        else:
            literal.append(char)
            index += 1
    if literal:
        parts.append("".join(literal))
    return text, tuple(parts)


def _closing_brace(text: str, index: int) -> int | None:
    """Where the ``{…}`` whose contents begin at ``index`` closes: the next ``}`` outside a
    string literal of the expression (``{wenn a dann "}" sonst "-"}``), or None."""
    quoted = False
    while index < len(text):
        char = text[index]
        if quoted and char == "\\":
            index += 1
        elif char == '"':
            quoted = not quoted
        elif char == "}" and not quoted:
            return index
        index += 1
    return None


def _message_expression(places: _StringPlaces, start: int, end: int) -> ast.Expression:
    """The expression written between ``start`` and ``end`` of a message's text, its spans
    (and those of its errors) moved to where it stands in the file."""
    source = places.text[start:end]
    shown = source if len(source) <= 60 else source[:59] + "…"
    line_starts = [0] + [i + 1 for i, char in enumerate(source) if char == "\n"]

    def offset(line: int, column: int) -> int:
        return start + min(line_starts[min(max(line, 1), len(line_starts)) - 1] + max(column, 1) - 1, len(source))

    if not source.strip():
        raise _BuildError(
            "Leere geschweifte Klammern in der Meldung", places.span(start - 1, end + 1),
            "zwischen „{“ und „}“ steht ein Ausdruck, z. B. {stunden}; geschweifte Klammern als Text: {{ oder }}",
        )
    try:
        expression = parse_expression(source)
    except RuleSyntaxError as error:
        found = error.diagnostics[0]
        at = offset(found.location.line, found.location.column) if found.location is not None else start
        if at >= start + len(source.rstrip()):  # the text ends where more is expected
            message = f"„{{{shown}}}“ in der Meldung ist kein Ausdruck: er endet zu früh"
            span = places.span(end, end + 1)  # the closing brace
        else:
            message = f"„{{{shown}}}“ in der Meldung ist kein Ausdruck: {found.message}"
            span = places.span(at, at + 1)
            if found.location is not None and found.location.end_column is not None:
                last = offset(found.location.end_line or found.location.line, found.location.end_column)
                span = places.span(at, max(last, at + 1))
        raise _BuildError(message, span, found.hint, found.code) from None

    def moved(span: ast.Span) -> ast.Span:
        if span.line == 0:  # pragma: no cover - every node of an expression spans its text
            return span
        first = offset(span.line, span.column)
        return places.span(first, offset(span.end_line, span.end_column))

    moved_expression: ast.Expression = _respanned(expression, moved)
    return moved_expression


def _respanned(node: Any, moved: Callable[[ast.Span], ast.Span]) -> Any:
    """``node`` (an AST node, a tuple of them, or a plain value) with every span passed through
    ``moved``."""
    if isinstance(node, ast.Span):
        return moved(node)
    if isinstance(node, tuple):
        return tuple(_respanned(item, moved) for item in node)
    if not attrs.has(type(node)):
        return node
    changes = {field.name: _respanned(getattr(node, field.name), moved) for field in attrs.fields(type(node))}
    return attrs.evolve(node, **changes)


class _Marker:
    """A tagged intermediate value inside a rule's children (never leaves the builder)."""

    def __init__(self, tag: str, value: Any, span: ast.Span):
        self.tag, self.value, self.span = tag, value, span


class _BuildError(Exception):
    """A node the builder refuses (a date that does not exist, …): a :class:`RuleSyntaxError` at
    its span. The fast path steps aside on it and on nothing else."""

    def __init__(self, message: str, span: ast.Span, hint: str | None = None, code: str = "syntax"):
        super().__init__(message)
        self.message, self.span, self.hint, self.code = message, span, hint, code


def _header_marker(tag: str, kind: str = "string") -> Callable[[AstBuilder, _Meta, list[Any]], _Marker]:
    """The method of :class:`AstBuilder` for a header line: its ``tag`` and its value, decoded as
    ``kind`` says (``string``, ``date``, else as parsed)."""

    def method(self: AstBuilder, meta: _Meta, children: list[Any]) -> _Marker:
        value = children[0]
        if kind == "string":
            value = _string(value)
        elif kind == "date":
            day, month, year = (int(p) for p in str(value).split("."))
            try:
                value = _dt.date(year, month, day)
            except ValueError:
                raise _BuildError(f"„{children[0]}“ ist kein gültiges Datum", _tspan(children[0]),
                                  "Datumsangaben als TT.MM.JJJJ") from None
        return _Marker(tag, value, _span(meta))

    method.__doc__ = f"header line -> {tag}"
    return method


@v_args(meta=True)
class AstBuilder(Transformer[Token, Any]):
    """Turns each grammar rule into its AST node."""

    # ---- literals and units -------------------------------------------------------------

    def _number(self, token: Token) -> Decimal:
        try:
            return Decimal(str(token))
        except InvalidOperation:  # pragma: no cover - the terminal guarantees digits
            raise _BuildError(f"„{token}“ ist keine Zahl", _tspan(token)) from None

    def _int(self, token: Token, what: str) -> int:
        value = self._number(token)
        if value != value.to_integral_value():
            raise _BuildError(f"{what} muss eine ganze Zahl sein, nicht {token}", _tspan(token))
        return int(value)

    def unit(self, meta: _Meta, children: list[Token]) -> ast.UnitText:
        """?unit: NAME | COMPOUND_UNIT | "%" """
        if children:
            return ast.UnitText(str(children[0]), _tspan(children[0]))
        return ast.UnitText("%", _span(meta))

    def unit_euro(self, meta: _Meta, children: list[Token]) -> ast.UnitText:
        """"€" -> unit_euro (the sign alone: a literal lark leaves out of the tree, as "%")"""
        return ast.UnitText("€", _span(meta))

    def number_literal(self, meta: _Meta, children: list[Any]) -> ast.Number:
        """number_literal: NUMBER unit?"""
        unit = children[1] if len(children) > 1 else None
        return ast.Number(self._number(children[0]), unit, _span(meta))

    quantity = number_literal

    def key_literal(self, meta: _Meta, children: list[Token]) -> ast.KeyLiteral:
        """KEY -> key_literal (``1:48``)"""
        divisor = Decimal(str(children[0]).split(":", 1)[1])
        if divisor <= 0:
            raise _BuildError("Ein Schlüssel 1:x braucht ein x größer 0", _span(meta),
                              "1:x ist eine Vollzeitkraft je x Personen (1:48 * 24 Personen = 0,5 VK); "
                              "x = 0 teilte durch null")
        return ast.KeyLiteral(divisor, _span(meta))

    def string(self, meta: _Meta, children: list[Token]) -> ast.Text:
        """STRING -> string"""
        return ast.Text(_string(children[0]), _span(meta))

    def date(self, meta: _Meta, children: list[Token]) -> ast.DateLiteral:
        """DATE -> date (``TT.MM.JJJJ``)"""
        day, month, year = (int(p) for p in str(children[0]).split("."))
        try:
            return ast.DateLiteral(_dt.date(year, month, day), _span(meta))
        except ValueError:
            raise _BuildError(
                f"„{children[0]}“ ist kein gültiges Datum", _span(meta), "Datumsangaben als TT.MM.JJJJ"
            ) from None

    def true(self, meta: _Meta, children: list[Any]) -> ast.Truth:
        """"ja" -> true"""
        return ast.Truth(True, _span(meta))

    def false(self, meta: _Meta, children: list[Any]) -> ast.Truth:
        """"nein" -> false"""
        return ast.Truth(False, _span(meta))

    def name(self, meta: _Meta, children: list[Token]) -> ast.Name:
        """NAME -> name"""
        return ast.Name(str(children[0]), _span(meta))

    def list_literal(self, meta: _Meta, children: list[Any]) -> ast.ListLiteral:
        """"[" [_literals] "]" -> list_literal"""
        return ast.ListLiteral(tuple(c for c in children if c is not None), _span(meta))

    def field_literal(self, meta: _Meta, children: list[Any]) -> tuple[str, ast.Expression]:
        """field_literal: NAME "=" literal"""
        return (str(children[0]), children[1])

    def record_literal(self, meta: _Meta, children: list[Any]) -> ast.RecordLiteral:
        """"{" [field_literal ("," field_literal)*] "}" -> record_literal"""
        fields = tuple(c for c in children if c is not None)
        seen: set[str] = set()
        for key, _ in fields:
            if key in seen:
                raise _BuildError(f"Feld „{key}“ kommt im Datensatz doppelt vor", _span(meta))
            seen.add(key)
        return ast.RecordLiteral(fields, _span(meta))

    # ---- expressions ----------------------------------------------------------------------

    def conditional(self, meta: _Meta, children: list[Any]) -> ast.Conditional:
        """"wenn" expr "dann" expr "sonst" expr -> conditional"""
        return ast.Conditional(children[0], children[1], children[2], _span(meta))

    def or_(self, meta: _Meta, children: list[Any]) -> ast.Binary:
        """disjunction "oder" conjunction -> or_"""
        return ast.Binary("oder", children[0], children[1], _span(meta))

    def and_(self, meta: _Meta, children: list[Any]) -> ast.Binary:
        """conjunction "und" negation -> and_"""
        return ast.Binary("und", children[0], children[1], _span(meta))

    def not_(self, meta: _Meta, children: list[Any]) -> ast.Unary:
        """"nicht" negation -> not_"""
        return ast.Unary("nicht", children[0], _span(meta))

    _COMPARE = {"≤": "<=", "≥": ">=", "≠": "<>"}

    def compare(self, meta: _Meta, children: list[Any]) -> ast.Binary:
        """sum COMP_OP sum -> compare"""
        op = str(children[1])
        return ast.Binary(self._COMPARE.get(op, op), children[0], children[2], _span(meta))

    def binary(self, meta: _Meta, children: list[Any]) -> ast.Binary:
        """sum ADD_OP product -> binary | product MUL_OP unary -> binary"""
        return ast.Binary(str(children[1]), children[0], children[2], _span(meta))

    def neg(self, meta: _Meta, children: list[Any]) -> ast.Expression:
        """"-" unary -> neg"""
        operand = children[0]
        if isinstance(operand, ast.Number):
            return ast.Number(-operand.value, operand.unit, _span(meta))
        return ast.Unary("-", operand, _span(meta))

    def convert(self, meta: _Meta, children: list[Any]) -> ast.Conversion:
        """postfix "als" unit -> convert"""
        return ast.Conversion(children[0], children[1], _span(meta))

    def attribute(self, meta: _Meta, children: list[Any]) -> ast.Attribute:
        """postfix "." NAME -> attribute"""
        return ast.Attribute(children[0], str(children[1]), _span(meta))

    def member_number(self, meta: _Meta, children: list[Any]) -> ast.Attribute:
        """postfix "." NUMBER -> member_number (a numeric member of an aufzählung: ``Pflegegrad.0``)"""
        number = self._int(children[1], "Ein Aufzählungswert")
        return ast.Attribute(children[0], str(number), _span(meta))

    def lookup(self, meta: _Meta, children: list[Any]) -> ast.Lookup:
        """postfix "[" _expr_list "]" -> lookup"""
        return ast.Lookup(children[0], tuple(children[1:]), _span(meta))

    def call(self, meta: _Meta, children: list[Any]) -> ast.Call:
        """NAME "(" _args? ")" -> call"""
        return ast.Call(str(children[0]), tuple(children[1:]), None, _span(meta))

    def filtered_call(self, meta: _Meta, children: list[Any]) -> ast.Call:
        """NAME "(" expr "wo" expr ")" -> filtered_call"""
        return ast.Call(str(children[0]), (children[1],), children[2], _span(meta))

    # ---- paths ------------------------------------------------------------------------------

    def path(self, meta: _Meta, children: list[Any]) -> ast.Path:
        """path: NAME path_step*"""
        steps: list[str | int] = [str(children[0])]
        steps.extend(children[1:])
        return ast.Path(tuple(steps), _span(meta))

    def path_field(self, meta: _Meta, children: list[Token]) -> str:
        """"." NAME -> path_field"""
        return str(children[0])

    def path_index(self, meta: _Meta, children: list[Token]) -> int:
        """"[" NUMBER "]" -> path_index"""
        index = self._int(children[0], "Ein Listenindex")
        if index < 1:
            raise _BuildError("Listenindizes beginnen bei 1", _tspan(children[0]))
        return index

    # ---- header -----------------------------------------------------------------------------

    def header(self, meta: _Meta, children: list[Any]) -> ast.Header:
        """header: "modell" NAME STRING? _NL _header_line* "ende" _NL"""
        name, title, rest = _name_and_title(children)
        fields: dict[str, Any] = {}
        sources: list[str] = []
        for marker in rest:
            if marker.tag == "source":
                sources.append(marker.value)
            elif marker.tag == "budget" and "budget" in fields and "element_budget" not in fields:
                fields["element_budget"] = marker.value  # the checker tells which is the element's
            elif marker.tag in fields:
                raise _BuildError(f"„{marker.tag}“ steht im Modellkopf doppelt", marker.span,
                                  "jede Angabe steht einmal im Modellkopf; nur „quelle“ mehrfach, „budget“ "
                                  "zweimal (das des Falls und das eines Listenelements)")
            else:
                fields[marker.tag] = marker.value
                if marker.tag == "valid_to":
                    fields["valid_to_span"] = marker.span
        return ast.Header(name, title, _span(meta), sources=tuple(sources), **fields)


    version = _header_marker("version")
    title = _header_marker("long_title")
    valid_from = _header_marker("valid_from", "date")
    valid_to = _header_marker("valid_to", "date")
    source = _header_marker("source")
    family = _header_marker("family")
    reference_date = _header_marker("reference_date", "path")
    description = _header_marker("description")
    predecessor = _header_marker("predecessor")
    extends = _header_marker("extends")
    budget = _header_marker("budget", "path")

    # ---- declarations ----------------------------------------------------------------------

    def key_number(self, meta: _Meta, children: list[Token]) -> int | Decimal:
        """NUMBER -> key_number (an enum member or table row key)"""
        value = self._number(children[0])
        return int(value) if value == value.to_integral_value() and "." not in str(children[0]) else value

    def key_name(self, meta: _Meta, children: list[Token]) -> str:
        """NAME -> key_name"""
        return str(children[0])

    def key_string(self, meta: _Meta, children: list[Token]) -> str:
        """STRING -> key_string"""
        return _string(children[0])

    def enum_member(self, meta: _Meta, children: list[Any]) -> ast.EnumMember:
        """enum_member: member_key STRING? STRING? _NL"""
        key = children[0]
        texts = [_string(c) for c in children[1:]]
        label = texts[0] if texts else None
        description = texts[1] if len(texts) > 1 else None
        return ast.EnumMember(key, label, description, _span(meta))

    def enum_decl(self, meta: _Meta, children: list[Any]) -> ast.Enumeration:
        """enum_decl: "aufzählung" NAME STRING? _NL enum_member* "ende" _NL"""
        name, title, rest = _name_and_title(children)
        if not rest:
            raise _BuildError(f"Die Aufzählung „{name}“ hat kein Element; sie braucht mindestens eines",
                              _tspan(children[0]),
                              'schreibe je Element eine Zeile vor „ende“: SCHLÜSSEL "Bezeichnung", '
                              'z. B. 0 "kein Pflegegrad" oder qa "qualifizierte Assistenz"')
        return ast.Enumeration(name, title, tuple(rest), _span(meta))

    def default(self, meta: _Meta, children: list[Any]) -> _Marker:
        """default: "standard" literal"""
        return _Marker("default", children[0], _span(meta))

    def input_decl(self, meta: _Meta, children: list[Any]) -> ast.Input:
        """input_decl: "eingabe" NAME ":" type default? STRING? _NL"""
        name, type_ = str(children[0]), children[1]
        default = None
        doc = None
        for child in children[2:]:
            if isinstance(child, _Marker):
                default = child.value
            else:
                doc = _string(child)
        return ast.Input(name, type_, default, doc, _span(meta))

    def range(self, meta: _Meta, children: list[Any]) -> _Marker:
        """range: "von" number_literal "bis" number_literal"""
        return _Marker("range", (children[0], children[1]), _span(meta))

    def _numeric_type(self, kind: str, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        unit = None
        low = high = None
        for child in children:
            if isinstance(child, ast.UnitText):
                unit = child
            elif isinstance(child, _Marker):
                low, high = child.value
        return ast.TypeSpec(kind, _span(meta), unit=unit, low=low, high=high)

    def t_decimal(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"zahl" unit? range? -> t_decimal"""
        return self._numeric_type("zahl", meta, children)

    def t_integer(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"ganzzahl" unit? range? -> t_integer"""
        return self._numeric_type("ganzzahl", meta, children)

    def t_choice(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"auswahl" "{" _literals "}" unit? -> t_choice"""
        unit = children[-1] if isinstance(children[-1], ast.UnitText) else None
        values = [c for c in children if not isinstance(c, ast.UnitText)]
        for value in values:
            if not isinstance(value, ast.Number):
                raise _BuildError("Eine Auswahl besteht aus Zahlen", _span(meta))
        return ast.TypeSpec("auswahl", _span(meta), unit=unit, choices=tuple(values))

    def t_bool(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"ja_nein" -> t_bool"""
        return ast.TypeSpec("ja_nein", _span(meta))

    def t_date(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"datum" -> t_date"""
        return ast.TypeSpec("datum", _span(meta))

    def t_text(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"text" -> t_text"""
        return ast.TypeSpec("text", _span(meta))

    def t_key(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"schlüssel" -> t_key"""
        return ast.TypeSpec("schlüssel", _span(meta))

    def t_level(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"stufe" ("von" NAME)? -> t_level"""
        return ast.TypeSpec("stufe", _span(meta), name=str(children[0]) if children else None)

    def t_named(self, meta: _Meta, children: list[Token]) -> ast.TypeSpec:
        """NAME -> t_named (an aufzählung, or a unit written alone)"""
        return ast.TypeSpec("name", _span(meta), name=str(children[0]))

    def t_unit_only(self, meta: _Meta, children: list[Token]) -> ast.TypeSpec:
        """COMPOUND_UNIT -> t_unit_only"""
        return ast.TypeSpec("zahl", _span(meta), unit=ast.UnitText(str(children[0]), _tspan(children[0])))

    def t_percent(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"%" -> t_percent"""
        return ast.TypeSpec("zahl", _span(meta), unit=ast.UnitText("%", _span(meta)))

    def t_euro(self, meta: _Meta, children: list[Any]) -> ast.TypeSpec:
        """"€" -> t_euro (the sign alone, as EUR written alone)"""
        return ast.TypeSpec("zahl", _span(meta), unit=ast.UnitText("€", _span(meta)))

    def list_min(self, meta: _Meta, children: list[Token]) -> _Marker:
        """"mindestens" NUMBER -> list_min"""
        return _Marker("min", self._int(children[0], "mindestens"), _span(meta))

    def list_max(self, meta: _Meta, children: list[Token]) -> _Marker:
        """"höchstens" NUMBER -> list_max"""
        return _Marker("max", self._int(children[0], "höchstens"), _span(meta))

    def list_decl(self, meta: _Meta, children: list[Any]) -> ast.ListDecl:
        """list_decl: "liste" NAME STRING? list_bound* _NL _item* "ende" _NL"""
        name = str(children[0])
        title = None
        bounds: dict[str, int] = {}
        items = []
        for child in children[1:]:
            if isinstance(child, Token):
                title = _string(child)
            elif isinstance(child, _Marker):
                bounds[child.tag] = child.value
            else:
                items.append(child)
        return ast.ListDecl(name, title, bounds.get("min"), bounds.get("max"), tuple(items), _span(meta))

    def assumption(self, meta: _Meta, children: list[Token]) -> _Marker:
        """assumption: "annahme" STRING"""
        return _Marker("annahme", _string(children[0]), _span(meta))

    def source_note(self, meta: _Meta, children: list[Token]) -> _Marker:
        """source_note: "quelle" STRING"""
        return _Marker("quelle", _string(children[0]), _span(meta))

    @staticmethod
    def _doc_and_notes(children: list[Any]) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
        doc = None
        notes: dict[str, list[str]] = {"annahme": [], "quelle": []}
        for child in children:
            if isinstance(child, _Marker):
                notes[child.tag].append(child.value)
            elif isinstance(child, Token):
                doc = _string(child)
        return doc, tuple(notes["annahme"]), tuple(notes["quelle"])

    def param_decl(self, meta: _Meta, children: list[Any]) -> ast.Parameter:
        """param_decl: "parameter" NAME ":" type "=" literal STRING? _annotation* _NL param_period*"""
        periods = tuple(c for c in children[3:] if isinstance(c, ast.ParameterPeriod))
        doc, assumptions, sources = self._doc_and_notes(children[3:])
        return ast.Parameter(
            str(children[0]), children[1], children[2], doc, assumptions, sources, _span(meta), periods
        )

    def _date_token(self, token: Token) -> _dt.date:
        day, month, year = (int(p) for p in str(token).split("."))
        try:
            return _dt.date(year, month, day)
        except ValueError:
            raise _BuildError(
                f"„{token}“ ist kein gültiges Datum", _tspan(token), "Datumsangaben als TT.MM.JJJJ"
            ) from None

    def param_period(self, meta: _Meta, children: list[Any]) -> ast.ParameterPeriod:
        """param_period: "ab" DATE "=" literal period_end? _annotation* _NL"""
        valid_to = next((c.value for c in children[2:] if isinstance(c, _Marker) and c.tag == "bis"), None)
        notes = [c for c in children[2:] if not (isinstance(c, _Marker) and c.tag == "bis")]
        _, assumptions, sources = self._doc_and_notes(notes)
        return ast.ParameterPeriod(
            self._date_token(children[0]), children[1], valid_to, assumptions, sources, _span(meta)
        )

    def period_end(self, meta: _Meta, children: list[Token]) -> _Marker:
        """period_end: "bis" DATE"""
        return _Marker("bis", self._date_token(children[0]), _span(meta))

    def param_override(self, meta: _Meta, children: list[Any]) -> ast.ParameterOverride:
        """param_override: "parameter" path "=" literal STRING? _annotation* _NL param_period*"""
        periods = tuple(c for c in children[2:] if isinstance(c, ast.ParameterPeriod))
        doc, assumptions, sources = self._doc_and_notes(children[2:])
        return ast.ParameterOverride(children[0], children[1], doc, assumptions, sources, _span(meta), periods)

    def table_override(self, meta: _Meta, children: list[Any]) -> ast.TableOverride:
        """table_override: "tabelle" path _NL table_row* "ende" _NL"""
        return ast.TableOverride(children[0], tuple(children[1:]), _span(meta))

    def table_flag(self, meta: _Meta, children: list[Any]) -> _Marker:
        """table_flag: "teilweise" """
        return _Marker("teilweise", True, _span(meta))

    def table_row(self, meta: _Meta, children: list[Any]) -> ast.TableRow:
        """table_row: table_key ("," table_key)* ":" literal STRING? _annotation* _NL"""
        keys = []
        index = 0
        while index < len(children) and not isinstance(children[index], ast.Expression.__args__):
            keys.append(children[index])
            index += 1
        value = children[index]
        doc, assumptions, _ = self._doc_and_notes(children[index + 1 :])
        return ast.TableRow(tuple(keys), value, doc, assumptions, _span(meta))

    def table_decl(self, meta: _Meta, children: list[Any]) -> ast.Table:
        """table_decl: "tabelle" NAME STRING? ":" _table_keys ARROW type table_flag? _annotation* _NL
        table_row* "ende" _NL"""
        name, title, rest = _name_and_title(children)
        arrow = next(i for i, c in enumerate(rest) if isinstance(c, Token) and c.type == "ARROW")
        key_types = tuple(rest[:arrow])
        value_type = rest[arrow + 1]
        partial = False
        rows = []
        notes = []
        for child in rest[arrow + 2 :]:
            if isinstance(child, ast.TableRow):
                rows.append(child)
            elif isinstance(child, _Marker) and child.tag == "teilweise":
                partial = True
            else:
                notes.append(child)
        _, assumptions, sources = self._doc_and_notes(notes)
        return ast.Table(name, title, key_types, value_type, partial, tuple(rows), assumptions, sources, _span(meta))

    def value_decl(self, meta: _Meta, children: list[Any]) -> ast.Value:
        """value_decl: "wert" NAME (":" type)? "=" expr STRING? _annotation* _NL"""
        name = str(children[0])
        rest = children[1:]
        type_ = None
        if isinstance(rest[0], ast.TypeSpec):
            type_, rest = rest[0], rest[1:]
        expr = rest[0]
        doc, assumptions, _ = self._doc_and_notes(rest[1:])
        return ast.Value(name, type_, expr, doc, assumptions, _span(meta))

    def check_error(self, meta: _Meta, children: list[Any]) -> ast.Check:
        """"prüfung" STRING ":" expr _NL -> check_error"""
        label, message = _message(children[0])
        return ast.Check("fehler", label, message, children[1], _span(meta))

    def check_warning(self, meta: _Meta, children: list[Any]) -> ast.Check:
        """"warnung" STRING ":" expr _NL -> check_warning"""
        label, message = _message(children[0])
        return ast.Check("warnung", label, message, children[1], _span(meta))

    def property_holds(self, meta: _Meta, children: list[Any]) -> ast.Property:
        """"eigenschaft" STRING ":" expr _NL -> property_holds"""
        return ast.Property(_string(children[0]), _span(meta), expr=children[1])

    def property_rising(self, meta: _Meta, children: list[Any]) -> ast.Property:
        """"eigenschaft" STRING ":" "steigend" path "mit" path _NL -> property_rising"""
        return ast.Property(_string(children[0]), _span(meta), direction="steigend", target=children[1], by=children[2])

    def property_falling(self, meta: _Meta, children: list[Any]) -> ast.Property:
        """"eigenschaft" STRING ":" "fallend" path "mit" path _NL -> property_falling"""
        return ast.Property(_string(children[0]), _span(meta), direction="fallend", target=children[1], by=children[2])

    # ---- packages ----------------------------------------------------------------------------

    def package_decl(self, meta: _Meta, children: list[Any]) -> ast.Package:
        """package_decl: "paket" NAME STRING? _NL _package_item* "ende" _NL"""
        name, title, rest = _name_and_title(children)
        return ast.Package(name, title, tuple(rest), _span(meta))

    def level(self, meta: _Meta, children: list[Any]) -> ast.Level:
        """level: NUMBER STRING STRING? _NL"""
        number = self._int(children[0], "Eine Stufe")
        criteria = _string(children[2]) if len(children) > 2 else None
        return ast.Level(number, _string(children[1]), criteria, _span(meta))

    def levels(self, meta: _Meta, children: list[Any]) -> ast.Levels:
        """levels: "stufen" _NL level+ "ende" _NL"""
        return ast.Levels(tuple(children), _span(meta))

    def level_by_expr(self, meta: _Meta, children: list[Any]) -> ast.LevelRule:
        """"stufe" "=" expr _NL -> level_by_expr"""
        return ast.LevelRule("ausdruck", _span(meta), expr=children[0])

    def level_by_assessment(self, meta: _Meta, children: list[Any]) -> ast.LevelRule:
        """"stufe" "nach" "einschätzung" _NL -> level_by_assessment"""
        return ast.LevelRule("einschätzung", _span(meta))

    def level_by_corridor(self, meta: _Meta, children: list[Any]) -> ast.LevelRule:
        """"stufe" "nach" "korridor" expr _NL band+ "ende" _NL -> level_by_corridor"""
        return ast.LevelRule("korridor", _span(meta), expr=children[0], bands=tuple(children[1:]))

    def band(self, meta: _Meta, children: list[Any]) -> ast.Band:
        """band: NUMBER ":" lower? upper? _NL"""
        level = self._int(children[0], "Eine Stufe")
        lower = upper = None
        lower_incl = upper_incl = True
        for child in children[1:]:
            if child.tag == "ab":
                lower, lower_incl = child.value, True
            elif child.tag == "über":
                lower, lower_incl = child.value, False
            elif child.tag == "bis":
                upper, upper_incl = child.value, True
            else:
                upper, upper_incl = child.value, False
        return ast.Band(level, lower, lower_incl, upper, upper_incl, _span(meta))

    def lower_incl(self, meta: _Meta, children: list[Any]) -> _Marker:
        """"ab" expr -> lower_incl"""
        return _Marker("ab", children[0], _span(meta))

    def lower_excl(self, meta: _Meta, children: list[Any]) -> _Marker:
        """"über" expr -> lower_excl"""
        return _Marker("über", children[0], _span(meta))

    def upper_incl(self, meta: _Meta, children: list[Any]) -> _Marker:
        """"bis" expr -> upper_incl"""
        return _Marker("bis", children[0], _span(meta))

    def upper_excl(self, meta: _Meta, children: list[Any]) -> _Marker:
        """"unter" expr -> upper_excl"""
        return _Marker("unter", children[0], _span(meta))

    # ---- examples -------------------------------------------------------------------------------

    def assignment(self, meta: _Meta, children: list[Any]) -> ast.Assignment:
        """assignment: path "=" literal _NL"""
        return ast.Assignment(children[0], children[1], _span(meta))

    def template_decl(self, meta: _Meta, children: list[Any]) -> ast.Template:
        """template_decl: "vorlage" NAME _NL assignment* "ende" _NL"""
        return ast.Template(str(children[0]), tuple(children[1:]), _span(meta))

    def example_base(self, meta: _Meta, children: list[Token]) -> _Marker:
        """example_base: "basis" NAME _NL"""
        return _Marker("basis", str(children[0]), _span(meta))

    def example_input(self, meta: _Meta, children: list[Any]) -> _Marker:
        """example_input: "eingabe" path "=" literal _NL"""
        return _Marker("eingabe", ast.Assignment(children[0], children[1], _span(meta)), _span(meta))

    def example_expect(self, meta: _Meta, children: list[Any]) -> _Marker:
        """example_expect: "erwartet" path "=" literal _NL"""
        return _Marker("erwartet", ast.Assignment(children[0], children[1], _span(meta)), _span(meta))

    def example_error(self, meta: _Meta, children: list[Token]) -> _Marker:
        """example_error: "erwartet" "fehler" STRING _NL"""
        return _Marker("fehler", _string(children[0]), _span(meta))

    def example_agreement(self, meta: _Meta, children: list[Any]) -> _Marker:
        """example_agreement: "vereinbarung" path "=" literal _NL"""
        return _Marker("vereinbarung", ast.Assignment(children[0], children[1], _span(meta)), _span(meta))

    def example_decl(self, meta: _Meta, children: list[Any]) -> ast.Example:
        """example_decl: "beispiel" STRING STRING? _NL _example_item* "ende" _NL"""
        ident, title, rest = _name_and_title(children)
        ident = _string(children[0])
        parts: dict[str, list[Any]] = {
            "basis": [], "eingabe": [], "erwartet": [], "fehler": [], "vereinbarung": [], "stichtag": []
        }
        for marker in rest:
            parts[marker.tag].append(marker.value)
        if len(parts["basis"]) > 1:
            raise _BuildError("Ein Beispiel hat höchstens eine Basis", _span(meta))
        if len(parts["stichtag"]) > 1:
            raise _BuildError("Ein Beispiel hat höchstens einen Stichtag", _span(meta))
        return ast.Example(
            ident,
            title,
            parts["basis"][0] if parts["basis"] else None,
            tuple(parts["eingabe"]),
            tuple(parts["erwartet"]),
            tuple(parts["fehler"]),
            tuple(parts["vereinbarung"]),
            _span(meta),
            parts["stichtag"][0] if parts["stichtag"] else None,
        )

    def example_at(self, meta: _Meta, children: list[Token]) -> _Marker:
        """example_at: "stichtag" DATE _NL"""
        return _Marker("stichtag", self.date(meta, children).value, _span(meta))

    # ---- the file ----------------------------------------------------------------------------------

    def start(self, meta: _Meta, children: list[Any]) -> tuple[ast.Header, tuple[ast.Declaration, ...]]:
        """start: _NL? header _item*"""
        return children[0], tuple(children[1:])


def build_module(tree: lark.Tree[Token], filename: str, text: str) -> ast.Module:
    """Turn a parse tree into an :class:`ast.Module`."""
    try:
        header, items = AstBuilder().transform(tree)
    except lark.exceptions.VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, _BuildError):
            lines = source_lines(text)  # as the lexer counts lines
            span = inner.span
            source_line = lines[span.line - 1] if 0 < span.line <= len(lines) else None
            raise RuleSyntaxError(
                Diagnostic(
                    inner.message,
                    Location(filename, span.line, span.column, span.end_line, span.end_column),
                    hint=inner.hint,
                    source_line=source_line,
                    code=inner.code,
                )
            ) from None
        raise
    return ast.Module(header, items, filename)


def parse_module(text: str, filename: str = "<eingabe>", span_file: str | None = None) -> ast.Module:
    """Source text → AST (raises :class:`RuleSyntaxError`).

    Text that parses takes the fast path of :mod:`teilhabe_rules.syntax._fastpath`; anything else the
    lark parser and :class:`AstBuilder`, whose errors are the ones reported. A limit of
    :mod:`teilhabe_rules.limits` passed (file size, word length, nesting, …) is reported where it
    is passed, without parsing further. With ``span_file`` every span names that file (a base
    model whose declarations a variant takes over)."""
    reset = _SPAN_FILE.set(span_file)
    try:
        full = text if text.endswith("\n") else text + "\n"
        try:
            check_rule_text(full)
            fast = _parse_fast(full, "start", span_file)
        except LimitExceeded as exc:
            raise limit_error(exc, full, filename) from None
        except Fallback as fallback:
            fast = None
            if fallback.syntax:  # lark's parser alone finds the error: resumed where the fast
                # path stopped, else over the whole text without building a tree
                error = None
                if fallback.states is not None:
                    error = syntax_error_at(full, fallback.states, fallback.offset, filename,
                                            token=fallback.token)
                if error is None:
                    error = find_syntax_error(text, filename)
                if error is not None:
                    raise error from None
        if fast is not None:
            header, items = fast
            return ast.Module(header, items, filename)
        try:
            return build_module(parse_text(text, filename), filename, text)
        except RecursionError:  # the transformer recurses; the depth limit leaves it ample room
            raise limit_error(_too_deep_for_the_stack(), full, filename) from None
    finally:
        _SPAN_FILE.reset(reset)


def _too_deep_for_the_stack() -> LimitExceeded:
    """The error where the caller's own stack leaves too little room for the tree's depth."""
    return LimitExceeded("Zu tief verschachtelt für den verfügbaren Stapelspeicher",
                         "teile den Ausdruck mit „wert“-Zeilen in Zwischenwerte auf", 0, 1, 1)


@functools.lru_cache(maxsize=1)
def fast_parser() -> FastParser:
    """The fast path (:mod:`teilhabe_rules.syntax._fastpath`) over the parser of
    :func:`~teilhabe_rules.syntax.parser.make_parser` and :class:`AstBuilder`, once per process."""
    return FastParser(make_parser(), AstBuilder(), _BuildError)


def _parse_fast(text: str, start: str, span_file: str | None = None) -> Any:
    """What the fast path builds for ``text`` (raises :class:`~teilhabe_rules.syntax._fastpath.Fallback`
    where it steps aside)."""
    return fast_parser().parse(text, start=start, span_file=span_file)


def parse_expression(text: str, filename: str = "<ausdruck>") -> ast.Expression:
    """One expression (as used inside ``{…}`` of a check message) → AST."""
    try:
        fast: ast.Expression | None = _parse_fast(text, "expr")
    except LimitExceeded as exc:
        raise limit_error(exc, text, filename) from None
    except Fallback:
        fast = None
    if fast is not None:
        return fast
    tree = parse_text(text, filename, start="expr")
    module_like = build_expression(tree, filename, text)
    return module_like


def build_expression(tree: lark.Tree[Token], filename: str, text: str) -> ast.Expression:
    try:
        result: ast.Expression = AstBuilder().transform(tree)
    except lark.exceptions.VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, _BuildError):
            span = inner.span
            lines = text.split("\n")
            raise RuleSyntaxError(
                Diagnostic(
                    inner.message,
                    Location(filename, span.line, span.column, span.end_line, span.end_column),
                    hint=inner.hint,
                    source_line=lines[span.line - 1] if 0 < span.line <= len(lines) else None,
                    code=inner.code,
                )
            ) from None
        raise
    return result
