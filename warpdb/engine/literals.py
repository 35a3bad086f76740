"""Literal values in device form, and casts between literal types done at planning time."""
from __future__ import annotations

import datetime
import decimal
import math

from ..errors import ExecutionError, TypeMismatch
from . import types as T
from .expr import Lit
from .types import DataType, Kind

EPOCH = datetime.date(1970, 1, 1)
EPOCH_TS = datetime.datetime(1970, 1, 1)
US_PER_DAY = 86_400_000_000


def number_literal(text: str) -> Lit:
    """DuckDB's typing of numeric literals: INTEGER, BIGINT, DECIMAL(p,s) or DOUBLE."""
    if any(c in text for c in "eE"):
        return Lit(float(text), T.FLOAT64)
    if "." in text:
        d = decimal.Decimal(text)
        digits = d.as_tuple()
        scale = max(-digits.exponent, 0)
        precision = max(len(digits.digits), scale + 1)
        if precision > T.MAX_DECIMAL64_DIGITS:
            return Lit(float(text), T.FLOAT64)
        return Lit(int(d.scaleb(scale)), T.decimal(precision, scale))
    v = int(text)
    for t in (T.INT32, T.INT64):
        lo, hi = T.INT_BOUNDS[t.kind]
        if lo <= v <= hi:
            return Lit(v, t)
    if abs(v) < 10**18:
        return Lit(v, T.decimal(18, 0))
    return Lit(float(v), T.FLOAT64)


def parse_date(text: str) -> int:
    try:
        return (datetime.date.fromisoformat(text.strip()) - EPOCH).days
    except ValueError:
        raise ExecutionError(f"invalid DATE literal '{text}'") from None


def parse_timestamp(text: str) -> int:
    try:
        ts = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ExecutionError(f"invalid TIMESTAMP literal '{text}'") from None
    return (ts - EPOCH_TS) // datetime.timedelta(microseconds=1)


def to_python(value, t: DataType):
    """A device-form literal as the Python value a user would see."""
    if value is None:
        return None
    if t.kind is Kind.DATE:
        return EPOCH + datetime.timedelta(days=int(value))
    if t.kind is Kind.TIMESTAMP:
        return EPOCH_TS + datetime.timedelta(microseconds=int(value))
    if t.kind is Kind.DECIMAL:
        return decimal.Decimal(int(value)).scaleb(-t.scale)
    return value


def _text(value, t: DataType) -> str:
    v = to_python(value, t)
    if t.kind is Kind.BOOL:
        return "true" if v else "false"
    if t.kind is Kind.TIMESTAMP:
        return v.isoformat(sep=" ")
    return str(v)


def convert_literal(lit: Lit, t: DataType) -> Lit:
    """Cast a literal to type `t` now; errors as a runtime cast would give them."""
    v, s = lit.value, lit.dtype
    if v is None or s == t:
        return Lit(v, t)
    k = t.kind
    if k is Kind.VARCHAR:
        return Lit(_text(v, s), t)
    if s.kind is Kind.VARCHAR:
        return _from_text(v, t)
    if k is Kind.BOOL:
        return Lit(bool(v), t)
    if T.is_float(t):
        x = float(to_python(v, s)) if s.kind is Kind.DECIMAL else float(v)
        return Lit(x, t)
    if T.is_integer(t):
        if s.kind is Kind.DECIMAL:
            x = int(decimal.Decimal(v).scaleb(-s.scale).to_integral_value(decimal.ROUND_HALF_UP))
        elif T.is_float(s):
            if math.isnan(v) or math.isinf(v):
                raise ExecutionError(f"cannot cast {v} to {t}")
            x = int(round(v))
        else:
            x = int(v)
        lo, hi = T.INT_BOUNDS[k]
        if not lo <= x <= hi:
            raise ExecutionError(f"value {x} is out of range for {t}")
        return Lit(x, t)
    if k is Kind.DECIMAL:
        if T.is_float(s):
            d = decimal.Decimal(repr(float(v)))
        elif s.kind is Kind.DECIMAL:
            d = decimal.Decimal(v).scaleb(-s.scale)
        else:
            d = decimal.Decimal(int(v))
        x = int(d.scaleb(t.scale).to_integral_value(decimal.ROUND_HALF_UP))
        if abs(x) >= 10**t.precision:
            raise ExecutionError(f"value {d} does not fit {t}")
        return Lit(x, t)
    if k is Kind.TIMESTAMP and s.kind is Kind.DATE:
        return Lit(int(v) * US_PER_DAY, t)
    if k is Kind.DATE and s.kind is Kind.TIMESTAMP:
        return Lit(int(v) // US_PER_DAY, t)
    raise TypeMismatch(f"cannot cast {s} to {t}")


def _from_text(text: str, t: DataType) -> Lit:
    k = t.kind
    try:
        if k is Kind.DATE:
            return Lit(parse_date(text), t)
        if k is Kind.TIMESTAMP:
            return Lit(parse_timestamp(text), t)
        if k is Kind.BOOL:
            low = text.strip().lower()
            if low not in ("true", "false", "t", "f", "1", "0"):
                raise ValueError(text)
            return Lit(low in ("true", "t", "1"), t)
        if T.is_integer(t):
            return convert_literal(Lit(int(text.strip()), T.INT64), t)
        if T.is_float(t):
            return Lit(float(text), t)
        if k is Kind.DECIMAL:
            d = decimal.Decimal(text.strip())
            return convert_literal(Lit(int(d.scaleb(-d.as_tuple().exponent)), T.decimal(38, -d.as_tuple().exponent)), t)
        if k is Kind.INTERVAL:
            return interval_literal(text, None)
    except (ValueError, decimal.InvalidOperation):
        pass
    raise ExecutionError(f"could not convert string '{text}' to {t}")


_UNITS = {
    "year": (12, 0, 0), "month": (1, 0, 0), "week": (0, 7, 0), "day": (0, 1, 0),
    "hour": (0, 0, 3_600_000_000), "minute": (0, 0, 60_000_000), "second": (0, 0, 1_000_000),
    "millisecond": (0, 0, 1000), "microsecond": (0, 0, 1),
}


def interval_literal(text: str, unit: str | None) -> Lit:
    """INTERVAL '3' DAY, INTERVAL 3 DAY, INTERVAL '1 year 2 months' -> (months, days, micros)."""
    parts = str(text).split()
    if unit is not None:
        parts = [parts[0] if parts else "", unit]
    if len(parts) % 2:
        raise ExecutionError(f"invalid INTERVAL '{text}'")
    months = days = micros = 0
    for i in range(0, len(parts), 2):
        u = parts[i + 1].lower().rstrip("s")
        if u not in _UNITS:
            raise ExecutionError(f"invalid INTERVAL unit '{parts[i + 1]}'")
        try:
            n = int(parts[i])
        except ValueError:
            raise ExecutionError(f"invalid INTERVAL '{text}'") from None
        m, d, us = _UNITS[u]
        months, days, micros = months + n * m, days + n * d, micros + n * us
    return Lit((months, days, micros), T.INTERVAL)
