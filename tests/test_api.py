"""The Python API: connect, register (Arrow, pandas, Polars), read_parquet/read_csv, results, plan cache."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import warpdb
from warpdb.kernels.backend import gpu_available
from warpdb.oracle import check


@pytest.fixture
def table():
    return pa.table({"k": [1, 2, 3, 4, None], "s": ["a", "b", None, "a", "c"], "x": [1.5, 2.5, 3.5, None, 0.5]})


def test_connect_devices():
    assert warpdb.connect(device="cpu").device == "cpu"
    assert warpdb.connect().device in ("cpu", "gpu")
    with pytest.raises(ValueError):
        warpdb.connect(device="tpu")


@pytest.mark.skipif(gpu_available(), reason="this machine has a GPU")
def test_gpu_without_a_gpu_is_a_clear_error():
    with pytest.raises(warpdb.NotSupported, match="GPU"):
        warpdb.connect(device="gpu")


def test_register_arrow_forms(table):
    con = warpdb.connect(device="cpu")
    con.register("t1", table)
    con.register("t2", table.to_batches()[0])
    con.register("t3", pa.RecordBatchReader.from_batches(table.schema, table.to_batches()))
    for name in ("t1", "t2", "t3"):
        check(con, f"select s, sum(k), count(*) from {name} group by s", {name: table})


def test_register_pandas_and_polars(table):
    pl = pytest.importorskip("polars")
    con = warpdb.connect(device="cpu")
    con.register("p", table.to_pandas())
    con.register("q", pl.from_arrow(table))
    assert con.sql("select count(*), sum(k) from p").fetchall() == [(5, 10)]
    assert con.sql("select count(*), sum(k) from q").fetchall() == [(5, 10)]


def test_read_parquet_glob_and_csv(tmp_path, table):
    for i in range(3):
        pq.write_table(table, tmp_path / f"part{i}.parquet")
    pacsv.write_csv(table, tmp_path / "t.csv")
    con = warpdb.connect(device="cpu")
    rel = con.read_parquet(str(tmp_path / "*.parquet"))
    assert rel.arrow().num_rows == 15
    both = pa.concat_tables([table] * 3)
    glob = str(tmp_path / "*.parquet")
    check(con, f"select s, count(*), sum(k) from read_parquet('{glob}') group by s", {"unused": both})
    got = con.sql(f"select count(*), sum(k) from read_csv('{tmp_path / 't.csv'}')").fetchall()
    assert got == [(5, 10)]
    assert con.read_csv(str(tmp_path / "t.csv")).arrow().num_rows == 5


def test_missing_file_is_a_bind_error(tmp_path):
    con = warpdb.connect(device="cpu")
    with pytest.raises(warpdb.BindError, match="no such file"):
        con.sql(f"select * from read_parquet('{tmp_path / 'nope.parquet'}')")
    assert con.sql("select 1").fetchall() == [(1,)]


def test_result_forms_and_plan_cache(table):
    con = warpdb.connect(device="cpu")
    con.register("t", table)
    sql = "select k, s from t where k > 1 order by k"
    r = con.sql(sql)
    assert r.fetchall() == [(2, "b"), (3, None), (4, "a")]
    assert r.df()["k"].tolist() == [2, 3, 4]
    assert "FILTER" in r.explain() or "filters=" in r.explain()
    again = con.sql(sql)
    assert again.plan is r.plan
    con.register("t", table.slice(0, 2))
    assert con.sql(sql).fetchall() == [(2, "b")]


def test_explain_analyze_profiles_operators(table):
    con = warpdb.connect(device="cpu")
    con.register("t", table)
    text = con.sql("explain analyze select s, count(*) from t group by s").fetchall()[0][0]
    assert "AGGREGATE" in text and "profile" in text and "Aggregate" in text


def test_cached_plan_sees_a_changed_file(tmp_path, table):
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    con = warpdb.connect(device="cpu")
    sql = f"select count(*) from read_parquet('{path}')"
    assert con.sql(sql).fetchall() == [(5,)]
    import os
    import time

    pq.write_table(table.slice(0, 2), path)
    os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert con.sql(sql).fetchall() == [(2,)]


def test_result_cancelled_between_operators(table):
    con = warpdb.connect(device="cpu").register("t", table)
    calls = []
    res = con.sql("select s, sum(x) from t where k > 1 group by s")
    with pytest.raises(warpdb.Cancelled):
        res.arrow(cancelled=lambda: calls.append(1) or len(calls) > 1)
    assert len(calls) == 2
    assert res.arrow().num_rows == 3
