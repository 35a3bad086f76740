"""The Flight SQL server end to end: a real `warpdb serve` process on 127.0.0.1, driven by
the ADBC Flight SQL driver and by plain pyarrow.flight clients; answers checked against DuckDB."""
from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import adbc_driver_flightsql as adbc_fs
import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import duckdb
import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.parquet as pq
import pytest
from google.protobuf import any_pb2

from tpch.datagen import TABLES, ensure_data
from tpch.queryset import QUERY_IDS, query_text
from warpdb.flight.catalog_info import STATEMENTS_RUN
from warpdb.flight.proto import FlightSql_pb2 as pb
from warpdb.flight.protocol import pack
from warpdb.oracle import compare_tables, is_ordered

ROOT = Path(__file__).resolve().parents[1]
DEVICE = os.environ.get("WARPDB_DEVICE", "cpu")
TOKEN = "s3cret-token"
AUTH = [(b"authorization", f"Bearer {TOKEN}".encode())]
QUICK_QUERIES = [
    "select count(*) as n from orders where o_orderstatus = 'F'",
    "select n_name, r_name from nation join region on n_regionkey = r_regionkey order by n_name",
    "select c_mktsegment, count(*) as n, sum(c_acctbal) as bal from customer group by c_mktsegment order by c_mktsegment",
    "select min(p_retailprice) as lo, max(p_size) as hi, count(distinct p_brand) as brands from part",
    "select s_nationkey, count(*) as n from supplier group by s_nationkey order by s_nationkey",
    query_text(6),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(log_dir: Path, *args: str):
    """Run `warpdb serve` on a free port until it accepts connections; yield the port."""
    port = _free_port()
    log = log_dir / f"server-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "warpdb.cli.main", "serve", "--port", str(port), "--device", DEVICE, *args],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"server exited early:\n{log.read_text()}"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            assert time.monotonic() < deadline, f"server did not start:\n{log.read_text()}"
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def adbc_connect(port: int, token: str | None = TOKEN, scheme: str = "grpc", **options):
    if token is not None:
        options[adbc_fs.DatabaseOptions.AUTHORIZATION_HEADER.value] = f"Bearer {token}"
    return flightsql.connect(f"{scheme}://127.0.0.1:{port}", db_kwargs=options, autocommit=True)


def query(conn, sql: str) -> pa.Table:
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()


@pytest.fixture(scope="module")
def data_root():
    return ensure_data(0.01)


@pytest.fixture(scope="module")
def duck(data_root):
    con = duckdb.connect()
    for t in TABLES:
        con.register(t, pq.read_table(data_root / f"{t}.parquet"))
    yield con
    con.close()


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("flight"), "--token", TOKEN) as p:
        yield p


@pytest.fixture(scope="module")
def conn(port, data_root):
    """A client that has created views over the TPC-H SF 0.01 Parquet files on the server."""
    c = adbc_connect(port)
    with c.cursor() as cur:
        for t in TABLES:
            cur.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{data_root / f'{t}.parquet'}')")
    yield c
    c.close()


@pytest.fixture(scope="module")
def client(port):
    c = flight.FlightClient(f"grpc://127.0.0.1:{port}")
    yield c
    c.close()


def statements_run(client) -> int:
    desc = flight.FlightDescriptor.for_command(pack(pb.CommandGetSqlInfo(info=[STATEMENTS_RUN])))
    info = client.get_flight_info(desc, flight.FlightCallOptions(headers=AUTH))
    table = client.do_get(info.endpoints[0].ticket, flight.FlightCallOptions(headers=AUTH)).read_all()
    return table.column("value").to_pylist()[0]


@pytest.mark.parametrize("q", QUERY_IDS)
def test_tpch_query_matches_duckdb(conn, duck, q):
    sql = query_text(q)
    diff = compare_tables(query(conn, sql), duck.sql(sql).to_arrow_table(), ordered=is_ordered(sql))
    assert diff is None, f"Q{q}: {diff}"


def test_concurrent_clients(conn, duck, port):
    expected = [duck.sql(sql).to_arrow_table() for sql in QUICK_QUERIES]
    failures: list[str] = []

    def worker(i: int):
        try:
            with adbc_connect(port) as c:
                for j in range(20):
                    k = (i + j) % len(QUICK_QUERIES)
                    diff = compare_tables(query(c, QUICK_QUERIES[k]), expected[k], ordered=is_ordered(QUICK_QUERIES[k]))
                    if diff is not None:
                        failures.append(f"client {i} query {k}: {diff}")
        except Exception as e:  # noqa: BLE001 - every failure is reported below
            failures.append(f"client {i}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_bad_credentials_rejected_before_planning(conn, client, port, token):
    before = statements_run(client)
    with adbc_connect(port, token=token) as c, pytest.raises(adbc_driver_manager.Error, match="UNAUTHENTICATED"):
        query(c, "select count(*) from lineitem")
    headers = [] if token is None else [(b"authorization", f"Bearer {token}".encode())]
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.do_get(flight.Ticket(b"select 1"), flight.FlightCallOptions(headers=headers)).read_all()
    assert statements_run(client) == before


def test_malformed_and_oversize_requests(conn, client):
    opts = flight.FlightCallOptions(headers=AUTH)
    bad = [
        lambda: client.get_flight_info(flight.FlightDescriptor.for_command(b"\xff\xfe\x00not protobuf"), opts),
        lambda: client.get_flight_info(flight.FlightDescriptor.for_command(b"\n\x1etype.googleapis.com/what.Nope"), opts),
        lambda: client.get_flight_info(flight.FlightDescriptor.for_path("lineitem"), opts),
        lambda: client.get_flight_info(flight.FlightDescriptor.for_command(pack(pb.DoPutUpdateResult())), opts),
        lambda: list(client.do_action(flight.Action("NoSuchAction", b""), opts)),
        lambda: list(client.do_action(flight.Action("CreatePreparedStatement", b"\x01\x02"), opts)),
        lambda: client.get_flight_info(flight.FlightDescriptor.for_command(
            pack(pb.CommandStatementQuery(query="select 1 --" + "x" * (2 << 20)))), opts),
        lambda: client.do_get(flight.Ticket(b"select 1 --" + b"x" * (1 << 20)), opts).read_all(),
        lambda: client.do_get(flight.Ticket(b"\xff\xfe not utf-8"), opts).read_all(),
        lambda: client.do_get(flight.Ticket(b"selec 1"), opts).read_all(),
        lambda: client.do_get(flight.Ticket(b"select nope from lineitem"), opts).read_all(),
    ]
    for call in bad:
        with pytest.raises(pa.ArrowInvalid):
            call()
    with pytest.raises(adbc_driver_manager.Error, match="INVALID_ARGUMENT.*ParseError"):
        query(conn, "select from where")
    assert query(conn, "select count(*) as n from nation").to_pylist() == [{"n": 25}]


def test_plain_ticket_streams_batches(conn, client, duck):
    part = "select l_orderkey, l_linenumber, l_comment from lineitem"
    sql = f"{part} union all {part}"
    reader = client.do_get(flight.Ticket(sql.encode()), flight.FlightCallOptions(headers=AUTH))
    batches = [chunk.data for chunk in reader]
    assert len(batches) >= 2
    diff = compare_tables(pa.Table.from_batches(batches), duck.sql(sql).to_arrow_table(), ordered=False)
    assert diff is None


def test_metadata(conn):
    assert conn.adbc_get_table_types() == ["TABLE", "VIEW"]
    info = conn.adbc_get_info()
    assert info["vendor_name"] == "warpdb" and info["vendor_arrow_version"] == pa.__version__
    objects = conn.adbc_get_objects(depth="all", table_name_filter="line%").read_all().to_pylist()
    assert [c["catalog_name"] for c in objects] == ["warpdb"]
    schemas = objects[0]["catalog_db_schemas"]
    assert [s["db_schema_name"] for s in schemas] == ["main"]
    tables = schemas[0]["db_schema_tables"]
    assert [(t["table_name"], t["table_type"]) for t in tables] == [("lineitem", "VIEW")]
    parquet_names = pq.read_schema(ensure_data(0.01) / "lineitem.parquet").names
    assert [c["column_name"] for c in tables[0]["table_columns"]] == parquet_names
    assert conn.adbc_get_table_schema("orders").names[0] == "o_orderkey"
    catalogs = conn.adbc_get_objects(depth="catalogs", catalog_filter="nope").read_all()
    assert catalogs.num_rows == 0


def test_prepared_statement(conn, client, duck):
    sql = "select o_orderpriority, count(*) as n from orders group by o_orderpriority order by o_orderpriority"
    with conn.cursor() as cur:
        assert cur.adbc_execute_schema(sql).names == ["o_orderpriority", "n"]
        cur.adbc_prepare(sql)
        cur.execute(sql)
        assert compare_tables(cur.fetch_arrow_table(), duck.sql(sql).to_arrow_table(), ordered=True) is None
        cur.execute("select ? as i, ? as s, ? as d, ? as n", (7, "it's ?", dt.date(2024, 2, 29), None))
        assert cur.fetchall() == [(7, "it's ?", dt.date(2024, 2, 29), None)]
        cur.execute("select ? as i, ? as s, ? as d, ? as n", (8, "b", None, 1.5))
        assert cur.fetchall() == [(8, "b", None, 1.5)]
        cur.execute("select count(*) as n from lineitem where l_quantity > ? and l_shipmode = ?", (45, "AIR"))
        expected = duck.sql("select count(*) from lineitem where l_quantity > 45 and l_shipmode = 'AIR'").fetchall()
        assert cur.fetchall() == expected
        with pytest.raises(adbc_driver_manager.Error, match="INVALID_ARGUMENT.*1 parameter.*2 were bound"):
            cur.execute("select ? as x", (1, 2))
    opts = flight.FlightCallOptions(headers=AUTH)
    body = pack(pb.ActionCreatePreparedStatementRequest(query=sql))
    res = next(iter(client.do_action(flight.Action("CreatePreparedStatement", body), opts)))
    created = pb.ActionCreatePreparedStatementResult()
    any_pb2.Any.FromString(res.body.to_pybytes()).Unpack(created)
    schema = pa.ipc.read_schema(pa.py_buffer(created.dataset_schema))
    assert schema.names == ["o_orderpriority", "n"]
    cmd = pack(pb.CommandPreparedStatementQuery(prepared_statement_handle=created.prepared_statement_handle))
    info = client.get_flight_info(flight.FlightDescriptor.for_command(cmd), opts)
    assert info.schema.equals(schema)
    assert client.do_get(info.endpoints[0].ticket, opts).read_all().num_rows == 5
    close = pack(pb.ActionClosePreparedStatementRequest(prepared_statement_handle=created.prepared_statement_handle))
    list(client.do_action(flight.Action("ClosePreparedStatement", close), opts))
    with pytest.raises(pa.ArrowInvalid, match="prepared statement"):
        client.get_flight_info(flight.FlightDescriptor.for_command(cmd), opts)


def test_ddl_and_insert(conn):
    with conn.cursor() as cur:
        cur.execute("create table flight_t (a integer, s varchar, d date)")
        cur.execute("create table flight_p (a bigint, s varchar)")
        cur.adbc_statement.set_sql_query("insert into flight_t values (1, 'x', date '2024-01-02'), (2, null, null)")
        assert cur.adbc_statement.execute_update() == 2
        cur.execute("insert into flight_t select n_nationkey + 100, n_name, null from nation where n_regionkey = 0")
        cur.executemany("insert into flight_p values (?, ?)", [(i, f"s{i}") for i in range(50)])
        assert cur.rowcount == 50
        cur.executemany("insert into flight_p select ? + 1000, upper(?)", [(1, "a"), (2, None)])
        assert query(conn, "select count(*) as n, sum(a) as a, max(s) as s from flight_p").to_pylist() == [
            {"n": 52, "a": 1225 + 2003, "s": "s9"}]
        cur.adbc_statement.set_sql_query("create table flight_big as select * from flight_t where a > 1")
        assert cur.adbc_statement.execute_update() == 6
        cur.execute("create view flight_v as select count(*) as n, min(d) as first from flight_t")
        assert query(conn, "select * from flight_v").to_pylist() == [{"n": 7, "first": dt.date(2024, 1, 2)}]
        assert query(conn, "select count(*) as n from flight_big").to_pylist() == [{"n": 6}]
        cur.execute("drop view flight_v")
        cur.execute("create table flight_tmp as select 1 as a")
        cur.execute("create view flight_broken as select * from flight_tmp")
        cur.execute("drop table flight_tmp")
    broken = conn.adbc_get_objects(depth="columns", table_name_filter="flight_broken").read_all().to_pylist()
    assert broken[0]["catalog_db_schemas"][0]["db_schema_tables"][0]["table_columns"] == []
    with conn.cursor() as cur:
        cur.execute("drop view flight_broken")
    tables = conn.adbc_get_objects(depth="tables", table_name_filter="flight%").read_all().to_pylist()
    names = [(t["table_name"], t["table_type"]) for t in tables[0]["catalog_db_schemas"][0]["db_schema_tables"]]
    assert names == [("flight_big", "TABLE"), ("flight_p", "TABLE"), ("flight_t", "TABLE")]


def test_deadline_stops_slow_query(conn, client):
    branch = ("select count(*) as n from lineitem a join lineitem b on a.l_orderkey = b.l_orderkey "
              "join lineitem c on b.l_orderkey = c.l_orderkey join lineitem d on c.l_orderkey = d.l_orderkey "
              "where a.l_quantity > {k}")
    # about 20 s of work at 0.2 s per operator: the margins below hold on a loaded 2-core machine
    slow = " union all ".join(branch.format(k=k) for k in range(120))
    start = time.monotonic()
    with pytest.raises((flight.FlightTimedOutError, flight.FlightCancelledError)):
        client.do_get(flight.Ticket(slow.encode()), flight.FlightCallOptions(headers=AUTH, timeout=1.0)).read_all()
    timed_out = time.monotonic()
    assert timed_out - start < 5
    # the server stopped the slow query: the next one is not queued behind the rest of its work
    assert query(conn, "select count(*) as n from region").to_pylist() == [{"n": 5}]
    assert time.monotonic() - timed_out < 6


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_basic_auth_and_init_file(tmp_path):
    cert, key = _self_signed(tmp_path)
    init = tmp_path / "init.sql"
    init.write_text("create table greeting (id integer, word varchar);\n"
                    "insert into greeting values (1, 'hello'), (2, 'flight');\n")
    args = ["--tls-cert", str(cert), "--tls-key", str(key), "--user", "alice", "--password", "pw", "--init", str(init)]
    with serve(tmp_path, *args) as port:
        client = flight.FlightClient(f"grpc+tls://127.0.0.1:{port}", tls_root_certs=cert.read_bytes())
        header = client.authenticate_basic_token("alice", "pw")
        assert header[1].startswith(b"Bearer ")
        table = client.do_get(flight.Ticket(b"select word from greeting order by id"),
                              flight.FlightCallOptions(headers=[header])).read_all()
        assert table.column("word").to_pylist() == ["hello", "flight"]
        with pytest.raises(flight.FlightUnauthenticatedError):
            client.authenticate_basic_token("alice", "wrong")
        client.close()
        options = {"username": "alice", "password": "pw",
                   adbc_fs.DatabaseOptions.TLS_ROOT_CERTS.value: cert.read_text()}
        with adbc_connect(port, token=None, scheme="grpc+tls", **options) as c:
            assert query(c, "select count(*) as n from greeting").to_pylist() == [{"n": 2}]
        plain = flight.FlightClient(f"grpc://127.0.0.1:{port}")
        with pytest.raises(flight.FlightError):
            plain.do_get(flight.Ticket(b"select 1"), flight.FlightCallOptions(headers=[header], timeout=5)).read_all()
        plain.close()


def test_cli_rejects_bad_arguments(tmp_path, capsys):
    from warpdb.flight.__main__ import main

    for argv in (["--user", "u"], ["--token", "t", "--user", "u", "--password", "p"], ["--tls-cert", "c.pem"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    bad = tmp_path / "bad.sql"
    bad.write_text("create view v as select * from no_such_table")
    assert main(["--port", "0", "--device", "cpu", "--init", str(bad)]) == 2
    assert "no_such_table" in capsys.readouterr().err
