"""(A AND B) OR (A AND C)  ->  A AND (B OR C): exposes join keys and filters hidden in ORs."""
from __future__ import annotations

from dataclasses import replace

from .. import types as T
from ..expr import Call, Expr, and_all, conjuncts
from ..logical import Filter, Join, Plan


def _disjuncts(e: Expr) -> list[Expr]:
    if isinstance(e, Call) and e.op == "or":
        return [d for a in e.args for d in _disjuncts(a)]
    return [e]


def factor(e: Expr) -> Expr:
    """A predicate with the conjuncts common to every OR branch pulled out."""
    out = []
    for c in conjuncts(e):
        branches = _disjuncts(c)
        if len(branches) < 2:
            out.append(c)
            continue
        parts = [conjuncts(b) for b in branches]
        common = [x for x in parts[0] if all(x in p for p in parts[1:])]
        if not common:
            out.append(c)
            continue
        rest = [and_all([x for x in p if x not in common]) for p in parts]
        out += common
        if all(r is not None for r in rest):
            ored = rest[0]
            for r in rest[1:]:
                ored = Call("or", (ored, r), T.BOOL)
            out.append(ored)
    return and_all(out)


def apply(plan: Plan) -> Plan:
    kids = tuple(apply(c) for c in plan.children())
    if kids:
        plan = plan.with_children(kids)
    if isinstance(plan, Filter):
        return Filter(plan.input, factor(plan.predicate))
    if isinstance(plan, Join) and plan.residual is not None:
        return replace(plan, residual=factor(plan.residual))
    return plan
