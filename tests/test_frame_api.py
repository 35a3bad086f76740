"""The DataFrame API (warpdb.frame): every frame method and expression against DuckDB running the
equivalent SQL on the same NULL-heavy tables (conftest.py), Polars semantics where they differ from
SQL's, and the typed errors it shares with SQL."""
from __future__ import annotations

import re
from datetime import date

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import warpdb
from warpdb import BindError, NotSupported, TypeMismatch, col, lit, when
from warpdb.oracle import compare_tables, duckdb_result, is_ordered


@pytest.fixture
def same(tables):
    """Assert that a frame's result (values and column names) equals DuckDB's for `sql`."""

    def _same(frame, sql: str, ordered: bool | None = None) -> pa.Table:
        expected = duckdb_result(sql, tables)
        actual = frame.collect()
        diff = compare_tables(actual, expected, is_ordered(sql) if ordered is None else ordered)
        assert diff is None, f"{diff}\nSQL: {sql}\nframe SQL: {frame.to_sql()}\n{actual.slice(0, 8)}\n{expected.slice(0, 8)}"
        assert actual.column_names == [n.lower() for n in expected.column_names]
        assert frame.columns == actual.column_names
        return actual

    return _same


@pytest.fixture
def t(con):
    return con.table("t")


@pytest.fixture
def u(con):
    return con.table("u")


# --- sources and projection ---------------------------------------------------------------------
def test_table_select_and_schema(t, same):
    f = t.select("id", ["a", "s"])
    same(f, "select id, a, s from t")
    assert f.schema == {"id": pa.int64(), "a": pa.int32(), "s": pa.string()}
    assert "LazyFrame" in repr(f)


def test_select_expressions_named_like_polars(t, same):
    f = t.select(col("a") + 1, (col("b") * 2).alias("b2"), lit(7), x=col("id"))
    same(f, "select a + 1 as a, b * 2 as b2, 7 as literal, id as x from t")


def test_with_columns_replaces_and_appends(t, same):
    f = t.with_columns(col("a") * 10, a2=col("a") + col("b"))
    same(f, "select id, a * 10 as a, b, f, d, s, dt, ts, flag, a + b as a2 from t")


def test_rename_and_drop(t, same):
    same(t.rename({"a": "alpha", "S": "str"}).drop("b", ["f", "d"], "dt", "ts"),
         "select id, a as alpha, s as str, flag from t")


ARITH = [
    (col("a") + 1, "a + 1"), (1 + col("a"), "1 + a"), (col("b") - col("a"), "b - a"), (10 - col("a"), "10 - a"),
    (col("f") * 2.5, "f * 2.5"), (2 * col("d"), "2 * d"), (col("b") / 4, "b / 4"), (col("b") % 7, "b % 7"),
    (100 % col("b"), "100 % b"), (-col("a"), "-a"), (col("d") * col("a") - 0.5, "d * a - 0.5"),
    (col("b") * (col("a") - 3), "b * (a - 3)"), ((col("a") - 3) * col("b"), "(a - 3) * b"),
    (col("b") - (col("a") - col("id")), "b - (a - id)"), (col("b") / (2 + col("id")), "b / (2 + id)"),
]


@pytest.mark.parametrize("expr,sql", ARITH, ids=[s for _, s in ARITH])
def test_arithmetic_with_scalars_on_either_side(t, same, expr, sql):
    same(t.select("id", expr.alias("r")), f"select id, {sql} as r from t")


COMPARE = [
    (col("a") == 3, "a = 3"), (col("a") != 3, "a <> 3"), (col("a") < 3, "a < 3"), (col("a") <= 3, "a <= 3"),
    (col("a") > 3, "a > 3"), (col("a") >= 3, "a >= 3"), (3 < col("a"), "a > 3"), (col("b") > col("a"), "b > a"),
    (col("s") == "apple", "s = 'apple'"), (col("dt") < date(2001, 1, 1), "dt < date '2001-01-01'"),
    ((col("a") > 0) & col("flag"), "a > 0 and flag"), ((col("a") > 0) | col("flag").is_null(), "a > 0 or flag is null"),
    (~col("flag"), "not flag"), (~((col("a") > 0) & (col("b") < 0)), "not (a > 0 and b < 0)"),
    (True & col("flag"), "true and flag"),
    (col("a").is_null(), "a is null"), (col("s").is_not_null(), "s is not null"),
    (col("a").is_in([1, 3, 5]), "a in (1, 3, 5)"), (col("s").is_in(["apple", "x"]), "s in ('apple', 'x')"),
    (col("a").is_in([]), "false"),
    (col("a").is_between(0, 5), "a between 0 and 5"), (col("a").is_between(0, 5, closed="left"), "a >= 0 and a < 5"),
    (col("a").is_between(0, 5, closed="right"), "a > 0 and a <= 5"), (col("a").is_between(0, 5, closed="none"), "a > 0 and a < 5"),
]


@pytest.mark.parametrize("pred,sql", COMPARE, ids=[s for _, s in COMPARE])
def test_predicates_in_filter_and_select(t, same, pred, sql):
    same(t.filter(pred).select("id"), f"select id from t where {sql}")
    same(t.select("id", pred.alias("p")), f"select id, {sql} as p from t")


STRINGS = [
    (col("s").str.contains("an"), "s like '%an%'"),
    (col("s").str.contains("a.*e"), "s like '%a%e%'"),
    (col("s").str.contains("^app"), "s like 'app%'"),
    (col("s").str.contains("e$"), "s like '%e'"),
    (col("s").str.contains("50% off"), "contains(s, '50% off')"),
    (col("s").str.contains("a_b", literal=True), "contains(s, 'a_b')"),
    (col("s").str.starts_with("ba"), "starts_with(s, 'ba')"),
    (col("s").str.ends_with("a"), "ends_with(s, 'a')"),
    (col("s").str.slice(1, 3), "substring(s, 2, 3)"),
    (col("s").str.slice(0), "substring(s, 1)"),
    (col("s").str.slice(-3), "substring(s, -3)"),
    (col("s").str.to_uppercase(), "upper(s)"),
    (col("s").str.to_lowercase(), "lower(s)"),
    (col("s").str.len_chars(), "length(s)"),
    (col("s").str.len(), "length(s)"),
]


@pytest.mark.parametrize("expr,sql", STRINGS, ids=[s for _, s in STRINGS])
def test_string_functions(t, same, expr, sql):
    same(t.select("id", expr.alias("r")), f"select id, {sql} as r from t")


def test_unsupported_regex_is_not_supported(t):
    with pytest.raises(NotSupported, match="regular expression"):
        t.filter(col("s").str.contains("a+b"))


def test_date_parts_and_casts(t, same):
    f = t.select(
        col("dt").dt.year().alias("y"), col("dt").dt.month().alias("m"), col("ts").dt.day().alias("d"),
        col("a").cast("BIGINT").alias("a64"), col("d").cast(pa.float64()).alias("dd"),
        col("a").cast("decimal(10,2)").alias("ad"), col("id").cast(pa.string()).alias("ids"),
        lit("2024-02-29", dtype="DATE").alias("day"),
    )
    same(f, "select year(dt) as y, month(dt) as m, day(ts) as d, cast(a as bigint) as a64, cast(d as double) as dd, "
            "cast(a as decimal(10,2)) as ad, cast(id as varchar) as ids, date '2024-02-29' as day from t")
    with pytest.raises(NotSupported, match="type"):
        t.select(col("a").cast("blob"))


def test_when_then_otherwise(t, same):
    f = t.select(
        "id",
        when(col("a") > 5).then(lit("big")).when(col("a") > 0).then(lit("small")).otherwise(lit("other")).alias("size"),
        when(col("flag")).then(col("b")).alias("maybe_b"),
        when(col("a").is_null(), col("b") > 0).then("b").otherwise(0),
    )
    same(f, "select id, case when a > 5 then 'big' when a > 0 then 'small' else 'other' end as size, "
            "case when flag then b end as maybe_b, case when a is null and b > 0 then b else 0 end as b from t")


def test_fill_null(t, same):
    same(t.select("id", col("a").fill_null(-1)), "select id, coalesce(a, -1) as a from t")


# --- aggregation --------------------------------------------------------------------------------
def test_group_by_agg_keys_then_aggregates(t, same):
    f = t.group_by("s").agg(
        col("a").sum(), col("f").mean().alias("mean_f"), col("d").min().alias("min_d"), col("dt").max().alias("max_dt"),
        col("a").count().alias("n_a"), warpdb.len(), col("flag").n_unique().alias("flags"),
    )
    same(f, "select s, sum(a) as a, avg(f) as mean_f, min(d) as min_d, max(dt) as max_dt, count(a) as n_a, "
            "count(*) as len, count(distinct flag) + (case when count(*) > count(flag) then 1 else 0 end) as flags "
            "from t group by s")


def test_group_by_expression_keys_and_len(t, same):
    same(t.group_by((col("a") % 3).alias("k"), "flag").len(), "select a % 3 as k, flag, count(*) as len from t group by 1, 2")


def test_select_with_aggregates_is_a_global_aggregate(t, same):
    same(t.filter(col("a") > 100).select(col("b").sum(), warpdb.len()), "select sum(b) as b, count(*) as len from t where a > 100")
    same(t.select((col("b").max() - col("b").min()).alias("spread")), "select max(b) - min(b) as spread from t")


def test_filter_after_group_by_is_having(t, same):
    f = t.group_by("s").agg(col("b").sum().alias("total")).filter(col("total") > 0)
    same(f, "select s, sum(b) as total from t group by s having sum(b) > 0")
    assert "HAVING" in f.to_sql()


def test_group_by_of_a_grouped_frame(t, same):
    f = t.group_by("s", "flag").agg(warpdb.len().alias("n")).group_by("n").agg(warpdb.len().alias("groups"))
    same(f, "select n, count(*) as groups from (select s, flag, count(*) as n from t group by s, flag) group by n")


def test_n_unique_matches_polars(tables):
    pl = pytest.importorskip("polars")
    con = warpdb.connect(device="cpu").register("t", tables["t"])
    got = con.table("t").select(col("a").n_unique(), col("s").n_unique(), col("flag").n_unique()).to_polars()
    want = pl.from_arrow(tables["t"]).select(pl.col("a").n_unique(), pl.col("s").n_unique(), pl.col("flag").n_unique())
    assert got.rows() == want.rows() and got.columns == want.columns


# --- ordering and limits ------------------------------------------------------------------------
def test_sort_nulls_first_by_default_like_polars(t, same):
    same(t.sort("a", "id").select("id", "a"), "select id, a from t order by a nulls first, id")
    same(t.sort("a", "id", descending=[True, False], nulls_last=True).select("id", "a"),
         "select id, a from t order by a desc nulls last, id")
    same(t.sort(col("b") * -1, "id", descending=True).select("id", "b"), "select id, b from t order by b * -1 desc nulls first, id desc")


def test_sort_matches_polars(tables):
    pl = pytest.importorskip("polars")
    con = warpdb.connect(device="cpu").register("t", tables["t"])
    got = con.table("t").sort("a", "id", descending=[True, False]).select("id", "a").to_polars()
    want = pl.from_arrow(tables["t"]).sort("a", "id", descending=[True, False]).select("id", "a")
    assert got.rows() == want.rows()


def test_limit_head_and_limits_that_wrap(t, same):
    same(t.sort("id").limit(5).select("id", "a"), "select id, a from t order by id limit 5")
    same(t.sort("id").head(8).limit(3), "select * from t order by id limit 3")
    same(t.sort("id").limit(10).filter(col("a") > 0).select("id"),
         "select id from (select * from t order by id limit 10) where a > 0", ordered=False)
    same(t.sort("id").limit(10).sort("b", "id", descending=True), "select * from (select * from t order by id limit 10) order by b desc, id desc")
    same(t.sort("id").limit(10).group_by("flag").len(), "select flag, count(*) as len from (select * from t order by id limit 10) group by flag")
    same(t.sort("id").slice(5, 3), "select * from t order by id limit 3 offset 5")
    same(t.sort("id").slice(35).select("id"), "select id from t order by id offset 35")
    same(t.sort("id").limit(10).slice(8), "select * from (select * from t order by id limit 10) order by id offset 8")
    with pytest.raises(BindError, match="non-negative"):
        t.limit(-1)
    with pytest.raises(BindError, match="non-negative"):
        t.slice(-2)


def test_unique(t, same):
    same(t.select("s", "flag").unique(), "select distinct s, flag from t")
    same(t.select("s").unique().sort("s"), "select distinct s from t order by s nulls first")
    same(t.select("s", "a").unique().sort(col("a") * 2, "s").select("s"),
         "select s from (select distinct s, a from t) order by a * 2 nulls first, s nulls first")
    same(t.select("s").unique().select(col("s").str.len_chars().alias("n")), "select length(s) as n from (select distinct s from t)")
    same(t.select("s", "a").unique(subset=["a", "s"]).filter(col("a") > 2), "select distinct s, a from t where a > 2")
    with pytest.raises(NotSupported, match="subset"):
        t.unique(subset="s")


def test_union(t, u, same):
    a, b = t.select("id", "s"), u.select("t_id", "s")
    same(a.union(b), "select id, s from t union all select t_id, s from u")
    same(a.union(b, distinct=True).sort("id", "s"), "select id, s from t union select t_id, s from u order by id nulls first, s nulls first")


# --- joins --------------------------------------------------------------------------------------
T_COLS = "t.id, t.a, t.b, t.f, t.d, t.s, t.dt, t.ts, t.flag"


def test_inner_and_left_join_coalesce_keys_and_suffix(t, u, same):
    rest = "u.id as id_right, u.a as a_right, u.s as s_right, u.v"
    same(t.join(u, left_on="id", right_on="t_id"), f"select {T_COLS}, {rest} from t join u on t.id = u.t_id")
    same(t.join(u, left_on="id", right_on="t_id", how="left"), f"select {T_COLS}, {rest} from t left join u on t.id = u.t_id")


def test_right_and_full_join_columns(t, u, same):
    same(t.join(u, left_on="id", right_on="t_id", how="right"),
         "select t.a, t.b, t.f, t.d, t.s, t.dt, t.ts, t.flag, u.id, u.t_id, u.a as a_right, u.s as s_right, u.v "
         "from t right join u on t.id = u.t_id")
    same(t.join(u, left_on="id", right_on="t_id", how="full"),
         f"select {T_COLS}, u.id as id_right, u.t_id, u.a as a_right, u.s as s_right, u.v from t full join u on t.id = u.t_id")
    same(t.join(u, left_on="id", right_on="t_id", how="full", coalesce=True),
         "select coalesce(t.id, u.t_id) as id, t.a, t.b, t.f, t.d, t.s, t.dt, t.ts, t.flag, u.id as id_right, "
         "u.a as a_right, u.s as s_right, u.v from t full join u on t.id = u.t_id")


def test_join_columns_match_polars(tables):
    pl = pytest.importorskip("polars")
    con = warpdb.connect(device="cpu").register("t", tables["t"]).register("u", tables["u"])
    pt, pu = pl.from_arrow(tables["t"]), pl.from_arrow(tables["u"])
    for how in ("inner", "left", "right", "full"):
        got = con.table("t").join(con.table("u"), left_on="id", right_on="t_id", how=how)
        assert got.columns == pt.join(pu, left_on="id", right_on="t_id", how=how).columns, how


def test_multi_key_join_and_expression_keys(t, u, same):
    same(t.join(u, left_on=["id", "a"], right_on=["t_id", "a"]),
         f"select {T_COLS}, u.id as id_right, u.s as s_right, u.v from t join u on t.id = u.t_id and t.a = u.a")
    same(t.join(u, left_on=col("id") + 1, right_on=col("t_id")).select("id", "id_right"),
         "select t.id, u.id as id_right from t join u on t.id + 1 = u.t_id")


def test_semi_anti_and_cross_joins(t, u, same):
    same(t.join(u, left_on="id", right_on="t_id", how="semi"), "select * from t where exists (select * from u where u.t_id = t.id)")
    same(t.join(u.filter(col("v") > 0), left_on=["id", "a"], right_on=["t_id", "a"], how="anti"),
         "select * from t where not exists (select * from u where u.t_id = t.id and u.a = t.a and u.v > 0)")
    same(t.filter(col("id") <= 3).select("id").join(u.filter(col("id") <= 2).select("id", "s"), how="cross"),
         "select t.id, u.id as id_right, u.s from t, u where t.id <= 3 and u.id <= 2")
    with pytest.raises(BindError, match="no join keys"):
        t.join(u, on="id", how="cross")
    with pytest.raises(BindError, match="needs keys"):
        t.join(u)
    with pytest.raises(ValueError, match="how must be"):
        t.join(u, on="id", how="outer")


def test_self_join_is_qualified(t, same):
    f = t.join(t.select("id", "a", "s"), on="id").filter(col("a_right") > col("a"))
    same(f.select("id", "a", "a_right", "s_right"),
         "select t1.id, t1.a, t2.a as a_right, t2.s as s_right from t t1 join t t2 on t1.id = t2.id where t2.a > t1.a")


def test_join_with_filtered_computed_and_grouped_sides(t, u, same):
    right = u.with_columns(w=col("a").fill_null(0)).filter(col("v") > 0).select("t_id", "w")
    same(t.select("id").join(right, left_on="id", right_on="t_id", how="left"),
         "select t.id, r.w from t left join (select t_id, coalesce(a, 0) as w from u where v > 0) r on t.id = r.t_id")
    totals = u.group_by("t_id").agg(col("v").sum().alias("total"))
    same(t.select("id", "a").join(totals, left_on="id", right_on="t_id", how="left"),
         "select t.id, t.a, g.total from t left join (select t_id, sum(v) as total from u group by t_id) g on t.id = g.t_id")
    same(t.filter(col("a") > 0).select("id").join(u.select("t_id", "v"), left_on="id", right_on="t_id", how="right"),
         "select u.t_id, u.v from (select id from t where a > 0) l right join u on l.id = u.t_id")
    same(t.select("id").join(u.filter(col("v") > 0).select("t_id", "v"), left_on="id", right_on="t_id", how="full"),
         "select l.id, r.t_id, r.v from (select id from t) l full join (select t_id, v from u where v > 0) r on l.id = r.t_id")


def test_frame_plan_equals_sql_plan(con, t, u):
    f = t.filter(col("a") > 1).join(u, left_on="id", right_on="t_id", coalesce=False).select("id", "a", "v").sort("id", nulls_last=True)
    sql = "select t.id, t.a, v from t join u on t.id = t_id where t.a > 1 order by t.id"
    assert f.explain() == con.sql(sql).explain()


# --- results, SQL interplay, sources ------------------------------------------------------------
def test_results_in_every_form(t):
    f = t.filter(col("id") <= 3).select("id", "s").sort("id")
    assert f.collect().to_pylist() == f.arrow().to_pylist()
    assert f.fetchall() == [tuple(r.values()) for r in f.collect().to_pylist()]
    assert list(f.to_pandas()["id"]) == [1, 2, 3] and list(f.df().columns) == ["id", "s"]
    pl = pytest.importorskip("polars")
    assert isinstance(f.to_polars(), pl.DataFrame) and f.to_polars()["id"].to_list() == [1, 2, 3]
    assert f.explain().startswith("SORT") and "SCAN t" in f.explain()
    assert "FROM t" in f.to_sql()


def test_sql_results_are_frames(con, same):
    r = con.sql("select id, a, s from t where b > 0")
    same(r.filter(col("a") > 2).select("id", "s"), "select id, s from t where b > 0 and a > 2")
    same(r.frame().group_by("s").len(), "select s, count(*) as len from t where b > 0 group by s")
    assert r.schema == {"id": pa.int64(), "a": pa.int32(), "s": pa.string()}
    assert not hasattr(r, "no_such_method")
    with pytest.raises(NotSupported):
        con.sql("create table z as select 1 as x").frame()


def test_frames_as_views(con, t, tables, same):
    t.filter(col("a") > 0).select("id", "a").create_view("pos")
    expected = duckdb_result("select count(*) as n from t where a > 0", tables).column("n").to_pylist()
    assert con.sql("select count(*) from pos").fetchall() == [(expected[0],)]
    same(con.table("pos").filter(col("a") > 5), "select id, a from t where a > 0 and a > 5")
    con.register("grouped", t.group_by("flag").len())
    diff = compare_tables(con.sql("select * from grouped").arrow(), duckdb_result("select flag, count(*) from t group by flag", tables), False)
    assert diff is None
    con.register("from_sql", con.sql("select id from t where id < 4"))
    assert con.table("from_sql").collect().num_rows == 3
    with pytest.raises(BindError, match="already exists"):
        t.create_view("pos", replace=False)
    con.unregister("pos")
    assert "pos" not in con.tables()


def test_read_parquet_and_csv_frames(tmp_path, tables):
    t = tables["t"].select(["id", "a", "s"])
    pq.write_table(t, tmp_path / "t.parquet")
    pacsv.write_csv(t, tmp_path / "t.csv")
    con = warpdb.connect(device="cpu")
    got = con.read_parquet(str(tmp_path / "t.parquet")).join(con.read_csv(str(tmp_path / "t.csv")), on="id")
    assert got.columns == ["id", "a", "s", "a_right", "s_right"]
    assert got.collect().num_rows == t.num_rows
    assert con.read_parquet(str(tmp_path / "t.parquet")).filter(col("a") > 0).collect().num_rows == len(
        [a for a in t.column("a").to_pylist() if a is not None and a > 0])


# --- errors -------------------------------------------------------------------------------------
def _sql_error(con, sql, kind):
    with pytest.raises(kind) as e:
        con.sql(sql)
    return re.sub(r" at line \d+, column \d+", "", str(e.value))


@pytest.mark.parametrize("build,sql,kind", [
    (lambda t: t.select(col("ida")), "select ida from t", BindError),
    (lambda t: t.filter(col("flg")), "select * from t where flg", BindError),
    (lambda t: t.select(col("s") + 1), "select s + 1 from t", TypeMismatch),
    (lambda t: t.filter(col("a")), "select * from t where a", TypeMismatch),
    (lambda t: t.select(col("s").str.starts_with(1)), "select starts_with(s, 1) from t", TypeMismatch),
    (lambda t: t.group_by("s").agg(col("a")), "select s, a from t group by s", BindError),
    (lambda t: t.select(col("a").sum().sum()), "select sum(sum(a)) from t", BindError),
], ids=["unknown-select", "unknown-filter", "plus-varchar", "non-boolean-filter", "starts-with-int",
        "not-grouped", "nested-aggregate"])
def test_errors_are_the_sql_errors(con, t, build, sql, kind):
    with pytest.raises(kind) as e:
        build(t)
    assert str(e.value) == _sql_error(con, sql, kind)


def test_unknown_names_suggest_close_ones(con, t):
    with pytest.raises(BindError, match=r"unknown column 'ida'; did you mean 'id'"):
        t.select("ida")
    with pytest.raises(BindError, match=r"unknown table 'tt'; did you mean 't'\?"):
        con.table("tt")
    with pytest.raises(BindError, match="unknown column 'x'"):
        t.rename({"x": "y"})
    with pytest.raises(BindError, match="unknown column 'x'"):
        t.drop("x")
    with pytest.raises(BindError, match="unknown column 'zz'"):
        t.group_by("zz")
    with pytest.raises(BindError, match="unknown column 'nope'"):
        t.join(t, left_on="id", right_on="nope")


def test_other_frame_errors(con, t, u):
    with pytest.raises(BindError, match="duplicate output column"):
        t.select("a", col("b").alias("a"))
    with pytest.raises(BindError, match="duplicate output column"):
        t.rename({"a": "b"})
    with pytest.raises(NotSupported, match="with_columns"):
        t.with_columns(col("a").sum())
    with pytest.raises(TypeError, match="truth value"):
        t.filter(col("a") > 1 and col("b") > 2)
    with pytest.raises(BindError, match="different connections"):
        t.join(warpdb.connect(device="cpu").register("t", con.catalog.get("t").table).table("t"), on="id")
    with pytest.raises(BindError, match="sort keys"):
        t.sort("a", "b", descending=[True])
    with pytest.raises(BindError, match="filter"):
        t.filter()
    with pytest.raises(BindError, match="both"):
        t.join(u, on="id", left_on="id")
    with pytest.raises(BindError, match="2 left keys but 1"):
        t.join(u, left_on=["id", "a"], right_on="t_id")
    with pytest.raises(TypeMismatch, match="literal"):
        lit(object())
    with pytest.raises(TypeMismatch):
        col(3)
    with pytest.raises(TypeMismatch, match="list"):
        col("s").is_in("abc")


def test_expression_names_and_repr():
    assert (col("A") + 1).name == "a" and (1 + col("a")).name == "literal" and lit(1).name == "literal"
    assert warpdb.len().name == "len" and col("b").sum().alias("Total").name == "total"
    assert when(col("a") > 1).then(col("b")).otherwise(0).name == "b"
    assert "a + 1" in repr(col("a") + 1)
