"""Gathers: the rows of a 1-D array at an int64 index, where index -1 (a NULL row) may give a fill
value. On the GPU one small CUDA kernel per item size, which costs a launch, where CuPy's general
fancy indexing (negative-index wrapping, shape handling) costs several times that on the host;
NumPy's indexing on the CPU."""
from __future__ import annotations

import numpy as np

from .jit import compiled

_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
_CTYPES = {1: "unsigned char", 2: "unsigned short", 4: "unsigned int", 8: "unsigned long long"}
_BLOCK = 256
_MAX_GRID = 4096
_SRC = r"""
extern "C" __global__ void warpdb_gather(const {t}* __restrict__ src, const long long* __restrict__ idx,
        {t}* __restrict__ out, long long n, int nulls, {t} fill) {{
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += stride) {{
        long long j = idx[i];
        out[i] = (nulls && j < 0) ? fill : src[j];
    }}
}}
"""


def take(xp, arr, idx):
    """arr[idx] (every index in range)."""
    if xp is np:
        return arr[idx]
    return _gather(xp, arr, idx, None)


def take_or(xp, arr, idx, fill):
    """arr[idx], with `fill` where the index is -1."""
    if xp is np:
        neg = idx < 0
        if arr.shape[0] == 0:
            return np.full(idx.shape[0], fill, dtype=arr.dtype)
        return np.where(neg, arr.dtype.type(fill), arr[np.where(neg, 0, idx)])
    return _gather(xp, arr, idx, fill)


def _gather(xp, arr, idx, fill):
    width = arr.dtype.itemsize
    if width not in _CTYPES or arr.ndim != 1:
        raise TypeError(f"gather of a {arr.ndim}-D array of {arr.dtype}")
    n = int(idx.shape[0])
    out = xp.empty(n, dtype=arr.dtype)
    if n == 0:
        return out
    if not arr.flags.c_contiguous:
        arr = xp.ascontiguousarray(arr)
    if idx.dtype != np.int64 or not idx.flags.c_contiguous:
        idx = xp.ascontiguousarray(idx, dtype=np.int64)
    src = _SRC.format(t=_CTYPES[width])
    kernel = compiled(("gather", width), lambda: xp.RawKernel(src, "warpdb_gather"))
    raw = np.array([0 if fill is None else fill], dtype=arr.dtype).view(_UNSIGNED[width])[0]
    grid = min(_MAX_GRID, (n + _BLOCK - 1) // _BLOCK)
    kernel((grid,), (_BLOCK,), (arr, idx, out, np.int64(n), np.int32(fill is not None), raw))
    return out
