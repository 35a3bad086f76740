"""Errors as the shell prints them: `Error: <type>: message`, then the SQL line and a caret."""
from __future__ import annotations

import re

from ..errors import ParseError

_AT = re.compile(r"(?: at line (\d+), column (\d+)| \(line (\d+), column (\d+)\))")


def format_error(err: BaseException, sql: str = "") -> str:
    """The error's one-line summary plus, when its position in `sql` is known, that line and a caret."""
    lines = str(err).splitlines() or [""]
    message = lines[0]
    if isinstance(err, ParseError):
        pos = (err.line, err.column) if err.line is not None and err.column is not None else None
    else:
        message = "\n".join(lines)
        m = _AT.search(message)
        pos = (int(m.group(1) or m.group(3)), int(m.group(2) or m.group(4))) if m else None
    out = f"Error: {type(err).__name__}: {message}"
    src = sql.splitlines()
    if pos and 0 < pos[0] <= len(src):
        out += f"\nLINE {pos[0]}: {src[pos[0] - 1].replace(chr(9), ' ')}\n{' ' * (len(f'LINE {pos[0]}: ') + pos[1] - 1)}^"
    return out
