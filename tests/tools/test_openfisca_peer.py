"""The OpenFisca peer of the columnar benchmark (``benchmarks/peers/``) computes the MAWo person's formulas:
its figures equal the hand-written Decimal function's within float tolerance."""

from __future__ import annotations

import copy
import decimal
import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules.ir.checked import DECIMAL_CONTEXT
from teilhabe_rules.tools.strategies import valid_cases

numpy = pytest.importorskip("numpy")
pytest.importorskip("openfisca_core")

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PEER = _load(BENCHMARKS / "peers" / "openfisca_mawo.py")
HAND = _load(BENCHMARKS / "mawo_hand.py")
COLUMNAR = _load(BENCHMARKS / "bench_columnar.py")
MAWO = teilhabe_rules.bundled("mawo")
AGREEMENT = MAWO.load_agreement(ROOT / "examples" / "mawo" / "vereinbarung_haus_linde.toml")
SLOTS = 20  # the most ILB 4 measures the model allows a person
SYSTEM64 = PEER.mawo_system(MAWO, SLOTS, dtype=numpy.float64)


def slips(parameters: Mapping[str, Any]) -> dict[str, float]:
    """How far a figure may move when a rounding to the cent above it meets an exact half cent, which
    a float lands beside: one cent for a rounded figure, carried into the figures computed from it."""
    cent = 0.01
    year = float(parameters["berechnungstage"]) * cent + cent  # tagessatz × Berechnungstage + ILB-4-Budget
    care = year * float(parameters["pflegekasse_anteil"]) + cent
    return {"tagessatz": cent, "ilb4_budget": cent, "ilb4_betrag_ungeplant": cent, "budget_jahr": cent,
            "budget_tag": cent / 365, "jahresbetrag": year, "erloes_jahr": year, "pflegekasse_43a": care,
            "nettobetrag_jahr": year + care}


def hand(row: Mapping[str, Any], source: Any) -> dict[str, Any] | None:
    """The hand-written function's figures (None where the model rejects the case)."""
    try:
        with decimal.localcontext(DECIMAL_CONTEXT):
            figures: dict[str, Any] = HAND.mawo_person(row, source.parameters, source.tables)
    except (ValueError, KeyError):
        return None
    return figures


def slipped(figures: Mapping[str, Any], index: int, expected: Mapping[str, Any], parameters: Mapping[str, Any],
            relative: float) -> bool:
    """Asserts the person ``index`` of the simulation's ``figures`` against the exact ones: the levels
    equal, every other figure within ``relative`` — or, for a figure computed from a rounded one,
    within that rounding's slip. True where a slip was needed."""
    allowed = slips(parameters)
    needed = False
    for name, key in PEER.FIGURES.items():
        value, exact = figures[name][index], expected[key]
        if name in PEER.LEVELS:
            assert int(value) == int(exact), (index, name)
            continue
        error = abs(float(value) - float(exact))
        if error <= relative * max(1.0, abs(float(exact))):
            continue
        assert error <= allowed.get(name, 0.0) + relative * max(1.0, abs(float(exact))), (index, name, value, exact)
        needed = True
    return needed


def pool(count: int, seed: int) -> list[Any]:
    """Loaded one-resident offers of the benchmark's generated pool."""
    return [MAWO.load_case(case).row for case in COLUMNAR.persons(MAWO, count, seed)]


ROWS = pool(150, 7)


@pytest.mark.parametrize("agreed", [False, True], ids=["modell", "vereinbarung"])
def test_float64_figures_equal_the_hand_written_ones(agreed: bool) -> None:
    source = AGREEMENT if agreed else MAWO
    system = PEER.mawo_system(MAWO, SLOTS, AGREEMENT if agreed else None, dtype=numpy.float64)
    figures = PEER.simulate(system, PEER.inputs(ROWS, SLOTS, numpy.float64), len(ROWS))
    compared = slipped_persons = 0
    for index, row in enumerate(ROWS):
        expected = hand(row, source)
        if expected is None:
            continue
        compared += 1
        slipped_persons += slipped(figures, index, expected, source.parameters, 1e-12)
    assert compared >= 140
    assert slipped_persons <= compared // 20  # exact half cents are rare


def test_float32_is_the_default_and_close() -> None:
    """OpenFisca's default number type: the unrounded figures within float32's precision."""
    system = PEER.mawo_system(MAWO, SLOTS)
    figures = PEER.simulate(system, PEER.inputs(ROWS, SLOTS), len(ROWS))
    assert figures["tagessatz_ungerundet"].dtype == numpy.float32
    assert figures["lp2a_stufe"].dtype == numpy.int32
    unrounded = ("lp0_vk", "lp1b_vk", "vk_individuell", "personalkosten_jahr", "platzkosten_jahr",
                 "tagessatz_ungerundet", "vk_gesamt", "personalkosten_gesamt_jahr", "tagessatz_durchschnitt")
    for index, row in enumerate(ROWS):
        expected = hand(row, MAWO)
        assert expected is not None
        for name in unrounded:
            assert float(figures[name][index]) == pytest.approx(float(expected[PEER.FIGURES[name]]), rel=2e-6), name


@settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck))
@given(case=valid_cases(MAWO), which=st.integers(0, 3))
def test_generated_persons(case: dict[str, Any], which: int) -> None:
    case = copy.deepcopy(case)
    case["bewohner"] = [case["bewohner"][which % len(case["bewohner"])]]
    row = MAWO.load_case(case).row
    expected = hand(row, MAWO)
    if expected is None:
        return
    figures = PEER.simulate(SYSTEM64, PEER.inputs([row], SLOTS, numpy.float64), 1)
    slipped(figures, 0, expected, MAWO.parameters, 1e-12)


def test_benchmark_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """``bench_openfisca.peer_lines``: OpenFisca's rate and the persons off by a cent, float32 and
    float64, the ratio to the columnar rate, and the rate of the plan computing only the figures
    OpenFisca computes — values of the model, each of them."""
    for folder in (BENCHMARKS, BENCHMARKS / "peers"):
        monkeypatch.syspath_prepend(str(folder))
    before = set(sys.modules)
    try:
        bench = _load(BENCHMARKS / "peers" / "bench_openfisca.py")
        lines = bench.peer_lines(MAWO, COLUMNAR.persons(MAWO, 40, 3), 400, 1234.0)
        same = bench.same_figures()
    finally:
        for name in set(sys.modules) - before:
            if name in ("mawo_hand", "openfisca_mawo", "bench_columnar"):
                del sys.modules[name]
    assert len(lines) == 4
    assert lines[0].startswith("OpenFisca (float32, Standard): 400 Personen in ")
    assert "von 400 Personen" in lines[0]
    assert lines[1].startswith("OpenFisca (float64): 400 Personen in ")
    assert lines[2].startswith("Spaltenplan ÷ OpenFisca (float32): 1,234 ÷ ")
    assert lines[3].startswith(f"  der Spaltenplan nur mit den {len(PEER.FIGURES)} Zahlen, die OpenFisca rechnet: ")
    assert "; Boden: dieselben Ergebnistabellen nur kopiert " in lines[3]
    values = {(node.scope, node.key) for node in MAWO.checked.nodes.values()}
    assert len(same) == len(PEER.FIGURES) and same <= values
