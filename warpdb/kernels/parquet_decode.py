"""Parquet pages decoded on the GPU, one warp per page: Snappy blocks decompressed, then data pages
(PLAIN values, or RLE / bit-packed dictionary indices gathered from the chunk's dictionary page, or
kept as codes for strings) written straight into the destination column. A page table (one int64
row per page, columns below) gives the device addresses of each page's bytes, of its decompressed
bytes and of its first row's destination. Every read and write is checked against
its page's bounds; a malformed page sets bits of its error word instead (ERRORS)."""
from __future__ import annotations

import numpy as np

# page table columns
SRC, SRC_LEN, UNZ, LEN, ROLE, ENC, COUNT, LEVELS, WIDTH, OUT_WIDTH, DEST, DICT, DICT_COUNT, CODES = range(14)
FIELDS = 14
DICTIONARY, DATA = 0, 1  # ROLE
PLAIN, INDICES = 0, 1  # ENC
ERRORS = {1: "malformed Snappy data", 2: "malformed definition levels", 4: "NULL values where the file says none",
          8: "malformed dictionary indices", 16: "dictionary index out of range", 32: "truncated values"}
WARPS = 4  # warps per block

SOURCE = r"""
#ifndef WARPDB_EMULATED
#define LANE (threadIdx.x & 31)
#define STEP 32
#define SYNC() __syncwarp()
#define WARP (threadIdx.x >> 5)
#define PAGE ((long long)blockIdx.x * WARPS + WARP)
#define SHFL(v, from) __shfl_sync(0xffffffffu, (v), (from))
#define ALL(p) __all_sync(0xffffffffu, (p))
#define POPC(m) __popc(m)
__device__ __forceinline__ long long warp_scan(long long v) {
    for (int d = 1; d < 32; d <<= 1) {
        long long u = __shfl_up_sync(0xffffffffu, v, d);
        if ((threadIdx.x & 31) >= d) v += u;
    }
    return v;
}
#define SCAN(v) warp_scan(v)
#endif
#define WINDOW 1024
#define RING 4096
typedef unsigned char u8;
typedef long long i64;
enum {SRC, SRC_LEN, UNZ, LEN, ROLE, ENC, COUNT, LEVELS, WIDTH, OUT_WIDTH, DEST, DICT, DICT_COUNT, CODES, FIELDS};

__device__ __forceinline__ i64 varint(const u8* p, i64* pos, i64 end) {
    i64 v = 0; int shift = 0;
    while (*pos < end && shift < 64) {
        u8 b = p[(*pos)++];
        v |= (i64)(b & 0x7f) << shift;
        if (b < 0x80) return v;
        shift += 7;
    }
    return -1;
}

__device__ __forceinline__ unsigned le(const u8* p, int n) {
    unsigned v = 0;
    for (int k = 0; k < n; k++) v |= (unsigned)p[k] << (8 * k);
    return v;
}

/* The tag at in[c] (c < n): the bytes from it to the next tag (0 when it is cut short), its output
   bytes, whether it is a literal, and the input position of its bytes (literal) or its offset. */
__device__ __forceinline__ i64 tag_at(const u8* in, i64 c, i64 n, i64* olen, int* literal, i64* ref) {
    unsigned tag = in[c];
    *literal = (tag & 3) == 0;
    if (*literal) {
        i64 len = (tag >> 2) + 1;
        int extra = 0;
        if (len > 60) {
            extra = (int)len - 60;
            if (c + 1 + extra > n) return 0;
            len = (i64)le(in + c + 1, extra) + 1;
        }
        *olen = len;
        *ref = c + 1 + extra;
        return 1 + extra + len;
    }
    int extra = (tag & 3) == 1 ? 1 : ((tag & 3) == 2 ? 2 : 4);
    if (c + 1 + extra > n) return 0;
    if ((tag & 3) == 1) {
        *olen = ((tag >> 2) & 7) + 4;
        *ref = ((i64)(tag >> 5) << 8) | in[c + 1];
    } else {
        *olen = (tag >> 2) + 1;
        *ref = le(in + c + 1, extra);
    }
    return 1 + extra;
}

/* One warp per page, a window of tags at a time: each lane parses a tag speculatively at one of the
   next 32 input bytes, the chain of real tags is followed through shuffles (up to WINDOW bytes of
   output beyond the first tag), and then every lane makes output bytes of the window in parallel,
   a byte copied from earlier in the window followed back to a literal or to output written before
   the window (the last RING bytes of which are kept in shared memory too). So a warp spends a few
   shuffles per tag instead of a round trip to memory per tag. */
extern "C" __global__ void snappy_pages(const i64* table, i64 pages, int* error) {
    __shared__ i64 starts[WARPS][32], lens[WARPS][32], refs[WARPS][32];
    __shared__ int literals[WARPS][32];
    __shared__ u8 rings[WARPS][RING];
    i64 page = PAGE;
    if (page >= pages) return;
    error += page;
    const i64* t = table + page * FIELDS;
    if (t[UNZ] < 0) return;
    i64* start = starts[WARP];
    i64* len = lens[WARP];
    i64* ref = refs[WARP];
    int* lit = literals[WARP];
    u8* ring = rings[WARP];
    const u8* in = (const u8*)t[SRC];
    i64 n = t[SRC_LEN], size = t[LEN], pos = 0, o = 0;
    u8* out = (u8*)t[UNZ];
    if (varint(in, &pos, n) != size) { if (LANE == 0) atomicOr(error, 1); return; }
    int bad = 0;
    while (pos < n && !bad) {
        i64 c = pos + LANE, olen = 0, r = 0;
        int literal = 0;
        i64 skip = c < n ? tag_at(in, c, n, &olen, &literal, &r) : 0;
        unsigned mask = 0;
        i64 cur = 0, total = 0;
        while (cur < 32 && pos + cur < n) {
            i64 s = SHFL(skip, (int)cur), k = SHFL(olen, (int)cur);
            if (s == 0) { bad = 1; break; }
            if (mask && total + k > WINDOW) break;
            mask |= 1u << cur;
            total += k;
            cur += s;
        }
        if (bad) break;
        int mine = (mask >> LANE) & 1;
        i64 before = SCAN(mine ? olen : 0) - (mine ? olen : 0);
        int ok = !mine || (literal ? r + olen <= n : (r > 0 && r <= o + before)) && o + before + olen <= size;
        if (!ALL(ok)) { bad = 1; break; }
        if (mine) {
            int k = POPC(mask & ((1u << LANE) - 1));
            start[k] = before; len[k] = olen; ref[k] = r; lit[k] = literal;
        }
        SYNC();
        int tags = POPC(mask);
        for (i64 j = LANE; j < total; j += STEP) {
            i64 at = j;
            u8 v = 0;
            while (1) {
                int lo = 0, hi = tags - 1;
                while (lo < hi) {
                    int mid = (lo + hi + 1) >> 1;
                    if (start[mid] <= at) lo = mid; else hi = mid - 1;
                }
                i64 rel = at - start[lo];
                if (lit[lo]) { v = in[ref[lo] + rel]; break; }
                i64 off = ref[lo];
                at = start[lo] - off + (off >= len[lo] ? rel : rel % off);
                if (at < 0) { v = -at <= RING - WINDOW - 64 ? ring[(o + at) & (RING - 1)] : out[o + at]; break; }
            }
            out[o + j] = v;
            ring[(o + j) & (RING - 1)] = v;
        }
        SYNC();
        pos += cur;
        o += total;
    }
    if ((bad || pos != n || o != size) && LANE == 0) atomicOr(error, 1);
}

__device__ __forceinline__ i64 value_at(const u8* p, int width) {
    if (width == 8) {
        unsigned long long v = 0;
        for (int k = 0; k < 8; k++) v |= (unsigned long long)p[k] << (8 * k);
        return (i64)v;
    }
    return (i64)(int)le(p, 4);
}

__device__ __forceinline__ void put(i64 dest, i64 row, int out_width, i64 v) {
    if (out_width == 8) ((i64*)dest)[row] = v;
    else ((int*)dest)[row] = (int)v;
}

/* levels: a V1 page's definition levels (length-prefixed, bit width 1) checked to be all 1 */
__device__ i64 skip_levels(const u8* p, i64 end, i64 count, int* error) {
    if (end < 4) { if (LANE == 0) atomicOr(error, 2); return -1; }
    i64 len = le(p, 4), pos = 4, seen = 0;
    if (len > end - 4) { if (LANE == 0) atomicOr(error, 2); return -1; }
    i64 stop = 4 + len;
    int bad = 0;
    while (seen < count && pos < stop && !bad) {
        i64 h = varint(p, &pos, stop);
        if (h < 0) { bad = 2; break; }
        if (h & 1) {
            i64 bytes = h >> 1, k = bytes * 8 < count - seen ? bytes * 8 : count - seen;
            if (bytes > stop - pos) { bad = 2; break; }
            for (i64 i = LANE; i < k; i += STEP)
                if (!((p[pos + (i >> 3)] >> (i & 7)) & 1)) bad = 4;
            pos += bytes; seen += k;
        } else {
            if (pos >= stop) { bad = 2; break; }
            if ((p[pos] & 1) == 0 && (h >> 1) > 0) bad = 4;
            pos += 1; seen += h >> 1;
        }
    }
    if (!bad && seen < count) bad = 2;
    if (bad) { atomicOr(error, bad); return -1; }
    return stop;
}

extern "C" __global__ void decode_pages(const i64* table, i64 pages, int* error) {
    i64 page = PAGE;
    if (page >= pages) return;
    error += page;
    const i64* t = table + page * FIELDS;
    if (t[ROLE] != 1) return;
    const u8* p = (const u8*)(t[UNZ] >= 0 ? t[UNZ] : t[SRC]);
    i64 end = t[LEN], count = t[COUNT], pos = 0, row = 0, dest = t[DEST];
    int width = (int)t[WIDTH], out_width = (int)t[OUT_WIDTH];
    if (t[LEVELS]) {
        pos = skip_levels(p, end, count, error);
        if (pos < 0) return;
    }
    if (t[ENC] == 0) {
        if (count * width > end - pos) { if (LANE == 0) atomicOr(error, 32); return; }
        for (i64 i = LANE; i < count; i += STEP) put(dest, i, out_width, value_at(p + pos + i * width, width));
        return;
    }
    const i64* d = table + t[DICT] * FIELDS;
    const u8* dict = t[CODES] ? p : (const u8*)(d[UNZ] >= 0 ? d[UNZ] : d[SRC]);
    i64 dict_count = t[DICT_COUNT];
    if (!t[CODES] && dict_count * width > d[LEN]) { if (LANE == 0) atomicOr(error, 32); return; }
    if (pos >= end) { if (LANE == 0) atomicOr(error, 8); return; }
    int bits = p[pos++];
    if (bits > 32) { if (LANE == 0) atomicOr(error, 8); return; }
    int bad = 0;
    while (row < count && !bad) {
        i64 h = varint(p, &pos, end);
        if (h < 0) { bad = 8; break; }
        if (h & 1) {
            i64 bytes = (h >> 1) * bits, k = (h >> 1) * 8 < count - row ? (h >> 1) * 8 : count - row;
            if (bytes > end - pos) { bad = 8; break; }
            const u8* q = p + pos;
            for (i64 i = LANE; i < k; i += STEP) {
                i64 bit = i * bits, at = bit >> 3;
                int n = (int)((bit & 7) + bits + 7) >> 3;
                unsigned long long w = 0;
                for (int b = 0; b < n; b++) w |= (unsigned long long)q[at + b] << (8 * b);
                i64 idx = (i64)((w >> (bit & 7)) & ((1ull << bits) - 1));
                if (idx >= dict_count) { bad = 16; continue; }
                put(dest, row + i, out_width, t[CODES] ? idx : value_at(dict + idx * width, width));
            }
            pos += bytes; row += k;
        } else {
            i64 k = h >> 1, bytes = (bits + 7) >> 3;
            if (bytes > end - pos) { bad = 8; break; }
            i64 idx = bytes ? (i64)le(p + pos, (int)bytes) : 0;
            pos += bytes;
            if (k > count - row) k = count - row;
            if (idx >= dict_count) { bad = 16; break; }
            i64 v = t[CODES] ? idx : value_at(dict + idx * width, width);
            for (i64 i = LANE; i < k; i += STEP) put(dest, row + i, out_width, v);
            row += k;
        }
    }
    if (bad) atomicOr(error, bad);
}
"""

_kernels: dict = {}


def _kernel(cp, name: str):
    if name not in _kernels:
        _kernels[name] = cp.RawKernel(SOURCE, name, options=("-std=c++17", f"-DWARPS={WARPS}"))
    return _kernels[name]


def decode(cp, table, pages: int, error, stream) -> None:
    """Launch, on `stream`, the decompression of the table's (a device array's) compressed pages,
    then the decoding of its data pages into their destinations; a page's problems OR into its
    word of `error` (int32, one per page)."""
    if pages == 0:
        return
    grid = (-(-pages // WARPS),)
    args = (table, np.int64(pages), error)
    with stream:
        _kernel(cp, "snappy_pages")(grid, (32 * WARPS,), args)
        _kernel(cp, "decode_pages")(grid, (32 * WARPS,), args)


def messages(bits: int) -> str:
    """An error word's problems in words."""
    return ", ".join(text for bit, text in ERRORS.items() if bits & bit) or "unknown error"
