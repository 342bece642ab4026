"""Runtime values of the checked model as German text.

Takes: a runtime value (``Decimal``, ``int``, ``bool``, ``date``, ``str``) and optionally its
:class:`~teilhabe_rules.ir.checked.ValueType`. Gives: the text shown in results, explanations, messages
and diffs — ``15``, ``45 %`` (a share of 0.45), ``31.12.2027``, ``ja``, ``1:3.5`` (a staff key),
``2 (mittel)`` (a level with its label). One definition, used by every wing.

How numbers are shown is a :class:`Figures` style, and the unit → decimal places policy of the
readable style is :func:`display_places` (documented in ``docs/04_results.md``):

- :data:`EXACT` (the default): every digit, decimal point (``130515.1515151515151515151515``) — the
  form of JSON, of messages and of the Python API;
- :data:`READABLE`: German number formatting (``130.515,15``: thousands dot, decimal comma), each
  computed figure rounded half-up to its unit's places — the text of ``eval`` and ``--explain``;
- :data:`FULL`: German number formatting with every digit (``eval --genau``).

German formatting writes a whole number without a unit of at most four digits — a year — without
the thousands dot (:func:`groups_thousands`).

A figure shown *as given* (an input, a parameter, a constant of a rule) is never rounded.
"""

from __future__ import annotations

import datetime as _dt
import functools
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

import attrs

from ..records import Record
from ..units import Unit
from . import checked as c

# enum members bound once: reading a member off an Enum class costs several times a global
_T_ENUM = c.TypeKind.ENUM
_T_SCHLUESSEL = c.TypeKind.SCHLUESSEL
_T_ZAHL = c.TypeKind.ZAHL

__all__ = [
    "EXACT",
    "FULL",
    "READABLE",
    "WHITE_SPACE",
    "Figures",
    "date_text",
    "decimal_text",
    "display_places",
    "format_value",
    "german_number",
    "group_digits",
    "groups_thousands",
    "quantity_text",
    "unit_text",
]

WHITE_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
               "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""The characters ``str.strip()`` takes away (``str.isspace``)."""


@attrs.frozen(repr=False)
class Figures(Record):
    """How text shows numbers: ``german`` — thousands dot and decimal comma; ``rounded`` —
    computed figures rounded half-up to their unit's places (:func:`display_places`)."""

    german: bool = False
    rounded: bool = False

    def value(self, value: Any, vtype: c.ValueType | None = None, *, given: bool = False) -> str:
        """A runtime value as text; ``given``: an input, parameter or constant (never rounded)."""
        return format_value(value, vtype, self, given=given)

    def quantity(self, value: Any, vtype: c.ValueType | None, *, given: bool = False) -> str:
        """A value with its unit; ``given`` as for :meth:`value`."""
        return quantity_text(value, vtype, self, given=given)


EXACT = Figures()
READABLE = Figures(german=True, rounded=True)
FULL = Figures(german=True, rounded=False)

# the decimal places a unit's figures are shown with: (at least, at most), by the unit's numerator
# atom; ``DEFAULT_PLACES`` for any other unit and for plain numbers
_PLACES: dict[str, tuple[int, int]] = {
    "EUR": (2, 2),
    "VK": (4, 4),
    "h": (2, 2),
    "min": (0, 1),
    "Person": (0, 2),
    "Platz": (0, 2),
}
PERCENT_PLACES = (2, 2)
DEFAULT_PLACES = (0, 4)


def display_places(unit: Unit) -> tuple[int, int]:
    """The decimal places (at least, at most) of a readable figure in ``unit``: a compound unit
    follows its numerator (``EUR/Jahr`` as ``EUR``, ``h/Woche`` as ``h``); a share in percent as
    :data:`PERCENT_PLACES` (of the percent figure: ``65,50 %``); everything else, and a unit whose
    numerator is not one atom (``1/Jahr``, ``EUR·h``), :data:`DEFAULT_PLACES`."""
    if unit.percent:  # not part of a unit's equality: decided before the cache
        return PERCENT_PLACES
    return _places(unit.atoms)


@functools.lru_cache(maxsize=1024)
def _places(atoms: tuple[tuple[str, int], ...]) -> tuple[int, int]:
    numerator = [(atom, exp) for atom, exp in atoms if exp > 0]
    if len(numerator) == 1 and numerator[0][1] == 1:
        return _PLACES.get(numerator[0][0], DEFAULT_PLACES)
    return DEFAULT_PLACES


def date_text(value: _dt.date) -> str:
    """A date as ``TT.MM.JJJJ``, the year in four digits (``01.01.0001``, where ``strftime``
    writes ``01.01.1``)."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def decimal_text(value: Decimal) -> str:
    """Every digit of ``value`` in plain notation (``format(value, "f")``), a zero without a sign:
    ``0 × -60`` and an input ``-0`` are 0, not „-0“, in results, tables and explanations."""
    text = format(value, "f")
    return text[1:] if text[0] == "-" and not value else text


def german_number(value: Decimal, places: tuple[int, int] | None = None, *, grouped: bool = True) -> str:
    """``value`` in German number formatting (``130.515,15``, ``-0,5``); with ``places`` (at
    least, at most) rounded half-up to at most that many decimal places and padded with zeros to
    at least as many; without, every digit of ``value`` (trailing zeros of a whole number dropped).
    Not ``grouped``: the whole part without its thousands dot (``2019``)."""
    if places is not None:
        least, most = places
        value = _rounded(value, most)
        if value.is_zero():
            value = abs(value)  # no "-0,00"
        text = format(value, "f")
        whole, _, fraction = text.partition(".")
        fraction = fraction.rstrip("0")
        fraction = fraction + "0" * (least - len(fraction))
    else:
        text = _plain(value)
        whole, _, fraction = text.partition(".")
    negative = whole.startswith("-")
    digits = whole.lstrip("-")
    return ("-" if negative else "") + (group_digits(digits) if grouped else digits) + (
        "," + fraction if fraction else "")


def _rounded(value: Decimal, most: int) -> Decimal:
    """``value`` rounded half-up to at most ``most`` decimal places (as it is, with no more)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -most:  # more digits than shown: round
        return value.quantize(Decimal(1).scaleb(-most), ROUND_HALF_UP,
                              Context(prec=max(28, value.adjusted() + most + 2)))
    return value


def groups_thousands(value: Decimal, vtype: c.ValueType | None) -> bool:
    """Whether German text writes ``value`` (of type ``vtype``) with a thousands dot: not a whole
    number without a unit of at most four digits, a year above all (``2019``, as an input
    ``ganzzahl von 2000 bis 2100`` and ``jahr(datum)`` hold it), a month, a number of a code —
    four digits need no dot, and a year never takes one. A number with a unit (``1.650 EUR``), a
    share, a number with places and one of five digits or more are grouped, and so is a number of
    no known type."""
    if vtype is None or vtype.kind != _T_ZAHL or not vtype.unit.is_dimensionless or vtype.unit.percent:
        return True
    return not (value == value.to_integral_value() and abs(value) < _UNGROUPED_BELOW)


_UNGROUPED_BELOW = Decimal(10000)


def group_digits(digits: str) -> str:
    """``1234567`` → ``1.234.567``: the digits of a whole number in groups of three from the
    right (as text: a number of any length, not limited as ``int`` of a text is)."""
    head = len(digits) % 3 or 3
    return ".".join([digits[:head], *(digits[i:i + 3] for i in range(head, len(digits), 3))])


def _plain(value: Decimal) -> str:
    """Every digit of ``value`` with a decimal point; a whole number without its trailing zeros."""
    text = decimal_text(value)
    if "." in text and value == value.to_integral_value():
        text = text.rstrip("0").rstrip(".")
    return text


def format_value(value: Any, vtype: c.ValueType | None = None, figures: Figures = EXACT, *,
                 given: bool = False) -> str:
    """A runtime value as text (``15``, ``45`` for 45 %, ``31.12.2027``, ``ja``); numbers as
    ``figures`` shows them (``given``: an input, parameter or constant, never rounded)."""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, Decimal):
        if vtype is not None and vtype.unit.percent:
            value = value.scaleb(2)  # 0.6550 → 65.50: the decimal point moves, no digits are added
        if not figures.german:  # _plain, written out: the exact style is the hot path of explanations
            text = decimal_text(value)
            if "." in text and value == value.to_integral_value():
                text = text.rstrip("0").rstrip(".")
            return text
        if not figures.rounded or given or (vtype is not None and vtype.kind == _T_SCHLUESSEL):
            return german_number(value, grouped=groups_thousands(value, vtype))
        places = display_places(vtype.unit) if vtype is not None else DEFAULT_PLACES
        # (grouped as the number is shown: 1233.99999 rounded to 1234 is a whole number, as 1234 is)
        return german_number(value, places, grouped=groups_thousands(_rounded(value, places[1]), vtype))
    if isinstance(value, _dt.date):
        return date_text(value)
    if value is None:
        return "—"
    return str(value)


def quantity_text(value: Any, vtype: c.ValueType | None, figures: Figures = EXACT, *, given: bool = False) -> str:
    """A value with its unit (``12.5 h/Woche``, ``45 %``, ``1:3.5``, ``2 (mittel)``); numbers as
    ``figures`` shows them (``given`` as for :func:`format_value`)."""
    if figures is EXACT and type(value) is Decimal and vtype is not None and vtype.kind == _T_ZAHL:
        # the hot path of explanations: format_value's exact text, written out
        measure = vtype.unit
        if measure.percent:
            value = value.scaleb(2)
        text = decimal_text(value)
        if "." in text and value == value.to_integral_value():
            text = text.rstrip("0").rstrip(".")
        shown = measure.text_after(text)
        return f"{text} {shown}".strip() if shown != "%" else f"{text} %"
    if vtype is not None and vtype.kind == _T_SCHLUESSEL and isinstance(value, Decimal):
        return f"1:{format_value(value, None, figures, given=True)}"
    text = format_value(value, vtype, figures, given=given)
    unit = vtype.unit.text_after(text) if vtype is not None and vtype.kind == _T_ZAHL else ""
    if vtype is not None and vtype.kind == _T_ENUM and vtype.enum is not None:
        member = vtype.enum.member(value)
        if member is not None and member.label and vtype.enum.is_levels:
            return f"{text} ({member.label})"
    return f"{text} {unit}".strip() if unit != "%" else f"{text} %"


def unit_text(vtype: c.ValueType | None) -> str:
    """The unit of a number type as text (``EUR/Jahr``); empty for anything else."""
    if vtype is None or vtype.kind != _T_ZAHL:
        return ""
    return str(vtype.unit)
