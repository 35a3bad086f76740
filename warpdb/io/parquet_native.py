"""Warpdb's own Parquet column-chunk decoder: a chunk's bytes are read with one pread, its pages
decompressed with pyarrow's codecs (which release the GIL) and decoded by the numba kernels of
parquet_pages straight into the engine's form, in the destination the lane gives (the NumPy block
itself on the CPU, a pinned staging buffer on the GPU). It takes flat INT32/INT64/FLOAT/DOUBLE
columns (dates, decimals of at most 18 digits) and dictionary-encoded strings, required or
optional, PLAIN and dictionary pages, data pages v1 and v2; `plan` says which, and a chunk whose
pages turn out to be otherwise (other encodings, strings in PLAIN pages) is left to pyarrow before
anything is written."""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..engine import types as T
from . import parquet_pages as K

CODECS = {"UNCOMPRESSED": None, "SNAPPY": "snappy", "GZIP": "gzip", "ZSTD": "zstd", "LZ4": "lz4_raw",
          "BROTLI": "brotli"}  # pyarrow's names of Parquet codecs (LZ4_RAW reads as LZ4) -> pyarrow.Codec's
FALLBACK = object()  # decode's answer for a chunk it leaves to pyarrow
_INTS = {4: np.dtype(np.int32), 8: np.dtype(np.int64)}
_PHYSICAL = {"INT32": 4, "INT64": 8, "FLOAT": 4, "DOUBLE": 8}
_local = threading.local()
_NO_STRINGS = pa.Array.from_buffers(pa.string(), 0, [None, pa.py_buffer(np.zeros(1, np.int32)), pa.py_buffer(b"")])


class CorruptChunk(ValueError):
    """A column chunk whose bytes do not decode."""


@dataclass(frozen=True, slots=True)
class Plan:
    """How one file column decodes natively: physical value bytes, the integer dtype the
    destination is viewed as, optional (definition levels of bit width 1), strings (codes)."""

    name: str
    width: int
    dtype: np.dtype
    optional: bool
    strings: bool


def plan(meta, j: int, file_type: pa.DataType, scan_type: pa.DataType, dtype: T.DataType) -> Plan | None:
    """The plan of column `j` of a file (Arrow type `file_type` there) read as `scan_type` /
    `dtype`, or None when pyarrow must read it."""
    column = meta.schema.column(j)
    if file_type != scan_type or column.max_repetition_level != 0 or column.max_definition_level > 1:
        return None
    physical, optional = column.physical_type, column.max_definition_level == 1
    if pa.types.is_string(file_type) or pa.types.is_large_string(file_type) or pa.types.is_string_view(file_type):
        return Plan(column.path, 0, _INTS[4], optional, True) if physical == "BYTE_ARRAY" else None
    width = _PHYSICAL.get(physical)
    if width is None:
        return None
    device = T.device_dtype(dtype)
    small = pa.types.is_decimal128(file_type) and file_type.precision <= T.MAX_DECIMAL64_DIGITS
    if small and physical.startswith("INT"):
        return Plan(column.path, width, _INTS[8], optional, False) if device == np.int64 else None
    exact = {"INT32": (pa.int32(), pa.date32()), "INT64": (pa.int64(),), "FLOAT": (pa.float32(),),
             "DOUBLE": (pa.float64(),)}[physical]
    if file_type not in exact or device.itemsize != width:
        return None
    return Plan(column.path, width, _INTS[width], optional, False)


def decode_run(guard, path: str, meta, columns: list, pieces: list, lane) -> tuple[dict, float]:
    """Decode natively the chunks of row groups `pieces` ((group, start row, rows)) of a local
    file's `columns` ((key, column number, scan's Arrow type, dtype, destination Block)) that it
    can, every failure a typed error through `guard(path, fn)`: {key: each chunk's string
    dictionary, or None for numbers} for the columns decoded (the others are left to pyarrow, which
    rewrites any of their rows written here), and the thread seconds spent waiting on the lane."""
    schema = meta.schema.to_arrow_schema()
    plans = {}
    for key, j, arrow, dtype, block in columns:
        field = schema.get_field_index(meta.schema.column(j).path)
        found = None if field < 0 else plan(meta, j, schema.field(field).type, arrow, dtype)
        if found is not None:
            plans[key] = (found, j, block)
    if not plans:
        return {}, 0.0
    decoder = guard(path, lambda: ChunkDecoder(path, lane))
    out = {}
    try:
        for key, (p, j, block) in plans.items():
            found = []
            for group, start, rows in pieces:
                chunk = meta.row_group(group).column(j)
                kept = guard(path, lambda: decoder.decode(chunk, p, block.data, block.valid, start, rows, group))
                if kept is FALLBACK:
                    break
                found.append(kept)
            else:
                out[key] = found
    finally:
        decoder.close()
    return out, decoder.lane_s


class ChunkDecoder:
    """One loader job's native decoding from one open local file: the chunks it decoded and the
    thread seconds it spent waiting on the lane (for its views)."""

    def __init__(self, path: str, lane):
        self.path, self.lane = path, lane
        self.fd = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        self.lane_s = 0.0

    def close(self) -> None:
        os.close(self.fd)

    def decode(self, chunk_meta, p: Plan, data, valid, start: int, rows: int, group: int):
        """Decode a column chunk (its ColumnChunkMetaData, of row group `group`) into
        data[start:start + rows] and valid (None: no NULLs allowed) through the lane; the string
        dictionary of its codes (None for numbers), or FALLBACK. CorruptChunk when its bytes do not
        decode."""
        try:
            return self._decode(chunk_meta, p, data, valid, start, rows)
        except CorruptChunk as e:
            raise CorruptChunk(f"row group {group}, column '{p.name}': {e}") from None

    def _decode(self, chunk_meta, p: Plan, data, valid, start: int, rows: int):
        codec = CODECS.get(chunk_meta.compression, FALLBACK)
        if codec is FALLBACK or chunk_meta.num_values != rows:
            return FALLBACK
        buf = self._read(chunk_meta)
        pages = self._pages(buf, rows)
        if not _supported(pages, p):
            return FALLBACK
        dictionary, size = np.zeros(0, p.dtype), 0
        kept = _NO_STRINGS if p.strings else None
        data_pages = pages[pages[:, K.TYPE] != K.DICTIONARY_PAGE]
        if len(data_pages) < len(pages):
            dictionary, size, kept = self._dictionary(buf, pages[0], codec, p)
        widths = [data.itemsize] + ([1] if valid is not None else [])
        done = 0
        for span in _spans(data_pages, self.lane.max_rows(widths)):
            n = int(span[:, K.VALUES].sum())
            if n > self.lane.max_rows(widths):
                values, flags = np.empty(n, data.dtype), np.empty(n, bool)
                self._fill(buf, span, codec, p, dictionary, size, values, flags, valid is not None)
                self.lane.write(data, start + done, values)
                if valid is not None:
                    self.lane.write(valid, start + done, flags)
            else:
                began = time.thread_time()
                wanted = [(data, start + done, n)] + ([(valid, start + done, n)] if valid is not None else [])
                views = self.lane.views(wanted)
                self.lane_s += time.thread_time() - began
                flags = views[1] if valid is not None else np.empty(n if p.optional else 0, bool)
                self._fill(buf, span, codec, p, dictionary, size, views[0], flags, valid is not None)
            done += n
        return kept

    def _read(self, chunk_meta) -> np.ndarray:
        offset = chunk_meta.data_page_offset
        if chunk_meta.has_dictionary_page and 0 < chunk_meta.dictionary_page_offset < offset:
            offset = chunk_meta.dictionary_page_offset
        size = chunk_meta.total_compressed_size
        if offset < 0 or size < 0 or offset + size > self.size:
            raise CorruptChunk(f"column chunk at {offset} of {size} bytes lies outside the file")
        buf = np.empty(size, np.uint8)
        done = 0
        while done < size:
            n = os.preadv(self.fd, [memoryview(buf)[done:]], offset + done)
            if n <= 0:
                raise CorruptChunk("file shorter than its metadata says")
            done += n
        return buf

    def _pages(self, buf: np.ndarray, rows: int) -> np.ndarray:
        """The page table (parquet_pages columns) of a chunk whose data pages hold `rows` values."""
        tables, pos, seen = [], 0, 0
        while pos < len(buf) and seen < rows:
            table = np.empty((64, K.FIELDS), np.int64)
            count, pos, err = K.parse_pages(buf, pos, rows - seen, table)
            if err:
                raise CorruptChunk(K.ERRORS[err])
            tables.append(table[:count])
            kinds = table[:count, K.TYPE]
            seen += int(table[:count, K.VALUES][(kinds == K.DATA_PAGE) | (kinds == K.DATA_PAGE_V2)].sum())
        if seen != rows:
            raise CorruptChunk(f"data pages hold {seen} values, not {rows}")
        pages = np.concatenate(tables) if tables else np.empty((0, K.FIELDS), np.int64)
        return pages[pages[:, K.TYPE] != K.INDEX_PAGE]

    def _dictionary(self, buf, page, codec, p: Plan) -> tuple[np.ndarray, int, pa.Array | None]:
        """(values to gather from, their count, the string dictionary or None) of a dictionary page."""
        body = self._payload(buf, page, codec, 0)
        n = int(page[K.VALUES])
        if not p.strings:
            if n * p.width > len(body):
                raise CorruptChunk("dictionary page shorter than its values")
            values = np.frombuffer(body, _INTS[p.width].newbyteorder("<"), n).astype(p.dtype)
            return values, n, None
        err, offsets, data = K.dictionary_strings(body, 0, len(body), n)
        if err:
            raise CorruptChunk(K.ERRORS[err])
        strings = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
        strings.validate(full=True)
        return np.zeros(0, p.dtype), n, strings

    def _fill(self, buf, span, codec, p: Plan, dictionary, size, values, flags, nullable: bool) -> None:
        """Decode a span's data pages into `values` (flags: their validity when `nullable`)."""
        dest = values.view(p.dtype)
        mode = K.MODE_CODES if p.strings else K.MODE_PLAIN
        row = 0
        for page in span:
            n = int(page[K.VALUES])
            enc = page[K.ENCODING]
            page_mode = mode if enc == K.PLAIN or p.strings else K.MODE_GATHER
            levels, lpos, lend, body, vpos = self._split(buf, page, codec, p)
            valid = flags[row : row + n] if p.optional else flags
            nulls = K.decode_page(levels, lpos, lend, p.optional, body, vpos, len(body), n, page_mode, p.width,
                                  dictionary, size, dest[row : row + n], valid)
            if nulls < 0:
                raise CorruptChunk(K.ERRORS[nulls])
            if nulls and not nullable:
                raise CorruptChunk("NULLs that the file's metadata rules out")
            if nullable and not p.optional:
                flags[row : row + n] = True
            row += n

    def _split(self, buf, page, codec, p: Plan):
        """(levels buffer, their start and end, values buffer, values start) of a data page."""
        if page[K.TYPE] == K.DATA_PAGE:
            body = self._payload(buf, page, codec, 0)
            if not p.optional:
                return body, 0, 0, body, 0
            if len(body) < 4:
                raise CorruptChunk(K.ERRORS[-1])
            size = int.from_bytes(body[:4].tobytes(), "little")
            if size > len(body) - 4:
                raise CorruptChunk(K.ERRORS[-3])
            return body, 4, 4 + size, body, 4 + size
        start = int(page[K.DATA])
        rep, levels = int(page[K.REP_BYTES]), int(page[K.DEF_BYTES])
        if rep + levels > page[K.COMPRESSED] or rep + levels > page[K.UNCOMPRESSED] or (levels and not p.optional):
            raise CorruptChunk(K.ERRORS[-3])
        body = self._payload(buf, page, codec if page[K.IS_COMPRESSED] else None, rep + levels)
        return buf, start + rep, start + rep + levels, body, 0

    def _payload(self, buf, page, codec, skip: int) -> np.ndarray:
        """A page's data after its first `skip` bytes, decompressed."""
        start, size, raw = int(page[K.DATA]) + skip, int(page[K.COMPRESSED]) - skip, int(page[K.UNCOMPRESSED]) - skip
        if codec is None:
            return buf[start : start + size]
        if raw == 0:
            return np.zeros(0, np.uint8)
        out = _codec(codec).decompress(buf[start : start + size], decompressed_size=raw)
        return np.frombuffer(out, np.uint8)


def _spans(pages: np.ndarray, limit: int) -> list[np.ndarray]:
    """Consecutive data pages grouped so that each group's rows fit `limit` (a page alone may not)."""
    out, first, rows = [], 0, 0
    for i, n in enumerate(pages[:, K.VALUES]):
        if rows and rows + n > limit:
            out.append(pages[first:i])
            first, rows = i, 0
        rows += n
    if len(pages):
        out.append(pages[first:])
    return out


def _supported(pages: np.ndarray, p: Plan) -> bool:
    """Whether the native decoder takes every page: one leading PLAIN dictionary page at most,
    PLAIN (numbers) or dictionary data pages, RLE definition levels, no repetition levels."""
    kinds = pages[:, K.TYPE]
    dictionaries = np.flatnonzero(kinds == K.DICTIONARY_PAGE)
    if len(dictionaries) > 1 or (len(dictionaries) and dictionaries[0] != 0):
        return False
    if len(dictionaries) and pages[0, K.ENCODING] not in (K.PLAIN, K.PLAIN_DICTIONARY):
        return False
    data = pages[(kinds == K.DATA_PAGE) | (kinds == K.DATA_PAGE_V2)]
    if len(data) + len(dictionaries) != len(pages):
        return False
    encoding = data[:, K.ENCODING]
    dictionary = (encoding == K.PLAIN_DICTIONARY) | (encoding == K.RLE_DICTIONARY)
    if not (dictionary if p.strings else dictionary | (encoding == K.PLAIN)).all():
        return False
    v1 = data[data[:, K.TYPE] == K.DATA_PAGE]
    if p.optional and not (v1[:, K.DEF_ENCODING] == K.RLE).all():
        return False
    return not (data[data[:, K.TYPE] == K.DATA_PAGE_V2][:, K.REP_BYTES] > 0).any()


def _codec(name: str) -> pa.Codec:
    """This thread's pyarrow codec (a codec may keep state between calls)."""
    codecs = _local.__dict__.setdefault("codecs", {})
    if name not in codecs:
        codecs[name] = pa.Codec(name)
    return codecs[name]
