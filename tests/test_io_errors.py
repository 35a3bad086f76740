"""Unreadable inputs give typed warpdb errors that name the file, and the connection keeps working:
missing paths, truncated or corrupt files, schema mismatches, unreachable URLs, bad options."""
from __future__ import annotations

import importlib.util
import json
import socket

import fsspec
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import warpdb
from tests.io_fixtures import HTTPServer

TABLE = pa.table({"a": [1, 2, 3], "s": ["x", "y", "z"]})


@pytest.fixture
def con(tmp_path):
    """A connection with a working table `ok`, checked again after each failure."""
    c = warpdb.connect(device="cpu")
    pq.write_table(TABLE, tmp_path / "ok.parquet")
    c.sql(f"create view ok as select * from read_parquet('{tmp_path / 'ok.parquet'}')")
    yield c
    assert c.sql("select sum(a) from ok").fetchall() == [(6,)]
    assert c.sql("select 1 + 1").fetchall() == [(2,)]


def fails(con, sql: str, error: type, *words: str) -> None:
    """Planning and running `sql` raises `error` whose message has every word."""
    with pytest.raises(error) as info:
        con.sql(sql).arrow()
    for w in words:
        assert w in str(info.value), str(info.value)


def test_missing_paths_are_bind_errors(con, tmp_path):
    fails(con, f"select * from read_parquet('{tmp_path / 'nope.parquet'}')", warpdb.BindError, "nope.parquet")
    fails(con, f"select * from read_csv('{tmp_path / '*.csv'}')", warpdb.BindError, "*.csv")
    fails(con, "select * from read_json('memory:///warpdb-missing/x.json')", warpdb.BindError, "x.json")
    fails(con, f"select * from read_arrow('file://{tmp_path / 'gone.arrow'}')", warpdb.BindError, "gone.arrow")


def test_truncated_and_corrupt_files(con, tmp_path):
    pq.write_table(TABLE, tmp_path / "t.parquet")
    data = (tmp_path / "t.parquet").read_bytes()
    (tmp_path / "t.parquet").write_bytes(data[: len(data) // 2])
    fails(con, f"select * from read_parquet('{tmp_path / 't.parquet'}')", warpdb.ExecutionError, "t.parquet", "Parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not a parquet file at all" * 10)
    fails(con, f"select * from read_parquet('{tmp_path / 'junk.parquet'}')", warpdb.ExecutionError, "junk.parquet")
    feather.write_feather(TABLE, tmp_path / "t.arrow")
    (tmp_path / "t.arrow").write_bytes((tmp_path / "t.arrow").read_bytes()[:40])
    fails(con, f"select * from read_arrow('{tmp_path / 't.arrow'}')", warpdb.ExecutionError, "t.arrow", "Arrow")
    (tmp_path / "bad.csv").write_text("a,s\n1,x\nnot-a-number,y\n")
    fails(con, f"select * from read_csv('{tmp_path / 'bad.csv'}', columns={{'a': 'INTEGER', 's': 'VARCHAR'}})",
          warpdb.ExecutionError, "bad.csv", "CSV")
    (tmp_path / "bad.json").write_text('{"a": 1}\n{"a": \n')
    fails(con, f"select * from read_json('{tmp_path / 'bad.json'}')", warpdb.ExecutionError, "bad.json", "JSON")


def test_schema_mismatch_unless_union_by_name(con, tmp_path):
    tmp_path = tmp_path / "parts"
    tmp_path.mkdir()
    pq.write_table(TABLE, tmp_path / "a.parquet")
    pq.write_table(pa.table({"a": [4], "t": [1.5]}), tmp_path / "b.parquet")
    glob = tmp_path / "*.parquet"
    fails(con, f"select * from read_parquet('{glob}')", warpdb.BindError, "b.parquet", "union_by_name")
    got = con.sql(f"select a, s, t from read_parquet('{glob}', union_by_name=true) order by a").fetchall()
    assert got == [(1, "x", None), (2, "y", None), (3, "z", None), (4, None, 1.5)]
    pq.write_table(pa.table({"a": ["text"], "s": ["w"]}), tmp_path / "c.parquet")
    fails(con, f"select * from read_parquet(['{tmp_path / 'a.parquet'}', '{tmp_path / 'c.parquet'}'])",
          warpdb.BindError, "c.parquet")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_and_missing_urls(con, tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/x.parquet"
    fails(con, f"select * from read_parquet('{url}')", warpdb.ExecutionError, url)
    fails(con, f"select * from read_csv('{url.replace('parquet', 'csv')}', columns={{'a': 'INTEGER'}})",
          warpdb.ExecutionError, "x.csv")
    with HTTPServer(tmp_path) as base:
        fails(con, f"select * from read_parquet('{base}/missing.parquet')", warpdb.BindError, "missing.parquet")
        pq.write_table(TABLE, tmp_path / "served.parquet")
        assert con.sql(f"select count(*) from read_parquet('{base}/served.parquet')").fetchall() == [(3,)]


@pytest.mark.skipif(importlib.util.find_spec("s3fs") is not None, reason="s3fs is installed")
def test_missing_filesystem_driver(con):
    fails(con, "select * from read_parquet('s3://bucket/x.parquet')", warpdb.ExecutionError, "s3://bucket/x.parquet")


def test_bad_options(con, tmp_path):
    (tmp_path / "t.json").write_text(json.dumps({"a": 1}) + "\n")
    path = tmp_path / "t.json"
    fails(con, f"select * from read_json('{path}', compression='zstd')", warpdb.NotSupported, "compression")
    fails(con, f"select * from read_json('{path}', format='array')", warpdb.NotSupported, "newline")
    fails(con, f"select * from read_json('{path}', columns={{'a': 'NOSUCHTYPE'}})", warpdb.Error, "NOSUCHTYPE")
    fails(con, f"select * from read_json('{path}', columns='a')", warpdb.BindError, "columns")
    fails(con, f"select * from read_nothing('{path}')", warpdb.NotSupported, "read_nothing")


def test_memory_files_replaced_by_corrupt_ones(con):
    fs = fsspec.filesystem("memory")
    with fs.open("/warpdb-err/t.parquet", "wb") as f:
        f.write(b"PAR1garbagePAR1")
    try:
        fails(con, "select * from read_parquet('memory:///warpdb-err/t.parquet')", warpdb.ExecutionError,
              "memory:///warpdb-err/t.parquet")
    finally:
        fs.rm("/warpdb-err", recursive=True)
