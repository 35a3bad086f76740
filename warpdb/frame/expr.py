"""Column expressions: Polars-style builders over sqlglot nodes, bound later by the SQL binder.

An expression's columns are unqualified `exp.Column` nodes naming output columns of the frame it is
used on; the frame replaces them by its own definitions of those columns (see query.py).
"""
from __future__ import annotations

import re

from sqlglot import exp

from ..errors import NotSupported, TypeMismatch
from .convert import data_type, literal, parenthesize


def _node(value) -> exp.Expression:
    return value.node.copy() if isinstance(value, Expr) else literal(value)


def _name(value) -> str:
    return value.name if isinstance(value, Expr) else "literal"


def to_expr(value) -> Expr:
    """A column name (str) or an Expr as an Expr; other Python values as literals."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, str):
        return col(value)
    return lit(value)


class Expr:
    """A lazy column expression; `name` is its output column name (alias, else its first column)."""

    __slots__ = ("name", "node")

    def __init__(self, node: exp.Expression, name: str):
        self.node, self.name = node, name

    def _binary(self, cls, other, reflected: bool = False) -> Expr:
        left, right = (other, self) if reflected else (self, other)
        node = cls(this=_node(left), expression=_node(right))
        return Expr(parenthesize(node), _name(left))

    def _unary(self, cls, **args) -> Expr:
        return Expr(parenthesize(cls(this=self.node.copy(), **args)), self.name)

    # --- arithmetic and comparison ------------------------------------------------------------
    def __add__(self, o): return self._binary(exp.Add, o)
    def __radd__(self, o): return self._binary(exp.Add, o, True)
    def __sub__(self, o): return self._binary(exp.Sub, o)
    def __rsub__(self, o): return self._binary(exp.Sub, o, True)
    def __mul__(self, o): return self._binary(exp.Mul, o)
    def __rmul__(self, o): return self._binary(exp.Mul, o, True)
    def __truediv__(self, o): return self._binary(exp.Div, o)
    def __rtruediv__(self, o): return self._binary(exp.Div, o, True)
    def __mod__(self, o): return self._binary(exp.Mod, o)
    def __rmod__(self, o): return self._binary(exp.Mod, o, True)
    def __neg__(self): return self._unary(exp.Neg)
    def __eq__(self, o): return self._binary(exp.EQ, o)  # type: ignore[override]
    def __ne__(self, o): return self._binary(exp.NEQ, o)  # type: ignore[override]
    def __lt__(self, o): return self._binary(exp.LT, o)
    def __le__(self, o): return self._binary(exp.LTE, o)
    def __gt__(self, o): return self._binary(exp.GT, o)
    def __ge__(self, o): return self._binary(exp.GTE, o)
    def __and__(self, o): return self._binary(exp.And, o)
    def __rand__(self, o): return self._binary(exp.And, o, True)
    def __or__(self, o): return self._binary(exp.Or, o)
    def __ror__(self, o): return self._binary(exp.Or, o, True)
    def __invert__(self): return self._unary(exp.Not)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self):
        raise TypeError("an Expr has no truth value: combine predicates with & | ~, not and/or/not")

    def __repr__(self) -> str:
        return f"<Expr {self.node.sql(dialect='duckdb')} AS {self.name}>"

    # --- predicates ---------------------------------------------------------------------------
    def is_null(self) -> Expr:
        return Expr(exp.Is(this=self.node.copy(), expression=exp.Null()), self.name)

    def is_not_null(self) -> Expr:
        return Expr(exp.Not(this=self.is_null().node), self.name)

    def is_in(self, values) -> Expr:
        """True where the value is one of `values` (a list of Python scalars or expressions)."""
        if isinstance(values, (str, Expr)):
            raise TypeMismatch("is_in() takes a list of values")
        values = list(values)
        if not values:
            return Expr(exp.Boolean(this=False), self.name)
        return Expr(exp.In(this=self.node.copy(), expressions=[_node(v) for v in values]), self.name)

    def is_between(self, lower, upper, closed: str = "both") -> Expr:
        """lower <= value <= upper; `closed` is "both", "left", "right" or "none"."""
        if closed == "both":
            return Expr(exp.Between(this=self.node.copy(), low=_node(lower), high=_node(upper)), self.name)
        if closed not in ("left", "right", "none"):
            raise ValueError(f"closed must be 'both', 'left', 'right' or 'none', not {closed!r}")
        low = self >= lower if closed == "left" else self > lower
        high = self <= upper if closed == "right" else self < upper
        return low & high

    # --- conversion, naming, aggregates -------------------------------------------------------
    def alias(self, name: str) -> Expr:
        return Expr(self.node.copy(), name.lower())

    def cast(self, dtype) -> Expr:
        """CAST to a SQL type name ("BIGINT", "DECIMAL(12,2)") or a pyarrow type."""
        return Expr(exp.Cast(this=self.node.copy(), to=data_type(dtype)), self.name)

    def fill_null(self, value) -> Expr:
        return Expr(exp.Coalesce(this=self.node.copy(), expressions=[_node(value)]), self.name)

    def sum(self) -> Expr:
        return Expr(exp.Sum(this=self.node.copy()), self.name)

    def mean(self) -> Expr:
        return Expr(exp.Avg(this=self.node.copy()), self.name)

    def min(self) -> Expr:
        return Expr(exp.Min(this=self.node.copy()), self.name)

    def max(self) -> Expr:
        return Expr(exp.Max(this=self.node.copy()), self.name)

    def count(self) -> Expr:
        """Number of non-null values."""
        return Expr(exp.Count(this=self.node.copy()), self.name)

    def n_unique(self) -> Expr:
        """Number of distinct values, null counting as one value (as in Polars)."""
        distinct = exp.Count(this=exp.Distinct(expressions=[self.node.copy()]))
        has_null = exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Count(this=self.node.copy()))
        extra = exp.Case(ifs=[exp.If(this=has_null, true=exp.Literal.number(1))], default=exp.Literal.number(0))
        return Expr(parenthesize(exp.Add(this=distinct, expression=extra)), self.name)

    @property
    def str(self) -> StringNamespace:
        return StringNamespace(self)

    @property
    def dt(self) -> DateNamespace:
        return DateNamespace(self)


class StringNamespace:
    """String functions: `col("s").str.contains("x")`."""

    def __init__(self, e: Expr):
        self._e = e

    def _call(self, cls, **args) -> Expr:
        return Expr(cls(this=self._e.node.copy(), **args), self._e.name)

    def contains(self, pattern: str, literal: bool = False) -> Expr:
        """Substring test; without `literal`, `pattern` is a regular expression limited to literal
        text, `.*`, `^` and `$` (it runs as LIKE)."""
        if literal:
            return self._call(exp.Contains, expression=exp.Literal.string(pattern))
        like = _regex_to_like(pattern)
        node = exp.Like(this=self._e.node.copy(), expression=exp.Literal.string(like))
        if "\\" in like:
            node = exp.Escape(this=node, expression=exp.Literal.string("\\"))
        return Expr(node, self._e.name)

    def starts_with(self, prefix: str) -> Expr:
        return self._call(exp.StartsWith, expression=_node(prefix))

    def ends_with(self, suffix: str) -> Expr:
        return self._call(exp.EndsWith, expression=_node(suffix))

    def slice(self, offset: int, length: int | None = None) -> Expr:
        """Characters from 0-based `offset` (negative counts from the end), at most `length` of them."""
        start = offset + 1 if offset >= 0 else offset
        args = {"start": literal(start)}
        if length is not None:
            args["length"] = literal(length)
        return self._call(exp.Substring, **args)

    def to_uppercase(self) -> Expr:
        return self._call(exp.Upper)

    def to_lowercase(self) -> Expr:
        return self._call(exp.Lower)

    def len_chars(self) -> Expr:
        return self._call(exp.Length)

    len = len_chars


class DateNamespace:
    """Date parts: `col("d").dt.year()`."""

    def __init__(self, e: Expr):
        self._e = e

    def year(self) -> Expr:
        return Expr(exp.Year(this=self._e.node.copy()), self._e.name)

    def month(self) -> Expr:
        return Expr(exp.Month(this=self._e.node.copy()), self._e.name)

    def day(self) -> Expr:
        return Expr(exp.Day(this=self._e.node.copy()), self._e.name)


_REGEX_META = set("[](){}+?|\\")


def _regex_to_like(pattern: str) -> str:
    body = pattern
    head = "" if body.startswith("^") else "%"
    body = body.removeprefix("^")
    tail = "" if body.endswith("$") else "%"
    body = body.removesuffix("$")
    parts = body.split(".*")
    if any(_REGEX_META & set(p) or "." in p or "*" in p or "^" in p or "$" in p for p in parts):
        raise NotSupported(f"regular expression {pattern!r} (only literal text, '.*', '^' and '$' run, as LIKE)")
    escaped = [re.sub(r"([%_\\])", r"\\\1", p) for p in parts]
    like = head + "%".join(escaped) + tail
    return re.sub("%+", "%", like)


class When:
    """`when(cond)`: waits for `.then(value)`."""

    def __init__(self, branches: list[tuple[exp.Expression, exp.Expression]], cond, name: str | None):
        self._branches, self._cond, self._name = branches, cond, name

    def then(self, value) -> Then:
        """The value where the condition holds (a str names a column, as in Polars)."""
        value = to_expr(value)
        branches = self._branches + [(self._cond, _node(value))]
        return Then(branches, None, self._name or _name(value))


class Then(Expr):
    """A CASE expression under construction: `.when(...)` adds a branch, `.otherwise(v)` ends it
    (without it, rows matching no branch get NULL)."""

    __slots__ = ("_branches",)

    def __init__(self, branches, default, name: str):
        ifs = [exp.If(this=c.copy(), true=v.copy()) for c, v in branches]
        node = exp.Case(ifs=ifs, default=default.copy() if default is not None else None)
        super().__init__(node, name)
        self._branches = branches

    def when(self, *predicates) -> When:
        return When(self._branches, _predicate(predicates), self.name)

    def otherwise(self, value) -> Expr:
        value = to_expr(value)
        return Expr(Then(self._branches, _node(value), self.name).node, self.name)


def _predicate(predicates) -> exp.Expression:
    if not predicates:
        raise TypeMismatch("when() needs a predicate")
    out = to_expr(predicates[0])
    for p in predicates[1:]:
        out = out & to_expr(p)
    return out.node.copy()


def col(name: str) -> Expr:
    """A column of the frame the expression is used on (names are case-insensitive, as in SQL)."""
    if not isinstance(name, str):
        raise TypeMismatch(f"col() takes a column name, not {name!r}")
    return Expr(exp.column(name.lower()), name.lower())


def lit(value, dtype=None) -> Expr:
    """A literal: None, bool, int, float, Decimal, str, date or datetime; cast to `dtype` if given."""
    e = Expr(literal(value), "literal")
    return e.cast(dtype) if dtype is not None else e


def when(*predicates) -> When:
    """Start a CASE expression: `when(c).then(a).when(d).then(b).otherwise(e)`."""
    return When([], _predicate(predicates), None)


def row_count() -> Expr:
    """Number of rows (COUNT(*)), named "len"; exported as `warpdb.len()`, Polars' name."""
    return Expr(exp.Count(this=exp.Star()), "len")


def expr_list(args, named: dict) -> list[Expr]:
    """Expressions from positional arguments (names, Exprs, or lists of them) and name=expr pairs."""
    out: list[Expr] = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out += expr_list(a, {})
        else:
            out.append(to_expr(a))
    out += [to_expr(v).alias(k) for k, v in named.items()]
    return out
