"""Joins: inner, left, right, full, cross, comma; equi and non-equi; NULL keys; multi-key; self; empty."""
import pytest

INNER = [
    "select t.id, u.id from t join u on t.id = u.t_id",
    "select t.id, u.id from t inner join u on t.id = u.t_id",
    "select t.id, t.s, u.id, u.s, u.v from t join u on t.id = u.t_id",
    "select t.id, u.id from t join u on u.t_id = t.id",
    "select * from t join u on t.id = u.t_id",
    "select t.id, u.id from t join u on t.id = u.t_id where u.v > 0",
    "select t.id, u.id from t join u on t.id = u.t_id and u.v > 0",
    "select t.id, u.id from t join u on t.id = u.t_id and t.flag",
    # int32 key against int64 key; NULLs on both sides never match
    "select t.id, u.id from t join u on t.a = u.t_id",
    "select t.id, u.id from t join u on t.a = u.a",
    # string keys, including the empty string
    "select t.id, u.id, t.s from t join u on t.s = u.s",
    "select t.id, u.id from t join u on t.id + 1 = u.t_id",
    "select t.id, u.id from t join u on t.id = u.t_id * 2",
    "select t.id, u.id from t join u on t.b % 40 = u.t_id",
    "select t.id, u.id from t join u on t.id = u.id and t.a = u.a",
    "select x.id, y.id from (select id, a * 2 as k from t) x join (select id, a + a as k from u) y on x.k = y.k",
    "select t.id, u.id from t join u on t.id = u.t_id order by t.id, u.id",
    "select t.id, u.id from t join u on t.id = u.t_id order by u.id desc limit 5",
]

NON_EQUI = [
    "select t.id, u.id from t join u on t.a > u.a",
    "select t.id, u.id from t join u on t.a < u.a and t.b > 0",
    "select t.id, u.id from t join u on t.d < u.v",
    "select t.id, u.id from t join u on t.b between u.a * 100 and u.a * 100 + 50",
    "select t.id, u.id from t join u on t.id = u.t_id and t.b > u.v",
    "select t.id, u.id from t join u on t.id = u.t_id and t.a <> u.a",
    "select t.id, u.id from t join u on t.id <> u.t_id and t.a = u.a",
    "select t.id, u.id from t join u on t.id = u.t_id or t.a = u.a",
    "select t.id, u.id from t join u on t.s < u.s and u.id < 5",
    "select t.id, u.id from t join u on t.id >= u.t_id and t.id <= u.t_id + 1",
    "select t.id, u.id from t left join u on t.a < u.a and u.v > 0",
    "select t.id, u.id from t left join u on t.id < u.t_id and u.t_id < 5",
    "select t.id, u.id from t right join u on t.a > u.a and t.id < 5",
    "select t.id, u.id from t full join u on t.a > u.a and t.id < 3",
]

LEFT = [
    "select t.id, u.id as uid, u.v from t left join u on t.id = u.t_id",
    "select t.id, u.id from t left outer join u on t.id = u.t_id",
    "select t.id, u.* from t left join u on t.id = u.t_id",
    # the ON filter keeps unmatched t rows ...
    "select t.id, u.id from t left join u on t.id = u.t_id and u.v > 0",
    # ... the WHERE filter removes them
    "select t.id, u.id from t left join u on t.id = u.t_id where u.v > 0",
    "select t.id from t left join u on t.id = u.t_id where u.id is null",
    "select t.id, u.id from t left join u on t.id = u.t_id and t.a > 0",
    "select t.id, u.id from t left join u on t.a = u.a",
    "select u.id, t.id from u left join t on u.t_id = t.id",
    "select u.id, t.s from u left join t on u.t_id = t.id and u.a = t.a",
    "select t.id, coalesce(u.v, 0) from t left join u on t.id = u.t_id",
    "select t.id, u.id from t left join u on t.id = u.t_id where t.id < 10 or u.v < 0",
    "select t.id, u.id from t left join u on 1 = 0",
    "select t.id, u.id from t left join u on t.id = u.t_id order by t.id, u.id nulls first",
]

RIGHT = [
    "select t.id, u.id from t right join u on t.id = u.t_id",
    "select t.id, u.id from t right outer join u on t.id = u.t_id",
    "select t.id, t.s, u.id, u.s from t right join u on t.s = u.s",
    "select t.id, u.id from t right join u on t.id = u.t_id and t.b > 0",
    "select t.id, u.id from t right join u on t.id = u.t_id where t.id is null",
    "select t.id, u.id from t right join u on t.a = u.a and t.id = u.t_id",
    "select t.id, u.id from t right join u on t.id = u.t_id order by u.id, t.id",
]

FULL = [
    "select t.id, u.id from t full join u on t.id = u.t_id",
    "select t.id, u.id from t full outer join u on t.id = u.t_id",
    "select t.id, u.id from t full join u on t.a = u.a",
    "select t.id, t.s, u.id, u.s from t full join u on t.s = u.s",
    # residual condition in a full join: non-matching rows of both sides survive
    "select t.id, u.id from t full join u on t.id = u.t_id and u.v > 0",
    "select t.id, u.id from t full join u on t.id = u.t_id and t.a = u.a",
    "select t.id, u.id from t full join u on t.id = u.t_id where t.id is null or u.id is null",
    "select coalesce(t.id, u.t_id) as k, t.b, u.v from t full join u on t.id = u.t_id",
    "select t.id, u.id from t full join u on 1 = 0",
    "select count(*), count(t.id), count(u.id) from t full join u on t.id = u.t_id",
    "select t.id, u.id from t full join u on t.id = u.t_id order by t.id nulls first, u.id nulls first",
]

CROSS = [
    "select t.id, u.id from t cross join u",
    "select count(*) from t cross join u",
    "select t.id, u.id from t cross join u where t.id = u.t_id",
    "select t.id, u.id from t cross join u where t.a < u.a and u.id < 4",
    "select t.id, u.id from t, u where t.id = u.t_id",
    "select t.id, u.id from t, u where t.id = u.t_id and u.v > 0 and t.b < 500",
    "select t.id, u.id from t, u where t.a = u.a and t.id < u.id",
    "select x.id, y.id from t x, t y where x.id = y.id + 1",
    "select t.id, u.id, w.id from t, u, u w where t.id = u.t_id and u.a = w.a",
    "select t.id, x.c from t, (select count(*) as c from u) x",
    "select t.id, u.id from t, u where t.id < 3 and u.id < 3",
]

SELF = [
    "select x.id, y.id from t x join t y on x.a = y.a and x.id < y.id",
    "select x.id, y.id from t x join t y on x.s = y.s and x.id <> y.id",
    "select x.id, y.id from t x left join t y on x.id = y.id + 1",
    "select x.id, y.id from t x join t y on x.dt = y.dt and x.id < y.id",
    "select x.id, y.id from t x join t y on x.d = y.d and x.id < y.id",
    "select x.id, y.id from t x join t y on x.ts = y.ts and x.flag = y.flag and x.id < y.id",
    "select x.id, y.id from t x full join t y on x.id = y.a",
    "select x.id, y.id from u x join u y on x.t_id = y.t_id and x.id < y.id",
    # NaN matches NaN and 0.0 matches -0.0 in DuckDB equality joins
    "select p.id, q.id from fnan p join fnan q on p.x = q.x",
    "select p.id, q.id from sv p join sv q on p.sv = q.sv and p.id < q.id",
    "select p.id, q.id from sv p join sv q on p.ls = upper(q.sv)",
    "select p.id, q.id from sv p join sv q on p.i8 = q.i16",
]

MULTI = [
    "select t.id, u.id from t join u on t.id = u.t_id and t.a = u.a",
    "select t.id, u.id from t left join u on t.id = u.t_id and t.a = u.a",
    "select t.id, u.id from t full join u on t.id = u.t_id and t.a = u.a",
    "select t.id, u.id from t join u on t.a = u.a and t.s = u.s",
    # NULL keys match with IS NOT DISTINCT FROM
    "select t.id, u.id from t join u on t.a is not distinct from u.a",
    "select t.id, u.id from t join u on t.id = u.t_id and t.a is not distinct from u.a",
    "select t.id, u.id from t left join u on t.a is not distinct from u.a and t.id < u.id",
]

MULTIWAY = [
    "select t.id, u.id, t2.id from t join u on t.id = u.t_id join t t2 on u.a = t2.a",
    "select t.id, u.id, t2.id from t left join u on t.id = u.t_id left join t t2 on u.a = t2.a",
    "select t.id, u.id, t2.id from t join u on t.id = u.t_id left join t t2 on u.t_id = t2.id + 1",
    "select t.id, u.id, u2.id from t left join u on t.id = u.t_id full join u u2 on u.id = u2.id + 10",
    "select t.s, count(u.id) from t left join u on t.id = u.t_id group by t.s",
    "select t.id, x.total from t join (select t_id, sum(v) as total from u group by t_id) x on t.id = x.t_id",
    "select t.id, x.n from t left join (select a, count(*) as n from u group by a) x on t.a = x.a",
    "select a.k, b.k from (select distinct a as k from t) a full join (select distinct a as k from u) b on a.k = b.k",
    "select t.id from t join u on t.id = u.t_id join empty e on e.id = t.id",
]

EMPTY = [
    "select t.id, e.id from t join empty e on t.id = e.id",
    "select t.id, e.id from t left join empty e on t.id = e.id",
    "select t.id, e.id from empty e right join t on t.id = e.id",
    "select t.id, e.id from t full join empty e on t.id = e.id",
    "select t.id, e.id from empty e full join t on t.id = e.id",
    "select t.id, e.id from t cross join empty e",
    "select t.id, e.id from t, empty e",
    "select e.id, t.id from empty e left join t on t.id = e.id",
    "select e.id, t.id from empty e join t on e.a < t.a",
    "select count(*) from t left join empty e on t.a > e.a",
    "select t.id from t join u on t.id = u.t_id where u.id < 0",
]


@pytest.mark.parametrize("sql", INNER)
def test_inner(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", NON_EQUI)
def test_non_equi(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", LEFT)
def test_left(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", RIGHT)
def test_right(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", FULL)
def test_full(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", CROSS)
def test_cross_and_comma(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", SELF)
def test_self(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", MULTI)
def test_multi_key(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", MULTIWAY)
def test_multiway(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", EMPTY)
def test_with_empty(check, sql):
    check(sql)


def test_null_keys_never_match(check):
    out = check("select count(*) from t join u on t.a = u.a where t.a is null or u.a is null")
    assert out.column(0).to_pylist() == [0]
