"""Agreement (Vereinbarung) files → checked parameter and table overrides.

Takes: a TOML agreement (file, text or mapping) and a checked model. Gives: an
:class:`Agreement` holding the parameter values and table rows of the model with the agreed ones
applied, or an :class:`~teilhabe_rules.errors.AgreementError` listing every problem (unknown
parameter or table with did-you-mean, wrong unit, value out of range, bad row key, a corridor that
the agreed bounds leave with a gap or an overlap), each with file, line and column.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from . import checked as c
from .cases import convert_value, decode_location
from .domains import corridor_findings
from .errors import AgreementError, Diagnostic, Location, did_you_mean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Agreement", "base_values", "load_agreement"]


@attrs.frozen
class Agreement:
    """Agreed values: ``parameters`` by parameter id, ``tables`` as lookup dicts by table id."""

    name: str | None
    source: str | None
    parameters: dict[str, Any] = attrs.field(eq=False)
    tables: dict[str, dict[Any, Any]] = attrs.field(eq=False)
    overridden: tuple[str, ...] = ()


def base_values(model: c.CheckedModel) -> tuple[dict[str, Any], dict[str, dict[Any, Any]]]:
    """The model's own parameter defaults and table rows."""
    return ({pid: p.default for pid, p in model.parameters.items()}, {tid: t.mapping() for tid, t in model.tables.items()})


class _Located:
    def __init__(self, text: str, file: str):
        self.lines = text.splitlines()
        self.file = file

    def _header(self, name: str) -> int | None:
        """The index of the line ``[name]`` (quotes and spaces around the dots ignored)."""
        pattern = re.compile(r"\s*\[\[?\s*" + r"\s*\.\s*".join(re.escape(part) for part in name.split(".")) + r"\s*\]")
        for number, line in enumerate(self.lines):
            if pattern.match(line.replace('"', "").replace("'", "")):
                return number
        return None

    def find(self, key: str, section: str | None = None) -> tuple[int, int, str | None]:
        """Line, column and text where ``key`` is given (in ``[section]`` if it has one).

        A key written as ``key = …`` is found in its section; a table given as a header
        ``[section.key]`` (or a section ``[key]``) is found by that header.
        """
        pattern = re.compile(r'^\s*["\']?' + re.escape(key) + r'["\']?\s*=')
        start = self._header(section) if section is not None else None
        ranges = []
        if start is not None:
            end = next((n for n in range(start + 1, len(self.lines)) if self.lines[n].lstrip().startswith("[")), len(self.lines))
            ranges.append(range(start + 1, end))
        ranges.append(range(len(self.lines)))
        for lines in ranges:
            for number in lines:
                if pattern.match(self.lines[number]):
                    return number + 1, self.lines[number].index(key) + 1, self.lines[number]
        header = self._header(f"{section}.{key}" if section else key)
        if header is not None:
            line = self.lines[header]
            return header + 1, max(line.find(key), 0) + 1, line
        return 1, 1, self.lines[0] if self.lines else None


def load_agreement(model: c.CheckedModel, source: str | Path | Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Agreement:
    """Check an agreement against ``model`` and apply it to the model's values."""
    text = ""
    file = "<vereinbarung>"
    if isinstance(source, Mapping):
        data: Any = dict(source)
    else:
        path = Path(source)
        file = str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
            data = tomllib.loads(text, parse_float=Decimal)
        except OSError as exc:
            raise AgreementError(Diagnostic(f"Die Vereinbarung lässt sich nicht lesen: {exc.strerror or exc}", Location(file, 1, 1))) from None
        except UnicodeDecodeError:
            raise AgreementError(Diagnostic("Die Vereinbarung ist nicht in UTF-8 geschrieben", Location(file, 1, 1))) from None
        except tomllib.TOMLDecodeError as exc:
            line, column, message = decode_location(exc)
            source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else None
            raise AgreementError(Diagnostic(f"Die Vereinbarung ist kein gültiges TOML: {message}", Location(file, line, column),
                                            source_line=source_line, code="vereinbarung")) from None
    where = _Located(text, file)
    problems: list[Diagnostic] = []

    def report(message: str, key: str, section: str | None, hint: str | None = None) -> None:
        line, column, source_line = where.find(key, section)
        problems.append(Diagnostic(message, Location(file, line, column), hint=hint, source_line=source_line if text else None, code="vereinbarung"))

    parameters, tables = base_values(model)
    overridden: list[str] = []
    for section in ("vereinbarung", "parameter", "tabellen"):
        if not isinstance(data.get(section, {}), Mapping):
            report(f"„{section}“ ist ein Abschnitt [{section}] mit Einträgen „name = wert“, nicht {data[section]!r}", section, None)
            data.pop(section)
    head = data.pop("vereinbarung", {})
    name = head.get("name")
    # an agreement for a base model also fits its variants (they keep its parameters and tables)
    fitting = {None, model.info.name, model.info.extends, *(Path(f).stem for f in model.info.base_files)}
    if head.get("modell") not in fitting:
        report(f"Die Vereinbarung gilt für das Modell „{head.get('modell')}“, nicht für „{model.info.name}“", "modell", "vereinbarung")
    by_name = _parameter_names(model)
    agreed_at: dict[str, tuple[int, int, str | None]] = {}
    given = dict(data.pop("parameter", {}))
    if extra:
        given.update(extra)
    for key, raw in given.items():
        pid = by_name.get(key)
        if pid is None:
            report(f"Das Modell hat keinen Parameter „{key}“", key, "parameter", did_you_mean(key, by_name))
            continue
        spec = model.parameters[pid]
        try:
            parameters[pid] = convert_value(raw, spec.type)
        except ValueError as exc:
            report(f"Parameter „{key}“: {exc}", key, "parameter", f"deklariert als {spec.type.describe()}")
            continue
        overridden.append(pid)
        agreed_at[pid] = where.find(key, "parameter")
    table_names = _table_names(model)
    for key, rows in data.pop("tabellen", {}).items():
        tid = table_names.get(key)
        if tid is None:
            report(f"Das Modell hat keine Tabelle „{key}“", key, "tabellen", did_you_mean(key, table_names))
            continue
        spec = model.tables[tid]
        if not isinstance(rows, dict):
            report(f"Tabelle „{key}“: erwartet Zeilen „schlüssel = wert“", key, "tabellen")
            continue
        table = dict(tables[tid])
        for row_key, raw in rows.items():
            parts = [p.strip() for p in str(row_key).split(",")]
            if len(parts) != len(spec.key_types):
                report(f"Tabelle „{key}“: die Zeile „{row_key}“ hat {len(parts)} Schlüssel, die Tabelle {len(spec.key_types)}", str(row_key), f"tabellen.{key}")
                continue
            try:
                keys = tuple(convert_value(p, kt) if kt.kind != "zahl" else convert_value(p, c.ValueType("zahl", kt.unit, True)) for p, kt in zip(parts, spec.key_types))
                value = convert_value(raw, spec.value_type)
            except ValueError as exc:
                report(f"Tabelle „{key}“, Zeile „{row_key}“: {exc}", str(row_key), f"tabellen.{key}")
                continue
            table[keys[0] if len(keys) == 1 else keys] = value
        tables[tid] = table
        overridden.append(tid)
    for section in data:
        report(f"Unbekannter Abschnitt „{section}“", section, None, "erlaubt: [vereinbarung], [parameter], [tabellen.NAME]")
    if not problems:
        problems.extend(_corridors(model, parameters, file, agreed_at if text else {}))
    if problems:
        raise AgreementError(problems)
    return Agreement(name if isinstance(name, str) else None, file, parameters, tables, tuple(overridden))


def _parameter_names(model: c.CheckedModel) -> dict[str, str]:
    names: dict[str, str] = {pid: pid for pid in model.parameters}
    counts: dict[str, int] = {}
    for spec in model.parameters.values():
        counts[spec.name] = counts.get(spec.name, 0) + 1
    for pid, spec in model.parameters.items():
        if counts[spec.name] == 1:
            names.setdefault(spec.name, pid)
    return names


def _table_names(model: c.CheckedModel) -> dict[str, str]:
    names: dict[str, str] = {tid: tid for tid in model.tables}
    for tid, spec in model.tables.items():
        if sum(1 for t in model.tables.values() if t.name == spec.name) == 1:
            names.setdefault(spec.name, tid)
    return names


def _corridors(model: c.CheckedModel, parameters: dict[str, Any], file: str,
               agreed_at: dict[str, tuple[int, int, str | None]]) -> list[Diagnostic]:
    """Corridors whose bounds are parameters, re-checked with the agreed values.

    A finding points at the agreement line of the first agreed bound of that corridor
    (``agreed_at``: parameter id → line, column, text).
    """
    out = []
    for node in model.nodes.values():
        if node.kind != "stufe" or not node.bands:
            continue
        refs = [r for band in node.bands for b in (band.lower, band.upper) if b is not None
                for r in _parameter_refs(b)]
        if not refs:
            continue
        bounds = []
        for band in node.bands:
            lo = _bound(band.lower, parameters)
            hi = _bound(band.upper, parameters)
            bounds.append((band, lo, hi))
        if any(value is _UNKNOWN for _, lo, hi in bounds for value in (lo, hi)):
            continue  # a bound this check cannot compute is left to evaluation
        domain = model.domains.get(node.id)
        if domain is None:
            continue
        pkg = node.package or ""
        for severity, message, _span, hint in corridor_findings(domain, bounds, str(node.subject.type.unit) if node.subject else "", [], pkg):
            if severity == "fehler":
                line, column, source_line = next((agreed_at[r.symbol] for r in refs if r.symbol in agreed_at), (1, 1, None))
                out.append(Diagnostic(f"Mit den vereinbarten Grenzen: {message}", Location(file, line, column), hint=hint,
                                      source_line=source_line, code="korridor"))
    return out


_UNKNOWN: Any = object()


def _parameter_refs(ir: Any) -> list[c.Ref]:
    """The parameter references inside a bound expression."""
    if isinstance(ir, c.Ref):
        return [ir] if ir.kind == "parameter" else []
    found: list[c.Ref] = []
    for name in ("operand", "left", "right", "test", "then", "otherwise"):
        sub = getattr(ir, name, None)
        if sub is not None:
            found.extend(_parameter_refs(sub))
    for arg in getattr(ir, "args", ()):
        found.extend(_parameter_refs(arg))
    return found


def _bound(ir: c.Expr | None, parameters: dict[str, Any]) -> Any:
    """The value of a corridor bound under the agreed parameters (None = open side)."""
    if ir is None:
        return None
    if isinstance(ir, c.Const):
        return ir.value
    if isinstance(ir, c.Ref) and ir.kind == "parameter":
        return parameters[ir.symbol]
    if isinstance(ir, c.Unary) and ir.op == "-":
        inner = _bound(ir.operand, parameters)
        return _UNKNOWN if inner is _UNKNOWN else -inner
    if isinstance(ir, c.Convert):
        inner = _bound(ir.operand, parameters)
        return _UNKNOWN if inner is _UNKNOWN else inner * ir.factor.numerator / ir.factor.denominator
    if isinstance(ir, c.Arith) and ir.type.kind == "zahl":
        left, right = _bound(ir.left, parameters), _bound(ir.right, parameters)
        if _UNKNOWN in (left, right) or ir.op == "/" and right == 0:
            return _UNKNOWN
        return {"+": left + right, "-": left - right, "*": left * right}.get(ir.op) if ir.op != "/" else left / right
    if isinstance(ir, c.Func) and ir.name in ("min", "max"):
        values = [_bound(a, parameters) for a in ir.args]
        if any(v is _UNKNOWN for v in values):
            return _UNKNOWN
        return min(values) if ir.name == "min" else max(values)
    return _UNKNOWN
