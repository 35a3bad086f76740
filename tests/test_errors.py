"""Errors: every failure is a typed warpdb error with a useful message, and the connection
keeps working afterwards.  Each query here is also rejected by DuckDB (checked in the tests)."""
import duckdb
import pytest
from conftest import duckdb_rejects

import warpdb
import warpdb.errors as errors
from warpdb import oracle


def still_works(con):
    assert con.sql("select 1").fetchall()[0][0] == 1
    assert con.sql("select count(*) from t").fetchall()[0][0] == 40


def raises(con, sql, cls):
    with pytest.raises(cls) as info:
        con.sql(sql).arrow()
    still_works(con)
    return info.value


def test_error_classes_are_reexported():
    for name in ["Error", "ParseError", "BindError", "TypeMismatch", "NotSupported",
                 "ExecutionError", "OutOfMemory", "Cancelled"]:
        assert getattr(warpdb, name) is getattr(errors, name)
        assert issubclass(getattr(errors, name), errors.Error)


# ---------------------------------------------------------------- parse errors

SYNTAX = [
    "select * fromm t",
    "selec 1",
    "select 1 +",
    "select (1 + 2 from t",
    "select id from t where",
    "select id from t order by",
    "select id from t group id",
    "select id,\n  a b c\nfrom t",
    "select 'abc",
]


@pytest.mark.parametrize("sql", SYNTAX)
def test_syntax_error(con, tables, sql):
    duckdb_rejects(sql, tables, duckdb.ParserException)
    e = raises(con, sql, errors.ParseError)
    assert isinstance(e, warpdb.Error)


def _caret_target(message: str) -> str:
    """The character the caret line points at, in the source line just above it."""
    lines = message.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "^" and i > 0:
            col = line.index("^")
            src = lines[i - 1]
            return src[col] if col < len(src) else ""
    raise AssertionError(f"no caret line in message:\n{message}")


@pytest.mark.parametrize(
    "sql,line,column,token",
    [
        # DuckDB: syntax error at or near "from"
        ("select (1 + 2 from t", 1, 15, "f"),
        # DuckDB: syntax error at or near "t"
        ("select * fromm t", 1, 16, "t"),
        # DuckDB: syntax error at or near "c" -- on line 2
        ("select id,\n  a b c\nfrom t", 2, 7, "c"),
        # DuckDB: syntax error at or near "from" -- on line 3
        ("select id,\n       a +\nfrom t", 3, 1, "f"),
    ],
)
def test_syntax_error_position_and_caret(con, tables, sql, line, column, token):
    duckdb_rejects(sql, tables, duckdb.ParserException)
    e = raises(con, sql, errors.ParseError)
    assert (e.line, e.column) == (line, column)
    msg = str(e)
    assert "^" in msg
    assert _caret_target(msg) == token


def test_syntax_error_on_line_two(con, tables):
    sql = "select id, s\nfrom t wher a > 1"
    duckdb_rejects(sql, tables, duckdb.ParserException)
    e = raises(con, sql, errors.ParseError)
    assert e.line == 2
    assert isinstance(e.column, int) and 1 <= e.column <= len("from t wher a > 1") + 1
    assert "^" in str(e)


# ---------------------------------------------------------------- bind errors

@pytest.mark.parametrize(
    "sql,hint",
    [
        ("select * from emtpy", "empty"),
        ("select count(*) from tt", "t"),
        ("select id from sv2", "sv"),
        ("select * from t join uu on t.id = uu.t_id", "u"),
    ],
)
def test_unknown_table_suggests(con, tables, sql, hint):
    duckdb_rejects(sql, tables, duckdb.CatalogException)
    e = raises(con, sql, errors.BindError)
    msg = str(e)
    assert "did you mean" in msg.lower()
    assert f"'{hint}'" in msg or f'"{hint}"' in msg


@pytest.mark.parametrize(
    "sql,hint",
    [
        ("select idd from t", "id"),
        ("select flg from t", "flag"),
        ("select id from t where bb > 0", "b"),
        ("select t.flagg from t", "flag"),
        ("select id, t_idd from u", "t_id"),
        ("select a from t group by aa", "a"),
    ],
)
def test_unknown_column_suggests(con, tables, sql, hint):
    duckdb_rejects(sql, tables, duckdb.BinderException)
    e = raises(con, sql, errors.BindError)
    msg = str(e)
    assert "did you mean" in msg.lower()
    assert f"'{hint}'" in msg or f'"{hint}"' in msg


BIND = [
    "select x.id from t",
    # ambiguous: both t and u have a column a
    "select a from t, u",
    "select nosuchfunc(a) from t",
    "select a, count(*) from t",
    "select id from t group by a",
    "select s from t group by a having count(*) > 1",
    "select id from t order by nosuchcol",
    "select id from (select a from t) x",
]


@pytest.mark.parametrize("sql", BIND)
def test_bind_error(con, tables, sql):
    duckdb_rejects(sql, tables, (duckdb.BinderException, duckdb.CatalogException))
    raises(con, sql, errors.BindError)


def test_dropped_view_is_unknown(con, tables):
    con.sql("create view w as select id from t")
    con.sql("drop view w")
    raises(con, "select * from w", errors.BindError)


# ---------------------------------------------------------------- type mismatches

TYPE_MISMATCH = [
    "select sum(s) from t",
    "select avg(s) from t",
    "select upper(id) from t",
    "select length(a) from t",
    "select flag + 1 from t",
    "select s + 1 from t",
    "select dt + dt from t",
    "select -s from t",
    "select bool_and(a) from t",
    "select id from t where s > dt",
    "select s between 1 and 2 from t",
]


@pytest.mark.parametrize("sql", TYPE_MISMATCH)
def test_type_mismatch(con, tables, sql):
    duckdb_rejects(sql, tables, duckdb.BinderException)
    raises(con, sql, errors.TypeMismatch)


# ---------------------------------------------------------------- not supported

WINDOW = [
    "select row_number() over () from t",
    "select id, rank() over (order by b) from t",
    "select id, sum(b) over (partition by a) from t",
]


@pytest.mark.parametrize("sql", WINDOW)
def test_window_functions_not_supported(con, tables, sql):
    oracle.duckdb_result(sql, tables)  # valid SQL: DuckDB runs it
    e = raises(con, sql, errors.NotSupported)
    assert isinstance(e.features, list) and len(e.features) >= 1
    assert any("window" in f.lower() or "over" in f.lower() for f in e.features)


@pytest.mark.parametrize(
    "sql,second",
    [
        ("with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) "
         "select n, row_number() over () from r", "recursive"),
        ("select a, sum(b), rank() over (order by a) from t group by rollup(a)", "rollup"),
    ],
)
def test_two_unsupported_features_in_one_error(con, tables, sql, second):
    oracle.duckdb_result(sql, tables)  # valid SQL: DuckDB runs it
    e = raises(con, sql, errors.NotSupported)
    assert len(e.features) >= 2, e.features
    joined = " | ".join(e.features).lower()
    assert "window" in joined or "over" in joined
    assert second in joined
    for f in e.features:
        assert f.lower() in str(e).lower()


# ---------------------------------------------------------------- execution errors

EXECUTION = [
    # DuckDB 2.0: // and % by zero are errors (while / by zero gives +-inf or NaN)
    "select b // a from t",
    "select b % a from t",
    "select cast(s as integer) from t",
    "select cast('2024-13-01' as date)",
    "select cast(b as tinyint) from t",
]


@pytest.mark.parametrize("sql", EXECUTION)
def test_execution_error(con, tables, sql):
    duckdb_rejects(sql, tables, (duckdb.InvalidInputException, duckdb.ConversionException,
                                 duckdb.OutOfRangeException))
    raises(con, sql, errors.ExecutionError)


def test_errors_do_not_poison_the_connection(con, check):
    for sql in ["selec 1", "select * from emtpy", "select sum(s) from t",
                "select row_number() over () from t", "select b // a from t"]:
        with pytest.raises(errors.Error):
            con.sql(sql).arrow()
    check("select a, count(*) from t group by a")


def test_correlation_two_levels_up_is_not_supported(con):
    sql = ("select * from t where exists (select 1 from u where exists "
           "(select 1 from u u2 where u2.id = t.id and u2.t_id = u.id))")
    with pytest.raises(warpdb.NotSupported, match="more than one level up"):
        con.sql(sql)
    assert con.sql("select 1").fetchall() == [(1,)]
