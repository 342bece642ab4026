"""BEI_NRW 3.0 model content: the legacy rate dated by the case's own months, einfache Assistenz,
the Korridormodell for QA, the Budgetvergleich old vs new, the absence rule, version naming and
the frictions of the case format."""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import CaseError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "bei_nrw3"
POPULATION = EXAMPLES / "population_alt_neu.jsonl"
PROPS = settings(
    max_examples=examples(25),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

CENT = Decimal("0.01")
QA_HOURS_GRUNDFALL = Fraction(
    2914, 7
)  # 6 × 181/7 + 4 × 365/7 + 2 × 184/7 h in eigene_haeuslichkeit.toml


@pytest.fixture(scope="module")
def model() -> teilhabe_rules.Model:
    return teilhabe_rules.bundled("bei_nrw3")


def cents(value: Fraction | Decimal) -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def agreement(**parameters: str) -> dict[str, Any]:
    return {"vereinbarung": {"name": "Test", "modell": "bei_nrw3"}, "parameter": parameters}


def legacy_case(**changes: Any) -> dict[str, Any]:
    """The Altsystem case of examples/bei_nrw3/altsystem_lt_hbg.toml as data."""
    case: dict[str, Any] = {
        "erstellt_am": dt.date(2025, 12, 10),
        "wohnform": "besondere_wohnform",
        "leistungstyp": 9,
        "hilfebedarfsgruppe": 2,
        "leistungstyp_tagesstruktur": 24,
        "zeitraum_beginn": dt.date(2026, 1, 1),
        "zeitraum_ende": dt.date(2026, 12, 31),
        "zeitabschnitte": [
            {
                "beginn": dt.date(2026, 1, 1),
                "schluss": dt.date(2026, 12, 31),
                "massnahmen": [
                    {
                        "bezeichnung": "Anleitung zur Tagesstrukturierung",
                        "bereich": "b1",
                        "art": "qa",
                        "stunden": Decimal(4),
                    },
                    {
                        "bezeichnung": "Begleitung zu Arztterminen",
                        "bereich": "b2",
                        "art": "ua",
                        "stunden": Decimal("1.5"),
                    },
                ],
            }
        ],
        "abrechnungsmonate": [],
    }
    case.update(changes)
    return case


def population() -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in POPULATION.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


class TestLegacyRateIsDated:
    """Before 01.01.2020 the Pflegesatz includes board and lodging; from then on only the
    Fachleistung."""

    @PROPS
    @given(
        year=st.integers(2015, 2028),
        month=st.integers(1, 12),
        present=st.integers(0, 28),
        lt_hbg=st.sampled_from([(9, 1), (9, 2), (10, 3), (11, 2), (15, 1), (16, 3), (17, 2)]),
    )
    def test_a_month_is_priced_by_its_own_date(self, model, year, month, present, lt_hbg) -> None:
        lt, hbg = lt_hbg
        case = legacy_case(
            leistungstyp=lt,
            hilfebedarfsgruppe=hbg,
            abrechnungsmonate=[
                {
                    "abrechnungsjahr": year,
                    "abrechnungsmonat": month,
                    "anwesenheitstage": present,
                    "abwesenheitstage": 0,
                }
            ],
        )
        result = model.evaluate(case)
        mp = model.checked.tables["massnahmepauschale"].mapping()[(lt, hbg)]
        before = dt.date(year, month, 1) < dt.date(2020, 1, 1)
        daily = mp + Decimal("42.60") + Decimal("18.90") if before else mp
        assert result.value(("abrechnungsmonate", 1, "vor_trennung")) is before
        assert result.value(("abrechnungsmonate", 1, "tagessatz")) == daily
        assert result.value(("abrechnungsmonate", 1, "betrag")) == cents(present * daily)
        warned = any("vor der Trennung der Leistungen" in w for w in result.warnings)
        assert warned is before

    def test_board_and_lodging_never_reach_a_month_from_2020(self, model) -> None:
        generous = agreement(grundpauschale="400 EUR/Tag", investitionsbetrag="400 EUR/Tag")
        case = legacy_case(
            abrechnungsmonate=[
                {
                    "abrechnungsjahr": 2026,
                    "abrechnungsmonat": 3,
                    "anwesenheitstage": 31,
                    "abwesenheitstage": 0,
                }
            ]
        )
        assert model.evaluate(case, generous).value(("abrechnungsmonate", 1, "betrag")) == Decimal(
            "2780.70"
        )  # 31 × 89,70

    def test_a_share_of_space_costs_is_an_explicit_agreement_component(self, model) -> None:
        assert model.checked.parameters["raumkosten_fachleistungsanteil"].default == 0
        case = legacy_case(
            abrechnungsmonate=[
                {
                    "abrechnungsjahr": 2026,
                    "abrechnungsmonat": 3,
                    "anwesenheitstage": 31,
                    "abwesenheitstage": 0,
                }
            ]
        )
        result = model.evaluate(case, agreement(raumkosten_fachleistungsanteil="6.50 EUR/Tag"))
        assert result.value("fachleistung_tag") == Decimal("96.20")
        assert result.value(("abrechnungsmonate", 1, "betrag")) == Decimal("2982.20")  # 31 × 96,20

    def test_monthly_equivalents_follow_the_named_month_convention(self, model) -> None:
        case = legacy_case()
        default = model.evaluate(case)
        assert default.value("monatskonvention") == Decimal("30.42")
        assert default.value("fachleistung_monat") == Decimal(
            "2728.67"
        )  # 89,70 × 30,42 = 2.728,674
        assert default.value("pflegesatz_bis_2019_monat") == Decimal("4599.50")  # 151,20 × 30,42
        exact = model.evaluate(case, agreement(tage_je_monat="30.416667 Tage/Monat"))
        assert exact.value("monatskonvention") == Decimal("30.416667")
        assert exact.value("fachleistung_monat") == cents(Decimal("89.70") * Decimal("30.416667"))


class TestEinfacheAssistenz:
    """Einfache Assistenz is its own kind of service with its own rate; UA stays distinct."""

    def test_its_own_member_and_rate(self, model) -> None:
        kinds = {m.key: m for m in model.checked.enums["Leistungsart"].members}
        assert set(kinds) == {"qa", "ua", "ea", "qea"}
        assert "ohne Fachkraftanteil" in kinds["ea"].description
        assert "Fachkraftanteil bleibt" in kinds["ua"].description
        rate = model.checked.parameters["ea_satz"]
        assert rate.assumptions and rate.sources
        assert rate.default < model.checked.parameters["ua_satz"].default

    @PROPS
    @given(hours=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(20), places=1))
    def test_ua_and_ea_differ_by_the_rates(self, model, hours) -> None:
        def budget(kind: str) -> Decimal:
            case = copy.deepcopy(model.load_case(EXAMPLES / "eigene_haeuslichkeit.toml").row)
            case["zeitabschnitte"][1]["massnahmen"].append(
                {
                    "bezeichnung": "Freizeit",
                    "bereich": "b3",
                    "art": kind,
                    "stunden": hours,
                    "personen": 1,
                }
            )
            result = model.evaluate(case)
            assert result.value(("zeitabschnitte", 2, f"stunden_woche_{kind}")) == hours
            return result.value("gesamtbudget_exakt")

        difference = budget("ua") - budget("ea")
        expected = Fraction(hours) * Fraction(365, 7) * (45 - 36)
        assert abs(Fraction(difference) - expected) < Fraction(1, 10**15)

    @pytest.mark.parametrize("backend", ["skalar", "spalten"])
    def test_an_agreement_without_it_refuses_an_ea_measure(self, model, backend: str) -> None:
        """Where the einfache Assistenz is not agreed (the LWL area), an ea measure is an error row
        naming it, on both backends; its other measures and an agreement with it are priced."""
        case = copy.deepcopy(model.load_case(EXAMPLES / "eigene_haeuslichkeit.toml").row)
        case["zeitabschnitte"][1]["massnahmen"].append(
            {"bezeichnung": "Freizeit", "bereich": "b3", "art": "ea", "stunden": Decimal(3), "personen": 1})
        plain = copy.deepcopy(model.load_case(EXAMPLES / "eigene_haeuslichkeit.toml").row)
        without = model.evaluate_many([case, plain], agreement(ea_vereinbart="nein"), backend=backend)
        assert [row.index for row in without.errors] == [0]
        ((message, path),) = without.errors[0].problems
        assert path == "$.zeitabschnitte[2].massnahmen[2]"
        assert message.startswith("Zeitabschnitt 2, Maßnahme 2 „Freizeit“: die einfache Assistenz (art = ea) "
                                  "ist nicht vereinbart")
        assert without.cases == 2 and len(without.rows()) == 1
        assert model.evaluate_many([case], agreement(ea_vereinbart="ja"), backend=backend).errors == []

    def test_the_doc_no_longer_treats_ua_as_einfache_assistenz(self) -> None:
        doc = (ROOT / "docs" / "models" / "bei_nrw3.md").read_text(encoding="utf-8")
        rows = {
            line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| `")
        }
        assert "Einfache Assistenz" in rows["`ea`"] and "ohne Fachkraftanteil" in rows["`ea`"]
        assert (
            "Fachkraftanteil bleibt" in rows["`ua`"] and "ohne Fachkraftanteil" not in rows["`ua`"]
        )
        assert "**UA ist keine einfache Assistenz.**" in doc


class TestKorridormodell:
    """The QA rate follows from the proven Fachkraft share inside the agreed corridor."""

    @PROPS
    @given(share=st.decimals(min_value=Decimal(70), max_value=Decimal(90), places=2))
    def test_rate_follows_the_share(self, model, share) -> None:
        result = model.evaluate(
            EXAMPLES / "eigene_haeuslichkeit.toml", agreement(qa_fachkraftanteil=f"{share} %")
        )
        rate = share / 100 * Decimal(62) + (1 - share / 100) * Decimal(52)
        assert result.value("qa_satz") == rate
        assert abs(
            Fraction(result.value("gesamtbudget")) - QA_HOURS_GRUNDFALL * Fraction(rate)
        ) <= Fraction(1, 200)

    @PROPS
    @given(
        share=st.one_of(
            st.decimals(min_value=Decimal(0), max_value=Decimal("69.99"), places=2),
            st.decimals(min_value=Decimal("90.01"), max_value=Decimal(100), places=2),
        )
    )
    def test_a_share_outside_the_corridor_is_an_error_naming_it(self, model, share) -> None:
        with pytest.raises(
            CaseError, match="außerhalb des vereinbarten Korridors von 70 % bis 90 %"
        ):
            model.evaluate(
                EXAMPLES / "eigene_haeuslichkeit.toml", agreement(qa_fachkraftanteil=f"{share} %")
            )

    def test_the_agreement_sets_the_corridor(self, model) -> None:
        narrow = agreement(
            qa_korridor_von="82 %", qa_korridor_bis="84 %", qa_fachkraftanteil="83 %"
        )
        assert model.evaluate(EXAMPLES / "eigene_haeuslichkeit.toml", narrow).value(
            "qa_satz"
        ) == Decimal("60.30")
        with pytest.raises(CaseError, match="Korridors von 82 % bis 84 %"):
            model.evaluate(
                EXAMPLES / "eigene_haeuslichkeit.toml",
                agreement(qa_korridor_von="82 %", qa_korridor_bis="84 %"),
            )

    def test_every_corridor_value_is_an_assumption(self, model) -> None:
        for name in (
            "qa_kosten_fachkraft",
            "qa_kosten_andere",
            "qa_fachkraftanteil",
            "qa_korridor_von",
            "qa_korridor_bis",
        ):
            assert model.checked.parameters[name].assumptions, name

    def test_the_fictitious_agreement_keeps_its_documented_budget(self, model) -> None:
        result = model.evaluate(
            EXAMPLES / "eigene_haeuslichkeit.toml", EXAMPLES / "vereinbarung_fiktiv.toml"
        )
        assert result.value("qa_satz") == Decimal("63.80")
        assert result.value("gesamtbudget") == Decimal("26559.03")


class TestBudgetvergleich:
    """Old-system amount and new-system budget of the same person, on the same days."""

    def test_the_documented_example(self, model) -> None:
        result = model.evaluate(EXAMPLES / "altsystem_lt_hbg.toml")
        assert result.value("budgetvergleich_alt") == Decimal("32740.50")
        assert result.value("budgetvergleich_neu") == Decimal("37824.43")
        assert result.value("budgetvergleich_differenz") == Decimal("5083.93")
        assert result.value("budgetvergleich_alt_monat") == Decimal("2728.67")
        assert result.value("budgetvergleich_neu_monat") == Decimal("3152.38")
        assert result.value("budgetvergleich_differenz_monat") == Decimal("423.71")
        assert result.value("gesamtbudget") == 0

    def test_the_population_evaluates_cleanly(self, model) -> None:
        cases = population()
        assert 5 <= len(cases) <= 10
        for number, case in enumerate(cases, start=1):
            result = model.evaluate(case)
            assert result.warnings == (), (number, result.warnings)
            assert result.value("budgetvergleich") is True, number
            assert result.value("budgetvergleich_differenz") == result.value(
                "budgetvergleich_neu"
            ) - result.value("budgetvergleich_alt")

    @pytest.mark.parametrize("number", range(1, len(population()) + 1))
    def test_new_side_equals_the_same_case_priced_in_the_new_system(self, model, number) -> None:
        case = population()[number - 1]
        result = model.evaluate(case)
        new_system = {
            k: v
            for k, v in case.items()
            if k not in ("leistungstyp", "hilfebedarfsgruppe", "leistungstyp_tagesstruktur")
        }
        assert result.value("budgetvergleich_neu") == model.evaluate(new_system).value(
            "gesamtbudget"
        )

    @pytest.mark.parametrize("number", range(1, len(population()) + 1))
    def test_old_side_is_the_daily_rate_times_the_days(self, model, number) -> None:
        case = population()[number - 1]
        result = model.evaluate(case)
        mp = model.checked.tables["massnahmepauschale"].mapping()[
            (case["leistungstyp"], case["hilfebedarfsgruppe"])
        ]
        days = (
            dt.date.fromisoformat(case["zeitraum_ende"])
            - dt.date.fromisoformat(case["zeitraum_beginn"])
        ).days + 1
        assert result.value("budgetvergleich_alt") == cents(days * mp)
        for index, part in enumerate(case["zeitabschnitte"], start=1):
            part_days = (
                dt.date.fromisoformat(part["schluss"]) - dt.date.fromisoformat(part["beginn"])
            ).days + 1
            assert result.value(("zeitabschnitte", index, "vergleich_alt")) == part_days * mp
            assert result.value(("zeitabschnitte", index, "vergleich_alt_monat")) == cents(
                mp * Decimal("30.42")
            )

    def test_no_comparison_without_a_leistungstyp(self, model) -> None:
        result = model.evaluate(EXAMPLES / "besondere_wohnform_module.toml")
        assert result.value("budgetvergleich") is False
        assert result.value("budgetvergleich_alt") == 0 and result.value("budgetvergleich_neu") == 0

    def test_no_comparison_for_days_before_2020(self, model) -> None:
        case = legacy_case(zeitraum_beginn=dt.date(2019, 7, 1), zeitraum_ende=dt.date(2020, 6, 30))
        case["zeitabschnitte"][0].update(beginn=dt.date(2019, 7, 1), schluss=dt.date(2020, 6, 30))
        with pytest.raises(CaseError, match="vor der Trennung der Leistungen am 01.01.2020"):
            model.evaluate(case)


class TestAbsence:
    """3 days full, 75 % from day 4, at most 28 days — per absence or per calendar year (a
    parameter)."""

    def test_the_figures_are_marked_as_assumptions(self, model) -> None:
        for name in (
            "abwesenheit_volle_tage",
            "abwesenheit_quote",
            "abwesenheit_hoechstdauer",
            "abwesenheit_hoechstdauer_bezug",
        ):
            assert model.checked.parameters[name].assumptions, name
        assert (
            model.checked.parameters["abwesenheit_hoechstdauer_bezug"].default == "je_abwesenheit"
        )

    @PROPS
    @given(
        earlier_year=st.integers(0, 40),
        earlier_absence=st.integers(0, 10),
        absent=st.integers(0, 28),
    )
    def test_cap_per_absence_or_per_year(
        self, model, earlier_year, earlier_absence, absent
    ) -> None:
        month = {
            "abrechnungsjahr": 2026,
            "abrechnungsmonat": 2,
            "anwesenheitstage": 28 - absent,
            "abwesenheitstage": absent,
            "abwesenheit_vortage": earlier_absence,
            "abwesenheit_vortage_im_jahr": earlier_year,
        }
        case = legacy_case(abrechnungsmonate=[month])
        per_absence = model.evaluate(case)
        per_year = model.evaluate(case, agreement(abwesenheit_hoechstdauer_bezug="je_kalenderjahr"))
        paid = ("abrechnungsmonate", 1, "vergütete_abwesenheitstage")
        full = ("abrechnungsmonate", 1, "voll_vergütete_abwesenheitstage")
        assert per_absence.value(paid) == max(
            0, min(earlier_absence + absent, 28) - earlier_absence
        )
        assert per_year.value(paid) == max(0, min(earlier_year + absent, 28) - earlier_year)
        for result in (per_absence, per_year):
            assert result.value(full) == min(
                result.value(paid), max(0, min(earlier_absence + absent, 3) - earlier_absence)
            )
            assert result.value(("abrechnungsmonate", 1, "betrag_abwesenheit")) <= absent * Decimal(
                "89.70"
            )


class TestVersionNaming:
    """BEI_NRW 1.0/2.0/3.0 and 27.08.2025 are the LWL's (PerSEH), not the LVR's "BEI_NRW 2.0"."""

    @pytest.mark.parametrize("name", ["bei_nrw2", "bei_nrw3"])
    def test_header_says_whose_numbering(self, name) -> None:
        info = teilhabe_rules.bundled(name).info
        for text in (info.description, info.long_title):
            assert "LWL" in text and "PerSEH" in text
        assert "LVR" in info.description
        source = teilhabe_rules.bundled(name).checked.source
        assert "KI-gestütztes Vorhaben" in source

    def test_the_doc_says_so(self) -> None:
        doc = (ROOT / "docs" / "models" / "bei_nrw3.md").read_text(encoding="utf-8")
        assert "Zählung des LWL" in doc and "KI-gestützt" in doc


class TestCaseFormat:
    """Frictions of the case format, model side."""

    def test_placeholder_warning_names_the_zeitabschnitt_and_the_measure(self, model) -> None:
        case = model.load_case(EXAMPLES / "eigene_haeuslichkeit.toml").row
        case = copy.deepcopy(case)
        case["zeitabschnitte"][2]["massnahmen"][0]["stunden"] = Decimal(0)
        warnings = model.evaluate(case).warnings
        assert any(
            w.startswith(
                "Zeitabschnitt 3, Maßnahme 1 „Anleitung zur Haushaltsführung“ hat 0 Stunden"
            )
            for w in warnings
        ), warnings

    def test_a_zeitabschnitt_may_have_no_measure(self, model) -> None:
        case = copy.deepcopy(model.load_case(EXAMPLES / "besondere_wohnform_module.toml").row)
        case["zeitabschnitte"][1]["massnahmen"] = []
        result = model.evaluate(case)
        assert result.warnings == ()
        assert result.value(("zeitabschnitte", 2, "budget_massnahmen")) == 0
        assert result.value(("zeitabschnitte", 2, "budget")) == 184 * (
            Decimal("38.50") + Decimal("21.20")
        )

    def test_lt_24_is_a_leistungstyp_a_case_names(self, model) -> None:
        members = {m.key: m.label for m in model.checked.enums["Leistungstyp"].members}
        assert members[24] == "LT 24"
        month = {
            "abrechnungsjahr": 2026,
            "abrechnungsmonat": 3,
            "anwesenheitstage": 31,
            "abwesenheitstage": 0,
            "tagesstrukturtage": 20,
        }
        named = model.evaluate(legacy_case(abrechnungsmonate=[month]))
        assert named.value("tagesstruktur_gilt") is True
        assert named.value(("abrechnungsmonate", 1, "betrag_tagesstruktur")) == 20 * Decimal(
            "52.30"
        )
        with pytest.raises(CaseError, match="ohne Leistungstyp 24"):
            model.evaluate(legacy_case(leistungstyp_tagesstruktur=0, abrechnungsmonate=[month]))
        with pytest.raises(CaseError, match="kein Leistungstyp des Wohnens"):
            model.evaluate(legacy_case(leistungstyp=24))

    def test_every_parameter_is_an_assumption_or_sourced(self, model) -> None:
        for spec in model.checked.parameters.values():
            assert spec.assumptions or spec.sources, spec.name


class TestMeasureBounds:
    """The bounds of a measure's hours and group size guard against typing mistakes only: which
    group sizes are priced is the table ``gruppenanteil`` (an agreement may add a row)."""

    def test_a_group_size_an_agreement_adds_is_priced(self, model) -> None:
        case = copy.deepcopy(model.load_case(EXAMPLES / "eigene_haeuslichkeit.toml").row)
        case["zeitabschnitte"][0]["massnahmen"][0]["personen"] = 13
        with pytest.raises(teilhabe_rules.EvaluationError, match="gruppenanteil"):
            model.evaluate(case)  # no row 13: an error naming the table, not a guess
        larger = {**agreement(), "tabellen": {"gruppenanteil": {"13": "10 %"}}}
        result = model.evaluate(case, larger)
        assert result.value(("zeitabschnitte", 1, "massnahmen", 1, "anteil")) == Decimal("0.1")
        # 6 h/Woche × 10 % × 181/7 Wochen × 60 EUR/h
        betrag = result.value(("zeitabschnitte", 1, "massnahmen", 1, "betrag"))
        assert cents(betrag) == cents(Fraction(6 * 181 * 60, 7 * 10)) == Decimal("930.86")

    def test_hours_up_to_a_whole_week(self, model) -> None:
        case = copy.deepcopy(model.load_case(EXAMPLES / "eigene_haeuslichkeit.toml").row)
        case["zeitabschnitte"][0]["massnahmen"][0]["stunden"] = Decimal(100)
        assert model.evaluate(case).value(("zeitabschnitte", 1, "massnahmen", 1, "stunden")) == 100
        case["zeitabschnitte"][0]["massnahmen"][0]["stunden"] = Decimal("168.5")
        with pytest.raises(CaseError, match="168"):
            model.evaluate(case)


def period_end(start: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` from ``start`` (§ 26 SGB X with § 188 Abs. 2 and 3
    BGB): the day before the day of the same number, or the last day of the month that lacks it."""
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


class TestPeriodEnds:
    """Two years and half a year from the start of the review period end as § 188 BGB says, also
    where the start's day is missing in the last month (29.02., 31.03. + six months)."""

    @PROPS
    @given(start=st.one_of(st.dates(dt.date(2024, 1, 1), dt.date(2036, 12, 31)), st.builds(
        lambda year, month: dt.date(year, month, calendar.monthrange(year, month)[1]),
        st.integers(2024, 2036), st.integers(1, 12))))
    def test_latest_end_and_half_year(self, model, start) -> None:
        case = copy.deepcopy(model.load_case(EXAMPLES / "eigene_haeuslichkeit.toml").row)
        case["zeitraum_beginn"] = case["zeitraum_ende"] = start
        case["zeitabschnitte"] = [{**case["zeitabschnitte"][0], "beginn": start, "schluss": start}]
        result = model.evaluate(case)
        assert result.value("spätestes_ende") == period_end(start, 24)
        assert result.value("halbjahr_ende") == period_end(start, 6)

    @pytest.mark.parametrize(("start", "end", "fails"), [
        (dt.date(2028, 2, 29), dt.date(2030, 2, 28), False),
        (dt.date(2028, 2, 29), dt.date(2030, 3, 1), True),
        (dt.date(2026, 3, 1), dt.date(2028, 2, 29), False),
        (dt.date(2026, 3, 1), dt.date(2028, 3, 1), True),
    ])
    def test_two_years_from_or_to_a_leap_day(self, model, start, end, fails) -> None:
        case = copy.deepcopy(model.load_case(EXAMPLES / "eigene_haeuslichkeit.toml").row)
        case["zeitraum_beginn"], case["zeitraum_ende"] = start, end
        case["zeitabschnitte"] = [{**case["zeitabschnitte"][0], "beginn": start, "schluss": end}]
        if fails:
            with pytest.raises(CaseError, match="länger als zwei Jahre"):
                model.evaluate(case)
        else:
            assert model.evaluate(case).value("zeitraum_tage") in (730, 731)

    @PROPS
    @given(start=st.one_of(st.dates(dt.date(2020, 1, 1), dt.date(2036, 12, 31)), st.builds(
        lambda year, month: dt.date(year, month, calendar.monthrange(year, month)[1]),
        st.integers(2020, 2036), st.integers(1, 12))))
    def test_bei_nrw2_alike(self, start) -> None:
        earlier = teilhabe_rules.bundled("bei_nrw2")
        case = copy.deepcopy(earlier.load_case(ROOT / "examples" / "bei_nrw2" / "fall_2_0.toml").row)
        case["zeitraum_beginn"] = case["zeitraum_ende"] = start
        result = earlier.evaluate(case)
        assert result.value("spätestes_ende") == period_end(start, 24)
        assert result.value("halbjahr_ende") == period_end(start, 6)
