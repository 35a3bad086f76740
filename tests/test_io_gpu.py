"""The page cache and load pipeline on the GPU: chunks in device memory, the pinned second tier
(demotion and promotion), the asynchronous pipeline and the Arrow IPC fast path (with and without
KvikIO) giving the CPU backend's answers, and repeated scans copying nothing."""
from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

import warpdb
from tests.io_fixtures import TIER_QUERIES, plain
from tests.test_io_ipc import SQL as IPC_SQL
from tests.test_io_ipc import files  # noqa: F401  (fixture)
from tests.test_io_load import QUERIES, mixed  # noqa: F401  (fixture)
from tpch.datagen import ensure_data
from tpch.queryset import query_text
from warpdb.io.scan import chunk_key
from warpdb.kernels.backend import gpu_available
from warpdb.oracle import compare_tables

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU with CuPy")]


@pytest.fixture(scope="module")
def lineitem(tmp_path_factory):
    path = tmp_path_factory.mktemp("gpu_cache") / "lineitem.parquet"
    pq.write_table(plain(pq.read_table(ensure_data(0.01) / "lineitem.parquet")), path, row_group_size=2000)
    return path


def _pair(sql_view: str, **options):
    cons = [warpdb.connect(device=d, **(options if d == "gpu" else {})) for d in ("gpu", "cpu")]
    for con in cons:
        con.sql(sql_view)
    return cons


@pytest.mark.parametrize("budget", ["1GB", 60_000])
def test_pipeline_on_the_gpu_answers_as_the_cpu(mixed, budget):  # noqa: F811
    root, dcon = mixed
    gpu, cpu = _pair(f"create view t as select * from read_parquet('{root}/*.parquet', union_by_name=true)",
                     cache_bytes=budget, host_cache_bytes=0)
    for sql in QUERIES:
        for _ in range(2):
            got = gpu.sql(sql).arrow()
            assert compare_tables(got, cpu.sql(sql).arrow(), ordered="order by" in sql) is None, sql
            assert compare_tables(got, dcon.sql(sql).to_arrow_table(), ordered="order by" in sql) is None, sql


def test_cached_chunks_live_in_device_memory_and_repeats_copy_nothing(lineitem):
    import cupy

    con = warpdb.connect(device="gpu")
    con.sql(f"create view lineitem as select * from read_parquet('{lineitem}')")
    numbers = con.preload("lineitem", columns=["l_quantity", "l_extendedprice", "l_returnflag", "l_shipdate"])
    assert numbers["bytes"] > 0 and numbers["bytes_copied"] > 0 and numbers["copy_s"] > 0  # file bytes, decoded there
    assert numbers["device_decode_s"] > 0
    stats = con.cache_stats()
    assert stats["bytes_device"] == numbers["bytes"] and stats["bytes_host"] == 0
    for q in (1, 6):
        con.sql(query_text(q)).arrow()
    copied = con.cache_stats()["bytes_copied_to_device"]
    for q in (1, 6, 1):
        con.sql(query_text(q)).arrow()
    assert con.cache_stats()["bytes_copied_to_device"] == copied
    (entry,) = con.catalog.file_sources.values()
    key = chunk_key(str(lineitem), entry.source.version(str(lineitem)), 0, "l_quantity", dict(entry.columns)["l_quantity"])
    assert isinstance(con.cache.get(key).data, cupy.ndarray)


def test_pinned_tier_demotes_and_promotes(lineitem):
    import cupy

    gpu, cpu = _pair(f"create view lineitem as select * from read_parquet('{lineitem}')",
                     cache_bytes=150_000, host_cache_bytes="1GB")
    q1, q2 = TIER_QUERIES
    for sql in (q1, q2, q1):
        result = gpu.sql(sql)
        assert compare_tables(result.arrow(), cpu.sql(sql).arrow(), ordered=True) is None
    stats = gpu.cache_stats()
    assert stats["demotions"] > 0 and stats["promotions"] > 0 and stats["bytes_host"] > 0
    assert 0 < stats["bytes_device"] <= 150_000
    assert result.scan_stats[0]["row_groups_from_storage"] == 0 and result.scan_stats[0]["bytes_copied"] > 0
    host = next(iter(gpu.cache._tier2.values()))
    attrs = cupy.cuda.runtime.pointerGetAttributes(host.data.ctypes.data)
    assert isinstance(host.data, np.ndarray) and attrs.type == cupy.cuda.runtime.memoryTypeHost


def test_streamed_aggregation_on_the_gpu(lineitem):
    gpu, cpu = _pair(f"create view lineitem as select * from read_parquet('{lineitem}')", cache_bytes=200_000)
    for q in (1, 6):
        result = gpu.sql(query_text(q))
        assert compare_tables(result.arrow(), cpu.sql(query_text(q)).arrow(), ordered=True) is None
        assert result.scan_stats[0]["batches"] > 1


@pytest.mark.parametrize("kvikio", [True, False])
def test_ipc_fast_path_on_the_gpu(files, kvikio):  # noqa: F811
    root, _, dcon = files
    path = root / "plain.arrow"
    gpu, cpu = _pair("select 1")
    if not kvikio:
        gpu.cache.transfers.kvikio = None
    elif gpu.cache.transfers.kvikio is None:
        pytest.skip("kvikio is not installed")
    for sql in IPC_SQL:
        text = sql.format(t=f"read_arrow('{path}')")
        assert compare_tables(gpu.sql(text).arrow(), cpu.sql(text).arrow(), ordered="order by" in sql) is None
    (entry,) = gpu.catalog.file_sources.values()
    assert entry.source.raw_bytes > 0
