"""Generated cases: valid ones are accepted, invalid ones rejected, boundaries are candidates, sampling is
deterministic."""

from __future__ import annotations

import datetime as _dt
import re
import sys
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import CaseError
from teilhabe_rules.toml_writer import dumps
from teilhabe_rules.tools.strategies import (
    GeneratorError,
    case_space,
    invalid_cases,
    sample_cases,
    sample_invalid_cases,
    valid_cases,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
MODEL_NAMES = sorted(p.stem for p in (ROOT / "models").glob("*.rules"))
FAST = settings(max_examples=examples(15), deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

PERIODS = """\
modell perioden "Perioden"
  version "1"
  gültig ab 01.01.2024
ende

eingabe start: datum
eingabe stopp: datum
prüfung "Der Zeitraum endet vor seinem Beginn": stopp >= start

liste abschnitte "Abschnitte" mindestens 1 höchstens 4
  eingabe beginn: datum
  eingabe schluss: datum
  eingabe stunden: zahl h/Woche von 0 bis 10
  wert tage: Tage = kalendertage(beginn, schluss)
  prüfung "Abschnitt {position} endet vor seinem Beginn": schluss >= beginn
  prüfung "Abschnitt {position} schließt nicht an": position = 1 oder beginn = vorher.schluss + 1 Tag
ende

wert tage_gesamt: Tage = summe(abschnitte.tage)
prüfung "Der erste Abschnitt beginnt nicht mit dem Zeitraum": erstes(abschnitte.beginn) = start
prüfung "Der letzte Abschnitt endet nicht mit dem Zeitraum": letztes(abschnitte.schluss) = stopp
"""

FREE_DATES = """\
modell termine "Termine ohne Vorgaben"
  version "1"
  gültig ab 01.01.2024
ende

liste termine "Termine" höchstens 4
  eingabe beginn: datum
  eingabe schluss: datum
ende
wert anzahl_termine = anzahl(termine)
"""

NEVER = """\
modell nie "Nie erfüllbar"
  version "1"
  gültig ab 01.01.2024
ende

eingabe a: ganzzahl von 0 bis 3
prüfung "a ist nie verschieden von sich selbst": a <> a
"""

SCALES = """\
modell skalen "Schrittweiten"
  version "1"
  gültig ab 01.01.2024
ende

eingabe ganz: ganzzahl Personen von 1 bis 9
eingabe stunden: zahl h/Woche von 0 bis 80
eingabe satz: zahl EUR/h von 0 bis 99.5
eingabe betrag: zahl EUR von 0 bis 1000.25
"""

FINE_BOUNDS = """\
modell fein "Grenzen feiner als das Raster"
  version "1"
  gültig ab 01.01.2024
ende

eingabe anteil: zahl von 0.004 bis 0.016
eingabe klein: zahl von 0.004 bis 0.006
eingabe ganz: ganzzahl Personen von 0.5 bis 3.5
wert summe_x: zahl = anteil + klein
"""


@pytest.fixture(scope="module")
def models() -> dict[str, teilhabe_rules.Model]:
    return {name: teilhabe_rules.load(ROOT / "models" / f"{name}.rules") for name in MODEL_NAMES}


class TestValidCases:
    """Valid cases of every bundled model pass the case loader and all of the model's checks."""

    @pytest.mark.parametrize("name", MODEL_NAMES)
    def test_hypothesis_cases_are_accepted(self, models, name) -> None:
        model = models[name]

        @FAST
        @given(valid_cases(model))
        def evaluates(case) -> None:
            model.evaluate(case)

        evaluates()

    @pytest.mark.parametrize("name", MODEL_NAMES)
    def test_sampled_cases_are_accepted(self, models, name) -> None:
        model = models[name]
        for case in sample_cases(model, 40, seed=3):
            model.evaluate(case)

    def test_lists_stay_within_the_limit(self, models) -> None:
        for case in sample_cases(models["mawo"], 40, seed=5, max_list=2):
            assert 1 <= len(case["bewohner"]) <= 2
            assert all(len(person["massnahmen"]) <= 2 for person in case["bewohner"])

    def test_optional_inputs_and_granted_levels(self, models) -> None:
        cases = list(sample_cases(models["mawo"], 80, seed=7))
        assert {("nachtwachen" in case) for case in cases} == {True, False}
        grants = [person[pkg] for case in cases for person in case["bewohner"]
                  for pkg in ("lp1a", "lp2a", "lp2b", "lp3a", "lp3b") if "bewilligte_stufe" in person.get(pkg, {})]
        assert grants, "no case grants a level"
        assert all(table.get("begründung") for table in grants)
        assessed = {person["lp1a"]["stufe"] for case in cases for person in case["bewohner"]}
        assert assessed == {0, 1, 2, 3}

    def test_bei_zeitabschnitte_partition_the_period(self, models) -> None:
        counts = set()
        for case in sample_cases(models["bei_nrw3"], 60, seed=11):
            parts = case["zeitabschnitte"]
            counts.add(len(parts))
            assert parts[0]["beginn"] == case["zeitraum_beginn"]
            assert parts[-1]["schluss"] == case["zeitraum_ende"]
            for before, after in pairwise(parts):
                assert after["beginn"] == before["schluss"] + _dt.timedelta(days=1)
        assert counts == {1, 2, 3}

    def test_contiguity_heuristic_is_generic(self) -> None:
        model = teilhabe_rules.loads(PERIODS, "perioden.rules")
        space = case_space(model)
        assert set(space.partitions) == {"abschnitte"}
        for case in sample_cases(model, 40, seed=1):
            parts = case["abschnitte"]
            assert parts[0]["beginn"] == case["start"] and parts[-1]["schluss"] == case["stopp"]
            model.evaluate(case)

    def test_dates_without_checks_are_free(self) -> None:
        model = teilhabe_rules.loads(FREE_DATES, "termine.rules")
        assert case_space(model).partitions == {}
        reversed_ranges = [t for case in sample_cases(model, 40, seed=2) for t in case["termine"]
                           if t["schluss"] < t["beginn"]]
        assert reversed_ranges, "without a check nothing orders the two dates"

    def test_keys_of_partial_tables_come_from_the_table(self, models) -> None:
        people = [m for case in sample_cases(models["mawo"], 60, seed=13)
                  for p in case["bewohner"] for m in p["massnahmen"]]
        assert people and {m.get("personen", 1) for m in people} <= {1, 2, 3}
        pairs = {(c.get("leistungstyp", 0), c.get("hilfebedarfsgruppe", 0))
                 for c in sample_cases(models["bei_nrw3"], 60, seed=13)}
        table = models["bei_nrw3"].checked.tables["massnahmepauschale"].mapping()
        assert all(pair in table or pair[0] == 0 for pair in pairs)
        assert any(pair[0] != 0 for pair in pairs) and (0, 0) in pairs

    def test_a_check_narrows_an_input(self, models) -> None:
        domain = case_space(models["mawo"]).domains["bewohner.lp3b.stunden"]
        assert (domain.low, domain.high) == (Decimal(0), Decimal(50))

    def test_unsatisfiable_checks_raise(self) -> None:
        model = teilhabe_rules.loads(NEVER, "nie.rules")
        with pytest.raises(GeneratorError, match="kein Fall"):
            list(sample_cases(model, 1, seed=0, restarts=2, repair_rounds=2))


class TestBoundaries:
    """Corridor and table boundaries (bound − step, bound, bound + step) are among the candidates."""

    def test_single_input_corridor(self, models) -> None:
        candidates = case_space(models["mawo"]).candidates()["bewohner.lp3b.stunden"]
        for bound in ("10", "20", "30", "40"):
            b = Decimal(bound)
            assert {b - Decimal("0.1"), b, b + Decimal("0.1")} <= set(candidates)

    def test_sum_of_choices_corridor(self, models) -> None:
        plan = next(p for p in case_space(models["mawo"]).corridors if p.node == "bewohner.lp2a.berechnete_stufe")
        targets = {target for target, _ in plan.combos}
        assert {Decimal(n) for n in (0, 2, 7, 8, 21, 22, 37, 38)} <= targets
        choices = {s.key: s.type.choices for s in models["mawo"].checked.scopes["bewohner"].inputs if s.type.choices}
        for target, assignment in plan.combos:
            assert sum(value for _, value in assignment) == target
            assert all(value in choices[key] for key, value in assignment)

    def test_sum_of_nine_inputs(self, models) -> None:
        plan = next(p for p in case_space(models["mawo"]).corridors if p.node == "bewohner.lp3a.berechnete_stufe")
        targets = {target for target, _ in plan.combos}
        assert {Decimal(n) for n in ("4.0", "4.5", "5.0", "17.5", "18", "18.5")} <= targets

    def test_boundaries_are_drawn(self, models) -> None:
        people = [p for case in sample_cases(models["mawo"], 120, seed=1) for p in case["bewohner"]]
        hours = {Decimal(str(p["lp3b"]["stunden"])) for p in people}
        assert hours & {Decimal("9.9"), Decimal(10), Decimal("10.1")}
        minutes = {p["lp2a"]["kap4"] + p["lp2a"]["kap5"] + p["lp2a"]["kap6"] for p in people}
        assert {7, 8} <= minutes

    def test_grid_steps_follow_the_scale(self) -> None:
        domains = case_space(teilhabe_rules.loads(SCALES, "skalen.rules")).domains
        assert domains["ganz"].step == Decimal(1)
        assert domains["stunden"].step == Decimal("0.1")
        assert domains["satz"].step == Decimal("0.01")
        assert domains["betrag"].step == Decimal("0.01")
        assert {Decimal(1), Decimal(2), Decimal(8), Decimal(9)} <= set(domains["ganz"].candidates)

    def test_values_stay_inside_bounds_finer_than_the_grid(self) -> None:
        model = teilhabe_rules.loads(FINE_BOUNDS, "fein.rules")
        cases = list(sample_cases(model, 200, seed=3))
        for case in cases:
            model.load_case(case)
        assert {c["ganz"] for c in cases} == {1, 2, 3}
        assert {c["klein"] for c in cases} == {Decimal("0.004"), Decimal("0.005"), Decimal("0.006")}
        shares = {c["anteil"] for c in cases}
        assert min(shares) == Decimal("0.004") and max(shares) == Decimal("0.016") and Decimal("0.01") in shares

        @FAST
        @given(valid_cases(model))
        def inside(case) -> None:
            assert Decimal("0.004") <= case["anteil"] <= Decimal("0.016") and 1 <= case["ganz"] <= 3
            model.load_case(case)

        inside()

    def test_defects_of_fractional_bounds_are_the_named_ones(self) -> None:
        model = teilhabe_rules.loads(FINE_BOUNDS, "fein.rules")
        found = {}
        for case, what in sample_invalid_cases(model, 300, seed=5):
            if what.endswith("@ $.ganz") and ("ganze Zahl" in what or "Bereich" in what):
                found[what.split(" ", 1)[1]] = case["ganz"]
                with pytest.raises(CaseError) as info:
                    model.load_case(case)
                assert any(d.path == "$.ganz" for d in info.value.diagnostics)
        not_whole = found["ist keine ganze Zahl @ $.ganz"]
        assert not_whole != int(not_whole) and Decimal("0.5") <= not_whole <= Decimal("3.5")
        outside = found["liegt außerhalb des Bereichs @ $.ganz"]
        assert outside == int(outside) and not Decimal("0.5") <= outside <= Decimal("3.5")


class TestInvalidCases:
    """Cases with one defect are rejected by the case loader with a CaseError at the named place."""

    @pytest.mark.parametrize("name", MODEL_NAMES)
    def test_rejected_with_case_error(self, models, name) -> None:
        model = models[name]

        @FAST
        @given(invalid_cases(model))
        def rejected(spoiled) -> None:
            case, what = spoiled
            with pytest.raises(CaseError) as info:
                model.load_case(case)
            place = what.rpartition(" @ ")[2]
            assert any(d.path and d.path.startswith(place) for d in info.value.diagnostics), (what, info.value.render())

        rejected()

    def test_every_kind_of_defect_occurs(self, models) -> None:
        texts = [what for _case, what in sample_invalid_cases(models["mawo"], 400, seed=4)]
        for pattern in ("unbekannter Schlüssel", "Pflichtangabe fehlt", "außerhalb des Bereichs",
                        "nicht erlaubter Wert", "falscher Typ", "keine ganze Zahl", "statt Liste", "statt Tabelle",
                        "Einträge", "ohne Begründung", "gibt es nicht"):
            assert any(pattern in t for t in texts), pattern

    def test_too_many_and_too_few_elements(self, models) -> None:
        texts = [what for _case, what in sample_invalid_cases(models["bei_nrw3"], 300, seed=8)]
        assert any(re.match(r"4 statt höchstens 3 Einträge @ \$\.zeitabschnitte$", t) for t in texts)
        assert "0 statt mindestens 1 Eintrag @ $.zeitabschnitte" in texts


class TestSampler:
    """``sample_cases`` yields n valid cases, the same ones for the same seed."""

    def test_deterministic_per_seed(self, models) -> None:
        model = models["bei_nrw3"]
        first = list(sample_cases(model, 12, seed=42))
        again = list(sample_cases(model, 12, seed=42))
        other = list(sample_cases(model, 12, seed=43))
        assert len(first) == 12
        assert first == again
        assert first != other

    def test_independent_of_other_limits_objects(self, models) -> None:
        model = models["mawo"]
        assert list(sample_cases(model, 5, seed=1, max_list=3)) == list(sample_cases(model, 5, seed=1, max_list=3))
        assert list(sample_cases(model, 5, seed=1, max_list=3)) != list(sample_cases(model, 5, seed=1, max_list=1))


class TestTomlWriter:
    """Case data written as TOML reads back equal."""

    @pytest.mark.parametrize("name", MODEL_NAMES)
    def test_round_trip(self, models, name) -> None:
        for case in sample_cases(models[name], 15, seed=9):
            assert tomllib.loads(dumps(case), parse_float=Decimal) == case

    def test_round_trip_of_hypothesis_texts(self, models) -> None:
        model = models["bei_nrw2"]

        @FAST
        @given(valid_cases(model, candidate=0.1))
        def round_trip(case) -> None:
            assert tomllib.loads(dumps(case), parse_float=Decimal) == case

        round_trip()

    def test_strings_and_numbers(self) -> None:
        data = {"a": 'Zitat "x" \\ Zeile\nzwei\t\x01', "b": Decimal("0.50"), "c": Decimal("1E+1"), "d": -3,
                "ä-schlüssel": True, "e": _dt.date(2024, 2, 29), "leer": [], "t": {"x": 1},
                "l": [{"y": Decimal("2.25")}]}
        text = dumps(data, header="Kopf\nzweite Zeile")
        assert text.startswith("# Kopf\n# zweite Zeile\n")
        assert tomllib.loads(text, parse_float=Decimal) == data

    def test_floats_are_refused(self) -> None:
        with pytest.raises(TypeError, match="Gleitkommazahlen"):
            dumps({"x": 0.1})


class TestDocumentation:
    """The vendor example in docs/05_testing.md runs as written."""

    def test_vendor_example_runs(self, tmp_path) -> None:
        import runpy

        text = (ROOT / "docs" / "05_testing.md").read_text(encoding="utf-8")
        blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
        assert blocks, "docs/05_testing.md has no python block"
        for number, block in enumerate(blocks):
            script = tmp_path / f"beispiel_{number}.py"  # hypothesis reads the source of the tests
            script.write_text(block, encoding="utf-8")
            namespace = runpy.run_path(str(script), run_name="docs_example")
            assert "model" in namespace
