"""Runtime key filters: an aggregate joined on its group keys groups only the rows whose keys the
other side has — visible in the profile — and every join kind still gives DuckDB's answer."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from conftest import connect_with

from warpdb.oracle import check

N = 20_000


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(7)
    facts = pa.table({
        "k": rng.integers(0, 2000, N), "k2": rng.integers(0, 5, N),
        "v": pa.array(np.where(rng.random(N) < 0.1, None, rng.integers(-50, 50, N)).tolist(), pa.int64()),
    })
    dims = pa.table({"k": pa.array([3, 5, 5, 77, None, 1999, 4242], pa.int64()), "k2": [0, 1, 2, 3, 4, 0, 1]})
    return {"facts": facts, "dims": dims}


@pytest.fixture(scope="module")
def con(tables):
    return connect_with(tables)


AGG = "(SELECT k, k2, sum(v) AS s, count(*) AS c FROM facts GROUP BY k, k2)"
FILTERED = [
    f"SELECT d.k, a.k2, a.s, a.c FROM dims d JOIN {AGG} a ON d.k = a.k",
    f"SELECT d.k, d.k2, a.s, a.c FROM dims d LEFT JOIN {AGG} a ON d.k = a.k AND d.k2 = a.k2",
    f"SELECT d.k FROM dims d WHERE EXISTS (SELECT 1 FROM {AGG} a WHERE a.k = d.k AND a.c > 1)",
    f"SELECT d.k FROM dims d WHERE NOT EXISTS (SELECT 1 FROM {AGG} a WHERE a.k = d.k AND a.s > 0)",
    "SELECT d.k, (SELECT sum(v) FROM facts f WHERE f.k = d.k) FROM dims d",
    "SELECT d.k, d.k2 FROM dims d WHERE d.k2 < (SELECT count(*) FROM facts f WHERE f.k = d.k)",
    f"SELECT a.k, a.s FROM {AGG} a JOIN dims d ON d.k = a.k WHERE a.c > 1",
]
UNFILTERED = [
    f"SELECT a.k, a.k2, a.s, d.k2 FROM {AGG} a LEFT JOIN dims d ON d.k = a.k",
    f"SELECT a.k, a.s FROM {AGG} a WHERE NOT EXISTS (SELECT 1 FROM dims d WHERE d.k = a.k)",
    "SELECT k, sum(v) FROM facts GROUP BY k",
]


@pytest.mark.parametrize("sql", FILTERED + UNFILTERED)
def test_answers_equal_duckdb(con, tables, sql):
    check(con, sql, tables, ordered=False)


@pytest.mark.parametrize("sql", FILTERED)
def test_aggregate_groups_only_matching_rows(con, sql):
    result = con.sql(sql)
    result.arrow()
    filtered = [rows for op, _, rows in result.profile if op == "KeyFilter"]
    assert filtered and filtered[0] < N // 50


@pytest.mark.parametrize("sql", UNFILTERED)
def test_preserved_side_aggregate_is_not_filtered(con, sql):
    result = con.sql(sql)
    result.arrow()
    assert not [op for op, _, _ in result.profile if op == "KeyFilter"]
