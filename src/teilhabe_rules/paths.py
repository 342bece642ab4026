"""Data paths: ``bewohner[1].lp2a.kap4`` as text and as steps.

Takes: path text or steps. Gives: :func:`parse_path` (text → steps, 1-based indexes),
:func:`format_path` (steps → text) and :func:`set_path` (put a value into nested case data).
Used by examples and templates, results, explanations and population files alike. Beside them
:func:`file_path`: a file system path given to the API, whatever its type.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import counted

__all__ = ["PathError", "copy_data", "file_path", "format_path", "parse_path", "set_path"]


class PathError(ValueError):
    """A path that is malformed or does not fit the data (message in German; ``hint``: what to
    write instead, where one helps)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def parse_path(text: str) -> tuple[str | int, ...]:
    """``bewohner[1].lp2a.kap4`` → ("bewohner", 1, "lp2a", "kap4"): names (no „.“, „[“ or „]“ in
    them) joined by „.“, each followed by any number of 1-based indexes in brackets, written in
    the digits 0–9. Anything else is a :class:`PathError` — an empty name (``a..b``, ``a.``), an
    unclosed or stray bracket (``a[1``, ``a]``), an index that is no such number (``[0]``,
    ``[²]``) — never a path read otherwise than it is written."""
    if not text:
        raise PathError("ein leerer Pfad")
    steps: list[str | int] = []
    for number, part in enumerate(text.split(".")):
        name, bracket, rest = part.partition("[")
        if "]" in name:
            raise PathError(f"unerwartet „]“ in „{part}“")
        if not name:
            if number == 0:
                raise PathError("ein Pfad beginnt mit einem Namen")
            raise PathError("nach einem Punkt fehlt ein Name")
        steps.append(name)
        while bracket:
            index, closed, rest = rest.partition("]")
            if not closed:
                raise PathError(f"„[{index}“ ist nicht mit „]“ geschlossen")
            if not (index.isascii() and index.isdigit()) or int(index) < 1:
                raise PathError(f"„[{index}]“ ist kein Listenindex (ab 1)")
            steps.append(int(index))
            if rest and not rest.startswith("["):
                raise PathError(f"unerwartet „{rest}“")
            bracket, rest = rest[:1], rest[1:]
    return tuple(steps)


def format_path(steps: tuple[str | int, ...]) -> str:
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def set_path(data: dict[str, Any], steps: tuple[str | int, ...], value: Any, pad: bool = False) -> None:
    """Set ``value`` at ``steps``, creating tables and lists on the way. A list index may be one
    past the end (appends); with ``pad``, any index (missing elements become empty tables)."""
    current: Any = data
    for number, step in enumerate(steps):
        last = number == len(steps) - 1
        following = None if last else steps[number + 1]
        if isinstance(step, int):
            if not isinstance(current, list):
                raise PathError(f"Index [{step}] folgt auf keine Liste")
            if pad:
                while len(current) < step:
                    current.append({})
            elif not 1 <= step <= len(current) + 1:
                raise PathError(f"Index [{step}] gibt es nicht (die Liste hat "
                                f"{counted(len(current), 'Eintrag', 'Einträge')})",
                                f"ein weiteres Element hat den Index [{len(current) + 1}], eines nach dem letzten; "
                                "oder gib die ganze Liste an: … = [{…}, {…}]")
            elif step == len(current) + 1:
                current.append({})
            if last:
                current[step - 1] = value
            else:
                current = current[step - 1]
        else:
            if not isinstance(current, dict):
                raise PathError(f"„{step}“ folgt auf keinen Datensatz")
            if last:
                current[step] = value
            else:
                current = current.setdefault(step, [] if isinstance(following, int) else {})


def copy_data(data: Any) -> Any:
    """A copy of JSON-like data (case data, a result's JSON form): its tables (dicts) and arrays
    (lists) new, its values shared (immutable)."""
    if isinstance(data, dict):
        return {key: copy_data(value) for key, value in data.items()}
    if isinstance(data, list):
        return [copy_data(value) for value in data]
    return data


def file_path(value: Any) -> Path | None:
    """``value`` as the path of a file where it names one: a ``str``, or any ``os.PathLike`` whose
    path is a ``str`` (``pathlib.Path``, another library's path type); else None (data, a text
    stream, a path as bytes)."""
    if isinstance(value, Path):
        return value
    if isinstance(value, (str, os.PathLike)):
        name = os.fspath(value)
        if isinstance(name, str):
            return Path(name)
    return None
