"""JSON Schema (draft 2020-12) of a model's documents: case, agreement and result.

Takes: a loaded :class:`~teilhabe_rules.model.Model` (or its checked model). Gives:
:func:`json_schema` — a JSON-ready dict describing, for ``kind``

- ``"fall"``: the case data the model accepts (``Model.evaluate``, ``teilhabe-rules eval``) — every
  declared input with its type, unit, range, choice set or enumeration, default and whether it is
  required; package inputs in a table named after the package; lists of element tables (or the
  names of ``.toml``/``.json`` files holding an element) with their ``mindestens``/``höchstens``;
  unknown keys rejected (``additionalProperties: false``);
- ``"vereinbarung"``: an agreement file — the header ``[vereinbarung]``, the model's parameters
  under ``[parameter]`` and its tables under ``[tabellen.NAME]``;
- ``"ergebnis"``: the JSON form of a result (``Result.to_dict()``, ``eval --format json``).

Built from the checked model alone (its scopes, inputs, parameters, tables, packages and nodes)
and the unit table of :mod:`teilhabe_rules.units`. The schema describes the JSON form of a
document; a TOML document is the same data (a TOML date is the JSON text ``JJJJ-MM-TT``). What
JSON Schema cannot say is left to the library (and documented in ``docs/06_daten.md``): a
number given as text (``"15 min/Tag"``) is checked for its form and unit, not for its range; a
date for its form and the days of its month (not for leap years); ``prüfung`` checks of the model and agreed
corridor bounds are not part of the schema.
"""

from __future__ import annotations

import itertools
import math
import re
from decimal import Decimal
from typing import Any

from ..inputs.agreements import HEADER_KEYS, NOT_AGREED
from ..inputs.cases import BLANK_CHARACTERS, TRUTH_TEXTS
from ..ir import checked as c
from ..limits import list_limit
from ..runtime.results import SCHEMA_VERSION
from ..units import KNOWN_UNIT_NAMES, Unit, parse_unit

__all__ = ["DIALECT", "KINDS", "json_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("fall", "vereinbarung", "ergebnis")

# the forms the case loader reads (teilhabe_rules.inputs.cases): numbers with a decimal point or
# comma, dates as JJJJ-MM-TT or TT.MM.JJJJ, staff keys 1:x with x > 0
# (and thousands grouped: 1.234,5 and 1,234.5 — teilhabe_rules.inputs.tabular.number_text)
_NUMBER_TEXT = (r"-?(?:[0-9]+(?:[.,][0-9]+)?|[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,[0-9]+)?"
                r"|[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+)")
_NOT_BOTH_WAYS = r"(?!-?[1-9][0-9]{0,2}\.[0-9]{3}\s*[^\s0-9.,])"
_INTEGER_TEXT = (r"-?(?:[0-9]+(?:[.,]0+)?|[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,0+)?"  # a whole number (``2,0`` is 2)
                 r"|[0-9]{1,3}(?:,[0-9]{3})+\.0+)")
# a day the month can have (the 29th of February in every year: leap years are not told apart)
_DAY_31 = r"(?:0?[1-9]|[12][0-9]|3[01])"
_DAY_30 = r"(?:0?[1-9]|[12][0-9]|30)"
_DAY_29 = r"(?:0?[1-9]|1[0-9]|2[0-9])"
_MONTH_DAYS = ((r"(?:0?[13578]|1[02])", _DAY_31), (r"(?:0?[469]|11)", _DAY_30), (r"0?2", _DAY_29))
_YEAR = r"(?!0000)[0-9]{4}"  # (there is no year 0)
_DATE_TEXT = (r"^\s*(?:"
              + "|".join(rf"{_YEAR}-{month}-{day}|{day}\.{month}\.{_YEAR}" for month, day in _MONTH_DAYS)
              + r")\s*$")
_KEY_TEXT = r"^\s*1\s*:\s*(?!0+(?:\.0+)?\s*$)(?![1-9][0-9]{0,2}\.[0-9]{3}\s*$)[0-9]+(?:\.[0-9]+)?\s*$"
_ELEMENT_FILE = r"\.(?:[tT][oO][mM][lL]|[jJ][sS][oO][nN])$"
# the forms of a result (Result.to_dict): exact decimal strings, ISO dates, staff keys 1:x
_EXACT_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_RESULT_KEY = r"^1:[0-9]+(?:\.[0-9]+)?$"


# a reason holds a character that is no blank (as str.strip() sees blanks: ``cases.no_reason``)
_NOT_BLANK = "[^" + "".join(f"\\u{ord(ch):04x}" for ch in BLANK_CHARACTERS) + "]"

def json_schema(model: Any, kind: str = "fall") -> dict[str, Any]:
    """The JSON Schema of ``model``'s documents of ``kind`` (one of :data:`KINDS`); ``model`` is a
    loaded :class:`~teilhabe_rules.model.Model` or a :class:`~teilhabe_rules.ir.checked.CheckedModel`.
    ValueError for another kind."""
    checked: c.CheckedModel = model if isinstance(model, c.CheckedModel) else model.checked
    info = checked.info
    named = f"„{info.title or info.name}“ ({info.named()})"
    if kind == "fall":
        body = _scope_case(checked, "")
        title, what = f"Fall für {named}", "Die Falldaten, die das Modell annimmt (JSON; TOML mit denselben Daten)."
    elif kind == "vereinbarung":
        body = _agreement(checked)
        title, what = f"Vereinbarung für {named}", "Eine Vereinbarungsdatei: verhandelte Parameter und Tabellenzeilen."
    elif kind == "ergebnis":
        body = _result(checked)
        title, what = f"Ergebnis von {named}", "Das Ergebnis als JSON (Result.to_dict(), eval --format json)."
    else:
        raise ValueError(f"unbekannte Art „{kind}“; möglich: {', '.join(KINDS)}")
    return {"$schema": DIALECT, "title": title, "description": what, **body}


# ---- case ------------------------------------------------------------------------------


def _scope_case(checked: c.CheckedModel, scope: str) -> dict[str, Any]:
    """The object schema of the case data of ``scope`` (the model, or an element of a list)."""
    spec = checked.scopes[scope]
    properties: dict[str, Any] = {}
    required: list[str] = []
    tables: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for inp in spec.inputs:
        schema = _input(inp)
        if len(inp.path) == 1:
            properties[inp.path[0]] = schema
            if inp.required:
                required.append(inp.path[0])
        else:
            table_properties, table_required = tables.setdefault(inp.path[0], ({}, []))
            table_properties[inp.path[1]] = schema
            if inp.required:
                table_required.append(inp.path[1])
    for name, (table_properties, table_required) in tables.items():
        table: dict[str, Any] = {"type": "object", "properties": table_properties, "additionalProperties": False}
        package = checked.packages.get(f"{scope}.{name}" if scope else name)
        if package is not None and package.title:
            table["title"] = package.title
        if table_required:
            table["required"] = table_required
            required.append(name)
        if "bewilligte_stufe" in table_properties and "begründung" in table_properties:
            # a granted level needs its reason (§ 127 SGB IX), as the case loader requires
            table["dependentSchemas"] = {
                "bewilligte_stufe": {"required": ["begründung"], "properties": {"begründung": {"pattern": _NOT_BLANK}}}
            }
        properties[name] = table
    for child in spec.lists:
        child_spec = checked.scopes[child]
        element = _scope_case(checked, child)
        element_file = {"type": "string", "pattern": _ELEMENT_FILE,
                        "description": "Pfad einer TOML- oder JSON-Datei mit dem Eintrag (relativ zur Falldatei)"}
        array: dict[str, Any] = {"type": "array", "items": {"anyOf": [element, element_file]},
                                 "maxItems": list_limit(child_spec.max_count)}
        if child_spec.title:
            array["title"] = child_spec.title
        if child_spec.min_count:
            array["minItems"] = child_spec.min_count
            required.append(child_spec.name)
        properties[child_spec.name] = array
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _input(inp: c.InputSpec) -> dict[str, Any]:
    schema = _value(inp.type)
    if inp.label:
        schema = {"title": inp.label, **schema}
    if not inp.required and inp.default is not None:
        schema["default"] = _json_default(inp.default, inp.type)
    return schema


def _value(vtype: c.ValueType) -> dict[str, Any]:
    """The schema of one input value (or an agreed parameter or table cell) of type ``vtype``,
    in every form the case loader reads."""
    kind = vtype.kind
    if kind == c.TypeKind.ZAHL:
        return _number(vtype)
    if kind == c.TypeKind.JA_NEIN:
        return {"anyOf": [{"type": "boolean"}, {"enum": list(TRUTH_TEXTS)}],
                "description": "ja/nein (true/false, WAHR/FALSCH)"}
    if kind == c.TypeKind.DATUM:
        return {"type": "string", "pattern": _DATE_TEXT, "description": "Datum JJJJ-MM-TT oder TT.MM.JJJJ"}
    if kind == c.TypeKind.TEXT:
        return {"type": "string"}
    if kind == c.TypeKind.SCHLUESSEL:
        return {"type": "string", "pattern": _KEY_TEXT, "description": "Schlüssel „1:x“ mit x > 0"}
    if kind == c.TypeKind.ENUM and vtype.enum is not None:
        return _enumeration(vtype.enum)
    return {}  # pragma: no cover - lists and rounding modes are no input types


def _number(vtype: c.ValueType) -> dict[str, Any]:
    unit = str(vtype.unit)
    percent = vtype.unit.percent
    number: dict[str, Any] = {"type": "integer" if vtype.integer else "number"}
    if vtype.choices is not None:
        number["enum"] = [_json_number(_written(v, percent)) for v in vtype.choices]
    if vtype.low is not None:
        number["minimum"] = _json_number(_written(vtype.low, percent))
    if vtype.high is not None:
        number["maximum"] = _json_number(_written(vtype.high, percent))
    shown = (_choices_pattern(vtype.choices, percent) if vtype.choices is not None
             else _INTEGER_TEXT if vtype.integer and not percent else _NUMBER_TEXT)
    unit_pattern = _unit_pattern(vtype.unit)
    # (not a quantity whose number reads both ways, „1.500 h“: teilhabe_rules.inputs.tabular.number_text)
    text_pattern = (rf"^\s*{_NOT_BOTH_WAYS}{shown}" + (rf"(?:\s*{unit_pattern})?" if unit_pattern else "")
                    + r"\s*$")
    text = {"type": "string", "pattern": text_pattern}
    whole = "eine ganze Zahl" if vtype.integer else "eine Zahl"
    sample = "12" if vtype.integer else "12,5"
    described = (f"{whole} in {unit}, oder ein Text mit Zahl und Einheit („{sample} {unit}“)" if unit
                 else f"{whole}, oder ein Text mit der Zahl")
    if percent:
        described = f"{whole} in Prozent (45 für 45 %), oder ein Text „45 %“"
    if vtype.choices is not None:
        described += "; erlaubt: " + ", ".join(format(_written(v, percent), "f") for v in vtype.choices)
    elif vtype.low is not None or vtype.high is not None:
        low = "…" if vtype.low is None else format(_written(vtype.low, percent), "f")
        high = "…" if vtype.high is None else format(_written(vtype.high, percent), "f")
        described += f"; von {low} bis {high} (ein Text wird auf den Bereich nicht geprüft)"
    return {"anyOf": [number, text], "description": described}


def _enumeration(enum: c.EnumType) -> dict[str, Any]:
    keys = list(enum.keys())
    members = ", ".join(f"{m.key} ({m.label})" if m.label else str(m.key) for m in enum.members)
    described = f"{enum.title or enum.name}: {members}"
    if enum.numeric:
        as_text = "|".join(_integer_pattern(int(k)) for k in keys)
        # (a whole number as text, with places of zero too: „2,0“, as the case loader takes it)
        return {"anyOf": [{"type": "integer", "enum": keys},
                          {"type": "string", "pattern": rf"^\s*(?:{as_text})(?:[.,]0+)?\s*$"}],
                "description": described}
    return {"enum": keys, "description": described}


def _integer_pattern(key: int) -> str:
    """The texts ``int()`` reads as ``key`` (leading zeros too)."""
    digits = str(abs(key))
    body = "0+" if key == 0 else f"0*{digits}"
    return ("-" if key < 0 else "-?" if key == 0 else "") + body


def _choices_pattern(choices: tuple[Decimal, ...], percent: bool) -> str:
    """The number texts equal to one of ``choices`` (``2``, ``2.0``, ``2,50``)."""
    parts = []
    for choice in choices:
        text = format(_written(choice, percent).normalize(), "f")
        whole, _, fraction = text.lstrip("-").partition(".")
        # (the loader reads „-0“ as 0, as int() reads it)
        sign = "-" if text.startswith("-") else "-?" if whole == "0" and not fraction else ""
        head = "0+" if whole == "0" else f"0*{whole}"
        tail = r"(?:[.,]0+)?" if not fraction else rf"[.,]{fraction}0*"
        parts.append(f"{sign}{head}{tail}")
    return "(?:" + "|".join(parts) + ")"


def _unit_pattern(unit: Unit) -> str | None:
    """The spellings of ``unit`` a case may write after a number (``min/Tag``, ``Minuten / Tag``),
    or None where a text can only hold the bare number (no unit, or a unit that cannot be written
    as one atom over others)."""
    if unit.percent:
        return "%"
    numerator = [atom for atom, exp in unit.atoms if exp > 0]
    if len(numerator) != 1 or dict(unit.atoms)[numerator[0]] != 1:
        return None
    denominators = [atom for atom, exp in unit.atoms if exp < 0 for _ in range(-exp)]
    if len(denominators) > 3:
        return None
    spelled = _spellings()
    orders = sorted({tuple(order) for order in itertools.permutations(denominators)})
    tails = ["".join(rf"\s*/\s*{spelled[atom]}" for atom in order) for order in orders]
    tail = tails[0] if len(tails) == 1 else "(?:" + "|".join(tails) + ")"
    return spelled[numerator[0]] + tail


def _spellings() -> dict[str, str]:
    """Each unit atom's names (``min``: ``min|Min|Minute|Minuten``) as a regex alternation."""
    names: dict[str, list[str]] = {}
    for name in KNOWN_UNIT_NAMES:
        if name == "%":
            continue
        atoms = parse_unit(name).atoms
        names.setdefault(atoms[0][0], []).append(name)
    # the longest first: an alternation takes the first that fits
    return {atom: "(?:" + "|".join(re.escape(n) for n in sorted(found, key=len, reverse=True)) + ")"
            for atom, found in names.items()}


def _written(value: Decimal, percent: bool) -> Decimal:
    """A number as a case writes it (a share in percent: 0.45 → 45)."""
    return value.scaleb(2) if percent else value


def _json_number(value: Decimal) -> int | float:
    """A schema bound or choice as a JSON number (whole numbers as integers)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _json_default(value: Any, vtype: c.ValueType) -> Any:
    """A default value as a case would write it."""
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        if vtype.kind == c.TypeKind.SCHLUESSEL:
            return f"1:{format(value, 'f')}"
        return _json_number(_written(value, vtype.unit.percent))
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if isoformat is not None else str(value)


# ---- agreement -------------------------------------------------------------------------


def _agreement(checked: c.CheckedModel) -> dict[str, Any]:
    info = checked.info
    fitting = sorted({info.name, *(n for n in (info.extends,) if n), *(_stem(f) for f in info.base_files)})
    head = {
        "modell": {"enum": fitting, "description": "das Modell, für das die Vereinbarung gilt"},
        "name": {"type": "string"},
        "gültig_ab": _value(c.DATE),
        "gültig_bis": _value(c.DATE),
    }
    header = {"type": "object", "properties": {key: head[key] for key in HEADER_KEYS}, "required": ["modell"],
              "additionalProperties": False}
    parameters: dict[str, Any] = {}
    names = {spec.name for spec in checked.parameters.values()}
    counts = {name: sum(1 for s in checked.parameters.values() if s.name == name) for name in names}
    for pid, spec in checked.parameters.items():
        schema = _value(spec.type)
        if spec.doc:
            schema = {"title": spec.doc, **schema}
        parameters[pid] = schema
        if counts[spec.name] == 1:
            parameters.setdefault(spec.name, schema)
    tables: dict[str, Any] = {}
    table_counts = {t.name: sum(1 for s in checked.tables.values() if s.name == t.name)
                    for t in checked.tables.values()}
    for tid, table in checked.tables.items():
        row = {"anyOf": [_value(table.value_type),
                         {"type": "string", "pattern": rf"^\s*{re.escape(NOT_AGREED)}\s*$",
                          "description": "die Zeile wird nicht vereinbart (entfällt)"}]}
        keys = r"\s*,\s*".join(_row_key_pattern(kt) for kt in table.key_types)
        schema = {"type": "object", "propertyNames": {"pattern": rf"^\s*{keys}\s*$"}, "additionalProperties": row}
        if table.title:
            schema = {"title": table.title, **schema}
        tables[tid] = schema
        if table_counts[table.name] == 1:
            tables.setdefault(table.name, schema)
    return {
        "type": "object",
        "properties": {
            "vereinbarung": header,
            "parameter": {"type": "object", "properties": parameters, "additionalProperties": False},
            "tabellen": {"type": "object", "properties": tables, "additionalProperties": False},
        },
        "required": ["vereinbarung"],
        "additionalProperties": False,
    }


def _stem(file: str) -> str:
    name = file.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


#: a whole-number key column's range up to this many values is spelt out in a row key's pattern
_MAX_KEYS_LISTED = 1000


def _row_key_pattern(vtype: c.ValueType) -> str:
    """One key column of a table row as an agreement writes it (``"2"``, ``"qa"``, ``"9, 1"``)."""
    if vtype.kind == c.TypeKind.ENUM and vtype.enum is not None:
        members = vtype.enum.keys()
        if vtype.enum.numeric:
            return "(?:" + "|".join(_integer_pattern(int(k)) for k in members) + ")"
        return "(?:" + "|".join(re.escape(str(k)) for k in members) + ")"
    if vtype.kind == c.TypeKind.ZAHL:
        unit = _unit_pattern(vtype.unit)
        number = r"-?[0-9]+"
        if vtype.low is not None and vtype.high is not None and vtype.high - vtype.low <= _MAX_KEYS_LISTED:
            # the keys within the column's range (``ganzzahl von 0 bis 4``), as the library checks them
            keys = range(math.ceil(vtype.low), math.floor(vtype.high) + 1)
            number = "(?:" + "|".join(_integer_pattern(k) for k in keys) + ")"
        return number + r"(?:\.0+)?" + (rf"(?:\s*{unit})?" if unit else "")
    return r"[^,]*"


# ---- result ----------------------------------------------------------------------------


def _result(checked: c.CheckedModel) -> dict[str, Any]:
    info = checked.info
    nullable_text = {"type": ["string", "null"]}
    return {
        "type": "object",
        "properties": {
            "ok": {"const": True, "description": "nur in der Ausgabe von eval --format json"},
            "schema": {"const": SCHEMA_VERSION},
            "modell": {
                "type": "object",
                "properties": {"name": {"const": info.name}, "titel": nullable_text, "version": nullable_text,
                               "datei": {"type": "string"}},
                "required": ["name", "titel", "version", "datei"],
                "additionalProperties": False,
            },
            "vereinbarung": nullable_text,
            "fall": nullable_text,
            "ergebnis": _scope_result(checked, ""),
            "warnungen": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["schema", "modell", "vereinbarung", "fall", "ergebnis", "warnungen"],
        "additionalProperties": False,
        "$defs": _result_defs(),
    }


def _result_defs() -> dict[str, Any]:
    explanation = {
        "type": "object",
        "properties": {
            "regel": {"type": "string", "description": "Datei:Zeile der Regel"},
            "formel": {"type": "string"},
            "verwendet": {"type": "object", "additionalProperties": {"type": "string"}},
            "text": {"type": "string"},
        },
        "required": ["regel", "formel", "verwendet", "text"],
        "additionalProperties": False,
    }
    step = {
        "type": ["object", "null"],
        "properties": {
            "stufe": {"type": "integer"},
            "richtung": {"enum": ["mehr", "weniger"]},
            "abstand": {"type": "string", "pattern": _EXACT_NUMBER},
            "einheit": {"type": "string"},
            "mehr_als": {"type": "boolean"},
        },
        "required": ["stufe", "richtung", "abstand", "mehr_als"],
        "additionalProperties": False,
    }
    quantity = {
        "type": "object",
        "properties": {"wert": {}, "einheit": {"type": "string"}},
        "required": ["wert"],
        "additionalProperties": False,
    }
    return {
        "erklärung": explanation,
        "menge": quantity,
        "korridor": {
            "type": "object",
            "properties": {
                "menge": {"$ref": "#/$defs/menge"},
                "band": {"type": "string"},
                "nächste": {"$ref": "#/$defs/schritt"},
                "vorige": {"$ref": "#/$defs/schritt"},
                "bewilligte": {"$ref": "#/$defs/schritt"},
            },
            "required": ["menge", "band", "nächste", "vorige", "bewilligte"],
            "additionalProperties": False,
        },
        "schritt": step,
        "stufenwechsel": {
            "type": "object",
            "properties": {
                "eingabe": {"type": "string"},
                "bezeichnung": {"type": ["string", "null"]},
                "bisher": {"$ref": "#/$defs/menge"},
                "neu": {"$ref": "#/$defs/menge"},
                "jenseits": {"enum": ["über", "unter", None]},
                "stufe": {"type": "integer"},
                "richtung": {"enum": ["höher", "niedriger"]},
            },
            "required": ["eingabe", "bezeichnung", "bisher", "neu", "jenseits", "stufe", "richtung"],
            "additionalProperties": False,
        },
    }


def _scope_result(checked: c.CheckedModel, scope: str) -> dict[str, Any]:
    nodes = [checked.nodes[nid] for nid in checked.order if checked.nodes[nid].scope == scope]
    values = {node.key: _result_quantity(node.type) for node in nodes
              if node.kind == c.NodeKind.WERT and node.package is None}
    packages: dict[str, Any] = {}
    for pid in checked.scopes[scope].packages:
        package = checked.packages[pid]
        package_values = {node.key.split(".", 1)[1]: _result_quantity(node.type) for node in nodes
                          if node.kind == c.NodeKind.WERT and node.package == package.name}
        entry: dict[str, Any] = {
            "type": "object",
            "properties": {"titel": {"type": ["string", "null"]}, "werte": _closed(package_values)},
            "required": ["titel", "werte"],
            "additionalProperties": False,
        }
        if package.level_type is not None:
            entry["properties"]["stufe"] = _level(package.level_type)
        packages[package.name] = entry
    lists = {checked.scopes[child].name: {"type": "array", "items": _scope_result(checked, child)}
             for child in checked.scopes[scope].lists}
    return {
        "type": "object",
        "properties": {"werte": _closed(values), "pakete": _closed(packages), "listen": _closed(lists)},
        "required": ["werte", "pakete", "listen"],
        "additionalProperties": False,
    }


def _closed(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these keys (a result has every value of its scope)."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _level(levels: c.EnumType) -> dict[str, Any]:
    keys = list(levels.keys())
    level = {"enum": keys}
    return {
        "type": "object",
        "properties": {
            "berechnet": level,
            "bewilligt": {"enum": [*keys, None]},
            "wirksam": level,
            "bezeichnung": {"type": ["string", "null"]},
            "begründung": {"type": ["string", "null"]},
            "korridor": {"$ref": "#/$defs/korridor"},
            "stufenwechsel": {"type": "array", "items": {"$ref": "#/$defs/stufenwechsel"}},
            "stufenwechsel_nicht_geprüft": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "erklärung": {"$ref": "#/$defs/erklärung"},
            "erklärung_berechnet": {"$ref": "#/$defs/erklärung"},
        },
        "required": ["berechnet", "bewilligt", "wirksam", "bezeichnung", "begründung"],
        "additionalProperties": False,
    }


def _result_quantity(vtype: c.ValueType) -> dict[str, Any]:
    """A value of a result: ``{"wert": …, "einheit": …}`` and, with explanations, ``erklärung``."""
    unit = str(vtype.unit) if vtype.kind == c.TypeKind.ZAHL else ""
    properties: dict[str, Any] = {"wert": _result_value(vtype)}
    required = ["wert"]
    if unit:
        properties["einheit"] = {"const": unit}
        required.append("einheit")
    properties["erklärung"] = {"$ref": "#/$defs/erklärung"}
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _result_value(vtype: c.ValueType) -> dict[str, Any]:
    kind = vtype.kind
    if kind == c.TypeKind.ZAHL:
        return {"type": "string", "pattern": _EXACT_NUMBER,
                "description": "die Zahl genau, als Text" + (" (in Prozent)" if vtype.unit.percent else "")}
    if kind == c.TypeKind.JA_NEIN:
        return {"type": "boolean"}
    if kind == c.TypeKind.DATUM:
        return {"type": "string", "pattern": _ISO_DATE, "format": "date"}
    if kind == c.TypeKind.TEXT:
        return {"type": "string"}
    if kind == c.TypeKind.SCHLUESSEL:
        return {"type": "string", "pattern": _RESULT_KEY}
    if kind == c.TypeKind.ENUM and vtype.enum is not None:
        return {"enum": list(vtype.enum.keys())}
    return {}  # pragma: no cover - no value of a result has another type
