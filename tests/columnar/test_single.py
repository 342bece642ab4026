"""The single variant of a plan (a list held in the case's row, for the cases with one element of it)
against the scalar backend and against the plan without it, on small models built to reach its paths:
aggregates over the list and over lists inside and beside it, warnings and checks, mixed populations."""

from __future__ import annotations

import random
from typing import Any

import attrs
import pytest
import sqlglot
from test_columnar import _chains_recorded, _one_element, _plan, _scalar, mismatches

import teilhabe_rules
from teilhabe_rules.columnar import Plan, batch, run_batch
from teilhabe_rules.columnar.plan import single_list
from teilhabe_rules.errors import TeilhabeError
from teilhabe_rules.model import Model
from teilhabe_rules.tools.strategies import sample_cases

HEAD = 'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
DATED = HEAD.replace("\nende", "\n  stichtag beginn\nende")  # stichtag(): the case's ``beginn``


def _problems(model: Model, plan: Plan, cases: list[dict[str, Any]]) -> list[str]:
    """Every difference of the plan's results from the scalar backend's: a figure (``mismatches``),
    a case with a result where evaluating it alone fails or the reverse, a lost or extra row, a
    number of warnings."""
    found: list[str] = []
    result = run_batch(plan, model.checked, cases, model.loader, _scalar(model))
    failed = {e.index for e in result.errors}
    cases_rows = {row["_c"]: row for row in result.rows()}
    for index, case in enumerate(cases):
        try:
            frame = model.evaluate(case).frame
        except TeilhabeError:
            if index not in failed:
                found.append(f"{index}: a result where the scalar backend fails")
            continue
        if index in failed or index not in cases_rows:
            found.append(f"{index}: no result where the scalar backend has one")
            continue
        if cases_rows[index]["_warnungen"] != len(frame.warnings):
            found.append(f"{index}: {cases_rows[index]['_warnungen']} warnings ≠ {len(frame.warnings)}")
        for sid in model.checked.scopes:
            rows = [r for r in result.rows(sid) if r["_c"] == index]
            elements = [e for e in frame.elements() if e.scope == sid]
            if len(rows) != len(elements):
                found.append(f"{index} {sid}: {len(rows)} rows ≠ {len(elements)} elements")
    if len(cases_rows) + len(failed) != len(cases):
        found.append(f"{len(cases_rows)} results + {len(failed)} errors ≠ {len(cases)} cases")
    return found or mismatches(model, plan, cases)  # (it evaluates the case of each row alone)


def _both(text: str, cases: list[dict[str, Any]], head: str = HEAD) -> list[str]:
    """The problems of the plan with its single variant, of the variant alone (on the cases with
    one element of its list) and of the plan without it."""
    model = teilhabe_rules.loads(head + text)
    plan = _plan(model)
    listed = single_list(model.checked)
    assert plan.single is not None and listed is not None
    name = model.checked.scopes[listed].name
    ones = [case for case in cases if len(case.get(name) or []) == 1]
    assert ones and len(ones) < len(cases)
    return ([f"plan: {p}" for p in _problems(model, plan, cases)]
            + [f"single: {p}" for p in _problems(model, plan.single, ones)]
            + [f"general: {p}" for p in _problems(model, attrs.evolve(plan, single=None), cases)])


BESIDE = """
eingabe basis: zahl EUR von 0 bis 10000
liste q "Beträge" mindestens 0 höchstens 4
  eingabe betrag: zahl EUR von 0 bis 1000
  eingabe teuer: ja_nein
ende
liste p "Personen" mindestens 0 höchstens 5
  eingabe stunden: zahl von 0 bis 100
  wert q_summe: EUR = summe(q.betrag)
  wert q_teuer = anzahl(q wo teuer)
  wert je_q: EUR = wenn anzahl(q) = 0 dann 0 EUR sonst (basis + stunden * 1 EUR) / anzahl(q)
  wert rund: EUR = runde(je_q, 2, kaufmännisch)
  liste m "Maßnahmen" mindestens 0 höchstens 3
    eingabe h: zahl von 0 bis 50
    wert alle_stunden = summe(p.stunden)
    wert aktive = anzahl(p wo stunden > 1)
    wert q_max: EUR = max(q.betrag wo nicht teuer)
  ende
  wert m_alle = summe(m.alle_stunden)
ende
wert p_je_q: EUR = summe(p.je_q)
wert m_gesamt = summe(p.m_alle)
"""


def _beside_cases() -> list[dict[str, Any]]:
    cases = []
    for n, people in enumerate([0, 1, 1, 2, 1, 3, 1]):
        q = [{"betrag": b, "teuer": b != "1.5"} for b in ["1.5", "950", "333.333333"][: n % 4]]
        cases.append({"basis": ["0", "7.5", "9999.99"][n % 3], "q": q,
                      "p": [{"stunden": ["0", "1.5", "33.333333"][(n + k) % 3],
                             "m": [{"h": "1"}] * ((n + k) % 3)} for k in range(people)]})
    return cases


def test_an_aggregate_over_a_list_of_an_enclosing_scope_is_over_the_whole_list() -> None:
    """``summe(q.betrag)`` in an element of ``p`` (``q`` beside it) and ``summe(p.stunden)`` in an
    element of a list inside ``p``: over every element of the list, grouped by the list's parent."""
    assert _both(BESIDE, _beside_cases()) == []


def _own_cases(people: list[int]) -> list[dict[str, Any]]:
    return [{"basis": ["0", "7.5", "9999.99"][n % 3],
             "p": [{"stunden": ["0", "1.5", "33.333333"][(n + k) % 3]} for k in range(count)]}
            for n, count in enumerate(people)]


@pytest.mark.parametrize("people", [[1, 0, 1, 0, 1], [2, 0, 1, 1], [0, 3, 1, 1, 1]])
def test_cases_of_one_element_are_told_from_cases_of_none_and_of_several(people: list[int]) -> None:
    """Which cases are the single variant's, where the numbers deceive: as many elements as cases
    with none a case's second, or as many elements as cases with a case of several and one of none."""
    assert _both(OWN, _own_cases(people)) == []


OWN = """
eingabe basis: zahl EUR von 0 bis 10000
liste p "Personen" mindestens 0 höchstens 5
  eingabe stunden: zahl von 0 bis 100
  wert alle = summe(p.stunden)
  wert anteil = wenn alle = 0 dann 0 sonst stunden / alle
  wert betrag: EUR = basis * anteil
  wert viele = anzahl(p) > 1
  wert groesster = max(p.stunden wo stunden < 50)
  wert erster = erstes(p.stunden)
ende
wert summe_anteil = summe(p.anteil)
wert summe_betrag: EUR = runde(summe(p.betrag), 2, kaufmännisch)
"""


def test_an_elements_aggregate_over_its_own_list_is_over_the_whole_list() -> None:
    """``summe(p.stunden)`` in an element of ``p``: over every element of ``p`` — on the plan
    without lists held in the case's row too (the element alone only where it is the one)."""
    cases = [{"basis": ["0", "100", "9999.99"][n % 3],
              "p": [{"stunden": ["0", "1.5", "33.333333", "60"][(n + k) % 4]} for k in range(people)]}
             for n, people in enumerate([0, 1, 2, 1, 3, 1, 2, 5])]
    assert _both(OWN, cases) == []


FAULTING_WARNINGS = """
eingabe basis: zahl von 0 bis 100
liste p "P" mindestens 0 höchstens 3
  eingabe x: zahl von 0 bis 100
  liste m "M" mindestens 0 höchstens 3
    eingabe h: zahl von 0 bis 50
  ende
  warnung "wenig in m": min(m.h) > 3
ende
warnung "wenig in p": max(p.x) > 3
"""


def test_a_warning_whose_condition_faults_sends_its_case_to_the_scalar_backend() -> None:
    """A ``warnung`` over the ``max`` of an empty list: the scalar backend faults (an error row),
    so the plan flags the case rather than count the warning — in the case and in an element."""
    cases = [{"basis": "1", "p": p} for p in (
        [], [{"x": "5"}], [{"x": "5", "m": [{"h": "1"}]}], [{"x": "5", "m": [{"h": "5"}]}],
        [{"x": "1", "m": [{"h": "5"}]}, {"x": "5", "m": [{"h": "4"}]}], [{"x": "1", "m": [{"h": "5"}]}, {"x": "5"}])]
    assert _both(FAULTING_WARNINGS, cases) == []


PREVIOUS = """
eingabe basis: zahl von 0 bis 100
liste p "Abschnitte" mindestens 0 höchstens 4
  eingabe von: datum
  eingabe stunden: zahl von 0 bis 100
  eingabe teiler: ganzzahl von 0 bis 5
  wert je = wenn teiler = 0 dann 0 sonst stunden / teiler
  wert seit = wenn position > 1 dann kalendertage(vorher.von, von) sonst 0
  wert mehr = wenn position > 1 dann stunden - vorher.stunden sonst 0
  wert je_mehr = wenn position > 1 dann je - vorher.je sonst je
  liste m "M" mindestens 0 höchstens 3
    eingabe h: zahl von 0 bis 50
    wert zuwachs = wenn position > 1 dann h - vorher.h + basis sonst h
  ende
  wert zuwachs = summe(m.zuwachs)
ende
wert seit_summe = summe(p.seit)
"""


def test_a_number_of_the_previous_element_in_a_rule_is_computed() -> None:
    """``vorher`` of a number (``kalendertage(vorher.von, von)``, ``stunden - vorher.stunden``, a
    value over a row denominator) in the list held in the case's row and in a list inside it."""
    days = ["2024-01-01", "2024-02-15", "2024-12-31", "2025-03-01"]
    cases = [{"basis": "1.5", "p": [{"von": days[(n + k) % 4], "stunden": ["0", "1.5", "33.333333"][(n * k) % 3],
                                    "teiler": (n + 2 * k) % 4, "m": [{"h": str(j + n)} for j in range(k % 3 + 1)]}
                                   for k in range(people)]}
             for n, people in enumerate([0, 1, 2, 1, 4, 1, 3])]
    assert _both(PREVIOUS, cases) == []


HOSTILE = {
    # a list beside the one held in the row, a list inside it, lookups keyed by a count, row
    # denominators of the case and of the element, roundings at ties, vorher, stichtag(), checks
    # and warnings in the case, the element and the nested element
    "vermischt": """
eingabe beginn: datum
eingabe basis: zahl EUR von 0 bis 10000
eingabe plaetze: ganzzahl von 0 bis 12
tabelle zuschlag "Zuschlag je Zahl der Personen": ganzzahl von 0 bis 10 -> % teilweise
  0: 0 %
  1: 10 %
  2: 12.5 %
ende
liste q "Beträge" mindestens 0 höchstens 3
  eingabe betrag: zahl EUR von 0 bis 1000
  warnung "Betrag {position} ist hoch": betrag < 900 EUR
ende
liste p "Personen" mindestens 0 höchstens 4
  eingabe stunden: zahl von 0 bis 100
  eingabe gruppe: ganzzahl von 0 bis 6
  eingabe von: datum
  wert z = zuschlag[anzahl(p)]
  wert je_gruppe: EUR = wenn gruppe = 0 dann 0 EUR sonst basis / gruppe
  wert je_platz: EUR = wenn plaetze = 0 dann 0 EUR sonst basis * (100 % + z) / plaetze
  wert halb = runde(je_platz / 2, 2, kaufmännisch)
  wert viertel_ab = runde(je_gruppe / 4, 1, abrunden)
  wert viertel_auf = runde(je_gruppe / 4, 1, aufrunden)
  wert tage = kalendertage(von, stichtag())
  wert seit_vorher = wenn position > 1 dann kalendertage(vorher.von, von) sonst 0
  wert q_max: EUR = max(q.betrag wo betrag > 0 EUR)
  wert q_summe: EUR = summe(q.betrag)
  wert anteil = wenn gesamt = 0 dann 0 sonst stunden / gesamt
  prüfung "Gruppe zu groß": gruppe <= 5
  warnung "früh": tage < 200
  liste m "Maßnahmen" mindestens 0 höchstens 3
    eingabe h: zahl von 0 bis 50
    eingabe ab: datum
    wert teil = wenn stunden = 0 dann 0 sonst h / stunden
    wert mal_gruppe: EUR = je_gruppe * h
    wert tage_m = kalendertage(ab, stichtag())
    wert luecke = wenn position > 1 dann kalendertage(vorher.ab, ab) sonst 0
    wert p_stunden = summe(p.stunden wo gruppe > 0)
    warnung "Maßnahme alt": tage_m < 100
  ende
  wert m_summe = summe(m.teil wo h > 1)
  wert m_erst = erstes(m.mal_gruppe wo teil > 0)
  wert m_zahl = anzahl(m wo tage_m > 30)
  wert m_klein = min(m.h)
ende
wert gesamt = summe(p.stunden)
wert ges_gruppe: EUR = summe(p.je_gruppe)
wert mit_m = summe(p.stunden wo anzahl(m) > 0)
wert je_erster = wenn erstes(p.gruppe) = 0 dann 0 sonst plaetze / erstes(p.gruppe)
wert je_summe = wenn summe(p.gruppe) = 0 dann 0 sonst basis / summe(p.gruppe) / 1 EUR
wert gerundet = runde(je_summe, 2, kaufmännisch)
wert wenige = anzahl(p wo m_summe > 1 oder m_zahl = 0)
wert halbe = summe(p.halb)
wert letzter_anteil = letztes(p.anteil wo stunden > 0)
prüfung "zu viele Personen": anzahl(p) <= 3
warnung "keine Beträge": anzahl(q) > 0
warnung "kleinste Maßnahme": min(p.m_klein) < 40
""",
    # packages with a corridor, staff keys, choices, defaults, enums, numbers without a range
    "pakete": """
aufzählung Art "Art"
  a "A"
  b "B"
ende
eingabe art: Art
eingabe gross: zahl
parameter schwelle: zahl h/Jahr von 0 bis 2000 = 48.666667
parameter satz: zahl EUR/h von 0 bis 500 = 68.95
liste p "Personen" mindestens 0 höchstens 3
  eingabe personen: ganzzahl Personen von 1 bis 10
  eingabe schluessel: schlüssel
  eingabe kap: auswahl {0, 2, 5, 8, 16} min/Tag
  eingabe wert_x: zahl
  eingabe eigene: Art standard a
  paket lp "Paket"
    stufen
      0 "keine"
      1 "eine"
      2 "zwei"
    ende
    wert zeit: h/Jahr = kap als h/Jahr
    stufe nach korridor zeit
      0: ab 0 bis 0
      1: über 0 unter schwelle
      2: ab schwelle
    ende
  ende
  wert vk: VK = schluessel * personen
  wert kosten: EUR/Jahr = lp.zeit * satz
  wert gleich = eigene = art
  wert produkt = wert_x * gross
  wert quot = wenn wert_x = 0 dann 0 sonst gross / wert_x
ende
wert vk_summe: VK = summe(p.vk)
wert kosten_summe: EUR/Jahr = summe(p.kosten wo gleich)
wert max_stufe = max(p.lp.stufe)
wert produkt_summe = summe(p.produkt)
wert quot_summe = summe(p.quot)
wert mittel = wenn anzahl(p) = 0 dann 0 sonst quot_summe / anzahl(p)
""",
}


def _hostile_cases(name: str, seed: int) -> list[dict[str, Any]]:
    """A population of cases with 0, 1 and more elements of ``p`` (most with one), values at
    ties, zeros and bounds."""
    pick = random.Random(seed).choice
    days = ["2023-01-01", "2024-01-01", "2024-05-01", "2024-07-15"]
    cases: list[dict[str, Any]] = []
    for _ in range(40):
        people = pick([0, 1, 1, 1, 2, 4])
        if name == "vermischt":
            cases.append({
                "beginn": pick(["2024-06-30", "2025-03-01"]),
                "basis": pick(["0", "1", "0.05", "0.1", "2.5", "100.02", "9999.99"]),
                "plaetze": pick([0, 1, 2, 3, 12]),
                "q": [{"betrag": pick(["0", "5", "999.5"])} for _ in range(pick([0, 1, 2]))],
                "p": [{"stunden": pick(["0", "1.5", "2", "33.333333"]), "gruppe": pick([0, 1, 2, 3, 4, 6]),
                       "von": pick(days),
                       "m": [{"h": pick(["0", "1", "2.5", "45"]), "ab": pick(days)} for _ in range(pick([0, 1, 2]))]}
                      for _ in range(people)]})
        else:
            cases.append({
                "art": pick(["a", "b"]), "gross": pick(["0", "1", "-9999999", "1234567.123456", "0.000001"]),
                "p": [{"personen": pick([1, 3, 10]), "schluessel": pick(["1:3", "1:28.41", "1:1", "1:0.5"]),
                       "kap": pick([0, 2, 5, 8, 16]), "wert_x": pick(["0", "99999.999999", "-7", "3"]),
                       **({"eigene": pick(["a", "b"])} if pick([True, False]) else {})}
                      for _ in range(min(people, 3))]})
    return cases


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_single_variant_agrees_with_the_scalar_backend_on_hostile_models(name: str) -> None:
    """Figures, error rows, rows per element and warnings of the plan with its single variant, of
    the variant alone and of the plan without it: those of the scalar backend, case by case."""
    assert _both(HOSTILE[name], _hostile_cases(name, 12), _head(name)) == []


def _head(name: str) -> str:
    """The head of the hostile model ``name``: the one with ``stichtag()`` takes it from the case."""
    return DATED if name == "vermischt" else HEAD


HUGE = """
liste p "Posten" mindestens 0 höchstens 5
  eingabe x: zahl von 0 bis 1000000000000000000000
ende
wert v = wenn anzahl(p) = 1 dann summe(p.x) sonst summe(p.x) / 3
"""


def test_a_scalar_figure_beyond_the_result_column_is_an_error_row_not_a_stopped_batch() -> None:
    """A case the plan flags whose scalar figure has more digits before the point than the result
    column holds (10^20 in DECIMAL(38, 18)): an error row saying so; the others keep their results."""
    model = teilhabe_rules.loads(HEAD + HUGE)
    cases = [{"p": [{"x": "500000000000000000000"}]}, {"p": [{"x": "3"}, {"x": "6"}]},
             {"p": [{"x": "7"}]}, {"p": [{"x": "600000000000000000000"}, {"x": "3"}]}]
    result = run_batch(_plan(model), model.checked, cases, model.loader, _scalar(model))
    assert result.evaluated + len(result.errors) == len(cases)
    assert {row["_c"]: row["v"] for row in result.rows()} == {1: 3, 2: 7}
    assert [e.index for e in result.errors] == [0, 3]
    assert all("Stellen vor dem Komma" in e.message and "„v“" in e.message for e in result.errors)


def _rows_of(result: Any, model: Model) -> dict[str, list[dict[str, Any]]]:
    return {sid: sorted(result.rows(sid), key=lambda row: [row[k] for k in sorted(row) if k.startswith("_")])
            for sid in model.checked.scopes}


@pytest.mark.parametrize("name", [*sorted(HOSTILE), "mawo", "bei_nrw3"])
@pytest.mark.parametrize("kept", ["one", "all", "none"])
def test_the_rows_held_in_the_case_row_stream_once_into_results_that_keep_few_values(name: str, kept: str) -> None:
    """The single variant's merged rows — its widest state — are not written as a table where the
    results keep few values (``keep``: a third of the values of the scopes reading them at
    most): those results are computed side by side in one statement from them. Their rows are
    those of the same plan with the merged rows made a table first, which it does where all
    values are kept."""
    if name in HOSTILE:
        model = teilhabe_rules.loads(_head(name) + HOSTILE[name])
        cases = _hostile_cases(name, 5)
    else:
        model = teilhabe_rules.bundled(name)
        cases = list(sample_cases(model, 8, 3))
        cases += [one for case in cases for one in _one_element(model, case)]
    plan = _plan(model)
    assert plan.single is not None
    (shared,) = plan.single.shared.values()
    keep = {"one": {"": {plan.outputs[""][-1].key}}, "all": None,
            "none": {sid: set() for sid in model.checked.scopes}}[kept]
    with _chains_recorded() as texts:
        streamed = run_batch(plan, model.checked, cases, model.loader, _scalar(model), keep=keep)
    made = [text for text in texts if text.startswith(f"CREATE OR REPLACE TEMPORARY TABLE {shared} ")]
    together = [text for text in texts if "einzeln_gemeinsam" in text]
    assert (len(together), len(made)) == ((0, 1) if kept == "all" else (1, 0))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "_merged_results", lambda *args: None)
        with _chains_recorded() as texts:
            tabled = run_batch(plan, model.checked, cases, model.loader, _scalar(model), keep=keep)
    assert any(text.startswith(f"CREATE OR REPLACE TEMPORARY TABLE {shared} ") for text in texts)
    assert streamed.evaluated == tabled.evaluated == len(cases) - len(tabled.errors) > 0
    assert [(e.index, e.message) for e in streamed.errors] == [(e.index, e.message) for e in tabled.errors]
    assert _rows_of(streamed, model) == _rows_of(tabled, model)


def test_the_values_compare_keeps_by_default_stream_from_the_rows_held_in_the_case_row() -> None:
    """MAWo's values ``compare`` keeps by default (its levels, budget and figures: 32 of the 127
    values of the case and its resident) are computed from the merged rows in one statement,
    not from a table of them; every value kept, the merged rows are made a table."""
    from teilhabe_rules.tools.compare import fields

    model = teilhabe_rules.bundled("mawo")
    keep: dict[str, set[str]] = {}
    for f in fields(model, model, None, None):
        keep.setdefault(f.scope, set()).add(f.key)
    plan = model.columnar_plan(wanted={(sid, key) for sid, keys in keep.items() for key in keys})
    assert plan.single is not None
    kept = sum(len(keys) for keys in keep.values())
    values = sum(len(plan.single.outputs[sid]) for sid in ("", *plan.single.merged))
    assert 4 * kept > values >= 3 * kept  # (more than a quarter, at most a third)
    assert batch._merged(plan.single, model.checked, "einzeln", keep) is not None
    assert batch._merged(plan.single, model.checked, "einzeln", None) is None


@pytest.mark.parametrize("name", ["mawo", "bei_nrw3"])
def test_a_statement_prepared_ahead_is_the_one_run_and_goes_with_its_plan(name: str) -> None:
    """``batch.prepare`` builds the text of the statement of the cases of one element ahead (as
    ``compare`` does while DuckDB stages the file): the run then builds none of its own and gives
    the rows it gives without; a plan gone takes its prepared statement with it."""
    import gc

    model = teilhabe_rules.bundled(name)
    cases = list(sample_cases(model, 8, 5))
    cases += [one for case in cases for one in _one_element(model, case)]
    plan = _plan(model)
    keep = {"": {plan.outputs[""][-1].key}}
    fresh = run_batch(plan, model.checked, cases, model.loader, _scalar(model), keep=keep)
    again = _plan(model)  # another plan object: nothing prepared for it yet
    assert again is not plan
    batch.prepare(again, model.checked, keep)
    given: list[str | None] = []
    run = batch._Chains.run

    def recorded(chains: Any, statement: Any, text: str | None = None) -> None:
        given.append(text)
        run(chains, statement, text)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "_built_merged", lambda *args: pytest.fail("built again"))
        patch.setattr(batch._Chains, "run", recorded)
        prepared = run_batch(again, model.checked, cases, model.loader, _scalar(model), keep=keep)
    assert sum(text is not None and "einzeln_gemeinsam" in text for text in given) == 1
    assert [(e.index, e.message) for e in prepared.errors] == [(e.index, e.message) for e in fresh.errors]
    assert _rows_of(prepared, model) == _rows_of(fresh, model)
    # the same plan run again: the prepared statement is every run's, and unchanged by the runs
    twice = run_batch(again, model.checked, cases, model.loader, _scalar(model), keep=keep)
    assert _rows_of(twice, model) == _rows_of(fresh, model)
    number = id(again.single)
    assert number in batch._MERGED
    del again
    gc.collect()
    assert number not in batch._MERGED


@pytest.mark.parametrize(("query", "source"), [
    ("SELECT t._c, t.a + 1 AS b, TRY(CAST(t.a AS BIGINT)) AS c FROM s AS t", "s"),
    ("SELECT unnest(t.l) AS u FROM s AS t", None),
    ("SELECT generate_series(1, t.n) AS g FROM s AS t", None),
    ("SELECT range(t.n) AS g FROM s AS t", None),
    ("SELECT sum(t.a) AS a FROM s AS t", None),
    ("SELECT row_number() OVER () AS n FROM s AS t", None),
    ("SELECT t.a AS a FROM s AS t(b, a)", None),
    ("SELECT t.a AS a FROM s AS t TABLESAMPLE (50 PERCENT)", None),
    ("SELECT t.* FROM s AS t", None),
    ("SELECT t.a FROM s AS t WHERE t.a > 1", None),
    ("SELECT t.a FROM s AS t JOIN r AS u ON t.a = u.a", None),
    ("SELECT u.a FROM s AS u", None),
    ("SELECT (SELECT 1) AS a FROM s AS t", None),
    ("SELECT t.a FROM read_parquet('x') AS t", None),
])
def test_only_a_projection_row_by_row_is_merged_with_others(query: str, source: str | None) -> None:
    """What the merged results compute side by side (:func:`batch._projection_of`): a ``SELECT`` of
    expressions of ``t``'s columns, one row for each of ``t``'s — no set-returning function,
    aggregate, window, named columns, sample, star, filter, join or subquery."""
    assert batch._projection_of(sqlglot.parse_one(query, read="duckdb")) == source
