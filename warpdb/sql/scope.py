"""Name resolution: the columns visible at one point of a query, and the enclosing query's."""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..engine.logical import Field
from ..errors import BindError


@dataclass(frozen=True, slots=True)
class ScopeColumn:
    qualifier: str | None
    name: str
    field: Field


class Scope:
    """Columns of the FROM clause being bound; `parent` is the enclosing query (correlation)."""

    def __init__(self, columns: list[ScopeColumn], parent: "Scope | None" = None):
        self.columns = columns
        self.parent = parent

    def qualifiers(self) -> set[str]:
        return {c.qualifier for c in self.columns if c.qualifier}

    def star(self, qualifier: str | None) -> list[ScopeColumn]:
        cols = [c for c in self.columns if qualifier is None or c.qualifier == qualifier]
        if qualifier is not None and not cols:
            raise BindError(f"unknown table '{qualifier}' in {qualifier}.*{did_you_mean(qualifier, self.qualifiers())}")
        return cols

    def lookup(self, name: str, qualifier: str | None) -> Field | None:
        """The field a (qualified) name means here or in an enclosing scope; None when unknown."""
        hits = [c for c in self.columns if c.name == name and (qualifier is None or c.qualifier == qualifier)]
        if len({c.field.cid for c in hits}) > 1:
            where = ", ".join(sorted({f"{c.qualifier}.{c.name}" for c in hits if c.qualifier}))
            raise BindError(f"column reference '{name}' is ambiguous (could be {where})")
        if hits:
            return hits[0].field
        return self.parent.lookup(name, qualifier) if self.parent else None

    def resolve(self, name: str, qualifier: str | None, where: str = "") -> Field:
        f = self.lookup(name, qualifier)
        if f is not None:
            return f
        if qualifier is not None and not self._has_qualifier(qualifier):
            raise BindError(
                f"unknown table '{qualifier}' in column {qualifier}.{name}{where}"
                + did_you_mean(qualifier, self._all_qualifiers())
            )
        names = {c.name for s in self._chain() for c in s.columns if qualifier is None or c.qualifier == qualifier}
        full = f"{qualifier}.{name}" if qualifier else name
        raise BindError(f"unknown column '{full}'{where}{did_you_mean(name, names)}")

    def _chain(self):
        s = self
        while s is not None:
            yield s
            s = s.parent

    def _has_qualifier(self, q: str) -> bool:
        return any(q in s.qualifiers() for s in self._chain())

    def _all_qualifiers(self) -> set[str]:
        return {q for s in self._chain() for q in s.qualifiers()}


def did_you_mean(name: str, candidates) -> str:
    """'; did you mean 'x'?' for the closest candidates, or ''."""
    close = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.5)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
