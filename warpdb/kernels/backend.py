"""Backend array modules: numpy on the host, cupy on a CUDA device."""
from __future__ import annotations

import numpy as np

from warpdb.errors import NotSupported
from warpdb.kernels import privatized
from warpdb.kernels.jit import compiled


def gpu_available() -> bool:
    """True when cupy imports and sees at least one CUDA device."""
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def array_module(device: str):
    """The array module for ``device``: numpy for "cpu", cupy for "gpu"."""
    if device == "cpu":
        return np
    if device != "gpu":
        raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'gpu'")
    try:
        import cupy
    except ImportError as exc:
        raise NotSupported("GPU backend: cupy is not installed") from exc
    if not gpu_available():
        raise NotSupported("GPU backend: no CUDA device is available")
    return cupy


def to_host(xp, arr) -> np.ndarray:
    """``arr`` as a numpy array (a copy off the device for cupy)."""
    if xp is np:
        return np.asarray(arr)
    return xp.asnumpy(arr)


def fetch(xp, arrays: list) -> dict[int, np.ndarray]:
    """Host copies of device arrays (keyed by `id`; NumPy arrays as they are), moved in one
    transfer: their bytes are packed into one device buffer first (widest items first, so every
    piece stays aligned), so a query's result columns cost one round trip, not one each."""
    if xp is np or not arrays:
        return {id(a): np.asarray(a) for a in arrays}
    out = {id(a): a for a in arrays if isinstance(a, np.ndarray)}
    arrays = [a for a in arrays if not isinstance(a, np.ndarray)]
    if not arrays:
        return out
    arrays = sorted(arrays, key=lambda a: -a.dtype.itemsize)
    parts = [xp.ascontiguousarray(a).reshape(-1).view(np.uint8) for a in arrays]
    packed = xp.concatenate(parts).get() if any(p.shape[0] for p in parts) else np.zeros(0, np.uint8)
    start = 0
    for a, part in zip(arrays, parts):
        size = int(part.shape[0])
        out[id(a)] = packed[start:start + size].view(a.dtype).reshape(a.shape)
        start += size
    return out


def send(xp, arrays: list) -> dict[int, object]:
    """Device copies of host arrays (keyed by `id`), moved in one transfer: their bytes packed into
    one host buffer (widest items first, so every piece stays aligned) and the pieces viewed out of
    one device buffer — `fetch` the other way."""
    if xp is np or not arrays:
        return {id(a): np.asarray(a) for a in arrays}
    arrays = sorted(arrays, key=lambda a: -a.dtype.itemsize)
    parts = [np.ascontiguousarray(a).reshape(-1).view(np.uint8) for a in arrays]
    packed = xp.asarray(np.concatenate(parts))
    out, start = {}, 0
    for a, part in zip(arrays, parts):
        size = int(part.shape[0])
        out[id(a)] = packed[start:start + size].view(a.dtype).reshape(a.shape)
        start += size
    return out


def minus_ones(xp, n: int, dtype):
    """`n` -1s of a signed integer dtype; on the GPU one memset (every byte 0xFF), not a kernel."""
    if xp is np:
        return np.full(n, -1, dtype=dtype)
    out = xp.empty(n, dtype=dtype)
    if out.nbytes:
        xp.cuda.runtime.memsetAsync(out.data.ptr, 0xFF, out.nbytes, xp.cuda.get_current_stream().ptr)
    return out


def host_ints(xp, *values) -> list[int]:
    """Device 0-d integer results (e.g. a min and a max) as Python ints, in one transfer: one small
    kernel copies them into one array (CuPy's stack costs several launches)."""
    if xp is np:
        return [int(v) for v in values]
    arrays = [v for v in values if isinstance(v, xp.ndarray)]
    if not arrays:
        return [int(v) for v in values]
    types = tuple(a.dtype.name for a in arrays)
    kernel = compiled(("host_ints", types), lambda: xp.RawKernel(_pack_source(types), "warpdb_pack"))
    out = xp.empty(len(arrays), dtype=np.int64)
    kernel((1,), (1,), (*arrays, out))
    got = iter(out.get().tolist())
    return [next(got) if isinstance(v, xp.ndarray) else int(v) for v in values]


# The C type of each dtype, as generated kernels declare their arrays.
C_TYPES = {"bool": "bool", "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
           "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
           "uint64": "unsigned long long", "float32": "float", "float64": "double"}


def _pack_source(types: tuple) -> str:
    params = ", ".join(f"const {C_TYPES[t]}* a{k}" for k, t in enumerate(types))
    body = " ".join(f"out[{k}] = (long long)a{k}[0];" for k in range(len(types)))
    return f'extern "C" __global__ void warpdb_pack({params}, long long* out) {{ {body} }}'


def _scatter(xp, name: str, target, idx, vals) -> None:
    """In place ``target[idx[i]] = op(target[idx[i]], vals[i])``, duplicates allowed."""
    if xp is np:
        getattr(np, {"add": "add", "min": "minimum", "max": "maximum"}[name]).at(target, idx, vals)
    elif privatized.supports(target, name):
        privatized.scatter(xp, name, target, idx, vals)
    else:
        import cupyx

        getattr(cupyx, f"scatter_{name}")(target, idx, vals)


def scatter_add(xp, target, idx, vals) -> None:
    _scatter(xp, "add", target, idx, vals)


def scatter_min(xp, target, idx, vals) -> None:
    _scatter(xp, "min", target, idx, vals)


def scatter_max(xp, target, idx, vals) -> None:
    _scatter(xp, "max", target, idx, vals)


def bincount(xp, idx, n: int):
    """int64 counts of each value of ``idx`` (non-negative ints below ``n``), length ``n``."""
    if idx.shape[0] == 0:
        return xp.zeros(n, dtype=xp.int64)
    if xp is np:
        return np.bincount(idx, minlength=n).astype(np.int64, copy=False)
    if n <= privatized.MAX_SLOTS:
        out = xp.zeros(n, dtype=xp.int64)
        privatized.scatter(xp, "add", out, idx, None)
        return out
    return privatized.count_many(xp, idx, n)


def distinct_sorted(xp, a):
    """The distinct values of a 1-D array in ascending order; on NumPy by one sort (NumPy 2's
    hash-based unique costs several times that on the small arrays this serves)."""
    if xp is not np:
        return xp.unique(a)
    s = np.sort(a)
    keep = np.empty(s.shape[0], bool)
    keep[:1] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def stable_argsort(xp, a):
    """Stable ascending argsort of a 1-D array, as int64."""
    return xp.argsort(a, kind="stable").astype(xp.int64, copy=False)
