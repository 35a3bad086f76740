"""EXPLAIN: a plan tree as indented text."""
from __future__ import annotations

from .logical import Aggregate, Distinct, Filter, Join, Limit, Plan, Project, Reuse, Scan, SetOp, Shared, Sort, Values


def _line(p: Plan) -> str:
    if isinstance(p, Scan):
        f = f" filters=[{', '.join(map(str, p.filters))}]" if p.filters else ""
        return f"SCAN {p.table} [{', '.join(p.columns)}]{f}"
    if isinstance(p, Filter):
        return f"FILTER {p.predicate}"
    if isinstance(p, Project):
        return "PROJECT " + ", ".join(f"{e} AS {f.name}" for e, f in zip(p.exprs, p.schema))
    if isinstance(p, Aggregate):
        return f"AGGREGATE keys=[{', '.join(map(str, p.keys))}] aggs=[{', '.join(map(str, p.aggs))}]"
    if isinstance(p, Join):
        keys = ", ".join(f"{a} = {b}" for a, b in zip(p.left_keys, p.right_keys))
        extra = f" residual={p.residual}" if p.residual is not None else ""
        extra += f" in=({p.in_pair[0]}, {p.in_pair[1]})" if p.in_pair else ""
        return f"JOIN {p.kind.upper()} [{keys}]{extra}"
    if isinstance(p, Sort):
        keys = ", ".join(f"{k.expr}{' DESC' if k.descending else ''}{' NULLS FIRST' if k.nulls_first else ''}" for k in p.keys)
        return f"SORT {keys}" + (f" LIMIT {p.limit}" if p.limit is not None else "")
    if isinstance(p, Limit):
        return f"LIMIT {p.limit} OFFSET {p.offset}"
    if isinstance(p, Distinct):
        return "DISTINCT"
    if isinstance(p, SetOp):
        return f"{p.kind.upper()}{' ALL' if p.all else ''}"
    if isinstance(p, Shared):
        return f"SHARED #{p.key} (read {p.readers} times, evaluated once)"
    if isinstance(p, Reuse):
        return f"REUSE #{p.key} [" + ", ".join(f"{c} AS {f.name}#{f.cid}" for c, f in zip(p.columns, p.schema)) + "]"
    if isinstance(p, Values):
        return f"VALUES {len(p.rows)} row(s)"
    return type(p).__name__


def explain(plan: Plan, profile: dict | None = None) -> str:
    """The plan, one node a line, children indented under their parent."""
    lines: list[str] = []

    def visit(p: Plan, depth: int) -> None:
        lines.append("  " * depth + _line(p))
        for c in p.children():
            visit(c, depth + 1)

    visit(plan, 0)
    return "\n".join(lines)
