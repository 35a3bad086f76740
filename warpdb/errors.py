"""warpdb's typed errors: every failure a user can see is one of these."""
from __future__ import annotations


class Error(Exception):
    """Base class of every warpdb error."""


class ParseError(Error):
    """SQL text that does not parse; carries line, column and a caret line."""

    def __init__(self, message: str, sql: str = "", line: int | None = None, column: int | None = None):
        self.line, self.column, self.sql = line, column, sql
        text = message
        if line is not None and column is not None:
            text = f"{message} (line {line}, column {column})"
            src = sql.splitlines()[line - 1] if sql and 0 < line <= len(sql.splitlines()) else ""
            if src:
                text += f"\n  {src}\n  {' ' * max(column - 1, 0)}^"
        super().__init__(text)


class BindError(Error):
    """An unknown table, column or function, or an ambiguous name."""


class TypeMismatch(Error):
    """Operands whose types do not fit the operation."""


class NotSupported(Error):
    """A feature warpdb does not implement; found at planning time, every one listed."""

    def __init__(self, features: list[str] | str):
        self.features = [features] if isinstance(features, str) else list(features)
        super().__init__("not supported: " + "; ".join(self.features))


class ExecutionError(Error):
    """A failure while running a plan (overflow, division by zero, bad cast)."""


class OutOfMemory(ExecutionError):
    """A device or host memory limit was exceeded."""


class Cancelled(Error):
    """The query was cancelled."""
