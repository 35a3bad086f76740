"""Order each block of inner joins by estimated cardinality: the left-deep order whose joins produce
the fewest rows in all, by dynamic programming over sets of relations (greedy past DP_LIMIT
relations). Only relations connected by a condition are joined, by keys whenever any can be, so no
query builds a cross product it can avoid. Estimates: filters on a column compared with constants
from its distinct count, joins from the domains of their key columns, so a dimension's filter
carries through its key join to the fact table."""
from __future__ import annotations

from .. import types as T
from ..expr import Call, ColRef, Expr, Lit, and_all, conjuncts
from ..logical import Aggregate, Filter, Join, Plan, Project, Scan
from .pushdown_filters import push

MANY_TO_MANY_PENALTY = 1.5
DP_LIMIT = 10
_SELECTIVITY = {"eq": 0.1, "ne": 0.9, "lt": 0.3, "le": 0.3, "gt": 0.3, "ge": 0.3, "like": 0.25, "in": 0.2}


def apply(plan: Plan) -> Plan:
    if isinstance(plan, Join) and plan.kind in ("inner", "cross"):
        rels, conds = [], []
        _flatten(plan, rels, conds)
        if len(rels) > 2:
            return _order([apply(r) for r in rels], conds)
    kids = tuple(apply(c) for c in plan.children())
    return plan.with_children(kids) if kids else plan


def _flatten(p: Plan, rels: list[Plan], conds: list[Expr]) -> None:
    if isinstance(p, Join) and p.kind in ("inner", "cross"):
        _flatten(p.left, rels, conds)
        _flatten(p.right, rels, conds)
        conds += conjuncts(p.residual)
        conds += [Call("eq", (a, b), T.BOOL) for a, b in zip(p.left_keys, p.right_keys)]
    else:
        rels.append(p)


def selectivity(pred: Expr, distinct=None) -> float:
    """Estimated fraction of rows that pass `pred`: a column's equality (inequality, IN list) with
    constants from its distinct count when `distinct` (cid -> count or None) knows the column, as
    DuckDB and PostgreSQL without histograms do; an OR as the union of independent branches; any
    other conjunct by a fixed guess."""
    s = 1.0
    for c in conjuncts(pred):
        s *= _conjunct_selectivity(c, distinct)
    return s


def _conjunct_selectivity(c: Expr, distinct) -> float:
    if not isinstance(c, Call):
        return 0.5
    if c.op == "or":
        miss = 1.0
        for branch in c.args:
            miss *= 1.0 - selectivity(branch, distinct)
        return 1.0 - miss
    d = _compared_distinct(c, distinct)
    if d is None:
        return _SELECTIVITY.get(c.op, 0.5)
    if c.op == "eq":
        return 1.0 / d
    if c.op == "ne":
        return 1.0 - 1.0 / d
    return min(1.0, (len(c.args) - 1) / d)


def _compared_distinct(c: Call, distinct) -> float | None:
    """Distinct count of the column that an eq/ne/in compares with constants, if known."""
    if distinct is None or c.op not in ("eq", "ne", "in"):
        return None
    args = c.args if c.op == "in" or isinstance(c.args[0], ColRef) else c.args[::-1]
    col, consts = args[0], args[1:]
    if not isinstance(col, ColRef) or not all(isinstance(a, Lit) for a in consts):
        return None
    d = distinct(col.cid)
    return max(d, 1.0) if d is not None else None


def estimate(p: Plan) -> float:
    """Rough output rows of a plan, from table sizes, distinct counts and predicate heuristics."""
    if isinstance(p, Scan):
        rows = float(p.source.num_rows)
        distinct = _scan_distinct(p)
        for f in p.filters:
            rows *= selectivity(f, distinct)
        return max(rows, 1.0)
    if isinstance(p, Filter):
        cols = scan_columns(p.input)
        return max(estimate(p.input) * selectivity(p.predicate, lambda cid: _domain(cid, cols)), 1.0)
    if isinstance(p, Aggregate):
        return 1.0 if not p.keys else max(estimate(p.input) / 2, 1.0)
    if isinstance(p, Join):
        left, right = estimate(p.left), estimate(p.right)
        if p.kind in ("semi", "anti", "mark", "single"):
            return left * (0.5 if p.kind in ("semi", "anti") else 1.0)
        if p.kind in ("cross",) or not p.left_keys and p.residual is None:
            return left * right
        if p.kind not in ("inner", "left", "right", "full"):
            return left
        edges = [Call("eq", (a, b), T.BOOL) for a, b in zip(p.left_keys, p.right_keys)] + conjuncts(p.residual)
        out = _join_estimate(left, right, edges, scan_columns(p), p.left.cids())
        return max(out, left if p.kind in ("left", "full") else 1.0, right if p.kind in ("right", "full") else 1.0)
    kids = p.children()
    return estimate(kids[0]) if kids else 1.0


def scan_columns(p: Plan) -> dict[int, tuple]:
    """(scan, column name) of the columns a plan passes through from its scans."""
    out: dict[int, tuple] = {}
    for node in p.walk():
        if isinstance(node, Scan):
            out.update({f.cid: (node, name) for name, f in zip(node.columns, node.schema)})
        elif isinstance(node, Project):
            for e, f in zip(node.exprs, node.schema):
                if isinstance(e, ColRef) and e.cid in out:
                    out[f.cid] = out[e.cid]
    return out


def _scan_distinct(scan: Scan):
    """cid -> distinct count in the table, for the columns a scan reads."""
    names = {f.cid: name for name, f in zip(scan.columns, scan.schema)}
    return lambda cid: scan.source.distinct_estimate(names[cid]) if cid in names else None


def _domain(cid: int, cols: dict[int, tuple]) -> float | None:
    """The values a scanned column can hold after its scan's filters: its distinct count in the
    table, times the selectivity of the filters on that column alone. Filters on other columns
    drop rows, not values (the survivors' values spread over the whole domain: DuckDB's total
    domain), so a filter on a dimension table carries through a key join to the fact table."""
    if cid not in cols:
        return None
    scan, name = cols[cid]
    d = scan.source.distinct_estimate(name)
    own = [f for f in scan.filters if f.cids() == {cid}]
    return max(d * selectivity(and_all(own), _scan_distinct(scan)), 1.0) if own else d


def _order(rels: list[Plan], conds: list[Expr]) -> Plan:
    graph = _Graph(rels, conds)
    search = _dynamic if len(rels) <= DP_LIMIT else _greedy
    steps = search(graph)
    plan, used = graph.rels[steps[0][0]], set()
    for i, edges in steps[1:]:
        plan = Join("inner" if edges else "cross", plan, graph.rels[i], residual=and_all(edges))
        used |= {id(c) for c in edges}
    rest = [c for c, _ in graph.conds if id(c) not in used]
    return push(plan, rest) if rest else plan


class _Graph:
    """The relations of one block of inner joins and what connects them: conditions over several
    relations, and classes of columns that `a = b` conditions make equal, any two of which may join
    (as PostgreSQL's equivalence classes: c.nationkey = s.nationkey and s.nationkey = n.nationkey
    also join c to n). Conditions on one relation are pushed into it first."""

    def __init__(self, rels: list[Plan], conds: list[Expr]):
        self.cids = [r.cids() for r in rels]
        owner = {cid: i for i, s in enumerate(self.cids) for cid in s}
        parent: dict[int, int] = {}

        def root(cid: int) -> int:
            while parent.setdefault(cid, cid) != cid:
                cid = parent[cid]
            return cid

        single: dict[int, list[Expr]] = {}
        self.conds: list[tuple[Expr, frozenset]] = []
        columns: dict[int, ColRef] = {}
        for c in conds:
            owners = {i for i, s in enumerate(self.cids) if c.cids() & s}
            if len(owners) == 1:
                single.setdefault(owners.pop(), []).append(c)
            elif _column_equality(c) and c.cids() <= owner.keys():
                a, b = c.args
                columns.update({a.cid: a, b.cid: b})
                parent[root(a.cid)] = root(b.cid)
            else:
                self.conds.append((c, c.cids()))
        classes: dict[int, list[ColRef]] = {}
        for cid, col in columns.items():
            classes.setdefault(root(cid), []).append(col)
        self.classes = list(classes.values())
        for members in self.classes:
            for i in {owner[m.cid] for m in members}:
                mine = [m for m in members if owner[m.cid] == i]
                single.setdefault(i, []).extend(Call("eq", (mine[0], m), T.BOOL) for m in mine[1:])
        self.rels = [push(r, single.get(i, [])) for i, r in enumerate(rels)]
        self.est = [estimate(r) for r in self.rels]
        self.cols: dict[int, tuple] = {}
        for r in self.rels:
            self.cols.update(scan_columns(r))

    def edges(self, acc: frozenset, i: int) -> list[Expr]:
        """The conditions that joining relation `i` to a plan of the columns `acc` makes
        evaluable: the conditions over both, and for each column class on both sides, the
        equality of each of `i`'s columns with the plan's column of the smallest domain."""
        rel = self.cids[i]
        both = acc | rel
        out = [c for c, cc in self.conds if cc <= both and cc & rel and cc & acc]
        for members in self.classes:
            mine = [m for m in members if m.cid in rel]
            theirs = [m for m in members if m.cid in acc]
            if mine and theirs:
                first = min(theirs, key=lambda m: _distinct(m, self.cols, float("inf")))
                out += [Call("eq", (first, m), T.BOOL) for m in mine]
        return out

    def options(self, acc: frozenset, candidates: list[int]) -> list[tuple[int, list[Expr]]]:
        """The relations among `candidates` that may join a plan of the columns `acc` next, with
        their conditions: those joined by an equality when any is (a hash join), else those joined
        by any condition, else all (a join without keys pairs every row with every row)."""
        options = [(i, self.edges(acc, i)) for i in candidates]
        keyed = [(i, edges) for i, edges in options if any(_is_key(c, acc, self.cids[i]) for c in edges)]
        return keyed or [(i, edges) for i, edges in options if edges] or options

    def join(self, rows: float, acc: frozenset, i: int, edges: list[Expr]) -> float:
        """Estimated rows of joining relation `i` to a plan of `rows` rows and the columns `acc`."""
        return _join_estimate(rows, self.est[i], edges, self.cols, acc)


def _is_eq(c: Expr) -> bool:
    return isinstance(c, Call) and c.op == "eq"


def _is_key(c: Expr, acc: frozenset, rel: frozenset) -> bool:
    """Whether a condition is an equality of an expression over each side (an equi-join key)."""
    if not _is_eq(c):
        return False
    a, b = (e.cids() for e in c.args)
    return bool(a and b) and (a <= acc and b <= rel or a <= rel and b <= acc)


def _column_equality(c: Expr) -> bool:
    return _is_eq(c) and all(isinstance(a, ColRef) for a in c.args) and c.args[0].dtype == c.args[1].dtype


def _dynamic(graph: _Graph) -> list[tuple[int, list[Expr]]]:
    """The left-deep order of least cost (the sum of the estimated rows of every join), by dynamic
    programming over sets of relations as System R does: the cheapest plan of each set of k + 1
    relations extends the cheapest plan of one of its k-subsets by the remaining relation, which
    must be connected to it by a condition whenever any relation is. Returned as steps (relation,
    conditions joining it), the first relation's conditions empty."""
    n = len(graph.rels)
    level = {1 << i: (0.0, graph.est[i], frozenset(graph.cids[i]), ((i, []),)) for i in range(n)}
    for _ in range(n - 1):
        nxt: dict[int, tuple] = {}
        for mask, (cost, rows, acc, steps) in level.items():
            for i, edges in graph.options(acc, [i for i in range(n) if not mask >> i & 1]):
                out = graph.join(rows, acc, i, edges)
                key = mask | 1 << i
                if key not in nxt or cost + out < nxt[key][0]:
                    nxt[key] = (cost + out, out, acc | graph.cids[i], steps + ((i, edges),))
        level = nxt
    (_, _, _, steps), = level.values()
    return list(steps)


def _greedy(graph: _Graph) -> list[tuple[int, list[Expr]]]:
    """For joins of more than DP_LIMIT relations: from every possible first relation, a left-deep
    order whose each step joins the connected relation with the smallest estimated result; the
    order of least cost (sum of estimated intermediate rows) wins. Steps as in `_dynamic`."""
    n = len(graph.rels)
    best = None
    for start in range(n):
        remaining = set(range(n)) - {start}
        acc, rows, cost, steps = frozenset(graph.cids[start]), graph.est[start], 0.0, [(start, [])]
        while remaining:
            choice = None
            for i, edges in graph.options(acc, sorted(remaining)):
                out = graph.join(rows, acc, i, edges)
                if choice is None or out < choice[0]:
                    choice = (out, i, edges)
            rows, i, edges = choice
            acc |= graph.cids[i]
            cost += rows
            steps.append((i, edges))
            remaining.discard(i)
        if best is None or cost < best[0]:
            best = (cost, steps)
    return best[1]


def _join_estimate(left: float, right: float, edges: list[Expr], cols: dict[int, tuple], acc_cids) -> float:
    """Rows of joining the accumulated plan (`left` rows) with a relation (`right` rows): through
    an equality, left * right / the larger domain of its two columns (each side's rows spread over
    its column's domain; the smaller domain's values occur in the larger), the most selective
    equality if several; 1.5 times that when both sides repeat their keys; half for each other
    condition."""
    best = left * right
    for c in edges:
        if _is_eq(c):
            a, b = c.args
            la, rb = (a, b) if a.cids() <= acc_cids else (b, a)
            dl = _distinct(la, cols, left)
            dr = _distinct(rb, cols, right)
            out = left * right / max(dl, dr, 1.0)
            if max(dl, dr) < min(left, right):
                out *= MANY_TO_MANY_PENALTY
            best = min(best, out)
        else:
            best *= 0.5
    return max(best, 1.0)


def _distinct(e: Expr, cols: dict[int, tuple], default: float) -> float:
    d = _domain(e.cid, cols) if isinstance(e, ColRef) else None
    return default if d is None else d
