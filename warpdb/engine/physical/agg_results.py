"""Aggregate result columns from exact (hi, lo) integer sums, shared by the general and fused paths."""
from __future__ import annotations

import numpy as np

from ...kernels import reduce as R
from .. import types as T
from ..column import Column
from ..types import DataType, Kind


def nulls(has):
    """The validity of per-group results: None when every group has a value."""
    return None if bool(has.all()) else has


def exact_sum_column(xp, exact, t: DataType) -> Column:
    """SUM of type `t` from exact (hi, lo, has) sums; past int64 it stays exact as a wide column."""
    hi, lo, has = exact
    value, overflow = R.combine_hi_lo_to_int64(xp, hi, lo)
    if bool((overflow & has).any()):
        if t.kind is not Kind.DECIMAL:
            t = T.decimal(38, 0)
        return Column(t, value, nulls(has), wide=(hi, lo))
    return Column(t, value, nulls(has))


def avg_from_exact(xp, hi, lo, cnt, has, arg_type: DataType) -> Column:
    """AVG (DOUBLE) from exact sums of an integer or decimal input and the per-group counts."""
    total = hi.astype(np.float64) * 4294967296.0 + lo.astype(np.float64)
    if arg_type.kind is Kind.DECIMAL:
        total = total / (10.0**arg_type.scale)
    return avg_from_sum(xp, total, cnt, has)


def avg_from_sum(xp, total, cnt, has) -> Column:
    """AVG (DOUBLE) from per-group float sums and counts; NULL where a group has no value."""
    with np.errstate(all="ignore"):
        mean = total / xp.maximum(cnt, 1)
    return Column(T.FLOAT64, mean, nulls(has))
