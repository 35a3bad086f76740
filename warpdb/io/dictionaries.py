"""String column chunks as codes into a dictionary: a chunk read from Parquet as an Arrow dictionary
array keeps Parquet's dictionary, and the chunks of one scan are put on one sorted dictionary, their
codes remapped on the device in one pass."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..engine.column import host_parts, index_codes, validity, values_view
from ..engine.types import VARCHAR

CHECKED_UP_TO = 4096  # a dictionary kept as read is checked for string order up to this many values


def chunk_codes(arr) -> tuple[np.ndarray, np.ndarray | None, pa.Array]:
    """(int32 codes, validity or None, string dictionary) of one column chunk; codes are 0 under
    NULLs. A dictionary array without NULL values keeps its dictionary (chunks of several row groups
    are concatenated, their dictionaries unified); anything else is dictionary-encoded."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.chunk(0) if arr.num_chunks == 1 else pa.concat_arrays(arr.chunks)
    if not pa.types.is_dictionary(arr.type) or arr.dictionary.null_count:
        codes, valid, dictionary = host_parts(arr, VARCHAR)
        return codes, valid, dictionary
    dictionary = arr.dictionary
    if not pa.types.is_string(dictionary.type):
        dictionary = dictionary.cast(pa.string())
    valid = validity(arr)
    return index_codes(arr.indices, valid), valid, dictionary


def unify(xp, codes, valid, chunks: list[tuple[int, int, pa.Array, bool]]) -> tuple[pa.Array, bool]:
    """Put the chunks (start row, rows, dictionary, sorted) of one column, whose codes lie in
    `codes` (validity `valid` or None), on one dictionary, remapping `codes` in place; returns it and
    whether it is sorted. Chunks whose dictionaries are all equal keep theirs; otherwise the distinct
    values of all the dictionaries, sorted, make the dictionary, and codes under NULLs become 0."""
    if not chunks:
        return pa.array([], pa.string()), True
    first = chunks[0][2]
    if all(d is first or d.equals(first) for _, _, d, _ in chunks):
        return first, all(s for *_, s in chunks) or _is_sorted(first)
    merged = pc.dictionary_encode(pa.concat_arrays([d for _, _, d, _ in chunks]))
    dictionary = merged.dictionary.cast(pa.string())
    order = pc.array_sort_indices(dictionary)
    rank = np.empty(len(order), np.int32)
    rank[values_view(order, np.uint64)] = np.arange(len(order), dtype=np.int32)
    lut = np.append(rank[index_codes(merged.indices, None)], np.int32(0))  # a last all-NULL chunk's codes
    sizes = np.array([len(d) for _, _, d, _ in chunks], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    filled = [(start, rows, off) for (start, rows, _, _), off in zip(chunks, offsets) if rows]
    if filled:
        begin, end = filled[0][0], filled[-1][0] + filled[-1][1]
        marks = xp.zeros(end - begin, np.int32)
        steps = np.diff([off for _, _, off in filled]).astype(np.int32)
        if len(steps):
            marks[xp.asarray(np.array([s - begin for s, _, _ in filled[1:]], np.int64))] = xp.asarray(steps)
        shift = xp.cumsum(marks, dtype=np.int32) + np.int32(filled[0][2])
        part = codes[begin:end]
        mapped = xp.asarray(lut)[part + shift]
        part[...] = mapped if valid is None else xp.where(valid[begin:end], mapped, np.int32(0))
    return dictionary.take(order), True


def _is_sorted(dictionary: pa.Array) -> bool:
    """Whether a dictionary is in string order (checked for small ones only)."""
    if len(dictionary) > CHECKED_UP_TO:
        return False
    order = values_view(pc.array_sort_indices(dictionary), np.uint64)
    return bool((order == np.arange(len(order))).all())
