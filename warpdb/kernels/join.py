"""Equi-join kernels over single int64 key ids (from ``keys.join_key_ids``; -1 never matches).

Pair outputs are int64 index arrays ``(li, ri)`` ordered by left row, then right row.
"""
from __future__ import annotations

from warpdb.kernels.backend import bincount, host_ints, stable_argsort
from warpdb.kernels.compact import true_rows


def _empty(xp):
    return xp.zeros(0, dtype=xp.int64)


def _expand(xp, counts):
    """For ``sum(counts)`` outputs: the owning row of each and its offset within the row.

    Each non-empty row's first output gets the step from the previous non-empty row; a
    running sum of those steps is the owner (a vectorized ``repeat``).
    """
    starts = xp.cumsum(counts) - counts
    total = int(starts[-1] + counts[-1]) if counts.shape[0] else 0
    rows = true_rows(xp, counts != 0)
    steps = xp.zeros(total, dtype=xp.int64)
    steps[starts[rows]] = xp.diff(rows, prepend=0)
    owner = xp.cumsum(steps)
    return owner, xp.arange(total, dtype=xp.int64) - starts[owner]


def _match_ranges(xp, lid, rid):
    """Right rows ordered by id, and each left row's [lo, lo + count) range within them.

    Ids are dense (from ``join_key_ids``), so counts come from a bincount and ranges from a
    prefix sum, with no binary search; the right side is ordered by a counting scatter when
    its ids are unique, else by one stable sort.
    """
    nr = rid.shape[0]
    rvalid = rid >= 0
    g, n_valid = host_ints(xp, xp.maximum(lid.max(), rid.max()) + 1, xp.count_nonzero(rvalid))
    n_null = nr - n_valid
    counts_r = bincount(xp, xp.where(rvalid, rid, g), g + 1)[:g]
    starts_r = xp.cumsum(counts_r) - counts_r + n_null
    if g == 0 or int(counts_r.max()) <= 1:
        order = xp.empty(nr, dtype=xp.int64)
        pos = xp.where(rvalid, starts_r[xp.where(rvalid, rid, 0)] if g else 0, xp.arange(nr) - nr)
        nulls = true_rows(xp, ~rvalid)
        order[pos[rvalid]] = true_rows(xp, rvalid)
        order[:n_null] = nulls
    else:
        order = stable_argsort(xp, rid)
    lvalid = lid >= 0
    safe = xp.where(lvalid, lid, 0)
    if g == 0:
        return order, xp.zeros(lid.shape[0], dtype=xp.int64), xp.zeros(lid.shape[0], dtype=xp.int64)
    lo = xp.where(lvalid, starts_r[safe], 0)
    counts = xp.where(lvalid, counts_r[safe], 0)
    return order, lo, counts


def inner_pairs(xp, lid, rid):
    """All index pairs with ``lid[li] == rid[ri] >= 0`` (a sort + searchsorted join)."""
    if lid.shape[0] == 0 or rid.shape[0] == 0:
        return _empty(xp), _empty(xp)
    order, lo, counts = _match_ranges(xp, lid, rid)
    li, off = _expand(xp, counts)
    return li, order[lo[li] + off]


_PREFIX = 65536


def _repeats_in_prefix(xp, ids):
    """Whether some id >= 0 repeats among the first rows (a cheap early no for clustered keys), as
    a device boolean."""
    head = xp.sort(ids[:_PREFIX])
    return ((head[1:] == head[:-1]) & (head[1:] >= 0)).any()


def unique_build_pairs(xp, probe, build):
    """Inner pairs ``(pi, bi)`` when no id occurs twice in ``build``: a direct id -> row table is
    filled from ``build`` and read by ``probe`` (two passes, pairs in probe order). None when some
    build id repeats or the ids are too sparse for a table."""
    np_, nb = probe.shape[0], build.shape[0]
    if np_ == 0 or nb == 0:
        return _empty(xp), _empty(xp)
    repeats, g = host_ints(xp, _repeats_in_prefix(xp, build), xp.maximum(probe.max(), build.max()) + 1)
    if repeats or g > 4 * (np_ + nb) + 1024:
        return None
    rows = xp.arange(nb, dtype=xp.int64)
    slot = xp.where(build >= 0, build, g)
    table = xp.full(g + 1, -1, dtype=xp.int64)
    table[slot] = rows
    if bool(((table[slot] != rows) & (build >= 0)).any()):
        return None
    table[g] = -1
    hit = table[xp.where(probe >= 0, probe, g)]
    pi = true_rows(xp, hit >= 0)
    return pi, hit[pi]


def left_pairs(xp, lid, rid):
    """Inner pairs plus each unmatched left row once with ``ri == -1``."""
    nl = lid.shape[0]
    if nl == 0 or rid.shape[0] == 0:
        return xp.arange(nl, dtype=xp.int64), xp.full(nl, -1, dtype=xp.int64)
    order, lo, counts = _match_ranges(xp, lid, rid)
    li, off = _expand(xp, xp.maximum(counts, 1))
    matched = counts[li] > 0
    ri = xp.where(matched, order[xp.where(matched, lo[li] + off, 0)], -1)
    return li, ri


def full_pairs(xp, lid, rid):
    """Left pairs followed by each unmatched right row once with ``li == -1``."""
    li, ri = left_pairs(xp, lid, rid)
    hit = xp.zeros(rid.shape[0], dtype=bool)
    hit[ri[ri >= 0]] = True
    extra = true_rows(xp, ~hit)
    return (xp.concatenate([li, xp.full(extra.shape[0], -1, dtype=xp.int64)]),
            xp.concatenate([ri, extra]))


def semi_mask(xp, lid, rid):
    """bool[nl]: the left row has at least one matching right row (a presence table over the
    dense ids)."""
    if lid.shape[0] == 0 or rid.shape[0] == 0:
        return xp.zeros(lid.shape[0], dtype=bool)
    g = host_ints(xp, xp.maximum(lid.max(), rid.max()))[0] + 1
    if g <= 4 * (lid.shape[0] + rid.shape[0]) + 1024:
        present = xp.zeros(g + 1, dtype=bool)
        present[xp.where(rid >= 0, rid, g)] = True
        present[g] = False
        return present[xp.where(lid >= 0, lid, g)]
    rs = xp.sort(rid)
    pos = xp.searchsorted(rs, lid, side="left")
    found = rs[xp.minimum(pos, rs.shape[0] - 1)] == lid
    return found & (pos < rs.shape[0]) & (lid >= 0)


def anti_mask(xp, lid, rid):
    """bool[nl]: the left row has no matching right row (a NULL key never matches)."""
    return ~semi_mask(xp, lid, rid)


def filter_pairs_any(xp, li, ri, keep, nl):
    """bool[nl]: the left row has at least one pair surviving the residual mask ``keep``.

    ``ri`` is not needed to decide this; it is taken so every pair consumer has one signature.
    """
    out = xp.zeros(nl, dtype=bool)
    out[li[keep & (li >= 0)]] = True
    return out


def cross_pairs(xp, nl, nr):
    """Every (left, right) pair, left-major."""
    k = xp.arange(nl * nr, dtype=xp.int64)
    if nr == 0:
        return k, k.copy()
    return k // nr, k % nr
