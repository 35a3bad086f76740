"""DDL and DML: CREATE TABLE [AS], CREATE VIEW, INSERT, DROP, DESCRIBE, SHOW TABLES."""
from __future__ import annotations

import pyarrow as pa
from sqlglot import exp

from ..errors import BindError, ExecutionError, NotSupported
from ..sql.parse import where
from ..sql.scope import did_you_mean
from ..sql.sqltypes import sql_type
from . import types as T
from .catalog import TableEntry, ViewEntry


class _TypeOwner:
    """Collects unsupported column types in a CREATE TABLE."""

    def __init__(self, sql: str):
        self.sql, self.problems = sql, []

    def unsupported(self, what, node, placeholder=None):
        self.problems.append(what + where(node, self.sql))
        return placeholder


def run_statement(con, stmt, text: str) -> pa.Table | None:
    """Execute a non-query statement on connection `con`; DESCRIBE/SHOW return a table."""
    if isinstance(stmt, exp.Create):
        return _create(con, stmt, text)
    if isinstance(stmt, exp.Insert):
        return _insert(con, stmt, text)
    if isinstance(stmt, exp.Drop):
        kind = (stmt.args.get("kind") or "TABLE").upper()
        if kind not in ("TABLE", "VIEW"):
            raise NotSupported(f"DROP {kind}")
        for t in stmt.args.get("tables") or [stmt.this]:
            con.catalog.drop(t.name, kind, bool(stmt.args.get("exists")))
        return None
    if isinstance(stmt, exp.Describe):
        return _describe(con, stmt, text)
    if isinstance(stmt, exp.Show) and str(stmt.name).upper() == "TABLES":
        return pa.table({"name": pa.array(con.catalog.names(), pa.string())})
    raise NotSupported(f"{type(stmt).__name__.upper()} statement{where(stmt, text)}")


def _query_table(con, node, text: str) -> pa.Table:
    plan, names = con.plan(node, text)
    from .session import Result

    return Result(con, plan, names).arrow()


def _create(con, stmt: exp.Create, text: str):
    kind = (stmt.args.get("kind") or "").upper()
    target = stmt.this.this if isinstance(stmt.this, exp.Schema) else stmt.this
    name = target.name.lower()
    exists = con.catalog.get(name)
    if exists is not None and not stmt.args.get("replace"):
        if stmt.args.get("exists"):
            return None
        raise BindError(f"{'view' if exists.is_view else 'table'} '{name}' already exists")
    if kind == "VIEW":
        query = stmt.expression
        con.plan(query, text)
        con.catalog.put(name, ViewEntry(name, query, text))
        return None
    if kind != "TABLE":
        raise NotSupported(f"CREATE {kind}{where(stmt, text)}")
    if stmt.expression is not None:
        table = _query_table(con, stmt.expression, text)
    else:
        owner = _TypeOwner(text)
        fields = []
        for cd in stmt.this.expressions:
            if not isinstance(cd, exp.ColumnDef):
                owner.unsupported(f"table constraint {cd.sql()}", cd)
                continue
            t = sql_type(cd.args["kind"], owner, cd)
            fields.append(pa.field(cd.name.lower(), T.to_arrow(t) if t is not None else pa.null()))
        if owner.problems:
            raise NotSupported(owner.problems)
        table = pa.schema(fields).empty_table()
    con.catalog.put(name, TableEntry(name, table))
    return None


def _insert(con, stmt: exp.Insert, text: str):
    target = stmt.this
    cols = None
    if isinstance(target, exp.Schema):
        cols = [c.name.lower() for c in target.expressions]
        target = target.this
    name = target.name.lower()
    entry = con.catalog.get(name)
    if entry is None or entry.is_view or type(entry) is not TableEntry:
        raise BindError(f"cannot insert into '{name}': no such table{did_you_mean(name, con.catalog.names())}")
    incoming = _query_table(con, stmt.expression, text)
    schema = entry.table.schema
    cols = cols or schema.names[: incoming.num_columns]
    if len(cols) != incoming.num_columns:
        raise BindError(f"INSERT into '{name}' names {len(cols)} columns but gives {incoming.num_columns} values")
    arrays = []
    for f in schema:
        if f.name in cols:
            src = incoming.column(cols.index(f.name))
            try:
                arrays.append(src.cast(f.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise ExecutionError(f"INSERT into {name}.{f.name}: cannot convert {src.type} to {f.type}: {e}") from None
        else:
            arrays.append(pa.nulls(incoming.num_rows, f.type))
    unknown = set(cols) - set(schema.names)
    if unknown:
        raise BindError(f"table '{name}' has no column(s) {sorted(unknown)}")
    added = pa.Table.from_arrays(arrays, schema=schema)
    con.catalog.put(name, TableEntry(name, pa.concat_tables([entry.table, added])))
    return None


def _describe(con, stmt: exp.Describe, text: str) -> pa.Table:
    node = stmt.this
    if isinstance(node, exp.Table) and not isinstance(node.this, exp.Func):
        entry = con.catalog.get(node.name)
        if entry is None:
            raise BindError(f"unknown table '{node.name}'{did_you_mean(node.name.lower(), con.catalog.names())}")
        if entry.is_view:
            plan, names = con.plan(entry.ast, entry.sql)
            pairs = [(n, f.dtype) for n, f in zip(names, plan.schema)]
        else:
            pairs = entry.columns
    else:
        plan, names = con.plan(node, text)
        pairs = [(n, f.dtype) for n, f in zip(names, plan.schema)]
    return pa.table({
        "column_name": pa.array([n for n, _ in pairs], pa.string()),
        "column_type": pa.array([str(t) for _, t in pairs], pa.string()),
        "null": pa.array(["YES"] * len(pairs), pa.string()),
    })
