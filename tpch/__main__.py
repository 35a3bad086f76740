"""`python -m tpch`: time the 22 TPC-H queries on warpdb against DuckDB and check every result."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tpch.queryset import parse_query_list
from tpch.runner import BenchConfig, run_benchmark


def positive_int(value: str) -> int:
    """argparse type: an integer >= 1."""
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def parse_args(argv: list[str] | None = None) -> BenchConfig:
    """Command-line arguments as a BenchConfig."""
    p = argparse.ArgumentParser(prog="python -m tpch", description=__doc__)
    p.add_argument("--sf", type=float, required=True, help="TPC-H scale factor, e.g. 0.1, 1, 10")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto", help="warpdb device")
    p.add_argument("--queries", default=None, help="comma list of query numbers (default: all 22)")
    p.add_argument("--repeat", type=positive_int, default=3, help="timed runs after one warm-up; the best is kept")
    p.add_argument("--source", choices=("arrow", "parquet"), default="arrow",
                   help="arrow: tables loaded in memory first; parquet: views over the files")
    p.add_argument("--out", type=Path, default=Path("tpch/out"), help="directory for the JSON and PNG")
    p.add_argument("--threads", type=positive_int, default=None, help="DuckDB threads (default: all cores)")
    args = p.parse_args(argv)
    try:
        queries = tuple(parse_query_list(args.queries))
    except ValueError as exc:
        p.error(str(exc))
    return BenchConfig(sf=args.sf, device=args.device, queries=queries, repeat=args.repeat,
                       source=args.source, out=args.out, threads=args.threads)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 0 when every query matched DuckDB, 1 otherwise."""
    report = run_benchmark(parse_args(argv))
    return 0 if report["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
