"""ORDER BY ... LIMIT n [OFFSET k] becomes a top-(n+k) sort instead of a full sort."""
from __future__ import annotations

from ..logical import Limit, Plan, Project, Sort, transform_up


def apply(plan: Plan) -> Plan:
    return transform_up(plan, _top_k_node)


def _top_k_node(plan: Plan) -> Plan:
    if not isinstance(plan, Limit) or plan.limit is None:
        return plan
    inner = plan.input
    if isinstance(inner, Project) and isinstance(inner.input, Sort):
        sort = inner.input
        return Limit(Project(Sort(sort.input, sort.keys, plan.limit + plan.offset), inner.exprs, inner.schema),
                     plan.limit, plan.offset)
    if isinstance(inner, Sort):
        return Limit(Sort(inner.input, inner.keys, plan.limit + plan.offset), plan.limit, plan.offset)
    return plan
