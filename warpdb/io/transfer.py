"""Copies into a connection's backend arrays, made by loader threads through lanes (one per thread).

On the CPU backend a lane copies host arrays into NumPy arrays. On the GPU a lane is a non-blocking
CUDA stream with two pinned staging buffers used in turn: host arrays are copied into one buffer,
then sent to the device with asynchronous copies while the other buffer fills; a buffer is refilled
only once the copies out of it have completed. `finish` waits for every lane's copies. The GPU
backend also demotes device arrays to pinned host memory (the page cache's second tier), reads
file bytes straight into device memory with KvikIO where it is installed, and decodes in one launch,
once the copies are done, the Parquet pages the lanes sent (warpdb.io.parquet_gpu).
"""
from __future__ import annotations

import contextlib
import os
import queue
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import ExecutionError
from ..kernels import parquet_decode as K

STAGING_BYTES = 16 << 20  # each of a GPU lane's two pinned staging buffers
GPU_THREADS = 4  # loader threads on the GPU, where the device decodes: more only contend for the GIL
_ALIGN = 256


def transfers(xp, device: str, memory_scope=contextlib.nullcontext):
    """The copier of a connection on `device`; `memory_scope()` is the context in which its loader
    threads allocate device memory (the connection's pool)."""
    return CudaTransfers(xp, memory_scope) if device == "gpu" else HostTransfers(xp, memory_scope)


class HostLane:
    """A loader thread's copies on the host."""

    def __init__(self):
        self.copy_s = 0.0
        self.bytes = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def write(self, dest, start: int, values) -> None:
        """dest[start:start + len(values)] = values."""
        began = time.thread_time()
        dest[start : start + len(values)] = values
        self.copy_s += time.thread_time() - began
        self.bytes += len(values) * dest.itemsize

    write_pinned = write


class HostTransfers:
    """The CPU backend's copier: a thread pool whose threads each hold a lane."""

    kvikio = None
    host_tier = False

    def __init__(self, xp, memory_scope=contextlib.nullcontext):
        self.xp, self.memory_scope = xp, memory_scope
        self.threads = max(1, min(os.cpu_count() or 1, 16))
        self.bytes_copied = 0
        self._pool = None
        self._lanes: queue.Queue | None = None
        self._all: list = []

    def workers(self) -> tuple[ThreadPoolExecutor, queue.Queue]:
        """The thread pool and the queue of free lanes (made on first use)."""
        if self._pool is None:
            self._all = [self._lane() for _ in range(self.threads)]
            self._lanes = queue.Queue()
            for lane in self._all:
                self._lanes.put(lane)
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="warpdb-load")
        return self._pool, self._lanes

    def _lane(self):
        return HostLane()

    def begin(self) -> None:
        """Mark the start of a load."""

    def finish(self) -> tuple[float, float, float, int]:
        """Wait for every lane's copies; (copy seconds, staging seconds, seconds the device spent
        decoding pages, bytes) since `begin`."""
        copy_s = sum(lane.copy_s for lane in self._all)
        out = (copy_s, 0.0, 0.0, self._collect())
        for lane in self._all:
            lane.copy_s = 0.0
        return out

    def _collect(self) -> int:
        n = sum(lane.bytes for lane in self._all)
        for lane in self._all:
            lane.bytes = 0
        self.bytes_copied += n
        return n

    def empty(self, n: int, dtype):
        return self.xp.empty(n, dtype)

    def demote(self, arr):
        """A host copy of a backend array (the page cache's second tier)."""
        return np.array(arr)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool, self._lanes, self._all = None, None, []


class CudaLane:
    """A loader thread's way to the GPU: a non-blocking stream and two pinned staging buffers."""

    def __init__(self, cp, device_id: int, nbytes: int):
        import cupyx

        self.cp, self.device_id = cp, device_id
        with cp.cuda.Device(device_id):
            self.stream = cp.cuda.Stream(non_blocking=True)
        self.held: list = []  # device arrays of file bytes the load's page decoding reads
        self.pages: list = []  # (page table, file) of the chunks sent for decoding (parquet_gpu)
        self.unz = 0  # bytes their pages decompress into, from this lane's offset in the buffer
        self.page_count = 0
        self.buffers = [cupyx.empty_pinned(nbytes, np.uint8) for _ in range(2)]
        self.freed = [None, None]  # event after the last copy out of each buffer
        self.which, self.used = 0, 0
        self.pending: list[tuple[int, int, int]] = []  # (device address, host address, bytes)
        self.spans: list = []  # (start, end) events around each batch of copies
        self.keep: list = []  # pinned arrays copied from directly, held until finish
        self.stage_s = 0.0
        self.bytes = 0
        self._device = None

    def __enter__(self):
        self._device = self.cp.cuda.Device(self.device_id)
        self._device.__enter__()
        return self

    def __exit__(self, *exc):
        try:
            self.flush()
        finally:
            self._device.__exit__(*exc)

    def write(self, dest, start: int, values) -> None:
        """dest[start:start + len(values)] = values (a host array, maybe strided) for a contiguous
        device array `dest`: staged in pieces that fit the buffer, sent at the next flush."""
        item = dest.itemsize
        cap = self.buffers[0].nbytes
        address = dest.data.ptr + start * item
        done, n = 0, len(values)
        while done < n:
            k = min(n - done, max(cap - self.used, 0) // item)
            if k == 0:
                self.flush()
                continue
            stage = self.buffers[self.which][self.used : self.used + k * item].view(dest.dtype)
            began = time.thread_time()
            np.copyto(stage, values[done : done + k], casting="same_kind")
            self.stage_s += time.thread_time() - began
            self.pending.append((address + done * item, stage.ctypes.data, k * item))
            self.used = -(-(self.used + k * item) // _ALIGN) * _ALIGN
            done += k

    @property
    def capacity(self) -> int:
        """Bytes of a staging buffer."""
        return self.buffers[0].nbytes

    def reserve(self, nbytes: int):
        """A pinned uint8 view of `nbytes` in the current staging buffer, to fill and `send` (the
        buffer flushed first when they do not fit), or None when no buffer is that large."""
        cap = self.capacity
        if nbytes > cap:
            return None
        if cap - self.used < nbytes:
            self.flush()
        view = self.buffers[self.which][self.used : self.used + nbytes]
        self.used = -(-(self.used + nbytes) // _ALIGN) * _ALIGN
        return view

    def send(self, dest, view) -> None:
        """The device array `dest` = a view `reserve` gave, sent at the next flush."""
        self.pending.append((dest.data.ptr, view.ctypes.data, view.nbytes))

    def write_pinned(self, dest, start: int, pinned) -> None:
        """dest[start:start + len(pinned)] = pinned, copied straight from pinned host memory."""
        self.keep.append(pinned)
        self.pending.append((dest.data.ptr + start * dest.itemsize, pinned.ctypes.data, pinned.nbytes))

    def flush(self) -> None:
        """Send the pending copies on the stream, between two timing events, and switch buffers,
        waiting until the copies out of the next buffer have completed."""
        if not self.pending:
            return
        cp = self.cp
        first, last = cp.cuda.Event(), cp.cuda.Event()
        first.record(self.stream)
        for dst, src, nbytes in self.pending:
            cp.cuda.runtime.memcpyAsync(dst, src, nbytes, cp.cuda.runtime.memcpyHostToDevice, self.stream.ptr)
            self.bytes += nbytes
        last.record(self.stream)
        self.pending = []
        self.spans.append((first, last))
        self.freed[self.which] = last
        self.which ^= 1
        self.used = 0
        if self.freed[self.which] is not None:
            self.freed[self.which].synchronize()

    def drain(self) -> list:
        """Wait for this lane's copies; the timing events of its batches of copies."""
        self.flush()
        self.stream.synchronize()
        spans, self.spans, self.keep, self.freed = self.spans, [], [], [None, None]
        return spans

    def add_pages(self, table, unz: int, path: str) -> None:
        """Keep a chunk's page table (kernels/parquet_decode; UNZ and DICT relative to this lane's
        counts, which it advances) for the load's decoding."""
        self.pages.append((table, path))
        self.unz += unz
        self.page_count += len(table)


class CudaTransfers(HostTransfers):
    """The GPU backend's copier: lanes with pinned staging buffers and non-blocking streams."""

    host_tier = True

    def __init__(self, cp, memory_scope=contextlib.nullcontext):
        super().__init__(cp, memory_scope)
        self.threads = min(self.threads, GPU_THREADS)
        self.device_id = cp.cuda.Device().id
        self.kvikio = _kvikio()
        self._start = None

    def _lane(self):
        return CudaLane(self.xp, self.device_id, STAGING_BYTES)

    def begin(self) -> None:
        self._start = self.xp.cuda.Event()
        self._start.record()

    def finish(self) -> tuple[float, float, float, int]:
        """Copy and decoding seconds are times the device spent copying and decoding: the union of
        the spans of the batches of copies, and of the launches of page decoding."""
        spans = [span for lane in self._all for span in lane.drain()]
        self._start.synchronize()
        stage_s = sum(lane.stage_s for lane in self._all)
        for lane in self._all:
            lane.stage_s = 0.0
        decode_s = self._decode_pages()
        return self._busy(spans), stage_s, decode_s, self._collect()

    def _decode_pages(self) -> float:
        """Decompress and decode, in one launch, every page the lanes sent (their copies done); the
        seconds it took. A malformed page raises ExecutionError naming its file."""
        tables, files, unz, pages = [], [], 0, 0
        for lane in self._all:
            for table, path in lane.pages:
                table[table[:, K.UNZ] >= 0, K.UNZ] += unz
                table[table[:, K.DICT] >= 0, K.DICT] += pages
                tables.append(table)
                files.append((path, len(table)))
            unz, pages = unz + lane.unz, pages + lane.page_count
        held = [a for lane in self._all for a in lane.held]
        for lane in self._all:
            lane.pages, lane.held, lane.unz, lane.page_count = [], [], 0, 0
        if not tables:
            return 0.0
        cp = self.xp
        table = np.concatenate(tables)
        buffer = cp.empty(max(unz, 8), np.uint8)
        table[table[:, K.UNZ] >= 0, K.UNZ] += buffer.data.ptr
        device, error = cp.asarray(table), cp.zeros(len(table), np.int32)
        first, last = cp.cuda.Event(), cp.cuda.Event()
        stream = cp.cuda.get_current_stream()
        first.record(stream)
        K.decode(cp, device, len(table), error, stream)
        last.record(stream)
        last.synchronize()
        del held, buffer
        bad = cp.flatnonzero(error)[:1].get()
        if len(bad):
            owner = np.repeat(np.arange(len(files)), [n for _, n in files])[bad[0]]
            raise ExecutionError(f"cannot read Parquet file '{files[owner][0]}': {K.messages(int(error[bad[0]]))}")
        return cp.cuda.get_elapsed_time(first, last) / 1e3

    def _busy(self, spans: list) -> float:
        """Seconds covered by the union of event spans."""
        cuda = self.xp.cuda
        times = sorted((cuda.get_elapsed_time(self._start, a), cuda.get_elapsed_time(self._start, b)) for a, b in spans)
        busy, reach = 0.0, float("-inf")
        for a, b in times:
            if b > reach:
                busy += b - max(a, reach)
                reach = b
        return busy / 1e3

    def demote(self, arr):
        """A pinned host copy of a device array."""
        import cupyx

        pinned = cupyx.empty_pinned(arr.shape, arr.dtype)
        arr.get(out=pinned)
        return pinned


def _kvikio():
    """The kvikio module when it imports and WARPDB_KVIKIO is not 0, else None."""
    if os.environ.get("WARPDB_KVIKIO", "1") == "0":
        return None
    try:
        import kvikio
    except Exception:
        return None
    return kvikio
