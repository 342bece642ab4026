"""The checked model: a plain, immutable description that backends consume.

Takes: nothing — these are data classes; :mod:`teilhabe_rules.check.checker` builds them from the AST.
Gives: :class:`CheckedModel` — scopes (the model and its lists), typed inputs, parameters, tables,
packages with their level rules, and the computation nodes in a dependency order, each holding a
resolved, unit-checked expression (:data:`Expr`). Names are resolved to symbol ids, units to
:class:`~teilhabe_rules.units.Unit`, conversions to exact factors. No parse tree and no AST
expression is reachable from here (spans are kept for explanations), so a second backend — a
columnar batch evaluator, say — can consume this module alone.

Runtime values: numbers are :class:`decimal.Decimal`; members of an aufzählung are ``int`` or
``str``; levels are ``int``; truth values ``bool``; dates :class:`datetime.date`; staff keys are
the divisor ``x`` of ``1:x`` as ``Decimal``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import functools
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar, TypeAlias

import attrs
from attrs import frozen

from ..records import Record
from ..span import Span, source_lines
from ..units import DIMENSIONLESS, Unit

# The arithmetic of every backend and of the toolkit's constant evaluator: 28 significant
# digits; an invalid operation, a division by zero and an overflow are errors, never NaN or
# infinity. Rounding happens only where a model says ``runde(…)``.
DECIMAL_CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

# A decision at a boundary (``runtime.semantics.exact_decisions``) takes a value within SNAP of
# the boundary, on the exact value, to be on it (the value domains narrow by it too).
SNAP = Decimal("1e-60")

# The rounding modes of ``runde(…)``: ``kaufmännisch`` rounds half up (away from zero), ``abrunden``
# toward zero, ``aufrunden`` away from zero — each a non-decreasing function of the value.
ROUNDING_MODES: Mapping[str, str] = {
    "kaufmännisch": decimal.ROUND_HALF_UP, "abrunden": decimal.ROUND_DOWN, "aufrunden": decimal.ROUND_UP,
}


# --------------------------------------------------------------------------------------
# Kinds
# --------------------------------------------------------------------------------------


class _Kind(str, enum.Enum):
    """A kind named by its German word: the member is equal to (and hashes as) its word, and
    ``str()`` and ``format()`` give the word, as on every Python version from 3.10 on."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class TypeKind(_Kind):
    """The kind of a :class:`ValueType`."""

    ZAHL = "zahl"
    JA_NEIN = "ja_nein"
    DATUM = "datum"
    TEXT = "text"
    SCHLUESSEL = "schlüssel"
    ENUM = "enum"
    LISTE = "liste"
    MODUS = "modus"


class RefKind(_Kind):
    """What a :class:`Ref` refers to."""

    EINGABE = "eingabe"
    PARAMETER = "parameter"
    WERT = "wert"


class NodeKind(_Kind):
    """The kind of a computation step (:data:`Node`)."""

    WERT = "wert"
    STUFE = "stufe"
    BEWILLIGT = "bewilligt"
    PRUEFUNG = "prüfung"
    WARNUNG = "warnung"


# --------------------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------------------


@frozen(repr=False)
class Member(Record):
    key: int | str
    label: str | None = None
    description: str | None = None


@frozen(repr=False)
class EnumType(Record):
    """An aufzählung (or a package's levels, ``is_levels=True``)."""

    name: str
    title: str | None
    members: tuple[Member, ...]
    is_levels: bool = False

    def keys(self) -> tuple[int | str, ...]:
        return tuple(m.key for m in self.members)

    def member(self, key: Any) -> Member | None:
        for m in self.members:
            if m.key == key and type(m.key) is type(key) or (
                isinstance(m.key, int) and not isinstance(key, (str, bool)) and m.key == key
            ):
                return m
        return None

    @property
    def numeric(self) -> bool:
        return all(isinstance(m.key, int) for m in self.members)


@frozen(repr=False)
class ValueType(Record):
    """The type of an input, parameter, table cell or value.

    ``kind``: ``zahl`` (numbers; ``integer`` for whole numbers), ``ja_nein``, ``datum``,
    ``text``, ``schlüssel``, ``enum`` (``enum`` set; levels too), ``liste`` (``element`` is the
    type of the values, ``scope`` the list's scope id), ``modus`` (a rounding mode name).
    """

    kind: TypeKind
    unit: Unit = DIMENSIONLESS
    integer: bool = False
    low: Decimal | None = None
    high: Decimal | None = None
    choices: tuple[Decimal, ...] | None = None
    enum: EnumType | None = None
    element: ValueType | None = None
    scope: str | None = None

    def describe(self) -> str:
        """German description for messages (``Zahl in min/Tag``)."""
        if self.kind is TypeKind.ZAHL:
            base = "ganze Zahl" if self.integer else "Zahl"
            if self.choices is not None:
                base = "Auswahl {" + ", ".join(str(c) for c in self.choices) + "}"
            unit = f" in {self.unit}" if str(self.unit) else ""
            return base + unit
        if self.kind is TypeKind.ENUM and self.enum is not None:
            return self.enum.name  # (a package's levels are named „Stufe von lp2a“ already)
        if self.kind is TypeKind.LISTE and self.element is not None:
            return f"Liste von {self.element.describe()}"
        return _TYPE_WORDS.get(self.kind, str(self.kind))


_TYPE_WORDS: dict[TypeKind, str] = {
    TypeKind.JA_NEIN: "ja/nein",
    TypeKind.DATUM: "Datum",
    TypeKind.TEXT: "Text",
    TypeKind.SCHLUESSEL: "Schlüssel 1:x",
    TypeKind.MODUS: "Rundungsart",
}

NUMBER = ValueType(TypeKind.ZAHL)
BOOL = ValueType(TypeKind.JA_NEIN)
DATE = ValueType(TypeKind.DATUM)
TEXT = ValueType(TypeKind.TEXT)
KEY = ValueType(TypeKind.SCHLUESSEL)


# --------------------------------------------------------------------------------------
# Resolved expressions
# --------------------------------------------------------------------------------------


@frozen(repr=False)
class Const(Record):
    value: Any
    type: ValueType
    span: Span


@frozen(repr=False)
class Ref(Record):
    """A reference to an input, parameter or value. ``key`` is the row key of the symbol in its
    scope (``lp2a.summe``); ``scope`` the id of the scope that holds it; ``kind`` is
    ``eingabe``, ``parameter`` or ``wert``."""

    symbol: str
    key: str
    scope: str
    kind: RefKind
    type: ValueType
    span: Span


@frozen(repr=False)
class Position(Record):
    """The 1-based position of the current element of list scope ``scope``."""

    scope: str
    type: ValueType
    span: Span


@frozen(repr=False)
class Previous(Record):
    """``vorher.x``: the value ``ref`` in the previous element of ``ref.scope``."""

    ref: Ref
    type: ValueType
    span: Span


@frozen(repr=False)
class Granted(Record):
    """``PAKET.bewilligt``: whether the case grants the level of a package, i.e. gives ``ref``, the
    package's ``bewilligte_stufe`` (an input that may be left out)."""

    ref: Ref
    type: ValueType
    span: Span


@frozen(repr=False)
class Unary(Record):
    op: str  # "-" or "nicht"
    operand: Expr
    type: ValueType
    span: Span


@frozen(repr=False)
class Arith(Record):
    """``+ - * /`` on numbers; ``+ -`` of a date and whole days."""

    op: str
    left: Expr
    right: Expr
    type: ValueType
    span: Span


@frozen(repr=False)
class KeyApply(Record):
    """A staff key times a count: ``count / divisor`` VK."""

    key: Expr
    count: Expr
    type: ValueType
    span: Span


@frozen(repr=False)
class Compare(Record):
    op: str  # = <> < <= > >=
    left: Expr
    right: Expr
    type: ValueType
    span: Span


@frozen(repr=False)
class Logic(Record):
    op: str  # "und" / "oder"
    left: Expr
    right: Expr
    type: ValueType
    span: Span


@frozen(repr=False)
class Cond(Record):
    test: Expr
    then: Expr
    otherwise: Expr
    type: ValueType
    span: Span


@frozen(repr=False)
class Convert(Record):
    """Exact unit conversion: ``operand * factor`` (a :class:`Fraction`)."""

    operand: Expr
    factor: Fraction
    type: ValueType
    span: Span


@frozen(repr=False)
class Lookup(Record):
    table: str  # table id
    keys: tuple[Expr, ...]
    type: ValueType
    span: Span


@frozen(repr=False)
class Aggregate(Record):
    """``summe``/``anzahl``/``min``/``max``/``erstes``/``letztes`` over the elements of list
    scope ``scope``; ``value`` and ``where`` are expressions in the element's scope."""

    function: str
    scope: str
    value: Expr | None
    where: Expr | None
    type: ValueType
    span: Span


@frozen(repr=False)
class Func(Record):
    """A built-in function: min, max, runde, kalendertage, datum_plus, jahr, monat,
    tage_im_monat, stichtag (no arguments: the reference date of the evaluation)."""

    name: str
    args: tuple[Expr, ...]
    type: ValueType
    span: Span


Expr: TypeAlias = (
    Const | Ref | Position | Previous | Granted | Unary | Arith | KeyApply | Compare | Logic | Cond | Convert | Lookup
    | Aggregate | Func
)


# --------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------


@frozen(repr=False)
class InputSpec(Record):
    """An input of a scope. ``key`` is its row key (``lp2a.kap4`` for a package input);
    ``path`` the name in case data relative to the scope (``("lp2a", "kap4")``)."""

    id: str
    key: str
    path: tuple[str, ...]
    scope: str
    type: ValueType
    required: bool
    default: Any
    label: str | None
    span: Span


@frozen(repr=False)
class ParameterPeriodSpec(Record):
    """A later value of a parameter, valid from ``valid_from`` to ``valid_to`` (inclusive; None:
    until the next period starts, or open)."""

    valid_from: _dt.date
    valid_to: _dt.date | None
    value: Any
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    span: Span


@frozen(repr=False)
class ParameterSpec(Record):
    """A parameter. ``default`` is its value from the model's start; ``periods`` lists later
    values (``ab TT.MM.JJJJ = …``) in date order — empty for a parameter with one value."""

    id: str
    name: str
    type: ValueType
    default: Any
    doc: str | None
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    span: Span
    periods: tuple[ParameterPeriodSpec, ...] = ()

    def period_on(self, date: _dt.date) -> int | None:
        """The number of the period holding ``date`` (-1: before the first, the default value);
        None where the period that began last ended before ``date`` (no value is carried on)."""
        index = -1
        for number, period in enumerate(self.periods):
            if period.valid_from <= date:
                index = number
        end = self.periods[index].valid_to if index >= 0 else None
        return None if end is not None and date > end else index

    def value_on(self, date: _dt.date) -> Any:
        """The value on ``date``; None where the parameter has none (see :meth:`period_on`)."""
        index = self.period_on(date)
        if index is None:
            return None
        return self.default if index < 0 else self.periods[index].value


@frozen(repr=False)
class TableRowSpec(Record):
    keys: tuple[Any, ...]
    value: Any
    doc: str | None
    assumptions: tuple[str, ...]
    span: Span


@frozen(repr=False)
class TableSpec(Record):
    id: str
    name: str
    title: str | None
    key_types: tuple[ValueType, ...]
    value_type: ValueType
    partial: bool
    rows: tuple[TableRowSpec, ...]
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    span: Span

    def mapping(self) -> dict[Any, Any]:
        """Rows as a dict: a single key, or a tuple of keys for several key columns."""
        if len(self.key_types) == 1:
            return {row.keys[0]: row.value for row in self.rows}
        return {tuple(row.keys): row.value for row in self.rows}


@frozen(repr=False)
class BandSpec(Record):
    level: int
    lower: Expr | None
    lower_inclusive: bool
    upper: Expr | None
    upper_inclusive: bool
    span: Span


def band_contains(value: Any, lower: Any, lower_inclusive: bool, upper: Any, upper_inclusive: bool) -> bool:
    """Whether a corridor band holds ``value`` (its bounds evaluated): above ``lower`` (``ab``: or
    equal to it) and below ``upper`` (``bis``: or equal to it); None is an open side. The meaning
    of :class:`BandSpec`; every backend decides a corridor by exactly this comparison."""
    if lower is not None and not (value >= lower if lower_inclusive else value > lower):
        return False
    return upper is None or (value <= upper if upper_inclusive else value < upper)


@frozen(repr=False)
class LevelSpec(Record):
    number: int
    label: str
    criteria: str | None
    span: Span


@frozen(repr=False)
class PackageSpec(Record):
    """A package in ``scope``; ``rule`` is ``korridor``, ``ausdruck``, ``einschätzung`` or
    None (a package without levels)."""

    id: str
    name: str
    title: str | None
    scope: str
    levels: tuple[LevelSpec, ...]
    level_type: EnumType | None
    rule: str | None
    span: Span


@frozen(repr=False)
class NodeBase(Record):
    """What every computation step has, whatever its kind: where it lies (``scope``), its row key,
    its type, its span, texts for explanations and the symbol ids it reads directly (``deps``).
    Never a step itself: a step is one of the kinds of :data:`Node`."""

    id: str
    key: str
    scope: str
    type: ValueType
    span: Span
    label: str | None
    doc: str | None
    source: str | None  # the rule's source text
    deps: tuple[str, ...]  # symbol ids read directly


@frozen(repr=False)
class ValueNode(NodeBase):
    """A ``wert``: ``expr``, in a package (``package``) or not."""

    kind: ClassVar[NodeKind] = NodeKind.WERT
    expr: Expr
    package: str | None


@frozen(repr=False)
class ExpressionLevelNode(NodeBase):
    """The computed level of ``package`` by ``stufe = expr`` (``ausdruck``)."""

    kind: ClassVar[NodeKind] = NodeKind.STUFE
    expr: Expr
    package: str


@frozen(repr=False)
class CorridorLevelNode(NodeBase):
    """The computed level of ``package`` by a ``korridor``: the band of ``bands`` that holds ``subject``."""

    kind: ClassVar[NodeKind] = NodeKind.STUFE
    subject: Expr
    bands: tuple[BandSpec, ...]
    package: str


@frozen(repr=False)
class GrantedLevelNode(NodeBase):
    """``bewilligt``: the effective level of ``package`` — granted where given, else the computed level
    ``expr`` refers to (a ``wert`` for a korridor or an ausdruck; an ``eingabe`` for an ``einschätzung``,
    whose level is an input and has no step of its own)."""

    kind: ClassVar[NodeKind] = NodeKind.BEWILLIGT
    expr: Ref
    package: str


@frozen(repr=False)
class CheckNode(NodeBase):
    """A ``prüfung`` or ``warnung`` (``kind``): ``expr`` must hold; ``message`` parts are text or expressions."""

    kind: NodeKind
    expr: Expr
    message: tuple[str | Expr, ...]
    package: str | None


#: One computation step, in dependency order; its class tells its kind and which fields it has.
Node: TypeAlias = ValueNode | ExpressionLevelNode | CorridorLevelNode | GrantedLevelNode | CheckNode

#: The level steps of a package (``stufe``).
LevelNode: TypeAlias = ExpressionLevelNode | CorridorLevelNode


@frozen(repr=False)
class ScopeSpec(Record):
    """The model (``id == ""``) or a list; ``parent`` is the enclosing scope id."""

    id: str
    name: str
    title: str | None
    parent: str | None
    depth: int
    min_count: int | None
    max_count: int | None
    inputs: tuple[InputSpec, ...]
    lists: tuple[str, ...]
    packages: tuple[str, ...]
    span: Span


@frozen(repr=False)
class ExpectationSpec(Record):
    path: tuple[str | int, ...]
    value: Any
    type: ValueType | None
    span: Span


@frozen(repr=False)
class ExampleSpec(Record):
    id: str
    title: str | None
    package: str | None
    case: Any  # nested dict/list data of the example's case
    agreement: tuple[tuple[str, Any, Span], ...]
    expectations: tuple[ExpectationSpec, ...]
    expected_errors: tuple[str, ...]
    span: Span
    at: _dt.date | None = None  # the evaluation date given by ``stichtag`` in the example
    package_id: str | None = None  # the package's id (``package`` is its name, the same in every scope)


@frozen(repr=False)
class PropertySpec(Record):
    title: str
    span: Span
    expr: Expr | None = None
    direction: str | None = None
    target: tuple[str | int, ...] | None = None
    by: tuple[str | int, ...] | None = None


@frozen(repr=False)
class ModelInfo(Record):
    name: str
    title: str | None
    version: str | None
    long_title: str | None
    valid_from: _dt.date | None
    valid_to: _dt.date | None
    sources: tuple[str, ...]
    family: str | None
    reference_date: tuple[str, ...] | None
    description: str | None
    predecessor: str | None
    file: str
    budget: tuple[str, ...] | None = None  # header „budget PFAD“: the case's total budget
    extends: str | None = None  # header „erweitert "…"“: the base model as written
    base_files: tuple[str, ...] = ()  # the base model's file (and its base's, for a chain)
    # header „budget LISTE.WERT“: a list element's own budget — (list name, value key in its scope)
    element_budget: tuple[str, str] | None = None

    def named(self) -> str:
        """The model's name and its version where its header gives one („mawo 2024.1“; „demo“
        without one): how results, comparisons, schemas and the handbook name a model."""
        return f"{self.name} {self.version}" if self.version else self.name


@frozen(repr=False)
class CheckedModel(Record):
    """Everything a backend needs. ``order`` lists ``nodes`` ids in a valid evaluation order."""

    info: ModelInfo
    scopes: dict[str, ScopeSpec] = attrs.field(eq=False)
    enums: dict[str, EnumType] = attrs.field(eq=False)
    parameters: dict[str, ParameterSpec] = attrs.field(eq=False)
    tables: dict[str, TableSpec] = attrs.field(eq=False)
    packages: dict[str, PackageSpec] = attrs.field(eq=False)
    nodes: dict[str, Node] = attrs.field(eq=False)
    order: tuple[str, ...]
    examples: tuple[ExampleSpec, ...]
    properties: tuple[PropertySpec, ...]
    templates: dict[str, Any] = attrs.field(eq=False)
    warnings: tuple[Any, ...]  # Diagnostic warnings found by the checker
    source: str = attrs.field(eq=False, repr=False)
    domains: dict[str, Any] = attrs.field(eq=False, repr=False, factory=dict)  # corridor node id → Domain
    # texts of other files that spans name (a variant's base), by file name
    other_sources: dict[str, str] = attrs.field(eq=False, repr=False, factory=dict)

    def scope_inputs(self, scope: str) -> tuple[InputSpec, ...]:
        return self.scopes[scope].inputs

    def file_of(self, span: Span) -> str:
        """The file a span lies in: the model's own, or a base file of a variant."""
        return span.file or self.info.file

    def line_of(self, span: Span) -> str | None:
        """The source line a span starts on, from the file it lies in."""
        text = self.other_sources.get(span.file, "") if span.file else self.source
        lines = _lines(text)
        return lines[span.line - 1] if 0 < span.line <= len(lines) else None


@functools.lru_cache(maxsize=16)
def _lines(text: str) -> tuple[str, ...]:
    """A source text's lines, split once (messages of failed checks look up their line)."""
    return tuple(source_lines(text))
