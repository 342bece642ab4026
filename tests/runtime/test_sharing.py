"""Models and results handed to other processes (pickle) and shared between threads.

A :class:`~teilhabe_rules.model.Model` pickles as its checked model and path and is compiled anew
when unpickled; a :class:`~teilhabe_rules.runtime.results.Result` pickles with its model and values. Both
come back equal, in this process and from a process pool. A model loaded once serves many
threads at a time and gives them what it gives one caller after another, explanations included.
"""

from __future__ import annotations

import ast as pyast
import concurrent.futures
import copy
import datetime as _dt
import multiprocessing
import pickle
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest

import teilhabe_rules
from teilhabe_rules.inputs.agreements import Agreement
from teilhabe_rules.ir import serial
from teilhabe_rules.model import Model
from teilhabe_rules.registry import bundled_models
from teilhabe_rules.runtime.results import Result

ROOT = Path(__file__).resolve().parents[2]
NAMES = [model.name for model in bundled_models()]
T = TypeVar("T")

# Parameters with values per period: the values per reference date are built on first use.
DATED = """modell zeit "Zeit"
  gültig ab 01.01.2024
ende
parameter satz: EUR/h = 10 EUR/h
  ab 01.01.2025 = 11 EUR/h
  ab 01.01.2026 = 12 EUR/h bis 31.12.2026
eingabe stunden: zahl h
wert kosten: EUR = stunden * satz
"""
DATED_DAYS = [_dt.date(2024, 3, 1), _dt.date(2025, 3, 1), _dt.date(2026, 3, 1)]


@attrs.frozen
class Call:
    """One evaluation: a case with its agreement and date."""

    name: str
    case: Any
    agreement: Agreement | None
    at: _dt.date | None

    def run(self, model: Model) -> Result:
        return model.evaluate(copy.deepcopy(self.case), self.agreement, explain=True, at=self.at)


def fresh(name: str) -> Model:
    """A bundled model loaded anew: nothing of it built on first use is built yet."""
    bundled = teilhabe_rules.bundled(name)
    return Model(bundled.checked, bundled.path)


def example_calls(model: Model) -> list[Call]:
    """Every example of ``model`` that evaluates (those expecting an error left out)."""
    calls = []
    for example in model.checked.examples:
        if example.expected_errors:
            continue
        agreement = None
        if example.agreement:
            values = {name: value if isinstance(value, (str, bool)) else str(value)
                      for name, value, _ in example.agreement}
            agreement = model.load_agreement({"parameter": values})
        calls.append(Call(example.id, example.case, agreement, example.at))
    assert calls, f"{model.name}: no example evaluates"
    return calls


def views(result: Result) -> tuple[Any, ...]:
    """Everything a caller can read of a result, explanations included."""
    return result.to_dict(), result.explanations(), result.render_text(explain=True), result.warnings


def roundtrip(value: T) -> T:
    restored: T = pickle.loads(pickle.dumps(value))
    return restored


# ---- pickling --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_a_model_pickles_as_its_checked_model_and_is_compiled_anew(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    restored = roundtrip(model)
    assert restored == model and hash(restored) == hash(model)
    assert restored is not model and restored.program is not model.program
    assert restored.path == model.path
    # the checked model comes back whole, field for field (its == compares only some fields)
    assert serial.encode_model(restored.checked) == serial.encode_model(model.checked)
    assert restored.program.source == model.program.source


def test_model_equality_means_the_same_checked_model() -> None:
    mawo = teilhabe_rules.bundled("mawo")
    text = mawo.checked.source
    assert teilhabe_rules.loads(text, "a.rules") == teilhabe_rules.loads(text, "a.rules")
    assert teilhabe_rules.loads(text, "a.rules") != teilhabe_rules.loads(text, "b.rules")  # another file
    assert Model(mawo.checked) != mawo  # no path
    edited = text.replace("wert ", "wert  ", 1)
    assert teilhabe_rules.loads(edited, "a.rules") != teilhabe_rules.loads(text, "a.rules")
    assert mawo != teilhabe_rules.bundled("mawo_2025")
    assert (mawo == object()) is False


@pytest.mark.parametrize("name", NAMES)
def test_results_pickle_with_their_model_and_values(name: str) -> None:
    model = teilhabe_rules.bundled(name)
    for number, call in enumerate(example_calls(model)):
        result = call.run(model)
        restored = roundtrip(result)  # before its views are built
        assert restored == result, call.name
        assert views(restored) == views(result), call.name
        assert restored.checked is not result.checked
        if number == 0:  # and after
            assert views(roundtrip(result)) == views(result)


def test_results_with_dated_parameters_pickle() -> None:
    model = teilhabe_rules.loads(DATED, "zeit.rules")
    results = [model.evaluate({"stunden": 3}, at=day, explain=True) for day in DATED_DAYS]
    assert [r.value("kosten") for r in results] == [30, 33, 36]
    assert [views(roundtrip(r)) for r in results] == [views(r) for r in results]


def test_unequal_results_stay_unequal() -> None:
    model = teilhabe_rules.loads(DATED, "zeit.rules")
    first, second = (model.evaluate({"stunden": 3}, at=day) for day in DATED_DAYS[:2])
    assert first != second and roundtrip(first) != second


def raised(call: Callable[[], object]) -> teilhabe_rules.TeilhabeError:
    with pytest.raises(teilhabe_rules.TeilhabeError) as info:
        call()
    return info.value


def library_errors(folder: Path) -> list[teilhabe_rules.TeilhabeError]:
    """One error of each kind the API raises, among them the subclasses with constructors of
    their own (a case file that was read but does not fit: its document comes with it)."""
    from teilhabe_rules.tools.export import format_of

    model = teilhabe_rules.loads(DATED, "zeit.rules")
    (folder / "fall.json").write_text('{\n  "stunden": true\n}', encoding="utf-8")
    (folder / "kaputt.toml").write_text("stunden = [", encoding="utf-8")
    return [
        raised(lambda: model.evaluate(str(folder / "fall.json"))),
        raised(lambda: model.evaluate({"stunden": "viel"})),
        raised(lambda: model.evaluate(str(folder / "kaputt.toml"))),
        raised(lambda: model.evaluate({"stunden": 1}, at=_dt.date(2023, 1, 1))),
        raised(lambda: model.evaluate({"stunden": 1}, {"parameter": {"satz": "viel"}})),
        raised(lambda: teilhabe_rules.loads("modell x\n", "x.rules")),
        raised(lambda: format_of("aus.txt", None)),
    ]


def test_errors_pickle_and_copy_whole(tmp_path: Path) -> None:
    """Every error of the library, whatever its class's constructor takes, comes back from pickle
    and from a copy as the same class with the same diagnostics and message."""
    errors = library_errors(tmp_path)
    assert {type(error).__name__ for error in errors} >= {"CaseDocumentError", "FormatError"}
    for error in errors:
        for restored in (roundtrip(error), copy.deepcopy(error), copy.copy(error)):
            assert type(restored) is type(error)
            assert restored.diagnostics == error.diagnostics
            assert restored.to_dict() == error.to_dict() and str(restored) == str(error)


@pytest.fixture(scope="module")
def pool() -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """Two worker processes started afresh ("spawn"): everything they get comes by pickle."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
        yield executor


@pytest.mark.parametrize("name", NAMES)
def test_evaluated_in_a_process_pool(name: str, pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """A model handed to a worker process evaluates there; the result comes back equal to the
    one evaluated here, explanations included."""
    model = teilhabe_rules.bundled(name)
    calls = example_calls(model)
    chosen = [calls[0], *[call for call in calls if call.agreement is not None][:1]]
    futures = [pool.submit(model.evaluate, copy.deepcopy(call.case), call.agreement, explain=True, at=call.at)
               for call in chosen]
    for call, future in zip(chosen, futures, strict=True):
        result = future.result(timeout=120)
        assert isinstance(result, Result)
        expected = call.run(model)
        assert result == expected, call.name
        assert views(result) == views(expected), call.name


def test_a_case_error_comes_back_from_a_process_pool(tmp_path: Path,
                                                      pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """A case file that does not fit, evaluated in a worker process, raises there the error it
    raises here — located at its key — and the pool stays usable."""
    (tmp_path / "fall.json").write_text('{\n  "stunden": true\n}', encoding="utf-8")
    model = teilhabe_rules.loads(DATED, "zeit.rules")
    expected = raised(lambda: model.evaluate(str(tmp_path / "fall.json")))
    future = pool.submit(model.evaluate, str(tmp_path / "fall.json"))
    with pytest.raises(teilhabe_rules.CaseError) as info:
        future.result(timeout=120)
    assert type(info.value) is type(expected) and info.value.to_dict() == expected.to_dict()
    assert info.value.to_dict()["meldungen"][0]["zeile"] == 2
    assert pool.submit(model.evaluate, {"stunden": 2}, at=DATED_DAYS[0]).result(timeout=120).value("kosten") == 20


def test_the_cache_never_uses_pickle() -> None:
    """Pickle is for handing objects to process pools; no module of the package imports it (or
    another format whose loading runs code)."""
    forbidden = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
    found = []
    for path in sorted((ROOT / "src/teilhabe_rules").rglob("*.py")):
        for node in pyast.walk(pyast.parse(path.read_text("utf-8"))):
            names: list[str] = []
            if isinstance(node, pyast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, pyast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in forbidden]
    assert found == []


# ---- threads ----------------------------------------------------------------------------------

THREADS = 8


@pytest.fixture()
def tight_switching() -> Iterator[None]:
    """Threads switch as often as the interpreter allows, to bring races about."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def in_threads(work: Callable[[int], T]) -> list[T]:
    """``work(k)`` for k = 0 … 7, each in its own thread, all started at once."""
    barrier = threading.Barrier(THREADS)

    def run(k: int) -> T:
        barrier.wait()
        return work(k)

    with concurrent.futures.ThreadPoolExecutor(max_workers=THREADS) as executor:
        return list(executor.map(run, range(THREADS)))


@pytest.mark.usefixtures("tight_switching")
@pytest.mark.parametrize("name", NAMES)
def test_one_model_serves_eight_threads(name: str) -> None:
    """Eight threads evaluate the example cases on one shared model, loaded afresh (so that the
    threads build its case loader and explanation plan at once), each half of them in an order
    of its own (every case in four threads); each gets what evaluating one after another gives."""
    calls = example_calls(teilhabe_rules.bundled(name))
    sequential = fresh(name)
    expected = [views(call.run(sequential)) for call in calls]
    shared = fresh(name)

    def work(k: int) -> tuple[dict[int, tuple[Any, ...]], Any, Any]:
        built = (shared.loader, shared.explanation_plan)
        order = list(range(len(calls)))
        order = [i for i in order[k * len(order) // THREADS:] + order[: k * len(order) // THREADS] if i % 2 == k % 2]
        got: dict[int, tuple[Any, ...]] = {}
        for index in order:
            got[index] = views(calls[index].run(shared))
        return got, *built

    outcomes = in_threads(work)
    for k, (got, _, _) in enumerate(outcomes):
        assert sorted(got) == list(range(k % 2, len(calls), 2))
        assert all(got[index] == expected[index] for index in got)
    assert len({id(loader) for _, loader, _ in outcomes}) == 1, "the case loader is built once"
    assert len({id(plan) for _, _, plan in outcomes}) == 1, "the explanation plan is built once"
    assert shared.loader is outcomes[0][1] and shared.explanation_plan is outcomes[0][2]


@pytest.mark.usefixtures("tight_switching")
def test_shared_results_give_every_thread_the_same_views() -> None:
    """Results read by eight threads at once: each view is built from the one result; every
    thread gets the same tree of results, and equal copies of the JSON form and the
    explanations (each caller's own to change)."""
    model = fresh("mawo")
    calls = example_calls(teilhabe_rules.bundled("mawo"))[:12]
    expected = [views(call.run(fresh("mawo"))) for call in calls]
    results = [call.run(model) for call in calls]

    def work(k: int) -> list[tuple[Any, ...]]:
        return [(r.root, r.explanations(), r.to_dict(), views(r)) for r in results]

    outcomes = in_threads(work)
    for number, result in enumerate(results):
        seen = [outcome[number] for outcome in outcomes]
        assert len({id(views_of[0]) for views_of in seen}) == 1
        for position in (1, 2):
            assert all(views_of[position] == seen[0][position] for views_of in seen)
            assert len({id(views_of[position]) for views_of in seen}) == len(seen)
        assert all(views_of[3] == expected[number] for views_of in seen)
        assert seen[0][2] == result.to_dict() and seen[0][2] is not result.to_dict()


@pytest.mark.usefixtures("tight_switching")
def test_parameters_per_period_in_threads() -> None:
    model = teilhabe_rules.loads(DATED, "zeit.rules")
    sequential = teilhabe_rules.loads(DATED, "zeit.rules")
    expected = [views(sequential.evaluate({"stunden": h}, at=day, explain=True)) for day in DATED_DAYS for h in (1, 7)]

    def work(k: int) -> tuple[list[tuple[Any, ...]], list[int]]:
        got = [views(model.evaluate({"stunden": h}, at=day, explain=True)) for day in DATED_DAYS for h in (1, 7)]
        return got, [id(model.parameters_on(day)) for day in DATED_DAYS]

    outcomes = in_threads(work)
    assert all(got == expected for got, _ in outcomes)
    assert len({tuple(ids) for _, ids in outcomes}) == 1, "one dict of values per period"


@pytest.mark.usefixtures("tight_switching")
def test_example_coverage_in_threads() -> None:
    """The example coverage report of one shared model, made by eight threads at once, is the one
    made alone (each report notes its table lookups apart)."""
    from teilhabe_rules.tools.example_coverage import example_coverage

    shared = fresh("mawo")
    expected = example_coverage(shared).to_dict()  # one report first: whatever it leaves is shared
    reports = in_threads(lambda k: example_coverage(shared).to_dict())
    assert all(report == expected for report in reports)
