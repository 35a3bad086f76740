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
  head); one probe counts each row's matches and notes its chain head, a prefix sum places them,
  and when no probe row matched twice (the usual key join) the heads are the pairs; otherwise a
  second probe writes them, a probe row's matches in chain order, which varies from run to run
  (as in any parallel hash join; SQL gives join output no order).
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


def _chain_probe_kernel(xp, probe: KeySide, build: KeySide):
    return compiled(("hash_chain_probe", _signature(probe), _signature(build)),
                    lambda: xp.RawKernel(_chain_probe_source(probe, build), "hash_chain_probe"))


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


_CHAIN_COUNT_OR_WRITE = ["head = s;", "for (int k = s; k != -1; k = next[k]) {",
                         "    if (write) { pi[at + found] = j; bi[at + found] = k; }", "    ++found;", "}"]


def _chain_probe_source(probe: KeySide, build: KeySide) -> str:
    """`write` 0: each probe row's match count into `counts` and its chain head (or -1) into `pi`,
    and `multi[0]` = 1 when some row matched more than once; `write` 1: its pairs into `pi`/`bi`
    from offset `counts[j]`."""
    pr = _row("p", probe, "j")
    src = MIX + f"""
extern "C" __global__ void hash_chain_probe(long long n, {_params("p", probe)}, {_params("b", build)},
        const unsigned long long* __restrict__ slots, const int* __restrict__ next, unsigned long long mask, int write,
        long long* counts, long long* pi, long long* bi, int* multi) {{
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < n; j += stride) {{
        long long r = {pr};
        long long at = write ? counts[j] : 0;
        long long found = 0;
        int head = -1;
        if ({_valid("p", probe, "r")}) {{
            {_lookup(probe, build, 12, _CHAIN_COUNT_OR_WRITE)}
        }}
        if (!write) {{ counts[j] = found; pi[j] = head; if (found > 1) multi[0] = 1; }}
    }}
}}
"""
    return src


_COMPACT = r"""
extern "C" __global__ void hash_compact(long long n, const long long* __restrict__ counts,
        const long long* __restrict__ ends, const long long* __restrict__ heads, long long* pi, long long* bi) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < n; j += stride) {
        if (counts[j]) { long long k = ends[j] - 1; pi[k] = j; bi[k] = heads[j]; }
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
    """Every inner pair `(pi, bi)` (int64) in probe order. When each probe row matches at most one
    build row, the pairs come from the counting probe (one probe pass); otherwise a second probe
    writes them, a probe row's matches in chain order."""
    empty = xp.zeros(0, dtype=np.int64)
    if probe.n == 0 or build.n == 0:
        return empty, empty.copy()
    slots, nxt, mask = _table(xp, build, chain=True)
    probe_kernel = _chain_probe_kernel(xp, probe, build)
    counts, heads = xp.empty(probe.n, dtype=np.int64), xp.empty(probe.n, dtype=np.int64)
    multi = xp.zeros(1, dtype=np.int32)
    args = (np.int64(probe.n), *_args(xp, probe), *_args(xp, build), slots, nxt, mask)
    probe_kernel(_grid(probe.n), (_BLOCK,), (*args, np.int32(0), counts, heads, empty, multi))
    ends = xp.cumsum(counts)
    total, repeated = host_ints(xp, ends[-1], multi[0])
    pi, bi = xp.empty(total, dtype=np.int64), xp.empty(total, dtype=np.int64)
    if not repeated:
        if total:
            kernel = compiled(_COMPACT, lambda: xp.RawKernel(_COMPACT, "hash_compact"))
            kernel(_grid(probe.n), (_BLOCK,), (np.int64(probe.n), counts, ends, heads, pi, bi))
    else:
        probe_kernel(_grid(probe.n), (_BLOCK,), (*args, np.int32(1), ends - counts, pi, bi, multi))
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
