"""A small SQL tokenizer, and statement splitting on ';' that respects quotes and comments."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot.dialects.duckdb import DuckDB

KEYWORDS = frozenset(w for w in (k.upper() for k in DuckDB.Tokenizer.KEYWORDS) if re.fullmatch(r"[A-Z_]+", w))

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9$]*")
_SPACE = re.compile(r"\s+")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


@dataclass(frozen=True)
class Token:
    """One piece of SQL text; `closed` is False for a string or comment that runs off the end."""

    kind: str  # keyword, name, quoted_name, string, number, comment, operator, punct, space
    text: str
    start: int
    closed: bool = True


def tokenize(sql: str) -> list[Token]:
    """The tokens of `sql`, covering every character (unknown characters are operators)."""
    out: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            m = _SPACE.match(sql, i)
            out.append(Token("space", m.group(), i))
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            out.append(Token("comment", sql[i:] if end < 0 else sql[i:end], i))
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            out.append(Token("comment", sql[i:] if end < 0 else sql[i:end + 2], i, end >= 0))
        elif c in "'\"`":
            out.append(_quoted(sql, i, c))
        elif c == "$" and _DOLLAR.match(sql, i):
            tag = _DOLLAR.match(sql, i).group()
            end = sql.find(tag, i + len(tag))
            out.append(Token("string", sql[i:] if end < 0 else sql[i:end + len(tag)], i, end >= 0))
        elif c.isdigit() or (c == "." and i + 1 < n and sql[i + 1].isdigit()):
            m = _NUMBER.match(sql, i)
            out.append(Token("number", m.group(), i))
        elif _WORD.match(sql, i):
            word = _WORD.match(sql, i).group()
            out.append(Token("keyword" if word.upper() in KEYWORDS else "name", word, i))
        else:
            out.append(Token("punct" if c in ";,()." else "operator", c, i))
        i += len(out[-1].text)
    return out


def _quoted(sql: str, i: int, quote: str) -> Token:
    """A quoted string or identifier starting at `i`; a doubled quote is an escaped quote."""
    j = i + 1
    while True:
        j = sql.find(quote, j)
        if j < 0:
            return Token("string" if quote == "'" else "quoted_name", sql[i:], i, False)
        if sql.startswith(quote * 2, j):
            j += 2
            continue
        return Token("string" if quote == "'" else "quoted_name", sql[i:j + 1], i)


def split_statements(sql: str) -> tuple[list[str], str]:
    """(complete statements, each ending with its ';', and the unfinished rest of the text).

    Statements that are only whitespace, comments or ';' are dropped; the rest is stripped.
    """
    done, start = [], 0
    for tok in tokenize(sql):
        if tok.kind == "punct" and tok.text == ";":
            piece = sql[start:tok.start + 1]
            if _has_code(piece[:-1]):
                done.append(piece.strip())
            start = tok.start + 1
    rest = sql[start:]
    return done, rest if _has_code(rest) else ""


def _has_code(text: str) -> bool:
    return any(t.kind not in ("space", "comment") and t.text != ";" for t in tokenize(text))


def is_complete(sql: str) -> bool:
    """Whether `sql` holds at least one statement and ends with a ';' outside quotes and comments
    (trailing whitespace and closed comments allowed)."""
    done, rest = split_statements(sql)
    return bool(done) and not rest and all(t.closed for t in tokenize(sql))
