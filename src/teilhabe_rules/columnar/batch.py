"""A population through the columnar plan on embedded DuckDB, with the scalar backend for the rest.

Takes: a checked model, its compiled :class:`~teilhabe_rules.columnar.plan.Plan` (or the reason it
has none), the cases as mappings (as a case file gives them), and ``scalar`` — the caller's
evaluation of one case by the scalar backend (:class:`ScalarOutcome`: its frame, or the German
messages with their ``$.path`` of why it has none). Gives: :class:`BatchResult` — per scope a
DuckDB table of results (keys ``_c`` = the case's 0-based number, ``_i1`` … = 1-based positions,
``_skalar`` = evaluated by the scalar backend, then every value by its key), and one
:class:`ErrorRow` per case that has no result. ``len(results) + len(errors)`` is the number of
cases, always.

Staging: a JSON Lines or Parquet file given by its path
(:class:`~teilhabe_rules.columnar.sources.PopulationFile`) is checked and staged by DuckDB
(:mod:`teilhabe_rules.columnar.intake`); only its rows that fail those checks go to ``scalar``.
A :class:`SharedStage` is such a file staged once for the plans of
several models with the same inputs (:func:`stage_shared`, without the validity check), its rows
kept as tables of its own database, which each batch given it reads through views in a
connection of that database: each sends the cases dated outside its own model's validity to
``scalar``. Any other source:
each case is validated by the case loader
(:class:`~teilhabe_rules.inputs.cases.CaseLoader`, the same checks and messages as one
evaluation) and its rows go to one JSON Lines file per scope,
numbers as exact integer numerators (:data:`~teilhabe_rules.columnar.plan.IN_SCALE` fractional
digits), which DuckDB reads with declared column types. A case the loader rejects, a number with
more digits or beyond the bound the plan assumes, a date outside the model's validity: that case
goes to ``scalar`` directly. The plan's flagged cases (a fault, a failed check, a warning, a
figure within its error of a boundary) go to ``scalar`` after the query; their results replace
the plan's rows.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import functools
import json
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs
import duckdb
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.generator import Generator

from ..duck import connect, listed_table, out_of_memory, published
from ..errors import CaseError, Diagnostic, TeilhabeError, counted, encodable
from ..files import same_file, write_problem
from ..inputs.cases import CaseLoader
from ..inputs.population import NO_BOUNDS, line_numbers
from ..ir import checked as c
from ..paths import file_path
from ..runtime.frame import Frame
from ..runtime.quantities import json_value
from .intake import ROWS_FILE, Intake, numbered, parquet_cases, stage_jsonl, stage_parquet, within_validity
from .plan import FAILURE_COLUMNS, FIX, IN_SCALE, LIST_BOUND, Plan, int_type, key_columns, other_type
from .sources import PopulationFile, case_folder, element_folder, names_its_cases

__all__ = ["BatchResult", "ErrorRow", "FileIds", "ScalarOutcome", "SharedStage", "Staging", "case_ids", "column_types",
           "execute_plan", "load_staged", "run_batch", "stage_case", "stage_shared", "stages_alike", "staging"]


_IDS = "fallnamen"  # the ids of the cases (BatchResult.combined), a temporary table


class FileIds:
    """The ids of the cases of a JSON Lines or Parquet file by their 0-based numbers, as the
    population reader names them: ``Zeile N`` (N the line, empty lines counted, or the row) or a
    Parquet file's key ``fall`` (:func:`~teilhabe_rules.columnar.intake.parquet_cases`). The file
    is read once, when first asked."""

    def __init__(self, path: Path):
        self.path = path
        self._read = False
        self._known = False
        self._line: Callable[[int], int] | None = None  # the line of a case, where lines are empty
        self._keys: Callable[[Sequence[int]], list[str]] | None = None  # a Parquet file's keys

    def _reading(self) -> None:
        if self._read:
            return
        if self.path.suffix.lower() == ".parquet":
            cases = parquet_cases(self.path)
            self._known = cases is not None
            if cases is not None and cases[1] is not numbered:
                self._keys = cases[1]
        else:
            line, empty, _count = line_numbers(self.path)
            self._known, self._line = True, line if empty else None
        self._read = True

    def known(self) -> bool:
        """Whether the file names its cases as the reader does (not: a Parquet file the reader does
        not read one case a row — one changed since it was staged)."""
        self._reading()
        return self._known

    def every_line(self) -> bool:
        """Whether case ``i`` is ``Zeile i + 1`` for every case."""
        self._reading()
        return self._known and self._line is None and self._keys is None

    def __call__(self, indexes: Sequence[int]) -> list[str]:
        if not self.known():
            raise ValueError(f"{self.path}: die Datei nennt ihre Fälle nicht so, wie sie gelesen wurden")
        if self._keys is not None:
            return self._keys(indexes)
        line = self._line
        return [f"Zeile {line(index) if line is not None else index + 1}" for index in indexes]


def case_ids(source: Any, read: list[str], cases: int) -> Callable[[Sequence[int]], list[str]] | None:
    """The ids of the ``cases`` cases of a batch over ``source`` by their 0-based numbers
    (:attr:`BatchResult.ids`): ``read``, the ids the population reader gave as it read them
    (:func:`~teilhabe_rules.columnar.sources.read_source`), where it read every case; else, of a
    JSON Lines or Parquet file that was staged in SQL (its rows that SQL does not take read apart), the
    ids its reader gives (:class:`FileIds`); None for cases given as mappings. A population of no
    case whose reader names its cases (:func:`~teilhabe_rules.columnar.sources.names_its_cases`)
    has ids all the same (none), so its results have the column ``_fall`` as any such population's
    have, whatever its form."""
    if read and len(read) == cases:
        return lambda indexes: [read[index] for index in indexes]
    named = file_path(source)
    if not cases and not read and names_its_cases(source):
        return lambda indexes: []
    if named is None or not named.is_file() or named.suffix.lower() not in (".jsonl", ".ndjson", ".parquet"):
        return None
    return FileIds(named)


def _hints(hints: Iterable[str | None]) -> tuple[str | None, ...]:
    """``hints`` as a tuple, () where none is given (a problem without a hint has None)."""
    given = tuple(hints)
    return given if any(hint is not None for hint in given) else ()


def _hint_text(hints: tuple[str | None, ...]) -> str | None:
    """The hints of a case's problems as one text: those given, in the problems' order, each once,
    joined by ``; ``; None where no problem has one."""
    shown = list(dict.fromkeys(hint for hint in hints if hint))
    return "; ".join(shown) if shown else None


@attrs.frozen
class ErrorRow:
    """A case without a result: its 0-based number, the problems (German message, ``$.path``
    or None) and, problem by problem, their hints (None: none; ``hints`` is () where no problem
    has one) exactly as evaluating it alone reports them."""

    index: int
    problems: tuple[tuple[str, str | None], ...]
    hints: tuple[str | None, ...] = attrs.field(default=(), converter=_hints)

    @property
    def message(self) -> str:
        return "; ".join(m + (f" @ {p}" if p and p != "$" else "") for m, p in self.problems)

    @property
    def hint(self) -> str | None:
        """The hints of the problems as one text (``; `` between them, each once), None where
        none has one."""
        return _hint_text(self.hints)


@attrs.frozen
class ScalarOutcome:
    """What the scalar backend gave for one case: a frame, or the problems and their hints
    (problem by problem, as :attr:`ErrorRow.hints`)."""

    frame: Frame | None
    problems: tuple[tuple[str, str | None], ...] = ()
    hints: tuple[str | None, ...] = attrs.field(default=(), converter=_hints)


@attrs.define
class BatchResult:
    """The results of a population: per scope the name of a DuckDB table in ``connection``
    (see the module docstring), the error rows, how many cases the scalar backend evaluated and
    why (``notes``: one line each). ``shared``: the results of a batch given a
    :class:`SharedStage`, in a connection of the stage's database — readable until the stage is
    closed, and not to be written to a file (that database reads and writes none but the
    population's: :meth:`write` refuses). ``ids``: where the population names its cases, the
    function giving the ids of cases by their 0-based numbers ``_c`` — the key ``fall`` of a
    table, ``Zeile N`` of a line or row, a case file's name, as the population reader names them
    (:attr:`~teilhabe_rules.inputs.population.PopulationRow.id`); None for cases given as mappings.
    :meth:`combined` and :meth:`write` then give each row its case's id as ``_fall``. ``source``:
    the population's file or folder, where the batch read one — :meth:`write` does not replace it."""

    connection: duckdb.DuckDBPyConnection
    model: c.CheckedModel
    tables: dict[str, str]
    errors: list[ErrorRow]
    cases: int
    scalar_cases: int
    notes: list[str]
    shared: bool = False
    ids: Callable[[Sequence[int]], list[str]] | None = None
    source: Path | None = None  # the population's file or folder, where it was read from one
    _ids_made: bool | None = attrs.field(default=None, init=False, repr=False)

    def relation(self, scope: str = "") -> duckdb.DuckDBPyRelation:
        """The results of scope ``scope`` (a scope id; "" the cases) as a DuckDB relation; a
        KeyError (in German) for a scope the model has not."""
        return self.connection.table(self._table(scope))

    def _table(self, scope: str) -> str:
        found = self.tables.get(scope) if isinstance(scope, str) else None
        if found is None:
            known = ", ".join(f"„{sid}“" for sid in self.tables)
            raise KeyError(f"{scope!r} ist keine Ebene des Modells (möglich: {known}; „“ die Fälle)")
        return found

    def rows(self, scope: str = "") -> list[dict[str, Any]]:
        """The results of ``scope`` as dicts, ordered by their keys."""
        rel = self.relation(scope).order(", ".join(key_columns(self.model, scope)))
        names = rel.columns
        return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]

    @property
    def evaluated(self) -> int:
        return self.cases - len(self.errors)

    def combined(self, scope: str = "") -> duckdb.DuckDBPyRelation:
        """The results of ``scope`` and the error rows in one relation ordered by ``_c``: an error
        row has ``_fehler`` (its messages), ``_hinweis`` (their hints, :attr:`ErrorRow.hint`; NULL
        where none has one) and NULL values; a result has ``_fehler`` and ``_hinweis`` NULL. With
        :attr:`ids`, ``_fall`` (the case's id) follows ``_c``."""
        table = self._table(scope)
        con = self.connection
        name = "fehlerzeilen"  # (made of lists at once: row by row, executemany, took ~0.4 ms a row)
        listed_table(con, name, ["_fehler", "_hinweis"], [[e.message for e in self.errors],
                                                          [e.hint for e in self.errors]],
                     [e.index for e in self.errors])
        no_error = [exp.alias_(exp.cast(exp.Null(), "VARCHAR"), column) for column in ("_fehler", "_hinweis")]
        query = exp.Union(
            this=exp.select(exp.Star(), *no_error).from_(table),
            expression=exp.select(exp.Star()).from_(name), distinct=False, by_name=True)
        keys = key_columns(self.model, scope)
        plain = self.ids is numbered or (isinstance(self.ids, FileIds) and self.ids.every_line())
        if self.ids is None or (isinstance(self.ids, FileIds) and not self.ids.known()):
            ordered = exp.select(exp.Star()).from_(query.subquery("u")).order_by(*[exp.column(k) for k in keys])
            return con.sql(ordered.sql("duckdb"))
        ordered = exp.select(exp.column("_c", "u"), exp.alias_(self._ids_of(exp.column("_c", "u"), plain), "_fall"),
                             exp.Column(this=exp.Star(except_=[exp.column("_c")]), table=exp.to_identifier("u"))
                             ).from_(query.subquery("u"))
        if not plain:
            ordered = ordered.join(exp.to_table(_IDS).as_("f"), on=exp.column("_c", "u").eq(exp.column("_c", "f")),
                                   join_type="left")
        return con.sql(ordered.order_by(*[exp.column(k, "u") for k in keys]).sql("duckdb"))

    def _ids_of(self, case: exp.Expr, plain: bool) -> exp.Expr:
        """The id of the case ``case`` (its ``_c``): ``Zeile N`` made in SQL where each case is
        its row or line (``plain``), else read from the table :data:`_IDS` of every case's id,
        made here (once)."""
        if plain:
            return exp.DPipe(this=exp.Literal.string("Zeile "), expression=exp.cast(
                exp.Add(this=case, expression=exp.Literal.number(1)), "VARCHAR"), safe=True)
        if self._ids_made is None:
            assert self.ids is not None
            # (a case file's name may hold a byte that is no UTF-8: written as its escape)
            listed_table(self.connection, _IDS, ["_fall"], [[encodable(i) for i in self.ids(range(self.cases))]])
            self._ids_made = True
        return exp.column("_fall", "f")

    def target(self, path: str | os.PathLike[str], suffixes: Sequence[str], scope: str = "") -> str:
        """``path`` as the name of a file the results of ``scope`` may be written to, ending in one
        of ``suffixes`` (lower case, with the dot): a :class:`~teilhabe_rules.errors.CaseError`
        where it is no file name or ends otherwise, where it is the population's own file
        (:attr:`source`: the results would replace it) or where the batch ran over a shared stage,
        which writes no file; a KeyError (in German) for a scope the model has not."""
        named = file_path(path)
        if named is None:
            raise CaseError(Diagnostic(f"Die Ausgabe {path!r} ist kein Dateiname", code="ausgabe"))
        path = str(named)
        if "\x00" in path or not path.lower().endswith(tuple(suffixes)):
            shown = path.replace("\x00", "\\0")
            listed = "-, ".join(suffixes[:-1]) + "- oder " + suffixes[-1] if len(suffixes) > 1 else suffixes[0]
            hint = ".json, .jsonl und .ndjson: JSON Lines, ein Objekt je Zeile" if ".json" in suffixes else None
            if ".xlsx" not in suffixes and path.lower().endswith(".xlsx"):
                hint = "eine Excel-Mappe schreibt teilhabe_rules.tools.export.write_batch (teilhabe-rules eval-many)"
            raise CaseError(Diagnostic(f"Die Ausgabe „{shown}“ ist keine {listed}-Datei", hint=hint, code="ausgabe"))
        self._table(scope)
        if self.source is not None and same_file(path, self.source):
            raise CaseError(Diagnostic(f"„{path}“ ist die Population selbst: die Ergebnisse würden sie ersetzen",
                                       hint="die Ergebnisse in eine eigene Datei schreiben", code="ausgabe"))
        if self.shared:
            raise CaseError(Diagnostic(
                "Die Ergebnisse eines Laufs über eine geteilte Stufe (SharedStage) liegen in deren Datenbank, die "
                "keine Datei schreibt", hint="die Population für sich auswerten (evaluate_many), um sie zu schreiben",
                code="ausgabe"))
        return path

    def write(self, path: str | os.PathLike[str], scope: str = "") -> int:
        """Results and error rows of ``scope`` to ``path`` (.parquet, .csv, or JSON Lines: .jsonl,
        .ndjson or .json); gives the number of rows written. The file is complete or absent: DuckDB writes into a fresh
        temporary folder of a plain name (a pattern character or ``~`` of ``path`` never reaches
        it), the file is then copied beside ``path`` and renamed to it. A file that cannot be
        written, or one :meth:`target` refuses, is a :class:`~teilhabe_rules.errors.CaseError`;
        DuckDB out of the memory it may use a :class:`~teilhabe_rules.errors.ResourceError`. An Excel
        workbook or a CSV file of German Excel: :func:`teilhabe_rules.tools.export.write_batch`."""
        path = self.target(path, (".parquet", ".csv", ".jsonl", ".ndjson", ".json"), scope)
        lower = path.lower()
        try:
            relation = self.combined(scope)
            with published(path, os.path.splitext(lower)[1]) as written:
                if lower.endswith(".parquet"):
                    relation.write_parquet(written)
                elif lower.endswith(".csv"):
                    relation.write_csv(written)
                else:
                    names = relation.columns
                    with open(written, "w", encoding="utf-8") as handle:
                        for row in relation.fetchall():
                            handle.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False,
                                                    default=_untyped_json))
                            handle.write("\n")
        except duckdb.OutOfMemoryException:
            raise out_of_memory(path) from None
        except (OSError, duckdb.Error) as exc:
            reason = write_problem(exc) if isinstance(exc, OSError) else str(exc).splitlines()[0]
            raise CaseError(Diagnostic(f"„{path}“ lässt sich nicht schreiben: {reason}", code="ausgabe")) from None
        # (every row fetched: a result left unread keeps the connection from any other query)
        counted = self.connection.execute(exp.select(exp.func("count", exp.Star())).from_(self._table(scope))
                                          .sql("duckdb")).fetchall()
        return len(self.errors) + (int(counted[0][0]) if counted else 0)


def _untyped_json(value: Any) -> Any:
    """A value JSON has no type for, as the results' JSON gives it (``json_value``: a number as
    its exact decimal text without exponent, a date as ISO text)."""
    return json_value(value, None)


_EXACT = decimal.Context(prec=200, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


@attrs.frozen
class _StagedInput:
    """How one input of a scope is staged: its key, its column, whether it is a number and then
    its fractional digits and the largest numerator the plan takes (more: the scalar backend)."""

    key: str
    column: str
    number: bool
    digits: int = 0
    limit: int = 0


@attrs.frozen
class Staging:
    """What staging needs of a plan, per scope, worked out once per batch: key columns, inputs,
    the bound of its elements and its lists."""

    keys: dict[str, tuple[str, ...]]
    inputs: dict[str, tuple[_StagedInput, ...]]
    bounds: dict[str, int]
    lists: dict[str, tuple[tuple[str, str], ...]]  # scope → (child scope, its name in a row)


def staging(plan: Plan, model: c.CheckedModel) -> Staging:
    """The staging of ``plan`` (for :func:`stage_case`)."""
    keys: dict[str, tuple[str, ...]] = {}
    inputs: dict[str, tuple[_StagedInput, ...]] = {}
    bounds: dict[str, int] = {}
    lists: dict[str, tuple[tuple[str, str], ...]] = {}
    for sid, spec in model.scopes.items():
        keys[sid] = tuple(key_columns(model, sid))
        bounds[sid] = spec.max_count if spec.max_count is not None else LIST_BOUND
        lists[sid] = tuple((child, model.scopes[child].name) for child in spec.lists)
        staged = []
        for key, (column, spec_in) in plan.inputs[sid].items():
            vtype = spec_in.type
            if vtype.kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL):
                digits = 0 if vtype.integer else IN_SCALE
                limit = _bound_of(vtype) * 10**digits
                staged.append(_StagedInput(key, column, True, digits, limit.numerator // limit.denominator))
            else:
                staged.append(_StagedInput(key, column, False))
        inputs[sid] = tuple(staged)
    return Staging(keys, inputs, bounds, lists)


def _json_value(value: Any, spec: _StagedInput) -> tuple[Any, bool]:
    """A staged input value and whether it fits the plan (an exact numerator within the bound)."""
    if value is None:
        return None, True
    if spec.number:
        if not isinstance(value, Decimal) or not value.is_finite():
            return None, False
        scaled = value.scaleb(spec.digits, context=_EXACT) if spec.digits else value
        if scaled.adjusted() > len(str(spec.limit)) or scaled != scaled.to_integral_value(context=_EXACT):
            return None, False
        numerator = int(scaled)
        if abs(numerator) > spec.limit:
            return None, False
        return str(numerator), True
    if isinstance(value, _dt.date):
        return value.isoformat(), True
    return value, True


class SharedStage:
    """A JSON Lines or Parquet file staged by DuckDB once for the plans of several models with the same
    inputs and staging (:func:`stage_shared`; the two versions of a comparison): each
    :func:`run_batch` given it reads the staged tables, puts its own date in where it has one
    and the stage was made without (``at`` None: each case's own date), and sets aside, for the
    scalar backend, the cases dated outside its own model's validity. The staged tables are
    tables or views of the stage's own database (not files), so a batch given the stage runs in a
    connection of it (:meth:`cursor`). :meth:`close` when every batch is done. ``path``: the
    file (for messages)."""

    def __init__(self, intake: Intake, folder: str, at: _dt.date | None = None, path: Path | None = None):
        self.intake, self.folder, self.at, self.path = intake, folder, at, path

    def one_element_each(self, model: c.CheckedModel, listed: str,
                         bounds: tuple[int, int] = NO_BOUNDS) -> bool | None:
        """Whether every case of the file that can be read, and whose list ``listed`` has a
        length within ``bounds``, has exactly one element in it (a list of the case in
        ``model``, the model the stage was made for), and there is one
        (:meth:`~teilhabe_rules.columnar.intake.Intake.one_element_each`); None: not such a list."""
        spec = model.scopes.get(listed)
        if spec is None or spec.depth != 1 or spec.name != listed:
            return None
        return self.intake.one_element_each(list(model.scopes).index(listed), spec.name, bounds)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new connection to the stage's database, where a batch given the stage runs
        (:func:`run_batch`: its ``connection``, or by default one of these); closed with the
        stage, and with it the batches' results (:attr:`BatchResult.shared`). The database has
        the stage's memory limit (for a JSON Lines file read whole,
        :func:`~teilhabe_rules.duck.reading_whole`) and reads and writes no file but the
        population."""
        return self.intake.cursor()

    @property
    def population_file(self) -> str:
        """The text naming the population file to a connection of the stage (:meth:`cursor`)."""
        return self.intake.population_file

    def rows_file(self) -> tuple[str, str]:
        """The file the stage's database may write besides the staged ones (and the population it
        reads), in the stage's own folder (:data:`~teilhabe_rules.columnar.intake.ROWS_FILE`):
        the text naming it to a connection of the stage (:meth:`cursor`), and its path — for a
        caller that writes a table of its results there (``COPY … TO``) and then publishes the file
        (:func:`~teilhabe_rules.duck.publish`). Removed with the stage."""
        return self.intake.rows_file, os.path.join(self.folder, ROWS_FILE)

    def close(self) -> None:
        self.intake.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _intake(plan: Plan, model: c.CheckedModel, path: Path, at: _dt.date | None, folder: str,
            validity: bool = True, tables: bool = False, begun: Callable[[], object] | None = None,
            rows: int | None = None) -> Intake | None:
    """A JSON Lines or Parquet file staged by DuckDB (:mod:`~teilhabe_rules.columnar.intake`), or
    None: read case by case; ``begun``, ``rows``: see :func:`stage_shared`."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".ndjson", ".parquet"):
        return None
    types = {sid: column_types(plan, model, sid) for sid in model.scopes}
    if suffix == ".parquet":
        return stage_parquet(plan, model, staging(plan, model), types, path, at, folder, validity=validity,
                             tables=tables, begun=begun, rows=rows)
    return stage_jsonl(plan, model, staging(plan, model), types, path, at, folder, validity=validity, tables=tables,
                       begun=begun)


def stage_shared(plan: Plan, model: c.CheckedModel, path: Path, at: _dt.date | None, *,
                 begun: Callable[[], object] | None = None, rows: int | None = None) -> SharedStage | None:
    """The JSON Lines or Parquet file ``path`` staged for ``plan`` without the check of the
    model's validity (:func:`~teilhabe_rules.columnar.intake.stage_jsonl`,
    :func:`~teilhabe_rules.columnar.intake.stage_parquet`), to be given to :func:`run_batch` of
    every plan that stages alike (:func:`stages_alike`: the same scopes, :func:`staging`,
    :func:`column_types` and reading of the case's date) and has the date
    ``at`` — or, for ``at`` None (each case's own date), with any date; None where the file is to
    be read case by case. ``begun``: called once the staging's statements are built, before
    DuckDB runs them — Python is then free for other work (where the file is read case by case,
    it may not be called). ``rows``: of a Parquet file whose key the caller has checked
    (:func:`~teilhabe_rules.columnar.intake.parquet_cases`), its number of rows — the key is then
    not checked again."""
    folder = tempfile.mkdtemp(prefix="teilhabe-columnar-")
    try:
        intake = _intake(plan, model, path, at, folder, validity=False, tables=True, begun=begun, rows=rows)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if intake is None:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return SharedStage(intake, folder, at, path)


def _sees(con: duckdb.DuckDBPyConnection, table: exp.Table) -> bool:
    """Whether ``con``'s catalog lists ``table`` — a table or a view — (by its database's name, its
    schema and its name: a stage's tables have names of their own, so only a connection of the
    stage's database finds them)."""
    found = exp.select(exp.func("count", exp.Star())).from_("information_schema.tables").where(exp.and_(
        exp.column("table_catalog").eq(exp.Literal.string(table.catalog)),
        exp.column("table_schema").eq(exp.Literal.string(table.db)),
        exp.column("table_name").eq(exp.Literal.string(table.name))))
    row = con.execute(found.sql("duckdb")).fetchone()
    return row is not None and int(row[0]) > 0


def _outside_validity(con: duckdb.DuckDBPyConnection, plan: Plan, model: c.CheckedModel) -> list[int]:
    """The staged cases dated outside the model's validity, taken out of the staged tables."""
    within = within_validity(model.info, exp.column("_date"))
    if within is None:
        return []
    con.execute(exp.Drop(tables=[exp.to_table("ausserhalb")], kind="TABLE", exists=True).sql("duckdb"))
    con.execute(exp.Create(this=exp.to_table("ausserhalb"), kind="TABLE", expression=exp.select("_c").from_(
        plan.staged[""]).where(exp.not_(within)), properties=exp.Properties(
        expressions=[exp.TemporaryProperty()])).sql("duckdb"))
    found = [int(row[0]) for row in con.execute(exp.select("_c").from_("ausserhalb").order_by("_c").sql(
        "duckdb")).fetchall()]
    if found:
        for sid in model.scopes:
            _materialized(con, plan.staged[sid])
            con.execute(exp.delete(plan.staged[sid], where=exp.column("_c").isin(
                query=exp.select("_c").from_("ausserhalb"))).sql("duckdb"))
    con.execute(exp.Drop(tables=[exp.to_table("ausserhalb")], kind="TABLE").sql("duckdb"))
    return found


def run_batch(plan: Plan | None, model: c.CheckedModel, cases: Iterable[Any], loader: CaseLoader,
              scalar: Callable[[int, Any], ScalarOutcome], *, at: _dt.date | None = None,
              note: str | None = None, connection: duckdb.DuckDBPyConnection | None = None,
              progress: Callable[[int, int], None] | None = None,
              keep: Mapping[str, Collection[str]] | None = None,
              certain: Callable[[int, tuple[str, str] | None], ScalarOutcome | None] | None = None,
              base_dir: Path | None = None) -> BatchResult:
    """Evaluate ``cases`` (see the module docstring). ``plan`` None: every case by ``scalar``
    (``note`` says why, in one line). ``cases`` may be a :class:`SharedStage` (with a plan).
    ``base_dir``: where the element files named by cases given as mappings are read from and
    confined to (a case file's: its own folder, :func:`~teilhabe_rules.columnar.sources.case_folder`);
    None: :func:`~teilhabe_rules.columnar.sources.element_folder` of ``cases`` — ``scalar``
    must read them from the same place.
    ``keep``: per scope the keys of the values the result tables hold (None: all; see
    :func:`execute_plan`). ``certain``: where given, it is asked of each case that certainly
    fails — a ``prüfung`` of its tree exactly false, nothing else of it in doubt (``_sicher``, see
    :func:`execute_plan`) — with the problem as the scalar backend reports it (message, ``$.path``)
    where the plan words it (the case has one failure and each value in its message is worded
    exactly, see :data:`~teilhabe_rules.columnar.plan.FAILURE_COLUMNS`), else None. What it gives is the
    case's error row, and the case is not read again nor evaluated; None: the scalar backend
    evaluates it (``compare`` counts such cases without their messages; its rows per case take
    the plan's message). Given a :class:`SharedStage`, ``connection`` must be one of its
    :meth:`~SharedStage.cursor` (None: a new one). DuckDB running out of the memory it may use is
    :class:`~teilhabe_rules.errors.ResourceError`."""
    if connection is not None:
        con = connection
    elif isinstance(cases, SharedStage):
        con = cases.cursor()
    else:
        con = connect()
    try:
        return _run_batch(plan, model, cases, loader, scalar, at, note, con, progress, keep, certain, base_dir)
    except duckdb.OutOfMemoryException:
        if connection is None:  # (the error would hold it, and its memory, as long as it lives)
            con.close()
        where = cases.path if isinstance(cases, (PopulationFile, SharedStage)) else None
        raise out_of_memory(where if where is not None else "Population") from None


def _run_batch(plan: Plan | None, model: c.CheckedModel, cases: Iterable[Any], loader: CaseLoader,
               scalar: Callable[[int, Any], ScalarOutcome], at: _dt.date | None, note: str | None,
               con: duckdb.DuckDBPyConnection, progress: Callable[[int, int], None] | None,
               keep: Mapping[str, Collection[str]] | None,
               certain: Callable[[int, tuple[str, str] | None], ScalarOutcome | None] | None = None,
               base_dir: Path | None = None) -> BatchResult:
    notes = [note] if note else []
    scopes = list(model.scopes)
    folder = tempfile.mkdtemp(prefix="teilhabe-columnar-")
    direct: list[tuple[int, Any]] = []
    how = staging(plan, model) if plan is not None else None
    kept: dict[int, Mapping[str, Any]] = {}
    count = 0
    intake: Intake | None = None
    tables: dict[str, str] = {}
    flagged: list[int] = []
    sure: dict[int, ScalarOutcome] = {}  # flagged cases that certainly fail, and their error (``certain``)
    shared = cases if isinstance(cases, SharedStage) else None
    if shared is not None and plan is None:
        raise ValueError("run_batch: a SharedStage needs a plan")
    if shared is not None and shared.at is not None and shared.at != at:
        raise ValueError("run_batch: a SharedStage staged for another date")
    try:
        if shared is not None:
            intake = shared.intake
        elif plan is not None and isinstance(cases, PopulationFile):
            intake = _intake(plan, model, cases.path, at, folder)
        if intake is not None:
            count, direct = intake.count, list(intake.slow)
        else:
            count = _stage_cases(plan, model, cases, loader, at, how, folder, direct, kept,
                                 base_dir if base_dir is not None else element_folder(cases))
        if plan is not None:
            if shared is not None and shared.intake.tables is not None:
                if not _sees(con, shared.intake.tables[0]):
                    raise ValueError("run_batch: a SharedStage's batch runs in a connection of its own "
                                     "(SharedStage.cursor())")
                # this batch's date where the stage was made without one, not the case's own
                load_staged(con, plan, model, shared.folder, shared.intake.tables,
                            at if at is not None and shared.at is None else None)
            else:
                load_staged(con, plan, model, shared.folder if shared is not None else folder)
            if shared is not None:
                direct += sorted(shared.intake.cases(_outside_validity(con, plan, model)).items())
            tables = execute_plan(con, plan, model, keep, certain=certain is not None)
            if shared is not None and shared.intake.tables is not None:
                for sid in scopes:  # (views of the stage, or what became of them: done with)
                    _drop(con, plan.staged[sid])
            flagged = [int(r[0]) for r in con.execute(
                exp.select("_c").from_(tables[""]).where(exp.column("_skalar")).sql("duckdb")).fetchall()]
            if certain is not None:
                failures, message, path = FAILURE_COLUMNS
                one = exp.EQ(this=exp.column(failures), expression=exp.Literal.number(1))
                worded = exp.select("_c", exp.Case().when(one, exp.column(message)).else_(exp.Null()),
                                    exp.column(path)).from_(tables[""]).where(exp.column("_sicher"))
                for number, text, where in con.execute(worded.sql("duckdb")).fetchall():
                    outcome = certain(int(number), (str(text), str(where)) if text is not None else None)
                    if outcome is not None:
                        sure[int(number)] = outcome
                for column in ("_sicher", *FAILURE_COLUMNS):
                    _drop_column(con, tables[""], column)
        else:
            tables = _empty_outputs(con, model)
        if intake is not None:
            kept = intake.cases([index for index in flagged if index not in sure])
    finally:
        if intake is not None and shared is None:
            intake.close()
        shutil.rmtree(folder, ignore_errors=True)
    if flagged:  # the flagged cases' rows, by the flag (a list of their numbers in the statement: ~0.3 s per
        # table at 1,000,000 cases, most of it in making and parsing the statement); the case's table last
        marked = exp.select("_c").from_(tables[""]).where(exp.column("_skalar"))
        for sid in scopes:
            if sid:
                con.execute(exp.delete(tables[sid], where=exp.column("_c").isin(query=marked.copy())).sql("duckdb"))
        con.execute(exp.delete(tables[""], where=exp.column("_skalar")).sql("duckdb"))
    todo = sorted(direct + [(i, kept[i]) for i in flagged if i not in sure])
    if progress is not None:  # the plan's cases are done: only the scalar backend's are still to come
        progress(count - len(todo), count)
    errors: list[ErrorRow] = []
    result_columns = {sid: list(con.table(tables[sid]).columns) for sid in model.scopes}
    limits = {sid: _decimal_limits(con.table(tables[sid])) for sid in model.scopes}
    inserts: dict[str, list[list[Any]]] = {sid: [] for sid in model.scopes}
    for index in sorted(sure):
        errors.append(ErrorRow(index, sure[index].problems, sure[index].hints))
    for done, (index, data) in enumerate(todo):
        outcome = scalar(index, data)
        if outcome.frame is None:
            errors.append(ErrorRow(index, outcome.problems, outcome.hints))
        else:
            misfit = _misfit(limits, outcome.frame) or _unencodable(result_columns, outcome.frame)
            if misfit is not None:
                errors.append(ErrorRow(index, (misfit,)))
            else:
                _frame_rows(model, result_columns, inserts, index, outcome.frame)
        if progress is not None:
            progress(count - len(todo) + done + 1, count)
    for index, problem in _widened(con, tables, result_columns, limits, inserts):
        errors.append(ErrorRow(index, (problem,)))
    for sid, pending in inserts.items():
        if pending:
            _insert_rows(con, tables[sid], result_columns[sid], pending)
    if plan is not None and todo:
        notes.append(f"{len(todo)} von {counted(count, 'Fall', 'Fällen')} mit dem skalaren Backend ausgewertet "
                     f"({len(direct)} bei der Eingabeprüfung, {len(flagged) - len(sure)} aus dem Plan)")
    if sure:
        notes.append(f"{len(sure)} von {counted(count, 'Fall', 'Fällen')} nach dem Plan sicher fehlerhaft (eine "
                     f"Prüfung schlägt fehl), nicht einzeln ausgewertet")
    errors.sort(key=lambda e: e.index)
    return BatchResult(con, model, tables, errors, count, len(todo), notes, shared=shared is not None)


def _stage_cases(plan: Plan | None, model: c.CheckedModel, cases: Iterable[Any], loader: CaseLoader,
                 at: _dt.date | None, how: Staging | None, folder: str, direct: list[tuple[int, Any]],
                 kept: dict[int, Mapping[str, Any]], base_dir: Path | None = None) -> int:
    """Stage ``cases`` one by one (:func:`stage_case`) into ``in<n>.jsonl`` of ``folder``; a case
    not staged goes to ``direct``, a staged one's data to ``kept``. Gives the number of cases.
    ``base_dir``: where the cases' element files are read from (:func:`element_folder`; a case
    file's: its own folder, :func:`case_folder`)."""
    scopes = list(model.scopes)
    files = {sid: open(os.path.join(folder, f"in{n}.jsonl"), "w", encoding="utf-8")  # noqa: SIM115
             for n, sid in enumerate(scopes)}
    count = 0
    try:
        for index, data in enumerate(cases):
            count += 1
            if plan is None:
                direct.append((index, data))
                continue
            rows = (stage_case(plan, model, loader, index, data, at, how, case_folder(data, base_dir))
                    if isinstance(data, Mapping) else None)
            if rows is not None and not all(_encodable(line) for lines in rows.values() for line in lines):
                rows = None  # a text that is no Unicode (a lone surrogate): the scalar backend takes it
            if rows is None:
                direct.append((index, data))
                continue
            kept[index] = data
            for sid, lines in rows.items():
                for line in lines:
                    files[sid].write(line)
                    files[sid].write("\n")
    finally:
        for handle in files.values():
            handle.close()
    return count


def _encodable(line: str) -> bool:
    """Whether ``line`` can be written as UTF-8 (a lone surrogate, ``"\\ud800"`` read from JSON, cannot)."""
    if line.isascii():
        return True
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def stage_case(plan: Plan, model: c.CheckedModel, loader: CaseLoader, index: int, data: Mapping[str, Any],
               at: _dt.date | None, how: Staging | None = None,
               base_dir: Path | None = None) -> dict[str, list[str]] | None:
    """The staged JSON lines of one case per scope (for :func:`load_staged`), or None: the case goes
    to the scalar backend. ``how``: :func:`staging` of the plan (worked out here if None);
    ``base_dir``: where its element files are read from (None: the working directory)."""
    try:
        case = loader.load(data, base_dir=base_dir)
    except TeilhabeError:
        return None
    info = model.info
    date = at
    if date is None and info.reference_date is not None:
        date = case.row.get(".".join(info.reference_date))
    if date is not None and (info.valid_from is not None and date < info.valid_from
                             or info.valid_to is not None and date > info.valid_to):
        return None
    if date is None and plan.reads_date:
        return None
    out: dict[str, list[str]] = {sid: [] for sid in model.scopes}
    ok = _stage_rows(how or staging(plan, model), "", [case.row], (index,), out, date)
    return out if ok else None


def _stage_rows(how: Staging, scope: str, rows: Sequence[Mapping[str, Any]], keys: tuple[int, ...],
                out: dict[str, list[str]], date: _dt.date | None) -> bool:
    if scope and len(rows) > how.bounds[scope]:
        return False
    names = how.keys[scope]
    lines = out[scope]
    for position, row in enumerate(rows, start=1):
        own = keys if not scope else (*keys, position)
        record: dict[str, Any] = dict(zip(names, own, strict=True))
        for spec in how.inputs[scope]:
            value, fits = _json_value(row.get(spec.key), spec)
            if not fits:
                return False
            record[spec.column] = value
        if not scope:
            record["_date"] = date.isoformat() if date is not None else None
        try:
            lines.append(json.dumps(record, ensure_ascii=False))
        except (TypeError, ValueError):  # a value of a type JSON has no form for: the scalar backend
            return False                 # takes the case (a batch never stops at one case)
        for child, name in how.lists[scope]:
            if not _stage_rows(how, child, row.get(name) or [], own, out, date):
                return False
    return True


def _bound_of(vtype: c.ValueType) -> Fraction:
    from .plan import IN_BOUND

    if vtype.choices:
        return max(abs(Fraction(x)) for x in vtype.choices)
    if vtype.low is not None and vtype.high is not None:
        return max(abs(Fraction(vtype.low)), abs(Fraction(vtype.high)))
    return IN_BOUND


def column_types(plan: Plan, model: c.CheckedModel, scope: str) -> dict[str, str]:
    """The column types (DuckDB's names) of ``scope``'s staged table: keys, inputs (numbers as
    integer numerators), ``_date`` for the cases."""
    types = {k: "BIGINT" if k == "_c" else "INTEGER" for k in key_columns(model, scope)}
    for column, spec in plan.inputs[scope].values():
        if spec.type.kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL):
            # a staged numerator is within the input's bound (else the case went to the scalar backend)
            digits = 0 if spec.type.integer else IN_SCALE
            types[column] = int_type(_bound_of(spec.type) * 10**digits + 1).sql("duckdb")
        else:
            types[column] = other_type(spec.type).sql("duckdb")
    if not scope:
        types["_date"] = "DATE"
    return types


def stages_alike(a: Plan, model_a: c.CheckedModel, b: Plan, model_b: c.CheckedModel) -> bool:
    """Whether a stage made for plan ``a`` of ``model_a`` (:func:`stage_shared`) is one for plan
    ``b`` of ``model_b`` too: the same scopes, :func:`staging` and :func:`column_types`, and both
    or neither reading the case's date (the stage then holds only cases that have one)."""
    return (a.reads_date == b.reads_date and list(model_a.scopes) == list(model_b.scopes)
            and staging(a, model_a) == staging(b, model_b)
            and all(column_types(a, model_a, sid) == column_types(b, model_b, sid) for sid in model_a.scopes))


def load_staged(con: duckdb.DuckDBPyConnection, plan: Plan, model: c.CheckedModel, folder: str,
                tables: Sequence[exp.Table] | None = None, at: _dt.date | None = None) -> None:
    """The staged tables of the plan from ``folder``: ``in<n>.parquet`` per scope, in the order of
    the model's scopes (as :func:`~teilhabe_rules.columnar.intake.stage_jsonl` writes them), else
    ``in<n>.jsonl`` (as :func:`stage_case` writes their lines) — or, given ``tables`` (one per
    scope, in that order: :attr:`~teilhabe_rules.columnar.intake.Intake.tables`, of ``con``'s
    database, with the staged tables' columns and types), temporary views of those tables, not
    copies (a batch that changes one's rows makes it a table of its own first:
    :func:`_materialized`), the cases' date ``at`` where given."""
    for n, sid in enumerate(model.scopes):
        types = column_types(plan, model, sid)
        table = plan.staged[sid]
        _drop(con, table)
        if tables is not None:
            date = exp.cast(exp.Literal.string(at.isoformat()), "DATE") if at is not None and not sid else None
            view = exp.select(*[exp.alias_(date.copy(), name) if date is not None and name == "_date"
                                else exp.column(name) for name in types]).from_(tables[n].copy())
            con.execute(exp.Create(this=exp.to_table(table), kind="VIEW", expression=view, properties=exp.Properties(
                expressions=[exp.TemporaryProperty()])).sql("duckdb"))
            continue
        create = exp.Create(this=exp.Schema(this=exp.to_table(table), expressions=[
            exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build(kind, dialect="duckdb"))
            for name, kind in types.items()]), kind="TABLE", properties=exp.Properties(
            expressions=[exp.TemporaryProperty()]))
        con.execute(create.sql("duckdb"))
        parquet = os.path.join(folder, f"in{n}.parquet")
        if os.path.exists(parquet):
            con.execute(exp.insert(exp.select(exp.Star()).from_(exp.Table(this=exp.Anonymous(
                this="read_parquet", expressions=[exp.Placeholder()]))), table).sql("duckdb"), [parquet])
            continue
        path = os.path.join(folder, f"in{n}.jsonl")
        if os.path.getsize(path):
            con.read_json(path, columns=types, format="newline_delimited").insert_into(table)


def execute_plan(con: duckdb.DuckDBPyConnection, plan: Plan, model: c.CheckedModel,
                 keep: Mapping[str, Collection[str]] | None = None, *, certain: bool = False) -> dict[str, str]:
    """Run the plan over its staged tables. Where the plan has a ``single`` variant (a list held in
    the case's row), the cases with exactly one element of that list are moved to the variant's
    staged tables and computed by it — without a join or grouping per step — the others by the
    plan; their results are put together (a column whose types differ: the larger number of
    fractional digits; a value that does not fit flags its case). A case is then flagged where any
    of its elements is, and its warnings are those of all its elements: one grouped update per
    list scope, touching only the cases concerned. Gives the result table per scope (keys,
    ``_skalar``, for the cases ``_warnungen``, then the values by their keys — ``keep``: only
    those named per scope; every value is still computed, as a fault in any flags its case, but
    the others are not converted to their result type). ``certain``: the case's table holds
    ``_sicher`` too, after ``_warnungen``: the case is flagged only because a ``prüfung`` of its
    tree is exactly false, with nothing in doubt (a fault, a value near a boundary within its
    error) anywhere in it — it certainly fails in the scalar backend — and the
    :data:`~teilhabe_rules.columnar.plan.FAILURE_COLUMNS` summed over its tree (the number of
    failures; a message and path where one is worded)."""
    single = plan.single
    taken = 0
    chains = _Chains(con)
    if single is not None:
        listed = next(iter(single.merged))
        cases = _count(con, plan.staged[""])
        figures = exp.select(exp.func("count", exp.Star()), exp.func("coalesce", exp.func("max", exp.column("_i1")),
                                                                     exp.Literal.number(0)))
        found = con.execute(figures.from_(exp.to_table(plan.staged[listed])).sql("duckdb")).fetchone()
        elements, last = found if found is not None else (0, 0)
        if cases and int(elements) == cases and int(last) == 1:
            # every case's one element (as many elements as cases, each its case's first): every
            # case is the variant's, without grouping the elements by their case
            taken = cases
        else:
            ones = (exp.select(exp.column("_c")).from_(exp.to_table(plan.staged[listed])).group_by(exp.column("_c"))
                    .having(exp.EQ(this=exp.func("count_star"), expression=exp.Literal.number(1))))
            con.execute(exp.Create(this=exp.to_table(_SINGLE), kind="TABLE", expression=ones, replace=True,
                                   properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
            taken = _count(con, _SINGLE)
    if single is None or not taken:
        if single is not None:
            con.execute(exp.Drop(tables=[exp.to_table(_SINGLE)], kind="TABLE", exists=True).sql("duckdb"))
        tables = _results(con, plan, model, "ergebnis", frozenset(), keep, chains)
    else:
        assert single is not None
        chosen = exp.column("_c").isin(query=exp.select(exp.column("_c")).from_(exp.to_table(_SINGLE)))
        for sid in model.scopes:
            if taken == cases:  # every case: the tables become the variant's, the plan's are left empty
                _renamed(con, plan.staged[sid], single.staged[sid])
                empty = exp.select(exp.Star()).from_(exp.to_table(single.staged[sid])).limit(0)
                con.execute(exp.Create(this=exp.to_table(plan.staged[sid]), kind="TABLE", expression=empty,
                                       properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
                continue
            moved = exp.select(exp.Star()).from_(exp.to_table(plan.staged[sid])).where(chosen.copy())
            con.execute(exp.Create(this=exp.to_table(single.staged[sid]), kind="TABLE", expression=moved,
                                   replace=True, properties=exp.Properties(
                                       expressions=[exp.TemporaryProperty()])).sql("duckdb"))
            _materialized(con, plan.staged[sid])
            con.execute(exp.delete(plan.staged[sid], where=chosen.copy()).sql("duckdb"))
        # the variant's merged rows streamed once into every scope's results, or made a table once
        merged = _merged_results(con, single, model, "einzeln", keep, chains)
        if merged is not None:
            ones_tables = merged
        else:
            for step in single.shared.values():
                chains.run(*_kept_statement(single, ("geteilt", step),
                                            functools.partial(_shared_statement, single, step)))
            ones_tables = _results(con, single, model, "einzeln", frozenset(single.shared.values()), keep, chains)
            for step in single.shared.values():
                con.execute(exp.Drop(tables=[exp.to_table(step)], kind="TABLE", exists=True).sql("duckdb"))
        for table in [*single.staged.values(), _SINGLE]:
            _drop(con, table)
        if _count(con, plan.staged[""]):
            rest = _results(con, plan, model, "rest", frozenset(), keep, chains)
            tables = {sid: _together(con, f"ergebnis_{n}", rest[sid], ones_tables[sid])
                      for n, sid in enumerate(model.scopes)}
        else:
            tables = {sid: _renamed(con, ones_tables[sid], f"ergebnis_{n}") for n, sid in enumerate(model.scopes)}
    lists = [sid for sid in model.scopes if sid]
    for sid in lists:
        child = tables[sid]
        # the elements flagged or warned only (the others add nothing to the three figures): no
        # grouping of every element
        concerned = exp.Or(this=exp.column("_skalar"),
                           expression=exp.GT(this=exp.column("_warnungen"), expression=exp.Literal.number(0)))
        # _o: an element flagged for anything but a prüfung exactly false
        doubt = exp.and_(exp.column("_skalar"), exp.not_(exp.column("_sicher")))
        count, message, path = FAILURE_COLUMNS
        summary = (exp.select(exp.column("_c"), exp.alias_(exp.func("bool_or", exp.column("_skalar")), "_f"),
                              exp.alias_(exp.func("sum", exp.column("_warnungen")), "_w"),
                              exp.alias_(exp.func("bool_or", doubt), "_o"),
                              exp.alias_(exp.func("sum", exp.column(count)), "_z"),
                              exp.alias_(exp.func("max", exp.column(message)), "_m"),
                              exp.alias_(exp.func("max", exp.column(path)), "_q"))
                   .from_(exp.to_table(child)).where(concerned).group_by(exp.column("_c")))
        case = tables[""]
        sure = exp.and_(exp.or_(exp.column("_skalar", case), exp.column("_f", "f")),
                        exp.or_(exp.not_(exp.column("_skalar", case)), exp.column("_sicher", case)),
                        exp.not_(exp.column("_o", "f")))
        con.execute(exp.Update(
            this=exp.to_table(tables[""]),
            expressions=[
                exp.EQ(this=exp.column("_skalar"), expression=exp.Or(
                    this=exp.column("_skalar", tables[""]), expression=exp.column("_f", "f"))),
                exp.EQ(this=exp.column("_warnungen"), expression=exp.Cast(this=exp.Add(
                    this=exp.column("_warnungen", tables[""]), expression=exp.column("_w", "f")),
                    to=exp.DataType.build("INTEGER"))),
                exp.EQ(this=exp.column("_sicher"), expression=sure),
                # (a message and path are read only of a case whose tree has one failure: the
                # largest of those of its elements is then the one)
                exp.EQ(this=exp.column(count), expression=exp.Cast(this=exp.Add(
                    this=exp.column(count, tables[""]), expression=exp.column("_z", "f")),
                    to=exp.DataType.build("INTEGER"))),
                exp.EQ(this=exp.column(message), expression=exp.func(
                    "coalesce", exp.column(message, tables[""]), exp.column("_m", "f"))),
                exp.EQ(this=exp.column(path), expression=exp.func(
                    "coalesce", exp.column(path, tables[""]), exp.column("_q", "f")))],
            from_=exp.From(this=summary.subquery("f")),
            where=exp.Where(this=exp.EQ(this=exp.column("_c", tables[""]), expression=exp.column("_c", "f"))),
        ).sql("duckdb"))
        for column in ("_warnungen", "_sicher", *FAILURE_COLUMNS):
            _drop_column(con, child, column)
    if not certain:
        for column in ("_sicher", *FAILURE_COLUMNS):
            _drop_column(con, tables[""], column)
    return tables


def _drop_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    con.execute(exp.Alter(this=exp.to_table(table), kind="TABLE", actions=[
        exp.Drop(tables=[exp.column(column)], kind="COLUMN")]).sql("duckdb"))


_SINGLE = "_einzeln"  # the cases a plan's single variant computes


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(exp.select(exp.func("count_star")).from_(exp.to_table(table)).sql("duckdb")).fetchone()
    return int(row[0]) if row else 0


def _results(con: duckdb.DuckDBPyConnection, plan: Plan, model: c.CheckedModel, prefix: str,
             done: frozenset[str], keep: Mapping[str, Collection[str]] | None, chains: _Chains) -> dict[str, str]:
    """Each scope's results as one ``CREATE TABLE … AS`` of the whole chain of steps it needs,
    written as CTEs (DuckDB materializes a CTE read more than once and streams the others, so no
    wide state is ever copied into a table of its own; ``done``: steps that are tables already;
    ``keep``: see :func:`execute_plan`)."""
    tables: dict[str, str] = {}
    for number, sid in enumerate(model.scopes):
        name = f"{prefix}_{number}"
        tables[sid] = name
        con.execute(exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True).sql("duckdb"))
        chains.run(*_kept_statement(plan, ("ergebnis", name, sid, done, _keep_key(keep)), functools.partial(
            _result_statement, plan, model, sid, name, done, keep)))
    return tables


def _result_statement(plan: Plan, model: c.CheckedModel, sid: str, name: str, done: frozenset[str],
                      keep: Mapping[str, Collection[str]] | None) -> exp.Create:
    """The statement creating scope ``sid``'s result table ``name`` (see :func:`_results`)."""
    return _temporary(name, plan.with_steps(_result_body(plan, model, sid, keep), done))


def _temporary(name: str, query: exp.Select) -> exp.Create:
    return exp.Create(this=exp.to_table(name), kind="TABLE", expression=query,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


def _keep_key(keep: Mapping[str, Collection[str]] | None) -> tuple[Any, ...] | None:
    """``keep`` (see :func:`execute_plan`) as a key of a memo."""
    return None if keep is None else tuple(sorted((sid, tuple(sorted(keys))) for sid, keys in keep.items()))


_T = TypeVar("_T")

_STATEMENTS: dict[int, tuple[weakref.ref[Plan], dict[tuple[Any, ...], tuple[exp.Expr, str]]]] = {}
""":func:`_kept_statement` of each plan alive (by its ``id``; the plan's own weak reference tells it
is that plan, and takes the entry away with the plan)."""
_STATEMENTS_LOCK = threading.Lock()


def _forget(memo: dict[int, Any], number: int, _gone: Any) -> None:
    """Take the entry ``number`` out of ``memo`` (a weak reference's callback: its plan is gone)."""
    memo.pop(number, None)


def _kept_statement(plan: Plan, key: tuple[Any, ...], build: Callable[[], exp.Expr]) -> tuple[exp.Expr, str]:
    """The statement ``build`` makes for ``plan`` and ``key`` (a result table's ``CREATE`` of its
    chain of steps) and its text without ``TRY`` (:class:`_Chains`) — built once per plan and key:
    generating the text of MAWo's result statements took ~0.5 s of every batch, a small one's most.
    Neither is changed by running it (the text is generated without copying, changing nothing:
    :func:`_chain_sql`)."""

    def built() -> tuple[exp.Expr, str]:
        statement = build()
        return statement, _chain_sql(statement, guarded=False)

    return _per_plan(_STATEMENTS, _STATEMENTS_LOCK, plan, key, built)


def _per_plan(memo: dict[int, tuple[weakref.ref[Plan], dict[Any, Any]]], lock: threading.Lock, plan: Plan,
              key: Any, build: Callable[[], _T]) -> _T:
    """What ``build`` gives for ``plan`` and ``key``, kept in ``memo`` while the plan lives (by its
    ``id``; the plan's own weak reference tells it is that plan, and takes the entry away with
    it). Built outside ``lock``: concurrent first uses may build it twice, either is the same."""
    with lock:
        entry = memo.get(id(plan))
        if entry is not None and entry[0]() is plan and key in entry[1]:
            return cast(_T, entry[1][key])
    built = build()
    with lock:
        entry = memo.get(id(plan))
        if entry is None or entry[0]() is not plan:
            number = id(plan)
            # (the callback holds the dict itself: at the interpreter's exit the module's names are None)
            entry = (weakref.ref(plan, functools.partial(_forget, memo, number)), {})
            memo[number] = entry
        return cast(_T, entry[1].setdefault(key, built))


def _result_body(plan: Plan, model: c.CheckedModel, sid: str,
                 keep: Mapping[str, Collection[str]] | None) -> exp.Select:
    """The query of scope ``sid``'s result table from the step it reads (``keep``: see
    :func:`execute_plan`): keys, ``_skalar``, ``_warnungen``, ``_sicher``, the
    :data:`~teilhabe_rules.columnar.plan.FAILURE_COLUMNS`, the values."""
    warnings = exp.alias_(exp.Cast(this=exp.column("_warnungen", "t"), to=exp.DataType.build("INTEGER")),
                          "_warnungen")
    keys = [exp.column(k, "t") for k in key_columns(model, sid)]
    if keep is None:
        return exp.select(*keys, exp.alias_(exp.column("_flag", "t"), "_skalar"), warnings,
                          exp.alias_(exp.column("_sicher", "t"), "_sicher"),
                          *[exp.column(name, "t") for name in FAILURE_COLUMNS],
                          *[exp.alias_(exp.column(o.key, "t", quoted=True), o.key, quoted=True)
                            for o in plan.outputs[sid]]).from_(exp.to_table(plan.final[sid]).as_("t"))
    # from the step converting the values: the ones not kept are never converted
    wanted = [o for o in plan.outputs[sid] if o.key in keep.get(sid, ())]
    missing = sorted(set(keep.get(sid, ())) - {o.key for o in wanted})
    if missing:  # (a plan compiled for other values leaves some out: Model.columnar_plan(wanted=…))
        raise ValueError(f"keep: the plan computes no value {', '.join(missing)} of scope {sid!r}")
    steps = {step.name: step for step in plan.steps}
    # (from the step before the last: its _flag is the doubt alone, _fehler a prüfung exactly false)
    unsure = exp.or_(exp.column("_flag", "t"), *[exp.Is(this=exp.column(o.sql.name, "t"),
                                                         expression=exp.Null()) for o in wanted])
    flag = exp.or_(unsure, exp.column("_fehler", "t"))
    sure = exp.and_(exp.column("_fehler", "t"), exp.not_(unsure.copy()))
    return exp.select(*keys, exp.alias_(flag, "_skalar"), warnings, exp.alias_(sure, "_sicher"),
                      *[exp.column(name, "t") for name in FAILURE_COLUMNS],
                      *[exp.alias_(exp.column(o.sql.name, "t"), o.key, quoted=True) for o in wanted]
                      ).from_(exp.to_table(steps[plan.final[sid]].reads[0]).as_("t"))


def _merged_results(con: duckdb.DuckDBPyConnection, plan: Plan, model: c.CheckedModel, prefix: str,
                    keep: Mapping[str, Collection[str]] | None, chains: _Chains) -> dict[str, str] | None:
    """Each scope's results (as :func:`_results` gives them) for a plan whose one ``shared`` step
    (the merged rows of a ``single`` variant) every scope reading it reads through projections
    alone (a ``SELECT`` of ``t``'s columns ``FROM step AS t``): those projections computed side by
    side in ONE statement from the step, into one table whose columns are split into the scopes'
    tables — so the step, the widest state of the plan, is streamed once rather than written as a
    table (1,000,000 MAWo persons: 175 columns, 1.3 GB) and read by each scope. None where the
    plan is not of that form (its shared step is then made a table: :func:`execute_plan`), or
    where those scopes keep more than a third of their values (``keep``): the step holds every
    value of theirs, as each is checked, mostly as 64-bit numerators, and a kept one is converted
    to a 128-bit DECIMAL — a table of all of them is wider than the step (1,000,000 MAWo persons
    on 2 threads: every value kept, 11.8 s against 8.6 s; the levels and the budget kept, as
    ``compare --werte keine`` keeps them, 3.8–4.2 s against 7.3 s, which spilled to disk; the 32
    of 127 values ``compare`` keeps by default, both versions side by side, 8.0 s against 11.7 s)."""
    found = _merged(plan, model, prefix, keep)
    if found is None:
        return None
    tables = {sid: f"{prefix}_{number}" for number, sid in enumerate(model.scopes)}
    number_of = {sid: number for number, sid in enumerate(model.scopes)}
    for sid in model.scopes:
        if sid not in found.merged:
            con.execute(exp.Drop(tables=[exp.to_table(tables[sid])], kind="TABLE", exists=True).sql("duckdb"))
            chains.run(*_kept_statement(plan, ("getrennt", tables[sid], sid, _keep_key(keep)), functools.partial(
                _apart_statement, plan, found.bodies[sid], tables[sid])))
    together = f"{prefix}_gemeinsam"
    con.execute(exp.Drop(tables=[exp.to_table(together)], kind="TABLE", exists=True).sql("duckdb"))
    chains.run(found.statement, found.text)
    for sid in found.merged:
        names = [item.alias_or_name for item in found.bodies[sid].expressions]
        split = exp.select(*[exp.alias_(exp.column(f"_{number_of[sid]}_{place}", quoted=True), name, quoted=True)
                             for place, name in enumerate(names)]).from_(exp.to_table(together))
        con.execute(exp.Drop(tables=[exp.to_table(tables[sid])], kind="TABLE", exists=True).sql("duckdb"))
        con.execute(exp.Create(this=exp.to_table(tables[sid]), kind="TABLE", expression=split,
                               properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
    con.execute(exp.Drop(tables=[exp.to_table(together)], kind="TABLE", exists=True).sql("duckdb"))
    return tables


def _shared_statement(plan: Plan, step: str) -> exp.Create:
    """The statement making the shared ``step`` of ``plan`` (a ``single`` variant) a table of its own."""
    body = exp.select(exp.Star()).from_(exp.to_table(step))
    return exp.Create(this=exp.to_table(step), kind="TABLE", expression=plan.with_steps(body), replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


def _apart_statement(plan: Plan, body: exp.Select, name: str) -> exp.Create:
    """The statement creating the result table ``name`` of a scope that :func:`_merged_results`
    computes on its own, from its query ``body`` (a copy: with_steps puts the CTEs into it)."""
    return _temporary(name, plan.with_steps(body.copy()))


@attrs.frozen
class _Merged:
    """The one statement of a plan's merged results (:func:`_merged_results`): the scopes' result
    queries, the scopes it computes, the statement creating ``<prefix>_gemeinsam`` and its text
    without ``TRY`` (:class:`_Chains`)."""

    bodies: dict[str, exp.Select]
    merged: tuple[str, ...]
    statement: exp.Expr
    text: str


_MERGED: dict[int, tuple[weakref.ref[Plan], dict[tuple[Any, ...], _Merged | None]]] = {}
""":func:`_merged` of each plan alive (by its ``id``; the plan's own weak reference tells it is
that plan, and takes the entry away with the plan), per prefix and ``keep``."""
_MERGED_LOCK = threading.Lock()


def prepare(plan: Plan, model: c.CheckedModel, keep: Mapping[str, Collection[str]] | None = None) -> None:
    """Build, ahead of :func:`execute_plan` with this ``keep``, the text of the one statement
    computing the plan's cases of one element (MAWo: ~0.2 s of Python, which ``compare`` does
    while DuckDB stages the file, rather than when both versions start their statements side by
    side and share one core for it). Changes no result: the text is built as it would be there."""
    if plan.single is not None:
        _merged(plan.single, model, "einzeln", keep)


def _merged(plan: Plan, model: c.CheckedModel, prefix: str,
            keep: Mapping[str, Collection[str]] | None) -> _Merged | None:
    """The statement of :func:`_merged_results` (None where it does not apply), built once per
    plan, prefix and ``keep``."""
    return _per_plan(_MERGED, _MERGED_LOCK, plan, (prefix, _keep_key(keep)),
                     functools.partial(_built_merged, plan, model, prefix, keep))


def _built_merged(plan: Plan, model: c.CheckedModel, prefix: str,
                  keep: Mapping[str, Collection[str]] | None) -> _Merged | None:
    """:func:`_merged`, built (see :func:`_merged_results`)."""
    if len(plan.shared) != 1:
        return None
    (shared,) = plan.shared.values()
    bodies = {sid: _result_body(plan, model, sid, keep) for sid in model.scopes}
    merged = [sid for sid in model.scopes if shared in plan.upstream(bodies[sid])]
    chains_of = {sid: _projections(plan, bodies[sid], shared) for sid in merged}
    if not merged or any(chains_of[sid] is None for sid in merged) or len(
            {len(chains_of[sid] or ()) for sid in merged}) != 1:
        return None
    values = sum(len(plan.outputs[sid]) for sid in merged)
    if keep is None or 3 * sum(1 for sid in merged for o in plan.outputs[sid] if o.key in keep.get(sid, ())) > values:
        return None
    number_of = {sid: number for number, sid in enumerate(model.scopes)}
    # each scope's columns at each level named by its number and their place, not by the values' names
    query: exp.Select | None = None
    for level in range(len(chains_of[merged[0]] or ())):
        columns: list[exp.Expr] = []
        for sid in merged:
            before = (chains_of[sid] or [])[level - 1].expressions if level else []
            places = {item.alias_or_name: place for place, item in enumerate(before)}
            if len(places) != len(before):
                return None
            for place, item in enumerate((chains_of[sid] or [])[level].expressions):
                value = (item.this if isinstance(item, exp.Alias) else item).copy()
                if level:  # it reads the columns of the level before
                    if any(col.name not in places for col in value.find_all(exp.Column)):
                        return None

                    def marked(node: exp.Expr, sid: str = sid, places: dict[str, int] = places) -> exp.Expr:
                        if isinstance(node, exp.Column):
                            return exp.column(f"_{number_of[sid]}_{places[node.name]}", "t", quoted=True)
                        return node

                    value = value.transform(marked, copy=False)
                columns.append(exp.alias_(value, f"_{number_of[sid]}_{place}", quoted=True, copy=False))
        # (built without copying again: each value is a copy of its own already)
        source = exp.to_table(shared).as_("t") if query is None else query.subquery("t", copy=False)
        query = exp.Select(expressions=columns).from_(source, copy=False)
    assert query is not None
    together = f"{prefix}_gemeinsam"
    statement = exp.Create(this=exp.to_table(together), kind="TABLE", expression=plan.with_steps(query),
                           properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    return _Merged(bodies, tuple(merged), statement, _chain_sql(statement, guarded=False))


def _projections(plan: Plan, body: exp.Select, shared: str) -> list[exp.Select] | None:
    """The queries from the step ``shared`` up to ``body``, first the one reading ``shared``,
    where each is a projection of the one before (:func:`_projection_of`); None where any is not."""
    steps = {step.name: step for step in plan.steps}
    chain = [body]
    while len(chain) <= len(steps):
        source = _projection_of(chain[-1])
        if source == shared:
            return chain[::-1]
        if source is None or source not in steps:
            return None
        chain.append(steps[source].query)
    return None


def _projection_of(query: exp.Expr) -> str | None:
    """The table ``query`` projects, where it is ``SELECT`` of expressions of the columns of ``t``
    (qualified, no ``*``) ``FROM table AS t`` and nothing else (no join, filter, grouping, order
    or subquery); None for any other query."""
    if not isinstance(query, exp.Select) or any(query.args.get(k) for k in (
            "joins", "where", "group", "having", "qualify", "distinct", "order", "limit", "offset", "windows",
            "with_", "laterals", "sample")):
        return None
    source = query.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.alias != "t" or any(table.args.get(k) for k in (
            "db", "catalog", "joins", "pivots", "sample", "laterals", "version")) or _named_columns(table) \
            or not isinstance(table.this, exp.Identifier):
        return None
    for node in query.walk():
        if isinstance(node, (exp.Star, exp.Subquery, exp.Query)) and node is not query or \
                isinstance(node, exp.Table) and node is not table or \
                isinstance(node, exp.Column) and node.table != "t" or \
                isinstance(node, (exp.AggFunc, exp.UDTF, exp.Window, exp.Unnest, exp.Explode, exp.GenerateSeries)) or \
                isinstance(node, exp.Anonymous) and str(node.this).lower() in _ROWS:
            return None
    return table.name


def _named_columns(table: exp.Table) -> bool:
    """Whether ``table``'s alias names its columns (``AS t(a, b)``)."""
    alias = table.args.get("alias")
    return isinstance(alias, exp.TableAlias) and bool(alias.columns)


_ROWS = frozenset({"unnest", "generate_series", "range", "generate_subscripts", "list_value_unnest"})
"""Functions that give a row a number of rows (their sqlglot names where it has no type of its own)."""


_DATA_ERRORS = (duckdb.OutOfRangeException, duckdb.ConversionException, duckdb.InvalidInputException)
"""What ``TRY(…)`` makes NULL: an overflow, a value that does not fit its type, an invalid argument."""


class _Chains:
    """Runs the statements of a plan's chains on ``con``: first without ``TRY`` — DuckDB computes
    no common part of an expression inside ``TRY``, and the plan's divisions repeat their
    dividend; on the MAWo person plan this is about 13 % of the time — then, where that stops at
    an error (``TRY`` would have made it NULL, flagging the case: an overflow the compiler's
    bounds do not exclude, a value that does not fit its type), the statement once more as the
    plan has it, and every later one too. A failed statement changes nothing (it is a
    transaction of its own); the results are the same either way, as a statement without an
    error computes every value ``TRY`` would give it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.guarded = False

    def run(self, statement: exp.Expr, text: str | None = None) -> None:
        """Run ``statement`` (``text``: its text without ``TRY``, where built before)."""
        if not self.guarded:
            try:
                self.execute(text if text is not None else _chain_sql(statement, guarded=False))
                return
            except _DATA_ERRORS:
                self.guarded = True
        self.execute(_chain_sql(statement))

    def execute(self, text: str) -> None:
        """Run the text of one statement of a chain (every one passes here)."""
        self.con.execute(text)


def _chain_sql(statement: exp.Expr, guarded: bool = True) -> str:
    """The DuckDB text of a statement holding a chain of a plan's steps (:meth:`Plan.with_steps`),
    generated without copying the tree first: sqlglot copies it by default, as a dialect's
    generator may change a tree, but DuckDB's changes none of the kinds a plan holds (it changes
    a ``CONNECT BY``, a ``SEQ`` function, an array of structs, a ``PIVOT``, a join without ``ON``,
    ``TRIM``, time types and week differences), and copying the MAWo plan's tens of thousands of
    nodes took more than generating their text. Without the copy, a node a plan holds twice keeps
    the parent it was given last; the generator reads a parent only for ``%`` and bit shifts, whose
    operands the plan always puts in parentheses (``plan._p``) — a test holds the text to the
    copied one's. ``guarded`` False: every ``TRY(x)`` written as ``(x)`` (:class:`_Chains`)."""
    if guarded:
        return statement.sql("duckdb", copy=False)
    return str(_unguarded()(dialect=DuckDB()).generate(statement, copy=False))


@functools.cache
def _unguarded() -> type[Generator]:
    """DuckDB's generator, writing ``TRY(x)`` as ``(x)``."""
    base = DuckDB.generator_class
    return type("Unguarded", (base,), {"TRANSFORMS": {**base.TRANSFORMS,
                                                      exp.Try: lambda self, e: f"({self.sql(e, 'this')})"}})


def _renamed(con: duckdb.DuckDBPyConnection, table: str, name: str) -> str:
    """The table (or view: :func:`load_staged`) ``table`` renamed ``name``, replacing any of that name."""
    _drop(con, name)
    con.execute(exp.Alter(this=exp.to_table(table), kind=_kind(con, table), actions=[
        exp.AlterRename(this=exp.to_table(name))]).sql("duckdb"))
    return name


def _kind(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """``VIEW`` where ``name`` is a temporary view of ``con`` (a staged table of a shared stage:
    :func:`load_staged`), else ``TABLE``."""
    views = exp.select(exp.func("count", exp.Star())).from_(exp.Table(this=exp.Anonymous(this="duckdb_views"))).where(
        exp.and_(exp.column("temporary"), exp.column("view_name").eq(exp.Literal.string(name))))
    row = con.execute(views.sql("duckdb")).fetchone()
    return "VIEW" if row is not None and int(row[0]) else "TABLE"


def _drop(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """The table or view ``name``, if there is one, dropped."""
    con.execute(exp.Drop(tables=[exp.to_table(name)], kind=_kind(con, name), exists=True).sql("duckdb"))


def _materialized(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """A view ``name`` (:func:`load_staged`) replaced by a temporary table of its rows, which a
    batch may change; a table stays as it is."""
    if _kind(con, name) != "VIEW":
        return
    copy = f"{name}_kopie"
    rows = exp.select(exp.Star()).from_(name)
    con.execute(exp.Create(this=exp.to_table(copy), kind="TABLE", expression=rows, replace=True,
                           properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
    con.execute(exp.Drop(tables=[exp.to_table(name)], kind="VIEW").sql("duckdb"))
    _renamed(con, copy, name)


def _together(con: duckdb.DuckDBPyConnection, name: str, first: str, second: str) -> str:
    """One table ``name`` of the rows of ``first`` and ``second`` (the same columns). A column
    whose types differ takes DECIMAL(38, k) with the larger k where both are decimals, else the
    first's type; a value that does not fit it is NULL and flags its row (``_skalar``)."""
    kinds = [dict(zip(con.table(t).columns, (str(k) for k in con.table(t).types), strict=True))
             for t in (first, second)]
    target: dict[str, str] = {}
    for column, kind in kinds[0].items():
        other = kinds[1][column]
        if kind != other:
            mine, theirs = _scale(kind), _scale(other)
            target[column] = f"DECIMAL(38,{max(mine, theirs)})" if mine is not None and theirs is not None else kind

    def side(table: str) -> exp.Select:
        cols: list[exp.Expr] = []
        lost: list[exp.Expr] = []
        for column in kinds[0]:
            col = exp.column(column, quoted=True)
            if column not in target:
                cols.append(col)
                continue
            cast = exp.TryCast(this=col.copy(), to=exp.DataType.build(target[column], dialect="duckdb"))
            cols.append(exp.alias_(cast, column, quoted=True))
            lost.append(exp.and_(exp.Not(this=exp.Is(this=col.copy(), expression=exp.Null())),
                                 exp.Is(this=cast.copy(), expression=exp.Null())))
        if lost:
            index = list(kinds[0]).index("_skalar")
            cols[index] = exp.alias_(exp.or_(exp.column("_skalar"), *lost), "_skalar")
        return exp.select(*cols).from_(exp.to_table(table))

    union = exp.union(side(first), side(second), distinct=False)
    con.execute(exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True).sql("duckdb"))
    con.execute(exp.Create(this=exp.to_table(name), kind="TABLE", expression=union,
                           properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
    for table in (first, second):
        con.execute(exp.Drop(tables=[exp.to_table(table)], kind="TABLE", exists=True).sql("duckdb"))
    return name


def _scale(kind: str) -> int | None:
    """The fractional digits of a DECIMAL type's name, or None for another type."""
    if not kind.startswith("DECIMAL("):
        return None
    return int(kind[len("DECIMAL("):-1].split(",")[1])


def _empty_outputs(con: duckdb.DuckDBPyConnection, model: c.CheckedModel) -> dict[str, str]:
    """Result tables of a model run on the scalar backend alone: keys, ``_skalar`` and values
    (numbers as DECIMAL(38, 18))."""
    tables = {}
    for number, (sid, _spec) in enumerate(model.scopes.items()):
        name = f"ergebnis_{number}"
        cols = [exp.ColumnDef(this=exp.to_identifier(k), kind=exp.DataType.build("BIGINT" if k == "_c" else "INTEGER"))
                for k in key_columns(model, sid)]
        cols.append(exp.ColumnDef(this=exp.to_identifier("_skalar"), kind=exp.DataType.build("BOOLEAN")))
        if not sid:
            cols.append(exp.ColumnDef(this=exp.to_identifier("_warnungen"), kind=exp.DataType.build("INTEGER")))
        for node_id in model.order:
            node = model.nodes[node_id]
            if node.scope != sid or isinstance(node, c.CheckNode):
                continue
            kind = (exp.DataType.build("DECIMAL(38, 18)") if node.type.kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL)
                    else other_type(node.type))
            cols.append(exp.ColumnDef(this=exp.to_identifier(node.key, quoted=True), kind=kind))
        create = exp.Create(this=exp.Schema(this=exp.to_table(name), expressions=cols), kind="TABLE",
                            properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
        con.execute(exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True).sql("duckdb"))
        con.execute(create.sql("duckdb"))
        tables[sid] = name
    return tables


def _decimal_limits(relation: duckdb.DuckDBPyRelation) -> dict[str, tuple[int, int]]:
    """Per DECIMAL column of a result table its (digits before the point, digits after it)."""
    limits = {}
    for name, kind in zip(relation.columns, relation.types, strict=True):
        scale = _scale(str(kind))
        if scale is not None:
            precision = int(str(kind)[len("DECIMAL("):-1].split(",")[0])
            limits[name] = (precision - scale, scale)
    return limits


def _misfit(limits: dict[str, dict[str, tuple[int, int]]], frame: Frame) -> tuple[str, str | None] | None:
    """The problem of a scalar result with a number its result column cannot hold (more digits
    before the point than the column's — the plan's fixed point; a figure from 10^20 on): its
    message and path, or None."""
    for element in frame.elements():
        for name, (whole, places) in limits[element.scope].items():
            value = element.get(name)
            if not isinstance(value, Decimal) or not value.is_finite():
                continue
            with decimal.localcontext() as exact:
                exact.prec = 100  # the column's rounding of the value, without the 28 digits' own
                stored = abs(value).quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
            if stored >= Decimal(10) ** whole:
                return (f"„{name}“ = {value} hat mehr als {whole} Stellen vor dem Komma: die Ergebnistabelle "
                        f"der Population hält es nicht (einzeln auswerten)", None)
    return None


def _unencodable(columns: dict[str, list[str]], frame: Frame) -> tuple[str, str | None] | None:
    """The problem of a scalar result with a text no result table can hold — one with a lone
    surrogate (JSON may write ``"\\ud800"``), which UTF-8, the encoding of DuckDB's texts, has
    no bytes for —: its message and path, or None."""
    for element in frame.elements():
        for name in columns[element.scope]:
            value = element.get(name)
            if isinstance(value, str) and not _encodable(value):
                lone = next(ch for ch in value if not _encodable(ch))
                return (f"„{name}“ enthält das Zeichen U+{ord(lone):04X}, ein einzelnes Surrogat, das kein "
                        f"UTF-8-Text hält: die Ergebnistabelle der Population hält es nicht (einzeln auswerten)",
                        None)
    return None


def _digits(value: Decimal) -> tuple[int, int]:
    """The digits of a finite ``value`` before its point and after it (trailing zeros not counted)."""
    if not value:
        return 0, 0
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    while exponent < 0 and digits and digits[-1] == 0:  # 1.500 has one digit after the point
        digits, exponent = digits[:-1], exponent + 1
    return max(0, len(digits) + exponent), max(0, -exponent)


def _widened(con: duckdb.DuckDBPyConnection, tables: dict[str, str], columns: dict[str, list[str]],
             limits: dict[str, dict[str, tuple[int, int]]],
             inserts: dict[str, list[list[Any]]]) -> list[tuple[int, tuple[str, str | None]]]:
    """Make the DECIMAL result columns hold the scalar backend's rows ``inserts``: a column whose
    values have more digits after the point than the plan gave it takes more (``ALTER … TYPE
    DECIMAL(38, k)``), as far as the digits before the point of its values — those in the table and
    those to come — leave room. A value with still more digits is rounded half-up to them where
    they are at least the plan's fixed point (:data:`FIX`, as the plan's own inexact figures);
    a case with a value that needs more is taken out of ``inserts``. Gives (its index, its
    problem) for each case taken out."""
    for sid, pending in inserts.items():
        names = columns[sid]
        for name, (_whole, places) in list(limits[sid].items()):
            position = names.index(name)
            wanted = places
            for row in pending:
                value = row[position]
                if isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent < -places:  # type: ignore[operator]
                    wanted = max(wanted, _digits(value)[1])
            if wanted == places:
                continue
            whole = max((_digits(row[position])[0] for row in pending
                         if isinstance(row[position], Decimal) and row[position].is_finite()), default=0)
            largest = con.execute(exp.select(exp.func("max", exp.Abs(this=exp.column(name, quoted=True))))
                                  .from_(tables[sid]).sql("duckdb")).fetchone()
            if largest is not None and isinstance(largest[0], Decimal):
                whole = max(whole, _digits(largest[0])[0])
            scale = min(wanted, 38 - max(whole, 1))
            if scale <= places:
                continue
            kind = exp.DataType.build(f"DECIMAL(38, {scale})")
            # TRY_CAST: ALTER … TYPE casts the rows deleted from the table too (the flagged cases',
            # DuckDB keeps them until a checkpoint), whose figures may not fit; every live value does
            con.execute(exp.Alter(this=exp.to_table(tables[sid]), kind="TABLE", actions=[exp.AlterColumn(
                this=exp.to_identifier(name, quoted=True), dtype=kind,
                using=exp.TryCast(this=exp.column(name, quoted=True), to=kind.copy()))]).sql("duckdb"))
            limits[sid][name] = (38 - scale, scale)
    lost: dict[int, tuple[str, str | None]] = {}
    for sid, pending in inserts.items():
        names = columns[sid]
        for name, (_whole, places) in limits[sid].items():
            position = names.index(name)
            for row in pending:
                value = row[position]
                if not isinstance(value, Decimal) or not value.is_finite() or _digits(value)[1] <= places:
                    continue
                if places >= FIX:
                    row[position] = value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP,
                                                   context=_EXACT)
                elif row[0] not in lost:
                    lost[row[0]] = (f"„{name}“ = {value} hat mehr als {places} Stellen nach dem Komma: die "
                                    f"Ergebnistabelle der Population hält es nicht genau (einzeln auswerten)", None)
    if lost:
        for pending in inserts.values():
            pending[:] = [row for row in pending if row[0] not in lost]
    return sorted(lost.items())


INSERT_CHUNK = 4096
"""Rows of the scalar backend put into a result table by one statement (:func:`_insert_rows`)."""


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, names: list[str], rows: list[list[Any]]) -> None:
    """``rows`` (values in the order of the columns ``names``) added to ``table``: per chunk of
    :data:`INSERT_CHUNK` rows one statement, each column handed over as one list of texts, cast
    to the column's type in SQL (a number as its exact decimal text, no exponent: no DOUBLE on
    the way). Row by row (``executemany``) a row of a MAWo person's ~150 values took about 12 ms.
    A text must be one UTF-8 holds (:func:`_unencodable`)."""
    relation = con.table(table)
    kinds = dict(zip(relation.columns, relation.types, strict=True))
    types = [exp.DataType.build(str(kinds[name]), dialect="duckdb") for name in names]
    unnested = exp.select(*[exp.alias_(exp.Explode(this=exp.Placeholder()), f"v{number}")
                            for number in range(len(names))])
    query = exp.select(*[exp.Cast(this=exp.column(f"v{number}", "u"), to=kind)
                         for number, kind in enumerate(types)]).from_(unnested.subquery("u"))
    statement = exp.insert(query, table, columns=[exp.to_identifier(n, quoted=True) for n in names]).sql("duckdb")
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        columns = [[_text(row[number]) for row in chunk] for number in range(len(names))]
        con.execute(statement, columns)


def _text(value: Any) -> str | None:
    """A result value as the text DuckDB casts back to it exactly (None: NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _frame_rows(model: c.CheckedModel, columns: dict[str, list[str]], inserts: dict[str, list[list[Any]]],
                index: int, frame: Frame) -> None:
    """The scalar backend's values of one case as rows of the result tables."""
    for element in frame.elements():
        sid = element.scope
        names = columns[sid]
        values: list[Any] = [index, *[i + 1 for i in element.indexes], True]
        if not sid:
            values.append(len(frame.warnings))
        values.extend(element.get(name) for name in names[len(values):])
        inserts[sid].append(values)
