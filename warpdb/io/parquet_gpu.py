"""Parquet column chunks decoded on the GPU, the GPU backend's path for local files: a loader job
preads a column's chunks into its lane's pinned staging buffer and parses their page headers there
(parquet_headers), one numba call without the GIL for them all; the bytes go to the device in one
copy and, once the load's copies are done,
kernels/parquet_decode decompresses and decodes all their pages in one launch (its many warps
running at once) straight into the columns' blocks (CudaTransfers.finish), so
the host neither decompresses nor decodes pages, except a string chunk's dictionary page (the
engine's dictionaries live there; its indices become the chunk's codes on the device).

It takes flat INT32/INT64/FLOAT/DOUBLE columns (dates, decimals of at most 18 digits) and strings
whose data pages are all dictionary-encoded, uncompressed or Snappy-compressed, required or without
NULLs (by the chunk's statistics, which the kernels check), PLAIN and dictionary pages, data pages
v1 and v2. `plan` and `takes` decide from the footer, `PageDecoder.add` from the page headers; a chunk
they turn down is left to pyarrow before anything of it is written."""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numba import types

from ..engine import types as T
from ..kernels import parquet_decode as K
from . import parquet_headers as H

FALLBACK = object()  # PageDecoder.add's answer for a chunk it leaves to pyarrow
FALLEN, SIZES, VALUES, TRUNCATED = 1, -10, -11, -12  # chunk_table's answers besides 0 and parquet_headers.ERRORS
_MESSAGES = {SIZES: "a page's sizes do not add up", VALUES: "its data pages do not hold the footer's row count",
             TRUNCATED: "the file ends inside it"}
_PREAD = ctypes.CDLL(None).pread
_PREAD.restype = ctypes.c_ssize_t
_PREAD.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_ssize_t]
_CODECS = ("SNAPPY", "UNCOMPRESSED")
_PHYSICAL = {"INT32": 4, "INT64": 8, "FLOAT": 4, "DOUBLE": 8}


class CorruptChunk(ValueError):
    """A column chunk whose bytes do not decode."""


@dataclass(frozen=True, slots=True)
class Plan:
    """How one file column decodes on the GPU: physical value bytes (0 for strings), bytes of the
    engine's values, whether the column is optional (definition levels of bit width 1)."""

    width: int
    out_width: int
    optional: bool

    @property
    def strings(self) -> bool:
        return self.width == 0


def plan(meta, j: int, file_type: pa.DataType, scan_type: pa.DataType, dtype: T.DataType) -> Plan | None:
    """The plan of column `j` of a file (Arrow type `file_type` there) read as `scan_type` /
    `dtype`, or None when pyarrow must read it."""
    column = meta.schema.column(j)
    if file_type != scan_type or column.max_repetition_level != 0 or column.max_definition_level > 1:
        return None
    physical, optional = column.physical_type, column.max_definition_level == 1
    if pa.types.is_string(file_type) or pa.types.is_large_string(file_type) or pa.types.is_string_view(file_type):
        return Plan(0, 4, optional) if physical == "BYTE_ARRAY" else None
    width = _PHYSICAL.get(physical)
    if width is None:
        return None
    device = T.device_dtype(dtype)
    if pa.types.is_decimal128(file_type) and file_type.precision <= T.MAX_DECIMAL64_DIGITS:
        return Plan(width, 8, optional) if physical.startswith("INT") and device == np.int64 else None
    exact = {"INT32": (pa.int32(), pa.date32()), "INT64": (pa.int64(),), "FLOAT": (pa.float32(),),
             "DOUBLE": (pa.float64(),)}[physical]
    if file_type not in exact or device.itemsize != width:
        return None
    return Plan(width, width, optional)


def takes(chunk, p: Plan) -> bool:
    """Whether a chunk (ColumnChunkMetaData) may decode on the GPU, by the footer: its codec, and
    no NULLs where the column is optional."""
    if chunk.compression not in _CODECS:
        return False
    if not p.optional:
        return True
    stats = chunk.statistics
    return stats is not None and stats.has_null_count and stats.null_count == 0


class PageDecoder:
    """One loader job's reading of chunks for the GPU from one open local file through its lane (a
    CudaLane), which keeps their page tables until the load's one launch decodes them all."""

    def __init__(self, path: str, lane):
        self.path, self.lane, self.cp = path, lane, lane.cp
        self.fd = os.open(path, os.O_RDONLY)

    def close(self) -> None:
        os.close(self.fd)

    def add(self, chunks: list, p: Plan, dest) -> list:
        """Read chunks of one column ((ColumnChunkMetaData, first row, rows)) for decoding into
        their rows of `dest`, the bytes of as many as fit a staging buffer read into one region and
        sent in one copy (chunks of one codec at a time): each one's string dictionary (strings), None
        (numbers) or FALLBACK when pyarrow must read it."""
        out, group, size = [FALLBACK] * len(chunks), [], 0
        for k, (chunk, _, _) in enumerate(chunks):
            n = chunk.total_compressed_size
            if group and (size + n > self.lane.capacity or chunk.compression != chunks[group[0]][0].compression):
                self._read(chunks, group, size, p, dest, out)
                group, size = [], 0
            if n <= self.lane.capacity:
                group.append(k)
                size += n
        if group:
            self._read(chunks, group, size, p, dest, out)
        return out

    def _read(self, chunks: list, group: list, size: int, p: Plan, dest, out: list) -> None:
        lane = self.lane
        view = lane.reserve(size)
        with lane.stream:
            raw = self.cp.empty(size, np.uint8)
        metas = [chunks[k][0] for k in group]
        offsets = np.array([c.dictionary_page_offset if c.has_dictionary_page else c.data_page_offset for c in metas],
                           np.int64)
        sizes = np.array([c.total_compressed_size for c in metas], np.int64)
        rows = np.array([chunks[k][2] for k in group], np.int64)
        dests = np.array([dest.data.ptr + chunks[k][1] * p.out_width for k in group], np.int64)
        snappy = metas[0].compression == "SNAPPY"
        status, first, table, unz = read_chunks(self.fd, view, offsets, sizes, rows, p.optional, p.strings, p.width,
                                                p.out_width, snappy, raw.data.ptr, dests, lane.unz, lane.page_count)
        for k, st, row in zip(group, status.tolist(), first.tolist()):
            if st < 0:
                raise CorruptChunk(f"column chunk at byte {offsets[group.index(k)]}: "
                                   f"{_MESSAGES.get(st) or H.ERRORS[st]}")
            if st == 0:
                out[k] = None
                if p.strings and table[row, K.DICT] >= 0:
                    out[k] = _dictionary(view, table[row], raw.data.ptr, snappy)
        lane.add_pages(table, unz, self.path)
        lane.send(raw, view)
        lane.held.append(raw)


_TABLE_SIGNATURE = types.Tuple((types.int64, types.int64[:, ::1], types.int64))(
    H._BYTES, types.int64, types.boolean, types.boolean, types.int64, types.int64, types.boolean, types.int64,
    types.int64, types.int64, types.int64)


@H._jit(_TABLE_SIGNATURE)
def chunk_table(chunk, rows, optional, strings, width, out_width, snappy, raw, dest, unz_at, page_at):
    """The kernels' page table of a chunk's bytes (`rows` rows; on the device at address `raw`,
    its first row going to address `dest`; its pages numbered from `page_at` in its lane's tables
    and decompressed at offset `unz_at` of its lane's part of the buffer): (0, table, bytes to
    decompress into), (FALLEN, ...) when pyarrow must decode it, or (error code, ...) when it is
    malformed. A string chunk's dictionary page stays in the table (row 0, not decoded there) for
    the host to read."""
    pages = np.empty((64, H.FIELDS), np.int64)
    found, pos = 0, 0
    while pos < len(chunk):
        if found + 64 > len(pages):
            grown = np.empty((2 * len(pages), H.FIELDS), np.int64)
            grown[:found] = pages[:found]
            pages = grown
        part = np.empty((64, H.FIELDS), np.int64)
        n, pos, err = H.parse_pages(chunk, pos, part)
        if err:
            return err, np.empty((0, K.FIELDS), np.int64), 0
        pages[found : found + n] = part[:n]
        found += n
        if n < 64:
            break
    table = np.zeros((found, K.FIELDS), np.int64)
    values, unz = 0, 0
    dictionary = found > 0 and pages[0, H.TYPE] == H.DICTIONARY_PAGE
    if dictionary and pages[0, H.ENCODING] != H.PLAIN and pages[0, H.ENCODING] != H.PLAIN_DICTIONARY:
        return FALLEN, table, 0
    for k in range(found):
        kind, encoding = pages[k, H.TYPE], pages[k, H.ENCODING]
        data = kind == H.DATA_PAGE or kind == H.DATA_PAGE_V2
        v2 = kind == H.DATA_PAGE_V2
        indexed = encoding == H.PLAIN_DICTIONARY or encoding == H.RLE_DICTIONARY
        if kind == H.DICTIONARY_PAGE and k > 0 or not (data or kind == H.DICTIONARY_PAGE or kind == H.INDEX_PAGE):
            return FALLEN, table, 0
        if data and (not indexed and (encoding != H.PLAIN or strings) or indexed and not dictionary):
            return FALLEN, table, 0
        if v2 and (pages[k, H.NULLS] != 0 or pages[k, H.REP_BYTES] > 0):
            return FALLEN, table, 0
        if data and not v2 and optional and pages[k, H.DEF_ENCODING] != H.RLE:
            return FALLEN, table, 0
        skip = max(pages[k, H.DEF_BYTES], 0) + max(pages[k, H.REP_BYTES], 0) if v2 else 0
        compressed = snappy and (pages[k, H.IS_COMPRESSED] != 0 if v2 else True) and kind != H.INDEX_PAGE
        src_len, length = pages[k, H.COMPRESSED] - skip, pages[k, H.UNCOMPRESSED] - skip
        if src_len < 0 or length < 0 or not compressed and src_len != length:
            return SIZES, table, 0
        t = table[k]
        t[K.SRC] = raw + pages[k, H.DATA] + skip
        t[K.SRC_LEN] = src_len
        t[K.UNZ] = -1
        if compressed and not (strings and kind == H.DICTIONARY_PAGE):
            t[K.UNZ] = unz_at + unz
            unz += (length + 7) // 8 * 8
        t[K.LEN] = length
        t[K.ROLE] = K.DATA if data else (K.DICTIONARY if kind == H.DICTIONARY_PAGE and not strings else -1)
        t[K.ENC] = K.INDICES if indexed else K.PLAIN
        t[K.COUNT] = pages[k, H.VALUES] if data else 0
        t[K.LEVELS] = optional and data and not v2
        t[K.WIDTH] = width
        t[K.OUT_WIDTH] = out_width
        t[K.DEST] = dest + values * out_width
        t[K.DICT] = page_at if dictionary else -1
        t[K.DICT_COUNT] = pages[0, H.VALUES] if dictionary else 0
        t[K.CODES] = strings
        values += t[K.COUNT]
    if values != rows:
        return VALUES, table, 0
    return 0, table, unz


_READ_SIGNATURE = types.Tuple((types.int64[::1], types.int64[::1], types.int64[:, ::1], types.int64))(
    types.int64, types.Array(types.uint8, 1, "C"), types.int64[::1], types.int64[::1], types.int64[::1],
    types.boolean, types.boolean, types.int64, types.int64, types.boolean, types.int64, types.int64[::1],
    types.int64, types.int64)


@H._jit(_READ_SIGNATURE)
def read_chunks(fd, view, offsets, sizes, rows, optional, strings, width, out_width, snappy, raw, dests, unz_at,
                page_at):
    """Read chunk k (`sizes[k]` bytes at file offset `offsets[k]`) of one column into the next bytes
    of `view` (on the device at `raw` once sent) with pread, and build its page table (chunk_table;
    its first row going to address dests[k]), all without the GIL: (each chunk's status, its first
    row in the table or -1, the tables of the chunks taken, bytes to decompress into)."""
    n = len(offsets)
    status, first = np.zeros(n, np.int64), np.full(n, -1, np.int64)
    parts = [np.empty((0, K.FIELDS), np.int64)]
    at, unz, pages = 0, 0, 0
    for k in range(n):
        got = _PREAD(fd, view.ctypes.data + at, sizes[k], offsets[k])
        if got != sizes[k]:
            status[k] = TRUNCATED
            break
        st, table, u = chunk_table(view[at : at + sizes[k]], rows[k], optional, strings, width, out_width, snappy,
                                   raw + at, dests[k], unz_at + unz, page_at + pages)
        at += sizes[k]
        status[k] = st
        if st != 0:
            if st < 0:
                break
            continue
        first[k] = pages
        parts.append(table)
        unz += u
        pages += len(table)
    out = np.empty((pages, K.FIELDS), np.int64)
    row = 0
    for table in parts:
        out[row : row + len(table)] = table
        row += len(table)
    return status, first, out, unz


def _dictionary(view, page: np.ndarray, base: int, snappy: bool) -> pa.Array:
    """A string chunk's dictionary page (its row of the kernels' table; `view` on the device at
    address `base`) decoded on the host."""
    start, size, raw, n = page[K.SRC] - base, page[K.SRC_LEN], page[K.LEN], page[K.DICT_COUNT]
    body = view[start : start + size]
    if snappy:
        try:
            body = np.frombuffer(_SNAPPY.decompress(body, decompressed_size=raw), np.uint8)
        except (OSError, ValueError) as e:
            raise CorruptChunk(f"dictionary page: {e}") from None
    err, offsets, values = H.dictionary_strings(body, 0, len(body), n)
    if err:
        raise CorruptChunk(f"dictionary page: {H.ERRORS[err]}")
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(values)])


_SNAPPY = pa.Codec("snappy")
