"""What evaluating a model means, in one place.

Takes: runtime values (``Decimal`` numbers, ``datetime.date`` dates, ``int`` levels, table dicts)
and, for parameter values, a :class:`~teilhabe_rules.ir.checked.CheckedModel`. Gives the meaning of
every operation of the rules language that is more than a Python operator:

* numbers: :data:`DECIMAL_CONTEXT` (28 significant digits; an invalid operation, a division by
  zero and an overflow are errors, never NaN or infinity) and :func:`round_value` with the
  rounding modes of ``runde(…)`` (:data:`ROUNDING_MODES`: ``kaufmännisch`` rounds half up, away
  from zero; ``abrunden`` towards zero; ``aufrunden`` away from zero);
* decisions at a boundary: a rounding, a corridor band or a comparison whose 28-digit value lies
  within :data:`NEAR` of a boundary but not on it is decided on the exact value
  (:func:`decide_rounding`, :func:`decide_bands`, :func:`decide_compare`,
  :func:`exact_decisions`; the argument is in :func:`exact_decisions`);
* dates: :func:`calendar_days` (both days counted), :func:`add_days` (whole days only),
  :func:`date_plus` (Tage, Wochen, Monate, Jahre; a month or year step keeps the day, clamped to
  the month's last day), :func:`days_in_month`, :func:`year_of`, :func:`month_of`;
* corridors: :func:`band_contains`; the level is that of the first band that holds the value,
  none holding it is a fault (:func:`no_band`);
* levels: :func:`declared_level` (a level rule's result must be a declared level) and
  :func:`effective_level` (the granted level, else the computed one);
* tables, lists, declared ranges: :func:`table_lookup`, :func:`minimum`, :func:`maximum`,
  :func:`first`, :func:`last`, :func:`no_previous`, :func:`check_range` (of a value that may be
  inexact: :func:`ranged`); a divisor that may be inexact: :func:`checked_divisor`;
* parameters: :func:`parameter_values` / :class:`ParameterValues` — the model's defaults, the
  value of the period (``ab TT.MM.JJJJ = …``) holding the date, and an agreement's values.

The code :mod:`teilhabe_rules.runtime.compiler` generates calls these functions (bound as globals of the
generated module); the corridor decision it writes out as ``if``/``elif`` comparisons, exactly
those of :func:`band_contains`. The explanations, the level margins, the example coverage, the
checker's corridor proofs and the case generator use the same functions. A failure raises
:class:`~teilhabe_rules.runtime.faults.FaultError` with its typed record.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import decimal
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, NoReturn, TypeVar

from ..errors import Diagnostic, ValidityError
from ..ir import checked as c
from ..ir.checked import ROUNDING_MODES, band_contains
from ..ir.text import format_value, quantity_text
from ..records import FrozenDict
from ..span import Span
from .faults import Fault, FaultError, FaultKind

__all__ = [
    "DATE_UNITS",
    "DECIMAL_CONTEXT",
    "NEAR",
    "ROUNDING_MODES",
    "SNAP",
    "WIDE_CONTEXT",
    "ExactDecisionNeeded",
    "ParameterValues",
    "add_days",
    "band_contains",
    "base_values",
    "calendar_days",
    "check_range",
    "checked_divisor",
    "date_plus",
    "date_required_error",
    "days_in_month",
    "decide_bands",
    "decide_compare",
    "decide_rounding",
    "declared_level",
    "effective_level",
    "exact_decisions",
    "first",
    "last",
    "maximum",
    "minimum",
    "month_of",
    "no_band",
    "no_previous",
    "parameter_values",
    "ranged",
    "round_value",
    "rounding_near",
    "table_lookup",
    "year_of",
]

T = TypeVar("T")

# ---- numbers ---------------------------------------------------------------------------------

# the decimal context of the rules language (defined with the IR, which states what numbers are)
DECIMAL_CONTEXT = c.DECIMAL_CONTEXT



def round_value(value: Decimal, places: Decimal | int, mode: str) -> Decimal:
    """``runde(value, places, mode)``: ``value`` with exactly ``places`` decimal places; where
    ``value`` lies within :data:`NEAR` of a rounding boundary but not on it, decided on the exact
    value (:func:`decide_rounding`)."""
    quantum = Decimal(1).scaleb(-int(places))
    rounding = ROUNDING_MODES[mode]
    result = value.quantize(quantum, rounding=rounding)
    if rounding_near(value, result, quantum, rounding):
        return decide_rounding(value, quantum, rounding)
    return result


# ---- decisions at a boundary -----------------------------------------------------------------

# How far a 28-digit value may lie from its exact value (see :func:`exact_decisions`): a value
# within NEAR of a boundary, and not on it, is decided on the exact value.
NEAR = Decimal("1e-12")
# The evaluation with the exact decisions: 100 significant digits; a value within SNAP of a
# boundary is exactly on it.
WIDE_CONTEXT = decimal.Context(prec=100, rounding=DECIMAL_CONTEXT.rounding, Emin=DECIMAL_CONTEXT.Emin,
                               Emax=DECIMAL_CONTEXT.Emax,
                               traps=[trap for trap, on in DECIMAL_CONTEXT.traps.items() if on])
SNAP = c.SNAP
_ZERO = Decimal(0)

# the decisions at a boundary of the evaluation under way in :func:`exact_decisions` (None: a
# 28-digit evaluation, which raises :class:`ExactDecisionNeeded` instead)
_DECISIONS: ContextVar[list[int] | None] = ContextVar("teilhabe_rules_exact_decisions", default=None)


class ExactDecisionNeeded(Exception):  # noqa: N818 - a signal, not an error
    """A 28-digit evaluation met a value within :data:`NEAR` of a boundary (not on it): the case
    is evaluated again under :func:`exact_decisions`. Never reaches a user."""


@contextlib.contextmanager
def exact_decisions() -> Iterator[list[int]]:
    """Evaluate (in the ``with`` block) with exact decisions at boundaries: in
    :data:`WIDE_CONTEXT`, a rounding, corridor band or comparison whose value lies within
    :data:`SNAP` of its boundary decides as if on it. Yields a one-item list: the number of
    such decisions.

    Why this is the exact decision. Every value of the language is a rational number ``x``
    (decimal inputs and constants, ``+ - * /``, conversions by rational factors, roundings);
    the 28-digit evaluation computes ``v`` with ``|v - x| <= E``, each operation erring by at most
    half a unit in the 28th digit. A decision compares ``x`` with a boundary ``b`` (a multiple
    of ``10^-k`` for ``abrunden``/``aufrunden``, an odd multiple of ``10^-k/2`` for
    ``kaufmännisch``, a band bound or the other side of a comparison), a rational with a small
    denominator ``q``. (1) Where ``|v - b| > NEAR`` and ``E <= NEAR``, ``v`` and ``x`` lie on the
    same side of ``b``: deciding on ``v`` is deciding on ``x``. ``E <= NEAR = 10^-12`` holds
    while the values a decision's value is computed from stay below about ``10^14`` (times the
    number of operations). (2) Where ``v = b``: if ``x ≠ b``, then ``|x - b| >= 1/(d·q)`` for the
    denominator ``d`` of ``x``, so ``E >= 1/(d·q)`` — impossible for the denominators of a tariff
    model (products of its divisors: 1650, 12, 7, 365, a number of places …) while
    ``d·q < 1/E``, about ``10^20``; so ``x = b`` and deciding on ``v`` is right. (3) Otherwise
    (``0 < |v - b| <= NEAR``) the case is evaluated again with 100 digits: its error ``E'`` is
    below ``10^-80`` on the same terms, so a value ``w`` with ``|w - b| <= SNAP = 10^-60`` has
    ``|x - b| < 2·10^-60``, hence ``x = b`` (as ``d·q < 10^59``); and one further away is on
    ``x``'s side of ``b``. The figures a case so evaluated gives are its 100-digit values rounded
    to 28 digits (:data:`DECIMAL_CONTEXT`); every value found within SNAP of a boundary, on
    either side of it, counts as a decision.

    Which decisions are checked: every ``runde`` (the general program and :func:`round_value`),
    and, in the generated code, a corridor band or a comparison of numbers whose value may be
    inexact — it divides (``/``, a conversion by a fraction, a key), or reads a value that does
    (a ``runde`` result is exact). Sums and products of inputs and constants are taken to be exact
    in 28 digits (their digits fit), as are a table's keys and a date's whole days."""
    counter = [0]
    token = _DECISIONS.set(counter)
    try:
        with decimal.localcontext(WIDE_CONTEXT):
            yield counter
    finally:
        _DECISIONS.reset(token)


def _on_boundary(value: Decimal, boundary: Decimal) -> bool:
    """Whether ``value``, near ``boundary``, is exactly on it (counted); in a 28-digit
    evaluation: :class:`ExactDecisionNeeded`."""
    counter = _DECISIONS.get()
    if counter is None:
        raise ExactDecisionNeeded
    if value != boundary and abs(value - boundary) <= SNAP:
        counter[0] += 1
        return True
    return False


def rounding_near(value: Decimal, result: Decimal, quantum: Decimal, rounding: str) -> bool:
    """Whether ``value`` (rounded to ``result``) lies within :data:`NEAR` of a boundary of the
    rounding, but not on it."""
    distance = abs(value - result)
    if rounding == ROUND_HALF_UP:  # distance <= quantum / 2; the boundary at quantum / 2
        half = quantum / 2
        return distance != half and distance >= half - NEAR
    return bool(distance) and (distance <= NEAR or distance >= quantum - NEAR)


def decide_rounding(value: Decimal, quantum: Decimal, rounding: str) -> Decimal:
    """``value.quantize(quantum, rounding=rounding)`` for a value near a boundary of the
    rounding, on either side of it (see :func:`exact_decisions`)."""
    if rounding == ROUND_HALF_UP:  # the tie between the neighbours; on it: away from zero
        boundary = value.quantize(quantum, rounding=ROUND_DOWN) + quantum.copy_sign(value) / 2
        if _on_boundary(value, boundary):
            return boundary.quantize(quantum, rounding=ROUND_HALF_UP)
    else:  # the nearest multiple of the quantum
        boundary = value.quantize(quantum, rounding=ROUND_HALF_EVEN)
        if _on_boundary(value, boundary):
            return boundary
    return value.quantize(quantum, rounding=rounding)


def decide_compare(left: Decimal, right: Decimal) -> Decimal:
    """The value to compare with ``right`` in place of ``left``, which lies within :data:`NEAR`
    of it: ``right`` where ``left`` is exactly ``right``, else ``left`` (see
    :func:`exact_decisions`)."""
    return right if _on_boundary(left, right) else left


def decide_bands(value: Decimal, bounds: tuple[Decimal | None, ...]) -> Decimal:
    """The value a corridor decides on: ``value``, or the bound of its bands it lies exactly on
    where it lies within :data:`NEAR` of one, not on it (see :func:`exact_decisions`)."""
    for bound in bounds:
        if bound is not None and bound != value and abs(value - bound) <= NEAR and _on_boundary(value, bound):
            return bound
    return value


# ---- dates -----------------------------------------------------------------------------------

DATE_UNITS = ("Tage", "Wochen", "Monate", "Jahre")


def calendar_days(start: _dt.date, end: _dt.date, span: Span | None = None) -> Decimal:
    """``kalendertage(start, end)``: the days from ``start`` to ``end``, both counted; 0 for a
    period ending the day before it starts, a fault (at ``span``, the call) for one ending
    earlier."""
    days = (end - start).days + 1
    if days < 0:
        raise FaultError(Fault(FaultKind.PERIOD_BACKWARDS, start=start, end=end, span=span))
    return Decimal(days)


def add_days(date: _dt.date, days: Decimal, sign: int = 1, span: Span | None = None) -> _dt.date:
    """``date + days`` (``sign`` 1) or ``date - days`` (``sign`` -1); only whole days (else a
    fault located at ``span``, the days added)."""
    if days != days.to_integral_value():
        raise FaultError(Fault(FaultKind.NON_WHOLE_DAYS, value=days, span=span))
    try:
        return date + _dt.timedelta(days=sign * int(days))
    except OverflowError:
        raise FaultError(Fault(FaultKind.DATE_OUT_OF_RANGE)) from None


def date_plus(date: _dt.date, amount: Decimal, unit: str) -> _dt.date:
    """``datum_plus(date, amount unit)`` for a unit of :data:`DATE_UNITS` (whole amounts only).
    Months and years keep the day of the month, at most the last day of the target month."""
    if amount != amount.to_integral_value():
        raise FaultError(Fault(FaultKind.NON_WHOLE_AMOUNT, value=amount, unit=unit))
    n = int(amount)
    if unit in ("Tage", "Wochen"):
        return add_days(date, Decimal(n * (7 if unit == "Wochen" else 1)), 1)
    months = n * (12 if unit == "Jahre" else 1)
    total = date.year * 12 + date.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise FaultError(Fault(FaultKind.DATE_OUT_OF_RANGE))
    day = min(date.day, _month_length(year, month + 1))
    return _dt.date(year, month + 1, day)


def days_in_month(year: Any, month: Any) -> Decimal:
    """``tage_im_monat(year, month)`` (whole parts of the numbers)."""
    y, m = int(year), int(month)
    if not 1 <= m <= 12 or not 1 <= y <= 9999:
        raise FaultError(Fault(FaultKind.NOT_A_MONTH, year=y, month=m))
    return Decimal(_month_length(y, m))


def _month_length(year: int, month: int) -> int:
    """The number of days of ``month`` (1–12) of ``year`` (as :func:`calendar.monthrange`, whose
    import costs a new process more than this)."""
    if month == 12:
        return 31
    return (_dt.date(year, month + 1, 1) - _dt.date(year, month, 1)).days


def reference_date(date: _dt.date | None, span: Span) -> _dt.date:
    """``stichtag()``: the reference date of the evaluation; without one a fault located at
    the call (``span``)."""
    if date is None:
        raise FaultError(Fault(FaultKind.NO_DATE, span=span))
    return date


def year_of(date: _dt.date) -> Decimal:
    """``jahr(date)``."""
    return Decimal(date.year)


def month_of(date: _dt.date) -> Decimal:
    """``monat(date)``."""
    return Decimal(date.month)


# ---- corridors and levels --------------------------------------------------------------------


def no_band(value: Any, package: str | None, unit: str) -> NoReturn:
    """The fault of a corridor quantity that no band of ``package`` holds."""
    raise FaultError(Fault(FaultKind.NO_BAND, value=value, package=package, unit=unit))


def declared_level(value: Any, levels: frozenset[int], package: str | None) -> int:
    """The result of a level rule (``stufe = …``) as a level; it must be one of ``levels``."""
    if value not in levels:
        raise FaultError(Fault(FaultKind.LEVEL_NOT_DECLARED, value=value, levels=tuple(sorted(levels)),
                               package=package))
    return int(value)


def effective_level(granted: T | None, computed: T) -> T:
    """The level a package is paid by: the granted level (§ 127 SGB IX), else the computed one."""
    return computed if granted is None else granted


# ---- tables, lists, declared ranges ----------------------------------------------------------


def table_lookup(table: Mapping[Any, Any], key: Any, name: str, span: Span | None = None) -> Any:
    """``table[key]``; a missing row is a fault naming the table (by ``name``) and its keys,
    located at ``span`` (the lookup)."""
    try:
        return table[key]
    except KeyError:
        known = tuple(sorted(table, key=str))
        raise FaultError(Fault(FaultKind.TABLE_MISS, table=name, key=key, known=known, span=span)) from None
    except TypeError:  # pragma: no cover - unhashable keys cannot reach here
        raise FaultError(Fault(FaultKind.TABLE_KEY_UNUSABLE, table=name, key=key, span=span)) from None


def minimum(values: Iterable[Any], what: str, filtered: bool = False) -> Any:
    """``min(liste.x)``; ``what``: the list's name (an empty list is a fault; ``filtered``: the
    aggregate has a ``wo`` condition, which may have left no element of a list that has some)."""
    items = list(values)
    if not items:
        raise FaultError(Fault(FaultKind.EMPTY_LIST, function="min", symbol=what, filtered=filtered))
    return min(items)


def maximum(values: Iterable[Any], what: str, filtered: bool = False) -> Any:
    """``max(liste.x)``; an empty list is a fault."""
    items = list(values)
    if not items:
        raise FaultError(Fault(FaultKind.EMPTY_LIST, function="max", symbol=what, filtered=filtered))
    return max(items)


def first(values: Iterable[Any], what: str, filtered: bool = False) -> Any:
    """``erstes(liste.x)``; an empty list is a fault."""
    for item in values:
        return item
    raise FaultError(Fault(FaultKind.EMPTY_LIST, function="erstes", symbol=what, filtered=filtered))


def last(values: Iterable[Any], what: str, filtered: bool = False) -> Any:
    """``letztes(liste.x)``; an empty list is a fault."""
    items = list(values)
    if not items:
        raise FaultError(Fault(FaultKind.EMPTY_LIST, function="letztes", symbol=what, filtered=filtered))
    return items[-1]


def no_previous(what: str) -> NoReturn:
    """The fault of ``vorher.what`` read on a list's first element."""
    raise FaultError(Fault(FaultKind.NO_PREVIOUS, symbol=what))


def check_range(value: Decimal, low: Decimal | None, high: Decimal | None, name: str) -> None:
    """A computed value ``name`` must lie in its declared range ``low``..``high`` (None: open)."""
    if low is not None and value < low or high is not None and value > high:
        raise FaultError(Fault(FaultKind.OUT_OF_RANGE, symbol=name, value=value, low=low, high=high))


def ranged(value: Decimal, low: Decimal | None, high: Decimal | None, name: str) -> Decimal:
    """:func:`check_range` of a value that may be inexact (it divides, or reads a value that
    does): one past a bound by at most :data:`NEAR` is decided on its exact value (see
    :func:`exact_decisions`) and, exactly on the bound, is the bound — ``a / 3 * 3`` is 5.000…001
    in 28 digits for ``a`` = 5, and exactly 5. Gives the value to keep."""
    if low is not None and value < low or high is not None and value > high:
        bound = low if low is not None and value < low else high
        if bound is not None and abs(value - bound) <= NEAR and _on_boundary(value, bound):
            return bound
        raise FaultError(Fault(FaultKind.OUT_OF_RANGE, symbol=name, value=value, low=low, high=high))
    return value


def checked_divisor(value: Decimal) -> Decimal:
    """The divisor ``value`` of a division whose divisor may be inexact (see ``inexact`` of the
    program's compiler): within :data:`NEAR` of 0, not 0, it is decided on its exact value (see
    :func:`exact_decisions`) — 0 where it is exactly 0, so the division faults as it does on an
    exact 0 (``1 − 1/3 · 3`` is 10^-28 in 28 digits, and exactly 0)."""
    if value and abs(value) <= NEAR and _on_boundary(value, _ZERO):
        return _ZERO
    return value


# ---- parameters on a date --------------------------------------------------------------------


def base_values(model: c.CheckedModel) -> tuple[dict[str, Any], dict[str, dict[Any, Any]]]:
    """The model's own parameter defaults (by id) and table rows (by table id)."""
    parameters = {pid: p.default for pid, p in model.parameters.items()}
    return parameters, {tid: t.mapping() for tid, t in model.tables.items()}


class ParameterValues:
    """The parameter values of one model, by date and agreement (the values per period are
    chosen once per combination of periods and kept)."""

    def __init__(self, model: c.CheckedModel):
        self.model = model
        self.defaults: dict[str, Any] = FrozenDict(base_values(model)[0])
        # parameters with values per period (``ab TT.MM.JJJJ = …``): chosen per date
        self.dated: tuple[c.ParameterSpec, ...] = tuple(p for p in model.parameters.values() if p.periods)
        self._by_period: dict[tuple[int, ...], dict[str, Any]] = {}
        # the last merge with overrides: (overrides, the values merged into, the result)
        self._merged: tuple[Mapping[str, Any], dict[str, Any], dict[str, Any]] | None = None

    def on(self, date: _dt.date | None, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The values (by parameter id) on ``date``: each parameter's default, replaced by the
        value of its period that holds ``date``, replaced by the agreed value in ``overrides``
        (an agreement's value holds for every period). A date in no period of a parameter
        (after a last value that ends with ``bis``) is a :class:`ValidityError` — never the last
        value; so is ``date`` None where a parameter has values per period.

        The dict returned is shared (kept for the next call with the same periods, and with the
        same ``overrides`` object) and read-only (:class:`~teilhabe_rules.records.FrozenDict`)."""
        values = self.defaults
        if self.dated:
            if date is None:
                raise date_required_error(self.model)
            chosen = tuple(_period_index(self.model, spec, date) for spec in self.dated)
            found = self._by_period.get(chosen)
            if found is None:
                found = dict(self.defaults)
                for spec, index in zip(self.dated, chosen, strict=True):
                    if index >= 0:
                        found[spec.id] = spec.periods[index].value
                found = self._by_period.setdefault(chosen, FrozenDict(found))  # a concurrent first use: one wins
            values = found
        if overrides:
            merged = self._merged
            if merged is not None and merged[0] is overrides and merged[1] is values:
                return merged[2]
            result: dict[str, Any] = FrozenDict(
                {**values, **{pid: value for pid, value in overrides.items() if pid in values}})
            self._merged = (overrides, values, result)
            return result
        return values


def parameter_values(model: c.CheckedModel, date: _dt.date | None,
                     overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The parameter values of ``model`` on ``date`` under the agreed ``overrides`` (see
    :meth:`ParameterValues.on`; a :class:`~teilhabe_rules.model.Model` keeps one
    :class:`ParameterValues`)."""
    return ParameterValues(model).on(date, overrides)


def _period_index(model: c.CheckedModel, spec: c.ParameterSpec, date: _dt.date) -> int:
    """The number of the period of ``spec`` holding ``date``; -1: before the first (the default)."""
    index = spec.period_on(date)
    if index is None:
        raise _no_value_error(model, spec, date)
    return index


def date_required_error(model: c.CheckedModel) -> ValidityError:
    """The error of an evaluation without a date of a model with values per period."""
    names = ", ".join(p.name for p in model.parameters.values() if p.periods)
    return ValidityError(Diagnostic(
        f"„{model.info.named()}“ hat Parameter mit Werten je Zeitraum ({names}); die Auswertung braucht einen "
        "Stichtag",
        hint="gib den Stichtag an: --at TT.MM.JJJJ (Model.evaluate(…, at=datum)); "
             "das Modell hat keine Eingabe „stichtag“",
        code="gültigkeit",
    ))


def _no_value_error(model: c.CheckedModel, spec: c.ParameterSpec, date: _dt.date) -> ValidityError:
    info = model.info
    return ValidityError(Diagnostic(
        f"Der Parameter „{spec.name}“ von „{info.named()}“ hat am {format_value(date)} keinen Wert "
        f"({_periods_text(spec, info)})",
        hint="ein Parameterwert gilt nur in seinem Zeitraum; es wird kein Wert fortgeschrieben", code="gültigkeit",
    ))


def _periods_text(spec: c.ParameterSpec, info: c.ModelInfo) -> str:
    """``68.95 EUR/h ab 01.01.2024, 70.10 EUR/h ab 01.01.2025 bis 31.12.2026``."""
    start = f" ab {format_value(info.valid_from)}" if info.valid_from else ""
    parts = [f"{quantity_text(spec.default, spec.type)}{start}"]
    for period in spec.periods:
        end = f" bis {format_value(period.valid_to)}" if period.valid_to else ""
        parts.append(f"{quantity_text(period.value, spec.type)} ab {format_value(period.valid_from)}{end}")
    return ", ".join(parts)
