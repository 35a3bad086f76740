"""Logical types, their Arrow twins and their device representation; DuckDB's type rules."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import pyarrow as pa

from ..errors import NotSupported, TypeMismatch


class Kind(Enum):
    NULL = "NULL"
    BOOL = "BOOLEAN"
    INT8 = "TINYINT"
    INT16 = "SMALLINT"
    INT32 = "INTEGER"
    INT64 = "BIGINT"
    FLOAT32 = "FLOAT"
    FLOAT64 = "DOUBLE"
    DECIMAL = "DECIMAL"
    VARCHAR = "VARCHAR"
    DATE = "DATE"
    TIMESTAMP = "TIMESTAMP"
    INTERVAL = "INTERVAL"


@dataclass(frozen=True, slots=True)
class DataType:
    """A SQL type. DECIMAL carries precision and scale; everything else ignores them."""

    kind: Kind
    precision: int = 0
    scale: int = 0

    def __str__(self) -> str:
        if self.kind is Kind.DECIMAL:
            return f"DECIMAL({self.precision},{self.scale})"
        return self.kind.value


NULL = DataType(Kind.NULL)
BOOL = DataType(Kind.BOOL)
INT8, INT16, INT32, INT64 = (DataType(k) for k in (Kind.INT8, Kind.INT16, Kind.INT32, Kind.INT64))
FLOAT32, FLOAT64 = DataType(Kind.FLOAT32), DataType(Kind.FLOAT64)
VARCHAR, DATE, TIMESTAMP, INTERVAL = (DataType(k) for k in (Kind.VARCHAR, Kind.DATE, Kind.TIMESTAMP, Kind.INTERVAL))


def decimal(precision: int, scale: int) -> DataType:
    return DataType(Kind.DECIMAL, min(precision, 38), scale)


INTEGER_KINDS = (Kind.INT8, Kind.INT16, Kind.INT32, Kind.INT64)
FLOAT_KINDS = (Kind.FLOAT32, Kind.FLOAT64)
_INT_RANK = {k: i for i, k in enumerate(INTEGER_KINDS)}
_INT_DIGITS = {Kind.INT8: 3, Kind.INT16: 5, Kind.INT32: 10, Kind.INT64: 19}
INT_BOUNDS = {
    Kind.INT8: (-(2**7), 2**7 - 1),
    Kind.INT16: (-(2**15), 2**15 - 1),
    Kind.INT32: (-(2**31), 2**31 - 1),
    Kind.INT64: (-(2**63), 2**63 - 1),
}
MAX_DECIMAL64_DIGITS = 18


def is_integer(t: DataType) -> bool:
    return t.kind in INTEGER_KINDS


def is_float(t: DataType) -> bool:
    return t.kind in FLOAT_KINDS


def is_numeric(t: DataType) -> bool:
    return t.kind in INTEGER_KINDS or t.kind in FLOAT_KINDS or t.kind is Kind.DECIMAL or t.kind is Kind.NULL


def is_temporal(t: DataType) -> bool:
    return t.kind in (Kind.DATE, Kind.TIMESTAMP)


_DEVICE_DTYPES = {
    Kind.NULL: np.dtype(np.int8),
    Kind.BOOL: np.dtype(np.bool_),
    Kind.INT8: np.dtype(np.int8),
    Kind.INT16: np.dtype(np.int16),
    Kind.INT32: np.dtype(np.int32),
    Kind.INT64: np.dtype(np.int64),
    Kind.FLOAT32: np.dtype(np.float32),
    Kind.FLOAT64: np.dtype(np.float64),
    Kind.DECIMAL: np.dtype(np.int64),
    Kind.VARCHAR: np.dtype(np.int32),
    Kind.DATE: np.dtype(np.int32),
    Kind.TIMESTAMP: np.dtype(np.int64),
    Kind.INTERVAL: np.dtype(np.int64),
}


def device_dtype(t: DataType) -> np.dtype:
    """The NumPy/CuPy dtype a column of this type is held in on the device."""
    return _DEVICE_DTYPES[t.kind]


def from_arrow(t: pa.DataType, what: str = "column") -> DataType:
    """The warpdb type of an Arrow type; NotSupported for types warpdb cannot hold."""
    if pa.types.is_dictionary(t):
        return from_arrow(t.value_type, what)
    table = [
        (pa.types.is_boolean, BOOL),
        (pa.types.is_int8, INT8),
        (pa.types.is_int16, INT16),
        (pa.types.is_int32, INT32),
        (pa.types.is_int64, INT64),
        (pa.types.is_uint8, INT16),
        (pa.types.is_uint16, INT32),
        (pa.types.is_uint32, INT64),
        (pa.types.is_float32, FLOAT32),
        (pa.types.is_float64, FLOAT64),
        (pa.types.is_date32, DATE),
        (pa.types.is_null, NULL),
    ]
    for test, lt in table:
        if test(t):
            return lt
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return VARCHAR
    if pa.types.is_decimal(t):
        return decimal(t.precision, t.scale)
    if pa.types.is_timestamp(t) and t.tz is None:
        return TIMESTAMP
    if pa.types.is_date64(t):
        return DATE
    raise NotSupported(f"{what}: Arrow type {t}")


_ARROW_TYPES = {
    Kind.NULL: pa.null(),
    Kind.BOOL: pa.bool_(),
    Kind.INT8: pa.int8(),
    Kind.INT16: pa.int16(),
    Kind.INT32: pa.int32(),
    Kind.INT64: pa.int64(),
    Kind.FLOAT32: pa.float32(),
    Kind.FLOAT64: pa.float64(),
    Kind.VARCHAR: pa.string(),
    Kind.DATE: pa.date32(),
    Kind.TIMESTAMP: pa.timestamp("us"),
    Kind.INTERVAL: pa.month_day_nano_interval(),
}


def to_arrow(t: DataType) -> pa.DataType:
    """The Arrow type results of this type leave warpdb as."""
    return _ARROW_TYPES.get(t.kind) or pa.decimal128(t.precision, t.scale)


def as_decimal(t: DataType) -> DataType:
    """An integer or decimal type seen as a decimal (DuckDB: INTEGER -> DECIMAL(10,0))."""
    if t.kind is Kind.DECIMAL:
        return t
    if is_integer(t):
        return decimal(_INT_DIGITS[t.kind], 0)
    raise TypeMismatch(f"{t} is not a decimal")


def wider_int(a: DataType, b: DataType) -> DataType:
    return a if _INT_RANK[a.kind] >= _INT_RANK[b.kind] else b


def numeric_supertype(a: DataType, b: DataType) -> DataType:
    """The type two numeric operands are compared or combined in."""
    if a.kind is Kind.NULL:
        return b
    if b.kind is Kind.NULL:
        return a
    if is_float(a) or is_float(b):
        return FLOAT64 if FLOAT64 in (a, b) or a.kind is Kind.DECIMAL or b.kind is Kind.DECIMAL else FLOAT32
    if a.kind is Kind.DECIMAL or b.kind is Kind.DECIMAL:
        da, db = as_decimal(a), as_decimal(b)
        scale = max(da.scale, db.scale)
        whole = max(da.precision - da.scale, db.precision - db.scale)
        return decimal(whole + scale, scale)
    return wider_int(a, b)


def comparison_type(a: DataType, b: DataType) -> DataType:
    """The common type two operands are compared in; TypeMismatch when there is none."""
    if a == b:
        return a
    if a.kind is Kind.NULL:
        return b
    if b.kind is Kind.NULL:
        return a
    if is_numeric(a) and is_numeric(b):
        return numeric_supertype(a, b)
    if is_temporal(a) and is_temporal(b):
        return TIMESTAMP
    if a.kind is b.kind:
        return a
    raise TypeMismatch(f"cannot compare {a} with {b}")
