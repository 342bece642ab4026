"""Large cases evaluate in linear time; deep models compile, or fail located, never crash."""

from __future__ import annotations

import builtins
import inspect
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules import CheckError
from teilhabe_rules.check.checker import check_module
from teilhabe_rules.limits import MAX_DEPTH, MAX_LIST_NESTING
from teilhabe_rules.runtime import compiler
from teilhabe_rules.runtime.backend import CaseInput
from teilhabe_rules.syntax.builder import parse_module

HEAD = 'modell probe "Probe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'

# A small model of residents without „höchstens“: each resident's share of the total, a count
# over all residents and a running value with „vorher“ — aggregates inside list elements.
RESIDENTS = HEAD + """\
parameter satz: EUR/h = 10 EUR/h
liste bewohner
  eingabe stunden: zahl h/Jahr von 0 bis 1000
  wert kosten: EUR/Jahr = stunden * satz
  wert anteil = kosten / summe(bewohner.kosten)
  wert teurere = anzahl(bewohner wo kosten > 5000 EUR/Jahr)
  wert bis_hier: EUR/Jahr = wenn position = 1 dann kosten sonst vorher.kosten + kosten
  liste posten
    eingabe betrag: zahl EUR
    wert anteil_posten = betrag / summe(posten.betrag)
  ende
  wert posten_summe: EUR = summe(posten.betrag)
  prüfung "Bewohner {position}: zu viele Stunden": stunden <= 1000 h/Jahr
ende
wert gesamt: EUR/Jahr = summe(bewohner.kosten)
wert anzahl_bewohner = anzahl(bewohner)
"""


def residents(count: int) -> dict[str, Any]:
    return {"bewohner": [{"stunden": i % 1000 + 1, "posten": [{"betrag": 1}, {"betrag": 3}]}
                         for i in range(count)]}


@pytest.fixture(scope="module")
def model() -> teilhabe_rules.Model:
    return teilhabe_rules.loads(RESIDENTS, "bewohner.rules")


class _CountingSum:
    """``sum`` that counts the elements it adds up (for the program's namespace)."""

    def __init__(self) -> None:
        self.elements = 0

    def __call__(self, items: Any, start: Any = 0) -> Any:
        def counted() -> Iterator[Any]:
            for item in items:
                self.elements += 1
                yield item

        return builtins.sum(counted(), start)


class TestResidents:
    """A case of 10,000 residents; aggregates inside list elements are
    computed once per list, not once per element."""

    def test_ten_thousand_residents(self, model: teilhabe_rules.Model) -> None:
        case = residents(10_000)
        started = time.perf_counter()
        result = model.evaluate(case)
        assert time.perf_counter() - started < 10  # a generous bound; about 0.5 s (was 14 s)
        assert result.value("anzahl_bewohner") == 10_000
        shares = [result.value(("bewohner", i, "anteil")) for i in (1, 5_000, 10_000)]
        total = result.value("gesamt")
        assert shares[0] == Decimal(10) / total  # stunden 1 × 10 EUR/h
        # stunden of the last two residents: 1000 and 999
        assert result.value(("bewohner", 10_000, "bis_hier")) == Decimal(1000 * 10 + 999 * 10)
        assert result.value(("bewohner", 3, "posten", 2, "anteil_posten")) == Decimal("0.75")
        data = result.to_dict()
        assert len(data["ergebnis"]["listen"]["bewohner"]) == 10_000

    def test_explanations_of_many_residents(self, model: teilhabe_rules.Model) -> None:
        result = model.evaluate(residents(1_000), explain=True)
        explanations = result.explanations()
        assert len(explanations) > 1_000
        assert "summe(bewohner.kosten)" in explanations["bewohner[7].anteil"].text

    @pytest.mark.parametrize("count", [10, 1_000])
    def test_work_does_not_grow_with_the_square(
        self, model: teilhabe_rules.Model, count: int
    ) -> None:
        counting = _CountingSum()
        backend = compiler.PythonBackend(model.checked)  # its first evaluation runs the general program
        backend.program.run.__globals__["sum"] = counting
        backend.evaluate(CaseInput(model.load_case(residents(count)).row, model.parameters, model.tables))
        # all residents for gesamt, anzahl_bewohner and the sum in anteil (kept), those counted
        # by teurere (kept), and per resident its two items twice (anteil_posten, kept per
        # resident, and posten_summe) — computed per resident, the sums would add count²
        counted = sum(1 for i in range(count) if (i % 1000 + 1) * 10 > 5000)
        assert counting.elements == 3 * count + counted + 2 * 2 * count

    def test_many_failures_are_each_reported(self) -> None:
        text = RESIDENTS.replace("<= 1000 h/Jahr", "<= 0 h/Jahr")
        strict = teilhabe_rules.loads(text, "streng.rules")
        with pytest.raises(teilhabe_rules.CaseError) as raised:
            strict.evaluate(residents(2_000))
        assert len(raised.value.diagnostics) == 2_000
        assert raised.value.diagnostics[-1].path == "$.bewohner[2000]"

    def test_kept_aggregates_give_what_fresh_ones_give(self, model: teilhabe_rules.Model) -> None:
        case = residents(7)
        case["bewohner"][2]["posten"] = [{"betrag": 5}]
        result = model.evaluate(case)
        for i in range(1, 8):
            resident = case["bewohner"][i - 1]
            items = [p["betrag"] for p in resident["posten"]]
            assert result.value(("bewohner", i, "posten_summe")) == sum(items)
            share = result.value(("bewohner", i, "posten", 1, "anteil_posten"))
            assert share == Decimal(items[0]) / sum(items)
        expensive = sum(1 for r in case["bewohner"] if r["stunden"] * 10 > 5000)
        assert result.value(("bewohner", 2, "teurere")) == expensive


class TestDeepModels:
    """Models within the parser's limits check, compile and evaluate; what Python itself cannot
    compile is a located CheckError; generating code stays linear in the nesting."""

    def test_nested_calls_are_generated_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls = []
        original = compiler._Gen._e_Ref
        monkeypatch.setattr(
            compiler._Gen, "_e_Ref", lambda self, ir: calls.append(1) or original(self, ir)
        )
        depth = 40
        rule = "wert x = " + "max(" * depth + "a" + ", 1)" * depth + "\n"
        model = teilhabe_rules.loads(HEAD + "eingabe a: zahl\n" + rule)
        assert len(calls) == 1  # was 2 ** 40: each level generated its arguments twice
        assert model.evaluate({"a": 3}).value("x") == 3

    def test_deeply_nested_aggregates_compile(self) -> None:
        depth = (MAX_DEPTH - 2) // 2
        rule = "wert x = " + "summe(l.y wo y < " * depth + "5" + ")" * depth + "\n"
        # was: SyntaxError „too many nested parentheses“
        text = HEAD + "liste l\n  eingabe y: zahl\nende\n" + rule
        model = teilhabe_rules.loads(text, "tief.rules")
        assert model.evaluate({"l": [{"y": 1}, {"y": 2}, {"y": 9}]}).value("x") == 3

    def test_code_python_cannot_compile_is_a_located_check_error(self) -> None:
        depth = 70  # „vorher“ keeps an aggregate inline: its parentheses nest
        rule = "wert x = " + "summe(l.y wo vorher.y < " * depth + "1" + ")" * depth + "\n"
        text = HEAD + "liste l\n  eingabe y: zahl\nende\n" + rule
        with pytest.raises(CheckError) as raised:
            teilhabe_rules.loads(text, "tief.rules")
        diagnostic = raised.value.diagnostics[0]
        assert diagnostic.message == "Diese Regel ist zu tief verschachtelt, um sie zu übersetzen"
        assert diagnostic.location is not None
        assert (diagnostic.location.file, diagnostic.location.line) == ("tief.rules", 8)
        assert (diagnostic.source_line or "").startswith("wert x = summe(")
        assert diagnostic.code == "grenze" and diagnostic.hint

    def test_lists_nest_at_most_the_limit(self) -> None:
        def nested(levels: int) -> str:
            opening = "".join(
                f"{'  ' * i}liste l{i}\n{'  ' * i}  eingabe x{i}: zahl\n" for i in range(levels)
            )
            return HEAD + opening + "".join("  " * i + "ende\n" for i in reversed(range(levels)))

        teilhabe_rules.loads(nested(MAX_LIST_NESTING))
        with pytest.raises(CheckError, match=f"höchstens {MAX_LIST_NESTING} Ebenen") as raised:
            # was: SyntaxError „too many statically nested blocks“
            teilhabe_rules.loads(nested(25), "listen.rules")
        location = raised.value.diagnostics[0].location
        assert location is not None and location.line == 4 + 2 * MAX_LIST_NESTING + 1

    @pytest.mark.parametrize(
        "body",
        [
            "eingabe a: zahl\nwert x = " + "-" * (MAX_DEPTH - 5) + "a\n",
            "eingabe a: zahl\nwert x = a" + " + a" * (MAX_DEPTH - 5) + "\n",
            "eingabe a: ja_nein\nwert x = a" + " und a" * (MAX_DEPTH - 5) + "\n",
            "eingabe a: zahl\nwert x = " + "max(" * 99 + "a" + ", 1)" * 99 + "\n",
            "eingabe a: zahl\nwert x = "
            + "wenn a > 1 dann 1 sonst " * (MAX_DEPTH // 2 - 3) + "2\n",
        ],
        ids=["minus", "summe", "und", "aufrufe", "wenn"],
    )
    def test_the_deepest_rules_need_a_bounded_stack(self, body: str) -> None:
        """Checking, compiling, evaluating and explaining the deepest rules the parser accepts
        fit in 700 frames above the caller (Python allows 1,000 in all)."""
        case = {"a": True} if "ja_nein" in body else {"a": 2}
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(len(inspect.stack(0)) + 700)
        try:
            model = teilhabe_rules.loads(HEAD + body, "tief.rules")
            result = model.evaluate(case, explain=True)
            result.to_dict()
            result.render_text(explain=True)
        finally:
            sys.setrecursionlimit(old)

    def test_too_little_stack_is_a_library_error(self) -> None:
        """Should the caller's own stack be nearly used up, a deep rule is a located library
        error, never a RecursionError (the lark path's transformer, the checker)."""
        deep = "eingabe a: zahl\nwert x = a" + " + a" * (MAX_DEPTH - 5) + "\n"
        # a wrong date at the end sends the text down the lark path; lark builds parts of its
        # lexer on first use, which must not happen on a stack this short
        wrong_date = HEAD + deep + "wert d = 31.02.2024\n"
        with pytest.raises(teilhabe_rules.RuleSyntaxError, match="kein gültiges Datum"):
            parse_module(wrong_date, "stapel.rules")
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(len(inspect.stack(0)) + 120)
        try:
            with pytest.raises(teilhabe_rules.RuleSyntaxError, match="Stapelspeicher"):
                parse_module(wrong_date, "stapel.rules")
            module = parse_module(HEAD + deep, "stapel.rules")
            with pytest.raises(CheckError, match="zu tief verschachtelt, um es zu prüfen"):
                check_module(module, HEAD + deep)
        finally:
            sys.setrecursionlimit(old)
