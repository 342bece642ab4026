"""The runtime: what evaluating a model means, and what an evaluation gives.

* :mod:`teilhabe_rules.runtime.semantics` — the decimal context, rounding, date arithmetic, band
  membership, the effective level, table lookups and list functions, and the parameter values on
  a date;
* :mod:`teilhabe_rules.runtime.faults` — evaluation faults as typed records (:class:`Fault`,
  :class:`FaultKind`) with their German messages, and the exceptions carrying them;
* :mod:`teilhabe_rules.runtime.frame` — the typed evaluation frame a backend returns.
"""

from __future__ import annotations

from .faults import Fault, FaultError, FaultKind, Located, fault_of
from .frame import Element, Frame, PackageLevels
from .semantics import (
    DECIMAL_CONTEXT,
    ParameterValues,
    band_contains,
    effective_level,
    parameter_values,
    round_value,
)

__all__ = [
    "DECIMAL_CONTEXT",
    "Element",
    "Fault",
    "FaultError",
    "FaultKind",
    "Frame",
    "Located",
    "PackageLevels",
    "ParameterValues",
    "band_contains",
    "effective_level",
    "fault_of",
    "parameter_values",
    "round_value",
]
