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
from tests.io_fixtures import TIER_QUERIES, plain
from tpch.datagen import ensure_data
from tpch.queryset import query_text
from warpdb.io.cache import Block, Chunk, PageCache
from warpdb.io.scan import chunk_key
from warpdb.io.transfer import HostTransfers
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
    chunk = Chunk(block, 0, rows)
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


def test_repeated_scan_copies_nothing_and_is_a_view_of_the_cached_block(lineitem):
    path, _ = lineitem
    con = warpdb.connect(device="cpu")
    sql = f"select l_orderkey, l_quantity, l_shipmode from read_parquet('{path}')"
    first = con.sql(sql).arrow()
    copied = con.cache_stats()["bytes_copied_to_device"]
    assert copied > 0
    (entry,) = con.catalog.file_sources.values()
    result = con.sql(sql)
    assert result.arrow().equals(first)
    assert con.cache_stats()["bytes_copied_to_device"] == copied
    (scan,) = result.scan_stats
    assert scan["bytes_copied"] == 0 and scan["row_groups_from_storage"] == 0 and scan["bytes"] > 0
    node = next(n for n in con.sql(sql).plan.walk() if type(n).__name__ == "Scan")
    cols = entry.scan(node, None, []).columns
    chunk = con.cache.get(chunk_key(str(path), entry.source.version(str(path)), 0, "l_orderkey", cols["l_orderkey"].dtype))
    assert np.shares_memory(cols["l_orderkey"].data, chunk.data)
    assert cols["l_orderkey"].data.base is chunk.data.base


def test_partly_cached_scans_are_gathered_and_then_served_as_views(lineitem):
    """A pruned scan caches some row groups; the full scan after it copies them and reads the rest,
    unifying the string dictionaries; a third scan copies nothing."""
    path, dcon = lineitem
    con = warpdb.connect(device="cpu")
    con.sql(f"create view lineitem as select * from read_parquet('{path}')")
    some = "select l_shipmode, count(*), sum(l_quantity) from lineitem where l_orderkey < 20000 group by 1 order by 1"
    every = "select l_shipmode, l_orderkey < 20000 as low, count(*), sum(l_quantity) from lineitem group by 1, 2 order by 1, 2"
    for sql in (some, every, every):
        before = con.cache_stats()["bytes_copied_to_device"]
        result = con.sql(sql)
        assert compare_tables(result.arrow(), dcon.sql(sql).to_arrow_table(), ordered=True) is None
        (scan,) = result.scan_stats
        if sql is some:
            assert 0 < scan["row_groups_read"] < scan["row_groups_total"]
    assert con.cache_stats()["bytes_copied_to_device"] == before


def test_query_over_data_many_times_the_budget_matches_duckdb(tmp_path):
    """Joins and sorts (not streamed) over Parquet several times cache_bytes."""
    data = ensure_data(0.01)
    con = warpdb.connect(device="cpu", cache_bytes=50_000)
    dcon = duckdb.connect()
    for t in ("lineitem", "orders", "customer", "nation", "supplier", "region"):
        table = plain(pq.read_table(data / f"{t}.parquet"))
        pq.write_table(table, tmp_path / f"{t}.parquet", row_group_size=1000)
        con.sql(f"create view {t} as select * from read_parquet('{tmp_path / t}.parquet')")
        dcon.register(t, table)
    for q in (3, 5, 10, 12):
        got = con.sql(query_text(q)).arrow()
        assert compare_tables(got, dcon.sql(query_text(q)).to_arrow_table(), ordered=True) is None, q
    stats = con.cache_stats()
    assert stats["evictions"] > 0 and stats["bytes_host"] <= 50_000
    assert pq.read_metadata(tmp_path / "lineitem.parquet").num_rows * 8 > 5 * 50_000


def test_preload_fills_the_cache_and_a_query_then_copies_nothing(lineitem):
    path, dcon = lineitem
    con = warpdb.connect(device="cpu")
    con.sql(f"create view lineitem as select * from read_parquet('{path}')")
    numbers = con.preload("lineitem", columns=["l_quantity", "l_shipmode", "l_shipdate"])
    meta = pq.read_metadata(path)
    assert numbers["rows"] == meta.num_rows and numbers["row_groups_from_storage"] == meta.num_row_groups
    assert numbers["bytes"] == meta.num_rows * (8 + 4 + 4) == numbers["bytes_copied"]
    assert numbers["decode_s"] > 0 and numbers["wall_s"] > 0
    copied = con.cache_stats()["bytes_copied_to_device"]
    sql = "select l_shipmode, sum(l_quantity), max(l_shipdate) from lineitem group by 1 order by 1"
    assert compare_tables(con.sql(sql).arrow(), dcon.sql(sql).to_arrow_table(), ordered=True) is None
    assert con.cache_stats()["bytes_copied_to_device"] == copied
    assert con.preload(f"read_parquet('{path}')")["rows"] == meta.num_rows
    con.register("t", pa.table({"a": [1]}))
    with pytest.raises(warpdb.NotSupported, match="preload"):
        con.preload("t")
    with pytest.raises(warpdb.BindError):
        con.preload("lineitem", columns=["nope"])


def test_host_cache_bytes_is_for_the_gpu():
    with pytest.raises(warpdb.NotSupported, match="host_cache_bytes"):
        warpdb.connect(device="cpu", host_cache_bytes="1GB")
    with pytest.raises(ValueError, match="host_cache_bytes"):
        PageCache("1MB", "lots", HostTransfers(np))


def _tiered(budget: int, host_budget: int) -> PageCache:
    """A page cache with a second tier, as the GPU has, over host copies."""
    return PageCache(budget, host_budget, HostTransfers(np))


def test_evicted_chunks_are_demoted_to_the_second_tier_and_leave_it_least_recent_first():
    cache = _tiered(1600, 1600)
    a = _put(cache, ("a",))
    _put(cache, ("b",))
    _put(cache, ("c",))
    got = cache.get(("a",))
    assert got.block is None and np.array_equal(got.data, a.data) and not np.shares_memory(got.data, a.data)
    stats = cache.stats()
    assert (stats["demotions"], stats["evictions"], stats["entries"], stats["entries_host"]) == (1, 0, 3, 1)
    _put(cache, ("d",))
    _put(cache, ("e",))
    _put(cache, ("f",))
    stats = cache.stats()
    assert stats["demotions"] == 4 and stats["evictions"] == 2 and stats["entries_host"] == 2
    assert cache.get(("b",)) is None and cache.get(("a",)) is None and cache.get(("c",)).block is None
    cache.stamp("e", (1,))
    assert cache.get(("d",)).block is None
    big = _tiered(800, 0)
    _put(big, ("x",))
    _put(big, ("y",))
    assert big.stats()["evictions"] == 1 and big.stats()["entries_host"] == 0


def test_file_change_drops_chunks_of_both_tiers():
    cache = _tiered(800, 800)
    cache.stamp("p", (1, 1))
    _put(cache, ("p", 1, 1, 0, "x"))
    _put(cache, ("p", 1, 1, 1, "x"))
    assert cache.stats()["entries_host"] == 1
    cache.stamp("p", (2, 1))
    assert cache.stats()["entries"] == 0 and cache.stats()["bytes_host"] == 0


def test_scans_promote_chunks_from_the_second_tier(lineitem):
    """Through a second tier (host copies standing in for pinned memory): a scan evicted from tier 1
    is copied back from tier 2 without reading the file, and gives the same answer."""
    path, dcon = lineitem
    con = warpdb.connect(device="cpu")
    con.cache = con.catalog.cache = _tiered(150_000, 10**9)
    con.sql(f"create view lineitem as select * from read_parquet('{path}')")
    q1, q2 = TIER_QUERIES
    for sql in (q1, q2, q1):
        result = con.sql(sql)
        assert compare_tables(result.arrow(), dcon.sql(sql).to_arrow_table(), ordered=True) is None
    stats = con.cache_stats()
    assert stats["demotions"] > 0 and stats["promotions"] > 0
    assert result.scan_stats[0]["row_groups_from_storage"] == 0 and result.scan_stats[0]["bytes_copied"] > 0
