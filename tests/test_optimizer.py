"""Optimizer rules: every rule is optional (results stay DuckDB's with it switched off), the
driver rejects schema changes, no TPC-H plan joins without keys, and join ordering follows
filters through chains of dimension tables and equalities through shared columns."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import connect_with

import warpdb
from tpch.datagen import TABLES, ensure_data
from tpch.queryset import QUERY_IDS, query_text
from warpdb.engine import optimizer
from warpdb.engine.catalog import TableEntry
from warpdb.engine.logical import Join, Scan
from warpdb.engine.optimizer import order_joins
from warpdb.oracle import check

QUERIES = [
    "select t.id, u.id from t join u on t.id = u.t_id and t.a < u.a where t.b > 0",
    "select s, count(*), sum(d) from t where a is not null or b > 2 group by s",
    "select id from t where (a > 1 and s like 'a%') or (a > 1 and b < 5) order by id limit 3 offset 1",
    "select id from t where exists (select 1 from u where u.t_id = t.id) and id not in (select t_id from u where t_id is not null)",
    "select t.id, (select count(*) from u where u.t_id = t.id) from t, u where t.id = u.id",
    "select dt + interval '1' day > timestamp '2000-01-01 00:00:00', id from t",
]


@pytest.mark.parametrize("rule", [name for name, _ in optimizer.RULES if not name.endswith("_again")])
def test_each_rule_is_optional(con, tables, rule):
    optimizer.DISABLED.add(rule)
    try:
        for sql in QUERIES:
            con._plans.clear()
            check(con, sql, tables)
    finally:
        optimizer.DISABLED.discard(rule)
        con._plans.clear()


def test_schema_change_is_rejected(monkeypatch, con):
    from warpdb.engine.logical import Project

    def drop_last_column(plan):
        return Project(plan, (), ())

    monkeypatch.setattr(optimizer, "RULES", [("broken", drop_last_column)])
    with pytest.raises(warpdb.ExecutionError, match="broken"):
        con.sql("select 1 as x")


def test_no_tpch_plan_joins_without_keys():
    root = ensure_data(0.01)
    con = warpdb.connect(device="cpu")
    for t in TABLES:
        con.register(t, pq.read_table(root / f"{t}.parquet"))
    for q in QUERY_IDS:
        plan = con.sql(query_text(q)).plan
        for node in plan.walk():
            if isinstance(node, Join) and node.kind not in ("single",):
                has_keys = bool(node.left_keys)
                uncorrelated_exists = node.kind in ("semi", "anti", "mark") and node.residual is None
                assert has_keys or uncorrelated_exists, f"Q{q}: {node.kind} join without keys"


def _snowflake() -> dict[str, pa.Table]:
    """A fact table stored in order of its sparse order keys (4 rows an order, as TPC-H's lineitem),
    an orders dimension whose status filter keeps half of it, and a supplier -> nation chain whose
    name filter keeps one nation in 25."""
    rng = np.random.default_rng(7)
    orders, suppliers = 10_000, 400
    return {
        "fact": pa.table({"f_order": np.repeat(np.arange(orders) * 4, 4),
                          "f_supp": rng.integers(0, suppliers, 4 * orders),
                          "f_shipped": rng.integers(0, 100, 4 * orders),
                          "f_received": rng.integers(0, 100, 4 * orders)}),
        "orders": pa.table({"o_key": np.arange(orders) * 4, "o_status": rng.choice(["F", "O"], orders)}),
        "supplier": pa.table({"s_key": np.arange(suppliers), "s_nation": np.arange(suppliers) % 25}),
        "nation": pa.table({"n_key": np.arange(25), "n_name": [f"nation{i}" for i in range(25)]}),
    }


def _tables(plan) -> set[str]:
    return {n.table for n in plan.walk() if isinstance(n, Scan)}


def _first_join_of(plan, table: str):
    """The join nearest the scans whose input holds `table`."""
    joins = [n for n in plan.walk() if isinstance(n, Join) and table in _tables(n)]
    return min(joins, key=lambda j: len(_tables(j)))


@pytest.fixture(params=["dynamic", "greedy"])
def search(request, monkeypatch):
    """Join ordering by dynamic programming, and by the greedy search used past DP_LIMIT relations."""
    if request.param == "greedy":
        monkeypatch.setattr(order_joins, "DP_LIMIT", 0)
    return request.param


def test_filtered_dimension_chain_joins_the_fact_table_first(search):
    """The nation filter reaches the fact table through supplier: nation-supplier-fact-orders
    produces a few hundred rows at each join, fact-orders-supplier-nation ten thousands."""
    tables = _snowflake()
    con = connect_with(tables)
    sql = ("select n_name, count(*), sum(f_shipped) from fact, orders, supplier, nation "
           "where f_order = o_key and f_supp = s_key and s_nation = n_key and o_status = 'F' "
           "and n_name = 'nation3' and f_received > f_shipped group by n_name")
    check(con, sql, tables)
    assert _tables(_first_join_of(con.sql(sql).plan, "fact")) == {"fact", "supplier", "nation"}


def test_equal_columns_join_transitively(search):
    """a.k = b.k and b.k = c.k also join a and c, so the two small tables meet before the big
    one; a relation holding two columns of one class keeps them equal."""
    tables = {
        "a": pa.table({"k": np.arange(10), "k2": np.arange(10) % 4}),
        "b": pa.table({"k": np.arange(50_000) % 1000, "v": np.arange(50_000)}),
        "c": pa.table({"k": np.arange(5, 15)}),
    }
    con = connect_with(tables)
    sql = "select count(*), sum(b.v) from a, b, c where a.k = b.k and b.k = c.k"
    check(con, sql, tables)
    plan = con.sql(sql).plan
    assert min((_tables(j) for j in plan.walk() if isinstance(j, Join)), key=len) == {"a", "c"}
    check(con, "select a.k, b.v from a, b, c where a.k = b.k and b.k = a.k2 and c.k = b.k", tables)


def test_distinct_estimate_sees_repeats_of_a_clustered_column():
    """A column stored in value order with 4 rows a value is estimated near its true distinct
    count, not as a key (evenly spaced sample rows would all differ)."""
    keys = np.repeat(np.arange(100_000) * 4, 4)
    entry = TableEntry("t", pa.table({"k": keys, "u": np.arange(len(keys))}))
    assert 100_000 / 1.5 < entry.distinct_estimate("k") < 100_000 * 1.5
    assert entry.distinct_estimate("u") == len(keys)
