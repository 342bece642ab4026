"""Generated cases for any model: hypothesis strategies and a seeded sampler.

Takes: a loaded :class:`~teilhabe_rules.model.Model`. Gives: case data — plain dicts as a case
TOML holds them (inputs by name, package inputs in a table named after the package, lists as
lists of tables, assessed levels as ``PAKET.stufe``, granted levels with ``bewilligte_stufe`` and
``begründung``) — derived from the model's declared inputs alone:

* :func:`valid_cases` — a hypothesis strategy of cases the model accepts;
* :func:`invalid_cases` — a hypothesis strategy of ``(case, what is wrong)`` that the case loader
  must reject with :class:`~teilhabe_rules.errors.CaseError`;
* :func:`sample_cases` — ``n`` valid cases, deterministic for a seed (``random.Random(seed)``
  over the same candidate lists), for populations and benchmarks; needs no hypothesis;
* :func:`case_space` — the analysis both use (candidate values, corridor boundary combinations),
  for tests and tools.

Both generators draw through one small interface (:class:`_Chooser`), so hypothesis and the
seeded sampler walk the same candidate lists and the same structure. How values are chosen:

* numbers: a candidate (range ends, one step inside them, corridor and table boundaries, the
  middle) or a value on a grid — whole numbers for ``ganzzahl``, else a step of 10^-(p+1) where
  p is the largest number of decimal places among the range and the corridor bounds (at most
  two places, four for shares in %); ``auswahl`` inputs and enumerations take their members;
* corridors: for every band bound b of a corridor whose quantity is an input of the package's
  scope or a sum of such inputs (``wert minuten = kap4 + kap5 + kap6``), the values b − step, b,
  b + step (for sums of ``auswahl`` inputs: the nearest reachable sums below and above b) are
  candidates, as single values or as combinations of the summed inputs;
* tables: the keys of a table looked up directly with an input are candidates; an input used as
  the key of a ``teilweise`` table takes only the table's keys (any other key is an evaluation
  error by the language's design, not a case error), and inputs used together as the keys of
  a ``teilweise`` table with several key columns are often drawn as one existing row;
* checks: a ``prüfung`` comparing a number input with a constant or parameter narrows that
  input's range; a ``prüfung`` ordering two date inputs of one scope (``schluss >= beginn``)
  makes the later one the earlier plus an offset;
* date ranges: a list whose elements have exactly two date inputs is generated as a contiguous
  partition of the enclosing period (the enclosing scope's two ordered date inputs) when the
  model's checks require it — a check reads the previous element (``vorher``), a check of the
  enclosing scope reads the list together with the period, or a check of the element compares
  its dates with the period; without an enclosing period, as a contiguous chain;
* dates: the input named by ``stichtag`` lies within the model's validity; other dates within a
  window around it;
* optional inputs are sometimes omitted; levels are sometimes granted, always with a reason;
* every other ``prüfung`` is met by repair: the case is evaluated, and the inputs (or whole
  lists) each failing check depends on are drawn again — a few rounds, then a fresh start.
"""

from __future__ import annotations

import calendar
import contextlib
import copy
import datetime as _dt
import decimal
import random
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

import attrs

from ..errors import CaseError, TeilhabeError, counted
from ..ir import checked as c
from ..ir import toolkit
from ..ir.checked import NodeKind, RefKind, TypeKind
from ..runtime.backend import CaseInput
from ..runtime.faults import FaultKind

if TYPE_CHECKING:  # pragma: no cover
    from hypothesis.strategies import SearchStrategy

    from ..model import Model

__all__ = [
    "CaseSpace",
    "CorridorPlan",
    "GeneratorError",
    "InputDomain",
    "Limits",
    "case_space",
    "invalid_cases",
    "sample_cases",
    "valid_cases",
]

DAY = _dt.timedelta(days=1)
TEXTS = ("A", "Fall 1", "Maßnahme „Begleitung“", "Ä Ö Ü ß é", 'Zitat "x" \\ Ende', "Zeile 1\nZeile 2")
KEY_CANDIDATES = (Decimal(1), Decimal(12), Decimal("28.41"), Decimal(50))
OFFSETS = (0, 1, 6, 27, 28, 29, 30, 31, 59, 89, 90, 180, 181, 182, 183, 364, 365, 366, 729)
UNBOUNDED_SPAN = Decimal(1000)
UNKNOWN_KEY = "unbekannter_schluessel"


class GeneratorError(Exception):
    """The generator found no valid case (a model whose checks the repair cannot meet)."""


@attrs.frozen
class Limits:
    """Bounds and probabilities of the generators (all optional keyword arguments).

    ``max_list``: at most this many elements per list (more only where ``mindestens`` demands);
    ``omit``: chance that an optional input is left out; ``grant``: chance that a package level
    is granted (with a reason); ``boundary``: chance that a corridor's inputs take a boundary
    combination; ``candidate``: chance that a number is one of its candidates rather than a
    grid value; ``repair_rounds``/``restarts``: effort spent meeting the model's checks.
    """

    max_list: int = 4
    omit: float = 0.25
    grant: float = 0.1
    boundary: float = 0.35
    candidate: float = 0.6
    repair_rounds: int = 10
    restarts: int = 8


# --------------------------------------------------------------------------------------
# The analysis of a model
# --------------------------------------------------------------------------------------


@attrs.frozen
class InputDomain:
    """What values an input may take. ``values`` is the finite set (choices, members, table
    keys) or None; numbers without it use the grid ``low``…``high`` by ``step``; dates use
    ``low``…``high`` (dates). ``candidates`` are tried with priority (runtime values)."""

    spec: c.InputSpec
    candidates: tuple[Any, ...]
    values: tuple[Any, ...] | None = None
    low: Any = None
    high: Any = None
    step: Decimal | None = None

    @property
    def key(self) -> str:
        return self.spec.key

    def allowed_above(self, value: Any) -> list[Any]:
        """Allowed values larger than ``value``: the next one first, then the candidates above."""
        if self.values is not None:
            return sorted(v for v in self.values if _gt(v, value))
        if self.spec.type.kind != TypeKind.ZAHL or self.step is None:
            return []
        out = []
        nxt = value + self.step
        if nxt <= self.high:
            out.append(nxt)
        out.extend(sorted(v for v in self.candidates if v > nxt))
        if self.high > nxt and self.high not in out:
            out.append(self.high)
        return out


@attrs.frozen
class CorridorPlan:
    """Boundary combinations of a corridor: ``(quantity, {input key: value})`` per target."""

    node: str
    scope: str
    package: str | None
    inputs: tuple[str, ...]
    combos: tuple[tuple[Decimal, tuple[tuple[str, Any], ...]], ...]


@attrs.frozen
class _JointKeys:
    scope: str
    keys: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@attrs.frozen
class _Partition:
    scope: str
    start: str
    end: str
    period: tuple[str, str] | None


def _gt(a: Any, b: Any) -> bool:
    try:
        return bool(a > b)
    except TypeError:
        return str(a) > str(b)


class CaseSpace:
    """The analysis of one model for generating cases (built once per model and limits)."""

    def __init__(self, model: Model, limits: Limits):
        self.model = model
        self.checked: c.CheckedModel = model.checked
        self.limits = limits
        self.parameters: dict[str, Any] = dict(model.parameters)
        self.tables: dict[str, Any] = dict(model.tables)
        self.inputs: dict[str, c.InputSpec] = {i.id: i for s in self.checked.scopes.values() for i in s.inputs}
        self._atoms_cache: dict[str, frozenset[tuple[str, str]]] = {}
        self.check_atoms = {
            nid: self._node_atoms(n) for nid, n in self.checked.nodes.items() if n.kind == NodeKind.PRUEFUNG
        }
        self.pairs: dict[str, tuple[str, bool]] = {}  # end input id → (start input id, strict)
        self._find_pairs()
        self.partitions: dict[str, _Partition] = {}
        self._find_partitions()
        self.grant_inputs: dict[str, tuple[str, str]] = {}  # input id → (scope, package name)
        for pkg in self.checked.packages.values():
            if pkg.level_type is not None:
                for name in ("bewilligte_stufe", "begründung"):
                    self.grant_inputs[_join(pkg.scope, f"{pkg.name}.{name}")] = (pkg.scope, pkg.name)
        narrowed = self._check_bounds()
        restricted, table_keys, self.joint = self._table_keys()
        self.domains: dict[str, InputDomain] = {}
        for spec in self.inputs.values():
            self.domains[spec.id] = self._domain(
                spec, narrowed.get(spec.id), restricted.get(spec.id), table_keys.get(spec.id, ())
            )
        self.corridors: list[CorridorPlan] = []
        self._find_corridors()

    # ---- dependencies of checks ----

    def _node_atoms(self, node: c.Node) -> frozenset[tuple[str, str]]:
        """What a node depends on: ``("input", id)``, ``("list", scope)``, ``("prev", scope)``,
        ``("grant", scope|package)`` — transitively through values, not into lists."""
        cached = self._atoms_cache.get(node.id)
        if cached is not None:
            return cached
        self._atoms_cache[node.id] = frozenset()  # cycles cannot occur; guards the recursion
        out: set[tuple[str, str]] = set()
        if isinstance(node, c.CorridorLevelNode):
            self._expr_atoms(node.subject, out)
            for band in node.bands:
                self._expr_atoms(band.lower, out)
                self._expr_atoms(band.upper, out)
        else:
            self._expr_atoms(node.expr, out)
        if node.kind == NodeKind.BEWILLIGT and node.package is not None:
            out.add(("grant", f"{node.scope}|{node.package}"))
            computed = _join(node.scope, f"{node.package}.berechnete_stufe")
            if computed in self.inputs:
                out.add(("input", computed))
            elif computed in self.checked.nodes:
                out |= self._node_atoms(self.checked.nodes[computed])
        result = frozenset(out)
        self._atoms_cache[node.id] = result
        return result

    def _expr_atoms(self, ir: Any, out: set[tuple[str, str]]) -> None:
        if ir is None:
            return
        if isinstance(ir, c.Ref):
            if ir.kind == RefKind.EINGABE or ir.symbol in self.inputs:
                out.add(("input", ir.symbol))
            elif ir.symbol in self.checked.nodes:
                out |= self._node_atoms(self.checked.nodes[ir.symbol])
            return
        if isinstance(ir, c.Previous):
            out.add(("prev", ir.ref.scope))
            return
        if isinstance(ir, c.Granted):  # (whether the package's level is granted: draw the grant again)
            out.add(("grant", f"{ir.ref.scope}|{ir.ref.key.rsplit('.', 1)[0]}"))
            return
        if isinstance(ir, c.Aggregate):
            out.add(("list", ir.scope))
            return
        for sub in toolkit.children(ir):
            self._expr_atoms(sub, out)

    # ---- structure found in checks ----

    def _comparisons(self, ir: Any) -> Iterator[c.Compare]:
        """The comparisons a check demands together (top level and under ``und``)."""
        if isinstance(ir, c.Compare):
            yield ir
        elif isinstance(ir, c.Logic) and ir.op == "und":
            yield from self._comparisons(ir.left)
            yield from self._comparisons(ir.right)

    def _find_pairs(self) -> None:
        for node in self.checked.nodes.values():
            if not isinstance(node, c.CheckNode) or node.kind != NodeKind.PRUEFUNG:
                continue
            for cmp in self._comparisons(node.expr):
                left, right = cmp.left, cmp.right
                if not (_is_input(left, TypeKind.DATUM) and _is_input(right, TypeKind.DATUM)):
                    continue
                a, b = self.inputs.get(left.symbol), self.inputs.get(right.symbol)
                if a is None or b is None or a.scope != b.scope or a.id == b.id:
                    continue
                if cmp.op in (">=", ">"):
                    end, start = a, b
                elif cmp.op in ("<=", "<"):
                    end, start = b, a
                else:
                    continue
                if start.id not in self.pairs and end.id not in self.pairs:
                    self.pairs[end.id] = (start.id, cmp.op in (">", "<"))

    def _period(self, scope: str) -> tuple[str, str] | None:
        for end, (start, _strict) in self.pairs.items():
            if self.inputs[end].scope == scope:
                return start, end
        dates = [i for i in self.checked.scopes[scope].inputs if i.type.kind == TypeKind.DATUM and i.required]
        if len(dates) == 2:
            return dates[0].id, dates[1].id
        return None

    def _find_partitions(self) -> None:
        for sid, scope in self.checked.scopes.items():
            if not sid or scope.parent is None:
                continue
            dates = [i for i in scope.inputs if i.type.kind == TypeKind.DATUM]
            if len(dates) != 2 or not all(i.required for i in dates):
                continue
            own = self._period(sid)
            if own is None:
                continue
            start, end = own
            parent_period = self._period(scope.parent)
            parent_dates = {i.id for i in self.checked.scopes[scope.parent].inputs if i.type.kind == TypeKind.DATUM}
            required = False
            for nid, atoms in self.check_atoms.items():
                node = self.checked.nodes[nid]
                inputs = {a[1] for a in atoms if a[0] == "input"}
                if (
                    (node.scope == sid and ("prev", sid) in atoms)
                    or (node.scope == scope.parent and ("list", sid) in atoms and inputs & parent_dates)
                    or (node.scope == sid and inputs & {start, end} and inputs & parent_dates)
                ):
                    required = True
            if required:
                self.partitions[sid] = _Partition(sid, start, end, parent_period)

    def _check_bounds(self) -> dict[str, tuple[Decimal | None, Decimal | None]]:
        """Number inputs narrowed by checks ``input <= constant`` (and the like)."""
        out: dict[str, tuple[Decimal | None, Decimal | None]] = {}
        for node in self.checked.nodes.values():
            if not isinstance(node, c.CheckNode) or node.kind != NodeKind.PRUEFUNG:
                continue
            for cmp in self._comparisons(node.expr):
                op, left, right = cmp.op, cmp.left, cmp.right
                if not _is_input(left, TypeKind.ZAHL):
                    left, right = right, left
                    op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}[op]
                if not _is_input(left, TypeKind.ZAHL) or left.symbol not in self.inputs:
                    continue
                bound = toolkit.const_value(right, self.parameters)
                if not isinstance(bound, Decimal):
                    continue
                low, high = out.get(left.symbol, (None, None))
                if op in ("<=", "<"):
                    high = bound if high is None else min(high, bound)
                elif op in (">=", ">"):
                    low = bound if low is None else max(low, bound)
                elif op == "=":
                    low = high = bound
                else:
                    continue
                out[left.symbol] = (low, high)
        return out

    def _lookups(self) -> Iterator[c.Lookup]:
        for node in self.checked.nodes.values():
            irs: list[Any] = [node.subject] if isinstance(node, c.CorridorLevelNode) else [node.expr]
            for band in node.bands if isinstance(node, c.CorridorLevelNode) else ():
                irs += [band.lower, band.upper]
            for ir in irs:
                yield from _walk_lookups(ir)

    def _table_keys(self) -> tuple[dict[str, tuple[Any, ...]], dict[str, tuple[Any, ...]], list[_JointKeys]]:
        self.key_lookups: dict[tuple[str, str], tuple[str, ...]] = {}  # (node id, table name) → key inputs
        for node in self.checked.nodes.values():
            for lookup in _walk_lookups(None if isinstance(node, c.CorridorLevelNode) else node.expr):
                table = self.checked.tables[lookup.table]
                if table.partial:
                    refs = [k for k in lookup.keys if _is_input(k) and k.symbol in self.inputs]
                    if len(refs) == len(lookup.keys):  # every key is an input
                        self.key_lookups[(node.id, table.name)] = tuple(k.symbol for k in refs)
        restricted: dict[str, list[Any]] = {}
        keys: dict[str, list[Any]] = {}
        joint: list[_JointKeys] = []
        for lookup in self._lookups():
            table = self.checked.tables[lookup.table]
            direct = [k for k in lookup.keys if _is_input(k) and k.symbol in self.inputs]
            if len(lookup.keys) == 1 and direct:
                spec = self.inputs[direct[0].symbol]
                row_keys = [row.keys[0] for row in table.rows]
                keys.setdefault(spec.id, []).extend(row_keys)
                if table.partial:
                    have = restricted.get(spec.id)
                    # (in the rows' order, not a set's: the drawn cases stay the same for a seed in
                    # every process, whatever its hash seed)
                    restricted[spec.id] = list(row_keys) if have is None else [k for k in have if k in row_keys]
            elif len(direct) == len(lookup.keys) > 1 and table.partial:
                specs = [self.inputs[k.symbol] for k in direct]
                if len({s.scope for s in specs}) == 1:
                    rows = tuple(tuple(r.keys) for r in table.rows)
                    joint.append(_JointKeys(specs[0].scope, tuple(s.id for s in specs), rows))
        return ({k: tuple(v) for k, v in restricted.items()}, {k: tuple(v) for k, v in keys.items()}, joint)

    # ---- domains ----

    def _domain(self, spec: c.InputSpec, narrowed: tuple[Decimal | None, Decimal | None] | None,
                restricted: tuple[Any, ...] | None, table_keys: tuple[Any, ...]) -> InputDomain:
        vtype = spec.type
        kind = vtype.kind
        if kind == TypeKind.JA_NEIN:
            return InputDomain(spec, (False, True), (False, True))
        if kind == TypeKind.TEXT:
            return InputDomain(spec, TEXTS)
        if kind == TypeKind.SCHLUESSEL:
            return InputDomain(spec, KEY_CANDIDATES, KEY_CANDIDATES)
        if kind == TypeKind.ENUM:
            assert vtype.enum is not None
            members = vtype.enum.keys()
            if restricted:
                kept = tuple(m for m in members if any(m == r for r in restricted))
                members = kept or members
            return InputDomain(spec, members, members)
        if kind == TypeKind.DATUM:
            return self._date_domain(spec)
        # numbers
        if vtype.choices is not None:
            values = tuple(sorted(vtype.choices))
            if restricted:
                values = tuple(v for v in values if v in restricted) or values
            return InputDomain(spec, values, values)
        low, high = vtype.low, vtype.high
        if narrowed is not None:
            n_low, n_high = narrowed
            if n_low is not None and (low is None or n_low > low):
                low = n_low
            if n_high is not None and (high is None or n_high < high):
                high = n_high
        if low is None:
            low, high = (Decimal(0), UNBOUNDED_SPAN) if high is None else (min(Decimal(0), high), high)
        elif high is None:
            high = low + UNBOUNDED_SPAN
        if low > high or (vtype.integer and _ceiling(low) > high):  # a check the declared range cannot meet
            low = vtype.low if vtype.low is not None else Decimal(0)
            high = vtype.high if vtype.high is not None else UNBOUNDED_SPAN
        if restricted:
            values = tuple(sorted(
                Decimal(v)
                for v in restricted
                if low <= Decimal(v) <= high and (not vtype.integer or Decimal(v) == Decimal(v).to_integral_value())
            ))
            if values:
                return InputDomain(spec, values, values)
        step = Decimal(1) if vtype.integer else _grid_step(self._scale_numbers(spec, low, high), vtype.unit.percent)
        # the grid lies inside the range: a bound finer than the step (``von 0.004``) or a
        # fractional bound of a whole number (``von 0.5``) is not rounded out of it
        grid_low, grid_high = _on_grid(low, step, decimal.ROUND_CEILING), _on_grid(high, step, decimal.ROUND_FLOOR)
        if grid_low > grid_high and not vtype.integer:  # no grid value in the range: the bounds' own scale
            step = Decimal(1).scaleb(-max(_places(low), _places(high)))
            grid_low, grid_high = low, high
        if grid_low > grid_high:
            raise GeneratorError(f"{spec.key}: keine ganze Zahl liegt im Bereich {low} bis {high}")
        cands = [grid_low, grid_low + step, (low + high) / 2, grid_high - step, grid_high]
        if low <= 0 <= high:
            cands.append(Decimal(0))
        for key in table_keys:
            if isinstance(key, (int, Decimal)) and not isinstance(key, bool):
                cands += [Decimal(key) - 1, Decimal(key), Decimal(key) + 1] if vtype.integer else [Decimal(key)]
        cands = [_snap(v, step, vtype.integer) for v in cands]
        if not vtype.integer:  # the bounds themselves, also where finer than the grid
            cands += [low, high]
        return InputDomain(spec, _unique(v for v in cands if low <= v <= high), None, grid_low, grid_high, step)

    def _scale_numbers(self, spec: c.InputSpec, low: Decimal, high: Decimal) -> list[Decimal]:
        """The numbers whose decimal places set the grid step of ``spec``."""
        numbers = [low, high]
        for node in self.checked.nodes.values():
            if (
                isinstance(node, c.CorridorLevelNode)
                and node.bands
                and spec.id in {s.id for s in self._sum_inputs(node.subject, node.scope) or []}
            ):
                for band in node.bands:
                    for bound in (band.lower, band.upper):
                        value = toolkit.const_value(bound, self.parameters)
                        if isinstance(value, Decimal):
                            numbers.append(value)
        return numbers

    def _date_domain(self, spec: c.InputSpec) -> InputDomain:
        info = self.checked.info
        start = info.valid_from or _dt.date(2024, 1, 1)
        reference = info.reference_date is not None and spec.scope == "" and ".".join(info.reference_date) == spec.key
        if reference:
            low, high = start, info.valid_to or _add_years(start, 3)
            cands = [low, low + DAY, low + (high - low) / 2, high - DAY, high]
        else:
            low = _add_years(start, -1)
            high = _add_years(info.valid_to or _add_years(start, 2), 1)
            year = start.year + 1
            leap = next(y for y in range(year, year + 8) if calendar.isleap(y))
            cands = [start, _dt.date(year, 1, 1), _dt.date(leap, 2, 29), _dt.date(year, 12, 31), _dt.date(year, 7, 1)]
        return InputDomain(spec, _unique(d for d in cands if low <= d <= high), None, low, high)

    # ---- corridors ----

    def _sum_inputs(self, ir: Any, scope: str) -> list[c.InputSpec] | None:
        """The inputs of ``scope`` whose sum ``ir`` is (through values), or None."""
        if isinstance(ir, c.Ref):
            spec = self.inputs.get(ir.symbol)
            if spec is not None:
                return [spec] if spec.scope == scope and spec.type.kind == TypeKind.ZAHL else None
            node = self.checked.nodes.get(ir.symbol)
            if isinstance(node, c.ValueNode) and node.scope == scope:
                return self._sum_inputs(node.expr, scope)
            return None
        if isinstance(ir, c.Arith) and ir.op == "+" and ir.type.kind == TypeKind.ZAHL:
            left, right = self._sum_inputs(ir.left, scope), self._sum_inputs(ir.right, scope)
            return None if left is None or right is None else left + right
        return None

    def _find_corridors(self) -> None:
        for node in self.checked.nodes.values():
            if not isinstance(node, c.CorridorLevelNode) or not node.bands:
                continue
            specs = self._sum_inputs(node.subject, node.scope)
            if not specs or len({s.id for s in specs}) != len(specs):
                continue
            doms = [self.domains[s.id] for s in specs]
            bounds = sorted({
                v
                for band in node.bands
                for v in (toolkit.const_value(band.lower, self.parameters),
                          toolkit.const_value(band.upper, self.parameters))
                if isinstance(v, Decimal)
            })
            solver = _SumSolver(doms)
            targets: list[Decimal] = []
            if solver.grid:
                step = min(d.step for d in solver.grid if d.step is not None)
                for b in bounds:
                    targets += [b - step, b, b + step]
            else:
                reachable = sorted(solver.states)
                for b in bounds:
                    below = [s for s in reachable if s < b]
                    above = [s for s in reachable if s > b]
                    targets += (
                        ([below[-1]] if below else [])
                        + ([b] if b in solver.states else [])
                        + ([above[0]] if above else [])
                    )
            combos = []
            for target in _unique(targets):
                assignment = solver.solve(target)
                if assignment is not None:
                    combos.append((target, tuple(sorted(assignment.items()))))
            if not combos:
                continue
            if len(specs) == 1 and doms[0].values is None:  # a single number input: the boundaries are its candidates
                dom = doms[0]
                extra = tuple(v for t, _ in combos for v in (t,) if dom.low <= t <= dom.high)
                self.domains[dom.spec.id] = attrs.evolve(dom, candidates=_unique(dom.candidates + extra))
            self.corridors.append(
                CorridorPlan(node.id, node.scope, node.package, tuple(s.key for s in specs), tuple(combos))
            )

    # ---- public views ----

    def candidates(self) -> dict[str, tuple[Any, ...]]:
        """Candidate values by input path (``bewohner.lp3b.stunden``), in runtime units."""
        out = {}
        for spec in self.inputs.values():
            path = ".".join(p for p in (self.scope_path(spec.scope), ".".join(spec.path)) if p)
            out[path] = self.domains[spec.id].candidates
        return out

    def scope_path(self, scope: str) -> str:
        """The dotted case path of ``scope`` (``bewohner.massnahmen``; "" for the case)."""
        names = []
        sid: str | None = scope
        while sid:
            names.append(self.checked.scopes[sid].name)
            sid = self.checked.scopes[sid].parent
        return ".".join(reversed(names))

    def domain_at(self, steps: tuple[str | int, ...]) -> InputDomain | None:
        """The domain of the input at a case path (``("bewohner", 1, "lp2a", "kap4")``)."""
        scope = ""
        names: list[str] = []
        for step in steps:
            if isinstance(step, int):
                child = _join(scope, names[-1]) if names else None
                if child not in self.checked.scopes:
                    return None
                scope, names = child, []
            else:
                names.append(step)
        for spec in self.checked.scopes[scope].inputs:
            if list(spec.path) == names:
                return self.domains[spec.id]
        return None


class _SumSolver:
    """Assignments of inputs whose sum is a target: exact over finite sets, greedy over ranges."""

    MAX_STATES = 20000

    def __init__(self, doms: list[InputDomain]):
        self.finite = [d for d in doms if d.values is not None]
        self.grid = [d for d in doms if d.values is None]
        states: dict[Decimal, dict[str, Any]] = {Decimal(0): {}}
        for dom in self.finite:
            new: dict[Decimal, dict[str, Any]] = {}
            for total, assignment in states.items():
                for value in dom.values or ():
                    new.setdefault(total + Decimal(value), {**assignment, dom.key: value})
            states = new
            if len(states) > self.MAX_STATES:
                states = {}
                break
        self.states = states

    def solve(self, target: Decimal) -> dict[str, Any] | None:
        for total in sorted(self.states, key=lambda s: abs(target - s)):
            rest = self._greedy(target - total)
            if rest is not None:
                return {**self.states[total], **rest}
        return None

    def _greedy(self, amount: Decimal) -> dict[str, Any] | None:
        if not self.grid:
            return {} if amount == 0 else None
        values = {d.key: d.low for d in self.grid}
        remaining = amount - sum((d.low for d in self.grid), Decimal(0))
        if remaining < 0:
            return None
        for dom in self.grid:
            add = min(remaining, dom.high - dom.low)
            if dom.spec.type.integer:
                add = add.to_integral_value(rounding=decimal.ROUND_FLOOR)
            values[dom.key] = dom.low + add
            remaining -= add
        return values if remaining == 0 else None


# --------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------


class _Chooser(Protocol):
    def index(self, n: int) -> int: ...
    def integer(self, low: int, high: int) -> int: ...
    def chance(self, p: float) -> bool: ...
    def text(self) -> str: ...
    def distinct(self, count: int, low: int, high: int) -> list[int]: ...


class _RandomChooser:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def index(self, n: int) -> int:
        return self.rng.randrange(n)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def text(self) -> str:
        return TEXTS[self.rng.randrange(len(TEXTS))]

    def distinct(self, count: int, low: int, high: int) -> list[int]:
        return sorted(self.rng.sample(range(low, high + 1), count))


class _HypothesisChooser:
    def __init__(self, draw: Any):
        from hypothesis import strategies as st

        self.draw = draw
        self.st = st

    def index(self, n: int) -> int:
        return int(self.draw(self.st.integers(0, n - 1)))

    def integer(self, low: int, high: int) -> int:
        return int(self.draw(self.st.integers(low, high)))

    def chance(self, p: float) -> bool:
        # shrinks towards "no": the simpler case
        return bool(self.draw(self.st.integers(0, 999)) >= 1000 - round(p * 1000))

    def text(self) -> str:
        if self.chance(0.7):
            return TEXTS[self.index(len(TEXTS))]
        return str(self.draw(self.st.text(min_size=1, max_size=12)))

    def distinct(self, count: int, low: int, high: int) -> list[int]:
        values = self.draw(self.st.lists(self.st.integers(low, high), min_size=count, max_size=count, unique=True))
        return sorted(values)


Path = tuple[tuple[str, int], ...]  # a list element: (list name, 0-based index) from the root


class _Builder:
    """Draws case data for a :class:`CaseSpace` through a chooser."""

    def __init__(self, space: CaseSpace, chooser: _Chooser):
        self.space = space
        self.ch = chooser
        self.limits = space.limits
        self.checked = space.checked

    # ---- values ----

    def value(self, dom: InputDomain, data: Mapping[str, Any] | None = None) -> Any:
        spec = dom.spec
        kind = spec.type.kind
        if kind == TypeKind.TEXT:
            return self.ch.text()
        if dom.values is not None:
            return dom.values[self.ch.index(len(dom.values))]
        if kind == TypeKind.DATUM:
            pair = self.space.pairs.get(spec.id)
            if pair is not None and data is not None:
                start = _get(data, self.space.inputs[pair[0]].path)
                if isinstance(start, _dt.date):
                    return start + DAY * (self.offset() + (1 if pair[1] else 0))
            if dom.candidates and self.ch.chance(self.limits.candidate):
                return dom.candidates[self.ch.index(len(dom.candidates))]
            return dom.low + DAY * self.ch.integer(0, (dom.high - dom.low).days)
        if dom.candidates and self.ch.chance(self.limits.candidate):
            return dom.candidates[self.ch.index(len(dom.candidates))]
        assert dom.step is not None
        steps = int((dom.high - dom.low) / dom.step)
        return _snap(dom.low + dom.step * self.ch.integer(0, steps), dom.step, spec.type.integer)

    def offset(self) -> int:
        if self.ch.chance(self.limits.candidate):
            return OFFSETS[self.ch.index(len(OFFSETS))]
        return self.ch.integer(0, 800)

    # ---- scopes ----

    def scope(self, scope: str, parent: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for spec in self._ordered_inputs(scope):
            self.input(data, spec)
        self.joint_and_corridors(data, scope)
        for pkg_id in self.checked.scopes[scope].packages:
            pkg = self.checked.packages[pkg_id]
            if pkg.level_type is not None:
                self.grant(data, scope, pkg.name)
        for child in self.checked.scopes[scope].lists:
            data[self.checked.scopes[child].name] = self.elements(child, data)
        return data

    def _ordered_inputs(self, scope: str) -> list[c.InputSpec]:
        specs = [s for s in self.checked.scopes[scope].inputs if s.id not in self.space.grant_inputs]
        ends = [s for s in specs if s.id in self.space.pairs]
        return [s for s in specs if s.id not in self.space.pairs] + ends

    def input(self, data: dict[str, Any], spec: c.InputSpec) -> None:
        if spec.id in self.space.grant_inputs:
            scope, package = self.space.grant_inputs[spec.id]
            self.grant(data, scope, package)
            return
        if not spec.required and self.ch.chance(self.limits.omit):
            _delete(data, spec.path)
            return
        _put(data, spec.path, case_value(spec.type, self.value(self.space.domains[spec.id], data)))

    def joint_and_corridors(self, data: dict[str, Any], scope: str) -> None:
        specs = {s.key: s for s in self.checked.scopes[scope].inputs}
        by_id = {s.id: s for s in specs.values()}
        for joint in self.space.joint:
            if joint.scope == scope and self.ch.chance(0.3):
                row = joint.rows[self.ch.index(len(joint.rows))]
                for sid, key in zip(joint.keys, row, strict=True):  # a row has one key per key column
                    _put(data, by_id[sid].path, case_value(by_id[sid].type, key))
        for plan in self.space.corridors:
            if plan.scope == scope and self.ch.chance(self.limits.boundary):
                _target, assignment = plan.combos[self.ch.index(len(plan.combos))]
                for key, value in assignment:
                    _put(data, specs[key].path, case_value(specs[key].type, value))

    def grant(self, data: dict[str, Any], scope: str, package: str) -> None:
        pkg = next(p for p in self.checked.packages.values() if p.scope == scope and p.name == package)
        assert pkg.level_type is not None
        table = data.get(package)
        if isinstance(table, dict):
            table.pop("bewilligte_stufe", None)
            table.pop("begründung", None)
            if not table:
                del data[package]
        if self.ch.chance(self.limits.grant):
            levels = pkg.level_type.keys()
            _put(data, (package, "bewilligte_stufe"), levels[self.ch.index(len(levels))])
            reason = self.ch.text()  # a text of blanks only is no reason
            _put(data, (package, "begründung"), reason if reason.strip() else TEXTS[0])

    def elements(self, scope: str, parent: Mapping[str, Any]) -> list[dict[str, Any]]:
        spec = self.checked.scopes[scope]
        low = spec.min_count or 0
        high = max(low, self.limits.max_list if spec.max_count is None else min(spec.max_count, self.limits.max_list))
        partition = self.space.partitions.get(scope)
        if partition is not None:
            ranges = self.date_ranges(partition, parent, low, high)
            items = []
            start_spec, end_spec = self.space.inputs[partition.start], self.space.inputs[partition.end]
            for begin, end in ranges:
                item = self.scope(scope, parent)
                _put(item, start_spec.path, begin)
                _put(item, end_spec.path, end)
                items.append(item)
            return items
        count = low if self.ch.chance(0.25) else self.ch.integer(low, high)  # the shortest list is common
        return [self.scope(scope, parent) for _ in range(count)]

    def date_ranges(
        self, partition: _Partition, parent: Mapping[str, Any], low: int, high: int
    ) -> list[tuple[_dt.date, _dt.date]]:
        begin = end = None
        if partition.period is not None:
            begin = _get(parent, self.space.inputs[partition.period[0]].path)
            end = _get(parent, self.space.inputs[partition.period[1]].path)
        if isinstance(begin, _dt.date) and isinstance(end, _dt.date) and end >= begin:
            days = (end - begin).days + 1
            least = max(low, 1)
            count = self.ch.integer(least, max(least, min(high, days)))
            if count <= days:
                cuts = self.ch.distinct(count - 1, 1, days - 1) if count > 1 else []
            else:  # the period is too short for the required elements; the checks will say so
                cuts = [min(i, days - 1) for i in range(1, count)]
            starts = [begin] + [begin + DAY * cut for cut in cuts]
            ends = [s - DAY for s in starts[1:]] + [end]
            return list(zip(starts, ends, strict=True))
        # no enclosing period: a contiguous chain from a drawn start
        dom = self.space.domains[partition.start]
        current = self.value(dom)
        out = []
        for _ in range(self.ch.integer(low, high)):
            stop = current + DAY * self.offset()
            out.append((current, stop))
            current = stop + DAY
        return out

    # ---- repair ----

    def redraw(self, case: dict[str, Any], actions: list[tuple[Path, str, str]]) -> None:
        """Draw again what failing checks depend on: ``(element, "input"|"list"|"grant", id)``."""
        done = set()
        for path, kind, what in sorted(actions, key=lambda a: (len(a[0]), a[1] != "input", a[2])):
            if (path, kind, what) in done:
                continue
            done.add((path, kind, what))
            element = _element(case, path)
            if element is None:
                continue
            if kind == "input":
                spec = self.space.inputs[what]
                self.input(element, spec)
                for end, (start, _strict) in self.space.pairs.items():
                    if start == spec.id:
                        self.input(element, self.space.inputs[end])
                for part in self.space.partitions.values():
                    if (
                        part.period is not None
                        and spec.id in part.period
                        and self.checked.scopes[part.scope].parent == spec.scope
                    ):
                        element[self.checked.scopes[part.scope].name] = self.elements(part.scope, element)
            elif kind == "list":
                element[self.checked.scopes[what].name] = self.elements(what, element)
            elif kind == "grant":
                scope, package = what.split("|", 1)
                self.grant(element, scope, package)


# --------------------------------------------------------------------------------------
# Valid cases: generation with repair
# --------------------------------------------------------------------------------------


class _Generator:
    def __init__(self, space: CaseSpace):
        self.space = space
        self.model = space.model
        self.checked = space.checked

    def failures(self, case: dict[str, Any]) -> list[tuple[str, tuple[int, ...], tuple[str, ...] | None]]:
        """What to repair in a case: the checks it fails (node index, element indexes), and a
        lookup of a ``teilweise`` table whose keys are inputs and miss its rows (with those
        inputs). Other evaluation errors are left to the invariants; a case the loader rejects
        is a defect of the generator."""
        try:
            loaded = self.model.load_case(case)
        except CaseError as exc:
            raise GeneratorError("Der Generator hat einen ungültigen Fall erzeugt:\n" + exc.render()) from None
        out: list[tuple[str, tuple[int, ...], tuple[str, ...] | None]] = []
        parameters: Mapping[str, Any] = self.space.parameters
        if self.model.has_periods:  # parameters with values per period: those of the case's date
            with contextlib.suppress(TeilhabeError):
                day = self.model.reference_date(loaded, None, required=True) or default_date(self.model)
                parameters = self.model.parameters_on(day)
        # stichtag(): the case's own date, else one within the validity (as the properties evaluate)
        date = self.model.reference_date(loaded, None)
        if date is None and self.model.reads_date:
            date = default_date(self.model)
        evaluation = self.model.backend.evaluate(CaseInput(loaded.row, parameters, self.space.tables, date))
        stop = evaluation.fault
        if stop is not None and stop.node is not None and stop.fault.kind is FaultKind.TABLE_MISS:
            for (nid, table), keys in self.space.key_lookups.items():
                if nid == stop.node and stop.fault.table == table:
                    out.append((stop.node, tuple(i for i in stop.indexes if i is not None), keys))
                    break
        out.extend((check.node, check.indexes, None) for check in evaluation.failures)
        return out

    def actions(self, failures: list[tuple[str, tuple[int, ...], tuple[str, ...] | None]],
                chooser: _Chooser | None = None) -> list[tuple[Path, str, str]]:
        """What to draw again for ``failures``: everything each failing check depends on, or
        (with a ``chooser``) one of those things, drawn."""
        out = []
        scopes = self.checked.scopes
        for node_id, indexes, keys in failures:
            node = self.checked.nodes[node_id]
            chain = _scope_chain(self.checked, node.scope)
            path: Path = tuple((scopes[sid].name, indexes[depth]) for depth, sid in enumerate(chain))
            atoms = sorted(self.space.check_atoms.get(node.id, ())) if keys is None else [("input", k) for k in keys]
            if chooser is not None and len(atoms) > 1:  # one of them, as in a local search
                atoms = [atoms[chooser.index(len(atoms))]]
            for kind, what in atoms:
                if kind == "input":
                    spec = self.space.inputs[what]
                    partition = self.space.partitions.get(spec.scope)
                    depth = scopes[spec.scope].depth
                    if partition is not None and what in (partition.start, partition.end):
                        out.append((path[: depth - 1], "list", spec.scope))
                    else:
                        out.append((path[:depth], "input", what))
                elif kind == "list":
                    parent = scopes[what].parent or ""
                    out.append((path[: scopes[parent].depth], "list", what))
                elif kind == "prev":
                    out.append((path[: scopes[what].depth - 1], "list", what))
                elif kind == "grant":
                    scope = what.split("|", 1)[0]
                    out.append((path[: scopes[scope].depth], "grant", what))
        return out

    def generate(self, chooser: _Chooser) -> dict[str, Any] | None:
        builder = _Builder(self.space, chooser)
        limits = self.space.limits
        for _attempt in range(max(1, limits.restarts)):
            case = builder.scope("")
            rounds = max(1, limits.repair_rounds)
            for number in range(rounds):
                failures = self.failures(case)
                if not failures:
                    return case
                builder.redraw(case, self.actions(failures, chooser if number < rounds // 2 else None))
            if not self.failures(case):
                return case
        return None


# --------------------------------------------------------------------------------------
# Invalid cases
# --------------------------------------------------------------------------------------


def _spoil(space: CaseSpace, case: dict[str, Any], chooser: _Chooser) -> tuple[dict[str, Any], str]:
    """``case`` with one thing wrong, and what (German, ending with ``@ $.pfad``)."""
    checked = space.checked
    sites: list[tuple[str, Any, Any, str, Any]] = []  # (kind, holder, key, path, extra)

    def visit(data: dict[str, Any], scope: str, path: str) -> None:
        sites.append(("unbekannt", data, UNKNOWN_KEY, path, None))
        packages_seen = set()
        for spec in checked.scopes[scope].inputs:
            holder: Any = data
            if len(spec.path) == 2:
                holder = data.get(spec.path[0])
                if spec.path[0] not in packages_seen:
                    packages_seen.add(spec.path[0])
                    if isinstance(holder, dict):
                        sites.append(("unbekannt", holder, UNKNOWN_KEY, f"{path}.{spec.path[0]}", None))
                        sites.append(("typ-tabelle", data, spec.path[0], f"{path}.{spec.path[0]}", None))
                if not isinstance(holder, dict):
                    continue
            key = spec.path[-1]
            where = f"{path}.{'.'.join(spec.path)}"
            if spec.id in space.grant_inputs:
                if key == "bewilligte_stufe" and key in holder:
                    sites.append(("ohne-begründung", holder, key, where, spec))
                    sites.append(("leere-begründung", holder, key, where, spec))
                    sites.append(("keine-stufe", holder, key, where, spec))
                continue
            if key not in holder:
                continue
            if spec.required:
                sites.append(("fehlt", holder, key, where, spec))
            sites.append(("typ", holder, key, where, spec))
            vtype = spec.type
            if vtype.kind == TypeKind.ZAHL and vtype.choices is not None:
                sites.append(("auswahl", holder, key, where, spec))
            elif vtype.kind == TypeKind.ZAHL:
                if vtype.low is not None or vtype.high is not None:
                    sites.append(("bereich", holder, key, where, spec))
                if vtype.integer:
                    sites.append(("ganzzahl", holder, key, where, spec))
            elif vtype.kind == TypeKind.ENUM:
                sites.append(("auswahl", holder, key, where, spec))
        for child in checked.scopes[scope].lists:
            cspec = checked.scopes[child]
            items = data.get(cspec.name)
            if not isinstance(items, list):
                continue
            lpath = f"{path}.{cspec.name}"
            if cspec.min_count:  # a list that may be empty may be left out
                sites.append(("fehlt-liste", data, cspec.name, lpath, None))
            sites.append(("typ-liste", data, cspec.name, lpath, None))
            if cspec.max_count is not None and cspec.max_count < 60 and items:
                sites.append(("zu-viele", data, cspec.name, lpath, cspec.max_count))
            if cspec.min_count:
                sites.append(("zu-wenige", data, cspec.name, lpath, cspec.min_count))
            for number, item in enumerate(items, start=1):
                if isinstance(item, dict):
                    visit(item, child, f"{lpath}[{number}]")

    case = copy.deepcopy(case)
    visit(case, "", "$")
    by_kind: dict[str, list[tuple[str, Any, Any, str, Any]]] = {}
    for site in sites:
        by_kind.setdefault(site[0], []).append(site)
    kinds = sorted(by_kind)  # each kind of defect as likely as any other
    group = by_kind[kinds[chooser.index(len(kinds))]]
    kind, holder, key, path, extra = group[chooser.index(len(group))]
    if kind == "unbekannt":
        holder[key] = 1
        return case, f"unbekannter Schlüssel „{key}“ @ {path}"
    if kind == "typ-tabelle":
        holder[key] = 7
        return case, f"Zahl statt Tabelle @ {path}"
    if kind in ("fehlt", "fehlt-liste"):
        del holder[key]
        return case, f"Pflichtangabe fehlt @ {path}"
    if kind == "typ-liste":
        holder[key] = 7
        return case, f"Zahl statt Liste @ {path}"
    if kind == "zu-viele":
        items = holder[key]
        holder[key] = [copy.deepcopy(items[i % len(items)]) for i in range(extra + 1)]
        return case, f"{extra + 1} statt höchstens {counted(extra, 'Eintrag', 'Einträge')} @ {path}"
    if kind == "zu-wenige":
        holder[key] = holder[key][: extra - 1]
        return case, f"{extra - 1} statt mindestens {counted(extra, 'Eintrag', 'Einträge')} @ {path}"
    if kind == "ohne-begründung":
        holder.pop("begründung", None)
        return case, f"bewilligte Stufe ohne Begründung @ {path.rpartition('.')[0]}.begründung"
    if kind == "leere-begründung":  # only blanks, some of them written as JSON escapes
        blanks = [" ", "   ", "\t", " \n ", "\u00a0", "\u3000 "]
        holder["begründung"] = blanks[chooser.index(len(blanks))]
        return case, f"bewilligte Stufe mit leerer Begründung @ {path.rpartition('.')[0]}.begründung"
    spec: c.InputSpec = extra
    vtype = spec.type
    if kind == "keine-stufe":
        pkg_levels = [k for k in (vtype.enum.keys() if vtype.enum else ()) if isinstance(k, int)]
        holder[key] = max(pkg_levels, default=0) + 1
        return case, f"Stufe {holder[key]} gibt es nicht @ {path}"
    if kind == "typ":
        wrong = {TypeKind.ZAHL: "viel", TypeKind.JA_NEIN: "vielleicht", TypeKind.DATUM: "31.02.2024",
                 TypeKind.TEXT: 5, TypeKind.SCHLUESSEL: "1:0", TypeKind.ENUM: [1]}.get(vtype.kind, [1])
        holder[key] = wrong
        return case, f"falscher Typ ({wrong!r}) @ {path}"
    if kind == "auswahl":
        if vtype.kind == TypeKind.ENUM:
            assert vtype.enum is not None
            numbers = [m.key for m in vtype.enum.members if isinstance(m.key, int)]  # all of them where numeric
            holder[key] = (max(numbers) + 1) if vtype.enum.numeric else "kein_mitglied"
        else:
            assert vtype.choices is not None
            holder[key] = case_value(vtype, _not_a_choice(vtype.choices))
        return case, f"nicht erlaubter Wert {holder[key]!r} @ {path}"
    if kind == "bereich":
        if vtype.high is not None and (vtype.low is None or chooser.chance(0.5)):
            value = (vtype.high.to_integral_value(rounding=decimal.ROUND_FLOOR) + 1 if vtype.integer
                     else vtype.high + Decimal("0.01"))
        else:
            assert vtype.low is not None
            value = (_ceiling(vtype.low) - 1 if vtype.integer
                     else vtype.low - Decimal("0.01"))
        holder[key] = case_value(vtype, value)
        return case, f"{holder[key]} liegt außerhalb des Bereichs @ {path}"
    if kind == "ganzzahl":
        value = _not_whole(vtype.low, vtype.high)
        holder[key] = case_value(vtype, value)
        return case, f"{holder[key]} ist keine ganze Zahl @ {path}"
    raise AssertionError(kind)  # pragma: no cover


def _ceiling(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=decimal.ROUND_CEILING)


def _not_whole(low: Decimal | None, high: Decimal | None) -> Decimal:
    """A number that is not whole, inside ``low``…``high`` where the range has one."""
    half = Decimal("0.5")
    base = _ceiling(low) if low is not None else Decimal(0)
    for value in (base + half, base - half, low, high):
        if (value is not None and value != value.to_integral_value()
                and (low is None or value >= low) and (high is None or value <= high)):
            return value
    return base + half


def _not_a_choice(choices: tuple[Decimal, ...]) -> Decimal:
    ordered = sorted(choices)
    for a, b in zip(ordered, ordered[1:], strict=False):  # neighbours
        middle = (a + b) / 2
        if middle not in choices:
            return middle
    return ordered[-1] + 1


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------

def case_space(model: Model, **limits: Any) -> CaseSpace:
    """The analysis of ``model`` that the generators draw from (kept with the model)."""
    key = Limits(**limits)
    per_model: dict[Limits, CaseSpace] = model.__dict__.setdefault("_case_spaces", {})
    space = per_model.get(key)
    if space is None:
        space = per_model[key] = CaseSpace(model, key)
    return space


def valid_cases(model: Model, **limits: Any) -> SearchStrategy[dict[str, Any]]:
    """Hypothesis strategy of valid case data for ``model`` (keyword arguments: :class:`Limits`).

    Every drawn case passes the case loader; the model's ``prüfung`` checks are met by repair
    (a case whose checks cannot be met after the configured effort is rejected by hypothesis).
    """
    from hypothesis import reject
    from hypothesis import strategies as st

    generator = _Generator(case_space(model, **limits))

    @st.composite
    def cases(draw: Any) -> dict[str, Any]:
        case = generator.generate(_HypothesisChooser(draw))
        if case is None:
            reject()
        return case

    return cases()


def invalid_cases(model: Model, **limits: Any) -> SearchStrategy[tuple[dict[str, Any], str]]:
    """Hypothesis strategy of ``(case, what is wrong)``: case data with exactly one defect —
    an unknown key, a missing required input or list, a number outside its range or not whole,
    a value outside its choices or enumeration, a value of the wrong type, too many or too few
    list elements, a granted level without reason or outside the levels. The case loader must
    reject each with :class:`~teilhabe_rules.errors.CaseError`; the text ends with ``@ $.pfad``.
    """
    from hypothesis import strategies as st

    space = case_space(model, **limits)

    @st.composite
    def cases(draw: Any) -> tuple[dict[str, Any], str]:
        chooser = _HypothesisChooser(draw)
        base = _Builder(space, chooser).scope("")
        return _spoil(space, base, chooser)

    return cases()


def sample_cases(model: Model, n: int, seed: int, **limits: Any) -> Iterator[dict[str, Any]]:
    """``n`` valid cases, the same for the same model, seed and limits (no hypothesis needed)."""
    generator = _Generator(case_space(model, **limits))
    chooser = _RandomChooser(random.Random(seed))
    produced = 0
    failed = 0
    while produced < n:
        case = generator.generate(chooser)
        if case is None:
            failed += 1
            if failed > 20 + n:
                raise GeneratorError(
                    f"Für das Modell „{model.name}“ ließ sich kein Fall erzeugen, der alle Prüfungen erfüllt "
                    f"({failed} Versuche)"
                )
            continue
        produced += 1
        yield case


def sample_invalid_cases(model: Model, n: int, seed: int, **limits: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """``n`` invalid cases with what is wrong, deterministic for a seed."""
    space = case_space(model, **limits)
    chooser = _RandomChooser(random.Random(seed))
    for _ in range(n):
        yield _spoil(space, _Builder(space, chooser).scope(""), chooser)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def _walk_lookups(ir: Any) -> Iterator[c.Lookup]:
    for expr in toolkit.walk(ir):
        if isinstance(expr, c.Lookup):
            yield expr


def _is_input(ir: object, kind: c.TypeKind | None = None) -> TypeGuard[c.Ref]:
    return isinstance(ir, c.Ref) and ir.kind == RefKind.EINGABE and (kind is None or ir.type.kind == kind)


def _places(value: Decimal) -> int:
    value = value.normalize()
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _grid_step(numbers: list[Decimal], percent: bool) -> Decimal:
    places = max((_places(n) for n in numbers), default=0) + 1
    return Decimal(1).scaleb(-min(places, 4 if percent else 2))


def _on_grid(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    """``value`` rounded (towards ``rounding``) to a multiple of ``step``, written as the grid writes it."""
    return _snap((value / step).to_integral_value(rounding=rounding) * step, step, step == 1)


def _snap(value: Decimal, step: Decimal, integer: bool) -> Decimal:
    """``value`` rounded to the grid (whole numbers stay ``Decimal`` without exponent)."""
    if integer:
        return value.to_integral_value(rounding=decimal.ROUND_HALF_UP)
    snapped = (value / step).to_integral_value(rounding=decimal.ROUND_HALF_UP) * step
    return snapped.quantize(step) if snapped != snapped.to_integral_value() else snapped.quantize(Decimal(1))


def _unique(values: Any) -> tuple[Any, ...]:
    out: list[Any] = []
    for v in values:
        if not any(v == o and type(v) is type(o) for o in out):
            out.append(v)
    return tuple(out)


def _add_years(date: _dt.date, years: int) -> _dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)


def case_value(vtype: c.ValueType, value: Any) -> Any:
    """A runtime value as case data: whole numbers as ``int``, shares in percent, keys as ``1:x``."""
    if vtype.kind == TypeKind.ZAHL and isinstance(value, Decimal):
        if vtype.unit.percent:
            value = value.scaleb(2)
        if value == value.to_integral_value():
            return int(value)
        return value
    if vtype.kind == TypeKind.SCHLUESSEL and isinstance(value, Decimal):
        return f"1:{format(value, 'f')}"
    if vtype.kind == TypeKind.ENUM and isinstance(value, Decimal):
        return int(value)
    return value


def _put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    holder = data
    for step in path[:-1]:
        nxt = holder.get(step)
        if not isinstance(nxt, dict):
            nxt = holder[step] = {}
        holder = nxt
    holder[path[-1]] = value


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    holder: Any = data
    for step in path:
        if not isinstance(holder, Mapping) or step not in holder:
            return None
        holder = holder[step]
    return holder


def _delete(data: dict[str, Any], path: tuple[str, ...]) -> None:
    holder = data
    for step in path[:-1]:
        nxt = holder.get(step)
        if not isinstance(nxt, dict):
            return
        holder = nxt
    holder.pop(path[-1], None)
    if len(path) == 2 and not holder:
        data.pop(path[0], None)


def _element(case: dict[str, Any], path: Path) -> dict[str, Any] | None:
    holder: Any = case
    for name, index in path:
        items = holder.get(name) if isinstance(holder, dict) else None
        if not isinstance(items, list) or index is None or not 0 <= index < len(items):
            return None
        holder = items[index]
    return holder if isinstance(holder, dict) else None


def default_date(model: Model) -> _dt.date:
    """A date within the model's validity, for models whose parameters need one, or whose rules
    read ``stichtag()``, and that have no ``stichtag`` input (``Model.needs_date``)."""
    info = model.checked.info
    return info.valid_from or _dt.date.today()


def _scope_chain(model: c.CheckedModel, scope: str) -> list[str]:
    chain = []
    sid: str | None = scope
    while sid:
        chain.append(sid)
        sid = model.scopes[sid].parent
    return list(reversed(chain))
