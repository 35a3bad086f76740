"""Typed, immutable expression nodes of the logical plan.

Columns are referenced by `cid`, an id unique within one query, so plan rewrites never renumber.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from .types import DataType


class Expr:
    """Base of expression nodes; subclasses are frozen slotted dataclasses."""

    __slots__ = ()
    dtype: DataType

    def children(self) -> tuple["Expr", ...]:
        return ()

    def with_children(self, kids: tuple["Expr", ...]) -> "Expr":
        return self

    def walk(self) -> Iterator["Expr"]:
        yield self
        for c in self.children():
            yield from c.walk()

    def cids(self) -> frozenset[int]:
        return frozenset(e.cid for e in self.walk() if isinstance(e, ColRef))


@dataclass(frozen=True, slots=True)
class ColRef(Expr):
    cid: int
    dtype: DataType
    name: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.name}#{self.cid}"


@dataclass(frozen=True, slots=True)
class Lit(Expr):
    """A literal in device form: ints, floats, bools, scaled ints for decimals, days for dates,
    microseconds for timestamps, (months, days, micros) for intervals, str for varchar, None for NULL."""

    value: Any
    dtype: DataType

    def __str__(self) -> str:
        return "NULL" if self.value is None else repr(self.value)


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """A scalar function or operator: arithmetic, comparison, logic, string and date functions."""

    op: str
    args: tuple[Expr, ...]
    dtype: DataType

    def children(self):
        return self.args

    def with_children(self, kids):
        return Call(self.op, tuple(kids), self.dtype)

    def __str__(self) -> str:
        return f"{self.op}({', '.join(map(str, self.args))})"


@dataclass(frozen=True, slots=True)
class Cast(Expr):
    arg: Expr
    dtype: DataType

    def children(self):
        return (self.arg,)

    def with_children(self, kids):
        return Cast(kids[0], self.dtype)

    def __str__(self) -> str:
        return f"CAST({self.arg} AS {self.dtype})"


@dataclass(frozen=True, slots=True)
class Case(Expr):
    """CASE WHEN c1 THEN v1 ... ELSE d END; args = (c1, v1, c2, v2, ..., d)."""

    args: tuple[Expr, ...]
    dtype: DataType

    def children(self):
        return self.args

    def with_children(self, kids):
        return Case(tuple(kids), self.dtype)

    def __str__(self) -> str:
        a = self.args
        whens = " ".join(f"WHEN {a[i]} THEN {a[i + 1]}" for i in range(0, len(a) - 1, 2))
        return f"CASE {whens} ELSE {a[-1]} END"


@dataclass(frozen=True, slots=True)
class AggCall(Expr):
    """An aggregate function call, only inside an Aggregate plan node."""

    func: str
    args: tuple[Expr, ...]
    dtype: DataType
    distinct: bool = False

    def children(self):
        return self.args

    def with_children(self, kids):
        return AggCall(self.func, tuple(kids), self.dtype, self.distinct)

    def __str__(self) -> str:
        d = "DISTINCT " if self.distinct else ""
        return f"{self.func}({d}{', '.join(map(str, self.args)) or '*'})"


def transform(e: Expr, fn) -> Expr:
    """Bottom-up rewrite: `fn` sees each node after its children were rewritten."""
    kids = e.children()
    if kids:
        new = tuple(transform(k, fn) for k in kids)
        if any(a is not b for a, b in zip(new, kids)):
            e = e.with_children(new)
    return fn(e)


def substitute(e: Expr, mapping: dict[int, Expr]) -> Expr:
    """Replace column references by the expressions `mapping` gives for their cids."""
    return transform(e, lambda x: mapping.get(x.cid, x) if isinstance(x, ColRef) else x)


def conjuncts(e: Expr | None) -> list[Expr]:
    """The AND-ed parts of a predicate."""
    if e is None:
        return []
    if isinstance(e, Call) and e.op == "and":
        return [c for a in e.args for c in conjuncts(a)]
    return [e]


def and_all(parts: list[Expr]) -> Expr | None:
    from .types import BOOL

    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = Call("and", (out, p), BOOL)
    return out
