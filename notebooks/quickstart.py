# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # warpdb quickstart
#
# A tour of warpdb from Python: SQL over Arrow tables, TPC-H Parquet files through a view and
# through DataFrame frames, a DataFrame query next to its SQL twin, typed errors, and finally all
# 22 TPC-H queries on warpdb and DuckDB side by side with every answer checked.
#
# Run it from the repository root as a script (`python notebooks/quickstart.py`, which is what CI
# does) or open it in Jupyter through jupytext (see `notebooks/README.md`). The benchmark chart is
# written to `$WARPDB_NOTEBOOK_OUT`, or to a fresh temporary directory when that is not set.

# %%
import os
import tempfile
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the chart goes to a PNG file

import pyarrow as pa

import warpdb
from warpdb import col

# Paths below are relative to the repository root; Jupyter starts the kernel in notebooks/.
if Path.cwd().name == "notebooks":
    os.chdir(Path.cwd().parent)

OUT = Path(os.environ.get("WARPDB_NOTEBOOK_OUT") or tempfile.mkdtemp(prefix="warpdb-notebook-"))
print("output directory:", OUT)

# %% [markdown]
# ## Connect and query an Arrow table
#
# `device="auto"` picks the GPU backend (CuPy) when a CUDA device is usable, else the CPU backend
# (NumPy). Any Arrow table (or pandas / Polars frame) can be registered under a name.

# %%
con = warpdb.connect(device="auto")
print("device:", con.device)

people = pa.table({
    "name": ["ada", "grace", "edsger", "barbara", "ken"],
    "team": ["lang", "lang", "algo", "algo", None],
    "commits": [120, 340, None, 95, 210],
})
con.register("people", people)
teams = con.sql("""
    select team, count(*) as members, sum(commits) as commits
    from people
    group by team
    order by team nulls last
""")
print(teams.arrow().to_pandas())

# %% [markdown]
# ## TPC-H Parquet through a view
#
# `tpch.datagen.ensure_data` generates TPC-H with tpchgen-cli once per scale factor (cached under
# `tpch/data/`). A view over `read_parquet` makes a file queryable by name; only the columns a
# query uses are read.

# %%
from tpch.datagen import ensure_data, table_path

data_dir = ensure_data(0.01)
con.sql(f"create view lineitem as select * from read_parquet('{table_path(data_dir, 'lineitem')}')")
print(con.sql("select count(*) as lineitems from lineitem").fetchall())
print(con.sql("""
    select l_returnflag, l_linestatus, sum(l_quantity) as qty, avg(l_discount) as avg_disc
    from lineitem
    where l_shipdate <= date '1998-09-02'
    group by l_returnflag, l_linestatus
    order by l_returnflag, l_linestatus
""").df())

# %% [markdown]
# ## TPC-H Parquet through frames
#
# `con.read_parquet` gives a lazy frame; nothing is read until a result is asked for.
# Registering a frame makes it a view, so SQL can use it too.

# %%
orders = con.read_parquet(str(table_path(data_dir, "orders")))
print(orders.schema)
print(orders.group_by("o_orderstatus").agg(warpdb.len().alias("orders")).sort("o_orderstatus").to_pandas())
con.register("orders", orders)
con.register("customer", con.read_parquet(str(table_path(data_dir, "customer"))))
print(sorted(con.tables()))

# %% [markdown]
# ## A DataFrame query and its SQL twin
#
# Order revenue per market segment since 1995, over the two views (`con.table(name)` is a frame
# over a table or view). The frame builds the same logical plan as the SQL text (same binder, same
# optimizer), so both `explain()` outputs are identical. Frames sort nulls first by default, as
# Polars does; `nulls_last=True` matches SQL's default for DESC.

# %%
by_segment = (
    con.table("orders")
    .filter(col("o_orderdate") >= date(1995, 1, 1))
    .join(con.table("customer"), left_on="o_custkey", right_on="c_custkey")
    .group_by("c_mktsegment")
    .agg(col("o_totalprice").sum().alias("revenue"), warpdb.len().alias("orders"))
    .sort("revenue", descending=True, nulls_last=True)
)
twin = con.sql("""
    select c_mktsegment, sum(o_totalprice) as revenue, count(*) as orders
    from orders join customer on o_custkey = c_custkey
    where o_orderdate >= date '1995-01-01'
    group by c_mktsegment
    order by revenue desc
""")
print("frame as SQL:\n" + by_segment.to_sql())
print("\nframe plan:\n" + by_segment.explain())
print("\nSQL plan:\n" + twin.explain())
assert by_segment.explain() == twin.explain(), "the frame and its SQL twin should plan identically"
assert by_segment.collect().equals(twin.arrow())
print("\nsame plan, same result:")
print(by_segment.to_pandas())

# %% [markdown]
# ## Typed errors
#
# Every failure is a `warpdb.Error` subclass. A misspelt column is a `BindError` that suggests the
# closest names; a syntax error is a `ParseError` with the line, column and a caret. The connection
# keeps working afterwards.

# %%
try:
    con.sql("select l_quantiy from lineitem")
except warpdb.BindError as exc:
    print(f"BindError: {exc}")

try:
    con.sql("select l_quantity form lineitem where")
except warpdb.ParseError as exc:
    print(f"ParseError: {exc}")

print(con.sql("select max(l_quantity) from lineitem").fetchall())

# %% [markdown]
# ## TPC-H: warpdb vs DuckDB, all 22 queries at SF 0.01
#
# `tpch.runner.run_benchmark` loads the tables into memory, runs every query on both engines (one
# warm-up, then the best of `repeat` runs), compares each warpdb answer with DuckDB's, prints the
# table and writes the report as JSON and a matplotlib bar chart (PNG) under `out`. At this tiny
# scale the times mostly measure per-query overhead; see BENCHMARKS.md for GPU numbers at SF 10.

# %%
from tpch.report import report_stem
from tpch.runner import BenchConfig, run_benchmark

report = run_benchmark(BenchConfig(sf=0.01, device="auto", repeat=1, out=OUT))
chart = OUT / f"{report_stem(report)}.png"
print("chart:", chart)
failed = [f"Q{q['query']}: {q['error']}" for q in report["queries"] if not q["ok"]]
assert report["all_ok"], "warpdb disagreed with DuckDB: " + "; ".join(failed)
assert chart.is_file()
