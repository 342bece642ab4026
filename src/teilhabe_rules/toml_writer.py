"""A small TOML writer for case data.

Takes: case data as the library reads it (dicts, lists of dicts, ``str``, ``bool``, ``int``,
:class:`~decimal.Decimal`, :class:`datetime.date`). Gives: TOML text that ``tomllib`` reads back
to equal data (decimals through ``parse_float=Decimal``): plain values first, then tables
(``[lp2a]``), then arrays of tables (``[[bewohner]]``, nested ``[[bewohner.massnahmen]]``).
Floats are refused — case data never holds them.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["dumps"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def dumps(data: Mapping[str, Any], header: str | None = None, ascii: bool = False) -> str:
    """``data`` as TOML text, optionally after a comment ``header`` (one ``#`` per line).

    ``ascii``: every character beyond ASCII in a key or value is written as an escape
    (``\\u00fc``), for an output that cannot show it; the data read back is the same."""
    lines: list[str] = []
    comments = 0
    if header:
        clean = "".join(
            ch if ch == "\n" or ch == "\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7F) else "?" for ch in header
        )
        lines += ["# " + line if line else "#" for line in clean.splitlines()]
        lines.append("")
        comments = len(lines)
    _table(data, (), lines, array=False)
    if ascii:  # after the comments, non-ASCII text is only in basic strings (escapes hold)
        lines[comments:] = [_NON_ASCII.sub(_escape, line) for line in lines[comments:]]
    while lines and lines[0] == "" and not header:
        lines.pop(0)
    return "\n".join(lines).rstrip("\n") + "\n"


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _table(data: Mapping[str, Any], path: tuple[str, ...], lines: list[str], array: bool) -> None:
    plain = [(k, v) for k, v in data.items() if not isinstance(v, Mapping) and not _is_table_array(v)]
    tables = [(k, v) for k, v in data.items() if isinstance(v, Mapping)]
    arrays = [(k, v) for k, v in data.items() if _is_table_array(v)]
    if path:
        name = ".".join(_key(p) for p in path)
        if lines:
            lines.append("")
        lines.append(f"[[{name}]]" if array else f"[{name}]")
    for key, value in plain:
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables:
        _table(value, path + (key,), lines, array=False)
    for key, items in arrays:
        for item in items:
            _table(item, path + (key,), lines, array=True)


def _key(key: str) -> str:
    return key if _BARE.match(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} ist keine endliche Zahl und in TOML nicht darstellbar")
        exponent = value.as_tuple().exponent  # an int: the value is finite
        if value == value.to_integral_value() and isinstance(exponent, int) and exponent >= 0:
            return format(value, "f")
        text = format(value, "f")
        return text if "." in text else text + ".0"
    if isinstance(value, float):
        raise TypeError("Falldaten enthalten keine Gleitkommazahlen (float); Zahlen sind Decimal")
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) if not isinstance(v, Mapping) else _inline(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return _inline(value)
    raise TypeError(f"{type(value).__name__} lässt sich nicht als TOML schreiben")


def _inline(table: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in table.items()) + "}"
