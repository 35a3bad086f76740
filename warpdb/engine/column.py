"""Device columns: values plus validity, strings as codes into a host dictionary; Arrow in and out."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ExecutionError
from ..kernels import gather as G
from . import types as T
from .types import DataType, Kind


@dataclass(slots=True)
class Column:
    """One column on the backend: `data` (device array), `valid` (bool array or None = no nulls).

    VARCHAR columns hold int32 codes into `dictionary`, a host Arrow string array of distinct values;
    when `dict_sorted` the code order is the string order. A DECIMAL column too wide for int64 (a
    SUM past 18 digits) holds `wide`, its exact values as (hi, lo) int64 halves: value = hi * 2**32 + lo.
    """

    dtype: DataType
    data: Any
    valid: Any = None
    dictionary: pa.Array | None = None
    dict_sorted: bool = False
    wide: tuple | None = None

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def take(self, xp, idx, has_neg: bool | None = None) -> "Column":
        """Rows at `idx` (int64 device array); index -1 gives NULL. `has_neg` False promises no -1
        (saving a device round trip); otherwise it is checked."""
        n = len(self)
        if has_neg is not False:
            has_neg = bool((idx < 0).any()) if idx.shape[0] else False
        if n == 0:
            data = xp.zeros(idx.shape[0], dtype=self.data.dtype)
            valid = xp.zeros(idx.shape[0], dtype=bool) if idx.shape[0] else None
            wide = None if self.wide is None else (data, data)
            return Column(self.dtype, data, valid, self.dictionary, self.dict_sorted, wide)
        if has_neg:
            data = G.take_or(xp, self.data, idx, 0)
            valid = idx >= 0 if self.valid is None else G.take_or(xp, self.valid, idx, False)
            wide = None if self.wide is None else tuple(G.take_or(xp, a, idx, 0) for a in self.wide)
        else:
            data = G.take(xp, self.data, idx)
            valid = None if self.valid is None else G.take(xp, self.valid, idx)
            wide = None if self.wide is None else tuple(G.take(xp, a, idx) for a in self.wide)
        return Column(self.dtype, data, valid, self.dictionary, self.dict_sorted, wide)

    def valid_mask(self, xp):
        return self.valid if self.valid is not None else xp.ones(len(self), dtype=bool)


def constant(xp, dtype: DataType, value, n: int) -> Column:
    """A column of `n` copies of a literal already in device form (None = NULL)."""
    if dtype.kind is Kind.VARCHAR:
        if value is None:
            return Column(dtype, xp.zeros(n, np.int32), xp.zeros(n, bool), pa.array([], pa.string()), True)
        return Column(dtype, xp.zeros(n, np.int32), None, pa.array([value], pa.string()), True)
    dt = T.device_dtype(dtype)
    if value is None:
        return Column(dtype, xp.zeros(n, dt), xp.zeros(n, bool))
    return Column(dtype, xp.full(n, value, dtype=dt), None)


def encode_strings(xp, arr: pa.Array) -> Column:
    """Dictionary-encode an Arrow string array (any string flavour) into codes + distinct values."""
    codes, valid, dictionary = _encode_host(arr)
    return Column(T.VARCHAR, xp.asarray(codes), None if valid is None else xp.asarray(valid), dictionary, False)


def _encode_host(arr) -> tuple[np.ndarray, np.ndarray | None, pa.Array]:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.large_string()) if pa.types.is_large_string(arr.type) else arr.cast(pa.string())
    enc = pc.dictionary_encode(arr)
    valid = validity(arr)
    return index_codes(enc.indices, valid), valid, enc.dictionary.cast(pa.string())


def validity(arr: pa.Array) -> np.ndarray | None:
    """An Arrow array's validity as bools from its bitmap, None when it has no NULLs."""
    n = len(arr)
    if arr.null_count == 0:
        return None
    bitmap = arr.buffers()[0]
    if bitmap is None:
        return np.zeros(n, bool)
    bits = np.unpackbits(np.frombuffer(bitmap, np.uint8), count=arr.offset + n, bitorder="little")
    return bits[arr.offset :].view(bool)


def index_codes(indices: pa.Array, valid) -> np.ndarray:
    """int32 codes of a dictionary's integer indices, 0 under NULLs (`valid`)."""
    kind = "i" if pa.types.is_signed_integer(indices.type) else "u"
    codes = values_view(indices, np.dtype(f"{kind}{indices.type.bit_width // 8}")).astype(np.int32, copy=False)
    return codes if valid is None else np.where(valid, codes, np.int32(0))


def from_arrow(xp, arr, dtype: DataType) -> Column:
    """Bring an Arrow array (or chunked array) onto the backend as a Column of `dtype`."""
    data, valid, dictionary = host_parts(arr, dtype)
    data = np.ascontiguousarray(data)
    return Column(dtype, xp.asarray(data), None if valid is None else xp.asarray(valid), dictionary, False)


def host_parts(arr, dtype: DataType, fits: bool = False) -> tuple[np.ndarray, np.ndarray | None, pa.Array | None]:
    """An Arrow array (or chunked array) in the device form of `dtype`, still on the host: (values,
    validity or None when there are no NULLs, the dictionary of a VARCHAR's codes). Values are 0
    under NULLs and may be a strided view of Arrow's buffers. `fits` promises that DECIMAL values
    fit 18 digits (a Parquet INT32/INT64 decimal), which skips the check."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    if dtype.kind is Kind.VARCHAR:
        return _encode_host(arr)
    if dtype.kind is not Kind.DECIMAL and raw_width(arr.type, dtype):
        data, valid = values_view(arr, T.device_dtype(dtype)), validity(arr)
        return (data if valid is None else np.where(valid, data, data.dtype.type(0))), valid, None
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    valid = validity(arr)
    if dtype.kind is Kind.DECIMAL:
        data = _decimal_to_int64(arr, valid, fits)
    elif dtype.kind is Kind.NULL:
        data = np.zeros(len(arr), np.int8)
        valid = np.zeros(len(arr), bool)
    elif dtype.kind is Kind.TIMESTAMP:
        data = arr.cast(pa.timestamp("us")).cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    elif dtype.kind is Kind.DATE:
        data = arr.cast(pa.date32()).cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
    else:
        target = T.to_arrow(dtype)
        a = arr if arr.type == target else arr.cast(target)
        data = a.fill_null(False if dtype.kind is Kind.BOOL else 0).to_numpy(zero_copy_only=False)
    return data.astype(T.device_dtype(dtype), copy=False), valid, None


def raw_width(arrow: pa.DataType, dtype: DataType) -> int | None:
    """Bytes per value when an Arrow array of type `arrow` holds `dtype`'s device form in its values
    buffer as it is (for a decimal128 of at most 18 digits, in the low 8 of each 16 bytes); else None."""
    if dtype.kind is Kind.DECIMAL:
        ok = pa.types.is_decimal128(arrow) and arrow.scale == dtype.scale and dtype.precision <= T.MAX_DECIMAL64_DIGITS
        return 16 if ok else None
    if dtype.kind in (Kind.BOOL, Kind.VARCHAR, Kind.NULL, Kind.INTERVAL) or arrow != T.to_arrow(dtype):
        return None
    return T.device_dtype(dtype).itemsize


def values_view(arr: pa.Array, dt) -> np.ndarray:
    """The values buffer of a fixed-width Arrow array as a NumPy view of dtype `dt`."""
    if len(arr) == 0:
        return np.zeros(0, dt)
    return np.frombuffer(arr.buffers()[1], dtype=dt, count=len(arr) + arr.offset)[arr.offset :]


def _decimal_to_int64(arr: pa.Array, valid, fits: bool) -> np.ndarray:
    """Scaled int64 values of a decimal array: the low words of its 16-byte little-endian values (a
    strided view), 0 under NULLs; ExecutionError when a value needs more than 64 bits."""
    n = len(arr)
    if n == 0:
        return np.zeros(0, np.int64)
    if not pa.types.is_decimal128(arr.type):
        arr = arr.cast(pa.decimal128(arr.type.precision, arr.type.scale))
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=2 * (n + arr.offset))[2 * arr.offset :]
    lo = words[0::2]
    if not fits:
        ok = words[1::2] == (lo >> 63)
        if valid is not None:
            ok |= ~valid
        if not ok.all():
            raise ExecutionError("DECIMAL value does not fit in 18 digits")
    return lo if valid is None else np.where(valid, lo, 0)


def to_arrow(xp, col: Column, to_host) -> pa.Array:
    """The Arrow array of a Column (copied to the host)."""
    valid = None if col.valid is None else to_host(col.valid)
    mask = None if valid is None else ~valid
    t = col.dtype
    if col.wide is not None:
        from ..kernels.reduce import hi_lo_to_decimal128_arrow

        hi, lo = (to_host(a) for a in col.wide)
        return hi_lo_to_decimal128_arrow(hi, lo, valid, t.precision, t.scale)
    data = to_host(col.data)
    if t.kind is Kind.VARCHAR:
        codes = pa.array(data.astype(np.int32, copy=False), mask=mask)
        if len(col.dictionary) == 0:
            return pa.nulls(len(data), pa.string())
        return col.dictionary.take(codes)
    if t.kind is Kind.NULL:
        return pa.nulls(len(data))
    if t.kind is Kind.DECIMAL:
        return _int64_to_decimal(data, mask, t)
    if t.kind is Kind.DATE:
        return pa.array(data.astype(np.int32, copy=False), mask=mask).cast(pa.date32())
    if t.kind is Kind.TIMESTAMP:
        return pa.array(data.astype(np.int64, copy=False), mask=mask).cast(pa.timestamp("us"))
    return pa.array(data, type=T.to_arrow(t), mask=mask)


def _int64_to_decimal(data: np.ndarray, mask, t: DataType) -> pa.Array:
    n = len(data)
    words = np.empty(2 * n, np.int64)
    words[0::2] = data
    words[1::2] = data >> 63
    validity = None if mask is None else pa.array(~mask).buffers()[1]
    return pa.Array.from_buffers(pa.decimal128(t.precision, t.scale), n, [validity, pa.py_buffer(words)])
