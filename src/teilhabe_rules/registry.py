"""The bundled models, and choosing one by name and date.

Takes: the rule files shipped in the package (``teilhabe_rules/models/*.rules``). Gives:
:func:`bundled_models` (their headers), :func:`bundled` (a loaded model by name),
:func:`versions` (the models of a family in date order) and :func:`choose` (the model of a family
valid on a date — e.g. BEI_NRW 2.0 or 3.0 by the creation date of a Fortschreibung). Where
several versions of a family are valid on a date (an open-ended version and its successor), the
one that starts latest is chosen: a new version supersedes the old one from its start.
"""

from __future__ import annotations

import datetime as _dt
import functools
from pathlib import Path

from .catalog import BundledModel, bundled_models
from .errors import Diagnostic, ValidityError, did_you_mean
from .inputs.cases import day_of
from .ir.text import date_text
from .model import Model, load
from .shipped import model_files

__all__ = ["BundledModel", "bundled", "bundled_models", "choose", "model_path", "versions"]


def model_path(name: str) -> Path:
    """The installed path of a bundled model (``mawo`` → …/models/mawo.rules)."""
    for path in model_files():
        if path.stem == name:
            return path
    names = [p.stem for p in model_files()]
    raise ValidityError(Diagnostic(
        f"Kein mitgeliefertes Modell „{name}“", hint=did_you_mean(name, names) or "mitgeliefert: " + ", ".join(names)
    ))


@functools.cache
def bundled(name: str) -> Model:
    """A bundled model by name, loaded once per process."""
    return load(model_path(name))


def versions(family: str) -> tuple[BundledModel, ...]:
    """The bundled models of ``family`` (case-insensitive), oldest first."""
    wanted = family.casefold()
    found = [m for m in bundled_models() if (m.family or "").casefold() == wanted]
    return tuple(sorted(found, key=lambda m: (m.valid_from or _dt.date.min, m.name)))


def choose(family: str, date: _dt.date) -> Model:
    """The bundled model of ``family`` valid on ``date`` — the latest-starting one where several
    are — or, for the name of a model, that model if it is valid then.

    A date no candidate covers is a :class:`ValidityError` listing the candidates' validity."""
    date = day_of(date, "Tag")
    candidates: list[BundledModel] = list(versions(family))
    by_name = [m for m in bundled_models() if m.name == family]
    if not candidates:
        candidates = by_name
    if not candidates:
        names = sorted({m.family or m.name for m in bundled_models()} | {m.name for m in bundled_models()})
        raise ValidityError(Diagnostic(f"Keine mitgelieferte Modellfamilie und kein Modell „{family}“",
                                       hint=did_you_mean(family, names) or "Familien und Modelle: " + ", ".join(names)))
    valid = [m for m in candidates if m.valid_on(date)]
    if valid:
        chosen = max(valid, key=lambda m: (m.valid_from or _dt.date.min, m.name))
        return bundled(Path(chosen.file).stem)
    validity = "; ".join(f"{m.name}: {m.validity_text()}" for m in candidates)
    what = "das Modell" if candidates == by_name else "kein Modell der Familie"
    hint = validity
    if by_name and by_name[0].family:
        others = [m for m in versions(by_name[0].family) if m.valid_on(date)]
        if others:
            latest = max(others, key=lambda m: m.valid_from or _dt.date.min)
            hint += f"; am {date_text(date)} gilt „{latest.name}“"
    message = (f"Das Modell „{family}“ gilt am {date_text(date)} nicht" if what == "das Modell"
               else f"Kein Modell der Familie „{family}“ gilt am {date_text(date)}")
    raise ValidityError(Diagnostic(message, hint=hint, code="gültigkeit"))
