"""Row-group pruning: the Parquet row groups whose min/max statistics leave room for rows that satisfy
a scan's filters. A row group is kept whenever its statistics are missing or a type or predicate is
not handled; only integer, decimal, date and string columns compared with literals are used."""
from __future__ import annotations

import datetime
import decimal
from fractions import Fraction

from ..engine import types as T
from ..engine.expr import Call, ColRef, Expr, Lit

_EPOCH = datetime.date(1970, 1, 1)
_INTS = frozenset({T.Kind.INT8, T.Kind.INT16, T.Kind.INT32, T.Kind.INT64})
_NUMERIC = _INTS | {T.Kind.DECIMAL}
_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _group(kind: T.Kind) -> str | None:
    """Kinds whose values compare with each other: numbers, dates, strings."""
    if kind in _NUMERIC:
        return "number"
    return {T.Kind.DATE: "date", T.Kind.VARCHAR: "string"}.get(kind)


def literal(lit: Lit):
    """A literal in device form as a comparable Python value (None when not handled)."""
    v, kind = lit.value, lit.dtype.kind
    if v is None or _group(kind) is None or isinstance(v, bool):
        return None
    if kind is T.Kind.DECIMAL:
        return Fraction(int(v), 10 ** lit.dtype.scale)
    return v if isinstance(v, (int, str)) else None


def statistic(v, kind: T.Kind):
    """A Parquet statistics value as a comparable Python value in the engine's terms (dates as days
    since the epoch, decimals exact, strings as str); None when not handled."""
    if kind in _NUMERIC:
        if isinstance(v, decimal.Decimal):
            return Fraction(v) if v.is_finite() else None
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if kind is T.Kind.DATE:
        ok = isinstance(v, datetime.date) and not isinstance(v, datetime.datetime)
        return (v - _EPOCH).days if ok else None
    if kind is T.Kind.VARCHAR:
        if isinstance(v, bytes):
            try:
                return v.decode("utf-8")
            except UnicodeDecodeError:
                return None
        return v if isinstance(v, str) else None
    return None


def _compare(op: str, lo, hi, v) -> bool:
    """Whether some value in [lo, hi] can satisfy `value op v`."""
    if op == "eq":
        return lo <= v <= hi
    if op == "ne":
        return not (lo == hi == v)
    if op == "lt":
        return lo < v
    if op == "le":
        return lo <= v
    if op == "gt":
        return hi > v
    return hi >= v


def may_match(e: Expr, ranges: dict[int, tuple]) -> bool:
    """False only when no row whose columns lie in `ranges` (cid -> (min, max, kind)) can make `e`
    TRUE."""
    if not isinstance(e, Call):
        return True
    if e.op == "and":
        return all(may_match(a, ranges) for a in e.args)
    if e.op == "or":
        return any(may_match(a, ranges) for a in e.args)
    if e.op in _FLIP and len(e.args) == 2:
        a, b = e.args
        op = e.op
        if isinstance(a, Lit) and isinstance(b, ColRef):
            a, b, op = b, a, _FLIP[op]
        if isinstance(a, ColRef) and isinstance(b, Lit):
            return _test(ranges.get(a.cid), b, lambda lo, hi, v: _compare(op, lo, hi, v))
        return True
    if e.op == "in" and isinstance(e.args[0], ColRef) and all(isinstance(x, Lit) for x in e.args[1:]):
        r = ranges.get(e.args[0].cid)
        return any(_test(r, x, lambda lo, hi, v: lo <= v <= hi) for x in e.args[1:])
    return True


def _test(r, lit: Lit, check) -> bool:
    if r is None:
        return True
    lo, hi, kind = r
    v = literal(lit)
    if v is None or _group(lit.dtype.kind) != _group(kind):
        return True
    return check(lo, hi, v)


def row_groups(meta, filters, columns: dict[int, tuple[str, T.DataType]]) -> list[int]:
    """The row groups of a file (pyarrow FileMetaData) that may hold rows satisfying every filter;
    `columns` maps the filters' cids to the file's column names and engine types. Empty row groups
    are skipped."""
    index = {meta.schema.column(j).path.lower(): j for j in range(meta.num_columns)}
    used = {cid: (index[name.lower()], dtype.kind) for cid, (name, dtype) in columns.items()
            if name.lower() in index and _group(dtype.kind) is not None}
    keep = []
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        if rg.num_rows == 0:
            continue
        ranges = {}
        for cid, (j, kind) in used.items():
            r = _range(rg.column(j).statistics, kind)
            if r is not None:
                ranges[cid] = r
        if all(may_match(f, ranges) for f in filters):
            keep.append(g)
    return keep


def _range(stats, kind: T.Kind):
    if stats is None or not stats.has_min_max:
        return None
    try:
        lo, hi = statistic(stats.min, kind), statistic(stats.max, kind)
    except Exception:
        return None
    return None if lo is None or hi is None else (lo, hi, kind)
