"""Types: every input type round-trips and compares; result types follow DuckDB; decimal sums
are exact to the last digit; overflow is a warpdb error."""
import pyarrow as pa
import pytest

import warpdb.errors as errors
from warpdb import oracle


def exact_family(t: pa.DataType):
    """An Arrow type, with the three string encodings treated as one."""
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    return str(t)


def result_family(t: pa.DataType):
    """Result-type family: integers of any width (and DECIMAL(p,0), DuckDB's HUGEINT) are one
    family; decimals keep (precision, scale); floats keep their width."""
    if pa.types.is_integer(t) or (pa.types.is_decimal(t) and t.scale == 0 and t.precision >= 38):
        return "integer"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    return exact_family(t)


@pytest.fixture
def check_types(con, tables):
    def _run(sql: str, family=result_family) -> pa.Table:
        out = oracle.check(con, sql, tables)
        exp = oracle.duckdb_result(sql, tables)
        got = [family(f.type) for f in out.schema]
        want = [family(f.type) for f in exp.schema]
        assert got == want, f"result types {got} != DuckDB's {want}\nSQL: {sql}"
        return out

    return _run


ROUND_TRIP = [
    "select id, a, b, f, d, s, dt, ts, flag from t",
    "select id, t_id, a, s, v from u",
    "select id, sv, ls, i8, i16, f32 from sv",
    "select id, x, y, g from fnan",
    "select id, g, d15, d18, i64 from big",
    "select * from empty",
    "select i8, i16, f32 from sv where id > 100",
]

RESULT_TYPES = [
    # arithmetic on small integer types stays small (an integer literal takes the other side's type)
    "select i8 + 1, i16 + 1, i8 + i16, a + 1 from sv, t where sv.id = 3 and t.id = 2",
    "select i8 // 2, i16 % 7, -i16 from sv where id = 3",
    "select a + b, a * 2, b - 1 from t",
    # / always gives DOUBLE, except FLOAT / integer which stays FLOAT
    "select a / 2, b / a, d / 4, i8 / 2 from t, sv where sv.id = 3",
    "select f32 + 1, f32 * 2, f32 / 2, f32 + f32, f32 * i8 from sv",
    "select f + 1, f * a, f + d, d * f from t",
    # DECIMAL(15,2) + DECIMAL(15,2) -> DECIMAL(16,2); * -> DECIMAL(18,4) (capped at 18 when
    # both inputs fit 64 bits); DECIMAL * INTEGER -> DECIMAL(18,2); DECIMAL * BIGINT -> DECIMAL(34,2)
    "select t.d + u.v, t.d - u.v, t.d * u.v, t.d * t.d from t join u on t.id = u.t_id",
    "select d * 2, d * 1.5, d + 0.005, d * a, d * b, d - b, d % 3 from t",
    "select d15 + d18, d18 + d18 from big where id < 5",
    "select sum(a), sum(b), sum(d), sum(f), count(*), count(a) from t",
    "select avg(a), avg(d), avg(f), stddev(b), var_pop(d) from t",
    "select min(i8), max(i16), min(f32), sum(f32), min(d), max(s), min(dt), max(ts) from sv, t",
    "select sum(d15), sum(d18), sum(i64) from big",
    "select extract(year from dt), extract(day from ts) from t",
    # DATE +/- INTERVAL and date_trunc give TIMESTAMP
    "select dt + interval '1' day, dt - interval '1' month, date_trunc('month', dt) from t",
    "select ts + interval '1' day, date_trunc('year', ts) from t",
    "select cast(a as bigint), cast(b as integer), cast(d as double), cast(a as decimal(10, 2)) from t",
    "select cast(d as decimal(18, 4)), cast(f as decimal(12, 1)), cast(dt as timestamp), cast(ts as date) from t",
    "select a > 1, s like 'a%', a in (1, 2), a is null from t",
    "select coalesce(a, b), coalesce(d, 0), case when flag then f else a end from t",
    "select length(s), strpos(s, 'a'), upper(s), s || 'x' from t",
    "select a from t union select t_id from u",
    "select a from t union all select v from u",
    "select 1, 1.5, 'x', true, date '2024-01-01', timestamp '2024-01-01 00:00:00'",
]

COMPARE = [
    "select id from sv where i8 = i16",
    "select id from sv where i8 < 100 and i16 > -1000",
    "select id from sv where f32 > 1.5",
    "select id from sv where f32 = 0.5",
    "select id from sv where f32 < i8",
    "select id from sv where i16 = 300",
    "select id from sv where sv = 'alpha'",
    "select id from sv where sv > 'beta'",
    "select id from sv where ls = 'ALPHA'",
    "select id from sv where sv = lower(ls)",
    "select id from sv where ls < sv",
    "select p.id, q.id from sv p join sv q on p.sv = lower(q.ls)",
    "select id from t where ts > dt",
    "select id from t where cast(ts as date) >= dt",
    "select id from t where ts = timestamp '2024-07-04 17:45:03.25'",
    "select id from t where ts = timestamp '1969-12-31 23:59:59.5'",
    "select id from t where dt = date '1969-07-20'",
    "select id from t where flag = true",
    "select id from t where flag <> (a > 0)",
    "select id from t where d = 0.00",
    "select id from t where d = -0.01",
    "select id from t where d > b",
    "select id from t where a < d",
    "select id from t where f > d",
    "select id from big where d15 > 9999000000000.00",
    "select id from big where i64 > 8000000000000000000",
    "select id from big where i64 < -8500000000000000000",
    "select sv, count(*) from sv group by sv",
    "select ls, count(*) from sv group by ls",
    "select i8, count(*) from sv group by i8",
    "select f32, count(*) from sv group by f32",
    "select flag, count(*) from t group by flag",
    "select ts, count(*) from t group by ts",
]

DECIMAL_SUMS = [
    # sums that need a 128-bit accumulator: 18-22 digits, exact to the cent
    "select sum(d15) from big",
    "select sum(d18) from big",
    "select sum(i64) from big",
    "select g, sum(d15), sum(d18), sum(i64) from big group by g",
    "select sum(d15), sum(d18) from big where id % 3 = 0",
    "select sum(d18 + d18), sum(d15 - d18) from big",
    "select sum(-d18), min(d18), max(d18), min(d15), max(d15) from big",
    "select avg(d15), avg(d18), avg(i64) from big",
    "select sum(d15) - sum(d15), sum(d15) * 1 from big",
    "select sum(d), sum(d * 2), sum(d * d) from t",
    "select t_id, sum(v * v) from u group by t_id",
    "select count(distinct d15), count(distinct d18) from big",
]


@pytest.mark.parametrize("sql", ROUND_TRIP)
def test_round_trip(check_types, sql):
    check_types(sql, family=exact_family)


@pytest.mark.parametrize("sql", RESULT_TYPES)
def test_result_types(check_types, sql):
    check_types(sql)


@pytest.mark.parametrize("sql", COMPARE)
def test_compare(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", DECIMAL_SUMS)
def test_decimal_sums(check, sql):
    check(sql)


def test_decimal_sum_is_exact_to_the_last_digit(check, tables):
    from decimal import Decimal

    out = check("select sum(d15), sum(d18) from big")
    d15 = sum(tables["big"].column("d15").to_pylist(), Decimal(0))
    d18 = sum(tables["big"].column("d18").to_pylist(), Decimal(0))
    assert len(str(d15).replace(".", "")) >= 18
    assert len(str(d18).replace(".", "")) >= 21
    assert out.column(0).to_pylist() == [d15]
    assert out.column(1).to_pylist() == [d18]


def test_bigint_sum_beyond_int64(check, tables):
    out = check("select sum(i64) from big")
    total = sum(tables["big"].column("i64").to_pylist())
    assert abs(total) > 2**63
    assert int(out.column(0).to_pylist()[0]) == total


# DuckDB computes these products exactly in 128 bits; warpdb holds decimals as 64-bit integers
# and must say so with an ExecutionError rather than wrap (a documented limitation).
WIDE_PRODUCTS = [
    "select max(cast(d15 as decimal(30, 2)) * d15) from big",
    "select sum(cast(d15 as decimal(20, 2)) * d15) from big",
    "select max(d15 * i64), min(d15 * i64) from big",
    "select g, sum(cast(d15 as decimal(20, 2)) * d15) from big group by g",
    "select cast(d15 as decimal(30, 2)) * d15, d15 * i64 from big where id < 5",
]


@pytest.mark.parametrize("sql", WIDE_PRODUCTS)
def test_products_beyond_64_bits_are_reported(con, tables, sql):
    assert oracle.duckdb_result(sql, tables).num_rows > 0
    with pytest.raises(errors.ExecutionError, match="Overflow"):
        con.sql(sql).arrow()
    assert con.sql("select 1").fetchall()[0][0] == 1


def test_wide_sum_can_be_returned_but_not_computed_with(con, check):
    check("select g, sum(d18) from big group by g limit 100")
    with pytest.raises(errors.ExecutionError, match="beyond 18 digits"):
        con.sql("select s from (select sum(d18) as s from big) where s > 0").arrow()


# DuckDB raises Out of Range for each of these; warpdb must raise its own ExecutionError.
OVERFLOW = [
    # DECIMAL(15,2) * DECIMAL(15,2) is DECIMAL(18,4): these products do not fit
    "select max(d15 * d15) from big",
    "select d15 * d15 * d15 from big",
    # DECIMAL(18,2) * INTEGER is DECIMAL(18,2)
    "select max(d18 * 2) from big",
    "select i64 + i64 from big",
    "select i64 * 2 from big",
    "select sum(i64 * 3) from big",
    # integer literals take the type of the other side: TINYINT 127 + 1 overflows
    "select i8 + 1 from sv",
    "select i16 * 2 from sv",
    "select -i8 from sv",
    "select 9223372036854775807 + b from t",
]


@pytest.mark.parametrize("sql", OVERFLOW)
def test_overflow_is_a_warpdb_error(con, tables, sql):
    import duckdb

    with pytest.raises(duckdb.OutOfRangeException):
        oracle.duckdb_result(sql, tables)
    with pytest.raises(errors.ExecutionError) as info:
        con.sql(sql).arrow()
    assert isinstance(info.value, errors.Error)
    assert con.sql("select 1").fetchall()[0][0] == 1


def test_overflow_checks_only_surviving_rows(check):
    # the filter removes the rows whose products would overflow
    check("select id, i8 + 1, i16 * 2 from sv where i8 < 100 and i16 between -1000 and 1000")
    check("select id, case when i8 < 127 then i8 + 1 end from sv")
