"""Runtime semantics: what evaluating a model means, shared by the generated code and every tool.

* :mod:`teilhabe_rules.runtime.semantics` — the decimal context, rounding, date arithmetic, band
  membership, the effective level, table lookups and list functions, and the parameter values on
  a date;
* :mod:`teilhabe_rules.runtime.faults` — evaluation faults as typed records (:class:`Fault`,
  :class:`FaultKind`) with their German messages, and the exceptions carrying them.
"""

from __future__ import annotations

from .faults import Fault, FaultError, FaultKind, Located, fault_of
from .semantics import DECIMAL_CONTEXT, ParameterValues, band_contains, effective_level, parameter_values, round_value

__all__ = [
    "DECIMAL_CONTEXT",
    "Fault",
    "FaultError",
    "FaultKind",
    "Located",
    "ParameterValues",
    "band_contains",
    "effective_level",
    "fault_of",
    "parameter_values",
    "round_value",
]
