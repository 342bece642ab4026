"""Values as a German reader writes them: decimal comma, thousands separated by a dot.

Takes: a runtime value of the checked model (``Decimal``, ``int``, ``bool``, ``date``, ``str``) and
optionally its :class:`~teilhabe_rules.ir.checked.ValueType`. Gives: its text for the handbook —
``1.650``, ``12,5 %`` (a share of 0.125), ``1:28,41`` (a staff key), ``31.12.2027``, ``ja``,
``2 (mittel)`` (a level with its label). Exact: every digit the value holds is shown, no float
is involved, nothing is rounded (``7.0`` is ``7``, ``12.50`` stays ``12,50``, as in
:func:`teilhabe_rules.ir.text.format_value`). A year — a whole number without a unit of at most
four digits — is written without the thousands dot (``2019``,
:func:`~teilhabe_rules.ir.text.groups_thousands`).
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from ...ir import checked as c
from ...ir.text import date_text, groups_thousands

__all__ = ["number_text", "quantity_text", "value_text"]


def number_text(value: Decimal | int, *, grouped: bool = True) -> str:
    """``Decimal('1650')`` → ``1.650``, ``Decimal('-0.125')`` → ``-0,125``, ``Decimal('12.50')`` →
    ``12,50``; an integral value without its zeros after the comma (``7.0`` → ``7``). Not
    ``grouped``: the whole part without its thousands dot (``2019``)."""
    number = Decimal(value)
    if number == number.to_integral_value():
        number = number.to_integral_value()  # 7.0 → 7 (1E+3 keeps its exponent: ``f`` writes 1000)
    text = format(number, "f")
    sign = ""
    if text.startswith("-"):
        sign, text = "−", text[1:]
    whole, _, fraction = text.partition(".")
    groups: list[str] = []
    while grouped and len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    digits = ".".join(groups)
    if sign and digits == "0" and not fraction.strip("0"):
        sign = ""  # −0 is 0
    return sign + digits + ("," + fraction if fraction else "")


def value_text(value: Any, vtype: c.ValueType | None = None) -> str:
    """A value without its unit (a share in per cent: ``0.45`` → ``45``)."""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, (Decimal, int)):
        number = Decimal(value)
        if vtype is not None and vtype.unit.percent:
            number = number.scaleb(2)  # the decimal point moves, no digits are added
        return number_text(number, grouped=groups_thousands(number, vtype))
    if isinstance(value, _dt.date):
        return date_text(value)
    if value is None:
        return "—"
    return str(value)


def quantity_text(value: Any, vtype: c.ValueType | None) -> str:
    """A value with its unit (``12,5 h/Woche``, ``45 %``, ``1:28,41``, ``2 (mittel)``)."""
    if vtype is not None and vtype.kind is c.TypeKind.SCHLUESSEL and isinstance(value, Decimal):
        return f"1:{number_text(value)}"
    text = value_text(value, vtype)
    if vtype is not None and vtype.kind is c.TypeKind.ENUM and vtype.enum is not None:
        member = vtype.enum.member(value)
        if member is not None and member.label and member.label != text:
            return f"{text} ({member.label})"
        return text
    unit = vtype.unit.text_after(text) if vtype is not None and vtype.kind is c.TypeKind.ZAHL else ""
    if not unit or value is None:
        return text
    return f"{text}\u00a0{unit}"
