"""`frame.group_by(keys).agg(aggregates)`: one GROUP BY, output = keys then aggregates."""
from __future__ import annotations

from dataclasses import replace

from .expr import Expr, expr_list, row_count


class GroupBy:
    """Group keys waiting for their aggregates."""

    def __init__(self, frame, keys: list[Expr]):
        self._frame, self._keys = frame, keys

    def agg(self, *aggs, **named_aggs):
        """A frame of one row per distinct key: the keys, then each aggregate (named by its alias,
        else its first column)."""
        q = self._frame._query
        if not q.open:
            q = q.wrapped()
        aggs = expr_list(aggs, named_aggs)
        keys = [q.resolve(k) for k in self._keys]
        items = tuple((k.name, node) for k, node in zip(self._keys, keys))
        items += tuple((a.name, q.resolve(a)) for a in aggs)
        q = replace(q, items=items, group=tuple(k.copy() for k in keys), aggregated=True, order=())
        return self._frame._derive(q)

    def len(self, name: str = "len"):
        """Rows per group, in a column named `name`."""
        return self.agg(row_count().alias(name))
