"""Push filter conjuncts as deep as they go: through projections, sorts and group keys, into join
inputs and join conditions, and into scans."""
from __future__ import annotations

from dataclasses import replace

from ..expr import Expr, Lit, and_all, conjuncts, substitute
from ..logical import Aggregate, Distinct, Filter, Join, Plan, Project, Scan, SetOp, Sort

_PRESERVES_LEFT = ("inner", "cross", "left", "semi", "anti", "mark", "single")
_PRESERVES_RIGHT = ("inner", "cross", "right")


def apply(plan: Plan) -> Plan:
    return push(plan, [])


def apply_and_sink(plan: Plan) -> Plan:
    """Push filters again after join ordering, also sinking semi/anti joins below inner joins
    that do not reduce their input."""
    return push(plan, [], sink=True)


def _wrap(plan: Plan, preds: list[Expr]) -> Plan:
    preds = [p for p in preds if not (isinstance(p, Lit) and p.value is True)]
    return Filter(plan, and_all(preds)) if preds else plan


def push(plan: Plan, preds: list[Expr], sink: bool = False) -> Plan:
    """`plan` with `preds` (conjuncts over its output) applied as deep as possible."""
    if isinstance(plan, Filter):
        return push(plan.input, preds + conjuncts(plan.predicate), sink)
    if isinstance(plan, Scan):
        return replace(plan, filters=plan.filters + tuple(preds)) if preds else plan
    if isinstance(plan, Project):
        mapping = {f.cid: e for f, e in zip(plan.schema, plan.exprs)}
        down = [substitute(p, mapping) for p in preds]
        return Project(push(plan.input, down, sink), plan.exprs, plan.schema)
    if isinstance(plan, (Sort, Distinct)) and not (isinstance(plan, Sort) and plan.limit is not None):
        return plan.with_children((push(plan.input, preds, sink),))
    if isinstance(plan, Aggregate):
        keys = {f.cid: k for f, k in zip(plan.schema, plan.keys)}
        down, stay = [], []
        for p in preds:
            (down if p.cids() and p.cids() <= set(keys) and plan.keys else stay).append(p)
        inner = push(plan.input, [substitute(p, keys) for p in down], sink)
        return _wrap(Aggregate(inner, plan.keys, plan.aggs, plan.schema), stay)
    if isinstance(plan, Join):
        return _join(plan, preds, sink)
    if isinstance(plan, SetOp):
        kids = tuple(push(c, [], sink) for c in plan.children())
        return _wrap(plan.with_children(kids), preds)
    kids = tuple(push(c, [], sink) for c in plan.children())
    return _wrap(plan.with_children(kids) if kids else plan, preds)


def _sink_semi(j: Join) -> Join:
    """A semi/anti join over an inner join moves to the inner join's input that holds its keys."""
    inner = j.left
    if j.kind not in ("semi", "anti") or not isinstance(inner, Join) or inner.kind not in ("inner", "cross"):
        return j
    own = {c for e in j.left_keys for c in e.cids()}
    if j.residual is not None:
        own |= j.residual.cids() - j.right.cids()
    from .order_joins import estimate

    rows = estimate(inner)
    if own and own <= inner.left.cids() and rows >= estimate(inner.left):
        return replace(inner, left=_sink_semi(replace(j, left=inner.left)))
    if own and own <= inner.right.cids() and rows >= estimate(inner.right):
        return replace(inner, right=_sink_semi(replace(j, left=inner.right)))
    return j


def _join(j: Join, preds: list[Expr], sink: bool) -> Plan:
    sunk = _sink_semi(j) if sink else j
    if sunk is not j:
        return push(sunk, preds, sink)
    lc, rc = j.left.cids(), j.right.cids()
    kind = j.kind
    to_left, to_right, stay, into_cond = [], [], [], []
    for p in preds:
        cids = p.cids()
        if cids and cids <= lc and kind in _PRESERVES_LEFT:
            to_left.append(p)
        elif cids and cids <= rc and kind in _PRESERVES_RIGHT:
            to_right.append(p)
        elif kind in ("inner", "cross") and cids <= lc | rc:
            into_cond.append(p)
        else:
            stay.append(p)
    cond = conjuncts(j.residual)
    keep = []
    for c in cond:
        cids = c.cids()
        if cids and cids <= rc and kind in ("inner", "cross", "left", "semi", "anti"):
            to_right.append(c)
        elif cids and cids <= lc and kind in ("inner", "cross", "right"):
            to_left.append(c)
        else:
            keep.append(c)
    keep += into_cond
    kind = "inner" if kind == "cross" and keep else kind
    residual = and_all(keep)
    new = replace(j, kind=kind, left=push(j.left, to_left, sink), right=push(j.right, to_right, sink), residual=residual)
    return _wrap(new, stay)



