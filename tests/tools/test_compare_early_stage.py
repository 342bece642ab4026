"""The comparison that stages a population before its figures are chosen: the bar, the stage's
lifetime and the scalar paths around it."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules import TeilhabeError
from teilhabe_rules.tools import compare as compare_module
from teilhabe_rules.tools.compare import compare
from teilhabe_rules.tools.progress import ProgressBar
from tests.tools.test_compare import jsonl, persons
from tests.tools.test_compare_columnar import counted_stages


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def mawo(name: str = "mawo") -> teilhabe_rules.Model:
    return teilhabe_rules.bundled(name)


class TestTheBar:
    def test_a_wrong_argument_fails_before_the_bar_and_the_stage(self, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        """A value that is not there (``--werte`` mistyped) fails before anything is drawn or staged:
        the default backend of a JSON Lines file is the columnar one."""
        from teilhabe_rules.columnar import batch

        staged: list[Path] = []
        original = batch.stage_shared
        monkeypatch.setattr(batch, "stage_shared", lambda plan, model, path, at, **options: staged.append(
            path) or original(plan, model, path, at, **options))
        population = jsonl(tmp_path / "personen.jsonl", persons(3))
        terminal = Terminal()
        with pytest.raises(TeilhabeError):
            compare(mawo(), mawo("mawo_2025"), population, values=["gibtsnicht"], progress=terminal)
        assert (terminal.getvalue(), staged) == ("", [])

    def test_a_missing_population_fails_before_any_output(self, tmp_path: Path) -> None:
        """A population that is not there fails before the bar is drawn (as ``_run`` promises: "a
        missing file fails here, before any output")."""
        terminal = Terminal()
        with pytest.raises(TeilhabeError):
            compare(mawo(), mawo("mawo_2025"), tmp_path / "fehlt.jsonl", progress=terminal, backend="spalten")
        assert terminal.getvalue() == ""

    def test_a_resumed_run_s_bar_starts_at_the_rows_taken_over(self, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
        """The bar of a resumed comparison counts the rows taken over as done before this run (its
        rate and the seconds still to go count only this run's rows), also with ``backend="spalten"``."""
        population = jsonl(tmp_path / "personen.jsonl", persons(600))
        out = tmp_path / "aus.csv"
        original = compare_module._Batch.__call__
        calls = [0]

        def interrupted(batch: Any, rows: list[Any]) -> Any:
            calls[0] += 1
            if calls[0] == 2:
                raise KeyboardInterrupt
            return original(batch, rows)

        with monkeypatch.context() as patch:
            patch.setattr(compare_module._Batch, "__call__", interrupted)
            with pytest.raises(KeyboardInterrupt):
                compare(mawo(), mawo("mawo_2025"), population, out=out)
        firsts: list[int] = []

        class Recorded(ProgressBar):
            def __init__(self, stream: Any, total: int | None, done: int = 0) -> None:
                super().__init__(stream, total, done)
                firsts.append(done)

        monkeypatch.setattr(compare_module, "ProgressBar", Recorded)
        summary = compare(mawo(), mawo("mawo_2025"), population, out=out, resume=True, backend="spalten",
                          progress=Terminal())
        assert summary.resumed == 250
        assert firsts == [250]


HOURS = ('modell m "M"\n  gültig ab 01.01.2024\n  budget summe_a\n  budget leute.a\nende\n'
         'liste leute "Leute"\n  eingabe x: zahl h\n  wert a: h = x\nende\n'
         "wert summe_a: h = summe(leute.a)\n")


class TestTheStageOnTheScalarPath:
    """A population staged early is no longer held (its DuckDB database, its lines in memory, its
    files) once the comparison runs on the scalar backend."""

    @pytest.mark.parametrize("how", ["budget in hours", "sums too large"])
    def test_no_stage_open_while_the_scalar_backend_runs(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         how: str) -> None:
        import os

        stages = counted_stages(monkeypatch)
        open_in_batches: list[bool] = []
        run = compare_module._Batch.__call__

        def scalar(self: Any, rows: list[Any]) -> Any:
            open_in_batches.append(any(os.path.isdir(stage.folder) for stage in stages if stage is not None))
            return run(self, rows)

        monkeypatch.setattr(compare_module._Batch, "__call__", scalar)
        population = tmp_path / "p.jsonl"
        if how == "budget in hours":
            model = teilhabe_rules.loads(HOURS, "m.rules")
            population.write_text("".join(f'{{"leute": [{{"x": {n}}}]}}\n' for n in range(20)), encoding="utf-8")
            old, new = model, model
        else:
            def too_large(*args: Any) -> Any:
                raise compare_module._TooLarge

            monkeypatch.setattr(compare_module._ColumnarRun, "_tally", too_large)
            jsonl(population, persons(20))
            old, new = mawo(), mawo("mawo_2025")
        summary = compare(old, new, population)
        assert summary.backend == "skalar" and summary.rows == 20
        assert open_in_batches and not any(open_in_batches)


EUROS = ('modell m "M"\n  gültig ab 01.01.2024\n  budget summe_a\n  budget leute.a\nende\n'
         'liste leute "Leute"\n  eingabe x: zahl EUR\n{more}  wert a: EUR = x\nende\n'
         "wert summe_a: EUR = summe(leute.a)\n")


def test_a_statement_that_fails_to_be_prepared_ahead_leaves_the_comparison_as_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statements built while DuckDB stages (``batch.prepare``) are a head start only: where
    building one fails, the comparison runs as without it, and the run builds its own."""
    from teilhabe_rules.columnar import batch

    population = jsonl(tmp_path / "personen.jsonl", persons(40))
    expected = compare(mawo(), mawo("mawo_2025"), population)
    tried: list[int] = []

    def failing(*args: Any) -> None:
        tried.append(1)
        raise RuntimeError("prepare")

    staging = batch.stage_shared

    def slow(*args: Any, **kwargs: Any) -> Any:  # still staging when both plans are compiled
        shared = staging(*args, **kwargs)
        for _ in range(400):
            if tried:
                break
            time.sleep(0.05)
        return shared

    monkeypatch.setattr(batch, "prepare", failing)
    monkeypatch.setattr(batch, "stage_shared", slow)
    monkeypatch.setattr(batch, "_merged", batch._built_merged)  # nothing from the memo of the run before
    summary = compare(mawo(), mawo("mawo_2025"), population)
    assert tried
    assert summary.backend == expected.backend == "spalten"
    assert (summary.rows, summary.errors, summary.difference) == (expected.rows, expected.errors, expected.difference)


def test_each_plan_is_compiled_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two versions that cannot share a stage (the new one has an input more): each plan is
    compiled once, not once for the early stage and again for the run."""
    old = teilhabe_rules.loads(EUROS.format(more=""), "alt.rules")
    new = teilhabe_rules.loads(EUROS.format(more="  eingabe y: zahl EUR standard 0 EUR\n"), "neu.rules")
    compiled: list[str] = []
    original = teilhabe_rules.Model._columnar_plan

    def counted(self: Any, agreed: Any, at: Any, *rest: Any) -> Any:
        compiled.append(self.checked.info.file)
        return original(self, agreed, at, *rest)

    monkeypatch.setattr(teilhabe_rules.Model, "_columnar_plan", counted)
    population = tmp_path / "p.jsonl"
    population.write_text("".join(f'{{"leute": [{{"x": {n}}}]}}\n' for n in range(5)), encoding="utf-8")
    summary = compare(old, new, population)
    assert (summary.backend, summary.basis) == ("spalten", "element")
    assert sorted(compiled) == ["alt.rules", "neu.rules"]


def test_a_stage_begun_while_the_new_plan_is_compiled_is_let_go_where_it_has_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new version's plan is compiled while the file is staged for the old one's: where the new
    version then has no plan (a construct the compiler does not translate), the stage begun is
    closed — its folder gone — before the scalar backend runs, and the comparison says why."""
    import os

    old = teilhabe_rules.loads(EUROS.format(more=""), "alt.rules")
    new = teilhabe_rules.loads(EUROS.format(more=""), "neu.rules")
    original = teilhabe_rules.Model._columnar_plan

    def refused(self: Any, agreed: Any, at: Any, *rest: Any) -> Any:
        if self is new:
            return None, "„neu“ läuft mit dem skalaren Backend: nicht übersetzt"
        return original(self, agreed, at, *rest)

    monkeypatch.setattr(teilhabe_rules.Model, "_columnar_plan", refused)
    stages = counted_stages(monkeypatch)
    open_in_batches: list[bool] = []
    run = compare_module._Batch.__call__

    def scalar(self: Any, rows: list[Any]) -> Any:
        open_in_batches.append(any(os.path.isdir(stage.folder) for stage in stages))
        return run(self, rows)

    monkeypatch.setattr(compare_module._Batch, "__call__", scalar)
    population = tmp_path / "p.jsonl"
    population.write_text("".join(f'{{"leute": [{{"x": {n}}}]}}\n' for n in range(5)), encoding="utf-8")
    summary = compare(old, new, population)
    assert (summary.backend, summary.rows, summary.errors) == ("skalar", 5, 0)
    assert summary.notes == ["„neu“ läuft mit dem skalaren Backend: nicht übersetzt (Vergleich mit dem skalaren "
                             "Backend)"]
    assert len(stages) == 1 and stages[0] is not None  # begun at once, for the model's inputs
    assert open_in_batches and not any(open_in_batches)


@pytest.mark.parametrize("has_plan", [False, True])
def test_a_staging_that_fails_beside_the_new_plan_counts_only_where_the_plans_share_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, has_plan: bool) -> None:
    """The stage begun while the new plan is compiled fails (DuckDB out of its memory, say): where
    the new version has no plan the comparison runs on the scalar backend as if nothing had been
    staged; where the plans share the stage, the failure is the comparison's."""
    from teilhabe_rules.columnar import batch
    from teilhabe_rules.errors import Diagnostic, ResourceError

    old = teilhabe_rules.loads(EUROS.format(more=""), "alt.rules")
    new = teilhabe_rules.loads(EUROS.format(more=""), "neu.rules")
    original = teilhabe_rules.Model._columnar_plan

    def refused(self: Any, agreed: Any, at: Any, *rest: Any) -> Any:
        if self is new and not has_plan:
            return None, "„neu“ läuft mit dem skalaren Backend: nicht übersetzt"
        return original(self, agreed, at, *rest)

    def failing(*args: Any, **options: Any) -> Any:
        raise ResourceError(Diagnostic("zu wenig Speicher", code="speicher"))

    monkeypatch.setattr(teilhabe_rules.Model, "_columnar_plan", refused)
    monkeypatch.setattr(batch, "stage_shared", failing)
    population = tmp_path / "p.jsonl"
    population.write_text("".join(f'{{"leute": [{{"x": {n}}}]}}\n' for n in range(5)), encoding="utf-8")
    if has_plan:
        with pytest.raises(ResourceError, match="zu wenig Speicher"):
            compare(old, new, population)
        return
    summary = compare(old, new, population)
    assert (summary.backend, summary.rows, summary.errors) == ("skalar", 5, 0)


def test_the_stage_is_begun_before_either_plan_is_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is staged for the model's inputs alone (a plan without steps) while both plans are
    compiled: neither compilation begins before the staging's statements are built (two threads
    of Python would share one core) — and the comparison's figures are those of the scalar
    backend."""
    import threading

    from teilhabe_rules.columnar import batch, intake
    from tests.tools.test_compare_columnar import both

    built = threading.Event()
    after_the_queries: list[bool] = []
    staged_with: list[int] = []
    original_plan, original_stage, original_queries = (teilhabe_rules.Model._columnar_plan, batch.stage_shared,
                                                       intake._queries)

    def compiled(self: Any, agreed: Any, at: Any, *rest: Any) -> Any:
        after_the_queries.append(built.is_set())
        return original_plan(self, agreed, at, *rest)

    def queries(*args: Any, **options: Any) -> Any:
        found = original_queries(*args, **options)
        built.set()
        return found

    def stage(plan: Any, *args: Any, **options: Any) -> Any:
        staged_with.append(len(plan.steps))
        return original_stage(plan, *args, **options)

    population = jsonl(tmp_path / "personen.jsonl", persons(6))
    with monkeypatch.context() as patch:
        patch.setattr(teilhabe_rules.Model, "_columnar_plan", compiled)
        patch.setattr(batch, "stage_shared", stage)
        patch.setattr(intake, "_queries", queries)
        summary = compare(mawo(), mawo("mawo_2025"), population)
    assert (summary.backend, summary.rows) == ("spalten", 6)
    assert staged_with == [0] and after_the_queries == [True, True]
    both(mawo(), mawo("mawo_2025"), population)


def test_a_plan_that_stages_otherwise_than_its_inputs_is_staged_again(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the compiled plan stages otherwise than the plan of the model's inputs the stage was
    begun for (it reads the case's date where that one did not, say: a rule the compiler leaves
    out), that stage is let go (its folder gone) and the file staged again for the old plan; the
    figures are those of the scalar backend."""
    import os

    import attrs

    from teilhabe_rules.columnar import batch
    from teilhabe_rules.columnar import plan as plan_module
    from tests.tools.test_compare_columnar import both

    def other(model: Any) -> Any:
        found = original_inputs(model)
        return attrs.evolve(found, reads_date=not found.reads_date)

    population = jsonl(tmp_path / "personen.jsonl", persons(6))
    original_inputs = plan_module.input_plan
    plans: list[int] = []
    with monkeypatch.context() as patch:
        stages = counted_stages(patch)
        original = batch.stage_shared

        def stage(plan: Any, *args: Any, **options: Any) -> Any:
            plans.append(len(plan.steps))
            return original(plan, *args, **options)

        patch.setattr(batch, "stage_shared", stage)
        patch.setattr(plan_module, "input_plan", other)
        summary = compare(mawo(), mawo("mawo_2025"), population)
    assert (summary.backend, summary.rows) == ("spalten", 6)
    assert len(stages) == 2 and plans[0] == 0 and plans[1] > 0
    assert not os.path.isdir(stages[0].folder) and not os.path.isdir(stages[1].folder)
    both(mawo(), mawo("mawo_2025"), population)


@pytest.mark.parametrize("side", ["old", "new"])
def test_no_stage_where_a_side_has_no_plan_known_without_compiling(side: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An agreement with a validity of its own gives its side no plan, which is known without
    compiling it (``Model.columnar_refusal``): the file is not staged for nothing; the comparison
    runs on the scalar backend and says why."""
    dated = {"vereinbarung": {"modell": "mawo", "gültig_ab": "2020-01-01"}, "parameter": {"fls_satz": "75 EUR/h"}}
    assert mawo().columnar_refusal(dated) is not None and mawo().columnar_refusal() is None
    stages = counted_stages(monkeypatch)
    population = jsonl(tmp_path / "personen.jsonl", persons(3))
    agreements: dict[str, Any] = {f"agreement_{side}": dated}
    summary = compare(mawo(), mawo(), population, **agreements)
    assert (summary.backend, summary.rows) == ("skalar", 3)
    assert summary.notes == ["Vereinbarung mit Gültigkeitszeitraum: jeder Fall mit dem skalaren Backend "
                             "(Vergleich mit dem skalaren Backend)"]
    assert stages == []
