"""Connections and results: the DuckDB-like Python API over the planner and executor."""
from __future__ import annotations

import os
import re
import time

import pyarrow as pa
from sqlglot import exp

from ..errors import BindError, Error, ExecutionError, NotSupported, OutOfMemory
from ..kernels.backend import array_module, fetch, gpu_available, to_host
from ..sql.bind import bind_query
from ..sql.parse import parse
from ..io.cache import DEFAULT_BYTES, PageCache
from ..io.scan import SUMMED
from ..io.transfer import transfers
from .catalog import Catalog, FileEntry, TableEntry
from .column import to_arrow
from .executor import ExecutionContext, evaluate, result_columns
from .memory import DeviceMemory
from .explain import explain
from .logical import Scan
from .optimizer import optimize
from .statements import run_statement

_EXPLAIN = re.compile(r"^\s*explain(\s+analyze)?\s+", re.IGNORECASE)
FRAME_METHODS = frozenset({
    "select", "with_columns", "filter", "group_by", "join", "sort", "limit", "head", "unique", "union",
    "rename", "drop", "collect", "to_pandas", "to_polars", "create_view", "schema",
})


class Result:
    """A statement's result: lazily executed for queries, ready-made for DDL, DESCRIBE and SHOW.

    A query's result is also a frame: `con.sql(q).filter(...)` continues it with the DataFrame API
    (`frame()` gives the LazyFrame).
    """

    def __init__(self, con: "Connection", plan=None, names=None, table: pa.Table | None = None, planning_ms=0.0,
                 ast=None):
        self.con, self.plan, self.names = con, plan, names
        self.ast = ast
        self._table = table
        self.planning_ms = planning_ms
        self.profile: list = []
        self.scan_stats: list[dict] = []

    def arrow(self, cancelled=None) -> pa.Table:
        """The result as a pyarrow.Table; `cancelled()`, when given, is polled before each operator
        and a True answer stops the query with Cancelled."""
        if self._table is None:
            self._table = self.con._execute(self.plan, self.names, self, cancelled)
        return self._table

    def fetchall(self) -> list[tuple]:
        t = self.arrow()
        return list(zip(*[c.to_pylist() for c in t.columns])) if t.num_columns else []

    def fetchone(self):
        rows = self.fetchall()
        return rows[0] if rows else None

    def df(self):
        return self.arrow().to_pandas()

    def explain(self) -> str:
        return explain(self.plan) if self.plan is not None else "(no plan: not a query)"

    @property
    def columns(self) -> list[str]:
        return list(self.arrow().column_names)

    def frame(self):
        """This query as a warpdb LazyFrame."""
        from ..frame.frame import over_query

        if self.ast is None:
            raise NotSupported("a frame over a statement that is not a query")
        return over_query(self.con, self.ast, self.names)

    def __getattr__(self, name: str):
        if name in FRAME_METHODS:
            return getattr(self.frame(), name)
        raise AttributeError(f"'Result' object has no attribute '{name}'")

    def __repr__(self) -> str:
        return repr(self.arrow())


class Connection:
    """A warpdb database: a catalog plus the backend ("cpu" NumPy, "gpu" CuPy) queries run on.

    `sync_profile = True` synchronizes the GPU after every operator, so that `Result.profile` and
    EXPLAIN ANALYZE give per-operator device times (queries run a little slower). Parquet column
    chunks are kept in a page cache of `cache_bytes` (0: none) in the backend's memory, with a
    pinned host tier of `host_cache_bytes` on the GPU; `cache_stats()` reports on it and
    `preload()` fills it.
    """

    def __init__(self, device: str = "auto", memory_limit=None, cache_bytes=DEFAULT_BYTES, host_cache_bytes=None):
        if device not in ("auto", "cpu", "gpu"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'gpu', not {device!r}")
        if device == "auto":
            device = "gpu" if gpu_available() else "cpu"
        if host_cache_bytes is not None and device != "gpu":
            raise NotSupported("host_cache_bytes on the CPU backend (the pinned second tier of the GPU's page cache)")
        self.xp = array_module(device)
        self.device = device
        self.memory = DeviceMemory(self.xp, device, memory_limit)
        self.cache = PageCache(cache_bytes, host_cache_bytes, transfers(self.xp, device, self.memory.scope), device)
        self.catalog = Catalog(self.cache)
        self._plans: dict[tuple[str, int], tuple] = {}
        self.sync_profile = False

    # --- data in ----------------------------------------------------------------------------
    def register(self, name: str, obj) -> "Connection":
        """Make an Arrow table/batch/reader, pandas or Polars frame queryable as `name`; a warpdb
        LazyFrame (or query Result) becomes a view."""
        from ..frame import LazyFrame

        if isinstance(obj, Result) and obj.ast is not None:
            obj = obj.frame()
        if isinstance(obj, LazyFrame):
            obj.create_view(name)
            return self
        self.catalog.put(name, TableEntry(name.lower(), _as_arrow(obj)))
        return self

    def unregister(self, name: str) -> "Connection":
        entry = self.catalog.get(name)
        self.catalog.drop(name, "VIEW" if entry is not None and entry.is_view else "TABLE", if_exists=True)
        return self

    # --- DataFrame API ----------------------------------------------------------------------
    def table(self, name: str):
        """A LazyFrame over table or view `name`."""
        from ..frame.frame import scan

        return scan(self, exp.Table(this=exp.to_identifier(name.lower())), name.lower())

    def read_parquet(self, path, **options):
        """A LazyFrame over Parquet file(s): a path, glob, directory, fsspec URL or a list of them;
        options as in SQL's read_parquet (hive_partitioning, union_by_name, filename)."""
        return self._read("read_parquet", path, options)

    def read_csv(self, path, **options):
        """A LazyFrame over CSV file(s); options as in SQL's read_csv (header, delim, columns={...}, ...)."""
        return self._read("read_csv", path, options)

    def read_json(self, path, **options):
        """A LazyFrame over newline-delimited JSON file(s); options as in SQL's read_json (columns={...})."""
        return self._read("read_json", path, options)

    def read_arrow(self, path, **options):
        """A LazyFrame over Arrow IPC file(s) or stream(s), Feather v2 included."""
        return self._read("read_arrow", path, options)

    def _read(self, fname: str, path, options: dict):
        from ..frame.frame import scan

        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        args = [exp.Array(expressions=[_sql_value(str(p)) for p in paths])]
        args += [exp.EQ(this=exp.column(k), expression=_sql_value(v)) for k, v in options.items()]
        return scan(self, exp.Table(this=exp.Anonymous(this=fname, expressions=args)), fname)

    def from_ast(self, node: exp.Expression, text: str = "") -> Result:
        """Plan a query AST (as the DataFrame API builds them); the result runs when first read."""
        start = time.perf_counter()
        try:
            plan, names = self.plan(node, text)
        except Error:
            raise
        except Exception as e:
            raise Error(f"internal error while planning: {type(e).__name__}: {e}") from e
        return Result(self, plan, names, planning_ms=(time.perf_counter() - start) * 1e3, ast=node)

    # --- SQL --------------------------------------------------------------------------------
    def sql(self, text: str) -> Result:
        """Run SQL (one or more statements); the last statement's result is returned."""
        m = _EXPLAIN.match(text)
        if m:
            return self._explain(text[m.end():], analyze=bool(m.group(1)))
        start = time.perf_counter()
        cached = self._plans.get((text, self.catalog.version))
        if cached is not None and all(src.fresh() for src in cached[2]):
            return Result(self, cached[0], cached[1], planning_ms=(time.perf_counter() - start) * 1e3, ast=cached[3])
        try:
            return self._run_statements(text, start)
        except Error:
            raise
        except Exception as e:
            raise Error(f"internal error while planning: {type(e).__name__}: {e}") from e

    def _run_statements(self, text: str, start: float) -> Result:
        stmts = parse(text)
        if not stmts:
            raise BindError("empty statement")
        result = None
        for stmt in stmts:
            result = self._statement(stmt, text, start, cacheable=len(stmts) == 1)
            start = time.perf_counter()
        return result

    execute = sql

    def _statement(self, stmt, text: str, start: float, cacheable: bool) -> Result:
        if isinstance(stmt, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values, exp.Subquery)):
            plan, names = self.plan(stmt, text)
            if cacheable:
                files = [n.source for n in plan.walk() if isinstance(n, Scan) and isinstance(n.source, FileEntry)]
                self._plans[(text, self.catalog.version)] = (plan, names, files, stmt)
            return Result(self, plan, names, planning_ms=(time.perf_counter() - start) * 1e3, ast=stmt)
        table = run_statement(self, stmt, text)
        return Result(self, table=table if table is not None else pa.table({}))

    def plan(self, stmt, text: str):
        """Bind and optimize one query statement."""
        plan, names = bind_query(self.catalog, stmt, text)
        return optimize(plan), names

    def _explain(self, text: str, analyze: bool) -> Result:
        stmts = parse(text)
        if len(stmts) != 1:
            raise NotSupported("EXPLAIN of several statements")
        plan, names = self.plan(stmts[0], text)
        body = explain(plan)
        if analyze:
            r = Result(self, plan, names)
            r.arrow()
            body += "\n\nprofile (operator, ms, rows):\n" + "\n".join(f"  {n} {ms:.3f} {rows}" for n, ms, rows in r.profile)
            if r.scan_stats:
                body += "\n\nscans:\n" + "\n".join(f"  {_scan_line(s)}" for s in r.scan_stats)
        return Result(self, table=pa.table({"explain": [body]}))

    def _execute(self, plan, names, result: Result, cancelled=None) -> pa.Table:
        sync = None
        if self.sync_profile and self.device == "gpu":
            sync = self.xp.cuda.get_current_stream().synchronize
        ctx = ExecutionContext(self.xp, lambda a: to_host(self.xp, a), sync, cancelled)

        def run():
            batch = evaluate(plan, ctx)
            ctx.operator = "result transfer"
            columns = result_columns(plan, batch)
            host = fetch(self.xp, [a for c in columns for a in (c.data, c.valid, *(c.wide or ())) if a is not None])
            return [to_arrow(self.xp, c, lambda a: host[id(a)]) for c in columns]

        arrays = self._guarded(run, lambda: ctx.operator, "running the query")
        result.profile, result.scan_stats = ctx.profile, ctx.scans
        return pa.Table.from_arrays(arrays, names=list(names))

    def _guarded(self, fn, where, what: str):
        """fn() in the connection's device memory, its failures as warpdb errors (OutOfMemory naming
        `where()`, the step it ran out in)."""
        try:
            with self.memory.scope():
                return fn()
        except Error:
            raise
        except MemoryError as e:
            del e
            self.memory.release()
            limit = f"memory_limit={self.memory.limit_text}" if self.memory.limit else "the device's memory"
            raise OutOfMemory(f"out of memory in {where()}: the query needs more than {limit}") from None
        except Exception as e:
            raise ExecutionError(f"internal error while {what}: {type(e).__name__}: {e}") from e

    def preload(self, table: str, columns=None) -> dict:
        """Read columns (all by default) of `table` (a view over read_parquet, or a read_parquet(...)
        call) into the page cache without running a query; the load's numbers: rows, bytes (of the
        columns in the backend's form), row_groups_from_storage, bytes_read (compressed, from
        storage), decode_s, stage_s, copy_s, device_decode_s, bytes_copied and wall_s
        (warpdb.io.load.LoadStats).
        A column larger than the cache budget is read but not kept."""
        if columns is not None and (isinstance(columns, str) or not columns):
            raise ValueError("columns must be a non-empty list of column names")
        names = "*" if columns is None else ", ".join(exp.to_identifier(c).sql() for c in columns)
        plan, _ = self.plan(parse(f"select {names} from {table}")[0], "")
        scans = [n for n in plan.walk() if isinstance(n, Scan) and getattr(n.source, "row_groups", False)]
        if not scans:
            raise NotSupported(f"preload of '{table}': it is not read from Parquet files")
        stats: list[dict] = []
        self._guarded(lambda: [n.source.scan(n, None, stats) for n in scans], lambda: "preload", "preloading")
        return {key: sum(s[key] for s in stats) for key in SUMMED if key != "row_groups_read"}

    def tables(self) -> list[str]:
        return self.catalog.names()

    def cache_stats(self) -> dict:
        """The page cache's numbers (warpdb.io.cache.PageCache.stats): hits, misses, evictions,
        demotions, promotions, entries, entries_host, bytes_device, bytes_host, bytes_dictionaries,
        bytes_copied_to_device, budget and host_budget."""
        return self.cache.stats()

    def close(self) -> None:
        self.cache.clear()
        self.cache.transfers.close()
        self.catalog = Catalog(self.cache)
        self._plans.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _scan_line(s: dict) -> str:
    """One scan's numbers for EXPLAIN ANALYZE: `Scan t (file): row groups R/T, B bytes read`."""
    files = s["files"]
    where = os.path.basename(files[0]) if len(files) == 1 else f"{len(files)} files"
    return (f"Scan {s['table']} ({where}): row groups {s['row_groups_read']}/{s['row_groups_total']}, "
            f"{s['bytes_read']} bytes read" + (f", {s['batches']} batches" if s["batches"] > 1 else ""))


def _sql_value(v) -> exp.Expression:
    """A Python option value (str, bool, number, dict, list) as a SQL constant."""
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)):
        return exp.Literal.number(v)
    if isinstance(v, dict):
        return exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(str(k)), expression=_sql_value(x))
                                       for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return exp.Array(expressions=[_sql_value(x) for x in v])
    return exp.Literal.string(str(v))


def _as_arrow(obj) -> pa.Table:
    if isinstance(obj, pa.Table):
        return obj
    if isinstance(obj, pa.RecordBatch):
        return pa.Table.from_batches([obj])
    if isinstance(obj, pa.RecordBatchReader):
        return obj.read_all()
    mod = type(obj).__module__
    if mod.startswith("pandas"):
        return pa.Table.from_pandas(obj, preserve_index=False)
    if mod.startswith("polars"):
        return obj.to_arrow()
    if hasattr(obj, "__arrow_c_stream__"):
        return pa.table(obj)
    raise NotSupported(f"registering a {type(obj).__name__}: pass an Arrow table, pandas or Polars frame")

