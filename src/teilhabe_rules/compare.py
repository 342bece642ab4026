"""The budget comparison of a population under two model versions.

Takes: an old and a new :class:`~teilhabe_rules.model.Model`, a population of cases — a
directory of TOML (or JSON) case files, a JSON Lines file (one case per line), or a CSV file with
one row per case whose columns are input paths (``lp2a.kap4``; for models with lists at the root
``bewohner[1].lp2a.kap4``) — and optionally an agreement per version and a reference date per
version. Gives: per case one output row of deltas (CSV or JSON Lines) and a :class:`Summary`.

Streaming: cases are read, evaluated under both versions and written one at a time; what is kept
is the summary — counts, sums, the ten largest changes and one 8-byte float per case for the
quartiles of the budget differences.

A case that fails under either version becomes an error row with its message; nothing is dropped:
``ausgewertet + fehler`` is the number of input rows.

What is compared per case (:func:`fields`):

- the level of every package with levels in both versions (``bewohner[].lp2a.stufe``; a value in
  a list is given for every element, in CSV joined with ``;``);
- the budget: the value the models name in their header (``budget PFAD``), or ``budget=…``;
- values: by default every value on the model's top level (outside packages) with the same name
  and unit in both versions whose unit counts hours, staff (VK) or money; ``values="alle"``: every
  numeric value with the same name and unit, in packages and lists too; or a list of names.
"""

from __future__ import annotations

import array
import csv
import datetime as _dt
import decimal
import heapq
import io
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TextIO

import attrs

from .paths import parse_path, set_path
from . import checked as c
from .errors import CaseError, CheckError, Diagnostic, Location, TeilhabeError, ValidityError, did_you_mean
from .model import Model
from .results import format_value

__all__ = ["Field", "PopulationRow", "Summary", "compare", "fields", "read_population"]

_LIST_SEPARATOR = "; "
_EXACT = decimal.Context(prec=100)  # sums and differences of the summary: exact for any population


# ---- the population ------------------------------------------------------------------------


@attrs.frozen
class PopulationRow:
    """One case of a population: its id (file name or ``Zeile N``), its data or file, or why it
    could not be read."""

    id: str
    data: Any = None
    error: str | None = None
    raw: str | None = None  # a JSON line, decoded where the case is evaluated


def read_population(path: str | Path) -> Iterator[PopulationRow]:
    """The cases of a population, one at a time (see the module docstring for the formats)."""
    path = Path(path)
    if path.is_dir():
        for file in sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".toml", ".json")):
            yield PopulationRow(file.name, file)
        return
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".ndjson", ".csv"):
        raise CaseError(Diagnostic(f"„{path}“ ist keine Population: erwartet ein Verzeichnis von TOML-Dateien, "
                                   "eine JSON-Lines-Datei (.jsonl) oder eine CSV-Datei (.csv)", code="population"))
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CaseError(Diagnostic(f"Die Population lässt sich nicht lesen: {exc.strerror or exc}", Location(str(path), 1, 1),
                                   code="population")) from None
    with handle:
        if suffix == ".csv":
            yield from _csv_rows(handle, str(path))
        else:
            yield from _jsonl_rows(handle)


def _jsonl_rows(handle: IO[str]) -> Iterator[PopulationRow]:
    try:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue  # an empty line is no row
            yield PopulationRow(f"Zeile {number}", raw=line)
    except UnicodeDecodeError:
        yield PopulationRow("Datei", error="Die Population ist nicht in UTF-8 geschrieben")


def _csv_rows(handle: IO[str], name: str) -> Iterator[PopulationRow]:
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (csv.Error, UnicodeDecodeError) as exc:
        raise CaseError(Diagnostic(f"Die Kopfzeile der CSV-Datei ist nicht lesbar: {exc}", Location(name, 1, 1), code="population")) from None
    columns = []
    for number, column in enumerate(header, start=1):
        try:
            columns.append(parse_path(column.strip()))
        except ValueError as exc:
            raise CaseError(Diagnostic(f"Spalte {number} „{column}“: {exc}", Location(name, 1, number), code="population",
                                       hint="Spalten heißen wie die Eingaben: plaetze, lp2a.kap4, bewohner[1].pflegegrad")) from None
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            yield PopulationRow(f"Zeile {reader.line_num}", error=f"die Zeile ist kein gültiges CSV: {exc}")
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            yield PopulationRow(f"Zeile {line}", error=f"die Zeile hat {len(cells)} Felder, die Kopfzeile {len(columns)}")
            continue
        data: dict[str, Any] = {}
        try:
            for steps, cell in zip(columns, cells):
                if cell.strip() == "":
                    continue  # an empty cell leaves the input out (its default applies)
                text = cell.strip()
                value: Any = json.loads(text, parse_float=Decimal) if text[:1] in "[{" else text
                set_path(data, steps, value, pad=True)
        except (ValueError, json.JSONDecodeError) as exc:
            yield PopulationRow(f"Zeile {line}", error=f"die Zeile lässt sich nicht lesen: {exc}")
            continue
        yield PopulationRow(f"Zeile {line}", data)


def count_rows(path: str | Path) -> int | None:
    """How many rows a population has (for the progress bar), or None if unknown."""
    path = Path(path)
    try:
        if path.is_dir():
            return sum(1 for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".toml", ".json"))
        with path.open("rb") as handle:
            lines = sum(1 for line in handle if line.strip())
        return lines - 1 if path.suffix.lower() == ".csv" else lines
    except OSError:
        return None


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


def fields(old: Model, new: Model, values: str | Sequence[str] | None = None, budget: str | None = None) -> list[Field]:
    """The figures compared for two versions: levels, the budget, and ``values``.

    ``values``: None (top-level hours, VK and money outside packages), ``"alle"`` (every numeric
    value with the same name and unit, in packages and lists too), ``"keine"``, or names
    (``bewohner[].tagessatz``)."""
    a, b = old.checked, new.checked
    out: list[Field] = []
    for pid, pkg in a.packages.items():
        other = b.packages.get(pid)
        if pkg.level_type is None or other is None or other.level_type is None:
            continue
        node = b.nodes[f"{pid}.stufe"]
        out.append(Field(_place(pkg.scope, f"{pkg.name}.stufe"), "stufe", pkg.scope, f"{pkg.name}.stufe", "", node.type))
    key = budget or ".".join(a.info.budget or ()) or None
    key_new = budget or ".".join(b.info.budget or ()) or None
    if key is None or key_new is None:
        missing = a.info if key is None else b.info
        raise CheckError(Diagnostic(f"Das Modell „{missing.name}“ nennt kein Budget", Location(missing.file, 1, 1),
                                    hint="ergänze im Modellkopf „budget PFAD“ (den Wert, der das Gesamtbudget eines Falls ist) "
                                         "oder gib --budget PFAD an", code="budget"))
    if key != key_new:
        raise CheckError(Diagnostic(f"Die Versionen nennen verschiedene Budgets: „{key}“ und „{key_new}“", code="budget",
                                    hint="gib mit --budget PFAD den Wert an, der in beiden das Gesamtbudget ist"))
    node_a, node_b = _root_value(a, key), _root_value(b, key)
    if node_a is None or node_b is None:
        missing = a.info if node_a is None else b.info
        raise CheckError(Diagnostic(f"Das Budget „{key}“ ist kein Wert auf oberster Ebene von „{missing.name}“",
                                    Location(missing.file, 1, 1), code="budget"))
    if str(node_a.type.unit) != str(node_b.type.unit):
        raise CheckError(Diagnostic(f"Das Budget „{key}“ hat verschiedene Einheiten: {node_a.type.unit} und {node_b.type.unit}",
                                    code="budget"))
    out.append(Field(key, "budget", "", key, str(node_a.type.unit), node_a.type))
    taken = {key}
    candidates = _numeric(a, b)
    if values is None:
        chosen = [f for f in candidates if f.scope == "" and "." not in f.key and any(atom in _atoms(f.unit) for atom in _COUNTED)]
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
                raise CheckError(Diagnostic(f"„{name}“ ist kein Wert, den beide Versionen mit derselben Einheit haben", code="werte",
                                            hint=did_you_mean(name, by_name) or "Werte in Listen heißen z. B. bewohner[].tagessatz"))
            chosen.append(by_name[name])
    out.extend(f for f in chosen if f.name not in taken)
    return out


def _atoms(unit: str) -> set[str]:
    return {part for part in unit.replace("/", " ").split()}


def _root_value(model: c.CheckedModel, key: str) -> c.Node | None:
    node = model.nodes.get(key)
    return node if node is not None and node.scope == "" and node.kind == "wert" and node.type.kind == "zahl" else None


def _numeric(a: c.CheckedModel, b: c.CheckedModel) -> list[Field]:
    out = []
    for nid in a.order:
        node = a.nodes[nid]
        other = b.nodes.get(nid)
        if node.kind != "wert" or node.type.kind != "zahl" or other is None or other.kind != "wert" or other.type.kind != "zahl":
            continue
        if str(node.type.unit) != str(other.type.unit):
            continue
        out.append(Field(_place(node.scope, node.key), "wert", node.scope, node.key, str(node.type.unit), node.type))
    return out


def _extract(row: dict[str, Any], scope: str, key: str) -> Any:
    """The value of ``key`` in ``scope``: one value on the top level, a tuple over the elements
    of a list (nested lists flattened in order)."""
    if not scope:
        return row.get(key)
    rows = [row]
    for name in scope.split("."):
        rows = [element for holder in rows for element in holder.get(name, ())]
    return tuple(element.get(key) for element in rows)


# ---- the comparison ---------------------------------------------------------------------------


@attrs.define
class _Level:
    cases: int = 0
    up: int = 0
    down: int = 0
    elements: int = 0


@attrs.define
class Summary:
    """What a comparison found. Sums are exact; quartiles come from float copies."""

    old: c.ModelInfo
    new: c.ModelInfo
    population: str
    budget: Field
    rows: int = 0
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
    quartiles: tuple[float, float, float] | None = None
    largest: list[tuple[Decimal, int, str, Decimal, Decimal]] = attrs.Factory(list)
    seconds: float = 0.0

    @property
    def difference(self) -> Decimal:
        return _EXACT.subtract(self.total_new, self.total_old)

    def to_dict(self) -> dict[str, Any]:
        unit = self.budget.unit
        money = _money if "EUR" in unit else _plain
        return {
            "alt": {"modell": self.old.name, "version": self.old.version, "datei": self.old.file},
            "neu": {"modell": self.new.name, "version": self.new.version, "datei": self.new.file},
            "population": self.population,
            "fälle": self.rows,
            "ausgewertet": self.evaluated,
            "fehler": self.errors,
            "fehler_alt": self.errors_old,
            "fehler_neu": self.errors_new,
            "stufenwechsel": {name: {"fälle": lv.cases, "höher": lv.up, "niedriger": lv.down, "elemente": lv.elements}
                              for name, lv in self.levels.items()},
            "budget": {"wert": self.budget.name, "einheit": unit, "alt": money(self.total_old), "neu": money(self.total_new),
                       "differenz": money(self.difference)},
            "verteilung": {
                "einheit": unit,
                "min": money(self.minimum) if self.minimum is not None else None,
                "q1": money(_dec(self.quartiles[0])) if self.quartiles else None,
                "median": money(_dec(self.quartiles[1])) if self.quartiles else None,
                "q3": money(_dec(self.quartiles[2])) if self.quartiles else None,
                "max": money(self.maximum) if self.maximum is not None else None,
                "gestiegen": self.increased,
                "gesunken": self.decreased,
                "unverändert": self.unchanged,
            },
            "größte_änderungen": [
                {"fall": ident, "alt": money(old), "neu": money(new), "differenz": money(new - old)}
                for _, _, ident, old, new in self.top()
            ],
            "sekunden": round(self.seconds, 3),
        }

    def top(self) -> list[tuple[Decimal, int, str, Decimal, Decimal]]:
        """The ten largest changes of the budget by amount, largest first (ties: input order)."""
        return sorted(self.largest, key=lambda item: (-item[0], -item[1]))

    def render_text(self) -> str:
        data = self.to_dict()
        unit = self.budget.unit
        lines = [
            f"Budgetvergleich {self.old.name} {self.old.version or ''} → {self.new.name} {self.new.version or ''}".replace("  ", " "),
            f"  Population: {self.population}",
            f"  Fälle: {self.rows} · ausgewertet: {self.evaluated} · Fehler: {self.errors}"
            f" (alt {self.errors_old}, neu {self.errors_new})",
            "",
            f"Budget ({self.budget.name}, {unit}), Summe über die ausgewerteten Fälle",
            f"  alt:       {_grouped(data['budget']['alt'])}",
            f"  neu:       {_grouped(data['budget']['neu'])}",
            f"  Differenz: {_grouped(data['budget']['differenz'], sign=True)}",
            "",
            "Verteilung der Differenz je Fall",
        ]
        dist = data["verteilung"]
        if self.evaluated:
            lines.append("  " + " · ".join(f"{label} {_grouped(dist[key], sign=True)}" for label, key in
                                             (("Min", "min"), ("Q1", "q1"), ("Median", "median"), ("Q3", "q3"), ("Max", "max"))))
            lines.append(f"  gestiegen: {self.increased} · gesunken: {self.decreased} · unverändert: {self.unchanged}")
        else:
            lines.append("  (kein Fall ausgewertet)")
        lines += ["", "Stufenwechsel je Paket (Fälle mit geänderter Stufe)"]
        changed = [(name, lv) for name, lv in self.levels.items() if lv.cases]
        if changed:
            lines.extend(f"  {name}: {lv.cases} Fälle (höher {lv.up}, niedriger {lv.down})" for name, lv in changed)
        else:
            lines.append("  keine")
        lines += ["", "Größte Änderungen des Budgets"]
        top = data["größte_änderungen"]
        if top:
            lines.extend(f"  {item['fall']}: {_grouped(item['alt'])} → {_grouped(item['neu'])} ({_grouped(item['differenz'], sign=True)})"
                         for item in top)
        else:
            lines.append("  keine")
        return "\n".join(lines) + "\n"


def _dec(value: float) -> Decimal:
    return Decimal(repr(value))


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _plain(value: Decimal) -> str:
    return format_value(value)


def _grouped(text: str | None, sign: bool = False) -> str:
    """``1234567.5`` → ``1.234.567,50`` (German grouping; text in, text out)."""
    if text is None:
        return "—"
    negative = text.startswith("-")
    digits = text.lstrip("+-")
    whole, _, fraction = digits.partition(".")
    groups = f"{int(whole):,}".replace(",", ".")
    out = groups + ("," + fraction if fraction else "")
    if negative:
        return "−" + out
    return ("+" + out) if sign and any(ch not in "0.," for ch in out) else out


def compare(
    old: Model,
    new: Model,
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
) -> Summary:
    """Evaluate every case of ``population`` under ``old`` and ``new`` and write per-case deltas
    to ``out`` (``.csv`` or ``.jsonl``, or an open text stream with ``out_format``); returns the
    :class:`Summary`. ``progress``: a stream for a progress bar (shown only on a terminal).

    One process: on two cores a second one gained under a tenth (see benchmarks/bench_compare.py),
    not worth its complexity."""
    for model, at, which in ((old, at_old, "alte"), (new, at_new, "neue")):
        if model.needs_date and at is None:
            flag = "--at-old" if which == "alte" else "--at-new"
            raise ValidityError(Diagnostic(
                f"Das {which} Modell „{model.name}“ hat Parameter mit Werten je Zeitraum und keine Eingabe „stichtag“",
                hint=f"gib den Stichtag an: --at TT.MM.JJJJ oder {flag} TT.MM.JJJJ", code="gültigkeit"))
    agreed_old = old.load_agreement(agreement_old) if agreement_old is not None else None
    agreed_new = new.load_agreement(agreement_new) if agreement_new is not None else None
    chosen = fields(old, new, values, budget)
    budget_field = next(f for f in chosen if f.kind == "budget")
    summary = Summary(old.info, new.info, str(population), budget_field)
    packages = [f.name for f in chosen if f.kind == "stufe"]
    for name in packages:
        summary.levels[name.rsplit(".stufe", 1)[0]] = _Level()
    rows = read_population(population)  # opens the population: a missing file fails here, before any output
    tty = progress is not None and _is_tty(progress)
    bar = _Progress(progress, count_rows(population)) if tty and progress is not None else None
    stream, fmt, owned = _output(out, out_format)
    batch = _Batch(_Evaluator(old, new, agreed_old, agreed_new, at_old, at_new, chosen),
                   _Formatter(fmt, chosen) if stream is not None else None, budget_field.name, packages)
    diffs = array.array("d")
    start = time.perf_counter()
    try:
        if stream is not None and batch.formatter is not None:
            stream.write(batch.formatter.header())
        for text, tallies in _batches(batch, rows):
            if stream is not None:
                stream.write(text)
            for tally in tallies:
                _account(summary, tally, summary.rows, diffs)
                summary.rows += 1
            if bar is not None:
                bar.update(summary.rows)
    finally:
        if stream is not None:
            stream.close() if owned else stream.flush()
        if bar is not None:
            bar.close(summary.rows)
    summary.seconds = time.perf_counter() - start
    if diffs:
        summary.quartiles = _quartiles(diffs)
    return summary


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


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


def _message(exc: BaseException) -> str:
    if isinstance(exc, TeilhabeError):
        texts = [d.message + (f" @ {d.path}" if d.path and d.path != "$" else "") for d in exc.diagnostics if d.is_error]
        return " | ".join(texts) or exc.message
    return f"interner Fehler ({type(exc).__name__}: {exc})"


# the decoder's messages in German
_JSON_MESSAGES = {
    "Expecting value": "ein Wert fehlt",
    "Expecting property name enclosed in double quotes": "ein Schlüssel in doppelten Anführungszeichen fehlt",
    "Expecting ',' delimiter": "ein Komma fehlt",
    "Expecting ':' delimiter": "ein Doppelpunkt fehlt",
    "Unterminated string starting at": "ein Text ist nicht geschlossen",
    "Extra data": "nach dem Fall folgt weiterer Text",
    "Invalid control character at": "ein Steuerzeichen im Text",
    "Invalid \\escape": "eine ungültige Escape-Sequenz",
}


def _same_inputs(old: Model, new: Model) -> bool:
    """Whether both versions declare the same inputs (a variant that changes values only): then
    a case is read and checked once and evaluated under both."""
    a, b = old.checked.scopes, new.checked.scopes
    if set(a) != set(b):
        return False
    for sid, scope in a.items():
        other = b[sid]
        if sid and (scope.name, scope.parent, scope.min_count, scope.max_count) != (other.name, other.parent, other.min_count, other.max_count):
            return False  # (the top level is named after the model)
        left = [(i.id, i.key, i.path, i.type, i.required, i.default) for i in scope.inputs]
        right = [(i.id, i.key, i.path, i.type, i.required, i.default) for i in other.inputs]
        if left != right:
            return False
    return True


def _getter(f: Field) -> Any:
    """A function reading ``f`` from an evaluated root row."""
    key, scope = f.key, f.scope
    if not scope:
        return lambda row: row[key]
    if "." not in scope:
        return lambda row: tuple(element[key] for element in row[scope])
    return lambda row: _extract(row, scope, key)


class _Evaluator:
    """Evaluates one population row under both versions."""

    def __init__(self, old: Model, new: Model, agreed_old: Any, agreed_new: Any, at_old: _dt.date | None,
                 at_new: _dt.date | None, chosen: list[Field]):
        self.sides = (("old", old, agreed_old, at_old), ("new", new, agreed_new, at_new))
        self.getters = [(f.name, _getter(f)) for f in chosen]
        self.shared = _same_inputs(old, new)
        self.old = old

    def figures(self, model: Model, data: Any, agreed: Any, at: _dt.date | None) -> dict[str, Any]:
        row = model.evaluate(data, agreed, at=at)._row  # the evaluated rows, read directly: no views built
        return {name: get(row) for name, get in self.getters}

    def __call__(self, row: PopulationRow) -> _Record:
        record = _Record(row.id)
        data = row.data
        error = row.error
        if error is None and row.raw is not None:
            try:
                data = json.loads(row.raw, parse_float=Decimal)
            except json.JSONDecodeError as exc:
                error = f"kein gültiges JSON: {_JSON_MESSAGES.get(exc.msg, exc.msg)} (Stelle {exc.pos + 1})"
        if error is not None:
            record.error_old = record.error_new = error
            return record
        if self.shared:
            try:
                data = self.old.load_case(data)  # read and checked once for both versions
            except Exception:  # noqa: BLE001 - each version then reports the problem in its own words
                pass
        for side, model, agreed, at in self.sides:
            try:
                setattr(record, side, self.figures(model, data, agreed, at))
            except Exception as exc:  # noqa: BLE001 - every failure of a case becomes its error row
                setattr(record, f"error_{side}", _message(exc))
        return record


# What the summary needs of a case: id, errors (old, new), per package (up, down, changed),
# budget old and new. Small, so that worker processes return little.
_Tally = tuple[str, "str | None", "str | None", tuple[tuple[int, int, bool], ...], "Decimal | None", "Decimal | None"]


class _Batch:
    """Evaluates a batch of rows: the output text and the tallies, in input order."""

    def __init__(self, evaluate: _Evaluator, formatter: _Formatter | None, budget: str, packages: list[str]):
        self.evaluate, self.formatter, self.budget, self.packages = evaluate, formatter, budget, packages

    def __call__(self, rows: list[PopulationRow]) -> tuple[str, list[_Tally]]:
        buffer = io.StringIO()
        writer = self.formatter.writer(buffer) if self.formatter is not None else None
        tallies = []
        for row in rows:
            record = self.evaluate(row)
            if writer is not None:
                writer(record)
            tallies.append(self.tally(record))
        return buffer.getvalue(), tallies

    def tally(self, record: _Record) -> _Tally:
        if not record.ok or record.old is None or record.new is None:
            return (record.id, record.error_old, record.error_new, (), None, None)
        levels = []
        for name in self.packages:
            before, after = record.old[name], record.new[name]
            if isinstance(before, tuple):
                up = sum(1 for a, b in zip(before, after) if b > a)
                down = sum(1 for a, b in zip(before, after) if b < a)
                levels.append((up, down, bool(up or down) or len(before) != len(after)))
            else:
                levels.append((int(after > before), int(after < before), after != before))
        return (record.id, None, None, tuple(levels), record.old[self.budget], record.new[self.budget])


def _batches(batch: _Batch, rows: Iterator[PopulationRow]) -> Iterator[tuple[str, list[_Tally]]]:
    """The results of ``rows`` in order, ``_BATCH`` rows at a time (read as they come: memory
    stays bounded)."""
    chunk: list[PopulationRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _BATCH:
            yield batch(chunk)
            chunk = []
    if chunk:
        yield batch(chunk)


_BATCH = 250


def _account(summary: Summary, tally: _Tally, index: int, diffs: array.array[float]) -> None:
    ident, error_old, error_new, levels, old_value, new_value = tally
    if old_value is None or new_value is None:
        summary.errors += 1
        summary.errors_old += error_old is not None
        summary.errors_new += error_new is not None
        return
    summary.evaluated += 1
    for level, (up, down, changed) in zip(summary.levels.values(), levels):
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
    diffs.append(float(diff))
    item = (abs(diff), -index, ident, old_value, new_value)
    if len(summary.largest) < 10:
        heapq.heappush(summary.largest, item)
    elif item > summary.largest[0]:
        heapq.heapreplace(summary.largest, item)


def _quartiles(values: array.array[float]) -> tuple[float, float, float]:
    ordered = sorted(values)

    def at(p: float) -> float:
        position = (len(ordered) - 1) * p
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return at(0.25), at(0.5), at(0.75)


# ---- output ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    kind = type(value)
    if kind is Decimal:
        return format(value, "f")
    if kind is tuple:
        return _LIST_SEPARATOR.join(map(_text, value))
    if value is None:
        return ""
    return str(value)


def _delta(old: Any, new: Any) -> Any:
    if type(old) is Decimal and type(new) is Decimal:
        return new - old
    if isinstance(old, tuple) and isinstance(new, tuple):
        if len(old) != len(new):
            return None
        return tuple(_delta(a, b) for a, b in zip(old, new))
    if isinstance(old, int) and isinstance(new, int) and not isinstance(old, bool):
        return new - old
    return None


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


class _Formatter:
    """Per-case output rows: CSV (one column per figure and version, and the difference) or
    JSON Lines (one object per case)."""

    def __init__(self, fmt: str, chosen: list[Field]):
        self.fmt, self.fields = fmt, chosen

    def header(self) -> str:
        if self.fmt != "csv":
            return ""
        names = ["fall", "status", "fehler"]
        for f in self.fields:
            unit = f" [{f.unit}]" if f.unit else ""
            names += [f"{f.name}.alt{unit}", f"{f.name}.neu{unit}"]
            if f.kind != "stufe":
                names.append(f"{f.name}.differenz{unit}")
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(names)
        return buffer.getvalue()

    def writer(self, buffer: io.StringIO) -> Any:
        if self.fmt == "csv":
            out = csv.writer(buffer, lineterminator="\n")
            return lambda record: out.writerow(self.csv_cells(record))
        return lambda record: buffer.write(json.dumps(self.json_object(record), ensure_ascii=False) + "\n")

    def csv_cells(self, record: _Record) -> list[str]:
        if not record.ok or record.old is None or record.new is None:
            errors = "; ".join(f"{side}: {text}" for side, text in (("alt", record.error_old), ("neu", record.error_new)) if text)
            return [record.id, "fehler", errors]
        cells = [record.id, "ok", ""]
        for f in self.fields:
            before, after = record.old[f.name], record.new[f.name]
            cells += [_text(before), _text(after)]
            if f.kind != "stufe":
                cells.append(_text(_delta(before, after)))
        return cells

    def json_object(self, record: _Record) -> dict[str, Any]:
        if not record.ok or record.old is None or record.new is None:
            errors = {side: text for side, text in (("alt", record.error_old), ("neu", record.error_new)) if text}
            return {"fall": record.id, "status": "fehler", "fehler": errors}
        levels, figures = {}, {}
        for f in self.fields:
            before, after = record.old[f.name], record.new[f.name]
            if f.kind == "stufe":
                levels[f.name] = {"alt": _json_value(before), "neu": _json_value(after)}
            else:
                figures[f.name] = {"alt": _json_value(before), "neu": _json_value(after),
                                   "differenz": _json_value(_delta(before, after)), "einheit": f.unit}
        return {"fall": record.id, "status": "ok", "stufen": levels, "werte": figures}


def _output(out: str | Path | TextIO | None, out_format: str | None) -> tuple[TextIO | None, str, bool]:
    """The stream per-case rows go to, their format, and whether the stream is ours to close."""
    if out is None:
        return None, "", False
    if not isinstance(out, (str, Path)):
        return out, out_format or "jsonl", False
    path = Path(out)
    fmt = out_format or {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(path.suffix.lower())
    if fmt is None:
        raise CaseError(Diagnostic(f"„{path}“: die Ausgabe ist eine .csv- oder .jsonl-Datei", code="population"))
    try:
        return path.open("w", encoding="utf-8", newline=""), fmt, True
    except OSError as exc:
        raise CaseError(Diagnostic(f"Die Ausgabe lässt sich nicht schreiben: {exc.strerror or exc}", Location(str(path), 1, 1),
                                   code="population")) from None


# ---- progress --------------------------------------------------------------------------------------


class _Progress:
    """A one-line progress bar on a terminal stream, redrawn at most five times a second."""

    def __init__(self, stream: TextIO, total: int | None):
        self.stream, self.total = stream, total
        self.start = self.last = time.perf_counter()

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if now - self.last < 0.2:
            return
        self.last = now
        self.draw(done, now)

    def draw(self, done: int, now: float) -> None:
        rate = done / max(now - self.start, 1e-9)
        if self.total:
            share = min(done / self.total, 1.0)
            filled = int(share * 30)
            rest = (self.total - done) / rate if rate else 0
            text = (f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total} Fälle ({share:.0%}) · "
                    f"{rate:,.0f} Fälle/s · noch {rest:,.0f} s")
        else:
            text = f"\r{done} Fälle · {rate:,.0f} Fälle/s"
        self.stream.write(text.replace(",", ".") + "   ")
        self.stream.flush()

    def close(self, done: int) -> None:
        self.draw(done, time.perf_counter())
        self.stream.write("\n")
        self.stream.flush()


# ---- synthetic populations ---------------------------------------------------------------------


def generate_population(model: Model, n: int, seed: int, out: str | Path | TextIO, split: str | None = None) -> int:
    """Write ``n`` generated cases of ``model`` (:func:`teilhabe_rules.strategies.sample_cases`,
    the same for the same seed) to ``out``: a ``.jsonl`` file or an open text stream (one case per
    line), or a directory (one TOML file per case). ``split``: a list on the model's top level;
    each generated case then gives one case per element of that list (for MAWo, ``bewohner``:
    an offer with one resident — a person case), and each such case is checked by evaluating it.
    Returns the number of cases written."""
    if split is not None:
        lists = [model.checked.scopes[sid].name for sid in model.checked.scopes[""].lists]
        if split not in lists:
            raise CaseError(Diagnostic(f"„{split}“ ist keine Liste auf der obersten Ebene von „{model.name}“", code="population",
                                       hint="Listen: " + ", ".join(lists) if lists else "das Modell hat keine Listen"))
    from .strategies import GeneratorError, sample_cases

    cases = _split_cases(model, sample_cases(model, max(n, 1) * 10 + 10, seed), split) if split else sample_cases(model, n, seed)
    sink = _Sink(out, n)
    written = 0
    try:
        for case in cases:
            if written >= n:
                break
            sink.write(written + 1, case)
            written += 1
    except GeneratorError as exc:
        raise CaseError(Diagnostic(str(exc), code="population")) from None
    finally:
        sink.close()
    return written


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
    """Where generated cases go: JSON Lines (file or stream) or a directory of TOML files."""

    def __init__(self, out: str | Path | TextIO, n: int):
        self.folder: Path | None = None
        self.owned = False
        self.width = max(4, len(str(n)))
        if not isinstance(out, (str, Path)):
            self.stream: TextIO | None = out
            return
        path = Path(out)
        if path.suffix and path.suffix.lower() not in (".jsonl", ".ndjson") and not path.is_dir():
            raise CaseError(Diagnostic(f"„{path}“: das Ziel ist ein Verzeichnis (eine TOML-Datei je Fall) oder eine .jsonl-Datei",
                                       code="population"))
        try:
            if path.suffix.lower() in (".jsonl", ".ndjson"):
                self.stream, self.owned = path.open("w", encoding="utf-8"), True
            else:
                path.mkdir(parents=True, exist_ok=True)
                self.stream, self.folder = None, path
        except OSError as exc:
            raise CaseError(Diagnostic(f"„{path}“ lässt sich nicht schreiben: {exc.strerror or exc}", code="population")) from None

    def write(self, number: int, case: dict[str, Any]) -> None:
        if self.stream is not None:
            self.stream.write(json.dumps(_jsonable(case), ensure_ascii=False) + "\n")
            return
        from .toml_writer import dumps

        assert self.folder is not None
        target = self.folder / f"fall_{number:0{self.width}d}.toml"
        target.write_text(dumps(case), encoding="utf-8")

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close() if self.owned else self.stream.flush()
