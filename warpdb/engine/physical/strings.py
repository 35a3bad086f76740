"""String columns: codes into a host dictionary. Functions run once per distinct value and are
gathered back by code; only row-wise combinations of two string columns materialize rows.

On the GPU, LIKE-family predicates, equality with a constant and short ASCII substrings run as
device kernels over the dictionary's device mirror (warpdb.kernels.strings); everything else, and
the CPU backend, runs Arrow compute over the host dictionary.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import ExecutionError
from ...kernels import strings as K
from ...kernels.backend import distinct_sorted
from .. import types as T
from ..column import Column

_DEVICE_MATCH = {"starts_with": "prefix", "ends_with": "suffix", "contains": "contains"}


def rows(xp, col: Column, to_host) -> pa.Array:
    """The strings of every row (materialized on the host)."""
    codes = to_host(col.data)
    mask = None if col.valid is None else ~to_host(col.valid)
    if len(col.dictionary) == 0:
        return pa.nulls(len(codes), pa.string())
    return col.dictionary.take(pa.array(codes, mask=mask))


def gather(xp, col: Column, per_entry: pa.Array, dtype: T.DataType) -> Column:
    """Row results from one result per dictionary entry (non-string results)."""
    values = per_entry.fill_null(False if dtype.kind is T.Kind.BOOL else 0).to_numpy(zero_copy_only=False)
    values = np.ascontiguousarray(values, dtype=T.device_dtype(dtype))
    if len(values) == 0:
        values = np.zeros(1, T.device_dtype(dtype))
    data = xp.asarray(values)[col.data]
    valid = col.valid
    if per_entry.null_count:
        entry_valid = xp.asarray(per_entry.is_valid().to_numpy(zero_copy_only=False))[col.data]
        valid = entry_valid if valid is None else (valid & entry_valid)
    return Column(dtype, data, valid)


HOST_ENTRIES = 4096


def device_match(xp, col: Column, op: str, consts: list):
    """Per-entry matches (device bool array) of a LIKE-family op or `eq` with a constant, computed
    on the GPU; None on the CPU backend, for dictionaries of fewer than HOST_ENTRIES entries (Arrow
    on the host and one upload cost less than the kernel's uploads and launch) and where only Arrow
    has the semantics (non-ASCII ILIKE)."""
    if xp is np or len(col.dictionary) < HOST_ENTRIES:
        return None
    if op in ("like", "ilike"):
        escape = consts[1] if len(consts) > 1 else None
        if escape is not None and len(escape) != 1:
            raise ExecutionError("LIKE ESCAPE must be a single character")
        pattern = K.parse_like(consts[0], escape)
    elif op in _DEVICE_MATCH:
        pattern = K.literal_pattern(consts[0], _DEVICE_MATCH[op])
    elif op == "eq":
        pattern = K.literal_pattern(consts[0], "eq")
    else:
        return None
    ds = K.device_strings(xp, col.dictionary)
    if op == "ilike" and not (ds.ascii and pattern.ascii):
        return None
    return K.like_match(xp, ds, pattern, ignore_case=op == "ilike")


_ENTRY_OPS = ("eq", "ne", "in", "like", "ilike", "starts_with", "ends_with", "contains")


def entry_predicate(xp, col: Column, op: str, consts: list):
    """One boolean per dictionary entry (a backend array, at least one element) for a string
    predicate with constants (`_ENTRY_OPS`), so a kernel can answer it by code; None for other ops
    or a NULL constant."""
    if op not in _ENTRY_OPS or any(c is None for c in consts):
        return None
    if op == "in":
        hits = None
        for value in consts:
            one = device_match(xp, col, "eq", [value])
            if one is None:
                hits = None
                break
            hits = one if hits is None else (hits | one)
    else:
        hits = None if op == "ne" else device_match(xp, col, op, consts)
    if hits is None:
        values = col.dictionary if len(col.dictionary) else pa.array([""], pa.string())
        if op in ("eq", "ne"):
            per = pc.equal(values, pa.scalar(consts[0], pa.string()))
            per = pc.invert(per) if op == "ne" else per
        elif op == "in":
            per = pc.is_in(values, value_set=pa.array(consts, pa.string()))
        else:
            per = apply(op, values, consts)
        hits = xp.asarray(per.fill_null(False).to_numpy(zero_copy_only=False).astype(bool))
    return hits


def gather_device(col: Column, per_entry) -> Column:
    """Row booleans from a device array of one result per dictionary entry."""
    return Column(T.BOOL, per_entry[col.data], col.valid)


def device_substring(xp, dictionary: pa.Array, start: int, length: int | None = None):
    """substring() of an ASCII dictionary on the GPU when every result fits 7 bytes (else None):
    the short results are packed into sortable integer keys and re-encoded on the device. Gives each
    entry's code into the (sorted) dictionary of results."""
    if xp is np or len(dictionary) == 0 or start < 0 or (length is not None and length < 0):
        return None
    ds = K.device_strings(xp, dictionary)
    if not ds.ascii:
        return None
    begin = max(start - 1, 0)
    end = None if length is None else (start - 1 + length if start > 0 else max(length - 1, 0))
    keys = K.ascii_substring_packed(xp, ds, begin, end)
    if keys is None:
        return None
    distinct, inverse = xp.unique(keys, return_inverse=True)
    return inverse.astype(np.int32).reshape(-1), K.unpack_strings(xp.asnumpy(distinct))


def gather_substring(col: Column, entries) -> Column:
    """Row results of device_substring's (codes per entry, result dictionary)."""
    codes, dictionary = entries
    return Column(T.VARCHAR, codes[col.data], col.valid, dictionary, True)


def gather_strings(xp, col: Column, per_entry: pa.Array) -> Column:
    """Row strings from one new string per dictionary entry; re-encoded so values stay distinct."""
    if len(per_entry) == 0:
        return Column(T.VARCHAR, col.data, col.valid, pa.array([], pa.string()), True)
    enc = pc.dictionary_encode(per_entry)
    remap = enc.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int32)
    data = xp.asarray(remap)[col.data]
    valid = col.valid
    if enc.indices.null_count:
        ev = xp.asarray(enc.indices.is_valid().to_numpy(zero_copy_only=False))[col.data]
        valid = ev if valid is None else (valid & ev)
    return Column(T.VARCHAR, data, valid, enc.dictionary.cast(pa.string()), False)


_RANKS = 64
_ranks: OrderedDict[tuple, tuple] = OrderedDict()


def sorted_dictionary(xp, col: Column) -> Column:
    """The same column with its dictionary in string order, so codes compare like strings. Few rows
    over a large dictionary first keep only the entries they use, so only those are sorted; a whole
    dictionary's order (rank of each code on the backend, sorted values) is kept for reuse."""
    if col.dict_sorted:
        return col
    if 4 * len(col) < len(col.dictionary):
        col = _compact(xp, col)
        rank, ordered = dictionary_rank(xp, col.dictionary)
    else:
        key = (id(col.dictionary), xp.__name__)
        hit = _ranks.get(key)
        if hit is None or hit[0] is not col.dictionary:
            hit = _ranks[key] = (col.dictionary, *dictionary_rank(xp, col.dictionary))
            if len(_ranks) > _RANKS:
                _ranks.popitem(last=False)
        _ranks.move_to_end(key)
        rank, ordered = hit[1], hit[2]
    data = rank[col.data] if rank is not None else col.data
    return Column(T.VARCHAR, data, col.valid, ordered, True)


def dictionary_rank(xp, dictionary: pa.Array):
    """(each code's position in string order on the backend or None when empty, sorted values)."""
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return (xp.asarray(rank) if len(order) else None), dictionary.take(pa.array(order))


def _compact(xp, col: Column) -> Column:
    """The same strings over a dictionary of just the entries the rows use."""
    used = distinct_sorted(xp, col.data)
    host_used = used.get() if hasattr(used, "get") else used
    data = xp.searchsorted(used, col.data).astype(np.int32) if len(col) else col.data
    return Column(T.VARCHAR, data, col.valid, col.dictionary.take(pa.array(host_used)), False)


def unify(xp, cols: list[Column], ordered: bool = False) -> list[Column]:
    """Columns re-coded onto one shared dictionary (sorted when `ordered`)."""
    first = cols[0].dictionary
    if all(c.dictionary is first for c in cols) and (not ordered or all(c.dict_sorted for c in cols)):
        return cols
    merged = pc.dictionary_encode(pa.concat_arrays([c.dictionary for c in cols]))
    dictionary = merged.dictionary.cast(pa.string())
    idx = merged.indices.to_numpy().astype(np.int32)
    out, start = [], 0
    for c in cols:
        k = len(c.dictionary)
        remap = xp.asarray(idx[start : start + k]) if k else None
        data = remap[c.data] if k else xp.zeros(len(c), np.int32)
        out.append(Column(T.VARCHAR, data, c.valid, dictionary, False))
        start += k
    if ordered:
        order = pc.sort_indices(dictionary).to_numpy()
        rank = np.empty(len(order), np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        sd = dictionary.take(pa.array(order))
        r = xp.asarray(rank) if len(order) else None
        out = [Column(T.VARCHAR, r[c.data] if r is not None else c.data, c.valid, sd, True) for c in out]
    return out


def like_pattern(pattern: str, escape: str | None) -> str:
    """A SQL LIKE pattern with a custom escape rewritten for Arrow (which escapes with backslash)."""
    if escape is None:
        return pattern.replace("\\", "\\\\")
    if len(escape) != 1:
        raise ExecutionError("LIKE ESCAPE must be a single character")
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == escape and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append("\\" + nxt if nxt in "%_\\" else nxt)
            i += 2
            continue
        out.append("\\\\" if ch == "\\" else ch)
        i += 1
    return "".join(out)


def apply(name: str, values: pa.Array, consts: list) -> pa.Array:
    """One string function over Arrow strings with constant extra arguments."""
    if name == "length":
        return pc.utf8_length(values).cast(pa.int64())
    if name == "upper":
        return pc.utf8_upper(values)
    if name == "lower":
        return pc.utf8_lower(values)
    if name == "reverse":
        return pc.utf8_reverse(values)
    if name in ("trim", "ltrim", "rtrim"):
        chars = consts[0] if consts else " "
        fn = {"trim": pc.utf8_trim, "ltrim": pc.utf8_ltrim, "rtrim": pc.utf8_rtrim}[name]
        return fn(values, characters=chars)
    if name == "substring":
        return substring(values, *consts)
    if name == "replace":
        return pc.replace_substring(values, pattern=consts[0], replacement=consts[1])
    if name == "starts_with":
        return pc.starts_with(values, pattern=consts[0])
    if name == "ends_with":
        return pc.ends_with(values, pattern=consts[0])
    if name == "contains":
        return pc.match_substring(values, pattern=consts[0])
    if name == "strpos":
        return _strpos(values, consts[0])
    if name in ("like", "ilike"):
        pat = like_pattern(consts[0], consts[1] if len(consts) > 1 else None)
        return pc.match_like(values, pattern=pat, ignore_case=name == "ilike")
    raise ExecutionError(f"unknown string function {name}")


def substring(values: pa.Array, start: int, length: int | None = None) -> pa.Array:
    """DuckDB substring: 1-based; positions before the string count but yield nothing."""
    if start > 0:
        begin = start - 1
        end = None if length is None else begin + max(length, 0)
        return pc.utf8_slice_codeunits(values, start=begin, stop=end if end is not None else 2**62)
    if start == 0:
        end = None if length is None else max(length - 1, 0)
        return pc.utf8_slice_codeunits(values, start=0, stop=end if end is not None else 2**62)
    if length is None:
        return pc.utf8_slice_codeunits(values, start=start, stop=2**62)
    stop = start + length
    return pc.utf8_slice_codeunits(values, start=start, stop=stop if stop < 0 else 2**62)


def _strpos(values: pa.Array, needle: str) -> pa.Array:
    """1-based character position of `needle`, 0 when absent."""
    byte_pos = pc.find_substring(values, pattern=needle)
    found = pc.greater_equal(byte_pos, 0)
    return pc.if_else(found, pc.add(_char_index(values, byte_pos), 1), 0).cast(pa.int64())


def _char_index(values: pa.Array, byte_pos: pa.Array) -> pa.Array:
    """Character index of a byte offset in each UTF-8 string."""
    values = values.cast(pa.string())
    data = np.frombuffer(values.buffers()[2] or b"", np.uint8)
    offsets = np.frombuffer(values.buffers()[1], np.int32)[values.offset : values.offset + len(values) + 1]
    cont = ((data & 0xC0) == 0x80).astype(np.int64)
    csum = np.concatenate([[0], np.cumsum(cont)])
    pos = byte_pos.fill_null(0).to_numpy(zero_copy_only=False).clip(min=0)
    starts = offsets[:-1]
    ends = starts + pos
    return pa.array(pos - (csum[ends] - csum[starts]))

