"""Evaluating cases: exact decimal arithmetic, units, corridors, tables, lists, checks, levels."""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules import AgreementError, CaseError, CheckError, EvaluationError, TeilhabeError, ValidityError

HEAD = 'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'

# The library computes in 28 significant digits; expected values are derived in the same context.
CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


def model(body: str, head: str = HEAD) -> teilhabe_rules.Model:
    return teilhabe_rules.loads(head + body, "probe.rules")


def walk(value: Any) -> list[Any]:
    """Every leaf of a nested dict/list structure."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in walk(v)] + [leaf for k in value for leaf in walk(k)]
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in walk(v)]
    return [value]


UNITS = model(
    "eingabe pflege: zahl min/Tag von 0 bis 1000\n"
    "eingabe assistenz: zahl h/Woche von 0 bis 100\n"
    "parameter leitung: schlüssel = 1:35\n"
    "wert pflege_jahr = pflege als h/Jahr\n"
    "wert assistenz_jahr = assistenz als h/Jahr\n"
    "wert zusammen: h/Jahr = pflege_jahr + assistenz_jahr\n"
    "wert anteil = 45 %\n"
    "wert gekürzt: h/Jahr = zusammen * anteil\n"
    "wert vk = 1:35 * 24 Personen\n"
    "wert vk_parameter = leitung * 24 Personen\n"
)


class TestUnits:
    """Conversions, percentages and staff keys are exact and keep their units."""

    def test_minutes_per_day_as_hours_per_year(self) -> None:
        result = UNITS.evaluate({"pflege": 15, "assistenz": 0})
        # 15 min/Tag × 365 Tage/Jahr ÷ 60 min/h = 5475/60 = 91.25 (exact)
        assert result.value("pflege_jahr") == Decimal("91.25")
        assert result.quantity("pflege_jahr").unit == "h/Jahr"

    def test_hours_per_week_as_hours_per_year_in_28_digits(self) -> None:
        result = UNITS.evaluate({"pflege": 0, "assistenz": 2})
        with decimal.localcontext(CONTEXT):
            expected = Decimal(2) * 365 / 7  # a year is 365/7 weeks
        assert expected == Decimal(730) / Decimal(7)
        value = result.value("assistenz_jahr")
        assert isinstance(value, Decimal) and value == expected
        assert len(value.as_tuple().digits) == 28

    def test_sum_after_conversion(self) -> None:
        result = UNITS.evaluate({"pflege": 15, "assistenz": 2})
        with decimal.localcontext(CONTEXT):
            expected = Decimal(15) * 365 / 60 + Decimal(2) * 365 / 7
        assert result.value("zusammen") == expected

    def test_percent_is_a_share_and_shown_as_percent(self) -> None:
        result = UNITS.evaluate({"pflege": 15, "assistenz": 0})
        assert result.value("anteil") == Decimal("0.45")
        assert result.quantity("anteil").to_dict() == {"wert": "45", "einheit": "%"}
        assert result.to_dict()["ergebnis"]["werte"]["anteil"] == {"wert": "45", "einheit": "%"}
        # 91.25 h/Jahr × 0.45 = 41.0625 h/Jahr, and the unit stays h/Jahr
        assert result.value("gekürzt") == Decimal("91.25") * Decimal("0.45") == Decimal("41.0625")
        assert result.quantity("gekürzt").unit == "h/Jahr"

    def test_staff_key_times_count(self) -> None:
        result = UNITS.evaluate({"pflege": 0, "assistenz": 0})
        with decimal.localcontext(CONTEXT):
            expected = Decimal(24) / Decimal(35)  # one VK per 35 persons, 24 persons
        assert result.value("vk") == expected
        assert result.value("vk_parameter") == expected
        assert result.quantity("vk").unit == "VK"


CORRIDOR = model(
    "eingabe minuten: zahl min/Tag von 0 bis 100\n"
    "parameter obergrenze: min/Tag = 21\n"
    "paket lp2a \"LP 2a\"\n"
    "  stufen\n"
    "    0 \"kein Bedarf\"\n"
    "    1 \"gering\"\n"
    "    2 \"mittel\"\n"
    "    3 \"hoch\"\n"
    "  ende\n"
    "  stufe nach korridor minuten\n"
    "    0: ab 0 bis 0\n"
    "    1: über 0 bis 7\n"
    "    2: über 7 unter obergrenze\n"
    "    3: ab obergrenze\n"
    "  ende\n"
    "ende\n"
)


class TestCorridor:
    """A corridor picks the one band containing the quantity, honouring inclusive/exclusive bounds."""

    @pytest.mark.parametrize(
        ("minutes", "level"),
        [
            ("0", 0),  # ab 0 bis 0: the single point 0
            ("0.001", 1),  # just above 0 → über 0
            ("6.999", 1),
            ("7", 1),  # bis 7 includes 7
            ("7.001", 2),  # über 7 excludes 7
            ("20.999", 2),
            ("21", 3),  # unter 21 excludes 21, ab 21 includes it
            ("21.001", 3),
            ("100", 3),
        ],
    )
    def test_band_at_and_around_bounds(self, minutes: str, level: int) -> None:
        result = CORRIDOR.evaluate({"minuten": minutes})
        assert result.value("lp2a.stufe") == level
        assert result.value("lp2a.berechnete_stufe") == level

    def test_parameter_bound_follows_an_agreement(self) -> None:
        # with the bound agreed at 10, 15 min/Tag is no longer below it
        assert CORRIDOR.evaluate({"minuten": 15}).value("lp2a.stufe") == 2
        agreed = CORRIDOR.evaluate({"minuten": 15}, {"parameter": {"obergrenze": "10 min/Tag"}})
        assert agreed.value("lp2a.stufe") == 3
        assert CORRIDOR.evaluate({"minuten": 15}).value("lp2a.stufe") == 2

    def test_explanation_names_quantity_and_band(self) -> None:
        result = CORRIDOR.evaluate({"minuten": 7}, explain=True)
        text = result.explain("lp2a.berechnete_stufe").text
        assert text == ("7 min/Tag liegt im Korridor über 0 bis 7 min/Tag → Stufe 1 (gering); "
                        "noch mehr als 0 min/Tag bis Stufe 2, ab 7 min/Tag weniger Stufe 0")

    def test_explanation_of_a_converted_quantity_with_computed_bounds(self) -> None:
        converted = model(
            "eingabe minuten: zahl min/Tag von 0 bis 600\n"
            "parameter grenze: h/Tag = 2\n"
            "paket p\n"
            "  stufen\n"
            "    0 \"niedrig\"\n"
            "    1 \"hoch\"\n"
            "  ende\n"
            "  stufe nach korridor minuten als h/Tag\n"
            "    0: bis grenze * 2\n"
            "    1: über grenze * 2\n"
            "  ende\n"
            "ende\n"
        )
        result = converted.evaluate({"minuten": 300}, explain=True)
        # 300 min/Tag = 5 h/Tag, above 2 × 2 = 4 h/Tag
        assert result.value("p.stufe") == 1
        assert result.explain("p.berechnete_stufe").text == (
            "5 h/Tag liegt im Korridor über 4 h/Tag → Stufe 1 (hoch); ab 1 h/Tag weniger Stufe 0"
        )


TABLES = model(
    "aufzählung Pflegegrad \"Pflegegrad\"\n"
    "  0 \"kein\"\n"
    "  1 \"PG 1\"\n"
    "  2 \"PG 2\"\n"
    "ende\n"
    "aufzählung Dienst\n"
    "  qa \"qualifizierte Assistenz\"\n"
    "  ua \"unterstützende Assistenz\"\n"
    "ende\n"
    "tabelle minuten \"Pflegeminuten\": Pflegegrad -> min/Tag\n"
    "  0: 0\n"
    "  1: 12\n"
    "  2: 15\n"
    "ende\n"
    "tabelle poolanteil \"Anteil\": ganzzahl Personen -> % teilweise\n"
    "  1: 100 %\n"
    "  2: 65 %\n"
    "  3: 45 %\n"
    "ende\n"
    "tabelle satz \"Satz\": Dienst, Pflegegrad -> EUR/h teilweise\n"
    "  qa, 0: 60\n"
    "  qa, 1: 70\n"
    "  ua, 2: 50.5\n"
    "ende\n"
    "eingabe pg: Pflegegrad\n"
    "eingabe dienst: Dienst\n"
    "liste massnahmen \"Maßnahmen\" höchstens 5\n"
    "  eingabe stunden: zahl h/Jahr von 0 bis 2000\n"
    "  eingabe personen: ganzzahl Personen von 1 bis 10 standard 1\n"
    "  wert anteil: % = poolanteil[personen]\n"
    "  wert abrechenbar: h/Jahr = stunden * anteil\n"
    "ende\n"
    "wert pflege = minuten[pg]\n"
    "wert stundensatz = satz[dienst, pg]\n"
    "wert fest = satz[Dienst.qa, 1]\n"
    "wert gesamt: h/Jahr = summe(massnahmen.abrechenbar)\n"
)


class TestTables:
    """Lookups by enum, integer and two keys; a missing row of a partial table names key and path."""

    def test_enum_key(self) -> None:
        for pg, minutes in [(0, "0"), (1, "12"), (2, "15")]:
            result = TABLES.evaluate({"pg": pg, "dienst": "ua" if pg == 2 else "qa", "massnahmen": []})
            assert result.value("pflege") == Decimal(minutes)

    def test_two_keys(self) -> None:
        result = TABLES.evaluate({"pg": 2, "dienst": "ua", "massnahmen": []})
        assert result.value("stundensatz") == Decimal("50.5")
        assert result.value("fest") == Decimal("70")
        assert result.quantity("stundensatz").unit == "EUR/h"

    def test_integer_key(self) -> None:
        case = {"pg": 1, "dienst": "qa", "massnahmen": [{"stunden": 100, "personen": 3}, {"stunden": 10}]}
        result = TABLES.evaluate(case)
        assert result.value("massnahmen[1].anteil") == Decimal("0.45")
        assert result.value("massnahmen[2].anteil") == Decimal(1)  # default 1 person → 100 %
        # 100 × 0.45 + 10 × 1 = 55
        assert result.value("gesamt") == Decimal(100) * Decimal("0.45") + Decimal(10)

    def test_missing_row_names_key_known_keys_and_element(self) -> None:
        case = {"pg": 1, "dienst": "qa", "massnahmen": [{"stunden": 1}, {"stunden": 1, "personen": 4}]}
        with pytest.raises(EvaluationError, match="keinen Eintrag für 4") as info:
            TABLES.evaluate(case)
        (diagnostic,) = info.value.diagnostics
        assert "„poolanteil“" in diagnostic.message
        assert diagnostic.hint == "vorhandene Einträge: 1, 2, 3"
        assert diagnostic.path == "$.massnahmen[2]"
        assert "@ $.massnahmen[2]" in info.value.render()

    def test_missing_row_with_two_keys(self) -> None:
        with pytest.raises(EvaluationError, match=r"keinen Eintrag für \(ua, 0\)") as info:
            TABLES.evaluate({"pg": 0, "dienst": "ua", "massnahmen": []})
        assert info.value.diagnostics[0].hint == "vorhandene Einträge: (qa, 0), (qa, 1), (ua, 2)"


LISTS = model(
    "liste massnahmen \"Maßnahmen\" mindestens 0 höchstens 10\n"
    "  eingabe stunden: zahl h/Jahr von 0 bis 2000\n"
    "  eingabe personen: ganzzahl Personen von 1 bis 10 standard 1\n"
    "  wert nummer = position\n"
    "  wert zuwachs: h/Jahr = wenn position > 1 dann stunden - vorher.stunden sonst 0\n"
    "  liste termine \"Termine\"\n"
    "    eingabe dauer: zahl h von 0 bis 10\n"
    "    wert doppelt: h = dauer * 2\n"
    "    wert platz = position\n"
    "  ende\n"
    "  wert terminstunden: h = summe(termine.doppelt)\n"
    "  wert termine_anzahl = anzahl(termine)\n"
    "ende\n"
    "wert summe_alle: h/Jahr = summe(massnahmen.stunden)\n"
    "wert summe_gruppe: h/Jahr = summe(massnahmen.stunden wo personen > 1)\n"
    "wert anzahl_alle = anzahl(massnahmen)\n"
    "wert anzahl_gruppe = anzahl(massnahmen wo personen > 1)\n"
    "wert kleinste = min(massnahmen.stunden)\n"
    "wert größte = max(massnahmen.stunden)\n"
    "wert erste = erstes(massnahmen.stunden)\n"
    "wert letzte = letztes(massnahmen.stunden)\n"
    "wert letzte_gruppe = letztes(massnahmen.stunden wo personen > 1)\n"
    "wert alle_termine: h = summe(massnahmen.terminstunden)\n"
)

LIST_CASE = {
    "massnahmen": [
        {"stunden": 10, "termine": [{"dauer": 1}, {"dauer": "2.5 h"}]},
        {"stunden": 30, "personen": 2, "termine": []},
        {"stunden": "5 h/Jahr", "personen": 3, "termine": [{"dauer": 0.25}]},
    ]
}


class TestLists:
    """Aggregates over lists (with and without `wo`), nested lists, position and vorher."""

    def test_aggregates(self) -> None:
        result = LISTS.evaluate(LIST_CASE)
        hours = [Decimal(10), Decimal(30), Decimal(5)]
        group = [h for h, persons in zip(hours, [1, 2, 3], strict=True) if persons > 1]
        assert result.value("summe_alle") == sum(hours)
        assert result.value("summe_gruppe") == sum(group)
        assert result.value("anzahl_alle") == 3
        assert result.value("anzahl_gruppe") == len(group)
        assert result.value("kleinste") == min(hours)
        assert result.value("größte") == max(hours)
        assert result.value("erste") == hours[0]
        assert result.value("letzte") == hours[-1]
        assert result.value("letzte_gruppe") == group[-1]

    def test_empty_list(self) -> None:
        empty = model(
            "liste m\n  eingabe x: zahl EUR von 0 bis 9\nende\n"
            "wert s: EUR = summe(m.x)\nwert n = anzahl(m)\nwert k = min(m.x)\n"
        )
        with pytest.raises(EvaluationError, match=r"min\(…\) über m: die Liste ist leer") as info:
            empty.evaluate({"m": []})
        assert info.value.diagnostics[0].path == "$"
        # without the min, sum and count of nothing are zero
        no_min = model("liste m\n  eingabe x: zahl EUR von 0 bis 9\nende\n"
                       "wert s: EUR = summe(m.x)\nwert n = anzahl(m)\n")
        result = no_min.evaluate({"m": []})
        assert result.value("s") == 0 and result.value("n") == 0

    @pytest.mark.parametrize("function", ["min", "max", "erstes", "letztes"])
    def test_a_filter_no_element_meets_is_named_not_an_empty_list(self, function: str) -> None:
        """The list has elements; the ``wo`` condition left none: the message and the hint say so."""
        filtered = model(f"liste m\n  eingabe x: zahl EUR von 0 bis 9\nende\nwert k: EUR = {function}(m.x wo x > 5)\n")
        with pytest.raises(EvaluationError) as info:
            filtered.evaluate({"m": [{"x": 1}, {"x": 2}]})
        (diagnostic,) = info.value.diagnostics
        assert diagnostic.message == f"{function}(…) über m wo …: kein Element erfüllt die Bedingung (bei „k“)"
        assert diagnostic.hint == (f"{function} über kein Element hat keinen Wert; frage zuerst mit derselben "
                                   "Bedingung „wenn anzahl(m wo …) > 0 dann … sonst …“")
        assert filtered.evaluate({"m": [{"x": 1}, {"x": 7}]}).value("k") == 7

    def test_position_and_previous(self) -> None:
        result = LISTS.evaluate(LIST_CASE)
        assert [result.value(f"massnahmen[{i}].nummer") for i in (1, 2, 3)] == [1, 2, 3]
        # first element: sonst-branch 0; then 30 − 10 and 5 − 30
        assert [result.value(f"massnahmen[{i}].zuwachs") for i in (1, 2, 3)] == [0, 20, -25]
        assert result.to_dict()["ergebnis"]["listen"]["massnahmen"][1]["werte"]["nummer"] == {"wert": "2"}

    def test_nested_lists(self) -> None:
        result = LISTS.evaluate(LIST_CASE)
        assert result.value("massnahmen[1].termine[2].doppelt") == Decimal("2.5") * 2
        assert result.value("massnahmen[1].termine[2].platz") == 2
        assert result.value("massnahmen[1].terminstunden") == (1 + Decimal("2.5")) * 2
        assert result.value("massnahmen[2].terminstunden") == 0
        assert result.value("massnahmen[3].termine_anzahl") == 1
        assert result.value("alle_termine") == (1 + Decimal("2.5") + Decimal("0.25")) * 2

    def test_previous_on_the_first_element_is_an_error(self) -> None:
        eager = model("liste m\n  eingabe x: zahl von 0 bis 9\n  wert d = x - vorher.x\nende\n")
        assert eager.evaluate({"m": []}).value("m") == []
        with pytest.raises(EvaluationError, match="„vorher.x“ gibt es beim ersten Element nicht") as info:
            eager.evaluate({"m": [{"x": 1}, {"x": 2}]})
        assert info.value.diagnostics[0].path == "$.m[1]"

    def test_list_bounds(self) -> None:
        bounded = model("liste m mindestens 1 höchstens 2\n  eingabe x: zahl von 0 bis 9\nende\n")
        with pytest.raises(CaseError, match="mindestens 1"):
            bounded.evaluate({"m": []})
        with pytest.raises(CaseError, match="höchstens 2"):
            bounded.evaluate({"m": [{"x": 1}] * 3})


CHECKS = model(
    "liste massnahmen \"Maßnahmen\"\n"
    "  eingabe stunden: zahl h/Jahr von 0 bis 2000\n"
    "  prüfung \"Maßnahme {position}: {stunden} sind mehr als 1000 h/Jahr\": stunden <= 1000 h/Jahr\n"
    "ende\n"
    "eingabe beginn: datum\n"
    "eingabe schluss: datum\n"
    "wert gesamt: h/Jahr = summe(massnahmen.stunden)\n"
    "prüfung \"Der Zeitraum endet ({schluss}) vor seinem Beginn ({beginn})\": schluss >= beginn\n"
    "warnung \"Nur {gesamt} insgesamt\": gesamt >= 100 h/Jahr\n"
)


class TestChecks:
    """A prüfung rejects the case with every failure at once; a warnung only annotates the result."""

    def test_all_failures_with_paths_and_values(self) -> None:
        case = {
            "beginn": "2024-06-01",
            "schluss": "2024-01-31",
            "massnahmen": [{"stunden": 1500}, {"stunden": 10}, {"stunden": "1000.5"}],
        }
        with pytest.raises(CaseError, match="Maßnahme 1: 1500 h/Jahr sind mehr als 1000 h/Jahr") as info:
            CHECKS.evaluate(case)
        found = {(d.path, d.message) for d in info.value.diagnostics}
        assert found == {
            ("$.massnahmen[1]", "Maßnahme 1: 1500 h/Jahr sind mehr als 1000 h/Jahr"),
            ("$.massnahmen[3]", "Maßnahme 3: 1000.5 h/Jahr sind mehr als 1000 h/Jahr"),
            ("$", "Der Zeitraum endet (31.01.2024) vor seinem Beginn (01.06.2024)"),
        }
        assert all(d.code == "prüfung" and d.location is not None for d in info.value.diagnostics)

    def test_warning_goes_into_the_result(self) -> None:
        case = {"beginn": "2024-01-01", "schluss": "2024-12-31", "massnahmen": [{"stunden": 40}, {"stunden": "2.5"}]}
        result = CHECKS.evaluate(case)
        assert result.warnings == ("Nur 42.5 h/Jahr insgesamt",)
        assert result.to_dict()["warnungen"] == ["Nur 42.5 h/Jahr insgesamt"]
        assert CHECKS.evaluate({**case, "massnahmen": [{"stunden": 100}]}).warnings == ()


LEVELS = model(
    "eingabe minuten: zahl min/Tag von 0 bis 100\n"
    "paket lp2a \"LP 2a\"\n"
    "  stufen\n"
    "    0 \"kein\"\n"
    "    1 \"gering\"\n"
    "    2 \"mittel\"\n"
    "  ende\n"
    "  stufe nach korridor minuten\n"
    "    0: bis 0\n"
    "    1: über 0 bis 7\n"
    "    2: über 7\n"
    "  ende\n"
    "  parameter satz: EUR/Tag = 10\n"
    "  wert betrag: EUR/Tag = stufe_mal * satz\n"
    "  wert stufe_mal = lp2a.stufe\n"
    "ende\n"
    "paket lp1a \"LP 1a\"\n"
    "  stufen\n"
    "    0 \"kein\"\n"
    "    1 \"zeitweise\" \"Personal ist erreichbar\"\n"
    "    2 \"ständig\" \"Personal ist im Raum\"\n"
    "  ende\n"
    "  stufe nach einschätzung\n"
    "ende\n"
    "wert summe_stufen = lp2a.stufe + lp1a.stufe\n"
    "wert berechnet = lp2a.berechnete_stufe\n"
)


class TestLevels:
    """Granted levels override computed ones with a reason; assessed levels come from the case."""

    def test_computed_level_without_grant(self) -> None:
        result = LEVELS.evaluate({"minuten": 3, "lp1a": {"stufe": 2}})
        assert result.value("lp2a.stufe") == 1
        assert result.value("lp2a.betrag") == Decimal(10)
        level = dict(result.to_dict()["ergebnis"]["pakete"]["lp2a"]["stufe"])
        # what would change the level: tests/runtime/test_level_margins.py
        assert level.pop("korridor")["band"] == "über 0 bis 7"
        assert level == {"berechnet": 1, "bewilligt": None, "wirksam": 1, "bezeichnung": "gering", "begründung": None}

    def test_granted_level_is_effective_and_both_are_shown(self) -> None:
        case = {"minuten": 3, "lp1a": {"stufe": 0}, "lp2a": {"bewilligte_stufe": 2, "begründung": "Nachtunruhe"}}
        result = LEVELS.evaluate(case)
        assert result.value("lp2a.berechnete_stufe") == 1
        assert result.value("lp2a.stufe") == 2
        assert result.value("berechnet") == 1
        # later values use the effective (granted) level: 2 × 10 EUR/Tag
        assert result.value("lp2a.betrag") == Decimal(20)
        assert result.value("summe_stufen") == 2 + 0
        level = dict(result.to_dict()["ergebnis"]["pakete"]["lp2a"]["stufe"])
        assert level.pop("korridor")["bewilligte"]["stufe"] == 2
        assert level == {"berechnet": 1, "bewilligt": 2, "wirksam": 2, "bezeichnung": "mittel",
                         "begründung": "Nachtunruhe"}
        package = result.root.packages["lp2a"]
        assert (package.computed_level, package.granted_level, package.level) == (1, 2, 2)
        text = result.render_text(explain=True)
        assert "bewilligt, berechnet war Stufe 1; Begründung: Nachtunruhe" in text

    def test_grant_without_reason_is_a_case_error(self) -> None:
        with pytest.raises(CaseError, match="braucht eine Begründung") as info:
            LEVELS.evaluate({"minuten": 3, "lp1a": {"stufe": 0}, "lp2a": {"bewilligte_stufe": 2}})
        assert info.value.diagnostics[0].path == "$.lp2a.begründung"

    def test_grant_outside_the_levels_is_a_case_error(self) -> None:
        with pytest.raises(CaseError, match="gehört nicht zu Stufe von lp2a"):
            LEVELS.evaluate({"minuten": 3, "lp1a": {"stufe": 0}, "lp2a": {"bewilligte_stufe": 5, "begründung": "x"}})

    def test_assessed_level_comes_from_the_case(self) -> None:
        for assessed in (0, 1, 2):
            result = LEVELS.evaluate({"minuten": 0, "lp1a": {"stufe": assessed}})
            assert result.value("lp1a.stufe") == assessed
            assert result.value("summe_stufen") == assessed
        with pytest.raises(CaseError, match=r"fehlt \(Pflichtangabe\)") as info:
            LEVELS.evaluate({"minuten": 0})
        assert info.value.diagnostics[0].path.startswith("$.lp1a")

    def test_assessed_level_explanation_quotes_criteria(self) -> None:
        result = LEVELS.evaluate({"minuten": 0, "lp1a": {"stufe": 2}}, explain=True)
        assert result.explain("lp1a.stufe").text == (
            "Stufe 2 (ständig) nach fachlicher Einschätzung; Kriterien: Personal ist im Raum"
        )


GRANTED = model(
    "eingabe minuten: zahl min/Tag von 0 bis 100\n"
    "liste personen \"Personen\" mindestens 1\n"
    "  eingabe name: text\n"
    "  paket lp2a \"LP 2a\"\n"
    "    stufen\n      0 \"kein\"\n      1 \"gering\"\n      2 \"mittel\"\n    ende\n"
    "    stufe nach korridor minuten\n      0: bis 0\n      1: über 0 bis 7\n      2: über 7\n    ende\n"
    "  ende\n"
    "  paket lp1a \"LP 1a\"\n"
    "    stufen\n      0 \"kein\"\n      1 \"zeitweise\"\n    ende\n"
    "    stufe nach einschätzung\n"
    "  ende\n"
    "  wert lp2a_bewilligt = lp2a.bewilligt\n"
    "  wert beide_bewilligt = lp2a.bewilligt und lp1a.bewilligt\n"
    "  warnung \"Für {name} ist keine Stufe in LP 2a bewilligt\": lp2a.bewilligt\n"
    "ende\n"
    "wert bewilligte = anzahl(personen wo lp2a.bewilligt)\n"
)


class TestGrantedMember:
    """``PAKET.bewilligt``: whether the case grants the package's level — also where the granted
    level equals the computed one, which ``PAKET.stufe = PAKET.berechnete_stufe`` cannot tell."""

    @staticmethod
    def person(name: str, lp2a: int | None = None, lp1a: int | None = None) -> dict[str, Any]:
        element: dict[str, Any] = {"name": name, "lp1a": {"stufe": 1}}
        if lp2a is not None:
            element["lp2a"] = {"bewilligte_stufe": lp2a, "begründung": "Übergangseinstufung"}
        if lp1a is not None:
            element["lp1a"] |= {"bewilligte_stufe": lp1a, "begründung": "Übergangseinstufung"}
        return element

    def test_a_level_granted_equal_to_the_computed_one_is_granted(self) -> None:
        case = {"minuten": 3, "personen": [self.person("A"), self.person("B", lp2a=1), self.person("C", 2, 0)]}
        result = GRANTED.evaluate(case)
        assert [result.value(f"personen[{i}].lp2a.stufe") for i in (1, 2, 3)] == [1, 1, 2]
        assert [result.value(f"personen[{i}].lp2a_bewilligt") for i in (1, 2, 3)] == [False, True, True]
        assert [result.value(f"personen[{i}].beide_bewilligt") for i in (1, 2, 3)] == [False, False, True]
        assert result.value("bewilligte") == 2
        assert result.warnings == ("Für A ist keine Stufe in LP 2a bewilligt @ $.personen[1]",)

    def test_an_assessed_level_granted_is_granted(self) -> None:
        result = GRANTED.evaluate({"minuten": 0, "personen": [self.person("A", lp2a=0, lp1a=1)]})
        assert result.value("personen[1].beide_bewilligt") is True
        assert result.warnings == ()

    def test_the_explanation_shows_the_member_and_its_truth_value(self) -> None:
        result = GRANTED.evaluate({"minuten": 3, "personen": [self.person("A")]}, explain=True)
        assert result.explain("personen[1].lp2a_bewilligt").text == "lp2a_bewilligt = lp2a.bewilligt = nein"


ROUNDING = model(
    "eingabe betrag: zahl EUR von -100000 bis 100000\n"
    "wert kaufmännisch_2 = runde(betrag, 2, kaufmännisch)\n"
    "wert kaufmännisch_0 = runde(betrag, 0, kaufmännisch)\n"
    "wert ab = runde(betrag, 1, abrunden)\n"
    "wert auf = runde(betrag, 1, aufrunden)\n"
    "wert drittel = betrag / 3\n"
    "wert zurück = drittel * 3\n"
)


class TestRounding:
    """Only runde() rounds (half-up at .5 with kaufmännisch); everything else keeps 28 digits."""

    @pytest.mark.parametrize(
        ("amount", "places2", "places0"),
        [
            ("1551.375", "1551.38", "1551"),  # .375 → .38: half-up, not half-even (.38 either way) …
            ("1551.385", "1551.39", "1551"),  # … but .385 → .39 where half-even would give .38
            ("2.5", "2.50", "3"),  # half-even would give 2
            ("-2.5", "-2.50", "-3"),  # half away from zero
            ("0.005", "0.01", "0"),
        ],
    )
    def test_kaufmännisch_is_half_up(self, amount: str, places2: str, places0: str) -> None:
        result = ROUNDING.evaluate({"betrag": amount})
        assert str(result.value("kaufmännisch_2")) == places2
        assert str(result.value("kaufmännisch_0")) == places0

    def test_abrunden_and_aufrunden(self) -> None:
        result = ROUNDING.evaluate({"betrag": "1.25"})
        assert (result.value("ab"), result.value("auf")) == (Decimal("1.2"), Decimal("1.3"))

    def test_no_rounding_elsewhere(self) -> None:
        result = ROUNDING.evaluate({"betrag": "10"})
        with decimal.localcontext(CONTEXT):
            third = Decimal(10) / 3
            back = third * 3
        assert result.value("drittel") == third
        assert len(third.as_tuple().digits) == 28
        assert result.value("zurück") == back != Decimal(10)  # 9.999…9, not silently rounded to 10
        assert result.quantity("drittel").to_dict()["wert"] == format(third, "f")

    def test_products_keep_all_digits(self) -> None:
        product = model("eingabe h: zahl h/Jahr von 0 bis 1000\nparameter satz: EUR/h = 68.95\n"
                        "wert betrag: EUR/Jahr = h * satz\n")
        # 22.5 h/Jahr × 68.95 EUR/h = 1551.375 EUR/Jahr, not 1551.38
        assert product.evaluate({"h": "22.5"}).value("betrag") == Decimal("1551.375")


DATES = model(
    "eingabe beginn: datum\n"
    "eingabe schluss: datum\n"
    "eingabe monate: ganzzahl von -24 bis 24\n"
    "wert tage = kalendertage(beginn, schluss)\n"
    "wert plus_monate = datum_plus(beginn, monate * 1 Monate)\n"
    "wert plus_jahr = datum_plus(beginn, 1 Jahre)\n"
    "wert plus_wochen = datum_plus(beginn, 2 Wochen)\n"
    "wert plus_tage = beginn + 10 Tage\n"
    "wert minus_woche = beginn - 1 Woche\n"
    "wert im_monat = tage_im_monat(jahr(beginn), monat(beginn))\n"
)


class TestDates:
    """Calendar arithmetic: inclusive day counts, month/year steps clamped to the month's end."""

    @staticmethod
    def add_months(date: dt.date, months: int) -> dt.date:
        total = date.year * 12 + date.month - 1 + months
        year, month = divmod(total, 12)
        return dt.date(year, month + 1, min(date.day, calendar.monthrange(year, month + 1)[1]))

    @pytest.mark.parametrize(
        ("start", "end", "months"),
        [("2024-01-01", "2024-12-31", 1), ("2024-01-31", "2024-03-01", 1), ("2023-03-31", "2023-03-31", -1),
         ("2024-02-29", "2025-02-28", 12), ("2024-08-31", "2024-09-30", 6)],
    )
    def test_calendar_arithmetic(self, start: str, end: str, months: int) -> None:
        result = DATES.evaluate({"beginn": start, "schluss": end, "monate": months})
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        assert result.value("tage") == Decimal((last - first).days + 1)  # both ends count
        assert result.quantity("tage").unit == "Tage"
        assert result.value("plus_monate") == self.add_months(first, months)
        assert result.value("plus_jahr") == self.add_months(first, 12)
        assert result.value("plus_wochen") == first + dt.timedelta(days=14)
        assert result.value("plus_tage") == first + dt.timedelta(days=10)
        assert result.value("minus_woche") == first - dt.timedelta(days=7)
        assert result.value("im_monat") == calendar.monthrange(first.year, first.month)[1]

    def test_known_values(self) -> None:
        result = DATES.evaluate({"beginn": "2024-01-31", "schluss": "2024-12-31", "monate": 1})
        assert result.value("tage") == 336  # 2024 is a leap year: 366 − 30 days of January
        assert result.value("plus_monate") == dt.date(2024, 2, 29)  # 31 Jan + 1 month, clamped
        assert result.to_dict()["ergebnis"]["werte"]["plus_monate"] == {"wert": "2024-02-29"}
        leap = DATES.evaluate({"beginn": "29.02.2024", "schluss": "01.03.2024", "monate": 0})
        assert leap.value("plus_jahr") == dt.date(2025, 2, 28)
        assert leap.value("tage") == 2


class TestFailures:
    """Evaluation errors are TeilhabeErrors naming the value that could not be computed."""

    def test_division_by_zero_names_the_value(self) -> None:
        quotient = model("eingabe teiler: zahl von 0 bis 10\nwert quote: EUR = 10 EUR / teiler\n")
        with pytest.raises(EvaluationError, match="Division durch null beim Berechnen von „quote“") as info:
            quotient.evaluate({"teiler": 0})
        diagnostic = info.value.diagnostics[0]
        assert diagnostic.location is not None and diagnostic.location.line == 6
        assert diagnostic.source_line == "wert quote: EUR = 10 EUR / teiler"
        assert quotient.evaluate({"teiler": 4}).value("quote") == Decimal("2.5")

    def test_level_rule_outside_the_levels_at_runtime(self) -> None:
        # (x without a range: the checker cannot know the rule's values — with „von 0 bis 10“ it
        # finds the 2 itself)
        rule = "paket p\n  stufen\n    0 \"a\"\n    1 \"b\"\n  ende\n  stufe = runde(x / 5, 0, abrunden)\nende\n"
        with pytest.raises(CheckError, match="kann 2 ergeben"):
            model("eingabe x: zahl von 0 bis 10\n" + rule)
        lookup = model("eingabe x: zahl\n" + rule)
        assert lookup.evaluate({"x": 9}).value("p.stufe") == 1
        with pytest.raises(EvaluationError, match="ergibt 2, das ist keine Stufe des Pakets"):
            lookup.evaluate({"x": 10})

    def test_bad_case_data_reports_every_problem(self) -> None:
        with pytest.raises(CaseError) as info:
            TABLES.evaluate({"pg": 3, "dienst": "qb", "extra": 1, "massnahmen": []})
        paths = sorted(d.path for d in info.value.diagnostics)
        assert paths == ["$.dienst", "$.extra", "$.pg"]
        assert isinstance(info.value, TeilhabeError)


class TestPurity:
    """Evaluation is repeatable, leaves its input alone and produces no floats."""

    def test_twice_gives_equal_results(self) -> None:
        first = LISTS.evaluate(LIST_CASE)
        second = LISTS.evaluate(LIST_CASE)
        assert first == second
        assert first.to_dict() == second.to_dict()

    def test_input_mapping_is_not_mutated(self) -> None:
        case = copy.deepcopy(LIST_CASE)
        LISTS.evaluate(case, explain=True)
        assert case == LIST_CASE
        levels_case = {"minuten": 3, "lp1a": {"stufe": 0}, "lp2a": {"bewilligte_stufe": 2, "begründung": "x"}}
        before = copy.deepcopy(levels_case)
        LEVELS.evaluate(levels_case)
        assert levels_case == before

    def test_no_float_in_the_json_form(self) -> None:
        # float input is read through its decimal text; nothing downstream becomes a float
        case = {"massnahmen": [{"stunden": 0.1, "termine": [{"dauer": 0.7}]},
                               {"stunden": 2.675, "personen": 2, "termine": []}]}
        result = LISTS.evaluate(case, explain=True)
        leaves = walk(result.to_dict())
        assert leaves and not any(isinstance(leaf, float) for leaf in leaves)
        assert result.value("summe_alle") == Decimal("0.1") + Decimal("2.675")
        for other in (LEVELS.evaluate({"minuten": 7.5, "lp1a": {"stufe": 1}}, explain=True),
                      CORRIDOR.evaluate({"minuten": 0.001}, explain=True)):
            assert not any(isinstance(leaf, float) for leaf in walk(other.to_dict()))


RATES = model(
    "eingabe stunden: zahl h/Jahr von 0 bis 2000\n"
    "parameter satz: zahl EUR/h von 0 bis 500 = 68.95\n"
    "parameter leitung: schlüssel = 1:50\n"
    "wert betrag: EUR/Jahr = stunden * satz\n"
    "wert vk = leitung * 24 Personen\n"
)


class TestAgreements:
    """Agreed parameter values replace the model's defaults for that evaluation only."""

    def test_agreed_values_are_used(self) -> None:
        agreed = RATES.evaluate({"stunden": 10}, {"parameter": {"satz": "70.10 EUR/h", "leitung": "1:45"}})
        assert agreed.value("betrag") == Decimal(10) * Decimal("70.10")
        with decimal.localcontext(CONTEXT):
            assert agreed.value("vk") == Decimal(24) / Decimal(45)
        plain = RATES.evaluate({"stunden": 10})
        assert plain.value("betrag") == Decimal(10) * Decimal("68.95")
        assert plain.value("vk") == Decimal(24) / Decimal(50)

    def test_number_alone_is_read_in_the_parameter_unit(self) -> None:
        assert RATES.evaluate({"stunden": 2}, {"parameter": {"satz": "60"}}).value("betrag") == Decimal(120)

    def test_bad_agreements_are_rejected(self) -> None:
        with pytest.raises(AgreementError, match="keinen Parameter „satzz“") as info:
            RATES.evaluate({"stunden": 2}, {"parameter": {"satzz": "60"}})
        assert info.value.diagnostics[0].hint == "meinten Sie „satz“?"
        with pytest.raises(AgreementError, match="außerhalb von 0 bis 500"):
            RATES.evaluate({"stunden": 2}, {"parameter": {"satz": "600"}})
        with pytest.raises(AgreementError, match="hat die Einheit „EUR/Tag“"):
            RATES.evaluate({"stunden": 2}, {"parameter": {"satz": "60 EUR/Tag"}})


VALIDITY_HEAD = (
    'modell gueltig "Gültigkeit"\n  version "3.0"\n  gültig ab 01.01.2024\n  gültig bis 31.12.2025\n'
    "  stichtag erstellt_am\nende\n"
)
DATED = model("eingabe erstellt_am: datum\nwert eins = 1\n", head=VALIDITY_HEAD)


class TestValidity:
    """A case dated outside the model's validity is rejected with the model and its validity."""

    @pytest.mark.parametrize("date", ["2024-01-01", "2025-12-31"])
    def test_inside(self, date: str) -> None:
        assert DATED.evaluate({"erstellt_am": date}).value("eins") == 1

    @pytest.mark.parametrize("date", ["2023-12-31", "2026-01-01"])
    def test_outside(self, date: str) -> None:
        shown = dt.date.fromisoformat(date).strftime("%d.%m.%Y")
        with pytest.raises(ValidityError,
                           match=f"erstellt_am {shown} liegt außerhalb der Gültigkeit von „gueltig 3.0“") as info:
            DATED.evaluate({"erstellt_am": date})
        assert "(gültig ab 01.01.2024 bis 31.12.2025)" in info.value.message
        assert info.value.diagnostics[0].path == "$.erstellt_am"

    def test_explicit_reference_date(self) -> None:
        with pytest.raises(ValidityError, match="Stichtag 01.01.2030"):
            DATED.evaluate({"erstellt_am": "2024-06-01"}, at=dt.date(2030, 1, 1))


FAULTS_AT = """modell ort "Ort"
  version "1"
  gültig ab 01.01.2025
ende
eingabe d: datum
eingabe n: ganzzahl von 1 bis 5
tabelle t "T": ganzzahl -> EUR teilweise
  1: 5 EUR
  2: 6 EUR
ende
wert e: datum = d + n * 0.5 Tage
wert f: EUR = 1 EUR + t[n / 2]
"""


def test_a_fault_of_a_lookup_or_a_date_is_shown_where_it_arises() -> None:
    """The caret stands under the days added or the lookup, not at the start of the rule."""
    model = teilhabe_rules.loads(FAULTS_AT, "ort.rules")
    with pytest.raises(EvaluationError) as info:
        model.evaluate({"d": "2025-03-01", "n": 3})
    (found,) = info.value.diagnostics
    assert found.message == "Zu einem Datum lassen sich nur ganze Tage addieren, nicht 1.5 (bei „e“)"
    assert found.location is not None and found.location.end_column is not None
    line = FAULTS_AT.splitlines()[found.location.line - 1]
    assert line[found.location.column - 1:found.location.end_column - 1] == "n * 0.5 Tage"
    fixed = FAULTS_AT.replace("n * 0.5 Tage", "n * 1 Tag")
    with pytest.raises(EvaluationError) as info:
        teilhabe_rules.loads(fixed, "ort.rules").evaluate({"d": "2025-03-01", "n": 3})
    (found,) = info.value.diagnostics
    assert found.message == "Die Tabelle „t“ hat keinen Eintrag für 1.5 (bei „f“)"
    assert found.location is not None and found.location.end_column is not None
    line = fixed.splitlines()[found.location.line - 1]
    assert line[found.location.column - 1:found.location.end_column - 1] == "t[n / 2]"
    assert "^~~~~~~~" in found.render()


def test_a_constant_of_days_that_is_no_whole_number_is_a_check_error() -> None:
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(FAULTS_AT.replace("n * 0.5 Tage", "1.5 Tage"), "ort.rules")
    (found,) = info.value.diagnostics
    assert found.message == "Zu einem Datum lassen sich nur ganze Tage addieren, nicht 1.5"
    assert found.location is not None
    assert (found.location.line, found.location.column) == (11, 21)
    teilhabe_rules.loads(FAULTS_AT.replace("n * 0.5 Tage", "0.5 Wochen * 2"), "ort.rules")


@pytest.mark.parametrize("added", ["1 Jahr", "2 Jahre", "n * 1 Jahr", "1 Monat"])
def test_years_and_months_are_no_days_added_to_a_date(added: str) -> None:
    """A calendar year is no 365 days (nor a month 30): ``datum + 1 Jahr`` is a check error that
    points to ``datum_plus``, never a date 365 days on (31.12.2024 for 01.01.2024)."""
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(FAULTS_AT.replace("n * 0.5 Tage", added), "ort.rules")
    (found,) = info.value.diagnostics
    assert found.message.startswith("Zu einem Datum lassen sich nur Tage oder Wochen addieren, nicht ")
    assert found.hint == "für Monate und Jahre: datum_plus(datum, n Monate)"
    # weeks are whole days
    model = teilhabe_rules.loads(FAULTS_AT.replace("n * 0.5 Tage", "n * 1 Woche"), "ort.rules")
    assert model.evaluate({"d": "2025-03-01", "n": 2}).value("e") == dt.date(2025, 3, 15)


def test_the_euro_sign_alone_is_eur_not_percent() -> None:
    """``5 €`` is 5 EUR, as ``5 EUR`` and ``5 €/h`` are (it was read as ``5 %``)."""
    from teilhabe_rules.syntax.builder import parse_expression

    assert parse_expression("5 €").unit.text == "€"  # type: ignore[attr-defined]
    euro = model("eingabe stunden: zahl h von 0 bis 100\nwert zuschlag = 5 €\n"
                 "wert betrag: EUR = stunden * 10 EUR/h + zuschlag\n")
    result = euro.evaluate({"stunden": 2})
    assert result.quantity("zuschlag").unit == "EUR" and result.value("betrag") == Decimal(25)
    with pytest.raises(CheckError, match="ergibt aber"):
        model("wert a: EUR = 5 %\n")
    model("wert a: EUR = 5 €\n")  # (was: „a“ ist als EUR deklariert, ergibt aber %)


def test_an_equation_is_explained_in_parentheses_not_as_a_chain_of_equals() -> None:
    """The explanation is a chain ``label = formula = values = result``: a value that is a
    comparison, or holds an equation, shows it and its values in parentheses (``(typ = 24) =
    (0 = 24) = nein``), else it reads as one chain of equations; other values keep their lines."""
    equations = model("eingabe typ: ganzzahl von 0 bis 99\neingabe n: ganzzahl von 0 bis 9\n"
                      'wert gilt: ja_nein = typ = 24 "Typ 24"\nwert beide: ja_nein = typ = 24 und n > 1\n'
                      "wert groesser: ja_nein = typ > 24\n")
    result = equations.evaluate({"typ": 0, "n": 2})
    assert result.explain("gilt").text == "Typ 24 = (typ = 24) = (0 = 24) = nein"
    assert result.explain("beide").text == "beide = (typ = 24 und n > 1) = (0 = 24 und 2 > 1) = nein"
    assert result.explain("groesser").text == "groesser = (typ > 24) = (0 > 24) = nein"
    chained = model("eingabe typ: ganzzahl von 0 bis 99\neingabe b: ja_nein\n"
                    "wert w: ja_nein = wenn b dann typ = 24 sonst typ > 2\nwert z: ganzzahl = typ + 1\n")
    result = chained.evaluate({"typ": 0, "b": True})
    assert result.explain("w").text == ("w = (wenn b dann typ = 24 sonst typ > 2) = "
                                        "(wenn ja dann 0 = 24 sonst 0 > 2) = nein")
    assert result.explain("z").text == "z = typ + 1 = 0 + 1 = 1"
