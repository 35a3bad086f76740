"""Hive partitions (columns from key=value directories, typed as DuckDB types them), partition pruning
(files whose partition values cannot match are not read), globs, directories and CSV/JSON options,
each checked against DuckDB."""
from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

import warpdb
from tests.io_fixtures import write
from warpdb.oracle import compare_tables


@pytest.fixture(scope="module")
def hive(tmp_path_factory):
    """year=2023..2024 / region=eu|us partitions, three rows per file."""
    root = tmp_path_factory.mktemp("hive")
    for y in (2023, 2024):
        for r in ("eu", "us"):
            t = pa.table({"id": [y * 10 + i for i in range(3)], "v": [1.5, None, 2.5], "r2": [r] * 3})
            write(t, "parquet", root / f"year={y}" / f"region={r}" / "part.parquet")
    return root


def same(sql_warpdb: str, sql_duckdb: str, con=None) -> warpdb.Connection:
    """warpdb's answer equals DuckDB's (as multisets); returns the warpdb connection used."""
    con = con or warpdb.connect(device="cpu")
    got = con.sql(sql_warpdb).arrow()
    want = duckdb.sql(sql_duckdb).to_arrow_table()
    assert compare_tables(got, want, ordered=False) is None, (got, want)
    return con


def files_read(con) -> list[str]:
    """The files whose data the connection's one read_* call has read."""
    (entry,) = con.catalog.file_sources.values()
    return [f.split("/")[-3] + "/" + f.split("/")[-2] for f in entry.source.files_read]


def test_partition_columns_and_types_match_duckdb(hive):
    glob = f"{hive}/**/*.parquet"
    for sql in (f"select * from read_parquet('{glob}')",
                f"select * from read_parquet('{glob}', hive_partitioning=true)",
                f"select year + 1 as y, upper(region) as r, count(*) from read_parquet('{glob}') group by 1, 2"):
        same(sql, sql)
    con = warpdb.connect(device="cpu")
    types = dict(row[:2] for row in con.sql(f"describe select * from read_parquet('{glob}')").fetchall())
    assert types["year"] == "BIGINT" and types["region"] == "VARCHAR"
    off = con.sql(f"select * from read_parquet('{glob}', hive_partitioning=false)").arrow()
    assert off.column_names == ["id", "v", "r2"]


@pytest.mark.parametrize("where, read", [
    ("year = 2024", ["year=2024/region=eu", "year=2024/region=us"]),
    ("year = 2024 and region = 'us'", ["year=2024/region=us"]),
    ("region in ('eu')", ["year=2023/region=eu", "year=2024/region=eu"]),
    ("year > 2023 and region <> 'eu' and v > 0", ["year=2024/region=us"]),
    ("year between 2020 and 2023", ["year=2023/region=eu", "year=2023/region=us"]),
    ("year = 1999", []),
    ("v > 2", ["year=2023/region=eu", "year=2023/region=us", "year=2024/region=eu", "year=2024/region=us"]),
])
def test_pruning_reads_only_matching_files(hive, where, read):
    sql = f"select id, v, year, region from read_parquet('{hive}/**/*.parquet') where {where}"
    con = same(sql, sql)
    assert files_read(con) == read


def test_pruning_through_a_view_and_a_frame(hive):
    con = warpdb.connect(device="cpu")
    con.sql(f"create view t as select * from read_parquet('{hive}', hive_partitioning=true)")
    assert con.sql("select count(*) from t where region = 'eu' and year = 2023").fetchall() == [(3,)]
    assert files_read(con) == ["year=2023/region=eu"]
    frame = con.read_parquet(str(hive)).filter(warpdb.col("year") == 2024).select("id")
    assert frame.collect().num_rows == 6


def test_mixed_keys_with_hive_partitioning_true(tmp_path):
    write(pa.table({"a": [1]}), "parquet", tmp_path / "k=1" / "x.parquet")
    write(pa.table({"a": [2]}), "parquet", tmp_path / "other" / "y.parquet")
    con = warpdb.connect(device="cpu")
    assert con.sql(f"select * from read_parquet('{tmp_path}/**/*.parquet')").arrow().column_names == ["a"]
    with pytest.raises(warpdb.BindError, match="partition"):
        con.sql(f"select * from read_parquet('{tmp_path}/**/*.parquet', hive_partitioning=true)")


def test_globs_directories_lists_and_file_urls(tmp_path):
    for i in range(3):
        write(pa.table({"a": [i, i + 10], "s": ["x", f"y{i}"]}), "csv", tmp_path / "d" / f"p{i}.csv")
    (tmp_path / "d" / "_ignored.csv").write_text("junk")
    d = tmp_path / "d"
    expect = f"select * from read_csv('{d}/p*.csv')"
    for src in (f"'{d}'", f"'{d}/*.csv'", f"'file://{d}/p*.csv'", f"['{d}/p0.csv', '{d}/p1.csv', '{d}/p2.csv']"):
        same(f"select * from read_csv({src})", expect)


def test_csv_options(tmp_path):
    (tmp_path / "p.csv").write_text("skip me\n1|a|2024-01-02\n2|NA|2024-02-03\n3||2024-03-04\n")
    path = tmp_path / "p.csv"
    same(f"select * from read_csv('{path}', delim='|', header=false, skip=1)",
         f"select * from read_csv('{path}', delim='|', header=false, skip=1)")
    same(f"select a, b, c from read_csv('{path}', sep='|', skip=1, nullstr='NA', "
         "columns={'a': 'INTEGER', 'b': 'VARCHAR', 'c': 'DATE'}, header=false)",
         f"select a, b, c from read_csv('{path}', sep='|', skip=1, nullstr='NA', "
         "columns={'a': 'INTEGER', 'b': 'VARCHAR', 'c': 'DATE'}, header=false)")
    (tmp_path / "h.csv").write_text("k,amount\n1,2.50\n2,3.25\n")
    con = warpdb.connect(device="cpu")
    got = con.sql(f"select k, amount from read_csv('{tmp_path / 'h.csv'}', types={{'amount': 'DECIMAL(9,2)'}})")
    assert got.arrow().schema.field("amount").type == pa.decimal128(9, 2)
    frame = con.read_csv(str(tmp_path / "h.csv"), columns={"key": "BIGINT", "amount": "DOUBLE"})
    assert frame.collect().column_names == ["key", "amount"]


def test_json_inferred_and_typed(tmp_path):
    t = pa.table({"id": [1, 2, None], "name": ["a", None, "c"], "d": ["2024-01-01", "2024-01-02", None]})
    write(t, "json", tmp_path / "t.json")
    path = tmp_path / "t.json"
    same(f"select * from read_json_auto('{path}')", f"select id, name, d from read_json_auto('{path}')")
    typed = "columns={'id': 'BIGINT', 'name': 'VARCHAR', 'd': 'DATE'}"
    same(f"select * from read_ndjson('{path}', {typed})", f"select * from read_json('{path}', {typed})")


def test_arrow_stream_and_file(tmp_path):
    t = pa.table({"a": [1, 2, 3], "s": ["x", "y", None]})
    with pa.OSFile(str(tmp_path / "s.arrows"), "wb") as sink, pa.ipc.new_stream(sink, t.schema) as w:
        w.write_table(t)
    write(t, "arrow", tmp_path / "f.arrow")
    con = warpdb.connect(device="cpu")
    for name in ("s.arrows", "f.arrow"):
        assert con.sql(f"select * from read_arrow('{tmp_path / name}') order by a").arrow().equals(t)


def test_parquet_binary_as_string_and_filename(tmp_path):
    write(pa.table({"b": pa.array([b"ab", b"c"], pa.binary())}), "parquet", tmp_path / "b.parquet")
    con = warpdb.connect(device="cpu")
    got = con.sql(f"select b, filename from read_parquet('{tmp_path / 'b.parquet'}', binary_as_string=true, "
                  "filename=true) order by b").fetchall()
    assert got == [("ab", str(tmp_path / "b.parquet")), ("c", str(tmp_path / "b.parquet"))]
