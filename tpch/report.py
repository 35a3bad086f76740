"""Benchmark results: per-query records, the summary, the console table, the JSON file and the bar chart."""
from __future__ import annotations

import json
import math
import os
import platform
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tpch import progress


@dataclass
class QueryResult:
    """One query's outcome: best times in ms, whether warpdb matched DuckDB and why not, the row count
    of the DuckDB reference result, and warpdb's planning time when its result object reports one."""

    query: int
    warpdb_ms: float | None
    duckdb_ms: float
    ok: bool
    error: str | None
    rows: int
    planning_ms: float | None


def card_name(device: str) -> str:
    """The GPU name from nvidia-smi for a GPU device, else the CPU model and core count."""
    if device.startswith(("gpu", "cuda")):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                capture_output=True, text=True, check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return "unknown GPU"
        names = [line.strip() for line in out.splitlines() if line.strip()]
        return names[0] if names else "unknown GPU"
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model} ({os.cpu_count()} cores)"


def geomean(values: list[float]) -> float | None:
    """Geometric mean of positive values; None for an empty list."""
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def build_report(
    results: list[QueryResult], *, sf: float, device: str, card: str, source: str, repeat: int
) -> dict[str, Any]:
    """The JSON-ready summary of a run.

    `geomean_speedup` is the geometric mean of duckdb_ms / warpdb_ms over ok queries; the two
    totals also sum over ok queries only, so that they compare the same work.
    """
    ok = [r for r in results if r.ok and r.warpdb_ms is not None]
    planning = [r.planning_ms for r in results if r.planning_ms is not None]
    return {
        "sf": sf,
        "device": device,
        "card": card,
        "source": source,
        "repeat": repeat,
        "queries": [asdict(r) for r in results],
        "geomean_speedup": geomean([r.duckdb_ms / r.warpdb_ms for r in ok if r.warpdb_ms > 0]),
        "warpdb_total_ms": sum(r.warpdb_ms for r in ok),
        "duckdb_total_ms": sum(r.duckdb_ms for r in ok),
        "planning_ms": sum(planning) if planning else None,
        "all_ok": bool(results) and all(r.ok for r in results),
    }


def report_stem(report: dict[str, Any]) -> str:
    """File name stem `tpch_sf{sf}_{device}_{card}`, with the card reduced to file-safe characters."""
    card = re.sub(r"[^A-Za-z0-9.+-]+", "-", report["card"]).strip("-")
    return f"tpch_sf{report['sf']:g}_{report['device']}_{card}"


def write_json(report: dict[str, Any], out_dir: Path) -> Path:
    """Write the report as `OUT/<stem>.json` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{report_stem(report)}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def write_plot(report: dict[str, Any], out_dir: Path) -> Path:
    """Write a per-query bar chart (warpdb vs DuckDB ms, log scale) as `OUT/<stem>.png`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    queries = report["queries"]
    xs = range(len(queries))
    warp = [q["warpdb_ms"] if q["warpdb_ms"] else math.nan for q in queries]
    duck = [q["duckdb_ms"] for q in queries]
    width = 0.4
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(queries) + 2), 4.5))
    ax.bar([x - width / 2 for x in xs], warp, width, label="warpdb", color="#2a7ab9")
    ax.bar([x + width / 2 for x in xs], duck, width, label="DuckDB", color="#f0a030")
    ax.set_yscale("log")
    ax.set_xticks(list(xs), [f"Q{q['query']}" + ("" if q["ok"] else " ✗") for q in queries], fontsize=8)
    for tick, q in zip(ax.get_xticklabels(), queries):
        if not q["ok"]:
            tick.set_color("#c0392b")
    ax.set_ylabel("best time (ms, log scale); ✗ = warpdb failed")
    speedup = report["geomean_speedup"]
    subtitle = f"geomean speedup {speedup:.2f}x" if speedup else "no query ok"
    ax.set_title(f"TPC-H SF{report['sf']:g}, {report['device']} ({report['card']}): {subtitle}", fontsize=10)
    ax.legend()
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{report_stem(report)}.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _fmt_ms(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.1f}"


def table_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Rows of the console table: query, warpdb ms, DuckDB ms, speedup (duckdb/warpdb), ok."""
    rows = []
    for q in report["queries"]:
        ratio = f"{q['duckdb_ms'] / q['warpdb_ms']:.2f}x" if q["warpdb_ms"] else "-"
        rows.append((f"Q{q['query']}", _fmt_ms(q["warpdb_ms"]), _fmt_ms(q["duckdb_ms"]), ratio,
                     "ok" if q["ok"] else "FAIL"))
    speedup = report["geomean_speedup"]
    rows.append(("total (ok)", _fmt_ms(report["warpdb_total_ms"]), _fmt_ms(report["duckdb_total_ms"]),
                 f"{speedup:.2f}x geomean" if speedup else "-", "all ok" if report["all_ok"] else "not all ok"))
    return rows


def print_table(report: dict[str, Any]) -> None:
    """Print the per-query comparison, then the first line of each failure."""
    header = ("query", "warpdb ms", "duckdb ms", "speedup", "ok")
    rows = table_rows(report)
    title = f"TPC-H SF{report['sf']:g} ({report['source']}) warpdb {report['device']} [{report['card']}] vs DuckDB"
    if progress.CONSOLE is not None:
        from rich.table import Table

        table = Table(*header, title=title)
        for col in table.columns[1:4]:
            col.justify = "right"
        for row in rows:
            table.add_row(*row, style=None if row[-1] in ("ok", "all ok") else "red")
        progress.CONSOLE.print(table)
    else:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        print(title)
        for row in [header, *rows]:
            cells = (c.rjust(w) if 0 < i < 4 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
            print("  ".join(cells).rstrip())
    for q in report["queries"]:
        if not q["ok"]:
            progress.log(f"Q{q['query']}: {q['error']}")
