"""The library's exceptions and diagnostics.

Takes: locations (file, line, column) and messages from every stage.
Gives: one root exception, :class:`TeilhabeError`, and its documented subclasses. Every
user-facing failure is one of them; each carries :class:`Diagnostic` records that render
compiler-style (``file:line:col: fehler: …``, the source line, a caret, ``hinweis: …``) and
serialise with :meth:`Diagnostic.to_dict` for JSON output.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from .records import Record

__all__ = [
    "AgreementError",
    "CaseError",
    "CheckError",
    "Diagnostic",
    "EvaluationError",
    "Location",
    "ResourceError",
    "RuleSyntaxError",
    "TeilhabeError",
    "ValidityError",
    "counted",
    "did_you_mean",
    "encodable",
    "visible",
]


def encodable(text: str) -> str:
    """``text`` with each lone surrogate — a JSON escape ``"\\ud800"`` of a case, an undecodable
    byte of a file name — written as its escape (``\\ud800``): every text of a diagnostic is
    valid Unicode, so that a message can be printed and an error row written (UTF-8, Parquet)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _encodable_or_none(text: str | None) -> str | None:
    return None if text is None else encodable(text)


@attrs.frozen(repr=False)
class Location(Record):
    """A place in a source file: 1-based line and column, optional end."""

    file: str = attrs.field(converter=encodable)
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@attrs.frozen(repr=False)
class Diagnostic(Record):
    """One finding: an error or a warning, with where it is and how to fix it."""

    message: str = attrs.field(converter=encodable)
    location: Location | None = None
    severity: str = "fehler"  # "fehler" or "warnung"
    hint: str | None = attrs.field(default=None, converter=_encodable_or_none)
    source_line: str | None = attrs.field(default=None, converter=_encodable_or_none)
    path: str | None = attrs.field(default=None, converter=_encodable_or_none)  # a data path: $.massnahmen[2].stunden
    code: str = "fehler"

    @property
    def is_error(self) -> bool:
        return self.severity == "fehler"

    def render(self) -> str:
        """Compiler-style text: location, message, source line with caret, hint."""
        head = f"{self.severity}: {self.message}"
        if self.path:
            head += f" @ {self.path}"
        lines = [f"{self.location}: {head}" if self.location else head]
        if self.location and self.source_line is not None:
            text = visible(self.source_line.rstrip("\n").removesuffix("\r"))
            lines.append(f"    {text}")
            col = max(1, self.location.column)
            width = 1
            if self.location.end_line == self.location.line and self.location.end_column:
                width = max(1, self.location.end_column - col)
            cells = max(1, sum(_cells(ch) for ch in text[col - 1:col - 1 + width]))  # (as a terminal shows them)
            lines.append("    " + _caret_pad(text, col - 1) + "^" + "~" * (cells - 1))
        if self.hint:
            lines.append(f"    hinweis: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "art": self.severity,
            "code": self.code,
            "meldung": self.message,
        }
        if self.location:
            data["datei"] = self.location.file
            data["zeile"] = self.location.line
            data["spalte"] = self.location.column
        if self.source_line is not None:
            data["quelltext"] = self.source_line.rstrip("\n")
        if self.path:
            data["pfad"] = self.path
        if self.hint:
            data["hinweis"] = self.hint
        return data


#: The characters a source line shows otherwise (:func:`visible`) and a rule file may not hold
#: (:func:`teilhabe_rules.limits.check_characters`): the control characters but tab, line feed and
#: carriage return, the line and paragraph separators, and the bidirectional controls, which make
#: text read in another order than it is parsed.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with each control character of :data:`CONTROL` (and a carriage return) shown as a
    visible one in its place — a C0 character as its control picture (``␛``), any other as ``�``
    — so that a source line printed to a terminal cannot move its cursor, colour it or reorder
    it, and a caret below still lines up."""
    return _SHOWN.sub(_shown, text) if _SHOWN.search(text) else text


_SHOWN = re.compile(CONTROL.pattern[:-1] + "\r]")


def _shown(found: re.Match[str]) -> str:
    code = ord(found.group())
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"


def _caret_pad(text: str, count: int) -> str:
    """Whitespace that lines a caret up under column ``count`` as a terminal shows the line: tabs
    kept as tabs, a wide character (an emoji, a CJK one) two blanks, a combining or invisible one
    none."""
    return "".join("\t" if ch == "\t" else " " * _cells(ch) for ch in text[:count]) + " " * max(0, count - len(text))


def _cells(char: str) -> int:
    """The terminal cells ``char`` takes: 2 for a wide one, 0 for a combining or invisible one."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    return 0 if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf") else 1


class TeilhabeError(Exception):
    """Root of every error the library raises for bad input.

    ``diagnostics`` holds all findings (all errors of a file or case are reported together).
    """

    kind = "fehler"

    def __init__(self, diagnostics: Sequence[Diagnostic] | Diagnostic | str):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(diagnostics)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__(self.render())

    def __reduce__(self) -> tuple[Any, ...]:
        # (rebuilt from its diagnostics, whatever a subclass's constructor takes: an error raised in
        # a worker process comes back whole, and one that did not would break the process pool)
        return _rebuilt, (type(self), self.diagnostics), self.__dict__

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def message(self) -> str:
        return self.diagnostics[0].message if self.diagnostics else ""

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)

    def to_dict(self) -> dict[str, Any]:
        return {"fehlerart": self.kind, "meldungen": [d.to_dict() for d in self.diagnostics]}


def _rebuilt(kind: type[TeilhabeError], diagnostics: tuple[Diagnostic, ...]) -> TeilhabeError:
    """An error of class ``kind`` with ``diagnostics``, made without calling ``kind``'s own
    constructor (for :meth:`TeilhabeError.__reduce__`; the rest of its state follows)."""
    error = kind.__new__(kind)
    TeilhabeError.__init__(error, diagnostics)
    return error


class RuleSyntaxError(TeilhabeError):
    """A rule file is not written in the rules language."""

    kind = "syntax"


class CheckError(TeilhabeError):
    """A rule file parses but is not a consistent model (names, units, coverage, cycles)."""

    kind = "prüfung"


class AgreementError(TeilhabeError):
    """An agreement (Vereinbarung) does not fit the model it is applied to."""

    kind = "vereinbarung"


class CaseError(TeilhabeError):
    """Case data does not fit the model's declared inputs, or a check of the model failed."""

    kind = "fall"


class EvaluationError(TeilhabeError):
    """A valid case could not be evaluated (e.g. a table has no row for a key)."""

    kind = "auswertung"


class ValidityError(TeilhabeError):
    """A case's reference date lies outside the model's validity."""

    kind = "gültigkeit"


class ResourceError(TeilhabeError):
    """A population could not be evaluated within the memory the library may use
    (``$TEILHABE_RULES_MEMORY``)."""

    kind = "speicher"


#: Words longer than this get no did-you-mean suggestion (the comparison grows with the square);
#: one of the limits of :mod:`teilhabe_rules.limits`, defined here where it is used.
MAX_SUGGESTION_LENGTH = 100


def counted(count: int, one: str, many: str) -> str:
    """``count`` and its noun as a message says it: ``1 Fall``, ``2 Fälle`` (``many`` in the case
    the sentence needs: ``von 2 Fällen``)."""
    return f"{count} {one if count == 1 else many}"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The hint „meinten Sie „X“?“ naming the candidate closest to a misspelt ``name``, or None.
    A candidate that is the same word in other case comes first (``Tag`` → ``tag``); where none is
    close as written, the closest one in other case is (``MAWO`` → ``mawo``).

    Words longer than :data:`~teilhabe_rules.limits.MAX_SUGGESTION_LENGTH` are neither given a
    suggestion nor suggested: the comparison grows with the product of the lengths, and nobody
    misspells a word of that length."""
    if len(name) > MAX_SUGGESTION_LENGTH:
        return None
    return _closest(name, tuple(sorted({c for c in candidates if len(c) <= MAX_SUGGESTION_LENGTH})))


@functools.lru_cache(maxsize=1024)
def _closest(name: str, usable: tuple[str, ...]) -> str | None:
    """:func:`did_you_mean` of ``usable`` (sorted), remembered: a population whose rows all
    misspell one key asks it of every row."""
    import difflib

    # the same word in other case first (``Tag`` → ``tag``, not ``Tage``), ``ß`` apart from ``ss``
    close = ([c for c in usable if c != name and c.lower() == name.lower()]
             or [c for c in usable if c != name and c.casefold() == name.casefold()]
             or difflib.get_close_matches(name, usable, n=1, cutoff=0.6))
    if not close:  # (upper case for lower: „MAWO“ has no letter of „mawo“)
        folded: dict[str, str] = {}
        for candidate in usable:
            folded.setdefault(candidate.casefold(), candidate)
        close = [folded[c] for c in difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)]
    return f"meinten Sie „{close[0]}“?" if close else None


def collect(diagnostics: Iterable[Diagnostic], error_type: type[TeilhabeError]) -> None:
    """Raise ``error_type`` with all diagnostics if any of them is an error."""
    found = list(diagnostics)
    if any(d.is_error for d in found):
        raise error_type(found)
