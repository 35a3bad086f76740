"""Helpers of the file-reading tests: copies of tables in every format, a local HTTP server with
Range support, and SQL type names of Arrow types (for read_csv/read_json columns=)."""
from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq

FORMATS = ("parquet", "csv", "json", "arrow")
# Two scans of lineitem's early row groups that together overflow a small cache tier: run q1, q2, q1.
TIER_QUERIES = (
    "select l_returnflag, sum(l_quantity), count(*) from lineitem where l_orderkey < 6000 group by 1 order by 1",
    "select l_shipmode, max(l_extendedprice) from lineitem where l_orderkey < 6000 group by 1 order by 1",
)


def sql_type(t: pa.DataType) -> str:
    """The DuckDB type name of an Arrow type."""
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    names = {pa.int64(): "BIGINT", pa.int32(): "INTEGER", pa.date32(): "DATE", pa.float64(): "DOUBLE",
             pa.string(): "VARCHAR", pa.string_view(): "VARCHAR", pa.large_string(): "VARCHAR", pa.bool_(): "BOOLEAN"}
    return names[t]


def columns_option(schema: pa.Schema) -> str:
    """`columns={...}` for read_csv / read_json giving every column's name and type."""
    return "columns={" + ", ".join(f"'{f.name}': '{sql_type(f.type)}'" for f in schema) + "}"


def plain(table: pa.Table) -> pa.Table:
    """The table with string views as plain strings (what the text writers take)."""
    return table.cast(pa.schema([pa.field(f.name, pa.string() if f.type == pa.string_view() else f.type)
                                 for f in table.schema]))


def write(table: pa.Table, fmt: str, path: Path) -> None:
    """Write `table` to `path` in format `fmt` (JSON: one object per line, decimals and dates as text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(table, path)
    elif fmt == "csv":
        pacsv.write_csv(plain(table), path)
    elif fmt == "arrow":
        feather.write_feather(plain(table), path, compression="uncompressed")
    else:
        with open(path, "w") as f:
            for row in table.to_pylist():
                f.write(json.dumps(row, default=str) + "\n")


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single-range GET support (what fsspec's HTTP reads ask for)."""

    def log_message(self, *args):
        pass

    def send_head(self):
        m = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        path = self.translate_path(self.path)
        if not m or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        start, end = int(m.group(1)), min(int(m.group(2) or size - 1), size - 1)
        f = open(path, "rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self.wfile.write(f.read(end - start + 1))
        f.close()
        return None


class HTTPServer:
    """A threaded HTTP server on 127.0.0.1 serving `root`; a context manager giving its base URL."""

    def __init__(self, root: Path):
        handler = functools.partial(_RangeHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


PARQUET_WRITES = [  # pyarrow writer options covering the Parquet page layouts the GPU decoder meets
    dict(compression="none"),
    dict(compression="snappy"),
    dict(compression="snappy", data_page_version="2.0"),
    dict(compression="snappy", data_page_size=512, dictionary_pagesize_limit=256),
    dict(compression="snappy", use_dictionary=False),
    dict(compression="snappy", use_dictionary=["s_few", "s_many", "i64"], data_page_version="2.0", data_page_size=700),
    dict(compression="none", data_page_size=300, data_page_version="2.0", dictionary_pagesize_limit=2000),
    dict(compression="zstd"),
]
