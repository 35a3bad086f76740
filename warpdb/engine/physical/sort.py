"""ORDER BY and top-k: NULL placement, descending keys, strings by sorted dictionary codes. On the
GPU, inputs of at most HOST_ROWS rows are ordered on the host (their keys copied off the device
once, the permutation uploaded once) instead of by a few device round trips per key."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ...kernels import sort as S
from ...kernels.backend import to_host
from ..column import Column
from ..types import Kind
from . import strings
from .batch import Batch

HOST_ROWS = 8192


def sort(ev, node, batch: Batch, limit: int | None = None) -> Batch:
    xp = ev.xp
    on_host = xp is not np and batch.n <= HOST_ROWS
    kx = np if on_host else xp
    keys = []
    for k in node.keys:
        c = ev.eval(k.expr, batch)
        if on_host:
            data, valid = _host_key(xp, c)
        else:
            if c.dtype.kind is Kind.VARCHAR:
                c = strings.sorted_dictionary(xp, c)
            data, valid = c.data, c.valid
        keys.append((data, valid, k.descending, k.nulls_first))
    perm = S.top_k_indices(kx, keys, limit) if limit is not None else S.sort_indices(kx, keys)
    return batch.take(xp, xp.asarray(perm) if on_host else perm, False)


def _host_key(xp, c: Column):
    """A sort key's values and validity on the host; strings as their rank among the values used."""
    data = to_host(xp, c.data)
    valid = None if c.valid is None else to_host(xp, c.valid)
    if c.dtype.kind is not Kind.VARCHAR or c.dict_sorted:
        return data, valid
    used, inverse = np.unique(data, return_inverse=True)
    rank, _ = strings.dictionary_rank(np, c.dictionary.take(pa.array(used)))
    return (inverse if rank is None else rank[inverse.reshape(-1)]), valid
