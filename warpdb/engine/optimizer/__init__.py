"""The optimizer: one rule a module, each timed, each switchable, output schema checked."""
from __future__ import annotations

import time

from ...errors import ExecutionError
from . import (distinct_aggregates, factor_or, fold_constants, join_keys, order_joins, prune_columns, pushdown_filters,
               share_subplans, top_k)

RULES = [
    ("fold_constants", fold_constants.apply),
    ("factor_or", factor_or.apply),
    ("pushdown_filters", pushdown_filters.apply),
    ("order_joins", order_joins.apply),
    ("pushdown_filters_again", pushdown_filters.apply_and_sink),
    ("join_keys", join_keys.apply),
    ("distinct_aggregates", distinct_aggregates.apply),
    ("prune_columns", prune_columns.apply),
    ("top_k", top_k.apply),
    ("share_subplans", share_subplans.apply),
]
DISABLED: set[str] = set()
TIMINGS: dict[str, float] = {}


def optimize(plan):
    """Run every enabled rule in order; a rule that changes the output schema is a bug."""
    for name, rule in RULES:
        if name in DISABLED or name.removesuffix("_again") in DISABLED:
            continue
        start = time.perf_counter()
        out = rule(plan)
        TIMINGS[name] = TIMINGS.get(name, 0.0) + (time.perf_counter() - start) * 1e3
        if [f.cid for f in out.schema] != [f.cid for f in plan.schema]:
            raise ExecutionError(f"optimizer rule {name} changed the plan's output schema")
        plan = out
    return plan
