"""SQL text -> sqlglot statements, with syntax errors as warpdb.ParseError (line, column, caret)."""
from __future__ import annotations

import sqlglot
from sqlglot import exp

from ..errors import ParseError

DIALECT = "duckdb"


def parse(sql: str) -> list[exp.Expression]:
    """All statements of `sql` (empty statements dropped)."""
    try:
        stmts = sqlglot.parse(sql, read=DIALECT)
    except sqlglot.errors.ParseError as e:
        first = e.errors[0] if e.errors else {}
        line, col = first.get("line"), first.get("col")
        highlight = first.get("highlight") or ""
        if line is not None and col is not None and highlight:
            col = max(1, col - len(highlight) + 1)
        raise ParseError(f"syntax error: {_describe(first)}", sql, line, col) from None
    except sqlglot.errors.TokenError as e:
        raise ParseError(f"syntax error: {e}", sql) from None
    return [s for s in stmts if s is not None]


def _describe(err: dict) -> str:
    desc = err.get("description") or "invalid SQL"
    if "<Token" in desc:
        desc = desc.split("<Token")[0].strip() + f" '{err.get('highlight', '')}'"
    return desc


def position(node: exp.Expression, sql: str) -> tuple[int, int] | None:
    """(line, column) of the first token of `node`, when sqlglot recorded one."""
    if not isinstance(node, exp.Expression):
        return None
    for n in node.walk():
        meta = getattr(n, "_meta", None)
        if meta and "start" in meta:
            start = meta["start"]
            line = sql.count("\n", 0, start) + 1
            col = start - (sql.rfind("\n", 0, start) + 1) + 1
            return line, col
    return None


def where(node: exp.Expression, sql: str) -> str:
    """' at line L, column C' for messages, or '' when the position is unknown."""
    pos = position(node, sql)
    return f" at line {pos[0]}, column {pos[1]}" if pos else ""
