"""Statements: CREATE TABLE [AS], INSERT, CREATE VIEW, DROP, DESCRIBE, SHOW TABLES, EXPLAIN.

The same statement sequence runs on warpdb and on a DuckDB connection; SELECTs are then compared.
DDL and INSERT take effect when con.sql() returns.
"""
import duckdb
import pyarrow as pa
import pytest

import warpdb.errors as errors
from warpdb import oracle


class Both:
    def __init__(self, con, tables):
        self.con, self.tables = con, tables
        self.duck = duckdb.connect()
        for name, tbl in tables.items():
            self.duck.register(name, tbl)

    def run(self, *stmts: str) -> None:
        for stmt in stmts:
            self.duck.execute(stmt)
            self.con.sql(stmt)

    def check(self, sql: str, ordered=None) -> pa.Table:
        return oracle.check(self.con, sql, self.tables, ordered, dcon=self.duck)


@pytest.fixture
def both(con, tables):
    b = Both(con, tables)
    yield b
    b.duck.close()


CTAS = [
    ("create table x as select id, a, s from t where a > 0", ["select * from x", "select count(*), sum(a) from x"]),
    ("create table x as select * from t", ["select * from x", "select * from x where d > 0 order by id"]),
    ("create table x as select a, count(*) as n, sum(b) as total from t group by a",
     ["select * from x", "select a, n from x where total > 0"]),
    ("create table x as select t.id, u.v from t join u on t.id = u.t_id",
     ["select * from x", "select x.id, t.s from x join t on x.id = t.id"]),
    ("create table x as select * from empty", ["select * from x", "select count(*) from x"]),
    ("create table x as select id, sv, ls, i8, i16, f32 from sv", ["select * from x", "select max(sv) from x"]),
    ("create table x as select 1 as one, 'two' as two, 3.5 as three, date '2024-01-01' as four",
     ["select * from x"]),
    ("create table x as with c as (select a from t union select a from u) select * from c",
     ["select * from x", "select count(*) from x where a is null"]),
]


@pytest.mark.parametrize("stmt,queries", CTAS)
def test_create_table_as(both, stmt, queries):
    both.run(stmt)
    for q in queries:
        both.check(q)


def _type(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    return str(t)


def test_ctas_keeps_column_types(both, con):
    both.run("create table x as select id, a, d, s, dt, ts, flag from t")
    got = con.sql("select * from x").arrow().schema
    want = both.duck.sql("select * from x").to_arrow_table().schema
    assert [f.name for f in got] == [f.name for f in want]
    assert [_type(f.type) for f in got] == [_type(f.type) for f in want]


def test_create_then_insert_values(both):
    both.run(
        "create table p (id integer, name varchar, amount decimal(10, 2), day date, ok boolean)",
        "insert into p values (1, 'a', 1.50, date '2024-01-01', true), (2, null, null, null, null)",
        "insert into p values (3, 'ñ', -0.01, date '1969-07-20', false)",
    )
    both.check("select * from p")
    both.check("select * from p order by id desc")
    both.check("select count(*), count(name), sum(amount), min(day), bool_or(ok) from p")


def test_insert_values_with_column_list(both):
    both.run(
        "create table p (id integer, name varchar, amount decimal(10, 2))",
        "insert into p (id, name) values (1, 'x'), (2, 'y')",
        "insert into p (amount, id) values (9.99, 3)",
    )
    both.check("select * from p")


def test_insert_values_coerces_types(both):
    # integer literals into DECIMAL and BIGINT columns, decimal literal into DOUBLE
    both.run(
        "create table p (id bigint, amount decimal(12, 3), x double)",
        "insert into p values (1, 2, 0.5), (2, 1.25, 3)",
    )
    both.check("select * from p")
    both.check("select sum(amount), sum(x) from p")


def test_insert_select(both):
    both.run(
        "create table p (id integer, name varchar, amount decimal(15, 2), day date, ok boolean)",
        "insert into p select id, s, d, dt, flag from t where id < 10",
        "insert into p select id + 100, s, v, null, null from u where v > 0",
    )
    both.check("select * from p")
    both.check("select ok, count(*), sum(amount) from p group by ok")


def test_insert_select_from_itself(both):
    both.run(
        "create table x as select id, b from t where id <= 5",
        "insert into x select id + 5, b * 2 from x",
        "insert into x select id + 10, b from x",
    )
    both.check("select * from x")
    both.check("select count(*), sum(b) from x")


def test_insert_select_empty(both):
    both.run(
        "create table x as select id, s from t where id < 3",
        "insert into x select id, s from empty",
    )
    both.check("select * from x")


def test_insert_accumulates(both):
    both.run("create table x (k integer)")
    for i in range(5):
        both.run(f"insert into x values ({i}), ({i * 10})")
    both.check("select k, count(*) from x group by k")
    both.check("select sum(k) from x")


def test_create_view(both):
    both.run("create view w as select id, a, s from t where a > 0")
    both.check("select * from w")
    both.check("select a, count(*) from w group by a")
    both.check("select w.id, u.id from w join u on w.id = u.t_id")


def test_view_sees_later_inserts(both):
    both.run(
        "create table base (k integer, v varchar)",
        "create view w as select k * 2 as k2, v from base where k > 0",
        "insert into base values (1, 'a'), (-1, 'b'), (2, null)",
    )
    both.check("select * from w")
    both.run("insert into base values (5, 'e')")
    both.check("select * from w")


def test_view_on_view(both):
    both.run(
        "create view w1 as select id, b from t where b > 0",
        "create view w2 as select count(*) as n, sum(b) as total from w1",
    )
    both.check("select * from w2")


def test_drop_table(both, con):
    both.run("create table x as select id from t")
    both.check("select count(*) from x")
    both.run("drop table x")
    with pytest.raises(duckdb.CatalogException):
        both.duck.sql("select * from x")
    with pytest.raises(errors.BindError):
        con.sql("select * from x").arrow()
    both.check("select count(*) from t")


def test_drop_view_keeps_base(both, con):
    both.run("create table x as select id from t", "create view w as select id from x")
    both.run("drop view w")
    with pytest.raises(errors.BindError):
        con.sql("select * from w").arrow()
    both.check("select count(*) from x")


def test_drop_if_exists(both):
    both.run("drop table if exists no_such_table", "drop view if exists no_such_view")
    both.check("select 1")


def test_recreate_after_drop(both):
    both.run(
        "create table x as select id from t",
        "drop table x",
        "create table x as select s from u",
    )
    both.check("select * from x")


def test_show_tables(both):
    both.check("show tables")
    both.run("create table x as select 1 as k", "create view w as select * from x")
    both.check("show tables")
    both.run("drop view w")
    both.check("show tables")


def _describe(res: pa.Table) -> list[tuple]:
    return list(zip(res.column("column_name").to_pylist(), res.column("column_type").to_pylist()))


@pytest.mark.parametrize("name", ["t", "u", "sv", "big"])
def test_describe_registered(both, con, name):
    want = _describe(both.duck.sql(f"describe {name}").to_arrow_table())
    assert _describe(con.sql(f"describe {name}").arrow()) == want


def test_describe_created(both, con):
    both.run("create table p (id integer, name varchar, amount decimal(10, 2), day date, ok boolean, x double)")
    want = _describe(both.duck.sql("describe p").to_arrow_table())
    assert want == [("id", "INTEGER"), ("name", "VARCHAR"), ("amount", "DECIMAL(10,2)"),
                    ("day", "DATE"), ("ok", "BOOLEAN"), ("x", "DOUBLE")]
    assert _describe(con.sql("describe p").arrow()) == want


def test_describe_query(both, con):
    sql = "describe select id, a + 1 as a1, d * 2 as d2, s from t"
    want = _describe(both.duck.sql(sql).to_arrow_table())
    assert _describe(con.sql(sql).arrow()) == want


def _text(tbl: pa.Table) -> str:
    return "\n".join(str(v) for col in tbl.columns for v in col.to_pylist() if v is not None)


def test_explain_statement(con, tables):
    con.register("orders_explain", tables["t"])
    out = con.sql("explain select a, count(*) from orders_explain where b > 0 group by a").arrow()
    assert out.num_rows >= 1
    assert "orders_explain" in _text(out)


def test_explain_method(con, tables):
    con.register("orders_explain", tables["t"])
    plan = con.sql(
        "select orders_explain.a, sum(b) from orders_explain join u on orders_explain.id = u.t_id group by 1"
    ).explain()
    assert isinstance(plan, str) and plan.strip()
    assert "orders_explain" in plan


def test_register_replaces(con, tables):
    con.register("x", tables["t"])
    assert con.sql("select count(*) from x").fetchall()[0][0] == 40
    con.register("x", tables["u"])
    assert con.sql("select count(*) from x").fetchall()[0][0] == 30
