"""The bundled models, and choosing one by name and date.

Takes: the rule files shipped in the package (``teilhabe_rules/models/*.rules``). Gives:
:func:`bundled_models` (their headers), :func:`bundled` (a loaded model by name) and
:func:`choose` (the model of a family valid on a date — e.g. BEI_NRW 2.0 or 3.0 by the creation
date of a Fortschreibung).
"""

from __future__ import annotations

import datetime as _dt
import functools
from importlib import resources
from pathlib import Path

import attrs

from .errors import Diagnostic, ValidityError
from .model import Model, load

__all__ = ["BundledModel", "bundled", "bundled_models", "choose", "model_path"]


@attrs.frozen
class BundledModel:
    name: str
    title: str | None
    version: str | None
    family: str | None
    valid_from: _dt.date | None
    valid_to: _dt.date | None
    file: str

    def valid_on(self, date: _dt.date) -> bool:
        return (self.valid_from is None or date >= self.valid_from) and (self.valid_to is None or date <= self.valid_to)

    def validity_text(self) -> str:
        start = self.valid_from.strftime("%d.%m.%Y") if self.valid_from else "?"
        return f"gültig ab {start}" + (f" bis {self.valid_to.strftime('%d.%m.%Y')}" if self.valid_to else "")


def _files() -> list[Path]:
    folder = resources.files("teilhabe_rules").joinpath("models")
    return sorted(Path(str(p)) for p in folder.iterdir() if str(p).endswith(".rules"))


def model_path(name: str) -> Path:
    """The installed path of a bundled model (``mawo`` → …/models/mawo.rules)."""
    for path in _files():
        if path.stem == name:
            return path
    raise ValidityError(Diagnostic(f"Kein mitgeliefertes Modell „{name}“", hint="mitgeliefert: " + ", ".join(p.stem for p in _files())))


@functools.lru_cache(maxsize=None)
def bundled(name: str) -> Model:
    """A bundled model by name, loaded once per process."""
    return load(model_path(name))


@functools.lru_cache(maxsize=1)
def bundled_models() -> tuple[BundledModel, ...]:
    out = []
    for path in _files():
        model = bundled(path.stem)
        info = model.info
        out.append(BundledModel(info.name, info.title, info.version, info.family, info.valid_from, info.valid_to, str(path)))
    return tuple(out)


def choose(family: str, date: _dt.date) -> Model:
    """The bundled model of ``family`` (or with that name) valid on ``date``."""
    candidates = [m for m in bundled_models() if m.family == family or m.name == family]
    if not candidates:
        raise ValidityError(Diagnostic(f"Keine mitgelieferte Modellfamilie „{family}“",
                                       hint="Familien: " + ", ".join(sorted({m.family or m.name for m in bundled_models()}))))
    for candidate in candidates:
        if candidate.valid_on(date):
            return bundled(Path(candidate.file).stem)
    validity = "; ".join(f"{m.name}: {m.validity_text()}" for m in candidates)
    raise ValidityError(Diagnostic(f"Kein Modell der Familie „{family}“ gilt am {date.strftime('%d.%m.%Y')}", hint=validity))
