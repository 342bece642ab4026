"""MAWo: the totals of a house equal the sum of its residents' parts plus the offer-level parts."""

from __future__ import annotations

import copy
import decimal
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules.inputs.cases import read_data

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "mawo"


@pytest.fixture(scope="module")
def model() -> teilhabe_rules.Model:
    return teilhabe_rules.load(ROOT / "models" / "mawo.rules")


@pytest.fixture(scope="module")
def house() -> dict:
    data = read_data(EXAMPLES / "haus_linde.toml")
    data["bewohner"] = [read_data(EXAMPLES / item) for item in data["bewohner"]]
    return data


resident = st.tuples(
    st.integers(0, 5),  # which example resident
    st.integers(0, 5),  # Pflegegrad
    st.sampled_from([0, 2, 5, 8, 16]),  # LP 2a Kap. 4, min/Tag
    st.sampled_from([0, 2, 9, 16, 24]),  # LP 2a Kap. 5
    st.integers(0, 3),  # LP 1a
    st.booleans(),  # besonderer Personenkreis
)


class TestHouseTotals:
    """House VK and money are exactly the sum of the parts, for generated houses."""

    @settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(residents=st.lists(resident, min_size=1, max_size=24), special=st.booleans())
    def test_totals_are_sums_of_parts(self, model, house, residents, special) -> None:
        case = copy.deepcopy(house)
        case["plaetze"] = case["nacht_bezugsgroesse"] = max(len(residents), 6)
        case["besondere_personenkreise"] = special
        people = []
        for index, pg, kap4, kap5, lp1a, flag in residents:
            person = copy.deepcopy(house["bewohner"][index])
            person["pflegegrad"] = pg
            person["lp2a"]["kap4"] = kap4
            person["lp2a"]["kap5"] = kap5
            person["lp1a"]["stufe"] = lp1a
            person["besonderer_personenkreis"] = flag
            people.append(person)
        case["bewohner"] = people
        result = model.evaluate(case)
        n = len(people)
        with decimal.localcontext(decimal.Context(prec=28)):
            budget = sum((result.value(f"bewohner[{i}].budget_individuell_jahr") for i in range(1, n + 1)), Decimal(0))
            budget += result.value("angebot_kosten_jahr")
            staff_2a = sum((result.value(f"bewohner[{i}].lp2a.vk") for i in range(1, n + 1)), Decimal(0))
            personnel = sum((result.value(f"bewohner[{i}].personalkosten_jahr") for i in range(1, n + 1)), Decimal(0))
            personnel += result.value("angebot_personalkosten_jahr")
        assert result.value("budget_jahr") == budget
        assert result.value("vk_lp2a") == staff_2a
        assert result.value("personalkosten_gesamt_jahr") == personnel
        assert result.value("budget_jahr") >= 0
