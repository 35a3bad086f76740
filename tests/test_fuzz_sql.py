"""Bad input never escapes as anything but a warpdb.Error: random token soup and mutated
valid queries either run or raise a typed error, and the connection keeps working."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warpdb

TOKENS = [
    "select", "from", "where", "group", "by", "order", "having", "limit", "offset", "join", "left", "on",
    "union", "all", "exists", "in", "not", "and", "or", "is", "null", "case", "when", "then", "else", "end",
    "cast", "as", "distinct", "count", "sum", "avg", "min", "max", "(", ")", ",", "*", "+", "-", "/", "=",
    "<", ">", "<=", "<>", "||", "t", "u", "id", "a", "b", "s", "d", "dt", "ts", "f", "flag", "t.id", "u.t_id",
    "1", "0", "2.5", "'x'", "'2020-01-01'", "date", "interval", "'1'", "day", "like", "'a%'", "between",
    "substring", "extract", "year", "coalesce", "nullif", "true", "false", "with", "q", "select 1",
]
VALID = [
    "select id, a + b from t where a > 1 order by id",
    "select s, count(*) from t group by s having count(*) > 1",
    "select t.id, u.id from t left join u on t.id = u.t_id",
    "select id from t where id in (select t_id from u) and exists (select 1 from u where u.t_id = t.id)",
    "select case when a > 0 then 'p' else 'n' end, cast(d as double) from t",
    "with q as (select id from t) select count(*) from q",
    "select t.id, (select max(v) from u where u.t_id = t.id) from t",
    "select id from t except select t_id from u order by 1",
    "select a, sum(b) from t group by a having sum(b) > (select avg(b) from t)",
    "select s || 'x', upper(s), substring(s, 2, 3) from t where s not like '%a%'",
    "select extract(year from dt), date_trunc('month', ts) from t where dt > date '2000-01-01'",
]


def _run(con, sql: str) -> None:
    try:
        con.sql(sql).arrow()
    except warpdb.Error as e:
        assert "internal error" not in str(e), f"{sql!r}: {e}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14))
def test_token_soup_gives_typed_errors(con, tokens):
    _run(con, " ".join(tokens))
    assert con.sql("select 1").fetchall() == [(1,)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 200), st.integers(0, 6), st.sampled_from(TOKENS)),
                                       min_size=1, max_size=2))
def test_mutated_queries_give_typed_errors(con, sql, edits):
    for at, cut, token in edits:
        at = at % (len(sql) + 1)
        sql = sql[:at] + " " + token + " " + sql[at + cut:]
    _run(con, sql)
    assert con.sql("select 1").fetchall() == [(1,)]
