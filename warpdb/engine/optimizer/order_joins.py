"""Order inner joins greedily by estimated cardinality, joining only connected relations, so no
query builds a cross product it can avoid."""
from __future__ import annotations

from .. import types as T
from ..expr import Call, ColRef, Expr, and_all, conjuncts
from ..logical import Aggregate, Filter, Join, Plan, Project, Scan
from .pushdown_filters import push

MANY_TO_MANY_PENALTY = 1.5
_SELECTIVITY = {"eq": 0.1, "ne": 0.9, "lt": 0.3, "le": 0.3, "gt": 0.3, "ge": 0.3, "like": 0.25, "in": 0.2}


def apply(plan: Plan) -> Plan:
    if isinstance(plan, Join) and plan.kind in ("inner", "cross"):
        rels, conds = [], []
        _flatten(plan, rels, conds)
        if len(rels) > 2:
            return _order([apply(r) for r in rels], conds)
    kids = tuple(apply(c) for c in plan.children())
    return plan.with_children(kids) if kids else plan


def _flatten(p: Plan, rels: list[Plan], conds: list[Expr]) -> None:
    if isinstance(p, Join) and p.kind in ("inner", "cross"):
        _flatten(p.left, rels, conds)
        _flatten(p.right, rels, conds)
        conds += conjuncts(p.residual)
        conds += [Call("eq", (a, b), T.BOOL) for a, b in zip(p.left_keys, p.right_keys)]
    else:
        rels.append(p)


def selectivity(pred: Expr) -> float:
    s = 1.0
    for c in conjuncts(pred):
        op = c.op if isinstance(c, Call) else ""
        s *= _SELECTIVITY.get(op, 0.5)
    return s


def estimate(p: Plan) -> float:
    """Rough output rows of a plan, from table sizes and predicate heuristics."""
    if isinstance(p, Scan):
        rows = float(p.source.num_rows)
        for f in p.filters:
            rows *= selectivity(f)
        return max(rows, 1.0)
    if isinstance(p, Filter):
        return max(estimate(p.input) * selectivity(p.predicate), 1.0)
    if isinstance(p, Aggregate):
        return 1.0 if not p.keys else max(estimate(p.input) / 2, 1.0)
    if isinstance(p, Join):
        left, right = estimate(p.left), estimate(p.right)
        if p.kind in ("semi", "anti", "mark", "single"):
            return left * (0.5 if p.kind in ("semi", "anti") else 1.0)
        if p.kind in ("cross",) or not p.left_keys and p.residual is None:
            return left * right
        if p.kind not in ("inner", "left", "right", "full"):
            return left
        edges = [Call("eq", (a, b), T.BOOL) for a, b in zip(p.left_keys, p.right_keys)] + conjuncts(p.residual)
        out = _join_estimate(left, right, edges, scan_columns(p), p.left.cids())
        return max(out, left if p.kind in ("left", "full") else 1.0, right if p.kind in ("right", "full") else 1.0)
    kids = p.children()
    return estimate(kids[0]) if kids else 1.0


def scan_columns(p: Plan) -> dict[int, tuple]:
    """(table entry, column name) of the columns a plan passes through from its scans."""
    out: dict[int, tuple] = {}
    for node in p.walk():
        if isinstance(node, Scan):
            out.update({f.cid: (node.source, name) for name, f in zip(node.columns, node.schema)})
        elif isinstance(node, Project):
            for e, f in zip(node.exprs, node.schema):
                if isinstance(e, ColRef) and e.cid in out:
                    out[f.cid] = out[e.cid]
    return out


def _order(rels: list[Plan], conds: list[Expr]) -> Plan:
    cids = [r.cids() for r in rels]
    single: dict[int, list[Expr]] = {}
    multi: list[Expr] = []
    for c in conds:
        owners = [i for i, s in enumerate(cids) if c.cids() & s]
        if len(owners) == 1:
            single.setdefault(owners[0], []).append(c)
        else:
            multi.append(c)
    rels = [push(r, single.get(i, [])) for i, r in enumerate(rels)]
    est = [estimate(r) for r in rels]
    ndv = {}
    for r in rels:
        ndv.update(scan_columns(r))
    multi_cids = [c.cids() for c in multi]
    starts = [i for i in range(len(rels)) if any(cc & cids[i] for cc in multi_cids)] or list(range(len(rels)))
    best = min((_greedy(i, rels, cids, est, multi, ndv) for i in starts), key=lambda r: r[0])
    _, plan, used = best
    rest = [c for c in multi if id(c) not in used]
    return push(plan, rest) if rest else plan


def _greedy(start: int, rels, cids, est, multi, ndv):
    """Left-deep order from `start`, each step the connected relation with the smallest estimated
    result: (cost = sum of estimated intermediate sizes, plan, ids of the conditions used)."""

    cond_cids = [(c, c.cids()) for c in multi]

    def connected(acc_cids, i):
        both = acc_cids | cids[i]
        return [c for c, cc in cond_cids if cc <= both and cc & cids[i] and cc & acc_cids]

    remaining = set(range(len(rels))) - {start}
    plan, acc_cids, acc_est = rels[start], set(cids[start]), est[start]
    used: set[int] = set()
    cost = 0.0
    while remaining:
        best = None
        for i in sorted(remaining):
            edges = [c for c in connected(acc_cids, i) if id(c) not in used]
            if not edges and any(connected(acc_cids, j) for j in remaining):
                continue
            out = _join_estimate(acc_est, est[i], edges, ndv, acc_cids)
            if best is None or out < best[0]:
                best = (out, i, edges)
        out, i, edges = best
        used |= {id(c) for c in edges}
        plan = Join("inner" if edges else "cross", plan, rels[i], residual=and_all(edges))
        acc_cids |= cids[i]
        acc_est = out
        cost += out
        remaining.discard(i)
    return cost, plan, used


def _join_estimate(left: float, right: float, edges: list[Expr], ndv: dict[int, tuple], acc_cids) -> float:
    """Rows of joining the accumulated plan (`left` rows) with a relation (`right` rows)."""
    best = left * right
    for c in edges:
        if isinstance(c, Call) and c.op == "eq":
            a, b = c.args
            la, rb = (a, b) if a.cids() <= acc_cids else (b, a)
            dl = min(_distinct(la, ndv, left), left)
            dr = min(_distinct(rb, ndv, right), right)
            out = left * right / max(dl, dr, 1.0)
            if max(dl, dr) < min(left, right):
                out *= MANY_TO_MANY_PENALTY
            best = min(best, out)
        else:
            best *= 0.5
    return max(best, 1.0)


def _distinct(e: Expr, ndv: dict[int, tuple], default: float) -> float:
    if isinstance(e, ColRef) and e.cid in ndv:
        source, name = ndv[e.cid]
        return source.distinct_estimate(name)
    return default
