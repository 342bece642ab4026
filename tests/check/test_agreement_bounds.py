"""Corridor bounds written as expressions over parameters are re-checked with agreed values."""

from __future__ import annotations

import pytest

import teilhabe_rules

MODEL = """modell m "M"
  version "1"
  gültig ab 01.01.2024
ende
parameter g: min/Tag = 7
eingabe x: auswahl {0, 2, 5, 8, 16} min/Tag
paket p
  stufen
    0 "null"
    1 "eins"
    2 "zwei"
  ende
  stufe nach korridor x
    0: ab 0 bis 0
    1: über 0 bis g + 0 min/Tag
    2: über g + 1 min/Tag
  ende
ende
"""


class TestExpressionBounds:
    """An agreement is judged by the bounds its values give, not refused for their form."""

    def test_agreeing_the_default_is_accepted(self) -> None:
        model = teilhabe_rules.loads(MODEL.replace("über g + 1 min/Tag", "über g"), "m.rules")
        assert model.evaluate({"x": 5}, {"parameter": {"g": 7}}).value("p.stufe") == 1

    def test_a_moved_bound_moves_the_level(self) -> None:
        model = teilhabe_rules.loads(MODEL.replace("über g + 1 min/Tag", "über g"), "m.rules")
        assert model.evaluate({"x": 8}, {"parameter": {"g": 7}}).value("p.stufe") == 2
        assert model.evaluate({"x": 8}, {"parameter": {"g": 9}}).value("p.stufe") == 1

    def test_a_gap_opened_through_an_expression_is_an_agreement_error(self) -> None:
        # bands (0, g] and (g + 1, ∞): the model's own domain {0, 2, 5, 8, 16} has 8 in the gap (7, 8]
        with pytest.raises(teilhabe_rules.CheckError, match="deckt mögliche Werte nicht ab: 8"):
            teilhabe_rules.loads(MODEL, "m.rules")
        shifted = MODEL.replace("parameter g: min/Tag = 7", "parameter g: min/Tag = 9")
        model = teilhabe_rules.loads(shifted, "m.rules")
        with pytest.raises(teilhabe_rules.AgreementError, match="8"):
            model.load_agreement({"parameter": {"g": 7}})
