"""One MAWo person written by hand: the yardstick of the scalar backend's speed.

``mawo_offer(row, P, T)`` computes, with :class:`decimal.Decimal` in the model's context (28
significant digits, the caller sets it), what ``models/mawo.rules`` computes for an offer: the
offer's figures (LP 0, LP 1b, Regie, Sach- und Investitionskosten), each resident's packages
LP 0 … ILB 4 and day rate, and the offer's totals; ``mawo_person`` is the same for an offer
with exactly one resident (a MAWo person). It takes what the
compiled model takes: the loaded case's row (``Case.row``), the parameter values and the tables
(``Model.parameters`` / ``Model.tables``, or those of an agreement), and performs the same
operations in the same order, so that every figure agrees digit for digit
(``tests/tools/test_mawo_hand.py``). Checks that fail raise :class:`ValueError`; warnings are not
computed. Used by ``benchmarks/bench_scalar.py``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
OPEN_END = _dt.date(9999, 12, 31)  # „unbefristet“


def pflegekasse_43a(tagessatz: Decimal, berechnungstage: Decimal, budget: Decimal, P: Mapping[str, Any]) -> Decimal:
    """§ 43a SGB XI per calendar month: 15 % of a month's fee (the Berechnungstage spread as the days
    of a year without 29 February, the ILB-4 budget in twelfths), at most the monthly cap (a
    twelfth of ``pflegekasse_hoechstbetrag``), each month's payment rounded half up to the cent —
    exactly, as the model decides a half-cent tie on the exact value: the month's cents are the
    exact decimal ``(tagessatz · berechnungstage · days · 12 + budget · 365) · anteil · 100`` over
    365 · 12, rounded by integer arithmetic — and summed."""
    share, cap = P["pflegekasse_anteil"], P["pflegekasse_hoechstbetrag"]
    capped = _half_up(cap * 100, 12)

    def month(days: int) -> Decimal:
        cents = (tagessatz * berechnungstage * days * 12 + budget * 365) * share * 100
        return capped if cents * 12 >= cap * 100 * 4380 else _half_up(cents, 4380)

    return 7 * month(31) + 4 * month(30) + month(28)


def _half_up(numerator: Decimal, denominator: int) -> Decimal:
    """``numerator / denominator`` cents (not negative) rounded half up, as euros."""
    exponent = numerator.as_tuple().exponent
    assert isinstance(exponent, int)
    scale = 10 ** max(-exponent, 0)
    whole, over = int(numerator * scale), denominator * scale
    return Decimal((2 * whole + over) // (2 * over)).scaleb(-2)


def _level(granted: Any, computed: Any) -> Any:
    return computed if granted is None else granted


def mawo_offer(row: Mapping[str, Any], P: Mapping[str, Any], T: Mapping[str, Mapping[Any, Any]]) -> dict[str, Any]:
    """The figures of a MAWo offer by the model's keys, its residents' as dicts under
    ``"bewohner"``."""
    plaetze = row["plaetze"]
    nacht_bezugsgroesse = row["nacht_bezugsgroesse"]
    nachtdienst = row["nachtdienst"]
    if not (nachtdienst == 0 or nacht_bezugsgroesse > ZERO):
        raise ValueError("Bezugsgröße des Nachtdienstes fehlt")
    if not (nachtdienst == 0 or nacht_bezugsgroesse == ZERO or nacht_bezugsgroesse >= plaetze):
        raise ValueError("Bezugsgröße des Nachtdienstes kleiner als die Plätze")
    njaz = P["njaz"]
    pk_fachkraft = P["pk_fachkraft"]
    pk_assistenz = P["pk_assistenz"]
    berechnungstage = P["berechnungstage"]

    # the offer
    platzanteil = ONE / plaetze
    besetzung = row["nachtwachen"] if nachtdienst == 4 else ONE
    bezugsgroesse = plaetze if nacht_bezugsgroesse == ZERO else nacht_bezugsgroesse
    anteil_angebot = plaetze / bezugsgroesse
    nacht_stunden = P["lp0_nachtstunden"] * 365 * T["lp0_bewertung"][nachtdienst] * besetzung
    nacht_vk = nacht_stunden / njaz * (ONE + P["lp0_indirekt"])
    nacht_vk_fk = nacht_vk * P["lp0_fachkraftquote"]
    nacht_vk_as = nacht_vk - nacht_vk_fk
    nacht_kosten = nacht_vk_fk * pk_fachkraft + nacht_vk_as * pk_assistenz
    nacht_vk_angebot = nacht_vk * anteil_angebot
    nacht_vk_fk_angebot = nacht_vk_fk * anteil_angebot
    nacht_vk_as_angebot = nacht_vk_as * anteil_angebot
    nacht_kosten_angebot = nacht_kosten * anteil_angebot

    eb_tage_erwartet = (P["lp1b_krankheitstage"] + P["lp1b_urlaubstage"]) * plaetze
    eb_tage = min(eb_tage_erwartet, P["lp1b_tage"]) if row["lp1b_einfachbesetzung"] else ZERO
    eb_stunden = P["lp1b_stunden_je_tag"] * eb_tage
    eb_vk = eb_stunden / njaz * (ONE + P["lp1b_indirekt"])
    eb_vk_fk = eb_vk * P["lp1b_fachkraftquote"]
    eb_vk_as = eb_vk - eb_vk_fk
    eb_kosten = eb_vk_fk * pk_fachkraft + eb_vk_as * pk_assistenz

    leitung_vk = plaetze / P["schluessel_leitung"]
    verwaltung_vk = plaetze / P["schluessel_verwaltung"]
    fachdienst_vk = plaetze / P["schluessel_fachdienst"]
    hw_schluessel = (P["schluessel_hauswirtschaft_besonders"] if row["besondere_personenkreise"]
                     else P["schluessel_hauswirtschaft"])
    hauswirtschaft_vk = plaetze / hw_schluessel
    regie_vk = leitung_vk + verwaltung_vk + fachdienst_vk + hauswirtschaft_vk
    regie_kosten = (leitung_vk * P["pk_leitung"] + verwaltung_vk * P["pk_verwaltung"]
                    + fachdienst_vk * P["pk_fachdienst"] + hauswirtschaft_vk * P["pk_hauswirtschaft"])
    sachkosten = P["sachkosten_je_platz"] * plaetze
    investitionskosten = P["investitionsbetrag_je_platz"] * plaetze
    angebot_personalkosten = nacht_kosten_angebot + eb_kosten + regie_kosten
    angebot_kosten = angebot_personalkosten + sachkosten + investitionskosten + P["wohnkosten_ueber_grenze"]
    residents = row["bewohner"]
    belegung = Decimal(len(residents))
    if not belegung * ONE <= plaetze:
        raise ValueError("mehr Bewohner als Plätze")

    def one(person: Mapping[str, Any]) -> dict[str, Any]:
        """The figures of one resident."""
        # the person
        if not person["lp3b.stunden"] <= P["lp3b_hoechstwert"]:
            raise ValueError("LP 3b über dem höchsten Dauerbedarf")
        uebergang = person["einstufung"] != "regulaer"
        if not (not uebergang or person["einstufung_bis"] < OPEN_END):
            raise ValueError("Übergangseinstufung ohne Enddatum")
        lp0_vk = nacht_vk_angebot * platzanteil
        lp0_kosten = nacht_kosten_angebot * platzanteil
        lp1b_vk = eb_vk * platzanteil
        lp1b_kosten = eb_kosten * platzanteil

        kap4, kap5, kap6 = person["lp2a.kap4"], person["lp2a.kap5"], person["lp2a.kap6"]
        lp2a_minuten = kap4 + kap5 + kap6
        erbringung = T["lp2a_erbringung"]
        lp2a_rot = ((kap4 if erbringung[4] == "gemeinschaftlich" else ZERO)
                    + (kap5 if erbringung[5] == "gemeinschaftlich" else ZERO)
                    + (kap6 if erbringung[6] == "gemeinschaftlich" else ZERO))
        lp2a_anteil = ZERO if lp2a_minuten == ZERO else lp2a_rot / lp2a_minuten
        lp2a_poolfaktor = ONE - lp2a_anteil * (ONE - P["lp2a_poolanteil"])

        speise, reinigung, waesche = person["lp2c.speiseversorgung"], person["lp2c.reinigung"], person["lp2c.waesche"]
        lp2c_vk = ((ONE / P["lp2c_speiseversorgung"] if speise else ZERO)
                   + (ONE / P["lp2c_reinigung"] if reinigung else ZERO)
                   + (ONE / P["lp2c_waesche"] if waesche else ZERO))
        lp2c_kosten = lp2c_vk * P["pk_hauswirtschaft"]

        kaps = [person[f"lp3a.kap{n}"] for n in range(1, 10)]
        lp3a_woche = kaps[0]
        for kap in kaps[1:]:
            lp3a_woche = lp3a_woche + kap
        erbringung = T["lp3a_erbringung"]
        lp3a_rot = kaps[0] if erbringung[1] == "gemeinschaftlich" else ZERO
        for n in range(2, 10):
            lp3a_rot = lp3a_rot + (kaps[n - 1] if erbringung[n] == "gemeinschaftlich" else ZERO)
        lp3a_anteil = ZERO if lp3a_woche == ZERO else lp3a_rot / lp3a_woche
        lp3a_poolfaktor = ONE - lp3a_anteil * (ONE - P["lp3a_poolanteil"])

        vk_fd_zusatz = ONE / P["schluessel_fachdienst_zusatz"] if person["besonderer_personenkreis"] else ZERO
        kosten_fd_zusatz = vk_fd_zusatz * P["pk_fachdienst"]
        regie_kosten_person = regie_kosten * platzanteil
        sach_person = (sachkosten + investitionskosten + P["wohnkosten_ueber_grenze"]) * platzanteil
        platzkosten = lp0_kosten + lp1b_kosten + regie_kosten_person + sach_person

        if nachtdienst not in (0, 1, 2, 3, 4):
            raise ValueError("LP 0: keine Stufe")
        lp0_stufe = _level(person["lp0.bewilligte_stufe"], nachtdienst)
        if lp0_stufe != nachtdienst:
            raise ValueError("LP 0 für das ganze Angebot")

        def staff(vk: Decimal, quote: Decimal) -> tuple[Decimal, Decimal, Decimal]:
            fk = vk * quote
            assistenz = vk - fk
            return fk, assistenz, fk * pk_fachkraft + assistenz * pk_assistenz

        lp1a_stufe = _level(person["lp1a.bewilligte_stufe"], person["lp1a.berechnete_stufe"])
        lp1a_vk = T["lp1a_zeit"][lp1a_stufe] * 73 / 12 / njaz * (ONE + P["lp1a_indirekt"])
        lp1a_fk, lp1a_as, lp1a_kosten = staff(lp1a_vk, P["lp1a_fachkraftquote"])

        s = lp2a_minuten
        if ZERO <= s <= P["lp2a_grenze_0"]:
            lp2a_berechnet = 0
        elif P["lp2a_grenze_0"] < s <= P["lp2a_grenze_1"]:
            lp2a_berechnet = 1
        elif P["lp2a_grenze_1"] < s <= P["lp2a_grenze_2"]:
            lp2a_berechnet = 2
        elif P["lp2a_grenze_2"] < s <= P["lp2a_grenze_3"]:
            lp2a_berechnet = 3
        elif s > P["lp2a_grenze_3"]:
            lp2a_berechnet = 4
        else:
            raise ValueError("LP 2a: keine Stufe")
        lp2a_stufe = _level(person["lp2a.bewilligte_stufe"], lp2a_berechnet)
        lp2a_vk = T["lp2a_zeit"][lp2a_stufe] * 73 / 12 * lp2a_poolfaktor / njaz * (ONE + P["lp2a_indirekt"])
        lp2a_fk, lp2a_as, lp2a_kosten = staff(lp2a_vk, P["lp2a_fachkraftquote"])

        pflegegrad = person["pflegegrad"]
        lp2b_berechnet = T["lp2b_stufe_je_pg"][pflegegrad]
        if lp2b_berechnet not in (-1, 0, 1, 2, 3, 4):
            raise ValueError("LP 2b: keine Stufe")
        lp2b_berechnet = int(lp2b_berechnet)
        lp2b_stufe = _level(person["lp2b.bewilligte_stufe"], lp2b_berechnet)
        pg = pflegegrad if lp2b_stufe == lp2b_berechnet else T["lp2b_pg_je_stufe"][lp2b_stufe]
        lp2b_vk = T["pflegeminuten"][pg] * 73 / 12 / njaz * (ONE + P["lp2b_indirekt"])
        lp2b_fk, lp2b_as, lp2b_kosten = staff(lp2b_vk, P["lp2b_fachkraftquote"])

        s = lp3a_woche
        if ZERO <= s <= ZERO:
            lp3a_berechnet = 0
        elif ZERO < s <= P["lp3a_grenze_1"]:
            lp3a_berechnet = 1
        elif P["lp3a_grenze_1"] < s <= P["lp3a_grenze_2"]:
            lp3a_berechnet = 2
        elif P["lp3a_grenze_2"] < s <= P["lp3a_grenze_3"]:
            lp3a_berechnet = 3
        elif P["lp3a_grenze_3"] < s <= P["lp3a_grenze_4"]:
            lp3a_berechnet = 4
        elif s > P["lp3a_grenze_4"]:
            lp3a_berechnet = 5
        else:
            raise ValueError("LP 3a: keine Stufe")
        lp3a_stufe = _level(person["lp3a.bewilligte_stufe"], lp3a_berechnet)
        lp3a_vk = T["lp3a_zeit"][lp3a_stufe] * 365 / 7 * lp3a_poolfaktor / njaz * (ONE + P["lp3a_indirekt"])
        lp3a_fk, lp3a_as, lp3a_kosten = staff(lp3a_vk, P["lp3a_fachkraftquote"])

        s = person["lp3b.stunden"]
        if ZERO <= s <= ZERO:
            lp3b_berechnet = 0
        elif ZERO < s <= P["lp3b_grenze_1"]:
            lp3b_berechnet = 1
        elif P["lp3b_grenze_1"] < s <= P["lp3b_grenze_2"]:
            lp3b_berechnet = 2
        elif P["lp3b_grenze_2"] < s <= P["lp3b_grenze_3"]:
            lp3b_berechnet = 3
        elif P["lp3b_grenze_3"] < s <= P["lp3b_grenze_4"]:
            lp3b_berechnet = 4
        elif s > P["lp3b_grenze_4"]:
            lp3b_berechnet = 5
        else:
            raise ValueError("LP 3b: keine Stufe")
        lp3b_stufe = _level(person["lp3b.bewilligte_stufe"], lp3b_berechnet)
        lp3b_vk = T["lp3b_zeit"][lp3b_stufe] / njaz * (ONE + P["lp3b_indirekt"])
        lp3b_fk, lp3b_as, lp3b_kosten = staff(lp3b_vk, P["lp3b_fachkraftquote"])

        vk_fachkraft = lp1a_fk + lp2a_fk + lp2b_fk + lp3a_fk + lp3b_fk
        vk_assistenz = lp1a_as + lp2a_as + lp2b_as + lp3a_as + lp3b_as
        personalkosten = (lp1a_kosten + lp2a_kosten + lp2b_kosten + lp2c_kosten + lp3a_kosten + lp3b_kosten
                          + kosten_fd_zusatz)
        tagessatz_ungerundet = (personalkosten + platzkosten) / berechnungstage
        tagessatz = tagessatz_ungerundet.quantize(CENT, rounding=ROUND_HALF_UP)

        # ILB 4
        stunden = abrechenbar = geplant = ZERO
        werktage = P["ilb4_werktage"]
        poolanteil = T["poolanteil"]
        for number, measure in enumerate(person["massnahmen"], 1):
            if not (measure["stunden"] > ZERO or measure["stunden_je_werktag"] > ZERO):
                raise ValueError(f"ILB-4-Maßnahme {number}: keine Stunden")
            if not (measure["stunden"] == ZERO or measure["stunden_je_werktag"] == ZERO):
                raise ValueError(f"ILB-4-Maßnahme {number}: Stunden doppelt")
            jahr = measure["stunden"] + measure["stunden_je_werktag"] * werktage
            angerechnet = jahr * poolanteil[measure["personen"]]
            stunden += jahr
            abrechenbar += angerechnet
            if measure["geplant"]:
                geplant += angerechnet
        fls = P["fls_satz"]
        budget = (geplant * fls).quantize(CENT, rounding=ROUND_HALF_UP)
        ungeplant = ((abrechenbar - geplant) * fls).quantize(CENT, rounding=ROUND_HALF_UP)
        jahresbetrag = tagessatz * berechnungstage + budget
        pflegekasse = ZERO if pflegegrad in (0, 1) else pflegekasse_43a(tagessatz, berechnungstage, budget, P)
        return {
            "lp0.vk": lp0_vk,
            "lp1b.vk": lp1b_vk,
            "lp1a.stufe": lp1a_stufe,
            "lp2a.stufe": lp2a_stufe,
            "lp2b.stufe": lp2b_stufe,
            "lp3a.stufe": lp3a_stufe,
            "lp3b.stufe": lp3b_stufe,
            "lp2c.vk": lp2c_vk,
            "vk_fachdienst_zusatz": vk_fd_zusatz,
            "vk_fachkraft": vk_fachkraft,
            "vk_assistenz": vk_assistenz,
            "vk_individuell": vk_fachkraft + vk_assistenz + lp2c_vk + vk_fd_zusatz,
            "personalkosten_jahr": personalkosten,
            "platzkosten_jahr": platzkosten,
            "tagessatz_ungerundet": tagessatz_ungerundet,
            "tagessatz": tagessatz,
            "ilb4.stunden": stunden,
            "ilb4.budget": budget,
            "ilb4.betrag_ungeplant": ungeplant,
            "budget_individuell_jahr": personalkosten + budget,
            "jahresbetrag": jahresbetrag,
            "pflegekasse_43a": pflegekasse,
            "nettobetrag_jahr": jahresbetrag - pflegekasse,
        }

    people = [one(person) for person in residents]

    def total(key: str) -> Decimal:
        """``summe(bewohner.key)``: from zero, in the residents' order."""
        found = ZERO
        for figures in people:
            found = found + figures[key]
        return found

    vk_regie = regie_vk + total("vk_fachdienst_zusatz")
    budget_jahr = total("budget_individuell_jahr") + angebot_kosten
    return {
        "bewohner": people,
        "vk_regie": vk_regie,
        "vk_gesamt": ((total("vk_fachkraft") + nacht_vk_fk_angebot + eb_vk_fk)
                      + (total("vk_assistenz") + nacht_vk_as_angebot + eb_vk_as) + total("lp2c.vk") + vk_regie),
        "personalkosten_gesamt_jahr": total("personalkosten_jahr") + angebot_personalkosten,
        "budget_jahr": budget_jahr,
        "budget_tag": budget_jahr / 365,
        "tagessatz_durchschnitt": total("tagessatz_ungerundet") / belegung,
        "erloes_jahr": total("jahresbetrag"),
    }


def mawo_person(row: Mapping[str, Any], P: Mapping[str, Any], T: Mapping[str, Mapping[Any, Any]]) -> dict[str, Any]:
    """The figures of a one-resident MAWo offer, by the model's keys (``bewohner[1]``'s under
    ``"bewohner.…"``): :func:`mawo_offer` written out for one resident, without its loops."""
    plaetze = row["plaetze"]
    nacht_bezugsgroesse = row["nacht_bezugsgroesse"]
    nachtdienst = row["nachtdienst"]
    if not (nachtdienst == 0 or nacht_bezugsgroesse > ZERO):
        raise ValueError("Bezugsgröße des Nachtdienstes fehlt")
    if not (nachtdienst == 0 or nacht_bezugsgroesse == ZERO or nacht_bezugsgroesse >= plaetze):
        raise ValueError("Bezugsgröße des Nachtdienstes kleiner als die Plätze")
    njaz = P["njaz"]
    pk_fachkraft = P["pk_fachkraft"]
    pk_assistenz = P["pk_assistenz"]
    berechnungstage = P["berechnungstage"]

    # the offer
    platzanteil = ONE / plaetze
    besetzung = row["nachtwachen"] if nachtdienst == 4 else ONE
    bezugsgroesse = plaetze if nacht_bezugsgroesse == ZERO else nacht_bezugsgroesse
    anteil_angebot = plaetze / bezugsgroesse
    nacht_stunden = P["lp0_nachtstunden"] * 365 * T["lp0_bewertung"][nachtdienst] * besetzung
    nacht_vk = nacht_stunden / njaz * (ONE + P["lp0_indirekt"])
    nacht_vk_fk = nacht_vk * P["lp0_fachkraftquote"]
    nacht_vk_as = nacht_vk - nacht_vk_fk
    nacht_kosten = nacht_vk_fk * pk_fachkraft + nacht_vk_as * pk_assistenz
    nacht_vk_angebot = nacht_vk * anteil_angebot
    nacht_vk_fk_angebot = nacht_vk_fk * anteil_angebot
    nacht_vk_as_angebot = nacht_vk_as * anteil_angebot
    nacht_kosten_angebot = nacht_kosten * anteil_angebot

    eb_tage_erwartet = (P["lp1b_krankheitstage"] + P["lp1b_urlaubstage"]) * plaetze
    eb_tage = min(eb_tage_erwartet, P["lp1b_tage"]) if row["lp1b_einfachbesetzung"] else ZERO
    eb_stunden = P["lp1b_stunden_je_tag"] * eb_tage
    eb_vk = eb_stunden / njaz * (ONE + P["lp1b_indirekt"])
    eb_vk_fk = eb_vk * P["lp1b_fachkraftquote"]
    eb_vk_as = eb_vk - eb_vk_fk
    eb_kosten = eb_vk_fk * pk_fachkraft + eb_vk_as * pk_assistenz

    leitung_vk = plaetze / P["schluessel_leitung"]
    verwaltung_vk = plaetze / P["schluessel_verwaltung"]
    fachdienst_vk = plaetze / P["schluessel_fachdienst"]
    hw_schluessel = (P["schluessel_hauswirtschaft_besonders"] if row["besondere_personenkreise"]
                     else P["schluessel_hauswirtschaft"])
    hauswirtschaft_vk = plaetze / hw_schluessel
    regie_vk = leitung_vk + verwaltung_vk + fachdienst_vk + hauswirtschaft_vk
    regie_kosten = (leitung_vk * P["pk_leitung"] + verwaltung_vk * P["pk_verwaltung"]
                    + fachdienst_vk * P["pk_fachdienst"] + hauswirtschaft_vk * P["pk_hauswirtschaft"])
    sachkosten = P["sachkosten_je_platz"] * plaetze
    investitionskosten = P["investitionsbetrag_je_platz"] * plaetze
    angebot_personalkosten = nacht_kosten_angebot + eb_kosten + regie_kosten
    angebot_kosten = angebot_personalkosten + sachkosten + investitionskosten + P["wohnkosten_ueber_grenze"]
    (person,) = row["bewohner"]
    belegung = Decimal(1)
    if not belegung * ONE <= plaetze:
        raise ValueError("mehr Bewohner als Plätze")

    # the person
    if not person["lp3b.stunden"] <= P["lp3b_hoechstwert"]:
        raise ValueError("LP 3b über dem höchsten Dauerbedarf")
    uebergang = person["einstufung"] != "regulaer"
    if not (not uebergang or person["einstufung_bis"] < OPEN_END):
        raise ValueError("Übergangseinstufung ohne Enddatum")
    lp0_vk = nacht_vk_angebot * platzanteil
    lp0_kosten = nacht_kosten_angebot * platzanteil
    lp1b_vk = eb_vk * platzanteil
    lp1b_kosten = eb_kosten * platzanteil

    kap4, kap5, kap6 = person["lp2a.kap4"], person["lp2a.kap5"], person["lp2a.kap6"]
    lp2a_minuten = kap4 + kap5 + kap6
    erbringung = T["lp2a_erbringung"]
    lp2a_rot = ((kap4 if erbringung[4] == "gemeinschaftlich" else ZERO)
                + (kap5 if erbringung[5] == "gemeinschaftlich" else ZERO)
                + (kap6 if erbringung[6] == "gemeinschaftlich" else ZERO))
    lp2a_anteil = ZERO if lp2a_minuten == ZERO else lp2a_rot / lp2a_minuten
    lp2a_poolfaktor = ONE - lp2a_anteil * (ONE - P["lp2a_poolanteil"])

    speise, reinigung, waesche = person["lp2c.speiseversorgung"], person["lp2c.reinigung"], person["lp2c.waesche"]
    lp2c_vk = ((ONE / P["lp2c_speiseversorgung"] if speise else ZERO)
               + (ONE / P["lp2c_reinigung"] if reinigung else ZERO)
               + (ONE / P["lp2c_waesche"] if waesche else ZERO))
    lp2c_kosten = lp2c_vk * P["pk_hauswirtschaft"]

    kaps = [person[f"lp3a.kap{n}"] for n in range(1, 10)]
    lp3a_woche = kaps[0]
    for kap in kaps[1:]:
        lp3a_woche = lp3a_woche + kap
    erbringung = T["lp3a_erbringung"]
    lp3a_rot = kaps[0] if erbringung[1] == "gemeinschaftlich" else ZERO
    for n in range(2, 10):
        lp3a_rot = lp3a_rot + (kaps[n - 1] if erbringung[n] == "gemeinschaftlich" else ZERO)
    lp3a_anteil = ZERO if lp3a_woche == ZERO else lp3a_rot / lp3a_woche
    lp3a_poolfaktor = ONE - lp3a_anteil * (ONE - P["lp3a_poolanteil"])

    vk_fd_zusatz = ONE / P["schluessel_fachdienst_zusatz"] if person["besonderer_personenkreis"] else ZERO
    vk_fachdienst_zusatz_summe = ZERO + vk_fd_zusatz
    kosten_fd_zusatz = vk_fd_zusatz * P["pk_fachdienst"]
    regie_kosten_person = regie_kosten * platzanteil
    sach_person = (sachkosten + investitionskosten + P["wohnkosten_ueber_grenze"]) * platzanteil
    platzkosten = lp0_kosten + lp1b_kosten + regie_kosten_person + sach_person

    if nachtdienst not in (0, 1, 2, 3, 4):
        raise ValueError("LP 0: keine Stufe")
    lp0_stufe = _level(person["lp0.bewilligte_stufe"], nachtdienst)
    if lp0_stufe != nachtdienst:
        raise ValueError("LP 0 für das ganze Angebot")

    def staff(vk: Decimal, quote: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        fk = vk * quote
        assistenz = vk - fk
        return fk, assistenz, fk * pk_fachkraft + assistenz * pk_assistenz

    lp1a_stufe = _level(person["lp1a.bewilligte_stufe"], person["lp1a.berechnete_stufe"])
    lp1a_vk = T["lp1a_zeit"][lp1a_stufe] * 73 / 12 / njaz * (ONE + P["lp1a_indirekt"])
    lp1a_fk, lp1a_as, lp1a_kosten = staff(lp1a_vk, P["lp1a_fachkraftquote"])

    s = lp2a_minuten
    if ZERO <= s <= P["lp2a_grenze_0"]:
        lp2a_berechnet = 0
    elif P["lp2a_grenze_0"] < s <= P["lp2a_grenze_1"]:
        lp2a_berechnet = 1
    elif P["lp2a_grenze_1"] < s <= P["lp2a_grenze_2"]:
        lp2a_berechnet = 2
    elif P["lp2a_grenze_2"] < s <= P["lp2a_grenze_3"]:
        lp2a_berechnet = 3
    elif s > P["lp2a_grenze_3"]:
        lp2a_berechnet = 4
    else:
        raise ValueError("LP 2a: keine Stufe")
    lp2a_stufe = _level(person["lp2a.bewilligte_stufe"], lp2a_berechnet)
    lp2a_vk = T["lp2a_zeit"][lp2a_stufe] * 73 / 12 * lp2a_poolfaktor / njaz * (ONE + P["lp2a_indirekt"])
    lp2a_fk, lp2a_as, lp2a_kosten = staff(lp2a_vk, P["lp2a_fachkraftquote"])

    pflegegrad = person["pflegegrad"]
    lp2b_berechnet = T["lp2b_stufe_je_pg"][pflegegrad]
    if lp2b_berechnet not in (-1, 0, 1, 2, 3, 4):
        raise ValueError("LP 2b: keine Stufe")
    lp2b_berechnet = int(lp2b_berechnet)
    lp2b_stufe = _level(person["lp2b.bewilligte_stufe"], lp2b_berechnet)
    pg = pflegegrad if lp2b_stufe == lp2b_berechnet else T["lp2b_pg_je_stufe"][lp2b_stufe]
    lp2b_vk = T["pflegeminuten"][pg] * 73 / 12 / njaz * (ONE + P["lp2b_indirekt"])
    lp2b_fk, lp2b_as, lp2b_kosten = staff(lp2b_vk, P["lp2b_fachkraftquote"])

    s = lp3a_woche
    if ZERO <= s <= ZERO:
        lp3a_berechnet = 0
    elif ZERO < s <= P["lp3a_grenze_1"]:
        lp3a_berechnet = 1
    elif P["lp3a_grenze_1"] < s <= P["lp3a_grenze_2"]:
        lp3a_berechnet = 2
    elif P["lp3a_grenze_2"] < s <= P["lp3a_grenze_3"]:
        lp3a_berechnet = 3
    elif P["lp3a_grenze_3"] < s <= P["lp3a_grenze_4"]:
        lp3a_berechnet = 4
    elif s > P["lp3a_grenze_4"]:
        lp3a_berechnet = 5
    else:
        raise ValueError("LP 3a: keine Stufe")
    lp3a_stufe = _level(person["lp3a.bewilligte_stufe"], lp3a_berechnet)
    lp3a_vk = T["lp3a_zeit"][lp3a_stufe] * 365 / 7 * lp3a_poolfaktor / njaz * (ONE + P["lp3a_indirekt"])
    lp3a_fk, lp3a_as, lp3a_kosten = staff(lp3a_vk, P["lp3a_fachkraftquote"])

    s = person["lp3b.stunden"]
    if ZERO <= s <= ZERO:
        lp3b_berechnet = 0
    elif ZERO < s <= P["lp3b_grenze_1"]:
        lp3b_berechnet = 1
    elif P["lp3b_grenze_1"] < s <= P["lp3b_grenze_2"]:
        lp3b_berechnet = 2
    elif P["lp3b_grenze_2"] < s <= P["lp3b_grenze_3"]:
        lp3b_berechnet = 3
    elif P["lp3b_grenze_3"] < s <= P["lp3b_grenze_4"]:
        lp3b_berechnet = 4
    elif s > P["lp3b_grenze_4"]:
        lp3b_berechnet = 5
    else:
        raise ValueError("LP 3b: keine Stufe")
    lp3b_stufe = _level(person["lp3b.bewilligte_stufe"], lp3b_berechnet)
    lp3b_vk = T["lp3b_zeit"][lp3b_stufe] / njaz * (ONE + P["lp3b_indirekt"])
    lp3b_fk, lp3b_as, lp3b_kosten = staff(lp3b_vk, P["lp3b_fachkraftquote"])

    vk_fachkraft = lp1a_fk + lp2a_fk + lp2b_fk + lp3a_fk + lp3b_fk
    vk_assistenz = lp1a_as + lp2a_as + lp2b_as + lp3a_as + lp3b_as
    personalkosten = (lp1a_kosten + lp2a_kosten + lp2b_kosten + lp2c_kosten + lp3a_kosten + lp3b_kosten
                      + kosten_fd_zusatz)
    tagessatz_ungerundet = (personalkosten + platzkosten) / berechnungstage
    tagessatz = tagessatz_ungerundet.quantize(CENT, rounding=ROUND_HALF_UP)

    # ILB 4
    stunden = abrechenbar = geplant = ZERO
    werktage = P["ilb4_werktage"]
    poolanteil = T["poolanteil"]
    for number, measure in enumerate(person["massnahmen"], 1):
        if not (measure["stunden"] > ZERO or measure["stunden_je_werktag"] > ZERO):
            raise ValueError(f"ILB-4-Maßnahme {number}: keine Stunden")
        if not (measure["stunden"] == ZERO or measure["stunden_je_werktag"] == ZERO):
            raise ValueError(f"ILB-4-Maßnahme {number}: Stunden doppelt")
        jahr = measure["stunden"] + measure["stunden_je_werktag"] * werktage
        angerechnet = jahr * poolanteil[measure["personen"]]
        stunden += jahr
        abrechenbar += angerechnet
        if measure["geplant"]:
            geplant += angerechnet
    fls = P["fls_satz"]
    budget = (geplant * fls).quantize(CENT, rounding=ROUND_HALF_UP)
    ungeplant = ((abrechenbar - geplant) * fls).quantize(CENT, rounding=ROUND_HALF_UP)
    jahresbetrag = tagessatz * berechnungstage + budget
    pflegekasse = ZERO if pflegegrad in (0, 1) else pflegekasse_43a(tagessatz, berechnungstage, budget, P)
    vk_regie = regie_vk + vk_fachdienst_zusatz_summe
    budget_jahr = ZERO + (personalkosten + budget) + angebot_kosten
    return {
        "bewohner.lp0.vk": lp0_vk,
        "bewohner.lp1b.vk": lp1b_vk,
        "bewohner.lp1a.stufe": lp1a_stufe,
        "bewohner.lp2a.stufe": lp2a_stufe,
        "bewohner.lp2b.stufe": lp2b_stufe,
        "bewohner.lp3a.stufe": lp3a_stufe,
        "bewohner.lp3b.stufe": lp3b_stufe,
        "bewohner.vk_individuell": vk_fachkraft + vk_assistenz + lp2c_vk + vk_fd_zusatz,
        "bewohner.personalkosten_jahr": personalkosten,
        "bewohner.platzkosten_jahr": platzkosten,
        "bewohner.tagessatz_ungerundet": tagessatz_ungerundet,
        "bewohner.tagessatz": tagessatz,
        "bewohner.ilb4.stunden": stunden,
        "bewohner.ilb4.budget": budget,
        "bewohner.ilb4.betrag_ungeplant": ungeplant,
        "bewohner.jahresbetrag": jahresbetrag,
        "bewohner.pflegekasse_43a": pflegekasse,
        "bewohner.nettobetrag_jahr": jahresbetrag - pflegekasse,
        "vk_gesamt": (ZERO + vk_fachkraft + nacht_vk_fk_angebot + eb_vk_fk
                      + (ZERO + vk_assistenz + nacht_vk_as_angebot + eb_vk_as) + (ZERO + lp2c_vk) + vk_regie),
        "personalkosten_gesamt_jahr": ZERO + personalkosten + angebot_personalkosten,
        "budget_jahr": budget_jahr,
        "budget_tag": budget_jahr / 365,
        "tagessatz_durchschnitt": (ZERO + tagessatz_ungerundet) / belegung,
        "erloes_jahr": ZERO + jahresbetrag,
    }
