"""Runtime values of the checked model as German text.

Takes: a runtime value (``Decimal``, ``int``, ``bool``, ``date``, ``str``) and optionally its
:class:`~teilhabe_rules.ir.checked.ValueType`. Gives: the text shown in results, explanations, messages
and diffs — ``15``, ``45 %`` (a share of 0.45), ``31.12.2027``, ``ja``, ``1:3.5`` (a staff key),
``2 (mittel)`` (a level with its label). One definition, used by every wing.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from . import checked as c

# enum members bound once: reading a member off an Enum class costs several times a global
_T_ENUM = c.TypeKind.ENUM
_T_SCHLUESSEL = c.TypeKind.SCHLUESSEL
_T_ZAHL = c.TypeKind.ZAHL

__all__ = ["format_value", "quantity_text", "unit_text"]


def format_value(value: Any, vtype: c.ValueType | None = None) -> str:
    """A runtime value as text (``15``, ``45`` for 45 %, ``31.12.2027``, ``ja``)."""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, Decimal):
        if vtype is not None and vtype.unit.percent:
            value = value.scaleb(2)  # 0.6550 → 65.50: the decimal point moves, no digits are added
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".") if value == value.to_integral_value() else text
        return text
    if isinstance(value, _dt.date):
        return value.strftime("%d.%m.%Y")
    if value is None:
        return "—"
    return str(value)


def quantity_text(value: Any, vtype: c.ValueType | None) -> str:
    """A value with its unit (``12.5 h/Woche``, ``45 %``, ``1:3.5``, ``2 (mittel)``)."""
    if vtype is not None and vtype.kind == _T_SCHLUESSEL and isinstance(value, Decimal):
        return f"1:{format_value(value)}"
    text = format_value(value, vtype)
    unit = str(vtype.unit) if vtype is not None and vtype.kind == _T_ZAHL else ""
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
