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

The check is generated from the model's scopes as one Python function per scope, compiled once
per model, with one converter (a closure) per input: checking a valid case costs a dictionary
read and a call per input. A row starts as a copy of a template holding every key in order (a
dictionary of its final size: built key by key, it would grow as it fills), and a package's
optional inputs are read only where its table holds more than its required ones.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..ir import checked as c
from ..limits import MAX_LIST_ITEMS, list_limit
from .cases import MAX_MAGNITUDE, convert_value, no_reason

__all__ = ["MappingValidator"]

_MISSING: Any = object()
TEXTS_KEPT = 256  # number texts kept per input
WHOLE_NUMBERS_KEPT = 1024  # a bounded number's ints whose Decimals are made once, at most
_EMPTY: dict[str, Any] = {}
_Converter = Callable[[Any], Any]


class _Refused(Exception):
    """The fast path gives up on this case (the loader's full path reports why)."""


def _general(vtype: c.ValueType) -> _Converter:
    def convert(value: Any) -> Any:
        try:
            return convert_value(value, vtype)
        except (ValueError, ArithmeticError):  # (a signalling NaN of a share: the loader reports it)
            raise _Refused from None

    return convert


def _number(vtype: c.ValueType, texts: dict[str, Decimal] | None = None) -> _Converter:
    """``parse_quantity`` and its range checks for an int or a finite Decimal (the common case).
    ``texts``: where it keeps the texts converted so far (see :func:`_inline`)."""
    general = _general(vtype)
    percent, integer, choices, low, high = vtype.unit.percent, vtype.integer, vtype.choices, vtype.low, vtype.high
    # texts converted so far ("15 min/Tag"): exact, whatever the decimal context (no division)
    texts = {} if texts is None else texts

    def convert(value: Any) -> Any:
        kind = type(value)
        if kind is int:
            number = Decimal(value)
        elif kind is Decimal and value.is_finite():
            number = value
        elif kind is str and not percent:
            found = texts.get(value)
            if found is None:
                found = general(value)
                if len(texts) < TEXTS_KEPT:
                    texts[value] = found
            return found
        else:
            return general(value)  # a float, a share as text, a wrong type: the general rules
        if percent:
            number = number / 100
        if (
            number and number.adjusted() >= MAX_MAGNITUDE
            or number.adjusted() < -MAX_MAGNITUDE
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


def _inline(vtype: c.ValueType, converter: str, const: Callable[[Any], str], texts: str | None = None,
            read: str = "v", missing: str | None = None) -> str:
    """The conversion of ``v`` as an expression: the common case written out (a value of the
    right type taken as it is; a number in its range; a number's text converted before, from
    ``texts``, the dict the converter keeps them in), anything else by ``converter``. A number's
    tests read its type once (``_k``). ``read``: the expression ``v`` is first read as (where it
    is set: ``(v := data['key'])``); each expression reads it first where it tests its type, or
    passes it to ``converter``. ``missing``: the default of an optional input, read with
    ``_MISSING`` for a key left out — which no test of the common case takes, so that it is
    told from a value only before ``converter``'s call."""
    kind = vtype.kind
    typed = f"type({read})"

    def call(argument: str) -> str:
        if missing is None:
            return f"{converter}({argument})"
        return f"({missing} if {argument} is _MISSING else {converter}(v))"

    def otherwise(kind_of_v: str, argument: str = "v") -> str:
        """``converter``'s call; before it, where ``texts`` is given, the look-up of a text
        converted before (what ``_number`` does), the type of ``v`` read as ``kind_of_v``."""
        if texts is None:
            return call(argument)
        return f"(_t if {kind_of_v} is str and (_t := {texts}.get(v)) is not None else {call('v')})"

    if kind == c.TypeKind.JA_NEIN:
        return f"(v if {typed} is bool else {call('v')})"
    if kind == c.TypeKind.TEXT:
        return f"(v if {typed} is str else {call('v')})"
    if kind == c.TypeKind.DATUM:
        return f"(v if {typed} is _date else {call('v')})"
    if kind == c.TypeKind.ENUM and vtype.enum is not None:
        keys = const(frozenset(member.key for member in vtype.enum.members))
        exact = "int" if vtype.enum.numeric else "str"
        return f"(v if {typed} is {exact} and v in {keys} else {call('v')})"
    if kind != c.TypeKind.ZAHL or vtype.unit.percent:
        return otherwise(typed, read)
    converter_call = otherwise("_k")
    if vtype.choices is not None:
        # an int or a Decimal equal to a choice the converter accepts (its checks hang on the
        # value alone: the choices it accepts are all that pass them); an int's Decimal made once
        # (``Decimal(v)``: the same digits and exponent)
        chosen = frozenset(choice for choice in vtype.choices if _accepts(_converter(vtype), choice))
        ints = {int(choice): Decimal(int(choice)) for choice in chosen if choice == choice.to_integral_value()}
        # a Decimal equal to a choice other than 0 has that choice's size; a 0 may have any exponent
        tiny = f" and (v or v.adjusted() >= {-MAX_MAGNITUDE})" if 0 in chosen else ""
        return (f"(_t if (_k := {typed}) is int and (_t := {const(ints)}.get(v)) is not None else v if _k is "
                f"Decimal and v in {const(chosen)}{tiny} else {converter_call})")
    bounded = (vtype.low is not None and vtype.high is not None and vtype.low.is_finite() and vtype.high.is_finite()
               and max(abs(vtype.low), abs(vtype.high)) < Decimal(10) ** MAX_MAGNITUDE)
    if not bounded:
        return otherwise(typed, read)
    # within bounds below 10**MAX_MAGNITUDE a number needs no check of its size
    assert vtype.low is not None and vtype.high is not None
    low, high = const(vtype.low), const(vtype.high)
    fraction = "" if vtype.integer else (f" else v if _k is Decimal and v.is_finite() and {low} <= v <= {high} "
                                         f"and v.adjusted() >= {-MAX_MAGNITUDE}")
    first, last = math.ceil(vtype.low), math.floor(vtype.high)
    if last - first < WHOLE_NUMBERS_KEPT:  # the Decimals of the ints in range made once
        made = const({number: Decimal(number) for number in range(first, last + 1)})
        return f"(_t if (_k := {typed}) is int and (_t := {made}.get(v)) is not None{fraction} else {converter_call})"
    return f"(Decimal(v) if (_k := {typed}) is int and {low} <= v <= {high}{fraction} else {converter_call})"


def _accepts(converter: _Converter, value: Any) -> bool:
    """Whether ``converter`` takes ``value`` (as it is)."""
    try:
        return bool(converter(value) == value)
    except _Refused:
        return False


def _scope_function(model: c.CheckedModel, scope: str, namespace: dict[str, Any], lines: list[str]) -> str:
    """Generate the check of one scope's record (the case, or an element of a list) as a function
    of its own (appended to ``lines``, its constants put into ``namespace``); return its name.

    The function refuses a record with an unknown key, a package table that is no table or
    holds an unknown key, a granted level without its reason (§ 127 SGB IX), a missing
    required input, a value its converter refuses, and a list that is no list, too short or
    too long; else it returns the row: the inputs in the model's order, then the lists."""
    spec = model.scopes[scope]

    def const(value: Any) -> str:
        key = f"K{len(namespace)}"
        namespace[key] = value
        return key

    allowed: set[str] = set()
    fields: dict[str, set[str]] = {}
    for inp in spec.inputs:
        allowed.add(inp.path[0])
        if len(inp.path) == 2:
            fields.setdefault(inp.path[0], set()).add(inp.path[1])
    children = []
    for child in spec.lists:
        cspec = model.scopes[child]
        allowed.add(cspec.name)
        children.append((cspec, _scope_function(model, child, namespace, lines)))
    name = f"_scope{sum(1 for line in lines if line.startswith('def '))}"
    body = [f"def {name}(data):",
            f"    if type(data) is not dict or not {const(frozenset(allowed))}.issuperset(data):",
            "        raise _Refused"]
    tables: dict[str, str] = {}
    given: dict[str, str] = {}  # package → the flag that its optional inputs may be given (``f<n>``)
    # the packages with a granted level (a package without inputs has no table: none is allowed)
    granted = {model.packages[pid].name for pid in spec.packages}
    for number, (package, names) in enumerate(fields.items()):
        table = tables[package] = f"p{number}"
        flag = given[package] = f"f{number}"
        refused = f"not {const(frozenset(names))}.issuperset({table})"
        if package in granted:
            refused += f" or {table}.get('bewilligte_stufe') is not None and _no_reason({table}.get('begründung'))"
        # a table of exactly as many keys as the package has required inputs, each read below
        # (refused where one is missing), holds no other key: no granted level either
        # (required or not) — and its optional inputs are not given: ``f<number>`` is False
        required = sum(1 for inp in spec.inputs if inp.required and len(inp.path) == 2 and inp.path[0] == package)
        more = f"{flag} := len({table}) != {required}" if required else f"{flag} := {table} is not _EMPTY"
        body += [f"    {table} = data.get({package!r}, _EMPTY)",
                 f"    if type({table}) is not dict or ({more}) and ({refused}):",
                 "        raise _Refused"]
    items = []
    template: dict[str, Any] = {}  # the row's keys in order, the optional inputs' defaults
    # a package's optional inputs, read only where its table may hold them (``f<number>``)
    optional: dict[str, list[str]] = {}
    for inp in spec.inputs:
        holder = "data" if len(inp.path) == 1 else tables[inp.path[0]]
        if inp.type.kind == c.TypeKind.ZAHL and not inp.type.unit.percent:
            texts: dict[str, Decimal] = {}
            converted_as = functools.partial(_inline, inp.type, const(_number(inp.type, texts)), const, const(texts))
        else:
            converted_as = functools.partial(_inline, inp.type, const(_converter(inp.type)), const, None)
        template[inp.key] = inp.default
        if inp.required:  # (a missing key: KeyError, which refuses the case)
            converted = converted_as(f"(v := {holder}[{inp.path[-1]!r}])")
            items.append(f"    r[{inp.key!r}] = {converted}")
            continue
        converted = converted_as(f"(v := {holder}.get({inp.path[-1]!r}, _MISSING))", missing=const(inp.default))
        if len(inp.path) == 1:
            items.append(f"    r[{inp.key!r}] = {converted}")
        else:
            optional.setdefault(given[inp.path[0]], []).append(f"        r[{inp.key!r}] = {converted}")
    for cspec, function in children:
        least, most = cspec.min_count or 0, min(MAX_LIST_ITEMS, list_limit(cspec.max_count))
        limits = const((cspec.name, cspec.min_count, most))
        # a list of an allowed length taken as it is; anything else as ``_items`` says
        each = f"{function}(item) for item in"
        template[cspec.name] = None
        items.append(f"    r[{cspec.name!r}] = (([{each} v] if v else []) if type(v := data.get({cspec.name!r})) is "
                     f"list and {least} <= len(v) <= {most} else [{each} _items(data, {limits})])")
    # the row: a copy of the template (its size known: no growing), every value set in place
    body += [f"    r = {const(template)}.copy()", *items]
    for flag, statements in optional.items():
        body += [f"    if {flag}:", *statements]
    body.append("    return r")
    lines.extend(body)
    return name


def _items(data: dict[str, Any], limits: tuple[str, int | None, int]) -> Any:
    """The elements of a list of ``data`` (none where it may be left out), if it is a list of an
    allowed length (``limits``: its name, least and most number of elements, the most as
    :func:`~teilhabe_rules.limits.list_length_problem` and ``MAX_LIST_ITEMS`` allow)."""
    name, least, most = limits
    items = data.get(name, _MISSING)
    if items is _MISSING:
        if least:
            raise _Refused
        return ()
    if type(items) is not list:
        raise _Refused
    count = len(items)
    if least is not None and count < least or count > most:
        raise _Refused
    return items


class MappingValidator:
    """The compiled input check of one model (see the module docstring)."""

    def __init__(self, model: c.CheckedModel):
        namespace: dict[str, Any] = {"_Refused": _Refused, "_EMPTY": _EMPTY, "_MISSING": _MISSING,
                                     "_no_reason": no_reason,
                                     "_items": _items, "_date": _dt.date,
                                     "Decimal": Decimal}
        lines: list[str] = []
        root = _scope_function(model, "", namespace, lines)
        self.source = "\n".join(lines) + "\n"
        exec(compile(self.source, f"<eingaben:{model.info.name}>", "exec"), namespace)  # noqa: S102 - from the model
        self._root: Callable[[Any], dict[str, Any]] = namespace[root]

    def row(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The row of ``data``, or None: the full loader must look at it."""
        try:
            return self._root(data)
        except (_Refused, KeyError, RecursionError, TypeError):  # (KeyError: a required input missing;
            # TypeError: hashing a signalling NaN)
            return None
