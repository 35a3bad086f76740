"""The Arrow IPC fast path: a fixed-width column of local, uncompressed Arrow IPC files whose bytes
are already the engine's form (integers, floats, date32, timestamp[us], decimal128 of at most 18
digits) goes to the backend as the file's bytes, with no decode step. KvikIO reads them from the file
straight into device memory where it is installed; otherwise the loader threads send them through
their lanes. A column any of whose buffers is not a view of a file's memory map (a compressed file,
a cast to the unified type) is left to the normal path."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..engine import types as T
from ..engine.column import Column, raw_width, validity
from ..engine.types import Kind
from ..errors import ExecutionError
from . import load


def upload(transfers, arr: pa.ChunkedArray, dtype: T.DataType, mapped: dict) -> tuple[Column, int] | None:
    """The Column of `arr` made from the file bytes of its chunks, and their size; None when
    the column does not qualify. `mapped` gives each memory-mapped file's (address, size)."""
    width = raw_width(arr.type, dtype)
    if width is None or not mapped:
        return None
    places = []
    for chunk in arr.chunks:
        place = None
        if len(chunk):
            place = _locate(mapped, chunk.buffers()[1].address + chunk.offset * width, len(chunk) * width)
            if place is None:
                return None
        places.append(place)
    words = width // T.device_dtype(dtype).itemsize
    raw = transfers.empty(len(arr) * words, T.device_dtype(dtype))
    valid = transfers.empty(len(arr), bool) if arr.null_count else None
    jobs, start = [], 0
    for chunk, place in zip(arr.chunks, places):
        if place is not None:
            jobs.append(_send(transfers, chunk, place, raw, start, words, valid))
        start += len(chunk)
    read, _ = load.run(transfers, jobs)
    transfers.bytes_copied += sum(read)
    xp = transfers.xp
    data = raw
    if dtype.kind is Kind.DECIMAL:
        lo, hi = raw[0::2], raw[1::2]
        bad = hi != (lo >> 63)
        if bool((bad if valid is None else bad & valid).any()):
            raise ExecutionError("DECIMAL value does not fit in 18 digits")
        data = xp.ascontiguousarray(lo)
    if valid is not None:
        data = xp.where(valid, data, 0).astype(data.dtype, copy=False)
    return Column(dtype, data, valid), len(arr) * width


def _locate(mapped: dict, address: int, nbytes: int) -> tuple[str, int] | None:
    """(path, file offset) of the bytes at `address` when they lie in a file's memory map."""
    for path, (base, size) in mapped.items():
        if base <= address and address + nbytes <= base + size:
            return path, address - base
    return None


def _send(transfers, chunk: pa.Array, place: tuple[str, int], raw, row: int, words: int, valid):
    """A job putting one chunk's values (and validity) into rows [row, row + len(chunk)) of `raw`;
    its result is the bytes KvikIO read (0 when the lane copied them)."""
    path, offset = place
    count = len(chunk) * words
    dt = np.dtype(raw.dtype)

    def job(lane):
        read = 0
        if transfers.kvikio is not None:
            with transfers.kvikio.CuFile(path, "r") as f:
                read = f.pread(raw[row * words : row * words + count], count * dt.itemsize, offset).get()
        else:
            values = chunk.buffers()[1]
            lane.write(raw, row * words, np.frombuffer(values, dt, count, chunk.offset * words * dt.itemsize))
        if valid is not None:
            lane.write(valid, row, validity(chunk) if chunk.null_count else np.ones(len(chunk), bool))
        return read, 0.0

    return job
