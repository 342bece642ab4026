"""The files shipped with the package: the grammar and the bundled models.

Takes: nothing. Gives: their paths. In a wheel or an installed package they are the packages
``teilhabe_rules.grammars`` and ``teilhabe_rules.models``, which ``pyproject.toml`` maps to the
project's top-level ``grammars/`` and ``models/`` directories (where users look for them); in a
checkout used without installing (``src/`` on the path) they are read from those directories.
No symbolic link is involved, so every platform and every kind of distribution works alike.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

__all__ = ["GRAMMAR_NAME", "grammar_file", "model_files", "shipped_folder"]

GRAMMAR_NAME = "teilhabe.lark"


@functools.lru_cache(maxsize=4)
def shipped_folder(name: str) -> Path:
    """The folder of the shipped files ``name`` (``grammars`` or ``models``)."""
    try:
        spec = importlib.util.find_spec(f"teilhabe_rules.{name}")
    except ModuleNotFoundError:
        spec = None
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    if not locations:  # a checkout with src/ on the path: the project's own folder
        return Path(__file__).resolve().parents[2] / name
    return Path(locations[0])


def grammar_file() -> Path:
    """The grammar of the rule language."""
    return shipped_folder("grammars") / GRAMMAR_NAME


def model_files() -> list[Path]:
    """The bundled models' rule files, by name."""
    return sorted(path for path in shipped_folder("models").iterdir() if path.suffix == ".rules")
