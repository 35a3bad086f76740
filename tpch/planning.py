"""`python -m tpch.planning --sf 0.01`: planning time per TPC-H query (parse, bind, optimize),
uncached and from the plan cache, on registered tables; writes tpch/out/planning_sf{sf}.json."""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import pyarrow.parquet as pq

import warpdb
from tpch.datagen import TABLES, ensure_data
from tpch.queryset import QUERY_IDS, query_text


def measure(con, sql: str, repeat: int) -> tuple[float, float]:
    """(median uncached ms, median cached ms) of planning `sql` on `con`."""
    uncached, cached = [], []
    for _ in range(repeat):
        con._plans.clear()
        start = time.perf_counter()
        con.sql(sql)
        uncached.append((time.perf_counter() - start) * 1e3)
        start = time.perf_counter()
        con.sql(sql)
        cached.append((time.perf_counter() - start) * 1e3)
    return statistics.median(uncached), statistics.median(cached)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tpch.planning", description=__doc__)
    p.add_argument("--sf", type=float, default=0.01)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--out", type=Path, default=Path("tpch/out"))
    args = p.parse_args(argv)
    root = ensure_data(args.sf)
    con = warpdb.connect(device="cpu")
    for t in TABLES:
        con.register(t, pq.read_table(root / f"{t}.parquet"))
    for q in QUERY_IDS:
        con.sql(query_text(q))
    rows = []
    for q in QUERY_IDS:
        u, c = measure(con, query_text(q), args.repeat)
        rows.append({"query": q, "uncached_ms": u, "cached_ms": c})
        print(f"Q{q:<3d} uncached {u:7.2f} ms   cached {c:7.4f} ms")
    print(f"max uncached {max(r['uncached_ms'] for r in rows):.2f} ms, max cached {max(r['cached_ms'] for r in rows):.4f} ms")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"planning_sf{args.sf:g}.json"
    path.write_text(json.dumps({"sf": args.sf, "queries": rows}, indent=2))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
