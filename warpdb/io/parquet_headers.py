"""Parquet page headers and PLAIN string dictionaries, parsed on the host by numba kernels that run
without the GIL (the loader threads parse in parallel): the Thrift compact-protocol PageHeader of
each page of a column chunk into a row of a page table, and a dictionary page's BYTE_ARRAY values
into Arrow string buffers. Every read is checked against the end of its buffer: a kernel returns a
negative error code (ERRORS) instead of reading past it."""
from __future__ import annotations

import warnings

import numpy as np
from numba import njit, types
from numba.core.errors import NumbaWarning

# columns of the page table parse_pages fills, one row per page
TYPE, DATA, COMPRESSED, UNCOMPRESSED, VALUES, ENCODING, DEF_ENCODING, REP_ENCODING, DEF_BYTES, REP_BYTES, \
    IS_COMPRESSED, NULLS, ROWS = range(13)
FIELDS = 13
DATA_PAGE, INDEX_PAGE, DICTIONARY_PAGE, DATA_PAGE_V2 = 0, 1, 2, 3
PLAIN, PLAIN_DICTIONARY, RLE, RLE_DICTIONARY = 0, 2, 3, 8

ERRORS = {-1: "truncated page", -2: "malformed page header"}
_TRUNCATED, _HEADER = -1, -2
_DEPTH = 64  # deepest nesting of Thrift values skipped

# Thrift field id -> page table column (-1: skipped) of PageHeader and of its page-type structs
_TOP = np.array([-1, TYPE, UNCOMPRESSED, COMPRESSED], np.int64)
_V1 = np.array([-1, VALUES, ENCODING, DEF_ENCODING, REP_ENCODING], np.int64)
_DICT = np.array([-1, VALUES, ENCODING], np.int64)
_V2 = np.array([-1, VALUES, NULLS, ROWS, ENCODING, DEF_BYTES, REP_BYTES, IS_COMPRESSED], np.int64)
_NEEDED = np.array([[VALUES, ENCODING, DEF_ENCODING, REP_ENCODING, -1, -1], [-1] * 6,
                    [VALUES, ENCODING, -1, -1, -1, -1], [VALUES, NULLS, ROWS, ENCODING, DEF_BYTES, REP_BYTES]],
                   np.int64)  # the fields each page type needs


def _jit(*signatures):
    """njit(nogil, cache) compiled for `signatures` now; without the on-disk cache where no cache
    directory can be written (numba would otherwise refuse to compile)."""

    def wrap(fn):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NumbaWarning)
                return njit(list(signatures), nogil=True, cache=True)(fn)
        except RuntimeError:
            return njit(list(signatures), nogil=True, cache=False)(fn)

    return wrap


_inline = njit(nogil=True, cache=False)
_BYTES = types.Array(types.uint8, 1, "C", readonly=True)


@_inline
def _varint(buf, pos, end):
    """(unsigned LEB128 value, position after it); position -1 past `end` or after 10 bytes."""
    out = np.int64(0)
    shift = 0
    while True:
        if pos >= end or shift > 63:
            return np.int64(0), np.int64(-1)
        b = np.int64(buf[pos])
        pos += 1
        out |= (b & 0x7F) << shift
        if b < 0x80:
            return (out, pos) if out >= 0 else (np.int64(0), np.int64(-1))
        shift += 7


@_inline
def _zigzag(n):
    return (n >> 1) ^ -(n & 1)


@_inline
def _skip(buf, pos, end, kind, in_list, kinds, left, first, second, done):
    """Position after a Thrift value of compact type `kind` (a bool in a list takes a byte), or -1."""
    depth = 0
    while True:
        if kind == 1 or kind == 2:
            pos += 1 if in_list else 0
        elif kind == 3:
            pos += 1
        elif kind == 4 or kind == 5 or kind == 6:
            _, pos = _varint(buf, pos, end)
        elif kind == 7:
            pos += 8
        elif kind == 8:
            n, pos = _varint(buf, pos, end)
            if pos < 0 or n > end - pos:
                return -1
            pos += n
        elif kind == 9 or kind == 10 or kind == 11:
            if depth == _DEPTH or pos >= end:
                return -1
            if kind == 11:
                n, pos = _varint(buf, pos, end)
                a = b = 0
                if pos >= 0 and n > 0:
                    if pos >= end:
                        return -1
                    a, b = np.int64(buf[pos]) >> 4, np.int64(buf[pos]) & 15
                    pos += 1
                n *= 2
            else:
                h = np.int64(buf[pos])
                pos += 1
                n, a = h >> 4, h & 15
                if n == 15:
                    n, pos = _varint(buf, pos, end)
                b = a
            if pos < 0 or n < 0 or n > end - pos:
                return -1
            kinds[depth] = 1
            left[depth] = n
            first[depth] = a
            second[depth] = b
            done[depth] = 0
            depth += 1
        elif kind == 12:
            if depth == _DEPTH:
                return -1
            kinds[depth] = 0
            depth += 1
        else:
            return -1
        if pos < 0 or pos > end:
            return -1
        while True:
            if depth == 0:
                return pos
            f = depth - 1
            if kinds[f] == 0:
                if pos >= end:
                    return -1
                h = np.int64(buf[pos])
                pos += 1
                if h == 0:
                    depth -= 1
                    continue
                if h >> 4 == 0:
                    _, pos = _varint(buf, pos, end)
                    if pos < 0:
                        return -1
                kind, in_list = h & 15, False
                break
            if left[f] == 0:
                depth -= 1
                continue
            kind = first[f] if done[f] % 2 == 0 else second[f]
            left[f] -= 1
            done[f] += 1
            in_list = True
            break


@_inline
def _field(buf, pos, end, last):
    """(field id, compact type, position after the field header) of a struct's next field; type 0
    at the struct's end, position -1 past `end`."""
    if pos >= end:
        return np.int64(0), np.int64(0), np.int64(-1)
    h = np.int64(buf[pos])
    pos += 1
    if h == 0:
        return np.int64(0), np.int64(0), pos
    if h >> 4 == 0:
        fid, pos = _varint(buf, pos, end)
        return _zigzag(fid), h & 15, pos
    return last + (h >> 4), h & 15, pos


@_inline
def _value(buf, pos, end, kind, out, row, column, stack):
    """Read an i32 or bool field into out[row, column] (skip it when column < 0); the position
    after it, or -1."""
    if column < 0:
        return _skip(buf, pos, end, kind, False, stack[0], stack[1], stack[2], stack[3], stack[4])
    if kind == 1 or kind == 2:
        out[row, column] = 1 if kind == 1 else 0
        return pos
    if kind != 5:
        return -1
    v, pos = _varint(buf, pos, end)
    v = _zigzag(v)
    if pos < 0 or v < -(1 << 31) or v >= (1 << 31):
        return -1
    out[row, column] = v
    return pos


@_inline
def _header(buf, pos, end, out, row, stack):
    """Read a PageHeader into out[row] (its i32 fields and those of its data page, dictionary page
    and data page v2 structs, by the field maps); the position after it, or -1."""
    columns, last, outer = _TOP, np.int64(0), np.int64(-1)  # outer: the PageHeader's last field id, inside a struct
    while True:
        fid, kind, pos = _field(buf, pos, end, last)
        if pos < 0:
            return -1
        if kind == 0:
            if outer < 0:
                return pos
            columns, last, outer = _TOP, outer, np.int64(-1)
            continue
        last = fid
        if outer < 0 and kind == 12 and (fid == 5 or fid == 7 or fid == 8):
            columns = _V1 if fid == 5 else (_DICT if fid == 7 else _V2)
            last, outer = np.int64(0), fid
            continue
        pos = _value(buf, pos, end, kind, out, row, columns[fid] if 0 < fid < len(columns) else -1, stack)
        if pos < 0:
            return -1


@_jit(types.UniTuple(types.int64, 3)(_BYTES, types.int64, types.int64[:, ::1]))
def parse_pages(chunk, pos, out):
    """Parse page headers of `chunk` from `pos` into rows of `out` (see the column constants) until
    `out` is full or the chunk ends: (pages, next position, 0 or an error code). DATA marks where a
    page's data begins; a page lies wholly inside the chunk."""
    end = len(chunk)
    stack = np.zeros((5, _DEPTH), np.int64)
    row = 0
    while row < out.shape[0] and pos < end:
        out[row, :] = -1
        out[row, IS_COMPRESSED] = 1
        pos = _header(chunk, pos, end, out, row, stack)
        if pos < 0:
            return row, pos, _HEADER
        kind, size, raw = out[row, TYPE], out[row, COMPRESSED], out[row, UNCOMPRESSED]
        if kind < 0 or size < 0 or raw < 0:
            return row, pos, _HEADER
        if size > end - pos:
            return row, pos, _TRUNCATED
        if kind < 4:
            for c in _NEEDED[kind]:
                if c >= 0 and out[row, c] < 0:
                    return row, pos, _HEADER
        out[row, DATA] = pos
        pos += size
        row += 1
    return row, pos, 0


@_jit(types.Tuple((types.int64, types.Array(types.int32, 1, "C"), types.Array(types.uint8, 1, "C")))(
    _BYTES, types.int64, types.int64, types.int64))
def dictionary_strings(page, pos, end, n):
    """The `n` PLAIN BYTE_ARRAY values of page[pos:end] as Arrow string buffers: (0 or an error
    code, n + 1 int32 offsets, the bytes)."""
    offsets = np.zeros(n + 1, np.int32)
    if not 0 <= pos <= end <= len(page):
        return _TRUNCATED, offsets, np.empty(0, np.uint8)
    p = pos
    for i in range(n):
        if 4 > end - p:
            return _TRUNCATED, offsets, np.empty(0, np.uint8)
        size = np.int64(page[p]) | (np.int64(page[p + 1]) << 8) | (np.int64(page[p + 2]) << 16) \
            | (np.int64(page[p + 3]) << 24)
        p += 4
        if size > end - p:
            return _TRUNCATED, offsets, np.empty(0, np.uint8)
        offsets[i + 1] = offsets[i] + size
        p += size
    data = np.empty(offsets[n], np.uint8)
    p = pos
    for i in range(n):
        p += 4
        size = offsets[i + 1] - offsets[i]
        data[offsets[i] : offsets[i + 1]] = page[p : p + size]
        p += size
    return 0, offsets, data
