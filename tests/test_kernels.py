"""Kernel tests against naive pure-Python references on hypothesis-generated inputs."""
from __future__ import annotations

import decimal
import functools
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warpdb.errors import NotSupported
from warpdb.kernels import backend, join, keys, reduce, sort

xp = np
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64]
FLOAT_POOL = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.5, -2.25, 1e300, -1e-300, 3.0, 7.0]


# ---------------------------------------------------------------- strategies

@st.composite
def column(draw, n, kinds=("int", "float", "bool")):
    """``(values, valid)`` of length n: small pools for duplicates, extremes included."""
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        dtype = draw(st.sampled_from(INT_DTYPES))
        info = np.iinfo(dtype)
        edges = [0, 1, -1, int(info.min), int(info.min) + 1, int(info.max), int(info.max) - 1]
        pool = draw(st.lists(st.one_of(st.integers(int(info.min), int(info.max)), st.sampled_from(edges)),
                             min_size=1, max_size=6))
        pool += draw(st.sampled_from([[], [int(info.min)], [int(info.max)], [int(info.min), int(info.max)]]))
        vals = np.array(draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)), dtype=dtype)
    elif kind == "float":
        dtype = draw(st.sampled_from([np.float32, np.float64]))
        pool = FLOAT_POOL + draw(st.lists(st.floats(-1e6, 1e6), max_size=3))
        with np.errstate(over="ignore"):  # 1e300 becomes inf in float32
            vals = np.array(draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)), dtype=dtype)
    else:
        vals = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    valid = None
    if draw(st.booleans()):
        valid = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return vals, valid


@st.composite
def key_set(draw, max_keys=3, max_n=40, kinds=("int", "float", "bool")):
    n = draw(st.integers(0, max_n))
    k = draw(st.integers(1, max_keys))
    return n, [draw(column(n, kinds)) for _ in range(k)]


def pyval(values, valid, i):
    """The SQL value of row i as a hashable Python value (None for NULL, 'nan' for NaN)."""
    if valid is not None and not valid[i]:
        return None
    v = values[i]
    if values.dtype.kind == "f":
        return "nan" if math.isnan(v) else float(v) + 0.0
    return bool(v) if values.dtype.kind == "b" else int(v)


def row_tuple(cols, i):
    return tuple(pyval(v, m, i) for v, m in cols)


# ---------------------------------------------------------------- backend

def test_backend_cpu_and_gpu_probe():
    assert backend.array_module("cpu") is np
    assert isinstance(backend.gpu_available(), bool)
    if not backend.gpu_available():
        with pytest.raises(NotSupported):
            backend.array_module("gpu")
    with pytest.raises(ValueError):
        backend.array_module("tpu")
    a = np.arange(3)
    assert backend.to_host(np, a) is a


# ---------------------------------------------------------------- keys

def check_groups(cols, n, gid, n_groups, first):
    assert gid.dtype == np.int64 and first.dtype == np.int64 and gid.shape == (n,)
    seen = {}
    for i in range(n):
        seen.setdefault(row_tuple(cols, i), []).append(i)
    assert n_groups == len(seen) and first.shape == (n_groups,)
    for rows in seen.values():
        g = int(gid[rows[0]])
        assert 0 <= g < n_groups
        assert all(gid[r] == g for r in rows)
        assert first[g] == rows[0]
    assert len({int(gid[rows[0]]) for rows in seen.values()}) == n_groups


@SETTINGS
@given(key_set())
def test_group_ids_matches_reference(ks):
    n, cols = ks
    gid, n_groups, first = keys.group_ids(xp, cols)
    check_groups(cols, n, gid, n_groups, first)
    gid2, n2, first2 = keys.group_ids(xp, cols)
    assert n2 == n_groups and np.array_equal(gid, gid2) and np.array_equal(first, first2)


@SETTINGS
@given(st.integers(0, 3000), st.integers(1, 4), st.integers(0, 2**63 - 1), st.randoms(use_true_random=False))
def test_group_ids_wide_and_many_keys(n, k, span, rnd):
    """Big ranges (sort path), small ranges (table path) and radix overflow across keys."""
    rng = np.random.default_rng(rnd.randint(0, 2**32))
    cols = []
    for _ in range(k):
        lo = int(rng.integers(I64_MIN, I64_MAX - span, endpoint=True))
        pool = rng.integers(lo, lo + span, size=max(1, n // 7), endpoint=True)
        vals = pool[rng.integers(0, len(pool), size=n)]
        valid = rng.random(n) > 0.2 if rng.random() < 0.5 else None
        cols.append((vals, valid))
    gid, n_groups, first = keys.group_ids(xp, cols)
    check_groups(cols, n, gid, n_groups, first)


def test_group_ids_radix_overflow_no_collision():
    """Packing two 2**62-wide keys would wrap int64: (0, 0) and (4, 0) must stay apart."""
    a = np.array([0, 4, 2**62 - 1, 0, 4], np.int64)
    b = np.array([0, 0, 2**62 - 1, 2**62 - 1, 0], np.int64)
    for cols in ([(a, None), (b, None)], [(b, np.array([1, 1, 1, 1, 0], bool)), (a, None), (b * 0, None)]):
        gid, n_groups, first = keys.group_ids(xp, cols)
        check_groups(cols, 5, gid, n_groups, first)


def test_group_ids_zero_keys_and_empty():
    gid, g, first = keys.group_ids(xp, [], n=5)
    assert g == 1 and gid.tolist() == [0] * 5 and first.tolist() == [0]
    gid, g, first = keys.group_ids(xp, [], n=0)
    assert g == 0 and gid.size == 0 and first.size == 0
    gid, g, first = keys.group_ids(xp, [(np.zeros(0, np.int64), None)])
    assert g == 0 and gid.size == 0 and first.size == 0
    with pytest.raises(ValueError):
        keys.group_ids(xp, [])


def test_group_ids_uint64_and_bad_dtype():
    v = np.array([2**64 - 1, 0, 2**63, 2**64 - 1, 0], dtype=np.uint64)
    gid, g, first = keys.group_ids(xp, [(v, None)])
    assert g == 3 and sorted(first.tolist()) == [0, 1, 2] and gid[0] == gid[3] and gid[1] == gid[4]
    assert sort.sort_indices(xp, [(v, None, False, False)]).tolist() == [1, 4, 2, 0, 3]
    with pytest.raises(TypeError):
        keys.group_ids(xp, [(np.array(["a"], dtype=object), None)])


def test_group_ids_float_semantics():
    v = np.array([0.0, -0.0, np.nan, -np.nan, np.inf, 1.0, np.float64("nan")])
    gid, g, _ = keys.group_ids(xp, [(v, None)])
    assert g == 4 and gid[0] == gid[1] and gid[2] == gid[3] == gid[6]
    valid = np.array([1, 1, 1, 1, 1, 0, 0], bool)
    gid, g, _ = keys.group_ids(xp, [(v, valid)])
    assert g == 4 and gid[5] == gid[6]


@st.composite
def join_sides(draw):
    nk = draw(st.integers(1, 3))
    nl, nr = draw(st.integers(0, 25)), draw(st.integers(0, 25))
    left, right = [], []
    for _ in range(nk):
        pool = draw(st.lists(st.sampled_from([0, 1, 2, -1, 3.0, 2.0, -0.0, math.nan, 2**40, I64_MIN, I64_MAX]),
                             min_size=1, max_size=4))
        for side, m in ((left, nl), (right, nr)):
            kind = draw(st.sampled_from(["i32", "i64", "f64", "f32"]))
            vals = draw(st.lists(st.sampled_from(pool), min_size=m, max_size=m))
            if kind in ("i32", "i64"):
                info = np.iinfo(np.int32 if kind == "i32" else np.int64)
                vals = [int(v) if isinstance(v, int) or (v == v and float(v).is_integer()) else 0 for v in vals]
                vals = [min(max(v, int(info.min)), int(info.max)) for v in vals]
            arr = np.array(vals, dtype={"i32": np.int32, "i64": np.int64, "f64": np.float64, "f32": np.float32}[kind])
            valid = np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m)), bool) if draw(st.booleans()) else None
            side.append((arr, valid))
    return left, right


@SETTINGS
@given(join_sides())
def test_join_key_ids_matches_reference(sides):
    left, right = sides
    lid, rid = keys.join_key_ids(xp, left, right)
    cast = []
    for (lv, lm), (rv, rm) in zip(left, right):
        dt = np.result_type(lv.dtype, rv.dtype)
        cast.append(((lv.astype(dt), lm), (rv.astype(dt), rm)))
    lt = [tuple(pyval(c[0][0], c[0][1], i) for c in cast) for i in range(len(lid))]
    rt = [tuple(pyval(c[1][0], c[1][1], j) for c in cast) for j in range(len(rid))]
    for i, a in enumerate(lt):
        assert (lid[i] == -1) == (None in a)
    for j, b in enumerate(rt):
        assert (rid[j] == -1) == (None in b)
    for i, a in enumerate(lt):
        for j, b in enumerate(rt):
            if None not in a and None not in b:
                assert (lid[i] == rid[j]) == (a == b)


def test_join_key_ids_mixed_dtypes():
    lid, rid = keys.join_key_ids(xp, [(np.array([1, 2, 3], np.int32), None)],
                                 [(np.array([3.0, 1.0, 2.5, -0.0]), np.array([1, 1, 1, 0], bool))])
    assert lid[0] == rid[1] and lid[2] == rid[0] and rid[3] == -1 and rid[2] not in lid.tolist()
    with pytest.raises(ValueError):
        keys.join_key_ids(xp, [], [])


# ---------------------------------------------------------------- join

ids_st = st.lists(st.integers(-1, 6), max_size=30).map(lambda v: np.array(v, dtype=np.int64))


def ref_inner(lid, rid):
    return [(i, j) for i in range(len(lid)) for j in range(len(rid)) if lid[i] >= 0 and lid[i] == rid[j]]


def pairs(li, ri):
    assert li.dtype == np.int64 and ri.dtype == np.int64
    return list(zip(li.tolist(), ri.tolist()))


@SETTINGS
@given(ids_st, ids_st)
def test_join_pairs(lid, rid):
    nl, nr = len(lid), len(rid)
    inner = ref_inner(lid, rid)
    assert pairs(*join.inner_pairs(xp, lid, rid)) == inner
    left = []
    for i in range(nl):
        m = [p for p in inner if p[0] == i]
        left += m or [(i, -1)]
    assert pairs(*join.left_pairs(xp, lid, rid)) == left
    matched_r = {j for _, j in inner}
    full = left + [(-1, j) for j in range(nr) if j not in matched_r]
    assert pairs(*join.full_pairs(xp, lid, rid)) == full
    semi = [any(p[0] == i for p in inner) for i in range(nl)]
    assert join.semi_mask(xp, lid, rid).tolist() == semi
    assert join.anti_mask(xp, lid, rid).tolist() == [not s for s in semi]


@SETTINGS
@given(ids_st, ids_st, st.randoms(use_true_random=False))
def test_filter_pairs_any(lid, rid, rnd):
    li, ri = join.inner_pairs(xp, lid, rid)
    keep = np.array([rnd.random() < 0.5 for _ in range(len(li))], dtype=bool)
    expect = [False] * len(lid)
    for a, k in zip(li.tolist(), keep.tolist()):
        expect[a] |= k
    assert join.filter_pairs_any(xp, li, ri, keep, len(lid)).tolist() == expect


@pytest.mark.parametrize("nl,nr", [(0, 0), (0, 3), (3, 0), (2, 3)])
def test_cross_pairs(nl, nr):
    assert pairs(*join.cross_pairs(xp, nl, nr)) == [(i, j) for i in range(nl) for j in range(nr)]


def test_inner_pairs_large_skewed():
    rng = np.random.default_rng(1)
    lid = rng.integers(-1, 50, 5000) ** 2 % 61
    rid = np.concatenate([np.zeros(300, np.int64), rng.integers(-1, 60, 3000)])
    li, ri = join.inner_pairs(xp, lid, rid)
    assert np.all(lid[li] == rid[ri]) and np.all(lid[li] >= 0)
    order = np.lexsort((ri, li))
    assert np.array_equal(order, np.arange(len(li)))
    counts = {v: int((rid == v).sum()) for v in range(61)}
    assert len(li) == sum(counts[v] for v in lid.tolist() if v >= 0)


# ---------------------------------------------------------------- sort

def ref_sort(cols, spec, n):
    def cmp_val(a, b):
        if a == b:
            return 0
        if a == "nan":
            return 1
        if b == "nan":
            return -1
        return -1 if a < b else 1

    def cmp(i, j):
        for (values, valid), (desc, nulls_first) in zip(cols, spec):
            a, b = pyval(values, valid, i), pyval(values, valid, j)
            if a is None or b is None:
                if a is None and b is None:
                    continue
                return (-1 if a is None else 1) * (1 if nulls_first else -1)
            c = cmp_val(a, b) * (-1 if desc else 1)
            if c:
                return c
        return 0

    return sorted(range(n), key=functools.cmp_to_key(cmp))


@st.composite
def sort_case(draw):
    n, cols = draw(key_set(max_keys=3, max_n=40))
    spec = [(draw(st.booleans()), draw(st.booleans())) for _ in cols]
    return n, cols, spec, [(v, m, d, nf) for (v, m), (d, nf) in zip(cols, spec)]


@SETTINGS
@given(sort_case())
def test_sort_indices_matches_reference(case):
    n, cols, spec, skeys = case
    perm = sort.sort_indices(xp, skeys)
    assert perm.dtype == np.int64
    assert perm.tolist() == ref_sort(cols, spec, n)


@SETTINGS
@given(sort_case(), st.integers(0, 45))
def test_top_k_matches_full_sort(case, k):
    n, cols, spec, skeys = case
    assert sort.top_k_indices(xp, skeys, k).tolist() == sort.sort_indices(xp, skeys)[:k].tolist()


def test_top_k_partition_path_with_ties():
    rng = np.random.default_rng(7)
    n = 4000
    a = rng.integers(0, 5, n)
    b = rng.standard_normal(n)
    b[rng.random(n) < 0.05] = np.nan
    valid = rng.random(n) > 0.1
    for nulls_first in (False, True):
        skeys = [(a, valid, True, nulls_first), (b, None, False, False)]
        full = sort.sort_indices(xp, skeys)
        for k in (1, 10, 300, 999):
            assert np.array_equal(sort.top_k_indices(xp, skeys, k), full[:k])


def test_sort_extremes_desc_no_overflow():
    v = np.array([0, I64_MIN, I64_MAX, -1, I64_MIN, 5], dtype=np.int64)
    valid = np.array([1, 1, 1, 1, 1, 0], bool)
    assert sort.sort_indices(xp, [(v, valid, True, False)]).tolist() == [2, 0, 3, 1, 4, 5]
    assert sort.sort_indices(xp, [(v, valid, True, True)]).tolist() == [5, 2, 0, 3, 1, 4]
    assert sort.sort_indices(xp, [(v, valid, False, True)]).tolist() == [5, 1, 4, 3, 0, 2]
    assert sort.sort_indices(xp, [(v, valid, False, False)]).tolist() == [1, 4, 3, 0, 2, 5]
    assert sort.sort_indices(xp, [(np.zeros(0), None, False, False)]).size == 0
    wide = np.array([2**63 - 1, 0, 5, 0], np.int64)  # span 2**63 after a constant key
    skeys = [(np.zeros(4, np.int8), None, False, False), (wide, None, False, False), (wide, None, True, False)]
    assert sort.sort_indices(xp, skeys).tolist() == [1, 3, 2, 0]
    with pytest.raises(ValueError):
        sort.sort_indices(xp, [])


# ---------------------------------------------------------------- reductions

@st.composite
def grouped(draw, kinds, max_n=40):
    n = draw(st.integers(0, max_n))
    n_groups = draw(st.integers(1 if n else 0, 5))
    gid = np.array(draw(st.lists(st.integers(0, max(n_groups - 1, 0)), min_size=n, max_size=n)), dtype=np.int64)
    return gid, n_groups, draw(column(n, kinds))


def ref_groups(gid, n_groups, values, valid):
    out = [[] for _ in range(n_groups)]
    for i, g in enumerate(gid.tolist()):
        if valid is None or valid[i]:
            out[g].append(values[i].item())
    return out


@SETTINGS
@given(grouped(("int", "float", "bool")))
def test_counts_min_max(case):
    gid, n_groups, (values, valid) = case
    layout = reduce.GroupLayout(xp, gid, n_groups)
    ref = ref_groups(gid, n_groups, values, valid)
    assert reduce.count_rows(layout).tolist() == [int((gid == g).sum()) for g in range(n_groups)]
    assert reduce.count_valid(layout, valid).tolist() == [len(r) for r in ref]
    for is_max in (False, True):
        out, has = reduce.min_max(layout, values, valid, is_max)
        assert out.dtype == values.dtype and has.tolist() == [bool(r) for r in ref]
        for g, r in enumerate(ref):
            if not r:
                continue
            nums = [x for x in r if not (isinstance(x, float) and math.isnan(x))]
            if is_max:
                expect = math.nan if len(nums) < len(r) else max(nums)
            else:
                expect = min(nums) if nums else math.nan
            got = out[g].item()
            assert (math.isnan(got) and math.isnan(expect)) if expect != expect else got == expect


@SETTINGS
@given(grouped(("int", "bool")))
def test_sum_int_exact_small(case):
    gid, n_groups, (values, valid) = case
    layout = reduce.GroupLayout(xp, gid, n_groups)
    hi, lo, has = reduce.sum_int_exact(layout, values, valid)
    ref = ref_groups(gid, n_groups, values, valid)
    assert has.tolist() == [bool(r) for r in ref]
    assert np.all((lo >= 0) & (lo < 2**32))
    sums = [int(h) * 2**32 + int(l) for h, l in zip(hi.tolist(), lo.tolist())]
    assert sums == [sum(int(x) for x in r) for r in ref]
    value, overflow = reduce.combine_hi_lo_to_int64(xp, hi, lo)
    for s, v, o in zip(sums, value.tolist(), overflow.tolist()):
        assert o == (not I64_MIN <= s <= I64_MAX)
        if not o:
            assert v == s


@SETTINGS
@given(st.integers(1, 400), st.integers(1, 4), st.sampled_from([2**62, 2**63 - 1, -(2**63), 2**40]),
       st.randoms(use_true_random=False))
def test_sum_int_exact_overflowing_totals(n, n_groups, base, rnd):
    rng = np.random.default_rng(rnd.randint(0, 2**32))
    jitter = rng.integers(-1000, 1000, n)
    values = np.where(base > 0, np.int64(base) - np.abs(jitter), np.int64(base) + np.abs(jitter)).astype(np.int64)
    if rnd.random() < 0.3:
        values[rng.random(n) < 0.3] *= -1
    valid = rng.random(n) > 0.2 if rnd.random() < 0.5 else None
    gid = rng.integers(0, n_groups, n)
    layout = reduce.GroupLayout(xp, gid, n_groups)
    hi, lo, has = reduce.sum_int_exact(layout, values, valid)
    ref = ref_groups(gid, n_groups, values, valid)
    exact = [sum(r) for r in ref]
    assert [int(h) * 2**32 + int(l) for h, l in zip(hi.tolist(), lo.tolist())] == exact
    _, overflow = reduce.combine_hi_lo_to_int64(xp, hi, lo)
    assert overflow.tolist() == [not I64_MIN <= s <= I64_MAX for s in exact]
    for scale in (0, 2, 9):
        arr = reduce.hi_lo_to_decimal128_arrow(hi, lo, has, 38, scale)
        assert arr.type == pa.decimal128(38, scale)
        expect = [decimal.Decimal(s).scaleb(-scale) if r else None for s, r in zip(exact, ref)]
        assert arr.to_pylist() == expect
        arr.validate(full=True)


def test_big_sum_many_rows_near_2_62():
    n = 100_000
    values = np.full(n, 2**62 + 12345, dtype=np.int64)
    values[::3] = -(2**63)
    gid = np.zeros(n, np.int64)
    hi, lo, has = reduce.sum_int_exact(reduce.GroupLayout(xp, gid, 1), values, None)
    exact = (n - len(values[::3])) * (2**62 + 12345) + len(values[::3]) * -(2**63)
    assert int(hi[0]) * 2**32 + int(lo[0]) == exact
    arr = reduce.hi_lo_to_decimal128_arrow(hi, lo, None, 38, 3)
    assert arr.to_pylist() == [decimal.Decimal(exact).scaleb(-3)] and arr.null_count == 0


def test_sum_int_exact_rejects_uint64():
    layout = reduce.GroupLayout(xp, np.zeros(2, np.int64), 1)
    with pytest.raises(TypeError):
        reduce.sum_int_exact(layout, np.array([1, 2], np.uint64), None)


@SETTINGS
@given(grouped(("int", "float")))
def test_sum_float_and_moments(case):
    gid, n_groups, (values, valid) = case
    if values.dtype.kind == "f":
        values = np.where(np.isfinite(values) & (np.abs(values) < 1e30), values, 1.25).astype(values.dtype)
    layout = reduce.GroupLayout(xp, gid, n_groups)
    ref = ref_groups(gid, n_groups, values, valid)
    sums, has = reduce.sum_float(layout, values, valid)
    assert sums.dtype == np.float64 and has.tolist() == [bool(r) for r in ref]
    count, mean, m2 = reduce.moments(layout, values, valid)
    assert count.tolist() == [len(r) for r in ref]
    for g, r in enumerate(ref):
        xs = [float(x) for x in r]
        scale = max([abs(x) for x in xs] + [1.0]) * max(len(xs), 1)
        assert math.isclose(sums[g], math.fsum(xs), rel_tol=1e-12, abs_tol=1e-12 * scale)
        if xs:
            mu = math.fsum(xs) / len(xs)
            assert math.isclose(mean[g], mu, rel_tol=1e-12, abs_tol=1e-12 * scale)
            ref_m2 = math.fsum((x - mu) ** 2 for x in xs)
            assert math.isclose(m2[g], ref_m2, rel_tol=1e-9, abs_tol=1e-9 * scale * scale)


def test_moments_stable_with_large_offset():
    values = 1e9 + np.array([4.0, 7.0, 13.0, 16.0])
    count, mean, m2 = reduce.moments(reduce.GroupLayout(xp, np.zeros(4, np.int64), 1), values, None)
    assert count[0] == 4 and mean[0] == 1e9 + 10 and m2[0] == 90.0


def test_float_specials():
    layout = reduce.GroupLayout(xp, np.array([0, 0, 1, 1, 2, 2, 3]), 4)
    v = np.array([np.nan, 1.0, np.nan, np.nan, np.inf, -np.inf, 2.0])
    valid = np.array([1, 1, 1, 1, 1, 1, 0], bool)
    mx, has = reduce.min_max(layout, v, valid, True)
    mn, _ = reduce.min_max(layout, v, valid, False)
    assert np.isnan(mx[0]) and mn[0] == 1.0 and np.isnan(mx[1]) and np.isnan(mn[1])
    assert mx[2] == np.inf and mn[2] == -np.inf and has.tolist() == [True, True, True, False]
    s, _ = reduce.sum_float(layout, v, valid)
    assert np.isnan(s[0]) and np.isnan(s[2]) and s[3] == 0.0


@SETTINGS
@given(grouped(("bool",)))
def test_bool_and_or(case):
    gid, n_groups, (values, valid) = case
    layout = reduce.GroupLayout(xp, gid, n_groups)
    ref = ref_groups(gid, n_groups, values, valid)
    for is_and in (True, False):
        out, has = reduce.bool_and_or(layout, values, valid, is_and)
        assert has.tolist() == [bool(r) for r in ref]
        for g, r in enumerate(ref):
            if r:
                assert out[g] == (all(r) if is_and else any(r))


@SETTINGS
@given(grouped(("int", "float", "bool")))
def test_count_distinct(case):
    gid, n_groups, (values, valid) = case
    out = reduce.count_distinct(xp, gid, n_groups, values, valid)
    assert out.dtype == np.int64
    expect = [0] * n_groups
    distinct = {(int(g), pyval(values, valid, i)) for i, g in enumerate(gid.tolist())}
    for g, v in distinct:
        if v is not None:
            expect[g] += 1
    assert out.tolist() == expect


def test_empty_and_no_group_layouts():
    empty = np.zeros(0, np.int64)
    for n_groups in (0, 1, 3):
        layout = reduce.GroupLayout(xp, empty, n_groups)
        assert reduce.count_rows(layout).tolist() == [0] * n_groups
        hi, lo, has = reduce.sum_int_exact(layout, empty, None)
        assert hi.tolist() == lo.tolist() == [0] * n_groups and not has.any()
        s, has = reduce.sum_float(layout, np.zeros(0), np.zeros(0, bool))
        assert s.shape == (n_groups,) and not has.any()
        mn, has = reduce.min_max(layout, np.zeros(0, np.int32), None, False)
        assert mn.shape == (n_groups,) and mn.dtype == np.int32 and not has.any()
        count, mean, m2 = reduce.moments(layout, np.zeros(0), None)
        assert count.shape == mean.shape == m2.shape == (n_groups,)
        out, has = reduce.bool_and_or(layout, np.zeros(0, bool), None, True)
        assert out.shape == (n_groups,) and not has.any()
        assert reduce.count_distinct(xp, empty, n_groups, empty, None).tolist() == [0] * n_groups
        assert reduce.hi_lo_to_decimal128_arrow(hi, lo, has, 38, 2).to_pylist() == [None] * n_groups
    layout = reduce.GroupLayout(xp, np.zeros(4, np.int64), 1)
    mx, has = reduce.min_max(layout, np.array([1, 9, 3, 2], np.int8), np.zeros(4, bool), True)
    assert not has[0]
    mx, has = reduce.min_max(layout, np.array([1, 9, 3, 2], np.int8), None, True)
    assert mx.tolist() == [9] and has[0]


def test_layout_with_empty_groups():
    gid = np.array([3, 0, 3, 3], np.int64)
    layout = reduce.GroupLayout(xp, gid, 5)
    assert reduce.count_rows(layout).tolist() == [1, 0, 0, 3, 0]
    s, has = reduce.sum_float(layout, np.array([1.0, 2.0, 3.0, 4.0]), None)
    assert s.tolist() == [2.0, 0.0, 0.0, 8.0, 0.0] and has.tolist() == [True, False, False, True, False]
    mx, _ = reduce.min_max(layout, np.array([1.0, 2.0, 3.0, 4.0]), None, True)
    assert mx[0] == 2.0 and mx[3] == 4.0


@SETTINGS
@given(st.lists(st.integers(-1, 20), max_size=40), st.lists(st.integers(-1, 20), max_size=40))
def test_unique_build_pairs_equal_inner_pairs(probe, build):
    probe, build = np.array(probe, np.int64), np.array(build, np.int64)
    got = join.unique_build_pairs(xp, probe, build)
    valid_build = build[build >= 0]
    if probe.shape[0] and np.unique(valid_build).shape[0] != valid_build.shape[0]:
        assert got is None
        return
    li, ri = join.inner_pairs(xp, probe, build)
    expected = sorted(zip(li.tolist(), ri.tolist()))
    assert sorted(zip(got[0].tolist(), got[1].tolist())) == expected
