"""Grouped and global aggregation: group ids, one row layout shared by every aggregate."""
from __future__ import annotations

import numpy as np

from ...errors import ExecutionError
from ...kernels import keys as K
from ...kernels import reduce as R
from .. import types as T
from ..column import Column
from ..expr import AggCall
from ..types import Kind
from . import strings
from . import fused_aggregate
from .agg_results import avg_from_exact, avg_from_sum, exact_sum_column, nulls
from .batch import Batch


def key_arrays(xp, cols: list[Column]) -> list[tuple]:
    """(values, valid) pairs for the kernels; strings are compared by code."""
    return [(c.data, c.valid) for c in cols]


def aggregate(ev, node, batch: Batch) -> Batch:
    xp = ev.xp
    fused = fused_aggregate.try_aggregate(ev, node, batch)
    if fused is not None:
        return fused
    key_cols = [ev.eval(k, batch) for k in node.keys]
    if key_cols:
        gid, n_groups, first = K.group_ids(xp, key_arrays(xp, key_cols))
    else:
        gid, n_groups, first = xp.zeros(batch.n, np.int64), 1, None
    layout = R.GroupLayout(xp, gid, n_groups)
    out: dict[int, Column] = {}
    for f, c in zip(node.schema, key_cols):
        out[f.cid] = c.take(xp, first, False)
    sums: dict = {}
    for f, call in zip(node.schema[len(key_cols):], node.aggs):
        out[f.cid] = _one(ev, call, batch, gid, n_groups, layout, sums)
    return Batch(out, n_groups)


def _int_sum(layout, col: Column, sums: dict):
    """Exact grouped sum of an integer/decimal column, shared by sum() and avg() of one input."""
    key = (id(layout), id(col.data), id(col.valid))
    hit = sums.get(key)
    if hit is None:
        hit = sums[key] = (R.sum_int_exact(layout, col.data, col.valid), col)
    return hit[0]


def _one(ev, call: AggCall, batch: Batch, gid, n_groups, layout, sums: dict) -> Column:
    xp = ev.xp
    if call.func == "count_star":
        return Column(T.INT64, R.count_rows(layout).astype(np.int64), None)
    col = ev.eval(call.args[0], batch)
    if col.dtype.kind is Kind.VARCHAR and call.func in ("min", "max"):
        col = strings.sorted_dictionary(xp, col)
    if call.distinct and call.func == "count":
        return Column(T.INT64, R.count_distinct(xp, gid, n_groups, col.data, col.valid), None)
    if call.distinct and call.func not in ("min", "max"):
        _, _, first = K.group_ids(xp, [(gid, None), (col.data, col.valid)])
        gid = gid[first]
        col = col.take(xp, first, False)
        layout = R.GroupLayout(xp, gid, n_groups)
    fn = call.func
    t = call.dtype
    if fn == "count":
        return Column(T.INT64, R.count_valid(layout, col.valid).astype(np.int64), None)
    if fn == "sum":
        if T.is_float(col.dtype) or col.dtype.kind is Kind.NULL:
            s, has = R.sum_float(layout, col.data, col.valid)
            return Column(t, s, nulls(has))
        return exact_sum_column(xp, _int_sum(layout, col, sums), t)
    if fn == "avg":
        cnt = R.count_valid(layout, col.valid)
        if col.dtype.kind is Kind.DECIMAL or T.is_integer(col.dtype):
            hi, lo, has = _int_sum(layout, col, sums)
            return avg_from_exact(xp, hi, lo, cnt, has, col.dtype)
        total, has = R.sum_float(layout, col.data, col.valid)
        return avg_from_sum(xp, total, cnt, has)
    if fn in ("min", "max"):
        v, has = R.min_max(layout, col.data, col.valid, fn == "max")
        return Column(t, v, nulls(has), col.dictionary, col.dict_sorted)
    if fn in ("stddev_samp", "stddev_pop", "var_samp", "var_pop"):
        data = col.data.astype(np.float64) / (10.0**col.dtype.scale) if col.dtype.kind is Kind.DECIMAL else col.data
        cnt, _, m2 = R.moments(layout, data, col.valid)
        ddof = 1 if fn.endswith("samp") else 0
        with np.errstate(all="ignore"):
            var = m2 / xp.maximum(cnt - ddof, 1)
        out = xp.sqrt(var) if fn.startswith("stddev") else var
        return Column(T.FLOAT64, out, nulls(cnt > ddof))
    if fn in ("bool_and", "bool_or"):
        v, has = R.bool_and_or(layout, col.data, col.valid, fn == "bool_and")
        return Column(T.BOOL, v, nulls(has))
    raise ExecutionError(f"unknown aggregate {fn}")
