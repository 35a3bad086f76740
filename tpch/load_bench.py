"""`python -m tpch.load_bench`: the page cache's cold load and a repeated query served from it.

(a) Cold load: every lineitem column TPC-H uses (all but l_comment), from the local Parquet file
into a fresh connection's page cache (`Connection.preload`): wall seconds, decoded bytes (the columns
in the backend's form), GB/s, the loader threads' decode seconds, the staging and copy seconds and
the bytes copied to the device. The connection's loader threads and pinned staging buffers are
started (and the kernels that remap string codes compiled) first by loading two columns
(`warmup`), which are then dropped from the cache. (b) A query
over all those columns, repeated: its best time and the bytes it copied to the device (0 when
served from the cache), checked against DuckDB over the same file. Writes
OUT/load_sf{SF}_{device}_{card}.json and prints a table.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from tpch.datagen import ensure_data, table_path
from tpch.report import card_name

COLUMNS = ("l_orderkey", "l_partkey", "l_suppkey", "l_linenumber", "l_quantity", "l_extendedprice", "l_discount",
           "l_tax", "l_returnflag", "l_linestatus", "l_shipdate", "l_commitdate", "l_receiptdate",
           "l_shipinstruct", "l_shipmode")
QUERY = """select l_returnflag, l_linestatus, l_shipmode, l_shipinstruct, count(*) as n,
  sum(l_orderkey) as ok, sum(l_partkey) as pk, sum(l_suppkey) as sk, sum(l_linenumber) as ln,
  sum(l_quantity) as q, sum(l_extendedprice) as p, sum(l_discount) as d, sum(l_tax) as t,
  min(l_shipdate) as s, max(l_commitdate) as c, max(l_receiptdate) as r
from lineitem group by 1, 2, 3, 4 order by 1, 2, 3, 4"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tpch.load_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--sf", type=float, required=True, help="TPC-H scale factor, e.g. 0.01, 1, 10")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto", help="warpdb device")
    p.add_argument("--repeat", type=int, default=5, help="timed runs of the repeated query")
    p.add_argument("--out", type=Path, default=Path("tpch/out"), help="directory for the JSON")
    p.add_argument("--data-root", type=Path, default=Path("tpch/data"), help="where generated data lives")
    return p.parse_args(argv)


def view(con, path: Path, name: str) -> None:
    con.sql(f"create view {name} as select * from read_parquet('{str(path.resolve())}')")


def run(args: argparse.Namespace) -> dict:
    """Generate or reuse the data, load, query, check; the report."""
    import duckdb

    import warpdb
    from warpdb.oracle import compare_tables

    data = ensure_data(args.sf, args.data_root)
    lineitem = table_path(data, "lineitem")
    probe = warpdb.connect(device=args.device, cache_bytes=0)
    view(probe, lineitem, "lineitem")
    entry = next(iter(probe.catalog.file_sources.values()))
    from warpdb.io.scan import device_bytes

    need = sum(device_bytes(entry.source, str(entry.paths[0]), g, list(COLUMNS), dict(entry.columns))
               for g in range(entry.source.metadata(entry.paths[0]).num_row_groups))
    con = warpdb.connect(device=args.device, cache_bytes=need + (1 << 30), **_host_tier(args.device))
    view(con, lineitem, "lineitem")
    warmup = con.preload("lineitem", columns=["l_linenumber", "l_shipmode"])
    con.cache.clear()
    cold = con.preload("lineitem", columns=list(COLUMNS))
    cold["gb_per_s"] = cold["bytes"] / cold["wall_s"] / 1e9
    if cold["copy_s"] > 0:
        cold["copy_gb_per_s"] = cold["bytes_copied"] / cold["copy_s"] / 1e9
    stats = con.cache_stats()
    copied = stats["bytes_copied_to_device"]
    result = con.sql(QUERY).arrow()
    times = []
    for _ in range(max(1, args.repeat)):
        began = time.perf_counter()
        con.sql(QUERY).arrow()
        times.append((time.perf_counter() - began) * 1e3)
    repeated = {"best_ms": min(times), "runs_ms": times,
                "bytes_copied_to_device": con.cache_stats()["bytes_copied_to_device"] - copied}
    dcon = duckdb.connect()
    view(dcon, lineitem, "lineitem")
    began = time.perf_counter()
    want = dcon.sql(QUERY).to_arrow_table()
    repeated["duckdb_ms"] = (time.perf_counter() - began) * 1e3
    diff = compare_tables(result, want, ordered=True)
    transfers = con.cache.transfers
    return {"sf": args.sf, "device": con.device, "card": card_name(con.device), "threads": transfers.threads,
            "kvikio": transfers.kvikio is not None, "columns": list(COLUMNS), "warmup": warmup, "cold": cold,
            "cache": {k: stats[k] for k in ("entries", "bytes_device", "bytes_host", "budget")},
            "repeated": repeated, "ok": diff is None, "error": diff}


def _host_tier(device: str) -> dict:
    """No pinned second tier: the benchmark's data fits the device tier."""
    return {"host_cache_bytes": 0} if device == "gpu" else {}


def print_table(report: dict) -> None:
    cold, rep = report["cold"], report["repeated"]
    print(f"lineitem load, SF{report['sf']:g}, {report['device']} [{report['card']}], "
          f"{report['threads']} loader threads, kvikio {report['kvikio']}")
    rows = [
        ("cold load wall", f"{cold['wall_s']:.3f} s"),
        ("decoded column data", f"{cold['bytes'] / 1e9:.3f} GB ({cold['rows']} rows)"),
        ("cold load rate", f"{cold['gb_per_s']:.2f} GB/s"),
        ("read + decode on host (thread seconds)", f"{cold['decode_s']:.3f} s"),
        ("decode on device", f"{cold['device_decode_s']:.3f} s"),
        ("staging (thread seconds)", f"{cold['stage_s']:.3f} s"),
        ("copy to device", f"{cold['copy_s']:.3f} s, {cold['bytes_copied'] / 1e9:.3f} GB"),
        ("repeated query best", f"{rep['best_ms']:.2f} ms (DuckDB {rep['duckdb_ms']:.1f} ms)"),
        ("bytes copied by repeats", str(rep["bytes_copied_to_device"])),
        ("answer vs DuckDB", "ok" if report["ok"] else f"WRONG: {report['error']}"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k.ljust(width)}  {v}")


def write_json(report: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    card = re.sub(r"[^A-Za-z0-9.+-]+", "-", report["card"]).strip("-")
    path = out / f"load_sf{report['sf']:g}_{report['device']}_{card}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when the repeated query matched DuckDB and copied nothing."""
    args = parse_args(argv)
    report = run(args)
    print_table(report)
    print(f"wrote {write_json(report, args.out)}")
    return 0 if report["ok"] and report["repeated"]["bytes_copied_to_device"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
