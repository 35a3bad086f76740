"""Scatter reductions into few slots on the GPU, privatized in shared memory.

Adding 60M rows into 4 groups with global atomics serializes on 4 addresses; here every block
first reduces into its own shared-memory copy of the slots and then adds that copy to the output
once. Used for targets of at most ``MAX_SLOTS`` entries; the results equal NumPy's ``ufunc.at``
(integer adds wrap in 64 bits; float adds are in an unspecified order).
"""
from __future__ import annotations

import numpy as np

from warpdb.kernels.jit import compiled

MAX_SLOTS = 2048
_BLOCK = 256
_GRID = 264

_OPS = {
    ("add", "uint64"): ("unsigned long long", "atomicAdd", "0ull"),
    ("add", "int64"): ("unsigned long long", "atomicAdd", "0ull"),
    ("add", "float64"): ("double", "atomicAdd", "0.0"),
    ("min", "int64"): ("long long", "atomicMin", "9223372036854775807ll"),
    ("max", "int64"): ("long long", "atomicMax", "(-9223372036854775807ll - 1)"),
}

_SRC = r"""
extern "C" __global__ void NAME(const long long* idx, const T* vals, long long n, int slots, T* out) {
    extern __shared__ unsigned char raw[];
    T* acc = (T*)raw;
    for (int i = threadIdx.x; i < slots; i += blockDim.x) acc[i] = INIT;
    __syncthreads();
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += stride) {
        ATOMIC(&acc[idx[i]], VALUE);
    }
    __syncthreads();
    for (int i = threadIdx.x; i < slots; i += blockDim.x) {
        if (acc[i] != INIT) ATOMIC(&out[i], acc[i]);
    }
}
"""


_COUNT_SRC = r"""
extern "C" __global__ void count_ids(const long long* idx, long long n, unsigned long long* out) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += stride) {
        atomicAdd(&out[idx[i]], 1ull);
    }
}
"""


def count_many(xp, idx, n_slots: int):
    """int64 counts of each value of ``idx`` in [0, n_slots) with global atomics: for more slots
    than shared memory holds, where contention is low (CuPy's bincount uses a histogram kernel
    that is slow for millions of bins)."""
    out = xp.zeros(n_slots, dtype=np.uint64)
    n = int(idx.shape[0])
    if n:
        kernel = compiled(_COUNT_SRC, lambda: xp.RawKernel(_COUNT_SRC, "count_ids"))
        grid = min(4 * _GRID, (n + _BLOCK - 1) // _BLOCK)
        kernel((grid,), (_BLOCK,), (xp.ascontiguousarray(idx.astype(np.int64, copy=False)), np.int64(n), out))
    return out.view(np.int64)


def supports(target, op: str) -> bool:
    """Whether ``scatter(op)`` into ``target`` has a privatized kernel."""
    return target.shape[0] <= MAX_SLOTS and (op, target.dtype.name) in _OPS


def _kernel(xp, op: str, dtype: str, counting: bool):
    ctype, atomic, init = _OPS[(op, dtype)]
    name = f"priv_{op}_{dtype}{'_count' if counting else ''}"
    src = (_SRC.replace("NAME", name).replace("ATOMIC", atomic).replace("INIT", init)
           .replace("VALUE", "(T)1" if counting else "vals[i]").replace("T", ctype))
    return compiled(src, lambda: xp.RawKernel(src, name))


def scatter(xp, op: str, target, idx, vals) -> None:
    """In place ``target[idx[i]] = op(target[idx[i]], vals[i])``; ``vals`` None counts rows (add 1)."""
    n = int(idx.shape[0])
    if n == 0:
        return
    dtype = target.dtype.name
    ctype_dtype = np.uint64 if (op, dtype) == ("add", "int64") else target.dtype
    out = target.view(ctype_dtype)
    idx = idx.astype(np.int64, copy=False)
    v = out if vals is None else xp.ascontiguousarray(vals.astype(ctype_dtype, copy=False))
    grid = min(_GRID, (n + _BLOCK - 1) // _BLOCK)
    _kernel(xp, op, dtype, vals is None)(
        (grid,), (_BLOCK,), (xp.ascontiguousarray(idx), v, np.int64(n), np.int32(target.shape[0]), out),
        shared_mem=int(target.shape[0]) * 8)
