"""The server's one warpdb Connection, shared by every client: a lock serializes planning and
execution (the engine is not thread-safe), planned queries wait under a ticket until fetched,
prepared statements are kept by opaque handle, and warpdb errors become Flight statuses."""
from __future__ import annotations

import contextlib
import secrets
import threading
from collections import OrderedDict

import pyarrow as pa
import pyarrow.flight as flight

from ..engine import types as T
from ..engine.catalog import TableEntry
from ..engine.session import Connection, Result
from ..errors import BindError, Cancelled, Error, NotSupported, ParseError, TypeMismatch
from ..sql.parse import parse
from .params import bind, placeholders
from .protocol import check_sql

MAX_PENDING = 4096
MAX_PARAM_ROWS = 10_000
LOCK_POLL_S = 0.05
USER_ERRORS = (ParseError, BindError, TypeMismatch, NotSupported)
QUERY_TYPES = ("Select", "Union", "Intersect", "Except", "Values", "Subquery")


@contextlib.contextmanager
def flight_errors():
    """Re-raise warpdb errors as Flight errors: user mistakes INVALID_ARGUMENT, a cancelled query
    CANCELLED, anything else INTERNAL."""
    try:
        yield
    except (flight.FlightError, pa.ArrowException):
        raise
    except USER_ERRORS as e:
        raise pa.ArrowInvalid(f"{type(e).__name__}: {e}") from None
    except Cancelled as e:
        raise flight.FlightCancelledError(str(e)) from None
    except Error as e:
        raise flight.FlightInternalError(f"{type(e).__name__}: {e}") from None
    except Exception as e:
        raise flight.FlightInternalError(f"internal error: {type(e).__name__}: {e}") from None


def plan_schema(result: Result) -> pa.Schema:
    """The Arrow schema a planned query's result will have."""
    if result.plan is None:
        return result.arrow().schema
    return pa.schema([pa.field(n, T.to_arrow(f.dtype)) for n, f in zip(result.names, result.plan.schema)])


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly the announced `schema` (column types cast where they differ)."""
    if table.schema.equals(schema):
        return table
    return pa.Table.from_arrays([c.cast(f.type) for c, f in zip(table.columns, schema)], schema=schema)


def single_query(sql: str) -> bool:
    """Whether `sql` is one query statement (planned, not run, when submitted)."""
    stmts = parse(sql)
    return len(stmts) == 1 and type(stmts[0]).__name__ in QUERY_TYPES


class Engine:
    """Thread-safe access to one Connection for many Flight clients."""

    def __init__(self, con: Connection):
        self.con = con
        self.lock = threading.Lock()  # the engine: planning and execution
        self.books = threading.Lock()  # the pending and prepared dictionaries
        self.pending: OrderedDict[bytes, tuple[Result, pa.Schema]] = OrderedDict()
        self.prepared: OrderedDict[bytes, list] = OrderedDict()  # handle -> [sql, bound parameters]
        self.statements = 0

    @contextlib.contextmanager
    def locked(self, context):
        """Hold the engine lock, giving up if the client cancels (or its deadline passes) meanwhile."""
        while not self.lock.acquire(timeout=LOCK_POLL_S):
            if context is not None and context.is_cancelled():
                raise flight.FlightCancelledError("call cancelled while waiting for the engine")
        try:
            with flight_errors():
                yield
        finally:
            self.lock.release()

    def _sql(self, sql: str) -> Result:
        self.statements += 1
        return self.con.sql(check_sql(sql))

    def submit(self, sql: str, context) -> tuple[bytes, pa.Schema]:
        """Plan a query (or run a statement now); returns the ticket handle and the result schema."""
        with self.locked(context):
            result = self._sql(sql)
            schema = plan_schema(result)
        handle = secrets.token_bytes(16)
        with self.books:
            self.pending[handle] = (result, schema)
            while len(self.pending) > MAX_PENDING:
                self.pending.popitem(last=False)
        return handle, schema

    def fetch(self, handle: bytes, context) -> pa.Table:
        """Run the query submitted under `handle` (once); the client's cancel stops it between operators."""
        with self.books:
            entry = self.pending.pop(handle, None)
        if entry is None:
            raise pa.ArrowInvalid("unknown or already used statement ticket")
        result, schema = entry
        with self.locked(context):
            return conform(result.arrow(context.is_cancelled), schema)

    def run(self, sql: str, context) -> pa.Table:
        """Plan and run `sql` at once (plain SQL tickets)."""
        with self.locked(context):
            return self._sql(sql).arrow(context.is_cancelled)

    def update(self, texts: list[str], context) -> int:
        """Run DDL/DML statements; the count of rows they added to tables."""
        with self.locked(context):
            before = self._row_counts()
            for sql in texts:
                result = self._sql(sql)
                if result.plan is not None:
                    result.arrow(context.is_cancelled)
            after = self._row_counts()
        return sum(max(n - before.get(name, 0), 0) for name, n in after.items())

    def _row_counts(self) -> dict[str, int]:
        return {name: e.table.num_rows for name, e in self.con.catalog.entries.items() if type(e) is TableEntry}

    def describe(self, sql: str, context) -> pa.Schema | None:
        """The result schema of a single query, planned now; None for statements (run only later)."""
        check_sql(sql)
        with self.locked(context):
            planned = single_query(sql) and not placeholders(sql)
            return plan_schema(self._sql(sql)) if planned else None

    def prepare(self, sql: str, context) -> tuple[bytes, pa.Schema | None]:
        """A prepared statement handle and, for a single query, its result schema."""
        schema = self.describe(sql, context)
        handle = secrets.token_bytes(16)
        with self.books:
            self.prepared[handle] = [sql, None]
            while len(self.prepared) > MAX_PENDING:
                self.prepared.popitem(last=False)
        return handle, schema

    def _entry(self, handle: bytes) -> list:
        entry = self.prepared.get(handle)
        if entry is None:
            raise pa.ArrowInvalid("unknown or closed prepared statement handle")
        return entry

    def bind(self, handle: bytes, params: pa.Table) -> None:
        """Bind parameter rows to a prepared statement for its next executions."""
        if params.num_rows > MAX_PARAM_ROWS:
            raise pa.ArrowInvalid(f"{params.num_rows} parameter rows: at most {MAX_PARAM_ROWS} per execution")
        with self.books:
            self._entry(handle)[1] = params if params.num_rows else None

    def prepared_texts(self, handle: bytes) -> list[str]:
        """The prepared statement's SQL with its bound parameters substituted (one text per statement run)."""
        with self.books:
            sql, params = self._entry(handle)
        if params is None:
            count = len(placeholders(sql))
            if count:
                raise pa.ArrowInvalid(f"the statement has {count} parameter(s): bind values before executing it")
            return [sql]
        with flight_errors():
            return bind(sql, params)

    def close_prepared(self, handle: bytes) -> None:
        with self.books:
            self.prepared.pop(handle, None)

    def catalog_snapshot(self, context, with_schema: bool) -> list[tuple[str, str, pa.Schema | None]]:
        """(name, "TABLE" or "VIEW", schema or None) for every catalog entry; views' schemas by planning
        (empty for a view that no longer plans, e.g. over a deleted file)."""
        out = []
        with self.locked(context):
            for name in self.con.catalog.names():
                entry = self.con.catalog.get(name)
                schema = None
                if with_schema and entry.is_view:
                    schema = self._view_schema(entry)
                elif with_schema:
                    schema = entry.table.schema
                out.append((name, "VIEW" if entry.is_view else "TABLE", schema))
        return out

    def _view_schema(self, entry) -> pa.Schema:
        try:
            return plan_schema(Result(self.con, *self.con.plan(entry.ast, entry.sql)))
        except Error:
            return pa.schema([])
