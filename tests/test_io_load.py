"""The load pipeline: string chunks on Parquet's dictionaries unified across row groups and files,
decimals read as their low words, NULLs, columns missing from some files, and decoding failures, each
checked against DuckDB or the engine's own conversion."""
from __future__ import annotations

import decimal
import random

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import warpdb
from warpdb.engine import types as T
from warpdb.engine.column import from_arrow, host_parts, to_arrow
from warpdb.io import dictionaries
from warpdb.oracle import compare_tables


def _strings(codes, dictionary) -> list:
    return pa.array(dictionary).take(pa.array(np.asarray(codes))).to_pylist()


def test_chunk_codes_keep_parquet_dictionaries_and_nulls():
    arr = pa.array(["b", None, "c", "a", "b", None]).dictionary_encode()
    codes, valid, dictionary = dictionaries.chunk_codes(arr)
    assert dictionary.to_pylist() == ["b", "c", "a"]
    assert valid.tolist() == [True, False, True, True, True, False] and codes[1] == codes[5] == 0
    assert [s if v else None for s, v in zip(_strings(codes, dictionary), valid)] == arr.to_pylist()
    runs = pa.chunked_array([pa.array(["x", "y"]).dictionary_encode(), pa.array(["z", "x"]).dictionary_encode()])
    codes, valid, dictionary = dictionaries.chunk_codes(runs)
    assert valid is None and _strings(codes, dictionary) == ["x", "y", "z", "x"]
    with_null = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int8()), pa.array(["x", None]))
    codes, valid, dictionary = dictionaries.chunk_codes(with_null)
    assert valid.tolist() == [True, False, True] and _strings(codes, dictionary)[0] == "x"
    codes, valid, dictionary = dictionaries.chunk_codes(pa.chunked_array([pa.array(["q", "r", "q"], pa.string_view())]))
    assert _strings(codes, dictionary) == ["q", "r", "q"] and len(dictionary) == 2


def test_unify_remaps_codes_onto_one_sorted_dictionary():
    d1, d2, empty = pa.array(["b", "a"]), pa.array(["c", "b"]), pa.array([], pa.string())
    codes = np.array([1, 0, 0, 1, 1, 0, 0, 0], np.int32)
    valid = np.array([True, True, True, False, True, True, False, False])
    chunks = [(0, 2, d1, False), (2, 0, d2, False), (2, 3, d2, False), (5, 1, d1, False), (6, 2, empty, True)]
    dictionary, ordered = dictionaries.unify(np, codes, valid, chunks)
    assert ordered and dictionary.to_pylist() == ["a", "b", "c"]
    assert _strings(codes[:6], dictionary) == ["a", "b", "c", "a", "b", "b"]
    assert codes[3] == codes[6] == codes[7] == 0
    same = np.array([0, 1, 1], np.int32)
    dictionary, ordered = dictionaries.unify(np, same, None, [(0, 1, d1, False), (1, 2, pa.array(["b", "a"]), False)])
    assert not ordered and dictionary is d1 and same.tolist() == [0, 1, 1]
    assert dictionaries.unify(np, same, None, [(0, 3, pa.array(["a", "b"]), False)])[1]


def test_decimals_read_as_low_words_match_the_checked_conversion():
    values = [decimal.Decimal("-12345.67"), None, decimal.Decimal("0.01"), decimal.Decimal("9999999999999.99")]
    arr = pa.array(values, pa.decimal128(15, 2))
    dtype = T.decimal(15, 2)
    fast, valid, _ = host_parts(arr, dtype, fits=True)
    slow, _, _ = host_parts(arr, dtype)
    assert fast.tolist() == slow.tolist() == [-1234567, 0, 1, 999999999999999] and valid.tolist()[1] is False
    wide = pa.array([decimal.Decimal("1e20")], pa.decimal128(22, 0))
    with pytest.raises(warpdb.ExecutionError, match="18 digits"):
        from_arrow(np, wide, T.decimal(22, 0))


def _random_strings(rng: random.Random, n: int, words: list[str]) -> list:
    return [None if rng.random() < 0.1 else rng.choice(words) for _ in range(n)]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Two Parquet files whose row groups hold different string sets in different orders (one
    column with thousands of distinct values per row group), NULLs, decimals stored as
    INT64 and as fixed-length bytes, and a column only the second file has; DuckDB over the same rows."""
    rng = random.Random(11)
    root = tmp_path_factory.mktemp("mixed")
    tables = []
    for f in range(2):
        n = 9000
        words = [f"w{i}" for i in range(rng.randint(5, 30))]
        cols = {
            "id": pa.array(range(f * n, (f + 1) * n), pa.int64()),
            "s": pa.array(_random_strings(rng, n, words)),
            "many": pa.array([f"m{rng.randint(0, 20000):05d}" for _ in range(n)]),
            "price": pa.array([None if rng.random() < 0.05 else decimal.Decimal(rng.randint(-10**6, 10**6)) / 100
                               for _ in range(n)], pa.decimal128(12, 2)),
            "big": pa.array([decimal.Decimal(rng.randint(-10**9, 10**9)) / 1000 for _ in range(n)],
                            pa.decimal128(24, 3)),
            "d": pa.array(np.arange(n, dtype=np.int32) % 400, pa.int32()).cast(pa.date32()),
        }
        if f == 1:
            cols["extra"] = pa.array([None if i % 7 == 0 else f"e{i % 3}" for i in range(n)])
        table = pa.table(cols)
        pq.write_table(table, root / f"part{f}.parquet", row_group_size=(6000, 1100)[f])
        tables.append(table)
    whole = pa.concat_tables(tables, promote_options="default")
    dcon = duckdb.connect()
    dcon.register("t", whole)
    return root, dcon


QUERIES = [
    "select s, count(*), sum(price), min(many), max(many) from t group by s order by s nulls last",
    "select many, count(*) from t group by many order by count(*) desc, many limit 20",
    "select extra, s, count(*), sum(big) from t group by 1, 2 order by 1 nulls first, 2 nulls first",
    "select count(*) from t a join t b on a.s = b.s and a.id = b.id + 1",
    "select id, s, many, price, big, d, extra from t where s like 'w1%' or many < 'm00100' order by id",
    "select min(s), max(s), count(distinct s), count(distinct many), sum(price), avg(big), max(d) from t",
]


@pytest.mark.parametrize("budget", ["1GB", 60_000])
@pytest.mark.parametrize("sql", QUERIES)
def test_row_groups_with_different_dictionaries_match_duckdb(mixed, sql, budget):
    root, dcon = mixed
    con = warpdb.connect(device="cpu", cache_bytes=budget)
    con.sql(f"create view t as select * from read_parquet('{root}/*.parquet', union_by_name=true)")
    for _ in range(2):
        got = con.sql(sql).arrow()
        assert compare_tables(got, dcon.sql(sql).to_arrow_table(), ordered="order by" in sql) is None


def test_loaded_columns_equal_the_engines_conversion(mixed):
    root, _ = mixed
    con = warpdb.connect(device="cpu")
    sql = f"select * from read_parquet('{root}/part1.parquet')"
    got = con.sql(sql).arrow()
    want = pq.read_table(root / "part1.parquet")
    for name in want.column_names:
        dtype = T.from_arrow(want.schema.field(name).type)
        expected = to_arrow(np, from_arrow(np, want.column(name), dtype), np.asarray)
        assert got.column(name).combine_chunks().equals(expected), name


def test_a_corrupt_row_group_is_a_typed_error_naming_the_file(tmp_path):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"a": np.arange(50_000), "b": np.arange(50_000) * 2}), path, row_group_size=10_000,
                   compression="snappy")
    meta = pq.read_metadata(path)
    chunk = meta.row_group(2).column(0)
    with open(path, "r+b") as f:
        f.seek(chunk.data_page_offset + 40)
        f.write(b"\xff" * 64)
    con = warpdb.connect(device="cpu")
    with pytest.raises(warpdb.ExecutionError, match="bad.parquet"):
        con.sql(f"select sum(a) from read_parquet('{path}')").arrow()
    assert con.sql(f"select sum(b) from read_parquet('{path}')").fetchall() == [(2 * sum(range(50_000)),)]
