"""memory_limit: parsing, the CPU backend's clear refusal, and OutOfMemory on the GPU."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import warpdb
from warpdb.engine.memory import parse_size
from warpdb.kernels.backend import gpu_available


@pytest.mark.parametrize("text,expected", [("60GB", 60 * 10**9), ("512 MiB", 512 * 2**20), (1000, 1000),
                                           ("1.5kb", 1500), ("2e3", 2000)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["", "-5GB", "ten GB", "5 parsecs", 0, True, "0MB"])
def test_parse_size_rejects(bad):
    with pytest.raises(ValueError, match="memory_limit"):
        parse_size(bad)


def test_cpu_backend_refuses_memory_limit():
    with pytest.raises(warpdb.NotSupported, match="memory_limit on the CPU backend"):
        warpdb.connect(device="cpu", memory_limit="1GB")


@pytest.mark.gpu
@pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU with CuPy")
def test_gpu_query_beyond_the_limit_raises_and_the_connection_goes_on():
    con = warpdb.connect(device="gpu", memory_limit="300MB")
    n = 5_000_000
    con.register("t", pa.table({"k": np.arange(n) % 1000, "v": np.arange(n, dtype=np.int64)}))
    assert con.sql("SELECT count(*), sum(v) FROM t").fetchall() == [(n, n * (n - 1) // 2)]
    with pytest.raises(warpdb.OutOfMemory) as info:
        con.sql("SELECT count(*) FROM t a JOIN t b ON a.k = b.k WHERE a.v < 2000000").fetchall()
    assert "memory_limit=300MB" in str(info.value) and "Join" in str(info.value)
    assert con.sql("SELECT k, count(*) FROM t WHERE k < 3 GROUP BY k ORDER BY k").fetchall() == \
        [(0, 5000), (1, 5000), (2, 5000)]


@pytest.mark.gpu
@pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU with CuPy")
def test_parquet_loads_draw_on_the_connections_pool(tmp_path):
    import cupy
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"v": np.arange(2_000_000, dtype=np.int64) % 1000}), path, compression="snappy")
    con = warpdb.connect(device="gpu", memory_limit="1GB")
    con.sql(f"create view t as select * from read_parquet('{path}')")
    default = cupy.get_default_memory_pool().total_bytes()
    numbers = con.preload("t")
    assert numbers["device_decode_s"] > 0  # the loader threads' copies of the file bytes and the decoding buffers
    assert cupy.get_default_memory_pool().total_bytes() == default
    assert con.memory.pool.total_bytes() >= numbers["bytes"] + numbers["bytes_copied"]
    assert con.sql("select sum(v) as s from t").fetchall() == [(sum(range(1000)) * 2000,)]
