"""Readable figures: German notation, each unit's places, half-up rounding for display only."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from teilhabe_rules import load
from teilhabe_rules.cli import main
from teilhabe_rules.ir import checked as c
from teilhabe_rules.ir.text import (
    DEFAULT_PLACES,
    EXACT,
    FULL,
    READABLE,
    Figures,
    display_places,
    format_value,
    german_number,
    group_digits,
    groups_thousands,
    quantity_text,
)
from teilhabe_rules.units import DIMENSIONLESS, PERCENT, parse_unit

ROOT = Path(__file__).resolve().parents[2]

UNITS = ["EUR", "EUR/Jahr", "EUR/Tag", "EUR/VK/Jahr", "VK", "h", "h/Woche", "h/Jahr", "min", "min/Tag",
         "%", "Personen", "Plätze", "Tag/Jahr", "Wochen", "Tag/Monat", "", "1/Jahr"]


def number(unit_text: str) -> c.ValueType:
    if unit_text == "1/Jahr":
        return c.ValueType(c.TypeKind.ZAHL, DIMENSIONLESS / parse_unit("Jahr"))
    unit = PERCENT if unit_text == "%" else parse_unit(unit_text) if unit_text else DIMENSIONLESS
    return c.ValueType(c.TypeKind.ZAHL, unit)


def parse_german(text: str) -> Decimal:
    """The number a German display text names (``130.515,15`` → 130515.15)."""
    return Decimal(text.replace(".", "").replace(",", "."))


class TestPolicy:
    """Each unit's places, decided by its numerator."""

    @pytest.mark.parametrize(("unit", "places"), [
        ("EUR", (2, 2)), ("EUR/Jahr", (2, 2)), ("EUR/Tag", (2, 2)), ("EUR/VK/Jahr", (2, 2)),
        ("VK", (4, 4)), ("h", (2, 2)), ("h/Woche", (2, 2)), ("min", (0, 1)), ("min/Tag", (0, 1)),
        ("%", (2, 2)), ("Personen", (0, 2)), ("Plätze", (0, 2)),
        ("Tag/Jahr", DEFAULT_PLACES), ("Wochen", DEFAULT_PLACES), ("", DEFAULT_PLACES), ("1/Jahr", DEFAULT_PLACES),
    ])
    def test_places(self, unit: str, places: tuple[int, int]) -> None:
        assert display_places(number(unit).unit) == places


class TestExamples:
    """The texts a controller reads."""

    @pytest.mark.parametrize(("value", "unit", "text"), [
        ("130515.1515151515151515151515", "EUR/Jahr", "130.515,15 EUR/Jahr"),
        ("2.212121212121212121212121212", "VK", "2,2121 VK"),
        ("0.12", "VK", "0,1200 VK"),
        ("1260", "h/Jahr", "1.260,00 h/Jahr"),
        ("912.5", "h/Jahr", "912,50 h/Jahr"),
        ("15", "min/Tag", "15 min/Tag"),
        ("12.25", "min/Tag", "12,3 min/Tag"),  # half-up, not to even
        ("12.04", "min/Tag", "12 min/Tag"),
        ("0.6555", "%", "65,55 %"),
        ("0.75", "%", "75,00 %"),
        ("6", "Plätze", "6 Plätze"),
        ("104.2857142857142857142857143", "Wochen", "104,2857 Wochen"),
        ("0.1666666666666666666666666667", "", "0,1667"),
        ("0.125", "EUR", "0,13 EUR"),  # half-up: 0.125 → 0.13 (to even would give 0.12)
        ("-17819.455", "EUR", "-17.819,46 EUR"),  # half-up rounds a tie away from zero
        ("-0.001", "EUR", "0,00 EUR"),  # no negative zero
        ("1234567.5", "EUR", "1.234.567,50 EUR"),
        ("999.995", "EUR", "1.000,00 EUR"),
        ("2019", "", "2019"),  # a year: a whole number without a unit, four digits
        ("-2019", "", "-2019"),
        ("12345", "", "12.345"),  # five digits: grouped
        ("2019.5", "", "2.019,5"),  # places: grouped
        ("2019", "EUR", "2.019,00 EUR"),  # a unit: grouped
        ("2019", "Plätze", "2.019 Plätze"),
    ])
    def test_readable(self, value: str, unit: str, text: str) -> None:
        assert quantity_text(Decimal(value), number(unit), READABLE) == text

    def test_full_keeps_every_digit(self) -> None:
        vtype = number("EUR/Jahr")
        assert quantity_text(Decimal("130515.1515151515151515151515"), vtype, FULL) == (
            "130.515,1515151515151515151515 EUR/Jahr")

    def test_given_values_are_not_rounded(self) -> None:
        vtype = number("EUR/h")
        assert quantity_text(Decimal("70.105"), vtype, READABLE, given=True) == "70,105 EUR/h"
        assert quantity_text(Decimal("70.105"), vtype, READABLE) == "70,11 EUR/h"

    def test_exact_is_the_json_text(self) -> None:
        """The default style is unchanged: decimal point, every digit (JSON and the API use it)."""
        assert quantity_text(Decimal("130515.1515151515151515151515"), number("EUR/Jahr")) == (
            "130515.1515151515151515151515 EUR/Jahr")
        assert format_value(Decimal("1260.00"), number("h/Jahr"), EXACT) == "1260"
        assert format_value(Decimal("912.50"), number("h/Jahr")) == "912.50"
        assert format_value(Decimal("0.655"), number("%")) == "65.5"

    def test_german_number(self) -> None:
        assert german_number(Decimal("1234567.5")) == "1.234.567,5"
        assert german_number(Decimal("-1234.50"), (0, 1)) == "-1.234,5"
        assert german_number(Decimal("100.00")) == "100"
        assert german_number(Decimal("7"), (2, 2)) == "7,00"
        assert german_number(Decimal("2019"), grouped=False) == "2019"

    def test_a_year_is_never_grouped(self) -> None:
        """A year — an input ``ganzzahl von 2000 bis 2100``, ``jahr(datum)`` — is written without
        the thousands dot in every German style, as given and as a computed figure."""
        year = c.ValueType(c.TypeKind.ZAHL, DIMENSIONLESS, integer=True, low=Decimal(2000), high=Decimal(2100))
        for figures in (READABLE, FULL):
            assert quantity_text(Decimal(2019), year, figures) == "2019"
            assert quantity_text(Decimal(2019), year, figures, given=True) == "2019"
        assert not groups_thousands(Decimal(2019), year)
        assert groups_thousands(Decimal(2019), None)  # (a number of no known type: grouped)
        assert groups_thousands(Decimal(2019), number("%"))

    def test_a_whole_number_is_grouped_as_it_is_shown(self) -> None:
        """Rounded for reading, a figure without a unit that shows as a whole number of at most
        four digits is written as one is — ``1234``, whatever digits the rounding dropped."""
        plain = c.ValueType(c.TypeKind.ZAHL, DIMENSIONLESS)
        for value in ("1234", "1233.99999", "1234.00001"):
            assert quantity_text(Decimal(value), plain, READABLE) == "1234"
        assert quantity_text(Decimal("999.99999"), plain, READABLE) == "1000"
        assert quantity_text(Decimal("9999.99999"), plain, READABLE) == "10.000"
        assert quantity_text(Decimal("1234.5"), plain, READABLE) == "1.234,5"
        assert quantity_text(Decimal("1233.99999"), plain, FULL) == "1.233,99999"

    def test_other_values(self) -> None:
        key = c.ValueType(c.TypeKind.SCHLUESSEL)
        assert quantity_text(Decimal("3.5"), key, READABLE) == "1:3,5"
        assert quantity_text(True, c.ValueType(c.TypeKind.JA_NEIN), READABLE) == "ja"
        assert quantity_text(3, c.NUMBER, READABLE) == "3"


@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False,
                places=None),
    st.sampled_from(UNITS),
)
@example(Decimal("0.125"), "EUR")
@example(Decimal("-2.5"), "min")
@example(Decimal("0.00005"), "")
@example(Decimal("9999.99995"), "VK")
@example(Decimal("2019"), "")
@example(Decimal("10000"), "")
def test_the_display_text_reads_back_as_the_value_rounded_half_up(value: Decimal, unit: str) -> None:
    """Parsing the German display text gives the exact value rounded half-up to the unit's places."""
    vtype = number(unit)
    text = format_value(value, vtype, READABLE)
    least, most = display_places(vtype.unit)
    shown = value.scaleb(2) if vtype.unit.percent else value
    assert parse_german(text) == shown.quantize(Decimal(1).scaleb(-most), ROUND_HALF_UP)
    fraction = text.partition(",")[2]
    assert least <= len(fraction) <= most
    whole = text.partition(",")[0].lstrip("-")
    if groups_thousands(value, vtype):
        assert all(len(group) == 3 for group in whole.split(".")[1:]) and 1 <= len(whole.split(".")[0]) <= 3
    else:  # a whole number without a unit of at most four digits (a year): no dot
        assert "." not in whole and len(whole) <= 4
    # every digit, in German notation: reads back as the value itself
    assert parse_german(format_value(value, vtype, FULL)) == shown


@given(st.integers(min_value=0, max_value=10**60))
@example(0)
@example(999)
@example(1000)
def test_digits_are_grouped_as_python_groups_them(number: int) -> None:
    assert group_digits(str(number)) == f"{number:,}".replace(",", ".")


def test_a_number_longer_than_python_reads_as_int_is_grouped() -> None:
    """A value of more digits than ``int`` takes of a text (4,300) is shown, not an error."""
    text = german_number(Decimal("1E+5000"))
    assert text.startswith("100.000.") and text.replace(".", "") == "1" + "0" * 5000
    assert german_number(Decimal("-1E+5000"), (2, 2)).endswith(".000,00")


class TestReport:
    """``eval`` shows readable figures, ``--genau`` every digit, JSON stays exact."""

    CASE = ["models/mawo.rules", "examples/mawo/haus_linde.toml"]

    def run(self, *argv: str) -> str:
        import io

        out, err = io.StringIO(), io.StringIO()
        assert main(list(argv), out=out, err=err) == 0, err.getvalue()
        return out.getvalue()

    def test_text_and_explain(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(ROOT)
        text = self.run("eval", *self.CASE)
        assert "  vk                           0,5530 VK\n" in text
        assert "  kosten_jahr                  32.628,79 EUR/Jahr\n" in text
        explained = self.run("eval", "--explain", *self.CASE)
        # the rule by names, the parameters as given, the values of other rules rounded
        assert ("= nacht.stunden / njaz * (100 % + lp0_indirekt) = 912,50 h/Jahr / 1.650 h/Jahr/VK"
                " * (100 % + 0 %) = 0,5530 VK") in explained

    def test_full_precision(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(ROOT)
        text = self.run("eval", "--genau", *self.CASE)
        assert "  vk                           0,5530303030303030303030303030 VK\n" in text
        assert self.run("eval", "--full-precision", *self.CASE) == text

    def test_json_is_exact_either_way(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(ROOT)
        plain = self.run("eval", "--format", "json", "--explain", *self.CASE)
        assert self.run("eval", "--format", "json", "--explain", "--genau", *self.CASE) == plain
        nacht = json.loads(plain)["ergebnis"]["pakete"]["nacht"]["werte"]["vk"]
        assert nacht["wert"] == "0.5530303030303030303030303030"
        assert nacht["erklärung"]["text"].endswith("= 0.5530303030303030303030303030 VK")

    def test_api_explanations_stay_exact(self) -> None:
        result = load(ROOT / "models/mawo.rules").evaluate(ROOT / "examples/mawo/haus_linde.toml", explain=True)
        exact = result.explanations()["nacht.vk"].text
        readable = result.explanations(figures=READABLE)["nacht.vk"].text
        assert exact.endswith("= 0.5530303030303030303030303030 VK") and readable.endswith("= 0,5530 VK")
        assert result.explanations()["nacht.vk"].text == exact  # the cached exact form is untouched
        assert str(result.quantity("nacht.vk")) == "0.5530303030303030303030303030 VK"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**9, max_value=10**9),
       st.sampled_from(["EUR/Jahr", "VK", "%", "min/Tag", ""]))
def test_the_exact_quantity_text_is_format_value_with_its_unit(value: Decimal, unit: str) -> None:
    """quantity_text's fast path for exact numbers says what format_value and the unit say."""
    from teilhabe_rules.ir.text import EXACT, format_value, quantity_text
    from teilhabe_rules.units import DIMENSIONLESS, parse_unit

    vtype = c.ValueType(c.TypeKind.ZAHL, parse_unit(unit) if unit else DIMENSIONLESS)
    shown = str(vtype.unit)
    expected = f"{format_value(value, vtype, EXACT)} {shown}".strip() if shown != "%" else \
        f"{format_value(value, vtype, EXACT)} %"
    assert quantity_text(value, vtype, EXACT) == expected


SINGULAR = {"Tage": "Tag", "Wochen": "Woche", "Jahre": "Jahr", "Monate": "Monat", "Personen": "Person",
            "Plätze": "Platz"}


@pytest.mark.parametrize(("value", "unit", "figures", "text"), [
    ("1", "Tage", EXACT, "1 Tag"), ("-1", "Tage", EXACT, "-1 Tag"), ("1.000", "Wochen", EXACT, "1 Woche"),
    ("1", "Jahre", READABLE, "1 Jahr"), ("1", "Monate", FULL, "1 Monat"), ("1", "Personen", READABLE, "1 Person"),
    ("-1", "Plätze", READABLE, "-1 Platz"), ("1.5", "Tage", EXACT, "1.5 Tage"), ("1.5", "Tage", READABLE, "1,5 Tage"),
    ("2", "Jahre", EXACT, "2 Jahre"), ("0", "Tage", EXACT, "0 Tage"), ("11", "Tage", EXACT, "11 Tage"),
    ("0.1", "Personen", EXACT, "0.1 Personen"), ("1.004", "Personen", READABLE, "1 Person"),
    ("1.01", "Personen", READABLE, "1,01 Personen"),
    ("1", "EUR", READABLE, "1,00 EUR"), ("1", "EUR", EXACT, "1 EUR"), ("1", "VK", EXACT, "1 VK"),
    ("1", "h", EXACT, "1 h"), ("1", "min", EXACT, "1 min"), ("1", "Tag/Jahr", EXACT, "1 Tag/Jahr"),
    ("1", "EUR/Tag", EXACT, "1 EUR/Tag"), ("0.01", "%", EXACT, "1 %"),
])
def test_a_unit_with_a_singular_takes_it_after_one(value: str, unit: str, figures: Figures, text: str) -> None:
    """One and minus one as shown take the singular of a unit the language has one of (``Tag``,
    ``Woche``, ``Jahr``, ``Monat``, ``Person``, ``Platz``); other numbers and units are as they were."""
    assert quantity_text(Decimal(value), number(unit), figures) == text


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-3, max_value=3),
       st.sampled_from(UNITS), st.sampled_from([EXACT, READABLE, FULL]), st.booleans())
@example(Decimal(1), "Tage", EXACT, False)
@example(Decimal(-1), "Personen", READABLE, True)
def test_the_unit_after_a_number_is_singular_exactly_after_one(value: Decimal, unit: str, figures: Figures,
                                                                given_: bool) -> None:
    """Whatever the figures: the unit is written in the singular exactly where the number is
    shown as 1 or -1 and the unit is one with a singular; the number is shown as before."""
    vtype = number(unit)
    text = quantity_text(value, vtype, figures, given=given_)
    shown = format_value(value, vtype, figures, given=given_)
    plural = str(vtype.unit)
    expected = SINGULAR.get(plural, plural) if shown in {"1", "-1"} else plural
    assert text == (f"{shown} {expected}".strip() if expected != "%" else f"{shown} %")
