"""Where a data path stands in a case file.

Takes: the text of a TOML or JSON case file and a data path (``bewohner[2].lp2a.kap4``). Gives:
the line and column of that key — or, where the key is missing, of the nearest enclosing table —
so that a case error can show the file, the line and a caret like every other error.
TOML is read line by line (tables, arrays of tables, dotted keys); for JSON the keys of the path
are searched in order.
"""

from __future__ import annotations

import re

__all__ = ["locate"]

_KEY = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_\-]+)'
_DOTTED = re.compile(rf"\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*")
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]\]")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]")
_ASSIGNMENT = re.compile(rf"^\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=")


def _keys(text: str) -> tuple[str, ...]:
    parts = re.findall(_KEY, text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _toml_positions(text: str) -> dict[tuple[str | int, ...], tuple[int, int]]:
    positions: dict[tuple[str | int, ...], tuple[int, int]] = {}
    counters: dict[tuple[str | int, ...], int] = {}
    current: tuple[str | int, ...] = ()

    def concrete(keys: tuple[str, ...]) -> tuple[str | int, ...]:
        out: tuple[str | int, ...] = ()
        for key in keys:
            out += (key,)
            if out in counters:
                out += (counters[out],)
        return out

    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        column = len(raw) - len(raw.lstrip()) + 1
        match = _ARRAY_HEADER.match(raw)
        if match:
            keys = _keys(match.group(1))
            array = concrete(keys[:-1]) + (keys[-1],)
            counters[array] = counters.get(array, 0) + 1
            current = array + (counters[array],)
            positions.setdefault(current, (number, column))
            continue
        match = _TABLE_HEADER.match(raw)
        if match:
            current = concrete(_keys(match.group(1)))
            positions.setdefault(current, (number, column))
            continue
        match = _ASSIGNMENT.match(raw)
        if match:
            positions.setdefault(current + _keys(match.group(1)), (number, column))
    return positions


def _json_position(text: str, steps: tuple[str | int, ...]) -> tuple[int, int] | None:
    position = -1
    for step in steps:
        if isinstance(step, int):
            continue
        found = text.find(f'"{step}"', position + 1)
        if found < 0:
            break
        position = found
    if position < 0:
        return None
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def locate(text: str, steps: tuple[str | int, ...], json: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of ``steps`` in a case file's text; (1, 1) if nothing fits."""
    if json:
        return _json_position(text, steps) or (1, 1)
    positions = _toml_positions(text)
    for length in range(len(steps), 0, -1):
        found = positions.get(tuple(steps[:length]))
        if found is not None:
            return found
    return (1, 1)
