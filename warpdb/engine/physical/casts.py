"""CAST between warpdb types on device columns, with DuckDB's rounding and range errors."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import ExecutionError, TypeMismatch
from .. import types as T
from ..column import Column, from_arrow, to_arrow
from ..types import DataType, Kind
from . import strings
from .datetime import US_PER_DAY


def check_range(xp, values, valid, t: DataType, what: str):
    """Raise when a valid integer value does not fit type `t`."""
    if t.kind not in T.INT_BOUNDS or values.shape[0] == 0:
        return
    lo, hi = T.INT_BOUNDS[t.kind]
    bad = (values < lo) | (values > hi)
    if valid is not None:
        bad &= valid
    if bool(bad.any()):
        raise ExecutionError(f"{what}: value out of range for {t}")


def _round_half_away(xp, x):
    return xp.where(x >= 0, xp.floor(x + 0.5), xp.ceil(x - 0.5))


def _scale_int(xp, data, valid, factor: int, what: str):
    """data * factor with an overflow check."""
    if factor == 1:
        return data
    limit = (2**63 - 1) // factor
    over = xp.abs(data) > limit
    if valid is not None:
        over &= valid
    if bool(over.any()):
        raise ExecutionError(f"{what}: DECIMAL overflow")
    return data * factor


def _div_round(xp, data, factor: int):
    """Integer division rounding half away from zero."""
    if factor == 1:
        return data
    q = xp.abs(data) // factor
    r = xp.abs(data) - q * factor
    q = q + (2 * r >= factor)
    return xp.where(data < 0, -q, q)


def cast(xp, col: Column, t: DataType, to_host) -> Column:
    s = col.dtype
    if s == t:
        return col
    data, valid = col.data, col.valid
    what = f"CAST({s} AS {t})"
    if s.kind is Kind.NULL:
        from ..column import constant

        return constant(xp, t, None, len(col))
    if t.kind is Kind.VARCHAR:
        return _to_varchar(xp, col, to_host)
    if s.kind is Kind.VARCHAR:
        return _from_varchar(xp, col, t, to_host)
    if t.kind is Kind.BOOL:
        if not T.is_numeric(s):
            raise TypeMismatch(f"cannot {what}")
        return Column(t, data != 0, valid)
    if T.is_float(t):
        if s.kind is Kind.DECIMAL:
            out = data.astype(np.float64) / (10.0**s.scale)
        else:
            out = data.astype(np.float64)
        return Column(t, out.astype(T.device_dtype(t)), valid)
    if T.is_integer(t):
        if s.kind is Kind.DECIMAL:
            out = _div_round(xp, data, 10**s.scale)
        elif T.is_float(s):
            bad = ~xp.isfinite(data) | (xp.abs(data) >= 9.2e18)
            if valid is not None:
                bad &= valid
            if bool(bad.any()):
                raise ExecutionError(f"{what}: value out of range")
            out = xp.rint(data).astype(np.int64)
        elif s.kind is Kind.BOOL or T.is_integer(s):
            out = data.astype(np.int64)
        else:
            raise TypeMismatch(f"cannot {what}")
        check_range(xp, out, valid, t, what)
        return Column(t, out.astype(T.device_dtype(t)), valid)
    if t.kind is Kind.DECIMAL:
        if s.kind is Kind.DECIMAL:
            if t.scale >= s.scale:
                out = _scale_int(xp, data, valid, 10 ** (t.scale - s.scale), what)
            else:
                out = _div_round(xp, data, 10 ** (s.scale - t.scale))
        elif T.is_integer(s) or s.kind is Kind.BOOL:
            out = _scale_int(xp, data.astype(np.int64), valid, 10**t.scale, what)
        elif T.is_float(s):
            scaled = data.astype(np.float64) * (10.0**t.scale)
            bad = ~xp.isfinite(scaled) | (xp.abs(scaled) >= 10.0**t.precision)
            if valid is not None:
                bad &= valid
            if bool(bad.any()):
                raise ExecutionError(f"{what}: value out of range")
            out = _round_half_away(xp, scaled).astype(np.int64)
        else:
            raise TypeMismatch(f"cannot {what}")
        if t.precision <= T.MAX_DECIMAL64_DIGITS:
            bound = 10**t.precision
            over = (out >= bound) | (out <= -bound)
            if valid is not None:
                over &= valid
            if bool(over.any()):
                raise ExecutionError(f"{what}: value does not fit")
        return Column(t, out, valid)
    if t.kind is Kind.TIMESTAMP and s.kind is Kind.DATE:
        return Column(t, data.astype(np.int64) * US_PER_DAY, valid)
    if t.kind is Kind.DATE and s.kind is Kind.TIMESTAMP:
        return Column(t, xp.floor_divide(data, US_PER_DAY).astype(np.int32), valid)
    raise TypeMismatch(f"cannot {what}")


def _to_varchar(xp, col: Column, to_host) -> Column:
    s = col.dtype
    arr = to_arrow(xp, col, to_host)
    if s.kind is Kind.BOOL:
        text = pc.if_else(arr, "true", "false")
    elif s.kind is Kind.TIMESTAMP:
        text = pc.strftime(arr, format="%Y-%m-%d %H:%M:%S")
    else:
        text = arr.cast(pa.string())
    return from_arrow(xp, text, T.VARCHAR)


def _used_entries(xp, col: Column, to_host) -> pa.Array:
    """The dictionary with entries no valid row uses set to NULL, so a cast only sees live values."""
    used = xp.zeros(len(col.dictionary) + 1, dtype=bool)
    codes = col.data if col.valid is None else xp.where(col.valid, col.data, len(col.dictionary))
    used[codes] = True
    return pc.if_else(pa.array(to_host(used[:-1])), col.dictionary, pa.scalar(None, pa.string()))


def _from_varchar(xp, col: Column, t: DataType, to_host) -> Column:
    """VARCHAR to another type, converting each distinct live value once."""
    d = pc.utf8_trim_whitespace(_used_entries(xp, col, to_host))
    try:
        if t.kind is Kind.BOOL:
            low = pc.utf8_lower(d)
            ok = pc.or_kleene(pc.is_in(low, pa.array(["true", "false", "t", "f", "1", "0"])), pc.is_null(low))
            if len(d) and not pc.all(ok).as_py():
                raise ValueError
            per = pc.is_in(low, pa.array(["true", "t", "1"]))
        elif t.kind is Kind.DECIMAL:
            per = d.cast(pa.decimal128(38, t.scale))
            if t.precision <= T.MAX_DECIMAL64_DIGITS and pc.any(pc.greater_equal(pc.abs(per), 10 ** (t.precision - t.scale))).as_py():
                raise ValueError
            col2 = from_arrow(xp, per, t)
            return Column(t, col2.data[col.data] if len(d) else xp.zeros(len(col), np.int64), col.valid)
        elif t.kind is Kind.DATE:
            per = d.cast(pa.date32()).cast(pa.int32())
        elif t.kind is Kind.TIMESTAMP:
            per = d.cast(pa.timestamp("us")).cast(pa.int64())
        else:
            per = d.cast(T.to_arrow(t))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        raise ExecutionError(f"could not convert a VARCHAR value to {t}") from None
    return strings.gather(xp, col, per, t)
