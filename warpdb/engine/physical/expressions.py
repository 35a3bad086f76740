"""Evaluate typed expressions over a batch: vectorized, NULLs by validity masks, SQL 3-valued logic."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import ExecutionError
from ...kernels import compact as C
from .. import types as T
from ..column import Column, constant
from ..expr import Call, Case, Cast, ColRef, Expr, Lit
from ..types import Kind
from . import casts, datetime as dt, strings
from .batch import Batch

_CMP = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}
_SWAP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
_STRING_FUNCS = ("length", "upper", "lower", "trim", "ltrim", "rtrim", "substring", "replace", "starts_with",
                 "ends_with", "contains", "strpos", "like", "ilike", "reverse")


def _and_valid(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a & b


class Evaluator:
    """Evaluates expressions on one backend (`xp` is numpy or cupy)."""

    def __init__(self, xp, to_host):
        self.xp, self.to_host = xp, to_host
        self._memo_batch: Batch | None = None
        self._memo: dict[Expr, Column] = {}
        self._entries: dict[tuple, tuple] = {}

    def eval(self, e: Expr, batch: Batch) -> Column:
        """The column `e` gives over `batch`; repeated subexpressions over one batch are computed once."""
        if isinstance(e, (ColRef, Lit)):
            return self._eval(e, batch)
        if self._memo_batch is not batch:
            self._memo_batch, self._memo = batch, {}
        col = self._memo.get(e)
        if col is None:
            col = self._eval(e, batch)
            if self._memo_batch is batch:
                self._memo[e] = col
        return col

    def _per_entry(self, key: tuple, dictionary, compute):
        """compute()'s per-dictionary-entry result of a string function on the GPU, once per
        evaluator (one query) for each dictionary: a query applying one function to one column in
        several places (Q22's three substrings of c_phone) pays for it once."""
        if self.xp is np:
            return compute()
        key = (*key, id(dictionary))
        hit = self._entries.get(key)
        if hit is None or hit[0] is not dictionary:
            hit = self._entries[key] = (dictionary, compute())
        return hit[1]

    def _eval(self, e: Expr, batch: Batch) -> Column:
        if isinstance(e, ColRef):
            col = batch.columns[e.cid]
            if col.wide is not None:
                raise ExecutionError(
                    f"{e.name or 'a value'} is a DECIMAL sum beyond 18 digits: warpdb can return it but not "
                    "compute with it, compare it or sort by it"
                )
            return col
        if isinstance(e, Lit):
            return constant(self.xp, e.dtype, e.value, batch.n)
        if isinstance(e, Cast):
            return casts.cast(self.xp, self.eval(e.arg, batch), e.dtype, self.to_host)
        if isinstance(e, Case):
            return self.case(e, batch)
        if isinstance(e, Call):
            fn = getattr(self, "op_" + e.op, None)
            if fn is not None:
                return fn(e, batch)
            if e.op in _STRING_FUNCS:
                return self.string_func(e, batch)
            if e.op.startswith("extract_"):
                return self.extract(e, batch)
            if e.op.startswith("date_trunc_"):
                c = self.eval(e.args[0], batch)
                return Column(T.TIMESTAMP, dt.trunc(self.xp, e.op[len("date_trunc_"):], c.data), c.valid)
        raise ExecutionError(f"cannot evaluate {e}")

    def predicate(self, e: Expr, batch: Batch):
        """A boolean mask of rows where `e` is TRUE (NULL counts as false)."""
        c = self.eval(e, batch)
        return c.data if c.valid is None else (c.data & c.valid)

    # --- logic ------------------------------------------------------------------------------
    def op_and(self, e, batch):
        return self._logic(e, batch, is_and=True)

    def op_or(self, e, batch):
        return self._logic(e, batch, is_and=False)

    def _logic(self, e, batch, is_and: bool):
        a, b = (self.eval(x, batch) for x in e.args)
        if a.valid is None and b.valid is None:
            return Column(T.BOOL, (a.data & b.data) if is_and else (a.data | b.data), None)
        at, af = self._truth(a)
        bt, bf = self._truth(b)
        if is_and:
            true, false = at & bt, af | bf
        else:
            true, false = at | bt, af & bf
        return Column(T.BOOL, true, true | false)

    def _truth(self, c: Column):
        v = c.valid_mask(self.xp)
        return c.data & v, ~c.data & v

    def op_not(self, e, batch):
        a = self.eval(e.args[0], batch)
        return Column(T.BOOL, ~a.data, a.valid)

    def op_is_null(self, e, batch):
        a = self.eval(e.args[0], batch)
        xp = self.xp
        return Column(T.BOOL, ~a.valid if a.valid is not None else xp.zeros(batch.n, bool), None)

    # --- comparisons ------------------------------------------------------------------------
    def _compare_raw(self, op: str, a: Expr, b: Expr, batch):
        """(values, valid) of a comparison; literals stay scalars, strings compare on codes."""
        xp = self.xp
        if a.dtype.kind is Kind.VARCHAR:
            return self._compare_strings(op, a, b, batch)
        if isinstance(a, Lit) and not isinstance(b, Lit):
            return self._compare_raw(_SWAP[op], b, a, batch)
        ca = self.eval(a, batch)
        if isinstance(b, Lit):
            if b.value is None:
                return xp.zeros(batch.n, bool), xp.zeros(batch.n, bool)
            return _np_compare(op, ca.data, b.value), ca.valid
        cb = self.eval(b, batch)
        return _np_compare(op, ca.data, cb.data), _and_valid(ca.valid, cb.valid)

    def _compare_strings(self, op, a, b, batch):
        xp = self.xp
        if isinstance(a, Lit) and not isinstance(b, Lit):
            return self._compare_strings(_SWAP[op], b, a, batch)
        ca = self.eval(a, batch)
        if isinstance(b, Lit):
            if b.value is None:
                return xp.zeros(batch.n, bool), xp.zeros(batch.n, bool)
            hits = strings.device_match(xp, ca, "eq", [b.value]) if op in ("eq", "ne") else None
            if hits is not None:
                return (hits if op == "eq" else ~hits)[ca.data], ca.valid
            per = getattr(pc, _CMP[op])(ca.dictionary, pa.scalar(b.value, pa.string()))
            col = strings.gather(xp, ca, per, T.BOOL)
            return col.data, col.valid
        cb = self.eval(b, batch)
        ca, cb = strings.unify(xp, [ca, cb], ordered=op not in ("eq", "ne"))
        return _np_compare(op, ca.data, cb.data), _and_valid(ca.valid, cb.valid)

    def _cmp(self, e, batch):
        data, valid = self._compare_raw(e.op, e.args[0], e.args[1], batch)
        return Column(T.BOOL, data, valid)

    op_eq = op_ne = op_lt = op_le = op_gt = op_ge = _cmp

    def op_is_distinct(self, e, batch):
        return self._distinct(e, batch, negate=False)

    def op_is_not_distinct(self, e, batch):
        return self._distinct(e, batch, negate=True)

    def _distinct(self, e, batch, negate: bool):
        xp = self.xp
        eq, _ = self._compare_raw("eq", e.args[0], e.args[1], batch)
        va = self.eval(e.args[0], batch).valid_mask(xp)
        vb = self.eval(e.args[1], batch).valid_mask(xp)
        same = (va & vb & eq) | (~va & ~vb)
        return Column(T.BOOL, same if negate else ~same, None)

    def op_in(self, e, batch):
        xp = self.xp
        arg, items = e.args[0], e.args[1:]
        c = self.eval(arg, batch)
        values = [i.value for i in items if i.value is not None]
        has_null = len(values) != len(items)
        if arg.dtype.kind is Kind.VARCHAR:
            hit = self._string_in(c, values)
        else:
            hit = xp.isin(c.data, xp.asarray(np.array(values, dtype=T.device_dtype(arg.dtype)))) if values else xp.zeros(batch.n, bool)
        valid = c.valid
        if has_null:
            valid = hit if valid is None else (valid & hit)
        return Column(T.BOOL, hit, valid)

    def _string_in(self, c: Column, values: list):
        """Row hits of `c IN (values)` (NULLs aside): one answer per dictionary entry, gathered by code."""
        return strings.entry_predicate(self.xp, c, "in", values)[c.data]

    # --- arithmetic -------------------------------------------------------------------------
    def _operands(self, e, batch):
        """(a, b, valid) of a binary operator; a literal side stays a scalar."""
        a, b = e.args
        if isinstance(a, Lit) and a.value is not None and a.dtype.kind is not Kind.INTERVAL and not isinstance(b, Lit):
            cb = self.eval(b, batch)
            return a.value, cb.data, cb.valid
        ca = self.eval(a, batch)
        if isinstance(b, Lit) and b.value is not None and b.dtype.kind is not Kind.INTERVAL:
            return ca.data, b.value, ca.valid
        cb = self.eval(b, batch)
        return ca.data, cb.data, _and_valid(ca.valid, cb.valid)

    def op_add(self, e, batch):
        return self._arith(e, batch, "add")

    def op_sub(self, e, batch):
        return self._arith(e, batch, "sub")

    def op_mul(self, e, batch):
        return self._arith(e, batch, "mul")

    def _bounds(self, x, valid):
        """(min, max) of the valid values of an operand, as Python ints."""
        if getattr(x, "ndim", 0) == 0:
            return int(x), int(x)
        if x.shape[0] == 0:
            return 0, 0
        if valid is not None:
            if not bool(valid.any()):
                return 0, 0
            return int(self.xp.where(valid, x, x.max()).min()), int(self.xp.where(valid, x, x.min()).max())
        return int(x.min()), int(x.max())

    def _arith(self, e, batch, op):
        """Integer and decimal + - * with overflow reported, never wrapped. The operands' value
        ranges decide first whether any row can overflow; only then is every row checked."""
        xp = self.xp
        a, b, valid = self._operands(e, batch)
        t = e.dtype
        fn = {"add": xp.add, "sub": xp.subtract, "mul": xp.multiply}[op]
        if T.is_float(t):
            with np.errstate(invalid="ignore", over="ignore"):
                out = xp.asarray(fn(a, b))
            return Column(t, out.astype(T.device_dtype(t), copy=False), valid)
        a64 = a.astype(np.int64, copy=False) if hasattr(a, "astype") else np.int64(a)
        b64 = b.astype(np.int64, copy=False) if hasattr(b, "astype") else np.int64(b)
        with np.errstate(over="ignore"):
            out = fn(a64, b64)
        (alo, ahi), (blo, bhi) = self._bounds(a64, valid), self._bounds(b64, valid)
        if op == "mul":
            corners = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
        elif op == "add":
            corners = (alo + blo, ahi + bhi)
        else:
            corners = (alo - bhi, ahi - blo)
        if t.kind is Kind.DECIMAL:
            limit = 10 ** min(t.precision, 18) - 1 if t.precision <= 18 else 2**63 - 1
            lo_ok, hi_ok = -limit, limit
        else:
            lo_ok, hi_ok = T.INT_BOUNDS[t.kind]
        if min(corners) < lo_ok or max(corners) > hi_ok:
            self._overflow_rows(a64, b64, out, valid, op, t, lo_ok, hi_ok)
        return Column(t, out.astype(T.device_dtype(t), copy=False), valid)

    def _overflow_rows(self, a64, b64, out, valid, op, t, lo_ok, hi_ok):
        """Raise when some valid row's exact result leaves [lo_ok, hi_ok]."""
        xp = self.xp
        if op == "mul":
            fa = a64.astype(np.float64)
            fb = b64.astype(np.float64)
            bad = xp.abs(fa * fb) >= 9.2e18
        elif op == "add":
            bad = ((a64 ^ out) & (b64 ^ out)) < 0
        else:
            bad = ((a64 ^ b64) & (a64 ^ out)) < 0
        bad = bad | (out < lo_ok) | (out > hi_ok)
        if valid is not None:
            bad &= valid
        if bool(bad.any()):
            raise ExecutionError(f"Overflow in {op} of {t}")

    def op_div(self, e, batch):
        a, b, valid = self._operands(e, batch)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.xp.true_divide(a, b)
        return Column(e.dtype, out.astype(T.device_dtype(e.dtype), copy=False), valid)

    def _zero_check(self, b, valid, op):
        if getattr(b, "ndim", 0) == 0:
            zero = b == 0
        else:
            mask = b == 0
            zero = bool((mask if valid is None else mask & valid).any())
        if zero:
            raise ExecutionError(f"Division by zero in {op}")

    def op_intdiv(self, e, batch):
        xp = self.xp
        a, b, valid = self._operands(e, batch)
        self._zero_check(b, valid, "//")
        bs = xp.where(b == 0, 1, b) if hasattr(b, "shape") else b
        q = xp.floor_divide(a, bs)
        r = a - q * bs
        q = q + ((r != 0) & ((a < 0) != (bs < 0)))
        return Column(e.dtype, q.astype(T.device_dtype(e.dtype), copy=False), valid)

    def op_mod(self, e, batch):
        xp = self.xp
        a, b, valid = self._operands(e, batch)
        if not T.is_float(e.dtype):
            self._zero_check(b, valid, "%")
            b = xp.where(b == 0, 1, b) if hasattr(b, "shape") else b
        with np.errstate(invalid="ignore", divide="ignore"):
            out = xp.fmod(a, b)
        return Column(e.dtype, out.astype(T.device_dtype(e.dtype), copy=False), valid)

    def op_neg(self, e, batch):
        c = self.eval(e.args[0], batch)
        if T.is_integer(e.dtype):
            lo = T.INT_BOUNDS[e.dtype.kind][0]
            bad = c.data == lo
            if c.valid is not None:
                bad &= c.valid
            if bool(bad.any()):
                raise ExecutionError(f"Overflow in negation of {e.dtype}")
        return Column(e.dtype, -c.data, c.valid)

    def op_abs(self, e, batch):
        c = self.eval(e.args[0], batch)
        return Column(e.dtype, self.xp.abs(c.data), c.valid)

    # --- conditionals -----------------------------------------------------------------------
    def case(self, e: Case, batch):
        """CASE: each branch value is computed only on the rows that take it (so an error such as
        an overflow in a branch not taken is never raised)."""
        xp = self.xp
        args = e.args
        if e.dtype.kind is Kind.VARCHAR:
            return self._case_strings(e, batch)
        data = xp.zeros(batch.n, T.device_dtype(e.dtype))
        valid = xp.zeros(batch.n, bool)
        undecided = xp.ones(batch.n, bool)
        branches = [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)] + [(None, args[-1])]
        for cond, value in branches:
            take = undecided if cond is None else (self.predicate(cond, batch) & undecided)
            rows = C.true_rows(xp, take)
            if rows.shape[0] == 0:
                continue
            v = self.eval(value, batch.take(xp, rows)) if not isinstance(value, (Lit, ColRef)) else self.eval(value, batch).take(xp, rows)
            data[rows] = v.data
            valid[rows] = v.valid_mask(xp)
            undecided &= ~take
        return Column(e.dtype, data, None if bool(valid.all()) else valid)

    def _case_strings(self, e: Case, batch):
        xp = self.xp
        args = e.args
        values = [self.eval(args[i], batch) for i in range(1, len(args) - 1, 2)] + [self.eval(args[-1], batch)]
        values = strings.unify(xp, values)
        out = values[-1]
        data, valid = out.data, out.valid_mask(xp)
        decided = xp.zeros(batch.n, bool)
        result_data, result_valid = xp.zeros_like(data), xp.zeros(batch.n, bool)
        for k, i in enumerate(range(0, len(args) - 1, 2)):
            take = self.predicate(args[i], batch) & ~decided
            v = values[k]
            result_data = xp.where(take, v.data, result_data)
            result_valid = xp.where(take, v.valid_mask(xp), result_valid)
            decided |= take
        result_data = xp.where(decided, result_data, data)
        result_valid = xp.where(decided, result_valid, valid)
        return Column(e.dtype, result_data, None if bool(result_valid.all()) else result_valid, out.dictionary, False)

    def op_coalesce(self, e, batch):
        xp = self.xp
        cols = [self.eval(a, batch) for a in e.args]
        if e.dtype.kind is Kind.VARCHAR:
            cols = strings.unify(xp, cols)
        out = cols[-1]
        data, valid = out.data, out.valid_mask(xp)
        for c in reversed(cols[:-1]):
            v = c.valid_mask(xp)
            data = xp.where(v, c.data, data)
            valid = v | valid
        return Column(e.dtype, data, None if bool(valid.all()) else valid, out.dictionary, False)

    def op_greatest(self, e, batch):
        return self._extreme(e, batch, self.xp.maximum)

    def op_least(self, e, batch):
        return self._extreme(e, batch, self.xp.minimum)

    def _extreme(self, e, batch, fn):
        xp = self.xp
        cols = [self.eval(a, batch) for a in e.args]
        if e.dtype.kind is Kind.VARCHAR:
            cols = strings.unify(xp, cols, ordered=True)
        data, valid = cols[0].data, cols[0].valid_mask(xp)
        for c in cols[1:]:
            v = c.valid_mask(xp)
            both = fn(data, c.data)
            data = xp.where(valid & v, both, xp.where(v, c.data, data))
            valid = valid | v
        return Column(e.dtype, data, None if bool(valid.all()) else valid, cols[0].dictionary, cols[0].dict_sorted)

    # --- strings ----------------------------------------------------------------------------
    def string_func(self, e, batch):
        xp = self.xp
        first, rest = e.args[0], e.args[1:]
        c = self.eval(first, batch)
        if all(isinstance(r, Lit) for r in rest):
            consts = [r.value for r in rest]
            if any(v is None for v in consts) or (isinstance(first, Lit) and first.value is None):
                return constant(xp, e.dtype, None, batch.n)
            hits = self._per_entry(("match", e.op, repr(consts)), c.dictionary,
                                   lambda: strings.device_match(xp, c, e.op, consts))
            if hits is not None:
                return strings.gather_device(c, hits)
            if e.op == "substring":
                sub = self._per_entry(("substring", repr(consts)), c.dictionary,
                                      lambda: strings.device_substring(xp, c.dictionary, *consts))
                if sub is not None:
                    return strings.gather_substring(c, sub)
            per = strings.apply(e.op, c.dictionary, consts)
            if e.dtype.kind is Kind.VARCHAR:
                return strings.gather_strings(xp, c, per)
            return strings.gather(xp, c, per, e.dtype)
        raise ExecutionError(f"{e.op}() with non-constant arguments")

    def op_concat(self, e, batch):
        return self._concat(e, batch, "skip")

    def op_concat_strict(self, e, batch):
        return self._concat(e, batch, "emit_null")

    def _concat(self, e, batch, nulls):
        xp = self.xp
        arrays = [strings.rows(xp, self.eval(a, batch), self.to_host) for a in e.args]
        if not arrays or batch.n == 0:
            return constant(xp, T.VARCHAR, "", batch.n)
        if nulls == "skip":
            arrays = [a.fill_null("") for a in arrays]
        joined = pc.binary_join_element_wise(*arrays, "", null_handling="emit_null")
        from ..column import encode_strings

        return encode_strings(xp, joined)

    # --- dates ------------------------------------------------------------------------------
    def extract(self, e, batch):
        c = self.eval(e.args[0], batch)
        part = e.op[len("extract_"):]
        out = dt.extract(self.xp, part, c.data, c.dtype.kind is Kind.TIMESTAMP)
        return Column(e.dtype, out.astype(T.device_dtype(e.dtype), copy=False), c.valid)

    def op_add_interval(self, e, batch):
        return self._interval(e, batch, 1)

    def op_sub_interval(self, e, batch):
        return self._interval(e, batch, -1)

    def _interval(self, e, batch, sign):
        c = self.eval(e.args[0], batch)
        iv = e.args[1]
        if not isinstance(iv, Lit):
            raise ExecutionError("INTERVAL must be a constant")
        if iv.value is None:
            return constant(self.xp, T.TIMESTAMP, None, batch.n)
        months, days, micros = iv.value
        return Column(T.TIMESTAMP, dt.add_interval(self.xp, c.data, sign * months, sign * days, sign * micros), c.valid)

    def op_add_days(self, e, batch):
        a, b, valid = self._operands(e, batch)
        return Column(T.DATE, (a + b).astype(np.int32), valid)

    def op_sub_days(self, e, batch):
        a, b, valid = self._operands(e, batch)
        return Column(T.DATE, (a - b).astype(np.int32), valid)

    def op_date_diff_days(self, e, batch):
        a, b, valid = self._operands(e, batch)
        return Column(T.INT64, a.astype(np.int64) - b, valid)


def _np_compare(op, a, b):
    """Comparison with DuckDB's float order: NaN equals NaN and is greater than every number."""
    if getattr(a, "dtype", None) is not None and a.dtype.kind == "f":
        xp = _module_of(a)
        an, bn = xp.isnan(a), xp.isnan(b)
        if op == "eq":
            return (a == b) | (an & bn)
        if op == "ne":
            return ~((a == b) | (an & bn))
        if op == "lt":
            return (a < b) | (~an & bn)
        if op == "le":
            return (a <= b) | bn
        if op == "gt":
            return (a > b) | (an & ~bn)
        return (a >= b) | an
    if op == "eq":
        return a == b
    if op == "ne":
        return a != b
    if op == "lt":
        return a < b
    if op == "le":
        return a <= b
    if op == "gt":
        return a > b
    return a >= b


def _module_of(a):
    return np if isinstance(a, np.ndarray) else __import__("cupy")
