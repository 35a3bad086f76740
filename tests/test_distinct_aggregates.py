"""Aggregates that are all DISTINCT over one argument run as two GROUP BYs (optimizer rule
distinct_aggregates): answers equal DuckDB's with the rule on and off — NULL arguments, groups
whose values are all NULL, empty inputs, global aggregates, strings, decimals, expressions, HAVING
— and plans the rule must leave alone (mixed or differing DISTINCT arguments) keep one aggregate."""
from __future__ import annotations

import decimal

import numpy as np
import pyarrow as pa
import pytest
from conftest import connect_with, rule_switch

from warpdb.oracle import check

RULE = "distinct_aggregates"
N = 20_000


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(3)
    k = rng.integers(0, 50, N)
    x = rng.integers(0, 300, N)
    return {"t": pa.table({
        "k": k, "s": rng.choice(np.array(["a", "b", "c", "d"]), N),
        "x": pa.array(np.where((rng.random(N) < 0.1) | (k == 7), None, x).tolist(), pa.int64()),
        "w": rng.choice(np.array([f"w{i}" for i in range(500)]), N),
        "p": pa.array([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(0, 2000, N)], pa.decimal128(12, 2)),
        "y": rng.integers(-5, 5, N).astype(np.int32),
    })}


rule = rule_switch(RULE)


QUERIES = [
    "select k, count(distinct x) from t group by k",
    "select k, s, count(distinct x), sum(distinct x), avg(distinct x), min(distinct x), max(distinct x) from t group by k, s",
    "select count(distinct x) from t",
    "select count(distinct x), sum(distinct x) from t where k > 100",
    "select k, count(distinct x) from t where k > 100 group by k",
    "select s, count(distinct w) from t group by s",
    "select k, count(distinct p), sum(distinct p) from t group by k",
    "select s, count(distinct x % 7) from t group by s",
    "select k, count(distinct x) as c from t group by k having count(distinct x) > 240",
    "select y, count(distinct k) from t where x is null group by y",
]
KEPT = [
    "select k, count(distinct x), count(*) from t group by k",
    "select k, count(distinct x), count(distinct y) from t group by k",
    "select k, count(x) from t group by k",
]


@pytest.mark.parametrize("sql", QUERIES + KEPT)
def test_answers_equal_duckdb(tables, rule, sql):
    check(connect_with(tables), sql, tables, ordered=False)


def _aggregates(con, sql: str) -> int:
    return con.sql("explain " + sql).fetchall()[0][0].count("AGGREGATE")


@pytest.mark.parametrize("sql", QUERIES[:3])
def test_distinct_aggregates_become_two_group_bys(tables, sql):
    assert _aggregates(connect_with(tables), sql) == 2


@pytest.mark.parametrize("sql", KEPT)
def test_other_aggregates_are_left_alone(tables, sql):
    assert _aggregates(connect_with(tables), sql) == 1


def test_a_plan_without_columns_passes_the_rule():
    assert connect_with({}).sql("select").arrow().num_columns == 0
