"""The columnar backend: every bundled model compiles to one exact plan whose figures equal the scalar backend's."""

from __future__ import annotations

import contextlib
import copy
import decimal
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules.columnar import BatchResult, Plan, ScalarOutcome, compile_plan, run_batch
from teilhabe_rules.columnar.plan import FIX, WHITE_SPACE, key_columns, single_list
from teilhabe_rules.columnar.sources import Unreadable
from teilhabe_rules.errors import TeilhabeError
from teilhabe_rules.model import Model
from teilhabe_rules.runtime.semantics import base_values
from teilhabe_rules.tools.strategies import sample_cases, valid_cases

MODELS = ("mawo", "mawo_2025", "bei_nrw2", "bei_nrw3")


def _plan(model: Model) -> Plan:
    parameters, tables = base_values(model.checked)
    return compile_plan(model.checked, parameters, tables)


def _scalar(model: Model) -> Any:
    def scalar(index: int, data: Any) -> ScalarOutcome:
        if isinstance(data, Unreadable):  # a line of a file that is no case
            return ScalarOutcome(None, ((data.message, data.path),), (data.hint,))  # (as evaluate_many does)
        try:
            result = model.evaluate(data)
        except TeilhabeError as exc:
            return ScalarOutcome(None, tuple((d.message, d.path) for d in exc.diagnostics),
                                 tuple(d.hint for d in exc.diagnostics))
        return ScalarOutcome(result.frame)

    return scalar


_WIDE = decimal.Context(prec=100)


def _places(value: Decimal) -> int:
    """The digits of ``value`` after its point, trailing zeros not counted."""
    exponent = value.normalize(_WIDE).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def mismatches(model: Model, plan: Plan, cases: list[dict[str, Any]]) -> list[str]:
    """Every figure of the plan's rows that differs from the scalar backend's: a figure with at
    most FIX exact digits digit for digit, any other within the plan's error bound."""
    result = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
    assert result.evaluated + len(result.errors) == len(cases)
    found = []
    frames = {}
    for sid in model.checked.scopes:
        for row in result.rows(sid):
            index = row["_c"]
            if index not in frames:
                frames[index] = model.evaluate(cases[index]).frame
            indexes = tuple(row[k] - 1 for k in key_columns(model.checked, sid)[1:])
            element = next(e for e in frames[index].elements() if e.scope == sid and e.indexes == indexes)
            for key, value in row.items():
                if key.startswith("_"):
                    continue
                expected = element.get(key)
                if isinstance(value, Decimal) and isinstance(expected, Decimal):
                    places = value.as_tuple().exponent
                    assert isinstance(places, int)
                    metas = [p.columns[sid].get(key) for p in plan.exact_in]
                    meta = None if None in metas else max(metas, key=lambda m: m.err)  # type: ignore[union-attr]
                    if row["_skalar"] or meta is None or not meta.err and -places < FIX:
                        # (the scalar backend's figure: every digit its column holds, at least FIX)
                        assert not row["_skalar"] or -places >= min(FIX, _places(expected))
                        same = expected.quantize(Decimal(1).scaleb(places), rounding=decimal.ROUND_HALF_UP,
                                                 context=_WIDE) == value
                    else:
                        tolerance = Decimal(float(meta.err)) + Decimal(2).scaleb(-FIX) + abs(expected).scaleb(-26)
                        same = abs(expected - value) <= tolerance
                else:
                    same = value == expected
                if not same:
                    found.append(f"{index} {sid} {indexes} {key}: {value} ≠ {expected}")
    return found


@pytest.mark.parametrize("name", MODELS)
def test_every_bundled_model_compiles_to_a_plan_without_floating_point(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    plan = _plan(model)
    sql = plan.query().sql("duckdb").upper()
    for word in ("DOUBLE", "FLOAT", "REAL"):
        assert word not in sql
    result = run_batch(plan, model.checked, list(sample_cases(model, 5, 3)), model.loader, _scalar(model))
    for sid in model.checked.scopes:
        types = [str(t).upper() for t in result.relation(sid).types]
        assert not [t for t in types if "DOUBLE" in t or "FLOAT" in t]


@pytest.mark.parametrize("name", MODELS)
def test_the_plan_equals_the_scalar_backend_on_a_sampled_population(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    assert mismatches(model, _plan(model), list(sample_cases(model, 60, 11))) == []


@pytest.mark.parametrize("name", MODELS)
def test_the_plan_equals_the_scalar_backend_on_generated_populations(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    plan = _plan(model)

    @settings(max_examples=examples(5), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(valid_cases(model), min_size=1, max_size=4))
    def check(cases: list[dict[str, Any]]) -> None:
        assert mismatches(model, plan, cases) == []

    check()


def _one_element(model: Model, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case once per element of the list the plan's single variant holds in the case's row,
    with that element alone (a population of persons from one of offers)."""
    listed = single_list(model.checked)
    assert listed is not None
    name = model.checked.scopes[listed].name
    return [{**case, name: [element]} for element in case.get(name) or []]


@pytest.mark.parametrize("name", MODELS)
def test_cases_of_one_element_are_computed_in_one_row_equal_to_the_scalar_backend(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    plan = _plan(model)
    assert plan.single is not None and plan.single.merged == {single_list(model.checked)}
    sampled = list(sample_cases(model, 12, 5))
    persons = [one for case in sampled for one in _one_element(model, case)][:40]
    assert persons
    # the variant alone (every case has one element), then the plan on cases of one and of more elements
    assert mismatches(model, plan.single, persons) == []
    assert mismatches(model, plan, [x for pair in zip(persons, sampled * 4, strict=False) for x in pair]) == []


@pytest.mark.parametrize("name", MODELS)
def test_generated_cases_of_one_element_equal_the_scalar_backend(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    plan = _plan(model)

    @settings(max_examples=examples(5), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(valid_cases(model), min_size=1, max_size=4), st.booleans())
    def check(cases: list[dict[str, Any]], mixed: bool) -> None:
        persons = [one for case in cases for one in _one_element(model, case)]
        assert mismatches(model, plan, persons + (cases if mixed else [])) == []

    check()


def test_the_billed_figure_is_rounded_half_up_exactly() -> None:
    model = teilhabe_rules.bundled("mawo")
    case = next(iter(sample_cases(model, 1, 1)))
    case["bewohner"] = case["bewohner"][:1]
    case["bewohner"][0]["massnahmen"] = [{"bezeichnung": "Schwimmbad zu zweit", "stunden": 30, "personen": 2}]
    result = run_batch(_plan(model), model.checked, [case], model.loader, _scalar(model))
    (row,) = result.rows("bewohner")
    assert row["ilb4.budget"] == Decimal("1344.53")
    assert row["_skalar"] is False


def test_a_model_without_a_plan_runs_on_the_scalar_backend_with_a_note() -> None:
    model = teilhabe_rules.bundled("bei_nrw2")
    cases = list(sample_cases(model, 3, 2))
    result = run_batch(None, model.checked, cases, model.loader, _scalar(model), note="ohne Plan")
    assert result.notes == ["ohne Plan"]
    assert result.scalar_cases == 3
    assert len(result.rows()) + len(result.errors) == 3


def test_the_connection_is_the_callers() -> None:
    model = teilhabe_rules.bundled("bei_nrw2")
    con = duckdb.connect()
    result = run_batch(_plan(model), model.checked, list(sample_cases(model, 2, 2)), model.loader,
                       _scalar(model), connection=con)
    assert result.connection is con
    assert len(con.table(result.tables[""]).fetchall()) == 2


@settings(max_examples=examples(30), deadline=None)
@given(st.lists(st.integers(min_value=-(2**62) + 1, max_value=2**62 - 1), min_size=1, max_size=20),
       st.integers(min_value=1, max_value=2_000_000))
def test_fixed_point_results_are_rounded_half_up_exactly(numerators: list[int], den: int) -> None:
    from fractions import Fraction

    from sqlglot import exp

    from teilhabe_rules.columnar.plan import decimal_out

    con = duckdb.connect()
    con.execute("CREATE TABLE t (n BIGINT)")
    con.executemany("INSERT INTO t VALUES (?)", [[n] for n in numerators])
    sql, places = decimal_out(exp.column("n"), den, Fraction(2**62))
    got = [row[0] for row in con.execute(exp.select(sql).from_("t").sql("duckdb")).fetchall()]
    for n, value in zip(numerators, got, strict=True):
        exact = Fraction(abs(n) * 10**places, den)
        whole = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
        assert Fraction(value) == Fraction(whole if n >= 0 else -whole, 10**places)  # exact, no context


def test_an_input_with_more_fractional_digits_than_staged_goes_to_the_scalar_backend() -> None:
    model = teilhabe_rules.bundled("mawo")
    case = next(iter(sample_cases(model, 1, 1)))
    case["bewohner"] = case["bewohner"][:1]
    case["bewohner"][0]["massnahmen"] = [{"bezeichnung": "Schwimmbad", "stunden": Decimal("30.0000001"),
                                          "personen": 1}]
    result = run_batch(_plan(model), model.checked, [case], model.loader, _scalar(model))
    (row,) = result.rows("bewohner")
    assert result.scalar_cases == 1 and row["_skalar"] is True
    element = next(e for e in model.evaluate(case).frame.elements() if e.scope == "bewohner")
    assert row["ilb4.budget"] == element.get("ilb4.budget")


def test_every_rounding_mode_agrees_with_the_scalar_backend_on_both_signs() -> None:
    model = teilhabe_rules.loads(
        'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        "eingabe betrag: zahl EUR von -100000 bis 100000\n"
        "wert kaufmännisch_2 = runde(betrag, 2, kaufmännisch)\n"
        "wert kaufmännisch_0 = runde(betrag / 7, 0, kaufmännisch)\n"
        "wert ab = runde(betrag / 3, 1, abrunden)\n"
        "wert auf = runde(betrag / 3, 1, aufrunden)\n"
    )
    amounts = ["0", "1.25", "-1.25", "1.005", "-1.005", "3.5", "-3.5", "0.15", "-0.15", "10.45", "-10.45",
               "99999.999999", "-99999.999999", "0.000001", "-0.000001"]
    cases = [{"betrag": a} for a in amounts]
    result = run_batch(_plan(model), model.checked, cases, model.loader, _scalar(model))
    assert result.scalar_cases == 0
    for row, case in zip(result.rows(), cases, strict=True):
        expected = model.evaluate(case)
        for key in ("kaufmännisch_2", "kaufmännisch_0", "ab", "auf"):
            assert row[key] == expected.value(key), (case, key)



@settings(max_examples=examples(40), deadline=None)
@given(st.data(), st.sampled_from([3, 7, 365, 10**16, 2**30, 2**31 - 1, 2**31 + 11]),
       st.sampled_from([1, 3, 10**2, 10**15, 10**18]))
def test_a_bigint_rounded_half_up_past_bigint_once_doubled_is_exact(data: st.DataObject, den: int, num: int) -> None:
    """``n·num/den`` rounded half away from zero for a BIGINT ``n`` whose ``2·n·num`` needs HUGEINT
    (divided in BIGINT first, the rest by long division) — a divisor of 2^30 or more too."""
    from fractions import Fraction

    from sqlglot import exp

    from teilhabe_rules.columnar.plan import NARROW_LIMIT, _round_half_up

    bound = (NARROW_LIMIT - 1) // 2
    numerators = data.draw(st.lists(st.integers(min_value=-bound, max_value=bound), min_size=1, max_size=12))
    numerators += [den // 2, -(den // 2), den + den // 2, bound, -bound]  # ties, the bounds
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, n BIGINT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(numerators)))
    sql = _round_half_up(exp.column("n"), num, den, Fraction(bound))
    got = dict(con.execute(exp.select("i", exp.alias_(exp.Cast(this=sql, to=exp.DataType.build(
        "VARCHAR")), "v")).from_("t").sql("duckdb")).fetchall())
    for index, n in enumerate(numerators):
        exact = Fraction(abs(n) * num, den)
        whole = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
        assert int(got[index]) == (whole if n >= 0 else -whole), (n, num, den)


@settings(max_examples=examples(30), deadline=None)
@given(st.lists(st.integers(min_value=-(2**61), max_value=2**61), min_size=1, max_size=12),
       st.sampled_from([3, 2**30, 2**31 - 1]), st.sampled_from([2**40, 2**61]))
def test_a_division_by_a_constant_is_rounded_half_up_exactly(numerators: list[int], den: int, bound: int) -> None:
    """``n/d`` rounded half away from zero for a constant ``d`` — of 2^30 or more too, whose double
    is no INTEGER."""
    from fractions import Fraction

    from sqlglot import exp

    from teilhabe_rules.columnar.plan import _div_half_up, _small

    numerators = [n for n in numerators if abs(n) <= bound] + [den // 2, -(den // 2), bound, -bound]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, n BIGINT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(numerators)))
    sql = _div_half_up(exp.column("n"), _small(den), bound, den)
    got = dict(con.execute(exp.select("i", exp.alias_(exp.Cast(this=sql, to=exp.DataType.build(
        "VARCHAR")), "v")).from_("t").sql("duckdb")).fetchall())
    for index, n in enumerate(numerators):
        exact = Fraction(abs(n), den)
        whole = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
        assert int(got[index]) == (whole if n >= 0 else -whole), (n, den)


def _tie_model(limit: int, sign: str) -> Model:
    """``x``: a third of ``betrag`` plus (``sign`` "+") or minus a trace (their denominators' multiple
    beyond 10^18: fixed point, with an error), rounded to cents. Within that error of a tie (above
    it or below, by at most one unit of 10^-18) where ``betrag`` is an odd multiple of 0.015 below
    1.5 (the trace is |betrag|·10^-18); far from one where ``betrag`` has three places and is no
    multiple of 0.015."""
    return teilhabe_rules.loads(
        'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        f"eingabe betrag: zahl EUR von -{limit} bis {limit}\n"
        f"wert x = betrag / 3 {sign} betrag / 1000000000000000000\n"
        "wert r = runde(x, 2, kaufmännisch)\n")


# the rounded value's numerator bound: BIGINT with twice of it too (2), BIGINT but twice of it HUGEINT
# (9: 3·10^18), HUGEINT (10^6): each writes the test for a rounding boundary otherwise
@pytest.mark.parametrize("sign", ["+", "-"])
@pytest.mark.parametrize("limit", [2, 9, 1_000_000])
def test_a_value_with_an_error_near_a_rounding_boundary_goes_to_the_scalar_backend(limit: int, sign: str) -> None:
    model = _tie_model(limit, sign)
    plan = _plan(model)

    @settings(max_examples=examples(25), deadline=None)
    @given(st.lists(st.integers(min_value=-limit * 1000, max_value=limit * 1000), min_size=1, max_size=8),
           st.integers(min_value=0, max_value=49))
    def check(thousandths: list[int], odd: int) -> None:
        tie = (2 * odd + 1) * 15  # 0.015 … 1.485: the trace rounded to at most one unit
        thousandths = [*thousandths, tie, -tie]
        cases = [{"betrag": str(Decimal(n) / 1000)} for n in thousandths]
        result = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
        for n, row, case in zip(thousandths, result.rows(), cases, strict=True):
            assert row["r"] == model.evaluate(case).value("r"), case
            if n % 15:
                assert row["_skalar"] is False, case
            elif n % 30 and abs(n) < 1500:
                assert row["_skalar"] is True, case

    check()

ROW_DIVISIONS = (
    'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe betrag: zahl EUR von -100000 bis 100000\n"
    "eingabe plaetze: ganzzahl von 0 bis 200\n"
    "eingabe teiler: zahl von -50 bis 50\n"
    "wert anteil = wenn plaetze = 0 dann 0 sonst 1 / plaetze\n"
    "wert je_platz: EUR = wenn plaetze = 0 dann 0 EUR sonst betrag / plaetze\n"
    "wert zurueck: EUR = je_platz * plaetze\n"
    "wert gemischt: EUR = je_platz + betrag / 7 + anteil * 3 EUR\n"
    "wert geteilt: EUR = betrag / teiler\n"
    "wert gross = je_platz > 1000 EUR\n"
    "wert gerundet = runde(gemischt, 2, kaufmännisch)\n"
    "wert ab = runde(je_platz / 3, 1, abrunden)\n"
    "wert auf = runde(je_platz / 3, 1, aufrunden)\n"
)


def test_a_division_by_a_value_of_the_row_stays_exact() -> None:
    """Over a row denominator a quotient is exact: its error is 0, multiplying back gives the
    dividend, rounding is exact on both signs, and a divisor that is zero or negative goes to the
    scalar backend (which faults, or divides)."""
    model = teilhabe_rules.loads(ROW_DIVISIONS)
    plan = _plan(model)
    for key in ("anteil", "je_platz", "zurueck", "gemischt", "gerundet", "ab", "auf"):
        assert plan.columns[""][key].err == 0, key
    assert plan.columns[""]["je_platz"].rows and plan.columns[""]["gemischt"].rows
    cases = [{"betrag": b, "plaetze": p, "teiler": t}
             for b in ("0", "1.25", "-1.25", "100.005", "-99999.999999", "3", "1000.01")
             for p in (0, 1, 3, 7, 200) for t in ("1", "-3", "0", "0.7")]
    result = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
    assert len(result.rows()) + len(result.errors) == len(cases)
    scalar = {i for i, c in enumerate(cases) if Decimal(c["teiler"]) <= 0}
    for row in result.rows():
        index = row["_c"]
        assert row["_skalar"] is (index in scalar), cases[index]
        if index in scalar:
            continue
        if cases[index]["plaetze"]:  # exact: (betrag / plaetze) · plaetze is betrag (28-digit Decimal may miss it)
            assert row["zurueck"] == Decimal(cases[index]["betrag"])
        expected = model.evaluate(cases[index])
        for key in ("gerundet", "ab", "auf", "gross"):
            assert row[key] == expected.value(key), (cases[index], key)
    assert mismatches(model, plan, cases) == []


CHOICES = (
    'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe a: auswahl {0, 0.5, 1.0, 1.5, 2.5} h\n"
    "eingabe b: auswahl {0, 0.25, 0.75} h\n"
    "eingabe c: auswahl {1, 2, 3} h\n"
    "eingabe betrag: zahl EUR von 0 bis 100000\n"
    "wert summe: h = a + b + c\n"
    "wert anteil = wenn a + b = 0 dann 0 sonst a / (a + b)\n"
    "wert je_stunde: EUR/h = betrag / summe\n"
    "wert gerundet: EUR/h = runde(je_stunde * anteil, 2, kaufmännisch)\n"
    "wert je_a: EUR/h = betrag / a\n"
    "wert je_b_gerundet: EUR/h = runde(betrag / b, 2, kaufmännisch)\n"
)


def test_a_choice_input_is_carried_over_its_choices_denominator() -> None:
    """An ``auswahl`` of decimals is staged with six fractional digits, but each value is one of
    its choices: the plan carries it over the least common multiple of their denominators (2 and
    4 here), so a division by a sum of choices has a row factor of at most 4·(2.5 + 0.75 + 3)
    rather than of 10^6 times that — small enough that what is computed from it stays exact."""
    model = teilhabe_rules.loads(CHOICES)
    plan = _plan(model)
    columns = plan.columns[""]
    assert (columns["a"].den, columns["b"].den, columns["c"].den) == (2, 4, 1)
    assert max(bound for _, _, bound, _ in columns["anteil"].rows) <= 4 * 4 + 1
    for key in ("summe", "anteil", "je_stunde", "gerundet", "je_a", "je_b_gerundet"):
        assert columns[key].err == 0, key
    # a choice input divided by directly: its row factor is its numerator over that denominator too
    assert {bound for _, _, bound, _ in columns["je_a"].rows} == {2 * 2 + 2}
    cases = [{"a": a, "b": b, "c": c, "betrag": betrag} for a in ("0", "0.5", "2.5") for b in ("0", "0.25", "0.75")
             for c in (1, 3) for betrag in ("0", "1234.56", "99999.99")]
    assert mismatches(model, plan, cases) == []
    result = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
    zero = {i for i, case in enumerate(cases) if case["a"] == "0" or case["b"] == "0"}  # (a division by 0)
    assert {error.index for error in result.errors} == zero
    row = next(r for r in result.rows() if cases[r["_c"]] == {"a": "2.5", "b": "0.75", "c": 3, "betrag": "1234.56"})
    assert (row["je_a"], row["je_b_gerundet"]) == (Decimal("493.824"), Decimal("1646.08"))


GENERAL_DIVISION = (
    'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe betrag: zahl EUR von -10000000000000 bis 10000000000000\n"
    "eingabe teiler: zahl von -50 bis 50\n"
    "wert geteilt: EUR = betrag / teiler\n"
    "wert gerundet = runde(geteilt, 2, kaufmännisch)\n"
)


def test_a_division_by_a_value_of_the_row_of_either_sign_is_the_scalar_backends() -> None:
    """A dividend too large for a row denominator: divided in fixed point, its sign the product
    of both signs (``sign(n)·sign(d)·…``), a divisor of 0 NULL (the scalar backend faults) — the
    rounded figure is the scalar backend's on every sign, and a negative divisor stays in the plan."""
    from teilhabe_rules.columnar import plan as plan_module

    model = teilhabe_rules.loads(GENERAL_DIVISION)
    parameters, tables = base_values(model.checked)
    # BIGINT numerators over a row denominator (the first row limit): the dividend is too large for one
    plan = plan_module._compile(model.checked, parameters, tables, None, plan_module.ROW_LIMITS[0])
    assert not plan.columns[""]["geteilt"].rows
    cases = [{"betrag": b, "teiler": t} for b in ("0", "1.25", "-1.25", "9999999999999.99", "-7.77", "1000")
             for t in ("3", "-3", "0", "0.7", "-0.7", "-7", "50", "-0.01")]
    result = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
    assert len(result.rows()) + len(result.errors) == len(cases)
    zero = {index for index, case in enumerate(cases) if case["teiler"] == "0"}
    assert {error.index for error in result.errors} == zero
    planned = 0
    for row in result.rows():
        case = cases[row["_c"]]
        expected = model.evaluate(case)
        assert row["gerundet"] == expected.value("gerundet"), case
        if not row["_skalar"]:
            planned += Decimal(case["teiler"]) < 0
            exact = expected.value("geteilt")  # (the scalar backend's 28 digits: the plan's 18 places may be finer)
            assert abs(row["geteilt"] - exact) <= Decimal("1e-17") + abs(exact).scaleb(-26), case
    assert planned >= 12


@st.composite
def _over_rows(draw: st.DrawFn) -> tuple[int, int, int, list[tuple[int, int]]]:
    """A numerator's bound — 2^62 (``BIGINT``) or 2^64 (``HUGEINT``) —, a denominator, a bound of
    the row factor and rows of a numerator and a factor within them."""
    top = draw(st.sampled_from([2**62, 2**64]))
    den = draw(st.sampled_from([1, 7, 1650, 13200, 10**6, 36960000, *([210006720000] if top == 2**62 else [])]))
    bound = draw(st.integers(min_value=1, max_value=3_000_000))
    rows = draw(st.lists(st.tuples(st.integers(min_value=-top + 1, max_value=top - 1),
                                   st.integers(min_value=1, max_value=bound)), min_size=1, max_size=20))
    return top, den, bound, rows


@settings(max_examples=examples(60), deadline=None)
@given(_over_rows())
def test_a_value_over_a_row_denominator_is_rounded_half_up_exactly(found: tuple[int, int, int, list[tuple[int, int]]]
                                                                   ) -> None:
    """Rounded to 18 digits half up, exactly: a ``BIGINT`` numerator by long division in ``BIGINT``
    steps, a ``HUGEINT`` one with its divisions limb by limb in ``BIGINT`` (:func:`_divmod`)."""
    from fractions import Fraction

    from sqlglot import exp

    from teilhabe_rules.columnar.plan import decimal_out

    top, den, bound, rows = found
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (n {'BIGINT' if top == 2**62 else 'HUGEINT'}, r BIGINT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [[str(n), r] for n, r in rows])
    sql, places = decimal_out(exp.column("n"), den, Fraction(top), (exp.column("r"), bound))
    got = [row[0] for row in con.execute(exp.select(sql).from_("t").sql("duckdb")).fetchall()]
    for (n, r), value in zip(rows, got, strict=True):
        exact = Fraction(abs(n) * 10**places, den * r)
        whole = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
        assert Fraction(value) == Fraction(whole if n >= 0 else -whole, 10**places)


@st.composite
def _products_over_rows(draw: st.DrawFn) -> tuple[int, int, int, int, list[tuple[int, int]]]:
    """A factor's bound (below 2^62), a constant it is multiplied by (as ``_mul`` writes it: in
    HUGEINT), a denominator, a bound of the row factor and rows within them."""
    k = draw(st.sampled_from([66000, 52000, 3 * 7 * 11 * 13, 2**20 * 999983, 10**12 + 39, 7**20]))
    # m·k past BIGINT (else m·k is a BIGINT), m·k·10^18 within HUGEINT's room
    m_bound = draw(st.integers(min_value=min(2**62 // k + 1, 2**61), max_value=min(2**64 // k, 2**62 - 1)))
    den = draw(st.sampled_from([1, 7, 231, 1650, 36960000]))
    bound = draw(st.integers(min_value=1, max_value=20_000_000))
    value = st.one_of(st.integers(min_value=-m_bound, max_value=m_bound), st.sampled_from([m_bound, -m_bound, 0]))
    rows = draw(st.lists(st.tuples(value, st.one_of(st.integers(min_value=1, max_value=bound), st.just(bound))),
                         min_size=1, max_size=16))
    return m_bound, k, den, bound, rows


@settings(max_examples=examples(60), deadline=None)
@given(_products_over_rows())
def test_a_product_with_a_constant_over_a_row_denominator_is_rounded_half_up_exactly(
        found: tuple[int, int, int, int, list[tuple[int, int]]]) -> None:
    """A numerator ``m·k`` (``m`` a BIGINT, ``k`` a constant: past BIGINT together) over a row
    denominator, rounded to 18 digits half up, exactly — where ``k·10^18/den``'s factors allow, by
    long division of ``m`` in BIGINT steps (no HUGEINT shifts into limbs), else as before."""
    from fractions import Fraction

    from sqlglot import exp

    from teilhabe_rules.columnar import plan as plan_module

    m_bound, k, den, bound, rows = found
    con = duckdb.connect()
    con.execute("CREATE TABLE t (m BIGINT, r BIGINT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [[m, r] for m, r in rows])
    n = plan_module._mul(exp.column("m"), k, m_bound)
    sql, places = plan_module.decimal_out(n, den, Fraction(m_bound * k), (exp.column("r"), bound))
    text = exp.select(sql).from_("t").sql("duckdb")
    g = math.gcd(plan_module.MAX_DEN, den)
    chunks = plan_module._chunks(k * plan_module.MAX_DEN // g, bound * (den // g))
    if chunks is not None and len(chunks) <= plan_module.SPLIT_STEPS and \
            (m_bound * g // den + 1) * k * plan_module.MAX_DEN // g < plan_module.HUGE_LIMIT:
        assert ">>" not in text  # the long division of m, not of the HUGEINT product in limbs
    got = [row[0] for row in con.execute(text).fetchall()]
    for (m, r), value in zip(rows, got, strict=True):
        exact = Fraction(abs(m) * k * 10**places, den * r)
        whole = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
        assert Fraction(value) == Fraction(whole if m >= 0 else -whole, 10**places), (m, r)


def test_a_product_whose_quotient_leaves_no_room_for_18_places_is_refused_at_compile_time() -> None:
    """``a / q · 66000 / p``: the numerator a product with a constant over a row denominator whose
    quotient times 10^18 may pass ``HUGEINT`` within the inputs' bounds — the compiler refuses it
    (the model runs on the scalar backend), rather than a plan that overflows at run time."""
    model = teilhabe_rules.loads(
        'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        "eingabe a: ganzzahl von 0 bis 4000000000000000000\n"
        "eingabe q: ganzzahl von 1 bis 1000\n"
        "eingabe p: ganzzahl von 1 bis 1000\n"
        "wert x = (a / q * 66000) / p\n")
    with pytest.raises(TeilhabeError):
        model.columnar_plan()


@st.composite
def _divisions(draw: st.DrawFn) -> tuple[int, int, list[tuple[int, int]]]:
    """A dividend's bound (up to 2^125), a divisor's bound (up to 2^62) and rows of both within them."""
    m_bound = draw(st.integers(min_value=1, max_value=125).map(lambda bits: 2**bits - 1))
    d_bound = draw(st.integers(min_value=1, max_value=62).map(lambda bits: 2**bits - 1))
    value = st.one_of(st.integers(min_value=-m_bound, max_value=m_bound), st.sampled_from([m_bound, -m_bound, 0]))
    divisor = st.one_of(st.integers(min_value=1, max_value=d_bound), st.sampled_from([1, d_bound]))
    return m_bound, d_bound, draw(st.lists(st.tuples(value, divisor), min_size=1, max_size=12))


@settings(max_examples=examples(60), deadline=None)
@given(_divisions(), st.sampled_from(["Spalte", "CASE", "schwer"]))
def test_an_integer_division_in_limbs_is_duckdbs_own(found: tuple[int, int, list[tuple[int, int]]],
                                                      dividend: str) -> None:
    """``_quot`` (truncated toward zero) and ``_rem`` give what DuckDB's ``//`` and ``%`` give —
    limb by limb in BIGINT where the bounds allow, else DuckDB's own; the dividend a column, a
    ``CASE`` (divided in limbs too: DuckDB computes it once) or heavy (of more nodes than
    ``LIGHT_NODES``, divided in HUGEINT)."""
    from sqlglot import exp

    from teilhabe_rules.columnar import plan as plan_module

    m_bound, d_bound, rows = found
    con = duckdb.connect()
    con.execute("CREATE TABLE t (m HUGEINT, d BIGINT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [[str(m), d] for m, d in rows])
    m: exp.Expr = exp.column("m")
    if dividend == "CASE":  # CASE WHEN TRUE THEN m END: the same value
        m = exp.Case(ifs=[exp.If(this=exp.Boolean(this=True), true=m)])
        assert not plan_module._heavy(m)
    if dividend == "schwer":  # m + 0 + 0 …: the same value, too costly to write once per limb
        for _ in range(plan_module.LIGHT_NODES // 2):
            m = exp.Add(this=m, expression=exp.Literal.number(0))
        assert plan_module._heavy(m)
    quotient = plan_module._quot(m, exp.column("d"), m_bound, d_bound)
    rest = plan_module._rem(exp.Abs(this=m.copy()), exp.column("d"), m_bound, d_bound)
    query = exp.select(exp.Cast(this=quotient, to=exp.DataType.build("VARCHAR")),
                       exp.Cast(this=rest, to=exp.DataType.build("VARCHAR"))).from_("t")
    got = con.execute(query.sql("duckdb")).fetchall()
    for (value, divisor), (q, r) in zip(rows, got, strict=True):
        whole = abs(value) // divisor
        assert int(q) == (whole if value >= 0 else -whole), (value, divisor)
        assert int(r) == abs(value) % divisor, (value, divisor)


@settings(max_examples=examples(60), deadline=None)
@given(st.integers(min_value=1, max_value=125), st.integers(min_value=0, max_value=61), st.data())
def test_an_integer_division_by_a_constant_with_a_power_of_two_is_duckdbs_own(m_bits: int, shift: int,
                                                                            data: st.DataObject) -> None:
    """A constant divisor ``d'·2^k`` (``2·10^18``: ``5^18·2^19``): ``_quot`` and ``_rem`` divide
    ``m >> k`` by ``d'`` — in limbs of as many more bits — and give DuckDB's ``//`` and ``%``."""
    from sqlglot import exp

    from teilhabe_rules.columnar import plan as plan_module

    odd = data.draw(st.integers(min_value=0, max_value=max(0, (2**62 - 1 >> shift) - 1) // 2).map(lambda k: 2 * k + 1))
    divisor = odd << shift
    m_bound = 2**m_bits - 1
    values = data.draw(st.lists(st.one_of(st.integers(min_value=-m_bound, max_value=m_bound),
                                          st.sampled_from([m_bound, -m_bound, 0, divisor - 1, divisor, divisor + 1])),
                                min_size=1, max_size=12))
    values = [v for v in values if abs(v) <= m_bound] or [m_bound]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (m HUGEINT)")
    con.executemany("INSERT INTO t VALUES (?)", [[str(v)] for v in values])
    m = exp.column("m")
    quotient = plan_module._quot(m, exp.Literal.number(divisor), m_bound, divisor)
    rest = plan_module._rem(exp.Abs(this=m.copy()), exp.Literal.number(divisor), m_bound, divisor)
    query = exp.select(exp.Cast(this=quotient, to=exp.DataType.build("VARCHAR")),
                       exp.Cast(this=rest, to=exp.DataType.build("VARCHAR"))).from_("t")
    for value, (q, r) in zip(values, con.execute(query.sql("duckdb")).fetchall(), strict=True):
        whole = abs(value) // divisor
        assert int(q) == (whole if value >= 0 else -whole), (value, divisor)
        assert int(r) == abs(value) % divisor, (value, divisor)


@pytest.mark.parametrize("divisor", [2**62, 2**40 * 5**10, 3 * 2**63, 2**100])
def test_a_constant_divisor_of_62_bits_or_more_is_divided_as_duckdb_divides(divisor: int) -> None:
    """Beyond 2^62 no rest of a limb fits BIGINT once shifted back: such a constant is divided in
    HUGEINT, as DuckDB divides it — no overflow."""
    from sqlglot import exp

    from teilhabe_rules.columnar import plan as plan_module

    m_bound = 2**126 - 1
    values = [0, 1, divisor - 1, divisor, divisor + 1, m_bound, -m_bound, 12345678901234567890123456789]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (m HUGEINT)")
    con.executemany("INSERT INTO t VALUES (?)", [[str(v)] for v in values])
    m = exp.column("m")
    d = exp.Literal.number(divisor)
    quotient = plan_module._quot(m, d, m_bound, divisor)
    rest = plan_module._rem(exp.Abs(this=m.copy()), d.copy(), m_bound, divisor)
    query = exp.select(exp.Cast(this=quotient, to=exp.DataType.build("VARCHAR")),
                       exp.Cast(this=rest, to=exp.DataType.build("VARCHAR"))).from_("t")
    for value, (q, r) in zip(values, con.execute(query.sql("duckdb")).fetchall(), strict=True):
        whole = abs(value) // divisor
        assert (int(q), int(r)) == (whole if value >= 0 else -whole, abs(value) % divisor), value


@pytest.mark.parametrize("name", ["mawo", "bei_nrw3"])
def test_results_keeping_some_values_equal_those_of_all_values(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    plan = _plan(model)
    sampled = list(sample_cases(model, 10, 9))
    cases = sampled + [one for case in sampled for one in _one_element(model, case)]
    full = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
    keep = {sid: {o.key for o in outputs[::3]} for sid, outputs in plan.outputs.items()}
    kept = run_batch(plan, model.checked, cases, model.loader, _scalar(model), keep=keep)
    assert kept.errors == full.errors and kept.evaluated == full.evaluated
    for sid in model.checked.scopes:
        names = set(key_columns(model.checked, sid)) | {"_skalar"} | keep[sid] | ({"_warnungen"} if not sid else set())
        assert [{k: v for k, v in row.items() if k in names} for row in full.rows(sid)] == kept.rows(sid)
        assert set(kept.rows(sid)[0]) == names


@pytest.mark.parametrize("name", MODELS)
def test_the_plan_is_the_one_of_fewest_wide_divisions(name: str) -> None:
    """``compile_plan`` stops compiling a plan once it has more wide divisions than the best so far;
    the plan it gives is still the one of every row limit with the fewest (on a tie the first)."""
    from teilhabe_rules.columnar import plan as plan_module

    model = teilhabe_rules.bundled(name)
    parameters, tables = base_values(model.checked)
    every = [plan_module._compile(model.checked, parameters, tables, None, limit) for limit in plan_module.ROW_LIMITS]
    best = min(every, key=plan_module.wide_divisions)
    chosen = compile_plan(model.checked, parameters, tables)
    assert [s.query.sql("duckdb") for s in chosen.steps] == [s.query.sql("duckdb") for s in best.steps]
    # held to a budget, a compile stops only where the whole plan has more wide divisions than it
    stopped = 0
    for limit, whole in zip(plan_module.ROW_LIMITS, every, strict=True):
        count = plan_module.wide_divisions(whole)
        for budget in sorted({0, count // 2, count - 1, count}):
            try:
                plan_module._compile(model.checked, parameters, tables, None, limit, wide_budget=budget)
            except plan_module._TooWide:
                stopped += 1
                assert count > budget
    assert stopped  # (some budget below a plan's count stops it)


def _failing(case: dict[str, Any], how: int) -> dict[str, Any]:
    """A MAWo case made to fail a ``prüfung``: 0 none, 1 of the case (a night's reference group
    below the places), 2 of its first resident (LP 3b above its highest hours), 3 of a measure
    (hours per year and per working day both), 4 both 1 and 3."""
    case = copy.deepcopy(case)
    residents = case.get("bewohner") or []
    if how in (1, 4) and int(case.get("plaetze") or 0) > 1:
        case["nacht_bezugsgroesse"] = 1
    if how == 2 and residents:
        residents[0]["lp3b"] = {"stunden": 10_000}
    if how in (3, 4) and residents:
        residents[-1]["massnahmen"] = [{"bezeichnung": "beides", "stunden": 10, "stunden_je_werktag": 1,
                                        "personen": 1}]
    return case


def test_a_case_the_plan_finds_certainly_failing_fails_in_the_scalar_backend_too() -> None:
    """``run_batch(certain=…)``: a case flagged only because a ``prüfung`` of its tree is exactly
    false is not evaluated again — and every such case fails in the scalar backend; the other
    results and errors are those of the run without it (both plan variants: offers, persons)."""
    model = teilhabe_rules.bundled("mawo")
    plan = _plan(model)
    sampled = list(sample_cases(model, 12, 4))
    cases = [_failing(case, n % 5) for n, case in enumerate(sampled + [one for case in sampled[:6]
                                                                      for one in _one_element(model, case)])]
    called: list[int] = []
    worded: dict[int, tuple[str, str] | None] = {}

    def certain(index: int, problem: tuple[str, str] | None) -> ScalarOutcome:
        called.append(index)
        worded[index] = problem
        return ScalarOutcome(None, (("sicher", None),))

    plain = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
    quick = run_batch(plan, model.checked, cases, model.loader, _scalar(model), certain=certain)
    failed = {e.index for e in plain.errors}
    # the plan's wording of a case's one failure is the scalar backend's, message and path
    scalar_problems = {e.index: e.problems for e in plain.errors}
    assert {index: (problem,) for index, problem in worded.items() if problem is not None} == {
        index: scalar_problems[index] for index, problem in worded.items() if problem is not None}
    assert called and set(called) <= failed  # (some cases fail for another reason first)
    assert {e.index for e in quick.errors} == failed
    assert any(i in called for i, case in enumerate(cases) if len(case.get("bewohner") or []) == 1)
    assert quick.scalar_cases == plain.scalar_cases - len(called)
    for sid in model.checked.scopes:
        assert quick.rows(sid) == plain.rows(sid)
    assert any("sicher fehlerhaft" in note for note in quick.notes)
    for index in called:
        with pytest.raises(TeilhabeError):
            model.evaluate(cases[index])


def test_a_boundary_test_that_overflows_flags_its_case_and_never_stops_the_batch() -> None:
    """The test whether a rounded value lies within its error of a boundary multiplies past
    HUGEINT for this case: the case goes to the scalar backend; the batch goes on."""
    model = teilhabe_rules.loads(
        'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        "eingabe a: zahl von -999999999999 bis 999999999999\n"
        "eingabe c: zahl von -99999999 bis 99999999\n"
        "eingabe p: ganzzahl von 0 bis 3000000\n"
        "eingabe q: ganzzahl von 0 bis 40000000\n"
        "wert jq = wenn q = 0 dann 0 sonst a * c / (p * q + 1)\n"
        "wert jqk = runde(jq, 4, kaufmännisch)\n")
    cases = [{"a": "999999999999", "c": "99999999", "p": 0, "q": 1},
             {"a": "12.5", "c": "2", "p": 3, "q": 4}]
    for population, guarded in ((cases, [False, True]), (cases[1:], [False])):
        with _chains_recorded() as texts:
            result = run_batch(_plan(model), model.checked, population, model.loader, _scalar(model))
        # the chain first without TRY, which stops at the overflow; then with it
        assert [("TRY(" in text) for text in texts][:2] == guarded
        assert result.evaluated == len(population) and not result.errors
        assert result.scalar_cases == len(population) - 1
        for row, case in zip(result.rows(), population, strict=True):
            assert row["jqk"] == model.evaluate(case).value("jqk")


def test_a_computed_date_outside_the_years_1_to_9999_flags_its_case() -> None:
    """DuckDB's dates go on where the scalar backend's end: such a date is a fault in the plan,
    and its case the scalar backend's error — never a date of the year 10237 or before Christ."""
    model = teilhabe_rules.loads(
        'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        "eingabe beginn: datum\n"
        "eingabe n: zahl Tage\n"
        "eingabe k: ganzzahl von -1000000 bis 1000000\n"
        "wert spaeter: datum = beginn + n\n"
        "wert mplus: datum = datum_plus(beginn, k * 1 Monate)\n")
    cases = [{"beginn": "2024-01-31", "n": n, "k": k}
             for n, k in ((1, 1), (-800000, 1), (3000000, 1), (1, 100000), (2913143, 95711), (-738915, -24276),
                          (2913144, 1), (1, 95712))]  # (9999-12-31 and 0001-01-01, each a day or month past)
    result = run_batch(_plan(model), model.checked, cases, model.loader, _scalar(model))
    assert result.evaluated + len(result.errors) == len(cases)
    failing = set()
    for index, case in enumerate(cases):
        try:
            frame = model.evaluate(case)
        except TeilhabeError:
            failing.add(index)
            continue
        row = next(r for r in result.rows() if r["_c"] == index)
        assert (row["spaeter"], row["mplus"]) == (frame.value("spaeter"), frame.value("mplus"))
    assert {error.index for error in result.errors} == failing == {1, 2, 3, 6, 7}


@contextlib.contextmanager
def _chains_recorded() -> Iterator[list[str]]:
    """The texts of the chain statements run meanwhile (as ``batch._chain_sql`` wrote them, now
    or for an earlier run of the same plan)."""
    from teilhabe_rules.columnar import batch

    texts: list[str] = []
    run = batch._Chains.execute

    def recorded(self: Any, text: str) -> None:
        texts.append(text)
        run(self, text)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch._Chains, "execute", recorded)
        yield texts


@pytest.mark.parametrize("name", MODELS)
def test_the_chains_of_sampled_cases_run_without_try(name: str) -> None:
    """DuckDB finds no common part of an expression inside ``TRY``: a population whose values
    stay within the compiler's bounds runs every chain without it."""
    model = teilhabe_rules.bundled(name)
    cases = list(sample_cases(model, 12, 9))
    cases += [one for case in cases[:4] for one in _one_element(model, case)]
    with _chains_recorded() as texts:
        result = run_batch(_plan(model), model.checked, cases, model.loader, _scalar(model))
    assert result.evaluated + len(result.errors) == len(cases)
    assert len(texts) >= len(model.checked.scopes) and not any("TRY(" in text for text in texts)


def test_an_overflow_in_the_elements_of_an_aggregate_flags_its_case_and_never_stops_the_batch() -> None:
    """As the test before, the overflowing rounding inside ``anzahl(… wo …)`` over a list of two
    elements (a grouped subquery) and of one (the list held in the case's row)."""
    model = teilhabe_rules.loads(
        'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        'liste l "L" mindestens 0 höchstens 3\n'
        "  eingabe a: zahl von -999999999999 bis 999999999999\n"
        "  eingabe c: zahl von -99999999 bis 99999999\n"
        "  eingabe p: ganzzahl von 0 bis 3000000\n"
        "  eingabe q: ganzzahl von 0 bis 40000000\n"
        "  wert jq = wenn q = 0 dann 0 sonst a * c / (p * q + 1)\n"
        "ende\n"
        "wert n = anzahl(l wo runde(jq, 4, kaufmännisch) > 1)\n"
        "wert s = summe(l.jq wo q > 0)\n")
    wide = {"a": "999999999999", "c": "99999999", "p": 0, "q": 1}
    small = {"a": "12.5", "c": "2", "p": 3, "q": 4}
    cases = [{"l": [wide, small]}, {"l": [small, small]}, {"l": [wide]}]
    result = run_batch(_plan(model), model.checked, cases, model.loader, _scalar(model))
    assert result.evaluated == 3 and not result.errors
    for row, case in zip(result.rows(), cases, strict=True):
        expected = model.evaluate(case)
        assert row["n"] == expected.value("n")
        assert abs(row["s"] - expected.value("s")) < Decimal("1e-17")  # (18 digits against the scalar's 28)


DOUBT = (
    'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe a: zahl von 0 bis 100\n"
    "eingabe b: zahl von 0 bis 100\n"
    'liste p "Personen" mindestens 0 höchstens 3\n'
    "  eingabe x: zahl von 0 bis 100\n"
    '  prüfung "x zu groß": x <= 50\n'
    "ende\n"
    'prüfung "a zu klein": a >= 10\n'
    'prüfung "Quote": a / b >= 0\n'
)


def test_a_case_with_anything_else_in_doubt_is_not_certainly_failing() -> None:
    """A ``prüfung`` exactly false makes a case certainly failing only where nothing else of its
    tree is in doubt: here a ``prüfung`` whose test is NULL (a division by zero in the plan) —
    of the case itself, or beside an element's failing ``prüfung`` — sends the case to the
    scalar backend as before."""
    model = teilhabe_rules.loads(DOUBT)
    plan = _plan(model)
    cases = [{"a": 5, "b": 2, "p": []},  # 0: the case's prüfung exactly false: certain
             {"a": 5, "b": 0, "p": []},  # 1: … and a test in doubt (a / 0): scalar
             {"a": 50, "b": 2, "p": [{"x": 60}]},  # 2: an element's prüfung exactly false: certain
             {"a": 50, "b": 0, "p": [{"x": 60}]},  # 3: … and the case's test in doubt: scalar
             {"a": 50, "b": 2, "p": [{"x": 1}, {"x": 70}, {"x": 2}]},  # 4: one of three elements: certain
             {"a": 50, "b": 2, "p": [{"x": 1}]}]  # 5: fine
    called: list[int] = []

    def certain(index: int, problem: tuple[str, str] | None) -> ScalarOutcome:
        called.append(index)
        return ScalarOutcome(None, (("sicher", None),))

    result = run_batch(plan, model.checked, cases, model.loader, _scalar(model), certain=certain)
    assert sorted(called) == [0, 2, 4]
    assert [e.index for e in result.errors] == [0, 1, 2, 3, 4]
    assert result.scalar_cases == 2 and result.evaluated == 1


@pytest.mark.parametrize("name", MODELS)
def test_a_step_names_the_tables_it_reads(name: str) -> None:
    """``Step.reads`` holds each table of the step's query as often as the query names it:
    ``Plan.with_steps`` puts the chain of steps together from it, not from the trees."""
    from collections import Counter

    from sqlglot import exp

    model = teilhabe_rules.bundled(name)
    for plan in _plan(model).exact_in:
        for step in plan.steps:
            assert Counter(t.name for t in step.query.find_all(exp.Table)) == Counter(step.reads), step.name
        for narrow in plan.narrow:
            assert [t.name for t in narrow.query(model.checked).find_all(exp.Table)] == [narrow.source]


@pytest.mark.parametrize("name", MODELS)
def test_a_chain_of_steps_generated_without_a_copy_is_the_same_and_leaves_the_plan_as_it_was(name: str) -> None:
    from sqlglot import exp

    from teilhabe_rules.columnar.batch import _chain_sql

    model = teilhabe_rules.bundled(name)
    for plan in _plan(model).exact_in:
        before = [s.query.sql("duckdb") for s in plan.steps]
        for final in plan.final.values():
            def body(final: str = final) -> exp.Select:
                return exp.select(exp.Star()).from_(exp.to_table(final).as_("t"))

            copied = plan.with_steps(body()).sql("duckdb")
            assert _chain_sql(plan.with_steps(body())) == copied
            assert _chain_sql(plan.with_steps(body())) == copied  # (and again: nothing changed)
            # without TRY: each one's argument in parentheses, nothing else changed
            bare = plan.with_steps(body()).transform(lambda n: exp.Paren(this=n.this) if isinstance(n, exp.Try) else n)
            assert _chain_sql(plan.with_steps(body()), guarded=False) == bare.sql("duckdb")
            assert "TRY(" in copied and "TRY(" not in bare.sql("duckdb")
        assert [s.query.sql("duckdb") for s in plan.steps] == before


def test_a_second_row_limit_the_compiler_cannot_express_leaves_the_first_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    from teilhabe_rules.columnar import plan as plan_module

    model = teilhabe_rules.bundled("mawo")
    parameters, tables = base_values(model.checked)
    first = plan_module._compile(model.checked, parameters, tables, None, plan_module.ROW_LIMITS[0])
    finish = plan_module._Compiler.finish

    def refused(self: Any) -> None:
        if self.row_limit != plan_module.ROW_LIMITS[0]:
            raise plan_module.Unsupported("nicht hier")
        finish(self)

    monkeypatch.setattr(plan_module._Compiler, "finish", refused)
    chosen = compile_plan(model.checked, parameters, tables)
    assert [s.query.sql("duckdb") for s in chosen.steps] == [s.query.sql("duckdb") for s in first.steps]


GROUPED = (
    'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe k: zahl von 0 bis 50\n"
    'liste l "L" mindestens 0 höchstens 4\n'
    "  eingabe x: zahl von -100 bis 100\n"
    "  eingabe y: ganzzahl von 0 bis 9\n"
    '  liste q "Q" mindestens 0 höchstens 3\n'
    "    eingabe z: zahl von 0 bis 10\n"
    "  ende\n"
    "  wert w = summe(q.z) + anzahl(q wo z > k)\n"
    "  wert u = max(q.z wo z < y)\n"
    "  wert r = runde(x / 7, 2, kaufmännisch)\n"
    "  wert d = x / (y + 1)\n"
    "  wert g = x / 3 / 7 / 11 / 13 / 17 / 19 / 23 / 29 / 31 / 37 / 41 / 43 / 47 / 53\n"
    "ende\n"
    "wert s = summe(l.x)\n"
    "wert t = summe(l.x wo y > 0)\n"
    "wert n = anzahl(l wo x > k)\n"
    "wert o = summe(l.y wo x < k)\n"
    "wert e = erstes(l.y wo x > 1)\n"
    "wert m = max(l.r) + summe(l.r wo y = 3)\n"
    "wert v = summe(l.w) + min(l.d)\n"
    "wert a = anzahl(l wo g > 0.000000000000000001)\n"
    "wert b = summe(l.y wo g < -0.000000000000000001)\n"
)


def _grouped_by(plan: Plan, scope: str) -> list[int]:
    """Per step of ``plan`` (and its variant's), the grouped subqueries over ``scope``'s elements;
    each column such a subquery gives besides its keys is read by the step."""
    from sqlglot import exp

    found = []
    for each in plan.exact_in:
        narrow = {n.name for n in each.narrow if n.scope == scope}
        for step in each.steps:
            grouped = [sub for sub in step.query.find_all(exp.Subquery) if isinstance(sub.this, exp.Select)
                       and sub.this.args.get("group") is not None and sub.this.args["from_"].this.name in narrow]
            for sub in grouped:
                given = {e.alias_or_name for e in sub.this.expressions} - {e.name for e in sub.this.args["group"]}
                read = {col.name for col in step.query.find_all(exp.Column) if col.table == sub.alias}
                assert given <= read, (step.name, given - read)
            found.append(len(grouped))
    return found


def test_aggregates_over_one_list_in_one_step_are_grouped_once_and_equal_the_scalar_backend() -> None:
    """``summe``, ``anzahl``, ``min``, ``max``, ``erstes`` over ``l`` (with and without ``wo``, two
    reading the case's ``k``, of rounded and inexact element values, one list maybe empty) in one
    step: one grouped subquery and one join for all of them, each its own figure; the same over
    ``q`` in ``l``'s step."""
    model = teilhabe_rules.loads(GROUPED)
    plan = _plan(model)
    for scope in ("l", "l.q"):  # a step with aggregates over the list has one grouped subquery of it
        assert sorted(set(_grouped_by(plan, scope))) == [0, 1], scope

    @settings(max_examples=examples(20), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(valid_cases(model), min_size=1, max_size=5))
    def check(cases: list[dict[str, Any]]) -> None:
        assert mismatches(model, plan, cases) == []

    check()


TIMES_ZERO = (
    'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    'liste l "L" mindestens 0 höchstens 3\n'
    "  eingabe y: ganzzahl von 0 bis 9\n"
    '  liste q "Q" mindestens 0 höchstens 3\n'
    "    eingabe z: zahl von 0 bis 10\n"
    "  ende\n"
    "  wert w = erstes(q.z wo z < y) * 0 + anzahl(q)\n"
    "  wert d = 0 * (1 / y)\n"
    "ende\n"
    "wert e = letztes(l.y wo y > 5) * 0\n"
)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.lists(st.tuples(st.integers(0, 9), st.lists(st.integers(0, 10), max_size=3)), max_size=3),
                min_size=1, max_size=4))
def test_a_fault_times_zero_is_a_fault_as_in_the_scalar_backend(populations: list[list[tuple[int, list[int]]]]) -> None:
    """``erstes(…)`` of an empty selection, ``1 / 0``: times zero still a fault — the case an
    error row with the scalar backend's message — never 0."""
    model = teilhabe_rules.loads(TIMES_ZERO)
    cases = [{"l": [{"y": y, "q": [{"z": z} for z in zs]} for y, zs in elements]} for elements in populations]
    result = run_batch(_plan(model), model.checked, cases, model.loader, _scalar(model))
    errors = {error.index: error.problems for error in result.errors}
    for index, case in enumerate(cases):
        try:
            expected = model.evaluate(case)
        except TeilhabeError as exc:
            assert errors.get(index) == tuple((d.message, d.path) for d in exc.diagnostics)
            continue
        assert index not in errors
        assert expected.value("e") == 0
    assert mismatches(model, _plan(model), [c for i, c in enumerate(cases) if i not in errors]) == []


def test_a_product_with_zero_is_a_64_bit_number_in_the_plan() -> None:
    """``zuschlag * stunden`` with a surcharge of 0, then ``+ 2500`` and ``× 1.234567``: the
    numerator 3,086,417,500 needs more than 32 bits — computed by the plan, no case sent to the
    scalar backend."""
    model = teilhabe_rules.loads(
        'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        'parameter zuschlag: zahl = 0 "Zuschlag"\n'
        'parameter faktor: zahl = 1.234567 "Faktor"\n'
        "eingabe stunden: zahl von 0 bis 2000\n"
        "wert betrag: zahl = (zuschlag * stunden + 2500) * faktor\n")
    cases = [{"stunden": hours} for hours in (0, 10, 100)]
    result = run_batch(_plan(model), model.checked, cases, model.loader, _scalar(model))
    assert result.scalar_cases == 0 and not result.errors
    assert [row["betrag"] for row in result.rows()] == [Decimal("3086.4175")] * 3


def test_a_value_squared_line_after_line_runs_on_the_scalar_backend_at_once() -> None:
    """Each line squares the one before: the bounds of the plan's numbers double their digits
    each time (and reckoning with them takes four times as long). Past 2^MAX_BOUND_BITS the
    compiler stops — the model runs on the scalar backend with a note — rather than reckon on."""
    lines = [f"wert v{n} = v{n - 1} * v{n - 1}\n" for n in range(1, 13)]
    model = teilhabe_rules.loads("modell quadrat \"Quadrat\"\n  version \"1\"\n  gültig ab 01.01.2024\nende\n"
                                 "eingabe x: zahl von 0 bis 10\nwert v0 = x / 1" + "0" * 49 + "\n" + "".join(lines),
                                 "quadrat.rules")
    with pytest.raises(TeilhabeError, match=r"über 2\^4096 wächst"):
        model.columnar_plan()
    cases = [{"x": 3}, {"x": Decimal("0.5")}]
    batch = model.evaluate_many(cases)
    assert batch.scalar_cases == 2 and any("2^4096" in note for note in batch.notes)
    # (the results' tables hold a number that is no billed figure to the plan's 18 places)
    assert [row["v12"] for row in batch.rows()] == [
        model.evaluate(case).value("v12").quantize(Decimal(1).scaleb(-FIX)) for case in cases]


def _with_and_without_words(model: Model, plan: Plan, cases: list[dict[str, Any]]
                            ) -> tuple[BatchResult, BatchResult, dict[int, tuple[str, str] | None]]:
    """``cases`` run once with every failing case evaluated by the scalar backend and once taking
    the plan's message where it words one (``certain``); asserts both give the same error rows.
    Gives both results and what the plan gave ``certain`` for each case it found certainly failing."""
    given: dict[int, tuple[str, str] | None] = {}

    def certain(index: int, problem: tuple[str, str] | None) -> ScalarOutcome | None:
        given[index] = problem
        return None if problem is None else ScalarOutcome(None, (problem,))

    plain = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
    quick = run_batch(plan, model.checked, cases, model.loader, _scalar(model), certain=certain)
    assert [(e.index, e.problems) for e in quick.errors] == [(e.index, e.problems) for e in plain.errors]
    return plain, quick, given


WORDED = (
    'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    'parameter grenze: zahl h/Woche = 40 "Grenze"\n'
    "eingabe k: zahl h/Woche von 0 bis 100\n"
    "eingabe name: text\n"
    "eingabe an: ja_nein standard nein\n"
    'prüfung "Fall {name}: {k} über {grenze} ({an})": k <= 90\n'
    'prüfung "Fall {name}: {k} zu groß ({an})": k <= 80\n'
    'liste l "L" mindestens 0 höchstens 3\n'
    "  eingabe x: zahl von 0 bis 100\n"
    "  eingabe t: text\n"
    "  wert h: zahl h/Woche = x / 4 * 1 h/Woche\n"
    '  prüfung "Element {position} „{t}“: {h} über 20": h <= 20 h/Woche\n'
    '  liste q "Q" mindestens 0 höchstens 3\n'
    "    eingabe z: ganzzahl von 0 bis 10\n"
    "    eingabe p: zahl % von 0 bis 100\n"
    '    prüfung "Q {position} in „{t}“: z = {z}": z < 8\n'
    '    prüfung "Q {position}: {p} über 50 %": p <= 50 %\n'
    "  ende\n"
    "ende\n"
)


def test_the_plan_words_a_case_s_one_failure_as_the_scalar_backend_does() -> None:
    """``run_batch(certain=…)`` is given the message and path of a case whose one failure the plan
    can word — a whole number with its unit, a text, ja/nein, a position, a value of an enclosing
    element — exactly as the scalar backend reports it; None where it cannot: two failures, a
    parameter or a share in % in the message, a number that is not whole, a text with white
    space at an end (each then evaluated by the scalar backend, its error row the same)."""
    model = teilhabe_rules.loads(WORDED)
    plan = _plan(model)

    def case(k: Any = 1, name: str = "A", an: bool = False, **lists: list[Any]) -> dict[str, Any]:
        return {"k": k, "name": name, "an": an, "l": lists.get("l", [])}

    element = {"x": 8, "t": "eins", "q": []}
    worded_cases = [
        case(k=85, name="Anna", an=True),  # the case's own prüfung, its path $
        case(k=85, name=""),  # an empty text
        case(l=[element, {"x": 100, "t": "zwei  mitte", "q": []}]),  # the second element: 25 h/Woche
        case(l=[element, {"x": 8, "t": "drei", "q": [{"z": 1, "p": 0}, {"z": 9, "p": 10}]}]),  # nested, t of l
        case(l=[{"x": 8, "t": "Zeile 1\nZeile 2", "q": [{"z": 9, "p": 0}]}]),
    ]
    unworded_cases = [
        case(k=95),  # two prüfungen fail (over 90 with the parameter, over 80)
        case(l=[{"x": 82, "t": "a", "q": []}]),  # 20.5 h/Woche: not whole
        case(k=85, name=" A"),  # white space at an end: the scalar backend strips it
        case(k=85, name="A\u3000"),
        case(l=[{"x": 8, "t": "a", "q": [{"z": 1, "p": 60}]}]),  # a share in %
        case(l=[{"x": 8, "t": "a", "q": [{"z": 9, "p": 0}]}, {"x": 100, "t": "b", "q": []}]),  # two, two scopes
    ]
    cases = [case(), *worded_cases, *unworded_cases]
    plain, quick, given = _with_and_without_words(model, plan, cases)
    assert len(plain.errors) == len(cases) - 1
    assert sorted(given) == list(range(1, len(cases)))  # each certainly fails in the plan
    worded = {i for i, problem in given.items() if problem is not None}
    assert worded == set(range(1, 1 + len(worded_cases)))
    assert quick.scalar_cases == plain.scalar_cases - len(worded)
    shown = {e.index: e.message for e in plain.errors}
    assert shown[1] == "Fall Anna: 85 h/Woche zu groß (ja)"
    assert shown[3] == "Element 2 „zwei  mitte“: 25 h/Woche über 20 @ $.l[2]"
    assert shown[4] == "Q 2 in „drei“: z = 9 @ $.l[2].q[2]"


def test_the_plan_words_one_day_in_the_singular_as_the_scalar_backend_does() -> None:
    """A whole number of a unit with a singular (``Tage``) is worded as the scalar backend
    words it: ``1 Tag`` and ``-1 Tag``, ``2 Tage`` and ``0 Tage``."""
    model = teilhabe_rules.loads(
        'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
        "eingabe frist: ganzzahl Tage von -5 bis 5\n"
        "eingabe platz: ganzzahl Plätze von 0 bis 5\n"
        'prüfung "Frist {frist}": frist = 5 Tage\n'
        'prüfung "Plätze {platz}": platz = 5 Plätze\n')
    plan = _plan(model)
    cases = [{"frist": f, "platz": 5} for f in (1, -1, 2, 0)] + [{"frist": 5, "platz": p} for p in (1, 2)]
    plain, _quick, given = _with_and_without_words(model, plan, cases)
    assert [e.message for e in plain.errors] == ["Frist 1 Tag", "Frist -1 Tag", "Frist 2 Tage", "Frist 0 Tage",
                                                 "Plätze 1 Platz", "Plätze 2 Plätze"]
    assert [given[i] for i in range(len(cases))] == [(e.message, "$") for e in plain.errors]


ROUNDED = (
    'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe welche: ganzzahl von 1 bis 8\n"
    "eingabe x: zahl von 0 bis 10\n"
    "eingabe y: ganzzahl von 0 bis 10000000000000000\n"
    "eingabe g: ganzzahl von 0 bis 999999999999999999999999999999 standard 0\n"
    "eingabe n: ganzzahl von 0 bis 1000000\n"
    "wert drittel: zahl = x / 3 * 3\n"
    "wert quadrat: zahl = y * y\n"
    "wert achtel: zahl = n / 8 * 8 + 0.5 * 2\n"
    "wert viele: zahl = n * n * n * n * n\n"
    "wert kubus: zahl = n * n * n\n"
    "wert fein: zahl = ((12345678901.000000000000000001 + n) - 12345678901 - n) * 1000000000000000000\n"
    "wert minus: zahl = -g\n"
    'prüfung "drittel ist {drittel}": welche <> 1 oder drittel > 100\n'
    'prüfung "quadrat ist {quadrat}": welche <> 2 oder quadrat < 0\n'
    'prüfung "achtel ist {achtel}": welche <> 3 oder achtel > 2000000\n'
    'prüfung "viele ist {viele}": welche <> 4 oder viele < 0\n'
    'prüfung "kubus ist {kubus}": welche <> 5 oder kubus < 0\n'
    'prüfung "fein ist {fein}": welche <> 6 oder fein > 5\n'
    'prüfung "minus ist {minus}": welche <> 7 oder minus > 0\n'
    'prüfung "g ist {g}": welche <> 8 oder x / 3 * 3 <> x\n'
)


def test_the_plan_words_no_number_the_scalar_backend_rounds() -> None:
    """A number the scalar backend's 28 digits hold only rounded — ``x / 3 * 3`` (0.999…), a
    product past 28 digits, a constant of 29 digits, the negation of a number of 29 digits, an
    input of 29 digits in the message of a case decided again exactly — is not worded by the plan
    from its exact value: the case goes to the scalar backend, whose message shows its digits; so
    is a product whose domain passes 28 digits (n⁵ of n up to 10⁶), exact as it is in the case. A
    division by 8 and a product whose domain stays within 28 digits are exact there too, and worded."""
    model = teilhabe_rules.loads(ROUNDED)
    plan = _plan(model)
    cases = [{"welche": 1, "x": 1, "y": 0, "n": 0},  # 1 / 3 * 3: 0.9999999999999999999999999999
             {"welche": 2, "x": 0, "y": 1000000000000001, "n": 0},  # 31 digits
             {"welche": 3, "x": 0, "y": 0, "n": 999999},
             {"welche": 4, "x": 0, "y": 0, "n": 99999},
             {"welche": 5, "x": 0, "y": 0, "n": 999999},
             {"welche": 6, "x": 0, "y": 0, "n": 0},  # a constant of 29 digits: 0 there, not 1
             {"welche": 7, "x": 0, "y": 0, "n": 0, "g": 12345678901234567890123456789},  # -g rounded
             # decided again exactly (1 / 3 * 3 is near 1): the message's input rounded to 28 digits
             {"welche": 8, "x": 1, "y": 0, "n": 0, "g": 12345678901234567890123456789}]
    plain, quick, given = _with_and_without_words(model, plan, cases)
    shown = {e.index: e.message for e in plain.errors}
    assert shown[0] == "drittel ist 0.9999999999999999999999999999"
    assert shown[1].startswith("quadrat ist 1000000000000002000000000")
    assert shown[2] == "achtel ist 1000000"
    assert shown[3] == "viele ist 9999500009999900000499999"
    assert shown[4] == "kubus ist 999997000002999999"
    assert shown[5] == "fein ist 0"
    assert shown[6] == "minus ist -12345678901234567890123456790"
    assert shown[7] == "g ist 12345678901234567890123456790"
    assert sorted(given) == list(range(len(cases)))  # each certainly fails in the plan
    assert all(given[i] is None for i in (0, 1, 3, 5, 6, 7))
    assert given[2] == ("achtel ist 1000000", "$")
    assert given[4] == ("kubus ist 999997000002999999", "$")


@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.fixed_dictionaries({
    "welche": st.integers(1, 8), "x": st.decimals(0, 10, places=2), "y": st.integers(0, 10**16),
    "n": st.integers(0, 10**6), "g": st.integers(0, 10**30 - 1)}), min_size=1, max_size=6))
def test_a_failure_s_numbers_are_the_scalar_backend_s_digits(cases: list[dict[str, Any]]) -> None:
    """Over generated cases of ROUNDED, each failing one ``prüfung``: the error rows of a run
    taking the plan's messages are those of the scalar backend, digit for digit."""
    model = ROUNDED_MODEL
    plan = _plan(model)
    plain, quick, _given = _with_and_without_words(model, plan, cases)
    failing = {e.index for e in plain.errors}
    assert all(i in failing for i, case in enumerate(cases) if case["welche"] != 8)


ROUNDED_MODEL = teilhabe_rules.loads(ROUNDED)


def test_white_space_is_what_str_strip_takes_away() -> None:
    """The plan sends a text with one of :data:`WHITE_SPACE` at an end to the scalar backend,
    whose ``quantity_text`` strips it: the characters are exactly those ``str.strip`` removes."""
    assert set(WHITE_SPACE) == {ch for ch in map(chr, range(0x110000)) if not ch.strip()}
    assert len(WHITE_SPACE) == len(set(WHITE_SPACE))


def _spoiling(model: Model) -> st.SearchStrategy[dict[str, Any]]:
    """Valid cases of ``model`` — WORDED, whose inputs :func:`_spoiled` knows — with some inputs
    drawn anew past its checks: cases that fail."""
    return st.tuples(valid_cases(model), st.integers(0, 3), st.integers(0, 2**16)).map(_spoiled)


def _spoiled(drawn: tuple[dict[str, Any], int, int]) -> dict[str, Any]:
    """A case of WORDED whose ``k`` (0), an element's ``x`` (1) or a ``z`` (2) is drawn past its
    ``prüfung`` (3: left as it is), or whose ``name`` gets white space at an end."""
    case, which, seed = copy.deepcopy(drawn[0]), drawn[1], drawn[2]
    if which == 0:
        case["k"] = 81 + seed % 20
        if seed % 7 == 0:
            case["name"] = " " + str(case.get("name", ""))
    elements = case.get("l") or []
    if which == 1 and elements:
        elements[seed % len(elements)]["x"] = 81 + seed % 20
    inner = [q for element in elements for q in element.get("q") or []]
    if which == 2 and inner:
        inner[seed % len(inner)]["z"] = 8 + seed % 3
    return case


WORDED_MODEL = teilhabe_rules.loads(WORDED)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_spoiling(WORDED_MODEL), min_size=1, max_size=6))
def test_a_worded_failure_is_the_scalar_backend_s_error_row(cases: list[dict[str, Any]]) -> None:
    """Over generated cases, many of them failing: every failure the plan words is the scalar
    backend's error row, and a run taking them has the same error rows as one evaluating each
    in the scalar backend."""
    model = WORDED_MODEL
    plan = _plan(model)
    plain, quick, given = _with_and_without_words(model, plan, cases)
    worded = [index for index, problem in given.items() if problem is not None]
    for sid in model.checked.scopes:
        assert quick.rows(sid) == plain.rows(sid)
    event("worded" if worded else "none worded")
    assert quick.scalar_cases == plain.scalar_cases - len(worded)


GRANTS = (
    'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "eingabe minuten: zahl min/Tag von 0 bis 100\n"
    'liste personen "Personen" mindestens 1\n'
    "  eingabe name: text\n"
    '  paket lp2a "LP 2a"\n'
    '    stufen\n      0 "kein"\n      1 "gering"\n      2 "mittel"\n    ende\n'
    "    stufe nach korridor minuten\n      0: bis 0\n      1: über 0 bis 7\n      2: über 7\n    ende\n"
    "  ende\n"
    '  paket lp1a "LP 1a"\n    stufen\n      0 "kein"\n      1 "zeitweise"\n    ende\n    stufe nach einschätzung\n'
    "  ende\n"
    "  wert lp2a_bewilligt = lp2a.bewilligt\n"
    "  wert stufen = wenn lp2a.bewilligt und nicht lp1a.bewilligt dann lp2a.stufe sonst lp1a.stufe\n"
    '  warnung "Für {name} ist in LP 2a keine Stufe bewilligt": lp2a.bewilligt\n'
    '  warnung "Für {name} ist in LP 1a keine Stufe bewilligt": lp1a.bewilligt\n'
    "ende\n"
    "wert bewilligte = anzahl(personen wo lp2a.bewilligt oder lp1a.bewilligt)\n"
)


def _granted(draw: st.DrawFn, levels: int) -> dict[str, Any]:
    level = draw(st.none() | st.integers(0, levels - 1))
    return {} if level is None else {"bewilligte_stufe": level, "begründung": "Übergangseinstufung"}


@st.composite
def _grant_cases(draw: st.DrawFn) -> dict[str, Any]:
    persons = [{"name": f"P{n}", "lp1a": {"stufe": draw(st.integers(0, 1))} | _granted(draw, 2),
                "lp2a": _granted(draw, 3)} for n in range(draw(st.integers(1, 3)))]
    return {"minuten": draw(st.sampled_from(["0", "3", "7", "7.5", "100"])), "personen": persons}


def test_whether_a_level_is_granted_is_computed_in_the_plan_as_in_the_scalar_backend() -> None:
    """``PAKET.bewilligt`` compiles to SQL: each case is computed in the plan (none left to the
    scalar backend), with the values and the count of warnings the scalar backend gives."""
    model = teilhabe_rules.loads(GRANTS)
    plan = _plan(model)

    @settings(max_examples=examples(8), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(_grant_cases(), min_size=1, max_size=4))
    def check(cases: list[dict[str, Any]]) -> None:
        assert mismatches(model, plan, cases) == []
        rows = run_batch(plan, model.checked, cases, model.loader, _scalar(model)).rows()
        assert not any(row["_skalar"] for row in rows)
        assert [row["_warnungen"] for row in rows] == [len(model.evaluate(case).warnings) for case in cases]

    check()
