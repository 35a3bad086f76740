"""LazyFrame: a Polars-style lazy query that builds the same logical plan as the equivalent SQL.

Each operation returns a new frame whose query (query.py) is the previous one with a clause added or
replaced, or, when the clause cannot be merged (e.g. a filter after a limit), the previous query
wrapped as a derived table. Every new frame is bound at once, so unknown columns and type errors
raise the same typed errors as SQL (BindError with "did you mean", TypeMismatch, NotSupported).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pyarrow as pa
from sqlglot import exp

from ..engine import types as T
from ..engine.catalog import ViewEntry
from ..errors import BindError, Error, NotSupported
from ..sql.bind import bind_query
from .convert import DIALECT
from .expr import Expr, expr_list
from .groupby import GroupBy
from .join import join_queries
from .query import Query, Source, from_source, has_aggregate, over_subquery


class LazyFrame:
    """A lazy query over a connection's tables; `collect()` runs it and returns a pyarrow.Table."""

    def __init__(self, con, query: Query):
        self._con, self._query = con, query
        node = query.select()
        plan, names = _guarded(lambda: bind_query(con.catalog, node, ""))
        self._schema = {n: T.to_arrow(f.dtype) for n, f in zip(names, plan.schema)}

    def _derive(self, query: Query) -> LazyFrame:
        _check_unique(query.names)
        return LazyFrame(self._con, query)

    # --- schema ---------------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        return list(self._schema)

    @property
    def schema(self) -> dict[str, pa.DataType]:
        """Column name -> Arrow type of the result."""
        return dict(self._schema)

    def __repr__(self) -> str:
        return f"<LazyFrame [{', '.join(f'{n}: {t}' for n, t in self._schema.items())}]>"

    # --- projection -----------------------------------------------------------------------------
    def select(self, *exprs, **named) -> LazyFrame:
        """Only the given columns / expressions; aggregates without group_by give one row."""
        es = expr_list(exprs, named)
        q = self._query
        if any(has_aggregate(e.node) for e in es):
            q = replace(q if q.open else q.wrapped(), order=())
            return self._derive(replace(q, items=tuple((e.name, q.resolve(e)) for e in es), aggregated=True))
        if q.distinct:
            q = q.wrapped()
        return self._derive(replace(q, items=tuple((e.name, q.resolve(e)) for e in es)))

    def with_columns(self, *exprs, **named) -> LazyFrame:
        """All columns plus the given ones; an expression named like a column replaces it."""
        es = expr_list(exprs, named)
        if any(has_aggregate(e.node) for e in es):
            raise NotSupported("aggregates in with_columns (window expressions); aggregate with select or group_by")
        q = self._query if not self._query.distinct else self._query.wrapped()
        new = {e.name: q.resolve(e) for e in es}
        items = [(n, new.pop(n, node)) for n, node in q.items]
        return self._derive(replace(q, items=tuple(items + list(new.items()))))

    def rename(self, mapping: dict[str, str]) -> LazyFrame:
        q = self._query
        for old in mapping:
            q.item(old.lower())
        lower = {k.lower(): v.lower() for k, v in mapping.items()}
        return self._derive(replace(q, items=tuple((lower.get(n, n), node) for n, node in q.items)))

    def drop(self, *columns) -> LazyFrame:
        names = {c.lower() for c in _flatten(columns)}
        q = self._query
        for n in names:
            q.item(n)
        if q.distinct:
            q = q.wrapped()
        return self._derive(replace(q, items=tuple((n, node) for n, node in q.items if n not in names)))

    # --- rows -----------------------------------------------------------------------------------
    def filter(self, *predicates) -> LazyFrame:
        """Rows where every predicate is true (NULL counts as false)."""
        preds = expr_list(predicates, {})
        if not preds:
            raise BindError("filter() needs a predicate")
        q = self._query
        if q.distinct or q.limit is not None or q.offset:
            q = q.wrapped()
        nodes = tuple(q.resolve(p) for p in preds)
        if q.aggregated:
            return self._derive(replace(q, having=q.having + nodes))
        return self._derive(replace(q, where=q.where + nodes))

    def sort(self, by, *more_by, descending=False, nulls_last=False) -> LazyFrame:
        """Rows ordered by the keys; `descending` and `nulls_last` are one bool or one per key
        (nulls first by default, as in Polars)."""
        keys = expr_list((by,) + more_by, {})
        desc, last = _per_key(descending, keys, "descending"), _per_key(nulls_last, keys, "nulls_last")
        q = self._query
        if q.distinct or q.limit is not None or q.offset:
            q = q.wrapped()
        order = tuple(exp.Ordered(this=q.resolve(k), desc=d, nulls_first=not n) for k, d, n in zip(keys, desc, last))
        return self._derive(replace(q, order=order))

    def limit(self, n: int = 5) -> LazyFrame:
        """The first `n` rows."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise BindError(f"limit must be a non-negative integer, not {n!r}")
        q = self._query
        return self._derive(replace(q, limit=n if q.limit is None else min(n, q.limit)))

    head = limit

    def slice(self, offset: int, length: int | None = None) -> LazyFrame:
        """`length` rows (all when None) from row `offset` on."""
        for v in (offset, length):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise BindError(f"slice takes non-negative integers, not {v!r}")
        q = self._query
        if q.limit is not None or q.offset:
            q = q.wrapped()
        return self._derive(replace(q, limit=length, offset=offset))

    def unique(self, subset=None) -> LazyFrame:
        """Distinct rows (`subset`, when given, must name every column)."""
        q = self._query
        if subset is not None and {c.lower() for c in _flatten([subset])} != set(q.names):
            raise NotSupported("unique(subset=...) over some of the columns; select them first")
        if q.limit is not None or q.offset:
            q = q.wrapped()
        return self._derive(replace(q, distinct=True, order=()))

    def union(self, other: LazyFrame, distinct: bool = False) -> LazyFrame:
        """Rows of both frames (matched by position, named as this one); `distinct` removes duplicates."""
        _same_connection(self, other)
        node = exp.Union(this=self._query.select(), expression=other._query.select(), distinct=distinct)
        return self._derive(over_subquery(node, self._query.names))

    def group_by(self, *keys, **named_keys) -> GroupBy:
        """Group by columns or expressions; finish with `.agg(...)`."""
        ks = expr_list(keys, named_keys)
        if not ks:
            raise BindError("group_by() needs at least one key")
        for k in ks:
            self._query.resolve(k)
        return GroupBy(self, ks)

    def join(self, other: LazyFrame, on=None, how: str = "inner", *, left_on=None, right_on=None,
             suffix: str = "_right", coalesce: bool | None = None) -> LazyFrame:
        """Join with `other` on equal keys (`on`, or `left_on` and `right_on`): how is inner, left,
        right, full, semi, anti or cross. Polars' output columns: equal keys coalesced, clashing
        right columns suffixed."""
        _same_connection(self, other)
        if on is not None:
            if left_on is not None or right_on is not None:
                raise BindError("join takes on= or left_on=/right_on=, not both")
            left_on = right_on = on
        lk, rk = expr_list(_flatten([left_on]) if left_on is not None else [], {}), \
            expr_list(_flatten([right_on]) if right_on is not None else [], {})
        return self._derive(join_queries(self._query, other._query, lk, rk, how, suffix, coalesce))

    # --- results --------------------------------------------------------------------------------
    def _result(self):
        return self._con.from_ast(self._query.select())

    def collect(self) -> pa.Table:
        """Run the query; the result as a pyarrow.Table."""
        return self._result().arrow()

    arrow = collect

    def fetchall(self) -> list[tuple]:
        return self._result().fetchall()

    def to_pandas(self):
        return self.collect().to_pandas()

    df = to_pandas

    def to_polars(self):
        """The result as a polars.DataFrame (needs polars installed)."""
        import polars

        return polars.from_arrow(self.collect())

    def explain(self) -> str:
        """The optimized plan, in the text format of SQL's Result.explain()."""
        return self._result().explain()

    def to_sql(self) -> str:
        """The SQL text of the query the frame builds (DuckDB dialect)."""
        return self._query.select().sql(dialect=DIALECT, pretty=True)

    def create_view(self, name: str, replace: bool = True) -> LazyFrame:
        """Register the frame as view `name`, queryable from SQL and `con.table(name)`."""
        if not replace and self._con.catalog.get(name) is not None:
            raise BindError(f"'{name.lower()}' already exists")
        self._con.catalog.put(name, ViewEntry(name.lower(), self._query.select(), self.to_sql()))
        return self


def scan(con, node: exp.Expression, qualifier: str) -> LazyFrame:
    """A frame over one table, view or table-function call."""
    _, names = _guarded(lambda: bind_query(con.catalog, exp.Select(expressions=[exp.Star()]).from_(node.copy()), ""))
    return LazyFrame(con, from_source(Source(qualifier, node, tuple(names))))


def over_query(con, node: exp.Expression, names: list[str]) -> LazyFrame:
    """A frame over the result of a SQL query statement."""
    return LazyFrame(con, over_subquery(node.copy(), names))


def _guarded(fn):
    try:
        return fn()
    except Error:
        raise
    except Exception as e:
        raise Error(f"internal error while planning: {type(e).__name__}: {e}") from e


def _check_unique(names: list[str]) -> None:
    dup = [n for n, k in Counter(names).items() if k > 1]
    if dup:
        raise BindError(f"duplicate output column name(s) {', '.join(map(repr, dup))}; use alias() or rename()")


def _flatten(values) -> list:
    out = []
    for v in values:
        out += _flatten(v) if isinstance(v, (list, tuple)) else [v]
    return out


def _per_key(flag, keys: list[Expr], what: str) -> list[bool]:
    flags = list(flag) if isinstance(flag, (list, tuple)) else [flag] * len(keys)
    if len(flags) != len(keys):
        raise BindError(f"{what} has {len(flags)} values for {len(keys)} sort keys")
    return [bool(f) for f in flags]


def _same_connection(a: LazyFrame, b) -> None:
    if not isinstance(b, LazyFrame):
        raise TypeError(f"expected a LazyFrame, got {type(b).__name__}")
    if a._con is not b._con:
        raise BindError("frames of different connections cannot be combined")


