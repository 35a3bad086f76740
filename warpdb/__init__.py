"""warpdb: a GPU-native SQL engine over Arrow, with DuckDB as its correctness oracle."""
from __future__ import annotations

from .engine.session import Connection, Result
from .io.cache import DEFAULT_BYTES
from .errors import BindError, Cancelled, Error, ExecutionError, NotSupported, OutOfMemory, ParseError, TypeMismatch
from .frame import Expr, LazyFrame, col, len, lit, when

__version__ = "0.1.0"


def connect(device: str = "auto", memory_limit=None, cache_bytes=DEFAULT_BYTES, host_cache_bytes=None) -> Connection:
    """A new in-memory database; device is "auto" (GPU when usable, else CPU), "cpu" or "gpu".

    `memory_limit` (bytes, or a string such as "60GB") caps the GPU memory the connection's tables
    and queries may hold; a query that needs more raises OutOfMemory and the connection goes on.
    `cache_bytes` (default 1GB; 0 for none) bounds the page cache of Parquet column chunks, held in
    the backend's memory (GPU memory on the GPU); on the GPU, chunks it evicts move to a second tier
    of `host_cache_bytes` of pinned host memory (default: as much as `cache_bytes`; 0 for none).
    """
    return Connection(device=device, memory_limit=memory_limit, cache_bytes=cache_bytes,
                      host_cache_bytes=host_cache_bytes)


__all__ = [
    "connect", "Connection", "Result", "Error", "ParseError", "BindError", "TypeMismatch",
    "NotSupported", "ExecutionError", "OutOfMemory", "Cancelled",
    "LazyFrame", "Expr", "col", "lit", "when", "len",
]
