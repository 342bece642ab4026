"""The checker's first pass: names and scopes.

Takes: an :class:`ast.Module` and the :class:`~teilhabe_rules.check.findings.Findings` sink.
Gives: :class:`Declarations` — the symbol table of the file: the enumerations, the scopes (the model
and its lists), the packages with their levels, every declared name by scope and package, and the
checks, examples, templates, properties and level rules the later passes read — with lookups
(:meth:`Declarations.place`, :meth:`Declarations.find`, …) that the later passes resolve names
with. Reports duplicate and reserved names, misplaced declarations and malformed levels.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TypedDict

import attrs

from ..ir import checked as c
from ..limits import MAX_LIST_NESTING
from ..syntax import ast
from .findings import Findings, join

__all__ = [
    "AGGREGATES", "FUNCTIONS", "RESULT_COLUMNS", "Declarations", "Namespace", "PackageInfo", "Place", "ScopeInfo",
    "Symbol", "declare", "failed_values",
]

AGGREGATES = {"summe", "anzahl", "min", "max", "erstes", "letztes"}
FUNCTIONS = {"min", "max", "runde", "kalendertage", "datum_plus", "jahr", "monat", "tage_im_monat", "stichtag"}
_RESERVED_PACKAGE_MEMBERS = {"stufe", "berechnete_stufe", "bewilligte_stufe", "bewilligt", "begründung"}
_RESERVED_HINT = "stufe, berechnete_stufe, bewilligte_stufe, bewilligt und begründung setzt die Sprache selbst"
RESULT_COLUMNS = frozenset({"_c", "_skalar", "_warnungen", "_sicher", "_flag", "_fehlerzahl", "_meldung", "_pfad",
                            "_fall", "_fehler", "_hinweis"})
"""With ``_i1``, ``_i2`` …: the names of the columns the columnar plan gives every scope's table
beside its values (a row's keys, the rows it flags and why), and those a written result adds
(the case's id, its messages and their hints) — no name of a model may be one of them, A–Z folded to a–z."""
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def failed_values(symbols: Iterable[Symbol], nodes: Iterable[c.Node], refused: Iterable[str] = (),
                  packages: Mapping[str, PackageInfo] | None = None) -> frozenset[str]:
    """The ids of the values declared whose node was not built, the levels (``PAKET.stufe``,
    ``PAKET.berechnete_stufe``) of the ``packages`` with levels whose level rule gave no node, and
    the ids ``refused`` (names refused where they are defined, :attr:`Declarations.refused`): the
    error in their declaration is reported already, and what names them is not reported again as
    naming nothing."""
    built = {(node.scope, node.key) for node in nodes}
    failed = {s.id for s in symbols if s.kind == "wert" and (s.scope, s.key) not in built}
    for pid, pkg in (packages or {}).items():
        if pkg.level_type is not None and (pkg.scope, join(pkg.name, "stufe")) not in built:
            failed.update((join(pid, "stufe"), join(pid, "berechnete_stufe")))
    return frozenset(failed) | set(refused)


def _column_name(name: str) -> str:
    """``name`` as DuckDB compares names of columns: A–Z as a–z (no other letter folded)."""
    return name.translate(_ASCII_LOWER)


@attrs.frozen(eq=False)
class Symbol:
    """A declared name; ``decl`` is its declaration, of the kind ``kind`` names (``eingabe``,
    ``parameter``, ``tabelle``, ``wert``, ``liste``, ``paket``); ``id`` is its scope and ``key``."""

    kind: str
    name: str
    id: str
    key: str
    scope: str
    package: str | None
    decl: ast.Declaration
    span: ast.Span


class ScopeInfo(TypedDict):
    """A scope (the model, or a list); a :class:`checked.ScopeSpec` in the end. A dict, as
    :func:`~teilhabe_rules.ir.domains.domain_of` reads it."""

    name: str
    title: str | None
    parent: str | None
    depth: int
    min: int | None
    max: int | None
    lists: list[str]
    packages: list[str]
    span: ast.Span


@attrs.frozen
class PackageInfo:
    """A package with its levels; a :class:`checked.PackageSpec` in the end."""

    name: str
    title: str | None
    scope: str
    levels: tuple[c.LevelSpec, ...]
    level_type: c.EnumType | None
    rule: str | None
    span: ast.Span


class Namespace:
    """The names declared directly in one scope or package."""

    def __init__(self, owner: str):
        self.owner = owner
        self.names: dict[str, Symbol] = {}
        self.columns: dict[str, Symbol] = {}  # by column_name
        self.refused: set[str] = set()  # names defined here that a rule of names refused (reported there)


class Place:
    """Where an expression is resolved: its scope, its package, its namespaces (innermost first)
    and the node it belongs to."""

    def __init__(self, scope: str, package: str | None, chain: list[Namespace], node: str | None):
        self.scope, self.package, self.chain, self.node = scope, package, chain, node


class Declarations:
    """The symbol table of a file, as the names pass leaves it; the later passes only read it."""

    def __init__(self) -> None:
        self.enums: dict[str, c.EnumType] = {}
        self.scopes: dict[str, ScopeInfo] = {}
        self.scope_ns: dict[str, Namespace] = {}
        self.package_ns: dict[str, Namespace] = {}
        self.symbols: dict[str, Symbol] = {}
        self.packages: dict[str, PackageInfo] = {}
        self.checks: list[tuple[ast.Check, str, str | None]] = []
        self.examples: list[tuple[ast.Example, str | None, str | None]] = []  # example, package name, id
        self.templates: list[ast.Template] = []
        self.properties: list[ast.Property] = []
        self.package_rules: dict[str, tuple[ast.LevelRule, str]] = {}
        self.refused: set[str] = set()  # the ids of the names refused where they are defined

    def place(self, scope: str, package: str | None, node: str | None = None) -> Place:
        """The place of an expression in ``scope`` (and ``package``), belonging to ``node``."""
        chain: list[Namespace] = []
        if package:
            chain.append(self.package_ns[join(scope, package)])
        sid: str | None = scope
        while sid is not None:
            chain.append(self.scope_ns[sid])
            sid = self.scopes[sid]["parent"]
        return Place(scope, package, chain, node)

    def visible_names(self, place: Place) -> list[str]:
        """Every name an expression at ``place`` may use (for did-you-mean)."""
        names = [n for ns in place.chain for n in ns.names]
        return names + list(self.enums) + list(FUNCTIONS | AGGREGATES)

    def find(self, name: str, place: Place) -> Symbol | None:
        for ns in place.chain:
            if name in ns.names:
                return ns.names[name]
        return None

    def refused_at(self, name: str, place: Place) -> bool:
        """Whether ``name``, found nowhere at ``place``, is a name defined there that a rule of
        names refused: its error is reported where it is defined, not again where it is named."""
        return any(name in ns.refused for ns in place.chain)

    def lookup_package(self, name: str, scope: str) -> Symbol | None:
        """The package ``name`` declared in ``scope`` or a scope around it."""
        sid: str | None = scope
        while sid is not None:
            sym = self.scope_ns[sid].names.get(name)
            if sym is not None and sym.kind == "paket":
                return sym
            sid = self.scopes[sid]["parent"]
        return None

    def lists_around(self, scope: str) -> list[str]:
        """The names of the lists declared in ``scope`` and the scopes around it, innermost first."""
        lists: list[str] = []
        sid: str | None = scope
        while sid is not None:
            lists.extend(self.scopes[child]["name"] for child in self.scopes[sid]["lists"])
            sid = self.scopes[sid]["parent"]
        return lists


def declare(module: ast.Module, findings: Findings) -> Declarations:
    """The names pass: every declaration of ``module`` entered in a new symbol table."""
    return _Declarer(findings).run(module)


class _Declarer:
    """Fills one :class:`Declarations`, reporting to ``findings``."""

    def __init__(self, findings: Findings):
        self.findings = findings
        self.report = findings.report
        self.out = Declarations()
        self.enum_spans: dict[str, ast.Span] = {}

    def run(self, module: ast.Module) -> Declarations:
        self._collect_enums(module.items)
        self._declare_scope("", module.header.name, None, None, None, None, module.items, module.header.span)
        return self.out

    def _collect_enums(self, items: Iterable[ast.Declaration]) -> None:
        enums = self.out.enums
        for item in items:
            if isinstance(item, ast.Enumeration):
                if item.name in enums:
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
                enums[item.name] = c.EnumType(item.name, item.title, tuple(members))
                self.enum_spans[item.name] = item.span
            elif isinstance(item, (ast.ListDecl, ast.Package)):
                self._collect_enums(item.items)

    def _declare(self, ns: Namespace, symbol: Symbol) -> None:
        if symbol.name in ns.names:
            first = ns.names[symbol.name]
            self.report(f"„{symbol.name}“ ist in diesem Bereich doppelt definiert", symbol.span,
                        f"zuerst definiert in Zeile {first.span.line}")
            return
        if symbol.name in self.out.enums and symbol.kind != "aufzählung":
            self.report(f"„{symbol.name}“ ist bereits der Name einer Aufzählung", symbol.span)
            return
        normal = unicodedata.normalize("NFKC", symbol.name)
        if normal != symbol.name:  # (Python reads a name in its code so: two names would be one)
            self.report(f"„{symbol.name}“ ist kein Name in Unicode-Normalform (NFKC)", symbol.span,
                        f"schreibe „{normal}“: Zeichen wie „ǅ“, „ﬁ“, „µ“ oder Vollbreite-Buchstaben haben "
                        "eine Grundform, die Programme und Tabellen an ihrer Stelle lesen")
            return self._refused(ns, symbol)
        if not symbol.name.isidentifier():  # (a character the grammar takes as a letter, Python not: ৴)
            self.report(f"„{symbol.name}“ enthält ein Zeichen, das in Namen nicht vorkommt", symbol.span,
                        "Namen bestehen aus Buchstaben, Ziffern und „_“ und beginnen nicht mit einer Ziffer")
            return self._refused(ns, symbol)
        if len(symbol.name) > 4 and symbol.name.startswith("__") and symbol.name.endswith("__"):
            self.report(f"„{symbol.name}“ ist ein Name, den Python selbst verwendet", symbol.span,
                        "Namen mit zwei Unterstrichen am Anfang und am Ende (wie __new__) sind vergeben; "
                        "wähle einen anderen Namen")
            return self._refused(ns, symbol)
        column = _column_name(symbol.name)
        other = ns.columns.get(column)
        hint = "Spalten einer Tabelle (DuckDB, Parquet, CSV) unterscheiden A–Z nicht von a–z: wähle einen anderen Namen"
        if other is not None:
            self.report(f"„{symbol.name}“ unterscheidet sich von „{other.name}“ nur in Groß- und Kleinschreibung",
                        symbol.span, f"„{other.name}“ ist in Zeile {other.span.line} definiert; {hint}")
            return self._refused(ns, symbol)
        reserved = next((r for r in _RESERVED_PACKAGE_MEMBERS if _column_name(r) == column), None) if symbol.package \
            else None
        if reserved is not None:
            self.report(f"„{symbol.name}“ unterscheidet sich von „{reserved}“ des Pakets nur in Groß- und "
                        "Kleinschreibung", symbol.span, f"{_RESERVED_HINT}; {hint}")
            return self._refused(ns, symbol)
        if column in RESULT_COLUMNS or column.startswith("_i") and column[2:].isdigit():
            self.report(f"„{symbol.name}“ ist der Name einer Spalte der Ergebnisse", symbol.span,
                        "_c, _i1, _i2 …, _skalar, _warnungen, _sicher, _flag, _fehlerzahl, _meldung, _pfad, "
                        "_fall, _fehler und _hinweis setzt die Auswertung selbst; "
                        "wähle einen anderen Namen")
            return self._refused(ns, symbol)
        ns.names[symbol.name] = symbol
        ns.columns[column] = symbol
        self.out.symbols[symbol.id] = symbol

    def _refused(self, ns: Namespace, symbol: Symbol) -> None:
        """Keep ``symbol``'s name as refused by a rule of names (reported): what names it is not
        reported again (:meth:`Declarations.refused_at`, :func:`failed_values`)."""
        ns.refused.add(symbol.name)
        self.out.refused.add(symbol.id)

    def _declare_scope(self, sid: str, name: str, title: str | None, parent: str | None, min_count: int | None,
                       max_count: int | None, items: Iterable[ast.Declaration], span: ast.Span) -> None:
        scopes = self.out.scopes
        if min_count is not None and max_count is not None and min_count > max_count:
            self.report(f"Die Liste „{name}“ braucht mindestens {min_count} und erlaubt höchstens {max_count} "
                        "Einträge: kein Fall passt", span, "„mindestens“ darf nicht größer sein als „höchstens“")
        depth = 0 if parent is None else scopes[parent]["depth"] + 1
        scopes[sid] = {
            "name": name, "title": title, "parent": parent, "depth": depth, "min": min_count, "max": max_count,
            "lists": [], "packages": [], "span": span,
        }
        ns = Namespace(sid)
        self.out.scope_ns[sid] = ns
        self._declare_items(items, sid, None, ns)

    def _declare_items(self, items: Iterable[ast.Declaration], sid: str, package: str | None, ns: Namespace) -> None:
        out = self.out
        for item in items:
            if isinstance(item, ast.Enumeration):
                continue
            if isinstance(item, ast.Input):
                key = join(package, item.name)
                if package and item.name in _RESERVED_PACKAGE_MEMBERS:
                    self.report(f"„{item.name}“ ist in einem Paket reserviert", item.span, _RESERVED_HINT)
                    continue
                self._declare(ns, Symbol("eingabe", item.name, join(sid, key), key, sid, package, item, item.span))
            elif isinstance(item, ast.Parameter):
                key = join(package, item.name)
                self._declare(ns, Symbol("parameter", item.name, join(sid, key), key, sid, package, item, item.span))
            elif isinstance(item, ast.Table):
                key = join(package, item.name)
                self._declare(ns, Symbol("tabelle", item.name, join(sid, key), key, sid, package, item, item.span))
            elif isinstance(item, ast.Value):
                key = join(package, item.name)
                if package and item.name in _RESERVED_PACKAGE_MEMBERS:
                    self.report(f"„{item.name}“ ist in einem Paket reserviert", item.span)
                    continue
                self._declare(ns, Symbol("wert", item.name, join(sid, key), key, sid, package, item, item.span))
            elif isinstance(item, ast.ListDecl):
                if package:
                    self.report("Eine Liste steht nicht in einem Paket", item.span,
                                "deklariere die Liste außerhalb des Pakets")
                    continue
                child = join(sid, item.name)
                if out.scopes[sid]["depth"] >= MAX_LIST_NESTING:
                    self.report(
                        f"Listen lassen sich höchstens {MAX_LIST_NESTING} Ebenen tief schachteln",
                        item.span,
                        "jede Ebene ist eine Schleife der Auswertung; fasse Ebenen zusammen",
                    )
                self._declare(ns, Symbol("liste", item.name, child, item.name, sid, None, item, item.span))
                if ns.names.get(item.name) is not None and ns.names[item.name].decl is item:
                    out.scopes[sid]["lists"].append(child)
                    self._declare_scope(child, item.name, item.title, sid, item.min_count, item.max_count, item.items,
                                        item.span)
            elif isinstance(item, ast.Package):
                if package:
                    self.report("Pakete lassen sich nicht schachteln", item.span)
                    continue
                pid = join(sid, item.name)
                self._declare(ns, Symbol("paket", item.name, pid, item.name, sid, None, item, item.span))
                if ns.names.get(item.name) is None or ns.names[item.name].decl is not item:
                    continue
                out.scopes[sid]["packages"].append(pid)
                pns = Namespace(pid)
                out.package_ns[pid] = pns
                self._declare_package(item, pid, sid, pns)
            elif isinstance(item, ast.Check):
                out.checks.append((item, sid, package))
            elif isinstance(item, ast.Example):
                out.examples.append((item, package, join(sid, package) if package else None))
            elif isinstance(item, ast.Template):
                if package or sid:
                    self.report("Vorlagen stehen auf oberster Ebene des Modells", item.span)
                first = next((t for t in out.templates if t.name == item.name), None)
                if first is not None:  # (an example would read the last one silently)
                    self.report(f"Die Vorlage „{item.name}“ ist doppelt definiert", item.span,
                                f"zuerst in Zeile {first.span.line}; benenne eine der beiden um")
                    continue
                out.templates.append(item)
            elif isinstance(item, ast.Property):
                if package or sid:
                    self.report("Eigenschaften stehen auf oberster Ebene des Modells", item.span)
                out.properties.append(item)
            elif isinstance(item, (ast.Levels, ast.LevelRule)):
                self.report("„stufen“ und „stufe …“ stehen nur in einem Paket", item.span)
            elif isinstance(item, (ast.ParameterOverride, ast.TableOverride)):
                what = ("einen neuen Wert eines Parameters" if isinstance(item, ast.ParameterOverride)
                        else "neue Zeilen einer Tabelle")
                self.report(f"„{item.path}“ ohne Typ setzt {what} eines Basismodells; dieses Modell erweitert keines",
                            item.span,
                            "deklariere vollständig („parameter NAME: TYP = WERT“, „tabelle NAME: SCHLÜSSEL -> WERT“) "
                            "oder nenne im Modellkopf das Basismodell: erweitert \"NAME\"")

    def _declare_package(self, item: ast.Package, pid: str, sid: str, pns: Namespace) -> None:
        levels: list[c.LevelSpec] = []
        level_type = None
        rule = None
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
                levels.append(c.LevelSpec(level.number, level.label, level.criteria, level.span))
            level_type = c.EnumType(
                f"Stufe von {item.name}", item.title,
                tuple(c.Member(lv.number, lv.label, lv.criteria) for lv in levels), is_levels=True,
            )
            if not rules:
                self.report(f"Das Paket „{item.name}“ hat Stufen, aber keine Regel „stufe …“", item.span,
                            "„stufe nach korridor …“, „stufe = …“ oder „stufe nach einschätzung“")
        elif rules:
            self.report(f"Das Paket „{item.name}“ hat eine Stufenregel, aber keinen Block „stufen“", rules[0].span)
        if rules and levels_decl:
            rule = rules[0].kind
            self.out.package_rules[pid] = (rules[0], sid)
        self.out.packages[pid] = PackageInfo(item.name, item.title, sid, tuple(levels), level_type, rule, item.span)
        members = [i for i in item.items if not isinstance(i, (ast.Levels, ast.LevelRule))]
        self._declare_items(members, sid, item.name, pns)
