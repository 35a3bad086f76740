"""Optimizer rules: every rule is optional (results stay DuckDB's with it switched off), the
driver rejects schema changes, and no TPC-H plan joins without keys."""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest

import warpdb
from tpch.datagen import TABLES, ensure_data
from tpch.queryset import QUERY_IDS, query_text
from warpdb.engine import optimizer
from warpdb.engine.logical import Join
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
