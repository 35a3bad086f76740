"""A batch of rows flowing between operators, with late materialization.

Each column is a base Column plus an optional row index. Filters, sorts, limits and joins only
compose indices; a column is gathered when an operator first reads it, once per batch.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

import numpy as np

from ...kernels import compact as C
from ...kernels import gather as G
from ...kernels.backend import fetch, send
from ..column import Column


class Batch:
    """`n` rows; `columns` maps column ids to Columns (materialized on first access)."""

    __slots__ = ("_src", "_cache", "n", "_xp")

    def __init__(self, columns: dict[int, Column] | None, n: int, xp=None, src: dict | None = None):
        self._src: dict[int, tuple[Column, object, bool]] = (
            src if src is not None else {cid: (col, None, False) for cid, col in (columns or {}).items()}
        )
        self._cache: dict[int, Column] = {}
        self.n = n
        self._xp = xp

    @property
    def columns(self) -> "_Columns":
        return _Columns(self)

    def column(self, cid: int) -> Column:
        col = self._cache.get(cid)
        if col is None:
            base, idx, neg = self._src[cid]
            col = base if idx is None else base.take(self._xp, idx, neg)
            self._cache[cid] = col
        return col

    def source(self, cid: int) -> tuple:
        """Where a column comes from, to pass it on to another batch without gathering."""
        return self._src[cid]

    def row_source(self, cid: int) -> tuple[Column, object, bool]:
        """(base column, row index or None, whether the index may hold -1 for NULL rows)."""
        return self._src[cid]

    def select(self, cids) -> "Batch":
        return Batch(None, self.n, self._xp, {c: self._src[c] for c in cids})

    def renamed(self, names: dict[int, int]) -> "Batch":
        """The columns `names` maps to (new id -> this batch's id) under their new ids, sharing
        their base columns and row indices."""
        return Batch(None, self.n, self._xp, {new: self._src[old] for new, old in names.items()})

    def take(self, xp, idx, has_null_rows: bool | None = None) -> "Batch":
        """Rows at `idx` (int64); -1 gives a NULL row."""
        if has_null_rows is None:
            has_null_rows = bool((idx < 0).any()) if idx.shape[0] else False
        composed: dict[int, object] = {}
        src = {}
        for cid, (base, old, old_neg) in self._src.items():
            if old is None:
                src[cid] = (base, idx, has_null_rows)
                continue
            new = composed.get(id(old))
            if new is None:
                new = G.take_or(xp, old, idx, -1) if has_null_rows or old.shape[0] == 0 else G.take(xp, old, idx)
                composed[id(old)] = new
            src[cid] = (base, new, has_null_rows or old_neg)
        return Batch(None, int(idx.shape[0]), xp, src)

    def filter(self, xp, mask) -> "Batch":
        rows = C.true_rows(xp, mask)
        return self.take(xp, rows, has_null_rows=False)

    def with_column(self, cid: int, col: Column) -> "Batch":
        src = dict(self._src)
        src[cid] = (col, None, False)
        return Batch(None, self.n, self._xp, src)

    def on_host(self) -> bool:
        """Whether the batch's columns are NumPy arrays (a small result moved off the GPU)."""
        return bool(self._src) and all(isinstance(base.data, np.ndarray) for base, _, _ in self._src.values())

    def to_host(self, xp) -> "Batch":
        """The batch's columns gathered on the device and copied to NumPy arrays in one transfer."""
        cols = {cid: self.column(cid) for cid in self._src}
        host = fetch(xp, [a for c in cols.values() for a in (c.data, c.valid, *(c.wide or ())) if a is not None])

        def moved(a):
            return None if a is None else host[id(a)]

        return Batch({cid: replace(c, data=moved(c.data), valid=moved(c.valid),
                                   wide=None if c.wide is None else tuple(map(moved, c.wide)))
                      for cid, c in cols.items()}, self.n, np)

    def to_device(self, xp) -> "Batch":
        """A host batch's arrays, row indices included, uploaded to the device in one transfer."""
        arrays = {id(a): a for base, idx, _ in self._src.values()
                  for a in (base.data, base.valid, idx, *(base.wide or ())) if a is not None}
        dev = send(xp, list(arrays.values()))

        def moved(a):
            return None if a is None else dev[id(a)]

        src = {cid: (replace(base, data=moved(base.data), valid=moved(base.valid),
                             wide=None if base.wide is None else tuple(map(moved, base.wide))), moved(idx), neg)
               for cid, (base, idx, neg) in self._src.items()}
        return Batch(None, self.n, xp, src)

    @staticmethod
    def merge(a: "Batch", b: "Batch") -> "Batch":
        """The columns of two batches of the same rows side by side."""
        return Batch(None, a.n, a._xp or b._xp, {**a._src, **b._src})


class _Columns(Mapping):
    """Read-only mapping view of a batch's columns; reading one materializes it."""

    __slots__ = ("_batch",)

    def __init__(self, batch: Batch):
        self._batch = batch

    def __getitem__(self, cid: int) -> Column:
        return self._batch.column(cid)

    def __iter__(self) -> Iterator[int]:
        return iter(self._batch._src)

    def __len__(self) -> int:
        return len(self._batch._src)

    def __contains__(self, cid) -> bool:
        return cid in self._batch._src
