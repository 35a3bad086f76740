"""SELECT basics: projections, aliases, WHERE, DISTINCT, LIMIT/OFFSET, ORDER BY."""
import pytest

PROJECTIONS = [
    "select * from t",
    "select id, a, b from t",
    "select t.* from t",
    "select *, id + 1 as nxt from t",
    "select t.id, t.s from t",
    "select x.id, x.s from t as x",
    "select x.id, x.b from t x where x.b < 0",
    "select id as key, s as name, d as amount from t",
    "select a, a, a as a2 from t",
    "select id, a + b as ab, b * 2 - 1 as e from t",
    "select id, -b, +b, - -b from t",
    "select id, a * b, a - b, b - a from t",
    "select id, (a + 1) * (b - 1) from t",
    "select id, a + 1 + 2 + 3 from t",
    "select 1, 2.5, 'lit', null, true, false",
    "select 1 + 2 * 3, (1 + 2) * 3, 10 - 4 - 3, -5",
    "select 'it''s' as quoted, '' as empty_string",
    "select id, 1 as one, 'k' as k from t",
    "select id, d, d + 1, d * 2, d - d from t",
    "select id, f, f * 2, f + 0.5, -f from t",
    "select id, dt, ts, flag from t",
    "select id, flag, not flag from t",
    "select id, a > 3, a = b, s = 'apple' from t",
    "select * from u",
    "select * from empty",
    "select id, a + 1 from empty",
    "select * from fnan",
    "select * from sv",
]

WHERE = [
    "select id from t where a is null",
    "select id from t where a is not null",
    "select id, a, b from t where a is not null and b > 0",
    "select id from t where a > 3",
    "select id from t where a >= 3",
    "select id from t where a < 3",
    "select id from t where a <= 3",
    "select id from t where a = 3",
    "select id from t where a <> 3",
    "select id from t where a != 3",
    "select id from t where 3 < a",
    "select id from t where a = b",
    "select id from t where a < b",
    "select id, s from t where s = 'apple'",
    # <> never matches NULL
    "select id, s from t where s <> 'apple'",
    "select id, s from t where s = ''",
    "select id, s from t where s > 'b'",
    "select id, s from t where s < 'B'",
    "select id, s from t where s = 'ñandú'",
    "select id from t where flag",
    "select id from t where not flag",
    "select id from t where flag = true",
    "select id from t where flag = false or flag is null",
    "select id from t where a between 0 and 5",
    "select id from t where a not between 0 and 5",
    "select id from t where b between -100 and 100",
    "select id from t where b in (91, 883, -587)",
    "select id from t where b not in (91, 883, -587)",
    "select id from t where s in ('apple', 'x', '')",
    "select id from t where dt > date '2000-01-01'",
    "select id from t where dt = date '2024-02-29'",
    "select id from t where dt between date '1990-01-01' and date '2001-01-01'",
    "select id from t where ts >= timestamp '2020-01-01 00:00:00'",
    "select id from t where ts < timestamp '1970-01-01 00:00:00'",
    "select id from t where d > 100.50",
    "select id from t where d >= 0",
    "select id from t where d = 0",
    "select id from t where d < -1000",
    "select id from t where f < 0.5",
    "select id from t where f = 0",
    "select id from t where f > -10.25 and f < 10.25",
    "select id from t where a > 2 or s like 'a%'",
    "select id from t where (a > 2 or b < 0) and not (flag or s = 'x')",
    "select id from t where a > 2 and a < 2",
    "select id from t where 1 = 0",
    "select id from t where true",
    "select id from t where null",
    "select id from t where id % 2 = 0",
    "select id from t where a + b > 100",
    "select id from t where a = b % 10",
    "select id from t where id in (1, 2, 3) or id > 38",
    "select id, v from u where v > 0",
    "select id from u where t_id is null",
    "select id, i8, i16 from sv where i8 > 0 and i16 < 100",
    "select id from sv where sv = 'alpha'",
    "select id from sv where ls = 'ALPHA'",
    "select id from sv where f32 > 2",
    "select id from fnan where x > 0",
    # NaN compares greater than every other value in DuckDB, including +inf
    "select id from fnan where x > 1e308",
    "select id from fnan where x = x",
    "select id from empty where a > 0",
]

DISTINCT = [
    "select distinct a from t",
    "select distinct s from t",
    "select distinct flag from t",
    "select distinct a, flag from t",
    "select distinct dt from t",
    "select distinct ts from t",
    "select distinct d from t",
    "select distinct f from t",
    "select distinct b % 10 from t",
    "select distinct a is null, flag from t",
    "select distinct * from (select a, flag from t) x",
    "select distinct t_id from u",
    "select distinct sv from sv",
    "select distinct ls from sv",
    "select distinct i8 from sv",
    # all NaNs are one value; 0.0 and -0.0 are one value
    "select distinct x from fnan",
    "select distinct a from empty",
    "select distinct a from t where a > 100",
]

LIMITS = [
    "select id from t order by id limit 5",
    "select id from t order by id limit 5 offset 3",
    "select id from t order by id desc limit 0",
    "select id from t order by id offset 38",
    "select id from t order by id limit 100",
    "select id from t order by id limit 3 offset 100",
    "select id, s from t order by s nulls first, id limit 7",
    "select distinct a from t order by a nulls first limit 3",
    "select distinct a from t order by a desc nulls last limit 4 offset 1",
    # LIMIT without ORDER BY: only the row count is deterministic
    "select count(*) from (select * from t limit 5) x",
    "select count(*) from (select * from t limit 100) x",
    "select count(*) from (select * from t limit 10 offset 35) x",
    "select * from (select id, b from t order by b desc, id limit 10) x where b > 0",
    "select id from empty order by id limit 3",
]

ORDER_BY = [
    "select id, a from t order by a, id",
    "select id, a from t order by a asc, id asc",
    # DuckDB's default is NULLS LAST for both ASC and DESC
    "select id, a from t order by a desc, id",
    "select id, a from t order by a nulls first, id",
    "select id, a from t order by a nulls last, id",
    "select id, a from t order by a desc nulls first, id",
    "select id, a from t order by a desc nulls last, id desc",
    "select id, a from t order by a asc nulls last, id desc",
    "select id, s from t order by s, id",
    "select id, s from t order by s desc, id",
    "select id, s from t order by s desc nulls first, id",
    "select id, f from t order by f, id",
    "select id, f from t order by f desc nulls first, id",
    "select id, d from t order by d, id",
    "select id, d from t order by d desc, id desc",
    "select id, dt from t order by dt, id",
    "select id, dt from t order by dt desc nulls first, id",
    "select id, ts from t order by ts, id",
    "select id, ts from t order by ts desc, id",
    "select id, flag from t order by flag, id",
    "select id, flag from t order by flag desc nulls first, id",
    "select id, a, b from t order by b + a, id",
    "select id, b from t order by -b, id",
    "select id, b from t order by b % 7, b, id",
    "select id, s from t order by lower(s), id",
    "select id, s from t order by length(s) desc, s, id",
    "select id, a from t order by case when a is null then 0 else 1 end, a desc, id",
    "select id, a from t order by a is null, a, id",
    # ordinals
    "select s, id from t order by 2 desc",
    "select s, id from t order by 1 nulls first, 2",
    "select a, b, id from t order by 1, 3 desc",
    # aliases
    "select id, a * 2 as x from t order by x desc nulls first, id",
    "select id as k from t order by k desc",
    # columns not in the select list
    "select s from t order by id",
    "select a from t order by b, id",
    "select id from t order by flag, a desc, id",
    "select id, s from t order by upper(s), s, id",
    "select id, t_id from u order by t_id nulls first, id",
    "select id, v from u order by v desc, id",
    "select id, sv from sv order by sv, id",
    "select id, ls from sv order by ls desc, id",
    "select id, i8 from sv order by i8, id",
    "select id, i16 from sv order by i16 desc nulls first, id",
    "select id, f32 from sv order by f32, id",
    # NaN sorts after +inf (and before NULL with NULLS LAST)
    "select id, x from fnan order by x, id",
    "select id, x from fnan order by x desc, id",
    "select id, y from fnan order by y nulls first, id",
    "select * from empty order by id",
    "select id from t where a > 100 order by id",
]


@pytest.mark.parametrize("sql", PROJECTIONS)
def test_projection(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", WHERE)
def test_where(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", DISTINCT)
def test_distinct(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", LIMITS)
def test_limit_offset(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", ORDER_BY)
def test_order_by(check, sql):
    check(sql)


def test_order_by_is_compared_in_order(check):
    out = check("select id from t order by id desc")
    assert out.column(0).to_pylist() == list(range(40, 0, -1))


def test_fetchall_matches_arrow(con):
    res = con.sql("select id, s from t where id <= 3 order by id")
    rows = res.fetchall()
    assert [tuple(r) for r in rows] == list(zip(*[c.to_pylist() for c in res.arrow().columns]))
    assert [r[0] for r in rows] == [1, 2, 3]


def test_empty_result_keeps_columns(con):
    out = con.sql("select id, s, d from t where 1 = 0").arrow()
    assert out.num_rows == 0
    assert out.num_columns == 3
