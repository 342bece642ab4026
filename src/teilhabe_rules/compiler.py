"""Checked model → compiled evaluator.

Takes: a :class:`checked.CheckedModel`. Gives: a :class:`Program` — one Python function generated
from the model's nodes in dependency order and compiled once, so that evaluating a case does no
tree walking and no dispatch on node types. A scope's values live in a row (a dict keyed by the
symbol's row key); a list's elements are rows in a list, visited by loops (several passes where
values of the model and of its elements depend on each other).

The generated code calls only the helpers in this module; it raises :class:`Fault` for an
evaluation error, and collects failed checks and warnings. Arithmetic runs in
:data:`DECIMAL_CONTEXT` (28 significant digits); rounding happens only in ``runde(…)``.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import decimal
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

import attrs

from . import checked as c

__all__ = ["DECIMAL_CONTEXT", "Fault", "Program", "compile_model", "corridor_key"]

DECIMAL_CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

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


def corridor_key(node: c.Node) -> str:
    """Row key under which evaluation keeps the quantity a corridor was decided on."""
    return f"{node.key}#korridor"


# ---- helpers called by generated code ------------------------------------------------------


def _lookup(table: dict[Any, Any], key: Any, name: str) -> Any:
    try:
        return table[key]
    except KeyError:
        known = sorted(table, key=str)
        shown = ", ".join(_key_text(k) for k in known[:12]) + (" …" if len(known) > 12 else "")
        raise Fault(
            f"Die Tabelle „{name}“ hat keinen Eintrag für {_key_text(key)}",
            f"vorhandene Einträge: {shown}" if shown else "die Tabelle ist leer",
        ) from None
    except TypeError:  # pragma: no cover - unhashable keys cannot reach here
        raise Fault(f"Die Tabelle „{name}“ kann nicht mit {key!r} abgefragt werden") from None


def _key_text(key: Any) -> str:
    if isinstance(key, tuple):
        return "(" + ", ".join(_key_text(k) for k in key) + ")"
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
    raise Fault(f"{_key_text(value)} {unit} liegt in keinem Korridorband von „{package}“".replace("  ", " "))


def _in_range(value: Decimal, low: Decimal | None, high: Decimal | None, name: str) -> None:
    if low is not None and value < low or high is not None and value > high:
        bounds = f"{_key_text(low) if low is not None else '−∞'} bis {_key_text(high) if high is not None else '∞'}"
        raise Fault(f"„{name}“ = {_key_text(value)} liegt außerhalb des deklarierten Bereichs {bounds}",
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


class _Gen:
    def __init__(self, model: c.CheckedModel):
        self.model = model
        self.lines: list[str] = []
        self.consts: dict[tuple[type, Any], str] = {}
        self.globals: dict[str, Any] = dict(_HELPERS)
        self.node_index = {nid: i for i, nid in enumerate(model.order)}
        self.max_depth = max(s.depth for s in model.scopes.values())

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
        method = getattr(self, "_e_" + type(ir).__name__)
        return method(ir)

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
        text = self.expr(ir)
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
        depth = self.model.scopes[ir.scope].depth
        loop = f"for i{depth}, e{depth} in enumerate({self.list_of(ir.scope)})"
        cond = f" if {self.expr(ir.where)}" if ir.where is not None else ""
        name = self.model.scopes[ir.scope].name
        if ir.function == "anzahl":
            return f"Decimal(sum(1 {loop}{cond}))"
        assert ir.value is not None
        gen = f"({self.expr(ir.value)} {loop}{cond})"
        if ir.function == "summe":
            return f"sum({gen}, ZERO)"
        helper = {"min": "_min", "max": "_max", "erstes": "_first", "letztes": "_last"}[ir.function]
        return f"{helper}({gen}, {name!r})"

    def _e_Func(self, ir: c.Func) -> str:
        args = [self.expr(a) for a in ir.args]
        if ir.name in ("min", "max"):
            return f"{ir.name}({', '.join(self.number(a) for a in ir.args)})"
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
            self.block(child, run, indent + 1)

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
        self.emit("try:", 1)
        self.copy_rows("", 2)
        self.block("", list(self.model.order), 2)
        self.emit("pass", 2)
        self.emit("except (Fault, ArithmeticError, ValueError, TypeError, LookupError, AttributeError, RecursionError) as exc:", 1)
        self.emit(f"raise Located(N, ({loop_vars}{',' if loop_vars else ''}), exc) from None", 2)
        self.emit("return r", 1)
        return "\n".join(self.lines) + "\n"


def compile_model(model: c.CheckedModel, helpers: dict[str, Any] | None = None) -> Program:
    """Generate and compile the evaluator of ``model``. ``helpers`` replaces helpers the
    generated code calls (a recording ``_lookup`` for coverage); without it nothing changes."""
    gen = _Gen(model)
    source = gen.generate()
    namespace = dict(gen.globals)
    namespace["Located"] = Located
    namespace.update(helpers or {})
    code = compile(source, f"<teilhabe_rules:{model.info.name}>", "exec")
    exec(code, namespace)  # noqa: S102 - code generated from the checked model only
    return Program(namespace["run"], source, tuple(model.order), gen.max_depth)
