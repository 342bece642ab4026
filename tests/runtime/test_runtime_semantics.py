"""The runtime semantics (teilhabe_rules.runtime): every helper the generated code and the tools share,
and the evaluation faults with their German messages."""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import ValidityError
from teilhabe_rules.ir import checked as c
from teilhabe_rules.model import loads
from teilhabe_rules.runtime import semantics
from teilhabe_rules.runtime.compiler import compile_model
from teilhabe_rules.runtime.faults import Fault, FaultError, FaultKind, Located, fault_of, key_text
from teilhabe_rules.runtime.semantics import (
    DECIMAL_CONTEXT,
    ParameterValues,
    add_days,
    band_contains,
    calendar_days,
    check_range,
    date_plus,
    days_in_month,
    declared_level,
    effective_level,
    first,
    last,
    maximum,
    minimum,
    month_of,
    no_band,
    no_previous,
    parameter_values,
    round_value,
    table_lookup,
    year_of,
)
from teilhabe_rules.span import Span

HEAD = 'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'


def fault_from(call: Any, *args: Any) -> Fault:
    """The record of the FaultError ``call(*args)`` raises."""
    with pytest.raises(FaultError) as caught:
        call(*args)
    assert str(caught.value) == caught.value.fault.message()
    return caught.value.fault


# ---- numbers -----------------------------------------------------------------------------------


class TestDecimalContext:
    def test_precision_and_traps(self) -> None:
        assert DECIMAL_CONTEXT.prec == 28
        with decimal.localcontext(DECIMAL_CONTEXT):
            assert Decimal(1) / Decimal(3) == Decimal("0." + "3" * 28)
            with pytest.raises(decimal.DivisionByZero):
                Decimal(1) / Decimal(0)
            with pytest.raises(decimal.InvalidOperation):
                Decimal(0) / Decimal(0)
            with pytest.raises(decimal.Overflow):
                Decimal("9e999999") * 10


class TestRounding:
    @pytest.mark.parametrize(
        ("value", "places", "mode", "expected"),
        [
            ("2.5", 0, "kaufmännisch", "3"),  # half-even would give 2
            ("3.5", 0, "kaufmännisch", "4"),
            ("-2.5", 0, "kaufmännisch", "-3"),  # half away from zero
            ("0.005", 2, "kaufmännisch", "0.01"),  # half-even would give 0.00
            ("0.015", 2, "kaufmännisch", "0.02"),
            ("0.0049", 2, "kaufmännisch", "0.00"),
            ("2.7", 0, "abrunden", "2"),
            ("-2.7", 0, "abrunden", "-2"),  # towards zero
            ("2.1", 0, "aufrunden", "3"),
            ("-2.1", 0, "aufrunden", "-3"),  # away from zero
            ("2", 2, "aufrunden", "2.00"),
            ("1234.5", -2, "kaufmännisch", "1.2E+3"),
        ],
    )
    def test_modes(self, value: str, places: int, mode: str, expected: str) -> None:
        result = round_value(Decimal(value), Decimal(places), mode)
        assert str(result) == expected

    def test_half_up_differs_from_half_even(self) -> None:
        for value in ("2.5", "-2.5", "0.5"):
            half_up = round_value(Decimal(value), 0, "kaufmännisch")
            half_even = Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
            assert half_up != half_even

    @given(st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, allow_infinity=False, places=6),
           st.integers(0, 4))
    def test_commercial_rounding_is_half_away_from_zero(self, value: Decimal, places: int) -> None:
        with decimal.localcontext(DECIMAL_CONTEXT):
            result = round_value(value, Decimal(places), "kaufmännisch")
        assert result.as_tuple().exponent == -places
        scaled = abs(Fraction(value)) * 10**places
        expected = Fraction(int(scaled + Fraction(1, 2)), 10**places) * (1 if value >= 0 else -1)
        assert Fraction(result) == expected

    @given(st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, allow_infinity=False, places=6),
           st.integers(0, 4))
    def test_down_and_up_bracket_the_value(self, value: Decimal, places: int) -> None:
        unit = Decimal(1).scaleb(-places)
        with decimal.localcontext(DECIMAL_CONTEXT):
            down = round_value(value, places, "abrunden")
            up = round_value(value, places, "aufrunden")
        assert abs(down) <= abs(value) <= abs(up)
        assert abs(up - down) <= unit
        assert (down == up) == (value == down)


# ---- dates -------------------------------------------------------------------------------------

DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))


class TestDates:
    def test_calendar_days_count_both_ends(self) -> None:
        day = dt.date(2024, 3, 1)
        assert calendar_days(day, day) == 1
        assert calendar_days(dt.date(2024, 1, 1), dt.date(2024, 12, 31)) == 366
        assert calendar_days(dt.date(2023, 1, 1), dt.date(2023, 12, 31)) == 365
        assert calendar_days(dt.date(2024, 2, 28), dt.date(2024, 3, 1)) == 3
        assert calendar_days(dt.date(2024, 3, 2), dt.date(2024, 3, 1)) == 0

    @given(DATES, st.integers(0, 5000))
    def test_calendar_days_after_adding_days(self, day: dt.date, n: int) -> None:
        later = add_days(day, Decimal(n))
        assert calendar_days(day, later) == n + 1
        assert add_days(later, Decimal(n), -1) == day

    def test_add_days(self) -> None:
        assert add_days(dt.date(2024, 2, 28), Decimal(1)) == dt.date(2024, 2, 29)
        assert add_days(dt.date(2023, 2, 28), Decimal(1)) == dt.date(2023, 3, 1)
        assert add_days(dt.date(2024, 3, 1), Decimal("2.0"), -1) == dt.date(2024, 2, 28)
        fault = fault_from(add_days, dt.date(2024, 1, 1), Decimal("1.5"))
        assert (fault.kind, fault.value) == (FaultKind.NON_WHOLE_DAYS, Decimal("1.5"))
        assert fault.message() == "Zu einem Datum lassen sich nur ganze Tage addieren, nicht 1.5"
        assert fault_from(add_days, dt.date.max, Decimal(1)).kind is FaultKind.DATE_OUT_OF_RANGE
        assert fault_from(add_days, dt.date.min, Decimal(1), -1).kind is FaultKind.DATE_OUT_OF_RANGE

    @pytest.mark.parametrize(
        ("start", "amount", "unit", "expected"),
        [
            ((2024, 1, 31), 1, "Monate", (2024, 2, 29)),  # clamped to the month's last day, leap year
            ((2023, 1, 31), 1, "Monate", (2023, 2, 28)),
            ((2024, 3, 31), -1, "Monate", (2024, 2, 29)),
            ((2024, 1, 31), 3, "Monate", (2024, 4, 30)),
            ((2024, 11, 15), 2, "Monate", (2025, 1, 15)),
            ((2024, 2, 29), 1, "Jahre", (2025, 2, 28)),
            ((2024, 2, 29), 4, "Jahre", (2028, 2, 29)),
            ((2024, 12, 31), 1, "Tage", (2025, 1, 1)),
            ((2024, 2, 26), 1, "Wochen", (2024, 3, 4)),
            ((2024, 3, 4), -1, "Wochen", (2024, 2, 26)),
            ((2024, 5, 5), 0, "Jahre", (2024, 5, 5)),
        ],
    )
    def test_date_plus(self, start: tuple[int, int, int], amount: int, unit: str,
                       expected: tuple[int, int, int]) -> None:
        assert date_plus(dt.date(*start), Decimal(amount), unit) == dt.date(*expected)

    def test_date_plus_faults(self) -> None:
        fault = fault_from(date_plus, dt.date(2024, 1, 1), Decimal("0.5"), "Monate")
        assert (fault.kind, fault.unit) == (FaultKind.NON_WHOLE_AMOUNT, "Monate")
        assert fault.message() == "datum_plus(…) rechnet mit ganzen Monate, nicht 0.5"
        assert fault_from(date_plus, dt.date(9999, 6, 1), Decimal(1), "Jahre").kind is FaultKind.DATE_OUT_OF_RANGE
        assert fault_from(date_plus, dt.date(1, 1, 1), Decimal(-1), "Monate").kind is FaultKind.DATE_OUT_OF_RANGE
        assert fault_from(date_plus, dt.date(9999, 12, 31), Decimal(1), "Tage").kind is FaultKind.DATE_OUT_OF_RANGE

    @given(DATES, st.integers(-600, 600))
    def test_month_steps(self, day: dt.date, months: int) -> None:
        result = date_plus(day, Decimal(months), "Monate")
        assert result.year * 12 + result.month == day.year * 12 + day.month + months
        assert result.day == min(day.day, calendar.monthrange(result.year, result.month)[1])
        assert date_plus(day, Decimal(months), "Jahre") == date_plus(day, Decimal(12 * months), "Monate")
        assert date_plus(day, Decimal(months), "Wochen") == date_plus(day, Decimal(7 * months), "Tage")

    @given(st.integers(1, 9999), st.integers(1, 12))
    def test_days_in_month(self, year: int, month: int) -> None:
        start = dt.date(year, month, 1)
        following = dt.date(year + month // 12, month % 12 + 1, 1) if (year, month) != (9999, 12) else None
        expected = (following - start).days if following is not None else 31
        assert days_in_month(Decimal(year), Decimal(month)) == expected

    def test_days_in_month_leap_years_and_faults(self) -> None:
        assert [days_in_month(y, 2) for y in (2024, 2023, 2100, 2000)] == [29, 28, 28, 29]
        fault = fault_from(days_in_month, Decimal(2024), Decimal(13))
        assert (fault.kind, fault.year, fault.month) == (FaultKind.NOT_A_MONTH, 2024, 13)
        assert fault.message() == "13/2024 ist kein Monat"
        assert fault_from(days_in_month, Decimal(0), Decimal(1)).kind is FaultKind.NOT_A_MONTH

    def test_year_and_month(self) -> None:
        assert (year_of(dt.date(2024, 2, 29)), month_of(dt.date(2024, 2, 29))) == (Decimal(2024), Decimal(2))
        assert isinstance(year_of(dt.date(2024, 1, 1)), Decimal)


# ---- corridors and levels ----------------------------------------------------------------------


class TestBands:
    @pytest.mark.parametrize(
        ("value", "lower", "lower_inclusive", "upper", "upper_inclusive", "expected"),
        [
            (7, 7, True, 21, False, True),  # ab 7
            (7, 7, False, 21, False, False),  # über 7
            (21, 7, True, 21, True, True),  # bis 21
            (21, 7, True, 21, False, False),  # unter 21
            (0, None, True, 0, True, True),  # open below
            (-(10**9), None, False, 0, False, True),
            (10**9, 5, False, None, False, True),  # open above
            (5, None, False, None, False, True),  # both open
            (3, 3, True, 3, True, True),  # a single point
            (3, 3, False, 3, True, False),
        ],
    )
    def test_inclusivity(self, value: int, lower: int | None, lower_inclusive: bool, upper: int | None,
                         upper_inclusive: bool, expected: bool) -> None:
        assert band_contains(Decimal(value), None if lower is None else Decimal(lower), lower_inclusive,
                             None if upper is None else Decimal(upper), upper_inclusive) is expected

    @given(st.integers(-5, 5), st.one_of(st.none(), st.integers(-5, 5)), st.booleans(),
           st.one_of(st.none(), st.integers(-5, 5)), st.booleans())
    def test_matches_interval_definition(self, value: int, lower: int | None, lower_inclusive: bool,
                                         upper: int | None, upper_inclusive: bool) -> None:
        above = lower is None or value > lower or (lower_inclusive and value == lower)
        below = upper is None or value < upper or (upper_inclusive and value == upper)
        assert band_contains(Decimal(value), lower, lower_inclusive, upper, upper_inclusive) is (above and below)

    def test_no_band(self) -> None:
        fault = fault_from(no_band, Decimal("7.50"), "lp2a", "min/Tag")
        assert fault.message() == "7.50 min/Tag liegt in keinem Korridorband von „lp2a“"
        assert fault_from(no_band, Decimal(3), "p", "").message() == "3 liegt in keinem Korridorband von „p“"


# A corridor of every kind of band (ab/über × bis/unter, open sides), each side its own parameter:
# with the defaults the bands partition the quantity's range; with random bounds they may overlap
# or leave gaps — the compiled decision must still be the first band that band_contains accepts.
CORRIDOR = loads(HEAD + """\
eingabe menge: zahl von -1000 bis 1000
parameter u4: zahl = -500
parameter l0: zahl = -500
parameter u0: zahl = -100
parameter l1: zahl = -100
parameter u1: zahl = 0
parameter l2: zahl = 0
parameter u2: zahl = 100
parameter l3: zahl = 100
parameter u3: zahl = 500
parameter l5: zahl = 500
parameter u5: zahl = 700
parameter l6: zahl = 700
paket p
  stufen
    0 "a"
    1 "b"
    2 "c"
    3 "d"
    4 "e"
    5 "f"
    6 "g"
  ende
  stufe nach korridor menge
    4: unter u4
    0: ab l0 bis u0
    1: über l1 unter u1
    2: ab l2 unter u2
    3: ab l3 bis u3
    5: über l5 bis u5
    6: über l6
  ende
ende
""", "korridor.rules")
CORRIDOR_NODE = next(
    node for node in CORRIDOR.checked.nodes.values() if isinstance(node, c.CorridorLevelNode) and node.bands
)
BOUNDS = sorted(CORRIDOR.checked.parameters)
SMALL = st.integers(-4, 4).map(Decimal) | st.decimals(min_value=-4, max_value=4, places=1)


class TestCompiledCorridor:
    def test_every_kind_of_band_is_written(self) -> None:
        kinds = {(b.lower is None, b.lower_inclusive, b.upper is None, b.upper_inclusive) for b in CORRIDOR_NODE.bands}
        assert {(False, True, False, True), (False, False, False, False), (False, True, False, False),
                (False, False, False, True)} <= kinds
        assert any(b.lower is None for b in CORRIDOR_NODE.bands) and any(b.upper is None for b in CORRIDOR_NODE.bands)

    @settings(max_examples=examples(300))
    @given(SMALL, st.fixed_dictionaries({pid: SMALL for pid in BOUNDS}))
    def test_decision_equals_band_contains(self, value: Decimal, bounds: dict[str, Decimal]) -> None:
        def bound(expr: c.Expr | None) -> Decimal | None:
            assert expr is None or isinstance(expr, c.Ref)
            return None if expr is None else bounds[expr.symbol]

        expected = None
        for band in CORRIDOR_NODE.bands:
            if band_contains(value, bound(band.lower), band.lower_inclusive, bound(band.upper), band.upper_inclusive):
                expected = band.level
                break
        row = CORRIDOR.load_case({"menge": str(value)}).row
        try:
            with decimal.localcontext(DECIMAL_CONTEXT):
                result = CORRIDOR.program.run(row, bounds, {}, [], [])
            decided = result["p.berechnete_stufe"]
        except Located as exc:
            assert isinstance(exc.cause, FaultError) and exc.cause.fault.kind is FaultKind.NO_BAND
            decided = None
        assert decided == expected

    @settings(max_examples=examples(150), deadline=None)
    @given(SMALL, st.lists(SMALL, min_size=6, max_size=6), st.booleans(),
           st.fixed_dictionaries({pid: SMALL for pid in BOUNDS}))
    def test_a_specialised_program_decides_as_the_general_one(self, value: Decimal, cuts: list[Decimal],
                                                              tiled: bool, free: dict[str, Decimal]) -> None:
        """The bounds constants of the code: where the bands tile (each band's lower bound the upper
        bound of the band before) the lower tests after the first are left out; the same level, or
        the same fault, as the general program, either way."""
        order = ["u4", "l0", "u0", "l1", "u1", "l2", "u2", "l3", "u3", "l5", "u5", "l6"]
        bounds = dict(zip(order, [bound for cut in cuts for bound in (cut, cut)], strict=True)) if tiled else free
        row = CORRIDOR.load_case({"menge": str(value)}).row

        def decide(program: Any) -> Any:
            try:
                with decimal.localcontext(DECIMAL_CONTEXT):
                    return program.run(row, bounds, {}, [], [])["p.berechnete_stufe"]
            except Located as exc:
                assert isinstance(exc.cause, FaultError)
                return exc.cause.fault.kind

        special = compile_model(CORRIDOR.checked, parameters=bounds, tables={})
        assert not tiled or "s >" not in special.source  # (the first band is open below)
        assert decide(special) == decide(CORRIDOR.program)


class TestLevels:
    @given(st.one_of(st.none(), st.integers(0, 5)), st.integers(0, 5))
    def test_effective_level(self, granted: int | None, computed: int) -> None:
        assert effective_level(granted, computed) == (computed if granted is None else granted)

    def test_a_granted_zero_wins(self) -> None:
        assert effective_level(0, 3) == 0
        assert effective_level(None, 0) == 0

    def test_declared_level(self) -> None:
        assert declared_level(Decimal("1"), frozenset({0, 1}), "p") == 1
        assert type(declared_level(Decimal("1.0"), frozenset({0, 1}), "p")) is int
        fault = fault_from(declared_level, Decimal(2), frozenset({3, 0, 1}), "p")
        assert (fault.kind, fault.levels) == (FaultKind.LEVEL_NOT_DECLARED, (0, 1, 3))
        assert fault.message() == "Die Stufenregel von „p“ ergibt 2, das ist keine Stufe des Pakets"
        assert fault.hint() == "deklarierte Stufen: 0, 1, 3"

    def test_the_compiled_model_pays_the_effective_level(self) -> None:
        source = CORRIDOR.program.source
        assert "_effective(" in source
        assert CORRIDOR.program.run.__globals__["_effective"] is effective_level


# ---- tables, lists, ranges ---------------------------------------------------------------------


class TestTablesAndLists:
    def test_lookup(self) -> None:
        assert table_lookup({1: "a"}, 1, "t") == "a"
        assert table_lookup({(1, 2): "b"}, (1, 2), "t") == "b"
        fault = fault_from(table_lookup, {Decimal(2): 0, Decimal(1): 0}, Decimal(4), "poolanteil")
        assert (fault.kind, fault.table, fault.key, fault.known) == (FaultKind.TABLE_MISS, "poolanteil", 4, (1, 2))
        assert fault.message() == "Die Tabelle „poolanteil“ hat keinen Eintrag für 4"
        assert fault.hint() == "vorhandene Einträge: 1, 2"
        assert fault_from(table_lookup, {}, 1, "leer").hint() == "die Tabelle ist leer"

    def test_a_long_table_names_twelve_keys(self) -> None:
        fault = fault_from(table_lookup, {(n, 1): n for n in range(20)}, (99, 1), "t")
        assert fault.message() == "Die Tabelle „t“ hat keinen Eintrag für (99, 1)"
        hint = fault.hint()
        assert hint is not None and hint.endswith(" …") and hint.count("(") == 12

    @given(st.lists(st.integers(-50, 50), max_size=6))
    def test_list_functions(self, items: list[int]) -> None:
        values = [Decimal(v) for v in items]
        for function, helper, word in ((min, minimum, "min"), (max, maximum, "max"),
                                       (lambda xs: xs[0], first, "erstes"), (lambda xs: xs[-1], last, "letztes")):
            if values:
                assert helper(iter(values), "m") == function(values)
            else:
                fault = fault_from(helper, iter(values), "m")
                assert (fault.kind, fault.function, fault.symbol) == (FaultKind.EMPTY_LIST, word, "m")
                assert fault.message() == f"{word}(…) über m: die Liste ist leer"

    def test_no_previous(self) -> None:
        fault = fault_from(no_previous, "x")
        assert fault.message() == "„vorher.x“ gibt es beim ersten Element nicht"
        assert fault.hint() == "prüfe zuerst „position > 1“"

    def test_check_range(self) -> None:
        check_range(Decimal(0), Decimal(0), Decimal(150), "y")  # the bounds belong to the range
        check_range(Decimal(150), Decimal(0), Decimal(150), "y")
        check_range(Decimal(-(10**9)), None, None, "y")
        fault = fault_from(check_range, Decimal(152), Decimal(0), Decimal(150), "y")
        assert fault.message() == "„y“ = 152 liegt außerhalb des deklarierten Bereichs 0 bis 150"
        assert fault_from(check_range, Decimal(6), None, Decimal(5), "y").message().endswith("Bereichs −∞ bis 5")
        assert fault_from(check_range, Decimal("-0.5"), Decimal(0), None, "y").message().endswith("Bereichs 0 bis ∞")


# ---- parameters on a date ----------------------------------------------------------------------

DATED_HEAD = HEAD.replace("gültig ab 01.01.2024\n", "gültig ab 01.01.2024\n  gültig bis 31.12.2027\n")
DATED = loads(DATED_HEAD + """\
eingabe stunden: zahl h/Jahr von 0 bis 2000
parameter satz: zahl EUR/h von 0 bis 500 = 60 EUR/h
  ab 01.01.2025 = 62.50 EUR/h
  ab 01.01.2026 = 65 EUR/h bis 30.06.2026
parameter zuschlag: zahl EUR/h von 0 bis 50 = 1 EUR/h
  ab 01.07.2024 = 2 EUR/h
parameter fest: EUR/Jahr = 100
wert betrag: EUR/Jahr = stunden * (satz + zuschlag) + fest
""", "datiert.rules")


class TestParameterValues:
    @pytest.mark.parametrize(
        ("day", "satz", "zuschlag"),
        [
            ((2024, 1, 1), "60", "1"),  # before every period: the defaults
            ((2024, 6, 30), "60", "1"),
            ((2024, 7, 1), "60", "2"),
            ((2025, 1, 1), "62.50", "2"),
            ((2026, 6, 30), "65", "2"),  # the last day of a period ending with bis
        ],
    )
    def test_the_value_of_the_period_holding_the_date(self, day: tuple[int, int, int], satz: str,
                                                      zuschlag: str) -> None:
        values = parameter_values(DATED.checked, dt.date(*day))
        assert (values["satz"], values["zuschlag"], values["fest"]) == (Decimal(satz), Decimal(zuschlag), Decimal(100))
        assert DATED.parameters_on(dt.date(*day)) == values

    def test_a_date_in_no_period_is_a_validity_error(self) -> None:
        with pytest.raises(ValidityError) as caught:
            parameter_values(DATED.checked, dt.date(2026, 7, 1))
        (diagnostic,) = caught.value.diagnostics
        assert diagnostic.message == (
            "Der Parameter „satz“ von „probe 1“ hat am 01.07.2026 keinen Wert (60 EUR/h ab 01.01.2024, "
            "62.50 EUR/h ab 01.01.2025, 65 EUR/h ab 01.01.2026 bis 30.06.2026)")
        assert diagnostic.code == "gültigkeit"
        with pytest.raises(ValidityError):
            DATED.parameters_on(dt.date(2026, 7, 1))
        with pytest.raises(ValidityError):  # an agreed value does not stand in for a missing period
            parameter_values(DATED.checked, dt.date(2026, 7, 1), {"zuschlag": Decimal(5)})

    @pytest.mark.parametrize(("version", "named"), [('  version "1"\n', "„probe 1“"), ("", "„probe“")])
    def test_the_validity_messages_name_the_model_as_model_info_does(self, version: str, named: str) -> None:
        """Name and version together in the quotes (ModelInfo.named), without a version part where
        the header has none: the date outside the validity, the period without a value and the
        missing date alike."""
        text = DATED_HEAD.replace('  version "1"\n', version).replace("ende\n", "  stichtag beginn\nende\n", 1)
        model = loads(text + "eingabe beginn: datum\nparameter satz: EUR/h = 60 EUR/h\n  ab 01.01.2025 = 62 EUR/h "
                      "bis 30.06.2025\nwert b: EUR/h = satz\n", "benannt.rules")
        assert f"„{model.checked.info.named()}“" == named
        messages = []
        for day in ("2028-01-01", "2025-07-01"):
            with pytest.raises(ValidityError) as caught:
                model.evaluate({"beginn": day})
            messages.append(caught.value.diagnostics[0].message)
        with pytest.raises(ValidityError) as caught:
            parameter_values(model.checked, None)
        messages.append(caught.value.diagnostics[0].message)
        assert messages == [
            f"beginn 01.01.2028 liegt außerhalb der Gültigkeit von {named} (gültig ab 01.01.2024 bis 31.12.2027)",
            f"Der Parameter „satz“ von {named} hat am 01.07.2025 keinen Wert (60 EUR/h ab 01.01.2024, "
            "62 EUR/h ab 01.01.2025 bis 30.06.2025)",
            f"{named} hat Parameter mit Werten je Zeitraum (satz); die Auswertung braucht einen Stichtag"]

    def test_a_model_with_periods_needs_a_date(self) -> None:
        with pytest.raises(ValidityError, match="die Auswertung braucht einen Stichtag"):
            parameter_values(DATED.checked, None)

    def test_agreed_values_hold_in_every_period(self) -> None:
        overrides = {"satz": Decimal("70"), "gibt_es_nicht": Decimal(1)}
        for day in (dt.date(2024, 1, 1), dt.date(2025, 3, 1), dt.date(2026, 3, 1)):
            values = parameter_values(DATED.checked, day, overrides)
            assert values["satz"] == Decimal("70")
            assert values["zuschlag"] == parameter_values(DATED.checked, day)["zuschlag"]
            assert "gibt_es_nicht" not in values

    def test_evaluate_uses_the_values_of_the_date_and_agreement(self) -> None:
        agreed = DATED.load_agreement({"parameter": {"zuschlag": "3 EUR/h"}})
        assert agreed.parameter_overrides() == {"zuschlag": Decimal(3)}
        result = DATED.evaluate({"stunden": 10}, agreed, at=dt.date(2025, 3, 1))
        assert result.value("betrag") == Decimal("10") * (Decimal("62.50") + 3) + 100
        assert DATED.evaluate({"stunden": 10}, at=dt.date(2024, 3, 1)).value("betrag") == 10 * 61 + 100

    def test_a_model_without_periods(self) -> None:
        plain = loads(HEAD + "parameter a: zahl = 2\nwert b = a\n", "ohne.rules")
        values = ParameterValues(plain.checked)
        assert values.dated == ()
        assert values.on(None) == {"a": Decimal(2)}
        assert values.on(dt.date(1900, 1, 1)) == {"a": Decimal(2)}
        assert values.on(None, {"a": Decimal(3)}) == {"a": Decimal(3)}
        assert values.on(None) == {"a": Decimal(2)}  # overrides never change the shared defaults
        first_agreed, second_agreed = {"a": Decimal(4)}, {"a": Decimal(5)}
        assert values.on(None, first_agreed) == {"a": Decimal(4)}
        assert values.on(None, second_agreed) == {"a": Decimal(5)}  # a kept merge is for its own overrides only
        assert values.on(None, first_agreed) == {"a": Decimal(4)}

    def test_evaluations_under_changing_agreements(self) -> None:
        first_agreed = DATED.load_agreement({"parameter": {"satz": "70 EUR/h"}})
        second_agreed = DATED.load_agreement({"parameter": {"satz": "80 EUR/h"}})
        day = dt.date(2025, 3, 1)
        for agreed, satz in ((first_agreed, 70), (second_agreed, 80), (None, Decimal("62.50")), (first_agreed, 70)):
            assert DATED.evaluate({"stunden": 1}, agreed, at=day).value("betrag") == satz + 2 + 100

    @given(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 6, 30)))
    def test_periods_against_a_direct_reading(self, day: dt.date) -> None:
        satz = (Decimal(60) if day < dt.date(2025, 1, 1) else Decimal("62.50") if day < dt.date(2026, 1, 1)
                else Decimal(65))
        zuschlag = Decimal(1) if day < dt.date(2024, 7, 1) else Decimal(2)
        values = ParameterValues(DATED.checked).on(day)
        assert (values["satz"], values["zuschlag"]) == (satz, zuschlag)


# ---- the generated code calls the runtime ------------------------------------------------------


def test_generated_code_binds_the_runtime_functions() -> None:
    functions = loads(HEAD + """\
eingabe beginn: datum
eingabe ende_: datum
eingabe x: zahl von 0 bis 10
wert r = runde(x / 3, 2, kaufmännisch)
wert tage: Tage = kalendertage(beginn, ende_)
wert später = datum_plus(beginn, 2 Monate)
wert morgen = beginn + 1 Tag
wert j = jahr(beginn)
wert m = monat(beginn)
wert t = tage_im_monat(j, m)
""", "funktionen.rules")
    bound = functions.program.run.__globals__
    for name, function in (("_round", semantics.round_value), ("_days", semantics.calendar_days),
                           ("_date_plus", semantics.date_plus), ("_date_add", semantics.add_days),
                           ("_year", semantics.year_of), ("_month", semantics.month_of),
                           ("_days_in_month", semantics.days_in_month)):
        assert f"{name}(" in functions.program.source
        assert bound[name] is function
    result = functions.evaluate({"beginn": "31.01.2024", "ende_": "01.03.2024", "x": 5})
    assert result.value("r") == Decimal("1.67")
    assert result.value("tage") == 1 + 29 + 1  # 31.01., all of February 2024, 01.03.
    assert result.value("später") == dt.date(2024, 3, 31)
    assert result.value("morgen") == dt.date(2024, 2, 1)
    assert (result.value("j"), result.value("m"), result.value("t")) == (2024, 1, 31)


# ---- faults ------------------------------------------------------------------------------------

SAMPLES: dict[FaultKind, Fault] = {
    FaultKind.TABLE_MISS: Fault(FaultKind.TABLE_MISS, table="t", key=Decimal(4), known=(Decimal(1),)),
    FaultKind.TABLE_NOT_AGREED: Fault(FaultKind.TABLE_NOT_AGREED, table="t", key=(Decimal(9), Decimal(2)),
                                      where="v.toml:3"),
    FaultKind.TABLE_KEY_UNUSABLE: Fault(FaultKind.TABLE_KEY_UNUSABLE, table="t", key=[1]),
    FaultKind.NO_BAND: Fault(FaultKind.NO_BAND, value=Decimal("7.5"), unit="min/Tag", package="lp2a"),
    FaultKind.LEVEL_NOT_DECLARED: Fault(FaultKind.LEVEL_NOT_DECLARED, value=Decimal(2), levels=(0, 1), package="p"),
    FaultKind.OUT_OF_RANGE: Fault(FaultKind.OUT_OF_RANGE, symbol="y", value=Decimal(152), low=Decimal(0),
                                  high=Decimal(150)),
    FaultKind.EMPTY_LIST: Fault(FaultKind.EMPTY_LIST, function="min", symbol="m"),
    FaultKind.NO_PREVIOUS: Fault(FaultKind.NO_PREVIOUS, symbol="x"),
    FaultKind.NON_WHOLE_DAYS: Fault(FaultKind.NON_WHOLE_DAYS, value=Decimal("1.5")),
    FaultKind.NON_WHOLE_AMOUNT: Fault(FaultKind.NON_WHOLE_AMOUNT, value=Decimal("0.5"), unit="Jahre"),
    FaultKind.DATE_OUT_OF_RANGE: Fault(FaultKind.DATE_OUT_OF_RANGE),
    FaultKind.PERIOD_BACKWARDS: Fault(FaultKind.PERIOD_BACKWARDS, start=dt.date(2025, 1, 5), end=dt.date(2025, 1, 3)),
    FaultKind.NOT_A_MONTH: Fault(FaultKind.NOT_A_MONTH, year=2024, month=13),
    FaultKind.NO_DATE: Fault(FaultKind.NO_DATE, span=Span(3, 10, 3, 20)),
    FaultKind.DIVISION_BY_ZERO: Fault(FaultKind.DIVISION_BY_ZERO, symbol="quote"),
    FaultKind.INVALID_OPERATION: Fault(FaultKind.INVALID_OPERATION, symbol="quote"),
    FaultKind.OVERFLOW: Fault(FaultKind.OVERFLOW, symbol="quote"),
    FaultKind.OTHER: Fault(FaultKind.OTHER, symbol="x", detail="etwas"),
}


class TestFaults:
    def test_every_kind_has_a_sample(self) -> None:
        assert set(SAMPLES) == set(FaultKind)

    @pytest.mark.parametrize("kind", list(FaultKind), ids=lambda k: k.name)
    def test_every_kind_renders_a_german_message(self, kind: FaultKind) -> None:
        fault = SAMPLES[kind]
        message = fault.message()
        assert message.strip() and "None" not in message
        assert "None" not in (fault.hint() or "")
        assert fault.hint() or kind == FaultKind.OTHER  # (every fault the runtime words says what to do)
        assert str(FaultError(fault)) == message
        at = fault.message(at="irgendwo")
        assert at == message + " (bei „irgendwo“)"
        if fault.named() is not None:  # a message naming the value being computed gets no suffix
            assert f"„{fault.named()}“" in message
            assert fault.message(at=fault.named()) == message

    def test_texts(self) -> None:
        not_agreed, division = SAMPLES[FaultKind.TABLE_NOT_AGREED], SAMPLES[FaultKind.DIVISION_BY_ZERO]
        assert not_agreed.message() == "Die Tabelle „t“ hat für (9, 2) keinen Wert: nicht vereinbart"
        assert not_agreed.hint() == "die Vereinbarung streicht diese Zeile (v.toml:3)"
        assert division.message(at="quote") == "Division durch null beim Berechnen von „quote“"
        assert division.hint() == "prüfe die Eingaben und Parameter im Nenner"
        invalid = SAMPLES[FaultKind.INVALID_OPERATION]
        assert invalid.message() == "Ungültige Rechnung beim Berechnen von „quote“ (z. B. 0/0)"
        assert SAMPLES[FaultKind.OVERFLOW].message() == "Zahlenüberlauf beim Berechnen von „quote“"
        assert SAMPLES[FaultKind.OTHER].message() == "Auswertung von „x“ fehlgeschlagen: etwas"
        assert Fault(FaultKind.OTHER, detail="etwas").message() == "Auswertung fehlgeschlagen: etwas"
        assert SAMPLES[FaultKind.DATE_OUT_OF_RANGE].message() == "Das Datum liegt außerhalb des darstellbaren Bereichs"

    def test_fault_of_exceptions(self) -> None:
        record = SAMPLES[FaultKind.NO_PREVIOUS]
        assert fault_of(FaultError(record), "x") is record
        with decimal.localcontext(DECIMAL_CONTEXT):
            cases: list[tuple[Decimal, Decimal, str, FaultKind]] = [
                (Decimal(1), Decimal(0), "/", FaultKind.DIVISION_BY_ZERO),
                (Decimal(0), Decimal(0), "/", FaultKind.INVALID_OPERATION),
                (Decimal("9e999999"), Decimal(10), "*", FaultKind.OVERFLOW),
            ]
            for left, right, op, kind in cases:
                with pytest.raises(ArithmeticError) as caught:
                    _ = left / right if op == "/" else left * right
                assert fault_of(caught.value, "q") == Fault(kind, symbol="q")
        assert fault_of(ZeroDivisionError(), "q").kind is FaultKind.DIVISION_BY_ZERO
        assert fault_of(TypeError("kaputt"), "q") == Fault(FaultKind.OTHER, symbol="q", detail="kaputt")
        assert fault_of(FaultError(record), None) == Fault(FaultKind.OTHER, detail=record.message())

    def test_key_text(self) -> None:
        assert key_text(Decimal("4.00")) == "4"
        assert key_text(Decimal("0.65")) == "0.65"
        assert key_text(Decimal("1E+2")) == "100"
        assert key_text((Decimal(17), "qb")) == "(17, qb)"

    def test_a_model_reports_the_record(self) -> None:
        quotient = loads(HEAD + "eingabe teiler: zahl von 0 bis 10\nwert quote: EUR = 10 EUR / teiler\n",
                                        "quote.rules")
        with pytest.raises(teilhabe_rules.EvaluationError) as caught:
            quotient.evaluate({"teiler": 0})
        (diagnostic,) = caught.value.diagnostics
        assert (diagnostic.message, diagnostic.hint) == (Fault(FaultKind.DIVISION_BY_ZERO, symbol="quote").message(),
                                                         "prüfe die Eingaben und Parameter im Nenner")
