"""Calendar arithmetic on day numbers and microseconds, vectorized (proleptic Gregorian)."""
from __future__ import annotations

import numpy as np

from ...errors import ExecutionError
from ...kernels.jit import compiled

US_PER_DAY = 86_400_000_000


_CIVIL = """
long long z = (long long)days + 719468;
long long era = (z >= 0 ? z : z - 146096) / 146097;
long long doe = z - era * 146097;
long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
long long mp = (5 * doy + 2) / 153;
d = doy - (153 * mp + 2) / 5 + 1;
m = mp < 10 ? mp + 3 : mp - 9;
y = yoe + era * 400 + (m <= 2);
"""


def civil_from_days(xp, days):
    """(year, month, day) int64 arrays of day numbers since 1970-01-01 (H. Hinnant's algorithm);
    on the GPU one elementwise kernel."""
    if xp is not np:
        kernel = compiled("civil_from_days", lambda: xp.ElementwiseKernel(
            "T days", "int64 y, int64 m, int64 d", _CIVIL, "warpdb_civil_from_days"))
        return kernel(days)
    z = days.astype(xp.int64) + 719468
    era = xp.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = xp.where(mp < 10, mp + 3, mp - 9)
    return y + (m <= 2), m, d


def days_from_civil(xp, y, m, d):
    """Day numbers since 1970-01-01 of (year, month, day) arrays."""
    y = y - (m <= 2)
    era = xp.floor_divide(y, 400)
    yoe = y - era * 400
    mp = xp.where(m > 2, m - 3, m + 9)
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(xp, y, m):
    nxt_y = xp.where(m == 12, y + 1, y)
    nxt_m = xp.where(m == 12, 1, m + 1)
    return days_from_civil(xp, nxt_y, nxt_m, 1) - days_from_civil(xp, y, m, 1)


def split_timestamp(xp, us):
    days = xp.floor_divide(us, US_PER_DAY)
    return days, us - days * US_PER_DAY


def extract(xp, part: str, values, is_timestamp: bool):
    """extract(part FROM value) for DATE (days) or TIMESTAMP (microseconds) arrays."""
    if is_timestamp:
        days, rem = split_timestamp(xp, values)
    else:
        days, rem = values.astype(xp.int64, copy=False), None
    if part in ("hour", "minute", "second"):
        if rem is None:
            return xp.zeros(values.shape[0], xp.int64)
        div = {"hour": 3_600_000_000, "minute": 60_000_000, "second": 1_000_000}[part]
        mod = {"hour": 24, "minute": 60, "second": 60}[part]
        return (rem // div) % mod
    if part == "epoch":
        seconds = days.astype(xp.float64) * 86400.0
        return seconds if rem is None else seconds + rem.astype(xp.float64) / 1e6
    if part == "dow":
        return (days + 4) % 7
    y, m, d = civil_from_days(xp, days)
    if part == "year":
        return y
    if part == "month":
        return m
    if part == "day":
        return d
    if part == "quarter":
        return (m - 1) // 3 + 1
    if part == "doy":
        return days - days_from_civil(xp, y, xp.ones_like(m), xp.ones_like(d)) + 1
    if part == "week":
        thursday = days - (days + 3) % 7 + 3
        ty, _, _ = civil_from_days(xp, thursday)
        return (thursday - days_from_civil(xp, ty, xp.ones_like(ty), xp.ones_like(ty))) // 7 + 1
    raise ExecutionError(f"unknown date part {part}")


def trunc(xp, unit: str, us):
    """date_trunc(unit, timestamp) on microseconds."""
    days, rem = split_timestamp(xp, us)
    if unit in ("hour", "minute", "second"):
        div = {"hour": 3_600_000_000, "minute": 60_000_000, "second": 1_000_000}[unit]
        return us - rem % div
    if unit == "day":
        return days * US_PER_DAY
    if unit == "week":
        return (days - (days + 3) % 7) * US_PER_DAY
    y, m, _ = civil_from_days(xp, days)
    if unit == "quarter":
        m = (m - 1) // 3 * 3 + 1
    elif unit == "year":
        m = xp.ones_like(m)
    return days_from_civil(xp, y, m, xp.ones_like(m)) * US_PER_DAY


def add_interval(xp, us, months: int, days: int, micros: int):
    """timestamp + INTERVAL; adding months clamps the day to the target month's length."""
    if months:
        d, rem = split_timestamp(xp, us)
        y, m, dd = civil_from_days(xp, d)
        total = y * 12 + (m - 1) + months
        ny, nm = xp.floor_divide(total, 12), total % 12 + 1
        nd = xp.minimum(dd, _days_in_month(xp, ny, nm))
        us = days_from_civil(xp, ny, nm, nd) * US_PER_DAY + rem
    return us + days * US_PER_DAY + micros
