"""Evaluate a repeated subplan once: subtrees equal up to column ids (a decorrelated scalar
subquery repeating its outer query's join or aggregate, as in TPC-H Q11 and Q15) become one
Shared subtree, which the other copies read as Reuse nodes under their own column ids.

Equality is by fingerprint: a node's kind, parameters and expressions — each column id replaced
by the column's canonical key (a scan column: its name; a column passed on: the input it comes
from and its key there; a column a node computes: its position) — and its children's
fingerprints. A scan's kept columns are left out (column pruning keeps different ones for
different parents), so the shared copy reads the union of the copies' columns; a node that
could answer differently with more input columns (Distinct, set operations, anything new)
fingerprints its inputs' columns as well. Only subtrees with a Join or an Aggregate are shared
(a scan's columns are cached already), the largest first. The rule runs last, so that no later
rule rewrites one copy and not the other.

A shared subtree's answer depends on nothing outside it: it must use no column it does not
produce (the binder rejects such plans; this rule checks it), every scalar function is
deterministic (random() and the like do not plan), and runtime key filters (physical.key_filter)
stop at Shared and Reuse nodes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields, replace

from ..expr import ColRef, Expr, Lit, transform
from ..logical import (Aggregate, Distinct, Field, Filter, Join, Limit, Plan, Project, Reuse, Scan, Shared, Sort,
                       SortKey, free_cids)

Path = tuple[int, ...]  # child positions from the root
_PER_ROW = (Filter, Project, Aggregate, Join, Sort, Limit)
_PASSING = (Scan, Filter, Join, Sort, Limit, Distinct)
_NOT_PARAMETERS = frozenset({"input", "left", "right", "schema", "columns"})


@dataclass(frozen=True)
class _Node:
    """A node as fingerprinted: its subtree's size and its output columns' canonical keys."""

    plan: Plan
    fingerprint: int
    size: int
    keys: dict[int, int]


class _Fingerprints:
    """Fingerprints and canonical column keys, interned as small ints, of the subtrees whose every
    leaf is one of the `repeated` leaves (copies of a subtree have equal leaves, so no other
    subtree can have a copy)."""

    def __init__(self, repeated: set):
        self.ids: dict[object, int] = {}
        self.repeated = repeated

    def intern(self, value) -> int:
        return self.ids.setdefault(value, len(self.ids))

    def visit(self, plan: Plan, path: Path, nodes: dict[Path, _Node]) -> _Node | None:
        """Fingerprint `plan` (at `path`) and the nodes under it, recording each in `nodes`; None
        for a subtree with a leaf that is not repeated."""
        kids = [self.visit(c, path + (i,), nodes) for i, c in enumerate(plan.children())]
        if None in kids or (not kids and _leaf(plan) not in self.repeated):
            return None
        visible = {cid: self.intern((i, key)) for i, kid in enumerate(kids) for cid, key in kid.keys.items()}
        if isinstance(plan, Scan):
            visible = {f.cid: self.intern(("column", name)) for name, f in zip(plan.columns, plan.schema)}
        params = tuple(self._canonical(getattr(plan, f.name), visible) for f in fields(plan)
                       if f.compare and f.name not in _NOT_PARAMETERS)
        own = (type(plan).__name__, params, tuple(k.fingerprint for k in kids))
        if isinstance(plan, Scan):
            own += (id(plan.source),)
        if not isinstance(plan, _PER_ROW):
            own += tuple(tuple(kid.keys[f.cid] for f in kid.plan.schema) for kid in kids)
        passed = {f.cid: visible[f.cid] for f in plan.schema if f.cid in visible and isinstance(plan, _PASSING)}
        computed = [f for f in plan.schema if f.cid not in passed]
        keys = {**passed, **{f.cid: self.intern(("computed", i)) for i, f in enumerate(computed)}}
        node = nodes[path] = _Node(plan, self.intern(own), 1 + sum(k.size for k in kids), keys)
        return node

    def _canonical(self, value, visible: dict[int, int]):
        """A parameter with column ids as canonical keys and literals by type and repr (so that
        0.0 and -0.0, or 1 and TRUE, stay different)."""
        if isinstance(value, Expr):
            return transform(value, lambda e: self._canonical_leaf(e, visible))
        if isinstance(value, SortKey):
            return self._canonical(value.expr, visible), value.descending, value.nulls_first
        if isinstance(value, Field):
            return value.dtype
        if isinstance(value, tuple):
            return tuple(self._canonical(v, visible) for v in value)
        return type(value).__name__, repr(value)

    def _canonical_leaf(self, e: Expr, visible: dict[int, int]) -> Expr:
        if isinstance(e, ColRef):
            key = visible.get(e.cid)
            return ColRef(self.intern(("outside", e.cid)) if key is None else key, e.dtype)
        if isinstance(e, Lit):
            return Lit((type(e.value).__name__, repr(e.value)), e.dtype)
        return e


def apply(plan: Plan) -> Plan:
    leaves = Counter(_leaf(node) for node in plan.walk() if not node.children())
    repeated = {leaf for leaf, n in leaves.items() if n > 1}
    if not repeated:
        return plan
    prints, nodes = _Fingerprints(repeated), {}
    prints.visit(plan, (), nodes)
    groups = _repeated(nodes)
    if not groups:
        return plan
    next_cid = 1 + max(f.cid for node in plan.walk() for f in node.schema)
    replacements: dict[Path, Plan] = {}
    for key, paths in enumerate(groups, 1):
        widened, next_cid = _widened(nodes, paths, next_cid)
        shared = replacements[paths[0]] = Shared(widened, key, len(paths), nodes[paths[0]].plan.schema)
        wide_keys = prints.visit(widened, (), {}).keys
        by_key = {wide_keys[f.cid]: f for f in widened.schema}
        for path in paths[1:]:
            node = nodes[path]
            read = [by_key[node.keys[f.cid]] for f in node.plan.schema]
            columns = tuple(ColRef(r.cid, r.dtype, r.name) for r in read)
            replacements[path] = Reuse(key, columns, node.plan.schema, shared)
    return _rebuilt(plan, (), replacements)


def _leaf(node: Plan) -> tuple:
    """What two equal leaves have in common: their kind and, for scans, their source."""
    return type(node), id(node.source) if isinstance(node, Scan) else None


def _repeated(nodes: dict[Path, _Node]) -> list[list[Path]]:
    """Groups of at least two paths of equal, shareable subtrees, none inside another chosen one:
    larger subtrees first; each group's paths in plan order, the groups in order of their first."""
    by_print: dict[int, list[Path]] = {}
    for path in sorted(nodes):
        by_print.setdefault(nodes[path].fingerprint, []).append(path)
    chosen: list[list[Path]] = []
    taken: list[Path] = []
    for paths in sorted(by_print.values(), key=lambda ps: (-nodes[ps[0]].size, ps[0])):
        free = [p for p in paths if not any(p[:len(t)] == t for t in taken)]
        if len(free) > 1 and _shareable(nodes[free[0]].plan):
            chosen.append(free)
            taken += free
    return sorted(chosen)


def _shareable(plan: Plan) -> bool:
    """Worth sharing (a join or an aggregate in it) and self-contained (no outside columns used)."""
    return any(isinstance(n, (Join, Aggregate)) for n in plan.walk()) and not free_cids(plan)


def _widened(nodes: dict[Path, _Node], paths: list[Path], next_cid: int) -> tuple[Plan, int]:
    """The first copy with each scan reading every column some copy's scan there reads (new
    columns get new ids from `next_cid`), and the next free id."""
    first, wide = paths[0], {}
    for path, node in sorted(nodes.items()):
        if path[:len(first)] != first or not isinstance(node.plan, Scan):
            continue
        scan, extra = node.plan, {}
        for other in (nodes[copy + path[len(first):]].plan for copy in paths[1:]):
            extra.update({n: f for n, f in zip(other.columns, other.schema)
                          if n not in scan.columns and n not in extra})
        if extra:
            added = tuple(Field(next_cid + i, f.name, f.dtype) for i, f in enumerate(extra.values()))
            next_cid += len(added)
            wide[path] = replace(scan, columns=scan.columns + tuple(extra), schema=scan.schema + added)
    return _rebuilt(nodes[first].plan, first, wide), next_cid


def _rebuilt(plan: Plan, path: Path, replacements: dict[Path, Plan]) -> Plan:
    """`plan`, found at `path`, with the nodes at the paths of `replacements` replaced."""
    if path in replacements:
        return replacements[path]
    kids = plan.children()
    if not any(p[:len(path)] == path for p in replacements):
        return plan
    return plan.with_children(tuple(_rebuilt(c, path + (i,), replacements) for i, c in enumerate(kids)))
