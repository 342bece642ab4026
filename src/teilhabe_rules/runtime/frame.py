"""The typed evaluation frame: what a backend returns for one case.

Takes: the values one evaluation of a case produced. Gives: :class:`Frame` — the case and every
element of its lists as :class:`Element`, each a read-only mapping from the symbol keys of its
scope (inputs, values, ``lp2a.stufe``, ``lp2a.bewilligte_stufe`` …, as the rule language names
them) to their values; the quantity a corridor decided on; the computed, granted and effective
level of a package; the parameter values and tables the evaluation used; and its warnings.

Everything that reads an evaluation — results, explanations, ``compare``, properties, example
coverage — reads it through this class. How a backend stores the values is its own affair: the
Python backend keeps one dict per element (:meth:`Frame.from_rows`; a specialised program hands
over the values of the list elements apart and has them put into their dicts when the frame is
first read, by ``complete``), and the key under which it
keeps a corridor's quantity is known only here and to that backend (:func:`corridor_key`), as is
the key under which the case's row keeps the reference date ``stichtag()`` reads (:data:`DATE_KEY`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from ..ir import checked as c
from ..records import FrozenDict, Record

__all__ = ["DATE_KEY", "Element", "Frame", "NoFigure", "PackageLevels", "corridor_key"]

# The key under which the Python backend keeps the reference date of the evaluation in the case's
# row, for a model that reads it (``stichtag()``); like every key with ``#`` it is no value.
DATE_KEY = "#stichtag"

# Held while a frame's rows are completed (see :meth:`Frame.from_rows`): once, whichever thread reads first.
_COMPLETING = threading.Lock()


def corridor_key(node: c.Node) -> str:
    """The key under which the Python backend keeps the quantity a corridor was decided on."""
    return f"{node.key}#korridor"


class NoFigure(KeyError):
    """A path that names no figure of a result, or no package whose level a corridor decides,
    where one is asked for (its message in German). A KeyError; told apart from a KeyError of
    any other cause, which is not taken for it."""


@attrs.frozen(repr=False)
class PackageLevels(Record):
    """The levels of one package in one element: computed by the model, granted by the cost
    bearer (None: none granted), effective (granted, else computed), and the reason given for a
    granted level."""

    computed: int | None
    granted: int | None
    effective: int | None
    reason: str | None


class Element(Mapping[str, Any]):
    """The case (``scope == ""``) or one element of a list: its values by symbol key.

    ``indexes`` are the 0-based positions along the lists from the case down to this element;
    ``path`` is the element's path as messages show it (``$``, ``$.bewohner[2]``)."""

    __slots__ = ("_frame", "_row", "scope", "indexes", "parent", "path")

    def __init__(self, frame: Frame, row: dict[str, Any], scope: str, indexes: tuple[int, ...],
                 parent: Element | None, path: str):
        self._frame = frame
        self._row = row
        self.scope = scope
        self.indexes = indexes
        self.parent = parent
        self.path = path

    # ---- the mapping of values ----

    def __getitem__(self, key: str) -> Any:
        value = self._row[key]
        if isinstance(value, list):  # a list is no value of the element: see children()
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (key for key, value in self._row.items() if not isinstance(value, list) and "#" not in key)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, else ``default`` (as :meth:`Mapping.get`, without its exception)."""
        value = self._row.get(key, default)
        return default if value.__class__ is list or "#" in key else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and "#" not in key and key in self._row and not isinstance(self._row[key], list)

    def __repr__(self) -> str:
        return f"Element({self.path})"

    # ---- structure ----

    @property
    def frame(self) -> Frame:
        return self._frame

    def children(self, scope: str) -> tuple[Element, ...]:
        """The elements of list ``scope`` (a scope id) directly below this element."""
        spec = self._frame.model.scopes[scope]
        if spec.parent != self.scope:
            raise KeyError(f"„{spec.name}“ ist keine Liste von {self.path}")
        items = self._row.get(spec.name)
        if not isinstance(items, list):
            return ()
        return tuple(
            Element(self._frame, item, scope, (*self.indexes, number), self, f"{self.path}.{spec.name}[{number + 1}]")
            for number, item in enumerate(items)
        )

    def count(self, scope: str) -> int:
        """The number of elements of list ``scope`` directly below this element."""
        items = self._row.get(self._frame.model.scopes[scope].name)
        return len(items) if isinstance(items, list) else 0

    def chain(self) -> tuple[Element, ...]:
        """The elements from the case down to this one (the case first)."""
        found: list[Element] = []
        element: Element | None = self
        while element is not None:
            found.append(element)
            element = element.parent
        return tuple(reversed(found))

    # ---- what a level was decided on ----

    def corridor_quantity(self, node: c.Node) -> Any:
        """The quantity corridor ``node`` (of this element's scope) was decided on; None if the
        evaluation did not reach it."""
        return self._row.get(corridor_key(node))

    def levels(self, package: str) -> PackageLevels:
        """The levels of package ``package`` (its name) in this element."""
        row = self._row
        return PackageLevels(row.get(f"{package}.berechnete_stufe"), row.get(f"{package}.bewilligte_stufe"),
                             row.get(f"{package}.stufe"), row.get(f"{package}.begründung"))


class Frame:
    """The values of one evaluated case (see the module docstring). Treat it as immutable."""

    __slots__ = ("model", "parameters", "tables", "warnings", "_root", "exact_decisions", "_pending")

    def __init__(self, model: c.CheckedModel, root: dict[str, Any], parameters: Mapping[str, Any],
                 tables: Mapping[str, Mapping[Any, Any]], warnings: tuple[str, ...] = (), exact_decisions: int = 0):
        self.model = model
        self.parameters = parameters
        self.tables = tables
        self.warnings = warnings
        self._root = root
        # [the function that completes the rows] until they are complete, then [None]; None for
        # rows complete from the start (shared by the frames of one evaluation: see :meth:`with_warnings`)
        self._pending: list[Callable[[dict[str, Any]], None] | None] | None = None
        # how many decisions (a rounding, a corridor band, a comparison) the evaluation made on
        # the exact value at a boundary its 28-digit value missed (see
        # ``runtime.semantics.exact_decisions``); 0 for most cases
        self.exact_decisions = exact_decisions

    @property
    def date(self) -> Any:
        """The reference date the evaluation's ``stichtag()`` read (None: the model reads none,
        or there was none)."""
        return self._root.get(DATE_KEY)  # (a value of the case itself: there before any completion)

    @classmethod
    def from_rows(cls, model: c.CheckedModel, root: dict[str, Any], parameters: Mapping[str, Any],
                  tables: Mapping[str, Mapping[Any, Any]], warnings: tuple[str, ...] = (),
                  exact_decisions: int = 0,
                  complete: Callable[[dict[str, Any]], None] | None = None) -> Frame:
        """A frame over the Python backend's rows: one dict per element, a list's elements
        under the list's name. ``complete``, where given, is called once with ``root`` before
        the rows are first read, and makes them so: the case's values are in ``root`` already,
        ``complete`` puts the list elements' (which the evaluation kept apart) into their rows."""
        frame = cls(model, root, parameters, tables, warnings, exact_decisions)
        if complete is not None:
            frame._pending = [complete]
        return frame

    def with_warnings(self, warnings: tuple[str, ...]) -> Frame:
        """This frame with ``warnings`` (its rows shared, completed at most once for both)."""
        frame = Frame(self.model, self._root, self.parameters, self.tables, warnings, self.exact_decisions)
        frame._pending = self._pending
        return frame

    def _rows(self) -> dict[str, Any]:
        """The rows, completed first where they are not yet (see :meth:`from_rows`)."""
        pending = self._pending
        if pending is not None and pending[0] is not None:
            with _COMPLETING:
                complete = pending[0]
                if complete is not None:
                    complete(self._root)
                    pending[0] = None
        return self._root

    def __reduce__(self) -> tuple[Any, ...]:
        return (Frame, (self.model, self._rows(), FrozenDict(self.parameters), FrozenDict(self.tables),
                        self.warnings, self.exact_decisions))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Frame) and self.model == other.model and self._rows() == other._rows()
                and dict(self.parameters) == dict(other.parameters) and self.warnings == other.warnings)

    __hash__ = None  # type: ignore[assignment]

    @property
    def rows(self) -> dict[str, Any]:
        """The Python backend's storage of the values: the case's dict, a list's elements as
        dicts under the list's name. For that backend and the code it generates; everything
        else reads the frame through :attr:`root` and the methods."""
        return self._rows()

    @property
    def root(self) -> Element:
        """The case itself."""
        return Element(self, self._rows(), "", (), None, "$")

    def value(self, key: str) -> Any:
        """The value of symbol ``key`` of the case itself (KeyError if it has none)."""
        return self.root[key]

    def values(self, keys: Sequence[str]) -> tuple[Any, ...]:
        """The values of the symbols ``keys`` of the case itself, in their order (KeyError for
        one it has not): :meth:`value` of each, the case read once."""
        root = self.root
        return tuple([root[key] for key in keys])

    def column(self, scope: str, key: str) -> tuple[Any, ...]:
        """The values of symbol ``key`` in every element of list ``scope`` (a scope id), in
        order; the elements of a nested list flattened (None where an element has no such value)."""
        return tuple(item.get(key) for item in self._list_rows(scope))

    def columns(self, scope: str, keys: Sequence[str]) -> tuple[tuple[Any, ...], ...]:
        """:meth:`column` of each of ``keys``, in their order, the list's elements found once."""
        rows = self._list_rows(scope)
        return tuple([tuple([item.get(key) for item in rows]) for key in keys])

    def _list_rows(self, scope: str) -> list[dict[str, Any]]:
        """The rows of the elements of list ``scope``, nested lists flattened in order."""
        names: list[str] = []
        sid: str | None = scope
        while sid:
            spec = self.model.scopes[sid]
            names.append(spec.name)
            sid = spec.parent
        rows = [self._rows()]
        for name in reversed(names):
            rows = [item for holder in rows for item in holder.get(name, ())]
        return rows

    def elements(self) -> Iterator[Element]:
        """Every element: the case, then each list's elements, depth first in order."""
        stack = [self.root]
        while stack:
            element = stack.pop()
            yield element
            for child in reversed(self.model.scopes[element.scope].lists):
                stack.extend(reversed(element.children(child)))

    def element(self, steps: tuple[str | int, ...]) -> tuple[Element, tuple[str, ...]]:
        """The element a path leads to and the names after its last index:
        ``("bewohner", 2, "lp2a", "stufe")`` → (element ``$.bewohner[2]``, ``("lp2a", "stufe")``).
        Indexes count from 1. KeyError for a list that does not exist or an index outside it."""
        element = self.root
        names: list[str] = []
        for step in steps:
            if isinstance(step, int):
                name = ".".join(names)
                scope = f"{element.scope}.{name}" if element.scope else name
                if scope not in self.model.scopes or scope not in self.model.scopes[element.scope].lists:
                    raise KeyError(name)
                items = element.children(scope)
                if not 1 <= step <= len(items):
                    raise IndexError(step)
                element = items[step - 1]
                names = []
            else:
                names.append(step)
        return element, tuple(names)
