"""A population file checked and staged by DuckDB: the loader only for the rows it does not take.

Takes: a compiled :class:`~teilhabe_rules.columnar.plan.Plan`, its model, its
:class:`~teilhabe_rules.columnar.batch.Staging` and a JSON Lines file (or a Parquet file, whose
typed values take the same checks: :func:`stage_parquet`). Gives: an :class:`Intake`
— the staged tables of the plan as Parquet files (``in<n>.parquet`` per scope, as
:func:`~teilhabe_rules.columnar.batch.load_staged` reads them), or, for a stage shared by several
batches, as tables of the sandbox's own database (:attr:`Intake.tables`; the batches run in
connections of it), the number of cases, and every row
it did not stage with its case data as :func:`~teilhabe_rules.columnar.sources.read_source` gives
it (the case loader and the scalar backend then say what is wrong, with their own messages) — or
None where the file is not plain enough to be read here (a byte order mark, bytes that are not
UTF-8, a NUL byte, a line longer than :data:`~teilhabe_rules.inputs.population.MAX_LINE`, a file
larger than :data:`MAX_FILE`): then the caller reads it case by case.

DuckDB reads the file (through :class:`~teilhabe_rules.duck.Sandbox`: that file and the staged
files, nothing else), splits it into lines as :mod:`~teilhabe_rules.inputs.population` does (a
blank line is no case, one ``\\r`` before the line end is dropped), parses each line as JSON,
unnests the lists into the scopes' tables (keys ``_c``, ``_i1`` …) and checks each input as the
case loader does. The checks are conservative: a row is staged only where the loader would take
it unchanged and the staging of :func:`~teilhabe_rules.columnar.batch.stage_case` would too —

- the line holds no JSON that Python's decoder reads otherwise than DuckDB's: no number of more
  than 15 significant digits or with an exponent (DuckDB reads JSON numbers as doubles; up to 15
  digits its shortest text is the number), no trailing comma, no ``\\u0000``;
- every object (the case, a package table, a list element) has no key twice and no unknown key;
  a list is an array of objects of an allowed length; a granted level has its reason;
- every required input is there, a missing one takes its default; a value has the type the
  loader takes as it is: a number a JSON number or a plain decimal text (``"2.5"``, ``"2,5"``;
  one with a unit: the loader), a date a text ``JJJJ-MM-TT`` or ``TT.MM.JJJJ``, a ``ja_nein``
  a boolean or one of its texts (``ja``, ``WAHR`` …), a level or choice its key, a key ``"1:x"``;
- numbers are read as text and converted to the staged numerator exactly (never a double): at
  most :data:`~teilhabe_rules.columnar.plan.IN_SCALE` fractional digits, within the declared
  range, choice set and the bound the plan assumes;
- the case's date is within the model's validity.

Anything else — and any row of a construct not translated here — goes to the loader.

The intake's tables of a population of fewer than :data:`SCRATCH_BELOW` cases are made in a
database of the sandbox's own, in a file of its temporary folder, with row groups of
:data:`SCRATCH_ROWS` rows: DuckDB scans a row group on one thread, and in memory it keeps 122,880
rows in one. :meth:`Intake.one_element_each` reads from the stage whether every case has one
element of a list (a population of persons).
"""

from __future__ import annotations

import codecs
import datetime as _dt
import functools
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from ..duck import Sandbox, file_faults, reading_whole
from ..inputs.cases import BLANK_PATTERN, TRUTH_TEXTS
from ..inputs.population import MAX_LINE, NO_BOUNDS, Population, PopulationProperties, each_one_element
from ..inputs.tabular import parse_column
from ..ir import checked as c
from ..limits import MAX_LIST_ITEMS
from .plan import LIST_BOUND, Plan, building_trees, key_columns
from .sources import RowsJoined, line_case, table_rows

__all__ = ["MAX_FILE", "Intake", "parquet_cases", "parquet_one_element_each", "parquet_reading", "stage_jsonl",
           "stage_parquet",
           "within_validity"]

MAX_FILE = 1 << 30
"""The largest file staged here (bytes): DuckDB reads it as one text (its limit is ~3.9 GiB) and
its lines are held beside it; a larger file is read case by case, streaming."""

SCRATCH_ROWS = 16_384
"""Rows per row group of the intake's tables for a population of fewer than
:data:`SCRATCH_BELOW` cases (in a database of the sandbox's own, in a file:
:class:`~teilhabe_rules.duck.Sandbox`'s ``scratch``): DuckDB scans a row group on one thread, and
in memory it keeps 122,880 rows in one — 100,000 persons were checked on one core; with it, the
intake of 100,000 MAWo persons takes ~2.5 s instead of ~3.4 s on 2 cores. A larger population
has row groups enough in memory; written to the file, 1,000,000 took 40 % longer."""
SCRATCH_BELOW = 2 * 122_880
SCRATCH_BYTES = 256 << 20
"""… and a JSON Lines file of fewer bytes (100,000 MAWo persons: 77 MB; more bytes for fewer
lines are lists of many elements, whose tables have row groups enough in memory)."""

_CHUNK = 1 << 20


class Intake:
    """A staged population file (see the module docstring): ``count`` cases, ``slow`` the rows
    not staged (0-based case number and its data); :meth:`cases` gives the data of staged ones.
    Holds its DuckDB connection until :meth:`close`; :meth:`cases` may be called from several
    threads (the batches of a shared stage run at once), one at a time."""

    def __init__(self, sandbox: Sandbox, count: int, read: Callable[[Sequence[int]], dict[int, Any]],
                 tables: Sequence[exp.Table] | None = None):
        self._sandbox = sandbox
        self._lock = threading.Lock()
        self._read = read
        self._given: dict[int, Any] = {}  # the cases read so far, by number
        self.count = count
        self.slow: list[tuple[int, Any]] = []
        self.tables = tables
        """The staged tables per scope in the sandbox's own database — views of the checked rows
        where they were checked there (see :func:`_stage`) — where the intake was made with
        ``tables`` (see :func:`stage_jsonl`), to be read through :meth:`cursor`; None: the
        staged Parquet files."""

    @property
    def population_file(self) -> str:
        """The text naming the staged population file to the intake's connection."""
        return self._sandbox.paths[0]

    @property
    def rows_file(self) -> str:
        """The text naming :data:`ROWS_FILE` of the intake's folder to its connection (the last
        of the sandbox's paths): the file it may write besides the staged ones (and the population)."""
        return self._sandbox.paths[-1]

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new connection to the database of the intake (its :attr:`tables`; closed with it)."""
        with self._lock:
            cursor: duckdb.DuckDBPyConnection = self._sandbox.connection.cursor()
            return cursor

    def cases(self, indexes: Sequence[int]) -> dict[int, Any]:
        """The case data of the cases ``indexes`` (as
        :func:`~teilhabe_rules.columnar.sources.read_source` gives them). A case asked for again
        (the batches of a shared stage mostly send the same cases to the scalar backend) is not
        read again: it is the same data, as :attr:`slow` is for every batch."""
        if not indexes:
            return {}
        with self._lock:
            missing = [index for index in indexes if index not in self._given]
            if missing:
                self._given.update(self._read(missing))
            return {index: self._given[index] for index in indexes if index in self._given}

    def one_element_each(self, number: int, name: str, bounds: tuple[int, int] = NO_BOUNDS) -> bool:
        """Whether every case of the file that can be read has exactly one element in the list
        ``name`` (of the case; its staged table the ``number``-th), and there is one: the staged
        cases by the rows of that table — each case's elements checked and staged as the loader
        reads them — the others (:attr:`slow`) by their data, as the population reader gives it,
        leaving out a case whose list fails its input check whatever else it holds
        (:func:`~teilhabe_rules.inputs.population.elements_one`, ``bounds``: an error row)."""
        if not bounds[0] <= 1 <= bounds[1]:
            return False  # no case of one element passes its input check
        # (a row that cannot be read counts as none)
        found = each_one_element((data for _index, data in self.slow), name, bounds)
        if found is False:
            return False
        staged = self.count - len(self.slow)
        if staged:
            table = self.tables[number].copy() if self.tables is not None else exp.Table(
                this=_f("read_parquet", _s(self._sandbox.paths[number + 1])))
            query = exp.select(exp.func("count", exp.Star()), _f(
                "coalesce", exp.func("max", _col("_i1")), exp.Literal.number(0))).from_(table).sql("duckdb")
            with self._lock:  # the connection, as for :meth:`cases`
                row = self._sandbox.connection.execute(query).fetchone()
            # each staged case exactly one element: as many rows as cases, each the first of its case
            if row is None or int(row[0]) != staged or int(row[1]) != 1:
                return False
            found = True
        return bool(found)

    def close(self) -> None:
        self._given.clear()
        self._sandbox.close()


def _numbers_table(con: duckdb.DuckDBPyConnection, indexes: Sequence[int]) -> None:
    """The temporary table ``gesucht`` of the case numbers ``indexes``."""
    con.execute(_drop("gesucht"))
    con.execute(exp.Create(this=exp.Schema(this=exp.to_table("gesucht"), expressions=[
        exp.ColumnDef(this=exp.to_identifier("_c"), kind=exp.DataType.build("BIGINT"))]), kind="TABLE",
        properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
    numbers = exp.Cast(this=exp.Placeholder(), to=exp.DataType.build("BIGINT[]", dialect="duckdb"))
    con.execute(exp.insert(exp.select(exp.Unnest(expressions=[numbers])), "gesucht").sql("duckdb"),
                [[int(i) for i in indexes]])  # one list, not a statement per case


def _line_cases(con: duckdb.DuckDBPyConnection) -> Callable[[Sequence[int]], dict[int, Any]]:
    """The case data of lines of a JSON Lines file staged in ``con`` (its table ``zeilen``)."""

    def read(indexes: Sequence[int]) -> dict[int, Any]:
        _numbers_table(con, indexes)
        return {int(i): line_case(int(n), text) for i, n, text in _lines_of(con, "gesucht")}

    return read


def _lines_of(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[int, int, str]]:
    query = (exp.select(exp.column("_c", "z"), exp.column("n", "z"), exp.column("line", "z"))
             .from_(exp.to_table("zeilen").as_("z"))
             .join(exp.to_table(table).as_("g"), on=_eq(exp.column("_c", "z"), exp.column("_c", "g")))
             .order_by(exp.column("_c", "z")))
    return [(int(a), int(b), str(t)) for a, b, t in con.execute(query.sql("duckdb")).fetchall()]


def plain_text_file(path: Path) -> bool:
    """Whether ``path`` is UTF-8 without a byte order mark (anywhere), NUL byte, or line longer
    than :data:`~teilhabe_rules.inputs.population.MAX_LINE` bytes: read line by line as
    :mod:`~teilhabe_rules.inputs.population` would, with nothing to mark or skip. The answer is
    remembered for the file as it is (its device, inode, size, modification and change time): a
    comparison asks three times, and 100,000 persons' file takes ~0.2 s to read."""
    try:
        state = os.stat(path)
    except OSError:
        return False
    return _plain_text(os.path.abspath(path), state.st_dev, state.st_ino, state.st_size, state.st_mtime_ns,
                       state.st_ctime_ns)


@functools.lru_cache(maxsize=16)
def _plain_text(path: str, *state: int) -> bool:
    """:func:`plain_text_file` of ``path`` in the ``state`` given (the key it is remembered by)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line = 0  # bytes of the current line so far
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                if b"\x00" in chunk:
                    return False
                # ASCII after a whole character: nothing to decode (and no byte order mark)
                if not (chunk.isascii() and not decoder.getstate()[0]) and "\ufeff" in decoder.decode(chunk):
                    return False
                first = chunk.find(b"\n")
                if first < 0:
                    line += len(chunk)
                else:
                    last = chunk.rfind(b"\n")
                    longest = line + first
                    if len(chunk) > MAX_LINE:  # a line wholly inside the chunk may be too long
                        longest = max(longest, *(len(p) for p in chunk[first + 1:last].split(b"\n")))
                    if longest > MAX_LINE:
                        return False
                    line = len(chunk) - last - 1
                if line > MAX_LINE:
                    return False
            decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return False
    return True


# ---- SQL builders ----


def _f(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _s(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def _n(value: int) -> exp.Expr:
    return exp.Literal.number(value) if abs(value) < 2**62 else exp.Cast(this=_s(str(value)), to=exp.DataType.build(
        "HUGEINT", dialect="duckdb"))


def _col(name: str, table: str | None = None) -> exp.Expr:
    return exp.column(name, table) if table else exp.column(name)


def _eq(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.EQ(this=a, expression=b)


def _is_null(a: exp.Expr) -> exp.Expr:
    return exp.Is(this=a, expression=exp.Null())


def _present(a: exp.Expr) -> exp.Expr:
    return exp.not_(_is_null(a))


def _all(conditions: Iterable[exp.Expr]) -> exp.Expr:
    items = [exp.Paren(this=x) for x in conditions]
    if not items:
        return exp.Boolean(this=True)
    return exp.and_(*items)


def _case(cond: exp.Expr, then: exp.Expr, otherwise: exp.Expr | None = None) -> exp.Expr:
    case = exp.Case().when(cond, then)
    return case.else_(otherwise) if otherwise is not None else case


def _match(value: exp.Expr, pattern: str) -> exp.Expr:
    return _f("regexp_full_match", value, _s(pattern))


def _path(*steps: str) -> str | None:
    """A JSON path of keys (None where a key cannot be written in one)."""
    if any('"' in step or "\\" in step for step in steps):
        return None
    return "$" + "".join(f'."{step}"' for step in steps)


def _typed(value: Any, kind: str) -> exp.Expr:
    return exp.Cast(this=_s(str(value)) if not isinstance(value, bool) else exp.Boolean(this=value),
                    to=exp.DataType.build(kind, dialect="duckdb"))


def _object(value: exp.Expr) -> exp.Expr:
    """A JSON text that is an object (valid JSON starting with ``{``)."""
    return _f("regexp_matches", value, _s("^[ \t\n\r]*[{]"))


def _array(value: exp.Expr) -> exp.Expr:
    """A JSON text that is an array (valid JSON starting with ``[``)."""
    return _f("regexp_matches", value, _s("^[ \t\n\r]*\\["))


def _keys_fit(keys: exp.Expr, allowed: Iterable[str]) -> exp.Expr:
    """Each key once, and every key allowed: as many keys as allowed ones among them — a key not
    allowed, or one twice, makes the list longer than that count (a few list scans per row: a
    third of the time of ``list_distinct``'s hashing and ``list_has_all``)."""
    found: exp.Expr = exp.Literal.number(0)
    for number, key in enumerate(sorted(allowed)):
        has = exp.Cast(this=_f("list_contains", keys.copy(), _s(key)), to=exp.DataType.build("INTEGER"))
        found = has if number == 0 else exp.Add(this=found, expression=has)
    return _eq(_f("len", keys), exp.Paren(this=found))


class _Scope:
    """The SQL of one scope in layers: its objects' values read at once (``e<n>``), then per path
    its JSON text as DuckDB writes it (``j<i>``: no blank, a text quoted and escaped, a number as
    its shortest text), then the decimal texts of numbers (``x<i>``), then their numerators
    (``n<i>``), then the staged values and checks.

    The objects are JSON texts (``typed`` False: ``e<n>`` holds ``v``, one list of every path's
    text, and ``pk``, the key lists of the package tables), or typed values of a Parquet file
    (``obj``: a STRUCT of ``fields``, its fields' names and types, or no object where ``fields``
    is None): then ``e<n>`` holds the columns of :attr:`extra` — among them a value as the file
    has it (``t<i>``: :meth:`typed_value`) — and each path read as text, ``j<i>``, as DuckDB
    writes the value (what it reads back from the JSON text of the row): no JSON text of a
    whole row is written or read. ``columns``: the objects are the rows of a Parquet file, whose
    fields ``o0`` holds as columns ``_f<i>`` (besides ``obj``, the row as one STRUCT): read from
    there — DuckDB builds the STRUCT of a view's row whole for a field of it, the nested lists of
    each row too (1,000,000 MAWo persons: ~0.6 s for each statement reading one)."""

    def __init__(self, typed: bool = False, fields: Sequence[tuple[str, Any]] | None = None,
                 columns: bool = False) -> None:
        self.columns = columns  # typed: the objects' fields are the columns _f<i> of their table
        self.paths: list[str] = []
        self.package_paths: list[str] = []
        self.texts: dict[str, exp.Expr] = {}  # x<i>
        self.numerators: dict[str, exp.Expr] = {}  # n<i>
        self.typed = typed
        self.fields = list(fields) if fields is not None else None
        self.extra: dict[str, exp.Expr] = {}  # typed: a package's fit (k<i>), a list's length (a<i>), a value (t<i>)
        self.typed_names: dict[str, str] = {}  # typed: path → its value's column t<i>

    def index(self, path: str) -> int:
        if path not in self.paths:
            self.paths.append(path)
        return self.paths.index(path)

    def value(self, path: str) -> exp.Expr:
        return _col(f"j{self.index(path)}")

    def package_keys(self, path: str) -> exp.Expr:
        if path not in self.package_paths:
            self.package_paths.append(path)
        return _f("list_extract", _col("pk"), exp.Literal.number(self.package_paths.index(path) + 1))

    def keys_fit(self, allowed: Iterable[str]) -> exp.Expr:
        """Each key of the object once, and every key allowed (typed: ``ks``, no unknown field set)."""
        return _col("ks") if self.typed else _keys_fit(_col("ks"), allowed)

    def package(self, path: str, fields: Iterable[str]) -> tuple[exp.Expr, exp.Expr]:
        """Whether the package table at ``path`` is there, and whether it is an object of the keys
        ``fields`` (each once)."""
        if not self.typed:
            table = self.value(path)
            return _present(table), _all([_object(table), _keys_fit(self.package_keys(path), fields)])
        found = self._at(path)
        flag: exp.Expr = exp.Cast(this=exp.Null(), to=exp.DataType.build("BOOLEAN"))
        if found is not None:
            value, kind = found
            fit = _unset(value, kind.children, set(fields)) if kind.id == "struct" else exp.Boolean(this=False)
            flag = _case(_present(value), fit)
        name = f"k{len(self.extra)}"
        self.extra[name] = flag
        return _present(_col(name)), _col(name)

    def listed(self, path: str, low: int, high: int) -> tuple[exp.Expr, exp.Expr]:
        """Whether the list at ``path`` is there, and whether it is an array of ``low`` to ``high``
        elements."""
        if not self.typed:
            items = self.value(path)
            length = _f("json_array_length", items)
            return _present(items), _all([_array(items), exp.Between(
                this=length, low=exp.Literal.number(low), high=exp.Literal.number(high))])
        found = self._at(path)
        count: exp.Expr = exp.Cast(this=exp.Null(), to=exp.DataType.build("BIGINT"))
        if found is not None:  # -1: there, and no list
            value, kind = found
            count = _f("len", value) if kind.id == "list" else _case(_present(value), exp.Literal.number(-1))
        name = f"a{len(self.extra)}"
        self.extra[name] = count
        return _present(_col(name)), exp.Between(this=_col(name), low=exp.Literal.number(low),
                                                 high=exp.Literal.number(high))

    def counted(self, path: str) -> bool:
        """Whether the list at ``path`` is a column of a Parquet file's rows (:attr:`columns`) of a
        list type: its length is not read by the scope's checks — DuckDB decodes a nested column
        whole for its length (1,000,000 MAWo persons: ~0.6 s) — but from its elements' table, which
        :meth:`elements` gives it (``_n``), by :func:`_uncounted`."""
        found = self._at(path) if self.typed and self.columns else None
        return found is not None and found[1].id == "list"

    def elements(self, path: str, keys: Sequence[str], number: int, depth: int
                 ) -> tuple[exp.Select, Sequence[tuple[str, Any]] | None]:
        """The elements of the list at ``path`` of the objects of the scope's ``number``-th table,
        an array of them (keys ``keys``, the element ``obj``, its number ``_i<depth>``; where
        :meth:`counted`, the list's length ``_n`` too), and, typed, the fields of the elements (None:
        they are no objects)."""
        index = exp.Literal.number(1)
        if not self.typed:
            items = _f("list_extract", _col("v"), exp.Literal.number(self.index(path) + 1))
            arrays = exp.select(*[_col(k) for k in keys], exp.alias_(exp.TryCast(
                this=items, to=exp.DataType.build("JSON[]", dialect="duckdb")), "a")).from_(f"e{number}").where(
                _all([_present(items), _array(items)]))
            listed, fields = _col("a"), None
        else:
            found = self._at(path)
            if found is None or found[1].id != "list":  # no elements
                nothing = exp.select(*[_col(k) for k in keys], exp.alias_(exp.Null(), "obj"), exp.alias_(
                    exp.Cast(this=exp.Null(), to=exp.DataType.build("INTEGER")), f"_i{depth}")).from_(f"o{number}")
                return nothing.where(exp.Boolean(this=False)), None
            value, kind = found
            arrays = exp.select(*[_col(k) for k in keys], exp.alias_(value, "a")).from_(f"o{number}").where(
                _present(value.copy()))
            listed = _col("a")
            fields = kind.child.children if kind.child.id == "struct" else None
        elements = exp.select(*[_col(k) for k in keys], exp.alias_(_f("unnest", listed), "obj"), exp.alias_(
            exp.Cast(this=_f("generate_subscripts", listed.copy(), index), to=exp.DataType.build("INTEGER")),
            f"_i{depth}"), *([exp.alias_(_f("len", listed.copy()), "_n")] if self.counted(path) else [])
        ).from_(arrays.subquery("x"))
        return elements, fields

    def extracted(self, keys: Sequence[str], number: int, allowed: Iterable[str]) -> exp.Select:
        """``e<n>``: of the objects of the scope's ``number``-th table, what the checks read at once."""
        columns: list[exp.Expr] = [_col(k) for k in keys]
        if not self.typed:  # TRY: a line that is no JSON gives NULL (and fails the checks)
            paths = exp.Array(expressions=[_s(p) for p in self.paths])
            packages = exp.Array(expressions=[_s(p) for p in self.package_paths])
            columns += [exp.alias_(_object(_col("obj")), "_objekt"),
                        exp.alias_(exp.Try(this=_f("json_keys", _col("obj"))), "ks"),
                        exp.alias_(exp.Try(this=_f("json_extract", _col("obj"), paths)) if self.paths
                                   else exp.Null(), "v"),
                        exp.alias_(exp.Try(this=_f("json_keys", _col("obj"), packages)) if self.package_paths
                                   else exp.Null(), "pk")]
            return exp.select(*columns).from_(f"o{number}")
        varchar = exp.DataType.build("VARCHAR")
        # (a row of the file as one STRUCT is never NULL)
        objects = _col("lesbar") if self.columns else _present(_col("obj")) if number else _all(
            [_present(_col("obj")), _col("lesbar")])
        columns += [exp.alias_(objects if self.fields is not None else exp.Boolean(this=False), "_objekt"),
                    exp.alias_(_unset(_col("obj"), self.fields or [], set(allowed), self.columns), "ks")]
        for index, path in enumerate(self.paths):
            found = self._at(path)
            text = _value_text(*found) if found is not None else exp.Cast(this=exp.Null(), to=varchar)
            columns.append(exp.alias_(text, f"j{index}"))
        columns += [exp.alias_(e, k) for k, e in self.extra.items()]
        return exp.select(*columns).from_(f"o{number}")

    def layers(self, number: int, keys: Sequence[str]) -> exp.Select:
        """The scope's ``e<n>`` (its ``number``-th) in the layers up to the numerators."""
        names = [*keys, "_objekt", "ks", *(self.extra if self.typed else ["pk"])]
        texts = [f"j{n}" for n in range(len(self.paths))]
        if self.typed:
            values = exp.select(*[_col(n) for n in [*names, *texts]]).from_(f"e{number}")
        else:
            columns: list[exp.Expr] = [_col(n) for n in names]
            for index in range(len(self.paths)):
                columns.append(exp.alias_(exp.Cast(this=_f("list_extract", _col("v"), exp.Literal.number(
                    index + 1)), to=exp.DataType.build("VARCHAR")), texts[index]))
            values = exp.select(*columns).from_(exp.select(*[_col(n) for n in names], _col("v")).from_(
                f"e{number}").subquery("l0"))
        names += texts
        texts_layer = exp.select(*[_col(n) for n in names], *[exp.alias_(e, k) for k, e in self.texts.items()]).from_(
            values.subquery("l1"))
        names += list(self.texts)
        return exp.select(*[_col(n) for n in names], *[exp.alias_(e, k) for k, e in self.numerators.items()]).from_(
            texts_layer.subquery("l2"))

    def kind_at(self, path: str) -> Any:
        """Typed: the type of the value at ``path`` (None where the object has no such field, or
        the objects are JSON texts)."""
        found = self._at(path) if self.typed else None
        return found[1] if found is not None else None

    def typed_value(self, path: str) -> exp.Expr:
        """Typed: a column of ``e<n>`` holding the value at ``path`` as the file has it (``t<i>``),
        for a path :meth:`kind_at` gives a type of."""
        if path not in self.typed_names:
            found = self._at(path)
            assert found is not None
            self.typed_names[path] = name = f"t{len(self.extra)}"
            self.extra[name] = found[0]
        return _col(self.typed_names[path])

    def _at(self, path: str) -> tuple[exp.Expr, Any] | None:
        """Typed: the value at ``path`` (of :func:`_path`) of the object ``obj`` and its type, None
        where the object has no such field."""
        value: exp.Expr = _col("obj")
        fields, kind = self.fields, None
        for depth, step in enumerate(path[3:-1].split('"."')):
            names = [name for name, _kind in fields or []]
            if step not in names:
                return None
            index = names.index(step)
            kind = fields[index][1]  # type: ignore[index]
            value = _field(value, index, self.columns and not depth)
            fields = kind.children if kind.id == "struct" else None
        return value, kind


def _value_text(value: exp.Expr, kind: Any) -> exp.Expr:
    """The JSON text DuckDB reads back for the typed ``value`` from the JSON text of its row, as
    it writes the value (``to_json``); a DECIMAL as the JSON number it parses from the DECIMAL's
    text: a whole number where it has no fractional digits, else a double, written as its shortest
    text (``12.0`` for ``12.000000``; ``to_json`` writes a DECIMAL of more than 9 digits with all
    its scale's digits, and ``.5`` for one of no integer digits, which is no JSON). Exact where
    :func:`_risky` lets the row be staged: a number of at most 15 digits is its double's shortest
    text, as it is in a JSON Lines file."""
    varchar = exp.DataType.build("VARCHAR")
    if kind.id == "decimal":
        whole = dict(kind.children)["scale"] == 0
        value = exp.Cast(this=value, to=exp.DataType.build("HUGEINT" if whole else "DOUBLE", dialect="duckdb"))
    return exp.Cast(this=_f("to_json", value), to=varchar)


def _field(value: exp.Expr, index: int, column: bool = False) -> exp.Expr:
    """The ``index``-th field (from 0) of the STRUCT ``value``; ``column``: the column ``_f<index>``
    (a Parquet file's row: see :class:`_Scope`)."""
    return _col(f"_f{index}") if column else _f("struct_extract_at", value.copy(), exp.Literal.number(index + 1))


def _unset(value: exp.Expr, fields: Sequence[tuple[str, Any]], allowed: set[str], columns: bool = False) -> exp.Expr:
    """Every field of the STRUCT ``value`` (of fields ``fields``; ``columns``: the columns of
    :func:`_field`) not named in ``allowed`` NULL — a NULL field is no key of the row's case, as the
    population reader reads it."""
    return _all([_is_null(_field(value, index, columns))
                 for index, (name, _kind) in enumerate(fields) if name not in allowed])


class _Untranslated(Exception):
    """A construct of the model this module does not translate (the file is read case by case)."""


# what leaves a Parquet file to the population reader, which reads it case by case or says why it
# cannot: a construct not translated, a value it does not take, or a file DuckDB cannot read
_DECLINED = (_Untranslated, ValueError, OSError) + file_faults()


def _json_text(value: exp.Expr) -> exp.Expr:
    """The text a JSON string (``value``, quotes included) holds: its escapes decoded."""
    return _case(_f("contains", value, _s("\\")), _f("json_extract_string", value.copy(), _s("$")),
                 _unquoted(value.copy()))


def _unquoted(value: exp.Expr) -> exp.Expr:
    """A JSON text's content without its quotes (for a text without escapes)."""
    inner = exp.Sub(this=_f("length", value), expression=exp.Literal.number(2))
    return _f("substr", value, exp.Literal.number(2), inner)


def _decimal(scale: int) -> str:
    """A decimal text of at most ``scale`` fractional digits (for 0: a whole number, ``2.0`` too)."""
    return r"-?[0-9]+(\.[0-9]{1," + str(scale) + "})?" if scale else r"-?[0-9]+(\.0+)?"


def _number_text(value: exp.Expr, scale: int) -> exp.Expr:
    """The decimal text of a JSON number or of a plain number text (``"2,5"`` as ``2.5``) of at
    most ``scale`` fractional digits, else NULL (more digits, if only zeros: the loader)."""
    decimal = _decimal(scale)
    return (exp.Case()
            .when(_match(value, decimal), value)
            .when(_match(value, f'"{decimal}"'), _unquoted(value))
            .when(_match(value, '"' + decimal.replace(r"\.", ",") + '"'), _f("replace", _unquoted(value), _s(","),
                                                                              _s("."))))


def _numerator(text: exp.Expr, scale: int) -> exp.Expr:
    """The integer ``text × 10^scale`` of a decimal text of at most ``scale`` (at most 9)
    fractional digits (or NULL), exactly: the text read as ``DECIMAL(18, scale)`` (a text the type
    does not hold: NULL), its integer of units of the last place — its whole part times
    ``10^scale`` plus its fraction's units (``% 1`` keeps the number's sign), each on 64 bits: the
    whole part has at most ``18 − scale`` digits, the fraction's units at most ``2 · scale``.
    (``× CAST(10^scale AS BIGINT)`` is a ``DECIMAL(38, scale)``, whose cast to ``BIGINT`` divides
    a 128-bit number: ~30× slower.)"""
    if not 0 <= scale <= 9:  # (an input's digits are IN_SCALE or 0)
        raise _Untranslated(f"{scale} Nachkommastellen")
    return _units(exp.TryCast(this=text, to=exp.DataType.build(f"DECIMAL(18, {scale})", dialect="duckdb")), scale)


def _units(number: exp.Expr, scale: int) -> exp.Expr:
    """The integer ``number × 10^scale`` of a DECIMAL ``number`` of at most ``scale`` fractional
    digits whose whole part has at most ``18 − scale`` digits (see :func:`_numerator`)."""
    bigint = exp.DataType.build("BIGINT")
    whole = exp.Mul(this=exp.Cast(this=_f("trunc", number), to=bigint), expression=exp.Literal.number(10**scale))
    fraction = exp.Mod(this=number.copy(), expression=exp.Literal.number(1))
    units = exp.Cast(this=exp.Mul(this=exp.Paren(this=fraction), expression=exp.Literal.number(10**scale)), to=bigint)
    return exp.Add(this=whole, expression=units)


def _quoted(text: str) -> str:
    """A text as DuckDB writes it in JSON, for one that :func:`_written_plain`."""
    return '"' + text + '"'


def _written_plain(text: str) -> bool:
    """Whether DuckDB writes ``text`` in JSON without an escape (no quote, backslash or control character)."""
    return all(ch >= " " and ch not in '"\\' for ch in text)


def _input_value(scope: _Scope, spec: c.InputSpec, number: int, digits: int, limit: int) -> exp.Expr:
    """The staged value of a present input (NULL where the loader might not take it as it is);
    number inputs add their text and numerator to ``scope``'s layers."""
    vtype = spec.type
    kind = vtype.kind
    value = _col(f"j{number}")
    if kind == c.TypeKind.ZAHL:
        scale = _written_digits(vtype, digits)
        if scale < 0:
            raise _Untranslated("Prozentangabe als ganze Zahl")
        scope.texts[f"x{number}"] = _number_text(value, scale)
        scope.numerators[f"n{number}"] = _numerator(_col(f"x{number}"), scale)
        return _checked_number(_col(f"n{number}"), vtype, digits, limit)
    if kind == c.TypeKind.SCHLUESSEL:
        # (not 1:1.000, read both ways: the loader's error)
        plain = exp.and_(_match(value, f'"1:{_decimal(digits)[2:]}"'),
                         exp.not_(_match(value.copy(), '"1:[1-9][0-9]{0,2}[.][0-9]{3}"')))
        scope.texts[f"x{number}"] = _case(plain, _f("substr", _unquoted(value.copy()), exp.Literal.number(3)))
        scope.numerators[f"n{number}"] = _numerator(_col(f"x{number}"), digits)
        numerator = _col(f"n{number}")
        return _case(exp.Between(this=numerator, low=exp.Literal.number(1), high=_n(limit)), numerator)
    if kind == c.TypeKind.JA_NEIN:
        truth = {flag: [_s(_quoted(text)) for text, meant in TRUTH_TEXTS.items() if meant is flag]
                 for flag in (True, False)}
        return (exp.Case().when(value.isin(_s("true"), *truth[True]), exp.Boolean(this=True))
                .when(value.isin(_s("false"), *truth[False]), exp.Boolean(this=False)))
    if kind == c.TypeKind.DATUM:
        inner = _f("substr", value, exp.Literal.number(2), exp.Literal.number(10))
        date = exp.DataType.build("DATE")
        return (exp.Case()
                .when(_all([_match(value, '"[0-9]{4}-[0-9]{2}-[0-9]{2}"'),
                            exp.NEQ(this=_f("substr", value, exp.Literal.number(2), exp.Literal.number(4)),
                                    expression=_s("0000"))]), exp.TryCast(this=inner, to=date))
                .when(_all([_match(value, r'"[0-9]{2}\.[0-9]{2}\.[0-9]{4}"'),
                            exp.NEQ(this=_f("substr", value, exp.Literal.number(8), exp.Literal.number(4)),
                                    expression=_s("0000"))]),
                      exp.TryCast(this=_f("try_strptime", inner.copy(), _s("%d.%m.%Y")), to=date.copy())))
    if kind == c.TypeKind.TEXT:
        return _case(_eq(_f("left", value, exp.Literal.number(1)), _s('"')), _json_text(value))
    if kind == c.TypeKind.ENUM and vtype.enum is not None:
        members = [m.key for m in vtype.enum.members]
        case = exp.Case(this=value)
        if vtype.enum.numeric:
            for key in members:  # the key as DuckDB writes a whole JSON number (2.0, "2": the loader)
                case = case.when(_s(str(int(key))), _typed(int(key), "INTEGER"))
            return case
        for key in members:
            if isinstance(key, str) and _written_plain(key):  # other keys: the loader
                case = case.when(_s(_quoted(key)), _s(key))
        return case if case.args.get("ifs") else exp.Null()
    raise _Untranslated(kind.value)


def _written_digits(vtype: c.ValueType, digits: int) -> int:
    """The fractional digits of a number input as it is written (a percentage: two fewer than
    its staged ``digits``, ``12.5`` for 0.125)."""
    return digits - 2 if vtype.unit.percent else digits


def _typed_input(scope: _Scope, spec: c.InputSpec, where: str, digits: int, limit: int
                 ) -> tuple[exp.Expr, exp.Expr] | None:
    """Of a Parquet file's typed values: the value at ``where`` and its staged value (NULL where
    the loader might not take it as it is), converted directly where the file's type is the
    input's — a whole number or a DECIMAL of at most the input's fractional digits for a
    number, a BOOLEAN for ``ja_nein``, a DATE for a date, a VARCHAR for a text or a choice of
    texts, a whole number for a level or a choice of numbers — exactly as its JSON text would be
    read (:func:`_input_value`), without writing and reading that text; None for any other:
    then its JSON text is read."""
    kind = scope.kind_at(where)
    if kind is None:
        return None
    vtype = spec.type
    value = scope.typed_value(where) if _direct(vtype, kind, digits) else None
    if value is None:
        return None
    if vtype.kind == c.TypeKind.ZAHL:
        scale = _written_digits(vtype, digits)
        most = 10 ** (18 - scale) - 1  # (its numerator within 64 bits; a larger one: the loader)
        numerator = _units(value.copy(), scale) if kind.id == "decimal" else exp.Mul(
            this=exp.Cast(this=value.copy(), to=exp.DataType.build("BIGINT")), expression=exp.Literal.number(10**scale))
        name = f"d{len(scope.numerators)}"  # in the layer of the numerators, computed once
        scope.numerators[name] = _case(exp.Between(this=value.copy(), low=_n(-most), high=_n(most)), numerator)
        return value, _checked_number(_col(name), vtype, digits, limit)
    if vtype.kind == c.TypeKind.ENUM and vtype.enum is not None:
        if vtype.enum.numeric:
            keys = [_typed(int(m.key), "INTEGER") for m in vtype.enum.members]
            return value, _case(value.copy().isin(*keys), exp.Cast(this=value.copy(), to=exp.DataType.build("INTEGER")))
        case = exp.Case(this=value.copy())
        for member in vtype.enum.members:
            if isinstance(member.key, str) and _written_plain(member.key):  # other keys: the loader
                case = case.when(_s(member.key), _s(member.key))
        return value, case if case.args.get("ifs") else exp.Null()
    return value, value.copy()  # ja_nein, a date, a text: the value itself


def _direct(vtype: c.ValueType, kind: Any, digits: int) -> bool:
    """Whether an input of type ``vtype`` is read directly from a typed value of ``kind`` (see
    :func:`_typed_input`)."""
    if vtype.kind == c.TypeKind.ZAHL:
        scale = _written_digits(vtype, digits)
        if kind.id == "decimal":
            return bool(0 <= dict(kind.children)["scale"] <= scale <= 9)
        return kind.id in _WHOLE and 0 <= scale <= 9
    if vtype.kind == c.TypeKind.ENUM and vtype.enum is not None:
        return kind.id in _WHOLE if vtype.enum.numeric else kind.id == "varchar"
    return (vtype.kind, kind.id) in ((c.TypeKind.JA_NEIN, "boolean"), (c.TypeKind.DATUM, "date"),
                                     (c.TypeKind.TEXT, "varchar"))


def _checked_number(numerator: exp.Expr, vtype: c.ValueType, digits: int, limit: int) -> exp.Expr:
    """``numerator`` (units of ``10^-digits``) where it is within the input's range, the bound
    ``limit`` and its choices, else NULL."""
    den = 10**digits
    low, high = -limit, limit
    if vtype.low is not None:
        low = max(low, ceil(Fraction(vtype.low) * den))
    if vtype.high is not None:
        high = min(high, floor(Fraction(vtype.high) * den))
    checks: list[exp.Expr] = [exp.Between(this=numerator, low=_n(low), high=_n(high))]
    if vtype.choices is not None:
        scaled = [Fraction(x) * den for x in vtype.choices]
        allowed = sorted({int(x) for x in scaled if x.denominator == 1})
        checks.append(numerator.copy().isin(*[_n(x) for x in allowed]) if allowed else exp.Boolean(this=False))
    return _case(_all(checks), numerator.copy())


def _default(spec: c.InputSpec, digits: int, limit: int) -> exp.Expr | None:
    """The staged default of an input left out (None: the loader must look at such a case)."""
    value = spec.default
    if spec.required:
        return None
    if value is None:
        return exp.Null()
    kind = spec.type.kind
    if kind in (c.TypeKind.ZAHL, c.TypeKind.SCHLUESSEL):
        if not isinstance(value, Decimal) or not value.is_finite():
            return None
        scaled = Fraction(value) * 10**digits
        if scaled.denominator != 1 or abs(scaled) > limit:
            return None
        return _n(int(scaled))
    if kind == c.TypeKind.JA_NEIN and isinstance(value, bool):
        return exp.Boolean(this=value)
    if kind == c.TypeKind.DATUM and isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return _typed(value.isoformat(), "DATE")
    if kind == c.TypeKind.ENUM and isinstance(value, int) and not isinstance(value, bool):
        return _typed(value, "INTEGER")
    if isinstance(value, str) and kind in (c.TypeKind.TEXT, c.TypeKind.ENUM):
        return _s(value)
    return None


def stage_jsonl(plan: Plan, model: c.CheckedModel, staging: Any, types: dict[str, dict[str, str]], path: Path,
                at: _dt.date | None, folder: str, *, validity: bool = True, tables: bool = False,
                begun: Callable[[], object] | None = None) -> Intake | None:
    """Stage the JSON Lines file ``path`` into ``folder`` (see the module docstring; with
    ``tables``, into tables of the sandbox's database instead); None: the file is to be read
    case by case. ``staging``: the plan's
    :class:`~teilhabe_rules.columnar.batch.Staging`; ``types``: the staged tables' column types
    per scope (a ``HUGEINT`` numerator is written as ``DECIMAL(38, 0)``: Parquet has no 128-bit
    integer). ``validity`` False: a case dated outside the model's validity is staged too (for
    staging once for several models: each then sets those aside itself). ``tables``: the staged
    rows are kept as tables of the sandbox's own database (views of the checked rows where those
    were checked there: not in the scratch database), with the types ``types`` (a ``HUGEINT`` as
    it is), not written to files (:attr:`Intake.tables`: the batches of a shared
    stage read them there, through :meth:`Intake.cursor`). ``begun``: called once the staging's
    statements are built, before DuckDB runs them (not where the file is read case by case
    before)."""
    if not path.is_file() or path.stat().st_size > MAX_FILE or not plain_text_file(path):
        return None
    sandbox = _sandbox(model, path, folder, whole=True)
    if sandbox is None:
        return None
    return _stage(plan, model, staging, types, sandbox, lambda: _jsonl_lines(sandbox.paths[0]),
                  _line_cases(sandbox.connection), at, validity, size=path.stat().st_size, tables=tables,
                  begun=begun)


ROWS_FILE = "zeilen.parquet"
"""The file of ``folder`` an intake's connection may write besides the staged files: rows the
caller builds from a shared stage's results (:meth:`Intake.rows_file`)."""


def _sandbox(model: c.CheckedModel, path: Path, folder: str, whole: bool = False) -> Sandbox | None:
    """A connection reaching ``path``, the staged files of ``folder`` and its :data:`ROWS_FILE`
    (None: it cannot be made); ``whole``: it reads ``path`` whole (a JSON Lines file), with the
    memory for that (:func:`~teilhabe_rules.duck.reading_whole`)."""
    outputs = [os.path.join(folder, f"in{n}.parquet") for n in range(len(model.scopes))]
    outputs.append(os.path.join(folder, ROWS_FILE))
    try:
        memory = reading_whole(path.stat().st_size) if whole else None
        sandbox = Sandbox([path, *outputs], scratch=SCRATCH_ROWS, memory=memory)
    except (OSError, duckdb.Error):
        return None
    try:
        con = sandbox.connection
        threads = exp.EQ(this=exp.var("threads"), expression=exp.Literal.number(os.cpu_count() or 1))
        con.execute(exp.Set(expressions=[exp.SetItem(this=threads)]).sql("duckdb"))  # the sandbox has one
    except duckdb.Error:
        sandbox.close()
        return None
    return sandbox


def _stage(plan: Plan, model: c.CheckedModel, staging: Any, types: dict[str, dict[str, str]], sandbox: Sandbox,
           lines: Callable[[], exp.Select], read: Callable[[Sequence[int]], dict[int, Any]], at: _dt.date | None,
           validity: bool, *, kept: bool = True, rows: int | None = None, size: int | None = None,
           screened: bool = False, layout: Sequence[tuple[str, Any]] | None = None,
           tables: bool = False, begun: Callable[[], object] | None = None) -> Intake | None:
    """Check and stage the lines ``lines`` gives (a query of ``_c``, ``n`` and ``line``: the case's
    number, its line's number and its JSON text, NULL for a case that is to be read by ``read``)
    into the staged files of ``sandbox`` (its paths after the first; with ``tables``, tables of
    its own database instead); ``read`` gives the case
    data of cases by their numbers. ``kept``: the lines are a table (``read`` reads them; a line
    longer than :data:`~teilhabe_rules.inputs.population.MAX_LINE`: None), else a view, read
    once; ``rows``: how many lines there are (None: counted); ``size``: of the file, in bytes
    (None: not known); ``screened``, ``layout``: see :func:`_queries`; ``tables``: see
    :func:`stage_jsonl`; ``begun``: called once the statements are built, before DuckDB runs
    them (Python is then free for other work). The tables are made in the sandbox's
    ``scratch`` database where there are fewer than :data:`SCRATCH_BELOW` lines (and the file has
    fewer than :data:`SCRATCH_BYTES` bytes: more would be lists of many elements).
    Closes ``sandbox`` where it gives None."""
    scopes = list(model.scopes)
    try:
        con = sandbox.connection
        with building_trees():
            queries = _queries(plan, model, staging, lines(), at, validity, kept, screened, layout)
        if begun is not None:
            begun()
        con.execute(queries[0])
        if rows is None:
            (rows,) = con.execute("SELECT count(*) FROM zeilen").fetchone() or (0,)
        scratched = sandbox.scratch is not None and int(rows) < SCRATCH_BELOW and (
            size is None or size < SCRATCH_BYTES)
        if scratched:
            con.execute(exp.Use(this=exp.to_identifier(sandbox.scratch)).sql("duckdb"))
        for query in queries[1:]:
            con.execute(query)
        if kept:
            (longest,) = con.execute("SELECT coalesce(max(strlen(line)), 0) FROM zeilen").fetchone() or (0,)
            if int(longest) > MAX_LINE:
                sandbox.close()
                return None
        # in the sandbox's own database (not the scratch one, which goes before the batches read them)
        # (names of their own: a batch given another stage's connection finds none of them)
        token = secrets.token_hex(6)
        made = [exp.table_(f"eingang_{token}_{number}", db="main", catalog=sandbox.home, quoted=True)
                for number in range(len(scopes))] if tables else None
        checked = [exp.to_table(f"p{number}") for number in range(len(scopes))]
        slow_table = exp.to_table("langsam")
        if made is not None and not scratched:
            # the checked rows are in the sandbox's own database already: the stage's tables are
            # views of them (the staged columns, without the rows left to the loader), not copies
            # (1,000,000 persons: ~0.5 s)
            for number, table in enumerate(checked):
                checked[number] = exp.table_(f"eingang_{token}_{number}_p", db="main", catalog=sandbox.home,
                                             quoted=True)
                con.execute(exp.Alter(this=table, kind="TABLE", actions=[exp.AlterRename(
                    this=exp.to_table(checked[number].name))]).sql("duckdb"))
            renamed = exp.table_(f"eingang_{token}_langsam", db="main", catalog=sandbox.home, quoted=True)
            con.execute(exp.Alter(this=slow_table, kind="TABLE", actions=[exp.AlterRename(
                this=exp.to_table(renamed.name))]).sql("duckdb"))
            slow_table = renamed
        for number, sid in enumerate(scopes):
            names = list(_staged_columns(plan, model, sid))
            # in the order of the file, as made (no ORDER BY: sorting 1,000,000 persons' rows took
            # ~0.5 s; what reads the results orders them by their keys itself)
            select = (exp.select(*[exp.alias_(exp.Cast(this=_col(n, "t"), to=exp.DataType.build(
                "DECIMAL(38, 0)" if types[sid][n] in ("HUGEINT", "INT128") and made is None else types[sid][n],
                dialect="duckdb")), n) for n in names]).from_(checked[number].copy().as_("t"))
                      .where(exp.not_(exp.Exists(this=exp.select("1").from_(slow_table.copy().as_("l")).where(
                          _eq(_col("_c", "l"), _col("_c", "t")))))))
            if made is not None:
                con.execute(exp.Create(this=made[number].copy(), kind="TABLE" if scratched else "VIEW",
                                       expression=select).sql("duckdb"))
                continue
            copy = exp.Copy(this=select.subquery(), files=[_s(sandbox.paths[number + 1])],
                            params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet"))])
            con.execute(copy.sql("duckdb"))
        # a row per line, of the same read as the staged rows (a view of the file reads it again)
        (count,) = con.execute(exp.select(exp.func("count", exp.Star())).from_(checked[0].copy()).sql(
            "duckdb")).fetchone() or (0,)
        intake = Intake(sandbox, int(count), read, made)
        slow = [int(row[0]) for row in con.execute(exp.select("_c").from_(slow_table.copy()).order_by("_c").sql(
            "duckdb")).fetchall()]
        try:
            intake.slow = sorted(read(slow).items()) if slow else []
        except RowsJoined:  # the reader gives a row to the case above (its key not read): case by case —
            # not expected where _key_checks held, kept so that such a file never stops the intake
            raise _Untranslated("Zeilen") from None
        for prefix in "oep":  # the lines stay, for the cases the plan flags
            for number in range(len(scopes)):
                view = screened and (prefix, number) == ("o", 0)
                con.execute(_drop(f"{prefix}{number}", "VIEW" if view else "TABLE"))
        sandbox.release_scratch()  # what was made there is done with
    except (_Untranslated, duckdb.Error):
        # a construct not translated, or DuckDB refusing the file (its limits): case by case
        sandbox.close()
        return None
    except BaseException:
        sandbox.close()
        raise
    return intake


def _staged_columns(plan: Plan, model: c.CheckedModel, sid: str) -> list[str]:
    names = [*key_columns(model, sid), *(column for column, _spec in plan.inputs[sid].values())]
    if not sid:
        names.append("_date")
    return names


def _drop(name: str, kind: str = "TABLE") -> str:
    return exp.Drop(tables=[exp.to_table(name)], kind=kind, exists=True).sql("duckdb")


def _create(name: str, query: exp.Expr, kind: str = "TABLE", temporary: bool = False) -> str:
    """A table (or view) of the database in use (see :func:`_stage`), or a temporary one."""
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    return exp.Create(this=exp.to_table(name), kind=kind, expression=query, properties=properties).sql("duckdb")


def _jsonl_lines(file: str) -> exp.Select:
    """The lines of the JSON Lines file ``file`` that are not blank: case number ``_c``, line
    number ``n`` and text ``line`` (split as the population reader splits them)."""
    parts = _col("parts")
    newline = _f("chr", exp.Literal.number(10))
    split = exp.select(exp.alias_(_f("string_split", _col("content"), newline), "parts")).from_(
        exp.Table(this=_f("read_text", _s(file))))
    lines = exp.select(exp.alias_(_f("unnest", parts), "raw"), exp.alias_(_f("generate_subscripts", parts,
                                                                            exp.Literal.number(1)), "n")).from_(
        split.subquery("s"))
    trimmed = _f("substr", _col("raw"), exp.Literal.number(1), exp.Sub(this=_f("length", _col("raw")),
                                                                       expression=exp.Literal.number(1)))
    cleaned = exp.select(exp.alias_(_case(_f("suffix", _col("raw"), _s("\r")), trimmed, _col("raw")), "line"),
                         _col("n")).from_(lines.subquery("l"))
    return (exp.select(exp.alias_(exp.Sub(this=exp.Window(this=exp.RowNumber(), order=exp.Order(
        expressions=[exp.Ordered(this=_col("n"))])), expression=exp.Literal.number(1)), "_c"), _col("n"), _col("line"))
            .from_(cleaned.subquery("k"))
            .where(exp.not_(_f("regexp_full_match", _col("line"), _s("[ \t\r]*")))))


def _queries(plan: Plan, model: c.CheckedModel, staging: Any, lines: exp.Select, at: _dt.date | None,
             validity: bool = True, kept: bool = True, screened: bool = False,
             layout: Sequence[tuple[str, Any]] | None = None) -> list[str]:
    """The statements that read ``lines`` (case number, line number, JSON text or NULL) into
    ``zeilen``, its scopes into ``e<n>`` (elements), checked and staged into ``p<n>``, and the
    cases not staged (a line NULL, or one failing a check) into ``langsam``; ``kept`` False:
    ``zeilen`` is a view; ``screened``: the lines hold no JSON that the two decoders read
    differently (made by DuckDB from typed values), so the texts are not searched for it and
    ``o0`` is a view of them, read once. ``layout``: the lines are no JSON texts but STRUCTs of
    these fields (names and types: the columns of a Parquet file), read as :class:`_Scope` reads
    typed objects — a value read as its JSON text that the two decoders would read differently
    (:func:`_risky`) fails its scope's checks — and ``lines`` gives ``lesbar`` too: whether the
    row may be staged, else the loader reads it. A table is dropped once the last
    statement reading it is done (memory: DuckDB spills what passes its limit)."""
    create = _create
    out: list[str] = [create("zeilen", lines, "TABLE" if kept else "VIEW", temporary=True)]
    # JSON the two decoders read differently: a number of 16 or more digits (dots between them
    # left out) or with an exponent, a comma before a closing bracket, the escape of U+0000
    suspicious = "|".join([r"[0-9](\.?[0-9]){15}", r"(^|[^0-9A-Za-z_.\\])-?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]",
                      ",[ \t\r\n]*[\\]}]", r"\\u0000"])
    parsed = exp.select(_col("_c"), exp.alias_(_col("line") if screened else _case(
        exp.not_(_f("regexp_matches", _col("line"), _s(suspicious))), _col("line")), "obj"),
        *([_col("lesbar"), *[_col(f"_f{index}") for index in range(len(layout))]] if layout is not None else [])
    ).from_("zeilen")
    out.append(create("o0", parsed, "VIEW" if screened else "TABLE", temporary=screened))

    counted: list[str] = []  # tables of the cases whose list has a wrong length (see _Scope.counted)
    fails: list[exp.Select] = [] if screened else [
        exp.select(_col("_c")).from_("o0").where(_is_null(_col("obj")))]
    info = model.info
    typed = layout is not None
    fields: dict[str, Sequence[tuple[str, Any]] | None] = {"": layout}  # typed: of each scope's objects
    for number, (sid, spec) in enumerate(model.scopes.items()):
        keys = key_columns(model, sid)
        scope = _Scope(typed, fields[sid], columns=typed and not sid)
        checks: list[exp.Expr] = [_col("_objekt"), scope.keys_fit(_allowed(model, sid))]
        # package tables: a table of known keys, each once; a granted level with its reason
        packages: dict[str, list[c.InputSpec]] = {}
        for inp in spec.inputs:
            if len(inp.path) == 2:
                packages.setdefault(inp.path[0], []).append(inp)
        for name, members in packages.items():
            where = _path(name)
            if where is None:
                raise _Untranslated(name)
            names = [m.path[1] for m in members]
            required = any(m.required for m in members)
            present, fit = scope.package(where, names)
            checks.append(_case(present, fit, exp.Boolean(this=not required)))
            if "bewilligte_stufe" in names:
                checks.append(_granted_with_reason(scope, f'{where}."bewilligte_stufe"', f'{where}."begründung"'))
        values: list[exp.Expr] = []
        for staged in staging.inputs[sid]:
            inp = plan.inputs[sid][staged.key][1]
            where = _path(*inp.path)
            if where is None:
                raise _Untranslated(inp.key)
            direct = _typed_input(scope, inp, where, staged.digits, staged.limit) if typed else None
            if direct is not None:
                value, converted = direct
            else:
                value = scope.value(where)
                converted = _input_value(scope, inp, scope.index(where), staged.digits, staged.limit)
            default = _default(inp, staged.digits, staged.limit)
            values.append(exp.alias_(_case(_present(value), converted, default if default is not None else exp.Null()),
                                     staged.column))
            # converted once: the check reads the staged value (present where the input is, as converted)
            checks.append(_case(_present(value), _present(_col(staged.column)), exp.Boolean(this=default is not None)))
        carried = [_col(k) for k in keys] + [_col(str(v.alias)) for v in values]
        if not sid:
            date: exp.Expr = exp.Null()
            if at is not None:
                date = _typed(at.isoformat(), "DATE")
            elif info.reference_date is not None:
                reference = ".".join(info.reference_date)
                if reference in plan.inputs[sid]:
                    date = _col(plan.inputs[sid][reference][0])
            carried.append(exp.alias_(date, "_date"))
        # lists: an array of an allowed length
        for child in spec.lists:
            cspec = model.scopes[child]
            where = _path(cspec.name)
            if where is None:
                raise _Untranslated(cspec.name)
            if scope.counted(where):  # checked from the elements' table (below)
                continue
            present, fit = scope.listed(where, cspec.min_count or 0, _most(cspec, staging.bounds[child]))
            checks.append(_case(present, fit, exp.Boolean(this=not cspec.min_count)))
        if typed:  # a value read as its JSON text that the two decoders would read differently: the loader
            for where in list(scope.paths):
                kind = scope.kind_at(where)
                risky = _risky(scope.typed_value(where), kind, 1) if kind is not None else None
                if risky is not None:
                    checks.append(exp.not_(_f("coalesce", risky, exp.Boolean(this=False))))
        extracted = scope.extracted(keys, number, _allowed(model, sid))
        # typed: a view, read once by p<n> (the lists' elements are read from o<n>)
        out.append(create(f"e{number}", extracted, "VIEW" if typed else "TABLE", temporary=typed))
        if number and not typed:  # a list's elements' texts: read by e<n> alone
            out.append(_drop(f"o{number}"))
        layered = scope.layers(number, keys)
        inner = exp.select(exp.Star(), *values).from_(layered.subquery("l3"))
        staged_query = exp.select(*carried, exp.alias_(_all(checks), "_ok")).from_(inner.subquery("l4"))
        if not sid:
            flat = exp.select(exp.Star(), exp.alias_(_date_fits(info, plan, validity), "_gilt")).from_(
                staged_query.subquery("q"))
            out.append(create(f"p{number}", flat))
            fails.append(exp.select(_col("_c")).from_(f"p{number}").where(
                exp.not_(_f("coalesce", _all([_col("_ok"), _col("_gilt")]), exp.Boolean(this=False)))))
        else:
            out.append(create(f"p{number}", staged_query))
            fails.append(exp.select(_col("_c")).from_(f"p{number}").where(
                exp.not_(_f("coalesce", _col("_ok"), exp.Boolean(this=False)))))
        # each list's elements, for the child scope's table
        for child in spec.lists:
            cspec = model.scopes[child]
            cnumber = list(model.scopes).index(child)
            elements, fields[child] = scope.elements(f'$."{cspec.name}"', keys, number, cspec.depth)
            out.append(create(f"o{cnumber}", elements))
            if scope.counted(f'$."{cspec.name}"'):
                out.append(create(f"n{cnumber}", _uncounted(number, cnumber, cspec.depth, cspec.min_count or 0,
                                                           _most(cspec, staging.bounds[child]))))
                fails.append(exp.select(_col("_c")).from_(f"n{cnumber}"))
                counted.append(f"n{cnumber}")
        # read by p<n> and the lists' o<child> alone (typed: o<n> by e<n> and the lists' o<child>)
        out.append(_drop(f"e{number}", "VIEW" if typed else "TABLE"))
        if number and typed:
            out.append(_drop(f"o{number}"))
    union: exp.Union | exp.Select = fails[0]
    for other in fails[1:]:
        union = exp.Union(this=union, expression=other, distinct=True)
    out.append(create("langsam", exp.select(exp.Star()).from_(union.subquery("u"))))
    out += [_drop(name) for name in counted]
    return out


def _most(spec: c.ScopeSpec, bound: int) -> int:
    """The most elements a list of the scope ``spec`` may have to be staged (``bound``: the
    staging's bound of its elements)."""
    return min(spec.max_count if spec.max_count is not None else MAX_LIST_ITEMS, bound, MAX_LIST_ITEMS,
               LIST_BOUND if spec.max_count is None else spec.max_count)


def _uncounted(number: int, child: int, depth: int, low: int, high: int) -> exp.Select:
    """The cases (``_c``) of the scope's ``number``-th table (the root) whose list — the child scope's
    elements, ``o<child>``, with its length ``_n`` (see :meth:`_Scope.counted`) — is not of
    ``low`` to ``high`` elements: one longer or shorter, or, where ``low`` > 0, none there or
    empty (no elements)."""
    wrong = exp.select(_col("_c")).from_(f"o{child}").where(_all([
        _eq(_col(f"_i{depth}"), exp.Literal.number(1)),
        exp.not_(exp.Between(this=_col("_n"), low=exp.Literal.number(low), high=exp.Literal.number(high)))]))
    if not low:
        return wrong
    listed = exp.select(exp.Literal.number(1)).from_(exp.to_table(f"o{child}").as_("o")).where(
        _eq(exp.column("_c", "o"), exp.column("_c", "p")))
    none = exp.select(exp.column("_c", "p")).from_(exp.to_table(f"p{number}").as_("p")).where(
        exp.not_(exp.Exists(this=listed)))
    return exp.select(exp.Star()).from_(exp.Union(this=wrong, expression=none, distinct=True).subquery("f"))


def _granted_with_reason(scope: _Scope, granted_at: str, reason_at: str) -> exp.Expr:
    """A granted level (at ``granted_at``) given with a reason (at ``reason_at``): a text not
    empty and not of blanks only (:func:`~teilhabe_rules.inputs.cases.no_reason`) — of a Parquet
    file's typed values, read as they are where the level is there as a whole number or not at
    all and the reason is a text or not there."""
    granted_kind, reason_kind = scope.kind_at(granted_at), scope.kind_at(reason_at)
    if scope.typed and (granted_kind is None or granted_kind.id in _WHOLE) and (
            reason_kind is None or reason_kind.id == "varchar"):
        if granted_kind is None:
            return exp.Boolean(this=True)
        given = scope.typed_value(granted_at)
        if reason_kind is None:
            return _is_null(given)
        reason = scope.typed_value(reason_at)
        return exp.or_(_is_null(given), _all([_present(reason), exp.not_(_match(reason.copy(), BLANK_PATTERN))]))
    granted = scope.value(granted_at)
    reason = scope.value(reason_at)
    text = _eq(_f("left", reason, exp.Literal.number(1)), _s('"'))
    return exp.or_(_is_null(granted), _eq(granted, _s("null")),
                   _all([text, exp.not_(_match(_json_text(reason.copy()), BLANK_PATTERN))]))


def _allowed(model: c.CheckedModel, sid: str) -> set[str]:
    spec = model.scopes[sid]
    allowed = {inp.path[0] for inp in spec.inputs}
    allowed.update(model.scopes[child].name for child in spec.lists)
    return allowed


def within_validity(info: c.ModelInfo, date: exp.Expr) -> exp.Expr | None:
    """``date`` (a DATE; NULL, no date, counts as within) within the model's validity; None where
    the model's validity has no bounds."""
    checks: list[exp.Expr] = []
    if info.valid_from is not None:
        start = _typed(info.valid_from.isoformat(), "DATE")
        checks.append(exp.or_(_is_null(date.copy()), exp.GTE(this=date.copy(), expression=start)))
    if info.valid_to is not None:
        end = _typed(info.valid_to.isoformat(), "DATE")
        checks.append(exp.or_(_is_null(date.copy()), exp.LTE(this=date.copy(), expression=end)))
    return _all(checks) if checks else None


def _date_fits(info: c.ModelInfo, plan: Plan, validity: bool = True) -> exp.Expr:
    """The case's date within the model's validity (``validity`` False: any date), and there,
    where the rules read it."""
    date = _col("_date")
    checks: list[exp.Expr] = []
    within = within_validity(info, date) if validity else None
    if within is not None:
        checks.append(within)
    if plan.reads_date:
        checks.append(_present(date))
    return _all(checks)


# ---- Parquet ----

_INTEGERS = frozenset({"tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger",
                       "ubigint", "uhugeint"})
_WHOLE = _INTEGERS - {"hugeint", "uhugeint"}  # read directly: within 64 bits
_SCALARS = _INTEGERS | {"decimal", "varchar", "boolean", "date"}
# a text that Python's ``str.strip`` leaves as it is, and that does not start like a number, a
# sign or JSON, or a date JJJJ-MM-TT or TT.MM.JJJJ (the population reader reads such a cell of a
# table as it is, and no cell of another row changes that)
_WHITE = r"\x00-\x20\x7f-\xa0\p{Z}"
_INERT = (f"(?s)[^{_WHITE}" + r"+\-\[{\p{Nd}](.*[^" + _WHITE + "])?"
          + r"|[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{4}")  # a date: no number either
_KEY_TEXT = f"(?s)[^{_WHITE}](.*[^{_WHITE}])?"  # a key text the table reader keeps as it is: no blanks around
_FIRST_DAY, _LAST_DAY = _dt.date.min.isoformat(), _dt.date.max.isoformat()  # Python's dates: the scalar backend's


def stage_parquet(plan: Plan, model: c.CheckedModel, staging: Any, types: dict[str, dict[str, str]], path: Path,
                  at: _dt.date | None, folder: str, *, validity: bool = True, tables: bool = False,
                  begun: Callable[[], object] | None = None, rows: int | None = None) -> Intake | None:
    """Stage the Parquet file ``path`` into ``folder`` as :func:`stage_jsonl` stages a JSON Lines
    file, from its typed values: a value of the input's type read as it is (:func:`_typed_input`),
    any other as the JSON text DuckDB writes for it, the text it would read back from the row's
    JSON text (NULL fields left out, as the population reader leaves them out), and the same
    checks take it or leave it to the loader (see :class:`_Scope`); the case data of a row not
    staged is read from the file by the population reader
    (:func:`~teilhabe_rules.columnar.sources.table_rows`). None (the file is read case by case)
    where a row may be no case of its own or a value might be read otherwise than as its JSON
    text: a column not named like one input (a data path ``lp2a.kap4``, a list's column
    ``bewohner[].kuerzel``) or named ``file_row_number``, a key column (``fall``) that is not
    whole numbers or texts without blanks around them, each given once; a type other than whole numbers, DECIMAL,
    VARCHAR, BOOLEAN, DATE, STRUCT and lists of them (a floating-point number, BLOB, a timestamp
    or a map) anywhere in the file; a DATE where a text or choice is read, or before the year 1
    or after 9999. A row with a text cell outside the nested columns that the reader would trim
    or read as a number or JSON goes to the loader. ``rows``: the file's number of rows where the
    caller has had its key checked (:func:`parquet_cases`), which is then not checked again."""
    if not path.is_file():
        return None
    sandbox = _sandbox(model, path, folder)
    if sandbox is None:
        return None
    try:
        con = sandbox.connection
        source = exp.Table(this=_f("read_parquet", _s(sandbox.paths[0])))
        key, columns = _layout(con, source)
        if not _fits(model, "", columns, ()):
            raise _Untranslated("Spalten")
        extreme = [e for n, k in columns if (e := _extreme(exp.column(n, quoted=True), k, 1)) is not None]
        if extreme and _dates_within(con, sandbox.paths[0], sum(_dates(k) for _n, k in columns)):
            extreme = []  # the file's statistics tell: no pass over its (nested) dates
        checks = [exp.func("count", exp.Star()), _f("bool_or", exp.or_(*extreme)) if extreme
                  else exp.Boolean(this=False), *(_key_checks(key) if rows is None else [])]
        found = con.execute(exp.select(*checks).from_(source).sql("duckdb")).fetchone() \
            if rows is None or extreme else (rows, False)
        if found is None or found[1] or not all(x in (None, True) for x in found[2:]) or \
                rows is not None and found[0] != rows:
            raise _Untranslated("Zeilen")
    except _DECLINED:
        sandbox.close()
        return None
    except BaseException:
        sandbox.close()
        raise
    plain = [exp.or_(_is_null(exp.column(n, quoted=True)), _match(exp.column(n, quoted=True), _INERT))
             for n, k in columns if k.id == "varchar"]
    # the row as one STRUCT (a placeholder field where there is no column but the key: no field is read)
    row = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(name), expression=exp.column(name, quoted=True))
                                  for name, _kind in columns] or [
        exp.PropertyEQ(this=exp.to_identifier("_"), expression=exp.Boolean(this=True))])
    number = exp.column("file_row_number")
    numbered = exp.Table(this=_f("read_parquet", _s(sandbox.paths[0]), exp.EQ(
        this=exp.column("file_row_number"), expression=exp.Boolean(this=True))))
    # the condition apart from the row: the lists' elements are read without it (the case is left to
    # the loader by its row's checks)
    lines = exp.select(exp.alias_(number, "_c"), exp.alias_(exp.Add(this=number.copy(), expression=exp.Literal.number(
        1)), "n"), exp.alias_(row, "line"), exp.alias_(_all(plain), "lesbar"), *[
        exp.alias_(exp.column(name, quoted=True), f"_f{index}") for index, (name, _kind) in enumerate(columns)]
        ).from_(numbered)
    return _stage(plan, model, staging, types, sandbox, lambda: lines, lambda wanted: table_rows(path, wanted), at,
                  validity, kept=False, rows=int(found[0]), screened=True, layout=columns, tables=tables,
                  begun=begun)


def _dates(kind: Any) -> int:
    """The number of DATE leaves in the type ``kind`` (of a struct's fields, a list's element)."""
    if kind.id == "struct":
        return sum(_dates(child) for _name, child in kind.children)
    if kind.id == "list":
        return _dates(kind.child)
    return 1 if kind.id == "date" else 0


def _dates_within(con: duckdb.DuckDBPyConnection, path: str, wanted: int) -> bool:
    """Whether the Parquet file ``path``'s own statistics show every DATE in it within Python's
    dates (the years 1 to 9999): each row group's minimum and maximum of each of its columns of
    the DATE type — ``wanted`` of them, the DATE leaves DuckDB reads — or none but NULLs there.
    False where they cannot tell (a column without statistics, another number of DATE columns, a
    bound DuckDB writes otherwise than ``JJJJ-MM-TT``: a year beyond 9999, one before Christ,
    infinity): the rows are then scanned (:func:`_extreme`). Read from the file's footer, not its
    rows (DuckDB's own reader trusts the same statistics to skip row groups)."""
    schema = exp.Table(this=_f("parquet_schema", _s(path)))
    leaves = con.execute(exp.select("converted_type", "logical_type").from_(schema).where(
        exp.not_(_is_null(exp.column("type")))).sql("duckdb")).fetchall()
    dates = [number for number, (converted, logical) in enumerate(leaves)
             if converted == "DATE" or "Date" in str(logical or "")]
    if len(dates) != wanted:
        return False
    metadata = exp.Table(this=_f("parquet_metadata", _s(path)))
    bounds = con.execute(exp.select("stats_min_value", "stats_max_value", "stats_null_count", "num_values").from_(
        metadata).where(exp.column("column_id").isin(*[exp.Literal.number(n) for n in dates])).sql(
        "duckdb")).fetchall()
    for low, high, nulls, values in bounds:
        if low is None and high is None and nulls is not None and nulls == values:
            continue  # only NULLs
        try:
            _dt.date.fromisoformat(str(low))
            _dt.date.fromisoformat(str(high))
        except ValueError:
            return False
    return True


def _layout(con: duckdb.DuckDBPyConnection, source: exp.Expr) -> tuple[tuple[str, Any] | None, list[tuple[str, Any]]]:
    """The key column (``fall``: name and type) and the other columns of a Parquet file, each
    named like one input (else :class:`_Untranslated`)."""
    relation = con.sql(exp.select(exp.Star()).from_(source).limit(0).sql("duckdb"))
    names: list[str] = list(relation.columns)
    key: tuple[str, Any] | None = None
    columns: list[tuple[str, Any]] = []
    for index, (name, kind) in enumerate(zip(names, relation.types, strict=True), start=1):
        column = parse_column(index, name)
        if column.key and key is None and name == "fall" and (kind.id in _INTEGERS or kind.id == "varchar"):
            key = (name, kind)
        elif column.key or column.lists or column.steps != (name,) or name == "file_row_number":
            raise _Untranslated(name)
        else:
            columns.append((name, kind))
    if len({n.lower() for n in names}) != len(names):
        raise _Untranslated("Spalten")
    return key, columns


def _key_checks(key: tuple[str, Any] | None) -> list[exp.Expr]:
    """Conditions (true, or NULL for no rows) that the key column gives each row a key of its
    own, as the table reader reads it (none NULL, each once; a text without blanks around it,
    which the reader keeps as it is — ``1,5``, ``007`` and ``[3`` too: a key is never read as a
    number or JSON)."""
    if key is None:
        return []
    keyed = exp.column(key[0], quoted=True)
    checks: list[exp.Expr] = [_eq(exp.func("count", exp.Star()), exp.func("count", keyed)),
                              _eq(exp.func("count", exp.Star()), exp.Count(this=exp.Distinct(expressions=[keyed])))]
    if key[1].id == "varchar":
        checks.append(_f("bool_and", _match(keyed.copy(), _KEY_TEXT)))
    return checks


def numbered(indexes: Sequence[int]) -> list[str]:
    """The ids of cases by their 0-based numbers where each is its row: ``Zeile N``."""
    return [f"Zeile {index + 1}" for index in indexes]


_KEYS_AT_ONCE = 1000  # more keys asked for: every key of the file is read in one scan


def parquet_cases(path: Path) -> tuple[int, Callable[[Sequence[int]], list[str]]] | None:
    """Of a Parquet file whose rows are one case each, named like inputs as :func:`stage_parquet`
    takes them: its number of rows and a function giving the ids the population reader gives the
    cases of rows by their 0-based numbers (their keys, or ``Zeile N``: then the function is
    :func:`numbered`; those of many rows read at once); None for any other file."""
    if not path.is_file():
        return None
    try:
        with Sandbox([path]) as sandbox:
            source = exp.Table(this=_f("read_parquet", _s(sandbox.paths[0])))
            key, _columns = _layout(sandbox.connection, source)
            found = sandbox.connection.execute(exp.select(exp.func("count", exp.Star()), *_key_checks(key)).from_(
                source).sql("duckdb")).fetchone()
    except _DECLINED:
        return None
    if found is None or not all(x in (None, True) for x in found[1:]):
        return None
    if key is None:
        return int(found[0]), numbered
    return int(found[0]), ParquetKeys(path, key[0])


_TOLD_AT_ONCE = 10_000  # rows read at a time for the decimal mark (parquet_reading)


def parquet_reading(path: Path) -> PopulationProperties:
    """How the population reader reads the Parquet file ``path`` as :func:`stage_parquet` stages it
    (its properties, with the decimal mark of numbers in text cells), found without reading every
    row: the mark is told by the first text cell that tells, and only a row with a text cell the
    intake leaves to the reader (a text that may be a number) can hold one — those rows, in the
    file's order, are read by the reader until one tells. No mark where none tells, or where the
    intake cannot look into the file (it is then not staged either)."""
    plain = PopulationProperties("parquet")
    try:
        with Sandbox([path]) as sandbox:
            _key, columns = _layout(sandbox.connection, exp.Table(this=_f("read_parquet", _s(sandbox.paths[0]))))
            source = exp.Table(this=_f("read_parquet", _s(sandbox.paths[0]), exp.EQ(
                this=exp.column("file_row_number"), expression=exp.Boolean(this=True))))
            texts = [exp.and_(_present(exp.column(n, quoted=True)),
                              exp.not_(_match(exp.column(n, quoted=True), _INERT)))
                     for n, kind in columns if kind.id == "varchar"]
            if not texts:
                return plain
            rows = [int(number) for (number,) in sandbox.connection.execute(
                exp.select(exp.column("file_row_number")).from_(source).where(exp.or_(*texts))
                .order_by(exp.column("file_row_number")).sql("duckdb")).fetchall()]
    except _DECLINED:
        return plain
    for start in range(0, len(rows), _TOLD_AT_ONCE):
        with Population(path, rows=rows[start:start + _TOLD_AT_ONCE]) as some:
            for _row in some:
                if some.decimal.mark is not None:
                    return some.properties
    return plain


class ParquetKeys:
    """The ids of the cases of a Parquet file with a key column ``key`` (:func:`parquet_cases`),
    by their 0-based row numbers: called with numbers, their keys as text; :meth:`table` in SQL."""

    def __init__(self, path: Path, key: str):
        self.path, self.key = path, key

    def __call__(self, indexes: Sequence[int]) -> list[str]:
        if not indexes:
            return []
        asked = set(indexes)
        with Sandbox([self.path]) as sandbox:
            query = self.table(sandbox.paths[0])
            if len(asked) <= _KEYS_AT_ONCE:
                query = query.where(exp.column("file_row_number").isin(
                    *[exp.Literal.number(int(index)) for index in asked]))
            keys = {int(number): value for number, value in sandbox.connection.execute(query.sql("duckdb")).fetchall()}
        return [keys[index] if index in keys else f"Zeile {index + 1}" for index in indexes]

    def table(self, source: str) -> exp.Select:
        """``_c`` (the row number) and ``fall`` (the key as text) of every row of the file, which
        ``source`` names to the connection that runs it (a sandbox's text for it)."""
        rows = exp.Table(this=_f("read_parquet", _s(source), exp.EQ(
            this=exp.column("file_row_number"), expression=exp.Boolean(this=True))))
        return exp.select(exp.alias_(exp.column("file_row_number"), "_c"), exp.alias_(
            exp.cast(exp.column(self.key, quoted=True), "VARCHAR"), "fall")).from_(rows)


def parquet_one_element_each(path: Path, listed: str, bounds: tuple[int, int] = NO_BOUNDS) -> bool | None:
    """Whether every case of a Parquet file whose list column ``listed`` holds a number of
    elements within ``bounds`` (a NULL cell none: the population reader leaves it out, as
    :func:`~teilhabe_rules.inputs.population.elements_one` reads it) has exactly one element
    there, and there is such a case, as the population reader would find, for a file whose rows
    are each one case that reader reads without an error (as :func:`parquet_cases`; no
    floating-point type, which may hold a value that is no finite number; no text cell outside
    the nested columns that is read as a number or JSON); None for any other file."""
    if not path.is_file():
        return None
    try:
        with Sandbox([path]) as sandbox:
            source = exp.Table(this=_f("read_parquet", _s(sandbox.paths[0])))
            key, columns = _layout(sandbox.connection, source)
            if not all(_fits_any(kind) for _name, kind in columns):
                return None
            kinds = dict(columns)
            plain = [_f("bool_and", exp.or_(_is_null(exp.column(n, quoted=True)), _match(
                exp.column(n, quoted=True), _INERT))) for n, k in columns if k.id == "varchar"]
            counted: exp.Expr = exp.Literal.number(0)
            one: exp.Expr = exp.Boolean(this=False)
            if listed in kinds and kinds[listed].id == "list":
                length = _f("coalesce", _f("len", exp.column(listed, quoted=True)), exp.Literal.number(0))
                within = exp.Between(this=length, low=exp.Literal.number(bounds[0]),
                                     high=exp.Literal.number(min(bounds[1], 2**62)))
                counted = exp.Filter(this=exp.func("count", exp.Star()), expression=exp.Where(this=within))
                one = exp.Filter(this=_f("bool_and", _eq(length.copy(), exp.Literal.number(1))),
                                 expression=exp.Where(this=within.copy()))
            found = sandbox.connection.execute(exp.select(counted, one, *plain,
                                                          *_key_checks(key)).from_(source).sql("duckdb")).fetchone()
    except _DECLINED:
        return None
    if found is None or not all(x in (None, True) for x in found[2:]):
        return None
    return bool(found[0]) and bool(found[1])


def _fits(model: c.CheckedModel, sid: str, fields: Sequence[tuple[str, Any]], package: tuple[str, ...]) -> bool:
    """Whether the Parquet fields ``fields`` of scope ``sid`` (in its package table ``package``)
    are of types read as their JSON text is: only :data:`_SCALARS`, structs and lists anywhere,
    a DATE only where no text or choice is read."""
    spec = model.scopes[sid]
    inputs = {inp.path: inp for inp in spec.inputs}
    lists = {model.scopes[child].name: child for child in spec.lists} if not package else {}
    for name, kind in fields:
        where = (*package, name)
        if kind.id == "struct":
            inner = sid if (not package and any(len(p) == 2 and p[0] == name for p in inputs)) else None
            if not _fits_any(kind) if inner is None else not _fits(model, inner, kind.children, (name,)):
                return False
        elif kind.id == "list":
            child = lists.get(name)
            element = kind.child
            if child is not None and element.id == "struct":
                if not _fits(model, child, element.children, ()):
                    return False
            elif not _fits_any(element):
                return False
        elif kind.id not in _SCALARS:
            return False
        elif kind.id == "date":
            inp = inputs.get(where)
            if inp is not None and inp.type.kind != c.TypeKind.DATUM:
                return False
    return True


def _fits_any(kind: Any) -> bool:
    """Whether ``kind`` (at no input's place) holds only :data:`_SCALARS`, structs and lists."""
    if kind.id == "struct":
        return all(_fits_any(k) for _n, k in kind.children)
    if kind.id == "list":
        return _fits_any(kind.child)
    return kind.id in _SCALARS


_SMALL_INTEGERS = frozenset({"tinyint", "smallint", "integer", "utinyint", "usmallint", "uinteger"})  # < 16 digits


def _risky(value: exp.Expr, kind: Any, depth: int) -> exp.Expr | None:
    """Where the JSON text of ``value`` holds what Python's decoder and DuckDB's read differently
    — a number of 16 or more digits (DuckDB writes a DECIMAL as a double, whose shortest text is
    the number up to 15 digits; one of scale 15 or more counts whatever its value), a text with a
    NUL (its escape ``\\u0000``); of the JSON Lines intake's screening (:func:`_queries`) nothing
    else can occur in a text DuckDB writes (an exponent only where it writes one: the loader's
    forms of a number have none, the row is the loader's) — or None where ``kind`` can hold
    neither (NULL counts as none)."""
    return _anywhere(value, kind, depth, _risky_scalar)


def _risky_scalar(value: exp.Expr, kind: Any) -> exp.Expr | None:
    if kind.id in _SMALL_INTEGERS or kind.id in ("boolean", "date"):
        return None
    if kind.id in _INTEGERS or kind.id == "decimal":
        scale = dict(kind.children)["scale"] if kind.id == "decimal" else 0
        if kind.id == "decimal" and dict(kind.children)["precision"] < 16:
            return None  # its text has at most its precision's digits
        if scale >= 15:  # 16 digits or more whatever the value ("0." and 15, or ".", 16 or more)
            return _present(value)
        limit = exp.Literal.number(10 ** (15 - scale))  # an integer part of 16 − scale digits
        return exp.or_(exp.GTE(this=value, expression=limit), exp.LTE(this=value.copy(), expression=exp.Neg(
            this=limit.copy())))
    if kind.id == "varchar":
        return _f("contains", value, _f("chr", exp.Literal.number(0)))
    raise _Untranslated(kind.id)  # _fits_any takes no other kind


def _extreme(value: exp.Expr, kind: Any, depth: int) -> exp.Expr | None:
    """A DATE in ``value`` before the year 1 or after 9999 (or infinite; NULL counts as none), or
    None where ``kind`` holds no DATE."""
    return _anywhere(value, kind, depth, lambda scalar, of: exp.not_(exp.Between(
        this=scalar, low=_typed(_FIRST_DAY, "DATE"), high=_typed(_LAST_DAY, "DATE"))) if of.id == "date" else None)


def _anywhere(value: exp.Expr, kind: Any, depth: int,
              found: Callable[[exp.Expr, Any], exp.Expr | None]) -> exp.Expr | None:
    """Whether ``found`` (a condition on a value that is no struct or list, or None where its
    type can never meet it) holds for ``value`` or anything in it — a field of a struct, an
    element of a list (NULL counts as not) — or None where nothing of ``kind`` can."""
    if kind.id == "struct":
        inner = [e for name, child in kind.children
                 if (e := _anywhere(_f("struct_extract", value.copy(), _s(name)), child, depth, found)) is not None]
        return exp.or_(*[_f("coalesce", e, exp.Boolean(this=False)) for e in inner]) if inner else None
    if kind.id == "list":
        item = exp.to_identifier(f"x{depth}")
        each = _anywhere(exp.column(item.copy()), kind.child, depth + 1, found)
        if each is None:
            return None
        kept = _f("list_filter", value, exp.Lambda(this=_f("coalesce", each, exp.Boolean(this=False)),
                                                   expressions=[item]))
        return exp.GT(this=_f("len", kept), expression=exp.Literal.number(0))
    return found(value, kind)
