"""Grouped reductions over dense group ids; every aggregate ignores NULLs.

Every aggregate scatters by group id (no sort): exact integer sums add 32-bit halves in
wrapping 64-bit arithmetic, float sums use bincount weights, min/max use scatter min/max.  Group-wise
results are arrays of length ``n_groups``; ``has_value`` marks groups with a non-NULL input
(an all-NULL or empty group yields SQL NULL for sum, min, max, ...).
"""
from __future__ import annotations

import numpy as np

from warpdb.kernels.backend import bincount, host_ints, scatter_add, scatter_max, scatter_min
from warpdb.kernels.privatized import MAX_SLOTS
from warpdb.kernels.keys import INT64_MAX, INT64_MIN, from_ordered_int64, group_ids, ordered_int64

_LOW32 = 0xFFFFFFFF


class GroupLayout:
    """Rows tagged with a dense group id (int64 in [0, n_groups)) and each group's row count."""

    def __init__(self, xp, gid, n_groups):
        self.xp = xp
        self.gid = gid
        self.n = gid.shape[0]
        self.n_groups = int(n_groups)
        self.counts = _bincount(xp, gid, self.n_groups)


def _bincount(xp, gid, n_groups):
    return bincount(xp, gid, n_groups)


def _seg_sum_int(layout, a, dtype):
    """Per-group sums of integers in ``dtype`` by scatter-add (wrapping, so exact whenever each
    true sum fits ``dtype``)."""
    xp = layout.xp
    if layout.n_groups == 1:
        return a.sum(dtype=dtype).reshape(1) if layout.n else xp.zeros(1, dtype=dtype)
    out = xp.zeros(layout.n_groups, dtype=xp.uint64)
    scatter_add(xp, out, layout.gid, a.astype(dtype, copy=False).view(xp.uint64) if np.dtype(dtype).itemsize == 8
                 else a.astype(xp.uint64))
    return out.view(xp.int64).astype(dtype, copy=False) if np.dtype(dtype).kind == "i" else out.astype(dtype, copy=False)


def _group_sum_float(layout, a):
    """Per-group float64 sums of ``a`` (input order); 0.0 for empty groups."""
    xp = layout.xp
    if layout.n == 0:
        return xp.zeros(layout.n_groups, dtype=xp.float64)
    if xp is not np and layout.n_groups <= MAX_SLOTS:
        out = xp.zeros(layout.n_groups, dtype=xp.float64)
        scatter_add(xp, out, layout.gid, a)
        return out
    with np.errstate(all="ignore"):
        return xp.bincount(layout.gid, weights=a, minlength=layout.n_groups)


def _masked(xp, values, valid, fill):
    return values if valid is None else xp.where(valid, values, values.dtype.type(fill))


def count_rows(layout):
    """count(*) per group (int64)."""
    return layout.counts


def count_valid(layout, valid):
    """count(x) per group: the non-NULL rows (int64)."""
    if valid is None:
        return layout.counts
    return _seg_sum_int(layout, valid, layout.xp.int64)


def sum_int_exact(layout, values, valid):
    """Exact per-group sums of integers (int64 or narrower, signed): ``(hi, lo, has_value)``.

    The sum is ``hi * 2**32 + lo`` with ``lo`` in [0, 2**32); both are int64.  Values are
    split into 32-bit halves so no intermediate overflows (groups below 2**32 rows).
    """
    xp = layout.xp
    if values.dtype.kind == "u" and values.dtype.itemsize == 8:
        raise TypeError("sum_int_exact does not take uint64")
    v = _masked(xp, values.astype(xp.int64, copy=False), valid, 0)
    if v.shape[0] and max(abs(b) for b in host_ints(xp, v.min(), v.max())) * v.shape[0] < 2**63:
        s = _seg_sum_int(layout, v, xp.int64)
        return s >> 32, s & _LOW32, count_valid(layout, valid) > 0
    if values.dtype.itemsize <= 4:
        s = _seg_sum_int(layout, v, xp.int64)
        return s >> 32, s & _LOW32, count_valid(layout, valid) > 0
    lo = _seg_sum_int(layout, (v & _LOW32).astype(xp.uint64), xp.uint64)
    hi = _seg_sum_int(layout, v >> 32, xp.int64)
    return (*split_sums_to_hi_lo(xp, hi, lo), count_valid(layout, valid) > 0)


def split_sums_to_hi_lo(xp, hi_sum, lo_sum):
    """``(hi, lo)`` as ``sum_int_exact`` gives them, from sums of the values' high halves (``v >> 32``)
    and of their low halves (``v & 0xFFFFFFFF``, int64 or uint64): value = hi * 2**32 + lo."""
    shift = lo_sum.dtype.type(32)
    low = lo_sum.dtype.type(_LOW32)
    return hi_sum + (lo_sum >> shift).astype(xp.int64), (lo_sum & low).astype(xp.int64)


def combine_hi_lo_to_int64(xp, hi, lo):
    """``hi * 2**32 + lo`` as int64, and a bool mask of the sums that do not fit int64."""
    overflow = (hi < -(2**31)) | (hi >= 2**31)
    value = ((hi.astype(xp.uint64) << 32) | lo.astype(xp.uint64)).view(xp.int64)
    return value, overflow


def hi_lo_to_decimal128_arrow(hi, lo, valid, precision, scale):
    """A ``pa.decimal128(precision, scale)`` array of the unscaled integers ``hi * 2**32 + lo``.

    ``hi``/``lo`` are host (numpy) arrays; ``valid`` (bool or None) marks non-NULL entries.
    The caller picks a precision that holds the values (38 always does).
    """
    import pyarrow as pa  # only this host-side builder needs Arrow

    hi = np.asarray(hi, dtype=np.int64)
    lo = np.asarray(lo, dtype=np.int64)
    n = hi.shape[0]
    words = np.empty((n, 2), dtype="<u8")
    words[:, 0] = (hi.astype(np.uint64) << np.uint64(32)) | lo.astype(np.uint64)
    words[:, 1] = (hi >> 32).astype(np.uint64)
    validity = None
    if valid is not None:
        validity = pa.py_buffer(np.packbits(np.asarray(valid, dtype=bool), bitorder="little"))
    return pa.Array.from_buffers(pa.decimal128(precision, scale), n, [validity, pa.py_buffer(words)])


def sum_float(layout, values, valid):
    """Per-group float64 sums: ``(sums, has_value)``."""
    xp = layout.xp
    v = _masked(xp, values.astype(xp.float64, copy=False), valid, 0.0)
    return _group_sum_float(layout, v), count_valid(layout, valid) > 0


def min_max(layout, values, valid, is_max):
    """Per-group min or max of ints, floats, bools or codes: ``(values, has_value)``.

    Values go through ``keys.ordered_int64``, so NaN is the largest float: a max over a NaN
    is NaN and a min skips NaN unless all values are NaN.
    """
    xp = layout.xp
    fill = INT64_MIN if is_max else INT64_MAX
    k = _masked(xp, ordered_int64(xp, values), valid, fill)
    out = xp.full(layout.n_groups, fill, dtype=xp.int64)
    if layout.n_groups == 1 and layout.n:
        out[:] = k.max() if is_max else k.min()
    elif layout.n:
        (scatter_max if is_max else scatter_min)(xp, out, layout.gid, k)
    return from_ordered_int64(xp, out, values.dtype), count_valid(layout, valid) > 0


def moments(layout, values, valid):
    """Per-group ``(count, mean, m2)`` of non-NULL values, m2 = sum of squared deviations.

    Two passes (means, then deviations) keep the variance numerically stable:
    var_samp = m2 / (count - 1), var_pop = m2 / count.
    """
    xp = layout.xp
    count = count_valid(layout, valid)
    x = _masked(xp, values.astype(xp.float64, copy=False), valid, 0.0)
    with np.errstate(all="ignore"):
        mean = _group_sum_float(layout, x) / xp.maximum(count, 1)
        d = _masked(xp, x - mean[layout.gid], valid, 0.0)
        m2 = _group_sum_float(layout, d * d)
    return count, mean, m2


def bool_and_or(layout, values, valid, is_and):
    """Per-group bool_and (every value true) or bool_or (some value true): ``(out, has_value)``."""
    xp = layout.xp
    hits = ~values if is_and else values
    if valid is not None:
        hits = hits & valid
    c = _seg_sum_int(layout, hits, xp.int64)
    return (c == 0) if is_and else (c > 0), count_valid(layout, valid) > 0


def count_distinct(xp, gid, n_groups, values, valid):
    """Per-group number of distinct non-NULL values (int64[n_groups])."""
    if valid is not None:
        gid, values = gid[valid], values[valid]
    _, _, first = group_ids(xp, [(gid, None), (values, None)])
    owners = xp.sort(gid[first])
    g = xp.arange(int(n_groups), dtype=xp.int64)
    return (xp.searchsorted(owners, g, side="right") - xp.searchsorted(owners, g, side="left")).astype(
        xp.int64, copy=False)
