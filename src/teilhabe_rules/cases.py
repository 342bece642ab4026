"""Case data → validated case.

Takes: a case as TOML or JSON text/file or a Python mapping, and a checked model. Gives: a
:class:`Case` whose rows hold every declared input as a runtime value (defaults filled in), or a
:class:`~teilhabe_rules.errors.CaseError` listing every problem with its data path
(``@ $.massnahmen[2].stunden``), the value and what is allowed.

The structure is checked by cattrs against attrs classes generated from the model's declared
inputs (unknown keys are rejected with ``forbid_extra_keys``); each input's value is checked by a
structure hook for its declared type.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import sys
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from . import checked as c
from .errors import CaseError, Diagnostic, Location, did_you_mean
from .locate import locate
from .paths import PathError, parse_path
from .units import UnitError, parse_unit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Case", "CaseLoader", "parse_quantity", "read_data"]


@attrs.frozen
class Case:
    """A validated case: the model's root row (lists hold element rows) and where it came from."""

    row: dict[str, Any] = attrs.field(eq=False)
    source: str | None = None


class _InputValue:
    """Marker base: a field type whose values a hook checks against one InputSpec."""

    spec: c.InputSpec


_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(.*?)\s*$")


def parse_quantity(value: Any, vtype: c.ValueType) -> Decimal:
    """A number (or text ``"15 min/Tag"``) as a Decimal in ``vtype``'s unit; ValueError if not."""
    if isinstance(value, bool):
        raise ValueError(f"erwartet {vtype.describe()}, nicht {_show(value)}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        match = _NUMBER.match(value.replace(",", ".") if re.fullmatch(r"\s*-?\d+,\d+.*", value) else value)
        if not match:
            raise ValueError(f"erwartet {vtype.describe()}, nicht {_show(value)}")
        number = Decimal(match.group(1))
        unit_text = match.group(2)
        if unit_text:
            try:
                unit = parse_unit(unit_text)
            except UnitError:
                raise ValueError(f"unbekannte Einheit „{unit_text}“ in {_show(value)}") from None
            if unit != vtype.unit:
                raise ValueError(f"{_show(value)} hat die Einheit {unit}, erwartet ist {vtype.unit or 'keine Einheit'}")
        if vtype.unit.percent:
            number = number / 100
        return _check_number(number, vtype, value)
    else:
        raise ValueError(f"erwartet {vtype.describe()}, nicht {_show(value)}")
    if vtype.unit.percent:
        number = number / 100
    return _check_number(number, vtype, value)


def _check_number(number: Decimal, vtype: c.ValueType, raw: Any) -> Decimal:
    if not number.is_finite():
        raise ValueError(f"{_show(raw)} ist keine endliche Zahl")
    if vtype.integer and number != number.to_integral_value():
        raise ValueError(f"erwartet eine ganze Zahl, nicht {_show(raw)}")
    if vtype.choices is not None and number not in vtype.choices:
        allowed = ", ".join(_plain(v, vtype) for v in vtype.choices)
        raise ValueError(f"{_show(raw)} ist nicht erlaubt; erlaubt: {{{allowed}}} {vtype.unit}".rstrip())
    if vtype.low is not None and number < vtype.low or vtype.high is not None and number > vtype.high:
        raise ValueError(f"{_show(raw)} liegt außerhalb von {_plain(vtype.low, vtype)} bis {_plain(vtype.high, vtype)} {vtype.unit}".rstrip())
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


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"„{value}“"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, (list, tuple)):
        return "eine Liste"
    if isinstance(value, Mapping):
        return "ein Datensatz"
    return str(value)


def convert_value(value: Any, vtype: c.ValueType) -> Any:
    """Check and convert one input value; raise ValueError with a German message."""
    kind = vtype.kind
    if kind == "zahl":
        return parse_quantity(value, vtype)
    if kind == "ja_nein":
        if isinstance(value, bool):
            return value
        if value in ("ja", "nein"):
            return value == "ja"
        raise ValueError(f"erwartet ja/nein (true/false), nicht {_show(value)}")
    if kind == "datum":
        if isinstance(value, _dt.datetime):
            raise ValueError(f"erwartet ein Datum ohne Uhrzeit, nicht {value}")
        if isinstance(value, _dt.date):
            return value
        if isinstance(value, str):
            for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
                try:
                    return _dt.datetime.strptime(value.strip(), pattern).date()
                except ValueError:
                    continue
        raise ValueError(f"erwartet ein Datum (JJJJ-MM-TT oder TT.MM.JJJJ), nicht {_show(value)}")
    if kind == "text":
        if isinstance(value, str):
            return value
        raise ValueError(f"erwartet einen Text, nicht {_show(value)}")
    if kind == "schlüssel":
        if isinstance(value, str):
            match = re.fullmatch(r"\s*1\s*:\s*(\d+(?:\.\d+)?)\s*", value)
            if match and Decimal(match.group(1)) > 0:
                return Decimal(match.group(1))
        raise ValueError(f"erwartet einen Schlüssel „1:x“, nicht {_show(value)}")
    if kind == "enum":
        assert vtype.enum is not None
        key: Any = value
        if vtype.enum.numeric:
            if isinstance(value, bool):
                key = None
            elif isinstance(value, (int, Decimal)) and value == int(value):
                key = int(value)
            elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                key = int(value)
        if key is None or vtype.enum.member(key) is None:
            allowed = ", ".join(str(k) for k in vtype.enum.keys())
            raise ValueError(f"{_show(value)} gehört nicht zu {vtype.enum.name}; erlaubt: {allowed}")
        return key
    raise ValueError(f"Typ {vtype.describe()} ist als Eingabe nicht möglich")  # pragma: no cover


def read_data(path: str | Path) -> Any:
    """Read TOML or JSON (by extension; decimals stay exact)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        return json.loads(text, parse_float=Decimal)
    return tomllib.loads(text, parse_float=Decimal)


class CaseLoader:
    """Builds the attrs classes and the cattrs converter for one checked model (once)."""

    def __init__(self, model: c.CheckedModel):
        self.model = model
        self.converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
        self.classes: dict[str, type] = {}
        self.converter.register_structure_hook_func(
            lambda t: isinstance(t, type) and issubclass(t, _InputValue) and t is not _InputValue,
            self._structure_value,
        )
        self.root = self._scope_class("")

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
            pkg_class = attrs.make_class(_class_name("Paket", _join(scope, name)), _required_first(pkg_fields), frozen=True)
            self._require_record(pkg_class, f"einen Datensatz (Tabelle) mit den Eingaben von „{name}“")
            required = any(f._default is attrs.NOTHING for f in pkg_fields.values())  # type: ignore[attr-defined]
            fields[name] = attrs.field(type=pkg_class) if required else attrs.field(type=pkg_class, default=_EmptyTable)
        for child in spec.lists:
            child_class = self._scope_class(child)
            self._require_list(list[child_class])  # type: ignore[valid-type]
            fields[self.model.scopes[child].name] = attrs.field(type=list[child_class])  # type: ignore[valid-type]
        cls = attrs.make_class(_class_name("Bereich", scope or "modell"), _required_first(fields), frozen=True)
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

    def load(self, data: Any, source: str | None = None, base_dir: Path | None = None) -> Case:
        problems: list[Diagnostic] = []
        if isinstance(data, (str, Path)):
            path = Path(data)
            source = str(path)
            base_dir = path.parent
            try:
                data = read_data(path)
            except OSError as exc:
                raise CaseError(Diagnostic(f"Die Falldatei lässt sich nicht lesen: {exc.strerror or exc}", Location(str(path), 1, 1))) from None
            except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise CaseError(_decode_diagnostic(exc, str(path))) from None
        if not isinstance(data, Mapping):
            raise CaseError(Diagnostic("Ein Fall ist ein Datensatz (Tabelle/Objekt)", path="$"))
        files: dict[str, str] = {}
        unreadable: set[str] = set()
        data = self._inline_files(dict(data), "", "$", base_dir or Path.cwd(), problems, files, unreadable)

        texts: dict[str, str | None] = {}

        def location(path: str) -> Location | None:
            """Where a data path stands: in the element file that holds it, else in the case file."""
            holder = next(((item, f) for item, f in sorted(files.items(), key=lambda kv: -len(kv[0])) if _within(path, item)), None)
            file, inner = (holder[1], "$" + path[len(holder[0]):]) if holder else (source, path)
            if not file:
                return None
            if file not in texts:
                try:
                    texts[file] = Path(file).read_text(encoding="utf-8-sig")
                except (OSError, UnicodeDecodeError):
                    texts[file] = None
            text = texts[file]
            if text is None:
                return Location(file, 1, 1)
            try:
                steps = parse_path(inner[2:]) if len(inner) > 2 else ()
            except PathError:
                steps = ()
            line, column = locate(text, steps, json=file.lower().endswith(".json"))
            return Location(file, line, column)

        def diagnostic(message: str, path: str, hint: str | None = None) -> Diagnostic:
            where = location(path)
            line_text = None
            if where is not None and texts.get(where.file):
                lines = (texts[where.file] or "").split("\n")
                line_text = lines[where.line - 1] if 0 < where.line <= len(lines) else None
            return Diagnostic(message, where, path=path, hint=hint, source_line=line_text, code="eingabe")

        structured = None
        try:
            structured = self.converter.structure(data, self.root)
        except ClassValidationError as exc:
            for message, path in _flatten(exc, "$"):
                if any(_within(path, item) for item in unreadable):
                    continue  # the element's file could not be read; that is reported already
                problems.append(diagnostic(message, path))
        except (ValueError, TypeError) as exc:  # pragma: no cover - detailed validation wraps these
            problems.append(Diagnostic(str(exc), path="$", code="eingabe"))
        checks: list[tuple[str, str, str | None]] = []
        self._record_checks(data, "", "$", checks)
        problems.extend(diagnostic(message, path, hint) for message, path, hint in checks)
        if structured is not None:
            row = self._row(structured, "", "$", problems)
        else:
            row = {}
        if problems:
            raise CaseError(problems)
        return Case(row, source)

    def _inline_files(self, data: dict[str, Any], scope: str, path: str, base_dir: Path, problems: list[Diagnostic],
                      files: dict[str, str], unreadable: set[str]) -> dict[str, Any]:
        """Replace list elements given as file names by the records in those files.

        ``files`` collects which element path came from which file (its errors name that file);
        an element whose file cannot be read stays in place as an empty record, listed in
        ``unreadable``, so that the positions of the following elements do not shift.
        """
        for child in self.model.scopes[scope].lists:
            name = self.model.scopes[child].name
            items = data.get(name)
            if not isinstance(items, list):
                continue
            new_items = []
            for index, item in enumerate(items, start=1):
                item_path = f"{path}.{name}[{index}]"
                if isinstance(item, str):
                    file = base_dir / item
                    try:
                        loaded = read_data(file)
                    except OSError as exc:
                        problems.append(Diagnostic(f"Die Datei „{item}“ lässt sich nicht lesen: {exc.strerror or exc}",
                                                   Location(str(file), 1, 1), path=item_path, code="eingabe"))
                        unreadable.add(item_path)
                        new_items.append({})
                        continue
                    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
                        problems.append(_decode_diagnostic(exc, str(file), item_path))
                        unreadable.add(item_path)
                        new_items.append({})
                        continue
                    files[item_path] = str(file)
                    item = loaded
                    if isinstance(item, dict):
                        item = self._inline_files(dict(item), child, item_path, file.parent, problems, files, unreadable)
                elif isinstance(item, dict):
                    item = self._inline_files(dict(item), child, item_path, base_dir, problems, files, unreadable)
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
            row[cspec.name] = [self._row(item, child, f"{path}.{cspec.name}[{i}]", problems) for i, item in enumerate(items, start=1)]
        return row

    def _record_checks(self, data: Mapping[str, Any], scope: str, path: str, problems: list[tuple[str, str, str | None]]) -> None:
        """Checks across fields, on the raw data so that they are reported with the type errors.

        The number of list elements (``mindestens``/``höchstens``) and the ``begründung`` a granted
        level needs; each problem as (message, path, hint).
        """
        spec = self.model.scopes[scope]
        for pid in spec.packages:
            pkg = self.model.packages[pid]
            table = data.get(pkg.name)
            if isinstance(table, Mapping) and table.get("bewilligte_stufe") is not None and not table.get("begründung"):
                problems.append((f"Die bewilligte Stufe {_show(table['bewilligte_stufe'])} von „{pkg.name}“ braucht eine Begründung",
                                 f"{path}.{pkg.name}.begründung", "§ 127 SGB IX: die Abweichung von der berechneten Stufe wird begründet"))
        for child in spec.lists:
            cspec = self.model.scopes[child]
            items = data.get(cspec.name)
            if not isinstance(items, list):
                continue  # missing or not a list: reported by the structure check
            count = len(items)
            if cspec.min_count is not None and count < cspec.min_count:
                problems.append((f"„{cspec.name}“ braucht mindestens {cspec.min_count} Einträge, angegeben sind {count}",
                                 f"{path}.{cspec.name}", None))
            if cspec.max_count is not None and count > cspec.max_count:
                problems.append((f"„{cspec.name}“ erlaubt höchstens {cspec.max_count} Einträge, angegeben sind {count}",
                                 f"{path}.{cspec.name}", None))
            for index, item in enumerate(items, start=1):
                if isinstance(item, Mapping):
                    self._record_checks(item, child, f"{path}.{cspec.name}[{index}]", problems)


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


def _required_first(fields: dict[str, Any]) -> dict[str, Any]:
    required = {k: v for k, v in fields.items() if v._default is attrs.NOTHING}
    optional = {k: v for k, v in fields.items() if v._default is not attrs.NOTHING}
    return {**required, **optional}


def _flatten(exc: BaseException, path: str) -> list[tuple[str, str]]:
    """German messages with data paths from a cattrs validation error tree."""
    out: list[tuple[str, str]] = []
    if isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            allowed = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
            close = did_you_mean(key, allowed)
            hint = f" ({close})" if close else (f" (erlaubt: {', '.join(allowed)})" if allowed else "")
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


def _within(path: str, prefix: str) -> bool:
    """Whether data path ``path`` is ``prefix`` or lies inside it."""
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def decode_location(exc: Exception) -> tuple[int, int, str]:
    """Line, column and message of a TOML/JSON decoding error.

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
    elif "(at end of document)" in message:
        message = message.replace("(at end of document)", "(am Dateiende)").strip()
    return line or 1, column or 1, message


def _decode_diagnostic(exc: Exception, file: str, path: str | None = None) -> Diagnostic:
    line, column, message = decode_location(exc)
    return Diagnostic(f"Die Datei ist kein gültiges TOML/JSON: {message}", Location(file, line, column), path=path, code="eingabe")


_ = InvalidOperation
