"""ORDER BY and top-k: NULL placement, descending keys, strings by sorted dictionary codes. (On the
GPU, a sort of at most executor.HOST_ROWS rows runs here on the host, its input moved there once.)"""
from __future__ import annotations

from ...kernels import sort as S
from ..types import Kind
from . import strings
from .batch import Batch


def sort(ev, node, batch: Batch, limit: int | None = None) -> Batch:
    xp = ev.xp
    keys = []
    for k in node.keys:
        c = ev.eval(k.expr, batch)
        if c.dtype.kind is Kind.VARCHAR:
            c = strings.sorted_dictionary(xp, c)
        keys.append((c.data, c.valid, k.descending, k.nulls_first))
    perm = S.top_k_indices(xp, keys, limit) if limit is not None else S.sort_indices(xp, keys)
    return batch.take(xp, perm, False)
