"""The IR toolkit: one walker, one dependency function, one constant evaluator, one renderer."""

from __future__ import annotations

import decimal
import re
import typing
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules.ir import checked as c
from teilhabe_rules.ir import toolkit
from teilhabe_rules.syntax.ast import NO_SPAN
from teilhabe_rules.units import parse_unit

BUNDLED = [m.name for m in teilhabe_rules.bundled_models()]


def _reference_walk(item: Any) -> Iterator[Any]:
    """Every expression object reachable through attrs fields, pre-order in field order — the
    generic walk the toolkit must agree with."""
    if isinstance(item, tuple):
        for sub in item:
            yield from _reference_walk(sub)
        return
    if not isinstance(item, toolkit.EXPRESSION_TYPES):
        return
    yield item
    for field in attrs.fields(type(item)):
        if field.name not in ("type", "span"):
            yield from _reference_walk(getattr(item, field.name))


def _expression_fields(cls: type) -> tuple[str, ...]:
    """The fields of an expression class whose annotation names an expression."""
    hints = typing.get_type_hints(cls, vars(c))
    names = {t.__name__ for t in toolkit.EXPRESSION_TYPES}
    found = []
    for field in attrs.fields(cls):
        text = repr(hints[field.name])
        if any(re.search(rf"\b{name}\b", text) for name in names) or "Expr" in str(field.type):
            found.append(field.name)
    return tuple(found)


def test_every_kind_of_expression_is_known_with_its_children() -> None:
    expr_members = set(typing.get_args(c.Expr))
    assert set(toolkit.EXPRESSION_TYPES) == expr_members
    assert set(toolkit.CHILD_FIELDS) == expr_members
    for cls in toolkit.EXPRESSION_TYPES:
        assert toolkit.CHILD_FIELDS[cls] == _expression_fields(cls), cls.__name__


@pytest.mark.parametrize("name", BUNDLED)
def test_walk_agrees_with_a_generic_walk_over_every_bundled_model(name: str) -> None:
    model = teilhabe_rules.bundled(name).checked
    for node in model.nodes.values():
        expected = [e for root in toolkit.node_expressions(node) for e in _reference_walk(root)]
        assert [id(e) for e in toolkit.walk(node)] == [id(e) for e in expected], node.id
        symbols = [e.symbol for e in expected if isinstance(e, c.Ref)]
        assert list(toolkit.symbols_read(node)) == symbols


def test_walk_is_iterative() -> None:
    """An expression far deeper than Python's recursion limit is walked."""
    number = c.ValueType("zahl")
    expr: c.Expr = c.Const(Decimal(1), number, NO_SPAN)
    for _ in range(20_000):
        expr = c.Unary("-", expr, number, NO_SPAN)
    assert sum(1 for _ in toolkit.walk(expr)) == 20_001


# ---- the constant evaluator ---------------------------------------------------------------

NUMBER = c.ValueType("zahl")
DATE = c.ValueType("datum")
decimals = st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=4)


def const(value: Any, vtype: c.ValueType = NUMBER) -> c.Const:
    return c.Const(value, vtype, NO_SPAN)


def parameter(symbol: str, vtype: c.ValueType = NUMBER) -> c.Ref:
    return c.Ref(symbol, symbol, "", "parameter", vtype, NO_SPAN)


def value(symbol: str, vtype: c.ValueType = NUMBER) -> c.Ref:
    return c.Ref(symbol, symbol, "", "wert", vtype, NO_SPAN)


@given(decimals, decimals, st.sampled_from(["+", "-", "*", "/"]))
def test_arithmetic_is_exact_in_the_decimal_context(a: Decimal, b: Decimal, op: str) -> None:
    expr = c.Arith(op, parameter("a"), const(b), NUMBER, NO_SPAN)
    got = toolkit.const_value(expr, {"a": a})
    with decimal.localcontext(toolkit.DECIMAL_CONTEXT):
        if op == "/" and b == 0:
            assert got is None  # no exception, no infinity
            return
        expected = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op]
    assert got == expected and isinstance(got, Decimal)


@given(decimals, st.fractions(min_value=Fraction(1, 1000), max_value=1000, max_denominator=1000))
def test_conversion_and_sign(a: Decimal, factor: Fraction) -> None:
    convert = c.Convert(c.Unary("-", parameter("a"), NUMBER, NO_SPAN), factor, NUMBER, NO_SPAN)
    with decimal.localcontext(toolkit.DECIMAL_CONTEXT):
        expected = -a * factor.numerator / factor.denominator
    assert toolkit.const_value(convert, {"a": a}) == expected


@given(st.lists(decimals, min_size=1, max_size=5), st.sampled_from(["min", "max"]))
def test_min_and_max_of_known_values(values: list[Decimal], name: str) -> None:
    expr = c.Func(name, tuple(const(v) for v in values), NUMBER, NO_SPAN)
    assert toolkit.const_value(expr) == (min(values) if name == "min" else max(values))


def test_what_needs_a_case_is_unknown() -> None:
    assert toolkit.const_value(value("x")) is None
    assert toolkit.const_value(c.Arith("+", value("x"), const(Decimal(1)), NUMBER, NO_SPAN)) is None
    assert toolkit.const_value(parameter("fehlt"), {}) is None
    assert toolkit.const_value(None) is None
    # a value the caller knows (an evaluated row) counts; a level (int) is a number
    known = {"x": 3}
    expr = c.Arith("*", value("x"), const(Decimal("1.5")), NUMBER, NO_SPAN)
    assert toolkit.const_value(expr, lambda ref: known.get(ref.symbol)) == Decimal("4.5")
    # a truth value is no number
    truth = const(True, c.ValueType("ja_nein"))
    assert toolkit.const_value(c.Arith("+", truth, const(Decimal(1)), NUMBER, NO_SPAN)) is None


# ---- the renderer ---------------------------------------------------------------------------


def test_render_with_names_and_with_values() -> None:
    hours = c.ValueType("zahl", parse_unit("h/Woche"))
    rate = c.ValueType("zahl", parse_unit("EUR/h"))
    money = c.ValueType("zahl", parse_unit("EUR/Woche"))
    hours_input = c.Ref("stunden", "stunden", "", "eingabe", hours, NO_SPAN)
    product = c.Arith("*", hours_input, parameter("satz", rate), money, NO_SPAN)
    total = c.Arith("*", c.Arith("+", const(Decimal(1)), const(Decimal(2)), NUMBER, NO_SPAN), product, money, NO_SPAN)
    assert toolkit.render(total) == "(1 + 2) * (stunden * satz)"  # the tree as built: a * (b * c)
    known = {"stunden": Decimal("12.5"), "satz": Decimal("70.10")}
    assert toolkit.render(total, lambda ref: known.get(ref.symbol)) == "(1 + 2) * (12.5 h/Woche * 70.10 EUR/h)"
    cond = c.Cond(c.Compare(">", value("x"), const(Decimal(0)), c.ValueType("ja_nein"), NO_SPAN), const(Decimal(1)),
                  const(Decimal(2)), NUMBER, NO_SPAN)
    assert toolkit.render(cond) == "wenn x > 0 dann 1 sonst 2"
    inner = c.Arith("-", const(Decimal(3)), const(Decimal(1)), NUMBER, NO_SPAN)
    assert toolkit.render(c.Arith("-", const(Decimal(5)), inner, NUMBER, NO_SPAN)) == "5 - (3 - 1)"
