"""Tests of the TPC-H harness that need no warpdb engine: data generation, query texts on DuckDB,
the DuckDB side of the runner and the report writer."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot

from tpch.__main__ import parse_args
from tpch.datagen import TABLES, ensure_data, is_complete, table_path
from tpch.queryset import QUERY_IDS, parse_query_list, query_text
from tpch.report import QueryResult, build_report, report_stem, table_rows, write_json, write_plot
from tpch.runner import attach, duckdb_run, load_tables, measure_query, open_duckdb, time_best

# Row counts of each query at SF 0.01 on tpchgen-cli data (Q17 is one row holding NULL there).
SF001_ROWS = {1: 4, 2: 4, 3: 10, 4: 5, 5: 5, 6: 1, 7: 4, 8: 2, 9: 173, 10: 20, 11: 359, 12: 2, 13: 33,
              14: 1, 15: 1, 16: 296, 17: 1, 18: 2, 19: 1, 20: 1, 21: 1, 22: 7}


@pytest.fixture(scope="session")
def sf001(tmp_path_factory):
    return ensure_data(0.01, tmp_path_factory.mktemp("tpch"))


@pytest.fixture(scope="session")
def sf001_tables(sf001):
    return load_tables(sf001)


@pytest.fixture(scope="session")
def duck(sf001, sf001_tables):
    con = open_duckdb(threads=2)
    attach(con, "arrow", sf001, sf001_tables)
    return con


def test_ensure_data_generates_and_is_idempotent(tmp_path):
    path = ensure_data(0.01, tmp_path)
    assert path == tmp_path / "sf0.01"
    assert is_complete(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sf0.01"], "no temporary directory left behind"
    stamps = {t: table_path(path, t).stat().st_mtime_ns for t in TABLES}
    assert ensure_data(0.01, tmp_path) == path
    assert stamps == {t: table_path(path, t).stat().st_mtime_ns for t in TABLES}


def test_ensure_data_regenerates_when_a_table_is_missing(tmp_path):
    path = ensure_data(0.01, tmp_path)
    table_path(path, "region").unlink()
    assert not is_complete(path)
    assert ensure_data(0.01, tmp_path) == path
    assert is_complete(path)
    assert pq.read_table(table_path(path, "region")).num_rows == 5


def test_generated_schema(sf001_tables):
    assert set(sf001_tables) == set(TABLES)
    assert sf001_tables["lineitem"].num_rows == 60175
    assert sf001_tables["nation"].num_rows == 25
    assert sf001_tables["lineitem"].schema.field("l_extendedprice").type == pa.decimal128(15, 2)
    assert sf001_tables["lineitem"].schema.field("l_shipdate").type == pa.date32()


@pytest.mark.parametrize("number", QUERY_IDS)
def test_query_parses(number):
    text = query_text(number)
    assert not text.endswith(";")
    tree = sqlglot.parse_one(text, read="duckdb")
    assert tree.args.get("order") is not None or number in (6, 14, 17, 19)


@pytest.mark.parametrize("number", QUERY_IDS)
def test_query_runs_on_duckdb(duck, number):
    result = duck.sql(query_text(number)).to_arrow_table()
    assert result.num_rows == SF001_ROWS[number]


def test_q1_groups(duck):
    rows = duck.sql(query_text(1)).fetchall()
    assert [r[:2] for r in rows] == [("A", "F"), ("N", "F"), ("N", "O"), ("R", "F")]
    assert sum(r[-1] for r in rows) == 59_307  # count_order: lineitems shipped by 1998-09-02


def test_parquet_views_match_arrow_tables(sf001, duck):
    views = open_duckdb(threads=1)
    attach(views, "parquet", sf001)
    for number in (1, 9, 13, 22):
        result = measure_query(number, query_text(number), duckdb_run(views, query_text(number)),
                               duckdb_run(duck, query_text(number)), repeat=1)
        assert result.ok, result.error
        assert result.rows == SF001_ROWS[number]
        assert result.warpdb_ms > 0 and result.duckdb_ms > 0


def test_measure_query_records_engine_errors(duck):
    empty = open_duckdb(threads=1)
    text = query_text(6)
    result = measure_query(6, text, duckdb_run(empty, text), duckdb_run(duck, text), repeat=1)
    assert not result.ok and result.warpdb_ms is None
    assert result.error.startswith("CatalogException: ")
    assert "\n" not in result.error
    assert result.rows == 1


def test_measure_query_records_wrong_results(sf001, sf001_tables, duck):
    other = open_duckdb(threads=1)
    tables = dict(sf001_tables, lineitem=sf001_tables["lineitem"].slice(0, 1000))
    attach(other, "arrow", sf001, tables)
    text = query_text(1)
    result = measure_query(1, text, duckdb_run(other, text), duckdb_run(duck, text), repeat=1)
    assert not result.ok
    assert result.error.startswith("wrong result: ")


def test_time_best_keeps_the_fastest(duck):
    timed = time_best(duckdb_run(duck, query_text(6)), repeat=3)
    assert timed.ms > 0 and timed.table.num_rows == 1 and timed.planning_ms is None


def test_attach_rejects_unknown_source(sf001):
    with pytest.raises(ValueError):
        attach(open_duckdb(), "csv", sf001)


def test_parse_args_and_query_list():
    cfg = parse_args(["--sf", "0.1", "--queries", "1,3,6", "--device", "cpu", "--source", "parquet"])
    assert (cfg.sf, cfg.queries, cfg.device, cfg.source, cfg.repeat) == (0.1, (1, 3, 6), "cpu", "parquet", 3)
    assert parse_query_list(None) == list(QUERY_IDS)
    with pytest.raises(ValueError):
        parse_query_list("0,23")
    with pytest.raises(SystemExit):
        parse_args(["--sf", "1", "--repeat", "0"])


def _records(duck) -> list[QueryResult]:
    """Real DuckDB timings for three queries plus one engine failure."""
    records = []
    for number in (1, 6, 14):
        text = query_text(number)
        records.append(measure_query(number, text, duckdb_run(duck, text), duckdb_run(duck, text), repeat=1))
    empty = open_duckdb(threads=1)
    text = query_text(3)
    records.append(measure_query(3, text, duckdb_run(empty, text), duckdb_run(duck, text), repeat=1))
    return records


def test_report_json_and_png(duck, tmp_path):
    records = _records(duck)
    report = build_report(records, sf=0.01, device="cpu", card="Test CPU (2 cores)", source="arrow", repeat=1)
    json_path, png_path = write_json(report, tmp_path), write_plot(report, tmp_path)
    assert json_path.name == "tpch_sf0.01_cpu_Test-CPU-2-cores.json"
    assert png_path.stem == report_stem(report)
    data = json.loads(json_path.read_text())
    assert set(data) == {"sf", "device", "card", "source", "repeat", "queries", "geomean_speedup",
                         "warpdb_total_ms", "duckdb_total_ms", "planning_ms", "all_ok"}
    assert [q["query"] for q in data["queries"]] == [1, 6, 14, 3]
    assert set(data["queries"][0]) == {"query", "warpdb_ms", "duckdb_ms", "ok", "error", "rows", "planning_ms"}
    assert data["all_ok"] is False and data["planning_ms"] is None
    ok = [r for r in records if r.ok]
    assert len(ok) == 3
    assert data["warpdb_total_ms"] == pytest.approx(sum(r.warpdb_ms for r in ok))
    assert data["geomean_speedup"] > 0
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = table_rows(data)
    assert [r[0] for r in rows] == ["Q1", "Q6", "Q14", "Q3", "total (ok)"]
    assert rows[3][1] == "-" and rows[3][4] == "FAIL"


def test_report_summary_arithmetic():
    records = [QueryResult(1, 10.0, 20.0, True, None, 4, 1.5), QueryResult(2, 20.0, 10.0, True, None, 4, None)]
    report = build_report(records, sf=1.0, device="gpu", card="NVIDIA H100 80GB HBM3", source="parquet", repeat=3)
    assert report["all_ok"] is True
    assert report["planning_ms"] == 1.5
    assert report["geomean_speedup"] == pytest.approx(1.0)
    assert (report["warpdb_total_ms"], report["duckdb_total_ms"]) == (30.0, 30.0)
    assert report_stem(report) == "tpch_sf1_gpu_NVIDIA-H100-80GB-HBM3"


NCU_LOG = '''==PROF== Connected to process 123
"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"
"0","1","p","h","warpdb_trace_marker_q2","1","7","(1, 1, 1)","(1, 1, 1)","0","9.0","s","gpu__time_duration.sum","nsecond","1,024"
"1","1","p","h","cupy_take<long>(int, long*)","1","7","(128, 1, 1)","(10, 1, 1)","0","9.0","s","gpu__time_duration.sum","usecond","3.5"
"2","1","p","h","cupy_take<long>(int, long*)","1","7","(128, 1, 1)","(10, 1, 1)","0","9.0","s","gpu__time_duration.sum","nsecond","500"
"3","1","p","h","warpdb_trace_marker_q21","1","7","(1, 1, 1)","(1, 1, 1)","0","9.0","s","gpu__time_duration.sum","nsecond","900"
"4","1","p","h","cub_sort","1","7","(1, 1, 1)","(1, 1, 1)","0","9.0","s","gpu__time_duration.sum","nsecond","2,000"
'''


def test_kernel_trace_summary_splits_kernels_by_query_marker(tmp_path):
    from tpch.kernel_trace import summarize

    log = tmp_path / "trace.csv"
    log.write_text(NCU_LOG)
    report = summarize(log)
    assert report["q2"] == {"kernels": 2, "device_us": 4.0, "top": [{"kernel": "cupy_take<long>", "count": 2, "us": 4.0}]}
    assert report["q21"]["kernels"] == 1 and report["q21"]["device_us"] == 2.0


def test_load_bench_runs_on_the_cpu(sf001, tmp_path):
    from tpch import load_bench

    assert load_bench.main(["--sf", "0.01", "--device", "cpu", "--repeat", "1", "--out", str(tmp_path),
                            "--data-root", str(sf001.parent)]) == 0
    (path,) = tmp_path.glob("load_sf0.01_cpu_*.json")
    report = json.loads(path.read_text())
    cold = report["cold"]
    assert report["ok"] and report["repeated"]["bytes_copied_to_device"] == 0
    assert cold["rows"] == 60175 and cold["bytes"] == cold["bytes_copied"] == 60175 * 88
    assert cold["row_groups_from_storage"] > 0 and cold["decode_s"] > 0 and cold["gb_per_s"] > 0
