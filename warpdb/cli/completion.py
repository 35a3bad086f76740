"""Tab completion: SQL keywords, table and view names, and their column names from the catalog."""
from __future__ import annotations

import re

from prompt_toolkit.completion import Completer, Completion

from ..errors import Error
from . import commands
from .render import MODES
from .sqltext import KEYWORDS, tokenize

_TABLE_CONTEXT = {"FROM", "JOIN", "INTO", "TABLE", "VIEW", "DESCRIBE", "UPDATE"}
_TABLE_FUNCTIONS = ("read_parquet", "read_csv", "read_json", "read_ndjson", "read_arrow")
_WORD_BEFORE = re.compile(r"(?:([A-Za-z_][\w$]*)\.)?([A-Za-z_][\w$]*)?$")


class SchemaCache:
    """Column names per table and view, recomputed whenever the catalog changes."""

    def __init__(self):
        self._key = None
        self._columns: dict[str, list[str]] = {}

    def columns(self, con) -> dict[str, list[str]]:
        """{table or view name: its column names} for connection `con`."""
        key = (id(con.catalog), con.catalog.version)
        if key != self._key:
            self._columns = {name: _column_names(con, name) for name in con.tables()}
            self._key = key
        return self._columns


def _column_names(con, name: str) -> list[str]:
    entry = con.catalog.get(name)
    if not entry.is_view:
        return [n for n, _ in entry.columns]
    try:
        return list(con.plan(entry.ast, entry.sql)[1])
    except Error:
        return []


def candidates(con, cache: SchemaCache, text: str, whole: str | None = None) -> list[tuple[str, str]]:
    """(word, what it is) pairs completing the last word of `text` (the input up to the cursor),
    best first; tables and aliases are looked up in `whole`, the entire input (default: `text`)."""
    whole = text if whole is None else whole
    if text.lstrip().startswith((".", "\\")):
        return _command_candidates(con, text.lstrip())
    m = _WORD_BEFORE.search(text)
    qualifier, prefix = m.group(1), m.group(2) or ""
    columns = cache.columns(con)
    if qualifier is not None:
        table = _aliases(whole, columns).get(qualifier.lower(), qualifier.lower())
        return _matching(prefix, [(c, f"column of {table}") for c in columns.get(table, [])])
    tables = [(t, "view" if con.catalog.get(t).is_view else "table") for t in columns]
    words = [t.text.upper() for t in tokenize(text[: m.start()]) if t.kind == "keyword"]
    if words and words[-1] in _TABLE_CONTEXT:
        return _matching(prefix, tables + [(f, "table function") for f in _TABLE_FUNCTIONS])
    mentioned = list(_aliases(whole, columns).values()) or list(columns)
    cols = [(c, f"column of {t}") for t in dict.fromkeys(mentioned) for c in columns[t]]
    lower = prefix[:1].islower()
    keywords = [(k.lower() if lower else k, "keyword") for k in sorted(KEYWORDS)]
    return _matching(prefix, cols + tables + keywords)


def _aliases(text: str, columns: dict) -> dict[str, str]:
    """{name or alias: table} for every catalog table the text mentions, with `t [AS] alias`."""
    words = [t for t in tokenize(text) if t.kind not in ("space", "comment")]
    out = {}
    for i, tok in enumerate(words):
        name = tok.text.lower()
        if tok.kind not in ("name", "quoted_name") or name.strip('"') not in columns:
            continue
        name = name.strip('"')
        out[name] = name
        j = i + 1
        if j < len(words) and words[j].text.upper() == "AS":
            j += 1
        if j < len(words) and words[j].kind == "name":
            out[words[j].text.lower()] = name
    return out


def _command_candidates(con, text: str) -> list[tuple[str, str]]:
    word, space, arg = text.partition(" ")
    if not space:
        return _matching(word, [(n, "command") for n in commands.names()])
    if word in (".schema", "\\d"):
        return _matching(arg, [(t, "table") for t in con.tables()])
    if word == ".mode":
        return _matching(arg, [(m, "mode") for m in MODES])
    if word in (".timer", "\\timing", ".explain"):
        return _matching(arg, [("on", ""), ("off", "")])
    if word == ".device":
        return _matching(arg, [("auto", ""), ("cpu", ""), ("gpu", "")])
    return []


def _matching(prefix: str, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    p = prefix.lower()
    seen, out = set(), []
    for word, meta in items:
        if word.lower().startswith(p) and word not in seen:
            seen.add(word)
            out.append((word, meta))
    return out


class SqlCompleter(Completer):
    """prompt_toolkit completer over the shell's current connection."""

    def __init__(self, shell):
        self.shell = shell
        self.cache = SchemaCache()

    def get_completions(self, document, complete_event):
        text = document.text_before_cursor
        if text.lstrip().startswith((".", "\\")):
            word = text.lstrip().rpartition(" ")[2] if " " in text.lstrip() else text.lstrip()
        else:
            word = _WORD_BEFORE.search(text).group(2) or ""
        for value, meta in candidates(self.shell.con, self.cache, text, document.text):
            yield Completion(value, start_position=-len(word), display_meta=meta)
