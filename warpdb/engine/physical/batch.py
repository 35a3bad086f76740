"""A batch of rows flowing between operators: columns by id, plus the row count."""
from __future__ import annotations

from dataclasses import dataclass

from ..column import Column


@dataclass(slots=True)
class Batch:
    columns: dict[int, Column]
    n: int

    def select(self, cids) -> "Batch":
        return Batch({c: self.columns[c] for c in cids}, self.n)

    def take(self, xp, idx) -> "Batch":
        return Batch({c: col.take(xp, idx) for c, col in self.columns.items()}, int(idx.shape[0]))

    def filter(self, xp, mask) -> "Batch":
        n = int(mask.sum())
        return Batch({c: col.filter(xp, mask) for c, col in self.columns.items()}, n)
