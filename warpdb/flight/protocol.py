"""Flight SQL message (de)serialization: commands, tickets and actions are protobuf messages
wrapped in google.protobuf.Any; anything malformed or oversized is rejected as ArrowInvalid
(gRPC INVALID_ARGUMENT) before it reaches the engine."""
from __future__ import annotations

import pyarrow as pa
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message

from .proto import FlightSql_pb2 as pb

TYPE_PREFIX = "type.googleapis.com/arrow.flight.protocol.sql."
MAX_SQL_BYTES = 1 << 20
MAX_REQUEST_BYTES = MAX_SQL_BYTES + 4096

COMMANDS = {
    cls.DESCRIPTOR.name: cls
    for cls in (
        pb.CommandGetSqlInfo, pb.CommandGetCatalogs, pb.CommandGetDbSchemas, pb.CommandGetTables,
        pb.CommandGetTableTypes, pb.CommandGetPrimaryKeys, pb.CommandStatementQuery,
        pb.TicketStatementQuery, pb.CommandPreparedStatementQuery, pb.CommandStatementUpdate,
        pb.CommandPreparedStatementUpdate, pb.ActionCreatePreparedStatementRequest,
        pb.ActionClosePreparedStatementRequest,
    )
}


def pack(msg: Message) -> bytes:
    """`msg` wrapped in an Any, serialized."""
    wrapper = any_pb2.Any()
    wrapper.Pack(msg)
    return wrapper.SerializeToString()


def is_flight_sql(data: bytes) -> bool:
    """Whether `data` is an Any holding a Flight SQL message (as opposed to, say, SQL text)."""
    wrapper = any_pb2.Any()
    try:
        wrapper.ParseFromString(data)
    except DecodeError:
        return False
    return wrapper.type_url.startswith(TYPE_PREFIX)


def unpack(data: bytes, what: str = "command") -> Message:
    """The Flight SQL message inside the serialized Any `data`."""
    if len(data) > MAX_REQUEST_BYTES:
        raise pa.ArrowInvalid(f"{what} of {len(data)} bytes is over the {MAX_REQUEST_BYTES}-byte limit")
    wrapper = any_pb2.Any()
    try:
        wrapper.ParseFromString(data)
    except DecodeError as e:
        raise pa.ArrowInvalid(f"malformed Flight SQL {what}: not a protobuf Any ({e})") from None
    if not wrapper.type_url.startswith(TYPE_PREFIX):
        raise pa.ArrowInvalid(f"unknown Flight SQL {what} type {wrapper.type_url!r}")
    cls = COMMANDS.get(wrapper.type_url[len(TYPE_PREFIX):])
    if cls is None:
        raise pa.ArrowInvalid(f"unsupported Flight SQL {what} {wrapper.type_url[len(TYPE_PREFIX):]!r}")
    msg = cls()
    try:
        msg.ParseFromString(wrapper.value)
    except DecodeError as e:
        raise pa.ArrowInvalid(f"malformed {cls.DESCRIPTOR.name}: {e}") from None
    return msg


def unpack_as(data: bytes, cls, what: str):
    """`unpack`, insisting on message type `cls`."""
    msg = unpack(data, what)
    if not isinstance(msg, cls):
        raise pa.ArrowInvalid(f"{what} must be a {cls.DESCRIPTOR.name}, not a {msg.DESCRIPTOR.name}")
    return msg


def check_sql(text: str) -> str:
    """`text`, unless it is empty or longer than MAX_SQL_BYTES."""
    size = len(text.encode())
    if size > MAX_SQL_BYTES:
        raise pa.ArrowInvalid(f"SQL text of {size} bytes is over the {MAX_SQL_BYTES}-byte limit")
    if not text.strip():
        raise pa.ArrowInvalid("empty SQL text")
    return text


def sql_ticket(data: bytes) -> str:
    """A plain Flight ticket's bytes read as UTF-8 SQL text."""
    if len(data) > MAX_SQL_BYTES:
        raise pa.ArrowInvalid(f"ticket of {len(data)} bytes is over the {MAX_SQL_BYTES}-byte limit")
    try:
        return check_sql(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise pa.ArrowInvalid("ticket is neither a Flight SQL ticket nor UTF-8 SQL text") from None
