"""Evaluation faults as typed records.

Takes: what went wrong while a compiled model evaluated a case. Gives: a :class:`Fault` — its
:class:`FaultKind` and the fields that kind needs (the table and the key of a table miss, the
value and the declared bounds of a value out of range, …) — which renders the German message
and hint shown to the user (:meth:`Fault.message`, :meth:`Fault.hint`).

The helpers of :mod:`teilhabe_rules.runtime.semantics` raise :class:`FaultError` (an exception
carrying the record); the generated code wraps whatever it raises in :class:`Located` (the node
being computed and the element indexes at that moment); :func:`fault_of` turns a Python or
decimal exception (division by zero, an invalid operation, an overflow) into a record as well.
Code that reacts to a fault decides by ``fault.kind`` and the record's fields, never by the text.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import decimal
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from ..ir.text import date_text, decimal_text
from ..records import Record
from ..span import Span
from ..units import UnitError, parse_unit

__all__ = ["Fault", "FaultError", "FaultKind", "Located", "fault_of", "key_text"]

_SHOWN_KEYS = 12  # table keys named in the hint of a table miss


class FaultKind(enum.Enum):
    """What went wrong; the fields of :class:`Fault` each kind uses are named here."""

    TABLE_MISS = "tabelle_ohne_eintrag"  # table, key, known
    TABLE_NOT_AGREED = "nicht_vereinbart"  # table, key, where (the agreement line removing the row)
    TABLE_KEY_UNUSABLE = "tabellenschlüssel_unbrauchbar"  # table, key
    NO_BAND = "kein_korridorband"  # package, value, unit
    LEVEL_NOT_DECLARED = "keine_stufe"  # package, value, levels
    OUT_OF_RANGE = "außerhalb_des_bereichs"  # symbol, value, low, high
    EMPTY_LIST = "leere_liste"  # function (min, max, erstes, letztes), symbol (the list)
    NO_PREVIOUS = "kein_vorheriges_element"  # symbol (the value read as vorher.x)
    NON_WHOLE_DAYS = "keine_ganzen_tage"  # value (days added to a date)
    NON_WHOLE_AMOUNT = "keine_ganze_anzahl"  # value, unit (datum_plus by Tage/Wochen/Monate/Jahre)
    DATE_OUT_OF_RANGE = "datum_außerhalb"  # –
    PERIOD_BACKWARDS = "zeitraum_rückwärts"  # start, end (kalendertage: the end before the day before the start)
    NOT_A_MONTH = "kein_monat"  # year, month
    NO_DATE = "kein_stichtag"  # span (the call of stichtag())
    DIVISION_BY_ZERO = "division_durch_null"  # symbol
    INVALID_OPERATION = "ungültige_rechnung"  # symbol
    OVERFLOW = "überlauf"  # symbol
    OTHER = "sonstiges"  # symbol (None: before any value), detail


def key_text(key: Any) -> str:
    """A table key or number as shown in a message: a tuple as ``(a, b)``, a decimal in plain
    notation (a whole one without trailing zeros)."""
    if isinstance(key, tuple):
        return "(" + ", ".join(key_text(k) for k in key) + ")"
    if isinstance(key, Decimal):
        return decimal_text(key.normalize() if key == key.to_integral_value() else key)
    return str(key)


def _quantity(value: Any, unit: str | None) -> str:
    """A number with its unit as :attr:`Fault.unit` gives it (the text of a :class:`Unit`), the
    unit as :meth:`Unit.text_after` the number writes it (``1 Tag``, ``2 Tage``)."""
    shown = key_text(value)
    if not unit:
        return shown
    with contextlib.suppress(UnitError):  # a text no unit is written as (``Tag·Person``): as it is
        unit = parse_unit(unit).text_after(shown)
    return f"{shown} {unit}"


@attrs.frozen(repr=False)
class Fault(Record):
    """One evaluation fault. Only the fields its ``kind`` uses are set (see :class:`FaultKind`)."""

    kind: FaultKind
    symbol: str | None = None  # the value (node key), list or ``vorher`` value concerned
    table: str | None = None  # the table's name as written in the model
    key: Any = None  # the table key looked up
    known: tuple[Any, ...] = ()  # the table's keys, in the order they are named
    value: Any = None
    low: Decimal | None = None  # declared bounds (None: open)
    high: Decimal | None = None
    levels: tuple[int, ...] = ()  # the package's declared levels, ascending
    package: str | None = None
    unit: str | None = None
    function: str | None = None  # min, max, erstes, letztes
    filtered: bool = False  # the aggregate of an empty list has a ``wo`` condition (no element met it)
    year: int | None = None
    month: int | None = None
    where: str | None = None  # where an agreement removes a table row (file:line)
    detail: str | None = None  # the text of an unexpected exception
    start: _dt.date | None = None  # the days of a period (kalendertage)
    end: _dt.date | None = None
    span: Span | None = None  # where in the model the fault arose, where it is more exact than the rule

    def message(self, at: str | None = None) -> str:
        """The German message; ``at``: the key of the value being computed, appended as
        ``(bei „at“)`` unless the message names it already."""
        text = _MESSAGES[self.kind](self)
        if at is not None and self.named() != at:
            text += f" (bei „{at}“)"
        return text

    def hint(self) -> str | None:
        """The German hint, or None."""
        render = _HINTS.get(self.kind)
        return render(self) if render is not None else None

    def named(self) -> str | None:
        """The name the message quotes („…“) as the thing that failed, if any."""
        kind = self.kind
        if kind in (FaultKind.TABLE_MISS, FaultKind.TABLE_NOT_AGREED, FaultKind.TABLE_KEY_UNUSABLE):
            return self.table
        if kind in (FaultKind.NO_BAND, FaultKind.LEVEL_NOT_DECLARED):
            return self.package
        if kind is FaultKind.NO_PREVIOUS:
            return f"vorher.{self.symbol}"
        if kind in (FaultKind.OUT_OF_RANGE, FaultKind.DIVISION_BY_ZERO, FaultKind.INVALID_OPERATION,
                    FaultKind.OVERFLOW, FaultKind.OTHER):
            return self.symbol
        return None


def _table_miss_hint(fault: Fault) -> str:
    known = fault.known
    shown = ", ".join(key_text(k) for k in known[:_SHOWN_KEYS]) + (" …" if len(known) > _SHOWN_KEYS else "")
    return f"vorhandene Einträge: {shown}" if shown else "die Tabelle ist leer"


def _bounds_text(fault: Fault) -> str:
    low = key_text(fault.low) if fault.low is not None else "−∞"
    high = key_text(fault.high) if fault.high is not None else "∞"
    return f"{low} bis {high}"


def _day(date: _dt.date | None) -> str:
    return date_text(date) if date is not None else "?"


def _other(fault: Fault) -> str:
    if fault.symbol is None:
        return f"Auswertung fehlgeschlagen: {fault.detail}"
    return f"Auswertung von „{fault.symbol}“ fehlgeschlagen: {fault.detail}"


_MESSAGES: dict[FaultKind, Callable[[Fault], str]] = {
    FaultKind.TABLE_MISS: lambda f: f"Die Tabelle „{f.table}“ hat keinen Eintrag für {key_text(f.key)}",
    FaultKind.TABLE_NOT_AGREED:
        lambda f: f"Die Tabelle „{f.table}“ hat für {key_text(f.key)} keinen Wert: nicht vereinbart",
    FaultKind.TABLE_KEY_UNUSABLE: lambda f: f"Die Tabelle „{f.table}“ kann nicht mit {f.key!r} abgefragt werden",
    FaultKind.NO_BAND:
        lambda f: f"{_quantity(f.value, f.unit)} liegt in keinem Korridorband von „{f.package}“",
    FaultKind.LEVEL_NOT_DECLARED:
        lambda f: f"Die Stufenregel von „{f.package}“ ergibt {f.value}, das ist keine Stufe des Pakets",
    FaultKind.OUT_OF_RANGE:
        lambda f: f"„{f.symbol}“ = {key_text(f.value)} liegt außerhalb des deklarierten Bereichs {_bounds_text(f)}",
    FaultKind.EMPTY_LIST: lambda f: (f"{f.function}(…) über {f.symbol} wo …: kein Element erfüllt die Bedingung"
                                     if f.filtered else f"{f.function}(…) über {f.symbol}: die Liste ist leer"),
    FaultKind.NO_PREVIOUS: lambda f: f"„vorher.{f.symbol}“ gibt es beim ersten Element nicht",
    FaultKind.NON_WHOLE_DAYS: lambda f: f"Zu einem Datum lassen sich nur ganze Tage addieren, nicht {f.value}",
    FaultKind.NON_WHOLE_AMOUNT: lambda f: f"datum_plus(…) rechnet mit ganzen {f.unit}, nicht {f.value}",
    FaultKind.DATE_OUT_OF_RANGE: lambda f: "Das Datum liegt außerhalb des darstellbaren Bereichs",
    FaultKind.NOT_A_MONTH: lambda f: f"{f.month}/{f.year} ist kein Monat",
    FaultKind.PERIOD_BACKWARDS: lambda f: (f"kalendertage(von, bis): der Zeitraum vom {_day(f.start)} bis "
                                           f"{_day(f.end)} endet vor seinem Beginn"),
    FaultKind.NO_DATE: lambda f: "stichtag() braucht den Stichtag der Auswertung; weder „at“ noch der Fall gibt ihn",
    FaultKind.DIVISION_BY_ZERO: lambda f: f"Division durch null beim Berechnen von „{f.symbol}“",
    FaultKind.INVALID_OPERATION: lambda f: f"Ungültige Rechnung beim Berechnen von „{f.symbol}“ (z. B. 0/0)",
    FaultKind.OVERFLOW: lambda f: f"Zahlenüberlauf beim Berechnen von „{f.symbol}“",
    FaultKind.OTHER: _other,
}

_HINTS: dict[FaultKind, Callable[[Fault], str]] = {
    FaultKind.TABLE_MISS: _table_miss_hint,
    FaultKind.TABLE_NOT_AGREED: lambda f: f"die Vereinbarung streicht diese Zeile ({f.where})",
    FaultKind.LEVEL_NOT_DECLARED: lambda f: "deklarierte Stufen: " + ", ".join(str(v) for v in f.levels),
    FaultKind.OUT_OF_RANGE: lambda f: "der Wert ergibt sich aus den Eingaben; prüfe sie oder den deklarierten Bereich",
    FaultKind.NO_PREVIOUS: lambda f: "prüfe zuerst „position > 1“",
    FaultKind.PERIOD_BACKWARDS: lambda f: ("ein Zeitraum, der am Tag vor seinem Beginn endet, hat 0 Tage; prüfe die "
                                           "Daten oder frage zuerst „wenn bis >= von dann … sonst 0 Tage“"),
    FaultKind.DIVISION_BY_ZERO: lambda f: "prüfe die Eingaben und Parameter im Nenner",
    FaultKind.INVALID_OPERATION: lambda f: "prüfe die Eingaben und Parameter, aus denen der Wert berechnet wird",
    FaultKind.TABLE_KEY_UNUSABLE: lambda f: f"der Schlüssel hat nicht den Typ, den die Tabelle „{f.table}“ erwartet",
    FaultKind.NON_WHOLE_AMOUNT: lambda f: "runde die Zahl, z. B. runde(…, 0, abrunden)",
    FaultKind.NOT_A_MONTH: lambda f: "ein Monat ist eine ganze Zahl von 1 bis 12",
    FaultKind.OVERFLOW: lambda f: ("der Wert wird größer, als eine Zahl sein kann: prüfe die Eingaben auf "
                                   "unmögliche Größen, oder den deklarierten Bereich der Eingaben"),
    FaultKind.NON_WHOLE_DAYS: lambda f: "runde die Zahl der Tage, z. B. runde(…, 0, abrunden)",
    FaultKind.DATE_OUT_OF_RANGE: lambda f: "Daten liegen zwischen 01.01.0001 und 31.12.9999; prüfe die Eingaben",
    FaultKind.NO_DATE: lambda f: "gib den Stichtag an: --at TT.MM.JJJJ (Model.evaluate(…, at=datum))",
    FaultKind.NO_BAND: lambda f: (f"die Bänder von „{f.package}“ decken diesen Wert nicht; der Wert ergibt sich aus "
                                  "den Eingaben — prüfe sie, oder das Modell (teilhabe-rules check meldet Lücken "
                                  "für die deklarierten Wertebereiche)"),
    FaultKind.EMPTY_LIST: lambda f: (
        f"{f.function} über kein Element hat keinen Wert; frage zuerst mit derselben Bedingung "
        f"„wenn anzahl({f.symbol} wo …) > 0 dann … sonst …“" if f.filtered else
        f"{f.function} über eine leere Liste hat keinen Wert; gib ein Element an, oder "
        f"frage zuerst „wenn anzahl({f.symbol}) > 0 dann … sonst …“"),
}


class FaultError(Exception):
    """An evaluation fault raised by a runtime helper; ``fault`` is its record, the exception's
    text its German message."""

    def __init__(self, fault: Fault):
        super().__init__(fault.message())
        self.fault = fault


class Located(Exception):
    """What the generated code raises: the exception ``cause`` raised while computing the node
    numbered ``node`` (-1: before the first node), with the element indexes at that moment."""

    def __init__(self, node: int, indexes: tuple[int | None, ...], cause: BaseException):
        super().__init__(str(cause))
        self.node, self.indexes, self.cause = node, indexes, cause


def fault_of(cause: BaseException, symbol: str | None) -> Fault:
    """The record of ``cause`` raised while computing the value ``symbol`` (None: before any
    value was computed, e.g. while copying the case's rows)."""
    if symbol is None:
        return Fault(FaultKind.OTHER, detail=str(cause))
    if isinstance(cause, FaultError):
        return cause.fault
    if isinstance(cause, (decimal.DivisionByZero, ZeroDivisionError)):
        return Fault(FaultKind.DIVISION_BY_ZERO, symbol=symbol)
    if isinstance(cause, decimal.InvalidOperation):
        return Fault(FaultKind.INVALID_OPERATION, symbol=symbol)
    if isinstance(cause, decimal.Overflow):
        return Fault(FaultKind.OVERFLOW, symbol=symbol)
    return Fault(FaultKind.OTHER, symbol=symbol, detail=str(cause))
