"""A corridor is proved without gap or overlap with the parameters' values of every period
(``ab TT.MM.JJJJ = …``), not only with those the model starts with."""

from __future__ import annotations

import datetime as _dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules import CheckError

HEAD = """modell probe "Probe"
  version "1"
  gültig ab 01.01.2025
ende
eingabe x: zahl h von 0 bis 100
"""

CORRIDOR = """paket p "P"
  stufen
    1 "eins"
    2 "zwei"
  ende
  stufe nach korridor {subject}
    1: ab 0 bis {low}
    2: über {high}
  ende
ende
"""


def _parameter(name: str, default: int, periods: list[tuple[_dt.date, int]]) -> str:
    lines = [f'parameter {name}: h = {default} h "{name}"']
    lines += [f"  ab {day:%d.%m.%Y} = {value} h" for day, value in periods]
    return "\n".join(lines) + "\n"


def test_an_overlap_from_a_later_period_is_an_error_at_its_band() -> None:
    text = HEAD + _parameter("grenze", 20, [(_dt.date(2025, 7, 1), 30)]) + _parameter("grenze2", 20, []) \
        + _parameter("anderes", 5, [(_dt.date(2025, 7, 1), 6)]) \
        + CORRIDOR.format(subject="x", low="grenze", high="grenze2")
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "probe.rules")
    (error,) = info.value.errors
    assert error.message == ("Ab 01.07.2025 („grenze“ = 30 h): Die Korridorbänder von Stufe 1 (ab 0 bis 30 h) "
                             "und Stufe 2 (über 20 h) überschneiden sich")
    assert (error.location.line, error.location.column) == (text.splitlines().index("    2: über grenze2") + 1, 5)
    assert error.hint is not None and "Parameterwerten dieses Zeitraums" in error.hint


def test_a_factor_of_the_quantity_that_grows_in_a_later_period_opens_a_gap() -> None:
    text = HEAD + 'parameter faktor: zahl = 1 "Faktor"\n  ab 01.01.2026 = 2\n' \
        + CORRIDOR.format(subject="x * faktor", low="50 h", high="50 h").replace(
            "    2: über 50 h", "    2: über 50 h bis 100 h")
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "probe.rules")
    (error,) = info.value.errors
    assert error.message.startswith("Ab 01.01.2026 („faktor“ = 2): Der Korridor von „p“ lässt eine Lücke: "
                                    "Werte über 100 bis 200 h")


def test_bounds_that_move_together_pass_and_an_error_of_every_period_is_reported_once() -> None:
    moving = [(_dt.date(2025, 7, 1), 30), (_dt.date(2026, 1, 1), 40)]
    together = HEAD + _parameter("a", 20, moving) + _parameter("b", 20, moving) \
        + CORRIDOR.format(subject="x", low="a", high="b")
    teilhabe_rules.loads(together, "probe.rules")
    fixed = HEAD + _parameter("a", 20, moving) + CORRIDOR.format(subject="x", low="10 h", high="20 h")
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(fixed, "probe.rules")
    assert [error.message for error in info.value.errors] == [
        "Der Korridor von „p“ lässt eine Lücke: Werte über 10 bis 20 h liegen in keinem Band"]


_DAYS = st.lists(st.dates(_dt.date(2025, 2, 1), _dt.date(2030, 12, 31)), max_size=3, unique=True).map(sorted)
_VALUE = st.integers(10, 12)


@st.composite
def _periods(draw: st.DrawFn) -> tuple[int, list[tuple[_dt.date, int]]]:
    days = draw(_DAYS)
    return draw(_VALUE), [(day, draw(_VALUE)) for day in days]


def _on(default: int, periods: list[tuple[_dt.date, int]], day: _dt.date) -> int:
    return next((value for start, value in reversed(periods) if start <= day), default)


@given(_periods(), _periods())
def test_the_checker_finds_a_gap_or_an_overlap_of_any_period(low: tuple[int, list[tuple[_dt.date, int]]],
                                                            high: tuple[int, list[tuple[_dt.date, int]]]) -> None:
    """Band 1 ends at a (inclusive), band 2 begins after b: one is left without gap or overlap
    exactly where a = b, on every day some value begins."""
    text = HEAD + _parameter("a", *low) + _parameter("b", *high) + CORRIDOR.format(subject="x", low="a", high="b")
    days = [_dt.date(2025, 1, 1)] + [day for day, _ in low[1] + high[1]]
    apart = sorted(day for day in days if _on(*low, day) != _on(*high, day))
    if not apart:
        teilhabe_rules.loads(text, "probe.rules")
        return
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(text, "probe.rules")
    first = info.value.errors[0].message
    if apart[0] == days[0]:
        assert not first.startswith("Ab ")
    else:
        assert first.startswith(f"Ab {apart[0]:%d.%m.%Y} (")


def test_an_agreement_is_checked_with_the_later_values_of_the_parameters_it_leaves() -> None:
    """The model is without overlap in every period; an agreed ``b`` of 20 h fits the values
    ``a`` starts with, not its value from 01.07.2025."""
    moving = [(_dt.date(2025, 7, 1), 25)]
    model = teilhabe_rules.loads(HEAD + _parameter("a", 20, moving) + _parameter("b", 20, moving)
                                 + CORRIDOR.format(subject="x", low="a", high="b"), "probe.rules")
    model.load_agreement({"parameter": {"a": 22, "b": 22}})
    with pytest.raises(teilhabe_rules.AgreementError) as info:
        model.load_agreement({"parameter": {"b": 20}})
    (error,) = info.value.errors
    assert error.message == ("Mit den vereinbarten Werten ab 01.07.2025 („a“ = 25 h): Die Korridorbänder von "
                             "Stufe 1 (ab 0 bis 25 h) und Stufe 2 (über 20 h) überschneiden sich")


def test_an_agreement_is_checked_only_in_the_periods_it_is_valid_in() -> None:
    """An agreed ``b`` of 20 h fits until ``a`` becomes 30 h: refused for an agreement that is
    still valid then, taken for one that ends before; one that begins then starts from 30 h."""
    moving = [(_dt.date(2027, 1, 1), 30)]
    model = teilhabe_rules.loads(HEAD + _parameter("a", 20, moving) + _parameter("b", 20, moving)
                                 + CORRIDOR.format(subject="x", low="a", high="b"), "probe.rules")
    head = {"modell": "probe", "gültig_ab": "2025-01-01"}
    model.load_agreement({"vereinbarung": {**head, "gültig_bis": "2026-12-31"}, "parameter": {"b": 20}})
    with pytest.raises(teilhabe_rules.AgreementError, match="ab 01.01.2027"):
        model.load_agreement({"vereinbarung": head, "parameter": {"b": 20}})
    with pytest.raises(teilhabe_rules.AgreementError) as info:
        model.load_agreement({"vereinbarung": {"modell": "probe", "gültig_ab": "2027-03-01"}, "parameter": {"b": 20}})
    assert info.value.errors[0].message.startswith("Mit den vereinbarten Werten: Die Korridorbänder von Stufe 1 "
                                                   "(ab 0 bis 30 h)")


def test_a_level_rule_is_checked_with_every_period_of_its_parameters() -> None:
    """A ``stufe = …`` rule gives only declared levels with the parameters' later values too."""
    text = """modell s "S"
  version "1"
  gültig ab 01.01.2024
ende
eingabe x: zahl h von 0 bis 10
parameter hoch: ganzzahl = 1
  ab 01.07.2024 = 3
paket p "P"
  stufen
    0 "a"
    1 "b"
  ende
  stufe = wenn x > 5 h dann hoch sonst 0
ende
"""
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "s.rules")
    (error,) = raised.value.errors
    assert error.message == ("Ab 01.07.2024 („hoch“ = 3): Die Stufenregel von „p“ kann 3 ergeben; "
                             "deklariert sind 0, 1")
    assert error.location is not None and error.location.line == 13
    teilhabe_rules.loads(text.replace("ab 01.07.2024 = 3", "ab 01.07.2024 = 0"), "s.rules")


def test_an_agreed_level_rule_is_checked_with_the_later_values_of_the_parameters_it_leaves() -> None:
    """``stufe = min(n, grenze) + extra``: an agreed ``grenze`` of 1 gives only declared levels
    while ``extra`` is 0, not from 01.07.2025, when the model's ``extra`` becomes 1 — refused for
    an agreement valid then, taken for one that ends before."""
    text = """modell s "S"
  version "1"
  gültig ab 01.01.2024
ende
eingabe n: ganzzahl von 0 bis 3
parameter grenze: ganzzahl = 0
parameter extra: ganzzahl = 0
  ab 01.07.2025 = 1
paket q "Q"
  stufen
    0 "keine"
    1 "eine"
  ende
  stufe = min(n, grenze) + extra
ende
"""
    model = teilhabe_rules.loads(text, "s.rules")
    head = {"modell": "s", "gültig_ab": "2025-01-01"}
    model.load_agreement({"vereinbarung": {**head, "gültig_bis": "2025-06-30"}, "parameter": {"grenze": 1}})
    with pytest.raises(teilhabe_rules.AgreementError) as info:
        model.load_agreement({"vereinbarung": head, "parameter": {"grenze": 1}})
    (error,) = info.value.errors
    assert error.message == ("Mit den vereinbarten Werten ab 01.07.2025 („extra“ = 1): Die Stufenregel von „q“ "
                             "kann 2 ergeben; deklariert sind 0, 1")
    model.load_agreement({"vereinbarung": head, "parameter": {"grenze": 0}})
