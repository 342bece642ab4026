"""Checked model → compiled evaluator.

Takes: a :class:`checked.CheckedModel`. Gives: a :class:`Program` — one Python function generated
from the model's nodes in dependency order and compiled once, so that evaluating a case does no
tree walking and no dispatch on node types. A scope's values live in a row (a dict keyed by the
symbol's row key); a list's elements are rows in a list, visited by loops (several passes where
values of the model and of its elements depend on each other).

The generated code calls the functions of :mod:`teilhabe_rules.runtime.semantics` (rounding,
dates, table lookups, list functions, levels), bound as globals (``_HELPERS``); a corridor's
bands it writes out as comparisons, exactly those of ``semantics.band_contains``. It raises
:class:`~teilhabe_rules.runtime.faults.Located` around whatever went wrong (a
:class:`~teilhabe_rules.runtime.faults.FaultError` with its typed record, or a decimal error),
and collects failed checks and warnings. The caller runs it in ``semantics.DECIMAL_CONTEXT``
(28 significant digits); rounding happens only in ``runde(…)``.

Evaluation is linear in the number of list elements: an aggregate (``summe(bewohner.x)``,
``anzahl(…)``) is a function of its own, and where it stands inside a loop or another aggregate
it does not depend on, it is computed once and kept for as long as the rows it reads are the same
(see :meth:`_Gen._e_Aggregate`).
A model whose generated code Python cannot compile (nesting beyond Python's own limits) is a
located :class:`~teilhabe_rules.errors.CheckError`, never a ``SyntaxError``.

A program may be specialised for one set of parameter values and tables (:func:`compile_model`
with ``parameters`` and ``tables``; :class:`PythonBackend` makes one from the second evaluation
with the same mappings): constants folded by their own generated code, running totals instead
of aggregate functions, the loops over a list merged as far as the dependencies allow
(:func:`merged_order`), values kept in locals, look-ups and levels written out, a value of a
list's elements that reads no element computed once before the loop (and kept once for all
of them), one that depends on a level
alone computed for every level in advance and looked up (:meth:`_Gen.folded_by`), the elements'
values kept apart from their rows until the frame is first read (``Program.complete``), no
record of the node being computed (a fault is located by the general program, below). It computes
every figure as the general program does, and every row gets its values in the same order; its
warnings are sorted into the general program's order (:func:`emission_paths`); a case with a
failed check or a fault is evaluated again by the general program, whose order of messages and
whose fault are reported.
"""

from __future__ import annotations

import ast
import contextlib
import decimal
import functools
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ..errors import CheckError, Diagnostic, Location
from ..ir import checked as c
from ..ir import toolkit
from ..ir.checked import DECIMAL_CONTEXT
from ..records import Record
from . import semantics
from .backend import CaseInput, CheckFailure, Evaluation, EvaluationFault
from .faults import FaultError, Located, fault_of
from .frame import DATE_KEY, Frame, corridor_key

__all__ = ["Program", "PythonBackend", "compile_condition", "compile_model"]


_FOLD_ROW = re.compile(r"(\s*)(_f\d+) = (.*)")  # a row of a table of values per level, read
# a string literal of the generated code (``repr`` of a text), which a rewrite of the code skips
_STRING = r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\""
_FOLD_ITEM = re.compile(rf"({_STRING})|\b(_f\d+)\[(\d+)\]")  # a value of that row (or a literal)
_LIST_LINE = re.compile(r"(\s*)L(\d+) = (.*)")  # the list a loop runs over
_LOOP_HEAD = re.compile(r"(\s*)for i(\d+), e\2 in enumerate\(L\2\):")
_FOLD_COPY = re.compile(r"\s*(_l\d+) = (_f\d+)\[(\d+)\]")  # a value that is just a value of that row


def _renamed(names: dict[str, str], found: re.Match[str]) -> str:
    """A read of an element's input by its key (``found[2]``): the local holding it, if any (a
    string literal, ``found[1]``, or a write stay as they are)."""
    if found[1] is not None or found[3] is not None or found[2] not in names:
        return found[0]
    return names[found[2]]


def _no_level(value: Any) -> Any:
    """For a specialised program: a level with no row in a table of values computed for each
    level (see ``_Gen.folded_by``) — no int, or one whose values fault: the general program
    evaluates the case again and meets what there is to meet."""
    raise LookupError(value)


# The runtime functions the generated code calls, bound as globals of the generated module
# (a global lookup, no attribute access per call).
_HELPERS = {
    "_in_range": semantics.check_range,
    "_divisor": semantics.checked_divisor,
    "_ranged": semantics.ranged,
    "Decimal": Decimal,
    "FaultError": FaultError,
    "_lookup": semantics.table_lookup,
    "_round": semantics.round_value,
    "_days": semantics.calendar_days,
    "_date_add": semantics.add_days,
    "_date_plus": semantics.date_plus,
    "_days_in_month": semantics.days_in_month,
    "_year": semantics.year_of,
    "_month": semantics.month_of,
    "_reference_date": semantics.reference_date,
    "_min": semantics.minimum,
    "_max": semantics.maximum,
    "_first": semantics.first,
    "_last": semantics.last,
    "_no_previous": semantics.no_previous,
    "_level": semantics.declared_level,
    "_effective": semantics.effective_level,
    "_no_band": semantics.no_band,
    "_decide_round": semantics.decide_rounding,
    "_decide_compare": semantics.decide_compare,
    "_bands": semantics.decide_bands,
    "_NEAR": semantics.NEAR,
    "ZERO": Decimal(0),
    "_no_level": _no_level,
}

# How many values a level (or another whole-numbered aufzählung) may have for the values that
# depend on it alone to be computed for each of them when a program is specialised (``_Gen.folded_by``).
FOLDED_LEVELS = 64


@attrs.frozen(repr=False)
class Program(Record):
    """A compiled model: ``run(case_row, parameters, tables, failures, warnings, date=None)``."""

    run: Any
    source: str = attrs.field(repr=False)
    node_ids: tuple[str, ...]
    max_depth: int
    reads_date: bool = False  # whether the rules read the reference date (:func:`toolkit.reads_date`)
    # A program that keeps the list elements' values apart (see :func:`compile_model`): its ``run``
    # gives (the case's row, the elements' values), and ``complete(values, row)`` puts them into
    # the element rows (a copy of the case's lists, as the other programs make). None: ``run``
    # gives the complete row.
    complete: Callable[[tuple[Any, ...], dict[str, Any]], None] | None = None


def _whole_enum(ir: c.Expr) -> bool:
    """Whether ``ir`` is of a whole-numbered aufzählung (its values are ints at runtime)."""
    return ir.type.kind == c.TypeKind.ENUM and ir.type.enum is not None and ir.type.enum.numeric


def _whole_number(ir: c.Expr) -> int | None:
    """The value of ``ir`` where it is a whole number written out, else None."""
    if isinstance(ir, c.Const) and isinstance(ir.value, Decimal) and ir.value.is_finite() and (
            ir.value == ir.value.to_integral_value()):
        return int(ir.value)
    return None


_AGGREGATE_HELPERS = {"min": "_min", "max": "_max", "erstes": "_first", "letztes": "_last"}


@attrs.define(repr=False)
class _Loop(Record):
    """A loop of the generated code over the elements of list ``scope``, within the loop
    ``parent`` (None: at the top): the order positions of its first and last node, the index
    of its first line, of the line after its body, and its indentation; ``locals``: the locals
    that hold values of the current element(s) at the end of its body (see ``_Gen.locals``)."""

    scope: str
    parent: _Loop | None
    first: int
    start: int
    indent: int
    last: int | None = None
    end: int = 0
    locals: dict[tuple[str, str], tuple[int, str]] = attrs.field(factory=dict)
    # A program that keeps the elements' values apart (``_Gen.deferred``): the number of the loop
    # (its list of records is ``V<number>``), the keys and the code of the values each element's
    # record holds, in the order the rows get them, and the loops inside its body with records
    # (each element's record ends with their lists of records)
    number: int = 0
    record: list[tuple[str, str]] = attrs.field(factory=list)
    inner: list[_Loop] = attrs.field(factory=list)
    # the values the same for each element (computed before the loop: ``_Gen.hoisted``), which
    # the list of records holds once, as its first item, where the elements have records
    shared: list[tuple[str, str]] = attrs.field(factory=list)
    # the order the rows get the values in: (key, whether it is a shared one)
    order: list[tuple[str, bool]] = attrs.field(factory=list)


@attrs.frozen(repr=False)
class _Plan(Record):
    """How the records of a loop of a program with deferred values fill the rows (see
    :func:`_complete`): the list's name in its owner's row, the keys of each record's values
    and the plans of the loops inside (whose lists of records end each record)."""

    name: str
    keys: tuple[str, ...]
    inner: tuple[_Plan, ...]
    # where the records' list begins with the values shared by its elements: the keys in the
    # order the rows get them, and for each its place in an element's record followed by the
    # shared values (see :func:`_fill`)
    places: tuple[int, ...] | None = None


class _Gen:
    def __init__(self, model: c.CheckedModel, parameters: Mapping[str, Any] | None = None,
                 tables: Mapping[str, Mapping[Any, Any]] | None = None, deferred: bool = False):
        self.model = model
        # Deferred values (a specialised program only): the values of a list's elements are kept
        # in locals and, at the end of each loop's body, in one record (a tuple) per element, not
        # stored in the element's row; the case's lists are not copied. The rows are made when
        # the frame is first read (:func:`_complete`). Where generated code would read such a
        # value from a row (within an aggregate, ``vorher``, a loop of another element),
        # ``undeferrable`` is set: :func:`compile_model` then generates the program anew without.
        self.deferred = deferred and parameters is not None
        self.undeferrable = False
        self.written: dict[tuple[str, str], tuple[_Loop, int]] = {}  # value → (its loop, place in the record)
        self.top_loops: list[_Loop] = []  # the loops at the top with records, in order
        self.loop_count = 0
        # Specialised for these parameter values and tables (see :func:`compile_model`): they
        # become constants, and every expression of constants alone is computed here, once.
        self.parameters = parameters
        self.tables = tables
        self.constant: dict[int, bool] = {}  # id of an expression → whether it reads constants only
        # Running totals (a specialised program): ``summe``/``anzahl`` over a list whose elements
        # an earlier loop visits are added up in that loop, not computed by a function of their own.
        self.totals = parameters is not None
        self.loops: list[_Loop] = []  # the loops emitted so far
        self.open_loops: list[_Loop] = []  # the loops around the code being emitted
        self.inserts: list[tuple[int, int, str]] = []  # (line index, 0: at a loop's end / 1: before it, text)
        # A specialised program keeps each value in a local too (``_l<node>``), read instead of the
        # row for as long as the element it belongs to is the current one: (scope, key) → (list
        # depth, local). Not inside an aggregate: its code may stand in a function of its own.
        self.locals: dict[tuple[str, str], tuple[int, str]] = {}
        self.in_aggregate = 0
        # the node that computes a key of a scope (values and levels)
        self.value_nodes = {(node.scope, node.key): node for node in model.nodes.values()}
        self.lines: list[str] = []
        self.consts: dict[tuple[Any, ...], str] = {}
        self.globals: dict[str, Any] = dict(_HELPERS)
        self.node_index = {nid: i for i, nid in enumerate(model.order)}
        # the order the nodes are emitted in: a specialised program merges the loops over a list
        # as far as the nodes allow (:func:`merged_order`); ``position`` is a node's place in it
        self.schedule = merged_order(model) if parameters is not None else list(model.order)
        self.position = {nid: i for i, nid in enumerate(self.schedule)}
        self.max_depth = max(s.depth for s in model.scopes.values())
        self.deferred = self.deferred and self.max_depth > 0  # (nothing to defer without lists)
        self.reads_date = False  # set by :meth:`generate`
        # A specialised program computes a value of a list's element that is the same for every
        # element (it reads no element: ``lp0.kosten_jahr = nacht.kosten_angebot_jahr * platzanteil``)
        # once, before the loop, and only stores it in each element's row: the keys of these values
        # while their loop is open (:meth:`hoisted_code`)
        self.hoisted: set[tuple[str, str]] = set()
        self.const_names: set[str] = set()
        self.depth_of = {sid: spec.depth for sid, spec in model.scopes.items()}
        # the list depths iterated by the loops and aggregates around the code being generated
        self.iterations: list[int] = []
        self.functions: list[str] = []  # the aggregates' functions (lines before ``run``)
        self.node_lines: list[tuple[int, c.Node]] = []  # (first line of its code, node)
        self.function_nodes: list[tuple[int, c.Node | None]] = []  # (first line, node using it)
        self.current: c.Node | None = None
        # Code generated by :meth:`expr` alone (a property's condition) runs in ``globals``:
        # the aggregates' functions are defined there as they are generated, and ``K`` (the
        # cache, a local of ``run``) is None there. :func:`compile_model` defines them anew.
        self.standalone = True
        self.globals["K"] = None
        # values that may be inexact in 28 digits (see :meth:`inexact`), by (scope, key) of the node
        self.inexact_nodes: dict[tuple[str, str], bool] = {}
        self.decisions = 0  # the decisions checked for a boundary so far (names of their locals)
        # Values of a list's elements that depend on one level alone (a specialised program, see
        # :meth:`folded_by`): (scope, key) → (the level's (scope, key), its local) …
        self.fold_basis: dict[tuple[str, str], tuple[str, str]] = {}
        # … and their value for each level where computing it did not fail
        self.fold_values: dict[tuple[str, str], dict[int, Any]] = {}
        # (id of the loop, the level) → (local of the fetched values, {level: [values]}, the
        # level's code there): one look-up per element and level, each value a place in it
        self.fold_tables: dict[tuple[int, tuple[str, str]], tuple[str, dict[int, list[Any]], str]] = {}
        self.fold_levels: dict[tuple[str, str], tuple[int, ...]] = {}  # level → its values
        self.folding_parts = False  # while the value of a list's element is generated (:meth:`folded_part`)
        self._dispatch = {cls: getattr(self, "_e_" + cls.__name__) for cls in toolkit.EXPRESSION_TYPES}

    def const(self, value: Any) -> str:
        if isinstance(value, bool) or value is None:
            return repr(value)
        if isinstance(value, (int, str)):
            return repr(value)
        # equal Decimals may differ in their digits (1 and 1.0): each keeps its own name
        if isinstance(value, Decimal):
            key: tuple[Any, ...] = (Decimal, value, str(value))
        elif isinstance(value, Mapping):  # a table of a specialised program
            key = (type(value), id(value))
        else:
            key = (type(value), value)
        name = self.consts.get(key)
        if name is None:
            name = f"C{len(self.consts)}"
            self.consts[key] = name
            self.globals[name] = value
            self.const_names.add(name)
        return name

    def row(self, scope: str) -> str:
        depth = self.model.scopes[scope].depth
        return "r" if depth == 0 else f"e{depth}"

    def list_of(self, scope: str) -> str:
        spec = self.model.scopes[scope]
        assert spec.parent is not None
        return f"{self.row(spec.parent)}[{spec.name!r}]"

    # ---- expressions ----

    def expr(self, ir: c.Expr) -> str:
        if self.parameters is not None and self.is_constant(ir) and not self.inexact(ir):
            # (a constant that divides is computed with the case: an evaluation with exact
            # decisions computes it in its digits, not in the 28 of a value folded here)
            return self.folded(ir)
        if self.folding_parts:
            part = self.folded_part(ir)
            if part is not None:
                return part
        return self._dispatch[type(ir)](ir)  # type: ignore[no-any-return]

    def is_constant(self, ir: c.Expr) -> bool:
        """Whether ``ir`` reads nothing but constants, parameters and tables (in a specialised
        program: then its value is the same for every case)."""
        known = self.constant.get(id(ir))
        if known is None:
            if isinstance(ir, c.Const):
                known = True
            elif isinstance(ir, c.Ref):
                known = ir.kind == c.RefKind.PARAMETER
            elif isinstance(ir, (c.Position, c.Previous, c.Aggregate)) or isinstance(ir, c.Func) and not ir.args:
                known = False  # the element, the list, or the evaluation's date (``stichtag()``)
            else:
                known = all(self.is_constant(child) for child in toolkit.children(ir))
            self.constant[id(ir)] = known
        return known

    def folded(self, ir: c.Expr) -> str:
        """A constant expression as the name of its value, computed now by its own generated
        code (so exactly as the generated code would compute it for every case); as that code
        where it fails (a missing table row, a division by zero): the case raises the fault."""
        code: str = self._dispatch[type(ir)](ir)
        if isinstance(ir, (c.Const, c.Ref)):
            return code
        return self.folded_code(code)

    def folded_code(self, code: str) -> str:
        """Generated code of constants alone as the name of its value, computed now as
        :meth:`folded` does (the code itself where that fails)."""
        try:
            with decimal.localcontext(DECIMAL_CONTEXT):
                value = eval(code, self.globals)  # noqa: S307 - generated from the checked model only
        except Exception:  # noqa: BLE001 - the fault belongs to the evaluation of a case
            return code
        return self.const(value)

    def constant_value(self, ir: c.Expr) -> tuple[bool, Any]:
        """(True, the value) of a constant expression of a specialised program, else (False, None)."""
        if self.parameters is None or not self.is_constant(ir):
            return False, None
        code = self.folded(ir)
        if code in ("True", "False", "None") or code in self.globals:
            return True, eval(code, self.globals)  # noqa: S307 - a name or literal generated here
        return False, None

    def _e_Const(self, ir: c.Const) -> str:
        return self.const(ir.value)

    def _e_Ref(self, ir: c.Ref) -> str:
        if ir.kind == c.RefKind.PARAMETER:
            return f"P[{ir.symbol!r}]" if self.parameters is None else self.const(self.parameters[ir.symbol])
        local = self.locals.get((ir.scope, ir.key)) if not self.in_aggregate else None
        if local is not None:
            return local[1]
        if self.deferred and self.depth_of[ir.scope] and (ir.scope, ir.key) in self.value_nodes:
            return self.deferred_read(ir.scope, ir.key)
        return f"{self.row(ir.scope)}[{ir.key!r}]"

    def deferred_read(self, scope: str, key: str) -> str:
        """A value of the current element of list ``scope`` computed by an earlier loop over the
        list, with deferred values: from the element's record of that loop, where that loop ran
        for the same element of the list's owner (its parent loop is this loop's); else
        ``undeferrable`` is set."""
        found = self.written.get((scope, key))
        reader = next((loop for loop in reversed(self.open_loops) if loop.scope == scope), None)
        if found is None or reader is None or self.in_aggregate or found[0].parent is not reader.parent:
            self.undeferrable = True
            return f"{self.row(scope)}[{key!r}]"
        loop, place = found
        if place < 0:  # a shared value: its local, computed before the loop that wrote it
            return loop.shared[-1 - place][1]
        after = " + 1" if loop.shared else ""  # (the shared values first)
        return f"V{loop.number}[i{self.depth_of[scope]}{after}][{place}]"

    def _e_Position(self, ir: c.Position) -> str:
        depth = self.model.scopes[ir.scope].depth
        return f"Decimal(i{depth} + 1)"

    def number(self, ir: c.Expr) -> str:
        """``ir`` as a number: levels and numeric members (``int`` at runtime) become Decimals."""
        # (not through expr: one frame less per level)
        folds = self.parameters is not None and self.is_constant(ir)
        part = self.folded_part(ir) if self.folding_parts and not folds else None
        text: str = self.folded(ir) if folds else part if part is not None else self._dispatch[type(ir)](ir)
        return f"Decimal({text})" if ir.type.kind == c.TypeKind.ENUM else text

    def _e_Previous(self, ir: c.Previous) -> str:
        depth = self.model.scopes[ir.ref.scope].depth
        if self.deferred and (ir.ref.scope, ir.ref.key) in self.value_nodes:
            self.undeferrable = True  # (the previous element's record is not at hand)
        # the list by its owner's row, not by the loop's ``L<depth>``: in an aggregate computed in
        # place over another list of that depth, ``i<depth>`` is a position in that list
        return (f"({self.list_of(ir.ref.scope)}[i{depth} - 1] if i{depth} else _no_previous({ir.ref.key!r}))"
                f"[{ir.ref.key!r}]")

    def _e_Granted(self, ir: c.Granted) -> str:
        # (a row holds the granted level where the case gives one; without it, None or no key)
        return f"({self.row(ir.ref.scope)}.get({ir.ref.key!r}) is not None)"

    def _e_Unary(self, ir: c.Unary) -> str:
        if ir.op == "nicht":
            return f"(not {self.expr(ir.operand)})"
        return f"(-{self.number(ir.operand)})"

    def _e_Arith(self, ir: c.Arith) -> str:
        if ir.type.kind == c.TypeKind.DATUM:
            left, right = self.expr(ir.left), self.expr(ir.right)
            return f"_date_add({left}, {right}, {1 if ir.op == '+' else -1}, {self.const(ir.right.span)})"
        left, right = self.number(ir.left), self.number(ir.right)
        constants = left in self.const_names and right in self.const_names  # (only in a specialised program)
        if ir.op == "/" and self.inexact(ir.right):
            # a divisor within NEAR of 0 is decided on its exact value (``semantics.exact_decisions``;
            # folded below only where it is not: the decision is the case's evaluation's)
            right = f"_divisor({right})"
        code = f"({left} {ir.op} {right})"
        if constants and ir.op != "/":  # ``(0 + 0) + x`` where a ``wenn`` took its constant branch
            # (a quotient is computed with the case: see :meth:`expr`)
            return self.folded_code(code)
        return code

    def _e_KeyApply(self, ir: c.KeyApply) -> str:
        return f"({self.expr(ir.count)} / {self.expr(ir.key)})"

    _CMP = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

    def _e_Compare(self, ir: c.Compare) -> str:
        op = self._CMP[ir.op]
        if (ir.left.type.kind == c.TypeKind.ZAHL and ir.right.type.kind == c.TypeKind.ZAHL
                and (self.inexact(ir.left) or self.inexact(ir.right))):
            # decided on the exact value where the sides lie within NEAR of each other
            # (``semantics.exact_decisions``)
            x, y = self.decision_locals()
            return (f"((_decide_compare({x}, {y}) if ZERO < abs(({x} := {self.expr(ir.left)}) - "
                    f"({y} := {self.expr(ir.right)})) <= _NEAR else {x}) {op} {y})")
        left, right = self.expr(ir.left), self.expr(ir.right)
        # a whole-numbered aufzählung (an int at runtime) against a whole number: compared with
        # that number as an int (``pflegegrad = 0``; an int against a Decimal converts it each time)
        if _whole_enum(ir.left) and (whole := _whole_number(ir.right)) is not None:
            right = repr(whole)
        elif _whole_enum(ir.right) and (whole := _whole_number(ir.left)) is not None:
            left = repr(whole)
        return f"({left} {op} {right})"

    def decision_locals(self) -> tuple[str, str]:
        """Two new names of locals for a decision checked for a boundary."""
        self.decisions += 1
        return f"_x{self.decisions}", f"_y{self.decisions}"

    def inexact(self, ir: c.Expr) -> bool:
        """Whether the 28-digit value of ``ir`` may differ from its exact value: it divides
        (``/``, a conversion by a fraction, a key), or reads a value that may (``runde(…)``
        gives an exact value). Sums and products are taken to be exact (see
        ``semantics.exact_decisions``)."""
        stack: list[Any] = [ir]
        while stack:
            sub = stack.pop()
            if isinstance(sub, c.KeyApply) or isinstance(sub, c.Arith) and sub.op == "/":
                return True
            if isinstance(sub, c.Convert) and sub.factor.denominator != 1:
                return True
            if isinstance(sub, c.Func) and sub.name == "runde":
                continue
            if isinstance(sub, c.Ref) and sub.kind != c.RefKind.PARAMETER and self.inexact_node(sub.scope, sub.key):
                return True
            stack.extend(toolkit.children(sub))
        return False

    def inexact_node(self, scope: str, key: str) -> bool:
        """:meth:`inexact` of the value computed for ``key`` of ``scope`` (False: an input)."""
        known = self.inexact_nodes.get((scope, key))
        if known is not None:
            return known
        target = self.value_nodes.get((scope, key))
        if target is None:
            self.inexact_nodes[(scope, key)] = False
            return False
        # the nodes a value reads come before it: computed in order, no deep recursion
        for nid in self.model.order:
            node = self.model.nodes[nid]
            at = (node.scope, node.key)
            if at not in self.inexact_nodes:
                self.inexact_nodes[at] = False  # (``vorher`` of itself reads it)
                self.inexact_nodes[at] = (isinstance(node, c.ValueNode) and node.type.kind == c.TypeKind.ZAHL
                                          and self.inexact(node.expr))
            if node is target:
                break
        return self.inexact_nodes[(scope, key)]

    def _e_Logic(self, ir: c.Logic) -> str:
        return f"({self.expr(ir.left)} {'and' if ir.op == 'und' else 'or'} {self.expr(ir.right)})"

    def _e_Cond(self, ir: c.Cond) -> str:
        branch = self.number if ir.type.kind == c.TypeKind.ZAHL else self.expr
        known, test = self.constant_value(ir.test)
        if known:  # the branch the test always takes
            return branch(ir.then) if test else branch(ir.otherwise)
        return f"({branch(ir.then)} if {self.expr(ir.test)} else {branch(ir.otherwise)})"

    def _e_Convert(self, ir: c.Convert) -> str:
        inner = self.number(ir.operand)
        num, den = ir.factor.numerator, ir.factor.denominator
        # the factor's integers as Decimal constants: the same values (an int operand is made a
        # Decimal exactly), without converting it in every evaluation
        if den == 1:
            return f"({inner} * {self.const(Decimal(num))})"
        if num == 1:
            return f"({inner} / {self.const(Decimal(den))})"
        return f"({inner} * {self.const(Decimal(num))} / {self.const(Decimal(den))})"

    def _e_Lookup(self, ir: c.Lookup) -> str:
        keys = [self.expr(k) for k in ir.keys]
        key = keys[0] if len(keys) == 1 else "(" + ", ".join(keys) + ",)"
        name = self.model.tables[ir.table].name
        if self.tables is None:
            return f"_lookup(T[{ir.table!r}], {key}, {name!r}, {self.const(ir.span)})"
        # a specialised program reads the row itself; a missing one (or a key that is no key) is
        # a fault, which the general program meets again and reports (see :class:`PythonBackend`)
        return f"{self.const(self.tables[ir.table])}[{key}]"

    def _e_Aggregate(self, ir: c.Aggregate) -> str:
        """A generator over the list's elements, in a function of its own (so that nested
        aggregates do not nest parentheses in one expression); kept (see :meth:`_function`)
        where it stands in a loop or aggregate it does not depend on: ``x / summe(bewohner.x)``
        in a loop over the residents is summed once, not once per resident."""
        if self.parameters is not None and ir.function == "anzahl" and ir.where is None:
            return f"Decimal(len({self.list_of(ir.scope)}))"  # (a specialised program: the count is the length)
        total = self.running_total(ir) if self.totals else None
        if total is not None:
            return total
        depth = self.model.scopes[ir.scope].depth
        loop = f"for i{depth}, e{depth} in enumerate({self.list_of(ir.scope)})"
        self.iterations.append(depth)
        self.in_aggregate += 1
        try:
            cond = f" if {self.expr(ir.where)}" if ir.where is not None else ""
            value = self.expr(ir.value) if ir.value is not None else None
        finally:
            self.in_aggregate -= 1
            self.iterations.pop()
        name = self.model.scopes[ir.scope].name
        if ir.function == "anzahl":
            code = f"Decimal(sum(1 {loop}{cond}))"
        else:
            assert value is not None
            gen = f"({value} {loop}{cond})"
            if ir.function == "summe":
                code = f"sum({gen}, ZERO)"
            else:
                helper = _AGGREGATE_HELPERS[ir.function]
                code = f"{helper}({gen}, {name!r}{', True' if ir.where is not None else ''})"
        return self._function(ir, code)

    def running_total(self, ir: c.Aggregate) -> str | None:
        """``summe``/``anzahl`` of ``ir`` as a running total added up in an earlier loop over its
        list (within the same element of the list's owner, for a nested list), or None where none
        fits: the sum or count reads only elements of the list, its owners and constants, and
        everything it reads is computed by the end of that loop. The same additions in the same
        order as ``sum(…, ZERO)``; a fault on the way is the general program's to report (see
        :class:`PythonBackend`)."""
        if ir.function not in ("summe", "anzahl") or self.current is None:
            return None
        scope = self.model.scopes[ir.scope]
        owners = self.owners(ir.scope)
        use = self.position[self.current.id]
        reads: list[int] = []  # order positions of the values it reads: (of the list, of an owner)
        owner_reads: list[int] = []
        for part in (ir.value, ir.where):
            for sub in toolkit.walk(part) if part is not None else ():
                if isinstance(sub, (c.Aggregate, c.Previous)):
                    return None
                if isinstance(sub, c.Ref) and sub.kind != c.RefKind.PARAMETER:
                    if sub.scope != ir.scope and sub.scope not in owners:
                        return None
                    node = self.value_nodes.get((sub.scope, sub.key))
                    if node is not None:
                        (reads if sub.scope == ir.scope else owner_reads).append(self.position[node.id])
                elif isinstance(sub, c.Position) and sub.scope != ir.scope:
                    return None
        around = next((loop for loop in self.open_loops if loop.scope == scope.parent), None)
        if scope.parent and around is None:  # pragma: no cover - a list's aggregate stands in its owner
            return None
        candidates = [loop for loop in self.loops if loop.scope == ir.scope and loop.parent is around
                      and loop.last is not None and loop.last < use]
        if not candidates:
            return None
        loop = candidates[-1]
        assert loop.last is not None
        if any(position > loop.last for position in reads) or any(position >= loop.first for position in owner_reads):
            return None
        name = f"t{len(self.inserts)}"
        indent = "    " * loop.indent
        # the code stands at the end of the loop's body: the locals known there, not here
        known, self.locals = self.locals, loop.locals
        try:
            condition = f"if {self.expr(ir.where)}: " if ir.where is not None else ""
            value = self.expr(ir.value) if ir.value is not None else ""
        finally:
            self.locals = known
        if ir.function == "anzahl":
            self.inserts.append((loop.start, 1, f"{indent}{name} = 0"))
            self.inserts.append((loop.end, 0, f"{indent}    {condition}{name} += 1"))
            return f"Decimal({name})"
        self.inserts.append((loop.start, 1, f"{indent}{name} = ZERO"))
        self.inserts.append((loop.end, 0, f"{indent}    {condition}{name} = {name} + {value}"))
        return name

    def owners(self, scope: str) -> set[str]:
        """The scopes that hold list ``scope``: its parent, the parent's parent, … (the root included)."""
        found: set[str] = set()
        parent = self.model.scopes[scope].parent
        while parent is not None:
            found.add(parent)
            parent = self.model.scopes[parent].parent
        return found

    def _free_depths(self, ir: c.Expr) -> set[int] | None:
        """The list depths whose current element (row) ``ir`` reads, or None if it reads the
        previous element (``vorher``: then it is never kept). Depth 0, the case's own row, does
        not count: it is the same throughout an evaluation."""
        # iterative post-order: (node, its sub-expressions' results so far)
        free: dict[int, set[int]] = {}
        stack: list[tuple[Any, bool]] = [(ir, False)]
        while stack:
            node, done = stack.pop()
            if not done:
                if isinstance(node, c.Previous):
                    return None
                stack.append((node, True))
                stack.extend((child, False) for child in toolkit.children(node))
                continue
            found: set[int] = set()
            for child in toolkit.children(node):
                found |= free.pop(id(child), set())
            if isinstance(node, c.Ref) and node.kind != c.RefKind.PARAMETER or isinstance(node, c.Position):
                found.add(self.depth_of[node.scope])
            elif isinstance(node, c.Aggregate):
                depth = self.depth_of[node.scope]
                found.discard(depth)
                found.add(depth - 1)
            found.discard(0)
            free[id(node)] = found
        return free[id(ir)]

    def _function(self, ir: c.Aggregate, code: str) -> str:
        """A call of a new module-level function returning ``code``. Its parameters are the
        case's row, the parameters, the tables, the cache ``K`` of this evaluation and the
        element (and its index) of each list depth ``code`` reads. Where the call stands inside
        an iteration (a loop, or another aggregate) it does not depend on, the function keeps
        its result in ``K`` together with those elements and returns it while they are the
        same. An aggregate that reads ``vorher`` stays inline, as it reads the loop's list."""
        free = self._free_depths(ir)
        if free is None:
            return code
        number = len(self.function_nodes)
        name = f"_A{number}"
        keys = sorted(free)
        params = "".join(f", i{d}, e{d}" for d in keys)
        lines = [f"def {name}(K, r, P, T{params}):"]
        if any(depth not in free for depth in self.iterations):
            same = "".join(f" and k[{n}] is e{d}" for n, d in enumerate(keys))
            stored = "".join(f"e{d}, " for d in keys)
            lines += [
                f"    k = None if K is None else K.get({number})",
                f"    if k is not None{same}:",
                "        return k[-1]",
                f"    v = {code}",
                "    if K is not None:",
                f"        K[{number}] = ({stored}v,)",
                "    return v",
            ]
        else:
            lines.append(f"    return {code}")
        self.function_nodes.append((len(self.functions) + 1, self.current))
        self.functions.extend(lines)
        if self.standalone:  # Python's limits are reported by the caller's compile
            with contextlib.suppress(SyntaxError, RecursionError, MemoryError):
                compiled = compile("\n".join(lines) + "\n", "<teilhabe_rules>", "exec")
                exec(compiled, self.globals)  # noqa: S102 - generated from the checked model only
        return f"{name}(K, r, P, T{params})"

    def _e_Func(self, ir: c.Func) -> str:
        if ir.name in ("min", "max"):  # each argument generated once (nested calls stay linear)
            parts = []
            for arg in ir.args:  # a loop, not a generator: one frame less per level
                parts.append(self.number(arg))
            return f"{ir.name}({', '.join(parts)})"
        args = [self.expr(a) for a in ir.args]
        if ir.name == "runde":
            mode = ir.args[2]
            assert isinstance(mode, c.Const)
            known, places = self.constant_value(ir.args[1])
            if known and isinstance(places, (Decimal, int)) and not isinstance(places, bool):
                try:  # ``semantics.round_value`` written out, its quantum computed once
                    with decimal.localcontext(DECIMAL_CONTEXT):
                        quantum = Decimal(1).scaleb(-int(places))
                except (ArithmeticError, ValueError, OverflowError):
                    pass
                else:
                    rounding = semantics.ROUNDING_MODES[mode.value]
                    if not self.inexact(ir.args[0]):  # (the mode positional: a keyword costs its parsing)
                        return f"({args[0]}).quantize({self.const(quantum)}, {rounding!r})"
                    return self.checked_rounding(args[0], quantum, rounding)
            return f"_round({args[0]}, {args[1]}, {mode.value!r})"
        if ir.name == "kalendertage":
            return f"_days({args[0]}, {args[1]}, {self.const(ir.span)})"
        if ir.name == "datum_plus":
            return f"_date_plus({args[0]}, {args[1]}, {str(ir.args[1].type.unit)!r})"
        if ir.name == "jahr":
            return f"_year({args[0]})"
        if ir.name == "monat":
            return f"_month({args[0]})"
        if ir.name == "tage_im_monat":
            return f"_days_in_month({args[0]}, {args[1]})"
        if ir.name == "stichtag":  # the case's row keeps the date (see generate)
            return f"_reference_date(r[{DATE_KEY!r}], {self.const(ir.span)})"
        raise AssertionError(ir.name)  # pragma: no cover

    def checked_rounding(self, value: str, quantum: Decimal, rounding: str) -> str:
        """``value.quantize(quantum, rounding=rounding)`` decided on the exact value where
        ``value`` lies within NEAR of a boundary, not on it (``semantics.rounding_near`` written
        out; see ``semantics.exact_decisions``)."""
        x, y = self.decision_locals()
        d = f"_d{self.decisions}"
        q = self.const(quantum)
        rounded = f"(({d} := abs(({x} := {value}) - ({y} := {x}.quantize({q}, {rounding!r})))))"
        with decimal.localcontext(DECIMAL_CONTEXT):
            if rounding == decimal.ROUND_HALF_UP:
                half = quantum / 2
                test = f"{rounded} < {self.const(half - semantics.NEAR)} or {d} == {self.const(half)}"
            else:
                test = f"_NEAR < {rounded} < {self.const(quantum - semantics.NEAR)} or not {d}"
        return f"({y} if {test} else _decide_round({x}, {q}, {rounding!r}))"

    # ---- statements ----

    def emit(self, text: str, indent: int) -> None:
        self.lines.append("    " * indent + text)

    def node(self, node: c.Node, indent: int) -> None:
        index = self.node_index[node.id]
        row = self.row(node.scope)
        self.node_lines.append((len(self.lines) + 1, node))
        self.current = node
        # with deferred values (see ``deferred``), a value of a list's element goes into the
        # element's record, not its row
        deferred = self.deferred and self.depth_of[node.scope] > 0
        hoisted = self.hoisted_code(node, index)
        if hoisted is not None:  # computed before the loop (see ``hoisted``): stored in this row
            if deferred:
                self.record(node.scope, node.key, hoisted, shared=True)
            else:
                self.emit(f"{row}[{node.key!r}] = {hoisted}", indent)
            return
        store = "" if deferred else f"{row}[{node.key!r}] = "
        if self.parameters is None:  # the node a fault is met in (a specialised program leaves it to the general one)
            self.emit(f"N = {index}", indent)
        if isinstance(node, c.ValueNode):
            kept = self.keep(node, index)
            value = self.folded_by(node, indent)
            if value is None:
                self.folding_parts = self.parameters is not None
                try:
                    value = self.expr(node.expr)
                finally:
                    self.folding_parts = False
            self.emit(f"{store}{kept}{value}", indent)
            if deferred:
                self.record(node.scope, node.key, f"_l{index}")
            if node.type.kind == c.TypeKind.ZAHL and (node.type.low is not None or node.type.high is not None):
                low, high = self.const(node.type.low), self.const(node.type.high)
                value = f"_l{index}" if deferred else f"{row}[{node.key!r}]"
                if self.inexact(node.expr):  # a hair past a bound: decided on the exact value, kept as the bound
                    self.emit(f"{store}{kept}_ranged({value}, {low}, {high}, {node.key!r})", indent)
                else:
                    self.emit(f"_in_range({value}, {low}, {high}, {node.key!r})", indent)
        elif isinstance(node, c.CorridorLevelNode) and node.bands and deferred:
            self.deferred_corridor(node, index, indent)
        elif isinstance(node, c.CorridorLevelNode) and node.bands:
            # The level of the first band that holds the quantity: each band's test is
            # ``semantics.band_contains`` written out as comparisons (no call per band).
            self.emit(f"s = {self.expr(node.subject)}", indent)
            self.emit(f"{row}[{corridor_key(node)!r}] = s", indent)
            bounds = [bound for band in node.bands for bound in (band.lower, band.upper) if bound is not None]
            if (any(self.inexact(e) for e in (node.subject, *bounds))
                    and all(self.is_constant(bound) for bound in bounds)):
                # decided on the exact value where it lies within NEAR of a bound (bounds of
                # constants and parameters only: evaluating them all cannot fail)
                self.emit(f"s = _bands(s, ({''.join(self.expr(bound) + ', ' for bound in bounds)}))", indent)
            self.emit_bands(node, f"{row}[{node.key!r}] = ", indent)
        elif isinstance(node, c.ExpressionLevelNode):
            assert node.type.enum is not None
            levels = self.const(frozenset(int(m.key) for m in node.type.enum.members))
            value = self.expr(node.expr)
            if self.parameters is not None:  # ``semantics.declared_level`` written out
                value = (f"(int(_v) if (_v := {value}) in {levels} else _level(_v, {levels}, {node.package!r}))")
                self.emit(f"{store}{self.keep(node, index)}{value}", indent)
                if deferred:
                    self.record(node.scope, node.key, f"_l{index}")
            else:
                self.emit(f"{row}[{node.key!r}] = _level({value}, {levels}, {node.package!r})", indent)
        elif isinstance(node, c.GrantedLevelNode):
            granted = f"{node.package}.bewilligte_stufe"
            computed = f"{node.package}.berechnete_stufe"
            if self.parameters is not None:  # ``semantics.effective_level`` written out
                local = self.locals.get((node.scope, computed))
                if local is not None:
                    computed_code = local[1]
                elif deferred and (node.scope, computed) in self.value_nodes:
                    computed_code = self.deferred_read(node.scope, computed)
                else:
                    computed_code = f"{row}[{computed!r}]"
                # (a loaded row holds every granted level, None where none is granted; a row
                # without is the general program's to evaluate)
                self.emit(f"{store}{self.keep(node, index)}({computed_code} if "
                          f"(_v := {row}[{granted!r}]) is None else _v)", indent)
                if deferred:
                    self.record(node.scope, node.key, f"_l{index}")
            else:
                self.emit(f"{row}[{node.key!r}] = _effective({row}.get({granted!r}), {row}[{computed!r}])", indent)
        elif isinstance(node, c.CheckNode):
            target = "F" if node.kind == c.NodeKind.PRUEFUNG else "W"
            parts = [self.expr(p) for p in node.message if not isinstance(p, str)]
            indexes = self.indexes(node.scope)
            self.emit(f"if not {self.expr(node.expr)}:", indent)
            self.emit(f"{target}.append(({index}, {indexes}, ({''.join(p + ', ' for p in parts)})))", indent + 1)
        else:  # pragma: no cover
            raise AssertionError(node.kind)

    def record(self, scope: str, key: str, code: str, shared: bool = False) -> None:
        """With deferred values: ``code`` (a local) is the value of ``key`` in the record of the
        current element of list ``scope`` (the innermost open loop's); ``shared``: the same for
        each element, computed before the loop (its list of records holds it once)."""
        loop = self.open_loops[-1]
        assert loop.scope == scope
        if shared:
            self.written[(scope, key)] = (loop, -1 - len(loop.shared))
            loop.shared.append((key, code))
        else:
            self.written[(scope, key)] = (loop, len(loop.record))
            loop.record.append((key, code))
        loop.order.append((key, shared))

    def deferred_corridor(self, node: c.CorridorLevelNode, index: int, indent: int) -> None:
        """A corridor's level with deferred values: as :meth:`node` writes it, the quantity and
        the level in locals (``_q<index>``, ``_l<index>``) recorded for the element."""
        self.emit(f"s = _q{index} = {self.expr(node.subject)}", indent)
        self.record(node.scope, corridor_key(node), f"_q{index}")
        bounds = [bound for band in node.bands for bound in (band.lower, band.upper) if bound is not None]
        if (any(self.inexact(e) for e in (node.subject, *bounds))
                and all(self.is_constant(bound) for bound in bounds)):
            self.emit(f"s = _bands(s, ({''.join(self.expr(bound) + ', ' for bound in bounds)}))", indent)
        self.emit_bands(node, self.keep(node, index), indent)
        self.record(node.scope, node.key, f"_l{index}")

    def emit_bands(self, node: c.CorridorLevelNode, target: str, indent: int) -> None:
        """``target`` (``… = ``) the level of the first of the corridor's bands that holds ``s``,
        else the fault ``_no_band``. Where the bands tile (a specialised program: their bounds
        constants; each band's lower bound the upper bound of the one before, one of the two
        inclusive), a band's lower test is left out: the tests before it decided it (the first
        band's lower bound held, and each band before failed on its upper bound)."""
        fault = f"_no_band(s, {node.package!r}, {str(node.subject.type.unit)!r})"
        tiled = self.tiled(node.bands)
        for number, band in enumerate(node.bands):
            conds = []
            if band.lower is not None:
                lower = f"s {'>=' if band.lower_inclusive else '>'} {self.expr(band.lower)}"
                if not tiled:
                    conds.append(lower)
                elif number == 0:  # outside the first band's lower bound: in none
                    self.emit(f"if not {lower}:", indent)
                    self.emit(fault, indent + 1)
            if band.upper is not None:
                conds.append(f"s {'<=' if band.upper_inclusive else '<'} {self.expr(band.upper)}")
            first = number == 0 and not (tiled and band.lower is not None)
            if not conds and not first:  # open on both sides after the tests before: the rest
                self.emit("else:", indent)
                self.emit(f"{target}{band.level}", indent + 1)
                return
            self.emit(f"{'if' if first else 'elif'} {' and '.join(conds) or 'True'}:", indent)
            self.emit(f"{target}{band.level}", indent + 1)
        self.emit("else:", indent)
        self.emit(fault, indent + 1)

    def tiled(self, bands: tuple[c.BandSpec, ...]) -> bool:
        """Whether ``bands`` tile (see :meth:`emit_bands`): every bound constant, each band's lower
        bound equal to the upper bound of the one before, exactly one of the two inclusive."""
        for before, band in zip(bands, bands[1:], strict=False):
            if before.upper is None or band.lower is None or before.upper_inclusive == band.lower_inclusive:
                return False
            known_upper, upper = self.constant_value(before.upper)
            known_lower, lower = self.constant_value(band.lower)
            if not (known_upper and known_lower and isinstance(upper, Decimal) and isinstance(lower, Decimal)
                    and upper == lower):
                return False
        return True

    def folded_by(self, node: c.ValueNode, indent: int) -> str | None:
        """In a specialised program, for a value of a list's element that depends on nothing but
        one level (or another whole-numbered aufzählung: a value of the element or an input, at
        most ``FOLDED_LEVELS`` values), constants and values so folded before (``zeit`` =
        ``lp1a_zeit[lp1a.stufe]``, ``stunden`` = ``zeit als h/Jahr``, ``vk``, …): its value for
        every level, computed now by its own generated code in the evaluation's decimal context
        (as :meth:`folded` computes constants); the code is the look-up of the element's level
        in a table of them (once per element and level: ``_f<n> = T[level]``) and the value's
        place in it (``_f<n>[k]``). A level whose computation fails (a missing table row, a
        division by zero, a value near a rounding boundary) is left out of the table: the
        element's look-up fails, and the general program meets the fault (see
        :class:`PythonBackend`); so does a level that is no int (the table's keys are ints).
        None where it does not apply."""
        if self.parameters is None or self.in_aggregate or not self.open_loops or node.type.kind == c.TypeKind.ENUM:
            return None
        folded = self._fold(node.expr, indent)
        if folded is None:
            return None
        code, basis, values = folded
        at = (node.scope, node.key)
        self.fold_basis[at] = basis
        self.fold_values[at] = values
        return code

    def folded_part(self, ir: c.Expr) -> str | None:
        """Within a value of a list's element that :meth:`folded_by` does not fold, a part of it
        (arithmetic, a conversion) that depends on one level alone as :meth:`folded_by` says, where
        the element's table of that level is looked up already in this loop: its place there
        (``zeit als h/Jahr`` in ``stunden = zeit als h/Jahr * poolfaktor``); else None."""
        if self.in_aggregate or not self.open_loops or not isinstance(ir, (c.Arith, c.Convert)):
            return None
        folded = self._fold(ir, None)
        return None if folded is None else folded[0]

    def _fold(self, expr: c.Expr, indent: int | None) -> tuple[str, tuple[str, str], dict[int, Any]] | None:
        """(code, level, values by level) of ``expr`` folded over one level (see
        :meth:`folded_by`); the table of the level looked up first at ``indent`` where this loop
        has none yet (None: only into a table there is)."""
        bases: set[tuple[str, str]] = set()
        reads: set[tuple[str, str]] = set()  # the values folded before it reads
        readings: dict[tuple[str, str], str] = {}  # the levels it reads itself → their code here
        stack: list[c.Expr] = [expr]
        parts = self.folding_parts
        self.folding_parts = False  # (the code computed here is that of the whole)
        try:
            return self._fold_over(expr, stack, bases, reads, readings, indent)
        finally:
            self.folding_parts = parts

    def _fold_over(self, expr: c.Expr, stack: list[c.Expr], bases: set[tuple[str, str]],
                   reads: set[tuple[str, str]], readings: dict[tuple[str, str], str],
                   indent: int | None) -> tuple[str, tuple[str, str], dict[int, Any]] | None:
        while stack:
            sub = stack.pop()
            if isinstance(sub, c.Ref) and sub.kind != c.RefKind.PARAMETER:
                at = (sub.scope, sub.key)
                if at in self.fold_basis and at in self.locals:
                    bases.add(self.fold_basis[at])
                    reads.add(at)
                elif (sub.type.kind == c.TypeKind.ENUM and sub.type.enum is not None and sub.type.enum.numeric
                      and 0 < len(sub.type.enum.members) <= FOLDED_LEVELS):
                    bases.add(at)
                    readings[at] = self.expr(sub)
                    self.fold_levels.setdefault(at, tuple(int(m.key) for m in sub.type.enum.members))
                else:
                    return None
                continue
            if isinstance(sub, (c.Position, c.Previous, c.Aggregate)) or isinstance(sub, c.Func) and not sub.args:
                return None
            stack.extend(toolkit.children(sub))
        if len(bases) != 1:
            return None
        (basis,) = bases
        levels = self.fold_levels[basis]
        key = (id(self.open_loops[-1]), basis)
        table = self.fold_tables.get(key)
        # the level's code: as this value reads it, else as the values folded before in this
        # loop read it (a value folded in another loop is no local here: not among ``reads``)
        if table is None and indent is None:
            return None
        reading = readings.get(basis) or (table[2] if table is not None else "")
        row = re.fullmatch(r"(r|e\d+)\[('[^'\\]*')\]", reading)
        if not reading.isidentifier() and row is None:
            return None  # (read otherwise than from a local or the row: not folded)
        code = self._dispatch[type(expr)](expr)
        try:
            compiled = compile(code, "<teilhabe_rules>", "eval")
        except (SyntaxError, RecursionError, MemoryError):  # (Python's limits: the caller's compile reports them)
            return None
        values: dict[int, Any] = {}
        for level in levels:
            env: dict[str, Any] = {}
            if row is not None:
                env[row.group(1)] = {ast.literal_eval(row.group(2)): level}
            else:
                env[reading] = level
            if any(level not in self.fold_values[at] for at in reads):
                continue  # (a value it reads failed there)
            for at in reads:
                env[self.locals[at][1]] = self.fold_values[at][level]
            try:
                with decimal.localcontext(DECIMAL_CONTEXT):
                    values[level] = eval(compiled, self.globals, env)  # noqa: S307 - generated from the checked model only
            except NameError:  # pragma: no cover - code that reads more than the analysis found
                return None
            except Exception:  # noqa: BLE001, S112 - the fault of the elements with this level
                continue
        if table is None:
            if not values or indent is None:
                return None
            name = f"_f{len(self.fold_tables)}"
            table = self.fold_tables[key] = (name, {level: [] for level in levels}, reading)
            self.emit(f"{name} = {self.const(table[1])}[_b] if (_b := {reading}).__class__ is int "
                      f"else _no_level(_b)", indent)
        name, rows, _ = table
        if not set(rows) & set(values) or indent is None and not set(rows) <= set(values):
            return None  # (a part may stand where it is not computed, in a branch of a ``wenn``: it fails nowhere)
        place = len(next(iter(rows.values())))
        for level in list(rows):
            if level in values:
                rows[level].append(values[level])
            else:
                del rows[level]
        return f"{name}[{place}]", basis, values

    def unpack_fold_rows(self) -> None:
        """In a specialised program, each row of a table of values computed for each level
        (``_f<n>``, see ``folded_by``) unpacked where it is read, not indexed at each use: into
        the local of the value that is just that item (``_l<i> = _f<n>[k]``, a line then left
        out, where the row is read once and that local set nowhere else), else into
        ``_f<n>_<k>``."""
        widths = {name: len(next(iter(rows.values()))) for name, rows, _ in self.fold_tables.values() if rows}
        widths = {name: width for name, width in widths.items() if width}
        if not widths:
            return
        heads = [found[2] for line in self.lines if (found := _FOLD_ROW.fullmatch(line)) is not None]
        targets: dict[tuple[str, int], str] = {}
        dropped: set[int] = set()
        for number, line in enumerate(self.lines):
            copy = _FOLD_COPY.fullmatch(line)
            if (copy is not None and copy[2] in widths and heads.count(copy[2]) == 1
                    and (copy[2], int(copy[3])) not in targets and self._set_once(copy[1])):
                targets[(copy[2], int(copy[3]))] = copy[1]
                dropped.add(number)

        def item(found: re.Match[str]) -> str:
            if found[1] is not None or found[2] not in widths:  # (a string literal: as it is)
                return found[0]
            return targets.get((found[2], int(found[3]))) or f"{found[2]}_{found[3]}"

        lines = []
        for number, line in enumerate(self.lines):
            if number in dropped:
                continue
            head = _FOLD_ROW.fullmatch(line)
            if head is not None and head[2] in widths:
                name = head[2]
                names = [targets.get((name, k)) or f"{name}_{k}" for k in range(widths[name])]
                line = f"{head[1]}{''.join(n + ', ' for n in names)}= {head[3]}"
            lines.append(_FOLD_ITEM.sub(item, line) if "_f" in line else line)
        self.lines = lines

    def hoist_element_inputs(self) -> None:
        """In a program that keeps the elements' values apart (it writes no value into an
        element's row), an input of a list's elements read more than once in the body of the
        loop over them (not counting where a check fails or warns) is read once, at the head of
        the body, into a local (``_n<k>``) — unless the body runs over a list itself with the
        loop's names (an aggregate computed in place: its ``e<depth>`` is another element).
        Every row holds every input (defaults filled in); a row that does not faults in the
        specialised program, and the general one meets what there is to meet."""
        lists: dict[str, list[str]] = {}  # the code of a list → the scopes it may name
        for sid in self.model.scopes:
            if sid:
                lists.setdefault(self.list_of(sid), []).append(sid)
        listed: dict[int, str] = {0: ""}  # the scope of the loop of each depth open here
        lines: list[str] = []
        count = 0
        position = 0
        while position < len(self.lines):
            line = self.lines[position]
            named = _LIST_LINE.fullmatch(line)
            if named is not None:
                depth = int(named[2])
                parent = listed.get(depth - 1)
                found = [sid for sid in lists.get(named[3], ()) if self.model.scopes[sid].parent == parent]
                if len(found) == 1:
                    listed[depth] = found[0]
                else:
                    listed.pop(depth, None)
            head = _LOOP_HEAD.fullmatch(line)
            lines.append(line)
            position += 1
            if head is None or int(head[2]) not in listed:
                continue
            indent, depth = len(head[1]), int(head[2])
            end = position
            while end < len(self.lines) and (not self.lines[end].strip()
                                             or len(self.lines[end]) - len(self.lines[end].lstrip()) > indent):
                end += 1
            body = self.lines[position:end]
            reads = re.compile(rf"({_STRING})|\be{depth}\[('[^'\\]*')\]( =[^=])?")
            rebound = re.compile(rf"({_STRING})|\bfor i{depth}, e{depth} in\b")
            if any(found[1] is None for text in body for found in rebound.finditer(text)):
                continue  # (the body's own ``e<depth>`` is another element in part of it)
            inputs = {repr(inp.key) for inp in self.model.scopes[listed[depth]].inputs}
            # (a read where a check fails or warns is not counted: the rare path)
            matches = [match for text in body for match in reads.finditer(text) if match[1] is None]
            written = {match[2] for match in matches if match[3] is not None}
            keys = [match[2] for text in body if not text.lstrip().startswith(("F.append(", "W.append("))
                    for match in reads.finditer(text) if match[1] is None and match[3] is None]
            again = sorted({key for key in keys if keys.count(key) > 1 and key in inputs and key not in written},
                           key=keys.index)
            if again:
                names = {}
                for key in again:
                    names[key] = f"_n{count}"
                    count += 1
                    lines.append(f"{' ' * (indent + 4)}{names[key]} = e{depth}[{key}]")
                body = [reads.sub(functools.partial(_renamed, names), text) for text in body]
            # (the inner loops of the body: taken as they come)
            self.lines[position:end] = body
        self.lines = lines

    def _set_once(self, local: str) -> bool:
        """``local`` is set by one line of the program and nowhere else."""
        pattern = re.compile(rf"\b{local}\b(?: =[^=]| :=)")
        return sum(len(pattern.findall(line)) for line in self.lines) == 1

    def hoisted_code(self, node: c.Node, index: int) -> str | None:
        """In a specialised program, for a value (or an ``ausdruck`` level) of the elements of the
        innermost open loop's list that reads no element of that list — only its owners, constants
        and values of the list computed so before —: the local (``_l<index>``) it is computed
        into before the loop; else None. Before the loop its operands have their
        values already (the loop holds nothing but its list's nodes). A fault there is met
        outside the element: the general program evaluates such a case again (see
        :class:`PythonBackend`), which meets it where it lies."""
        if self.parameters is None or self.in_aggregate or not self.open_loops:
            return None
        loop = self.open_loops[-1]
        if node.scope != loop.scope:
            return None
        if isinstance(node, c.ValueNode):
            if node.type.kind == c.TypeKind.ZAHL and (node.type.low is not None or node.type.high is not None):
                return None  # (its range check belongs to the element)
        elif not isinstance(node, c.ExpressionLevelNode):
            return None
        depth = self.depth_of[node.scope]
        for sub in toolkit.walk(node.expr):
            if isinstance(sub, (c.Position, c.Previous, c.Aggregate)) or isinstance(sub, c.Func) and not sub.args:
                return None
            if (isinstance(sub, c.Ref) and sub.kind != c.RefKind.PARAMETER and self.depth_of[sub.scope] >= depth
                    and (sub.scope, sub.key) not in self.hoisted):
                return None
        value = self.expr(node.expr)
        if isinstance(node, c.ExpressionLevelNode):
            assert node.type.enum is not None
            levels = self.const(frozenset(int(m.key) for m in node.type.enum.members))
            value = f"(int(_v) if (_v := {value}) in {levels} else _level(_v, {levels}, {node.package!r}))"
        local = self.keep(node, index).removesuffix(" = ")
        self.hoisted.add((node.scope, node.key))
        self.inserts.append((loop.start, 1, f"{'    ' * loop.indent}{local} = {value}"))
        return local

    def keep(self, node: c.Node, index: int) -> str:
        """In a specialised program: ``_l<index> = `` — the node's value kept in a local as well
        (see ``locals``); else nothing."""
        if self.parameters is None:
            return ""
        local = f"_l{index}"
        self.locals[(node.scope, node.key)] = (self.model.scopes[node.scope].depth, local)
        return f"{local} = "

    def indexes(self, scope: str) -> str:
        depth = self.model.scopes[scope].depth
        return "(" + "".join(f"i{d}, " for d in range(1, depth + 1)) + ")"

    def child_towards(self, scope: str, target: str) -> str | None:
        sid: str | None = target
        while sid is not None:
            parent = self.model.scopes[sid].parent
            if parent == scope:
                return sid
            sid = parent
        return None

    def block(self, scope: str, node_ids: list[str], indent: int) -> None:
        position = 0
        while position < len(node_ids):
            node = self.model.nodes[node_ids[position]]
            if node.scope == scope:
                self.node(node, indent)
                position += 1
                continue
            child = self.child_towards(scope, node.scope)
            assert child is not None
            run = []
            while (
                position < len(node_ids)
                and self.child_towards(scope, self.model.nodes[node_ids[position]].scope) == child
            ):
                run.append(node_ids[position])
                position += 1
            depth = self.model.scopes[child].depth
            loop = _Loop(child, self.open_loops[-1] if self.open_loops else None, self.position[run[0]],
                         len(self.lines), indent)
            self.emit(f"L{depth} = {self.list_of(child)}", indent)
            self.emit(f"for i{depth}, e{depth} in enumerate(L{depth}):", indent)
            self.iterations.append(depth)
            self.open_loops.append(loop)
            self.block(child, run, indent + 1)
            if self.deferred:
                self.end_record(loop)
            self.open_loops.pop()
            self.iterations.pop()
            loop.locals = self.locals
            self.locals = {key: local for key, local in self.locals.items() if local[0] < depth}
            self.hoisted = {key for key in self.hoisted if self.depth_of[key[0]] < depth}
            loop.last = self.position[run[-1]]
            loop.end = len(self.lines)
            self.loops.append(loop)

    def end_record(self, loop: _Loop) -> None:
        """With deferred values, at the end of ``loop``'s body: the element's record appended to
        the loop's list of records (made before the loop), where it has values or inner loops
        with records; the loop is one of the top loops or of its parent's inner ones."""
        if not loop.record and not loop.inner:
            if not loop.shared:
                return
            # only shared values: each element's record holds them (there is no list to lead)
            loop.record, loop.shared = loop.shared, []
            loop.order = [(key, False) for key, _ in loop.order]
            for place, (key, _code) in enumerate(loop.record):
                self.written[(loop.scope, key)] = (loop, place)
        loop.number = self.loop_count
        self.loop_count += 1
        items = [code for _, code in loop.record] + [f"V{inner.number}" for inner in loop.inner]
        self.emit(f"V{loop.number}.append(({''.join(item + ', ' for item in items)}))", loop.indent + 1)
        first = f"({''.join(code + ', ' for _, code in loop.shared)})" if loop.shared else ""
        self.inserts.append((loop.start, 1, f"{'    ' * loop.indent}V{loop.number} = [{first}]"))
        if loop.parent is None:
            self.top_loops.append(loop)
        else:
            loop.parent.inner.append(loop)

    def plan(self, loop: _Loop) -> _Plan:
        """The plan (:class:`_Plan`) of the records of ``loop``."""
        inner = tuple(self.plan(one) for one in loop.inner)
        name = self.model.scopes[loop.scope].name
        if not loop.shared:
            return _Plan(name, tuple(key for key, _ in loop.record), inner)
        length = len(loop.record) + len(loop.inner)
        at = {key: place for place, (key, _) in enumerate(loop.record)}
        shared = {key: length + place for place, (key, _) in enumerate(loop.shared)}
        return _Plan(name, tuple(key for key, _ in loop.order), inner,
                     tuple(shared[key] if is_shared else at[key] for key, is_shared in loop.order))

    def copy_rows(self, scope: str, indent: int) -> None:
        """Copy the case rows so that evaluation never changes the caller's data."""
        for child in self.model.scopes[scope].lists:
            depth = self.model.scopes[child].depth
            name = self.model.scopes[child].name
            row = self.row(scope)
            self.emit(f"{row}[{name!r}] = L{depth} = [dict(x) for x in {row}[{name!r}]]", indent)
            if self.model.scopes[child].lists:
                self.emit(f"for e{depth} in L{depth}:", indent)
                self.copy_rows(child, indent + 1)

    def generate(self) -> str:
        loop_vars = ", ".join(f"i{d}" for d in range(1, self.max_depth + 1))
        self.emit("def run(case, P, T, F, W, D=None):", 0)
        self.emit("r = dict(case)", 1)
        self.reads_date = toolkit.reads_date(self.model)
        if self.reads_date:  # the reference date, for stichtag() and the frame
            self.emit(f"r[{DATE_KEY!r}] = D", 1)
        self.emit("N = -1", 1)
        if loop_vars:
            self.emit(f"{loop_vars} = {', '.join('None' for _ in range(self.max_depth))}", 1)
        self.emit("K = {}", 1)
        self.emit("try:", 1)
        if not self.deferred:  # (with deferred values the rows are copied when they are completed)
            self.copy_rows("", 2)
        self.block("", self.schedule, 2)
        self.emit("pass", 2)
        self.emit(
            "except (FaultError, ArithmeticError, ValueError, TypeError, LookupError, AttributeError,"
            " RecursionError) as exc:",
            1,
        )
        self.emit(f"raise Located(N, ({loop_vars}{',' if loop_vars else ''}), exc) from None", 2)
        if self.deferred:
            self.emit(f"return r, ({''.join(f'V{loop.number}, ' for loop in self.top_loops)})", 1)
        else:
            self.emit("return r", 1)
        if self.inserts:  # the running totals: set before their loop, added at the end of its body
            at: dict[int, list[tuple[int, str]]] = {}
            for index, kind, text in self.inserts:
                at.setdefault(index, []).append((kind, text))
            lines: list[str] = []
            for index, line in enumerate([*self.lines, ""]):
                lines.extend(text for _, text in sorted(at.get(index, ()), key=lambda item: item[0]))
                lines.append(line)
            self.lines = lines[:-1]
        self.unpack_fold_rows()
        if self.deferred:
            self.hoist_element_inputs()
        # the aggregates' functions stand before ``run``
        shift = len(self.functions)
        self.node_lines = [(line + shift, node) for line, node in self.node_lines]
        return "\n".join(self.functions + self.lines) + "\n"


def emission_paths(model: c.CheckedModel) -> dict[int, tuple[int, ...]]:
    """Where the general program computes each node (by its index in ``model.order``): the
    position of the statement or loop at the top, then within each loop's body, outermost first.
    A check that fires in element (i1, i2, …) fires, in the general program, in the order of
    ``(p0, i1, p1, i2, p2, …)`` (:func:`_in_order`) — how a specialised program, which computes
    in another order, sorts its warnings."""
    index = {nid: number for number, nid in enumerate(model.order)}
    paths: dict[int, tuple[int, ...]] = {}

    def child_towards(scope: str, target: str) -> str | None:
        sid: str | None = target
        while sid is not None:
            parent = model.scopes[sid].parent
            if parent == scope:
                return sid
            sid = parent
        return None

    def walk(scope: str, node_ids: list[str], prefix: tuple[int, ...]) -> None:  # as :meth:`_Gen.block`
        position = item = 0
        while position < len(node_ids):
            node = model.nodes[node_ids[position]]
            if node.scope == scope:
                paths[index[node.id]] = (*prefix, item)
                position += 1
            else:
                child = child_towards(scope, node.scope)
                run = []
                while position < len(node_ids) and child_towards(scope, model.nodes[node_ids[position]].scope) == child:
                    run.append(node_ids[position])
                    position += 1
                assert child is not None
                walk(child, run, (*prefix, item))
            item += 1

    walk("", list(model.order), ())
    return paths


def _in_order(path: tuple[int, ...], indexes: tuple[int, ...]) -> tuple[int, ...]:
    """``(p0, i1, p1, i2, p2, …)`` of a path and the element indexes (see :func:`emission_paths`)."""
    key = [path[0]]
    for number, at in enumerate(indexes):
        key += [at, path[number + 1]]
    return tuple(key)


def merged_order(model: c.CheckedModel) -> list[str]:
    """The model's nodes in an order with as few loops over each list as the dependencies allow.

    Each scope's nodes keep their order (so every row gets its values in the same order as with
    ``model.order``); the case's nodes are taken as late and the lists' nodes as early as
    possible: in rounds, first the case's nodes whose values are all there, then for each list of
    the case the nodes of it (and of the lists inside it) whose values are there — one loop per list
    and round. A value read through an aggregate (``summe(bewohner.x)``) of the node's own list, or
    of any list not inside the node's element, must be complete: computed in an earlier round.
    The nodes of one such loop are ordered alike, the list's element taking the case's part, so
    that the loops over a list inside it are merged too (``massnahmen`` within ``bewohner``)."""
    nodes = model.nodes
    by_key = {(node.scope, node.key): nid for nid, node in nodes.items()}

    def towards(scope: str, owner: str) -> str:
        """The list of ``owner``'s elements that holds ``scope`` (``""``: ``owner`` itself)."""
        while scope != owner and model.scopes[scope].parent != owner:
            scope = model.scopes[scope].parent or ""
        return "" if scope == owner else scope

    def inside(scope: str, owner: str) -> bool:
        """Whether ``scope`` is a list inside the elements of ``owner`` (not ``owner`` itself)."""
        parent = model.scopes[scope].parent
        while parent is not None:
            if parent == owner:
                return True
            parent = model.scopes[parent].parent
        return False

    direct: dict[str, set[str]] = {}
    complete: dict[str, set[str]] = {}  # values read through an aggregate, which must be complete
    for nid in model.order:
        node = nodes[nid]
        found = {dep for dep in node.deps if dep in nodes}
        whole: set[str] = set()
        stack: list[tuple[Any, bool]] = [(expr, False) for expr in toolkit.node_expressions(node)]
        while stack:
            expr, in_aggregate = stack.pop()
            if isinstance(expr, c.Ref) and expr.kind != c.RefKind.PARAMETER:
                dep = by_key.get((expr.scope, expr.key))
                if dep is not None:
                    found.add(dep)
                    if in_aggregate and not inside(expr.scope, node.scope):
                        whole.add(dep)
            stack.extend((child, in_aggregate or isinstance(expr, c.Aggregate)) for child in toolkit.children(expr))
        if isinstance(node, c.GrantedLevelNode):
            computed = by_key.get((node.scope, f"{node.package}.berechnete_stufe"))
            if computed is not None:
                found.add(computed)
        found.discard(nid)
        direct[nid] = found
        complete[nid] = whole
    def merge(owner: str, ids: list[str]) -> list[str] | None:
        """``ids`` (nodes of ``owner`` and of the lists inside it, in order) ordered as described
        above, ``owner`` taking the case's part; values not among them are there already.
        None: no order found (a cycle the checker would have refused)."""
        among = set(ids)
        queues: dict[str, list[str]] = {}
        for nid in ids:
            queues.setdefault(towards(nodes[nid].scope, owner), []).append(nid)
        heads = dict.fromkeys(queues, 0)
        done: dict[str, tuple[int, str]] = {}  # node → (round, the list of its loop; "" for the owner)
        result: list[str] = []
        rounds = 0
        while len(result) < len(ids):
            if rounds > 2 * len(ids) + 2:  # pragma: no cover - a cycle the checker would have refused
                return None
            for group in ["", *(name for name in queues if name)]:
                queue = queues.get(group, [])
                taken: list[str] = []
                while heads[group] < len(queue) if group in heads else False:
                    nid = queue[heads[group]]
                    if not (direct[nid] & among) <= done.keys():
                        break
                    if any(done.get(dep) == (rounds, group) and group for dep in complete[nid]):
                        break  # read whole: the loop that computes it must be over
                    done[nid] = (rounds, group)
                    taken.append(nid)
                    heads[group] += 1
                if group and len({nodes[nid].scope for nid in taken}) > 1:  # lists inside the list: merged too
                    inner = merge(group, taken)
                    if inner is None:  # pragma: no cover - as above
                        return None
                    taken = inner
                result.extend(taken)
            rounds += 1
        return result

    return merge("", list(model.order)) or list(model.order)


def compile_model(model: c.CheckedModel, helpers: dict[str, Any] | None = None, *,
                  parameters: Mapping[str, Any] | None = None,
                  tables: Mapping[str, Mapping[Any, Any]] | None = None) -> Program:
    """Generate and compile the evaluator of ``model``. ``helpers`` replaces helpers the
    generated code calls (a recording ``_lookup`` for coverage); without it nothing changes.

    With ``parameters`` and ``tables`` (both or neither) the program is specialised for them:
    it must be run with these very mappings. Their values are constants of the code, and every
    expression of constants alone (``100 % + lp1a_indirekt``, ``1 / lp2c_reinigung``, a table
    row with a constant key, a ``wenn`` whose test is constant) is computed once here, by the
    same generated code, in the same decimal context — so every figure is the same digit for
    digit. An expression whose computation fails stays code: the case meets the fault.

    A specialised program keeps the values of the list elements apart, where it can (deferred
    values, see ``_Gen.deferred``): they are put into the element rows when the frame is first
    read (``Program.complete``), in the same order — what an evaluation costs per element is its
    arithmetic, not building rows nobody may read."""
    gen = _Gen(model, parameters, tables, deferred=True)
    try:
        gen.standalone = False  # the functions are part of the source
        source = gen.generate()
        if gen.undeferrable:
            gen = _Gen(model, parameters, tables)
            gen.standalone = False
            source = gen.generate()
        code = compile(source, f"<teilhabe_rules:{model.info.name}>", "exec")
    except (SyntaxError, RecursionError, MemoryError) as exc:
        # Python's own limits (nested parentheses, nested blocks, recursion of its compiler)
        raise _too_deep(model, gen, getattr(exc, "lineno", None)) from None
    namespace = dict(gen.globals)
    namespace["Located"] = Located
    namespace.update(helpers or {})
    exec(code, namespace)  # noqa: S102 - code generated from the checked model only
    complete = None
    if gen.deferred:
        complete = functools.partial(_complete, model, tuple(gen.plan(loop) for loop in gen.top_loops))
    return Program(namespace["run"], source, tuple(model.order), gen.max_depth, gen.reads_date, complete)


def _complete(model: c.CheckedModel, plans: tuple[_Plan, ...], records: tuple[Any, ...],
              root: dict[str, Any]) -> None:
    """``Program.complete`` of a program with deferred values: the case's lists in ``root``
    copied as the other programs copy them (every element a new dict, nested lists too), then
    each loop's ``records`` (as ``plans`` describe them) put into the elements' rows, loop after
    loop: each row gets its values in the order the other programs store them."""
    _copy_lists(model, "", root)
    for plan, found in zip(plans, records, strict=True):
        _fill(root[plan.name], found, plan)


def _copy_lists(model: c.CheckedModel, scope: str, row: dict[str, Any]) -> None:
    for child in model.scopes[scope].lists:
        spec = model.scopes[child]
        items = row[spec.name] = [dict(item) for item in row[spec.name]]
        if spec.lists:
            for item in items:
                _copy_lists(model, child, item)


def _fill(rows: list[dict[str, Any]], records: list[Any], plan: _Plan) -> None:
    places = plan.places
    if places is None:
        count = len(plan.keys)
        for row, record in zip(rows, records, strict=True):
            row.update(zip(plan.keys, record, strict=False))  # (the keys are fewer: the inner loops' records follow)
            for number, inner in enumerate(plan.inner, count):
                _fill(row[inner.name], record[number], inner)
        return
    # the list begins with the values its elements share; an element's values are its record's
    # and those, in the order the rows get them
    shared, count = records[0], len(places) - len(records[0])
    for row, record in zip(rows, records[1:], strict=True):
        values = record + shared
        row.update(zip(plan.keys, [values[place] for place in places], strict=True))
        for number, inner in enumerate(plan.inner, count):
            _fill(row[inner.name], record[number], inner)


# How many specialised programs a backend keeps (the most recently made), and after how many
# evaluations with the same parameter values and tables one is made: a single evaluation (a new
# process evaluating one case) does not pay for compiling twice.
SPECIALISED_PROGRAMS = 8
SPECIALISE_AFTER = 2


class PythonBackend:
    """The Python backend (:class:`~teilhabe_rules.runtime.backend.Backend`): the model's
    generated program, compiled once. ``helpers`` as for :func:`compile_model`.

    Evaluations with the same parameter and table mappings (the same objects, as
    :class:`~teilhabe_rules.model.Model` passes them for a date and an agreement) run, from the
    second on, a program specialised for them (:func:`compile_model`); the mappings must not
    change after they were passed (the library's own never do). A backend with ``helpers``
    always runs the general program."""

    def __init__(self, model: c.CheckedModel, helpers: dict[str, Any] | None = None):
        self.model = model
        self.program = compile_model(model, helpers)
        self._specialise = helpers is None
        # (id of the parameters, id of the tables) → [parameters, tables, evaluations, program or None]
        self._specialised: dict[tuple[int, int], list[Any]] = {}
        self._lock = threading.Lock()
        self._paths: dict[int, tuple[int, ...]] | None = None  # see :func:`emission_paths`

    def program_for(self, parameters: Mapping[str, Any], tables: Mapping[str, Mapping[Any, Any]]) -> Program:
        """The program to run with ``parameters`` and ``tables`` (see the class docstring)."""
        if not self._specialise:
            return self.program
        key = (id(parameters), id(tables))
        entry = self._specialised.get(key)
        if entry is not None and entry[0] is parameters and entry[1] is tables:
            program: Program | None = entry[3]
            if program is not None:
                return program
            entry[2] += 1
            if entry[2] < SPECIALISE_AFTER:
                return self.program
            try:
                program = compile_model(self.model, parameters=parameters, tables=tables)
            except CheckError:  # pragma: no cover - Python's limits, met by the general program first
                program = self.program
            entry[3] = program
            return program
        with self._lock:
            if len(self._specialised) >= SPECIALISED_PROGRAMS:
                self._specialised.pop(next(iter(self._specialised)))
            self._specialised[key] = [parameters, tables, 1, None]
        return self.program

    def evaluate(self, case: CaseInput) -> Evaluation:
        failures: list[tuple[int, tuple[int, ...], tuple[Any, ...]]] = []
        warnings: list[tuple[int, tuple[int, ...], tuple[Any, ...]]] = []
        program = self.program_for(case.parameters, case.tables)
        complete: Callable[[dict[str, Any]], None] | None = None
        try:
            with decimal.localcontext(DECIMAL_CONTEXT):
                try:
                    row = program.run(case.row, case.parameters, case.tables, failures, warnings, case.date)
                    if program.complete is not None:  # the elements' values kept apart: put in when read
                        row, records = row
                        complete = functools.partial(program.complete, records)
                    again = program is not self.program and bool(failures)
                except Located:
                    if program is self.program:
                        raise
                    again = True
                if again:
                    # A specialised program computes in another order (merged loops, running
                    # totals): the order of failed checks and warnings, where and in which
                    # element a fault is met, and which checks ran before it, are the general
                    # program's.
                    failures.clear()
                    warnings.clear()
                    complete = None
                    row = self.program.run(case.row, case.parameters, case.tables, failures, warnings, case.date)
        except Located as exc:
            node = self.program.node_ids[exc.node] if exc.node >= 0 else None
            fault = fault_of(exc.cause, self.model.nodes[node].key if node is not None else None)
            return Evaluation(None, self._checks(failures), self._checks(warnings),
                              EvaluationFault(fault, node, tuple(exc.indexes)))
        except semantics.ExactDecisionNeeded:  # a value within NEAR of a boundary, not on it
            return self._evaluate_exactly(case)
        if failures:
            return Evaluation(None, self._checks(failures), self._checks(warnings))
        if len(warnings) > 1 and program is not self.program:
            # the order in which the general program would have given them (it reaches every
            # check, as the specialised one did)
            paths = self._paths
            if paths is None:
                paths = self._paths = emission_paths(self.model)
            warnings.sort(key=lambda entry: _in_order(paths[entry[0]], entry[1]))
        return Evaluation(Frame.from_rows(self.model, row, case.parameters, case.tables, complete=complete), (),
                          self._checks(warnings))

    def _evaluate_exactly(self, case: CaseInput) -> Evaluation:
        """``case`` again, by the general program, deciding every rounding, band and comparison
        at a boundary on the exact value (``semantics.exact_decisions``); its figures (100
        digits) in 28 digits, as the 28-digit evaluation gives them."""
        failures: list[tuple[int, tuple[int, ...], tuple[Any, ...]]] = []
        warnings: list[tuple[int, tuple[int, ...], tuple[Any, ...]]] = []
        try:
            with semantics.exact_decisions() as decided:
                row = self.program.run(case.row, case.parameters, case.tables, failures, warnings, case.date)
        except Located as exc:
            node = self.program.node_ids[exc.node] if exc.node >= 0 else None
            fault = fault_of(exc.cause, self.model.nodes[node].key if node is not None else None)
            fault = attrs.evolve(fault, value=_narrowed(fault.value), key=_narrowed(fault.key))
            return Evaluation(None, self._checks(_narrowed(failures)), self._checks(_narrowed(warnings)),
                              EvaluationFault(fault, node, tuple(exc.indexes)))
        if failures:
            return Evaluation(None, self._checks(_narrowed(failures)), self._checks(_narrowed(warnings)))
        _narrow_rows(self.model, row)
        return Evaluation(Frame.from_rows(self.model, row, case.parameters, case.tables, exact_decisions=decided[0]),
                          (), self._checks(_narrowed(warnings)))

    def run(self, cases: Iterable[CaseInput]) -> Iterator[Evaluation]:
        for case in cases:
            yield self.evaluate(case)

    def _checks(self, entries: list[tuple[int, tuple[int, ...], tuple[Any, ...]]]) -> tuple[CheckFailure, ...]:
        node_ids = self.program.node_ids
        return tuple(CheckFailure(node_ids[index], tuple(indexes), tuple(values)) for index, indexes, values in entries)


def _narrowed(value: Any) -> Any:
    """A number of an evaluation with exact decisions (100 digits) in 28 digits, also inside
    tuples and lists (the values of a check's message); anything else as it is."""
    if isinstance(value, Decimal):
        return DECIMAL_CONTEXT.create_decimal(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_narrowed(item) for item in value)
    return value


def _narrow_rows(model: c.CheckedModel, root: dict[str, Any]) -> None:
    """The values an evaluation with exact decisions computed (every node's, in 100 digits) in
    28 digits, as the 28-digit evaluation gives them; the inputs stay as they are."""
    keys: dict[str, list[str]] = {}
    for node in model.nodes.values():
        keys.setdefault(node.scope, []).append(node.key)
        if isinstance(node, c.CorridorLevelNode):
            keys[node.scope].append(corridor_key(node))
    stack: list[tuple[str, dict[str, Any]]] = [("", root)]
    while stack:
        scope, row = stack.pop()
        for key in keys.get(scope, ()):
            value = row.get(key)
            if isinstance(value, Decimal):
                row[key] = DECIMAL_CONTEXT.create_decimal(value)
        for child in model.scopes[scope].lists:
            items = row.get(model.scopes[child].name)
            if isinstance(items, list):
                stack.extend((child, item) for item in items)


def compile_condition(model: c.CheckedModel, expr: c.Expr) -> Callable[[Frame], Any]:
    """An expression of the model's top level (a property's condition) as a function of an
    evaluation's frame, generated like the model's own code and run in its decimal context."""
    gen = _Gen(model)
    code = gen.expr(expr)
    namespace = dict(gen.globals)
    source = f"def condition(r, P, T):\n    return {code}\n"
    exec(compile(source, f"<eigenschaft:{model.info.name}>", "exec"), namespace)  # noqa: S102 - generated from the checked model
    generated = namespace["condition"]

    def condition(frame: Frame) -> Any:
        try:
            with decimal.localcontext(DECIMAL_CONTEXT):
                return generated(frame.rows, frame.parameters, frame.tables)
        except semantics.ExactDecisionNeeded:  # a value near a boundary: decided on the exact value
            with semantics.exact_decisions():
                return _narrowed(generated(frame.rows, frame.parameters, frame.tables))

    return condition


def _too_deep(model: c.CheckedModel, gen: _Gen, line: int | None) -> CheckError:
    """The located error for a model Python cannot compile: at the rule whose code failed (by
    line), else at the rule with the deepest expression."""
    node: c.Node | None = None
    if line is not None:
        in_functions = line <= len(gen.functions)
        for first, candidate in gen.function_nodes if in_functions else gen.node_lines:
            if first > line:
                break
            node = candidate
    if node is None and model.nodes:
        node = max(model.nodes.values(), key=_node_height)
    span = node.span if node is not None else model.scopes[""].span
    location = None
    source_line = None
    if span is not None and span.line > 0:
        location = Location(model.file_of(span), span.line, span.column, span.end_line,
                            span.end_column)
        source_line = model.line_of(span)
    return CheckError(Diagnostic(
        "Diese Regel ist zu tief verschachtelt, um sie zu übersetzen",
        location,
        hint="teile den Ausdruck mit „wert“-Zeilen in Zwischenwerte auf",
        source_line=source_line,
        code="grenze",
    ))


def _node_height(node: c.Node) -> int:
    """Levels of the deepest expression of a rule."""
    return max((_height(e) for e in toolkit.node_expressions(node)), default=0)


def _height(ir: Any) -> int:
    """Levels of an expression tree (iteratively)."""
    best = 0
    stack = [(ir, 1)]
    while stack:
        node, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in toolkit.children(node))
    return best
