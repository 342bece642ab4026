"""Randomly built small models — a list with a list inside, aggregates with and without ``wo``
(``vorher``, ``position``, a value of the enclosing element), ``wenn``, ``runde``, divisions that
may fault, a parameter of 0, a text compared with text that reads like generated code — each
evaluated by the general program, the specialised program and the columnar plan: the three agree
on every figure, and on which cases fail with which message; so does the plan of one value, which
leaves out what no case can fail on."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules.columnar import run_batch
from teilhabe_rules.columnar.plan import Unsupported
from teilhabe_rules.errors import TeilhabeError
from teilhabe_rules.tools.strategies import valid_cases

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))
from test_columnar import _plan, _scalar, mismatches  # noqa: E402
from test_specialised import both  # noqa: E402

HEAD = 'modell zufall "Zufall"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
TEXTS = ("e1['x']", "_f0[0]", 'an \\"x\\"', "ohne")  # as written in the rules (a quote escaped)

# the element of ``a`` (inputs x, y, t, s; values ts, tv of s alone) and of ``b`` in it (input z;
# values w, w2 that read the element of ``a``: w2 divides by y)
A_ATOMS = ("x", "y", "k", "p0", "p1", "2", "0.5", "3", "x", "y", "k", "tab[s]", "tab[s] * x", "ts", "tv")
B_CONDITIONS = ("z > y", "z <= 5", "z > x / 20", "w > 3", "z > y", "z <= 5", "position = 1 oder vorher.z < z")
B_AGGREGATES = ("summe(b.z wo {c})", "anzahl(b wo {c})", "max(b.z wo {c})", "min(b.z)", "erstes(b.z wo {c})",
                "letztes(b.z)", "summe(b.z)", "summe(b.w wo {c})", "max(b.w2)")
# over the list of the element itself (computed in place where it reads ``vorher``)
A_AGGREGATES = ("summe(a.x wo position = 1 oder vorher.x < x)", "anzahl(a wo x > 50)", "max(a.y)")


@st.composite
def a_expressions(draw: st.DrawFn, depth: int = 0) -> str:
    """A number of an element of ``a``."""
    choice = draw(st.integers(0, 10 if depth < 2 else 2))
    if choice == 0:
        return draw(st.sampled_from(A_ATOMS))
    if choice == 1:
        aggregate = draw(st.sampled_from(B_AGGREGATES))
        return aggregate.format(c=draw(st.sampled_from(B_CONDITIONS)))
    if choice == 2:
        return draw(st.sampled_from(A_AGGREGATES))
    left, right = draw(a_expressions(depth + 1)), draw(a_expressions(depth + 1))
    if choice <= 6:
        return f"({left} {draw(st.sampled_from(('+', '-', '*', '/')))} {right})"
    if choice <= 8:
        test = draw(st.sampled_from(("x > k", f't = "{draw(st.sampled_from(TEXTS))}"', "y = 0", 't = "e1[\'x\']"')))
        return f"(wenn {test} dann {left} sonst {right})"
    if choice == 9:
        return f"runde({left}, {draw(st.integers(0, 3))}, kaufmännisch)"
    return f"({left} * 0)" if draw(st.booleans()) else f"({left} * p0 + {right})"


@st.composite
def models(draw: st.DrawFn) -> str:
    values = draw(st.lists(a_expressions(), min_size=1, max_size=4))
    p1 = draw(st.sampled_from(("1.25", "3", "0.333")))
    a_values = "".join(f"  wert v{n} = {expr}\n" for n, expr in enumerate(values))
    top = draw(st.lists(st.sampled_from(["summe(a.v{n})", "anzahl(a wo v{n} > k)", "max(a.v{n})",
                                         "summe(a.v{n} wo position = 1 oder vorher.v{n} < v{n})",
                                         "erstes(a.v{n} wo x > k) * 0", "letztes(a.x) + k"]),
                        min_size=1, max_size=3))
    top_values = "".join(f"wert g{m} = {form.format(n=m % len(values))}\n" for m, form in enumerate(top))
    return (HEAD
            + "eingabe k: zahl von 0 bis 50\n"
            + 'parameter p0: zahl = 0 "Null"\n'
            + f'parameter p1: zahl = {p1} "Eins"\n'
            + 'aufzählung Stufe "Stufe"\n  0 "null"\n  1 "eins"\n  2 "zwei"\n  3 "drei"\nende\n'
            + 'tabelle tab "Tabelle": Stufe -> zahl teilweise\n  0: 0\n  1: 12.5\n  2: 0.75\nende\n'
            + 'liste a "A" mindestens 0 höchstens 3\n'
            + "  eingabe x: zahl von 0 bis 100\n"
            + "  eingabe y: ganzzahl von 0 bis 9\n"
            + '  eingabe t: text standard "ohne"\n'
            + "  eingabe s: Stufe\n"
            + '  liste b "B" mindestens 0 höchstens 3\n'
            + "    eingabe z: zahl von 0 bis 10\n"
            + "    wert w = z * x + y\n"
            + "    wert w2 = wenn z > y + 8 dann z / y sonst 0\n"
            + "  ende\n"
            + "  wert ts = tab[s] * p1 + 1\n"
            + "  wert tv = runde(tab[s] / 3, 2, kaufmännisch)\n"
            + a_values
            + "ende\n"
            + top_values)


def _outcome(model: teilhabe_rules.Model, case: dict[str, Any]) -> Any:
    try:
        return model.evaluate(case)
    except TeilhabeError as exc:
        return tuple((d.message, d.path) for d in exc.diagnostics)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
@given(source=models(), data=st.data())
def test_random_models_agree_on_every_backend(source: str, data: st.DataObject) -> None:
    model = teilhabe_rules.loads(source, "zufall.rules")
    cases = data.draw(st.lists(valid_cases(model), min_size=1, max_size=4), label="cases")
    # the general and the specialised program
    for case in cases:
        found = both(model, case)
        assert found is not None and found[0] == found[1], source
    # the columnar plan: the same failures, the same figures
    try:
        plan = _plan(model)
    except Unsupported:  # a construct the plan does not express: every case on the scalar backend
        batch = model.evaluate_many(cases)
        assert batch.scalar_cases == len(cases) and batch.notes, source
        errors = {error.index: error.problems for error in batch.errors}
        for index, case in enumerate(cases):
            expected = _outcome(model, case)
            assert errors.get(index) == (expected if isinstance(expected, tuple) else None), source
        return
    result = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
    errors = {error.index: error.problems for error in result.errors}
    for index, case in enumerate(cases):
        expected = _outcome(model, case)
        if isinstance(expected, tuple):
            assert errors.get(index) == expected, source
        else:
            assert index not in errors, (source, errors.get(index))
    assert mismatches(model, plan, [c for i, c in enumerate(cases) if i not in errors]) == [], source
    # a plan of one value leaves out only what its domains prove the scalar backend cannot fail on:
    # the same cases fail, with the same messages
    pruned = model.columnar_plan(wanted={("", "g0")})
    result = run_batch(pruned, model.checked, cases, model.loader, _scalar(model), keep={"": ["g0"]})
    assert {error.index: error.problems for error in result.errors} == errors, source
