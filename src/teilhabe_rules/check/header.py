"""The checker's header pass: the model's header against what the model declares.

Takes: the module, its inputs (:class:`~teilhabe_rules.check.declared.DeclaredTypes`), its nodes
and its symbols. Gives: the :class:`checked.ModelInfo`; reports a validity that ends before it
begins, a reference date (``stichtag``) that is no date input, a budget that is no number value of
the model (``budget WERT``; a second ``budget LISTE.WERT`` names a list element's own budget), and a
variant whose base was not read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..errors import did_you_mean
from ..ir import checked as c
from ..ir.checked import NodeKind, TypeKind
from ..ir.text import date_text
from ..syntax import ast
from .findings import Findings
from .scopes import Symbol, failed_values

__all__ = ["model_info"]


def model_info(findings: Findings, module: ast.Module, inputs: Mapping[str, list[c.InputSpec]],
               nodes: Mapping[str, c.Node], symbols: Mapping[str, Symbol],
               refused: Collection[str] = ()) -> c.ModelInfo:
    report = findings.report
    h = module.header
    if h.valid_from is not None and h.valid_to is not None and h.valid_to < h.valid_from:
        report(f"„gültig bis {date_text(h.valid_to)}“ liegt vor „gültig ab {date_text(h.valid_from)}“",
               h.valid_to_span or h.span, "ein Modell gilt vom Tag „gültig ab“ bis einschließlich „gültig bis“")
    ref = None
    if h.reference_date is not None:
        steps = h.reference_date.steps
        ref = tuple(str(s) for s in steps)
        spec = next((i for i in inputs.get("", []) if i.path == ref), None)
        if spec is None or spec.type.kind != TypeKind.DATUM:
            dates = [".".join(i.path) for i in inputs.get("", []) if i.type.kind == TypeKind.DATUM]
            hint = (did_you_mean(str(h.reference_date), dates) if spec is None else None) or (
                "Datumseingaben des Modells: " + ", ".join(dates) if dates
                else "deklariere eine Eingabe vom Typ datum"
            )
            found = ("keine Eingabe des Modells" if spec is None
                     else f"keine Datumseingabe, sondern {spec.type.describe()}")
            report(f"Der Stichtag „{h.reference_date}“ ist {found}", h.reference_date.span, hint)
    if h.valid_from is None:
        report("Der Modellkopf braucht „gültig ab TT.MM.JJJJ“", h.span)
    budget = None
    failed = failed_values(symbols.values(), nodes.values(), refused)
    paths = [p for p in (h.budget, h.element_budget) if p is not None]
    in_lists = [p for p in paths if _element_budget(p, nodes) is not None]
    top = [p for p in paths if p not in in_lists]
    element = _element_budget(in_lists[0], nodes) if in_lists else None
    if len(in_lists) > 1 or (h.element_budget is not None and not in_lists
                             and ".".join(str(s) for s in h.element_budget.steps) not in failed):
        second = in_lists[1] if len(in_lists) > 1 else paths[1]
        report(f"„budget {second}“: ein Modellkopf nennt ein Budget des Falls und höchstens eines "
               "je Listenelement", second.span,
               "budget WERT (oberste Ebene) und budget LISTE.WERT (der eigene Betrag eines Elements)")
    budget_path = top[0] if top else None
    if budget_path is not None:
        budget = tuple(str(s) for s in budget_path.steps)
        key = ".".join(budget)
        node = next(
            (n for n in nodes.values() if n.scope == "" and n.key == key and n.kind == NodeKind.WERT), None
        )
        if key not in failed and (node is None or node.type.kind != TypeKind.ZAHL):
            values = [
                n.key for n in nodes.values()
                if n.scope == "" and n.kind == NodeKind.WERT and n.type.kind == TypeKind.ZAHL
            ]
            found = ("kein Wert auf oberster Ebene des Modells" if node is None
                     else f"keine Zahl, sondern {node.type.describe()}")
            report(f"Das Budget „{budget_path}“ ist {found}", budget_path.span,
                   did_you_mean(key, values) or "„budget“ nennt den Wert, der das Gesamtbudget eines Falls ist")
    if h.extends is not None and not module.sources:
        report(f"„erweitert \"{h.extends}\"“: das Basismodell wurde nicht eingelesen", h.span,
               "eine Variante wird mit teilhabe_rules.load(DATEI) geladen, das das Basismodell sucht")
    return c.ModelInfo(h.name, h.title, h.version, h.long_title, h.valid_from, h.valid_to, h.sources, h.family, ref,
                       h.description, h.predecessor, module.file, budget, h.extends,
                       tuple(name for name, _ in module.sources), element)


def _element_budget(path: ast.Path, nodes: Mapping[str, c.Node]) -> tuple[str, str] | None:
    """(list, value key) if ``path`` names a numeric value in a list on the top level
    (``bewohner.jahresbetrag``), else None."""
    steps = [str(s) for s in path.steps]
    if len(steps) < 2:
        return None
    key = ".".join(steps[1:])
    found = any(n.scope == steps[0] and n.key == key and n.kind == NodeKind.WERT and n.type.kind == TypeKind.ZAHL
                for n in nodes.values())
    return (steps[0], key) if found else None
