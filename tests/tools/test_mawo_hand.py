"""The hand-written MAWo offer and person of the benchmarks compute every figure digit for digit as the model
does."""

from __future__ import annotations

import copy
import decimal
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import TeilhabeError
from teilhabe_rules.ir.checked import DECIMAL_CONTEXT
from teilhabe_rules.tools.strategies import valid_cases

ROOT = Path(__file__).resolve().parents[2]


def _hand() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mawo_hand", ROOT / "benchmarks" / "mawo_hand.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HAND = _hand()
MAWO = teilhabe_rules.load(ROOT / "models" / "mawo.rules")
AGREEMENT = MAWO.load_agreement(ROOT / "examples" / "mawo" / "vereinbarung_haus_linde.toml")


def one_person(case: dict[str, Any], which: int) -> dict[str, Any]:
    """The generated offer with only one of its residents."""
    case = copy.deepcopy(case)
    case["bewohner"] = [case["bewohner"][which % len(case["bewohner"])]]
    return case


def assert_same(case: dict[str, Any], agreement: Any = None) -> None:
    """The model's figures and the hand-written function's agree; a case the model rejects
    (a failed check, a missing table row) the function rejects too."""
    loaded = MAWO.load_case(case)
    try:
        result = MAWO.evaluate(loaded, agreement)
    except TeilhabeError:
        if agreement is None:
            with decimal.localcontext(DECIMAL_CONTEXT), pytest.raises((ValueError, KeyError)):
                HAND.mawo_person(loaded.row, MAWO.parameters, MAWO.tables)
        return
    frame = result.frame
    with decimal.localcontext(DECIMAL_CONTEXT):
        figures = HAND.mawo_person(loaded.row, frame.parameters, frame.tables)
    (person,) = frame.root.children("bewohner")
    expected = {f"bewohner.{key}": value for key, value in person.items()} | dict(frame.root)
    assert len(figures) > 20
    for key, value in figures.items():
        assert str(value) == str(expected[key]), key  # digit for digit, the exponent included


def read(name: str) -> dict[str, Any]:
    from teilhabe_rules.inputs.cases import read_data

    data: dict[str, Any] = read_data(ROOT / "examples" / "mawo" / f"{name}.toml")
    return data


@pytest.mark.parametrize("name", ["person_grundfall", "person_bewilligte_stufe_ilb4", "person_hoher_bedarf",
                                  "person_ohne_pflegegrad", "person_uebergangseinstufung"])
def test_example_persons(name: str) -> None:
    assert_same(read(name))
    assert_same(read(name), AGREEMENT)


def test_without_a_night_service_a_small_bezugsgroesse_is_taken_as_the_model_takes_it() -> None:
    """At Stufe 0 the Bezugsgröße is not checked against the offer's places (0 night hours)."""
    case = read("person_grundfall")
    case.update(nachtdienst=0, nacht_bezugsgroesse=case["plaetze"] // 2)
    assert_same(case)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck))
@given(case=valid_cases(MAWO), which=st.integers(0, 3), agreed=st.booleans())
def test_generated_persons(case: dict[str, Any], which: int, agreed: bool) -> None:
    assert_same(one_person(case, which), AGREEMENT if agreed else None)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck))
@given(case=valid_cases(MAWO), agreed=st.booleans())
def test_generated_offers(case: dict[str, Any], agreed: bool) -> None:
    try:
        result = MAWO.evaluate(case, AGREEMENT if agreed else None)
    except TeilhabeError:
        return
    frame = result.frame
    with decimal.localcontext(DECIMAL_CONTEXT):
        figures = HAND.mawo_offer(MAWO.load_case(case).row, frame.parameters, frame.tables)
    residents = frame.root.children("bewohner")
    assert len(figures["bewohner"]) == len(residents)
    for person, element in zip(figures.pop("bewohner"), residents, strict=True):
        for key, value in person.items():
            assert str(value) == str(element[key]), (element.path, key)
    for key, value in figures.items():
        assert str(value) == str(frame.root[key]), key
