"""The Flight SQL server: a pyarrow FlightServerBase whose RPCs dispatch Flight SQL commands to
the shared warpdb engine. Results stream as record batches; a client's cancel or deadline stops
the query between operators and between batches."""
from __future__ import annotations

import logging

import pyarrow as pa
import pyarrow.flight as flight

from . import catalog_info
from .auth import AuthMiddlewareFactory, NoopAuthHandler
from .engine import Engine
from .protocol import is_flight_sql, pack, sql_ticket, unpack, unpack_as
from .proto import FlightSql_pb2 as pb

log = logging.getLogger("warpdb.flight")
BATCH_ROWS = 64 * 1024
CREATE_PREPARED, CLOSE_PREPARED = "CreatePreparedStatement", "ClosePreparedStatement"
METADATA = (pb.CommandGetSqlInfo, pb.CommandGetCatalogs, pb.CommandGetDbSchemas, pb.CommandGetTables,
            pb.CommandGetTableTypes, pb.CommandGetPrimaryKeys)


class WarpFlightSqlServer(flight.FlightServerBase):
    """Arrow Flight SQL over one shared warpdb Connection (see Engine for the locking)."""

    def __init__(self, con, location: str, token=None, user=None, password=None, tls_certificates=None):
        middleware = {}
        if token is not None or user is not None:
            middleware["auth"] = AuthMiddlewareFactory(token, user, password)
        super().__init__(location, auth_handler=NoopAuthHandler(), middleware=middleware,
                         tls_certificates=tls_certificates or [])
        self.engine = Engine(con)

    # --- GetFlightInfo / GetSchema ------------------------------------------------------------
    def get_flight_info(self, context, descriptor):
        cmd = self._command(descriptor)
        if isinstance(cmd, (pb.CommandStatementQuery, pb.CommandPreparedStatementQuery)):
            sql = cmd.query if isinstance(cmd, pb.CommandStatementQuery) else self._prepared_query(cmd)
            handle, schema = self.engine.submit(sql, context)
            ticket = pack(pb.TicketStatementQuery(statement_handle=handle))
        elif isinstance(cmd, METADATA):
            schema, ticket = catalog_info.schema_of(cmd), descriptor.command
        else:
            raise pa.ArrowInvalid(f"{cmd.DESCRIPTOR.name} is not a GetFlightInfo command")
        return flight.FlightInfo(schema, descriptor, [flight.FlightEndpoint(ticket, [])], -1, -1)

    def get_schema(self, context, descriptor):
        cmd = self._command(descriptor)
        if isinstance(cmd, METADATA):
            return flight.SchemaResult(catalog_info.schema_of(cmd))
        if isinstance(cmd, pb.CommandPreparedStatementQuery):
            sql = self._prepared_query(cmd)
        elif isinstance(cmd, pb.CommandStatementQuery):
            sql = cmd.query
        else:
            raise pa.ArrowInvalid(f"{cmd.DESCRIPTOR.name} is not a GetSchema command")
        return flight.SchemaResult(self.engine.describe(sql, context) or pa.schema([]))

    # --- DoGet --------------------------------------------------------------------------------
    def do_get(self, context, ticket):
        data = ticket.ticket
        if not is_flight_sql(data):
            table = self.engine.run(sql_ticket(data), context)
        else:
            cmd = unpack(data, "ticket")
            if isinstance(cmd, pb.TicketStatementQuery):
                table = self.engine.fetch(cmd.statement_handle, context)
            elif isinstance(cmd, METADATA):
                table = self._metadata(cmd, context)
            else:
                raise pa.ArrowInvalid(f"{cmd.DESCRIPTOR.name} is not a ticket")
        return flight.GeneratorStream(table.schema, _batches(table, context))

    def _metadata(self, cmd, context) -> pa.Table:
        if isinstance(cmd, pb.CommandGetSqlInfo):
            return catalog_info.sql_info(cmd, self.engine.statements)
        if isinstance(cmd, pb.CommandGetCatalogs):
            return catalog_info.catalogs()
        if isinstance(cmd, pb.CommandGetDbSchemas):
            return catalog_info.db_schemas(cmd)
        if isinstance(cmd, pb.CommandGetTables):
            return catalog_info.tables(cmd, self.engine.catalog_snapshot(context, cmd.include_schema))
        if isinstance(cmd, pb.CommandGetTableTypes):
            return catalog_info.table_types()
        return catalog_info.primary_keys()

    # --- DoPut --------------------------------------------------------------------------------
    def do_put(self, context, descriptor, reader, writer):
        cmd = self._command(descriptor)
        if isinstance(cmd, pb.CommandStatementUpdate):
            count = self.engine.update([cmd.query], context)
        elif isinstance(cmd, pb.CommandPreparedStatementUpdate):
            self.engine.bind(cmd.prepared_statement_handle, _parameters(reader))
            count = self.engine.update(self.engine.prepared_texts(cmd.prepared_statement_handle), context)
        elif isinstance(cmd, pb.CommandPreparedStatementQuery):
            self.engine.bind(cmd.prepared_statement_handle, _parameters(reader))
            return
        else:
            raise pa.ArrowInvalid(f"{cmd.DESCRIPTOR.name} is not a DoPut command")
        writer.write(pa.py_buffer(pb.DoPutUpdateResult(record_count=count).SerializeToString()))

    # --- DoAction -----------------------------------------------------------------------------
    def list_actions(self, context):
        return [(CREATE_PREPARED, "create a prepared statement"), (CLOSE_PREPARED, "close a prepared statement")]

    def do_action(self, context, action):
        body = action.body.to_pybytes() if action.body is not None else b""
        if action.type == CREATE_PREPARED:
            req = unpack_as(body, pb.ActionCreatePreparedStatementRequest, "action body")
            handle, schema = self.engine.prepare(req.query, context)
            res = pb.ActionCreatePreparedStatementResult(prepared_statement_handle=handle)
            if schema is not None:
                res.dataset_schema = schema.serialize().to_pybytes()
            return [flight.Result(pack(res))]
        if action.type == CLOSE_PREPARED:
            req = unpack_as(body, pb.ActionClosePreparedStatementRequest, "action body")
            self.engine.close_prepared(req.prepared_statement_handle)
            return []
        raise pa.ArrowInvalid(f"unknown action type {action.type!r}")

    # --- helpers ------------------------------------------------------------------------------
    def _command(self, descriptor):
        if descriptor.descriptor_type != flight.DescriptorType.CMD:
            raise pa.ArrowInvalid("Flight SQL requests need a command descriptor, not a path")
        return unpack(descriptor.command)

    def _prepared_query(self, cmd) -> str:
        texts = self.engine.prepared_texts(cmd.prepared_statement_handle)
        if len(texts) != 1:
            raise pa.ArrowInvalid(f"a prepared query runs with one row of parameters, not {len(texts)}")
        return texts[0]


def _parameters(reader) -> pa.Table:
    """The parameter rows a DoPut stream carries (none when the client sent no batches)."""
    try:
        return reader.read_all()
    except StopIteration:
        return pa.table({})


def _batches(table: pa.Table, context):
    """`table` as record batches, stopping when the client goes away."""
    for batch in table.to_batches(max_chunksize=BATCH_ROWS):
        if context.is_cancelled():
            log.info("client cancelled a result stream")
            return
        yield batch
