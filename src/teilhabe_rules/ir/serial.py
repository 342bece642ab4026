"""A data-only serialisation of checked models (and of other plain data) as JSON.

Takes: a :class:`~teilhabe_rules.ir.checked.CheckedModel` (or any value built from the types below).
Gives: JSON bytes, and back — :func:`encode` / :func:`decode`, :func:`encode_model` /
:func:`decode_model`. Used by :mod:`teilhabe_rules.cache`, whose entries must be data, never code:
nothing here imports, looks up or calls anything a payload names except the constructors of an
explicit allowlist of frozen attrs classes and of enumerations (:data:`CLASSES`), ``Decimal``,
``Fraction`` and ``date``.

The encoding (JSON has no tuples, no non-string keys, no decimals):

- ``null``, ``true``/``false``, integers and strings stand for themselves (strings may hold NUL
  and lone surrogates: the JSON is ASCII with ``\\u`` escapes);
- an object ``{"k": …}`` is a dict whose keys are all strings;
- every array is tagged by its first element: ``["t", …]`` tuple, ``["l", …]`` list,
  ``["f", …]`` frozenset, ``["m", k1, v1, k2, v2, …]`` dict with other keys, ``["D", "1.50"]``
  Decimal (exact: exponent, sign of zero, NaN), ``["Q", 1, 60]`` Fraction, ``["d", "2024-01-31"]``
  date, ``["e", "NodeKind", "wert"]`` the member of the allowlisted enumeration ``NodeKind`` with
  that value (``NodeKind("wert")``), ``["o", "ValueNode", f1, f2, …]`` an instance of the allowlisted
  class ``ValueNode`` with its attrs fields in order, ``["r", n]`` the ``n``-th instance of a shareable
  class (:data:`SHARED`: units, value types, enumerations, spans) decoded so far, in the order their encodings end.
  Those objects stay shared, as in the model, and the payload stays small. Nothing else is
  shared, so a payload cannot describe an expression graph exponentially larger than itself.

Decoding accepts nothing else. An unknown tag or class name, a wrong number of fields, a field
value whose type does not match the class's annotation, a float, a reference forward or out of
range, nesting too deep — each is a :class:`SerialError`, never another exception.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import json
import operator
import sys
import threading
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import attrs

from ..errors import Diagnostic, Location
from ..span import Span
from ..units import Unit
from . import checked as c
from .domains import Domain

__all__ = ["CLASSES", "ENUMS", "SHARED", "SerialError", "decode", "decode_model", "encode", "encode_model"]


class SerialError(ValueError):
    """A value that cannot be encoded, or a payload that is not a valid encoding."""


#: The enumerations whose members a payload may name (by value: ``NodeKind("wert")``).
ENUMS: frozenset[type[enum.Enum]] = frozenset({c.TypeKind, c.RefKind, c.NodeKind})

#: The classes a payload may instantiate, by name (the name is all a payload can say): the
#: enumerations of :data:`ENUMS` and frozen attrs classes.
CLASSES: Mapping[str, type] = {
    cls.__name__: cls
    for cls in (
        # checked.py: the kinds of value types, references and nodes
        c.TypeKind,
        c.RefKind,
        c.NodeKind,
        # checked.py: types, expressions, declarations, the model
        c.Member,
        c.EnumType,
        c.ValueType,
        c.Const,
        c.Ref,
        c.Position,
        c.Previous,
        c.Granted,
        c.Unary,
        c.Arith,
        c.KeyApply,
        c.Compare,
        c.Logic,
        c.Cond,
        c.Convert,
        c.Lookup,
        c.Aggregate,
        c.Func,
        c.InputSpec,
        c.ParameterPeriodSpec,
        c.ParameterSpec,
        c.TableRowSpec,
        c.TableSpec,
        c.BandSpec,
        c.LevelSpec,
        c.PackageSpec,
        c.ValueNode,
        c.ExpressionLevelNode,
        c.CorridorLevelNode,
        c.GrantedLevelNode,
        c.CheckNode,
        c.ScopeSpec,
        c.ExpectationSpec,
        c.ExampleSpec,
        c.PropertySpec,
        c.ModelInfo,
        c.CheckedModel,
        # what the checked model holds from elsewhere
        Span,
        Unit,
        Domain,
        Diagnostic,
        Location,
    )
}

#: The classes whose instances the model shares (one ``Unit`` object for every ``EUR/h``, say).
#: None of them holds an expression, so sharing cannot multiply the size of one.
SHARED: frozenset[type] = frozenset({Unit, c.ValueType, c.EnumType, Span})

_NAMES: dict[type, str] = {cls: name for name, cls in CLASSES.items()}
_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in attrs.fields(cls)) for cls in CLASSES.values() if cls not in ENUMS
}

assert len(_NAMES) == len(CLASSES), "class names in the allowlist are unique"
assert set(CLASSES.values()) >= ENUMS, "every enumeration is in the allowlist"
assert all(attrs.has(cls) for cls in CLASSES.values() if cls not in ENUMS), "the rest are attrs classes"
assert all(f.init for cls in _FIELDS for f in attrs.fields(cls)), "every field is an __init__ argument"
assert all(type(m.value) is str for cls in ENUMS for m in cls), "members are encoded by their text value"
# the members by their value, looked up by decoding (calling the enumeration costs far more)
_MEMBERS: dict[type[enum.Enum], dict[str, enum.Enum]] = {cls: {m.value: m for m in cls} for cls in ENUMS}


# --------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------


def encode(value: object) -> bytes:
    """``value`` as JSON bytes (ASCII); :class:`SerialError` for a type outside the encoding or
    a structure too deep to encode."""
    try:
        tree = _encode(value, {}, set())
        return json.dumps(
            tree, ensure_ascii=True, separators=(",", ":"), allow_nan=False, check_circular=False
        ).encode("ascii")
    except RecursionError:
        raise SerialError("zu tief verschachtelt") from None
    except ValueError as exc:  # an int too long for str(), say
        raise SerialError(str(exc)) from None


def encode_model(model: c.CheckedModel) -> bytes:
    """A checked model as JSON bytes."""
    if type(model) is not c.CheckedModel:
        raise SerialError("kein geprüftes Modell")
    return encode(model)


def _encode(value: object, memo: dict[int, int], active: set[int]) -> object:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    name = _NAMES.get(kind)
    if name is not None and kind in ENUMS:
        return ["e", name, cast("enum.Enum", value).value]
    if name is not None:
        ident = id(value)
        index = memo.get(ident)
        if index is not None:
            return ["r", index]
        if ident in active:
            raise SerialError(f"zyklische Struktur bei {name}")
        active.add(ident)
        fields = [_encode(getattr(value, field), memo, active) for field in _FIELDS[kind]]
        active.discard(ident)
        if kind in SHARED:
            memo[ident] = len(memo)
        return ["o", name, *fields]
    if kind is tuple or kind is list or kind is frozenset:
        items = cast("Iterable[object]", value)
        return [_TAGS[kind], *[_encode(item, memo, active) for item in items]]
    if kind is dict:
        mapping = cast("dict[object, object]", value)
        if all(type(key) is str for key in mapping):
            return {key: _encode(item, memo, active) for key, item in mapping.items()}
        out: list[object] = ["m"]
        for key, item in mapping.items():
            out.append(_encode(key, memo, active))
            out.append(_encode(item, memo, active))
        return out
    if kind is Decimal:
        return ["D", str(value)]
    if kind is _dt.date:
        return ["d", cast("_dt.date", value).isoformat()]
    if kind is Fraction:
        fraction = cast("Fraction", value)
        return ["Q", fraction.numerator, fraction.denominator]
    raise SerialError(f"nicht darstellbarer Typ {kind.__module__}.{kind.__qualname__}")


_TAGS: dict[type, str] = {tuple: "t", list: "l", frozenset: "f"}


# --------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------


def decode(data: bytes, classes: Mapping[str, type] = CLASSES) -> object:
    """The value ``data`` encodes; only classes named in ``classes`` (a subset of
    :data:`CLASSES`; empty: plain data only) are instantiated. :class:`SerialError` for anything
    that is not a valid encoding."""
    if any(_NAMES.get(cls) != name for name, cls in classes.items()):
        raise ValueError("classes must be a subset of serial.CLASSES")
    try:
        tree = json.loads(data)
        return _decode(tree, [], classes)
    except SerialError:
        raise
    except RecursionError:
        raise SerialError("zu tief verschachtelt") from None
    # a malformed payload: bad JSON or UTF-8 (ValueError), a wrong number of arguments
    # (TypeError), a bad Decimal text or Fraction(1, 0) (ArithmeticError), a bad date (ValueError)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise SerialError(f"ungültige Kodierung: {type(exc).__name__}") from None


def decode_model(data: bytes) -> c.CheckedModel:
    """The checked model ``data`` encodes; :class:`SerialError` if it encodes anything else."""
    model = decode(data)
    if type(model) is not c.CheckedModel:
        raise SerialError("kein geprüftes Modell")
    return model


_PLAIN = frozenset({str, int, bool, type(None)})  # values that decode to themselves


def _decode(value: Any, refs: list[object], classes: Mapping[str, type]) -> object:
    # The hot loop of loading a cached model (some 10,000 calls for a large one): the values
    # that decode to themselves are passed over inline, each field's type is checked inline
    # where it is one of a set of exact types (see :func:`_checks`).
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        plain = _PLAIN
        return {key: item if type(item) in plain else _decode(item, refs, classes) for key, item in value.items()}
    if kind is not list or not value:
        raise SerialError(f"unerwarteter Wert vom Typ {kind.__name__}")
    tag = value[0]
    plain = _PLAIN
    if tag == "o" and classes is CLASSES:
        return _instance(value, refs)
    if tag == "o":
        name = value[1] if len(value) > 1 else None
        plan = _plan(name, classes) if type(name) is str else None
        if plan is None:
            raise SerialError(f"Klasse nicht erlaubt: {name!r}"[:200])
        cls, checks, shared = plan
        args = [item if type(item) in plain else _decode(item, refs, classes) for item in value[2:]]
        if len(args) != len(checks):
            raise SerialError(f"{name}: {len(args)} statt {len(checks)} Felder")
        for check, arg in zip(checks, args):  # noqa: B905 - the lengths are equal (above)
            if check is None:
                continue
            if isinstance(check, frozenset):
                if type(arg) not in check:
                    raise SerialError(f"{name}: Feld vom falschen Typ")
            elif not check(arg):
                raise SerialError(f"{name}: Feld vom falschen Typ")
        obj = cls(*args)
        if shared:
            refs.append(obj)
        return obj
    if tag == "D":
        if len(value) != 2 or type(value[1]) is not str:
            raise SerialError("ungültige Dezimalzahl")
        return Decimal(value[1])
    if tag == "r":
        if len(value) != 2 or type(value[1]) is not int or not 0 <= value[1] < len(refs):
            raise SerialError("ungültiger Verweis")
        return refs[value[1]]
    if tag == "t":
        return tuple([item if type(item) in plain else _decode(item, refs, classes) for item in value[1:]])
    if tag == "e":
        name = value[1] if len(value) == 3 else None
        enumeration = classes.get(name) if type(name) is str else None
        if enumeration is None or enumeration not in ENUMS:
            raise SerialError(f"Aufzählung nicht erlaubt: {name!r}"[:200])
        if type(value[2]) is not str:
            raise SerialError(f"{name}: ungültiger Wert")
        member = _MEMBERS[enumeration].get(value[2])
        if member is None:
            raise SerialError(f"{name}: unbekannter Wert {value[2]!r}"[:200])
        return member
    if tag == "l":
        return [item if type(item) in plain else _decode(item, refs, classes) for item in value[1:]]
    if tag == "m":
        if len(value) % 2 != 1:
            raise SerialError("ungültiges Wörterbuch")
        keys = [key if type(key) in plain else _decode(key, refs, classes) for key in value[1::2]]
        values = [item if type(item) in plain else _decode(item, refs, classes) for item in value[2::2]]
        return dict(zip(keys, values, strict=True))  # TypeError for an unhashable key
    if tag == "d":
        if len(value) != 2 or type(value[1]) is not str:
            raise SerialError("ungültiges Datum")
        return _dt.date.fromisoformat(value[1])
    if tag == "Q":
        if len(value) != 3 or type(value[1]) is not int or type(value[2]) is not int:
            raise SerialError("ungültiger Bruch")
        return Fraction(value[1], value[2])
    if tag == "f":
        return frozenset([item if type(item) in plain else _decode(item, refs, classes) for item in value[1:]])
    raise SerialError(f"unbekannte Markierung {tag!r}"[:200])


Plan = tuple[type, "tuple[FieldCheck, ...]", bool]
_PLANS: dict[str, Plan] = {}  # by class name, for :data:`CLASSES` itself


def _plan(name: str, classes: Mapping[str, type]) -> Plan | None:
    """How to make an instance of the class ``name`` — the class, its field checks, whether it is
    shared — or None where ``classes`` does not allow it (or it is an enumeration)."""
    if classes is CLASSES:
        plan = _PLANS.get(name)
        if plan is not None:
            return plan
    cls = classes.get(name)
    if cls is None or cls in ENUMS:
        return None
    plan = (cls, _checks(cls), cls in SHARED)
    if classes is CLASSES:
        _PLANS[name] = plan
    return plan


# --------------------------------------------------------------------------------------
# Decoding with the whole allowlist: one decoder per class, one per field annotation
# --------------------------------------------------------------------------------------
#
# Where every class of :data:`CLASSES` may be instantiated (a checked model from the cache), each
# class's fields are decoded by a decoder made from the field's annotation, which takes only the
# encodings of the values the annotation allows: a ``str`` field passes a string and nothing
# else, a ``Span`` field an encoded ``Span`` or a reference to one, ``tuple[Expr, ...]`` a tagged
# tuple of encoded expressions. Decoding and checking are one step, and a field's value is not
# first decoded as whatever it encodes and then checked. The result is what the generic decoding
# and checking above give (a test compares them); anything else is a :class:`SerialError`.
# Annotations these decoders do not cover are decoded generically and then checked.

Refs = list[object]
Decoder = Callable[[list[Any], Refs], object]
# A field's decoder (:func:`_field_decoder`): the exact types of a value that decodes to itself (a
# frozenset, checked inline by the class's decoder), or a function of the encoding and the refs.

#: The decoders of the classes by name: empty until all are made, then published whole (a
#: decoder is registered before its fields' decoders are made, since a field may hold its own
#: class: no other thread may meet one half made).
_OBJECTS: dict[str, Decoder] = {}
_MADE: dict[str, Decoder] = {}  # while they are made, under the lock
_MAKING = threading.Lock()


def _instance(value: list[Any], refs: Refs) -> object:
    """An ``["o", name, …]`` encoding of any class of :data:`CLASSES`."""
    decoders = _OBJECTS or _all_decoders()
    name = value[1] if len(value) > 1 else None
    decoder = decoders.get(name) if type(name) is str else None
    if decoder is None:
        raise SerialError(f"Klasse nicht erlaubt: {name!r}"[:200])
    return decoder(value, refs)


def _all_decoders() -> dict[str, Decoder]:
    """The decoders of all classes of :data:`CLASSES`, made once."""
    global _OBJECTS
    with _MAKING:
        if not _OBJECTS:
            for name in CLASSES:
                _object_decoder(name)
            _OBJECTS = dict(_MADE)
    return _OBJECTS


def _object_decoder(name: str) -> Decoder | None:
    """The decoder of the ``["o", name, field, …]`` encodings of class ``name``, or None where
    :data:`CLASSES` has no such attrs class (called under the lock, by :func:`_all_decoders`).

    The fields whose values decode to themselves (strings, numbers, None) are checked together:
    the tuple of their types is looked up among the combinations of types found valid before
    (most classes meet only a few). The other fields are decoded one by one."""
    made = _MADE.get(name)
    if made is not None:
        return made
    cls = CLASSES.get(name)
    if cls is None or cls in ENUMS:
        return None
    size = len(_FIELDS[cls]) + 2
    shared = cls in SHARED
    exact: list[frozenset[type]] = []  # the exact types of each plain field, in order
    calls: list[tuple[int, Callable[[Any, Refs], object]]] = []  # (index among the fields, decoder)
    valid: set[tuple[type, ...]] = set()  # combinations of the plain fields' types seen valid
    pick: Callable[[list[Any]], tuple[Any, ...]] = lambda args: ()  # noqa: E731 - set below

    def decode_object(value: list[Any], refs: Refs) -> object:
        if len(value) != size:
            raise SerialError(f"{name}: {len(value) - 2} statt {size - 2} Felder")
        args = value[2:]
        kinds = tuple(map(type, pick(args)))
        if kinds not in valid:
            if not all(kind in allowed for kind, allowed in zip(kinds, exact)):  # noqa: B905 - equal lengths
                raise SerialError(f"{name}: Feld vom falschen Typ")
            valid.add(kinds)
        for index, decoder in calls:
            args[index] = decoder(args[index], refs)
        obj = cls(*args)
        if shared:
            refs.append(obj)
        return obj

    _MADE[name] = decode_object  # registered first: a field may hold the class itself
    plain: list[int] = []
    for index, field in enumerate(_FIELDS[cls]):
        decoder = _field_decoder(_annotation(cls, field))
        if type(decoder) is frozenset:
            plain.append(index)
            exact.append(decoder)
        else:
            calls.append((index, decoder))
    if len(plain) > 1:
        pick = operator.itemgetter(*plain)
    elif plain:
        only = plain[0]
        pick = lambda args: (args[only],)  # noqa: E731
    return decode_object


def _any(item: Any, refs: Refs) -> object:
    return item if type(item) in _PLAIN else _decode(item, refs, CLASSES)


def _wrong(name: str = "Feld") -> SerialError:
    return SerialError(f"{name} vom falschen Typ")


@functools.cache
def _field_decoder(hint: Any) -> Any:
    """The decoder of a field annotated ``hint``: a frozenset of exact types or a function."""
    if hint is Any or hint is object:
        return _any
    origin = typing.get_origin(hint)
    options = typing.get_args(hint) if origin is typing.Union or origin is types.UnionType else (hint,)
    plain: set[type] = set()
    objects: dict[str, type] = {}
    handlers: dict[str, Decoder] = {}
    mapping: Callable[[dict[str, Any], Refs], object] | None = None
    for option in options:
        kind = typing.get_origin(option)
        args = typing.get_args(option)
        if option is Any or option is object:
            return _any
        if option is type(None) or option is str or option is bool:
            plain.add(option)
        elif option is int:  # a bool is an int as far as the model is concerned
            plain |= {int, bool}
        elif option in _NAMES and option not in ENUMS:
            objects[_NAMES[option]] = option
        elif option in ENUMS and "e" not in handlers:
            handlers["e"] = _enum_decoder(option)
        elif option in _SCALARS:
            handlers[_SCALARS[option][0]] = _SCALARS[option][1]
        elif kind is tuple and "t" not in handlers:
            handlers["t"] = _tuple_decoder(args)
        elif kind is frozenset and "f" not in handlers:
            handlers["f"] = _items_decoder(frozenset, _field_decoder(args[0]))
        elif kind is dict and args[0] is str and mapping is None:
            mapping = _mapping_decoder(_field_decoder(args[1]))
        else:  # pragma: no cover - no annotation of the model's classes gets here
            return _checked_any(_check_for(hint))
    exact = frozenset(plain)
    if not handlers and mapping is None and not objects:
        return exact
    # the decoders of the classes the field may hold (registered before their fields are made)
    decoders = {name: _object_decoder(name) for name in objects}
    sharable = frozenset(cls for cls in objects.values() if cls in SHARED)

    def decode_field(item: Any, refs: Refs) -> object:
        kind = type(item)
        if kind in exact:
            return item
        if kind is list and item:
            tag = item[0]
            if tag == "o" and len(item) > 1:
                decoder = decoders.get(item[1]) if type(item[1]) is str else None
                if decoder is not None:
                    return decoder(item, refs)
                if item[1] in _FIELDS_BY_NAME:
                    raise _wrong()
                raise SerialError(f"Klasse nicht erlaubt: {item[1]!r}"[:200])
            if tag == "r" and sharable:
                if len(item) != 2 or type(item[1]) is not int or not 0 <= item[1] < len(refs):
                    raise SerialError("ungültiger Verweis")
                obj = refs[item[1]]
                if type(obj) not in sharable:
                    raise _wrong()
                return obj
            handler = handlers.get(tag) if type(tag) is str else None
            if handler is not None:
                return handler(item, refs)
        elif kind is dict and mapping is not None:
            return mapping(item, refs)
        raise _wrong()

    return decode_field


def _checked_any(check: FieldCheck) -> Callable[[Any, Refs], object]:  # pragma: no cover - see above
    def decode_field(item: Any, refs: Refs) -> object:
        value = _any(item, refs)
        if not _passes(check, value):
            raise _wrong()
        return value

    return decode_field


def _as_function(decoder: Any) -> Callable[[Any, Refs], object]:
    """A field decoder as a function (an exact-types decoder checks and passes the value)."""
    if type(decoder) is not frozenset:
        return cast("Callable[[Any, Refs], object]", decoder)
    exact = decoder

    def passed(item: Any, refs: Refs) -> object:
        if type(item) not in exact:
            raise _wrong()
        return item

    return passed


_FIELDS_BY_NAME = frozenset(_NAMES[cls] for cls in _FIELDS)


def _enum_decoder(enumeration: type[enum.Enum]) -> Decoder:
    name, members = _NAMES[enumeration], _MEMBERS[enumeration]

    def decode_member(item: list[Any], refs: Refs) -> object:
        if len(item) != 3 or item[1] != name or type(item[2]) is not str:
            raise _wrong()
        member = members.get(item[2])
        if member is None:
            raise SerialError(f"{name}: unbekannter Wert {item[2]!r}"[:200])
        return member

    return decode_member


def _tuple_decoder(args: tuple[Any, ...]) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        return _items_decoder(tuple, _field_decoder(args[0]))
    parts = [_as_function(_field_decoder(arg)) for arg in args]
    size = len(parts) + 1

    def decode_fixed(item: list[Any], refs: Refs) -> object:
        if len(item) != size:
            raise _wrong()
        return tuple([part(x, refs) for part, x in zip(parts, item[1:])])  # noqa: B905 - equal lengths

    return decode_fixed


def _items_decoder(container: type, decoder: Any) -> Decoder:
    """A tagged tuple or frozenset whose items all pass ``decoder``."""
    if type(decoder) is frozenset:
        exact = decoder

        def decode_plain(item: list[Any], refs: Refs) -> object:
            items = item[1:]
            for x in items:
                if type(x) not in exact:
                    raise _wrong()
            return container(items)

        return decode_plain
    function = cast("Callable[[Any, Refs], object]", decoder)

    def decode_items(item: list[Any], refs: Refs) -> object:
        return container([function(x, refs) for x in item[1:]])

    return decode_items


def _mapping_decoder(decoder: Any) -> Callable[[dict[str, Any], Refs], object]:
    """A JSON object (a dict with string keys) whose values all pass ``decoder``."""
    function = _as_function(decoder)
    return lambda item, refs: {key: function(value, refs) for key, value in item.items()}


def _decimal(item: list[Any], refs: Refs) -> object:
    if len(item) != 2 or type(item[1]) is not str:
        raise SerialError("ungültige Dezimalzahl")
    return Decimal(item[1])


def _date(item: list[Any], refs: Refs) -> object:
    if len(item) != 2 or type(item[1]) is not str:
        raise SerialError("ungültiges Datum")
    return _dt.date.fromisoformat(item[1])


def _fraction(item: list[Any], refs: Refs) -> object:
    if len(item) != 3 or type(item[1]) is not int or type(item[2]) is not int:
        raise SerialError("ungültiger Bruch")
    return Fraction(item[1], item[2])


_SCALARS: dict[type, tuple[str, Decoder]] = {
    Decimal: ("D", _decimal),
    _dt.date: ("d", _date),
    Fraction: ("Q", _fraction),
}


# --------------------------------------------------------------------------------------
# Field types: each decoded field must match its class's annotation
# --------------------------------------------------------------------------------------

Check = Callable[[object], bool]
#: A field's check: None (any value), the set of the exact types a value may have, or a function.
FieldCheck = Check | frozenset[type] | None


@functools.cache
def _checks(cls: type) -> tuple[FieldCheck, ...]:
    """One check per attrs field of ``cls``, from its resolved annotation."""
    return tuple(_check_for(_annotation(cls, name)) for name in _FIELDS[cls])


def _annotation(cls: type, field: str) -> Any:
    """The resolved annotation of ``field`` of ``cls`` (the nearest class in the MRO that
    annotates it) — what :func:`typing.get_type_hints` gives, with each distinct annotation text
    of a module evaluated only once (:func:`_evaluated`)."""
    for klass in cls.__mro__:
        annotations = klass.__dict__.get("__annotations__", {})
        if field in annotations:
            hint = annotations[field]
            return _evaluated(klass.__module__, hint) if isinstance(hint, str) else hint
    raise TypeError(f"serial: {cls.__name__}.{field} has no annotation")  # pragma: no cover


@functools.cache
def _evaluated(module: str, text: str) -> Any:
    """An annotation text of one of the library's own classes (``tuple[Span, ...]``) evaluated in
    the namespace of the module that defines the class, as :func:`typing.get_type_hints` does.
    These texts are the library's source, never a payload's."""
    return eval(text, dict(vars(sys.modules[module])))


@functools.cache
def _check_for(hint: Any) -> FieldCheck:
    """A check that a decoded value has type ``hint``, or None where any value will do."""
    if hint is Any or hint is object:
        return None
    if hint is int:  # a bool is an int as far as the model is concerned
        return frozenset({int, bool})
    if hint in _SIMPLE or hint in _NAMES:
        return frozenset({hint})
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = [_check_for(arg) for arg in args]
        if any(option is None for option in options):
            return None
        exact: frozenset[type] = frozenset().union(*(option for option in options if isinstance(option, frozenset)))
        rest = [option for option in options if option is not None and not isinstance(option, frozenset)]
        if not rest:
            return exact
        return lambda value: type(value) in exact or any(_passes(option, value) for option in rest)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _all_items(tuple, _check_for(args[0]))
    if origin is tuple:
        parts = [_check_for(arg) for arg in args]

        def fixed(value: object) -> bool:
            if type(value) is not tuple or len(value) != len(parts):
                return False
            return all(_passes(p, x) for p, x in zip(parts, value, strict=True))

        return fixed
    if origin is frozenset:
        return _all_items(frozenset, _check_for(args[0]))
    if origin is dict:
        keys, items = (_check_for(arg) for arg in args)

        def mapping(value: object) -> bool:
            if type(value) is not dict:
                return False
            return all(_passes(keys, k) and _passes(items, v) for k, v in value.items())

        return mapping
    raise TypeError(f"serial: no check for {hint!r}")  # pragma: no cover - a new field type


_SIMPLE = frozenset({str, bool, Decimal, Fraction, _dt.date, type(None)})


def _passes(check: FieldCheck, value: object) -> bool:
    """Whether ``value`` passes ``check``."""
    if check is None:
        return True
    if isinstance(check, frozenset):
        return type(value) in check
    return check(value)


def _all_items(container: type, item: FieldCheck) -> Check:
    """A ``container`` (tuple, frozenset) whose items all pass ``item``."""
    if item is None:
        return lambda value: type(value) is container
    if isinstance(item, frozenset):
        kinds = item
        return lambda value: type(value) is container and all(type(x) in kinds for x in value)  # type: ignore[attr-defined]
    return lambda value: type(value) is container and all(_passes(item, x) for x in value)  # type: ignore[attr-defined]
