"""Where a population comes from: mappings, DuckDB relations, frames, files.

Takes: a population source — an iterable of mappings (case data as a case file gives it), a DuckDB
relation, an Arrow table or a pandas/polars frame (where installed; read through DuckDB), a
:class:`~teilhabe_rules.inputs.population.Population`, what :func:`read_source` gave (its
:class:`Unreadable` rows pass through), or a path, read as every population is
(:func:`~teilhabe_rules.inputs.population.read_population`: JSON Lines, CSV with its separator and
decimal mark detected, XLSX, Parquet, a folder of case files; a column named by a data path,
``bewohner[1].lp2a.kap4``, fills that place; never a float). Gives: the cases, in order, as
mappings (a case file's as :class:`CaseFileData`, which knows the file's folder) — or
:class:`Unreadable` for a line or file that is no case (one error row each).
:func:`population` keeps a path as a :class:`PopulationFile`, which the batch may stage in SQL
(:mod:`teilhabe_rules.columnar.intake`) instead of reading it case by case.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import duckdb

from ..duck import connect
from ..errors import CaseError, Diagnostic, TeilhabeError
from ..inputs.cases import NO_RECORD, Case, CaseFileData, read_case_file
from ..inputs.population import Population, PopulationRow, read_population
from ..paths import file_path

__all__ = ["CaseFileData", "PopulationFile", "RowsJoined", "Unreadable", "case_folder", "element_folder",
           "line_case", "names_its_cases", "population", "read_source", "table_rows"]


def _no_case(item: Any) -> Unreadable:
    """Why an element of a population given as a sequence is no case: a loaded case or a path is
    named as such; any other value is data that is no record, at ``$`` as evaluating it alone says."""
    if isinstance(item, Case):
        return Unreadable("Ein geladener Fall (Case) ist hier kein Fall: evaluate_many nimmt Fälle als Tabellen "
                          "(Schlüssel = Wert), einen geladenen wertet Model.evaluate aus")
    if file_path(item) is not None:  # a str or a path object alike
        return Unreadable(
            "Ein Text oder Pfad ist hier kein Fall: evaluate_many nimmt Fälle als Tabellen (Schlüssel = Wert) "
            "oder die ganze Population als einen Pfad (ein Verzeichnis von Falldateien, eine JSON-Lines-, "
            "CSV-, Excel- oder Parquet-Datei); eine einzelne Falldatei wertet Model.evaluate aus")
    return Unreadable(NO_RECORD, path="$")


@attrs.frozen
class Unreadable:
    """A line or file of the population that is no case: the German message, where, and the
    hint evaluating it alone gives (a case file that cannot be read)."""

    message: str
    where: str | None = None
    path: str | None = None  # ``$`` where the data read is no record, as evaluating it alone says
    hint: str | None = None




def names_its_cases(source: Any) -> bool:
    """Whether :func:`read_source` reads ``source`` as a population whose reader names its cases
    (a path, a population opened, a DuckDB relation, an Arrow table, a pandas/polars frame) —
    not as cases given as mappings."""
    return (file_path(source) is not None or isinstance(source, (Population, duckdb.DuckDBPyRelation))
            or _is_frame(source))


def _is_frame(source: Any) -> bool:
    """Whether ``source`` is an Arrow table (anything with an Arrow stream) or a pandas/polars frame."""
    return hasattr(source, "__arrow_c_stream__") or type(source).__module__.split(".")[0] in ("pandas", "polars")


def read_source(source: Any, ids: list[str] | None = None) -> Iterator[Mapping[str, Any] | Unreadable]:
    """The cases of ``source`` (see the module docstring). ``ids``: where given, the id of each
    case read by the population reader is appended to it as the case is given — its key ``fall``,
    ``Zeile N`` or the case file's name, as :class:`~teilhabe_rules.inputs.population.PopulationRow`
    names it (cases given as mappings have none: nothing is appended)."""
    named = file_path(source)
    if named is not None:
        yield from _read_path(named, ids)
        return
    if isinstance(source, Population):
        yield from _population_rows(source, ids)
        return
    if isinstance(source, duckdb.DuckDBPyRelation) or _is_frame(source):
        yield from _table_rows(source, ids)
        return
    if isinstance(source, Mapping):
        yield source
        return
    if isinstance(source, Iterable) and not isinstance(source, (bytes, bytearray, memoryview)):
        for item in source:
            yield item if isinstance(item, (Mapping, Unreadable)) else _no_case(item)
        return
    raise CaseError(Diagnostic(
        f"Ein Wert vom Typ „{type(source).__name__}“ ist keine Population: erwartet Fälle (eine Folge von "
        "Tabellen), eine DuckDB-Relation, eine Arrow-Tabelle, einen pandas- oder polars-DataFrame oder einen "
        "Pfad", code="population"))


def _table_rows(source: Any, ids: list[str] | None) -> Iterator[Mapping[str, Any] | Unreadable]:
    """The cases of a DuckDB relation, an Arrow table or a data frame; a CaseError where DuckDB
    cannot read it (its connection closed, an Arrow stream read before, its query failing)."""
    relation = isinstance(source, duckdb.DuckDBPyRelation)
    try:
        if not relation:
            con = connect()
            source = con.from_arrow(source) if hasattr(source, "__arrow_c_stream__") else con.from_df(source)
        yield from _population_rows(Population.of_relation(source, "DuckDB-Relation" if relation else "Tabelle"), ids)
    except duckdb.Error as exc:
        words = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CaseError(Diagnostic(
            f"Die Population ({'DuckDB-Relation' if relation else 'Tabelle'}) lässt sich nicht lesen: DuckDB: {words}",
            code="population",
            hint="evaluate_many liest sie, während es läuft: ihre Abfrage muss sich dann ausführen lassen, "
                 "die Verbindung der Relation offen sein; ein Arrow-Datenstrom (RecordBatchReader) lässt sich "
                 "nur einmal lesen – für mehrere Läufe eine Tabelle daraus machen (read_all())")) from None


def case_folder(data: Any, default: Path | None) -> Path | None:
    """Where the element files named by the case ``data`` are read from: the folder of the case
    file it was read from (:class:`CaseFileData`), else ``default`` (None: the working directory)."""
    return data.folder if isinstance(data, CaseFileData) else default


@attrs.frozen
class PopulationFile:
    """A population given by its path: iterated, its cases as :func:`read_source` gives them;
    :func:`~teilhabe_rules.columnar.batch.run_batch` stages a JSON Lines file in SQL instead
    (:mod:`teilhabe_rules.columnar.intake`). ``ids``: see :func:`read_source` (of the cases
    read case by case; none of a staged file)."""

    path: Path
    ids: list[str] | None = attrs.field(default=None, eq=False)

    def __iter__(self) -> Iterator[Mapping[str, Any] | Unreadable]:
        return _read_path(self.path, self.ids)


def element_folder(source: Any) -> Path | None:
    """Where the element files the rows of ``source`` name are read from (and confined to): the
    folder of a population file, a population directory itself (a case file's own folder for
    the case read from it: :func:`case_folder`), also given as a
    :class:`~teilhabe_rules.inputs.population.Population` read from one; None for cases given
    otherwise (mappings, relations, frames: the working directory, as for
    :meth:`~teilhabe_rules.model.Model.load_case`)."""
    if isinstance(source, PopulationFile):
        path: Path | None = source.path
    elif isinstance(source, Population):  # (one read from a file or folder; not a relation's)
        path = source.path if source.format != "relation" else None
    else:
        path = file_path(source)
    if path is None:
        return None
    return path if path.is_dir() else path.parent


def population(source: Any, ids: list[str] | None = None) -> Iterable[Mapping[str, Any] | Unreadable]:
    """The cases of ``source`` as :func:`read_source` gives them (``ids``: see there); a path as a
    :class:`PopulationFile`."""
    named = file_path(source)
    return PopulationFile(named, ids) if named is not None else read_source(source, ids)


def line_case(number: int, line: str) -> Mapping[str, Any] | Unreadable:
    """The case of line ``number`` (1-based) of a JSON Lines population, exactly as
    :func:`read_source` gives it (a line the population reader passes, decoded)."""
    data, error = PopulationRow(f"Zeile {number}", raw=line, size=len(line), line=number,
                                last_line=number).decoded(records=False)
    if error is not None:
        return Unreadable(error, f"Zeile {number}")
    return data if isinstance(data, Mapping) else Unreadable(NO_RECORD, f"Zeile {number}", "$")


class RowsJoined(Exception):
    """Rows of a table that the population reader does not read as one case each: a row whose
    key it cannot read (a NaN in a floating-point key column) continues the case above it."""


def table_rows(path: Path, indexes: Sequence[int]) -> dict[int, Mapping[str, Any] | Unreadable]:
    """The cases of the 0-based rows ``indexes`` of a Parquet file whose rows are one case each
    and in which no text cell outside the nested columns is read as a number, exactly as
    :func:`read_source` gives them (only those rows are read); :class:`RowsJoined` where the
    reader does not read them as one case each."""
    wanted = sorted({int(i) for i in indexes})
    if not wanted:
        return {}
    found = list(_population_rows(Population(path, rows=wanted)))
    if len(found) != len(wanted):
        raise RowsJoined(f"{path}: {len(found)} Fälle aus {len(wanted)} Zeilen")
    return dict(zip(wanted, found, strict=True))


def _read_path(path: Path, ids: list[str] | None = None) -> Iterator[Mapping[str, Any] | Unreadable]:
    """A population file or folder, read as everywhere else (:mod:`teilhabe_rules.inputs.population`:
    separator, decimal mark and encoding detected, XLSX, Parquet, JSON Lines, case files)."""
    yield from _population_rows(read_population(path), ids)


def _population_rows(population: Population, ids: list[str] | None = None) -> Iterator[Mapping[str, Any] | Unreadable]:
    with population:
        for row in population:
            data, error = row.decoded(records=False)  # (data that is no record: refused below, as evaluating it)
            where = row.id
            if ids is not None:
                ids.append(where)
            if error is not None:
                yield Unreadable(error, where)
            elif isinstance(data, Mapping):
                yield data
            elif isinstance(data, Path):
                try:
                    read, _text = read_case_file(data)
                except TeilhabeError as exc:
                    yield Unreadable(str(exc).splitlines()[0], where,
                                     hint=exc.diagnostics[0].hint if exc.diagnostics else None)
                    continue
                # (its element files beside it, as where the file is read alone)
                yield CaseFileData(read, data.parent) if isinstance(read, Mapping) else Unreadable(
                    NO_RECORD, where, "$")
            else:
                yield Unreadable(NO_RECORD, where, "$")


