"""Subqueries: EXISTS / IN become semi, anti or mark joins; scalar subqueries become single or
grouped left joins. Correlated subqueries are decorrelated here, by warpdb's own rule."""
from __future__ import annotations

from sqlglot import exp

from ..engine import functions as F
from ..engine import types as T
from ..engine.expr import AggCall, Call, ColRef, Expr, Lit, and_all, conjuncts, substitute
from ..engine.logical import Aggregate, Distinct, Field, Filter, Join, Plan, Project, free_cids
from ..errors import BindError
from .aggregation import AggContext, find_aggregates
from .bind_expr import ExprBinder, ast_conjuncts
from .parse import where


class SubqueryBinder:
    """Mixin of the query binder for subqueries in expressions."""

    def try_semi_join(self, eb: ExprBinder, part: exp.Expression) -> bool:
        """Bind a top-level WHERE conjunct that is [NOT] EXISTS or IN (subquery) as a semi/anti join."""
        node, negated = (part.this, True) if isinstance(part, exp.Not) else (part, False)
        if isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Exists) or (isinstance(node, exp.In) and node.args.get("query") is not None and not negated):
            self.subquery_join(eb, node, "anti" if negated else "semi")
            return True
        return False

    def subquery_predicate(self, eb: ExprBinder, node, negated: bool) -> Expr:
        """[NOT] EXISTS / [NOT] IN (subquery) anywhere in an expression: a mark join's column."""
        mark = self.subquery_join(eb, node, "mark")
        ref = ColRef(mark.cid, mark.dtype, mark.name)
        return F.logical("not", [ref]) if negated else ref

    def _subquery_of(self, node) -> exp.Expression:
        sub = node.this if isinstance(node, exp.Exists) else node.args["query"]
        return sub.this if isinstance(sub, exp.Subquery) else sub

    def subquery_join(self, eb: ExprBinder, node, kind: str) -> Field | None:
        holder = eb.holder
        if holder is None:
            self.unsupported(f"subquery in {eb.clause}", node)
            return self.field("mark", T.BOOL)
        sub = self._subquery_of(node)
        is_in = isinstance(node, exp.In)
        plan, _ = self.query(sub, eb.scope)
        lkeys, rkeys, residual, in_pair = [], [], None, None
        if free_cids(plan):
            plan, _, corr, value = self.correlated(eb, sub, node, want_value=is_in)
            corr = [self._grouped_outer(eb, c) for c in corr]
            lkeys, rkeys, rest = self.split_correlation(corr, plan, node)
            residual = and_all(rest)
        else:
            value = None
            if is_in:
                if len(plan.schema) != 1:
                    raise BindError(f"IN subquery must return one column, got {len(plan.schema)}{where(node, self.sql)}")
                f = plan.schema[0]
                value = ColRef(f.cid, f.dtype, f.name)
        if is_in:
            eq = F.compare("eq", eb.bind(node.this), value)
            if kind == "semi":
                lkeys, rkeys = lkeys + [eq.args[0]], rkeys + [eq.args[1]]
            else:
                in_pair = (eq.args[0], eq.args[1])
        mark = self.field("mark", T.BOOL) if kind == "mark" else None
        holder.plan = Join(kind, holder.plan, plan, tuple(lkeys), tuple(rkeys), residual, mark, in_pair)
        return mark

    def correlated(self, eb: ExprBinder, sub, node, want_value: bool):
        """Bind a correlated subquery's FROM and WHERE: (plan, scope, correlated conjuncts, value)."""
        if not isinstance(sub, exp.Select):
            self.unsupported("correlated set operation subquery", node)
        for key in ("group", "having", "limit", "offset", "distinct"):
            if isinstance(sub, exp.Select) and sub.args.get(key) is not None:
                self.unsupported(f"correlated subquery with {key.upper()}", node)
        plan, scope = self.from_clause(sub, eb.scope)
        from .bind import Holder

        inner = Holder(plan)
        ib = ExprBinder(self, scope, clause="WHERE")
        ib.holder = inner
        local, corr = [], []
        w = sub.args.get("where")
        for part in ast_conjuncts(w.this) if w is not None else []:
            if self.try_semi_join(ib, part):
                continue
            for c in conjuncts(ib.bind_bool(part)):
                (corr if c.cids() - _defined(inner.plan) else local).append(c)
        if local:
            inner.plan = Filter(inner.plan, and_all(local))
        value = None
        if want_value:
            items = sub.expressions
            if len(items) != 1:
                raise BindError(f"IN subquery must return one column{where(node, self.sql)}")
            if find_aggregates(items[0]):
                self.unsupported("correlated IN subquery with aggregates", node)
            ib.clause = "SELECT"
            value = ib.bind(items[0].this if isinstance(items[0], exp.Alias) else items[0])
        return inner.plan, scope, corr, value

    def split_correlation(self, corr: list[Expr], inner: Plan, node):
        """Equalities between an inner and an outer expression become join keys; the rest a residual."""
        inner_cids = _defined(inner)
        lkeys, rkeys, rest = [], [], []
        for c in corr:
            if isinstance(c, Call) and c.op == "eq":
                a, b = c.args
                if a.cids() and b.cids() and a.cids() <= inner_cids and not (b.cids() & inner_cids):
                    lkeys.append(b)
                    rkeys.append(a)
                    continue
                if a.cids() and b.cids() and b.cids() <= inner_cids and not (a.cids() & inner_cids):
                    lkeys.append(a)
                    rkeys.append(b)
                    continue
            rest.append(c)
        return lkeys, rkeys, rest

    def scalar_subquery(self, eb: ExprBinder, node: exp.Subquery) -> Expr:
        holder = eb.holder
        if holder is None:
            return self.unsupported(f"subquery in {eb.clause}", node)
        plan, _ = self.query(node.this, eb.scope)
        if not free_cids(plan):
            if len(plan.schema) != 1:
                raise BindError(f"scalar subquery must return one column, got {len(plan.schema)}{where(node, self.sql)}")
            holder.plan = Join("single", holder.plan, plan)
            f = plan.schema[0]
            return ColRef(f.cid, f.dtype, f.name)
        return self.correlated_scalar(eb, node.this, node)

    def correlated_scalar(self, eb: ExprBinder, sub, node) -> Expr:
        """A correlated scalar subquery as a join: grouped by the correlation when it aggregates,
        else a 'single' join that fails when an outer row would get more than one value."""
        if not isinstance(sub, exp.Select) or len(sub.expressions) != 1:
            return self.unsupported("correlated scalar subquery that is not a one-column SELECT", node)
        item = sub.expressions[0]
        item = item.this if isinstance(item, exp.Alias) else item
        plan, scope, corr, _ = self.correlated(eb, sub, node, want_value=False)
        corr = [self._grouped_outer(eb, c) for c in corr]
        if not find_aggregates(item):
            from .bind import Holder

            ib = ExprBinder(self, scope, clause="SELECT")
            ib.holder = Holder(plan)
            value = ib.bind(item)
            vf = self.field("value", value.dtype)
            inner = ib.holder.plan
            refs = tuple(ColRef(f.cid, f.dtype, f.name) for f in inner.schema)
            right = Project(inner, refs + (value,), inner.schema + (vf,))
            lkeys, rkeys, rest = self.split_correlation(corr, inner, node)
            eb.holder.plan = Join("single", eb.holder.plan, right, tuple(lkeys), tuple(rkeys), and_all(rest))
            return ColRef(vf.cid, vf.dtype, vf.name)
        lkeys, rkeys, rest = self.split_correlation(corr, plan, node)
        if rest:
            plan, lkeys, rkeys = self._outer_values_join(eb, plan, corr)
        keys = [(k, self.field(f"key{i}", k.dtype)) for i, k in enumerate(rkeys)]
        ib = ExprBinder(self, scope, clause="aggregate")
        aggs: dict[AggCall, Field] = {}
        for a in find_aggregates(item):
            call = ib.aggregate(a)
            aggs.setdefault(call, self.field(a.sql(dialect="duckdb").lower(), call.dtype))
        agg_plan = Aggregate(plan, tuple(rkeys), tuple(aggs), tuple(f for _, f in keys) + tuple(aggs.values()))
        post = ExprBinder(self, scope, agg=AggContext(ib, [], aggs), clause="SELECT")
        value = post.bind(item)
        zero_counts = {f.cid: F.cast(Call("coalesce", (ColRef(f.cid, f.dtype, f.name), Lit(0, T.INT64)), T.INT64), f.dtype)
                       for c, f in aggs.items() if c.func in ("count", "count_star")}
        eb.holder.plan = Join("left", eb.holder.plan, agg_plan, tuple(lkeys), tuple(ColRef(f.cid, f.dtype, f.name) for _, f in keys))
        return substitute(value, zero_counts)

    def _outer_values_join(self, eb: ExprBinder, inner: Plan, corr: list[Expr]):
        """For non-equality correlation: join the inner rows with the distinct outer values they
        depend on, so the aggregate can group by those values."""
        inner_cids = _defined(inner)
        refs = {}
        for c in corr:
            for r in c.walk():
                if isinstance(r, ColRef) and r.cid not in inner_cids:
                    refs[r.cid] = r
        outer = [refs[c] for c in sorted(refs)]
        fields = tuple(self.field(f"outer_{r.name}", r.dtype) for r in outer)
        values = Distinct(Project(eb.holder.plan, tuple(outer), fields))
        mapping = {r.cid: ColRef(f.cid, f.dtype, f.name) for r, f in zip(outer, fields)}
        cond = and_all([substitute(c, mapping) for c in corr])
        joined = Join("inner", inner, values, residual=cond)
        return joined, list(outer), [ColRef(f.cid, f.dtype, f.name) for f in fields]

    def _grouped_outer(self, eb: ExprBinder, e: Expr) -> Expr:
        """Outer references from HAVING or a grouped SELECT point at the group keys' outputs."""
        if eb.agg is None:
            return e
        mapping = {k.cid: ColRef(f.cid, f.dtype, f.name) for k, f in eb.agg.keys if isinstance(k, ColRef)}
        return substitute(e, mapping)


def _defined(p: Plan) -> set[int]:
    return {f.cid for node in p.walk() for f in node.schema}

