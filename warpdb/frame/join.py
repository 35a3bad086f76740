"""Frame joins: merged into one FROM clause when both sides allow it, else over derived tables.

Output columns follow Polars: the left columns, then the right ones; equal-key columns are
coalesced (the right key is dropped; for right joins the left key) unless `coalesce=False`, and other
right columns whose names are taken get `suffix`. Semi and anti joins become [NOT] EXISTS.
"""
from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from ..errors import BindError
from .convert import parenthesize
from .expr import Expr
from .query import JoinPart, Query, Semi, conjunction

HOWS = ("inner", "left", "right", "full", "semi", "anti", "cross")


def join_queries(left: Query, right: Query, left_on: list[Expr], right_on: list[Expr], how: str,
                 suffix: str, coalesce: bool | None) -> Query:
    """The query of `left` joined with `right` on pairwise equal keys."""
    if how not in HOWS:
        raise ValueError(f"how must be one of {', '.join(HOWS)}, not {how!r}")
    if len(left_on) != len(right_on):
        raise BindError(f"join has {len(left_on)} left keys but {len(right_on)} right keys")
    if how == "cross" and left_on:
        raise BindError("a cross join takes no join keys")
    if how != "cross" and not left_on:
        raise BindError(f"{how} join needs keys: on=, or left_on= and right_on=")
    nullable_left = how in ("right", "full")
    if not left.open or (nullable_left and (left.where or left.semis or not left.passthrough)):
        left = left.wrapped()
    left = replace(left, order=())
    nullable_right = how in ("left", "full")
    mergeable = right.simple and not (nullable_right and not right.passthrough) and not (how == "full" and right.where)
    if not mergeable:
        right = right.wrapped()
    right = replace(right, order=()).requalified(left.qualifiers())
    lkeys = [left.resolve(k) for k in left_on]
    rkeys = [right.resolve(k) for k in right_on]
    on = [parenthesize(exp.EQ(this=lk, expression=rk.copy())) for lk, rk in zip(lkeys, rkeys)]
    if how in ("semi", "anti"):
        semi = Semi(right, conjunction(on), negated=how == "anti")
        return replace(left, semis=left.semis + (semi,))
    if how == "left":
        on += [w.copy() for w in right.where]
    where = left.where + (right.where if how != "left" else ())
    side = how if how in ("left", "right", "full") else ""
    items = _output_items(left, right, left_on, right_on, lkeys, rkeys, how, suffix, coalesce)
    return replace(
        left, sources=left.sources + right.sources,
        joins=left.joins + (JoinPart(side, conjunction(on) if on else None),), where=where, items=items,
    )


def _output_items(left, right, left_on, right_on, lkeys, rkeys, how, suffix, coalesce):
    if coalesce is None:
        coalesce = how != "full"
    pairs = [(lo.name, ro.name, lk, rk) for lo, ro, lk, rk in zip(left_on, right_on, lkeys, rkeys)
             if isinstance(lo.node, exp.Column) and isinstance(ro.node, exp.Column)] if coalesce else []
    drop_left = {ln for ln, _, _, _ in pairs} if how == "right" else set()
    drop_right = {rn for _, rn, _, _ in pairs} if how != "right" else set()
    merged = {ln: exp.Coalesce(this=lk.copy(), expressions=[rk.copy()]) for ln, _, lk, rk in pairs} if how == "full" else {}
    items = [(n, merged.get(n, node)) for n, node in left.items if n not in drop_left]
    taken = {n for n, _ in items}
    for n, node in right.items:
        if n in drop_right:
            continue
        if n in taken:
            n = n + suffix.lower()
            if n in taken:
                raise BindError(f"join output would have two columns named '{n}'; rename one side first")
        taken.add(n)
        items.append((n, node))
    return tuple(items)
