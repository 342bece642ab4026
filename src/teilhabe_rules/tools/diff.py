"""A semantic diff of two checked models.

Takes: two :class:`~teilhabe_rules.ir.checked.CheckedModel` (an old and a new version). Gives: a
:class:`ModelDiff` — the changes grouped in sections a controller reads (German headings): the
model's header, validity (of the model and of parameter values), packages and their levels,
corridor bounds per band (old → new, with unit and the value a parameter bound stands for),
enumerations, tables row by row, parameters (value and unit, range, assumptions), inputs,
values whose formula changed, rounding (``runde`` places and mode), checks, properties
(``eigenschaft``) and, last, the descriptions and titles of declarations both versions have.

No rule is compared as text: declarations are matched by name (checks by their message,
properties by their title), table rows by key, formulas as resolved expressions with
:func:`ir_equal`, which ignores source positions; only the texts a model states (descriptions,
titles, assumptions, sources) are compared as texts. Reordering or reformatting a file therefore
shows no difference.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from ..errors import counted
from ..ir import checked as c
from ..ir import toolkit
from ..ir.text import EXACT, Figures, decimal_text, format_value, german_number, groups_thousands
from ..ir.toolkit import ir_equal, ir_key
from ..paths import format_path
from ..units import Unit

__all__ = ["SECTIONS", "WIDTH", "Change", "ModelDiff", "diff_models", "ir_equal", "ir_key", "roundings", "told_apart"]

# Sections in reading order, with their German headings.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("modell", "Modell"),
    ("gültigkeit", "Gültigkeit"),
    ("pakete", "Pakete und Stufen"),
    ("korridore", "Korridore"),
    ("aufzählungen", "Aufzählungen"),
    ("tabellen", "Tabellen"),
    ("parameter", "Parameter"),
    ("eingaben", "Eingaben"),
    ("werte", "Werte (Formeln)"),
    ("rundung", "Rundung"),
    ("prüfungen", "Prüfungen"),
    ("eigenschaften", "Eigenschaften"),
    ("beschreibungen", "Beschreibungen und Titel"),
)
_HEADINGS = dict(SECTIONS)
_ORDER = {key: number for number, (key, _) in enumerate(SECTIONS)}
_KINDS = {"hinzugefügt": "neu", "entfernt": "entfällt", "geändert": "geändert"}

#: How many characters of a rule text the text report shows (at most, besides the „…“ of a cut).
WIDTH = 160


@attrs.frozen
class Change:
    """One difference: its section, ``art`` (hinzugefügt / entfernt / geändert), what changed
    (``subject``, e.g. ``pflegeminuten[5]``), the old and new value as text, and a note.

    ``old`` and ``new`` are whole texts. With ``formula`` they are rule texts (a formula, a
    check's condition), which the text report shows cut around their first difference
    (:meth:`shown`); the JSON holds them in full."""

    section: str
    kind: str
    subject: str
    old: str | None = None
    new: str | None = None
    note: str | None = None
    formula: bool = False

    def shown(self) -> tuple[str | None, str | None]:
        """``old`` and ``new`` as the text report shows them: a rule text of more than
        :data:`WIDTH` characters cut so that both sides show where they first differ."""
        if not self.formula:
            return self.old, self.new
        if self.old is not None and self.new is not None:
            return told_apart(self.old, self.new)
        return _beginning(self.old), _beginning(self.new)

    def text(self) -> str:
        label = _KINDS[self.kind]
        old, new = self.shown()
        line = f"{label:<9} {self.subject}"
        if self.note:
            line += f" ({self.note})"
        if self.kind == "geändert":
            line += f": {old} → {new}"
        elif self.kind == "hinzugefügt" and new:
            line += f": {new}"
        elif self.kind == "entfernt" and old:
            line += f": war {old}"
        return line

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"abschnitt": self.section, "art": self.kind, "gegenstand": self.subject}
        if self.old is not None:
            out["alt"] = self.old
        if self.new is not None:
            out["neu"] = self.new
        if self.note:
            out["hinweis"] = self.note
        return out


@attrs.frozen
class ModelDiff:
    """The changes from ``old`` to ``new``, in section order."""

    old: c.ModelInfo
    new: c.ModelInfo
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def section(self, key: str) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.section == key)

    def render_text(self) -> str:
        lines = ["Vergleich der Modelle", f"  alt: {_who(self.old)}", f"  neu: {_who(self.new)}", ""]
        if not self.changes:
            lines.append("Keine inhaltlichen Unterschiede.")
            return "\n".join(lines) + "\n"
        for key, heading in SECTIONS:
            changes = self.section(key)
            if not changes:
                continue
            lines.append(heading)
            # (a text of several lines — a description, a check's message — goes on under the change)
            lines.extend("  " + change.text().replace("\n", "\n" + " " * 12) for change in changes)
            lines.append("")
        sections = len({change.section for change in self.changes})
        lines.append(f"{len(self.changes)} Änderung{'en' if len(self.changes) != 1 else ''} in {sections} "
                     f"Abschnitt{'en' if sections != 1 else ''}.")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "alt": _info_dict(self.old),
            "neu": _info_dict(self.new),
            "anzahl": len(self.changes),
            "abschnitte": {
                heading: [ch.to_dict() for ch in self.section(key)] for key, heading in SECTIONS if self.section(key)
            },
        }


def _who(info: c.ModelInfo) -> str:
    text = f"{info.named()} — {info.file}"
    if info.extends:
        text += f" (erweitert „{info.extends}“)"
    return text


def _info_dict(info: c.ModelInfo) -> dict[str, Any]:
    return {"name": info.name, "version": info.version, "datei": info.file, "erweitert": info.extends}


def roundings(node: Any) -> tuple[tuple[int, str], ...]:
    """The ``runde`` calls of an expression as (places, mode), outermost first."""
    out: list[tuple[int, str]] = []
    for sub in toolkit.walk(node):
        if isinstance(sub, c.Func) and sub.name == "runde":
            places, mode = sub.args[1], sub.args[2]
            out.append((int(places.value) if isinstance(places, c.Const) else -1,
                        str(mode.value) if isinstance(mode, c.Const) else "?"))
    return tuple(out)


def _rounding_text(items: tuple[tuple[int, str], ...]) -> str:
    if not items:
        return "keine Rundung"
    return ", ".join(f"runde(…, {places}, {mode})" for places, mode in items)


# ---- the diff ------------------------------------------------------------------------------------------


def diff_models(old: c.CheckedModel, new: c.CheckedModel, figures: Figures = EXACT) -> ModelDiff:
    """The semantic differences from ``old`` to ``new``; the values they show (of parameters,
    table rows, corridor bounds, inputs' ranges and defaults) written as ``figures`` writes a
    value as given — every digit (``FULL``: German, as the handbook shows them)."""
    out = _Diff(old, new, figures)
    out.header()
    out.validity()
    out.packages()
    out.enums()
    out.tables()
    out.parameters()
    out.inputs()
    out.lists()
    out.values()
    out.checks()
    out.properties()
    out.descriptions()
    changes = sorted(out.changes, key=lambda ch: _ORDER[ch.section])  # stable: the order within a section stays
    return ModelDiff(old.info, new.info, tuple(changes))


def _place(scope: str, key: str) -> str:
    """``bewohner`` + ``lp2a.vk`` → ``bewohner[].lp2a.vk`` (a value in every element of a list)."""
    if not scope:
        return key
    return "".join(f"{part}[]." for part in scope.split(".")) + key


def _date(value: _dt.date | None) -> str:
    return format_value(value) if value is not None else "offen"


def _validity(info: c.ModelInfo) -> str:
    start = f"ab {format_value(info.valid_from)}" if info.valid_from else "ohne Beginn"
    return start + (f" bis {format_value(info.valid_to)}" if info.valid_to else "")


def _type_text(vtype: c.ValueType, figures: Figures) -> str:
    text = vtype.describe()
    if vtype.kind == c.TypeKind.ZAHL and (vtype.low is not None or vtype.high is not None) and vtype.choices is None:
        low = figures.value(vtype.low, vtype, given=True) if vtype.low is not None else "−∞"
        high = figures.value(vtype.high, vtype, given=True) if vtype.high is not None else "∞"
        text += f" von {low} bis {high}"
    return text


def _type_key(vtype: c.ValueType) -> Any:
    """What makes two types the same for a diff. An aufzählung counts by its name: a member added
    or removed is reported once, under „Aufzählungen“, not again at every input and table that
    uses it."""
    return (vtype.kind, str(vtype.unit), vtype.integer, vtype.low, vtype.high,
            tuple(sorted(vtype.choices)) if vtype.choices is not None else None,  # (a set: its order is no change)
            vtype.enum.name if vtype.enum is not None else None)


def _quoted(texts: tuple[str, ...]) -> str:
    return "; ".join(f"„{t}“" for t in texts) if texts else "—"


class _Diff:
    def __init__(self, old: c.CheckedModel, new: c.CheckedModel, figures: Figures):
        self.old, self.new = old, new
        self.figures = figures
        self.changes: list[Change] = []

    def add(self, section: str, kind: str, subject: str, old: str | None = None, new: str | None = None,
            note: str | None = None) -> None:
        self.changes.append(Change(section, kind, subject, old, new, note))

    def changed(self, section: str, subject: str, old: Any, new: Any, note: str | None = None) -> None:
        if old != new:
            self.add(section, "geändert", subject, "—" if old in (None, "") else str(old),
                     "—" if new in (None, "") else str(new), note)

    # ---- header and validity ----

    def header(self) -> None:
        a, b = self.old.info, self.new.info
        self.changed("modell", "Name", a.name, b.name)
        self.changed("modell", "Titel", a.title, b.title)
        self.changed("modell", "Langtitel", a.long_title, b.long_title)
        self.changed("modell", "Version", a.version, b.version)
        self.changed("modell", "Familie", a.family, b.family)
        self.changed("modell", "Stichtag", ".".join(a.reference_date or ()), ".".join(b.reference_date or ()))
        self.changed("modell", "Budget", ".".join(a.budget or ()), ".".join(b.budget or ()))
        self.changed("modell", "Budget je Element", ".".join(a.element_budget or ()),
                     ".".join(b.element_budget or ()))
        self.changed("modell", "erweitert", a.extends, b.extends)
        self.changed("modell", "Vorgänger", a.predecessor, b.predecessor)
        self.changed("modell", "Beschreibung", a.description, b.description)
        for source in sorted(set(b.sources) - set(a.sources)):
            self.add("modell", "hinzugefügt", "Quelle", new=f"„{source}“")
        for source in sorted(set(a.sources) - set(b.sources)):
            self.add("modell", "entfernt", "Quelle", old=f"„{source}“")

    def validity(self) -> None:
        self.changed("gültigkeit", "Modell", _validity(self.old.info), _validity(self.new.info))
        for pid in sorted(set(self.old.parameters) & set(self.new.parameters)):
            a, b = self.old.parameters[pid], self.new.parameters[pid]
            if (len(a.periods), len(b.periods)) != (0, 0) and self._periods(a, self.old.info) != self._periods(
                    b, self.new.info):  # (by value: 70.10 EUR/h is 70.1 EUR/h)
                places = max(_places(value, spec.type) for spec in (a, b)
                             for value in (spec.default, *(period.value for period in spec.periods)))
                self.add("gültigkeit", "geändert", f"{pid} (Werte je Zeitraum)",
                         self._schedule(a, self.old.info, places), self._schedule(b, self.new.info, places))

    @staticmethod
    def _periods(spec: c.ParameterSpec, info: c.ModelInfo) -> Any:
        return (spec.default, info.valid_from,
                tuple((period.value, period.valid_from, period.valid_to) for period in spec.periods))

    def _schedule(self, spec: c.ParameterSpec, info: c.ModelInfo, places: int) -> str:
        parts = [f"{_quantity(spec.default, spec.type, places, self.figures)} ab {_date(info.valid_from)}"]
        for period in spec.periods:
            end = f" bis {format_value(period.valid_to)}" if period.valid_to else ""
            parts.append(f"{_quantity(period.value, spec.type, places, self.figures)} "
                         f"ab {format_value(period.valid_from)}{end}")
        return ", ".join(parts)

    # ---- packages, levels, corridors ----

    def packages(self) -> None:
        old, new = self.old.packages, self.new.packages
        for pid in [p for p in new if p not in old]:
            spec = new[pid]
            self.add("pakete", "hinzugefügt", _place(spec.scope, spec.name), new=spec.title or None)
        for pid in [p for p in old if p not in new]:
            spec = old[pid]
            self.add("pakete", "entfernt", _place(spec.scope, spec.name), old=spec.title or None)
        for pid in [p for p in old if p in new]:
            a, b = old[pid], new[pid]
            where = _place(a.scope, a.name)
            self.changed("pakete", where, a.title, b.title, "Titel")
            self.changed("pakete", where, _rule_text(a.rule), _rule_text(b.rule), "Stufenregel")
            levels_a = {lv.number: lv for lv in a.levels}
            levels_b = {lv.number: lv for lv in b.levels}
            for number in sorted(set(levels_b) - set(levels_a)):
                self.add("pakete", "hinzugefügt", f"{where} Stufe {number}", new=f"„{levels_b[number].label}“")
            for number in sorted(set(levels_a) - set(levels_b)):
                self.add("pakete", "entfernt", f"{where} Stufe {number}", old=f"„{levels_a[number].label}“")
            for number in sorted(set(levels_a) & set(levels_b)):
                level_a, level_b = levels_a[number], levels_b[number]
                self.changed("pakete", f"{where} Stufe {number}", f"„{level_a.label}“", f"„{level_b.label}“",
                             "Bezeichnung")
                self.changed("pakete", f"{where} Stufe {number}", level_a.criteria, level_b.criteria, "Kriterien")
            self.corridor(pid, a, b, where)

    def corridor(self, pid: str, a: c.PackageSpec, b: c.PackageSpec, where: str) -> None:
        node_a = self.old.nodes.get(f"{pid}.berechnete_stufe")
        node_b = self.new.nodes.get(f"{pid}.berechnete_stufe")
        if not isinstance(node_a, c.CorridorLevelNode) or not isinstance(node_b, c.CorridorLevelNode):
            return
        if not node_a.bands or not node_b.bands:
            return
        if not ir_equal(node_a.subject, node_b.subject):
            self.changes.append(Change("korridore", "geändert", f"{where}: Größe des Korridors",
                                       _symbolic(node_a.subject), _symbolic(node_b.subject), formula=True))
        unit = node_b.subject.type.unit
        bands_a = _bands_by_level(node_a.bands)
        bands_b = _bands_by_level(node_b.bands)
        for level in sorted(set(bands_b) - set(bands_a)):
            self.add("korridore", "hinzugefügt", f"{where} Stufe {level}",
                     new=self._bands(bands_b[level], self.new, unit))
        for level in sorted(set(bands_a) - set(bands_b)):
            self.add("korridore", "entfernt", f"{where} Stufe {level}", old=self._bands(bands_a[level], self.old, unit))
        for level in sorted(set(bands_a) & set(bands_b)):
            if len(bands_a[level]) == len(bands_b[level]) == 1:
                (band_a,), (band_b,) = bands_a[level], bands_b[level]
                for side in ("lower", "upper"):
                    before = self._bound(band_a, side, self.old, unit)
                    after = self._bound(band_b, side, self.new, unit)
                    if before[0] != after[0]:
                        # (shown again with as many decimal places on both sides)
                        places = max(self._places(band_a, side, self.old), self._places(band_b, side, self.new))
                        name = "untere Grenze" if side == "lower" else "obere Grenze"
                        self.add("korridore", "geändert", f"{where} Stufe {level}, {name}",
                                 self._bound(band_a, side, self.old, unit, places)[1],
                                 self._bound(band_b, side, self.new, unit, places)[1])
                continue
            # a level of several bands: its bands, compared as a whole (in any order)
            if self._band_keys(bands_a[level], self.old, unit) != self._band_keys(bands_b[level], self.new, unit):
                self.add("korridore", "geändert", f"{where} Stufe {level}, Bänder",
                         self._bands(bands_a[level], self.old, unit), self._bands(bands_b[level], self.new, unit))

    def _band_keys(self, bands: list[c.BandSpec], model: c.CheckedModel, unit: Unit) -> list[str]:
        """What is compared of a level's bands: each band's bounds, in an order of their own."""
        return sorted(repr(tuple(self._bound(band, side, model, unit)[0] for side in ("lower", "upper")))
                      for band in bands)

    def _bands(self, bands: list[c.BandSpec], model: c.CheckedModel, unit: Unit) -> str:
        return "; ".join(self._band(band, model, unit) for band in bands)

    @staticmethod
    def _places(band: c.BandSpec, side: str, model: c.CheckedModel) -> int:
        """The decimal places of a bound's value as shown alone."""
        expr = band.lower if side == "lower" else band.upper
        return 0 if expr is None else _places(_value_of(expr, model), expr.type)

    def _bound(self, band: c.BandSpec, side: str, model: c.CheckedModel, unit: Unit,
               places: int = 0) -> tuple[Any, str]:
        """(what is compared, the text shown — its number with at least ``places`` decimal places)
        of one side of a band."""
        expr = band.lower if side == "lower" else band.upper
        inclusive = band.lower_inclusive if side == "lower" else band.upper_inclusive
        if expr is None:
            return (None,), "offen"
        word = ("ab" if inclusive else "über") if side == "lower" else ("bis" if inclusive else "unter")
        value = _value_of(expr, model)
        shown = _number_text(value, expr.type, places, self.figures) if value is not None else None
        symbol = _symbolic(expr)
        if isinstance(expr, c.Const):
            text = f"{word} {shown} {unit.text_after(shown or '')}".rstrip()
        elif shown is not None:
            text = f"{word} {symbol} ({shown} {unit.text_after(shown)})".replace(" )", ")")
        else:
            text = f"{word} {symbol}"
        # a bound that reads a parameter is one that moves with it: one that now reads another
        # parameter (of the same value) is a change — an agreement on the first no longer moves it
        key = (
            inclusive,
            Fraction(value) if isinstance(value, Decimal) else value,
            None if isinstance(expr, c.Const) else ir_key(expr),
        )
        return key, text

    def _band(self, band: c.BandSpec, model: c.CheckedModel, unit: Unit) -> str:
        parts = [self._bound(band, side, model, unit)[1] for side in ("lower", "upper")]
        return " ".join(p for p in parts if p != "offen") or "offen"

    # ---- enumerations and tables ----

    def enums(self) -> None:
        old, new = self.old.enums, self.new.enums
        for name in [n for n in new if n not in old]:
            self.add("aufzählungen", "hinzugefügt", name, new=", ".join(map(str, new[name].keys())))
        for name in [n for n in old if n not in new]:
            self.add("aufzählungen", "entfernt", name, old=", ".join(map(str, old[name].keys())))
        for name in [n for n in old if n in new]:
            a = {m.key: m for m in old[name].members}
            b = {m.key: m for m in new[name].members}
            for key in [k for k in b if k not in a]:
                self.add("aufzählungen", "hinzugefügt", f"{name}.{key}",
                         new=f"„{b[key].label}“" if b[key].label else None)
            for key in [k for k in a if k not in b]:
                self.add("aufzählungen", "entfernt", f"{name}.{key}", old=f"„{a[key].label}“" if a[key].label else None)
            for key in [k for k in a if k in b]:
                self.changed("aufzählungen", f"{name}.{key}", a[key].label, b[key].label, "Bezeichnung")

    def tables(self) -> None:
        old, new = self.old.tables, self.new.tables
        for tid in [t for t in new if t not in old]:
            self.add("tabellen", "hinzugefügt", tid, new=_rows_text(new[tid]), note=new[tid].title)
        for tid in [t for t in old if t not in new]:
            self.add("tabellen", "entfernt", tid, old=_rows_text(old[tid]), note=old[tid].title)
        for tid in [t for t in old if t in new]:
            a, b = old[tid], new[tid]
            keys_a = tuple(_type_key(t) for t in a.key_types)
            keys_b = tuple(_type_key(t) for t in b.key_types)
            if keys_a != keys_b or _type_key(a.value_type) != _type_key(b.value_type):
                # (a table's type as the rule file writes it, „->“: „→“ is old to new in the diff)
                before = ", ".join(self._type(t) for t in a.key_types) + " -> " + self._type(a.value_type)
                after = ", ".join(self._type(t) for t in b.key_types) + " -> " + self._type(b.value_type)
                self.add("tabellen", "geändert", tid, before, after, "Typ")
            self.changed("tabellen", tid, "teilweise" if a.partial else "vollständig",
                         "teilweise" if b.partial else "vollständig", "Abdeckung")
            self.changed("tabellen", tid, _quoted(a.assumptions), _quoted(b.assumptions), "Annahme")
            self.changed("tabellen", tid, _quoted(a.sources), _quoted(b.sources), "Quelle")
            rows_a = {tuple(row.keys): row for row in a.rows}
            rows_b = {tuple(row.keys): row for row in b.rows}
            for key in [k for k in rows_b if k not in rows_a]:
                self.add("tabellen", "hinzugefügt", _row(tid, key), new=self._quantity(rows_b[key].value, b.value_type),
                         note=b.title)
            for key in [k for k in rows_a if k not in rows_b]:
                self.add("tabellen", "entfernt", _row(tid, key), old=self._quantity(rows_a[key].value, a.value_type),
                         note=a.title)
            for key in [k for k in rows_a if k in rows_b]:
                row_a, row_b = rows_a[key], rows_b[key]
                if _same_value(row_a.value, row_b.value):
                    continue
                self.add("tabellen", "geändert", _row(tid, key),
                         *_side_by_side(row_a.value, a.value_type, row_b.value, b.value_type, self.figures),
                         b.title)
            for key in [k for k in rows_a if k in rows_b]:
                self.changed("tabellen", _row(tid, key), _quoted(rows_a[key].assumptions),
                             _quoted(rows_b[key].assumptions), "Annahme")

    # ---- parameters and inputs ----

    def parameters(self) -> None:
        old, new = self.old.parameters, self.new.parameters
        for pid in [p for p in new if p not in old]:
            spec = new[pid]
            self.add("parameter", "hinzugefügt", pid, new=self._quantity(spec.default, spec.type), note=spec.doc)
        for pid in [p for p in old if p not in new]:
            spec = old[pid]
            self.add("parameter", "entfernt", pid, old=self._quantity(spec.default, spec.type), note=spec.doc)
        for pid in [p for p in old if p in new]:
            a, b = old[pid], new[pid]
            if _type_key(a.type) != _type_key(b.type):
                self.add("parameter", "geändert", pid, self._type(a.type), self._type(b.type), "Typ")
            if not _same_value(a.default, b.default) or str(a.type.unit) != str(b.type.unit):
                self.add("parameter", "geändert", pid,
                         *_side_by_side(a.default, a.type, b.default, b.type, self.figures), b.doc or a.doc)
            self.changed("parameter", pid, _quoted(a.assumptions), _quoted(b.assumptions), "Annahme")
            self.changed("parameter", pid, _quoted(a.sources), _quoted(b.sources), "Quelle")
            # a period's assumption and source, of a period both versions have (a period added or
            # moved is a change of the values per period: validity)
            periods_b = {period.valid_from: period for period in b.periods}
            for period in a.periods:
                later = periods_b.get(period.valid_from)
                if later is not None:
                    self.changed("parameter", f"{pid} ab {format_value(period.valid_from)}",
                                 _quoted(period.assumptions), _quoted(later.assumptions), "Annahme")
                    self.changed("parameter", f"{pid} ab {format_value(period.valid_from)}",
                                 _quoted(period.sources), _quoted(later.sources), "Quelle")

    def inputs(self) -> None:
        old, new = _inputs(self.old), _inputs(self.new)
        for iid in [i for i in new if i not in old]:
            spec = new[iid]
            self.add("eingaben", "hinzugefügt", _place(spec.scope, spec.key),
                     new=self._type(spec.type) + ("" if spec.required else " (optional)"))
        for iid in [i for i in old if i not in new]:
            spec = old[iid]
            self.add("eingaben", "entfernt", _place(spec.scope, spec.key), old=self._type(spec.type))
        for iid in [i for i in old if i in new]:
            a, b = old[iid], new[iid]
            where = _place(a.scope, a.key)
            if _type_key(a.type) != _type_key(b.type):
                self.add("eingaben", "geändert", where, self._type(a.type), self._type(b.type), "Typ")
            default_a, default_b = _side_by_side(a.default, a.type, b.default, b.type, self.figures)
            req_a = "Pflichtangabe" if a.required else f"Standard {default_a}"
            req_b = "Pflichtangabe" if b.required else f"Standard {default_b}"
            if a.required != b.required or not a.required and not _same_value(a.default, b.default):
                self.add("eingaben", "geändert", where, req_a, req_b)

    def _type(self, vtype: c.ValueType) -> str:
        return _type_text(vtype, self.figures)

    def _quantity(self, value: Any, vtype: c.ValueType) -> str:
        return self.figures.quantity(value, vtype, given=True)

    def lists(self) -> None:
        """Lists of the case added or removed, and changes of how many elements they take."""
        old = {s.id: s for s in self.old.scopes.values() if s.id}
        new = {s.id: s for s in self.new.scopes.values() if s.id}
        for sid in [i for i in new if i not in old]:
            spec = new[sid]
            self.add("eingaben", "hinzugefügt", _list_place(spec), new=f"Liste, {_count_text(spec)}")
        for sid in [i for i in old if i not in new]:
            spec = old[sid]
            self.add("eingaben", "entfernt", _list_place(spec), old=f"Liste, {_count_text(spec)}")
        for sid in [i for i in old if i in new]:
            a, b = old[sid], new[sid]
            if (a.min_count, a.max_count) != (b.min_count, b.max_count):
                self.add("eingaben", "geändert", _list_place(b), _count_text(a), _count_text(b), "Anzahl der Einträge")

    # ---- values, rounding, checks ----

    def values(self) -> None:
        old, new = self.old.nodes, self.new.nodes
        kinds = (c.NodeKind.WERT, c.NodeKind.STUFE)
        for nid in [n for n in new if n not in old and new[n].kind == c.NodeKind.WERT]:
            node = new[nid]
            self.add("werte", "hinzugefügt", _place(node.scope, node.key), new=node.type.describe(), note=node.doc)
        for nid in [n for n in old if n not in new and old[n].kind == c.NodeKind.WERT]:
            node = old[nid]
            self.add("werte", "entfernt", _place(node.scope, node.key), old=node.type.describe(), note=node.doc)
        for nid in [n for n in old if n in new and old[n].kind in kinds and new[n].kind in kinds]:
            a, b = old[nid], new[nid]
            where = _place(a.scope, a.key)
            if isinstance(a, c.CorridorLevelNode) or isinstance(b, c.CorridorLevelNode):
                continue
            if str(a.type.unit) != str(b.type.unit) or a.type.kind != b.type.kind:
                self.add("werte", "geändert", where, a.type.describe(), b.type.describe(), "Typ")
            if not ir_equal(a.expr, b.expr, ignore_rounding=True):
                self.changes.append(Change("werte", "geändert", where, _source(a), _source(b), "Formel", formula=True))
            rounding_a, rounding_b = roundings(a.expr), roundings(b.expr)
            if rounding_a != rounding_b:
                self.add("rundung", "geändert", where, _rounding_text(rounding_a), _rounding_text(rounding_b))

    def checks(self) -> None:
        def collect(model: c.CheckedModel) -> dict[tuple[str, str | None, c.NodeKind, str | None, int], c.CheckNode]:
            # checks of one message in one place are told apart by their order (the second of
            # two alike is a check added, not the first one changed)
            found: dict[tuple[str, str | None, c.NodeKind, str | None, int], c.CheckNode] = {}
            seen: dict[tuple[str, str | None, c.NodeKind, str | None], int] = {}
            for n in model.nodes.values():  # (in the order of the rule file)
                if isinstance(n, c.CheckNode):
                    alike = (n.scope, n.package, n.kind, n.label)
                    found[(*alike, seen.get(alike, 0))] = n
                    seen[alike] = seen.get(alike, 0) + 1
            return found

        old, new = collect(self.old), collect(self.new)
        for key in [k for k in new if k not in old]:
            node = new[key]
            self.add("prüfungen", "hinzugefügt", f"{node.kind} in {_scope_text(node)}", new=f"„{node.label}“")
        for key in [k for k in old if k not in new]:
            node = old[key]
            self.add("prüfungen", "entfernt", f"{node.kind} in {_scope_text(node)}", old=f"„{node.label}“")
        for key in [k for k in old if k in new]:
            a, b = old[key], new[key]
            if not ir_equal(a.expr, b.expr):
                self.changes.append(Change("prüfungen", "geändert", f"{a.kind} „{a.label}“", _condition(a),
                                           _condition(b), "Bedingung", formula=True))

    def properties(self) -> None:
        """``eigenschaft``: what ``teilhabe-rules test`` proves of every case, matched by title (the
        second of two alike by order, as checks) and compared by its condition or monotonicity."""
        def collect(model: c.CheckedModel) -> dict[tuple[str, int], c.PropertySpec]:
            found: dict[tuple[str, int], c.PropertySpec] = {}
            seen: dict[str, int] = {}
            for prop in model.properties:
                found[(prop.title, seen.get(prop.title, 0))] = prop
                seen[prop.title] = seen.get(prop.title, 0) + 1
            return found

        old, new = collect(self.old), collect(self.new)
        for key in [k for k in new if k not in old]:
            self.changes.append(Change("eigenschaften", "hinzugefügt", f"eigenschaft „{key[0]}“",
                                       new=_property_text(new[key]), formula=True))
        for key in [k for k in old if k not in new]:
            self.changes.append(Change("eigenschaften", "entfernt", f"eigenschaft „{key[0]}“",
                                       old=_property_text(old[key]), formula=True))
        for key in [k for k in old if k in new]:
            a, b = old[key], new[key]
            same = (a.direction, a.target, a.by) == (b.direction, b.target, b.by) and (
                ir_equal(a.expr, b.expr) if a.expr is not None and b.expr is not None else a.expr is b.expr)
            if not same:
                self.changes.append(Change("eigenschaften", "geändert", f"eigenschaft „{key[0]}“", _property_text(a),
                                           _property_text(b), "Bedingung", formula=True))

    def descriptions(self) -> None:
        """The texts that document a declaration both versions have — its description or title —
        apart from the figures (a declaration added or removed shows its text where it is listed)."""
        def text(subject: str, old: str | None, new: str | None, note: str) -> None:
            if (old or None) != (new or None):
                self.add("beschreibungen", "geändert", subject, _quoted_text(old), _quoted_text(new), note)

        for name in [n for n in self.old.enums if n in self.new.enums]:
            enum_a, enum_b = self.old.enums[name], self.new.enums[name]
            text(f"Aufzählung {name}", enum_a.title, enum_b.title, "Titel")
            members = {m.key: m for m in enum_b.members}
            for member in enum_a.members:
                if member.key in members:
                    text(f"Aufzählung {name}.{member.key}", member.description, members[member.key].description,
                         "Beschreibung")
        for tid in [t for t in self.old.tables if t in self.new.tables]:
            table_a, table_b = self.old.tables[tid], self.new.tables[tid]
            text(f"Tabelle {tid}", table_a.title, table_b.title, "Titel")
            rows = {tuple(row.keys): row for row in table_b.rows}
            for row in table_a.rows:
                if tuple(row.keys) in rows:
                    text(f"Tabelle {_row(tid, tuple(row.keys))}", row.doc, rows[tuple(row.keys)].doc, "Beschreibung")
        for pid in [p for p in self.old.parameters if p in self.new.parameters]:
            text(f"Parameter {pid}", self.old.parameters[pid].doc, self.new.parameters[pid].doc, "Beschreibung")
        lists_old = {s.id: s for s in self.old.scopes.values() if s.id}
        lists_new = {s.id: s for s in self.new.scopes.values() if s.id}
        for sid in [i for i in lists_old if i in lists_new]:
            text(f"Liste {_list_place(lists_old[sid])}", lists_old[sid].title, lists_new[sid].title, "Titel")
        inputs_old, inputs_new = _inputs(self.old), _inputs(self.new)
        for iid in [i for i in inputs_old if i in inputs_new]:
            spec = inputs_old[iid]
            text(f"Eingabe {_place(spec.scope, spec.key)}", spec.label, inputs_new[iid].label, "Beschreibung")
        for nid in [n for n in self.old.nodes if n in self.new.nodes]:
            node_a, node_b = self.old.nodes[nid], self.new.nodes[nid]
            if node_a.kind == node_b.kind == c.NodeKind.WERT:
                text(f"Wert {_place(node_a.scope, node_a.key)}", node_a.doc, node_b.doc, "Beschreibung")


def _inputs(model: c.CheckedModel) -> dict[str, c.InputSpec]:
    """The inputs of a model that a diff compares, by id."""
    out = {}
    for scope in model.scopes.values():
        for spec in scope.inputs:
            if spec.key.rsplit(".", 1)[-1] in ("bewilligte_stufe", "begründung", "berechnete_stufe"):
                continue  # follow the packages' levels, reported there
            out[spec.id] = spec
    return out


def _quoted_text(text: str | None) -> str:
    return f"„{text}“" if text else "—"


def _property_text(prop: c.PropertySpec) -> str:
    """An ``eigenschaft`` as written after its title: its condition, or ``steigend A mit B``."""
    if prop.expr is not None:
        return " ".join(toolkit.render(prop.expr).split())
    return f"{prop.direction} {format_path(prop.target or ())} mit {format_path(prop.by or ())}"


def _list_place(scope: c.ScopeSpec) -> str:
    """``zeitabschnitte`` + list ``massnahmen`` → ``zeitabschnitte[].massnahmen[]``."""
    return _place(scope.parent or "", scope.name) + "[]"


def _count_text(scope: c.ScopeSpec) -> str:
    """``mindestens 1, höchstens 30`` (what a case's list may hold)."""
    parts = [f"mindestens {scope.min_count}" if scope.min_count is not None else "",
             f"höchstens {scope.max_count}" if scope.max_count is not None else ""]
    return ", ".join(p for p in parts if p) or "beliebig viele Einträge"


def _rows_text(table: c.TableSpec) -> str:
    """``12 Zeilen``, ``1 Zeile``."""
    return counted(len(table.rows), "Zeile", "Zeilen")


def _rule_text(rule: str | None) -> str:
    texts = {
        "korridor": "nach Korridor",
        "ausdruck": "nach Ausdruck",
        "einschätzung": "nach Einschätzung",
        None: "ohne Stufen",
    }
    return texts.get(rule, str(rule))


def _row(tid: str, key: tuple[Any, ...]) -> str:
    return f"{tid}[{', '.join(format_value(k) for k in key)}]"


def _number(value: Any, vtype: c.ValueType | None) -> Decimal | None:
    """The number a value of a ``zahl`` shows (a percentage in percent), else None."""
    if type(value) is not Decimal or vtype is None or vtype.kind != c.TypeKind.ZAHL:
        return None
    return value.scaleb(2) if vtype.unit.percent else value


def _places(value: Any, vtype: c.ValueType | None) -> int:
    """How many decimal places :func:`quantity_text` shows of a value (``70.10``: 2, ``45.00``: 0)."""
    number = _number(value, vtype)
    if number is None or number == number.to_integral_value():
        return 0
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 0


def _number_text(value: Any, vtype: c.ValueType | None, places: int, figures: Figures) -> str:
    """A value as ``figures`` shows it as given, a number with at least ``places`` decimal places
    (zeros added, never rounded)."""
    number = _number(value, vtype)
    if number is None or _places(value, vtype) >= places:
        return figures.value(value, vtype, given=True)
    with decimal.localcontext() as exact:  # (zeros only: as many digits as that takes, whatever the size)
        exact.prec = max(exact.prec, number.adjusted() + places + 2)
        padded = number.quantize(Decimal(1).scaleb(-places))
    if figures.german:
        return german_number(padded, (places, places), grouped=groups_thousands(padded, vtype))
    return decimal_text(padded)


def _quantity(value: Any, vtype: c.ValueType, places: int, figures: Figures) -> str:
    """A value with its unit as ``figures`` shows it as given, a number with at least ``places``
    decimal places."""
    if _number(value, vtype) is None or _places(value, vtype) >= places:
        return figures.quantity(value, vtype, given=True)
    text = _number_text(value, vtype, places, figures)
    unit = vtype.unit.text_after(text) if vtype.kind is c.TypeKind.ZAHL else ""
    return f"{text} %" if unit == "%" else f"{text} {unit}".strip()


def _side_by_side(old: Any, old_type: c.ValueType, new: Any, new_type: c.ValueType,
                  figures: Figures) -> tuple[str, str]:
    """An old and a new value with as many decimal places each (``45.00 EUR/h → 45.50 EUR/h``, not
    ``45 EUR/h → 45.50 EUR/h``: a whole number alone is shown without its zeros)."""
    places = max(_places(old, old_type), _places(new, new_type))
    return _quantity(old, old_type, places, figures), _quantity(new, new_type, places, figures)


def _same_value(a: Any, b: Any) -> bool:
    if (
        isinstance(a, (Decimal, int))
        and isinstance(b, (Decimal, int))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return Fraction(a) == Fraction(b)
    return bool(type(a) is type(b) and a == b)


def _value_of(expr: c.Expr, model: c.CheckedModel) -> Any:
    """The number a corridor bound stands for: a constant, or a parameter's value (a bound
    computed from them is shown by its formula)."""
    if not isinstance(expr, (c.Const, c.Ref)):
        return None
    return toolkit.const_value(expr, toolkit.parameter_values({pid: p.default for pid, p in model.parameters.items()}))


def _bands_by_level(bands: Iterable[c.BandSpec]) -> dict[int, list[c.BandSpec]]:
    """A corridor's bands by their level (a level may have several), each level's in the
    corridor's order."""
    out: dict[int, list[c.BandSpec]] = {}
    for band in bands:
        out.setdefault(band.level, []).append(band)
    return out


def _symbolic(expr: c.Expr | None) -> str:
    """A short readable form of an expression (names, not values)."""
    return toolkit.render(expr) if expr is not None else "—"


def _source(node: c.Node) -> str:
    """The rule as written, on one line (from the checked model, not re-read), whole."""
    return " ".join((node.source or "").split())


def _condition(node: c.Node) -> str:
    """A check's condition (from the checked model: not cut from its line, where a message may
    hold a colon)."""
    return " ".join(toolkit.render(node.expr).split()) if isinstance(node, c.CheckNode) else _source(node)


def _beginning(text: str | None) -> str | None:
    """A rule text of one side (added, removed): its first :data:`WIDTH` characters."""
    return text if text is None or len(text) <= WIDTH else text[:WIDTH] + "…"


def told_apart(old: str, new: str, width: int = WIDTH) -> tuple[str, str]:
    """``old`` and ``new`` each at most ``width`` characters (and a „…“ where cut), cut alike so
    that both show where they first differ: a third of ``width`` before it, the rest after it,
    begun and ended at a space where one is near. A long formula changed near its end is not shown
    as two equal beginnings; two texts that differ are always shown differently."""
    if len(old) <= width and len(new) <= width:
        return old, new
    first = next((i for i, (x, y) in enumerate(zip(old, new, strict=False)) if x != y), min(len(old), len(new)))
    start = max(0, first - width // 3)
    if start:
        # (the texts are alike before ``first``: a space there is a space in both)
        space = old.find(" ", start, max(start, first - 12))
        if space >= 0:
            start = space + 1

    def cut(text: str) -> str:
        end = start + width
        if end < len(text):
            space = text.rfind(" ", first + width // 3, end)
            if space > first:
                end = space
        shown = text[start:end]
        return ("…" if start else "") + shown + ("…" if end < len(text) else "")

    return cut(old), cut(new)


def _scope_text(node: c.Node) -> str:
    where = _place(node.scope, node.package or "").rstrip(".")
    return where or "Modell"
