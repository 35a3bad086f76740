"""Parquet and CSV readers behind read_parquet / read_csv (paths, globs, fsspec URLs)."""
from __future__ import annotations

import glob as globmod
import os

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import BindError, ExecutionError, NotSupported


def expand(paths: list[str]) -> list[str]:
    """Local paths, globs and directories -> the files they name, in sorted order."""
    out = []
    for p in paths:
        if "://" in p and not p.startswith("file://"):
            out.append(p)
            continue
        p = p[len("file://"):] if p.startswith("file://") else p
        if any(c in p for c in "*?["):
            hits = sorted(globmod.glob(p, recursive=True))
            if not hits:
                raise BindError(f"no files match '{p}'")
            out += hits
        elif os.path.isdir(p):
            out += sorted(os.path.join(dp, f) for dp, _, fs in os.walk(p) for f in fs if not f.startswith((".", "_")))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise BindError(f"no such file: '{p}'")
    return out


def _open(path: str):
    if "://" in path:
        import fsspec

        return fsspec.open(path, "rb").open()
    return path


def _read_parquet(files: list[str]) -> pa.Table:
    tables = []
    for f in files:
        try:
            tables.append(pq.read_table(_open(f)))
        except (pa.ArrowInvalid, OSError) as e:
            raise ExecutionError(f"cannot read Parquet file '{f}': {e}") from None
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables)
    except pa.ArrowInvalid as e:
        raise ExecutionError(f"Parquet files {files} have different schemas: {e}") from None


def _read_csv(files: list[str], options: dict) -> pa.Table:
    header = options.get("header", True)
    delim = options.get("delim", options.get("sep", options.get("delimiter", ",")))
    read = pacsv.ReadOptions(autogenerate_column_names=not header)
    parse = pacsv.ParseOptions(delimiter=delim)
    tables = []
    for f in files:
        try:
            tables.append(pacsv.read_csv(_open(f), read_options=read, parse_options=parse))
        except (pa.ArrowInvalid, OSError) as e:
            raise ExecutionError(f"cannot read CSV file '{f}': {e}") from None
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="permissive")


def open_source(fname: str, paths: list[str], options: dict):
    """(reader, files) for a table function call; the reader returns the whole Arrow table."""
    if not paths:
        raise BindError(f"{fname}() needs a path")
    files = expand(paths)
    if fname == "read_parquet":
        unknown = set(options) - {"binary_as_string", "hive_partitioning", "union_by_name", "filename"}
        if unknown:
            raise NotSupported(f"read_parquet option(s) {sorted(unknown)}")
        return (lambda: _read_parquet(files)), files
    if fname == "read_csv" or fname == "read_csv_auto":
        unknown = set(options) - {"header", "delim", "sep", "delimiter", "auto_detect"}
        if unknown:
            raise NotSupported(f"read_csv option(s) {sorted(unknown)}")
        return (lambda: _read_csv(files, options)), files
    raise NotSupported(f"table function {fname}()")
