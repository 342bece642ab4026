"""A value's declared type is enforced: whole numbers statically, ranges when computed."""

from __future__ import annotations

import pytest

import teilhabe_rules

HEAD = """modell m "M"
  version "1"
  gültig ab 01.01.2024
ende
eingabe x: zahl h/Jahr von 0 bis 100
"""


class TestDeclaredValues:
    """ganzzahl and ranges on ``wert``."""

    def test_whole_number_declared_but_fraction_possible_is_a_check_error(self) -> None:
        with pytest.raises(teilhabe_rules.CheckError, match="als ganze Zahl deklariert") as info:
            teilhabe_rules.loads(HEAD + "wert y: ganzzahl h/Jahr = x / 3\n", "m.rules")
        assert "runde" in info.value.render()

    def test_rounding_to_zero_places_makes_a_whole_number(self) -> None:
        model = teilhabe_rules.loads(HEAD + "wert y: ganzzahl h/Jahr = runde(x / 3, 0, kaufmännisch)\n", "m.rules")
        assert model.evaluate({"x": 10}).value("y") == 3

    def test_declared_range_is_checked_when_computed(self) -> None:
        model = teilhabe_rules.loads(HEAD + "wert y: zahl h/Jahr von 0 bis 150 = x * 2\n", "m.rules")
        assert model.evaluate({"x": 75}).value("y") == 150
        with pytest.raises(teilhabe_rules.EvaluationError,
                           match=r"„y“ = 152 liegt außerhalb des deklarierten Bereichs 0 bis 150"):
            model.evaluate({"x": 76})

    def test_a_derived_value_does_not_inherit_the_input_range(self) -> None:
        model = teilhabe_rules.loads(HEAD + "wert y: h/Jahr = x + x\n", "m.rules")
        assert model.evaluate({"x": 100}).value("y") == 200


class TestNumericMembers:
    """Numeric members of an aufzählung can be written qualified: ``Pflegegrad.0``."""

    MODEL = HEAD + """aufzählung Pflegegrad "PG"
  0 "kein"
  2 "PG 2"
ende
eingabe pg: Pflegegrad
wert ohne = pg = Pflegegrad.0
"""

    def test_qualified_numeric_member_compares(self) -> None:
        model = teilhabe_rules.loads(self.MODEL, "m.rules")
        assert model.evaluate({"x": 1, "pg": 0}).value("ohne") is True
        assert model.evaluate({"x": 1, "pg": 2}).value("ohne") is False

    def test_unknown_numeric_member_is_a_check_error(self) -> None:
        with pytest.raises(teilhabe_rules.CheckError, match="„1“ gehört nicht zu Pflegegrad"):
            teilhabe_rules.loads(self.MODEL + "wert z = Pflegegrad.1\n", "m.rules")
