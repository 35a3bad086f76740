"""The SELECT a frame stands for, kept as parts so that frame operations merge into one query.

Column references inside the parts are always qualified (`source.column`); `select()` renders a
sqlglot Select, dropping qualifiers that are not needed, so the AST reads like hand-written SQL and
binds to the same plan (names, column ids) as the equivalent SQL text.
"""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, replace

from sqlglot import exp

from ..errors import BindError
from ..sql.bind_expr import AGGREGATES
from ..sql.scope import did_you_mean
from .convert import parenthesize
from .expr import Expr

_ALIASES = itertools.count(1)


@dataclass(frozen=True)
class Source:
    """One FROM item: a table (or table function) node or an aliased subquery, and its columns."""

    qualifier: str
    node: exp.Expression
    columns: tuple[str, ...]


@dataclass(frozen=True)
class JoinPart:
    """How a source after the first is joined: side ("", "left", "right", "full") and ON condition."""

    side: str
    on: exp.Expression | None


@dataclass(frozen=True)
class Semi:
    """A semi (or, negated, anti) join: rows with (without) a row of `query` where `on` holds;
    rendered as [NOT] EXISTS, which the binder turns into a semi or anti join."""

    query: Query
    on: exp.Expression
    negated: bool


@dataclass(frozen=True)
class Query:
    """SELECT items FROM sources WHERE ... GROUP BY ... HAVING ... ORDER BY ... LIMIT ... OFFSET ..."""

    sources: tuple[Source, ...]
    joins: tuple[JoinPart, ...]
    items: tuple[tuple[str, exp.Expression], ...]
    where: tuple[exp.Expression, ...] = ()
    group: tuple[exp.Expression, ...] | None = None
    aggregated: bool = False
    having: tuple[exp.Expression, ...] = ()
    order: tuple[exp.Ordered, ...] = ()
    limit: int | None = None
    offset: int = 0
    distinct: bool = False
    semis: tuple[Semi, ...] = ()

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.items]

    @property
    def open(self) -> bool:
        """True when rows can still be filtered, grouped or joined in this SELECT."""
        return not (self.aggregated or self.distinct or self.limit is not None or self.offset)

    @property
    def simple(self) -> bool:
        """True for one open source without joins or semi joins: mergeable into another FROM."""
        return self.open and len(self.sources) == 1 and not self.semis

    @property
    def passthrough(self) -> bool:
        """True when every output is a plain source column (nothing computed after a join)."""
        return all(isinstance(node, exp.Column) for _, node in self.items)

    def qualifiers(self) -> set[str]:
        return {s.qualifier for s in self.sources} | {q for semi in self.semis for q in semi.query.qualifiers()}

    def item(self, name: str) -> exp.Expression:
        for n, node in self.items:
            if n == name:
                return node
        raise BindError(f"unknown column '{name}'{did_you_mean(name, self.names)}")

    def resolve(self, e: Expr) -> exp.Expression:
        """`e` over this query's sources: its column names replaced by their definitions."""

        def sub(node):
            if isinstance(node, exp.Column) and not node.table:
                return self.item(node.name).copy()
            return node

        return parenthesize(e.node.copy().transform(sub, copy=False))

    # --- rendering -----------------------------------------------------------------------------
    def select(self, outer: Counter | None = None, star: bool = False, extra_where=()) -> exp.Select:
        """The sqlglot Select; `outer` counts column names visible from an enclosing query."""
        visible = Counter(c for s in self.sources for c in s.columns) + (outer or Counter())
        r = lambda node: _unqualify(node.copy(), visible)
        sel = exp.Select(expressions=[exp.Star()] if star else [_item(r(node), name) for name, node in self.items])
        sel.set("from_", exp.From(this=self.sources[0].node.copy()))
        joins = []
        for src, j in zip(self.sources[1:], self.joins):
            args = {"this": src.node.copy()}
            if j.side:
                args["side"] = j.side.upper()
            if j.on is not None:
                args["on"] = r(j.on)
            else:
                args["kind"] = "CROSS"
            joins.append(exp.Join(**args))
        if joins:
            sel.set("joins", joins)
        where = [r(w) for w in self.where] + [r(w) for w in extra_where]
        for semi in self.semis:
            inner = semi.query.select(visible, star=True, extra_where=[semi.on])
            where.append(exp.Not(this=exp.Exists(this=inner)) if semi.negated else exp.Exists(this=inner))
        if where:
            sel.set("where", exp.Where(this=conjunction(where)))
        if self.group is not None:
            sel.set("group", exp.Group(expressions=[r(g) for g in self.group]))
        if self.having:
            sel.set("having", exp.Having(this=conjunction([r(h) for h in self.having])))
        if self.order:
            sel.set("order", exp.Order(expressions=[r(o) for o in self.order]))
        if self.limit is not None:
            sel.set("limit", exp.Limit(expression=exp.Literal.number(self.limit)))
        if self.offset:
            sel.set("offset", exp.Offset(expression=exp.Literal.number(self.offset)))
        if self.distinct:
            sel.set("distinct", exp.Distinct())
        return sel

    def wrapped(self) -> Query:
        """This query as a derived table of a new, open query that selects all its columns."""
        return over_subquery(self.select(), self.names)

    def requalified(self, taken: set[str]) -> Query:
        """This simple query with its source renamed away from the qualifiers in `taken`."""
        src = self.sources[0]
        if src.qualifier not in taken:
            return self
        q = next(f"{src.qualifier}_{i}" for i in itertools.count(2) if f"{src.qualifier}_{i}" not in taken)
        mapping = {src.qualifier: q}
        node = src.node.copy()
        node.set("alias", exp.TableAlias(this=exp.to_identifier(q)))
        sources = [Source(q, node, src.columns)]

        def rename(node):
            node = node.copy()
            for c in node.find_all(exp.Column):
                if c.table in mapping:
                    c.set("table", exp.to_identifier(mapping[c.table]))
            return node

        return replace(self, sources=tuple(sources), items=tuple((n, rename(v)) for n, v in self.items),
                       where=tuple(map(rename, self.where)), order=tuple(map(rename, self.order)))


def from_source(src: Source) -> Query:
    """SELECT every column of one source."""
    items = tuple((c, exp.column(c, table=src.qualifier)) for c in src.columns)
    return Query((src,), (), items)


def over_subquery(node: exp.Expression, names) -> Query:
    """SELECT every column of a query statement used as a derived table (fresh alias)."""
    alias = f"_q{next(_ALIASES)}"
    sub = exp.Subquery(this=node, alias=exp.TableAlias(this=exp.to_identifier(alias)))
    return from_source(Source(alias, sub, tuple(names)))


def has_aggregate(node: exp.Expression) -> bool:
    return node.find(*AGGREGATES) is not None


def _unqualify(node: exp.Expression, visible: Counter) -> exp.Expression:
    """Drop the qualifier of columns whose name is unambiguous, not looking into subqueries."""
    if isinstance(node, exp.Column):
        if node.table and visible[node.name] == 1:
            node.set("table", None)
        return node
    if isinstance(node, (exp.Select, exp.Subquery)):
        return node
    for child in list(node.iter_expressions()):
        _unqualify(child, visible)
    return node


def _item(node: exp.Expression, name: str) -> exp.Expression:
    if isinstance(node, exp.Column) and node.name == name:
        return node
    return exp.alias_(node, exp.to_identifier(name))


def conjunction(parts: list[exp.Expression]) -> exp.Expression:
    out = parts[0]
    for p in parts[1:]:
        out = exp.And(this=out, expression=p)
    return parenthesize(out)
