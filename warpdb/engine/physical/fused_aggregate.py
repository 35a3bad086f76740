"""One-kernel GROUP BY on the GPU: NULL-free keys that are string codes, booleans, integers, dates
or decimals (or none: a global aggregate), and count/sum/avg of NULL-free integer or decimal
expressions (arithmetic, casts that cannot fail, CASE with predicates, string predicates as
per-dictionary-entry lookups) — count(x) also of a column NULL only on a join's unmatched rows —
optionally over only the rows passing a filter (`where`: a scan's predicates, evaluated in the
same kernel, so no row index is built).

The kernel reads the input columns through their batch row indices (no gathers), evaluates each
argument expression with the same overflow rule as the evaluator, and adds every row into a table
of (count, low-half sum, high-half sum) per group — so the sums are exact and equal to the general
path's to the last digit. A row's group is its slot: the keys' mixed-radix number when their
combinations (string dictionaries, booleans, numeric keys' min-max ranges) are few, else the slot
of a hash table of the rows that its key tuple claims or finds (`_Grouping`). When the groups
times the sums are few, each thread keeps a count and a plain 64-bit sum per group in its own
shared-memory words (indexed by group: no branches, no atomics, few registers), moving a sum into
the shared table's halves only when the next add would overflow and once at the end; otherwise
every row adds into the shared table, or, for more groups than shared memory holds, straight into
the global table. A small table is finished on the host and stays there (a host batch: the steps
after it run on the host, or upload it); a global one is finished on the device, a hashed one's
keys read at each slot's first row. Plans it cannot take return None and run as before.
"""
from __future__ import annotations

import math

import numpy as np

from ...errors import ExecutionError
from ...kernels import compact as C
from ...kernels import gather as G
from ...kernels import reduce as R
from ...kernels.backend import fetch, host_ints, minus_ones
from ...kernels.hash_join import MIX
from ...kernels.jit import compiled
from .. import types as T
from ..column import Column
from ..expr import AggCall, ColRef
from ..types import Kind
from .agg_results import avg_from_exact, exact_sum_column
from .batch import Batch
from .row_source import RowSource, grid_for, row_body

_SHARED_WORDS = 6144
_THREAD_WORDS = 36
_MAX_TABLE_WORDS = 1 << 29
_THREAD_BLOCK = 128
_BLOCK = 256
_LOW32 = 0xFFFFFFFF


def try_aggregate(ev, node, batch: Batch, where=()) -> Batch | None:
    """The aggregate's output batch from the fused kernel over the rows of `batch` passing every
    conjunct of `where`, or None when the plan does not fit it."""
    if ev.xp is np or batch.n >= 2**30:
        return None
    src = RowSource(ev, batch)
    grouping = _keys(src, node.keys, batch.n)
    if grouping is None:
        return None
    src.phase = 1
    terms = [src.predicate(c) for c in where]
    src.phase = 2
    if any(t is None for t in terms):
        return None
    sums: dict[str, int] = {}
    plan = []
    for call in node.aggs:
        step = _agg_step(src, call, sums)
        if step is None:
            return None
        plan.append(step)
    width = 1 + 2 * len(sums)
    if grouping.slots * width > _MAX_TABLE_WORDS:
        return None
    xp = ev.xp
    if src.null_rows():
        return None
    table, flags = _run(xp, src, grouping, terms, list(sums), width, batch.n)
    on_device = grouping.hashed is not None or grouping.slots * width > _SHARED_WORDS
    host = fetch(xp, [flags] if on_device else [flags, table])
    flagged = int(host[id(flags)][0])
    if flagged:
        op, t = src.flags[(flagged & -flagged).bit_length() - 1]
        raise ExecutionError(f"Overflow in {op} of {t}")
    if on_device:
        return _finish(xp, node, grouping, plan, table, width, batch)
    return _finish(np, node, grouping, plan, host[id(table)], width, batch)


class _Grouping:
    """How rows find their group's slot. Direct: `keys` holds per key (C code of its value in
    [0, card), base Column, card, lowest value of an integer or date key or None), and the slot is
    the keys' mixed-radix number. Hashed (`hashed` is the device table of each slot's first batch
    row, -1 when empty): `keys` holds per key (C name of its value at the row, C expression of its
    value at batch row `prev`, column id), and a row claims or finds its key's slot by linear
    probing."""

    def __init__(self, keys: list, slots: int, hashed=None):
        self.keys, self.slots, self.hashed = keys, slots, hashed


def _hash_slots(n: int) -> int:
    """A hash table's slots for `n` rows: a power of two, at most half full."""
    return 1 << max(10, (2 * n - 1).bit_length())


def _keys(src: RowSource, exprs, n: int) -> _Grouping | None:
    """The grouping of `n` rows by the key columns `exprs` (NULL-free strings, booleans, integers,
    dates, decimals), or None when a key does not fit. Keys are numbered directly when their
    combinations are no more than twice the slots a hash table of the rows would have — a
    numeric key's range comes from the min and max of the rows read (the base column when
    the row index is not shorter; one round trip for all keys) — and hashed otherwise."""
    kinds = (Kind.VARCHAR, Kind.BOOL, Kind.DATE, Kind.DECIMAL, *T.INTEGER_KINDS)
    found = []
    for e in exprs:
        got = src.column(e) if isinstance(e, ColRef) and e.dtype.kind in kinds else None
        if got is None:
            return None
        found.append((e, *got))
    limit = 2 * _hash_slots(n)
    cards = [c for c in _cards(found) if c is not None]
    if 0 in cards:
        return None
    ranged = [(e, base) for (e, _, base), card in zip(found, _cards(found)) if card is None]
    numeric = _ranges(src, ranged) if math.prod(cards) <= limit else None
    if numeric is None:
        return _hashed(src, found, n)
    ranges = [numeric[e.cid] if card is None else (0, card - 1) for (e, _, _), card in zip(found, _cards(found))]
    slots = math.prod(hi - lo + 1 for lo, hi in ranges)
    if slots > limit:
        return _hashed(src, found, n)
    keys = [(f"(int)((long long){code} - {src.scalar(lo)})" if e.cid in numeric else f"(int){code}",
             base, hi - lo + 1, lo if e.cid in numeric else None) for (e, code, base), (lo, hi) in zip(found, ranges)]
    return _Grouping(keys, slots)


def _cards(found) -> list[int | None]:
    """Each key's number of values when it has a dictionary or is boolean, else None."""
    return [2 if e.dtype.kind is Kind.BOOL else len(base.dictionary) if e.dtype.kind is Kind.VARCHAR else None
            for e, _, base in found]


def _ranges(src: RowSource, ranged) -> dict[int, tuple[int, int]] | None:
    """Each integer or date key's (min, max) over the rows read, by column id; None when there are
    no rows."""
    values = []
    for e, base in ranged:
        _, idx, _ = src.batch.row_source(e.cid)
        values.append(base.data if idx is None or idx.shape[0] >= len(base) else G.take(src.ev.xp, base.data, idx))
    if any(v.shape[0] == 0 for v in values):
        return None
    got = host_ints(src.ev.xp, *[m for v in values for m in (v.min(), v.max())])
    return {e.cid: (got[2 * k], got[2 * k + 1]) for k, (e, _) in enumerate(ranged)}


def _hashed(src: RowSource, found, n: int) -> _Grouping:
    keys = []
    for e, code, _ in found:
        param, _ = src.params[e.cid]
        row = src.loads[e.cid][1]
        keys.append((code, f"{param}[{'prev' if row == 'i' else f'i{row}[prev]'}]", e.cid))
    slots = _hash_slots(n)
    return _Grouping(keys, slots, minus_ones(src.ev.xp, slots, np.int32))


def _agg_step(src: RowSource, call: AggCall, sums: dict[str, int]):
    """("count",) / ("count_if", accumulator index) / ("sum"|"avg", accumulator index, arg dtype,
    result dtype) for one aggregate, or None."""
    if call.distinct:
        return None
    if call.func == "count_star":
        return ("count",)
    if call.func not in ("count", "sum", "avg") or len(call.args) != 1:
        return None
    if call.func == "count":
        present = src.present(call.args[0]) if isinstance(call.args[0], ColRef) else None
        if present is None:
            return None
        return ("count",) if present == "true" else ("count_if", sums.setdefault(f"({present} ? 1LL : 0LL)", len(sums)))
    value = src.value(call.args[0])
    if value is None:
        return None
    slot = sums.setdefault(value, len(sums))
    return (call.func, slot, call.args[0].dtype, call.dtype)


_HELPERS = r"""
__device__ __forceinline__ void move_sum(long long s, unsigned long long* a) {
    if (s) { atomicAdd(&a[0], (unsigned long long)(s & 0xFFFFFFFFLL)); atomicAdd(&a[1], (unsigned long long)(s >> 32)); }
}
__device__ __forceinline__ long long add_or_move(long long s, long long v, unsigned long long* a) {
    long long t = (long long)((unsigned long long)s + (unsigned long long)v);
    if (((s ^ t) & (v ^ t)) < 0) { move_sum(s, a); return v; }
    return t;
}
"""


def _group(grouping: _Grouping) -> list[str]:
    """C statements setting `int g`, the row's slot: its keys' mixed-radix number, or the hash
    table slot its key tuple claims (atomicCAS of the row number into an empty slot) or finds
    (a slot whose first row has equal keys), probing linearly."""
    if grouping.hashed is None:
        strides, stride = [], 1
        for _, _, card, _ in reversed(grouping.keys):
            strides.append(stride)
            stride *= card
        number = " + ".join(f"{code} * {s}" for (code, _, _, _), s in zip(grouping.keys, reversed(strides)))
        return [f"int g = {number or '0'};"]
    h = "0x9E3779B97F4A7C15ull"
    for code, _, _ in grouping.keys:
        h = f"mix({h} ^ (unsigned long long)(long long){code})"
    equal = " && ".join(f"(long long){at} == (long long){code}" for code, at, _ in grouping.keys)
    return [f"unsigned long long h = {h} & hmask;", "while (true) {",
            "    int prev = hslots[h];",
            "    if (prev == -1) prev = atomicCAS(&hslots[h], -1, (int)i);",
            f"    if (prev == -1 || ({equal})) break;", "    h = (h + 1) & hmask;", "}", "int g = (int)h;"]


def _run(xp, src: RowSource, grouping: _Grouping, terms: list[str], values: list[str], width: int, n: int):
    slots = grouping.slots
    halves = ["1ull"] + [t for v in values for t in (f"(unsigned long long)({v} & {_LOW32}LL)",
                                                     f"(unsigned long long)({v} >> 32)")]
    decl = src.declarations()
    if grouping.hashed is not None:
        decl += ", int* __restrict__ hslots, unsigned long long hmask"
    words = slots * width
    per_thread = slots * (1 + len(values))
    block, setup, spill = _BLOCK, "", ""
    holder = "extern __shared__ unsigned long long acc[];"
    begin = f"for (int i = threadIdx.x; i < {words}; i += blockDim.x) acc[i] = 0ull;\n    __syncthreads();"
    end = f"""__syncthreads();
    for (int i = threadIdx.x; i < {words}; i += blockDim.x) {{
        if (acc[i]) atomicAdd(&out[i], acc[i]);
    }}"""
    accumulate = [f"unsigned long long* a = acc + (long long)g * {width};"] + [
        f"atomicAdd(&a[{j}], {t});" for j, t in enumerate(halves)]
    if grouping.hashed is not None or words > _SHARED_WORDS:
        holder, begin, end, words = "unsigned long long* acc = out;", "", "", 0
    elif per_thread <= _THREAD_WORDS:
        block = _THREAD_BLOCK
        mine = f"long long* mine = (long long*)(acc + {words}) + (long long)g * {1 + len(values)} * {block} + threadIdx.x;"
        setup = (f"for (int k = 0; k < {per_thread}; ++k) ((long long*)(acc + {words}))[k * {block} + threadIdx.x] = 0;"
                 "\n    __syncthreads();")
        accumulate = [mine, "mine[0] += 1;"] + [
            f"mine[{(1 + j) * block}] = add_or_move(mine[{(1 + j) * block}], {v}, acc + g * {width} + {1 + 2 * j});"
            for j, v in enumerate(values)]
        spill = f"""__syncthreads();
    for (int k = 0; k < {per_thread}; ++k) {{
        long long v = ((long long*)(acc + {words}))[k * {block} + threadIdx.x];
        int g = k / {1 + len(values)}, j = k % {1 + len(values)};
        if (j == 0) {{ if (v) atomicAdd(&acc[g * {width}], (unsigned long long)v); }}
        else move_sum(v, acc + g * {width} + 2 * j - 1);
    }}"""
    rows = row_body(src, terms, [*_group(grouping), *src.lines, *accumulate])
    code = MIX + _HELPERS + f"""
extern "C" __global__ void warpdb_group_agg(long long n{decl},
        unsigned long long* out, int* flags) {{
    {holder}
    {begin}
    {setup}
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += stride) {{
        {rows}
    }}
    {spill}
    {end}
}}
"""
    kernel = compiled(code, lambda: xp.RawKernel(code, "warpdb_group_agg"))
    table = xp.zeros(slots * width, dtype=xp.uint64)
    flags = xp.zeros(1, dtype=xp.int32)
    if n:
        args = src.arguments()
        if grouping.hashed is not None:
            args += [grouping.hashed, np.uint64(slots - 1)]
        shared = 8 * (words + (per_thread * block if block == _THREAD_BLOCK else 0))
        grid = grid_for(xp, kernel, block, shared, n)
        kernel((grid,), (block,), (np.int64(n), *args, table, flags), shared_mem=shared)
    return table.reshape(slots, width), flags


def _finish(xp, node, grouping: _Grouping, plan, table, width, batch: Batch) -> Batch:
    counts = table[:, 0].view(xp.int64)
    rows = C.true_rows(xp, counts > 0) if grouping.keys else xp.zeros(1, dtype=xp.int64)
    cnt = counts[rows]
    if grouping.hashed is None:
        out = {cid: (col, None, False) for cid, col in _numbered_keys(xp, node, grouping, rows).items()}
    else:
        out = _hashed_keys(xp, node, grouping, rows, batch)
    for f, step in zip(node.schema[len(node.keys):], plan):
        if step[0] in ("count", "count_if"):
            j = step[-1]
            counted = cnt.copy() if step[0] == "count" else (table[rows, 1 + 2 * j] + (table[rows, 2 + 2 * j] << 32)).view(xp.int64)
            out[f.cid] = (Column(T.INT64, counted, None), None, False)
            continue
        _, j, arg_t, t = step
        hi, lo = R.split_sums_to_hi_lo(xp, table[rows, 2 + 2 * j].view(xp.int64), table[rows, 1 + 2 * j])
        has = cnt > 0
        if step[0] == "sum":
            col = exact_sum_column(xp, (hi, lo, has), t)
        else:
            col = avg_from_exact(xp, hi, lo, cnt, has, arg_t)
        out[f.cid] = (col, None, False)
    return Batch(None, int(rows.shape[0]), xp, out)


def _numbered_keys(xp, node, grouping: _Grouping, rows) -> dict[int, Column]:
    """The key columns of the direct table's used slots `rows`, decoded from their numbers."""
    out: dict[int, Column] = {}
    stride = 1
    codes = []
    for _, base, card, lo in reversed(grouping.keys):
        codes.append(((rows // stride) % card, base, lo))
        stride *= card
    for f, (code, base, lo) in zip(node.schema, reversed(codes)):
        if f.dtype.kind is Kind.BOOL:
            out[f.cid] = Column(T.BOOL, code == 1, None)
        elif lo is not None:
            out[f.cid] = Column(f.dtype, (code + lo).astype(T.device_dtype(f.dtype)), None)
        else:
            out[f.cid] = Column(T.VARCHAR, code.astype(np.int32), None, base.dictionary, base.dict_sorted)
    return out


def _hashed_keys(xp, node, grouping: _Grouping, rows, batch: Batch) -> dict:
    """The key columns of the hash table's used slots `rows`: each slot's first batch row, read
    through the key columns' row indices (composed, not gathered)."""
    first = grouping.hashed[rows].astype(np.int64)
    keys = batch.renamed({f.cid: cid for f, (_, _, cid) in zip(node.schema, grouping.keys)}).take(xp, first, False)
    return {f.cid: keys.source(f.cid) for f in node.schema[:len(grouping.keys)]}
