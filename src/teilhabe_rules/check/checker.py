"""AST → checked model: the checker's passes, run in order behind one entry point.

Takes: an :class:`ast.Module` and its source text. Gives: a :class:`checked.CheckedModel`, or a
:class:`~teilhabe_rules.errors.CheckError` listing every finding of the file: undefined and
duplicate names (with did-you-mean), type and unit mismatches, corridors with gaps or overlaps over
the domain of their quantity, tables missing members of their key, levels outside the declared
ones, cyclic definitions, bad examples. Warnings (unreachable levels, …) travel in
``CheckedModel.warnings``.

The passes, each in its own module, each handing its result to the next; all report to one
:class:`~teilhabe_rules.check.findings.Findings` sink, whose findings are sorted by place at the end:

1. names and scopes (:mod:`.scopes`): the symbol table;
2. declarations (:mod:`.declared`): the types, units and values of inputs, parameters and tables;
3. expressions and nodes (:mod:`.expressions`, :mod:`.nodes`): every value, level rule and check
   resolved, typed and unit-checked, as the nodes of the model;
4. coverage (:mod:`.coverage`): tables and corridors cover what they must;
5. the order of the nodes (:func:`.nodes.order_nodes`), the header (:mod:`.header`), and the
   examples, properties and templates (:mod:`.examples`).
"""

from __future__ import annotations

from ..errors import CheckError, Diagnostic, Location
from ..ir import checked as c
from ..span import source_lines
from ..syntax import ast
from .coverage import SymbolDomains, check_coverage
from .declared import TypeReader, resolve_declarations
from .examples import check_examples, literal_to_data
from .expressions import Resolver, UnitlessNumbers
from .findings import Findings
from .header import model_info
from .nodes import build_nodes, order_nodes
from .scopes import declare

__all__ = ["Checker", "check_module", "literal_to_data"]


class Checker:
    """Checks one module: :meth:`run` runs the passes over it, once."""

    def __init__(self, module: ast.Module, text: str):
        self.module = module
        self.text = text
        self.findings = Findings(module.file, text, module.sources)
        # unit-less numbers (which take the unit of their neighbour), by identity
        self.unitless = UnitlessNumbers()

    def flex(self, ir: c.Const) -> c.Const:
        """Mark ``ir`` as a unit-less number."""
        self.unitless.add(ir)
        return ir

    def is_flex(self, ir: c.Expr) -> bool:
        return self.unitless.holds(ir)

    def run(self) -> c.CheckedModel:
        findings, module = self.findings, self.module
        declarations = declare(module, findings)
        reader = TypeReader(findings, declarations)
        declared = resolve_declarations(declarations, reader, module.header)
        resolver = Resolver(findings, declarations, reader, declared, self.unitless)
        built = build_nodes(findings, declarations, resolver)
        symbols = SymbolDomains(declared.parameters, declared.tables, declarations.scopes, resolver.value_ir)
        corridor_domains = check_coverage(findings, declared.written_tables, built.level_rules, symbols)
        order = order_nodes(findings, built.nodes, declarations.scopes)
        info = model_info(findings, module, declared.inputs, built.nodes, declarations.symbols,
                          declarations.refused)
        examples = check_examples(findings, declarations, built.nodes, declared.inputs, reader, resolver,
                                  declared.parameters, module.header, [name for name, _ in module.sources])
        if findings.has_errors:
            raise CheckError(findings.sorted())
        scopes = {
            sid: c.ScopeSpec(
                sid, s["name"], s["title"], s["parent"], s["depth"], s["min"], s["max"],
                tuple(declared.inputs.get(sid, ())), tuple(s["lists"]), tuple(s["packages"]), s["span"],
            )
            for sid, s in declarations.scopes.items()
        }
        packages = {
            pid: c.PackageSpec(pid, p.name, p.title, p.scope, p.levels, p.level_type, p.rule, p.span)
            for pid, p in declarations.packages.items()
        }
        return c.CheckedModel(
            info=info,
            scopes=scopes,
            enums=dict(declarations.enums),
            parameters=dict(declared.parameters),
            tables=dict(declared.tables),
            packages=packages,
            nodes=dict(built.nodes),
            order=tuple(order),
            examples=examples.examples,
            properties=examples.properties,
            templates=examples.templates,
            warnings=tuple(findings.sorted()),
            source=self.text,
            domains=corridor_domains,
            other_sources=dict(module.sources),
        )


def check_module(module: ast.Module, text: str) -> c.CheckedModel:
    """Check a parsed module; raise :class:`CheckError` with every finding of the file.

    The parser keeps every declaration within :data:`~teilhabe_rules.limits.MAX_DEPTH` levels,
    which the checker's recursion handles with room to spare; should a caller's own stack leave
    too little room, the result is a located CheckError, not a ``RecursionError``."""
    try:
        return Checker(module, text).run()
    except RecursionError:
        span = module.header.span
        lines = source_lines(text)
        raise CheckError(Diagnostic(
            "Das Modell ist zu tief verschachtelt, um es zu prüfen",
            Location(module.file, max(span.line, 1), max(span.column, 1)),
            hint="teile tief verschachtelte Ausdrücke mit „wert“-Zeilen in Zwischenwerte auf",
            source_line=lines[span.line - 1] if 0 < span.line <= len(lines) else None,
            code="grenze",
        )) from None
