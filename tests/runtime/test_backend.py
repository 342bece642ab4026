"""The backend interface and the typed frame: what an evaluation gives, as records."""

from __future__ import annotations

import pickle
from decimal import Decimal
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.ir.checked import CorridorLevelNode
from teilhabe_rules.runtime.backend import Backend, CaseInput, Evaluation
from teilhabe_rules.runtime.compiler import PythonBackend
from teilhabe_rules.runtime.faults import FaultKind
from teilhabe_rules.runtime.frame import Element, Frame

ROOT = Path(__file__).resolve().parents[2]

SMALL = """
modell klein "Klein"
  version "1"
  gültig ab 01.01.2024
ende
tabelle satz "Satz je Art": text -> zahl EUR/h teilweise
  "gruppe": 40 EUR/h
ende
liste massnahmen
  eingabe art: text
  eingabe stunden: zahl h/Jahr von 0 bis 2000
  wert kosten: EUR/Jahr = stunden * satz[art]
  prüfung "Maßnahme {position}: {stunden} sind zu viele": stunden <= 1000 h/Jahr
  warnung "Maßnahme {position} hat keine Stunden": stunden > 0 h/Jahr
ende
wert gesamt: EUR/Jahr = summe(massnahmen.kosten)
"""


@pytest.fixture(scope="module")
def small() -> teilhabe_rules.Model:
    return teilhabe_rules.loads(SMALL, "klein.rules")


def case_input(model: teilhabe_rules.Model, *measures: tuple[str, int]) -> CaseInput:
    loaded = model.load_case({"massnahmen": [{"art": art, "stunden": hours} for art, hours in measures]})
    return CaseInput(loaded.row, model.parameters, model.tables)


def test_the_python_backend_is_a_backend(small: teilhabe_rules.Model) -> None:
    backend: Backend = PythonBackend(small.checked)
    outcome = backend.evaluate(case_input(small, ("gruppe", 10), ("gruppe", 0)))
    assert outcome.ok and outcome.frame is not None
    assert outcome.frame.value("gesamt") == Decimal(400)
    assert outcome.frame.column("massnahmen", "kosten") == (Decimal(400), Decimal(0))
    # the warning is a record: the node, the element, the values of its message
    (warning,) = outcome.warnings
    assert small.checked.nodes[warning.node].kind == "warnung"
    assert warning.indexes == (1,) and warning.values == (Decimal(2),)


def test_failed_checks_and_faults_are_records_not_text(small: teilhabe_rules.Model) -> None:
    backend = PythonBackend(small.checked)
    failed = backend.evaluate(case_input(small, ("gruppe", 1500)))
    assert failed.frame is None and failed.fault is None
    (check,) = failed.failures
    assert small.checked.nodes[check.node].kind == "prüfung"
    assert check.indexes == (0,) and check.values == (Decimal(1), Decimal(1500))
    missed = backend.evaluate(case_input(small, ("einzel", 10)))
    assert missed.frame is None and missed.fault is not None
    assert missed.fault.fault.kind is FaultKind.TABLE_MISS and missed.fault.fault.table == "satz"
    assert missed.fault.node is not None and small.checked.nodes[missed.fault.node].key == "kosten"
    assert missed.fault.indexes[0] == 0


def test_a_run_never_stops_at_a_failed_case(small: teilhabe_rules.Model) -> None:
    backend = PythonBackend(small.checked)
    cases = [case_input(small, ("gruppe", 10)), case_input(small, ("einzel", 1)), case_input(small, ("gruppe", 20))]
    outcomes = list(backend.run(cases))
    assert [o.ok for o in outcomes] == [True, False, True]
    assert all(isinstance(o, Evaluation) for o in outcomes)


@pytest.mark.parametrize("name", ["person_grundfall.toml", "haus_linde.toml", "person_bewilligte_stufe_ilb4.toml"])
def test_the_frame_of_a_bundled_example_agrees_with_its_result(name: str) -> None:
    model = teilhabe_rules.bundled("mawo")
    result = model.evaluate(ROOT / "examples" / "mawo" / name)
    frame = result.frame
    checked = model.checked
    elements = list(frame.elements())
    assert elements[0].path == "$" and all(isinstance(e, Element) for e in elements)
    for element in elements:
        prefix = element.path[2:] + "." if element.path != "$" else ""
        for key, value in element.items():
            assert result.value(prefix + key) == value
        for pid in checked.scopes[element.scope].packages:
            package = checked.packages[pid]
            levels = element.levels(package.name)
            if package.level_type is None:
                continue
            assert levels.effective == result.value(prefix + f"{package.name}.stufe")
            assert levels.effective == (levels.granted if levels.granted is not None else levels.computed)
        for node in checked.nodes.values():
            if node.scope == element.scope and isinstance(node, CorridorLevelNode) and node.bands:
                assert isinstance(element.corridor_quantity(node), Decimal)


@pytest.mark.parametrize("name", ["haus_linde.toml", "person_bewilligte_stufe_ilb4.toml"])
def test_values_and_columns_read_many_symbols_as_value_and_column_read_each(name: str) -> None:
    """``Frame.values`` and ``Frame.columns`` give what ``value`` and ``column`` give for each
    symbol, in the order asked — nested lists flattened, None where an element has no value."""
    model = teilhabe_rules.bundled("mawo")
    frame = model.evaluate(ROOT / "examples" / "mawo" / name).frame
    checked = model.checked
    top = [node.key for node in checked.nodes.values() if not node.scope and node.key in frame.root]
    assert len(top) > 10
    assert frame.values(top) == tuple(frame.value(key) for key in top)
    assert frame.values(list(reversed(top))) == tuple(frame.value(key) for key in reversed(top))
    with pytest.raises(KeyError):
        frame.values([top[0], "kein_wert"])
    for sid in checked.scopes:
        if not sid:
            continue
        keys = [node.key for node in checked.nodes.values() if node.scope == sid][:12] + ["kein_wert"]
        assert frame.columns(sid, keys) == tuple(frame.column(sid, key) for key in keys)
        assert frame.columns(sid, []) == ()


def test_a_frame_pickles_to_an_equal_frame() -> None:
    model = teilhabe_rules.bundled("mawo")
    frame = model.evaluate(ROOT / "examples" / "mawo" / "haus_linde.toml").frame
    back = pickle.loads(pickle.dumps(frame))
    assert isinstance(back, Frame) and back == frame
    assert back.column("bewohner", "lp2a.stufe") == frame.column("bewohner", "lp2a.stufe")


def test_an_element_is_a_read_only_mapping_of_values(small: teilhabe_rules.Model) -> None:
    frame = small.evaluate({"massnahmen": [{"art": "gruppe", "stunden": 5}]}).frame
    root = frame.root
    assert "massnahmen" not in root  # a list is no value; its elements are children
    (measure,) = root.children("massnahmen")
    assert [e.path for e in measure.chain()] == ["$", "$.massnahmen[1]"]
    assert dict(measure) == {"art": "gruppe", "stunden": Decimal(5), "kosten": Decimal(200)}
    with pytest.raises(TypeError):
        measure["kosten"] = Decimal(0)  # type: ignore[index]
    with pytest.raises(KeyError):
        measure.children("massnahmen")  # no list of a measure
