"""The plan's statements for Spark (``teilhabe-rules sql --dialect spark``) run on Spark itself and
give DuckDB's figures, digit for digit; the arithmetic written for it (``columnar.engines``) is
DuckDB's, value for value. Needs the ``spark`` extra and Java: ``.ci/run`` installs the extra and
runs this file; the README's test run, without pyspark, skips it."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples
from sqlglot import exp

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.columnar.batch import load_staged, stage_case
from teilhabe_rules.columnar.engines import STEP_PREFIX, portable
from teilhabe_rules.columnar.plan import HUGEINT
from teilhabe_rules.tools.strategies import sample_cases

pytest.importorskip("pyspark")
if shutil.which("java") is None and os.environ.get("CI") != "true":  # (in CI a missing Java fails)
    pytest.skip("Spark needs Java", allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402

MODELS = ("mawo", "mawo_2025", "bei_nrw2", "bei_nrw3")


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    warehouse = tmp_path_factory.mktemp("warehouse")
    session = (SparkSession.builder.master("local[2]").appName("teilhabe-rules")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "2g").config("spark.sql.warehouse.dir", str(warehouse))
               .getOrCreate())
    session.sparkContext.setLogLevel("OFF")
    yield session
    session.stop()


def _statements(name: str) -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    assert main(["sql", name, "--dialect", "spark"], out, err) == 0, err.getvalue()
    text = out.getvalue().rstrip()
    assert text.endswith(";")
    return text[:-1].split(";\n\n")


@pytest.mark.parametrize("name", MODELS)
def test_the_plan_runs_on_spark_and_gives_duckdb_s_figures(name: str, spark: Any, tmp_path: Path) -> None:
    """Generated cases (boundaries included) staged as the plan stages them, the staged tables
    handed to Spark as they are, the printed statements run one after the other: every column
    of every row equals DuckDB's result of the same plan — the figures as Decimals of the same
    places, the flags, the messages — and no step's table is left behind."""
    model = teilhabe_rules.bundled(name)
    plan = model.columnar_plan()
    checked = model.checked
    lines: dict[str, list[str]] = {sid: [] for sid in checked.scopes}
    for index, case in enumerate(sample_cases(model, 40, 11)):
        staged = stage_case(plan, checked, model.loader, index, case, None)
        if staged is not None:
            for sid, rows in staged.items():
                lines[sid].extend(rows)
    assert len(lines[""]) >= 30
    for number, sid in enumerate(checked.scopes):
        (tmp_path / f"in{number}.jsonl").write_text("".join(line + "\n" for line in lines[sid]), encoding="utf-8")
    con = duckdb.connect()
    load_staged(con, plan, checked, str(tmp_path))
    expected_cursor = con.execute(plan.query().sql("duckdb"))
    names = [d[0] for d in expected_cursor.description or ()]
    expected = {row[0]: row for row in expected_cursor.fetchall()}
    for sid in checked.scopes:
        table = plan.staged[sid]
        target = tmp_path / f"{table}.parquet"
        # (a HUGEINT column as DECIMAL(38, 0), as docs/batch.md says: DuckDB writes it to Parquet as a DOUBLE)
        relation = con.table(table)
        staged = exp.select(*[
            exp.alias_(exp.cast(exp.column(name), "DECIMAL(38, 0)"), name) if str(kind) == "HUGEINT"
            else exp.column(name) for name, kind in zip(relation.columns, relation.types, strict=True)]).from_(table)
        con.execute(exp.Copy(this=staged.subquery(), files=[exp.Literal.string(str(target))],
                             params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("PARQUET"))]
                             ).sql("duckdb"))
        spark.read.parquet(str(target)).createOrReplaceTempView(table)
    statements = _statements(name)
    (last,) = [n for n, s in enumerate(statements) if s.lstrip().startswith("SELECT")]
    for statement in statements[:last]:
        spark.sql(statement)
    frame = spark.sql(statements[last])
    assert frame.columns == names
    got = {row[0]: tuple(row) for row in frame.collect()}
    for statement in statements[last + 1:]:
        spark.sql(statement)
    assert not [t.name for t in spark.catalog.listTables() if t.name.startswith(STEP_PREFIX)]
    assert got.keys() == expected.keys()
    differences = [(case, column, got[case][n], expected[case][n]) for case in sorted(expected)
                   for n, column in enumerate(names) if got[case][n] != expected[case][n]
                   or type(got[case][n]) is not type(expected[case][n])]
    assert not differences, differences[:10]
    fine = [v for row in expected.values() for v in row if isinstance(v, Decimal) and v % Decimal("0.000001")]
    assert fine, "no figure of more than six places was compared"  # (Spark's products of decimals keep six)


# ---- the arithmetic, value for value ----------------------------------------------------------

_LIMIT = 2**125  # the plan's HUGEINT numerators are below this (plan.HUGE_LIMIT)


def _huge(value: int) -> exp.Expr:
    return exp.Cast(this=exp.Literal.string(str(value)), to=HUGEINT.copy())


def _big(value: int) -> exp.Expr:
    return exp.Cast(this=exp.Literal.number(value), to=exp.DataType.build("BIGINT"))


def _unit(value: int, k: int) -> exp.Expr:
    return exp.Mul(this=exp.Cast(this=_huge(value), to=exp.DataType.build("DECIMAL(38, 0)")),
                   expression=exp.Cast(this=exp.Literal.string(f"1E-{k}"), to=exp.DataType.build(f"DECIMAL(38, {k})")))


def _months(day: dt.date, months: int) -> exp.Expr:
    date = exp.Cast(this=exp.Literal.string(day.isoformat()), to=exp.DataType.build("DATE"))
    return exp.Cast(this=exp.Paren(this=exp.Add(this=date, expression=exp.Paren(this=exp.Anonymous(
        this="to_months", expressions=[exp.Literal.number(months)])))), to=exp.DataType.build("DATE"))


@st.composite
def _arithmetic(draw: st.DrawFn) -> list[exp.Expr]:
    """Expressions of the kinds the plan writes, as DuckDB computes them."""
    out: list[exp.Expr] = []
    for _ in range(draw(st.integers(1, 6))):
        divisor = draw(st.integers(1, 2**62) | st.sampled_from([1, 2, 3, 7, 500000, 10**18, 2 * 10**18]))
        dividend = draw(st.integers(-min(_LIMIT, divisor * 10**32 - 1), min(_LIMIT, divisor * 10**32 - 1)))
        for a in (_huge(dividend), _big(dividend % 2**62 - 2**61)):
            out.append(exp.IntDiv(this=a.copy(), expression=_big(divisor)))
            out.append(exp.Mod(this=a.copy(), expression=_big(divisor)))
        shift = draw(st.integers(1, 61))
        natural = abs(dividend)
        shifted = min(natural, 10**32 * 2**shift - 1)  # (a quotient of Spark's 32 digits before the point)
        out.append(exp.BitwiseRightShift(this=_huge(shifted), expression=exp.Literal.number(shift)))
        out.append(exp.BitwiseAnd(this=_huge(natural), expression=exp.Literal.number((1 << shift) - 1)))
        out.append(exp.BitwiseLeftShift(this=_huge(natural % 2**60), expression=exp.Literal.number(shift)))
        out.append(exp.BitwiseLeftShift(this=_big(natural % 2 ** (62 - shift)), expression=exp.Literal.number(shift)))
        out.append(exp.Mul(this=exp.Sign(this=_huge(dividend)), expression=_huge(dividend % 10**20)))
        out.append(_unit(draw(st.integers(-(10**37), 10**37)), draw(st.sampled_from([1, 2, 3, 6, 8, 18]))))
        out.append(_months(draw(st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31))), draw(st.integers(-400, 400))))
    return out


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expressions=_arithmetic())
def test_the_arithmetic_written_for_spark_is_duckdb_s(expressions: list[exp.Expr], spark: Any) -> None:
    """Integer division and remainder of 128-bit and 64-bit integers, shifts and masks, a sign
    times a number, a numerator put to its decimal places, months added to a date: Spark's
    value of the portable form is DuckDB's value of the plan's form — the same number, a
    Decimal where DuckDB gives a Decimal, never a float."""
    query = exp.select(*[exp.alias_(e, f"v{n}") for n, e in enumerate(expressions)])
    (expected,) = duckdb.sql(query.sql("duckdb")).fetchall()
    (got,) = spark.sql(portable(query).sql("spark")).collect()
    for n, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert not isinstance(mine, float), expressions[n].sql("duckdb")
        assert mine == theirs, (expressions[n].sql("duckdb"), portable(expressions[n]).sql("spark"), mine, theirs)


@settings(max_examples=examples(10), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.integers(-(2**62) + 1, 2**62 - 1), min_size=1, max_size=8))
@example(values=[2**62 - 1] * 4)  # 2^64: past a BIGINT
@example(values=[-(2**62) + 1] * 3)
def test_a_sum_of_bigints_beyond_64_bits_is_duckdb_s(values: list[int], spark: Any) -> None:
    """The plan sums BIGINT numerators (``summe``, ``anzahl``); DuckDB's sum is a HUGEINT, Spark's
    a BIGINT that overflows: the portable sum is DuckDB's whatever the total."""
    rows = exp.values([exp.Tuple(expressions=[_big(v)]) for v in values], alias="t", columns=["x"])
    query = exp.select(exp.alias_(exp.Sum(this=exp.column("x")), "s")).from_(rows)
    (expected,) = duckdb.sql(query.sql("duckdb")).fetchall()
    (got,) = spark.sql(portable(query).sql("spark")).collect()
    assert got[0] == expected[0] == sum(values)


def test_a_quotient_beyond_what_spark_holds_is_an_error_not_a_wrong_figure(spark: Any) -> None:
    """Spark's own ``DIV`` of decimals casts the quotient to BIGINT and wraps
    (``CAST('1' || 23 zeros AS DECIMAL(38, 0)) DIV 3`` is 66792140173563221); the portable form
    gives the exact quotient, and one past the 32 digits of Spark's decimal quotient is Spark's
    overflow error (ANSI mode), never a number."""
    exact = exp.select(exp.IntDiv(this=_huge(10**23), expression=_big(3)))
    (row,) = spark.sql(portable(exact).sql("spark")).collect()
    assert row[0] == Decimal(10**23 // 3)
    beyond = exp.select(exp.IntDiv(this=_huge(10**36), expression=_big(3)))
    with pytest.raises(Exception, match="NUMERIC_VALUE_OUT_OF_RANGE|cannot be represented"):
        spark.sql(portable(beyond).sql("spark")).collect()


def test_the_statements_name_their_tables_apart_from_the_warehouse_s(tmp_path: Path) -> None:
    """Each step's table is named with the prefix (a warehouse's own ``s2`` is never dropped) and
    dropped again after the results' query; the staged inputs keep their documented names."""
    statements = _statements("mawo")
    dropped = [s.split()[-1] for s in statements if s.startswith("DROP TABLE IF EXISTS ")]
    created = [s.split()[2] for s in statements if s.startswith("CREATE TABLE ")]
    assert created and all(name.startswith(STEP_PREFIX) for name in created)
    assert sorted(dropped) == sorted(created * 2)
    assert any("FROM in0 AS t" in s for s in statements)
