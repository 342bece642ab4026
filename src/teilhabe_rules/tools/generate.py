"""Generated populations at database speed: a seeded, columnar generator on embedded DuckDB.

Takes: a loaded :class:`~teilhabe_rules.model.Model`, a number of cases, a seed. Gives: the cases
as one DuckDB query (:func:`population_query`) and as a file written by DuckDB
(:func:`write_population`: Parquet, JSON Lines, or a text stream of JSON Lines) — complete or
absent, through :class:`~teilhabe_rules.duck.Sandbox` (DuckDB reaches only the file it writes).

The values come from the same analysis as the hypothesis strategies
(:func:`teilhabe_rules.tools.strategies.case_space`): per input a *palette* — its candidates (range
ends and one step inside them, the middle, 0, corridor band bounds and one step either side, table
keys), its grid (whole numbers, or the step of its decimal places), its choices, members, levels,
texts and dates — drawn with the weights of :class:`~teilhabe_rules.tools.strategies.Limits`;
corridor boundary combinations of summed inputs, rows of ``teilweise`` tables with several keys,
ordered date pairs (``ende = beginn + Abstand``) and date partitions of a period are built as
there. Every draw is a function of ``hash(seed, case number, list positions, draw number)``:
a case does not depend on the others, on the number of threads or on how DuckDB splits the work,
and the same seed gives the same file byte for byte (with the same DuckDB version).

What the hypothesis sampler does and this generator does not: it repairs ``prüfung`` checks by
evaluating each case and drawing again. Here the checks shape the palettes as far as the analysis
sees them (a range narrowed by ``eingabe <= Konstante``, date pairs, partitions); the checks of an
element on its inputs — reading also the inputs and values of the elements enclosing it, dates
± days, ``datum_plus`` by a constant, ``jahr``, ``monat``, ``tage_im_monat`` — and the lookups
of its values in ``teilweise`` tables (a row for the keys, where a ``wenn``/``und``/``oder``
reaches the lookup) are met by the first of several draws, each group of them sharing no input
on its own, else by the group's defaults, else by the first draw with one optional input left
out or one number at its lowest, else by the defaults with one number or all numbers at their
lowest, else — where its inputs take a few values each, or a few candidates (a number's or a
date's range ends, one step inside them, …) — by one of the combinations of their values that
meet the group, drawn among them (found by DuckDB when the query is made; of more than
:data:`COMBINATIONS`, that many drawn with the seed); the later draws are made only where the
first fails, and keep the first draw's values of the group's inputs of a finite set of values
where some values of its numbers and dates meet it with them (:meth:`_Query.kept`: a level keeps
its palette's chances). A list whose length an element's check bounds
(``C oder anzahl(liste) = 0``, ``anzahl(liste) <= X``) is cut to it; the list a population is
split by has one element (``anzahl`` 1 in the checks; a partition of the period: the whole
period); a level whose granting a check reads is never granted; other checks (over lists,
several draws failing) may fail in some cases, which an evaluation reports as error rows
(results + error rows = cases). Every case passes the case loader.

Numbers are DECIMAL with the palette's decimal places (never DOUBLE); whole numbers have none,
shares in % are written in percent as the case files hold them.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs
from sqlglot import exp

from ..duck import Sandbox, out_of_memory, published
from ..errors import CaseError, Diagnostic
from ..files import write_problem
from ..ir import checked as c
from ..ir import toolkit
from ..ir.checked import NodeKind, RefKind, TypeKind
from ..paths import file_path
from .export import SUFFIXES, FormatError
from .strategies import OFFSETS, TEXTS, InputDomain, Limits, case_space, case_value

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Model

__all__ = ["FORMATS", "Palette", "palettes", "population_query", "write_population"]

FORMATS = ("parquet", "jsonl")
ATTEMPTS = 8  # draws of the inputs an element's own checks read (the first that meets them is taken)
COMBINATIONS = 10_000  # at most so many combinations of a group's values are tried, of more a seeded sample
# of so many (see _Query.combinations)
_BATCH = 8192  # JSON lines fetched at a time (a text stream)
# a file's query reads its case numbers from this table (see _Query.query): a table is scanned on
# every thread, a ``range`` by one
_NUMBERS = "fallnummern"
# a JSON Lines file as DuckDB writes it: each JSON text as it is, one per line — a CSV file of one
# column without header, quotes or escapes (QUOTE '': every value unquoted, whatever it holds;
# the delimiter \x01 is never written with one column, nor can it appear: a JSON text has its
# control characters escaped and no raw line break)
_JSON_LINES = "FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01', NEW_LINE '\\n'"
_PRECISION = 18  # digits of a generated number (DECIMAL(18, s): exact, stored as a 64-bit integer)


@attrs.frozen
class Palette:
    """What one input may take, in case units (percent for shares, ``1:x`` for keys): its
    ``candidates`` (the boundary values, each drawn with priority), ``values`` (a finite set
    drawn uniformly) or the grid ``low`` … ``high`` by ``step``; ``optional``: sometimes NULL;
    ``derived``: the value is mostly made from others (the later date of an ordered pair, the
    dates of a partitioned list), its palette applies only where they are missing."""

    path: str
    candidates: tuple[Any, ...]
    values: tuple[Any, ...] | None
    low: Any
    high: Any
    step: Decimal | None
    optional: bool
    derived: bool = False


def palettes(model: Model, **limits: Any) -> dict[str, Palette]:
    """The palette of every input (but granted levels and their reasons) by its path
    (``bewohner.lp3b.stunden``), as :func:`population_query` draws from it."""
    space = case_space(model, **limits)
    out = {}
    for spec in space.inputs.values():
        if spec.id in space.grant_inputs:
            continue
        dom = space.domains[spec.id]
        path = ".".join(p for p in (space.scope_path(spec.scope), ".".join(spec.path)) if p)
        values = None if dom.values is None else tuple(case_value(spec.type, v) for v in dom.values)
        if spec.type.kind == TypeKind.TEXT:
            values = TEXTS
        step = dom.step
        low, high = dom.low, dom.high
        if spec.type.kind == TypeKind.ZAHL and values is None and spec.type.unit.percent:
            assert step is not None
            low, high, step = low.scaleb(2), high.scaleb(2), step.scaleb(2)
        cands = tuple(case_value(spec.type, v) for v in dom.candidates) if values is None else ()
        derived = spec.id in space.pairs or any(spec.id in (p.start, p.end) for p in space.partitions.values())
        out[path] = Palette(path, cands, values, low, high, step, not spec.required, derived)
    return out


# --------------------------------------------------------------------------------------
# SQL pieces (every text of the model goes through sqlglot's quoting)
# --------------------------------------------------------------------------------------


_Condition = Callable[[Callable[[c.InputSpec], str]], "str | None"]  # SQL given the columns of the inputs


@attrs.frozen
class _Kept:
    """What the later draws of a group of checks keep of its first draw (:meth:`_Query.kept`):
    the values of its inputs ``finite``, where their key — the sum of each one's position
    (:meth:`_Query._position`) times its ``weights`` — is one of ``keys``; the combinations
    that meet the group with the values of ``keys[k]`` are ``counts[k]`` of ``combinations``
    from ``starts[k]`` on (0-based)."""

    finite: tuple[str, ...]
    weights: tuple[int, ...]
    keys: tuple[int, ...]
    starts: tuple[int, ...]
    counts: tuple[int, ...]
    combinations: tuple[tuple[Any, ...], ...]


def _independent(checks: list[tuple[_Condition, set[str]]]) -> list[tuple[list[_Condition], set[str]]]:
    """``checks`` (each with the inputs it reads) in groups that read no input in common, each
    with its inputs; in the order of their first check."""
    groups: list[tuple[list[_Condition], set[str]]] = []
    for node, read in checks:
        joined = [g for g in groups if g[1] & read]
        members = [m for g in joined for m in g[0]] + [node]
        inputs = set(read).union(*(g[1] for g in joined))
        at = min((groups.index(g) for g in joined), default=len(groups))
        groups = [g for g in groups if g not in joined]
        groups.insert(min(at, len(groups)), (members, inputs))
    return groups


def _emptied_list(e: Any) -> str | None:
    """The list ``e`` says is empty, where it is ``anzahl(liste) = 0`` (or ``0 = anzahl(liste)``)."""
    if not (isinstance(e, c.Compare) and e.op == "="):
        return None
    for count, zero in ((e.left, e.right), (e.right, e.left)):
        if (isinstance(count, c.Aggregate) and count.function == "anzahl" and count.where is None
                and isinstance(zero, c.Const) and zero.value == 0):
            return str(count.scope)
    return None


def _string(text: str) -> str:
    return str(exp.Literal.string(text).sql("duckdb"))


def _name(text: str) -> str:
    return str(exp.to_identifier(text, quoted=True).sql("duckdb"))


def _narrow(value: Decimal) -> str:
    """``value`` as a DECIMAL literal of the fewest digits that hold it."""
    places = _places(value)
    whole = len(str(abs(int(value)))) if abs(value) >= 1 else 1
    return f"CAST('{format(value, 'f')}' AS DECIMAL({whole + places}, {places}))"


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class _Query:
    """Builds the query of a population (see the module docstring)."""

    def __init__(self, model: Model, seed: int, split: str | None, limits: Limits, json: bool = False,
                 repair: bool = True):
        self.space = case_space(model, **attrs.asdict(limits))
        self.checked = self.space.checked
        self.limits = limits
        self.seed = int(seed)
        self.split = split
        self.json = json  # each case (and list element) as a JSON text without NULL fields
        self.attempts = ATTEMPTS if repair else 1
        self.draws = 0
        self.hashes: dict[str, str] = {}  # the first layer: one column per draw
        # levels a check reads are never granted (the hypothesis sampler repairs such grants)
        read = {atom[1] for atoms in self.space.check_atoms.values() for atom in atoms if atom[0] == "grant"}
        self.no_grant = read
        self.scale: dict[str, int] = {}
        # while drawing the later draws of an element: the layer of their hashes and the condition
        # under which they are made (its first draw fails a check)
        self.lazy: tuple[dict[str, str], str] | None = None
        # the combinations of values that meet a group of checks, by the query that finds them
        # (see :meth:`combinations`), and the connection it runs on (closed by :meth:`query`)
        self.met: dict[str, list[tuple[Any, ...]]] = {}
        self.sandbox: Sandbox | None = None

    # ---- draws ----

    def _hash(self, keys: list[str]) -> str:
        """A fresh draw for the element at ``keys``: a column of the first layer (computed once),
        or of the layer :attr:`lazy` names, made only under its condition, or inside a lambda (a
        key ``j``) the expression."""
        self.draws += 1
        expression = f"hash({self.seed}, {', '.join(keys)}, {self.draws})"
        if "j" in keys:
            return expression
        name = f"h{self.draws}"
        if self.lazy is not None:
            layer, when = self.lazy
            layer[name] = f"CASE WHEN {when} THEN {expression} END"
        else:
            self.hashes[name] = expression
        return name

    @staticmethod
    def _chance(h: str, p: float, digit: int = 1) -> str:
        """True with probability ``p`` (three decimal digits of the hash at ``digit``)."""
        return f"(({h} // {10 ** (3 * digit)}) % 1000) < {round(p * 1000)}"

    @staticmethod
    def _index(h: str, n: int) -> str:
        """A 0-based index below ``n`` from the hash's high digits (BIGINT)."""
        return f"CAST(({h} // 1000000000) % {n} AS BIGINT)"

    def _pick(self, h: str, values: tuple[Any, ...], kind: str) -> str:
        if len(values) == 1:
            return self._literal(values[0], kind)
        return self._at(values, self._index(h, len(values)), kind)

    def _at(self, values: tuple[Any, ...], index: str, kind: str) -> str:
        """The value at the 0-based ``index`` of ``values`` (None: NULL) as ``kind``. The list is
        of bare literals (a constant; a CAST of a list literal is made again for every row)."""
        items = ", ".join("NULL" if v is None else self._bare(v) for v in values)
        return f"CAST([{items}][1 + {index}] AS {kind})"

    def _bare(self, value: Any) -> str:
        """A literal of its own type: a number as a DECIMAL (or INTEGER) literal — never a float."""
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            text = format(Decimal(value), "f")
            return text if not text.startswith("-") else f"({text})"
        return self._literal(value, "VARCHAR")

    def _literal(self, value: Any, kind: str) -> str:
        if value is None:
            return f"CAST(NULL AS {kind})"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, _dt.date):
            return f"DATE '{value.isoformat()}'"
        if isinstance(value, (int, Decimal)):
            return f"CAST('{format(Decimal(value), 'f')}' AS {kind})"
        return f"CAST({_string(str(value))} AS {kind})"

    # ---- types ----

    def kind(self, spec: c.InputSpec) -> str:
        vtype = spec.type
        if vtype.kind == TypeKind.JA_NEIN:
            return "BOOLEAN"
        if vtype.kind == TypeKind.DATUM:
            return "DATE"
        if vtype.kind in (TypeKind.TEXT, TypeKind.SCHLUESSEL):
            return "VARCHAR"
        if vtype.kind == TypeKind.ENUM:
            assert vtype.enum is not None
            return "INTEGER" if vtype.enum.numeric else "VARCHAR"
        return f"DECIMAL({_PRECISION}, {self._scale(spec)})"

    def _scale(self, spec: c.InputSpec) -> int:
        found = self.scale.get(spec.id)
        if found is None:
            dom = self.space.domains[spec.id]
            numbers = [*dom.candidates, *(dom.values or ())]
            if dom.step is not None:
                numbers += [dom.low, dom.high, dom.step]
            numbers += [v for plan in self.space.corridors for _t, combo in plan.combos for k, v in combo
                        if k == spec.key and plan.scope == spec.scope]
            numbers += [v for j in self.space.joint for row in j.rows for sid, v in zip(j.keys, row, strict=True)
                        if sid == spec.id and isinstance(v, (int, Decimal))]
            places = max((_places(Decimal(v)) for v in numbers if isinstance(v, (int, Decimal))), default=0)
            if spec.type.unit.percent:
                places = max(0, places - 2)
            found = self.scale[spec.id] = 0 if spec.type.integer else places
        return found

    def _case(self, spec: c.InputSpec, value: Any) -> Any:
        """A runtime value as the generated column holds it."""
        out = case_value(spec.type, value)
        if spec.type.kind == TypeKind.ENUM and isinstance(out, str) and self.kind(spec) == "INTEGER":
            return int(out)
        return out

    # ---- values ----

    def base(self, spec: c.InputSpec, keys: list[str], omit: float | None = None) -> str:
        """The drawn value of ``spec`` before pairs, joint keys and corridors (NULL: omitted)."""
        dom = self.space.domains[spec.id]
        kind = self.kind(spec)
        h = self._hash(keys)
        value = self._draw(dom, spec, h, kind)
        if not spec.required:
            chance = self.limits.omit if omit is None else omit
            return f"CASE WHEN {self._chance(h, chance, 0)} THEN NULL ELSE {value} END"
        return value

    def _draw(self, dom: InputDomain, spec: c.InputSpec, h: str, kind: str) -> str:
        vtype = spec.type
        if vtype.kind == TypeKind.TEXT:
            return self._pick(h, TEXTS, kind)
        if dom.values is not None:
            return self._pick(h, tuple(self._case(spec, v) for v in dom.values), kind)
        cands = tuple(self._case(spec, v) for v in dom.candidates)
        if vtype.kind == TypeKind.DATUM:
            days = (dom.high - dom.low).days
            free = f"({self._literal(dom.low, kind)} + CAST(({h} // 1000000) % {days + 1} AS INTEGER))"
        else:
            assert dom.step is not None
            low, step = dom.low, dom.step
            if vtype.unit.percent:
                low, step = low.scaleb(2), step.scaleb(2)
            steps = int((dom.high - dom.low) / dom.step)
            # narrow DECIMALs (the fewest digits each needs) keep the arithmetic on 64-bit integers
            free = (f"CAST({_narrow(low)} + CAST(({h} // 1000000) % {steps + 1} AS DECIMAL({len(str(steps))}, 0))"
                    f" * {_narrow(step)} AS {kind})")
        if not cands:
            return free
        return f"CASE WHEN {self._chance(h, self.limits.candidate)} THEN {self._pick(h, cands, kind)} ELSE {free} END"

    def offset(self, keys: list[str]) -> str:
        h = self._hash(keys)
        return (f"CASE WHEN {self._chance(h, self.limits.candidate)} THEN {self._pick(h, OFFSETS, 'INTEGER')} "
                f"ELSE CAST(({h} // 1000000) % 801 AS INTEGER) END")

    # ---- scopes ----
    #
    # A list has at most max(mindestens, min(höchstens, max_list)) elements, so every element that
    # may exist is an *instance* with constant positions: its draws are plain columns (no lambda),
    # computed in four layers — A: the draws; B: the inputs' values (pairs, joint keys and corridor
    # combinations applied); R: the date ranges of partitioned lists; and the cases as STRUCTs,
    # each list the first ``count`` of its instances.

    def instances(self, scope: str, idx: tuple[int, ...], layers: dict[str, dict[str, str]],
                  ranges: tuple[str, int] | None = None, present: str | None = None,
                  outer: Mapping[str, str] | None = None) -> str:
        """Adds the columns of the element of ``scope`` at positions ``idx`` to ``layers`` and
        gives its expression in the last layer (``ranges``: the column of its partition's
        ``{b, e}`` dates and its position there; ``present``: the condition under which the
        element exists — its draws are made only then; ``outer``: the final columns of the
        enclosing elements' inputs by input id, which its checks may read)."""
        space = self.space
        depth = self.checked.scopes[scope].depth
        number = list(self.checked.scopes).index(scope)
        prefix = f"x{number}" + "".join(f"_{i}" for i in idx)
        keys = ["_c", *(str(i) for i in idx)]
        specs = [s for s in self.checked.scopes[scope].inputs if s.id not in space.grant_inputs]
        field = {s.id: f"{prefix}_f{n}" for n, s in enumerate(specs)}
        a_layer: dict[str, str] = {}
        r_layer = layers["r"]
        partition = space.partitions.get(scope) if ranges is not None else None
        fixed: dict[str, str] = {}
        if partition is not None and ranges is not None:
            column, position = ranges
            fixed[partition.start] = f"{column}[{position + 1}].b"
            fixed[partition.end] = f"{column}[{position + 1}].e"
        for spec in specs:
            if spec.id not in fixed:
                a_layer[field[spec.id]] = self.base(spec, keys)
        offsets: dict[str, str] = {}
        for spec in specs:
            pair = space.pairs.get(spec.id)
            if pair is not None and pair[0] in field and spec.id not in fixed and pair[0] not in fixed:
                offsets[spec.id] = f"{field[spec.id]}_o"
                a_layer[offsets[spec.id]] = self.offset(keys)
        by_key = {s.key: s for s in specs}
        joints = [j for j in space.joint if j.scope == scope and all(k in field for k in j.keys)]
        for n, joint in enumerate(joints):
            h = self._hash(keys)
            a_layer[f"{prefix}_j{n}"] = (f"CASE WHEN {self._chance(h, 0.3)} THEN {self._index(h, len(joint.rows))} "
                                         "ELSE -1 END")
        plans = [p for p in space.corridors if p.scope == scope and all(k in by_key for k in p.inputs)]
        for n, plan in enumerate(plans):
            h = self._hash(keys)
            a_layer[f"{prefix}_k{n}"] = (f"CASE WHEN {self._chance(h, self.limits.boundary)} "
                                         f"THEN {self._index(h, len(plan.combos))} ELSE -1 END")
        packages = [self.checked.packages[p] for p in self.checked.scopes[scope].packages]
        for pkg in packages:
            if pkg.level_type is not None:
                h = self._hash(keys)
                chance = 0.0 if f"{scope}|{pkg.name}" in self.no_grant else self.limits.grant
                levels = pkg.level_type.keys()
                a_layer[f"{prefix}_g{pkg.name}"] = (
                    f"CASE WHEN {self._chance(h, chance)} THEN {self._index(h, len(levels))} ELSE -1 END")
                a_layer[f"{prefix}_t{pkg.name}"] = self._pick(h, TEXTS, "VARCHAR")
        # checks of this element on its own inputs: up to ATTEMPTS draws of the inputs they read
        # (which draw each group of them takes: below)
        # — and the lookups of its values and checks in ``teilweise`` tables, which must find a row
        group: set[str] = set()
        checks: list[tuple[_Condition, set[str]]] = []  # each with the inputs it reads
        conditions = self.conditions(scope, outer)
        # each also without the enclosing elements' columns (None where it reads them): what a
        # combination of the element's inputs meets on its own (see :meth:`combinations`)
        alone = dict(zip(conditions, self.conditions(scope, None), strict=True))
        for condition in conditions:
            read: set[str] = set()
            def reading(spec: c.InputSpec, read: set[str] = read) -> str:
                read.add(spec.id)
                return "x"

            if condition(reading) is None:
                continue
            if read and all(i in field and i not in fixed for i in read):
                checks.append((condition, read))
                group |= read
        attempts = self.attempts if checks else 1
        late: dict[tuple[str, int], str] = {}
        parts = _independent(checks)
        part_of = {i: n for n, (_members, inputs) in enumerate(parts) for i in inputs}
        # per group: the combinations of its values that meet its checks (its last resort, below),
        # and what its later draws keep of the first (see :meth:`kept`)
        met_by_part: list[list[tuple[Any, ...]]] = []
        kept_by_part: list[_Kept | None] = []
        for members, inputs in parts:
            local = [alone[m] for m in members]
            found = self.combinations(sorted(inputs), local) if self.attempts > 1 else []
            reads_outer = any(condition(lambda _spec: "x") is None for condition in local)
            held = None if reads_outer else self.kept(sorted(inputs), found)
            met_by_part.append(found if held is None else list(held.combinations))
            kept_by_part.append(held)

        def drawn(spec_id: str, attempt: int) -> str:
            return late[(spec_id, attempt)] if attempt and spec_id in group else field[spec_id]

        def value_of(spec: c.InputSpec, attempt: int) -> str:
            """The value of ``spec`` in draw ``attempt`` (pairs, joint keys, corridors applied)."""
            name = drawn(spec.id, attempt)
            value = name
            if spec.id in offsets:
                start, strict = space.pairs[spec.id]
                offset = late[(offsets[spec.id], attempt)] if attempt and spec.id in group else offsets[spec.id]
                value = (f"CASE WHEN {name} IS NULL THEN NULL ELSE coalesce({drawn(start, attempt)} + "
                         f"{offset}{' + 1' if strict else ''}, {name}) END")
            kind = self.kind(spec)
            if attempt:  # the later draws without joint keys and boundary combinations
                return value
            for n, joint in enumerate(joints):
                if spec.id in joint.keys:
                    at = joint.keys.index(spec.id)
                    rows = tuple(self._case(spec, row[at]) for row in joint.rows)
                    choice = f"{prefix}_j{n}"
                    value = f"CASE WHEN {choice} >= 0 THEN {self._at(rows, choice, kind)} ELSE {value} END"
            for n, plan in enumerate(plans):
                given = tuple(dict(combo).get(spec.key) for _target, combo in plan.combos)
                if any(v is not None for v in given):
                    combo_value = self._at(tuple(None if v is None else self._case(spec, v) for v in given),
                                           f"{prefix}_k{n}", kind)
                    value = f"CASE WHEN {prefix}_k{n} >= 0 THEN coalesce({combo_value}, {value}) ELSE {value} END"
            return value

        # the later draws of a group's inputs are made only where the first draw fails one of its
        # checks (an element that exists), a few percent of the cases: their hashes and values in
        # layers after the first draw's check
        hashes, later = layers.setdefault(f"h{depth}", {}), layers.setdefault(f"e{depth}", {})
        for attempt in range(1, attempts):
            for spec in specs:
                if spec.id in group:
                    need = f"NOT {prefix}_ok{part_of[spec.id]}"
                    if present is not None:
                        need = f"({present}) AND {need}"
                    self.lazy = (hashes, need)
                    # the later draws leave optional inputs out more often (their default applies)
                    omit = 0.5 if attempt >= ATTEMPTS // 2 else None
                    late[(spec.id, attempt)] = name = f"{field[spec.id]}_a{attempt}"
                    fresh = self.base(spec, keys, omit)
                    held = kept_by_part[part_of[spec.id]]
                    if held is not None and spec.id in held.finite:
                        # (the first draw's value, where some values of the group's other inputs
                        # meet the checks with it)
                        first = field[spec.id] if value_of(spec, 0) == field[spec.id] else f"{field[spec.id]}_v"
                        fresh = f"CASE WHEN {prefix}_keep{part_of[spec.id]} > 0 THEN {first} ELSE {fresh} END"
                    later[name] = f"CASE WHEN {need} THEN {fresh} END"
                    if spec.id in offsets:
                        late[(offsets[spec.id], attempt)] = name = f"{offsets[spec.id]}{attempt}"
                        later[name] = f"CASE WHEN {need} THEN {self.offset(keys)} END"
                    self.lazy = None

        values: dict[str, str] = {}
        for spec in specs:
            if spec.id in fixed:
                values[spec.id] = fixed[spec.id]
                continue
            for attempt in range(attempts if spec.id in group else 1):
                value = value_of(spec, attempt)
                if not attempt and value != drawn(spec.id, attempt):
                    layers["b"][f"{drawn(spec.id, attempt)}_v"] = value
                    value = f"{drawn(spec.id, attempt)}_v"
                values[spec.id if not attempt else f"{spec.id}#{attempt}"] = value
        # the checks in groups that share no input: each group takes the first draw that meets all
        # of its checks, whatever the draws of the others (one group's failing draws do not throw
        # away another's good one); where none does, the first draw with the group's optional
        # inputs left out (their defaults, which most often meet the checks), then with one of
        # them left out (``a = 0 oder b = 0`` where both were drawn), then with one number at the
        # lowest value of its palette (``a + b <= c``), then the defaults with one number or all
        # of them at their lowest, then a combination of values that meets them (below), else
        # the first draw
        draws = attempts + 1 if self.attempts > 1 else attempts  # (and the draw of defaults, when repairing)
        if checks and draws > attempts:
            for spec in specs:
                if spec.id in group:
                    values[f"{spec.id}#{attempts}"] = "NULL" if not spec.required else values[spec.id]
        for part, (members, inputs) in enumerate(parts):
            options = [{i: values[i if not attempt else f"{i}#{attempt}"] for i in inputs} for attempt in range(draws)]
            if draws > attempts:
                options += [{**options[0], i: "NULL"} for i in sorted(inputs) if not space.inputs[i].required]
                lowest = {i: low for i in sorted(inputs) if (low := self._lowest(i)) is not None}
                options += [{**options[0], i: low} for i, low in lowest.items()]
                # then with the optional inputs left out and one number at its lowest, or all of them
                # (a billing month's days of attendance and of absence within its days, and no
                # Tagesstruktur days where the first draw's days of attendance are too few for them)
                options += [{**options[attempts], i: low} for i, low in lowest.items()]
                if len(lowest) > 1:
                    options.append({**options[attempts], **lowest})
                # at last one of the combinations of the group's values that meet its checks, where
                # its inputs take a few values each (a Leistungstyp with a Hilfebedarfsgruppe of the
                # table, the besondere Wohnform and the second Leistungstyp at once) or a few
                # candidates (MAWo's night service with its reference size at least the places and
                # its number of night watches): drawn among them — among those with the first
                # draw's values kept (see :meth:`kept`)
                met_together, held = met_by_part[part], kept_by_part[part]
                if met_together:
                    need = f"NOT {prefix}_ok{part}" if present is None else f"({present}) AND NOT {prefix}_ok{part}"
                    self.lazy = (hashes, need)
                    h = self._hash(keys)
                    self.lazy = None
                    pick = self._index(h, len(met_together))
                    if held is not None:
                        keep = f"{prefix}_keep{part}"
                        pick = (f"CASE WHEN {keep} > 0 THEN CAST([{', '.join(map(str, held.starts))}][{keep}] + "
                                f"({h} // 1000000000) % [{', '.join(map(str, held.counts))}][{keep}] AS BIGINT) "
                                f"ELSE {pick} END")
                    option = {}
                    for at, spec_id in enumerate(sorted(inputs)):
                        spec = space.inputs[spec_id]
                        option[spec_id] = name = f"{field[spec_id]}_m{part}"
                        later[name] = (f"CASE WHEN {need} THEN "
                                       f"{self._at(tuple(row[at] for row in met_together), pick, self.kind(spec))} END")
                    options.append(option)
            held = kept_by_part[part]
            guards: dict[int, str] = {}
            if held is not None:
                keep = f"{prefix}_keep{part}"
                layers.setdefault(f"f{depth}", {})[keep] = self.key_position(held, options[0])
                # where the first draw's values are kept, the defaults and lowest values only as
                # far as they keep them too
                for number in range(attempts, len(options)):
                    same = [f"{options[number][i]} IS NOT DISTINCT FROM {options[0][i]}" for i in held.finite
                            if options[number][i] != options[0][i] and not options[number][i].endswith(f"_m{part}")]
                    if same:
                        guards[number] = f"({keep} = 0 OR ({' AND '.join(same)}))"
            tries = []
            for number, option in enumerate(options):
                def current(spec: c.InputSpec, option: dict[str, str] = option) -> str:
                    return option[spec.id]
                met = " AND ".join(f"coalesce({condition(current)}, TRUE)" for condition in members)
                if number in guards:
                    met = f"{guards[number]} AND {met}"
                if not number:
                    layers.setdefault(f"f{depth}", {})[f"{prefix}_ok{part}"] = met
                    met = f"{prefix}_ok{part}"
                tries.append(f"WHEN {met} THEN {number}")
            chosen = f"{prefix}_try{part}"
            layers[f"c{depth}"][chosen] = f"CASE {' '.join(tries)} ELSE 0 END"
            for spec_id in sorted(inputs):
                name = f"{field[spec_id]}_x"
                whens = " ".join(f"WHEN {number} THEN {option[spec_id]}" for number, option in enumerate(options))
                layers[f"d{depth}"][name] = f"CASE {chosen} {whens} END"
                values[spec_id] = name
        # the element as case data
        out: dict[str, str] = {}
        package_fields: dict[str, dict[str, str]] = {}
        for spec in specs:
            shown = self._json(values[spec.id], self.kind(spec)) if self.json else values[spec.id]
            if len(spec.path) == 2:
                package_fields.setdefault(spec.path[0], {})[spec.path[1]] = shown
            else:
                out[spec.path[0]] = shown
        for pkg in packages:
            if pkg.level_type is not None:
                levels = tuple(pkg.level_type.keys())
                kind = "INTEGER" if all(isinstance(v, int) for v in levels) else "VARCHAR"
                grant = f"{prefix}_g{pkg.name}"
                level = f"CASE WHEN {grant} >= 0 THEN {self._at(levels, grant, kind)} END"
                reason = f"CASE WHEN {grant} >= 0 THEN {prefix}_t{pkg.name} END"
                if self.json:
                    level, reason = self._json(level, kind), self._json(reason, "VARCHAR")
                package_fields.setdefault(pkg.name, {})["bewilligte_stufe"] = level
                package_fields[pkg.name]["begründung"] = reason
        for name, fields in package_fields.items():
            out[name] = self._object(fields)
        for name, expression in a_layer.items():
            layers["a"][name] = expression if present is None else f"CASE WHEN {present} THEN {expression} END"
        bounded = self.bounded(scope, values, fixed, outer) if self.attempts > 1 else {}
        # what the elements of its lists read of this one: its inputs' final columns (not the dates
        # of a partition, made in the last layer)
        inner = {**(outer or {}), **{sid: values[sid] for sid in field if sid not in fixed}}
        for n, child in enumerate(self.checked.scopes[scope].lists):
            listed_spec = self.checked.scopes[child]
            most = self.most(child)
            split = self.split is not None and not scope and listed_spec.name == self.split
            if split:
                most = 1
            if child in space.partitions:
                column = f"{prefix}_r{n}"
                r_layer[column] = self.ranges(child, keys, field, values, split)
                items = [self.instances(child, (*idx, k), layers, (column, k), outer=inner) for k in range(most)]
                count = f"len({column})"
            else:
                count = f"{prefix}_n{n}"
                layers["n"][count] = self.count(child, keys)
                items = [self.instances(child, (*idx, k), layers, None,
                                        f"{count} > {k}" if present is None else f"({present}) AND {count} > {k}",
                                        inner)
                         for k in range(most)]
                if child in bounded and not split:  # (a split list has one element in every case)
                    # the element's checks on the number of elements, met: the list is cut to what
                    # they allow (the draws of the elements cut off are not used)
                    kept = f"{prefix}_m{n}"
                    r_layer[kept] = bounded[child](count, listed_spec.min_count or 0)
                    count = kept
            existing = [f"CASE WHEN {count} > {k} THEN {item} END" for k, item in enumerate(items)]
            if not self.json:
                out[listed_spec.name] = f"list_slice([{', '.join(existing)}], 1, {count})" if items else "[]"
            elif items:
                # the first ``count`` texts joined (concat_ws leaves out the NULL ones after them); the
                # elements are not collected in a list first (array_to_string made that list twice)
                out[listed_spec.name] = (f"CASE WHEN {count} IS NOT NULL THEN "
                                         f"'[' || concat_ws(',', {', '.join(existing)}) || ']' END")
            else:
                out[listed_spec.name] = "'[]'"
        return self._object(out)

    def conditions(self, scope: str, outer: Mapping[str, str] | None) -> list[_Condition]:
        """What an element of ``scope`` must meet, as SQL given the columns of its inputs: its
        ``prüfung`` checks, and that each lookup of its values and checks in a ``teilweise``
        table finds a row (where the evaluation reaches it) — as far as :meth:`check_sql` takes
        them (None: not taken)."""
        out: list[_Condition] = []
        for node in self.checked.nodes.values():
            if node.scope != scope or isinstance(node, c.CorridorLevelNode):
                continue
            if isinstance(node, c.CheckNode) and node.kind == NodeKind.PRUEFUNG:
                out.append(functools.partial(self._check, node.expr, scope, outer))
            if isinstance(node, (c.ValueNode, c.CheckNode)) and any(
                    isinstance(e, c.Lookup) and self.checked.tables[e.table].partial for e in toolkit.walk(node.expr)):
                out.append(functools.partial(self.lookups_met, node.expr, scope, outer))
        return out

    def _check(self, ir: Any, scope: str, outer: Mapping[str, str] | None,
               value_of: Callable[[c.InputSpec], str]) -> str | None:
        return self.check_sql(ir, scope, value_of, outer=outer)

    def lookups_met(self, ir: Any, scope: str, outer: Mapping[str, str] | None,
                    value_of: Callable[[c.InputSpec], str], depth: int = 0) -> str | None:
        """SQL that is true where evaluating ``ir`` finds a row in every ``teilweise`` table it
        looks up — in the branches of ``wenn``, ``und`` and ``oder`` it reaches (as the
        evaluation takes them: the right side of ``und`` only where the left holds) —, over the
        columns :meth:`check_sql` takes; None where there is nothing it can say (no such lookup,
        or one whose keys or whose branch's test it cannot write). Values read are not followed
        (each has its own)."""
        if depth > 20:
            return None

        def sub(x: Any) -> str | None:
            return self.lookups_met(x, scope, outer, value_of, depth + 1)

        def sql(x: Any) -> str | None:
            return self.check_sql(x, scope, value_of, outer=outer)

        def both(*parts: str | None) -> str | None:
            found = [p for p in parts if p is not None]
            return f"({' AND '.join(found)})" if found else None

        if isinstance(ir, c.Lookup):
            table = self.checked.tables[ir.table]
            keys = [sql(k) for k in ir.keys] if table.partial and not self._always_found(ir) else []
            found: str | None = None
            if keys and all(k is not None for k in keys):
                rows: list[str] | None = []
                for row in table.rows:
                    literals = [self._runtime_literal(v) for v in row.keys]
                    if rows is None or any(x is None for x in literals):
                        rows = None
                        break
                    rows.append("(" + " AND ".join(f"{k} = {x}" for k, x in zip(keys, literals, strict=True)) + ")")
                if rows is not None:
                    found = f"({' OR '.join(rows)})" if rows else "FALSE"
            return both(*(sub(k) for k in ir.keys), found)
        if isinstance(ir, c.Cond):
            then, otherwise = sub(ir.then), sub(ir.otherwise)
            test = sql(ir.test) if then is not None or otherwise is not None else None
            branches = (None if test is None
                        else f"(CASE WHEN {test} THEN {then or 'TRUE'} ELSE {otherwise or 'TRUE'} END)")
            return both(sub(ir.test), branches)
        if isinstance(ir, c.Logic):
            right = sub(ir.right)
            left = sql(ir.left) if right is not None else None
            reached = None if left is None else (
                f"(CASE WHEN {left} THEN {right} ELSE TRUE END)" if ir.op == "und"
                else f"(CASE WHEN {left} THEN TRUE ELSE {right} END)")
            return both(sub(ir.left), reached)
        if isinstance(ir, (c.Aggregate, c.Ref, c.Previous)):
            return None  # (another scope's expressions; a value has its own)
        return both(*(sub(x) for x in toolkit.children(ir)))

    def _always_found(self, lookup: c.Lookup) -> bool:
        """Whether ``lookup`` has one key, an input that takes only the table's keys (its
        palette, and its default where it has one)."""
        key = lookup.keys[0] if len(lookup.keys) == 1 else None
        spec = self.space.inputs.get(key.symbol) if isinstance(key, c.Ref) else None
        if spec is None or spec.id in self.space.grant_inputs:
            return False
        rows = [row.keys[0] for row in self.checked.tables[lookup.table].rows]
        taken = self.space.domains[spec.id].values
        return taken is not None and all(v in rows for v in taken) and (spec.required or spec.default in rows)

    def _choices(self, spec: c.InputSpec) -> list[Any] | None:
        """The values of ``spec`` a combination takes (see :meth:`combinations`; None left out):
        its finite set of values, else its candidates; None where it has neither or is a text."""
        dom = self.space.domains[spec.id]
        # a number or a date without a finite set of values: its candidates (the range ends and
        # one step inside them, the middle, 0, band bounds), where the checks' bounds lie
        taken = dom.values if dom.values is not None else dom.candidates or None
        if taken is None or spec.type.kind in (TypeKind.TEXT, TypeKind.SCHLUESSEL):
            return None
        return [self._case(spec, v) for v in taken]

    def combinations(self, inputs: list[str], conditions: list[_Condition]) -> list[tuple[Any, ...]]:
        """The combinations of values of ``inputs`` (each a value of its column, None: left out)
        that meet ``conditions`` — as far as these read only ``inputs``, constants and parameters
        —, in the order of the palettes: where each input takes a finite set of values, or else
        has candidates (a number or a date: its boundary values, see :class:`Palette`) — each
        also left out, where it is optional. Of more than :data:`COMBINATIONS` combinations,
        :data:`COMBINATIONS` drawn with the seed are tried (those of them that meet the
        conditions, each once). Evaluated by DuckDB once per set of conditions (a sandbox
        without file access)."""
        specs = [self.space.inputs[i] for i in inputs]
        choices: list[list[Any]] = []
        for spec in specs:
            taken = self._choices(spec)
            if taken is None:
                return []
            choices.append(taken + ([] if spec.required else [None]))
        if not specs:
            return []
        columns = {spec.id: f"v{n}" for n, spec in enumerate(specs)}
        met = [sql for condition in conditions if (sql := condition(lambda spec: columns[spec.id])) is not None]
        if not met:
            return []
        # the values of each input as a table of its own, numbered; their product in that order —
        # or, where it has more than COMBINATIONS rows, as many rows of it drawn with the seed
        values = [("(VALUES " + ", ".join(f"({k}, {self._literal(v, self.kind(spec))})" for k, v in enumerate(taken))
                   + f") AS t{n}(n{n}, v{n})") for n, (spec, taken) in enumerate(zip(specs, choices, strict=True))]
        numbers = ", ".join(f"n{n}" for n in range(len(specs)))
        if math.prod(len(taken) for taken in choices) <= COMBINATIONS:
            tables = " CROSS JOIN ".join(values)
        else:
            drawn = ", ".join(f"CAST(hash({self.seed}, r, {n}) % {len(taken)} AS BIGINT) AS n{n}"
                              for n, taken in enumerate(choices))
            tables = (f"(SELECT DISTINCT {drawn} FROM range({COMBINATIONS}) AS s(r)) AS s"
                      + "".join(f" JOIN {table} USING (n{n})" for n, table in enumerate(values)))
        query = (f"SELECT {numbers} FROM {tables} "
                 f"WHERE {' AND '.join(f'coalesce({sql}, TRUE)' for sql in met)} ORDER BY {numbers}")
        found = self.met.get(query)
        if found is None:
            if self.sandbox is None:
                self.sandbox = Sandbox([])
            found = self.met[query] = [tuple(taken[k] for taken, k in zip(choices, row, strict=True))
                                       for row in self.sandbox.connection.execute(query).fetchall()]
        return found

    def kept(self, inputs: list[str], met: list[tuple[Any, ...]]) -> _Kept | None:
        """What the later draws of a group of checks on ``inputs`` keep of its first draw, given
        the combinations ``met`` of their values that meet the checks (:meth:`combinations`;
        :attr:`_Kept.combinations` holds them ordered by what is kept): the values of its inputs
        of a finite set of values (choices, members, levels, truth values) wherever some
        combination of them with the others' values meets the checks — the numbers and dates are
        drawn again. The values of a finite set thus keep their palette's chances (MAWo's night
        service level: each a fifth; redrawing all of them took level 0, which needs no reference
        size, for a third), the numbers and dates take theirs among the values that meet the
        checks with them. None: all are drawn again (no such input, or only such inputs, or no
        combination that meets them)."""
        specs = [self.space.inputs[i] for i in inputs]
        at = [n for n, spec in enumerate(specs) if self.space.domains[spec.id].values is not None]
        if not met or not at or len(at) == len(specs):
            return None
        radix = 1
        weights = []
        for n in at:
            weights.append(radix)
            radix *= len(self._choices(specs[n]) or ()) + 1
        if radix > 2**62:
            return None

        def key(row: tuple[Any, ...]) -> int:
            return sum(w * self._position(specs[n], row[n]) for w, n in zip(weights, at, strict=True))

        ordered = sorted(met, key=key)  # (stable: in the order of the palettes within one key)
        keys: list[int] = []
        starts: list[int] = []
        counts: list[int] = []
        for number, row in enumerate(ordered):
            if not keys or key(row) != keys[-1]:
                keys.append(key(row))
                starts.append(number)
                counts.append(0)
            counts[-1] += 1
        return _Kept(tuple(inputs[n] for n in at), tuple(weights), tuple(keys), tuple(starts), tuple(counts),
                     tuple(ordered))

    def _position(self, spec: c.InputSpec, value: Any) -> int:
        """1 + the index of ``value`` among the values of ``spec`` (:meth:`_choices`), 0 for None."""
        return 0 if value is None else (self._choices(spec) or []).index(value) + 1

    def key_position(self, kept: _Kept, columns: Mapping[str, str]) -> str:
        """SQL: 1 + the index of the values of ``kept.finite`` in ``columns`` among ``kept.keys``,
        0 where they are none of them."""
        terms = []
        for spec_id, weight in zip(kept.finite, kept.weights, strict=True):
            values = ", ".join(self._bare(v) for v in self._choices(self.space.inputs[spec_id]) or ())
            terms.append(f"coalesce(list_position([{values}], {columns[spec_id]}), 0) * {weight}")
        keys = ", ".join(map(str, kept.keys))
        return f"coalesce(list_position([{keys}], CAST({' + '.join(terms)} AS BIGINT)), 0)"

    def _lowest(self, spec_id: str) -> str | None:
        """The lowest value of the palette of a number input, as a literal of its column."""
        spec, dom = self.space.inputs[spec_id], self.space.domains[spec_id]
        if spec.type.kind != TypeKind.ZAHL:
            return None
        low = min(dom.values) if dom.values is not None else dom.low
        return None if low is None else self._literal(self._case(spec, low), self.kind(spec))

    def bounded(self, scope: str, values: dict[str, str], fixed: dict[str, str],
                outer: Mapping[str, str] | None = None) -> dict[str, Callable[[str, int], str]]:
        """Per list of the element of ``scope`` whose number of elements its checks bound: the
        number cut to what they allow, as a function of the drawn number and the list's
        ``mindestens``. The checks taken: ``C oder anzahl(liste) = 0`` (no elements unless ``C``)
        and ``anzahl(liste) <= X`` (``X >= anzahl(liste)``; ``anzahl`` also through a value or
        times a 1 of a unit, as in ``belegung * 1 Platz <= plaetze``), where ``C`` and ``X`` read
        the element's own inputs (as :meth:`check_sql` takes them)."""
        unless: dict[str, list[str]] = {}
        most: dict[str, list[str]] = {}

        def own(e: Any) -> str | None:
            read: set[str] = set()

            def value_of(spec: c.InputSpec) -> str:
                read.add(spec.id)
                return values[spec.id]

            found = self.check_sql(e, scope, value_of, outer=outer)
            return None if found is None or read & fixed.keys() else found

        def child(listed: str | None) -> bool:
            return listed is not None and self.checked.scopes[listed].parent == scope

        for node in self.checked.nodes.values():
            if not (isinstance(node, c.CheckNode) and node.kind == NodeKind.PRUEFUNG and node.scope == scope):
                continue
            e = node.expr
            if isinstance(e, c.Logic) and e.op == "oder":
                for side, other in ((e.left, e.right), (e.right, e.left)):
                    listed = _emptied_list(side)
                    if child(listed) and (condition := own(other)) is not None:
                        assert listed is not None
                        unless.setdefault(listed, []).append(f"coalesce({condition}, TRUE)")
            elif isinstance(e, c.Compare) and e.op in ("<=", ">="):
                counted, bound = (e.left, e.right) if e.op == "<=" else (e.right, e.left)
                listed = self._counted_list(counted)
                if child(listed) and (limit := own(bound)) is not None:
                    assert listed is not None
                    # (NULL beyond BIGINT: then no cut — the list has at most a few elements anyway)
                    most.setdefault(listed, []).append(f"TRY_CAST(floor({limit}) AS BIGINT)")

        def cut(listed: str) -> Callable[[str, int], str]:
            def kept(count: str, low: int) -> str:
                for limit in most.get(listed, []):  # (a bound below mindestens: the check fails anyway)
                    count = f"CASE WHEN {limit} >= {low} THEN least({count}, {limit}) ELSE {count} END"
                if listed in unless and not low:
                    count = f"CASE WHEN {' AND '.join(unless[listed])} THEN {count} ELSE 0 END"
                return count
            return kept

        return {listed: cut(listed) for listed in {*unless, *most}}

    def _counted_list(self, e: Any) -> str | None:
        """The list whose number of elements ``e`` is: ``anzahl(liste)``, through a value of the
        same element or times a constant 1 (``belegung * 1 Platz``)."""
        for _ in range(8):
            if isinstance(e, c.Ref) and isinstance(node := self.checked.nodes.get(e.symbol), c.ValueNode):
                e = node.expr
            elif isinstance(e, c.Arith) and e.op == "*" and isinstance(e.right, c.Const) and e.right.value == 1:
                e = e.left
            elif isinstance(e, c.Arith) and e.op == "*" and isinstance(e.left, c.Const) and e.left.value == 1:
                e = e.right
            else:
                break
        if isinstance(e, c.Aggregate) and e.function == "anzahl" and e.where is None:
            return str(e.scope)
        return None

    def _object(self, fields: dict[str, str]) -> str:
        """A STRUCT of ``fields`` — or, for JSON Lines, its JSON text without the NULL fields
        (each value already a JSON text, see :meth:`_json`)."""
        if not self.json:
            return "struct_pack(" + ", ".join(f"{_name(k)} := {v}" for k, v in fields.items()) + ")"
        members = ", ".join(f"{_string(json.dumps(k, ensure_ascii=False) + ':')} || {v}" for k, v in fields.items())
        return f"('{{' || concat_ws(',', {members}) || '}}')" if members else "'{}'"

    def _json(self, value: str, kind: str) -> str:
        """The JSON text of a value of column type ``kind`` (NULL stays NULL)."""
        if kind.startswith(("DECIMAL", "INTEGER")):
            return f"CAST({value} AS VARCHAR)"
        if kind == "BOOLEAN":
            return f"CAST({value} AS VARCHAR)"  # 'true' or 'false'
        if kind == "DATE":
            return f"('\"' || CAST({value} AS VARCHAR) || '\"')"
        return f"CAST(to_json({value}) AS VARCHAR)"

    def most(self, child: str) -> int:
        """The most elements a list of ``child`` gets: ``höchstens`` and ``max_list``, more where
        ``mindestens`` demands (a partition has at least one)."""
        spec = self.checked.scopes[child]
        low = spec.min_count or 0
        cap = self.limits.max_list if spec.max_count is None else min(spec.max_count, self.limits.max_list)
        return max(low, cap, 1 if child in self.space.partitions else 0)

    def check_sql(self, ir: Any, scope: str, value_of: Callable[[c.InputSpec], str], depth: int = 0,
                  outer: Mapping[str, str] | None = None) -> str | None:
        """A check's expression as SQL over the element's inputs (``value_of``: the column of an
        input, in case units) and, through ``outer``, over the final columns of its enclosing
        elements' inputs (by input id), or None where it reads anything else (a scope not given,
        a list — but the number of elements of the list a population is split by, 1 —, a table,
        a level, a function other than min/max, jahr, monat, tage_im_monat and datum_plus by a
        constant, a division)."""
        if depth > 20:
            return None

        def sub(x: Any) -> str | None:
            return self.check_sql(x, scope, value_of, depth + 1, outer)

        if isinstance(ir, c.Const):
            return self._runtime_literal(ir.value)
        if isinstance(ir, c.Ref):
            if ir.kind == RefKind.PARAMETER:
                return self._runtime_literal(toolkit.const_value(ir, self.space.parameters))
            spec = self.space.inputs.get(ir.symbol)
            if spec is not None:
                if spec.id in self.space.grant_inputs:
                    return None
                if spec.scope == scope:
                    value = value_of(spec)
                elif outer is not None and spec.id in outer:
                    value = outer[spec.id]
                else:
                    return None
                if spec.type.kind == TypeKind.ZAHL and spec.type.unit.percent:
                    value = f"({value} * CAST('0.01' AS DECIMAL(3, 2)))"
                if spec.default is not None:
                    default = self._runtime_literal(spec.default)
                    if default is None:
                        return None
                    value = f"coalesce({value}, {default})"
                return value
            node = self.checked.nodes.get(ir.symbol)
            if isinstance(node, c.ValueNode) and (node.scope == scope
                                                  or (outer and node.scope in self.enclosing(scope))):
                return sub(node.expr)
            return None
        if isinstance(ir, c.Unary):
            operand = sub(ir.operand)
            if operand is None:
                return None
            return f"(NOT {operand})" if ir.op == "nicht" else f"(- {operand})"
        if isinstance(ir, c.Arith) and ir.type.kind == TypeKind.DATUM and ir.op in ("+", "-"):
            # a date and whole days (a constant: other numbers of days may not be whole)
            days = ir.right.value if isinstance(ir.right, c.Const) else None
            left = sub(ir.left)
            if left is None or not isinstance(days, Decimal) or days != days.to_integral_value() or abs(days) > 10**6:
                return None
            return f"({left} {ir.op} {int(days)})"
        if isinstance(ir, c.Aggregate):
            listed = self.checked.scopes[ir.scope]
            if (ir.function == "anzahl" and ir.where is None and not scope and self.split is not None
                    and listed.parent == "" and listed.name == self.split):
                return "1"  # (the list a population is split by has one element in every case)
            return None
        if isinstance(ir, (c.Arith, c.Compare, c.Logic)):
            ops = {"+": "+", "-": "-", "*": "*", "=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
                   "und": "AND", "oder": "OR"}
            if ir.op not in ops or (isinstance(ir, c.Arith) and ir.type.kind != TypeKind.ZAHL):
                return None
            left = sub(ir.left)
            if isinstance(ir, c.Logic) and left == ("TRUE" if ir.op == "oder" else "FALSE"):
                return left  # (a parameter decides it: the right side is not read)
            right = sub(ir.right)
            return None if left is None or right is None else f"({left} {ops[ir.op]} {right})"
        if isinstance(ir, c.Cond):
            parts = [sub(ir.test), sub(ir.then), sub(ir.otherwise)]
            if any(p is None for p in parts):
                return None
            return f"(CASE WHEN {parts[0]} THEN {parts[1]} ELSE {parts[2]} END)"
        if isinstance(ir, c.Func) and ir.name in ("min", "max") and ir.args:
            args = [sub(x) for x in ir.args]
            if any(x is None for x in args):
                return None
            return f"{'least' if ir.name == 'min' else 'greatest'}({', '.join(str(x) for x in args)})"
        if isinstance(ir, c.Func) and ir.name in ("jahr", "monat") and len(ir.args) == 1:
            date = sub(ir.args[0])
            return None if date is None else f"CAST({'year' if ir.name == 'jahr' else 'month'}({date}) AS BIGINT)"
        if isinstance(ir, c.Func) and ir.name == "tage_im_monat" and len(ir.args) == 2:
            year, month = sub(ir.args[0]), sub(ir.args[1])
            if year is None or month is None:
                return None
            # (as semantics.days_in_month: whole parts; a month outside 1 … 12 is NULL, no error)
            y, m = f"trunc({year})", f"trunc({month})"
            leap = f"(({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0)"
            return (f"(CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END WHEN {m} IN (4, 6, 9, 11) "
                    f"THEN 30 WHEN {m} BETWEEN 1 AND 12 THEN 31 END)")
        if isinstance(ir, c.Func) and ir.name == "datum_plus" and len(ir.args) == 2:
            # months and years keep the day, at most the month's last (as DuckDB's interval arithmetic)
            amount, unit = ir.args[1], str(ir.args[1].type.unit)
            date = sub(ir.args[0])
            if (date is None or not isinstance(amount, c.Const) or not isinstance(amount.value, Decimal)
                    or amount.value != amount.value.to_integral_value() or abs(amount.value) > 10**4):
                return None
            n = int(amount.value)
            intervals = {"Tage": f"({n}) DAY", "Wochen": f"({7 * n}) DAY", "Monate": f"({n}) MONTH",
                         "Jahre": f"({n}) YEAR"}
            if unit not in intervals:
                return None
            return f"CAST({date} + INTERVAL {intervals[unit]} AS DATE)"
        return None

    def enclosing(self, scope: str) -> set[str]:
        """The scopes that enclose ``scope`` (its parent, the parent's parent, …, "")."""
        out = set()
        parent = self.checked.scopes[scope].parent
        while parent is not None:
            out.add(parent)
            parent = self.checked.scopes[parent].parent
        return out

    def _runtime_literal(self, value: Any) -> str | None:
        if isinstance(value, (bool, _dt.date)):
            return self._literal(value, "")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, Decimal) and value.is_finite():
            places = _places(value)
            if abs(value) >= 10**20 or places > 18:
                return None
            # at most 20 whole digits: beside a column's DECIMAL(18, s) the common type keeps every
            # fractional digit (DuckDB cuts the scale where the common type would pass 38 digits)
            return f"CAST('{format(value, 'f')}' AS DECIMAL({20 + places}, {places}))"
        if isinstance(value, str):
            return _string(value)
        return None

    def count(self, child: str, keys: list[str]) -> str:
        spec = self.checked.scopes[child]
        if self.split is not None and spec.parent == "" and spec.name == self.split:
            return "1"
        low = spec.min_count or 0
        cap = self.limits.max_list if spec.max_count is None else min(spec.max_count, self.limits.max_list)
        high = max(low, cap)
        h = self._hash(keys)
        return f"CASE WHEN {self._chance(h, 0.25)} THEN {low} ELSE {low} + {self._index(h, high - low + 1)} END"

    def ranges(self, child: str, keys: list[str], field: dict[str, str], values: dict[str, str],
               split: bool = False) -> str:
        """The ``{b, e}`` dates of a partition's elements: a contiguous partition of the
        enclosing period, or without one a contiguous chain from a drawn start. ``split``: the
        list a population is split by — one element (the whole period)."""
        space = self.space
        spec = self.checked.scopes[child]
        partition = space.partitions[child]
        low = spec.min_count or 0
        cap = self.limits.max_list if spec.max_count is None else min(spec.max_count, self.limits.max_list)
        high = max(low, cap)
        if split:
            low = high = 1
        start = self._draw(space.domains[partition.start], space.inputs[partition.start], self._hash(keys), "DATE")
        hc = self._hash(keys)
        chain_count = f"({low} + {self._index(hc, high - low + 1)})"
        off = self.offset([*keys, "j"])
        chain = (f"list_transform([list_transform(range({chain_count}), lambda j: {off})], lambda o: "
                 f"list_transform(range(len(o)), lambda j: struct_pack(b := {start} + CAST(j + "
                 f"coalesce(list_sum(o[1:j]), 0) AS INTEGER), e := {start} + CAST(j + list_sum(o[1:j + 1]) "
                 "AS INTEGER))))[1]")
        if partition.period is None or not all(p in field for p in partition.period):
            return chain
        begin, end = values[partition.period[0]], values[partition.period[1]]
        least = max(low, 1)
        days = f"(CAST({end} - {begin} AS BIGINT) + 1)"
        hp = self._hash(keys)
        hi = f"greatest({least}, least({high}, {days}))"
        count = f"({least} + CAST(({hp} // 1000000) % ({hi} - {least} + 1) AS BIGINT))"
        hcut = self._hash([*keys, "j"])
        # count - 1 distinct cuts in 1 … days - 1: sorted draws from 1 … days - count + 1, the j-th raised by j
        cuts = (f"CASE WHEN n <= {days} THEN list_transform(list_sort(list_transform(range(n - 1), lambda j: "
                f"1 + CAST(({hcut} // 1000000) % ({days} - n + 1) AS BIGINT))), lambda y, j: y + j - 1) "
                f"ELSE list_transform(range(1, n), lambda j: least(j, {days} - 1)) END")
        period = (f"list_transform([{count}], lambda n: list_transform([list_concat([0], {cuts})], lambda o: "
                  f"list_transform(range(n), lambda j: struct_pack(b := {begin} + CAST(o[j + 1] AS INTEGER), "
                  f"e := CASE WHEN j + 1 < n THEN {begin} + CAST(o[j + 2] - 1 AS INTEGER) ELSE {end} END)))[1])[1]")
        return (f"CASE WHEN {begin} IS NOT NULL AND {end} IS NOT NULL AND {end} >= {begin} THEN {period} "
                f"ELSE {chain} END")

    def query(self, n: int, numbered: bool = False) -> str:
        """The query of ``n`` cases, ordered by case number. ``numbered``: the case numbers come
        from the table :data:`_NUMBERS` (0 … n − 1 in order, made by :func:`_write`), which DuckDB
        scans on every thread (a ``range`` is read by one); the query then has no ORDER BY and
        keeps the order by DuckDB's order preservation (a table scan and the projections over it
        keep the table's order while ``preserve_insertion_order`` is set, as :func:`_connection` does)."""
        # the checks of the elements of depth k (layer ck) read the final values of their enclosing
        # elements (layers d0 … dk-1)
        deepest = max(scope.depth for scope in self.checked.scopes.values())
        order = ["n", "a", "b", *(f"{x}{k}" for k in range(deepest + 1) for x in "fhecd"), "r"]
        layers: dict[str, dict[str, str]] = {layer: {} for layer in order}
        try:
            case = self.instances("", (), layers)
        finally:
            if self.sandbox is not None:
                self.sandbox.close()
                self.sandbox = None

        def select(columns: dict[str, str], source: str) -> str:
            listed = "".join(f", {v} AS {k}" for k, v in columns.items())
            return f"(SELECT *{listed} FROM {source})"

        n = int(n)
        cases = _NUMBERS if numbered else f"range(CAST({n} AS BIGINT))"
        source = f"(SELECT _c{''.join(f', {v} AS {k}' for k, v in self.hashes.items())} FROM {cases} AS t(_c))"
        for layer in order:
            if layers[layer]:
                source = select(layers[layer], source)
        ordered = "" if numbered else " ORDER BY _c"
        if self.json:
            return f"SELECT {case} AS j FROM {source}{ordered}"
        return f"SELECT _c + 1 AS fall, unnest({case}) FROM {source}{ordered}"


def population_query(model: Model, n: int, seed: int, split: str | None = None, repair: bool = True,
                     **limits: Any) -> str:
    """The DuckDB query of ``n`` generated cases of ``model`` for ``seed``: a column ``fall``
    (1 …) and one column per top-level key of a case (an input, a package as a STRUCT, a list as a
    LIST of STRUCT; NULL: left out), ordered by ``fall``. ``split``: a list on the top level that
    holds exactly one element in every case (``bewohner``: a person case of MAWo). ``repair``
    False: the first draw of every input, whatever the element's checks say."""
    return _Query(model, seed, split, Limits(**limits), repair=repair).query(n)


def write_population(model: Model, n: int, seed: int, out: str | Path | TextIO, fmt: str | None = None,
                     split: str | None = None, threads: int | None = None, ascii_only: bool = False,
                     repair: bool = True, **limits: Any) -> int:
    """Write ``n`` generated cases (:func:`population_query`) to ``out`` — a ``.parquet`` or
    ``.jsonl`` (``.ndjson``) file (``fmt``: ``parquet`` or ``jsonl``; default by the suffix, a
    :class:`~teilhabe_rules.tools.export.FormatError` for any other without ``fmt``) or a text stream
    (JSON Lines). Parquet: one row per case, the columns of :func:`population_query` (numbers as
    DECIMAL). JSON Lines: one case per line, left-out inputs absent; each line's JSON text is made
    in the query, a file written by DuckDB itself (on all ``threads``), a stream line by line from
    Python — the same bytes. ``threads``: DuckDB's threads (default: the machine's cores; the
    cases are the same for any number); ``ascii_only``: JSON escapes for every other character
    (a text stream only, for a console that cannot show them; a file is UTF-8). A file is
    complete or absent (:func:`~teilhabe_rules.duck.published`). Gives the number of cases."""
    if not isinstance(out, (str, Path)):
        out = file_path(out) or out  # (another library's path type; a text stream as it is)
    if n < 0:
        raise ValueError(f"n: {n} (a number of cases, at least 0)")
    if isinstance(out, (str, Path)):
        suffix = Path(out).suffix.lower()
        if fmt is None and SUFFIXES.get(suffix) not in FORMATS:  # (a CSV or Excel file, any other: never guessed)
            what = f", keine {suffix}-Datei" if suffix else "; der Name hat keine Endung, die eins davon sagt"
            raise FormatError(Diagnostic(
                f"„{out}“: write_population schreibt Parquet oder JSON Lines{what}",
                hint="eine Datei auf .parquet, .jsonl oder .ndjson, oder fmt angeben; CSV und Excel: "
                     "tools.compare.generate_population", code="ausgabe"))
        chosen = fmt or ("parquet" if suffix == ".parquet" else "jsonl")
    else:
        chosen = "jsonl"
    if chosen not in FORMATS or (chosen == "parquet" and not isinstance(out, (str, Path))):
        raise ValueError(chosen)
    workers = int(threads or os.cpu_count() or 1)
    builder = _Query(model, seed, split, Limits(**limits), json=chosen == "jsonl", repair=repair)
    file = isinstance(out, (str, Path)) and chosen == "jsonl"
    query = builder.query(n, numbered=file)
    import duckdb

    where = str(out) if isinstance(out, (str, Path)) else "die Ausgabe"
    try:
        _write(query, out, chosen, workers, ascii_only, n if file else None)
    except duckdb.OutOfMemoryException:
        raise out_of_memory(where) from None
    except (OSError, duckdb.Error) as exc:
        reason = write_problem(exc) if isinstance(exc, OSError) else str(exc).splitlines()[0]
        raise CaseError(Diagnostic(f"„{where}“ lässt sich nicht schreiben: {reason}", code="ausgabe")) from None
    return n


def _write(query: str, out: str | Path | TextIO, chosen: str, threads: int, ascii_only: bool,
           numbers: int | None = None) -> None:
    """``numbers``: the query reads that many case numbers from :data:`_NUMBERS`, made here."""
    if not isinstance(out, (str, Path)):
        with Sandbox([]) as sandbox:
            _lines(_connection(sandbox, threads), query, out, ascii_only)
        return
    options = "FORMAT parquet, COMPRESSION zstd" if chosen == "parquet" else _JSON_LINES
    with published(str(out), "." + chosen) as written, Sandbox([written]) as sandbox:
        con = _connection(sandbox, threads)
        if numbers is not None:
            count = int(numbers)
            con.execute(f"CREATE TEMP TABLE {_NUMBERS} AS SELECT range AS _c FROM range(CAST({count} AS BIGINT))")
        con.execute(f"COPY ({query}) TO {_string(sandbox.paths[0])} ({options})")


def _connection(sandbox: Sandbox, threads: int) -> Any:
    con = sandbox.connection
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    return con


def _lines(con: Any, query: str, out: TextIO, ascii_only: bool = False) -> None:
    """The JSON texts of ``query`` as lines of ``out``, in order."""
    result = con.execute(query)
    while True:
        batch = result.fetchmany(_BATCH)
        if not batch:
            return
        text = "\n".join(row[0] for row in batch) + "\n"
        out.write(_NON_ASCII.sub(_escape, text) if ascii_only else text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _escape(match: re.Match[str]) -> str:
    """A character as its JSON escape (beyond the BMP: a surrogate pair)."""
    code = ord(match.group(0))
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
