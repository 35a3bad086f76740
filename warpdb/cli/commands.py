"""Dot commands (.tables, .mode, ...) and their psql spellings (\\d, \\dt, \\timing, \\q)."""
from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass
from typing import Callable

from ..engine.session import Connection
from ..errors import BindError, Error
from .render import MODES, render


@dataclass(frozen=True)
class Command:
    """One command: its names, an argument synopsis, a one-line description and its action.

    The action takes the shell and the argument text and returns True on success.
    """

    names: tuple[str, ...]
    usage: str
    doc: str
    run: Callable


class UsageError(Error):
    """A command given arguments it does not take."""


def _on_off(arg: str, current: bool, name: str) -> bool:
    if not arg:
        return not current
    if arg.lower() in ("on", "off"):
        return arg.lower() == "on"
    raise UsageError(f"{name} takes on or off, not {arg!r}")


def _help(shell, arg):
    width = max(len(" ".join(c.names) + " " + c.usage) for c in COMMANDS)
    for c in COMMANDS:
        shell.info(f"{(' '.join(c.names) + ' ' + c.usage).ljust(width)}  {c.doc}")
    shell.info("SQL statements end with ';'. Ctrl-C cancels a running query or clears the line; Ctrl-D quits.")
    return True


def _quit(shell, arg):
    shell.quit = True
    return True


def _tables(shell, arg):
    names = shell.con.tables()
    if not names:
        return True
    width = max(len(n) for n in names) + 2
    per_line = max(1, shutil.get_terminal_size((80, 24)).columns // width)
    for i in range(0, len(names), per_line):
        shell.write("".join(n.ljust(width) for n in names[i:i + per_line]).rstrip() + "\n")
    return True


def _entry(con: Connection, name: str):
    from ..sql.scope import did_you_mean

    entry = con.catalog.get(name)
    if entry is None:
        raise BindError(f"unknown table '{name}'{did_you_mean(name.lower(), con.tables())}")
    return entry


def _schema(shell, arg):
    names = [arg] if arg else shell.con.tables()
    for name in names:
        entry = _entry(shell.con, name)
        if entry.is_view:
            shell.write(f"CREATE VIEW {entry.name} AS {entry.ast.sql(dialect='duckdb')};\n")
            continue
        cols = shell.con.sql(f'DESCRIBE "{entry.name}"').fetchall()
        shell.write(f"CREATE TABLE {entry.name}({', '.join(f'{c} {t}' for c, t, _ in cols)});\n")
    return True


def _describe(shell, arg):
    if not arg:
        return _tables(shell, arg)
    entry = _entry(shell.con, arg)
    shell.write(render(shell.con.sql(f'DESCRIBE "{entry.name}"').arrow(), shell.settings.mode))
    return True


def _timer(shell, arg):
    shell.settings.timer = _on_off(arg, shell.settings.timer, ".timer")
    return True


def _timing(shell, arg):
    _timer(shell, arg)
    shell.info(f"Timing is {'on' if shell.settings.timer else 'off'}.")
    return True


def _mode(shell, arg):
    if not arg:
        shell.info(f"current output mode: {shell.settings.mode}")
    elif arg.lower() in MODES:
        shell.settings.mode = arg.lower()
    else:
        raise UsageError(f".mode takes one of {', '.join(MODES)}, not {arg!r}")
    return True


def _maxrows(shell, arg):
    if not arg:
        shell.info(f"maxrows: {shell.settings.maxrows}")
        return True
    if not arg.isdigit():
        raise UsageError(f".maxrows takes a number of rows (0: no limit), not {arg!r}")
    shell.settings.maxrows = int(arg)
    return True


def _path(arg: str, name: str) -> str:
    parts = shlex.split(arg)
    if len(parts) != 1:
        raise UsageError(f"{name} takes one file name")
    return parts[0]


def _read(shell, arg):
    path = _path(arg, ".read")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    return shell.run_script(text)


def _output(shell, arg):
    path = _path(arg, ".output") if arg else None
    try:
        shell.redirect(path)
    except OSError as e:
        shell.redirect(None)
        raise UsageError(f"cannot write {path}: {e.strerror}") from None
    return True


def _explain(shell, arg):
    if arg.lower() in ("", "on", "off"):
        shell.settings.explain = _on_off(arg, shell.settings.explain, ".explain")
        shell.info(f"query plans are {'shown' if shell.settings.explain else 'hidden'}")
        return True
    return shell.run_sql("EXPLAIN " + arg)


def _device(shell, arg):
    con = shell.con
    if arg:
        if arg.lower() not in ("auto", "cpu", "gpu"):
            raise UsageError(f".device takes auto, cpu or gpu, not {arg!r}")
        new = Connection(device=arg.lower())
        new.catalog = con.catalog
        shell.con = new
    shell.info(f"device: {shell.con.device} ({shell.con.xp.__name__} {shell.con.xp.__version__})")
    return True


COMMANDS = (
    Command((".help", "\\?"), "", "show this help", _help),
    Command((".tables", "\\dt"), "", "list tables and views", _tables),
    Command((".schema",), "[TABLE]", "CREATE statements of every table and view, or of TABLE", _schema),
    Command(("\\d",), "[TABLE]", "columns and types of TABLE (no TABLE: list tables)", _describe),
    Command((".mode",), "[" + "|".join(MODES) + "]", "set (or show) the output mode", _mode),
    Command((".maxrows",), "[N]", "rows shown in table mode (0: all)", _maxrows),
    Command((".timer",), "[on|off]", "print each statement's run time", _timer),
    Command(("\\timing",), "[on|off]", "toggle (or set) the timer", _timing),
    Command((".explain",), "[on|off|QUERY]", "toggle printing each query's plan, or print QUERY's plan", _explain),
    Command((".read", "\\i"), "FILE", "run the SQL and commands in FILE", _read),
    Command((".output", "\\o"), "[FILE]", "send results to FILE, or back to stdout", _output),
    Command((".device",), "[auto|cpu|gpu]", "show the device, or move the database to another", _device),
    Command((".quit", ".exit", "\\q"), "", "leave the shell", _quit),
)
_BY_NAME = {n: c for c in COMMANDS for n in c.names}


def names() -> list[str]:
    """Every command spelling, for completion."""
    return sorted(_BY_NAME)


def run_command(shell, line: str) -> bool:
    """Run one command line; unknown commands and bad arguments are errors (UsageError)."""
    word, _, arg = line.strip().partition(" ")
    arg = arg.strip().rstrip(";").strip() if word != ".explain" else arg.strip()
    cmd = _BY_NAME.get(word.lower())
    if cmd is None:
        raise UsageError(f"unknown command {word!r}; .help lists them")
    return cmd.run(shell, arg)
