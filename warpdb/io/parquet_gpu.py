"""Parquet column chunks decoded on the GPU, the GPU backend's path for local files: a loader job
reads each chunk's bytes with one pread into its lane's pinned staging buffer and parses the page
headers there (parquet_headers); the bytes go to the device and, a batch of chunks at a time,
kernels/parquet_decode decompresses and decodes their pages straight into the column's block, so
the host mostly neither decompresses nor decodes: only pages Snappy shrank by a quarter or more
(mostly back-references, which a warp resolves one at a time) are decompressed on the host, and a
string chunk's dictionary page is decoded there (the engine's dictionaries live there; its indices
become the chunk's codes on the device).

It takes flat INT32/INT64/FLOAT/DOUBLE columns (dates, decimals of at most 18 digits) and strings
whose data pages are all dictionary-encoded, Snappy-compressed or not, required or without NULLs
(by the chunk's statistics, which the kernels check), PLAIN and dictionary pages, data pages v1 and
v2. `plan` and `takes` decide from the footer, `PageDecoder.add` from the page headers; a chunk
they turn down is left to pyarrow before anything of it is written."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..engine import types as T
from ..kernels import parquet_decode as K
from . import parquet_headers as H

FALLBACK = object()  # PageDecoder.add's answer for a chunk it leaves to pyarrow
BATCH_BYTES = 8 << 20  # file bytes of the chunks one pair of kernel launches decodes
HOST_SNAPPY_RATIO = 1.25  # pages that Snappy shrank this much are decompressed on the host
_CODECS = ("SNAPPY", "UNCOMPRESSED")
_PHYSICAL = {"INT32": 4, "INT64": 8, "FLOAT": 4, "DOUBLE": 8}
_DICTIONARY_ENCODINGS = (H.PLAIN_DICTIONARY, H.RLE_DICTIONARY)


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
    """One loader job's GPU decoding from one open local file through its lane (a CudaLane): the
    chunks added since the last launch form a batch, decoded by one pair of kernel launches."""

    def __init__(self, path: str, lane):
        self.path, self.lane, self.cp = path, lane, lane.cp
        self.fd = os.open(path, os.O_RDONLY)
        with lane.stream:
            self.error = self.cp.zeros(1, np.int32)
        lane.checks.append((self.error, path))
        self._rows: list[np.ndarray] = []  # page tables of the batch's chunks
        self._raws: list = []  # device copies of their bytes, held until the batch is launched
        self._unz = 0  # bytes of the batch's decompression buffer
        self._staged = 0

    def close(self) -> None:
        try:
            self._launch()
        finally:
            os.close(self.fd)

    def add(self, chunk, p: Plan, dest, start: int, rows: int):
        """Decode a chunk (ColumnChunkMetaData; `rows` rows) into dest[start:start + rows]: its
        string dictionary (strings), None (numbers) or FALLBACK when pyarrow must read it."""
        offset = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
        size = chunk.total_compressed_size
        view = self.lane.reserve(size)
        if view is None:
            return FALLBACK
        got = os.preadv(self.fd, [view], offset)
        if got != size:
            raise CorruptChunk(f"column chunk at byte {offset} is truncated ({got} of {size} bytes)")
        pages = _pages(view, rows)
        found = _table(view, pages, p, chunk.compression == "SNAPPY", rows)
        if found is FALLBACK:
            return FALLBACK
        table, dictionary = found
        with self.lane.stream:
            raw = self.cp.empty(size, np.uint8)
        self.lane.send(raw, view)
        self._raws.append(raw)
        table[~self._inflate(view, table), K.SRC] += raw.data.ptr
        table[:, K.DEST] = dest.data.ptr + start * p.out_width + table[:, K.DEST] * p.out_width
        compressed = table[:, K.UNZ] >= 0
        sizes = -(-table[compressed, K.LEN] // 8) * 8
        table[compressed, K.UNZ] = self._unz + np.cumsum(sizes) - sizes
        self._unz += int(sizes.sum())
        table[:, K.DICT] = np.where(table[:, K.DICT] >= 0, table[:, K.DICT] + sum(len(r) for r in self._rows), -1)
        self._rows.append(table)
        self._staged += size
        if self._staged >= BATCH_BYTES:
            self._launch()
        return dictionary

    def _inflate(self, view, table: np.ndarray) -> np.ndarray:
        """Decompress on the host the pages whose Snappy data is mostly back-references (which a
        warp resolves one at a time) and send their bytes instead; which pages it did."""
        done = np.zeros(len(table), bool)
        many = (table[:, K.UNZ] >= 0) & (table[:, K.LEN] >= HOST_SNAPPY_RATIO * table[:, K.SRC_LEN])
        pages = np.flatnonzero(many)
        sizes = -(-table[pages, K.LEN] // 8) * 8
        out = self.lane.reserve(int(sizes.sum())) if len(pages) else None
        if out is None:
            return done
        at = np.cumsum(sizes) - sizes
        for k, o in zip(pages.tolist(), at.tolist()):
            src, n, length = (int(v) for v in table[k, [K.SRC, K.SRC_LEN, K.LEN]])
            try:
                data = _SNAPPY.decompress(view[src : src + n], decompressed_size=length)
            except (OSError, ValueError) as e:
                raise CorruptChunk(f"page at byte {src} of the chunk: {e}") from None
            out[o : o + length] = np.frombuffer(data, np.uint8)
        with self.lane.stream:
            inflated = self.cp.empty(len(out), np.uint8)
        self.lane.send(inflated, out)
        self._raws.append(inflated)
        table[pages, K.SRC] = inflated.data.ptr + at
        table[pages, K.SRC_LEN] = table[pages, K.LEN]
        table[pages, K.UNZ] = -1
        done[pages] = True
        return done

    def _launch(self) -> None:
        if not self._rows:
            return
        cp, lane = self.cp, self.lane
        table = np.concatenate(self._rows)
        with lane.stream:
            unz = cp.empty(max(self._unz, 8), np.uint8)
            table[table[:, K.UNZ] >= 0, K.UNZ] += unz.data.ptr
            device = cp.empty(table.shape, np.int64)
        lane.write(device.ravel(), 0, table.ravel())
        lane.flush()
        lane.timed(lambda: K.decode(cp, device, len(table), self.error, lane.stream))
        self._rows, self._raws, self._staged, self._unz = [], [], 0, 0


def _pages(view, rows: int) -> np.ndarray:
    """The page header table (parquet_headers columns) of a chunk's bytes."""
    tables, pos, end = [], 0, len(view)
    while pos < end:
        out = np.empty((64, H.FIELDS), np.int64)
        n, pos, err = H.parse_pages(view, pos, 1 << 62, out)
        if err:
            raise CorruptChunk(H.ERRORS[err])
        tables.append(out[:n])
        if n < len(out):
            break
    pages = np.concatenate(tables) if tables else np.empty((0, H.FIELDS), np.int64)
    data = np.isin(pages[:, H.TYPE], (H.DATA_PAGE, H.DATA_PAGE_V2))
    if int(pages[data, H.VALUES].sum()) != rows:
        raise CorruptChunk(f"its data pages hold {int(pages[data, H.VALUES].sum())} values, the footer says {rows} rows")
    return pages


def _table(view, pages: np.ndarray, p: Plan, snappy: bool, rows: int):
    """(page table of kernels/parquet_decode with SRC and UNZ relative, DEST a row number and DICT
    a page number in the chunk; the string dictionary or None) or FALLBACK."""
    kind = pages[:, H.TYPE]
    data = (kind == H.DATA_PAGE) | (kind == H.DATA_PAGE_V2)
    dictionary_page = kind == H.DICTIONARY_PAGE
    if not (data | dictionary_page | (kind == H.INDEX_PAGE)).all() or dictionary_page[1:].any():
        return FALLBACK
    encoding = pages[:, H.ENCODING]
    indexed = np.isin(encoding, _DICTIONARY_ENCODINGS)
    if (data & ~indexed & (encoding != H.PLAIN)).any():
        return FALLBACK
    if ((data & indexed).any() and not dictionary_page[0]) or (p.strings and (data & ~indexed).any()):
        return FALLBACK
    v2 = kind == H.DATA_PAGE_V2
    if (v2 & (pages[:, H.NULLS] != 0)).any() or (v2 & (pages[:, H.REP_BYTES] > 0)).any():
        return FALLBACK
    if p.optional and (data & ~v2 & (pages[:, H.DEF_ENCODING] != H.RLE)).any():
        return FALLBACK
    if dictionary_page[0] and pages[0, H.ENCODING] not in (H.PLAIN, H.PLAIN_DICTIONARY):
        return FALLBACK
    skip = np.where(v2, np.maximum(pages[:, H.DEF_BYTES], 0) + np.maximum(pages[:, H.REP_BYTES], 0), 0)
    compressed = snappy & np.where(v2, pages[:, H.IS_COMPRESSED] != 0, True)
    src_len = pages[:, H.COMPRESSED] - skip
    length = pages[:, H.UNCOMPRESSED] - skip
    if (src_len < 0).any() or (length < 0).any() or (~compressed & (src_len != length)).any():
        raise CorruptChunk("a page's sizes do not add up")
    n = len(pages)
    table = np.zeros((n, K.FIELDS), np.int64)
    table[:, K.SRC] = pages[:, H.DATA] + skip
    table[:, K.SRC_LEN] = src_len
    table[:, K.UNZ] = np.where(compressed & (kind != H.INDEX_PAGE), 0, -1)
    table[:, K.LEN] = length
    table[:, K.ROLE] = np.where(data, K.DATA, np.where(dictionary_page, K.DICTIONARY, -1))
    table[:, K.ENC] = np.where(indexed, K.INDICES, K.PLAIN)
    table[:, K.COUNT] = np.where(data, pages[:, H.VALUES], 0)
    table[:, K.LEVELS] = p.optional & data & ~v2
    table[:, K.WIDTH] = p.width
    table[:, K.OUT_WIDTH] = p.out_width
    table[:, K.DEST] = np.cumsum(table[:, K.COUNT]) - table[:, K.COUNT]
    table[:, K.DICT] = 0 if dictionary_page[0] else -1
    table[:, K.DICT_COUNT] = pages[0, H.VALUES] if dictionary_page[0] else 0
    table[:, K.CODES] = p.strings
    strings = None
    if p.strings:
        table[0, K.ROLE] = table[0, K.UNZ] = -1
        strings = _dictionary(view, pages[0], snappy, pages[0, H.VALUES])
    return table, strings


def _dictionary(view, page: np.ndarray, snappy: bool, n: int) -> pa.Array:
    """A string chunk's dictionary page decoded on the host."""
    start, size, raw = page[H.DATA], page[H.COMPRESSED], page[H.UNCOMPRESSED]
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
