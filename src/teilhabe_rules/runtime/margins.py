"""What would change a level decided by a corridor: the distances to the neighbouring levels.

Takes: a corridor node (``stufe nach korridor``), the rows of its scope chain and the parameter
values. Gives: :class:`LevelMargin` — the quantity, its band, and for the next level up, the next
level down and (where it differs) the granted level a :class:`LevelStep`: how much more or less of
the quantity reaches that level.

Semantics (``docs/04_results.md``, "What would change the level"):

- Where the checker knows the corridor quantity's finite set of possible values (sums of choice
  sets, for instance), a step goes to the *first possible value* whose level differs (or, for the
  granted level, equals it): moving the quantity by ``amount`` reaches that level, every possible
  value strictly in between keeps the current one. ``strict`` is False.
- Otherwise (a quantity over an interval) the step goes to the edge of the target band.
  ``strict`` False (``ab``): the target band includes its edge, so ``amount`` more (less) reaches it.
  ``strict`` True (``mehr als``): the edge itself still belongs to the current side; any amount
  beyond ``amount`` reaches the target band, ``amount`` itself does not. A whole-number quantity
  rounds such a step up to the first whole number beyond the edge (then ``strict`` is False).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import attrs

from ..ir import checked as c
from ..ir.text import EXACT, Figures, display_places, quantity_text, unit_text
from ..records import Record
from .quantities import Quantity, json_value
from .semantics import band_contains

__all__ = ["EXTRA_PLACES", "LevelMargin", "LevelStep", "band_level", "corridor_margin"]

EXTRA_PLACES = 4
"""Places beyond its unit's within which a distance to another level ends to be shown with every
digit (``0,001 h/Jahr``); one of more is rounded, in the direction that keeps its sentence true."""


@attrs.frozen(repr=False)
class LevelStep(Record):
    """``amount`` (> 0, in the quantity's unit) more (``direction == "mehr"``) or less
    (``"weniger"``) of the quantity gives ``level``; with ``strict`` only more than ``amount`` does."""

    level: int
    amount: Decimal
    direction: str
    strict: bool
    unit: str
    type: c.ValueType = attrs.field(repr=False, eq=False)

    def amount_text(self, figures: Figures = EXACT) -> str:
        """The amount with its unit as ``figures`` shows numbers. Rounded to its unit's places
        only where that leaves it as it is: a step rounded half up could state another step than
        the one that reaches the level (``ab 0,00 h/Jahr weniger`` of 0,001 h/Jahr, ``mehr als
        10,00`` of 9,999). An amount that ends within :data:`EXTRA_PLACES` more places is shown
        with every digit; one of more places (a quotient such as 32,58333… h/Jahr of a value
        computed from minutes a day) is rounded to the unit's places in the direction that keeps
        the sentence true: down after „mehr als“ (more than the amount is needed: more than
        less is too), else up (the amount or more reaches the level: more does too)."""
        if not figures.rounded:
            return quantity_text(self.amount, self.type, figures)
        places = display_places(self.type.unit)[1]
        percent = self.type.unit.percent
        shown = self.amount.scaleb(2) if percent else self.amount
        exponent = shown.normalize().as_tuple().exponent
        fractional = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if fractional <= places:
            return quantity_text(self.amount, self.type, figures)
        if fractional <= places + EXTRA_PLACES:
            return quantity_text(self.amount, self.type, figures, given=True)
        rounding = ROUND_FLOOR if self.strict else ROUND_CEILING
        bound = shown.quantize(Decimal(1).scaleb(-places), rounding=rounding)
        for more in range(1, EXTRA_PLACES + 1):  # („mehr als 0,00“ says nothing: the first places that are not 0)
            if bound:
                break
            bound = shown.quantize(Decimal(1).scaleb(-places - more), rounding=rounding)
        finer = bound.as_tuple().exponent != -places  # (places beyond the unit's: shown as they are)
        return quantity_text(bound.scaleb(-2) if percent else bound, self.type, figures, given=finer)

    def text(self, granted: bool = False, figures: Figures = EXACT) -> str:
        """German: ``noch 7 min/Tag bis Stufe 3``, ``ab 2 min/Tag weniger Stufe 1``."""
        amount = ("mehr als " if self.strict else "") + self.amount_text(figures)
        target = f"bewilligte Stufe {self.level}" if granted else f"Stufe {self.level}"
        if self.direction == "mehr":
            return f"noch {amount} bis {target}"
        return f"{'' if self.strict else 'ab '}{amount} weniger {target}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stufe": self.level,
            "richtung": self.direction,
            "abstand": json_value(self.amount, self.type),
        }
        if self.unit:
            out["einheit"] = self.unit
        out["mehr_als"] = self.strict
        return out


@attrs.frozen(repr=False)
class LevelMargin(Record):
    """The corridor position of a package's computed level (``path`` is the package's path)."""

    path: str
    quantity: Quantity
    band: str  # as in the explanation: "über 7 bis 21"
    level: int
    to_next: LevelStep | None  # None: no level above (the top band, or no possible value beyond it)
    to_previous: LevelStep | None  # None: no level below
    to_granted: LevelStep | None  # None: nothing granted, or the granted level is the computed one, or unreachable
    granted_level: int | None = None

    def text(self, figures: Figures = EXACT) -> str:
        parts = [s.text(figures=figures) for s in (self.to_next, self.to_previous) if s is not None]
        if self.to_granted is not None:
            parts.append(self.to_granted.text(granted=True, figures=figures))
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "menge": self.quantity.to_dict(),
            "band": self.band,
            "nächste": None if self.to_next is None else self.to_next.to_dict(),
            "vorige": None if self.to_previous is None else self.to_previous.to_dict(),
            "bewilligte": None if self.to_granted is None else self.to_granted.to_dict(),
        }


_Bounds = list[tuple[int, Any, bool, Any, bool]]  # level, lower, lower inclusive, upper, upper inclusive


def band_level(bounds: _Bounds, value: Any) -> int | None:
    """The level evaluation gives ``value`` (the first band that holds it), None for none."""
    for level, lo, lo_inc, hi, hi_inc in bounds:
        if band_contains(value, lo, lo_inc, hi, hi_inc):
            return level
    return None


def corridor_margin(node: c.CorridorLevelNode, domain: Any, subject: Any, bounds: _Bounds, granted: int | None,
                    path: str, band: str) -> LevelMargin | None:
    """The margin of ``subject`` under ``bounds`` (the bands' evaluated bounds, in order)."""
    if not isinstance(subject, Decimal):
        return None
    vtype = node.subject.type
    unit = unit_text(vtype)
    current = band_level(bounds, subject)
    if current is None:
        return None
    values = getattr(domain, "values", None) if domain is not None else None
    integral = bool(getattr(domain, "integral", False)) or vtype.integer

    def step(level: int, amount: Decimal, direction: str, strict: bool) -> LevelStep:
        return LevelStep(level, amount, direction, strict, unit, vtype)

    def discrete(wanted: Any, direction: str) -> LevelStep | None:
        assert values is not None
        candidates = sorted((v for v in values if (v > subject if direction == "mehr" else v < subject)),
                            reverse=direction == "weniger")
        for v in candidates:
            level = band_level(bounds, v)
            if level is not None and wanted(level):
                return step(level, abs(v - subject), direction, False)
        return None

    def continuous(wanted: Any, direction: str) -> LevelStep | None:
        best: LevelStep | None = None
        for level, lo, lo_inc, hi, hi_inc in bounds:
            if not wanted(level):
                continue
            if direction == "mehr":
                if lo is None or lo < subject or lo == subject and lo_inc:
                    continue
                amount, strict = lo - subject, not lo_inc
            else:
                if hi is None or hi > subject or hi == subject and hi_inc:
                    continue
                amount, strict = subject - hi, not hi_inc
            if strict and integral and subject == subject.to_integral_value():
                edge = subject + amount if direction == "mehr" else subject - amount
                if direction == "mehr":
                    first = edge.to_integral_value(rounding="ROUND_FLOOR") + 1
                else:
                    first = edge.to_integral_value(rounding="ROUND_CEILING") - 1
                if band_level(bounds, first) != level:
                    continue
                amount, strict = abs(first - subject), False
            candidate = step(level, amount, direction, strict)
            if best is None or (amount, strict) < (best.amount, best.strict):
                best = candidate
        return best

    find = discrete if values is not None and subject in values else continuous
    differs = lambda level: level != current  # noqa: E731
    to_next = find(differs, "mehr")
    to_previous = find(differs, "weniger")
    to_granted = None
    if granted is not None and granted != current:
        up = find(lambda level: level == granted, "mehr")
        down = find(lambda level: level == granted, "weniger")
        options = [s for s in (up, down) if s is not None]
        to_granted = min(options, key=lambda s: (s.amount, s.strict)) if options else None
    return LevelMargin(path, Quantity(subject, unit, vtype), band, current, to_next, to_previous, to_granted, granted)
