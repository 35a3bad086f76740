"""Output modes for result tables: table (box drawing), csv, json, markdown and line."""
from __future__ import annotations

import csv
import datetime
import decimal
import io
import json
import math

import pyarrow as pa
from wcwidth import wcswidth

MODES = ("table", "csv", "json", "markdown", "line")
NULL = "NULL"


def render(table: pa.Table, mode: str, maxrows: int = 0) -> str:
    """`table` as text in output `mode`; table mode shows at most `maxrows` rows (0: all)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    names = list(table.column_names)
    numeric = [_is_numeric(f.type) for f in table.schema]
    if mode == "table" and maxrows and table.num_rows > maxrows:
        rows = _rows(table.slice(0, maxrows))
        return _box(names, rows, numeric) + f"… {table.num_rows} rows ({maxrows} shown)\n"
    rows = _rows(table)
    if mode == "table":
        return _box(names, rows, numeric)
    if mode == "csv":
        return _csv(names, rows)
    if mode == "json":
        return _json(names, rows)
    if mode == "markdown":
        return _markdown(names, rows, numeric)
    return _line(names, rows)


def _rows(table: pa.Table) -> list[tuple]:
    cols = [c.to_pylist() for c in table.columns]
    return list(zip(*cols)) if cols else []


def _is_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def text(value) -> str:
    """How one value reads in a table: NULL, true/false, ISO dates, newlines and tabs as \\n, \\t."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    return str(value).replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _width(s: str) -> int:
    w = wcswidth(s)
    return len(s) if w < 0 else w


def _pad(s: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(s))
    return fill + s if right else s + fill


def _grid(names, rows):
    cells = [[text(v) for v in r] for r in rows]
    widths = [max([_width(n)] + [_width(r[i]) for r in cells]) for i, n in enumerate(names)]
    return cells, widths


def _box(names, rows, numeric) -> str:
    if not names:
        return ""
    cells, widths = _grid(names, rows)

    def rule(left, mid, right):
        return left + mid.join("─" * (w + 2) for w in widths) + right + "\n"

    def line(values, align):
        return "│" + "│".join(f" {_pad(v, w, a)} " for v, w, a in zip(values, widths, align)) + "│\n"

    out = [rule("┌", "┬", "┐"), line(names, [False] * len(names)), rule("├", "┼", "┤")]
    out += [line(r, numeric) for r in cells]
    out.append(rule("└", "┴", "┘"))
    return "".join(out)


def _markdown(names, rows, numeric) -> str:
    if not names:
        return ""
    cells, widths = _grid(names, rows)
    widths = [max(w, 3) for w in widths]
    out = ["| " + " | ".join(_pad(n, w, False) for n, w in zip(names, widths)) + " |"]
    out.append("|" + "|".join("-" * (w + 1) + (":" if a else "-") for w, a in zip(widths, numeric)) + "|")
    for r in cells:
        out.append("| " + " | ".join(_pad(v.replace("|", "\\|"), w, a) for v, w, a in zip(r, widths, numeric)) + " |")
    return "\n".join(out) + "\n"


def _csv(names, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for r in rows:
        w.writerow(["" if v is None else _csv_value(v) for v in r])
    return buf.getvalue() if names else ""


def _csv_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    return str(v)


def _json(names, rows) -> str:
    if not rows:
        return "[]\n"
    keys = [json.dumps(n, ensure_ascii=False) for n in names]
    objs = ["{" + ",".join(f"{k}:{_json_value(v)}" for k, v in zip(keys, r)) + "}" for r in rows]
    return "[" + ",\n".join(objs) + "]\n"


def _json_value(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, decimal.Decimal):
        return str(v) if v.is_finite() else json.dumps(str(v))
    if isinstance(v, float) and not math.isfinite(v):
        return json.dumps(str(v))
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return json.dumps(_csv_value(v), ensure_ascii=False)


def _line(names, rows) -> str:
    width = max((_width(n) for n in names), default=0)
    blocks = ["".join(f"{_pad(n, width, True)} = {text(v)}\n" for n, v in zip(names, r)) for r in rows]
    return "\n".join(blocks)
