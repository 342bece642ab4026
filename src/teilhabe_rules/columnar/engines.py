"""The plan's query for an engine other than DuckDB (``teilhabe-rules sql --dialect …``).

Takes: the plan's whole query (:meth:`~teilhabe_rules.columnar.plan.Plan.query`, unguarded), a
sqlglot tree written for DuckDB. Gives: the same tree with DuckDB's own arithmetic spelled in
what other engines compute exactly, so that sqlglot's translation into their dialect gives the
DuckDB figures — never fewer digits, never a float, and an overflow an error, not a wrapped
number:

- ``HUGEINT`` (DuckDB's 128-bit integer, for numerators beyond 2^62): ``DECIMAL(38, 0)``. The
  plan bounds such a numerator below 2^125 (:data:`~teilhabe_rules.columnar.plan.HUGE_LIMIT`,
  38 digits), so each fits.
- ``a // b`` (integer division, truncated toward zero): ``CAST((a' - a' % b) / b AS DECIMAL(38, 0))``
  with ``a' = CAST(a AS DECIMAL(38, 0))`` — the remainder takes the dividend's sign in DuckDB
  and Spark alike, so the difference is an exact multiple of ``b`` and the decimal quotient
  exact. Spark's ``DIV`` casts the quotient to BIGINT and wraps past 2^63 without an error even
  in ANSI mode (``CAST('100000000000000000000000' AS DECIMAL(38, 0)) DIV 3`` gives
  66792140173563221).
- ``m >> k``, ``m & (2^k - 1)`` and ``x << k`` (only of numbers that are not negative: the plan's
  long division, :func:`~teilhabe_rules.columnar.plan._divmod`): ``m // 2^k``, ``m % 2^k`` and
  ``x · 2^k`` — Spark shifts only integers of 64 bits.
- a numerator ``n`` put to its decimal places, ``CAST(n AS DECIMAL(38, 0)) · CAST('1E-k' AS
  DECIMAL(38, k))``: ``CAST(CONCAT(CAST(n AS TEXT), 'E-k') AS DECIMAL(38, k))`` — Spark gives
  the product of two DECIMAL(38, ·) only 6 places (its „precision loss“ rule), the text is
  read exactly.
- ``date + to_months(n)``: ``add_months(date, n)`` (both keep the day, or take the month's last
  where it has fewer).
- ``sum(x)`` (of integer numerators): ``sum(CAST(x AS DECIMAL(38, 0)))`` — DuckDB sums BIGINTs
  into a HUGEINT, Spark into a BIGINT, which overflows (ANSI) or wraps.
- ``sign(x)``: cast to BIGINT (Spark's ``SIGN`` is a DOUBLE, which would make the product a float).
- DuckDB's ``count_star()``: ``COUNT(*)``.

The steps (the ``WITH`` of DuckDB's query) become tables of their own (:func:`statements`): each
``DROP TABLE IF EXISTS`` and ``CREATE TABLE … AS``, then the query of the results, then the steps'
tables dropped again. Spark's analyzer expands a chain of some 60 common table expressions — or
views, or cached tables, whose plans it also expands — each naming earlier ones, until it runs out
of memory (4 GiB of heap on MAWo); a table it has written ends the chain. The tables are named
:data:`STEP_PREFIX` and the step (``teilhabe_s24``), apart from the warehouse's own.

Tested by running the statements on Spark against DuckDB's figures (tests/columnar/test_spark.py).
"""

from __future__ import annotations

from sqlglot import exp

from .plan import HUGEINT

__all__ = ["DECIMAL_INTEGER", "STEP_PREFIX", "portable", "statements"]

DECIMAL_INTEGER = exp.DataType.build("DECIMAL(38, 0)")
"""The type a numerator beyond BIGINT takes outside DuckDB."""

STEP_PREFIX = "teilhabe_"
"""The start of the name of a step's table in :func:`statements`."""


def _power(shift: exp.Expr) -> exp.Expr:
    """``2^shift`` of a shift by a literal, as a decimal integer."""
    if not (isinstance(shift, exp.Literal) and shift.is_int):
        raise ValueError(f"portable: shift by {shift.sql('duckdb')}, not by a constant")
    return exp.Cast(this=exp.Literal.string(str(1 << int(shift.this))), to=DECIMAL_INTEGER.copy())


def _paren(e: exp.Expr) -> exp.Expr:
    return e if isinstance(e, (exp.Column, exp.Literal, exp.Paren, exp.Cast, exp.Null)) else exp.Paren(this=e)


def _quotient(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """``a // b`` truncated toward zero, exactly, in DECIMAL(38, 0)."""
    wide = a if isinstance(a, exp.Cast) and a.to == DECIMAL_INTEGER else exp.Cast(this=_paren(a),
                                                                                to=DECIMAL_INTEGER.copy())
    multiple = exp.Sub(this=wide, expression=exp.Mod(this=wide.copy(), expression=_paren(b)))
    return exp.Cast(this=exp.Div(this=exp.Paren(this=multiple), expression=_paren(b.copy())),
                    to=DECIMAL_INTEGER.copy())


def _unit_scale(e: exp.Expr) -> int | None:
    """k of the plan's unit ``CAST('1E-k' AS DECIMAL(38, k))`` (:func:`~teilhabe_rules.columnar.plan.decimal_out`)."""
    if isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal) and e.this.is_string:
        text = e.this.this
        if text.startswith("1E-") and text[3:].isdigit() and e.to == exp.DataType.build(f"DECIMAL(38, {text[3:]})"):
            return int(text[3:])
    return None


def _months(e: exp.Expr) -> exp.Expr | None:
    """n of DuckDB's ``to_months(n)`` (an interval added to a date: ``datum_plus``), or None."""
    while isinstance(e, exp.Paren):
        e = e.this
    if isinstance(e, exp.Anonymous) and e.name.lower() == "to_months" and len(e.expressions) == 1:
        count: exp.Expr = e.expressions[0]
        return count
    return None


def _node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.DataType) and node == HUGEINT:
        return DECIMAL_INTEGER.copy()
    if isinstance(node, exp.IntDiv):
        return _quotient(node.this, node.expression)
    if isinstance(node, exp.BitwiseRightShift):
        return _quotient(node.this, _power(node.expression))
    if isinstance(node, exp.BitwiseLeftShift):
        return exp.Mul(this=_paren(node.this), expression=_power(node.expression))
    if isinstance(node, exp.BitwiseAnd):
        mask = node.expression
        if not (isinstance(mask, exp.Literal) and mask.is_int and not (int(mask.this) + 1) & int(mask.this)):
            raise ValueError(f"portable: a bitwise and with {mask.sql('duckdb')}, not with 2^k - 1")
        modulus = exp.Cast(this=exp.Literal.string(str(int(mask.this) + 1)), to=DECIMAL_INTEGER.copy())
        return exp.Mod(this=_paren(node.this), expression=modulus)
    scale = _unit_scale(node.expression) if isinstance(node, exp.Mul) else None
    if scale is not None:  # (a numerator as a decimal of scale places: see the module docstring)
        text = exp.Concat(expressions=[exp.Cast(this=node.this, to=exp.DataType.build("TEXT")),
                                       exp.Literal.string(f"E-{scale}")])
        return exp.Cast(this=text, to=node.expression.to)
    months = _months(node.expression) if isinstance(node, exp.Add) else None
    if months is not None:
        return exp.AddMonths(this=node.this, expression=months)
    if isinstance(node, exp.Sum) and not (isinstance(node.this, exp.Cast) and node.this.to == DECIMAL_INTEGER):
        # (the plan sums integer numerators, each below 2^62: DuckDB's sum of BIGINT is a HUGEINT)
        return exp.Sum(this=exp.Cast(this=node.this, to=DECIMAL_INTEGER.copy()))
    if isinstance(node, exp.Sign):
        return exp.Cast(this=node, to=exp.DataType.build("BIGINT"))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "count_star" and not node.expressions:
        return exp.Count(this=exp.Star())
    return node


def portable(query: exp.Expr) -> exp.Expr:
    """``query`` (a plan's, for DuckDB) with DuckDB's integer arithmetic written exactly for
    other engines (see the module docstring); a copy, ``query`` is left as it is."""
    tree = query.copy()
    for node in reversed(list(tree.dfs())):  # children first: a rewritten node holds them rewritten
        parent, key, index = node.parent, node.arg_key, node.index
        new = _node(node)
        if new is node:
            continue
        if parent is None or key is None:
            tree = new
        else:
            parent.set(key, new, index)
    return tree


def statements(query: exp.Expr) -> list[exp.Expr]:
    """The plan's whole ``query`` (:meth:`~teilhabe_rules.columnar.plan.Plan.query`, unguarded)
    as statements for another engine, made :func:`portable`: per step of its ``WITH`` a
    ``DROP TABLE IF EXISTS`` and a ``CREATE TABLE … AS`` (named :data:`STEP_PREFIX` + step), the
    query of the results reading them, and the steps' tables dropped, last step first."""
    tree = portable(query)
    with_ = tree.args.get("with_")
    ctes: list[exp.CTE] = list(with_.expressions) if isinstance(with_, exp.With) else []
    names = {cte.alias: STEP_PREFIX + cte.alias for cte in ctes}
    for table in tree.find_all(exp.Table):
        if not table.args.get("db") and table.name in names:
            table.set("this", exp.to_identifier(names[table.name]))
    tree.set("with_", None)
    out: list[exp.Expr] = []
    for cte in ctes:
        target = exp.to_table(names[cte.alias])
        out.append(exp.Drop(tables=[target], kind="TABLE", exists=True))
        out.append(exp.Create(this=target.copy(), kind="TABLE", expression=cte.this))
    out.append(tree)
    out.extend(exp.Drop(tables=[exp.to_table(names[cte.alias])], kind="TABLE", exists=True) for cte in reversed(ctes))
    return out
