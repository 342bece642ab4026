"""Populations: many cases read one at a time, from a folder, JSON Lines or a table.

Takes: a path — a directory of TOML (or JSON) case files, a JSON Lines file (``.jsonl``, one
case per line), a CSV file (``.csv``, ``,``, ``;`` or tab between cells, detected from the
header or given), an Excel workbook (``.xlsx``: the first sheet or one named) or a Parquet file
(``.parquet``, read with DuckDB). Gives: a :class:`Population` — an iterator of
:class:`PopulationRow` (a case's data, or why the lines it stands for are no case) — and its
:class:`PopulationProperties` (format, separator, decimal mark, encoding), for a summary to say
how the file was read.

Nothing is lost: every row of the input belongs to exactly one :class:`PopulationRow`, a case or
an error that names its line. A line that cannot be a case — bytes that are not UTF-8, a NUL
byte, invalid JSON or CSV, nesting deeper than :data:`~teilhabe_rules.inputs.cases.MAX_NESTING`,
longer than :data:`MAX_LINE` — is one error row and reading goes on; a file with a UTF-16 or
UTF-32 byte order mark is read in that encoding; a UTF-8 byte order mark (Excel's „CSV UTF-8“) is
skipped. Tables (CSV, XLSX, Parquet) name their columns like inputs and may write nested lists
flat, one row per list element (:mod:`teilhabe_rules.inputs.tabular`); numbers in their text cells
are read in the file's decimal notation, detected per file. In a CSV file with a ``fall`` column
(whose cases span lines anyway) a quoted cell may hold line ends, as Excel writes them; without
one, every line is a row.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime as _dt
import itertools
import math
import os
import re
import sys
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs

from ..duck import Sandbox, file_faults
from ..errors import CaseError, Diagnostic, Location, counted, did_you_mean
from ..files import LONE_RETURN_HINT, links_out, read_problem
from ..ir.text import WHITE_SPACE, decimal_text
from .cases import NO_RECORD, DocumentError, infinite_name, parse_document
from .tabular import AmbiguousNumber, Column, DecimalMark, TableCase, TableRow, assemble, key_index, parse_column

__all__ = ["FORMATS", "MAX_LINE", "MAX_XLSX_PART", "JsonLineError", "LineTooLong", "Population",
           "PopulationProperties", "NO_BOUNDS", "PopulationRow", "byte_lines", "case_files", "count_rows",
           "decode_json", "elements_one", "each_one_element", "line_numbers", "read_population", "unreadable"]

MAX_LINE = 16 * 1024 * 1024  # characters of a population line (10,000 residents: about 5 MB)
NO_BOUNDS = (0, sys.maxsize)  # the bounds of :func:`elements_one` that leave out no length
_CHUNK = 1 << 20
_SNIFF = 4096  # bytes read first, to tell the encoding

# the formats by suffix: (format, what it is called)
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx",
           ".xlsm": "xlsx", ".parquet": "parquet"}
#: the separators of a CSV population as they may be given (``separator=``, ``--trennzeichen``;
#: compared in lower case) and the character each stands for
SEPARATORS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "\\t": "\t", "tabulator": "\t"}


@attrs.frozen
class PopulationRow:
    """One case of a population: its id (file name, ``Zeile N`` or the key of a table's case),
    its data or file, or why it could not be read. ``line``/``last_line``: the lines (sheet or
    Parquet rows) it was read from (None: a case file)."""

    id: str
    data: Any = None
    error: str | None = None
    raw: str | None = None  # a JSON line, decoded where the case is evaluated
    size: int = 0  # characters of the line the row was read from (0: a case file)
    line: int | None = None
    last_line: int | None = None

    def decoded(self, records: bool = True) -> tuple[Any, str | None]:
        """The case data (a JSON line decoded here), or why the row is no case. ``records``
        False: a JSON line that is valid JSON but no object is given as its data, for the caller
        to refuse as evaluating that data refuses it (the batch: „Ein Fall ist ein Datensatz“ at
        ``$``, as for a case file or a mapping that is no record)."""
        data, error = self.data, self.error
        if error is None and self.raw is not None:
            try:
                data = decode_json(self.raw)
            except JsonLineError as exc:
                error = str(exc)
                if _LONE_RETURN.search(self.raw):  # (JSON reads a CR as a blank: the cases run together)
                    error += " — die Fälle laufen ineinander: " + LONE_RETURN_HINT
            else:
                if records and not isinstance(data, dict):
                    error = NO_RECORD  # (as evaluating that data says, and a case file holding it)
        return data, error

    def location(self, file: str | Path) -> Location | None:
        """Where the row stands in the population ``file`` (None for a case file of a folder)."""
        if self.line is None:
            return None
        return Location(str(file), self.line, 1, self.last_line if self.last_line != self.line else None)


@attrs.frozen
class PopulationProperties:
    """How a population was read: ``format`` (verzeichnis, jsonl, csv, xlsx, parquet), the CSV
    ``separator``, the ``decimal`` mark of numbers in text cells (``,``, ``.``, None: no cell
    told), the ``encoding`` and whether the file had a byte order mark, the ``sheet`` read; of a
    sheet or CSV file whose header is not its first row that is not empty, the ``header_row``
    (1-based) and the ``titles`` above it, rows of one cell passed over (``Bestand 31.12.2024``)."""

    format: str
    separator: str | None = None
    decimal: str | None = None
    decimal_given: bool = False
    encoding: str | None = None
    bom: bool = False
    sheet: str | None = None
    header_row: int | None = None
    titles: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line in German: ``CSV · Trennzeichen „;“ · Dezimalkomma (erkannt) · UTF-8 mit BOM``."""
        names = {"verzeichnis": "Verzeichnis von Falldateien", "jsonl": "JSON Lines", "csv": "CSV",
                 "xlsx": "Excel (XLSX)", "parquet": "Parquet",
                 "relation": "Tabelle im Speicher (DuckDB-Relation, Arrow-Tabelle oder Data Frame)"}
        parts = [names.get(self.format, self.format)]
        if self.sheet is not None:
            parts.append(f"Blatt „{self.sheet}“")
        if self.header_row is not None:
            shown = ", ".join(f"„{_shortened(title)}“" for title in self.titles)
            parts.append(f"Kopfzeile in Zeile {self.header_row}"
                         + (f" (darüber als Titel übergangen: {shown})" if shown else ""))
        if self.separator is not None:
            parts.append("Trennzeichen " + ("Tabulator" if self.separator == "\t" else f"„{self.separator}“"))
        if self.format in ("csv", "xlsx", "parquet", "relation"):
            if self.decimal is None:
                parts.append("keine Dezimalzahl in Textzellen")
            else:
                mark = "Dezimalkomma" if self.decimal == "," else "Dezimalpunkt"
                parts.append(f"{mark} ({'angegeben' if self.decimal_given else 'erkannt'})")
        if self.encoding is not None:
            parts.append(self.encoding + (" mit BOM" if self.bom else ""))
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "trennzeichen": self.separator, "dezimalzeichen": self.decimal,
                "dezimalzeichen_angegeben": self.decimal_given, "kodierung": self.encoding,
                "bom": self.bom, "blatt": self.sheet,
                "kopfzeile": {"zeile": self.header_row, "titel": list(self.titles)}
                if self.header_row is not None else None}


def _title_text(value: Any) -> str:
    """The one cell of a sheet's title row as a text (a date as Excel shows it in German)."""
    if isinstance(value, _dt.datetime) and value.time() == _dt.time():
        value = value.date()
    if isinstance(value, _dt.date):
        return value.strftime("%d.%m.%Y" if not isinstance(value, _dt.datetime) else "%d.%m.%Y %H:%M")
    return str(value).strip()


def _shortened(text: str, limit: int = 60) -> str:
    """``text`` in one line of at most ``limit`` characters (a title shown in a summary)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


_MARK = "teilhabe_rules.markieren"
_MARKED = re.compile("[\ud800-\udfff]")  # an undecodable byte b, marked as chr(0xDC00 + b)


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Decoding error handler: each undecodable byte b becomes the lone surrogate U+DC00 + b,
    which no correctly decoded text contains — so a line can say where its bad byte is."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(0xDC00 + byte) for byte in exc.object[exc.start:exc.end]), exc.end


codecs.register_error(_MARK, _mark_undecodable)

# a byte order mark at the start of the file chooses the encoding; without one it is UTF-8
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
         (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
         (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"))


def _encoding_of(head: bytes) -> tuple[str, str, bool]:
    """The codec, the name of a file's encoding and whether it starts with a byte order mark
    (UTF-8 without one). FF FE 00 00 is UTF-32 only if what follows is valid UTF-32: else UTF-16
    text starting with U+0000."""
    for bom, codec, shown in _BOMS:
        if head.startswith(bom):
            if bom == codecs.BOM_UTF32_LE:
                body = head[4:len(head) - (len(head) - 4) % 4]
                try:
                    body.decode("utf-32-le")
                except UnicodeDecodeError:
                    continue
            return codec, shown, True
    return "utf-8", "UTF-8", False


class Population:
    """The rows of a population, read one at a time (see the module docstring for the formats).

    Every non-empty line of a JSON Lines file, and every case of a table (a row, or the rows of
    one key), is one row: a case, or an error row saying why it is none. Reading goes on after a
    bad line; a header that cannot be read fails when the population is opened, before any row.
    ``empty`` counts the empty lines passed (not rows); :attr:`properties` says how the file is
    read (its decimal mark is known once a cell told it).

    ``separator`` (``,``, ``;``, ``tab``), ``decimal`` (``,``, ``.``) and ``sheet`` (a sheet's
    name or 1-based number) override what is detected; each applies to the formats that have it.
    ``rows``: of a Parquet file only these 0-based rows, in the file's order and numbered as in
    the file (for a file without a column ``file_row_number`` whose rows are one case each: the
    cases of those rows as reading the whole file gives them, where no cell of another row tells
    the decimal mark)."""

    path: Path
    _wanted: list[int] | None
    empty: int
    encoding: str
    bom: bool
    separator: str | None
    sheet: str | None
    header_row: int | None  # a table's header row where rows of its title stand above it (_xlsx, _csv_header)
    titles: tuple[str, ...]  # the texts of those rows
    _read_ahead: list[tuple[int, str | None]]  # a CSV file's lines read below a title that was none
    _handle: IO[bytes] | None
    _closers: list[Any]
    _key: int | None
    _headers: dict[int, str]
    _given_separator: str | None
    _csv: tuple[list[Column], Iterator[tuple[int, str | None]]]
    decimal: DecimalMark

    def __init__(self, path: str | Path, *, separator: str | None = None, decimal: str | None = None,
                 sheet: str | None = None, rows: Sequence[int] | None = None):
        path = Path(path)
        self._start(path, rows, decimal)
        if separator is not None and separator.lower() not in SEPARATORS:
            raise CaseError(Diagnostic(f"kein Trennzeichen: „{separator}“ "
                                       "(erlaubt: „,“, „;“ oder „tab“, auch „tabulator“)",
                                       code="population"))
        self._given_separator = SEPARATORS[separator.lower()] if separator is not None else None
        if path.is_dir():
            _options_apply(path, "verzeichnis", separator, decimal, sheet)
            self.format = "verzeichnis"
            try:
                files = case_files(path)
            except OSError as exc:
                raise unreadable(path, exc) from None
            self._rows: Iterator[PopulationRow] = (_folder_row(file, path) for file in files)
            return
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None and not os.path.lexists(path):  # (a folder's name, mistyped — ``bestand_2024.12`` too)
            raise CaseError(Diagnostic(
                f"Die Population „{path}“ gibt es nicht: kein Verzeichnis und keine Datei dieses Namens",
                code="population", hint=f"den Pfad prüfen (gelesen vom Arbeitsverzeichnis {os.getcwd()} aus)"
                if not path.is_absolute() else "den Pfad prüfen"))
        if fmt is None:
            raise CaseError(Diagnostic(
                f"„{path}“ ist keine Population: erwartet ein Verzeichnis von TOML-Dateien, "
                "eine JSON-Lines-Datei (.jsonl), eine CSV-Datei (.csv), eine Excel-Mappe (.xlsx, .xlsm) "
                "oder eine Parquet-Datei (.parquet)", code="population"))
        _options_apply(path, fmt, separator, decimal, sheet)
        self.format = fmt
        if fmt == "xlsx":
            try:
                self._rows = self._tables(self._xlsx(sheet))
            except BaseException:
                self.close()  # the workbooks opened so far
                raise
            return
        if fmt == "parquet":
            self._rows = self._tables(self._parquet())
            return
        try:
            self._handle = path.open("rb")
        except OSError as exc:
            raise unreadable(path, exc) from None
        lines = self._lines(self._handle)
        if fmt == "csv":
            try:
                columns, lines = self._csv_header(lines)
            except BaseException:
                self._handle.close()
                raise
            keyed = any(column.key for column in columns)  # a case may span lines: so may a cell
            self._csv = columns, lines
            records = _records(lines, self.separator or ",", len(columns)) if keyed else lines
            self._rows = self._tables((columns, self._csv_rows(records, len(columns))))
        else:
            self._rows = self._jsonl_rows(lines)

    def _start(self, path: Path, rows: Sequence[int] | None, decimal: str | None) -> None:
        """The state of a population not yet read."""
        self.path = path
        self._wanted = sorted({int(row) for row in rows}) if rows is not None else None
        self.empty = 0
        self.encoding = "UTF-8"
        self.bom = False
        self.separator = None
        self.sheet = None
        self.header_row = None
        self.titles = ()
        self._read_ahead = []
        self._handle = None
        self._closers = []
        self._key = None  # the 0-based index of a table's key column (see _typed)
        self._headers = {}  # a table's header texts by their 1-based column (see _column)
        self._given_separator = None
        try:
            self.decimal = DecimalMark(decimal)
        except ValueError as exc:
            raise CaseError(Diagnostic(str(exc), code="population")) from None

    @classmethod
    def of_relation(cls, relation: Any, name: str = "DuckDB-Relation") -> Population:
        """The rows of a DuckDB relation (also of an Arrow table or a data frame made one), read
        as a Parquet file's: a column ``fall`` keys the cases, ``bewohner[].kuerzel`` lays a list
        out flat (see the module docstring), DECIMAL as Decimal, a floating-point number as the
        Decimal of its shortest text. ``name`` stands for the file in messages."""
        population = cls.__new__(cls)
        population._start(Path(name), None, None)
        population.format = "relation"
        header = list(relation.columns)
        quoted = [_quoted(column) for column in header]
        cells = _cells(quoted, list(relation.types))
        dated = cells.dated if cells is not None else ()
        if cells is not None:  # (as a Parquet file's; each flag named after its column's place)
            relation = relation.project(", ".join(
                f"{cell} AS {column}" for cell, column in zip(
                    cells.select, [*quoted, *(f'"_unendlich_{index}"' for index in dated)], strict=True)))
        columns = _columns(header, name, 1)

        def rows() -> Iterator[TableRow]:
            for number, values in enumerate(_relation_rows(relation), start=1):
                yield population._typed(number, [_without_nulls(value) for value in _read_back(values, dated)])

        population._rows = population._tables((columns, rows()))
        return population

    @property
    def properties(self) -> PopulationProperties:
        """How the population is read (the decimal mark as far as detected)."""
        text = self.format in ("jsonl", "csv")
        return PopulationProperties(
            self.format, self.separator,
            self.decimal.mark if self.format in ("csv", "xlsx", "parquet", "relation") else None,
            self.decimal.given, self.encoding if text else None, self.bom if text else False, self.sheet,
            self.header_row, self.titles)

    def __iter__(self) -> Population:
        return self

    def __next__(self) -> PopulationRow:
        return next(self._rows)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
        for close in self._closers:
            close()
        self._closers = []

    def __enter__(self) -> Population:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- lines --

    def _lines(self, handle: IO[bytes]) -> Iterator[tuple[int, str | None]]:
        """(number, text) of each line, without its line end (``\\n`` or ``\\r\\n``) and without a
        leading byte order mark; text None: the line is longer than :data:`MAX_LINE` (it is
        skipped without being kept). Undecodable bytes are marked (:func:`_mark_undecodable`)."""
        number = 0
        try:
            data = handle.read(_SNIFF)
            codec, self.encoding, self.bom = _encoding_of(data)
            decoder = codecs.getincrementaldecoder(codec)(errors=_MARK)
            parts: list[str] = []  # the line read so far
            size = 0
            long = False
            while True:
                text = decoder.decode(data, final=not data)
                pieces = text.split("\n")
                for piece in pieces[:-1]:
                    number += 1
                    if long or size + len(piece) > MAX_LINE:
                        yield number, None
                    else:
                        yield number, _clean("".join(parts) + piece if parts else piece)
                    parts, size, long = [], 0, False
                rest = pieces[-1]
                if not long and rest:
                    size += len(rest)
                    if size > MAX_LINE:
                        parts, long = [], True
                    else:
                        parts.append(rest)
                if not data:
                    break
                data = handle.read(_CHUNK)
        except OSError as exc:
            raise unreadable(self.path, exc, number) from None
        if parts or long:  # the last line has no line end
            yield number + 1, None if long else _clean("".join(parts))

    def _problem(self, line: str | None) -> str | None:
        """Why a line cannot be a case whatever its content says, or None."""
        if line is None:
            return f"die Zeile ist zu lang (mehr als {MAX_LINE:,} Zeichen)".replace(",", ".")
        bad = _MARKED.search(line)
        if bad is not None:
            byte = ord(bad.group()) - 0xDC00
            hint = "; in Excel: Speichern unter „CSV UTF-8“" if self.format == "csv" else ""
            return (f"die Zeile ist kein gültiges {self.encoding}: Byte 0x{byte:02X} an Stelle "
                    f"{bad.start() + 1} (eine Population ist in UTF-8 geschrieben{hint})")
        if "\x00" in line:
            return (f"die Zeile enthält ein Nullbyte (Stelle {line.index(chr(0)) + 1}) — ist die "
                    "Datei UTF-16 ohne Byte-Order-Mark? Eine Population ist in UTF-8 geschrieben")
        return None

    # -- JSON Lines --

    def _jsonl_rows(self, lines: Iterator[tuple[int, str | None]]) -> Iterator[PopulationRow]:
        for number, line in lines:
            if line is not None and not line.strip(_BLANK):
                self.empty += 1  # an empty line is no row
                continue
            problem = self._problem(line)
            if problem is not None:
                yield PopulationRow(f"Zeile {number}", error=problem, line=number, last_line=number)
            else:
                yield PopulationRow(f"Zeile {number}", raw=line, size=len(line or ""), line=number,
                                    last_line=number)

    # -- tables --

    def _tables(self, table: tuple[list[Column], Iterable[TableRow]]) -> Iterator[PopulationRow]:
        columns, rows = table
        self._key = key_index(columns)  # before the first row is read
        self._headers = {column.index: column.text for column in columns}
        for case in assemble(columns, rows):
            yield self._row(case)

    def _row(self, case: TableCase) -> PopulationRow:
        return PopulationRow(case.id, case.data, case.error, line=case.line, last_line=case.last_line,
                             size=case.size)

    def _cell(self, value: Any, line: int, column: int) -> Any:
        """A cell's value: None (empty), JSON data (a text starting with ``[`` or ``{``), a number
        of a text cell in the file's notation (:class:`~teilhabe_rules.inputs.tabular.DecimalMark`),
        or the value; a ValueError (German) if it is none of these. The key column's cell is
        :func:`_key_cell`."""
        if column - 1 == self._key:
            return _key_cell(value)
        if isinstance(value, _Percent):
            return str(value)
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if text[:1] in "[{":
                return _exact(decode_json(text))
            return self.decimal.read(text, line, column)
        return _exact(value)

    # -- CSV --

    def _csv_header(self, lines: Iterator[tuple[int, str | None]]
                    ) -> tuple[list[Column], Iterator[tuple[int, str | None]]]:
        """The columns of the header (the first line that is not empty; none in an empty file),
        or a CaseError, and the lines below it. The separator is given, or the one of ``;``,
        ``,`` and tab found most often in the header (``,`` if none). Where the first line and up
        to :data:`MAX_TITLE_ROWS` lines below hold one cell each that names no column
        (:func:`_title_like`) and a line of more cells follows, that line is the header and the
        lines above it the file's title (as a sheet's, :meth:`_xlsx`)."""
        name = str(self.path)
        first = True
        for number, line in lines:
            if line is not None and not line.strip(_BLANK):
                continue
            declared = _SEP_LINE.fullmatch(line.strip(" \r")) if first and line is not None else None
            first = False
            if declared is not None:  # Excel's „sep=;“ above the header: the file names its separator
                mark = declared.group(2)
                if self._given_separator is not None and self._given_separator != mark:
                    given = "Tabulator" if self._given_separator == "\t" else f"„{self._given_separator}“"
                    raise CaseError(Diagnostic(
                        f"Die CSV-Datei nennt in Zeile {number} ihr Trennzeichen („{declared.group()}“), angegeben "
                        f"ist {given} (--trennzeichen)", Location(name, number, 1), code="population",
                        hint="--trennzeichen weglassen oder die Zeile „sep=…“ berichtigen"))
                self._given_separator = mark
                self.header_row = number + 1  # (the line below, or the first one that is not empty)
                continue
            problem = self._problem(line)
            if problem is None:
                assert line is not None
                if self.header_row is not None:
                    self.header_row = number
                self.separator = self._given_separator or _separator_of(line)
                try:
                    header = next(csv.reader((line,), strict=True, delimiter=self.separator))
                except csv.Error as exc:
                    problem = _csv_message(exc, self.separator)
            if problem is not None:
                lone = line is not None and _LONE_RETURN.search(line) is not None
                raise CaseError(Diagnostic(
                    f"Die Kopfzeile der CSV-Datei ist nicht lesbar: {problem}",
                    Location(name, number, 1), code="population",
                    hint=LONE_RETURN_HINT + " (in Excel: Speichern unter „CSV UTF-8“, nicht „CSV (Macintosh)“)"
                    if lone else None))
            if _cells_filled(header) <= 1 and all(_title_like(c) for c in header if c.strip(_BLANK)):
                found = self._below_title(lines, [(number, header)])
                if found is not None:
                    number, header, lines = found
                else:  # (no header below: the first line is the header, the lines read are rows)
                    lines = itertools.chain(self._read_ahead, lines)
            # a file separated by commas writes a decimal comma only quoted: 1.500 there is 1.5
            self.decimal.point_first = self.separator == ","
            return _columns(header, name, number), lines
        self.separator = self._given_separator or ","
        return [], lines

    def _below_title(self, lines: Iterator[tuple[int, str | None]], titles: list[tuple[int, list[str]]]
                     ) -> tuple[int, list[str], Iterator[tuple[int, str | None]]] | None:
        """The header below the title lines ``titles`` of a CSV file (their numbers and cells):
        the next line of more than one cell, where no more than :data:`MAX_TITLE_ROWS` lines of
        one cell stand above it, with its number and the lines below it; None where there is none
        (then :attr:`_read_ahead` holds the lines read, and the separator is the first line's)."""
        self._read_ahead = []
        first_separator = self.separator
        for number, line in lines:
            self._read_ahead.append((number, line))
            if line is not None and not line.strip(_BLANK):
                continue
            if line is None or self._problem(line) is not None:
                break
            separator = self._given_separator or _separator_of(line)
            try:
                cells = next(csv.reader((line,), strict=True, delimiter=separator))
            except csv.Error:
                break
            if _cells_filled(cells) <= 1 and not all(_title_like(c) for c in cells if c.strip(_BLANK)):
                break  # a column's name: no title above
            if _cells_filled(cells) > 1:
                self.separator = separator
                self.header_row = number
                self.titles = tuple(next(c.strip() for c in row if c.strip(_BLANK)) for _n, row in titles
                                    if _cells_filled(row))
                self._read_ahead = []
                return number, cells, lines
            titles.append((number, cells))
            if len(titles) > MAX_TITLE_ROWS:
                break
        self.separator = first_separator
        return None

    def _csv_rows(self, lines: Iterator[tuple[int, str | None]], width: int) -> Iterator[TableRow]:
        separator = self.separator or ","
        for number, line in lines:
            if line is not None and not line.strip(_BLANK):
                self.empty += 1
                continue
            problem = self._problem(line)
            if problem is not None:
                yield number, None, problem, len(line or "")
                continue
            assert line is not None
            try:
                cells = next(csv.reader((line,), strict=True, delimiter=separator))
            except csv.Error as exc:
                yield (number, self._plain_key(number, line, separator),
                       f"die Zeile ist kein gültiges CSV: {_csv_message(exc, separator)}", len(line))
                continue
            if not any(cell.strip() for cell in cells):
                self.empty += 1  # only separators: an empty row of a spreadsheet
                continue
            if len(cells) != width:
                # (its key not read: a field too many or too few left of it moves it)
                yield number, None, f"die Zeile hat {counted(len(cells), 'Feld', 'Felder')}, die Kopfzeile {width}", \
                    len(line)
                continue
            yield self._typed(number, cells, len(line))

    def count_csv(self) -> int:
        """The rows still to read of a CSV file, counted without reading every cell: with a
        ``fall`` column the runs of its key cells, as :func:`~teilhabe_rules.inputs.tabular.assemble`
        starts cases — a line that is no row (bytes that are not UTF-8, a NUL, too long, a
        field count other than the header's) continues the case above, a line that is no CSV
        record has the key :meth:`_plain_key` reads, a key cell is its text (:func:`_key_cell`; a
        record with a quoted line end is one row). Reads the file to its end."""
        columns, lines = self._csv
        key = self._key = key_index(columns)
        separator = self.separator or ","
        count = 0
        current: str | None = None
        for number, line in _records(lines, separator, len(columns)) if key is not None else lines:
            if line is not None and not line.strip(_BLANK):
                continue
            if key is None and (line is None or self._problem(line) is not None
                                or line.strip(WHITE_SPACE + separator + '"')):
                count += 1  # (an error row, or a row with a cell of more than white space)
                continue
            cells: Sequence[Any] | None = None  # (None: its key is not known)
            if self._problem(line) is None:
                assert line is not None
                try:
                    record = next(csv.reader((line,), strict=True, delimiter=separator))
                except csv.Error:
                    cells = self._plain_key(number, line, separator) if key is not None else None
                else:
                    if not any(cell.strip() for cell in record):
                        continue  # only separators: an empty row of a spreadsheet
                    if key is not None and len(record) == len(columns):
                        cells = [None] * key + [_key_cell(record[key])]  # (its text: no other cell changes it)
            if key is None:
                count += 1
                continue
            value = cells[key] if cells is not None and len(cells) > key else None
            name = str(value).strip() or None if value is not None else None
            if count == 0 or (name is not None and name != current):
                count += 1
                current = name
        return count

    def _plain_key(self, number: int, line: str, separator: str) -> list[Any] | None:
        """The key cell of a line that is no CSV record, as :meth:`_keyed` gives it, where the
        key field ends left of the line's first quote (the fields there hold no quoting: they are
        the line's text between separators); else None, the key not known — so too where the
        record holds a line end (lines joined by an odd quote may hold rows of the case below,
        and a lone carriage return ends a row for whoever wrote it)."""
        key = self._key
        if key is None or "\n" in line or "\r" in line:
            return None
        plain = line.split('"', 1)[0].split(separator)
        if len(plain) <= key + 1:  # the key field runs into the quote, or the line ends before it
            return None
        return self._keyed(number, plain[:key + 1], [])

    def _typed(self, number: int, cells: Sequence[Any], size: int = 0) -> TableRow:
        """A row's cells as values, or why one is none (naming its column). A row with a cell
        that is none keeps its key where the key cell is read (the other cells None): the row is
        then an error of its own case, not of the case above it."""
        out: list[Any] = []
        waiting: list[int] = []  # cells of both notations (1.500): read again once the row's others are
        for index, value in enumerate(cells, start=1):
            try:
                out.append(self._cell(value, number, index))
            except AmbiguousNumber:
                out.append(None)
                waiting.append(index)
                continue
            except JsonLineError as exc:
                problem = f"die Zeile lässt sich nicht lesen: {self._column(index)}: {exc}"
            except ValueError as exc:
                problem = f"{self._column(index)}: {exc}"
            else:
                continue
            return number, self._keyed(number, cells, out), problem, size
        for index in waiting:  # (a later cell of the row may have told the file's mark)
            try:
                out[index - 1] = self._cell(cells[index - 1], number, index)
            except ValueError as exc:
                return number, self._keyed(number, cells, out[:index - 1]), f"{self._column(index)}: {exc}", size
        return number, out, None, size

    def _column(self, index: int) -> str:
        """A cell's column as a message names it: ``Spalte 4 „plaetze“`` (its header as written),
        or ``Spalte 4`` where the table has no header there."""
        header = self._headers.get(index)
        return f"Spalte {index} „{header}“" if header else f"Spalte {index}"

    def _keyed(self, number: int, cells: Sequence[Any], read: list[Any]) -> list[Any] | None:
        """The cells of a row that is no row (a cell that is none, a value right of the header,
        …; ``read``: its cells read before the one that is none): its key cell alone, so that the
        row is an error of the case its key names; no cell at all where the key cell is empty
        (the row continues the case above, as any row without a key). None — the key is not
        known: the row continues the case above, and the case starting below it is an error
        too (:func:`~teilhabe_rules.inputs.tabular.assemble`) — where the table has no key
        column, the row ends before it or the key cell is none (a number that is no finite number).
        The key cell is read as its text (:func:`_key_cell`): what the row made whole gives,
        whatever the cells left of it hold."""
        key = self._key
        if key is None or key >= len(cells):
            return None
        if key < len(read):
            value = read[key]
        else:
            try:
                value = _key_cell(cells[key])
            except ValueError:  # (NaN or an infinity of a floating-point column)
                return None
        keyed: list[Any] = [None] * len(cells)
        if value is None:
            return keyed
        keyed[key] = value
        return keyed

    # -- XLSX --

    def _xlsx(self, sheet: str | None) -> tuple[list[Column], Iterable[TableRow]]:
        """The columns of a sheet's first non-empty row and its rows below (read-only mode:
        row by row, the workbook is not held whole)."""
        try:
            import openpyxl
            from openpyxl.utils.exceptions import InvalidFileException
        except ImportError:  # pragma: no cover - a core dependency
            raise CaseError(Diagnostic("Excel-Mappen lesen braucht das Paket openpyxl", code="population")) from None
        name = str(self.path)
        faults = (*_XLSX_FAULTS, InvalidFileException)

        def failure(exc: BaseException, number: int = 0) -> CaseError:
            reason = read_problem(exc) if isinstance(exc, OSError) else "keine gültige Excel-Mappe (.xlsx)"
            where = f" (nach Zeile {number})" if number else ""
            return CaseError(Diagnostic(f"Die Population „{name}“ lässt sich nicht lesen{where}: {reason}",
                                        Location(name, number + 1, 1), code="population"))

        large = _large_part(self.path)
        if large is not None:
            raise CaseError(Diagnostic(
                f"Die Population „{name}“ lässt sich nicht lesen: der Teil „{large.filename}“ der Mappe ist entpackt "
                f"{large.file_size:,} Bytes groß (höchstens {MAX_XLSX_PART:,})".replace(",", "."),
                Location(name, 1, 1), code="population",
                hint="nur die Tabellenblätter werden Zeile für Zeile gelesen, die übrigen Teile (gemeinsame Texte, "
                     "Formate) ganz; große Populationen als CSV oder Parquet"))
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except faults as exc:
            raise failure(exc) from None
        self._closers.append(book.close)
        try:
            names = book.sheetnames
            tables = [title for title in names if hasattr(book[title], "iter_rows")]  # not a chart sheet
        except faults as exc:
            raise failure(exc) from None
        if not names:
            raise CaseError(Diagnostic(f"Die Population „{name}“ lässt sich nicht lesen: die Mappe hat kein Blatt",
                                       Location(name, 1, 1), code="population"))
        if sheet is None:
            chosen = tables[0] if tables else names[0]
        elif sheet in names:
            chosen = sheet
        elif sheet.isdigit() and 1 <= int(sheet) <= len(names):
            chosen = names[int(sheet) - 1]
        else:
            raise CaseError(Diagnostic(f"„{name}“ hat kein Blatt „{sheet}“", code="population",
                                       hint=did_you_mean(sheet, names) or "Blätter: " + ", ".join(names)))
        if chosen not in tables:
            raise CaseError(Diagnostic(
                f"Das Blatt „{chosen}“ von „{name}“ ist ein Diagrammblatt, keine Tabelle", Location(name, 1, 1),
                code="population", hint=("Tabellenblätter: " + ", ".join(tables)) if tables
                else "die Mappe hat kein Tabellenblatt"))
        self.sheet = chosen

        def guarded(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
            """The rows of a sheet; a part of the file that does not parse is a located CaseError."""
            read = 0
            while True:
                try:
                    values = next(rows)
                except StopIteration:
                    return
                except faults as exc:
                    raise failure(exc, read) from None
                read += 1
                yield values

        try:
            # the same sheet with its formulas: a formula whose value the file does not hold (a workbook
            # written by a program, never calculated) is an error of its row, not an empty cell
            with_formulas = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
            self._closers.append(with_formulas.close)
            sheets = book[chosen], with_formulas[chosen]
            for each in sheets:  # rows as long as their cells, not as the sheet's stated size (A1:XFD1048576)
                each.reset_dimensions()
            # (the second: cells, for the formula's text and the number's format: 45 % is stored as 0.45)
            readers = [sheets[0].iter_rows(values_only=True), sheets[1].iter_rows()]
            self._closers += [reader.close for reader in readers]  # each holds its part of the file open
            rows, formulas = (guarded(reader) for reader in readers)
        except faults as exc:
            raise failure(exc) from None
        # the header: the first row that is not empty — or, where it and up to MAX_TITLE_ROWS rows
        # below have one filled cell each that names no column (_title_like) and a row of more
        # cells follows, that row: the rows above it are the sheet's title („Bestand 31.12.2024“)
        read: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = []  # the rows read to find it
        first: int | None = None  # (places in ``read``)
        titles: list[int] = []
        place: int | None = None
        for values in rows:
            read.append((values, next(formulas, ())))
            filled = [v for v in values if _filled(v)]
            if not filled:
                continue
            if first is None:
                first = len(read) - 1
            if len(filled) > 1:
                place = len(read) - 1
                break
            if not _title_like(filled[0]):
                break  # a column's name: the header of a table of one column
            titles.append(len(read) - 1)
            if len(titles) > MAX_TITLE_ROWS:
                break  # rows of one cell: a table of one column
        if place is None or place == first:
            place, titles = first, []
        if place is None:
            return [], iter(())
        if titles:
            self.header_row = place + 1
            self.titles = tuple(_title_text(next(v for v in read[i][0] if _filled(v))) for i in titles)
        values = read[place][0]
        header = [("" if v is None else str(v)) for v in values]
        while header and not header[-1].strip():
            header.pop()
        columns = _columns(header, name, place + 1)
        rest = read[place + 1:]
        return columns, self._sheet_rows(itertools.chain((r for r, _ in rest), rows),
                                         itertools.chain((f for _, f in rest), formulas), place + 1, len(columns))

    def _sheet_rows(self, rows: Iterator[tuple[Any, ...]], formulas: Iterator[tuple[Any, ...]], header: int,
                    width: int) -> Iterator[TableRow]:
        for number, values in enumerate(rows, start=header + 1):
            written = next(formulas, ())
            uncalculated = [(index, cell.value) for index, (value, cell)
                            in enumerate(zip(values, written, strict=False), start=1)
                            if value is None and isinstance(cell.value, str) and cell.value.startswith("=")]
            formats = [getattr(cell, "number_format", None) for cell in written[:width]]
            cells = [_sheet_value(v, formats[i] if i < len(formats) else None)
                     for i, v in enumerate(list(values[:width]) + [None] * (width - len(values)))]
            if uncalculated:
                index, text = uncalculated[0]
                # (a formula in the key cell: its key is not known, not empty)
                keyed = None if any(i - 1 == self._key for i, _ in uncalculated) else self._keyed(number, cells, [])
                yield (number, keyed, f"{self._column(index)}: die Zelle hat die Formel „{text}“, "
                       "aber die Mappe keinen berechneten Wert dafür (in Excel öffnen und speichern: Excel rechnet "
                       "und speichert ihn)", 0)
                continue
            if not any(_filled(v) for v in values):
                self.empty += 1
                continue
            extra = [i for i, v in enumerate(values[width:], start=width + 1) if _filled(v)]
            if extra:
                yield (number, self._keyed(number, cells, []),
                       f"die Zeile hat einen Wert in Spalte {extra[0]}, rechts der Kopfzeile", 0)
                continue
            yield self._typed(number, cells)

    # -- Parquet --

    def _parquet(self) -> tuple[list[Column], Iterable[TableRow]]:
        """The columns and rows of a Parquet file, read with DuckDB in batches (DECIMAL as
        Decimal; DOUBLE as the Decimal of its shortest text)."""
        name = str(self.path)

        def failure(reason: str) -> CaseError:
            return CaseError(Diagnostic(f"Die Population „{name}“ lässt sich nicht lesen: {reason}",
                                        Location(name, 1, 1), code="population"))

        if not self.path.is_file():  # DuckDB would read a name with * ? [ ] as a pattern of other files
            raise failure("die Datei fehlt" if not self.path.exists() else "keine Datei")
        try:
            sandbox = Sandbox([self.path])
        except OSError as exc:
            raise failure(read_problem(exc)) from None
        wanted = self._wanted
        # the rows wanted (with their number in the file as the last column), or all
        source = "read_parquet(?)" if wanted is None else (
            "(SELECT * FROM read_parquet(?, file_row_number = true) WHERE file_row_number IN "
            "(SELECT unnest(CAST(? AS BIGINT[]))) ORDER BY file_row_number)")
        parameters: list[Any] = [sandbox.paths[0]] if wanted is None else [sandbox.paths[0], wanted]
        try:
            result = sandbox.connection.execute(f"SELECT * FROM {source}", parameters)
            described = list(result.description or ())  # (its types: DuckDBPyType, as a relation's)
            names = [f"c{index}" for index in range(len(described))]
            cells = _cells(names, [item[1] for item in described])
            if cells is not None:
                result = sandbox.connection.execute(
                    f"SELECT {', '.join(cells.select)} FROM {source} AS t({', '.join(names)})", parameters)
            dated = cells.dated if cells is not None else ()
        except file_faults() as exc:
            sandbox.close()
            raise failure(f"keine gültige Parquet-Datei ({_engine_words(exc)})") from None
        self._closers.append(sandbox.close)
        if wanted is not None:
            described.pop()  # the row's number in the file
        header = [item[0] for item in described]
        columns = _columns(header, name, 1)

        def rows() -> Iterator[TableRow]:
            number = 0
            while True:
                try:
                    batch = result.fetchmany(1024)
                except file_faults() as exc:
                    after = f" (nach Zeile {number})" if number else ""
                    raise CaseError(Diagnostic(
                        f"Die Population „{name}“ lässt sich nicht lesen{after}: keine gültige Parquet-Datei "
                        f"({_engine_words(exc)})", Location(name, number + 1, 1), code="population")) from None
                if not batch:
                    return
                for values in batch:
                    row = _read_back(values, dated)
                    number = number + 1 if wanted is None else int(row.pop()) + 1
                    yield self._typed(number, [_without_nulls(value) for value in row])

        return columns, rows()


def _relation_rows(relation: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of a DuckDB relation, a batch at a time: ``iter_rows`` where DuckDB has it
    (from 2.0; a relation there keeps no result between calls), else ``fetchmany`` of the
    relation's one run."""
    if hasattr(type(relation), "iter_rows"):
        yield from relation.iter_rows()
        return
    while batch := relation.fetchmany(1024):  # pragma: no cover - DuckDB before 2.0
        yield from batch


def _engine_words(exc: BaseException) -> str:
    """DuckDB's own words on a file it cannot read, marked as its, in one line (not the query
    it shows below them); a name in the file that is no UTF-8 (its Python binding cannot make it
    a text) said so."""
    if isinstance(exc, UnicodeDecodeError):
        return "ein Name in der Datei ist kein UTF-8"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"DuckDB: {first}"


# what openpyxl raises for a part of a workbook that does not parse (XML, numbers, dates, the zip)
MAX_TITLE_ROWS = 3  # rows of one cell above a sheet's header taken as its title (see Population._xlsx)
_XLSX_FAULTS = (OSError, EOFError, zlib.error, zipfile.BadZipFile, KeyError, ValueError, IndexError, TypeError,
                AttributeError, SyntaxError)
MAX_XLSX_PART = 256 * 1024 * 1024  # unpacked bytes of a part of a workbook read whole (shared strings, styles)


def elements_one(data: Any, name: str, bounds: tuple[int, int]) -> bool | None:
    """Of a population's case read as data (a mapping): whether its list ``name`` holds exactly
    one element (True) or another number of them (False, no list given counting as none). None
    where the case fails its input check on that list whatever else it holds — its ``name`` is
    no list (the case loader takes nothing else, ``null`` included), or it holds fewer or more
    elements than ``bounds`` (the least and the most every version compared allows) — and so is
    an error row, with no budget of any kind; None too for data that is no mapping."""
    if not isinstance(data, Mapping):
        return None
    elements = data.get(name, [])
    if not isinstance(elements, list):
        return None
    count = len(elements)
    if not bounds[0] <= count <= bounds[1]:
        return None
    return count == 1


def each_one_element(cases: Iterable[Any], name: str, bounds: tuple[int, int]) -> bool | None:
    """Over cases read as data (:func:`elements_one` of each): False at the first whose list
    ``name`` passes its input check and holds another number of elements than one (the rest is
    not read), else True where there was such a case of one element, None where there was none."""
    found: bool | None = None
    for data in cases:
        one = elements_one(data, name, bounds)
        if one is False:
            return False
        if one:
            found = True
    return found


def _large_part(path: Path) -> zipfile.ZipInfo | None:
    """A part of the workbook ``path`` that is read whole and unpacks to more than
    :data:`MAX_XLSX_PART` bytes (a zip bomb), or None (also if the file is no zip: openpyxl says so).
    Sheets are read row by row and may be larger."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        return None
    return next((part for part in parts if part.file_size > MAX_XLSX_PART
                 and not re.fullmatch(r"xl/worksheets/[^/]+\.xml", part.filename)), None)


@attrs.frozen
class _Selection:
    """How :func:`_cells` selects a table's columns: ``select`` the SQL of each column, then one
    flag per column of ``dated`` (the places of the columns holding a DATE)."""

    select: list[str]
    dated: tuple[int, ...]


def _cells(columns: list[str], kinds: list[Any]) -> _Selection | None:
    """How the columns of a table DuckDB reads (their names in SQL, their DuckDB types) are
    selected so that each cell reaches Python as the case loader must see it, anywhere in a
    nested type: a FLOAT (32 bits) as the double of its shortest text (250.1, not
    250.10000610351562), a BIT string as bytes (not a text of digits that reads as a number).
    Each column holding a DATE gets a flag at the end telling whether a DATE of its cell is
    infinite (``infinity`` reaches Python as its last day, 31.12.9999, ``-infinity`` as
    01.01.0001: :func:`_read_back` gives them back as those words, which the loader refuses as no
    date). None where every column is read as it is."""
    select: list[str] = []
    changed = False
    for column, kind in zip(columns, kinds, strict=True):
        via, read = _type_sql(kind, _VIA), _type_sql(kind, _READ)
        if read == _type_sql(kind, {}):
            select.append(column)
            continue
        changed = True
        select.append(f"CAST(CAST({column} AS {via}) AS {read})" if via != read else f"CAST({column} AS {read})")
    dated: list[int] = []
    for index, (column, kind) in enumerate(zip(columns, kinds, strict=True)):
        found = _infinite(column, kind, 0)
        if found is not None:
            select.append(f"coalesce({found}, false)")
            dated.append(index)
    return _Selection(select, tuple(dated)) if changed or dated else None


# the leaf types _cells reads otherwise: first cast to (a FLOAT to the text of its shortest form) …
_VIA = {"float": "VARCHAR", "bit": "BLOB"}
# … then read as (that text as a double)
_READ = {"float": "DOUBLE", "bit": "BLOB"}


def _infinite(value: str, kind: Any, depth: int) -> str | None:
    """SQL telling whether a DATE in ``value`` (of DuckDB type ``kind``) is infinite (NULL: not
    known, where nothing is), or None where ``kind`` holds no DATE. A struct's fields are read by
    their place (a struct's fields may have no names)."""
    if kind.id == "date":
        return f"isinf({value})"
    if kind.id in ("struct", "union"):
        members = [(place, name, child) for place, (name, child) in enumerate(kind.children, start=1)
                   if not (kind.id == "union" and place == 1)]  # (a union's first child is its tag)
        inner = [found for place, name, child in members if (found := _infinite(
            f"union_extract({value}, {_text(name)})" if kind.id == "union" else f"struct_extract_at({value}, {place})",
            child, depth)) is not None]
        return " OR ".join(f"coalesce({found}, false)" for found in inner) if inner else None
    if kind.id in ("list", "array", "map"):
        item = f"x{depth}"
        if kind.id == "map":
            parts = [(f"map_keys({value})", kind.children[0][1]), (f"map_values({value})", kind.children[1][1])]
        else:
            parts = [(value, kind.children[0][1])]
        inner = [f"len(list_filter({items}, lambda {item}: coalesce({found}, false))) > 0" for items, child in parts
                 if (found := _infinite(item, child, depth + 1)) is not None]
        return " OR ".join(inner) if inner else None
    return None


def _read_back(values: Sequence[Any], dated: tuple[int, ...]) -> list[Any]:
    """The cells of a row :func:`_cells` selected, its flags taken off, each flagged cell with
    Python's first and last day — what DuckDB gives for ``-infinity`` and ``infinity`` — written
    as those words (a real 31.12.9999 in another cell stays a date)."""
    if not dated:
        return list(values)
    cells = list(values[:len(values) - len(dated)])
    for index, infinite in zip(dated, values[len(cells):], strict=True):
        if infinite:
            cells[index] = _infinite_dates(cells[index])
    return cells


def _infinite_dates(value: Any) -> Any:
    """``value`` with Python's first and last day written ``-infinity`` and ``infinity``, in
    lists, records and maps (keys too)."""
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return "infinity" if value == _dt.date.max else "-infinity" if value == _dt.date.min else value
    if isinstance(value, dict):
        return {_infinite_dates(key): _infinite_dates(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_infinite_dates(item) for item in value]
    return value


def _key_cell(value: Any) -> Any:
    """The value of a cell of the key column ``fall``: a text as it is written, without the blanks
    around it (None if that is empty) — never read as JSON or as a number, so that ``1,5``,
    ``007``, ``12h`` and ``{"a":1}`` each name their case as written, under any decimal mark;
    a value of another type (a number of a Parquet or Excel cell) as any cell's."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and not math.isfinite(value):  # (a key names its case: a number's text)
        raise ValueError(f"{infinite_name(value)} ist keine endliche Zahl")
    return _exact(value)


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _type_sql(kind: Any, leaves: Mapping[str, str]) -> str:
    """A DuckDB type's SQL with its leaf types of ``leaves`` (by DuckDB's type id) replaced, field
    names quoted (a struct field may be named like a type)."""
    kids = kind.children if kind.id in ("struct", "union", "list", "array", "map") else []
    if kind.id in ("struct", "union"):
        fields = [(name, child) for name, child in kids if not (kind.id == "union" and name == "")]
        inner = ", ".join(f"{_quoted(name)} {_type_sql(child, leaves)}" for name, child in fields)
        return f"{kind.id.upper()}({inner})"
    if kind.id == "list":
        return f"{_type_sql(kids[0][1], leaves)}[]"
    if kind.id == "array":
        return f"{_type_sql(kids[0][1], leaves)}[{int(kids[1][1])}]"
    if kind.id == "map":
        return f"MAP({_type_sql(kids[0][1], leaves)}, {_type_sql(kids[1][1], leaves)})"
    return leaves.get(kind.id, str(kind))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_MAX_RECORD_LINES = 1000  # lines of one CSV row whose quoted cells hold line ends


def _records(lines: Iterator[tuple[int, str | None]], separator: str, width: int) -> Iterator[tuple[int, str | None]]:
    """The rows of the lines of a CSV file with a ``fall`` column: a line ending inside a quoted cell (an odd number of
    ``"``: a cell with a line end, as Excel writes Alt+Enter) is joined with the lines below
    until the cell closes — within :data:`_MAX_RECORD_LINES` lines and :data:`MAX_LINE`
    characters, and where the joined lines read as one row of the header's ``width`` fields
    (separated by ``separator``); else the line stands alone (and is an error of its own) and the
    lines below are rows of their own: a stray quote (``"Haus Linde``) takes no rows of the cases
    below into its row, up to the next quoted cell with a line end."""
    waiting: deque[tuple[int, str | None]] = deque()
    while True:
        if waiting:
            number, line = waiting.popleft()
        else:
            found = next(lines, None)
            if found is None:
                return
            number, line = found
        if line is None or line.count('"') % 2 == 0:
            yield number, line
            continue
        taken: list[tuple[int, str | None]] = []
        text, closed = line, False
        while len(taken) < _MAX_RECORD_LINES:
            following = waiting.popleft() if waiting else next(lines, None)
            if following is None:
                break
            taken.append(following)
            if following[1] is None or len(text) + len(following[1]) >= MAX_LINE:
                break
            text += "\n" + following[1]
            if following[1].count('"') % 2 == 1:
                closed = True
                break
        if closed and _one_row(text, separator, width):
            yield number, text
        else:
            yield number, line
            waiting.extendleft(reversed(taken))


def _one_row(text: str, separator: str, width: int) -> bool:
    """Whether ``text``, lines joined at a quoted line end, is one CSV row of ``width`` fields."""
    try:
        cells = next(csv.reader((text,), strict=True, delimiter=separator))
    except csv.Error:
        return False
    return len(cells) == width


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _percent_format(number_format: str | None) -> bool:
    """Whether Excel shows a number of ``number_format`` as a percentage, 100 times its value: a
    „%“ of the format itself — not one in quotes (``0" %"`` shows 45 as „45 %“) or escaped
    (``0\\%``)."""
    if not number_format or "%" not in number_format:
        return False
    return "%" in re.sub(r'"[^"]*"|\\.', "", number_format)


class _Percent(str):
    """A number cell formatted as a percentage, as the quantity it shows (``45 %``, its decimal
    comma reading one way): read as it is, not in the file's notation of text cells."""


def _sheet_value(value: Any, number_format: str | None = None) -> Any:
    """A spreadsheet cell's value for a case: a number as the Decimal of its text (exact as
    shown: ``250.5``, not the binary fraction) to Excel's 15 significant digits (a computed
    ``0,1 + 0,2`` is stored as 0.30000000000000004 and shown and used by Excel as 0,3), a
    date-time at midnight as its date. A number formatted as a percentage (``0%``, ``0,00%``:
    Excel stores 45 % as 0.45) is the quantity ``45 %`` (:class:`_Percent`)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and _percent_format(number_format) \
            and (not isinstance(value, float) or math.isfinite(value)):
        shown = decimal_text(Decimal(format(value, ".15g")).scaleb(2).normalize())
        return _Percent(shown.replace(".", ",") + " %")
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(format(value, ".15g"))
    if isinstance(value, _dt.datetime):
        return value.date() if value.time() == _dt.time() else value
    if isinstance(value, _dt.time):
        return value.isoformat()
    return value


def _without_nulls(value: Any) -> Any:
    """A Parquet cell with its nested STRUCT fields that are NULL left out (as an empty cell is:
    the input's default applies)."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _exact(value: Any) -> Any:
    """Cell data with every float as the Decimal of its shortest text (never a float). NaN and
    the infinities of a floating-point column are the Decimals ``NaN``, ``Infinity`` and
    ``-Infinity``, as JSON's are read: the case loader refuses such a value at its ``$.path``
    with the message the scalar backend gives for it, beside the case's other problems."""
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else Decimal(infinite_name(value))
    if isinstance(value, dict):
        return {str(key): _exact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_exact(item) for item in value]
    return value


def _title_like(value: Any) -> bool:
    """Whether the one filled cell of a row above a table's header may be a title rather than the
    name of a column: not a text, or one with white space inside („Bestand 31.12.2024“) or not
    starting with a letter or ``_`` — a column is named like an input (``name``, ``lp2a.kap4``)."""
    if not isinstance(value, str):
        return True
    text = value.strip()
    return any(ch.isspace() for ch in text) or not (text[:1].isalpha() or text[:1] == "_")


def _cells_filled(cells: Sequence[str]) -> int:
    """How many of a CSV line's cells hold more than white space."""
    return sum(1 for cell in cells if cell.strip(_BLANK))


def _separator_of(header: str) -> str:
    counts = {mark: header.count(mark) for mark in (";", ",", "\t")}
    best = max(counts, key=lambda mark: counts[mark])
    return best if counts[best] else ","


def _columns(header: Sequence[str], name: str, line: int) -> list[Column]:
    """The columns of a header; an unusable name, an empty one or one given twice (its cells
    would be merged or one of them dropped) is a CaseError located at its cell."""
    out: list[Column] = []
    seen: dict[tuple[Any, ...], Column] = {}
    for index, text in enumerate(header, start=1):
        if not text.strip():
            raise CaseError(Diagnostic(
                f"Spalte {index} hat keinen Namen", Location(name, line, index), code="population",
                hint="jede Spalte der Kopfzeile nennt eine Eingabe; eine Spalte ohne Namen löschen (auch ein "
                     "Trennzeichen am Ende der Zeilen)"))
        try:
            column = parse_column(index, text)
        except ValueError as exc:
            raise CaseError(Diagnostic(
                f"Spalte {index} „{text}“: {exc}", Location(name, line, index), code="population",
                hint="Spalten heißen wie die Eingaben: plaetze, lp2a.kap4, bewohner[1].pflegegrad, "
                     "bewohner[].kuerzel (ein Element je Zeile), fall (Kennung des Falls)",
            )) from None
        same = (column.key, column.lists, column.steps)
        first = seen.get(same)
        if first is not None:
            raise CaseError(Diagnostic(
                f"Spalte {index} „{text}“ nennt dasselbe wie Spalte {first.index} „{first.text}“",
                Location(name, line, index), code="population",
                hint="jede Eingabe hat eine Spalte (und ein Fall eine Kennung „fall“); lösche eine der beiden"))
        seen[same] = column
        out.append(column)
    return out


_BLANK = " \t\r"  # what an empty line may hold (JSON's whitespace)
#: Excel's first line „sep=;“ (also „sep=,“, „sep=<tab>“): the separator of the lines below it —
#: also quoted and followed by empty cells, as a sheet with „sep=;“ typed into its cell A1 is saved
#: („"sep=;";;“)
_SEP_LINE = re.compile(r'("?)sep=([;,\t])\1\2*', re.IGNORECASE)


def _clean(line: str) -> str:
    """A line without ``\\r`` before its end and without a byte order mark at its start (files
    joined with ``cat`` keep theirs)."""
    if line.endswith("\r"):
        line = line[:-1]
    return line[1:] if line.startswith("\ufeff") else line


_CSV_MESSAGES = {
    "new-line character seen in unquoted field - do you need to open the file in "
    "universal-newline mode?": "ein Wagenrücklauf (\\r) mitten in der Zeile",
    "unexpected end of data":
        "ein Anführungszeichen wird nicht geschlossen (eine Zelle geht nicht über das Zeilenende)",
}


def _csv_message(exc: csv.Error, separator: str = ",") -> str:
    text = str(exc)
    if text.startswith("field larger than field limit"):
        return f"eine Zelle ist länger als {csv.field_size_limit():,} Zeichen".replace(",", ".")
    if text == f"'{separator}' expected after '\"'":
        shown = "der Tabulator" if separator == "\t" else ("das Komma" if separator == "," else f"„{separator}“")
        return f"nach einem schließenden Anführungszeichen fehlt {shown}"
    return _CSV_MESSAGES.get(text, text)


def unreadable(path: Path, exc: OSError, line: int | None = None) -> CaseError:
    """The error of a population that cannot be read (after ``line``)."""
    where = f" (nach Zeile {line})" if line else ""
    return CaseError(Diagnostic(
        f"Die Population lässt sich nicht lesen{where}: {read_problem(exc)}",
        Location(str(path), line or 1, 1), code="population"))


def _folder_row(file: Path, folder: Path) -> PopulationRow:
    """A case file of a population directory as its row: refused (an error row) where it is a
    symbolic link leading out of the directory — a case reads no file outside its tree."""
    if links_out(file, folder):  # (as the case loader's refusal of an element file reads)
        reason = f"ist ein symbolischer Link, der aus {os.path.abspath(folder)} hinausführt"
        where = Location(str(file), 1, 1)
        return PopulationRow(file.name, error=Diagnostic(f"Die Falldatei „{file}“ {reason}", where).render())
    return PopulationRow(file.name, file)


def case_files(folder: Path) -> list[Path]:
    """The case files of a population directory, by name: its entries named ``*.toml`` or
    ``*.json`` but its folders — an entry that is no regular file (a dangling link, a link in a
    circle, a FIFO) is a case too, whose reading refuses it: its error row says why, rather than
    the population losing it without a word."""
    suffixes = (".toml", ".json")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes and not p.is_dir())


def _options_apply(path: Path, fmt: str, separator: str | None, decimal: str | None, sheet: str | None) -> None:
    """A CaseError where a reading option is given for a population it does not apply to — a
    separator but for CSV, a decimal mark but for a table's text cells (CSV, Excel, Parquet), a
    sheet but for a workbook — rather than left unused."""
    if separator is not None and fmt != "csv":
        problem = f"ein Trennzeichen („{separator}“) gilt nur für eine CSV-Population (.csv, .tsv)"
    elif decimal is not None and fmt not in ("csv", "xlsx", "parquet"):
        problem = (f"ein Dezimalzeichen („{decimal}“) gilt nur für die Textzellen einer Tabelle (CSV, Excel, "
                   "Parquet)")
    elif sheet is not None and fmt != "xlsx":
        problem = f"ein Blatt („{sheet}“) gibt es nur in einer Excel-Mappe (.xlsx, .xlsm)"
    else:
        return
    raise CaseError(Diagnostic(f"„{path}“: {problem}", code="population",
                               hint="die Angabe weglassen: diese Population liest sich ohne sie"))


def read_population(path: str | Path, *, separator: str | None = None, decimal: str | None = None,
                    sheet: str | None = None) -> Population:
    """The cases of a population, one at a time (:class:`Population`). A population that cannot
    be opened fails here, before any row."""
    return Population(path, separator=separator, decimal=decimal, sheet=sheet)


# ---- one text of JSON ----


# the decoder's messages in German


class JsonLineError(ValueError):
    """A JSON text that is no case data; the message (German) says why."""


def decode_json(text: str) -> Any:
    """The data of one JSON text (a population line or a table cell), decimals exact, or a
    :class:`JsonLineError`: invalid JSON, nested deeper than
    :data:`~teilhabe_rules.inputs.cases.MAX_NESTING`, or a number of thousands of digits. Decoded by
    :func:`teilhabe_rules.inputs.cases.parse_document` (the decoder of case files); never a Python
    error."""
    try:
        return parse_document(text, json_format=True)
    except DocumentError as exc:
        raise JsonLineError(_json_message(exc)) from None


_LONE_RETURN = re.compile(r"\r(?!\n)[^\r\n]")  # a carriage return alone ending a line that more text follows


def _json_message(exc: DocumentError) -> str:
    """The message of a JSON text that could not be decoded, in German, with its place."""
    where = f"Stelle {exc.column}" if exc.line == 1 else f"Zeile {exc.line}, Stelle {exc.column}"
    return f"kein gültiges JSON: {exc.message} ({where})" if exc.syntax else f"{exc.message} ({where})"


def count_rows(path: str | Path, separator: str | None = None) -> int | None:
    """How many rows (cases) a population has, for the progress bar, or None if unknown (a
    workbook). A table with a ``fall`` column, whose cases span rows, is counted by its key cells
    as reading starts its cases (:func:`~teilhabe_rules.inputs.tabular.assemble`); ``separator``:
    a CSV file's, as given to :func:`read_population`. Reads the file once more: call it only
    where a bar is drawn."""
    path = Path(path)
    try:
        if path.is_dir():
            return sum(1 for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".toml", ".json"))
        fmt = FORMATS.get(path.suffix.lower())
        if fmt == "parquet":
            return _parquet_count(path)
        if fmt == "csv":
            return _csv_count(path, separator)
        if fmt != "jsonl":
            return None
        with path.open("rb") as handle:
            return _count_lines(handle)
    except OSError:
        return None


def _csv_count(path: Path, separator: str | None) -> int | None:
    """The cases of a CSV file: its rows, or with a ``fall`` column its runs of key cells (a
    row with an empty key cell continues the case above; a record spanning lines is one row)."""
    try:
        population = Population(path, separator=separator)
    except CaseError:
        return None
    with population:
        if population.format != "csv":
            return None
        return population.count_csv()


def _parquet_count(path: Path) -> int | None:
    """The cases of a Parquet file: its rows, or with a ``fall`` column its runs of key values,
    in the file's order (a row with an empty key continues the case above), each key its text
    as the reader takes it."""
    import duckdb
    from sqlglot import exp

    if not path.is_file():
        return None
    try:
        with Sandbox([path]) as sandbox:
            con = sandbox.connection
            described = con.execute("SELECT * FROM read_parquet(?) LIMIT 0", sandbox.paths).description or ()
            names = [str(item[0]) for item in described]
            try:
                key = key_index(_columns(names, str(path), 1))
            except CaseError:
                key = None
            if key is None:
                found = con.execute("SELECT count(*) FROM read_parquet(?)", sandbox.paths).fetchone()
            else:  # (the key's name quoted as an identifier: a value, never SQL text)
                # (the key as reading takes it: its text without white space at either end, as str.strip)
                cell = exp.Nullif(this=exp.Trim(this=exp.cast(exp.column(names[key], quoted=True), "VARCHAR"),
                                                expression=exp.Literal.string(WHITE_SPACE)),
                                  expression=exp.Literal.string(""))
                row = exp.column("file_row_number")
                before = exp.Window(this=exp.IgnoreNulls(this=exp.func("lag", exp.column("k"))),
                                    order=exp.Order(expressions=[exp.Ordered(this=row.copy())]))
                starts = exp.or_(exp.EQ(this=row.copy(), expression=exp.Literal.number(0)),
                                 exp.and_(exp.column("k").is_(exp.Null()).not_(),
                                          exp.NullSafeNEQ(this=exp.column("k"), expression=before)))
                keyed = exp.select(exp.alias_(cell, "k"), "file_row_number").from_(
                    "read_parquet(?, file_row_number = true)")
                marked = exp.select(exp.alias_(starts, "s")).from_(keyed.subquery("t"))
                query = exp.select(exp.func("count_if", exp.column("s"))).from_(marked.subquery("u"))
                try:
                    found = con.execute(query.sql("duckdb"), sandbox.paths).fetchone()
                except duckdb.Error:  # (a file with a column file_row_number of its own: its rows)
                    found = con.execute("SELECT count(*) FROM read_parquet(?)", sandbox.paths).fetchone()
    except file_faults() + (OSError,):
        return None
    return int(found[0] or 0) if found else None


class LineTooLong(Exception):
    """A line of a file longer than the bound :func:`byte_lines` was given."""


def byte_lines(path: Path, longest: int | None = None) -> Iterator[bytes]:
    """The lines of ``path`` as bytes, split at ``\\n`` only and read in chunks (a line end at the
    end of the file ends the last line); ``longest``: a line longer than that many bytes raises
    :class:`LineTooLong` as soon as so much of it is read. An OSError as reading gives it."""
    rest = b""
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                if rest:
                    yield rest
                return
            pieces = (rest + chunk).split(b"\n")
            rest = pieces.pop()
            if longest is not None and len(rest) > longest:
                raise LineTooLong
            yield from pieces


def line_numbers(path: Path) -> tuple[Callable[[int], int], int, int]:
    """Of a JSON Lines file of plain UTF-8: a function giving the line number (1-based) of a
    case by its 0-based number, the number of empty lines, and the number of cases — as
    :class:`Population` counts them (a line holding only
    blanks, tabs and carriage returns is empty; a line end at the end of the file ends the last
    line). Kept: the number of each case that follows empty lines and its line, not one per case."""
    firsts: list[int] = []  # cases that follow empty lines
    lines: list[int] = []  # their line numbers
    number = cases = empty = 0
    after_empty = False
    try:
        for piece in byte_lines(path):
            number += 1
            if not piece.strip(b" \t\r"):
                empty += 1
                after_empty = True
                continue
            if after_empty:
                firsts.append(cases)
                lines.append(number)
                after_empty = False
            cases += 1
    except OSError as exc:
        raise unreadable(path, exc, number) from None

    def line(index: int) -> int:
        position = bisect.bisect_right(firsts, index) - 1
        if position < 0:
            return index + 1
        return lines[position] + index - firsts[position]

    return line, empty, cases


def _count_lines(handle: IO[bytes]) -> int:
    """The lines of a file that are not blank, read in chunks of 1 MiB (a file without line
    ends is never held whole)."""
    count = 0
    filled = False  # the line read so far has a non-blank byte
    while chunk := handle.read(_CHUNK):
        pieces = chunk.split(b"\n")
        for piece in pieces[:-1]:
            count += filled or bool(piece.strip())
            filled = False
        filled = filled or bool(pieces[-1].strip())
    return count + filled

