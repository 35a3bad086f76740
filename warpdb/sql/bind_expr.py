"""sqlglot expressions -> typed warpdb expressions, within one scope."""
from __future__ import annotations

from sqlglot import exp

from ..engine import functions as F
from ..engine import types as T
from ..engine.expr import AggCall, Call, Case, ColRef, Expr, Lit
from ..engine.literals import convert_literal, interval_literal, number_literal
from ..engine.types import Kind
from ..errors import BindError, TypeMismatch
from .parse import where
from .scope import Scope
from .sqltypes import sql_type

AGGREGATES = {
    exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max", exp.Count: "count",
    exp.Stddev: "stddev_samp", exp.StddevSamp: "stddev_samp", exp.StddevPop: "stddev_pop",
    exp.Variance: "var_samp", exp.VariancePop: "var_pop", exp.LogicalAnd: "bool_and", exp.LogicalOr: "bool_or",
}
COMPARE = {exp.EQ: "eq", exp.NEQ: "ne", exp.LT: "lt", exp.LTE: "le", exp.GT: "gt", exp.GTE: "ge",
           exp.NullSafeEQ: "is_not_distinct", exp.NullSafeNEQ: "is_distinct"}
ARITH = {exp.Add: "add", exp.Sub: "sub", exp.Mul: "mul", exp.Div: "div", exp.IntDiv: "intdiv", exp.Mod: "mod"}
STRING_FUNCS = {exp.Length: "length", exp.Upper: "upper", exp.Lower: "lower", exp.StartsWith: "starts_with",
                exp.EndsWith: "ends_with", exp.Contains: "contains", exp.Replace: "replace"}
DATE_PART_FUNCS = {exp.Year: "year", exp.Month: "month", exp.Day: "day", exp.Quarter: "quarter"}


def is_aggregate(node: exp.Expression) -> bool:
    return type(node) in AGGREGATES


def aggregate_type(func: str, arg: Expr | None) -> T.DataType:
    """DuckDB's result type of an aggregate (SUM of integers is exact; HUGEINT sums come back as DECIMAL(38,0))."""
    if func == "count":
        return T.INT64
    t = arg.dtype
    if func in ("min", "max"):
        return t
    if func in ("bool_and", "bool_or"):
        if t.kind not in (Kind.BOOL, Kind.NULL):
            raise TypeMismatch(f"{func}() needs BOOLEAN, got {t}")
        return T.BOOL
    if not T.is_numeric(t):
        raise TypeMismatch(f"{func}() needs a numeric argument, got {t}")
    if func == "sum":
        if t.kind is Kind.DECIMAL:
            return T.decimal(38, t.scale)
        return T.FLOAT64 if T.is_float(t) else T.INT64
    return T.FLOAT64


class ExprBinder:
    """Binds expressions against `scope`; `owner` (the query binder) handles subqueries.

    In post-aggregation mode (`agg` set) group-key expressions and aggregate calls become
    references to the Aggregate node's output, and any other column is an error.
    """

    def __init__(self, owner, scope: Scope, agg=None, clause: str = "expression"):
        self.owner, self.scope, self.agg, self.clause = owner, scope, agg, clause
        self.holder = None

    def error_at(self, node) -> str:
        return where(node, self.owner.sql)

    def bind(self, node: exp.Expression) -> Expr:
        if self.agg is not None:
            hit = self.agg.lookup(node)
            if hit is not None:
                return hit
        fn = _DISPATCH.get(type(node))
        if fn is not None:
            return fn(self, node)
        if isinstance(node, exp.Func):
            return self.function(node)
        return self.owner.unsupported(f"{type(node).__name__} expression '{node.sql()[:40]}'", node)

    def bind_bool(self, node) -> Expr:
        e = self.bind(node)
        if e.dtype.kind not in (Kind.BOOL, Kind.NULL):
            raise TypeMismatch(f"{self.clause} must be BOOLEAN, got {e.dtype}{self.error_at(node)}")
        return F.cast(e, T.BOOL)

    # --- leaves -----------------------------------------------------------------------------
    def column(self, node: exp.Column) -> Expr:
        if isinstance(node.this, exp.Star):
            raise BindError(f"{node.sql()} is only allowed in the SELECT list{self.error_at(node)}")
        name, qual = node.name.lower(), (node.table.lower() or None)
        if self.agg is not None and self.scope.lookup(name, qual) is not None and self._is_local(name, qual):
            raise BindError(
                f"column '{node.sql()}' must appear in the GROUP BY clause or be used in an aggregate function"
                f"{self.error_at(node)}"
            )
        f = self.scope.resolve(name, qual, self.error_at(node))
        return ColRef(f.cid, f.dtype, f.name)

    def _is_local(self, name, qual) -> bool:
        return any(c.name == name and (qual is None or c.qualifier == qual) for c in self.scope.columns)

    def literal(self, node: exp.Literal) -> Expr:
        if node.is_string:
            return Lit(node.this, T.VARCHAR)
        return number_literal(node.this)

    def boolean(self, node) -> Expr:
        return Lit(bool(node.this), T.BOOL)

    def null(self, node) -> Expr:
        return Lit(None, T.NULL)

    def paren(self, node) -> Expr:
        return self.bind(node.this)

    def interval(self, node: exp.Interval) -> Expr:
        unit = node.args.get("unit")
        if not isinstance(node.this, exp.Literal):
            return self.owner.unsupported("INTERVAL with a non-constant value", node)
        return interval_literal(node.this.name, unit.name if unit is not None else None)

    # --- operators --------------------------------------------------------------------------
    def compare(self, node) -> Expr:
        right = node.expression
        if isinstance(right, (exp.Any, exp.All)):
            return self.owner.unsupported(f"{type(right).__name__.upper()} subquery comparison", node)
        return F.compare(COMPARE[type(node)], self.bind(node.this), self.bind(right))

    def arith(self, node) -> Expr:
        return F.arithmetic(ARITH[type(node)], self.bind(node.this), self.bind(node.expression))

    def neg(self, node) -> Expr:
        return F.negate(self.bind(node.this))

    def and_or(self, node) -> Expr:
        op = "and" if isinstance(node, exp.And) else "or"
        return F.logical(op, [self.bind(node.this), self.bind(node.expression)])

    def not_(self, node) -> Expr:
        inner = node.this
        if isinstance(inner, exp.Exists):
            return self.owner.subquery_predicate(self, inner, negated=True)
        if isinstance(inner, exp.In) and inner.args.get("query") is not None:
            return self.owner.subquery_predicate(self, inner, negated=True)
        return F.logical("not", [self.bind(inner)])

    def is_(self, node: exp.Is) -> Expr:
        right = node.expression
        arg = self.bind(node.this)
        if isinstance(right, exp.Null):
            return Call("is_null", (arg,), T.BOOL)
        if isinstance(right, exp.Boolean):
            return Call("is_not_distinct", (F.cast(arg, T.BOOL), Lit(bool(right.this), T.BOOL)), T.BOOL)
        return self.owner.unsupported(f"IS {right.sql()}", node)

    def between(self, node: exp.Between) -> Expr:
        if node.args.get("symmetric"):
            return self.owner.unsupported("BETWEEN SYMMETRIC", node)
        a = self.bind(node.this)
        lo, hi = self.bind(node.args["low"]), self.bind(node.args["high"])
        return F.logical("and", [F.compare("ge", a, lo), F.compare("le", a, hi)])

    def in_(self, node: exp.In) -> Expr:
        if node.args.get("query") is not None:
            return self.owner.subquery_predicate(self, node, negated=False)
        if node.args.get("unnest") is not None or node.args.get("field") is not None:
            return self.owner.unsupported("IN over UNNEST", node)
        arg = self.bind(node.this)
        items = [self.bind(v) for v in node.expressions]
        if not all(isinstance(i, Lit) for i in items):
            out = None
            for i in items:
                c = F.compare("eq", arg, i)
                out = c if out is None else F.logical("or", [out, c])
            return out
        vals = F.unify([arg, *items], "IN list")
        return Call("in", tuple(vals), T.BOOL)

    def like(self, node) -> Expr:
        arg, pattern = self.bind(node.this), self.bind(node.expression)
        op = "ilike" if isinstance(node, exp.ILike) else "like"
        out = self._like(op, arg, pattern, None, node)
        return F.logical("not", [out]) if node.args.get("negate") else out

    def escape(self, node: exp.Escape) -> Expr:
        inner = node.this
        if not isinstance(inner, (exp.Like, exp.ILike)):
            return self.owner.unsupported("ESCAPE", node)
        esc = self.bind(node.expression)
        op = "ilike" if isinstance(inner, exp.ILike) else "like"
        out = self._like(op, self.bind(inner.this), self.bind(inner.expression), esc, node)
        return F.logical("not", [out]) if inner.args.get("negate") else out

    def _like(self, op, arg, pattern, esc, node) -> Expr:
        if arg.dtype.kind not in (Kind.VARCHAR, Kind.NULL):
            raise TypeMismatch(f"{op.upper()} needs VARCHAR, got {arg.dtype}{self.error_at(node)}")
        if not isinstance(pattern, Lit) or (esc is not None and not isinstance(esc, Lit)):
            return self.owner.unsupported(f"{op.upper()} with a non-constant pattern", node)
        args = (arg, F.cast(pattern, T.VARCHAR)) + ((F.cast(esc, T.VARCHAR),) if esc is not None else ())
        return Call(op, args, T.BOOL)

    def dpipe(self, node) -> Expr:
        return F.concat([self.bind(node.this), self.bind(node.expression)], null_propagates=True)

    # --- CASE, CAST, COALESCE ---------------------------------------------------------------
    def case(self, node: exp.Case) -> Expr:
        subject = self.bind(node.this) if node.this is not None else None
        conds, vals = [], []
        for branch in node.args.get("ifs") or []:
            c = self.bind(branch.this)
            conds.append(F.compare("eq", subject, c) if subject is not None else self._bool(c, branch))
            vals.append(self.bind(branch.args["true"]))
        default = node.args.get("default")
        vals.append(self.bind(default) if default is not None else Lit(None, T.NULL))
        return self._case(conds, vals)

    def _bool(self, e: Expr, node) -> Expr:
        if e.dtype.kind not in (Kind.BOOL, Kind.NULL):
            raise TypeMismatch(f"CASE WHEN condition must be BOOLEAN, got {e.dtype}{self.error_at(node)}")
        return F.cast(e, T.BOOL)

    def _case(self, conds, vals) -> Expr:
        vals = F.unify(vals, "CASE")
        args = []
        for c, v in zip(conds, vals):
            args += [c, v]
        return Case(tuple(args) + (vals[-1],), vals[-1].dtype)

    def if_(self, node: exp.If) -> Expr:
        cond = self._bool(self.bind(node.this), node)
        other = node.args.get("false")
        return self._case([cond], [self.bind(node.args["true"]), self.bind(other) if other else Lit(None, T.NULL)])

    def cast(self, node: exp.Cast) -> Expr:
        if isinstance(node, exp.TryCast):
            return self.owner.unsupported("TRY_CAST", node)
        arg = self.bind(node.this)
        target = sql_type(node.to, self.owner, node)
        if isinstance(arg, Lit):
            return convert_literal(arg, target)
        return F.cast(arg, target)

    def coalesce(self, node) -> Expr:
        args = F.unify([self.bind(node.this)] + [self.bind(e) for e in node.expressions], "COALESCE")
        return Call("coalesce", tuple(args), args[0].dtype)

    def nullif(self, node) -> Expr:
        a, b = self.bind(node.this), self.bind(node.expression)
        cond = F.compare("eq", a, b)
        return self._case([cond], [Lit(None, T.NULL), a])

    def greatest_least(self, node) -> Expr:
        args = F.unify([self.bind(node.this)] + [self.bind(e) for e in node.expressions], type(node).__name__.upper())
        return Call(type(node).__name__.lower(), tuple(args), args[0].dtype)

    # --- functions --------------------------------------------------------------------------
    def substring(self, node) -> Expr:
        if node.args.get("start") is None:
            raise BindError(f"substring() needs a start position{self.error_at(node)}")
        args = [self.bind(node.this), self.bind(node.args["start"])]
        if node.args.get("length") is not None:
            args.append(self.bind(node.args["length"]))
        return F.string_function("substring", args)

    def trim(self, node: exp.Trim) -> Expr:
        pos = (node.args.get("position") or "BOTH").upper()
        name = {"BOTH": "trim", "LEADING": "ltrim", "TRAILING": "rtrim"}[pos]
        args = [self.bind(node.this)] + ([self.bind(node.expression)] if node.expression is not None else [])
        return F.string_function(name, args)

    def string_func(self, node) -> Expr:
        args = [self.bind(a) for a in _positional(node)]
        return F.string_function(STRING_FUNCS[type(node)], args)

    def strpos(self, node) -> Expr:
        if node.args.get("position") is not None:
            return self.owner.unsupported("strpos with a start position", node)
        return F.string_function("strpos", [self.bind(node.this), self.bind(node.args["substr"])])

    def concat(self, node) -> Expr:
        return F.concat([self.bind(e) for e in node.expressions], null_propagates=False)

    def extract(self, node: exp.Extract) -> Expr:
        return F.extract(node.this.name.lower(), self.bind(node.expression))

    def date_part_func(self, node) -> Expr:
        return F.extract(DATE_PART_FUNCS[type(node)], self.bind(node.this))

    def trunc(self, node) -> Expr:
        unit = node.args.get("unit")
        return F.date_trunc(unit.name.lower(), self.bind(node.this))

    def abs_(self, node) -> Expr:
        a = self.bind(node.this)
        if not T.is_numeric(a.dtype):
            raise TypeMismatch(f"abs() needs a number, got {a.dtype}{self.error_at(node)}")
        return Call("abs", (a,), a.dtype)

    def function(self, node: exp.Func) -> Expr:
        if is_aggregate(node):
            raise BindError(f"aggregate function {node.sql()[:40]} is not allowed in {self.clause}{self.error_at(node)}")
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            args = node.expressions
            if name in ("date_part", "datepart") and len(args) == 2 and isinstance(args[0], exp.Literal):
                return F.extract(args[0].this.lower(), self.bind(args[1]))
            if name in ("ltrim", "rtrim", "trim", "strpos", "instr", "length", "upper", "lower", "starts_with"):
                return F.string_function({"instr": "strpos"}.get(name, name), [self.bind(a) for a in args])
            if name in ("date_trunc", "datetrunc") and len(args) == 2 and isinstance(args[0], exp.Literal):
                return F.date_trunc(args[0].this.lower(), self.bind(args[1]))
        if isinstance(node, exp.Window) or node.find(exp.Window) is not None:
            return self.owner.unsupported("window functions", node)
        return self.owner.unsupported(f"function {node.sql_name() if not isinstance(node, exp.Anonymous) else node.name}()", node)

    def window(self, node) -> Expr:
        return self.owner.unsupported("window functions", node)

    def subquery(self, node) -> Expr:
        return self.owner.scalar_subquery(self, node)

    def exists(self, node) -> Expr:
        return self.owner.subquery_predicate(self, node, negated=False)

    def star(self, node) -> Expr:
        raise BindError(f"* is only allowed in the SELECT list or count(*){self.error_at(node)}")

    def aggregate(self, node) -> AggCall:
        """An aggregate call with its argument bound in this (pre-aggregation) scope."""
        func = AGGREGATES[type(node)]
        arg_node = node.this
        distinct = isinstance(arg_node, exp.Distinct)
        if distinct:
            if len(arg_node.expressions) != 1:
                return self.owner.unsupported(f"{func}(DISTINCT) over several columns", node)
            arg_node = arg_node.expressions[0]
        if func == "count" and (arg_node is None or isinstance(arg_node, exp.Star)):
            return AggCall("count_star", (), T.INT64)
        if arg_node is None:
            raise BindError(f"{func}() needs an argument{self.error_at(node)}")
        if arg_node.find(*AGGREGATES) is not None:
            raise BindError(f"aggregate calls cannot be nested{self.error_at(node)}")
        arg = self.bind(arg_node)
        return AggCall(func, (arg,), aggregate_type(func, arg), distinct)


ANONYMOUS_FUNCTIONS = ("date_part", "datepart", "ltrim", "rtrim", "trim", "strpos", "instr", "length", "upper",
                       "lower", "starts_with", "date_trunc", "datetrunc")
OTHER_SUPPORTED = (exp.ReadParquet, exp.ReadCSV, exp.Array, exp.Distinct)


def unsupported_features(tree: exp.Expression, owner) -> None:
    """Record every unsupported construct of a statement before binding, and reject unknown
    function names with a suggestion."""
    from .scope import did_you_mean

    known = {type_.__name__.lower() for type_ in list(_DISPATCH) + list(AGGREGATES)} | set(ANONYMOUS_FUNCTIONS)
    for n in tree.walk():
        if _table_function_argument(n):
            continue
        if isinstance(n, exp.Window):
            owner.unsupported(f"window function {n.this.sql(dialect='duckdb')[:40]} OVER (...)", n)
        elif isinstance(n, exp.With) and n.args.get("recursive"):
            owner.unsupported("WITH RECURSIVE", n)
        elif isinstance(n, (exp.Rollup, exp.Cube, exp.GroupingSets)):
            owner.unsupported(f"GROUP BY {type(n).__name__.upper()}", n)
        elif isinstance(n, (exp.Lateral, exp.Unnest, exp.Pivot, exp.Qualify)):
            owner.unsupported(type(n).__name__.upper(), n)
        elif isinstance(n, exp.Anonymous) and n.name.lower() not in ANONYMOUS_FUNCTIONS and not isinstance(n.parent, exp.Table):
            raise BindError(f"unknown function {n.name}(){where(n, owner.sql)}{did_you_mean(n.name.lower(), known)}")
        elif isinstance(n, exp.Func) and not isinstance(n, exp.Anonymous) and type(n) not in _DISPATCH \
                and type(n) not in AGGREGATES and not isinstance(n, OTHER_SUPPORTED) and not isinstance(n.parent, exp.Table):
            owner.unsupported(f"function {n.sql_name().lower()}()", n)


def _table_function_argument(n: exp.Expression) -> bool:
    """Whether `n` is inside the arguments of a table function (constants the reader checks)."""
    p = n.parent
    while p is not None:
        if isinstance(p, exp.Func) and isinstance(p.parent, exp.Table):
            return True
        p = p.parent
    return False


def ast_conjuncts(node: exp.Expression) -> list[exp.Expression]:
    """The AND-ed parts of a sqlglot predicate."""
    if isinstance(node, exp.And):
        return ast_conjuncts(node.this) + ast_conjuncts(node.expression)
    if isinstance(node, exp.Paren):
        return ast_conjuncts(node.this)
    return [node]


def _positional(node) -> list:
    return [node.args[k] for k in ("this", "expression", "replacement") if node.args.get(k) is not None]


_DISPATCH = {
    exp.Column: ExprBinder.column, exp.Literal: ExprBinder.literal, exp.Boolean: ExprBinder.boolean,
    exp.Null: ExprBinder.null, exp.Paren: ExprBinder.paren, exp.Interval: ExprBinder.interval,
    exp.Neg: ExprBinder.neg, exp.Not: ExprBinder.not_, exp.And: ExprBinder.and_or, exp.Or: ExprBinder.and_or,
    exp.Is: ExprBinder.is_, exp.Between: ExprBinder.between, exp.In: ExprBinder.in_,
    exp.Like: ExprBinder.like, exp.ILike: ExprBinder.like, exp.Escape: ExprBinder.escape,
    exp.DPipe: ExprBinder.dpipe, exp.Case: ExprBinder.case, exp.If: ExprBinder.if_, exp.Cast: ExprBinder.cast,
    exp.TryCast: ExprBinder.cast, exp.Coalesce: ExprBinder.coalesce, exp.Nullif: ExprBinder.nullif,
    exp.Greatest: ExprBinder.greatest_least, exp.Least: ExprBinder.greatest_least,
    exp.Substring: ExprBinder.substring, exp.Trim: ExprBinder.trim, exp.StrPosition: ExprBinder.strpos,
    exp.Concat: ExprBinder.concat, exp.Extract: ExprBinder.extract, exp.TimestampTrunc: ExprBinder.trunc,
    exp.DateTrunc: ExprBinder.trunc, exp.Abs: ExprBinder.abs_, exp.Window: ExprBinder.window,
    exp.Subquery: ExprBinder.subquery, exp.Exists: ExprBinder.exists, exp.Star: ExprBinder.star,
    **{k: ExprBinder.compare for k in COMPARE}, **{k: ExprBinder.arith for k in ARITH},
    **{k: ExprBinder.string_func for k in STRING_FUNCS}, **{k: ExprBinder.date_part_func for k in DATE_PART_FUNCS},
}
