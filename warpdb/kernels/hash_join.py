"""GPU hash joins over raw integer key columns read through row indices (no gathers, no key ids).

A side is `KeySide`: its key columns (values, valid or None) over base rows, plus an optional row
index into them (-1 is a NULL row). The build side's rows go into an open-addressing table of row
numbers (linear probing; a slot is claimed with atomicCAS of a 64-bit entry holding the key's
fingerprint — its hash's high half — over the row number, and keys are compared by reading the
build columns at the stored row, so any number of key columns works, but only where the
fingerprints agree: a probe passing other keys' slots reads nothing but the table); the probe side
looks each row up. NULL keys never match. Two operations:

- `pairs`: every inner pair (probe row, build row) in probe order, with one device round trip.
  Equal build keys are chained from their slot (atomicExch pushes a row in front of the slot's
  head); one probe notes each row's chain head and counts each 4096-row block's pairs, a prefix
  sum of the block counts places the blocks, and a write pass (heads and chains only, no second
  probe) writes each row's pairs at its rank in the block — a probe row's matches in chain order,
  which varies from run to run (as in any parallel hash join; SQL gives join output no order).
- `presence`: for each probe row, whether its key tuple occurs on the build side (semi/anti
  joins, key filters) — no round trip; the table is built on the smaller side.
- `matched_with`: the same with a condition on each matching pair (semi/anti joins with a
  residual predicate), evaluated while walking the chains — no pairs are materialized.

The CPU twins are the key-id kernels (`keys.join_key_ids` with `join.inner_pairs` /
`join.unique_build_pairs` / `join.semi_mask`); `tests/test_kernel_parity.py` checks them against
each other.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from warpdb.kernels.backend import host_ints, minus_ones
from warpdb.kernels.jit import compiled

_CTYPES = {"int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
           "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int", "bool": "bool"}
_BLOCK = 256
MAX_BUILD_ROWS = 2**30


@dataclass(frozen=True)
class KeySide:
    """Key columns `(values, valid)` of one join side over base rows, read at `idx` (None: rows
    0..n-1; -1 entries are NULL rows); `n` rows."""

    columns: tuple
    idx: object
    n: int


def readable(array) -> bool:
    """Whether the kernels can read an array of this dtype (integers, bools, codes, dates)."""
    return array.dtype.name in _CTYPES


def supported(side: KeySide) -> bool:
    """Whether the hash kernels can read this side's keys (integer, bool or code columns)."""
    return all(v.dtype.name in _CTYPES for v, _ in side.columns)


def _params(prefix: str, side: KeySide) -> str:
    out = [f"const long long* __restrict__ {prefix}idx"]
    for k, (v, m) in enumerate(side.columns):
        out.append(f"const {_CTYPES[v.dtype.name]}* __restrict__ {prefix}v{k}")
        if m is not None:
            out.append(f"const bool* __restrict__ {prefix}m{k}")
    return ", ".join(out)


def _args(xp, side: KeySide) -> list:
    out = [side.idx if side.idx is not None else xp.zeros(1, dtype=np.int64)]
    for v, m in side.columns:
        out.append(v)
        if m is not None:
            out.append(m)
    return out


def _row(prefix: str, side: KeySide, i: str) -> str:
    return f"({prefix}idx[{i}])" if side.idx is not None else f"((long long)({i}))"


def _valid(prefix: str, side: KeySide, r: str) -> str:
    parts = [f"{r} >= 0"] + [f"{prefix}m{k}[{r}]" for k, (_, m) in enumerate(side.columns) if m is not None]
    return " && ".join(parts)


def _hash(prefix: str, side: KeySide, r: str) -> str:
    h = "0x9E3779B97F4A7C15ull"
    for k in range(len(side.columns)):
        h = f"mix({h} ^ (unsigned long long)(long long){prefix}v{k}[{r}])"
    return h


def _equal(a: str, sa: KeySide, ra: str, b: str, sb: KeySide, rb: str) -> str:
    return " && ".join(f"(long long){a}v{k}[{ra}] == (long long){b}v{k}[{rb}]" for k in range(len(sa.columns)))


# The hash every table here uses (splitmix64's finalizer); also the fused aggregate's hashed groups.
MIX = """
#define EMPTY 0xFFFFFFFFFFFFFFFFull
__device__ __forceinline__ unsigned long long mix(unsigned long long x) {
    x ^= x >> 30; x *= 0xBF58476D1CE4E5B9ull; x ^= x >> 27; x *= 0x94D049BB133111EBull; return x ^ (x >> 31);
}
"""


def _signature(side: KeySide) -> tuple:
    """What a kernel's source depends on: whether rows go through an index, and each key column's
    type and whether it has a validity array (the kernel cache key, so no source is rebuilt)."""
    return (side.idx is not None, tuple((v.dtype.name, m is not None) for v, m in side.columns))


def _build_kernel(xp, build: KeySide, chain: bool):
    return compiled(("hash_build", chain, _signature(build)),
                    lambda: xp.RawKernel(_build_source(build, chain), "hash_build"))


def _heads_kernel(xp, probe: KeySide, build: KeySide):
    return compiled(("hash_heads", _signature(probe), _signature(build)),
                    lambda: xp.RawKernel(_heads_source(probe, build), "hash_heads"))


def _probe_kernel(xp, probe: KeySide, build: KeySide, mode: str):
    return compiled(("hash_probe", mode, _signature(probe), _signature(build)),
                    lambda: xp.RawKernel(_probe_source(probe, build, mode), "hash_probe"))


def _lookup(probe: KeySide, build: KeySide, indent: int, found: list[str], declare: bool = True) -> str:
    """C statements finding probe row `r`'s slot: linear probing from its hash until an empty slot,
    or the slot whose entry has the row's fingerprint and whose build row `s` (base row `br`) has
    equal keys, where the statements `found` run and the search stops. `h` holds the slot reached;
    a slot of another key is passed over by its fingerprint, without reading build columns."""
    head = [f"unsigned long long hv = {_hash('p', probe, 'r')};",
            f"{'unsigned long long ' if declare else ''}h = hv & mask;"]
    equal = _equal("p", probe, "r", "b", build, "br")
    lines = [*head, "while (true) {", "    unsigned long long e = slots[h];", "    if (e == EMPTY) break;",
             "    int s = (int)(unsigned int)e;", "    if ((e >> 32) == (hv >> 32)) {",
             f"        long long br = {_row('b', build, 's')};"]
    if len(found) == 1:
        lines.append(f"        if ({equal}) {{ {found[0]} break; }}")
    else:
        lines += [f"        if ({equal}) {{", *(f"            {line}" for line in found), "            break;", "        }"]
    lines += ["    }", "    h = (h + 1) & mask;", "}"]
    return ("\n" + " " * indent).join(lines)


def _build_source(build: KeySide, chain: bool) -> str:
    """Inserts each build row's key: the first row of a key claims a slot (its entry: the hash's
    high 32 bits, the fingerprint, over the row number); with `chain`, a later row of the same key
    becomes the slot's head and links to the previous head through `next`."""
    br = _row("b", build, "i")
    on_equal = "next[i] = (int)(unsigned int)atomicExch(&slots[h], me); break;" if chain else "break;"
    src = MIX + f"""
extern "C" __global__ void hash_build(long long n, {_params("b", build)}, unsigned long long* slots, int* next,
                                      unsigned long long mask) {{
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += stride) {{
        long long r = {br};
        if (!({_valid("b", build, "r")})) continue;
        unsigned long long hv = {_hash("b", build, "r")};
        unsigned long long h = hv & mask, me = (hv & 0xFFFFFFFF00000000ull) | (unsigned int)i;
        while (true) {{
            unsigned long long prev = atomicCAS(&slots[h], EMPTY, me);
            if (prev == EMPTY) break;
            if ((prev >> 32) == (hv >> 32)) {{
                long long pr = {_row("b", build, "(int)(unsigned int)prev")};
                if ({_equal("b", build, "pr", "b", build, "r")}) {{ {on_equal} }}
            }}
            h = (h + 1) & mask;
        }}
    }}
}}
"""
    return src


_ROWS_PER_BLOCK = 4096  # the pair kernels' block: 16 steps of 256 consecutive probe rows


def _heads_source(probe: KeySide, build: KeySide) -> str:
    """Each probe row's chain head (the first build row with its key, or -1) into `heads`, each
    block's number of pairs (its rows' chain lengths summed) into `counts`, and `multi[0]` = 1 when
    some row has more than one match."""
    pr = _row("p", probe, "j")
    found = ["head = s;", "for (int k = s; k != -1; k = next[k]) ++found;"]
    src = MIX + f"""
extern "C" __global__ void hash_heads(long long n, {_params("p", probe)}, {_params("b", build)},
        const unsigned long long* __restrict__ slots, const int* __restrict__ next, unsigned long long mask,
        int* __restrict__ heads, long long* __restrict__ counts, int* __restrict__ multi) {{
    __shared__ long long sums[8];
    long long total = 0;
    bool many = false;
    for (int step = 0; step < 16; ++step) {{
        long long j = (long long)blockIdx.x * {_ROWS_PER_BLOCK} + step * 256 + threadIdx.x;
        if (j >= n) break;
        long long r = {pr};
        long long found = 0;
        int head = -1;
        if ({_valid("p", probe, "r")}) {{
            {_lookup(probe, build, 12, found)}
        }}
        heads[j] = head;
        total += found;
        many |= found > 1;
    }}
    if (many) multi[0] = 1;
    for (int d = 16; d > 0; d >>= 1) total += __shfl_down_sync(0xFFFFFFFFu, total, d);
    if ((threadIdx.x & 31) == 0) sums[threadIdx.x >> 5] = total;
    __syncthreads();
    if (threadIdx.x == 0) {{
        long long block = 0;
        for (int w = 0; w < 8; ++w) block += sums[w];
        counts[blockIdx.x] = block;
    }}
}}
"""
    return src


# Each probe row's pairs (the row, each build row of its chain) written from its place in probe
# order: the block's offset (`ends` of the blocks before) plus the pairs of the block's earlier
# rows — per 256-row step, each warp's pairs (ballot counts when no row has several matches,
# `multi` 0, else a shuffle scan of chain lengths), the steps' and warps' totals scanned in shared
# memory — so with one match a row, consecutive lanes write consecutive pairs.
_PAIRS_WRITE = r"""
__device__ __forceinline__ long long chain_length(int s, const int* next) {
    long long c = 0;
    for (; s != -1; s = next[s]) ++c;
    return c;
}
__device__ __forceinline__ long long warp_inclusive(long long x, int lane) {
    for (int d = 1; d < 32; d <<= 1) {
        long long v = __shfl_up_sync(0xFFFFFFFFu, x, d);
        if (lane >= d) x += v;
    }
    return x;
}
extern "C" __global__ void hash_pairs_write(long long n, const int* __restrict__ heads, const int* __restrict__ next,
        const long long* __restrict__ ends, int multi, long long* __restrict__ pi, long long* __restrict__ bi) {
    __shared__ long long ranks[16 * 8];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    long long base = (long long)blockIdx.x * 4096;
    unsigned int below = (1u << lane) - 1u;
    for (int k = 0; k < 16; ++k) {
        long long j = base + k * 256 + threadIdx.x;
        int head = j < n ? heads[j] : -1;
        long long warp_total;
        if (!multi) warp_total = __popc(__ballot_sync(0xFFFFFFFFu, head >= 0));
        else warp_total = __shfl_sync(0xFFFFFFFFu, warp_inclusive(chain_length(head, next), lane), 31);
        if (lane == 0) ranks[k * 8 + warp] = warp_total;
    }
    __syncthreads();
    if (warp == 0) {
        long long v0 = ranks[4 * lane], v1 = ranks[4 * lane + 1], v2 = ranks[4 * lane + 2], v3 = ranks[4 * lane + 3];
        long long mine = v0 + v1 + v2 + v3, x = warp_inclusive(mine, lane);
        long long excl = x - mine;
        ranks[4 * lane] = excl;
        ranks[4 * lane + 1] = excl + v0;
        ranks[4 * lane + 2] = excl + v0 + v1;
        ranks[4 * lane + 3] = excl + v0 + v1 + v2;
    }
    __syncthreads();
    long long at = blockIdx.x ? ends[blockIdx.x - 1] : 0;
    for (int k = 0; k < 16; ++k) {
        long long j = base + k * 256 + threadIdx.x;
        int head = j < n ? heads[j] : -1;
        if (!multi) {
            unsigned int hit = __ballot_sync(0xFFFFFFFFu, head >= 0);
            if (head >= 0) {
                long long pos = at + ranks[k * 8 + warp] + __popc(hit & below);
                pi[pos] = j;
                bi[pos] = head;
            }
        } else {
            long long c = chain_length(head, next);
            long long pos = at + ranks[k * 8 + warp] + warp_inclusive(c, lane) - c;
            for (int s = head; s != -1; s = next[s]) { pi[pos] = j; bi[pos] = s; ++pos; }
        }
    }
}
"""


def _grid(n: int) -> tuple[int]:
    return (max(1, min(4096, (n + _BLOCK - 1) // _BLOCK)),)


def _table(xp, build: KeySide, chain: bool):
    """The build side's slot table (and its `next` links when `chain`) and the table's mask."""
    capacity = 1 << max(4, (2 * build.n - 1).bit_length())
    slots = minus_ones(xp, capacity, np.int64)
    nxt = minus_ones(xp, build.n if chain else 1, np.int32)
    mask = np.uint64(capacity - 1)
    _build_kernel(xp, build, chain)(_grid(build.n), (_BLOCK,), (np.int64(build.n), *_args(xp, build), slots, nxt, mask))
    return slots, nxt, mask


def pairs(xp, probe: KeySide, build: KeySide):
    """Every inner pair `(pi, bi)` (int64) in probe order, a probe row's matches in chain order:
    one probe pass notes each row's chain head and counts each block's pairs; a prefix sum of the
    block counts (one round trip, for the total and whether any row matched twice) places the
    blocks, and a second pass, reading only the heads and chains, writes each row's pairs there."""
    empty = xp.zeros(0, dtype=np.int64)
    if probe.n == 0 or build.n == 0:
        return empty, empty.copy()
    slots, nxt, mask = _table(xp, build, chain=True)
    blocks = -(-probe.n // _ROWS_PER_BLOCK)
    heads, counts = xp.empty(probe.n, dtype=np.int32), xp.empty(blocks, dtype=np.int64)
    multi = xp.zeros(1, dtype=np.int32)
    _heads_kernel(xp, probe, build)((blocks,), (256,), (np.int64(probe.n), *_args(xp, probe), *_args(xp, build),
                                                        slots, nxt, mask, heads, counts, multi))
    ends = xp.cumsum(counts)
    total, repeated = host_ints(xp, ends[-1], multi[0])
    pi, bi = xp.empty(total, dtype=np.int64), xp.empty(total, dtype=np.int64)
    if total:
        kernel = compiled(_PAIRS_WRITE, lambda: xp.RawKernel(_PAIRS_WRITE, "hash_pairs_write"))
        kernel((blocks,), (256,), (np.int64(probe.n), heads, nxt, ends, np.int32(repeated), pi, bi))
    return pi, bi


_MODES = {
    # mode: (value when the key is found, store)
    "found": ("true", "out[j] = found;"),
    "mark": ("true", "if (found) out[h] = true;"),
    "marked": ("seen[h]", "out[j] = found;"),
}


def _probe_source(probe: KeySide, build: KeySide, mode: str) -> str:
    """Looks each probe row up in the build side's table; `mode` says what it writes: whether a
    match exists ("found"), a flag on the matched slot ("mark") or the flag of its slot ("marked")."""
    pr = _row("p", probe, "j")
    hit, store = _MODES[mode]
    src = MIX + f"""
extern "C" __global__ void hash_probe(long long n, {_params("p", probe)}, {_params("b", build)},
        const unsigned long long* __restrict__ slots, unsigned long long mask, const bool* seen, bool* out) {{
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < n; j += stride) {{
        long long r = {pr};
        bool found = false;
        unsigned long long h = 0;
        if ({_valid("p", probe, "r")}) {{
            {_lookup(probe, build, 12, [f"found = {hit};"], declare=False)}
        }}
        {store}
    }}
}}
"""
    return src


def _probe(xp, probe: KeySide, build: KeySide, slots, mask, mode: str, seen=None, out=None):
    if out is None:
        out = xp.empty(probe.n, dtype=bool)
    kernel = _probe_kernel(xp, probe, build, mode)
    kernel(_grid(probe.n), (_BLOCK,), (np.int64(probe.n), *_args(xp, probe), *_args(xp, build), slots, mask,
                                       seen if seen is not None else out, out))
    return out


def presence(xp, probe: KeySide, build: KeySide):
    """bool per probe row: its key tuple occurs among the build rows (NULL never does). The table
    holds the smaller side's distinct keys: when that is the probe side, the build rows flag the
    slots they find and each probe row reads its slot's flag."""
    if probe.n == 0 or build.n == 0:
        return xp.zeros(probe.n, dtype=bool)
    if build.n <= probe.n:
        slots, _, mask = _table(xp, build, chain=False)
        return _probe(xp, probe, build, slots, mask, "found")
    slots, _, mask = _table(xp, probe, chain=False)
    seen = xp.zeros(slots.shape[0], dtype=bool)
    _probe(xp, build, probe, slots, mask, "mark", out=seen)
    return _probe(xp, probe, probe, slots, mask, "marked", seen=seen)


def matched_with(xp, probe: KeySide, build: KeySide, condition: str, columns: list, flag_build: bool):
    """For each row of one side: does some row of the other side have an equal key and satisfy
    `condition`, a C boolean expression over the probe side's batch row `j` and the build side's
    `k`, naming the arrays `columns` [(name, array)]? With `flag_build`, the answer is per build
    row (probe rows flag the chain rows they satisfy), else per probe row. No round trip."""
    n_out = build.n if flag_build else probe.n
    if probe.n == 0 or build.n == 0:
        return xp.zeros(n_out, dtype=bool)
    slots, nxt, mask = _table(xp, build, chain=True)
    decl = "".join(f", const {_CTYPES[a.dtype.name]}* __restrict__ {name}" for name, a in columns)
    hit = "out[k] = true;" if flag_build else "out[j] = true; break;"
    pr = _row("p", probe, "j")
    src = MIX + f"""
extern "C" __global__ void hash_matched_with(long long n, {_params("p", probe)}, {_params("b", build)},
        const unsigned long long* __restrict__ slots, const int* __restrict__ next, unsigned long long mask{decl}, bool* out) {{
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < n; j += stride) {{
        long long r = {pr};
        if (!({_valid("p", probe, "r")})) continue;
        {_lookup(probe, build, 8, ["for (int k = s; k != -1; k = next[k]) {", f"    if ({condition}) {{ {hit} }}", "}"])}
    }}
}}
"""
    out = xp.zeros(n_out, dtype=bool)
    kernel = compiled(src, lambda: xp.RawKernel(src, "hash_matched_with"))
    kernel(_grid(probe.n), (_BLOCK,), (np.int64(probe.n), *_args(xp, probe), *_args(xp, build), slots, nxt, mask,
                                       *[a for _, a in columns], out))
    return out
