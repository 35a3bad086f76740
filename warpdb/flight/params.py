"""Parameter binding for prepared statements: the `?` placeholders of the SQL text are replaced by
SQL literals of one row of the bound Arrow parameters. An `INSERT ... VALUES (?, ...)` bound to
many rows becomes one multi-row INSERT; other statements give one SQL text per row."""
from __future__ import annotations

import datetime as dt
import decimal
import math

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from ..sql.parse import DIALECT


def placeholders(sql: str) -> list[int]:
    """Offsets of the `?` placeholders in `sql`, in text order."""
    return [t.start for t in _tokens(sql) if t.token_type == TokenType.PLACEHOLDER]


def bind(sql: str, params: pa.Table) -> list[str]:
    """SQL texts with `params` (one column per placeholder) substituted, row by row."""
    spots = placeholders(sql)
    if params.num_columns != len(spots):
        raise pa.ArrowInvalid(f"the statement has {len(spots)} parameter(s) but {params.num_columns} were bound")
    if not spots:
        return [sql]
    rows = list(zip(*[[literal(v, c.type) for v in c.to_pylist()] for c in params.columns]))
    values = _values_tuple(sql)
    if values is not None and len(rows) > 1 and all(values[0] < s < values[1] for s in spots):
        start, end = values
        tuples = [_substitute(sql[start:end], [s - start for s in spots], row) for row in rows]
        return [sql[:start] + ", ".join(tuples) + sql[end:]]
    return [_substitute(sql, spots, row) for row in rows]


def literal(value, arrow_type: pa.DataType | None = None) -> str:
    """`value` (a Python value from an Arrow column of `arrow_type`) as a SQL literal; a NULL keeps
    its column's type."""
    if value is None:
        sql_type = _sql_type(arrow_type)
        node = exp.cast(exp.Null(), sql_type) if sql_type else exp.Null()
    elif isinstance(value, bool):
        node = exp.Boolean(this=value)
    elif isinstance(value, int):
        node = exp.Literal.number(value)
    elif isinstance(value, float):
        node = exp.Literal.number(repr(value)) if math.isfinite(value) else exp.cast(exp.Literal.string(repr(value)), "DOUBLE")
    elif isinstance(value, decimal.Decimal):
        node = exp.Literal.number(str(value))
    elif isinstance(value, str):
        node = exp.Literal.string(value)
    elif isinstance(value, dt.datetime):
        node = exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    elif isinstance(value, dt.date):
        node = exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    else:
        raise pa.ArrowInvalid(f"cannot bind a parameter of Python type {type(value).__name__}")
    return node.sql(dialect=DIALECT)


def _sql_type(t: pa.DataType | None) -> str | None:
    if t is None or pa.types.is_null(t):
        return None
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision}, {t.scale})"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    return {
        pa.bool_(): "BOOLEAN", pa.int8(): "TINYINT", pa.int16(): "SMALLINT", pa.int32(): "INTEGER",
        pa.int64(): "BIGINT", pa.float32(): "REAL", pa.float64(): "DOUBLE", pa.string(): "VARCHAR",
        pa.large_string(): "VARCHAR", pa.date32(): "DATE",
    }.get(t)


def _tokens(sql: str):
    try:
        return sqlglot.tokenize(sql, read=DIALECT)
    except SqlglotError as e:
        raise pa.ArrowInvalid(f"cannot tokenize the statement: {e}") from None


def _substitute(sql: str, spots: list[int], row) -> str:
    out, prev = [], 0
    for spot, text in zip(spots, row):
        out += [sql[prev:spot], text]
        prev = spot + 1
    return "".join(out) + sql[prev:]


def _values_tuple(sql: str) -> tuple[int, int] | None:
    """(start, end) of the only tuple of an `INSERT ... VALUES (...)` statement, else None."""
    tokens = [t for t in _tokens(sql) if t.token_type != TokenType.SEMICOLON]
    if not tokens or tokens[0].token_type != TokenType.INSERT or tokens[-1].token_type != TokenType.R_PAREN:
        return None
    at = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.VALUES), None)
    if at is None or at + 1 >= len(tokens) or tokens[at + 1].token_type != TokenType.L_PAREN:
        return None
    depth = 0
    for t in tokens[at + 1:]:
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(t.token_type, 0)
        if depth == 0:
            return (tokens[at + 1].start, t.end + 1) if t is tokens[-1] else None
    return None
