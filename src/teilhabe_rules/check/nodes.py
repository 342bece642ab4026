"""The checker's nodes: the computation steps of the model, and their order.

Takes: the :class:`~teilhabe_rules.check.scopes.Declarations` and a
:class:`~teilhabe_rules.check.expressions.Resolver`.
Gives: :class:`Nodes` (from :func:`build_nodes`) — every value, computed and effective level and
check of the model as a node of :mod:`teilhabe_rules.ir.checked`, and the level rules (corridors
and ``stufe = …``) whose coverage the coverage pass proves; :func:`order_nodes` gives a
dependency order of the nodes (reporting a cycle of nodes).
"""

from __future__ import annotations

import heapq
import re

import attrs

from ..ir import checked as c
from ..ir import toolkit
from ..ir.checked import NodeKind, RefKind, TypeKind
from ..syntax import ast
from .expressions import Resolver
from .findings import Fail, Findings, join
from .scopes import Declarations, PackageInfo, ScopeInfo

__all__ = ["LevelRule", "Nodes", "build_nodes", "order_nodes"]


@attrs.frozen
class LevelRule:
    """A computed level whose coverage of the levels the coverage pass proves: a corridor whose
    bands were all accepted, or a ``stufe = …``."""

    node: c.CorridorLevelNode | c.ExpressionLevelNode
    package: PackageInfo


@attrs.frozen
class Nodes:
    """The nodes of the model by id (in the order they were built) and the level rules to cover."""

    nodes: dict[str, c.Node]
    level_rules: tuple[LevelRule, ...]


def build_nodes(findings: Findings, declarations: Declarations, resolver: Resolver) -> Nodes:
    """The values (in declaration order), then the level nodes of every package, then the checks."""
    return _Builder(findings, declarations, resolver).run()


class _Builder:
    def __init__(self, findings: Findings, declarations: Declarations, resolver: Resolver):
        self.findings = findings
        self.report = findings.report
        self.declarations = declarations
        self.resolver = resolver
        self.nodes: dict[str, c.Node] = {}
        self.level_rules: list[LevelRule] = []

    def run(self) -> Nodes:
        resolver = self.resolver
        for sym in list(self.declarations.symbols.values()):
            if sym.kind != "wert":
                continue
            try:
                resolver.value_type(sym)
            except Fail:
                continue
            ir = resolver.value_ir[sym.id]
            decl = sym.decl
            assert isinstance(decl, ast.Value)
            self.nodes[sym.id] = c.ValueNode(sym.id, sym.key, sym.scope, resolver.value_types.get(sym.id) or ir.type,
                                             decl.span, label=decl.doc, doc=decl.doc,
                                             source=self.findings.source_of(decl.span),
                                             deps=tuple(toolkit.symbols_read(ir)), expr=ir, package=sym.package)
        for pid, (rule, sid) in self.declarations.package_rules.items():
            self._level_nodes(pid, rule, sid)
        for check, sid, package in self.declarations.checks:
            self._check_node(check, sid, package)
        return Nodes(self.nodes, tuple(self.level_rules))

    def _level_nodes(self, pid: str, rule: ast.LevelRule, sid: str) -> None:
        resolver = self.resolver
        source_of = self.findings.source_of
        pkg = self.declarations.packages[pid]
        name = pkg.name
        level_type = c.ValueType(TypeKind.ENUM, enum=pkg.level_type, integer=True)
        computed_id = join(pid, "berechnete_stufe")
        ctx = self.declarations.place(sid, name, computed_id)
        numbers = [lv.number for lv in pkg.levels]
        if rule.kind == "korridor":
            assert rule.expr is not None  # the grammar gives a korridor its quantity
            try:
                subject = resolver.resolve(rule.expr, ctx)
            except Fail:
                return
            if not resolver.numeric(subject):
                self.report(f"Ein Korridor braucht eine Zahl, nicht {subject.type.describe()}", rule.expr.span)
                return
            unit = resolver.number_type(subject).unit
            bands = []
            broken = False  # a rejected band: coverage findings would only repeat that error
            for band in rule.bands:
                if band.level not in numbers:
                    self.report(f"Stufe {band.level} ist im Paket „{name}“ nicht deklariert", band.span,
                                "deklarierte Stufen: " + ", ".join(map(str, numbers)))
                    broken = True
                    continue
                try:
                    lower = resolver.bound(band.lower, unit, ctx) if band.lower is not None else None
                    upper = resolver.bound(band.upper, unit, ctx) if band.upper is not None else None
                except Fail:
                    broken = True
                    continue
                if lower is None and upper is None:
                    self.report("Ein Korridorband braucht mindestens eine Grenze (ab/über, bis/unter)", band.span)
                    broken = True
                    continue
                bands.append(
                    c.BandSpec(band.level, lower, band.lower_inclusive, upper, band.upper_inclusive, band.span)
                )
            bounds_deps = tuple(
                d for b in bands for e in (b.lower, b.upper) if e is not None for d in toolkit.symbols_read(e)
            )
            node = c.CorridorLevelNode(computed_id, join(name, "berechnete_stufe"), sid, level_type, rule.span,
                                       label=f"berechnete Stufe {name}", doc=None, source=source_of(rule.span),
                                       deps=tuple(toolkit.symbols_read(subject)) + bounds_deps,
                                       subject=subject, bands=tuple(bands), package=name)
            self.nodes[computed_id] = node
            if not broken:
                self.level_rules.append(LevelRule(node, pkg))
        elif rule.kind == "ausdruck":
            assert rule.expr is not None  # the grammar gives ``stufe = …`` its expression
            try:
                ir = resolver.resolve(rule.expr, ctx)
            except Fail:
                return
            if not resolver.numeric(ir) or not resolver.number_type(ir).unit.is_dimensionless:
                self.report(f"Eine Stufe ist eine ganze Zahl ohne Einheit, nicht {ir.type.describe()}", rule.expr.span)
                return
            level_node = c.ExpressionLevelNode(
                computed_id, join(name, "berechnete_stufe"), sid, level_type, rule.span,
                label=f"berechnete Stufe {name}", doc=None, source=source_of(rule.span),
                deps=tuple(toolkit.symbols_read(ir)), expr=ir, package=name)
            self.nodes[computed_id] = level_node
            self.level_rules.append(LevelRule(level_node, pkg))
        # the effective level: granted where given, else computed
        effective_id = join(pid, "stufe")
        computed_kind = RefKind.EINGABE if rule.kind == "einschätzung" else RefKind.WERT
        computed_ref = c.Ref(computed_id, join(name, "berechnete_stufe"), sid, computed_kind, level_type, rule.span)
        self.nodes[effective_id] = c.GrantedLevelNode(
            effective_id, join(name, "stufe"), sid, level_type, rule.span,
            label=f"Stufe {name}", doc=None, source=source_of(rule.span),
            deps=(computed_id,) if computed_kind == RefKind.WERT else (), expr=computed_ref, package=name)

    def _check_node(self, check: ast.Check, sid: str, package: str | None) -> None:
        # a check of a variant's base file is told apart by that file's name (line numbers repeat)
        origin = "" if check.span.file is None else (
            re.sub(r"\W", "_", check.span.file.replace("\\", "/").rsplit("/", 1)[-1].split(".")[0]) + "-"
        )
        kind = NodeKind.PRUEFUNG if check.severity == "fehler" else NodeKind.WARNUNG
        node_id = join(sid, package, f"{kind}@{origin}{check.span.line}")
        ctx = self.declarations.place(sid, package, node_id)
        try:
            cond = self.resolver.resolve(check.condition, ctx)
        except Fail:
            return
        if cond.type.kind != TypeKind.JA_NEIN:
            self.report(f"Eine Prüfung braucht eine Bedingung (ja/nein), nicht {cond.type.describe()}",
                        check.condition.span)
            return
        parts: list[str | c.Expr] = []
        for written in check.message:
            if isinstance(written, str):
                parts.append(written)
                continue
            try:
                parts.append(self.resolver.resolve(written, ctx))
            except Fail:  # reported where the expression failed; the message leaves it out
                continue
        deps = list(toolkit.symbols_read(cond))
        for part in parts:
            if not isinstance(part, str):
                deps.extend(toolkit.symbols_read(part))
        self.nodes[node_id] = c.CheckNode(node_id, node_id.rsplit(".", 1)[-1], sid, c.BOOL, check.span,
                                          label=check.label, doc=None, source=self.findings.source_of(check.span),
                                          deps=tuple(deps), kind=kind, expr=cond, message=tuple(parts),
                                          package=package)


def order_nodes(findings: Findings, nodes: dict[str, c.Node], scopes: dict[str, ScopeInfo]) -> list[str]:
    """A dependency order; checks as early as possible, else declaration order. A cycle of
    nodes (one no value's own cycle check could see) is reported; its nodes are left out."""

    def priority(nid: str) -> int:
        node = nodes[nid]
        return (0 if node.kind == NodeKind.PRUEFUNG else 1) + 2 * scopes[node.scope]["depth"]

    ids = list(nodes)
    position = {nid: i for i, nid in enumerate(ids)}
    indegree = {nid: 0 for nid in ids}
    users: dict[str, list[str]] = {nid: [] for nid in ids}
    for nid in ids:
        for dep in set(nodes[nid].deps):
            if dep in nodes and dep != nid:
                indegree[nid] += 1
                users[dep].append(nid)
    heap = [(priority(nid), position[nid], nid) for nid in ids if indegree[nid] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        _, _, nid = heapq.heappop(heap)
        order.append(nid)
        for user in users[nid]:
            indegree[user] -= 1
            if indegree[user] == 0:
                heapq.heappush(heap, (priority(user), position[user], user))
    if len(order) != len(ids):
        stuck = [nid for nid in ids if nid not in set(order)]
        node = nodes[stuck[0]]
        findings.report("Zyklische Definition: " + " → ".join(nodes[s].key for s in stuck[:6]), node.span,
                        code="zyklus")
    return order
