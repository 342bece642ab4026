"""The abstract syntax tree of a rule file.

Takes: nothing — these are the node classes; :mod:`teilhabe_rules.syntax.builder` makes them from the
parse tree. Gives: frozen, hashable attrs classes named after domain nouns. Every node carries a
:class:`Span`; collections are tuples. Nothing here evaluates anything.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import TypeAlias

from attrs import frozen

from ..span import NO_SPAN as NO_SPAN  # re-exported: the AST's nodes carry spans
from ..span import Span as Span

# --------------------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------------------


@frozen
class UnitText:
    """A unit as written (``EUR/h``)."""

    text: str
    span: Span


@frozen
class Number:
    """A number literal, optionally with a unit: ``15 min/Tag``."""

    value: Decimal
    unit: UnitText | None
    span: Span


@frozen
class KeyLiteral:
    """A staff key ``1:x``; ``divisor`` is x."""

    divisor: Decimal
    span: Span


@frozen
class Text:
    value: str
    span: Span


@frozen
class DateLiteral:
    value: _dt.date
    span: Span


@frozen
class Truth:
    value: bool
    span: Span


@frozen
class Name:
    """A bare identifier."""

    name: str
    span: Span


@frozen
class Attribute:
    """``obj.name`` — a package member, a list's values, an enum member."""

    obj: Expression
    name: str
    span: Span


@frozen
class Lookup:
    """``tabelle[k1, k2]``."""

    table: Expression
    keys: tuple[Expression, ...]
    span: Span


@frozen
class Call:
    """``f(a, b)`` or an aggregate with a filter: ``summe(l.x wo bed)``."""

    function: str
    args: tuple[Expression, ...]
    where: Expression | None
    span: Span


@frozen
class Unary:
    op: str  # "-" or "nicht"
    operand: Expression
    span: Span


@frozen
class Binary:
    """Arithmetic (``+ - * /``), logic (``und``, ``oder``) and comparison operators."""

    op: str
    left: Expression
    right: Expression
    span: Span


@frozen
class Conditional:
    test: Expression
    then: Expression
    otherwise: Expression
    span: Span


@frozen
class Conversion:
    """``x als EINHEIT``."""

    operand: Expression
    unit: UnitText
    span: Span


@frozen
class ListLiteral:
    items: tuple[Expression, ...]
    span: Span


@frozen
class RecordLiteral:
    fields: tuple[tuple[str, Expression], ...]
    span: Span


Expression: TypeAlias = (
    Number
    | KeyLiteral
    | Text
    | DateLiteral
    | Truth
    | Name
    | Attribute
    | Lookup
    | Call
    | Unary
    | Binary
    | Conditional
    | Conversion
    | ListLiteral
    | RecordLiteral
)


# --------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------


@frozen
class TypeSpec:
    """A declared type. ``kind`` is one of: zahl, ganzzahl, auswahl, ja_nein, datum, text,
    schlüssel, stufe, name (an aufzählung or a bare unit), einheit (a unit alone)."""

    kind: str
    span: Span
    unit: UnitText | None = None
    low: Number | None = None
    high: Number | None = None
    choices: tuple[Number, ...] = ()
    name: str | None = None


@frozen
class Path:
    """A data path: ``bewohner[1].lp2a.stufe``; indexes are 1-based."""

    steps: tuple[str | int, ...]
    span: Span

    def __str__(self) -> str:
        out = ""
        for step in self.steps:
            out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
        return out


@frozen
class Header:
    name: str
    title: str | None
    span: Span
    version: str | None = None
    long_title: str | None = None
    valid_from: _dt.date | None = None
    valid_to: _dt.date | None = None
    sources: tuple[str, ...] = ()
    family: str | None = None
    reference_date: Path | None = None
    description: str | None = None
    predecessor: str | None = None
    extends: str | None = None  # erweitert "…": the base model of a variant
    budget: Path | None = None  # budget PFAD: the value that is a case's total budget
    # a second „budget LISTE.WERT“: a list element's own budget (the figure of a case that holds one element)
    element_budget: Path | None = None
    valid_to_span: Span | None = None  # where „gültig bis“ is written


@frozen
class EnumMember:
    key: int | str | Decimal  # as written; the checker refuses a non-integral number
    label: str | None
    description: str | None
    span: Span


@frozen
class Enumeration:
    name: str
    title: str | None
    members: tuple[EnumMember, ...]
    span: Span


@frozen
class Input:
    name: str
    type: TypeSpec
    default: Expression | None
    doc: str | None
    span: Span


@frozen
class ParameterPeriod:
    """A later value of a parameter: ``ab 01.01.2025 = 70.10 [bis 31.12.2026]``."""

    valid_from: _dt.date
    value: Expression
    valid_to: _dt.date | None
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    span: Span


@frozen
class Parameter:
    name: str
    type: TypeSpec
    value: Expression
    doc: str | None
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    span: Span
    periods: tuple[ParameterPeriod, ...] = ()


@frozen
class ParameterOverride:
    """In a variant: ``parameter PFAD = WERT`` — a new value of a parameter of the base model."""

    path: Path
    value: Expression
    doc: str | None
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    span: Span
    periods: tuple[ParameterPeriod, ...] = ()


@frozen
class TableOverride:
    """In a variant: ``tabelle PFAD`` with rows — new or changed rows of a table of the base."""

    path: Path
    rows: tuple[TableRow, ...]
    span: Span


@frozen
class TableRow:
    keys: tuple[int | str | Decimal, ...]
    value: Expression
    doc: str | None
    assumptions: tuple[str, ...]
    span: Span


@frozen
class Table:
    name: str
    title: str | None
    key_types: tuple[TypeSpec, ...]
    value_type: TypeSpec
    partial: bool
    rows: tuple[TableRow, ...]
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    span: Span


@frozen
class Value:
    name: str
    type: TypeSpec | None
    expr: Expression
    doc: str | None
    assumptions: tuple[str, ...]
    span: Span


MessagePart: TypeAlias = str | Expression
"""A part of a check's message: text as written, or the expression of a ``{…}``."""


@frozen
class Check:
    """``prüfung "Meldung": bedingung`` (or ``warnung``). ``label``: the message as written
    (escapes decoded); ``message``: its parts in order — the text between the ``{…}`` (``{{`` and
    ``}}`` read as single braces, no empty text) and the expression inside each, spanning its text
    inside the string literal."""

    severity: str  # "fehler" (prüfung) or "warnung"
    label: str
    message: tuple[MessagePart, ...]
    condition: Expression
    span: Span


@frozen
class Level:
    number: int
    label: str
    criteria: str | None
    span: Span


@frozen
class Levels:
    levels: tuple[Level, ...]
    span: Span


@frozen
class Band:
    """One band of a corridor: the level and its bounds (None = open)."""

    level: int
    lower: Expression | None
    lower_inclusive: bool
    upper: Expression | None
    upper_inclusive: bool
    span: Span


@frozen
class LevelRule:
    """How a package's level is found: ``korridor``, ``ausdruck`` or ``einschätzung``."""

    kind: str
    span: Span
    expr: Expression | None = None
    bands: tuple[Band, ...] = ()


@frozen
class Property:
    """``eigenschaft``: a condition (``expr``) or a monotonicity (``direction`` of ``target``
    in ``by``)."""

    title: str
    span: Span
    expr: Expression | None = None
    direction: str | None = None
    target: Path | None = None
    by: Path | None = None


@frozen
class Assignment:
    path: Path
    value: Expression
    span: Span


@frozen
class Template:
    name: str
    assignments: tuple[Assignment, ...]
    span: Span


@frozen
class Example:
    id: str
    title: str | None
    base: str | None
    inputs: tuple[Assignment, ...]
    expectations: tuple[Assignment, ...]
    expected_errors: tuple[str, ...]
    agreement: tuple[Assignment, ...]
    span: Span
    at: _dt.date | None = None  # the evaluation date (``stichtag TT.MM.JJJJ``)


@frozen
class ListDecl:
    name: str
    title: str | None
    min_count: int | None
    max_count: int | None
    items: tuple[Declaration, ...]
    span: Span


@frozen
class Package:
    name: str
    title: str | None
    items: tuple[Declaration, ...]
    span: Span


Declaration: TypeAlias = (
    Enumeration
    | Input
    | ListDecl
    | Parameter
    | Table
    | Value
    | Package
    | Check
    | Example
    | Template
    | Property
    | Levels
    | LevelRule
    | ParameterOverride
    | TableOverride
)


@frozen
class Module:
    """A whole rule file. A variant merged with its base (:mod:`teilhabe_rules.check.variants`) also
    holds the texts of the base files, by name, for the spans that name them."""

    header: Header
    items: tuple[Declaration, ...]
    file: str
    sources: tuple[tuple[str, str], ...] = ()
