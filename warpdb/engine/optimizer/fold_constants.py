"""Fold expressions over literals into literals; compare dates with date literals, not timestamps."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...errors import Error
from .. import types as T
from ..expr import AggCall, Call, Case, Cast, Expr, Lit, transform
from ..logical import Aggregate, Filter, Join, Plan, Project, Sort, SortKey, transform_up
from ..literals import US_PER_DAY
from ..physical.batch import Batch
from ..physical.expressions import Evaluator
from ..types import Kind

_EV = Evaluator(np, np.asarray)
_NO_FOLD = ("in", "like", "ilike")


def fold_expr(e: Expr) -> Expr:
    return transform(e, _fold_node)


def _fold_node(e: Expr) -> Expr:
    if isinstance(e, (Call, Cast, Case)) and not isinstance(e, AggCall) and e.children() and all(
        isinstance(c, Lit) for c in e.children()
    ):
        if e.dtype.kind in (Kind.VARCHAR, Kind.INTERVAL) or (isinstance(e, Call) and e.op in _NO_FOLD):
            return e
        if any(c.dtype.kind is Kind.INTERVAL for c in e.children()) and not (isinstance(e, Call) and e.op.endswith("_interval")):
            return e
        try:
            col = _EV.eval(e, Batch({}, 1))
        except Error:
            return e
        if col.valid is not None and not bool(col.valid[0]):
            return Lit(None, e.dtype)
        v = col.data[0].item()
        return Lit(v, e.dtype)
    if isinstance(e, Call) and e.op in ("eq", "ne", "lt", "le", "gt", "ge"):
        return _date_compare(e)
    return e


def _date_compare(e: Call) -> Expr:
    """CAST(date AS TIMESTAMP) <op> TIMESTAMP literal at midnight  ->  date <op> DATE literal."""
    a, b = e.args
    if isinstance(a, Cast) and a.arg.dtype.kind is Kind.DATE and a.dtype.kind is Kind.TIMESTAMP and isinstance(b, Lit):
        if b.value is not None and b.value % US_PER_DAY == 0:
            return Call(e.op, (a.arg, Lit(b.value // US_PER_DAY, T.DATE)), e.dtype)
    if isinstance(b, Cast) and b.arg.dtype.kind is Kind.DATE and b.dtype.kind is Kind.TIMESTAMP and isinstance(a, Lit):
        if a.value is not None and a.value % US_PER_DAY == 0:
            return Call(e.op, (Lit(a.value // US_PER_DAY, T.DATE), b.arg), e.dtype)
    return e


def apply(plan: Plan) -> Plan:
    return transform_up(plan, _fold_plan_node)


def _fold_plan_node(plan: Plan) -> Plan:
    if isinstance(plan, Filter):
        return Filter(plan.input, fold_expr(plan.predicate))
    if isinstance(plan, Project):
        return Project(plan.input, tuple(fold_expr(e) for e in plan.exprs), plan.schema)
    if isinstance(plan, Aggregate):
        return Aggregate(plan.input, tuple(fold_expr(k) for k in plan.keys),
                         tuple(fold_expr(a) for a in plan.aggs), plan.schema)
    if isinstance(plan, Join) and plan.residual is not None:
        return replace(plan, residual=fold_expr(plan.residual))
    if isinstance(plan, Sort):
        return Sort(plan.input, tuple(SortKey(fold_expr(k.expr), k.descending, k.nulls_first) for k in plan.keys), plan.limit)
    return plan
