"""The catalog: registered Arrow tables, tables made by SQL, views, and file sources."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BindError
from ..io import ipc, pruning
from ..io import scan as io_scan
from . import types as T
from .column import Column, from_arrow

SAMPLE = 32768


def _sample_rows(n: int) -> np.ndarray:
    """SAMPLE distinct row numbers below `n`, drawn at random (fixed seed: plans are repeatable),
    in ascending order. Random rather than evenly spaced rows, so a column stored clustered by
    value (a fact table in key order) shows its repeats in the sample."""
    return np.sort(np.random.default_rng(0).choice(n, SAMPLE, replace=False))


def _take(col: pa.ChunkedArray, rows: np.ndarray) -> pa.ChunkedArray:
    """The given ascending rows of a column. Arrow cannot `take` from string_view, so such a chunk
    is cast to string over the span of its sampled rows first."""
    if not pa.types.is_string_view(col.type):
        return col.take(pa.array(rows))
    parts, start = [], 0
    for chunk in col.chunks:
        lo, hi = np.searchsorted(rows, [start, start + len(chunk)])
        if hi > lo:
            first = int(rows[lo]) - start
            span = chunk.slice(first, int(rows[hi - 1]) - start - first + 1).cast(pa.string())
            parts.append(span.take(pa.array(rows[lo:hi] - start - first)))
        start += len(chunk)
    return pa.chunked_array(parts, pa.string())


def _haas_stokes(sample: pa.Array, n: int, drawn: int) -> float:
    """Distinct values among `n` rows from the non-null values of a sample of `drawn` rows:
    m*d / (m - f1 + f1*m/N) (Haas and Stokes' Duj1; d distinct values in the m sampled, f1 of them
    seen once, N the non-null rows), d when the sample is the whole column, and N when no sampled
    value repeats (a key)."""
    m = len(sample)
    if m == 0:
        return 0.0
    counts = pc.value_counts(sample).field("counts")
    d = len(counts)
    if drawn >= n:
        return float(d)
    f1 = pc.sum(pc.equal(counts, 1)).as_py() or 0
    rows = n * m / drawn
    if f1 == d:
        return rows
    return max(float(d), m * d / (m - f1 + f1 * m / rows))


class TableEntry:
    """A table held as Arrow on the host; its columns are brought to the device once and kept."""

    is_view = False

    def __init__(self, name: str, table: pa.Table):
        self.table = table
        self._describe(name, table.schema)

    def _describe(self, name: str, schema: pa.Schema) -> None:
        self.name = name
        self.columns = [(f.name.lower(), T.from_arrow(f.type, f"{name}.{f.name}")) for f in schema]
        self._by_name = {n: i for i, (n, _) in enumerate(self.columns)}
        self._device: dict[tuple[int, str], Column] = {}
        self._ndv: dict[str, float] = {}

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    def distinct_estimate(self, name: str) -> float:
        """Estimated distinct values of a column (cached): from a seeded random sample of at most
        SAMPLE rows by Haas and Stokes' estimator (as PostgreSQL's ANALYZE), bounded by the row
        count and, for integers and dates, by the value range."""
        est = self._ndv.get(name)
        if est is None:
            n = self.num_rows
            full = self._arrow_column(name)
            col = _take(full, _sample_rows(n)) if n > SAMPLE else full
            if pa.types.is_string_view(col.type):
                col = col.cast(pa.string())
            est = _haas_stokes(col.drop_null(), n, len(col))
            kind = self.columns[self._by_name[name]][1].kind
            if kind in (T.Kind.INT8, T.Kind.INT16, T.Kind.INT32, T.Kind.INT64, T.Kind.DATE) and n:
                bounds = pc.min_max(full).as_py()
                if bounds["min"] is not None:
                    lo, hi = (x.toordinal() if hasattr(x, "toordinal") else x for x in (bounds["min"], bounds["max"]))
                    est = min(est, float(hi - lo + 1))
            self._ndv[name] = min(est, float(n))
        return self._ndv[name]

    def _arrow_column(self, name: str) -> pa.ChunkedArray:
        return self.table.column(self._by_name[name])

    def column(self, name: str, xp) -> Column:
        key = (id(xp), name)
        col = self._device.get(key)
        if col is None:
            i = self._by_name[name]
            col = from_arrow(xp, self.table.column(i), self.columns[i][1])
            self._device[key] = col
        return col


class ScannedTable:
    """The columns of one Parquet scan, already in backend arrays."""

    def __init__(self, columns: dict[str, Column], num_rows: int):
        self.columns, self.num_rows = columns, num_rows

    def column(self, name: str, xp) -> Column:
        return self.columns[name]


class FileEntry(TableEntry):
    """A table read from files (warpdb.io.readers.FileSource): the schema is known at planning, the
    data is read when first used; re-read when a local file's size or mtime changes. A scan whose
    filters rule out some hive partitions reads only the other files (`restrict`). With a page cache,
    Parquet is read by row group instead (`scan`): only the scan's columns and the row groups whose
    statistics leave room for matches, each column chunk through the cache (warpdb.io.scan). Local
    uncompressed Arrow IPC files send their fixed-width columns to the backend as file bytes."""

    def __init__(self, name: str, source, cache=None):
        self.source, self.paths = source, source.files
        self.cache = cache
        self.row_groups = cache is not None and source.row_grouped
        self._stamp = self._stamps()
        self._table = None
        self._subsets: dict[tuple[int, ...], TableEntry] = {}
        self._describe(name, source.schema)
        self._types = dict(self.columns)
        self.partition_columns = frozenset(k.lower() for k in source.partitions or ())

    @property
    def table(self) -> pa.Table:
        if self._table is None:
            self._table = self.source.read(range(len(self.paths)))
        return self._table

    @property
    def num_rows(self) -> int:
        if self.row_groups:
            return sum(self.source.metadata(p).num_rows for p in self.paths)
        return self.table.num_rows

    def _all_groups(self) -> dict[int, list[int]]:
        return {i: list(range(self.source.metadata(p).num_row_groups)) for i, p in enumerate(self.paths)}

    def _arrow_column(self, name: str) -> pa.ChunkedArray:
        if not self.row_groups:
            return super()._arrow_column(name)
        return self.source.read(range(len(self.paths)), [name], self._all_groups()).column(0)

    def column(self, name: str, xp) -> Column:
        key = (id(xp), name)
        direct = self.cache is not None and xp is self.cache.transfers.xp
        if key not in self._device and not self.row_groups and direct:
            i = self._by_name[name]
            arr = self.table.column(i)
            found = ipc.upload(self.cache.transfers, arr, self.columns[i][1], self.source.mapped)
            if found is not None:
                self._device[key], sent = found
                self.source.raw_bytes += sent
        return super().column(name, xp)

    def surviving(self, node, keep) -> dict[int, list[int]]:
        """File number -> the row groups of the files flagged in `keep` (every file when None) whose
        statistics leave room for rows passing the scan's filters."""
        src = self.source
        files = range(len(self.paths)) if keep is None else [int(i) for i in np.flatnonzero(keep)]
        special = src.special_columns()
        types = {f.cid: (name, f.dtype) for f, name in zip(node.schema, node.columns) if name not in special}
        return {i: pruning.row_groups(src.metadata(self.paths[i]), node.filters, types) for i in files}

    def batches(self, node, keep) -> list[dict[int, list[int]]]:
        """The surviving row groups in batches whose scan columns, in the engine's form, fit the
        cache budget (a larger row group alone); one batch when they all fit."""
        columns = list(dict.fromkeys(node.columns))
        out, size = [{}], 0
        for i, groups in self.surviving(node, keep).items():
            if not groups:
                out[-1][i] = []
            for g in groups:
                bytes_ = io_scan.device_bytes(self.source, self.paths[i], g, columns, self._types)
                if size and size + bytes_ > self.cache.budget:
                    out.append({})
                    size = 0
                out[-1].setdefault(i, []).append(g)
                size += bytes_
        return out

    def scan(self, node, keep, stats: list, groups: dict | None = None) -> ScannedTable:
        """The scan's columns of row groups `groups` (file number -> row groups; by default those
        `surviving` leaves), through the page cache; appends the scan's numbers (row groups read of
        all, from storage, bytes read from storage, the load's times and bytes, batches: 1) to
        `stats`."""
        groups = self.surviving(node, keep) if groups is None else groups
        columns = list(dict.fromkeys(node.columns))
        found, n, numbers = io_scan.scan(self.source, groups, columns, self._types, self.cache)
        stats.append({
            "table": node.table, "files": [self.paths[i] for i in groups],
            "row_groups_total": sum(self.source.metadata(p).num_row_groups for p in self.paths),
            "row_groups_read": sum(map(len, groups.values())), **numbers, "batches": 1})
        return ScannedTable(found, n)

    def partition_column(self, name: str, xp) -> Column:
        """One value per file of partition column `name`, as a device column."""
        values = self.source.partition_table().column(name)
        return from_arrow(xp, values, self.columns[self._by_name[name]][1])

    def restrict(self, keep) -> TableEntry:
        """The table of the files whose flag in `keep` is true (the whole entry when all are)."""
        idx = tuple(int(i) for i in np.flatnonzero(keep))
        if len(idx) == len(self.paths):
            return self
        sub = self._subsets.get(idx)
        if sub is None:
            sub = TableEntry(self.name, self.source.read(idx))
            self._subsets[idx] = sub
        return sub

    def _stamps(self):
        out = []
        for p in self.paths:
            try:
                st = os.stat(p)
                out.append((p, st.st_size, st.st_mtime_ns))
            except OSError:
                out.append((p, None, None))
        return out

    def fresh(self) -> bool:
        return self._stamps() == self._stamp


@dataclass
class ViewEntry:
    name: str
    ast: object
    sql: str
    is_view: bool = field(default=True)


class Catalog:
    """Name -> table or view; `version` changes whenever the catalog does (plan cache key)."""

    def __init__(self, cache=None):
        self.entries: dict[str, object] = {}
        self.version = 0
        self.file_sources: dict[tuple, FileEntry] = {}
        self.cache = cache

    def get(self, name: str):
        return self.entries.get(name.lower())

    def names(self) -> list[str]:
        return sorted(self.entries)

    def put(self, name: str, entry) -> None:
        self.entries[name.lower()] = entry
        self.version += 1

    def drop(self, name: str, kind: str, if_exists: bool) -> None:
        entry = self.get(name)
        if entry is None or (kind == "VIEW") != bool(entry.is_view):
            if if_exists:
                return
            what = "view" if kind == "VIEW" else "table"
            from ..sql.scope import did_you_mean

            raise BindError(f"unknown {what} '{name}'{did_you_mean(name.lower(), self.names())}")
        del self.entries[name.lower()]
        self.version += 1

    def table_function(self, fname: str, paths: list[str], options: dict):
        """The FileEntry of a read_* call, shared by every query that makes the same call."""
        from ..io.readers import FileSource

        key = (fname, tuple(paths), repr(sorted(options.items())))
        entry = self.file_sources.get(key)
        if entry is None or not entry.fresh():
            entry = FileEntry(fname, FileSource(fname, paths, options), self.cache)
            self.file_sources[key] = entry
        return entry
