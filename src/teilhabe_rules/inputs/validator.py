"""The compiled input check of a case given as a mapping: the fast path of the case loader.

Takes: a checked model (once) and then case data as a plain ``dict`` (inputs by name, packages
as tables, lists as lists of tables). Gives: the case's row exactly as
:class:`~teilhabe_rules.inputs.cases.CaseLoader` builds it — the same keys in the same order,
the same values, converted by the same rules (:func:`~teilhabe_rules.inputs.cases.convert_value`,
with the common number, date, yes/no, text and level values converted inline) — or None
wherever anything is not plainly right: an unknown or missing key, a value the conversion
refuses, a list element given as a file name, a list too short or too long, a granted level
without its reason. For None the loader takes its full path, which finds and locates every
problem; this one only ever accepts what that path accepts.

The check is built from the model's scopes into closures once per model (no per-case look-up
of the model), so that checking a valid case costs a few dictionary reads per input.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..ir import checked as c
from ..limits import MAX_LIST_ITEMS, list_length_problem
from .cases import MAX_MAGNITUDE, convert_value

__all__ = ["MappingValidator"]

_MISSING: Any = object()
_EMPTY: dict[str, Any] = {}
_Converter = Callable[[Any], Any]


class _Refused(Exception):
    """The fast path gives up on this case (the loader's full path reports why)."""


def _general(vtype: c.ValueType) -> _Converter:
    def convert(value: Any) -> Any:
        try:
            return convert_value(value, vtype)
        except ValueError:
            raise _Refused from None

    return convert


def _number(vtype: c.ValueType) -> _Converter:
    """``parse_quantity`` and its range checks for an int or a finite Decimal (the common case)."""
    general = _general(vtype)
    percent, integer, choices, low, high = vtype.unit.percent, vtype.integer, vtype.choices, vtype.low, vtype.high

    def convert(value: Any) -> Any:
        kind = type(value)
        if kind is int:
            number = Decimal(value)
        elif kind is Decimal and value.is_finite():
            number = value
        else:
            return general(value)  # text with a unit, a float, a wrong type: the general rules
        if percent:
            number = number / 100
        if (
            number and number.adjusted() >= MAX_MAGNITUDE
            or integer and number != number.to_integral_value()
            or choices is not None and number not in choices
            or low is not None and number < low
            or high is not None and number > high
        ):
            raise _Refused
        return number

    return convert


def _of_type(exact: type, vtype: c.ValueType, accepted: frozenset[Any] | None = None) -> _Converter:
    """A value of exactly type ``exact`` (and in ``accepted``) as it is; anything else by the general rules."""
    general = _general(vtype)
    if accepted is None:
        return lambda value: value if type(value) is exact else general(value)
    return lambda value: value if type(value) is exact and value in accepted else general(value)


def _converter(vtype: c.ValueType) -> _Converter:
    kind = vtype.kind
    if kind == c.TypeKind.ZAHL:
        return _number(vtype)
    if kind == c.TypeKind.JA_NEIN:
        return _of_type(bool, vtype)
    if kind == c.TypeKind.DATUM:
        return _of_type(_dt.date, vtype)  # exactly a date: a datetime takes the general path (refused)
    if kind == c.TypeKind.TEXT:
        return _of_type(str, vtype)
    if kind == c.TypeKind.ENUM and vtype.enum is not None:
        keys = frozenset(member.key for member in vtype.enum.members)
        return _of_type(int if vtype.enum.numeric else str, vtype, keys)
    return _general(vtype)


class _Scope:
    """The check of one scope's record (the case, or an element of a list)."""

    def __init__(self, model: c.CheckedModel, scope: str):
        spec = model.scopes[scope]
        # (row key, name, name inside its package or None, converter, required, default)
        self.inputs: list[tuple[str, str, str | None, _Converter, bool, Any]] = []
        self.packages: dict[str, frozenset[str]] = {}  # package table → the names it may hold
        allowed: set[str] = set()
        fields: dict[str, set[str]] = {}
        for inp in spec.inputs:
            inner = inp.path[1] if len(inp.path) == 2 else None
            self.inputs.append((inp.key, inp.path[0], inner, _converter(inp.type), inp.required, inp.default))
            allowed.add(inp.path[0])
            if inner is not None:
                fields.setdefault(inp.path[0], set()).add(inner)
        self.packages = {name: frozenset(names) for name, names in fields.items()}
        self.granted = [model.packages[pid].name for pid in spec.packages]
        self.lists: list[tuple[str, _Scope, int | None, int | None]] = []
        for child in spec.lists:
            cspec = model.scopes[child]
            self.lists.append((cspec.name, _Scope(model, child), cspec.min_count, cspec.max_count))
            allowed.add(cspec.name)
        self.allowed = frozenset(allowed)

    def row(self, data: Any) -> dict[str, Any]:
        if type(data) is not dict or not self.allowed.issuperset(data):
            raise _Refused
        for name, names in self.packages.items():
            table = data.get(name, _EMPTY)
            if type(table) is not dict or not names.issuperset(table):
                raise _Refused
        for name in self.granted:  # a granted level needs its reason (§ 127 SGB IX)
            table = data.get(name, _EMPTY)
            if table.get("bewilligte_stufe") is not None and not table.get("begründung"):
                raise _Refused
        row: dict[str, Any] = {}
        for key, name, inner, convert, required, default in self.inputs:
            value = data.get(name, _MISSING) if inner is None else data.get(name, _EMPTY).get(inner, _MISSING)
            if value is _MISSING:
                if required:
                    raise _Refused
                row[key] = default
            else:
                row[key] = convert(value)
        for name, child, least, most in self.lists:
            items = data.get(name, _MISSING)
            if items is _MISSING:
                if least:
                    raise _Refused
                items = ()
            elif type(items) is not list:
                raise _Refused
            count = len(items)
            if (least is not None and count < least or count > MAX_LIST_ITEMS
                    or list_length_problem(name, count, most) is not None):
                raise _Refused
            row[name] = [child.row(item) for item in items]
        return row


class MappingValidator:
    """The compiled input check of one model (see the module docstring)."""

    def __init__(self, model: c.CheckedModel):
        self._root = _Scope(model, "")

    def row(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The row of ``data``, or None: the full loader must look at it."""
        try:
            return self._root.row(data)
        except (_Refused, RecursionError):
            return None
