"""`python -m tpch.profile`: per-operator times of warpdb's TPC-H plans, device synchronized per step.

Writes profile_sf{SF}_{device}.json under --out: for each query the best wall time (no per-step
sync), the operator list (name, ms, rows) of a synchronized run, and the plan text. With
--cprofile, also cprofile_sf{SF}_{device}.txt: each query's Python functions by own time over
`repeat` hot runs (where launch and round-trip overhead goes).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time
from pathlib import Path

from tpch.datagen import ensure_data
from tpch.queryset import QUERY_IDS, parse_query_list, query_text
from tpch.runner import attach, load_tables, open_warpdb


def profile_query(con, text: str, repeat: int) -> dict:
    """Wall time (best of `repeat`, after a warm-up) and one synchronized per-operator profile."""
    con.sql(text).arrow()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        con.sql(text).arrow()
        best = min(best, (time.perf_counter() - start) * 1e3)
    con.sync_profile = True
    try:
        start = time.perf_counter()
        result = con.sql(text)
        result.arrow()
        synced = (time.perf_counter() - start) * 1e3
    finally:
        con.sync_profile = False
    ops = [{"op": n, "ms": round(ms, 3), "rows": rows} for n, ms, rows in result.profile]
    return {"wall_ms": round(best, 3), "synced_ms": round(synced, 3), "ops": ops, "plan": result.explain()}


def python_profile(con, text: str, repeat: int, top: int = 30) -> str:
    """The `top` functions by own time over `repeat` hot runs of `text`, as pstats prints them."""
    con.sql(text).arrow()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(repeat):
        con.sql(text).arrow()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tpch.profile", description=__doc__)
    p.add_argument("--sf", type=float, required=True)
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    p.add_argument("--queries", default=None)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--out", type=Path, default=Path("tpch/out"))
    p.add_argument("--cprofile", action="store_true", help="also write each query's Python profile")
    args = p.parse_args(argv)
    queries = tuple(parse_query_list(args.queries)) if args.queries else QUERY_IDS
    data_dir = ensure_data(args.sf)
    con = open_warpdb(args.device)
    t0 = time.perf_counter()
    attach(con, "arrow", data_dir, load_tables(data_dir))
    report = {"sf": args.sf, "device": con.device, "queries": {}}
    args.out.mkdir(parents=True, exist_ok=True)
    python_profiles = []
    for q in queries:
        if args.cprofile:
            python_profiles.append(f"===== Q{q}\n{python_profile(con, query_text(q), args.repeat)}")
        entry = profile_query(con, query_text(q), args.repeat)
        report["queries"][f"q{q}"] = entry
        top = sorted(entry["ops"], key=lambda o: -o["ms"])[:4]
        tops = ", ".join(f"{o['op']} {o['ms']:.1f}ms/{o['rows']}" for o in top)
        print(f"Q{q:<2} wall {entry['wall_ms']:8.1f} ms  synced {entry['synced_ms']:8.1f} ms  top: {tops}", flush=True)
    report["total_wall_ms"] = round(sum(e["wall_ms"] for e in report["queries"].values()), 3)
    print(f"total wall {report['total_wall_ms']:.1f} ms (load {time.perf_counter() - t0:.1f} s incl. queries)")
    if python_profiles:
        (args.out / f"cprofile_sf{args.sf:g}_{con.device}.txt").write_text("\n".join(python_profiles))
    path = args.out / f"profile_sf{args.sf:g}_{con.device}.json"
    path.write_text(json.dumps(report, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
