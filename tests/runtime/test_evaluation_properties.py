"""Generated cases: corridors are monotone and total, evaluation is deterministic and fails cleanly."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import TeilhabeError

CHOICES = {
    "kap4": (0, 2, 5, 8, 16),
    "kap5": (0, 2, 9, 16, 24),
    "kap6": (0, 3, 7),
}
LEVELS = (0, 1, 2, 3)
# (level, lower bound, lower inclusive, upper bound, upper inclusive) — as written below
BANDS = (
    (0, Decimal(0), True, Decimal(0), True),
    (1, Decimal(0), False, Decimal(7), True),
    (2, Decimal(7), False, Decimal(21), False),
    (3, Decimal(21), True, None, False),
)

SOURCE = """\
modell eigenschaften "Eigenschaften"
  version "1"
  gültig ab 01.01.2024
ende

tabelle poolanteil "Anteil bei Poolen": ganzzahl Personen -> % teilweise
  1: 100 %
  2: 65 %
  3: 45 %
ende

paket lp2a "LP 2a"
  stufen
    0 "kein Bedarf"
    1 "gering"
    2 "mittel"
    3 "hoch"
  ende
  eingabe kap4: auswahl {0, 2, 5, 8, 16} min/Tag
  eingabe kap5: auswahl {0, 2, 9, 16, 24} min/Tag
  eingabe kap6: auswahl {0, 3, 7} min/Tag
  wert summe: min/Tag = kap4 + kap5 + kap6
  stufe nach korridor summe
    0: ab 0 bis 0
    1: über 0 bis 7
    2: über 7 unter 21
    3: ab 21
  ende
  parameter satz: EUR/Tag = 12.5
  wert betrag: EUR/Tag = lp2a.stufe * satz
ende

eingabe teiler: ganzzahl Personen von 0 bis 4
liste massnahmen "Maßnahmen" höchstens 4
  eingabe stunden: zahl h/Jahr von 0 bis 2000
  eingabe personen: ganzzahl Personen von 1 bis 5 standard 1
  wert anteil: % = poolanteil[personen]
  wert abrechenbar: h/Jahr = stunden * anteil
  prüfung "Maßnahme {position}: {stunden} sind zu viel": stunden <= 1500 h/Jahr
ende
wert stunden_gesamt: h/Jahr = summe(massnahmen.abrechenbar)
wert je_person: h/Jahr = stunden_gesamt / (teiler / 1 Personen)
"""

MODEL = teilhabe_rules.loads(SOURCE, "eigenschaften.rules")


def band_of(total: Decimal) -> list[int]:
    """The levels whose band (as written in SOURCE) contains ``total``."""
    out = []
    for level, low, low_incl, high, high_incl in BANDS:
        if low is not None and (total < low or total == low and not low_incl):
            continue
        if high is not None and (total > high or total == high and not high_incl):
            continue
        out.append(level)
    return out


package_inputs = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in CHOICES.items()})
measures = st.lists(
    st.fixed_dictionaries(
        {"stunden": st.decimals(min_value=0, max_value=2000, places=2).map(str)},
        optional={"personen": st.integers(min_value=1, max_value=5)},
    ),
    max_size=4,
)
valid_cases = st.fixed_dictionaries(
    {"lp2a": package_inputs, "teiler": st.integers(min_value=0, max_value=4), "massnahmen": measures}
)
junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=False, places=3).map(str),
    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def with_junk(case: dict[str, Any], where: int, value: Any) -> dict[str, Any]:
    """``case`` with one field (chosen by ``where``) replaced by an arbitrary value."""
    spoiled = copy.deepcopy(case)
    slots: list[tuple[Any, Any]] = [(spoiled["lp2a"], k) for k in CHOICES] + [(spoiled["lp2a"], "stufe")]
    slots += [(spoiled, k) for k in ("lp2a", "teiler", "massnahmen", "unbekannt")]
    slots += [(m, k) for m in spoiled["massnahmen"] for k in ("stunden", "personen")]
    slots += [(spoiled["massnahmen"], i) for i in range(len(spoiled["massnahmen"]))]
    holder, key = slots[where % len(slots)]
    holder[key] = value
    return spoiled


def evaluate_or_error(case: dict[str, Any]) -> teilhabe_rules.Result | TeilhabeError:
    try:
        return MODEL.evaluate(case)
    except TeilhabeError as exc:
        return exc


class TestCorridorProperties:
    """The corridor of LP 2a is total over its inputs' choices and never falls when an input rises."""

    @settings(max_examples=examples(60), deadline=None)
    @given(inputs=package_inputs)
    def test_exactly_one_declared_level(self, inputs: dict[str, int]) -> None:
        result = MODEL.evaluate({"lp2a": inputs, "teiler": 1, "massnahmen": []})
        total = sum(Decimal(v) for v in inputs.values())
        assert result.value("lp2a.summe") == total
        assert band_of(total) == [result.value("lp2a.stufe")]
        assert result.value("lp2a.stufe") in LEVELS

    @settings(max_examples=examples(60), deadline=None)
    @given(inputs=package_inputs, field=st.sampled_from(sorted(CHOICES)), data=st.data())
    def test_level_never_falls_when_an_input_rises(self, inputs: dict[str, int], field: str,
                                                   data: st.DataObject) -> None:
        higher = data.draw(st.sampled_from([v for v in CHOICES[field] if v >= inputs[field]]), label="higher")
        before = MODEL.evaluate({"lp2a": inputs, "teiler": 1, "massnahmen": []})
        after = MODEL.evaluate({"lp2a": {**inputs, field: higher}, "teiler": 1, "massnahmen": []})
        assert after.value("lp2a.stufe") >= before.value("lp2a.stufe")
        assert after.value("lp2a.betrag") >= before.value("lp2a.betrag")

    def test_every_combination_once(self) -> None:
        """Exhaustively: all 75 combinations land in exactly one band, all levels are reached."""
        import itertools

        reached = set()
        for kap4, kap5, kap6 in itertools.product(*CHOICES.values()):
            inputs = {"kap4": kap4, "kap5": kap5, "kap6": kap6}
            level = MODEL.evaluate({"lp2a": inputs, "teiler": 1, "massnahmen": []}).value("lp2a.stufe")
            assert band_of(Decimal(kap4 + kap5 + kap6)) == [level]
            reached.add(level)
        assert reached == set(LEVELS)
        assert not MODEL.warnings


class TestEvaluationProperties:
    """Evaluation of generated cases is deterministic and only ever fails with the library's errors."""

    @settings(max_examples=examples(60), deadline=None)
    @given(case=valid_cases)
    def test_deterministic_and_pure(self, case: dict[str, Any]) -> None:
        original = copy.deepcopy(case)
        first = evaluate_or_error(case)
        second = evaluate_or_error(case)
        assert case == original
        if isinstance(first, TeilhabeError):
            assert isinstance(second, type(first)) and second.render() == first.render()
        else:
            assert isinstance(second, teilhabe_rules.Result)
            assert first == second and first.to_dict() == second.to_dict()

    @settings(max_examples=examples(80), deadline=None)
    @given(case=valid_cases)
    def test_valid_cases_fail_only_with_library_errors(self, case: dict[str, Any]) -> None:
        outcome = evaluate_or_error(case)  # any other exception escapes and fails the test
        too_many = [m for m in case["massnahmen"] if Decimal(m["stunden"]) > 1500]
        missing_row = any(m.get("personen", 1) > 3 for m in case["massnahmen"])
        if isinstance(outcome, teilhabe_rules.Result):
            assert not too_many and not missing_row and case["teiler"] != 0
        elif isinstance(outcome, teilhabe_rules.CaseError):
            assert too_many
            if not missing_row and case["teiler"] != 0:
                # nothing aborts the evaluation: every element over the limit is reported, in order
                over = [f"$.massnahmen[{i}]" for i, m in enumerate(case["massnahmen"], 1)
                        if Decimal(m["stunden"]) > 1500]
                assert [d.path for d in outcome.diagnostics] == over
        else:
            assert isinstance(outcome, teilhabe_rules.EvaluationError)
            assert missing_row or case["teiler"] == 0

    @settings(max_examples=examples(80), deadline=None)
    @given(case=valid_cases, where=st.integers(min_value=0, max_value=50), value=junk)
    def test_malformed_cases_fail_only_with_library_errors(self, case: dict[str, Any], where: int, value: Any) -> None:
        spoiled = with_junk(case, where, value)
        outcome = evaluate_or_error(spoiled)
        if isinstance(outcome, teilhabe_rules.Result):
            assert not any(isinstance(leaf, float) for leaf in _leaves(outcome.to_dict()))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]
