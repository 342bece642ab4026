"""The budget comparison of a population under two model versions, or of two values of one model.

Takes: an old and a new :class:`~teilhabe_rules.model.Model`, a population of cases — a
directory of TOML (or JSON) case files, a JSON Lines file, a CSV file, an Excel workbook or a
Parquet file, read by :class:`~teilhabe_rules.inputs.population.Population` (re-exported here) —
and optionally an agreement per version and a reference date per version. Gives: per case one
output row of deltas (CSV, German CSV, JSON Lines, XLSX or Parquet: :mod:`.export`) and a
:class:`Summary`, which says how the population was read and which budget figure it sums.

Two backends (``backend=``, ``--backend``; by default the columnar one for the summary of a JSON
Lines file, the scalar one otherwise: :func:`default_backend`). The columnar one (``"spalten"``,
:mod:`teilhabe_rules.columnar`, docs/batch.md) evaluates the whole population under each version at
once — a JSON Lines file checked and staged by DuckDB, once for both versions where they have the
same inputs — keeps of each case only its budget and levels and tallies the summary in SQL
(:class:`_ColumnarRun`): the same figures as the scalar path, with no record per case; where it
cannot promise the same output the scalar path runs, with a one-line note (:func:`compare`). The
scalar path streams: cases are read, evaluated under both versions and written one at a time; what
is kept is the summary — counts, sums, the ten largest changes and each case's budget difference (a
Decimal) for the exact quartiles.

A case that fails under either version becomes an error row with its message; nothing is dropped:
``ausgewertet + fehler`` is the number of the population's rows (cases). A line that cannot be
a case — not UTF-8, a NUL byte, invalid JSON or CSV, too deep, too long — is one error row and
reading goes on (:mod:`teilhabe_rules.inputs.population`). List elements a row gives as file names
(``"bewohner": ["b1.json"]``) are read relative to the population's folder (a directory
population: the directory).

Output files are complete or absent: rows go to ``<out>.unvollständig`` and are renamed when all
are written (:mod:`teilhabe_rules.atomic`; XLSX and Parquet are written from those rows when all
are there); a state file next to them lets an interrupted run be resumed (``compare(…,
resume=True)``, ``--fortsetzen``) with the same output and summary as an uninterrupted one
(:class:`_RowFile`).

What is compared per case (:func:`fields`):

- the level of every package with levels in both versions (``bewohner[].lp2a.stufe``; a value in
  a list is given for every element, in CSV joined with ``;``);
- the budget: the value the models name in their header (``budget PFAD``) — on a population
  whose cases have one element each of the list of a second header line ``budget LISTE.WERT``,
  that element's own figure (:func:`element_budget`, :func:`one_element_each`) — or ``budget=…``;
- values: by default every value on the model's top level (outside packages) with the same name
  and unit in both versions whose unit counts hours, staff (VK) or money; ``values="alle"``: every
  numeric value with the same name and unit, in packages and lists too; or a list of names.

Two values of one model (``compare(model, None, cases, figures=("budgetvergleich_alt",
"budgetvergleich_neu"))``, ``compare MODELL FÄLLE --alt FIGUR --neu FIGUR``): each case is
evaluated once; the first value is the old budget, the second the new one (:func:`figure_field`:
numbers on the model's top level with the same unit). Rows and summary have the shape of the
comparison of two versions; levels are not compared (one evaluation has one level per package).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as _dt
import decimal
import errno
import functools
import hashlib
import heapq
import io
import itertools
import json
import math
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TextIO, cast

import attrs

from ..atomic import AtomicFile, open_partial, partial_path, write_atomic
from ..backends import backend_name as batch_backend_name
from ..duck import connect, listed_table, out_of_memory
from ..errors import CaseError, CheckError, Diagnostic, Location, TeilhabeError, ValidityError, counted, did_you_mean
from ..files import READ_WITHOUT_BLOCKING, links_out, same_file, write_problem
from ..inputs.cases import MAX_NESTING, CaseLoader, read_data, reference_day
from ..inputs.population import (
    MAX_LINE,
    NO_BOUNDS,
    JsonLineError,
    LineTooLong,
    Population,
    PopulationProperties,
    PopulationRow,
    byte_lines,
    case_files,
    count_rows,
    decode_json,
    each_one_element,
    elements_one,
    line_numbers,
    read_population,
    unreadable,
)
from ..ir import checked as c
from ..ir.checked import NodeKind, TypeKind
from ..ir.text import decimal_text, format_value, group_digits
from ..limits import list_limit
from ..model import Model
from ..paths import file_path
from ..runtime.frame import Frame
from ..version import __version__
from .export import Column, Sheet, csv_cell, format_of, write_table, write_tables
from .progress import ProgressBar, is_terminal

__all__ = ["MAX_LINE", "Field", "JsonLineError", "Population", "PopulationRow", "default_backend",
           "Summary", "compare", "decode_json", "fields", "figure_field", "read_population", "state_path"]

_LIST_SEPARATOR = "; "
_CHUNK = 1 << 20  # bytes hashed at a time
_CENT = Decimal("0.01")
_EXACT = decimal.Context(prec=100)  # sums and differences of the summary: exact for any population
_Ids = Callable[[Sequence[int]], list[str]]  # the ids of cases by their 0-based numbers


# ---- what is compared ------------------------------------------------------------------------


@attrs.frozen
class Field:
    """A compared figure: a package's level, the budget or a value. ``scope`` is the list scope
    it lies in ("" for the model's top level); ``key`` its row key."""

    name: str  # as shown: budget_jahr, bewohner[].lp2a.stufe
    kind: str  # stufe, budget, wert
    scope: str
    key: str
    unit: str
    type: c.ValueType = attrs.field(eq=False, repr=False)


_COUNTED = ("h", "VK", "EUR")


def _place(scope: str, key: str) -> str:
    return "".join(f"{part}[]." for part in scope.split(".") if part) + key if scope else key


def fields(old: Model, new: Model, values: str | Sequence[str] | None = None, budget: str | None = None,
           per_element: bool = False) -> list[Field]:
    """The figures compared for two versions: levels, the budget, and ``values``.

    ``values``: None (top-level hours, VK and money outside packages), ``"alle"`` (every numeric
    value with the same name and unit, in packages and lists too), ``"keine"``, or names
    (``bewohner[].tagessatz``). ``per_element``: the budget is the element budget both models
    declare (``budget bewohner.jahresbetrag``, :func:`element_budget`), summed over the case's
    elements — for a population of cases with one element each."""
    a, b = old.checked, new.checked
    out: list[Field] = []
    for pid, pkg in a.packages.items():
        other = b.packages.get(pid)
        if pkg.level_type is None or other is None or other.level_type is None:
            continue
        node = b.nodes[f"{pid}.stufe"]
        out.append(
            Field(_place(pkg.scope, f"{pkg.name}.stufe"), "stufe", pkg.scope, f"{pkg.name}.stufe", "", node.type)
        )
    key = budget or ".".join(a.info.budget or ()) or None
    key_new = budget or ".".join(b.info.budget or ()) or None
    if key is None or key_new is None:
        missing = a.info if key is None else b.info
        raise CheckError(Diagnostic(f"Das Modell „{missing.name}“ nennt kein Budget", Location(missing.file, 1, 1),
                                    hint="ergänze im Modellkopf „budget PFAD“ "
                                         "(den Wert, der das Gesamtbudget eines Falls ist) "
                                         "oder gib --budget PFAD an", code="budget"))
    if key != key_new:
        raise CheckError(Diagnostic(f"Die Versionen nennen verschiedene Budgets: „{key}“ und „{key_new}“",
                                    code="budget",
                                    hint="gib mit --budget PFAD den Wert an, der in beiden das Gesamtbudget ist"))
    node_a, node_b = _root_value(a, key), _root_value(b, key)
    if node_a is None or node_b is None:
        missing = a.info if node_a is None else b.info
        model = a if node_a is None else b
        numbers = [n.key for n in model.nodes.values()
                   if n.scope == "" and n.kind == c.NodeKind.WERT and n.type.kind == c.TypeKind.ZAHL]
        hint = did_you_mean(key, numbers) or ("Zahlen auf oberster Ebene: " + ", ".join(numbers[:12])
                                               + (" …" if len(numbers) > 12 else "") if numbers else None)
        # (a --budget given is no place of the model file; the head's „budget“ is)
        raise CheckError(Diagnostic(f"Das Budget „{key}“ ist kein Wert auf oberster Ebene von „{missing.name}“",
                                    None if budget is not None else Location(missing.file, 1, 1), code="budget",
                                    hint=hint))
    if str(node_a.type.unit) != str(node_b.type.unit):
        raise CheckError(Diagnostic(
            f"Das Budget „{key}“ hat verschiedene Einheiten: {node_a.type.unit} und {node_b.type.unit}", code="budget"
        ))
    out.append(Field(key, "budget", "", key, str(node_a.type.unit), node_a.type))
    taken = {key}
    element = element_budget(old, new) if per_element and budget is None else None
    if element is not None:
        listed, value_key = element
        node = a.nodes[f"{listed}.{value_key}"]
        out[-1] = Field(_place(listed, value_key), "budget", listed, value_key, str(node.type.unit), node.type)
        taken = {out[-1].name}
    candidates = _numeric(a, b)
    if values is None:
        chosen = [
            f for f in candidates
            if f.scope == "" and "." not in f.key and any(atom in _atoms(f.unit) for atom in _COUNTED)
        ]
    elif isinstance(values, str) and values in ("alle", "all"):
        chosen = candidates
    elif isinstance(values, str) and values in ("keine", "none", ""):
        chosen = []
    else:
        names = [v.strip() for v in (values.split(",") if isinstance(values, str) else values) if v.strip()]
        by_name = {f.name: f for f in candidates}
        chosen = []
        for name in names:
            if name not in by_name:
                raise CheckError(Diagnostic(
                    f"„{name}“ ist kein Wert, den beide Versionen mit derselben Einheit haben", code="werte",
                    hint=did_you_mean(name, by_name) or "Werte in Listen heißen z. B. bewohner[].tagessatz",
                ))
            chosen.append(by_name[name])
    out.extend(f for f in chosen if f.name not in taken)
    return out


FIGURE = "budget"  # the name of the compared pair of values in rows and summary
_TOP_LEVEL = "verglichen werden berechnete Zahlenwerte der obersten Ebene des Modells"


def figure_field(model: Model, old: str, new: str,
                 labels: tuple[str, str] = ("alt", "neu")) -> Field:
    """The compared figure of a comparison of two values of one model: ``old`` and ``new`` name
    numeric values on the model's top level (``budgetvergleich_alt``, ``nacht.vk``) with the same
    unit. A name that is no such value, or two units that differ, is a CheckError (code
    ``figur``) whose message starts with the side's label (``labels``: ``--alt``/``--neu`` on the
    command line) and whose hint is a did-you-mean where one fits."""
    checked = model.checked
    numbers = [key for key, node in checked.nodes.items() if _figure(node)]
    found = [_figure_node(model, name, label, numbers)
             for name, label in zip((old, new), labels, strict=True)]
    unit_old, unit_new = (str(node.type.unit) for node in found)
    if unit_old != unit_new:
        same_unit = [key for key in numbers
                     if str(checked.nodes[key].type.unit) == unit_old and key != old]
        raise CheckError(Diagnostic(
            f"{labels[0]} „{old}“ ({unit_old or 'ohne Einheit'}) und {labels[1]} „{new}“ "
            f"({unit_new or 'ohne Einheit'}) haben verschiedene Einheiten", code="figur",
            hint=did_you_mean(new, same_unit) or "verglichen werden zwei Werte derselben Einheit"))
    same = _figure_ids(model, old, new)
    if same[0] == same[1]:
        raise CheckError(Diagnostic(
            f"{labels[0]} und {labels[1]} nennen beide „{old}“", code="figur",
            hint="verglichen werden zwei verschiedene Werte des Modells"))
    return Field(FIGURE, "budget", "", FIGURE, unit_old, found[0].type)


def _figure_ids(model: Model, old: str, new: str) -> tuple[str, str]:
    """The node ids of the two values :func:`figure_field` accepted (a name may be written
    ``liste[].wert`` or, on the top level, with a stray ``[]``)."""
    nodes = model.checked.nodes
    ids = tuple(name if name in nodes else name.replace("[]", "") for name in (old, new))
    return ids[0], ids[1]


def _figure(node: c.Node) -> bool:
    return node.scope == "" and node.kind == NodeKind.WERT and node.type.kind == TypeKind.ZAHL


def _figure_node(model: Model, name: str, label: str, numbers: list[str]) -> c.Node:
    """The node of the value ``name`` (also written ``liste[].wert``), or why it is none."""
    checked = model.checked
    node = checked.nodes.get(name) or checked.nodes.get(name.replace("[]", ""))
    if node is not None and _figure(node):
        return node
    where = f"„{model.name}“"
    if node is not None and node.scope:
        listed = "[].".join(node.scope.split("."))
        message = (f"{label}: „{name}“ liegt in der Liste „{listed}“ von {where} (ein Wert je "
                   "Element); verglichen werden Werte der obersten Ebene")
        hint = "eine Summe über die Liste als eigener Wert des Modells lässt sich vergleichen"
    elif node is not None and node.kind in (NodeKind.WERT, NodeKind.STUFE, NodeKind.BEWILLIGT):
        kind = "eine Stufe" if node.kind != NodeKind.WERT else f"vom Typ {node.type.kind}"
        message = f"{label}: „{name}“ ist kein Zahlenwert von {where}, sondern {kind}"
        hint = "verglichen werden Zahlenwerte wie Beträge, Stunden oder VK"
    elif name in checked.parameters:
        message = f"{label}: „{name}“ ist ein Parameter von {where}, kein Wert eines Falls"
        hint = _TOP_LEVEL
    elif any(spec.key == name for spec in checked.scopes[""].inputs):
        message = f"{label}: „{name}“ ist eine Eingabe von {where}, kein berechneter Wert"
        hint = _TOP_LEVEL
    else:
        message = f"{label}: „{name}“ ist kein Wert von {where}"
        hint = did_you_mean(name, numbers) or _TOP_LEVEL
    raise CheckError(Diagnostic(message, code="figur", hint=hint))


def _atoms(unit: str) -> set[str]:
    return {part for part in unit.replace("/", " ").split()}


def _root_value(model: c.CheckedModel, key: str) -> c.Node | None:
    node = model.nodes.get(key)
    if node is not None and node.scope == "" and node.kind == NodeKind.WERT and node.type.kind == TypeKind.ZAHL:
        return node
    return None


def _numeric(a: c.CheckedModel, b: c.CheckedModel) -> list[Field]:
    out = []
    for nid in a.order:
        node = a.nodes[nid]
        other = b.nodes.get(nid)
        if (
            node.kind != NodeKind.WERT
            or node.type.kind != TypeKind.ZAHL
            or other is None
            or other.kind != NodeKind.WERT
            or other.type.kind != TypeKind.ZAHL
        ):
            continue
        if str(node.type.unit) != str(other.type.unit):
            continue
        out.append(Field(_place(node.scope, node.key), "wert", node.scope, node.key, str(node.type.unit), node.type))
    return out


# ---- the comparison ---------------------------------------------------------------------------


@attrs.define
class _Level:
    cases: int = 0
    up: int = 0
    down: int = 0
    elements: int = 0


@attrs.define
class Summary:
    """What a comparison found. Sums and quartiles are exact."""

    old: c.ModelInfo
    new: c.ModelInfo
    population: str
    budget: Field
    rows: int = 0  # the population's rows (cases): evaluated + errors
    evaluated: int = 0
    errors: int = 0
    errors_old: int = 0
    errors_new: int = 0
    levels: dict[str, _Level] = attrs.Factory(dict)
    total_old: Decimal = Decimal(0)
    total_new: Decimal = Decimal(0)
    increased: int = 0
    decreased: int = 0
    unchanged: int = 0
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    quartiles: tuple[Decimal, Decimal, Decimal] | None = None
    largest: list[tuple[Decimal, int, str, Decimal, Decimal]] = attrs.Factory(list)
    seconds: float = 0.0
    empty: int = 0  # empty lines of the population file (no rows)
    resumed: int = 0  # rows taken over from an interrupted run (``resume``)
    # two values of one model: their names and labels (old, new); None for two versions
    figures: tuple[str, str] | None = None
    figure_labels: tuple[str | None, str | None] = (None, None)
    reading: PopulationProperties | None = None  # how the population was read
    # which figure is summed: modellkopf (the case's budget), element (the one element's own
    # budget, on a population of one element per case), angegeben (budget=…), figuren
    basis: str = "figuren"
    # where the whole case's budget is summed though the models declare an element budget and
    # some cases have one element: the cases that have another number (named in the summary)
    other_elements: OtherElements | None = None
    case_budget: str | None = None  # the case's budget of the model header (for the hint)
    # how the rows were evaluated (not part of the summary's figures): ``spalten`` (the columnar
    # backend) or ``skalar``, and one line each on why a case or the whole run took the scalar path
    backend: str = "skalar"
    notes: list[str] = attrs.Factory(list)

    @property
    def difference(self) -> Decimal:
        return _EXACT.subtract(self.total_new, self.total_old)

    def to_dict(self) -> dict[str, Any]:
        unit = self.budget.unit
        money = _money if "EUR" in unit else _plain
        sides: dict[str, Any] = {
            "alt": {"modell": self.old.name, "version": self.old.version, "datei": self.old.file},
            "neu": {"modell": self.new.name, "version": self.new.version, "datei": self.new.file},
        }
        if self.figures is not None:  # two values of one model: each side names its value
            named = zip(("alt", "neu"), self.figures, self.figure_labels, strict=True)
            for side, name, label in named:
                sides[side].update({"wert": name, "bezeichnung": label})
            sides["stufen_verglichen"] = False
        return {
            **sides,
            "population": self.population,
            "eingabe": self.reading.to_dict() if self.reading is not None else None,
            "fälle": self.rows,
            "ausgewertet": self.evaluated,
            "fehler": self.errors,
            "fehler_alt": self.errors_old,
            "fehler_neu": self.errors_new,
            "leere_zeilen": self.empty,
            "stufenwechsel": {name: {"fälle": lv.cases, "höher": lv.up, "niedriger": lv.down, "elemente": lv.elements}
                              for name, lv in self.levels.items()},
            "budget": {"wert": self.budget.name, "grundlage": self.basis, "einheit": unit,
                       "nicht_ein_element": self.other_elements.to_dict() if self.other_elements else None,
                       "alt": money(self.total_old),
                       "neu": money(self.total_new), "differenz": _shown_difference(money, self.total_old,
                                                                                     self.total_new)},
            "verteilung": {
                "einheit": unit,
                "min": money(self.minimum) if self.minimum is not None else None,
                "q1": money(self.quartiles[0]) if self.quartiles else None,
                "median": money(self.quartiles[1]) if self.quartiles else None,
                "q3": money(self.quartiles[2]) if self.quartiles else None,
                "max": money(self.maximum) if self.maximum is not None else None,
                "gestiegen": self.increased,
                "gesunken": self.decreased,
                "unverändert": self.unchanged,
            },
            "größte_änderungen": [
                {"fall": ident, "alt": money(old), "neu": money(new), "differenz": _shown_difference(money, old, new)}
                for _, _, ident, old, new in self.top()
            ],
            "sekunden": round(self.seconds, 3),
        }

    def _basis_text(self) -> str:
        """Which figure was summed, and why (for two versions)."""
        name = self.budget.name
        if self.basis == "element":
            listed = self.budget.scope
            other = f" (das Budget des ganzen Falls: --budget {self.case_budget})" if self.case_budget else ""
            return (f"„{name}“, der eigene Betrag des Elements — jeder Fall der Population hat genau ein "
                    f"Element in „{listed}“{other}")
        if self.basis == "angegeben":
            return f"„{name}“, wie mit --budget angegeben"
        why = (f" — nicht jeder Fall hat genau ein Element in „{self.other_elements.listed}“\n  "
               f"{self.other_elements.text()}" if self.other_elements is not None else "")
        return f"„{name}“, das Budget des ganzen Falls laut Modellkopf{why}"

    def top(self) -> list[tuple[Decimal, int, str, Decimal, Decimal]]:
        """The ten largest changes of the budget by amount, largest first (ties: input order)."""
        return sorted(self.largest, key=lambda item: (-item[0], -item[1]))

    def render_text(self) -> str:
        data = self.to_dict()
        unit = self.budget.unit
        empty = f" · leere Zeilen: {self.empty}" if self.empty else ""
        read = [f"  Eingabe: {self.reading.describe()}"] if self.reading is not None else []
        if self.figures is None:
            lines = [
                f"Budgetvergleich {self.old.named()} → {self.new.named()}",
                f"  Population: {self.population}",
                *read,
                f"  Fälle: {self.rows} · ausgewertet: {self.evaluated} · Fehler: {self.errors}"
                f" (alt {self.errors_old}, neu {self.errors_new})" + empty,
                "",
                f"Budget ({self.budget.name}, {unit}), Summe über die ausgewerteten Fälle",
                f"  summiert: {self._basis_text()}",
            ]
        else:  # one model, named once; one evaluation per case, so one count of errors
            old, new = self.figures
            model = self.old.named()
            lines = [f"Budgetvergleich {model}: {old} → {new}"]
            named = zip(("alt", "neu"), self.figures, self.figure_labels, strict=True)
            lines += [f"  {side}: {name}" + (f" – {label}" if label else "")
                      for side, name, label in named]
            lines += [
                f"  Population: {self.population}",
                *read,
                f"  Fälle: {self.rows} · ausgewertet: {self.evaluated} · Fehler: {self.errors}"
                + empty,
                "",
                f"Budget ({str(unit) or 'ohne Einheit'}), Summe über die ausgewerteten Fälle",
            ]
        lines += [
            f"  alt:       {_grouped(data['budget']['alt'])}",
            f"  neu:       {_grouped(data['budget']['neu'])}",
            f"  Differenz: {_grouped(data['budget']['differenz'], sign=True)}",
            "",
            "Verteilung der Differenz je Fall",
        ]
        dist = data["verteilung"]
        if self.evaluated:
            quantiles = (("Min", "min"), ("Q1", "q1"), ("Median", "median"), ("Q3", "q3"), ("Max", "max"))
            lines.append("  " + " · ".join(f"{label} {_grouped(dist[key], sign=True)}" for label, key in quantiles))
            lines.append(f"  gestiegen: {self.increased} · gesunken: {self.decreased} · unverändert: {self.unchanged}")
        else:
            lines.append("  (kein Fall ausgewertet)")
        if self.figures is None:
            lines += ["", "Stufenwechsel je Paket (Fälle mit geänderter Stufe)"]
        else:
            lines += ["", "Stufenwechsel je Paket"]
        changed = [(name, lv) for name, lv in self.levels.items() if lv.cases]
        if self.figures is not None:
            lines.append("  nicht verglichen: alt und neu sind zwei Werte derselben Auswertung "
                         "desselben Modells")
        elif changed:
            lines.extend(f"  {name}: {counted(lv.cases, 'Fall', 'Fälle')} "
                         f"(höher {lv.up}, niedriger {lv.down})" for name, lv in changed)
        else:
            lines.append("  keine")
        lines += ["", "Größte Änderungen des Budgets"]
        top = data["größte_änderungen"]
        if top:
            lines.extend(
                f"  {item['fall']}: {_grouped(item['alt'])} → {_grouped(item['neu'])}"
                f" ({_grouped(item['differenz'], sign=True)})"
                for item in top
            )
        else:
            lines.append("  keine")
        return "\n".join(lines) + "\n"


def _shown_difference(shown: Callable[[Decimal], str], old: Decimal, new: Decimal) -> str:
    """``new − old`` of two figures as they are shown (each rounded to cents on its own), so that
    the shown old figure and the shown difference give the shown new one — within a cent of the
    exact difference, which a figure the model does not round can be off from."""
    return shown(_EXACT.subtract(Decimal(shown(new)), Decimal(shown(old))))


def _money(value: Decimal) -> str:
    """Cents, rounded half-up (as the models round what they bill), with every digit before the
    decimal point however many there are; a figure that rounds to zero cents is ``0.00``, never
    ``-0.00``."""
    digits = max(value.adjusted() + 4, 28)  # the whole digits, the cents and a carry of the rounding
    cents = value.quantize(_CENT, context=decimal.Context(prec=digits, rounding=decimal.ROUND_HALF_UP))
    return format(cents if cents else cents.copy_abs(), "f")


def _plain(value: Decimal) -> str:
    return format_value(value)


def _grouped(text: str | None, sign: bool = False) -> str:
    """``1234567.5`` → ``1.234.567,50`` (German grouping; text in, text out)."""
    if text is None:
        return "—"
    negative = text.startswith("-")
    digits = text.lstrip("+-")
    whole, _, fraction = digits.partition(".")
    groups = group_digits(whole)
    out = groups + ("," + fraction if fraction else "")
    if negative:
        return "−" + out
    return ("+" + out) if sign and any(ch not in "0.," for ch in out) else out


def compare(
    old: Model,
    new: Model | None,
    population: str | Path,
    *,
    out: str | Path | TextIO | None = None,
    out_format: str | None = None,
    agreement_old: Any = None,
    agreement_new: Any = None,
    at_old: _dt.date | None = None,
    at_new: _dt.date | None = None,
    values: str | Sequence[str] | None = None,
    budget: str | None = None,
    progress: TextIO | None = None,
    resume: bool = False,
    figures: tuple[str, str] | None = None,
    agreement: Any = None,
    at: _dt.date | None = None,
    separator: str | None = None,
    decimal: str | None = None,
    sheet: str | None = None,
    backend: str | None = None,
) -> Summary:
    """Evaluate every case of ``population`` under ``old`` and ``new`` and write per-case deltas
    to ``out`` (``.csv`` or ``.jsonl``, or an open text stream with ``out_format``); returns the
    :class:`Summary`. ``progress``: a stream for a progress bar (shown only on a terminal).

    ``figures=(ALT, NEU)``: compare two values of the one model ``old`` instead (``new`` None or
    ``old`` itself): each case is evaluated once, with ``agreement`` and the reference date
    ``at``, and value ALT is its old budget, NEU its new one (:func:`figure_field`). Rows and
    summary have the same shape, the compared figure is named ``budget``; levels are not
    compared. ``agreement``/``at`` belong to this form, ``agreement_old``/``_new``,
    ``at_old``/``_new``, ``values`` and ``budget`` to the comparison of two versions; a mix is
    a ValueError.

    A file ``out`` is written as ``<out>.unvollständig`` (with its state in
    ``<out>.unvollständig.stand``) and renamed to ``out`` when every row is written. ``resume``:
    go on from the rows of such a partial file left by an interrupted run of the same comparison
    (same models, population, agreements, dates, compared figures and format — else a
    CaseError); without a partial file the comparison starts from the beginning. The summary is
    the same as that of an uninterrupted run; ``Summary.resumed`` says how many rows were taken
    over.

    ``separator``, ``decimal`` and ``sheet`` say how a table is read where detection is not
    wanted (:class:`~teilhabe_rules.inputs.population.Population`); the summary states how the
    population was read (``Summary.reading``).

    ``backend``: ``spalten`` (also ``columnar``) evaluates with the columnar backend
    (:mod:`teilhabe_rules.columnar`, each version's whole population at once; a JSON Lines file is
    checked and staged by DuckDB, once for two versions with the same inputs); ``skalar`` (also
    ``scalar``) one case at a time, streaming. Both give the same summary and the same rows —
    on the columnar backend a row's number has the places of its column in the plan (``0.000000``
    where the scalar arithmetic has ``0``; an unrounded figure with a non-terminating division 18
    places within the plan's error bound), and Parquet rows are written by DuckDB. None (the
    default): ``spalten`` for a JSON Lines or Parquet file without ``resume`` where rows, if any,
    are Parquet (:func:`default_backend`; 100,000 MAWo persons: about a fifth less CPU time than
    the scalar path, but ~1.2 GB of memory against 55 MB), ``skalar`` for rows of text and any other
    population, whose rows the columnar path would stage one by one in Python (slower, and holding
    every case). Where the columnar backend cannot promise the same summary — ``resume``, a
    directory of case files, a model without a plan, a budget that is no amount of money or that
    the plan holds only to 18 places — the comparison runs on the scalar backend and
    ``Summary.notes`` says why in one line (``Summary.backend``: which one ran; the columnar
    backend's own notes, such as how many cases it evaluated with the scalar backend, are there
    too).

    One process: on two cores a second one gained under a tenth (see benchmarks/bench_compare.py),
    not worth its complexity."""
    reading = {"separator": separator, "decimal": decimal, "sheet": sheet}
    at, at_old, at_new = reference_day(at), reference_day(at_old), reference_day(at_new)
    if not isinstance(population, (str, Path)):  # another library's path type, or no path
        named = file_path(population)
        if named is None:
            raise CaseError(Diagnostic(f"Eine Population ist eine Datei oder ein Verzeichnis (ihr Pfad), nicht "
                                       f"{type(population).__name__}", code="population"))
        population = named
    if out is not None and not isinstance(out, (str, Path)):
        out = file_path(out) or out  # (a text stream as it is)
    if isinstance(out, (str, Path)):
        _apart_from_inputs(out, population, (old, new), (agreement_old, agreement_new, agreement))
    _readable_twice(Path(population))
    backend = default_backend(population, out, resume, out_format) if backend is None else backend_name(backend)
    if figures is not None:
        others = {"agreement_old": agreement_old, "agreement_new": agreement_new,
                  "at_old": at_old, "at_new": at_new, "values": values, "budget": budget}
        return _compare_figures(old, new, population, figures, out=out, out_format=out_format,
                                agreement=agreement, at=at, progress=progress, resume=resume,
                                others=others, reading=reading, backend=backend)
    if new is None:
        raise ValueError("compare: new is None only with figures=(ALT, NEU) "
                         "(two values of one model)")
    if agreement is not None or at is not None:
        raise ValueError("compare: agreement and at belong to figures=(…); two versions take "
                         "agreement_old/agreement_new and at_old/at_new")
    for model, day, which in ((old, at_old, "alte"), (new, at_new, "neue")):
        if model.needs_date and day is None:
            flag = "--at-old" if which == "alte" else "--at-new"
            raise ValidityError(Diagnostic(
                f"Das {which} Modell „{model.info.named()}“ hat Parameter mit Werten je Zeitraum und keine Eingabe "
                "„stichtag“",
                hint=f"gib den Stichtag an: --at TT.MM.JJJJ oder {flag} TT.MM.JJJJ", code="gültigkeit"))
    agreed_old = old.load_agreement(agreement_old) if agreement_old is not None else None
    agreed_new = new.load_agreement(agreement_new) if agreement_new is not None else None
    element = element_budget(old, new) if budget is None else None
    dated = ((agreed_old, at_old), (agreed_new, at_new))
    bar: ProgressBar | None = None
    early: _EarlyStage | None = None
    try:
        stages, table = (_stages_early(old, new, values, population, out, resume, reading)
                         if backend == "spalten" and element is not None else (False, None))
        if stages:
            # staged first: whether each case has one element is then read from the stage
            if progress is not None and is_terminal(progress):
                bar = ProgressBar(progress, count_rows(population, reading["separator"]))
                bar.show(0)
            early = _early_stage(old, new, dated, population, table)
        staged = early.shared if early is not None else None
        bounds = list_bounds((old, new), element[0]) if element is not None else (0, 0)
        known = staged.one_element_each(old.checked, element[0], bounds) if staged is not None and element else None
        per_element = element is not None and (known if known is not None else
                                               one_element_each(population, element[0], reading, bounds))
        chosen = fields(old, new, values, budget, per_element=per_element)
        budget_field = next(f for f in chosen if f.kind == "budget")
        basis = "angegeben" if budget is not None else ("element" if per_element else "modellkopf")
        other_cases = (other_elements(population, element, reading, bounds)
                       if basis == "modellkopf" and element is not None and bounds[0] <= 1 <= bounds[1] else None)
        summary = Summary(old.info, new.info, str(population), budget_field, basis=basis,
                          case_budget=".".join(old.info.budget or ()) or None, other_elements=other_cases)
        evaluator = _Evaluator(old, new, agreed_old, agreed_new, at_old, at_new, chosen,
                               _base_dir(population))
        columnar: _ColumnarRun | None = None
        if backend == "spalten":
            sides, note = _columnar_versions(old, new, dated, chosen, population, out, resume,
                                             early.plans if early is not None else None)
            if sides is not None:
                columnar = _ColumnarRun(sides, False, _base_dir(population), early if staged is not None else None)
                summary.backend = "spalten"
            elif note is not None:
                summary.notes.append(note)
        if columnar is None and staged is not None:
            staged.close()  # the scalar backend runs: the stage is not held while it does

        def identity(fmt: str) -> dict[str, Any]:
            return _run_identity(old, new, population, (agreed_old, agreed_new), (at_old, at_new),
                                 chosen, fmt, reading)

        return _run(summary, chosen, evaluator, population, out, out_format, identity, progress, resume,
                    reading, columnar, bar)
    finally:
        try:
            if early is not None and early.shared is not None:
                early.shared.close()  # (again: closing twice is harmless)
        finally:
            if bar is not None:
                bar.close()


def _apart_from_inputs(out: str | Path, population: str | Path, models: tuple[Model | None, ...],
                       agreements: tuple[Any, ...]) -> None:
    """A :class:`CaseError` where ``out`` names a file the comparison reads — the population, a
    model's rule file or one it extends, an agreement file: writing the rows would replace an
    input."""
    inputs: list[tuple[str | Path, str, str]] = [(population, "die Population", "population")]
    inputs += [(m.path, "die Regeldatei eines der Modelle", "ausgabe") for m in models if m is not None and m.path]
    inputs += [(base, "die Regeldatei eines Grundmodells", "ausgabe") for m in models if m is not None
               for base in m.info.base_files]  # (the files a variant extends: read when it is loaded again)
    inputs += [(named, "eine der Vereinbarungen", "ausgabe") for agreement in agreements
               if (named := file_path(agreement)) is not None]
    for given, what, code in inputs:
        if same_file(out, given):
            raise CaseError(Diagnostic(f"„{out}“ ist {what} selbst: die Ausgabe braucht eine eigene Datei",
                                       hint="gib für die Zeilen je Fall eine neue Datei an", code=code))


def _compare_figures(model: Model, other: Model | None, population: str | Path,
                     figures: tuple[str, str], *, out: str | Path | TextIO | None,
                     out_format: str | None, agreement: Any, at: _dt.date | None,
                     progress: TextIO | None, resume: bool, others: dict[str, Any],
                     reading: dict[str, str | None], backend: str = "skalar") -> Summary:
    """:func:`compare` of two values of one model."""
    if other is not None and other is not model:
        raise ValueError("compare: figures=(ALT, NEU) compares two values of one model; "
                         "pass it as old, new=None")
    mixed = [name for name, value in others.items() if value is not None]
    if mixed:
        raise ValueError(f"compare: {', '.join(mixed)} belong to the comparison of two versions, "
                         "not to figures=(…); use agreement= and at=")
    old_name, new_name = figures
    field = figure_field(model, old_name, new_name)
    if model.needs_date and at is None:
        raise ValidityError(Diagnostic(
            f"Das Modell „{model.info.named()}“ hat Parameter mit Werten je Zeitraum und keine Eingabe "
            "„stichtag“", hint="gib den Stichtag an: --at TT.MM.JJJJ", code="gültigkeit"))
    agreed = model.load_agreement(agreement) if agreement is not None else None
    nodes = model.checked.nodes
    old_name, new_name = _figure_ids(model, old_name, new_name)  # ``x[]`` written for ``x``
    summary = Summary(model.info, model.info, str(population), field, figures=(old_name, new_name),
                      figure_labels=(nodes[old_name].label, nodes[new_name].label))
    evaluator = _FigureEvaluator(model, agreed, at, nodes[old_name].key, nodes[new_name].key,
                                 _base_dir(population))
    columnar: _ColumnarRun | None = None
    if backend == "spalten":
        keys = (nodes[old_name].key, nodes[new_name].key)
        sides, note = _columnar_figures(model, agreed, at, field, keys, population, resume)
        if sides is not None:
            columnar = _ColumnarRun(sides, True, _base_dir(population))
            summary.backend = "spalten"
        elif note is not None:
            summary.notes.append(note)

    def identity(fmt: str) -> dict[str, Any]:
        run = _run_identity(model, model, population, (agreed, agreed), (at, at), [field], fmt, reading)
        run["figuren"] = [old_name, new_name]  # (absent for two versions: their state is as before)
        return run

    return _run(summary, [field], evaluator, population, out, out_format, identity, progress,
                resume, reading, columnar)


def _run(summary: Summary, chosen: list[Field], evaluator: _Evaluator | _FigureEvaluator,
         population: str | Path, out: str | Path | TextIO | None, out_format: str | None,
         identity: Callable[[str], dict[str, Any]], progress: TextIO | None,
         resume: bool, reading: dict[str, str | None], columnar: _ColumnarRun | None = None,
         bar: ProgressBar | None = None) -> Summary:
    """Evaluate the rows of ``population`` in batches, write them, and account them in ``summary``.
    ``identity(format)``: what makes a run the same, for resuming (:func:`_run_identity`).
    ``columnar``: the rows are evaluated by the columnar backend (:class:`_ColumnarRun`), not one
    at a time. ``bar``: the progress bar drawn already (else one is made where ``progress`` is a
    terminal)."""
    budget_field = next(f for f in chosen if f.kind == "budget")
    packages = [f.name for f in chosen if f.kind == "stufe"]
    for name in packages:
        summary.levels[name.rsplit(".stufe", 1)[0]] = _Level()
    fmt = _output_format(out, out_format)
    single = summary.figures is not None
    formatter = _Formatter(fmt, chosen, single=single) if out is not None else None
    batch = _Batch(evaluator, formatter, budget_field.name, packages)
    diffs: list[Decimal] = []
    rows = read_population(population, **reading)  # opens the population: a missing file fails here, before any output
    sink: _Rows | None = None

    def through_writer() -> Callable[[Iterator[_Record]], None]:
        """Rows per case of the columnar backend written by the writer of the scalar path."""
        nonlocal sink
        sink = open_sink()
        assert sink is not None
        return functools.partial(_write_records, batch, sink, before, start)

    # Parquet rows of the columnar backend: written by DuckDB from its tables, no partial file
    parquet = (_ParquetRows(Path(out), chosen, [column.header for column in formatter.columns()], through_writer)
               if columnar is not None and formatter is not None and fmt == "parquet" and isinstance(out, (str, Path))
               and not any(f.scope and f.kind == "wert" for f in chosen) else None)

    def open_sink() -> _Rows | None:
        if isinstance(out, (str, Path)):
            assert formatter is not None
            target = _RowFile(Path(out), identity(fmt), formatter if fmt in _TABLES else None)
            restored = target.restore() if resume else None
            if restored is not None:
                _take_over(restored, rows, batch, summary, diffs)
                target.open_again(restored)
            else:
                target.open(formatter.header())
            return target
        if out is not None:
            assert formatter is not None
            stream = _StreamRows(out)
            stream.write(formatter.header(), [], 0, 0.0)
            return stream
        return None

    try:
        if parquet is None:
            sink = open_sink()
        else:  # a target that cannot be written fails now, as on the scalar path, not once all is evaluated
            AtomicFile(parquet.target).close()
        if bar is None and progress is not None and is_terminal(progress):
            bar = ProgressBar(progress, count_rows(population, reading["separator"]), summary.rows)
        before = summary.seconds  # (a resumed run's: taken over by open_sink)
        start = time.perf_counter()
        if columnar is not None:
            write = None
            if sink is not None:
                write = functools.partial(_write_records, batch, sink, before, start)
            columnar.rows = out is not None
            try:
                columnar.summarize(summary, rows, population, reading, bar, budget_field.name, packages, write,
                                   parquet)
            except _TooLarge as exc:
                summary.backend = "skalar"
                summary.notes.append(exc.args[0] if exc.args else "die Summen des Vergleichs haben mehr als 38 "
                                     "Stellen: Vergleich mit dem skalaren Backend")
                rows.close()
                rows = read_population(population, **reading)
                columnar = None
                if parquet is not None and sink is None:
                    sink = open_sink()
            else:
                summary.notes.extend(columnar.notes)
                summary.seconds = before + columnar.staged_before + time.perf_counter() - start
                if bar is not None:
                    bar.update(summary.rows)
        if columnar is None:
            for text, tallies in _batches(batch, rows):
                for tally in tallies:
                    _account(summary, tally, summary.rows, diffs)
                    summary.rows += 1
                summary.seconds = before + time.perf_counter() - start
                if sink is not None:
                    sink.write(text, tallies, summary.rows, summary.seconds)
                if bar is not None:
                    bar.update(summary.rows)
            summary.empty = rows.empty
        summary.reading = columnar.reading if columnar is not None and columnar.reading is not None else \
            rows.properties
        if diffs:
            summary.quartiles = _quartiles(diffs)
        if sink is not None:
            sink.finish(summary)
    finally:
        rows.close()
        if sink is not None:
            sink.close()
        if bar is not None:
            bar.close()
    return summary


@attrs.frozen
class _ParquetRows:
    """Rows per case written as Parquet by DuckDB from the columnar backend's tables
    (:meth:`_ColumnarRun._parquet`): the file, the compared figures and the columns' names;
    ``fallback()`` opens the scalar path's writer for them instead (where DuckDB cannot write the
    file) and gives the function that writes the records."""

    target: Path
    fields: Sequence[Field]
    headers: Sequence[str]
    fallback: Callable[[], Callable[[Iterator[_Record]], None]]


def _write_records(batch: _Batch, sink: _Rows, before: float, start: float, records: Iterator[_Record]) -> None:
    """Write ``records`` (the columnar backend's, every case in order) to ``sink`` as the scalar
    path writes its rows: ``_BATCH`` at a time, each batch with its tallies (the state of a
    partial file, which a resumed comparison takes over) and the seconds taken so far
    (``before`` those of an earlier run, ``start`` this run's ``time.perf_counter()``)."""
    done = 0
    while True:
        chunk = list(itertools.islice(records, _BATCH))
        if not chunk:
            return
        text, tallies = batch.records(chunk)
        done += len(chunk)
        sink.write(text, tallies, done, before + time.perf_counter() - start)


def _base_dir(population: str | Path) -> Path:
    """Where the element files a population's rows name are read from: the folder of a JSON
    Lines or CSV file, a directory population itself (as in ``evaluate_many``)."""
    from ..columnar.sources import element_folder

    folder = element_folder(population)
    assert folder is not None  # (a path)
    return folder


# ---- one case under both versions -------------------------------------------------------------


@attrs.define
class _Record:
    id: str
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    error_old: str | None = None
    error_new: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_old is None and self.error_new is None


def _failing(index: int, worded: tuple[str, str] | None) -> Any:
    """The outcome of a case the plan finds certainly failing (a ``prüfung`` exactly false): the
    summary counts it as an error; it shows no message, so ``worded`` (the plan's message, where
    it has one) is not read."""
    from ..columnar import ScalarOutcome

    return ScalarOutcome(None, (("eine Prüfung schlägt fehl", None),))


def _worded(index: int, worded: tuple[str, str] | None) -> Any:
    """The outcome of a case the plan finds certainly failing, for its row: the plan's message
    where it words it (one failure, as the scalar backend words it), else None — the scalar
    backend evaluates the case for its message."""
    from ..columnar import ScalarOutcome

    return ScalarOutcome(None, (worded,)) if worded is not None else None


def _message(exc: BaseException) -> str:
    if isinstance(exc, TeilhabeError):
        texts = [
            d.message + (f" @ {d.path}" if d.path and d.path != "$" else "") for d in exc.diagnostics if d.is_error
        ]
        return " | ".join(texts) or exc.message
    if isinstance(exc, RecursionError):
        return f"der Fall ist zu tief verschachtelt (höchstens {MAX_NESTING} Ebenen)"
    return f"interner Fehler ({type(exc).__name__}: {exc})"


class _Reading:
    """Reads the figures ``chosen`` from an evaluation's frame, by name in their order: a value of
    the top level as it is, of a list the tuple over its elements (nested lists flattened in
    order), a budget in a list the sum over the elements. The top level's values are read at
    once, each list's elements found once."""

    def __init__(self, chosen: Sequence[Field]):
        self.names = [f.name for f in chosen]
        self.top = [f.key for f in chosen if not f.scope]
        lists: dict[str, list[Field]] = {}
        for f in chosen:
            if f.scope:
                lists.setdefault(f.scope, []).append(f)
        self.lists = [(scope, [f.key for f in fields], [f.kind == "budget" for f in fields])
                      for scope, fields in lists.items()]
        read = [f.name for f in chosen if not f.scope] + [f.name for fields in lists.values() for f in fields]
        self.order = [read.index(name) for name in self.names]  # (a name is chosen once)

    def __call__(self, frame: Frame) -> dict[str, Any]:
        found = list(frame.values(self.top))
        for scope, keys, summed in self.lists:
            for column, budget in zip(frame.columns(scope, keys), summed, strict=True):
                found.append(sum(column, Decimal(0)) if budget else column)
        return dict(zip(self.names, [found[index] for index in self.order], strict=True))


def element_budget(old: Model, new: Model) -> tuple[str, str] | None:
    """The element budget both versions declare alike (``budget bewohner.jahresbetrag``: list
    and value), with the same unit in both; else None."""
    mine, theirs = old.info.element_budget, new.info.element_budget
    if mine is None or mine != theirs:
        return None
    key = f"{mine[0]}.{mine[1]}"
    node_a, node_b = old.checked.nodes.get(key), new.checked.nodes.get(key)
    if node_a is None or node_b is None or str(node_a.type.unit) != str(node_b.type.unit):
        return None
    return mine


def list_bounds(models: Sequence[Model], listed: str) -> tuple[int, int]:
    """The least and the most elements every one of ``models`` allows in its list ``listed`` of
    the case (its ``mindestens`` and ``höchstens``, else
    :data:`~teilhabe_rules.limits.MAX_LIST_ITEMS`, as the case loader checks them); a model
    without that list bounds nothing."""
    least, most = NO_BOUNDS
    for model in models:
        spec = next((s for s in model.checked.scopes.values() if s.depth == 1 and s.name == listed), None)
        if spec is not None:
            least = max(least, spec.min_count or 0)
            most = min(most, list_limit(spec.max_count))
    return least, most


def one_element_each(population: str | Path, listed: str, reading: dict[str, str | None],
                     bounds: tuple[int, int] = NO_BOUNDS) -> bool:
    """Whether every case of the population that can be read, and whose list ``listed`` passes
    its input check (:func:`~teilhabe_rules.inputs.population.elements_one`: a list of a length
    within ``bounds``, :func:`list_bounds` — any other case is an error row under some version,
    with no budget, whichever is compared), has exactly one element in that list (a population
    split per element — per person), and there is one. Reads the population once more (stops
    at the first case with another number; for 2,000 person cases about 4 % of the comparison's
    time; a JSON Lines file of plain UTF-8 is read without the population reader,
    :func:`_one_element_each_jsonl`, a Parquet file of one case per row by DuckDB,
    :func:`~teilhabe_rules.columnar.intake.parquet_one_element_each`)."""
    if not bounds[0] <= 1 <= bounds[1]:
        return False  # no case of one element passes its input check
    quick = _one_element_each_jsonl(Path(population), listed, bounds)
    if quick is None and Path(population).suffix.lower() == ".parquet" and reading.get("decimal") is None:
        from ..columnar.intake import parquet_one_element_each

        quick = parquet_one_element_each(Path(population), listed, bounds)
    if quick is not None:
        return quick
    with read_population(population, **reading) as rows:
        return each_one_element((data for _name, data in _read_cases(rows)), listed, bounds) is True


def _read_cases(rows: Iterable[PopulationRow]) -> Iterator[tuple[str, Any]]:
    """The name and data of each row that can be read (a case file named by a row: its data)."""
    for row in rows:
        data, error = row.decoded()
        if error is not None:
            continue
        if isinstance(data, Path):
            try:
                data = read_data(data)
            except TeilhabeError:
                continue
        yield row.id, data


def _one_element_each_jsonl(path: Path, listed: str, bounds: tuple[int, int] = NO_BOUNDS) -> bool | None:
    """:func:`one_element_each` of a JSON Lines file of plain UTF-8 (lines split as the population
    reader splits them, one ``\\r`` before the line end dropped, empty lines passed), or None
    where the file is not such — another format, a byte order mark, a NUL byte, bytes that are no
    UTF-8, a line longer than :data:`MAX_LINE` bytes: then the population reader decides.

    Each line is read with Python's C decoder first; a line is decoded as the population reader
    decodes it (:meth:`PopulationRow.decoded`) unless the C decoder found one element and one
    such line has been confirmed already and nothing in it can make the two decoders differ in
    the element count (the list's key written once, no ``\\u`` escape): so the answer is always
    the population reader's, in about a third of its time."""
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        return None
    try:
        lines = _plain_lines(path, json.dumps(listed), listed)
        return each_one_element((data for _number, data in lines), listed, bounds) is True
    except (OSError, LineTooLong, _NotPlain):
        return None


class _NotPlain(Exception):
    """A JSON Lines file that is not plain UTF-8 (:func:`_one_element_each_jsonl`)."""


#: how many of the cases that kept a population from summing its elements' own budget a
#: summary names (:class:`OtherElements`)
OTHER_CASES_SHOWN = 5


@attrs.frozen
class OtherElements:
    """Why a population that is mostly one element per case sums the whole case's budget: of the
    cases whose list ``listed`` passes its input check, ``count`` have another number of
    elements than one (the first :data:`OTHER_CASES_SHOWN` in ``shown``: their names, as the
    rows name them, and their numbers of elements) and ``ones`` have exactly one; ``figure`` is
    the element's own budget that a population of one element per case would sum."""

    listed: str
    figure: str
    count: int
    shown: tuple[tuple[str, int], ...]
    ones: int

    def to_dict(self) -> dict[str, Any]:
        return {"liste": self.listed, "fälle": self.count, "ein_element": self.ones,
                "beispiele": [{"fall": name, "elemente": number} for name, number in self.shown]}

    def text(self) -> str:
        """The cases in German, for the summary's line ``wegen …`` below ``summiert: …``."""
        named = ", ".join(f"„{name}“ ({number} Element{'' if number == 1 else 'e'})" for name, number in self.shown)
        more = f" und {self.count - len(self.shown)} weitere" if self.count > len(self.shown) else ""
        cases = "1 Fall" if self.count == 1 else f"{self.count} Fällen"
        ones = "1 Fall hat" if self.ones == 1 else f"{self.ones} Fälle haben"
        return (f"wegen {cases}: {named}{more}; {ones} genau eines (hätten alle genau eines: "
                f"„{self.figure}“ summiert, der eigene Betrag des Elements)")


def other_elements(population: str | Path, element: tuple[str, str], reading: dict[str, str | None],
                   bounds: tuple[int, int] = NO_BOUNDS) -> OtherElements | None:
    """The cases that keep a population from having one element each in the list of the element
    budget ``element`` (list, value), where some of its cases have exactly one
    (:class:`OtherElements`); None where none has one or none has another number — a population
    of whole cases, or of one element each. Reads the whole population once more (a JSON Lines
    file of plain UTF-8 as :func:`one_element_each` reads it); called only where the whole case's
    budget is summed though the models declare an element budget."""
    listed = element[0]

    def tally(cases: Iterable[tuple[str, Any]]) -> OtherElements | None:
        count = ones = 0
        shown: list[tuple[str, int]] = []
        for name, data in cases:
            one = elements_one(data, listed, bounds)
            if one:
                ones += 1
            elif one is False:
                count += 1
                if len(shown) < OTHER_CASES_SHOWN:
                    shown.append((name, len(data.get(listed, []))))
        if not count or not ones:
            return None
        return OtherElements(listed, f"{listed}[].{element[1]}", count, tuple(shown), ones)

    path = Path(population)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        try:
            return tally((f"Zeile {number}", data) for number, data in _plain_lines(path, json.dumps(listed), listed))
        except (OSError, LineTooLong, _NotPlain):
            pass  # (the population reader decides)
    with read_population(population, **reading) as rows:
        return tally(_read_cases(rows))


def _plain_lines(path: Path, key: str, listed: str) -> Iterator[tuple[int, Any]]:
    """The number (1-based, empty lines counted) and data of each line of ``path`` that is not
    empty (see :func:`_one_element_each_jsonl`), None for one that cannot be read; after a line
    of one element in ``listed`` (``key`` its JSON text), a line the C decoder finds one element
    in, where the two decoders cannot differ, as one element alone. :class:`_NotPlain` where the
    file is not plain UTF-8."""
    confirmed = False
    one = {listed: [None]}
    for number, piece in enumerate(byte_lines(path, MAX_LINE), start=1):
        if len(piece) > MAX_LINE or b"\0" in piece or b"\xef\xbb\xbf" in piece:
            raise _NotPlain
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotPlain from None
        if text.endswith("\r"):
            text = text[:-1]
        if not text.strip(" \t\r"):
            continue
        if confirmed and text.count(key) == 1 and "\\u" not in text and _one_element(text, listed):
            yield number, one
            continue
        data, error = PopulationRow("", raw=text, size=len(text)).decoded()
        if error is not None:
            yield number, None
            continue
        confirmed = confirmed or elements_one(data, listed, NO_BOUNDS) is True
        yield number, data


def _one_element(text: str, listed: str) -> bool:
    """Whether Python's JSON decoder reads ``text`` as an object whose ``listed`` is a list of one."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if not isinstance(data, dict):
        return False
    elements = data.get(listed)
    return isinstance(elements, list) and len(elements) == 1


class _Evaluator:
    """Evaluates one population row under both versions."""

    def __init__(self, old: Model, new: Model, agreed_old: Any, agreed_new: Any, at_old: _dt.date | None,
                 at_new: _dt.date | None, chosen: list[Field], base_dir: Path | None = None):
        self.sides = (("old", old, agreed_old, at_old), ("new", new, agreed_new, at_new))
        self.reading = _Reading(chosen)
        self.shared = old.same_inputs(new)
        self.old = old
        self.base_dir = base_dir  # where a row's element files are read from

    def figures(self, model: Model, data: Any, agreed: Any, at: _dt.date | None) -> dict[str, Any]:
        # the evaluation's frame, read directly: no views built
        frame = model.evaluate(data, agreed, at=at, base_dir=self.base_dir).frame
        return self.reading(frame)

    def __call__(self, row: PopulationRow) -> _Record:
        record = _Record(row.id)
        data, error = row.decoded()
        if error is not None:
            record.error_old = record.error_new = error
            return record
        if self.shared:
            # read and checked once for both versions; where that fails, each version then reports
            # the problem in its own words
            with contextlib.suppress(Exception):
                data = self.old.load_case(data, base_dir=self.base_dir)
        for side, model, agreed, at in self.sides:
            try:
                setattr(record, side, self.figures(model, data, agreed, at))
            except Exception as exc:  # noqa: BLE001 - every failure of a case becomes its error row
                setattr(record, f"error_{side}", _message(exc))
        return record


class _FigureEvaluator:
    """Evaluates one population row once under one model: value ``old`` is the old budget,
    value ``new`` the new one (the row holds them as the figure ``budget``)."""

    def __init__(self, model: Model, agreed: Any, at: _dt.date | None, old: str, new: str,
                 base_dir: Path | None = None):
        self.model, self.agreed, self.at, self.old, self.new = model, agreed, at, old, new
        self.base_dir = base_dir  # where a row's element files are read from

    def __call__(self, row: PopulationRow) -> _Record:
        record = _Record(row.id)
        data, error = row.decoded()
        if error is None:
            try:
                # the evaluation's frame, read directly: no views built
                frame = self.model.evaluate(data, self.agreed, at=self.at, base_dir=self.base_dir).frame
                record.old, record.new = {FIGURE: frame.value(self.old)}, {FIGURE: frame.value(self.new)}
            except Exception as exc:  # noqa: BLE001 - every failure of a case becomes its error row
                error = _message(exc)
        if error is not None:  # one evaluation: the one message stands for both sides
            record.error_old = record.error_new = error
        return record


# What the summary needs of a case: id, failed (old, new), per package (up, down, changed),
# budget old and new. Small: the state of a partial output keeps one per row written.
_Tally = tuple[str, bool, bool, tuple[tuple[int, int, bool], ...],
               "Decimal | None", "Decimal | None"]


class _Batch:
    """Evaluates a batch of rows: the output text and the tallies, in input order."""

    def __init__(self, evaluate: _Evaluator | _FigureEvaluator, formatter: _Formatter | None, budget: str,
                 packages: list[str]):
        self.evaluate, self.formatter, self.budget, self.packages = evaluate, formatter, budget, packages

    def __call__(self, rows: list[PopulationRow]) -> tuple[str, list[_Tally]]:
        return self.records(self.evaluate(row) for row in rows)

    def records(self, records: Iterable[_Record]) -> tuple[str, list[_Tally]]:
        """The output text and the tallies of ``records`` (evaluated already)."""
        buffer = io.StringIO()
        writer = self.formatter.writer(buffer) if self.formatter is not None else None
        tallies = []
        for record in records:
            if writer is not None:
                writer(record)
            tallies.append(self.tally(record))
        return buffer.getvalue(), tallies

    def tally(self, record: _Record) -> _Tally:
        if not record.ok or record.old is None or record.new is None:
            failed_old, failed_new = record.error_old is not None, record.error_new is not None
            return (record.id, failed_old, failed_new, (), None, None)
        levels = []
        for name in self.packages:
            before, after = record.old[name], record.new[name]
            if isinstance(before, tuple):
                up = sum(1 for a, b in zip(before, after, strict=False) if b > a)
                down = sum(1 for a, b in zip(before, after, strict=False) if b < a)
                levels.append((up, down, bool(up or down) or len(before) != len(after)))
            else:
                levels.append((int(after > before), int(after < before), after != before))
        old_value, new_value = record.old[self.budget], record.new[self.budget]
        return (record.id, False, False, tuple(levels), old_value, new_value)


def _batches(batch: _Batch, rows: Iterator[PopulationRow]) -> Iterator[tuple[str, list[_Tally]]]:
    """The results of ``rows`` in order, ``_BATCH`` rows at a time, or fewer once their lines
    hold more than :data:`MAX_LINE` characters together (read as they come: memory stays
    bounded — 250 lines of 16 M characters are not kept at once)."""
    chunk: list[PopulationRow] = []
    size = 0
    for row in rows:
        chunk.append(row)
        size += row.size
        if len(chunk) == _BATCH or size > MAX_LINE:
            yield batch(chunk)
            chunk, size = [], 0
    if chunk:
        yield batch(chunk)


_BATCH = 250


def _account(summary: Summary, tally: _Tally, index: int, diffs: list[Decimal]) -> None:
    ident, failed_old, failed_new, levels, old_value, new_value = tally
    if old_value is None or new_value is None:
        summary.errors += 1
        summary.errors_old += failed_old
        summary.errors_new += failed_new
        return
    summary.evaluated += 1
    for level, (up, down, changed) in zip(summary.levels.values(), levels, strict=False):
        if changed:
            level.cases += 1
            level.up += up > 0
            level.down += down > 0
            level.elements += up + down
    diff = _EXACT.subtract(new_value, old_value)
    summary.total_old = _EXACT.add(summary.total_old, old_value)
    summary.total_new = _EXACT.add(summary.total_new, new_value)
    if diff > 0:
        summary.increased += 1
    elif diff < 0:
        summary.decreased += 1
    else:
        summary.unchanged += 1
    summary.minimum = diff if summary.minimum is None or diff < summary.minimum else summary.minimum
    summary.maximum = diff if summary.maximum is None or diff > summary.maximum else summary.maximum
    diffs.append(diff)
    item = (abs(diff), -index, ident, old_value, new_value)
    if len(summary.largest) < 10:
        heapq.heappush(summary.largest, item)
    elif item > summary.largest[0]:
        heapq.heapreplace(summary.largest, item)


def _quartiles(values: list[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """The quartiles of ``values``, exactly: linear interpolation between the order statistics
    (as ``statistics.quantiles(method="inclusive")``), in Decimal."""
    ordered = sorted(values)
    return _quartiles_of(len(ordered), ordered.__getitem__)


def _order_positions(count: int, quarter: int) -> tuple[int, int]:
    """The 0-based positions of the order statistics between which quartile ``quarter`` (1–3)
    of ``count`` values lies."""
    low = (count - 1) * quarter // 4
    return low, min(low + 1, count - 1)


def _quartiles_of(count: int, at: Callable[[int], Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """The quartiles (:func:`_quartiles`) of ``count`` values given by their order statistics:
    ``at(position)`` is the value at that 0-based position of the sorted values."""

    def quartile(quarter: int) -> Decimal:
        low, high = _order_positions(count, quarter)
        rest = (count - 1) * quarter % 4
        step = _EXACT.subtract(at(high), at(low))
        return _EXACT.add(at(low), _EXACT.divide(_EXACT.multiply(step, Decimal(rest)), Decimal(4)))

    return quartile(1), quartile(2), quartile(3)


# ---- the columnar backend ---------------------------------------------------------------------

_MONEY = "EUR"


def backend_name(backend: str) -> str:
    """``spalten`` or ``skalar`` for a backend as written (also ``columnar``/``scalar``:
    :data:`~teilhabe_rules.backends.BACKENDS`); a ValueError for anything else."""
    return batch_backend_name(backend, "compare")


def default_backend(population: str | Path, out: Any = None, resume: bool = False,
                    out_format: str | None = None) -> str:
    """The backend of :func:`compare` when none is given: ``spalten`` for a JSON Lines file DuckDB
    stages (:data:`~teilhabe_rules.columnar.intake.MAX_FILE` bytes at most) or a Parquet file
    where only the summary is made or the rows per case are written as Parquet (``out``,
    ``out_format``) and the run is not resumed, else ``skalar`` — which writes rows of text
    (CSV, JSON Lines, XLSX) as they are evaluated, with the digits of its arithmetic, resumable."""
    path = Path(population)
    suffix = path.suffix.lower()
    rows = out is not None and _output_format(out, out_format) != "parquet"
    if rows or resume or suffix not in (".jsonl", ".ndjson", ".parquet") or not path.is_file():
        return "skalar"
    if suffix == ".parquet":
        return "spalten"
    from ..columnar.intake import MAX_FILE

    try:
        return "spalten" if path.stat().st_size <= MAX_FILE else "skalar"
    except OSError:
        return "skalar"


@attrs.frozen
class _Direct:
    """A row that goes to the scalar backend directly: data the plan is not given (not a
    mapping, or naming element files read relative to the population), or why it is no case."""

    data: Any
    error: str | None = None


@attrs.frozen
class _ColumnarSide:
    """One evaluation of every row by the columnar backend: the model, its agreement, date and
    plan, and what is read of each case's results — (name in the record, scope, key) — with the
    names summed over their list (an element budget)."""

    model: Model
    agreed: Any
    at: _dt.date | None
    plan: Any
    wanted: tuple[tuple[str, str, str], ...]
    summed: frozenset[str] = frozenset()


def _columnar_plan(model: Model, agreed: Any, at: _dt.date | None,
                   wanted: Collection[tuple[str, str]] | None = None) -> tuple[Any, str | None]:
    """The model's columnar plan (``wanted``: see :meth:`Model.columnar_plan`), or None and the
    one-line note why it has none."""
    try:
        return model.columnar_plan(agreed, at, wanted=wanted), None
    except CheckError as exc:
        return None, exc.diagnostics[0].message


def _exact(plan: Any, scope: str, key: str) -> bool:
    """Whether the plan gives the value ``key`` of ``scope`` exactly (its denominator divides
    10^18 and it carries no error): then it equals the scalar backend's figure."""
    from ..columnar.plan import FIX

    metas = [p.columns.get(scope, {}).get(key) for p in plan.exact_in]  # the plan and its single variant
    # a value over a row denominator is given rounded to FIX digits, whatever its error
    return all(meta is not None and not meta.err and not meta.rows and 10**FIX % meta.den == 0 for meta in metas)


def _columnar_versions(old: Model, new: Model, sides: tuple[tuple[Any, _dt.date | None], ...],
                       chosen: list[Field], population: str | Path, out: Any, resume: bool,
                       plans: tuple[tuple[Any, str | None], ...] | None = None,
                       ) -> tuple[list[_ColumnarSide] | None, str | None]:
    """The two sides of a comparison of two versions by the columnar backend, or None and the
    one-line note why the comparison runs on the scalar backend (``plans``: compiled already,
    each with the note why there is none). With ``out`` (rows per case) each side reads every
    figure of ``chosen``, else the levels and the budget."""
    reason = _scalar_reason(population, resume)
    if reason is not None:
        return None, reason
    budget = next(f for f in chosen if f.kind == "budget")
    if _MONEY not in _atoms(budget.unit):
        return None, (f"das Budget „{budget.name}“ ({str(budget.unit) or 'ohne Einheit'}) wird nicht auf Cent "
                      "gerundet gezeigt: Vergleich mit dem skalaren Backend")
    out_sides: list[_ColumnarSide] = []
    for number, (model, (agreed, at)) in enumerate(zip((old, new), sides, strict=True)):
        plan, note = plans[number] if plans is not None else _columnar_plan(model, agreed, at,
                                                                              _read(chosen, out is not None))
        if plan is None:
            return None, f"{note} (Vergleich mit dem skalaren Backend)"
        if not _exact(plan, budget.scope, budget.key):
            return None, (f"das Budget „{budget.name}“ ist im Spaltenplan von „{model.name}“ nicht exakt "
                          "(Festkomma mit 18 Nachkommastellen): Vergleich mit dem skalaren Backend")
        wanted = tuple((f.name, f.scope, f.key) for f in _summed_up(chosen, out is not None))
        summed = frozenset(f.name for f in chosen if f.kind == "budget" and f.scope)
        out_sides.append(_ColumnarSide(model, agreed, at, plan, wanted, summed))
    return out_sides, None


def _columnar_figures(model: Model, agreed: Any, at: _dt.date | None, field: Field, keys: tuple[str, str],
                      population: str | Path, resume: bool) -> tuple[list[_ColumnarSide] | None, str | None]:
    """The one side of a comparison of two values of one model by the columnar backend, or None
    and the note why it runs on the scalar backend."""
    reason = _scalar_reason(population, resume)
    if reason is not None:
        return None, reason
    if _MONEY not in _atoms(field.unit):
        return None, (f"die Werte ({str(field.unit) or 'ohne Einheit'}) werden nicht auf Cent gerundet gezeigt: "
                      "Vergleich mit dem skalaren Backend")
    plan, note = _columnar_plan(model, agreed, at)
    if plan is None:
        return None, f"{note} (Vergleich mit dem skalaren Backend)"
    for key in keys:
        if not _exact(plan, "", key):
            return None, (f"„{key}“ ist im Spaltenplan von „{model.name}“ nicht exakt (Festkomma mit 18 "
                          "Nachkommastellen): Vergleich mit dem skalaren Backend")
    return [_ColumnarSide(model, agreed, at, plan, (("alt", "", keys[0]), ("neu", "", keys[1])))], None


def _kept_of(wanted: Iterable[tuple[str, str, str]]) -> dict[str, set[str]]:
    """Per scope the keys of the values a side reads (its ``wanted``: name, scope, key)."""
    keep: dict[str, set[str]] = {}
    for _name, scope, key in wanted:
        keep.setdefault(scope, set()).add(key)
    return keep


def _summed_up(chosen: Sequence[Field], rows: bool = False) -> list[Field]:
    """Of ``chosen``, the figures a comparison on the columnar backend reads of a plan's results:
    the levels and the budget (the summary reads nothing else on that path); ``rows``: every one
    (rows per case are written)."""
    return list(chosen) if rows else [f for f in chosen if f.kind in ("stufe", "budget")]


def _kept(chosen: Sequence[Field]) -> dict[str, set[str]]:
    """What a side of a comparison of two versions on the columnar backend keeps of its results
    where ``chosen`` are its figures (as :func:`_columnar_versions` chooses them)."""
    return _kept_of((f.name, f.scope, f.key) for f in _summed_up(chosen))


def _read(chosen: Sequence[Field], rows: bool = False) -> frozenset[tuple[str, str]]:
    """The (scope, key) of the values of :func:`_summed_up`."""
    return frozenset((f.scope, f.key) for f in _summed_up(chosen, rows))


@attrs.frozen
class _EarlyStage:
    """What :func:`_early_stage` made: both versions' plans with the note of one that has none,
    the stage (None: they cannot share one, or the file is read case by case), and the seconds the
    staging took (counted in the comparison's time, as a stage made by the run is)."""

    plans: tuple[tuple[Any, str | None], tuple[Any, str | None]]
    shared: Any
    seconds: float
    table: tuple[int, _Ids] | None = None  # of a Parquet file: _stages_early's


def _stages_early(old: Model, new: Model, values: str | Sequence[str] | None, population: str | Path, out: Any,
                  resume: bool, reading: dict[str, str | None],
                  ) -> tuple[bool, tuple[int, _Ids] | None]:
    """Whether a comparison of two versions with an element budget stages its population before
    its figures are chosen (:func:`_early_stage`): where it will run on the columnar backend with
    one stage and no rows per case (``out``: the plans then compute every figure of the rows,
    not only the summary's) — no reason for the scalar backend (:func:`_scalar_reason`), a JSON Lines file of
    plain UTF-8 or a Parquet file of one case per row, read as detected, the budget in money
    whether each case has one element or not. The figures are chosen once here, so that a value
    that is not there fails before anything is drawn or staged. Gives too, for a Parquet file,
    :func:`~teilhabe_rules.columnar.intake.parquet_cases` of it (the run reads it once)."""
    from ..columnar.intake import parquet_cases, plain_text_file

    if out is not None or _scalar_reason(population, resume) is not None or any(
            v is not None for v in reading.values()):
        return False, None
    for per_element in (False, True):
        budget = next(f for f in fields(old, new, values, None, per_element=per_element) if f.kind == "budget")
        if _MONEY not in _atoms(budget.unit):
            return False, None
    path = Path(population)
    suffix = path.suffix.lower()
    if not path.is_file():
        return False, None
    if suffix == ".parquet":
        table = parquet_cases(path)
        return table is not None, table
    return suffix in (".jsonl", ".ndjson") and plain_text_file(path), None


def _early_stage(old: Model, new: Model, sides: tuple[tuple[Any, _dt.date | None], ...],
                 population: str | Path, table: tuple[int, _Ids] | None = None,
                 ) -> _EarlyStage:
    """Both versions' plans and the population staged once for both by DuckDB before the
    comparison's figures are chosen (see :func:`_stages_early`) — so that whether each case has
    one element (:func:`one_element_each`) is read from the stage
    (:meth:`~teilhabe_rules.columnar.batch.SharedStage.one_element_each`), not by reading the
    file once more (100,000 persons: ~1.2 s). No stage where the plans cannot share one
    (:func:`_shareable`). The caller closes the stage.

    Both plans are compiled while DuckDB stages the file (its statements let Python run; the
    compilation waits until the staging's statements are built, as two threads of Python would
    share one core): where the models have the inputs a shared stage needs (:func:`_alike`), the
    stage is begun at once, for the old model's inputs
    (:func:`~teilhabe_rules.columnar.plan.input_plan`), and let go if
    the plans turn out not to share it — made again for the old plan where that stages otherwise
    (:func:`~teilhabe_rules.columnar.batch.stages_alike`: it leaves out the rules that read the
    case's date), both stagings counted. Not where either model has no plan for a reason known
    without compiling it (:meth:`Model.columnar_refusal`); a model whose rules the compiler does
    not translate has its file staged for nothing (the bundled models all compile)."""
    from ..columnar.batch import prepare, stage_shared, stages_alike
    from ..columnar.plan import input_plan

    # the levels and the budget, of a case or of its one element: what the run reads of a plan
    chosen = {each: fields(old, new, None, None, per_element=each) for each in (True, False)}
    wanted = _read([f for each in (False, True) for f in chosen[each]])
    if not _alike(old, new) or any(m.columnar_refusal(*side) is not None for m, side in zip((old, new), sides,
                                                                                           strict=True)):
        return _EarlyStage((_columnar_plan(old, *sides[0], wanted), _columnar_plan(new, *sides[1], wanted)), None, 0.0)
    at = sides[0][1] if sides[0][1] == sides[1][1] else None
    inputs = input_plan(old.checked)
    rows = table[0] if table is not None else None  # a Parquet file's key checked: not again
    shared: Any = None
    failed: Exception | None = None  # the staging's, raised only where the plans share the stage
    begun = threading.Event()  # the staging's statements built: Python is free to compile
    staged = threading.Event()  # the staging done: the run waits for the plans
    # what each side keeps of its results: the levels and the budget, of the case or of its element
    keeps = [_kept(chosen[each]) for each in (True, False)]

    def compile_both() -> tuple[tuple[Any, str | None], tuple[Any, str | None]]:
        begun.wait()
        both = _columnar_plan(old, *sides[0], wanted), _columnar_plan(new, *sides[1], wanted)
        # while DuckDB still stages: the text of each plan's statement for the cases of one element
        for keep in keeps:
            for (plan, _note), model in zip(both, (old, new), strict=True):
                if plan is not None and not staged.is_set():
                    with contextlib.suppress(Exception):  # (only a head start: the run builds it where not)
                        prepare(plan, model.checked, keep)
        return both

    try:
        # (interrupted, the pool waits for the plans being compiled: ~2 s)
        with ThreadPoolExecutor(1, thread_name_prefix="teilhabe-plan") as pool:
            compiling = pool.submit(compile_both)
            start = time.perf_counter()
            try:
                shared = stage_shared(inputs, old.checked, Path(population), at, begun=begun.set, rows=rows)
            except Exception as exc:  # noqa: BLE001 - decided below, once the plans are there
                failed = exc
            finally:
                begun.set()
                staged.set()
            seconds = time.perf_counter() - start
            first, second = compiling.result()
        plan, other = first[0], second[0]
        if plan is None or other is None or not _shareable(_ColumnarSide(old, *sides[0], plan, ()),
                                                           _ColumnarSide(new, *sides[1], other, ())):
            if shared is not None:
                shared.close()
            return _EarlyStage((first, second), None, 0.0)  # as where nothing was staged, failed or not
        if not stages_alike(inputs, old.checked, plan, old.checked):
            if shared is not None:
                shared.close()
                shared = None
            start = time.perf_counter()
            failed = None
            try:
                shared = stage_shared(plan, old.checked, Path(population), at, rows=rows)
            except Exception as exc:  # noqa: BLE001 - raised below, as the first staging's
                failed = exc
            seconds += time.perf_counter() - start  # both stagings: the first was this run's too
    except BaseException:
        if shared is not None:
            shared.close()
        raise
    if failed is not None:
        raise failed
    return _EarlyStage((first, second), shared, seconds, table)


def _scalar_reason(population: str | Path, resume: bool) -> str | None:
    """Why a comparison runs on the scalar backend whatever its models: resuming, a directory of
    case files."""
    if resume:
        return "--fortsetzen: Vergleich mit dem skalaren Backend (es setzt Zeile für Zeile fort)"
    if Path(population).is_dir():
        return (f"„{population}“ ist ein Verzeichnis von Falldateien: Vergleich mit dem skalaren Backend "
                "(Spalten: JSON Lines, CSV, Excel, Parquet)")
    return None


def _names_files(data: Any) -> bool:
    """Whether case data gives a list element as a file name (read relative to the population)."""
    if isinstance(data, dict):
        return any(_names_files(value) for value in data.values())
    if isinstance(data, list):
        return any(isinstance(item, str) or _names_files(item) for item in data)
    return False


def _shareable(old: _ColumnarSide, new: _ColumnarSide) -> bool:
    """Whether DuckDB may stage a JSON Lines file once for both sides
    (:func:`~teilhabe_rules.columnar.batch.stage_shared`): the same inputs (:meth:`Model.same_inputs`),
    scopes, reference date, staging and staged column types (the dates ``at`` may differ: the
    stage then holds each case's own date, and a side with a date of its own puts it in)."""
    from ..columnar.batch import stages_alike

    return _alike(old.model, new.model) and stages_alike(old.plan, old.model.checked, new.plan, new.model.checked)


def _alike(old: Model, new: Model) -> bool:
    """What :func:`_shareable` asks of the models themselves, before their plans: the same inputs,
    scopes and reference date."""
    a, b = old.checked, new.checked
    return list(a.scopes) == list(b.scopes) and a.info.reference_date == b.info.reference_date and old.same_inputs(new)


class _CompiledFirst:
    """The case check of :meth:`Model.load_case` for staging: the model's compiled input check
    first, the case loader for anything it does not accept — the checks of one evaluation, as
    the batch's loader must give, at the speed the scalar path has."""

    def __init__(self, model: Model):
        self.model = model

    def load(self, data: Any, base_dir: Path | None = None) -> Any:
        return self.model.load_case(data, base_dir=base_dir)


def _at_most_one_each(con: Any, keys: Sequence[str], table: str) -> bool:
    """Whether the results ``table`` of a list scope (its position keys ``keys``, 1-based) hold at
    most one element of each case: no position beyond the first (a case has all of its elements
    or none)."""
    from sqlglot import exp

    found = con.execute(exp.select(*[exp.func("coalesce", exp.func("max", exp.column(k)), exp.Literal.number(0))
                                     for k in keys]).from_(exp.to_table(table)).sql("duckdb")).fetchone()
    return found is not None and all(int(x) <= 1 for x in found)


class _TooLarge(Exception):
    """A sum or difference of the summary, or a difference of a Parquet row, beyond the 38 digits
    of DuckDB's DECIMAL (DuckDB refuses it, never rounds): the comparison runs on the scalar
    backend. Its argument, where given, is the note that says so (else the summary's)."""


_DIFFERENCE = ("eine Differenz der Zeilen je Fall hat mehr als 38 Stellen: Vergleich mit dem skalaren "
               "Backend")


class _Stopped(Exception):
    """A side of a shared stage stopped, as another failed (:meth:`_ColumnarRun._at_once`)."""


class _ColumnarRun:
    """The rows of a population evaluated by the columnar backend: each side (two versions, or
    the one model of two values) evaluates the whole population once
    (:func:`~teilhabe_rules.columnar.run_batch`), both in one DuckDB connection. A JSON Lines
    file of plain UTF-8, or a Parquet file whose rows are one case each
    (:func:`~teilhabe_rules.columnar.intake.parquet_cases`; no decimal mark given), is handed
    over by its path, so DuckDB checks and stages its rows
    (:mod:`teilhabe_rules.columnar.intake`) and only the rows those checks do not take are read
    in Python; any other population is read row by row and staged case by case. Of each side
    only what the summary reads is kept (per case the budget, per package its levels) — every
    compared figure where rows per case are written — and the summary is tallied in SQL
    (:meth:`_tally`): counts, sums, extremes, the order statistics of the quartiles and the ten
    largest changes are fetched, not a row per case. Rows per case are made from the kept tables
    afterwards (:meth:`_records`, :meth:`_parquet`). A row that fails is evaluated by the scalar
    backend (:meth:`_scalar`), as on the scalar path."""

    def __init__(self, sides: list[_ColumnarSide], single: bool, base_dir: Path, early: _EarlyStage | None = None):
        self.sides, self.single, self.base_dir = sides, single, base_dir
        self.early = early  # the population staged already (closed when the run is done, and by its caller)
        self.notes: list[str] = []
        self.rows = False  # rows per case are written: every failing case is worded (``_worded``)
        self.errors: list[dict[int, str]] = [{} for _ in sides]  # per side the failed cases' messages
        self.total = 0  # rows of the population (known once the first side has read it)
        self.done = [0] * len(sides)
        self.lock = threading.Lock()  # the sides of a shared stage run at once: one bar, one note list
        self.stopped = threading.Event()  # a side of a shared stage failed: the others stop
        # how a Parquet population staged in SQL is read (the caller's reader never reads its rows)
        self.reading: PopulationProperties | None = None

    @property
    def staged_before(self) -> float:
        """The seconds of a stage made before the run (counted in the run's)."""
        return self.early.seconds if self.early is not None else 0.0

    def shown(self, number: int, done: int) -> int:
        """``done`` rows of side ``number`` as rows of the whole run (for the progress bar): each
        side's pass counts alike."""
        self.done[number] = done
        total = self.total or done
        return sum(min(d, total) for d in self.done) // len(self.sides)

    def summarize(self, summary: Summary, rows: Population, population: str | Path,
                  reading: dict[str, str | None], bar: ProgressBar | None, budget: str,
                  packages: list[str], write: Callable[[Iterator[_Record]], None] | None = None,
                  parquet: _ParquetRows | None = None) -> None:
        """Evaluate every row and write the figures into ``summary`` (its counts, levels, sums,
        distribution and largest changes; ``rows`` is the population opened by the caller) and,
        where ``write`` is given, the record of every case in order (:meth:`_records`) to it, or
        where ``parquet`` is, the rows as Parquet (:meth:`_parquet`) — once the summary's figures
        are found, so a :class:`_TooLarge`, which leaves ``summary`` as it was, comes before any
        row is written (a difference of Parquet rows beyond 38 digits is one too: nothing is
        written then)."""
        import duckdb

        from ..columnar.intake import numbered, parquet_cases, parquet_reading, plain_text_file
        from ..columnar.sources import PopulationFile

        path = Path(population)
        suffix = path.suffix.lower()
        # a Parquet file whose rows are one case each, read without a given decimal mark (read before
        # the early stage, if there is one)
        table = None
        if rows.format == "parquet" and suffix == ".parquet" and reading.get("decimal") is None:
            table = self.early.table if self.early is not None and self.early.table is not None else parquet_cases(
                path)
            if table is not None:
                self.reading = parquet_reading(path)
        staged = table is not None or rows.format == "jsonl" and suffix in (".jsonl", ".ndjson") and plain_text_file(
            path)
        if bar is not None and bar.total:
            self.total = bar.total
        if bar is not None:  # the first counts come once a side's plan is done: the bar from the start
            bar.show(0)
        ids: list[str] = []
        con: Any = None
        shared: Any = None
        try:
            if self.early is not None:
                shared = self.early.shared
            elif staged and len(self.sides) == 2 and _shareable(*self.sides):
                from ..columnar.batch import stage_shared

                first = self.sides[0]
                common = first.at if first.at == self.sides[1].at else None
                shared = stage_shared(first.plan, first.model.checked, path, common)
            # a shared stage's tables are in its own database: the sides and the tally run there
            con = shared.cursor() if shared is not None else connect()
            counts = []
            notes: list[list[str]] = []
            if shared is not None:
                # one stage for both: each side in a connection of its own, at once (a population
                # of up to ~120,000 cases is one row group, which DuckDB scans on one thread)
                cursors = [con.cursor() for _ in self.sides]
                try:
                    for found, said in self._at_once(cursors, shared, bar):
                        counts.append(found)
                        notes.append(said)
                finally:
                    for cursor in cursors:
                        cursor.close()
            else:
                for number, side in enumerate(self.sides):
                    if staged:
                        found, said = self._side(con, number, side, PopulationFile(path), bar)
                    else:
                        source = rows if number == 0 else read_population(population, **reading)
                        try:
                            found, said = self._side(con, number, side, self._cases(source, ids, number, bar), bar)
                        finally:
                            if number:
                                source.close()
                    counts.append(found)
                    notes.append(said)
            for said in notes:  # in the order of the sides, however they ran
                self.notes.extend(note for note in said if note not in self.notes)
            empty = rows.empty
            ids_of: _Ids
            if table is not None:
                count, ids_of = table
            elif staged:
                lines, empty, count = line_numbers(path)
                ids_of = numbered if not empty else (
                    lambda indexes: [f"Zeile {lines(index)}" for index in indexes])
            else:
                count = len(ids)
                ids_of = lambda indexes: [ids[index] for index in indexes]  # noqa: E731
            if any(found != count for found in counts):
                raise CaseError(Diagnostic(f"„{population}“ hat sich während des Vergleichs geändert",
                                           code="population"))
            try:
                figures = self._tally(con, count, budget, packages)
            except duckdb.OutOfRangeException:
                raise _TooLarge from None
            if write is not None:
                write(self._records(con, count, ids_of))
            if parquet is not None:
                try:
                    self._publish(con, shared, count, ids_of, parquet)
                except duckdb.OutOfRangeException:
                    raise _TooLarge(_DIFFERENCE) from None
        except duckdb.OutOfMemoryException:  # (a side's run_batch says so itself)
            raise out_of_memory(population) from None
        finally:
            if con is not None:
                con.close()
            if shared is not None:
                shared.close()  # an early stage too: its caller's close then does nothing
        figures.fill(summary, ids_of)
        summary.empty = empty

    def _at_once(self, cursors: list[Any], shared: Any, bar: ProgressBar | None) -> list[tuple[int, list[str]]]:
        """:meth:`_side` of every side over the stage ``shared``, each in its own thread and
        connection (``cursors``). Where one side fails (or the waiting thread is interrupted), the
        others are stopped — their running statement interrupted, their scalar rows no longer
        taken — and the failure of the first side (in their order) that failed before they were
        stopped is raised."""
        with ThreadPoolExecutor(len(self.sides)) as pool:
            running = [pool.submit(self._side, cursor, number, side, shared, bar)
                       for number, (cursor, side) in enumerate(zip(cursors, self.sides, strict=True))]
            try:
                wait(running, return_when=FIRST_EXCEPTION)
            except BaseException:
                self._stop(cursors, running)
                raise
            failed = [future for future in running if future.done() and future.exception() is not None]
            if failed:
                self._stop(cursors, running)
                raise cast(BaseException, failed[0].exception())
            return [future.result() for future in running]

    def _stop(self, cursors: list[Any], running: list[Future[Any]]) -> None:
        """Stop the sides still ``running``: interrupt their connections' statements until each
        has ended (a side between two statements is interrupted in its next one; one on the
        scalar backend stops at its next row, :meth:`_side`'s progress)."""
        self.stopped.set()
        while not all(future.done() for future in running):
            for cursor, future in zip(cursors, running, strict=True):
                if not future.done():
                    cursor.interrupt()
            wait(running, timeout=0.05)

    def _side(self, con: Any, number: int, side: _ColumnarSide, cases: Iterable[Any],
              bar: ProgressBar | None) -> tuple[int, list[str]]:
        """Evaluate ``cases`` under ``side`` and keep what the summary reads (:meth:`_keep`);
        gives the number of cases and the batch's notes."""
        import duckdb

        from ..columnar import run_batch

        def progress(done: int, total: int) -> None:
            if self.stopped.is_set():  # another side failed: this one's result is not wanted
                raise _Stopped
            with self.lock:
                self.total = total
                if bar is not None:
                    bar.update(self.shown(number, done))

        loader = cast(CaseLoader, _CompiledFirst(side.model))
        keep = _kept_of(side.wanted)  # the rest is computed, never converted to its result type
        result = run_batch(side.plan, side.model.checked, cases, loader, self._scalar(side), at=side.at,
                           connection=con, progress=progress, keep=keep, certain=_worded if self.rows else _failing)
        self.errors[number] = {error.index: error.message for error in result.errors}
        with self.lock:
            self.total = int(result.cases)
            if bar is not None:
                bar.update(self.shown(number, self.total))
        try:
            self._keep(con, number, side, result)
        except duckdb.OutOfRangeException:
            raise _TooLarge from None
        return int(result.cases), list(result.notes)

    def _cases(self, rows: Population, ids: list[str], number: int, bar: ProgressBar | None) -> Iterator[Any]:
        """The rows as side ``number`` takes them: a mapping to stage, or :class:`_Direct`. The
        first side records the rows' ids; a later one checks them (the population must not change)."""
        for index, row in enumerate(rows):
            if number == 0:
                ids.append(row.id)
            elif index >= len(ids) or ids[index] != row.id:
                raise CaseError(Diagnostic(f"„{row.id}“: die Population hat sich während des Vergleichs geändert",
                                           code="population"))
            data, error = row.decoded()
            if error is not None:
                yield _Direct(None, error)
            elif isinstance(data, dict) and not _names_files(data):
                yield data
            else:
                yield _Direct(data)
            if bar is not None:
                bar.update(self.shown(number, index + 1))

    def _scalar(self, side: _ColumnarSide) -> Callable[[int, Any], Any]:
        """The scalar backend for the batch's rows of ``side``: a row that is no case
        (:class:`_Direct` with its error, or the intake's
        :class:`~teilhabe_rules.columnar.sources.Unreadable`) fails with its message, any other
        is evaluated as the scalar path evaluates it (:func:`_message` words its failure)."""
        from ..columnar import ScalarOutcome
        from ..columnar.sources import Unreadable

        def scalar(index: int, data: Any) -> ScalarOutcome:
            if isinstance(data, _Direct):
                if data.error is not None:
                    return ScalarOutcome(None, ((data.error, None),))
                data = data.data
            elif isinstance(data, Unreadable):
                return ScalarOutcome(None, ((data.message, data.path),), (data.hint,))
            try:
                frame = side.model.evaluate(data, side.agreed, at=side.at, base_dir=self.base_dir).frame
            except Exception as exc:  # noqa: BLE001 - every failure of a case becomes its error row
                return ScalarOutcome(None, ((_message(exc), None),))
            return ScalarOutcome(frame)

        return scalar

    def _keep(self, con: Any, number: int, side: _ColumnarSide, result: Any) -> None:
        """Of ``side``'s results, what the summary (and the rows per case) read: the table
        ``seite<number>`` (``_c`` and, per wanted value ``w<i>`` on the top level or summed over its
        list, its value) and per list scope with wanted values of its elements
        ``seite<number>_l<k>`` (:meth:`_element_table`: ``_c``, ``_p`` the element's position
        among the case's elements — nested lists in order, as the scalar path reads them — and
        those values ``w<i>``). The side's result and staged tables are dropped (memory)."""
        from sqlglot import exp

        from ..columnar.plan import key_columns

        model = side.model.checked
        columns: list[exp.Expr] = [exp.column("_c", "r")]
        query = exp.select().from_(exp.to_table(result.tables[""]).as_("r"))
        elements: dict[str, list[exp.Expr]] = {}  # list scope → its wanted values
        for index, (name, scope, key) in enumerate(side.wanted):
            alias = f"w{index}"
            value = exp.Column(this=exp.to_identifier(key, quoted=True))
            if not scope:
                columns.append(exp.alias_(exp.Column(this=exp.to_identifier(key, quoted=True),
                                                     table=exp.to_identifier("r")), alias))
            elif name in side.summed:
                total = exp.select(exp.column("_c"), exp.alias_(exp.func("sum", value), alias)).from_(
                    result.tables[scope]).group_by(exp.column("_c"))
                if _at_most_one_each(con, key_columns(model, scope)[1:], result.tables[scope]):
                    # a case's one element's value is the sum (of the sum's type: bound, not run),
                    # without grouping (1,000,000 persons: ~0.2 s a side)
                    kind = exp.DataType.build(str(con.sql(total.sql("duckdb")).types[1]), dialect="duckdb")
                    total = exp.select(exp.column("_c"), exp.alias_(exp.cast(value.copy(), kind), alias)).from_(
                        result.tables[scope])
                query = query.join(total.subquery(f"s{index}"), on=exp.column("_c", "r").eq(
                    exp.column("_c", f"s{index}")), join_type="left")
                columns.append(exp.alias_(exp.func("coalesce", exp.column(alias, f"s{index}"),
                                                   exp.Literal.number(0)), alias))
            else:
                elements.setdefault(scope, []).append(exp.alias_(value, alias))
        for scope, values in elements.items():
            keys = key_columns(model, scope)[1:]
            # a list of the case: its elements' 1-based positions are the positions (a case has all
            # of its elements or none, from the plan or the scalar backend) — no window over the rows
            position: exp.Expr = exp.cast(exp.column(keys[0]), "BIGINT") if len(keys) == 1 else exp.Window(
                this=exp.RowNumber(), partition_by=[exp.column("_c")],
                order=exp.Order(expressions=[exp.Ordered(this=exp.column(k)) for k in keys]))
            _create(con, self._element_table(number, scope), exp.select(
                exp.column("_c"), exp.alias_(position, "_p"), *values).from_(result.tables[scope]), temporary=False)
        _create(con, f"seite{number}", query.select(*columns), temporary=False)
        for table in [*result.tables.values(), *side.plan.staged.values()]:
            con.execute(exp.Drop(tables=[exp.to_table(table)], kind="TABLE", exists=True).sql("duckdb"))

    def _tally(self, con: Any, count: int, budget: str, packages: list[str]) -> _Figures:
        """The summary's figures from the kept tables (:meth:`_keep`) of ``count`` cases: the
        table ``verglichen`` holds per evaluated case its old and new budget and their difference."""
        from sqlglot import exp

        names = [name for name, _, _ in self.sides[0].wanted]

        def column(side: int, name: str) -> exp.Expr:
            return exp.column(f"w{names.index(name)}", f"s{side}")

        if self.single:
            old, new = column(0, "alt"), column(0, "neu")
            joined = exp.select(exp.column("_c", "s0")).from_(exp.to_table("seite0").as_("s0"))
        else:
            old, new = column(0, budget), column(1, budget)
            joined = exp.select(exp.column("_c", "s0")).from_(exp.to_table("seite0").as_("s0")).join(
                exp.to_table("seite1").as_("s1"), on=exp.column("_c", "s0").eq(exp.column("_c", "s1")))
        difference = exp.Sub(this=new.copy(), expression=old.copy())
        _create(con, "verglichen", joined.select(exp.alias_(old, "alt"), exp.alias_(new, "neu"),
                                                 exp.alias_(difference, "d")).where(
            exp.and_(exp.Not(this=exp.Is(this=old.copy(), expression=exp.Null())),
                     exp.Not(this=exp.Is(this=new.copy(), expression=exp.Null())))))
        def d() -> exp.Expr:
            return exp.column("d")

        def zero() -> exp.Expr:
            return exp.Literal.number(0)

        totals = _fetch(con, exp.select(
            exp.func("count", exp.Star()), exp.func("sum", exp.column("alt")), exp.func("sum", exp.column("neu")),
            exp.func("count_if", exp.GT(this=d(), expression=zero())),
            exp.func("count_if", exp.LT(this=d(), expression=zero())),
            exp.func("min", d()), exp.func("max", d())).from_("verglichen"))[0]
        evaluated = int(totals[0] or 0)
        sides = [_fetch(con, exp.select(exp.func("count", exp.Star())).from_(f"seite{n}"))[0][0]
                 for n in range(len(self.sides))]
        failed = [count - int(found) for found in sides]
        # (over no rows DuckDB's count_if is NULL)
        figures = _Figures(count, evaluated, failed[0], failed[-1], totals[1], totals[2], int(totals[3] or 0),
                           int(totals[4] or 0), totals[5], totals[6])
        if evaluated:
            wanted = sorted({position for quarter in (1, 2, 3) for position in _order_positions(evaluated, quarter)})
            rank = exp.Sub(this=exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[exp.Ordered(this=d())])),
                           expression=exp.Literal.number(1))
            ranked = exp.select(exp.alias_(rank, "k"), d()).from_("verglichen")
            found = dict(_fetch(con, exp.select("k", "d").from_(ranked.subquery("o")).where(
                exp.column("k").isin(*[exp.Literal.number(p) for p in wanted]))))
            figures.quartiles = _quartiles_of(evaluated, lambda position: found[position])
            largest = exp.select("_c", "alt", "neu").from_("verglichen").order_by(
                exp.Ordered(this=exp.func("abs", d()), desc=True), exp.column("_c")).limit(10)
            figures.largest = [(int(index), old_value, new_value) for index, old_value, new_value
                               in _fetch(con, largest)]
        figures.levels.extend(self._levels(con, [names.index(name) for name in packages]))
        return figures

    def _joined(self, con: Any, count: int) -> tuple[Any, list[tuple[Any, dict[str, tuple[Any, bool]]]]]:
        """The ``count`` cases (``i._c``) joined to the kept tables of every side (:meth:`_keep`;
        the values of a list's elements as a list per case, in the order of the elements: NULL for
        a case without elements), and per side the column that is not NULL where the case has a
        result there and per figure name its column and whether it is a list's."""
        query = _cases_query(count)
        sides: list[tuple[Any, dict[str, tuple[Any, bool]]]] = []
        for number in range(len(self.sides)):
            query, side = self._side_joined(con, number, query)
            sides.append(side)
        return query, sides

    def _side_joined(self, con: Any, number: int, query: Any) -> tuple[Any, tuple[Any, dict[str, tuple[Any, bool]]]]:
        """``query`` (over the cases ``i._c``) joined to the kept tables of side ``number``, and
        the side's presence column and figures as :meth:`_joined` gives them."""
        from sqlglot import exp

        side = self.sides[number]
        alias = f"s{number}"
        query = query.join(exp.to_table(f"seite{number}").as_(alias), join_type="left",
                           on=exp.column("_c", "i").eq(exp.column("_c", alias)))
        found: dict[str, tuple[Any, bool]] = {}
        lists: dict[str, list[int]] = {}  # element table → the wanted values it holds
        for index, (name, scope, _key) in enumerate(side.wanted):
            if scope and name not in side.summed:
                lists.setdefault(self._element_table(number, scope), []).append(index)
            else:
                found[name] = (exp.column(f"w{index}", alias), False)
        for position, (table, indexes) in enumerate(lists.items()):
            listed = f"l{number}_{position}"
            if _at_most_one_each(con, ["_p"], table):
                # (a population of persons) each value as a list of its one element, not grouped
                # with an ordered aggregate (1,000,000 persons: ~2 s a side)
                query = query.join(exp.to_table(table).as_(listed), join_type="left",
                                   on=exp.column("_c", "i").eq(exp.column("_c", listed)))
                for index in indexes:
                    found[side.wanted[index][0]] = (exp.Case(ifs=[exp.If(
                        this=exp.Not(this=exp.Is(this=exp.column("_c", listed), expression=exp.Null())),
                        true=exp.Array(expressions=[exp.column(f"w{index}", listed)]))]), True)
                continue
            grouped = exp.select(exp.column("_c"), *[exp.alias_(exp.ArrayAgg(this=exp.Order(
                this=exp.column(f"w{index}"), expressions=[exp.Ordered(this=exp.column("_p"))])), f"w{index}")
                for index in indexes]).from_(table).group_by(exp.column("_c"))
            query = query.join(grouped.subquery(listed), join_type="left",
                               on=exp.column("_c", "i").eq(exp.column("_c", listed)))
            for index in indexes:
                found[side.wanted[index][0]] = (exp.column(f"w{index}", listed), True)
        return query, (exp.column("_c", alias), found)

    def _records(self, con: Any, count: int, ids_of: _Ids) -> Iterator[_Record]:
        """The record of each of the ``count`` cases in order, as the scalar path makes it
        (:class:`_Evaluator`, :class:`_FigureEvaluator`), from the kept tables (:meth:`_keep`)
        and the messages of the failed cases: a value of the top level or summed over its list as
        the plan gives it (``Decimal`` with the places of its column), the values of a list's
        elements as a tuple in the order of the elements (a case without elements has none)."""
        from sqlglot import exp

        query, sides = self._joined(con, count)
        query = query.select(exp.column("_c", "i"))
        # per side: the place of its presence column in the fetched row, and of each figure
        reads: list[tuple[int, list[tuple[str, int, bool]]]] = []
        width = 1
        for present, found in sides:
            query = query.select(present)
            here, width = width, width + 1
            places = []
            for name, (column, listed) in found.items():
                query = query.select(column)
                places.append((name, width, listed))
                width += 1
            reads.append((here, places))
        cursor = con.execute(query.order_by(exp.column("_c", "i")).sql("duckdb"))
        idents = iter(ids_of(range(count)))
        names = [name for name, _, _ in self.sides[0].wanted]
        errors = self.errors
        while True:
            chunk = cursor.fetchmany(_FETCHED)
            if not chunk:
                return
            for row in chunk:
                record = _Record(next(idents))
                case = row[0]
                figures = [None if row[here] is None else {
                    name: tuple(row[at] or ()) if listed else row[at] for name, at, listed in places}
                    for here, places in reads]
                if self.single:
                    if figures[0] is None:
                        record.error_old = record.error_new = errors[0].get(case, _UNWORDED)
                    else:
                        record.old, record.new = {FIGURE: figures[0][names[0]]}, {FIGURE: figures[0][names[1]]}
                else:
                    record.old, record.new = figures
                    if record.old is None:
                        record.error_old = errors[0].get(case, _UNWORDED)
                    if record.new is None:
                        record.error_new = errors[1].get(case, _UNWORDED)
                yield record

    def _publish(self, con: Any, shared: Any, count: int, ids_of: _Ids, parquet: _ParquetRows) -> None:
        """Write the rows per case as Parquet (:meth:`_parquet`) and publish the file as
        ``parquet.target`` (complete or absent): where the stage ``shared`` holds the tables, into
        the one file its database may write (:meth:`~teilhabe_rules.columnar.batch.SharedStage.rows_file`),
        else into a fresh folder of the library's (:func:`~teilhabe_rules.duck.published`). A file
        that cannot be written is a CaseError."""
        import duckdb

        from ..duck import publish, published

        try:
            if shared is not None:
                written, path = shared.rows_file()
                if written != path:  # (reached through a link: a temporary folder with a pattern character)
                    parquet.fallback()(self._records(con, count, ids_of))  # DuckDB writes through no link
                    return
                self._parquet(con, count, ids_of, parquet.fields, parquet.headers, written, shared.population_file)
                publish(path, parquet.target)
            else:
                with published(str(parquet.target), ".parquet") as written:
                    self._parquet(con, count, ids_of, parquet.fields, parquet.headers, written)
        except OSError as exc:
            raise CaseError(Diagnostic(f"„{parquet.target}“ lässt sich nicht schreiben: {write_problem(exc)}",
                                       code="ausgabe")) from None
        except (duckdb.IOException, duckdb.PermissionException) as exc:
            raise CaseError(Diagnostic(f"„{parquet.target}“ lässt sich nicht schreiben: {str(exc).splitlines()[0]}",
                                       code="ausgabe")) from None
        partial = partial_path(parquet.target)  # a partial file of an earlier run of it: replaced
        for left in (partial, state_path(partial)):
            with contextlib.suppress(OSError):
                left.unlink(missing_ok=True)

    def _parquet(self, con: Any, count: int, ids_of: _Ids, fields: Sequence[Field], headers: Sequence[str],
                 written: str, population: str | None = None) -> None:
        """The rows per case as one Parquet file, ``COPY``'d by DuckDB to ``written`` (the text naming
        it to ``con``): the columns ``headers`` of the scalar path's rows (:meth:`_Formatter.columns`,
        of ``fields``; not for a list value's differences) with the plan's types — ``fall``,
        ``status`` (``ok``/``fehler``), ``fehler`` (the messages as the scalar path joins them),
        a level ``BIGINT`` (a list's levels ``BIGINT[]``), a number the plan's ``DECIMAL``, its
        difference the new less the old; every figure NULL on an error row. ``population``: the text
        naming the population file to ``con``, where it may read it (a Parquet file's keys are then
        read there, not handed over from Python).

        Each side's figures, its messages (and the first side's case keys) are first put in the
        order of the cases, as one table per side with a row for every case (:meth:`_dense`; the
        side's kept tables are dropped then); the file's rows are those tables side by side, row by
        row (``POSITIONAL JOIN``: scanned in their order, so nothing is sorted that wide — 1,000,000
        persons with the default values: the ordered tables ~3 s and the file ~6 s, before ~15 s
        sorting the joined rows, spilling beyond the memory limit, and writing them)."""
        from sqlglot import exp

        from ..columnar.intake import numbered

        dense = [self._dense(con, count, number, ids_of, population) for number in range(len(self.sides))]
        query = exp.select().from_(exp.to_table("dicht0"))
        others = [f"dicht{number}" for number in range(1, len(dense))]
        if not others:
            # every column may be NULL, as on the scalar path: DuckDB writes a column it knows to
            # hold no NULL as REQUIRED, which a stored table's column read alone is — not one
            # read beside another table, whose rows it pads with NULLs (here none)
            others.append("_ohne")
            con.execute(exp.Create(this=exp.Schema(this=exp.to_table("_ohne"), expressions=[exp.ColumnDef(
                this=exp.to_identifier("x"), kind=exp.DataType.build("BOOLEAN"))]), kind="TABLE", replace=True,
                properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
        for other in others:
            query = query.join(exp.Join(this=exp.to_table(other), method="POSITIONAL"))
        if ids_of is numbered:
            ident: exp.Expr = exp.DPipe(this=exp.Literal.string("Zeile "), expression=exp.cast(
                exp.Add(this=exp.column("_c", "dicht0"), expression=exp.Literal.number(1)), "VARCHAR"))
        else:
            ident = exp.column("fall", "dicht0")
        messages: list[exp.Expr] = []
        for number, errors in enumerate(self.errors):
            if errors:
                message = exp.column("_m", f"dicht{number}")
                messages.append(message if self.single else exp.DPipe(
                    this=exp.Literal.string(("alt", "neu")[number] + ": "), expression=message))
        ok = exp.and_(*[present.copy() for present, _ in dense])
        error: exp.Expr = exp.cast(exp.Null(), "VARCHAR")  # (a column of text, whether any case fails or not)
        if len(messages) == 1:
            error = messages[0]
        elif messages:  # (concat_ws leaves NULLs out; no message at all is NULL, as on the scalar path)
            error = exp.Nullif(this=exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string("; "), *messages]),
                               expression=exp.Literal.string(""))
        status = exp.Case(ifs=[exp.If(this=ok.copy(), true=exp.Literal.string("ok")), exp.If(
            this=exp.not_(ok.copy()), true=exp.Literal.string("fehler"))])  # (no ELSE: a column that may be NULL)
        columns: list[exp.Expr] = [ident, status, error]
        for f in fields:
            if self.single:
                pair = [dense[0][1][name][0] for name, _, _ in self.sides[0].wanted]
                listed = False
            else:
                pair = [dense[number][1][f.name][0] for number in (0, 1)]
                listed = dense[0][1][f.name][1]
            values: list[exp.Expr]
            if f.kind == "stufe":
                kind = exp.DataType.build("BIGINT[]" if listed else "BIGINT", dialect="duckdb")
                values = [exp.cast(exp.func("coalesce", value.copy(), exp.Array()) if listed else value.copy(),
                                   kind) for value in pair]
            else:
                assert not listed  # (a list value's differences: the rows of :meth:`_records`)
                values = [value.copy() for value in pair]
                if f.type.unit.percent:  # (a share in percent, as the other formats show it: :func:`_shown`)
                    values = [exp.Mul(this=exp.paren(value), expression=exp.Literal.number(100)) for value in values]
                values.append(exp.Sub(this=values[1].copy(), expression=values[0].copy()))
            columns += [exp.Case(ifs=[exp.If(this=ok.copy(), true=value)]) for value in values]
        query = query.select(*[exp.alias_(column, header, quoted=True)
                               for column, header in zip(columns, headers, strict=True)])
        # (no temporary file beside ``written``: a stage's database may write that one file only)
        con.execute(exp.Copy(this=query.subquery(), files=[exp.Literal.string(written)], params=[
            exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet")),
            exp.CopyParameter(this=exp.var("USE_TMP_FILE"), expression=exp.false())]).sql("duckdb"))

    def _dense(self, con: Any, count: int, number: int, ids_of: _Ids,
               population: str | None) -> tuple[Any, dict[str, tuple[Any, bool]]]:
        """The temporary table ``dicht<number>``: a row for each of the ``count`` cases, in their
        order — ``_c``, ``_da`` (whether side ``number`` has a result for the case), per figure of
        :meth:`_side_joined` a column ``v<k>``, ``_m`` the side's message of a failed case (where
        one failed) and, on the first side, ``fall`` the case's key (unless the cases are numbered
        lines). Side ``number``'s kept tables are dropped after (memory). Gives ``_da`` and per
        figure name its column and whether it is a list's."""
        from sqlglot import exp

        from ..columnar.intake import ParquetKeys, numbered

        table = f"dicht{number}"
        case = exp.column("_c", "i")
        query, (present, found) = self._side_joined(con, number, _cases_query(count))
        columns: list[exp.Expr] = [exp.alias_(case.copy(), "_c"), exp.alias_(
            exp.Not(this=exp.Is(this=present, expression=exp.Null())), "_da")]
        if number == 0 and ids_of is not numbered:
            if isinstance(ids_of, ParquetKeys) and population is not None:
                keys: exp.Expr = ids_of.table(population).subquery("f")
            else:
                listed_table(con, "_faelle", ["fall"], [ids_of(range(count))])
                keys = exp.to_table("_faelle").as_("f")
            query = query.join(keys, join_type="left", on=case.copy().eq(exp.column("_c", "f")))
            columns.append(exp.alias_(exp.column("fall", "f"), "fall"))
        errors = self.errors[number]
        if errors:
            listed = f"_fehler{number}"
            listed_table(con, listed, ["m"], [list(errors.values())], list(errors))
            query = query.join(exp.to_table(listed).as_("e"), join_type="left",
                               on=case.copy().eq(exp.column("_c", "e")))
            columns.append(exp.alias_(exp.column("m", "e"), "_m"))
        named: dict[str, tuple[Any, bool]] = {}
        for position, (name, (column, is_list)) in enumerate(found.items()):
            columns.append(exp.alias_(column, f"v{position}"))
            named[name] = (exp.column(f"v{position}", table), is_list)
        _create(con, table, query.select(*columns).order_by(case.copy()))
        kept = {f"seite{number}", *(self._element_table(number, scope)
                                     for _name, scope, _key in self.sides[number].wanted if scope)}
        for name in sorted(kept):
            con.execute(exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True).sql("duckdb"))
        return exp.column("_da", table), named

    def _element_table(self, number: int, scope: str) -> str:
        """The table of side ``number`` holding the wanted values of the elements of its list
        ``scope`` (:meth:`_keep`), named by the first of those values (``w<i>``: the same names on
        both sides, whatever the order of their models' scopes)."""
        first = next(index for index, (_name, where, _key) in enumerate(self.sides[number].wanted) if where == scope)
        return f"seite{number}_l{first}"

    def _levels(self, con: Any, indexes: list[int]) -> list[tuple[int, int, int, int]]:
        """Of each package level ``w<index>`` (``indexes``), over the evaluated cases: the cases
        with a changed level, those with a level up, those with a level down, and the elements
        changed — one query for the levels of each scope."""
        from sqlglot import exp

        zero = exp.Literal.number(0)
        evaluated = exp.select("_c").from_("verglichen")
        scopes: dict[tuple[str, str], list[int]] = {}  # (the old side's scope, the new side's) → levels
        for index in indexes:
            scopes.setdefault((self.sides[0].wanted[index][1], self.sides[-1].wanted[index][1]), []).append(index)
        found: dict[int, tuple[int, int, int, int]] = {}
        for (scope, other), group in scopes.items():
            if not scope:
                counts: list[exp.Expr] = []
                for index in group:
                    old, new = exp.column(f"w{index}", "a"), exp.column(f"w{index}", "n")
                    counts += [exp.func("count_if", exp.NEQ(this=new, expression=old)),
                               exp.func("count_if", exp.GT(this=new.copy(), expression=old.copy())),
                               exp.func("count_if", exp.LT(this=new.copy(), expression=old.copy()))]
                query = exp.select(*counts).from_(exp.to_table("seite0").as_("a")).join(
                    exp.to_table("seite1").as_("n"), on=exp.column("_c", "a").eq(exp.column("_c", "n"))).where(
                    exp.column("_c", "a").isin(query=evaluated.copy()))
                row = [int(number or 0) for number in _fetch(con, query)[0]]
                for at, index in enumerate(group):
                    changed, higher, lower = row[3 * at:3 * at + 3]
                    found[index] = (changed, higher, lower, higher + lower)
                continue
            per_case: list[exp.Expr] = [
                exp.alias_(exp.func("coalesce", exp.column("_c", "a"), exp.column("_c", "n")), "_c"),
                exp.alias_(exp.NEQ(this=exp.func("count", exp.column("_p", "a")),
                                   expression=exp.func("count", exp.column("_p", "n"))), "laenge")]
            counts = []
            for index in group:
                old, new = exp.column(f"w{index}", "a"), exp.column(f"w{index}", "n")
                up, down = f"auf{index}", f"ab{index}"
                per_case += [exp.alias_(exp.func("count_if", exp.GT(this=new, expression=old)), up),
                             exp.alias_(exp.func("count_if", exp.LT(this=new.copy(), expression=old.copy())), down)]
                rose = exp.GT(this=exp.column(up), expression=zero.copy())
                fell = exp.GT(this=exp.column(down), expression=zero.copy())
                counts += [exp.func("count_if", exp.or_(rose, fell, exp.column("laenge"))),
                           exp.func("count_if", rose.copy()), exp.func("count_if", fell.copy()),
                           exp.func("coalesce", exp.func("sum", exp.Add(this=exp.column(up),
                                                                        expression=exp.column(down))), zero.copy())]
            # only the element pairs that tell: one without the other, or a level not the same (the
            # others add nothing to any figure; grouping every element by its case took most of the time)
            telling = exp.or_(*[exp.Is(this=exp.column("_p", side), expression=exp.Null()) for side in "an"],
                              *[exp.NullSafeNEQ(this=exp.column(f"w{index}", "n"), expression=exp.column(
                                  f"w{index}", "a")) for index in group])
            pairs = exp.select(*per_case).from_(exp.to_table(self._element_table(0, scope)).as_("a")).join(
                exp.to_table(self._element_table(1, other)).as_("n"), join_type="full",
                on=exp.and_(exp.column("_c", "a").eq(exp.column("_c", "n")),
                            exp.column("_p", "a").eq(exp.column("_p", "n")))).where(telling).group_by(
                exp.Literal.number(1))
            query = exp.select(*counts).from_(pairs.subquery("p")).where(exp.column("_c").isin(query=evaluated.copy()))
            row = [int(number or 0) for number in _fetch(con, query)[0]]
            for at, index in enumerate(group):
                cases, ups, downs, elements = row[4 * at:4 * at + 4]
                found[index] = (cases, ups, downs, elements)
        return [found[index] for index in indexes]


@attrs.define
class _Figures:
    """What :meth:`_ColumnarRun._tally` found; :meth:`fill` writes it into a summary."""

    rows: int
    evaluated: int
    errors_old: int
    errors_new: int
    total_old: Decimal | None
    total_new: Decimal | None
    increased: int
    decreased: int
    minimum: Decimal | None
    maximum: Decimal | None
    quartiles: tuple[Decimal, Decimal, Decimal] | None = None
    largest: list[tuple[int, Decimal, Decimal]] = attrs.Factory(list)  # case number, old, new
    levels: list[tuple[int, int, int, int]] = attrs.Factory(list)  # cases, up, down, elements

    def fill(self, summary: Summary, idents: _Ids) -> None:
        """Write the figures into ``summary``; ``idents``: the ids of cases by their numbers."""
        summary.rows = self.rows
        summary.evaluated = self.evaluated
        summary.errors = self.rows - self.evaluated
        summary.errors_old, summary.errors_new = self.errors_old, self.errors_new
        for level, (cases, up, down, elements) in zip(summary.levels.values(), self.levels, strict=True):
            level.cases, level.up, level.down, level.elements = cases, up, down, elements
        if self.total_old is not None and self.total_new is not None:
            summary.total_old, summary.total_new = self.total_old, self.total_new
        summary.increased, summary.decreased = self.increased, self.decreased
        summary.unchanged = self.evaluated - self.increased - self.decreased
        summary.minimum, summary.maximum = self.minimum, self.maximum
        summary.quartiles = self.quartiles
        named = idents([index for index, _old, _new in self.largest])
        summary.largest = [(abs(_EXACT.subtract(new, old)), -index, name, old, new)
                           for (index, old, new), name in zip(self.largest, named, strict=True)]


_FETCHED = 2000  # rows per case fetched at a time (:meth:`_ColumnarRun._records`)


def _cases_query(count: int) -> Any:
    """``SELECT range AS _c FROM range(count)`` as the table ``i``: the cases, to join their figures to."""
    from sqlglot import exp

    return exp.select().from_(exp.select(exp.alias_(exp.column("range"), "_c")).from_(
        exp.Table(this=exp.func("range", exp.Literal.number(count)))).subquery("i"))


_UNWORDED = "der Fall hat kein Ergebnis"  # (a failed case always has its message: not met)


def _create(con: Any, name: str, query: Any, temporary: bool = True) -> None:
    """``CREATE TEMPORARY TABLE name AS query`` (replacing a table of that name); ``temporary``
    False: a table of the database, seen by each of its connections (a side's kept figures,
    made in the side's own connection)."""
    from sqlglot import exp

    con.execute(exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True).sql("duckdb"))
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    con.execute(exp.Create(this=exp.to_table(name), kind="TABLE", expression=query,
                           properties=properties).sql("duckdb"))


def _fetch(con: Any, query: Any) -> list[tuple[Any, ...]]:
    return list(con.execute(query.sql("duckdb")).fetchall())


# ---- output ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    kind = type(value)
    if kind is Decimal:
        return decimal_text(value)
    if kind is tuple:
        return _LIST_SEPARATOR.join(map(_text, value))
    if value is None:
        return ""
    return str(value)


def _delta(old: Any, new: Any) -> Any:
    if type(old) is Decimal and type(new) is Decimal:
        return _EXACT.subtract(new, old)
    if isinstance(old, tuple) and isinstance(new, tuple):
        if len(old) != len(new):
            return None
        return tuple(_delta(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, int) and isinstance(new, int) and not isinstance(old, bool):
        return new - old
    return None


def _shown(value: Any, field: Field) -> Any:
    """A figure of ``field`` as the rows show it: a share in percent (0.45 is 45 for „%“, as
    ``eval`` writes it), a list's figures each; any other as it is."""
    if not field.type.unit.percent:
        return value
    if type(value) is Decimal:
        return value.scaleb(2)
    if isinstance(value, tuple):
        return tuple(_shown(item, field) for item in value)
    return value


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return decimal_text(value)
    return value


_TABLES = ("xlsx", "parquet")  # written whole at the end, from rows kept as JSON arrays meanwhile


class _Formatter:
    """Per-case output rows: CSV (one column per figure and version, and the difference; plain,
    or ``csv-de`` for German Excel), JSON Lines (one object per case), or — for XLSX and
    Parquet, written when all rows are there — one JSON array of typed cells per case."""

    def __init__(self, fmt: str, chosen: list[Field], single: bool = False):
        self.fmt, self.fields = fmt, chosen
        self.single = single  # two values of one model: a failed case has one message
        self._columns = self._built_columns()  # (made once: each failed case's row is as wide)

    def columns(self) -> tuple[Column, ...]:
        return self._columns

    def _built_columns(self) -> tuple[Column, ...]:
        out = [Column("fall"), Column("status"), Column("fehler")]
        for f in self.fields:
            listed = bool(f.scope) and f.kind != "budget"
            kind = ("ganzzahlliste" if f.kind == "stufe" else "liste") if listed else (
                "ganzzahl" if f.kind == "stufe" else "zahl")
            out += [Column(f"{f.name}.alt", f.unit, kind), Column(f"{f.name}.neu", f.unit, kind)]
            if f.kind != "stufe":
                out.append(Column(f"{f.name}.differenz", f.unit, kind))
        return tuple(out)

    def header(self) -> str:
        if self.fmt not in ("csv", "csv-de"):
            return ""
        names = [column.header for column in self.columns()]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n", delimiter=";" if self.fmt == "csv-de" else ",").writerow(names)
        return ("\ufeff" if self.fmt == "csv-de" else "") + buffer.getvalue()

    def writer(self, buffer: io.StringIO) -> Any:
        if self.fmt == "csv":
            out = csv.writer(buffer, lineterminator="\n")
            return lambda record: out.writerow(self.csv_cells(record))
        if self.fmt == "csv-de":
            german = csv.writer(buffer, lineterminator="\n", delimiter=";")
            return lambda record: german.writerow([csv_cell(value, True) for value in self.cells(record)])
        if self.fmt in _TABLES:
            return lambda record: buffer.write(
                json.dumps([_json_value(value) for value in self.cells(record)], ensure_ascii=False) + "\n")
        return lambda record: buffer.write(json.dumps(self.json_object(record), ensure_ascii=False) + "\n")

    def cells(self, record: _Record) -> list[Any]:
        """The row of a case as values (Decimal, int, tuples of these, text, None)."""
        if not record.ok or record.old is None or record.new is None:
            if self.single:
                return [record.id, "fehler", record.error_old or record.error_new or "",
                        *([None] * (len(self.columns()) - 3))]
            errors = "; ".join(
                f"{side}: {text}" for side, text in (("alt", record.error_old), ("neu", record.error_new)) if text
            )
            return [record.id, "fehler", errors, *([None] * (len(self.columns()) - 3))]
        cells: list[Any] = [record.id, "ok", None]
        for f in self.fields:
            before, after = _shown(record.old[f.name], f), _shown(record.new[f.name], f)
            cells += [before, after]
            if f.kind != "stufe":
                cells.append(_delta(before, after))
        return cells

    def csv_cells(self, record: _Record) -> list[str]:
        if not record.ok or record.old is None or record.new is None:
            return [_text(value) for value in self.cells(record)[:3]]
        return [_text(value) for value in self.cells(record)]

    def table(self, lines: Iterable[str]) -> Sheet:
        """The rows kept as JSON arrays (:meth:`writer`), typed again by the columns."""
        columns = self.columns()

        def typed(value: Any, column: Column) -> Any:
            if value is None or column.kind == "text":
                return value
            if isinstance(value, list):
                inner = "ganzzahl" if column.kind == "ganzzahlliste" else "zahl"
                return tuple(typed(item, Column("", kind=inner)) for item in value)
            return int(value) if column.kind == "ganzzahl" else Decimal(value)

        rows = ([typed(value, column) for value, column in zip(json.loads(line), columns, strict=True)]
                for line in lines if line.strip())
        return Sheet("Fälle", columns, rows)

    def json_object(self, record: _Record) -> dict[str, Any]:
        if not record.ok or record.old is None or record.new is None:
            if self.single:
                error = record.error_old or record.error_new
                return {"fall": record.id, "status": "fehler", "fehler": {"modell": error}}
            errors = {side: text for side, text in (("alt", record.error_old), ("neu", record.error_new)) if text}
            return {"fall": record.id, "status": "fehler", "fehler": errors}
        levels, figures = {}, {}
        for f in self.fields:
            before, after = _shown(record.old[f.name], f), _shown(record.new[f.name], f)
            if f.kind == "stufe":
                levels[f.name] = {"alt": _json_value(before), "neu": _json_value(after)}
            else:
                figures[f.name] = {"alt": _json_value(before), "neu": _json_value(after),
                                   "differenz": _json_value(_delta(before, after)), "einheit": f.unit}
        return {"fall": record.id, "status": "ok", "stufen": levels, "werte": figures}


def _output_format(out: str | Path | TextIO | None, out_format: str | None) -> str:
    """The format of the per-case rows: given, or by the file's extension (a FormatError if
    neither names one of csv, csv-de, jsonl, xlsx, parquet)."""
    if out is None:
        return ""
    if not isinstance(out, (str, Path)):
        return format_of(None, out_format or "jsonl", ("csv", "csv-de", "jsonl"))
    return format_of(out, out_format)


def summary_rows(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """A summary (:meth:`Summary.to_dict`) as (label, value) rows, numbers as Decimals."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        label = f"{prefix}{key}"
        if isinstance(value, dict):
            out += summary_rows(value, label + ".")
        elif isinstance(value, list):
            for number, item in enumerate(value, start=1):
                out += summary_rows(item, f"{label}[{number}].") if isinstance(item, dict) else [(label, item)]
        elif isinstance(value, str) and key != "version" and _NUMBER_TEXT.fullmatch(value):
            out.append((label, Decimal(value)))
        else:
            out.append((label, value))
    return out


_NUMBER_TEXT = re.compile(r"-?\d+(\.\d+)?")


class _Rows:
    """Where per-case rows go."""

    def write(self, text: str, tallies: list[_Tally], rows: int, seconds: float) -> None:
        raise NotImplementedError

    def finish(self, summary: Summary) -> None:
        """Every row is written."""

    def close(self) -> None:
        """Stop writing (after :meth:`finish`, or when the run ends early)."""


class _StreamRows(_Rows):
    """Rows to an open text stream (the caller's: flushed, not closed)."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str, tallies: list[_Tally], rows: int, seconds: float) -> None:
        self.stream.write(text)

    def close(self) -> None:
        self.stream.flush()


STATE_SUFFIX = ".stand"  # after PARTIAL_SUFFIX: the state of a partial output


def state_path(partial: Path) -> Path:
    """The state file beside the partial output ``partial`` (:class:`_RowFile`)."""
    return partial.with_name(partial.name + STATE_SUFFIX)
_STATE_VERSION = 1


@attrs.frozen
class _Restored:
    """What an interrupted run left: the tallies of its rows, the bytes of the partial file
    that hold them, the time it took, and how much of the state file is intact."""

    tallies: list[_Tally]
    size: int
    seconds: float
    state_size: int


class _RowFile(_Rows):
    """Rows to a file: written to ``<name>.unvollständig`` and renamed to ``<name>`` when all are
    written (:class:`~teilhabe_rules.atomic.AtomicFile`).

    Next to the partial file, ``<name>.unvollständig.stand`` records the run: a first line with
    the identity of the comparison (:func:`_run_identity`) and its digest, then after each batch
    one line with the rows and bytes written so far, the time taken and the batch's tallies. A
    batch's line is appended only after its rows have reached the operating system, so the last
    complete line always describes a prefix of the partial file: a resumed run cuts the partial
    file there, replays the tallies into the summary and goes on with the next row."""

    def __init__(self, target: Path, run: dict[str, Any], table: _Formatter | None = None):
        self.target = target
        self.table = table  # XLSX or Parquet: written from the partial file's rows at the end
        self.partial = partial_path(target)
        self.state_path = state_path(self.partial)
        self.run = run
        self.digest = hashlib.sha256(json.dumps(run, sort_keys=True).encode("ascii")).hexdigest()
        self.rows: AtomicFile | None = None
        self.state: IO[bytes] | None = None

    # -- an interrupted run --

    def restore(self) -> _Restored | None:
        """The rows an interrupted run of the same comparison left, or None if there are none:
        no partial file, or its state unreadable or malformed (a first line that is no state of
        this library's format, no intact progress line) — the comparison then starts again. A
        progress line that does not fit (rows not counted on, bytes outside the partial file,
        a malformed tally) ends what is taken over, as a line cut off does. A partial file of
        another comparison is a CaseError."""
        try:
            if not self.partial.is_file():
                return None
            lines = self.state_path.read_bytes().split(b"\n")
            size = self.partial.stat().st_size
        except OSError:
            return None
        head = _state_record(lines[0])
        if head is None or head.get("stand") != _STATE_VERSION:
            return None
        stored = head.get("lauf")
        if not isinstance(stored, dict):
            return None
        if head.get("kennung") != self.digest:
            self._mismatch(stored)
        tallies: list[_Tally] = []
        last: tuple[int, float] | None = None  # bytes and seconds of the last intact line
        state_size = len(lines[0]) + 1
        for line in lines[1:-1]:  # the part after the last line end is incomplete
            point = _state_record(line)
            if point is None:
                break
            rows: Any = point.get("zeilen")
            written: Any = point.get("bytes")
            seconds: Any = point.get("sekunden")
            items: Any = point.get("fälle")
            if (not _is_int(rows) or not _is_int(written) or not isinstance(items, list)
                    or not _is_seconds(seconds)):
                break
            if not (last[0] if last else 0) <= written <= size:
                break
            try:
                batch = [_decode_tally(item) for item in items]
            except (ValueError, TypeError, KeyError, IndexError, decimal.InvalidOperation):
                break
            if rows != len(tallies) + len(batch):
                break
            tallies.extend(batch)
            last = (written, float(seconds))
            state_size += len(line) + 1
        if last is None:
            return None
        return _Restored(tallies, last[0], last[1], state_size)

    def _mismatch(self, stored: dict[str, Any]) -> None:
        labels = {"bibliothek": "die Version der Bibliothek", "alt": "das alte Modell",
                  "neu": "das neue Modell", "population": "die Population",
                  "optionen": "die Optionen (Format, Werte, Budget, Stichtage, Vereinbarungen)",
                  "figuren": "die verglichenen Werte (--alt/--neu)"}
        if "figuren" in self.run:  # one model
            labels.update(alt="das Modell", neu="das Modell",
                          optionen="die Optionen (Format, Stichtag, Vereinbarung)")
        changed = list(dict.fromkeys(label for key, label in labels.items()
                                     if stored.get(key) != self.run.get(key)))
        changed = changed or ["der Lauf"]
        plural = changed[0].startswith(("die Optionen", "die verglichenen Werte"))
        verb = "ist" if len(changed) == 1 and not plural else "sind"
        raise CaseError(Diagnostic(
            f"„{self.partial}“ stammt aus einem anderen Vergleich: {', '.join(changed)} {verb} "
            "anders als beim abgebrochenen Lauf", code="fortsetzen",
            hint="fortsetzen lässt sich nur derselbe Vergleich; ohne --fortsetzen beginnt er von "
                 "vorn (und ersetzt die unvollständige Ausgabe)"))

    # -- writing --

    def open(self, header: str) -> None:
        """Start from the beginning (replacing a partial file and state left before)."""
        self.state = self._open_state(None)
        try:
            self._append({"stand": _STATE_VERSION, "kennung": self.digest, "lauf": self.run})
            self.rows = AtomicFile(self.target, keep=True)
        except BaseException:
            self.state.close()
            self.state_path.unlink(missing_ok=True)  # a state without its partial file: none
            raise
        self.write(header, [], 0, 0.0)

    def open_again(self, restored: _Restored) -> None:
        """Go on after the rows of ``restored`` (what follows them is cut off)."""
        self.state = self._open_state(restored.state_size)
        try:
            self.rows = AtomicFile(self.target, resume_at=restored.size, keep=True)
        except BaseException:
            self.state.close()
            raise

    def _open_state(self, keep: int | None) -> IO[bytes]:
        """The state file, created afresh (``keep`` None) or cut to its first ``keep`` bytes;
        never through a symbolic link (:func:`~teilhabe_rules.atomic.open_partial`)."""
        try:
            handle = open_partial(self.state_path, resume=keep is not None)
        except OSError as exc:
            raise self._failure(exc) from None
        if keep is not None:
            try:
                handle.truncate(keep)
                handle.seek(keep)
            except OSError as exc:
                handle.close()
                raise self._failure(exc) from None
        return handle

    def _failure(self, exc: OSError) -> CaseError:
        reason = write_problem(exc)
        if exc.errno == errno.ELOOP:
            reason = "die Datei ist ein symbolischer Link (er wird nicht verfolgt)"
        if exc.errno == errno.ENOENT:  # (the folder of the output is missing: the output is named)
            return CaseError(Diagnostic(f"„{self.target}“ lässt sich nicht schreiben: {reason}", code="ausgabe",
                                        hint="lege den Ordner an, oder gib mit --out einen vorhandenen an"))
        return CaseError(Diagnostic(f"„{self.state_path}“ lässt sich nicht schreiben: {reason}",
                                    code="ausgabe"))

    def _append(self, record: dict[str, Any]) -> None:
        assert self.state is not None
        try:
            # ASCII JSON: any id survives, even a file name with undecodable bytes
            self.state.write(json.dumps(record, sort_keys=True).encode("ascii") + b"\n")
            self.state.flush()
        except OSError as exc:
            raise self._failure(exc) from None

    def write(self, text: str, tallies: list[_Tally], rows: int, seconds: float) -> None:
        assert self.rows is not None
        self.rows.write(text)
        self.rows.flush()  # the rows reach the system before the state says they are written
        self._append({"zeilen": rows, "bytes": self.rows.size, "sekunden": round(seconds, 6),
                      "fälle": [_encode_tally(t) for t in tallies]})

    def finish(self, summary: Summary) -> None:
        assert self.rows is not None and self.state is not None
        if self.table is None:
            self.rows.commit()
        else:
            self.rows.flush()
            self.rows.handle.close()
            staging = self.partial.with_name(self.partial.name + "." + self.table.fmt)
            with self.partial.open(encoding="utf-8") as lines:
                sheet = self.table.table(lines)
                if self.table.fmt == "xlsx":
                    write_tables(self.target, [sheet], summary_rows(summary.to_dict()), staging=staging)
                else:
                    write_table(self.target, sheet, "parquet", staging=staging)
            self.partial.unlink(missing_ok=True)
        self.state.close()
        self.state_path.unlink(missing_ok=True)

    def close(self) -> None:
        if self.rows is not None and not self.rows.handle.closed:
            self.rows.close()  # the partial file stays, to be resumed
        if self.state is not None and not self.state.closed:
            self.state.close()


def _encode_tally(tally: _Tally) -> list[Any]:
    ident, failed_old, failed_new, levels, old_value, new_value = tally
    return [ident, int(failed_old), int(failed_new),
            [[up, down, int(changed)] for up, down, changed in levels],
            None if old_value is None else str(old_value),
            None if new_value is None else str(new_value)]


def _decode_tally(item: list[Any]) -> _Tally:
    """A tally as :func:`_encode_tally` wrote it; anything else is a ValueError (or TypeError,
    KeyError, IndexError, decimal.InvalidOperation)."""
    ident, failed_old, failed_new, levels, old_value, new_value = item
    return (str(ident), bool(failed_old), bool(failed_new),
            tuple((int(up), int(down), bool(changed)) for up, down, changed in levels),
            None if old_value is None else _finite(old_value),
            None if new_value is None else _finite(new_value))


def _finite(text: Any) -> Decimal:
    if not isinstance(text, str):
        raise TypeError(text)
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError(text)
    return value


def _state_record(line: bytes) -> dict[str, Any] | None:
    """A line of a state file as the object it holds, or None (not JSON, nested too deep,
    not an object)."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _is_int(value: Any) -> bool:
    return type(value) is int and value >= 0


def _is_seconds(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and value >= 0


def _take_over(restored: _Restored, rows: Population, batch: _Batch, summary: Summary,
               diffs: list[Decimal]) -> None:
    """Replay the tallies of an interrupted run into ``summary`` and skip their rows of the
    population (each must have the same id)."""
    for tally in restored.tallies:
        row = next(rows, None)
        if row is None or row.id != tally[0]:
            there = f"„{row.id}“" if row is not None else "nichts mehr"
            raise CaseError(Diagnostic(
                f"Die unvollständige Ausgabe passt nicht zur Population: dort folgt „{tally[0]}“, "
                f"in der Population {there}", code="fortsetzen",
                hint="ohne --fortsetzen beginnt der Vergleich von vorn"))
        if tally[4] is not None and len(tally[3]) != len(batch.packages):
            message = "Die unvollständige Ausgabe passt nicht zu den Paketen der Modelle"
            raise CaseError(Diagnostic(message, code="fortsetzen"))
        _account(summary, tally, summary.rows, diffs)
        summary.rows += 1
    summary.seconds = restored.seconds
    summary.resumed = summary.rows


def _run_identity(old: Model, new: Model, population: str | Path, agreed: tuple[Any, Any],
                  at: tuple[_dt.date | None, _dt.date | None], chosen: list[Field],
                  fmt: str, reading: dict[str, str | None]) -> dict[str, Any]:
    """What makes two runs of a comparison the same: the library's version, the models (their
    files' texts), the population (its content), the options."""
    run: dict[str, Any] = {
        "bibliothek": __version__,
        "alt": _model_identity(old),
        "neu": _model_identity(new),
        "population": _population_identity(Path(population)),
        "optionen": {
            "format": fmt,
            "werte": [f.name for f in chosen],
            "stichtage": [date.isoformat() if date else None for date in at],
            "vereinbarungen": [_agreement_identity(agreement) for agreement in agreed],
        },
    }
    given = {key: value for key, value in reading.items() if value is not None}
    if given:  # (absent when nothing is given: the identity of such runs is as before)
        run["optionen"]["eingabe"] = given
    return run


def _model_identity(model: Model) -> str:
    """The model's name and version and a digest of its rule files (for a model from text: of
    the checked model)."""
    info = model.info
    digest = hashlib.sha256()
    try:
        if model.path is None:
            raise OSError
        files: list[str | Path] = [model.path, *info.base_files]
        for file in files:
            digest.update(Path(file).read_bytes() + b"\0")
    except OSError:
        digest = hashlib.sha256(repr(model.checked).encode("utf-8", "backslashreplace"))
    return f"{info.name} {info.version or ''} {digest.hexdigest()}"


def _readable_twice(path: Path) -> None:
    """Refuse a population file that is no regular file (a FIFO, a device): a comparison reads
    its population more than once (whether each case has one element, the run's identity, the
    rows), and a second reading of a FIFO would wait for a writer that is gone."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return  # absent or unreadable: reading it says why
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise CaseError(Diagnostic(
            f"Die Population „{path}“ ist keine gewöhnliche Datei: ein Vergleich liest sie mehr als einmal",
            hint="schreibe sie zuerst in eine Datei (eval-many liest eine Population nur einmal)", code="population"))


def _population_identity(path: Path) -> str:
    """A digest of the population: the file's bytes, or the names and bytes of a directory's
    case files (a file that is no regular one, a FIFO say, by what it is: it is read once, by
    the comparison)."""
    digest = hashlib.sha256()
    try:
        if path.is_dir():
            for file in case_files(path):
                digest.update(file.name.encode("utf-8", "backslashreplace") + b"\0")
                if links_out(file, path):  # (a link leading out of the directory: an error row, never read)
                    digest.update(b"\0hinaus\0")
                    continue
                _hash_entry(digest, file)
        else:
            _hash_entry(digest, path)
    except OSError as exc:
        raise unreadable(path, exc) from None
    return digest.hexdigest()


def _hash_entry(digest: Any, path: Path) -> None:
    """A population file or a case file of a directory into ``digest``: its bytes, or — for one
    that is no regular file (a dangling link, a FIFO: opened without blocking, never read; a
    case file of a directory gives an error row) — a mark of what it is."""
    try:
        handle = os.open(path, READ_WITHOUT_BLOCKING)
    except OSError as exc:
        digest.update(f"\1{exc.errno}\0".encode("ascii"))
        return
    with os.fdopen(handle, "rb") as opened:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            digest.update(f"\2{stat.S_IFMT(mode)}\0".encode("ascii"))
            return
        while chunk := opened.read(_CHUNK):
            digest.update(chunk)
    digest.update(b"\0")


def _hash_file(digest: Any, path: Path) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    digest.update(b"\0")


def _agreement_identity(agreed: Any) -> str | None:
    """A digest of an agreement: its values, tables and validity (``gültig_ab``/``gültig_bis``)
    and, for one read from a file, the file's whole content."""
    if agreed is None:
        return None
    text = repr((agreed.parameters, agreed.tables, agreed.overridden, agreed.valid_from,
                 agreed.valid_to))
    digest = hashlib.sha256(text.encode("utf-8", "backslashreplace"))
    if agreed.source is not None:
        try:
            _hash_file(digest, Path(agreed.source))
        except OSError:
            digest.update(b"\0")  # (read when loaded; gone since: its values stand for it)
    return digest.hexdigest()


# ---- synthetic populations ---------------------------------------------------------------------


GENERATE_FORMATS = ("jsonl", "csv", "csv-de", "xlsx", "parquet")  # besides a directory of TOML files
GENERATE_METHODS = ("spaltenweise", "hypothesis")  # DuckDB (Parquet, JSON Lines) or the hypothesis sampler


def generate_population(model: Model, n: int, seed: int, out: str | Path | TextIO, split: str | None = None,
                        fmt: str | None = None, method: str | None = None) -> int:
    """Write ``n`` generated cases of ``model`` (:func:`teilhabe_rules.tools.strategies.sample_cases`,
    the same for the same seed) to ``out``: a directory (one TOML file per case), or a file or an
    open text stream in ``fmt`` (:data:`GENERATE_FORMATS`; default by the file's suffix, JSON
    Lines on a stream): ``jsonl`` one case per line; ``csv``, ``csv-de``, ``xlsx``, ``parquet`` a
    table in the flat layout the population reader reads (:func:`teilhabe_rules.inputs.tabular.flatten`:
    a column ``fall`` numbering the cases, one row per list element), with the conventions of
    :mod:`teilhabe_rules.tools.export` (``csv-de``: ``;``, decimal comma, BOM, ``TT.MM.JJJJ``;
    Parquet: exact DECIMAL). JSON Lines and CSV are written row by row; XLSX and Parquet are
    built in memory. ``split``: a list on the model's top level; each generated case then gives
    one case per element of that list (for MAWo, ``bewohner``: an offer with one resident — a
    person case), and each such case is checked by evaluating it. Returns the number of cases
    written.

    ``method`` (:data:`GENERATE_METHODS`): ``spaltenweise`` — the default for Parquet and JSON
    Lines (a file or a stream) — draws the cases in DuckDB
    (:func:`teilhabe_rules.tools.generate.write_population`: the same palettes, seeded by hashing,
    ≥ 100,000 cases/s; Parquet then holds one row per case with nested columns); ``hypothesis``
    draws them with :func:`~teilhabe_rules.tools.strategies.sample_cases` as described above
    (every other format: a directory, CSV, XLSX)."""
    if method is not None and method not in GENERATE_METHODS:
        raise ValueError(method)
    if split is not None:
        lists = [model.checked.scopes[sid].name for sid in model.checked.scopes[""].lists]
        if split not in lists:
            raise CaseError(Diagnostic(
                f"„{split}“ ist keine Liste auf der obersten Ebene von „{model.name}“", code="population",
                hint="Listen: " + ", ".join(lists) if lists else "das Modell hat keine Listen",
            ))
    table = generated_format(out, fmt)
    columnar = table == "parquet" or (table is None and (not isinstance(out, (str, Path)) or fmt == "jsonl"
                                                          or Path(out).suffix.lower() in (".jsonl", ".ndjson")))
    if method == "spaltenweise" and not columnar:
        raise CaseError(Diagnostic("spaltenweise erzeugte Fälle werden als Parquet oder JSON Lines geschrieben",
                                   code="ausgabe", hint="--format parquet oder jsonl, oder --verfahren hypothesis"))
    if columnar and method != "hypothesis":
        from .generate import write_population

        ascii_only = not isinstance(out, (str, Path)) and not _holds_unicode(out)
        return write_population(model, n, seed, out, "parquet" if table == "parquet" else "jsonl", split=split,
                                ascii_only=ascii_only)
    from .strategies import GeneratorError, sample_cases

    if split:
        cases = _split_cases(model, sample_cases(model, max(n, 1) * 10 + 10, seed), split)
    else:
        cases = sample_cases(model, n, seed)
    if table is not None:
        counter = [0]
        try:
            _write_flat(model, itertools.islice(cases, n), out, table, counter)
        except GeneratorError as exc:
            raise CaseError(Diagnostic(str(exc), code="population")) from None
        return counter[0]
    sink = _Sink(out, n, jsonl=fmt == "jsonl")
    written = 0
    try:
        for case in cases:
            if written >= n:
                break
            sink.write(written + 1, case)
            written += 1
        sink.finish()
    except GeneratorError as exc:
        raise CaseError(Diagnostic(str(exc), code="population")) from None
    finally:
        sink.close()
    return written


def generated_format(out: str | Path | TextIO, fmt: str | None) -> str | None:
    """The table format ``generate`` writes to ``out`` (``csv``, ``csv-de``, ``xlsx``,
    ``parquet``), or None for JSON Lines or a directory of TOML files; a
    :class:`~teilhabe_rules.tools.export.FormatError` (German) for an unknown format or suffix,
    or a binary format on a stream."""
    from .export import FORMATS, FormatError, format_of

    if fmt is not None and fmt not in GENERATE_FORMATS:
        raise FormatError(Diagnostic(f"unbekanntes Format „{fmt}“ (möglich: {', '.join(GENERATE_FORMATS)})",
                                     code="ausgabe"))
    if not isinstance(out, (str, Path)):
        if fmt in ("xlsx", "parquet"):
            raise FormatError(Diagnostic(f"--format {fmt} wird in eine Datei geschrieben (--out DATEI)",
                                         code="ausgabe"))
        return None if fmt in (None, "jsonl") else fmt
    path = Path(out)
    if path.is_dir() and fmt is not None:
        raise FormatError(Diagnostic(f"„{path}“ ist ein Verzeichnis: --format {fmt} schreibt eine Datei",
                                     code="ausgabe"))
    if fmt is None and (not path.suffix or path.is_dir()):
        return None  # a directory of TOML files
    if fmt is None and path.suffix.lower() == ".ndjson":
        return None
    chosen = format_of(path, fmt, tuple(f for f in FORMATS if f in GENERATE_FORMATS))
    return None if chosen == "jsonl" else chosen


def flat_columns(model: Model) -> list[Any]:
    """The columns of ``model``'s cases in the flat layout
    (:func:`teilhabe_rules.inputs.tabular.flatten`): ``fall``, the case's inputs, then each list's
    (``bewohner[].kuerzel``, ``bewohner[].massnahmen[].stunden``), typed for the writers of
    :mod:`teilhabe_rules.tools.export`."""
    from ..inputs.tabular import KEY
    from ..ir.checked import TypeKind
    from ..paths import format_path
    from .export import Column

    checked = model.checked
    columns = [Column(KEY, kind="ganzzahl")]

    def kind(spec: Any) -> str:
        vtype = spec.type
        if vtype.kind in (TypeKind.ZAHL, TypeKind.ENUM) and vtype.integer:
            return "ganzzahl"
        if vtype.kind == TypeKind.ZAHL:
            return "zahl"
        return {TypeKind.JA_NEIN: "ja_nein", TypeKind.DATUM: "datum"}.get(vtype.kind, "text")

    def walk(scope_id: str, prefix: str) -> None:
        scope = checked.scopes[scope_id]
        for spec in scope.inputs:
            columns.append(Column(prefix + format_path(spec.path), kind=kind(spec)))
        for child in scope.lists:
            walk(child, f"{prefix}{checked.scopes[child].name}[].")

    walk("", "")
    return columns


def _write_flat(model: Model, cases: Iterable[dict[str, Any]], out: str | Path | TextIO, fmt: str,
                counter: list[int]) -> None:
    """The cases as one table in the flat layout (rows made as the writer takes them)."""
    from ..inputs.tabular import flatten
    from .export import Sheet, write_table

    columns = flat_columns(model)
    names = {column.name: index for index, column in enumerate(columns)}
    plain = fmt == "csv"  # the case loader reads ja/nein in a text cell (not the plain profile's true/false)

    def rows() -> Iterator[list[Any]]:
        for number, case in enumerate(cases, start=1):
            try:
                flat = flatten(case, number)
            except ValueError as exc:
                raise CaseError(Diagnostic(f"Fall {number}: {exc}", code="population")) from None
            for row in flat:
                cells: list[Any] = [None] * len(columns)
                for name, value in row.items():
                    index = names.get(name)
                    if index is None:
                        raise CaseError(Diagnostic(f"Fall {number}: „{name}“ ist keine Eingabe von „{model.name}“",
                                                   code="population"))
                    cells[index] = ("ja" if value else "nein") if plain and isinstance(value, bool) else value
                yield cells
            counter[0] = number

    write_table(out, Sheet("Fälle", tuple(columns), rows()), fmt)


def _split_cases(model: Model, cases: Iterable[dict[str, Any]], split: str) -> Iterator[dict[str, Any]]:
    for case in cases:
        for element in case.get(split) or ():
            single = dict(case)
            single[split] = [element]
            try:
                model.evaluate(single)
            except TeilhabeError:
                continue  # a check across elements no longer holds for one element alone: skipped
            yield single


def _jsonable(value: Any) -> Any:
    """Case data as JSON values that read back to the same data (decimals exactly)."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        number = float(value)
        return number if Decimal(repr(number)) == value else format(value, "f")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


class _Sink:
    """Where generated cases go: JSON Lines (a file, written atomically, or a stream) or a
    directory of TOML files (each written atomically)."""

    def __init__(self, out: str | Path | TextIO, n: int, jsonl: bool = False):
        self.folder: Path | None = None
        self.file: AtomicFile | None = None
        self.stream: TextIO | None = None
        self.width = max(4, len(str(n)))
        self.ascii = False
        if not isinstance(out, (str, Path)):
            self.stream = out
            self.ascii = not _holds_unicode(out)  # JSON escapes keep any text on such a console
            return
        path = Path(out)
        if path.suffix and path.suffix.lower() not in (".jsonl", ".ndjson") and not path.is_dir() and not jsonl:
            raise CaseError(Diagnostic(
                f"„{path}“: das Ziel ist ein Verzeichnis (eine TOML-Datei je Fall) oder eine .jsonl-Datei",
                code="population",
            ))
        if jsonl or path.suffix.lower() in (".jsonl", ".ndjson"):
            self.file = AtomicFile(path)
            return
        try:
            path.mkdir(parents=True, exist_ok=True)
            earlier = len(case_files(path))
        except OSError as exc:
            raise CaseError(Diagnostic(
                f"„{path}“ lässt sich nicht schreiben: {write_problem(exc)}", code="population"
            )) from None
        if earlier:  # its cases and the new ones would be one population: cases nobody drew among them
            raise CaseError(Diagnostic(
                f"„{path}“ enthält schon {earlier} Falldatei{'en' if earlier > 1 else ''}: eine erzeugte "
                "Population kommt in ein Verzeichnis ohne Fälle",
                hint="wähle ein neues Verzeichnis (oder leere dieses)", code="population"))
        self.folder = path

    def write(self, number: int, case: dict[str, Any]) -> None:
        if self.folder is None:
            line = json.dumps(_jsonable(case), ensure_ascii=self.ascii) + "\n"
            (self.file or self.stream).write(line)  # type: ignore[union-attr]
            return
        from ..toml_writer import dumps

        write_atomic(self.folder / f"fall_{number:0{self.width}d}.toml", dumps(case))

    def finish(self) -> None:
        if self.file is not None:
            self.file.commit()

    def close(self) -> None:
        if self.file is not None and not self.file.handle.closed:
            self.file.close()  # not finished: the partial file is removed
        if self.stream is not None:
            self.stream.flush()


def _holds_unicode(stream: TextIO) -> bool:
    """Whether ``stream`` takes any text: it has no encoding (a StringIO) or a UTF encoding."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False
