"""All 22 TPC-H queries on warpdb equal DuckDB's answers, from registered Arrow tables and from
Parquet through read_parquet views (SF 0.01 always; SF 0.1 too unless WARPDB_QUICK is set)."""
from __future__ import annotations

import os

import duckdb
import pyarrow.parquet as pq
import pytest

import warpdb
from tpch.datagen import TABLES, ensure_data
from tpch.queryset import QUERY_IDS, query_text
from warpdb.oracle import compare_tables

SCALES = [0.01] if os.environ.get("WARPDB_QUICK") else [0.01, 0.1]


@pytest.fixture(scope="module", params=SCALES, ids=lambda sf: f"sf{sf:g}")
def engines(request):
    root = ensure_data(request.param)
    dcon = duckdb.connect()
    arrow_con = warpdb.connect(device=os.environ.get("WARPDB_DEVICE", "cpu"))
    parquet_con = warpdb.connect(device=os.environ.get("WARPDB_DEVICE", "cpu"))
    for t in TABLES:
        table = pq.read_table(root / f"{t}.parquet")
        dcon.register(t, table)
        arrow_con.register(t, table)
        parquet_con.sql(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{root / f'{t}.parquet'}')")
    yield dcon, arrow_con, parquet_con
    dcon.close()


@pytest.mark.parametrize("q", QUERY_IDS)
def test_tpch_query_matches_duckdb(engines, q):
    dcon, arrow_con, parquet_con = engines
    sql = query_text(q)
    expected = dcon.sql(sql).to_arrow_table()
    assert expected.num_rows > 0 or q in (17,)
    for con in (arrow_con, parquet_con):
        diff = compare_tables(con.sql(sql).arrow(), expected, ordered=True)
        assert diff is None, f"Q{q}: {diff}"
