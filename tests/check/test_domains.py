"""Value domains hold every value an expression can take — after ``runde``, through products of
large bounds — and never end a check in an internal error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules import CheckError
from teilhabe_rules.ir import checked as c
from teilhabe_rules.ir.domains import domain_of
from teilhabe_rules.span import NO_SPAN

HEAD = 'modell d "D"\n  version "1"\n  gültig ab 01.01.2024\nende\n'


class _Tables:
    parameters: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    scopes: dict[str, Any] = {}
    value_ir: dict[str, Any] = {}

    def __init__(self) -> None:
        self.domains: dict[str, Any] = {}


def _input(low: Decimal, high: Decimal) -> c.Ref:
    return c.Ref("x", "x", "", c.RefKind.EINGABE, c.ValueType(c.TypeKind.ZAHL, low=low, high=high), NO_SPAN)


def _runde(operand: c.Expr, places: int, mode: str) -> c.Func:
    return c.Func("runde", (operand, c.Const(Decimal(places), c.NUMBER, NO_SPAN),
                            c.Const(mode, c.ValueType(c.TypeKind.MODUS), NO_SPAN)), c.NUMBER, NO_SPAN)


_numbers = st.decimals(min_value=Decimal(-1000), max_value=Decimal(1000), places=3)


@given(_numbers, _numbers, st.lists(st.integers(0, 1000), min_size=1, max_size=20), st.integers(-2, 2),
       st.sampled_from(sorted(c.ROUNDING_MODES)))
@example(Decimal("0.2"), Decimal("0.7"), [200], 0, "kaufmännisch")  # 0.3 → 0, below 0.2
@example(Decimal("0.2"), Decimal("0.7"), [1000], 0, "aufrunden")  # 0.7 → 1, above 0.7
def test_a_rounded_value_lies_in_the_domain_of_runde(a: Decimal, b: Decimal, shares: list[int], places: int,
                                                     mode: str) -> None:
    low, high = min(a, b), max(a, b)
    domain = domain_of(_runde(_input(low, high), places, mode), _Tables())
    assert domain.values is not None or domain.lo is not None and domain.hi is not None
    for share in shares:  # values across the input's range, its ends included
        x = low + (high - low) * share / 1000
        rounded = x.quantize(Decimal(1).scaleb(-places), rounding=c.ROUNDING_MODES[mode])
        if domain.values is not None:
            assert rounded in domain.values
        else:
            assert domain.lo is not None and domain.hi is not None and domain.lo <= rounded <= domain.hi


def test_the_checker_finds_the_values_runde_moves_out_of_the_bands() -> None:
    text = HEAD + """eingabe x: zahl h von 0.2 bis 0.7
paket p "P"
  stufen
    0 "a"
    1 "b"
  ende
  wert g: h = runde(x, 0, kaufmännisch)
  stufe nach korridor g
    0: ab 0.2 bis 0.4
    1: über 0.4 bis 0.7
  ende
ende
"""
    with pytest.raises(CheckError) as raised:
        teilhabe_rules.loads(text, "d.rules")
    assert [d.message for d in raised.value.errors] == ["Der Korridor von „p“ deckt mögliche Werte nicht ab: 0, 1 h"]


def test_products_of_huge_bounds_are_no_internal_error() -> None:
    """Bounds beyond 10^60 are taken as none: the corridor over them is proved from 0 upwards."""
    product = " * ".join(["x"] * 100)
    text = HEAD + f"""eingabe x: zahl von 0 bis {'9' * 45}
wert a = {product}
wert b = {product.replace('x', 'a')}
wert g = b * b * b
paket p "P"
  stufen
    0 "a"
    1 "b"
  ende
  stufe nach korridor g
    0: ab 0 bis 5
    1: über 5
  ende
ende
"""
    teilhabe_rules.loads(text, "d.rules")  # in order: no overflow, no gap
    with pytest.raises(CheckError, match="Lücke: Werte unter 0"):
        teilhabe_rules.loads(text.replace("von 0 bis", "von -1 bis"), "d.rules")


def test_runde_of_bounds_with_more_digits_than_the_context_holds_is_no_internal_error() -> None:
    text = HEAD + """eingabe x: zahl EUR von 0 bis 10000000
wert b: EUR = runde(x, 28, kaufmännisch)
paket p "P"
  stufen
    0 "a"
    1 "b"
  ende
  stufe nach korridor b
    0: ab 0 EUR bis 10 EUR
    1: über 10 EUR
  ende
ende
"""
    teilhabe_rules.loads(text, "d.rules")


def test_a_conversion_keeps_the_one_bound_its_quantity_has() -> None:
    """``y als h`` of a quantity bounded above only (``min(x, 100 min)``) stays bounded above."""
    text = HEAD + """eingabe x: zahl min
wert y: min = min(x, 100 min)
paket p "P"
  stufen
    0 "a"
    1 "b"
  ende
  stufe nach korridor y als h
    0: bis 1 h
    1: über 1 h bis 2 h
  ende
ende
"""
    teilhabe_rules.loads(text, "d.rules")  # in order: no gap above 2 h (100 min is 1 2/3 h)
    with pytest.raises(CheckError, match=r"Lücke: Werte über 1 bis 1\.6666"):
        teilhabe_rules.loads(text.replace("1: über 1 h bis 2 h", "1: über 2 h"), "d.rules")
