"""`python -m tpch.kernel_trace`: every GPU kernel a hot TPC-H query launches, with its device time.

Two subcommands. `run` executes the chosen queries warm on the GPU inside a CUDA profiler range,
launching a marker kernel named after each query first; run it under Nsight Compute:

    ncu --profile-from-start off --clock-control none --metrics gpu__time_duration.sum --csv \\
        --log-file trace.csv python3 -m tpch.kernel_trace run --sf 10 --queries 2,21

`summarize trace.csv` splits the kernels by marker and prints, per query, the number of kernels,
their summed device time and the kernels that take the most of it (name, count, microseconds),
writing the same as JSON with --out. Device time far below a query's wall time means launches,
host round trips and Python, not the kernels, decide its speed.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
from collections import defaultdict
from pathlib import Path

from tpch.datagen import ensure_data
from tpch.queryset import QUERY_IDS, parse_query_list, query_text
from tpch.runner import attach, load_tables, open_warpdb

MARKER = "warpdb_trace_marker_q"


def _marker(q: int):
    import cupy

    return cupy.RawKernel(f'extern "C" __global__ void {MARKER}{q}() {{}}', f"{MARKER}{q}")


def run(sf: float, queries: tuple[int, ...]) -> None:
    """Warm each query, then run it once inside the profiler range after its marker kernel."""
    import cupy

    con = open_warpdb("gpu")
    data_dir = ensure_data(sf)
    attach(con, "arrow", data_dir, load_tables(data_dir))
    markers = {q: _marker(q) for q in queries}
    for q in queries:
        con.sql(query_text(q)).arrow()
        markers[q]((1,), (1,), ())
    cupy.cuda.Device().synchronize()
    cupy.cuda.profiler.start()
    for q in queries:
        markers[q]((1,), (1,), ())
        con.sql(query_text(q)).arrow()
    cupy.cuda.Device().synchronize()
    cupy.cuda.profiler.stop()


def _kernel_rows(path: Path):
    """(kernel name, nanoseconds) in launch order from an ncu --csv log."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('"ID"'))
    for row in csv.DictReader(lines[start:]):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        value = float(row["Metric Value"].replace(",", ""))
        unit = row.get("Metric Unit", "ns")
        scale = {"ns": 1.0, "nsecond": 1.0, "us": 1e3, "usecond": 1e3, "ms": 1e6, "msecond": 1e6}.get(unit, 1.0)
        yield row["Kernel Name"], value * scale


def summarize(path: Path, top: int = 12) -> dict:
    """Per query: kernel count, summed device microseconds and the heaviest kernel names."""
    per_query: dict[str, list[tuple[str, float]]] = defaultdict(list)
    current = None
    for name, ns in _kernel_rows(path):
        found = re.search(MARKER + r"(\d+)", name)
        if found:
            current = f"q{found.group(1)}"
            continue
        if current is not None:
            per_query[current].append((name, ns))
    report = {}
    for q, kernels in per_query.items():
        by_name: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        for name, ns in kernels:
            short = re.sub(r"\(.*", "", name)[:80]
            by_name[short][0] += 1
            by_name[short][1] += ns / 1e3
        heaviest = sorted(by_name.items(), key=lambda kv: -kv[1][1])[:top]
        report[q] = {"kernels": len(kernels), "device_us": round(sum(ns for _, ns in kernels) / 1e3, 1),
                     "top": [{"kernel": k, "count": c, "us": round(us, 1)} for k, (c, us) in heaviest]}
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tpch.kernel_trace", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run queries inside the profiler range (under ncu)")
    r.add_argument("--sf", type=float, required=True)
    r.add_argument("--queries", default=None)
    s = sub.add_parser("summarize", help="per-query kernel summary of an ncu --csv log")
    s.add_argument("csv", type=Path)
    s.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    if args.command == "run":
        run(args.sf, tuple(parse_query_list(args.queries)) if args.queries else QUERY_IDS)
        return 0
    report = summarize(args.csv)
    for q, entry in report.items():
        heavy = ", ".join(f"{t['kernel']} x{t['count']} {t['us']:.0f}us" for t in entry["top"][:5])
        print(f"{q:<4} {entry['kernels']:5d} kernels {entry['device_us'] / 1e3:8.2f} ms device  {heavy}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
