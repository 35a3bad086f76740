"""The read_* table functions: a FileSource per call (files, format, options, hive partitions,
one schema) that reads the files it is asked for, each at most once."""
from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from ..errors import BindError, Error, ExecutionError, NotSupported
from .formats import CSV, JSON, Arrow, Parquet, open_file
from .paths import expand, partitions, stamp

FORMATS = {
    "read_parquet": Parquet, "parquet_scan": Parquet,
    "read_csv": CSV, "read_csv_auto": CSV,
    "read_json": JSON, "read_json_auto": JSON, "read_ndjson": JSON, "read_ndjson_auto": JSON,
    "read_arrow": Arrow, "read_ipc": Arrow, "read_feather": Arrow,
}
COMMON_OPTIONS = frozenset({"hive_partitioning", "union_by_name", "filename"})
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")


class _Types:
    """The owner sqltypes.sql_type reports unsupported types to."""

    @staticmethod
    def unsupported(what, at, default):
        raise NotSupported(what)


def arrow_type(name: str) -> pa.DataType:
    """The Arrow type of a SQL type name ('INTEGER', 'DECIMAL(15,2)', 'VARCHAR', ...)."""
    from ..engine import types as T
    from ..sql.sqltypes import sql_type

    try:
        node = exp.DataType.build(str(name), dialect="duckdb")
    except Exception:
        raise BindError(f"unknown type name '{name}'") from None
    return T.to_arrow(sql_type(node, _Types, None))


def _guard(fmt, path: str, fn):
    """fn() with its failures as typed errors that name the file."""
    try:
        return fn()
    except Error:
        raise
    except FileNotFoundError as e:
        if isinstance(e.__cause__, OSError) and not isinstance(e.__cause__, FileNotFoundError):
            raise ExecutionError(f"cannot reach '{path}': {e.__cause__}") from None
        raise BindError(f"no such file: '{path}'") from None
    except Exception as e:
        raise ExecutionError(f"cannot read {fmt.name} file '{path}': {type(e).__name__}: {e}") from None


class FileSource:
    """The files one read_* call names, with their unified schema; `files_read` lists the files whose
    data has been used (partition pruning skips the others). Parquet files are read by row group
    (`row_grouped`): `row_groups_read` and `bytes_read` (compressed column chunks) count the reads
    from storage, which the page cache saves. Local Arrow IPC files are memory-mapped (`mapped`:
    path -> address and size of the map); `raw_bytes` counts the file bytes sent to the backend as
    they are (warpdb.io.ipc)."""

    def __init__(self, fname: str, paths: list[str], options: dict):
        fmt = FORMATS.get(fname)
        if fmt is None:
            raise NotSupported(f"table function {fname}()")
        if not paths:
            raise BindError(f"{fname}() needs a path")
        unknown = set(options) - fmt.options - COMMON_OPTIONS
        if unknown:
            raise NotSupported(f"{fname} option(s) {sorted(unknown)}")
        if fmt is JSON and str(options.get("format", "auto")).lower() not in ("auto", "newline_delimited"):
            raise NotSupported(f"{fname} format='{options['format']}' (only newline-delimited JSON)")
        self.fmt, self.options = fmt, _typed_options(options)
        self.files = expand(paths)
        self.partitions = partitions(self.files, options.get("hive_partitioning"))
        self.union_by_name = bool(options.get("union_by_name", False))
        self.files_read: list[str] = []
        self.row_grouped = fmt is Parquet
        self.row_groups_read = self.bytes_read = 0
        self.mapped: dict[str, tuple[int, int]] = {}
        self.raw_bytes = 0
        self._cache: dict[str, pa.Table] = {}
        self._meta: dict[str, object] = {}
        self._stamps: dict[str, tuple] = {}
        self.data_schema = self._unified([self._file_schema(f) for f in self.files])
        extra = [pa.field(k, pa.int64() if all(map(_INTEGER.match, v)) else pa.string())
                 for k, v in (self.partitions or {}).items()]
        if options.get("filename"):
            extra.append(pa.field("filename", pa.string()))
        names = {f.name for f in extra}
        self.schema = pa.schema([f for f in self.data_schema if f.name.lower() not in names] + extra)
        self._fields = {f.name.lower(): f for f in self.schema}

    def _file_schema(self, path: str) -> pa.Schema:
        if self.row_grouped:
            return Parquet.schema_of(self.metadata(path), self.options)
        given = _guard(self.fmt, path, lambda: self.fmt.schema(path, self.options))
        return given if given is not None else self._data(path).schema

    def _data(self, path: str) -> pa.Table:
        table = self._cache.get(path)
        if table is None:
            if self.fmt is Arrow:
                table, span = _guard(self.fmt, path, lambda: Arrow.read_mapped(path))
                if span is not None:
                    self.mapped[path] = span
            else:
                table = _guard(self.fmt, path, lambda: self.fmt.read(path, self.options))
            self._cache[path] = table
            self.files_read.append(path)
        return table

    def metadata(self, path: str):
        """A Parquet file's footer (read once)."""
        meta = self._meta.get(path)
        if meta is None:
            meta = self._meta[path] = _guard(self.fmt, path, lambda: Parquet.metadata(path))
        return meta

    def version(self, path: str) -> tuple:
        """The file's stamp (size, mtime or etag) as first seen."""
        if path not in self._stamps:
            self._stamps[path] = _guard(self.fmt, path, lambda: stamp(path))
        return self._stamps[path]

    def guard(self, path: str, fn):
        """fn() with its failures as typed errors that name `path`."""
        return _guard(self.fmt, path, fn)

    def field(self, name: str) -> pa.Field:
        """The unified schema's field of column `name` (lower case)."""
        return self._fields[name]

    def special_columns(self) -> set[str]:
        """The columns that come from the paths, not the data: hive partitions and `filename`."""
        return {k.lower() for k in self.partitions or ()} | ({"filename"} if self.options.get("filename") else set())

    def _row_groups(self, path: str, groups: list[int], names: list[str]) -> tuple[pa.Table, int]:
        """Columns `names` (those the file has) of row groups `groups` of a Parquet file, and their
        row count, read from the file as Arrow."""
        meta = self.metadata(path)
        types = Parquet.schema_of(meta, self.options)
        index = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
        names = [n for n in names if n in index and n in types.names]
        n_rows = sum(meta.row_group(g).num_rows for g in groups)
        if not names or not groups:
            return pa.table({n: pa.nulls(0, types.field(n).type) for n in names}), n_rows
        file = _guard(self.fmt, path, lambda: pq.ParquetFile(open_file(path)))
        table = _guard(self.fmt, path, lambda: Parquet.read_row_groups(file, groups, names, self.options))
        self.row_groups_read += len(groups)
        self.bytes_read += sum(meta.row_group(g).column(index[n]).total_compressed_size for g in groups for n in names)
        return table, n_rows

    def _unified(self, schemas: list[pa.Schema]) -> pa.Schema:
        first = schemas[0]
        if not self.union_by_name:
            for path, s in zip(self.files[1:], schemas[1:]):
                if [n.lower() for n in s.names] != [n.lower() for n in first.names]:
                    raise BindError(
                        f"schema of '{path}' ({', '.join(s.names)}) differs from '{self.files[0]}' "
                        f"({', '.join(first.names)}); use union_by_name=true to combine columns by name")
        unified = first
        for path, s in zip(self.files, schemas):
            try:
                unified = pa.unify_schemas([unified, s], promote_options="permissive")
            except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
                raise BindError(f"column types of '{path}' do not match the other files': {e}") from None
        return unified

    def partition_table(self) -> pa.Table:
        """One row per file: its hive partition values, typed as the schema says."""
        parts = self.partitions or {}
        return pa.table({k: pa.array(_values(v, self.schema.field(k).type), self.schema.field(k).type)
                         for k, v in parts.items()})

    def read(self, keep, columns=None, groups=None) -> pa.Table:
        """The rows of files number `keep`, in the unified schema with partition columns; only
        `columns` (lower-case names) when given; when `groups` is, only row groups groups[i] of
        Parquet file i."""
        parts = self.partition_table()
        schema = self.schema if columns is None else pa.schema([self._fields[c] for c in columns])
        pieces, total = [], 0
        for i in keep:
            path = self.files[i]
            if groups is None:
                table = self._data(path)
                n = table.num_rows
            else:
                data = [n for n in schema.names if n not in parts.column_names
                        and not (n == "filename" and self.options.get("filename"))]
                table, n = self._row_groups(path, groups[i], data)
                if groups[i] and path not in self.files_read:
                    self.files_read.append(path)
            total += n
            cols = []
            for f in schema:
                if parts.num_columns and f.name in parts.column_names:
                    cols.append(pa.repeat(parts.column(f.name)[i], n).cast(f.type))
                elif f.name == "filename" and self.options.get("filename"):
                    cols.append(pa.repeat(pa.scalar(path), n))
                elif f.name in table.column_names:
                    col = table.column(f.name)
                    cols.append(col if col.type == f.type else _guard(self.fmt, path, lambda: col.cast(f.type)))
                else:
                    cols.append(pa.nulls(n, f.type))
            pieces.append(pa.table(cols, schema=schema))
        if not schema:
            return pa.table({"rows": pa.nulls(total)}).select([])
        if not pieces:
            return schema.empty_table()
        return pa.concat_tables(pieces) if len(pieces) > 1 else pieces[0]


def _values(raw: list[str], t: pa.DataType) -> list:
    return [int(v) for v in raw] if pa.types.is_integer(t) else raw


def _typed_options(options: dict) -> dict:
    out = dict(options)
    for key in ("columns", "types", "dtypes"):
        if key in out:
            if not isinstance(out[key], dict):
                raise BindError(f"{key} must be a struct of column names to type names, like {{'a': 'INTEGER'}}")
            out[key] = {k: arrow_type(v) for k, v in out[key].items()}
    return out
