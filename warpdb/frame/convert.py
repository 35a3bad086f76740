"""Python values and type names -> sqlglot nodes (literals, CAST targets, parenthesized operators)."""
from __future__ import annotations

import datetime
import decimal
import math

import pyarrow as pa
import sqlglot
from sqlglot import exp

from ..engine import types as T
from ..errors import NotSupported, TypeMismatch

DIALECT = "duckdb"

# Binding strength of SQL operators, as the parser nests them; atoms (columns, literals, calls) bind tightest.
_PRECEDENCE = [
    ((exp.Or,), 1), ((exp.And,), 2), ((exp.Not,), 3),
    ((exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Is, exp.In, exp.Between, exp.Like, exp.Escape), 4),
    ((exp.Add, exp.Sub, exp.DPipe), 5), ((exp.Mul, exp.Div, exp.Mod, exp.IntDiv), 6), ((exp.Neg,), 7),
]
_ATOM = 10


def precedence(node: exp.Expression) -> int:
    for types, level in _PRECEDENCE:
        if isinstance(node, types):
            return level
    return _ATOM


def parenthesize(node: exp.Expression) -> exp.Expression:
    """Wrap operands in Paren where SQL text would need parentheses (as the parser represents them),
    so that generated names like `sum(a * (1 - b))` read like the SQL a user would write."""
    for child in list(node.find_all(exp.Binary, exp.Unary, exp.Connector)):
        for key in ("this", "expression"):
            operand = child.args.get(key)
            if not isinstance(operand, exp.Expression) or isinstance(child, exp.Paren):
                continue
            mine, theirs = precedence(child), precedence(operand)
            if theirs < mine or (key == "expression" and theirs == mine and mine < _ATOM and not isinstance(child, exp.Connector)):
                child.set(key, exp.Paren(this=operand))
    return node


def literal(value) -> exp.Expression:
    """The sqlglot node of a Python scalar: the same nodes SQL literals parse to."""
    if isinstance(value, exp.Expression):
        return value
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, decimal.Decimal)) or (isinstance(value, float) and math.isfinite(value)):
        text = str(value) if not isinstance(value, float) else repr(value)
        if text.startswith("-"):
            return exp.Neg(this=exp.Literal.number(text[1:]))
        return exp.Literal.number(text)
    if isinstance(value, float):
        return exp.Cast(this=exp.Literal.string(str(value)), to=exp.DataType.build("DOUBLE"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime.datetime):
        return exp.Cast(this=exp.Literal.string(value.isoformat(sep=" ")), to=exp.DataType.build("TIMESTAMP"))
    if isinstance(value, datetime.date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    raise TypeMismatch(f"cannot use a Python {type(value).__name__} as a literal: {value!r}")


def data_type(dtype) -> exp.DataType:
    """A CAST target from a SQL type name ("DECIMAL(12,2)", "varchar"), a pyarrow type, or a
    warpdb DataType."""
    if isinstance(dtype, pa.DataType):
        dtype = T.from_arrow(dtype, "cast target")
    if isinstance(dtype, T.DataType):
        dtype = str(dtype)
    if not isinstance(dtype, str):
        raise TypeMismatch(f"cast target must be a type name or a pyarrow type, not {dtype!r}")
    try:
        return exp.DataType.build(dtype, dialect=DIALECT)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        raise NotSupported(f"type {dtype}") from None
