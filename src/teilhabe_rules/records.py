"""The base of the library's attrs classes: one ``repr`` for all of them.

Takes: nothing. Gives: :class:`Record` — a slotted base class whose ``__repr__`` is exactly the
one attrs writes (``Span(line=1, column=1, end_line=1, end_column=5, file=None)``: the fields
with ``repr=True`` in order, each by its ``repr``, ``...`` for an object already being shown).
A class declared ``@attrs.frozen(repr=False)`` (or ``define``) on this base gets it instead of a
``__repr__`` that attrs generates and compiles for the class alone — which cost every new
process some 0.15 ms per class, about 8 ms for the classes loading a cached model and evaluating
a case needs.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs

__all__ = ["Record"]

_context = threading.local()


class Record:
    """Base of an attrs class declared with ``repr=False``: the ``repr`` attrs would write."""

    __slots__ = ()

    def __repr__(self) -> str:
        active: set[int] | None = getattr(_context, "active", None)
        if active is None:
            active = _context.active = set()
        if id(self) in active:
            return "..."
        active.add(id(self))
        try:
            cls: Any = type(self)  # an attrs class: every subclass is one
            shown = ", ".join(f"{a.name}={getattr(self, a.name)!r}" for a in attrs.fields(cls) if a.repr)
            return f"{cls.__qualname__.rsplit('>.', 1)[-1]}({shown})"
        finally:
            active.discard(id(self))
