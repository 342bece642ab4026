"""Explanations and the text report of a result.

Takes: a checked model, the evaluated rows and the parameter values used. Gives: one
:class:`~teilhabe_rules.runtime.results.Explanation` per derived figure — the rule (``datei:zeile``), the
formula, the inputs and parameters it read with their values, and a German sentence such as
``15 min/Tag liegt im Korridor über 7 bis 21 min/Tag → Stufe 2 (mittel)`` — and the text report
printed by ``teilhabe-rules eval``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..ir import checked as c
from ..ir import toolkit
from ..ir.text import EXACT, READABLE, Figures, format_value, quantity_text
from .frame import Element, Frame, NoFigure
from .margins import LevelMargin, corridor_margin
from .quantities import Explanation
from .semantics import band_contains

# enum members bound once: reading a member off an Enum class costs several times a global
_N_PRUEFUNG = c.NodeKind.PRUEFUNG
_N_WARNUNG = c.NodeKind.WARNUNG
_R_EINGABE = c.RefKind.EINGABE
_R_PARAMETER = c.RefKind.PARAMETER
_R_WERT = c.RefKind.WERT

if TYPE_CHECKING:  # pragma: no cover
    from .results import Result

# a value an element does not hold (None is a value: a granted level not given)
_ABSENT: Any = object()

# the elements from the case down to the one being explained (the case first)
Rows = Sequence[Element]

__all__ = ["ExplanationPlan", "explain_one", "level_margin", "margin_of", "explain_rows", "render_text"]


def explain_rows(frame: Frame, plan: ExplanationPlan | None = None, figures: Figures = EXACT) -> dict[str, Explanation]:
    """Every derived figure of an evaluation with its explanation, by path; ``figures``: how
    their numbers are shown (:data:`~teilhabe_rules.ir.text.EXACT`: as in JSON)."""
    out: dict[str, Explanation] = {}
    plan = plan or ExplanationPlan(frame.model)
    _explain_scope(frame.model, plan, (frame.root,), "", frame.parameters, out, figures)
    return out


class ExplanationPlan:
    """What every explanation of a model needs that does not depend on the case (built once)."""

    def __init__(self, model: c.CheckedModel):
        self.symbols: dict[str, tuple[str, str, c.ValueType, c.RefKind | c.NodeKind]] = {}
        for scope in model.scopes.values():
            for spec in scope.inputs:
                self.symbols[spec.id] = (spec.scope, spec.key, spec.type, _R_EINGABE)
        for pid, parameter in model.parameters.items():
            self.symbols[pid] = ("", pid, parameter.type, _R_PARAMETER)
        for node in model.nodes.values():
            self.symbols[node.id] = (node.scope, node.key, node.type, node.kind)
        self.depth_of = {sid: s.depth for sid, s in model.scopes.items()}
        self.nodes_of: dict[str, list[c.Node]] = {sid: [] for sid in model.scopes}
        for nid in model.order:
            node = model.nodes[nid]
            if node.kind not in (_N_PRUEFUNG, _N_WARNUNG):
                self.nodes_of[node.scope].append(node)
        self.formula = {
            nid: _symbolic(node.expr) for nid, node in model.nodes.items() if not isinstance(node, c.CorridorLevelNode)
        }
        self.deps = {
            nid: tuple(d for d in dict.fromkeys(node.deps) if d in self.symbols) for nid, node in model.nodes.items()
        }
        self.rule = {nid: f"{model.file_of(node.span)}:{node.span.line}" for nid, node in model.nodes.items()}
        self.packages = {(p.scope, p.name): p for p in model.packages.values()}
        self.nodes_by_id = dict(model.nodes)
        self.domains = dict(model.domains)


def _explain_scope(model: c.CheckedModel, plan: ExplanationPlan, rows: Rows, prefix: str,
                   parameters: Mapping[str, Any], out: dict[str, Explanation], figures: Figures) -> None:
    element = rows[-1]
    scope = element.scope
    for node in plan.nodes_of[scope]:
        explanation = _explain_node(plan, node, scope, rows, prefix, parameters, figures)
        out[explanation.path] = explanation
    for child in model.scopes[scope].lists:
        name = model.scopes[child].name
        for index, item in enumerate(element.children(child), start=1):
            child_prefix = f"{prefix}.{name}[{index}]" if prefix else f"{name}[{index}]"
            _explain_scope(model, plan, (*rows, item), child_prefix, parameters, out, figures)


def explain_one(frame: Frame, plan: ExplanationPlan, path: str, figures: Figures = EXACT) -> Explanation:
    """The explanation of one figure (``bewohner[1].lp2a.stufe``); KeyError if there is none."""
    rows, scope, names = _walk(frame, path)
    prefix = path[: path.rindex("]") + 1] if "]" in path else ""
    key = ".".join(names)
    for node in plan.nodes_of.get(scope, ()):
        if node.key == key:
            return _explain_node(plan, node, scope, rows, prefix, frame.parameters, figures)
    raise NoFigure(path)


def _walk(frame: Frame, path: str) -> tuple[Rows, str, list[str]]:
    """The elements down to the scope of ``path``, that scope, and the names after its last index."""
    model = frame.model
    element = frame.root
    names: list[str] = []
    for part in path.split("."):
        if "[" in part:
            name, index_text = part.rstrip("]").split("[", 1)
            child = f"{element.scope}.{name}" if element.scope else name
            if child not in model.scopes or names or not index_text.isdigit():
                raise NoFigure(path)
            items = element.children(child) if model.scopes[child].parent == element.scope else ()
            index = int(index_text)
            if not 1 <= index <= len(items):
                raise NoFigure(path)
            element = items[index - 1]
        else:
            names.append(part)
    return element.chain(), element.scope, names


def _explain_node(plan: ExplanationPlan, node: c.Node, scope: str, rows: Rows, prefix: str,
                  parameters: Mapping[str, Any], figures: Figures = EXACT) -> Explanation:
    row = rows[-1]
    depth_of = plan.depth_of
    symbols = plan.symbols
    path = f"{prefix}.{node.key}" if prefix else node.key
    used = []
    for dep in plan.deps[node.id]:
        dscope, dkey, dtype, dkind = symbols[dep]
        if dkind == _R_PARAMETER:
            used.append((dkey, quantity_text(parameters.get(dep), dtype, figures, given=True)))
        else:
            depth = depth_of.get(dscope, 0)
            found = rows[depth].get(dkey, _ABSENT) if depth < len(rows) else _ABSENT
            if found is not _ABSENT:
                used.append((dkey, quantity_text(found, dtype, figures, given=dkind == _R_EINGABE)))
    rule = plan.rule[node.id]
    value = row.get(node.key)
    result = quantity_text(value, node.type, figures)
    label = node.label or node.key
    if isinstance(node, c.CorridorLevelNode) and node.bands:
        subject = row_subject(node, rows, parameters, depth_of)
        band = _band_for(node, subject, rows, parameters, depth_of, figures)
        unit = node.subject.type.unit
        given = isinstance(node.subject, c.Ref) and node.subject.kind != _R_WERT  # an input read as it is
        shown = format_value(subject, node.subject.type, figures, given=given)
        text = (f"{shown} {unit.text_after(shown)} liegt im Korridor {band} {unit} → Stufe {result}"
                .replace("  ", " "))
        margin = margin_of(plan, node, rows, parameters, None)
        if margin is not None and margin.text():
            text += "; " + margin.text(figures)
        formula = f"Korridor über {_symbolic(node.subject)}"
    elif isinstance(node, (c.ExpressionLevelNode, c.CorridorLevelNode)):
        formula = plan.formula[node.id]
        text = f"Stufe {result} aus {formula}"
    elif isinstance(node, c.GrantedLevelNode):
        pkg = node.package
        levels = row.levels(pkg)
        computed, granted = levels.computed, levels.granted
        formula = "bewilligte Stufe, sonst berechnete Stufe"
        package = plan.packages.get((scope, pkg))
        if granted is not None:
            reason = levels.reason
            text = (f"bewilligt ist Stufe {result} (berechnet: Stufe {quantity_text(computed, node.type, figures)}); "
                    f"Begründung: {reason}; vergütet wird die bewilligte Stufe")
            computed_id = f"{scope}.{pkg}.berechnete_stufe" if scope else f"{pkg}.berechnete_stufe"
            computed_node = plan.nodes_by_id.get(computed_id)
            if isinstance(computed_node, c.CorridorLevelNode) and computed_node.bands:
                margin = margin_of(plan, computed_node, rows, parameters, granted)
                if margin is not None and margin.to_granted is not None:
                    subject_node = computed_node.subject  # (an input shown as it is, as its corridor line shows it)
                    given = isinstance(subject_node, c.Ref) and subject_node.kind != _R_WERT
                    amount = quantity_text(margin.quantity.value, margin.quantity.type, figures, given=given)
                    text += (f"; die berechnete Menge {amount}: "
                             f"{margin.to_granted.text(granted=True, figures=figures)}")
        elif package is not None and package.rule == "einschätzung":
            member = node.type.enum.member(value) if node.type.enum else None
            criteria = f"; Kriterien: {member.description}" if member is not None and member.description else ""
            text = f"Stufe {result} nach fachlicher Einschätzung{criteria}"
        else:
            computed_id = f"{scope}.{pkg}.berechnete_stufe" if scope else f"{pkg}.berechnete_stufe"
            computed_node = plan.nodes_by_id.get(computed_id)
            because = ""
            if computed_node is not None:
                because = ": " + _explain_node(plan, computed_node, scope, rows, prefix, parameters, figures).text
            text = f"Stufe {result} wie berechnet, keine abweichende Bewilligung{because}"
    else:
        formula = plan.formula[node.id]
        with_values = substituted(node.expr, rows, parameters, depth_of, figures)
        written = formula if figures is EXACT else toolkit.render(node.expr, figures=figures)
        if with_values == written:
            with_values = ""
        if _an_equation(node.expr):  # (``a = 24 = 0 = 24 = nein`` would read as one chain of equations)
            text = f"{label} = ({formula})" + (f" = ({with_values})" if with_values else "")
        else:
            text = f"{label} = {formula}" + (f" = {with_values}" if with_values else "")
        text += f" = {result}"
    return Explanation(path, rule, formula, tuple(used), text)


def row_subject(
    node: c.CorridorLevelNode, rows: Rows, parameters: Mapping[str, Any], depth_of: Mapping[str, int]
) -> Any:
    """The quantity the corridor was decided on (kept by evaluation; any expression)."""
    quantity = rows[-1].corridor_quantity(node)
    if quantity is not None:
        return quantity
    return value_after(node.subject, rows, parameters, depth_of)


def _bounds(
    node: c.CorridorLevelNode, rows: Rows, parameters: Mapping[str, Any], depth_of: Mapping[str, int]
) -> list[tuple[int, Any, bool, Any, bool]]:
    """The corridor's bands with their bounds evaluated (None: an open side)."""
    return [
        (
            band.level,
            value_after(band.lower, rows, parameters, depth_of) if band.lower is not None else None,
            band.lower_inclusive,
            value_after(band.upper, rows, parameters, depth_of) if band.upper is not None else None,
            band.upper_inclusive,
        )
        for band in node.bands
    ]


def _band_for(
    node: c.CorridorLevelNode, subject: Any, rows: Rows, parameters: Mapping[str, Any], depth_of: Mapping[str, int],
    figures: Figures = EXACT,
) -> str:
    for _level, lo, lo_inc, hi, hi_inc in _bounds(node, rows, parameters, depth_of):
        if not band_contains(subject, lo, lo_inc, hi, hi_inc):
            continue
        parts = []
        if lo is not None:
            parts.append(("ab " if lo_inc else "über ") + format_value(lo, None, figures, given=True))
        if hi is not None:
            parts.append(("bis " if hi_inc else "unter ") + format_value(hi, None, figures, given=True))
        return " ".join(parts)
    return "?"


def margin_of(plan: ExplanationPlan, node: c.CorridorLevelNode, rows: Rows, parameters: Mapping[str, Any],
              granted: int | None, path: str = "") -> LevelMargin | None:
    """What would change the level a corridor node decided (None when it cannot be told)."""
    subject = row_subject(node, rows, parameters, plan.depth_of)
    if not isinstance(subject, Decimal):
        return None
    bounds = _bounds(node, rows, parameters, plan.depth_of)
    if any(not isinstance(v, Decimal) for _l, lo, _li, hi, _hi in bounds for v in (lo, hi) if v is not None):
        return None
    band = _band_for(node, subject, rows, parameters, plan.depth_of)
    return corridor_margin(node, plan.domains.get(node.id), subject, bounds, granted, path, band)


def level_margin(frame: Frame, plan: ExplanationPlan, path: str) -> LevelMargin:
    """The margin of the package at ``path`` (``bewohner[1].lp2a``); KeyError if its level is not a corridor's."""
    rows, scope, names = _walk(frame, path)
    parameters = frame.parameters
    package = ".".join(names)
    if package.endswith((".stufe", ".berechnete_stufe")):
        package = package.rsplit(".", 1)[0]
    node = plan.nodes_by_id.get(f"{scope}.{package}.berechnete_stufe" if scope else f"{package}.berechnete_stufe")
    if not isinstance(node, c.CorridorLevelNode) or not node.bands:
        raise NoFigure(f"„{path}“ ist kein Paket mit einer Stufe nach Korridor")
    granted = rows[-1].levels(package).granted
    margin = margin_of(plan, node, rows, parameters, granted, path)
    if margin is None:
        raise NoFigure(f"„{path}“: die Korridormenge ist nicht bekannt")
    return margin


def _known(rows: Rows, parameters: Mapping[str, Any], depth_of: Mapping[str, int]) -> toolkit.ValueOf:
    """What an evaluation knows: the parameters, and the values of the rows of ``rows`` (the
    case's row and the current element of each enclosing list)."""

    def value_of(ref: c.Ref) -> Any:
        if ref.kind == _R_PARAMETER:
            return parameters.get(ref.symbol)
        depth = depth_of.get(ref.scope, 0)
        return rows[depth].get(ref.key) if depth < len(rows) else None

    return value_of


def value_after(ir: c.Expr | None, rows: Rows, parameters: Mapping[str, Any], depth_of: Mapping[str, int]) -> Any:
    """The value of a simple expression after evaluation (refs, constants and exact arithmetic
    on them, such as a corridor bound ``(grenze * 2) als h/Tag``; else None)."""
    return toolkit.const_value(ir, _known(rows, parameters, depth_of))


def _symbolic(ir: c.Expr | None) -> str:
    return toolkit.render(ir)


def substituted(ir: c.Expr | None, rows: Rows, parameters: Mapping[str, Any], depth_of: Mapping[str, int],
                figures: Figures = EXACT) -> str:
    """The text of ``ir`` with the values an evaluation knows put in (the elements ``rows``
    from the case down, the parameters, the evaluation date), numbers as ``figures`` shows them."""
    return toolkit.render(ir, _known(rows, parameters, depth_of), rows[0].frame.date if rows else None, figures)


def render_text(result: Result, explain: bool, level_changes: bool = False, figures: Figures = READABLE) -> str:
    """The human-readable report of ``teilhabe-rules eval``. ``level_changes``: each level a
    corridor decided is followed by the single input values that would change it (in its
    explanation, or on a line of its own without ``explain``). ``figures``: how numbers are
    shown (readable: German, each rounded to its unit's places; ``--genau``: every digit)."""
    model = result.checked
    info = model.info
    title = info.title or info.name
    lines = [f"{title} — Version {info.version}" if info.version else title]
    if result.agreement_name:
        lines.append(f"Vereinbarung: {result.agreement_name}")
    explanations = result.explanations(level_changes, figures) if explain else {}
    changes_of = result.level_changes if level_changes and not explain else None
    _render_scope(result.root, "", explanations, lines, 0, figures, changes_of)
    for warning in result.warnings:
        lines.append(f"warnung: {warning}")
    return "\n".join(lines) + "\n"


def _render_scope(scope: Any, prefix: str, explanations: dict[str, Explanation], lines: list[str], indent: int,
                  figures: Figures, changes_of: Any = None) -> None:
    pad = "  " * indent
    for name, pkg in scope.packages.items():
        head = f"{pad}Paket {name}" + (f" – {pkg.title}" if pkg.title else "")
        if pkg.computed_level is not None:
            head += f": Stufe {pkg.level}" + (f" ({pkg.level_label})" if pkg.level_label else "")
            if pkg.granted_level is not None:
                head += f" — bewilligt, berechnet war Stufe {pkg.computed_level}; Begründung: {pkg.reason}"
        lines.append(head)
        if changes_of is not None and pkg.computed_level is not None:
            with contextlib.suppress(NoFigure):  # a level no corridor decides
                from .changes import changes_text  # only where level changes are asked for

                lines.append(f"{pad}    ↳ {changes_text(changes_of(_path(prefix, name)), prefix, figures)}")
        for key in ("berechnete_stufe", "stufe"):
            expl = explanations.get(_path(prefix, f"{name}.{key}"))
            if expl is not None and pkg.computed_level is not None:
                lines.append(f"{pad}    ↳ {expl.text}  [{expl.rule}]")
        for key, q in pkg.values.items():
            lines.append(f"{pad}  {key:<28} {q.text(figures)}")
            expl = explanations.get(_path(prefix, f"{name}.{key}"))
            if expl is not None:
                lines.append(f"{pad}    ↳ {expl.text}  [{expl.rule}]")
    for key, q in scope.values.items():
        lines.append(f"{pad}{key:<30} {q.text(figures)}")
        expl = explanations.get(_path(prefix, key))
        if expl is not None:
            lines.append(f"{pad}  ↳ {expl.text}  [{expl.rule}]")
    for name, items in scope.lists.items():
        for index, item in enumerate(items, start=1):
            lines.append(f"{pad}{name}[{index}]:")
            _render_scope(item, _path(prefix, f"{name}[{index}]"), explanations, lines, indent + 1, figures, changes_of)


def _path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


_ = Decimal


def _an_equation(expr: c.Expr) -> bool:
    """Whether ``expr`` reads as a comparison in a chain of ``=`` — one at its top level (``a =
    b``, ``a <> b``, also joined by ``und``/``oder``) or an equation anywhere in it (``wenn b dann
    typ = 24 sonst …``): its explanation shows it and its values in parentheses."""
    if isinstance(expr, c.Compare):
        return True
    if isinstance(expr, c.Logic):
        return _an_equation(expr.left) or _an_equation(expr.right)
    return any(isinstance(part, c.Compare) and part.op == "=" for part in toolkit.walk(expr))
