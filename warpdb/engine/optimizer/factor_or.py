"""(A AND B) OR (A AND C)  ->  A AND (B OR C): exposes join keys and filters hidden in ORs."""
from __future__ import annotations

from dataclasses import replace

from .. import types as T
from ..expr import Call, Expr, and_all, conjuncts
from ..logical import Filter, Join, Plan, transform_up


def _disjuncts(e: Expr) -> list[Expr]:
    if isinstance(e, Call) and e.op == "or":
        return [d for a in e.args for d in _disjuncts(a)]
    return [e]


def _or_all(parts: list[Expr]) -> Expr:
    out = parts[0]
    for p in parts[1:]:
        out = Call("or", (out, p), T.BOOL)
    return out


def implied(parts: list[list[Expr]]) -> list[Expr]:
    """For OR branches given as conjunct lists: for each column set that every branch constrains
    on its own, the OR of those constraints (implied by the whole OR, and pushable alone)."""
    out = []
    for cids in {frozenset(x.cids()) for x in parts[0] if x.cids()}:
        per_branch = [[x for x in p if frozenset(x.cids()) == cids] for p in parts]
        if all(per_branch) and len(parts) > 1:
            out.append(_or_all([and_all(b) for b in per_branch]))
    return out


def factor(e: Expr) -> Expr:
    """A predicate with the conjuncts common to every OR branch pulled out, plus the
    single-column-set predicates every branch implies."""
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
            extra = implied(parts)
            out += [x for x in extra if len(extra) > 1 or x.cids() != c.cids()]
            continue
        rest = [and_all([x for x in p if x not in common]) for p in parts]
        out += common
        if all(r is not None for r in rest):
            out.append(_or_all(rest))
    return and_all(out)


def apply(plan: Plan) -> Plan:
    return transform_up(plan, _factor_node)


def _factor_node(plan: Plan) -> Plan:
    if isinstance(plan, Filter):
        return Filter(plan.input, factor(plan.predicate))
    if isinstance(plan, Join) and plan.residual is not None:
        return replace(plan, residual=factor(plan.residual))
    return plan
