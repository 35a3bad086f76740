"""The interactive loop: a prompt_toolkit prompt with multi-line input, history, completion and
highlighting, handing each finished entry to the Shell."""
from __future__ import annotations

import os
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings

from .. import __version__
from .completion import SqlCompleter
from .highlight import STYLE, SqlLexer
from .shell import Shell, is_command
from .sqltext import is_complete

PROMPT = "warpdb> "
CONTINUATION = "   ...> "


def history_path() -> Path:
    """The history file: $WARPDB_HISTORY, else ~/.warpdb_history."""
    return Path(os.environ.get("WARPDB_HISTORY") or Path.home() / ".warpdb_history")


def ready(text: str) -> bool:
    """Whether Enter runs the entry: a command, blank input, or SQL ending with ';'."""
    return not text.strip() or is_command(text) or is_complete(text)


def make_session(shell: Shell, input=None, output=None) -> PromptSession:
    """A prompt session for `shell`; `input`/`output` default to the terminal (tests pass pipes)."""
    keys = KeyBindings()

    @keys.add("enter")
    def _(event):
        buf = event.current_buffer
        if buf.complete_state is not None and buf.complete_state.current_completion is not None:
            buf.apply_completion(buf.complete_state.current_completion)
        elif ready(buf.text):
            buf.validate_and_handle()
        else:
            buf.insert_text("\n")

    return PromptSession(
        message=PROMPT,
        multiline=True,
        prompt_continuation=lambda width, line, wrap: CONTINUATION[-width:].rjust(width),
        history=FileHistory(str(history_path())),
        completer=SqlCompleter(shell),
        complete_while_typing=False,
        lexer=SqlLexer(),
        style=STYLE,
        key_bindings=keys,
        input=input,
        output=output,
    )


def run_repl(shell: Shell, input=None, output=None) -> int:
    """Read and run entries until .quit or Ctrl-D. Ctrl-C at the prompt clears the entry; during a
    query it cancels the query (the shell reports it and carries on)."""
    session = make_session(shell, input, output)
    shell.info(f"warpdb {__version__} on {shell.con.device}. Enter .help for help; end SQL with ';'.")
    while not shell.quit:
        try:
            text = session.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        try:
            shell.run_input(text)
        except KeyboardInterrupt:
            shell.info("cancelled")
    return 0
