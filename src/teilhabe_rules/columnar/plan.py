"""Checked model → one columnar query plan, as sqlglot expression trees.

Takes: a :class:`~teilhabe_rules.ir.checked.CheckedModel` and the parameter values and tables of
one (model, agreement, date) — constants, folded into the plan. Gives: :class:`Plan` — a list of
:class:`Step` (one ``SELECT`` each over the population's staged tables and earlier steps) that
computes every value of every scope, plus per scope a ``_flag`` column: the rows the plan cannot
decide exactly (see below) and which the caller evaluates with the scalar backend.

Scopes are tables: the case (``_c``, the case's number) and each list as a child table keyed by
its parent's keys and its own 1-based position (``_i1``, ``_i2`` …). A value of an enclosing scope
is read through a join on the keys; an aggregate (``summe``, ``anzahl``, ``min``, ``max``,
``erstes``, ``letztes``) is a grouped subquery of the list's table, joined on the parent's keys
(the aggregates of one step over one list: one subquery and one join for all of them);
``vorher`` a join of the list on the position before. Corridors, ``wenn`` and table lookups are ``CASE``
expressions; dates use DuckDB's date functions.

**Exact, never floating.** A number is carried as an integer numerator over a denominator
known when the plan is compiled (:class:`Num`) — ``BIGINT`` where the bounds from the declared
input ranges keep it and its arithmetic below :data:`NARROW_LIMIT`, else ``HUGEINT``: sums
bring terms to a common denominator,
products multiply numerators and denominators, a division by a constant multiplies the
denominator — all exact. A division by an exact value of the row (``1 / plaetze``) stays exact:
the divisor's numerator becomes a factor of a per-row denominator (:class:`RowFactor`, at least 1;
a divisor that is not positive makes the quotient NULL), terms over different row denominators
cross-multiply, comparisons too (the denominators are positive). Only where such a numerator
would outgrow the compiler's limit (the plan is compiled with it at :data:`NARROW_LIMIT` and at
:data:`HUGE_LIMIT`, and the one with fewer ``HUGEINT`` divisions kept: :func:`wide_divisions`),
where a row factor belongs to a list's elements being aggregated, or where a denominator is
above :data:`MAX_DEN`, does a value leave exact arithmetic: it becomes fixed point with
:data:`FIX` fractional digits, rounded half up, and the plan carries an upper bound of its error.
``runde(…)`` divides exactly once, half up as :func:`teilhabe_rules.runtime.semantics.round_value`
(``(2·|n|·10^k + d) // (2·d)`` with the sign put back; ``d`` times the row denominator where
there is one). Where a value carrying an error is compared,
or rounded, within its error of the boundary, the row is flagged — never guessed. No ``DOUBLE``
or ``FLOAT`` appears anywhere in a plan.

**Faults become flags.** Everything the scalar backend would stop at — a table without the key,
no band holding a quantity, a level that is not declared, a division by zero, an overflow, an
empty list for ``min``/``max``/``erstes``/``letztes``, ``vorher`` on the first element, a value
outside its declared range, a failed ``prüfung`` — is NULL or a condition here; every rule's
value is wrapped in ``TRY(…)`` so that an overflow or a division by zero becomes NULL rather than
stopping the query, and a NULL value flags the row. A ``warnung`` that fires is counted
(``_warnungen``; the scalar backend gives its text); one whose condition is NULL (a fault) flags
the row. Flagged rows are evaluated by the scalar backend, which renders the message and the path.
A ``prüfung`` whose test is exactly false is a column of its own until the last step of its scope,
which adds it to the flag and gives ``_sicher``: the row is flagged only by such a ``prüfung``,
nothing else of it in doubt — it certainly fails in the scalar backend too (see
:func:`~teilhabe_rules.columnar.batch.execute_plan`); beside it, how many such ``prüfung`` the row
has and, where the plan can word it, the message of one (:data:`FAILURE_COLUMNS`).

**Cases of one element in one row.** :func:`compile_plan` gives the plan a second one,
``Plan.single``, for the cases with exactly one element of the list directly under the case that
has the most rules (:func:`single_list`; a population of persons): that list is *merged* into the
case's row (its table joined to the case's once, at the start; keys ``_c``, ``_i1`` kept), so a
value of the case is a column of the same row, an aggregate over the list is its one element
(:meth:`_Ctx.single`), and the rules of case and element pack into the same steps — no join and
no grouping per step. Its staged tables are named ``e<n>`` (:data:`SINGLE_PREFIX`); ``shared``
names the step holding the merged rows, which the caller materializes once for the result tables
of both scopes (see :func:`~teilhabe_rules.columnar.batch.execute_plan`).

A construct the compiler does not support raises :class:`Unsupported` (the caller runs the model
on the scalar backend and says so in one line).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import gc
import itertools
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
from sqlglot import exp

from ..ir import checked as c
from ..ir import toolkit
from ..ir.domains import MAX_VALUES, Domain, Facts, ModelSymbols, domain_of, facts_of
from ..ir.text import WHITE_SPACE, quantity_text

__all__ = ["FAILURE_COLUMNS", "FIX", "HUGE_LIMIT", "IN_BOUND", "IN_SCALE", "LIST_BOUND", "MAX_DEN", "NARROW_LIMIT",
           "SCALAR_DIGITS", "SINGLE_PREFIX", "WHITE_SPACE", "Narrow", "Num", "Other", "Plan", "RowFactor", "Step",
           "Unsupported", "building_trees", "compile_plan", "computed_nodes", "input_plan", "int_type", "key_columns",
           "numerator_bound", "single_list", "wide_divisions"]

FIX = 18  # fractional digits of fixed point (a value that leaves exact arithmetic, every inexact result)
MAX_DEN = 10**FIX  # a larger denominator is rescaled to fixed point
IN_SCALE = 6  # fractional digits of a staged input number (a number with more goes to the scalar backend)
IN_BOUND = Fraction(10**12)  # |input| bound for a number without a declared range (larger: scalar backend)
LIST_BOUND = 10_000  # elements of a list without a declared maximum (more: scalar backend)
HUGEINT = exp.DataType.build("HUGEINT", dialect="duckdb")
BIGINT = exp.DataType.build("BIGINT")
NARROW_LIMIT = 2**62  # a numerator bounded below this is computed in BIGINT (fast), else in HUGEINT
HUGE_LIMIT = 2**125  # a HUGEINT numerator is bounded below this
DIGITS_LIMIT = 10**28  # a rounded result's coefficient from here on: the scalar backend's Decimal fails
SPLIT_STEPS = 4  # a conversion to fixed point in more BIGINT long-division steps than this: one HUGEINT division
ROW_LIMITS = (NARROW_LIMIT, HUGE_LIMIT)  # numerators over a row denominator: BIGINT only, or HUGEINT too
INTEGER = exp.DataType.build("INTEGER")
VARCHAR = exp.DataType.build("VARCHAR")
TRUE = exp.Boolean(this=True)
FALSE = exp.Boolean(this=False)


class Unsupported(Exception):
    """A construct the columnar compiler does not support (its text says which, in German)."""


@attrs.frozen
class RowFactor:
    """A factor of a number's denominator that is a value of the row: a positive integer at most
    ``bound``, read here as ``sql``. ``key`` names it (two factors with one key are equal in every
    row): ``scope/column`` of the column holding it, or ``=`` and the SQL text of an expression of
    this row (``column`` None: not stored yet; ``scope``: the scope whose row it belongs to)."""

    key: str
    sql: exp.Expr
    bound: int
    scope: str
    column: str | None = None
    guarded: bool = False  # ``column`` holds the factor already at least 1


@attrs.frozen
class Num:
    """A number: ``sql`` (a BIGINT or HUGEINT numerator) over ``den`` times the product of the
    ``rows`` factors (none: ``den`` alone); ``|value| ≤ bound``; the value differs from the exact
    one by at most ``err`` (0: exact); ``const``: its value if known (never with ``rows``);
    ``top``: a bound of the numerator's magnitude where ``rows`` (else from ``bound`` and ``den``);
    ``ref``: (scope, column) where ``sql`` is a plain column holding an exact number."""

    sql: exp.Expr
    den: int
    bound: Fraction
    err: Fraction = Fraction(0)
    const: Fraction | None = None
    rows: tuple[RowFactor, ...] = ()
    top: Fraction | None = None
    ref: tuple[str, str] | None = None

    def __attrs_post_init__(self) -> None:
        # A bound or denominator past MAX_BOUND_BITS is a number no 128-bit column holds, and
        # reckoning with it would take ever longer (a value multiplied by itself, line after
        # line, doubles their digits each time): the model is one for the scalar backend.
        fractions = (self.bound, self.err) if self.top is None else (self.bound, self.err, self.top)
        if self.den.bit_length() > MAX_BOUND_BITS or any(
                f.numerator.bit_length() > MAX_BOUND_BITS or f.denominator.bit_length() > MAX_BOUND_BITS
                for f in fractions):
            raise Unsupported(f"eine Zahl, deren Schranke oder Nenner über 2^{MAX_BOUND_BITS} wächst")


MAX_BOUND_BITS = 4096
"""The largest bound, error or denominator (in bits of its numerator and denominator) the plan
reckons with; far beyond any 128-bit figure, and what its arithmetic stays fast with."""


@attrs.frozen
class Other:
    """A value that is no number: truth value, date, text, member of an aufzählung (``int`` or
    ``str``), level, rounding mode. ``const``: its value if known (``has_const``)."""

    sql: exp.Expr
    kind: c.TypeKind
    const: Any = None
    has_const: bool = False


Value = Num | Other


@attrs.frozen
class Meta:
    """A column of a scope's table and what it holds (a number's denominator, bound and error)."""

    column: str
    kind: c.TypeKind
    den: int = 1
    bound: Fraction = Fraction(0)
    err: Fraction = Fraction(0)
    top: Fraction | None = None  # the numerator's bound where ``rows``
    rows: tuple[tuple[str, str, int, bool], ...] = ()  # (scope, column, bound, guarded) of each row factor
    rden: str | None = None  # the column holding the product of the ``rows`` factors


@attrs.frozen
class Step:
    """One ``SELECT`` of the plan: its ``name`` (a CTE or temporary table), the ``scope`` whose
    table it extends, the query, and the names of the steps and staged tables it reads (each as
    often as the query names it: :meth:`Plan.with_steps` counts a step's readers by them)."""

    name: str
    scope: str
    query: exp.Select
    reads: tuple[str, ...]


@attrs.define
class Narrow:
    """What another scope reads of a scope's state at one point: the keys and ``columns`` of
    step ``source``, materialized once as table ``name`` (the states themselves are views, so
    a wide row is never copied; a reader from another scope computes only what it reads)."""

    name: str
    source: str
    scope: str
    columns: list[str] = attrs.Factory(list)

    def query(self, model: c.CheckedModel) -> exp.Select:
        cols = [*key_columns(model, self.scope), *self.columns]
        return exp.select(*[exp.column(col, "t") for col in cols]).from_(exp.to_table(self.source).as_("t"))


@attrs.frozen
class Output:
    """A value of a scope in the result: its name (the rule language's key), its kind, the
    column holding it and the expression converting it to its result type."""

    key: str
    kind: c.TypeKind
    sql: exp.Expr


@attrs.frozen
class Plan:
    """The compiled plan: staged ``inputs`` per scope (their column names and types), the
    ``steps`` in order, the last step of each scope (``final``) and per scope the ``outputs``;
    ``merged``: the lists held in their parent's row (a ``single`` variant: only for cases with
    one element of each), ``shared``: per table holding merged lists its last step before the
    results, ``single``: the variant for the cases of one element (see the module docstring)."""

    model: c.CheckedModel
    inputs: dict[str, dict[str, tuple[str, c.InputSpec]]]
    staged: dict[str, str]
    steps: tuple[Step, ...]
    final: dict[str, str]
    outputs: dict[str, tuple[Output, ...]]
    reads_date: bool
    columns: dict[str, dict[str, Meta]] = attrs.field(factory=dict, eq=False, repr=False)  # scope → key → column
    narrow: tuple[Narrow, ...] = ()
    merged: frozenset[str] = frozenset()  # lists held in their parent's row (one element each: see ``single``)
    shared: dict[str, str] = attrs.field(factory=dict)  # scope holding merged lists → its last step before the results
    single: Plan | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def exact_in(self) -> tuple[Plan, ...]:
        """The plans whose figures a result may hold: this one and its ``single`` variant."""
        return (self,) if self.single is None else (self, self.single)

    def _order(self) -> list[tuple[str, str, Step | Narrow]]:
        """Every step and narrow table in order of creation (see :meth:`statements`), unbuilt."""
        narrow = {n.name: n for n in self.narrow}
        made: set[str] = set()
        out: list[tuple[str, str, Step | Narrow]] = []
        for step in self.steps:
            for name in step.reads:
                if name in narrow and name not in made:
                    made.add(name)
                    out.append((name, "TABLE", narrow[name]))
            out.append((step.name, "VIEW", step))
        return out

    def statements(self) -> list[tuple[str, str, exp.Select]]:
        """Every table and view in order of creation: (name, ``TABLE`` or ``VIEW``, query). A
        step is a view; what another scope reads of it is a narrow table, made before its first reader."""
        return [(name, kind, item.query if isinstance(item, Step) else item.query(self.model))
                for name, kind, item in self._order()]

    def with_steps(self, body: exp.Select, done: frozenset[str] = frozenset()) -> exp.Select:
        """``body`` with every step and narrow table it reads (directly or through others) as a
        CTE before it — but those named in ``done``, tables of the connection already; one read
        more than once is ``MATERIALIZED`` (computed once; inlining it would repeat its whole chain).
        What a statement reads is its :attr:`Step.reads` (a narrow table: its source) — its tree is
        not walked (tens of thousands of nodes: a third of a second per run of the MAWo plan)."""
        order = self._order()
        reads = {name: item.reads if isinstance(item, Step) else (item.source,) for name, _kind, item in order}
        first = [t.name for t in body.find_all(exp.Table)]
        needed = _upstream(reads, first, done)
        order = [entry for entry in order if entry[0] in needed]
        readers: dict[str, int] = {}
        for names in [first, *(reads[name] for name, _kind, _item in order)]:
            for table in names:
                readers[table] = readers.get(table, 0) + 1
        for name, _kind, item in order:
            step_query = item.query if isinstance(item, Step) else item.query(self.model)
            body = body.with_(name, as_=step_query, materialized=True if readers.get(name, 0) > 1 else None,
                              copy=False)
        return body

    def upstream(self, body: exp.Select, done: Collection[str] = frozenset()) -> set[str]:
        """The steps and narrow tables ``body`` reads, directly or through others (not through
        those named in ``done``, nor those themselves)."""
        reads = {name: item.reads if isinstance(item, Step) else (item.source,) for name, _kind, item in self._order()}
        return _upstream(reads, [t.name for t in body.find_all(exp.Table)], done)

    def query(self, guarded: bool = True) -> exp.Expr:
        """The whole plan as ONE query (a ``WITH`` of every step) giving the case's results
        with the flag of its whole tree of elements: what ``teilhabe-rules sql`` prints.
        ``guarded`` False: without DuckDB's ``TRY(…)`` and ``MATERIALIZED`` (for other engines,
        which have no such function: there an overflow stops the query, a division by zero gives
        NULL or stops it as the engine's settings say)."""
        body = exp.select(_row_star("_sicher", *FAILURE_COLUMNS)).from_(exp.to_table(self.final[""]).as_("t"))
        flags: list[exp.Expr] = [exp.column("_flag", "t")]
        for number, sid in enumerate(s for s in self.model.scopes if s):
            alias = f"f{number}"
            sub = (exp.select(exp.column("_c"), _as(_fn("bool_or", exp.column("_flag")), "_flag"))
                   .from_(exp.to_table(self.final[sid])).group_by(exp.column("_c")))
            on = exp.EQ(this=exp.column("_c", "t"), expression=exp.column("_c", alias))
            body = body.join(sub.subquery(alias), on=on, join_type="left")
            flags.append(_fn("coalesce", exp.column("_flag", alias), FALSE))
        query: exp.Expr = self.with_steps(body.select(_as(_any(flags), "_flag")))
        if not guarded:
            query = query.transform(lambda node: node.this if isinstance(node, exp.Try) else node)
            for cte in query.find_all(exp.CTE):  # MATERIALIZED is DuckDB's and PostgreSQL's, not standard SQL
                cte.set("materialized", None)
        return query


def _upstream(reads: Mapping[str, tuple[str, ...]], first: list[str], done: Collection[str]) -> set[str]:
    """The names ``first`` reads by ``reads`` (each name's readings), directly or through others,
    not through those in ``done``, nor those themselves (:meth:`Plan.upstream`)."""
    needed: set[str] = set()
    todo = list(first)
    while todo:
        name = todo.pop()
        if name in reads and name not in needed and name not in done:
            needed.add(name)
            todo.extend(reads[name])
    return needed


def _row_star(*also: str) -> exp.Expr:
    """``t.* EXCLUDE (_flag, …)``: the row's columns but its flag (and the columns ``also``)."""
    return exp.Column(this=exp.Star(except_=[exp.column(name) for name in ("_flag", *also)]),
                      table=exp.to_identifier("t"))


def key_columns(model: c.CheckedModel, scope: str) -> list[str]:
    """The key columns of a scope's table: ``_c`` and one position per list depth."""
    return ["_c", *(f"_i{d}" for d in range(1, model.scopes[scope].depth + 1))]


# ---- small builders --------------------------------------------------------------------------


def _fn(name: str, *args: Any) -> exp.Func:
    """A function call (its arguments not copied: every tree here is built fresh)."""
    return exp.func(name, *args, copy=False)


def _as(e: exp.Expr, alias: str, quoted: bool | None = None) -> exp.Expr:
    """``e AS alias`` (``e`` not copied)."""
    return exp.alias_(e, alias, quoted=quoted, copy=False)


def _p(e: exp.Expr) -> exp.Expr:
    return e if isinstance(e, (exp.Column, exp.Literal, exp.Paren, exp.Cast, exp.Null)) else exp.Paren(this=e)


def _int(value: int) -> exp.Expr:
    """An integer as a HUGEINT (from a string: exact whatever its size)."""
    return exp.Cast(this=exp.Literal.string(str(value)), to=HUGEINT.copy())


def _small(value: int) -> exp.Expr:
    return exp.Literal.number(value) if abs(value) < 2**62 else _int(value)


def int_type(bound: Fraction | int) -> exp.DataType:
    """The integer type of a numerator whose magnitude is at most ``bound``."""
    return BIGINT.copy() if bound < NARROW_LIMIT else HUGEINT.copy()


def _wide(e: exp.Expr, bound: Fraction | int | None) -> exp.Expr:
    """``e`` as it is where the arithmetic on it stays within ``bound`` < 2^62 (BIGINT suffices;
    an overflow there would still be an error, never a wrong figure), else cast to HUGEINT.
    ``bound`` None: unknown (HUGEINT)."""
    if bound is not None and bound < NARROW_LIMIT:
        return e
    return exp.Cast(this=_p(e), to=HUGEINT.copy())


def numerator_bound(num: Num | Meta) -> Fraction:
    """An upper bound of the magnitude of a number's numerator."""
    if num.top is not None:
        return num.top
    return (num.bound + num.err) * num.den + 1


def _mul(e: exp.Expr, factor: int, bound: Fraction | int | None = None) -> exp.Expr:
    """``e·factor``; ``bound``: of ``e``'s magnitude (None: unknown, computed in HUGEINT)."""
    if factor == 1:
        return e
    return exp.Mul(this=_p(_wide(e, None if bound is None else bound * abs(factor))), expression=_p(_small(factor)))


def _add(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Add(this=_p(a), expression=_p(b))


def _sub(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Sub(this=_p(a), expression=_p(b))


def _idiv(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.IntDiv(this=_p(a), expression=_p(b))


def _bigint(e: exp.Expr) -> exp.Expr:
    return exp.Cast(this=_p(e), to=BIGINT.copy())


def _divmod(m: exp.Expr, d: exp.Expr, m_bound: Fraction | int,
            d_bound: Fraction | int) -> tuple[exp.Expr, exp.Expr] | None:
    """``(m // d, m % d)`` for ``0 ≤ m ≤ m_bound`` and ``1 ≤ d ≤ d_bound``, in BIGINT divisions
    alone — DuckDB divides a HUGEINT bit by bit, 10–30× slower than a BIGINT division: ``m`` is
    split into limbs of ``s`` bits, each small enough that ``r·2^s + limb`` (``r`` < ``d``, the
    rest of the limbs above) stays below 2^62, and divided limb by limb from the top, as by hand;
    the quotient's limbs put together by shifts (in HUGEINT where it needs it). Each limb's step
    holds the whole chain of the limbs above it (DuckDB computes a common part once, but not inside
    ``TRY``): ``w`` limbs write ``m`` and ``d`` and divide ``w·(w+1)/2`` times — so None (the caller
    divides in HUGEINT) beyond :data:`MAX_LIMBS` limbs, or where ``m`` is heavy (:func:`_heavy`).

    A constant ``d = d'·2^k`` below 2^62 (``k`` > 0: a power of ten, say) divides ``m >> k`` by
    ``d'``, the rest put together from the rest of that and the low ``k`` bits of ``m`` (in BIGINT:
    below ``d``): ``2·10^18`` takes limbs of 20 bits, not of one."""
    if isinstance(d, exp.Literal) and d.is_int and 1 < int(d.this) < NARROW_LIMIT and not int(d.this) & 1:
        value = int(d.this)
        shift = (value & -value).bit_length() - 1
        low = _bigint(exp.BitwiseAnd(this=_p(m.copy()), expression=exp.Literal.number((1 << shift) - 1)))
        top: exp.Expr = exp.BitwiseRightShift(this=_p(m), expression=exp.Literal.number(shift))
        if value >> shift == 1:
            return (_bigint(top) if int(m_bound) >> shift < NARROW_LIMIT else top), low
        found = _divmod(top, exp.Literal.number(value >> shift), int(m_bound) >> shift, value >> shift)
        if found is None:
            return None
        return found[0], _add(exp.BitwiseLeftShift(this=_p(found[1]), expression=exp.Literal.number(shift)), low)
    bits = 62 - int(d_bound).bit_length()
    if bits < 8 or _heavy(m):
        return None
    if not isinstance(d, exp.Literal):
        d = _bigint(d)
    width = max(1, math.ceil(int(m_bound).bit_length() / bits))
    if width > MAX_LIMBS:
        return None
    if width == 1:  # m < 2^62: one BIGINT division (m may be a HUGEINT expression of a small value)
        m = _bigint(m)
        return _idiv(m, d), exp.Mod(this=_p(m.copy()), expression=_p(d.copy()))
    mask = exp.Literal.number((1 << bits) - 1)
    rest: exp.Expr | None = None
    quotient: exp.Expr | None = None
    for number in reversed(range(width)):
        shifted = m.copy() if number == 0 else exp.BitwiseRightShift(
            this=_p(m.copy()), expression=exp.Literal.number(bits * number))
        limb = _bigint(shifted if number == width - 1 else exp.BitwiseAnd(this=_p(shifted), expression=mask.copy()))
        t = limb if rest is None else _add(exp.BitwiseLeftShift(
            this=_p(rest), expression=exp.Literal.number(bits)), limb)
        digit = _idiv(t, d.copy())
        rest = exp.Mod(this=_p(t.copy()), expression=_p(d.copy()))
        if number:
            high = bits * (number + 1) >= 62
            digit = exp.BitwiseLeftShift(this=_p(exp.Cast(this=_p(digit), to=HUGEINT.copy()) if high else digit),
                                         expression=exp.Literal.number(bits * number))
        quotient = digit if quotient is None else _add(quotient, digit)
    assert quotient is not None and rest is not None
    return quotient, rest


LIGHT_NODES = 400
"""A dividend of more nodes than this (of its tree: columns, literals, types and all) is divided
in HUGEINT, not limb by limb: :func:`_divmod` writes it up to ten times. DuckDB computes a part
repeated in a projection once — also one holding a division or a ``CASE`` (so MAWo's plans divide
no HUGEINT at all; before, such a dividend was divided in HUGEINT, ~0.3 s per 1,000,000 rows each)
— but not inside ``TRY``, in which a statement runs again where it failed without
(``batch._Chains``): the bound keeps the text of that statement, and its time, within reason."""
MAX_LIMBS = 4
"""The most limbs of a division in BIGINT steps (:func:`_divmod`): ten BIGINT divisions, each of a
chain of up to four. Measured on 200,000 rows: 4 limbs about 3× faster than one HUGEINT division;
6 limbs of a dividend of 50 nodes about 2× slower, 9 limbs 6× slower."""


def _heavy(e: exp.Expr) -> bool:
    """Whether ``e`` is too costly to write once per step of a limb division (see :data:`LIGHT_NODES`)."""
    return any(number >= LIGHT_NODES for number, _node in enumerate(e.walk()))


def _quot(a: exp.Expr, d: exp.Expr, a_bound: Fraction | int, d_bound: Fraction | int,
          signed: bool = True) -> exp.Expr:
    """``a // d`` (truncated toward zero, as DuckDB's ``//``) for ``|a| ≤ a_bound`` and
    ``1 ≤ d ≤ d_bound`` — by :func:`_divmod` where ``a`` may need HUGEINT, as
    ``sign(a)·(|a| // d)``; ``signed`` False: ``a`` is known not to be negative."""
    if a_bound < NARROW_LIMIT and d_bound < NARROW_LIMIT:
        return _idiv(a, d)
    found = _divmod(_abs(a.copy()) if signed else a, d, a_bound, d_bound)
    if found is None:
        return _idiv(a, d)
    if not signed:
        return found[0]
    return exp.Mul(this=_p(_sign(a.copy())), expression=_p(found[0]))


def _rem(a: exp.Expr, d: exp.Expr, a_bound: Fraction | int, d_bound: Fraction | int) -> exp.Expr:
    """``a % d`` for ``0 ≤ a ≤ a_bound`` and ``1 ≤ d ≤ d_bound`` (see :func:`_quot`)."""
    if a_bound < NARROW_LIMIT and d_bound < NARROW_LIMIT:
        return exp.Mod(this=_p(a), expression=_p(d))
    found = _divmod(a, d, a_bound, d_bound)
    return exp.Mod(this=_p(a), expression=_p(d)) if found is None else found[1]


def _abs(e: exp.Expr) -> exp.Expr:
    return exp.Abs(this=e)


def _any(conds: list[exp.Expr]) -> exp.Expr:
    if not conds:
        return FALSE
    out = conds[0]
    for cond in conds[1:]:
        out = exp.Or(this=_p(out), expression=_p(cond))
    return out


def _case(*whens: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Expr:
    case = exp.Case()
    for cond, value in whens:
        case = case.when(cond, value, copy=False)
    return case.else_(default if default is not None else exp.Null(), copy=False)


def _null_if_any(args: list[exp.Expr], value: exp.Expr) -> exp.Expr:
    """``value``, NULL where an argument is NULL (as the scalar backend faults there)."""
    return _case((_any([exp.Is(this=_p(a), expression=exp.Null()) for a in args]), exp.Null()), default=value)


def _round_half_up(n: exp.Expr, num: int, den: int, bound: Fraction | int | None = None) -> exp.Expr:
    """``n·num/den`` rounded half away from zero, exactly (``den`` > 0); ``bound``: of ``|n|``
    (None: unknown, computed in HUGEINT). A BIGINT ``n`` (``bound`` below :data:`NARROW_LIMIT`)
    whose ``2·n·num`` would need HUGEINT is divided by ``den`` first, in BIGINT, and the rest
    scaled by long division (:func:`_split_fixed`): DuckDB would divide that HUGEINT limb by limb,
    in some 30 vector operations on 128-bit values."""
    if den == 1:
        return _mul(n, num, bound)
    if bound is not None and bound < NARROW_LIMIT <= 2 * bound * num + den:
        chunks = _chunks(num, den)
        q_bound = Fraction(bound) / den + 1  # of |n| // den
        if chunks is not None and len(chunks) <= SPLIT_STEPS and q_bound * num < HUGE_LIMIT:
            return _split_fixed(_bigint(n), _small(den), num, q_bound, chunks)
    twice = None if bound is None else bound * 2 * num
    n = _wide(n, None if twice is None else twice + den)
    return _half_up(_mul(n, 2 * num, 0), n, den, twice)


def _sign(n: exp.Expr) -> exp.Expr:
    return _fn("sign", n)


def _half_up(twice: exp.Expr, n: exp.Expr, den: int, bound: Fraction | int | None = None) -> exp.Expr:
    """``twice/(2·den)`` rounded half away from zero, where ``twice`` has the sign of ``n``:
    ``(twice + sign(n)·den) // (2·den)`` — DuckDB's integer ``//`` truncates toward zero, so
    this is ``sign·((|twice| + den) // (2·den))`` with ``n`` (often itself a nested expression)
    written twice rather than three times. ``bound``: of ``|twice|`` (None: unknown); where it
    needs HUGEINT, written as ``sign(n)·((|twice| + den) // (2·den))`` by :func:`_quot`."""
    if bound is not None and bound + den >= NARROW_LIMIT and 2 * den < NARROW_LIMIT:
        magnitude = _quot(_add(_abs(twice), _small(den)), _small(2 * den), bound + den, 2 * den, signed=False)
        return exp.Mul(this=_p(_sign(n)), expression=_p(magnitude))
    return _idiv(_add(twice, exp.Mul(this=_p(_sign(n)), expression=_small(den))), _small(2 * den))


def _twice(d: exp.Expr) -> exp.Expr:
    """``2·d``; of a constant ``d`` computed here — DuckDB multiplies two INTEGER literals in INTEGER,
    which overflows for ``d`` in [2^30, 2^31)."""
    if isinstance(d, exp.Literal) and d.is_int:
        return _small(2 * int(d.this))
    return exp.Mul(this=exp.Literal.number(2), expression=_p(d))


def _div_half_up(n: exp.Expr, d: exp.Expr, n_bound: Fraction | int, d_bound: Fraction | int) -> exp.Expr:
    """``n/d`` rounded half away from zero, exactly, for a positive ``d`` of the row:
    ``(2·n + sign(n)·d) // (2·d)`` (``//`` truncates toward zero); ``n_bound``, ``d_bound``: of
    their magnitudes (BIGINT where ``2·n_bound + d_bound`` stays below :data:`NARROW_LIMIT`)."""
    wide = 2 * n_bound + d_bound
    n = _wide(n, wide)
    if wide >= NARROW_LIMIT and 2 * d_bound < NARROW_LIMIT:
        magnitude = _quot(_add(exp.Mul(this=_p(_abs(n)), expression=exp.Literal.number(2)), d),
                          _twice(d.copy()), wide, 2 * d_bound, signed=False)
        return exp.Mul(this=_p(_sign(n.copy())), expression=_p(magnitude))
    twice = exp.Mul(this=_p(n), expression=exp.Literal.number(2))
    return _idiv(_add(twice, exp.Mul(this=_p(_sign(n)), expression=_p(d))),
                 _twice(_wide(d, 2 * d_bound)))


def _doubt(condition: exp.Expr) -> exp.Expr:
    """A condition that puts a row in doubt as a flag: NULL is no doubt, a failure to compute it —
    an overflow in the arithmetic of a boundary test, say — is (``TRY``: it never stops the query)."""
    return _tried(_fn("coalesce", _p(condition), FALSE.copy()), TRUE)


def _tried(condition: exp.Expr, failed: exp.Boolean) -> exp.Expr:
    """``condition`` (never NULL) in ``TRY``, ``failed`` where computing it fails."""
    return _fn("coalesce", _fn("try", condition), failed.copy())


def _guard(sql: exp.Expr) -> exp.Expr:
    """A divisor's numerator as a factor of a row denominator: at least 1 (where it is not
    positive the division's own numerator is NULL, and a value that does not depend on the
    division stays exact over 1)."""
    return _fn("greatest", sql, exp.Literal.number(1))


def _product(factors: tuple[RowFactor, ...], scale: int = 1) -> tuple[exp.Expr, int]:
    """``scale`` times the product of ``factors`` (in HUGEINT where its bound needs it) and its bound."""
    sql: exp.Expr = _small(scale)
    bound = scale
    for number, factor in enumerate(factors):
        bound *= factor.bound
        if number == 0 and scale == 1:
            sql = factor.sql
        else:
            sql = exp.Mul(this=_p(_wide(sql, bound)), expression=_p(factor.sql))
    return sql, bound


def _union(a: tuple[RowFactor, ...], b: tuple[RowFactor, ...]) -> tuple[RowFactor, ...]:
    """The least common multiple of two row denominators: each factor as often as in either."""
    rest = list(a)
    out = list(a)
    for factor in b:
        found = next((f for f in rest if f.key == factor.key), None)
        if found is None:
            out.append(factor)
        else:
            rest.remove(found)
    return _sorted(out)


def _minus(a: tuple[RowFactor, ...], b: tuple[RowFactor, ...]) -> tuple[RowFactor, ...]:
    """The factors of ``a`` that are not in ``b`` (``b`` divides ``a``)."""
    out = list(a)
    for factor in b:
        found = next(f for f in out if f.key == factor.key)
        out.remove(found)
    return tuple(out)


def _sorted(factors: list[RowFactor] | tuple[RowFactor, ...]) -> tuple[RowFactor, ...]:
    return tuple(sorted(factors, key=lambda f: f.key))


def _keys(factors: tuple[RowFactor, ...]) -> tuple[str, ...]:
    return tuple(f.key for f in factors)


def _fixed_rows(n: exp.Expr, den: int, n_bound: Fraction, rows: tuple[exp.Expr, int] | None = None) -> exp.Expr:
    """The numerator over 10^FIX of ``n`` over ``den`` times ``rows`` (a positive integer of the
    row and its bound; None: 1), rounded half away from zero, exactly: ``n·a / d`` with
    ``a = 10^FIX/g``, ``d = den/g·rows`` (``g`` = gcd(10^FIX, den)) — in BIGINT divisions alone
    where the bounds allow (see :func:`_split_fixed`), else one HUGEINT division, else the integer
    part and the rest apart."""
    g = math.gcd(MAX_DEN, den)
    a = MAX_DEN // g
    d: exp.Expr = _small(den // g)
    d_bound = den // g
    if rows is not None:
        d_bound = rows[1] * (den // g)
        d = rows[0] if den // g == 1 else exp.Mul(this=_p(_wide(rows[0], d_bound)), expression=_small(den // g))
    q_bound = n_bound * g / den + 1  # |n| // d ≤ |n| / (den/g): the row factors are ≥ 1
    chunks = _chunks(a, d_bound)
    if n_bound < NARROW_LIMIT and chunks is not None and len(chunks) <= SPLIT_STEPS:
        return _split_fixed(n, d, a, q_bound, chunks)
    peeled = _peeled(n, n_bound)
    if peeled is not None:  # n = m·k with a BIGINT m: m·(k·a)/d, still in BIGINT divisions alone
        m, k, m_bound = peeled
        factors = _chunks(k * a, d_bound)
        m_q_bound = m_bound * g / den + 1  # of |m| // d
        if factors is not None and len(factors) <= SPLIT_STEPS and m_q_bound * k * a < HUGE_LIMIT:
            return _split_fixed(m, d, k * a, m_q_bound, factors)
    scaled_bound = n_bound * a
    if 2 * scaled_bound + d_bound < HUGE_LIMIT:
        return _div_half_up(_mul(n, a, n_bound), d, scaled_bound, d_bound)
    # |n| = q·d + r: the value is q·a + r·a/d, only the last term rounded
    if 2 * d_bound * a + d_bound >= HUGE_LIMIT or q_bound * a >= HUGE_LIMIT:
        raise Unsupported("Division ohne Platz für Nachkommastellen")
    m = _abs(n)
    found = _divmod(m, d, n_bound, d_bound)
    q, r = found if found is not None else (_idiv(m, d), exp.Mod(this=_p(m.copy()), expression=_p(d.copy())))
    magnitude = _add(_mul(q, a, q_bound), _div_half_up(_mul(r, a, d_bound), d, d_bound * a, d_bound))
    return _signed(n, magnitude)


def _dated(shifted: exp.Expr) -> exp.Expr:
    """A computed date, NULL (a fault: the case is flagged) outside the years 1 to 9999 — the
    range of Python's dates, where the scalar backend's end and DuckDB's go on."""
    within = exp.Between(this=_p(shifted), low=_literal(_dt.date.min, c.TypeKind.DATUM),
                         high=_literal(_dt.date.max, c.TypeKind.DATUM))
    return _case((within, shifted.copy()))


def _signed(n: exp.Expr, magnitude: exp.Expr) -> exp.Expr:
    """``magnitude`` with the sign of ``n``: ``sign(n)·magnitude`` — no ``CASE``, whose branches
    DuckDB computes no common part of (a limb division writes its dividend several times)."""
    return exp.Mul(this=_p(_sign(n.copy())), expression=_p(magnitude))


def _peeled(n: exp.Expr, n_bound: Fraction | int) -> tuple[exp.Expr, int, Fraction] | None:
    """``n`` as ``m·k`` with ``k`` > 1 a constant and ``|m|`` below :data:`NARROW_LIMIT`, where
    ``n`` is such a product as :func:`_mul` writes it (``m`` cast to HUGEINT, then times ``k``,
    perhaps several times over): ``(m as BIGINT, k, bound of |m|)``; None for any other ``n``."""
    k = 1
    while isinstance(n, exp.Paren):
        n = n.this
    while isinstance(n, exp.Mul) and isinstance(n.expression, exp.Literal) and n.expression.is_int \
            and int(n.expression.this) > 1:
        k *= int(n.expression.this)
        n = n.this
        while isinstance(n, (exp.Paren, exp.Cast)) and (not isinstance(n, exp.Cast) or n.to.this in (
                exp.DataType.Type.INT128, exp.DataType.Type.BIGINT)):
            n = n.this
    m_bound = Fraction(n_bound) / k
    if k == 1 or m_bound >= NARROW_LIMIT:
        return None
    return _bigint(n), k, m_bound


def _chunks(a: int, d_bound: int | Fraction) -> list[int] | None:
    """``a`` as a product of factors each at most ``C`` with ``2·d_bound·C + d_bound`` below
    :data:`NARROW_LIMIT` (None: no such ``C`` ≥ 10, or a prime factor of ``a`` beyond it). A
    divisor of 10^18 is split alternating fives and twos; other factors (a constant of the model
    multiplied into ``a``: :func:`_peeled`) go first, the largest first."""
    limit = int((NARROW_LIMIT - 1 - d_bound) // (2 * d_bound)) if d_bound < NARROW_LIMIT else 0
    if limit < 10:
        return None
    twos = fives = 0
    while a % 2 == 0:
        a //= 2
        twos += 1
    while a % 5 == 0:
        a //= 5
        fives += 1
    others: list[int] = []  # a's other factors: its small primes, and the rest (≤ limit) as one
    prime = 3
    while a > limit and prime < 10_000:
        while a % prime == 0:
            others.append(prime)
            a //= prime
        prime += 2
    if a > limit or any(p > limit for p in others):
        return None
    if a > 1:
        others.append(a)
    chunks: list[int] = []
    current = 1
    for p in sorted(others, reverse=True):
        if current * p > limit:
            chunks.append(current)
            current = 1
        current *= p
    while twos or fives:
        prime = 5 if fives and (not twos or fives >= twos) else 2
        if current * prime > limit:
            chunks.append(current)
            current = 1
        current *= prime
        if prime == 5:
            fives -= 1
        else:
            twos -= 1
    if current > 1 or not chunks:
        chunks.append(current)
    return chunks


def _split_fixed(n: exp.Expr, d: exp.Expr, a: int, q_bound: Fraction, chunks: list[int]) -> exp.Expr:
    """``n·a/d`` rounded half away from zero, exactly, for a BIGINT ``n``, a positive BIGINT ``d``
    and ``a`` = the product of ``chunks`` (see :func:`_chunks`), in BIGINT divisions alone (a
    HUGEINT division is some 30× slower): with ``|n| = q·d + r`` the value is ``q·a + r·a/d``;
    ``r·a/d`` is long division by the chunks (``r·c = q1·d + r1``, then ``r1`` with the next
    chunk …), only the last step rounded; ``q·a`` is put together in HUGEINT (by multiplication)
    where ``q_bound`` (of ``q``) needs it."""
    m = _abs(n)
    q = _idiv(m, d)
    rest: exp.Expr = exp.Mod(this=_p(m), expression=_p(d))
    low: exp.Expr | None = None
    weight = a
    for number, chunk in enumerate(chunks):
        weight //= chunk
        if number == len(chunks) - 1:
            digit = _idiv(_add(_mul(rest, 2 * chunk, 0), d), _twice(d))
        else:
            t = _mul(rest, chunk, 0)
            digit = _idiv(t, d)
            rest = exp.Mod(this=_p(t), expression=_p(d))
        part = _mul(digit, weight, chunk)  # (digit ≤ chunk: in HUGEINT where a itself needs it)
        low = part if low is None else _add(low, part)
    assert low is not None
    magnitude = _add(_mul(q, a, q_bound), low)
    return _signed(n, magnitude)


def _fraction(value: Any) -> Fraction:
    if isinstance(value, bool):
        raise Unsupported("ja/nein als Zahl")
    if isinstance(value, (int, Decimal)):
        return Fraction(value)
    raise Unsupported(f"Zahlwert {value!r}")


def _literal(value: Any, kind: c.TypeKind) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, _dt.date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise Unsupported(f"Wert {value!r}")


def other_type(vtype: c.ValueType) -> exp.DataType:
    """The SQL type of a value that is no number."""
    kind = vtype.kind
    if kind == c.TypeKind.JA_NEIN:
        return exp.DataType.build("BOOLEAN")
    if kind == c.TypeKind.DATUM:
        return exp.DataType.build("DATE")
    if kind == c.TypeKind.ENUM and vtype.enum is not None and vtype.enum.numeric:
        return exp.DataType.build("INTEGER")
    return exp.DataType.build("VARCHAR")


def _digits(den: int) -> int | None:
    """k where den divides 10^k (k ≤ FIX), else None."""
    for k in range(FIX + 1):
        if 10**k % den == 0:
            return k
    return None




@functools.cache
def _decimal_built(k: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL(38, {k})")


def _decimal_type(k: int) -> exp.DataType:
    """DECIMAL(38, k) (built once: building parses the text)."""
    return _decimal_built(k).copy()


def decimal_out(sql: exp.Expr, den: int, bound: Fraction | None = None,
                rows: tuple[exp.Expr, int] | None = None) -> tuple[exp.Expr, int]:
    """A numerator over ``den`` as DECIMAL(38, k): exact where ``den`` divides 10^k (k ≤ FIX),
    else rounded half up to FIX digits. Gives the expression and k. ``bound``: of the
    numerator's magnitude (None: unknown); ``rows``: a row denominator (its SQL, a positive
    integer, and its bound) — then rounded half up to FIX digits."""
    k = _digits(den)
    if rows is not None:
        k = FIX
        if bound is None:
            raise Unsupported("Zeilennenner ohne Schranke des Zählers")
        scaled = _fixed_rows(sql, den, bound, rows)
    elif k is None:
        k = FIX
        try:
            if bound is None:
                raise Unsupported("ohne Schranke")
            scaled = _fixed_rows(sql, den, bound)
        except Unsupported:  # beyond the bounds' room: in HUGEINT (an overflow is NULL and flags the row)
            scaled = _round_half_up(sql, 10**FIX, den, bound)
    else:
        scaled = _mul(sql, 10**k // den, bound)
    as_decimal = exp.Cast(this=_p(scaled), to=_decimal_type(0))
    if k == 0:
        return as_decimal, 0
    unit = exp.Cast(this=exp.Literal.string("1E-" + str(k)), to=_decimal_type(k))
    # DECIMAL(38,0) × DECIMAL(38,k) is DECIMAL(38,k): exact, no DOUBLE
    return exp.Mul(this=as_decimal, expression=unit), k


# ---- the compiler ----------------------------------------------------------------------------


@attrs.define
class _Batch:
    """The step being built for one scope: new columns, joins, flag conditions."""

    scope: str  # the scope whose table the step extends (a merged list: its parent's)
    items: list[exp.Expr] = attrs.Factory(list)
    keys: set[tuple[str, str]] = attrs.Factory(set)  # (scope, key) of the values computed here
    metas: dict[tuple[str, str], Meta] = attrs.Factory(dict)
    joins: list[tuple[str, exp.Expr, exp.Expr]] = attrs.Factory(list)
    ancestors: dict[str, str] = attrs.Factory(dict)  # scope id → alias of its joined table
    flags: list[exp.Expr] = attrs.Factory(list)
    warnings: list[exp.Expr] = attrs.Factory(list)
    reads: list[str] = attrs.Factory(list)  # each table as often as the step's query names it
    # (id of the join list, list scope, its state) → the aggregates over that list grouped so far
    groups: dict[tuple[int, str, str], _Group] = attrs.Factory(dict)


@attrs.define
class _Group:
    """The aggregates of one step over one list, read from the same rows: one grouped subquery
    ``sub`` joined as ``alias`` — a grouping and a join for all of them, not one each. The
    elements' row is ``inner``; ``joins`` and ``ancestors`` are its joins to enclosing scopes
    (shared: an enclosing table is joined once), the first ``applied`` of them already in ``sub``.
    ``owner``: the join list ``sub`` is in (held: its ``id`` is part of the key)."""

    owner: list[tuple[str, exp.Expr, exp.Expr]]
    alias: str
    inner: str
    sub: exp.Select
    joins: list[tuple[str, exp.Expr, exp.Expr]] = attrs.Factory(list)
    ancestors: dict[str, str] = attrs.Factory(dict)
    applied: int = 0
    members: int = 0


def _input_meta(column: str, vtype: c.ValueType) -> Meta:
    if vtype.kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL):
        den = 1 if vtype.integer else 10**IN_SCALE
        bound = IN_BOUND
        if vtype.low is not None and vtype.high is not None:
            bound = max(abs(Fraction(vtype.low)), abs(Fraction(vtype.high)))
        if vtype.choices:
            bound = max(abs(Fraction(x)) for x in vtype.choices)
        return Meta(column, c.TypeKind.ZAHL, den, bound)
    return Meta(column, vtype.kind)


def _stage_inputs(model: c.CheckedModel, prefix: str, staged: dict[str, str],
                  inputs: dict[str, dict[str, tuple[str, c.InputSpec]]], meta: dict[str, dict[str, Meta]]) -> None:
    """Every scope's staged table (``prefix`` and its number), its input columns and their metas:
    the same for every plan of the model (the rules do not choose them)."""
    for number, (sid, spec) in enumerate(model.scopes.items()):
        staged[sid] = f"{prefix}{number}"
        cols: dict[str, tuple[str, c.InputSpec]] = {}
        for index, inp in enumerate(spec.inputs):
            column = f"x{number}_{index}"
            cols[inp.key] = (column, inp)
            meta.setdefault(sid, {})[inp.key] = _input_meta(column, inp.type)
        inputs[sid] = cols


def input_plan(model: c.CheckedModel) -> Plan:
    """A plan of ``model``'s staged inputs alone, without steps: what staging a file reads of a
    plan (its inputs, their columns and types, whether it reads the case's date), so that a file
    can be staged while the plan is compiled. Every plan of the model stages the same inputs; the
    date is read where a rule calls ``stichtag()`` (a plan keeps every such rule: it may fail,
    :func:`computed_nodes`). A compiled plan may still not read it (where it leaves out the
    branch that calls it), so a stage made for this one is the compiled plan's only where they
    stage alike (:func:`~teilhabe_rules.columnar.batch.stages_alike`)."""
    staged: dict[str, str] = {}
    inputs: dict[str, dict[str, tuple[str, c.InputSpec]]] = {}
    meta: dict[str, dict[str, Meta]] = {sid: {} for sid in model.scopes}
    _stage_inputs(model, "in", staged, inputs, meta)
    dated = any(isinstance(e, c.Func) and e.name == "stichtag" for e in toolkit.walk(model.nodes.values()))
    return Plan(model, inputs, staged, (), {}, {sid: () for sid in model.scopes}, dated, meta)


class _Compiler:
    def __init__(self, model: c.CheckedModel, parameters: Mapping[str, Any], tables: Mapping[str, Mapping[Any, Any]],
                 date: _dt.date | None, row_limit: int = NARROW_LIMIT, merged: frozenset[str] = frozenset(),
                 prefix: str = "in", wide_budget: int | None = None):
        self.model = model
        # more wide divisions in its steps than this: _TooWide (a plan another one beats already)
        self.wide_budget = wide_budget
        self.wide = _WideDivisions()
        self.wide_found = 0  # in the steps so far
        self.merged = merged  # lists of one element per parent row, held in their parent's row
        self.prefix = prefix  # of the staged tables' names
        self.shared: dict[str, str] = {}
        self.row_limit = row_limit  # a numerator over a row denominator bounded above this goes to fixed point
        self.parameters = parameters
        self.tables = tables
        self.date = date
        self.steps: list[Step] = []
        self.state: dict[str, str] = {}
        self.meta: dict[str, dict[str, Meta]] = {sid: {} for sid in model.scopes}
        self.inputs: dict[str, dict[str, tuple[str, c.InputSpec]]] = {}
        self.staged: dict[str, str] = {}
        self.counter = 0
        self.batch: _Batch | None = None
        self.outputs: dict[str, list[Output]] = {sid: [] for sid in model.scopes}
        self.failing: dict[str, list[str]] = {sid: [] for sid in model.scopes}  # columns: a prüfung exactly false
        self.worded: dict[str, list[str]] = {sid: [] for sid in model.scopes}  # columns: its message where it fails
        self.reads_date = False
        self.narrow: list[Narrow] = []
        self.recorded: dict[str, Narrow] = {}  # alias → the narrow table it reads
        self.rdens: dict[tuple[str, tuple[str, ...]], str] = {}  # (scope, row factors) → column of their product
        self.divisors = _divisors(model)  # (scope, key) of the values and inputs some rule divides by
        self.guarded: dict[tuple[str, str], str] = {}  # (scope, column) → column of its copy at least 1
        self.symbols: ModelSymbols | None = None  # the value domains of this plan's parameters and tables
        self.scales: dict[str, int | None] = {}  # value id → its scale where the scalar backend holds it exactly

    def home(self, scope: str) -> str:
        """The scope whose table holds ``scope``'s rows: itself, or for a merged list its parent's."""
        while scope in self.merged:
            parent = self.model.scopes[scope].parent
            assert parent is not None
            scope = parent
        return scope

    def narrow_of(self, scope: str, alias: str) -> Narrow:
        """A new narrow table of ``scope``'s current state, read as ``alias``."""
        found = Narrow(self.fresh("n"), self.state[self.home(scope)], scope)
        self.narrow.append(found)
        self.recorded[alias] = found
        return found

    def record(self, alias: str, column: str) -> None:
        """``alias`` reads ``column``: a narrow table holds it."""
        found = self.recorded.get(alias)
        if found is not None and column not in found.columns:
            found.columns.append(column)

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # ---- staged inputs ----

    def stage(self) -> None:
        _stage_inputs(self.model, self.prefix, self.staged, self.inputs, self.meta)
        # the staged table has no flag yet: the first step adds it
        for sid in self.model.scopes:
            if sid in self.merged:
                continue
            # the scope and the lists merged into its row (a chain: one element each), joined on their keys
            members = [sid]
            while True:
                inner = [s for s in self.model.scopes[members[-1]].lists if s in self.merged]
                if not inner:
                    break
                if len(inner) > 1:
                    raise Unsupported("mehrere Listen in einer Zeile")
                members.append(inner[0])
            aliases = {m: "t" if m == sid else f"u{k}" for k, m in enumerate(members)}
            depth = self.model.scopes[sid].depth

            def held_in(key: str, members: list[str] = members, aliases: dict[str, str] = aliases,
                        depth: int = depth) -> exp.Expr:
                """The key column as the table of the member whose position it is holds it."""
                level = 0 if key == "_c" else int(key[2:])
                return exp.column(key, aliases[members[max(level - depth, 0)]])

            keys = [held_in(k) for k in key_columns(self.model, members[-1])]
            cols_sql: list[exp.Expr] = []
            for member in members:
                alias = aliases[member]
                values = {key: self.staged_input(member, key, column, inp.type, alias)
                          for key, (column, inp) in self.inputs[member].items()}
                cols_sql.extend(value if isinstance(value, exp.Column) else _as(value, column)
                                for value, (column, _inp) in zip(values.values(), self.inputs[member].values(),
                                                                 strict=True))
                for key, (column, _inp) in self.inputs[member].items():
                    if (member, key) in self.divisors and self.meta[member][key].kind == c.TypeKind.ZAHL:
                        held = self.guarded[(sid, column)] = self.fresh("h")
                        # (over the denominator the plan carries the input over: see staged_input)
                        cols_sql.append(_as(_guard(values[key].copy()), held))
            if sid == "":
                cols_sql.append(exp.column("_date", "t"))
            query = exp.select(*keys, *cols_sql, _as(FALSE, "_flag"),
                               _as(exp.Literal.number(0), "_warnungen")).from_(
                exp.to_table(self.staged[sid]).as_("t"))
            for parent, member in zip(members, members[1:], strict=False):
                on = _all([exp.EQ(this=held_in(k), expression=exp.column(k, aliases[member]))
                           for k in key_columns(self.model, parent)])
                query = query.join(exp.to_table(self.staged[member]).as_(aliases[member]), on=on, join_type="inner")
            name = self.fresh("s")
            self.steps.append(Step(name, sid, query, tuple(self.staged[m] for m in members)))
            self.state[sid] = name

    def staged_input(self, scope: str, key: str, column: str, vtype: c.ValueType, alias: str) -> exp.Expr:
        """The first step's value of a staged input (its column, or an expression the caller names
        as the column): as staged, or a number of a choice set over
        the least common multiple of its choices' denominators (staged over ``10^IN_SCALE``; a
        staged value is one of the choices, so the division is exact) — a smaller denominator and
        bound keep what is computed from it exact longer (a divisor among them: a small row factor)."""
        col = exp.column(column, alias)
        meta = self.meta[scope][key]
        if meta.kind != c.TypeKind.ZAHL or meta.den == 1 or not vtype.choices:
            return col
        den = 1
        for choice in vtype.choices:
            d = Fraction(choice).denominator
            if meta.den % d == 0:  # (a choice the staging scale does not hold is never staged)
                den = math.lcm(den, d)
        if den == meta.den:
            return col
        self.meta[scope][key] = attrs.evolve(meta, den=den)
        return _idiv(col, _small(meta.den // den))

    # ---- batches ----

    def open(self, scope: str, reads: set[tuple[str, str]]) -> _Batch:
        batch = self.batch
        home = self.home(scope)
        if batch is not None and (batch.scope != home or not reads.isdisjoint(batch.keys)):
            self.flush()
            batch = None
        if batch is None:
            batch = self.batch = _Batch(home)
        return batch

    def flush(self) -> None:
        batch = self.batch
        if batch is None:
            return
        self.batch = None
        sid = batch.scope
        source = self.state[sid]
        flag: exp.Expr = exp.column("_flag", "t")
        if batch.flags:
            flag = _any([flag, *[_doubt(f) for f in batch.flags]])
        # copy=False: the builders would copy the whole query at each call (the items are fresh trees)
        query = exp.select(_row_star(), *batch.items, _as(flag, "_flag"), copy=False)
        if batch.warnings:
            count: exp.Expr = exp.column("_warnungen", "t")
            for fired in batch.warnings:  # (one that fails is NULL: its flag sends the row to the scalar backend)
                count = _add(count, exp.Cast(this=_tried(fired, FALSE), to=INTEGER.copy()))
            query.expressions[0] = _row_star("_warnungen")
            query = query.select(_as(count, "_warnungen"), copy=False)
        query = query.from_(exp.to_table(source).as_("t"), copy=False)
        for alias, table, on in batch.joins:
            query = query.join(table.as_(alias) if isinstance(table, exp.Table) else table, on=on, join_type="left",
                               copy=False)
        name = self.fresh("s")
        self.steps.append(Step(name, sid, query, (source, *sorted(batch.reads))))
        self.state[sid] = name
        if self.wide_budget is not None:
            self.wide_found += self.wide.count(query)
            if self.wide_found > self.wide_budget:
                raise _TooWide
        for (scope, key), meta in batch.metas.items():
            self.meta[scope][key] = meta
            self.wide.known(meta)

    # ---- nodes ----

    def node(self, node: c.Node) -> None:
        reads = {(r.scope, r.key) for r in _refs_of(node)}
        batch = self.open(node.scope, reads)
        ctx = _Ctx(self, batch, node.scope, "t")
        if isinstance(node, c.ValueNode):
            value = ctx.expr(node.expr)
            self.store(batch, node, value)
            if isinstance(value, Num) and (node.type.low is not None or node.type.high is not None):
                low, high = node.type.low, node.type.high
                conds = []
                if low is not None:
                    conds.append(ctx.compare("<", value, ctx.const_num(Fraction(low))))
                if high is not None:
                    conds.append(ctx.compare(">", value, ctx.const_num(Fraction(high))))
                batch.flags.append(_any([x.sql for x in conds]))
        elif isinstance(node, c.CorridorLevelNode):
            subject = ctx.number(node.subject)
            whens: list[tuple[exp.Expr, exp.Expr]] = []
            for band in node.bands:
                tests: list[exp.Expr] = []
                if band.lower is not None:
                    lower = ctx.number(band.lower)
                    tests.append(ctx.compare(">=" if band.lower_inclusive else ">", subject, lower).sql)
                if band.upper is not None:
                    upper = ctx.number(band.upper)
                    tests.append(ctx.compare("<=" if band.upper_inclusive else "<", subject, upper).sql)
                level_sql: exp.Expr = exp.Literal.number(band.level)
                whens.append((_all(tests), level_sql))
            level = _null_if_any([subject.sql], _case(*whens)) if whens else exp.Null()
            self.store(batch, node, Other(level, c.TypeKind.ENUM))
        elif isinstance(node, c.ExpressionLevelNode):
            assert node.type.enum is not None
            levels = sorted(int(m.key) for m in node.type.enum.members)
            value = ctx.expr(node.expr)
            if isinstance(value, Num):
                value = ctx.plain(value)
                whole = exp.EQ(this=exp.Mod(this=_p(value.sql), expression=_small(value.den)),
                               expression=exp.Literal.number(0))
                as_int = _idiv(value.sql, _small(value.den))
                if value.err:
                    raise Unsupported("Stufenregel mit gerundetem Wert")
                member = exp.In(this=_p(as_int), expressions=[exp.Literal.number(v) for v in levels])
                level = _case((exp.And(this=_p(whole), expression=_p(member)),
                               exp.Cast(this=_p(as_int), to=INTEGER.copy())))
            else:
                level = _case((exp.In(this=_p(value.sql), expressions=[exp.Literal.number(v) for v in levels]),
                               value.sql))
            self.store(batch, node, Other(level, c.TypeKind.ENUM))
        elif isinstance(node, c.GrantedLevelNode):
            granted = ctx.column_value(node.scope, f"{node.package}.bewilligte_stufe")
            computed = ctx.column_value(node.scope, f"{node.package}.berechnete_stufe")
            self.store(batch, node, Other(_fn("coalesce", granted.sql, computed.sql), c.TypeKind.ENUM))
        elif isinstance(node, c.CheckNode):
            test = ctx.expr(node.expr)
            if node.kind == c.NodeKind.PRUEFUNG:
                # a failed prüfung goes to the scalar backend: one whose test is NULL (a fault) flags
                # the row; one whose test is false is a column of its own, which the last step of
                # the scope adds to the flag (see finish: ``_sicher``, a row that certainly fails)
                batch.flags.append(exp.Is(this=_p(test.sql.copy()), expression=exp.Null()))
                column = self.fresh("f")
                failed = exp.Not(this=_p(_fn("coalesce", test.sql, exp.Boolean(this=True))))
                batch.items.append(_as(_tried(failed, FALSE), column))
                self.failing[node.scope].append(column)
                words = ctx.words(node)
                if words is not None:  # the message where it fails (see finish: ``_meldung``)
                    message = self.fresh("m")
                    batch.items.append(_as(_case((_tried(failed.copy(), FALSE), words)), message))
                    self.worded[node.scope].append(message)
            else:
                # a warnung is counted (its text: the case evaluated alone); one that faults flags the row
                fired = exp.Not(this=_p(_fn("coalesce", test.sql, FALSE)))
                batch.warnings.append(fired)
                batch.flags.append(exp.Is(this=_p(test.sql.copy()), expression=exp.Null()))
        else:  # pragma: no cover
            raise Unsupported(type(node).__name__)

    def store(self, batch: _Batch, node: c.Node, value: Value) -> None:
        """The value of ``node`` as a new column of the batch, in ``TRY(…)``: an overflow or a
        division by zero is NULL; a NULL value flags the row (in the plan's last step)."""
        column = self.fresh("v")
        sql = value.sql
        if isinstance(value, Num):
            sql = exp.Cast(this=_p(sql), to=int_type(numerator_bound(value)))
            rows: list[tuple[str, str, int, bool]] = []
            rden = None
            for factor in value.rows:
                if factor.column is None:  # an expression of this row: stored beside the value
                    held = self.fresh("r")
                    batch.items.append(_as(_fn("try", factor.sql), held))
                    rows.append((batch.scope, held, factor.bound, True))
                else:
                    rows.append((factor.scope, factor.column, factor.bound, factor.guarded))
            if any(scope != batch.scope for scope, _column, _bound, _guarded in rows):
                # the row denominator's product for the result (of another scope's factors: held here, once)
                held_key = (batch.scope, _keys(value.rows))
                rden = self.rdens.get(held_key)
                if rden is None:
                    rden = self.rdens[held_key] = self.fresh("d")
                    product, product_bound = _product(value.rows)
                    batch.items.append(_as(
                        _fn("try", exp.Cast(this=_p(product), to=int_type(product_bound))), rden))
            meta = Meta(column, c.TypeKind.ZAHL, value.den, value.bound, value.err,
                        numerator_bound(value) if value.rows else None, tuple(rows), rden)
            if (node.scope, node.key) in self.divisors and not value.rows and not value.err:
                held = self.guarded[(batch.scope, column)] = self.fresh("h")
                batch.items.append(_as(_fn("try", _guard(sql.copy())), held))
        else:
            meta = Meta(column, value.kind if node.type.kind != c.TypeKind.ENUM else c.TypeKind.ENUM)
        # (any value in TRY: an overflow, say in a comparison of two values over row denominators, is
        # NULL, which flags the row — it never stops the query)
        batch.items.append(_as(_fn("try", sql), column))
        batch.metas[(node.scope, node.key)] = meta
        batch.keys.add((node.scope, node.key))

    def finish(self) -> None:
        """Close the plan: per scope a step converting every value to its result type (in
        ``TRY(…)``) and flagging a NULL value, and a last step holding only the keys, the flag and
        the results (named by the rule language's keys)."""
        self.flush()
        computed = dict(self.state)  # each table's last step (a merged list's: its parent's)
        self.shared = {sid: computed[sid] for sid in computed
                       if any(self.home(s) == sid for s in self.merged)}
        for sid in self.model.scopes:
            source = computed[self.home(sid)]
            # a merged list's warnings are counted in its parent's row
            warnings: exp.Expr = exp.column("_warnungen", "t") if self.home(sid) == sid else \
                _as(exp.Literal.number(0), "_warnungen")
            converted: list[exp.Expr] = []
            nulls: list[exp.Expr] = [exp.column("_flag", "t")]
            outs: list[exp.Expr] = []
            # results in the model's order (the steps compute them in the order of _schedule)
            rank = {self.model.nodes[n].key: i for i, n in enumerate(self.model.order)
                    if self.model.nodes[n].scope == sid}
            ordered = sorted(((k, m) for k, m in self.meta[sid].items() if k not in self.inputs[sid]),
                             key=lambda item: rank.get(item[0], -1))
            for key, meta in ordered:
                col = exp.column(meta.column, "t")
                nulls.append(exp.Is(this=col, expression=exp.Null()))
                sql: exp.Expr = col
                if meta.kind == c.TypeKind.ZAHL:
                    rows = None
                    if meta.rows:
                        factors = _sorted([RowFactor(f"{scope}/{column}", exp.column(column, "t") if guarded
                                                     else _guard(exp.column(column, "t")), bound, scope, column)
                                           for scope, column, bound, guarded in meta.rows])
                        rows = _product(factors)
                        if meta.rden is not None:
                            rows = (exp.column(meta.rden, "t"), rows[1])
                    sql = decimal_out(col, meta.den, numerator_bound(meta), rows)[0]
                name = self.fresh("o")
                converted.append(_as(_fn("try", sql) if meta.kind == c.TypeKind.ZAHL else sql, name))
                nulls.append(exp.Is(this=exp.column(name, "t"), expression=exp.Null()))
                outs.append(_as(exp.column(name, "t"), key, quoted=True))
                self.outputs[sid].append(Output(key, meta.kind, exp.column(name)))
            keys = [exp.column(k, "t") for k in key_columns(self.model, sid)]
            failing = _any([exp.column(f, "t") for f in self.failing[sid]]) if self.failing[sid] else FALSE.copy()
            first = exp.select(*keys, *converted, _as(_any(nulls[:1]), "_flag"), warnings,
                               _as(failing, "_fehler"), *self.failures(sid), copy=False)
            # the NULL tests read the converted columns: a second step evaluates them
            first = first.from_(exp.to_table(source).as_("t"), copy=False)
            source_cols = [exp.column(meta.column, "t") for key, meta in self.meta[sid].items()
                           if key not in self.inputs[sid]]
            first.expressions[len(keys) + len(converted)] = _as(
                _any([exp.column("_flag", "t"), *[exp.Is(this=col, expression=exp.Null()) for col in source_cols]]),
                "_flag")
            name = self.fresh("s")
            self.steps.append(Step(name, sid, first, (source,)))
            out_nulls = [exp.Is(this=exp.column(o.sql.name, "t"), expression=exp.Null()) for o in self.outputs[sid]]
            unsure = _any([exp.column("_flag", "t"), *out_nulls])
            last = exp.select(*keys, _as(exp.Or(this=_p(unsure), expression=exp.column("_fehler", "t")), "_flag"),
                              exp.column("_warnungen", "t"),
                              _as(exp.And(this=exp.column("_fehler", "t"), expression=exp.Not(this=_p(unsure.copy()))),
                                  "_sicher"), *[exp.column(name, "t") for name in FAILURE_COLUMNS], *outs)
            last = last.from_(exp.to_table(name).as_("t"), copy=False)
            final = self.fresh("s")
            self.steps.append(Step(final, sid, last, (name,)))
            self.state[sid] = final


    def scale(self, e: c.Expr) -> int | None:
        """How many fractional digits every value of ``e`` has at most, where the scalar backend
        computes it exactly (see :func:`_decimal_scale`); None where that is not proven."""
        if self.symbols is None:
            self.symbols = ModelSymbols(self.model, self.parameters, self.tables)
        return _decimal_scale(e, self.symbols, self.scales)

    def failures(self, sid: str) -> list[exp.Expr]:
        """The columns :data:`FAILURE_COLUMNS` of scope ``sid``'s row (its step before the last):
        how many of its ``prüfung`` are exactly false, and where one is, its message and path
        (NULL where the plan cannot word it, see :meth:`_Ctx.words`)."""
        count: exp.Expr = exp.Literal.number(0)
        for column in self.failing[sid]:
            count = exp.Add(this=count, expression=_case((exp.column(column, "t"), exp.Literal.number(1)),
                                                         default=exp.Literal.number(0)))
        worded = [exp.column(column, "t") for column in self.worded[sid]]
        message: exp.Expr = (worded[0] if len(worded) == 1 else _fn("coalesce", *worded)) if worded else exp.Null()
        path: exp.Expr = exp.Literal.string("$")
        chain: list[str] = []
        scope: str | None = sid
        while scope:
            chain.append(scope)
            scope = self.model.scopes[scope].parent
        for depth, listed in enumerate(reversed(chain), start=1):
            path = exp.DPipe(this=exp.DPipe(this=path, expression=exp.Literal.string(
                f".{self.model.scopes[listed].name}[")), expression=exp.Cast(
                this=exp.column(f"_i{depth}", "t"), to=VARCHAR.copy()))
            path = exp.DPipe(this=path, expression=exp.Literal.string("]"))
        message = exp.Cast(this=_p(message), to=VARCHAR.copy())
        return [_as(exp.Cast(this=_p(count), to=INTEGER.copy()), FAILURE_COLUMNS[0]),
                _as(message, FAILURE_COLUMNS[1]),
                _as(_case((exp.Not(this=exp.Is(this=_p(message.copy()), expression=exp.Null())), path)),
                    FAILURE_COLUMNS[2])]


SCALAR_DIGITS: int = c.DECIMAL_CONTEXT.prec
"""The significant digits of the scalar backend's decimal arithmetic (its rounding beyond them)."""


def _decimal_scale(e: c.Expr, symbols: ModelSymbols, memo: dict[str, int | None]) -> int | None:
    """A number of fractional digits every value of ``e`` has at most, where the scalar backend's
    value of ``e`` is its exact value in every case the plan is certain of; None where that is not
    proven. Its decimal arithmetic rounds a result to :data:`SCALAR_DIGITS` significant digits (a
    case decided again exactly has its message's values rounded to them too), so a value is exact
    where each operand and result has no more: a constant or parameter of at most that many
    digits, a position, ``anzahl``, an input whose bound in the plan (its declared range, else
    :data:`IN_BOUND`; at most :data:`IN_SCALE` fractional digits, else the case is the scalar
    backend's) leaves room for them; a negation, sum, difference, product, a division by a
    constant 2^a·5^b, ``summe``, ``min``/``max`` or choice (``wenn``) of such values whose domain
    bounds it below 10^(28 − its fractional digits). Not ``x / 3 * 3`` (1 / 3 has no end), a
    product that may pass 28 digits, a unit conversion (``als``), ``runde`` or a table's value."""
    if isinstance(e, c.Const):
        return _digits_of(e.value)
    if isinstance(e, c.Position):
        return 0
    if isinstance(e, c.Ref):
        if e.kind == c.RefKind.EINGABE:  # (its bound: the plan's, beyond which a case is the scalar backend's)
            digits = 0 if e.type.integer else IN_SCALE
            return digits if _input_meta("", e.type).bound * 10**digits < 10**SCALAR_DIGITS else None
        if e.kind == c.RefKind.PARAMETER:
            spec = symbols.parameters.get(e.symbol)
            return None if spec is None else _digits_of(spec.default)
        if e.symbol not in memo:
            memo[e.symbol] = None  # (a cycle is no proof)
            expr = symbols.value_ir.get(e.symbol)
            memo[e.symbol] = None if expr is None else _decimal_scale(expr, symbols, memo)
        return memo[e.symbol]
    parts: list[c.Expr]
    if isinstance(e, c.Unary) and e.op == "-":
        inner = _decimal_scale(e.operand, symbols, memo)
        return None if inner is None else _fits(e, inner, symbols)
    if isinstance(e, c.Cond):
        parts = [e.then, e.otherwise]
    elif isinstance(e, c.Func) and e.name in ("min", "max"):
        parts = list(e.args)
    elif isinstance(e, c.Aggregate) and e.function == "anzahl":
        return 0
    elif isinstance(e, c.Aggregate) and e.function == "summe" and e.value is not None:
        inner = _decimal_scale(e.value, symbols, memo)
        # (each partial sum is at most the whole: domain_of bounds a summe only of elements ≥ 0)
        return None if inner is None else _fits(e, inner, symbols)
    elif isinstance(e, c.Arith) and e.type.kind == c.TypeKind.ZAHL and e.op in ("+", "-", "*", "/"):
        left = _decimal_scale(e.left, symbols, memo)
        if left is None:
            return None
        if e.op == "/":
            divisor = e.right.value if isinstance(e.right, c.Const) else None
            if isinstance(divisor, bool) or not isinstance(divisor, (int, Decimal)) or divisor == 0:
                return None
            places = _digits((Fraction(1) / Fraction(divisor)).denominator)  # (2^a·5^b: max(a, b))
            return None if places is None else _fits(e, left + places, symbols)
        right = _decimal_scale(e.right, symbols, memo)
        if right is None:
            return None
        return _fits(e, left + right if e.op == "*" else max(left, right), symbols)
    else:
        return None
    scales = [_decimal_scale(part, symbols, memo) for part in parts]
    return None if any(s is None for s in scales) else _fits(e, max(s for s in scales if s is not None), symbols)


def _digits_of(number: object) -> int | None:
    """The fractional digits of ``number`` (None: not a number, or beyond the scalar backend's digits)."""
    if isinstance(number, bool) or not isinstance(number, (int, Decimal)):
        return None
    value = Decimal(number)
    if not value.is_finite():
        return None
    _sign, digits, exponent = value.as_tuple()  # (no arithmetic: a context would round it first)
    assert isinstance(exponent, int)
    figures = "".join(map(str, digits)).lstrip("0")
    while figures.endswith("0") and exponent < 0:
        figures, exponent = figures[:-1], exponent + 1
    fractional = max(0, -exponent)
    return fractional if len(figures) + max(0, exponent) <= SCALAR_DIGITS else None


def _fits(e: c.Expr, digits: int, symbols: ModelSymbols) -> int | None:
    """``digits`` where every value of ``e`` (its domain) with as many fractional digits has at
    most :data:`SCALAR_DIGITS` significant ones, else None."""
    if digits > SCALAR_DIGITS:
        return None
    limit = Decimal(10) ** (SCALAR_DIGITS - digits)
    return digits if _bounded(domain_of(e, symbols), limit) else None


def _text_of(value: Value, vtype: c.ValueType) -> exp.Expr | None:
    """``value`` (of type ``vtype``) as text exactly as :func:`~teilhabe_rules.ir.text.quantity_text`
    shows it, or NULL in a row where it may not be (see :meth:`_Ctx.words`); None for a kind not worded here."""
    if isinstance(value, Num):
        if vtype.kind != c.TypeKind.ZAHL or value.rows or value.err or vtype.unit.percent:
            return None
        # the plan words a whole number as its digits followed by what quantity_text writes after
        # them (its unit); a type whose numbers quantity_text writes otherwise is not worded here
        sample, one = quantity_text(Decimal(7), vtype), quantity_text(Decimal(1), vtype)
        if not sample.startswith("7") or sample[1:2].isdigit() or not one.startswith("1") or one[1:2].isdigit():
            return None
        text: exp.Expr = exp.Cast(this=_p(value.sql if value.den == 1 else _idiv(value.sql, _small(value.den))),
                                  to=VARCHAR.copy())
        if value.den != 1:
            whole = exp.EQ(this=exp.Mod(this=_p(value.sql.copy()), expression=_small(value.den)),
                           expression=exp.Literal.number(0))
            text = _case((whole, text))
        if one[1:] != sample[1:]:  # a unit in the singular after one and minus one (1 Tag, -1 Tag, 2 Tage)
            ones = exp.In(this=text.copy(), expressions=[exp.Literal.string("1"), exp.Literal.string("-1")])
            return exp.DPipe(this=text, expression=_case((ones, exp.Literal.string(one[1:])),
                                                         default=exp.Literal.string(sample[1:])))
        return exp.DPipe(this=text, expression=exp.Literal.string(sample[1:])) if sample[1:] else text
    if value.kind == c.TypeKind.TEXT and vtype.kind == c.TypeKind.TEXT:
        # quantity_text strips white space at either end (str.strip): such a text is the scalar's to word
        ends = [exp.Literal.string(ch) for ch in WHITE_SPACE]
        clean = exp.and_(*[exp.Not(this=exp.In(this=_fn(side, value.sql.copy(), exp.Literal.number(1)),
                                               expressions=[e.copy() for e in ends]))
                           for side in ("left", "right")])
        return _case((clean, value.sql))
    if value.kind == c.TypeKind.JA_NEIN and vtype.kind == c.TypeKind.JA_NEIN:
        return _case((_p(value.sql), exp.Literal.string(quantity_text(True, vtype))),
                     (exp.Not(this=_p(value.sql.copy())), exp.Literal.string(quantity_text(False, vtype))))
    return None


FAILURE_COLUMNS = ("_fehlerzahl", "_meldung", "_pfad")
"""The columns of each scope's last step beside ``_sicher``: how many ``prüfung`` of the row are
exactly false, and the message and path of such a one where the plan words it, NULL elsewhere.
The plan words a message where each value it shows is written as
:func:`~teilhabe_rules.ir.text.quantity_text` writes it: a whole number with its unit, a text
without white space at either end (which ``quantity_text`` strips), ja/nein, a position — not a
level, date, ratio, share in %, parameter, a number that is not whole, nor one the scalar
backend's 28 digits may hold only rounded (``x / 3 * 3``, a product past 28 digits: see
:func:`_decimal_scale`), whose digits follow the scalar arithmetic. Read for a case of exactly
one failure (``_fehlerzahl`` summed over its tree, see
:func:`~teilhabe_rules.columnar.batch.execute_plan`)."""


class _Ctx:
    """Compiles expressions of scope ``scope`` whose row is ``alias`` into ``batch`` (joins of
    enclosing scopes and aggregates, flag conditions)."""

    def __init__(self, comp: _Compiler, batch: _Batch, scope: str, alias: str,
                 joins: list[tuple[str, exp.Expr, exp.Expr]] | None = None,
                 ancestors: dict[str, str] | None = None, flags: list[exp.Expr] | None = None):
        self.comp = comp
        self.batch = batch
        self.scope = scope
        self.alias = alias
        self.joins = batch.joins if joins is None else joins
        self.ancestors = batch.ancestors if ancestors is None else ancestors
        self.flags = batch.flags if flags is None else flags
        self.model = comp.model

    def alias_of(self, scope: str) -> str:
        """The alias of the row holding ``scope``'s values: this row, or an enclosing table's joined."""
        home = self.comp.home(scope)
        return self.alias if home == self.comp.home(self.scope) else self.ancestor(home)

    # ---- values ----

    def words(self, node: c.CheckNode) -> exp.Expr | None:
        """The text of ``node``'s message as the scalar backend words it (each value as
        :func:`~teilhabe_rules.ir.text.quantity_text` shows it), as a VARCHAR: None where a part
        is not a value or input of the case, or of a kind worded only there (a level, a date, a
        ratio, a share in %), or a number the scalar backend may hold only rounded (no
        :meth:`_Compiler.scale` proven); NULL in a row where a value's text is not this one (a number that is
        not whole, whose digits depend on the scalar arithmetic; a text with white space at
        either end). A NULL or None sends the case's failure to the scalar backend for its message."""
        pieces: list[exp.Expr] = []
        for part in node.message:
            if isinstance(part, str):
                pieces.append(exp.Literal.string(part))
                continue
            if not (isinstance(part, c.Position) or (isinstance(part, c.Ref) and part.kind != c.RefKind.PARAMETER)):
                return None
            if part.type.kind == c.TypeKind.ZAHL and self.comp.scale(part) is None:
                return None  # the scalar backend's digits of it may not be its exact value
            try:
                piece = _text_of(self.expr(part), part.type)
            except Unsupported:
                return None
            if piece is None:
                return None
            pieces.append(piece)
        if not pieces:
            return exp.Literal.string("")
        return functools.reduce(lambda a, b: exp.DPipe(this=a, expression=b), pieces)

    def const_num(self, value: Fraction) -> Num:
        return Num(_small(value.numerator) if abs(value.numerator) < 2**62 else _int(value.numerator),
                   value.denominator, abs(value), Fraction(0), value)

    def const(self, value: Any, vtype: c.ValueType) -> Value:
        if vtype.kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL):
            return self.const_num(_fraction(value))
        return Other(_literal(value, vtype.kind), vtype.kind, value, True)

    def number(self, ir: c.Expr) -> Num:
        value = self.expr(ir)
        if isinstance(value, Num):
            return value
        if value.kind == c.TypeKind.ENUM:  # a level or numeric member read as a number
            if value.has_const:
                return self.const_num(_fraction(value.const))
            keys = [int(m.key) for m in ir.type.enum.members] if ir.type.enum is not None else [0]
            return Num(exp.Cast(this=_p(value.sql), to=BIGINT.copy()), 1, Fraction(max(abs(k) for k in keys)))
        raise Unsupported(f"{value.kind} als Zahl")

    def expr(self, ir: c.Expr) -> Value:
        method = getattr(self, "_e_" + type(ir).__name__)
        result: Value = method(ir)
        return result

    def column_value(self, scope: str, key: str) -> Value:
        """The value ``key`` of ``scope`` (this scope, or an enclosing one through a join)."""
        meta = self.comp.meta[scope].get(key)
        if meta is None:
            raise Unsupported(f"„{key}“ ist noch nicht berechnet")
        alias = self.alias_of(scope)
        self.comp.record(alias, meta.column)
        col = exp.column(meta.column, alias)
        if meta.kind == c.TypeKind.ZAHL:
            if meta.rows:
                factors = _sorted([self.read_factor(*row) for row in meta.rows])
                return Num(col, meta.den, meta.bound, meta.err, rows=factors, top=meta.top)
            return Num(col, meta.den, meta.bound, meta.err,
                       ref=None if meta.err else (self.comp.home(scope), meta.column))
        return Other(col, meta.kind)

    def read_factor(self, scope: str, column: str, bound: int, guarded: bool) -> RowFactor:
        """The factor of a row denominator held by ``column`` of ``scope`` (this scope or an enclosing one)."""
        alias = self.alias_of(scope)
        self.comp.record(alias, column)
        sql = exp.column(column, alias)
        home = self.comp.home(scope)
        return RowFactor(f"{home}/{column}", sql if guarded else _guard(sql), bound, home, column, guarded)

    def encloses(self, scope: str) -> bool:
        """``scope`` is this scope or one enclosing it."""
        current: str | None = self.scope
        while current is not None:
            if current == scope:
                return True
            current = self.model.scopes[current].parent
        return False

    def ancestor(self, scope: str) -> str:
        scope = self.comp.home(scope)
        alias = self.ancestors.get(scope)
        if alias is None:
            alias = self.comp.fresh("p")
            table = self.comp.narrow_of(scope, alias).name
            keys = key_columns(self.model, scope)
            on = _all([exp.EQ(this=exp.column(k, self.alias), expression=exp.column(k, alias)) for k in keys])
            self.joins.append((alias, exp.to_table(table), on))
            self.batch.reads.append(table)
            self.ancestors[scope] = alias
        return alias

    def _e_Const(self, ir: c.Const) -> Value:
        return self.const(ir.value, ir.type)

    def _e_Ref(self, ir: c.Ref) -> Value:
        if ir.kind == c.RefKind.PARAMETER:
            if ir.symbol not in self.comp.parameters:
                raise Unsupported(f"Parameter „{ir.key}“ ohne Wert")
            return self.const(self.comp.parameters[ir.symbol], ir.type)
        return self.column_value(ir.scope, ir.key)

    def _e_Position(self, ir: c.Position) -> Value:
        depth = self.model.scopes[ir.scope].depth
        alias = self.alias_of(ir.scope)
        if alias != self.alias and self.comp.home(ir.scope) != ir.scope:
            self.comp.record(alias, f"_i{depth}")  # a merged list's position, in its parent's row
        spec = self.model.scopes[ir.scope]
        bound = Fraction(spec.max_count if spec.max_count is not None else LIST_BOUND)
        return Num(exp.Cast(this=exp.column(f"_i{depth}", alias), to=BIGINT.copy()), 1, bound)

    def _e_Previous(self, ir: c.Previous) -> Value:
        """The previous element's value: a join of the list's state on the same parent and the
        position before (no row on the first element: NULL, as the scalar backend faults) — not
        ``LAG``, which DuckDB refuses inside the ``TRY(…)`` around a rule's number."""
        if ir.ref.scope != self.scope:
            raise Unsupported("vorher in einer anderen Liste")
        scope = ir.ref.scope
        if self.comp.meta[scope].get(ir.ref.key) is None:
            raise Unsupported(f"„{ir.ref.key}“ ist noch nicht berechnet")
        keys = key_columns(self.model, scope)
        alias = self.comp.fresh("w")
        table = self.comp.narrow_of(scope, alias).name
        on = _all([*[exp.EQ(this=exp.column(k, self.alias), expression=exp.column(k, alias)) for k in keys[:-1]],
                   exp.EQ(this=exp.column(keys[-1], alias),
                          expression=exp.Sub(this=exp.column(keys[-1], self.alias), expression=exp.Literal.number(1)))])
        self.joins.append((alias, exp.to_table(table), on))
        self.batch.reads.append(table)
        # the previous row read as this scope's row: its enclosing scopes joined on its own keys
        previous = _Ctx(self.comp, self.batch, scope, alias, self.joins, {}, self.flags)
        current = previous.column_value(scope, ir.ref.key)
        if isinstance(current, Num) and any(f.scope == self.comp.home(scope) for f in current.rows):
            current = previous.plain(current)  # a factor of the element: named as this element's factor
        if isinstance(current, Num):
            return attrs.evolve(current, ref=None)
        return current

    def _e_Granted(self, ir: c.Granted) -> Value:
        granted = self.column_value(ir.ref.scope, ir.ref.key)
        return Other(exp.Not(this=_p(exp.Is(this=_p(granted.sql), expression=exp.Null()))), c.TypeKind.JA_NEIN)

    def _e_Unary(self, ir: c.Unary) -> Value:
        if ir.op == "nicht":
            operand = self.expr(ir.operand)
            if isinstance(operand, Other) and operand.has_const:
                flipped = not operand.const
                return Other(_literal(flipped, c.TypeKind.JA_NEIN), c.TypeKind.JA_NEIN, flipped, True)
            return Other(exp.Not(this=_p(operand.sql)), c.TypeKind.JA_NEIN)
        num = self.number(ir.operand)
        if num.const is not None:
            return self.const_num(-num.const)
        return attrs.evolve(num, sql=exp.Neg(this=_p(num.sql)), ref=None)

    def _e_Arith(self, ir: c.Arith) -> Value:
        if ir.type.kind == c.TypeKind.DATUM:
            date = self.expr(ir.left)
            days = self.plain(self.number(ir.right))
            if days.err:
                raise Unsupported("Datum plus gerundete Tage")
            whole = exp.EQ(this=exp.Mod(this=_p(days.sql), expression=_small(days.den)),
                           expression=exp.Literal.number(0))
            count: exp.Expr = exp.Cast(this=_p(_idiv(days.sql, _small(days.den))), to=INTEGER.copy())
            if ir.op == "-":
                count = exp.Neg(this=_p(count))
            shifted = exp.Add(this=_p(date.sql), expression=_p(count))
            return Other(_case((whole, _dated(shifted))), c.TypeKind.DATUM)
        left, right = self.number(ir.left), self.number(ir.right)
        if ir.op in ("+", "-"):
            return self.add(left, right, ir.op)
        if ir.op == "*":
            return self.mul(left, right)
        return self.div(left, right)

    def _e_KeyApply(self, ir: c.KeyApply) -> Value:
        return self.div(self.number(ir.count), self.number(ir.key))

    def _e_Convert(self, ir: c.Convert) -> Value:
        return self.mul(self.number(ir.operand), self.const_num(Fraction(ir.factor)))

    # ---- arithmetic ----

    def rescale(self, num: Num, den: int) -> Num:
        """``num`` over ``den`` (exact where ``den`` is a multiple of its denominator, else rounded
        half up, with half a unit of error more); a row denominator stays."""
        if num.den == den:
            return num
        if num.const is not None:
            scaled = num.const * den
            if scaled.denominator == 1:
                return Num(_small(int(scaled)), den, num.bound, num.err, num.const)
        top = numerator_bound(num)
        if den % num.den == 0:
            factor = den // num.den
            return Num(_mul(num.sql, factor, top), den, num.bound, num.err, num.const, num.rows,
                       top * factor if num.rows else None)
        ratio = Fraction(den, num.den)
        # over a row denominator R ≥ 1 the rounding's error is at most 1/(2·den·R) ≤ 1/(2·den)
        return Num(_round_half_up(num.sql, ratio.numerator, ratio.denominator, top), den, num.bound,
                   num.err + Fraction(1, 2 * den), None, num.rows, top * ratio + 1 if num.rows else None)

    def normal(self, num: Num) -> Num:
        """A denominator above MAX_DEN is rescaled to fixed point."""
        if num.den > MAX_DEN:
            if num.const is not None:
                return self.const_num(num.const)
            return self.rescale(num, MAX_DEN)
        return num

    def plain(self, num: Num) -> Num:
        """``num`` without a row denominator: fixed point over MAX_DEN, rounded half up (half a
        unit of error more)."""
        if not num.rows:
            return num
        product, product_bound = _product(num.rows)
        sql = _fixed_rows(num.sql, num.den, numerator_bound(num), (product, product_bound))
        return Num(sql, MAX_DEN, num.bound, num.err + Fraction(1, 2 * MAX_DEN))

    def lift(self, num: Num, rows: tuple[RowFactor, ...]) -> Num | None:
        """``num`` over the row denominator ``rows`` (a multiple of its own): the numerator times
        the missing factors; None where its bound would reach the compiler's ``row_limit``."""
        extra = _minus(rows, num.rows)
        if not extra:
            return num
        product, product_bound = _product(extra)
        top = numerator_bound(num) * product_bound
        if top >= self.comp.row_limit:
            return None
        if num.const == 0:
            sql: exp.Expr = exp.Literal.number(0)
        else:
            sql = exp.Mul(this=_p(_wide(num.sql, top)), expression=_p(product))
        return Num(sql, num.den, num.bound, num.err, None, rows, top)

    def unify(self, nums: list[Num]) -> list[Num]:
        """``nums`` over one row denominator (the least common multiple of theirs), or all in
        fixed point where a numerator would grow too large."""
        keys = {_keys(n.rows) for n in nums}
        if len(keys) <= 1:
            return nums
        rows: tuple[RowFactor, ...] = ()
        for n in nums:
            rows = _union(rows, n.rows)
        lifted = [self.lift(n, rows) for n in nums]
        if all(n is not None for n in lifted):
            return [n for n in lifted if n is not None]
        return [self.plain(n) for n in nums]

    def add(self, left: Num, right: Num, op: str) -> Num:
        if left.const is not None and right.const is not None:
            return self.const_num(left.const + right.const if op == "+" else left.const - right.const)
        left, right = self.unify([left, right])
        den = math.lcm(left.den, right.den)
        if den > MAX_DEN:
            den = MAX_DEN
        a, b = self.rescale(left, den), self.rescale(right, den)
        if right.const == 0:
            return a
        top = numerator_bound(a) + numerator_bound(b)
        if a.rows and top >= self.comp.row_limit:
            return self.add(self.plain(left), self.plain(right), op)
        wide = _wide(a.sql, top)
        sql = _add(wide, b.sql) if op == "+" else _sub(wide, b.sql)
        return Num(sql, den, a.bound + b.bound, a.err + b.err, None, a.rows, top if a.rows else None)

    def mul(self, left: Num, right: Num) -> Num:
        if left.const is not None and right.const is not None:
            return self.const_num(left.const * right.const)
        if left.const is not None:
            left, right = right, left
        if right.const is not None:
            k = right.const
            if k == 0:  # zero, but a fault of the other factor stays one (NULL, as the scalar backend stops);
                # a BIGINT, as every numerator (an INTEGER would overflow what is added to it)
                return Num(_null_if_any([left.sql], exp.Cast(this=exp.Literal.number(0), to=BIGINT.copy())), 1,
                           Fraction(0))
            return self.normal(Num(_mul(left.sql, k.numerator, numerator_bound(left)), left.den * k.denominator,
                                   left.bound * abs(k), left.err * abs(k), None, left.rows,
                                   numerator_bound(left) * abs(k.numerator) if left.rows else None))
        err = left.bound * right.err + right.bound * left.err + left.err * right.err
        if left.rows or right.rows:
            top = numerator_bound(left) * numerator_bound(right)
            if top < self.comp.row_limit and left.den * right.den <= MAX_DEN:
                sql = exp.Mul(this=_p(_wide(left.sql, top)), expression=_p(right.sql))
                return Num(sql, left.den * right.den, left.bound * right.bound, err, None,
                           _sorted(left.rows + right.rows), top)
            left, right = self.plain(left), self.plain(right)
            err = left.bound * right.err + right.bound * left.err + left.err * right.err
        if left.den * right.den > MAX_DEN:
            left, right = self.balance(left, right)
            err = left.bound * right.err + right.bound * left.err + left.err * right.err
        product = numerator_bound(left) * numerator_bound(right)
        sql = exp.Mul(this=_p(_wide(left.sql, product)), expression=_p(right.sql))
        return self.normal(Num(sql, left.den * right.den, left.bound * right.bound, err))

    def balance(self, left: Num, right: Num) -> tuple[Num, Num]:
        """Both factors over denominators (powers of ten where reduced) whose product keeps the
        product's numerator within 10^36 by the bounds, each factor's error weighted by the
        other's bound."""
        b1, b2 = max(left.bound, Fraction(1)), max(right.bound, Fraction(1))
        budget = Fraction(10**36) / (b1 * b2)
        if left.den * right.den <= budget:
            return left, right
        # dl / dr = b2 / b1 balances b1·(1/dr) and b2·(1/dl)
        target_l = math.isqrt(max(1, int(budget * b2 / b1)))
        dl = min(left.den, 10 ** max(0, len(str(target_l)) - 1))
        dr = min(right.den, 10 ** max(0, len(str(max(1, int(budget / dl)))) - 1))
        if dl * dr > budget:  # pragma: no cover - by construction
            raise Unsupported("Produkt ohne Platz für Nachkommastellen")
        return self.rescale(left, dl), self.rescale(right, dr)

    def factor_of(self, divisor: Num) -> RowFactor:
        """The numerator of an exact divisor as a factor of a row denominator."""
        bound = int(numerator_bound(divisor))
        if divisor.ref is not None:
            scope, column = divisor.ref
            held = self.comp.guarded.get((scope, column))
            if held is not None and isinstance(divisor.sql, exp.Column):  # its copy at least 1, held beside it
                return self.read_factor(scope, held, bound, True)
            return RowFactor(f"{scope}/{column}", _guard(divisor.sql), bound, scope, column)
        return RowFactor("=" + divisor.sql.sql("duckdb"), _guard(divisor.sql), bound, self.comp.home(self.scope))

    def row_div(self, left: Num, right: Num) -> Num | None:
        """``left / right`` exactly, ``right`` exact and a value of the row: (n1/(d1·R1)) / (n2/(d2·R2))
        is n1·d2·R2 over d1·R1·n2 — ``n2`` becomes a factor of the row denominator (a row where it is
        not positive: NULL, as the scalar backend faults on zero; a negative divisor goes to it too).
        None where the numerator's bound would reach the compiler's ``row_limit``."""
        g = math.gcd(left.den, right.den)
        scale = right.den // g
        top = numerator_bound(left) * scale
        for factor in right.rows:
            top *= factor.bound
        if top >= self.comp.row_limit:
            return None
        numerator = _mul(left.sql, scale, numerator_bound(left))
        if right.rows:
            product, _ = _product(right.rows)
            numerator = exp.Mul(this=_p(_wide(numerator, top)), expression=_p(product))
        # NULL where the divisor is not positive: times 1 where it is, NULL where not — no CASE, whose
        # branches DuckDB computes no common part of
        positive = _fn("nullif", _fn("greatest", _sign(right.sql), exp.Literal.number(0)), exp.Literal.number(0))
        numerator = exp.Mul(this=_p(numerator), expression=_p(positive))
        inverse = top / numerator_bound(left)  # d2·R2 over the common factor: |1/right| ≤ this
        return Num(numerator, left.den // g, left.bound * inverse * g, left.err * inverse * g, None,
                   _sorted([*left.rows, self.factor_of(right)]), top)

    def div(self, left: Num, right: Num) -> Num:
        if right.const is not None:
            if right.const == 0:
                return Num(exp.Null(), 1, Fraction(0))  # the scalar backend's division by zero
            if left.const is not None:
                return self.const_num(left.const / right.const)
            k = 1 / right.const
            return self.mul(left, self.const_num(k))
        if right.err:
            raise Unsupported("Division durch einen gerundeten Wert")
        exact = self.row_div(left, right)
        if exact is not None:
            return exact
        if right.rows:
            raise Unsupported("Division ohne Platz für Nachkommastellen")
        left = self.plain(left)
        # a division by a value of the row: fixed point over 10^FIX, rounded half up:
        # (n1/d1) / (n2/d2) · 10^FIX = n1·f / n2 with f = d2·10^FIX/d1 (as a reduced fraction);
        # n1·f must stay within 10^37 by the bounds
        factor = Fraction(right.den * MAX_DEN, left.den)
        room = Fraction(10**37) / (max(left.bound, Fraction(1)) * left.den * factor.numerator)
        if room < 1:
            shrink = 10 ** (len(str(int(1 / room))) + 1)
            if left.den < shrink:
                raise Unsupported("Division ohne Platz für Nachkommastellen")
            left = self.rescale(left, left.den // shrink if left.den % shrink == 0 else MAX_DEN // shrink)
            factor = Fraction(right.den * MAX_DEN, left.den)
        top = numerator_bound(left) * factor.numerator
        bottom = numerator_bound(right) * factor.denominator
        room = 2 * (top + bottom)
        numerator = _mul(_wide(left.sql, room), factor.numerator, 0)
        denominator = _mul(_wide(right.sql, room), factor.denominator, 0)
        # sign(n)·sign(d)·((2|n| + |d|) // 2|d|), NULL where d is 0 (its divisor NULL): no CASE, whose
        # branches DuckDB computes no common part of — the limbs of the division repeat |n| and |d|
        divisor = _fn("nullif", exp.Mul(this=_p(_abs(denominator.copy())), expression=exp.Literal.number(2)),
                      exp.Literal.number(0))
        mag = _quot(_add(exp.Mul(this=_p(_abs(numerator.copy())), expression=exp.Literal.number(2)),
                         _abs(denominator.copy())), divisor, 2 * top + bottom, 2 * bottom, signed=False)
        sql = _signed(numerator, _signed(denominator, mag))
        bound = left.bound * right.den
        return Num(sql, MAX_DEN, bound, left.err * right.den + Fraction(1, 2 * MAX_DEN))

    # ---- comparisons and logic ----

    _SQL_CMP = {"=": exp.EQ, "<>": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
    _PY_CMP = {"=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b,
               "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}

    def compare(self, op: str, left: Num, right: Num) -> Other:
        if left.const is not None and right.const is not None:
            value = bool(self._PY_CMP[op](left.const, right.const))
            return Other(_literal(value, c.TypeKind.JA_NEIN), c.TypeKind.JA_NEIN, value, True)
        if left.err or right.err:  # the margin below is in units of a constant denominator
            left, right = self.plain(left), self.plain(right)
        else:  # over one positive row denominator the numerators compare as the values
            left, right = self.unify([left, right])
        den = math.lcm(left.den, right.den)
        if den > MAX_DEN:
            den = MAX_DEN
        a, b = self.rescale(left, den), self.rescale(right, den)
        err = a.err + b.err
        if err:
            # within the error of each other: the row goes to the scalar backend
            margin = math.ceil(err * den)
            wide = _wide(a.sql, numerator_bound(a) + numerator_bound(b))
            self.flags.append(exp.LTE(this=_p(_abs(_sub(wide, b.sql))), expression=_small(margin)))
        return Other(self._SQL_CMP[op](this=_p(a.sql), expression=_p(b.sql)), c.TypeKind.JA_NEIN)

    def _e_Compare(self, ir: c.Compare) -> Value:
        if ir.left.type.kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL) or \
                ir.right.type.kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL):
            return self.compare(ir.op, self.number(ir.left), self.number(ir.right))
        left, right = self.expr(ir.left), self.expr(ir.right)
        if isinstance(left, Num) or isinstance(right, Num):
            return self.compare(ir.op, self.number(ir.left), self.number(ir.right))
        if left.has_const and right.has_const:
            value = bool(self._PY_CMP[ir.op](left.const, right.const))
            return Other(_literal(value, c.TypeKind.JA_NEIN), c.TypeKind.JA_NEIN, value, True)
        return Other(self._SQL_CMP[ir.op](this=_p(left.sql), expression=_p(right.sql)), c.TypeKind.JA_NEIN)

    def _e_Logic(self, ir: c.Logic) -> Value:
        left, right = self.expr(ir.left), self.expr(ir.right)
        if ir.op == "und":
            # a fault on the left is a fault (NULL), as in the scalar backend's ``and``
            sql = _case((exp.Is(this=_p(left.sql), expression=exp.Null()), exp.Null()),
                        (left.sql, right.sql), default=FALSE)
        else:
            sql = _case((exp.Is(this=_p(left.sql), expression=exp.Null()), exp.Null()),
                        (left.sql, TRUE), default=right.sql)
        return Other(sql, c.TypeKind.JA_NEIN)

    def _e_Cond(self, ir: c.Cond) -> Value:
        test = self.expr(ir.test)
        if isinstance(test, Other) and test.has_const:
            return self.expr(ir.then if test.const else ir.otherwise)
        if ir.type.kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL):
            then, other = self.unify([self.number(ir.then), self.number(ir.otherwise)])
            den = min(math.lcm(then.den, other.den), MAX_DEN)
            a, b = self.rescale(then, den), self.rescale(other, den)
            sql = _case((exp.Is(this=_p(test.sql), expression=exp.Null()), exp.Null()), (test.sql, a.sql),
                        default=b.sql)
            top = max(numerator_bound(a), numerator_bound(b)) if a.rows else None
            return Num(sql, den, max(a.bound, b.bound), max(a.err, b.err), None, a.rows, top)
        then_v, other_v = self.expr(ir.then), self.expr(ir.otherwise)
        sql = _case((exp.Is(this=_p(test.sql), expression=exp.Null()), exp.Null()), (test.sql, then_v.sql),
                    default=other_v.sql)
        kind = then_v.kind if isinstance(then_v, Other) else ir.type.kind
        return Other(sql, kind)

    # ---- tables ----

    def _e_Lookup(self, ir: c.Lookup) -> Value:
        table = self.comp.tables.get(ir.table)
        if table is None:
            raise Unsupported(f"Tabelle {ir.table} ohne Zeilen")
        keys = [self.expr(k) for k in ir.keys]
        keys = [self.plain(k) if isinstance(k, Num) else k for k in keys]
        rows = list(table.items())
        numeric = ir.type.kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL)
        values = [v for _, v in rows if v is not None]
        den = 1
        bound = Fraction(0)
        if numeric:
            for v in values:
                den = math.lcm(den, _fraction(v).denominator)
                bound = max(bound, abs(_fraction(v)))
            if den > MAX_DEN:
                raise Unsupported("Tabellenwerte mit zu großem Nenner")
        whens: list[tuple[exp.Expr, exp.Expr]] = []
        for key, value in rows:
            parts = key if isinstance(key, tuple) and len(ir.keys) > 1 else (key,)
            conds: list[exp.Expr] = []
            possible = True
            for part, key_value in zip(parts, keys, strict=True):
                if isinstance(key_value, Num):
                    if key_value.err:
                        raise Unsupported("Tabellenschlüssel aus einem gerundeten Wert")
                    try:
                        target = _fraction(part) * key_value.den
                    except Unsupported:
                        possible = False
                        break
                    if target.denominator != 1:
                        possible = False
                        break
                    if key_value.const is not None:  # a constant key: decided here
                        if key_value.const != _fraction(part):
                            possible = False
                            break
                        continue
                    conds.append(exp.EQ(this=_p(key_value.sql), expression=_small(int(target))))
                else:
                    if isinstance(part, Decimal):  # a level or numeric member against a number key
                        if part != part.to_integral_value():
                            possible = False
                            break
                        part = int(part)
                    if key_value.has_const:  # a constant key: decided here
                        if key_value.const != part:
                            possible = False
                            break
                        continue
                    conds.append(exp.EQ(this=_p(key_value.sql), expression=_literal(part, key_value.kind)))
            if not possible:
                continue
            if value is None:
                result: exp.Expr = exp.Null()
            elif numeric:
                result = _small(int(_fraction(value) * den))
            else:
                result = _literal(value, ir.type.kind)
            if not conds:  # the first row that holds in every case: the later ones are never reached
                if not whens:
                    if value is not None and numeric:
                        return self.const_num(_fraction(value))
                    if value is not None:
                        return Other(result, ir.type.kind, value, True)
                    return Num(exp.Null(), 1, Fraction(0)) if numeric else Other(exp.Null(), ir.type.kind)
                whens.append((TRUE, result))
                break
            whens.append((_all(conds), result))
        sql = _case(*whens) if whens else exp.Null()
        if numeric:
            return Num(exp.Cast(this=_p(sql), to=int_type(bound * den + 1)), den, bound)
        return Other(sql, ir.type.kind)

    # ---- aggregates ----

    def _e_Aggregate(self, ir: c.Aggregate) -> Value:
        child = ir.scope
        if child in self.comp.merged and self.comp.home(child) == self.comp.home(self.scope):
            return self.single(ir)  # a list held in this row (one element): no other element to group
        # an aggregate over the same list (its same state) in this step joins the group of the
        # ones before it: its columns are added to their subquery
        state = self.comp.state[self.comp.home(child)]
        group = self.batch.groups.get((id(self.joins), child, state))  # (the group holds the list: its id stays its)
        if group is None:
            inner_alias = self.comp.fresh("e")
            source: str | None = self.comp.narrow_of(child, inner_alias).name
            alias = self.comp.fresh("g")
            joins: list[tuple[str, exp.Expr, exp.Expr]] = []
            ancestors: dict[str, str] = {}
        else:
            inner_alias, alias, source = group.inner, group.alias, None
            joins, ancestors = group.joins, group.ancestors
        suffix = f"_{group.members}" if group is not None else ""
        flags: list[exp.Expr] = []
        inner = _Ctx(self.comp, self.batch, child, inner_alias, joins, ancestors, flags)
        parent = self.model.scopes[child].parent
        assert parent is not None
        # grouped by the keys of the list's parent (this scope or an enclosing one: a row of this
        # scope holds them), not of this scope: ``summe(q.x)`` in an element of a list beside ``q``
        keys = key_columns(self.model, parent)
        depth = self.model.scopes[child].depth
        spec = self.model.scopes[child]
        count_bound = Fraction(spec.max_count if spec.max_count is not None else LIST_BOUND)
        where = inner.expr(ir.where) if ir.where is not None else None
        if where is not None:  # (in TRY, as the element's values below: an overflow is NULL, a fault)
            where = attrs.evolve(where, sql=_fn("try", where.sql))
        items: list[exp.Expr] = []
        broken: list[exp.Expr] = []
        if where is not None:
            broken.append(exp.Is(this=_p(where.sql), expression=exp.Null()))
        selected = where.sql if where is not None else TRUE
        value: Value | None = None
        if ir.value is not None:
            value = inner.number(ir.value) if ir.function in ("summe",) else inner.expr(ir.value)
            if isinstance(value, Num) and value.rows and (
                    not all(f.column is not None and self.encloses(f.scope) for f in value.rows)
                    or numerator_bound(value) * count_bound >= self.comp.row_limit):
                value = inner.plain(value)  # a factor of the element: not one denominator for the group
            # an element's value in TRY: an overflow is NULL, which makes the aggregate NULL and flags the row
            value = attrs.evolve(value, sql=_fn("try", value.sql))
            present = exp.Is(this=_p(value.sql), expression=exp.Null())
            broken.append(exp.And(this=_p(selected), expression=_p(present)) if where is not None else present)
        bad = _fn("bool_or", _any(broken)) if broken else FALSE
        fn = ir.function
        if fn == "anzahl":
            one: exp.Expr = exp.Literal.number(1)
            agg: exp.Expr = _fn("sum", _case((selected, one), default=exp.Literal.number(0)))
        elif fn == "summe":
            assert isinstance(value, Num)
            agg = _fn("sum", _case((selected, value.sql), default=exp.Literal.number(0)))
        elif fn in ("min", "max"):
            assert value is not None
            agg = _fn(fn, _case((selected, value.sql)))
        elif fn in ("erstes", "letztes"):
            assert value is not None
            position = _case((selected, exp.column(f"_i{depth}", inner_alias)))
            agg = _fn("arg_min" if fn == "erstes" else "arg_max", value.sql, position)
        else:  # pragma: no cover
            raise Unsupported(fn)
        items.append(_as(_case((bad, exp.Null()), default=agg), "v" + suffix))
        if flags:
            items.append(_as(_fn("bool_or", _any([_doubt(f) for f in flags])), "f" + suffix))
        if group is None:
            assert source is not None
            sub = exp.select(*[exp.column(k, inner_alias) for k in keys], items[0], _as(_fn("count_star"), "n"),
                             *items[1:], copy=False).from_(exp.to_table(source).as_(inner_alias), copy=False)
            sub = sub.group_by(*[exp.column(k, inner_alias) for k in keys], copy=False)
            on = _all([exp.EQ(this=exp.column(k, self.alias), expression=exp.column(k, alias)) for k in keys])
            self.joins.append((alias, sub.subquery(alias, copy=False), on))  # (the same tree: more columns join it)
            self.batch.reads.append(source)
            group = self.batch.groups[(id(self.joins), child, state)] = _Group(
                self.joins, alias, inner_alias, sub, joins, ancestors)
        else:
            group.sub.select(*items, append=True, copy=False)
        for join_alias, table, on in joins[group.applied:]:
            group.sub.join(table.as_(join_alias) if isinstance(table, exp.Table) else table, on=on,
                           join_type="left", copy=False)
        group.applied = len(joins)
        group.members += 1
        if flags:
            self.flags.append(exp.column("f" + suffix, alias))
        result: exp.Expr = exp.column("v" + suffix, alias)
        empty = exp.Is(this=exp.column("n", alias), expression=exp.Null())
        if fn in ("anzahl", "summe"):
            result = _case((empty, exp.Literal.number(0)), default=result)
        if fn == "anzahl":
            return Num(exp.Cast(this=_p(result), to=BIGINT.copy()), 1, count_bound)
        if isinstance(value, Num):
            # a factor of an enclosing scope: one in the group, read here
            rows = _sorted([self.read_factor(f.scope, f.column, f.bound, f.guarded) for f in value.rows
                            if f.column is not None])
            if fn == "summe":
                top = numerator_bound(value) * count_bound if rows else \
                    (value.bound + value.err) * count_bound * value.den + 1
                return Num(exp.Cast(this=_p(result), to=int_type(top)), value.den, value.bound * count_bound,
                           value.err * count_bound, None, rows, top if rows else None)
            return Num(result, value.den, value.bound, value.err, None, rows, value.top)
        assert value is not None
        return Other(result, value.kind)

    def single(self, ir: c.Aggregate) -> Value:
        """An aggregate over a merged list: its one element, in this row. As the grouped form gives
        it: a condition that is NULL, or a selected value that is NULL, make the result NULL;
        ``anzahl``/``summe`` of nothing selected are 0, the others NULL (the scalar backend faults)."""
        inner = _Ctx(self.comp, self.batch, ir.scope, self.alias, self.joins, self.ancestors, self.flags)
        where = inner.expr(ir.where) if ir.where is not None else None
        fn = ir.function
        value: Value | None = None
        if ir.value is not None:
            value = inner.number(ir.value) if fn == "summe" else inner.expr(ir.value)
        if fn == "anzahl":
            taken: Value = Num(exp.Literal.number(1), 1, Fraction(1), const=Fraction(1))
        else:
            assert value is not None
            taken = value
        if where is None:
            return taken
        empty: exp.Expr = exp.Literal.number(0) if fn in ("anzahl", "summe") else exp.Null()
        sql = _case((exp.Is(this=_p(where.sql), expression=exp.Null()), exp.Null()), (where.sql, taken.sql),
                    default=empty)
        if isinstance(taken, Num):
            return Num(sql, taken.den, taken.bound, taken.err, None, taken.rows, taken.top)
        return Other(sql, taken.kind)

    # ---- functions ----

    def _e_Func(self, ir: c.Func) -> Value:
        name = ir.name
        if name in ("min", "max"):
            nums = [self.number(a) for a in ir.args]
            if all(n.const is not None for n in nums):
                consts = [n.const for n in nums if n.const is not None]
                return self.const_num(min(consts) if name == "min" else max(consts))
            nums = self.unify(nums)
            den = 1
            for n in nums:
                den = math.lcm(den, n.den)
            den = min(den, MAX_DEN)
            scaled = [self.rescale(n, den) for n in nums]
            fn = _fn("least" if name == "min" else "greatest", *[s.sql for s in scaled])
            top = max(numerator_bound(s) for s in scaled) if scaled[0].rows else None
            return Num(_null_if_any([s.sql for s in scaled], fn), den, max(s.bound for s in scaled),
                       max(s.err for s in scaled), None, scaled[0].rows, top)
        if name == "runde":
            value = self.number(ir.args[0])
            places = self.number(ir.args[1])
            mode_arg = ir.args[2]
            mode = self.expr(mode_arg)
            fixed = isinstance(mode, Other) and mode.has_const
            if places.const is None or places.const.denominator != 1 or not fixed:
                raise Unsupported("runde(…) mit Stellen oder Rundungsart aus dem Fall")
            assert isinstance(mode, Other)
            return self.round(value, int(places.const), str(mode.const))
        if name == "kalendertage":
            start, end = self.expr(ir.args[0]), self.expr(ir.args[1])
            days: exp.Expr = exp.DateDiff(this=end.sql, expression=start.sql, unit=exp.var("DAY"))
            counted = exp.Cast(this=_p(exp.Add(this=_p(days), expression=exp.Literal.number(1))), to=BIGINT.copy())
            # a period ending before the day before it starts: NULL, the scalar backend's fault
            forward = exp.GTE(this=_p(days.copy()), expression=exp.Literal.number(-1))
            return Num(_case((forward, counted)), 1, Fraction(4_000_000))
        if name == "datum_plus":
            date = self.expr(ir.args[0])
            amount = self.plain(self.number(ir.args[1]))
            unit = str(ir.args[1].type.unit)
            if amount.err:
                raise Unsupported("datum_plus mit gerundeter Anzahl")
            whole = exp.EQ(this=exp.Mod(this=_p(amount.sql), expression=_small(amount.den)),
                           expression=exp.Literal.number(0))
            count = exp.Cast(this=_p(_idiv(amount.sql, _small(amount.den))), to=INTEGER.copy())
            if unit in ("Tage", "Wochen"):
                days = count if unit == "Tage" else exp.Mul(this=_p(count), expression=exp.Literal.number(7))
                shifted: exp.Expr = exp.Add(this=_p(date.sql), expression=_p(days))
            else:
                months = count if unit == "Monate" else exp.Mul(this=_p(count), expression=exp.Literal.number(12))
                shifted = exp.Cast(this=_p(exp.Add(this=_p(date.sql), expression=_fn("to_months", months))),
                                   to=exp.DataType.build("DATE"))
            return Other(_case((whole, _dated(shifted))), c.TypeKind.DATUM)
        if name in ("jahr", "monat"):
            date = self.expr(ir.args[0])
            part = _fn("year" if name == "jahr" else "month", date.sql)
            return Num(exp.Cast(this=_p(part), to=BIGINT.copy()), 1, Fraction(9999))
        if name == "tage_im_monat":
            year, month = self.plain(self.number(ir.args[0])), self.plain(self.number(ir.args[1]))
            y = exp.Cast(this=_p(_idiv(year.sql, _small(year.den))), to=INTEGER.copy())
            m = exp.Cast(this=_p(_idiv(month.sql, _small(month.den))), to=INTEGER.copy())
            month_ok = exp.Between(this=_p(m), low=exp.Literal.number(1), high=exp.Literal.number(12))
            year_ok = exp.Between(this=_p(y), low=exp.Literal.number(1), high=exp.Literal.number(9999))
            valid = exp.And(this=month_ok, expression=year_ok)
            last = _fn("day", _fn("last_day", _fn("make_date", y, m, exp.Literal.number(1))))
            return Num(exp.Cast(this=_p(_case((valid, last))), to=BIGINT.copy()), 1, Fraction(31))
        if name == "stichtag":
            self.comp.reads_date = True
            if self.comp.date is not None:
                return Other(_literal(self.comp.date, c.TypeKind.DATUM), c.TypeKind.DATUM, self.comp.date, True)
            alias = self.alias_of("")
            self.comp.record(alias, "_date")
            return Other(exp.column("_date", alias), c.TypeKind.DATUM)
        raise Unsupported(f"Funktion {name}")

    def round(self, value: Num, places: int, mode: str) -> Num:
        den = 10**places if places >= 0 else 1
        if places < 0:
            raise Unsupported("runde(…) auf negative Stellen")
        if value.const is not None:
            q = value.const * den
            if mode == "kaufmännisch":
                r = math.floor(abs(q) + Fraction(1, 2))
            elif mode == "abrunden":
                r = math.floor(abs(q))
            else:
                r = math.ceil(abs(q))
            return self.const_num(Fraction(r if q >= 0 else -r, den))
        if value.rows and value.err:
            value = self.plain(value)
        if value.rows:
            return self.round_rows(value, den, mode)
        # value·10^k = n·den/value.den = n·times/d, the fraction reduced (an 18-place value to cents:
        # divided by 10^16, not by 10^18 — a limb fewer in BIGINT steps)
        n, g = value.sql, math.gcd(den, value.den)
        times, d = den // g, value.den // g
        top = numerator_bound(value) * times  # of |value|·10^k over d
        n = _wide(n, top * 2 + d)
        scaled = _mul(_abs(n), times, 0)  # |value|·10^k over d
        signed = _mul(n, times, 0)  # value·10^k over d; DuckDB's // truncates toward zero
        if mode == "kaufmännisch":
            sql = _round_half_up(value.sql, times, d, numerator_bound(value))
        elif mode == "abrunden":
            sql = _quot(signed, _small(d), top, d)
        else:
            sql = _quot(_add(signed, exp.Mul(this=_p(_sign(n)), expression=_small(d - 1))), _small(d), top + d, d)
        if value.err:
            # within the error of a rounding boundary: the scalar backend decides (the rest over d,
            # an integer: within the margin over value.den where within its g-th part, rounded down)
            margin = math.ceil(value.err * den * value.den * 2) // g
            narrow = numerator_bound(value) < NARROW_LIMIT and 2 * d * times + d < NARROW_LIMIT
            if mode == "kaufmännisch" and (2 * top < NARROW_LIMIT or narrow):
                if 2 * top < NARROW_LIMIT:  # 2·|n|·times mod 2d
                    rest = _rem(_mul(scaled, 2, 0), _small(2 * d), 2 * top, 2 * d)
                else:  # the same, 2·(|n| mod d)·times mod 2d: BIGINT steps only
                    part = _mul(exp.Mod(this=_p(_abs(_bigint(value.sql))), expression=_small(d)), 2 * times, 0)
                    rest = exp.Mod(this=_p(part), expression=_small(2 * d))
                self.flags.append(exp.LTE(this=_p(_abs(_sub(rest, _small(d)))), expression=_small(margin)))
            elif mode == "kaufmännisch":
                # the rest of the rounded value's own division, (2·|n|·times + d) mod 2d, written as
                # a HUGEINT numerator's value writes it (so DuckDB computes their common part once):
                # near 0 or 2d where 2·|n|·times mod 2d is near d
                shifted = _add(_abs(_mul(n, 2 * times, 0)), _small(d))
                rest = _rem(shifted, _small(2 * d), 2 * top + d, 2 * d)
                self.flags.append(exp.Or(this=exp.LTE(this=_p(rest), expression=_small(margin)),
                                         expression=exp.GTE(this=_p(rest.copy()), expression=_small(2 * d - margin))))
            else:
                rest = _rem(scaled, _small(d), top, d)
                self.flags.append(exp.Or(this=exp.LTE(this=_p(rest), expression=_small(margin)),
                                         expression=exp.GTE(this=_p(rest), expression=_small(d - margin))))
        bound = value.bound + value.err + 1
        self.digits_flag(sql, bound * den)
        return Num(sql, den, bound)

    def digits_flag(self, numerator: exp.Expr, bound: Fraction | int) -> None:
        """A rounded value's ``numerator`` (over 10^places) of more than the scalar backend's 28
        digits flags its row (``quantize`` fails there), where ``bound`` (of the numerator) allows it."""
        if bound >= DIGITS_LIMIT:
            self.flags.append(exp.GTE(this=_p(_abs(numerator.copy())), expression=_small(DIGITS_LIMIT)))

    def round_rows(self, value: Num, den: int, mode: str) -> Num:
        """An exact ``value`` over a row denominator rounded to ``1/den``: one division by
        D = value.den·R per row — ``(2·n·den + sign(n)·D) // (2·D)`` half up, ``n·den // D``
        down, ``(n·den + sign(n)·(D − 1)) // D`` up (``//`` truncates toward zero)."""
        product, product_bound = _product(value.rows, value.den)
        top = numerator_bound(value) * den
        n = _wide(value.sql, 2 * top + product_bound)
        signed = _mul(n, den, 0)
        if mode == "kaufmännisch":
            sql = _div_half_up(signed, product, top, product_bound)
        elif mode == "abrunden":
            sql = _quot(signed, product, top, product_bound)
        else:
            less = _sub(product, exp.Literal.number(1))
            sql = _quot(_add(signed, exp.Mul(this=_p(_sign(n)), expression=_p(less))), product.copy(),
                        top + product_bound, product_bound)
        self.digits_flag(sql, (value.bound + 1) * den)
        return Num(sql, den, value.bound + 1)


def _all(conds: list[exp.Expr]) -> exp.Expr:
    if not conds:
        return TRUE
    out = conds[0]
    for cond in conds[1:]:
        out = exp.And(this=_p(out), expression=_p(cond))
    return out


def _divisors(model: c.CheckedModel) -> set[tuple[str, str]]:
    """(scope, key) of every value or input a rule divides by (``x / wert``, a staff key's ``wert``)."""
    found: set[tuple[str, str]] = set()
    for node in model.nodes.values():
        for expr in toolkit.walk(node):
            divisor = expr.right if isinstance(expr, c.Arith) and expr.op == "/" else \
                expr.key if isinstance(expr, c.KeyApply) else None
            if isinstance(divisor, c.Ref) and divisor.kind != c.RefKind.PARAMETER:
                found.add((divisor.scope, divisor.key))
    return found


def _refs_of(node: c.Node) -> list[c.Ref]:
    found = [r for r in toolkit.references(node) if r.kind != c.RefKind.PARAMETER]
    if isinstance(node, c.GrantedLevelNode):
        found.append(node.expr)
    return found


# built-in functions the scalar backend cannot fail on — not ``runde`` (a result of more than 28
# digits: safe where the domain of what it rounds proves it smaller), ``datum_plus`` (past the
# year 9999), ``tage_im_monat`` (a month 13), ``stichtag`` (no reference date), ``kalendertage``
_SAFE_FUNCTIONS = frozenset({"min", "max", "jahr", "monat"})
ROUNDED_LIMIT = Decimal(10) ** 26  # |x|·10^places below this: runde(x, places, …) has at most 27 digits


def _infallible(node: c.Node, model: c.CheckedModel, symbols: ModelSymbols | None = None) -> bool:
    """Whether the scalar backend can never fail on ``node`` for a case its loader took: a
    ``wert`` whose expression only adds, subtracts, multiplies by a constant or parameter, divides
    by a constant other than 0, converts units, compares, chooses (``wenn … sonst``), sums or
    counts a list's elements, or applies a function of :data:`_SAFE_FUNCTIONS`, and has no
    declared range, choice set or whole-number type. Anything else can: a level (no band holds
    the quantity, a level not declared), a ``prüfung`` or ``warnung``, a table lookup, a division
    by a value or a staff key, ``vorher``, ``min``/``max``/``erstes``/``letztes`` of a list that
    may be empty, rounding.

    With ``symbols`` (the parameter values and tables of one plan), the value domains of the IR
    toolkit (:func:`~teilhabe_rules.ir.domains.domain_of`, bounds rounded outward) prove more:
    a product of two bounded numbers, a division or a staff key whose divisor's domain leaves
    out 0, ``runde`` of a number bounded well below 28 digits, a lookup whose keys' domain holds
    only keys of the table, ``min``/``max``/``erstes``/``letztes`` of a list of at least one
    element (no ``wo``), a declared range, choice set or whole-number type the value's domain
    lies in."""
    if not isinstance(node, c.ValueNode):
        return False
    vtype = node.type
    declared = vtype.integer or vtype.choices is not None or vtype.low is not None or vtype.high is not None
    if declared and (symbols is None or not _within(domain_of(node.expr, symbols), vtype)):
        return False
    return _safe(node.expr, model, symbols, None)


def _safe(e: c.Expr, model: c.CheckedModel, symbols: ModelSymbols | None, facts: Facts | None) -> bool:
    """Whether the scalar backend cannot fail on ``e`` (see :func:`_infallible`); ``facts``: what
    holds where it is evaluated (a branch of a ``wenn``: its test, :func:`~teilhabe_rules.ir.domains.facts_of`)."""
    if isinstance(e, c.Cond) and symbols is not None:
        return (_safe(e.test, model, symbols, facts)
                and _safe(e.then, model, symbols, facts_of(e.test, symbols, True, facts))
                and _safe(e.otherwise, model, symbols, facts_of(e.test, symbols, False, facts)))
    if not _safe_operation(e, model, symbols, facts):
        return False
    inner = None if isinstance(e, c.Aggregate) else facts  # (an element's expression: another row)
    return all(_safe(sub, model, symbols, inner) for sub in toolkit.children(e))


def _safe_operation(e: c.Expr, model: c.CheckedModel, symbols: ModelSymbols | None, facts: Facts | None) -> bool:
    """Whether the scalar backend cannot fail on the operation ``e`` itself, its operands apart."""
    if isinstance(e, (c.Const, c.Ref, c.Position, c.Granted, c.Unary, c.Compare, c.Logic, c.Cond, c.Convert)):
        return True
    if isinstance(e, c.Arith) and e.type.kind == c.TypeKind.ZAHL and (  # (a date past 9999: not here)
            e.op in ("+", "-")
            # a product of values can pass the decimal context's largest exponent
            or e.op == "*" and any(isinstance(side, c.Const) or isinstance(side, c.Ref)
                                   and side.kind == c.RefKind.PARAMETER for side in (e.left, e.right))
            or e.op == "/" and isinstance(e.right, c.Const)
            and isinstance(e.right.value, (int, Decimal)) and e.right.value != 0):
        return True
    if isinstance(e, c.Aggregate) and e.function in ("summe", "anzahl"):
        return True
    if isinstance(e, c.Func) and e.name in _SAFE_FUNCTIONS:
        return True
    return symbols is not None and _proven(e, model, symbols, facts)


def _bounded(domain: Domain, limit: Decimal | None = None) -> bool:
    """Whether ``domain`` has both bounds (of magnitude below ``limit`` where given)."""
    if domain.lo is None or domain.hi is None:
        return False
    return limit is None or max(abs(domain.lo), abs(domain.hi)) < limit


def _nonzero(domain: Domain) -> bool:
    """Whether ``domain`` leaves out 0."""
    if domain.values is not None:
        return bool(domain.values) and Decimal(0) not in domain.values
    return domain.lo is not None and domain.lo > 0 or domain.hi is not None and domain.hi < 0


def _within(domain: Domain, vtype: c.ValueType) -> bool:
    """Whether every value of ``domain`` has type ``vtype`` (its range, choices, whole numbers)."""
    if vtype.kind != c.TypeKind.ZAHL:
        return False
    if vtype.choices is not None:
        return domain.values is not None and domain.values <= {Decimal(x) for x in vtype.choices}
    if vtype.integer and not domain.integral:
        return False
    if vtype.low is not None and (domain.lo is None or domain.lo < vtype.low):
        return False
    return vtype.high is None or domain.hi is not None and domain.hi <= vtype.high


def _proven(e: c.Expr, model: c.CheckedModel, symbols: ModelSymbols, facts: Facts | None) -> bool:
    """Whether the domains prove that the scalar backend cannot fail on the operation ``e``
    itself (its operands are taken one by one: see :func:`_infallible`)."""
    if isinstance(e, c.Arith) and e.type.kind == c.TypeKind.ZAHL:
        left, right = domain_of(e.left, symbols, facts), domain_of(e.right, symbols, facts)
        if e.op == "*":
            return _bounded(left) and _bounded(right)
        return e.op == "/" and _nonzero(right)
    if isinstance(e, c.KeyApply):
        return _nonzero(domain_of(e.key, symbols, facts))
    if isinstance(e, c.Func) and e.name == "runde":
        places = e.args[1]
        if not isinstance(places, c.Const) or not isinstance(places.value, (int, Decimal)) \
                or isinstance(places.value, bool) or not -20 <= places.value <= 20:
            return False
        return _bounded(domain_of(e.args[0], symbols, facts), ROUNDED_LIMIT.scaleb(-int(places.value)))
    if isinstance(e, c.Lookup):
        table = symbols.tables.get(e.table)
        keys = [domain_of(k, symbols, facts).values for k in e.keys]
        if table is None or any(k is None for k in keys):
            return False
        held = {tuple(row.keys) for row in table.rows}
        combos = 1
        for k in keys:
            combos *= len(k or ())
        return combos <= MAX_VALUES and all(combo in held for combo in itertools.product(*(k or () for k in keys)))
    if isinstance(e, c.Aggregate) and e.function in ("min", "max", "erstes", "letztes"):
        return e.where is None and (model.scopes[e.scope].min_count or 0) >= 1
    return False


def computed_nodes(model: c.CheckedModel, wanted: Collection[tuple[str, str]] | None,
                   parameters: Mapping[str, Any] | None = None,
                   tables: Mapping[str, Mapping[Any, Any]] | None = None) -> frozenset[str] | None:
    """The ids of the nodes a plan computes where only the values ``wanted`` ((scope, key)) are
    read of it (None: every node): those, every node the scalar backend may fail on (a fault
    flags the case, as the scalar backend's error makes it an error row: :func:`_infallible`),
    and everything they read. A value left out is one no result needs and no case can fail on.
    ``parameters`` and ``tables`` (by id; given: the values of the plan's one agreement and date)
    let the value domains prove more values infallible."""
    if wanted is None:
        return None
    wanted = set(wanted)
    symbols = ModelSymbols(model, parameters, tables) if parameters is not None else None
    by_value = {(n.scope, n.key): nid for nid, n in model.nodes.items() if not isinstance(n, c.CheckNode)}
    stack = [nid for nid, n in model.nodes.items()
             if (n.scope, n.key) in wanted or not _infallible(n, model, symbols)]
    kept: set[str] = set()
    while stack:
        nid = stack.pop()
        if nid not in kept:
            kept.add(nid)
            stack.extend(by_value[(r.scope, r.key)] for r in _refs_of(model.nodes[nid]) if (r.scope, r.key) in by_value)
    return frozenset(kept)


def _schedule(model: c.CheckedModel, home: Callable[[str], str] = str, kept: frozenset[str] | None = None) -> list[str]:
    """The nodes in an order that packs them into few steps: repeatedly every node of one scope
    whose values are all computed by earlier steps (one step each), the scope with the most such
    nodes first — rather than the model's order, which alternates between scopes and would start a
    new step at each change. Still an order of dependencies (a node after everything it reads).
    ``home``: the scope whose table holds a scope's rows (a merged list's parent); ``kept``: only
    these nodes (:func:`computed_nodes`; None: all)."""
    order = [nid for nid in model.order if kept is None or nid in kept]
    values = {(model.nodes[nid].scope, model.nodes[nid].key) for nid in order
              if not isinstance(model.nodes[nid], c.CheckNode)}
    deps = {nid: {(r.scope, r.key) for r in _refs_of(model.nodes[nid])} & values for nid in order}
    rank = {nid: n for n, nid in enumerate(order)}
    pending = list(order)
    done: set[tuple[str, str]] = set()
    out: list[str] = []
    while pending:
        ready: dict[str, list[str]] = {}
        for nid in pending:
            if deps[nid] <= done:
                ready.setdefault(home(model.nodes[nid].scope), []).append(nid)
        if not ready:  # pragma: no cover - the checker's order has no cycles
            raise Unsupported("zyklische Abhängigkeit")
        scope = max(ready, key=lambda s: (len(ready[s]), -min(rank[n] for n in ready[s])))
        chosen = set(ready[scope])
        out.extend(ready[scope])
        done.update((model.nodes[n].scope, model.nodes[n].key) for n in chosen)
        pending = [n for n in pending if n not in chosen]
    return out


def compile_plan(model: c.CheckedModel, parameters: Mapping[str, Any], tables: Mapping[str, Mapping[Any, Any]],
                 date: _dt.date | None = None, wanted: Collection[tuple[str, str]] | None = None) -> Plan:
    """The plan of ``model`` with these parameter values and tables (``date``: the reference date
    of every case, for ``stichtag()``; None: each case's own, staged as ``_date``; ``wanted``: the
    (scope, key) of the only values read of its results — the plan leaves out what none of them
    needs and no case can fail on, :func:`computed_nodes`; None: every value). Compiled without
    the cyclic garbage collector: the expression trees (tens of thousands of nodes linking to
    their parents) made it walk every new object again and again — more than half the time."""
    with building_trees():
        return _compile_plan(model, parameters, tables, date, computed_nodes(model, wanted, parameters, tables))


@contextlib.contextmanager
def building_trees() -> Iterator[None]:
    """A block that builds many sqlglot expression trees: the cyclic garbage collector off for it
    (if it was on: on again after it) — each node links to its parent, and the collector's walks
    over every new object took more than half of such a block's time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _compile_plan(model: c.CheckedModel, parameters: Mapping[str, Any], tables: Mapping[str, Mapping[Any, Any]],
                  date: _dt.date | None, kept: frozenset[str] | None) -> Plan:
    # the one with the fewest divisions in HUGEINT (each some 30× a BIGINT one); on a tie the first.
    # A later one stops compiling once its steps have more than the best so far (it cannot win);
    # one the compiler cannot express leaves the first (whose plan is whole and exact)
    plan, limit = _compile(model, parameters, tables, date, ROW_LIMITS[0], kept=kept), ROW_LIMITS[0]
    fewest = wide_divisions(plan)
    for other_limit in ROW_LIMITS[1:]:
        try:
            other = _compile(model, parameters, tables, date, other_limit, kept=kept, wide_budget=fewest)
        except (_TooWide, Unsupported):
            continue
        count = wide_divisions(other)
        if count < fewest:
            plan, limit, fewest = other, other_limit, count
    listed = single_list(model)
    if listed is None:
        return plan
    try:
        single = _compile(model, parameters, tables, date, limit, frozenset({listed}), SINGLE_PREFIX, kept)
    except Unsupported:
        return plan
    return attrs.evolve(plan, single=single)


SINGLE_PREFIX = "e"  # of the staged tables of a plan's ``single`` variant


def single_list(model: c.CheckedModel) -> str | None:
    """The list of the case that a plan's ``single`` variant holds in the case's row (for the cases
    with exactly one element of it — a population of persons): the list directly under the case
    with the most rules that may have one element; None if there is none."""
    rules: dict[str, int] = {}
    for node in model.nodes.values():
        rules[node.scope] = rules.get(node.scope, 0) + 1
    candidates = [sid for sid in model.scopes[""].lists
                  if (model.scopes[sid].min_count or 0) <= 1 and model.scopes[sid].max_count != 0]
    return max(candidates, key=lambda sid: rules.get(sid, 0), default=None)


def _compile(model: c.CheckedModel, parameters: Mapping[str, Any], tables: Mapping[str, Mapping[Any, Any]],
             date: _dt.date | None, row_limit: int, merged: frozenset[str] = frozenset(),
             prefix: str = "in", kept: frozenset[str] | None = None, wide_budget: int | None = None) -> Plan:
    comp = _Compiler(model, parameters, tables, date, row_limit, merged, prefix, wide_budget)
    comp.stage()
    for node_id in _schedule(model, comp.home, kept):
        comp.node(model.nodes[node_id])
    comp.finish()
    return Plan(model, comp.inputs, comp.staged, tuple(comp.steps), dict(comp.state),
                {sid: tuple(outs) for sid, outs in comp.outputs.items()}, comp.reads_date, comp.meta,
                tuple(comp.narrow), merged, comp.shared)


def wide_divisions(plan: Plan) -> int:
    """How many integer divisions and remainders of the plan take a HUGEINT operand (by the types
    of the stored columns, the casts and the literals)."""
    counter = _WideDivisions()
    for metas in plan.columns.values():
        for meta in metas.values():
            counter.known(meta)
    return sum(counter.count(step.query) for step in plan.steps)


class _TooWide(Exception):
    """A plan being compiled has more wide divisions than its budget (:func:`_compile_plan`)."""


class _WideDivisions:
    """Counts the integer divisions and remainders of queries that take a HUGEINT operand, knowing
    the stored columns given to :meth:`known` (a column is wide where its numerator's bound
    reaches :data:`NARROW_LIMIT`)."""

    def __init__(self) -> None:
        self.columns: set[str] = set()
        self.seen: dict[int, bool] = {}

    def known(self, meta: Meta) -> None:
        if meta.kind == c.TypeKind.ZAHL and numerator_bound(meta) >= NARROW_LIMIT:
            self.columns.add(meta.column)

    def wide(self, e: exp.Expr) -> bool:
        found = self.seen.get(id(e))
        if found is None:
            if isinstance(e, exp.Cast):
                found = e.to.this == exp.DataType.Type.INT128 or (
                    e.to.this not in (exp.DataType.Type.BIGINT, exp.DataType.Type.INT) and self.wide(e.this))
            elif isinstance(e, exp.Column):
                found = e.name in self.columns
            elif isinstance(e, exp.Literal):
                found = not e.is_string and abs(int(e.this)) >= NARROW_LIMIT if e.is_int else False
            elif isinstance(e, exp.Window):
                found = self.wide(e.this)
            else:
                found = any(self.wide(child) for child in e.iter_expressions())
            self.seen[id(e)] = found
        return found

    def count(self, query: exp.Expr) -> int:
        return sum(1 for e in query.find_all(exp.IntDiv, exp.Mod) if self.wide(e.this) or self.wide(e.expression))
