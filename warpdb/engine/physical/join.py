"""Joins of every kind on equi-keys plus residual predicates. On the GPU, integer, code and date keys
go through hash tables (`kernels.hash_join`) read through the batches' row indices; other keys, and
every join on the CPU, through key ids and merge kernels."""
from __future__ import annotations

import numpy as np

from ...errors import ExecutionError, OutOfMemory
from ...kernels import compact as C
from ...kernels import hash_join as H
from ...kernels import join as J
from ...kernels import keys as K
from .. import types as T
from ..column import Column
from ..expr import ColRef
from ..types import Kind
from . import fused, strings
from .batch import Batch

MAX_CROSS_PAIRS = 200_000_000
PREFILTER_RATIO = 4


def _key_ids(ev, node, left: Batch, right: Batch):
    lcols = [ev.eval(e, left) for e in node.left_keys]
    rcols = [ev.eval(e, right) for e in node.right_keys]
    return _column_ids(ev.xp, lcols, rcols)


def _column_ids(xp, lcols: list[Column], rcols: list[Column]):
    lk, rk = [], []
    for lc, rc in zip(lcols, rcols):
        if lc.dtype.kind is Kind.VARCHAR:
            lc, rc = strings.unify(xp, [lc, rc])
        lk.append((lc.data, lc.valid))
        rk.append((rc.data, rc.valid))
    return K.join_key_ids(xp, lk, rk)


def key_presence(xp, cols: list[Column], others: list[Column]):
    """bool per row of `cols`: its key tuple occurs among the rows of `others` (NULL never does)."""
    sides = _hash_sides(xp, cols, None, others, None)
    if sides is not None:
        return H.presence(xp, *sides)
    lid, rid = _column_ids(xp, cols, others)
    return J.semi_mask(xp, lid, rid)


def _raw_keys(batch: Batch, exprs):
    """The base key columns and their shared row index when every key is a plain column read
    through one index, else None."""
    cols, idx = [], None
    for i, e in enumerate(exprs):
        if not isinstance(e, ColRef):
            return None
        base, row_idx, _ = batch.row_source(e.cid)
        if i and row_idx is not idx:
            return None
        cols.append(base)
        idx = row_idx
    return cols, idx


def _hash_sides(xp, lcols, lidx, rcols, ridx):
    """KeySides for the hash kernels (GPU, integer-like keys, string keys sharing one dictionary),
    or None."""
    if xp is np:
        return None
    for lc, rc in zip(lcols, rcols):
        if lc.wide is not None or rc.wide is not None:
            return None
        if lc.dtype.kind is Kind.VARCHAR and lc.dictionary is not rc.dictionary:
            return None
    lside = H.KeySide(tuple((c.data, c.valid) for c in lcols), lidx,
                      len(lcols[0]) if lidx is None else int(lidx.shape[0]))
    rside = H.KeySide(tuple((c.data, c.valid) for c in rcols), ridx,
                      len(rcols[0]) if ridx is None else int(ridx.shape[0]))
    return (lside, rside) if H.supported(lside) and H.supported(rside) else None


def _join_sides(ev, node, left: Batch, right: Batch):
    """The hash kernels' view of both sides' keys: base columns through row indices when possible,
    else evaluated (string keys re-encoded on one dictionary); None when they cannot take them."""
    if ev.xp is np:
        return None
    lraw, rraw = _raw_keys(left, node.left_keys), _raw_keys(right, node.right_keys)
    if lraw is not None and rraw is not None:
        sides = _hash_sides(ev.xp, *lraw, *rraw)
        if sides is not None:
            return sides
    lcols = [ev.eval(e, left) for e in node.left_keys]
    rcols = [ev.eval(e, right) for e in node.right_keys]
    for k, (lc, rc) in enumerate(zip(lcols, rcols)):
        if lc.dtype.kind is Kind.VARCHAR:
            lcols[k], rcols[k] = strings.unify(ev.xp, [lc, rc])
    return _hash_sides(ev.xp, lcols, None, rcols, None)


def _hash_pairs(xp, lside, rside):
    """Inner pairs from a hash table on the smaller side; None when that side is too large."""
    big, small, swapped = (rside, lside, True) if rside.n > lside.n else (lside, rside, False)
    if small.n > H.MAX_BUILD_ROWS:
        return None
    pairs = H.pairs(xp, big, small)
    return (pairs[1], pairs[0]) if swapped else pairs


def _pairs(ev, node, left: Batch, right: Batch):
    """Index pairs satisfying the equi-keys and the residual."""
    xp = ev.xp
    pairs = None
    if node.left_keys:
        sides = _join_sides(ev, node, left, right)
        pairs = None if sides is None else _hash_pairs(xp, *sides)
    if pairs is not None:
        li, ri = pairs
    elif node.left_keys:
        lid, rid = _key_ids(ev, node, left, right)
        if right.n > left.n:
            ri, li = _matched_pairs(xp, rid, lid)
        else:
            li, ri = _matched_pairs(xp, lid, rid)
    else:
        if left.n * right.n > MAX_CROSS_PAIRS:
            raise OutOfMemory(
                f"join without equality keys would build {left.n} x {right.n} row pairs (limit {MAX_CROSS_PAIRS})"
            )
        li, ri = J.cross_pairs(xp, left.n, right.n)
    if node.residual is not None and li.shape[0]:
        used = node.residual.cids()
        both = _combine(xp, left.select([c for c in left.columns if c in used]),
                        right.select([c for c in right.columns if c in used]), li, ri, False, False)
        keep = ev.predicate(node.residual, both)
        li, ri = li[keep], ri[keep]
    return li, ri


def _matched_pairs(xp, big, small):
    """Inner pairs (big index, small index). A side whose keys are unique becomes a key -> row
    table the other side reads (the usual primary-key join); otherwise, when one side is much
    larger, its rows are first narrowed to those whose key occurs on the other side."""
    pairs = J.unique_build_pairs(xp, big, small)
    if pairs is not None:
        return pairs
    pairs = J.unique_build_pairs(xp, small, big)
    if pairs is not None:
        return pairs[1], pairs[0]
    if big.shape[0] > PREFILTER_RATIO * small.shape[0]:
        keep = C.true_rows(xp, J.semi_mask(xp, big, small))
        bi, si = J.inner_pairs(xp, big[keep], small)
        return keep[bi], si
    return J.inner_pairs(xp, big, small)


def _combine(xp, left: Batch, right: Batch, li, ri, lneg=None, rneg=None) -> Batch:
    """Both sides' rows at the pairs; `lneg`/`rneg` False promise no -1 in `li`/`ri` (None: check)."""
    return Batch.merge(left.take(xp, li, lneg), right.take(xp, ri, rneg))


def _unmatched(xp, idx, n):
    seen = xp.zeros(n, bool)
    seen[idx[idx >= 0]] = True
    return C.true_rows(xp, ~seen)


def join(ev, node, left: Batch, right: Batch) -> Batch:
    xp = ev.xp
    kind = node.kind
    if kind == "single":
        return _single(ev, node, left, right)
    if kind in ("semi", "anti"):
        return _semi(ev, node, left, right, kind == "semi")
    if kind == "mark":
        return _mark(ev, node, left, right)
    if kind == "right":
        li_r, ri_r = _pairs(ev, node, left, right)
        extra = _unmatched(xp, ri_r, right.n)
        li = xp.concatenate([li_r, xp.full(extra.shape[0], -1, np.int64)])
        ri = xp.concatenate([ri_r, extra])
        return _combine(xp, left, right, li, ri, None, False)
    li, ri = _pairs(ev, node, left, right)
    if kind in ("left", "full"):
        extra = _unmatched(xp, li, left.n)
        li = xp.concatenate([li, extra])
        ri = xp.concatenate([ri, xp.full(extra.shape[0], -1, np.int64)])
    if kind == "full":
        extra = _unmatched(xp, ri, right.n)
        li = xp.concatenate([li, xp.full(extra.shape[0], -1, np.int64)])
        ri = xp.concatenate([ri, extra])
    if kind == "inner":
        return _combine(xp, left, right, li, ri, False, False)
    return _combine(xp, left, right, li, ri, None if kind == "full" else False, None)


def _semi(ev, node, left, right, keep_matched: bool) -> Batch:
    xp = ev.xp
    sides = _join_sides(ev, node, left, right) if node.left_keys and node.residual is None else None
    if sides is not None:
        mask = H.presence(xp, *sides)
    elif node.left_keys and node.residual is None:
        lid, rid = _key_ids(ev, node, left, right)
        mask = J.semi_mask(xp, lid, rid)
    elif node.residual is None:
        mask = xp.full(left.n, right.n > 0, dtype=bool)
    else:
        mask = _matched_with_residual(ev, node, left, right)
        if mask is None:
            li, ri = _pairs(ev, node, left, right)
            mask = J.filter_pairs_any(xp, li, ri, xp.ones(li.shape[0], bool), left.n)
    return left.filter(xp, mask if keep_matched else ~mask)


def _matched_with_residual(ev, node, left: Batch, right: Batch):
    """On the GPU, bool per left row: some right row has its keys and satisfies the residual,
    decided in the hash probe (the table on the smaller side; no pairs); None when the keys or the
    residual (NULL-free numeric comparisons, AND/OR/NOT/IN) do not fit the kernel."""
    sides = _join_sides(ev, node, left, right) if node.left_keys else None
    if sides is None:
        return None
    lside, rside = sides
    flag_build = left.n <= right.n
    probe, build = (right, left) if flag_build else (left, right)
    columns: list = []
    indices: dict[int, str] = {}

    def column(e: ColRef):
        batch, row = (probe, "j") if e.cid in probe.columns else (build, "k")
        base, idx, neg = batch.row_source(e.cid)
        if neg or base.valid is not None or base.wide is not None or not H.readable(base.data):
            return None
        name = f"x{len(columns)}"
        columns.append((name, base.data))
        if idx is None:
            return f"{name}[{row}]"
        if id(idx) not in indices:
            indices[id(idx)] = f"x{len(columns)}"
            columns.append((indices[id(idx)], idx))
        return f"{name}[{indices[id(idx)]}[{row}]]"

    condition = fused.PredicateSource(ev, left, column).expr(node.residual)
    if condition is None:
        return None
    if flag_build:
        return H.matched_with(ev.xp, rside, lside, condition, columns, True)
    return H.matched_with(ev.xp, lside, rside, condition, columns, False)


def _mark(ev, node, left, right) -> Batch:
    """IN / EXISTS as a BOOLEAN column with SQL's three-valued answer."""
    xp = ev.xp
    mark = node.mark
    if node.in_pair is None:
        if node.left_keys or node.residual is not None:
            li, _ = _pairs(ev, node, left, right)
            hit = J.filter_pairs_any(xp, li, li, xp.ones(li.shape[0], bool), left.n)
        else:
            hit = xp.full(left.n, right.n > 0, dtype=bool)
        return left.with_column(mark.cid, Column(T.BOOL, hit, None))
    x, s = ev.eval(node.in_pair[0], left), ev.eval(node.in_pair[1], right)
    if x.dtype.kind is Kind.VARCHAR:
        x, s = strings.unify(xp, [x, s])
    xv = x.valid_mask(xp)
    if not node.left_keys and node.residual is None:
        lid, rid = K.join_key_ids(xp, [(x.data, x.valid)], [(s.data, s.valid)])
        hit = J.semi_mask(xp, lid, rid)
        s_has_null = s.valid is not None and bool((~s.valid).any())
        nonempty = right.n > 0
        unknown = ~hit & (xp.full(left.n, s_has_null, dtype=bool) | ~xv) & nonempty
        return left.with_column(mark.cid, Column(T.BOOL, hit, ~unknown))
    li, ri = _pairs(ev, node, left, right)
    sv = s.valid_mask(xp)
    pair_known = xv[li] & sv[ri]
    pair_true = pair_known & (x.data[li] == s.data[ri])
    hit = J.filter_pairs_any(xp, li, ri, pair_true, left.n)
    unknown_any = J.filter_pairs_any(xp, li, ri, ~pair_known, left.n)
    return left.with_column(mark.cid, Column(T.BOOL, hit, hit | ~unknown_any))


def _single(ev, node, left: Batch, right: Batch) -> Batch:
    """Left join where each left row may match at most one right row (scalar subqueries)."""
    xp = ev.xp
    if not node.left_keys and node.residual is None:
        if right.n > 1:
            raise ExecutionError("more than one row returned by a subquery used as an expression")
        li = xp.arange(left.n, dtype=np.int64)
        ri = xp.full(left.n, 0 if right.n else -1, dtype=np.int64)
        return _combine(xp, left, right, li, ri)
    li, ri = _pairs(ev, node, left, right)
    if li.shape[0] and bool((xp.bincount(li, minlength=left.n) > 1).any()):
        raise ExecutionError("more than one row returned by a subquery used as an expression")
    extra = _unmatched(xp, li, left.n)
    li = xp.concatenate([li, extra])
    ri = xp.concatenate([ri, xp.full(extra.shape[0], -1, np.int64)])
    return _combine(xp, left, right, li, ri)
