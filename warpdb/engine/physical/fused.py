"""Fused predicates on the GPU: the NULL-free numeric comparisons of a filter become part of the
generated stream compaction kernel that selects its rows (`selected_rows`; compiled once per
shape, cached by its source) instead of one array pass per comparison and per AND. Conjuncts it
cannot take (NULLable inputs, strings, floats, casts, arithmetic) are evaluated as before and their
mask is ANDed in there; the answers are the same either way. `PredicateSource` also writes the
predicates of the other generated kernels (fused aggregate, semi joins with a residual).
"""
from __future__ import annotations

import numpy as np

from ...kernels import compact as C
from .. import types as T
from ..expr import Call, ColRef, Expr, Lit
from ..types import Kind
from . import strings
from .batch import Batch

_CMP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_KINDS = (*T.INTEGER_KINDS, Kind.DATE, Kind.DECIMAL, Kind.BOOL)
_INT64 = (-(2**63), 2**63 - 1)


class PredicateSource:
    """The C expression of one predicate, and the device arrays its parameters name. `column`, when
    given, names a column in C instead (a kernel of its own that reads columns its way), returning
    None for one it cannot read; `table`, when given, names a per-dictionary-entry boolean array, so
    string comparisons, IN and LIKE-family calls with constants become a lookup by code."""

    def __init__(self, ev, batch: Batch, column=None, table=None):
        self.ev, self.batch = ev, batch
        self.params: dict[int, tuple[str, object]] = {}
        self.column_hook = column
        self.table_hook = table

    def expr(self, e: Expr) -> str | None:
        if isinstance(e, ColRef):
            return self._column(e)
        if isinstance(e, Lit):
            return _literal(e)
        if not isinstance(e, Call):
            return None
        if self.table_hook is not None and e.args and e.args[0].dtype.kind is Kind.VARCHAR:
            return self._string(e)
        if e.op in _CMP and len(e.args) == 2:
            return self._join(e.args, f" {_CMP[e.op]} ")
        if e.op in ("and", "or"):
            return self._join(e.args, " && " if e.op == "and" else " || ")
        if e.op == "not":
            inner = self.expr(e.args[0])
            return None if inner is None else f"(!{inner})"
        if e.op == "in" and all(isinstance(i, Lit) for i in e.args[1:]):
            x = self.expr(e.args[0])
            items = [_literal(i) for i in e.args[1:]]
            if x is None or not items or any(i is None for i in items):
                return None
            return "(" + " || ".join(f"({x} == {i})" for i in items) + ")"
        return None

    def _string(self, e: Call) -> str | None:
        """A string predicate of one column and constants, as a lookup of its code."""
        col, rest = e.args[0], e.args[1:]
        if not isinstance(col, ColRef) or not all(isinstance(a, Lit) and isinstance(a.value, str) for a in rest):
            return None
        code = self.column_hook(col)
        base = self.batch.row_source(col.cid)[0]
        if code is None:
            return None
        per_entry = strings.entry_predicate(self.ev.xp, base, e.op, [a.value for a in rest])
        return None if per_entry is None else f"{self.table_hook(per_entry)}[{code}]"

    def _join(self, args, sep: str) -> str | None:
        parts = [self.expr(a) for a in args]
        return None if any(p is None for p in parts) else "(" + sep.join(parts) + ")"

    def _column(self, e: ColRef) -> str | None:
        if e.dtype.kind not in _KINDS:
            return None
        if self.column_hook is not None:
            return self.column_hook(e)
        hit = self.params.get(e.cid)
        if hit is None:
            col = self.ev.eval(e, self.batch)
            if col.valid is not None:
                return None
            hit = self.params[e.cid] = (f"c{len(self.params)}", col.data)
        return hit[0]


def _literal(e: Lit) -> str | None:
    v = e.value
    if v is None or e.dtype.kind not in _KINDS:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)) and _INT64[0] < int(v) <= _INT64[1]:
        return f"{int(v)}LL"
    return None


def _split(ev, conjuncts, batch: Batch):
    """(the PredicateSource of the conjuncts it takes, their C texts, the conjuncts left over)."""
    src, fused, rest = PredicateSource(ev, batch), [], []
    for c in conjuncts:
        text = src.expr(c) if c.cids() else None
        if text is None:
            rest.append(c)
        else:
            fused.append(text)
    return src, fused, rest


def conjunction(ev, conjuncts, batch: Batch):
    """The evaluator's mask of the rows where every conjunct (at least one) is TRUE."""
    mask = ev.predicate(conjuncts[0], batch)
    for pred in conjuncts[1:]:
        mask = mask & ev.predicate(pred, batch)
    return mask


def selected_rows(ev, conjuncts, batch: Batch):
    """On the GPU, the positions of the rows where every conjunct is TRUE: the NULL-free comparisons
    are evaluated inside the compaction kernel (no mask is written), the other conjuncts' mask
    (evaluated as before) is read there."""
    src, fused, rest = _split(ev, conjuncts, batch)
    columns = [(name, ev.xp.ascontiguousarray(a)) for name, a in src.params.values()]
    if rest:
        columns.append(("rest", conjunction(ev, rest, batch)))
        fused.append("rest")
    return C.rows_where(ev.xp, batch.n, " && ".join(fused), columns)
