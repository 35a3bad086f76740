"""Stable multi-key sort and top-k.

A sort key is ``(values, valid, descending, nulls_first)``; the first key is the most
significant.  Floats order as in DuckDB (NaN above every number, -0.0 == 0.0) and NULLs go
first or last regardless of direction.  Ties keep input order.
"""
from __future__ import annotations

from warpdb.kernels.backend import stable_argsort
from warpdb.kernels.compact import true_rows
from warpdb.kernels.keys import INT64_MAX, INT64_MIN, normalize_valid, ordered_int64

_PACK_LIMIT = 2**63 - 1  # largest packed cardinality of adjacent keys (fits int64)


def _range(xp, k):
    return int(k.min()), int(k.max())


def _columns(xp, keys, n):
    """int64 columns, most significant first, whose lexicographic order is the sort order.

    Each key becomes one column (NULLs folded in just outside the value range) or, when the
    values reach an int64 extreme, a 0/1 null-rank column followed by the values.  Adjacent
    columns with a small joint range are then packed into one by mixed radix.
    """
    cols = []  # (array, lo, hi)
    for values, valid, descending, nulls_first in keys:
        k = ordered_int64(xp, values)
        if descending:
            k = ~k
        valid, nvalid = normalize_valid(xp, valid, n)
        if nvalid == 0:
            continue  # all NULL: a constant key orders nothing
        if valid is None:
            cols.append((k,) + _range(xp, k))
            continue
        lo, hi = _range(xp, k[valid])
        if nulls_first and lo > INT64_MIN:
            cols.append((xp.where(valid, k, lo - 1), lo - 1, hi))
        elif not nulls_first and hi < INT64_MAX:
            cols.append((xp.where(valid, k, hi + 1), lo, hi + 1))
        else:
            cols.append(((valid if nulls_first else ~valid).astype(xp.int64), 0, 1))
            cols.append((xp.where(valid, k, lo), lo, hi))
    packed = []
    acc, card = None, 0
    for k, lo, hi in cols:
        span = hi - lo + 1
        if acc is not None and card * span <= _PACK_LIMIT:
            acc, card = acc * span + (k - lo), card * span
            continue
        if acc is not None:
            packed.append(acc)
        acc, card = (k - lo, span) if span <= _PACK_LIMIT else (k, _PACK_LIMIT + 1)
    if acc is not None:
        packed.append(acc)
    return packed


def _lexsort(xp, cols, n):
    """Stable lexicographic argsort by ``cols`` (most significant first)."""
    if not cols:
        return xp.arange(n, dtype=xp.int64)
    perm = stable_argsort(xp, cols[-1])
    for col in reversed(cols[:-1]):
        perm = perm[stable_argsort(xp, col[perm])]
    return perm


def sort_indices(xp, keys):
    """int64 permutation that stably sorts the rows by ``keys``."""
    if not keys:
        raise ValueError("sort_indices needs at least one key")
    n = keys[0][0].shape[0]
    if n == 0:
        return xp.zeros(0, dtype=xp.int64)
    return _lexsort(xp, _columns(xp, keys, n), n)


def top_k_indices(xp, keys, k):
    """``sort_indices(xp, keys)[:k]``, found by partitioning on the first column when k is small.

    Rows whose first column is at most the k-th smallest value are the only candidates;
    sorting just them, in input order, keeps ties exactly as the full stable sort does.
    """
    if not keys:
        raise ValueError("top_k_indices needs at least one key")
    n = keys[0][0].shape[0]
    k = max(0, min(int(k), n))
    if k == 0:
        return xp.zeros(0, dtype=xp.int64)
    cols = _columns(xp, keys, n)
    if not cols or 4 * k > n:
        return _lexsort(xp, cols, n)[:k]
    first = cols[0]
    threshold = xp.partition(first, k - 1)[k - 1]
    cand = true_rows(xp, first <= threshold)
    sub = _lexsort(xp, [c[cand] for c in cols], cand.shape[0])
    return cand[sub[:k]]
