"""Where a data path stands in a case file.

Takes: the text of a TOML or JSON case file and a data path (``bewohner[2].lp2a.kap4``). Gives:
the line and column of that key or list element — or, where it is missing, of the nearest
enclosing table or list — so that a case error can show the file, the line and a caret like
every other error. TOML is read line by line (tables, arrays of tables, dotted keys) and inside
a value (inline tables and arrays) by a scanner; JSON by the same scanner, key by key and
element by element. The scanner never recurses: any nesting depth is fine.
"""

from __future__ import annotations

import bisect
import functools
import re

__all__ = ["line_text", "locate", "locate_exact"]

_KEY = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_\-]+)'
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]\]")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]")
_ASSIGNMENT = re.compile(rf"^\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=\s*")

Steps = tuple[str | int, ...]


def _keys(text: str) -> tuple[str, ...]:
    parts = re.findall(_KEY, text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


_MAX_STEPS = 256  # keys deeper than this are located at their ancestor at this depth


@functools.lru_cache(maxsize=8)
def _toml_positions(text: str) -> dict[Steps, tuple[int, int | None]]:
    """Offsets of the tables, array elements and keys of a TOML text: for a key assigned a
    value, (offset of the key, offset of the value); else (offset, None). A table named by a
    header or a dotted key is also found at the first line that implies it. Computed once per
    text (a case with many errors locates each)."""
    positions: dict[Steps, tuple[int, int | None]] = {}
    counters: dict[Steps, int] = {}
    current: Steps = ()

    def concrete(keys: tuple[str, ...]) -> Steps:
        out: Steps = ()
        for key in keys:
            out += (key,)
            if out in counters:
                out += (counters[out],)
        return out

    def implied(steps: Steps, at: int) -> None:
        for length in range(1, len(steps)):
            positions.setdefault(steps[:length], (at, None))

    offset = 0
    for raw in text.split("\n"):
        start, offset = offset, offset + len(raw) + 1
        stripped = raw.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        at = start + len(raw) - len(stripped)
        match = _ARRAY_HEADER.match(raw)
        if match:
            keys = _keys(match.group(1))[:_MAX_STEPS]
            array = concrete(keys[:-1]) + (keys[-1],)
            counters[array] = counters.get(array, 0) + 1
            implied(array, at)
            positions.setdefault(array, (at, None))  # the array: at its first element
            current = array + (counters[array],)
            positions.setdefault(current, (at, None))
            continue
        match = _TABLE_HEADER.match(raw)
        if match:
            current = concrete(_keys(match.group(1))[:_MAX_STEPS])
            implied(current, at)
            positions.setdefault(current, (at, None))
            continue
        match = _ASSIGNMENT.match(raw)
        if match:
            key = (current + _keys(match.group(1)))[:_MAX_STEPS]
            implied(key, at)
            positions.setdefault(key, (at, start + match.end()))
    return positions


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{},:]|[^\s,:\[\]{}"]+')
_TOML_TOKEN = re.compile(
    r'"""(?:[^\\]|\\[\s\S])*?(?:"""|$)|\'\'\'[\s\S]*?(?:\'\'\'|$)|"(?:[^"\\\n]|\\.)*"?|\'[^\'\n]*\'?'
    r'|#[^\n]*|[\[\]{},=]|[^\s,=\[\]{}"\'#]+')


class _Containers:
    """The direct children of the JSON values or TOML inline values of one text, each container
    indexed once when first needed: members by key (offset of the key and of its value) and
    element offsets. Tokens come from a regular expression; nothing recurses, and locating many
    paths in one text costs one pass per container visited, not one per path."""

    def __init__(self, text: str, toml: bool):
        self.text = text
        self.toml = toml
        self.tokens = _TOML_TOKEN if toml else _JSON_TOKEN
        self.index: dict[int, tuple[dict[str, tuple[int, int]], list[int]]] = {}

    def children(self, at: int) -> tuple[dict[str, tuple[int, int]], list[int]] | None:
        """Members and elements of the object/array (inline table/array) starting at ``at``."""
        if at >= len(self.text) or self.text[at] not in "[{":
            return None
        found = self.index.get(at)
        if found is None:
            found = self.index[at] = self._scan(at)
        return found

    def _scan(self, at: int) -> tuple[dict[str, tuple[int, int]], list[int]]:
        members: dict[str, tuple[int, int]] = {}
        elements: list[int] = []
        is_object = self.text[at] == "{"
        depth = 0
        expecting_value = not is_object
        key: tuple[str, int] | None = None
        for match in self.tokens.finditer(self.text, at + 1):
            token = match.group()
            if token[0] == "#":
                continue
            if depth:
                if token in ("[", "{"):
                    depth += 1
                elif token in ("]", "}"):
                    depth -= 1
                continue
            if token in ("]", "}"):
                break
            if token == ",":
                expecting_value, key = not is_object, None
            elif token in (":", "="):
                expecting_value = True
            elif expecting_value:
                if is_object:
                    if key is not None:
                        members.setdefault(key[0], (key[1], match.start()))
                else:
                    elements.append(match.start())
                expecting_value = False
                if token in ("[", "{"):
                    depth = 1
            elif is_object and key is None:
                key = (self._key(token), match.start())
        return members, elements

    def _key(self, token: str) -> str:
        if token[:1] == '"' and "\\" in token and not self.toml:
            import json

            try:
                decoded = json.loads(token)
                return decoded if isinstance(decoded, str) else token
            except ValueError:
                return token
        if token[:1] in "\"'" and len(token) >= 2:
            return token[1:-1]
        return token

    def walk(self, at: int, steps: Steps) -> tuple[int, int]:
        """From the value at ``at``: the offset of the deepest of ``steps`` found and how many."""
        found = 0
        where = at
        for step in steps:
            children = self.children(at)
            if children is None:
                break
            members, elements = children
            if isinstance(step, int):
                if not 1 <= step <= len(elements):
                    break
                where = at = elements[step - 1]
            else:
                pair = members.get(step)
                if pair is None:
                    break
                where, at = pair
            found += 1
        return where, found


@functools.lru_cache(maxsize=8)
def _containers(text: str, toml: bool) -> _Containers:
    return _Containers(text, toml)


@functools.lru_cache(maxsize=8)
def _line_starts(text: str) -> list[int]:
    starts = [0]
    for line in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    return starts


def _line_column(text: str, offset: int) -> tuple[int, int]:
    starts = _line_starts(text)
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def line_text(text: str, line: int) -> str | None:
    """Line ``line`` (1-based) of ``text`` without its line break, or None."""
    starts = _line_starts(text)
    if not 0 < line <= len(starts):
        return None
    end = starts[line] - 1 if line < len(starts) else len(text)
    return text[starts[line - 1]:end].rstrip("\r")


def locate_exact(text: str, steps: Steps, json: bool = False) -> tuple[int, int, bool]:
    """Line and column (1-based) of ``steps`` in a case file's text, and whether all of
    ``steps`` were found — else the place is the nearest enclosing table or list ((1, 1) for
    the document)."""
    if json:
        start = len(text) - len(text.lstrip())
        where, found = _containers(text, False).walk(start, steps)
        if found == 0:
            return 1, 1, not steps
        return (*_line_column(text, where), found == len(steps))
    positions = _toml_positions(text)
    for length in range(min(len(steps), _MAX_STEPS), 0, -1):
        known = positions.get(tuple(steps[:length]))
        if known is None:
            continue
        where, value = known
        found = 0
        if value is not None and length < len(steps):  # inside an inline value
            inner, found = _containers(text, True).walk(value, steps[length:])
            where = inner if found else where
        return (*_line_column(text, where), length + found == len(steps))
    return 1, 1, not steps


def locate(text: str, steps: Steps, json: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of ``steps`` in a case file's text; (1, 1) if nothing fits."""
    line, column, _ = locate_exact(text, steps, json)
    return line, column
