"""What the handbook shows, read from a loaded model through the public APIs.

Takes: a :class:`~teilhabe_rules.model.Model`, optionally an
:class:`~teilhabe_rules.inputs.agreements.Agreement` and an older version (a second ``Model``).
Gives: :class:`Handbook` — plain records with every text already formatted (German numbers,
:mod:`.numbers`) and the corridor charts as SVG (:mod:`.charts`), which the templates only lay
out: the header, the packages with levels, corridors, inputs, values and checks, parameters,
staff keys, tables, the examples evaluated with their explanations, the example coverage
(:mod:`teilhabe_rules.tools.example_coverage`) and the semantic diff (:mod:`teilhabe_rules.tools.diff`).
"""

from __future__ import annotations

import contextlib
import copy
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from markupsafe import Markup

from ...errors import TeilhabeError
from ...inputs.agreements import AgreedTable, Agreement
from ...inputs.cases import convert_value
from ...ir import checked as c
from ...ir import toolkit
from ...ir.text import FULL
from ...model import Model
from ...paths import format_path
from ..diff import SECTIONS, diff_models
from ..example_coverage import CoverageItem, example_coverage
from ..testing import example_id, names_the_rejection
from .charts import Bounds, ChartBand, band_text, corridor_svg
from .numbers import quantity_text, value_text

__all__ = ["Handbook", "build"]

OVERVIEW = "index.html"

_RULE_TEXT = {
    "korridor": "nach Korridor: die Stufe des Bands, in dem die Größe liegt",
    "ausdruck": "nach Formel",
    "einschätzung": "nach fachlicher Einschätzung (eine Eingabe)",
}
_CHANGE_WORDS = {"hinzugefügt": "neu", "entfernt": "entfällt", "geändert": "geändert"}
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def slug(text: str) -> str:
    """An ASCII name for files and anchors: ``bewohner.lp2a`` → ``bewohner-lp2a``."""
    plain = unicodedata.normalize("NFKD", text.translate(_TRANSLIT)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9_]+", "-", plain).strip("-").lower() or "x"


def _numbered(prefix: str, ids: Iterable[str], default: str = "x") -> dict[str, str]:
    """``<prefix>-<slug>`` for each id; ids of the same slug (``Tage`` and ``tage``, ``nächte`` and
    ``naechte``, ``"a b"`` and ``"a-b"``) numbered on in their order (``paket-tage-2``), so no
    name is given twice — also where a file system ignores case."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for ident in ids:
        base = f"{prefix}-{slug(ident or default)}"
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base}-{number}"
        taken.add(name)
        names[ident] = name
    return names


def _unique_files(packages: Iterable[str]) -> dict[str, str]:
    """The page of each package, ``paket-<slug>.html``, no two the same (:func:`_numbered`)."""
    return {pid: name + ".html" for pid, name in _numbered("paket", packages).items()}


# ---- records ----------------------------------------------------------------------------------


@attrs.frozen
class Link:
    text: str
    href: str
    title: str | None = None  # the longer name, shown on hovering


@attrs.frozen
class Header:
    name: str
    title: str
    long_title: str | None
    version: str | None
    validity: str
    family: str | None
    reference_date: str | None
    budget: str | None
    description: str | None
    sources: tuple[str, ...]
    file: str
    extends: str | None
    agreement: str | None
    previous: str | None


@attrs.frozen
class ParameterRow:
    anchor: str
    name: str
    doc: str | None
    value: str
    periods: tuple[str, ...]
    unit: str
    range: str | None
    agreed: str | None  # the agreed value, where an agreement sets one
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    used_by: tuple[Link, ...]


@attrs.frozen
class TableRow:
    keys: tuple[str, ...]
    value: str
    doc: str | None
    assumptions: tuple[str, ...]
    agreed: str | None
    examples: int | None  # how many examples reach it (None: the row exists only in the agreement)


@attrs.frozen
class TableView:
    anchor: str
    name: str
    title: str | None
    key_headers: tuple[str, ...]
    value_header: str
    partial: bool
    rows: tuple[TableRow, ...]
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    used_by: tuple[Link, ...]


@attrs.frozen
class InputRow:
    name: str
    type: str
    required: str
    label: str | None


@attrs.frozen
class ValueRow:
    name: str
    kind: str
    type: str
    label: str | None
    formula: str
    line: int


@attrs.frozen
class CheckRow:
    kind: str
    message: str
    condition: str
    line: int


@attrs.frozen
class BandRow:
    level: str
    label: str
    lower: str
    upper: str
    agreed: str | None
    old: str | None
    examples: int


@attrs.frozen
class CorridorView:
    anchor: str
    subject: str
    unit: str
    svg: Markup | None  # None where a bound is no known number (it depends on the case)
    bands: tuple[BandRow, ...]


@attrs.frozen
class LevelRow:
    number: int
    label: str
    criteria: str | None
    examples: int


@attrs.frozen
class Expectation:
    path: str
    expected: str
    computed: str
    ok: bool
    explanation: str | None


@attrs.frozen
class ExampleView:
    anchor: str
    ident: str
    title: str | None
    line: int
    template: str | None
    inputs: tuple[tuple[str, str], ...]
    agreement: tuple[tuple[str, str], ...]
    at: str | None
    expectations: tuple[Expectation, ...]
    expected_errors: tuple[str, ...]
    outcome: str  # the error the evaluation gave, or empty
    passed: bool


@attrs.frozen
class PackageView:
    file: str
    anchor: str
    name: str
    title: str
    scope: str
    rule: str
    level_formula: str | None
    levels: tuple[LevelRow, ...]
    corridor: CorridorView | None
    inputs: tuple[InputRow, ...]
    values: tuple[ValueRow, ...]
    checks: tuple[CheckRow, ...]
    parameters: tuple[Link, ...]
    tables: tuple[Link, ...]
    examples: tuple[ExampleView, ...]


@attrs.frozen
class ScopeView:
    anchor: str
    name: str
    title: str | None
    count: str | None
    inputs: tuple[InputRow, ...]
    values: tuple[ValueRow, ...]
    checks: tuple[CheckRow, ...]


@attrs.frozen
class UnreachedRow:
    kind: str
    owner: Link
    label: str


@attrs.frozen
class CoverageView:
    examples: int
    evaluated: int
    counts: tuple[tuple[str, int, int], ...]
    unreached: tuple[UnreachedRow, ...]
    expecting_errors: int = 0
    failed: tuple[Link, ...] = ()  # examples expecting no error whose evaluation failed


@attrs.frozen
class ChangeRow:
    kind: str
    subject: str
    old: str | None
    new: str | None
    note: str | None


@attrs.frozen
class DiffView:
    old: str
    new: str
    sections: tuple[tuple[str, tuple[ChangeRow, ...]], ...]
    count: int


@attrs.frozen
class Handbook:
    header: Header
    packages: tuple[PackageView, ...]
    scopes: tuple[ScopeView, ...]
    parameters: tuple[ParameterRow, ...]
    keys: tuple[ParameterRow, ...]
    tables: tuple[TableView, ...]
    examples: tuple[ExampleView, ...]  # those of no package
    coverage: CoverageView
    diff: DiffView | None
    assumptions: int  # how many assumptions the model states


# ---- building ------------------------------------------------------------------------------------


def build(model: Model, agreement: Agreement | None = None, previous: Model | None = None) -> Handbook:
    """The handbook of ``model`` (with ``agreement``: its agreed values; with ``previous``: the
    changes since that version)."""
    return _Builder(model, agreement, previous).handbook()


def _type_text(vtype: c.ValueType) -> str:
    if vtype.kind is c.TypeKind.ZAHL:
        base = "ganze Zahl" if vtype.integer else "Zahl"
        if vtype.choices is not None:
            base = "Auswahl " + ", ".join(value_text(choice, vtype) for choice in vtype.choices)
        unit = str(vtype.unit)
        return f"{base} in {unit}" if unit else base
    return vtype.describe()


def _range_text(vtype: c.ValueType) -> str | None:
    if vtype.kind is not c.TypeKind.ZAHL or vtype.choices is not None or (vtype.low is None and vtype.high is None):
        return None
    low = quantity_text(vtype.low, vtype) if vtype.low is not None else "−∞"
    high = quantity_text(vtype.high, vtype) if vtype.high is not None else "∞"
    return f"{low} bis {high}"


def _flatten(data: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """The leaves of case data, by path (list elements counted from 1; an empty list is a leaf)."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _flatten(value, (*prefix, str(key)))
    elif isinstance(data, (list, tuple)) and data:
        for number, item in enumerate(data, start=1):
            yield from _flatten(item, (*prefix, number))
    else:
        yield prefix, data


def _inside(path: tuple[str | int, ...], outer: tuple[str | int, ...]) -> bool:
    """Whether ``path`` lies within ``outer`` (``bewohner[1].massnahmen[1].stunden`` within
    ``bewohner[1].massnahmen``)."""
    return len(path) > len(outer) and path[:len(outer)] == outer


class _Builder:
    """Reads one model (with its agreement and older version) into a :class:`Handbook`; the
    example coverage is computed once and matched to bands, rows and levels by their place."""

    def __init__(self, model: Model, agreement: Agreement | None, previous: Model | None):
        self.model = model
        self.checked = model.checked
        self.agreement = agreement
        self.previous = previous
        self.defaults: Mapping[str, Any] = model.parameters
        self.coverage = example_coverage(model)
        self.reached: dict[tuple[str, str, str], CoverageItem] = {
            (item.kind, item.owner, item.location): item for item in self.coverage.items
        }
        self.package_files = _unique_files(self.checked.packages)
        # the anchors of the overview page, each given once (the root scope before a list named ``modell``)
        self.anchors = {
            "parameter": _numbered("parameter", self.checked.parameters),
            "tabelle": _numbered("tabelle", self.checked.tables),
            "ebene": _numbered("ebene", self.checked.scopes, default="modell"),
            "beispiel": _numbered("beispiel", (example_id(model, e).split("::", 1)[-1] for e in self.checked.examples)),
        }
        self.package_of_node = {(p.scope, p.name): pid for pid, p in self.checked.packages.items()}
        self.used_by = self._readers()
        self.agreed_tables = self._agreed_tables()

    # ---- helpers ----

    def _where(self, span: Any) -> str:
        return f"{self.checked.file_of(span)}:{span.line}"

    def _examples_at(self, kind: str, owner: str, span: Any) -> int:
        item = self.reached.get((kind, owner, self._where(span)))
        return len(item.examples) if item is not None else 0

    def _package_link(self, pid: str, short: bool = False) -> Link:
        spec = self.checked.packages[pid]
        if short:
            return Link(spec.name, self.package_files[pid], spec.title)
        return Link(spec.title or spec.name, self.package_files[pid])

    def _readers(self) -> dict[str, list[str]]:
        """Parameter and table id → the packages (ids) whose rules read it, in model order."""
        out: dict[str, list[str]] = {}
        for node in self.checked.nodes.values():
            package = getattr(node, "package", None)
            pid = self.package_of_node.get((node.scope, package)) if package else None
            if pid is None:
                continue
            for expr in toolkit.walk(node):
                name = None
                if isinstance(expr, c.Ref) and expr.kind is c.RefKind.PARAMETER:
                    name = expr.symbol
                elif isinstance(expr, c.Lookup):
                    name = expr.table
                if name is not None and pid not in out.setdefault(name, []):
                    out[name].append(pid)
        return out

    # ---- the parts ----

    def handbook(self) -> Handbook:
        examples = self._examples()
        by_package: dict[str, list[ExampleView]] = {}
        loose: list[ExampleView] = []
        for spec, view in examples:
            if self._example_page(spec) != OVERVIEW:
                by_package.setdefault(spec.package_id or "", []).append(view)
            else:
                loose.append(view)
        packages = tuple(self._package(pid, by_package.get(pid, [])) for pid in self.checked.packages)
        parameters = [self._parameter(spec) for spec in self.checked.parameters.values()]
        keys = tuple(row for row, spec in zip(parameters, self.checked.parameters.values(), strict=True)
                     if spec.type.kind is c.TypeKind.SCHLUESSEL)
        others = tuple(row for row, spec in zip(parameters, self.checked.parameters.values(), strict=True)
                       if spec.type.kind is not c.TypeKind.SCHLUESSEL)
        assumptions = sum(len(p.assumptions) + sum(len(q.assumptions) for q in p.periods)
                          for p in self.checked.parameters.values())
        assumptions += sum(len(t.assumptions) + sum(len(r.assumptions) for r in t.rows)
                           for t in self.checked.tables.values())
        return Handbook(
            header=self._header(),
            packages=packages,
            scopes=tuple(self._scope(spec) for spec in self.checked.scopes.values()),
            parameters=others,
            keys=keys,
            tables=tuple(self._table(spec) for spec in self.checked.tables.values()),
            examples=tuple(loose),
            coverage=self._coverage(),
            diff=self._diff(),
            assumptions=assumptions,
        )

    def _header(self) -> Header:
        info = self.checked.info
        validity = f"gültig ab {value_text(info.valid_from)}" if info.valid_from else "ohne Beginn der Gültigkeit"
        if info.valid_to:
            validity += f" bis {value_text(info.valid_to)}"
        agreement = None
        if self.agreement is not None:
            agreement = self.agreement.name or "Vereinbarung"
            if self.agreement.valid_from or self.agreement.valid_to:
                agreement += f" ({self.agreement.validity_text()})"
        previous = None
        if self.previous is not None:
            old = self.previous.checked.info
            previous = f"{old.named()} ({Path(old.file).name})"
        return Header(
            name=info.name, title=info.title or info.name, long_title=info.long_title, version=info.version,
            validity=validity, family=info.family,
            reference_date=".".join(info.reference_date) if info.reference_date else None,
            budget=".".join(info.budget) if info.budget else None, description=info.description,
            sources=info.sources, file=Path(info.file).name, extends=info.extends, agreement=agreement,
            previous=previous,
        )

    def _parameter(self, spec: c.ParameterSpec) -> ParameterRow:
        periods = tuple(
            f"ab {value_text(p.valid_from)}" + (f" bis {value_text(p.valid_to)}" if p.valid_to else "")
            + f": {quantity_text(p.value, spec.type)}"
            + "".join(f" (Annahme: {text})" for text in p.assumptions)
            for p in spec.periods
        )
        agreed = None
        if self.agreement is not None and spec.id in self.agreement.overridden:
            agreed = quantity_text(self.agreement.parameters[spec.id], spec.type)
        return ParameterRow(
            anchor=self.anchors["parameter"][spec.id], name=spec.name, doc=spec.doc,
            value=quantity_text(spec.default, spec.type), periods=periods,
            unit=str(spec.type.unit) if spec.type.kind is c.TypeKind.ZAHL else "", range=_range_text(spec.type),
            agreed=agreed, assumptions=spec.assumptions, sources=spec.sources,
            used_by=tuple(self._package_link(pid, short=True) for pid in self.used_by.get(spec.id, ())),
        )

    def _table(self, spec: c.TableSpec) -> TableView:
        agreed_rows = self.agreement.tables.get(spec.id) if self.agreement is not None else None
        single = len(spec.key_types) == 1
        rows = []
        for row in spec.rows:
            key = row.keys[0] if single else tuple(row.keys)
            agreed = None
            if agreed_rows is not None and spec.id in self.agreed_tables:
                if isinstance(agreed_rows, AgreedTable) and key in agreed_rows.removed:
                    agreed = "nicht vereinbart"
                elif key in agreed_rows and not _same(agreed_rows[key], row.value):
                    agreed = quantity_text(agreed_rows[key], spec.value_type)
            rows.append(TableRow(
                keys=tuple(quantity_text(k, t) for k, t in zip(row.keys, spec.key_types, strict=True)),
                value=quantity_text(row.value, spec.value_type), doc=row.doc, assumptions=row.assumptions,
                agreed=agreed, examples=self._examples_at("tabelle", spec.name, row.span),
            ))
        if agreed_rows is not None and spec.id in self.agreed_tables:
            known = {row.keys[0] if single else tuple(row.keys) for row in spec.rows}
            for key, value in agreed_rows.items():
                if key in known:
                    continue
                keys = (key,) if single else tuple(key)
                rows.append(TableRow(
                    keys=tuple(quantity_text(k, t) for k, t in zip(keys, spec.key_types, strict=True)), value="—",
                    doc=None, assumptions=(), agreed=quantity_text(value, spec.value_type), examples=None,
                ))
        return TableView(
            anchor=self.anchors["tabelle"][spec.id], name=spec.name, title=spec.title,
            key_headers=tuple(_type_text(t) for t in spec.key_types), value_header=_type_text(spec.value_type),
            partial=spec.partial, rows=tuple(rows), assumptions=spec.assumptions, sources=spec.sources,
            used_by=tuple(self._package_link(pid, short=True) for pid in self.used_by.get(spec.id, ())),
        )

    def _agreed_tables(self) -> set[str]:
        """The tables the agreement sets rows of (a table it leaves alone is the model's)."""
        if self.agreement is None:
            return set()
        base = self.model.tables
        return {tid for tid, rows in self.agreement.tables.items()
                if isinstance(rows, AgreedTable) or dict(rows) != dict(base.get(tid, {}))}

    def _inputs(self, scope: str, prefix: str | None) -> tuple[InputRow, ...]:
        rows = []
        for spec in self.checked.scopes[scope].inputs:
            inside = spec.key.startswith(prefix + ".") if prefix else not any(
                spec.key.startswith(p.name + ".") for p in self.checked.packages.values() if p.scope == scope)
            if not inside:
                continue
            required = "Pflichtangabe" if spec.required else f"Standard: {quantity_text(spec.default, spec.type)}"
            rows.append(InputRow(".".join(spec.path), _type_text(spec.type), required, spec.label))
        return tuple(rows)

    def _nodes(self, scope: str, package: str | None) -> tuple[tuple[ValueRow, ...], tuple[CheckRow, ...]]:
        values, checks = [], []
        for node in self.checked.nodes.values():
            if node.scope != scope or getattr(node, "package", None) != package:
                continue
            if isinstance(node, c.CheckNode):
                message = "".join(part if isinstance(part, str) else "{" + toolkit.render(part) + "}"
                                  for part in node.message)
                kind = "Prüfung" if node.kind is c.NodeKind.PRUEFUNG else "Warnung"
                checks.append(CheckRow(kind, message, toolkit.render(node.expr), node.span.line))
            elif isinstance(node, c.ValueNode):
                name = node.key.rsplit(".", 1)[-1] if package else node.key
                values.append(ValueRow(name, "Wert", _type_text(node.type), node.label or node.doc,
                                       toolkit.render(node.expr), node.span.line))
        return tuple(values), tuple(checks)

    def _scope(self, spec: c.ScopeSpec) -> ScopeView:
        values, checks = self._nodes(spec.id, None)
        count = None
        if spec.id:
            parts = [f"mindestens {spec.min_count}" if spec.min_count is not None else "",
                     f"höchstens {spec.max_count}" if spec.max_count is not None else ""]
            count = ", ".join(p for p in parts if p) or "beliebig viele Einträge"
        name = spec.name if not spec.id else format_path(tuple(spec.id.split("."))).replace(".", "[].") + "[]"
        return ScopeView(self.anchors["ebene"][spec.id], name, spec.title, count, self._inputs(spec.id, None),
                         values, checks)

    def _package(self, pid: str, examples: list[ExampleView]) -> PackageView:
        spec = self.checked.packages[pid]
        values, checks = self._nodes(spec.scope, spec.name)
        levels = tuple(LevelRow(level.number, level.label, level.criteria,
                                self._examples_at("stufe", spec.name, level.span)) for level in spec.levels)
        level_formula = None
        corridor = None
        for node in self.checked.nodes.values():
            if getattr(node, "package", None) != spec.name or node.scope != spec.scope:
                continue
            if isinstance(node, c.ExpressionLevelNode):
                level_formula = toolkit.render(node.expr)
            elif isinstance(node, c.CorridorLevelNode) and node.bands:
                corridor = self._corridor(spec, node)
        reads = [name for name, readers in self.used_by.items() if pid in readers]
        parameters = tuple(Link(name, f"{OVERVIEW}#{self.anchors['parameter'][name]}") for name in reads
                           if name in self.checked.parameters)
        tables = tuple(Link(self.checked.tables[name].name, f"{OVERVIEW}#{self.anchors['tabelle'][name]}")
                       for name in reads if name in self.checked.tables)
        rule = _RULE_TEXT.get(spec.rule or "", "ohne Stufen")
        scope = self.checked.scopes[spec.scope]
        where = "das Modell (einmal je Fall)" if not spec.scope else f"jedes Element der Liste „{scope.name}“"
        return PackageView(
            file=self.package_files[pid], anchor=self.package_files[pid][len("paket-"):-len(".html")],
            name=spec.name, title=spec.title or spec.name,
            scope=where, rule=rule, level_formula=level_formula, levels=levels, corridor=corridor,
            inputs=self._inputs(spec.scope, spec.name), values=values, checks=checks, parameters=parameters,
            tables=tables, examples=tuple(examples),
        )

    def _bounds(self, band: c.BandSpec, values: Mapping[str, Any]) -> Bounds | None:
        low = toolkit.const_value(band.lower, values) if band.lower is not None else None
        high = toolkit.const_value(band.upper, values) if band.upper is not None else None
        if (band.lower is not None and not isinstance(low, Decimal)) or (
                band.upper is not None and not isinstance(high, Decimal)):
            return None
        return Bounds(low, band.lower_inclusive, high, band.upper_inclusive)

    def _bound_text(self, expr: c.Expr | None, inclusive: bool, side: str, value: Decimal | None, unit: str) -> str:
        if expr is None:
            return "offen"
        word = ("ab" if inclusive else "über") if side == "lower" else ("bis" if inclusive else "unter")
        shown = band_text(Bounds(value, inclusive, None, False) if side == "lower" else
                          Bounds(None, False, value, inclusive), unit) if value is not None else None
        if isinstance(expr, c.Const) and shown is not None:
            return shown
        symbol = toolkit.render(expr)
        return f"{word} {symbol}" + (f" = {shown.split(' ', 1)[1]}" if shown is not None else "")

    def _corridor(self, spec: c.PackageSpec, node: c.CorridorLevelNode) -> CorridorView:
        unit = str(node.subject.type.unit)
        labels = {level.number: level.label for level in spec.levels}
        # the former bands of each level (a level may have several), in the former corridor's order
        old_bands: dict[int, list[Bounds | None]] = {}
        if self.previous is not None:
            for former in self.previous.checked.nodes.values():
                if (isinstance(former, c.CorridorLevelNode) and former.scope == node.scope
                        and former.package == node.package):
                    old_bands = {}
                    for band in former.bands:
                        old_bands.setdefault(band.level, []).append(self._bounds(band, self.previous.parameters))
        seen: dict[int, int] = {}  # the bands of each level so far
        agreed_values = self.agreement.parameters if self.agreement is not None else None
        chart: list[ChartBand] = []
        rows: list[BandRow] = []
        drawable = True
        for band in node.bands:
            bounds = self._bounds(band, self.defaults)
            agreed = self._bounds(band, agreed_values) if agreed_values is not None else None
            nth = seen[band.level] = seen.get(band.level, -1) + 1
            label = labels.get(band.level, "")
            lower_text = self._bound_text(band.lower, band.lower_inclusive, "lower",
                                          bounds.lower if bounds else None, unit)
            upper_text = self._bound_text(band.upper, band.upper_inclusive, "upper",
                                          bounds.upper if bounds else None, unit)
            shown_agreed = agreed if agreed is not None and agreed != bounds else None
            shown_old = None
            old_text = None
            if self.previous is not None:
                # unchanged where the level had a band of these bounds; else its band of the same place
                formers = old_bands.get(band.level, [])
                if nth >= len(formers):
                    old_text = "neu"
                elif bounds not in formers:
                    shown_old = formers[nth]
                    old_text = band_text(shown_old, unit) if shown_old is not None else "anders"
            rows.append(BandRow(
                level=str(band.level), label=label, lower=lower_text, upper=upper_text,
                agreed=band_text(shown_agreed, unit) if shown_agreed is not None else None,
                old=old_text, examples=self._examples_at("korridor", node.package, band.span),
            ))
            if bounds is None:
                drawable = False
                continue
            chart.append(ChartBand(band.level, label, bounds, shown_agreed, shown_old))
        anchor = f"korridor-{slug(spec.id)}"
        subject = toolkit.render(node.subject)
        svg = None
        if drawable:
            title = f"Korridor {spec.title or spec.name}: Stufe nach {subject}" + (f" in {unit}" if unit else "")
            svg = corridor_svg(anchor, title, unit, chart)
        return CorridorView(anchor, subject, unit, svg, tuple(rows))

    # ---- examples ----

    def _examples(self) -> list[tuple[c.ExampleSpec, ExampleView]]:
        return [(spec, self._example(spec)) for spec in self.checked.examples]

    def _input_type(self, steps: tuple[str | int, ...]) -> c.ValueType | None:
        """The type of the case input at ``steps`` (``bewohner[1].lp2a.kap4``), if it is one."""
        scope = ""
        rest = list(steps)
        while rest:
            step = rest[0]
            children = {self.checked.scopes[child].name: child for child in self.checked.scopes[scope].lists}
            if isinstance(step, str) and step in children:
                scope = children[step]
                rest = rest[2:] if len(rest) > 1 and isinstance(rest[1], int) else rest[1:]
                continue
            break
        path = tuple(str(step) for step in rest)
        for spec in self.checked.scopes[scope].inputs:
            if spec.path == path:
                return spec.type
        return None

    def _case_inputs(self, example: c.ExampleSpec) -> tuple[str | None, tuple[tuple[str, str], ...]]:
        """(the template the case differs least from, the inputs that differ from it); without a
        close template, every input."""
        leaves = dict(_flatten(example.case))
        best: tuple[int, str] | None = None
        for name, template in self.checked.templates.items():
            base = dict(_flatten(template))
            differing = sum(1 for path in leaves.keys() | base.keys()
                            if path not in leaves or path not in base or not _same(leaves[path], base[path]))
            if best is None or differing < best[0]:
                best = (differing, name)
        template_name = best[1] if best is not None and best[0] < len(leaves) / 2 else None
        base = dict(_flatten(self.checked.templates[template_name])) if template_name else {}
        shown = []
        for path in sorted(leaves.keys() | base.keys(), key=lambda p: tuple(str(s) for s in p)):
            if path in leaves and path in base and _same(leaves[path], base[path]):
                continue
            if path not in leaves and any(_inside(leaf, path) or _inside(path, leaf) for leaf in leaves):
                continue  # a list the example gives other elements, or none: its own rows say so
            text = "entfällt" if path not in leaves else self._case_value(path, leaves[path])
            shown.append((format_path(path), text))
        order = {format_path(path): number for number, path in enumerate(leaves)}
        shown.sort(key=lambda item: order.get(item[0], len(order)))
        return template_name, tuple(shown)

    def _case_value(self, path: tuple[str | int, ...], value: Any) -> str:
        if isinstance(value, (list, tuple)) and not value:
            return "keine Einträge"
        vtype = self._input_type(path)
        if vtype is not None:
            with contextlib.suppress(ValueError):  # (else shown as written)
                # as the case loader reads it: "45 %" is 0.45, 45 (a share) is 45 %, "31 Tage" is 31
                value = convert_value(value, vtype)
        return quantity_text(value, vtype)

    def _example(self, example: c.ExampleSpec) -> ExampleView:
        ident = example_id(self.model, example)
        template, inputs = self._case_inputs(example)
        agreed = tuple((name, value_text(value)) for name, value, _span in example.agreement)
        expectations: list[Expectation] = []
        outcome = ""
        passed = True
        try:
            agreement = None
            if example.agreement:
                agreement = self.model.load_agreement({"parameter": {
                    name: str(value) if not isinstance(value, (str, bool)) else value
                    for name, value, _span in example.agreement}})
            result = self.model.evaluate(copy.deepcopy(example.case), agreement, explain=True, at=example.at)
        except TeilhabeError as exc:
            outcome = "; ".join(d.message for d in exc.diagnostics) if exc.diagnostics else str(exc)
            passed = bool(example.expected_errors) and all(names_the_rejection(exc, e) for e in example.expected_errors)
        else:
            passed = not example.expected_errors
            for expectation in example.expectations:
                path = format_path(expectation.path)
                try:
                    actual = result.value(expectation.path)
                except (KeyError, IndexError):
                    actual = None
                ok = actual == expectation.value and not (type(actual) is bool and type(expectation.value) is not bool)
                passed = passed and ok
                try:
                    explanation: str | None = result.explain(path).text
                except KeyError:
                    explanation = None
                expectations.append(Expectation(path, quantity_text(expectation.value, expectation.type),
                                                quantity_text(actual, expectation.type), ok, explanation))
        return ExampleView(
            anchor=self.anchors["beispiel"][ident.split("::", 1)[-1]], ident=example.id, title=example.title,
            line=example.span.line, template=template, inputs=inputs, agreement=agreed,
            at=value_text(example.at) if example.at else None, expectations=tuple(expectations),
            expected_errors=example.expected_errors, outcome=outcome, passed=passed,
        )

    # ---- coverage and diff ----

    def _coverage(self) -> CoverageView:
        words = {"korridor": "Korridorbänder", "tabelle": "Tabellenzeilen", "stufe": "Stufen"}
        counts = tuple((words[kind], reached, total) for kind, (reached, total) in self.coverage.counts().items()
                       if total)
        packages = {p.name: pid for pid, p in self.checked.packages.items()}
        tables = {t.name: tid for tid, t in self.checked.tables.items()}
        unreached = []
        for item in self.coverage.unreached():
            if item.kind == "tabelle" and item.owner in tables:
                owner = Link(item.owner, f"{OVERVIEW}#{self.anchors['tabelle'][tables[item.owner]]}")
                label = self._row_label(tables[item.owner], item)
            elif item.owner in packages:
                owner = self._package_link(packages[item.owner])
                label = self._level_label(packages[item.owner], item)
            else:
                owner, label = Link(item.owner, OVERVIEW), item.label
            kind = {"korridor": "Korridorband", "tabelle": "Tabellenzeile", "stufe": "Stufe"}[item.kind]
            unreached.append(UnreachedRow(kind, owner, label))
        pages = {example_id(self.model, spec): self._example_page(spec) for spec in self.checked.examples}
        failed = []
        for example in self.coverage.failed:  # (named as teilhabe-rules test names them)
            name = example.id.split("::", 1)[-1]
            failed.append(Link(name, f"{pages.get(example.id, OVERVIEW)}#{self.anchors['beispiel'][name]}"))
        return CoverageView(self.coverage.examples, self.coverage.evaluated, counts, tuple(unreached),
                            self.coverage.expecting_errors, tuple(failed))

    def _example_page(self, spec: c.ExampleSpec) -> str:
        """The page an example is shown on: its package's, else the overview."""
        if spec.package_id is not None and spec.package_id in self.checked.packages:
            return self.package_files[spec.package_id]
        return OVERVIEW

    def _row_label(self, tid: str, item: CoverageItem) -> str:
        table = self.checked.tables[tid]
        for row in table.rows:
            if self._where(row.span) == item.location:
                keys = ", ".join(quantity_text(k, t) for k, t in zip(row.keys, table.key_types, strict=True))
                return f"{keys} → {quantity_text(row.value, table.value_type)}"
        return item.label

    def _level_label(self, pid: str, item: CoverageItem) -> str:
        spec = self.checked.packages[pid]
        if item.kind == "stufe":
            for level in spec.levels:
                if self._where(level.span) == item.location:
                    return f"Stufe {level.number} ({level.label})"
        for node in self.checked.nodes.values():
            if isinstance(node, c.CorridorLevelNode) and node.scope == spec.scope and node.package == spec.name:
                for band in node.bands:
                    bounds = self._bounds(band, self.defaults)
                    if self._where(band.span) == item.location and bounds is not None:
                        return f"Stufe {band.level}: {band_text(bounds, str(node.subject.type.unit))}"
        return item.label

    def _diff(self) -> DiffView | None:
        if self.previous is None:
            return None
        changes = diff_models(self.previous.checked, self.checked, FULL)  # (values German, every digit)
        sections = []
        for key, heading in SECTIONS:
            rows = tuple(ChangeRow(_CHANGE_WORDS.get(ch.kind, ch.kind), ch.subject, *ch.shown(), ch.note)
                         for ch in changes.section(key))
            if rows:
                sections.append((heading, rows))
        old, new = self.previous.checked.info, self.checked.info
        return DiffView(old.named(), new.named(),
                        tuple(sections), len(changes.changes))


def _same(left: Any, right: Any) -> bool:
    """Equal values of case data or tables (``7`` and ``7.0`` are the same number; ``True`` is no 1)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return bool(left == right)
