"""Value domains hold every value an expression can take — after ``runde``, through products of
large bounds — and never end a check in an internal error."""

from __future__ import annotations

import decimal
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


def _named(name: str, low: Decimal, high: Decimal) -> c.Ref:
    return c.Ref(name, name, "", c.RefKind.EINGABE, c.ValueType(c.TypeKind.ZAHL, low=low, high=high), NO_SPAN)


_bounds = st.tuples(_numbers, _numbers).map(sorted)
_divisors = st.tuples(st.decimals(min_value=Decimal("0.1"), max_value=Decimal(50), places=1),
                      st.decimals(min_value=Decimal("0.1"), max_value=Decimal(50), places=1), st.booleans()).map(
    lambda t: (sorted((-t[0], -t[1])) if t[2] else sorted(t[:2])))


@given(_bounds, _divisors, st.floats(0, 1), st.floats(0, 1))
@example([Decimal(10), Decimal(10)], [Decimal(1), Decimal(5)], 0.0, 0.0)  # 10 / x of x in 1..5: 2 to 10
def test_a_quotient_by_a_divisor_of_one_sign_lies_between_its_corners(numerator: list[Decimal],
                                                                      divisor: list[Decimal], s: float,
                                                                      t: float) -> None:
    """``a / b`` for ``b`` of one sign: every quotient within the domain, whose bounds are
    quotients of the bounds (no bound 0 claimed for a quotient that cannot be 0)."""
    quotient = c.Arith("/", _named("a", *numerator), _named("b", *divisor), c.NUMBER, NO_SPAN)
    domain = domain_of(quotient, _Tables())  # type: ignore[arg-type]
    assert domain.lo is not None and domain.hi is not None
    with decimal.localcontext(prec=60):  # (the domain's bounds: 28 digits, rounded outward)
        corners = [a / b for a in numerator for b in divisor]
        assert domain.lo <= min(corners) <= domain.lo + Decimal("1e-26") * (1 + abs(domain.lo))
        assert domain.hi - Decimal("1e-26") * (1 + abs(domain.hi)) <= max(corners) <= domain.hi
        a = numerator[0] + (numerator[1] - numerator[0]) * Decimal(s)
        b = divisor[0] + (divisor[1] - divisor[0]) * Decimal(t)
        assert domain.lo <= a / b <= domain.hi


@given(_bounds, st.integers(1, 100))
def test_a_staff_key_applied_keeps_the_sign_of_its_count(count: list[Decimal], divisor: int) -> None:
    """``1:k * n`` is ``n / k``: a count below 0 gives VK below 0 (the key's domain was taken
    to start at 0, whatever the count)."""
    applied = c.KeyApply(c.Const(Decimal(divisor), c.KEY, NO_SPAN), _named("n", *count), c.NUMBER, NO_SPAN)
    domain = domain_of(applied, _Tables())  # type: ignore[arg-type]
    assert domain.lo is not None and domain.hi is not None
    with decimal.localcontext(prec=60):
        assert domain.lo <= count[0] / divisor <= domain.lo + Decimal("1e-26")
        assert domain.hi >= count[1] / divisor


def test_the_checker_reads_quotients_and_staff_keys_by_their_bounds() -> None:
    """A quotient's band from its least value on is no gap; a key of a count that can be below
    0 leaves the values below 0 to a band."""
    stufen = '  stufen\n    0 "a"\n    1 "b"\n  ende\n'
    quotient = (HEAD + 'eingabe x: zahl von 1 bis 5\npaket p "P"\n' + stufen +
                "  stufe nach korridor 10 / x\n    0: ab 2 bis 5\n    1: über 5 bis 10\n  ende\nende\n")
    teilhabe_rules.loads(quotient, "d.rules")  # (was: „Werte ab 0 unter 2 liegen in keinem Band“)
    keyed = (HEAD + 'eingabe x: zahl Personen von -10 bis 10\npaket p "P"\n' + stufen +
             "  stufe nach korridor 1:10 * x\n    0: ab 0 bis 0.5\n    1: über 0.5\n  ende\nende\n")
    with pytest.raises(CheckError, match="Lücke: Werte ab -1 unter 0 VK"):
        teilhabe_rules.loads(keyed, "d.rules")
    teilhabe_rules.loads(keyed.replace("zahl Personen von -10", "zahl Personen von 0"), "d.rules")


_TEST_OPS = ("=", "<>", "<", "<=", ">", ">=")
_PY_OPS = {"=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _whole(name: str, low: int, high: int) -> c.Ref:
    return c.Ref(name, name, "", c.RefKind.EINGABE,
                 c.ValueType(c.TypeKind.ZAHL, low=Decimal(low), high=Decimal(high), integer=True), NO_SPAN)


def _compare(op: str, left: c.Expr, right: c.Expr) -> c.Compare:
    return c.Compare(op, left, right, c.ValueType(c.TypeKind.JA_NEIN), NO_SPAN)


@given(st.sampled_from(_TEST_OPS), st.integers(-5, 5), st.tuples(st.integers(-5, 5), st.integers(0, 8)),
       st.booleans(), st.booleans(), st.integers(0, 8))
def test_a_branch_of_wenn_narrows_the_domain_of_what_its_test_compares(op: str, bound: int, span: tuple[int, int],
                                                                       whole: bool, mirrored: bool,
                                                                       offset: int) -> None:
    """``facts_of``: in the branch a ``wenn`` takes, the input its test compares with a number
    has a domain holding the input's value — a finite domain and an interval alike, the number
    on either side, ``nicht`` and ``und``/``oder`` of tests."""
    from teilhabe_rules.ir.domains import facts_of

    low, high = span[0], span[0] + span[1]
    x = _whole("x", low, high) if whole else _named("x", Decimal(low), Decimal(high))
    number = c.Const(Decimal(bound), c.NUMBER, NO_SPAN)
    test: c.Expr = _compare(op, number, x) if mirrored else _compare(op, x, number)
    value = low + min(offset, span[1])  # (a value of the input's range)
    holds = _PY_OPS[op](Decimal(bound), value) if mirrored else _PY_OPS[op](value, Decimal(bound))
    tables = _Tables()
    for form, truth in ((test, holds), (c.Unary("nicht", test, test.type, NO_SPAN), not holds)):
        for taken in (True, False):
            if truth != taken:
                continue
            facts = facts_of(form, tables, taken)  # type: ignore[arg-type]
            narrowed = domain_of(x, tables, facts)  # type: ignore[arg-type]
            if narrowed.values is not None:
                assert Decimal(value) in narrowed.values
            else:
                assert (narrowed.lo is None or narrowed.lo <= value) and (narrowed.hi is None or value <= narrowed.hi)
    # ``x = bound und x >= low`` holds only where both do; its ``sonst`` branch narrows nothing
    both = c.Logic("und", test, _compare(">=", x, c.Const(Decimal(low), c.NUMBER, NO_SPAN)), test.type, NO_SPAN)
    assert facts_of(both, tables, False) is None  # type: ignore[arg-type]
    if holds:
        facts = facts_of(both, tables, True)  # type: ignore[arg-type]
        narrowed = domain_of(x, tables, facts)  # type: ignore[arg-type]
        assert narrowed.values is None or Decimal(value) in narrowed.values


def test_a_division_guarded_by_wenn_has_a_bounded_domain() -> None:
    """``wenn x = 0 dann 0 sonst y / x``: the quotient's divisor leaves out 0 in the branch that
    divides, so the value is bounded (before: no bound at all); ``anzahl`` of a list of at least
    one element is at least 1."""
    x, y = _whole("x", 0, 4), _named("y", Decimal(0), Decimal(10))
    zero = c.Const(Decimal(0), c.NUMBER, NO_SPAN)
    guarded = c.Cond(_compare("=", x, zero), zero, c.Arith("/", y, x, c.NUMBER, NO_SPAN), c.NUMBER, NO_SPAN)
    domain = domain_of(guarded, _Tables())  # type: ignore[arg-type]
    assert (domain.lo, domain.hi) == (Decimal(0), Decimal(10))
    unguarded = c.Cond(_compare("=", x, zero), zero, c.Arith("/", y, _named("z", Decimal(0), Decimal(4)), c.NUMBER,
                                                               NO_SPAN), c.NUMBER, NO_SPAN)
    assert domain_of(unguarded, _Tables()).hi is None  # type: ignore[arg-type]
    model = teilhabe_rules.loads(HEAD + 'liste a "A" mindestens 1 höchstens 5\n  eingabe x: zahl\nende\n'
                                 "wert n: ganzzahl = anzahl(a)\nwert m: ganzzahl = anzahl(a wo x > 1)\n", "d.rules")
    from teilhabe_rules.ir.domains import ModelSymbols

    symbols = ModelSymbols(model.checked)
    counts = {node.key: domain_of(node.expr, symbols) for node in model.checked.nodes.values()}
    assert counts["n"].values == frozenset(Decimal(k) for k in range(1, 6))
    assert counts["m"].values == frozenset(Decimal(k) for k in range(0, 6))


_small_sets = st.lists(st.decimals(min_value=Decimal(-20), max_value=Decimal(20), places=1), min_size=1, max_size=4)


@given(_small_sets, _small_sets, _small_sets, st.sampled_from("+-*/"), st.sampled_from("+-*/"))
@example([Decimal(1), Decimal(2)], [Decimal(3)], [Decimal(3)], "/", "*")  # a / 3 * 3: exactly a, not 0.99…9
def test_every_exact_value_lies_in_the_domain_of_a_computed_value(a: list[Decimal], b: list[Decimal],
                                                                  k: list[Decimal], first: str,
                                                                  second: str) -> None:
    """``(a ∘ b) ∘ k`` of inputs with finite domains: the domain holds every exact value, also
    where a value in between is no decimal of 28 digits (a third): a value set holds exact values
    only (before, such a value was kept rounded down and carried on: ``2 − 2/3·3`` had the domain
    {1E-33}, so a division by it was taken for one that cannot divide by zero)."""
    from fractions import Fraction

    def chosen(name: str, values: list[Decimal]) -> c.Ref:
        return c.Ref(name, name, "", c.RefKind.EINGABE,
                     c.ValueType(c.TypeKind.ZAHL, choices=tuple(values)), NO_SPAN)

    inner = c.Arith(first, chosen("a", a), chosen("b", b), c.NUMBER, NO_SPAN)
    outer = c.Arith(second, inner, chosen("k", k), c.NUMBER, NO_SPAN)
    domain = domain_of(outer, _Tables())  # type: ignore[arg-type]
    ops = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y}
    for x in a:
        for y in b:
            for z in k:
                if first == "/" and y == 0:
                    continue
                middle = ops[first](Fraction(x), Fraction(y))
                if second == "/" and middle == 0 or second == "/" and z == 0:
                    continue
                exact = ops[second](middle, Fraction(z))
                if domain.values is not None:
                    assert exact in {Fraction(v) for v in domain.values}, (x, y, z)
                else:
                    assert (domain.lo is None or Fraction(domain.lo) <= exact) and (
                        domain.hi is None or exact <= Fraction(domain.hi)), (x, y, z)


def test_a_test_narrows_by_its_exact_bound_within_snap() -> None:
    """A branch of ``wenn x >= b`` keeps the values within SNAP below ``b`` (the evaluation takes
    a value within SNAP of the bound to be on it); a bound that is no exact decimal (``1/3·3``
    taken with 28 digits) narrows nothing."""
    from teilhabe_rules.ir.domains import facts_of

    x = c.Ref("x", "x", "", c.RefKind.EINGABE, c.ValueType(c.TypeKind.ZAHL, choices=(Decimal(0), Decimal(1))),
               NO_SPAN)
    tiny = c.Const(Decimal("1e-61"), c.NUMBER, NO_SPAN)
    facts = facts_of(_compare(">=", x, tiny), _Tables(), True)  # type: ignore[arg-type]
    assert domain_of(x, _Tables(), facts).values == {Decimal(0), Decimal(1)}  # type: ignore[arg-type]
    assert domain_of(x, _Tables(), facts_of(_compare(">", x, tiny), _Tables(), True)).values == {  # type: ignore[arg-type]
        Decimal(1)}
    third = c.Arith("*", c.Arith("/", c.Const(Decimal(1), c.NUMBER, NO_SPAN), c.Const(Decimal(3), c.NUMBER, NO_SPAN),
                                 c.NUMBER, NO_SPAN), c.Const(Decimal(3), c.NUMBER, NO_SPAN), c.NUMBER, NO_SPAN)
    assert facts_of(_compare("<=", x, third), _Tables(), True) is None  # type: ignore[arg-type]


def _func(name: str, *args: c.Expr) -> c.Func:
    return c.Func(name, tuple(args), c.NUMBER, NO_SPAN)


_SPREADS = {
    "max(x, y) - min(x, y)": lambda x, y: c.Arith("-", _func("max", x, y), _func("min", x, y), c.NUMBER, NO_SPAN),
    "max(y, x) - min(x, y)": lambda x, y: c.Arith("-", _func("max", y, x), _func("min", x, y), c.NUMBER, NO_SPAN),
    "x - min(x, y)": lambda x, y: c.Arith("-", x, _func("min", x, y), c.NUMBER, NO_SPAN),
    "max(x, y) - y": lambda x, y: c.Arith("-", _func("max", x, y), y, c.NUMBER, NO_SPAN),
    "max(x, y) - x": lambda x, y: c.Arith("-", _func("max", x, y), x, c.NUMBER, NO_SPAN),
}


@given(st.sampled_from(sorted(_SPREADS)), _bounds, _bounds, st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)),
                                                                     min_size=1, max_size=5))
def test_a_difference_of_a_maximum_and_a_term_below_it_is_not_negative(form: str, xs: list[Decimal],
                                                                       ys: list[Decimal],
                                                                       points: list[tuple[float, float]]) -> None:
    """``max(x, y) − min(x, y)`` and its kin are at least 0 (before, the interval difference
    reached below 0, so a corridor from 0 on had a gap the model cannot reach), and every value of
    inputs in their ranges lies in the domain."""
    x, y = _named("x", *xs), _named("y", *ys)
    domain = domain_of(_SPREADS[form](x, y), _Tables())  # type: ignore[arg-type]
    assert domain.lo is not None and domain.lo >= 0
    for s, t in points:
        a = xs[0] + (xs[1] - xs[0]) * Decimal(s)
        b = ys[0] + (ys[1] - ys[0]) * Decimal(t)
        value = {"max(x, y) - min(x, y)": max(a, b) - min(a, b), "max(y, x) - min(x, y)": max(a, b) - min(a, b),
                 "x - min(x, y)": a - min(a, b), "max(x, y) - y": max(a, b) - b, "max(x, y) - x": max(a, b) - a}[form]
        assert domain.lo <= value and (domain.hi is None or value <= domain.hi)


def test_a_difference_of_two_other_terms_keeps_its_negative_part() -> None:
    """``max(x, y) − z`` and ``x − y``: nothing is known of their sign."""
    x, y, z = (_named(n, Decimal(0), Decimal(10)) for n in "xyz")
    for expr in (c.Arith("-", _func("max", x, y), z, c.NUMBER, NO_SPAN), c.Arith("-", x, y, c.NUMBER, NO_SPAN),
                 c.Arith("-", _func("min", x, y), _func("max", x, y), c.NUMBER, NO_SPAN)):
        assert domain_of(expr, _Tables()).lo == -10  # type: ignore[arg-type]


@pytest.mark.parametrize("spread", ["max(x, y) - min(x, y)", "x - min(x, y)", "max(l.x) - min(l.x)",
                                    "max(l.x wo x > 1) - min(l.x wo x > 1)"])
def test_a_corridor_over_a_spread_from_0_has_no_gap(spread: str) -> None:
    """A corridor ``ab 0 bis 5`` / ``über 5`` over a difference that is never negative is complete;
    ``über 0`` leaves the value 0 (``x = y``) in no band."""
    inputs = "eingabe x: zahl von 0 bis 10\neingabe y: zahl von 0 bis 10\nliste l mindestens 1\n" \
             "  eingabe x: zahl von 0 bis 10\nende\n"
    teilhabe_rules.loads(_spread_model(inputs, spread, "ab 0"), "spanne.rules")  # no check error
    with pytest.raises(CheckError, match="der Wert 0 liegt in keinem Band"):
        teilhabe_rules.loads(_spread_model(inputs, spread, "über 0"), "spanne.rules")


def _spread_model(inputs: str, spread: str, start: str) -> str:
    """A model with ``inputs``, ``wert d = spread`` and a corridor over ``d`` with bands ``start
    bis 5`` and ``über 5``."""
    return HEAD + inputs + f"""wert d = {spread}
paket p
  stufen
    0 "klein"
    1 "groß"
  ende
  stufe nach korridor d
    0: {start} bis 5
    1: über 5
  ende
ende
"""


@pytest.mark.parametrize("spread", ["max(x, y) - min(x, y)", "x - x", "max(x, 2) - 2"])
def test_a_whole_number_zero_in_no_band_is_named_without_a_sign(spread: str) -> None:
    """Of whole-number inputs the difference's domain is a value set; its 0 (``-0`` in the exact
    context, which rounds toward −∞) is named „0“."""
    text = _spread_model("eingabe x: ganzzahl von 0 bis 10\neingabe y: ganzzahl von 0 bis 10\n", spread, "über 0")
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.loads(text, "ganz.rules")
    (found,) = caught.value.diagnostics
    assert found.message.endswith("deckt mögliche Werte nicht ab: 0") and "-0" not in str(caught.value)
