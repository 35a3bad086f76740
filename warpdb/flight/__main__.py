"""`warpdb serve` (also `python -m warpdb.flight`): serve a warpdb database over Arrow Flight SQL
until interrupted."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pyarrow.flight as flight

from ..engine.session import Connection
from ..errors import Error
from .server import WarpFlightSqlServer


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The server's command-line options."""
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8815, help="port (default 8815; 0 picks a free one)")
    p.add_argument("--init", metavar="FILE.sql", help="SQL run once at startup (e.g. CREATE VIEW ... read_parquet)")
    p.add_argument("--token", help="require this bearer token")
    p.add_argument("--user", help="require basic authentication with this user (answered with a bearer token)")
    p.add_argument("--password", help="the password for --user")
    p.add_argument("--tls-cert", metavar="C", help="PEM certificate chain: serve over TLS")
    p.add_argument("--tls-key", metavar="K", help="PEM private key for --tls-cert")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto", help="backend queries run on")


def main(argv: list[str] | None = None) -> int:
    """Parse `argv`, start the server and serve until interrupted; the exit status."""
    p = argparse.ArgumentParser(prog="warpdb serve", description="Serve a warpdb database over Arrow Flight SQL.")
    add_arguments(p)
    return run(p.parse_args(argv), p.error)


def run(args: argparse.Namespace, error=None) -> int:
    """Serve with parsed options; `error(message)` reports a bad combination (argparse's exits 2)."""
    problem = None
    if args.token and args.user:
        problem = "give --token or --user/--password, not both"
    elif (args.user is None) != (args.password is None):
        problem = "--user and --password go together"
    elif (args.tls_cert is None) != (args.tls_key is None):
        problem = "--tls-cert and --tls-key go together"
    if problem is not None:
        if error is not None:
            error(problem)
        print(f"warpdb serve: error: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    con = Connection(device=args.device)
    if args.init:
        try:
            con.sql(Path(args.init).read_text())
        except (OSError, Error) as e:
            print(f"warpdb serve: --init {args.init}: {e}", file=sys.stderr)
            return 2
    tls = []
    if args.tls_cert:
        tls = [flight.CertKeyPair(Path(args.tls_cert).read_bytes(), Path(args.tls_key).read_bytes())]
    scheme = "grpc+tls" if tls else "grpc+tcp"
    server = WarpFlightSqlServer(con, f"{scheme}://{args.host}:{args.port}", token=args.token,
                                 user=args.user, password=args.password, tls_certificates=tls)
    print(f"warpdb Flight SQL server on {scheme}://{args.host}:{server.port} (device {con.device})", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
