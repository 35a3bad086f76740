"""Logical plan nodes: immutable, each knowing its children and its output schema."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from .expr import AggCall, ColRef, Expr
from .types import DataType


@dataclass(frozen=True, slots=True)
class Field:
    """One output column of a plan node: a unique id, a display name and a type."""

    cid: int
    name: str
    dtype: DataType


class Plan:
    """Base of plan nodes; `schema` is the tuple of output Fields."""

    __slots__ = ()
    schema: tuple[Field, ...]

    def children(self) -> tuple["Plan", ...]:
        return ()

    def with_children(self, kids: tuple["Plan", ...]) -> "Plan":
        return self

    def walk(self) -> Iterator["Plan"]:
        yield self
        for c in self.children():
            yield from c.walk()

    def cids(self) -> frozenset[int]:
        return frozenset(f.cid for f in self.schema)


class Unary(Plan):
    __slots__ = ()
    input: Plan

    def children(self):
        return (self.input,)

    def with_children(self, kids):
        return replace(self, input=kids[0])


@dataclass(frozen=True, slots=True)
class Scan(Plan):
    """Read columns of a catalog table; `filters` are conjuncts pushed into the scan."""

    table: str
    source: Any = field(compare=False, hash=False)
    columns: tuple[str, ...] = ()
    schema: tuple[Field, ...] = ()
    filters: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class Values(Plan):
    """Literal rows (VALUES, or the one empty row of a FROM-less SELECT)."""

    rows: tuple[tuple[Any, ...], ...]
    schema: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class Filter(Unary):
    input: Plan
    predicate: Expr

    @property
    def schema(self):
        return self.input.schema


@dataclass(frozen=True, slots=True)
class Project(Unary):
    input: Plan
    exprs: tuple[Expr, ...]
    schema: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class Aggregate(Unary):
    """GROUP BY `keys` computing `aggs`; schema = key fields then aggregate fields.

    With no keys it is a global aggregate: exactly one output row, even over empty input.
    """

    input: Plan
    keys: tuple[Expr, ...]
    aggs: tuple[AggCall, ...]
    schema: tuple[Field, ...]


JOIN_KINDS = ("inner", "left", "right", "full", "cross", "semi", "anti", "mark", "single")


@dataclass(frozen=True, slots=True)
class Join(Plan):
    """Join of two inputs on equi-key pairs plus a residual predicate.

    semi/anti keep left rows with some/no matching right row; mark appends a BOOLEAN column
    (`mark`) that is IN's three-valued answer for `in_pair` (left expr IN right expr) among the
    matching rows; single appends the right side's at most one row (scalar subqueries).
    """

    kind: str
    left: Plan
    right: Plan
    left_keys: tuple[Expr, ...] = ()
    right_keys: tuple[Expr, ...] = ()
    residual: Expr | None = None
    mark: Field | None = None
    in_pair: tuple[Expr, Expr] | None = None

    def children(self):
        return (self.left, self.right)

    def with_children(self, kids):
        return replace(self, left=kids[0], right=kids[1])

    @property
    def schema(self):
        if self.kind in ("semi", "anti"):
            return self.left.schema
        if self.kind == "mark":
            return self.left.schema + (self.mark,)
        return self.left.schema + self.right.schema


@dataclass(frozen=True, slots=True)
class SortKey:
    expr: Expr
    descending: bool = False
    nulls_first: bool = False


@dataclass(frozen=True, slots=True)
class Sort(Unary):
    """ORDER BY; with `limit` set it is a top-k."""

    input: Plan
    keys: tuple[SortKey, ...]
    limit: int | None = None

    @property
    def schema(self):
        return self.input.schema


@dataclass(frozen=True, slots=True)
class Limit(Unary):
    input: Plan
    limit: int | None
    offset: int = 0

    @property
    def schema(self):
        return self.input.schema


@dataclass(frozen=True, slots=True)
class Distinct(Unary):
    input: Plan

    @property
    def schema(self):
        return self.input.schema


@dataclass(frozen=True, slots=True)
class SetOp(Plan):
    """UNION / INTERSECT / EXCEPT, with ALL or set semantics; right columns align by position."""

    kind: str
    all: bool
    left: Plan
    right: Plan
    schema: tuple[Field, ...]

    def children(self):
        return (self.left, self.right)

    def with_children(self, kids):
        return replace(self, left=kids[0], right=kids[1])


@dataclass(frozen=True, slots=True)
class Shared(Unary):
    """A subplan that `readers` nodes read — this one and the Reuse nodes of the same `key` — and
    that each query execution evaluates once; this reader's columns are `schema`, a part of the
    input's (optimizer.share_subplans)."""

    input: Plan
    key: int
    readers: int
    schema: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class Reuse(Plan):
    """Another reader of Shared `key`: the shared input's `columns` under this node's own ids
    (`schema`, position by position). `shared` is the Shared node, so that a Reuse evaluated before
    it can evaluate the subplan; it is not a child, so each shared subplan appears once in a plan."""

    key: int
    columns: tuple[ColRef, ...]
    schema: tuple[Field, ...]
    shared: Shared = field(compare=False, hash=False, repr=False)


def node_exprs(p: Plan) -> list[Expr]:
    """The expressions one plan node evaluates (not its children's)."""
    if isinstance(p, Filter):
        return [p.predicate]
    if isinstance(p, Project):
        return list(p.exprs)
    if isinstance(p, Aggregate):
        return list(p.keys) + list(p.aggs)
    if isinstance(p, Join):
        out = list(p.left_keys) + list(p.right_keys) + ([p.residual] if p.residual is not None else [])
        return out + (list(p.in_pair) if p.in_pair else [])
    if isinstance(p, Sort):
        return [k.expr for k in p.keys]
    if isinstance(p, Scan):
        return list(p.filters)
    return []


def free_cids(p: Plan) -> frozenset[int]:
    """Column ids a plan references but does not produce: its correlation with an outer query."""
    defined: set[int] = set()
    used: set[int] = set()
    for node in p.walk():
        defined |= {f.cid for f in node.schema}
        for e in node_exprs(node):
            used |= e.cids()
    return frozenset(used - defined)


def unresolved_references(p: Plan) -> list[str]:
    """Expressions referring to columns their node's inputs do not provide (a plan bug, or a
    subquery correlated with a query more than one level up)."""
    problems = []
    for node in p.walk():
        visible = {f.cid for c in node.children() for f in c.schema}
        if isinstance(node, Scan):
            visible = {f.cid for f in node.schema}
        checks = [(e, visible) for e in node_exprs(node)]
        if isinstance(node, Join):
            lc, rc = node.left.cids(), node.right.cids()
            checks += [(e, lc) for e in node.left_keys] + [(e, rc) for e in node.right_keys]
            if node.in_pair:
                checks += [(node.in_pair[0], lc), (node.in_pair[1], rc)]
        for e, cols in checks:
            missing = e.cids() - cols
            if missing:
                problems.append(f"{type(node).__name__} refers to unknown columns {sorted(missing)} in {e}")
    return problems


def transform_up(p: Plan, fn) -> Plan:
    """Bottom-up plan rewrite: `fn` sees each node after its children were rewritten."""
    kids = tuple(transform_up(c, fn) for c in p.children())
    if kids:
        p = p.with_children(kids)
    return fn(p)
