"""FROM clauses: tables, views, CTEs, table functions, derived tables and joins."""
from __future__ import annotations

from sqlglot import exp

from ..engine.expr import ColRef, Lit, and_all
from ..engine import functions as F
from ..engine.logical import Join, Plan, Scan, Values
from ..errors import BindError
from .bind_expr import ExprBinder
from .parse import where
from .scope import Scope, ScopeColumn, did_you_mean

TABLE_FUNCTIONS = {exp.ReadParquet: "read_parquet", exp.ReadCSV: "read_csv"}


class TableBinder:
    """Mixin of the query binder for the FROM clause."""

    def from_clause(self, sel: exp.Select, outer: Scope | None) -> tuple[Plan, Scope]:
        frm = sel.args.get("from_")
        if frm is None:
            return Values(((),), ()), Scope([], outer)
        plan, scope = self.table_ref(frm.this)
        for j in sel.args.get("joins") or []:
            plan, scope = self.join(plan, scope, j, outer)
        return plan, Scope(scope.columns, outer)

    def join(self, plan: Plan, scope: Scope, j: exp.Join, outer) -> tuple[Plan, Scope]:
        rplan, rscope = self.table_ref(j.this)
        if j.args.get("method"):
            self.unsupported(f"{j.args['method']} JOIN", j)
        side = (j.args.get("side") or "").lower()
        kind = (j.args.get("kind") or "").lower()
        if kind in ("semi", "anti", "asof", "positional") or j.args.get("match_condition") is not None:
            self.unsupported(f"{kind.upper() or 'ASOF'} JOIN", j)
        both = Scope(scope.columns + rscope.columns, outer)
        on, using = j.args.get("on"), j.args.get("using")
        cond = None
        if on is not None:
            cond = ExprBinder(self, both, clause="JOIN condition").bind_bool(on)
        elif using:
            parts = []
            for ident in using:
                name = ident.name.lower()
                lf = scope.resolve(name, None, where(ident, self.sql))
                rf = rscope.resolve(name, None, where(ident, self.sql))
                parts.append(F.compare("eq", ColRef(lf.cid, lf.dtype, lf.name), ColRef(rf.cid, rf.dtype, rf.name)))
            cond = and_all(parts)
        if side in ("left", "right", "full"):
            how = side
        elif cond is None:
            how = "cross"
        else:
            how = "inner"
        if how in ("left", "right", "full") and cond is None:
            raise BindError(f"{side.upper()} JOIN needs an ON or USING condition{where(j, self.sql)}")
        if isinstance(cond, Lit) and cond.value is True:
            cond, how = None, ("cross" if how == "inner" else how)
        return Join(how, plan, rplan, residual=cond), both

    def table_ref(self, node: exp.Expression) -> tuple[Plan, Scope]:
        alias = node.args.get("alias")
        alias_name = alias.name.lower() if alias is not None and alias.name else None
        col_aliases = [c.name.lower() for c in alias.columns] if alias is not None and alias.columns else []
        if isinstance(node, exp.Table) and isinstance(node.this, (exp.Func, exp.Anonymous)) and not isinstance(
            node.this, exp.Identifier
        ):
            plan, names = self.table_function(node.this)
            qualifier = alias_name or TABLE_FUNCTIONS.get(type(node.this), node.this.name.lower())
        elif isinstance(node, exp.Table):
            name = node.name.lower()
            plan, names = self.named_table(node, name)
            qualifier = alias_name or name
        elif isinstance(node, exp.Subquery):
            plan, names = self.query(node.this, None)
            qualifier = alias_name
        elif isinstance(node, exp.Values):
            plan, names = self.values(node)
            qualifier = alias_name
        else:
            self.unsupported(f"{type(node).__name__} in FROM", node)
            return Values(((),), ()), Scope([])
        if len(col_aliases) > len(names):
            raise BindError(f"table '{qualifier}' has {len(names)} columns but {len(col_aliases)} aliases{where(node, self.sql)}")
        names = col_aliases + list(names[len(col_aliases):])
        cols = [ScopeColumn(qualifier, n, f) for n, f in zip(names, plan.schema)]
        return plan, Scope(cols)

    def named_table(self, node: exp.Table, name: str) -> tuple[Plan, list[str]]:
        if node.args.get("db") or node.args.get("catalog"):
            self.unsupported(f"schema-qualified table name {node.sql()}", node)
        for depth in range(len(self.ctes) - 1, -1, -1):
            frame = self.ctes[depth]
            if name in frame:
                cte = frame[name]
                saved = self.ctes
                names = list(frame)
                earlier = {n: frame[n] for n in names[: names.index(name)]}
                self.ctes = self.ctes[:depth] + [earlier]
                try:
                    plan, names = self.query(cte.this, None)
                finally:
                    self.ctes = saved
                alias_cols = cte.args["alias"].columns if cte.args.get("alias") is not None else []
                return plan, [c.name.lower() for c in alias_cols] + names[len(alias_cols):]
        entry = self.catalog.get(name)
        if entry is None:
            known = list(self.catalog.names()) + [n for f in self.ctes for n in f]
            raise BindError(f"unknown table '{name}'{where(node, self.sql)}{did_you_mean(name, known)}")
        if entry.is_view:
            return self.view(entry)
        return self.scan(name, entry)

    def view(self, entry) -> tuple[Plan, list[str]]:
        saved_sql, saved_ctes = self.sql, self.ctes
        self.sql, self.ctes = entry.sql, []
        try:
            return self.query(entry.ast, None)
        finally:
            self.sql, self.ctes = saved_sql, saved_ctes

    def scan(self, name: str, entry) -> tuple[Plan, list[str]]:
        names = [n for n, _ in entry.columns]
        fields = tuple(self.field(n, t) for n, t in entry.columns)
        return Scan(name, entry, tuple(names), fields), names

    def table_function(self, fn) -> tuple[Plan, list[str]]:
        fname = TABLE_FUNCTIONS.get(type(fn)) or (fn.name.lower() if isinstance(fn, exp.Anonymous) else fn.sql_name().lower())
        args = [fn.this] if isinstance(fn.args.get("this"), exp.Expression) else []
        args += list(fn.expressions)
        paths, options = [], {}
        for a in args:
            if isinstance(a, exp.EQ) or isinstance(a, exp.PropertyEQ):
                options[a.this.name.lower()] = _constant(a.expression)
            elif isinstance(a, exp.Literal) and a.is_string:
                paths.append(a.this)
            elif isinstance(a, exp.Array):
                paths += [_constant(x) for x in a.expressions]
            else:
                raise BindError(f"{fname}: arguments must be string paths or name=value options{where(a, self.sql)}")
        entry = self.catalog.table_function(fname, paths, options)
        return self.scan(fname, entry)


def _constant(node):
    if isinstance(node, exp.Struct):
        return {(e.this.name if isinstance(e.this, exp.Expression) else str(e.this)): _constant(e.expression)
                for e in node.expressions}
    if isinstance(node, exp.Array):
        return [_constant(x) for x in node.expressions]
    if isinstance(node, exp.Neg):
        return -_constant(node.this)
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else float(node.this) if "." in node.this else int(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    raise BindError(f"option value must be a constant: {node.sql()}")
