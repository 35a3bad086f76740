"""The `warpdb` console script: argument parsing and subcommand dispatch.

`warpdb [shell] [--device auto|cpu|gpu] [-c SQL] [-f FILE] [INIT.sql]`: the first argument picks
a subcommand from SUBCOMMANDS when it names one; otherwise the shell runs.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import dataclass
from typing import Callable

from ..engine.session import Connection
from ..errors import Error
from .shell import Shell


@dataclass(frozen=True)
class Subcommand:
    """A subcommand: its help line, how it adds its arguments and how it runs (exit status)."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _shell_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto",
                   help="where queries run (default: auto, the GPU when usable)")
    p.add_argument("-c", dest="command", metavar="SQL", help="run SQL (and dot commands) and exit")
    p.add_argument("-f", dest="file", metavar="FILE", help="run the statements in FILE and exit")
    p.add_argument("init", nargs="?", metavar="INIT.sql", help="a script to run first")


def _run_shell(args: argparse.Namespace) -> int:
    from .repl import run_repl  # prompt_toolkit is loaded only for the shell

    try:
        con = Connection(device=args.device)
    except Error as e:
        print(f"Error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    shell = Shell(con)
    interactive = args.command is None and args.file is None and sys.stdin.isatty()
    try:
        ok = _run_file(shell, args.init) if args.init else True
        if interactive and not shell.quit:
            return run_repl(shell)
        if ok and args.command is not None and not shell.quit:
            ok = shell.run_script(args.command)
        if ok and args.file is not None and not shell.quit:
            ok = _run_file(shell, args.file)
        if ok and args.command is None and args.file is None and not shell.quit:
            ok = shell.run_script(sys.stdin)
        return 0 if ok else 1
    except KeyboardInterrupt:
        return 130
    finally:
        shell.close()


def _run_file(shell: Shell, path: str) -> bool:
    return shell.run_command(".read " + shlex.quote(path))


def _flight():
    """The Flight SQL server's command module (imported only for `warpdb serve`)."""
    from ..flight import __main__ as flight_cli

    return flight_cli


SUBCOMMANDS: dict[str, Subcommand] = {
    "shell": Subcommand("the interactive SQL shell (the default)", _shell_arguments, _run_shell),
    "serve": Subcommand("serve the database over Arrow Flight SQL",
                        lambda p: _flight().add_arguments(p), lambda a: _flight().run(a)),
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `warpdb` script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    name = argv.pop(0) if argv and argv[0] in SUBCOMMANDS else "shell"
    sub = SUBCOMMANDS[name]
    parser = argparse.ArgumentParser(
        prog="warpdb" if name == "shell" else f"warpdb {name}",
        description=sub.help,
        epilog="subcommands: " + "; ".join(f"{n}: {s.help}" for n, s in SUBCOMMANDS.items()),
    )
    sub.add_arguments(parser)
    try:
        return sub.run(parser.parse_args(argv))
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
