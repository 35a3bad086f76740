"""Syntax highlighting of the input line, from the shell's own SQL tokenizer."""
from __future__ import annotations

from prompt_toolkit.document import Document
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style

from .sqltext import tokenize

COLORS = {
    "keyword": "bold ansiblue",
    "string": "ansigreen",
    "number": "ansicyan",
    "comment": "italic ansibrightblack",
    "quoted_name": "ansiyellow",
    "operator": "ansimagenta",
    "command": "bold ansimagenta",
}
STYLE = Style.from_dict(COLORS)


def fragments(text: str) -> list[tuple[str, str]]:
    """(style class, text) pieces covering `text`: a dot/backslash command line as one piece."""
    if text.lstrip().startswith((".", "\\")):
        return [("class:command", text)]
    return [(f"class:{t.kind}" if t.kind in COLORS else "", t.text) for t in tokenize(text)]


class SqlLexer(Lexer):
    """prompt_toolkit lexer: the whole (multi-line) buffer is tokenized, then split into lines."""

    def lex_document(self, document: Document):
        lines: list[list[tuple[str, str]]] = [[]]
        for style, text in fragments(document.text):
            for i, piece in enumerate(text.split("\n")):
                if i:
                    lines.append([])
                if piece:
                    lines[-1].append((style, piece))
        return lambda lineno: lines[lineno] if lineno < len(lines) else []
