"""Flight SQL metadata results: GetSqlInfo, GetCatalogs, GetDbSchemas, GetTables, GetTableTypes
and GetPrimaryKeys, with the result schemas the Flight SQL specification fixes. warpdb has one
catalog ("warpdb") holding one schema ("main") of tables and views."""
from __future__ import annotations

import re

import pyarrow as pa

from .. import __version__
from .proto import FlightSql_pb2 as pb

CATALOG, DB_SCHEMA = "warpdb", "main"
TABLE_TYPES = ("TABLE", "VIEW")
STATEMENTS_RUN = 10_000  # warpdb's own info id: statements the server has planned or run

SQL_INFO_VALUE = pa.dense_union([
    pa.field("string_value", pa.string()),
    pa.field("bool_value", pa.bool_()),
    pa.field("bigint_value", pa.int64()),
    pa.field("int32_bitmask", pa.int32()),
    pa.field("string_list", pa.list_(pa.string())),
    pa.field("int32_to_int32_list_map", pa.map_(pa.int32(), pa.list_(pa.int32()))),
])
SQL_INFO_SCHEMA = pa.schema([pa.field("info_name", pa.uint32(), False), pa.field("value", SQL_INFO_VALUE, False)])
CATALOGS_SCHEMA = pa.schema([pa.field("catalog_name", pa.string(), False)])
DB_SCHEMAS_SCHEMA = pa.schema([pa.field("catalog_name", pa.string()), pa.field("db_schema_name", pa.string(), False)])
TABLES_SCHEMA = pa.schema([
    pa.field("catalog_name", pa.string()), pa.field("db_schema_name", pa.string()),
    pa.field("table_name", pa.string(), False), pa.field("table_type", pa.string(), False),
])
TABLES_WITH_SCHEMA = TABLES_SCHEMA.append(pa.field("table_schema", pa.binary(), False))
TABLE_TYPES_SCHEMA = pa.schema([pa.field("table_type", pa.string(), False)])
PRIMARY_KEYS_SCHEMA = pa.schema([
    pa.field("catalog_name", pa.string()), pa.field("db_schema_name", pa.string()),
    pa.field("table_name", pa.string(), False), pa.field("column_name", pa.string(), False),
    pa.field("key_name", pa.string()), pa.field("key_sequence", pa.int32(), False),
])

_STRING, _BOOL, _BIGINT, _INT32 = 0, 1, 2, 3
STATIC_INFO = {
    0: (_STRING, "warpdb"),                    # FLIGHT_SQL_SERVER_NAME
    1: (_STRING, __version__),                 # FLIGHT_SQL_SERVER_VERSION
    2: (_STRING, pa.__version__),              # FLIGHT_SQL_SERVER_ARROW_VERSION
    3: (_BOOL, False),                         # FLIGHT_SQL_SERVER_READ_ONLY
    4: (_BOOL, True),                          # FLIGHT_SQL_SERVER_SQL
    5: (_BOOL, False),                         # FLIGHT_SQL_SERVER_SUBSTRAIT
    8: (_INT32, 0),                            # FLIGHT_SQL_SERVER_TRANSACTION: none
    9: (_BOOL, False),                         # FLIGHT_SQL_SERVER_CANCEL (deadlines do cancel)
    500: (_BOOL, False),                       # SQL_DDL_CATALOG
    501: (_BOOL, False),                       # SQL_DDL_SCHEMA
    502: (_BOOL, True),                        # SQL_DDL_TABLE
    503: (_INT32, 3),                          # SQL_IDENTIFIER_CASE: lowercase
    504: (_STRING, '"'),                       # SQL_IDENTIFIER_QUOTE_CHAR
    506: (_BOOL, True),                        # SQL_ALL_TABLES_ARE_SELECTABLE
    515: (_BOOL, True),                        # SQL_SUPPORTS_COLUMN_ALIASING
    516: (_BOOL, True),                        # SQL_NULL_PLUS_NULL_IS_NULL
    520: (_BOOL, True),                        # SQL_SUPPORTS_EXPRESSIONS_IN_ORDER_BY
    525: (_INT32, 0b011),                      # SQL_SUPPORTED_GRAMMAR: minimum and core
    526: (_INT32, 0b001),                      # SQL_ANSI92_SUPPORTED_LEVEL: entry
    528: (_INT32, 2),                          # SQL_OUTER_JOINS_SUPPORT_LEVEL: full outer joins
    529: (_STRING, "schema"),                  # SQL_SCHEMA_TERM
    531: (_STRING, "catalog"),                 # SQL_CATALOG_TERM
}


def sql_info(cmd: pb.CommandGetSqlInfo, statements_run: int) -> pa.Table:
    """One row per requested info id that the server knows (all of them when none is asked for)."""
    info = dict(STATIC_INFO)
    info[STATEMENTS_RUN] = (_BIGINT, statements_run)
    ids = [i for i in (cmd.info or sorted(info)) if i in info]
    children = [[] for _ in SQL_INFO_VALUE]
    types, offsets = [], []
    for i in ids:
        code, value = info[i]
        types.append(code)
        offsets.append(len(children[code]))
        children[code].append(value)
    value = pa.UnionArray.from_dense(
        pa.array(types, pa.int8()), pa.array(offsets, pa.int32()),
        [pa.array(vals, f.type) for vals, f in zip(children, SQL_INFO_VALUE)],
        [f.name for f in SQL_INFO_VALUE],
    )
    return pa.Table.from_arrays([pa.array(ids, pa.uint32()), value], schema=SQL_INFO_SCHEMA)


def like(pattern: str | None):
    """A matcher for a Flight SQL search pattern ('%' any run, '_' one character); None matches all."""
    if pattern is None:
        return lambda name: True
    rx = re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern), re.S)
    return lambda name: rx.fullmatch(name) is not None


def catalogs() -> pa.Table:
    return pa.Table.from_pylist([{"catalog_name": CATALOG}], schema=CATALOGS_SCHEMA)


def db_schemas(cmd: pb.CommandGetDbSchemas) -> pa.Table:
    ok = _catalog_ok(cmd) and like(_opt(cmd, "db_schema_filter_pattern"))(DB_SCHEMA)
    rows = [{"catalog_name": CATALOG, "db_schema_name": DB_SCHEMA}] if ok else []
    return pa.Table.from_pylist(rows, schema=DB_SCHEMAS_SCHEMA)


def tables(cmd: pb.CommandGetTables, entries: list[tuple[str, str, pa.Schema | None]]) -> pa.Table:
    """Rows for `entries` (name, type, schema) that match the command's filters, ordered by name."""
    schema = TABLES_WITH_SCHEMA if cmd.include_schema else TABLES_SCHEMA
    if not (_catalog_ok(cmd) and like(_opt(cmd, "db_schema_filter_pattern"))(DB_SCHEMA)):
        return schema.empty_table()
    name_ok = like(_opt(cmd, "table_name_filter_pattern"))
    types = {t.upper() for t in cmd.table_types}
    rows = []
    for name, kind, table_schema in entries:
        if name_ok(name) and (not types or kind in types):
            row = {"catalog_name": CATALOG, "db_schema_name": DB_SCHEMA, "table_name": name, "table_type": kind}
            if cmd.include_schema:
                row["table_schema"] = table_schema.serialize().to_pybytes()
            rows.append(row)
    return pa.Table.from_pylist(rows, schema=schema)


def table_types() -> pa.Table:
    return pa.Table.from_pylist([{"table_type": t} for t in TABLE_TYPES], schema=TABLE_TYPES_SCHEMA)


def primary_keys() -> pa.Table:
    """warpdb tables have no primary keys."""
    return PRIMARY_KEYS_SCHEMA.empty_table()


def _opt(cmd, field: str) -> str | None:
    return getattr(cmd, field) if cmd.HasField(field) else None


def _catalog_ok(cmd) -> bool:
    return _opt(cmd, "catalog") in (None, CATALOG)


SCHEMAS = {
    pb.CommandGetSqlInfo: SQL_INFO_SCHEMA,
    pb.CommandGetCatalogs: CATALOGS_SCHEMA,
    pb.CommandGetDbSchemas: DB_SCHEMAS_SCHEMA,
    pb.CommandGetTableTypes: TABLE_TYPES_SCHEMA,
    pb.CommandGetPrimaryKeys: PRIMARY_KEYS_SCHEMA,
}


def schema_of(cmd) -> pa.Schema:
    """The result schema of a metadata command."""
    if isinstance(cmd, pb.CommandGetTables):
        return TABLES_WITH_SCHEMA if cmd.include_schema else TABLES_SCHEMA
    return SCHEMAS[type(cmd)]
