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
from .errors import CaseError, Diagnostic, Location
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
        allowed = ", ".join(_plain(v) for v in vtype.choices)
        raise ValueError(f"{_show(raw)} ist nicht erlaubt; erlaubt: {{{allowed}}} {vtype.unit}".rstrip())
    if vtype.low is not None and number < vtype.low or vtype.high is not None and number > vtype.high:
        raise ValueError(f"{_show(raw)} liegt außerhalb von {_plain(vtype.low)} bis {_plain(vtype.high)} {vtype.unit}".rstrip())
    return number


def _plain(value: Decimal | None) -> str:
    if value is None:
        return "∞"
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
    text = path.read_text(encoding="utf-8")
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
            required = any(f._default is attrs.NOTHING for f in pkg_fields.values())  # type: ignore[attr-defined]
            fields[name] = attrs.field(type=pkg_class) if required else attrs.field(type=pkg_class, default=_EmptyTable)
        for child in spec.lists:
            child_class = self._scope_class(child)
            fields[self.model.scopes[child].name] = attrs.field(type=list[child_class])  # type: ignore[valid-type]
        cls = attrs.make_class(_class_name("Bereich", scope or "modell"), _required_first(fields), frozen=True)
        self.classes[scope] = cls
        return cls

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
        data = self._inline_files(dict(data), "", "$", base_dir or Path.cwd(), problems)
        structured = None
        try:
            structured = self.converter.structure(data, self.root)
        except ClassValidationError as exc:
            for message, path in _flatten(exc, "$"):
                problems.append(Diagnostic(message, Location(source, 1, 1) if source else None, path=path, code="eingabe"))
        except (ValueError, TypeError) as exc:  # pragma: no cover - detailed validation wraps these
            problems.append(Diagnostic(str(exc), path="$", code="eingabe"))
        if structured is not None:
            row = self._row(structured, "", "$", problems)
        else:
            row = {}
        if problems:
            raise CaseError(problems)
        return Case(row, source)

    def _inline_files(self, data: dict[str, Any], scope: str, path: str, base_dir: Path, problems: list[Diagnostic]) -> dict[str, Any]:
        """Replace list elements given as file names by the records in those files."""
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
                        problems.append(Diagnostic(f"Die Datei „{item}“ lässt sich nicht lesen: {exc.strerror or exc}", path=item_path, code="eingabe"))
                        continue
                    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
                        problems.append(_decode_diagnostic(exc, str(file)))
                        continue
                    item = loaded
                    if isinstance(item, dict):
                        item = self._inline_files(dict(item), child, item_path, file.parent, problems)
                elif isinstance(item, dict):
                    item = self._inline_files(dict(item), child, item_path, base_dir, problems)
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
        for pid in spec.packages:
            pkg = self.model.packages[pid]
            granted = row.get(f"{pkg.name}.bewilligte_stufe")
            if granted is not None and not row.get(f"{pkg.name}.begründung"):
                problems.append(Diagnostic(
                    f"Die bewilligte Stufe {granted} von „{pkg.name}“ braucht eine Begründung",
                    path=f"{path}.{pkg.name}.begründung", hint="§ 127 SGB IX: die Abweichung von der berechneten Stufe wird begründet",
                    code="eingabe",
                ))
        for child in spec.lists:
            cspec = self.model.scopes[child]
            items = getattr(obj, cspec.name)
            count = len(items)
            if cspec.min_count is not None and count < cspec.min_count:
                problems.append(Diagnostic(f"„{cspec.name}“ braucht mindestens {cspec.min_count} Einträge, angegeben sind {count}",
                                           path=f"{path}.{cspec.name}", code="eingabe"))
            if cspec.max_count is not None and count > cspec.max_count:
                problems.append(Diagnostic(f"„{cspec.name}“ erlaubt höchstens {cspec.max_count} Einträge, angegeben sind {count}",
                                           path=f"{path}.{cspec.name}", code="eingabe"))
            row[cspec.name] = [self._row(item, child, f"{path}.{cspec.name}[{i}]", problems) for i, item in enumerate(items, start=1)]
        return row


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
            import difflib

            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f" (meinten Sie „{close[0]}“?)" if close else (f" (erlaubt: {', '.join(allowed)})" if allowed else "")
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


def _decode_diagnostic(exc: Exception, file: str) -> Diagnostic:
    line = getattr(exc, "lineno", 1) or 1
    column = getattr(exc, "colno", 1) or 1
    message = getattr(exc, "msg", None) or str(exc)
    return Diagnostic(f"Die Datei ist kein gültiges TOML/JSON: {message}", Location(file, line, column), code="eingabe")


_ = InvalidOperation
