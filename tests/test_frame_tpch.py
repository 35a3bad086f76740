"""All 22 TPC-H queries written with the DataFrame API (Polars style: joins, semi/anti joins and
group-bys instead of correlated subqueries) equal DuckDB's answers to the SQL text at SF 0.01; for the
queries a DataFrame user writes clause by clause like the SQL, the optimized plan is the SQL's, exactly."""
from __future__ import annotations

import os
from datetime import date

import duckdb
import pyarrow.parquet as pq
import pytest

import warpdb
from tpch.datagen import TABLES, ensure_data
from tpch.queryset import query_text
from warpdb import col, when
from warpdb.oracle import compare_tables

DISC = col("l_extendedprice") * (1 - col("l_discount"))


@pytest.fixture(scope="module")
def engines():
    root = ensure_data(0.01)
    dcon = duckdb.connect()
    con = warpdb.connect(device=os.environ.get("WARPDB_DEVICE", "cpu"))
    for t in TABLES:
        table = pq.read_table(root / f"{t}.parquet")
        dcon.register(t, table)
        con.register(t, table)
    yield dcon, con
    dcon.close()


def q1(t):
    return (
        t.lineitem.filter(col("l_shipdate") <= date(1998, 9, 2))
        .group_by("l_returnflag", "l_linestatus")
        .agg(
            col("l_quantity").sum().alias("sum_qty"),
            col("l_extendedprice").sum().alias("sum_base_price"),
            DISC.sum().alias("sum_disc_price"),
            (DISC * (1 + col("l_tax"))).sum().alias("sum_charge"),
            col("l_quantity").mean().alias("avg_qty"),
            col("l_extendedprice").mean().alias("avg_price"),
            col("l_discount").mean().alias("avg_disc"),
            warpdb.len().alias("count_order"),
        )
        .sort("l_returnflag", "l_linestatus", nulls_last=True)
    )


def q2(t):
    europe = (
        t.region.filter(col("r_name") == "EUROPE")
        .join(t.nation, left_on="r_regionkey", right_on="n_regionkey")
        .join(t.supplier, left_on="n_nationkey", right_on="s_nationkey")
        .join(t.partsupp, left_on="s_suppkey", right_on="ps_suppkey")
    )
    brass = (
        t.part.filter(col("p_size") == 15, col("p_type").str.ends_with("BRASS"))
        .join(europe, left_on="p_partkey", right_on="ps_partkey")
    )
    cheapest = brass.group_by("p_partkey").agg(col("ps_supplycost").min().alias("min_cost"))
    return (
        brass.join(cheapest, on="p_partkey")
        .filter(col("ps_supplycost") == col("min_cost"))
        .select("s_acctbal", "s_name", "n_name", "p_partkey", "p_mfgr", "s_address", "s_phone", "s_comment")
        .sort("s_acctbal", "n_name", "s_name", "p_partkey", descending=[True, False, False, False])
        .limit(100)
    )


def q3(t):
    day = date(1995, 3, 15)
    return (
        t.customer.filter(col("c_mktsegment") == "BUILDING")
        .join(t.orders, left_on="c_custkey", right_on="o_custkey")
        .join(t.lineitem, left_on="o_orderkey", right_on="l_orderkey", coalesce=False)
        .filter(col("o_orderdate") < day, col("l_shipdate") > day)
        .group_by("l_orderkey", "o_orderdate", "o_shippriority")
        .agg(DISC.sum().alias("revenue"))
        .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
        .sort("revenue", "o_orderdate", descending=[True, False], nulls_last=True)
        .limit(10)
    )


def q4(t):
    late = t.lineitem.filter(col("l_commitdate") < col("l_receiptdate"))
    return (
        t.orders.filter(col("o_orderdate") >= date(1993, 7, 1), col("o_orderdate") < date(1993, 10, 1))
        .join(late, left_on="o_orderkey", right_on="l_orderkey", how="semi")
        .group_by("o_orderpriority")
        .agg(warpdb.len().alias("order_count"))
        .sort("o_orderpriority")
    )


def q5(t):
    return (
        t.customer.join(t.orders, left_on="c_custkey", right_on="o_custkey")
        .join(t.lineitem, left_on="o_orderkey", right_on="l_orderkey")
        .join(t.supplier, left_on=["l_suppkey", "c_nationkey"], right_on=["s_suppkey", "s_nationkey"])
        .join(t.nation, left_on="c_nationkey", right_on="n_nationkey")
        .join(t.region, left_on="n_regionkey", right_on="r_regionkey")
        .filter(col("r_name") == "ASIA", col("o_orderdate") >= date(1994, 1, 1), col("o_orderdate") < date(1995, 1, 1))
        .group_by("n_name")
        .agg(DISC.sum().alias("revenue"))
        .sort("revenue", descending=True)
    )


def q6(t):
    return t.lineitem.filter(
        col("l_shipdate") >= date(1994, 1, 1),
        col("l_shipdate") < date(1995, 1, 1),
        col("l_discount").is_between(0.05, 0.07),
        col("l_quantity") < 24,
    ).select((col("l_extendedprice") * col("l_discount")).sum().alias("revenue"))


def q7(t):
    n1 = t.nation.select(col("n_nationkey").alias("n1_key"), col("n_name").alias("supp_nation"))
    n2 = t.nation.select(col("n_nationkey").alias("n2_key"), col("n_name").alias("cust_nation"))
    pair = ((col("supp_nation") == "FRANCE") & (col("cust_nation") == "GERMANY")) | (
        (col("supp_nation") == "GERMANY") & (col("cust_nation") == "FRANCE")
    )
    return (
        t.supplier.join(n1, left_on="s_nationkey", right_on="n1_key")
        .join(t.lineitem, left_on="s_suppkey", right_on="l_suppkey")
        .join(t.orders, left_on="l_orderkey", right_on="o_orderkey")
        .join(t.customer, left_on="o_custkey", right_on="c_custkey")
        .join(n2, left_on="c_nationkey", right_on="n2_key")
        .filter(pair, col("l_shipdate").is_between(date(1995, 1, 1), date(1996, 12, 31)))
        .with_columns(l_year=col("l_shipdate").dt.year(), volume=DISC)
        .group_by("supp_nation", "cust_nation", "l_year")
        .agg(col("volume").sum().alias("revenue"))
        .sort("supp_nation", "cust_nation", "l_year")
    )


def q8(t):
    n1 = t.nation.select(col("n_nationkey").alias("n1_key"), col("n_regionkey").alias("n1_region"))
    n2 = t.nation.select(col("n_nationkey").alias("n2_key"), col("n_name").alias("nation"))
    brazil = when(col("nation") == "BRAZIL").then(col("volume")).otherwise(0)
    return (
        t.part.filter(col("p_type") == "ECONOMY ANODIZED STEEL")
        .join(t.lineitem, left_on="p_partkey", right_on="l_partkey")
        .join(t.supplier, left_on="l_suppkey", right_on="s_suppkey")
        .join(t.orders, left_on="l_orderkey", right_on="o_orderkey")
        .join(t.customer, left_on="o_custkey", right_on="c_custkey")
        .join(n1, left_on="c_nationkey", right_on="n1_key")
        .join(t.region, left_on="n1_region", right_on="r_regionkey")
        .join(n2, left_on="s_nationkey", right_on="n2_key")
        .filter(col("r_name") == "AMERICA", col("o_orderdate").is_between(date(1995, 1, 1), date(1996, 12, 31)))
        .with_columns(o_year=col("o_orderdate").dt.year(), volume=DISC)
        .group_by("o_year")
        .agg((brazil.sum() / col("volume").sum()).alias("mkt_share"))
        .sort("o_year")
    )


def q9(t):
    return (
        t.part.filter(col("p_name").str.contains("green"))
        .join(t.partsupp, left_on="p_partkey", right_on="ps_partkey")
        .join(t.supplier, left_on="ps_suppkey", right_on="s_suppkey")
        .join(t.lineitem, left_on=["p_partkey", "ps_suppkey"], right_on=["l_partkey", "l_suppkey"])
        .join(t.orders, left_on="l_orderkey", right_on="o_orderkey")
        .join(t.nation, left_on="s_nationkey", right_on="n_nationkey")
        .with_columns(
            nation=col("n_name"),
            o_year=col("o_orderdate").dt.year(),
            amount=DISC - col("ps_supplycost") * col("l_quantity"),
        )
        .group_by("nation", "o_year")
        .agg(col("amount").sum().alias("sum_profit"))
        .sort("nation", "o_year", descending=[False, True])
    )


def q10(t):
    return (
        t.customer.join(t.orders, left_on="c_custkey", right_on="o_custkey")
        .join(t.lineitem, left_on="o_orderkey", right_on="l_orderkey")
        .join(t.nation, left_on="c_nationkey", right_on="n_nationkey")
        .filter(
            col("o_orderdate") >= date(1993, 10, 1),
            col("o_orderdate") < date(1994, 1, 1),
            col("l_returnflag") == "R",
        )
        .group_by("c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment")
        .agg(DISC.sum().alias("revenue"))
        .select("c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment")
        .sort("revenue", descending=True, nulls_last=True)
        .limit(20)
    )


def q11(t):
    german = (
        t.partsupp.join(t.supplier, left_on="ps_suppkey", right_on="s_suppkey")
        .join(t.nation, left_on="s_nationkey", right_on="n_nationkey")
        .filter(col("n_name") == "GERMANY")
    )
    stock = col("ps_supplycost") * col("ps_availqty")
    threshold = german.select((stock.sum() * 0.0001).alias("threshold"))
    return (
        german.group_by("ps_partkey")
        .agg(stock.sum().alias("value"))
        .join(threshold, how="cross")
        .filter(col("value") > col("threshold"))
        .select("ps_partkey", "value")
        .sort("value", descending=True)
    )


def q12(t):
    urgent = col("o_orderpriority").is_in(["1-URGENT", "2-HIGH"])
    return (
        t.orders.join(t.lineitem, left_on="o_orderkey", right_on="l_orderkey")
        .filter(
            col("l_shipmode").is_in(["MAIL", "SHIP"]),
            col("l_commitdate") < col("l_receiptdate"),
            col("l_shipdate") < col("l_commitdate"),
            col("l_receiptdate") >= date(1994, 1, 1),
            col("l_receiptdate") < date(1995, 1, 1),
        )
        .group_by("l_shipmode")
        .agg(
            when(urgent).then(1).otherwise(0).sum().alias("high_line_count"),
            when(~urgent).then(1).otherwise(0).sum().alias("low_line_count"),
        )
        .sort("l_shipmode")
    )


def q13(t):
    plain = t.orders.filter(~col("o_comment").str.contains("special.*requests"))
    return (
        t.customer.join(plain, left_on="c_custkey", right_on="o_custkey", how="left")
        .group_by("c_custkey")
        .agg(col("o_orderkey").count().alias("c_count"))
        .group_by("c_count")
        .agg(warpdb.len().alias("custdist"))
        .sort("custdist", "c_count", descending=True)
    )


def q14(t):
    promo = when(col("p_type").str.starts_with("PROMO")).then(DISC).otherwise(0)
    return (
        t.lineitem.join(t.part, left_on="l_partkey", right_on="p_partkey")
        .filter(col("l_shipdate") >= date(1995, 9, 1), col("l_shipdate") < date(1995, 10, 1))
        .select((100.00 * promo.sum() / DISC.sum()).alias("promo_revenue"))
    )


def q15(t):
    revenue = (
        t.lineitem.filter(col("l_shipdate") >= date(1996, 1, 1), col("l_shipdate") < date(1996, 4, 1))
        .group_by(col("l_suppkey").alias("supplier_no"))
        .agg(DISC.sum().alias("total_revenue"))
    )
    top = revenue.select(col("total_revenue").max().alias("max_revenue"))
    return (
        t.supplier.join(revenue, left_on="s_suppkey", right_on="supplier_no")
        .join(top, left_on="total_revenue", right_on="max_revenue")
        .select("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
        .sort("s_suppkey")
    )


def q16(t):
    complainers = t.supplier.filter(col("s_comment").str.contains("Customer.*Complaints"))
    return (
        t.partsupp.join(t.part, left_on="ps_partkey", right_on="p_partkey")
        .filter(
            col("p_brand") != "Brand#45",
            ~col("p_type").str.starts_with("MEDIUM POLISHED"),
            col("p_size").is_in([49, 14, 23, 45, 19, 3, 36, 9]),
        )
        .join(complainers, left_on="ps_suppkey", right_on="s_suppkey", how="anti")
        .group_by("p_brand", "p_type", "p_size")
        .agg(col("ps_suppkey").n_unique().alias("supplier_cnt"))
        .sort("supplier_cnt", "p_brand", "p_type", "p_size", descending=[True, False, False, False])
    )


def q17(t):
    boxes = t.part.filter(col("p_brand") == "Brand#23", col("p_container") == "MED BOX")
    small = t.lineitem.group_by("l_partkey").agg((0.2 * col("l_quantity").mean()).alias("small_quantity"))
    return (
        boxes.join(t.lineitem, left_on="p_partkey", right_on="l_partkey")
        .join(small, left_on="p_partkey", right_on="l_partkey")
        .filter(col("l_quantity") < col("small_quantity"))
        .select((col("l_extendedprice").sum() / 7.0).alias("avg_yearly"))
    )


def q18(t):
    big = (
        t.lineitem.group_by("l_orderkey")
        .agg(col("l_quantity").sum().alias("quantity"))
        .filter(col("quantity") > 300)
    )
    return (
        t.orders.join(big, left_on="o_orderkey", right_on="l_orderkey", how="semi")
        .join(t.customer, left_on="o_custkey", right_on="c_custkey")
        .join(t.lineitem, left_on="o_orderkey", right_on="l_orderkey")
        .group_by("c_name", col("o_custkey").alias("c_custkey"), "o_orderkey", "o_orderdate", "o_totalprice")
        .agg(col("l_quantity").sum().alias("sum_quantity"))
        .sort("o_totalprice", "o_orderdate", descending=[True, False])
        .limit(100)
    )


def q19(t):
    def kind(brand, containers, low, size):
        return (
            (col("p_brand") == brand)
            & col("p_container").is_in(containers)
            & col("l_quantity").is_between(low, low + 10)
            & col("p_size").is_between(1, size)
        )

    return (
        t.lineitem.join(t.part, left_on="l_partkey", right_on="p_partkey")
        .filter(
            col("l_shipmode").is_in(["AIR", "AIR REG"]),
            col("l_shipinstruct") == "DELIVER IN PERSON",
            kind("Brand#12", ["SM CASE", "SM BOX", "SM PACK", "SM PKG"], 1, 5)
            | kind("Brand#23", ["MED BAG", "MED BOX", "MED PKG", "MED PACK"], 10, 10)
            | kind("Brand#34", ["LG CASE", "LG BOX", "LG PACK", "LG PKG"], 20, 15),
        )
        .select(DISC.sum().alias("revenue"))
    )


def q20(t):
    forest = t.part.filter(col("p_name").str.starts_with("forest"))
    shipped = (
        t.lineitem.filter(col("l_shipdate") >= date(1994, 1, 1), col("l_shipdate") < date(1995, 1, 1))
        .group_by("l_partkey", "l_suppkey")
        .agg((0.5 * col("l_quantity").sum()).alias("half_quantity"))
    )
    stocked = (
        t.partsupp.join(forest, left_on="ps_partkey", right_on="p_partkey", how="semi")
        .join(shipped, left_on=["ps_partkey", "ps_suppkey"], right_on=["l_partkey", "l_suppkey"])
        .filter(col("ps_availqty") > col("half_quantity"))
    )
    return (
        t.supplier.join(t.nation, left_on="s_nationkey", right_on="n_nationkey")
        .filter(col("n_name") == "CANADA")
        .join(stocked, left_on="s_suppkey", right_on="ps_suppkey", how="semi")
        .select("s_name", "s_address")
        .sort("s_name")
    )


def q21(t):
    late = t.lineitem.filter(col("l_receiptdate") > col("l_commitdate"))
    suppliers = t.lineitem.group_by("l_orderkey").agg(col("l_suppkey").n_unique().alias("n_suppliers"))
    late_suppliers = late.group_by("l_orderkey").agg(col("l_suppkey").n_unique().alias("n_late"))
    return (
        late.join(suppliers, on="l_orderkey")
        .join(late_suppliers, on="l_orderkey")
        .filter(col("n_suppliers") > 1, col("n_late") == 1)
        .join(t.supplier, left_on="l_suppkey", right_on="s_suppkey")
        .join(t.nation, left_on="s_nationkey", right_on="n_nationkey")
        .join(t.orders, left_on="l_orderkey", right_on="o_orderkey")
        .filter(col("n_name") == "SAUDI ARABIA", col("o_orderstatus") == "F")
        .group_by("s_name")
        .agg(warpdb.len().alias("numwait"))
        .sort("numwait", "s_name", descending=[True, False])
        .limit(100)
    )


def q22(t):
    codes = ["13", "31", "23", "29", "30", "18", "17"]
    candidates = t.customer.with_columns(cntrycode=col("c_phone").str.slice(0, 2)).filter(col("cntrycode").is_in(codes))
    average = candidates.filter(col("c_acctbal") > 0.0).select(col("c_acctbal").mean().alias("avg_acctbal"))
    return (
        candidates.join(t.orders, left_on="c_custkey", right_on="o_custkey", how="anti")
        .join(average, how="cross")
        .filter(col("c_acctbal") > col("avg_acctbal"))
        .group_by("cntrycode")
        .agg(warpdb.len().alias("numcust"), col("c_acctbal").sum().alias("totacctbal"))
        .sort("cntrycode")
    )


QUERIES = {i: globals()[f"q{i}"] for i in range(1, 23)}
SAME_PLAN_AS_SQL = (1, 3, 6, 10, 19)


class Tables:
    """`t.lineitem` etc.: a frame per TPC-H table."""

    def __init__(self, con):
        for name in TABLES:
            setattr(self, name, con.table(name))


@pytest.mark.parametrize("q", sorted(QUERIES))
def test_frame_query_matches_duckdb(engines, q):
    dcon, con = engines
    expected = dcon.sql(query_text(q)).to_arrow_table()
    got = QUERIES[q](Tables(con)).collect()
    diff = compare_tables(got, expected, ordered=True)
    assert diff is None, f"Q{q}: {diff}"


@pytest.mark.parametrize("q", SAME_PLAN_AS_SQL)
def test_frame_plan_is_the_sql_plan(engines, q):
    _, con = engines
    assert QUERIES[q](Tables(con)).explain() == con.sql(query_text(q)).explain()
