"""Scalar expressions: CASE, CAST, COALESCE/NULLIF, NULL logic, arithmetic, comparisons,
LIKE, string functions, dates, timestamps and intervals."""
import pytest

CASE = [
    "select id, case when a > 5 then 'big' when a > 0 then 'small' else 'neg' end from t",
    # no ELSE: NULL when nothing matches
    "select id, case when a > 5 then 'big' when a > 0 then 'small' end from t",
    "select id, case a when 1 then 'one' when 2 then 'two' else 'other' end from t",
    # simple CASE never matches a NULL operand
    "select id, case a when null then 'null' else 'not' end from t",
    "select id, case s when '' then 'empty' when 'apple' then 'fruit' end from t",
    "select id, case flag when true then 1 when false then 0 else -1 end from t",
    "select id, case when flag then a else b end from t",
    "select id, case when flag then d else 0 end from t",
    "select id, case when flag then f else a end from t",
    "select id, case when a is null then 0 else a end from t",
    "select id, case when a > 0 then case when b > 0 then 'pp' else 'pn' end else 'n' end from t",
    "select case when null then 1 else 2 end",
    "select id, case when a > 0 then d * 2 when a < 0 then d end from t",
    "select id, case when dt < date '2000-01-01' then 'old' else 'new' end from t",
    "select id from t where case when a > 3 then b > 0 else flag end",
    "select case when a > 5 then 'hi' else 'lo' end, count(*) from t group by 1",
    "select id, case when b % 2 = 0 then s else upper(s) end from t",
]

CAST = [
    "select id, cast(a as bigint), cast(b as integer), cast(a as double), cast(b as double) from t",
    "select id, a::bigint, b::double, d::double from t",
    "select id, cast(d as double), cast(f as double) from t",
    # DECIMAL -> INTEGER rounds half away from zero
    "select id, cast(d as integer), cast(d as bigint) from t",
    "select cast(12.5 as integer), cast(-12.5 as integer), cast(13.5 as integer), cast(0.49 as integer)",
    # DOUBLE -> INTEGER rounds half to even
    "select id, f, cast(f as integer), cast(f as bigint) from t",
    "select cast(2.5::double as integer), cast(3.5::double as integer), cast(-2.5::double as bigint)",
    "select id, cast(a as decimal(10, 2)), cast(b as decimal(12, 3)) from t",
    "select id, cast(f as decimal(12, 2)), cast(f as decimal(10, 1)) from t",
    "select id, cast(d as decimal(18, 4)), cast(d as decimal(12, 1)), cast(d as decimal(15, 0)) from t",
    "select cast(1.25 as decimal(10, 1)), cast(-1.25 as decimal(10, 1)), cast(1.35 as decimal(10, 1))",
    "select id, cast(a as varchar), cast(b as varchar), cast(id as varchar) from t",
    # DECIMAL -> VARCHAR keeps the scale ('-0.10', '5.00')
    "select id, cast(d as varchar) from t",
    "select id, cast(dt as varchar), cast(flag as varchar) from t",
    "select id, cast(f as varchar) from t where f = 2 or f = -115.5 or f is null",
    "select cast('123' as integer), cast('-7' as bigint), cast('1.25' as decimal(10, 2)), cast('1.5' as double)",
    "select cast('12.345' as decimal(10, 2)), cast('2024-02-29' as date), cast('2020-06-15 08:00:00' as timestamp)",
    "select id, cast(ts as date), cast(dt as timestamp) from t",
    "select id, cast(cast(a as varchar) as integer), cast(cast(d as varchar) as decimal(15, 2)) from t",
    "select id, cast(cast(dt as varchar) as date) from t",
    "select id, cast(i8 as integer) + 200, cast(i16 as bigint) * 100000, cast(f32 as double) from sv",
    "select id, cast(sv as varchar), cast(ls as varchar) from sv",
    "select id, cast(flag as integer) from t",
    "select id from t where cast(b as varchar) like '-%'",
]

COALESCE_NULLIF = [
    "select id, coalesce(a, 0) from t",
    "select id, coalesce(a, b) from t",
    "select id, coalesce(s, 'none') from t",
    "select id, coalesce(f, a, 0) from t",
    "select id, coalesce(null, a), coalesce(a, null) from t",
    "select id, coalesce(dt, date '1900-01-01'), coalesce(ts, timestamp '1900-01-01 00:00:00') from t",
    "select id, coalesce(d, 0), coalesce(d, a), coalesce(d, f) from t",
    "select id, coalesce(flag, false) from t",
    "select coalesce(null, null, 3), coalesce(1, 2), coalesce(null, 'x')",
    "select t.id, coalesce(u.v, t.d, 0) from t left join u on t.id = u.t_id",
    "select id, nullif(a, 0), nullif(s, ''), nullif(a, b) from t",
    "select id, nullif(d, 0), nullif(flag, true) from t",
    "select nullif(1, 1), nullif(1, 2), nullif(null, 1)",
    "select id, coalesce(nullif(a, 0), -1) from t",
]

NULL_LOGIC = [
    "select id, a is null, a is not null, s is null, flag is not null from t",
    "select id, a is distinct from 3, a is not distinct from 3 from t",
    "select id, a is distinct from null, a is not distinct from null from t",
    "select id, s is distinct from 'apple', flag is not distinct from true from t",
    "select id, a is distinct from b, d is not distinct from 0 from t",
    "select null = null, null is distinct from null, 1 is distinct from null, 1 is not distinct from 1",
    "select id from t where a is distinct from 5",
    "select id from t where a is not distinct from null",
    # three-valued AND / OR / NOT
    "select id, a > 0 and flag, a > 0 or flag, not (a > 0), not flag from t",
    "select id, flag and null, flag or null, null and false, null or true from t",
    "select id, (a > 0) is null, (a > 0 and flag) is null from t",
    "select id, flag and not flag, flag or not flag from t",
    "select id from t where not (a > 0 and flag)",
    "select id from t where not (a > 0 or flag)",
    "select id from t where (a > 0) = flag",
    "select true and null, false and null, true or null, false or null, not null",
    "select id, a in (1, 2, null), a not in (1, 2, null) from t",
    "select id, a in (1, 2), a not in (1, 2) from t",
    "select id from t where a in (1, 2, null)",
    # NOT IN with a NULL in the list is never TRUE
    "select id from t where a not in (1, 2, null)",
    "select id from t where a not in (1, 2)",
    "select id, s in ('apple', null), s not in ('apple', 'x') from t",
    "select id, b in (a, 91, null) from t",
    "select 1 in (1, null), 2 in (1, null), 2 not in (1, null), null in (1, 2)",
]

ARITHMETIC = [
    "select id, a + b, a - b, a * b from t",
    # / on integers gives DOUBLE
    "select id, a / 2, b / 3, b / a, a / b from t",
    "select 7 / 2, -7 / 2, 1 / 3, 10 / 5",
    # // truncates toward zero; % takes the sign of the dividend
    "select 7 // 2, -7 // 2, 7 // -2, -7 // -2, 7 % 3, -7 % 3, 7 % -3, -7 % -3",
    "select id, b // 7, b % 7, -b // 7, -b % 7 from t",
    "select id, b // nullif(a, 0), b % nullif(a, 0) from t",
    "select id, a // 3, a % 3 from t",
    # division by zero with / is IEEE: +-inf or NaN, not an error
    "select id, b / (a - a) from t",
    "select id, f / 0, d / 0 from t",
    "select id, b / 0.5, a * 1.0, b * 1.5 from t",
    "select id, (a + b) * 2, a - b * 2, a + b * 2 - 1 from t",
    "select id, f * 2, f + a, f - b, f / 4, f * f from t",
    "select id, f % 2, -f % 2 from t",
    "select id, d + 1, d - 0.01, d * 2, d * 1.5, d / 4 from t",
    "select id, d + d, d - d, d * d from t",
    "select id, d * a, d * b, d + a, d - b from t",
    "select id, d + f, d * f from t",
    "select id, d % 3, -d % 3, d % 0.5 from t",
    "select id, d / nullif(a, 0) from t",
    "select t.id, u.id, t.d + u.v, t.d - u.v, t.d * u.v from t join u on t.id = u.t_id",
    "select 0.1 + 0.2, 0.1 * 3, 1.005 * 1000, 123456789.123 + 0.877",
    "select 2 + 3 * 4, (2 + 3) * 4, 2 * 3 % 4, 2 - 3 - 4, 100 / 10 / 2",
    "select id, -a, -d, -f, - (a + b) from t",
    "select id, i16 * 10, i16 // 3, i8 % 5, f32 * 2, f32 / 2 from sv where i16 between -3000 and 3000",
    "select id, i8 + i16, f32 + i8, f32 * f32 from sv where i16 between -32000 and 32000",
    "select id, x + 1, x * 2, x - x from fnan",
]

COMPARISON = [
    "select id, a = 3, a <> 3, a < 3, a <= 3, a > 3, a >= 3 from t",
    "select id, a < d, b = f, d = 0.5, f > d from t",
    "select id, s > 'm', s < 'B', s = '', s >= 'apple' from t",
    "select id, dt < date '2000-01-01', dt = date '2024-02-29', dt >= date '2023-01-31' from t",
    "select id, ts > timestamp '2000-01-01 00:00:00', ts <= timestamp '1970-01-01 00:00:00' from t",
    # DATE compares to TIMESTAMP as midnight of that day
    "select id, dt < ts, dt = ts, cast(dt as timestamp) <= ts from t",
    "select id, flag = true, flag < true, flag <> false from t",
    "select id, a between 1 and 5, a not between 1 and 5 from t",
    # BETWEEN is not symmetric
    "select id, a between 5 and 1 from t",
    "select id, a between null and 5, b between -100 and null from t",
    "select id, s between 'a' and 'c', dt between date '1995-01-01' and date '2005-12-31' from t",
    "select id, d between -100 and 100.5, f between -10.25 and 10 from t",
    "select id, a = b, a < b, b >= a from t",
    "select id, x = x, x < 1, x > 1, x = 'nan'::double from fnan",
    "select id, sv = ls, sv < ls, lower(ls) = sv from sv",
    "select id, i8 = i16, i8 < f32, i16 > 100 from sv",
]

LIKE = [
    "select id, s from t where s like 'a%'",
    "select id, s from t where s like '%a'",
    "select id, s from t where s like '%an%'",
    "select id, s from t where s like '_'",
    "select id, s from t where s like '__%'",
    # _ is a wildcard, so 'a_b' matches 'a_b' (and would match 'axb')
    "select id, s from t where s like 'a_b'",
    "select id, s from t where s like '%'",
    "select id, s from t where s like ''",
    "select id, s from t where s like '50%'",
    "select id, s from t where s like 'ñ%'",
    "select id, s from t where s like '%é'",
    "select id, s from t where s like 'apple'",
    "select id, s from t where s not like '%a%'",
    "select id, s from t where s ilike 'APPLE%'",
    "select id, s from t where s ilike '%BAN%'",
    "select id, s from t where s ilike 'ÑANDÚ'",
    "select id, s from t where s not ilike 'b%'",
    "select id, s like 'a%', s ilike 'a%', s not like '%e%' from t",
    "select id from sv where sv like 'a%' or ls like '%A'",
    "select id from sv where sv ilike '%ÄÖ%'",
]

STRINGS = [
    "select id, s, length(s) from t",
    "select id from t where null not like '%a%'",
    "select id, null like 'a', upper(null), length(null), substring(null, 1, 2) from t",
    "select id, upper(s), lower(s) from t",
    "select id, substring(s, 2, 3) from t",
    "select id, substring(s from 2 for 3) from t",
    "select id, substring(s, 1, 1), substring(s, 3), substring(s from 2) from t",
    "select substring('hello', 2, 3), substring('hello' from 2 for 3), substring('ñandú', 2, 3)",
    "select substring('hello', 2, 0), substring('hello', 10, 2), substring('hello', 1, 100)",
    "select id, trim(s), ltrim(s), rtrim(s) from t",
    "select trim('  x  '), ltrim('  x  '), rtrim('  x  '), trim('xxaxx', 'x')",
    "select id, replace(s, 'a', 'A'), replace(s, 'an', ''), replace(s, ' ', '_') from t",
    "select id, concat(s, '-', a), concat(s, s), concat('x', s, 'y') from t",
    # concat() skips NULLs; || propagates them
    "select id, concat(s, null), s || '!', s || s, '[' || s || ']' from t",
    "select id, s || cast(a as varchar), concat(s, cast(dt as varchar)) from t",
    "select id, starts_with(s, 'a'), starts_with(s, ''), starts_with(s, 'ban') from t",
    "select id, strpos(s, 'a'), strpos(s, 'an'), strpos(s, ''), strpos(s, 'ü') from t",
    "select strpos('hello', 'l'), strpos('hello', 'z'), strpos('日本語', '語')",
    "select id, length(trim(s)), upper(substring(s, 1, 3)), lower(replace(s, 'A', 'a')) from t",
    "select id, length(sv), upper(ls), substring(sv, 2, 2), sv || ls from sv",
    "select id, concat(sv, ls), replace(ls, 'A', '@'), strpos(sv, 'a'), starts_with(ls, 'AL') from sv",
    "select upper(s), count(*) from t group by upper(s)",
    "select id from t where length(s) > 5",
    "select id from t where upper(s) = 'APPLE'",
    "select id from t where starts_with(s, 'a') and strpos(s, 'p') > 0",
]

DATES = [
    "select date '2024-01-31' + interval '1' month, date '2024-03-31' - interval '1' month",
    "select date '2024-02-29' + interval '1' year, date '2024-01-01' + interval '3' day",
    # DATE +/- INTERVAL gives TIMESTAMP
    "select id, dt + interval '3' day from t",
    "select id, dt - interval '1' month from t",
    "select id, dt + interval '2' year from t",
    "select id, dt + interval '1' month, dt - interval '1' year from t",
    "select id, ts + interval '1' day, ts - interval '1' month, ts + interval '1' year from t",
    "select timestamp '2023-12-31 23:59:59.999999' + interval '1' day",
    "select id, extract(year from dt), extract(month from dt), extract(day from dt) from t",
    "select id, extract(year from ts), extract(month from ts), extract(day from ts) from t",
    "select extract(day from timestamp '1969-12-31 23:59:59.5'), extract(year from date '1969-07-20')",
    # date_trunc gives TIMESTAMP, even for a DATE argument
    "select id, date_trunc('month', dt), date_trunc('year', dt) from t",
    "select id, date_trunc('month', ts), date_trunc('year', ts) from t",
    "select date_trunc('month', timestamp '1969-12-31 23:59:59.5'), date_trunc('year', date '1969-07-20')",
    "select id from t where dt < date '2000-01-01'",
    "select id from t where dt >= date '1992-01-01' and dt < date '1992-01-01' + interval '1' year",
    "select id from t where dt between date '2000-01-01' and date '2023-12-31'",
    "select id from t where dt in (date '2024-02-29', date '2000-02-29')",
    "select id from t where dt + interval '1' month > date '2024-03-15'",
    "select id from t where ts < dt + interval '1' day",
    "select id from t where extract(year from dt) = 2023",
    "select id from t where date_trunc('month', dt) = date '2024-02-01'",
    "select id from t where ts >= timestamp '2000-01-01 00:00:00.000001'",
    "select extract(year from dt) as y, count(*) from t group by 1",
    "select date_trunc('year', ts), count(*) from t group by 1",
    "select min(dt + interval '1' day), max(ts - interval '1' month) from t",
    "select id, dt, ts from t where dt = cast(ts as date)",
]


@pytest.mark.parametrize("sql", CASE)
def test_case(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", CAST)
def test_cast(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", COALESCE_NULLIF)
def test_coalesce_nullif(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", NULL_LOGIC)
def test_null_logic(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", ARITHMETIC)
def test_arithmetic(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", COMPARISON)
def test_comparison(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", LIKE)
def test_like(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", STRINGS)
def test_strings(check, sql):
    check(sql)


@pytest.mark.parametrize("sql", DATES)
def test_dates(check, sql):
    check(sql)


def test_integer_division_truncates(check):
    out = check("select -7 // 2, -7 % 2")
    assert [c[0].as_py() for c in out.columns] == [-3, -1]


def test_slash_gives_double(check):
    import pyarrow as pa

    out = check("select 7 / 2")
    assert pa.types.is_floating(out.schema.field(0).type)
    assert out.column(0).to_pylist() == [3.5]


def test_month_arithmetic_clamps_to_month_end(check):
    import datetime as dt

    out = check("select date '2024-01-31' + interval '1' month")
    assert out.column(0).to_pylist() == [dt.datetime(2024, 2, 29)]
