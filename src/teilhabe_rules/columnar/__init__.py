"""The columnar backend: a checked model as one query plan on embedded DuckDB.

Takes: a :class:`~teilhabe_rules.ir.checked.CheckedModel` with the parameter values and tables of
one (model, agreement, date), and a population of cases. Gives: the plan as sqlglot expression
trees (:mod:`.plan`), and its results over the population with every case the plan cannot decide
exactly evaluated by the scalar backend (:mod:`.batch`). Exactness rule, limits and the ``sql``
command: ``docs/batch.md``.
"""

from .batch import BatchResult, ErrorRow, ScalarOutcome, run_batch
from .plan import Plan, Unsupported, compile_plan

__all__ = ["BatchResult", "ErrorRow", "Plan", "ScalarOutcome", "Unsupported", "compile_plan", "run_batch"]
