"""Streamed aggregation: an Aggregate over Project/Filter steps over a Parquet scan whose surviving
row groups exceed the page cache budget runs once per batch of row groups that fits the budget
(scan, filters, steps, partial aggregate), and the partials are combined into the result."""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from ...io.scan import SUMMED
from ...kernels import keys as K
from ...kernels import reduce as R
from .. import types as T
from ..column import Column
from ..logical import Filter, Project, Scan
from ..types import Kind
from . import aggregate as agg_op
from . import strings
from .agg_results import avg_from_exact, avg_from_sum, exact_sum_column, nulls
from .batch import Batch
from .setops import concat_columns

DECOMPOSABLE = frozenset({"count_star", "count", "sum", "avg", "min", "max"})


class _Slice:
    """A Parquet FileEntry seen by the scan one batch of row groups at a time (batch `index`); the
    batches are planned at the first scan, with the files the scan's partition filters keep."""

    row_groups = True

    def __init__(self, entry):
        self.entry, self.paths = entry, entry.paths
        self.partition_columns = entry.partition_columns
        self.parts, self.index, self.stats = None, 0, []

    def partition_column(self, name, xp):
        return self.entry.partition_column(name, xp)

    def scan(self, node, keep, stats):
        """The current batch's table; its numbers go to self.stats (merged later), not `stats`."""
        if self.parts is None:
            self.parts = self.entry.batches(node, keep)
        groups = self.parts[self.index] if len(self.parts) > 1 else None
        return self.entry.scan(node, keep, self.stats, groups)

    def merged_stats(self) -> dict:
        """The batches' scan numbers as one entry, with `batches` their count."""
        first = self.stats[0]
        files = list(dict.fromkeys(f for s in self.stats for f in s["files"]))
        sums = {k: sum(s[k] for s in self.stats) for k in SUMMED}
        return {**first, "files": files, **sums, "batches": len(self.stats)}


def _streamable(plan):
    """The plan's input with its Scan's source replaced by a _Slice, and the slice; None when the
    plan is not a decomposable Aggregate over Project/Filter steps over a row-grouped Parquet scan."""
    if any(c.distinct or c.func not in DECOMPOSABLE for c in plan.aggs):
        return None
    chain, node = [], plan.input
    while isinstance(node, (Project, Filter)):
        chain.append(node)
        node = node.input
    if not isinstance(node, Scan) or not getattr(node.source, "row_groups", False):
        return None
    piece = _Slice(node.source)
    node = dataclasses.replace(node, source=piece)
    for step in reversed(chain):
        node = dataclasses.replace(step, input=node)
    return node, piece


def aggregate(plan, ctx, evaluate) -> Batch | None:
    """The Aggregate `plan` evaluated batch by batch (`evaluate` runs its input), or None when it
    does not qualify; one batch is aggregated as usual. The scan's merged numbers go to ctx.scans."""
    found = _streamable(plan)
    if found is None:
        return None
    child, piece = found
    partials, elapsed = [], 0.0
    while True:
        batch = evaluate(child, ctx)
        ctx.operator = "Aggregate"
        start = time.perf_counter()
        if len(piece.parts) == 1:
            out = agg_op.aggregate(ctx.ev, plan, batch)
        else:
            partials.append(_partial(ctx.ev, plan, batch))
            piece.index += 1
            out = _combine(ctx.xp, plan, partials) if piece.index == len(piece.parts) else None
        if ctx.sync is not None:
            ctx.sync()
        elapsed += time.perf_counter() - start
        if out is not None:
            break
    ctx.scans.append(piece.merged_stats())
    ctx.profile.append(("Aggregate", elapsed * 1e3, out.n))
    return out


def _partial(ev, plan, batch: Batch) -> tuple[list[Column], list[tuple]]:
    """One batch's key columns (one row per group) and each aggregate's state columns."""
    xp = ev.xp
    keys = [ev.eval(k, batch) for k in plan.keys]
    if keys:
        gid, n_groups, first = K.group_ids(xp, agg_op.key_arrays(xp, keys))
        keys = [c.take(xp, first, False) for c in keys]
    else:
        gid, n_groups = xp.zeros(batch.n, np.int64), 1
    layout = R.GroupLayout(xp, gid, n_groups)
    states = []
    for call in plan.aggs:
        if call.func == "count_star":
            states.append((_int64(R.count_rows(layout)),))
            continue
        col = ev.eval(call.args[0], batch)
        if call.func == "count":
            states.append((_int64(R.count_valid(layout, col.valid)),))
        elif call.func in ("min", "max"):
            if col.dtype.kind is Kind.VARCHAR:
                col = strings.sorted_dictionary(xp, col)
            v, has = R.min_max(layout, col.data, col.valid, call.func == "max")
            states.append((Column(col.dtype, v, has, col.dictionary, col.dict_sorted),))
        else:
            state = _sum_state(layout, col)
            if call.func == "avg":
                state += (_int64(R.count_valid(layout, col.valid)),)
            states.append(state)
    return keys, states


def _int64(a) -> Column:
    return Column(T.INT64, a.astype(np.int64, copy=False))


def _sum_state(layout, col: Column) -> tuple[Column, ...]:
    """A sum's state: (float sum) for floats, else the exact (hi, lo) halves; NULL where no value."""
    if _is_float(col.dtype):
        s, has = R.sum_float(layout, col.data, col.valid)
        return (Column(T.FLOAT64, s, has),)
    hi, lo, has = R.sum_int_exact(layout, col.data, col.valid)
    return Column(col.dtype, hi, has), Column(T.INT64, lo, has)


def _is_float(t) -> bool:
    return T.is_float(t) or t.kind is Kind.NULL


def _sum64(layout, col: Column):
    """Per-group int64 sums of an int64 column (exact whenever they fit int64), and has-value."""
    hi, lo, has = R.sum_int_exact(layout, col.data, col.valid)
    return R.combine_hi_lo_to_int64(layout.xp, hi, lo)[0], has


def _combine(xp, plan, partials: list) -> Batch:
    """The Aggregate's result from the batches' partials: their keys re-grouped (string keys on one
    dictionary), then each state combined per group."""
    keys = [concat_columns(xp, list(cols)) for cols in zip(*(p[0] for p in partials))]
    if keys:
        gid, n_groups, first = K.group_ids(xp, agg_op.key_arrays(xp, keys))
    else:
        gid, n_groups, first = xp.zeros(len(partials), np.int64), 1, None
    layout = R.GroupLayout(xp, gid, n_groups)
    out = {f.cid: c.take(xp, first, False) for f, c in zip(plan.schema, keys)}
    for i, (f, call) in enumerate(zip(plan.schema[len(keys):], plan.aggs)):
        state = [concat_columns(xp, [p[1][i][j] for p in partials]) for j in range(len(partials[0][1][i]))]
        out[f.cid] = _final(xp, layout, call, state)
    return Batch(out, n_groups)


def _final(xp, layout, call, state: list[Column]) -> Column:
    """One aggregate's result column from its concatenated partial states."""
    if call.func in ("count_star", "count"):
        return Column(T.INT64, _sum64(layout, state[0])[0])
    if call.func in ("min", "max"):
        col = state[0]
        if col.dtype.kind is Kind.VARCHAR:
            col = strings.sorted_dictionary(xp, col)
        v, has = R.min_max(layout, col.data, col.valid, call.func == "max")
        return Column(call.dtype, v, nulls(has), col.dictionary, col.dict_sorted)
    arg = state[0].dtype
    if _is_float(arg):
        total, has = R.sum_float(layout, state[0].data, state[0].valid)
        if call.func == "sum":
            return Column(call.dtype, total, nulls(has))
        return avg_from_sum(xp, total, _sum64(layout, state[1])[0], has)
    hi_sum, has = _sum64(layout, state[0])
    lo_sum, _ = _sum64(layout, state[1])
    hi, lo = R.split_sums_to_hi_lo(xp, hi_sum, lo_sum)
    if call.func == "sum":
        return exact_sum_column(xp, (hi, lo, has), call.dtype)
    return avg_from_exact(xp, hi, lo, _sum64(layout, state[2])[0], has, arg)
