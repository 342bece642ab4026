"""Values of a result as their readers get them: a quantity with its unit, an explanation, and
the JSON form of a runtime value.

Takes: runtime values and their :class:`~teilhabe_rules.ir.checked.ValueType`. Gives:
:class:`Quantity` (a value with its unit; ``str()`` its German text), :class:`Explanation` (why a
figure is what it is) and :func:`json_value` (decimals as exact strings, dates as ISO text, a staff
key as ``1:x``) — used by results, level margins and explanations alike.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

import attrs

from ..ir import checked as c
from ..ir.text import EXACT, Figures, decimal_text, format_value, quantity_text
from ..records import Record

# enum members bound once: reading a member off an Enum class costs several times a global
_T_SCHLUESSEL = c.TypeKind.SCHLUESSEL

__all__ = ["Explanation", "Quantity", "json_value"]


@attrs.frozen(repr=False)
class Quantity(Record):
    """A value with its unit; ``value`` is a Decimal, int, bool, date or str — never a float
    (a whole list's values: a list, with ``type`` None)."""

    value: Any
    unit: str
    type: c.ValueType | None = attrs.field(repr=False, eq=False)

    def __str__(self) -> str:
        return quantity_text(self.value, self.type)

    def text(self, figures: Figures = EXACT) -> str:
        """The German text with numbers as ``figures`` shows them (``str()``: every digit)."""
        return quantity_text(self.value, self.type, figures)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"wert": json_value(self.value, self.type)}
        if self.unit:
            out["einheit"] = self.unit
        return out


def json_value(value: Any, vtype: c.ValueType | None) -> Any:
    """The JSON form of a runtime value: decimals as exact strings (a share as percent, a staff
    key as ``1:x``), dates as ISO text, levels as numbers."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        if vtype is not None and vtype.kind == _T_SCHLUESSEL:
            return f"1:{decimal_text(value)}"  # as written in rule files, agreements and cases
        return format_value(value, vtype) if vtype is not None and vtype.unit.percent else decimal_text(value)
    if isinstance(value, int):
        return value
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


@attrs.frozen(repr=False)
class Explanation(Record):
    """Why a figure is what it is: the rule (file:line), what it read, and a German sentence."""

    path: str
    rule: str
    formula: str
    inputs: tuple[tuple[str, str], ...]
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"regel": self.rule, "formel": self.formula, "verwendet": dict(self.inputs), "text": self.text}
