"""The checker's coverage pass: tables and level rules cover what they must.

Takes: the tables as written (:class:`~teilhabe_rules.check.declared.WrittenTable`), the level
rules of :class:`~teilhabe_rules.check.nodes.Nodes`, and what value domains are computed from (the
parameters, tables, scopes and resolved values).
Gives: the domain of every corridor's quantity by node id (for the checked model), and findings:
a complete table misses no combination of its keys; the bands of a corridor cover the domain of
its quantity without gap or overlap, with fixed bounds (:func:`~teilhabe_rules.ir.domains.corridor_findings`);
a ``stufe = …`` gives only declared levels; bands and levels no case reaches are warned of.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ..ir import checked as c
from ..ir.checked import TypeKind
from ..ir.domains import (
    LEVEL_RULE_HINT,
    Domain,
    corridor_findings,
    domain_of,
    level_rule_problem,
    symbols_read_through,
)
from ..ir.text import format_value, quantity_text
from ..span import Span
from .declared import WrittenTable
from .expressions import number_type
from .findings import Findings
from .nodes import LevelRule
from .scopes import ScopeInfo

__all__ = ["SymbolDomains", "check_coverage"]


class SymbolDomains:
    """What :func:`~teilhabe_rules.ir.domains.domain_of` reads (a
    :class:`~teilhabe_rules.ir.domains.SymbolTables`), with its cache of value domains."""

    def __init__(self, parameters: Mapping[str, c.ParameterSpec], tables: Mapping[str, c.TableSpec],
                 scopes: Mapping[str, ScopeInfo], value_ir: Mapping[str, c.Expr]):
        self.parameters = parameters
        self.tables = tables
        self.scopes = scopes
        self.value_ir = value_ir
        self.domains: dict[str, Domain] = {}


def check_coverage(findings: Findings, tables: Iterable[WrittenTable], level_rules: Iterable[LevelRule],
                   symbols: SymbolDomains) -> dict[str, Domain]:
    """Report what the tables and level rules leave uncovered; the corridors' domains by node id."""
    for table in tables:
        _table_coverage(findings, table)
    corridor_domains: dict[str, Domain] = {}
    for rule in level_rules:
        if isinstance(rule.node, c.CorridorLevelNode):
            corridor_domains[rule.node.id] = _corridor_coverage(findings, rule.node, rule.package.levels,
                                                                rule.package.name, rule.package.span, symbols)
        else:
            _expression_coverage(findings, rule.node, [lv.number for lv in rule.package.levels], rule.package.name,
                                 rule.package.span, symbols)
    return corridor_domains


def _table_coverage(findings: Findings, table: WrittenTable) -> None:
    decl, key_types = table.decl, table.key_types
    if decl.partial and not table.keys:
        findings.report(f"Die Tabelle „{table.name}“ hat keine Zeile", decl.span,
                        "jede Abfrage ist ein Auswertungsfehler, solange keine Vereinbarung ihr Zeilen gibt",
                        severity="warnung", code="tabelle-leer")
    elif not decl.partial and all(kt.kind == TypeKind.ENUM for kt in key_types):
        combos = itertools.product(*[kt.enum.keys() for kt in key_types if kt.enum is not None])
        missing = [combo for combo in combos if combo not in table.keys]
        if missing:
            shown = "; ".join(", ".join(map(str, m)) for m in missing[:6]) + (" …" if len(missing) > 6 else "")
            findings.report(f"Der Tabelle „{table.name}“ fehlen Zeilen für: {shown}", decl.span,
                            "ergänze die Zeilen oder markiere die Tabelle als „teilweise“")
    elif not decl.partial:
        findings.report(f"Die Tabelle „{table.name}“ hat Schlüssel ohne feste Wertemenge und muss „teilweise“ heißen",
                        decl.span, "eine Abfrage ohne Zeile ist dann ein Auswertungsfehler, der den Schlüssel nennt")


def _corridor_coverage(findings: Findings, node: c.CorridorLevelNode, levels: Iterable[c.LevelSpec], package: str,
                       package_span: Span, symbols: SymbolDomains) -> Domain:
    domain = domain_of(node.subject, symbols)
    bounds = [_bound_values(band, symbols) for band in node.bands]
    unbounded = next((band for band, found in zip(node.bands, bounds, strict=True) if found is None), None)
    if unbounded is not None:
        findings.report("Korridorgrenzen sind feste Zahlen oder Parameter", unbounded.span)
        return domain
    unit = number_type(node.subject).unit
    declared = {lv.number: lv.span for lv in levels}
    found = list(corridor_findings(domain, [b for b in bounds if b is not None], unit, declared, package))
    for severity, message, span, hint in found:
        findings.report(message, span or package_span, hint, severity=severity, code="korridor")
    # the bands and the quantity once more with the values of every later period of the
    # parameters they read (``ab TT.MM.JJJJ = …``): a corridor without gap or overlap on the
    # model's start may have one from the day a bound or a factor of the quantity changes
    seen = {message for _, message, _, _ in found}
    for date, dated, values in _later_periods(symbols, [node.subject, *node.bands]):
        dated_bounds = [_bound_values(band, dated) for band in node.bands]
        if None in dated_bounds:
            continue
        dated_domain = domain_of(node.subject, dated)
        for severity, message, span, hint in corridor_findings(dated_domain, [b for b in dated_bounds if b is not None],
                                                               unit, {}, package):
            if message in seen:
                continue
            seen.add(message)
            findings.report(f"Ab {format_value(date)} ({values}): {message}", span or package_span,
                            (hint + "; " if hint else "")
                            + "die Grenzen gelten mit den Parameterwerten dieses Zeitraums",
                            severity=severity, code="korridor")
    return domain


def _bound_values(band: c.BandSpec, symbols: SymbolDomains) -> tuple[c.BandSpec, Decimal | None, Decimal | None] | None:
    """``band`` with its bounds' values; None where a bound is no fixed number or parameter."""
    lo = domain_of(band.lower, symbols).single() if band.lower is not None else None
    hi = domain_of(band.upper, symbols).single() if band.upper is not None else None
    if band.lower is not None and lo is None or band.upper is not None and hi is None:
        return None
    return band, lo, hi


def _later_periods(symbols: SymbolDomains, roots: list[Any]) -> Iterator[tuple[_dt.date, SymbolDomains, str]]:
    """Each day a parameter that ``roots`` read (also through values) takes a later value: the
    symbols with the parameters' values from that day, and those it changes, as text."""
    read = symbols_read_through(roots, symbols.value_ir)
    for date, changed in _parameter_periods(symbols.parameters):
        moved = [spec for pid, spec in changed.items() if pid in read and spec is not symbols.parameters[pid]]
        if moved:
            yield (date, SymbolDomains(changed, symbols.tables, symbols.scopes, symbols.value_ir),
                   ", ".join(f"„{spec.name}“ = {quantity_text(spec.default, spec.type)}" for spec in moved))


def _parameter_periods(parameters: Mapping[str, c.ParameterSpec]
                       ) -> Iterator[tuple[_dt.date, dict[str, c.ParameterSpec]]]:
    """Each day a parameter takes a later value, with the parameters as they are from that day
    (a dated parameter's ``default`` set to its value then); a parameter without a value on that
    day keeps its default (an evaluation on that day fails with its own error)."""
    dated = [spec for spec in parameters.values() if spec.periods]
    for date in sorted({period.valid_from for spec in dated for period in spec.periods}):
        changed = dict(parameters)
        for spec in dated:
            value = spec.value_on(date)
            if value is not None and value != spec.default:
                changed[spec.id] = attrs.evolve(spec, default=value)
        yield date, changed


def _expression_coverage(findings: Findings, node: c.ExpressionLevelNode, numbers: list[int], package: str,
                         package_span: Span, symbols: SymbolDomains) -> None:
    dom = domain_of(node.expr, symbols)
    problem = level_rule_problem(dom, numbers, package)
    if problem is not None:
        findings.report(problem, node.span, LEVEL_RULE_HINT, code="stufe")
    if dom.values is not None:
        for n in [n for n in numbers if n not in dom.values]:
            findings.report(f"Stufe {n} von „{package}“ wird nie erreicht", package_span,
                            "die Stufenregel ergibt sie für keinen möglichen Wert; prüfe die Regel, oder streiche die "
                            "Stufe, wenn sie nicht vorgesehen ist", severity="warnung", code="unerreichbar")
    # again with the values of every later period of the parameters the rule reads (as corridors)
    seen = set(dom.values or ())
    for date, dated, values in _later_periods(symbols, [node.expr]):
        later = domain_of(node.expr, dated).values
        problem = level_rule_problem(Domain.of(v for v in later or () if v not in seen), numbers, package)
        if problem is not None:
            seen.update(later or ())
            findings.report(f"Ab {format_value(date)} ({values}): {problem}", node.span,
                            "die Regel gilt mit den Parameterwerten dieses Zeitraums", code="stufe")
