"""GROUP BY whose aggregates are all DISTINCT over one argument (TPC-H Q16's count(DISTINCT
ps_suppkey)) becomes two GROUP BYs: the distinct (keys, argument) rows first, then the same
functions without DISTINCT over those rows — each a plain aggregate (on the GPU a hashed one)
instead of a sort of every (group, value) pair. The argument's NULL rows form one inner group whose
argument is NULL, which count/sum/avg/min/max skip, so a group whose values are all NULL keeps its
row (count 0), and a global aggregate still gives its one row over no rows."""
from __future__ import annotations

from ..expr import AggCall, ColRef
from ..logical import Aggregate, Field, Plan, transform_up

_FUNCS = ("count", "sum", "avg", "min", "max")


def apply(plan: Plan) -> Plan:
    next_cid = [1 + max((f.cid for node in plan.walk() for f in node.schema), default=0)]
    return transform_up(plan, lambda node: _split(node, next_cid))


def _split(plan: Plan, next_cid: list[int]) -> Plan:
    if not isinstance(plan, Aggregate) or not plan.aggs:
        return plan
    arg = plan.aggs[0].args[0] if len(plan.aggs[0].args) == 1 else None
    if arg is None or any(not a.distinct or a.func not in _FUNCS or a.args != (arg,) for a in plan.aggs):
        return plan
    exprs = (*plan.keys, arg)
    start = next_cid[0]
    next_cid[0] += len(exprs)
    inner = Aggregate(plan.input, exprs, (), tuple(Field(start + i, str(e), e.dtype) for i, e in enumerate(exprs)))
    refs = [ColRef(f.cid, f.dtype, f.name) for f in inner.schema]
    aggs = tuple(AggCall(a.func, (refs[-1],), a.dtype, False) for a in plan.aggs)
    return Aggregate(inner, tuple(refs[:-1]), aggs, plan.schema)
