"""SQL type names (sqlglot DataType nodes) -> warpdb types."""
from __future__ import annotations

from sqlglot import exp

from ..engine import types as T

_D = exp.DataType.Type
_SIMPLE = {
    _D.BOOLEAN: T.BOOL, _D.TINYINT: T.INT8, _D.SMALLINT: T.INT16, _D.INT: T.INT32, _D.BIGINT: T.INT64,
    _D.FLOAT: T.FLOAT32, _D.DOUBLE: T.FLOAT64, _D.VARCHAR: T.VARCHAR, _D.TEXT: T.VARCHAR, _D.CHAR: T.VARCHAR,
    _D.DATE: T.DATE, _D.TIMESTAMP: T.TIMESTAMP, _D.DATETIME: T.TIMESTAMP, _D.TIMESTAMPNTZ: T.TIMESTAMP, _D.UTINYINT: T.INT16,
    _D.USMALLINT: T.INT32, _D.UINT: T.INT64,
}


def sql_type(node: exp.DataType, owner, at) -> T.DataType:
    """The warpdb type a CAST target or column definition names; NotSupported for others."""
    t = node.this
    if t in _SIMPLE:
        return _SIMPLE[t]
    if t == _D.DECIMAL:
        params = [int(p.this.this) for p in node.expressions]
        precision, scale = (params + [18, 3])[:2] if params else (18, 3)
        if len(params) == 1:
            scale = 0
        if not 1 <= precision <= 38 or not 0 <= scale <= precision:
            return owner.unsupported(f"DECIMAL({precision},{scale})", at, T.NULL)
        return T.decimal(precision, scale)
    return owner.unsupported(f"type {node.sql()}", at, T.NULL)
