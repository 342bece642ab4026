"""The backend interface: what evaluating cases of a checked model takes and gives.

Takes: a :class:`~teilhabe_rules.ir.checked.CheckedModel` (when the backend is made) and cases as
:class:`CaseInput` — the validated input values of a case (the case loader's row: a dict per
element, a list's elements under its name), with the parameter values and tables its date and
agreement give (:mod:`teilhabe_rules.runtime.semantics`). Gives one :class:`Evaluation` per
case: its :class:`~teilhabe_rules.runtime.frame.Frame`, or the checks it failed and the fault
that stopped it, as typed records — never text. The German messages are rendered from these
records by :class:`~teilhabe_rules.model.Model`, which knows where a case came from.

A backend is anything with the methods of :class:`Backend`. The Python backend
(:class:`teilhabe_rules.runtime.compiler.PythonBackend`) generates and compiles one Python function per
model; a columnar backend evaluating a whole population at once is one more implementation of
the same interface, and its results are compared with the Python backend's.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import attrs

from ..records import Record
from .faults import Fault
from .frame import Frame

__all__ = ["Backend", "CaseInput", "CheckFailure", "Evaluation", "EvaluationFault"]


@attrs.frozen(repr=False)
class CaseInput(Record):
    """One case to evaluate: its validated input ``row``, the ``parameters`` (by id) and the
    ``tables`` (by table id) it is evaluated with, and the reference ``date`` of the evaluation
    (``stichtag()``; None: there is none, and ``stichtag()`` is a fault). None of them may
    change after they were passed: a frame may copy the rows of the case's lists only when it is
    first read (the Python backend's specialised program)."""

    row: Mapping[str, Any]
    parameters: Mapping[str, Any]
    tables: Mapping[str, Mapping[Any, Any]]
    date: _dt.date | None = None


@attrs.frozen(repr=False)
class CheckFailure(Record):
    """A ``prüfung`` that did not hold, or a ``warnung`` that fired: the node's id, the 0-based
    positions of the element it fired in (from the case down), and the values of the
    expressions in its message, in order."""

    node: str
    indexes: tuple[int, ...]
    values: tuple[Any, ...]


@attrs.frozen(repr=False)
class EvaluationFault(Record):
    """What stopped an evaluation: the typed fault, the node being computed (None: before the
    first) and the element positions at that moment (None where no element was current)."""

    fault: Fault
    node: str | None
    indexes: tuple[int | None, ...]


@attrs.frozen(repr=False)
class Evaluation(Record):
    """The outcome of one case: a ``frame`` when it was evaluated (``failures`` empty, ``fault``
    None), else None with the failed checks and/or the fault. ``warnings`` fired either way."""

    frame: Frame | None
    failures: tuple[CheckFailure, ...] = ()
    warnings: tuple[CheckFailure, ...] = ()
    fault: EvaluationFault | None = None

    @property
    def ok(self) -> bool:
        return self.frame is not None


class Backend(Protocol):
    """Evaluates cases of the checked model it was made for."""

    def evaluate(self, case: CaseInput) -> Evaluation:
        """One case."""
        ...

    def run(self, cases: Iterable[CaseInput]) -> Iterator[Evaluation]:
        """Many cases, in order: one evaluation each (a failed case never ends the run)."""
        ...
