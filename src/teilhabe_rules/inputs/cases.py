"""Case data → validated case.

Takes: a case as TOML or JSON text/file or a Python mapping, and a checked model. Gives: a
:class:`Case` whose rows hold every declared input as a runtime value (defaults filled in), or a
:class:`~teilhabe_rules.errors.CaseError` listing every problem with its data path
(``@ $.massnahmen[2].stunden``), the value and what is allowed.

The structure is checked by cattrs against attrs classes generated from the model's declared
inputs (unknown keys are rejected with ``forbid_extra_keys``); each input's value is checked by a
structure hook for its declared type.

Reading is bounded: a case file, and each file a list element names, is a regular file of at
most :data:`~teilhabe_rules.files.MAX_CASE_BYTES` (16 MiB), all files of a case together at most
:data:`~teilhabe_rules.files.MAX_CASE_TOTAL_BYTES` (64 MiB); an element file lies in the case
file's directory tree (no absolute path, no ``..`` or symbolic link out of it); tables and lists
nest at most :data:`MAX_NESTING` deep. Each violation is a located CaseError; a case read from
files keeps their texts (:class:`CaseSources`), so that later errors caused by a case value —
a failed ``prüfung``, a date outside the model's validity — point into the case file too.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import numbers
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from ..errors import CaseError, Diagnostic, Location, ValidityError, counted, did_you_mean
from ..files import LONE_RETURN_HINT, MAX_CASE_BYTES, MAX_CASE_TOTAL_BYTES, FileRefused, confined, read_text, size_text
from ..ir import checked as c
from ..ir.text import decimal_text
from ..limits import MAX_LIST_ITEMS, list_length_problem, list_limit
from ..paths import PathError, copy_data, file_path, parse_path
from ..records import Record
from ..units import UnitError, parse_unit
from .tabular import CellNumber, number_text, reads_both_ways

# enum members bound once: reading a member off an Enum class costs several times a global
_T_DATUM = c.TypeKind.DATUM
_T_ENUM = c.TypeKind.ENUM
_T_JA_NEIN = c.TypeKind.JA_NEIN
_T_SCHLUESSEL = c.TypeKind.SCHLUESSEL
_T_TEXT = c.TypeKind.TEXT
_T_ZAHL = c.TypeKind.ZAHL

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "MAX_NESTING",
    "NO_RECORD",
    "TRUTH_TEXTS",
    "Case",
    "CaseFileData",
    "LoadedFor",
    "CaseDocumentError",
    "CaseLoader",
    "CaseSources",
    "DocumentError",
    "BLANK_CHARACTERS",
    "BLANK_PATTERN",
    "day_of",
    "day_of_text",
    "infinite_name",
    "decode_json",
    "no_reason",
    "parse_document",
    "parse_quantity",
    "read_case_file",
    "read_data",
    "reference_day",
]

NO_RECORD = "Ein Fall ist ein Datensatz (Tabelle/Objekt)"
"""What loading data that is no record (a list, a number, a text …) says, at ``$``."""

TRUTH_TEXTS = {"ja": True, "nein": False, "WAHR": True, "FALSCH": False}
"""The texts a ``ja_nein`` input takes besides a truth value, exactly so written: ``ja``/``nein``,
and ``WAHR``/``FALSCH`` as German Excel saves truth values in a CSV file (in upper case, as Excel
writes them; ``Ja`` or ``wahr`` is no truth value, as neither is elsewhere)."""


class LoadedFor:
    """Which model's inputs checked a case: the model's ``name`` and a digest of its input
    declarations (:attr:`digest`), made by ``make`` when first asked — a model hands the same
    object to every case it loads, so a case given back to it is told its own without any digest
    (:meth:`same_inputs`). Pickled with its digest: a process the case is sent to compares it with
    the digest of its own model."""

    __slots__ = ("_digest", "_make", "name")

    def __init__(self, name: str, make: Callable[[], str] | None = None, digest: str | None = None):
        self.name = name
        self._make = make
        self._digest = digest

    @property
    def digest(self) -> str:
        if self._digest is None:
            assert self._make is not None
            self._digest, self._make = self._make(), None
        return self._digest

    def same_inputs(self, other: LoadedFor) -> bool:
        """Whether the model ``other`` names declares the same inputs (a variant that changes values only)."""
        return self is other or self.digest == other.digest

    def __reduce__(self) -> tuple[Any, ...]:
        return LoadedFor, (self.name, None, self.digest)

    def __repr__(self) -> str:
        return f"LoadedFor({self.name!r})"


@attrs.frozen(repr=False)
class Case(Record):
    """A validated case: the model's root row (lists hold element rows) and where it came from
    (``source``: the case file; ``sources``: the texts read, to locate a data path in them)."""

    row: dict[str, Any] = attrs.field(eq=False)
    source: str | None = None
    sources: CaseSources | None = attrs.field(default=None, eq=False, repr=False)
    # the model it was checked against (:meth:`~teilhabe_rules.model.Model.load_case` refuses it
    # for a model of other inputs); None: any
    loaded_for: LoadedFor | None = attrs.field(default=None, eq=False, repr=False)

    def where(self, path: str) -> tuple[Location | None, str | None, bool]:
        """Where data path ``path`` stands in the files the case was read from (see
        :meth:`CaseSources.where`); (None, None, False) for a case given as a mapping."""
        return self.sources.where(path) if self.sources is not None else (None, None, False)


class _InputValue:
    """Marker base: a field type whose values a hook checks against one InputSpec."""

    spec: c.InputSpec


_NUMBER = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(.*?)\s*$")  # digits 0–9 only (not "٣")


def parse_quantity(value: Any, vtype: c.ValueType) -> Decimal:
    """A number (or text ``"15 min/Tag"``) as a Decimal in ``vtype``'s unit; ValueError if not."""
    if isinstance(value, bool):
        raise ValueError(f"erwartet {vtype.describe()}, nicht {_show(value)}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, (int, numbers.Integral)):  # (numpy's too: from a data frame)
        number = Decimal(int(value))
    elif isinstance(value, float):
        number = Decimal(repr(float(value)))  # (numpy's float64 is a float with another repr)
    elif isinstance(value, str):
        read = number_text(value)  # (a decimal comma, thousands grouped; "1.500 h", read both ways: refused)
        match = _NUMBER.match(read.replace(",", ".") if re.fullmatch(r"\s*-?[0-9]+,[0-9]+.*", read) else read)
        if not match:
            raise ValueError(f"erwartet {vtype.describe()}, nicht {_show(value)}")
        number = Decimal(match.group(1))
        unit_text = match.group(2)
        if unit_text:
            try:
                unit = parse_unit(unit_text)
            except UnitError:
                if re.match(r"[eE][+-]?[0-9]", unit_text):  # (1e400: a number with an exponent, no unit)
                    raise ValueError(f"{_show(value)} ist eine Zahl mit Exponent; Zahlen werden ausgeschrieben "
                                     "(0.002, nicht 2e-3)") from None
                raise ValueError(f"unbekannte Einheit „{unit_text}“ in {_show(value)}") from None
            if not vtype.unit.takes_written(unit):
                raise ValueError(f"{_show(value)} hat die Einheit „{unit_text}“, erwartet ist "
                                 f"{str(vtype.unit) or 'keine Einheit'}")
        if vtype.unit.percent and number.is_finite():  # (not a signalling NaN: refused as it is)
            number = number / 100
        return _check_number(number, vtype, value)
    else:
        raise ValueError(f"erwartet {vtype.describe()}, nicht {_show(value)}")
    if vtype.unit.percent and number.is_finite():  # (not a signalling NaN: refused as it is)
        number = number / 100
    return _check_number(number, vtype, value)


#: Numbers of a case are below 10**MAX_MAGNITUDE (no tariff figure comes near; a larger
#: exponent would make whole-number tests and conversions slow), and 0 or at least
#: 10**-MAX_MAGNITUDE (a smaller one's exact text — results give every digit — would be as long
#: as its exponent is far: ``1E-999999999`` a thousand million characters).
MAX_MAGNITUDE = 30


def _whole(number: Decimal) -> bool:
    """Whether ``number`` is a whole number of reasonable size (without building huge ints)."""
    return number.is_finite() and number.adjusted() < MAX_MAGNITUDE and number == number.to_integral_value()


def _check_number(number: Decimal, vtype: c.ValueType, raw: Any) -> Decimal:
    if not number.is_finite():
        raise ValueError(f"{_show(raw)} ist keine endliche Zahl")
    if number and number.adjusted() >= MAX_MAGNITUDE:
        raise ValueError(f"{_show(raw)} ist zu groß: Zahlen eines Falls liegen unter 10^{MAX_MAGNITUDE}")
    if number.adjusted() < -MAX_MAGNITUDE:  # (its exact text would be as long as its exponent is far)
        if number:
            raise ValueError(f"{_show(raw)} ist zu klein: Zahlen eines Falls sind 0 oder mindestens "
                             f"10^-{MAX_MAGNITUDE}")
        raise ValueError(f"{_show(raw)} hat mehr als {MAX_MAGNITUDE} Stellen nach dem Komma")
    if vtype.integer and number != number.to_integral_value():
        raise ValueError(f"erwartet eine ganze Zahl, nicht {_show(raw)}")
    if vtype.choices is not None and number not in vtype.choices:
        allowed = ", ".join(_plain(v, vtype) for v in vtype.choices)
        raise ValueError(f"{_show(raw)} ist nicht erlaubt; erlaubt: {{{allowed}}} {vtype.unit}".rstrip())
    if vtype.low is not None and number < vtype.low or vtype.high is not None and number > vtype.high:
        low, high = _plain(vtype.low, vtype), _plain(vtype.high, vtype)
        raise ValueError(f"{_show(raw)} liegt außerhalb von {low} bis {high} {vtype.unit}".rstrip())
    return number


def _plain(value: Decimal | None, vtype: c.ValueType | None = None) -> str:
    """A bound or choice as written in the rule file (a share in percent: ``0.5`` → ``50``)."""
    if value is None:
        return "∞"
    if vtype is not None and vtype.unit.percent:
        value = value.scaleb(2)
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    return format(value, "f")


# the characters str.strip() removes (str.isspace): a text of only these is blank; as an RE2
# character class for SQL
BLANK_CHARACTERS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                     "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
BLANK_PATTERN = "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in BLANK_CHARACTERS) + "]*"


def no_reason(value: Any) -> bool:
    """Whether ``value`` given as the ``begründung`` of a granted level is none: missing, empty,
    or a text of only blanks (``"   "``); a value of another type is its own error."""
    return not value or isinstance(value, str) and not value.strip()


class CaseFileData(dict[str, Any]):
    """The data of a case read from a case file of a population folder
    (:func:`~teilhabe_rules.columnar.sources.read_source`): a mapping as the file gives it, and
    ``folder``, the file's own folder — where the element files it names are read from and
    confined to, as :meth:`~teilhabe_rules.model.Model.load_case` reads them for the file itself
    (:func:`~teilhabe_rules.columnar.sources.case_folder`)."""

    __slots__ = ("folder",)

    def __init__(self, data: Mapping[str, Any], folder: Path) -> None:
        super().__init__(data)
        self.folder = folder


def _show(value: Any) -> str:
    """``value`` as a message shows it: in the words of the data it came from, not Python's."""
    if value is None:  # (JSON's null, a table's empty cell of a list: no value)
        return "leer (null)"
    if isinstance(value, (bytes, bytearray, memoryview)):
        size = len(value)
        return f"Binärdaten ({size} Byte{'' if size == 1 else 's'})"
    if isinstance(value, _dt.timedelta):
        return "eine Zeitspanne"
    if isinstance(value, str):
        if isinstance(value, CellNumber):  # (a table's cell read in the file's notation: as written)
            value = value.written
        return f"„{value}“" if len(value) <= 200 else f"„{value[:200]}…“ ({len(value)} Zeichen)"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, (list, tuple)):
        return "eine Liste"
    if isinstance(value, Mapping):
        return "ein Datensatz"
    if isinstance(value, int) and value.bit_length() > 128:  # str() of a huge int is slow or refused
        return f"eine Zahl mit etwa {int(value.bit_length() * 0.30103) + 1} Stellen"
    if isinstance(value, float) and not math.isfinite(value):
        return infinite_name(value)
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}… ({len(text)} Zeichen)"


def infinite_name(value: float) -> str:
    """A float that is no finite number in JSON's words, as a Decimal's are: ``NaN``,
    ``Infinity``, ``-Infinity`` (not Python's „nan“, „inf“)."""
    return "NaN" if math.isnan(value) else ("-Infinity" if value < 0 else "Infinity")


_DAY_TEXTS = (re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"),
              re.compile(r"(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})"))


def day_of_text(text: str) -> _dt.date | None:
    """The day a text names, ``JJJJ-MM-TT`` or ``TT.MM.JJJJ`` (a blank before or after; digits
    0–9 and nothing else between them — strptime would also take ``٣``, ``３`` and a blank
    before a day: ``2025-01- 5``), or None (no such day: ``2025-02-30``, year 0). Read from the
    digits the pattern matched (about four times faster than ``strptime``, with the same days)."""
    text = text.strip()
    for form in _DAY_TEXTS:
        found = form.fullmatch(text)
        if found is not None:
            try:
                return _dt.date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                return None
    return None


def reference_day(value: Any) -> _dt.date | None:
    """A reference date given to the API (``at``): None, or a day as :func:`day_of` takes it."""
    return None if value is None else day_of(value, "Stichtag")


def day_of(value: Any, what: str) -> _dt.date:
    """A day given to the API: a date, or a text as a case's date input takes it
    (``JJJJ-MM-TT``, ``TT.MM.JJJJ``). Anything else — a ``datetime`` too: a point in time is no
    day — is a :class:`ValidityError` (code ``stichtag``) naming ``what``."""
    try:
        day: _dt.date = convert_value(value, c.DATE)
    except ValueError as exc:
        raise ValidityError(Diagnostic(f"{what}: {exc}", hint="ein Tag als datetime.date, z. B. date(2025, 1, 1)",
                                       code="stichtag")) from None
    return day


def convert_value(value: Any, vtype: c.ValueType) -> Any:
    """Check and convert one input value; raise ValueError with a German message."""
    kind = vtype.kind
    if kind == _T_ZAHL:
        return parse_quantity(value, vtype)
    if kind == _T_JA_NEIN:
        if isinstance(value, bool):
            return value
        if _boolean_scalar(value):  # (numpy's bool_: a data frame's column of ja/nein, not a bool)
            return bool(value)
        if isinstance(value, str) and value in TRUTH_TEXTS:
            return TRUTH_TEXTS[value]
        raise ValueError(f"erwartet ja/nein (true/false, WAHR/FALSCH), nicht {_show(value)}")
    if kind == _T_DATUM:
        if isinstance(value, _dt.datetime):
            raise ValueError(f"erwartet ein Datum ohne Uhrzeit, nicht {value}")
        if isinstance(value, _dt.date):
            return value
        day = day_of_text(value) if isinstance(value, str) else None
        if day is not None:
            return day
        raise ValueError(f"erwartet ein Datum (JJJJ-MM-TT oder TT.MM.JJJJ), nicht {_show(value)}")
    if kind == _T_TEXT:
        if isinstance(value, str):  # (a table's cell the reader took for a number: the text as written)
            return value.written if isinstance(value, CellNumber) else value
        raise ValueError(f"erwartet einen Text, nicht {_show(value)}")
    if kind == _T_SCHLUESSEL:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*1\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*", value)
            if match and reads_both_ways(match.group(1)):  # (1:1.000: 1 or 1000)
                point = decimal_text(Decimal(match.group(1)).normalize())
                grouped = match.group(1).replace(".", "")
                raise ValueError(f"„{value.strip()}“ ist mehrdeutig: mit Dezimalpunkt 1:{point}, mit Punkten zwischen "
                                 f"den Tausendern 1:{grouped}; schreibe „1:{point}“ oder „1:{grouped}“")
            if match and Decimal(match.group(1)) > 0:
                return Decimal(match.group(1))
        raise ValueError(f"erwartet einen Schlüssel „1:x“, nicht {_show(value)}")
    if kind == _T_ENUM:
        assert vtype.enum is not None
        key: Any = value
        if vtype.enum.numeric:
            if isinstance(value, bool):
                key = None
            elif isinstance(value, (int, numbers.Integral)):  # (numpy's too)
                key = int(value)
            elif isinstance(value, (Decimal, float)):  # a whole number as the key; no other (a NaN)
                key = int(value) if _whole(Decimal(value)) else None
            elif isinstance(value, str):  # (a whole number as text, also „2,0“ of a table's cell in German)
                read = number_text(value).strip()
                key = int(Decimal(read)) if re.fullmatch(r"-?[0-9]+(?:\.0+)?", read) else None
        member = None if key is None else vtype.enum.member(key)
        if member is None:
            allowed = ", ".join(str(m.key) for m in vtype.enum.members)
            like = _member_like(value, vtype.enum) if isinstance(value, str) else None
            raise ValueError(f"{_show(value)} gehört nicht zu {vtype.enum.name}; erlaubt: {allowed}"
                             + (f" ({like})" if like else ""))
        return member.key  # (the member's own key: an int or a str, whatever type was given)
    raise ValueError(f"Typ {vtype.describe()} ist als Eingabe nicht möglich")  # pragma: no cover


_SPELLING = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "_", "-": "_"})


def _member_like(text: str, enum: c.EnumType) -> str | None:
    """„meinten Sie „X“?“ for a text that names a member of ``enum`` but for its case, blanks or
    hyphens for underscores and umlauts written out (``QA``, ``Eigene Häuslichkeit``,
    ``eigene_haeuslichkeit``), else for a text of four characters or more close to one; None
    where none is near."""
    keys = [m.key for m in enum.members if isinstance(m.key, str)]
    plain = text.strip().casefold().translate(_SPELLING)
    same = [key for key in keys if key.casefold().translate(_SPELLING) == plain]
    if len(same) == 1:
        return f"meinten Sie „{same[0]}“?"
    if len(plain) < 4:  # (a code of a few letters: „d10“ is no misspelt „d1“)
        return None
    return did_you_mean(text.strip(), keys)


def _boolean_scalar(value: Any) -> bool:
    """Whether ``value`` is one truth value of another library — numpy's ``bool_``, as a data
    frame's column of ja/nein gives it — which is no :class:`bool` (nor a number): a scalar whose
    ``dtype`` is of the boolean kind."""
    return getattr(getattr(value, "dtype", None), "kind", None) == "b" and getattr(value, "shape", None) == ()


MAX_NESTING = 64  # tables and lists inside each other in one case document
MAX_REPORTED = 100  # errors of one case reported one by one; the rest are counted
#: Characters of one TOML case document: Python's TOML reader takes about a second per million
#: characters, JSON's a hundredth of that; a case that large is a population (JSON Lines).
MAX_TOML_CHARS = 4_000_000


class DocumentError(ValueError):
    """A TOML or JSON document that cannot be read as case data: German ``message``, 1-based
    ``line`` and ``column`` in the document's text."""

    def __init__(self, message: str, line: int = 1, column: int = 1, *, syntax: bool = False):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column
        self.syntax = syntax  # the text does not parse (not: too deep, too long, too many digits)


def parse_document(text: str, *, json_format: bool) -> Any:
    """The data of a TOML or JSON document (decimals exact), or a :class:`DocumentError`.

    Never a Python error: a syntax error, a number of thousands of digits, a TOML text over
    :data:`MAX_TOML_CHARS`, and tables or lists
    nested deeper than :data:`MAX_NESTING` (brackets, or TOML's dotted keys) are each a
    DocumentError with the line and column where it happens. Usable for one JSON line of a
    population as well as for a whole file."""
    if not json_format:
        if len(text) > MAX_TOML_CHARS:
            raise DocumentError(f"Eine TOML-Datei eines Falls hat höchstens {MAX_TOML_CHARS:,} Zeichen, diese hat "
                                f"{len(text):,}".replace(",", ".") + " (als JSON sind größere Fälle möglich)")
        _check_dotted_keys(text)
    try:
        if json_format:
            data = json.loads(text, parse_float=Decimal, parse_int=_json_int, object_pairs_hook=_unique_keys)
        else:
            data = tomllib.loads(text, parse_float=Decimal)
    except _DuplicateKey:
        key, offset = _duplicate_key_at(text)
        raise DocumentError(f"der Schlüssel „{key}“ steht zweimal im selben Objekt (welcher Wert gilt, bliebe "
                            "geraten)", *_line_column(text, offset)) from None
    except RecursionError:
        line, column = _too_deep_at(text, json_format)
        raise DocumentError(_TOO_DEEP, line, column) from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        line, column, message = decode_location(exc, text)
        raise DocumentError(message, line, column, syntax=True) from None
    except ValueError as exc:  # an integer too long to convert (Python's digit limit)
        digits = re.search(r"[0-9][0-9_]{4000,}", text)
        where = _line_column(text, digits.start()) if digits else (1, 1)
        raise DocumentError(f"eine Zahl mit zu vielen Ziffern ({str(exc).split(':')[0]})", *where) from None
    deep = _deeper_than(data, MAX_NESTING)
    if deep is not None:
        # the brackets say where in one pass (for JSON always; TOML may nest by headers too,
        # then the path is looked up)
        line, column = _too_deep_at(text, json_format)
        if (line, column) == (1, 1):
            from .locate import locate

            line, column = locate(text, deep, json=json_format)
        raise DocumentError(_TOO_DEEP, line, column)
    return data


_TOO_DEEP = f"Tabellen und Listen sind tiefer als {MAX_NESTING} Ebenen ineinander verschachtelt"


def _json_int(text: str) -> int | Decimal:
    """A JSON integer; one of thousands of digits stays a Decimal (Python limits int parsing)."""
    return int(text) if len(text) < 4000 else Decimal(text)


class _DuplicateKey(Exception):
    """A JSON object names a key twice (Python's decoder would keep the last value)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's dict, where no key stands twice in it (as TOML demands of a table)."""
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _DuplicateKey
    return data


_JSON_KEY_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:]')  # strings, brackets, colons


def _duplicate_key_at(text: str) -> tuple[str, int]:
    """The first key that stands twice in one object of a JSON ``text`` (that parses), and the
    offset of its second occurrence."""
    objects: list[set[str] | None] = []  # per open bracket: the keys of an object (None: an array)
    before: re.Match[str] | None = None  # the string just before this token
    for token in _JSON_KEY_TOKENS.finditer(text):
        mark = token.group()
        if mark == ":" and before is not None and objects and objects[-1] is not None:
            key = json.loads(before.group())
            if key in objects[-1]:
                return key, before.start()
            objects[-1].add(key)
        elif mark in "{[":
            objects.append(set() if mark == "{" else None)
        elif mark in "}]" and objects:
            objects.pop()
        before = token if mark.startswith('"') else None
    return "", 0  # (not reached: the decoder found one)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


_TOML_TOKENS = re.compile(
    r'"""(?:[^\\]|\\[\s\S])*?"""'  # basic multi-line string
    r"|\'\'\'[\s\S]*?\'\'\'"  # literal multi-line string
    r'|"(?:[^"\\\n]|\\.)*"'  # basic string
    r"|\'[^\'\n]*\'"  # literal string
    r"|#[^\n]*"  # comment
    r"|[\[\]{}]"  # brackets
)
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


# strings as unrolled loops (no backtracking into a long string), each possibly the first part
# of a dotted key; a bare dotted key starts at a word boundary and needs a dot
_BASIC = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
_LITERAL = r"'[^'\n]*'"
_BARE = r"[A-Za-z0-9_-]+"
_MORE_KEYS = rf"(?:[ \t]*\.[ \t]*(?:{_BASIC}|{_LITERAL}|{_BARE}))+"
_TOML_DOTTED = re.compile(
    r'"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""'
    r"|'''[^']*(?:'(?!'')[^']*)*'''"
    rf"|(?:{_BASIC}|{_LITERAL})({_MORE_KEYS})?"
    rf"|(?<![A-Za-z0-9_-]){_BARE}({_MORE_KEYS})"
    r"|#[^\n]*")
_TOML_PART = re.compile(rf"{_BASIC}|{_LITERAL}|{_BARE}")


def _check_dotted_keys(text: str) -> None:
    """A DocumentError where a dotted key (``[a.b.c]``, ``a.b = 1``) has more than
    :data:`MAX_NESTING` parts: each part is a level of nesting, and the TOML reader takes
    time quadratic in their number."""
    for match in _TOML_DOTTED.finditer(text):
        more = match.group(1) or match.group(2)
        if more is not None and more.count(".") >= MAX_NESTING and len(_TOML_PART.findall(more)) >= MAX_NESTING:
            raise DocumentError(_TOO_DEEP, *_line_column(text, match.start()))


def _too_deep_at(text: str, json_format: bool) -> tuple[int, int]:
    """Where the brackets of ``text`` first nest deeper than :data:`MAX_NESTING`."""
    depth = 0
    for match in (_JSON_TOKENS if json_format else _TOML_TOKENS).finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return _line_column(text, match.start())
        elif token in "]}":
            depth -= 1
    return 1, 1


def _deeper_than(data: Any, limit: int) -> tuple[str | int, ...] | None:
    """The path (steps, 1-based indexes) of the first table or list at a depth over ``limit``,
    or None; found without recursion. Only the depth is carried while looking (a document may
    hold millions of small tables); the path is traced when one is found."""
    if not isinstance(data, (dict, list)):
        return None
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth >= limit:
            return _path_to_depth(data, limit)
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if child and isinstance(child, (dict, list)))
        if depth + 1 >= limit and any(isinstance(child, (dict, list)) for child in children):
            return _path_to_depth(data, limit)
    return None


def _path_to_depth(data: Any, limit: int) -> tuple[str | int, ...]:
    """The steps to the first table or list ``limit`` levels deep in ``data`` (there is one)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, steps = stack.pop()
        if len(steps) >= limit:
            return steps
        items: Any = value.items() if isinstance(value, dict) else enumerate(value, start=1)
        stack.extend((child, (*steps, step)) for step, child in items if isinstance(child, (dict, list)))
    return ()


def decode_json(text: str, file: str, path: str | None = None) -> Any:
    """The data of a JSON document, or a :class:`CaseError` located in ``file`` (and at data
    path ``path``, e.g. the row of a population)."""
    try:
        return parse_document(text, json_format=True)
    except DocumentError as exc:
        raise CaseError(_document_diagnostic(exc, file, text, path)) from None


def read_case_file(path: str | Path, limit: int | None = None) -> tuple[Any, str]:
    """The data and the text of a TOML or JSON case file (JSON by the extension ``.json``).

    Only a regular file of at most ``limit`` bytes (default
    :data:`~teilhabe_rules.files.MAX_CASE_BYTES`) is read — never a FIFO, a device or a
    directory; every problem is a located :class:`CaseError`."""
    file = str(path)
    try:
        text = read_text(path, MAX_CASE_BYTES if limit is None else limit)
    except FileRefused as exc:
        raise CaseError(Diagnostic(
            f"Die Falldatei „{file}“ {exc.reason}", Location(file, exc.line, exc.column),
            hint=_population_hint(file) or exc.hint, source_line=exc.source_line, code="eingabe"
        )) from None
    try:
        return parse_document(text, json_format=file.lower().endswith(".json")), text
    except DocumentError as exc:
        raise CaseError(_document_diagnostic(exc, file, text, hint=_population_hint(file))) from None


_POPULATION_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv", ".xlsx", ".parquet")  # a file of many cases, not one


def _population_hint(file: str) -> str | None:
    """The hint for a population file read as one case (its suffix tells), or for a text of a
    case's data given where a file name is read (``{"stunden": 1}``, ``stunden = 1``), else None."""
    stripped = file.strip()
    if stripped.startswith(("{", "[")) or "\n" in stripped or re.match(r"^[^\s=/\\]+\s*=", stripped):
        return ("ein Text gilt hier als Name einer Falldatei; die Daten eines Falls als Text erst lesen "
                "(in Python: json.loads oder tomllib.loads) und die Tabelle übergeben")
    suffix = Path(file).suffix.lower()
    if suffix not in _POPULATION_SUFFIXES:
        return None
    return (f"eine {suffix}-Datei ist eine Population: eval-many wertet sie aus (ein Fall ist eine .toml- oder "
            ".json-Datei)")


def read_data(path: str | Path) -> Any:
    """Read a TOML or JSON case file (by extension; decimals stay exact), as
    :func:`read_case_file` does."""
    return read_case_file(path)[0]


def _closing_brackets(path: str) -> list[int]:
    """Offsets of the „]“ in a data path, last first."""
    return [i for i in range(len(path) - 1, -1, -1) if path[i] == "]"]


class CaseSources:
    """The texts a case was read from and which list element came from which file: gives the
    file, line and column where a data path stands (:meth:`where`)."""

    def __init__(self, source: str | None, texts: dict[str, str] | None = None, files: dict[str, str] | None = None):
        self.source = source
        self.texts: dict[str, str] = texts if texts is not None else {}
        self.files: dict[str, str] = files if files is not None else {}  # element data path → its file

    def where(self, path: str) -> tuple[Location | None, str | None, bool]:
        """Location, source line and whether the key itself was found (else: the nearest
        enclosing table or list) of data path ``path`` (``$.bewohner[2].lp2a``)."""
        # the longest element path holding ``path`` that came from a file (prefixes end at „]“)
        holder = next((path[:end + 1] for end in _closing_brackets(path) if path[:end + 1] in self.files), None)
        file, inner = (self.files[holder], "$" + path[len(holder):]) if holder is not None else (self.source, path)
        if not file:
            return None, None, False
        text = self.texts.get(file)
        if text is None:
            return Location(file, 1, 1), None, False
        try:
            steps = parse_path(inner[2:]) if len(inner) > 2 else ()
        except PathError:
            steps = ()
        from .locate import locate_exact  # only for a message: reading a valid case never needs it

        line, column, exact = locate_exact(text, steps, json=file.lower().endswith(".json"))
        return Location(file, line, column), source_line_of(text, line), exact


class CaseDocumentError(CaseError):
    """A case that was read but does not fit the model; ``document`` is its decoded data and
    ``sources`` its files, for a caller that looks at the raw data once more (the model's
    validity check names the version before the structural errors)."""

    def __init__(self, diagnostics: Sequence[Diagnostic] | Diagnostic, document: Any, sources: CaseSources):
        super().__init__(diagnostics)
        self.document = document
        self.sources = sources


class CaseLoader:
    """Builds the attrs classes and the cattrs converter for one checked model (once).

    Everything is built in the constructor, the converter's structuring functions included, so
    that loading cases afterwards only reads it: one loader may serve several threads."""

    def __init__(self, model: c.CheckedModel):
        import cattrs  # here, not on import: a case the compiled check accepts needs no converter

        self.model = model
        self.converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
        self.classes: dict[str, type] = {}
        self.converter.register_structure_hook_func(
            lambda t: isinstance(t, type) and issubclass(t, _InputValue) and t is not _InputValue,
            self._structure_value,
        )
        self.root = self._scope_class("")
        self.converter.get_structure_hook(self.root)  # generated now (with those of every field)

    # ---- classes ----

    def _value_class(self, spec: c.InputSpec) -> type:
        return type(_class_name("Wert", spec.id), (_InputValue,), {"spec": spec})

    def _scope_class(self, scope: str) -> type:
        spec = self.model.scopes[scope]
        fields: dict[str, Any] = {}
        packages: dict[str, dict[str, Any]] = {}
        for inp in spec.inputs:
            field_type = self._value_class(inp)
            field = attrs.field(type=field_type) if inp.required else attrs.field(type=field_type, default=_Missing)
            if len(inp.path) == 1:
                fields[inp.path[0]] = field
            else:
                packages.setdefault(inp.path[0], {})[inp.path[1]] = field
        for name, pkg_fields in packages.items():
            pkg_class = attrs.make_class(
                _class_name("Paket", _join(scope, name)), _required_first(pkg_fields), **_RECORD_CLASS
            )
            self._require_record(pkg_class, f"einen Datensatz (Tabelle) mit den Eingaben von „{name}“")
            required = any(f._default is attrs.NOTHING for f in pkg_fields.values())
            fields[name] = attrs.field(type=pkg_class) if required else attrs.field(type=pkg_class, default=_EmptyTable)
        for child in spec.lists:
            child_class = self._scope_class(child)
            self._require_list(list[child_class])  # type: ignore[valid-type]
            # a list the model allows to be empty (no „mindestens“, or „mindestens 0“) may be left out
            optional = not self.model.scopes[child].min_count
            fields[self.model.scopes[child].name] = (
                attrs.field(type=list[child_class], factory=list) if optional  # type: ignore[valid-type]
                else attrs.field(type=list[child_class])  # type: ignore[valid-type]
            )
        cls = attrs.make_class(_class_name("Bereich", scope or "modell"), _required_first(fields), **_RECORD_CLASS)
        if scope:
            self._require_record(cls, "einen Datensatz (Tabelle) oder den Pfad einer TOML-/JSON-Datei")
        self.classes[scope] = cls
        return cls

    def _require_record(self, cls: type, what: str) -> None:
        """Structure ``cls`` only from a mapping; anything else is reported with what is expected."""
        default = self.converter.get_structure_hook(cls)

        def structure(value: Any, target: type) -> Any:
            if not isinstance(value, Mapping):
                raise ValueError(f"erwartet {what}, nicht {_show(value)}")
            return default(value, target)

        self.converter.register_structure_hook(cls, structure)

    def _require_list(self, list_type: Any) -> None:
        """Structure a list of elements only from an array (cattrs would iterate a table's keys)."""
        default = self.converter.get_structure_hook(list_type)

        def structure(value: Any, target: type) -> Any:
            if not isinstance(value, (list, tuple)):
                raise ValueError(f"erwartet eine Liste (ein Array von Tabellen), nicht {_show(value)}")
            return default(value, target)

        self.converter.register_structure_hook_func(lambda t: t == list_type, structure)

    def _structure_value(self, value: Any, cls: type) -> Any:
        spec: c.InputSpec = cls.spec  # type: ignore[attr-defined]
        return convert_value(value, spec.type)

    # ---- loading ----

    def load(self, data: Any, source: str | None = None, base_dir: Path | None = None, *,
             read: tuple[Any, str] | None = None) -> Case:
        """Validate case data: a mapping, or the path of a TOML or JSON file (see
        :func:`read_case_file`; ``read``: its data and text, read already). List elements given
        as file names are read relative to the
        file that names them, confined to ``base_dir`` (default: the case file's directory, for
        a mapping the working directory) — see :class:`_ElementFiles`."""
        problems: list[Diagnostic] = []
        sources = CaseSources(source)
        if isinstance(data, (str, Path)):
            case_file = Path(data)
            data, text = read_case_file(case_file) if read is None else read
            sources = CaseSources(str(case_file), {str(case_file): text})
            base_dir = case_file.parent
        document = data
        if not isinstance(data, Mapping):
            where, line_text, _ = sources.where("$")
            raise CaseDocumentError(Diagnostic(NO_RECORD, where, path="$",
                                               source_line=line_text, code="eingabe"), document, sources)
        too_long: list[tuple[str, str, str | None, str | None]] = []
        self._list_lengths(data, "", "$", too_long)
        if too_long:  # a list far too long is not read element by element
            raise CaseDocumentError(
                [_diagnostic(sources, message, path, hint, at) for message, path, hint, at in too_long],
                document,
                sources,
            )
        unreadable: set[str] = set()
        reader = _ElementFiles(base_dir, sum(len(t) for t in sources.texts.values()))
        data = self._inline_files(dict(data), "", "$", base_dir, problems, sources, unreadable, reader)

        from cattrs.errors import ClassValidationError

        structured: Any = None
        try:
            structured = self.converter.structure(data, self.root)
        except ClassValidationError as exc:
            found = [(message, path) for message, path in _flatten(exc, "$")
                     if not _inside_any(path, unreadable)]  # unreadable files: reported already
            problems.extend(_diagnostic(sources, message, path) for message, path in found[:MAX_REPORTED])
            if len(found) > MAX_REPORTED:
                where, line_text, _ = sources.where("$")
                problems.append(Diagnostic(f"… und {len(found) - MAX_REPORTED} weitere Fehler in diesem Fall", where,
                                           path="$", source_line=line_text, code="eingabe",
                                           hint=f"gezeigt werden die ersten {MAX_REPORTED}"))
        except RecursionError:  # pragma: no cover - nesting is bounded when the data is read
            problems.append(_diagnostic(sources, _TOO_DEEP, "$"))
        except (ValueError, TypeError) as exc:  # pragma: no cover - detailed validation wraps these
            problems.append(Diagnostic(str(exc), path="$", code="eingabe"))
        checks: list[tuple[str, str, str | None, str | None]] = []
        self._record_checks(data, "", "$", checks)
        problems.extend(_diagnostic(sources, message, path, hint, at) for message, path, hint, at in checks)
        row = self._row(structured, "", "$", problems) if structured is not None else {}
        if problems:
            raise CaseDocumentError(problems, document, sources)
        return Case(row, sources.source, sources if sources.texts else None)

    def _inline_files(self, data: dict[str, Any], scope: str, path: str, folder: Path | None,
                      problems: list[Diagnostic], sources: CaseSources, unreadable: set[str],
                      reader: _ElementFiles) -> dict[str, Any]:
        """Replace list elements given as file names (a ``str`` or a path object) by the records
        in those files.

        ``sources.files`` collects which element path came from which file (its errors name
        that file); an element whose file is refused or cannot be read stays in place as an
        empty record, listed in ``unreadable``, so that the positions of the following elements
        do not shift. A refused file is reported at the element that names it.
        """
        for child in self.model.scopes[scope].lists:
            name = self.model.scopes[child].name
            items = data.get(name)
            if not isinstance(items, list):
                continue
            new_items: list[Any] = []
            for index, item in enumerate(items, start=1):
                item_path = f"{path}.{name}[{index}]"
                if not isinstance(item, str) and file_path(item) is not None:
                    item = os.fspath(item)  # a path object (pathlib.Path) names its file as its text does
                if isinstance(item, str):
                    try:
                        file, text, loaded = reader.document(item, folder)
                    except FileRefused as exc:
                        shown = item.replace("\x00", "\\0")
                        shown = shown if len(shown) <= 200 else shown[:200] + "…"
                        problems.append(_diagnostic(sources, f"Die Datei „{shown}“ {exc.reason}", item_path, exc.hint))
                        unreadable.add(item_path)
                        new_items.append({})
                        continue
                    except _UnreadableDocument as exc:
                        problems.append(_document_diagnostic(exc.error, str(exc.file), exc.text, item_path))
                        unreadable.add(item_path)
                        new_items.append({})
                        continue
                    sources.files[item_path] = str(file)
                    sources.texts[str(file)] = text
                    item = loaded
                    if isinstance(item, dict):
                        item = self._inline_files(dict(item), child, item_path, file.parent, problems, sources,
                                                  unreadable, reader)
                elif isinstance(item, dict):
                    item = self._inline_files(dict(item), child, item_path, folder, problems, sources, unreadable,
                                              reader)
                new_items.append(item)
            data[name] = new_items
        return data

    def _row(self, obj: Any, scope: str, path: str, problems: list[Diagnostic]) -> dict[str, Any]:
        spec = self.model.scopes[scope]
        row: dict[str, Any] = {}
        for inp in spec.inputs:
            holder = obj
            if len(inp.path) == 2:
                holder = getattr(obj, inp.path[0])
                if holder is _EmptyTable:
                    value: Any = _Missing
                else:
                    value = getattr(holder, inp.path[1])
            else:
                value = getattr(holder, inp.path[0])
            if value is _Missing:
                value = inp.default
            row[inp.key] = value
        for child in spec.lists:
            cspec = self.model.scopes[child]
            items = getattr(obj, cspec.name)
            row[cspec.name] = [
                self._row(item, child, f"{path}.{cspec.name}[{i}]", problems) for i, item in enumerate(items, start=1)
            ]
        return row

    def _list_lengths(self, data: Any, scope: str, path: str,
                      problems: list[tuple[str, str, str | None, str | None]]) -> None:
        """Lists of more than :data:`~teilhabe_rules.limits.MAX_LIST_ITEMS` elements, found
        before anything else is read (a list over its model's ``höchstens`` but within that is
        reported with the case's other errors, by :meth:`_record_checks`)."""
        if not isinstance(data, Mapping):
            return
        for child in self.model.scopes[scope].lists:
            cspec = self.model.scopes[child]
            items = data.get(cspec.name)
            if not isinstance(items, list):
                continue
            problem = (
                list_length_problem(cspec.name, len(items), cspec.max_count) if len(items) > MAX_LIST_ITEMS else None
            )
            if problem is not None:
                at = f"{path}.{cspec.name}[{list_limit(cspec.max_count) + 1}]"
                problems.append((problem[0], f"{path}.{cspec.name}", problem[1], at))
                continue
            for index, item in enumerate(items, start=1):
                self._list_lengths(item, child, f"{path}.{cspec.name}[{index}]", problems)

    def _record_checks(self, data: Mapping[str, Any], scope: str, path: str,
                       problems: list[tuple[str, str, str | None, str | None]]) -> None:
        """Checks across fields, on the raw data so that they are reported with the type errors.

        The number of list elements (``mindestens``/``höchstens``) and the ``begründung`` a granted
        level needs; each problem as (message, path, hint, the path where it is shown — the
        first element too many — or None: at ``path``).
        """
        spec = self.model.scopes[scope]
        for pid in spec.packages:
            pkg = self.model.packages[pid]
            table = data.get(pkg.name)
            if not isinstance(table, Mapping):
                continue
            if table.get("bewilligte_stufe") is not None and no_reason(table.get("begründung")):
                problems.append((
                    f"Die bewilligte Stufe {_show(table['bewilligte_stufe'])} von „{pkg.name}“ braucht eine Begründung",
                    f"{path}.{pkg.name}.begründung",
                    "§ 127 SGB IX: die Abweichung von der berechneten Stufe wird begründet",
                    f"{path}.{pkg.name}.bewilligte_stufe",
                ))
        for child in spec.lists:
            cspec = self.model.scopes[child]
            items = data.get(cspec.name)
            if not isinstance(items, list):
                continue  # missing or not a list: reported by the structure check
            count = len(items)
            if cspec.min_count is not None and count < cspec.min_count:
                problems.append((
                    f"„{cspec.name}“ braucht mindestens {counted(cspec.min_count, 'Eintrag', 'Einträge')}, "
                    f"angegeben {'ist' if count == 1 else 'sind'} {count}",
                    f"{path}.{cspec.name}",
                    None,
                    None,
                ))
            too_long = list_length_problem(cspec.name, count, cspec.max_count)
            if too_long is not None:
                problems.append((too_long[0], f"{path}.{cspec.name}", too_long[1],
                                 f"{path}.{cspec.name}[{list_limit(cspec.max_count) + 1}]"))
            for index, item in enumerate(items, start=1):
                if isinstance(item, Mapping):
                    self._record_checks(item, child, f"{path}.{cspec.name}[{index}]", problems)


_DATA_SUFFIXES = (".toml", ".json")


class _UnreadableDocument(Exception):
    """An element file that was read but cannot be decoded (its :class:`DocumentError`)."""

    def __init__(self, error: DocumentError, file: Path, text: str):
        super().__init__(str(error))
        self.error, self.file, self.text = error, file, text


class _ElementFiles:
    """Reads the files a case names as list elements: only regular ``.toml``/``.json`` files
    (a file of any other kind is never read, so no message shows its content) of at most
    :data:`~teilhabe_rules.files.MAX_CASE_BYTES` each, inside ``root`` (the case file's
    directory tree), and all files of one case together at most
    :data:`~teilhabe_rules.files.MAX_CASE_TOTAL_BYTES`. A file named twice is read once."""

    def __init__(self, root: Path | None, used: int = 0):
        self.root = root  # None: the working directory, looked up when a file is named
        self.used = used
        self.texts: dict[str, str] = {}
        # documents decoded so far, by real path: a file named many times is decoded once
        self.documents: dict[str, Any] = {}

    def document(self, name: str, folder: Path | None) -> tuple[Path, str, Any]:
        """:meth:`read`, and the decoded document — a fresh copy for each element that names
        the file. A file that cannot be decoded raises :class:`_UnreadableDocument`."""
        path, text = self.read(name, folder)
        real = os.path.realpath(path)
        found = self.documents.get(real)
        if found is None:
            try:
                found = parse_document(text, json_format=str(path).lower().endswith(".json"))
            except DocumentError as exc:
                found = exc
            self.documents[real] = found
        if isinstance(found, DocumentError):
            raise _UnreadableDocument(found, path, text)
        return path, text, copy_data(found)

    def read(self, name: str, folder: Path | None) -> tuple[Path, str]:
        """The path (as named, relative to ``folder``, default the root) and the text of an
        element file; a :class:`~teilhabe_rules.files.FileRefused` if it is outside the tree,
        not a regular file, too large or not UTF-8."""
        if self.root is None:
            try:
                self.root = Path.cwd()
            except OSError:
                raise FileRefused("lässt sich nicht finden: das Arbeitsverzeichnis gibt es nicht mehr") from None
        path = confined(name, folder or self.root, self.root)
        real = os.path.realpath(path)
        if not (path.suffix.lower() in _DATA_SUFFIXES and Path(real).suffix.lower() in _DATA_SUFFIXES):
            raise FileRefused("ist keine TOML- oder JSON-Datei (Endung .toml oder .json)",
                              "ein Listenelement ist ein Datensatz oder der Pfad einer .toml- oder .json-Datei")
        text = self.texts.get(real)
        if text is None:
            text = read_text(path, MAX_CASE_BYTES)
            if self.used + len(text) > MAX_CASE_TOTAL_BYTES:
                raise FileRefused(f"überschreitet mit den übrigen Dateien des Falls die Gesamtgröße von höchstens "
                                  f"{size_text(MAX_CASE_TOTAL_BYTES)}")
            self.used += len(text)
            self.texts[real] = text
        return path, text


def _diagnostic(
    sources: CaseSources, message: str, path: str, hint: str | None = None, at: str | None = None
) -> Diagnostic:
    """A case error at data path ``path``, located where ``at`` (default ``path``) stands in the
    case's files."""
    where, line_text, _ = sources.where(at or path)
    return Diagnostic(message, where, path=path, hint=hint, source_line=line_text, code="eingabe")


class _MissingType:
    def __repr__(self) -> str:
        return "<fehlt>"


_Missing: Any = _MissingType()
_EmptyTable: Any = _MissingType()


def _class_name(prefix: str, ident: str) -> str:
    """A valid Python identifier for a generated class (cattrs compiles code with it)."""
    return prefix + "_" + re.sub(r"\W", "_", ident)


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


# a record class's options: no __repr__ nor __eq__, whose code names each field as an attribute
# (``self.in``: no code for a field named like a Python keyword); its records are only read
_RECORD_CLASS: dict[str, Any] = {"frozen": True, "repr": False, "eq": False}


def _required_first(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of a record class, required ones first, each with an ``__init__`` argument
    of its own (``a0``, ``a1`` …): attrs names an argument after its field with leading
    underscores dropped, so ``_x`` beside ``x``, ``_1`` or a name Python reserves (``in``)
    would make no ``__init__`` at all. The data's keys are the fields' names (cattrs reads them)."""
    required = {k: v for k, v in fields.items() if v._default is attrs.NOTHING}
    optional = {k: v for k, v in fields.items() if v._default is not attrs.NOTHING}
    ordered = {**required, **optional}
    for number, field in enumerate(ordered.values()):
        field.alias = f"a{number}"
    return ordered


def _decomposed(key: str, allowed: Sequence[str]) -> str | None:
    """Where ``key`` is an allowed key written in decomposed Unicode (``ü`` as ``u`` and U+0308,
    as text copied from some systems is): what to write; else None."""
    import unicodedata

    composed = unicodedata.normalize("NFC", key)
    if composed == key or composed not in allowed:
        return None
    marks = ", ".join(f"U+{ord(char):04X}" for char in key if unicodedata.combining(char))
    return (f"„{composed}“ in zerlegter Unicode-Form: Buchstabe und Zeichen {marks} getrennt; schreibe den Schlüssel "
            "mit Umlauten als einem Zeichen (Unicode NFC)")


def _flatten(exc: BaseException, path: str) -> list[tuple[str, str]]:
    """German messages with data paths from a cattrs validation error tree."""
    from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

    out: list[tuple[str, str]] = []
    if isinstance(exc, ForbiddenExtraKeysError):
        allowed = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        # (a mapping given in Python may have keys of any type: each is named as text)
        for number, key in enumerate(sorted(map(str, exc.extra_fields))):
            close = did_you_mean(key, allowed) if number < MAX_REPORTED else None
            decomposed = _decomposed(key, allowed)
            hint = f" ({decomposed or close})" if decomposed or close else (
                f" (erlaubt: {', '.join(allowed)})" if allowed else "")
            out.append((f"unbekannter Schlüssel „{key}“{hint}", f"{path}.{key}" if path else key))
        return out
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        for sub in exc.exceptions:
            notes = getattr(sub, "__notes__", []) or []
            sub_path = path
            for note in notes:
                attr = getattr(note, "name", None)
                index = getattr(note, "index", None)
                if attr is not None:
                    sub_path = f"{path}.{attr}"
                elif index is not None:
                    sub_path = f"{path}[{int(index) + 1}]"
            out.extend(_flatten(sub, sub_path))
        return out
    if isinstance(exc, KeyError):
        return [("fehlt (Pflichtangabe)", path)]
    if isinstance(exc, (ValueError, TypeError)):
        text = str(exc)
        if isinstance(exc, TypeError) or "Wert_" in text or "object" in text:
            text = "hat die falsche Form (erwartet ist ein Datensatz oder eine Liste, wie im Modell deklariert)"
        return [(text, path)]
    return [(str(exc), path)]


def _inside_any(path: str, elements: set[str]) -> bool:
    """Whether data path ``path`` is one of the list element paths ``elements`` (``$.a[3]``) or
    lies inside one — by looking up the path's own element prefixes, not by trying each."""
    if not elements:
        return False
    return path in elements or any(path[:end + 1] in elements for end in _closing_brackets(path))


# The messages of Python's JSON and TOML decoders (their beginnings) in German.
_DECODER_MESSAGES = {
    "Expecting value": "ein Wert fehlt",
    "Expecting property name enclosed in double quotes": "ein Schlüssel in doppelten Anführungszeichen fehlt",
    "Expecting ',' delimiter": "ein Komma fehlt",
    "Expecting ':' delimiter": "ein Doppelpunkt fehlt",
    "Unterminated string": "ein Text ist nicht geschlossen",
    "Extra data": "nach dem Fall folgt weiterer Text",
    "Invalid control character": "ein Steuerzeichen im Text",
    "Invalid \\escape": "eine ungültige Escape-Sequenz",
    "Invalid \\uXXXX escape": "eine ungültige Escape-Sequenz",
    "Cannot declare": "ein Schlüssel oder eine Tabelle steht doppelt",
    "Cannot mutate immutable namespace": "eine Tabelle {…} wird später noch erweitert (sie ist abgeschlossen)",
    "Cannot overwrite a value": "ein Schlüssel steht doppelt",
    "Cannot redefine namespace": "eine Tabelle steht doppelt",
    "Duplicate inline table key": "ein Schlüssel steht doppelt in einer Tabelle {…}",
    "Escaped character is not a Unicode scalar value": "eine Escape-Sequenz ist kein Unicode-Zeichen",
    "Expected '=' after a key in a key/value pair": "nach dem Schlüssel fehlt „=“",
    "Expected ']' at the end of a table declaration": "am Ende der Tabellenüberschrift fehlt „]“",
    "Expected ']]' at the end of an array declaration": "am Ende der Überschrift fehlt „]]“",
    "Expected newline or end of document after a statement": "nach einer Angabe folgt weiterer Text in der Zeile",
    "Found invalid character": "ein ungültiges Zeichen",
    "Illegal character": "ein unzulässiges Zeichen",
    "Invalid date or datetime": "ein ungültiges Datum",
    "Invalid hex value": "eine ungültige Escape-Sequenz",
    "Invalid initial character for a key part": "ein Schlüssel beginnt mit einem unzulässigen Zeichen",
    "Invalid statement": "eine ungültige Zeile",
    "Invalid value": "ein ungültiger Wert (ein Text steht in Anführungszeichen)",
    "Unclosed array": "eine Liste […] ist nicht geschlossen",
    "Unclosed inline table": "eine Tabelle {…} ist nicht geschlossen",
    "Unescaped '\\' in a string": "ein „\\“ ohne Escape in einem Text",
}
# Those of a key given twice: TOML points behind the value, the caret goes to the line's key.
_AT_KEY = ("Cannot declare", "Cannot overwrite a value", "Cannot redefine namespace", "Duplicate inline table key")


def decode_location(exc: Exception, text: str | None = None) -> tuple[int, int, str]:
    """Line, column and message (in German) of a TOML/JSON decoding error; ``text``: the document
    (a key given twice is then pointed at).

    ``json.JSONDecodeError`` has ``lineno``/``colno``; ``tomllib.TOMLDecodeError`` only has them
    from Python 3.14 on and otherwise ends its message with ``(at line L, column C)``.
    """
    message = getattr(exc, "msg", None) or str(exc)
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if match:
        line = line or int(match.group(1))
        column = column or int(match.group(2))
        message = message[: match.start()]
    at_end = "(at end of document)" in message
    message = message.replace("(at end of document)", "").strip()
    german = next((german for english, german in _DECODER_MESSAGES.items() if message.startswith(english)), None)
    expected = re.fullmatch(r"Expected (['\"])(.*)\1", message) if german is None else None
    if expected is not None:  # tomllib's „Expected '\''“: what a closing is missing
        german = f"es fehlt „{expected.group(2)}“"
    german = (message if german is None else german) + (" (am Dateiende)" if at_end else "")
    if text is not None and line is not None and message.startswith(_AT_KEY):
        shown = source_line_of(text, line) or ""
        column = len(shown) - len(shown.lstrip()) + 1
    elif text is not None and line is not None and column is not None and message.startswith(_IN_KEY):
        german = _unquoted_key(source_line_of(text, line) or "", column) or german
    return line or 1, column or 1, german


# Where TOML stops at a character a bare key may not hold (A–Z, a–z, 0–9, „_“, „-“): ``begründung = …``.
_IN_KEY = ("Expected '=' after a key", "Expected ']' at the end of a table", "Expected ']]' at the end of an array",
           "Invalid initial character for a key part", "Invalid statement")
_KEY_END = frozenset(' \t.=[]"\'')


def _unquoted_key(shown: str, column: int) -> str | None:
    """The message for a key of the line ``shown`` written without quotes that holds, at
    ``column``, a letter TOML takes only in a key in quotes (an umlaut); None for any other
    character there."""
    char = shown[column - 1:column]
    if not char or char.isascii() or not (char.isalnum() or char == "ß"):
        return None
    start = column - 1
    while start > 0 and shown[start - 1] not in _KEY_END:
        start -= 1
    end = column
    while end < len(shown) and shown[end] not in _KEY_END:
        end += 1
    part = shown[start:end]
    return (f"„{part}“ enthält „{char}“, das in TOML nur in einem Schlüssel in Anführungszeichen stehen darf: "
            f"schreibe „\"{part}\"“")


def _document_diagnostic(exc: DocumentError, file: str, text: str, path: str | None = None,
                         hint: str | None = None) -> Diagnostic:
    source_line = source_line_of(text, exc.line)
    line = _lone_return_line(text, exc.line, exc.column)
    if line is not None:  # lines ended by a carriage return alone: TOML knows no such line end
        if source_line is None and len(line) <= 1000:  # (the file's one long line: the part up to the return)
            source_line = line
        hint = hint or LONE_RETURN_HINT
    return Diagnostic(f"Die Datei ist kein gültiges TOML/JSON: {exc.message}", Location(file, exc.line, exc.column),
                      path=path, source_line=source_line, hint=hint, code="eingabe")


def _lone_return_line(text: str, line: int, column: int) -> str | None:
    """Where the character at ``line``:``column`` of ``text`` is a carriage return not followed
    by a line feed (the first of its line): the text of that line up to it, what an editor shows
    as the line; else None."""
    from .locate import line_text  # only for a message

    found = line_text(text, line)
    if found is None or found[column - 1:column] != "\r" or found[column:column + 1] == "\n":
        return None
    return found[:column - 1] if "\r" not in found[:column - 1] else None


def source_line_of(text: str, line: int) -> str | None:
    """Line ``line`` of ``text`` for a message; None for a line of more than 1000 characters
    (minified JSON: the message shows no megabytes of data)."""
    from .locate import line_text  # only for a message

    found = line_text(text, line)
    return found if found is not None and len(found) <= 1000 else None


_ = InvalidOperation
