"""AST → checked model.

Takes: an :class:`ast.Module` and its source text. Gives: a :class:`checked.CheckedModel`, or a
:class:`~teilhabe_rules.errors.CheckError` listing every finding of the file: undefined and
duplicate names (with did-you-mean), type and unit mismatches, corridors with gaps or overlaps over
the domain of their quantity, tables missing members of their key, levels outside the declared
ones, cyclic definitions, bad examples. Warnings (unreachable levels, …) travel in
``CheckedModel.warnings``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypedDict

from ..errors import CheckError, Diagnostic, Location, did_you_mean
from ..ir import checked as c
from ..ir import toolkit
from ..ir.checked import NodeKind, RefKind, TypeKind
from ..ir.domains import Domain, corridor_findings, domain_of
from ..limits import MAX_LIST_NESTING
from ..paths import PathError, set_path
from ..syntax import ast
from ..units import DIMENSIONLESS, PERCENT, Unit, UnitError, conversion_factor, parse_unit

__all__ = ["check_module", "literal_to_data"]

_AGGREGATES = {"summe", "anzahl", "min", "max", "erstes", "letztes"}
_FUNCTIONS = {"min", "max", "runde", "kalendertage", "datum_plus", "jahr", "monat", "tage_im_monat", "stichtag"}
_ROUNDING = {"kaufmännisch", "abrunden", "aufrunden"}
_RESERVED_PACKAGE_MEMBERS = {"stufe", "berechnete_stufe", "bewilligte_stufe", "begründung"}


# A runtime value of a literal: a number, a member of an aufzählung, a truth value, a date, a text.
_Literal = Decimal | int | str | bool | _dt.date


class _Symbol:
    """A declared name during checking; ``decl`` is its declaration, of the kind ``kind`` names."""

    __slots__ = ("kind", "name", "id", "key", "scope", "package", "decl", "span", "ir_type", "extra")

    def __init__(self, kind: str, name: str, id: str, key: str, scope: str, package: str | None,
                 decl: ast.Declaration, span: ast.Span):
        self.kind, self.name, self.id, self.key = kind, name, id, key
        self.scope, self.package, self.decl, self.span = scope, package, decl, span
        self.ir_type: c.ValueType | None = None
        self.extra: object = None


class _ScopeInfo(TypedDict):
    """A scope (the model, or a list) while checking; a :class:`checked.ScopeSpec` in the end."""

    name: str
    title: str | None
    parent: str | None
    depth: int
    min: int | None
    max: int | None
    lists: list[str]
    packages: list[str]
    span: ast.Span


class _PackageInfo(TypedDict):
    """A package while checking; a :class:`checked.PackageSpec` in the end."""

    name: str
    title: str | None
    scope: str
    levels: list[c.LevelSpec]
    level_type: c.EnumType | None
    rule: str | None
    span: ast.Span


class _Namespace:
    def __init__(self, owner: str):
        self.owner = owner
        self.names: dict[str, _Symbol] = {}


class _Context:
    """Where an expression is resolved: its scope, its package and its namespaces."""

    def __init__(self, scope: str, package: str | None, chain: list[_Namespace], node: str | None):
        self.scope, self.package, self.chain, self.node = scope, package, chain, node


class _Fail(Exception):
    """Abort resolving one expression after a diagnostic was recorded."""


def _join(*parts: str | None) -> str:
    return ".".join(p for p in parts if p)


class Checker:
    def __init__(self, module: ast.Module, text: str):
        self.module = module
        self.text = text
        self.lines = text.splitlines()
        self.file = module.file
        # a variant merged with its base: the base files' lines, for spans that name them
        self.other_lines = {name: source.splitlines() for name, source in module.sources}
        self.diagnostics: list[Diagnostic] = []
        self.enums: dict[str, c.EnumType] = {}
        self.enum_spans: dict[str, ast.Span] = {}
        self.scopes: dict[str, _ScopeInfo] = {}
        self.scope_ns: dict[str, _Namespace] = {}
        self.package_ns: dict[str, _Namespace] = {}
        self.symbols: dict[str, _Symbol] = {}
        self.packages: dict[str, _PackageInfo] = {}
        self.parameters: dict[str, c.ParameterSpec] = {}
        self.tables: dict[str, c.TableSpec] = {}
        self.inputs: dict[str, list[c.InputSpec]] = {}
        self.nodes: dict[str, c.Node] = {}
        self.node_order_hint: list[str] = []
        self.value_ir: dict[str, c.Expr] = {}
        self.in_progress: list[str] = []
        # Unit-less numbers that take the unit of their neighbour, by identity. The objects are
        # kept so that their ids cannot be reused by later objects.
        self.flexible: dict[int, c.Expr] = {}
        self.examples_ast: list[tuple[ast.Example, str | None]] = []
        self.templates_ast: list[ast.Template] = []
        self.properties_ast: list[ast.Property] = []
        self.checks: list[tuple[ast.Check, str, str | None]] = []
        self.package_rules: dict[str, tuple[ast.LevelRule, str]] = {}
        self.domains: dict[str, Domain] = {}
        self.failed: set[str] = set()
        self.corridor_domains: dict[str, Domain] = {}

    # ---- diagnostics ------------------------------------------------------------------

    def report(self, message: str, span: ast.Span | None, hint: str | None = None, severity: str = "fehler",
               code: str = "prüfung") -> None:
        location = None
        source_line = None
        if span is not None and span.line > 0:
            lines = self.lines_of(span)
            location = Location(span.file or self.file, span.line, span.column, span.end_line, span.end_column)
            source_line = lines[span.line - 1] if span.line <= len(lines) else None
        self.diagnostics.append(Diagnostic(message, location, severity, hint, source_line, code=code))

    def lines_of(self, span: ast.Span) -> list[str]:
        """The lines of the file ``span`` lies in (a variant's base file, or this one)."""
        return self.other_lines.get(span.file, []) if span.file else self.lines

    def fail(self, message: str, span: ast.Span | None, hint: str | None = None, code: str = "prüfung") -> _Fail:
        self.report(message, span, hint, code=code)
        return _Fail()

    did_you_mean = staticmethod(did_you_mean)

    # ---- phase 1: declarations ------------------------------------------------------------

    def run(self) -> c.CheckedModel:
        header = self.module.header
        self._collect_enums(self.module.items)
        self._declare_scope("", header.name, None, None, None, None, self.module.items, header.span)
        self._resolve_inputs()
        self._resolve_parameters_and_tables()
        self._build_nodes()
        order = self._order()
        info = self._info()
        examples = self._examples()
        properties = self._properties()
        templates = {t.name: self._template_data(t) for t in self.templates_ast}
        errors = [d for d in self.diagnostics if d.is_error]
        if errors:
            raise CheckError(self._sorted(self.diagnostics))
        scopes = {
            sid: c.ScopeSpec(
                sid, s["name"], s["title"], s["parent"], s["depth"], s["min"], s["max"],
                tuple(self.inputs.get(sid, ())), tuple(s["lists"]), tuple(s["packages"]), s["span"],
            )
            for sid, s in self.scopes.items()
        }
        packages = {
            pid: c.PackageSpec(
                pid, p["name"], p["title"], p["scope"], tuple(p["levels"]), p["level_type"], p["rule"], p["span"]
            )
            for pid, p in self.packages.items()
        }
        return c.CheckedModel(
            info=info,
            scopes=scopes,
            enums=dict(self.enums),
            parameters=dict(self.parameters),
            tables=dict(self.tables),
            packages=packages,
            nodes=dict(self.nodes),
            order=tuple(order),
            examples=tuple(examples),
            properties=tuple(properties),
            templates=templates,
            warnings=tuple(self._sorted(self.diagnostics)),
            source=self.text,
            domains=dict(self.corridor_domains),
            other_sources=dict(self.module.sources),
        )

    def _sorted(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """By place; a variant's own findings before those in its base files."""
        return sorted(diagnostics, key=lambda d: (d.location is not None and d.location.file != self.file,
                                                  d.location.file if d.location else "",
                                                  d.location.line if d.location else 0,
                                                  d.location.column if d.location else 0))

    def _collect_enums(self, items: Iterable[ast.Declaration]) -> None:
        for item in items:
            if isinstance(item, ast.Enumeration):
                if item.name in self.enums:
                    self.report(f"Die Aufzählung „{item.name}“ ist doppelt definiert", item.span,
                                f"zuerst in Zeile {self.enum_spans[item.name].line}")
                    continue
                seen: set[int | str] = set()
                members = []
                for m in item.members:
                    if isinstance(m.key, Decimal):
                        self.report("Mitglieder einer Aufzählung sind ganze Zahlen oder Namen", m.span)
                        continue
                    if m.key in seen:
                        self.report(f"„{m.key}“ kommt in der Aufzählung „{item.name}“ doppelt vor", m.span)
                        continue
                    seen.add(m.key)
                    members.append(c.Member(m.key, m.label, m.description))
                kinds = {type(m.key) for m in members}
                if len(kinds) > 1:
                    self.report(f"Die Aufzählung „{item.name}“ mischt Zahlen und Namen", item.span)
                self.enums[item.name] = c.EnumType(item.name, item.title, tuple(members))
                self.enum_spans[item.name] = item.span
            elif isinstance(item, (ast.ListDecl, ast.Package)):
                self._collect_enums(item.items)

    def _declare(self, ns: _Namespace, symbol: _Symbol) -> None:
        if symbol.name in ns.names:
            first = ns.names[symbol.name]
            self.report(f"„{symbol.name}“ ist in diesem Bereich doppelt definiert", symbol.span,
                        f"zuerst definiert in Zeile {first.span.line}")
            return
        if symbol.name in self.enums and symbol.kind != "aufzählung":
            self.report(f"„{symbol.name}“ ist bereits der Name einer Aufzählung", symbol.span)
            return
        ns.names[symbol.name] = symbol
        self.symbols[symbol.id] = symbol

    def _declare_scope(self, sid: str, name: str, title: str | None, parent: str | None, min_count: int | None,
                       max_count: int | None, items: Iterable[ast.Declaration], span: ast.Span) -> None:
        depth = 0 if parent is None else self.scopes[parent]["depth"] + 1
        self.scopes[sid] = {
            "name": name, "title": title, "parent": parent, "depth": depth, "min": min_count, "max": max_count,
            "lists": [], "packages": [], "span": span,
        }
        ns = _Namespace(sid)
        self.scope_ns[sid] = ns
        self._declare_items(items, sid, None, ns)

    def _declare_items(self, items: Iterable[ast.Declaration], sid: str, package: str | None, ns: _Namespace) -> None:
        for item in items:
            if isinstance(item, ast.Enumeration):
                continue
            if isinstance(item, ast.Input):
                key = _join(package, item.name)
                if package and item.name in _RESERVED_PACKAGE_MEMBERS:
                    self.report(f"„{item.name}“ ist in einem Paket reserviert", item.span,
                                "stufe, berechnete_stufe, bewilligte_stufe und begründung setzt die Sprache selbst")
                    continue
                self._declare(ns, _Symbol("eingabe", item.name, _join(sid, key), key, sid, package, item, item.span))
            elif isinstance(item, ast.Parameter):
                key = _join(package, item.name)
                self._declare(ns, _Symbol("parameter", item.name, _join(sid, key), key, sid, package, item, item.span))
            elif isinstance(item, ast.Table):
                key = _join(package, item.name)
                self._declare(ns, _Symbol("tabelle", item.name, _join(sid, key), key, sid, package, item, item.span))
            elif isinstance(item, ast.Value):
                key = _join(package, item.name)
                if package and item.name in _RESERVED_PACKAGE_MEMBERS:
                    self.report(f"„{item.name}“ ist in einem Paket reserviert", item.span)
                    continue
                self._declare(ns, _Symbol("wert", item.name, _join(sid, key), key, sid, package, item, item.span))
            elif isinstance(item, ast.ListDecl):
                if package:
                    self.report("Eine Liste steht nicht in einem Paket", item.span,
                                "deklariere die Liste außerhalb des Pakets")
                    continue
                child = _join(sid, item.name)
                if self.scopes[sid]["depth"] >= MAX_LIST_NESTING:
                    self.report(
                        f"Listen lassen sich höchstens {MAX_LIST_NESTING} Ebenen tief schachteln",
                        item.span,
                        "jede Ebene ist eine Schleife der Auswertung; fasse Ebenen zusammen",
                    )
                self._declare(ns, _Symbol("liste", item.name, child, item.name, sid, None, item, item.span))
                if ns.names.get(item.name) is not None and ns.names[item.name].decl is item:
                    self.scopes[sid]["lists"].append(child)
                    self._declare_scope(child, item.name, item.title, sid, item.min_count, item.max_count, item.items,
                                        item.span)
            elif isinstance(item, ast.Package):
                if package:
                    self.report("Pakete lassen sich nicht schachteln", item.span)
                    continue
                pid = _join(sid, item.name)
                self._declare(ns, _Symbol("paket", item.name, pid, item.name, sid, None, item, item.span))
                if ns.names.get(item.name) is None or ns.names[item.name].decl is not item:
                    continue
                self.scopes[sid]["packages"].append(pid)
                pns = _Namespace(pid)
                self.package_ns[pid] = pns
                self.packages[pid] = {"name": item.name, "title": item.title, "scope": sid, "levels": [],
                                      "level_type": None, "rule": None, "span": item.span}
                self._declare_package(item, pid, sid, pns)
            elif isinstance(item, ast.Check):
                self.checks.append((item, sid, package))
            elif isinstance(item, ast.Example):
                self.examples_ast.append((item, package))
            elif isinstance(item, ast.Template):
                if package or sid:
                    self.report("Vorlagen stehen auf oberster Ebene des Modells", item.span)
                self.templates_ast.append(item)
            elif isinstance(item, ast.Property):
                if package or sid:
                    self.report("Eigenschaften stehen auf oberster Ebene des Modells", item.span)
                self.properties_ast.append(item)
            elif isinstance(item, (ast.Levels, ast.LevelRule)):
                self.report("„stufen“ und „stufe …“ stehen nur in einem Paket", item.span)
            elif isinstance(item, (ast.ParameterOverride, ast.TableOverride)):
                what = ("einen neuen Wert eines Parameters" if isinstance(item, ast.ParameterOverride)
                        else "neue Zeilen einer Tabelle")
                self.report(f"„{item.path}“ ohne Typ setzt {what} eines Basismodells; dieses Modell erweitert keines",
                            item.span,
                            "deklariere vollständig („parameter NAME: TYP = WERT“, „tabelle NAME: SCHLÜSSEL -> WERT“) "
                            "oder nenne im Modellkopf das Basismodell: erweitert \"NAME\"")

    def _declare_package(self, item: ast.Package, pid: str, sid: str, pns: _Namespace) -> None:
        pkg = self.packages[pid]
        levels_decl = [i for i in item.items if isinstance(i, ast.Levels)]
        rules = [i for i in item.items if isinstance(i, ast.LevelRule)]
        if len(levels_decl) > 1:
            self.report("Ein Paket hat nur einen Block „stufen“", levels_decl[1].span)
        if len(rules) > 1:
            self.report("Ein Paket hat nur eine Regel „stufe …“", rules[1].span)
        if levels_decl:
            seen: dict[int, ast.Level] = {}
            for level in levels_decl[0].levels:
                if level.number in seen:
                    self.report(f"Stufe {level.number} ist doppelt definiert", level.span)
                    continue
                seen[level.number] = level
                pkg["levels"].append(c.LevelSpec(level.number, level.label, level.criteria, level.span))
            pkg["level_type"] = c.EnumType(
                f"Stufe von {item.name}", item.title,
                tuple(c.Member(lv.number, lv.label, lv.criteria) for lv in pkg["levels"]), is_levels=True,
            )
            if not rules:
                self.report(f"Das Paket „{item.name}“ hat Stufen, aber keine Regel „stufe …“", item.span,
                            "„stufe nach korridor …“, „stufe = …“ oder „stufe nach einschätzung“")
        elif rules:
            self.report(f"Das Paket „{item.name}“ hat eine Stufenregel, aber keinen Block „stufen“", rules[0].span)
        if rules and levels_decl:
            pkg["rule"] = rules[0].kind
            self.package_rules[pid] = (rules[0], sid)
        members = [i for i in item.items if not isinstance(i, (ast.Levels, ast.LevelRule))]
        self._declare_items(members, sid, item.name, pns)

    # ---- types of declarations -------------------------------------------------------------

    def unit_of(self, text: ast.UnitText | None) -> Unit:
        if text is None:
            return DIMENSIONLESS
        try:
            return parse_unit(text.text)
        except UnitError as exc:
            parts = [p.strip() for p in text.text.split("/")]
            bad = next((p for p in parts if p not in exc.candidates), text.text)
            hint = self.did_you_mean(bad, exc.candidates) or (
                "bekannte Einheiten: min, h, Tag, Woche, Jahr, Monat, EUR, VK, Person, Platz, %"
            )
            where = f" in „{text.text}“" if bad != text.text else ""
            raise self.fail(f"Unbekannte Einheit „{bad}“{where}", text.span, hint) from None

    def type_of(self, spec: ast.TypeSpec, package: str | None = None, scope: str = "") -> c.ValueType:
        kind = spec.kind
        if kind in ("zahl", "ganzzahl"):
            unit = self.unit_of(spec.unit)
            low = self._bound(spec.low, unit) if spec.low else None
            high = self._bound(spec.high, unit) if spec.high else None
            if low is not None and high is not None and low > high:
                raise self.fail(f"Der Bereich von {low} bis {high} ist leer", spec.span)
            return c.ValueType(TypeKind.ZAHL, unit, kind == "ganzzahl", low, high)
        if kind == "auswahl":
            unit = self.unit_of(spec.unit)
            values = tuple(self._bound(n, unit) for n in spec.choices)
            if len(set(values)) != len(values):
                raise self.fail("Eine Auswahl enthält einen Wert doppelt", spec.span)
            integer = all(v == v.to_integral_value() for v in values)
            return c.ValueType(TypeKind.ZAHL, unit, integer, min(values), max(values), tuple(values))
        if kind == "ja_nein":
            return c.BOOL
        if kind == "datum":
            return c.DATE
        if kind == "text":
            return c.TEXT
        if kind == "schlüssel":
            return c.KEY
        if kind == "stufe":
            pid = None
            if spec.name is None:
                if package is None:
                    raise self.fail("„stufe“ ohne Paket: schreibe „stufe von PAKET“", spec.span)
                pid = _join(scope, package)
            else:
                sym = self._lookup_package(spec.name, scope)
                if sym is None:
                    packages = [p["name"] for p in self.packages.values()]
                    raise self.fail(f"Unbekanntes Paket „{spec.name}“", spec.span,
                                    self.did_you_mean(spec.name, packages))
                pid = sym.id
            declared = self.packages.get(pid)
            level_type = declared["level_type"] if declared is not None else None
            if level_type is None:
                raise self.fail(f"Das Paket „{pid}“ hat keine Stufen", spec.span)
            return c.ValueType(TypeKind.ENUM, enum=level_type, integer=True)
        if kind == "name":
            assert spec.name is not None
            if spec.name in self.enums:
                return c.ValueType(TypeKind.ENUM, enum=self.enums[spec.name], integer=self.enums[spec.name].numeric)
            try:
                return c.ValueType(TypeKind.ZAHL, parse_unit(spec.name))
            except UnitError:
                candidates = list(self.enums) + [
                    "zahl", "ganzzahl", "auswahl", "ja_nein", "datum", "text", "schlüssel", "stufe",
                    "EUR", "VK", "Personen", "Tage", "min", "h",
                ]
                raise self.fail(f"Unbekannter Typ „{spec.name}“", spec.span,
                                self.did_you_mean(spec.name, candidates)
                                or "ein Typ ist zahl, ganzzahl, auswahl {…}, ja_nein, datum, text, schlüssel, stufe, "
                                "eine Einheit oder eine Aufzählung") from None
        raise self.fail(f"Unbekannter Typ „{kind}“", spec.span)  # pragma: no cover

    def _bound(self, number: ast.Number, unit: Unit) -> Decimal:
        if number.unit is not None:
            got = self.unit_of(number.unit)
            if got != unit:
                raise self.fail(
                    f"Die Einheit „{number.unit.text}“ passt nicht zu {unit or 'einer Zahl ohne Einheit'}", number.span
                )
        return number.value / 100 if unit.percent else number.value

    def _lookup_package(self, name: str, scope: str) -> _Symbol | None:
        sid: str | None = scope
        while sid is not None:
            sym = self.scope_ns[sid].names.get(name)
            if sym is not None and sym.kind == "paket":
                return sym
            sid = self.scopes[sid]["parent"]
        return None

    def _resolve_inputs(self) -> None:
        for sym in list(self.symbols.values()):
            if sym.kind != "eingabe":
                continue
            decl = sym.decl
            assert isinstance(decl, ast.Input)
            try:
                vtype = self.type_of(decl.type, sym.package, sym.scope)
            except _Fail:
                continue
            sym.ir_type = vtype
            default = None
            if decl.default is not None:
                try:
                    default = self.literal_value(decl.default, vtype, "Der Standardwert")
                except _Fail:
                    continue
            path = tuple(p for p in (sym.package, sym.name) if p)
            self.inputs.setdefault(sym.scope, []).append(
                c.InputSpec(sym.id, sym.key, path, sym.scope, vtype, decl.default is None, default, decl.doc, decl.span)
            )
        # level inputs of assessed packages and the granted level of every package with levels
        for pid, pkg in self.packages.items():
            if pkg["level_type"] is None:
                continue
            level_type = c.ValueType(TypeKind.ENUM, enum=pkg["level_type"], integer=True)
            sid, name = pkg["scope"], pkg["name"]
            if pkg["rule"] == "einschätzung":
                self.inputs.setdefault(sid, []).append(
                    c.InputSpec(_join(pid, "berechnete_stufe"), _join(name, "berechnete_stufe"), (name, "stufe"), sid,
                                level_type, True, None, f"Stufe {name} nach fachlicher Einschätzung", pkg["span"])
                )
            self.inputs.setdefault(sid, []).append(
                c.InputSpec(_join(pid, "bewilligte_stufe"), _join(name, "bewilligte_stufe"), (name, "bewilligte_stufe"),
                            sid, level_type, False, None, f"bewilligte Stufe {name} (§ 127 SGB IX)", pkg["span"])
            )
            self.inputs.setdefault(sid, []).append(
                c.InputSpec(_join(pid, "begründung"), _join(name, "begründung"), (name, "begründung"), sid,
                            c.TEXT, False, None, f"Begründung der bewilligten Stufe {name}", pkg["span"])
            )

    def literal_value(self, expr: ast.Expression, vtype: c.ValueType, what: str) -> _Literal:
        """A literal as a runtime value of ``vtype`` (numbers checked for unit and range)."""
        if vtype.kind == TypeKind.ZAHL:
            if not isinstance(expr, ast.Number):
                raise self.fail(f"{what} muss eine Zahl sein ({vtype.describe()})", expr.span)
            if expr.unit is not None:
                unit = self.unit_of(expr.unit)
                if unit != vtype.unit:
                    raise self.fail(
                        f"{what} hat die Einheit „{expr.unit.text}“, erwartet ist {vtype.unit or 'keine Einheit'}",
                        expr.span, "ändere die Einheit oder rechne den Wert um",
                    )
            value = expr.value / 100 if vtype.unit.percent else expr.value
            if vtype.integer and value != value.to_integral_value():
                raise self.fail(f"{what} muss eine ganze Zahl sein", expr.span)
            if vtype.choices is not None and value not in vtype.choices:
                allowed = ", ".join(map(str, vtype.choices))
                raise self.fail(f"{what} {value} ist keiner der erlaubten Werte {{{allowed}}}", expr.span)
            if vtype.low is not None and value < vtype.low or vtype.high is not None and value > vtype.high:
                scale = 100 if vtype.unit.percent else 1
                low = "−∞" if vtype.low is None else format(vtype.low * scale, "f")
                high = "∞" if vtype.high is None else format(vtype.high * scale, "f")
                unit_text = " " + str(vtype.unit) if str(vtype.unit) else ""
                raise self.fail(f"{what} {expr.value} liegt außerhalb von {low} bis {high}{unit_text}", expr.span)
            return value
        if vtype.kind == TypeKind.JA_NEIN:
            if not isinstance(expr, ast.Truth):
                raise self.fail(f"{what} muss ja oder nein sein", expr.span)
            return expr.value
        if vtype.kind == TypeKind.DATUM:
            if not isinstance(expr, ast.DateLiteral):
                raise self.fail(f"{what} muss ein Datum (TT.MM.JJJJ) sein", expr.span)
            return expr.value
        if vtype.kind == TypeKind.TEXT:
            if not isinstance(expr, ast.Text):
                raise self.fail(f"{what} muss ein Text in Anführungszeichen sein", expr.span)
            return expr.value
        if vtype.kind == TypeKind.SCHLUESSEL:
            if not isinstance(expr, ast.KeyLiteral):
                raise self.fail(f"{what} muss ein Schlüssel 1:x sein", expr.span)
            return expr.divisor
        if vtype.kind == TypeKind.ENUM:
            assert vtype.enum is not None
            key: int | str
            if isinstance(expr, ast.Number) and expr.unit is None and expr.value == expr.value.to_integral_value():
                key = int(expr.value)
            elif isinstance(expr, ast.Name) or (
                isinstance(expr, ast.Attribute) and isinstance(expr.obj, ast.Name) and expr.obj.name == vtype.enum.name
            ):
                key = expr.name
            else:
                raise self.fail(f"{what} muss ein Wert von {vtype.enum.name} sein", expr.span)
            if vtype.enum.member(key) is None:
                raise self.fail(f"{what} „{key}“ gehört nicht zu {vtype.enum.name}", expr.span,
                                "erlaubt: " + ", ".join(map(str, vtype.enum.keys())))
            return key
        raise self.fail(f"{what}: Typ {vtype.describe()} ist hier nicht möglich", expr.span)

    def _resolve_parameters_and_tables(self) -> None:
        for sym in list(self.symbols.values()):
            if sym.kind == "parameter":
                decl = sym.decl
                assert isinstance(decl, ast.Parameter)
                try:
                    vtype = self.type_of(decl.type, sym.package, sym.scope)
                    value = self.literal_value(decl.value, vtype, f"Der Wert von „{sym.name}“")
                except _Fail:
                    continue
                sym.ir_type = vtype
                periods = self._parameter_periods(decl, vtype)
                self.parameters[sym.id] = c.ParameterSpec(sym.id, sym.name, vtype, value, decl.doc, decl.assumptions,
                                                          decl.sources, decl.span, periods)
            elif sym.kind == "tabelle":
                self._resolve_table(sym)

    def _parameter_periods(self, decl: ast.Parameter, vtype: c.ValueType) -> tuple[c.ParameterPeriodSpec, ...]:
        """The later values of a parameter (``ab TT.MM.JJJJ = …``): in date order, inside the
        model's validity, each checked like the first value; only the last may end (``bis``)."""
        header = self.module.header
        out: list[c.ParameterPeriodSpec] = []
        previous = header.valid_from
        for number, period in enumerate(decl.periods):
            last = number == len(decl.periods) - 1
            try:
                value = self.literal_value(
                    period.value, vtype, f"Der Wert von „{decl.name}“ ab {period.valid_from:%d.%m.%Y}"
                )
            except _Fail:
                continue
            if previous is not None and period.valid_from <= previous:
                what = "dem Beginn der Gültigkeit des Modells" if number == 0 else "dem vorigen Wert"
                self.report(f"„ab {period.valid_from:%d.%m.%Y}“ von „{decl.name}“ liegt nicht nach {what} "
                            f"({previous:%d.%m.%Y})", period.span,
                            "die Werte eines Parameters stehen in zeitlicher Reihenfolge; "
                            "der erste gilt ab Beginn der Gültigkeit",
                            code="gültigkeit")
            if header.valid_to is not None and period.valid_from > header.valid_to:
                self.report(f"„ab {period.valid_from:%d.%m.%Y}“ von „{decl.name}“ liegt nach dem Ende der Gültigkeit "
                            f"des Modells ({header.valid_to:%d.%m.%Y})", period.span, code="gültigkeit")
            if period.valid_to is not None and not last:
                self.report(f"Nur der letzte Wert von „{decl.name}“ kann mit „bis“ enden", period.span,
                            "das Ende eines Werts ist sonst der Tag vor dem nächsten „ab“", code="gültigkeit")
            if period.valid_to is not None and period.valid_to < period.valid_from:
                self.report(f"„bis {period.valid_to:%d.%m.%Y}“ liegt vor „ab {period.valid_from:%d.%m.%Y}“",
                            period.span, code="gültigkeit")
            if period.valid_to is not None and header.valid_to is not None and period.valid_to > header.valid_to:
                self.report(f"„bis {period.valid_to:%d.%m.%Y}“ von „{decl.name}“ liegt nach dem Ende der Gültigkeit "
                            f"des Modells ({header.valid_to:%d.%m.%Y})", period.span, code="gültigkeit")
            previous = period.valid_from
            out.append(c.ParameterPeriodSpec(period.valid_from, period.valid_to, value, period.assumptions,
                                             period.sources, period.span))
        return tuple(out)

    def _resolve_table(self, sym: _Symbol) -> None:
        decl = sym.decl
        assert isinstance(decl, ast.Table)
        try:
            key_types = tuple(self.type_of(t, sym.package, sym.scope) for t in decl.key_types)
            value_type = self.type_of(decl.value_type, sym.package, sym.scope)
        except _Fail:
            return
        for t, spec in zip(key_types, decl.key_types, strict=True):
            if t.kind not in (TypeKind.ENUM, TypeKind.ZAHL, TypeKind.TEXT) or t.kind == TypeKind.ZAHL and not t.integer:
                self.report("Tabellenschlüssel sind Aufzählungen, Stufen, ganze Zahlen oder Texte", spec.span)
                return
        rows: list[c.TableRowSpec] = []
        seen: dict[tuple[int | str | Decimal, ...], ast.TableRow] = {}
        for row in decl.rows:
            if len(row.keys) != len(key_types):
                self.report(f"Die Zeile hat {len(row.keys)} Schlüssel, die Tabelle {len(key_types)}", row.span)
                continue
            keys = []
            ok = True
            for raw, kt in zip(row.keys, key_types, strict=True):
                key = self._row_key(raw, kt, row.span)
                if key is None:
                    ok = False
                    break
                keys.append(key)
            if not ok:
                continue
            if tuple(keys) in seen:
                self.report(f"Die Zeile {', '.join(map(str, keys))} ist doppelt", row.span,
                            f"zuerst in Zeile {seen[tuple(keys)].span.line}")
                continue
            seen[tuple(keys)] = row
            try:
                value = self.literal_value(row.value, value_type, f"Der Tabellenwert für {', '.join(map(str, keys))}")
            except _Fail:
                continue
            rows.append(c.TableRowSpec(tuple(keys), value, row.doc, row.assumptions, row.span))
        if not decl.partial and all(kt.kind == TypeKind.ENUM for kt in key_types):
            import itertools

            combos = itertools.product(*[kt.enum.keys() for kt in key_types if kt.enum is not None])
            missing = [combo for combo in combos if combo not in seen]
            if missing:
                shown = "; ".join(", ".join(map(str, m)) for m in missing[:6]) + (" …" if len(missing) > 6 else "")
                self.report(f"Der Tabelle „{sym.name}“ fehlen Zeilen für: {shown}", decl.span,
                            "ergänze die Zeilen oder markiere die Tabelle als „teilweise“")
        elif not decl.partial:
            self.report(f"Die Tabelle „{sym.name}“ hat Schlüssel ohne feste Wertemenge und muss „teilweise“ heißen",
                        decl.span, "eine Abfrage ohne Zeile ist dann ein Auswertungsfehler, der den Schlüssel nennt")
        sym.ir_type = value_type
        self.tables[sym.id] = c.TableSpec(sym.id, sym.name, decl.title, key_types, value_type, decl.partial,
                                          tuple(rows), decl.assumptions, decl.sources, decl.span)

    def _row_key(self, raw: int | str | Decimal, kt: c.ValueType, span: ast.Span) -> int | str | Decimal | None:
        if kt.kind == TypeKind.ENUM:
            assert kt.enum is not None
            if kt.enum.member(raw) is None:
                self.report(f"„{raw}“ gehört nicht zu {kt.enum.name}", span,
                            "erlaubt: " + ", ".join(map(str, kt.enum.keys())))
                return None
            return raw
        if kt.kind == TypeKind.TEXT:
            return str(raw)
        if isinstance(raw, str) or isinstance(raw, Decimal) and raw != raw.to_integral_value():
            self.report(f"„{raw}“ ist keine ganze Zahl", span)
            return None
        value = Decimal(int(raw))
        if kt.low is not None and value < kt.low or kt.high is not None and value > kt.high:
            self.report(f"Der Schlüssel {raw} liegt außerhalb von {kt.low} bis {kt.high}", span)
            return None
        return value

    # ---- phase 2: expressions -----------------------------------------------------------------

    def context(self, scope: str, package: str | None, node: str | None = None) -> _Context:
        chain: list[_Namespace] = []
        if package:
            chain.append(self.package_ns[_join(scope, package)])
        sid: str | None = scope
        while sid is not None:
            chain.append(self.scope_ns[sid])
            sid = self.scopes[sid]["parent"]
        return _Context(scope, package, chain, node)

    def visible_names(self, ctx: _Context) -> list[str]:
        names = [n for ns in ctx.chain for n in ns.names]
        return names + list(self.enums) + list(_FUNCTIONS | _AGGREGATES)

    def find(self, name: str, ctx: _Context) -> _Symbol | None:
        for ns in ctx.chain:
            if name in ns.names:
                return ns.names[name]
        return None

    def flex(self, ir: c.Const) -> c.Const:
        self.flexible[id(ir)] = ir
        return ir

    def is_flex(self, ir: c.Expr) -> bool:
        return self.flexible.get(id(ir)) is ir

    def adopt(self, ir: c.Expr, unit: Unit) -> c.Expr:
        if self.is_flex(ir) and isinstance(ir, c.Const) and ir.type.kind == TypeKind.ZAHL:
            if unit.percent and ir.value != 0:
                # „1 + zuschlag“ would silently mean 1 %: a share is always written with its sign
                raise self.fail(
                    f"Die Zahl {ir.value} ohne Einheit steht neben einem Prozentwert",
                    ir.span, f"schreibe „{ir.value} %“ oder, wenn das Ganze gemeint ist, „{ir.value * 100} %“",
                    code="einheit",
                )
            return c.Const(ir.value, c.ValueType(TypeKind.ZAHL, unit, ir.type.integer), ir.span)
        return ir

    def resolve(self, expr: ast.Expression, ctx: _Context) -> c.Expr:
        method: Callable[[Any, _Context], c.Expr] = getattr(self, "_r_" + type(expr).__name__)
        return method(expr, ctx)

    def _r_Number(self, expr: ast.Number, ctx: _Context) -> c.Expr:
        if expr.unit is None:
            integer = expr.value == expr.value.to_integral_value()
            return self.flex(c.Const(expr.value, c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, integer), expr.span))
        unit = self.unit_of(expr.unit)
        value = expr.value / 100 if unit.percent else expr.value
        return c.Const(value, c.ValueType(TypeKind.ZAHL, unit), expr.span)

    def _r_KeyLiteral(self, expr: ast.KeyLiteral, ctx: _Context) -> c.Expr:
        return c.Const(expr.divisor, c.KEY, expr.span)

    def _r_Text(self, expr: ast.Text, ctx: _Context) -> c.Expr:
        return c.Const(expr.value, c.TEXT, expr.span)

    def _r_DateLiteral(self, expr: ast.DateLiteral, ctx: _Context) -> c.Expr:
        return c.Const(expr.value, c.DATE, expr.span)

    def _r_Truth(self, expr: ast.Truth, ctx: _Context) -> c.Expr:
        return c.Const(expr.value, c.BOOL, expr.span)

    def _r_ListLiteral(self, expr: ast.ListLiteral, ctx: _Context) -> c.Expr:
        raise self.fail("Listen stehen nur in Vorlagen und Beispielen", expr.span)

    _r_RecordLiteral = _r_ListLiteral

    def ref(self, sym: _Symbol, span: ast.Span, ctx: _Context) -> c.Expr:
        if sym.kind == "eingabe":
            if sym.ir_type is None:
                raise _Fail()
            return c.Ref(sym.id, sym.key, sym.scope, RefKind.EINGABE, sym.ir_type, span)
        if sym.kind == "parameter":
            if sym.ir_type is None:
                raise _Fail()
            return c.Ref(sym.id, sym.key, sym.scope, RefKind.PARAMETER, sym.ir_type, span)
        if sym.kind == "wert":
            vtype = self.value_type(sym)
            return c.Ref(sym.id, sym.key, sym.scope, RefKind.WERT, vtype, span)
        if sym.kind == "tabelle":
            raise self.fail(f"Die Tabelle „{sym.name}“ wird mit Schlüssel abgefragt: {sym.name}[…]", span)
        if sym.kind == "paket":
            raise self.fail(
                f"„{sym.name}“ ist ein Paket; gemeint ist wohl „{sym.name}.stufe“ oder ein Wert des Pakets", span
            )
        if sym.kind == "liste":
            raise self.fail(
                f"„{sym.name}“ ist eine Liste; nutze summe(…), anzahl(…), min(…), max(…), erstes(…) oder letztes(…)",
                span,
            )
        raise self.fail(f"„{sym.name}“ kann hier nicht stehen", span)  # pragma: no cover

    def _r_Name(self, expr: ast.Name, ctx: _Context) -> c.Expr:
        sym = self.find(expr.name, ctx)
        if sym is not None:
            if sym.scope != ctx.scope and self._is_descendant(sym.scope, ctx.scope) is False:
                pass
            return self.ref(sym, expr.span, ctx)
        if expr.name == "position":
            if not ctx.scope:
                raise self.fail("„position“ gibt es nur in einer Liste", expr.span)
            return c.Position(ctx.scope, c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, True), expr.span)
        if expr.name in self.enums:
            raise self.fail(f"„{expr.name}“ ist eine Aufzählung; ein Wert heißt {expr.name}.WERT", expr.span)
        members = [(e, m) for e in self.enums.values() for m in e.members if m.key == expr.name]
        if len(members) == 1:
            enum, member = members[0]
            return c.Const(member.key, c.ValueType(TypeKind.ENUM, enum=enum), expr.span)
        if len(members) > 1:
            raise self.fail(f"„{expr.name}“ gehört zu mehreren Aufzählungen", expr.span,
                            "schreibe " + " oder ".join(f"{e.name}.{expr.name}" for e, _ in members))
        if expr.name in _ROUNDING:
            return c.Const(expr.name, c.ValueType(TypeKind.MODUS), expr.span)
        raise self.fail(f"Unbekannter Name „{expr.name}“", expr.span,
                        self.did_you_mean(expr.name, self.visible_names(ctx)))

    def _is_descendant(self, ancestor: str, scope: str) -> bool:
        sid: str | None = scope
        while sid is not None:
            if sid == ancestor:
                return True
            sid = self.scopes[sid]["parent"]
        return False

    def _attribute_chain(self, expr: ast.Expression) -> list[tuple[str, ast.Span]] | None:
        chain: list[tuple[str, ast.Span]] = []
        while isinstance(expr, ast.Attribute):
            chain.append((expr.name, expr.span))
            expr = expr.obj
        if not isinstance(expr, ast.Name):
            return None
        chain.append((expr.name, expr.span))
        return list(reversed(chain))

    def _r_Attribute(self, expr: ast.Attribute, ctx: _Context) -> c.Expr:
        chain = self._attribute_chain(expr)
        if chain is None:
            raise self.fail("Ein Punkt folgt nur auf einen Namen", expr.span)
        head, head_span = chain[0]
        if head == "vorher":
            if not ctx.scope:
                raise self.fail("„vorher“ gibt es nur in einer Liste", head_span)
            inner = self._rebuild(chain[1:])
            resolved = self.resolve(inner, self.context(ctx.scope, None, ctx.node))
            if not isinstance(resolved, c.Ref) or resolved.scope != ctx.scope or resolved.kind == RefKind.PARAMETER:
                raise self.fail("„vorher.x“ verlangt eine Eingabe oder einen Wert dieses Listenelements", expr.span)
            return c.Previous(resolved, resolved.type, expr.span)
        sym = self.find(head, ctx)
        if sym is None:
            if head in self.enums:
                if len(chain) != 2:
                    raise self.fail("Ein Aufzählungswert hat keine Felder", expr.span)
                name = chain[1][0]
                enum = self.enums[head]
                member = enum.member(int(name) if enum.numeric and name.lstrip("-").isdigit() else name)
                if member is None:
                    raise self.fail(f"„{chain[1][0]}“ gehört nicht zu {head}", expr.span,
                                    self.did_you_mean(chain[1][0], list(map(str, self.enums[head].keys()))))
                return c.Const(member.key, c.ValueType(TypeKind.ENUM, enum=self.enums[head]), expr.span)
            raise self.fail(f"Unbekannter Name „{head}“", head_span, self.did_you_mean(head, self.visible_names(ctx)))
        if sym.kind == "paket":
            return self._package_member(sym, chain, expr.span, ctx)
        if sym.kind == "liste":
            raise self.fail(f"„{head}.…“ ist eine Liste von Werten; nutze summe(…), anzahl(…), min(…), max(…), "
                            "erstes(…) oder letztes(…)", expr.span)
        raise self.fail(f"„{head}“ hat keine Felder", expr.span)

    @staticmethod
    def _rebuild(chain: list[tuple[str, ast.Span]]) -> ast.Expression:
        node: ast.Expression = ast.Name(chain[0][0], chain[0][1])
        for name, span in chain[1:]:
            node = ast.Attribute(node, name, span)
        return node

    def _package_member(self, sym: _Symbol, chain: list[tuple[str, ast.Span]], span: ast.Span, ctx: _Context) -> c.Expr:
        if len(chain) != 2:
            raise self.fail("Ein Paketwert hat keine weiteren Felder", span)
        member = chain[1][0]
        pid = sym.id
        pkg = self.packages[pid]
        if member in ("stufe", "berechnete_stufe"):
            if pkg["level_type"] is None:
                raise self.fail(f"Das Paket „{sym.name}“ hat keine Stufen", span)
            key = _join(sym.name, "stufe" if member == "stufe" else "berechnete_stufe")
            vtype = c.ValueType(TypeKind.ENUM, enum=pkg["level_type"], integer=True)
            node_id = _join(sym.scope, key)
            kind = RefKind.WERT
            if member == "berechnete_stufe" and pkg["rule"] == "einschätzung":
                kind = RefKind.EINGABE
            return c.Ref(node_id, key, sym.scope, kind, vtype, span)
        inner = self.package_ns[pid].names.get(member)
        if inner is None:
            names = list(self.package_ns[pid].names) + (["stufe", "berechnete_stufe"] if pkg["level_type"] else [])
            raise self.fail(f"Das Paket „{sym.name}“ hat kein „{member}“", chain[1][1],
                            self.did_you_mean(member, names))
        return self.ref(inner, span, ctx)

    def _r_Lookup(self, expr: ast.Lookup, ctx: _Context) -> c.Expr:
        table_sym = None
        if isinstance(expr.table, ast.Name):
            table_sym = self.find(expr.table.name, ctx)
        elif isinstance(expr.table, ast.Attribute):
            chain = self._attribute_chain(expr.table)
            if chain and len(chain) == 2:
                pkg = self.find(chain[0][0], ctx)
                if pkg is not None and pkg.kind == "paket":
                    table_sym = self.package_ns[pkg.id].names.get(chain[1][0])
        if table_sym is None or table_sym.kind != "tabelle":
            name = expr.table.name if isinstance(expr.table, ast.Name) else "?"
            tables = [s.name for s in self.symbols.values() if s.kind == "tabelle"]
            raise self.fail(f"„{name}“ ist keine Tabelle", expr.table.span, self.did_you_mean(name, tables))
        spec = self.tables.get(table_sym.id)
        if spec is None:
            raise _Fail()
        if len(expr.keys) != len(spec.key_types):
            raise self.fail(f"Die Tabelle „{spec.name}“ hat {len(spec.key_types)} Schlüssel, "
                            f"abgefragt mit {len(expr.keys)}", expr.span)
        keys = []
        for key_expr, kt in zip(expr.keys, spec.key_types, strict=True):
            key = self.resolve(key_expr, ctx)
            keys.append(self._coerce_key(key, kt, key_expr.span, spec.name))
        return c.Lookup(spec.id, tuple(keys), spec.value_type, expr.span)

    def _coerce_key(self, key: c.Expr, kt: c.ValueType, span: ast.Span, table: str) -> c.Expr:
        kind = key.type.kind
        if kt.kind == TypeKind.ENUM:
            assert kt.enum is not None
            if kind == TypeKind.ENUM and key.type.enum is not None and (
                key.type.enum == kt.enum or key.type.enum.numeric and kt.enum.numeric
            ):
                return key
            if kind == TypeKind.ZAHL and kt.enum.numeric and key.type.unit.is_dimensionless:
                return key
            raise self.fail(
                f"Der Schlüssel hat den Typ {key.type.describe()}, die Tabelle „{table}“ erwartet {kt.describe()}", span
            )
        if kt.kind == TypeKind.ZAHL:
            key = self.adopt(key, kt.unit)
            if (kind == TypeKind.ENUM and key.type.enum is not None and key.type.enum.numeric
                    and kt.unit.is_dimensionless):
                return key
            if kind != TypeKind.ZAHL or key.type.unit != kt.unit:
                raise self.fail(
                    f"Der Schlüssel hat den Typ {key.type.describe()}, die Tabelle „{table}“ erwartet {kt.describe()}",
                    span,
                )
            return key
        if kind != kt.kind:
            raise self.fail(
                f"Der Schlüssel hat den Typ {key.type.describe()}, die Tabelle „{table}“ erwartet {kt.describe()}", span
            )
        return key

    def numeric(self, ir: c.Expr) -> bool:
        t = ir.type
        return t.kind == TypeKind.ZAHL or t.kind == TypeKind.ENUM and t.enum is not None and t.enum.numeric

    def number_type(self, ir: c.Expr) -> c.ValueType:
        if ir.type.kind == TypeKind.ENUM:
            return c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, True)
        return ir.type

    def _r_Unary(self, expr: ast.Unary, ctx: _Context) -> c.Expr:
        operand = self.resolve(expr.operand, ctx)
        if expr.op == "nicht":
            if operand.type.kind != TypeKind.JA_NEIN:
                raise self.fail(f"„nicht“ braucht ja/nein, nicht {operand.type.describe()}", expr.span)
            return c.Unary("nicht", operand, c.BOOL, expr.span)
        if not self.numeric(operand):
            raise self.fail(f"„-“ braucht eine Zahl, nicht {operand.type.describe()}", expr.span)
        return c.Unary("-", operand, self.number_type(operand), expr.span)

    def _r_Binary(self, expr: ast.Binary, ctx: _Context) -> c.Expr:
        left = self.resolve(expr.left, ctx)
        right = self.resolve(expr.right, ctx)
        op = expr.op
        if op in ("und", "oder"):
            for side in (left, right):
                if side.type.kind != TypeKind.JA_NEIN:
                    raise self.fail(f"„{op}“ verbindet ja/nein-Werte, nicht {side.type.describe()}", side.span)
            return c.Logic(op, left, right, c.BOOL, expr.span)
        if op in ("=", "<>", "<", "<=", ">", ">="):
            return self._compare(op, left, right, expr.span)
        if op in ("+", "-"):
            return self._additive(op, left, right, expr.span)
        return self._multiplicative(op, left, right, expr.span)

    def _same_units(self, left: c.Expr, right: c.Expr, span: ast.Span, what: str) -> tuple[c.Expr, c.Expr]:
        if self.is_flex(left) and not self.is_flex(right):
            left = self.adopt(left, right.type.unit)
        elif self.is_flex(right) and not self.is_flex(left):
            right = self.adopt(right, left.type.unit)
        lu, ru = self.number_type(left).unit, self.number_type(right).unit
        if lu != ru:
            factor = conversion_factor(lu, ru)
            hint = (f"rechne mit „als {ru}“ oder „als {lu}“ um" if factor is not None
                    else "die Größen haben verschiedene Dimensionen")
            raise self.fail(
                f"Einheiten passen nicht zusammen: {what} von {lu or 'Zahl ohne Einheit'} "
                f"und {ru or 'Zahl ohne Einheit'}",
                span, hint, code="einheit",
            )
        return left, right

    def _compare(self, op: str, left: c.Expr, right: c.Expr, span: ast.Span) -> c.Expr:
        lk, rk = left.type.kind, right.type.kind
        if self.numeric(left) and self.numeric(right):
            if (
                lk == TypeKind.ENUM
                and rk == TypeKind.ENUM
                and left.type.enum != right.type.enum
                and not (left.type.enum and left.type.enum.is_levels and right.type.enum and right.type.enum.is_levels)
                and not (left.type.enum and right.type.enum and left.type.enum.numeric and right.type.enum.numeric)
            ):
                raise self.fail(f"Vergleich von {left.type.describe()} mit {right.type.describe()}", span)
            if lk == TypeKind.ZAHL and rk == TypeKind.ZAHL:
                left, right = self._same_units(left, right, span, "Vergleich")
            return c.Compare(op, left, right, c.BOOL, span)
        if lk != rk:
            raise self.fail(f"Vergleich von {left.type.describe()} mit {right.type.describe()}", span)
        if lk == TypeKind.ENUM and left.type.enum != right.type.enum:
            raise self.fail(f"Vergleich von {left.type.describe()} mit {right.type.describe()}", span)
        if lk in (TypeKind.JA_NEIN, TypeKind.TEXT, TypeKind.ENUM, TypeKind.SCHLUESSEL) and op not in ("=", "<>"):
            raise self.fail(f"{left.type.describe()} lässt sich nur mit = oder <> vergleichen", span)
        return c.Compare(op, left, right, c.BOOL, span)

    def _additive(self, op: str, left: c.Expr, right: c.Expr, span: ast.Span) -> c.Expr:
        if left.type.kind == TypeKind.DATUM:
            right = self.adopt(right, parse_unit("Tag"))
            if right.type.kind == TypeKind.ZAHL:
                factor = conversion_factor(right.type.unit, parse_unit("Tag"))
                if factor is not None and right.type.unit.dimension() == parse_unit("Tag").dimension():
                    if factor != 1:
                        days = c.ValueType(TypeKind.ZAHL, parse_unit("Tag"), True)
                        right = c.Convert(right, factor, days, right.span)
                    return c.Arith(op, left, right, c.DATE, span)
            if right.type.kind == TypeKind.DATUM and op == "-":
                raise self.fail("Datumsdifferenzen: kalendertage(von, bis)", span)
            raise self.fail(f"Zu einem Datum lassen sich nur Tage oder Wochen addieren, nicht {right.type.describe()}",
                            span, "für Monate und Jahre: datum_plus(datum, n Monate)")
        for side in (left, right):
            if not self.numeric(side):
                raise self.fail(f"„{op}“ braucht Zahlen, nicht {side.type.describe()}", side.span)
        left, right = self._same_units(left, right, span, "Summe" if op == "+" else "Differenz")
        result = self.number_type(left)
        integer = self.number_type(left).integer and self.number_type(right).integer
        if self.is_flex(left) and self.is_flex(right) and isinstance(left, c.Const) and isinstance(right, c.Const):
            value = left.value + right.value if op == "+" else left.value - right.value
            return self.flex(c.Const(value, c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, integer), span))
        return c.Arith(op, left, right, c.ValueType(TypeKind.ZAHL, result.unit, integer), span)

    _COUNT_UNITS = ("", "Personen", "Plätze")

    def _multiplicative(self, op: str, left: c.Expr, right: c.Expr, span: ast.Span) -> c.Expr:
        if op == "*" and (left.type.kind == TypeKind.SCHLUESSEL or right.type.kind == TypeKind.SCHLUESSEL):
            key, count = (left, right) if left.type.kind == TypeKind.SCHLUESSEL else (right, left)
            if count.type.kind == TypeKind.SCHLUESSEL:
                raise self.fail("Zwei Schlüssel lassen sich nicht multiplizieren", span)
            if not self.numeric(count) or str(self.number_type(count).unit) not in self._COUNT_UNITS:
                raise self.fail("Ein Schlüssel 1:x wird mit einer Anzahl (Personen, Plätze) multipliziert, "
                                f"nicht mit {count.type.describe()}", span)
            return c.KeyApply(key, count, c.ValueType(TypeKind.ZAHL, parse_unit("VK")), span)
        for side in (left, right):
            if not self.numeric(side):
                raise self.fail(f"„{op}“ braucht Zahlen, nicht {side.type.describe()}", side.span)
        lt, rt = self.number_type(left), self.number_type(right)
        unit = lt.unit * rt.unit if op == "*" else lt.unit / rt.unit
        if unit.is_dimensionless and (
            lt.unit.percent and rt.unit.is_dimensionless and op == "*"
            or rt.unit.percent and lt.unit.is_dimensionless and op == "*"
        ):
            unit = PERCENT if not (lt.unit.percent and rt.unit.percent) else DIMENSIONLESS
        integer = lt.integer and rt.integer and op == "*"
        if self.is_flex(left) and self.is_flex(right) and isinstance(left, c.Const) and isinstance(right, c.Const):
            if op == "/" and right.value == 0:
                raise self.fail("Division durch null", span)
            value = left.value * right.value if op == "*" else left.value / right.value
            return self.flex(c.Const(value, c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, integer), span))
        return c.Arith(op, left, right, c.ValueType(TypeKind.ZAHL, unit, integer), span)

    def _r_Conditional(self, expr: ast.Conditional, ctx: _Context) -> c.Expr:
        test = self.resolve(expr.test, ctx)
        if test.type.kind != TypeKind.JA_NEIN:
            raise self.fail(f"Nach „wenn“ steht eine Bedingung (ja/nein), nicht {test.type.describe()}", expr.test.span)
        then = self.resolve(expr.then, ctx)
        other = self.resolve(expr.otherwise, ctx)
        if self.numeric(then) and self.numeric(other):
            then, other = self._same_units(then, other, expr.span, "„dann“ und „sonst“")
            vtype = (self.number_type(then) if then.type.kind == TypeKind.ZAHL or other.type.kind != TypeKind.ZAHL
                     else self.number_type(other))
            if (then.type.kind == TypeKind.ENUM and other.type.kind == TypeKind.ENUM
                    and then.type.enum == other.type.enum):
                vtype = then.type
            out = c.Cond(test, then, other, vtype, expr.span)
            if self.is_flex(then) and self.is_flex(other):
                self.flexible[id(out)] = out
            return out
        if then.type.kind != other.type.kind or then.type.kind == TypeKind.ENUM and then.type.enum != other.type.enum:
            raise self.fail(f"„dann“ ({then.type.describe()}) und „sonst“ ({other.type.describe()}) haben verschiedene "
                            "Typen", expr.span)
        return c.Cond(test, then, other, then.type, expr.span)

    def _r_Conversion(self, expr: ast.Conversion, ctx: _Context) -> c.Expr:
        operand = self.resolve(expr.operand, ctx)
        target = self.unit_of(expr.unit)
        if not self.numeric(operand):
            raise self.fail(f"„als“ rechnet Zahlen um, nicht {operand.type.describe()}", expr.span)
        if self.is_flex(operand):
            return self.adopt(operand, target)
        source = self.number_type(operand).unit
        factor = conversion_factor(source, target)
        if factor is None:
            raise self.fail(f"{source or 'Zahl ohne Einheit'} lässt sich nicht in {target} umrechnen", expr.span,
                            "umrechenbar sind nur Einheiten gleicher Dimension (min↔h, Tag↔Woche↔Jahr)", code="einheit")
        return c.Convert(operand, factor, c.ValueType(TypeKind.ZAHL, target), expr.span)

    def _r_Call(self, expr: ast.Call, ctx: _Context) -> c.Expr:
        name = expr.function
        if name in _AGGREGATES and (len(expr.args) == 1 or expr.where is not None):
            agg = self._aggregate(expr, ctx)
            if agg is not None:
                return agg
            if name not in ("min", "max") or expr.where is not None:
                raise self._not_a_list(expr, ctx)
        elif name in _AGGREGATES - {"min", "max"}:
            raise self.fail(f"{name}(…) rechnet über genau eine Liste: {name}(LISTE.WERT)", expr.span)
        if expr.where is not None:
            raise self.fail("„wo“ gibt es nur bei summe, anzahl, min, max, erstes und letztes über eine Liste",
                            expr.span)
        if name == "stichtag":  # the reference date of the evaluation
            if expr.args:
                raise self.fail(f"stichtag() hat keine Angaben, nicht {len(expr.args)}", expr.span,
                                "der Stichtag der Auswertung: stichtag() — ein anderes Datum ist eine Eingabe")
            return c.Func(name, (), c.DATE, expr.span)
        args = [self.resolve(a, ctx) for a in expr.args]
        if name in ("min", "max"):
            if len(args) < 2:
                raise self.fail(f"{name}(…) braucht zwei oder mehr Werte oder eine Liste", expr.span)
            first = args[0]
            out = []
            for arg in args:
                if not self.numeric(arg):
                    raise self.fail(f"{name}(…) braucht Zahlen, nicht {arg.type.describe()}", arg.span)
            for arg in args[1:]:
                first, arg = self._same_units(first, arg, expr.span, f"{name}(…)")
                out.append(arg)
            return c.Func(name, (first, *out), self.number_type(first), expr.span)
        if name == "runde":
            if len(args) != 3:
                raise self.fail("runde(wert, stellen, art) braucht drei Angaben", expr.span,
                                "z. B. runde(betrag, 2, kaufmännisch) — die Rundungsart steht immer dabei")
            value, places, mode = args
            if value.type.kind != TypeKind.ZAHL:
                raise self.fail(f"runde(…) rundet Zahlen, nicht {value.type.describe()}", value.span)
            if not (
                isinstance(places, c.Const)
                and places.type.kind == TypeKind.ZAHL
                and places.type.unit.is_dimensionless
                and places.value == places.value.to_integral_value()
            ):
                raise self.fail("Die Stellen von runde(…) sind eine ganze Zahl", places.span)
            if not (isinstance(mode, c.Const) and mode.type.kind == TypeKind.MODUS):
                raise self.fail("Die Rundungsart ist kaufmännisch, abrunden oder aufrunden", mode.span)
            rounded = attrs_evolve_value_type(value.type, integer=True) if places.value == 0 else value.type
            return c.Func("runde", (value, places, mode), rounded, expr.span)
        if name == "kalendertage":
            self._arity(expr, args, 2)
            for arg in args:
                if arg.type.kind != TypeKind.DATUM:
                    raise self.fail(f"kalendertage(von, bis) braucht Daten, nicht {arg.type.describe()}", arg.span)
            return c.Func(name, tuple(args), c.ValueType(TypeKind.ZAHL, parse_unit("Tag"), True), expr.span)
        if name == "datum_plus":
            self._arity(expr, args, 2)
            date, amount = args
            if date.type.kind != TypeKind.DATUM:
                raise self.fail("datum_plus(datum, menge) braucht zuerst ein Datum", date.span)
            if amount.type.kind != TypeKind.ZAHL or str(amount.type.unit) not in ("Tage", "Wochen", "Monate", "Jahre"):
                raise self.fail("datum_plus(datum, menge): die Menge hat die Einheit Tage, Wochen, Monate oder Jahre",
                                amount.span)
            return c.Func(name, (date, amount), c.DATE, expr.span)
        if name in ("jahr", "monat"):
            self._arity(expr, args, 1)
            if args[0].type.kind != TypeKind.DATUM:
                raise self.fail(f"{name}(…) braucht ein Datum", args[0].span)
            return c.Func(name, tuple(args), c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, True), expr.span)
        if name == "tage_im_monat":
            self._arity(expr, args, 2)
            for arg in args:
                if not self.numeric(arg) or not self.number_type(arg).unit.is_dimensionless:
                    raise self.fail("tage_im_monat(jahr, monat) braucht zwei Zahlen", arg.span)
            return c.Func(name, tuple(args), c.ValueType(TypeKind.ZAHL, parse_unit("Tag"), True), expr.span)
        raise self.fail(f"Unbekannte Funktion „{name}“", expr.span, self.did_you_mean(name, _FUNCTIONS | _AGGREGATES))

    def _not_a_list(self, expr: ast.Call, ctx: _Context) -> _Fail:
        """``summe(kap4)``: the argument resolves, but it is not a value of a list."""
        arg = self.resolve(expr.args[0], ctx)  # reports unknown names with did-you-mean
        span = expr.args[0].span
        lines = self.lines_of(span)
        line = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
        text = line[span.column - 1 : span.end_column - 1] if span.end_line == span.line else str(expr.function)
        lists: list[str] = []
        sid: str | None = ctx.scope
        while sid is not None:
            lists.extend(self.scopes[child]["name"] for child in self.scopes[sid]["lists"])
            sid = self.scopes[sid]["parent"]
        what = "zählt die Elemente einer Liste" if expr.function == "anzahl" else "rechnet über die Werte einer Liste"
        hint = (f"z. B. {expr.function}({lists[0]}{'' if expr.function == 'anzahl' else '.WERT'})" if lists
                else "hier ist keine Liste deklariert")
        return self.fail(f"{expr.function}(…) {what}; „{text}“ ist {arg.type.describe()}, keine Liste", expr.span, hint)

    def _arity(self, expr: ast.Call, args: list[c.Expr], count: int) -> None:
        if len(args) != count:
            raise self.fail(f"{expr.function}(…) braucht {count} Angabe{'n' if count > 1 else ''}, nicht {len(args)}",
                            expr.span)

    def _aggregate(self, expr: ast.Call, ctx: _Context) -> c.Expr | None:
        arg = expr.args[0]
        chain = self._attribute_chain(arg)
        if chain is None:
            return None
        sym = self.find(chain[0][0], ctx)
        if sym is None or sym.kind != "liste":
            return None
        list_scope = sym.id
        inner_ctx = self.context(list_scope, None, ctx.node)
        where = None
        if expr.where is not None:
            where = self.resolve(expr.where, inner_ctx)
            if where.type.kind != TypeKind.JA_NEIN:
                raise self.fail("Nach „wo“ steht eine Bedingung (ja/nein)", expr.where.span)
        if len(chain) == 1:
            if expr.function != "anzahl":
                raise self.fail(f"{expr.function}(…) braucht Werte: {chain[0][0]}.WERT", expr.span)
            count_type = c.ValueType(TypeKind.ZAHL, DIMENSIONLESS, True)
            return c.Aggregate("anzahl", list_scope, None, where, count_type, expr.span)
        if expr.function == "anzahl":
            raise self.fail(f"anzahl(…) zählt Elemente: anzahl({chain[0][0]})", expr.span)
        value = self.resolve(self._rebuild(chain[1:]), inner_ctx)
        if expr.function in ("summe", "min", "max") and not self.numeric(value):
            raise self.fail(f"{expr.function}(…) braucht Zahlen, nicht {value.type.describe()}", expr.span)
        vtype = self.number_type(value) if expr.function == "summe" else value.type
        return c.Aggregate(expr.function, list_scope, value, where, vtype, expr.span)

    # ---- phase 3: values and nodes --------------------------------------------------------------

    def value_type(self, sym: _Symbol) -> c.ValueType:
        if sym.ir_type is not None:
            return sym.ir_type
        if sym.id in self.failed:
            raise _Fail()
        if sym.id in self.in_progress:
            cycle = self.in_progress[self.in_progress.index(sym.id):] + [sym.id]
            names = " → ".join(self.symbols[s].name if s in self.symbols else s for s in cycle)
            raise self.fail(f"Zyklische Definition: {names}", sym.span,
                            "ein Wert darf nicht (über andere) von sich selbst abhängen", code="zyklus")
        self.in_progress.append(sym.id)
        try:
            decl = sym.decl
            assert isinstance(decl, ast.Value)
            ir = self.resolve(decl.expr, self.context(sym.scope, sym.package, sym.id))
            vtype = ir.type
            bounded = vtype.low is not None or vtype.high is not None or vtype.choices is not None
            if vtype.kind == TypeKind.ZAHL and bounded:
                # a derived value has no range of its own unless it declares one
                vtype = attrs_evolve_value_type(vtype, low=None, high=None, choices=None)
            if decl.type is not None:
                declared = self.type_of(decl.type, sym.package, sym.scope)
                ir = self._conform(ir, declared, decl.type.span, f"„{sym.name}“")
                if declared.kind == TypeKind.ZAHL:
                    # the declared range is checked when the value is computed
                    vtype = attrs_evolve_value_type(vtype, unit=ir.type.unit, low=declared.low, high=declared.high)
                else:
                    vtype = ir.type
            sym.ir_type = vtype
            self.value_ir[sym.id] = ir
            return ir.type
        except _Fail:
            self.failed.add(sym.id)
            raise
        finally:
            self.in_progress.pop()

    def _conform(self, ir: c.Expr, declared: c.ValueType, span: ast.Span, what: str) -> c.Expr:
        if declared.kind == TypeKind.ZAHL:
            ir = self.adopt(ir, declared.unit)
            if not self.numeric(ir):
                raise self.fail(f"{what} ist als {declared.describe()} deklariert, ergibt aber {ir.type.describe()}",
                                span)
            got = self.number_type(ir).unit
            if got != declared.unit:
                factor = conversion_factor(got, declared.unit)
                hint = f"rechne mit „als {declared.unit}“ um" if factor is not None else None
                raise self.fail(f"{what} ist als {declared.unit or 'Zahl ohne Einheit'} deklariert, "
                                f"ergibt aber {got or 'eine Zahl ohne Einheit'}", span, hint, code="einheit")
            if declared.integer and not self.number_type(ir).integer:
                raise self.fail(f"{what} ist als ganze Zahl deklariert, kann aber Nachkommastellen haben", span,
                                "runde ausdrücklich, z. B. runde(…, 0, kaufmännisch), oder deklariere „zahl“",
                                code="einheit")
            if declared.unit.percent and not ir.type.unit.percent:
                return attrs_evolve_type(ir, c.ValueType(TypeKind.ZAHL, declared.unit, ir.type.integer))
            return ir
        if declared.kind != ir.type.kind or declared.kind == TypeKind.ENUM and declared.enum != ir.type.enum:
            raise self.fail(f"{what} ist als {declared.describe()} deklariert, ergibt aber {ir.type.describe()}", span)
        return ir

    def _build_nodes(self) -> None:
        for sym in list(self.symbols.values()):
            if sym.kind != "wert":
                continue
            try:
                self.value_type(sym)
            except _Fail:
                continue
            ir = self.value_ir[sym.id]
            decl = sym.decl
            assert isinstance(decl, ast.Value)
            self.nodes[sym.id] = c.ValueNode(sym.id, sym.key, sym.scope, sym.ir_type or ir.type, decl.span,
                                             label=decl.doc, doc=decl.doc, source=self.source_of(decl.span),
                                             deps=tuple(deps_of(ir)), expr=ir, package=sym.package)
        for pid, (rule, sid) in self.package_rules.items():
            self._level_nodes(pid, rule, sid)
        for index, (check, sid, package) in enumerate(self.checks):
            self._check_node(index, check, sid, package)

    def source_of(self, span: ast.Span) -> str:
        if span.line <= 0:
            return ""
        lines = self.lines_of(span)
        end = span.end_line
        # a declaration's span ends after the newline and the next line's indentation
        if end > span.line and (
            span.end_column <= 1 or 0 < end <= len(lines) and not lines[end - 1][: span.end_column - 1].strip()
        ):
            end -= 1
        text = "\n".join(lines[span.line - 1 : max(end, span.line)])
        return text.strip()

    def _level_nodes(self, pid: str, rule: ast.LevelRule, sid: str) -> None:
        pkg = self.packages[pid]
        name = pkg["name"]
        level_type = c.ValueType(TypeKind.ENUM, enum=pkg["level_type"], integer=True)
        computed_id = _join(pid, "berechnete_stufe")
        ctx = self.context(sid, name, computed_id)
        numbers = [lv.number for lv in pkg["levels"]]
        if rule.kind == "korridor":
            assert rule.expr is not None  # the grammar gives a korridor its quantity
            try:
                subject = self.resolve(rule.expr, ctx)
            except _Fail:
                return
            if not self.numeric(subject):
                self.report(f"Ein Korridor braucht eine Zahl, nicht {subject.type.describe()}", rule.expr.span)
                return
            unit = self.number_type(subject).unit
            bands = []
            broken = False  # a rejected band: coverage findings would only repeat that error
            for band in rule.bands:
                if band.level not in numbers:
                    self.report(f"Stufe {band.level} ist im Paket „{name}“ nicht deklariert", band.span,
                                "deklarierte Stufen: " + ", ".join(map(str, numbers)))
                    broken = True
                    continue
                try:
                    lower = self._bound_expr(band.lower, unit, ctx) if band.lower is not None else None
                    upper = self._bound_expr(band.upper, unit, ctx) if band.upper is not None else None
                except _Fail:
                    broken = True
                    continue
                if lower is None and upper is None:
                    self.report("Ein Korridorband braucht mindestens eine Grenze (ab/über, bis/unter)", band.span)
                    broken = True
                    continue
                bands.append(
                    c.BandSpec(band.level, lower, band.lower_inclusive, upper, band.upper_inclusive, band.span)
                )
            bounds_deps = tuple(d for b in bands for e in (b.lower, b.upper) if e is not None for d in deps_of(e))
            node = c.CorridorLevelNode(computed_id, _join(name, "berechnete_stufe"), sid, level_type, rule.span,
                                       label=f"berechnete Stufe {name}", doc=None, source=self.source_of(rule.span),
                                       deps=tuple(deps_of(subject)) + bounds_deps,
                                       subject=subject, bands=tuple(bands), package=name)
            self.nodes[computed_id] = node
            if not broken:
                self._corridor_findings(node, pkg)
        elif rule.kind == "ausdruck":
            assert rule.expr is not None  # the grammar gives ``stufe = …`` its expression
            try:
                ir = self.resolve(rule.expr, ctx)
            except _Fail:
                return
            if not self.numeric(ir) or not self.number_type(ir).unit.is_dimensionless:
                self.report(f"Eine Stufe ist eine ganze Zahl ohne Einheit, nicht {ir.type.describe()}", rule.expr.span)
                return
            self.nodes[computed_id] = c.ExpressionLevelNode(
                computed_id, _join(name, "berechnete_stufe"), sid, level_type, rule.span,
                label=f"berechnete Stufe {name}", doc=None, source=self.source_of(rule.span),
                deps=tuple(deps_of(ir)), expr=ir, package=name)
            dom = domain_of(ir, self)
            if dom.values is not None:
                outside = sorted(v for v in dom.values if v not in numbers)
                if outside:
                    self.report(f"Die Stufenregel von „{name}“ kann {', '.join(map(str, outside))} ergeben; "
                                f"deklariert sind {', '.join(map(str, numbers))}", rule.span, code="stufe")
                unreachable = [n for n in numbers if n not in dom.values]
                for n in unreachable:
                    self.report(f"Stufe {n} von „{name}“ wird nie erreicht", pkg["span"], severity="warnung",
                                code="unerreichbar")
        # the effective level: granted where given, else computed
        effective_id = _join(pid, "stufe")
        computed_kind = RefKind.EINGABE if rule.kind == "einschätzung" else RefKind.WERT
        computed_ref = c.Ref(computed_id, _join(name, "berechnete_stufe"), sid, computed_kind, level_type, rule.span)
        self.nodes[effective_id] = c.GrantedLevelNode(
            effective_id, _join(name, "stufe"), sid, level_type, rule.span,
            label=f"Stufe {name}", doc=None, source=self.source_of(rule.span),
            deps=(computed_id,) if computed_kind == RefKind.WERT else (), expr=computed_ref, package=name)

    def _bound_expr(self, expr: ast.Expression, unit: Unit, ctx: _Context) -> c.Expr:
        ir = self.adopt(self.resolve(expr, ctx), unit)
        if not self.numeric(ir) or self.number_type(ir).unit != unit:
            raise self.fail(f"Die Grenze hat {self.number_type(ir).unit or 'keine Einheit'}, "
                            f"der Korridor {unit or 'keine Einheit'}", expr.span, code="einheit")
        return ir

    def _corridor_findings(self, node: c.CorridorLevelNode, pkg: _PackageInfo) -> None:
        domain = domain_of(node.subject, self)
        self.corridor_domains[node.id] = domain
        bounds = []
        for band in node.bands:
            lo = domain_of(band.lower, self).single() if band.lower is not None else None
            hi = domain_of(band.upper, self).single() if band.upper is not None else None
            if band.lower is not None and lo is None or band.upper is not None and hi is None:
                self.report("Korridorgrenzen sind feste Zahlen oder Parameter", band.span)
                return
            bounds.append((band, lo, hi))
        unit = str(self.number_type(node.subject).unit)
        levels = [lv.number for lv in pkg["levels"]]
        for severity, message, span, hint in corridor_findings(domain, bounds, unit, levels, pkg["name"]):
            self.report(message, span or pkg["span"], hint, severity=severity, code="korridor")

    def _check_node(self, index: int, check: ast.Check, sid: str, package: str | None) -> None:
        # a check of a variant's base file is told apart by that file's name (line numbers repeat)
        origin = "" if check.span.file is None else (
            re.sub(r"\W", "_", check.span.file.replace("\\", "/").rsplit("/", 1)[-1].split(".")[0]) + "-"
        )
        kind = NodeKind.PRUEFUNG if check.severity == "fehler" else NodeKind.WARNUNG
        node_id = _join(sid, package, f"{kind}@{origin}{check.span.line}")
        ctx = self.context(sid, package, node_id)
        try:
            cond = self.resolve(check.condition, ctx)
        except _Fail:
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
                parts.append(self.resolve(written, ctx))
            except _Fail:  # reported where the expression failed; the message leaves it out
                continue
        deps = list(deps_of(cond))
        for part in parts:
            if not isinstance(part, str):
                deps.extend(deps_of(part))
        self.nodes[node_id] = c.CheckNode(node_id, node_id.rsplit(".", 1)[-1], sid, c.BOOL, check.span,
                                          label=check.label, doc=None, source=self.source_of(check.span),
                                          deps=tuple(deps), kind=kind, expr=cond, message=tuple(parts),
                                          package=package)

    # ---- ordering ----------------------------------------------------------------------------------

    def _order(self) -> list[str]:
        """A dependency order; checks as early as possible, else declaration order."""
        import heapq

        ids = list(self.nodes)
        position = {nid: i for i, nid in enumerate(ids)}
        indegree = {nid: 0 for nid in ids}
        users: dict[str, list[str]] = {nid: [] for nid in ids}
        for nid in ids:
            for dep in set(self.nodes[nid].deps):
                if dep in self.nodes and dep != nid:
                    indegree[nid] += 1
                    users[dep].append(nid)
        heap = [(self._priority(nid), position[nid], nid) for nid in ids if indegree[nid] == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            _, _, nid = heapq.heappop(heap)
            order.append(nid)
            for user in users[nid]:
                indegree[user] -= 1
                if indegree[user] == 0:
                    heapq.heappush(heap, (self._priority(user), position[user], user))
        if len(order) != len(ids):
            stuck = [nid for nid in ids if nid not in set(order)]
            node = self.nodes[stuck[0]]
            self.report("Zyklische Definition: " + " → ".join(self.nodes[s].key for s in stuck[:6]), node.span,
                        code="zyklus")
        return order

    def _priority(self, nid: str) -> int:
        node = self.nodes[nid]
        return (0 if node.kind == NodeKind.PRUEFUNG else 1) + 2 * self.scopes[node.scope]["depth"]

    # ---- header, examples, templates --------------------------------------------------------------

    def _info(self) -> c.ModelInfo:
        h = self.module.header
        if h.valid_from is not None and h.valid_to is not None and h.valid_to < h.valid_from:
            self.report("„gültig bis“ liegt vor „gültig ab“", h.span)
        ref = None
        if h.reference_date is not None:
            steps = h.reference_date.steps
            ref = tuple(str(s) for s in steps)
            spec = next((i for i in self.inputs.get("", []) if i.path == ref), None)
            if spec is None or spec.type.kind != TypeKind.DATUM:
                dates = [".".join(i.path) for i in self.inputs.get("", []) if i.type.kind == TypeKind.DATUM]
                hint = (self.did_you_mean(str(h.reference_date), dates) if spec is None else None) or (
                    "Datumseingaben des Modells: " + ", ".join(dates) if dates
                    else "deklariere eine Eingabe vom Typ datum"
                )
                found = ("keine Eingabe des Modells" if spec is None
                         else f"keine Datumseingabe, sondern {spec.type.describe()}")
                self.report(f"Der Stichtag „{h.reference_date}“ ist {found}", h.reference_date.span, hint)
        if h.valid_from is None:
            self.report("Der Modellkopf braucht „gültig ab TT.MM.JJJJ“", h.span)
        budget = None
        paths = [p for p in (h.budget, h.element_budget) if p is not None]
        in_lists = [p for p in paths if self._element_budget(p) is not None]
        top = [p for p in paths if p not in in_lists]
        element = self._element_budget(in_lists[0]) if in_lists else None
        if len(in_lists) > 1 or (h.element_budget is not None and not in_lists):
            second = in_lists[1] if len(in_lists) > 1 else paths[1]
            self.report(f"„budget {second}“: ein Modellkopf nennt ein Budget des Falls und höchstens eines "
                        "je Listenelement", second.span,
                        "budget WERT (oberste Ebene) und budget LISTE.WERT (der eigene Betrag eines Elements)")
        budget_path = top[0] if top else None
        if budget_path is not None:
            budget = tuple(str(s) for s in budget_path.steps)
            key = ".".join(budget)
            node = next(
                (n for n in self.nodes.values() if n.scope == "" and n.key == key and n.kind == NodeKind.WERT), None
            )
            failed = node is None and key in self.symbols and self.symbols[key].kind == "wert"  # reported already
            if not failed and (node is None or node.type.kind != TypeKind.ZAHL):
                values = [
                    n.key for n in self.nodes.values()
                    if n.scope == "" and n.kind == NodeKind.WERT and n.type.kind == TypeKind.ZAHL
                ]
                found = ("kein Wert auf oberster Ebene des Modells" if node is None
                         else f"keine Zahl, sondern {node.type.describe()}")
                self.report(f"Das Budget „{budget_path}“ ist {found}", budget_path.span,
                            self.did_you_mean(key, values)
                            or "„budget“ nennt den Wert, der das Gesamtbudget eines Falls ist")
        if h.extends is not None and not self.module.sources:
            self.report(f"„erweitert \"{h.extends}\"“: das Basismodell wurde nicht eingelesen", h.span,
                        "eine Variante wird mit teilhabe_rules.load(DATEI) geladen, das das Basismodell sucht")
        return c.ModelInfo(h.name, h.title, h.version, h.long_title, h.valid_from, h.valid_to, h.sources, h.family, ref,
                           h.description, h.predecessor, self.file, budget, h.extends,
                           tuple(name for name, _ in self.module.sources), element)

    def _element_budget(self, path: ast.Path) -> tuple[str, str] | None:
        """(list, value key) if ``path`` names a numeric value in a list on the top level
        (``bewohner.jahresbetrag``), else None."""
        steps = [str(s) for s in path.steps]
        if len(steps) < 2:
            return None
        listed = next((sid for sid in self.scopes if sid and "." not in sid and sid == steps[0]), None)
        if listed is None:
            return None
        key = ".".join(steps[1:])
        node = next((n for n in self.nodes.values() if n.scope == listed and n.key == key
                     and n.kind == NodeKind.WERT and n.type.kind == TypeKind.ZAHL), None)
        return (steps[0], key) if node is not None else None

    def _template_data(self, template: ast.Template) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for assignment in template.assignments:
            try:
                set_path(data, assignment.path.steps, literal_to_data(assignment.value))
            except PathError as exc:
                self.report(str(exc), assignment.span)
        return data

    def _examples(self) -> list[c.ExampleSpec]:
        templates = {t.name: t for t in self.templates_ast}
        template_data: dict[str, dict[str, Any]] = {}
        out = []
        seen: set[tuple[str | None, str]] = set()
        for example, package in self.examples_ast:
            if (package, example.id) in seen:
                self.report(f"Das Beispiel „{example.id}“ ist doppelt", example.span)
            seen.add((package, example.id))
            data: dict[str, Any] = {}
            if example.base is not None:
                if example.base not in templates:
                    self.report(f"Unbekannte Vorlage „{example.base}“", self._base_span(example),
                                self.did_you_mean(example.base, templates))
                    continue
                if example.base not in template_data:
                    template_data[example.base] = self._template_data(templates[example.base])
                data = _copy_data(template_data[example.base])
            for assignment in example.inputs:
                try:
                    set_path(data, assignment.path.steps, literal_to_data(assignment.value))
                except PathError as exc:
                    self.report(str(exc), assignment.span)
            agreement = []
            for assignment in example.agreement:
                agreement.append((str(assignment.path), literal_to_data(assignment.value), assignment.span))
            expectations = []
            for assignment in example.expectations:
                expectation = self._expectation(assignment)
                if expectation is not None:
                    expectations.append(expectation)
            if not example.expectations and not example.expected_errors:
                self.report(f"Das Beispiel „{example.id}“ erwartet nichts", example.span,
                            "ergänze „erwartet PFAD = WERT“ oder „erwartet fehler \"…\"“")
            out.append(c.ExampleSpec(example.id, example.title, package, data, tuple(agreement), tuple(expectations),
                                     example.expected_errors, example.span, at=example.at))
        return out

    def _base_span(self, example: ast.Example) -> ast.Span:
        """The span of the template name in ``basis NAME`` (the AST keeps only the example's span)."""
        pattern = re.compile(r"^(\s*basis\s+)" + re.escape(example.base or "") + r"(?!\w)")
        for number in range(example.span.line, min(example.span.end_line, len(self.lines)) + 1):
            match = pattern.match(self.lines[number - 1])
            if match:
                column = match.end(1) + 1
                return ast.Span(number, column, number, column + len(example.base or ""))
        return example.span

    def _path_target(self, path: ast.Path) -> tuple[c.ValueType, bool] | None:
        """The type at a data path (``bewohner[1].lp2a.stufe``) and whether it is an input;
        None after reporting a path that names nothing."""
        scope = ""
        names: list[str] = []
        for step in path.steps:
            if isinstance(step, int):
                if not names or _join(scope, names[-1]) not in self.scopes:
                    self.report(f"„{path}“: ein Index folgt nur auf eine Liste", path.span)
                    return None
                scope = _join(scope, names.pop())
                if names:
                    self.report(f"„{path}“ ist kein Pfad zu einem Wert", path.span)
                    return None
            else:
                names.append(step)
        key = ".".join(names)
        node = self.nodes.get(_join(scope, key))  # a value's id is its scope and key
        if node is None or node.scope != scope or node.key != key:
            node = next((n for n in self.nodes.values() if n.scope == scope and n.key == key), None)
        if node is not None:
            return node.type, False
        spec = next((i for i in self.inputs.get(scope, []) if i.key == key), None)
        if spec is not None:
            return spec.type, True
        candidates = [n.key for n in self.nodes.values() if n.scope == scope]
        candidates += [i.key for i in self.inputs.get(scope, [])]
        hint = self.did_you_mean(key, candidates)
        if hint is None and scope == "" and any(sid.split(".")[0] == names[0] for sid in self.scopes if sid):
            hint = f"ein Wert in einer Liste braucht den Index, z. B. {names[0]}[1].…"
        self.report(f"„{path}“ bezeichnet keinen Wert des Modells", path.span, hint)
        return None

    def _expectation(self, assignment: ast.Assignment) -> c.ExpectationSpec | None:
        found = self._path_target(assignment.path)
        if found is None:
            return None
        target = found[0]
        try:
            expected_type = c.ValueType(target.kind, target.unit, enum=target.enum)
            value = self.literal_value(assignment.value, expected_type, "Der erwartete Wert")
        except _Fail:
            return None
        return c.ExpectationSpec(tuple(assignment.path.steps), value, target, assignment.span)

    def _properties(self) -> list[c.PropertySpec]:
        out = []
        ctx = self.context("", None, "eigenschaft")
        for prop in self.properties_ast:
            if prop.expr is not None:
                try:
                    ir = self.resolve(prop.expr, ctx)
                except _Fail:
                    continue
                if ir.type.kind != TypeKind.JA_NEIN:
                    self.report("Eine Eigenschaft ist eine Bedingung (ja/nein)", prop.expr.span)
                    continue
                out.append(c.PropertySpec(prop.title, prop.span, expr=ir))
            else:
                assert prop.target is not None and prop.by is not None
                target = self._path_target(prop.target)
                by = self._path_target(prop.by)
                if target is None or by is None:
                    continue
                target_type, by_type = target[0], by[0]
                if not (
                    target_type.kind == TypeKind.ZAHL
                    or target_type.kind == TypeKind.ENUM and target_type.enum is not None and target_type.enum.numeric
                ):
                    self.report(f"„{prop.target}“ ist keine Zahl und kann nicht {prop.direction} sein",
                                prop.target.span)
                    continue
                if not by[1] or not (
                    by_type.kind == TypeKind.ZAHL
                    or by_type.kind == TypeKind.ENUM and by_type.enum is not None and by_type.enum.numeric
                ):
                    self.report(f"Nach „mit“ steht eine Eingabe mit Zahlenwerten, „{prop.by}“ ist keine", prop.by.span,
                                "die Eigenschaft erhöht diese Eingabe und vergleicht den Wert davor und danach")
                    continue
                out.append(c.PropertySpec(prop.title, prop.span, direction=prop.direction, target=prop.target.steps,
                                          by=prop.by.steps))
        return out


def attrs_evolve_type(ir: c.Expr, vtype: c.ValueType) -> c.Expr:
    import attrs

    return attrs.evolve(ir, type=vtype)


def attrs_evolve_value_type(vtype: c.ValueType, **changes: Any) -> c.ValueType:
    import attrs

    return attrs.evolve(vtype, **changes)


def deps_of(ir: c.Expr | None) -> Iterator[str]:
    """Symbol ids of values read by ``ir`` (inputs and parameters included)."""
    return toolkit.symbols_read(ir)


def _copy_data(data: Any) -> Any:
    """A copy of case data (nested dicts and lists of immutable values)."""
    if isinstance(data, dict):
        return {key: _copy_data(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_copy_data(value) for value in data]
    return data


def literal_to_data(expr: ast.Expression) -> Any:
    """A literal as case data (quantities with units as text such as ``"15 min/Tag"``)."""
    if isinstance(expr, ast.Number):
        return expr.value if expr.unit is None else f"{expr.value} {expr.unit.text}"
    if isinstance(expr, ast.KeyLiteral):
        return f"1:{expr.divisor}"
    if isinstance(expr, (ast.Text, ast.DateLiteral, ast.Truth)):
        return expr.value
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.Attribute) and isinstance(expr.obj, ast.Name):
        return expr.name
    if isinstance(expr, ast.ListLiteral):
        return [literal_to_data(i) for i in expr.items]
    if isinstance(expr, ast.RecordLiteral):
        return {k: literal_to_data(v) for k, v in expr.fields}
    raise PathError("Hier steht nur ein fester Wert (Zahl, Text, Datum, ja/nein, Liste, Datensatz)")


def check_module(module: ast.Module, text: str) -> c.CheckedModel:
    """Check a parsed module; raise :class:`CheckError` with every finding of the file.

    The parser keeps every declaration within :data:`~teilhabe_rules.limits.MAX_DEPTH` levels,
    which the checker's recursion handles with room to spare; should a caller's own stack leave
    too little room, the result is a located CheckError, not a ``RecursionError``."""
    try:
        return Checker(module, text).run()
    except RecursionError:
        span = module.header.span
        lines = text.splitlines()
        raise CheckError(Diagnostic(
            "Das Modell ist zu tief verschachtelt, um es zu prüfen",
            Location(module.file, max(span.line, 1), max(span.column, 1)),
            hint="teile tief verschachtelte Ausdrücke mit „wert“-Zeilen in Zwischenwerte auf",
            source_line=lines[span.line - 1] if 0 < span.line <= len(lines) else None,
            code="grenze",
        )) from None


_ = (_dt, Fraction)
