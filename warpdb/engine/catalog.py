"""The catalog: registered Arrow tables, tables made by SQL, views, and file sources."""
from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BindError
from ..io import pruning
from . import types as T
from .column import Column, from_arrow

_SCAN_MEMO = 8  # scans of a file source whose converted columns are kept while their chunks stay cached


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


class FileEntry(TableEntry):
    """A table read from files (warpdb.io.readers.FileSource): the schema is known at planning, the
    data is read when first used; re-read when a local file's size or mtime changes. A scan whose
    filters rule out some hive partitions reads only the other files (`restrict`). With a page cache,
    Parquet is read by row group instead (`scan`): only the scan's columns and the row groups whose
    statistics leave room for matches, each column chunk through the cache; a repeated scan served
    wholly from the cache reuses its converted columns."""

    def __init__(self, name: str, source, cache=None):
        self.source, self.paths = source, source.files
        self.cache = cache
        self.row_groups = cache is not None and source.row_grouped
        self._stamp = self._stamps()
        self._table = None
        self._subsets: dict[tuple[int, ...], TableEntry] = {}
        self._scans: OrderedDict[tuple, TableEntry] = OrderedDict()
        self._describe(name, source.schema)
        self.partition_columns = frozenset(k.lower() for k in source.partitions or ())

    @property
    def table(self) -> pa.Table:
        if self.row_groups:
            return self.source.read(range(len(self.paths)), groups=self._all_groups(), cache=self.cache)
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
        return self.source.read(range(len(self.paths)), [name], self._all_groups(), self.cache).column(0)

    def surviving(self, node, keep) -> dict[int, list[int]]:
        """File number -> the row groups of the files flagged in `keep` (every file when None) whose
        statistics leave room for rows passing the scan's filters."""
        src = self.source
        files = range(len(self.paths)) if keep is None else [int(i) for i in np.flatnonzero(keep)]
        special = self.partition_columns | ({"filename"} if src.options.get("filename") else set())
        types = {f.cid: (name, f.dtype) for f, name in zip(node.schema, node.columns) if name not in special}
        return {i: pruning.row_groups(src.metadata(self.paths[i]), node.filters, types) for i in files}

    def batches(self, node, keep) -> list[dict[int, list[int]]]:
        """The surviving row groups in batches whose uncompressed size for the scan's columns fits the
        cache budget (a larger row group alone); one batch when they all fit."""
        columns = list(dict.fromkeys(node.columns))
        out, size = [{}], 0
        for i, groups in self.surviving(node, keep).items():
            if not groups:
                out[-1][i] = []
            for g in groups:
                bytes_ = self.source.chunk_bytes(self.paths[i], g, columns)
                if size and size + bytes_ > self.cache.budget:
                    out.append({})
                    size = 0
                out[-1].setdefault(i, []).append(g)
                size += bytes_
        return out

    def scan(self, node, keep, stats: list, groups: dict | None = None) -> TableEntry:
        """The scan's columns of row groups `groups` (file number -> row groups; by default those
        `surviving` leaves, and only then is the converted table memoized: one batch of a streamed
        scan is not kept); appends the scan's numbers (row groups read of all, bytes read from
        storage, batches: 1) to `stats`."""
        src, memo = self.source, groups is None
        groups = self.surviving(node, keep) if memo else groups
        files = list(groups)
        before = (src.row_groups_read, src.bytes_read)
        columns = list(dict.fromkeys(node.columns))
        table = src.read(files, columns, groups, self.cache)
        from_storage = src.row_groups_read - before[0]
        stats.append({
            "table": node.table, "files": [self.paths[i] for i in files],
            "row_groups_total": sum(src.metadata(p).num_row_groups for p in self.paths),
            "row_groups_read": sum(map(len, groups.values())),
            "row_groups_from_storage": from_storage, "bytes_read": src.bytes_read - before[1], "batches": 1})
        if not memo:
            return TableEntry(self.name, table)
        key = (tuple(files), tuple(tuple(groups[i]) for i in files), tuple(columns))
        entry = self._scans.get(key)
        if entry is None or from_storage:
            entry = TableEntry(self.name, table)
        self._scans[key] = entry
        self._scans.move_to_end(key)
        if len(self._scans) > _SCAN_MEMO:
            self._scans.popitem(last=False)
        return entry

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
