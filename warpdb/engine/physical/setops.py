"""UNION / INTERSECT / EXCEPT (set and ALL forms) and DISTINCT, through group ids over whole rows."""
from __future__ import annotations

import numpy as np

from ...kernels import keys as K
from ...kernels.backend import bincount
from ..column import Column
from ..types import Kind
from . import strings
from .batch import Batch


def concat_columns(xp, cols: list[Column]) -> Column:
    """Rows of several columns of one type, one after the other."""
    if cols[0].dtype.kind is Kind.VARCHAR:
        cols = strings.unify(xp, cols)
    data = xp.concatenate([c.data for c in cols])
    valid = None
    if any(c.valid is not None for c in cols):
        valid = xp.concatenate([c.valid_mask(xp) for c in cols])
    return Column(cols[0].dtype, data, valid, cols[0].dictionary, cols[0].dict_sorted)


def distinct(xp, batch: Batch) -> Batch:
    if not batch.columns or batch.n == 0:
        return batch if batch.n <= 1 else batch.take(xp, xp.zeros(1, np.int64))
    _, _, first = K.group_ids(xp, [(c.data, c.valid) for c in batch.columns.values()])
    return batch.take(xp, xp.sort(first))


def set_operation(xp, node, left: Batch, right: Batch) -> Batch:
    lcols = [left.columns[f.cid] for f in node.left.schema]
    rcols = [right.columns[f.cid] for f in node.right.schema]
    merged = {f.cid: concat_columns(xp, [a, b]) for f, a, b in zip(node.schema, lcols, rcols)}
    both = Batch(merged, left.n + right.n)
    if node.kind == "union":
        return both if node.all else distinct(xp, both)
    if both.n == 0:
        return both
    gid, n_groups, first = K.group_ids(xp, [(c.data, c.valid) for c in merged.values()])
    side = xp.concatenate([xp.zeros(left.n, np.int64), xp.ones(right.n, np.int64)])
    count_l = bincount(xp, gid[side == 0], n_groups)
    count_r = bincount(xp, gid[side == 1], n_groups)
    if node.kind == "intersect":
        copies = xp.minimum(count_l, count_r) if node.all else ((count_l > 0) & (count_r > 0)).astype(np.int64)
    else:
        copies = xp.maximum(count_l - count_r, 0) if node.all else ((count_l > 0) & (count_r == 0)).astype(np.int64)
    rows = xp.repeat(first, copies)
    return both.take(xp, xp.sort(rows))
