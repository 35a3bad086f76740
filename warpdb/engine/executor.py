"""Runs a logical plan on one backend: one step per node, children first, each step timed."""
from __future__ import annotations

import time
from functools import singledispatch

import numpy as np
import pyarrow as pa

from ..errors import Cancelled
from . import types as T
from .column import Column, constant, from_arrow
from .expr import ColRef
from .literals import to_python
from .logical import Aggregate, Distinct, Filter, Join, Limit, Plan, Project, Reuse, Scan, SetOp, Shared, Sort, Values
from .physical import aggregate as agg_op
from .physical import fused, fused_aggregate, fused_values, key_filter
from .physical import join as join_op
from .physical import setops, streamed
from .physical import sort as sort_op
from .physical.batch import Batch
from .physical.expressions import Evaluator

HOST_ROWS = 8192


class ExecutionContext:
    """Per-query runtime state: the backend, the evaluator, the per-node profile, the file scans'
    numbers (`scans`), the results of shared subplans not yet read by all their readers
    (`shared`: key -> (batch, reads left)) and an optional `cancelled()` callable polled before
    each operator."""

    def __init__(self, xp, to_host, sync=None, cancelled=None):
        self.xp, self.to_host = xp, to_host
        self.ev = Evaluator(xp, to_host)
        self.profile: list[tuple[str, float, int]] = []
        self.sync = sync
        self.operator = "planning"
        self.cancelled = cancelled
        self.key_filters: dict[int, object] = {}
        self.scans: list[dict] = []
        self.shared: dict[int, tuple[Batch, int]] = {}
        self._host: ExecutionContext | None = None

    @property
    def host(self) -> "ExecutionContext":
        """The NumPy twin of a GPU query's context, for steps over host batches: it shares the
        profile and the scans' numbers (runtime key filters stay with the device)."""
        if self._host is None:
            twin = ExecutionContext(np, np.asarray, None, self.cancelled)
            twin.profile, twin.scans = self.profile, self.scans
            self._host = twin
        return self._host


def evaluate(plan: Plan, ctx: ExecutionContext) -> Batch:
    """Evaluate `plan`: its children, then its own step (timed into ctx.profile; with ctx.sync the
    device is synchronized before each step's clock stops, so GPU times are per operator). An
    Aggregate over a Parquet scan larger than the cache budget runs in batches (physical.streamed).
    A shared subplan runs once (`_read_shared`)."""
    if isinstance(plan, (Shared, Reuse)):
        return _read_shared(plan, ctx)
    if isinstance(plan, Aggregate) and id(plan) not in ctx.key_filters:
        out = streamed.aggregate(plan, ctx, evaluate)
        if out is None:
            out = _aggregate_filtered_scan(plan, ctx)
        if out is not None:
            return out
    found = key_filter.candidate(plan) if isinstance(plan, Join) else None
    if found is None:
        inputs = [evaluate(c, ctx) for c in plan.children()]
    else:
        inputs = _join_inputs(plan, found, ctx)
    timed = _Timed(ctx, plan)
    out = step(plan, _placed(plan, ctx, inputs), *inputs)
    timed.done(out.n)
    return out


def _read_shared(plan: Shared | Reuse, ctx: ExecutionContext) -> Batch:
    """A shared subplan's columns as one of its readers sees them: the first reader to run
    evaluates the subplan, the result is kept until the last has read it (batches are never
    modified, so readers share its arrays), and a Reuse reads it under its own column ids. The
    read is profiled as its own step (`Shared` or `Reuse`)."""
    shared = plan if isinstance(plan, Shared) else plan.shared
    batch, left = ctx.shared.pop(shared.key, (None, shared.readers))
    if batch is None:
        batch = evaluate(shared.input, ctx)
    if left > 1:
        ctx.shared[shared.key] = (batch, left - 1)
    timed = _Timed(ctx, plan)
    if isinstance(plan, Shared):
        out = batch.select([f.cid for f in plan.schema])
    else:
        out = batch.renamed({f.cid: c.cid for f, c in zip(plan.schema, plan.columns)})
    timed.done(out.n)
    return out


def _placed(plan: Plan, ctx: ExecutionContext, inputs: list[Batch]) -> ExecutionContext:
    """Where a step runs on the GPU: small results move to the host, where the CPU backend's
    operators (the same semantics) finish them with no launches or round trips. A filtered scan of
    a table of at most HOST_ROWS rows (kept in host memory too) runs there; a step whose inputs are
    all of at most HOST_ROWS rows runs there when one of them is there already, or when it is a sort
    or an aggregate, its device inputs moved in one transfer each; otherwise host inputs are
    uploaded and the step runs on the device."""
    if ctx.xp is np:
        return ctx
    if not inputs:
        return ctx.host if isinstance(plan, Scan) and plan.filters and _host_sized(plan) else ctx
    host = [b.on_host() for b in inputs]
    small = all(b.n <= HOST_ROWS for b in inputs)
    if small and (any(host) or isinstance(plan, (Sort, Aggregate))):
        inputs[:] = [b if on else b.to_host(ctx.xp) for b, on in zip(inputs, host)]
        return ctx.host
    inputs[:] = [b.to_device(ctx.xp) if on else b for b, on in zip(inputs, host)]
    return ctx


def _host_sized(scan: Scan) -> bool:
    """Whether a scan reads a table of at most HOST_ROWS rows held whole (not by row group)."""
    source = scan.source
    return not getattr(source, "row_groups", False) and source.num_rows <= HOST_ROWS


def _aggregate_filtered_scan(plan: Aggregate, ctx: ExecutionContext) -> Batch | None:
    """On the GPU, an Aggregate right over a filtered scan whose predicates and aggregates fit
    the fused aggregate kernel: the scan's rows go to the kernel unfiltered and the predicates are
    evaluated there (no mask, no row index). None when it does not apply."""
    scan = plan.input
    if ctx.xp is np or not isinstance(scan, Scan) or not scan.filters or _host_sized(scan):
        return None
    timed = _Timed(ctx, scan)
    batch = _scan_rows(scan, ctx)
    scan_ms = timed.elapsed()
    timed = _Timed(ctx, plan)
    out = fused_aggregate.try_aggregate(ctx.ev, plan, batch, scan.filters)
    if out is None:
        timed = _Timed(ctx, scan, scan_ms)
        batch = _filtered(ctx, scan.filters, batch)
        timed.done(batch.n)
        timed = _Timed(ctx, plan)
        out = step(plan, ctx, batch)
    else:
        ctx.profile.append((type(scan).__name__, scan_ms, batch.n))
    timed.done(out.n)
    return out


class _Timed:
    """One operator's profile entry: its clock starts on creation (plus `earlier_ms` already
    spent); `done(rows)` synchronizes the device when profiling asks for it and appends the entry."""

    def __init__(self, ctx: ExecutionContext, plan: Plan, earlier_ms: float = 0.0):
        self.ctx, self.name, self.earlier_ms = ctx, type(plan).__name__, earlier_ms
        ctx.operator = describe(plan)
        if ctx.cancelled is not None and ctx.cancelled():
            raise Cancelled("query cancelled")
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        if self.ctx.sync is not None:
            self.ctx.sync()
        return self.earlier_ms + (time.perf_counter() - self.start) * 1e3

    def done(self, rows: int) -> None:
        self.ctx.profile.append((self.name, self.elapsed(), rows))


def _join_inputs(plan: Join, found, ctx: ExecutionContext) -> list[Batch]:
    """A join's inputs, the side without the keyed aggregate first, so that the aggregate groups
    only rows whose keys that side has (physical.key_filter)."""
    side, agg, positions, partners = found
    kids = plan.children()
    other = evaluate(kids[1 - side], ctx)
    if ctx.xp is not np and other.on_host():
        other = other.to_device(ctx.xp)
    ctx.key_filters[id(agg)] = key_filter.KeyFilter(agg, positions, tuple(ctx.ev.eval(p, other) for p in partners))
    mine = evaluate(kids[side], ctx)
    ctx.key_filters.pop(id(agg), None)
    return [mine, other] if side == 0 else [other, mine]


def describe(plan: Plan) -> str:
    """An operator's name for messages: its kind, and the table of a scan."""
    name = type(plan).__name__
    if isinstance(plan, Scan):
        return f"{name} {plan.table}"
    if isinstance(plan, Join):
        return f"{plan.kind.upper()} {name}"
    return name


@singledispatch
def step(node: Plan, ctx: ExecutionContext, *inputs: Batch) -> Batch:
    raise TypeError(f"no physical operator for {type(node).__name__}")


@step.register
def _(node: Scan, ctx, *inputs):
    batch = _scan_rows(node, ctx)
    if not node.filters:
        return batch
    return _filtered(ctx, node.filters, batch)


def _scan_rows(node: Scan, ctx) -> Batch:
    """The scan's columns over every row its source keeps after pruning (filters not applied)."""
    source = _pruned(node, ctx)
    cols = {f.cid: source.column(name, ctx.xp) for f, name in zip(node.schema, node.columns)}
    return Batch(cols, source.num_rows)


def _pruned(node: Scan, ctx):
    """The scan's source, less the hive partitions (files) its filters on partition columns rule
    out (those filters are evaluated once per file, over the file's partition values) and, for
    Parquet, less the row groups whose statistics rule them out."""
    source, keep = node.source, None
    parts = getattr(source, "partition_columns", None)
    if parts and node.filters:
        names = {f.cid: n for f, n in zip(node.schema, node.columns) if n in parts}
        preds = [p for p in node.filters if p.cids() and p.cids() <= set(names)]
        if preds:
            files = Batch({cid: source.partition_column(n, ctx.xp) for cid, n in names.items()}, len(source.paths))
            keep = ctx.to_host(fused.conjunction(ctx.ev, preds, files))
    if getattr(source, "row_groups", False):
        return source.scan(node, keep, ctx.scans)
    return source if keep is None else source.restrict(keep)


def _filtered(ctx, conjuncts, batch: Batch) -> Batch:
    """The rows of `batch` where every conjunct is TRUE; on the GPU selected by one compaction
    kernel that evaluates the NULL-free comparisons itself."""
    if ctx.xp is np:
        return batch.filter(np, fused.conjunction(ctx.ev, conjuncts, batch))
    return batch.take(ctx.xp, fused.selected_rows(ctx.ev, conjuncts, batch), False)


@step.register
def _(node: Values, ctx, *inputs):
    cols = {}
    for i, f in enumerate(node.schema):
        if not node.rows:
            cols[f.cid] = constant(ctx.xp, f.dtype, None, 0)
            continue
        values = [to_python(r[i], f.dtype) for r in node.rows]
        cols[f.cid] = from_arrow(ctx.xp, pa.array(values, type=T.to_arrow(f.dtype)), f.dtype)
    return Batch(cols, len(node.rows))


@step.register
def _(node: Filter, ctx, batch):
    return _filtered(ctx, [node.predicate], batch)


def _projected(ctx, e, batch: Batch):
    """A computed projection: on the GPU one generated kernel when it fits (`fused_values`)."""
    col = fused_values.evaluate(ctx.ev, e, batch)
    return ctx.ev.eval(e, batch) if col is None else col


@step.register
def _(node: Project, ctx, batch):
    src = {f.cid: batch.source(e.cid) if isinstance(e, ColRef) else (_projected(ctx, e, batch), None, False)
           for f, e in zip(node.schema, node.exprs)}
    return Batch(None, batch.n, ctx.xp, src)


@step.register
def _(node: Aggregate, ctx, batch):
    kf = ctx.key_filters.pop(id(node), None)
    if kf is not None and kf.aggregate is node and batch.n > key_filter.MIN_REDUCTION * len(kf.columns[0]):
        start = time.perf_counter()
        cols = [ctx.ev.eval(node.keys[p], batch) for p in kf.positions]
        batch = batch.filter(ctx.xp, join_op.key_presence(ctx.xp, cols, list(kf.columns)))
        ctx.profile.append(("KeyFilter", (time.perf_counter() - start) * 1e3, batch.n))
        if ctx.xp is not np and batch.n <= HOST_ROWS:
            return agg_op.aggregate(ctx.host.ev, node, batch.to_host(ctx.xp))
    return agg_op.aggregate(ctx.ev, node, batch)


@step.register
def _(node: Join, ctx, left, right):
    return join_op.join(ctx.ev, node, left, right)


@step.register
def _(node: Sort, ctx, batch):
    return sort_op.sort(ctx.ev, node, batch, node.limit)


@step.register
def _(node: Limit, ctx, batch):
    start = min(node.offset, batch.n)
    stop = batch.n if node.limit is None else min(start + node.limit, batch.n)
    return batch.take(ctx.xp, ctx.xp.arange(start, stop, dtype=np.int64), False)


@step.register
def _(node: Distinct, ctx, batch):
    return setops.distinct(ctx.xp, batch)


@step.register
def _(node: SetOp, ctx, left, right):
    return setops.set_operation(ctx.xp, node, left, right)


def result_columns(plan: Plan, batch: Batch) -> list[Column]:
    return [batch.columns[f.cid] for f in plan.schema]
