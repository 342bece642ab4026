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
from typing import Any, NoReturn, TypeVar

import attrs

__all__ = ["FrozenDict", "Record"]

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


_K = TypeVar("_K")
_V = TypeVar("_V")


class FrozenDict(dict[_K, _V]):
    """A dict that cannot be changed: what the library hands out of a model's values
    (``Model.parameters``, ``Model.tables``, ``Result.parameters``), so that an assignment
    through it cannot change later evaluations. Reading, copying (``dict(d)``, ``d.copy()`` give a
    plain dict), pickling and ``json.dumps`` work as for a dict; every change is a ``TypeError``."""

    __slots__ = ("_made",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_made", False):  # (``d.__init__(…)`` again would change it in place)
            self._refuse()
        super().__init__(*args, **kwargs)
        self._made = True

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("die Werte sind nur lesbar (eine Kopie zum Ändern: dict(werte))")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse

    def __ior__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        self._refuse()

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))
