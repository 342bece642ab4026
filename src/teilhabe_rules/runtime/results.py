"""Evaluation results: typed views, a stable JSON form, text, and explanations.

Takes: the rows an evaluation filled in, the checked model and the values it ran with. Gives:
:class:`Result` — immutable to its users; views (:class:`ScopeResult`, :class:`PackageResult`,
:class:`Quantity`, :class:`Explanation`) are built on first access, so evaluation stays cheap.
``to_dict()`` is the documented JSON form (``docs/04_results.md``): decimals as strings.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import counted
from ..ir import checked as c
from ..ir.text import EXACT, FULL, READABLE, Figures, format_value, unit_text
from ..paths import PathError, copy_data, format_path, parse_path
from ..records import FrozenDict, Record
from . import explain as explain_module
from .frame import Element, Frame, NoFigure
from .margins import LevelMargin, LevelStep
from .quantities import Explanation, Quantity

if TYPE_CHECKING:  # pragma: no cover - imported on first use (below): most results never ask
    from .changes import LevelChange, LevelChanges

# enum members bound once: reading a member off an Enum class costs several times a global
_N_WERT = c.NodeKind.WERT

__all__ = [
    "Explanation",
    "LevelChange",
    "LevelMargin",
    "LevelStep",
    "NoSuchElement",
    "PackageResult",
    "Quantity",
    "Result",
    "ScopeResult",
    "format_value",
]


class NoSuchElement(KeyError):
    """A result path whose list index lies beyond the list's elements (``bewohner[3]`` of two)."""


SCHEMA_VERSION = "1"


@attrs.frozen(repr=False)
class PackageResult(Record):
    name: str
    title: str | None
    computed_level: int | None
    granted_level: int | None
    level: int | None
    level_label: str | None
    reason: str | None
    values: dict[str, Quantity] = attrs.field(eq=False)
    margin: LevelMargin | None = attrs.field(default=None, eq=False)  # for a level decided by a corridor


@attrs.frozen(repr=False)
class ScopeResult(Record):
    path: str
    values: dict[str, Quantity] = attrs.field(eq=False)
    packages: dict[str, PackageResult] = attrs.field(eq=False)
    lists: dict[str, tuple[ScopeResult, ...]] = attrs.field(eq=False)


class Result:
    """The result of evaluating one case. Treat it as immutable.

    ``frame`` is the typed evaluation frame (:class:`~teilhabe_rules.runtime.frame.Frame`) the
    backend returned. The views (:attr:`root`, :meth:`explanations`, :meth:`to_dict`) are built
    from it on first use and kept with ``dict.setdefault``: a result shared between threads gives
    every caller the same object (concurrent first uses may build it twice). A result pickles as
    its model (see :class:`~teilhabe_rules.model.Model`), frame and agreement, without the views;
    equal results have equal :meth:`to_dict`."""

    __slots__ = ("_model", "frame", "_agreement", "_explain", "_cache", "_source")

    def __init__(self, model: Any, frame: Frame, agreement: Any, explain: bool, source: str | None = None):
        self._model = model
        self.frame = frame
        self._agreement = agreement
        self._explain = explain
        self._cache: dict[str, Any] = {}
        self._source = source

    @property
    def model(self) -> Any:
        """The :class:`~teilhabe_rules.model.Model` that evaluated the case."""
        return self._model

    @property
    def checked(self) -> c.CheckedModel:
        return self.frame.model

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The parameter values (by id) the evaluation used: the model's on its date, agreed ones
        (a read-only dict)."""
        values = self.frame.parameters
        return values if isinstance(values, FrozenDict) else FrozenDict(values)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.frame.warnings

    @property
    def exact_decisions(self) -> int:
        """How many decisions — a ``runde``, a corridor band, a comparison of numbers — were made
        on the exact value at a boundary the evaluation's 28-digit value missed (a half-cent
        tie computed as ``0.00499…9``, a whole number as ``2.999…9``); 0 for almost every case.
        Such a case is evaluated again with exact decisions (see ``docs/02_language.md``)."""
        return self.frame.exact_decisions

    @property
    def source(self) -> str | None:
        """Where the case came from (its file), as ``to_dict()["fall"]`` names it."""
        return self._source

    @property
    def agreement_name(self) -> str | None:
        return None if self._agreement is None else (self._agreement.name or self._agreement.source)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its model and values; the views are built anew on first use."""
        return (type(self), (self._model, self.frame, self._agreement, self._explain, self._source))

    def _cached(self, key: str, build: Any) -> Any:
        """The view ``key``, built by ``build()`` on first use (the first one stored wins)."""
        found = self._cache.get(key)
        if found is None:
            found = self._cache.setdefault(key, build())
        return found

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Result) and self._dict() == other._dict()

    def __hash__(self) -> int:  # pragma: no cover - results are not meant as dict keys
        return hash(repr(self._dict()))

    # ---- values ----

    def value(self, path: str | tuple[str | int, ...]) -> Any:
        """The raw value at a path: ``"bewohner[1].lp2a.stufe"`` or a tuple of steps."""
        steps = _steps(path)
        element = self.frame.root
        names: list[str] = []
        for number, step in enumerate(steps):
            if isinstance(step, int):
                name = ".".join(names)
                scope = f"{element.scope}.{name}" if element.scope else name
                if scope not in self.checked.scopes[element.scope].lists:
                    raise KeyError(f"„{format_path(steps[:number])}“ ist keine Liste des Ergebnisses")
                items = element.children(scope)
                if not 1 <= step <= len(items):
                    raise NoSuchElement(
                        f"„{format_path(steps[:number + 1])}“ gibt es nicht: die Liste hat "
                        f"{counted(len(items), 'Eintrag', 'Einträge')}"
                        " (ab 1 gezählt)"
                    )
                element = items[step - 1]
                names = []
            else:
                names.append(step)
        key = ".".join(names)
        if key not in element:
            scope = f"{element.scope}.{key}" if element.scope else key
            if scope in self.checked.scopes[element.scope].lists:  # a whole list: its elements' values
                return [_plain(item) for item in element.children(scope)]
            raise KeyError(f"„{format_path(steps)}“ ist kein Wert des Ergebnisses")
        return _unsigned(element[key])

    def quantity(self, path: str | tuple[str | int, ...]) -> Quantity:
        steps = _steps(path)
        value = self.value(steps)
        vtype = self.type_at(steps)
        return Quantity(value, unit_text(vtype), vtype)

    def type_at(self, path: str | tuple[str | int, ...]) -> c.ValueType | None:
        """The type of the value at a path (None where there is none)."""
        steps = _steps(path)
        scope = ""
        names: list[str] = []
        for step in steps:
            if isinstance(step, int):
                scope = ".".join(p for p in (scope, ".".join(names)) if p)
                names = []
            else:
                names.append(step)
        key = ".".join(names)
        for node in self.checked.nodes.values():
            if node.scope == scope and node.key == key:
                return node.type
        if scope not in self.checked.scopes:
            return None
        for spec in self.checked.scopes[scope].inputs:
            if spec.key == key:
                return spec.type
        return None

    @property
    def root(self) -> ScopeResult:
        return self._cached("root", lambda: self._scope((self.frame.root,), "$"))  # type: ignore[no-any-return]

    def _scope(self, rows: tuple[Element, ...], path: str) -> ScopeResult:
        model = self.checked
        element = rows[-1]
        scope = element.scope
        values: dict[str, Quantity] = {}
        packages: dict[str, PackageResult] = {}
        nodes = _scope_nodes(model, scope)
        for node in nodes:
            if node.kind in (_N_WERT,) and node.package is None:
                values[node.key] = Quantity(_unsigned(element[node.key]), unit_text(node.type), node.type)
        for pid in model.scopes[scope].packages:
            pkg = model.packages[pid]
            pvalues = {
                node.key.split(".", 1)[1]: Quantity(_unsigned(element[node.key]), unit_text(node.type), node.type)
                for node in nodes
                if node.kind == _N_WERT and node.package == pkg.name
            }
            levels = element.levels(pkg.name)
            level = levels.effective if pkg.level_type is not None else None
            label = None
            if level is not None and pkg.level_type is not None:
                member = pkg.level_type.member(level)
                label = member.label if member else None
            margin = None
            if pkg.rule == "korridor":
                computed_id = f"{scope}.{pkg.name}.berechnete_stufe" if scope else f"{pkg.name}.berechnete_stufe"
                computed = model.nodes.get(computed_id)
                if isinstance(computed, c.CorridorLevelNode) and computed.bands:
                    package_path = f"{path[2:]}.{pkg.name}" if path.startswith("$.") else pkg.name
                    margin = explain_module.margin_of(self._model.explanation_plan, computed, rows,
                                                      self.frame.parameters, levels.granted, package_path)
            packages[pkg.name] = PackageResult(
                pkg.name, pkg.title,
                levels.computed if pkg.level_type is not None else None,
                levels.granted,
                level, label, levels.reason, pvalues, margin,
            )
        lists = {}
        for child in model.scopes[scope].lists:
            name = model.scopes[child].name
            lists[name] = tuple(self._scope((*rows, item), f"{path}.{name}[{i}]")
                                for i, item in enumerate(element.children(child), start=1))
        return ScopeResult(path, values, packages, lists)

    # ---- what would change a level ----

    def level_margin(self, path: str) -> LevelMargin:
        """How far the quantity of the corridor that decided the package at ``path``
        (``"bewohner[1].lp2a"``) is from the neighbouring levels and from a granted level.
        KeyError for a path that is not a package whose level a corridor decides."""
        if not isinstance(path, str):
            raise NoFigure(f"{path!r} ist kein Pfad")
        return explain_module.level_margin(self.frame, self._model.explanation_plan, path)

    def level_changes(self, path: str) -> LevelChanges:
        """Which single input value would change the level a corridor decided for the package at
        ``path`` (``"bewohner[1].lp2a"``): for each input the corridor's quantity depends on, the
        nearest value that gives a higher and the one that gives a lower computed level, each
        confirmed by evaluating the case again with only that input changed (computed on first
        use: it costs evaluations). The tuple is a
        :class:`~teilhabe_rules.runtime.changes.LevelChanges`: its ``unexamined`` names the inputs
        the corridor reads that were not tried. KeyError for a path that is not a package whose
        level a corridor decides. See ``docs/04_results.md``."""
        if not isinstance(path, str):
            raise NoFigure(f"{path!r} ist kein Pfad")
        from .changes import level_changes as find_level_changes

        return self._cached(f"changes:{path}",  # type: ignore[no-any-return]
                            lambda: find_level_changes(self.frame, self._model.backend, path))

    def _changes_of(self, package_path: str) -> LevelChanges | None:
        """The level changes of a package, None for a package whose level no corridor decides."""
        try:
            return self.level_changes(package_path)
        except NoFigure:
            return None

    # ---- explanations ----

    def explanations(self, level_changes: bool = False, figures: Figures = EXACT) -> dict[str, Explanation]:
        """Every derived figure with its explanation, by path. ``level_changes``: the explanation
        of each level decided by a corridor also names the single input values that would change
        it (see :meth:`level_changes`). ``figures``: how their numbers are shown (the default:
        every digit, as in :meth:`to_dict`; :data:`~teilhabe_rules.ir.text.READABLE`: as the
        text report shows them); anything else is a TypeError."""
        return dict(self._explanations(level_changes, figures))  # (the caller's to change)

    def _explanations(self, level_changes: bool = False, figures: Figures = EXACT) -> dict[str, Explanation]:
        """:meth:`explanations`, the result's own (built once)."""
        if not isinstance(figures, Figures):
            raise TypeError(f"figures: {figures!r} ist keine Zahlendarstellung (Figures, etwa EXACT oder READABLE)")
        if figures != EXACT:
            key = f"explanations:{figures.german}:{figures.rounded}{'+changes' if level_changes else ''}"
            return self._cached(key, lambda: self._build_explanations(figures, level_changes))  # type: ignore[no-any-return]
        if level_changes:
            return self._cached("explanations+changes",  # type: ignore[no-any-return]
                                lambda: self._build_explanations(EXACT, True))
        return self._cached("explanations", lambda: self._build_explanations(EXACT))  # type: ignore[no-any-return]

    def explain(self, path: str | tuple[str | int, ...], level_changes: bool = False) -> Explanation:
        """The explanation of one figure, rendered on demand (KeyError if there is none);
        ``path`` as for :meth:`value`."""
        try:  # (a text too: read as value() reads it, so that a malformed one names no figure)
            path = format_path(_steps(path))
        except KeyError as exc:  # (no path at all: no figure either)
            raise NoFigure(*exc.args) from None
        try:
            if level_changes or "explanations" in self._cache:
                every = self._explanations(level_changes=True) if level_changes else self._cache["explanations"]
                if path not in every:
                    raise NoFigure(path)
                return every[path]
            return explain_module.explain_one(self.frame, self._model.explanation_plan, path)
        except NoFigure:
            raise NoFigure(f"„{path}“ ist kein berechneter Wert des Ergebnisses (erklärt werden die Werte "
                           "und Stufen, etwa „bewohner[1].lp2a.stufe“)") from None

    def _build_explanations(self, figures: Figures, level_changes: bool = False) -> dict[str, Explanation]:
        if level_changes:
            out = dict(self._explanations(False, figures))
        else:
            return explain_module.explain_rows(self.frame, self._model.explanation_plan, figures)
        from .changes import changes_text

        for prefix, name in _packages(self.root):
            changes = self._changes_of(_join_path(prefix, name))
            key = _join_path(prefix, f"{name}.berechnete_stufe")
            if changes is not None and key in out:
                out[key] = attrs.evolve(out[key], text=f"{out[key].text}; {changes_text(changes, prefix, figures)}")
        return out

    # ---- output ----

    def to_dict(self, level_changes: bool = False) -> dict[str, Any]:
        """The stable JSON form (see ``docs/04_results.md``). ``level_changes``: each level
        decided by a corridor also carries ``stufenwechsel`` (see :meth:`level_changes`)."""
        return copy_data(self._dict(level_changes))  # type: ignore[no-any-return]  # (the caller's to change)

    def _dict(self, level_changes: bool = False) -> dict[str, Any]:
        """:meth:`to_dict`, the result's own (built once)."""
        if level_changes:
            return self._cached("dict+changes", lambda: self._build_dict(True))  # type: ignore[no-any-return]
        return self._cached("dict", self._build_dict)  # type: ignore[no-any-return]

    def _build_dict(self, level_changes: bool = False) -> dict[str, Any]:
        info = self.checked.info
        explanations = self._explanations(level_changes) if self._explain else None
        out = {
            "schema": SCHEMA_VERSION,
            "modell": {"name": info.name, "titel": info.title, "version": info.version, "datei": info.file},
            "vereinbarung": self.agreement_name,
            "fall": self.source,
            "ergebnis": _scope_dict(self.root, explanations, self._changes_of if level_changes else None),
            "warnungen": list(self.warnings),
        }
        return out

    def render_text(self, explain: bool = False, level_changes: bool = False, full_precision: bool = False) -> str:
        """The text report of ``teilhabe-rules eval``; ``level_changes`` as for :meth:`to_dict`.
        Numbers in German notation (``130.515,15 EUR/Jahr``), each computed figure rounded
        half-up to its unit's places for display (``docs/04_results.md``); ``full_precision``
        (``eval --genau``): every digit. The values themselves stay exact."""
        return explain_module.render_text(self, explain, level_changes, FULL if full_precision else READABLE)


def _unsigned(value: Any) -> Any:
    """``value``, a zero without its sign: ``runde(-0.001, 2)`` is ``0.00`` (Decimal's ``-0.00``
    equals it, but reads as a negative amount), as in every text and table of a result."""
    return value.copy_abs() if type(value) is Decimal and not value and value.is_signed() else value


def _plain(element: Element) -> dict[str, Any]:
    """An element's values as a dict, its lists as lists of such dicts."""
    out: dict[str, Any] = {key: _unsigned(value) for key, value in element.items()}
    for scope in element.frame.model.scopes[element.scope].lists:
        out[element.frame.model.scopes[scope].name] = [_plain(item) for item in element.children(scope)]
    return out


def _scope_nodes(model: c.CheckedModel, scope: str) -> list[c.Node]:
    cache = model.__dict__ if False else None  # noqa: F841 - models are frozen; order is cheap
    return [model.nodes[nid] for nid in model.order if model.nodes[nid].scope == scope]


def _packages(scope: ScopeResult) -> list[tuple[str, str]]:
    """Every package with a level, as (the path of its element, its name), in result order."""
    prefix = scope.path[2:] if scope.path.startswith("$.") else ""
    found = [(prefix, name) for name, pkg in scope.packages.items() if pkg.computed_level is not None]
    for items in scope.lists.values():
        for item in items:
            found.extend(_packages(item))
    return found


ChangesOf = Callable[[str], "LevelChanges | None"]


def _scope_dict(scope: ScopeResult, explanations: dict[str, Explanation] | None,
                changes_of: ChangesOf | None = None) -> dict[str, Any]:
    def with_expl(prefix: str, key: str, q: Quantity) -> dict[str, Any]:
        data = q.to_dict()
        if explanations is not None:
            expl = explanations.get(_join_path(prefix, key))
            if expl is not None:
                data["erklärung"] = expl.to_dict()
        return data

    prefix = scope.path[2:] if scope.path.startswith("$.") else ""
    out: dict[str, Any] = {"werte": {k: with_expl(prefix, k, q) for k, q in scope.values.items()}}
    packages = {}
    for name, pkg in scope.packages.items():
        entry: dict[str, Any] = {"titel": pkg.title}
        if pkg.computed_level is not None:
            entry["stufe"] = {
                "berechnet": pkg.computed_level,
                "bewilligt": pkg.granted_level,
                "wirksam": pkg.level,
                "bezeichnung": pkg.level_label,
                "begründung": pkg.reason,
            }
            if pkg.margin is not None:
                entry["stufe"]["korridor"] = pkg.margin.to_dict()
            changes = changes_of(_join_path(prefix, name)) if changes_of is not None else None
            if changes is not None:
                entry["stufe"]["stufenwechsel"] = [change.to_dict() for change in changes]
                if changes.unexamined:
                    entry["stufe"]["stufenwechsel_nicht_geprüft"] = list(changes.unexamined)
            if explanations is not None:
                for key in ("berechnete_stufe", "stufe"):
                    expl = explanations.get(_join_path(prefix, f"{name}.{key}"))
                    if expl is not None:
                        entry["stufe"]["erklärung" if key == "stufe" else "erklärung_berechnet"] = expl.to_dict()
        entry["werte"] = {k: with_expl(prefix, f"{name}.{k}", q) for k, q in pkg.values.items()}
        packages[name] = entry
    out["pakete"] = packages
    out["listen"] = {name: [_scope_dict(item, explanations, changes_of) for item in items]
                     for name, items in scope.lists.items()}
    return out


def _join_path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _steps(path: str | tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The steps of ``path``: a text, or a sequence of names (texts) and positions (from 1); a
    KeyError for anything else, as for a path that names no value."""
    if not isinstance(path, str):
        if not isinstance(path, (tuple, list)) or not all(
                isinstance(step, str) or isinstance(step, numbers.Integral) and not isinstance(step, bool)
                for step in path):
            raise KeyError(f"{path!r} ist kein Pfad: erwartet einen Text wie „bewohner[1].lp2a.stufe“ "
                           "oder ein Tupel von Namen und Positionen")
        return tuple(step if isinstance(step, str) else int(step) for step in path)
    try:
        return parse_path(path)
    except PathError as exc:
        raise KeyError(f"„{path}“ ist kein Pfad: {exc}") from None


def __getattr__(name: str) -> Any:
    """``LevelChange``, imported on first use (the search for level changes is a module of its
    own that an evaluation does not need)."""
    if name == "LevelChange":
        from .changes import LevelChange

        return LevelChange
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
