"""The public model object: load, check, evaluate.

Takes: a rule file (path or text), case data and optionally an agreement. Gives: :class:`Model`
(parse → AST → check → compile, once) and :class:`~teilhabe_rules.runtime.results.Result` per case. Every
failure is one of the library's own errors (:mod:`teilhabe_rules.errors`).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import os
import stat
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .backends import backend_name
from .errors import (
    AgreementError,
    CaseError,
    CheckError,
    Diagnostic,
    EvaluationError,
    Location,
    TeilhabeError,
    ValidityError,
)
from .files import path_problem
from .inputs.cases import (
    Case,
    CaseFileData,
    CaseLoader,
    CaseSources,
    LoadedFor,
    day_of,
    read_case_file,
    reference_day,
)
from .inputs.validator import MappingValidator
from .ir import checked as c
from .ir import toolkit
from .ir.text import format_value, quantity_text
from .loading import check_file, check_text
from .paths import file_path
from .records import FrozenDict
from .runtime.backend import CaseInput, CheckFailure, EvaluationFault
from .runtime.compiler import Program, PythonBackend
from .runtime.results import Result
from .runtime.semantics import ParameterValues, base_values, date_required_error
from .span import Span, source_lines

if TYPE_CHECKING:  # pragma: no cover - imported where an agreement is given
    from .columnar import BatchResult, Plan
    from .inputs.agreements import Agreement

__all__ = ["PLANS_KEPT", "Model", "load", "loads"]

PLANS_KEPT = 4
"""How many columnar plans a model keeps (:meth:`Model.evaluate_many`, :meth:`Model.columnar_plan`):
the last compiled, each for one agreement object, day and set of values wanted — a batch after
another under the same ones compiles none (MAWo: ~0.4–0.8 s a plan). A plan kept holds its
expression trees (MAWo: ~13 MB); set to 0, a model keeps none (read at each compilation)."""


class Model:
    """A checked and compiled tariff model.

    **Threads.** A loaded model may be shared between threads: :meth:`evaluate`,
    :meth:`load_case`, :meth:`load_agreement`, :meth:`parameters_on` and the results' views and
    explanations may run concurrently, and give what they give one after another. Evaluation
    itself keeps its state in the call (the generated function fills rows of its own). The parts
    built on first use are safe: the case loader and the explanation plan are built once, under a
    lock; the parameter values per period and the inputs a check reads are computed from the
    immutable model and stored with ``dict.setdefault``, so concurrent first uses may compute one
    twice but every caller gets the one stored. The compiled input check of mappings and the
    programs the backend specialises per parameter values may likewise be built twice by
    concurrent first uses; each is immutable once built, and any of them gives the same. The
    columnar plans kept (:data:`PLANS_KEPT`) are looked up and stored under a lock of their own,
    compiled outside it (two threads' first batches under the same agreement may compile one twice).

    **Pickling.** A model pickles as its checked model and path (data only); unpickling compiles
    it anew — the generated function is never pickled. This is for handing models and results to
    process pools (``concurrent.futures.ProcessPoolExecutor``); the library's own cache never uses
    pickle (see ``docs/architecture.md``). Two models are equal when they hold the same checked
    model — checked from the same texts under the same file name — and the same path.
    """

    def __init__(self, checked: c.CheckedModel, path: Path | None = None, backend: PythonBackend | None = None):
        self.checked = checked
        self.path = path
        # ``backend``: a Python backend made for ``checked`` (a recording one, say); else compiled here
        self.backend = backend if backend is not None else PythonBackend(checked)
        self._lock = threading.Lock()  # builds the loader and the explanation plan once
        self._loader: CaseLoader | None = None
        self._validator: MappingValidator | None = None
        self._explanation_plan: Any = None
        # read-only, as :attr:`parameters` and :attr:`tables` hand them out and evaluation uses them
        # the parameter values by date and agreement (``ab TT.MM.JJJJ = …`` chosen per reference date)
        self._values = ParameterValues(checked)
        self._parameters = self._values.defaults
        tables = base_values(checked)[1]
        self._tables: dict[str, dict[Any, Any]] = FrozenDict({tid: FrozenDict(rows) for tid, rows in tables.items()})
        self._dated = self._values.dated
        self._overrides: tuple[Agreement, dict[str, Any]] | None = None  # the last agreement's parameter values
        self._reads: dict[str, tuple[c.InputSpec, ...]] = {}  # node id → inputs its check reads
        self._reads_date = self.backend.program.reads_date  # toolkit.reads_date, found by the compiler
        self._identity: tuple[str, str] | None = None  # model_identity(checked), made on first use
        # the columnar plans compiled last (:data:`PLANS_KEPT`), by (agreement, day, wanted values):
        # each with the agreement object it was compiled under (held, so its id names no other)
        self._plans: dict[tuple[Any, ...], tuple[Agreement | None, Plan | None, str | None]] = {}
        self._plans_lock = threading.Lock()
        # handed to every case this model loads; its digest (input_identity) made only where a case of
        # another model object is given (or a case is pickled)
        self._loaded_for = LoadedFor(checked.info.name, functools.partial(_input_digest, checked))

    # ---- description ----

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The model's own parameter values by id (from its start; no agreement, no later period):
        a read-only dict (:class:`~teilhabe_rules.records.FrozenDict`)."""
        return self._parameters

    @property
    def tables(self) -> Mapping[str, Mapping[Any, Any]]:
        """The model's own table rows by table id (no agreement): read-only dicts, as evaluation
        uses them."""
        return self._tables

    @property
    def name(self) -> str:
        return self.checked.info.name

    @property
    def version(self) -> str | None:
        return self.checked.info.version

    @property
    def info(self) -> c.ModelInfo:
        return self.checked.info

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(self.checked.warnings)

    def __repr__(self) -> str:
        return f"<Model {self.checked.info.named()} from {self.checked.info.file}>"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the checked model and the path; compiled anew when unpickled."""
        return (type(self), (self.checked, self.path))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        mine, theirs = self.checked, other.checked
        return self is other or (
            self.path == other.path
            and mine.source == theirs.source
            and mine.other_sources == theirs.other_sources
            and mine == theirs  # the header, the evaluation order, examples, properties, warnings
        )

    def __hash__(self) -> int:
        return hash((self.path, self.checked.info.file, self.checked.source))

    def same_inputs(self, other: Model) -> bool:
        """Whether ``other`` declares the same inputs (:func:`input_identity`): it accepts and
        reads the same cases alike — a variant that changes values only. A case loaded by one is
        evaluated by the other as it is; ``compare`` reads and checks such a population once."""
        return self._loaded_for.same_inputs(other._loaded_for)

    def valid_on(self, date: _dt.date) -> bool:
        info = self.checked.info
        if type(date) is not _dt.date:  # (the checks of each evaluation: a date, at once)
            date = day_of(date, "Tag")
        return (info.valid_from is None or date >= info.valid_from) and (info.valid_to is None or date <= info.valid_to)

    def validity_text(self) -> str:
        info = self.checked.info
        start = format_value(info.valid_from) if info.valid_from else "?"
        return f"gültig ab {start}" + (f" bis {format_value(info.valid_to)}" if info.valid_to else "")

    # ---- cases and agreements ----

    @property
    def explanation_plan(self) -> Any:
        """The case-independent part of every explanation (built once, on first use)."""
        plan = self._explanation_plan
        if plan is None:
            from .runtime.explain import ExplanationPlan

            with self._lock:
                if self._explanation_plan is None:
                    self._explanation_plan = ExplanationPlan(self.checked)
                plan = self._explanation_plan
        return plan

    @property
    def loader(self) -> CaseLoader:
        """The case loader of this model (built once, on first use)."""
        loader = self._loader
        if loader is None:
            with self._lock:
                if self._loader is None:
                    self._loader = CaseLoader(self.checked)
                loader = self._loader
        return loader

    def load_case(self, data: Case | Mapping[str, Any] | str | Path, source: str | None = None, *,
                  base_dir: Path | None = None) -> Case:
        """Validate case data (TOML/JSON file path or mapping) against the model's inputs.
        ``base_dir``: where list elements given as file names are read from (for a mapping;
        default the working directory — a file's are read next to it); a CaseError where it
        names no folder there is."""
        if isinstance(data, Case):
            return self._own_case(data)
        return self._load_case(data, source, _folder(base_dir) if base_dir is not None else None)

    def _load_case(self, data: Case | Mapping[str, Any] | str | Path, source: str | None,
                   base_dir: Path | None) -> Case:
        """:meth:`load_case` with ``base_dir`` a folder already checked (:func:`_folder`): a case of
        a population is loaded without a look at the file system for a folder that is known."""
        if isinstance(data, Case):
            return self._own_case(data)
        inputs = self._loaded_for
        # the compiled check first; anything it does not accept, the loader's full path
        if type(data) is dict or type(data) is CaseFileData:  # (the check takes a dict itself)
            row = self._checked_row(data if type(data) is dict else dict(data))
            if row is not None:
                return Case(row, source, loaded_for=inputs)
        elif (named := file_path(data)) is not None:
            file = str(named)
            document, text = read_case_file(file)  # a file that cannot be read: as the loader reports it
            row = self._checked_row(document) if type(document) is dict else None
            if row is not None:
                return Case(row, file, CaseSources(file, {file: text}), inputs)
            loaded = self.loader.load(named, source, base_dir=base_dir, read=(document, text))
            return attrs.evolve(loaded, loaded_for=inputs)
        return attrs.evolve(self.loader.load(data, source, base_dir=base_dir), loaded_for=inputs)

    def _own_case(self, case: Case) -> Case:
        """``case`` where it was loaded by a model of this model's inputs (or made by hand); a
        CaseError where another model's inputs checked it: its values would be taken unchecked."""
        if case.loaded_for is None or case.loaded_for.same_inputs(self._loaded_for):  # (a variant: the same inputs)
            return case
        named = f"Der Fall „{case.source}“" if case.source else "Der Fall"
        raise CaseError(Diagnostic(
            f"{named} wurde für das Modell „{case.loaded_for.name}“ geladen; „{self.name}“ hat andere Eingaben",
            path="$", code="eingabe",
            hint="gib die Falldatei oder die Tabelle (Schlüssel = Wert) selbst an: das Modell prüft sie gegen seine "
                 "Eingaben (Model.load_case)"))

    def _checked_row(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The row of ``data`` by the compiled input check (None: it does not accept it)."""
        return (self._validator or self._new_validator()).row(data)

    def _new_validator(self) -> MappingValidator:
        """The compiled input check, made on first use (concurrent first uses: equal ones)."""
        validator = self._validator = MappingValidator(self.checked)
        return validator

    def load_agreement(self, agreement: Agreement | str | Path | Mapping[str, Any]) -> Agreement:
        from .inputs.agreements import Agreement, load_agreement  # (not on import: most evaluations have none)

        identity = self._identity
        if identity is None:
            identity = self._identity = model_identity(self.checked)
        if isinstance(agreement, Agreement):
            if agreement.loaded_for is not None and agreement.loaded_for != identity:
                raise AgreementError(_foreign_agreement(agreement, self.name))
            return agreement
        return load_agreement(self.checked, agreement, loaded_for=identity)

    # ---- evaluation ----

    def evaluate(
        self,
        case: Case | Mapping[str, Any] | str | Path,
        agreement: Agreement | str | Path | Mapping[str, Any] | None = None,
        *,
        explain: bool = False,
        at: _dt.date | None = None,
        base_dir: Path | None = None,
    ) -> Result:
        """Evaluate one case. ``at`` overrides the reference date (default: the case's own);
        ``base_dir`` as for :meth:`load_case`."""
        return self._evaluate(case, agreement, explain, at, base_dir)

    def _evaluate(self, case: Case | Mapping[str, Any] | str | Path,
                  agreement: Agreement | str | Path | Mapping[str, Any] | None, explain: bool,
                  at: _dt.date | None, base_dir: Path | None, folder_checked: bool = False) -> Result:
        """:meth:`evaluate`; ``folder_checked``: ``base_dir`` is a folder already checked (a case
        of a population, whose folder :meth:`evaluate_many` checked once, or a case file's)."""
        if at is not None and type(at) is not _dt.date:
            at = reference_day(at)
        try:
            loaded = (self._load_case(case, None, base_dir) if folder_checked
                      else self.load_case(case, base_dir=base_dir))
        except CaseError as exc:
            self._check_raw_validity(file_path(case) or case, at, exc)
            raise
        agreed = self.load_agreement(agreement) if agreement is not None else None
        self._check_validity(loaded, at)
        if agreed is not None and (agreed.valid_from is not None or agreed.valid_to is not None):
            reference = self.checked.info.reference_date
            agreed.check_date(
                self.reference_date(loaded, at), ".".join(reference) if at is None and reference else "Stichtag"
            )
        try:
            parameters = self._values.on(self.reference_date(loaded, at, required=True) if self._dated else None,
                                         self._overrides_of(agreed))
        except ValidityError as exc:
            raise ValidityError([self._at_reference_date(d, loaded, at) for d in exc.diagnostics]) from None
        tables = agreed.tables if agreed is not None else self._tables
        evaluation = self.backend.evaluate(CaseInput(loaded.row, parameters, tables, self.reference_date(loaded, at)))
        if evaluation.fault is not None:
            problems = self._failures(evaluation.failures, case=loaded)
            problems.append(self._fault(evaluation.fault))
            raise (CaseError(problems) if evaluation.failures else EvaluationError(problems)) from None
        if evaluation.frame is None:
            raise CaseError(self._failures(evaluation.failures, case=loaded))
        frame = evaluation.frame
        if evaluation.warnings:
            texts = tuple(d.message + (f" @ {d.path}" if d.path and d.path != "$" else "")
                          for d in self._failures(evaluation.warnings, "warnung"))
            frame = frame.with_warnings(texts)
        return Result(self, frame, agreed, explain, loaded.source)

    def evaluate_many(
        self,
        source: Any,
        agreement: Agreement | str | Path | Mapping[str, Any] | None = None,
        *,
        at: _dt.date | None = None,
        progress: Callable[[int, int], None] | None = None,
        backend: str = "spalten",
        base_dir: str | Path | None = None,
    ) -> BatchResult:
        """Evaluate a population with the columnar backend (:mod:`teilhabe_rules.columnar`):
        ``source`` is an iterable of case mappings, a DuckDB relation, an Arrow table or a
        pandas/polars frame, or a path (``str`` or path object: JSON Lines, CSV, XLSX, Parquet, a
        directory of case files); an element of the iterable that is no mapping — a path of a case
        file among them — is an error row saying so.
        Gives a :class:`~teilhabe_rules.columnar.BatchResult`: per scope a DuckDB table of
        results and one error row per case without a result (with the messages and paths
        :meth:`evaluate` reports). Cases the plan cannot decide exactly, and every case of a
        model the plan cannot express, are evaluated by the scalar backend (counted in
        ``notes``). ``progress(done, total)`` is called as cases are finished. ``backend``
        ``skalar`` (or ``scalar``): every case evaluated by the scalar backend, one at a time, into
        a result of the same form — no plan compiled (:data:`~teilhabe_rules.backends.BACKENDS`; a
        ValueError for a name not there). ``base_dir``: where list elements given as file names
        are read from, and confined to (as for :meth:`load_case`: a folder there is, else a
        CaseError before any case is read) — None: the folder of a population
        file, a population directory itself, else the working directory; the case read from a
        case file of a folder reads its own next to it, whatever ``base_dir`` says. The result's
        ``ids`` name the cases as the population does (``fall``, ``Zeile N``, a case file's name) for
        a path, a population read from one, a relation or a frame; its :meth:`write` gives each
        row that name as ``_fall``."""
        from .columnar import ScalarOutcome, run_batch
        from .columnar.batch import case_ids
        from .columnar.sources import Unreadable, case_folder, element_folder, population

        chosen = backend_name(backend)
        folder = _folder(base_dir) if base_dir is not None else None  # (before any work)
        at = reference_day(at)
        agreed = self.load_agreement(agreement) if agreement is not None else None
        plan: Plan | None = None
        note: str | None = None
        if chosen == "skalar":
            note = "Backend „skalar“ gewählt: jeder Fall mit dem skalaren Backend, einer nach dem anderen"
        else:
            plan, note = self._columnar_plan(agreed, at)
        # (a row's element files: beside its population file, or where the caller says)
        folder = element_folder(source) if folder is None else folder

        def scalar(index: int, data: Any) -> ScalarOutcome:
            if isinstance(data, Unreadable):
                return ScalarOutcome(None, ((data.message, data.path),), (data.hint,))
            try:
                # (the folder checked above, or a case file's: not looked up again per case)
                result = self._evaluate(data, agreed, False, at, case_folder(data, folder), True)
            except TeilhabeError as exc:
                return ScalarOutcome(None, tuple((d.message, d.path) for d in exc.diagnostics),
                                     tuple(d.hint for d in exc.diagnostics))
            return ScalarOutcome(result.frame)

        read: list[str] = []  # the ids of the cases the population reader reads
        result = run_batch(plan, self.checked, population(source, read), self.loader, scalar, at=at, note=note,
                           progress=progress, base_dir=folder)
        result.ids = case_ids(source, read, result.cases)
        result.source = file_path(source)
        return result

    def columnar_plan(self, agreement: Agreement | str | Path | Mapping[str, Any] | None = None,
                      at: _dt.date | None = None, *, wanted: Collection[tuple[str, str]] | None = None) -> Plan:
        """The columnar plan of this model under ``agreement`` on ``at`` (:mod:`teilhabe_rules.columnar`);
        a :class:`~teilhabe_rules.errors.CheckError` where the plan cannot express the model.
        ``wanted``: the (scope, key) of the only values read of its results (the plan leaves out
        values none of them needs and no case can fail on:
        :func:`~teilhabe_rules.columnar.plan.computed_nodes`); None: every value. The plan does
        not check a case's day against the model's validity: :func:`~teilhabe_rules.columnar.run_batch`
        gives each case outside it the scalar backend's error row; :meth:`check_date` refuses
        an ``at`` outside it."""
        at = reference_day(at)
        agreed = self.load_agreement(agreement) if agreement is not None else None
        plan, note = self._columnar_plan(agreed, at, wanted)
        if plan is None:
            raise CheckError(Diagnostic(note or "kein Plan", code="spalten"))
        return plan

    def check_date(self, at: _dt.date) -> None:
        """A :class:`~teilhabe_rules.errors.ValidityError` where the day ``at`` lies outside the
        model's validity — the message and hint :meth:`evaluate` gives for it, naming the
        version of the family that holds that day."""
        self._check_validity(Case({}), reference_day(at))

    def columnar_refusal(self, agreement: Agreement | str | Path | Mapping[str, Any] | None = None,
                         at: _dt.date | None = None) -> str | None:
        """Why this model has no columnar plan under ``agreement`` on ``at``, where that is known
        without compiling it — an agreement with a validity of its own, parameters with values per
        period and no ``at`` —: the one-line note; None where a plan may be compiled (the
        compiler may still find a construct it does not translate: :meth:`columnar_plan`)."""
        return self._refusal(self.load_agreement(agreement) if agreement is not None else None, reference_day(at))

    def _refusal(self, agreed: Agreement | None, at: _dt.date | None) -> str | None:
        if agreed is not None and (agreed.valid_from is not None or agreed.valid_to is not None):
            return "Vereinbarung mit Gültigkeitszeitraum: jeder Fall mit dem skalaren Backend"
        if self._dated and at is None:
            return "Parameter mit Werten je Zeitraum ohne Stichtag („at“): jeder Fall mit dem skalaren Backend"
        return None

    def _columnar_plan(self, agreed: Agreement | None, at: _dt.date | None,
                       wanted: Collection[tuple[str, str]] | None = None) -> tuple[Plan | None, str | None]:
        """The plan, or None and the one-line note why every case runs on the scalar backend —
        compiled once for the same agreement object, day and values wanted among the last
        :data:`PLANS_KEPT` (a plan is not changed once compiled: :class:`~teilhabe_rules.columnar.plan.Plan`)."""
        refusal = self._refusal(agreed, at)
        if refusal is not None:
            return None, refusal
        key = (None if agreed is None else id(agreed), at, None if wanted is None else frozenset(wanted))
        with self._plans_lock:
            kept = self._plans.pop(key, None)
            if kept is not None and kept[0] is agreed:
                self._plans[key] = kept  # (the newest again)
                return kept[1], kept[2]
        plan, note = self._compiled_plan(agreed, at, wanted)
        with self._plans_lock:
            self._plans[key] = (agreed, plan, note)
            while len(self._plans) > PLANS_KEPT:
                del self._plans[next(iter(self._plans))]  # (the one used longest ago)
        return plan, note

    def _compiled_plan(self, agreed: Agreement | None, at: _dt.date | None,
                       wanted: Collection[tuple[str, str]] | None) -> tuple[Plan | None, str | None]:
        from .columnar import Unsupported, compile_plan

        try:
            parameters = self._values.on(at if self._dated else None, self._overrides_of(agreed))
            tables = agreed.tables if agreed is not None else self._tables
            return compile_plan(self.checked, parameters, tables, at, wanted), None
        except Unsupported as exc:
            return None, f"„{self.name}“ läuft mit dem skalaren Backend: {exc}"
        except ValidityError as exc:
            return None, f"jeder Fall mit dem skalaren Backend: {exc.diagnostics[0].message}"

    @property
    def program(self) -> Program:
        """The compiled program of the Python backend."""
        return self.backend.program

    def _overrides_of(self, agreed: Agreement | None) -> dict[str, Any] | None:
        """The agreed parameter values of ``agreed`` (kept for the next evaluation under it)."""
        if agreed is None:
            return None
        last = self._overrides
        if last is None or last[0] is not agreed:
            last = self._overrides = (agreed, agreed.parameter_overrides())
        return last[1]

    def _check_raw_validity(self, case: Any, at: _dt.date | None, error: CaseError) -> None:
        """A case of another version usually fails structurally too: name the version first
        (from the data the failed load decoded; a file that could not be decoded has no date)."""
        from .inputs.cases import CaseDocumentError, convert_value

        info = self.checked.info
        if at is None and info.reference_date is None:
            return
        sources: CaseSources | None = None
        try:
            if isinstance(error, CaseDocumentError):
                data, sources = error.document, (error.sources if error.sources.texts else None)
            elif isinstance(case, (str, Path)):
                return
            else:
                data = case
            raw: Any = data
            for step in info.reference_date or ():
                raw = raw[step]
            date = at or convert_value(raw, c.DATE)
        except Exception:  # noqa: BLE001 - only a hint; the structural errors stand otherwise
            return
        self._check_validity(Case({".".join(info.reference_date or ()): date}, None, sources), at)

    @property
    def has_periods(self) -> bool:
        """Whether parameters have values per period (``ab TT.MM.JJJJ = …``): evaluation then
        chooses them by a date."""
        return bool(self._dated)

    @property
    def needs_date(self) -> bool:
        """Whether evaluation needs ``at``: parameters with values per period, and no ``stichtag``
        input from which a case would give its own date."""
        return bool(self._dated) and self.checked.info.reference_date is None

    @property
    def reads_date(self) -> bool:
        """Whether the rules read the reference date of the evaluation (``stichtag()``): ``at``,
        else the case's ``stichtag`` input; without either such an evaluation is an error."""
        return self._reads_date

    def reference_date(self, case: Case, at: _dt.date | None = None, required: bool = False) -> _dt.date | None:
        """``at`` (as :meth:`evaluate` takes it), else the case's ``stichtag`` input; ``required``:
        a missing date is an error."""
        info = self.checked.info
        date = at if at is None or type(at) is _dt.date else reference_day(at)
        if date is None and info.reference_date is not None:
            date = case.row.get(".".join(info.reference_date))
        if date is None and required:
            raise date_required_error(self.checked)
        return date

    def parameters_on(self, date: _dt.date) -> Mapping[str, Any]:
        """The parameter values (by id) valid on ``date``: for each parameter with values per
        period the one whose period holds the date. A date in no period of a parameter (after a
        last value that ends with ``bis``) is a :class:`ValidityError` — never the last value.
        A read-only dict, the same one for every date of a period
        (:meth:`teilhabe_rules.runtime.semantics.ParameterValues.on`)."""
        return self._values.on(date if type(date) is _dt.date else day_of(date, "Tag"))

    def _check_validity(self, case: Case, at: _dt.date | None) -> None:
        info = self.checked.info
        date = self.reference_date(case, at)
        if date is None or self.valid_on(date):
            return
        from .catalog import version_for  # only for a date the model does not cover

        hint = None
        other = version_for(info.family, date, info.name) if info.family else None
        if other is not None:
            hint = (
                f"für diesen Tag gilt das Modell „{other.name}“ ({other.title}, {other.validity_text()}): "
                f"{other.file}"
            )
        what = ".".join(info.reference_date) if at is None and info.reference_date else "Stichtag"
        if hint is None:
            hint = f"ein Tag in der Gültigkeit ({self.validity_text()}), oder ein Modell, das am " \
                   f"{format_value(date)} gilt"
        message = (f"{what} {format_value(date)} liegt außerhalb der Gültigkeit von „{info.named()}“ "
                   f"({self.validity_text()})")
        raise ValidityError(self._at_reference_date(Diagnostic(
            message, path=f"$.{what}" if at is None else None, hint=hint, code="gültigkeit",
        ), case, at))

    def _at_reference_date(self, diagnostic: Diagnostic, case: Case, at: _dt.date | None) -> Diagnostic:
        """``diagnostic`` located at the case's ``stichtag`` input in the case file, where the
        date came from there (not from ``at``)."""
        reference = self.checked.info.reference_date
        if at is not None or reference is None or diagnostic.location is not None:
            return diagnostic
        where, line, _ = case.where("$." + ".".join(reference))
        if where is None:
            return diagnostic
        return attrs.evolve(
            diagnostic, location=where, source_line=line, path=diagnostic.path or "$." + ".".join(reference)
        )

    def _path(self, scope: str, indexes: tuple[Any, ...]) -> str:
        parts = []
        sid: str | None = scope
        chain = []
        while sid:
            chain.append(sid)
            sid = self.checked.scopes[sid].parent
        for depth, sid in enumerate(reversed(chain), start=1):
            index = indexes[depth - 1] if depth - 1 < len(indexes) else None
            parts.append(f"{self.checked.scopes[sid].name}[{index + 1 if index is not None else '?'}]")
        return "$" + "".join("." + p for p in parts)

    def _failures(self, entries: Iterable[CheckFailure], severity: str = "fehler",
                  case: Case | None = None) -> list[Diagnostic]:
        """Diagnostics of failed checks (or warnings). A failed check whose expression reads an
        input given in the case file is shown there — at the first such input, with the case's
        line — and names the check's line in the model in its hint."""
        out = []
        model = self.checked
        for entry in entries:
            node, indexes, values = model.nodes[entry.node], entry.indexes, entry.values
            assert isinstance(node, c.CheckNode)  # entries are failed checks
            text = []
            values_iter = iter(values)
            for part in node.message:
                if isinstance(part, str):
                    text.append(part)
                else:
                    text.append(_show(next(values_iter), part.type))
            span = _rule_span(node)
            at = Location(model.file_of(span), span.line, span.column, span.end_line, span.end_column)
            diagnostic = Diagnostic(
                "".join(text), at, severity=severity, path=self._path(node.scope, indexes),
                source_line=model.line_of(span), code="prüfung" if severity == "fehler" else "warnung",
            )
            if case is not None and case.sources is not None:
                diagnostic = self._in_case(diagnostic, node, indexes, case)
            out.append(diagnostic)
        return out

    def _in_case(self, diagnostic: Diagnostic, node: c.Node, indexes: tuple[Any, ...], case: Case) -> Diagnostic:
        """``diagnostic`` of a failed check moved to the first input the check reads that the
        case file gives; unchanged if it gives none."""
        for spec in self._inputs_read(node):
            path = self._path(spec.scope, indexes) + "." + ".".join(spec.path)
            where, line, exact = case.where(path)
            if where is not None and exact:
                return attrs.evolve(diagnostic, location=where, source_line=line,
                                    hint=f"die Prüfung steht in {diagnostic.location}")
        return diagnostic

    def _inputs_read(self, node: c.Node) -> tuple[c.InputSpec, ...]:
        """The inputs a check reads, in the order they are written: directly, else through the
        values it reads (breadth first). Only inputs of the check's own scope or an enclosing
        one (an input inside a list has no single place)."""
        found = self._reads.get(node.id)
        if found is not None:
            return found
        scopes = set()
        sid: str | None = node.scope
        while sid is not None:
            scopes.add(sid)
            sid = self.checked.scopes[sid].parent if sid else None
        inputs = {spec.id: spec for scope in scopes for spec in self.checked.scopes[scope].inputs}
        result: list[c.InputSpec] = []
        seen: set[str] = set()
        layer = [node]
        while layer and not result:
            following = []
            for current in layer:
                for ref in _refs(current):
                    if ref.symbol in seen:
                        continue
                    seen.add(ref.symbol)
                    if ref.kind == c.RefKind.EINGABE and ref.symbol in inputs:
                        result.append(inputs[ref.symbol])
                    elif ref.kind == c.RefKind.WERT and ref.symbol in self.checked.nodes:
                        following.append(self.checked.nodes[ref.symbol])
            layer = following
        return self._reads.setdefault(node.id, tuple(result))  # a concurrent first use: one wins

    def _fault(self, stop: EvaluationFault) -> Diagnostic:
        """The diagnostic of the fault that stopped an evaluation: its record's message and
        hint, at the rule being computed (before the first rule: without a place), or at the
        place in it the fault names."""
        model = self.checked
        if stop.node is None:
            return Diagnostic(stop.fault.message(), code="auswertung")
        node = model.nodes[stop.node]
        span = stop.fault.span or _rule_span(node)
        location = Location(model.file_of(span), span.line, span.column, span.end_line, span.end_column)
        if isinstance(node, c.CheckNode):  # (its key is an internal label: named by its place instead)
            word = "Prüfung" if node.kind == c.NodeKind.PRUEFUNG else "Warnung"
            message = f"{stop.fault.message()} (bei der {word} in {Path(location.file).name}:{node.span.line})"
        else:
            message = stop.fault.message(at=node.key)
        return Diagnostic(
            message, location,
            hint=stop.fault.hint(), path=self._path(node.scope, stop.indexes), source_line=model.line_of(span),
            code="auswertung",
        )


def _rule_span(node: c.Node) -> Span:
    """Where the expression of the rule ``node`` stands — a value's, a level rule's, a check's
    condition, a corridor's quantity — not the line's start, where its keyword is."""
    if isinstance(node, (c.ValueNode, c.ExpressionLevelNode, c.CheckNode)):
        return node.expr.span
    if isinstance(node, c.CorridorLevelNode):
        return node.subject.span
    return node.span


def model_identity(checked: c.CheckedModel) -> tuple[str, str]:
    """The name of ``checked`` and a digest of the texts it was checked from (its file's text,
    then its base files' in order of their texts; not the files' names): equal for the models
    :meth:`Model.__eq__` finds equal apart from their path — a model handed to another process,
    the same file loaded again, by another spelling of its path or from a copy elsewhere."""
    digest = hashlib.sha256()
    for text in (checked.source, *sorted(checked.other_sources.values())):
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return checked.info.name, digest.hexdigest()


def input_identity(checked: c.CheckedModel) -> tuple[str, str]:
    """The name of ``checked`` and a digest of its input declarations (each list's name, parent
    and bounds, each input's id, key, path, type, whether required and its default): equal for
    models that accept and read the same cases alike — a variant that changes values only, also
    one that declares an input anew with its numbers written otherwise (``bis 1000.0`` for ``bis
    1000``): the digest is of the values as equality compares them (:func:`_canonical`), as
    ``compare`` finds two models' inputs the same."""
    declared = [(sid, scope.name if sid else "", scope.parent, scope.min_count, scope.max_count,
                 [(i.id, i.key, i.path, i.type, i.required, i.default) for i in scope.inputs])
                for sid, scope in sorted(checked.scopes.items())]
    text = repr(_canonical(declared))
    return checked.info.name, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _input_digest(checked: c.CheckedModel) -> str:
    return input_identity(checked)[1]


def _canonical(value: Any) -> Any:
    """``value`` in a form whose ``repr`` is the same for values equality finds equal: a number
    (int or Decimal, not a bool) as its digits without trailing zeros, an attrs record as its
    class and the fields it is compared by, a sequence or mapping item by item."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
        if not number.is_finite():
            return ("zahl", str(number))
        sign, digits, exponent = number.as_tuple()
        if not any(digits):
            return ("zahl", "0")
        while digits[-1] == 0:
            digits, exponent = digits[:-1], int(exponent) + 1
        return ("zahl", sign, digits, exponent)
    if attrs.has(type(value)):
        return (type(value).__qualname__,
                tuple(_canonical(getattr(value, a.name)) for a in attrs.fields(type(value)) if a.eq))
    if isinstance(value, (tuple, list)):
        return tuple(_canonical(item) for item in value)
    if isinstance(value, Mapping):
        return tuple(sorted((repr(_canonical(k)), _canonical(v)) for k, v in value.items()))
    return value


def _foreign_agreement(agreement: Agreement, name: str) -> Diagnostic:
    """Why an agreement loaded for another model is not applied to model ``name``: its tables
    hold the other model's rows, its values were checked against the other's declarations."""
    assert agreement.loaded_for is not None
    other = agreement.loaded_for[0]
    called = f"Die Vereinbarung „{agreement.name}“" if agreement.name else "Die Vereinbarung"
    whose = f"eine andere Fassung des Modells „{other}“" if other == name else f"das Modell „{other}“"
    filed = agreement.source is not None and agreement.source != "<vereinbarung>"
    return Diagnostic(f"{called} wurde für {whose} geladen, nicht für „{name}“: ihre Tabellen und Werte "
                      "sind die jenes Modells", code="vereinbarung",
                      hint=f"lade sie mit diesem Modell (Model.load_agreement) oder gib "
                           f"{'ihre Datei' if filed else 'die Tabelle (Schlüssel = Wert)'} statt der geladenen an")


def _refs(node: c.Node) -> list[c.Ref]:
    """The references in a node's formula or corridor subject, in the order they are written."""
    found = list(toolkit.references(node.subject if isinstance(node, c.CorridorLevelNode) else node.expr))
    return sorted(found, key=lambda ref: (ref.span.line, ref.span.column))


def _show(value: Any, vtype: c.ValueType) -> str:
    return quantity_text(value, vtype)


def _line(source: str, line: int) -> str | None:
    lines = source_lines(source)
    return lines[line - 1] if 0 < line <= len(lines) else None


def loads(text: str, filename: str = "<modell>", *, search_path: Sequence[str | Path] = ()) -> Model:
    """Parse, check and compile rule-file text. A variant's base is looked for in the directory
    of ``filename`` and below, in the directories of ``search_path`` and below, else among the
    bundled models (:func:`teilhabe_rules.check.variants.find_base`)."""
    if not isinstance(text, str):
        raise CheckError(Diagnostic(
            f"Der Regeltext ist ein Text (str), nicht {type(text).__name__}",
            hint="eine Regeldatei lädt load(pfad); Bytes erst dekodieren: text.decode('utf-8')", code="eingabe"))
    return Model(check_text(text, filename, search_path=search_path))


def load(path: str | Path, *, search_path: Sequence[str | Path] = ()) -> Model:
    """Load a rule file (raises :class:`RuleSyntaxError` or :class:`CheckError` on bad input).

    ``search_path``: directories besides the rule file's own in which the base of a variant
    (``erweitert "…"``) may lie; a base never comes from anywhere else but the bundled models."""
    named = file_path(path)
    if named is None:
        raise CheckError(Diagnostic(
            f"Eine Regeldatei ist ein Pfad (str oder Path), nicht {type(path).__name__}",
            hint="einen Regeltext lädt loads(text); Bytes erst dekodieren: name.decode('utf-8')", code="eingabe"))
    return Model(check_file(path, search_path=search_path), named)


_ = TeilhabeError


def _folder(base_dir: Any) -> Path:
    """``base_dir`` as a :class:`~pathlib.Path` (a ``str`` or path) of a directory there is;
    anything else — another type, a name of nothing, of a file — is a CaseError."""
    try:
        folder = base_dir if isinstance(base_dir, Path) else Path(base_dir)
    except TypeError:
        raise CaseError(Diagnostic(f"base_dir: erwartet ein Verzeichnis (str oder Path), nicht "
                                   f"{type(base_dir).__name__}", code="eingabe")) from None
    problem: str | None = None
    try:
        if not stat.S_ISDIR(os.stat(folder).st_mode):
            problem = "ist kein Verzeichnis"
    except ValueError:  # a NUL character in the name (shown as \0)
        problem = "enthält ein Nullzeichen im Namen"
    except OSError as exc:
        problem = path_problem(exc)
    if problem is not None:
        shown = str(folder).replace("\x00", "\\0")
        raise CaseError(Diagnostic(f"base_dir: „{shown}“ {problem}", code="eingabe",
                                   hint="base_dir nennt das Verzeichnis, aus dem ein Fall die Listenelemente liest, "
                                        "die er als Dateinamen angibt"))
    return folder
