"""The bundled models as a catalogue: name, title, version, family and validity of each.

Takes: the bundled rule files (:mod:`teilhabe_rules.shipped`). Gives: :func:`bundled_models`, a
:class:`BundledModel` per file, from its checked model (:mod:`teilhabe_rules.loading`; cached),
without compiling it. :class:`~teilhabe_rules.model.Model` names the version valid on a date
from here when a case falls outside its own validity; :mod:`teilhabe_rules.registry` loads the
bundled models themselves.
"""

from __future__ import annotations

import datetime as _dt
import functools

import attrs

from .ir.text import date_text
from .loading import check_file
from .shipped import model_files

__all__ = ["BundledModel", "bundled_models", "version_for"]


@attrs.frozen
class BundledModel:
    name: str
    title: str | None
    version: str | None
    family: str | None
    valid_from: _dt.date | None
    valid_to: _dt.date | None
    file: str
    extends: str | None = None  # the base model of a variant (header „erweitert“)

    def valid_on(self, date: _dt.date) -> bool:
        return (self.valid_from is None or date >= self.valid_from) and (self.valid_to is None or date <= self.valid_to)

    def validity_text(self) -> str:
        start = date_text(self.valid_from) if self.valid_from else "?"
        return f"gültig ab {start}" + (f" bis {date_text(self.valid_to)}" if self.valid_to else "")


@functools.lru_cache(maxsize=1)
def bundled_models() -> tuple[BundledModel, ...]:
    """Every bundled model, by file name."""
    out = []
    for path in model_files():
        info = check_file(path).info
        out.append(BundledModel(info.name, info.title, info.version, info.family, info.valid_from, info.valid_to,
                                str(path), info.extends))
    return tuple(out)


def version_for(family: str, date: _dt.date, other_than: str) -> BundledModel | None:
    """A bundled model of ``family`` other than ``other_than`` that is valid on ``date``."""
    for model in bundled_models():
        if model.family == family and model.name != other_than and model.valid_on(date):
            return model
    return None
