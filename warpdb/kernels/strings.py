"""String kernels on device-resident dictionaries: LIKE-family matching and short substrings.

A string column is int32 codes into a dictionary of distinct values. On the GPU the dictionary is
mirrored once as offsets + UTF-8 bytes (``DeviceStrings``, cached per dictionary), and these
kernels compute one result per dictionary entry, which the caller gathers by code. The CPU twin of
every kernel is the Arrow compute function over the host dictionary (``pyarrow.compute``).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from warpdb.kernels.jit import compiled

_CACHE_ENTRIES = 64


@dataclass(frozen=True)
class DeviceStrings:
    """Strings on the device: entry i is ``data[offsets[i]:offsets[i+1]]`` (UTF-8)."""

    offsets: object
    data: object
    ascii: bool

    def __len__(self) -> int:
        return int(self.offsets.shape[0]) - 1


@dataclass(frozen=True)
class LikePattern:
    """A LIKE pattern split at its unescaped '%': literal segments with '_' positions marked."""

    segments: tuple[tuple[bytes, tuple[bool, ...]], ...]
    anchor_start: bool
    anchor_end: bool

    @property
    def ascii(self) -> bool:
        return all(b < 128 for seg, _ in self.segments for b in seg)


_mirrors: OrderedDict[int, tuple[pa.Array, DeviceStrings]] = OrderedDict()


def device_strings(xp, dictionary: pa.Array) -> DeviceStrings:
    """The device mirror of a host string dictionary, built once and kept for reuse (LRU)."""
    key = id(dictionary)
    hit = _mirrors.get(key)
    if hit is not None and hit[0] is dictionary:
        _mirrors.move_to_end(key)
        return hit[1]
    arr = dictionary.cast(pa.large_string()) if not pa.types.is_large_string(dictionary.type) else dictionary
    offsets_buf, data_buf = arr.buffers()[1], arr.buffers()[2]
    offsets = np.frombuffer(offsets_buf, np.int64, count=len(arr) + 1, offset=arr.offset * 8)
    start, stop = int(offsets[0]), int(offsets[-1])
    raw = np.frombuffer(data_buf, np.uint8, count=stop - start, offset=start) if data_buf and stop > start \
        else np.zeros(0, np.uint8)
    data = xp.asarray(raw)
    mirror = DeviceStrings(xp.asarray(offsets - start), data, not bool((data >= 128).any()) if raw.size else True)
    _mirrors[key] = (dictionary, mirror)
    if len(_mirrors) > _CACHE_ENTRIES:
        _mirrors.popitem(last=False)
    return mirror


def parse_like(pattern: str, escape: str | None = None) -> LikePattern:
    """Split a LIKE pattern (optional one-character ESCAPE) into '%'-separated segments."""
    parts: list[tuple[bytearray, list[bool]]] = [(bytearray(), [])]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escape is not None and ch == escape and i + 1 < len(pattern):
            _append(parts[-1], pattern[i + 1], False)
            i += 2
            continue
        if ch == "%":
            parts.append((bytearray(), []))
        else:
            _append(parts[-1], ch, ch == "_")
        i += 1
    if len(parts) == 1:
        seg, wild = parts[0]
        return LikePattern(((bytes(seg), tuple(wild)),), True, True)
    segments = tuple((bytes(s), tuple(w)) for s, w in parts if s)
    return LikePattern(segments, bool(parts[0][0]), bool(parts[-1][0]))


def _append(part, ch: str, wild: bool) -> None:
    raw = b"_" if wild else ch.encode("utf-8")
    part[0].extend(raw)
    part[1].extend([wild] * len(raw))


def literal_pattern(text: str, mode: str) -> LikePattern:
    """The pattern of equality ("eq"), prefix ("prefix"), suffix ("suffix") or substring ("contains")."""
    seg = ((text.encode("utf-8"), (False,) * len(text.encode("utf-8"))),)
    if mode == "contains" and not text:
        return LikePattern((), False, False)
    return LikePattern(seg, mode in ("eq", "prefix"), mode in ("eq", "suffix"))


_LIKE_SRC = r"""
__device__ __forceinline__ bool match_at(const unsigned char* d, long long p, long long e,
        const unsigned char* pat, const unsigned char* wild, int pl, int fold, long long* endp) {
    for (int j = 0; j < pl; ++j) {
        if (p >= e) return false;
        if (wild[j]) {
            ++p;
            while (p < e && (d[p] & 0xC0) == 0x80) ++p;
        } else {
            unsigned char c = d[p];
            if (fold && c >= 'A' && c <= 'Z') c += 32;
            if (c != pat[j]) return false;
            ++p;
        }
    }
    *endp = p;
    return true;
}

extern "C" __global__ void like_match(const long long* offsets, const unsigned char* d, long long n,
        const unsigned char* pat, const unsigned char* wild, const int* seg_start, const int* seg_len,
        int nseg, int anchor_start, int anchor_end, int fold, bool* out) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long pos = offsets[i], e = offsets[i + 1];
    bool ok = true;
    for (int k = 0; k < nseg && ok; ++k) {
        bool first = (k == 0) && anchor_start;
        bool last = (k == nseg - 1) && anchor_end;
        long long p = pos, endp = 0;
        bool found = false;
        while (true) {
            if (match_at(d, p, e, pat + seg_start[k], wild + seg_start[k], seg_len[k], fold, &endp)
                    && (!last || endp == e)) {
                found = true;
                pos = endp;
                break;
            }
            if (first || p >= e) break;
            ++p;
            while (p < e && (d[p] & 0xC0) == 0x80) ++p;
        }
        ok = found;
    }
    out[i] = ok;
}
"""
_LIKE_WARP_SRC = r"""
extern "C" __global__ void like_match_warp(const long long* offsets, const unsigned char* d, long long n,
        const unsigned char* pat, const int* seg_start, const int* seg_len, int nseg,
        int anchor_start, int anchor_end, bool* out) {
    long long w = (blockIdx.x * (long long)blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (w >= n) return;
    long long pos = offsets[w], e = offsets[w + 1];
    bool ok = true;
    for (int k = 0; k < nseg && ok; ++k) {
        const unsigned char* s = pat + seg_start[k];
        int len = seg_len[k];
        long long lo = pos, hi = e - len;
        if (k == 0 && anchor_start && hi > pos) hi = pos;
        if (k == nseg - 1 && anchor_end && lo < e - len) lo = e - len;
        long long found = -1;
        for (long long base = lo; base <= hi && found < 0; base += 32) {
            long long p = base + lane;
            bool m = p <= hi;
            for (int j = 0; m && j < len; ++j) m = d[p + j] == s[j];
            unsigned int hits = __ballot_sync(0xffffffffu, m);
            if (hits) found = base + __ffs(hits) - 1;
        }
        ok = found >= 0;
        pos = found + len;
    }
    if (lane == 0) out[w] = ok;
}
"""


def like_match(xp, ds: DeviceStrings, pattern: LikePattern, ignore_case: bool = False):
    """Per entry of ``ds``: does it match ``pattern``? (device bool array). ILIKE folds ASCII only:
    callers use it when ``ds.ascii`` and ``pattern.ascii``. Patterns of literal segments (no '_',
    case kept) run one warp per entry, its lanes trying 32 start positions at once (a byte-wise
    search is exact on valid UTF-8); others one thread per entry."""
    n = len(ds)
    out = xp.zeros(n, dtype=bool)
    if n == 0:
        return out
    pat = b"".join(s for s, _ in pattern.segments)
    if ignore_case:
        pat = pat.lower()
    wild = [w for _, ws in pattern.segments for w in ws]
    lens = [len(s) for s, _ in pattern.segments]
    starts = np.cumsum([0] + lens[:-1]).astype(np.int32) if lens else np.zeros(0, np.int32)
    d_pat = xp.asarray(np.frombuffer(pat, np.uint8).copy() if pat else np.zeros(1, np.uint8))
    d_wild = xp.asarray(np.array(wild or [False], np.uint8))
    d_start = xp.asarray(starts if len(starts) else np.zeros(1, np.int32))
    d_len = xp.asarray(np.array(lens or [0], np.int32))
    data = ds.data if ds.data.shape[0] else xp.zeros(1, np.uint8)
    block = 256
    if lens and not ignore_case and not any(wild):
        compiled("like_match_warp", lambda: xp.RawKernel(_LIKE_WARP_SRC, "like_match_warp"))(
            ((n + block // 32 - 1) // (block // 32),), (block,),
            (ds.offsets, data, np.int64(n), d_pat, d_start, d_len, np.int32(len(lens)),
             np.int32(pattern.anchor_start), np.int32(pattern.anchor_end), out))
        return out
    compiled("like_match", lambda: xp.RawKernel(_LIKE_SRC, "like_match"))(
        ((n + block - 1) // block,), (block,),
        (ds.offsets, data, np.int64(n), d_pat, d_wild, d_start, d_len, np.int32(len(lens)),
         np.int32(pattern.anchor_start), np.int32(pattern.anchor_end), np.int32(ignore_case), out))
    return out


_PACK_BYTES = 7


_PACK_SRC = r"""
extern "C" __global__ void ascii_substring_pack(const long long* __restrict__ offsets,
        const unsigned char* __restrict__ data, long long n, long long begin, long long end,
        unsigned long long* keys, int* too_long) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long start = offsets[i], stop = offsets[i + 1];
    long long lo = start + begin < stop ? start + begin : stop;
    long long hi = stop;
    if (end >= 0) {
        long long e = start + (end > begin ? end : begin);
        hi = e < stop ? e : stop;
    }
    long long len = hi - lo;
    if (len > 7) { *too_long = 1; len = 7; }
    unsigned long long key = (unsigned long long)len;
    for (int j = 0; j < len; ++j) key |= (unsigned long long)data[lo + j] << (8 * (7 - j));
    keys[i] = key;
}
"""


def ascii_substring_packed(xp, ds: DeviceStrings, begin: int, end: int | None):
    """Per entry: bytes [begin, end) (0-based, clamped) of ASCII strings, packed into uint64 keys
    whose order is the strings' byte order (7 bytes big-endian, then the length); None when some
    result is longer than 7 bytes. One kernel and one round trip."""
    n = len(ds)
    keys = xp.zeros(n, dtype=np.uint64)
    too_long = xp.zeros(1, dtype=np.int32)
    if n:
        data = ds.data if ds.data.shape[0] else xp.zeros(1, np.uint8)
        kernel = compiled(_PACK_SRC, lambda: xp.RawKernel(_PACK_SRC, "ascii_substring_pack"))
        kernel(((n + 255) // 256,), (256,), (ds.offsets, data, np.int64(n), np.int64(begin),
                                             np.int64(-1 if end is None else end), keys, too_long))
        if int(too_long[0]):
            return None
    return keys


def unpack_strings(keys: np.ndarray) -> pa.Array:
    """Host strings from keys made by ``ascii_substring_packed``."""
    keys = np.asarray(keys, np.uint64)
    lengths = (keys & np.uint64(0xFF)).astype(np.int64)
    raw = (keys >> np.uint64(8)).astype(">u8").view(np.uint8).reshape(-1, 8)[:, 1:]
    keep = np.arange(_PACK_BYTES)[None, :] < lengths[:, None]
    data = raw[keep]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.Array.from_buffers(pa.string(), len(keys), [None, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())])
