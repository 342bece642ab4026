"""Tables as cases: columns named like inputs, numbers in the file's notation, lists flat or nested.

Takes: the header of a table (CSV line, first row of a spreadsheet, Parquet column names) and its
rows as cells. Gives: case data, one mapping per case, with the lines it came from; or, per case,
why it is none.

Columns are input paths (``plaetze``, ``lp2a.kap4``, ``bewohner[1].pflegegrad``). The flat layout
of nested models writes one row per list element: a column ``bewohner[].kuerzel`` adds an element
to the list ``bewohner`` in each row where a cell of ``bewohner[]`` is filled; a column
``bewohner[].massnahmen[].stunden`` adds a measure to the resident of the same or the nearest row
above. The column :data:`KEY` (``fall``) names the case: rows with the same key, one below the
other, are one case, and a row with an empty key continues the case above. Without a key column
each row is a case of its own. Values outside lists (the offer's) may be given in any row of the
case; given twice, they must agree.

Numbers in text cells are read in the notation of the file (:class:`DecimalMark`): decimal comma
(``250,5``, with points grouping thousands: ``1.234,5``) or decimal point (``250.5``), detected
from the first cell that tells (``12`` does not, ``1,5`` does) or given. A number in the other
notation is an error of its row that names both cells — never read as some other number. A cell
starting with ``[`` or ``{`` is JSON (with JSON's decimal point).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ..ir.text import decimal_text
from ..paths import PathError, format_path, parse_path, set_path
from ..units import UnitError, parse_unit

__all__ = ["KEY", "AmbiguousNumber", "CellNumber", "Column", "DecimalMark", "TableCase", "assemble", "flatten",
           "key_index", "number_text", "parse_column", "reads_both_ways"]

KEY = "fall"  # the column that names a case (and groups the rows of one case)
_MAX_INDEX = 100_000  # the largest list index of a column

_NUMBER = re.compile(r"([+-]?)([0-9][0-9.,]*)\s*(.*)", re.S)  # digits 0–9 only (not "٣")
_PLAIN = re.compile(r"[0-9]+")
_COMMA = re.compile(r"[0-9]+,[0-9]+")
_POINT = re.compile(r"[0-9]+\.[0-9]+")
_GROUPED_COMMA = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,[0-9]+)?")  # 1.234 / 1.234,5 (German; no 0.125)
_GROUPED_POINT = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+")  # 1,234.5 (English, with a fraction)

NAMES = {",": "Dezimalkomma", ".": "Dezimalpunkt"}


@attrs.frozen
class Column:
    """A column of a table: its 1-based position, its header text, the lists it adds an element
    to (``bewohner[].massnahmen[].x``: two, outermost first) and the steps inside the innermost
    element (or the case, for a column outside lists)."""

    index: int
    text: str
    lists: tuple[tuple[str | int, ...], ...]
    steps: tuple[str | int, ...]
    key: bool = False


def parse_column(index: int, text: str) -> Column:
    """The column of header cell ``text``; a ValueError (German) if it names no input path."""
    name = text.strip()
    if name == KEY:
        return Column(index, name, (), (), key=True)
    for separator in (";", ",", "\t"):
        if separator in name:
            shown = "Tabulator" if separator == "\t" else f"„{separator}“"
            raise ValueError(f"„{name}“ enthält {shown}: ist die Datei mit {shown} getrennt? "
                             "(--trennzeichen)")
    parts = name.split("[]")
    lists: list[tuple[str | int, ...]] = []
    for number, part in enumerate(parts):
        if number and part and not part.startswith("."):
            raise ValueError(f"nach „[]“ folgt „.name“, nicht „{part}“")
        part = part[1:] if number else part
        if not part and number < len(parts) - 1:
            raise ValueError("„[]“ folgt auf einen Namen (bewohner[].kuerzel)")
        if not part:
            raise ValueError("nach „[]“ folgt der Name einer Eingabe (bewohner[].kuerzel)")
        try:
            steps = parse_path(part)
        except PathError as exc:
            raise ValueError(str(exc)) from None
        if any(isinstance(step, int) and step > _MAX_INDEX for step in steps):
            raise ValueError(f"ein Listenindex über {_MAX_INDEX:,}".replace(",", "."))
        if number < len(parts) - 1:
            lists.append(steps)
        else:
            return Column(index, name, tuple(lists), steps)
    raise AssertionError("unreachable")  # pragma: no cover


class AmbiguousNumber(ValueError):
    """A number cell read in both notations (``1.500``) before the file's mark is known."""


class CellNumber(str):
    """A number of a table's text cell as :meth:`DecimalMark.read` rewrites it for the case
    loader (``24,2 h/Woche`` → ``24.2 h/Woche``), a text like any other; ``written`` is the cell
    as the file writes it, which a message quoting the value shows (so a refused cell is quoted
    as the user wrote it, not as it was rewritten)."""

    written: str

    def __new__(cls, read: str, written: str) -> CellNumber:
        number = super().__new__(cls, read)
        number.written = written
        return number

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # (copied, pickled: both texts)
        return str(self), self.written

    @classmethod
    def of(cls, read: str, written: str) -> str:
        """``read``, remembering ``written`` where the two differ."""
        return read if read == written else cls(read, written)


class DecimalMark:
    """The decimal mark of one file: given (``","`` or ``"."``), or detected from the first cell
    that tells. ``where``: the cell it was detected at (text, line, column)."""

    def __init__(self, given: str | None = None):
        if given not in (None, ",", "."):
            raise ValueError(f"kein Dezimalzeichen: „{given}“ (erlaubt: „,“ oder „.“)")
        self.mark = given
        self.given = given is not None
        self.where: tuple[str, int, int] | None = None
        # a cell of both notations (1.500) tells a decimal point: a CSV file separated by commas,
        # whose writer quotes a decimal comma (else it is an AmbiguousNumber until a cell tells)
        self.point_first = False

    @property
    def name(self) -> str | None:
        """``Dezimalkomma``, ``Dezimalpunkt``, or None (no cell told yet)."""
        return NAMES.get(self.mark or "")

    def read(self, text: str, line: int, column: int) -> str:
        """``text`` with a number in the file's notation rewritten with a decimal point
        (``1.234,5 EUR/h`` → ``1234.5 EUR/h``); other text unchanged. A number in the other
        notation is a ValueError (German, naming where the notation was detected)."""
        match = _NUMBER.fullmatch(text)
        if match is None:
            return text
        sign, digits, rest = match.groups()
        if rest and not _is_unit(rest):
            return text  # text that starts with digits (a date, a name): not a number
        options = _readings(digits)
        if not options:
            return text
        for mark, value in options:
            if mark is None or mark == self.mark:
                return CellNumber.of(_decided(sign, value, rest), text)
        if self.mark is None:
            if len({mark for mark, _value in options}) > 1 and not self.point_first:  # (1.500: 1,5 or 1500)
                point, comma = (dict(options)[mark] for mark in (".", ","))
                shown = decimal_text(Decimal(point).normalize()).replace(".", ",")
                raise AmbiguousNumber(
                    f"„{text}“ ist mehrdeutig: mit Dezimalpunkt {sign}{shown}, mit Dezimalkomma und Punkten "
                    f"zwischen den Tausendern {sign}{comma}; keine Zelle davor zeigt, welches Dezimalzeichen die "
                    "Datei verwendet (--dezimalzeichen angeben)")
            mark, value = options[0]
            self.mark, self.where = mark, (text, line, column)
            return CellNumber.of(_decided(sign, value, rest), text)
        raise ValueError(self._mismatch(text, options[0][0]))

    def keeps(self, text: str) -> bool:
        """Whether :meth:`read` gives ``text`` back as it is under either mark, telling none: no
        number, or digits alone (no mark, no unit). Reading such a text changes nothing."""
        match = _NUMBER.fullmatch(text)
        if match is None:
            return True
        sign, digits, rest = match.groups()
        if rest:
            return not _is_unit(rest)
        return not _readings(digits) or (_PLAIN.fullmatch(digits) is not None and text == sign + digits)

    def _mismatch(self, text: str, mark: str | None) -> str:
        shown = NAMES.get(mark or "", "")
        own = self.name or ""
        if self.given:
            origin = "so angegeben (--dezimalzeichen)"
        elif self.where is not None:
            cell, line, column = self.where
            origin = f"erkannt an „{cell}“ in Zeile {line}, Spalte {column}"
        else:  # pragma: no cover - a mark is either given or detected
            origin = "erkannt"
        return (f"„{text}“ ist mit {shown} geschrieben, die Datei schreibt Zahlen mit {own} ({origin}); "
                "eine Datei verwendet ein Dezimalzeichen")


def number_text(text: str) -> str:
    """``text``, a number (perhaps with a unit) of a case or an agreement, where no file's notation
    tells the decimal mark, with its number written with a decimal point as a CSV cell's is read
    (``12,5 min/Tag`` → ``12.5 min/Tag``, ``1.234,5 h`` → ``1234.5 h``, ``1,234.5`` → ``1234.5``);
    other text unchanged. A number alone with one point is read with a decimal point, as JSON and
    programs write numbers (``"1.500"``, ``str(Decimal("1.500"))``: 1.5); with a unit, as a person
    writes a quantity, a number that reads in both notations (``1.500 h``: 1.5 with a decimal
    point, 1500 with points grouping thousands) is a ValueError (German) — never silently one of
    them."""
    stripped = text.strip()
    match = _NUMBER.fullmatch(stripped)
    if match is None:
        return text
    sign, digits, rest = match.groups()
    if rest and not _is_unit(rest):
        return text
    options = _readings(digits)
    if not options:
        return text
    if not rest and _POINT.fullmatch(digits):  # a number alone: as JSON and programs write it (str(Decimal))
        return _joined(sign, digits, rest)
    if len(options) > 1:
        point, comma = (dict(options)[mark] for mark in (".", ","))
        shown = decimal_text(Decimal(point).normalize()).replace(".", ",")  # (a decimal comma: one reading)
        sign = sign.lstrip("+")  # (a number is written without „+“)
        readings = [f"„{_joined(sign, number, rest)}“" for number in (shown, comma)]
        raise ValueError(f"„{stripped}“ ist mehrdeutig: mit Dezimalpunkt {sign}{shown}, mit Punkten zwischen den "
                         f"Tausendern {sign}{comma}; schreibe {' oder '.join(readings)}")
    return _joined(sign, options[0][1], rest)


def _is_unit(text: str) -> bool:
    try:
        parse_unit(text)
    except UnitError:
        return False
    return True


def _joined(sign: str, value: str, rest: str) -> str:
    return f"{sign}{value} {rest}" if rest else f"{sign}{value}"


_BOTH_WAYS = re.compile(r"[1-9][0-9]{0,2}\.[0-9]{3}")  # a number of both notations, as a decimal point writes it


def reads_both_ways(digits: str) -> bool:
    """Whether ``digits`` (a number without sign) is a decimal with a point that reads as a number
    with a point grouping thousands too: ``1.500`` (1.5 or 1500), not ``0.125`` or ``1.5``."""
    return _BOTH_WAYS.fullmatch(digits) is not None


def _decided(sign: str, value: str, rest: str) -> str:
    """A number read in its file's notation, written as :func:`number_text` reads it as the same
    number again: with a unit, a decimal of both notations (``1.500 h``, once the file's mark
    has told 1.5) with a decimal comma (``1,500 h``), which reads one way."""
    if rest and reads_both_ways(value):
        value = value.replace(".", ",")
    return _joined(sign, value, rest)


def _readings(digits: str) -> list[tuple[str | None, str]]:
    """The ways ``digits`` reads as a number: (mark it needs, None for any; the number with a
    decimal point), the likelier first; none if it is no number (``01.07.2024``)."""
    if _PLAIN.fullmatch(digits):
        return [(None, digits)]
    if _COMMA.fullmatch(digits):
        return [(",", digits.replace(",", "."))]
    options: list[tuple[str | None, str]] = []
    if _POINT.fullmatch(digits):
        options.append((".", digits))
    if _GROUPED_COMMA.fullmatch(digits):
        options.append((",", digits.replace(".", "").replace(",", ".")))
    if _GROUPED_POINT.fullmatch(digits):
        options.append((".", digits.replace(",", "")))
    return options


# ---- rows to cases -----------------------------------------------------------------------------


@attrs.frozen
class TableCase:
    """One case of a table: its id (the key, or ``Zeile N``), its first and last line, and its
    data or why it is none."""

    id: str
    line: int
    last_line: int
    data: dict[str, Any] | None = None
    error: str | None = None
    size: int = 0  # characters of its lines (0 where unknown)


@attrs.define
class _Open:
    """The case being assembled."""

    key: str | None
    line: int
    last_line: int
    data: dict[str, Any] = attrs.Factory(dict)
    given: dict[tuple[str | int, ...], tuple[Any, int]] = attrs.Factory(dict)  # value, line
    elements: dict[tuple[tuple[str | int, ...], ...], dict[str, Any]] = attrs.Factory(dict)
    error: str | None = None
    size: int = 0

    def fail(self, line: int, message: str) -> None:
        if self.error is None:  # the first problem stands for the case
            self.error = f"Zeile {line}: {message}" if self.key is not None or line != self.line else message


# a row as the readers give it: its line, its cells (None: empty), why it is no row (then its
# cells are None, or only its key cell is filled: the row is an error of the case it keys), its
# size in characters (0 where unknown)
TableRow = tuple[int, "Sequence[Any] | None", "str | None", int]


def key_index(columns: Sequence[Column]) -> int | None:
    """The 0-based position of the table's key column (``fall``) among its cells, or None."""
    return next((c.index - 1 for c in columns if c.key), None)


def assemble(columns: Sequence[Column], rows: Iterable[TableRow]) -> Iterator[TableCase]:
    """The cases of a table's rows (see the module docstring). A row that is an error (a
    problem given) makes its case an error — the case its key names where its key cell is read,
    else the case above it; every row belongs to exactly one case. A row whose key is not known
    (its cells None in a table with a key column) may have been the first row of the case that
    starts below it, which would then lack it: that case is an error too, naming the row."""
    key = key_index(columns)
    seen: set[str] = set()
    current: _Open | None = None
    unknown: int | None = None  # the last row of the current case whose key is not known
    for line, cells, problem, size in rows:
        name = _key(cells[key]) if key is not None and cells is not None else None
        starts = current is None or key is None or (name is not None and name != current.key)
        if starts:
            if current is not None:
                yield _closed(current)
            current = _Open(name, line, line)
            if name is not None and name in seen:
                current.fail(line, f"Fall „{name}“ steht schon weiter oben; die Zeilen eines Falls "
                                   "stehen untereinander")
            if unknown is not None:
                current.fail(line, f"die Zeile {unknown} darüber ist nicht lesbar, auch nicht, zu welchem Fall sie "
                                   "gehört — vielleicht zu diesem, der dann ohne sie gerechnet würde")
            unknown = None
            if name is not None:
                seen.add(name)
        elif name is not None:
            unknown = None  # a row of the same key below it: the row lies inside this case
        assert current is not None
        if key is not None and cells is None:
            unknown = line
        current.last_line = line
        current.size += size
        if problem is not None or cells is None:
            current.fail(line, problem or "die Zeile ist nicht lesbar")
            continue
        if current.error is None:
            try:
                _add_row(current, columns, cells, line)
            except ValueError as exc:
                current.fail(line, str(exc))
    if current is not None:
        yield _closed(current)


def _key(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _closed(case: _Open) -> TableCase:
    ident = case.key if case.key is not None else f"Zeile {case.line}"
    if case.error is not None:
        return TableCase(ident, case.line, case.last_line, error=case.error, size=case.size)
    return TableCase(ident, case.line, case.last_line, case.data, size=case.size)


def _add_row(case: _Open, columns: Sequence[Column], cells: Sequence[Any], line: int) -> None:
    """Put the filled cells of one row into the case (see the module docstring)."""
    lists: dict[tuple[tuple[str | int, ...], ...], list[tuple[Column, Any]]] = {}
    for column, value in zip(columns, cells, strict=True):
        if value is None or column.key:
            continue
        if not column.lists:
            known = case.given.get(column.steps)
            if known is not None and not _same(known[0], value):
                raise ValueError(f"Spalte „{column.text}“: „{_shown(value)}“, weiter oben (Zeile {known[1]}) "
                                 f"„{_shown(known[0])}“ — ein Wert des Falls steht einmal oder überall gleich")
            case.given[column.steps] = (value, line)
            _put(case.data, column.steps, value)
        else:
            lists.setdefault(column.lists, []).append((column, value))
    for path in sorted(lists, key=len):  # outer lists first: an inner element goes into them
        if len(path) == 1:
            parent: dict[str, Any] = case.data
        else:
            found = case.elements.get(path[:-1])
            if found is None:
                outer = "[].".join(_text(steps) for steps in path[:-1]) + "[]"
                raise ValueError(f"ein Element von „{_listed(path)}“ ohne ein Element von „{outer}“ "
                                 "in dieser Zeile oder darüber")
            parent = found
        element: dict[str, Any] = {}
        target = _list_at(parent, path[-1])
        target.append(element)
        case.elements = {p: e for p, e in case.elements.items() if p[:len(path)] != path}
        case.elements[path] = element
        for column, value in lists[path]:
            _put(element, column.steps, value)


def _same(a: Any, b: Any) -> bool:
    """Whether two cells give the same value: equal, or the same number that is none (``NaN`` of
    two floating-point cells, which no comparison finds equal; the case loader refuses it)."""
    if isinstance(a, Decimal) and isinstance(b, Decimal) and not (a.is_finite() and b.is_finite()):
        return a.compare_total(b) == 0
    return bool(a == b)


def _shown(value: Any, inner: bool = False) -> str:
    """A cell's value as a message quotes it: a text as it is, a number's every digit, JSON data
    (a list, an object) in JSON's notation with its texts quoted, anything else (a date, bytes)
    as its text — never as Python writes it (``Decimal('1.5')``). ``inner``: inside JSON data."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_shown(item, True) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(key), ensure_ascii=False)}: {_shown(item, True)}"
                               for key, item in value.items()) + "}"
    if value is None:
        return "null"
    text = value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else str(value)
    return json.dumps(text, ensure_ascii=False) if inner and not isinstance(value, int) else text


def _text(steps: tuple[str | int, ...]) -> str:
    return format_path(steps)


def _listed(path: tuple[tuple[str | int, ...], ...]) -> str:
    return "[].".join(_text(steps) for steps in path) + "[]"


def _list_at(parent: dict[str, Any], steps: tuple[str | int, ...]) -> list[Any]:
    """The list at ``steps`` in ``parent``, created where missing."""
    current: Any = parent
    for number, step in enumerate(steps):
        last = number == len(steps) - 1
        if isinstance(step, int):
            if not isinstance(current, list):
                raise ValueError(f"Index [{step}] folgt auf keine Liste")
            while len(current) < step:
                current.append({})
            current = current[step - 1]
            if last and not isinstance(current, list):
                current = []  # pragma: no cover - a list of lists is no input
            continue
        if not isinstance(current, dict):
            raise ValueError(f"„{step}“ folgt auf keinen Datensatz")
        default: Any = [] if last else {}
        if not last and isinstance(steps[number + 1], int):
            default = []
        current = current.setdefault(step, default)
    if not isinstance(current, list):
        raise ValueError(f"„{_text(steps)}“ ist schon als Wert gegeben, nicht als Liste")
    return current


def _put(data: dict[str, Any], steps: tuple[str | int, ...], value: Any) -> None:
    try:
        set_path(data, steps, value, pad=True)
    except PathError as exc:
        raise ValueError(str(exc)) from None


# ---- cases to rows (the inverse of :func:`assemble`) -------------------------------------------


def flatten(data: Mapping[str, Any], key: str | int | None = None) -> list[dict[str, Any]]:
    """The rows of one case in the flat layout, each a mapping of column header
    (``plaetze``, ``bewohner[].kuerzel``, ``bewohner[].massnahmen[].stunden``) to value — what
    :func:`assemble` reads back to ``data``. ``key``: the case's name, put in the column
    :data:`KEY` of every row.

    The case's own values stand in its first row; each list element starts a row (its first
    element's the case's first row, an element's first inner element its parent's row) unless
    the row already holds an element of the same list. A ValueError (German) for what the layout
    cannot say: a list element without a value of its own (a row of it would be empty), or a text
    that a table reads as something else (a number in either notation, JSON, blanks around it)."""
    rows: list[dict[str, Any]] = [{}]
    lists: list[set[tuple[str, ...]]] = [set()]  # per row: the lists (paths) it holds an element of
    _flatten_scope(rows, lists, data, (), 0)
    if key is not None:
        rows = [{KEY: key, **row} for row in rows]
    return rows


def _flatten_scope(rows: list[dict[str, Any]], lists: list[set[tuple[str, ...]]], data: Mapping[str, Any],
                   path: tuple[str, ...], row: int) -> None:
    """Put the values of ``data`` (the case, or an element of the list ``path``) into ``row`` and
    its lists' elements into that row and those below."""
    prefix = "".join(f"{name}[]." for name in path)
    inner: list[tuple[str, list[Any]]] = []
    for steps, value in _values(data, ()):
        if _is_list(value):
            inner.append((format_path(steps), value))  # (an empty list: no element, no row)
        else:
            rows[row][prefix + format_path(steps)] = _flat_value(value)
    for name, elements in inner:
        listed = (*path, name)
        for element in elements:
            if all(_is_list(value) for _, value in _values(element, ())):
                raise ValueError(f"ein Element von „{prefix}{name}[]“ ohne einen eigenen Wert lässt sich nicht "
                                 "in Zeilen schreiben (JSON Lines schreibt es)")
            last = len(rows) - 1
            if any(held[:len(listed)] == listed for held in lists[last]):
                rows.append({})
                lists.append(set())
                last += 1
            lists[last].add(listed)
            _flatten_scope(rows, lists, element, listed, last)


def _is_list(value: Any) -> bool:
    """Whether ``value`` is a list of elements (an empty list counts: it adds none)."""
    return isinstance(value, list) and all(isinstance(item, Mapping) for item in value)


def _values(data: Mapping[str, Any], steps: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """The values of ``data`` by path, records (``lp2a``) opened up (a list is one value)."""
    for name, value in data.items():
        if isinstance(value, Mapping) and value:
            yield from _values(value, (*steps, name))
        elif value is not None:
            yield (*steps, name), value


def _flat_value(value: Any) -> Any:
    """A value as a cell: a text checked to read back as itself, a list of plain values as JSON."""
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, (list, tuple)):
        return json.dumps([_json_cell(item) for item in value], ensure_ascii=False)
    if isinstance(value, str):
        unchanged = value.strip() == value and value and value[:1] not in "[{"
        if unchanged:
            for mark in (",", "."):
                try:
                    unchanged = unchanged and DecimalMark(mark).read(value, 1, 1) == value
                except ValueError:
                    unchanged = False
        if not unchanged:
            raise ValueError(f"der Text „{value}“ wird in einer Tabelle als etwas anderes gelesen "
                             "(eine Zahl, JSON oder ohne Leerzeichen am Rand; JSON Lines schreibt ihn)")
    return value


def _json_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if Decimal(repr(float(value))) == value else format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
