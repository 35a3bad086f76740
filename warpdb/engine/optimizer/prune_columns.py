"""Read and carry only the columns some parent uses."""
from __future__ import annotations

from dataclasses import replace

from ..logical import Aggregate, Distinct, Join, Plan, Project, Scan, SetOp, node_exprs


def apply(plan: Plan) -> Plan:
    return prune(plan, {f.cid for f in plan.schema})


def prune(plan: Plan, need: set[int]) -> Plan:
    """`plan` narrowed to produce at least the cids in `need` (its own schema may keep more)."""
    if isinstance(plan, Scan):
        used = need | {c for e in plan.filters for c in e.cids()}
        keep = [(n, f) for n, f in zip(plan.columns, plan.schema) if f.cid in used]
        if not keep and plan.schema:
            keep = [(plan.columns[0], plan.schema[0])]
        return replace(plan, columns=tuple(n for n, _ in keep), schema=tuple(f for _, f in keep))
    if isinstance(plan, Project):
        pairs = [(e, f) for e, f in zip(plan.exprs, plan.schema) if f.cid in need]
        child_need = {c for e, _ in pairs for c in e.cids()}
        return Project(prune(plan.input, child_need), tuple(e for e, _ in pairs), tuple(f for _, f in pairs))
    if isinstance(plan, Aggregate):
        n_keys = len(plan.keys)
        aggs = [(a, f) for a, f in zip(plan.aggs, plan.schema[n_keys:]) if f.cid in need]
        child_need = {c for e in list(plan.keys) + [a for a, _ in aggs] for c in e.cids()}
        schema = plan.schema[:n_keys] + tuple(f for _, f in aggs)
        return Aggregate(prune(plan.input, child_need), plan.keys, tuple(a for a, _ in aggs), schema)
    if isinstance(plan, (SetOp, Distinct)):
        return plan.with_children(tuple(prune(c, {f.cid for f in c.schema}) for c in plan.children()))
    own = {c for e in node_exprs(plan) for c in e.cids()}
    need = need | own
    if isinstance(plan, Join):
        return plan.with_children((prune(plan.left, need & plan.left.cids()), prune(plan.right, need & plan.right.cids())))
    kids = plan.children()
    return plan.with_children(tuple(prune(c, need) for c in kids)) if kids else plan
