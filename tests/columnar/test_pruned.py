"""A plan for a reader of a few values (``wanted``: the levels and the budget, as ``compare`` reads
them) leaves out only what none of them needs and no case can fail on: the same results and the
same error rows as the plan of every value."""

from __future__ import annotations

from typing import Any

import pytest
from test_columnar import _scalar

import teilhabe_rules
from teilhabe_rules.columnar import run_batch
from teilhabe_rules.columnar.plan import computed_nodes
from teilhabe_rules.tools.compare import fields
from teilhabe_rules.tools.strategies import sample_cases, sample_invalid_cases

MODEL = """modell m "M"
  gültig ab 01.01.2024
  budget summe_a
ende
parameter tage: zahl = 365
eingabe teiler: zahl
eingabe x: zahl EUR
wert a: EUR = x * 2
wert anzeige: EUR = x / 365
wert anteil: EUR = x / teiler
wert je_tag: EUR = x / tage
wert summe_a: EUR = a
prüfung "x darf nicht negativ sein": x >= 0
"""


def test_only_what_is_read_or_can_fail_is_computed() -> None:
    model = teilhabe_rules.loads(MODEL, "m.rules").checked
    kept = computed_nodes(model, {("", "summe_a")})
    assert kept is not None
    names = {model.nodes[nid].key for nid in kept}
    # read, and what it reads; a division by an input or a parameter (it may be 0), a check
    assert {"summe_a", "a", "anteil", "je_tag"} <= names
    assert "anzeige" not in names  # divided by a constant: it can never fail, and nothing reads it
    assert any(model.nodes[nid].kind == "prüfung" for nid in kept)
    assert computed_nodes(model, None) is None


def test_a_value_nobody_reads_still_makes_its_error_row() -> None:
    """``anteil`` is read by no result, but a case dividing by 0 there is an error row, as on the
    scalar backend; a negative ``x`` fails the check."""
    loaded = teilhabe_rules.loads(MODEL, "m.rules")
    plan = loaded.columnar_plan(wanted={("", "summe_a")})
    cases = [{"teiler": 0, "x": 1}, {"teiler": 2, "x": 1}, {"teiler": 2, "x": -1}]
    result = run_batch(plan, loaded.checked, cases, loaded.loader, _scalar(loaded), keep={"": ["summe_a"]})
    assert [e.index for e in result.errors] == [0, 2]
    assert result.connection.execute(f"SELECT summe_a FROM {result.tables['']}").fetchall() == [(2,)]


def _wanted(name: str) -> frozenset[tuple[str, str]]:
    model = teilhabe_rules.bundled(name)
    found = [f for each in (False, True) for f in fields(model, model, None, None, per_element=each)]
    return frozenset((f.scope, f.key) for f in found if f.kind in ("stufe", "budget"))


def _rows(result: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {sid: sorted(result.connection.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall())
            for sid, table in result.tables.items()}


@pytest.mark.parametrize("name", ["mawo", "mawo_2025", "bei_nrw3", "bei_nrw2"])
def test_the_same_results_and_error_rows_as_the_plan_of_every_value(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    wanted = _wanted(name)
    keep: dict[str, list[str]] = {}
    for scope, key in wanted:
        keep.setdefault(scope, []).append(key)
    cases = [*sample_cases(model, 40, 61), *(case for case, _ in sample_invalid_cases(model, 20, 62))]
    at = None
    if model.needs_date:
        assert model.info.valid_from is not None
        at = model.info.valid_from
    results = []
    for plan in (model.columnar_plan(None, at), model.columnar_plan(None, at, wanted=wanted)):
        result = run_batch(plan, model.checked, cases, model.loader, _scalar(model), at=at, keep=keep)
        results.append((_rows(result), [(e.index, e.problems) for e in result.errors], result.scalar_cases))
    assert results[0] == results[1]
    assert results[0][1]  # the invalid cases gave error rows
    full, pruned = (len(p.steps) for p in (model.columnar_plan(None, at), model.columnar_plan(None, at, wanted=wanted)))
    assert pruned <= full
