"""A projected integer or decimal expression on the GPU as one generated kernel: arithmetic with
the evaluator's overflow rule, CASE and safe casts over NULL-free columns, evaluated per row in one
pass that reads each column through its batch row index (no gathers), instead of one array
operation and one bounds check per node (TPC-H Q9's amount, Q7's and Q8's volume). Expressions it
cannot take return None and are evaluated as before; the answers are the same either way."""
from __future__ import annotations

import numpy as np

from ...errors import ExecutionError
from ...kernels.jit import compiled
from .. import types as T
from ..column import Column
from ..expr import Call, Case, Cast, Expr
from .batch import Batch
from .row_source import RowSource, grid_for, row_body

_BLOCK = 256


def evaluate(ev, e: Expr, batch: Batch) -> Column | None:
    """The column `e` gives over `batch` from one kernel, or None when it does not fit."""
    if ev.xp is np or not isinstance(e, (Call, Case, Cast)) or batch.n == 0:
        return None
    if e.dtype.kind not in (*T.INTEGER_KINDS, T.Kind.DECIMAL) or T.device_dtype(e.dtype) != np.int64:
        return None
    src = RowSource(ev, batch)
    value = src.value(e)
    if value is None or src.null_rows():
        return None
    xp = ev.xp
    code = f"""
extern "C" __global__ void warpdb_values(long long n{src.declarations()}, long long* out, int* flags) {{
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += stride) {{
        {row_body(src, [], [*src.lines, f"out[i] = {value};"])}
    }}
}}
"""
    kernel = compiled(code, lambda: xp.RawKernel(code, "warpdb_values"))
    out = xp.empty(batch.n, dtype=np.int64)
    flags = xp.zeros(1, dtype=np.int32)
    grid = grid_for(xp, kernel, _BLOCK, 0, batch.n)
    kernel((grid,), (_BLOCK,), (np.int64(batch.n), *src.arguments(), out, flags))
    if src.flags:
        flagged = int(flags.get()[0])
        if flagged:
            op, t = src.flags[(flagged & -flagged).bit_length() - 1]
            raise ExecutionError(f"Overflow in {op} of {t}")
    return Column(e.dtype, out, None)
