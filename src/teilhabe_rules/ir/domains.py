"""Value domains of expressions, and corridor coverage.

Takes: resolved expressions (:mod:`teilhabe_rules.ir.checked`) and the checker's symbol tables.
Gives: :class:`Domain` — the set of values an expression can take (exactly, where it is small and
finite, else an interval) — and :func:`corridor_findings`, which proves that the bands of a
corridor cover that domain without gap or overlap and finds bands no case can reach.
"""

from __future__ import annotations

import decimal
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol, cast

import attrs

from ..records import Record
from ..span import Span
from ..units import Unit
from . import checked as c
from . import toolkit
from .checked import SNAP, band_contains
from .text import decimal_text

__all__ = ["LEVEL_RULE_HINT", "MAX_VALUES", "Domain", "Facts", "ModelSymbols", "SymbolTables", "corridor_findings",
           "domain_of", "facts_of", "level_rule_problem", "symbols_read_through"]

MAX_VALUES = 5000
"""The most values a value set of a domain holds (the product of two sets' sizes, a whole-number
interval's length); beyond it, a domain is an interval. Its readers' limit of combinations too."""


@attrs.frozen(repr=False)
class Domain(Record):
    """``values`` when finite and known; else the interval ``lo``..``hi`` (None = unbounded)."""

    values: frozenset[Decimal] | None = None
    lo: Decimal | None = None
    hi: Decimal | None = None
    integral: bool = False

    @staticmethod
    def of(values: Iterable[Decimal | int]) -> Domain:
        vals = frozenset(Decimal(v) for v in values)
        if not vals:
            return Domain(frozenset())
        return Domain(vals, min(vals), max(vals), all(v == v.to_integral_value() for v in vals))

    def single(self) -> Decimal | None:
        return next(iter(self.values)) if self.values is not None and len(self.values) == 1 else None


UNKNOWN = Domain()


class SymbolTables(Protocol):
    """What :func:`domain_of` reads from the checker: the parameters, tables and list scopes by
    symbol, the resolved expression of every value, and the domains found so far (which it fills)."""

    @property
    def parameters(self) -> Mapping[str, c.ParameterSpec]: ...

    @property
    def tables(self) -> Mapping[str, c.TableSpec]: ...

    @property
    def scopes(self) -> Mapping[str, Mapping[str, Any]]: ...

    @property
    def value_ir(self) -> Mapping[str, c.Expr]: ...

    @property
    def domains(self) -> dict[str, Domain]: ...


# Bounds are computed rounded outward (a lower bound down, an upper bound up: :func:`_low`,
# :func:`_high`) with the 28 digits of the evaluation, so that a domain holds every value its
# expression can take, exactly and as the evaluation rounds it (1 + 1E-30 is 1 there); a bound of 10^60 or
# more is taken as none (the checker proves nothing there, and never fails on a number's size —
# with every bound below it, no product of two overflows the contexts' exponents).
_LARGEST = 60
_DOWN = decimal.Context(prec=28, rounding=decimal.ROUND_FLOOR, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                        traps=[decimal.InvalidOperation, decimal.DivisionByZero])
_UP = _DOWN.copy()
_UP.rounding = decimal.ROUND_CEILING
_WIDE = decimal.Context(prec=200, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
_EXACT = _DOWN.copy()  # a result of a value set: exact in 28 digits (the evaluation's), else Inexact is raised
_EXACT.traps[decimal.Inexact] = True


def _apply(op: str, a: Decimal, b: Decimal) -> Decimal:
    return a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b


def _capped(value: Decimal) -> Decimal | None:
    return value if value.is_finite() and value.adjusted() < _LARGEST else None


def _low(op: str, a: Decimal, b: Decimal) -> Decimal | None:
    """``a op b`` rounded down; None where it is 10^60 or more in size."""
    with decimal.localcontext(_DOWN):
        return _capped(_apply(op, a, b))


def _high(op: str, a: Decimal, b: Decimal) -> Decimal | None:
    """``a op b`` rounded up; None where it is 10^60 or more in size."""
    with decimal.localcontext(_UP):
        return _capped(_apply(op, a, b))


def _extreme(op: str, pairs: list[tuple[Decimal, Decimal]], lowest: bool) -> Decimal | None:
    """The least (``lowest``) or greatest of ``a op b`` over ``pairs``, rounded outward; None
    where it is 10^60 or more in size."""
    with decimal.localcontext(_DOWN if lowest else _UP):
        values = [_apply(op, a, b) for a, b in pairs]
        return _capped(min(values) if lowest else max(values))


class ModelSymbols:
    """What :func:`domain_of` reads, taken from a checked model — with other values of its
    parameters (by id) and other tables (by id, as lookup mappings: an agreement's), where given."""

    def __init__(self, model: c.CheckedModel, parameters: Mapping[str, Any] | None = None,
                 tables: Mapping[str, Mapping[Any, Any]] | None = None):
        given, agreed = parameters or {}, tables or {}
        self.parameters: dict[str, c.ParameterSpec] = {
            pid: attrs.evolve(spec, default=given[pid]) if pid in given and given[pid] != spec.default else spec
            for pid, spec in model.parameters.items()}
        self.tables: dict[str, c.TableSpec] = {
            tid: _table_of(spec, agreed[tid]) if tid in agreed else spec for tid, spec in model.tables.items()}
        self.scopes: dict[str, dict[str, Any]] = {sid: {"max": spec.max_count, "min": spec.min_count}
                                                  for sid, spec in model.scopes.items()}
        self.value_ir: dict[str, c.Expr] = {nid: node.expr for nid, node in model.nodes.items()
                                            if isinstance(node, c.ValueNode)}
        self.domains: dict[str, Domain] = {}


def _table_of(spec: c.TableSpec, mapping: Mapping[Any, Any]) -> c.TableSpec:
    """``spec`` with the rows of ``mapping`` (key or tuple of keys → value)."""
    rows = tuple(c.TableRowSpec(key if isinstance(key, tuple) else (key,), value, None, (), spec.span)
                 for key, value in mapping.items())
    return attrs.evolve(spec, rows=rows)


def symbols_read_through(roots: Iterable[Any], value_ir: Mapping[str, c.Expr]) -> set[str]:
    """The parameters and tables (by id) that ``roots`` (expressions, bands) read — also through
    the values they read."""
    read: set[str] = set()
    values: set[str] = set()
    pending = list(roots)
    while pending:
        for expr in toolkit.walk(pending.pop()):
            if isinstance(expr, c.Lookup):
                read.add(expr.table)
            elif isinstance(expr, c.Ref) and expr.kind == c.RefKind.PARAMETER:
                read.add(expr.symbol)
            elif isinstance(expr, c.Ref) and expr.kind == c.RefKind.WERT and expr.symbol in value_ir \
                    and expr.symbol not in values:
                values.add(expr.symbol)
                pending.append(value_ir[expr.symbol])
    return read


def _interval(lo: Decimal | None, hi: Decimal | None, integral: bool = False) -> Domain:
    if lo is not None and hi is not None and integral and hi - lo <= MAX_VALUES:
        start = int(lo.to_integral_value(rounding="ROUND_CEILING"))
        return Domain.of(range(start, int(hi.to_integral_value(rounding="ROUND_FLOOR")) + 1))
    return Domain(None, lo, hi, integral)


def _combine(left: Domain, right: Domain, op: str) -> Domain:
    if (
        left.values is not None
        and right.values is not None
        and len(left.values) * len(right.values) <= MAX_VALUES
    ):
        if op == "/" and Decimal(0) in right.values:
            return UNKNOWN
        # a set of exact values only: a result not exact in 28 digits (a third) goes to bounds
        # rounded outward — its 28 digits rounded down, taken as a value, would be carried into
        # what is computed from it (2 − 2/3·3 would be a tiny number, not 0)
        out: set[Decimal] = set()
        with decimal.localcontext(_EXACT):
            for a, b in itertools.product(left.values, right.values):
                try:
                    value = _apply(op, a, b)
                except decimal.Inexact:
                    break  # not exact: bounds instead
                if _capped(value) is None:
                    break  # too large: bounds instead
                out.add(value)
            else:
                return Domain.of(out)
    integral = left.integral and right.integral and op != "/"
    if op == "+":
        lo = None if left.lo is None or right.lo is None else _low("+", left.lo, right.lo)
        hi = None if left.hi is None or right.hi is None else _high("+", left.hi, right.hi)
        return _interval(lo, hi, integral)
    if op == "-":
        lo = None if left.lo is None or right.hi is None else _low("-", left.lo, right.hi)
        hi = None if left.hi is None or right.lo is None else _high("-", left.hi, right.lo)
        return _interval(lo, hi, integral)
    factor = right.single()  # (a conversion's factor or denominator)
    if op == "*" and factor is not None and factor > 0 and (left.lo is None or left.hi is None):
        # (a conversion's factor: each known bound of the other side stays one)
        lo = None if left.lo is None else _low("*", left.lo, factor)
        hi = None if left.hi is None else _high("*", left.hi, factor)
        return _interval(lo, hi, integral)
    if op == "*" and left.lo is not None and left.hi is not None and right.lo is not None and right.hi is not None:
        pairs = [(a, b) for a in (left.lo, left.hi) for b in (right.lo, right.hi)]
        return _interval(_extreme("*", pairs, True), _extreme("*", pairs, False), integral)
    if op == "*" and left.lo is not None and right.lo is not None and left.lo >= 0 and right.lo >= 0:
        return Domain(None, _low("*", left.lo, right.lo) or Decimal(0), None, integral)
    if op == "/" and factor is not None and factor > 0:
        lo = None if left.lo is None else _low("/", left.lo, factor)
        hi = None if left.hi is None else _high("/", left.hi, factor)
        return Domain(None, lo, hi)
    if (op == "/" and left.lo is not None and left.hi is not None and right.lo is not None
            and right.hi is not None and (right.lo > 0 or right.hi < 0)):
        # a divisor of one sign: the quotient is monotonic in each side, its extremes at the corners
        pairs = [(a, b) for a in (left.lo, left.hi) for b in (right.lo, right.hi)]
        return Domain(None, _extreme("/", pairs, True), _extreme("/", pairs, False))
    if op == "/" and left.lo is not None and right.lo is not None and left.lo >= 0 and right.lo > 0:
        lo = _low("/", left.lo, right.hi) if right.hi is not None else None
        hi = _high("/", left.hi, right.lo) if left.hi is not None else None
        return Domain(None, lo if lo is not None else Decimal(0), hi)
    return UNKNOWN


def _union(domains: list[Domain]) -> Domain:
    value_sets = [d.values for d in domains if d.values is not None]
    if len(value_sets) == len(domains):
        return Domain.of(itertools.chain.from_iterable(value_sets))
    los = [d.lo for d in domains if d.lo is not None]
    his = [d.hi for d in domains if d.hi is not None]
    lo = min(los) if len(los) == len(domains) else None
    hi = max(his) if len(his) == len(domains) else None
    return Domain(None, lo, hi, all(d.integral for d in domains))


def _type_domain(vtype: c.ValueType) -> Domain:
    if vtype.kind == c.TypeKind.ENUM and vtype.enum is not None and vtype.enum.numeric:
        return Domain.of(cast("tuple[int, ...]", vtype.enum.keys()))  # numeric: every key is an int
    if vtype.kind != c.TypeKind.ZAHL:
        return UNKNOWN
    if vtype.choices is not None:
        return Domain.of(vtype.choices)
    return _interval(vtype.low, vtype.high, vtype.integer)


def domain_of(ir: c.Expr | None, checker: SymbolTables, facts: Facts | None = None) -> Domain:
    """The domain of ``ir``; ``checker`` supplies symbols, parameters, tables and value IR.
    ``facts``: what holds where ``ir`` is evaluated (:func:`facts_of` a ``wenn``'s test, in its
    branch): the domain of an input or value of the row by (scope, key), narrowed."""
    if ir is None:
        return UNKNOWN
    if facts and isinstance(ir, c.Ref) and (ir.scope, ir.key) in facts:
        return facts[(ir.scope, ir.key)]
    if isinstance(ir, c.Const):
        if isinstance(ir.value, (Decimal, int)) and not isinstance(ir.value, bool):
            return Domain.of([ir.value])
        return UNKNOWN
    if isinstance(ir, c.Ref):
        if ir.kind == c.RefKind.PARAMETER:
            spec = checker.parameters.get(ir.symbol)
            if (
                spec is not None
                and isinstance(spec.default, (Decimal, int))
                and not isinstance(spec.default, bool)
            ):
                return Domain.of([spec.default])
            return UNKNOWN
        if ir.kind == c.RefKind.WERT and ir.symbol in checker.value_ir:
            cached = checker.domains.get(ir.symbol)
            if cached is None:
                checker.domains[ir.symbol] = UNKNOWN  # guards against cycles
                cached = domain_of(checker.value_ir[ir.symbol], checker)
                checker.domains[ir.symbol] = cached
            return cached
        return _type_domain(ir.type)
    if isinstance(ir, c.Unary):
        if ir.op == "-":
            inner = domain_of(ir.operand, checker, facts)
            if inner.values is not None:
                return Domain.of(v.copy_negate() for v in inner.values)
            lo = inner.hi.copy_negate() if inner.hi is not None else None
            hi = inner.lo.copy_negate() if inner.lo is not None else None
            return Domain(None, lo, hi, inner.integral)
        return UNKNOWN
    if isinstance(ir, c.Arith) and ir.type.kind == c.TypeKind.ZAHL:
        found = _combine(domain_of(ir.left, checker, facts), domain_of(ir.right, checker, facts), ir.op)
        if ir.op == "-" and _not_less(ir.left, ir.right):
            return _not_negative(found)
        return found
    if isinstance(ir, c.Convert):
        factor = Domain.of([Decimal(ir.factor.numerator)])
        scaled = _combine(domain_of(ir.operand, checker, facts), factor, "*")
        return _combine(scaled, Domain.of([Decimal(ir.factor.denominator)]), "/")
    if isinstance(ir, c.Cond):
        return _union([domain_of(ir.then, checker, facts_of(ir.test, checker, True, facts)),
                       domain_of(ir.otherwise, checker, facts_of(ir.test, checker, False, facts))])
    if isinstance(ir, c.Lookup):
        table = checker.tables.get(ir.table)
        if table is not None and table.value_type.kind in (c.TypeKind.ZAHL, c.TypeKind.ENUM):
            values = [row.value for row in table.rows if not isinstance(row.value, (bool, str))]
            if len(values) == len(table.rows) and values:
                return Domain.of(values)
        return _type_domain(ir.type)
    if isinstance(ir, c.Func):
        if ir.name in ("min", "max"):
            parts = [domain_of(a, checker, facts) for a in ir.args]
            value_sets = [p.values for p in parts if p.values is not None]
            if len(value_sets) == len(parts) == 2 and len(value_sets[0]) * len(value_sets[1]) <= MAX_VALUES:
                fn = min if ir.name == "min" else max
                return Domain.of(fn(a, b) for a, b in itertools.product(*value_sets))
            los = [p.lo for p in parts if p.lo is not None]
            his = [p.hi for p in parts if p.hi is not None]
            if ir.name == "min":  # the least of the lower bounds, if all are known; else unbounded
                lo = min(los) if len(los) == len(parts) else None
                hi = min(his, default=None)
            else:
                lo = max(los, default=None)
                hi = max(his) if len(his) == len(parts) else None
            return Domain(None, lo, hi, all(p.integral for p in parts))
        if ir.name == "runde":
            return _rounded(domain_of(ir.args[0], checker, facts), ir.args[1], ir.args[2])
        if ir.name == "monat":
            return Domain.of(range(1, 13))
        if ir.name == "tage_im_monat":
            return Domain.of(range(28, 32))
        if ir.name == "kalendertage":  # (a period ending before the day before it starts is a fault)
            return Domain(None, Decimal(0), None, True)
        return UNKNOWN
    if isinstance(ir, c.Aggregate):
        scope = checker.scopes.get(ir.scope, {})
        most = scope.get("max") if isinstance(scope, dict) else None
        if ir.function == "anzahl":  # (every element counted: at least the list's declared least)
            least = scope.get("min") if isinstance(scope, dict) and ir.where is None else None
            return _interval(Decimal(least or 0), Decimal(most) if most is not None else None, True)
        inner = domain_of(ir.value, checker)
        if ir.function == "summe":
            if inner.lo is not None and inner.lo >= 0:
                hi = _high("*", inner.hi, Decimal(most)) if inner.hi is not None and most is not None else None
                return Domain(None, Decimal(0), hi, inner.integral)
            return Domain(None, None, None, inner.integral)
        return Domain(None, inner.lo, inner.hi, inner.integral)
    if isinstance(ir, c.Position):
        return Domain(None, Decimal(1), None, True)
    if isinstance(ir, c.Previous):
        return _type_domain(ir.type)
    if isinstance(ir, c.KeyApply):  # count ÷ the key's divisor (which is greater than 0)
        count = domain_of(ir.count, checker, facts)
        applied = _combine(count, domain_of(ir.key, checker, facts), "/")
        if applied is UNKNOWN and count.lo is not None and count.lo >= 0:
            return Domain(None, Decimal(0), None)
        return applied
    return UNKNOWN


Facts = Mapping[tuple[str, str], Domain]
"""The narrowed domains of inputs and values of the row, by (scope, key), where a test holds."""


def facts_of(test: c.Expr, checker: SymbolTables, holds: bool, facts: Facts | None = None) -> Facts | None:
    """``facts`` and what they become where ``test`` is ``holds`` (``wenn test dann … sonst …``):
    a comparison of an input or value of the row with a number narrows its domain (a finite one
    to the values that pass, an interval to its bounds); ``und``, ``oder`` and ``nicht`` combine
    them. Anything else adds nothing."""
    if isinstance(test, c.Unary) and test.op == "nicht":
        return facts_of(test.operand, checker, not holds, facts)
    if isinstance(test, c.Logic):
        if (test.op == "und") == holds:  # both hold (a conjunction holds, a disjunction fails)
            return facts_of(test.right, checker, holds, facts_of(test.left, checker, holds, facts))
        return facts
    if not isinstance(test, c.Compare) or test.op not in _TESTS:
        return facts
    ref, other, op = test.left, test.right, test.op
    if not isinstance(ref, c.Ref):
        ref, other, op = test.right, test.left, _MIRRORED[test.op]
    if not isinstance(ref, c.Ref) or ref.kind == c.RefKind.PARAMETER or ref.type.kind != c.TypeKind.ZAHL:
        return facts
    bound = domain_of(other, checker, facts).single()  # (a value set's value: exact)
    if bound is None:
        return facts
    if not holds:
        op = _NEGATED[op]
    domain = domain_of(ref, checker, facts)
    # the evaluation decides a comparison within NEAR on the exact values, and there takes a
    # value within SNAP of the bound to be on it: where ``x >= b`` holds, x ≥ b − SNAP (not b),
    # where ``x = b`` holds, |x − b| ≤ SNAP; ``>``, ``<`` and ``<>`` hold of the exact values
    with decimal.localcontext(_WIDE):  # (exactly: 1 − SNAP is no 28-digit number)
        low = bound - SNAP if op in (">=", "=") else bound
        high = bound + SNAP if op in ("<=", "=") else bound
    if domain.values is not None:
        narrowed = Domain.of(v for v in domain.values if _passes(op, v, bound, low, high))
    elif op == "<>":
        narrowed = domain
    else:
        lo, hi = domain.lo, domain.hi
        if op in (">", ">=", "=") and (lo is None or lo < low):
            lo = low
        if op in ("<", "<=", "=") and (hi is None or hi > high):
            hi = high
        narrowed = Domain(None, lo, hi, domain.integral)
    return {**(facts or {}), (ref.scope, ref.key): narrowed}


def _passes(op: str, value: Decimal, bound: Decimal, low: Decimal, high: Decimal) -> bool:
    """Whether a value of a finite domain may pass ``value op bound`` (``low``..``high``: the
    values a test that holds leaves, see :func:`facts_of`)."""
    if op == "<>":
        return value != bound
    if op in (">", "<"):
        return bool(_TESTS[op](value, bound))
    return (op == "<=" or low <= value) and (op == ">=" or value <= high)


_TESTS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_MIRRORED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATED = {"=": "<>", "<>": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _rounded(inner: Domain, places: c.Expr, mode: c.Expr) -> Domain:
    """The domain of ``runde(x, places, mode)`` for ``x`` in ``inner``: each mode is a
    non-decreasing function, so the bounds rounded are the bounds (a value set: each value
    rounded) — a rounded value may lie outside ``inner`` (0.3 rounds to 0 when ``inner`` starts
    at 0.2)."""
    if not (isinstance(places, c.Const) and isinstance(mode, c.Const) and mode.value in c.ROUNDING_MODES):
        return UNKNOWN
    quantum = Decimal(1).scaleb(-int(places.value))
    rounding = c.ROUNDING_MODES[mode.value]
    whole = int(places.value) <= 0

    def rounded(value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        try:
            with decimal.localcontext(_UP):
                return _capped(value.quantize(quantum, rounding=rounding))
        except decimal.InvalidOperation:  # more digits than the context holds: no bound
            return None

    if inner.values is not None:
        values = [rounded(v) for v in inner.values]
        if None not in values:
            return Domain.of(v for v in values if v is not None)
    return _interval(rounded(inner.lo), rounded(inner.hi), whole)


def level_rule_problem(domain: Domain, numbers: Iterable[int], package: str) -> str | None:
    """The message where a ``stufe = …`` rule of ``package`` whose values are ``domain`` can
    give a level not among ``numbers`` (its declared levels); None where it cannot."""
    declared = list(numbers)
    outside = sorted(v for v in domain.values or () if v not in declared)
    if not outside:
        return None
    return (f"Die Stufenregel von „{package}“ kann {', '.join(map(str, outside))} ergeben; "
            f"deklariert sind {', '.join(map(str, declared))}")


LEVEL_RULE_HINT = ("begrenze die Regel auf die deklarierten Stufen (etwa mit min(…, höchste Stufe)), oder "
                   "deklariere die fehlende Stufe im Block „stufen“")


# ---- corridors -------------------------------------------------------------------------------

_NEG_INF = (0, Decimal(0), 0)


def _start(value: Decimal | None, inclusive: bool) -> tuple[int, Decimal, int]:
    """An ordering key for the first point of a band (−∞ sorts first)."""
    if value is None:
        return (-1, Decimal(0), 0)
    return (0, value, 0 if inclusive else 1)


def _after(value: Decimal | None, inclusive: bool) -> tuple[int, Decimal, int]:
    """The first point after a band's end (+∞ sorts last)."""
    if value is None:
        return (1, Decimal(0), 0)
    return (0, value, 1 if inclusive else 0)


def _terms(ir: c.Expr, extreme: str) -> list[Any]:
    """Keys (:func:`~teilhabe_rules.ir.toolkit.ir_key`) of terms ``ir`` is at least (``extreme``
    ``max``) or at most (``min``): itself and the arguments of ``max(…)``/``min(…)``; a ``max``
    over a list and its ``min`` over the same elements share a key of their own."""
    if isinstance(ir, c.Func) and ir.name == extreme:
        return [toolkit.ir_key(ir), *(toolkit.ir_key(a) for a in ir.args)]
    if isinstance(ir, c.Aggregate) and ir.function == extreme:
        return [toolkit.ir_key(ir), ("extremes", ir.scope, toolkit.ir_key(ir.value), toolkit.ir_key(ir.where))]
    return [toolkit.ir_key(ir)]


def _not_less(left: c.Expr, right: c.Expr) -> bool:
    """Whether ``left ≥ right`` in every case, by their form: a term ``left`` is at least and
    ``right`` at most — ``max(x, y) − min(x, y)``, ``x − min(x, y)``, ``max(l.x) − min(l.x)``."""
    if not (_bounding(left, "max") or _bounding(right, "min") or type(left) is type(right)):
        return False  # (no keys built for the differences that cannot match)
    below = _terms(right, "min")
    return any(term in below for term in _terms(left, "max"))


def _bounding(ir: c.Expr, name: str) -> bool:
    """Whether ``ir`` is ``max(…)``/``min(…)`` (``name``) of arguments or over a list."""
    return isinstance(ir, c.Func) and ir.name == name or isinstance(ir, c.Aggregate) and ir.function == name


def _not_negative(found: Domain) -> Domain:
    """``found`` of a difference known to be at least 0: its negative part left out."""
    if found.values is not None:
        return Domain.of(v for v in found.values if v >= 0)
    lo = Decimal(0) if found.lo is None or found.lo < 0 else found.lo
    if found.hi is not None and found.hi < lo:  # (bounds rounded outward: never below 0 by more)
        return found
    return Domain(None, lo, found.hi, found.integral)


_Bounds = tuple[c.BandSpec, Decimal | None, Decimal | None]  # a band and its bounds' values


def _contains(band: _Bounds, value: Decimal) -> bool:
    b, lo, hi = band
    return band_contains(value, lo, b.lower_inclusive, hi, b.upper_inclusive)


def _describe(b: c.BandSpec, lo: Decimal | None, hi: Decimal | None, unit: str) -> str:
    parts = []
    if lo is not None:
        parts.append(("ab " if b.lower_inclusive else "über ") + _fmt(lo))
    if hi is not None:
        parts.append(("bis " if b.upper_inclusive else "unter ") + _fmt(hi))
    return " ".join(parts) + (f" {unit}" if unit else "")


def _fmt(value: Decimal) -> str:
    """A bound or value in a message: its digits, a zero without a sign (a value set's ``2 − 2``
    is ``-0`` where the exact context rounds toward −∞)."""
    return decimal_text(value.normalize())


def _with_unit(value: Decimal, unit: Unit) -> str:
    """A value with its unit in a message (``1 Tag``, ``2 Tage``, ``7`` without a unit)."""
    shown = _fmt(value)
    return f"{shown} {unit.text_after(shown)}" if str(unit) else shown


def _gap_text(a: tuple[int, Decimal, int], b: tuple[int, Decimal, int], unit: Unit) -> str:
    if a[0] == -1:
        return f"Werte {'unter' if b[2] == 0 else 'bis'} {_with_unit(b[1], unit)}"
    if b[0] == 1:
        return f"Werte {'ab' if a[2] == 0 else 'über'} {_with_unit(a[1], unit)}"
    if _single(a, b):
        return f"der Wert {_with_unit(a[1], unit)}"
    left = ("ab " if a[2] == 0 else "über ") + _fmt(a[1])
    right = ("unter " if b[2] == 0 else "bis ") + _fmt(b[1])
    return f"Werte {left} {right}" + (f" {unit}" if str(unit) else "")


def _single(a: tuple[int, Decimal, int], b: tuple[int, Decimal, int]) -> bool:
    """Whether the gap from ``a`` to ``b`` is one value (``unter x`` … ``über x``)."""
    return a[0] == b[0] == 0 and a[1] == b[1] and a[2] == 0


def _gap_sentence(package: str, a: tuple[int, Decimal, int], b: tuple[int, Decimal, int], unit: Unit) -> str:
    verb = "liegt" if _single(a, b) else "liegen"
    return f"Der Korridor von „{package}“ lässt eine Lücke: {_gap_text(a, b, unit)} {verb} in keinem Band"


def _has_integer(a: tuple[int, Decimal, int], b: tuple[int, Decimal, int]) -> bool:
    if a[0] == -1 or b[0] == 1:
        return True
    first = a[1].to_integral_value(rounding="ROUND_CEILING")
    if a[2] == 1 and first == a[1]:
        first += 1
    return first < b[1] or first == b[1] and b[2] == 1


def _band_text(band: _Bounds, unit: str) -> str:
    """„dem Band von Stufe 2 (über 7 min/Tag)“: a band as a hint names it."""
    b, lo, hi = band
    return f"dem Band von Stufe {b.level} ({_describe(b, lo, hi, unit)})"


def _band_next_to(bands: list[_Bounds], value: Decimal) -> tuple[_Bounds, bool] | None:
    """The band next to ``value``, which no band holds: the first band after it (True), else the
    band before it that ends last (False); None without bands."""
    point = _start(value, True)
    after = [band for band in bands if _start(band[1], band[0].lower_inclusive) > point]
    if after:
        return min(after, key=lambda t: _start(t[1], t[0].lower_inclusive)), True
    if bands:
        return max(bands, key=lambda t: _after(t[2], t[0].upper_inclusive)), False
    return None


def _empty_band_hint(b: c.BandSpec, lo: Decimal, hi: Decimal, unit: Unit) -> str:
    """What makes the band ``lo``–``hi`` empty: its lower bound above its upper one, or equal
    bounds with one of them excluded."""
    if lo > hi:
        return (f"die untere Grenze ({_with_unit(lo, unit)}) liegt über der oberen ({_with_unit(hi, unit)}); "
                "sie muss darunter liegen — ein einzelner Wert: „ab x bis x“")
    excluding = [word for word, inclusive in (("über", b.lower_inclusive), ("unter", b.upper_inclusive))
                 if not inclusive]
    words = " und ".join(f"„{w}“" for w in excluding)
    verb = "schließt" if len(excluding) == 1 else "schließen"
    return (f"beide Grenzen sind {_with_unit(lo, unit)}, und {words} {verb} "
            f"diesen Wert aus: nur „ab {_fmt(lo)} bis {_fmt(hi)}“ hält ihn, sonst muss die untere Grenze unter "
            "der oberen liegen")


def corridor_findings(
    domain: Domain, bands: list[_Bounds], quantity: Unit, levels: Mapping[int, Span | None], package: str
) -> Iterator[tuple[str, str, Span | None, str | None]]:
    """Yield (severity, message, span, hint) for overlaps, gaps and unreachable bands/levels. A gap
    is located at the band next to it — the band after it, or the last band for a gap at the end —
    and its hint names that band; a finding without a band to point at has no span (the caller
    puts it at the package). A level without a band is located at its declaration (``levels``:
    the package's levels with their spans)."""
    unit = str(quantity)  # (after a range of values)
    for b, lo, hi in bands:
        if lo is not None and hi is not None and (
                lo > hi or lo == hi and not (b.lower_inclusive and b.upper_inclusive)):
            yield (  # (a warning, as a band no value reaches: an agreement may empty a band on purpose)
                "warnung",
                f"Das Band von Stufe {b.level} ({_describe(b, lo, hi, unit)}) ist leer: kein Wert liegt darin",
                b.span,
                _empty_band_hint(b, lo, hi, quantity),
            )
    for (b1, lo1, hi1), (b2, lo2, hi2) in itertools.combinations(bands, 2):
        start = max(_start(lo1, b1.lower_inclusive), _start(lo2, b2.lower_inclusive))
        end = min(_after(hi1, b1.upper_inclusive), _after(hi2, b2.upper_inclusive))
        if start < end:
            first, second = _describe(b1, lo1, hi1, unit), _describe(b2, lo2, hi2, unit)
            yield (
                "fehler",
                f"Die Korridorbänder von Stufe {b1.level} ({first}) und Stufe {b2.level} ({second}) überschneiden sich",
                b2.span,
                "jeder Wert darf nur in einem Band liegen: „über x“ schließt x aus, „ab x“ schließt es ein",
            )
    if domain.values is not None:
        missing = sorted(v for v in domain.values if not any(_contains(band, v) for band in bands))
        if missing:
            shown = ", ".join(_fmt(v) for v in missing[:6]) + (" …" if len(missing) > 6 else "")
            neighbour = _band_next_to(bands, missing[0])
            where = "" if neighbour is None else (
                f"{_with_unit(missing[0], quantity)} liegt "
                f"{'vor' if neighbour[1] else 'nach'} {_band_text(neighbour[0], unit)}; "
            )
            yield (
                "fehler",
                f"Der Korridor von „{package}“ deckt mögliche Werte nicht ab: {shown}{' ' + unit if unit else ''}",
                None if neighbour is None else neighbour[0][0].span,
                f"{where}ergänze ein Band oder verschiebe eine Grenze",
            )
        for band in bands:
            if not any(_contains(band, v) for v in domain.values):
                described = _describe(band[0], band[1], band[2], unit)
                yield (
                    "warnung",
                    f"Das Band von Stufe {band[0].level} ({described}) wird von keinem möglichen Wert erreicht",
                    band[0].span,
                    None,
                )
    else:
        ordered = sorted(bands, key=lambda t: _start(t[1], t[0].lower_inclusive))
        lowest = cursor = _start(domain.lo, True)
        end = _after(domain.hi, True)
        for b, lo, hi in ordered:
            begin = _start(lo, b.lower_inclusive)
            if begin > cursor and cursor < end:
                gap_end = min(begin, end)
                if not domain.integral or _has_integer(cursor, gap_end):
                    before = _band_text((b, lo, hi), unit)
                    x = _fmt(cursor[1])
                    if _single(cursor, gap_end):  # one value: the bound that takes it in
                        hint = f"schließe die Lücke vor {before}: „ab {x}“ statt „über {x}“" + (
                            "" if cursor == lowest else f" (oder „bis {x}“ statt „unter {x}“ im Band davor)")
                    elif cursor == lowest:  # below every band the domain reaches: no band before it
                        hint = f"die Lücke liegt vor {before}; ergänze ein Band oder begrenze den Wertebereich " \
                               "der Eingaben"
                    else:
                        hint = f"schließe die Lücke vor {before}, z. B. mit „über x“ direkt nach „bis x“"
                    yield "fehler", _gap_sentence(package, cursor, gap_end, quantity), b.span, hint
            cursor = max(cursor, _after(hi, b.upper_inclusive))
        if cursor < end and (not domain.integral or _has_integer(cursor, end)):
            # the gap follows the band that ends last
            last = max(bands, key=lambda t: _after(t[2], t[0].upper_inclusive), default=None)
            after = "" if last is None else f"die Lücke liegt nach {_band_text(last, unit)}; "
            if last is not None and _single(cursor, end):
                x = _fmt(cursor[1])
                hint = f"{after}„bis {x}“ statt „unter {x}“ schließt sie"
            else:
                hint = after + "ergänze ein Band oder begrenze den Wertebereich der Eingaben"
            yield "fehler", _gap_sentence(package, cursor, end, quantity), None if last is None else last[0].span, hint
        for b, lo, hi in bands:
            if (
                domain.hi is not None
                and lo is not None
                and (lo > domain.hi or lo == domain.hi and not b.lower_inclusive)
            ) or (
                domain.lo is not None
                and hi is not None
                and (hi < domain.lo or hi == domain.lo and not b.upper_inclusive)
            ):
                described = _describe(b, lo, hi, unit)
                yield (
                    "warnung",
                    f"Das Band von Stufe {b.level} ({described}) wird von keinem möglichen Wert erreicht",
                    b.span,
                    None,
                )
    covered = {b.level for b, _, _ in bands}
    for level, span in levels.items():
        if level not in covered:
            yield (
                "warnung", f"Stufe {level} von „{package}“ hat kein Korridorband und wird nie erreicht", span,
                "ergänze ein Band für diese Stufe, oder streiche die Stufe, wenn sie nicht vorgesehen ist"
            )
