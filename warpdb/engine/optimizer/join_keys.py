"""Turn `left_expr = right_expr` conjuncts of join conditions into equi-join keys."""
from __future__ import annotations

from dataclasses import replace

from ..expr import Call, and_all, conjuncts
from ..logical import Join, Plan, transform_up


def apply(plan: Plan) -> Plan:
    return transform_up(plan, _keys_node)


def _keys_node(plan: Plan) -> Plan:
    if not isinstance(plan, Join) or plan.residual is None or plan.kind == "single":
        return plan
    lc, rc = plan.left.cids(), plan.right.cids()
    lkeys, rkeys, rest = list(plan.left_keys), list(plan.right_keys), []
    for c in conjuncts(plan.residual):
        if isinstance(c, Call) and c.op == "eq":
            a, b = c.args
            ac, bc = a.cids(), b.cids()
            if ac and bc and ac <= lc and bc <= rc:
                lkeys.append(a)
                rkeys.append(b)
                continue
            if ac and bc and ac <= rc and bc <= lc:
                lkeys.append(b)
                rkeys.append(a)
                continue
        rest.append(c)
    kind = "inner" if plan.kind == "cross" and lkeys else plan.kind
    return replace(plan, kind=kind, left_keys=tuple(lkeys), right_keys=tuple(rkeys), residual=and_all(rest))
