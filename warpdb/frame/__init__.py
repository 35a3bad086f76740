"""The lazy DataFrame API: frames and expressions that build the same logical plans as SQL."""
from __future__ import annotations

from .expr import Expr, col, lit, row_count, when
from .frame import LazyFrame

len = row_count

__all__ = ["Expr", "LazyFrame", "col", "len", "lit", "when"]
