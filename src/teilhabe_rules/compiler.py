"""Checked model → compiled evaluator.

Takes: a :class:`checked.CheckedModel`. Gives: a :class:`Program` — one Python function generated
from the model's nodes in dependency order and compiled once, so that evaluating a case does no
tree walking and no dispatch on node types. A scope's values live in a row (a dict keyed by the
symbol's row key); a list's elements are rows in a list, visited by loops (several passes where
values of the model and of its elements depend on each other).

The generated code calls only the helpers in this module; it raises :class:`Fault` for an
evaluation error, and collects failed checks and warnings. Arithmetic runs in
:data:`DECIMAL_CONTEXT` (28 significant digits); rounding happens only in ``runde(…)``.

Evaluation is linear in the number of list elements: an aggregate (``summe(bewohner.x)``,
``anzahl(…)``) is a function of its own, and where it stands inside a loop or another aggregate
it does not depend on, it is computed once and kept for as long as the rows it reads are the same
(see :meth:`_Gen._e_Aggregate`).
A model whose generated code Python cannot compile (nesting beyond Python's own limits) is a
located :class:`~teilhabe_rules.errors.CheckError`, never a ``SyntaxError``.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as _dt
import decimal
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

import attrs

from . import checked as c
from .checked import DECIMAL_CONTEXT
from .errors import CheckError, Diagnostic, Location
from .ir import toolkit
from .runtime.frame import Frame, corridor_key

__all__ = ["DECIMAL_CONTEXT", "Fault", "Program", "compile_condition", "compile_model", "key_text"]


_ROUNDING = {"kaufmännisch": ROUND_HALF_UP, "abrunden": ROUND_DOWN, "aufrunden": ROUND_UP}


class Fault(Exception):
    """An evaluation error raised by generated code (message in German)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


class Located(Exception):
    """A fault with the node being computed and the element indexes at that moment."""

    def __init__(self, node: int, indexes: tuple[int | None, ...], cause: BaseException):
        super().__init__(str(cause))
        self.node, self.indexes, self.cause = node, indexes, cause


# ---- helpers called by generated code ------------------------------------------------------


def _lookup(table: dict[Any, Any], key: Any, name: str) -> Any:
    try:
        return table[key]
    except KeyError:
        known = sorted(table, key=str)
        shown = ", ".join(key_text(k) for k in known[:12]) + (" …" if len(known) > 12 else "")
        raise Fault(
            f"Die Tabelle „{name}“ hat keinen Eintrag für {key_text(key)}",
            f"vorhandene Einträge: {shown}" if shown else "die Tabelle ist leer",
        ) from None
    except TypeError:  # pragma: no cover - unhashable keys cannot reach here
        raise Fault(f"Die Tabelle „{name}“ kann nicht mit {key!r} abgefragt werden") from None


def key_text(key: Any) -> str:
    """A table key or number as shown in a message: a tuple as ``(a, b)``, a decimal in plain
    notation (a whole one without trailing zeros)."""
    if isinstance(key, tuple):
        return "(" + ", ".join(key_text(k) for k in key) + ")"
    if isinstance(key, Decimal):
        return format(key.normalize(), "f") if key == key.to_integral_value() else format(key, "f")
    return str(key)


def _round(value: Decimal, places: Decimal, mode: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-int(places)), rounding=_ROUNDING[mode])


def _days(start: _dt.date, end: _dt.date) -> Decimal:
    return Decimal((end - start).days + 1)


def _date_add(date: _dt.date, days: Decimal, sign: int) -> _dt.date:
    if days != days.to_integral_value():
        raise Fault(f"Zu einem Datum lassen sich nur ganze Tage addieren, nicht {days}")
    try:
        return date + _dt.timedelta(days=sign * int(days))
    except OverflowError:
        raise Fault("Das Datum liegt außerhalb des darstellbaren Bereichs") from None


def _date_plus(date: _dt.date, amount: Decimal, unit: str) -> _dt.date:
    if amount != amount.to_integral_value():
        raise Fault(f"datum_plus(…) rechnet mit ganzen {unit}, nicht {amount}")
    n = int(amount)
    if unit in ("Tage", "Wochen"):
        return _date_add(date, Decimal(n * (7 if unit == "Wochen" else 1)), 1)
    months = n * (12 if unit == "Jahre" else 1)
    total = date.year * 12 + date.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise Fault("Das Datum liegt außerhalb des darstellbaren Bereichs")
    day = min(date.day, calendar.monthrange(year, month + 1)[1])
    return _dt.date(year, month + 1, day)


def _days_in_month(year: Any, month: Any) -> Decimal:
    y, m = int(year), int(month)
    if not 1 <= m <= 12 or not 1 <= y <= 9999:
        raise Fault(f"{m}/{y} ist kein Monat")
    return Decimal(calendar.monthrange(y, m)[1])


def _min(values: Any, what: str) -> Any:
    items = list(values)
    if not items:
        raise Fault(f"min(…) über {what}: die Liste ist leer")
    return min(items)


def _max(values: Any, what: str) -> Any:
    items = list(values)
    if not items:
        raise Fault(f"max(…) über {what}: die Liste ist leer")
    return max(items)


def _first(values: Any, what: str) -> Any:
    for item in values:
        return item
    raise Fault(f"erstes(…) über {what}: die Liste ist leer")


def _last(values: Any, what: str) -> Any:
    items = list(values)
    if not items:
        raise Fault(f"letztes(…) über {what}: die Liste ist leer")
    return items[-1]


def _no_previous(what: str) -> Any:
    raise Fault(f"„vorher.{what}“ gibt es beim ersten Element nicht", "prüfe zuerst „position > 1“")


def _level(value: Any, levels: frozenset[int], package: str) -> int:
    if value not in levels:
        raise Fault(
            f"Die Stufenregel von „{package}“ ergibt {value}, das ist keine Stufe des Pakets",
            "deklarierte Stufen: " + ", ".join(str(v) for v in sorted(levels)),
        )
    return int(value)


def _no_band(value: Any, package: str, unit: str) -> Any:
    raise Fault(f"{key_text(value)} {unit} liegt in keinem Korridorband von „{package}“".replace("  ", " "))


def _in_range(value: Decimal, low: Decimal | None, high: Decimal | None, name: str) -> None:
    if low is not None and value < low or high is not None and value > high:
        bounds = f"{key_text(low) if low is not None else '−∞'} bis {key_text(high) if high is not None else '∞'}"
        raise Fault(f"„{name}“ = {key_text(value)} liegt außerhalb des deklarierten Bereichs {bounds}",
                    "der Wert ergibt sich aus den Eingaben; prüfe sie oder den deklarierten Bereich")


_HELPERS = {
    "_in_range": _in_range,
    "Decimal": Decimal,
    "Fault": Fault,
    "_lookup": _lookup,
    "_round": _round,
    "_days": _days,
    "_date_add": _date_add,
    "_date_plus": _date_plus,
    "_days_in_month": _days_in_month,
    "_min": _min,
    "_max": _max,
    "_first": _first,
    "_last": _last,
    "_no_previous": _no_previous,
    "_level": _level,
    "_no_band": _no_band,
    "ZERO": Decimal(0),
}


@attrs.frozen
class Program:
    """A compiled model: ``run(case_row, parameters, tables, failures, warnings)``."""

    run: Any
    source: str = attrs.field(repr=False)
    node_ids: tuple[str, ...]
    max_depth: int


_AGGREGATE_HELPERS = {"min": "_min", "max": "_max", "erstes": "_first", "letztes": "_last"}


class _Gen:
    def __init__(self, model: c.CheckedModel):
        self.model = model
        self.lines: list[str] = []
        self.consts: dict[tuple[type, Any], str] = {}
        self.globals: dict[str, Any] = dict(_HELPERS)
        self.node_index = {nid: i for i, nid in enumerate(model.order)}
        self.max_depth = max(s.depth for s in model.scopes.values())
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
        self._dispatch = {cls: getattr(self, "_e_" + cls.__name__) for cls in toolkit.EXPRESSION_TYPES}

    def const(self, value: Any) -> str:
        if isinstance(value, bool) or value is None:
            return repr(value)
        if isinstance(value, (int, str)):
            return repr(value)
        key = (type(value), value)
        name = self.consts.get(key)
        if name is None:
            name = f"C{len(self.consts)}"
            self.consts[key] = name
            self.globals[name] = value
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
        return self._dispatch[type(ir)](ir)  # type: ignore[no-any-return]

    def _e_Const(self, ir: c.Const) -> str:
        return self.const(ir.value)

    def _e_Ref(self, ir: c.Ref) -> str:
        if ir.kind == "parameter":
            return f"P[{ir.symbol!r}]"
        return f"{self.row(ir.scope)}[{ir.key!r}]"

    def _e_Position(self, ir: c.Position) -> str:
        depth = self.model.scopes[ir.scope].depth
        return f"Decimal(i{depth} + 1)"

    def number(self, ir: c.Expr) -> str:
        """``ir`` as a number: levels and numeric members (``int`` at runtime) become Decimals."""
        text: str = self._dispatch[type(ir)](ir)  # (not through expr: one frame less per level)
        return f"Decimal({text})" if ir.type.kind == "enum" else text

    def _e_Previous(self, ir: c.Previous) -> str:
        depth = self.model.scopes[ir.ref.scope].depth
        return f"(L{depth}[i{depth} - 1] if i{depth} else _no_previous({ir.ref.key!r}))[{ir.ref.key!r}]"

    def _e_Unary(self, ir: c.Unary) -> str:
        if ir.op == "nicht":
            return f"(not {self.expr(ir.operand)})"
        return f"(-{self.number(ir.operand)})"

    def _e_Arith(self, ir: c.Arith) -> str:
        if ir.type.kind == "datum":
            left, right = self.expr(ir.left), self.expr(ir.right)
            return f"_date_add({left}, {right}, {1 if ir.op == '+' else -1})"
        return f"({self.number(ir.left)} {ir.op} {self.number(ir.right)})"

    def _e_KeyApply(self, ir: c.KeyApply) -> str:
        return f"({self.expr(ir.count)} / {self.expr(ir.key)})"

    _CMP = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

    def _e_Compare(self, ir: c.Compare) -> str:
        return f"({self.expr(ir.left)} {self._CMP[ir.op]} {self.expr(ir.right)})"

    def _e_Logic(self, ir: c.Logic) -> str:
        return f"({self.expr(ir.left)} {'and' if ir.op == 'und' else 'or'} {self.expr(ir.right)})"

    def _e_Cond(self, ir: c.Cond) -> str:
        branch = self.number if ir.type.kind == "zahl" else self.expr
        return f"({branch(ir.then)} if {self.expr(ir.test)} else {branch(ir.otherwise)})"

    def _e_Convert(self, ir: c.Convert) -> str:
        inner = self.number(ir.operand)
        num, den = ir.factor.numerator, ir.factor.denominator
        if den == 1:
            return f"({inner} * {num})"
        if num == 1:
            return f"({inner} / {den})"
        return f"({inner} * {num} / {den})"

    def _e_Lookup(self, ir: c.Lookup) -> str:
        keys = [self.expr(k) for k in ir.keys]
        key = keys[0] if len(keys) == 1 else "(" + ", ".join(keys) + ",)"
        name = self.model.tables[ir.table].name
        return f"_lookup(T[{ir.table!r}], {key}, {name!r})"

    def _e_Aggregate(self, ir: c.Aggregate) -> str:
        """A generator over the list's elements, in a function of its own (so that nested
        aggregates do not nest parentheses in one expression); kept (see :meth:`_function`)
        where it stands in a loop or aggregate it does not depend on: ``x / summe(bewohner.x)``
        in a loop over the residents is summed once, not once per resident."""
        depth = self.model.scopes[ir.scope].depth
        loop = f"for i{depth}, e{depth} in enumerate({self.list_of(ir.scope)})"
        self.iterations.append(depth)
        try:
            cond = f" if {self.expr(ir.where)}" if ir.where is not None else ""
            value = self.expr(ir.value) if ir.value is not None else None
        finally:
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
                code = f"{helper}({gen}, {name!r})"
        return self._function(ir, code)

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
            if isinstance(node, c.Ref) and node.kind != "parameter" or isinstance(node, c.Position):
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
            return f"_round({args[0]}, {args[1]}, {mode.value!r})"
        if ir.name == "kalendertage":
            return f"_days({args[0]}, {args[1]})"
        if ir.name == "datum_plus":
            return f"_date_plus({args[0]}, {args[1]}, {str(ir.args[1].type.unit)!r})"
        if ir.name == "jahr":
            return f"Decimal({args[0]}.year)"
        if ir.name == "monat":
            return f"Decimal({args[0]}.month)"
        if ir.name == "tage_im_monat":
            return f"_days_in_month({args[0]}, {args[1]})"
        raise AssertionError(ir.name)  # pragma: no cover

    # ---- statements ----

    def emit(self, text: str, indent: int) -> None:
        self.lines.append("    " * indent + text)

    def node(self, node: c.Node, indent: int) -> None:
        index = self.node_index[node.id]
        row = self.row(node.scope)
        self.node_lines.append((len(self.lines) + 1, node))
        self.current = node
        self.emit(f"N = {index}", indent)
        if node.kind == "wert":
            assert node.expr is not None
            self.emit(f"{row}[{node.key!r}] = {self.expr(node.expr)}", indent)
            if node.type.kind == "zahl" and (node.type.low is not None or node.type.high is not None):
                low, high = self.const(node.type.low), self.const(node.type.high)
                self.emit(f"_in_range({row}[{node.key!r}], {low}, {high}, {node.key!r})", indent)
        elif node.kind == "stufe" and node.bands:
            assert node.subject is not None
            self.emit(f"s = {self.expr(node.subject)}", indent)
            self.emit(f"{row}[{corridor_key(node)!r}] = s", indent)
            for number, band in enumerate(node.bands):
                conds = []
                if band.lower is not None:
                    conds.append(f"s {'>=' if band.lower_inclusive else '>'} {self.expr(band.lower)}")
                if band.upper is not None:
                    conds.append(f"s {'<=' if band.upper_inclusive else '<'} {self.expr(band.upper)}")
                self.emit(f"{'if' if number == 0 else 'elif'} {' and '.join(conds)}:", indent)
                self.emit(f"{row}[{node.key!r}] = {band.level}", indent + 1)
            unit = str(node.subject.type.unit)
            self.emit("else:", indent)
            self.emit(f"_no_band(s, {node.package!r}, {unit!r})", indent + 1)
        elif node.kind == "stufe":
            assert node.expr is not None and node.type.enum is not None
            levels = self.const(frozenset(int(k) for k in node.type.enum.keys()))
            self.emit(f"{row}[{node.key!r}] = _level({self.expr(node.expr)}, {levels}, {node.package!r})", indent)
        elif node.kind == "bewilligt":
            granted = f"{node.package}.bewilligte_stufe"
            computed = f"{node.package}.berechnete_stufe"
            self.emit(f"g = {row}.get({granted!r})", indent)
            self.emit(f"{row}[{node.key!r}] = {row}[{computed!r}] if g is None else g", indent)
        elif node.kind in ("prüfung", "warnung"):
            assert node.expr is not None
            target = "F" if node.kind == "prüfung" else "W"
            parts = [self.expr(p) for p in node.message if not isinstance(p, str)]
            indexes = self.indexes(node.scope)
            self.emit(f"if not {self.expr(node.expr)}:", indent)
            self.emit(f"{target}.append(({index}, {indexes}, ({''.join(p + ', ' for p in parts)})))", indent + 1)
        else:  # pragma: no cover
            raise AssertionError(node.kind)

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
            while position < len(node_ids) and self.child_towards(scope, self.model.nodes[node_ids[position]].scope) == child:
                run.append(node_ids[position])
                position += 1
            depth = self.model.scopes[child].depth
            self.emit(f"L{depth} = {self.list_of(child)}", indent)
            self.emit(f"for i{depth}, e{depth} in enumerate(L{depth}):", indent)
            self.iterations.append(depth)
            self.block(child, run, indent + 1)
            self.iterations.pop()

    def copy_rows(self, scope: str, indent: int) -> None:
        """Copy the case rows so that evaluation never changes the caller's data."""
        for child in self.model.scopes[scope].lists:
            depth = self.model.scopes[child].depth
            name = self.model.scopes[child].name
            self.emit(f"{self.row(scope)}[{name!r}] = L{depth} = [dict(x) for x in {self.row(scope)}[{name!r}]]", indent)
            if self.model.scopes[child].lists:
                self.emit(f"for e{depth} in L{depth}:", indent)
                self.copy_rows(child, indent + 1)

    def generate(self) -> str:
        loop_vars = ", ".join(f"i{d}" for d in range(1, self.max_depth + 1))
        self.emit("def run(case, P, T, F, W):", 0)
        self.emit("r = dict(case)", 1)
        self.emit("N = -1", 1)
        if loop_vars:
            self.emit(f"{loop_vars} = {', '.join('None' for _ in range(self.max_depth))}", 1)
        self.emit("K = {}", 1)
        self.emit("try:", 1)
        self.copy_rows("", 2)
        self.block("", list(self.model.order), 2)
        self.emit("pass", 2)
        self.emit("except (Fault, ArithmeticError, ValueError, TypeError, LookupError, AttributeError, RecursionError) as exc:", 1)
        self.emit(f"raise Located(N, ({loop_vars}{',' if loop_vars else ''}), exc) from None", 2)
        self.emit("return r", 1)
        # the aggregates' functions stand before ``run``
        shift = len(self.functions)
        self.node_lines = [(line + shift, node) for line, node in self.node_lines]
        return "\n".join(self.functions + self.lines) + "\n"


def compile_model(model: c.CheckedModel, helpers: dict[str, Any] | None = None) -> Program:
    """Generate and compile the evaluator of ``model``. ``helpers`` replaces helpers the
    generated code calls (a recording ``_lookup`` for coverage); without it nothing changes."""
    gen = _Gen(model)
    gen.standalone = False  # the functions are part of the source
    try:
        source = gen.generate()
        code = compile(source, f"<teilhabe_rules:{model.info.name}>", "exec")
    except (SyntaxError, RecursionError, MemoryError) as exc:
        # Python's own limits (nested parentheses, nested blocks, recursion of its compiler)
        raise _too_deep(model, gen, getattr(exc, "lineno", None)) from None
    namespace = dict(gen.globals)
    namespace["Located"] = Located
    namespace.update(helpers or {})
    exec(code, namespace)  # noqa: S102 - code generated from the checked model only
    return Program(namespace["run"], source, tuple(model.order), gen.max_depth)


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
        with decimal.localcontext(DECIMAL_CONTEXT):
            return generated(frame.rows, frame.parameters, frame.tables)

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
    exprs = [node.expr, node.subject, *(p for p in node.message if not isinstance(p, str))]
    for band in node.bands:
        exprs += [band.lower, band.upper]
    return max((_height(e) for e in exprs if e is not None), default=0)


def _height(ir: Any) -> int:
    """Levels of an expression tree (iteratively)."""
    best = 0
    stack = [(ir, 1)]
    while stack:
        node, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in toolkit.children(node))
    return best
