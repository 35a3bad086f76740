"""Run TPC-H queries on warpdb and DuckDB over the same data, time both and check warpdb against DuckDB."""
from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tpch import progress
from tpch.datagen import TABLES, ensure_data, table_path
from tpch.queryset import QUERY_IDS, query_text
from tpch.report import QueryResult, build_report, card_name, print_table, write_json, write_plot
from warpdb.oracle import compare_tables, is_ordered

Run = Callable[[], tuple[pa.Table, float | None]]


@dataclass
class BenchConfig:
    """What to run: scale factor, warpdb device, queries, repetitions, data source and output places."""

    sf: float
    device: str = "auto"
    queries: tuple[int, ...] = QUERY_IDS
    repeat: int = 3
    source: str = "arrow"
    out: Path = Path("tpch/out")
    threads: int | None = None
    data_root: Path = Path("tpch/data")


@dataclass
class Timed:
    """The fastest of several runs: its wall time, its result and the engine's planning time if known."""

    ms: float
    table: pa.Table
    planning_ms: float | None


def load_tables(data_dir: Path) -> dict[str, pa.Table]:
    """Read every TPC-H table of `data_dir` into memory once."""
    return {name: pq.read_table(table_path(data_dir, name))
            for name in progress.track(TABLES, "loading")}


def attach(con: Any, source: str, data_dir: Path, tables: dict[str, pa.Table] | None = None) -> None:
    """Make the TPC-H tables visible to `con` (warpdb or DuckDB, same API for both).

    `source="arrow"` registers the in-memory Arrow tables; `source="parquet"` creates one view per
    table over its Parquet file, so each query also pays for the scan.
    """
    for name in TABLES:
        if source == "arrow":
            if tables is None:
                raise ValueError("source 'arrow' needs the loaded tables")
            con.register(name, tables[name])
        elif source == "parquet":
            path = str(table_path(data_dir, name).resolve()).replace("'", "''")
            con.sql(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        else:
            raise ValueError(f"unknown source {source!r}; use 'arrow' or 'parquet'")


def open_duckdb(threads: int | None = None) -> Any:
    """A fresh in-memory DuckDB connection, limited to `threads` threads when given."""
    import duckdb

    return duckdb.connect(config={"threads": threads} if threads else {})


def open_warpdb(device: str) -> Any:
    """A warpdb connection on `device` (auto, cpu or gpu)."""
    import warpdb

    return warpdb.connect(device=device)


def duckdb_run(con: Any, text: str) -> Run:
    """A callable that runs `text` on DuckDB and returns its Arrow result."""
    return lambda: (con.sql(text).to_arrow_table(), None)


def warpdb_run(con: Any, text: str) -> Run:
    """A callable that runs `text` on warpdb (SQL text to Arrow, planning included)."""

    def run() -> tuple[pa.Table, float | None]:
        rel = con.sql(text)
        table = rel.arrow()
        return table, getattr(rel, "planning_ms", None)

    return run


def time_best(run: Run, repeat: int) -> Timed:
    """One warm-up call of `run`, then `repeat` timed calls; the fastest one. A full garbage
    collection first, so no earlier query's garbage is collected during these calls."""
    run()
    gc.collect()
    best: Timed | None = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        table, planning_ms = run()
        ms = (time.perf_counter() - start) * 1e3
        if best is None or ms < best.ms:
            best = Timed(ms, table, planning_ms)
    return best


def error_text(exc: BaseException) -> str:
    """`TypeName: first line of the message`."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def measure_query(number: int, text: str, engine: Run, reference: Run, repeat: int,
                  expected: Timed | None = None) -> QueryResult:
    """Time the engine under test and the DuckDB reference on one query and compare their results
    (`expected`: the reference's timed run when already measured).

    An exception from the engine does not propagate: it becomes ok=False with the error text.
    """
    ordered = is_ordered(text)
    if expected is None:
        expected = time_best(reference, repeat)
    rows = expected.table.num_rows
    try:
        actual = time_best(engine, repeat)
        diff = compare_tables(actual.table, expected.table, ordered=ordered)
    except Exception as exc:
        return QueryResult(number, None, expected.ms, False, error_text(exc), rows, None)
    error = None if diff is None else f"wrong result: {diff}"
    return QueryResult(number, actual.ms, expected.ms, diff is None, error, rows, actual.planning_ms)


def run_queries(wcon: Any, dcon: Any, queries: tuple[int, ...], repeat: int) -> list[QueryResult]:
    """Measure each query on DuckDB (`dcon`), then each on warpdb (`wcon`), checked against DuckDB's
    answer, logging one line per query. The engines run in separate passes, so neither is timed
    while the other's threads or memory release are still busy."""
    expected = {number: time_best(duckdb_run(dcon, query_text(number)), repeat)
                for number in progress.track(queries, "DuckDB", label=lambda n: f"Q{n}")}
    results = []
    for number in progress.track(queries, "query", label=lambda n: f"Q{n}"):
        text = query_text(number)
        result = measure_query(number, text, warpdb_run(wcon, text), duckdb_run(dcon, text), repeat,
                               expected[number])
        warp = "-" if result.warpdb_ms is None else f"{result.warpdb_ms:.1f} ms"
        verdict = "ok" if result.ok else f"FAIL {result.error}"
        progress.log(f"Q{number:<2} warpdb {warp:>11}  duckdb {result.duckdb_ms:9.1f} ms  {verdict}")
        results.append(result)
    return results


def run_benchmark(cfg: BenchConfig) -> dict[str, Any]:
    """Generate or reuse the data, run the queries on both engines, print and write the report."""
    with progress.status(f"TPC-H SF{cfg.sf:g} data (tpchgen-cli)"):
        data_dir = ensure_data(cfg.sf, cfg.data_root)
    tables = load_tables(data_dir) if cfg.source == "arrow" else None
    wcon = open_warpdb(cfg.device)
    dcon = open_duckdb(cfg.threads)
    attach(wcon, cfg.source, data_dir, tables)
    attach(dcon, cfg.source, data_dir, tables)
    device = str(getattr(wcon, "device", cfg.device))
    results = run_queries(wcon, dcon, cfg.queries, cfg.repeat)
    report = build_report(results, sf=cfg.sf, device=device, card=card_name(device),
                          source=cfg.source, repeat=cfg.repeat)
    print_table(report)
    json_path = write_json(report, cfg.out)
    png_path = write_plot(report, cfg.out)
    progress.log(f"wrote {json_path} and {png_path}")
    return report
