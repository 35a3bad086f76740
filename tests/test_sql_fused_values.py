"""Projected integer and decimal expressions over NULL-free columns: the shape the GPU evaluates as
one generated kernel per expression (physical.fused_values) — arithmetic, casts, CASE, columns
read through join and sort row indices — with DuckDB's answers and overflow errors on every
backend; expressions over NULLable columns or a left join's unmatched rows, negations and decimal
rescales past 18 digits take the general path."""
from __future__ import annotations

import decimal

import numpy as np
import pyarrow as pa
import pytest
from conftest import connect_with, duckdb_rejects

import warpdb
from warpdb.kernels.backend import gpu_available
from warpdb.oracle import check

N = 20_000  # above executor.HOST_ROWS, so the GPU evaluates these on the device


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(8)
    cents = [decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(0, 10**7, N)]
    return {
        "f": pa.table({
            "k": rng.integers(0, 500, N), "q": rng.integers(1, 50, N).astype(np.int32),
            "p": pa.array(cents, pa.decimal128(15, 2)),
            "d": pa.array([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(0, 11, N)], pa.decimal128(15, 2)),
            "big": np.full(N, 2**61, dtype=np.int64), "s": rng.choice(np.array(["x", "y", "z"]), N),
            "n": pa.array(np.where(rng.random(N) < 0.2, None, rng.integers(0, 9, N)).tolist(), pa.int64()),
        }),
        "dim": pa.table({"k": np.arange(0, 400), "c": pa.array(
            [decimal.Decimal(int(v)).scaleb(-2) for v in np.arange(0, 400) * 7], pa.decimal128(15, 2))}),
    }


@pytest.fixture(scope="module")
def con(tables):
    return connect_with(tables)


QUERIES = [
    "select f.k, p * (1 - d) as volume, p * (1 - d) - dim.c * d as amount from f join dim on f.k = dim.k",
    "select k * 3 + q, q - k, cast(q as bigint) * 1000000 from f",
    "select case when q > 25 then p * q when s = 'x' then p else p * 2 end from f",
    "select case when q > 25 then p * q else -p end, dim.c * q - p * (1 - d) from f join dim on f.k = dim.k",
    "select p * (1 - d) * (1 + d) from f where q < 10",
    "select k, q * 2 from (select * from f order by p limit 15000) t",
    "select f.k, dim.c * 2 from f left join dim on f.k = dim.k",
    "select n * 2 + q from f",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_projection_matches_duckdb(con, tables, sql):
    check(con, sql, tables, ordered=False)


@pytest.mark.parametrize("sql,op", [("select big * 4 from f", "mul"), ("select big + big + big + big from f", "add")])
def test_overflow_is_an_error_like_duckdb(con, tables, sql, op):
    duckdb_rejects(sql, tables)
    with pytest.raises(warpdb.ExecutionError, match=f"Overflow in {op}"):
        con.sql(sql).fetchall()


@pytest.mark.gpu
@pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU with CuPy")
@pytest.mark.parametrize("sql,fused", [(QUERIES[0], [True, True]), (QUERIES[2], [True]), (QUERIES[3], [False, False]),
                                       (QUERIES[6], [False]), (QUERIES[7], [False])])
def test_gpu_takes_the_kernel_when_the_columns_have_no_nulls(tables, sql, fused, monkeypatch):
    from warpdb.engine.physical import fused_values

    runs = []
    original = fused_values.evaluate
    monkeypatch.setattr(fused_values, "evaluate", lambda *a: runs.append(original(*a)) or runs[-1])
    check(connect_with(tables, on="gpu"), sql, tables, ordered=False)
    assert [r is not None for r in runs] == fused
