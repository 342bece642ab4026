"""The MAWo person as a small OpenFisca tax and benefit system: the vectorised peer of the columnar benchmark.

``mawo_system(model, slots)`` builds an OpenFisca ``TaxBenefitSystem`` with two entities — the person
(``person``) and the offer (``angebot``, its residents in the role ``bewohner``) — whose variables
compute what ``benchmarks/mawo_hand.py`` computes for a MAWo person (the package levels LP 1a … LP 3b,
their full-time equivalents and costs, the place costs, the day rate, ILB 4, the annual amount, the
Pflegekasse share and the offer's totals), with the same operations in the same order, but on arrays
of OpenFisca's default number type (``float32``; ``dtype=numpy.float64`` for comparison) instead of
:class:`decimal.Decimal`.

Its parameters are generated from the model's (``Model.parameters`` and ``Model.tables``, or those of
an agreement) as one OpenFisca ``ParameterNode`` (``mawo``; the tables under ``mawo.tabellen``,
keyed by the text of their key). An ILB 4 measure list has no OpenFisca entity (measures are no
persons): a person has ``slots`` measure slots (``massnahme1_stunden`` …), unused ones left at their
defaults. The model's checks (``prüfung``) are not computed: a vectorised system does not reject
rows, a case the model rejects just gets some figure (a missing table key gives NaN).

``inputs(rows, slots)`` turns loaded cases (``Case.row``, offers with one resident) into the
input arrays; ``simulate(system, inputs, count)`` runs the system over ``count`` persons (the input
arrays repeated) and returns the figures of :data:`FIGURES` as arrays. Needs ``openfisca-core`` and
``numpy`` (the ``peers`` extra); used by ``benchmarks/peers/bench_openfisca.py`` and its test
``tests/tools/test_openfisca_peer.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy
from openfisca_core.entities import build_entity
from openfisca_core.model_api import YEAR, Variable, select, where
from openfisca_core.parameters import ParameterNode
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

PERIOD = "2024"
SINCE = "2000-01-01"
NONE = -99  # an integer input left empty (no granted level)

Person = build_entity(key="person", plural="personen", label="Bewohnerin oder Bewohner", is_person=True)
Angebot = build_entity(key="angebot", plural="angebote", label="Angebot (MAWo)",
                       roles=[{"key": "bewohner", "plural": "bewohnerinnen", "label": "Bewohner"}])

#: the figures the benchmark reads, by OpenFisca variable: the key of ``mawo_hand.mawo_person``
FIGURES: dict[str, str] = {
    "lp0_vk": "bewohner.lp0.vk",
    "lp1b_vk": "bewohner.lp1b.vk",
    "lp1a_stufe": "bewohner.lp1a.stufe",
    "lp2a_stufe": "bewohner.lp2a.stufe",
    "lp2b_stufe": "bewohner.lp2b.stufe",
    "lp3a_stufe": "bewohner.lp3a.stufe",
    "lp3b_stufe": "bewohner.lp3b.stufe",
    "vk_individuell": "bewohner.vk_individuell",
    "personalkosten_jahr": "bewohner.personalkosten_jahr",
    "platzkosten_jahr": "bewohner.platzkosten_jahr",
    "tagessatz_ungerundet": "bewohner.tagessatz_ungerundet",
    "tagessatz": "bewohner.tagessatz",
    "ilb4_stunden": "bewohner.ilb4.stunden",
    "ilb4_budget": "bewohner.ilb4.budget",
    "ilb4_betrag_ungeplant": "bewohner.ilb4.betrag_ungeplant",
    "jahresbetrag": "bewohner.jahresbetrag",
    "pflegekasse_43a": "bewohner.pflegekasse_43a",
    "nettobetrag_jahr": "bewohner.nettobetrag_jahr",
    "vk_gesamt": "vk_gesamt",
    "personalkosten_gesamt_jahr": "personalkosten_gesamt_jahr",
    "budget_jahr": "budget_jahr",
    "budget_tag": "budget_tag",
    "tagessatz_durchschnitt": "tagessatz_durchschnitt",
    "erloes_jahr": "erloes_jahr",
}
#: the billed figures (rounded to the cent by the model)
BILLED = ("tagessatz", "ilb4_budget", "ilb4_betrag_ungeplant", "jahresbetrag", "pflegekasse_43a", "nettobetrag_jahr")
#: the package levels (integers)
LEVELS = ("lp1a_stufe", "lp2a_stufe", "lp2b_stufe", "lp3a_stufe", "lp3b_stufe")

_OFFER_INPUTS: dict[str, tuple[type, Any]] = {
    "plaetze": (float, 0), "nacht_bezugsgroesse": (float, 0), "nachtdienst": (int, 0), "nachtwachen": (float, 1),
    "lp1b_einfachbesetzung": (bool, False), "besondere_personenkreise": (bool, False),
}
_PERSON_INPUTS: dict[str, tuple[type, Any]] = {
    "pflegegrad": (int, 0), "besonderer_personenkreis": (bool, False),
    "lp1a_berechnete_stufe": (int, 0),
    **{f"lp{p}_bewilligte_stufe": (int, NONE) for p in ("1a", "2a", "2b", "3a", "3b")},
    **{f"lp2a_kap{n}": (float, 0) for n in (4, 5, 6)},
    "lp2c_speiseversorgung": (bool, False), "lp2c_reinigung": (bool, False), "lp2c_waesche": (bool, False),
    **{f"lp3a_kap{n}": (float, 0) for n in range(1, 10)},
    "lp3b_stunden": (float, 0),
}
_MEASURE_INPUTS: dict[str, tuple[type, Any]] = {
    "stunden": (float, 0), "stunden_je_werktag": (float, 0), "personen": (int, 1), "geplant": (bool, True),
}


def _variable(name: str, entity: Any, value_type: type, formula: Callable[..., Any] | None = None,
              default: Any = None, dtype: Any = numpy.float32) -> type[Variable]:
    """An OpenFisca variable class (an input where ``formula`` is None); a number (``float``) is
    stored as ``dtype`` (OpenFisca's is ``float32``)."""
    attributes: dict[str, Any] = {"value_type": value_type, "entity": entity, "definition_period": YEAR,
                                  "label": name}
    if value_type is float and dtype != numpy.float32:

        def __init__(self: Variable, baseline_variable: Any = None) -> None:
            Variable.__init__(self, baseline_variable)
            self.dtype = dtype

        attributes["__init__"] = __init__
    if formula is not None:
        attributes["formula"] = formula
    if default is not None:
        attributes["default_value"] = default
    return type(name, (Variable,), attributes)


def lookup(table: Any, keys: Any) -> Any:
    """``table[keys]`` for an integer array: the table (a parameter node at an instant, keyed by the
    text of an integer) as a vector indexed by the key, NaN where it has no entry: ``float64``, as
    OpenFisca's own fancy indexing of a node gives (which takes an array of key texts and is ~400×
    slower)."""
    numbers = sorted(int(key) for key in table)
    low = numbers[0]
    vector = numpy.full(numbers[-1] - low + 2, numpy.nan)  # the last slot: no entry
    for number in numbers:
        vector[number - low] = table[str(number)]
    index = keys - low
    index = where((index >= 0) & (index < len(vector) - 1), index, len(vector) - 1)
    return vector[index]


def _level(granted: Any, computed: Any) -> Any:
    return where(granted == NONE, computed, granted)


def _cents(amount: Any) -> Any:
    """``runde(amount, 2, kaufmännisch)`` for amounts ≥ 0."""
    return numpy.floor(amount * 100 + 0.5) / 100


def _ratio(numerator: Any, denominator: Any) -> Any:
    """``0 wenn denominator = 0 sonst numerator / denominator``, without numpy's warning for 0/0."""
    return numpy.divide(numerator, denominator, out=numpy.zeros_like(numerator), where=denominator != 0)


# ---- the offer ------------------------------------------------------------------------------------------


def platzanteil(angebot: Any, period: Any, parameters: Any) -> Any:
    return 1 / angebot("plaetze", period)


def nacht_vk(angebot: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    nachtdienst = angebot("nachtdienst", period)
    besetzung = where(nachtdienst == 4, angebot("nachtwachen", period), 1)
    stunden = p.lp0_nachtstunden * 365 * lookup(p.tabellen.lp0_bewertung, nachtdienst) * besetzung
    return stunden / p.njaz * (1 + p.lp0_indirekt)


def nacht_anteil_angebot(angebot: Any, period: Any, parameters: Any) -> Any:
    plaetze = angebot("plaetze", period)
    bezugsgroesse = angebot("nacht_bezugsgroesse", period)
    return plaetze / where(bezugsgroesse == 0, plaetze, bezugsgroesse)


def nacht_vk_fk(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("nacht_vk", period) * parameters(period).mawo.lp0_fachkraftquote


def nacht_vk_as(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("nacht_vk", period) - angebot("nacht_vk_fk", period)


def nacht_kosten(angebot: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    return angebot("nacht_vk_fk", period) * p.pk_fachkraft + angebot("nacht_vk_as", period) * p.pk_assistenz


def nacht_vk_angebot(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("nacht_vk", period) * angebot("nacht_anteil_angebot", period)


def nacht_vk_fk_angebot(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("nacht_vk_fk", period) * angebot("nacht_anteil_angebot", period)


def nacht_vk_as_angebot(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("nacht_vk_as", period) * angebot("nacht_anteil_angebot", period)


def nacht_kosten_angebot(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("nacht_kosten", period) * angebot("nacht_anteil_angebot", period)


def eb_vk(angebot: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    erwartet = (p.lp1b_krankheitstage + p.lp1b_urlaubstage) * angebot("plaetze", period)
    tage = where(angebot("lp1b_einfachbesetzung", period), numpy.minimum(erwartet, p.lp1b_tage), 0)
    return p.lp1b_stunden_je_tag * tage / p.njaz * (1 + p.lp1b_indirekt)


def eb_vk_fk(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("eb_vk", period) * parameters(period).mawo.lp1b_fachkraftquote


def eb_vk_as(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("eb_vk", period) - angebot("eb_vk_fk", period)


def eb_kosten(angebot: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    return angebot("eb_vk_fk", period) * p.pk_fachkraft + angebot("eb_vk_as", period) * p.pk_assistenz


def _regie(angebot: Any, period: Any, parameters: Any) -> tuple[Any, Any, Any, Any]:
    p = parameters(period).mawo
    plaetze = angebot("plaetze", period)
    hauswirtschaft = where(angebot("besondere_personenkreise", period), p.schluessel_hauswirtschaft_besonders,
                           p.schluessel_hauswirtschaft)
    return (plaetze / p.schluessel_leitung, plaetze / p.schluessel_verwaltung, plaetze / p.schluessel_fachdienst,
            plaetze / hauswirtschaft)


def regie_vk(angebot: Any, period: Any, parameters: Any) -> Any:
    leitung, verwaltung, fachdienst, hauswirtschaft = _regie(angebot, period, parameters)
    return leitung + verwaltung + fachdienst + hauswirtschaft


def regie_kosten(angebot: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    leitung, verwaltung, fachdienst, hauswirtschaft = _regie(angebot, period, parameters)
    return (leitung * p.pk_leitung + verwaltung * p.pk_verwaltung + fachdienst * p.pk_fachdienst
            + hauswirtschaft * p.pk_hauswirtschaft)


def sachkosten(angebot: Any, period: Any, parameters: Any) -> Any:
    return parameters(period).mawo.sachkosten_je_platz * angebot("plaetze", period)


def investitionskosten(angebot: Any, period: Any, parameters: Any) -> Any:
    return parameters(period).mawo.investitionsbetrag_je_platz * angebot("plaetze", period)


def angebot_personalkosten(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("nacht_kosten_angebot", period) + angebot("eb_kosten", period) + angebot("regie_kosten", period)


def angebot_kosten(angebot: Any, period: Any, parameters: Any) -> Any:
    return (angebot("angebot_personalkosten", period) + angebot("sachkosten", period)
            + angebot("investitionskosten", period) + parameters(period).mawo.wohnkosten_ueber_grenze)


def vk_regie(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("regie_vk", period) + angebot.sum(angebot.members("vk_fachdienst_zusatz", period))


def vk_gesamt(angebot: Any, period: Any, parameters: Any) -> Any:
    members = angebot.members
    fachkraft = (angebot.sum(members("vk_fachkraft", period)) + angebot("nacht_vk_fk_angebot", period)
                 + angebot("eb_vk_fk", period))
    assistenz = (angebot.sum(members("vk_assistenz", period)) + angebot("nacht_vk_as_angebot", period)
                 + angebot("eb_vk_as", period))
    return fachkraft + assistenz + angebot.sum(members("lp2c_vk", period)) + angebot("vk_regie", period)


def personalkosten_gesamt_jahr(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot.sum(angebot.members("personalkosten_jahr", period)) + angebot("angebot_personalkosten", period)


def budget_jahr(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot.sum(angebot.members("budget_individuell_jahr", period)) + angebot("angebot_kosten", period)


def budget_tag(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot("budget_jahr", period) / 365


def tagessatz_durchschnitt(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot.sum(angebot.members("tagessatz_ungerundet", period)) / angebot.nb_persons()


def erloes_jahr(angebot: Any, period: Any, parameters: Any) -> Any:
    return angebot.sum(angebot.members("jahresbetrag", period))


# ---- the person -----------------------------------------------------------------------------------------


def lp0_vk(person: Any, period: Any, parameters: Any) -> Any:
    return person.angebot("nacht_vk_angebot", period) * person.angebot("platzanteil", period)


def lp0_kosten(person: Any, period: Any, parameters: Any) -> Any:
    return person.angebot("nacht_kosten_angebot", period) * person.angebot("platzanteil", period)


def lp1b_vk(person: Any, period: Any, parameters: Any) -> Any:
    return person.angebot("eb_vk", period) * person.angebot("platzanteil", period)


def lp1b_kosten(person: Any, period: Any, parameters: Any) -> Any:
    return person.angebot("eb_kosten", period) * person.angebot("platzanteil", period)


def _chapters(person: Any, period: Any, package: str, chapters: Sequence[int], table: Any,
              shared_only: bool) -> Any:
    """The sum of the package's chapters (only those the table marks ``gemeinschaftlich``)."""
    total = None
    for chapter in chapters:
        value = person(f"{package}_kap{chapter}", period)
        if shared_only and table[str(chapter)] != "gemeinschaftlich":
            value = numpy.zeros_like(value)
        total = value if total is None else total + value
    return total


def lp2a_minuten(person: Any, period: Any, parameters: Any) -> Any:
    return _chapters(person, period, "lp2a", (4, 5, 6), None, False)


def lp2a_gemeinschaftlich(person: Any, period: Any, parameters: Any) -> Any:
    return _chapters(person, period, "lp2a", (4, 5, 6), parameters(period).mawo.tabellen.lp2a_erbringung, True)


def lp2a_poolfaktor(person: Any, period: Any, parameters: Any) -> Any:
    anteil = _ratio(person("lp2a_gemeinschaftlich", period), person("lp2a_minuten", period))
    return 1 - anteil * (1 - parameters(period).mawo.lp2a_poolanteil)


def lp3a_woche(person: Any, period: Any, parameters: Any) -> Any:
    return _chapters(person, period, "lp3a", range(1, 10), None, False)


def lp3a_gemeinschaftlich(person: Any, period: Any, parameters: Any) -> Any:
    return _chapters(person, period, "lp3a", range(1, 10), parameters(period).mawo.tabellen.lp3a_erbringung, True)


def lp3a_poolfaktor(person: Any, period: Any, parameters: Any) -> Any:
    anteil = _ratio(person("lp3a_gemeinschaftlich", period), person("lp3a_woche", period))
    return 1 - anteil * (1 - parameters(period).mawo.lp3a_poolanteil)


def lp2c_vk(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    return (where(person("lp2c_speiseversorgung", period), 1 / p.lp2c_speiseversorgung, 0)
            + where(person("lp2c_reinigung", period), 1 / p.lp2c_reinigung, 0)
            + where(person("lp2c_waesche", period), 1 / p.lp2c_waesche, 0))


def vk_fachdienst_zusatz(person: Any, period: Any, parameters: Any) -> Any:
    return where(person("besonderer_personenkreis", period), 1 / parameters(period).mawo.schluessel_fachdienst_zusatz,
                 0)


def platzkosten_jahr(person: Any, period: Any, parameters: Any) -> Any:
    platzanteil = person.angebot("platzanteil", period)
    sach = (person.angebot("sachkosten", period) + person.angebot("investitionskosten", period)
            + parameters(period).mawo.wohnkosten_ueber_grenze) * platzanteil
    return (person("lp0_kosten", period) + person("lp1b_kosten", period)
            + person.angebot("regie_kosten", period) * platzanteil + sach)


def lp1a_stufe(person: Any, period: Any, parameters: Any) -> Any:
    return _level(person("lp1a_bewilligte_stufe", period), person("lp1a_berechnete_stufe", period))


def lp1a_vk(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    return lookup(p.tabellen.lp1a_zeit, person("lp1a_stufe", period)) * 73 / 12 / p.njaz * (1 + p.lp1a_indirekt)


def lp2a_stufe(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    s = person("lp2a_minuten", period)
    berechnet = select([s <= p.lp2a_grenze_0, s <= p.lp2a_grenze_1, s <= p.lp2a_grenze_2, s <= p.lp2a_grenze_3],
                       [0, 1, 2, 3], 4)
    return _level(person("lp2a_bewilligte_stufe", period), berechnet)


def lp2a_vk(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    zeit = lookup(p.tabellen.lp2a_zeit, person("lp2a_stufe", period))
    return zeit * 73 / 12 * person("lp2a_poolfaktor", period) / p.njaz * (1 + p.lp2a_indirekt)


def lp2b_berechnete_stufe(person: Any, period: Any, parameters: Any) -> Any:
    return lookup(parameters(period).mawo.tabellen.lp2b_stufe_je_pg, person("pflegegrad", period))


def lp2b_stufe(person: Any, period: Any, parameters: Any) -> Any:
    return _level(person("lp2b_bewilligte_stufe", period), person("lp2b_berechnete_stufe", period))


def lp2b_vk(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    stufe = person("lp2b_stufe", period)
    pflegegrad = where(stufe == person("lp2b_berechnete_stufe", period), person("pflegegrad", period),
                       lookup(p.tabellen.lp2b_pg_je_stufe, stufe)).astype(numpy.int32)
    return lookup(p.tabellen.pflegeminuten, pflegegrad) * 73 / 12 / p.njaz * (1 + p.lp2b_indirekt)


def _five_bands(s: Any, p: Any, package: str) -> Any:
    """0 for 0, then the bands up to ``grenze_1`` … ``grenze_4`` (upper bounds included), 5 above."""
    bounds = [getattr(p, f"{package}_grenze_{n}") for n in range(1, 5)]
    return select([s <= 0, *(s <= bound for bound in bounds)], [0, 1, 2, 3, 4], 5)


def lp3a_stufe(person: Any, period: Any, parameters: Any) -> Any:
    berechnet = _five_bands(person("lp3a_woche", period), parameters(period).mawo, "lp3a")
    return _level(person("lp3a_bewilligte_stufe", period), berechnet)


def lp3a_vk(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    zeit = lookup(p.tabellen.lp3a_zeit, person("lp3a_stufe", period))
    return zeit * 365 / 7 * person("lp3a_poolfaktor", period) / p.njaz * (1 + p.lp3a_indirekt)


def lp3b_stufe(person: Any, period: Any, parameters: Any) -> Any:
    berechnet = _five_bands(person("lp3b_stunden", period), parameters(period).mawo, "lp3b")
    return _level(person("lp3b_bewilligte_stufe", period), berechnet)


def lp3b_vk(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    return lookup(p.tabellen.lp3b_zeit, person("lp3b_stufe", period)) / p.njaz * (1 + p.lp3b_indirekt)


_PACKAGES = ("lp1a", "lp2a", "lp2b", "lp3a", "lp3b")


def vk_fachkraft(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    total = None
    for package in _PACKAGES:
        fk = person(f"{package}_vk", period) * getattr(p, f"{package}_fachkraftquote")
        total = fk if total is None else total + fk
    return total


def vk_assistenz(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    total = None
    for package in _PACKAGES:
        vk = person(f"{package}_vk", period)
        assistenz = vk - vk * getattr(p, f"{package}_fachkraftquote")
        total = assistenz if total is None else total + assistenz
    return total


def personalkosten_jahr(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    kosten = []
    for package in _PACKAGES:
        vk = person(f"{package}_vk", period)
        fk = vk * getattr(p, f"{package}_fachkraftquote")
        kosten.append(fk * p.pk_fachkraft + (vk - fk) * p.pk_assistenz)
    lp1a, lp2a, lp2b, lp3a, lp3b = kosten
    lp2c = person("lp2c_vk", period) * p.pk_hauswirtschaft
    zusatz = person("vk_fachdienst_zusatz", period) * p.pk_fachdienst
    return lp1a + lp2a + lp2b + lp2c + lp3a + lp3b + zusatz


def vk_individuell(person: Any, period: Any, parameters: Any) -> Any:
    return (person("vk_fachkraft", period) + person("vk_assistenz", period) + person("lp2c_vk", period)
            + person("vk_fachdienst_zusatz", period))


def tagessatz_ungerundet(person: Any, period: Any, parameters: Any) -> Any:
    return ((person("personalkosten_jahr", period) + person("platzkosten_jahr", period))
            / parameters(period).mawo.berechnungstage)


def tagessatz(person: Any, period: Any, parameters: Any) -> Any:
    return _cents(person("tagessatz_ungerundet", period))


def ilb4_budget(person: Any, period: Any, parameters: Any) -> Any:
    return _cents(person("ilb4_stunden_geplant", period) * parameters(period).mawo.fls_satz)


def ilb4_betrag_ungeplant(person: Any, period: Any, parameters: Any) -> Any:
    ungeplant = person("ilb4_stunden_abrechenbar", period) - person("ilb4_stunden_geplant", period)
    return _cents(ungeplant * parameters(period).mawo.fls_satz)


def budget_individuell_jahr(person: Any, period: Any, parameters: Any) -> Any:
    return person("personalkosten_jahr", period) + person("ilb4_budget", period)


def jahresbetrag(person: Any, period: Any, parameters: Any) -> Any:
    return person("tagessatz", period) * parameters(period).mawo.berechnungstage + person("ilb4_budget", period)


def pflegekasse_43a(person: Any, period: Any, parameters: Any) -> Any:
    p = parameters(period).mawo
    cap = p.pflegekasse_hoechstbetrag / 12  # § 43a SGB XI: the cap of a calendar month
    fee = person("tagessatz", period) * p.berechnungstage
    twelfth = person("ilb4_budget", period) / 12

    def month(days: int) -> Any:  # each month's payment in cents
        return _cents(numpy.minimum((fee * days / 365 + twelfth) * p.pflegekasse_anteil, cap))

    anteil = 7 * month(31) + 4 * month(30) + month(28)
    return where(person("pflegegrad", period) <= 1, 0, anteil)


def nettobetrag_jahr(person: Any, period: Any, parameters: Any) -> Any:
    return person("jahresbetrag", period) - person("pflegekasse_43a", period)


_OFFER_FORMULAS: list[Callable[..., Any]] = [
    platzanteil, nacht_vk, nacht_anteil_angebot, nacht_vk_fk, nacht_vk_as, nacht_kosten, nacht_vk_angebot,
    nacht_vk_fk_angebot, nacht_vk_as_angebot, nacht_kosten_angebot, eb_vk, eb_vk_fk, eb_vk_as, eb_kosten,
    regie_vk, regie_kosten, sachkosten, investitionskosten, angebot_personalkosten, angebot_kosten, vk_regie,
    vk_gesamt, personalkosten_gesamt_jahr, budget_jahr, budget_tag, tagessatz_durchschnitt, erloes_jahr,
]
_PERSON_FORMULAS: list[Callable[..., Any]] = [
    lp0_vk, lp0_kosten, lp1b_vk, lp1b_kosten, lp2a_minuten, lp2a_gemeinschaftlich, lp2a_poolfaktor, lp3a_woche,
    lp3a_gemeinschaftlich, lp3a_poolfaktor, lp2c_vk, vk_fachdienst_zusatz, platzkosten_jahr, lp1a_vk, lp2a_vk,
    lp2b_vk, lp3a_vk, lp3b_vk, vk_fachkraft, vk_assistenz, personalkosten_jahr, vk_individuell,
    tagessatz_ungerundet, tagessatz, ilb4_budget, ilb4_betrag_ungeplant, budget_individuell_jahr, jahresbetrag,
    pflegekasse_43a, nettobetrag_jahr,
]
_INTEGER_FORMULAS: list[Callable[..., Any]] = [lp1a_stufe, lp2a_stufe, lp2b_berechnete_stufe, lp2b_stufe,
                                               lp3a_stufe, lp3b_stufe]


def _ilb4(slots: int, dtype: Any) -> list[type[Variable]]:
    """The measure slots (inputs, ``stunden_jahr`` and ``abrechenbar`` of each) and the person's sums."""
    variables = [_variable(f"massnahme{k}_{name}", Person, kind, default=default, dtype=dtype)
                 for k in range(1, slots + 1) for name, (kind, default) in _MEASURE_INPUTS.items()]

    def stunden_jahr(k: int) -> Callable[..., Any]:
        def formula(person: Any, period: Any, parameters: Any) -> Any:
            return (person(f"massnahme{k}_stunden", period)
                    + person(f"massnahme{k}_stunden_je_werktag", period) * parameters(period).mawo.ilb4_werktage)
        return formula

    def abrechenbar(k: int) -> Callable[..., Any]:
        def formula(person: Any, period: Any, parameters: Any) -> Any:
            anteil = lookup(parameters(period).mawo.tabellen.poolanteil, person(f"massnahme{k}_personen", period))
            return person(f"massnahme{k}_stunden_jahr", period) * anteil
        return formula

    def total(measure: str, planned: bool) -> Callable[..., Any]:
        def formula(person: Any, period: Any, parameters: Any) -> Any:
            found = numpy.zeros(person.count, dtype=dtype)
            for k in range(1, slots + 1):
                value = person(f"massnahme{k}_{measure}", period)
                found = found + (where(person(f"massnahme{k}_geplant", period), value, 0) if planned else value)
            return found
        return formula

    for k in range(1, slots + 1):
        variables.append(_variable(f"massnahme{k}_stunden_jahr", Person, float, stunden_jahr(k), dtype=dtype))
        variables.append(_variable(f"massnahme{k}_abrechenbar", Person, float, abrechenbar(k), dtype=dtype))
    variables.append(_variable("ilb4_stunden", Person, float, total("stunden_jahr", False), dtype=dtype))
    variables.append(_variable("ilb4_stunden_abrechenbar", Person, float, total("abrechenbar", False), dtype=dtype))
    variables.append(_variable("ilb4_stunden_geplant", Person, float, total("abrechenbar", True), dtype=dtype))
    return variables


def _parameter_value(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        return value
    return float(value) if isinstance(value, Decimal) and value != value.to_integral_value() else int(value)


def _key(key: Any) -> str:
    if isinstance(key, Decimal) and key != key.to_integral_value():
        raise ValueError(f"table key {key} is not an integer")
    return str(int(key))


def parameter_node(parameters: Mapping[str, Any], tables: Mapping[str, Mapping[Any, Any]]) -> ParameterNode:
    """The model's parameter values and tables as the OpenFisca node ``mawo`` (valid from :data:`SINCE`)."""
    data: dict[str, Any] = {name: {"values": {SINCE: _parameter_value(value)}} for name, value in parameters.items()}
    data["tabellen"] = {name: {_key(key): {"values": {SINCE: _parameter_value(value)}} for key, value in rows.items()}
                        for name, rows in tables.items()}
    return ParameterNode("", data={"mawo": data})


class MawoSystem(TaxBenefitSystem):
    """The MAWo person and offer as an OpenFisca tax and benefit system; its numbers are stored as
    ``dtype`` (OpenFisca's default ``float32``; ``float64`` only for comparison)."""

    def __init__(self, parameters: Mapping[str, Any], tables: Mapping[str, Mapping[Any, Any]], slots: int,
                 dtype: Any = numpy.float32) -> None:
        super().__init__([Person, Angebot])
        self.slots = slots
        self.dtype = dtype
        self.parameters = parameter_node(parameters, tables)
        specs = [(Angebot, _OFFER_INPUTS), (Person, _PERSON_INPUTS)]
        variables = [
            *(_variable(name, entity, kind, default=default, dtype=dtype)
              for entity, inputs in specs for name, (kind, default) in inputs.items()),
            *(_variable(f.__name__, Angebot, float, f, dtype=dtype) for f in _OFFER_FORMULAS),
            *(_variable(f.__name__, Person, float, f, dtype=dtype) for f in _PERSON_FORMULAS),
            *(_variable(f.__name__, Person, int, f) for f in _INTEGER_FORMULAS),
            *_ilb4(slots, dtype),
        ]
        for variable in variables:
            self.add_variable(variable)


def mawo_system(model: Any, slots: int, agreement: Any = None, dtype: Any = numpy.float32) -> MawoSystem:
    """The system for ``model``'s parameters and tables (those of ``agreement`` where given), with
    ``slots`` ILB 4 measures per person."""
    source = model if agreement is None else agreement
    return MawoSystem(source.parameters, source.tables, slots, dtype)


def inputs(rows: Sequence[Mapping[str, Any]], slots: int, dtype: Any = numpy.float32) -> dict[str, Any]:
    """The input arrays of loaded one-resident offers (``Case.row``), by variable; numbers as ``dtype``."""
    columns: dict[str, list[Any]] = {}
    specs = {**_OFFER_INPUTS, **_PERSON_INPUTS,
             **{f"massnahme{k}_{name}": spec for k in range(1, slots + 1) for name, spec in _MEASURE_INPUTS.items()}}
    for name in specs:
        columns[name] = []
    for row in rows:
        (person,) = row["bewohner"]
        flat = {key.replace(".", "_"): value for key, value in {**row, **person}.items() if key != "bewohner"}
        measures = person["massnahmen"]
        if len(measures) > slots:
            raise ValueError(f"{len(measures)} ILB 4 measures, {slots} slots")
        for k, measure in enumerate(measures, 1):
            flat.update({f"massnahme{k}_{name}": value for name, value in measure.items()})
        for name, (_, default) in specs.items():
            value = flat.get(name)
            columns[name].append(default if value is None else value)
    dtypes = {float: dtype, int: numpy.int32, bool: numpy.bool_}
    return {name: numpy.array([float(v) if specs[name][0] is float else v for v in values],
                              dtype=dtypes[specs[name][0]])
            for name, values in columns.items()}


def simulate(system: MawoSystem, arrays: Mapping[str, Any], count: int,
             figures: Sequence[str] = tuple(FIGURES)) -> dict[str, Any]:
    """``figures`` of ``count`` one-resident offers: the input arrays repeated (person ``i`` is input
    row ``i % len``), one simulation."""
    simulation = SimulationBuilder().build_default_simulation(system, count)
    for name, values in arrays.items():
        simulation.set_input(name, PERIOD, numpy.resize(values, count))
    return {name: simulation.calculate(name, PERIOD) for name in figures}
