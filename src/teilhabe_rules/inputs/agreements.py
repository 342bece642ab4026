"""Agreement (Vereinbarung) files → checked parameter and table overrides.

Takes: a TOML agreement (file, text or mapping) and a checked model. Gives: an
:class:`Agreement` holding the parameter values and table rows of the model with the agreed ones
applied, or an :class:`~teilhabe_rules.errors.AgreementError` listing every problem (unknown
header key, missing or other ``modell``, unknown parameter or table with did-you-mean, wrong
unit, value out of range, bad row key, a corridor that the agreed bounds leave with a gap or an
overlap), each with file, line and column; after :data:`~teilhabe_rules.inputs.cases.MAX_REPORTED`
problems the rest are counted in one diagnostic at the first of them.

The header ``[vereinbarung]`` holds ``modell`` (required), ``name``, and optionally
``"gültig_ab"`` / ``"gültig_bis"``: evaluating on a date outside them is an AgreementError at
that line (:meth:`Agreement.check_date`). A table row agreed as ``"nicht vereinbart"`` is
removed; looking it up during evaluation is an evaluation error naming the table and the key
(:class:`AgreedTable`). A mapping without a ``vereinbarung`` section is the programmatic form
(values for the model at hand) and needs no header.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..errors import AgreementError, Diagnostic, Location, did_you_mean
from ..files import MAX_CASE_BYTES, FileRefused, read_text
from ..ir import checked as c
from ..ir.domains import ModelSymbols, corridor_findings, domain_of, level_rule_problem, symbols_read_through
from ..ir.text import date_text, format_value, quantity_text
from ..records import FrozenDict
from ..runtime.faults import Fault, FaultError, FaultKind
from ..runtime.semantics import base_values
from ..span import source_lines
from .cases import MAX_REPORTED, DocumentError, convert_value, parse_document, source_line_of

__all__ = ["HEADER_KEYS", "NOT_AGREED", "AgreedTable", "Agreement", "base_values", "load_agreement"]

HEADER_KEYS = ("modell", "name", "gültig_ab", "gültig_bis")
NOT_AGREED = "nicht vereinbart"  # the value of a table row an agreement removes


class AgreedTable(FrozenDict[Any, Any]):
    """The rows of a table under an agreement that removes some (``"nicht vereinbart"``), read-only.

    Looking up a removed row raises a :class:`~teilhabe_rules.runtime.faults.FaultError` (kind
    ``TABLE_NOT_AGREED``) — reported like any table miss, as an EvaluationError at the rule that
    looks it up — with the table, the key and where the agreement removes it."""

    def __init__(self, rows: Mapping[Any, Any], name: str, removed: Mapping[Any, str]):
        super().__init__(rows)
        self.name = name
        self.removed = dict(removed)  # key → where the agreement removes it

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self), self.name, self.removed))

    def __missing__(self, key: Any) -> Any:
        where = self.removed.get(key)
        if where is None:
            raise KeyError(key)
        raise FaultError(Fault(FaultKind.TABLE_NOT_AGREED, table=self.name, key=key, where=where))


def _frozen(values: Mapping[Any, Any]) -> dict[Any, Any]:
    """``values`` read-only, as the model's (an agreement's values are evaluated as they are)."""
    return values if isinstance(values, FrozenDict) else FrozenDict(values)


def _frozen_tables(tables: Mapping[str, Mapping[Any, Any]]) -> dict[str, dict[Any, Any]]:
    return _frozen({tid: _frozen(rows) for tid, rows in tables.items()})


@attrs.frozen
class Agreement:
    """Agreed values: ``parameters`` by parameter id, ``tables`` as lookup dicts by table id (each
    read-only: :class:`~teilhabe_rules.records.FrozenDict`); the validity ``valid_from``/``valid_to``
    (header ``gültig_ab``/``gültig_bis``, inclusive)."""

    name: str | None
    source: str | None
    parameters: dict[str, Any] = attrs.field(eq=False, converter=_frozen)
    tables: dict[str, dict[Any, Any]] = attrs.field(eq=False, converter=_frozen_tables)
    overridden: tuple[str, ...] = ()
    valid_from: _dt.date | None = None
    valid_to: _dt.date | None = None
    # where gültig_ab and gültig_bis stand in the agreement file: location and source line
    validity_at: tuple[tuple[Location, str | None] | None, tuple[Location, str | None] | None] = attrs.field(
        default=(None, None), eq=False, repr=False)
    # the model it was checked against and applied to: its name and a digest of its rule texts
    # (:meth:`~teilhabe_rules.model.Model.load_agreement` refuses it for another); None: any model
    loaded_for: tuple[str, str] | None = attrs.field(default=None, repr=False)

    def parameter_overrides(self) -> dict[str, Any]:
        """The agreed parameter values (by id), without the model's own values."""
        return {pid: self.parameters[pid] for pid in self.overridden if pid in self.parameters}

    def valid_on(self, date: _dt.date) -> bool:
        return (self.valid_from is None or date >= self.valid_from) and (self.valid_to is None or date <= self.valid_to)

    def validity_text(self) -> str:
        parts = [f"ab {date_text(self.valid_from)}" if self.valid_from else "",
                 f"bis {date_text(self.valid_to)}" if self.valid_to else ""]
        return "gültig " + " ".join(p for p in parts if p)

    def check_date(self, date: _dt.date | None, source: str | None = None) -> None:
        """An :class:`AgreementError` at ``gültig_ab``/``gültig_bis`` if the agreement does not
        hold on the evaluation date ``date`` (``source``: where the date comes from, e.g. the
        case input ``erstellt_am``); one if it has a validity and there is no date."""
        if self.valid_from is None and self.valid_to is None:
            return
        what = f"Die Vereinbarung „{self.name}“" if self.name else "Die Vereinbarung"
        if date is None:
            location, line = self.validity_at[0] or self.validity_at[1] or (None, None)
            raise AgreementError(Diagnostic(
                f"{what} ist {self.validity_text()}; die Auswertung braucht einen Stichtag", location, source_line=line,
                hint="gib den Stichtag an: --at TT.MM.JJJJ (Model.evaluate(…, at=datum)); "
                     "das Modell hat keine Eingabe „stichtag“",
                code="gültigkeit"))
        if self.valid_on(date):
            return
        early = self.valid_from is not None and date < self.valid_from
        location, line = self.validity_at[0 if early else 1] or (None, None)
        from_source = f" ({source})" if source else ""
        raise AgreementError(Diagnostic(
            f"{what} gilt am {date_text(date)}{from_source} nicht ({self.validity_text()})",
            location, source_line=line,
            hint="eine Vereinbarung gilt nur in ihrem Zeitraum; ausgewertet wird am Stichtag des Falls oder an --at",
            code="gültigkeit"))


_HEADER_LINE = re.compile(r"\s*\[\[?([^\]]*)\]")
_ASSIGNMENT = re.compile(r"\s*([^=]*?)\s*=")
_QUOTED_KEY = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)')\s*=""")


def _section_name(name: str) -> str:
    """A section name as compared: quotes dropped, spaces around the dots ignored."""
    return ".".join(part.strip() for part in name.replace('"', "").replace("'", "").split("."))


class _Located:
    """Where keys and sections stand in an agreement's text.

    The text is indexed once (one pass over its lines): each section header, and for each
    section and for the whole text the first line where a key is given (``key = …``, the key
    bare or quoted), so that locating a problem costs no scan of the text."""

    def __init__(self, text: str, file: str):
        self.lines = source_lines(text)
        self.file = file
        self.headers: dict[str, int] = {}  # section name → index of its first header line
        self.keys: dict[str, int] = {}  # key → index of the first line that gives it
        self.section_keys: dict[str, dict[str, int]] = {}  # section → key → line index
        current: dict[str, int] | None = None
        for number, line in enumerate(self.lines):
            if line.lstrip().startswith("["):  # a header, or a line that ends a section
                header = _HEADER_LINE.match(line.replace('"', "").replace("'", ""))
                current = None
                if header is not None:
                    name = _section_name(header.group(1))
                    self.headers.setdefault(name, number)
                    if self.headers[name] == number:  # a section is found at its first header
                        current = self.section_keys.setdefault(name, {})
                continue
            for key in self._keys_of(line):
                self.keys.setdefault(key, number)
                if current is not None:
                    current.setdefault(key, number)

    @staticmethod
    def _keys_of(line: str) -> set[str]:
        """The keys a line ``key = …`` may give: the text before ``=`` with at most one quote
        on either side dropped, and a quoted key (which may itself contain ``=``)."""
        keys = set()
        assignment = _ASSIGNMENT.match(line)
        if assignment is not None:
            key = assignment.group(1)
            key = key[1:] if key[:1] in ("'", '"') else key
            keys.add(key[:-1] if key[-1:] in ("'", '"') else key)
        quoted = _QUOTED_KEY.match(line)
        if quoted is not None:
            keys.add(quoted.group(1) if quoted.group(1) is not None else quoted.group(2))
        return keys

    def find(self, key: str, section: str | None = None) -> tuple[int, int, str | None]:
        """Line, column and text where ``key`` is given (in ``[section]`` if it has one).

        A key written as ``key = …`` is found in its section, else anywhere; a table given
        as a header ``[section.key]`` (or a section ``[key]``) is found by that header.
        """
        number = None
        if section is not None:
            number = self.section_keys.get(_section_name(section), {}).get(key)
        if number is None:
            number = self.keys.get(key)
        if number is not None:
            line = self.lines[number]
            return number + 1, max(line.find(key), 0) + 1, line
        header = self.headers.get(_section_name(f"{section}.{key}" if section else key))
        if header is not None:
            line = self.lines[header]
            return header + 1, max(line.find(key), 0) + 1, line
        return 1, 1, self.lines[0] if self.lines else None


def load_agreement(
    model: c.CheckedModel, source: str | Path | Mapping[str, Any], extra: Mapping[str, Any] | None = None,
    *, loaded_for: tuple[str, str] | None = None,
) -> Agreement:
    """Check an agreement against ``model`` and apply it to the model's values (``loaded_for``:
    the model's identity, kept in the agreement)."""
    text = ""
    file = "<vereinbarung>"
    if isinstance(source, Mapping):
        data: Any = _text_keys(source)
    else:
        try:
            path = Path(source)
        except TypeError:
            raise AgreementError(Diagnostic(
                f"Eine Vereinbarung ist eine Datei (ihr Pfad) oder eine Tabelle (Schlüssel = Wert), nicht "
                f"{type(source).__name__}", code="vereinbarung")) from None
        file = str(path)
        try:
            text = read_text(path, MAX_CASE_BYTES)
            data = parse_document(text, json_format=False)
        except FileRefused as exc:
            raise AgreementError(Diagnostic(f"Die Vereinbarung „{file}“ {exc.reason}",
                                            Location(file, exc.line, exc.column), hint=exc.hint,
                                            source_line=exc.source_line, code="vereinbarung")) from None
        except DocumentError as exc:
            raise AgreementError(Diagnostic(f"Die Vereinbarung ist kein gültiges TOML: {exc.message}",
                                            Location(file, exc.line, exc.column),
                                            source_line=source_line_of(text, exc.line), code="vereinbarung")) from None
    where = _Located(text, file)
    problems: list[Diagnostic] = []
    # problems over the cap: their number, and the key and section of the first of them
    unreported: list[Any] = [0, None]

    def report(message: str, key: str, section: str | None, hint: str | None = None,
               names: Iterable[str] | None = None) -> None:
        """A problem at ``key``; the first MAX_REPORTED are located and reported one by one,
        the rest are counted. ``names``: what ``key`` may be; the hint then names the closest
        (computed only for a problem reported), else it is ``hint``."""
        if len(problems) >= MAX_REPORTED:
            unreported[0] += 1
            unreported[1] = unreported[1] or (key, section)
            return
        if names is not None:
            hint = did_you_mean(key, names) or hint
        line, column, source_line = where.find(key, section)
        problems.append(Diagnostic(message, Location(file, line, column), hint=hint,
                                   source_line=source_line if text else None, code="vereinbarung"))

    def place(key: str, section: str | None) -> tuple[Location, str | None]:
        line, column, source_line = where.find(key, section)
        return Location(file, line, column), source_line if text else None

    parameters, tables = base_values(model)
    overridden: list[str] = []
    broken: set[str] = set()  # the sections that are no sections (reported once: not their missing entries too)
    for section in ("vereinbarung", "parameter", "tabellen"):
        if not isinstance(data.get(section, {}), Mapping):
            report(f"„{section}“ ist ein Abschnitt [{section}] mit Einträgen „name = wert“, "
                   f"nicht {_brief(data[section])}", section, None)
            data.pop(section)
            broken.add(section)
        elif section in data:
            data[section] = _text_keys(data[section])
    # a file names its model; a mapping without a header is the programmatic form
    header_required = not isinstance(source, Mapping) or "vereinbarung" in data
    head = data.pop("vereinbarung", {})
    name = head.get("name")
    for key in head:
        if key not in HEADER_KEYS:
            report(f"Unbekannter Eintrag „{key}“ in [vereinbarung]", key, "vereinbarung",
                   "erlaubt: " + ", ".join(HEADER_KEYS), HEADER_KEYS)
    if name is not None and not isinstance(name, str):
        report(f"„name“ ist ein Text, nicht {_brief(name)}", "name", "vereinbarung")
    # an agreement for a base model also fits its variants (they keep its parameters and tables)
    fitting = {model.info.name, model.info.extends, *(Path(f).stem for f in model.info.base_files)} - {None}
    misplaced = "modell" in data and not isinstance(data["modell"], Mapping)  # (above [vereinbarung]: below)
    if header_required and "modell" not in head and not misplaced and "vereinbarung" not in broken:
        report("Die Vereinbarung nennt ihr Modell nicht: in [vereinbarung] fehlt „modell“", "vereinbarung", None,
               f'modell = "{model.info.name}"')
    elif "modell" in head and not isinstance(head["modell"], str):
        report(f"„modell“ ist der Name eines Modells (ein Text), nicht {_brief(head['modell'])}", "modell",
               "vereinbarung", f'modell = "{model.info.name}"')
    elif "modell" in head and head["modell"] not in fitting:
        report(f"Die Vereinbarung gilt für das Modell „{head['modell']}“, nicht für „{model.info.name}“",
               "modell", "vereinbarung", f"eine Vereinbarung zu „{model.info.name}“ angeben, oder das Modell, "
               "für das sie geschlossen ist")
    validity: list[_dt.date | None] = []
    for key in ("gültig_ab", "gültig_bis"):
        raw = head.get(key)
        try:
            validity.append(None if raw is None else convert_value(raw, c.DATE))
        except ValueError as exc:
            report(f"„{key}“: {exc}", key, "vereinbarung")
            validity.append(None)
    valid_from, valid_to = validity
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        report(f"„gültig_bis“ {date_text(valid_to)} liegt vor „gültig_ab“ {date_text(valid_from)}",
               "gültig_bis", "vereinbarung")
    by_name = _parameter_names(model)
    agreed_at: dict[str, tuple[int, int, str | None]] = {}
    given = dict(data.pop("parameter", {}))
    if extra:
        given.update(_text_keys(extra))
    for key, raw in given.items():
        pid = by_name.get(key)
        if pid is None:
            kind = _computed_kind(model, key)
            if kind is not None:  # a value or input of that name: it cannot be agreed, only what it is computed from
                report(f"„{key}“ ist {kind} des Modells, kein Parameter: eine Vereinbarung setzt nur Parameter",
                       key, "parameter", "vereinbart werden die Parameter, aus denen es berechnet wird "
                       "(teilhabe-rules diff oder das Handbuch des Modells nennen sie)")
            else:
                report(f"Das Modell hat keinen Parameter „{key}“", key, "parameter", names=by_name)
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
            report(f"Das Modell hat keine Tabelle „{key}“", key, "tabellen", names=table_names)
            continue
        table_spec = model.tables[tid]
        if not isinstance(rows, dict):
            report(f"Tabelle „{key}“: erwartet Zeilen „schlüssel = wert“", key, "tabellen")
            continue
        table = dict(tables[tid])
        removed: dict[Any, str] = {}
        spelled: dict[Any, str] = {}  # the rows given, by their keys read: as the first is written
        for row_key, raw in rows.items():
            parts = [p.strip() for p in str(row_key).split(",")]
            if len(parts) != len(table_spec.key_types):
                report(f"Tabelle „{key}“: die Zeile „{row_key}“ hat {len(parts)} Schlüssel, "
                       f"die Tabelle {len(table_spec.key_types)}", str(row_key), f"tabellen.{key}")
                continue
            # a row meant to be struck, misspelt: say how it is written (else a key has no hint, a value its type)
            struck_hint = (f"eine Zeile ohne Wert: „{NOT_AGREED}“" if isinstance(raw, str) and "vereinbar" in raw
                           else None)
            try:
                keys = tuple(convert_value(p, kt) if kt.kind != c.TypeKind.ZAHL
                             else convert_value(p, c.ValueType(c.TypeKind.ZAHL, kt.unit, True))
                             for p, kt in zip(parts, table_spec.key_types, strict=True))
            except ValueError as exc:
                report(f"Tabelle „{key}“, Zeile „{row_key}“: {exc}", str(row_key), f"tabellen.{key}", struck_hint)
                continue
            row = keys[0] if len(keys) == 1 else keys
            outside = next(((k, kt) for k, kt in zip(keys, table_spec.key_types, strict=True)
                            if isinstance(k, (int, Decimal)) and not isinstance(k, bool)
                            and (kt.low is not None and k < kt.low or kt.high is not None and k > kt.high)), None)
            if outside is not None:
                report(f"Tabelle „{key}“, Zeile „{row_key}“: der Schlüssel {outside[0]} liegt außerhalb von "
                       f"{outside[1].low} bis {outside[1].high}", str(row_key), f"tabellen.{key}")
                continue
            if row in spelled:
                report(f"Tabelle „{key}“: die Zeile „{row_key}“ ist dieselbe wie „{spelled[row]}“ (doppelt)",
                       str(row_key), f"tabellen.{key}", "eine Zeile steht einmal in der Vereinbarung")
                continue
            spelled[row] = str(row_key)
            if isinstance(raw, str) and raw.strip() == NOT_AGREED:
                table.pop(row, None)
                line, _, _ = where.find(str(row_key), f"tabellen.{key}")
                removed[row] = f"{file}:{line}" if text else file
                continue
            try:
                value = convert_value(raw, table_spec.value_type)
            except ValueError as exc:
                report(f"Tabelle „{key}“, Zeile „{row_key}“: {exc}", str(row_key), f"tabellen.{key}",
                       struck_hint or f"die Werte der Tabelle sind deklariert als {table_spec.value_type.describe()}")
                continue
            table[row] = value
        tables[tid] = AgreedTable(table, table_spec.name, removed) if removed else table
        overridden.append(tid)
        agreed_at[tid] = where.find(key, "tabellen")
    for section in data:
        value = data[section]
        # a plain entry above every section (not a table, nor an array of tables ``[[…]]``): in
        # the section it belongs to, where it is known
        plain = not isinstance(value, Mapping) and not (
            isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value))
        home = None if not plain else "vereinbarung" if section in HEADER_KEYS else "parameter" if (
            section in by_name) else f"tabellen.{section}" if section in table_names else None
        if home is not None:
            a_table = home.startswith("tabellen.")
            twice = section in head if home == "vereinbarung" else home == "parameter" and section in given
            if isinstance(source, Mapping):  # (the programmatic form: no header lines to write)
                report(f"„{section}“ steht außerhalb jedes Abschnitts: es gehört unter „{home}“", section, None,
                       f'{{"tabellen": {{"{section}": {{Zeile: Wert, …}}}}}}' if a_table
                       else f'{{"{home}": {{"{section}": …}}}}')
            elif twice:
                report(f"„{section}“ steht zweimal: vor jedem Abschnitt und in [{home}]", section, None,
                       "lösche die Zeile vor den Abschnitten")
            else:
                report(f"„{section}“ steht vor jedem Abschnitt: es gehört in [{home}]", section, None,
                       f"eine Tabelle steht als Abschnitt [{home}] mit einer Zeile „Schlüssel = Wert“ je Zeile"
                       if a_table else f"schreibe [{home}] in eine Zeile über „{section} = …“")
        elif plain:
            report(f"Unbekannter Eintrag „{section}“ vor jedem Abschnitt", section, None,
                   "Einträge stehen in [vereinbarung], [parameter] oder [tabellen.NAME]")
        else:
            report(f"Unbekannter Abschnitt „{section}“", section, None,
                   "erlaubt: [vereinbarung], [parameter], [tabellen.NAME]")
    if unreported[0]:
        line, column, source_line = where.find(*unreported[1])
        problems.append(Diagnostic(f"… und {unreported[0]} weitere Fehler in dieser Vereinbarung",
                                   Location(file, line, column),
                                   hint=f"gezeigt werden die ersten {MAX_REPORTED}; der nächste steht hier",
                                   source_line=source_line if text else None, code="vereinbarung"))
    if not problems:
        problems.extend(_corridors(model, parameters, overridden, tables, (valid_from, valid_to), file,
                                   agreed_at if text else {}))
    if problems:
        raise AgreementError(problems)
    return Agreement(name if isinstance(name, str) else None, file, parameters, tables, tuple(overridden),
                     valid_from, valid_to,
                     (place("gültig_ab", "vereinbarung") if valid_from else None,
                      place("gültig_bis", "vereinbarung") if valid_to else None), loaded_for)


def _text_keys(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    """``mapping`` with its keys as text: a mapping given in Python may have keys of any type,
    which are reported by their text (names are texts; a table's row keys are read from their
    text)."""
    return {key if isinstance(key, str) else str(key): value for key, value in mapping.items()}


def _brief(value: Any) -> str:
    """A value as named in a message, never its whole content (it may be huge or deep)."""
    if isinstance(value, Mapping):
        return "ein Datensatz"
    if isinstance(value, (list, tuple)):
        return "eine Liste"
    if value is None:  # (a mapping's None: no value)
        return "leer (null)"
    if isinstance(value, bool):  # (as the agreement writes it)
        return "ja" if value else "nein"
    shown = str(value)
    return f"„{shown[:80]}…“" if len(shown) > 80 else f"„{shown}“"


def _computed_kind(model: c.CheckedModel, name: str) -> str | None:
    """``ein berechneter Wert`` or ``eine Eingabe`` where ``name`` is one (on the model's top
    level or in a package: its key), else None."""
    if any(node.kind == c.NodeKind.WERT and node.key == name for node in model.nodes.values()):
        return "ein berechneter Wert"
    if any(spec.key == name for scope in model.scopes.values() for spec in scope.inputs):
        return "eine Eingabe"
    return None


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


def _values_on(specs: Iterable[c.ParameterSpec], day: _dt.date) -> dict[str, Any]:
    """The values of the parameters ``specs`` that have one on ``day``, by id."""
    values = {spec.id: spec.value_on(day) for spec in specs}
    return {pid: value for pid, value in values.items() if value is not None}


def _level_rule(model: c.CheckedModel, node: c.ExpressionLevelNode, periods: Iterable[_Period],
                agreed: Collection[str], base: ModelSymbols, file: str,
                agreed_at: dict[str, tuple[int, int, str | None]]) -> list[Diagnostic]:
    """A ``stufe = …`` rule reading an agreed parameter or table, checked as the checker checks
    it: with the agreed values it gives only declared levels, from the first day on and in every
    later period (``periods``: see :func:`_periods`); the first problem is reported."""
    read = symbols_read_through([node.expr], base.value_ir)
    moved_by = [sid for sid in agreed if sid in read]
    if not moved_by:
        return []
    package = next(model.packages[pid] for pid in model.scopes[node.scope].packages
                   if model.packages[pid].name == node.package)
    for symbols, when in _periods_read(periods, read):
        problem = level_rule_problem(domain_of(node.expr, symbols), (level.number for level in package.levels),
                                     package.name)
        if problem is not None:
            line, column, source_line = next((agreed_at[sid] for sid in moved_by if sid in agreed_at), (1, 1, None))
            return [Diagnostic(f"Mit den vereinbarten Werten{when}: {problem}", Location(file, line, column),
                               hint="vereinbare Werte, mit denen die Regel eine deklarierte Stufe ergibt",
                               source_line=source_line, code="stufe")]
    return []


@attrs.frozen
class _Period:
    """The values an agreement is checked with from one day on (None: its first day): the
    parameters with the model's values of that day where the agreement leaves them, the
    agreement's tables as symbols (made when first asked for, once for all rules), and the
    parameters whose value that day changes, from the first day's."""

    day: _dt.date | None
    values: dict[str, Any]
    changed: tuple[c.ParameterSpec, ...]
    symbols: Callable[[], ModelSymbols]


def _periods(model: c.CheckedModel, parameters: dict[str, Any], agreed: Collection[str],
             tables: Mapping[str, Mapping[Any, Any]],
             validity: tuple[_dt.date | None, _dt.date | None]) -> list[_Period]:
    """The first day's values of an agreement (valid ``validity``: from, to; None: open) and those
    of each later day in it on which a parameter it leaves takes the model's next value
    (``ab TT.MM.JJJJ = …``)."""
    first, last = validity
    dated = [spec for pid, spec in model.parameters.items() if spec.periods and pid not in agreed]
    if first is not None:  # the values the agreement starts with
        parameters = {**parameters, **_values_on(dated, first)}
    days = sorted({period.valid_from for spec in dated for period in spec.periods
                   if (first is None or period.valid_from > first) and (last is None or period.valid_from <= last)})
    changed_tables = {tid: tables[tid] for tid in agreed if tid in tables}
    out = []
    for day in [None, *days]:
        values = parameters if day is None else {**parameters, **_values_on(dated, day)}
        changed = () if day is None else tuple(spec for spec in dated if values[spec.id] != parameters[spec.id])
        out.append(_Period(day, values, changed, functools.cache(
            functools.partial(ModelSymbols, model, values, changed_tables))))
    return out


def _periods_read(periods: Iterable[_Period], read: Collection[str]) -> Iterator[tuple[ModelSymbols, str]]:
    """The symbols of the first day, and of each later period in which a parameter in ``read``
    changes, with the words naming that period in a message (empty for the first day)."""
    for period in periods:
        if period.day is None:
            yield period.symbols(), ""
            continue
        changed = [spec for spec in period.changed if spec.id in read]
        if changed:
            shown = ", ".join(f"„{spec.name}“ = {quantity_text(period.values[spec.id], spec.type)}"
                              for spec in changed)
            yield period.symbols(), f" ab {format_value(period.day)} ({shown})"


def _corridors(model: c.CheckedModel, parameters: dict[str, Any], agreed: Collection[str],
               tables: Mapping[str, Mapping[Any, Any]], validity: tuple[_dt.date | None, _dt.date | None],
               file: str, agreed_at: dict[str, tuple[int, int, str | None]]) -> list[Diagnostic]:
    """The corridors that read an agreed parameter or table — in a bound or in their quantity,
    also through the values they read — re-checked with the agreed values (the quantity's
    domain and the bounds computed anew), and with the model's values of every later period
    (``ab TT.MM.JJJJ = …``) of a parameter not agreed, in the agreement's ``validity`` (from, to;
    None: open): from the values on its first day. A ``stufe = …`` rule reading an agreed value
    likewise gives only declared levels in each of those periods (:func:`_level_rule`).

    ``agreed``: the ids of the agreed parameters and tables; ``tables``: the tables by id, as
    the agreement has them. A finding points at the agreement line of the first agreed symbol
    that corridor reads (``agreed_at``: id → line, column, text)."""
    out: list[Diagnostic] = []
    periods = _periods(model, parameters, agreed, tables, validity)
    starting = periods[0].values
    base = ModelSymbols(model)
    for node in model.nodes.values():
        if isinstance(node, c.ExpressionLevelNode):
            out.extend(_level_rule(model, node, periods, agreed, base, file, agreed_at))
            continue
        if not isinstance(node, c.CorridorLevelNode) or not node.bands:
            continue
        read = symbols_read_through([node.subject, *node.bands], base.value_ir)
        moved_by = [sid for sid in agreed if sid in read]
        if not moved_by and validity[0] is None:
            continue  # (the model's own values: the checker proved this corridor)
        # the first day: where an agreed value is read, or a value that day is not the default
        first_too = bool(moved_by) or any(starting.get(pid) != spec.default
                                          for pid, spec in model.parameters.items() if pid in read)
        seen: set[str] = set()
        unit = node.subject.type.unit
        for symbols, when in _periods_read(periods if first_too else periods[1:], read):
            bounds = [(band, domain_of(band.lower, symbols).single() if band.lower is not None else None,
                       domain_of(band.upper, symbols).single() if band.upper is not None else None)
                      for band in node.bands]
            if any(value is None and bound is not None
                   for band, lo, hi in bounds for value, bound in ((lo, band.lower), (hi, band.upper))):
                continue  # a bound this check cannot compute is left to evaluation
            domain = domain_of(node.subject, symbols)
            for severity, message, _span, hint in corridor_findings(domain, bounds, unit, {}, node.package):
                if severity == "fehler" and message not in seen:
                    seen.add(message)
                    line, column, source_line = next(
                        (agreed_at[sid] for sid in moved_by if sid in agreed_at), (1, 1, None)
                    )
                    out.append(Diagnostic(f"Mit den vereinbarten Werten{when}: {message}",
                                          Location(file, line, column),
                                          hint=hint, source_line=source_line, code="korridor"))
    return out
