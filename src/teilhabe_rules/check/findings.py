"""The diagnostics sink every pass of the checker reports to.

Takes: the file name, the text and (for a variant merged with its base) the base files' texts.
Gives: :class:`Findings` — ``report`` records a located :class:`~teilhabe_rules.errors.Diagnostic`,
``fail`` records one and returns :class:`Fail` to abort the expression at hand; ``sorted`` gives
all findings by place. Also :func:`join`, the dotted ids of scopes, packages and symbols.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import Diagnostic, Location
from ..span import Span, source_lines

__all__ = ["Fail", "Findings", "join"]


class Fail(Exception):
    """Abort resolving one expression after a diagnostic was recorded."""


def join(*parts: str | None) -> str:
    """The dotted id of the given parts, leaving out empty ones (``join("", "p", "x") == "p.x"``)."""
    return ".".join(p for p in parts if p)


class Findings:
    """The findings of one file, in the order the passes report them, and the lines spans point into."""

    def __init__(self, file: str, text: str, sources: Iterable[tuple[str, str]] = ()):
        self.file = file
        self.lines = source_lines(text)
        # a variant merged with its base: the base files' lines, for spans that name them
        self.other_lines = {name: source_lines(source) for name, source in sources}
        self.diagnostics: list[Diagnostic] = []

    def report(self, message: str, span: Span | None, hint: str | None = None, severity: str = "fehler",
               code: str = "prüfung") -> None:
        location = None
        source_line = None
        if span is not None and span.line > 0:
            lines = self.lines_of(span)
            location = Location(span.file or self.file, span.line, span.column, span.end_line, span.end_column)
            source_line = lines[span.line - 1] if span.line <= len(lines) else None
        self.diagnostics.append(Diagnostic(message, location, severity, hint, source_line, code=code))

    def fail(self, message: str, span: Span | None, hint: str | None = None, code: str = "prüfung") -> Fail:
        """Report an error and return the exception that aborts the expression at hand."""
        self.report(message, span, hint, code=code)
        return Fail()

    def lines_of(self, span: Span) -> list[str]:
        """The lines of the file ``span`` lies in (a variant's base file, or this one)."""
        return self.other_lines.get(span.file, []) if span.file else self.lines

    def source_of(self, span: Span) -> str:
        """The source text of a declaration, without the indentation of the line after it and
        without the blank and comment lines between it and the next statement."""
        if span.line <= 0:
            return ""
        lines = self.lines_of(span)
        end = span.end_line
        # a declaration's span ends after the newline and the next line's indentation
        if end > span.line and (
            span.end_column <= 1 or 0 < end <= len(lines) and not lines[end - 1][: span.end_column - 1].strip()
        ):
            end -= 1
        kept = lines[span.line - 1 : max(end, span.line)]
        # ... and the line end it ends with takes the blank and comment lines after it along: they
        # are not the rule (a line of a """text""" that begins with „#“ is: its quotes are open)
        while len(kept) > 1 and _blank_or_comment(kept[-1]) and "\n".join(kept[:-1]).count('"""') % 2 == 0:
            kept.pop()
        return "\n".join(kept).strip()

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def sorted(self) -> list[Diagnostic]:
        """By place; a variant's own findings before those in its base files."""
        return sorted(self.diagnostics, key=lambda d: (d.location is not None and d.location.file != self.file,
                                                       d.location.file if d.location else "",
                                                       d.location.line if d.location else 0,
                                                       d.location.column if d.location else 0))


def _blank_or_comment(line: str) -> bool:
    """Whether a source line holds nothing but blanks and perhaps a comment."""
    stripped = line.strip(" \t\f")
    return not stripped or stripped.startswith("#")
