"""Key factorization: dense group ids and comparable join ids over multi-column keys.

A key column is ``(values, valid)``; ``valid`` is a bool array or None (no nulls) and
values at invalid positions are ignored.  Equality follows SQL grouping: NULL groups with
NULL, NaN with NaN, and -0.0 with 0.0.
"""
from __future__ import annotations

import numpy as np

from warpdb.kernels.backend import host_ints, scatter_min, stable_argsort

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_RADIX_LIMIT = 2**62  # largest combined cardinality packed into one int64 code
_TABLE_LIMIT = 2**31 - 1  # largest direct-index table (int32 ranks)


def ordered_int64(xp, values):
    """int64 codes whose signed order is the SQL order of ``values``.

    Floats map through their IEEE bits so that -0.0 == 0.0 and every NaN becomes one code
    greater than +inf; bools and integers widen; uint64 is shifted by 2**63.
    """
    kind = values.dtype.kind
    if kind == "f":
        x = values.astype(xp.float64, copy=False) + 0.0  # a fresh array; -0.0 + 0.0 == +0.0
        x[xp.isnan(x)] = np.nan
        bits = x.view(xp.int64)
        return xp.where(bits < 0, bits ^ INT64_MAX, bits)
    if kind == "u" and values.dtype.itemsize == 8:
        return (values ^ np.uint64(2**63)).view(xp.int64)
    if kind in "biu":
        return values.astype(xp.int64, copy=False)
    raise TypeError(f"unsupported key dtype {values.dtype}")


def from_ordered_int64(xp, codes, dtype):
    """The inverse of ``ordered_int64``: values of ``dtype`` (-0.0 and NaN come back canonical)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        bits = xp.where(codes < 0, codes ^ INT64_MAX, codes)
        return bits.view(xp.float64).astype(dtype, copy=False)
    if dtype.kind == "u" and dtype.itemsize == 8:
        return codes.view(xp.uint64) ^ np.uint64(2**63)
    return codes.astype(dtype)


def normalize_valid(xp, valid, n):
    """``valid`` or None when it has no False; also the number of valid rows."""
    if valid is None:
        return None, n
    nvalid = int(xp.count_nonzero(valid))
    return (None if nvalid == n else valid), nvalid


def _factorize(xp, codes, card, need_first):
    """Dense ids for int64 ``codes`` (in [0, card) when card is not None): (ids, G, first).

    Ids follow code order.  A direct-index table is used when card is small, else one sort.
    ``first`` (the first row of each id) is computed only when asked for.
    """
    n = codes.shape[0]
    if card is not None and card <= min(4 * n + 1024, _TABLE_LIMIT):
        present = xp.zeros(card, dtype=bool)
        present[codes] = True
        rank = xp.cumsum(present, dtype=xp.int32) - 1
        ids = rank[codes].astype(xp.int64)
        n_groups = int(rank[-1]) + 1
        first = None
        if need_first:
            first = xp.full(n_groups, n, dtype=xp.int64)
            scatter_min(xp, first, ids, xp.arange(n, dtype=xp.int64))
        return ids, n_groups, first
    perm = stable_argsort(xp, codes)
    s = codes[perm]
    starts = xp.empty(n, dtype=bool)
    starts[0] = True
    starts[1:] = s[1:] != s[:-1]
    seg = xp.cumsum(starts, dtype=xp.int64) - 1
    ids = xp.empty(n, dtype=xp.int64)
    ids[perm] = seg
    first = perm[starts] if need_first else None
    return ids, int(seg[-1]) + 1, first


def _column_codes(xp, values, valid, n):
    """Codes in [0, card) equal iff the SQL values group together; NULL gets its own code."""
    k = ordered_int64(xp, values)
    valid, nvalid = normalize_valid(xp, valid, n)
    if nvalid == 0:
        return xp.zeros(n, dtype=xp.int64), 1
    if valid is None:
        lo, hi = host_ints(xp, k.min(), k.max())
    else:
        lo, hi = host_ints(xp, xp.where(valid, k, INT64_MAX).min(), xp.where(valid, k, INT64_MIN).max())
        k = xp.where(valid, k, lo)
    span = hi - lo + 1
    if span <= _RADIX_LIMIT:
        codes = k - lo
    else:
        codes, span, _ = _factorize(xp, k, None, False)
    if valid is None:
        return codes, span
    return xp.where(valid, codes, span), span + 1


def _group(xp, keys, n, need_first):
    """Factorize non-empty ``keys`` over n > 0 rows by mixed-radix packing."""
    acc, card = None, 1
    for values, valid in keys:
        codes, c = _column_codes(xp, values, valid, n)
        if acc is None:
            acc, card = codes, c
            continue
        if card * c > _RADIX_LIMIT:
            acc, card, _ = _factorize(xp, acc, card, False)
            if card * c > _RADIX_LIMIT:
                codes, c, _ = _factorize(xp, codes, c, False)
        acc = acc * c + codes
        card *= c
    return _factorize(xp, acc, card, need_first)


def group_ids(xp, keys, n=None):
    """Dense group ids for rows with equal key tuples: ``(gid int64[n], n_groups, first)``.

    ``keys`` is a list of ``(values, valid)``; ``first[g]`` is the first row of group g in
    input order.  With no keys, ``n`` must be given and all rows form one group (none when
    n == 0).  The numbering is deterministic (it follows the key order, NULL last).
    """
    if keys:
        n = keys[0][0].shape[0]
    elif n is None:
        raise ValueError("group_ids needs n when there are no keys")
    if n == 0:
        empty = xp.zeros(0, dtype=xp.int64)
        return empty, 0, empty.copy()
    if not keys:
        return xp.zeros(n, dtype=xp.int64), 1, xp.zeros(1, dtype=xp.int64)
    return _group(xp, keys, n, True)


def _dense_single_key(xp, left, right, n):
    """Ids straight from the values of one integer key pair whose span is small (no factorizing)."""
    if len(left) != 1:
        return None
    (lv, lvalid), (rv, rvalid) = left[0], right[0]
    if lv.dtype.kind not in "iu" or rv.dtype.kind not in "iu" or lv.shape[0] == 0 or rv.shape[0] == 0:
        return None
    if (lv.dtype.kind == "u" and lv.dtype.itemsize == 8) or (rv.dtype.kind == "u" and rv.dtype.itemsize == 8):
        return None
    lmin, rmin, lmax, rmax = host_ints(xp, lv.min(), rv.min(), lv.max(), rv.max())
    lo, hi = min(lmin, rmin), max(lmax, rmax)
    if hi - lo > 4 * n + 1024:
        return None
    out = []
    for v, valid in ((lv, lvalid), (rv, rvalid)):
        ids = v.astype(xp.int64) - lo
        out.append(ids if valid is None else xp.where(valid, ids, -1))
    return out[0], out[1]


def join_key_ids(xp, left, right):
    """Comparable int64 ids for the left and right key tuples of an equi-join.

    Rows are equal iff their ids are; a row with a NULL in any key column gets -1.  Each key
    column pair is first cast to its numpy-promoted common dtype.
    """
    if len(left) != len(right) or not left:
        raise ValueError("join_key_ids needs the same non-zero number of keys on both sides")
    nl, nr = left[0][0].shape[0], right[0][0].shape[0]
    n = nl + nr
    dense = _dense_single_key(xp, left, right, n)
    if dense is not None:
        return dense
    cols, ok = [], None
    for (lv, lvalid), (rv, rvalid) in zip(left, right):
        dtype = np.result_type(lv.dtype, rv.dtype)
        cols.append(xp.concatenate([lv.astype(dtype, copy=False), rv.astype(dtype, copy=False)]))
        if lvalid is not None or rvalid is not None:
            valid = xp.concatenate([
                xp.ones(nl, dtype=bool) if lvalid is None else lvalid,
                xp.ones(nr, dtype=bool) if rvalid is None else rvalid,
            ])
            ok = valid if ok is None else ok & valid
    ok, n_ok = normalize_valid(xp, ok, n)
    ids = xp.full(n, -1, dtype=xp.int64)
    if n_ok:
        if ok is None:
            ids, _, _ = _group(xp, [(c, None) for c in cols], n, False)
        else:
            ids[ok] = _group(xp, [(c[ok], None) for c in cols], n_ok, False)[0]
    return ids[:nl], ids[nl:]
