"""Stream compaction: the positions of the rows where a predicate holds, in order, as int64.

`true_rows` compacts a boolean mask; `rows_where` evaluates a C predicate over columns in the same
kernel, so no mask is written or read. On the GPU one generated kernel runs twice over the rows, a
block taking 4096 rows as 16 steps of 256 (coalesced reads): the first pass counts each block's
matching rows (a warp ballot per step), an inclusive prefix sum of the block counts gives every
block its output offset and the total (the one round trip, to size the output), and the second
pass writes each matching row's position at its block's offset plus its rank among the block's
earlier matches — the steps' and warps' ballot counts scanned in shared memory, then its lane's
bits below it — so consecutive lanes write consecutive positions (coalesced writes). CuPy's
nonzero builds and rescans a per-element prefix array instead, several times slower on
lineitem-sized masks. The CPU twin is NumPy's flatnonzero.
"""
from __future__ import annotations

import numpy as np

from .backend import C_TYPES, host_ints
from .jit import compiled

_THREADS = 256
_STEPS = 16
_PER_BLOCK = _THREADS * _STEPS


def _source(params: str, loads: str, predicate: str) -> str:
    return f"""
extern "C" __global__ void compact_rows(long long n{params}, int write, long long* __restrict__ counts,
                                        long long* __restrict__ out) {{
    __shared__ int ranks[{_STEPS} * 8];
    long long base = (long long)blockIdx.x * {_PER_BLOCK};
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    unsigned int ballots[{_STEPS}];
    #pragma unroll
    for (int k = 0; k < {_STEPS}; ++k) {{
        long long i = base + k * {_THREADS} + threadIdx.x;
        bool keep = false;
        if (i < n) {{
            {loads}
            keep = {predicate};
        }}
        ballots[k] = __ballot_sync(0xFFFFFFFFu, keep);
        if (lane == 0) ranks[k * 8 + warp] = __popc(ballots[k]);
    }}
    __syncthreads();
    if (warp == 0) {{
        int v0 = ranks[4 * lane], v1 = ranks[4 * lane + 1], v2 = ranks[4 * lane + 2], v3 = ranks[4 * lane + 3];
        int mine = v0 + v1 + v2 + v3, incl = mine;
        for (int d = 1; d < 32; d <<= 1) {{
            int v = __shfl_up_sync(0xFFFFFFFFu, incl, d);
            if (lane >= d) incl += v;
        }}
        int excl = incl - mine;
        ranks[4 * lane] = excl;
        ranks[4 * lane + 1] = excl + v0;
        ranks[4 * lane + 2] = excl + v0 + v1;
        ranks[4 * lane + 3] = excl + v0 + v1 + v2;
        if (lane == 31 && !write) counts[blockIdx.x] = incl;
    }}
    __syncthreads();
    if (!write) return;
    long long at = blockIdx.x ? counts[blockIdx.x - 1] : 0;
    unsigned int below = (1u << lane) - 1u;
    #pragma unroll
    for (int k = 0; k < {_STEPS}; ++k) {{
        if ((ballots[k] >> lane) & 1u)
            out[at + ranks[k * 8 + warp] + __popc(ballots[k] & below)] = base + k * {_THREADS} + threadIdx.x;
    }}
}}
"""


def rows_where(xp, n: int, predicate: str, columns: list[tuple[str, object]]):
    """Positions (int64, ascending) of the rows i < n where the C boolean expression `predicate`
    holds; it names each column of `columns` [(name, 1-D device array of n values)] as its value
    at the row. GPU only."""
    params = "".join(f", const {C_TYPES[a.dtype.name]}* __restrict__ {name}_" for name, a in columns)
    loads = " ".join(f"{C_TYPES[a.dtype.name]} {name} = {name}_[i];" for name, a in columns)
    if n == 0:
        return xp.zeros(0, dtype=np.int64)
    source = _source(params, loads, predicate)
    kernel = compiled(source, lambda: xp.RawKernel(source, "compact_rows"))
    blocks = -(-n // _PER_BLOCK)
    arrays = [a for _, a in columns]
    counts = xp.empty(blocks, dtype=np.int64)
    kernel((blocks,), (_THREADS,), (np.int64(n), *arrays, np.int32(0), counts, counts))
    ends = xp.cumsum(counts)
    (total,) = host_ints(xp, ends[-1])
    out = xp.empty(total, dtype=np.int64)
    if total:
        kernel((blocks,), (_THREADS,), (np.int64(n), *arrays, np.int32(1), ends, out))
    return out


def true_rows(xp, mask):
    """Positions of the True entries of a 1-D bool array, ascending, int64."""
    if xp is np:
        return np.flatnonzero(mask).astype(np.int64, copy=False)
    return rows_where(xp, int(mask.shape[0]), "m", [("m", xp.ascontiguousarray(mask))])
