"""The page cache: column chunks of Parquet row groups, keyed by (file path, size, mtime or etag, row
group, column), kept under a byte budget with the least recently used chunk evicted first."""
from __future__ import annotations

from collections import OrderedDict

import pyarrow as pa

from ..engine.memory import parse_size

DEFAULT_BYTES = "1GB"


class PageCache:
    """Host Arrow chunks under `budget` bytes; a file whose stamp (size, mtime/etag) changes loses
    its chunks. Chunks larger than the whole budget are never kept."""

    def __init__(self, budget=DEFAULT_BYTES):
        self.budget = _budget(budget)
        self._chunks: OrderedDict[tuple, pa.ChunkedArray] = OrderedDict()
        self._stamps: dict[str, tuple] = {}
        self.bytes_host = 0
        self.hits = self.misses = self.evictions = 0

    def stamp(self, path: str, stamp: tuple) -> None:
        """Note `path`'s current stamp, dropping chunks of any other version of the file."""
        if self._stamps.get(path, stamp) != stamp:
            for key in [k for k in self._chunks if k[0] == path]:
                self.bytes_host -= self._chunks.pop(key).nbytes
        self._stamps[path] = stamp

    def get(self, key: tuple) -> pa.ChunkedArray | None:
        chunk = self._chunks.get(key)
        if chunk is None:
            self.misses += 1
            return None
        self._chunks.move_to_end(key)
        self.hits += 1
        return chunk

    def put(self, key: tuple, chunk: pa.ChunkedArray) -> None:
        size = chunk.nbytes
        if size > self.budget or key in self._chunks:
            return
        while self.bytes_host + size > self.budget:
            _, old = self._chunks.popitem(last=False)
            self.bytes_host -= old.nbytes
            self.evictions += 1
        self._chunks[key] = chunk
        self.bytes_host += size

    def clear(self) -> None:
        self._chunks.clear()
        self._stamps.clear()
        self.bytes_host = 0

    def stats(self) -> dict:
        """hits, misses, evictions, entries, bytes_host, bytes_device (0: chunks live on the host)
        and the budget."""
        return {"hits": self.hits, "misses": self.misses, "evictions": self.evictions,
                "entries": len(self._chunks), "bytes_host": self.bytes_host, "bytes_device": 0,
                "budget": self.budget}


def _budget(value) -> int:
    if value == 0:
        return 0
    try:
        return parse_size(value)
    except ValueError:
        raise ValueError(f"cache_bytes must be 0 or a positive byte count such as '512MB', not {value!r}") from None
