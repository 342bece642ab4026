"""The compiled input check of a mapping accepts only what the case loader accepts, and gives the same row."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import CaseError
from teilhabe_rules.inputs.cases import CaseLoader, read_data
from teilhabe_rules.inputs.validator import MappingValidator
from teilhabe_rules.tools.strategies import invalid_cases, valid_cases

ROOT = Path(__file__).resolve().parents[2]
MODELS = {path.stem: teilhabe_rules.load(path) for path in sorted((ROOT / "models").glob("*.rules"))}
SETTINGS = settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck), database=None)


def exact(value: Any) -> Any:
    """A row with every value by its type and digits (``Decimal('1.0')`` is not ``Decimal('1')``)."""
    if isinstance(value, dict):
        return [(key, exact(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [exact(item) for item in value]
    return (type(value).__name__, str(value) if isinstance(value, Decimal) else value)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_valid_cases_give_the_loaders_row(name: str) -> None:
    model = MODELS[name]
    loader, validator = CaseLoader(model.checked), MappingValidator(model.checked)
    accepted: list[bool] = []

    @SETTINGS
    @given(case=valid_cases(model))
    def check(case: dict[str, Any]) -> None:
        row = validator.row(case)
        accepted.append(row is not None)
        if row is not None:
            assert exact(row) == exact(loader.load(case).row)

    check()
    assert sum(accepted) > len(accepted) // 2  # the common case takes the fast path


@pytest.mark.parametrize("name", sorted(MODELS))
def test_invalid_cases_are_left_to_the_loader(name: str) -> None:
    model = MODELS[name]
    validator = MappingValidator(model.checked)

    @SETTINGS
    @given(spoiled=invalid_cases(model))
    def check(spoiled: tuple[dict[str, Any], str]) -> None:
        case, _what = spoiled
        assert validator.row(case) is None
        with pytest.raises(CaseError):
            model.load_case(case)

    check()


def test_the_example_persons_take_the_fast_path() -> None:
    model = MODELS["mawo"]
    validator = MappingValidator(model.checked)
    for path in sorted((ROOT / "examples" / "mawo").glob("person_*.toml")):
        data = read_data(path)
        row = validator.row(data)
        assert row is not None, path.name
        assert exact(row) == exact(model.loader.load(data).row)
        assert exact(model.load_case(data).row) == exact(row)


def test_each_row_is_its_own() -> None:
    """The rows of two checks share nothing: a caller changing one (a value, a package's optional
    input, a list) leaves the next as the loader gives it."""
    model = MODELS["mawo"]
    validator = MappingValidator(model.checked)
    data = read_data(ROOT / "examples" / "mawo" / "person_grundfall.toml")
    data["bewohner"][0]["lp0"] = {"bewilligte_stufe": 2, "begründung": "Bescheid vom 1.3."}
    expected = exact(model.loader.load(data).row)
    first = validator.row(data)
    assert first is not None and exact(first) == expected
    resident = first["bewohner"][0]
    first["plaetze"] = Decimal(99)
    resident["lp0.bewilligte_stufe"] = 4
    resident["einstufung"] = "geändert"
    resident["massnahmen"].append({})
    first["bewohner"].append(resident)
    again = validator.row(data)
    assert again is not None and exact(again) == expected
    del data["bewohner"][0]["lp0"]  # the package's defaults, not the values of the case before
    assert exact(validator.row(data)) == exact(model.loader.load(data).row)


CHOICES = teilhabe_rules.loads("""
modell auswahl "Auswahl"
  version "1"
  gültig ab 01.01.2024
ende
eingabe x: auswahl {0, 0.5, 2} h/Woche
eingabe n: auswahl {1, 3}
""", "auswahl.rules")


@pytest.mark.parametrize("value", [0, 2, 3, Decimal("2.0"), Decimal("0.50"), Decimal("2.5"), Decimal("0E+3"),
                                   Decimal("0E-30"), Decimal("0E-31"), Decimal("0E-999999"),
                                   Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), True, "2", "2 h/Woche", 0.5])
def test_a_choice_is_taken_as_the_loader_takes_it(value: Any) -> None:
    """A choice written out (an int or a finite Decimal equal to a choice) gives the loader's
    value, digits and all; anything else is the loader's to decide."""
    validator = MappingValidator(CHOICES.checked)
    case = {"x": value, "n": 3}
    row = validator.row(case)
    try:
        expected = CaseLoader(CHOICES.checked).load(case).row
    except CaseError:
        assert row is None
        return
    assert row is None or exact(row) == exact(expected)
    if (type(value) is int or type(value) is Decimal and value.is_finite()) and value in (0, Decimal("0.5"), 2):
        assert row is not None


def test_a_text_converted_before_is_taken_from_the_converters_texts() -> None:
    """A number given as text (``"2 h/Woche"``) is converted once and then found among the texts
    converted so far: the same row both times, the loader's; a text the loader refuses never."""
    validator = MappingValidator(CHOICES.checked)
    for _ in range(2):
        for text in ("2 h/Woche", "0.5 h/Woche", "0,5 h/Woche"):
            case = {"x": text, "n": 1}
            row = validator.row(case)
            assert row is not None and exact(row) == exact(CaseLoader(CHOICES.checked).load(case).row)
        assert validator.row({"x": "3 h/Woche", "n": 1}) is None


BOUNDED = teilhabe_rules.loads("""
modell bereich "Bereich"
  version "1"
  gültig ab 01.01.2024
ende
eingabe k: ganzzahl Plätze von 1 bis 30
eingabe h: zahl h/Jahr von 0 bis 2.5
eingabe w: zahl h/Jahr von -3000 bis 3000
""", "bereich.rules")


@settings(max_examples=examples(200), deadline=None, database=None)
@given(k=st.one_of(st.integers(-2, 33), st.sampled_from([True, Decimal(4), Decimal("4.0"), "4", 4.0])),
       h=st.one_of(st.integers(-2, 4), st.decimals(-1, 4, places=2), st.sampled_from([Decimal("NaN"), "2 h/Jahr"]),
                   st.sampled_from([Decimal("1E-30"), Decimal("1E-31"), Decimal("0E-31"), Decimal("1E-999999999"),
                                    Decimal("1.000000000000000000000000000000000001")])),
       w=st.one_of(st.integers(-3002, 3002), st.decimals(-3001, 3001, places=1)))
def test_a_bounded_number_is_taken_as_the_loader_takes_it(k: Any, h: Any, w: Any) -> None:
    """An int within a bounded number's range (its Decimal made once, where the range is small;
    else made from the int) and a Decimal within it give the loader's values, digits and all;
    anything else is the loader's to decide, and a value the loader refuses never gets a row."""
    case = {"k": k, "h": h, "w": w}
    row = MappingValidator(BOUNDED.checked).row(case)
    try:
        expected = CaseLoader(BOUNDED.checked).load(case).row
    except CaseError:
        assert row is None
        return
    assert row is None or exact(row) == exact(expected)
    if type(k) is int and 1 <= k <= 30 and type(h) is int and 0 <= h <= 2 and type(w) is int:
        assert row is not None


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(case=valid_cases(MODELS["mawo"]), data=st.data())
def test_a_package_table_with_a_key_too_many_or_instead_of_a_required_input_is_refused(
        case: dict[str, Any], data: st.DataObject) -> None:
    """A package table that holds as many keys as its required inputs is taken without looking
    at its keys one by one: each required input is read, and a missing one refuses it. So a
    required input swapped for an unknown key, a granted level (with or without its reason) or
    the reason alone is refused, as the loader refuses it; so is such a key added to the
    required inputs — except the reason, with the granted level or alone, which both take alike."""
    model = MODELS["mawo"]
    element = copy.deepcopy(case["bewohner"][0]) if case.get("bewohner") else None
    assume(element is not None)
    scope = next(sid for sid, spec in model.checked.scopes.items() if spec.name == "bewohner")
    packages: dict[str, list[str]] = {}
    for inp in model.checked.scopes[scope].inputs:
        if len(inp.path) == 2 and inp.required:
            packages.setdefault(inp.path[0], []).append(inp.path[1])
    name = data.draw(st.sampled_from(sorted(name for name in packages if isinstance(element.get(name), dict))))
    table = {key: value for key, value in element[name].items() if key in packages[name]}
    swap = data.draw(st.booleans())
    if swap:
        del table[data.draw(st.sampled_from(packages[name]))]
    added = data.draw(st.sampled_from([("unbekannt",), ("bewilligte_stufe",), ("begründung",),
                                       ("bewilligte_stufe", "begründung")]))
    for key in added:
        table[key] = 1 if key == "bewilligte_stufe" else "weil"
    element[name] = table
    spoiled = {**case, "bewohner": [element, *case["bewohner"][1:]]}
    row = MappingValidator(model.checked).row(spoiled)
    if not swap and "begründung" in added:
        assert row is not None and exact(row) == exact(model.loader.load(spoiled).row)
        return
    assert row is None
    with pytest.raises(CaseError):
        model.loader.load(spoiled)


SHARE = teilhabe_rules.loads("""
modell anteil "Anteil"
  version "1"
  gültig ab 01.01.2024
ende
eingabe d: zahl % von 0 bis 100
""", "anteil.rules")


@pytest.mark.parametrize("value", [Decimal("sNaN"), Decimal("NaN"), Decimal("Infinity"), "sNaN %", 50, Decimal("12.5")])
def test_a_share_that_is_no_number_is_the_loaders_to_report(value: Any) -> None:
    """A share (``%``) whose conversion signals (a signalling NaN divided by 100) is refused by
    the compiled check and reported by the loader as a case error — never an arithmetic signal."""
    case = {"d": value}
    row = MappingValidator(SHARE.checked).row(case)
    try:
        expected = CaseLoader(SHARE.checked).load(case).row
    except CaseError:
        assert row is None
        with pytest.raises(CaseError):
            SHARE.load_case(case)
        return
    assert row is None or exact(row) == exact(expected)
    assert exact(SHARE.load_case(case).row) == exact(expected)


@pytest.mark.parametrize(("value", "words"), [(Decimal("1E-999999999"), "ist zu klein"),
                                              (Decimal("0E-999999"), "hat mehr als 30 Stellen nach dem Komma"),
                                              (Decimal("-1E-31"), "ist zu klein"),
                                              ("0.0000000000000000000000000000000", "hat mehr als 30 Stellen")])
def test_a_number_nearer_to_0_than_its_text_can_be_long_is_refused(value: Any, words: str) -> None:
    """A Decimal of a few bytes whose exact text (results give every digit) would be a thousand
    million characters long is refused by both paths, with the loader's message."""
    case = {"k": 1, "h": value, "w": 0}
    assert MappingValidator(BOUNDED.checked).row(case) is None
    with pytest.raises(CaseError, match=words):
        CaseLoader(BOUNDED.checked).load(case)
    assert MappingValidator(BOUNDED.checked).row({"k": 1, "h": Decimal("1E-30"), "w": 0}) is not None
