#!/usr/bin/env bash
# Regenerates FlightSql_pb2.py from FlightSql.proto (needs `pip install grpcio-tools`).
set -euo pipefail
cd "$(dirname "$0")"
python -m grpc_tools.protoc -I. --python_out=. FlightSql.proto
