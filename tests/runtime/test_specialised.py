"""A program specialised for parameter values and tables computes every figure, check and fault exactly as
the general program does."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import TeilhabeError
from teilhabe_rules.inputs.cases import read_data
from teilhabe_rules.runtime.backend import CaseInput, Evaluation
from teilhabe_rules.runtime.compiler import SPECIALISE_AFTER, PythonBackend, compile_model
from teilhabe_rules.tools.strategies import default_date, valid_cases

ROOT = Path(__file__).resolve().parents[2]
MODELS = {path.stem: teilhabe_rules.load(path) for path in sorted((ROOT / "models").glob("*.rules"))}


def outcome(evaluation: Evaluation) -> Any:
    """Everything an evaluation gives, every number by its digits, each element's values in their order."""
    frame = evaluation.frame
    values = None
    if frame is not None:
        values = [(element.path, [(key, str(value)) for key, value in element.items()])
                  for element in frame.elements()]
    fault = evaluation.fault
    return (values, evaluation.failures, evaluation.warnings,
            None if fault is None else (fault.fault, fault.node, fault.indexes))


def both(model: teilhabe_rules.Model, case: dict[str, Any]) -> tuple[Any, Any] | None:
    try:
        loaded = model.load_case(case)
    except TeilhabeError:
        return None
    date = model.reference_date(loaded) or default_date(model)
    parameters = model.parameters_on(date)
    general = PythonBackend(model.checked)
    special = compile_model(model.checked, parameters=parameters, tables=model.tables)
    assert special.source != general.program.source  # the parameters are constants of the code
    data = CaseInput(loaded.row, parameters, model.tables, model.reference_date(loaded))
    specialised = PythonBackend(model.checked)
    for _ in range(SPECIALISE_AFTER + 1):
        evaluation = specialised.evaluate(data)
    assert specialised.program_for(parameters, model.tables) is not specialised.program
    return outcome(general.evaluate(data)), outcome(evaluation)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_generated_cases_agree(name: str) -> None:
    model = MODELS[name]

    @settings(max_examples=examples(8), deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=valid_cases(model))
    def check(case: dict[str, Any]) -> None:
        found = both(model, case)
        if found is not None:
            assert found[0] == found[1]

    check()


FAULTS = """
modell konstant "Konstant"
  version "1"
  gültig ab 01.01.2024
ende
parameter teiler: zahl = 0 "Teiler"
parameter faktor: zahl = 1.10 "Faktor"
tabelle satz "Satz": ganzzahl -> zahl teilweise
  1: 2.50
ende
eingabe n: ganzzahl von 0 bis 10
eingabe schalter: ja_nein
wert eins: zahl = faktor * 1.0
wert fehlt: zahl = wenn schalter dann satz[2] sonst satz[1]
wert durch: zahl = wenn n > 5 dann 1 / teiler sonst n * faktor
liste posten
  eingabe betrag: zahl von 0 bis 100
  eingabe teiler: zahl von 0 bis 3
  wert anteil: zahl = betrag * faktor
  prüfung "Posten {position}: zu viel": betrag <= 90
  wert quote: zahl = anteil / teiler
  wert am_ganzen: zahl = anteil / (summe(posten.anteil) + 1)
  wert mit_vorher: zahl = wenn position = 1 dann anteil sonst vorher.anteil + anteil
ende
wert summe_am_ganzen: zahl = summe(posten.am_ganzen)
wert quote: zahl = summe(posten.quote)
wert anzahl_gross: zahl = anzahl(posten wo anteil > 50)
"""
POSTEN = st.lists(st.fixed_dictionaries({"betrag": st.integers(0, 100), "teiler": st.integers(0, 3)}), max_size=3)


CONSTANT = teilhabe_rules.loads(FAULTS, "konstant.rules")


@given(n=st.integers(0, 10), schalter=st.booleans(), posten=POSTEN)
@settings(max_examples=examples(60), deadline=None, database=None)
def test_faults_and_failed_checks_are_those_of_the_general_program(n: int, schalter: bool,
                                                                   posten: list[dict[str, int]]) -> None:
    """A constant expression that fails stays a fault of the case; a fault met by a specialised
    program is reported as the general program meets it (with the checks that failed before)."""
    found = both(CONSTANT, {"n": n, "schalter": schalter, "posten": posten})
    assert found is not None
    general, specialised = found
    assert general == specialised
    faulty = schalter or n > 5 or any(item["teiler"] == 0 for item in posten)
    assert (general[3] is not None) == faulty


def test_sums_and_counts_are_running_totals_in_a_specialised_program() -> None:
    program = compile_model(CONSTANT.checked, parameters=CONSTANT.parameters, tables=CONSTANT.tables)
    assert "sum(" not in program.source
    assert "sum(" in compile_model(CONSTANT.checked).source


def test_the_loops_over_a_list_are_merged() -> None:
    mawo = MODELS["mawo"]
    loop = "for i1, e1 in enumerate(L1)"
    assert compile_model(mawo.checked).source.count(loop) > 10
    source = compile_model(mawo.checked, parameters=mawo.parameters, tables=mawo.tables).source
    assert source.count(loop) == 1
    # the loops over a list inside the list too (``massnahmen``: the hours, then ``ilb4.stunden``
    # = their sum, then each measure's pooled share)
    inner = "for i2, e2 in enumerate(L2)"
    assert compile_model(mawo.checked).source.count(inner) > 1
    assert source.count(inner) == 1


HOISTED = teilhabe_rules.loads("""
modell hoisted "Hochgezogen"
  version "1"
  gültig ab 01.01.2024
ende
parameter faktor: zahl = 2 "Faktor"
eingabe n: ganzzahl von 0 bis 3
liste posten
  eingabe betrag: zahl von 0 bis 100
  wert anteil: zahl = 100 / n * faktor
  wert stufe_n: zahl = anteil + 0 + 0
  wert betrag_anteil: zahl = betrag * stufe_n
ende
wert gesamt: zahl = summe(posten.betrag_anteil)
""", "hoisted.rules")


def test_a_value_that_reads_no_element_is_computed_before_the_loop() -> None:
    program = compile_model(HOISTED.checked, parameters=HOISTED.parameters, tables=HOISTED.tables)
    lines = program.source.splitlines()
    loop = next(number for number, line in enumerate(lines) if "for i1, e1 in enumerate(L1)" in line)
    computed = [number for number, line in enumerate(lines) if "* C" in line and "betrag" not in line]
    assert computed and all(number < loop for number in computed), program.source
    # kept once for all elements: the first item of the list of records, made before the loop
    # (the values are put into the rows when read)
    hoisted = next(line.split(" = ")[0].strip() for line in lines[:loop] if line.strip().startswith("_l"))
    assert program.complete is not None
    assert any(line.strip().startswith("V") and f" = [({hoisted}, " in line for line in lines[:loop]), program.source
    assert not any(".append((" in line and f"{hoisted}, " in line for line in lines[loop:]), program.source


NESTED = teilhabe_rules.loads("""
modell verschachtelt "Verschachtelt"
  version "1"
  gültig ab 01.01.2024
ende
parameter faktor: zahl = 2 "Faktor"
eingabe n: ganzzahl von 0 bis 3
liste gruppen
  eingabe gewicht: zahl von 0 bis 10
  wert g_anteil: zahl = 100 / n * faktor
  wert g_wert: zahl = gewicht * g_anteil
  liste posten
    eingabe betrag: zahl von 0 bis 100
    wert p_anteil: zahl = gewicht * faktor
    wert p_wert: zahl = betrag * p_anteil + g_anteil
  ende
  wert g_summe: zahl = summe(posten.p_wert)
  wert g_quote: zahl = wenn gesamt = 0 dann 0 sonst g_wert / gesamt
  wert g_mix: zahl = g_quote + g_anteil
ende
wert gesamt: zahl = summe(gruppen.g_wert)
""", "verschachtelt.rules")


@given(n=st.integers(0, 3), gruppen=st.lists(st.tuples(st.integers(0, 10), st.lists(st.integers(0, 100), max_size=3)),
                                              max_size=3))
@settings(max_examples=examples(60), deadline=None, database=None)
def test_values_shared_by_the_elements_fill_the_rows_as_the_general_program(
        n: int, gruppen: list[tuple[int, list[int]]]) -> None:
    """Values the same for each element of a list (computed before its loop: ``g_anteil`` before
    the groups', ``p_anteil`` before each group's items) are kept once, at the head of their list
    of records, and read from there by a later loop over the list (``g_mix``, beside ``g_wert``
    from the records behind them): every row gets the general program's values, in its order."""
    program = compile_model(NESTED.checked, parameters=NESTED.parameters, tables=NESTED.tables)
    heads = [line for line in program.source.splitlines() if line.strip().startswith("V") and " = [(" in line]
    assert len(heads) == 2 and program.complete is not None, program.source
    case = {"n": n, "gruppen": [{"gewicht": gewicht, "posten": [{"betrag": betrag} for betrag in posten]}
                                for gewicht, posten in gruppen]}
    found = both(NESTED, case)
    assert found is not None
    general, specialised = found
    assert general == specialised
    assert (general[3] is not None) == (n == 0 and bool(gruppen))


@given(n=st.integers(0, 3), posten=st.lists(st.integers(0, 100), max_size=3))
@settings(max_examples=examples(40), deadline=None, database=None)
def test_a_value_computed_before_the_loop_faults_as_in_the_general_program(n: int, posten: list[int]) -> None:
    """``anteil`` (100 / n · faktor) is the same in every element: with n = 0 a fault in the first
    element, none without elements — whatever the specialised program met before its loop."""
    found = both(HOISTED, {"n": n, "posten": [{"betrag": betrag} for betrag in posten]})
    assert found is not None
    general, specialised = found
    assert general == specialised
    assert (general[3] is not None) == (n == 0 and bool(posten))


def test_element_values_are_put_into_the_rows_when_first_read() -> None:
    """A specialised program keeps the values of the list elements apart where no code reads them
    from a row (``vorher`` does: then rows as before); the frame puts them in when first read —
    the same rows, in the same order, as the general program's, warnings included."""
    mawo = MODELS["mawo"]
    assert compile_model(mawo.checked, parameters=mawo.parameters, tables=mawo.tables).complete is not None
    assert compile_model(CONSTANT.checked, parameters=CONSTANT.parameters, tables=CONSTANT.tables).complete is None
    assert compile_model(mawo.checked).complete is None
    folder = ROOT / "examples" / "mawo"
    cases: list[Any] = [path for path in sorted(folder.glob("*.toml")) if not path.name.startswith("vereinbarung")]
    expired = read_data(folder / "person_uebergangseinstufung.toml")
    expired["zeitraum_ab"] = datetime.date(2025, 6, 1)  # the transitional levels expired: a warning
    cases.append(expired)
    warned = 0
    for case in cases:
        model = teilhabe_rules.load(ROOT / "models" / "mawo.rules")  # a fresh backend: the first evaluation is general
        results = [model.evaluate(case, base_dir=folder) for _ in range(SPECIALISE_AFTER + 1)]
        frame = results[-1].frame  # (the values the evaluation passed to the backend, by identity)
        assert model.backend.program_for(frame.parameters, frame.tables) is not model.backend.program
        seen = [([(e.path, [(k, str(v)) for k, v in e.items()]) for e in r.frame.elements()], r.warnings)
                for r in results]
        assert seen[-1] == seen[0]
        assert results[-1].to_dict() == results[0].to_dict()
        warned += bool(results[-1].warnings)
    assert warned == 1


FOLDED_SOURCE = """
modell gefaltet "Gefaltet"
  version "1"
  gültig ab 01.01.2024
ende
aufzählung Grad "Grad"
  0 "null"
  1 "eins"
  2 "zwei"
  3 "drei"
ende
parameter faktor: zahl = 1.10 "Faktor"
parameter satz: zahl = 3 "Satz"
tabelle minuten "Minuten": Grad -> zahl teilweise
  0: 0
  1: 12.5
  2: 25
ende
liste posten
  eingabe grad: Grad
  eingabe menge: zahl von 0 bis 100
  wert zeit: zahl = minuten[grad]
  wert stunden: zahl = zeit * faktor / satz
  wert kehrwert: zahl = wenn grad = 0 dann 0 sonst 1 / (grad - 1)
  wert betrag: zahl = runde(stunden * 7, 2, kaufmännisch)
  wert gesamt: zahl = betrag + menge
  wert teil: zahl = zeit * faktor * menge
  wert am_ganzen: zahl = stunden / (summe(posten.stunden) + 1)
  wert nochmals: zahl = minuten[grad] * satz + stunden
  wert dreifach: zahl = minuten[grad] * 3
  wert im_zweig: zahl = wenn menge > 50 dann 1 / (grad - 1) + menge sonst menge
ende
wert summe_gesamt: zahl = summe(posten.gesamt)
"""
FOLDED = teilhabe_rules.loads(FOLDED_SOURCE, "gefaltet.rules")


@given(grade=st.lists(st.integers(0, 3), max_size=4), menge=st.integers(0, 100))
@settings(max_examples=examples(40), deadline=None, database=None)
def test_values_of_one_level_are_computed_for_each_level_in_advance(grade: list[int], menge: int) -> None:
    """``zeit``, ``stunden`` and ``betrag`` depend on ``grad`` alone: a specialised program computes
    them for every grad when it is made and looks them up; ``kehrwert`` divides by zero at grad 1
    and ``minuten`` has no row for grad 3 — such an element faults as in the general program.
    ``am_ganzen`` needs all ``stunden``: a second loop, where ``nochmals`` is computed (it reads
    ``stunden`` of the first loop, no local there) and ``dreifach`` looks its grad up anew.
    ``teil`` and ``im_zweig`` depend on more than grad: parts of them are looked up."""
    program = compile_model(FOLDED.checked, parameters=FOLDED.parameters, tables=FOLDED.tables)
    assert program.source.count("_no_level(_b)") == 2  # one look-up per element and loop
    loops = program.source.split("for i1, e1 in enumerate(L1):")
    assert len(loops) == 3
    first, second = (loop.split(".append(")[0] for loop in loops[1:])
    # the looked-up row unpacked: zeit, stunden, kehrwert, betrag into their locals (only gesamt
    # is computed), a part of a value into one of its own; ``menge``, read twice, read once
    rows = [[name for name in found.split(", ") if name] for found in re.findall(r"((?:\w+, )+)= C\d+\[_b\]", first)]
    assert len(rows) == 1 and [name[:2] for name in rows[0]] == ["_l"] * 4 + ["_f"], first
    assert rows[0][4] == "_f0_4" and "_f0[" not in first and first.count("e1['menge']") == 1
    assert second.count("= C") == 1 and "_f0" not in second
    # a part of a value (``zeit * faktor`` of ``teil``) is looked up where its level's table is
    # at hand and it fails at no level (``grad - 1``); ``1 / (grad - 1)`` fails at grad 1 and
    # stands in a branch that may not be taken: computed
    read = re.search(r"(_n\d+) = e1\['menge'\]", first)
    assert read is not None and f"(_f0_4 * {read[1]})" in first
    read = re.search(r"(_n\d+) = e1\['menge'\]", second)
    assert read is not None and f" / _f1_1) + {read[1]}) if" in second, second
    found = both(FOLDED, {"posten": [{"grad": grad, "menge": menge} for grad in grade]})
    assert found is not None
    general, specialised = found
    assert general == specialised
    assert (general[3] is not None) == any(grad in (1, 3) for grad in grade)


READ_TWICE = teilhabe_rules.loads("""\
modell gelesen "Gelesen"
  version "1"
  gültig ab 01.01.2024
ende
liste a "A" mindestens 0 höchstens 3
  eingabe x: zahl von 0 bis 100
  eingabe y: ja_nein standard nein
  eingabe name: text standard "ohne"
  eingabe einmal: zahl von 0 bis 9 standard 1
  liste b "B" mindestens 0 höchstens 3
    eingabe z: zahl von 0 bis 10
    wert zx = z * x + z
    wert xx = x / 2
  ende
  wert p = x * 2
  wert q = wenn y dann x sonst 0
  wert s = wenn y dann 1 sonst einmal
  wert t = summe(b.zx) + x
  prüfung "zu groß": p <= 150
ende
wert gesamt = summe(a.t) + summe(a.q)
""", "gelesen.rules")


def _loop_bodies(source: str, depth: int) -> list[str]:
    """The bodies of the loops over lists of ``depth`` in ``source`` (their inner loops included)."""
    bodies = []
    lines = source.splitlines()
    for number, line in enumerate(lines):
        if line.strip() == f"for i{depth}, e{depth} in enumerate(L{depth}):":
            indent = len(line) - len(line.lstrip())
            body = []
            for inner in lines[number + 1:]:
                if inner.strip() and len(inner) - len(inner.lstrip()) <= indent:
                    break
                body.append(inner)
            bodies.append("\n".join(body))
    return bodies


@given(case=valid_cases(READ_TWICE))
@settings(max_examples=examples(30), deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_an_input_of_the_elements_read_more_than_once_is_read_once_per_element(case: dict[str, Any]) -> None:
    """In a specialised program ``x`` and ``y`` of an element of ``a``, each read by several rules
    (``x`` also in the loop over ``b``), are read once at the head of the loop's body, and ``z``
    once in the loop over ``b``; ``einmal``, read once, is read where it is read. The figures,
    checks and faults are the general program's."""
    program = compile_model(READ_TWICE.checked, parameters=READ_TWICE.parameters, tables=READ_TWICE.tables)
    outer, = _loop_bodies(program.source, 1)
    inner, = _loop_bodies(program.source, 2)
    for key in ("x", "y"):
        assert outer.count(f"e1[{key!r}]") == 1, outer
        assert re.search(rf"^ +_n\d+ = e1\[{key!r}\]$", outer.split("for i2")[0], re.M), outer
    assert inner.count("e2['z']") == 1 and inner.count("e1[") == 0, inner
    assert outer.count("e1['einmal']") == 1 and not re.search(r"= e1\['einmal'\]$", outer, re.M)
    found = both(READ_TWICE, case)
    if found is not None:
        assert found[0] == found[1]


def test_a_read_only_where_a_check_fails_is_not_read_ahead() -> None:
    """MAWo's ``kuerzel`` of a resident is read by the program only to name a failed check or a
    warning: not at the head of the loop, where every resident would read it."""
    mawo = MODELS["mawo"]
    program = compile_model(mawo.checked, parameters=mawo.parameters, tables=mawo.tables)
    outer = _loop_bodies(program.source, 1)[0]
    assert "e1['kuerzel']" in outer and not re.search(r"= e1\['kuerzel'\]$", outer, re.M)
    assert re.search(r"^ +_n\d+ = e1\['pflegegrad'\]$", outer, re.M)


IN_PLACE = teilhabe_rules.loads("""\
modell vorher_anderswo "Vorher"
  version "1"
  gültig ab 01.01.2024
ende
liste a "A" mindestens 0 höchstens 4
  eingabe x: zahl von 0 bis 100
  eingabe name: text standard "ohne"
  wert s = summe(a.x wo position = 1 oder vorher.x < x)
  wert t = summe(c.x wo position = 1 oder vorher.x < x)
  wert p = x * 2 + s + t
  wert q = wenn name = "e1['x']" dann x * 2 sonst x + 1
ende
liste c "C" mindestens 0 höchstens 5
  eingabe x: zahl von 0 bis 100
ende
wert gesamt = summe(a.p) + summe(a.q)
""", "vorher.rules")


def _rising(values: list[int]) -> int:
    """The sum of the values that are first or greater than the one before."""
    return sum(v for k, v in enumerate(values) if k == 0 or values[k - 1] < v)


@given(a=st.lists(st.integers(0, 100), max_size=4), c=st.lists(st.integers(0, 100), max_size=5),
       named=st.lists(st.booleans(), min_size=4, max_size=4))
@settings(max_examples=examples(40), deadline=None, database=None)
def test_an_aggregate_computed_in_place_reads_its_own_elements(a: list[int], c: list[int], named: list[bool]) -> None:
    """``summe(… wo … vorher.x …)`` is computed in place, as a generator over its list with the
    names of the loop around it: ``x`` there is the aggregated element's, not the loop's (which
    the specialised program reads once per element), and ``vorher`` the element before it in that
    list (``c``, not ``a``, which may be shorter); a text that reads like code stays a text."""
    case = {"a": [{"x": x, "name": "e1['x']" if flag else "ohne"} for x, flag in zip(a, named, strict=False)],
            "c": [{"x": x} for x in c]}
    result = IN_PLACE.evaluate(case)
    for element, x, flag in zip(result.frame.root.children("a"), a, named, strict=False):
        assert element["s"] == _rising(a) and element["t"] == _rising(c)
        assert element["q"] == (2 * x if flag else x + 1)
    found = both(IN_PLACE, case)
    assert found is not None and found[0] == found[1]


def test_a_text_that_reads_like_a_value_of_a_looked_up_row_or_an_input_stays_a_text() -> None:
    model = teilhabe_rules.loads(FOLDED_TEXT, "text.rules")
    for name, x, y in (("_f0[0]", 1, 6), ("e1['menge']", 2, 10), ("ohne", 2, 6)):
        case = {"posten": [{"grad": 2, "menge": 5, "name": name}]}
        element = model.evaluate(case).frame.root.children("posten")[0]
        assert (element["x"], element["y"]) == (x, y)
        found = both(model, case)
        assert found is not None and found[0] == found[1]
    program = compile_model(model.checked, parameters=model.parameters, tables=model.tables)
    assert "'_f0[0]'" in program.source and "_f0[" not in program.source.replace("'_f0[0]'", "")
    assert "\"e1['menge']\"" in program.source and re.search(r"_n\d+ = e1\['menge'\]", program.source)


FOLDED_TEXT = FOLDED_SOURCE.replace(
    "  eingabe menge: zahl von 0 bis 100\n",
    "  eingabe menge: zahl von 0 bis 100\n  eingabe name: text standard \"ohne\"\n").replace(
    "  wert zeit: zahl = minuten[grad]\n",
    "  wert zeit: zahl = minuten[grad]\n"
    "  wert x: zahl = wenn name = \"_f0[0]\" dann 1 sonst 2\n"
    "  wert y: zahl = wenn name = \"e1['menge']\" dann menge * 2 sonst menge + 1\n")


NESTED_PREVIOUS = teilhabe_rules.loads("""\
modell vorher_tief "Vorher tief"
  version "1"
  gültig ab 01.01.2024
ende
liste a "A" mindestens 0 höchstens 3
  eingabe x: zahl von 0 bis 20
  liste b "B" mindestens 0 höchstens 3
    eingabe y: zahl von 0 bis 20
    liste bb "BB" mindestens 0 höchstens 3
      eingabe z: zahl von 0 bis 20
      wert r1 = summe(d.y wo position = 1 oder vorher.y < y) + z
      wert r2 = summe(bb.z wo position = 1 oder vorher.z <= z)
    ende
  ende
  liste d "D" mindestens 0 höchstens 3
    eingabe y: zahl von 0 bis 20
  ende
  wert u = summe(d.y wo position = 1 oder vorher.y < y) + x
ende
wert g = summe(a.u)
eigenschaft "steigend": summe(a.x wo position = 1 oder vorher.x < x) >= 0
""", "vorher_tief.rules")

_SMALL = st.integers(0, 20)


@given(st.lists(st.tuples(_SMALL, st.lists(st.lists(_SMALL, max_size=3), max_size=3), st.lists(_SMALL, max_size=3)),
                max_size=3))
@settings(max_examples=examples(30), deadline=None, database=None)
def test_vorher_in_aggregates_computed_in_place_in_nested_lists(data: list[tuple[int, list[list[int]], list[int]]]
                                                                ) -> None:
    """``vorher`` of ``d`` from an element of ``a.b.bb`` (a list beside ``b``, two levels up) and
    of ``bb`` over its own list: each the element before in the list aggregated; the general and
    the specialised program agree, and so does a property that reads ``vorher`` (compiled on its
    own, over the frame)."""
    from teilhabe_rules.runtime.compiler import compile_condition

    case = {"a": [{"x": x, "b": [{"y": 0, "bb": [{"z": z} for z in zs]} for zs in bs], "d": [{"y": y} for y in ds]}
                  for x, bs, ds in data]}
    result = NESTED_PREVIOUS.evaluate(case)
    for element, (x, bs, ds) in zip(result.frame.root.children("a"), data, strict=True):
        assert element["u"] == _rising(ds) + x
        for inner, zs in zip(element.children("a.b"), bs, strict=True):
            for item, z in zip(inner.children("a.b.bb"), zs, strict=True):
                assert item["r1"] == _rising(ds) + z
                assert item["r2"] == sum(v for k, v in enumerate(zs) if k == 0 or zs[k - 1] <= v)
    found = both(NESTED_PREVIOUS, case)
    assert found is not None and found[0] == found[1]
    condition = compile_condition(NESTED_PREVIOUS.checked, NESTED_PREVIOUS.checked.properties[0].expr)
    assert condition(result.frame) is True
