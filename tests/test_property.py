"""Property tests: random small tables and random queries, warpdb against DuckDB."""
from __future__ import annotations

import os
from decimal import Decimal

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warpdb import oracle

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# |x| <= 2**40 and |d| <= 10**6: sums, x * 1000 and d * d (DECIMAL(18,4)) never overflow.
X_VALUES = st.one_of(
    st.integers(-5, 5),
    st.integers(-(2**40), 2**40),
    st.sampled_from([2**40, -(2**40), 2**31, -(2**31) - 1, 0]),
)
K_VALUES = st.integers(-3, 3)
S_VALUES = st.text(alphabet="abAB", min_size=0, max_size=3)
D_VALUES = st.integers(-(10**8), 10**8).map(lambda v: Decimal(v) / 100)
F_VALUES = st.integers(-4000, 4000).map(lambda v: v / 4)  # exact in binary: sums do not depend on order

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("k", pa.int64()),
        ("x", pa.int64()),
        ("d", pa.decimal128(12, 2)),
        ("s", pa.string()),
        ("f", pa.float64()),
    ]
)


@st.composite
def tables(draw, max_rows: int = 25) -> pa.Table:
    n = draw(st.integers(0, max_rows))
    row = st.tuples(
        st.none() | K_VALUES,
        st.none() | X_VALUES,
        st.none() | D_VALUES,
        st.none() | S_VALUES,
        st.none() | F_VALUES,
    )
    rows = draw(st.lists(row, min_size=n, max_size=n))
    cols = list(zip(*rows)) if rows else [[], [], [], [], []]
    return pa.Table.from_arrays(
        [pa.array(range(n), pa.int64())] + [pa.array(list(c), f.type) for c, f in zip(cols, list(SCHEMA)[1:])],
        schema=SCHEMA,
    )


def _connect():
    import warpdb

    return warpdb.connect(device=os.environ.get("WARPDB_DEVICE", "cpu"))


def run(sql: str, tbls: dict[str, pa.Table]) -> None:
    con = _connect()
    for name, tbl in tbls.items():
        con.register(name, tbl)
    oracle.check(con, sql, tbls)


# ---------------------------------------------------------------- expression generators

def _lit_int(draw) -> str:
    return str(draw(st.one_of(st.integers(-5, 5), st.sampled_from([2**31, -(2**40), 1000]))))


@st.composite
def atoms(draw, alias: str = "") -> str:
    p = alias
    kind = draw(st.integers(0, 9))
    op = draw(st.sampled_from(["=", "<>", "<", "<=", ">", ">="]))
    if kind == 0:
        return f"{p}k {op} {draw(K_VALUES)}"
    if kind == 1:
        return f"{p}x {op} {_lit_int(draw)}"
    if kind == 2:
        return f"{p}s {op} '{draw(S_VALUES)}'"
    if kind == 3:
        return f"{p}d {op} {draw(D_VALUES)}"
    if kind == 4:
        col = draw(st.sampled_from(["k", "x", "d", "s", "f"]))
        return f"{p}{col} is {draw(st.sampled_from(['', 'not ']))}null"
    if kind == 5:
        return f"{p}f {op} {draw(F_VALUES)}"
    if kind == 6:
        return f"{p}k {op} {p}x"
    if kind == 7:
        vals = draw(st.lists(st.none() | K_VALUES, min_size=1, max_size=3))
        neg = draw(st.sampled_from(["", "not "]))
        return f"{p}k {neg}in ({', '.join('null' if v is None else str(v) for v in vals)})"
    if kind == 8:
        lo, hi = sorted(draw(st.lists(K_VALUES, min_size=2, max_size=2)))
        return f"{p}x between {lo} and {hi}"
    return f"{p}s like '{draw(st.sampled_from(['a%', '%b', '_', '%', 'A_']))}'"


@st.composite
def predicates(draw, alias: str = "", depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(atoms(alias))
    form = draw(st.integers(0, 2))
    left = draw(predicates(alias, depth - 1))
    if form == 0:
        return f"not ({left})"
    right = draw(predicates(alias, depth - 1))
    return f"({left}) {'and' if form == 1 else 'or'} ({right})"


@st.composite
def int_exprs(draw, depth: int = 2) -> str:
    """Integer expressions that cannot overflow int64 for |x| <= 2**40, |k| <= 3."""
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(["x", "k", "id", "1", "-7", "(k * k)"]))
    form = draw(st.integers(0, 6))
    a = draw(int_exprs(depth - 1))
    if form == 0:
        return f"({a} + {draw(int_exprs(depth - 1))})"
    if form == 1:
        return f"({a} - {draw(int_exprs(depth - 1))})"
    if form == 2:
        return f"({a} * {draw(st.integers(-3, 3))})"
    if form == 3:
        return f"({a} // {draw(st.sampled_from([1, 2, 3, -2, 7]))})"
    if form == 4:
        return f"({a} % {draw(st.sampled_from([1, 2, 3, -2, 7]))})"
    if form == 5:
        return f"coalesce({a}, {draw(int_exprs(depth - 1))})"
    return f"case when {draw(predicates(depth=1))} then {a} else {draw(int_exprs(depth - 1))} end"


PROJECTION_EXTRAS = [
    "d + d", "d - d", "d * d", "d * 3", "d + x", "d - k", "-d",
    "x / 4", "f * 2", "f + x", "f - d",
    "s || 'z'", "upper(s)", "length(s)", "coalesce(s, '?')", "nullif(k, 0)",
    "k is distinct from 1", "x > k", "s < 'b'",
]


# ---------------------------------------------------------------- properties

@SETTINGS
@given(tbl=tables(), pred=predicates())
def test_filter(tbl, pred):
    run(f"select * from r where {pred}", {"r": tbl})


@SETTINGS
@given(tbl=tables(), exprs=st.lists(int_exprs(), min_size=1, max_size=3),
       extra=st.sampled_from(PROJECTION_EXTRAS), pred=st.none() | predicates(depth=1))
def test_projection(tbl, exprs, extra, pred):
    where = f" where {pred}" if pred else ""
    run(f"select id, {', '.join(exprs)}, {extra} from r{where}", {"r": tbl})


GROUP_KEYS = ["k", "s", "k % 2", "x > 0", "k, s", "upper(s)", "d > 0", None]
AGGREGATES = [
    "count(*)", "count(x)", "count(distinct s)", "count(distinct k)", "sum(x)", "min(x)", "max(x)",
    "sum(d)", "min(d)", "max(d)", "min(s)", "max(s)", "avg(x)", "sum(f)", "avg(d)",
    "bool_and(x > 0)", "bool_or(s = 'a')", "sum(k * x)", "var_pop(k)", "stddev_samp(k)",
]


@SETTINGS
@given(tbl=tables(), key=st.sampled_from(GROUP_KEYS),
       aggs=st.lists(st.sampled_from(AGGREGATES), min_size=1, max_size=4, unique=True),
       pred=st.none() | predicates(depth=1), having=st.booleans())
def test_aggregate(tbl, key, aggs, pred, having):
    where = f" where {pred}" if pred else ""
    if key is None:
        sql = f"select {', '.join(aggs)} from r{where}"
    else:
        sql = f"select {key}, {', '.join(aggs)} from r{where} group by {key}"
        if having:
            sql += " having count(*) > 1"
    run(sql, {"r": tbl})


@SETTINGS
@given(left=tables(max_rows=15), right=tables(max_rows=15),
       kind=st.sampled_from(["join", "left join", "right join", "full join"]),
       on=st.sampled_from(["l.k = r.k", "l.k = r.k and l.s = r.s", "l.x = r.x", "l.k = r.k and l.x < r.x",
                           "l.k is not distinct from r.k"]),
       pred=st.none() | predicates(alias="l.", depth=1))
def test_join(left, right, kind, on, pred):
    where = f" where {pred}" if pred else ""
    sql = f"select l.id, r.id, l.k, r.k, l.x + r.x, r.s from l {kind} r on {on}{where}"
    run(sql, {"l": left, "r": right})


@SETTINGS
@given(left=tables(max_rows=15), right=tables(max_rows=15),
       kind=st.sampled_from(["join", "left join", "full join"]),
       key=st.sampled_from(["l.k", "r.k", "l.s"]))
def test_join_then_aggregate(left, right, kind, key):
    sql = (f"select {key}, count(*), count(r.id), sum(l.x), max(r.d) "
           f"from l {kind} r on l.k = r.k group by {key}")
    run(sql, {"l": left, "r": right})


@SETTINGS
@given(tbl=tables(), cols=st.lists(st.sampled_from(["k", "x", "d", "s", "f"]), min_size=1, max_size=3, unique=True),
       dirs=st.lists(st.sampled_from(["", " desc", " nulls first", " desc nulls last"]), min_size=3, max_size=3),
       limit=st.none() | st.integers(0, 30))
def test_order_by_limit(tbl, cols, dirs, limit):
    # id is unique, so the order is total and the comparison is exact
    order = ", ".join(f"{c}{d}" for c, d in zip(cols, dirs)) + ", id"
    lim = f" limit {limit}" if limit is not None else ""
    run(f"select id, {', '.join(cols)} from r order by {order}{lim}", {"r": tbl})


@SETTINGS
@given(left=tables(max_rows=15), right=tables(max_rows=15),
       op=st.sampled_from(["union", "union all", "intersect", "except"]),
       col=st.sampled_from(["k", "s", "k, s", "d"]))
def test_set_operations(left, right, op, col):
    run(f"select {col} from l {op} select {col} from r", {"l": left, "r": right})


@SETTINGS
@given(left=tables(max_rows=15), right=tables(max_rows=15),
       form=st.sampled_from([
           "select id from l where k in (select k from r)",
           "select id from l where k not in (select k from r)",
           "select id from l where exists (select 1 from r where r.k = l.k)",
           "select id from l where not exists (select 1 from r where r.k = l.k and r.x > l.x)",
           "select id, (select count(*) from r where r.s = l.s) from l",
           "select id, (select max(r.x) from r where r.k = l.k) from l",
           "select id, k in (select k from r) from l",
       ]))
def test_subqueries(left, right, form):
    run(form, {"l": left, "r": right})
