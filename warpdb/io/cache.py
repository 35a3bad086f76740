"""The page cache: Parquet column chunks in the engine's device form, keyed by (file path, size,
mtime or etag, row group, column, type), under a byte budget, least recently used out first.

A chunk is a view of a block: the one allocation (values, validity) that a scan put a column's
chunks in, so that a repeated scan is a view of the block again and copies nothing. Tier 1 holds
chunks in backend arrays (device memory on the GPU) and counts a block's bytes while any of its
chunks is cached. On the GPU, a chunk evicted from tier 1 moves to tier 2 (`host_budget` bytes of
pinned host memory) and is copied back to the device by the scan that hits it. String chunks keep
their dictionary on the host; dictionaries are reported apart and not held to a budget.
"""
from __future__ import annotations

from collections import OrderedDict
import pyarrow as pa

from ..engine.memory import parse_size

DEFAULT_BYTES = "1GB"


class Block:
    """One allocation of a scan's column: `data` and `valid` (or None) backend arrays."""

    __slots__ = ("data", "valid", "nbytes", "users")

    def __init__(self, data, valid):
        self.data, self.valid = data, valid
        self.nbytes = int(data.nbytes) + (0 if valid is None else int(valid.nbytes))
        self.users = 0


class Chunk:
    """One cached column chunk: rows [start, start + rows) of `block` in tier 1; in tier 2 (block
    None) its own pinned `host` arrays (values, validity or None). VARCHAR chunks hold codes into
    `dictionary`."""

    __slots__ = ("block", "start", "rows", "dictionary", "dict_sorted", "host")

    def __init__(self, block: Block | None, start: int, rows: int, dictionary: pa.Array | None = None,
                 dict_sorted: bool = False, host: tuple | None = None):
        self.block, self.start, self.rows, self.host = block, start, rows, host
        self.dictionary, self.dict_sorted = dictionary, dict_sorted

    @property
    def data(self):
        if self.block is None:
            return self.host[0]
        return self.block.data[self.start : self.start + self.rows]

    @property
    def valid(self):
        if self.block is None:
            return self.host[1]
        return None if self.block.valid is None else self.block.valid[self.start : self.start + self.rows]

    @property
    def nbytes(self) -> int:
        source = self.block if self.block is not None else self
        width = source.data.itemsize + (0 if source.valid is None else 1)
        return self.rows * width


class PageCache:
    """Converted column chunks under `budget` bytes of backend memory (tier 1) and, where the
    backend's `transfers` keep a host tier, `host_budget` bytes (by default as many) of pinned host
    memory (tier 2); an explicit `host_budget` gives any `transfers` a second tier. A
    file whose stamp (size, mtime/etag) changes loses its chunks. `bytes_copied_to_device` counts
    every byte the connection copied into backend arrays from the host."""

    def __init__(self, budget=DEFAULT_BYTES, host_budget=None, transfers=None, device: str = "cpu"):
        self.budget = _budget(budget, "cache_bytes")
        tiered = transfers is not None and transfers.host_tier
        if host_budget is None:
            self.host_budget = self.budget if tiered else 0
        else:
            self.host_budget = _budget(host_budget, "host_cache_bytes") if transfers is not None else 0
        self.transfers, self.device = transfers, device
        self._tier1: OrderedDict[tuple, Chunk] = OrderedDict()
        self._tier2: OrderedDict[tuple, Chunk] = OrderedDict()
        self._stamps: dict[str, tuple] = {}
        self._dicts: dict[int, list] = {}
        self.bytes_tier1 = self.bytes_tier2 = 0
        self.hits = self.misses = self.evictions = self.demotions = self.promotions = 0

    def stamp(self, path: str, stamp: tuple) -> None:
        """Note `path`'s current stamp, dropping chunks of any other version of the file."""
        if self._stamps.get(path, stamp) != stamp:
            for key in [k for k in (*self._tier1, *self._tier2) if k[0] == path]:
                self._drop(key)
        self._stamps[path] = stamp

    def get(self, key: tuple) -> Chunk | None:
        """The chunk cached under `key` (its block None when it is in tier 2), now most recent."""
        for tier in (self._tier1, self._tier2):
            chunk = tier.get(key)
            if chunk is not None:
                tier.move_to_end(key)
                self.hits += 1
                return chunk
        self.misses += 1
        return None

    def admit(self, columns: list[tuple[Block, dict[tuple, Chunk]]]) -> None:
        """Cache the chunks of each (block, key -> chunk) of one scan in tier 1 in place of any
        cached before under those keys (chunks copied from tier 2 count as promotions), evicting
        or demoting the least recently used to make room. A block larger than the budget is not
        kept."""
        kept = [(block, chunks) for block, chunks in columns if block.nbytes <= self.budget]
        for _, chunks in kept:
            for key in chunks:
                if key in self._tier2:
                    self.promotions += 1
                self._drop(key)
        for block, chunks in kept:
            self._make_room(block.nbytes)
            for key, chunk in chunks.items():
                self._tier1[key] = chunk
                self._hold(chunk)

    def _hold(self, chunk: Chunk) -> None:
        if chunk.block is not None:
            if chunk.block.users == 0:
                self.bytes_tier1 += chunk.block.nbytes
            chunk.block.users += 1
        else:
            self.bytes_tier2 += chunk.nbytes
        if chunk.dictionary is not None:
            self._dicts.setdefault(id(chunk.dictionary), [chunk.dictionary, 0])[1] += 1

    def _release(self, chunk: Chunk) -> None:
        if chunk.block is not None:
            chunk.block.users -= 1
            if chunk.block.users == 0:
                self.bytes_tier1 -= chunk.block.nbytes
        else:
            self.bytes_tier2 -= chunk.nbytes
        if chunk.dictionary is not None:
            ref = self._dicts[id(chunk.dictionary)]
            ref[1] -= 1
            if ref[1] == 0:
                del self._dicts[id(chunk.dictionary)]

    def _drop(self, key: tuple) -> None:
        chunk = self._tier1.pop(key, None) or self._tier2.pop(key, None)
        if chunk is not None:
            self._release(chunk)

    def _make_room(self, need: int) -> None:
        while self._tier1 and self.bytes_tier1 + need > self.budget:
            key, chunk = self._tier1.popitem(last=False)
            self._release(chunk)
            if chunk.nbytes <= self.host_budget:
                self._demote(key, chunk)
            else:
                self.evictions += 1

    def _demote(self, key: tuple, chunk: Chunk) -> None:
        while self._tier2 and self.bytes_tier2 + chunk.nbytes > self.host_budget:
            _, old = self._tier2.popitem(last=False)
            self._release(old)
            self.evictions += 1
        copy = self.transfers.demote
        valid = chunk.valid
        host = Chunk(None, 0, chunk.rows, chunk.dictionary, chunk.dict_sorted,
                     (copy(chunk.data), None if valid is None else copy(valid)))
        self._tier2[key] = host
        self._hold(host)
        self.demotions += 1

    def clear(self) -> None:
        for key in [*self._tier1, *self._tier2]:
            self._drop(key)
        self._stamps.clear()

    def stats(self) -> dict:
        """hits, misses, evictions (chunks dropped), demotions and promotions (between the tiers),
        entries (both tiers) and entries_host (tier 2), bytes_device (tier 1 on the GPU), bytes_host
        (tier 1 on the CPU backend, tier 2 on the GPU), bytes_dictionaries (host string
        dictionaries of cached chunks), bytes_copied_to_device (all the connection's copies into
        backend arrays), budget and host_budget."""
        on_gpu = self.device == "gpu"
        return {"hits": self.hits, "misses": self.misses, "evictions": self.evictions,
                "demotions": self.demotions, "promotions": self.promotions,
                "entries": len(self._tier1) + len(self._tier2), "entries_host": len(self._tier2),
                "bytes_device": self.bytes_tier1 if on_gpu else 0,
                "bytes_host": self.bytes_tier2 if on_gpu else self.bytes_tier1,
                "bytes_dictionaries": sum(d.nbytes for d, _ in self._dicts.values()),
                "bytes_copied_to_device": 0 if self.transfers is None else self.transfers.bytes_copied,
                "budget": self.budget, "host_budget": self.host_budget}


def _budget(value, name: str) -> int:
    if value == 0:
        return 0
    try:
        return parse_size(value)
    except ValueError:
        raise ValueError(f"{name} must be 0 or a positive byte count such as '512MB', not {value!r}") from None
