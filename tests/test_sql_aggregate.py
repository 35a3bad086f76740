"""Aggregation: GROUP BY, HAVING, count/sum/avg/min/max, variance family, bool_and/bool_or."""
import pytest

GLOBAL = [
    "select count(*) from t",
    "select count(a), count(f), count(s), count(dt), count(flag) from t",
    "select count(distinct a), count(distinct s), count(distinct dt), count(distinct flag) from t",
    "select count(distinct b), count(distinct d), count(distinct ts) from t",
    "select sum(a), sum(b), sum(d), sum(f) from t",
    "select avg(a), avg(b), avg(d), avg(f) from t",
    "select min(a), max(a), min(b), max(b) from t",
    "select min(d), max(d), min(f), max(f) from t",
    # binary (code point) order: '' is the smallest string
    "select min(s), max(s) from t",
    "select min(dt), max(dt), min(ts), max(ts) from t",
    "select sum(distinct b), count(distinct a + b) from t",
    "select sum(a * b), sum(d * 2), sum(b) * 2, count(*) + 1 from t",
    "select avg(b) * 2, sum(b) / count(*), max(b) - min(b) from t",
    "select sum(case when flag then 1 else 0 end), sum(case when a > 0 then b end) from t",
    "select count(*) from t where a > 3",
    "select count(*), sum(v), avg(v), min(v), max(v) from u",
    "select count(t_id), count(distinct t_id) from u",
    "select min(sv), max(sv), min(ls), max(ls), count(sv), count(distinct ls) from sv",
    "select sum(i8), sum(i16), min(i8), max(i16), avg(i8), avg(f32), sum(f32) from sv",
    "select count(*), count(x), min(x), max(x) from fnan",
    "select min(y), max(y), count(distinct x) from fnan",
    "select sum(x) from fnan where id in (1, 6, 9, 10, 12)",
    # any NaN in the input makes sum/avg NaN; +inf and -inf together also give NaN
    "select sum(x), avg(x) from fnan",
    "select count(*) from (select a from t group by a) x",
]

VARIANCE = [
    "select stddev(b), stddev_samp(b), stddev_pop(b) from t",
    "select variance(b), var_samp(b), var_pop(b) from t",
    "select stddev(a), stddev_pop(a), var_samp(a), var_pop(a) from t",
    "select stddev(f), stddev_samp(f), stddev_pop(f), variance(f), var_samp(f), var_pop(f) from t",
    "select stddev(d), stddev_pop(d), var_samp(d), var_pop(d) from t",
    "select stddev(v), var_pop(v) from u",
    "select stddev(i8), var_pop(i16), stddev_samp(f32) from sv",
    # one row: sample statistics are NULL, population statistics are 0
    "select stddev_samp(b), var_samp(b), stddev_pop(b), var_pop(b) from t where id = 1",
    "select stddev(b), variance(b), var_pop(b) from empty",
    "select flag, stddev(b), var_samp(b), stddev_pop(f), var_pop(d) from t group by flag",
    "select a, stddev_samp(b), var_pop(b) from t group by a",
    "select s, stddev(f), variance(b) from t group by s",
]

BOOL = [
    "select bool_and(flag), bool_or(flag) from t",
    "select bool_and(b > 0), bool_or(b > 0), bool_and(b > -2000), bool_or(b > 5000) from t",
    "select a, bool_and(flag), bool_or(flag) from t group by a",
    "select s, bool_and(a > 0), bool_or(a > 5) from t group by s",
    "select bool_and(flag), bool_or(flag) from t where flag is null",
    "select bool_and(flag), bool_or(flag) from empty",
]

GROUP_BY = [
    "select a, count(*), sum(b) from t group by a",
    "select a, count(*) from t group by a",
    "select count(*) from t group by a",
    "select s, count(*), min(id), max(id) from t group by s",
    "select s, flag, count(*), sum(d) from t group by s, flag",
    "select flag, count(*), count(a), sum(a), avg(f) from t group by flag",
    "select dt, count(*), min(ts) from t group by dt",
    "select ts, count(*) from t group by ts",
    "select d, count(*) from t group by d",
    "select f, count(*) from t group by f",
    "select b, sum(a), count(distinct s) from t group by b",
    "select a, flag, min(s), max(s) from t group by a, flag",
    "select a % 3, count(*) from t group by a % 3",
    "select a % 3 as k, count(*) from t group by a % 3",
    # grouping by an output alias (DuckDB extension, widely supported)
    "select a % 3 as k, sum(b) from t group by k",
    "select b > 0, count(*) from t group by b > 0",
    "select a is null, count(*), sum(b) from t group by a is null",
    "select extract(year from dt) as y, count(*) from t group by extract(year from dt)",
    "select length(s), count(*) from t group by length(s)",
    "select case when b > 0 then 'pos' when b < 0 then 'neg' end, count(*) from t group by 1",
    "select upper(s), count(*), count(distinct s) from t group by upper(s)",
    "select a + 1, sum(b) from t group by a + 1",
    # ordinals
    "select s, count(*) from t group by 1",
    "select s, flag, count(*) from t group by 1, 2",
    "select flag, a, sum(b) from t group by 2, 1",
    "select a, sum(b) / count(*), avg(b) from t group by a",
    "select a, sum(d) / 2, sum(d) * 3, sum(d) - min(d) from t group by a",
    "select a, count(distinct flag), count(distinct s), count(distinct dt) from t group by a",
    "select t_id, count(*), sum(v), avg(v), min(s), max(s) from u group by t_id",
    "select a, sum(v), min(v) from u group by a",
    "select sv, count(*), sum(i8) from sv group by sv",
    "select ls, count(*), max(f32) from sv group by ls",
    "select i8 % 2, sum(i16), avg(f32) from sv group by i8 % 2",
    # all NaNs form one group; 0.0 and -0.0 form one group
    "select x, count(*) from fnan group by x",
    "select g, count(*), count(x), min(x), max(x), min(y), max(y) from fnan group by g",
    "select g, sum(x), avg(y) from fnan where x is null or x between -5 and 5 group by g",
    "select id, count(*) from t group by id",
    "select a, count(*) from t group by a order by a nulls first",
    "select a, count(*) from t group by a order by count(*) desc, a nulls first",
    "select s, sum(b) from t group by s order by sum(b) desc, s nulls last",
    "select s, sum(b) as total from t group by s order by total, s",
    "select a, max(b) from t group by a order by 2 desc, 1",
    "select flag, a, count(*) from t group by flag, a order by flag nulls first, a nulls first",
]

HAVING = [
    "select a, count(*) from t group by a having count(*) > 2",
    "select a, sum(b) from t group by a having sum(b) > 0 and min(id) < 10",
    "select s from t group by s having max(b) > 500",
    "select a, count(*) from t group by a having a > 0",
    "select a, count(*) from t group by a having a is null or count(*) = 1",
    "select flag, avg(b) from t group by flag having avg(b) > 0",
    "select s, count(*) from t group by s having count(distinct flag) > 1",
    "select s, min(dt) from t group by s having min(dt) < date '2000-01-01'",
    "select s, sum(d) from t group by s having sum(d) > 1000.00",
    "select a from t group by a having sum(f) is null",
    "select a, count(*) from t group by a having false",
    "select count(*) from t having count(*) > 5",
    "select count(*) from t having count(*) > 500",
    "select a, count(*) as c from t group by a having count(*) > 1 order by c desc, a nulls first",
]

EMPTY_AND_NULL = [
    # global aggregates over no rows give one row
    "select count(*), count(a), sum(a), avg(a), min(a), max(a) from empty",
    "select sum(d), avg(d), min(s), max(s), min(dt), max(ts) from empty",
    "select count(distinct a), sum(f), min(flag) from empty",
    "select count(*), sum(b), max(s) from t where 1 = 0",
    "select count(*), sum(b) from t where a > 1000",
    # grouped aggregates over no rows give no rows
    "select a, count(*) from empty group by a",
    "select a, sum(b) from t where 1 = 0 group by a",
    # groups whose values are all NULL
    "select b, sum(a), count(a), avg(a), min(a), max(f) from t where a is null group by b",
    "select flag, sum(d), min(s) from t where d is null group by flag",
    "select sum(a), count(a), count(*) from t where a is null",
    "select t_id, sum(v), count(v) from u where v is null group by t_id",
    "select a, sum(a), max(s), count(s) from t where s is null group by a",
]


@pytest.mark.parametrize("sql", GLOBAL)
def test_global(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", VARIANCE)
def test_variance(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", BOOL)
def test_bool_aggs(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", GROUP_BY)
def test_group_by(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", HAVING)
def test_having(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", EMPTY_AND_NULL)
def test_empty_and_null_groups(check, sql):
    check(sql)


def test_empty_global_aggregate_is_one_row(check):
    out = check("select count(*), sum(a) from empty")
    assert out.num_rows == 1
    assert out.column(0).to_pylist() == [0]
    assert out.column(1).to_pylist() == [None]


def test_empty_grouped_aggregate_is_no_rows(check):
    assert check("select a, count(*) from empty group by a").num_rows == 0
