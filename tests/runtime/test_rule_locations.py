"""An evaluation fault and a failed check of a case given as a mapping are shown at the rule's
expression — a value's, a check's condition — with a caret under it, not at
the first column of its line."""

from __future__ import annotations

from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules import CaseError, EvaluationError

MODEL = """modell m "M"
  version "1"
  gültig ab 01.01.2024
ende

eingabe n: ganzzahl von 0 bis 10
eingabe d: zahl von 0 bis 10
wert quote = 10 / d
wert begrenzt: zahl von 0 bis 5 = n * 1
prüfung "Zu viele: {d}": d < 8
liste l "L"
  eingabe y: zahl von 0 bis 100
  prüfung "Zu groß: {y}": y < 50
ende
wert erstes_y = erstes(l.y)
"""
LINES = MODEL.split("\n")


def place(text: str, expression: str) -> tuple[int, int, int]:
    """Line, column and end column of ``expression`` in the line of MODEL starting with ``text``."""
    number = next(i for i, line in enumerate(LINES, 1) if line.strip().startswith(text))
    start = LINES[number - 1].index(expression) + 1
    return number, start, start + len(expression)


CASE: dict[str, Any] = {"n": 1, "d": 2, "l": [{"y": 1}]}


@pytest.mark.parametrize(("changes", "error", "rule", "expression"), [
    ({"d": 0}, EvaluationError, "wert quote", "10 / d"),
    ({"n": 6}, EvaluationError, "wert begrenzt", "n * 1"),
    ({"l": []}, EvaluationError, "wert erstes_y", "erstes(l.y)"),
    ({"d": 9}, CaseError, "prüfung \"Zu viele", "d < 8"),
    ({"l": [{"y": 1}, {"y": 60}]}, CaseError, "prüfung \"Zu groß", "y < 50"),
])
def test_a_fault_or_failed_check_is_shown_at_the_rules_expression(changes: dict[str, Any], error: type,
                                                                  rule: str, expression: str) -> None:
    model = teilhabe_rules.loads(MODEL, "m.rules")
    with pytest.raises(error) as raised:
        model.evaluate({**CASE, **changes})
    (diagnostic,) = raised.value.errors
    where = diagnostic.location
    line, column, end = place(rule, expression)
    assert where is not None
    assert (where.line, where.column, where.end_line, where.end_column) == (line, column, line, end)
    assert diagnostic.to_dict()["spalte"] == column
    shown = diagnostic.render().split("\n")
    assert shown[1] == "    " + LINES[line - 1]
    assert shown[2] == "    " + " " * (column - 1) + "^" + "~" * (len(expression) - 1)

