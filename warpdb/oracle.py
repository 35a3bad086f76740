"""The correctness oracle: run SQL on warpdb and on DuckDB over the same Arrow data, compare."""
from __future__ import annotations

import datetime
import decimal
import math
from collections import Counter
from typing import Any

import pyarrow as pa

FLOAT_RTOL = 1e-9


def _norm(v: Any) -> Any:
    """A comparable, hashable form of one value (floats rounded for multiset hashing)."""
    if isinstance(v, float):
        if math.isnan(v):
            return ("nan",)
        return ("f", float(f"{v:.9g}"))
    if isinstance(v, decimal.Decimal):
        return ("d", v.normalize() if v == v.to_integral_value() else v.normalize())
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int):
        return ("d", decimal.Decimal(v).normalize())
    if isinstance(v, datetime.datetime):
        return ("t", v)
    if isinstance(v, datetime.date):
        return ("t", datetime.datetime(v.year, v.month, v.day))
    return ("o", v)


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (str, bool)) or isinstance(b, (str, bool)):
            return False
        fa, fb = float(a), float(b)
        if math.isnan(fa) or math.isnan(fb):
            return math.isnan(fa) and math.isnan(fb)
        return fa == fb or abs(fa - fb) <= FLOAT_RTOL * max(abs(fa), abs(fb))
    return _norm(a) == _norm(b)


def rows_of(table: pa.Table) -> list[tuple]:
    """Rows of an Arrow table as Python tuples (for comparison only, never on a hot path)."""
    cols = [c.to_pylist() for c in table.columns]
    return list(zip(*cols)) if cols else []


def compare_rows(actual: list[tuple], expected: list[tuple], ordered: bool) -> str | None:
    """None when equal; otherwise a short description of the first difference."""
    if len(actual) != len(expected):
        return f"row count {len(actual)} != expected {len(expected)}"
    if actual and len(actual[0]) != len(expected[0]):
        return f"column count {len(actual[0])} != expected {len(expected[0])}"
    if not ordered:
        key = lambda r: tuple((x is None, repr(type(_norm(x)[0])), str(_norm(x))) for x in r)  # noqa: E731
        actual, expected = sorted(actual, key=key), sorted(expected, key=key)
        if Counter(map(lambda r: tuple(_norm(x) for x in r), actual)) == Counter(
            map(lambda r: tuple(_norm(x) for x in r), expected)
        ):
            return None
    for i, (ra, re_) in enumerate(zip(actual, expected)):
        for j, (a, b) in enumerate(zip(ra, re_)):
            if not _close(a, b):
                return f"row {i} column {j}: {a!r} != expected {b!r}"
    return None


def compare_tables(actual: pa.Table, expected: pa.Table, ordered: bool) -> str | None:
    """Compare two Arrow results: in order when `ordered`, as multisets otherwise."""
    if actual.num_columns != expected.num_columns:
        return f"column count {actual.num_columns} != expected {expected.num_columns}"
    return compare_rows(rows_of(actual), rows_of(expected), ordered)


def is_ordered(sql: str) -> bool:
    """Whether the outermost query has an ORDER BY (so results compare in order)."""
    import sqlglot

    tree = sqlglot.parse_one(sql, read="duckdb")
    return tree.args.get("order") is not None


def duckdb_result(sql: str, tables: dict[str, pa.Table], con=None) -> pa.Table:
    """Run `sql` on DuckDB over the given Arrow tables."""
    import duckdb

    own = con is None
    con = con or duckdb.connect()
    try:
        for name, t in tables.items():
            con.register(name, t)
        return con.sql(sql).to_arrow_table()
    finally:
        if own:
            con.close()


def check(wcon, sql: str, tables: dict[str, pa.Table], ordered: bool | None = None, dcon=None) -> pa.Table:
    """Run `sql` on warpdb connection `wcon` and on DuckDB; raise AssertionError on any difference."""
    expected = duckdb_result(sql, tables, dcon)
    actual = wcon.sql(sql).arrow()
    order = is_ordered(sql) if ordered is None else ordered
    diff = compare_tables(actual, expected, order)
    if diff:
        raise AssertionError(f"{diff}\nSQL: {sql}\nwarpdb:\n{actual.slice(0, 10)}\nduckdb:\n{expected.slice(0, 10)}")
    return actual

