"""Parquet row-group pruning: TPC-H Q6 over lineitem sorted by l_shipdate reads only some row groups
and answers as DuckDB does; random predicates over random data (NULLs, NaN, strings, dates,
decimals, empty row groups, files without statistics) never lose a matching row."""
from __future__ import annotations

import datetime
import decimal
import random

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import warpdb
from tests.io_fixtures import plain
from tpch.datagen import ensure_data
from tpch.queryset import query_text
from warpdb.oracle import compare_tables


@pytest.fixture(scope="module")
def sorted_lineitem(tmp_path_factory):
    """SF 0.01 lineitem sorted by l_shipdate, in row groups of 2000 rows."""
    path = tmp_path_factory.mktemp("pruning") / "lineitem.parquet"
    table = plain(pq.read_table(ensure_data(0.01) / "lineitem.parquet")).sort_by("l_shipdate")
    pq.write_table(table, path, row_group_size=2000)
    return path


def test_q6_reads_fewer_row_groups_and_matches_duckdb(sorted_lineitem):
    con = warpdb.connect(device="cpu")
    con.sql(f"create view lineitem as select * from read_parquet('{sorted_lineitem}')")
    result = con.sql(query_text(6))
    got = result.arrow()
    dcon = duckdb.connect()
    dcon.sql(f"create view lineitem as select * from read_parquet('{sorted_lineitem}')")
    assert compare_tables(got, dcon.sql(query_text(6)).to_arrow_table(), ordered=True) is None
    (scan,) = result.scan_stats
    total = pq.read_metadata(sorted_lineitem).num_row_groups
    assert scan["row_groups_total"] == total > 10
    assert 0 < scan["row_groups_read"] < total
    assert 0 < scan["bytes_read"] < sorted_lineitem.stat().st_size
    text = con.sql("explain analyze " + query_text(6)).fetchall()[0][0]
    assert f"row groups {scan['row_groups_read']}/{total}" in text


def test_scan_reads_only_its_columns(sorted_lineitem):
    con = warpdb.connect(device="cpu")
    result = con.sql(f"select sum(l_quantity) from read_parquet('{sorted_lineitem}')")
    result.arrow()
    (scan,) = result.scan_stats
    meta = pq.read_metadata(sorted_lineitem)
    j = meta.schema.names.index("l_quantity")
    one_column = sum(meta.row_group(g).column(j).total_compressed_size for g in range(meta.num_row_groups))
    assert scan["row_groups_read"] == scan["row_groups_total"] and scan["bytes_read"] == one_column


def _random_table(rng: random.Random, n: int) -> pa.Table:
    """Mostly ascending values (so that statistics prune), with NULLs and NaN sprinkled in."""
    def maybe(v):
        return None if rng.random() < 0.1 else v

    base = sorted(rng.randint(-50, 50) for _ in range(n))
    words = ["", "a", "ab", "b", "ba", "c", "é", "z", "zz", "ß"]
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "i": pa.array([maybe(v) for v in base], pa.int32()),
        "f": pa.array([maybe(float("nan") if rng.random() < 0.1 else v / 3) for v in base], pa.float64()),
        "s": pa.array([maybe(sorted(words)[min(9, max(0, (v + 50) // 10))]) for v in base], pa.string()),
        "d": pa.array([maybe(datetime.date(2000, 1, 1) + datetime.timedelta(days=v)) for v in base], pa.date32()),
        "m": pa.array([maybe(decimal.Decimal(v) / 4) for v in base], pa.decimal128(9, 2)),
    })


def _write(table: pa.Table, path, statistics: bool) -> None:
    """Row groups of random sizes, some empty."""
    rng = np.random.default_rng(len(table))
    with pq.ParquetWriter(path, table.schema, write_statistics=statistics) as w:
        start = 0
        while start < len(table):
            size = int(rng.integers(0, 40))
            w.write_batch(table.slice(start, size).to_batches(max_chunksize=max(size, 1))[0]
                          if size else pa.RecordBatch.from_pylist([], schema=table.schema))
            start += size


def _literal(rng: random.Random, column: str) -> str:
    v = rng.randint(-60, 60)
    return {"i": str(v), "f": f"{v / 3:.3f}", "m": f"{v / 4:.2f}",
            "s": "'" + rng.choice(["", "a", "ab", "b", "bb", "c", "d", "é", "z", "zzz", "ß"]) + "'",
            "d": f"DATE '{datetime.date(2000, 1, 1) + datetime.timedelta(days=v)}'"}[column]


def _predicate(rng: random.Random) -> str:
    c = rng.choice("ifsdm")
    shape = rng.randrange(5)
    if shape == 0:
        return f"{c} {rng.choice(['=', '<>', '<', '<=', '>', '>='])} {_literal(rng, c)}"
    if shape == 1:
        return f"{_literal(rng, c)} {rng.choice(['=', '<', '>='])} {c}"
    if shape == 2:
        a, b = sorted([_literal(rng, c), _literal(rng, c)]) if c != "d" else (_literal(rng, c), _literal(rng, c))
        return f"{c} between {a} and {b}"
    if shape == 3:
        return f"{c} in ({', '.join(_literal(rng, c) for _ in range(rng.randint(1, 3)))})"
    return f"({_predicate(rng)} or {_predicate(rng)})"


@pytest.mark.parametrize("statistics", [True, False])
def test_random_predicates_never_lose_rows(tmp_path, statistics):
    """DuckDB answers from the table in memory: its own Parquet reader skips row groups holding NaN
    that `f >= x` matches (NaN is larger than every number), as of DuckDB 2.0.1."""
    rng = random.Random(7 + statistics)
    path = tmp_path / "r.parquet"
    table = _random_table(rng, 600)
    _write(table, path, statistics)
    con = warpdb.connect(device="cpu")
    dcon = duckdb.connect()
    dcon.register("t", table)
    meta = pq.read_metadata(path)
    empty = sum(meta.row_group(g).num_rows == 0 for g in range(meta.num_row_groups))
    assert empty > 0
    pruned = 0
    for _ in range(120):
        where = " and ".join(_predicate(rng) for _ in range(rng.randint(1, 3)))
        result = con.sql(f"select id from read_parquet('{path}') where {where}")
        got = result.arrow()
        want = dcon.sql(f"select id from t where {where}").to_arrow_table()
        assert compare_tables(got, want, ordered=False) is None, where
        (scan,) = result.scan_stats
        pruned += scan["row_groups_total"] - scan["row_groups_read"] - empty
    assert (pruned > 0) == statistics
