"""A plan for a reader of a few values (``wanted``: the levels and the budget, as ``compare`` reads
them) leaves out only what none of them needs and no case can fail on: the same results and the
same error rows as the plan of every value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from test_columnar import _scalar

import teilhabe_rules
from teilhabe_rules.columnar import run_batch
from teilhabe_rules.columnar.plan import computed_nodes
from teilhabe_rules.errors import TeilhabeError
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


DOMAINS = """modell m "M"
  gültig ab 01.01.2024
  budget summe_a
ende
parameter tage: zahl von 300 bis 365 = 365
tabelle satz "Satz": ganzzahl von 1 bis 3 -> zahl teilweise
  1: 0.5
  2: 1
  3: 1.5
ende
eingabe teiler: ganzzahl von 0 bis 9
eingabe x: zahl EUR von 0 bis 1000
eingabe stufe: ganzzahl von 1 bis 3
eingabe groesse: ganzzahl von 1 bis 4
eingabe frei: zahl EUR
liste l "L" mindestens 1 höchstens 5
  eingabe y: zahl von 0 bis 10
ende
wert summe_a: EUR = x * 2
wert geschuetzt: EUR = wenn teiler = 0 dann 0 EUR sonst x / teiler
wert ungeschuetzt: EUR = x / teiler
wert je_tag: EUR = x / tage
wert gerundet: EUR = runde(x / tage, 2, kaufmännisch)
wert frei_gerundet: EUR = runde(frei, 2, kaufmännisch)
wert nachgeschlagen = satz[stufe]
wert nicht_jede_zeile = satz[groesse]
wert kleinstes = min(l.y)
wert ganz: zahl EUR von 0 bis 1000 = runde(x, 0, abrunden)
"""


def test_the_value_domains_prove_more_values_infallible() -> None:
    """With the plan's parameter values and tables, the domains of the IR toolkit show that the
    scalar backend cannot fail on a division guarded by ``wenn``, a division by a parameter that
    is not 0, ``runde`` of a bounded number, a lookup whose keys are all in the table, ``min`` of
    a list of at least one element, a value its declared range holds: none of them is computed
    for a reader of ``summe_a``. A division by an input that may be 0, ``runde`` of an unbounded
    number, a lookup of a key the table may lack still are (they may make an error row)."""
    from teilhabe_rules.runtime.semantics import base_values

    loaded = teilhabe_rules.loads(DOMAINS, "m.rules")
    model = loaded.checked
    parameters, tables = base_values(model)

    def kept(*given: Any) -> set[str]:
        found = computed_nodes(model, {("", "summe_a")}, *given)
        assert found is not None
        return {model.nodes[nid].key for nid in found if model.nodes[nid].kind != "prüfung"}

    assert kept(parameters, tables) == {"summe_a", "ungeschuetzt", "frei_gerundet", "nicht_jede_zeile"}
    assert kept() == {"summe_a", "geschuetzt", "ungeschuetzt", "je_tag", "gerundet", "frei_gerundet",
                      "nachgeschlagen", "nicht_jede_zeile", "kleinstes", "ganz"}
    # an agreement's value: a parameter the domains read is the plan's, not the model's
    assert "gerundet" not in kept({**parameters, "tage": Decimal(300)}, tables)
    plan = loaded.columnar_plan(wanted={("", "summe_a")})
    cases = [{"teiler": 0, "x": 5, "stufe": 2, "groesse": 4, "frei": 1, "l": [{"y": 1}]},
             {"teiler": 2, "x": 5, "stufe": 3, "groesse": 2, "frei": 1, "l": [{"y": 1}, {"y": 0}]},
             {"teiler": 2, "x": 5, "stufe": 1, "groesse": 1, "frei": "1e40", "l": [{"y": 1}]}]
    result = run_batch(plan, loaded.checked, cases, loaded.loader, _scalar(loaded), keep={"": ["summe_a"]})
    # a division by 0 and a missing row of the table; ``runde`` of 10^40 (more than 28 digits)
    assert [e.index for e in result.errors] == [0, 2]
    assert result.connection.execute(f"SELECT summe_a FROM {result.tables['']} ORDER BY _c").fetchall() == [(10,)]


def test_the_plan_of_the_levels_and_the_budget_leaves_out_what_cannot_fail() -> None:
    """MAWo's plan for ``compare`` of offers (levels and the offer's budget) computes neither the Tagessatz nor the
    Euro per day of a package: a rounding of a bounded number, divisions by a parameter and by
    a value guarded by ``wenn`` (the domains prove them infallible)."""
    model = teilhabe_rules.bundled("mawo")
    wanted = {(f.scope, f.key) for f in fields(model, model, None, None) if f.kind in ("stufe", "budget")}
    plan = model.columnar_plan(wanted=wanted)
    computed = {key for metas in plan.columns.values() for key in metas}
    assert not {"tagessatz", "tagessatz_ungerundet", "jahresbetrag", "lp3a.eur_tag", "pflegekasse_43a"} & computed
    assert {"lp3a.kosten_jahr", "lp3a.anteil_gemeinschaftlich"} <= computed


HEAD = 'modell m "M"\n  gültig ab 01.01.2024\n  budget summe_a\nende\n'


@pytest.mark.parametrize(("body", "cases", "failing"), [
    # 2 − 2/3·3 is exactly 0: a value set of the domains holds exact values only
    ("eingabe a: auswahl {1, 2}\nwert summe_a = a * 2\nwert d = a - a / 3 * 3\nwert q = 1 / d\n",
     [{"a": 2}], [0]),
    # the bound 1/3·3 is no decimal: it narrows nothing (rounded down, x ≤ 0.99…9 left out 1)
    ("parameter tage: zahl = 3\nparameter budget: zahl = 1\neingabe x: zahl von 0 bis 5\nwert summe_a = x * 2\n"
     "wert r = wenn x <= budget / tage * tage dann 1 / (x - budget) sonst 0\n", [{"x": 1}, {"x": 0}], [0]),
    # x ≥ 10^-61 holds of 0: within SNAP of the bound, the evaluation takes 0 to be on it
    ("eingabe a: zahl von 0 bis 10\nwert summe_a = a * 2\nwert x = a / 3\n"
     "wert r = wenn x >= 0.0000000000000000000000000000001 * 0.000000000000000000000000000001 dann 1 / x sonst 0\n",
     [{"a": 0}, {"a": 1}], [0]),
    # 1 + 10^-30 is 1 in the evaluation's 28 digits: the domains round with those digits too
    ("eingabe a: auswahl {1, 2}\nwert summe_a = a * 2\nwert t = a + 0.000000000000000000000000000001\n"
     "wert k = runde((t - 1) * 100000000000000000000, 0, aufrunden)\nwert q = 1 / k\n", [{"a": 1}, {"a": 2}], [0]),
])
def test_a_division_the_domains_cannot_prove_safe_still_makes_its_error_row(body: str, cases: list[dict[str, Any]],
                                                                           failing: list[int]) -> None:
    loaded = teilhabe_rules.loads(HEAD + body, "m.rules")
    scalar = []  # the cases the scalar backend fails on
    for index, case in enumerate(cases):
        try:
            loaded.evaluate(case)
        except TeilhabeError:
            scalar.append(index)
    assert scalar == failing
    plan = loaded.columnar_plan(wanted={("", "summe_a")})
    result = run_batch(plan, loaded.checked, cases, loaded.loader, _scalar(loaded), keep={"": ["summe_a"]})
    assert [e.index for e in result.errors] == failing
