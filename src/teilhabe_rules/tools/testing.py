"""Running a model's own examples (``beispiel`` blocks).

Takes: a loaded :class:`~teilhabe_rules.model.Model`. Gives: one :class:`ExampleOutcome` per
example — passed or failed, with expected vs. actual and the explanation of the actual figure.
Used by ``teilhabe-rules test`` and the pytest plugin.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import attrs

from ..errors import Diagnostic, TeilhabeError
from ..ir import checked as c
from ..ir.text import quantity_text
from ..model import Model
from ..paths import format_path

__all__ = ["ExampleOutcome", "example_id", "names_the_rejection", "run_example", "run_examples"]


@attrs.frozen
class ExampleOutcome:
    id: str
    title: str | None
    location: str
    passed: bool
    failures: tuple[str, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text.strip().lower()).strip("-")


def example_id(model: Model, example: c.ExampleSpec) -> str:
    """``mawo.rules::lp2a::beispiel-15-minuten``: unique in the model — an example whose name
    gives no id (``"???"``) or the id of another (``"a b"`` and ``"a-b"``) is told apart by its
    line (``…::a-b-zeile-12``)."""
    from pathlib import Path

    slug = _slug(example.id)
    if not slug or sum(1 for other in model.checked.examples
                       if other.package == example.package and _slug(other.id) == slug) > 1:
        slug = f"{slug or 'beispiel'}-zeile-{example.span.line}"
    parts = [Path(model.checked.info.file).name]
    if example.package:
        parts.append(example.package)
    parts.append(slug)
    return "::".join(parts)


def names_the_rejection(exc: TeilhabeError, expected: str) -> bool:
    """Whether ``erwartet fehler "expected"`` holds for the rejection ``exc``: a message of it
    contains the text — not its rendering, whose quoted source line and file name would match
    a text the message does not hold."""
    messages = [d.message for d in exc.diagnostics] or [str(exc)]
    return any(expected in message for message in messages)


def run_example(model: Model, example: c.ExampleSpec) -> ExampleOutcome:
    location = f"{model.checked.info.file}:{example.span.line}"
    failures: list[str] = []
    agreement = None
    if example.agreement:
        values: dict[str, Any] = {}
        for name, value, _span in example.agreement:
            values[name] = str(value) if not isinstance(value, (str, bool)) else value
        try:
            agreement = model.load_agreement({"parameter": values})
        except TeilhabeError as exc:
            return ExampleOutcome(example_id(model, example), example.title, location, False, (exc.render(),))
    try:
        result = model.evaluate(
            copy.deepcopy(example.case), agreement, explain=bool(example.expectations), at=example.at
        )
    except TeilhabeError as exc:
        if example.expected_errors:
            missing = [e for e in example.expected_errors if not names_the_rejection(exc, e)]
            if missing:
                failures.append(f"erwartet war ein Fehler mit „{missing[0]}“, gemeldet wurde:\n{exc.render()}")
        else:
            failures.append(f"der Fall wurde abgelehnt:\n{exc.render()}")
        return ExampleOutcome(example_id(model, example), example.title, location, not failures, tuple(failures))
    if example.expected_errors:
        failures.append(f"erwartet war ein Fehler mit „{example.expected_errors[0]}“, der Fall wurde aber ausgewertet")
    for expectation in example.expectations:
        path = format_path(expectation.path)
        try:
            actual = result.value(expectation.path)
        except (KeyError, IndexError) as exc:  # (the message, not str(): a KeyError's is its repr in quotes)
            message = exc.args[0] if exc.args else exc
            failures.append(f"{path}: {message}  [{model.checked.info.file}:{expectation.span.line}]")
            continue
        if actual != expectation.value or type(actual) is bool and type(expectation.value) is not bool:
            try:  # (only this figure's: explanations() would copy them all, once per expectation)
                expl = result.explain(path)
            except KeyError:
                expl = None
            detail = f"\n    Erklärung: {expl.text}  [{expl.rule}]" if expl else ""
            failures.append(
                f"{path}: erwartet {quantity_text(expectation.value, expectation.type)}, "
                f"berechnet {quantity_text(actual, expectation.type)}  "
                f"[{model.checked.info.file}:{expectation.span.line}]{detail}"
            )
    return ExampleOutcome(example_id(model, example), example.title, location, not failures, tuple(failures))


def run_examples(model: Model) -> list[ExampleOutcome]:
    return [run_example(model, example) for example in model.checked.examples]


_ = Diagnostic
