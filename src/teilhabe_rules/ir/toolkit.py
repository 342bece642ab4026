"""The toolkit of the checked model: walk it, find what it reads, evaluate and render it.

Takes: resolved expressions (:data:`~teilhabe_rules.ir.checked.Expr`) and computation nodes
(:class:`~teilhabe_rules.ir.checked.Node`). Gives the four operations every consumer of the checked
model needs, defined once:

- :func:`children` and :func:`walk` — the sub-expressions of an expression, and every expression
  below an expression or a node, in the order they are written (iteratively: the depth of an
  expression costs no Python stack);
- :func:`references` and :func:`symbols_read` — the references an expression or node reads, and
  their symbol ids (the dependency function of the checker and the backends);
- :func:`const_value` — the value of an expression that needs no evaluation of a case:
  constants, parameters, values the caller already knows, and exact arithmetic on them, in the
  library's decimal context (:data:`DECIMAL_CONTEXT`);
- :func:`render` — the German text of an expression as explanations and messages show it, with
  names, or with the values the caller knows put in.

Adding a kind of expression means adding it to :data:`EXPRESSION_TYPES` and :data:`CHILD_FIELDS`
here (and to the backends); no other walker exists.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from . import checked as c
from .checked import DECIMAL_CONTEXT
from .text import EXACT, Figures, format_value, quantity_text

# enum members bound once: reading a member off an Enum class costs several times a global
_R_PARAMETER = c.RefKind.PARAMETER
_R_WERT = c.RefKind.WERT
_T_DATUM = c.TypeKind.DATUM
_T_ENUM = c.TypeKind.ENUM
_T_JA_NEIN = c.TypeKind.JA_NEIN
_T_MODUS = c.TypeKind.MODUS
_T_SCHLUESSEL = c.TypeKind.SCHLUESSEL
_T_TEXT = c.TypeKind.TEXT
_T_ZAHL = c.TypeKind.ZAHL

__all__ = [
    "CHILD_FIELDS",
    "DECIMAL_CONTEXT",
    "EXPRESSION_TYPES",
    "ValueOf",
    "children",
    "const_value",
    "ir_equal",
    "ir_key",
    "node_expressions",
    "parameter_values",
    "reads_date",
    "references",
    "render",
    "symbols_read",
    "walk",
]

EXPRESSION_TYPES: tuple[type, ...] = (
    c.Const, c.Ref, c.Position, c.Previous, c.Granted, c.Unary, c.Arith, c.KeyApply, c.Compare, c.Logic,
    c.Cond, c.Convert, c.Lookup, c.Aggregate, c.Func,
)

# the fields of each kind of expression that hold sub-expressions (a tuple field: several), in
# the order they are written
CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    c.Const: (),
    c.Ref: (),
    c.Position: (),
    c.Previous: ("ref",),
    c.Granted: ("ref",),
    c.Unary: ("operand",),
    c.Arith: ("left", "right"),
    c.KeyApply: ("key", "count"),
    c.Compare: ("left", "right"),
    c.Logic: ("left", "right"),
    c.Cond: ("test", "then", "otherwise"),
    c.Convert: ("operand",),
    c.Lookup: ("keys",),
    c.Aggregate: ("value", "where"),
    c.Func: ("args",),
}

Walkable = c.Expr | c.Node | c.BandSpec | None
ValueOf = Callable[[c.Ref], Any]


def children(expr: c.Expr) -> tuple[c.Expr, ...]:
    """The sub-expressions of ``expr``, in the order they are written."""
    found: list[c.Expr] = []
    for name in CHILD_FIELDS[type(expr)]:
        value = getattr(expr, name)
        if isinstance(value, tuple):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return tuple(found)


def node_expressions(node: c.Node | c.BandSpec) -> tuple[c.Expr, ...]:
    """The expressions of a node (its formula, a corridor's subject and band bounds, the
    expressions in a check's message) or of a band, in the order they are written."""
    if isinstance(node, c.BandSpec):
        return tuple(e for e in (node.lower, node.upper) if e is not None)
    if isinstance(node, c.CorridorLevelNode):
        found: list[c.Expr] = [node.subject]
        for band in node.bands:
            found.extend(node_expressions(band))
        return tuple(found)
    if isinstance(node, c.CheckNode):
        return (node.expr, *(part for part in node.message if not isinstance(part, str)))
    return (node.expr,)


# the nodes and bands :func:`walk` takes apart (a tuple of classes: cheaper to test than the union)
_WALKABLE_NODES = (
    c.ValueNode, c.ExpressionLevelNode, c.CorridorLevelNode, c.GrantedLevelNode, c.CheckNode, c.BandSpec
)


def walk(root: Walkable | Iterable[Walkable]) -> Iterator[c.Expr]:
    """Every expression in ``root`` (an expression, a node, a band or several of them),
    pre-order, in the order they are written."""
    if root is None:
        return
    stack: list[c.Expr]
    if isinstance(root, EXPRESSION_TYPES):  # the common case first
        stack = [root]  # type: ignore[list-item]
    elif isinstance(root, _WALKABLE_NODES):
        stack = list(reversed(node_expressions(root)))
    else:
        for item in root:  # type: ignore[union-attr]
            yield from walk(item)
        return
    while stack:
        expr = stack.pop()
        yield expr
        stack.extend(reversed(children(expr)))


def references(root: Walkable | Iterable[Walkable]) -> Iterator[c.Ref]:
    """The references read by ``root`` (those of ``vorher.x`` too), in the order written."""
    for expr in walk(root):
        if isinstance(expr, c.Ref):
            yield expr


def reads_date(model: c.CheckedModel) -> bool:
    """Whether ``model`` reads the reference date of the evaluation (``stichtag()``) in a rule
    or a property."""
    roots: list[Walkable] = list(model.nodes.values())
    roots.extend(prop.expr for prop in model.properties)
    return any(isinstance(e, c.Func) and e.name == "stichtag" for e in walk(roots))


def symbols_read(root: Walkable | Iterable[Walkable]) -> Iterator[str]:
    """Symbol ids of the inputs, parameters and values ``root`` reads (a symbol as often as it
    is read): the dependency function."""
    for ref in references(root):
        yield ref.symbol


def parameter_values(parameters: Mapping[str, Any]) -> ValueOf:
    """A :data:`ValueOf` that knows the parameters (by id) and nothing else."""

    def value_of(ref: c.Ref) -> Any:
        return parameters.get(ref.symbol) if ref.kind == _R_PARAMETER else None

    return value_of


def const_value(expr: c.Expr | None, value_of: ValueOf | Mapping[str, Any] | None = None) -> Any:
    """The value of ``expr`` without evaluating a case, or None where it needs more.

    Known: constants; references whose value ``value_of`` gives (a mapping: parameter values by
    id); the sign, unit conversions and ``+ - * /`` of known numbers (levels count as numbers),
    ``min``/``max`` of known values. Arithmetic runs in :data:`DECIMAL_CONTEXT`; a division by
    zero or another invalid operation gives None, never an exception."""
    if expr is None:
        return None
    if isinstance(value_of, Mapping):
        value_of = parameter_values(value_of)
    # the common cases need no arithmetic (and no decimal context)
    if isinstance(expr, c.Const):
        return expr.value
    if isinstance(expr, c.Ref):
        return value_of(expr) if value_of is not None else None
    try:
        with decimal.localcontext(DECIMAL_CONTEXT):
            return _const(expr, value_of)
    except (ArithmeticError, TypeError):
        return None


def _const(expr: c.Expr, value_of: ValueOf | None) -> Any:
    if isinstance(expr, c.Const):
        return expr.value
    if isinstance(expr, c.Ref):
        return value_of(expr) if value_of is not None else None
    if isinstance(expr, c.Unary):
        if expr.op != "-":
            return None
        inner = _number(_const(expr.operand, value_of))
        return None if inner is None else -inner
    if isinstance(expr, c.Convert):
        inner = _number(_const(expr.operand, value_of))
        return None if inner is None else inner * expr.factor.numerator / expr.factor.denominator
    if isinstance(expr, c.Arith) and expr.type.kind == _T_ZAHL:
        left, right = _number(_const(expr.left, value_of)), _number(_const(expr.right, value_of))
        if left is None or right is None:
            return None
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        return left / right
    if isinstance(expr, c.Func) and expr.name in ("min", "max"):
        values = [_number(_const(arg, value_of)) for arg in expr.args]
        if any(v is None for v in values):
            return None
        return min(values) if expr.name == "min" else max(values)  # type: ignore[type-var]
    return None


def _number(value: Any) -> Decimal | None:
    """A known number as a Decimal (a level or numeric member is an ``int``); else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return None


# ---- rendering ---------------------------------------------------------------------------

PRECEDENCE = {"oder": 1, "und": 2, "=": 3, "<>": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "+": 4, "-": 4, "*": 5, "/": 5}


def render(expr: c.Expr | None, value_of: ValueOf | None = None, date: Any = None, figures: Figures = EXACT) -> str:
    """The German text of ``expr`` (``stunden × fls_satz``, ``wenn … dann … sonst …``). With
    ``value_of``, a reference whose value it gives is shown as that value with its unit, and with
    ``date`` (the reference date of the evaluation) ``stichtag()`` as that date; the expression
    inside an aggregate is always shown by names. ``figures``: how numbers are shown — the
    values of inputs and parameters and the constants as given, the values of other rules as
    computed figures (:class:`~teilhabe_rules.ir.text.Figures`)."""
    return _render(expr, value_of, 0, date, figures)


def _render(ir: c.Expr | None, value_of: ValueOf | None, parent: int, date: Any = None,
            figures: Figures = EXACT) -> str:
    if ir is None:
        return ""
    if isinstance(ir, c.Const):
        if ir.type.kind == _T_SCHLUESSEL:
            return f"1:{format_value(ir.value, None, figures, given=True)}"
        if ir.type.kind == _T_MODUS:
            return str(ir.value)
        if ir.type.kind in (_T_ZAHL, _T_DATUM, _T_JA_NEIN):
            return quantity_text(ir.value, ir.type, figures, given=True)
        if isinstance(ir.value, str) and ir.type.kind == _T_TEXT:
            return f"„{ir.value}“"
        return format_value(ir.value)
    if isinstance(ir, c.Ref):
        if value_of is not None:
            value = value_of(ir)
            if value is not None:
                given = ir.kind != _R_WERT  # an input or a parameter: as given; another rule's value: computed
                if ir.type.kind == _T_SCHLUESSEL:
                    return f"1:{format_value(value, None, figures, given=True)}"
                if ir.type.kind == _T_ENUM and ir.type.enum and ir.type.enum.is_levels:
                    return format_value(value, None, figures, given=True)
                return quantity_text(value, ir.type, figures, given=given)
        return ir.key
    if isinstance(ir, c.Position):
        return "position"
    if isinstance(ir, c.Previous):
        return f"vorher.{ir.ref.key}"
    if isinstance(ir, c.Granted):
        return f"{ir.ref.key.rsplit('.', 1)[0]}.bewilligt"
    if isinstance(ir, c.Unary):
        inner = _render(ir.operand, value_of, 6, date, figures)
        return f"nicht {inner}" if ir.op == "nicht" else f"-{inner}"
    if isinstance(ir, (c.Arith, c.Compare, c.Logic)):
        prec = PRECEDENCE.get(ir.op, 5)
        left = _render(ir.left, value_of, prec, date, figures)
        text = f"{left} {ir.op} {_render(ir.right, value_of, prec + 1, date, figures)}"
        return f"({text})" if prec < parent else text
    if isinstance(ir, c.KeyApply):
        text = f"{_render(ir.key, value_of, 5, date, figures)} × {_render(ir.count, value_of, 6, date, figures)}"
        return f"({text})" if parent > 5 else text
    if isinstance(ir, c.Cond):
        text = (f"wenn {_render(ir.test, value_of, 0, date, figures)} "
                f"dann {_render(ir.then, value_of, 0, date, figures)} "
                f"sonst {_render(ir.otherwise, value_of, 0, date, figures)}")
        return f"({text})" if parent else text
    if isinstance(ir, c.Convert):
        return f"{_render(ir.operand, value_of, 6, date, figures)} als {ir.type.unit}"
    if isinstance(ir, c.Lookup):
        name = ir.table.rsplit(".", 1)[-1]
        return f"{name}[{', '.join(_render(k, value_of, 0, date, figures) for k in ir.keys)}]"
    if isinstance(ir, c.Aggregate):
        lst = ir.scope.rsplit(".", 1)[-1]
        inner = lst if ir.value is None else f"{lst}.{_render(ir.value, None, 0)}"
        where = f" wo {_render(ir.where, None, 0)}" if ir.where is not None else ""
        return f"{ir.function}({inner}{where})"
    if isinstance(ir, c.Func):
        if ir.name == "stichtag" and value_of is not None and date is not None:
            return quantity_text(date, ir.type, figures)
        return f"{ir.name}({', '.join(_render(a, value_of, 0, date, figures) for a in ir.args)})"
    raise TypeError(f"not an expression: {type(ir).__name__}")  # pragma: no cover


# ---- structural equality of resolved expressions --------------------------------------------------


def ir_key(node: Any, ignore_rounding: bool = False) -> Any:
    """A hashable form of a resolved expression without source positions.

    Two expressions are the same formula exactly when their keys are equal (:func:`ir_equal`).
    Types enter with their kind, unit and enumeration name — not with ranges or labels.
    ``ignore_rounding`` leaves out the places and mode of ``runde`` (compared separately).
    """
    if isinstance(node, tuple):
        return tuple(ir_key(item, ignore_rounding) for item in node)
    if isinstance(node, c.ValueType):
        return ("typ", node.kind, str(node.unit), node.enum.name if node.enum is not None else None)
    if isinstance(node, c.EnumType):
        return ("aufzählung", node.name)
    if isinstance(node, c.Func) and node.name == "runde" and ignore_rounding:
        return ("runde", ir_key(node.args[0], ignore_rounding), ir_key(node.type))
    cls = type(node)
    if attrs.has(cls):
        return (cls.__name__, *(ir_key(getattr(node, field.name), ignore_rounding) for field in _fields(cls)))
    if isinstance(node, (Decimal, Fraction)):
        return ("zahl", Fraction(node))  # 7 and 7.0 are the same number
    return node


def ir_equal(left: Any, right: Any, ignore_rounding: bool = False) -> bool:
    """Whether two resolved expressions are the same formula (spans ignored)."""
    return bool(ir_key(left, ignore_rounding) == ir_key(right, ignore_rounding))


_FIELD_CACHE: dict[type, tuple[Any, ...]] = {}


def _fields(cls: type) -> tuple[Any, ...]:
    found = _FIELD_CACHE.get(cls)
    if found is None:
        found = _FIELD_CACHE[cls] = tuple(f for f in attrs.fields(cls) if f.name != "span")
    return found
