"""What would change a corridor level: moving the quantity by the stated distance changes the
level, moving it by less does not (docs/04_results.md, "What would change the level")."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules

ROOT = Path(__file__).resolve().parents[2]

CONTINUOUS = teilhabe_rules.loads(
    "modell m\n  version \"1\"\n  gültig ab 01.01.2025\nende\n"
    "eingabe minuten: zahl min/Tag von 0 bis 100\n"
    "parameter obergrenze: min/Tag = 21\n"
    "paket lp2a \"LP 2a\"\n"
    "  stufen\n    0 \"kein\"\n    1 \"gering\"\n    2 \"mittel\"\n    3 \"hoch\"\n  ende\n"
    "  stufe nach korridor minuten\n"
    "    0: ab 0 bis 0\n    1: über 0 bis 7\n    2: über 7 unter obergrenze\n    3: ab obergrenze\n"
    "  ende\n"
    "ende\n"
)

DISCRETE = teilhabe_rules.loads(
    "modell d\n  version \"1\"\n  gültig ab 01.01.2025\nende\n"
    "paket lp2a \"LP 2a\"\n"
    "  stufen\n    0 \"kein\"\n    1 \"gering\"\n    2 \"mittel\"\n  ende\n"
    "  eingabe kap4: auswahl {0, 2, 5, 8, 16} min/Tag\n"
    "  eingabe kap5: auswahl {0, 2, 9} min/Tag\n"
    "  wert summe: min/Tag = kap4 + kap5\n"
    "  stufe nach korridor summe\n    0: ab 0 bis 0\n    1: über 0 bis 7\n    2: über 7\n  ende\n"
    "ende\n"
)


def level(model, minutes) -> int:
    return model.evaluate({"minuten": minutes}).value("lp2a.stufe")


TINY = Decimal("0.001")


class TestContinuous:
    @settings(max_examples=examples(150), deadline=None)
    @given(st.decimals(min_value=0, max_value=100, places=2))
    def test_stated_distance_changes_the_level_and_less_does_not(self, minutes: Decimal) -> None:
        margin = CONTINUOUS.evaluate({"minuten": minutes}).level_margin("lp2a")
        assert margin.quantity.value == minutes and margin.quantity.unit == "min/Tag"
        current = level(CONTINUOUS, minutes)
        assert margin.level == current
        for step, sign in ((margin.to_next, 1), (margin.to_previous, -1)):
            if step is None:
                continue
            reach = minutes + sign * (step.amount + (TINY if step.strict else 0))
            if 0 <= reach <= 100:
                assert level(CONTINUOUS, reach) == step.level != current
            assert level(CONTINUOUS, minutes + sign * step.amount / 2) == current
            if step.strict:
                assert level(CONTINUOUS, minutes + sign * step.amount) == current
            elif step.amount > TINY:
                assert level(CONTINUOUS, minutes + sign * (step.amount - TINY)) == current
        assert (margin.to_next is None) == (current == 3)
        assert (margin.to_previous is None) == (current == 0)

    def test_edges_and_texts(self) -> None:
        margin = CONTINUOUS.evaluate({"minuten": 14}).level_margin("lp2a")
        assert margin.band == "über 7 unter 21"
        assert (margin.to_next.level, margin.to_next.amount, margin.to_next.strict) == (3, Decimal("7"), False)
        previous = margin.to_previous
        assert (previous.level, previous.amount, previous.strict) == (1, Decimal("7"), False)
        assert margin.text() == "noch 7 min/Tag bis Stufe 3, ab 7 min/Tag weniger Stufe 1"
        low = CONTINUOUS.evaluate({"minuten": 4}).level_margin("lp2a")
        assert low.text() == "noch mehr als 3 min/Tag bis Stufe 2, ab 4 min/Tag weniger Stufe 0"

    def test_agreed_bound_moves_the_edge(self) -> None:
        result = CONTINUOUS.evaluate({"minuten": 14}, {"parameter": {"obergrenze": "16 min/Tag"}})
        assert result.level_margin("lp2a").to_next.amount == Decimal("2")

    def test_granted_level_distance(self) -> None:
        result = CONTINUOUS.evaluate({"minuten": 14, "lp2a": {"bewilligte_stufe": 3, "begründung": "Gutachten"}},
                                     explain=True)
        margin = result.level_margin("lp2a")
        granted = margin.to_granted
        assert (granted.level, granted.amount, granted.direction) == (3, Decimal("7"), "mehr")
        assert ("die berechnete Menge 14 min/Tag: noch 7 min/Tag bis bewilligte Stufe 3"
                in result.explain("lp2a.stufe").text)
        assert result.to_dict()["ergebnis"]["pakete"]["lp2a"]["stufe"]["korridor"]["bewilligte"] == {
            "stufe": 3, "richtung": "mehr", "abstand": "7", "einheit": "min/Tag", "mehr_als": False}
        assert CONTINUOUS.evaluate({"minuten": 14}).level_margin("lp2a").to_granted is None

    def test_not_a_corridor_is_a_key_error(self) -> None:
        result = CONTINUOUS.evaluate({"minuten": 14})
        with pytest.raises(KeyError):
            result.level_margin("minuten")
        with pytest.raises(KeyError):
            result.level_margin("lp2b")


class TestDiscrete:
    @given(st.sampled_from([0, 2, 5, 8, 16]), st.sampled_from([0, 2, 9]))
    def test_first_possible_value_changes_the_level(self, kap4: int, kap5: int) -> None:
        result = DISCRETE.evaluate({"lp2a": {"kap4": kap4, "kap5": kap5}})
        margin = result.level_margin("lp2a")
        total = Decimal(kap4 + kap5)
        possible = sorted({Decimal(a + b) for a in (0, 2, 5, 8, 16) for b in (0, 2, 9)})

        def lvl(v: Decimal) -> int:
            return 0 if v == 0 else 1 if v <= 7 else 2

        for step, sign in ((margin.to_next, 1), (margin.to_previous, -1)):
            if step is None:
                assert all(lvl(v) == margin.level for v in possible if sign * (v - total) > 0)
                continue
            assert not step.strict
            target = total + sign * step.amount
            assert target in possible and lvl(target) == step.level != margin.level
            between = [v for v in possible if 0 < sign * (v - total) < step.amount]
            assert all(lvl(v) == margin.level for v in between)

    def test_json_keeps_existing_keys_and_adds_korridor(self) -> None:
        stufe = DISCRETE.evaluate({"lp2a": {"kap4": 5, "kap5": 0}}).to_dict()["ergebnis"]["pakete"]["lp2a"]["stufe"]
        assert list(stufe)[:5] == ["berechnet", "bewilligt", "wirksam", "bezeichnung", "begründung"]
        assert stufe["korridor"] == {
            "menge": {"wert": "5", "einheit": "min/Tag"},
            "band": "über 0 bis 7",
            "nächste": {"stufe": 2, "richtung": "mehr", "abstand": "3", "einheit": "min/Tag", "mehr_als": False},
            "vorige": {"stufe": 0, "richtung": "weniger", "abstand": "5", "einheit": "min/Tag", "mehr_als": False},
            "bewilligte": None,
        }


class TestMawo:
    def test_bundled_model_margins_hold(self) -> None:
        from teilhabe_rules.inputs.cases import read_data

        model = teilhabe_rules.load(ROOT / "models" / "mawo.rules")
        house = read_data(ROOT / "examples" / "mawo" / "haus_linde.toml")
        house["bewohner"] = [read_data(ROOT / "examples" / "mawo" / item) for item in house["bewohner"]]
        result = model.evaluate(house)
        for index, person in enumerate(house["bewohner"], start=1):
            margin = result.level_margin(f"bewohner[{index}].lp2a")
            assert margin.quantity.unit == "min/Tag"
            for step, sign in ((margin.to_next, 1), (margin.to_previous, -1)):
                if step is None:
                    continue
                # the stated distance as one change of kap5 (where the choice set allows it) reaches the level
                kap5 = person["lp2a"]["kap5"] + sign * int(step.amount)
                if kap5 in (0, 2, 9, 16, 24):
                    moved = {**house, "bewohner": [dict(p) for p in house["bewohner"]]}
                    moved["bewohner"][index - 1]["lp2a"] = {**person["lp2a"], "kap5": kap5}
                    assert model.evaluate(moved).value(f"bewohner[{index}].lp2a.berechnete_stufe") == step.level


HOURS = teilhabe_rules.loads(
    "modell h\n  version \"1\"\n  gültig ab 01.01.2025\nende\n"
    "paket lp3b \"LP 3b\"\n"
    "  stufen\n    0 \"kein\"\n    1 \"gering\"\n    2 \"mittel\"\n  ende\n"
    "  eingabe stunden: zahl h/Jahr von 0 bis 100\n"
    "  stufe nach korridor stunden\n    0: ab 0 bis 0\n    1: über 0 bis 10\n    2: über 10\n  ende\n"
    "ende\n"
)


def _german(amount: Decimal) -> str:
    return f"{amount:f}".replace(".", ",")


class TestReadableText:
    """The explanation's text shows figures rounded to their unit's places (h: 2); a distance to
    a level so rounded would state another step than the one that reaches it."""

    def test_a_distance_of_more_places_than_its_unit_shows_is_shown_whole(self) -> None:
        text = HOURS.evaluate({"lp3b": {"stunden": "0,001 h/Jahr"}}, explain=True).render_text(explain=True)
        assert "0,001 h/Jahr liegt im Korridor über 0 bis 10 h/Jahr → Stufe 1 (gering); " \
               "noch mehr als 9,999 h/Jahr bis Stufe 2, ab 0,001 h/Jahr weniger Stufe 0" in text
        # (before: „noch mehr als 10,00 h/Jahr“ — 10 more does reach Stufe 2 — and „ab 0,00 h/Jahr weniger“)

    def test_a_distance_of_the_unit_places_keeps_its_layout(self) -> None:
        text = HOURS.evaluate({"lp3b": {"stunden": 12}}, explain=True).render_text(explain=True)
        assert "12 h/Jahr liegt im Korridor über 10 h/Jahr → Stufe 2 (mittel); ab 2,00 h/Jahr weniger Stufe 1" in text

    @settings(max_examples=examples(100), deadline=None)
    @given(st.decimals(min_value=0, max_value=100, places=4))
    def test_the_distances_shown_are_the_distances(self, hours: Decimal) -> None:
        result = HOURS.evaluate({"lp3b": {"stunden": hours}}, explain=True)
        margin = result.level_margin("lp3b")
        line = next(line for line in result.render_text(explain=True).splitlines() if "liegt im Korridor" in line)
        steps = line.rsplit("  [", 1)[0].split("; ", 1)[1].split(", ")
        for step in (margin.to_next, margin.to_previous):
            if step is None:
                continue
            shown = [part for part in steps if part.endswith(f"Stufe {step.level}")]
            assert len(shown) == 1, line
            number = shown[0].split(" h/Jahr")[0].rsplit(" ", 1)[-1]
            assert Decimal(number.replace(".", "").replace(",", ".")) == step.amount, (hours, line)

    def test_the_computed_quantity_beside_a_granted_level_is_shown_as_given(self) -> None:
        model = teilhabe_rules.load(ROOT / "models" / "mawo.rules")
        from teilhabe_rules.inputs.cases import read_data

        case = read_data(ROOT / "examples" / "mawo" / "person_grundfall.toml")
        case["bewohner"][0]["lp3b"] = {"stunden": "0,001 h/Jahr", "bewilligte_stufe": 2, "begründung": "Bescheid"}
        text = model.evaluate(case, explain=True).render_text(explain=True)
        assert f"die berechnete Menge {_german(Decimal('0.001'))} h/Jahr: noch mehr als 9,999 h/Jahr bis " \
               "bewilligte Stufe 2" in text


MINUTES = teilhabe_rules.loads(
    "modell m\n  version \"1\"\n  gültig ab 01.01.2025\nende\n"
    "paket lp3b \"LP 3b\"\n"
    "  stufen\n    0 \"kein\"\n    1 \"gering\"\n    2 \"mittel\"\n  ende\n"
    "  eingabe minuten: zahl min/Tag von 0 bis 100\n"
    "  wert stunden: zahl h/Jahr = minuten * 365 Tage/Jahr / 60 min/h\n"
    "  stufe nach korridor stunden\n    0: ab 0 bis 0\n    1: über 0 bis 10\n    2: über 10\n  ende\n"
    "ende\n", "minuten.rules")


class TestComputedQuantity:
    """A corridor over a computed value (minutes a day as hours a year: 7 × 365 ÷ 60 =
    42,58333…): its distances have no end, so they are rounded to the unit's places — in the
    direction that keeps the sentence true, never to 28 digits."""

    def test_a_repeating_distance_is_rounded_so_that_its_sentence_holds(self) -> None:
        text = MINUTES.evaluate({"lp3b": {"minuten": "7 min/Tag"}}, explain=True).render_text(explain=True)
        assert "42,58 h/Jahr liegt im Korridor über 10 h/Jahr → Stufe 2 (mittel); ab 32,59 h/Jahr weniger Stufe 1" \
            in text  # (32,5833…: 32,59 less reaches Stufe 1, 32,58 does not)
        text = MINUTES.evaluate({"lp3b": {"minuten": "1 min/Tag"}}, explain=True).render_text(explain=True)
        assert "noch mehr als 3,91 h/Jahr bis Stufe 2, ab 6,09 h/Jahr weniger Stufe 0" in text

    def test_a_distance_below_the_unit_s_places_shows_its_first_places_that_are_not_0(self) -> None:
        text = MINUTES.evaluate({"lp3b": {"minuten": "1.6438 min/Tag"}}, explain=True).render_text(explain=True)
        assert "noch mehr als 0,0002 h/Jahr bis Stufe 2, ab 10,00 h/Jahr weniger Stufe 0" in text

    @settings(max_examples=examples(100), deadline=None)
    @given(st.decimals(min_value=0, max_value=100, places=4))
    def test_every_distance_shown_is_true_and_near(self, minutes: Decimal) -> None:
        """„noch mehr als X“ / „mehr als X weniger“: X at most the distance; „noch X“ / „ab X
        weniger“: X at least it; within a hundredth of it, or shown with every digit."""
        result = MINUTES.evaluate({"lp3b": {"minuten": minutes}}, explain=True)
        margin = result.level_margin("lp3b")
        line = next(line for line in result.render_text(explain=True).splitlines() if "liegt im Korridor" in line)
        steps = line.rsplit("  [", 1)[0].split("; ", 1)[1].split(", ")
        for step in (margin.to_next, margin.to_previous):
            if step is None:
                continue
            shown = [part for part in steps if part.endswith(f"Stufe {step.level}")]
            assert len(shown) == 1, line
            assert ("mehr als " in shown[0]) == step.strict, line
            number = Decimal(shown[0].split(" h/Jahr")[0].rsplit(" ", 1)[-1].replace(".", "").replace(",", "."))
            assert (number <= step.amount) if step.strict else (number >= step.amount), (minutes, line)
            assert abs(number - step.amount) < Decimal("0.01"), (minutes, line)
            assert len(number.as_tuple().digits) <= 12, line  # (never Decimal's 28 digits)



DAYS = teilhabe_rules.loads(
    "modell t\n  version \"1\"\n  gültig ab 01.01.2025\nende\n"
    "eingabe tage: ganzzahl Tage von 0 bis 100\n"
    "paket lp \"LP\"\n"
    "  stufen\n    0 \"kein\"\n    1 \"gering\"\n    2 \"mehr\"\n  ende\n"
    "  stufe nach korridor tage\n    0: ab 0 bis 0\n    1: über 0 bis 10\n    2: über 10\n  ende\n"
    "ende\n"
)


class TestOneDay:
    """A quantity of one day is „1 Tag“ in the explanation and in the message of no band; a
    range keeps the plural."""

    def test_the_explanation_says_one_day(self) -> None:
        text = DAYS.evaluate({"tage": 1}, explain=True).render_text(explain=True)
        assert "1 Tag liegt im Korridor über 0 bis 10 Tage → Stufe 1 (gering)" in text
        assert "2 Tage liegt im Korridor" in DAYS.evaluate({"tage": 2}, explain=True).render_text(explain=True)

    @pytest.mark.parametrize(("days", "unit", "shown"), [
        ("-1", "Tage", "-1 Tag"), ("1", "Plätze", "1 Platz"), ("-2", "Tage", "-2 Tage"), ("1", "EUR/Tag", "1 EUR/Tag"),
        ("1", "", "1"),
    ])
    def test_no_band_says_one_day(self, days: str, unit: str, shown: str) -> None:
        from teilhabe_rules.runtime.faults import Fault, FaultKind

        fault = Fault(FaultKind.NO_BAND, value=Decimal(days), package="lp", unit=unit)
        assert fault.message().startswith(f"{shown} liegt in keinem Korridorband von „lp“")
