"""GROUP BY binding: which expressions are keys, which are aggregates, and references to both."""
from __future__ import annotations

from sqlglot import exp

from ..engine.expr import AggCall, ColRef, Expr
from ..engine.logical import Field
from ..errors import Error
from .bind_expr import ExprBinder, is_aggregate


def find_aggregates(node: exp.Expression) -> list[exp.Expression]:
    """Aggregate calls in `node`, not looking into subqueries."""
    out = []

    def visit(n):
        if is_aggregate(n):
            out.append(n)
            return
        if isinstance(n, (exp.Subquery, exp.Select, exp.Exists)) and n is not node:
            return
        for child in n.iter_expressions():
            visit(child)

    visit(node)
    return out


def has_subquery(node: exp.Expression) -> bool:
    return node.find(exp.Subquery, exp.Select, exp.Exists) is not None


class AggContext:
    """Post-aggregation name resolution: group keys and aggregate calls map to Aggregate outputs."""

    def __init__(self, input_binder: ExprBinder, keys: list[tuple[Expr, Field]], aggs: dict[AggCall, Field]):
        self.input_binder, self.keys, self.aggs = input_binder, keys, aggs

    def lookup(self, node: exp.Expression) -> Expr | None:
        if is_aggregate(node):
            call = self.input_binder.aggregate(node)
            f = self.aggs[call]
            return ColRef(f.cid, f.dtype, f.name)
        if not self.keys or isinstance(node, (exp.Literal, exp.Null, exp.Boolean, exp.Star)):
            return None
        if has_subquery(node) or find_aggregates(node):
            return None
        try:
            e = self.input_binder.bind(node)
        except Error:
            return None
        for key, f in self.keys:
            if key == e:
                return ColRef(f.cid, f.dtype, f.name)
        return None
