"""All 22 TPC-H queries (SF 0.01) over the same data as Parquet, CSV, JSON lines and Arrow IPC, read
from local files, from fsspec's memory:// and from an HTTP server, each give DuckDB's answers (DuckDB
reads the original Parquet)."""
from __future__ import annotations

import os

import duckdb
import fsspec
import pyarrow.parquet as pq
import pytest

import warpdb
from tests.io_fixtures import FORMATS, HTTPServer, columns_option, sql_type, write
from tpch.datagen import TABLES, ensure_data
from tpch.queryset import QUERY_IDS, query_text
from warpdb.oracle import compare_tables

SOURCES = ("local", "memory", "http")
FUNCTION = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json", "arrow": "read_arrow"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """(tables, base location per source, DuckDB's answer per query)."""
    root = ensure_data(0.01)
    tables = {t: pq.read_table(root / f"{t}.parquet") for t in TABLES}
    local = tmp_path_factory.mktemp("io_formats")
    mem = fsspec.filesystem("memory")
    for fmt in FORMATS:
        for t, table in tables.items():
            write(table, fmt, local / fmt / f"{t}.{fmt}")
            mem.put_file(str(local / fmt / f"{t}.{fmt}"), f"/warpdb-io/{fmt}/{t}.{fmt}")
    dcon = duckdb.connect()
    for t, table in tables.items():
        dcon.register(t, table)
    expected = {q: dcon.sql(query_text(q)).to_arrow_table() for q in QUERY_IDS}
    dcon.close()
    with HTTPServer(local) as url:
        yield tables, {"local": str(local), "memory": "memory:///warpdb-io", "http": url}, expected
    mem.rm("/warpdb-io", recursive=True)


def connect_views(tables, base: str, fmt: str):
    """A connection with one view per TPC-H table over its file in format `fmt` under `base`."""
    con = warpdb.connect(device=os.environ.get("WARPDB_DEVICE", "cpu"))
    for t, table in tables.items():
        opts = f", {columns_option(table.schema)}" if fmt in ("csv", "json") else ""
        con.sql(f"CREATE VIEW {t} AS SELECT * FROM {FUNCTION[fmt]}('{base}/{fmt}/{t}.{fmt}'{opts})")
    return con


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_tpch_queries_over_format(data, fmt, source):
    tables, bases, expected = data
    con = connect_views(tables, bases[source], fmt)
    failures = []
    for q in QUERY_IDS:
        diff = compare_tables(con.sql(query_text(q)).arrow(), expected[q], ordered=True)
        if diff is not None:
            failures.append(f"Q{q}: {diff}")
    assert not failures, f"{fmt} from {source}: " + "; ".join(failures)


@pytest.mark.parametrize("fmt", FORMATS)
def test_frame_readers_over_http(data, fmt):
    tables, bases, _ = data
    con = warpdb.connect(device="cpu")
    opts = {"columns": {f.name: sql_type(f.type) for f in tables["nation"].schema}} if fmt in ("csv", "json") else {}
    frame = getattr(con, FUNCTION[fmt])(f"{bases['http']}/{fmt}/nation.{fmt}", **opts)
    got = frame.filter(warpdb.col("n_regionkey") == 1).select("n_name").sort("n_name").collect()
    dcon = duckdb.connect()
    dcon.register("nation", tables["nation"])
    want = dcon.sql("select n_name from nation where n_regionkey = 1 order by n_name").to_arrow_table()
    assert compare_tables(got, want, ordered=True) is None
