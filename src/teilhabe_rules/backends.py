"""The backends a population is evaluated by, by the names they may be given (the API's
``backend=`` and the CLI's ``--backend`` of ``eval-many`` and ``compare``). Imports nothing: the
command line reads the names before it loads a model."""

from __future__ import annotations

__all__ = ["BACKENDS", "backend_name"]

BACKENDS = {"spalten": "spalten", "columnar": "spalten", "skalar": "skalar", "scalar": "skalar"}
"""``spalten`` — the columnar plan on DuckDB, with the cases it cannot decide exactly evaluated by
the scalar backend — and ``skalar``: every case by the scalar backend, one at a time."""


def backend_name(backend: str, caller: str = "evaluate_many") -> str:
    """``spalten`` or ``skalar`` for a backend as written (see :data:`BACKENDS`); a ValueError
    naming ``caller`` for anything else."""
    try:
        return BACKENDS[backend]
    except (KeyError, TypeError):
        raise ValueError(f"{caller}: backend {backend!r} (spalten or skalar)") from None
