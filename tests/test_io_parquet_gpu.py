"""Parquet pages decoded on the GPU (warpdb.io.parquet_gpu, kernels/parquet_decode): on random
tables pyarrow writes with dictionary pages on and off, data pages v1 and v2, tiny pages
(dictionaries overflowing into PLAIN pages), Snappy and uncompressed, required and optional
columns, with and without NULLs, the GPU connection's answers equal the CPU backend's (pyarrow's
decoding) and DuckDB's, and the load counters show the device decoded; a chunk it does not take
(other codecs, NULLs, strings in PLAIN pages) goes to pyarrow; malformed pages give a typed error
naming the file, and the connection keeps working."""
from __future__ import annotations

import decimal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import warpdb
from tests.io_fixtures import PARQUET_WRITES as WRITES
from warpdb.errors import ExecutionError
from warpdb.io import parquet_headers as H
from warpdb.kernels.backend import gpu_available
from warpdb.oracle import compare_tables

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU with CuPy")]

N = 5000


def _table(seed: int, nulls: bool) -> pa.Table:
    rng = np.random.default_rng(seed)

    def maybe(values, t):
        return pa.array(values, t, mask=(rng.random(N) < 0.1) if nulls else None)

    words = np.array(["", "a", "ünïcødé", "longer text value", "x" * 40, "日本語"], object)
    skewed = np.minimum(rng.zipf(1.3, N), 1 << 40).astype(np.int64)
    return pa.table({
        "i32": maybe(rng.integers(-2**31, 2**31 - 1, N, dtype=np.int32), pa.int32()),
        "i64": maybe(rng.integers(-2**62, 2**62, N), pa.int64()),
        "few": maybe(rng.integers(0, 5, N), pa.int64()),
        "skewed": maybe(skewed, pa.int64()),
        "d": maybe(rng.integers(-3000, 30000, N, dtype=np.int32), pa.int32()).cast(pa.date32()),
        "dec9": maybe([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(-10**8, 10**8, N)], pa.decimal128(9, 2)),
        "dec15": maybe([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(-10**14, 10**14, N)],
                       pa.decimal128(15, 2)),
        "f64": maybe(rng.normal(size=N), pa.float64()),
        "f32": maybe(rng.normal(size=N).astype(np.float32), pa.float32()),
        "s_few": maybe(words[rng.integers(0, len(words), N)], pa.string()),
        "s_many": maybe(np.array([f"s{i}" for i in rng.integers(0, 1700, N)], object), pa.string()),
    })




def _answers_equal(path, expect_device: bool) -> None:
    sql = "select * from t"
    view = f"create view t as select * from read_parquet('{path}')"
    gpu, cpu = warpdb.connect(device="gpu"), warpdb.connect(device="cpu")
    for con in (gpu, cpu):
        con.sql(view)
    numbers = gpu.preload("t")
    assert (numbers["device_decode_s"] > 0) == expect_device, numbers
    got = gpu.sql(sql).arrow()
    assert compare_tables(got, cpu.sql(sql).arrow(), ordered=False) is None
    oracle = duckdb.connect()
    assert compare_tables(got, oracle.sql(f"select * from read_parquet('{path}')").to_arrow_table(),
                          ordered=False) is None
    for column in ("few", "s_few", "d"):
        grouped = f"select {column}, count(*) as n, sum(dec15) as s from t group by {column} order by {column}"
        assert compare_tables(gpu.sql(grouped).arrow(), cpu.sql(grouped).arrow(), ordered=True) is None


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("nulls", ["required", "optional", "nulls"])
@pytest.mark.parametrize("options", WRITES, ids=[str(sorted(w.items())) for w in WRITES])
def test_pages_decoded_on_the_gpu_answer_as_pyarrow_and_duckdb(tmp_path, seed, nulls, options):
    table = _table(seed, nulls == "nulls")
    if nulls == "required":
        table = table.cast(pa.schema([f.with_nullable(False) for f in table.schema]))
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=1700, store_decimal_as_integer=True, **options)
    _answers_equal(path, expect_device=options["compression"] != "zstd" and nulls != "nulls")


def test_tpch_lineitem_decodes_on_the_gpu():
    from tpch.datagen import ensure_data

    path = ensure_data(0.01) / "lineitem.parquet"
    con, cpu = warpdb.connect(device="gpu"), warpdb.connect(device="cpu")
    for c in (con, cpu):
        c.sql(f"create view lineitem as select * from read_parquet('{path}')")
    numbers = con.preload("lineitem")
    assert numbers["device_decode_s"] > 0
    sql = "select * from lineitem order by l_orderkey, l_linenumber"
    assert compare_tables(con.sql(sql).arrow(), cpu.sql(sql).arrow(), ordered=True) is None


def _first_data_page(path, column: int) -> int:
    """The file offset of the first data page's data of a column's first chunk."""
    chunk = pq.read_metadata(path).row_group(0).column(column)
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    raw = np.fromfile(path, np.uint8, count=chunk.total_compressed_size, offset=start)
    out = np.empty((16, H.FIELDS), np.int64)
    n, _, err = H.parse_pages(raw, 0, out)
    assert err == 0
    page = next(r for r in out[:n] if r[H.TYPE] == H.DATA_PAGE)
    return start + int(page[H.DATA])


def test_malformed_pages_give_a_typed_error_naming_the_file(tmp_path):
    good, bad = tmp_path / "good.parquet", tmp_path / "bad.parquet"
    table = _table(3, False)
    pq.write_table(table, good, row_group_size=1700, compression="snappy")
    pq.write_table(table, bad, row_group_size=1700, compression="snappy")
    at = _first_data_page(bad, table.schema.get_field_index("f64"))
    data = bytearray(bad.read_bytes())
    data[at : at + 3] = b"\xff\xff\x7f"  # the Snappy preamble: a length the page does not have
    bad.write_bytes(bytes(data))
    con = warpdb.connect(device="gpu")
    with pytest.raises(ExecutionError, match="bad.parquet.*Snappy"):
        con.sql(f"select sum(f64) from read_parquet('{bad}')").arrow()
    got = con.sql(f"select count(*) as n, sum(i64) as s from read_parquet('{good}')").arrow()
    want = duckdb.sql(f"select count(*) as n, sum(i64) as s from read_parquet('{good}')").to_arrow_table()
    assert compare_tables(got, want, ordered=True) is None
