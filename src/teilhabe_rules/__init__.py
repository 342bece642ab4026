"""teilhabe_rules — tariff models of the Eingliederungshilfe as declarative rules.

The pipeline, one module per stage::

    rule text ──parser──▶ parse tree ──builder──▶ AST ──checker──▶ checked model
              ──compiler──▶ program ──model.evaluate(case, agreement)──▶ result

``load(path)`` runs all stages of a rule file and returns a :class:`Model`;
``Model.evaluate(case, agreement=None, explain=False)`` returns a :class:`Result` whose
``to_dict()`` is the stable JSON form. Every failure is a :class:`TeilhabeError`.

The public names below are imported on first use, so that ``import teilhabe_rules`` stays cheap
for command-line start-up; the parser, checker and case loader load with the first model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AgreementError,
    CaseError,
    CheckError,
    Diagnostic,
    EvaluationError,
    Location,
    ResourceError,
    RuleSyntaxError,
    TeilhabeError,
    ValidityError,
)
from .version import __version__ as __version__

if TYPE_CHECKING:  # pragma: no cover
    from .inputs.agreements import Agreement
    from .inputs.cases import Case
    from .model import Model, load, loads
    from .registry import bundled, bundled_models, choose
    from .runtime.results import Explanation, Quantity, Result

_LAZY = {
    "Agreement": "inputs.agreements",
    "Case": "inputs.cases",
    "Model": "model",
    "load": "model",
    "loads": "model",
    "bundled": "registry",
    "bundled_models": "registry",
    "choose": "registry",
    "Explanation": "runtime.results",
    "Quantity": "runtime.results",
    "Result": "runtime.results",
}

__all__ = [
    "Agreement",
    "AgreementError",
    "Case",
    "CaseError",
    "CheckError",
    "Diagnostic",
    "EvaluationError",
    "Explanation",
    "Location",
    "Model",
    "Quantity",
    "ResourceError",
    "Result",
    "RuleSyntaxError",
    "TeilhabeError",
    "ValidityError",
    "bundled",
    "bundled_models",
    "choose",
    "load",
    "loads",
]



def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'teilhabe_rules' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
