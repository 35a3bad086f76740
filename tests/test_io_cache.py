"""The page cache: repeated queries are served from it without reading files, a budget far below
the data still gives DuckDB's answers (with evictions), changed files are read again, and the
LRU order and size parsing hold."""
from __future__ import annotations

import duckdb
import numpy as np
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import warpdb
from tests.io_fixtures import plain
from tpch.datagen import ensure_data
from tpch.queryset import query_text
from warpdb.io.cache import Block, Chunk, PageCache
from warpdb.oracle import compare_tables


@pytest.fixture(scope="module")
def lineitem(tmp_path_factory):
    """SF 0.01 lineitem in row groups of 2000 rows, and DuckDB with it registered."""
    path = tmp_path_factory.mktemp("cache") / "lineitem.parquet"
    table = plain(pq.read_table(ensure_data(0.01) / "lineitem.parquet"))
    pq.write_table(table, path, row_group_size=2000)
    dcon = duckdb.connect()
    dcon.register("lineitem", table)
    return path, dcon


def _source(con):
    (entry,) = con.catalog.file_sources.values()
    return entry.source


def test_repeated_query_is_served_from_the_cache(lineitem):
    path, dcon = lineitem
    con = warpdb.connect(device="cpu")
    con.sql(f"create view lineitem as select * from read_parquet('{path}')")
    first = con.sql(query_text(1)).arrow()
    source, stats = _source(con), con.cache_stats()
    reads = (source.row_groups_read, source.bytes_read, list(source.files_read))
    assert stats["misses"] > 0 and stats["bytes_host"] > 0 and stats["bytes_device"] == 0
    again = con.sql(query_text(1))
    assert again.arrow().equals(first)
    assert compare_tables(first, dcon.sql(query_text(1)).to_arrow_table(), ordered=True) is None
    after = con.cache_stats()
    assert after["hits"] - stats["hits"] == stats["misses"] and after["misses"] == stats["misses"]
    assert (source.row_groups_read, source.bytes_read, source.files_read) == reads
    assert again.scan_stats[0]["bytes_read"] == 0 and again.scan_stats[0]["row_groups_from_storage"] == 0


def test_tiny_budget_still_answers_and_evicts(lineitem):
    path, dcon = lineitem
    con = warpdb.connect(device="cpu", cache_bytes=200_000)
    con.sql(f"create view lineitem as select * from read_parquet('{path}')")
    for q in (1, 6, 1):
        got = con.sql(query_text(q)).arrow()
        assert compare_tables(got, dcon.sql(query_text(q)).to_arrow_table(), ordered=True) is None
    stats = con.cache_stats()
    assert stats["evictions"] > 0 and 0 < stats["bytes_host"] <= 200_000 and stats["budget"] == 200_000


def test_changed_file_is_read_again(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), path)
    con = warpdb.connect(device="cpu")
    sql = f"select sum(a) from read_parquet('{path}')"
    assert con.sql(sql).fetchall() == [(6,)]
    pq.write_table(pa.table({"a": [10, 20, 30, 40]}), path)
    assert con.sql(sql).fetchall() == [(100,)]
    assert con.cache_stats()["entries"] == 1


def test_fsspec_url_is_cached():
    fs = fsspec.filesystem("memory")
    with fs.open("/cache/t.parquet", "wb") as f:
        pq.write_table(pa.table({"a": list(range(100))}), f, row_group_size=10)
    con = warpdb.connect(device="cpu")
    sql = "select count(*), sum(a) from read_parquet('memory://cache/t.parquet') where a >= 95"
    assert con.sql(sql).fetchall() == [(5, 485)]
    result = con.sql(sql)
    assert result.fetchall() == [(5, 485)]
    (scan,) = result.scan_stats
    assert (scan["row_groups_read"], scan["row_groups_total"], scan["bytes_read"]) == (1, 10, 0)


def test_no_cache_and_budget_parsing(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), path)
    con = warpdb.connect(device="cpu", cache_bytes=0)
    assert con.sql(f"select sum(a) from read_parquet('{path}')").fetchall() == [(3,)]
    assert con.cache_stats()["entries"] == 0
    assert warpdb.connect(device="cpu", cache_bytes="512MB").cache_stats()["budget"] == 512 * 10**6
    with pytest.raises(ValueError, match="cache_bytes"):
        warpdb.connect(device="cpu", cache_bytes="lots")


def _block(rows: int) -> Block:
    return Block(np.arange(rows, dtype=np.int64), None)


def _put(cache: PageCache, key: tuple, rows: int = 100) -> Chunk:
    block = _block(rows)
    chunk = Chunk.of(block, 0, rows)
    cache.admit([(block, {key: chunk})])
    return chunk


def test_least_recently_used_is_evicted_first():
    cache = PageCache(2 * 800)
    a = _put(cache, ("a",))
    _put(cache, ("b",))
    assert cache.get(("a",)) is a
    c = _put(cache, ("c",))
    assert cache.get(("b",)) is None and cache.get(("a",)) is a and cache.get(("c",)) is c
    assert cache.stats()["evictions"] == 1 and cache.stats()["bytes_host"] == 1600
    cache.stamp("p", (1, 1))
    _put(cache, ("p", 1, 1, 0, "x"))
    cache.stamp("p", (2, 1))
    assert cache.get(("p", 1, 1, 0, "x")) is None
