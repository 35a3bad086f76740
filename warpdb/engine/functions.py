"""Typed construction of scalar calls: DuckDB's result types and implicit casts, in one place."""
from __future__ import annotations

import datetime

from ..errors import BindError, NotSupported, TypeMismatch
from . import types as T
from .expr import Call, Cast, Expr, Lit
from .types import DataType, Kind

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge", "is_distinct", "is_not_distinct")
ARITHMETIC = ("add", "sub", "mul", "div", "intdiv", "mod")
DATE_PARTS = ("year", "quarter", "month", "day", "dow", "doy", "week", "hour", "minute", "second", "epoch")
TRUNC_UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second")
EPOCH = datetime.date(1970, 1, 1)


def cast(e: Expr, t: DataType) -> Expr:
    """`e` as type `t` (no node when it already is; literals converted at once)."""
    if e.dtype == t:
        return e
    if isinstance(e, Lit):
        from .literals import convert_literal

        return convert_literal(e, t)
    return Cast(e, t)


def coerce_string_literal(a: Expr, b: Expr) -> tuple[Expr, Expr]:
    """DuckDB casts a string literal compared with a typed value to that value's type."""
    if isinstance(a, Lit) and a.dtype.kind is Kind.VARCHAR and b.dtype.kind not in (Kind.VARCHAR, Kind.NULL):
        a = cast(a, b.dtype)
    if isinstance(b, Lit) and b.dtype.kind is Kind.VARCHAR and a.dtype.kind not in (Kind.VARCHAR, Kind.NULL):
        b = cast(b, a.dtype)
    return a, b


def compare(op: str, a: Expr, b: Expr) -> Expr:
    a, b = coerce_string_literal(a, b)
    t = T.comparison_type(a.dtype, b.dtype)
    return Call(op, (cast(a, t), cast(b, t)), T.BOOL)


def logical(op: str, args: list[Expr]) -> Expr:
    for a in args:
        if a.dtype.kind not in (Kind.BOOL, Kind.NULL):
            raise TypeMismatch(f"{op.upper()} needs BOOLEAN operands, got {a.dtype}")
    return Call(op, tuple(cast(a, T.BOOL) for a in args), T.BOOL)


def arithmetic(op: str, a: Expr, b: Expr) -> Expr:
    """+ - * / // % with DuckDB's result types (DECIMAL exact, `/` always DOUBLE)."""
    ta, tb = a.dtype, b.dtype
    if op in ("add", "sub") and (T.is_temporal(ta) or T.is_temporal(tb) or Kind.INTERVAL in (ta.kind, tb.kind)):
        return _temporal_arithmetic(op, a, b)
    a, b = coerce_string_literal(a, b)
    a, b = _fit_int_literal(a, b)
    ta, tb = a.dtype, b.dtype
    if not (T.is_numeric(ta) and T.is_numeric(tb)):
        raise TypeMismatch(f"cannot apply {_SYMBOL[op]} to {ta} and {tb}")
    if ta.kind is Kind.NULL:
        a, ta = cast(a, tb if tb.kind is not Kind.NULL else T.INT32), (tb if tb.kind is not Kind.NULL else T.INT32)
    if tb.kind is Kind.NULL:
        b, tb = cast(b, ta), ta
    if op == "div" or (op == "intdiv" and not (T.is_integer(ta) and T.is_integer(tb))):
        ft = T.FLOAT32 if T.numeric_supertype(ta, tb) == T.FLOAT32 else T.FLOAT64
        return Call("div", (cast(a, ft), cast(b, ft)), ft)
    if T.is_float(ta) or T.is_float(tb):
        t = T.numeric_supertype(ta, tb)
        return Call(op, (cast(a, t), cast(b, t)), t)
    if ta.kind is Kind.DECIMAL or tb.kind is Kind.DECIMAL:
        da, db = T.as_decimal(ta), T.as_decimal(tb)
        if op == "mul":
            width = da.precision + db.precision
            if width > T.MAX_DECIMAL64_DIGITS and da.precision <= T.MAX_DECIMAL64_DIGITS and db.precision <= T.MAX_DECIMAL64_DIGITS:
                width = T.MAX_DECIMAL64_DIGITS
            rt = T.decimal(width, da.scale + db.scale)
            return Call("mul", (cast(a, da), cast(b, db)), rt)
        s = max(da.scale, db.scale)
        whole = max(da.precision - da.scale, db.precision - db.scale)
        rt = T.decimal(whole + s + (1 if op in ("add", "sub") else 0), s)
        return Call(op, (cast(a, T.decimal(da.precision - da.scale + s, s)), cast(b, T.decimal(db.precision - db.scale + s, s))), rt)
    t = T.numeric_supertype(ta, tb) if ta.kind is not Kind.NULL or tb.kind is not Kind.NULL else T.INT32
    return Call(op, (cast(a, t), cast(b, t)), t)


def _fit_int_literal(a: Expr, b: Expr) -> tuple[Expr, Expr]:
    """An integer literal next to a narrower integer (or FLOAT) takes that type, as in DuckDB."""
    for x, y in ((a, b), (b, a)):
        if isinstance(x, Lit) and T.is_integer(x.dtype) and x.value is not None and not isinstance(y, Lit):
            if T.is_integer(y.dtype) and y.dtype != x.dtype:
                lo, hi = T.INT_BOUNDS[y.dtype.kind]
                if lo <= x.value <= hi:
                    x2 = Lit(x.value, y.dtype)
                    return (x2, b) if x is a else (a, x2)
            if y.dtype == T.FLOAT32:
                x2 = Lit(float(x.value), T.FLOAT32)
                return (x2, b) if x is a else (a, x2)
    return a, b


_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "intdiv": "//", "mod": "%"}


def _temporal_arithmetic(op: str, a: Expr, b: Expr) -> Expr:
    ka, kb = a.dtype.kind, b.dtype.kind
    if ka is Kind.INTERVAL and op == "add" and kb is not Kind.INTERVAL:
        a, b, ka, kb = b, a, kb, ka
    if ka in (Kind.DATE, Kind.TIMESTAMP) and kb is Kind.INTERVAL:
        return Call("add_interval" if op == "add" else "sub_interval", (cast(a, T.TIMESTAMP), b), T.TIMESTAMP)
    if ka is Kind.DATE and T.is_integer(b.dtype):
        return Call("add_days" if op == "add" else "sub_days", (a, cast(b, T.INT32)), T.DATE)
    if ka is Kind.DATE and kb is Kind.DATE and op == "sub":
        return Call("date_diff_days", (a, b), T.INT64)
    if ka is Kind.TIMESTAMP and kb in (Kind.TIMESTAMP, Kind.DATE) and op == "sub":
        raise TypeMismatch("TIMESTAMP - TIMESTAMP gives an INTERVAL, which warpdb cannot return")
    raise TypeMismatch(f"cannot apply {_SYMBOL[op]} to {a.dtype} and {b.dtype}")


def negate(a: Expr) -> Expr:
    if not T.is_numeric(a.dtype):
        raise TypeMismatch(f"cannot negate {a.dtype}")
    if isinstance(a, Lit) and a.value is not None:
        return Lit(-a.value, a.dtype)
    return Call("neg", (a,), a.dtype)


def supertype(types: list[DataType], what: str) -> DataType:
    """The one type a list of values (CASE branches, COALESCE, IN lists, UNION columns) takes."""
    out = T.NULL
    for t in types:
        if out.kind is Kind.NULL:
            out = t
        elif t.kind is Kind.NULL or t == out:
            continue
        elif T.is_numeric(t) and T.is_numeric(out):
            out = T.numeric_supertype(out, t)
        elif T.is_temporal(t) and T.is_temporal(out):
            out = T.TIMESTAMP
        else:
            raise TypeMismatch(f"{what}: cannot combine {out} and {t}")
    return out


def unify(args: list[Expr], what: str) -> list[Expr]:
    """Cast `args` to their common type (string literals follow a typed neighbour)."""
    typed = [a.dtype for a in args if a.dtype.kind is not Kind.NULL and not (isinstance(a, Lit) and a.dtype.kind is Kind.VARCHAR)]
    t = supertype(typed or [a.dtype for a in args], what)
    return [cast(a, t) for a in args]


def string_function(name: str, args: list[Expr]) -> Expr:
    """length, upper, lower, substring, trim, ltrim, rtrim, replace, starts_with, strpos, contains."""
    sig = {
        "length": (1, T.INT64), "upper": (1, T.VARCHAR), "lower": (1, T.VARCHAR),
        "trim": (None, T.VARCHAR), "ltrim": (None, T.VARCHAR), "rtrim": (None, T.VARCHAR),
        "substring": (None, T.VARCHAR), "replace": (3, T.VARCHAR), "starts_with": (2, T.BOOL),
        "ends_with": (2, T.BOOL), "strpos": (2, T.INT64), "contains": (2, T.BOOL), "reverse": (1, T.VARCHAR),
    }
    n, rt = sig[name]
    if n is not None and len(args) != n:
        raise BindError(f"{name}() takes {n} argument(s), got {len(args)}")
    first = args[0]
    if first.dtype.kind not in (Kind.VARCHAR, Kind.NULL):
        raise TypeMismatch(f"{name}() needs a VARCHAR argument, got {first.dtype}")
    if name == "substring":
        if len(args) not in (2, 3):
            raise BindError("substring() takes 2 or 3 arguments")
        if any(not isinstance(a, Lit) for a in args[1:]):
            raise NotSupported("substring() with a non-constant start or length")
        rest = [_int_arg(name, a) for a in args[1:]]
        return Call(name, (first, *rest), rt)
    rest = [cast(a, T.VARCHAR) if a.dtype.kind is Kind.NULL else a for a in args[1:]]
    if any(not isinstance(a, Lit) for a in args[1:]):
        raise NotSupported(f"{name}() with a non-constant second or later argument")
    for a in rest:
        if a.dtype.kind is not Kind.VARCHAR:
            raise TypeMismatch(f"{name}() needs VARCHAR arguments, got {a.dtype}")
    return Call(name, (first, *rest), rt)


def _int_arg(name: str, a: Expr) -> Expr:
    if not (T.is_integer(a.dtype) or a.dtype.kind is Kind.NULL):
        raise TypeMismatch(f"{name}() needs an integer argument, got {a.dtype}")
    return cast(a, T.INT64)


def concat(args: list[Expr], null_propagates: bool) -> Expr:
    """concat(...) skips NULLs; `a || b` is NULL when either side is."""
    out = [a if a.dtype.kind is Kind.VARCHAR else cast(a, T.VARCHAR) for a in args]
    return Call("concat_strict" if null_propagates else "concat", tuple(out), T.VARCHAR)


def extract(part: str, a: Expr) -> Expr:
    part = {"years": "year", "months": "month", "days": "day", "dayofweek": "dow", "dayofyear": "doy"}.get(part, part)
    if part not in DATE_PARTS:
        raise BindError(f"extract: unknown date part '{part}'")
    if not T.is_temporal(a.dtype):
        raise TypeMismatch(f"extract({part}) needs a DATE or TIMESTAMP, got {a.dtype}")
    return Call("extract_" + part, (a,), T.FLOAT64 if part == "epoch" else T.INT64)


def date_trunc(unit: str, a: Expr) -> Expr:
    if unit not in TRUNC_UNITS:
        raise BindError(f"date_trunc: unknown unit '{unit}'")
    if not T.is_temporal(a.dtype):
        raise TypeMismatch(f"date_trunc needs a DATE or TIMESTAMP, got {a.dtype}")
    return Call("date_trunc_" + unit, (cast(a, T.TIMESTAMP),), T.TIMESTAMP)
