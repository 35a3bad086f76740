"""Shared fixtures for the DuckDB-checked SQL tests.

Every SQL test runs one query on warpdb and on DuckDB over the same Arrow tables
(see warpdb/oracle.py) and compares the results.  The backend is chosen with the
WARPDB_DEVICE environment variable (or --warpdb-device), "cpu" by default, so the
same suite runs against the GPU backend on the device machine.
"""
from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal

import pyarrow as pa
import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--warpdb-device",
        action="store",
        default=None,
        help="warpdb device for the SQL tests (overrides $WARPDB_DEVICE; default cpu)",
    )


def pytest_configure(config):
    dev = config.getoption("--warpdb-device", default=None)
    if dev:
        os.environ["WARPDB_DEVICE"] = dev


def device() -> str:
    return os.environ.get("WARPDB_DEVICE", "cpu")


def connect_with(tables: dict, on: str | None = None):
    """A warpdb connection on the test device (or device `on`) with every table of `tables` registered."""
    import warpdb

    con = warpdb.connect(device=on or device())
    for name, tbl in tables.items():
        con.register(name, tbl)
    return con


def duckdb_rejects(sql: str, tables: dict, exc=None):
    """Assert DuckDB raises `exc` (any DuckDB error by default) on `sql` over `tables`."""
    import duckdb

    from warpdb import oracle

    with pytest.raises(exc or duckdb.Error):
        oracle.duckdb_result(sql, tables)


def rule_switch(name: str):
    """A fixture run twice, with optimizer rule `name` enabled ("on") and disabled ("off")."""
    from warpdb.engine import optimizer

    @pytest.fixture(params=["on", "off"])
    def switch(request):
        if request.param == "off":
            optimizer.DISABLED.add(name)
        yield request.param
        optimizer.DISABLED.discard(name)

    return switch


# ---------------------------------------------------------------------------
# Test tables: small, deterministic, NULL-heavy.
# ---------------------------------------------------------------------------

STRINGS = [
    "apple", "banana", "Banana", "cherry", "", "ñandú", "naïve café", "日本語",
    "apple pie", "a_b", "50% off", " padded ", "x", "zebra", "APPLE", None,
]
DATES = [
    dt.date(1969, 7, 20), dt.date(1992, 1, 1), dt.date(1995, 6, 17), dt.date(1999, 12, 31),
    dt.date(2000, 2, 29), dt.date(2001, 9, 9), dt.date(2010, 10, 10), dt.date(2020, 1, 31),
    dt.date(2023, 1, 31), dt.date(2023, 12, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31),
    dt.date(2025, 5, 5), None, None,
]
TIMESTAMPS = [
    dt.datetime(1969, 12, 31, 23, 59, 59, 500000), dt.datetime(1970, 1, 1, 0, 0, 0),
    dt.datetime(1998, 8, 2, 12, 30, 45, 123456), dt.datetime(2000, 1, 1, 0, 0, 0, 1),
    dt.datetime(2012, 2, 29, 23, 59, 59), dt.datetime(2020, 6, 15, 8, 0, 0),
    dt.datetime(2023, 12, 31, 23, 59, 59, 999999), dt.datetime(2024, 1, 1, 0, 0, 0),
    dt.datetime(2024, 7, 4, 17, 45, 3, 250000), None, None,
]


def _maybe(rng: random.Random, p_null: float, value):
    return None if rng.random() < p_null else value


def make_t(n: int = 40) -> pa.Table:
    rng = random.Random(20240601)
    b_pool = [rng.randint(-1000, 1000) for _ in range(25)]
    d_pool = [Decimal(rng.randint(-10_000_000, 10_000_000)) / 100 for _ in range(20)]
    d_pool += [Decimal("0.00"), Decimal("-0.01"), Decimal("99999.99")]
    rows = []
    for i in range(1, n + 1):
        rows.append(
            dict(
                id=i,
                a=_maybe(rng, 0.2, rng.randint(-5, 10)),
                b=rng.choice(b_pool),
                # multiples of 0.25: sums and sums of squares are exact in double,
                # so aggregates do not depend on summation order.
                f=_maybe(rng, 0.15, rng.randint(-1000, 1000) * 0.25),
                d=_maybe(rng, 0.15, rng.choice(d_pool)),
                s=rng.choice(STRINGS),
                dt=rng.choice(DATES),
                ts=rng.choice(TIMESTAMPS),
                flag=rng.choice([True, False, None]),
            )
        )
    # a few fixed values so that every interesting case occurs
    for i, v in [(0, "apple"), (19, "apple"), (4, None), (16, None), (28, None)]:
        rows[i]["s"] = v
    rows[6]["f"], rows[7]["f"] = 0.0, None
    rows[10]["a"], rows[11]["a"] = 3, 3
    return pa.Table.from_pylist(rows, schema=T_SCHEMA)


T_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("a", pa.int32()),
        ("b", pa.int64()),
        ("f", pa.float64()),
        ("d", pa.decimal128(15, 2)),
        ("s", pa.string()),
        ("dt", pa.date32()),
        ("ts", pa.timestamp("us")),
        ("flag", pa.bool_()),
    ]
)

U_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("t_id", pa.int64()),
        ("a", pa.int32()),
        ("s", pa.string()),
        ("v", pa.decimal128(15, 2)),
    ]
)


def make_u(t: pa.Table, n: int = 30) -> pa.Table:
    rng = random.Random(777)
    t_a = dict(zip(t.column("id").to_pylist(), t.column("a").to_pylist()))
    rows = []
    for i in range(1, n + 1):
        r = rng.random()
        if r < 0.6:
            t_id = rng.randint(1, 40)  # matches a row of t (duplicates likely)
        elif r < 0.8:
            t_id = rng.choice([0, -1, 41, 99, 1000])  # matches nothing
        else:
            t_id = None
        # half of the matching rows agree with t.a too (for multi-key joins)
        if t_id is not None and t_id in t_a and rng.random() < 0.5:
            a = t_a[t_id]
        else:
            a = _maybe(rng, 0.25, rng.randint(-5, 10))
        rows.append(
            dict(
                id=i,
                t_id=t_id,
                a=a,
                s=rng.choice(STRINGS),
                v=_maybe(rng, 0.2, Decimal(rng.randint(-500_000, 500_000)) / 100),
            )
        )
    return pa.Table.from_pylist(rows, schema=U_SCHEMA)


def make_fnan() -> pa.Table:
    nan, inf = float("nan"), float("inf")
    x = [1.5, nan, -inf, inf, None, 0.0, -0.0, nan, 2.5, -3.0, None, 1.5]
    y = [0.5, 1.25, None, -2.0, 3.5, nan, 0.0, 1.25, None, 8.0, -0.5, 2.0]
    return pa.table(
        {
            "id": pa.array(range(1, len(x) + 1), pa.int64()),
            "x": pa.array(x, pa.float64()),
            "y": pa.array(y, pa.float32()),
            "g": pa.array([i % 3 for i in range(len(x))], pa.int64()),
        }
    )


def make_sv() -> pa.Table:
    strs = ["alpha", "beta", None, "", "gamma", "alpha", "ÄÖÜ", "a longer string that is not inlined",
            "beta", None, "delta", "epsilon", "zeta", "", "alpha", "eta", "theta", None, "iota", "kappa"]
    ls = [None if v is None else v.upper() for v in strs[5:]] + strs[:5]
    i8 = [-128, 127, 0, 1, -1, None, 5, 5, 100, -100, 7, None, 3, 2, 1, 0, -50, 50, 9, 10]
    i16 = [-32768, 32767, 0, None, 300, -300, 12, 12, 1000, -1000, 5, 6, None, 8, 9, 10, 11, 12, 13, 14]
    f32 = [0.5, -1.25, None, 2.0, 1024.0, -0.75, 3.5, 3.5, None, 0.0, 100.25, -8.0, 6.5, 1.0, 2.5,
           None, 7.75, -2.5, 0.125, 9.0]
    n = len(strs)
    return pa.table(
        {
            "id": pa.array(range(1, n + 1), pa.int64()),
            "sv": pa.array(strs, pa.string_view()),
            "ls": pa.array(ls, pa.large_string()),
            "i8": pa.array(i8, pa.int8()),
            "i16": pa.array(i16, pa.int16()),
            "f32": pa.array(f32, pa.float32()),
        }
    )


def make_big(n: int = 1000) -> pa.Table:
    """Values near the top of their types, so sums need 128-bit accumulators."""
    rng = random.Random(99)
    d15 = [Decimal(rng.randint(9_000_000_000_000_00, 9_999_999_999_999_99)) / 100 for _ in range(n)]
    d18 = [Decimal(rng.randint(9 * 10**17, 10**18 - 1)) / 100 for _ in range(n)]
    i64 = [rng.randint(4 * 10**18, 9 * 10**18) * rng.choice([1, -1, 1]) for _ in range(n)]
    return pa.table(
        {
            "id": pa.array(range(1, n + 1), pa.int64()),
            "g": pa.array([i % 7 for i in range(n)], pa.int64()),
            "d15": pa.array(d15, pa.decimal128(15, 2)),
            "d18": pa.array(d18, pa.decimal128(18, 2)),
            "i64": pa.array(i64, pa.int64()),
        }
    )


def make_tables() -> dict[str, pa.Table]:
    t = make_t()
    return {
        "t": t,
        "u": make_u(t),
        "empty": T_SCHEMA.empty_table(),
        "fnan": make_fnan(),
        "sv": make_sv(),
        "big": make_big(),
    }


_TABLES = make_tables()


@pytest.fixture(scope="session")
def tables() -> dict[str, pa.Table]:
    return _TABLES


@pytest.fixture
def con(tables):
    return connect_with(tables)


@pytest.fixture
def check(con, tables):
    from warpdb import oracle

    def _check(sql: str, ordered: bool | None = None) -> pa.Table:
        return oracle.check(con, sql, tables, ordered)

    return _check
