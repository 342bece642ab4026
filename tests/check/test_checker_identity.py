"""The checker remembers unit-less numbers by identity; a later object must never inherit that."""

from __future__ import annotations

from decimal import Decimal

from teilhabe_rules.check.checker import Checker
from teilhabe_rules.ir import checked as c
from teilhabe_rules.syntax import ast
from teilhabe_rules.syntax.builder import parse_module

TEXT = 'modell m\nversion "1"\ngültig ab 01.01.2024\nende\neingabe x: zahl % von 0 bis 100 "x"\n'


def test_a_new_number_at_the_address_of_a_forgotten_one_is_not_unit_less() -> None:
    checker = Checker(parse_module(TEXT, "m.rules"), TEXT)
    span, one, value, vtype = ast.Span(1, 1, 1, 2), Decimal(1), Decimal(100), c.ValueType("zahl")
    number = c.Const(one, c.NUMBER, span)
    checker.flex(number)
    del number  # from here on the checker holds the only reference, if any
    # CPython hands a freed object's memory to the next object of the same size; without the
    # checker keeping its numbers alive, this 100 would be taken for the unit-less 1.
    later = c.Const(value, vtype, span)
    assert not checker.is_flex(later)


def test_a_remembered_number_stays_unit_less() -> None:
    checker = Checker(parse_module(TEXT, "m.rules"), TEXT)
    number = checker.flex(c.Const(Decimal(1), c.NUMBER, ast.Span(1, 1, 1, 2)))
    assert checker.is_flex(number)
