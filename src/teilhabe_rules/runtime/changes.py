"""Which single input value would change a level decided by a corridor.

Takes: an evaluation frame, the backend that evaluates the model's cases, and the path of a package
whose level a corridor decides. Gives: :class:`LevelChange` records — for every input the
corridor depends on (directly or through values, in the order the rules read them), the value
nearest to its current one that gives a *higher* computed level and the one that gives a *lower*
computed level. Every reported change is confirmed by evaluating the case once more with only
that input changed (the same parameter values and tables); nothing is computed unless asked.

Which values are tried (``docs/04_results.md``, "Which single input would change the level"):

- an ``auswahl`` input: every other value of its choice set, nearest first;
- a number input with both bounds (``von … bis …``): where the corridor's quantity is an exact
  affine function of the input — sums, differences, multiples, quotients by values that do not
  depend on it, conversions (``als``), ``summe`` over a list — the nearest value inside the
  bounds whose level differs, found from the corridor's edges (a whole-number input: the nearest
  whole number). Where the target band excludes the edge, no nearest value exists: the change
  names the edge with ``beyond`` ``"über"`` or ``"unter"`` (every value above / below it gives
  the level, the edge itself does not — the edge may be the current value itself). Where the
  dependence is not affine (``wenn``, tables, ``min``/``max``, rounding …), the input is skipped.

Other inputs (aufzählungen, ja/nein, dates, text, unbounded numbers) are not tried. A value
under which the case fails a check (``prüfung``) or cannot be evaluated is not reported.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from ..ir import checked as c
from ..ir import toolkit
from ..ir.text import EXACT, Figures, unit_text
from ..paths import PathError, parse_path
from .backend import Backend, CaseInput
from .frame import Element, Frame, NoFigure
from .margins import band_level
from .quantities import Quantity

__all__ = ["LevelChange", "LevelChanges", "changes_text", "level_changes"]

UP = "höher"
DOWN = "niedriger"
ABOVE = "über"
BELOW = "unter"


@attrs.frozen
class LevelChange:
    """Changing only the input at ``input`` (a case path, ``bewohner[1].lp2a.kap5``) from
    ``current`` to ``new`` gives the computed level ``level`` (``direction``: ``"höher"`` or
    ``"niedriger"`` than the level the case has). With ``beyond`` (``"über"`` or ``"unter"``),
    ``new`` is an edge the target band excludes: every value above (below) it gives ``level``,
    ``new`` itself does not; ``new`` may then equal ``current``."""

    input: str
    label: str | None
    current: Quantity
    new: Quantity
    level: int
    direction: str
    beyond: str | None = None

    def text(self, within: str = "", figures: Figures = EXACT) -> str:
        """German: ``lp2a.kap5 = 9 min/Tag (statt 2 min/Tag) → Stufe 3``; the input's path is
        shown relative to the element ``within`` (``bewohner[1]``) where it lies there. Both
        values are input values: never rounded (``figures`` only decides their notation)."""
        name = self.input[len(within) + 1:] if within and self.input.startswith(within + ".") else self.input
        operator = {None: "=", ABOVE: ">", BELOW: "<"}[self.beyond]
        new = figures.quantity(self.new.value, self.new.type, given=True)
        current = figures.quantity(self.current.value, self.current.type, given=True)
        return f"{name} {operator} {new} (statt {current}) → Stufe {self.level}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "eingabe": self.input,
            "bezeichnung": self.label,
            "bisher": self.current.to_dict(),
            "neu": self.new.to_dict(),
            "jenseits": self.beyond,
            "stufe": self.level,
            "richtung": self.direction,
        }


class LevelChanges(tuple[LevelChange, ...]):
    """The changes :func:`level_changes` found (a tuple of :class:`LevelChange`), and in
    ``unexamined`` the paths of the inputs the corridor reads that it did not try — an aufzählung,
    ja/nein, a date, a text, an unbounded number, a bounded one the corridor's quantity does not
    follow linearly (``wenn``, tables, ``min``/``max``, ``runde``), or one whose change the
    corridor's edges promise but no evaluation confirmed (the value tried failed a ``prüfung`` or
    has no finite decimal): a change of one of them may still change the level. Compares as the
    tuple of changes."""

    _unexamined: tuple[str, ...]

    def __new__(cls, changes: tuple[LevelChange, ...] | list[LevelChange] = (),
                unexamined: tuple[str, ...] = ()) -> LevelChanges:
        made = super().__new__(cls, changes)
        made._unexamined = tuple(unexamined)
        return made

    def __getnewargs__(self) -> tuple[tuple[LevelChange, ...], tuple[str, ...]]:  # (copy and pickle)
        return tuple(self), self._unexamined

    @property
    def unexamined(self) -> tuple[str, ...]:
        return self._unexamined

    def __repr__(self) -> str:
        return f"LevelChanges({tuple(self)!r}, unexamined={self._unexamined!r})"


def changes_text(changes: tuple[LevelChange, ...], within: str = "", figures: Figures = EXACT) -> str:
    """The German sentence appended to the explanation of a computed level: the changes found,
    or „keiner“ — where inputs the corridor reads were not tried (:class:`LevelChanges`), „keiner
    unter den geprüften Eingaben“ and which were not."""
    unexamined = changes.unexamined if isinstance(changes, LevelChanges) else ()
    shown = [name[len(within) + 1:] if within and name.startswith(within + ".") else name for name in unexamined]
    untried = f"; nicht geprüft: {', '.join(shown)}" if shown else ""
    if not changes:
        return "Stufenwechsel durch eine einzelne Eingabe: " + (
            f"keiner unter den geprüften Eingaben{untried}" if shown else "keiner")
    return "Stufenwechsel durch eine einzelne Eingabe: " + ", ".join(
        change.text(within, figures) for change in changes) + untried


def level_changes(frame: Frame, backend: Backend, path: str) -> LevelChanges:
    """The single-input changes of the package at ``path`` (``bewohner[1].lp2a``, also
    ``….stufe``/``….berechnete_stufe``): for each input, the nearest change up, then down; with
    the inputs not tried (:class:`LevelChanges`). KeyError for a path that is not a package
    whose level a corridor decides."""
    try:
        steps = parse_path(path)
        element, names = frame.element(steps)
    except (PathError, KeyError, IndexError):
        raise NoFigure(f"„{path}“ ist kein Paket mit einer Stufe nach Korridor") from None
    package = ".".join(names)
    if package.endswith((".stufe", ".berechnete_stufe")):
        package = package.rsplit(".", 1)[0]
    node = _corridor_node(frame.model, element.scope, package)
    if node is None:
        raise NoFigure(f"„{path}“ ist kein Paket mit einer Stufe nach Korridor")
    current = element.levels(package).computed
    if not isinstance(current, int):
        return LevelChanges()
    return _Search(frame, backend, element, package, node, current).run()


def _corridor_node(model: c.CheckedModel, scope: str, package: str) -> c.CorridorLevelNode | None:
    for spec in model.packages.values():
        if spec.scope == scope and spec.name == package and spec.rule == "korridor":
            for node in model.nodes.values():
                if (isinstance(node, c.CorridorLevelNode) and node.scope == scope and node.package == package
                        and node.bands):
                    return node
    return None


# ---- what a corridor reads ---------------------------------------------------------------

Instance = tuple[str, str, tuple[int, ...]]  # symbol id, scope id, element indexes
Walkable = c.Node | c.Expr | c.BandSpec


class _Reads:
    """The inputs a node or expression reads in an element, through the values it reads."""

    def __init__(self, frame: Frame):
        self.model = frame.model
        self.inputs = {spec.id: spec for scope in self.model.scopes.values() for spec in scope.inputs}
        self._memo: dict[Instance, frozenset[Instance]] = {}

    def elements(self, scope: str, context: Element) -> tuple[Element, ...]:
        """The elements of ``scope`` a reference in ``context`` reads: the enclosing one (or
        ``context`` itself), or — inside a list function — every element of a list below it."""
        for element in context.chain():
            if element.scope == scope:
                return (element,)
        route: list[str] = []
        sid: str | None = scope
        while sid != context.scope:
            if not sid:
                return ()
            route.append(sid)
            sid = self.model.scopes[sid].parent
        found = [context]
        for step in reversed(route):
            found = [child for element in found for child in element.children(step)]
        return tuple(found)

    def pairs(self, root: Walkable, context: Element) -> Iterator[tuple[c.Ref, Element]]:
        """The references of ``root`` (not of parameters) with the element each one reads."""
        for ref in toolkit.references(root):
            if ref.kind != c.RefKind.PARAMETER:
                for element in self.elements(ref.scope, context):
                    yield ref, element

    def inputs_read(self, root: Walkable, context: Element) -> list[tuple[Element, c.InputSpec]]:
        """The inputs ``root`` reads in ``context``, directly or through values, first read first."""
        found: list[tuple[Element, c.InputSpec]] = []
        seen: set[Instance] = set()
        stack = [self.pairs(root, context)]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
                continue
            ref, element = item
            key = (ref.symbol, element.scope, element.indexes)
            if key in seen:
                continue
            seen.add(key)
            spec = self.inputs.get(ref.symbol)
            if spec is not None:
                found.append((element, spec))
            elif ref.symbol in self.model.nodes:
                stack.append(self.pairs(self.model.nodes[ref.symbol], element))
        return found

    def depends(self, root: Walkable, context: Element, target: Instance) -> bool:
        """Whether ``root`` in ``context`` reads the input instance ``target``."""
        for ref, element in self.pairs(root, context):
            key = (ref.symbol, element.scope, element.indexes)
            if key == target:
                return True
            if ref.symbol in self.model.nodes and ref.symbol not in self.inputs:
                if key not in self._memo:
                    reads = self.inputs_read(self.model.nodes[ref.symbol], element)
                    self._memo[key] = frozenset((spec.id, e.scope, e.indexes) for e, spec in reads)
                if target in self._memo[key]:
                    return True
        return False


# ---- the corridor's quantity as an affine function of one input ---------------------------

Affine = tuple[Fraction, Fraction]  # a, b: the quantity is a * x + b


def _fraction(value: Any) -> Fraction | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (Decimal, int)):
        return Fraction(value)
    return None


class _Linear:
    """The value of an expression in an element as ``a * x + b`` of one input instance ``x``."""

    def __init__(self, frame: Frame, reads: _Reads, target: Instance):
        self.frame = frame
        self.reads = reads
        self.target = target

    def known(self, context: Element) -> toolkit.ValueOf:
        def value_of(ref: c.Ref) -> Any:
            if ref.kind == c.RefKind.PARAMETER:
                return self.frame.parameters.get(ref.symbol)
            elements = self.reads.elements(ref.scope, context)
            if len(elements) != 1 or ref.key not in elements[0]:
                return None
            return elements[0][ref.key]

        return value_of

    def of(self, expr: c.Expr, context: Element) -> Affine | None:
        if isinstance(expr, c.Const):
            value = _fraction(expr.value)
            return None if value is None else (Fraction(0), value)
        if isinstance(expr, c.Ref):
            return self.of_ref(expr, context)
        if isinstance(expr, c.Unary) and expr.op == "-":
            inner = self.of(expr.operand, context)
            return None if inner is None else (-inner[0], -inner[1])
        if isinstance(expr, c.Convert):
            inner = self.of(expr.operand, context)
            return None if inner is None else (inner[0] * expr.factor, inner[1] * expr.factor)
        if isinstance(expr, c.Arith) and expr.type.kind == c.TypeKind.ZAHL:
            return self.of_arith(expr, context)
        if isinstance(expr, c.Aggregate) and expr.function == "summe" and expr.where is None and expr.value is not None:
            total: Affine = (Fraction(0), Fraction(0))
            for element in self.reads.elements(expr.scope, context):
                part = self.of(expr.value, element)
                if part is None:
                    return None
                total = (total[0] + part[0], total[1] + part[1])
            return total
        if isinstance(expr, c.KeyApply):  # the count ÷ the key's divisor
            count, divisor = self.of(expr.count, context), self.of(expr.key, context)
            if count is None or divisor is None or divisor[0] or not divisor[1]:
                return None
            return count[0] / divisor[1], count[1] / divisor[1]
        if self.reads.depends(expr, context, self.target):
            return None
        if isinstance(expr, c.Lookup):  # a row by keys that do not read ``x``: the evaluation's table
            keys = [toolkit.const_value(key, self.known(context)) for key in expr.keys]
            table = self.frame.tables.get(expr.table)
            if table is None or any(key is None for key in keys):
                return None
            row = _fraction(table.get(keys[0] if len(keys) == 1 else tuple(keys)))
            return None if row is None else (Fraction(0), row)
        value = _fraction(toolkit.const_value(expr, self.known(context)))
        return None if value is None else (Fraction(0), value)

    def of_ref(self, ref: c.Ref, context: Element) -> Affine | None:
        if ref.kind == c.RefKind.PARAMETER:
            value = _fraction(self.frame.parameters.get(ref.symbol))
            return None if value is None else (Fraction(0), value)
        elements = self.reads.elements(ref.scope, context)
        if len(elements) != 1:
            return None
        element = elements[0]
        if (ref.symbol, element.scope, element.indexes) == self.target:
            return (Fraction(1), Fraction(0))
        node = self.reads.model.nodes.get(ref.symbol)
        if node is not None and ref.symbol not in self.reads.inputs and self.reads.depends(ref, context, self.target):
            if not isinstance(node, c.ValueNode):
                return None
            return self.of(node.expr, element)
        value = _fraction(element[ref.key]) if ref.key in element else None
        return None if value is None else (Fraction(0), value)

    def of_arith(self, expr: c.Arith, context: Element) -> Affine | None:
        left, right = self.of(expr.left, context), self.of(expr.right, context)
        if left is None or right is None:
            return None
        if expr.op == "+":
            return (left[0] + right[0], left[1] + right[1])
        if expr.op == "-":
            return (left[0] - right[0], left[1] - right[1])
        if expr.op == "*":
            if left[0] and right[0]:
                return None
            return (left[0] * right[1] + right[0] * left[1], left[1] * right[1])
        if right[0] or not right[1]:
            return None
        return (left[0] / right[1], left[1] / right[1])


# ---- the search ---------------------------------------------------------------------------


def _decimal(value: Fraction) -> Decimal | None:
    """``value`` as a Decimal if it has a finite decimal expansion, else None."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return None
    context = decimal.Context(prec=max(28, len(str(value.numerator)) + len(str(value.denominator)) + 2))
    return context.divide(Decimal(value.numerator), Decimal(value.denominator))


@attrs.frozen
class _Candidate:
    value: Fraction
    level: int
    beyond: str | None
    probe: Fraction  # a value that gives ``level`` (``value`` itself unless ``beyond``)


class _Search:
    def __init__(self, frame: Frame, backend: Backend, element: Element, package: str, node: c.CorridorLevelNode,
                 current: int):
        self.frame = frame
        self.backend = backend
        self.element = element
        self.package = package
        self.node = node
        self.current = current
        self.reads = _Reads(frame)
        self.row = _input_row(frame.root)

    def run(self) -> LevelChanges:
        found: list[LevelChange] = []
        unexamined: list[str] = []
        for owner, spec in self.reads.inputs_read(self.node, self.element):
            value = owner.get(spec.key)
            vtype = spec.type
            if vtype.kind == c.TypeKind.ZAHL and isinstance(value, Decimal) and vtype.choices is not None:
                found.extend(self.from_choices(owner, spec, value))
                continue
            if vtype.kind == c.TypeKind.ZAHL and isinstance(value, Decimal) and vtype.low is not None \
                    and vtype.high is not None:
                tried = self.from_bounds(owner, spec, value)
                if tried is not None:
                    changes, complete = tried
                    found.extend(changes)
                    if complete:
                        continue
            unexamined.append(self.input_path(owner, spec))
        return LevelChanges(tuple(found), tuple(unexamined))

    def input_path(self, owner: Element, spec: c.InputSpec) -> str:
        """The case path of ``spec`` in ``owner`` (``bewohner[1].lp2a.kap5``)."""
        prefix = owner.path[2:] if owner.path.startswith("$.") else ""
        name = ".".join(spec.path)
        return f"{prefix}.{name}" if prefix else name

    # -- evaluating the case with one input changed --

    def level_with(self, owner: Element, spec: c.InputSpec, value: Decimal) -> int | None:
        """The computed level of the package when only ``spec`` of ``owner`` is ``value``
        (None: the case does not evaluate so)."""
        row = _replaced(self.row, owner, spec.key, value)
        evaluation = self.backend.evaluate(CaseInput(row, self.frame.parameters, self.frame.tables, self.frame.date))
        if evaluation.frame is None:
            return None
        level = _same_element(evaluation.frame, self.element).levels(self.package).computed
        return level if isinstance(level, int) else None

    def change(self, owner: Element, spec: c.InputSpec, current: Decimal, new: Decimal, level: int,
               beyond: str | None = None) -> LevelChange:
        unit = unit_text(spec.type)
        return LevelChange(self.input_path(owner, spec), spec.label, Quantity(current, unit, spec.type),
                           Quantity(new, unit, spec.type), level, UP if level > self.current else DOWN, beyond)

    # -- a choice set: try every other value, nearest first --

    def from_choices(self, owner: Element, spec: c.InputSpec, value: Decimal) -> list[LevelChange]:
        assert spec.type.choices is not None
        up: LevelChange | None = None
        down: LevelChange | None = None
        for choice in sorted((v for v in spec.type.choices if v != value), key=lambda v: (abs(v - value), v)):
            level = self.level_with(owner, spec, choice)
            if level is None or level == self.current:
                continue
            if level > self.current and up is None:
                up = self.change(owner, spec, value, choice, level)
            elif level < self.current and down is None:
                down = self.change(owner, spec, value, choice, level)
            if up is not None and down is not None:
                break
        return [found for found in (up, down) if found is not None]

    # -- a bounded number: the nearest value from the corridor's edges --

    def from_bounds(self, owner: Element, spec: c.InputSpec, value: Decimal) -> tuple[list[LevelChange], bool] | None:
        """The changes of a bounded number and whether every one the corridor's edges promise was
        confirmed (a value failing a ``prüfung`` or without a finite decimal is not); None where
        the corridor does not follow it linearly (the input is not tried)."""
        target: Instance = (spec.id, owner.scope, owner.indexes)
        linear = _Linear(self.frame, self.reads, target)
        subject = linear.of(self.node.subject, self.element)
        if subject is None:
            return None
        if not subject[0]:
            return [], True  # the quantity does not change with it
        a, b = subject
        x0 = Fraction(value)
        quantity = self.element.corridor_quantity(self.node)
        if _fraction(quantity) != a * x0 + b:  # the analysis must give what evaluation gave
            return None
        bounds: list[tuple[int, Any, bool, Any, bool]] = []
        for band in self.node.bands:
            edges: list[Fraction | None] = []
            for bound in (band.lower, band.upper):
                if bound is None:
                    edges.append(None)
                    continue
                known = linear.of(bound, self.element)
                if known is None or known[0]:
                    return None  # a band's edge moves with the input
                edges.append(known[1])
            bounds.append((band.level, edges[0], band.lower_inclusive, edges[1], band.upper_inclusive))
        assert spec.type.low is not None and spec.type.high is not None
        low, high = Fraction(spec.type.low), Fraction(spec.type.high)
        points = {(edge - b) / a for _l, lo, _li, hi, _hi in bounds for edge in (lo, hi) if edge is not None}

        def level_at(x: Fraction) -> int | None:
            return band_level(bounds, a * x + b)

        found: list[LevelChange] = []
        complete = True
        for wanted in (lambda level: level > self.current, lambda level: level < self.current):
            options = []
            for sign in (1, -1):
                if spec.type.integer:
                    option = _nearest_whole(points, x0, low, high, sign, level_at, wanted)
                else:
                    option = _nearest(points, x0, low, high, sign, level_at, wanted)
                if option is not None:
                    options.append(option)
            if not options:
                continue
            best = min(options, key=lambda o: (abs(o.value - x0), o.beyond is not None, o.value))
            new, probe = _decimal(best.value), _decimal(best.probe)
            if new is None or probe is None or self.level_with(owner, spec, probe) != best.level:
                complete = False  # a change the edges promise that is not confirmed
                continue
            found.append(self.change(owner, spec, value, new, best.level, best.beyond))
        return found, complete


def _nearest(points: set[Fraction], x0: Fraction, low: Fraction, high: Fraction, sign: int,
             level_at: Callable[[Fraction], int | None], wanted: Callable[[int], bool]) -> _Candidate | None:
    """The nearest value from ``x0`` towards ``sign`` (inside ``low``…``high``) whose level is
    ``wanted``: the level is constant between neighbouring edges, so the edges and the open
    stretches between them are all there is to look at."""
    ahead = sorted((p for p in points | {low, high} if sign * (p - x0) > 0 and low <= p <= high),
                   key=lambda p: sign * p)
    previous = x0
    for point in ahead:
        middle = (previous + point) / 2
        level = level_at(middle)
        if level is not None and wanted(level):
            return _Candidate(previous, level, ABOVE if sign > 0 else BELOW, middle)
        level = level_at(point)
        if level is not None and wanted(level):
            return _Candidate(point, level, None, point)
        previous = point
    return None


def _nearest_whole(points: set[Fraction], x0: Fraction, low: Fraction, high: Fraction, sign: int,
                   level_at: Callable[[Fraction], int | None], wanted: Callable[[int], bool]) -> _Candidate | None:
    """As :func:`_nearest` for a whole-number input: the level of a whole number differs from
    its predecessor's (towards ``sign``) only where an edge lies between them, so the first
    whole numbers at or beyond each edge are all there is to look at."""
    candidates: set[Fraction] = set()
    for point in points:
        near = (math.ceil(point), math.floor(point) + 1) if sign > 0 else (math.floor(point), math.ceil(point) - 1)
        candidates.update(Fraction(n) for n in near if sign * (n - x0) > 0 and low <= n <= high)
    for candidate in sorted(candidates, key=lambda n: sign * n):
        level = level_at(candidate)
        if level is not None and wanted(level):
            return _Candidate(candidate, level, None, candidate)
    return None


# ---- the case's input rows ----------------------------------------------------------------


def _input_row(element: Element) -> dict[str, Any]:
    """The case's input values as the case loader gives them: the inputs of each element by
    key, a list's elements as such rows under the list's name."""
    model = element.frame.model
    scope = model.scopes[element.scope]
    row: dict[str, Any] = {spec.key: element[spec.key] for spec in scope.inputs if spec.key in element}
    for child in scope.lists:
        row[model.scopes[child].name] = [_input_row(item) for item in element.children(child)]
    return row


def _replaced(root: dict[str, Any], owner: Element, key: str, value: Any) -> dict[str, Any]:
    """``root`` with input ``key`` of element ``owner`` set to ``value`` (copied along the way,
    ``root`` itself unchanged)."""
    model = owner.frame.model
    copy = dict(root)
    holder = copy
    for element in owner.chain()[1:]:
        name = model.scopes[element.scope].name
        items = list(holder[name])
        item = dict(items[element.indexes[-1]])
        items[element.indexes[-1]] = item
        holder[name] = items
        holder = item
    holder[key] = value
    return copy


def _same_element(frame: Frame, element: Element) -> Element:
    """The element of ``frame`` at the place ``element`` has in its own frame."""
    found = frame.root
    for step in element.chain()[1:]:
        found = found.children(step.scope)[step.indexes[-1]]
    return found

