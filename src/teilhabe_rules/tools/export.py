"""Tables out: results and comparison rows as CSV (plain or German Excel), XLSX, Parquet, JSON Lines.

Takes: :class:`Sheet` s — named tables of typed :class:`Column` s and rows of Python values
(Decimal, int, bool, date, text, tuples of these, None) — built from an evaluation
(:func:`result_sheets`) or by ``compare`` from its rows. Gives: files, each complete or absent
(written under a partial name and renamed, :mod:`teilhabe_rules.atomic`).

Formats (:data:`FORMATS`; :func:`format_of` takes it from the suffix or a given name):

- ``csv``: ``,`` between cells, decimal point, ISO dates, UTF-8 without BOM — for programs;
- ``csv-de``: the profile of German Excel — ``;``, decimal comma, UTF-8 with BOM, dates
  ``TT.MM.JJJJ``, ``ja``/``nein``;
- ``xlsx``: one sheet per table and a summary sheet; numbers are numbers with a number format
  by unit (EUR ``#.##0,00``, VK ``0,0000``, hours ``#.##0,00``, minutes ``0,0``), dates are
  dates, the header row is frozen and the columns are as wide as their content (a workbook
  holds a number as a binary double, written with 16 significant digits);
- ``parquet`` (written with DuckDB): numbers as ``DECIMAL(38, s)`` (decimal128; ``s`` the
  largest scale of the column, less where the largest whole part needs those digits: then the
  smallest places are rounded), never a float;
- ``jsonl``: one object per row, numbers as exact decimal strings.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from ..atomic import AtomicFile, open_partial, partial_path, replaceable
from ..duck import Sandbox
from ..errors import CaseError, Diagnostic
from ..files import write_problem
from ..ir import checked as c
from ..ir.text import date_text, decimal_text
from ..paths import file_path
from ..runtime.quantities import json_value

if TYPE_CHECKING:
    from ..columnar.batch import BatchResult

__all__ = ["BATCH_FORMATS", "FORMATS", "SUFFIXES", "Column", "FormatError", "Sheet", "batch_sheet", "cell_text",
           "csv_cell", "format_of", "number_format", "result_sheets", "result_table", "text_lines", "write_batch",
           "write_result", "write_table", "write_tables"]

FORMATS = ("csv", "csv-de", "jsonl", "xlsx", "parquet")
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx", ".parquet": "parquet"}


class FormatError(CaseError):
    """An output format that is not one of :data:`FORMATS` (or not one a command writes)."""


def format_of(target: str | Path | None, given: str | None, allowed: Sequence[str] = FORMATS,
              *, named: bool = True) -> str:
    """The output format: ``given``, or by the suffix of ``target``; a :class:`FormatError`
    (German) if it is none of ``allowed``. ``named``: whether ``--format`` may name the format of
    a file whose suffix names none (the message then offers it)."""
    shown = ", ".join(allowed)
    if given is not None:
        if given not in allowed:
            raise FormatError(Diagnostic(f"unbekanntes Ausgabeformat „{given}“ (möglich: {shown})", code="ausgabe"))
        return given
    suffix = Path(target).suffix.lower() if target is not None else ""
    fmt = SUFFIXES.get(suffix)
    if fmt is None or fmt not in allowed:
        endings = ", ".join(s for s, f in SUFFIXES.items() if f in allowed)
        offered = f"; oder --format {shown.replace(', ', '|')}" if named else ""
        ending = f"die Endung „{suffix}“ ist kein Ausgabeformat" if suffix else "der Name hat keine Endung"
        raise FormatError(Diagnostic(f"„{target}“: {ending} (möglich: {endings}{offered})", code="ausgabe"))
    return fmt


@attrs.frozen
class Column:
    """A column: its header, its unit, and the kind of its values — ``zahl`` (Decimal),
    ``ganzzahl`` (int), ``datum``, ``ja_nein``, ``text``, or a list of numbers (``liste``:
    tuples of Decimal; ``ganzzahlliste``: tuples of int)."""

    name: str
    unit: str = ""
    kind: str = "text"

    @property
    def header(self) -> str:
        return f"{self.name} [{self.unit}]" if self.unit else self.name


@attrs.frozen
class Sheet:
    """A named table: columns and rows (one value per column). ``unit_column``: the index of a
    column that holds each row's unit (a table of one value per row), for its number format."""

    name: str
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[Any]]
    unit_column: int | None = None


# ---- text of a cell ------------------------------------------------------------------------------


def cell_text(value: Any, german: bool = False) -> str:
    """A value as CSV text: numbers in full (decimal comma if ``german``), dates ISO or
    ``TT.MM.JJJJ``, ``true``/``false`` or ``ja``/``nein``, a list joined with ``|``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("ja" if value else "nein") if german else ("true" if value else "false")
    if isinstance(value, Decimal):
        text = decimal_text(value)
        return text.replace(".", ",") if german else text
    if isinstance(value, _dt.date):
        return date_text(value) if german else value.isoformat()
    if isinstance(value, (tuple, list)):
        return " | ".join(cell_text(item, german) for item in value)
    return str(value)


# what makes Excel run a text cell as a formula (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any, german: bool = False) -> str:
    """A value as a cell of a CSV file (:func:`cell_text`). In the German Excel profile a text
    (not a number, date or yes/no) that Excel would run as a formula (``=…``, ``+…``, ``-…``,
    ``@…``) gets a leading apostrophe, which Excel shows as text, never as a formula."""
    text = cell_text(value, german)
    if german and isinstance(value, (str, tuple, list)) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_json(item) for item in value]
    return value


# ---- writing -------------------------------------------------------------------------------------


def write_table(target: str | Path | IO[str], sheet: Sheet, fmt: str, staging: Path | None = None) -> None:
    """One table as ``fmt`` (``csv``, ``csv-de``, ``jsonl`` — also to an open text stream —
    ``parquet``, or ``xlsx`` with one sheet). ``staging``: where a binary file is written before
    it is renamed (default ``<target>.unvollständig``)."""
    if not isinstance(target, (str, Path)):
        target = file_path(target) or target  # (another library's path type; a text stream as it is)
    if fmt == "xlsx":
        write_tables(_path(target), [sheet], None, staging=staging)
    elif fmt == "parquet":
        _write_parquet(_path(target), sheet, staging)
    elif fmt in ("csv", "csv-de", "jsonl"):
        if isinstance(target, (str, Path)):
            with AtomicFile(target) as handle:
                _write_text(handle.write, sheet, fmt)
        else:
            _write_text(target.write, sheet, fmt)
    else:
        raise FormatError(Diagnostic(f"unbekanntes Ausgabeformat „{fmt}“", code="ausgabe"))


def _path(target: str | Path | IO[str]) -> Path:
    if not isinstance(target, (str, Path)):
        raise FormatError(Diagnostic("XLSX und Parquet werden in eine Datei geschrieben (--out DATEI)",
                                     code="ausgabe"))
    return Path(target)


def text_lines(sheet: Sheet, fmt: str, header: bool = True) -> Iterable[str]:
    """The lines of a table as ``csv``, ``csv-de`` or ``jsonl`` (``csv-de``: the header starts
    with the BOM)."""
    if fmt == "jsonl":
        names = [column.header for column in sheet.columns]
        for row in sheet.rows:
            yield json.dumps(dict(zip(names, map(_json, row), strict=True)), ensure_ascii=False) + "\n"
        return
    german = fmt == "csv-de"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if german else ",", lineterminator="\n")
    if header:
        writer.writerow([column.header for column in sheet.columns])
        yield ("\ufeff" if german else "") + buffer.getvalue()
    for row in sheet.rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(value, german) for value in row])
        yield buffer.getvalue()


def _write_text(write: Callable[[str], Any], sheet: Sheet, fmt: str) -> None:
    for line in text_lines(sheet, fmt):
        write(line)


def _replace(target: Path, produce: Callable[[Path], None], staging: Path | None = None) -> None:
    """Write ``target`` through ``produce(partial path)`` and rename it when complete."""
    replaceable(target)
    partial = staging or partial_path(target)
    try:
        open_partial(partial).close()  # created afresh, never through a link
        produce(partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CaseError(Diagnostic(f"„{target}“ lässt sich nicht schreiben: {write_problem(exc)}",
                                   code="ausgabe")) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


# ---- XLSX ----------------------------------------------------------------------------------------

_INVALID_SHEET = re.compile(r"[\[\]:*?/\\]")
XLSX_ROWS = 1_048_576  # rows of an Excel sheet, the header included


def number_format(unit: str, kind: str = "zahl") -> str:
    """The Excel number format of a column by its unit (the separators are the reader's:
    German Excel shows ``#,##0.00`` as ``1.234,50``)."""
    atoms = unit.replace("/", " ").split()
    if kind == "ganzzahl":
        return "0"
    if "EUR" in atoms:
        return "#,##0.00"
    if "VK" in atoms:
        return "0.0000"
    if "h" in atoms:
        return "#,##0.00"
    if "min" in atoms:
        return "0.0"
    if unit == "%":
        return "0.00"
    return "General"


def write_tables(target: str | Path, sheets: Sequence[Sheet], summary: Sequence[tuple[str, Any]] | None,
                 staging: Path | None = None) -> None:
    """A workbook: a sheet ``Zusammenfassung`` (``summary``: label and value per row, if given)
    and one sheet per table (header frozen, columns as wide as their content, numbers as
    numbers with a format by unit, dates as dates)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    def produce(path: Path) -> None:
        book = openpyxl.Workbook(write_only=True)
        taken: set[str] = set()
        tables = list(sheets)
        if summary is not None:
            tables.insert(0, Sheet("Zusammenfassung", (Column("Angabe"), Column("Wert")), summary))
        for table in tables:
            rows = [list(row) for row in table.rows]
            if len(rows) >= XLSX_ROWS:
                raise CaseError(Diagnostic(
                    f"„{target}“: {len(rows):,} Zeilen passen nicht auf ein Excel-Blatt (höchstens "
                    f"{XLSX_ROWS - 1:,} unter der Kopfzeile)".replace(",", "."), code="ausgabe",
                    hint="große Tabellen als .parquet oder .csv schreiben"))
            sheet = book.create_sheet(_sheet_name(table.name, taken))
            sheet.freeze_panes = "A2"
            for index, column in enumerate(table.columns, start=1):
                width = max([len(column.header)] + [len(cell_text(row[index - 1], True)) for row in rows[:1000]])
                sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
            sheet.append([_text_cell(WriteOnlyCell(sheet, _xlsx_text(column.header))) for column in table.columns])
            formats = [number_format(column.unit, column.kind) for column in table.columns]
            for row in rows:
                cells = []
                unit = str(row[table.unit_column] or "") if table.unit_column is not None else None
                for fmt, value in zip(formats, row, strict=True):
                    cell = _text_cell(WriteOnlyCell(sheet, _xlsx_value(value)))
                    if isinstance(value, _dt.date):
                        cell.number_format = "DD.MM.YYYY"
                    elif isinstance(value, (Decimal, int)) and not isinstance(value, bool):
                        cell.number_format = fmt if unit is None else number_format(unit)
                    cells.append(cell)
                sheet.append(cells)
        book.save(path)

    _replace(Path(target), produce, staging)


def _text_cell(cell: Any) -> Any:
    """A cell whose text starts with ``=`` as that text: openpyxl takes it for a formula (a case
    named ``=HYPERLINK(…)`` would be a live formula in the workbook)."""
    if isinstance(cell.value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        value = cell_text(value, True)
    if isinstance(value, str):
        return _xlsx_text(value)
    if isinstance(value, Decimal):
        return value  # written as a number (openpyxl: its float)
    return value


# the control characters XML 1.0 (a worksheet) cannot hold: openpyxl refuses them
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_text(text: str) -> str:
    """A text a worksheet can hold: a control character (U+0001 in a CSV population's case key,
    say) written as its escape, the four characters ``\\x01``."""
    return _NOT_IN_XML.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _INVALID_SHEET.sub("_", name)[:31] or "Tabelle"
    chosen, number = base, 1
    while chosen.lower() in taken:
        number += 1
        chosen = f"{base[:28]} {number}"
    taken.add(chosen.lower())
    return chosen


# ---- Parquet -------------------------------------------------------------------------------------


def _write_parquet(target: Path, sheet: Sheet, staging: Path | None = None) -> None:
    """The table as Parquet through DuckDB: every number DECIMAL(38, s) of its exact text."""
    import duckdb

    rows = [list(row) for row in sheet.rows]
    types: list[str] = []
    for index, column in enumerate(sheet.columns):
        values = [row[index] for row in rows]
        types.append(_duck_type(column, values))

    def produce(path: Path) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([f"c{index}" for index in range(len(sheet.columns))])
        for row in rows:
            writer.writerow([_duck_text(value) for value in row])
        staged = path.with_name(path.name + ".csv")
        with open_partial(staged) as handle:  # created afresh, never through a link planted under its name
            handle.write(buffer.getvalue().encode("utf-8", "backslashreplace"))  # a lone surrogate: its escape
        try:
            names = [column.header for column in sheet.columns]
            select = ", ".join(
                f"CAST(c{index} AS {kind}) AS {_quote(name)}"
                for index, (name, kind) in enumerate(zip(names, types, strict=True)))
            with Sandbox([staged, path]) as sandbox:
                source, written = sandbox.paths
                sandbox.connection.execute(
                    f"COPY (SELECT {select} FROM read_csv(?, header = true, all_varchar = true, "
                    f"quote = '\"', escape = '\"', delim = ',')) "
                    f"TO '{_literal(written)}' (FORMAT parquet, USE_TMP_FILE false)",
                    [source])
        except duckdb.Error as exc:
            raise OSError(f"DuckDB: {exc}") from None
        finally:
            staged.unlink(missing_ok=True)

    _replace(target, produce, staging)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _scale(value: Any) -> tuple[int, int]:
    """(digits before the point, digits after it) of a number."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        return 0, 0
    number = Decimal(value)
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    after = max(-exponent, 0)
    before = max(len(digits) + exponent, 1) if digits else 1
    return before, after


def _duck_type(column: Column, values: list[Any]) -> str:
    if column.kind in ("ganzzahl", "ganzzahlliste"):
        return "BIGINT[]" if column.kind == "ganzzahlliste" else "BIGINT"
    if column.kind in ("zahl", "liste"):
        numbers = [item for value in values
                   for item in (value if isinstance(value, (tuple, list)) else (value,)) if item is not None]
        before = max((_scale(n)[0] for n in numbers), default=1)
        after = max((_scale(n)[1] for n in numbers), default=0)
        after = min(after, 38 - min(before, 38))  # (beyond 38 digits in all: the smallest places rounded)
        kind = f"DECIMAL(38, {after})"
        return f"{kind}[]" if column.kind == "liste" else kind
    if column.kind == "datum":
        return "DATE"
    if column.kind == "ja_nein":
        return "BOOLEAN"
    return "VARCHAR"


def _duck_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_duck_text(item) or "NULL" for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return cell_text(value)


def write_result(target: str | Path | IO[str], result: Any, fmt: str) -> None:
    """One evaluation as ``fmt``: XLSX the workbook of :func:`result_sheets`, the other formats
    the table of every figure (:func:`result_table`)."""
    if fmt == "xlsx":
        sheets, summary = result_sheets(result)
        write_tables(_path(target), sheets, summary)
    else:
        write_table(target, result_table(result), fmt)


# ---- a result as tables --------------------------------------------------------------------------


def result_sheets(result: Any) -> tuple[list[Sheet], list[tuple[str, Any]]]:
    """The tables of one evaluation (``teilhabe_rules.model.Result``): per level of the case
    (the case itself, each list, each list inside a list) a sheet of its values — one row per
    element — and, where the level has packages, a sheet of elements × packages (level and the
    package's values, e.g. minutes, hours, VK, EUR/Tag: the matrix of the MAWo Leistungstool);
    and the summary (model, case, budget, warnings)."""
    checked = result.checked
    labels = {node.key: node.label for node in checked.nodes.values()}
    levels: dict[tuple[str, ...], list[tuple[tuple[int, ...], Any]]] = {}

    def walk(scope: Any, names: tuple[str, ...], indexes: tuple[int, ...]) -> None:
        levels.setdefault(names, []).append((indexes, scope))
        for name, items in scope.lists.items():
            levels.setdefault((*names, name), [])
            for number, item in enumerate(items, start=1):
                walk(item, (*names, name), (*indexes, number))

    walk(result.root, (), ())
    sheets: list[Sheet] = []
    for names, elements in levels.items():
        title = ".".join(names) if names else "Fall"
        keys = [Column(name, kind="ganzzahl") for name in names]
        if not names:  # the case: one row per value, as a controller reads it
            listed = [(key, labels.get(key), *_cell(q)[:2]) for key, q in elements[0][1].values.items()]
            sheets.append(Sheet(title, (Column("wert"), Column("bezeichnung"), Column("zahl", kind="zahl"),
                                        Column("einheit")), listed, unit_column=3))
        else:
            columns = _value_columns(scope.values for _, scope in elements)
            rows_of = [(*indexes, *_row(scope.values, columns)) for indexes, scope in elements]
            sheets.append(Sheet(title, (*keys, *columns), rows_of))
        packaged = [(indexes, scope) for indexes, scope in elements if scope.packages]
        if not packaged:
            continue
        columns = sorted(_value_columns(pkg.values for _, scope in packaged for pkg in scope.packages.values()),
                         key=_rank)  # minutes, hours, VK, money: the order of the Leistungstool
        rows: list[Sequence[Any]] = []
        for indexes, scope in packaged:
            for name, pkg in scope.packages.items():
                rows.append((*indexes, name, pkg.title, pkg.level, pkg.level_label, *_row(pkg.values, columns)))
        head = (*keys, Column("paket"), Column("titel"), Column("stufe", kind="ganzzahl"), Column("stufe_bezeichnung"))
        sheets.append(Sheet(f"{title} – Pakete", (*head, *columns), rows))
    info = checked.info
    budget = ".".join(info.budget) if info.budget else None
    summary: list[tuple[str, Any]] = [
        ("Modell", info.name), ("Version", info.version), ("Titel", info.title),
        ("Fall", result.source), ("Vereinbarung", result.agreement_name),
    ]
    if budget is not None:
        summary.append((f"Budget ({budget})", _cell(result.quantity(budget))[0]))
    summary += [("Warnung", text) for text in result.warnings]
    return sheets, summary


def _cell(quantity: Any) -> tuple[Any, str, str]:
    """(the cell value, its unit, its column kind) of a result's quantity: a number as the
    Decimal of its JSON text (a share in percent as in the JSON form), a key ``1:x`` as text."""
    value, vtype = quantity.value, quantity.type
    if isinstance(value, bool) or value is None:
        return value, quantity.unit, "ja_nein"
    if isinstance(value, Decimal):
        shown = json_value(value, vtype)
        try:
            return Decimal(shown), quantity.unit, "zahl"
        except ArithmeticError:
            return shown, quantity.unit, "text"
    if isinstance(value, int):
        return value, quantity.unit, "ganzzahl"
    if isinstance(value, _dt.date):
        return value, "", "datum"
    if isinstance(value, (list, tuple)):
        return json.dumps(_json(list(value)), ensure_ascii=False), quantity.unit, "text"
    return str(value), quantity.unit, "text"


def _value_columns(groups: Iterable[dict[str, Any]]) -> list[Column]:
    """One column per value name and unit, in first-seen order."""
    found: dict[tuple[str, str], Column] = {}
    for values in groups:
        for key, quantity in values.items():
            _, unit, kind = _cell(quantity)
            found.setdefault((key, unit), Column(key, unit, kind))
    return list(found.values())


def _rank(column: Column) -> int:
    atoms = column.unit.replace("/", " ").split()
    for rank, atom in enumerate(("min", "h", "VK", "EUR")):
        if atom in atoms:
            return rank + (1 if atom == "EUR" and "Tag" in atoms else 0)
    return 5


def _row(values: dict[str, Any], columns: Sequence[Column]) -> list[Any]:
    """The cells of ``values`` under ``columns`` (None where a value has another name or unit)."""
    out = []
    for column in columns:
        quantity = values.get(column.name)
        cell = _cell(quantity) if quantity is not None else None
        out.append(cell[0] if cell is not None and cell[1] == column.unit else None)
    return out


def result_table(result: Any) -> Sheet:
    """Every figure of one evaluation as one table: path (``bewohner[2].lp2a.vk``), label,
    number (or text, for a value that is no number) and unit — one row per figure, the levels
    of packages included (``bewohner[2].lp2a.stufe``)."""
    labels = {node.key: node.label for node in result.checked.nodes.values()}
    rows: list[tuple[Any, ...]] = []

    def add(path: str, key: str, quantity: Any) -> None:
        value, unit, kind = _cell(quantity)
        number = value if kind in ("zahl", "ganzzahl") else None
        text = None if number is not None else cell_text(value)
        rows.append((path, labels.get(key), number, text, unit))

    def walk(scope: Any, prefix: str) -> None:
        for key, quantity in scope.values.items():
            add(prefix + key, key, quantity)
        for name, pkg in scope.packages.items():
            if pkg.level is not None:
                rows.append((f"{prefix}{name}.stufe", pkg.title, pkg.level, pkg.level_label, ""))
            for key, quantity in pkg.values.items():
                add(f"{prefix}{name}.{key}", f"{name}.{key}", quantity)
        for name, items in scope.lists.items():
            for number, item in enumerate(items, start=1):
                walk(item, f"{prefix}{name}[{number}].")

    walk(result.root, "")
    columns = (Column("pfad"), Column("bezeichnung"), Column("zahl", kind="zahl"), Column("text"), Column("einheit"))
    return Sheet("Werte", columns, rows, unit_column=4)


# ---- the results of a population -----------------------------------------------------------------

BATCH_FORMATS = ("xlsx", "csv-de")  # the formats of :func:`write_batch`; DuckDB writes the others (BatchResult.write)


def write_batch(target: str | Path, batch: BatchResult, fmt: str, scope: str = "") -> int:
    """The results and error rows of ``scope`` of a population (:func:`batch_sheet`) as ``fmt``:
    ``xlsx`` (a workbook: a summary sheet and the table) or ``csv-de`` (the CSV of German
    Excel); gives the number of rows written. The file is complete or absent. A file
    :meth:`~teilhabe_rules.columnar.batch.BatchResult.target` refuses (the population's own, another
    ending), a format none of :data:`BATCH_FORMATS`, a table too long for a sheet or a file that
    cannot be written is a :class:`~teilhabe_rules.errors.CaseError`."""
    if fmt not in BATCH_FORMATS:
        raise FormatError(Diagnostic(f"unbekanntes Ausgabeformat „{fmt}“ (möglich: {', '.join(BATCH_FORMATS)})",
                                     hint="Parquet, CSV und JSON Lines schreibt BatchResult.write", code="ausgabe"))
    path = Path(batch.target(target, (".xlsx",) if fmt == "xlsx" else (".csv",), scope))
    sheet = batch_sheet(batch, scope)
    rows = list(sheet.rows)
    sheet = attrs.evolve(sheet, rows=rows)
    if fmt == "xlsx":
        info = batch.model.info
        summary: list[tuple[str, Any]] = [
            ("Modell", info.name), ("Version", info.version), ("Titel", info.title),
            ("Population", str(batch.source) if batch.source is not None else None),
            ("Ebene", scope or "Fälle"), ("Fälle", batch.cases), ("ausgewertet", batch.evaluated),
            ("Fehlerzeilen", len(batch.errors)), ("skalar ausgewertet", batch.scalar_cases),
        ]
        summary += [("Hinweis", note) for note in batch.notes]
        write_tables(path, [sheet], summary)
    else:
        write_table(path, sheet, fmt)
    return len(rows)


def batch_sheet(batch: BatchResult, scope: str = "") -> Sheet:
    """The results and error rows of ``scope`` of a population, as
    :meth:`~teilhabe_rules.columnar.batch.BatchResult.combined` gives them, as a table named
    after the scope: a column per result column, a number's header with its unit
    (``nacht.vk [VK]``), its cells as in the results' JSON (a share in percent, a staff key as
    the text ``1:x``), a level as its number; an error row has its messages in ``_fehler`` and
    their hints in ``_hinweis``."""
    relation = batch.combined(scope)
    types = {node.key: node.type for node in batch.model.nodes.values() if node.scope == scope}
    columns: list[Column] = []
    cells: list[Callable[[Any], Any]] = []
    for name, duck_type in zip(relation.columns, relation.types, strict=True):
        column, cell = _batch_column(name, types.get(name), str(duck_type))
        columns.append(column)
        cells.append(cell)
    rows = ([cell(value) for cell, value in zip(cells, row, strict=True)] for row in relation.fetchall())
    title = batch.model.scopes[scope].name if scope else "Fälle"
    return Sheet(title or "Fälle", tuple(columns), rows)


def _batch_column(name: str, vtype: c.ValueType | None, duck_type: str) -> tuple[Column, Callable[[Any], Any]]:
    """The column of a population's result column ``name`` (of the model's type ``vtype``, None for
    the columns every result has: ``_c``, ``_fall`` …) and how a cell of it is written."""
    plain: Callable[[Any], Any] = _same
    if vtype is None:
        kind = ("ganzzahl" if duck_type in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT")
                else "ja_nein" if duck_type == "BOOLEAN" else "text")
        return Column(name, kind=kind), plain
    if vtype.kind is c.TypeKind.ZAHL:
        unit = str(vtype.unit)
        if vtype.unit.percent:
            return Column(name, unit, "zahl"), _percent(vtype)
        return Column(name, unit, "ganzzahl" if vtype.integer else "zahl"), plain
    if vtype.kind is c.TypeKind.SCHLUESSEL:
        return Column(name), _keyed(vtype)
    if vtype.kind is c.TypeKind.ENUM and vtype.enum is not None and vtype.enum.is_levels:
        return Column(name, kind="ganzzahl"), plain
    if vtype.kind is c.TypeKind.JA_NEIN:
        return Column(name, kind="ja_nein"), plain
    if vtype.kind is c.TypeKind.DATUM:
        return Column(name, kind="datum"), plain
    return Column(name), plain


def _same(value: Any) -> Any:
    return value


def _percent(vtype: c.ValueType) -> Callable[[Any], Any]:
    def cell(value: Any) -> Any:
        return None if value is None else Decimal(json_value(value, vtype))
    return cell


def _keyed(vtype: c.ValueType) -> Callable[[Any], Any]:
    def cell(value: Any) -> Any:
        return None if value is None else json_value(value, vtype)
    return cell
