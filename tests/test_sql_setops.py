"""Set operations: UNION, UNION ALL, INTERSECT, EXCEPT (NULLs compare equal here; duplicates)."""
import pytest

UNION = [
    # UNION removes duplicates; all NULLs collapse to one row
    "select a from t union select a from u",
    "select a from t union all select a from u",
    "select s from t union select s from u",
    "select s from t union all select s from u",
    "select a, flag from t union select a, null from u",
    "select b from t union all select b from t",
    "select b from t union select b from t",
    "select 1 union select 1 union select null",
    "select 1 union all select 1 union all select null",
    "select null union select null",
    # int32 with int64, int with decimal: the wider type wins
    "select a from t union all select t_id from u",
    "select a from t union select v from u",
    "select d from t union select v from u",
    "select id, s from t where id < 5 union all select id, s from u where id < 5",
    "select dt from t union select dt from t where dt is null",
    "select ts from t union select ts from t",
    "select f from t union select f from t",
    "select sv from sv union select ls from sv",
    "select i8 from sv union select i16 from sv",
    "select x from fnan union select x from fnan",
    "select a from t where a > 5 union select a from u where a < 0 union select a from t where a is null",
    "select a from t union select a from u order by a nulls first",
    "select a from t union select a from u order by 1 desc",
    "select id from t union all select id from u order by id limit 10",
    "select id from t union all select id from u order by id desc limit 7 offset 2",
    "select count(*) from (select s from t union select s from u) x",
    "select count(*) from (select s from t union all select s from u) x",
]

INTERSECT = [
    # set semantics: NULL matches NULL, result is distinct
    "select a from t intersect select a from u",
    "select s from t intersect select s from u",
    "select b from t intersect select b from t",
    "select a, flag from t intersect select a, true from u",
    "select t_id from u intersect select id from t",
    "select d from t intersect select d from t where d > 0",
    "select a from t intersect select a from u order by a nulls first",
    "select a from t intersect select a from empty",
    "select x from fnan intersect select x from fnan where id > 6",
]

EXCEPT = [
    "select a from t except select a from u",
    "select a from u except select a from t",
    "select s from t except select s from u",
    # EXCEPT is distinct and removes every copy
    "select b from t except select b from t where b > 0",
    "select a from t except select a from empty",
    "select a from empty except select a from t",
    "select id from t except select t_id from u",
    "select a, flag from t except select a, flag from t where flag",
    "select a from t except select a from u where a is not null",
    "select s from t except select s from t where s is null",
    "select a from t except select a from u order by a nulls first",
]

COMBINED = [
    # INTERSECT binds tighter than UNION / EXCEPT
    "select a from t union select a from u intersect select a from t where a > 5",
    "select a from t except select a from u union select a from t where a > 8",
    "select a from t union select a from u except select a from t where a > 5",
    "(select a from t except select a from u) union all (select 100)",
    "(select a from t union select a from u) intersect (select a from t where b > 0)",
    "select a from empty union all select a from empty",
    "select a from t union all select a from empty",
    "with x as (select a from t union select a from u) select count(*), count(a) from x",
    "select id from t where a in (select a from u intersect select a from t where b < 0)",
    "select k, count(*) from (select a as k from t union all select a from u) x group by k",
    "select * from (select a, s from t union select a, s from u) x where a > 0",
]


@pytest.mark.parametrize("sql", UNION)
def test_union(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", INTERSECT)
def test_intersect(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", EXCEPT)
def test_except(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", COMBINED)
def test_combined(check, sql):
    check(sql)


def test_union_collapses_nulls(check):
    out = check("select a from t union select a from u")
    assert out.column(0).to_pylist().count(None) == 1
