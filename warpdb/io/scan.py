"""Parquet scans through the page cache. Each of a scan's columns is one backend array: when every
chunk (row group) of it is cached as consecutive rows of one block, that block's rows, with no copy;
otherwise a new block, into which cached chunks are copied (device to device, or from the pinned
tier) and missing row groups are decoded on the loader threads (load.run) and copied in. String
chunks are then put on one dictionary, and the new block's chunks replace the cached ones."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..engine import types as T
from ..engine.column import Column, from_arrow, host_parts
from ..engine.types import Kind
from ..errors import ExecutionError
from . import dictionaries, load
from .cache import Block, Chunk
from .formats import open_file
from .paths import is_url

SUMMED = ("rows", "row_groups_read", "row_groups_from_storage", "bytes_read", "bytes", "decode_s", "stage_s", "copy_s",
          "device_decode_s", "bytes_copied", "wall_s")


@dataclass(slots=True)
class _Piece:
    """One row group of one file, at rows [start, start + rows) of the scan."""

    path: str
    meta: object
    version: tuple
    group: int
    start: int
    rows: int
    index: dict  # column name -> column number in the file
    required: frozenset  # the file's columns that cannot hold NULLs


@dataclass(slots=True)
class _Column:
    """One column of a scan being assembled into `block`; `found[k]` is piece k's cached chunk."""

    name: str
    dtype: T.DataType
    arrow: pa.Field
    keys: list
    found: list
    block: Block | None = None
    dicts: dict = field(default_factory=dict)  # piece number -> (dictionary, sorted)


def scan(source, groups: dict[int, list[int]], names: list[str], dtypes: dict, cache) -> tuple[dict, int, dict]:
    """Columns `names` (lower case) of row groups groups[i] of Parquet file i of `source`, through
    `cache`: the backend Columns by name, the row count, and the scan's numbers (rows, row groups
    and compressed bytes read from storage, bytes of the scan's data columns, the load's LoadStats)."""
    began = time.perf_counter()
    xp = cache.transfers.xp
    pieces = _pieces(source, groups, cache)
    n = sum(p.rows for p in pieces)
    special = source.special_columns()
    out, loads = {}, []
    for name in names:
        if name in special:
            continue
        arrow = source.field(name)
        tag = _tag(name, dtypes[name])
        keys = [(p.path, *p.version, p.group, tag) for p in pieces]
        col = _Column(name, dtypes[name], arrow, keys, [cache.get(k) for k in keys])
        view = _cached_view(col)
        if view is not None:
            out[name] = view
        else:
            loads.append(col)
    stats = load.LoadStats()
    reads = _assemble(source, pieces, loads, cache, xp, stats) if loads else (0, 0)
    for col in loads:
        out[col.name] = _finish(xp, col, pieces)
    cache.admit([(c.block, {k: Chunk(c.block, p.start, p.rows, out[c.name].dictionary, out[c.name].dict_sorted)
                            for k, p in zip(c.keys, pieces)}) for c in loads if pieces])
    wanted = [c for c in names if c in special]
    if wanted:
        table = source.read(list(groups), wanted, groups)
        for c in wanted:
            out[c] = from_arrow(xp, table.column(c), dtypes[c])
    for i in groups:
        if groups[i] and source.files[i] not in source.files_read:
            source.files_read.append(source.files[i])
    stats.wall_s = time.perf_counter() - began
    data = {c: out[c] for c in names if c not in special}
    size = sum(int(c.data.nbytes) + (0 if c.valid is None else int(c.valid.nbytes)) for c in data.values())
    return out, n, {"rows": n, "row_groups_from_storage": reads[0], "bytes_read": reads[1], "bytes": size,
                    **stats.as_dict()}


def chunk_key(path: str, version: tuple, group: int, name: str, dtype: T.DataType) -> tuple:
    """The page cache's key of a column chunk in the engine's form of `dtype`."""
    return (path, *version, group, _tag(name, dtype))


def _tag(name: str, dtype: T.DataType) -> str:
    return f"{name}:{dtype}"


def _pieces(source, groups: dict, cache) -> list[_Piece]:
    out, start = [], 0
    for i, gs in groups.items():
        path = source.files[i]
        meta, version = source.metadata(path), source.version(path)
        cache.stamp(path, version)
        index, required = _columns(meta)
        for g in gs:
            rows = meta.row_group(g).num_rows
            out.append(_Piece(path, meta, version, g, start, rows, index, required))
            start += rows
    return out


def _cached_view(col: _Column) -> Column | None:
    """The column as rows of one cached block, when its chunks are consecutive rows of one."""
    found = col.found
    if not found or any(c is None or c.block is None for c in found):
        return None
    first = found[0]
    end = first.start
    for c in found:
        if c.block is not first.block or c.start != end or c.dictionary is not first.dictionary:
            return None
        end += c.rows
    block = first.block
    valid = None if block.valid is None else block.valid[first.start : end]
    return Column(col.dtype, block.data[first.start : end], valid, first.dictionary, first.dict_sorted)


def device_bytes(source, path: str, group: int, names: list[str], dtypes: dict) -> int:
    """Bytes the data columns `names` of one row group take in the engine's form."""
    meta = source.metadata(path)
    special = source.special_columns()
    piece = _Piece(path, meta, (), group, 0, meta.row_group(group).num_rows, *_columns(meta))
    width = sum(T.device_dtype(dtypes[c]).itemsize + _may_null(piece, source.field(c).name)
                for c in names if c not in special)
    return piece.rows * width


def _columns(meta) -> tuple[dict, frozenset]:
    """A file's column numbers by name, and the names of its columns that cannot hold NULLs."""
    schema = meta.schema
    columns = [schema.column(j) for j in range(meta.num_columns)]
    return {c.path: j for j, c in enumerate(columns)}, frozenset(c.path for c in columns if c.max_definition_level == 0)


def _may_null(p: _Piece, name: str) -> bool:
    """Whether the row group's chunk of column `name` may hold NULLs, by the file's metadata."""
    if name in p.required:
        return False
    j = p.index.get(name)
    if j is None:
        return True
    stats = p.meta.row_group(p.group).column(j).statistics
    return stats is None or not stats.has_null_count or stats.null_count > 0


def _assemble(source, pieces: list[_Piece], loads: list[_Column], cache, xp, stats) -> tuple[int, int]:
    """Allocate each column's block, copy its cached chunks in and decode the rest (jobs on the
    loader threads); (row groups read from storage, compressed bytes read)."""
    n = sum(p.rows for p in pieces)
    promotions, decodes, decoded, reads, nbytes = [], [], [], 0, 0
    for col in loads:
        nullable = any(_may_null(p, col.arrow.name) for p in pieces)
        transfers = cache.transfers
        col.block = Block(transfers.empty(n, T.device_dtype(col.dtype)), transfers.empty(n, bool) if nullable else None)
        for k, (p, chunk) in enumerate(zip(pieces, col.found)):
            if chunk is None:
                continue
            col.dicts[k] = (chunk.dictionary, chunk.dict_sorted)
            if chunk.block is None:
                promotions.append(_promote(col.block, p, chunk))
                continue
            col.block.data[p.start : p.start + p.rows] = chunk.data
            if col.block.valid is not None:
                col.block.valid[p.start : p.start + p.rows] = True if chunk.valid is None else chunk.valid
    for run in _runs(pieces, loads, 4 * cache.transfers.threads):
        first = pieces[run[0]]
        missing = [c for c in loads if c.found[run[0]] is None]
        present = [c for c in missing if c.arrow.name in first.index]
        reads += len(run) if present else 0
        decoded.append((run, missing))
        decodes.append(_decode(source, [pieces[k] for k in run], missing, present))
    results, numbers = load.run(cache.transfers, promotions + decodes)
    stats.add(numbers)
    for (run, missing), (result, compressed) in zip(decoded, results[len(promotions):]):
        nbytes += compressed
        for col in missing:
            for i, k in enumerate(run):
                col.dicts[k] = result[col.name][i]
    source.row_groups_read += reads
    source.bytes_read += nbytes
    return reads, nbytes


def _runs(pieces: list[_Piece], loads: list[_Column], count: int) -> list[list[int]]:
    """The pieces to decode as about `count` runs of equal rows, each of consecutive row groups of
    one file missing the same columns (one job each: fewer, larger reads, evenly spread)."""
    todo = [k for k in range(len(pieces)) if any(c.found[k] is None for c in loads)]
    total = sum(pieces[k].rows for k in todo)
    out, last, done = [], None, 0
    for k in todo:
        p = pieces[k]
        key = (p.path, tuple(c.found[k] is None for c in loads), done * count // max(total, 1))
        if key == last and out[-1][-1] == k - 1:
            out[-1].append(k)
        else:
            out.append([k])
            last = key
        done += p.rows
    return out


def _promote(block: Block, p: _Piece, chunk: Chunk):
    """A job copying a chunk of the pinned tier into its rows of `block`."""

    def job(lane):
        lane.write_pinned(block.data, p.start, chunk.data)
        if block.valid is not None:
            if chunk.valid is None:
                lane.write(block.valid, p.start, np.ones(p.rows, bool))
            else:
                lane.write_pinned(block.valid, p.start, chunk.valid)
        return None, 0.0

    return job


def _decode(source, run: list[_Piece], missing: list[_Column], present: list[_Column]):
    """A job reading a run of row groups' chunks of the `present` columns (the others are NULL
    there), converting them to the engine's form and copying them into their blocks: on the device
    where it can (parquet_gpu), else with pyarrow. Its result is each column's (dictionary, sorted)
    per row group for strings (None otherwise), and the compressed bytes read."""
    first = run[0]

    def job(lane):
        began = time.thread_time()
        out = {col.name: [None] * len(run) for col in missing}
        left = {col.name: list(range(len(run))) for col in missing}
        if present and hasattr(lane, "reserve") and not is_url(first.path):
            source.guard(first.path, lambda: _decode_on_device(run, present, lane, out, left))
        whole = [c for c in missing if len(left[c.name]) == len(run)]
        if whole:
            _decode_with_pyarrow(source, run, whole, [c for c in whole if c in present], lane, out)
        for col in missing:
            if col not in whole:
                for i in left[col.name]:
                    _decode_with_pyarrow(source, [run[i]], [col], [col], lane, out, i)
        compressed = sum(p.meta.row_group(p.group).column(p.index[c.arrow.name]).total_compressed_size
                         for p in run for c in present)
        return (out, compressed), time.thread_time() - began

    return job


def _decode_on_device(run: list[_Piece], present: list[_Column], lane, out: dict, left: dict) -> None:
    """Decode on the device the chunks of `present` it takes, noting each one's dictionary in `out`
    and removing it from `left` (numba, which parses the pages, is imported only here: the GPU's)."""
    from . import parquet_gpu

    first = run[0]
    schema = first.meta.schema.to_arrow_schema()
    decoder = None
    try:
        for col in present:
            j = first.index[col.arrow.name]
            found = schema.get_field_index(col.arrow.name)
            p = None if found < 0 else parquet_gpu.plan(first.meta, j, schema.field(found).type, col.arrow.type, col.dtype)
            if p is None:
                continue
            chunks = [(i, piece.meta.row_group(piece.group).column(j)) for i, piece in enumerate(run)]
            chunks = [(i, chunk) for i, chunk in chunks if parquet_gpu.takes(chunk, p)]
            if not chunks:
                continue
            decoder = decoder or parquet_gpu.PageDecoder(first.path, lane)
            found = decoder.add([(chunk, run[i].start, run[i].rows) for i, chunk in chunks], p, col.block.data)
            for (i, _), got in zip(chunks, found):
                if got is parquet_gpu.FALLBACK:
                    continue
                out[col.name][i] = (got, False) if p.strings else None
                left[col.name].remove(i)
                if col.block.valid is not None:
                    with lane.stream:
                        col.block.valid[run[i].start : run[i].start + run[i].rows] = True
    finally:
        if decoder is not None:
            decoder.close()


def _decode_with_pyarrow(source, run: list[_Piece], cols: list[_Column], present: list[_Column], lane, out: dict,
                         at: int | None = None) -> None:
    """Read consecutive row groups' chunks of `cols` with pyarrow (those of `present`; NULLs for the
    others), convert them and copy them into their blocks; each string column's (dictionary, sorted)
    goes to out[name] (at row group `at` of the job's run, or at all of them)."""
    first = run[0]
    rows = sum(p.rows for p in run)
    table = source.guard(first.path, lambda: _read(run, present)) if present else None
    parts = [source.guard(first.path, lambda c=c: _convert(first, rows, c, table)) for c in cols]
    for col, (values, valid, dictionary, sorted_) in zip(cols, parts):
        block = col.block
        lane.write(block.data, first.start, values)
        if block.valid is not None:
            lane.write(block.valid, first.start, np.ones(rows, bool) if valid is None else valid)
        elif valid is not None and not valid.all():
            raise ExecutionError(f"'{first.path}': row groups {[p.group for p in run]} of column "
                                 f"'{col.arrow.name}' hold NULLs that the file's metadata rules out")
        if col.dtype.kind is Kind.VARCHAR:
            for i in range(len(out[col.name])) if at is None else [at]:
                out[col.name][i] = (dictionary, sorted_)


def _read(run: list[_Piece], present: list[_Column]) -> pa.Table:
    names = [c.arrow.name for c in present]
    strings = [c.arrow.name for c in present if c.dtype.kind is Kind.VARCHAR]
    handle = open_file(run[0].path)
    try:
        file = pq.ParquetFile(handle, metadata=run[0].meta, read_dictionary=strings or None)
        return file.read_row_groups([p.group for p in run], columns=names, use_threads=False)
    finally:
        if not isinstance(handle, str):
            handle.close()


def _convert(p: _Piece, rows: int, col: _Column, table) -> tuple:
    """(values, validity, dictionary, sorted) of the column's chunks in the engine's form, on the
    host; NULLs where the file (`p`'s) lacks the column."""
    name = col.arrow.name
    arr = table.column(name) if name in p.index else pa.nulls(rows, col.arrow.type)
    if col.dtype.kind is Kind.VARCHAR:
        return (*dictionaries.chunk_codes(arr), False)
    fits = False
    if arr.type != col.arrow.type:
        arr = arr.cast(col.arrow.type)
    elif col.dtype.kind is Kind.DECIMAL and name in p.index:
        fits = p.meta.schema.column(p.index[name]).physical_type in ("INT32", "INT64")
    values, valid, _ = host_parts(arr, col.dtype, fits)
    return values, valid, None, False


def _finish(xp, col: _Column, pieces: list[_Piece]) -> Column:
    """The assembled column: strings put on one dictionary first."""
    block = col.block
    dictionary, sorted_ = None, False
    if col.dtype.kind is Kind.VARCHAR:
        chunks = [(p.start, p.rows, *col.dicts[k]) for k, p in enumerate(pieces)]
        dictionary, sorted_ = dictionaries.unify(xp, block.data, block.valid, chunks)
    return Column(col.dtype, block.data, block.valid, dictionary, sorted_)
