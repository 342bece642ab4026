"""teilhabe_rules — tariff models of the Eingliederungshilfe as declarative rules.

The pipeline, one module per stage::

    rule text ──parser──▶ parse tree ──builder──▶ AST ──checker──▶ checked model
              ──compiler──▶ program ──model.evaluate(case, agreement)──▶ result

``load(path)`` runs all stages of a rule file and returns a :class:`Model`;
``Model.evaluate(case, agreement=None, explain=False)`` returns a :class:`Result` whose
``to_dict()`` is the stable JSON form. Every failure is a :class:`TeilhabeError`.
"""

from .agreements import Agreement
from .cases import Case
from .errors import (
    AgreementError,
    CaseError,
    CheckError,
    Diagnostic,
    EvaluationError,
    Location,
    RuleSyntaxError,
    TeilhabeError,
    ValidityError,
)
from .model import Model, load, loads
from .registry import bundled, bundled_models, choose
from .results import Explanation, Quantity, Result

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

__version__ = "0.1.0"
