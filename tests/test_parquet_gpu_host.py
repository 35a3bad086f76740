"""The GPU Parquet decoder on a machine without a GPU: its host half (warpdb.io.parquet_gpu: pread,
page headers, page tables, string dictionaries, which chunks it leaves to pyarrow) runs as it is,
and its CUDA kernels (kernels/parquet_decode) run compiled as C++ with every warp emulated by 32
threads (tests/warp_emulation.py). Their output equals pyarrow's decoding in the engine's form on
files pyarrow and tpchgen-cli write; truncated and corrupted chunks give typed errors or error
words, never a crash."""
from __future__ import annotations

import decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests import warp_emulation as W
from tests.io_fixtures import PARQUET_WRITES as WRITES
from warpdb.engine import types as T
from warpdb.engine.column import host_parts
from warpdb.io import parquet_gpu as G

pytestmark = pytest.mark.skipif(not W.available(), reason="needs g++ to build the warp emulation")

N = 3000


def _table(seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    words = np.array(["", "a", "ünïcødé", "longer text value", "x" * 40, "日本語"], object)
    return pa.table({
        "i32": pa.array(rng.integers(-2**31, 2**31 - 1, N, dtype=np.int32)),
        "i64": pa.array(rng.integers(-2**62, 2**62, N)),
        "few": pa.array(rng.integers(0, 5, N)),
        "keys": pa.array(np.sort(rng.integers(0, 200_000, N))),
        "d": pa.array(rng.integers(-3000, 30000, N, dtype=np.int32)).cast(pa.date32()),
        "dec9": pa.array([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(-10**8, 10**8, N)],
                         pa.decimal128(9, 2)),
        "dec15": pa.array([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(0, 10**7, N)],
                          pa.decimal128(15, 2)),
        "f64": pa.array(rng.normal(size=N)),
        "f32": pa.array(rng.normal(size=N).astype(np.float32)),
        "s_few": pa.array(words[rng.integers(0, len(words), N)]),
        "s_many": pa.array([f"s{i}" for i in rng.integers(0, 1700, N)]),
    })




def _decode(path, columns=None, capacity: int = 1 << 14) -> tuple[dict, np.ndarray]:
    """{name: (engine-form values, [(start, rows, dictionary or None or FALLBACK)], dtype)} of the
    file's columns as the GPU path decodes them (the kernels emulated), and the pages' error words."""
    meta = pq.read_metadata(path)
    schema = meta.schema.to_arrow_schema()
    lane, out = W.Lane(capacity), {}
    decoder = G.PageDecoder(str(path), lane)
    try:
        for j, field in enumerate(schema):
            if columns is not None and field.name not in columns:
                continue
            dtype = T.from_arrow(field.type)
            plan = G.plan(meta, j, field.type, field.type, dtype)
            assert plan is not None, field.name
            values = np.full(meta.num_rows, 99, T.device_dtype(dtype)).view(W.DeviceArray)
            chunks, start = [], 0
            for g in range(meta.num_row_groups):
                chunk, rows = meta.row_group(g).column(j), meta.row_group(g).num_rows
                if G.takes(chunk, plan):
                    chunks.append((chunk, start, rows))
                start += rows
            found = decoder.add(chunks, plan, values)
            out[field.name] = (values, [(s, r, f) for (_, s, r), f in zip(chunks, found)], dtype)
    finally:
        decoder.close()
    return out, W.decode(lane)


def _check(path, decoded: dict) -> None:
    table = pq.read_table(path)
    for name, (values, chunks, dtype) in decoded.items():
        column = table.column(name)
        for start, rows, found in chunks:
            if found is G.FALLBACK:
                continue
            got = np.asarray(values)[start : start + rows]
            if dtype.kind is T.Kind.VARCHAR:
                want = column.slice(start, rows).combine_chunks().cast(pa.string())
                assert found.take(pa.array(got)).equals(want), name
            else:
                want, _, _ = host_parts(column.slice(start, rows), dtype, True)
                assert np.array_equal(got, want), name


@pytest.mark.parametrize("required", [True, False], ids=["required", "optional"])
@pytest.mark.parametrize("options", WRITES, ids=[str(sorted(w.items())) for w in WRITES])
def test_emulated_decoding_equals_pyarrow(tmp_path, required, options):
    table = _table(1)
    if required:
        table = table.cast(pa.schema([f.with_nullable(False) for f in table.schema]))
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=1100, store_decimal_as_integer=True, **options)
    decoded, errors = _decode(path)
    assert not errors.any()
    _check(path, decoded)
    fallen = {name for name, (_, chunks, _) in decoded.items() for *_, f in chunks if f is G.FALLBACK}
    assert fallen <= {"s_few", "s_many"}  # strings in PLAIN pages (a dictionary off or overflowing) go to pyarrow
    if options.get("use_dictionary") is False:
        assert fallen == {"s_few", "s_many"}
    elif "dictionary_pagesize_limit" not in options:
        assert not fallen


def test_emulated_decoding_of_tpchgen_lineitem():
    from tpch.datagen import ensure_data

    path = ensure_data(0.01) / "lineitem.parquet"
    decoded, errors = _decode(path, capacity=16 << 20)
    assert not errors.any()
    _check(path, decoded)
    used = [n for n in decoded if n != "l_comment"]
    assert all(f is not G.FALLBACK for n in used for *_, f in decoded[n][1])


def test_what_the_gpu_path_leaves_to_pyarrow(tmp_path):
    table = pa.table({"x": pa.array([1, None, 3] * 100), "s": pa.array(["a", "b", "c"] * 100)})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, compression="zstd")
    meta = pq.read_metadata(path)
    plans = [G.plan(meta, j, f.type, f.type, T.from_arrow(f.type)) for j, f in enumerate(table.schema)]
    assert not any(G.takes(meta.row_group(0).column(j), p) for j, p in enumerate(plans))  # zstd
    pq.write_table(table, path, compression="snappy")
    meta = pq.read_metadata(path)
    assert not G.takes(meta.row_group(0).column(0), plans[0])  # NULLs
    assert G.takes(meta.row_group(0).column(1), plans[1])
    assert G.plan(meta, 0, pa.int64(), pa.int32(), T.from_arrow(pa.int32())) is None  # a cast


def test_truncated_file_gives_a_typed_error(tmp_path):
    path, cut = tmp_path / "t.parquet", tmp_path / "cut.parquet"
    pq.write_table(_table(2), path, row_group_size=1100, compression="snappy")
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    meta = pq.read_metadata(path)
    j = meta.schema.to_arrow_schema().get_field_index("f64")
    chunks = [(meta.row_group(g).column(j), 0, meta.row_group(g).num_rows) for g in range(meta.num_row_groups)]
    decoder = G.PageDecoder(str(cut), W.Lane(1 << 16))
    values = np.zeros(N, np.float64).view(W.DeviceArray)
    plan = G.plan(meta, j, pa.float64(), pa.float64(), T.from_arrow(pa.float64()))
    with pytest.raises(G.CorruptChunk, match="ends inside it"):
        decoder.add(chunks[-1:], plan, values)
    decoder.close()


def test_corrupted_pages_give_error_words_or_typed_errors_never_a_crash(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(_table(3), path, row_group_size=1100, compression="snappy", store_decimal_as_integer=True)
    meta = pq.read_metadata(path)
    clean = path.read_bytes()
    rng = np.random.default_rng(5)
    detected = 0
    for _ in range(40):
        j, g = int(rng.integers(0, meta.num_columns)), int(rng.integers(0, meta.num_row_groups))
        chunk = meta.row_group(g).column(j)
        start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
        at = int(rng.integers(start, start + chunk.total_compressed_size - 2))
        data = bytearray(clean)
        data[at : at + 2] = bytes(rng.integers(0, 256, 2, dtype=np.uint8))
        path.write_bytes(bytes(data))
        try:
            _, errors = _decode(path, columns=[meta.schema.column(j).name])
            detected += bool(errors.any())
        except G.CorruptChunk:
            detected += 1
    assert detected > 0
