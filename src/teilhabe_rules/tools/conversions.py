"""Converting a case from one model version to the next.

Takes: a BEI_NRW 2.0 case (measures per ICF chapter, one period) and what 3.0 asks for that 2.0
did not record. Gives: the BEI_NRW 3.0 case data — one Zeitabschnitt for the period, each
measure's chapter replaced by its Bereich. The chapter → Bereich mapping is not code: it is read
from the 3.0 model's table ``bereich_je_kapitel``, so correcting that table corrects the
conversion (see ``docs/models/bei_nrw3.md``, "Umstellung 2.0 → 3.0").
"""

from __future__ import annotations

import copy
import datetime as _dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CaseError, Diagnostic

__all__ = ["bei_nrw_2_to_3"]

_MEASURE_FIELDS = ("bezeichnung", "art", "stunden", "personen")


def bei_nrw_2_to_3(
    case: Mapping[str, Any] | str | Path,
    *,
    erstellt_am: _dt.date,
    wohnform: str,
    zeitraum_beginn: _dt.date | None = None,
    zeitraum_ende: _dt.date | None = None,
    target: Any = None,
) -> dict[str, Any]:
    """A 3.0 case from a 2.0 case. ``erstellt_am`` is the new Fortschreibung's creation date;
    the period stays the 2.0 period unless ``zeitraum_beginn``/``zeitraum_ende`` give the
    following one. ``target`` is the 3.0 model (default: the bundled ``bei_nrw3``). A case the
    3.0 model does not evaluate (a period that ends before it begins, a date outside the model's
    validity, …) is its error (:class:`~teilhabe_rules.errors.TeilhabeError`), not a result."""
    from ..registry import bundled

    source_model = bundled("bei_nrw2")
    old = source_model.load_case(case)  # validates the 2.0 case with the 2.0 model's own rules
    model = target if target is not None else bundled("bei_nrw3")
    table = next((t for t in model.checked.tables.values() if t.name == "bereich_je_kapitel"), None)
    if table is None:
        raise CaseError(Diagnostic(
            f"Das Modell „{model.name}“ hat keine Tabelle „bereich_je_kapitel“ für die Umstellung"
        ))
    mapping = table.mapping()
    row = old.row
    measures = []
    problems = []
    for index, measure in enumerate(row["massnahmen"], start=1):
        chapter = measure["kapitel"]
        if chapter not in mapping:
            problems.append(Diagnostic(f"Für Kapitel {chapter} kennt „bereich_je_kapitel“ keinen Bereich",
                                       path=f"$.massnahmen[{index}].kapitel"))
            continue
        converted = {name: measure[name] for name in _MEASURE_FIELDS if measure.get(name) is not None}
        converted["bereich"] = mapping[chapter]
        measures.append(converted)
    if problems:
        raise CaseError(problems)
    start = zeitraum_beginn or row["zeitraum_beginn"]
    end = zeitraum_ende or row["zeitraum_ende"]
    new = {
        "erstellt_am": erstellt_am,
        "wohnform": wohnform,
        "zeitraum_beginn": start,
        "zeitraum_ende": end,
        "abrechnungsmonate": [],
        "zeitabschnitte": [{"beginn": start, "schluss": end, "massnahmen": measures}],
    }
    # the result must be a valid 3.0 case: its inputs, and what only evaluating it checks (the
    # model's prüfungen, its validity on the case's date) — an error says what is wrong with it
    model.evaluate(copy.deepcopy(new))
    return new
