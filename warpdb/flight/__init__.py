"""Arrow Flight SQL endpoint for warpdb: `python -m warpdb.flight --port 8815` (see __main__)."""
from __future__ import annotations

from .server import WarpFlightSqlServer

__all__ = ["WarpFlightSqlServer"]
