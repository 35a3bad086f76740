"""sqlglot query ASTs -> warpdb logical plans (names, types, clauses, set operations)."""
from __future__ import annotations

from sqlglot import exp

from ..engine import functions as F
from ..engine import types as T
from ..engine.expr import AggCall, ColRef, Expr, Lit, and_all, conjuncts
from ..engine.logical import unresolved_references, Aggregate, Distinct, Field, Filter, Limit, Plan, Project, SetOp, Sort, SortKey, Values
from ..errors import BindError, NotSupported
from .aggregation import AggContext, find_aggregates
from .bind_expr import ExprBinder, ast_conjuncts, unsupported_features
from .parse import where
from .scope import Scope, did_you_mean
from .subquery import SubqueryBinder
from .tables import TableBinder


class Holder:
    """The plan a clause is being bound over; subqueries wrap it in joins."""

    def __init__(self, plan: Plan):
        self.plan = plan


class QueryBinder(SubqueryBinder, TableBinder):
    """Binds one statement's queries; collects every unsupported feature before reporting."""

    def __init__(self, catalog, sql: str):
        self.catalog, self.sql = catalog, sql
        self.next_cid = 0
        self.ctes: list[dict[str, exp.CTE]] = []
        self.problems: list[str] = []

    # --- bookkeeping ------------------------------------------------------------------------
    def field(self, name: str, dtype: T.DataType) -> Field:
        self.next_cid += 1
        return Field(self.next_cid, name, dtype)

    def unsupported(self, what: str, node, placeholder=None):
        msg = what + where(node, self.sql)
        if msg not in self.problems:
            self.problems.append(msg)
        return Lit(None, T.NULL) if placeholder is None else placeholder

    def bind(self, node: exp.Expression) -> tuple[Plan, list[str]]:
        """Bind a whole query statement; NotSupported lists every unsupported feature at once."""
        unsupported_features(node, self)
        if self.problems:
            raise NotSupported(self.problems)
        plan, names = self.query(node, None)
        if self.problems:
            raise NotSupported(self.problems)
        if unresolved_references(plan):
            raise NotSupported(
                "correlated subquery that warpdb cannot decorrelate (outer columns referenced more than one "
                "level up, or as the IN subquery's value)" + where(node, self.sql)
            )
        return plan, names

    # --- queries ----------------------------------------------------------------------------
    def query(self, node: exp.Expression, outer: Scope | None) -> tuple[Plan, list[str]]:
        with_ = node.args.get("with_")
        if with_ is not None:
            if with_.args.get("recursive"):
                self.unsupported("WITH RECURSIVE", node)
            self.ctes.append({cte.alias_or_name.lower(): cte for cte in with_.expressions})
        try:
            if isinstance(node, exp.Subquery):
                plan, names = self.query(node.this, outer)
            elif isinstance(node, exp.Select):
                plan, names = self.select(node, outer)
            elif isinstance(node, (exp.Union, exp.Intersect, exp.Except)):
                plan, names = self.set_operation(node, outer)
            elif isinstance(node, exp.Values):
                plan, names = self.values(node)
            else:
                raise NotSupported(f"{type(node).__name__} as a query{where(node, self.sql)}")
            if not isinstance(node, exp.Select):
                plan = self.order_limit(node, plan, names)
            return plan, names
        finally:
            if with_ is not None:
                self.ctes.pop()

    def set_operation(self, node, outer) -> tuple[Plan, list[str]]:
        left, lnames = self.query(node.this, outer)
        right, _ = self.query(node.expression, outer)
        kind = {exp.Union: "union", exp.Intersect: "intersect", exp.Except: "except"}[type(node)]
        if len(left.schema) != len(right.schema):
            raise BindError(
                f"{kind.upper()} sides have {len(left.schema)} and {len(right.schema)} columns{where(node, self.sql)}"
            )
        types = [F.supertype([a.dtype, b.dtype], kind.upper()) for a, b in zip(left.schema, right.schema)]
        left, right = self.cast_to(left, types), self.cast_to(right, types)
        schema = tuple(self.field(n, t) for n, t in zip(lnames, types))
        distinct = node.args.get("distinct")
        return SetOp(kind, not distinct, left, right, schema), lnames

    def cast_to(self, plan: Plan, types: list[T.DataType]) -> Plan:
        if all(f.dtype == t for f, t in zip(plan.schema, types)):
            return plan
        exprs = tuple(F.cast(ColRef(f.cid, f.dtype, f.name), t) for f, t in zip(plan.schema, types))
        return Project(plan, exprs, tuple(self.field(f.name, t) for f, t in zip(plan.schema, types)))

    def values(self, node: exp.Values) -> tuple[Plan, list[str]]:
        eb = ExprBinder(self, Scope([]), clause="VALUES")
        rows = [[eb.bind(v) for v in (t.expressions if isinstance(t, exp.Tuple) else [t])] for t in node.expressions]
        width = len(rows[0])
        if any(len(r) != width for r in rows):
            raise BindError(f"VALUES rows differ in length{where(node, self.sql)}")
        cols = [F.unify([r[i] for r in rows], "VALUES") for i in range(width)]
        for col in cols:
            if not all(isinstance(v, Lit) for v in col):
                self.unsupported("VALUES with non-constant expressions", node)
        alias = node.args.get("alias")
        names = [c.name.lower() for c in alias.columns] if alias is not None and alias.columns else []
        names += [f"col{i}" for i in range(len(names), width)]
        schema = tuple(self.field(n, c[0].dtype) for n, c in zip(names, cols))
        data = tuple(tuple(getattr(col[r], "value", None) for col in cols) for r in range(len(rows)))
        return Values(data, schema), names

    def select(self, sel: exp.Select, outer: Scope | None) -> tuple[Plan, list[str]]:
        for key in ("qualify", "windows", "pivots", "laterals", "into", "sample"):
            if sel.args.get(key):
                self.unsupported(key.upper(), sel)
        plan, scope = self.from_clause(sel, outer)
        holder = Holder(plan)
        self.where_clause(sel, holder, scope)
        items = self.expand_star(sel.expressions, scope)
        group = sel.args.get("group")
        having = sel.args.get("having")
        order = sel.args.get("order")
        agg_nodes = [a for it in items for a in find_aggregates(it)]
        if having is not None:
            agg_nodes += find_aggregates(having.this)
        if order is not None:
            agg_nodes += [a for o in order.expressions for a in find_aggregates(o.this)]
        if group is not None or agg_nodes or having is not None:
            eb = self.aggregate(holder, scope, items, group, agg_nodes)
            eb.holder = holder
            if having is not None:
                eb.clause = "HAVING"
                pred = eb.bind_bool(having.this)
                holder.plan = Filter(holder.plan, pred)
        else:
            eb = ExprBinder(self, scope, clause="SELECT")
            eb.holder = holder
        eb.clause = "SELECT"
        exprs = [eb.bind(it.this if isinstance(it, exp.Alias) else it) for it in items]
        names = [_output_name(it) for it in items]
        fields = [self.field(n, e.dtype) for n, e in zip(names, exprs)]
        distinct = sel.args.get("distinct")
        if distinct is not None and distinct.args.get("on") is not None:
            self.unsupported("DISTINCT ON", sel)
        plan, fields = self.order_by(sel, holder, eb, items, exprs, fields, distinct is not None)
        return self.limit_offset(sel, plan), names

    def expand_star(self, items: list[exp.Expression], scope: Scope) -> list[exp.Expression]:
        out = []
        for it in items:
            star_qual = None
            if isinstance(it, exp.Star):
                star_qual = ""
            elif isinstance(it, exp.Column) and isinstance(it.this, exp.Star):
                star_qual = it.table.lower()
            if star_qual is None:
                out.append(it)
                continue
            if it.args.get("except") or it.args.get("replace"):
                self.unsupported("SELECT * EXCLUDE/REPLACE", it)
            cols = scope.star(star_qual or None)
            if not cols and not star_qual:
                raise BindError(f"SELECT * with no FROM clause{where(it, self.sql)}")
            for c in cols:
                col = exp.column(c.name, table=c.qualifier, quoted=True) if c.qualifier else exp.column(c.name, quoted=True)
                out.append(exp.alias_(col, c.name, quoted=True))
        return out

    def where_clause(self, sel, holder: Holder, scope: Scope) -> None:
        w = sel.args.get("where")
        if w is None:
            return
        eb = ExprBinder(self, scope, clause="WHERE")
        eb.holder = holder
        preds = []
        for part in ast_conjuncts(w.this):
            if self.try_semi_join(eb, part):
                continue
            preds.append(eb.bind_bool(part))
        if preds:
            holder.plan = Filter(holder.plan, and_all([c for p in preds for c in conjuncts(p)]))

    def aggregate(self, holder: Holder, scope: Scope, items, group, agg_nodes) -> ExprBinder:
        """Add the Aggregate node; return the binder for expressions over its output."""
        ib = ExprBinder(self, scope, clause="GROUP BY")
        ib.holder = holder
        key_nodes = []
        if group is not None:
            if group.args.get("all"):
                key_nodes = [it.this if isinstance(it, exp.Alias) else it for it in items if not find_aggregates(it)]
            for g in group.expressions:
                key_nodes.append(self.group_key_node(g, items, scope))
            for k in ("rollup", "cube", "grouping_sets"):
                if group.args.get(k):
                    self.unsupported(k.upper().replace("_", " "), group)
        keys: list[tuple[Expr, Field]] = []
        for node in key_nodes:
            e = ib.bind(node)
            if not any(k == e for k, _ in keys):
                keys.append((e, self.field(_output_name(node), e.dtype)))
        ib.clause = "aggregate"
        aggs: dict[AggCall, Field] = {}
        for node in agg_nodes:
            call = ib.aggregate(node)
            if call not in aggs:
                aggs[call] = self.field(node.sql(dialect="duckdb").lower(), call.dtype)
        schema = tuple(f for _, f in keys) + tuple(aggs.values())
        holder.plan = Aggregate(holder.plan, tuple(k for k, _ in keys), tuple(aggs), schema)
        return ExprBinder(self, scope, agg=AggContext(ib, keys, aggs), clause="SELECT")

    def group_key_node(self, g, items, scope: Scope):
        if isinstance(g, exp.Literal) and not g.is_string and g.this.isdigit():
            i = int(g.this)
            if not 1 <= i <= len(items):
                raise BindError(f"GROUP BY position {i} is not in the SELECT list{where(g, self.sql)}")
            it = items[i - 1]
            return it.this if isinstance(it, exp.Alias) else it
        if isinstance(g, exp.Column) and not g.table and scope.lookup(g.name.lower(), None) is None:
            for it in items:
                if isinstance(it, exp.Alias) and it.alias.lower() == g.name.lower():
                    return it.this
        return g

    def order_by(self, sel, holder, eb, items, exprs, fields, distinct: bool):
        order = sel.args.get("order")
        keys, hidden_exprs, hidden_fields = [], [], []
        for o in order.expressions if order is not None else []:
            f = self.order_target(o.this, items, exprs, fields)
            if f is None:
                e = eb.bind(o.this)
                match = [fl for fl, ex in zip(fields, exprs) if ex == e]
                if match:
                    f = match[0]
                else:
                    if distinct:
                        raise BindError(f"ORDER BY expression must appear in the SELECT DISTINCT list{where(o, self.sql)}")
                    f = self.field(o.this.sql(dialect="duckdb")[:40], e.dtype)
                    hidden_exprs.append(e)
                    hidden_fields.append(f)
            keys.append(SortKey(ColRef(f.cid, f.dtype, f.name), bool(o.args.get("desc")), bool(o.args.get("nulls_first"))))
        plan = Project(holder.plan, tuple(exprs + hidden_exprs), tuple(fields + hidden_fields))
        if distinct:
            plan = Distinct(plan)
        if keys:
            plan = Sort(plan, tuple(keys))
        if hidden_fields:
            plan = Project(plan, tuple(ColRef(f.cid, f.dtype, f.name) for f in fields), tuple(fields))
        return plan, fields

    def order_target(self, node, items, exprs, fields) -> Field | None:
        if isinstance(node, exp.Literal) and not (not node.is_string and node.this.isdigit()):
            raise BindError(f"ORDER BY non-integer literal has no effect{where(node, self.sql)}")
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
            raise BindError(f"ORDER BY position {node.sql()} is not in the SELECT list{where(node, self.sql)}")
        if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
            i = int(node.this)
            if not 1 <= i <= len(fields):
                raise BindError(f"ORDER BY position {i} is not in the SELECT list{where(node, self.sql)}")
            return fields[i - 1]
        if isinstance(node, exp.Column) and not node.table:
            for it, f in zip(items, fields):
                if isinstance(it, exp.Alias) and it.alias.lower() == node.name.lower():
                    return f
        return None

    def order_limit(self, node, plan: Plan, names: list[str]) -> Plan:
        """ORDER BY / LIMIT attached to a set operation or VALUES: by output name or position."""
        order = node.args.get("order")
        if order is not None:
            keys = []
            for o in order.expressions:
                t = o.this
                if isinstance(t, exp.Literal) and not t.is_string and t.this.isdigit() and 1 <= int(t.this) <= len(names):
                    f = plan.schema[int(t.this) - 1]
                elif isinstance(t, exp.Column) and t.name.lower() in names:
                    f = plan.schema[names.index(t.name.lower())]
                else:
                    raise BindError(
                        f"ORDER BY of a set operation must name an output column{where(o, self.sql)}"
                        + did_you_mean(t.sql(), names)
                    )
                keys.append(SortKey(ColRef(f.cid, f.dtype, f.name), bool(o.args.get("desc")), bool(o.args.get("nulls_first"))))
            plan = Sort(plan, tuple(keys))
        return self.limit_offset(node, plan)

    def limit_offset(self, node, plan: Plan) -> Plan:
        lim, off = node.args.get("limit"), node.args.get("offset")
        if lim is None and off is None:
            return plan
        n = self.const_int(lim.expression, "LIMIT") if lim is not None else None
        k = self.const_int(off.expression, "OFFSET") if off is not None else 0
        return Limit(plan, n, k)

    def const_int(self, node, what: str) -> int:
        if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
            return int(node.this)
        raise BindError(f"{what} must be a non-negative integer constant{where(node, self.sql)}")


def _output_name(node) -> str:
    if isinstance(node, exp.Alias):
        return node.alias.lower() if not node.args["alias"].quoted else node.alias
    if isinstance(node, exp.Column):
        return node.name.lower()
    return node.sql(dialect="duckdb").lower()


def bind_query(catalog, node, sql: str) -> tuple[Plan, list[str]]:
    """The logical plan and output names of a query statement."""
    return QueryBinder(catalog, sql).bind(node)

