"""The shell's state and how it runs input: SQL statements, dot commands and whole scripts."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Iterable

from ..engine.session import Connection
from ..errors import Cancelled, Error
from .commands import run_command
from .diagnostics import format_error
from .render import render
from .sqltext import is_complete, split_statements


@dataclass
class Settings:
    """What the dot commands change: output mode, row limit, timer and plan display."""

    mode: str = "table"
    maxrows: int = 40
    timer: bool = False
    explain: bool = False


class Shell:
    """A connection plus the settings and streams the shell prints results and errors to.

    Every `run_*` method returns True when its input ran without an error.
    """

    def __init__(self, con: Connection, out=None, err=None):
        self.con = con
        self.settings = Settings()
        self.stdout = out if out is not None else sys.stdout
        self.out = self.stdout
        self.err = err if err is not None else sys.stderr
        self.quit = False

    # --- input ------------------------------------------------------------------------------
    def run_input(self, text: str) -> bool:
        """One interactive entry: a dot/backslash command, or SQL statements."""
        if is_command(text):
            return self.run_command(text.strip())
        done, rest = split_statements(text)
        return self.run_statements(done + ([rest.strip()] if rest else []))

    def run_script(self, lines: Iterable[str] | str) -> bool:
        """A script (text, or lines such as a file or stdin, read as they come): commands on their
        own lines between SQL statements; stops at the first error or at .quit. A last statement
        without ';' runs too."""
        buffer = ""
        for line in lines.splitlines(keepends=True) if isinstance(lines, str) else lines:
            if self.quit:
                return True
            if is_command(line) and split_statements(buffer) == ([], ""):
                buffer = ""
                if not self.run_command(line.strip()):
                    return False
                continue
            buffer += line
            if is_complete(buffer):
                if not self.run_statements(split_statements(buffer)[0]):
                    return False
                buffer = ""
        done, rest = split_statements(buffer)
        return self.quit or self.run_statements(done + ([rest.strip()] if rest else []))

    def run_statements(self, statements: list[str]) -> bool:
        """Run statements one at a time, stopping at the first error."""
        return all(self.run_sql(s) for s in statements)

    def run_command(self, line: str) -> bool:
        """A dot or backslash command (see `commands`)."""
        try:
            return run_command(self, line)
        except Error as e:
            self.error(e)
            return False

    # --- SQL --------------------------------------------------------------------------------
    def run_sql(self, sql: str) -> bool:
        """One SQL statement: run it (Ctrl-C cancels it) and print its result."""
        start = time.perf_counter()
        try:
            result, table = cancellable(lambda: self._execute(sql))
        except Error as e:
            self.error(e, sql)
            return False
        elapsed = time.perf_counter() - start
        if self.settings.explain and result.plan is not None:
            self.write(result.explain().rstrip("\n") + "\n")
        if result.plan is None and table.column_names == ["explain"]:
            self.write("\n".join(table.column("explain").to_pylist()) + "\n")
        elif table.num_columns:
            self.write(render(table, self.settings.mode, self.settings.maxrows))
        if self.settings.timer:
            self.write(f"Run Time (s): real {elapsed:.3f}\n")
        return True

    def _execute(self, sql: str):
        result = self.con.sql(sql)
        return result, result.arrow()

    # --- output -----------------------------------------------------------------------------
    def write(self, text: str) -> None:
        """Results go to the current output (stdout or the .output file)."""
        self.out.write(text)
        self.out.flush()

    def info(self, text: str) -> None:
        """Messages about the shell itself always go to the terminal, never to an .output file."""
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def error(self, err: BaseException, sql: str = "") -> None:
        """Report an error (with the line of `sql` it points at) on the error stream."""
        self.err.write(format_error(err, sql) + "\n")
        self.err.flush()

    def redirect(self, path: str | None) -> None:
        """Send results to the file at `path` (truncated), or back to stdout when None."""
        if self.out is not self.stdout:
            self.out.close()
        self.out = self.stdout if path is None else open(path, "w", encoding="utf-8")

    def close(self) -> None:
        """Send results to stdout again (closing any .output file)."""
        self.redirect(None)


def is_command(text: str) -> bool:
    """Whether an input line is a dot or backslash command rather than SQL."""
    return text.lstrip().startswith((".", "\\"))


def cancellable(fn):
    """Call `fn`; Ctrl-C while it runs (KeyboardInterrupt, raised at the engine's next Python step
    after the array operation in progress) becomes warpdb's Cancelled error."""
    try:
        return fn()
    except KeyboardInterrupt:
        raise Cancelled("query cancelled") from None
