"""Device memory of a connection: its own CuPy pool, capped at `memory_limit` bytes."""
from __future__ import annotations

import contextlib
import re

from ..errors import NotSupported

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_size(value) -> int:
    """Bytes from an int or a string such as "60GB", "512 MiB" or "1e9"."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([A-Za-z]*)\s*", str(value))
    if m is None or m.group(2).upper() not in _UNITS or float(m.group(1)) <= 0:
        raise ValueError(f"memory_limit must be a positive byte count such as '60GB', not {value!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


class DeviceMemory:
    """Where a connection's device arrays come from; `limit` None means the whole card."""

    def __init__(self, xp, device: str, memory_limit=None):
        self.limit = None if memory_limit is None else parse_size(memory_limit)
        self.limit_text = None if memory_limit is None else str(memory_limit)
        self.pool = None
        if self.limit is None:
            return
        if device != "gpu":
            raise NotSupported("memory_limit on the CPU backend (it caps GPU memory)")
        self.pool = xp.cuda.MemoryPool()
        self.pool.set_limit(size=self.limit)
        self._using = xp.cuda.using_allocator

    def scope(self):
        """A context in which every device allocation of this thread draws on this connection's pool."""
        return contextlib.nullcontext() if self.pool is None else self._using(self.pool.malloc)

    def release(self) -> None:
        """Give the pool's unused blocks back (after a query ran out of memory)."""
        if self.pool is not None:
            self.pool.free_all_blocks()
