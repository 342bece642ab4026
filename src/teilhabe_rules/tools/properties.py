"""Declared properties and generic invariants, checked over generated cases.

Takes: a loaded :class:`~teilhabe_rules.model.Model`. Gives: :func:`property_checks` — one
:class:`PropertyCheck` per ``eigenschaft`` of the rule file and per generic invariant — and
:func:`run_property` / :func:`run_properties`, which check them with hypothesis over
:func:`~teilhabe_rules.tools.strategies.valid_cases` (bounded, seeded) and return a
:class:`PropertyOutcome`. A failure carries the shrunk counterexample as a case file (TOML),
written to a directory so that ``teilhabe-rules eval MODELL DATEI`` can run it.

Declared properties: a condition (``eigenschaft "…": budget >= 0 EUR``) is compiled once from
the checked expression by the compiler's own code generator and evaluated on the result's root
row; ``steigend A mit B`` / ``fallend A mit B`` evaluate a case, raise the input B to a larger
allowed value (the next choice, member or grid step — or a larger candidate), evaluate again and
compare A. A case the model rejects by a ``prüfung`` does not count.

Generic invariants, for every model:

``auswertbar``        every valid case evaluates (a rejection by a ``prüfung`` is no failure)
``stufen-im-bereich`` computed, granted and effective levels are levels of their package
``zahlen-exakt``      numbers are exact: Decimal (levels int), finite, never float; a value of
                      ``runde(x, n, …)`` has exactly n decimal places
``erklaerungen``      every explanation names an existing rule line of the file
``wiederholbar``      evaluating twice gives equal results and leaves the case data unchanged
``json-rundreise``    ``json.loads(json.dumps(to_dict()))`` equals ``to_dict()``
``summen-der-teile``  a value ``summe(liste.x)`` equals the sum of the elements' x (within the
                      rounding of 28 significant digits)
``ungueltige-faelle`` cases with one defect are rejected with a CaseError naming its place
"""

from __future__ import annotations

import copy
import decimal
import json
import re
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import CaseError, Diagnostic, EvaluationError, TeilhabeError
from ..files import write_problem
from ..ir import checked as c
from ..ir import toolkit
from ..ir.checked import NodeKind, RefKind, TypeKind
from ..ir.text import quantity_text
from ..model import Model
from ..paths import format_path
from ..runtime.compiler import compile_condition
from ..runtime.explain import substituted
from ..runtime.frame import Element
from ..runtime.results import NoSuchElement, Result
from ..runtime.semantics import DECIMAL_CONTEXT
from ..span import source_lines
from ..toml_writer import dumps

if TYPE_CHECKING:  # pragma: no cover
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "DEFAULT_EXAMPLES",
    "SHRINK_SECONDS",
    "INVARIANTS",
    "PropertyCheck",
    "PropertyFailure",
    "PropertyOutcome",
    "property_checks",
    "run_properties",
    "run_property",
    "keep_hypothesis_files_in_cache",
    "write_counterexample",
]

DEFAULT_EXAMPLES = 50
SHRINK_SECONDS = 3.0

INVARIANTS: tuple[tuple[str, str], ...] = (
    ("auswertbar", "Jeder gültige Fall lässt sich auswerten"),
    ("stufen-im-bereich", "Berechnete, bewilligte und wirksame Stufen sind Stufen ihres Pakets"),
    ("zahlen-exakt", "Zahlen sind exakt: Decimal, endlich, nie float; gerundete Werte haben ihre Stellen"),
    ("erklaerungen", "Jede Erklärung verweist auf eine Regelzeile der Datei"),
    ("wiederholbar", "Zweimal ausgewertet ergibt dasselbe Ergebnis; die Falldaten bleiben unverändert"),
    ("json-rundreise", "Die JSON-Form übersteht json.dumps und json.loads unverändert"),
    ("summen-der-teile", "Summen über Listen sind die Summe ihrer Teile"),
    ("ungueltige-faelle", "Fälle mit einem Fehler werden mit einem Fallfehler an der richtigen Stelle abgelehnt"),
)


class PropertyFailure(AssertionError):
    """A property does not hold for a case (German message; ``case`` is the case to write)."""

    def __init__(self, message: str, case: Any = None):
        super().__init__(message)
        self.message = message
        self.case = case


class _ShrinkBudget(BaseException):
    """Ends shrinking when its time budget is spent (hypothesis lets a BaseException through);
    the smallest failing case found so far stands."""


class _NotApplicable(Exception):
    """The case does not count for this property (rejected by a check, path missing, …)."""


@attrs.frozen
class PropertyCheck:
    """One property of a model: ``name`` is its test name (``eigenschaft::…``/``invarianten::…``)."""

    model: Model = attrs.field(repr=False, eq=False)
    name: str
    title: str
    kind: str  # "eigenschaft" or "invariante"
    line: int  # 1-based line of the declaration; 0 for invariants
    strategy: str  # "gültig", "monoton" or "ungültig"
    check: Callable[[Any], None] = attrs.field(repr=False, eq=False)

    @property
    def id(self) -> str:
        return f"{Path(self.model.checked.info.file).name}::{self.name}"

    file: str = ""  # the file the declaration is in (a variant's properties may be in its base file)

    @property
    def location(self) -> str:
        file = self.file or self.model.checked.info.file
        return f"{file}:{self.line}" if self.line else file


@attrs.frozen
class PropertyOutcome:
    id: str
    title: str
    kind: str
    location: str
    passed: bool
    message: str | None
    examples: int
    rejected: int
    seconds: float
    counterexample: Any = None
    counterexample_toml: str | None = None
    counterexample_file: Path | None = None
    counterexample_error: str | None = None  # why the counterexample file could not be written

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "titel": self.title, "art": self.kind, "ort": self.location, "ok": self.passed,
            "meldung": self.message, "fälle": self.examples, "verworfen": self.rejected,
            "sekunden": round(self.seconds, 3),
            "gegenbeispiel": str(self.counterexample_file) if self.counterexample_file else None,
            "gegenbeispiel_fehler": self.counterexample_error,
        }


# --------------------------------------------------------------------------------------
# Evaluation helpers
# --------------------------------------------------------------------------------------


def _evaluate(model: Model, case: Any, explain: bool = False, evaluation_errors_fail: bool = True) -> Result:
    """Evaluate; a rejection by a ``prüfung`` does not count, any other error is a failure
    (or does not count either, where ``evaluation_errors_fail`` is false: ``auswertbar``
    reports those)."""
    try:
        return model.evaluate(copy.deepcopy(case), explain=explain, at=_at(model))
    except CaseError as exc:
        if exc.diagnostics and all(d.code == "prüfung" for d in exc.diagnostics):
            raise _NotApplicable() from None
        if not evaluation_errors_fail and any(d.code == "auswertung" for d in exc.diagnostics):
            raise _NotApplicable() from None
        raise PropertyFailure("Der erzeugte Fall wurde abgelehnt:\n" + exc.render(), case) from None
    except EvaluationError as exc:
        if not evaluation_errors_fail:
            raise _NotApplicable() from None
        raise PropertyFailure("Der Fall lässt sich nicht auswerten:\n" + exc.render(), case) from None
    except TeilhabeError as exc:
        raise PropertyFailure("Der Fall wurde abgelehnt:\n" + exc.render(), case) from None
    except Exception as exc:  # noqa: BLE001 - a defect of the library is a failure of the property
        raise PropertyFailure(f"Interner Fehler bei der Auswertung: {type(exc).__name__}: {exc}", case) from None


def _at(model: Model) -> Any:
    """The reference date for models that need one from outside the case (else None): for
    parameters with values per period, or for ``stichtag()``, without a ``stichtag`` input."""
    if getattr(model, "needs_date", False) or (
        getattr(model, "reads_date", False) and model.checked.info.reference_date is None
    ):
        from .strategies import default_date

        return default_date(model)
    return None


def _scope_rows(result: Result) -> Iterable[tuple[str, str, Element]]:
    """Every element of an evaluation: (scope id, its path without ``$.``, the element)."""
    for element in result.frame.elements():
        yield element.scope, element.path[2:] if element.path.startswith("$.") else "", element


def _show(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --------------------------------------------------------------------------------------
# Declared properties
# --------------------------------------------------------------------------------------


def _condition_check(model: Model, prop: c.PropertySpec) -> Callable[[Any], None]:
    assert prop.expr is not None
    condition = compile_condition(model.checked, prop.expr)

    def check(case: Any) -> None:
        result = _evaluate(model, case)
        try:
            holds = condition(result.frame)
        except Exception as exc:  # noqa: BLE001 - e.g. min() of an empty list
            raise PropertyFailure(f"Die Bedingung lässt sich nicht auswerten: {exc}", case) from None
        if not holds:
            formula = toolkit.render(prop.expr)
            values = substituted(prop.expr, (result.frame.root,), result.parameters, model.explanation_plan.depth_of)
            detail = f"{formula}\n    mit den Werten des Falls: {values}" if values != formula else formula
            raise PropertyFailure(f"Die Eigenschaft gilt nicht: {detail}", case)

    return check


def _case_get(case: Any, steps: tuple[str | int, ...]) -> tuple[bool, Any]:
    holder = case
    for step in steps:
        if isinstance(step, int):
            if not isinstance(holder, list) or not 1 <= step <= len(holder):
                return False, None
            holder = holder[step - 1]
        else:
            if not isinstance(holder, dict) or step not in holder:
                return False, None
            holder = holder[step]
    return True, holder


def _case_set(case: Any, steps: tuple[str | int, ...], value: Any) -> None:
    holder = case
    for number, step in enumerate(steps[:-1]):
        if isinstance(step, int):
            holder = holder[step - 1]
        else:
            if step not in holder:
                holder[step] = {} if not isinstance(steps[number + 1], int) else []
            holder = holder[step]
    holder[steps[-1]] = value


def _monotone_check(model: Model, prop: c.PropertySpec) -> Callable[[Any], None]:
    from ..inputs.cases import convert_value
    from .strategies import case_space, case_value

    assert prop.target is not None and prop.by is not None
    target, by = tuple(prop.target), tuple(prop.by)
    rising = prop.direction == "steigend"

    def check(value: Any) -> None:
        case, pick = value
        domain = case_space(model).domain_at(by)
        if domain is None:
            raise PropertyFailure(f"„{format_path(by)}“ ist keine Eingabe des Modells", case)
        present, raw = _case_get(case, by)
        if not present:
            indexes = [number for number, step in enumerate(by) if isinstance(step, int)]
            element_present = not indexes or _case_get(case, by[: indexes[-1] + 1])[0]
            if domain.spec.required or not element_present:
                raise _NotApplicable()  # the list has no such element in this case
            current = domain.spec.default
        else:
            current = convert_value(raw, domain.spec.type)
        if current is None:
            raise _NotApplicable()
        larger = domain.allowed_above(current)
        if not larger:
            raise _NotApplicable()
        new = larger[min(pick, len(larger) - 1)]
        before = _evaluate(model, case)
        raised = copy.deepcopy(case)
        try:
            _case_set(raised, by, case_value(domain.spec.type, new))
        except (KeyError, IndexError, TypeError):
            raise _NotApplicable() from None
        after = _evaluate(model, raised)
        try:
            a, b = before.value(target), after.value(target)
        except NoSuchElement:  # the list has no such element in this case
            raise _NotApplicable() from None
        except KeyError as exc:
            raise PropertyFailure(f"{str(exc).strip(chr(39))} (Ziel der Eigenschaft)", case) from None
        if a is None or b is None:
            raise _NotApplicable()
        vtype = before.type_at(target)
        if (b < a) if rising else (b > a):
            shown_old, shown_new = quantity_text(current, domain.spec.type), quantity_text(new, domain.spec.type)
            word = "sinkt" if rising else "steigt"
            raise PropertyFailure(
                f"{format_path(by)} steigt von {shown_old} auf {shown_new}, dabei {word} {format_path(target)} "
                f"von {quantity_text(a, vtype)} auf {quantity_text(b, vtype)}\n"
                f"    Vergleichsfall: derselbe Fall mit {format_path(by)} = {shown_new}",
                case,
            )

    return check


# --------------------------------------------------------------------------------------
# Generic invariants
# --------------------------------------------------------------------------------------


def _level_packages(model: c.CheckedModel) -> list[c.PackageSpec]:
    return [p for p in model.packages.values() if p.level_type is not None]


def _sum_nodes(model: c.CheckedModel) -> list[c.ValueNode]:
    out = []
    for node in model.nodes.values():
        if not isinstance(node, c.ValueNode):
            continue
        ir = node.expr
        if (isinstance(ir, c.Aggregate) and ir.function == "summe" and ir.where is None
                and isinstance(ir.value, c.Ref) and ir.value.scope == ir.scope and ir.value.kind != RefKind.PARAMETER):
            out.append(node)
    return out


def _invariant(model: Model, name: str) -> Callable[[Any], None]:
    checked = model.checked

    if name == "auswertbar":

        def total(case: Any) -> None:
            _evaluate(model, case)

        return total

    if name == "stufen-im-bereich":
        packages = _level_packages(checked)

        def levels(case: Any) -> None:
            result = _evaluate(model, case, evaluation_errors_fail=False)
            for sid, path, row in _scope_rows(result):
                for pkg in packages:
                    if pkg.scope != sid or pkg.level_type is None:
                        continue
                    allowed = set(pkg.level_type.keys())
                    levels = row.levels(pkg.name)
                    for key, value in (("berechnete_stufe", levels.computed), ("bewilligte_stufe", levels.granted),
                                       ("stufe", levels.effective)):
                        if value is None and key == "bewilligte_stufe":
                            continue
                        if type(value) is not int or value not in allowed:
                            raise PropertyFailure(
                                f"{_show(path, pkg.name + '.' + key)} ist {value!r}, deklariert sind die Stufen "
                                + ", ".join(str(k) for k in sorted(allowed)), case)

        return levels

    if name == "zahlen-exakt":
        rounded = {}
        for node in checked.nodes.values():
            ir = None if isinstance(node, c.CorridorLevelNode) else node.expr
            if isinstance(ir, c.Func) and ir.name == "runde" and isinstance(ir.args[1], c.Const):
                rounded[node.id] = int(ir.args[1].value)
        nodes_by_scope: dict[str, list[c.Node]] = {}
        for node in checked.nodes.values():
            if node.kind in (NodeKind.WERT, NodeKind.STUFE, NodeKind.BEWILLIGT):
                nodes_by_scope.setdefault(node.scope, []).append(node)

        def exact(case: Any) -> None:
            result = _evaluate(model, case, evaluation_errors_fail=False)
            for sid, path, row in _scope_rows(result):
                for key, value in row.items():
                    if isinstance(value, float):
                        raise PropertyFailure(f"{_show(path, key)} ist eine Gleitkommazahl ({value!r})", case)
                    if isinstance(value, Decimal) and not value.is_finite():
                        raise PropertyFailure(f"{_show(path, key)} ist keine endliche Zahl ({value})", case)
                for node in nodes_by_scope.get(sid, ()):
                    value = row.get(node.key)
                    if node.type.kind == TypeKind.ZAHL and value is not None and (type(value) is not Decimal):
                        raise PropertyFailure(
                            f"{_show(path, node.key)} ist {type(value).__name__}, nicht Decimal ({value!r})", case
                        )
                    places = rounded.get(node.id)
                    if places is not None and isinstance(value, Decimal) and value.as_tuple().exponent != -places:
                        raise PropertyFailure(
                            f"{_show(path, node.key)} = {value} ist nicht auf {places} Stellen gerundet", case
                        )
            _no_floats(result.to_dict(), "ergebnis", case)

        return exact

    if name == "erklaerungen":
        sources = {checked.info.file: checked.source}
        sources.update(getattr(checked, "other_sources", {}) or {})
        lines_of = {file: source_lines(text) for file, text in sources.items()}

        def explanations(case: Any) -> None:
            result = _evaluate(model, case, explain=True, evaluation_errors_fail=False)
            for path, expl in result.explanations().items():
                file, _, line_text = expl.rule.rpartition(":")
                lines = lines_of.get(file)
                if lines is None or not line_text.isdigit():
                    raise PropertyFailure(
                        f"Die Erklärung von {path} verweist auf „{expl.rule}“, keine Datei des Modells", case
                    )
                line = int(line_text)
                text = lines[line - 1].strip() if 1 <= line <= len(lines) else ""
                if not text or text.startswith("#"):
                    raise PropertyFailure(
                        f"Die Erklärung von {path} verweist auf {expl.rule}, dort steht keine Regel", case
                    )
                if "Korridor ?" in expl.text:
                    raise PropertyFailure(f"Die Erklärung von {path} findet kein Korridorband: {expl.text}", case)

        return explanations

    if name == "wiederholbar":

        def repeatable(case: Any) -> None:
            snapshot = copy.deepcopy(case)
            try:
                first = model.evaluate(case, explain=True, at=_at(model))
            except TeilhabeError:
                raise _NotApplicable() from None
            if case != snapshot:
                raise PropertyFailure("Die Auswertung hat die Falldaten verändert", snapshot)
            second = _evaluate(model, case, explain=True, evaluation_errors_fail=False)
            if first.to_dict() != second.to_dict():
                raise PropertyFailure("Zwei Auswertungen desselben Falls ergeben verschiedene Ergebnisse", case)

        return repeatable

    if name == "json-rundreise":

        def roundtrip(case: Any) -> None:
            result = _evaluate(model, case, explain=True, evaluation_errors_fail=False)
            data = result.to_dict()
            try:
                back = json.loads(json.dumps(data, ensure_ascii=False))
            except (TypeError, ValueError) as exc:
                raise PropertyFailure(f"Die JSON-Form lässt sich nicht schreiben: {exc}", case) from None
            if back != data:
                raise PropertyFailure("Die JSON-Form ändert sich beim Schreiben und Lesen", case)

        return roundtrip

    if name == "summen-der-teile":
        sums = _sum_nodes(checked)

        def parts(case: Any) -> None:
            result = _evaluate(model, case, evaluation_errors_fail=False)
            for sid, path, row in _scope_rows(result):
                for node in sums:
                    if node.scope != sid:
                        continue
                    ir = node.expr
                    assert isinstance(ir, c.Aggregate) and isinstance(ir.value, c.Ref)
                    items = row.children(ir.scope)
                    parts = [Decimal(item[ir.value.key]) for item in items]
                    with decimal.localcontext(DECIMAL_CONTEXT):
                        total = sum(parts, Decimal(0))
                    if not _sum_of(row.get(node.key), parts):
                        raise PropertyFailure(
                            f"{_show(path, node.key)} = {row.get(node.key)}, die Summe der Teile "
                            f"({checked.scopes[ir.scope].name}[…].{ir.value.key}) ist {total}", case)

        return parts

    if name == "ungueltige-faelle":

        def invalid(value: Any) -> None:
            case, what = value
            expected = what.rpartition(" @ ")[2]
            try:
                model.load_case(copy.deepcopy(case))
            except CaseError as exc:
                if not any(
                    d.path and (d.path == expected or d.path.startswith((expected + ".", expected + "[")))
                    for d in exc.diagnostics
                ):
                    raise PropertyFailure(
                        f"Der Fall ({what}) wurde abgelehnt, aber nicht an dieser Stelle:\n{exc.render()}", case
                    ) from None
                return
            except TeilhabeError as exc:
                raise PropertyFailure(
                    f"Der Fall ({what}) wurde nicht mit einem Fallfehler abgelehnt:\n{exc.render()}", case
                ) from None
            raise PropertyFailure(f"Der ungültige Fall wurde angenommen: {what}", case)

        return invalid

    raise KeyError(name)


def _sum_of(value: Any, parts: list[Decimal]) -> bool:
    """Whether ``value`` is the sum of ``parts`` as far as numbers of 28 significant digits can
    tell: each part and the value are their exact numbers rounded to 28 digits (those of an
    evaluation decided at 100 digits too, ``semantics.exact_decisions``), so the value lies within
    half a unit of the 28th digit, of the largest of them, per part and once more of the exact sum
    of the parts — the 28-digit sum of the parts itself may differ from the value in its last digit."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    with decimal.localcontext(decimal.Context(prec=decimal.MAX_PREC)):
        exact = sum(parts, Decimal(0))  # (exact: the parts have at most 28 digits each)
        largest = max((abs(x) for x in (value, exact, *parts) if x), default=Decimal(0))
        if not largest:
            return True
        unit = Decimal(1).scaleb(largest.adjusted() - (DECIMAL_CONTEXT.prec - 1))
        return abs(value - exact) * 2 <= unit * (len(parts) + 1)


def _no_floats(data: Any, path: str, case: Any) -> None:
    if isinstance(data, float):
        raise PropertyFailure(f"{path} ist in der JSON-Form eine Gleitkommazahl ({data!r})", case)
    if isinstance(data, dict):
        for key, value in data.items():
            _no_floats(value, f"{path}.{key}", case)
    elif isinstance(data, list):
        for number, value in enumerate(data, start=1):
            _no_floats(value, f"{path}[{number}]", case)


def _applicable(model: c.CheckedModel, name: str) -> bool:
    if name == "stufen-im-bereich":
        return bool(_level_packages(model))
    if name == "summen-der-teile":
        return bool(_sum_nodes(model))
    return True


# --------------------------------------------------------------------------------------
# The checks of a model
# --------------------------------------------------------------------------------------


def slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text.strip().lower()).strip("-") or "eigenschaft"


def property_checks(model: Model, *, declared: bool = True, invariants: bool = True) -> list[PropertyCheck]:
    """The model's declared properties (``eigenschaft::…``) and generic invariants
    (``invarianten::…``) as checks."""
    out: list[PropertyCheck] = []
    if declared:
        taken: set[str] = set()
        for prop in model.checked.properties:
            base = name = slug(prop.title)
            number = 1
            while name in taken:  # (numbered apart: „X“, „X“, „X 2“ → x, x-2, x-2-2)
                number += 1
                name = f"{base}-{number}"
            taken.add(name)
            file_of = getattr(model.checked, "file_of", None)
            file = file_of(prop.span) if file_of is not None else model.checked.info.file
            if prop.expr is not None:
                out.append(PropertyCheck(model, f"eigenschaft::{name}", prop.title, "eigenschaft", prop.span.line,
                                         "gültig", _condition_check(model, prop), file))
            else:
                out.append(PropertyCheck(model, f"eigenschaft::{name}", prop.title, "eigenschaft", prop.span.line,
                                         "monoton", _monotone_check(model, prop), file))
    if invariants:
        for name, title in INVARIANTS:
            if _applicable(model.checked, name):
                strategy = "ungültig" if name == "ungueltige-faelle" else "gültig"
                out.append(PropertyCheck(model, f"invarianten::{name}", title, "invariante", 0, strategy,
                                         _invariant(model, name)))
    return out


def _strategy(check: PropertyCheck, limits: dict[str, Any]) -> SearchStrategy[Any]:
    from hypothesis import strategies as st

    from .strategies import invalid_cases, valid_cases

    if check.strategy == "ungültig":
        return invalid_cases(check.model, **limits)
    if check.strategy == "monoton":
        return st.tuples(valid_cases(check.model, **limits), st.integers(0, 6))
    return valid_cases(check.model, **limits)


def run_property(check: PropertyCheck, *, max_examples: int = DEFAULT_EXAMPLES, seed: int = 0,
                 counterexample_dir: str | Path | None = None, limits: dict[str, Any] | None = None,
                 shrink_seconds: float = SHRINK_SECONDS) -> PropertyOutcome:
    """Check one property over ``max_examples`` generated cases (deterministic for ``seed``).

    On failure, hypothesis shrinks the case (for at most ``shrink_seconds``); the smallest
    failing case is returned as data and TOML text and, with ``counterexample_dir``, written to
    ``gegenbeispiel-<modell>-<n>.toml`` (where that fails, ``counterexample_error`` says why).
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable

    start = time.perf_counter()
    counts = {"fälle": 0, "verworfen": 0}
    failures: list[PropertyFailure] = []
    stop_at: list[float] = []

    def failed(failure: PropertyFailure) -> None:
        failures.append(failure)
        if not stop_at:
            stop_at.append(time.perf_counter() + shrink_seconds)

    def body(value: Any) -> None:
        if stop_at and time.perf_counter() > stop_at[0]:
            raise _ShrinkBudget()
        counts["fälle"] += 1
        try:
            check.check(value)
        except _NotApplicable:
            counts["verworfen"] += 1
            reject()
        except PropertyFailure as exc:
            failed(exc)
            raise
        except Exception as exc:  # noqa: BLE001 - reported with the case, like a failed property
            failure = PropertyFailure(f"Interner Fehler: {type(exc).__name__}: {exc}",
                                      value[0] if check.strategy != "gültig" else value)
            failed(failure)
            raise failure from None

    test = settings(
        max_examples=max_examples, deadline=None, database=None, derandomize=False,
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink], print_blob=False,
    )(given(_strategy(check, limits or {}))(body))
    test = hypothesis_seed(seed)(test)
    message = None
    try:
        test()
    except (PropertyFailure, _ShrinkBudget):
        message = failures[-1].message if failures else "Die Eigenschaft gilt nicht"
    except Unsatisfiable:
        if not counts["fälle"]:  # (the generator gave up on every case: it met no check's repair)
            message = ("Es ließ sich kein Fall erzeugen, der alle Prüfungen des Modells erfüllt: jeder erzeugte Fall "
                       "verletzte nach der Reparatur noch eine Prüfung (widersprechen sich Prüfungen?)")
        else:
            message = (f"Kein erzeugter Fall zählte für diese Eigenschaft ({counts['verworfen']} von "
                       f"{counts['fälle']} verworfen): die Fälle wurden von Prüfungen abgelehnt oder der Pfad fehlt")
        failures.clear()
    except Exception as exc:  # noqa: BLE001 - e.g. the generator found no valid case
        message = f"{type(exc).__name__}: {exc}"
        failures.clear()
    seconds = time.perf_counter() - start
    if message is None:
        return PropertyOutcome(check.id, check.title, check.kind, check.location, True, None, counts["fälle"],
                               counts["verworfen"], seconds)
    case = failures[-1].case if failures else None
    if isinstance(case, tuple):
        case = case[0]
    text = file = unwritten = None
    if case is not None:
        text = counterexample_toml(check, case, message)
        if counterexample_dir is not None:
            try:
                file = write_counterexample(check, text, counterexample_dir)
            except CaseError as exc:  # the finding stands; the other properties still run
                unwritten = "; ".join(d.message for d in exc.diagnostics)
    return PropertyOutcome(check.id, check.title, check.kind, check.location, False, message, counts["fälle"],
                           counts["verworfen"], seconds, case, text, file, unwritten)


def counterexample_toml(check: PropertyCheck, case: Any, message: str) -> str:
    info = check.model.checked.info
    header = (
        f"Gegenbeispiel: {check.title}\n"
        f"Eigenschaft {check.id} ({check.location})\n"
        f"Modell {info.named()}\n\n" + message + "\n"
    )
    return dumps(case, header=header)


def write_counterexample(check: PropertyCheck, text: str, directory: str | Path) -> Path:
    """Write a counterexample file ``gegenbeispiel-<modell>-<n>.toml`` (the first free n)."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CaseError(Diagnostic(f"Das Verzeichnis „{folder}“ lässt sich nicht anlegen: {write_problem(exc)}",
                                   code="ausgabe")) from None
    name = check.model.checked.info.name
    number = 1
    while True:
        path = folder / f"gegenbeispiel-{name}-{number}.toml"
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text + f"#\n# Ausführen: teilhabe-rules eval {check.model.checked.info.file} {path}\n")
            return path
        except FileExistsError:
            number += 1
        except OSError as exc:
            raise CaseError(Diagnostic(f"„{path}“ lässt sich nicht schreiben: {write_problem(exc)}",
                                       code="ausgabe")) from None


def keep_hypothesis_files_in_cache() -> None:
    """Let hypothesis keep its files in the library's cache directory (``…/hypothesis``) instead
    of ``.hypothesis/`` in the working directory — for the command line; an explicit
    ``HYPOTHESIS_STORAGE_DIRECTORY`` wins."""
    import os
    import tempfile

    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    from ..cache import cache_dir

    set_hypothesis_home_dir((cache_dir() or Path(tempfile.gettempdir()) / "teilhabe_rules") / "hypothesis")


def run_properties(model: Model, *, max_examples: int = DEFAULT_EXAMPLES, seed: int = 0,
                   counterexample_dir: str | Path | None = None, declared: bool = True, invariants: bool = True,
                   limits: dict[str, Any] | None = None,
                   shrink_seconds: float = SHRINK_SECONDS) -> list[PropertyOutcome]:
    """Every declared property and generic invariant of ``model``, in order."""
    return [
        run_property(check, max_examples=max_examples, seed=seed, counterexample_dir=counterexample_dir, limits=limits,
                     shrink_seconds=shrink_seconds)
        for check in property_checks(model, declared=declared, invariants=invariants)
    ]
