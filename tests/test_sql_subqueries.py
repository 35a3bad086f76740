"""Subqueries: CTEs, derived tables, scalar (correlated or not), IN / NOT IN, EXISTS / NOT EXISTS."""
import pytest

CTE = [
    "with x as (select id, a, b from t where a > 0) select * from x",
    "with x as (select id, a from t) select a, count(*) from x group by a",
    "with x as (select a, count(*) as c from t group by a), y as (select max(c) as m from x) "
    "select x.a from x, y where x.c = y.m",
    "with x as (select id, b from t where b > 0) select p.id, q.id from x p join x q on p.b = q.b and p.id < q.id",
    "with x(k, n) as (select a, count(*) from t group by a) select k, n from x where n > 1",
    "with x as (select * from t where flag) select count(*), sum(b) from x",
    "with x as (select t_id from u where v > 0) select id from t where id in (select t_id from x)",
    "with x as (select id, s from t), y as (select id, s from x where s like 'a%') select * from y",
    "with x as (select 1 as one) select one + 1 from x",
    # a CTE shadows a registered table of the same name
    "with t as (select id, s from u where id < 5) select * from t",
    "with x as (select a, b from t) select * from x order by b desc, a nulls first",
    "with x as (select * from empty) select count(*) from x",
]

DERIVED = [
    "select * from (select id, a * 2 as a2 from t) sub where a2 > 4",
    "select max(c) from (select a, count(*) as c from t group by a) z",
    "select z.a, z.c from (select a, count(*) as c from t group by a) z where z.c > 1",
    "select k, count(*) from (select case when b > 0 then 'p' else 'n' end as k from t) x group by k",
    "select * from (select * from (select id, s from t where id > 5) x where id < 20) y where s is not null",
    "select x.id, y.id from (select id, a from t where a > 3) x join (select id, a from u) y on x.a = y.a",
    "select avg(total) from (select t_id, sum(v) as total from u group by t_id) x",
    "select * from (select distinct s from t) x where s <> ''",
    "select * from (select id, b from t order by b, id limit 5) x",
    "select count(*) from (select 1 from t where a > 0) x",
    "select x.id, x.total from (select t.id, sum(u.v) as total from t join u on t.id = u.t_id group by t.id) x",
]

SCALAR = [
    "select id from t where b > (select avg(b) from t)",
    "select id, (select max(v) from u) from t",
    "select id, b - (select min(b) from t) from t",
    "select (select count(*) from t) + (select count(*) from u)",
    "select id from t where a = (select max(a) from u)",
    # an empty scalar subquery is NULL
    "select id, (select a from empty where id = 1) from t",
    "select id from t where b > (select max(b) from empty)",
    "select s, count(*) from t group by s having count(*) >= (select count(*) from t where id < 3)",
    "select a, count(*) from t group by a having count(*) > (select count(*) from u where t_id is null)",
    "select id, (select sum(v) from u where t_id = 1) as x from t where id < 5",
]

CORRELATED = [
    "select id, (select count(*) from u where u.t_id = t.id) from t",
    # no matching row: max() is NULL, count() is 0
    "select id, (select max(v) from u where u.t_id = t.id) from t",
    "select id from t where b > (select avg(b) from t t2 where t2.a = t.a)",
    "select id, (select sum(v) from u where u.t_id = t.id) + t.d from t",
    "select id, (select count(*) from u where u.t_id < t.id) from t",
    "select id, (select min(u.id) from u where u.a > t.a) from t",
    "select id, (select max(u.v) from u where u.a = t.a and u.t_id <> t.id) from t",
    "select id from t where 2 <= (select count(*) from u where u.a = t.a)",
    "select u.id, (select t.s from t where t.id = u.t_id) from u",
    "select id from t where b = (select max(b) from t t2 where t2.s = t.s)",
    "select id, (select count(*) from t t2 where t2.b > t.b) as rnk from t",
    "select a, sum(b) from t group by a having sum(b) > (select sum(v) from u where u.a = t.a)",
    "select id, (select count(*) from u where u.s = t.s and u.v > 0) from t order by id",
]

IN_SUBQ = [
    "select id from t where id in (select t_id from u)",
    "select id from t where a in (select a from u)",
    "select id from t where s in (select s from u)",
    "select id from t where id in (select t_id from u where v > 0)",
    "select id from t where a in (select a from u where u.t_id = t.id)",
    "select id from t where id in (select t_id from u where a in (select a from t where b > 0))",
    "select id from t where (a + 1) in (select a from u)",
    "select id from t where id in (select id from empty)",
    # IN as a value: TRUE, FALSE or NULL (NULL when no match and the subquery has a NULL)
    "select id, a in (select a from u) from t",
    "select id, id in (select t_id from u) from t",
    "select id, a in (select a from u where a is not null) from t",
]

NOT_IN = [
    # u.t_id contains NULL, so NOT IN is never TRUE: no rows
    "select id from t where id not in (select t_id from u)",
    "select id from t where id not in (select t_id from u where t_id is not null)",
    # a NULL on the left side is never NOT IN a non-empty set
    "select id from t where a not in (select a from u where a is not null)",
    # ... but anything, even NULL, is NOT IN an empty set
    "select id from t where a not in (select a from empty)",
    "select id, a not in (select a from u where id < 10) from t",
    "select id, a not in (select a from u where a is not null and id < 10) from t",
    "select id, s not in (select s from u) from t",
    "select id from t where s not in (select s from u where s is not null)",
    "select id from u where t_id not in (select id from t)",
    "select id from u where t_id not in (select id from t where a > 0)",
    "select id from t where not (a in (select a from u where a is not null))",
]

EXISTS = [
    "select id from t where exists (select 1 from u where u.t_id = t.id)",
    "select id from t where not exists (select 1 from u where u.t_id = t.id)",
    "select id from t where exists (select * from u where u.a = t.a and u.v > 0)",
    "select id from t where not exists (select * from u where u.a = t.a)",
    "select id from t where exists (select 1 from empty)",
    "select id from t where not exists (select * from empty)",
    "select id from t where exists (select 1 from u where v > 4000)",
    "select id from t where exists (select 1 from u where u.v > t.d)",
    "select id from t where exists (select 1 from u where u.t_id = t.id and u.v > t.b)",
    "select id from t where exists (select 1 from u where u.t_id = t.id and u.id <> t.id)",
    "select id from t where not exists (select 1 from u where u.t_id = t.id and (u.id > t.id or u.id in (1, 2)))",
    "select id from t where not exists (select 1 from u where u.t_id < t.id and u.a >= t.a)",
    "select id from t where exists (select 1 from u where u.t_id = t.id) or a > 5",
    "select id from t where exists (select 1 from u where u.t_id = t.id) and not exists (select 1 from u where u.a = t.a)",
    "select id, exists (select 1 from u where u.t_id = t.id) from t",
    "select id, not exists (select 1 from u where u.s = t.s) from t",
    "select u.id from u where exists (select 1 from t where t.id = u.t_id and t.flag)",
    "select a, count(*) from t where exists (select 1 from u where u.a = t.a) group by a",
]


@pytest.mark.parametrize("sql", CTE)
def test_cte(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", DERIVED)
def test_derived(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", SCALAR)
def test_scalar(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", CORRELATED)
def test_correlated(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", IN_SUBQ)
def test_in(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", NOT_IN)
def test_not_in(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", EXISTS)
def test_exists(check, sql):
    check(sql)


def test_not_in_with_null_in_subquery_is_empty(check):
    assert check("select id from t where id not in (select t_id from u)").num_rows == 0


def test_not_in_empty_keeps_null_rows(check):
    out = check("select count(*) from t where a not in (select a from empty)")
    assert out.column(0).to_pylist() == [40]
