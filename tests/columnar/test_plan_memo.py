"""A model keeps the columnar plans it compiled last: a batch after another under the same
agreement object, day and values wanted compiles none — and a plan is never taken for other ones."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules.columnar import plan as plan_module
from teilhabe_rules.model import PLANS_KEPT

DATED = ('modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
         "eingabe stunden: zahl h/Jahr von 0 bis 2000\n"
         "parameter satz: zahl EUR/h von 0 bis 500 = 60 EUR/h\n  ab 01.01.2025 = 62.50 EUR/h\n"
         "wert betrag: EUR/Jahr = runde(stunden * satz / 7, 2, kaufmännisch)\n")


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The plans compiled while the test runs (each call of the compiler)."""
    made: list[Any] = []
    original = plan_module._compile_plan

    def counted(*args: Any, **options: Any) -> Any:
        made.append(args[3])  # (the day)
        return original(*args, **options)

    monkeypatch.setattr(plan_module, "_compile_plan", counted)
    return made


def test_a_second_batch_under_the_same_agreement_and_day_compiles_no_plan(compiled: list[Any]) -> None:
    model = teilhabe_rules.loads(DATED, "probe.rules")
    day = _dt.date(2025, 6, 1)
    first = model.evaluate_many([{"stunden": "7"}], at=day)
    second = model.evaluate_many([{"stunden": "14"}], at=day)
    assert len(compiled) == 1
    assert [r["betrag"] for r in first.rows()] == [Decimal("62.50")]
    assert [r["betrag"] for r in second.rows()] == [Decimal("125.00")]
    assert model.columnar_plan(at=day) is model.columnar_plan(at=day)
    assert len(compiled) == 1


def test_another_day_agreement_or_set_of_values_has_a_plan_of_its_own(compiled: list[Any]) -> None:
    """The day's parameter values, an agreement's and the values wanted are in the plan: each
    other one compiles its own, and the figures are those of its day and agreement."""
    model = teilhabe_rules.loads(DATED, "probe.rules")
    case = [{"stunden": "7"}]
    before, after = _dt.date(2024, 6, 1), _dt.date(2025, 6, 1)
    assert [r["betrag"] for r in model.evaluate_many(case, at=before).rows()] == [Decimal("60.00")]
    assert [r["betrag"] for r in model.evaluate_many(case, at=after).rows()] == [Decimal("62.50")]
    agreed = model.load_agreement({"vereinbarung": {"name": "Haus", "modell": "probe"},
                                   "parameter": {"satz": "70 EUR/h"}})
    assert [r["betrag"] for r in model.evaluate_many(case, agreed, at=after).rows()] == [Decimal("70.00")]
    assert [r["betrag"] for r in model.evaluate_many(case, agreed, at=after).rows()] == [Decimal("70.00")]
    # an agreement of the same values loaded again is another object: compiled anew, never mistaken
    other = model.load_agreement({"vereinbarung": {"name": "Haus", "modell": "probe"},
                                  "parameter": {"satz": "80 EUR/h"}})
    assert [r["betrag"] for r in model.evaluate_many(case, other, at=after).rows()] == [Decimal("80.00")]
    pruned = model.columnar_plan(at=after, wanted={("", "betrag")})
    assert pruned is not model.columnar_plan(at=after)
    assert compiled == [before, after, after, after, after]


def test_only_the_last_plans_are_kept(compiled: list[Any]) -> None:
    model = teilhabe_rules.loads(DATED, "probe.rules")
    days = [_dt.date(2025, 1, 1) + _dt.timedelta(days=n) for n in range(PLANS_KEPT + 1)]
    plans = [model.columnar_plan(at=day) for day in days]
    assert len(compiled) == PLANS_KEPT + 1
    assert model.columnar_plan(at=days[-1]) is plans[-1]  # (kept, and now the newest)
    assert model.columnar_plan(at=days[1]) is plans[1]
    assert len(compiled) == PLANS_KEPT + 1
    assert model.columnar_plan(at=days[0]) is not plans[0]  # (the first, let go)
    assert len(compiled) == PLANS_KEPT + 2


def test_a_model_without_a_plan_says_so_each_time_without_compiling_again(compiled: list[Any]) -> None:
    model = teilhabe_rules.loads(DATED, "probe.rules")
    with pytest.raises(teilhabe_rules.CheckError):
        model.columnar_plan()  # (parameters per period, no day: refused before compiling)
    assert compiled == []
    assert model.evaluate_many([{"stunden": "7"}]).notes == model.evaluate_many([{"stunden": "7"}]).notes
    assert compiled == []


def test_a_model_keeps_no_plan_where_plans_kept_is_0(compiled: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from teilhabe_rules import model as model_module

    monkeypatch.setattr(model_module, "PLANS_KEPT", 0)
    model = teilhabe_rules.loads(DATED, "probe.rules")
    day = _dt.date(2025, 6, 1)
    assert model.columnar_plan(at=day) is not model.columnar_plan(at=day)
    assert len(compiled) == 2


def test_a_second_batch_of_a_plan_generates_no_text_of_its_result_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    """The text of a plan's result statements is generated once per plan (it took ~0.5 s of every
    MAWo batch): a second batch runs the same statements, with the same results."""
    from teilhabe_rules.columnar import batch

    model = teilhabe_rules.bundled("mawo")
    from teilhabe_rules.tools.strategies import sample_cases

    person = list(sample_cases(model, 2, 3))
    first = model.evaluate_many(person)
    generated: list[bool] = []
    original = batch._chain_sql

    def counted(statement: Any, guarded: bool = True) -> str:
        generated.append(guarded)
        return original(statement, guarded)

    monkeypatch.setattr(batch, "_chain_sql", counted)
    second = model.evaluate_many(person)
    assert generated == []
    assert second.rows() == first.rows() and second.rows("bewohner") == first.rows("bewohner")
    assert len(first.rows()) == 2 and not first.errors
