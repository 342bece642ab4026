"""A figure written with ``%`` is a percentage, one written without is not: ``5 %`` for a number
without a unit, or ``5 Tage/Tage`` for a percentage, is an error where it is written — in a rule
file, a case and an agreement — not 5 read silently (``%`` stays a plain number in arithmetic)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import teilhabe_rules
from teilhabe_rules.errors import CaseError, CheckError, TeilhabeError

HEAD = 'modell m "M"\n  gültig ab 01.01.2024\nende\n'
MODEL = HEAD + """eingabe anzahl: zahl
eingabe anteil: %
parameter satz: % = 10 %
wert a = anzahl * anteil
wert b = 50 % * 2
"""


@pytest.fixture(scope="module")
def model() -> teilhabe_rules.Model:
    return teilhabe_rules.loads(MODEL, "m.rules")


def test_percentages_and_plain_numbers_as_written(model: teilhabe_rules.Model) -> None:
    result = model.evaluate({"anzahl": "3", "anteil": "45 %"})
    assert result.value("a") == Decimal("1.35") and result.value("b") == 1


@pytest.mark.parametrize(("field", "written"), [("anzahl", "2 %"), ("anzahl", "142 Tage/Tage"), ("anzahl", "8 €/€"),
                                                 ("anteil", "45 Tage/Tage")])
def test_a_case_figure_in_the_other_kind_is_refused_at_its_place(model: teilhabe_rules.Model, field: str,
                                                                 written: str) -> None:
    case = {"anzahl": "3", "anteil": "45 %", field: written}
    with pytest.raises(CaseError) as info:
        model.evaluate(case)
    (found,) = info.value.diagnostics
    assert found.path == f"$.{field}"
    assert "erwartet ist " + ("keine Einheit" if field == "anzahl" else "%") in found.message


def test_an_agreement_figure_in_the_other_kind_is_refused(model: teilhabe_rules.Model) -> None:
    assert model.evaluate({"anzahl": "1", "anteil": "1 %"}, agreement={"parameter": {"satz": "4 %"}}) is not None
    with pytest.raises(TeilhabeError):
        model.evaluate({"anzahl": "1", "anteil": "1 %"}, agreement={"parameter": {"satz": "4 Tag/Tag"}})


@pytest.mark.parametrize(("line", "expected"), [
    ("parameter p: zahl = 5 %", "erwartet ist keine Einheit"),
    ("parameter q: % = 5 Tage/Tage", "erwartet ist %"),
    ("eingabe r: zahl von 0 bis 5 %", "passt nicht zu einer Zahl ohne Einheit"),
    ("wert s: zahl = 5 EUR", "ist als Zahl ohne Einheit deklariert"),
])
def test_a_rule_file_figure_in_the_other_kind_is_a_located_error(line: str, expected: str) -> None:
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(HEAD + line + "\n", "m.rules")
    (found,) = info.value.diagnostics
    assert expected in found.message
    assert found.location is not None and found.location.line == 4


@pytest.mark.parametrize(("text", "line"), [
    ("parameter q: % = 5\n", 4),
    ('parameter q: % = 5 %\n  ab 01.07.2024 = 6\n', 5),
    ('tabelle t "T": ganzzahl -> % teilweise\n  1: 5 %\n  2: 7\nende\n', 6),
])
def test_a_bare_number_for_a_percentage_in_a_rule_file_is_an_error(text: str, line: int) -> None:
    """As in an expression: „5“ for a share could mean 5 % or 500 % — a parameter's or a table's
    value says which (0 needs no unit)."""
    with pytest.raises(CheckError) as info:
        teilhabe_rules.loads(HEAD + text, "m.rules")
    (found,) = info.value.diagnostics
    assert "ohne Einheit steht für einen Prozentwert" in found.message
    assert found.location is not None and found.location.line == line
    assert found.hint is not None and "%“ oder, wenn das Ganze gemeint ist" in found.hint
    zero = teilhabe_rules.loads(HEAD + "parameter z: % = 0\n", "m.rules")
    assert zero.parameters["z"] == 0


@pytest.mark.parametrize("written", ["€", "EUR", "zahl €", "zahl EUR"])
def test_the_euro_sign_alone_is_a_type_as_eur_is(written: str) -> None:
    """``€`` alone declares an amount of money, as ``EUR``, ``%`` and ``€/h`` alone declare theirs
    (it was a syntax error „Unerwartetes „€““ whose hint offered a unit)."""
    model = teilhabe_rules.loads(HEAD + f"eingabe a: {written}\nparameter p: {written} = 3 €\n"
                                 "wert f: € = a + p\n", "m.rules")
    result = model.evaluate({"a": "2 EUR"})
    assert result.value("f") == 5 and str(model.checked.nodes["f"].type.unit) == "EUR"
