"""The Arrow IPC fast path: fixed-width columns of local uncompressed IPC files go to the backend as
file bytes and give DuckDB's answers and the normal path's columns; compressed files, streams read
over fsspec and other types take the normal path."""
from __future__ import annotations

import datetime
import decimal

import duckdb
import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

import warpdb
from warpdb.engine import types as T
from warpdb.engine.column import from_arrow, to_arrow
from warpdb.oracle import compare_tables


def _table(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    nulls = rng.random(n) < 0.1
    base = rng.integers(-10**6, 10**6, n)
    return pa.table({
        "i8": pa.array((base % 100).astype(np.int8)),
        "i16": pa.array((base % 30000).astype(np.int16), mask=nulls),
        "i32": pa.array(base.astype(np.int32)),
        "i64": pa.array(base * 10**9, mask=nulls),
        "f32": pa.array((base / 7).astype(np.float32)),
        "f64": pa.array(base / 3, mask=nulls),
        "d": pa.array(base.astype(np.int32) % 20000, pa.int32()).cast(pa.date32()),
        "ts": pa.array(base * 10**6, pa.timestamp("us"), mask=nulls),
        "m": pa.array([None if z else decimal.Decimal(int(v)) / 100 for v, z in zip(base, nulls)], pa.decimal128(12, 2)),
        "wide": pa.array([decimal.Decimal(int(v)) / 1000 for v in base], pa.decimal128(30, 3)),
        "u32": pa.array(np.abs(base).astype(np.uint32)),
        "b": pa.array(base % 3 == 0, mask=nulls),
        "s": pa.array([f"s{v % 13}" for v in base]),
    })


def _write(table: pa.Table, path, compression=None, stream=False, chunk=700) -> None:
    opts = ipc.IpcWriteOptions(compression=compression)
    open_ = ipc.new_stream if stream else ipc.new_file
    with pa.OSFile(str(path), "wb") as sink, open_(sink, table.schema, options=opts) as w:
        for batch in table.to_batches(max_chunksize=chunk):
            w.write_batch(batch)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("ipc")
    table = pa.concat_tables([_table(2000, 1), _table(1500, 2)])
    _write(table, root / "plain.arrow")
    _write(table, root / "zstd.arrow", compression="zstd")
    _write(table, root / "plain.arrows", stream=True)
    dcon = duckdb.connect()
    dcon.register("t", table)
    return root, table, dcon


SQL = [
    "select count(*), sum(i8), sum(i16), sum(i32), sum(i64), sum(m), min(d), max(ts), sum(wide), max(u32) from {t}",
    "select d, count(*), sum(m), avg(f64), min(f32), count(b), max(s) from {t} where i32 > 0 group by d "
    "order by d limit 30",
    "select i16, i64, m, ts from {t} where m is null or i16 < -20000 order by i32, i64 nulls first",
]


@pytest.mark.parametrize("name, raw", [("plain.arrow", True), ("zstd.arrow", False), ("plain.arrows", True)])
@pytest.mark.parametrize("sql", SQL)
def test_ipc_answers_match_duckdb(files, name, raw, sql):
    root, _, dcon = files
    con = warpdb.connect(device="cpu")
    got = con.sql(sql.format(t=f"read_arrow('{root / name}')")).arrow()
    assert compare_tables(got, dcon.sql(sql.format(t="t")).to_arrow_table(), ordered="order by" in sql) is None
    (entry,) = con.catalog.file_sources.values()
    assert (entry.source.raw_bytes > 0) == raw


def test_raw_columns_equal_the_normal_conversion(files):
    root, table, _ = files
    con = warpdb.connect(device="cpu")
    con.sql(f"select * from read_arrow('{root / 'plain.arrow'}')")
    (entry,) = con.catalog.file_sources.values()
    sent = 0
    for name in table.column_names:
        dtype = T.from_arrow(table.schema.field(name).type)
        col = entry.column(name, np)
        want = from_arrow(np, table.column(name), dtype)
        assert to_arrow(np, col, np.asarray).equals(to_arrow(np, want, np.asarray)), name
        assert np.array_equal(col.data, want.data), name
        assert (col.valid is None) == (want.valid is None), name
        if name in ("i8", "i16", "i32", "i64", "f32", "f64", "d", "ts"):
            sent += table.num_rows * T.device_dtype(dtype).itemsize
    assert entry.source.raw_bytes == sent + table.num_rows * 16
    assert con.cache_stats()["bytes_copied_to_device"] >= entry.source.raw_bytes


def test_decimal_beyond_64_bits_in_an_ipc_file_is_an_error(tmp_path):
    words = np.array([5, 0, 1, 1], np.int64)
    arr = pa.Array.from_buffers(pa.decimal128(12, 2), 2, [None, pa.py_buffer(words)])
    _write(pa.table({"m": arr}), tmp_path / "bad.arrow")
    con = warpdb.connect(device="cpu")
    with pytest.raises(warpdb.ExecutionError, match="18 digits"):
        con.sql(f"select sum(m) from read_arrow('{tmp_path / 'bad.arrow'}')").arrow()


def test_ipc_over_fsspec_takes_the_normal_path(files):
    _, table, _ = files
    fs = fsspec.filesystem("memory")
    with fs.open("/ipc/t.arrow", "wb") as f, ipc.new_file(f, table.schema) as w:
        w.write_table(table)
    con = warpdb.connect(device="cpu")
    got = con.sql("select sum(i64), max(d) from read_arrow('memory://ipc/t.arrow')").fetchall()
    assert got == [(pa.compute.sum(table.column("i64")).as_py(), datetime.date.fromordinal(
        max(table.column("d").to_pylist()).toordinal()))]
    (entry,) = con.catalog.file_sources.values()
    assert entry.source.raw_bytes == 0
