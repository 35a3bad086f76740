"""Common-subplan reuse: a subtree repeated up to column ids (a decorrelated scalar subquery over
its outer query's join or aggregate) is evaluated once per query and read by each consumer under
its own column ids; answers equal DuckDB's with the rule on and off, and subtrees that differ (a
filter constant) or depend on columns outside them are not shared."""
from __future__ import annotations

from collections import Counter

import pyarrow.parquet as pq
import pytest
from conftest import connect_with, rule_switch

import warpdb
from tpch.datagen import TABLES, ensure_data
from tpch.queryset import query_text
from warpdb.engine import optimizer
from warpdb.engine import types as T
from warpdb.engine.expr import ColRef
from warpdb.engine.logical import Join, Reuse, Shared, transform_up
from warpdb.engine.optimizer import share_subplans
from warpdb.oracle import check, compare_tables, duckdb_result

RULE = "share_subplans"
JOIN = "t join u on t.id = u.t_id"
SHARED_QUERIES = [
    # the outer copy's scan of t keeps s, the subquery's b: the shared copy reads both
    f"select t.id, t.s, u.v from {JOIN} where u.v > (select avg(u.v) - max(t.b) from {JOIN})",
    f"select t.id, u.v from {JOIN} where u.v > (select avg(u.v) from {JOIN}) and t.b < (select max(t.b) from {JOIN})",
    # a mark join's computed column, read through the reuse; the copies keep different columns of t
    ("select t.id, t.s from t where (t.a in (select a from u) or t.b > 0) "
     "and t.id > (select count(*) from t where t.a in (select a from u) or t.b > 0)"),
    "select s, sum(b) from t group by s having sum(b) > (select avg(x) from (select sum(b) as x from t group by s))",
    f"select t.a, count(*) from {JOIN} group by t.a union all select t.a, count(*) from {JOIN} group by t.a",
    # the keyed aggregate's join side runs first (a runtime key filter): the reuse evaluates the subtree
    (f"select a.k, a.total, b.v from (select t.id as k, sum(u.v) as total from {JOIN} group by t.id) a "
     f"join (select t.id, u.v from {JOIN}) b on a.k = b.id"),
]
DIFFERENT = [
    f"select (select sum(u.v) from {JOIN} where t.a > 1), (select sum(u.v) from {JOIN} where t.a > 2)",
    ("select s, sum(b) from t where a > 0 group by s having sum(b) > (select avg(x) from (select sum(b) as x "
     "from t where a > 1 group by s))"),
]


rule = rule_switch(RULE)


@pytest.fixture(scope="module")
def tpch_tables():
    root = ensure_data(0.01)
    return {t: pq.read_table(root / f"{t}.parquet") for t in TABLES}


def _explain(con, sql: str) -> str:
    return con.sql("explain " + sql).fetchall()[0][0]


def _operators(con, sql: str) -> Counter:
    """How many times each operator ran in one execution of `sql`."""
    con._plans.clear()
    result = con.sql(sql)
    result.arrow()
    return Counter(name for name, _, _ in result.profile)


@pytest.mark.parametrize("q", [11, 15])
def test_tpch_answers_equal_duckdb(tpch_tables, rule, q):
    con = connect_with(tpch_tables)
    expected = duckdb_result(query_text(q), tpch_tables)
    assert compare_tables(con.sql(query_text(q)).arrow(), expected, ordered=True) is None


@pytest.mark.parametrize("sql", SHARED_QUERIES + DIFFERENT)
def test_answers_equal_duckdb(tables, rule, sql):
    check(connect_with(tables), sql, tables, ordered=False)


@pytest.mark.parametrize("q, saved", [(11, {"Join": 2, "Scan": 3}), (15, {"Aggregate": 1, "Scan": 1})])
def test_tpch_shared_subtree_runs_once(tpch_tables, q, saved):
    """Q11's supplier-nation-partsupp join and Q15's revenue aggregate run once, the second
    consumer reading the result (one `Reuse` step) instead of running its copy."""
    con = connect_with(tpch_tables)
    on = _operators(con, query_text(q))
    optimizer.DISABLED.add(RULE)
    try:
        off = _operators(con, query_text(q))
    finally:
        optimizer.DISABLED.discard(RULE)
    assert on["Reuse"] == 1 and on["Shared"] == 1 and not off["Reuse"]
    assert {op: off[op] - on[op] for op in saved} == saved


@pytest.mark.parametrize("q, table", [(11, "partsupp"), (15, "lineitem")])
def test_explain_prints_the_second_copy_as_a_reference(tpch_tables, q, table):
    text = _explain(connect_with(tpch_tables), query_text(q))
    lines = text.splitlines()
    assert text.count("SHARED #1") == 1 and text.count(f"SCAN {table}") == 1
    [reuse] = [i for i, line in enumerate(lines) if "REUSE #1" in line]
    depth = len(lines[reuse]) - len(lines[reuse].lstrip())
    assert reuse + 1 == len(lines) or len(lines[reuse + 1]) - len(lines[reuse + 1].lstrip()) <= depth


def test_explain_analyze_profiles_the_reuse(tpch_tables):
    text = connect_with(tpch_tables).sql("explain analyze " + query_text(15)).fetchall()[0][0]
    profile = text.split("profile (operator, ms, rows):")[1]
    assert profile.count(" Reuse ") == 1 and profile.count(" Scan ") == 2


@pytest.mark.parametrize("sql", SHARED_QUERIES)
def test_repeated_subtree_is_shared(tables, sql):
    con = connect_with(tables)
    plan = con.sql(sql).plan
    shared = [n for n in plan.walk() if isinstance(n, Shared)]
    reuses = [n for n in plan.walk() if isinstance(n, Reuse)]
    assert shared and len(reuses) == sum(s.readers - 1 for s in shared)
    counts = _operators(con, sql)
    assert counts["Reuse"] == len(reuses) and counts["Shared"] == len(shared)


def test_reuse_run_before_its_shared_node_evaluates_the_subtree(tables):
    """The runtime key filter evaluates the join's right side (the Reuse) first: the Reuse runs
    the shared join and the Shared node, read later, finds its result."""
    result = connect_with(tables).sql(SHARED_QUERIES[-1])
    result.arrow()
    names = [name for name, _, _ in result.profile]
    assert names.count("Join") == 2 and names.index("Join") < names.index("Reuse") < names.index("Shared")


def test_copies_keep_the_union_of_their_scan_columns(tables):
    con = connect_with(tables)
    text = _explain(con, SHARED_QUERIES[0])
    assert "REUSE #1" in text and text.count("SCAN t [") == 1
    [scan] = [line for line in text.splitlines() if "SCAN t [" in line]
    assert all(c in scan for c in ("id", "s", "b"))


@pytest.mark.parametrize("sql", DIFFERENT)
def test_subtrees_differing_in_a_constant_are_not_shared(tables, sql):
    text = _explain(connect_with(tables), sql)
    assert "SHARED" not in text and "REUSE" not in text


def test_subtree_using_an_outer_column_is_not_shared(tables):
    """A subtree whose expressions use a column it does not produce (a correlation the binder
    would have rejected) depends on its surroundings: the same copies are shared without it."""
    con = connect_with(tables)
    optimizer.DISABLED.add(RULE)
    try:
        plan = con.sql(SHARED_QUERIES[1]).plan
    finally:
        optimizer.DISABLED.discard(RULE)
    outer = ColRef(10**6, T.BOOL, "outer")

    def correlate(node):
        if isinstance(node, Join) and node.kind == "inner":
            return Join(node.kind, node.left, node.right, node.left_keys, node.right_keys, outer)
        return node

    assert any(isinstance(n, Shared) for n in share_subplans.apply(plan).walk())
    assert not any(isinstance(n, (Shared, Reuse)) for n in share_subplans.apply(transform_up(plan, correlate)).walk())


@pytest.mark.parametrize("fn", ["random()", "uuid()", "gen_random_uuid()"])
def test_volatile_functions_are_not_supported(con, fn):
    """share_subplans relies on every function being deterministic: a volatile one must not
    plan (if one is added, the rule must stop sharing subtrees that call it)."""
    with pytest.raises(warpdb.Error):
        con.sql(f"select {fn} from t")
