"""Coverage of a model by its examples: corridor bands, table rows and levels.

Takes: a loaded :class:`~teilhabe_rules.model.Model`. Gives: a :class:`CoverageReport` — for
every corridor band, every table row and every level of a package, the examples that reach it —
rendered by ``teilhabe-rules test --coverage``.

How: each example is evaluated (with its agreement) by a second compilation of the model whose
table lookups are recorded (the generated code calls ``_lookup``; the recording variant notes
the table and key); the model's own evaluator is not touched. Afterwards, the band of each
corridor is found from the quantity evaluation keeps (``…#korridor``) and the band bounds with
the parameters of that evaluation, and the levels are read from the result rows. Examples that
expect an error reach nothing; an example that expects none but whose evaluation fails reaches
nothing either, and the report names it with the first message (:attr:`CoverageReport.failed`):
it is never counted silently as not evaluated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import TeilhabeError, counted
from ..ir import checked as c
from ..ir import toolkit
from ..ir.text import format_value, quantity_text
from ..model import Model
from ..runtime.compiler import PythonBackend
from ..runtime.semantics import band_contains, table_lookup
from ..span import Span

__all__ = ["CoverageItem", "CoverageReport", "FailedExample", "example_coverage"]


@attrs.frozen
class CoverageItem:
    kind: str  # "korridor", "tabelle" or "stufe"
    owner: str  # the package (korridor, stufe) or the table
    label: str
    location: str  # file:line
    examples: tuple[str, ...]  # ids of the examples that reach it

    @property
    def reached(self) -> bool:
        return bool(self.examples)

    def to_dict(self) -> dict[str, Any]:
        return {
            "art": self.kind,
            "von": self.owner,
            "was": self.label,
            "ort": self.location,
            "beispiele": list(self.examples),
        }


@attrs.frozen
class FailedExample:
    """An example that expects no error but whose evaluation failed: it reaches nothing."""

    id: str
    location: str  # file:line of the example
    message: str  # the first error's message (``teilhabe-rules test`` shows them all)

    def to_dict(self) -> dict[str, Any]:
        return {"beispiel": self.id, "ort": self.location, "meldung": self.message}


_KIND_TEXT = {"korridor": "Korridorbänder", "tabelle": "Tabellenzeilen", "stufe": "Stufen"}


@attrs.frozen
class CoverageReport:
    model: str
    file: str
    examples: int
    evaluated: int
    items: tuple[CoverageItem, ...]
    failed: tuple[FailedExample, ...] = ()  # evaluated with an error though none was expected

    @property
    def expecting_errors(self) -> int:
        """The examples that expect an error (not evaluated for coverage)."""
        return self.examples - self.evaluated - len(self.failed)

    def unreached(self) -> list[CoverageItem]:
        return [item for item in self.items if not item.reached]

    def counts(self) -> dict[str, tuple[int, int]]:
        """(reached, all) per kind."""
        out: dict[str, tuple[int, int]] = {}
        for kind in _KIND_TEXT:
            items = [i for i in self.items if i.kind == kind]
            out[kind] = (sum(1 for i in items if i.reached), len(items))
        return out

    def render_text(self) -> str:
        lines = [
            f"Abdeckung durch die Beispiele: {self.file} ({counted(self.examples, 'Beispiel', 'Beispiele')}, "
            f"{self.evaluated} ausgewertet)"
        ]
        if self.failed:
            lines.append("  Nicht ausgewertet, weil die Auswertung scheiterte (erreichen nichts):")
            lines.extend(f"    {f.id}: {f.message}  [{f.location}]" for f in self.failed)
        for kind, (reached, total) in self.counts().items():
            if total:
                lines.append(f"  {_KIND_TEXT[kind]}: {reached} von {total} erreicht")
        missing = self.unreached()
        if missing:
            lines.append("  Von keinem Beispiel erreicht:")
            for item in missing:
                what = {"korridor": "Korridor", "tabelle": "Tabelle", "stufe": "Stufe von"}[item.kind]
                lines.append(f"    {what} {item.owner}: {item.label}  [{item.location}]")
        else:
            lines.append("  Jedes Korridorband, jede Tabellenzeile und jede Stufe wird von einem Beispiel erreicht.")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "modell": self.model, "datei": self.file, "beispiele": self.examples, "ausgewertet": self.evaluated,
            "gescheitert": [f.to_dict() for f in self.failed],
            "zählung": {kind: {"erreicht": r, "gesamt": t} for kind, (r, t) in self.counts().items()},
            "einträge": [i.to_dict() for i in self.items],
        }


class _Recorder:
    """A second compilation of a model whose table lookups are noted (one per report, so that
    reports on a model shared between threads do not mix their notes)."""

    def __init__(self, model: Model):
        self.hits: list[tuple[int, Any]] = []
        hits = self.hits

        def lookup(table: dict[Any, Any], key: Any, name: str, span: Span | None = None) -> Any:
            value = table_lookup(table, key, name, span)
            hits.append((id(table), key))
            return value

        self.model = Model(model.checked, model.path, PythonBackend(model.checked, {"_lookup": lookup}))


def _agreement(model: Model, example: c.ExampleSpec) -> Any:
    if not example.agreement:
        return None
    values = {
        name: str(value) if not isinstance(value, (str, bool)) else value
        for name, value, _span in example.agreement
    }
    return model.load_agreement({"parameter": values})


def example_coverage(model: Model) -> CoverageReport:
    """Evaluate every example of ``model`` and report which bands, rows and levels it reaches."""
    from ..runtime.explain import value_after
    from .testing import example_id

    checked = model.checked
    recorder = _Recorder(model)
    depth_of = {sid: s.depth for sid, s in checked.scopes.items()}
    corridors = [n for n in checked.nodes.values() if isinstance(n, c.CorridorLevelNode) and n.bands]
    packages = [p for p in checked.packages.values() if p.level_type is not None]
    band_hits: dict[tuple[str, int], set[str]] = {}
    row_hits: dict[tuple[str, int], set[str]] = {}
    level_hits: dict[tuple[str, int], set[str]] = {}
    row_index = {
        tid: {_row_key(t, row): number for number, row in enumerate(t.rows)} for tid, t in checked.tables.items()
    }
    evaluated = 0
    failed: list[FailedExample] = []
    for example in checked.examples:
        if example.expected_errors:
            continue
        ident = example_id(model, example)
        recorder.hits.clear()
        try:
            agreement = _agreement(model, example)
            result = recorder.model.evaluate(copy.deepcopy(example.case), agreement, at=example.at)
        except TeilhabeError as exc:
            first = next(iter(exc.errors or exc.diagnostics), None)
            message = type(exc).__name__ if first is None else first.message + (
                f" @ {first.path}" if first.path and first.path != "$" else "")
            failed.append(FailedExample(ident, f"{checked.info.file}:{example.span.line}", message))
            continue
        evaluated += 1
        tables = result.frame.tables
        table_of = {id(mapping): tid for tid, mapping in tables.items()}
        for table_id, key in recorder.hits:
            tid = table_of.get(table_id)
            if tid is None:
                continue
            number = row_index.get(tid, {}).get(_hashable(key))
            if number is not None:
                row_hits.setdefault((tid, number), set()).add(ident)
        parameters = result.parameters
        for row in result.frame.elements():
            sid = row.scope
            rows = row.chain()
            for node in corridors:
                if node.scope != sid:
                    continue
                subject = row.corridor_quantity(node)
                if subject is None:
                    continue
                for number, band in enumerate(node.bands):
                    low = value_after(band.lower, rows, parameters, depth_of) if band.lower is not None else None
                    high = value_after(band.upper, rows, parameters, depth_of) if band.upper is not None else None
                    if not band_contains(subject, low, band.lower_inclusive, high, band.upper_inclusive):
                        continue
                    band_hits.setdefault((node.id, number), set()).add(ident)
                    break
            for pkg in packages:
                if pkg.scope != sid:
                    continue
                levels = row.levels(pkg.name)
                for level in (levels.computed, levels.effective):
                    if level is not None:
                        level_hits.setdefault((pkg.id, level), set()).add(ident)
    items: list[CoverageItem] = []
    base_parameters = model.parameters  # labels show the model's own bounds
    for node in corridors:
        unit = str(node.subject.type.unit)
        for number, band in enumerate(node.bands):
            label = f"Stufe {band.level} ({_band_text(band, base_parameters, depth_of)} {unit})".replace(" )", ")")
            items.append(CoverageItem("korridor", node.package or node.key, label, _where(checked, band.span),
                                      tuple(sorted(band_hits.get((node.id, number), ())))))
    for tid, table in checked.tables.items():
        for number, table_row in enumerate(table.rows):
            keys = ", ".join(format_value(k) for k in table_row.keys)
            label = f"{keys} → {quantity_text(table_row.value, table.value_type)}"
            items.append(CoverageItem("tabelle", table.name, label, _where(checked, table_row.span),
                                      tuple(sorted(row_hits.get((tid, number), ())))))
    for pkg in packages:
        for level_spec in pkg.levels:
            items.append(CoverageItem("stufe", pkg.name, f"{level_spec.number} ({level_spec.label})",
                                      _where(checked, level_spec.span),
                                      tuple(sorted(level_hits.get((pkg.id, level_spec.number), ())))))
    return CoverageReport(checked.info.name, checked.info.file, len(checked.examples), evaluated, tuple(items),
                          tuple(failed))


def _where(model: c.CheckedModel, span: Any) -> str:
    file_of = getattr(model, "file_of", None)
    file = file_of(span) if file_of is not None else model.info.file
    return f"{file}:{span.line}"


def _band_text(band: c.BandSpec, parameters: Mapping[str, Any], depth_of: dict[str, int]) -> str:
    parts = []
    sides = ((band.lower, band.lower_inclusive, ("ab", "über")), (band.upper, band.upper_inclusive, ("bis", "unter")))
    for bound, inclusive, words in sides:
        if bound is None:
            continue
        value = toolkit.const_value(bound, parameters)
        shown = format_value(value) if value is not None else "…"
        parts.append(f"{words[0] if inclusive else words[1]} {shown}")
    return " ".join(parts) or "alle Werte"


def _row_key(table: c.TableSpec, row: c.TableRowSpec) -> Any:
    return _hashable(row.keys[0] if len(table.key_types) == 1 else tuple(row.keys))


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
