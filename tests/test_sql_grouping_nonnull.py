"""GROUP BY on NULL-free string, boolean and bounded-range integer keys with count/sum/avg of NULL-free integer and decimal
expressions: the shape the GPU's one-kernel aggregate takes (physical.fused_aggregate), also as global aggregates and over a scan's filters. Every query
also runs on the CPU, and both must give DuckDB's answers, overflow errors included."""
from __future__ import annotations

import decimal

import numpy as np
import pyarrow as pa
import pytest
from conftest import connect_with, duckdb_rejects

import warpdb
from warpdb.kernels.backend import gpu_available
from warpdb.oracle import check

N = 20_000  # above executor.HOST_ROWS, so the GPU runs these aggregates on the device


def cents(values, precision: int) -> pa.Array:
    """DECIMAL(precision, 2) values from integer cents."""
    return pa.array([decimal.Decimal(int(v)).scaleb(-2) for v in values], pa.decimal128(precision, 2))


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(11)
    words = np.array([f"w{i:02d}" for i in range(40)])
    nn = pa.table({
        "s": rng.choice(np.array(["A", "N", "R"]), N), "f": rng.choice(np.array(["F", "O"]), N),
        "w": rng.choice(words, N), "b": rng.random(N) < 0.3,
        "x": rng.integers(-10**6, 10**6, N), "y": rng.integers(-100, 100, N).astype(np.int32),
        "z": rng.integers(-100, 100, N).astype(np.int8),
        "p": cents(rng.integers(0, 10**7, N), 13),
        "d": cents(rng.integers(0, 11, N), 4),
        "big": pa.array([decimal.Decimal(9 * 10**17)] * N, pa.decimal128(18, 0)),
        "huge": np.full(N, 2**62, dtype=np.int64),
        "kk": rng.integers(0, 100_000, N) + 10**9,
        "u": rng.choice(np.array([f"u{i}" for i in range(3000)]), N),
    })
    side = pa.table({"s": ["A", "R", "Z"], "k": [1, 2, 3]})
    return {"nn": nn, "side": side}


@pytest.fixture(scope="module")
def con(tables):
    return connect_with(tables)


QUERIES = [
    "select s, f, sum(x), avg(x), count(*), count(x), sum(x * 2 - y), avg(y), sum(z) from nn group by s, f",
    ("select s, f, sum(p), sum(p * (1 - d)), sum(p * (1 - d) * (1 + d)), avg(p), avg(d), count(*) "
    "from nn where x > 0 group by s, f"),
    "select b, w, s, sum(y), count(*), avg(z) from nn group by b, w, s",
    "select s, sum(x) from nn where x > 10000000 group by s",
    "select s, sum(big), avg(big) from nn group by s",
    "select w, sum(x), count(*) from nn where y < 0 and b group by w",
    ("select nn.s, sum(x), count(*) from nn left join side on nn.s = side.s where side.k is null or side.k > 0 "
    "group by nn.s"),
    "select s, count(*), sum(x) from nn group by s having sum(x) > 0",
    "select s, sum(huge), sum(huge - x), avg(huge) from nn group by s",
    "select sum(huge), sum(x), count(*), avg(y) from nn where x > 0 and y < 50",
    "select count(*), sum(x), avg(p) from nn where x > 10000000",
    "select s, f, count(*), sum(p * (1 - d)) from nn where d <= 0.05 and b group by s, f",
    "select s, sum(y * p), sum(cast(z as bigint)), sum(cast(y as decimal(12, 2))), avg(cast(d as decimal(9, 4))) from nn group by s",
    "select sum(p * y), count(*) from nn where b",
    ("select s, sum(case when w = 'w01' or w = 'w02' then 1 else 0 end), "
     "sum(case when w <> 'w01' and w <> 'w02' then 1 else 0 end) from nn group by s"),
    "select sum(case when w like 'w1%' then p * (1 - d) else 0 end), sum(p * (1 - d)) from nn",
    "select f, sum(case when w in ('w03', 'w30') then x when b then y else 0 end) from nn group by f",
    "select s, sum(case when x > 10000000 then huge * 4 else 0 end), count(*) from nn group by s",
    "select side.s, sum(x), count(*), sum(k) from nn join side on nn.s = side.s group by side.s",
    "select y, count(*), sum(x), avg(p) from nn group by y",
    "select z, b, s, sum(p * (1 - d)) from nn where x > 0 group by z, b, s",
    "select x % 7 as m, count(*) from nn group by m",
    "select k, s, count(*) from (select nn.s, side.k from nn join side on nn.s = side.s) j group by k, s",
    "select kk, count(*), sum(p), avg(y), sum(p * (1 - d)) from nn group by kk",
    "select u, s, sum(x), count(*) from nn where y > 0 group by u, s",
    "select kk, sum(x) from nn group by kk having count(*) > 1",
    "select d, count(*), sum(x), avg(p) from nn group by d",
    "select kk, x, count(*), sum(p), avg(y) from nn group by kk, x",
    "select p, count(*), sum(x) from nn group by p",
    "select x, w, s, sum(y), avg(p) from nn where y > 0 group by x, w, s",
    "select u, kk, sum(x), count(*) from nn group by u, kk having count(*) > 1",
    "select kk, b, d, sum(p * (1 - d)) from nn where x > 0 and b group by kk, b, d",
    "select nn.kk, side.k, sum(x), count(*) from nn join side on nn.s = side.s group by nn.kk, side.k",
    "select kk, count(*) from (select kk, x from nn order by x limit 10000) t group by kk",
    "select nn.s, count(side.k), count(*), sum(x) from nn left join side on nn.s = side.s group by nn.s",
    ("select c, count(*) from (select nn.kk, count(side.k) as c from nn left join side on nn.s = side.s "
     "group by nn.kk) t group by c"),
]
"""The queries after `kk ... having count(*) > 1` group by keys whose combinations are many more
than the rows (or by a decimal of few values): the GPU kernel's hashed (and numbered decimal) keys;
the last two count a column NULL on a left join's unmatched rows."""


@pytest.mark.parametrize("sql", QUERIES)
def test_grouping_matches_duckdb(con, tables, sql):
    check(con, sql, tables, ordered=False)


@pytest.mark.parametrize("sql,op", [
    ("select s, sum(huge * 4) from nn group by s", "mul"),
    ("select s, f, sum(huge + huge) from nn group by s, f", "add"),
    ("select s, sum(p * p * p) from nn group by s", "mul"),
    ("select kk, sum(huge * 4) from nn group by kk", "mul"),
    ("select kk, x, sum(huge + huge) from nn group by kk, x", "add"),
])
def test_overflow_is_an_error_like_duckdb(con, tables, sql, op):
    duckdb_rejects(sql, tables)
    with pytest.raises(warpdb.ExecutionError, match=f"Overflow in {op}"):
        con.sql(sql).fetchall()


@pytest.mark.gpu
@pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU with CuPy")
@pytest.mark.parametrize("sql,hashed", [
    ("select kk, x, count(*), sum(p) from nn group by kk, x", True),
    ("select p, sum(x) from nn where y > 0 group by p", True),
    ("select u, s, sum(x) from nn group by u, s", False),
    ("select d, sum(x) from nn group by d", False),
    ("select nn.s, count(side.k), sum(x) from nn left join side on nn.s = side.s group by nn.s", False),
])
def test_gpu_groups_by_hash_when_the_key_combinations_outnumber_the_rows(tables, sql, hashed, monkeypatch):
    from warpdb.engine.physical import fused_aggregate as fa

    runs = []
    original = fa._run
    monkeypatch.setattr(fa, "_run", lambda xp, src, grouping, *a: runs.append(grouping) or original(xp, src, grouping, *a))
    check(connect_with(tables, on="gpu"), sql, tables, ordered=False)
    assert [g.hashed is not None for g in runs] == [hashed]
