"""One reader per file format: the schema of a file and its data, as Arrow."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.json as pajson
import pyarrow.parquet as pq

from .paths import filesystem, is_url


def open_file(path: str):
    """A local path as is, a URL as an open binary fsspec file."""
    return filesystem(path).open(path, "rb") if is_url(path) else path


class Parquet:
    """Parquet files; the schema comes from the footer alone. `binary_as_string` reads BLOBs as text."""

    name = "Parquet"
    options = frozenset({"binary_as_string"})

    @staticmethod
    def _as_read(schema: pa.Schema, options: dict) -> pa.Schema:
        if not options.get("binary_as_string"):
            return schema
        return pa.schema([f.with_type(pa.string()) if pa.types.is_binary(f.type) else f for f in schema])

    @classmethod
    def schema(cls, path: str, options: dict) -> pa.Schema:
        return cls.schema_of(cls.metadata(path), options)

    @classmethod
    def schema_of(cls, meta: pq.FileMetaData, options: dict) -> pa.Schema:
        return cls._as_read(meta.schema.to_arrow_schema(), options)

    @staticmethod
    def metadata(path: str) -> pq.FileMetaData:
        """The footer: row groups, their sizes and statistics."""
        return pq.read_metadata(open_file(path))

    @classmethod
    def read_row_groups(cls, file: pq.ParquetFile, groups: list[int], columns: list[str], options: dict) -> pa.Table:
        """Columns `columns` of row groups `groups` (in that order) of an open file, in one read."""
        table = file.read_row_groups(groups, columns=columns, use_threads=True)
        return table.cast(cls._as_read(table.schema, options))

    @classmethod
    def read(cls, path: str, options: dict) -> pa.Table:
        table = pq.read_table(open_file(path))
        return table.cast(cls._as_read(table.schema, options))


class Arrow:
    """Arrow IPC files and streams (Feather v2 is the IPC file format)."""

    name = "Arrow IPC"
    options = frozenset()

    @staticmethod
    def _open(source):
        try:
            return ipc.open_file(source)
        except pa.ArrowInvalid:
            source.seek(0)
            return ipc.open_stream(source)

    @classmethod
    def _reader(cls, path: str):
        data = open_file(path)
        return cls._open(pa.memory_map(data) if isinstance(data, str) else pa.BufferReader(data.read()))

    @classmethod
    def read_mapped(cls, path: str) -> tuple[pa.Table, tuple[int, int] | None]:
        """The file's table and, for a local file, the (address, size) of its memory map: the
        buffers of an uncompressed file are views of the map, those of a compressed one are not."""
        data = open_file(path)
        if not isinstance(data, str):
            return cls._open(pa.BufferReader(data.read())).read_all(), None
        source = pa.memory_map(data)
        whole = source.read_buffer()
        source.seek(0)
        return cls._open(source).read_all(), (whole.address, whole.size)

    @classmethod
    def schema(cls, path: str, options: dict) -> pa.Schema:
        return cls._reader(path).schema


def _given(options: dict) -> pa.Schema | None:
    cols = options.get("columns")
    return pa.schema(list(cols.items())) if cols else None


class CSV:
    """Delimited text; `columns` gives every name and type, `types` some types; else inferred."""

    name = "CSV"
    options = frozenset({"header", "delim", "sep", "delimiter", "quote", "escape", "skip", "nullstr",
                         "columns", "types", "dtypes", "auto_detect"})

    @staticmethod
    def schema(path: str, options: dict) -> pa.Schema | None:
        return _given(options)

    @staticmethod
    def read(path: str, options: dict) -> pa.Table:
        header = options.get("header", True)
        given = _given(options)
        names = given.names if given is not None else None
        skip = int(options.get("skip", 0)) + (1 if header and names else 0)
        read = pacsv.ReadOptions(column_names=names, skip_rows=skip,
                                 autogenerate_column_names=not header and not names)
        delim = options.get("delim", options.get("sep", options.get("delimiter", ",")))
        parse = pacsv.ParseOptions(delimiter=delim, quote_char=options.get("quote", '"'),
                                   escape_char=options.get("escape", False) or False)
        types = {} if given is None else {f.name: f.type for f in given}
        types.update(options.get("types") or options.get("dtypes") or {})
        nulls = [options["nullstr"]] if "nullstr" in options else [""]
        convert = pacsv.ConvertOptions(column_types=types, null_values=nulls, strings_can_be_null=True,
                                         quoted_strings_can_be_null=False)
        table = pacsv.read_csv(open_file(path), read_options=read, parse_options=parse, convert_options=convert)
        if given is not None:
            return table.select(given.names).cast(given)
        if not header:
            width = len(str(table.num_columns - 1))
            table = table.rename_columns([f"column{i:0{width}d}" for i in range(table.num_columns)])
        return table


_JSON_NATIVE = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_string,
                pa.types.is_decimal, pa.types.is_timestamp)


class JSON:
    """Newline-delimited JSON objects; `columns` gives every name and type, else inferred."""

    name = "JSON"
    options = frozenset({"columns", "format", "auto_detect"})

    @staticmethod
    def schema(path: str, options: dict) -> pa.Schema | None:
        return _given(options)

    @staticmethod
    def read(path: str, options: dict) -> pa.Table:
        given = _given(options)
        if given is None:
            return pajson.read_json(open_file(path))
        as_read = pa.schema([f if any(ok(f.type) for ok in _JSON_NATIVE) else pa.field(f.name, pa.string())
                             for f in given])
        parse = pajson.ParseOptions(explicit_schema=as_read, unexpected_field_behavior="ignore")
        table = pajson.read_json(open_file(path), parse_options=parse)
        return pa.table([pc.cast(table.column(f.name), f.type) for f in given], schema=given)
