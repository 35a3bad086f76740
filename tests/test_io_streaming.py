"""Streamed aggregation: a Parquet scan larger than the cache budget is aggregated batch by batch of
row groups (partials combined) and gives DuckDB's answers; a large budget uses one batch."""
from __future__ import annotations

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import warpdb
from tests.io_fixtures import plain
from tpch.datagen import ensure_data
from tpch.queryset import query_text
from warpdb.oracle import compare_tables

QUERIES = {
    "q1": query_text(1),
    "q6": query_text(6),
    "grouped_by_string": "select l_shipmode, count(*), sum(l_quantity), avg(l_extendedprice), min(l_discount), "
                         "max(l_tax) from lineitem group by l_shipmode order by l_shipmode",
    "global_null_free": "select count(*), count(l_orderkey), sum(l_orderkey), sum(l_extendedprice), "
                        "avg(l_discount), avg(l_orderkey), sum(l_fpn), avg(l_fpn) from lineitem",
    "global_nulls": "select count(l_nullable), sum(l_nullable), avg(l_nullable), min(l_nullable), "
                    "max(l_nullable), count(*), max(l_comment), sum(l_extendedprice) from lineitem",
    "grouped_nulls": "select l_linenumber, count(l_nullable), sum(l_nullable), min(l_nullstr), max(l_nullstr) "
                     "from lineitem where l_quantity < 30 group by l_linenumber order by l_linenumber",
    "min_max_strings_dates": "select l_returnflag, min(l_shipdate), max(l_receiptdate), min(l_comment), "
                             "max(l_shipinstruct) from lineitem group by l_returnflag order by l_returnflag",
    "computed_key": "select l_shipdate >= date '1995-01-01' as late, l_linestatus || l_returnflag as k, "
                    "count(*), sum(l_quantity * l_extendedprice) from lineitem group by 1, 2 order by 1, 2",
    "null_key": "select l_nullstr, count(*), avg(l_quantity), min(l_comment) from lineitem group by l_nullstr order by l_nullstr",
}
EMPTY = {
    "empty_global": "select count(*), count(l_quantity), sum(l_quantity), avg(l_extendedprice), min(l_shipmode), "
                    "sum(l_fpn) from lineitem where l_comment like '%no such comment%'",
    "empty_grouped": "select l_shipmode, count(*), sum(l_quantity) from lineitem "
                     "where l_comment like '%no such comment%' group by l_shipmode",
    "pruned_global": "select count(*), sum(l_quantity) from lineitem where l_quantity > 1000",
}


@pytest.fixture(scope="module")
def lineitem(tmp_path_factory):
    """SF 0.01 lineitem in row groups of 2000 rows, with a float column and NULL-containing int and
    string columns, and DuckDB with it registered."""
    path = tmp_path_factory.mktemp("stream") / "lineitem.parquet"
    table = plain(pq.read_table(ensure_data(0.01) / "lineitem.parquet"))
    key = table.column("l_orderkey")
    table = table.append_column("l_fpn", pc.divide(pc.cast(key, "float64"), 7.0))
    table = table.append_column("l_nullable", pc.if_else(pc.equal(pc.bit_wise_and(key, 3), 0), None, key))
    table = table.append_column("l_nullstr", pc.if_else(pc.equal(pc.bit_wise_and(key, 5), 1), None,
                                                        table.column("l_shipmode")))
    pq.write_table(table, path, row_group_size=2000)
    dcon = duckdb.connect()
    dcon.register("lineitem", table)
    return path, dcon


def _run(path, budget, sql):
    con = warpdb.connect(device="cpu", cache_bytes=budget)
    con.sql(f"create view lineitem as select * from read_parquet('{path}')")
    return con.sql(sql)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_streamed_aggregate_matches_duckdb(lineitem, name):
    path, dcon = lineitem
    sql = QUERIES[name]
    want = dcon.sql(sql).to_arrow_table()
    small = _run(path, 200_000, sql)
    assert compare_tables(small.arrow(), want, ordered=True) is None
    (scan,) = small.scan_stats
    assert scan["batches"] > 1 and scan["row_groups_read"] == scan["row_groups_total"] > 1
    large = _run(path, "1GB", sql)
    assert compare_tables(large.arrow(), want, ordered=True) is None
    assert large.scan_stats[0]["batches"] == 1


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_filter_removing_every_row(lineitem, name):
    path, dcon = lineitem
    sql = EMPTY[name]
    want = dcon.sql(sql).to_arrow_table()
    got = _run(path, 200_000, sql)
    assert compare_tables(got.arrow(), want, ordered=False) is None
    assert got.arrow().num_rows == (0 if "grouped" in name else 1)
    batches = got.scan_stats[0]["batches"]
    assert batches == 1 if name.startswith("pruned") else batches > 1


def test_batches_show_in_explain_analyze_and_other_aggregates_read_at_once(lineitem):
    path, dcon = lineitem
    con = warpdb.connect(device="cpu", cache_bytes=200_000)
    con.sql(f"create view lineitem as select * from read_parquet('{path}')")
    text = con.sql("explain analyze " + query_text(6)).fetchall()[0][-1]
    assert "batches" in text
    sql = "select l_shipmode, count(distinct l_suppkey), var_samp(l_quantity) from lineitem group by 1 order by 1"
    got = con.sql(sql)
    assert compare_tables(got.arrow(), dcon.sql(sql).to_arrow_table(), ordered=True) is None
    assert got.scan_stats[0]["batches"] == 1
