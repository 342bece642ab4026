"""MAWo model content: night Bezugsgröße, LP 1b from expected days,
pooling of the red (joint) parts, Übergangseinstufung, ILB 4 per working day, marked assumptions,
the PG-0 level of LP 2b and the § 43a cap of 2025 — and the figures the docs and examples print."""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules.inputs.cases import read_data

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "mawo"
DOC = ROOT / "docs" / "models" / "mawo.md"
SETTINGS = settings(max_examples=examples(30), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# The model's earlier version, restored by an agreement: LP 1b on all opening days, no pooling.
EARLIER_VERSION = {"parameter": {"lp1b_krankheitstage": "250 Tage/Platz/Jahr", "lp2a_poolanteil": "100 %",
                                 "lp3a_poolanteil": "100 %"}}


@pytest.fixture(scope="module")
def model() -> teilhabe_rules.Model:
    return teilhabe_rules.load(ROOT / "models" / "mawo.rules")


@pytest.fixture(scope="module")
def model_2025() -> teilhabe_rules.Model:
    return teilhabe_rules.load(ROOT / "models" / "mawo_2025.rules")


@pytest.fixture(scope="module")
def person() -> dict:
    return read_data(EXAMPLES / "person_grundfall.toml")


@pytest.fixture(scope="module")
def house() -> dict:
    data = read_data(EXAMPLES / "haus_linde.toml")
    data["bewohner"] = [read_data(EXAMPLES / item) for item in data["bewohner"]]
    return data


def with_changes(case: dict, **changes) -> dict:
    out = copy.deepcopy(case)
    out.update(changes)
    return out


def resident(case: dict, **changes) -> dict:
    out = copy.deepcopy(case)
    out["bewohner"][0].update(changes)
    return out


class TestNightBezugsgroesse:
    """Point 8: LP 0 is spread over the agreed Bezugsgröße — given, never guessed: a night service
    without one is an error (a six-place house must not carry a whole night post by default)."""

    @SETTINGS
    @given(places=st.integers(1, 200), level=st.integers(1, 4))
    def test_a_night_service_without_a_bezugsgroesse_is_an_error(self, model, person, places, level) -> None:
        case = with_changes(person, plaetze=places, nachtdienst=level, nacht_bezugsgroesse=0)
        with pytest.raises(teilhabe_rules.TeilhabeError) as caught:
            model.evaluate(case)
        assert f"LP 0 Stufe {level}: Die vereinbarte Bezugsgröße des Nachtdienstes fehlt" in str(caught.value)
        assert "nacht_bezugsgroesse" in str(caught.value)

    @SETTINGS
    @given(places=st.integers(1, 200),
           given_size=st.one_of(st.sampled_from([0, None]), st.integers(1, 2000)))
    def test_without_a_night_service_none_is_needed(self, model, person, places, given_size) -> None:
        """At Stufe 0 the Bezugsgröße does not matter: none, the offer's places, or any other
        (smaller ones too) is accepted, and nothing of a night service is priced."""
        size = places if given_size is None else given_size
        without = model.evaluate(with_changes(person, plaetze=places, nachtdienst=0, nacht_bezugsgroesse=size))
        assert without.value("nacht.stunden") == 0
        assert without.value("vk_lp0") == 0
        assert without.value("bewohner[1].lp0.kosten_jahr") == 0
        assert without.value("nacht.kosten_angebot_jahr") == 0

    @SETTINGS
    @given(places=st.integers(1, 200), level=st.integers(0, 4))
    def test_the_offers_own_places_carry_the_whole_service(self, model, person, places, level) -> None:
        own = model.evaluate(with_changes(person, plaetze=places, nachtdienst=level, nacht_bezugsgroesse=places,
                                              nachtwachen=2))
        assert own.value("nacht.bezugsgroesse") == places
        assert own.value("nacht.anteil_angebot") == 1
        assert own.value("vk_lp0") == own.value("nacht.vk")

    @SETTINGS
    @given(places=st.integers(1, 60), extra=st.integers(0, 200), level=st.sampled_from([1, 2, 3, 4]))
    def test_each_place_carries_one_part_of_the_bezugsgroesse(self, model, person, places, extra, level) -> None:
        covered = places + extra
        result = model.evaluate(with_changes(person, plaetze=places, nachtdienst=level, nacht_bezugsgroesse=covered,
                                             nachtwachen=2))
        night = result.value("nacht.kosten_jahr")
        with decimal.localcontext(decimal.Context(prec=28)):
            assert abs(result.value("bewohner[1].lp0.kosten_jahr") - night / covered) < Decimal("1e-20")
            assert abs(result.value("nacht.kosten_angebot_jahr") - night * places / covered) < Decimal("1e-20")
        # the whole night service does not depend on how many persons it covers
        alone = model.evaluate(with_changes(person, plaetze=places, nachtdienst=level, nacht_bezugsgroesse=places,
                                            nachtwachen=2))
        assert result.value("nacht.vk") == alone.value("nacht.vk")

    @SETTINGS
    @given(places=st.integers(1, 60), a=st.integers(0, 100), b=st.integers(0, 100))
    def test_a_larger_bezugsgroesse_never_raises_the_house_budget(self, model, person, places, a, b) -> None:
        small, large = sorted((places + a, places + b))
        first = model.evaluate(with_changes(person, plaetze=places, nacht_bezugsgroesse=small))
        second = model.evaluate(with_changes(person, plaetze=places, nacht_bezugsgroesse=large))
        assert second.value("budget_jahr") <= first.value("budget_jahr")
        assert second.value("bewohner[1].tagessatz") <= first.value("bewohner[1].tagessatz")

    def test_six_places_with_a_night_watch_for_eighteen(self, model, person) -> None:
        own = model.evaluate(with_changes(person, plaetze=6, nacht_bezugsgroesse=6))
        shared = model.evaluate(with_changes(person, plaetze=6, nacht_bezugsgroesse=18))
        # the earlier version's figure: LP 0 + LP 1b came to ~88 EUR/day per person in a six-place house
        before = model.evaluate(with_changes(person, plaetze=6, nacht_bezugsgroesse=6), agreement=EARLIER_VERSION)
        lp0, lp1b = "bewohner[1].lp0.eur_tag", "bewohner[1].lp1b.eur_tag"
        assert round(before.value(lp0) + before.value(lp1b), 2) == Decimal("88.17")
        assert round(own.value(lp0), 2) == Decimal("59.60")
        assert round(shared.value(lp0), 2) == Decimal("19.87")
        assert round(shared.value(lp0) + shared.value(lp1b), 2) == Decimal("40.44")

    @pytest.mark.parametrize("backend", ["skalar", "spalten"])
    def test_an_agreement_rating_stufe_0_with_hours_is_refused(self, model, person, backend: str) -> None:
        """Stufe 0 is „kein Bedarf“: an agreement that rates it with hours would price night hours
        without a checked Bezugsgröße (none given takes the places, a small one passes). Refused
        for a case at Stufe 0, on both backends; an offer with a night service does not read the
        row (an agreement striking it leaves it be); an agreement keeping 0 % is taken."""
        rated = {"vereinbarung": {"name": "Test", "modell": "mawo"}, "tabellen": {"lp0_bewertung": {"0": "12.5 %"}}}
        case = with_changes(person, nachtdienst=0, nacht_bezugsgroesse=0)
        night = with_changes(person, nachtdienst=3)
        batch = model.evaluate_many([case, night], rated, backend=backend)
        assert [row.index for row in batch.errors] == [0]
        assert batch.errors[0].problems[0][0] == (
            "LP 0 Stufe 0 ist „kein Bedarf“ (ohne Nachtdienst), die Tabelle lp0_bewertung bewertet sie aber "
            "mit 12.5 % statt 0 % (geändert durch eine Vereinbarung oder Variante)")
        rated["tabellen"]["lp0_bewertung"]["0"] = "nicht vereinbart"
        assert model.evaluate_many([night], rated, backend=backend).errors == []
        # a struck row at Stufe 0 fails in the check, which is named by its place, not by its internal key
        (struck,) = model.evaluate_many([case], rated, backend=backend).errors
        message = struck.problems[0][0]
        assert message.startswith("Die Tabelle „lp0_bewertung“ hat für 0 keinen Wert: nicht vereinbart (bei der "
                                  "Prüfung in mawo.rules:") and "@" not in message
        rated["tabellen"]["lp0_bewertung"]["0"] = "0 %"
        assert model.evaluate(case, agreement=rated).value("nacht.stunden") == 0

    def test_a_bezugsgroesse_below_the_places_is_an_error(self, model, person) -> None:
        with pytest.raises(teilhabe_rules.TeilhabeError,
                           match=r"Bezugsgröße des Nachtdienstes \(23 Plätze\) ist kleiner als die Plätze"):
            model.evaluate(with_changes(person, nacht_bezugsgroesse=23))


class TestEinfachbesetzung:
    """Point 9: LP 1b from expected sick and holiday days per place, at most on every opening day."""

    @SETTINGS
    @given(places=st.integers(1, 40), sick=st.integers(0, 60), holiday=st.integers(0, 40), opening=st.integers(0, 365))
    def test_days_are_expected_days_capped_by_opening_days(self, model, person, places, sick, holiday, opening) -> None:
        agreement = model.load_agreement({"parameter": {"lp1b_krankheitstage": f"{sick} Tage/Platz/Jahr",
                                                        "lp1b_urlaubstage": f"{holiday} Tage/Platz/Jahr",
                                                        "lp1b_tage": f"{opening} Tage/Jahr"}})
        result = model.evaluate(with_changes(person, plaetze=places, nacht_bezugsgroesse=places), agreement=agreement)
        expected = min((sick + holiday) * places, opening)
        assert result.value("einfachbesetzung.tage_erwartet") == (sick + holiday) * places
        assert result.value("einfachbesetzung.tage") == expected
        assert result.value("einfachbesetzung.stunden") == 7 * expected

    def test_defaults(self, model, person) -> None:
        assert model.evaluate(person).value("einfachbesetzung.stunden") == 1750  # 24 × 30 = 720 > 250 days
        six = model.evaluate(with_changes(person, plaetze=6, nacht_bezugsgroesse=6))
        assert (six.value("einfachbesetzung.tage"), six.value("einfachbesetzung.stunden")) == (180, 1260)
        assert model.evaluate(with_changes(person, lp1b_einfachbesetzung=False)).value("einfachbesetzung.stunden") == 0

    def test_the_assumptions_are_marked(self, model) -> None:
        for name in ("lp1b_krankheitstage", "lp1b_urlaubstage", "lp1b_tage", "lp1b_stunden_je_tag"):
            assert model.checked.parameters[name].assumptions, name


class TestBlueRed:
    """Point 10: only the red (jointly provided) parts of LP 2a and LP 3a are pooled."""

    @SETTINGS
    @given(kap4=st.sampled_from([0, 2, 5, 8, 16]), kap5=st.sampled_from([0, 2, 9, 16, 24]),
           kap6=st.sampled_from([0, 3, 7, 13, 19]), share=st.integers(0, 100))
    def test_lp2a_pool_factor(self, model, person, kap4, kap5, kap6, share) -> None:
        agreement = model.load_agreement({"parameter": {"lp2a_poolanteil": f"{share} %"}})
        case = resident(person, lp2a={"kap4": kap4, "kap5": kap5, "kap6": kap6})
        result = model.evaluate(case, agreement=agreement)
        unpooled = model.evaluate(case, agreement=model.load_agreement({"parameter": {"lp2a_poolanteil": "100 %"}}))
        total = kap4 + kap5 + kap6
        red = Decimal(kap6) / total if total else Decimal(0)  # default table: only Kap. 6 is red
        factor = result.value("bewohner[1].lp2a.poolfaktor")
        assert abs(factor - (1 - red * (1 - Decimal(share) / 100))) < Decimal("1e-25")
        assert result.value("bewohner[1].lp2a.berechnete_stufe") == unpooled.value("bewohner[1].lp2a.berechnete_stufe")
        hours = "bewohner[1].lp2a.stunden"
        assert result.value(hours) <= unpooled.value(hours)
        assert abs(result.value(hours) - unpooled.value(hours) * factor) < Decimal("1e-20")

    @SETTINGS
    @given(values=st.lists(st.sampled_from([0, 0.5, 1.0, 1.5, 2.0, 2.5]), min_size=9, max_size=9))
    def test_lp3a_red_share_is_kap6_and_kap9(self, model, person, values) -> None:
        case = resident(person, lp3a={f"kap{n}": v for n, v in enumerate(values, start=1)})
        result = model.evaluate(case)
        total = sum(Decimal(str(v)) for v in values)
        red = Decimal(str(values[5])) + Decimal(str(values[8]))
        assert result.value("bewohner[1].lp3a.stunden_gemeinschaftlich") == red
        expected = 1 - (red / total) * (1 - Decimal("0.45")) if total else Decimal(1)
        assert abs(result.value("bewohner[1].lp3a.poolfaktor") - expected) < Decimal("1e-25")

    def test_all_blue_by_agreement_means_no_pooling(self, model, person) -> None:
        blue = model.load_agreement({"tabellen": {"lp2a_erbringung": {"6": "einzeln"},
                                                  "lp3a_erbringung": {"6": "einzeln", "9": "einzeln"}}})
        result = model.evaluate(person, agreement=blue)
        assert result.value("bewohner[1].lp2a.poolfaktor") == 1 and result.value("bewohner[1].lp3a.poolfaktor") == 1
        assert result.value("bewohner[1].tagessatz") == Decimal("123.88")  # the earlier version's figure
        assert model.evaluate(person).value("bewohner[1].tagessatz") == Decimal("115.68")

    def test_every_area_has_a_flag_with_an_assumption(self, model) -> None:
        for name, keys in (("lp2a_erbringung", {"4", "5", "6"}), ("lp3a_erbringung", {str(n) for n in range(1, 10)})):
            table = model.checked.tables[name]
            assert {str(row.keys[0]) for row in table.rows} == keys
            assert all(row.assumptions for row in table.rows), name
        assert "lp2a_poolfaktor" not in model.checked.parameters and "lp3a_poolfaktor" not in model.checked.parameters


# The packages of a person whose level a case may grant, with the levels of the Grundfall
# (LP 1a assessed, the others computed); LP 0 is the offer's.
GRANTABLE = {"lp1a": 1, "lp2a": 2, "lp2b": 2, "lp3a": 1, "lp3b": 2}


def transitional(case: dict, kind: str, until: str, packages: tuple[str, ...] = tuple(GRANTABLE)) -> dict:
    """``case``'s first person with an Übergangseinstufung ``kind`` until ``until`` whose
    transitional levels — those of the Grundfall — are granted in ``packages``."""
    out = resident(case, einstufung=kind, einstufung_bis=until)
    for package in packages:
        out["bewohner"][0].setdefault(package, {}).update(
            bewilligte_stufe=GRANTABLE[package], begründung="Übergangseinstufung aus der bisherigen Hilfebedarfsgruppe")
    return out


class TestUebergangseinstufung:
    """Point 11: a kind of grant with its end; a warning once the period starts after it, and for
    each package whose transitional level is not granted."""

    def test_an_open_ended_transition_is_an_error(self, model, person) -> None:
        with pytest.raises(teilhabe_rules.TeilhabeError, match="braucht ihr Enddatum „einstufung_bis“"):
            model.evaluate(resident(person, einstufung="uebergang_vereinbarung"))

    @pytest.mark.parametrize("kind", ["uebergang_turnus", "uebergang_vorzeitig", "uebergang_vereinbarung"])
    def test_warns_after_its_end(self, model, person, kind) -> None:
        # the grant runs until zeitraum_ab (01.07.2024)
        running = model.evaluate(transitional(person, kind, "2024-07-01"))
        assert running.value("bewohner[1].uebergang") is True and running.warnings == ()
        ended = model.evaluate(transitional(person, kind, "2024-06-30"))
        assert ended.warnings == ("Die Übergangseinstufung von M. M. galt bis 30.06.2024; "
                                  "Stichtag der Auswertung ist der 01.07.2024. "
                                  "Eine reguläre Einstufung (Teilhabebericht) ist fällig @ $.bewohner[1]",)
        # the figures do not depend on the kind of grant
        assert ended.value("budget_jahr") == model.evaluate(person).value("budget_jahr")

    def test_warns_when_the_evaluation_date_lies_after_its_end(self, model, person) -> None:
        # the period starts (01.07.2024) before the end of the grant; the evaluation date decides
        case = transitional(person, "uebergang_turnus", "2024-09-30")
        assert model.evaluate(case).warnings == ()
        assert model.evaluate(case, at=dt.date(2024, 9, 30)).warnings == ()
        late = model.evaluate(case, at=dt.date(2024, 10, 1))
        assert late.warnings == ("Die Übergangseinstufung von M. M. galt bis 30.09.2024; "
                                 "Stichtag der Auswertung ist der 01.10.2024. "
                                 "Eine reguläre Einstufung (Teilhabebericht) ist fällig @ $.bewohner[1]",)
        assert late.value("budget_jahr") == model.evaluate(case).value("budget_jahr")

    @SETTINGS
    @given(kind=st.sampled_from(["uebergang_turnus", "uebergang_vorzeitig", "uebergang_vereinbarung"]),
           granted=st.sets(st.sampled_from(sorted(GRANTABLE))))
    def test_each_package_without_a_transitional_level_warns(self, model, person, kind, granted) -> None:
        """A transitional level equal to the computed one is granted all the same; a package
        without one is evaluated with its computed (LP 1a: assessed) level and warns, naming the
        person and the package. The figures are the Grundfall's either way."""
        result = model.evaluate(transitional(person, kind, "2025-06-30", tuple(sorted(granted))))
        computed = {"lp1a": "eingeschätzte Stufe 1 (Hintergrund-/zeitweilige Präsenz)",
                    "lp2a": "berechnete Stufe 2 (mittel)", "lp2b": "berechnete Stufe 2 (Pflegegrad 3)",
                    "lp3a": "berechnete Stufe 1 (sehr gering)", "lp3b": "berechnete Stufe 2 (über 10 bis 20 h/Jahr)"}
        assert result.warnings == tuple(
            f"Übergangseinstufung von M. M.: für LP {package[2:]} ist keine Übergangsstufe bewilligt; "
            f"es gilt die {computed[package]} @ $.bewohner[1]" for package in GRANTABLE if package not in granted)
        assert {p: result.value(f"bewohner[1].{p}.stufe") for p in GRANTABLE} == GRANTABLE
        assert result.value("bewohner[1].tagessatz") == model.evaluate(person).value("bewohner[1].tagessatz")

    def test_a_regular_einstufung_needs_no_granted_levels(self, model, person) -> None:
        assert model.evaluate(resident(person, einstufung="regulaer", einstufung_bis="2025-06-30")).warnings == ()

    def test_the_examples_of_the_model(self, model) -> None:
        cases = {example.id: example.case for example in model.checked.examples}
        assert model.evaluate(copy.deepcopy(cases["uebergangseinstufung"])).warnings == ()
        warnings = model.evaluate(copy.deepcopy(cases["uebergangseinstufung-ohne-stufen"])).warnings
        assert [w.split(":")[1].split(" ist ")[0] for w in warnings] == [
            " für LP 1a", " für LP 2a", " für LP 2b", " für LP 3a", " für LP 3b"]

    def test_the_warnings_are_counted_alike_in_both_backends(self, model, person) -> None:
        cases = [transitional(person, "uebergang_turnus", "2025-06-30", tuple(packages))
                 for packages in ((), ("lp2a",), ("lp1a", "lp2b", "lp3b"), tuple(GRANTABLE))]
        cases.append(resident(person, einstufung="uebergang_vorzeitig", einstufung_bis="2025-06-30",
                              lp2a={**person["bewohner"][0]["lp2a"], "bewilligte_stufe": 3, "begründung": "HBG 3"}))
        rows = model.evaluate_many(cases).rows()
        assert [row["_warnungen"] for row in rows] == [5, 4, 2, 0, 4]
        assert not any(row["_skalar"] for row in rows)

    def test_a_regular_grant_with_an_end(self, model, person) -> None:
        assert model.evaluate(person).value("bewohner[1].uebergang") is False
        ended = model.evaluate(resident(person, einstufung_bis="2024-01-31"))
        assert ended.warnings == ("Die Stufen von M. M. galten bis 31.01.2024; der Zeitraum beginnt am 01.07.2024. "
                                  "Die Bewilligung ist abgelaufen @ $.bewohner[1]",)

    def test_the_example_case(self, model, model_2025) -> None:
        path = EXAMPLES / "person_uebergangseinstufung.toml"
        result = model.evaluate(path)
        assert result.warnings == ()
        assert (result.value("bewohner[1].lp2a.berechnete_stufe"), result.value("bewohner[1].lp2a.stufe")) == (2, 3)
        assert result.value("bewohner[1].tagessatz") == Decimal("165.52")
        later = read_data(path)
        later["zeitraum_ab"] = "2025-04-01"
        (warning,) = model_2025.evaluate(later).warnings
        assert warning.startswith("Die Übergangseinstufung von K. B. galt bis 31.03.2025; "
                                  "Stichtag der Auswertung ist der 01.04.2025.")
        # the 2025 variant inherits the warning: the evaluation date, not the period's start, decides
        later["zeitraum_ab"] = "2025-01-01"
        assert model_2025.evaluate(later).warnings == ()
        (warning,) = model_2025.evaluate(later, at=dt.date(2025, 4, 1)).warnings
        assert "galt bis 31.03.2025; Stichtag der Auswertung ist der 01.04.2025." in warning


class TestIlb4PerWorkingDay:
    """Point 12: hours per working day × working days per year (250)."""

    @SETTINGS
    @given(tenths=st.integers(1, 80), persons=st.sampled_from([1, 2, 3]), days=st.integers(1, 250))
    def test_per_working_day_equals_the_yearly_hours(self, model, person, tenths, persons, days) -> None:
        per_day = Decimal(tenths) / 10
        agreement = model.load_agreement({"parameter": {"ilb4_werktage": f"{days} Tage/Jahr"}})
        daily = resident(person, massnahmen=[{"bezeichnung": "x", "stunden_je_werktag": per_day, "personen": persons}])
        yearly = resident(person, massnahmen=[{"bezeichnung": "x", "stunden": per_day * days, "personen": persons}])
        a, b = model.evaluate(daily, agreement=agreement), model.evaluate(yearly, agreement=agreement)
        assert a.value("bewohner[1].massnahmen[1].stunden_jahr") == per_day * days
        assert a.value("bewohner[1].ilb4.budget") == b.value("bewohner[1].ilb4.budget")

    def test_250_working_days_from_the_form(self, model, person) -> None:
        assert model.checked.parameters["ilb4_werktage"].default == 250
        assert model.checked.parameters["ilb4_werktage"].sources

    @pytest.mark.parametrize(("measure", "message"), [
        ({"bezeichnung": "leer"}, "Stunden pro Jahr („stunden“) oder pro Werktag („stunden_je_werktag“) angeben"),
        ({"bezeichnung": "doppelt", "stunden": 10, "stunden_je_werktag": 1}, "nicht beides"),
    ])
    def test_exactly_one_row(self, model, person, measure, message) -> None:
        with pytest.raises(teilhabe_rules.TeilhabeError, match=re.escape(message)):
            model.evaluate(resident(person, massnahmen=[measure]))


class TestAssumptionsAndLabels:
    """Point 13: the inventions are marked, PG 0 has its own level, the cap of 2025."""

    def test_marked_assumptions(self, model) -> None:
        rows = {str(row.keys[0]): row for row in model.checked.tables["lp0_bewertung"].rows}
        assert any("Stufe 4" in text for text in rows["4"].assumptions)
        assert model.checked.parameters["berechnungstage"].assumptions
        text = (ROOT / "models" / "mawo.rules").read_text(encoding="utf-8")
        assert "# Annahme: gültig ab 01.01.2024." in text

    @SETTINGS
    @given(days=st.integers(300, 365))
    def test_the_daily_rate_spreads_the_year_over_the_billing_days(self, model, person, days) -> None:
        agreement = model.load_agreement({"parameter": {"berechnungstage": f"{days} Tage/Jahr"}})
        result = model.evaluate(person, agreement=agreement)
        year = result.value("bewohner[1].personalkosten_jahr") + result.value("bewohner[1].platzkosten_jahr")
        assert abs(result.value("bewohner[1].tagessatz_ungerundet") * days - year) < Decimal("1e-20")
        assert result.value("bewohner[1].jahresbetrag") == result.value("bewohner[1].tagessatz") * days

    def test_pflegegrad_0_has_its_own_level(self, model, person) -> None:
        result = model.evaluate(resident(person, pflegegrad=0))
        package = result.root.lists["bewohner"][0].packages["lp2b"]
        assert (package.level, package.level_label) == (-1, "kein Pflegegrad")
        one = model.evaluate(resident(person, pflegegrad=1)).root.lists["bewohner"][0].packages["lp2b"]
        assert (one.level, one.level_label) == (0, "Pflegegrad 1")

    @pytest.mark.parametrize(("which", "cap"), [("mawo", Decimal("3192.00")), ("mawo_2025", Decimal("3336.00"))])
    def test_section_43a_cap(self, model, model_2025, person, which, cap) -> None:
        chosen = model if which == "mawo" else model_2025
        case = person if which == "mawo" else with_changes(person, zeitraum_ab="2025-03-01")
        result = chosen.evaluate(case)
        share = round(result.value("bewohner[1].jahresbetrag") * Decimal("0.15"), 2)
        assert result.value("bewohner[1].pflegekasse_43a") == min(cap, share)
        assert chosen.checked.parameters["pflegekasse_hoechstbetrag"].sources

    @SETTINGS
    @given(costs=st.integers(0, 5000), days=st.sampled_from(["365", "354.05", "333.33", "300"]),
           pflegegrad=st.integers(0, 5), which=st.sampled_from(["mawo", "mawo_2025"]))
    def test_section_43a_caps_each_calendar_month(self, model, model_2025, person, costs, days, pflegegrad,
                                                  which) -> None:
        """§ 43a SGB XI: 15 % of each calendar month's fee, at most the month's cap (266 EUR in
        2024, 278 EUR from 2025), each month's payment in cents: seven months of 31 days, four of
        30 and a February of 28 (the Berechnungstage spread alike, the ILB-4 budget in twelfths) —
        a rate near 60 EUR/Tag leaves February under the cap and pays less than twelve caps;
        nothing for Pflegegrad 0 and 1. (A person of little need in an offer of 24 places without
        night service: ~62 EUR/Tag, moved by the Sachkosten per place; the ILB-4 measures of the
        example with a granted level.)"""
        chosen = model if which == "mawo" else model_2025
        monthly = {"mawo": 266, "mawo_2025": 278}[which]
        low = with_changes(person, nachtdienst=0, lp1b_einfachbesetzung=False,
                           zeitraum_ab="2024-07-01" if which == "mawo" else "2025-03-01")
        measures = read_data(EXAMPLES / "person_bewilligte_stufe_ilb4.toml")["bewohner"][0]["massnahmen"]
        low["bewohner"][0].update(pflegegrad=pflegegrad, lp2a={"kap4": 0, "kap5": 0, "kap6": 0},
                                  lp2c={"speiseversorgung": False, "reinigung": False, "waesche": False},
                                  lp3a={f"kap{n}": 0 for n in range(1, 10)}, lp3b={"stunden": 0},
                                  massnahmen=measures if costs % 2 else [])
        agreed = {"vereinbarung": {"name": "Test", "modell": which},
                  "parameter": {"sachkosten_je_platz": f"{costs} EUR/Platz/Jahr",
                                "berechnungstage": f"{days} Tage/Jahr"}}
        result = chosen.evaluate(low, agreed)
        rate = Fraction(result.value("bewohner[1].tagessatz"))
        ilb4 = Fraction(result.value("bewohner[1].ilb4.budget"))

        def paid(length: int) -> Decimal:
            if pflegegrad < 2:
                return Decimal(0)
            fee = (rate * Fraction(days) * length / 365 + ilb4 / 12) * Fraction(15, 100)
            cents = min(fee, Fraction(monthly)) * 100
            return Decimal((2 * cents.numerator + cents.denominator) // (2 * cents.denominator)).scaleb(-2)

        for length in (31, 30, 28):
            assert result.value(f"bewohner[1].pflegekasse_monat_{length}") == paid(length)
        expected = 7 * paid(31) + 4 * paid(30) + paid(28)
        assert result.value("bewohner[1].pflegekasse_43a") == expected
        fee28 = (rate * Fraction(days) * 28 / 365 + ilb4 / 12) * Fraction(15, 100)
        if pflegegrad >= 2 and fee28 < monthly - Fraction(1, 100) and expected == 11 * monthly + paid(28):
            assert expected < 12 * monthly  # (February alone under the cap)


class TestPublishedAndDocumentedFigures:
    """The event's figures stay; the house figures changed on purpose and the old ones are an agreement away."""

    def test_published_figures(self, model, person) -> None:
        trip = {"bezeichnung": "Freizeitfahrt", "stunden": 50, "personen": 3}
        result = model.evaluate(resident(person, massnahmen=[trip]))
        assert result.value("bewohner[1].lp2a.minuten") == 15 and result.value("bewohner[1].lp2a.stufe") == 2
        assert result.value("bewohner[1].ilb4.budget") == Decimal("1551.38")

    def test_haus_linde(self, model, house) -> None:
        assert round(model.evaluate(house).value("budget_jahr"), 2) == Decimal("373529.36")
        agreed = model.evaluate(house, agreement=EXAMPLES / "vereinbarung_haus_linde.toml")
        assert round(agreed.value("budget_jahr"), 2) == Decimal("387450.60")
        before = model.evaluate(house, agreement=EARLIER_VERSION)
        assert round(before.value("budget_jahr"), 2) == Decimal("405379.49")
        assert [before.value(f"bewohner[{i}].tagessatz") for i in range(1, 7)] == [
            Decimal(x) for x in ("131.14", "197.97", "227.60", "140.89", "258.38", "133.21")]

    def test_the_old_agreement_figures_are_reproducible(self, model, house) -> None:
        agreement = {"parameter": {"njaz": "1620 h/VK/Jahr", "pk_fachkraft": "67500 EUR/VK/Jahr",
                                   "pk_assistenz": "53500 EUR/VK/Jahr", "pk_hauswirtschaft": "47000 EUR/VK/Jahr",
                                   "sachkosten_je_platz": "2007.50 EUR/Platz/Jahr",
                                   "investitionsbetrag_je_platz": "1095 EUR/Platz/Jahr",
                                   "lp1b_krankheitstage": "250 Tage/Platz/Jahr",
                                   # the former uniform LP 2a pool factor of 90 %: every area red, share 90 %
                                   "lp2a_poolanteil": "90 %", "lp3a_poolanteil": "100 %"},
                     "tabellen": {"lp0_bewertung": {"2": "30 %"},
                                  "lp2a_erbringung": {"4": "gemeinschaftlich", "5": "gemeinschaftlich",
                                                      "6": "gemeinschaftlich"}}}
        result = model.evaluate(house, agreement=model.load_agreement(agreement))
        assert round(result.value("budget_jahr"), 2) == Decimal("425883.15")

    @pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("person_*.toml")))
    def test_example_headers_state_the_computed_daily_rate(self, model, name) -> None:
        header = (EXAMPLES / name).read_text(encoding="utf-8")
        stated = re.search(r"Erwartet \(Standardparameter\): Tagessatz (\d+),(\d\d) EUR/Tag", header)
        assert stated, name
        assert model.evaluate(EXAMPLES / name).value("bewohner[1].tagessatz") == Decimal(f"{stated[1]}.{stated[2]}")

    def test_the_doc_states_the_computed_figures(self, model, house) -> None:
        text = DOC.read_text(encoding="utf-8")
        stated = ("115,68", "373.529,36", "387.450,60", "405.379,49", "1.551,38", "187,41", "271,12", "68,10", "165,52")
        for figure in stated:
            assert figure in text, figure
        result = model.evaluate(house)
        for i, line in enumerate(re.findall(r"^\| Linde \d \|.*$", text, re.M), start=1):
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert cells[3] == f"{result.value(f'bewohner[{i}].tagessatz'):.2f}".replace(".", ",") + " EUR", line
