"""Where something stands in a source file: :class:`Span`.

Neutral: the AST (:mod:`teilhabe_rules.syntax.ast`) gives every node one, and the checked model
(:mod:`teilhabe_rules.ir.checked`) keeps them for explanations and messages, without either
depending on the other.
"""

from __future__ import annotations

import attrs

from .records import Record

__all__ = ["NO_SPAN", "Span", "source_lines"]


@attrs.frozen(repr=False)
class Span(Record):
    """Source position of a node: 1-based line and column, end exclusive. ``file`` names the
    file only where it is not the module's own (declarations a variant takes from its base)."""

    line: int
    column: int
    end_line: int
    end_column: int
    file: str | None = None


NO_SPAN = Span(0, 0, 0, 0)


def source_lines(text: str) -> list[str]:
    """The lines of a source text as spans count them: ended by ``\n`` (a ``\r`` before it
    dropped) — not :meth:`str.splitlines`, which also ends a line at a form feed, a lone ``\r``,
    U+2028 and more, and would then give another line than the one a span names."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
