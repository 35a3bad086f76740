"""warpdb's own Parquet decoder (warpdb.io.parquet_native): on files pyarrow writes with every codec,
dictionary on and off, data pages v1 and v2, tiny pages (many pages, dictionaries overflowing into
PLAIN pages), several row groups and NULLs, its engine-form output equals the pyarrow path's
exactly and SQL over the files equals DuckDB's answer; the load counters say which path ran;
corrupt chunks give typed errors naming the file, never a crash."""
from __future__ import annotations

import decimal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import warpdb
from warpdb.engine import types as T
from warpdb.engine.column import host_parts
from warpdb.errors import ExecutionError
from warpdb.io import parquet_native, parquet_pages
from warpdb.io.cache import Block
from warpdb.io.transfer import HostLane
from warpdb.oracle import compare_tables

N = 3000


def _table(nulls: bool) -> pa.Table:
    rng = np.random.default_rng(7)

    def maybe(values, t):
        mask = rng.random(N) < 0.2 if nulls else None
        return pa.array(values, t, mask=mask)

    words = np.array(["", "a", "ünïcødé", "longer text value", "x" * 40, "日本語"], object)
    many = np.array([f"s{i % 1700}" for i in range(N)], object)
    return pa.table({
        "i32": maybe(rng.integers(-2**31, 2**31 - 1, N, dtype=np.int32), pa.int32()),
        "i64": maybe(rng.integers(-2**62, 2**62, N), pa.int64()),
        "few": maybe(rng.integers(0, 5, N), pa.int64()),
        "d": maybe(rng.integers(-3000, 30000, N, dtype=np.int32), pa.int32()).cast(pa.date32()),
        "dec9": maybe([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(-10**8, 10**8, N)],
                      pa.decimal128(9, 2)),
        "dec15": maybe([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(-10**14, 10**14, N)],
                       pa.decimal128(15, 2)),
        "dec38": maybe([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(-10**14, 10**14, N)],
                       pa.decimal128(38, 2)),
        "f64": maybe(rng.normal(size=N), pa.float64()),
        "f32": maybe(rng.normal(size=N).astype(np.float32), pa.float32()),
        "s_few": maybe(words[rng.integers(0, len(words), N)], pa.string()),
        "s_many": maybe(many, pa.string()),
        "b": maybe(rng.random(N) < 0.5, pa.bool_()),
    })


WRITES = [
    dict(compression="none"),
    dict(compression="snappy", data_page_version="2.0"),
    dict(compression="zstd", data_page_size=512, dictionary_pagesize_limit=256),
    dict(compression="gzip", use_dictionary=False),
    dict(compression="lz4", use_dictionary=["s_few", "s_many", "i64"], data_page_version="2.0", data_page_size=700),
    dict(compression="brotli", data_page_size=300, data_page_version="2.0", dictionary_pagesize_limit=2000),
    dict(compression="snappy", data_page_size=200, dictionary_pagesize_limit=64),
]


def _write(path, nulls: bool, options: dict) -> pa.Table:
    table = _table(nulls)
    if not nulls:
        table = table.cast(pa.schema([f.with_nullable(False) for f in table.schema]))
    pq.write_table(table, path, row_group_size=1100, store_decimal_as_integer=True, **options)
    return table


def _native(path) -> dict:
    """{name: (values, validity, [string dictionary per row group] or None)} by the native
    decoder, for the columns it takes."""
    meta = pq.read_metadata(path)
    schema = meta.schema.to_arrow_schema()
    pieces, start = [], 0
    for g in range(meta.num_row_groups):
        pieces.append((g, start, meta.row_group(g).num_rows))
        start += meta.row_group(g).num_rows
    out = {}
    for j, f in enumerate(schema):
        dtype = T.from_arrow(f.type)
        block = Block(np.full(start, 99, T.device_dtype(dtype)), np.zeros(start, bool))
        found, _ = parquet_native.decode_run(lambda _, fn: fn(), str(path), meta, [(f.name, j, f.type, dtype, block)],
                                             pieces, HostLane())
        if f.name in found:
            out[f.name] = (block.data, block.valid, found[f.name], [p[1:] for p in pieces])
    return out


@pytest.mark.parametrize("nulls", [False, True], ids=["required", "nullable"])
@pytest.mark.parametrize("options", WRITES, ids=[str(sorted(w.items())) for w in WRITES])
def test_native_decoding_equals_the_pyarrow_path(tmp_path, nulls, options):
    path = tmp_path / "t.parquet"
    table = _write(path, nulls, options)
    native = _native(path)
    assert {"i32", "i64", "few", "d", "dec9", "dec15", "f64", "f32"} <= set(native)
    dictionary = options.get("use_dictionary") is not False and options.get("dictionary_pagesize_limit", 1 << 20) >= 256
    assert ("s_few" in native) == dictionary  # strings in PLAIN pages go to pyarrow
    assert not {"dec38", "b"} & set(native)
    strings = [f.name for f in table.schema if pa.types.is_string(f.type)]
    read = pq.read_table(path, read_dictionary=strings)
    for name, (values, valid, dicts, pieces) in native.items():
        dtype = T.from_arrow(table.schema.field(name).type)
        if dtype.kind is T.Kind.VARCHAR:
            for (start, rows), dictionary in zip(pieces, dicts):
                codes, flags = values[start : start + rows], valid[start : start + rows]
                want = read.column(name).slice(start, rows).combine_chunks()
                assert dictionary.take(pa.array(codes, mask=~flags)).equals(want.cast(pa.string())), name
                assert (codes[~flags] == 0).all()
            continue
        want, want_valid, _ = host_parts(read.column(name), dtype, True)
        assert np.array_equal(values, want), name
        assert np.array_equal(valid, np.ones(len(values), bool) if want_valid is None else want_valid), name


@pytest.mark.parametrize("nulls", [False, True], ids=["required", "nullable"])
@pytest.mark.parametrize("options", WRITES[1:4], ids=["v2-snappy", "tiny-pages-zstd", "plain-gzip"])
def test_sql_over_natively_decoded_files_equals_duckdb(tmp_path, nulls, options):
    path = tmp_path / "t.parquet"
    _write(path, nulls, options)
    con = warpdb.connect(device="cpu")
    con.sql(f"create view t as select * from read_parquet('{path}')")
    dcon = duckdb.connect()
    dcon.sql(f"create view t as select * from read_parquet('{path}')")
    for sql in ("select * from t",
                "select s_few, count(*), sum(i64), sum(dec15), min(d), max(f64), sum(i32) from t group by 1 order by 1",
                "select s_many, sum(dec9) from t where few = 3 and b group by 1 order by 1 limit 20"):
        got = con.sql(sql)
        assert compare_tables(got.arrow(), dcon.sql(sql).to_arrow_table(), ordered="order by" in sql) is None, sql
    assert _numbers(con, "select i32, dec38, b from t")[1:] == (0, 0)  # served from the cache
    con.cache.clear()
    _, native, fallback = _numbers(con, "select i32, dec38, b, i64 from t")
    groups = pq.read_metadata(path).num_row_groups
    assert native == 2 * groups and fallback == 2 * groups


def _numbers(con, sql: str) -> tuple:
    """(result, chunks decoded natively, chunks through pyarrow) of a query's one scan."""
    result = con.sql(sql)
    table = result.arrow()
    stats = result.scan_stats[0]
    return table, stats["chunks_native"], stats["chunks_pyarrow"]


def test_tpch_lineitem_decodes_natively():
    from tpch.datagen import ensure_data

    con = warpdb.connect(device="cpu")
    con.sql(f"create view lineitem as select * from read_parquet('{ensure_data(0.01) / 'lineitem.parquet'}')")
    numbers = con.preload("lineitem", columns=["l_orderkey", "l_extendedprice", "l_shipdate", "l_returnflag"])
    assert numbers["chunks_native"] == 4 and numbers["chunks_pyarrow"] == 0
    assert _numbers(con, "select sum(l_tax) from lineitem")[1] == 1
    con.cache.clear()
    text = con.sql("explain analyze select sum(l_discount) from lineitem").fetchall()[0][0]
    assert "column chunks decoded: 1 native, 0 pyarrow" in text


def _chunk_bytes(path, column: int) -> tuple[int, int]:
    chunk = pq.read_metadata(path).row_group(0).column(column)
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    return start, chunk.total_compressed_size


def _fails_cleanly(path, sql: str) -> None:
    """`sql` over the file gives its answer or a typed error naming the file; the connection works on."""
    con = warpdb.connect(device="cpu")
    con.sql(f"create view t as select * from read_parquet('{path}')")
    try:
        con.sql(sql).arrow()
    except ExecutionError as e:
        assert str(path) in str(e)
    assert con.sql("select 1 + 1").fetchall() == [(2,)]


def test_corrupt_page_headers_and_bodies_are_typed_errors(tmp_path):
    good = tmp_path / "good.parquet"
    _write(good, True, dict(compression="snappy", data_page_size=400))
    raw = good.read_bytes()
    rng = np.random.default_rng(3)
    for column in (0, 1, 9):
        start, size = _chunk_bytes(good, column)
        name = _table(False).schema.names[column]
        broken = bytearray(raw)
        broken[start] = 0  # a page header with no fields
        (tmp_path / "zero.parquet").write_bytes(bytes(broken))
        with pytest.raises(ExecutionError, match="zero.parquet"):
            warpdb.connect(device="cpu").sql(f"select {name} from read_parquet('{tmp_path / 'zero.parquet'}')").arrow()
        for trial in range(25):
            broken = bytearray(raw)
            where = rng.integers(start, start + (40 if trial % 2 else size), 3)
            for w in where:
                broken[w] = rng.integers(0, 256)
            path = tmp_path / f"flip{column}_{trial}.parquet"
            path.write_bytes(bytes(broken))
            _fails_cleanly(path, f"select {name}, count(*) from t group by 1")


def test_truncated_chunks_never_read_past_their_bytes():
    table = pa.table({"x": pa.array(np.arange(5000) % 300, pa.int64()), "s": [f"v{i % 50}" for i in range(5000)]})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, data_page_size=1000, data_page_version="2.0", compression="none")
    buf = sink.getvalue()
    meta = pq.read_metadata(pa.BufferReader(buf))
    for column in range(2):
        chunk = meta.row_group(0).column(column)
        whole = np.frombuffer(buf, np.uint8)[chunk.dictionary_page_offset:][: chunk.total_compressed_size]
        for cut in range(0, len(whole), 7):
            pages = np.empty((256, parquet_pages.FIELDS), np.int64)
            count, pos, err = parquet_pages.parse_pages(np.array(whole[:cut]), 0, 5000, pages)
            assert err < 0 or pos == cut
            ends = pages[:count, parquet_pages.DATA] + pages[:count, parquet_pages.COMPRESSED]
            assert (ends <= cut).all()
        dest, valid = np.zeros(5000, np.int64), np.zeros(5000, bool)
        for cut in range(0, 200, 3):
            body = np.array(whole[:cut])
            dictionary = np.arange(10, dtype=np.int64)
            code = parquet_pages.decode_page(body, 0, len(body), True, body, 0, len(body), 5000,
                                             parquet_pages.MODE_GATHER, 8, dictionary, 10, dest, valid)
            assert code < 0


def test_invalid_utf8_in_a_dictionary_is_a_typed_error(tmp_path):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"s": ["abcdefgh", "QWERTYUI"] * 50}), path, compression="none", write_statistics=False)
    raw = path.read_bytes().replace(b"QWERTYUI", b"\xff\xfe\xfd\xfc\xff\xfe\xfd\xfc")
    path.write_bytes(raw)
    con = warpdb.connect(device="cpu")
    with pytest.raises(ExecutionError, match="bad.parquet"):
        con.sql(f"select s, count(*) from read_parquet('{path}') group by 1").arrow()
    assert con.sql("select 1 + 1").fetchall() == [(2,)]


def test_plan_leaves_other_types_to_pyarrow(tmp_path):
    path = tmp_path / "t.parquet"
    table = pa.table({"b": [True, False], "flba": pa.array([decimal.Decimal("1.5")] * 2, pa.decimal128(25, 1)),
                      "ts": pa.array([1, 2], pa.timestamp("ms")), "i8": pa.array([1, 2], pa.int8()),
                      "i": pa.array([1, 2], pa.int64())})
    pq.write_table(table, path)
    meta = pq.read_metadata(path)
    schema = meta.schema.to_arrow_schema()
    plans = {f.name: parquet_native.plan(meta, j, f.type, f.type, T.from_arrow(f.type)) for j, f in enumerate(schema)}
    assert [k for k, v in plans.items() if v is not None] == ["i"]
    assert parquet_native.plan(meta, 4, pa.int64(), pa.int32(), T.INT32) is None  # a cast
    pq.write_table(pa.table({"nested": [[1], [2, 3]]}), tmp_path / "nested.parquet")
    nested = pq.read_metadata(tmp_path / "nested.parquet")
    assert parquet_native.plan(nested, 0, pa.int64(), pa.int64(), T.INT64) is None
    con = warpdb.connect(device="cpu")
    con.sql(f"create view t as select * from read_parquet('{path}')")
    table, native, fallback = _numbers(con, "select b, flba, i from t")
    assert table.column("i").to_pylist() == [1, 2] and (native, fallback) == (1, 2)
