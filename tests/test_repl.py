"""The `warpdb` shell, driven for real: prompt_toolkit sessions through a pipe input, a pseudo
terminal running `python -m warpdb.cli.main`, pipe/-c/-f modes, output modes, completion and the
statement splitter. Answers are checked against DuckDB."""
from __future__ import annotations

import datetime
import decimal
import io
import os
import pty
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import warpdb
from tpch.datagen import ensure_data
from tpch.queryset import query_text
from warpdb.cli.completion import SchemaCache, SqlCompleter, candidates
from warpdb.cli.diagnostics import format_error
from warpdb.cli.highlight import SqlLexer
from warpdb.cli.main import main
from warpdb.cli.render import render
from warpdb.cli.repl import run_repl
from warpdb.cli.shell import Shell, cancellable
from warpdb.cli.sqltext import is_complete, split_statements

ROOT = Path(__file__).resolve().parents[1]
# A query that runs for many seconds in many short array steps (each branch pairs 120M rows), so
# Ctrl-C lands while it runs on any machine; cancelled, it stops within one step.
SLOW = " union all ".join(f"select count(*) from big x join big y on x.b = y.b where x.a < {40000 + i}" for i in range(10))
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][A-Z0-9]|[=>])")


@pytest.fixture(scope="module")
def tpch_dir() -> Path:
    return ensure_data(0.01, ROOT / "tpch" / "data")


@pytest.fixture
def small_parquet(tmp_path) -> Path:
    path = tmp_path / "small.parquet"
    pq.write_table(pa.table({"a": [1, 2, None], "s": ["x", "y,z", None], "f": [1.5, None, -2.25]}), path)
    return path


def cli(*args, stdin: str = "", cwd=None) -> subprocess.CompletedProcess:
    """`python -m warpdb.cli.main ARGS` with this worktree's warpdb package."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WARPDB_HISTORY": os.devnull}
    return subprocess.run([sys.executable, "-m", "warpdb.cli.main", "--device", "cpu", *args], input=stdin,
                          capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=120)


def interactive(keys: str, monkeypatch, tmp_path) -> tuple[int, str, str]:
    """Type `keys` into the real prompt_toolkit loop; (exit status, results, errors)."""
    monkeypatch.setenv("WARPDB_HISTORY", str(tmp_path / "history"))
    out, err = io.StringIO(), io.StringIO()
    shell = Shell(warpdb.connect("cpu"), out, err)
    with create_pipe_input() as inp:
        inp.send_text(keys)
        inp.close()  # the loop sees end of input (Ctrl-D) after the keys
        rc = run_repl(shell, inp, DummyOutput())
    shell.close()
    return rc, out.getvalue(), err.getvalue()


# --- (a) interactive sessions ---------------------------------------------------------------------
def test_interactive_session_over_tpch_parquet(tpch_dir, monkeypatch, tmp_path):
    lineitem = tpch_dir / "lineitem.parquet"
    q06 = query_text(6)
    keys = (
        f"create view lineitem as\rselect * from read_parquet('{lineitem}');\r"
        "create view nation as select n_nationkey, n_name\r"
        f"  from read_parquet('{tpch_dir / 'nation.parquet'}');\r"
        ".tables\r"
        ".schema nation\r"
        ".timer on\r"
        + q06.replace("\t", "  ").replace("\n", "\r") + ";\r"
        ".timer off\r"
        "select n_name\r  from nation\r  where n_nationkey <<= 2;\r"
        ".mode csv\r"
        "select n_nationkey, n_name from nation where n_nationkey < 3 order by 1;\r"
        ".quit\r"
        "select 'never run';\r"
    )
    rc, out, err = interactive(keys, monkeypatch, tmp_path)
    assert rc == 0
    assert "lineitem  nation" in out
    assert "CREATE VIEW nation AS SELECT n_nationkey, n_name FROM READ_PARQUET(" in out
    dcon = duckdb.connect()
    dcon.sql(f"create view lineitem as select * from read_parquet('{lineitem}')")
    expected = dcon.sql(q06).fetchall()[0][0]
    box = re.search(r"│ revenue\s*│\n├─+┤\n│\s*([-\d.]+) │\n└─+┘\nRun Time \(s\): real \d+\.\d{3}\n", out)
    assert box, out
    assert decimal.Decimal(box.group(1)) == expected
    assert "Error: ParseError: syntax error" in err
    assert "(line 3, column 22)\nLINE 3:   where n_nationkey <<= 2;\n" + " " * 29 + "^\n" in err
    assert out.endswith("n_nationkey,n_name\n0,ALGERIA\n1,ARGENTINA\n2,BRAZIL\n")
    assert "never run" not in out
    history = (tmp_path / "history").read_text()
    assert "+.timer on" in history and "+  from nation" in history


def test_interactive_multiline_waits_for_semicolon_outside_quotes(monkeypatch, tmp_path):
    keys = "select 'a;b' as x -- not the end;\r, 2 as y\r;\r\\q\r"
    rc, out, err = interactive(keys, monkeypatch, tmp_path)
    assert (rc, err) == (0, "")
    assert "│ a;b │ 2 │" in out


def test_interactive_errors_and_ctrl_c_keep_the_shell_and_ctrl_d_exits(monkeypatch, tmp_path):
    keys = "select bogus;\r.nosuch\r.mode tsv\rselect 'abandoned\rline\x03select 41 + 1 as answer;\r\x04"
    rc, out, err = interactive(keys, monkeypatch, tmp_path)
    assert rc == 0
    assert "Error: BindError: unknown column 'bogus' at line 1, column 8\nLINE 1: select bogus;\n               ^" in err
    assert "Error: UsageError: unknown command '.nosuch'" in err
    assert "Error: UsageError: .mode takes one of table, csv, json, markdown, line, not 'tsv'" in err
    assert "│     42 │" in out and "abandoned" not in out + err


def _read_until(fd: int, pattern: str, seen: list[str], timeout: float = 60) -> str:
    """Read the pty until `pattern` (a regex) shows up in the output with escapes stripped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = ANSI.sub("", "".join(seen)).replace("\r", "")
        if re.search(pattern, text):
            return text
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen.append(os.read(fd, 65536).decode("utf-8", "replace"))
            except OSError:
                break
    raise AssertionError(f"no {pattern!r} in:\n{ANSI.sub('', ''.join(seen))}")


def _exit_status(pid: int, fd: int, seen: list[str], timeout: float = 60) -> int:
    """The child's exit status, reading its terminal meanwhile; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if select.select([fd], [], [], 0.2)[0]:
            try:
                seen.append(os.read(fd, 65536).decode("utf-8", "replace"))
            except OSError:
                pass
    raise AssertionError(f"the shell did not exit:\n{ANSI.sub('', ''.join(seen))}")


def test_real_terminal_ctrl_c_cancels_a_query_and_ctrl_d_exits(tmp_path):
    n = 3_000_000
    big = tmp_path / "big.parquet"
    pq.write_table(pa.table({"a": np.arange(n), "b": np.arange(n) % 1000}), big)
    (tmp_path / "slow.sql").write_text(f"create view big as select * from read_parquet('{big}');\n{SLOW};\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WARPDB_HISTORY": str(tmp_path / "h"), "TERM": "xterm",
           "PROMPT_TOOLKIT_NO_CPR": "1", "COLUMNS": "100", "LINES": "40"}
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "warpdb.cli.main", "--device", "cpu"], env)
    seen: list[str] = []
    try:
        _read_until(fd, r"warpdb>", seen)
        os.write(fd, b".read slow.sql\r")
        _read_until(fd, r"slow\.sql\s*\n", seen)
        time.sleep(1.0)
        start = time.monotonic()
        os.write(fd, b"\x03")
        _read_until(fd, r"Error: Cancelled: query cancelled\s*\nwarpdb>", seen)
        assert time.monotonic() - start < 10
        os.write(fd, b"select 'half typed")
        _read_until(fd, r"half typed$", seen)
        os.write(fd, b"\x03")
        _read_until(fd, r"half typed\s*\nwarpdb>", seen)
        os.write(fd, b"select 6 * 7 as answer;\r")
        _read_until(fd, r"│\s+42 │\n└─+┘\nwarpdb>", seen)
        os.write(fd, b"\x04")
        assert _exit_status(pid, fd, seen) == 0
    finally:
        os.close(fd)
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def test_ctrl_c_cancels_a_running_query_in_process():
    n = 3_000_000
    con = warpdb.connect("cpu")
    con.register("big", pa.table({"a": np.arange(n), "b": np.arange(n) % 1000}))
    out, err = io.StringIO(), io.StringIO()
    shell = Shell(con, out, err)
    import _thread

    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    start = time.perf_counter()
    ok = shell.run_sql(SLOW + ";")
    assert not ok and time.perf_counter() - start < 3
    assert err.getvalue() == "Error: Cancelled: query cancelled\n"
    assert shell.run_sql("select count(*) as n from big where b = 7;")
    assert "│ 3000 │" in out.getvalue()
    shell.close()
    assert cancellable(lambda: 5) == 5


# --- (b) pipe, -c and -f ----------------------------------------------------------------------------
def test_pipe_stops_at_the_first_error_with_non_zero_status():
    p = cli(stdin="select 1 as one; select bogus; select 3 as three;\n")
    assert p.returncode == 1
    assert p.stdout == "┌─────┐\n│ one │\n├─────┤\n│   1 │\n└─────┘\n"
    assert p.stderr == "Error: BindError: unknown column 'bogus' at line 1, column 8\nLINE 1: select bogus;\n               ^\n"


def test_pipe_runs_commands_and_a_last_statement_without_semicolon(small_parquet):
    script = (f"create view t as select * from read_parquet('{small_parquet}');\n.mode csv\n"
              "select a, s from t\n  order by a nulls last\n")
    p = cli(stdin=script)
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == 'a,s\n1,x\n2,"y,z"\n,\n'


def test_dash_c_and_dash_f(tmp_path, small_parquet):
    p = cli("-c", ".mode json\nselect 1 as a, 'x' as b;")
    assert (p.returncode, p.stdout, p.stderr) == (0, '[{"a":1,"b":"x"}]\n', "")
    bad = cli("-c", "select * from nosuch;")
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("Error: BindError: unknown table 'nosuch' at line 1, column 15\n")
    script = tmp_path / "q.sql"
    script.write_text(f"create view t as select * from read_parquet('{small_parquet}');\n"
                      ".mode markdown\nselect count(*) as n, sum(a) as total from t;\n")
    p = cli("-f", str(script))
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == "| n   | total |\n|----:|------:|\n|   3 |     3 |\n"
    assert cli("-f", str(tmp_path / "missing.sql")).returncode == 1


def test_init_script_runs_before_the_piped_input(tmp_path, small_parquet):
    init = tmp_path / "init.sql"
    init.write_text(f"create view t as select * from read_parquet('{small_parquet}');\n.mode line\n")
    p = cli(str(init), stdin="select a, s from t where a = 2;")
    assert (p.returncode, p.stdout, p.stderr) == (0, "a = 2\ns = y,z\n", "")


def test_output_redirect_read_and_quit(tmp_path):
    inner = tmp_path / "inner.sql"
    inner.write_text("select 2 as two;\n")
    target = tmp_path / "out.csv"
    shell_out, shell_err = io.StringIO(), io.StringIO()
    shell = Shell(warpdb.connect("cpu"), shell_out, shell_err)
    script = f".mode csv\n.output {target}\nselect 1 as one;\n.read {inner}\n.output\nselect 3 as three;\n.quit\nselect 4;"
    assert shell.run_script(script)
    assert target.read_text() == "one\n1\ntwo\n2\n"
    assert shell_out.getvalue() == "three\n3\n"


def test_commands_and_their_psql_spellings():
    out, err = io.StringIO(), io.StringIO()
    shell = Shell(warpdb.connect("cpu"), out, err)
    assert shell.run_script("create table t(a int, s varchar);\ninsert into t values (1, 'x'), (2, NULL);\n"
                            "\\dt\n.schema\n\\d t\n.maxrows 1\nselect * from t order by a;\n.maxrows 0\n"
                            "\\timing\nselect count(*) as n from t;\n\\timing off\n.explain on\n"
                            "select a from t where a > 1;\n.explain off\n.explain select s from t\n.device cpu\n")
    text = out.getvalue()
    assert text.startswith("t\nCREATE TABLE t(a INTEGER, s VARCHAR);\n┌─────────────┬─────────────┬──────┐\n")
    assert "│ a           │ INTEGER     │ YES  │" in text
    assert "│ 1 │ x │\n└───┴───┘\n… 2 rows (1 shown)\n" in text
    assert re.search(r"Timing is on\.\n┌───┐\n│ n │\n├───┤\n│ 2 │\n└───┘\nRun Time \(s\): real \d+\.\d{3}\nTiming is off\.", text)
    assert "query plans are shown\nPROJECT a#1 AS a\n  SCAN t [a] filters=[gt(a#1, 1)]\n┌───┐" in text
    assert "query plans are hidden\nPROJECT s#2 AS s\n  SCAN t [s]\n" in text
    assert "device: cpu (numpy" in text and err.getvalue() == ""
    assert not shell.run_script(".timer maybe\n")
    assert err.getvalue() == "Error: UsageError: .timer takes on or off, not 'maybe'\n"


def test_main_entry_point_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "usage: warpdb" in text and "shell: the interactive SQL shell (the default)" in text
    assert main(["shell", "--device", "cpu", "-c", "select 1;"]) == 0


# --- (c) output modes -------------------------------------------------------------------------------
KNOWN = pa.table({
    "id": pa.array([1, 22, None], pa.int64()),
    "name": pa.array(["ab", None, "日本"], pa.string()),
    "price": pa.array([decimal.Decimal("1.50"), decimal.Decimal("-10.25"), None], pa.decimal128(10, 2)),
    "day": pa.array([datetime.date(1994, 1, 1), None, datetime.date(2000, 2, 29)], pa.date32()),
    "ok": pa.array([True, False, None]),
})


def test_table_mode():
    assert render(KNOWN, "table") == (
        "┌──────┬──────┬────────┬────────────┬───────┐\n"
        "│ id   │ name │ price  │ day        │ ok    │\n"
        "├──────┼──────┼────────┼────────────┼───────┤\n"
        "│    1 │ ab   │   1.50 │ 1994-01-01 │ true  │\n"
        "│   22 │ NULL │ -10.25 │ NULL       │ false │\n"
        "│ NULL │ 日本 │   NULL │ 2000-02-29 │ NULL  │\n"
        "└──────┴──────┴────────┴────────────┴───────┘\n"
    )


def test_table_mode_truncates_to_maxrows():
    t = pa.table({"n": list(range(100))})
    assert render(t, "table", maxrows=2) == "┌───┐\n│ n │\n├───┤\n│ 0 │\n│ 1 │\n└───┘\n… 100 rows (2 shown)\n"
    assert render(t, "table", maxrows=0).count("\n") == 104


def test_csv_mode():
    assert render(KNOWN, "csv") == "id,name,price,day,ok\n1,ab,1.50,1994-01-01,true\n22,,-10.25,,false\n,日本,,2000-02-29,\n"


def test_json_mode():
    assert render(KNOWN, "json") == (
        '[{"id":1,"name":"ab","price":1.50,"day":"1994-01-01","ok":true},\n'
        '{"id":22,"name":null,"price":-10.25,"day":null,"ok":false},\n'
        '{"id":null,"name":"日本","price":null,"day":"2000-02-29","ok":null}]\n'
    )
    assert render(KNOWN.slice(0, 0), "json") == "[]\n"


def test_markdown_mode():
    assert render(KNOWN, "markdown") == (
        "| id   | name | price  | day        | ok    |\n"
        "|-----:|------|-------:|------------|-------|\n"
        "|    1 | ab   |   1.50 | 1994-01-01 | true  |\n"
        "|   22 | NULL | -10.25 | NULL       | false |\n"
        "| NULL | 日本 |   NULL | 2000-02-29 | NULL  |\n"
    )


def test_line_mode():
    assert render(KNOWN.slice(0, 2), "line") == (
        "   id = 1\n name = ab\nprice = 1.50\n  day = 1994-01-01\n   ok = true\n\n"
        "   id = 22\n name = NULL\nprice = -10.25\n  day = NULL\n   ok = false\n"
    )


def test_table_mode_of_engine_results_escapes_newlines():
    con = warpdb.connect("cpu").register("t", pa.table({"s": ["a\nb"]}))
    t = con.sql("select s, 2.5 as d from t").arrow()
    assert render(t, "table") == "┌──────┬─────┐\n│ s    │ d   │\n├──────┼─────┤\n│ a\\nb │ 2.5 │\n└──────┴─────┘\n"


def test_error_format_for_multiline_parse_and_bind_errors():
    con = warpdb.connect("cpu")
    sql = "select 1,\n  2 +\nfrom x;"
    with pytest.raises(warpdb.ParseError) as e:
        con.sql(sql)
    text = format_error(e.value, sql)
    assert text.startswith("Error: ParseError: syntax error")
    assert text.endswith(f"\nLINE {e.value.line}: {sql.splitlines()[e.value.line - 1]}\n"
                         + " " * (len(f"LINE {e.value.line}: ") + e.value.column - 1) + "^")
    sql = "select 1\nfrom (select 2 as x) t\nwhere t.y = 1"
    with pytest.raises(warpdb.BindError) as e:
        con.sql(sql).arrow()
    assert format_error(e.value, sql) == (
        "Error: BindError: unknown column 't.y' at line 3, column 9\n"
        "LINE 3: where t.y = 1\n"
        "                ^"
    )


# --- (d) completion ---------------------------------------------------------------------------------
def _completion_con(small_parquet):
    con = warpdb.connect("cpu")
    con.register("lineitem", pa.table({"l_orderkey": [1], "l_shipdate": [datetime.date(1994, 1, 1)], "l_tax": [0.1]}))
    con.sql(f"create view small as select a as a_col, s from read_parquet('{small_parquet}')")
    return con


def test_completion_offers_tables_columns_and_keywords(small_parquet):
    con, cache = _completion_con(small_parquet), SchemaCache()

    def words(text, whole=None):
        return [w for w, _ in candidates(con, cache, text, whole)]

    assert words("select * from li") == ["lineitem"]
    assert words("select * from s") == ["small"]
    assert words("select l_s") == ["l_shipdate"]
    assert words("select a_") == ["a_col"]
    assert words("select l.l_", "select l.l_ from lineitem l") == ["l_orderkey", "l_shipdate", "l_tax"]
    assert words("select s from small where ") [:2] == ["a_col", "s"]
    assert words("sel") == ["select"] and words("SEL") == ["SELECT"]
    assert words(".ta") == [".tables"] and words(".mode c") == ["csv"] and words(".schema sm") == ["small"]
    con.sql("create table later (zeta int)")
    assert words("select ze") == ["zeta"]


def test_prompt_toolkit_completer(small_parquet):
    shell = Shell(_completion_con(small_parquet), io.StringIO(), io.StringIO())
    doc = Document("select l_ta from lineitem", cursor_position=len("select l_ta"))
    got = list(SqlCompleter(shell).get_completions(doc, None))
    assert [(c.text, c.start_position, c.display_meta_text) for c in got] == [("l_tax", -4, "column of lineitem")]


def test_tab_completes_in_the_live_prompt(small_parquet, monkeypatch, tmp_path):
    monkeypatch.setenv("WARPDB_HISTORY", str(tmp_path / "history"))
    out = io.StringIO()
    shell = Shell(_completion_con(small_parquet), out, io.StringIO())
    with create_pipe_input() as inp:
        def type_slowly():
            inp.send_text("select count(*) as n from line\t")
            time.sleep(0.5)
            inp.send_text(";\r.quit\r")
            inp.close()

        typist = threading.Thread(target=type_slowly)
        typist.start()
        run_repl(shell, inp, DummyOutput())
        typist.join()
    assert "│ 1 │" in out.getvalue()


# --- (e) statement splitting ------------------------------------------------------------------------
def test_split_respects_strings_identifiers_and_comments():
    text = ("select ';' as a; -- a comment; with a semicolon\n"
            "select /* ; */ 2; select 'it''s;' as \"x;y\"; select $$;$$; select 3")
    done, rest = split_statements(text)
    assert done == ["select ';' as a;", "-- a comment; with a semicolon\nselect /* ; */ 2;",
                    "select 'it''s;' as \"x;y\";", "select $$;$$;"]
    assert rest == " select 3"


def test_is_complete():
    assert is_complete("select 1;")
    assert is_complete("select 1;  -- done\n")
    assert not is_complete("select 1 -- ;")
    assert not is_complete("select ';")
    assert not is_complete("select 1; /* ;")
    assert not is_complete(";")
    assert not is_complete("select 1; select 2")
    assert split_statements(";;  ;\n")[0] == []


def test_highlighting_spans_lines():
    lines = SqlLexer().lex_document(Document("select 'a\nb', 1 -- c\nfrom t;"))
    assert lines(0) == [("class:keyword", "select"), ("", " "), ("class:string", "'a")]
    assert lines(1) == [("class:string", "b'"), ("", ","), ("", " "), ("class:number", "1"), ("", " "),
                        ("class:comment", "-- c")]
    assert lines(2) == [("class:keyword", "from"), ("", " "), ("", "t"), ("", ";")]
    assert SqlLexer().lex_document(Document(".mode csv"))(0) == [("class:command", ".mode csv")]
