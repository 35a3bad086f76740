"""The CUDA source of warpdb.kernels.parquet_decode compiled as C++ (g++) with each warp emulated by
32 threads in lockstep at its shuffles, votes and warp barriers, so the kernels' logic runs on a
machine with no GPU; and a stand-in for a GPU loader lane whose "device" arrays are host arrays."""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import shutil
import subprocess
import tempfile
import types
from pathlib import Path

import numpy as np

from warpdb.kernels import parquet_decode as K

_SHIM = r"""
#include <barrier>
#include <thread>
#include <vector>
#define WARPDB_EMULATED
#define WARPS 1
#define WARP 0
static long long g_page;
static thread_local int t_lane;
static std::barrier<>* g_bar;
static long long g_x[32];
#define LANE t_lane
#define STEP 32
#define PAGE g_page
static inline void sync_() { g_bar->arrive_and_wait(); }
#define SYNC() sync_()
static inline long long shfl_(long long v, int from) { g_x[t_lane] = v; sync_(); long long r = g_x[from]; sync_(); return r; }
#define SHFL(v, from) shfl_((long long)(v), (from))
static inline int all_(int p) { g_x[t_lane] = p; sync_(); int r = 1; for (int i = 0; i < 32; i++) r &= g_x[i] != 0; sync_(); return r; }
#define ALL(p) all_(p)
#define POPC(m) __builtin_popcount(m)
static inline long long scan_(long long v) { g_x[t_lane] = v; sync_(); long long r = 0; for (int i = 0; i <= t_lane; i++) r += g_x[i]; sync_(); return r; }
#define SCAN(v) scan_(v)
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
static inline int atomicOr(int* p, int v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }
"""
_DRIVER = r"""
template <typename F> static void warp(F f) {
    std::barrier<> bar(32);
    g_bar = &bar;
    std::vector<std::thread> lanes;
    for (int l = 0; l < 32; l++) lanes.emplace_back([&, l] { t_lane = l; f(); });
    for (auto& t : lanes) t.join();
}
extern "C" void run(const i64* t, i64 pages, int* err) {
    for (g_page = 0; g_page < pages; g_page++) warp([&] { snappy_pages(t, pages, err); });
    for (g_page = 0; g_page < pages; g_page++) warp([&] { decode_pages(t, pages, err); });
}
"""
_LIBRARY = None


def available() -> bool:
    """Whether a C++20 compiler is here to build the emulation."""
    return shutil.which("g++") is not None


def _library():
    global _LIBRARY
    if _LIBRARY is None:
        source = _SHIM + K.SOURCE + _DRIVER
        so = Path(tempfile.gettempdir()) / f"warpdb_pages_{hashlib.md5(source.encode()).hexdigest()}.so"
        if not so.exists():
            cpp = so.with_suffix(".cpp")
            cpp.write_text(source)
            subprocess.run(["g++", "-std=c++20", "-O1", "-shared", "-fPIC", "-pthread", "-o", str(so), str(cpp)],
                           check=True)
        _LIBRARY = ctypes.CDLL(str(so))
    return _LIBRARY


class DeviceArray(np.ndarray):
    """A host array that answers `.data.ptr` as a CuPy array does."""

    @property
    def data(self):
        return types.SimpleNamespace(ptr=self.ctypes.data)


class _Arrays:
    def empty(self, shape, dtype):
        return np.empty(shape, dtype).view(DeviceArray)


class Lane:
    """A GPU loader lane stand-in: one staging buffer, copies made at flush."""

    def __init__(self, capacity: int = 1 << 20):
        self.cp, self.stream = _Arrays(), contextlib.nullcontext()
        self.buffer, self.used, self.pending = np.empty(capacity, np.uint8), 0, []
        self.pages, self.unz, self.page_count, self.held = [], 0, 0, []

    @property
    def capacity(self) -> int:
        return len(self.buffer)

    def reserve(self, n: int):
        if n > self.capacity:
            return None
        if self.capacity - self.used < n:
            self.flush()
        view = self.buffer[self.used : self.used + n]
        self.used += n
        return view

    def send(self, dest, view) -> None:
        self.pending.append((dest, view))

    def flush(self) -> None:
        for dest, view in self.pending:
            np.asarray(dest)[:] = view
        self.pending, self.used = [], 0

    def add_pages(self, table, unz: int, path: str) -> None:
        self.pages.append(table)
        self.unz += unz
        self.page_count += len(table)


def decode(lane: Lane) -> np.ndarray:
    """What CudaTransfers.finish does for the lane's pages, the kernels emulated: each page's error word."""
    lane.flush()
    if not lane.pages:
        return np.zeros(0, np.int32)
    table = np.concatenate(lane.pages)
    buffer = np.empty(max(lane.unz, 8), np.uint8)
    table[table[:, K.UNZ] >= 0, K.UNZ] += buffer.ctypes.data
    error = np.zeros(len(table), np.int32)
    _library().run(ctypes.c_void_p(table.ctypes.data), ctypes.c_longlong(len(table)), ctypes.c_void_p(error.ctypes.data))
    lane.pages, lane.unz, lane.page_count, lane.held = [], 0, 0, []
    return error
