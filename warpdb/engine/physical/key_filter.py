"""Runtime key filters: a join whose one side is a GROUP BY on the join keys evaluates its other side
first, and the aggregate then groups only the input rows whose keys occur there (the others form
groups the join would drop). Q17's and Q2's per-part aggregates shrink from every lineitem or
partsupp row to the rows of the few selected parts.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..expr import ColRef, Expr
from ..logical import Aggregate, Filter, Join, Plan, Project

_SIDES = {"inner": (0, 1), "left": (1,), "semi": (1,), "anti": (1,), "mark": (1,), "single": (1,), "right": (0,)}
MIN_REDUCTION = 8


@dataclass(frozen=True)
class KeyFilter:
    """Keep an aggregate's input rows whose group keys `positions` occur among `columns`."""

    aggregate: Aggregate
    positions: tuple[int, ...]
    columns: tuple


def candidate(join: Join) -> tuple[int, Aggregate, tuple[int, ...], tuple[Expr, ...]] | None:
    """(side, aggregate, group-key position, the other side's matching join key), or None. One key
    suffices to filter soundly and keeps the filter a single-key presence test."""
    for side in _SIDES.get(join.kind, ()):
        child = join.children()[side]
        own = join.left_keys if side == 0 else join.right_keys
        other = join.right_keys if side == 0 else join.left_keys
        for key, partner in zip(own, other):
            traced = _trace(child, key)
            if traced is not None:
                return side, traced[0], (traced[1],), (partner,)
    return None


def _trace(plan: Plan, e: Expr):
    """The aggregate and group-key position a join key column comes from, through projections and
    filters; None when it is computed or comes from elsewhere (a shared subplan among them: its
    other readers need all of its rows)."""
    while isinstance(e, ColRef):
        if isinstance(plan, Aggregate):
            n = len(plan.keys)
            for i, f in enumerate(plan.schema[:n]):
                if f.cid == e.cid:
                    return plan, i
            return None
        if isinstance(plan, Filter):
            plan = plan.input
        elif isinstance(plan, Project):
            src = next((x for f, x in zip(plan.schema, plan.exprs) if f.cid == e.cid), None)
            plan, e = plan.input, src
        else:
            return None
    return None
