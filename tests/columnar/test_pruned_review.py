"""A plan compiled with ``wanted`` gives the error rows of the plan of every value: each model
here has a value nobody reads that the scalar backend fails on for one case (and the plan of
every value flags it: a rounded result of more than 28 digits)."""

from __future__ import annotations

import pytest
from test_columnar import _scalar

import teilhabe_rules
from teilhabe_rules.columnar import run_batch

HEAD = """modell m "M"
  gültig ab 01.01.2024
  budget summe_a
ende
eingabe x: zahl EUR
wert a: EUR = x * 2
wert summe_a: EUR = a
"""


def _errors(source: str, cases: list[dict[str, object]], wanted: set[tuple[str, str]] | None) -> list[int]:
    loaded = teilhabe_rules.loads(HEAD + source, "m.rules")
    plan = loaded.columnar_plan(wanted=wanted)
    result = run_batch(plan, loaded.checked, cases, loaded.loader, _scalar(loaded), keep={"": ["summe_a"]})
    return [e.index for e in result.errors]


@pytest.mark.parametrize("wanted", [None, {("", "summe_a")}])
def test_tage_im_monat_of_no_month(wanted: set[tuple[str, str]] | None) -> None:
    # the scalar backend: kein_monat for month 13 (semantics.days_in_month)
    source = "eingabe jahr_: zahl\neingabe monat_: zahl\nwert t = tage_im_monat(jahr_, monat_) / 2\n"
    cases: list[dict[str, object]] = [{"x": 1, "jahr_": 2024, "monat_": 13}, {"x": 1, "jahr_": 2024, "monat_": 2}]
    assert _errors(source, cases, wanted) == [0]


@pytest.mark.parametrize("wanted", [None, {("", "summe_a")}])
def test_date_plus_part_of_a_day(wanted: set[tuple[str, str]] | None) -> None:
    # the scalar backend: keine_ganzen_tage for 1.5 days (semantics.add_days)
    source = "eingabe beginn: datum\neingabe n: zahl Tage\nwert später: datum = beginn + n\n"
    cases: list[dict[str, object]] = [{"x": 1, "beginn": "01.01.2024", "n": "1.5"},
                                      {"x": 1, "beginn": "01.01.2024", "n": 2}]
    assert _errors(source, cases, wanted) == [0]


@pytest.mark.parametrize("wanted", [None, {("", "summe_a")}])
def test_runde_beyond_28_digits(wanted: set[tuple[str, str]] | None) -> None:
    # the scalar backend: ungültige_rechnung (quantize beyond 28 digits)
    source = "eingabe y: zahl\nwert r = runde(y, 2, kaufmännisch)\n"
    cases: list[dict[str, object]] = [{"x": 1, "y": "1000000000000000000000000000"}, {"x": 1, "y": 5}]
    assert _errors(source, cases, wanted) == [0]


@pytest.mark.parametrize("wanted", [None, {("", "summe_a")}])
def test_stichtag_without_a_date(wanted: set[tuple[str, str]] | None) -> None:
    # the scalar backend: kein_stichtag (semantics.reference_date) for a case evaluated without one
    source = "wert heute: datum = stichtag()\n"
    cases: list[dict[str, object]] = [{"x": 1}]
    assert _errors(source, cases, wanted) == [0]


@pytest.mark.parametrize("wanted", [None, {("", "summe_a")}])
def test_runde_of_a_large_product(wanted: set[tuple[str, str]] | None) -> None:
    # the scalar backend: ungültige_rechnung (10^29 quantized to 2 places needs 32 digits)
    source = "eingabe y: zahl\nwert r = runde(y * 1000000000000000000, 2, kaufmännisch)\n"
    cases: list[dict[str, object]] = [{"x": 1, "y": "100000000000"}, {"x": 1, "y": 5}]
    assert _errors(source, cases, wanted) == [0]


def test_keep_of_a_value_the_plan_left_out_is_refused() -> None:
    """A reader asking the result tables for a value the plan was not compiled for must hear so,
    not get a table without that column (today: silently left out)."""
    loaded = teilhabe_rules.loads(HEAD + "wert anzeige: EUR = x / 365\n", "m.rules")
    plan = loaded.columnar_plan(wanted={("", "summe_a")})
    with pytest.raises(ValueError, match="anzeige"):
        run_batch(plan, loaded.checked, [{"x": 1}], loaded.loader, _scalar(loaded),
                  keep={"": ["summe_a", "anzeige"]})


@pytest.mark.parametrize("wanted", [None, {("", "summe_a")}])
def test_products_past_the_decimal_exponent(wanted: set[tuple[str, str]] | None) -> None:
    """Only multiplications, yet the scalar backend fails (10^(2^21) is past the decimal context's
    Emax): a product of values is no value that cannot fail, so the plan for ``summe_a`` keeps
    them too — and, as the plan of every value, has no room for them (the model runs on the
    scalar backend, which gives the error row)."""
    squares = "".join(f"wert q{i} = q{i - 1} * q{i - 1}\n" for i in range(1, 22))
    loaded = teilhabe_rules.loads(HEAD + "eingabe y: zahl\nwert q0 = y\n" + squares, "m.rules")
    with pytest.raises(teilhabe_rules.errors.CheckError, match="skalaren Backend"):
        loaded.columnar_plan(wanted=wanted)
