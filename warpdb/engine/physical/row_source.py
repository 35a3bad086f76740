"""C source of per-row expressions for generated GPU kernels (the fused aggregate, fused
projections): NULL-free columns read through their batch row indices, integer and decimal
arithmetic with the evaluator's overflow rule (a flag bit per operation), CASE, safe casts, and
predicates (string ones as per-dictionary-entry lookups); and the loop body and grid that run them.
"""
from __future__ import annotations

import numpy as np

from .. import types as T
from ..expr import Call, Case, Cast, ColRef, Expr, Lit
from ..types import Kind
from .batch import Batch
from .fused import PredicateSource

MAX_FLAGS = 31
_LIMITS: dict = {}
CTYPES = {"int8": "signed char", "int16": "short", "int32": "int", "int64": "long long", "bool": "bool"}
_ARITH = {"add": "+", "sub": "-", "mul": "*"}


class RowSource:
    """C source pieces of one generated kernel: parameters, per-row statements, overflow flags."""

    def __init__(self, ev, batch: Batch):
        self.ev, self.batch = ev, batch
        self.temps = 0
        self.indices: dict[int, tuple[str, object, bool]] = {}
        self.params: dict[int, tuple[str, object]] = {}
        self.tables: list[tuple[str, object]] = []
        self.scalars: list[tuple[str, int]] = []
        self.lines: list[str] = []
        self.memo: dict[Expr, str] = {}
        self.flags: list[tuple[str, T.DataType]] = []
        self.loads: dict[int, list] = {}  # cid -> [local, row, phase: 1 read by the filter, else 2]
        self.phase = 2
        self.loaded: set[str] = {"i"}  # the row indices columns are loaded through

    def column(self, ref: ColRef):
        """The C name of a NULL-free column's value at the row (a local loaded before the row's
        statements, through its batch row index, each index a parameter of its own), and its base
        Column; None if unusable."""
        base, idx, neg = self.batch.row_source(ref.cid)
        if base.valid is not None or base.wide is not None or base.data.dtype.name not in CTYPES:
            return None
        row = "i" if idx is None else self._index(idx, neg)
        self.loaded.add(row)
        param = self.params.get(ref.cid)
        if param is None:
            param = self.params[ref.cid] = (f"c{len(self.params)}", base)
            self.loads[ref.cid] = [f"v{param[0][1:]}", row, self.phase]
        load = self.loads[ref.cid]
        load[2] = min(load[2], self.phase)
        return load[0], base

    def _index(self, idx, neg: bool) -> str:
        """The C name of a batch row index's value at the row (a kernel parameter of its own)."""
        hit = self.indices.get(id(idx))
        if hit is None:
            hit = self.indices[id(idx)] = (f"r{len(self.indices)}", idx, neg)
        return hit[0]

    def present(self, ref: ColRef) -> str | None:
        """C test that a column with no NULLs of its own has a value at the row: its row index is
        not -1 (a join's unmatched row); None for a column with NULLs. Nothing is loaded."""
        base, idx, neg = self.batch.row_source(ref.cid)
        if base.valid is not None or base.wide is not None:
            return None
        return "true" if idx is None or not neg else f"({self._index(idx, neg)} >= 0)"

    def declarations(self) -> str:
        """The kernel parameters this source's C text names (after the row count)."""
        decl = "".join(f", const {CTYPES[base.data.dtype.name]}* __restrict__ {name}" for name, base in self.params.values())
        decl += "".join(f", const long long* __restrict__ i{name}" for name, _, _ in self.indices.values())
        decl += "".join(f", const bool* __restrict__ {name}" for name, _ in self.tables)
        return decl + "".join(f", long long {name}" for name, _ in self.scalars)

    def arguments(self) -> list:
        """The values of `declarations()`' parameters, in order."""
        args = [base.data for _, base in self.params.values()] + [idx for _, idx, _ in self.indices.values()]
        return args + [t for _, t in self.tables] + [np.int64(v) for _, v in self.scalars]

    def null_rows(self) -> bool:
        """Whether a row index a column is loaded through holds -1 (a NULL row): the kernels would
        read out of bounds, so the caller does not run them (one round trip per such index)."""
        return any(neg and name in self.loaded and idx.shape[0] and bool((idx < 0).any())
                   for name, idx, neg in self.indices.values())

    def scalar(self, value: int) -> str:
        """The C name of a long long kernel parameter holding `value`."""
        name = f"k{len(self.scalars)}"
        self.scalars.append((name, value))
        return name

    def table(self, per_entry) -> str:
        """The C name of a per-dictionary-entry lookup array (a string predicate's answers)."""
        name = f"m{len(self.tables)}"
        self.tables.append((name, per_entry))
        return name

    def value(self, e: Expr) -> str | None:
        """A C expression of type long long for an integer/decimal expression, or None."""
        if e.dtype.kind not in (*T.INTEGER_KINDS, Kind.DECIMAL):
            return None
        if isinstance(e, Lit):
            v = e.value
            ok = isinstance(v, (int, np.integer)) and not isinstance(v, bool) and -(2**63) < int(v) < 2**63
            return f"({int(v)}LL)" if ok else None
        if isinstance(e, ColRef):
            got = self.column(e)
            return None if got is None else f"((long long){got[0]})"
        if isinstance(e, Cast):
            return self._cast(e)
        if isinstance(e, Case):
            return self._case(e)
        if not (isinstance(e, Call) and e.op in _ARITH and len(e.args) == 2) or len(self.flags) >= MAX_FLAGS:
            return None
        name = self.memo.get(e)
        if name is not None:
            return name
        a, b = self.value(e.args[0]), self.value(e.args[1])
        if a is None or b is None:
            return None
        name = self.memo[e] = self.temp()
        self.lines.append(_checked(name, e.op, a, b, e.dtype, len(self.flags)))
        self.flags.append((e.op, e.dtype))
        return name


    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def predicate(self, e: Expr) -> str | None:
        """C text of a NULL-free predicate over this kernel's columns (string ones by lookup)."""
        return PredicateSource(self.ev, self.batch, lambda c: (got := self.column(c)) and got[0], self.table).expr(e)

    def _case(self, e: Case) -> str | None:
        """CASE as if/else blocks: a branch's statements (and its overflow checks) run only on the
        rows that take it, as in the evaluator."""
        args = e.args
        branches = [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)] + [(None, args[-1])]
        name, code = self.temp(), []
        for k, (cond, value) in enumerate(branches):
            test = None if cond is None else self.predicate(cond)
            saved_lines, saved_memo = self.lines, dict(self.memo)
            self.lines = []
            v = self.value(value)
            block, self.lines, self.memo = self.lines, saved_lines, saved_memo
            if v is None or (cond is not None and test is None):
                return None
            head = "else" if cond is None else ("if" if k == 0 else "else if") + f" ({test})"
            code.append(f"{head} {{ {' '.join(block)} {name} = {v}; }}")
        self.lines.append(f"long long {name};\n        " + "\n        ".join(code))
        return name

    def _cast(self, e: Cast) -> str | None:
        """Casts that cannot fail: integer widening, and integer or decimal to a decimal with room
        for every value (a multiplication by a power of ten that cannot overflow)."""
        s, t = e.arg.dtype, e.dtype
        inner = self.value(e.arg)
        if inner is None:
            return None
        if t.kind in T.INTEGER_KINDS and s.kind in T.INTEGER_KINDS:
            (slo, shi), (tlo, thi) = T.INT_BOUNDS[s.kind], T.INT_BOUNDS[t.kind]
            return inner if tlo <= slo and shi <= thi else None
        if t.kind is not Kind.DECIMAL or t.precision > 18:
            return None
        if s.kind in T.INTEGER_KINDS:
            digits, shift = len(str(T.INT_BOUNDS[s.kind][1])), t.scale
        elif s.kind is Kind.DECIMAL and s.scale <= t.scale:
            digits, shift = s.precision, t.scale - s.scale
        else:
            return None
        if digits + shift > t.precision:
            return None
        return inner if shift == 0 else f"({inner} * {10 ** shift}LL)"


def _checked(name: str, op: str, a: str, b: str, t: T.DataType, bit: int) -> str:
    """`long long name = a op b;` in wrapping arithmetic, flagging the evaluator's overflow rule."""
    if t.kind is Kind.DECIMAL:
        limit = 10 ** min(t.precision, 18) - 1 if t.precision <= 18 else 2**63 - 1
        lo, hi = -limit, limit
    else:
        lo, hi = T.INT_BOUNDS[t.kind]
    wrapped = f"(long long)((unsigned long long){a} {_ARITH[op]} (unsigned long long){b})"
    if op == "mul":
        bad = f"fabs((double){a} * (double){b}) >= 9.2e18"
    elif op == "add":
        bad = f"((({a}) ^ {name}) & (({b}) ^ {name})) < 0"
    else:
        bad = f"((({a}) ^ ({b})) & (({a}) ^ {name})) < 0"
    if lo > -(2**63):
        bad += f" || {name} < {lo}LL || {name} > {hi}LL"
    return f"long long {name} = {wrapped};\n        if ({bad}) atomicOr(flags, {1 << bit});"


def row_body(src: RowSource, terms: list[str], statements: list[str]) -> str:
    """The loop body for row i: the filter's columns are loaded, then (on a passing row) the other
    columns, all before the row's statements run, so their loads are in flight together."""
    lines = [f"long long {name} = i{name}[i];" for name, _, _ in src.indices.values()]
    loads = {phase: [] for phase in (1, 2)}
    for cid, (name, row, phase) in src.loads.items():
        param, base = src.params[cid]
        guard = "" if phase == 1 else "keep ? "
        loads[phase].append(f"{CTYPES[base.data.dtype.name]} {name} = {guard}{param}[{row}]{'' if phase == 1 else ' : 0'};")
    lines += [*loads[1], f"bool keep = {' && '.join(['true', *(f'({t})' for t in terms)])};", *loads[2]]
    lines += ["if (keep) {", *statements, "}"]
    return "\n        ".join(lines)


def grid_for(xp, kernel, block: int, shared: int, n: int) -> int:
    """Blocks for `n` rows: no more than fit on the device at once (its SMs, each holding as many
    blocks as its threads, registers and shared memory allow), as the threads loop over the rows."""
    per_sm, sms = _device_limits(xp)
    threads, regs, smem = per_sm
    fit = min(threads // block, regs // max(1, kernel.num_regs * block), smem // (shared + 1024), 32)
    return max(1, min(sms * max(fit, 1), -(-n // block)))


def _device_limits(xp):
    """((threads, registers, shared bytes) per SM, SMs) of the current device, read once."""
    dev = xp.cuda.Device()
    got = _LIMITS.get(dev.id)
    if got is None:
        at = dev.attributes
        got = _LIMITS[dev.id] = ((at["MaxThreadsPerMultiProcessor"], at["MaxRegistersPerMultiprocessor"],
                                  at["MaxSharedMemoryPerMultiprocessor"]), at["MultiProcessorCount"])
    return got
