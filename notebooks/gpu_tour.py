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
# # warpdb GPU tour
#
# The GPU backend runs the same plans as the CPU backend with CuPy arrays and CUDA kernels. This
# tour profiles TPC-H Q1 and Q6 operator by operator, compares them with DuckDB, and shows what a
# connection's `memory_limit` does when a query needs more.
#
# Without a CUDA GPU (and CuPy) the GPU cells print `skipped: no CUDA GPU`; the CPU cells still run
# the same plans and profiles on `device="cpu"`, so the notebook runs anywhere (CI runs it as a
# script from the repository root: `python notebooks/gpu_tour.py`).

# %%
from warpdb.kernels.backend import gpu_available

HAS_GPU = gpu_available()
print("CUDA GPU available:", HAS_GPU)

# %%
import os
from pathlib import Path

import numpy as np
import pyarrow as pa

import warpdb
from tpch.datagen import ensure_data
from tpch.queryset import query_text
from tpch.runner import attach, duckdb_run, load_tables, measure_query, open_duckdb, warpdb_run

# Paths below are relative to the repository root; Jupyter starts the kernel in notebooks/.
if Path.cwd().name == "notebooks":
    os.chdir(Path.cwd().parent)

QUERIES = (1, 6)


def explain_analyze(con, number: int) -> None:
    """Print the plan of TPC-H query `number` with the time and row count of each operator."""
    print(f"EXPLAIN ANALYZE Q{number} on {con.device}:")
    print(con.sql("EXPLAIN ANALYZE " + query_text(number)).fetchall()[0][0])


def slowest_operators(con, number: int, top: int = 4) -> None:
    """Run query `number` once and print its slowest operators from `Result.profile`."""
    result = con.sql(query_text(number))
    result.arrow()
    total = sum(ms for _, ms, _ in result.profile)
    print(f"Q{number} on {con.device}: {total:.2f} ms over {len(result.profile)} operators; slowest:")
    for name, ms, rows in sorted(result.profile, key=lambda op: -op[1])[:top]:
        print(f"  {name:<12} {ms:8.3f} ms  {rows:>9} rows")


def versus_duckdb(con, duck, repeat: int = 3) -> None:
    """Best-of-`repeat` times of each query on warpdb and DuckDB, with warpdb's answer checked."""
    for number in QUERIES:
        text = query_text(number)
        r = measure_query(number, text, warpdb_run(con, text), duckdb_run(duck, text), repeat)
        assert r.ok, f"Q{number}: {r.error}"
        print(f"Q{number}: warpdb {con.device} {r.warpdb_ms:8.2f} ms   DuckDB {r.duckdb_ms:8.2f} ms   "
              f"{r.duckdb_ms / r.warpdb_ms:6.2f}x   answers match")


# %% [markdown]
# ## The plan and profile on the CPU backend
#
# TPC-H SF 0.01, loaded into memory as Arrow tables and registered on a CPU connection and on
# DuckDB. EXPLAIN ANALYZE prints the optimized plan, then each operator's time and output rows;
# `Result.profile` holds the same `(operator, ms, rows)` list for any query result.

# %%
small_dir = ensure_data(0.01)
small = load_tables(small_dir)
cpu = warpdb.connect(device="cpu")
duck_small = open_duckdb()
attach(cpu, "arrow", small_dir, small)
attach(duck_small, "arrow", small_dir, small)
explain_analyze(cpu, 1)
for number in QUERIES:
    slowest_operators(cpu, number)
versus_duckdb(cpu, duck_small)

# %% [markdown]
# ## The same queries on the GPU
#
# A GPU connection with an 8 GB `memory_limit` over TPC-H SF 0.1 (set `GPU_SF` to 1 or 10 for
# bigger data). GPU kernels are launched asynchronously, so an operator's wall time would only
# measure its launches: `con.sync_profile = True` synchronizes the device after each operator,
# which makes the per-operator times real device times (and the query a little slower). Timings
# against DuckDB are taken with it off. The first run of a query compiles its CUDA kernels, so
# every measurement below follows a warm-up run.

# %%
GPU_SF = 0.1
if HAS_GPU:
    gpu = warpdb.connect(device="gpu", memory_limit="8GB")
    duck = open_duckdb()
    data_dir = ensure_data(GPU_SF)
    tables = load_tables(data_dir)
    attach(gpu, "arrow", data_dir, tables)
    attach(duck, "arrow", data_dir, tables)
    for number in QUERIES:
        gpu.sql(query_text(number)).arrow()
    gpu.sync_profile = True
    explain_analyze(gpu, 1)
    for number in QUERIES:
        slowest_operators(gpu, number)
    gpu.sync_profile = False
else:
    print("skipped: no CUDA GPU")

# %%
if HAS_GPU:
    versus_duckdb(gpu, duck)
else:
    print("skipped: no CUDA GPU")

# %% [markdown]
# ## Out of memory, and the query after it
#
# `memory_limit` caps the GPU memory a connection's tables and queries may hold. Here a 300 MB
# connection holds a 5-million-row table; a self-join on a key with only 1000 distinct values would
# produce billions of rows, so it raises `OutOfMemory` naming the operator and the limit. The
# connection's memory is released and the next query runs normally.

# %%
if HAS_GPU:
    tight = warpdb.connect(device="gpu", memory_limit="300MB")
    n = 5_000_000
    tight.register("t", pa.table({"k": np.arange(n) % 1000, "v": np.arange(n, dtype=np.int64)}))
    try:
        tight.sql("SELECT count(*) FROM t a JOIN t b ON a.k = b.k WHERE a.v < 2000000").fetchall()
    except warpdb.OutOfMemory as exc:
        print(f"OutOfMemory: {exc}")
    else:
        raise AssertionError("the oversized join should not have fit in 300 MB")
    print("next query:", tight.sql("SELECT k, count(*) FROM t WHERE k < 3 GROUP BY k ORDER BY k").fetchall())
else:
    print("skipped: no CUDA GPU")

# %% [markdown]
# On the CPU backend host memory is not capped per connection, so asking for a `memory_limit`
# there is refused up front rather than silently ignored.

# %%
try:
    warpdb.connect(device="cpu", memory_limit="300MB")
except warpdb.NotSupported as exc:
    print(f"NotSupported: {exc}")
