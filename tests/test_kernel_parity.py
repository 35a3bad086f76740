"""Every kernel's GPU (CuPy) result equals its CPU (NumPy / Arrow) twin on random inputs.

Inputs mix NULLs, duplicates, skewed keys, extreme values and empty arrays. Runs on the GPU machine
(`gpu` marker); skipped where CuPy or a CUDA device is missing.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from warpdb.kernels import backend, compact, gather, hash_join, join, keys, privatized, reduce, sort
from warpdb.kernels import strings as ks

pytestmark = pytest.mark.gpu
if not backend.gpu_available():
    pytest.skip("needs a CUDA GPU with CuPy", allow_module_level=True)
import cupy as cp

SIZES = [0, 1, 7, 1000, 100_000]
SEEDS = range(3)


def host(a):
    return cp.asnumpy(a) if isinstance(a, cp.ndarray) else a


def same(a, b, rel=1e-9):
    a, b = host(a), host(b)
    if a is None or b is None:
        assert a is None and b is None
        return
    assert a.shape == b.shape, (a.shape, b.shape)
    if a.dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=rel, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, b)


def skewed(rng, n, card, dtype=np.int64):
    """Keys with a few heavy hitters and a long tail."""
    heavy = rng.integers(0, max(card, 1), 3)
    tail = rng.integers(0, max(card, 1), n)
    pick = rng.random(n) < 0.6
    return np.where(pick, heavy[rng.integers(0, 3, n)], tail).astype(dtype)


def nulls(rng, n, frac):
    return None if frac == 0 else rng.random(n) >= frac


def both(fn, *arrays):
    """fn on NumPy arrays and on their CuPy copies (None passes through)."""
    dev = [None if a is None else (cp.asarray(a) if isinstance(a, np.ndarray) else a) for a in arrays]
    return fn(np, *arrays), fn(cp, *dev)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_group_ids(n, seed):
    rng = np.random.default_rng(seed)
    a = skewed(rng, n, 50)
    b = rng.choice(np.array([0.0, -0.0, np.nan, 1.5, np.inf]), n)
    va, vb = nulls(rng, n, 0.2), nulls(rng, n, 0.1 * seed)
    (g1, n1, f1), (g2, n2, f2) = both(lambda xp, a, b, va, vb: keys.group_ids(xp, [(a, va), (b, vb)]), a, b, va, vb)
    assert n1 == n2
    same(g1, g2)
    same(f1, f2)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("card", [5, 10**9])
def test_join_pairs(n, seed, card):
    rng = np.random.default_rng(seed)
    if card == 5:
        n = min(n, 1000)  # skewed keys on both sides: pairs grow with n squared
    lk, rk = skewed(rng, n, card), skewed(rng, n // 2 + 1, card)
    lv, rv = nulls(rng, n, 0.1), nulls(rng, n // 2 + 1, 0.1 * seed)

    def ids(xp, lk, rk, lv, rv):
        return keys.join_key_ids(xp, [(lk, lv)], [(rk, rv)])

    (l1, r1), (l2, r2) = both(ids, lk, rk, lv, rv)
    same(l1, l2)
    same(r1, r2)
    for fn in (join.inner_pairs, join.left_pairs, join.full_pairs):
        (a1, b1), (a2, b2) = fn(np, l1, r1), fn(cp, l2, r2)
        order1, order2 = np.lexsort((host(b1), host(a1))), np.lexsort((host(b2), host(a2)))
        same(host(a1)[order1], host(a2)[order2])
        same(host(b1)[order1], host(b2)[order2])
    same(join.semi_mask(np, l1, r1), join.semi_mask(cp, l2, r2))
    ub = np.unique(r1)
    ub = np.concatenate([ub, [-1, -1]])[np.random.default_rng(seed).permutation(ub.shape[0] + 2)]
    u1, u2 = join.unique_build_pairs(np, l1, ub), join.unique_build_pairs(cp, l2, cp.asarray(ub))
    assert (u1 is None) == (u2 is None)
    if u1 is not None:
        same(u1[0], u2[0])
        same(u1[1], u2[1])
    same(join.anti_mask(np, l1, r1), join.anti_mask(cp, l2, r2))


def _gathered(cols, idx):
    """Key columns read at `idx` (-1: a NULL row), as the CPU kernels take them."""
    if idx is None:
        return list(cols)
    safe = np.where(idx < 0, 0, idx)
    return [(v[safe], (idx >= 0) if m is None else (m[safe] & (idx >= 0))) for v, m in cols]


def _key_side(xp, cols, idx, n):
    conv = (lambda a: a) if xp is np else (lambda a: None if a is None else cp.asarray(a))
    return hash_join.KeySide(tuple((conv(v), conv(m)) for v, m in cols), conv(idx), n)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("nkeys", [1, 2])
@pytest.mark.parametrize("unique", [True, False])
def test_hash_join_matches_key_id_join(n, seed, nkeys, unique):
    rng = np.random.default_rng(seed)
    nb = max(n // 3, 1) if n else 0
    base_b = rng.permutation(4 * nb + 8)[:nb].astype(np.int64) - 2 * nb
    if not unique and nb > 1:
        base_b[rng.integers(0, nb)] = base_b[0]
    small = rng.integers(0, 3, nb).astype(np.int32)
    bcols = [(base_b, nulls(rng, nb, 0.1) if seed == 1 else None)] + ([(small, None)] if nkeys == 2 else [])
    pvals = np.where(rng.random(n) < 0.5, base_b[rng.integers(0, max(nb, 1), n)] if nb else 0,
                     rng.integers(-3 * nb - 5, 3 * nb + 5, n)).astype(np.int32)
    pcols = [(pvals, nulls(rng, n, 0.2))] + ([(rng.integers(0, 3, n).astype(np.int8), None)] if nkeys == 2 else [])
    pidx = None
    if seed == 2 and n:
        pidx = rng.integers(-1, n, n + 5).astype(np.int64)
    bidx = rng.permutation(nb).astype(np.int64) if seed else None
    np_rows = n if pidx is None else n + 5
    lid, rid = keys.join_key_ids(np, _gathered(pcols, pidx), _gathered(bcols, bidx)) if np_rows and nb else (
        np.zeros(np_rows, np.int64), np.zeros(nb, np.int64))
    expect = join.unique_build_pairs(np, lid, rid)
    got = hash_join.pairs(cp, _key_side(cp, pcols, pidx, np_rows), _key_side(cp, bcols, bidx, nb))
    if expect is not None:
        same(expect[0], got[0])
        same(expect[1], got[1])
    same(join.semi_mask(np, lid, rid),
         hash_join.presence(cp, _key_side(cp, pcols, pidx, np_rows), _key_side(cp, bcols, bidx, nb)))
    same(join.semi_mask(np, rid, lid),
         hash_join.presence(cp, _key_side(cp, bcols, bidx, nb), _key_side(cp, pcols, pidx, np_rows)))
    expect_all = join.inner_pairs(np, lid, rid)
    assert np.all(np.diff(host(got[0])) >= 0)
    assert sorted(zip(host(got[0]).tolist(), host(got[1]).tolist())) == \
        sorted(zip(expect_all[0].tolist(), expect_all[1].tolist()))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("groups", [1, 4, privatized.MAX_SLOTS, 50_000])
def test_reductions(n, seed, groups):
    rng = np.random.default_rng(seed)
    gid = skewed(rng, n, groups)
    ints = rng.integers(-(2**62), 2**62, n) if seed == 2 else rng.integers(-1000, 1000, n)
    floats = rng.normal(size=n) * 1e6
    valid = nulls(rng, n, 0.25)
    bools = rng.random(n) < 0.5

    def run(xp, gid, ints, floats, valid, bools):
        layout = reduce.GroupLayout(xp, gid, groups)
        return {
            "counts": layout.counts,
            "count_valid": reduce.count_valid(layout, valid),
            "sum_int": reduce.sum_int_exact(layout, ints, valid),
            "sum_float": reduce.sum_float(layout, floats, valid),
            "min": reduce.min_max(layout, floats, valid, False),
            "max": reduce.min_max(layout, ints, valid, True),
            "moments": reduce.moments(layout, floats, valid),
            "bool_and": reduce.bool_and_or(layout, bools, valid, True),
            "distinct": reduce.count_distinct(xp, gid, groups, ints % 7, valid),
        }

    cpu, gpu = both(run, gid, ints, floats, valid, bools)
    for name in cpu:
        a, b = cpu[name], gpu[name]
        for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
            same(x, y, rel=1e-6 if name == "moments" else 1e-9)


@pytest.mark.parametrize("slots", [1, 3, 100, privatized.MAX_SLOTS])
@pytest.mark.parametrize("op", ["add", "min", "max"])
def test_privatized_scatter(slots, op):
    rng = np.random.default_rng(slots)
    n = 300_000
    idx = skewed(rng, n, slots)
    vals = rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64)
    fill = {"add": 0, "min": 2**63 - 1, "max": -(2**63)}[op]
    t1, t2 = np.full(slots, fill, np.int64), cp.full(slots, fill, cp.int64)
    getattr(backend, f"scatter_{op}")(np, t1, idx, vals)
    getattr(backend, f"scatter_{op}")(cp, t2, cp.asarray(idx), cp.asarray(vals))
    same(t1, t2)
    same(backend.bincount(np, idx, slots), backend.bincount(cp, cp.asarray(idx), slots))


@pytest.mark.parametrize("slots", [privatized.MAX_SLOTS + 1, 1_500_000])
def test_bincount_many_slots(slots):
    rng = np.random.default_rng(slots)
    idx = skewed(rng, 2_000_000, slots)
    same(backend.bincount(np, idx, slots), backend.bincount(cp, cp.asarray(idx), slots))
    same(backend.bincount(np, idx[:0], slots), backend.bincount(cp, cp.asarray(idx[:0]), slots))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_sort_and_top_k(n, seed):
    rng = np.random.default_rng(seed)
    a = skewed(rng, n, 30)
    b = rng.normal(size=n)
    va = nulls(rng, n, 0.2)

    def order(xp, a, b, va):
        ks_ = [(a, va, True, False), (b, None, False, True)]
        return sort.sort_indices(xp, ks_), sort.top_k_indices(xp, ks_, 10)

    (s1, t1), (s2, t2) = both(order, a, b, va)
    same(s1, s2)
    same(t1, t2)


ALPHABET = ["a", "b", "A", "%", "_", "é", "ß", "x", " ", "Z"]


def random_strings(rng, n):
    lengths = rng.integers(0, 12, n)
    return [("".join(rng.choice(ALPHABET, k)) if rng.random() > 0.05 else None) for k in lengths]


def random_pattern(rng):
    return "".join(rng.choice(ALPHABET + ["%", "_", "%"], rng.integers(0, 6)))


@pytest.mark.parametrize("seed", range(6))
def test_like_kernel_matches_arrow(seed):
    rng = np.random.default_rng(seed)
    values = pa.array(random_strings(rng, 3000) + ["", "%", "_"], pa.string())
    dictionary = pc.unique(values.drop_null())
    ds = ks.device_strings(cp, dictionary)
    for _ in range(40):
        pattern = random_pattern(rng)
        got = host(ks.like_match(cp, ds, ks.parse_like(pattern)))
        want = pc.match_like(dictionary, pattern=pattern.replace("\\", "\\\\")).to_numpy(zero_copy_only=False)
        assert (got == want).all(), pattern
        escaped = ks.parse_like(pattern.replace("!", "!!").replace("%", "!%").replace("_", "!_"), "!")
        want_lit = pc.equal(dictionary, pattern).to_numpy(zero_copy_only=False)
        assert (host(ks.like_match(cp, ds, escaped)) == want_lit).all(), pattern


@pytest.mark.parametrize("seed", range(3))
def test_like_kernel_on_long_strings(seed):
    """Literal-segment patterns (the one-warp-per-entry kernel) over strings longer than a warp's 32
    start positions, with repeats of the pattern's pieces and multi-byte characters."""
    rng = np.random.default_rng(seed)
    pieces = ["ab", "ba", "special", "requests", "é", "ß", " ", "x", "spec"]
    values = ["".join(rng.choice(pieces, rng.integers(0, 40))) for _ in range(3000)] + ["", "ab", "abab"]
    dictionary = pc.unique(pa.array(values, pa.string()))
    ds = ks.device_strings(cp, dictionary)
    patterns = ["%special%requests%", "ab%", "%ab", "ab", "", "%ab%ba%", "ab%ab", "%é%ß%", "spec%req%",
                "%x", "abab%abab", "%specialrequests%", "ba%ab%ab"]
    patterns += ["%" + "%".join(rng.choice(pieces, rng.integers(1, 4))) + rng.choice(["%", ""]) for _ in range(30)]
    for pattern in patterns:
        got = host(ks.like_match(cp, ds, ks.parse_like(pattern)))
        want = pc.match_like(dictionary, pattern=pattern).to_numpy(zero_copy_only=False)
        assert (got == want).all(), pattern


@pytest.mark.parametrize("seed", range(3))
def test_literal_and_ilike_kernels(seed):
    rng = np.random.default_rng(seed)
    words = ["Customer", "customer", "Complaints", "promo", "PROMO BRUSHED", "forest green", ""]
    dictionary = pc.unique(pa.array([" ".join(rng.choice(words, 3)) for _ in range(2000)] + words))
    ds = ks.device_strings(cp, dictionary)
    assert ds.ascii
    for text in ["PROMO", "green", "", "Customer Complaints", "s"]:
        for mode, fn in [("prefix", pc.starts_with), ("suffix", pc.ends_with), ("contains", pc.match_substring)]:
            got = host(ks.like_match(cp, ds, ks.literal_pattern(text, mode)))
            assert (got == fn(dictionary, pattern=text).to_numpy(zero_copy_only=False)).all(), (text, mode)
        got = host(ks.like_match(cp, ds, ks.literal_pattern(text, "eq")))
        assert (got == pc.equal(dictionary, text).to_numpy(zero_copy_only=False)).all()
        got = host(ks.like_match(cp, ds, ks.parse_like(f"%{text.lower()}%"), ignore_case=True))
        want = pc.match_like(dictionary, pattern=f"%{text}%", ignore_case=True).to_numpy(zero_copy_only=False)
        assert (got == want).all(), text


@pytest.mark.parametrize("begin,end", [(0, 2), (0, 0), (3, 5), (20, 25), (0, None), (1, 7)])
def test_ascii_substring_kernel(begin, end):
    rng = np.random.default_rng(begin)
    dictionary = pc.unique(pa.array(["".join(rng.choice(list("ab0-9 "), rng.integers(0, 9))) for _ in range(3000)]))
    ds = ks.device_strings(cp, dictionary)
    packed = ks.ascii_substring_packed(cp, ds, begin, end)
    stop = 2**62 if end is None else end
    want = pc.utf8_slice_codeunits(dictionary, start=begin, stop=stop)
    if packed is None:
        assert max(len(s) for s in want.to_pylist()) > 7
        return
    assert ks.unpack_strings(host(packed)).equals(want)
    order = np.argsort(host(packed), kind="stable")
    assert ks.unpack_strings(host(packed)[order]).equals(want.take(pc.sort_indices(want)))


PREDICATES = [
    "a < 5 AND b >= 2",
    "a BETWEEN -3 AND 7 AND d < DATE '2020-03-01'",
    "a IN (1, 2, 3, -9223372036854775807) OR NOT (b <> 4)",
    "p > 1.50 AND flag",
    "NOT flag AND a = b",
    "a < 5 AND n IS NULL",
    "n > 3 AND a > -100",
]


@pytest.mark.parametrize("seed", range(3))
def test_fused_predicates_match_cpu(seed):
    import warpdb

    rng = np.random.default_rng(seed)
    n = 50_000
    table = pa.table({
        "a": rng.integers(-20, 20, n), "b": rng.integers(0, 8, n).astype(np.int32),
        "d": pa.array(rng.integers(18250, 18450, n).astype(np.int32)).cast(pa.date32()),
        "p": pa.array(rng.integers(0, 500, n)).cast(pa.decimal128(19, 0)).cast(pa.decimal128(12, 2)),
        "flag": rng.random(n) < 0.5,
        "n": pa.array(np.where(rng.random(n) < 0.3, None, rng.integers(0, 9, n)).tolist(), pa.int64()),
    })
    results = []
    for device in ("cpu", "gpu"):
        con = warpdb.connect(device=device)
        con.register("t", table)
        results.append([con.sql(f"SELECT count(*), sum(a), min(b) FROM t WHERE {p}").fetchall() for p in PREDICATES])
    assert results[0] == results[1]


def test_fetch_moves_mixed_arrays_in_one_transfer():
    rng = np.random.default_rng(5)
    host_arrays = [rng.integers(-5, 5, 7).astype(np.int32), rng.random(9) < 0.5, rng.integers(0, 2**62, 4),
                   np.zeros(0, np.int64), rng.random(10)[::2], np.array([1, -2], np.int8), rng.random(3)]
    device_arrays = [cp.asarray(a) for a in host_arrays[:4]] + [cp.asarray(rng.random(10))[::2]] + \
        [cp.asarray(a) for a in host_arrays[5:]]
    got = backend.fetch(cp, device_arrays)
    for d in device_arrays:
        h = got[id(d)]
        assert h.dtype == d.dtype and h.shape == d.shape and h.flags.aligned
        same(cp.asnumpy(d), h)


@pytest.mark.parametrize("n", [0, 1, 1000, 100_000])
@pytest.mark.parametrize("seed", SEEDS)
def test_hash_matched_with_condition(n, seed):
    """Semi joins with a residual decided in the probe: per probe row and per build row, against the
    key-id pairs filtered by the same condition on the CPU."""
    rng = np.random.default_rng(seed)
    nb = max(n // 2, 1) if n else 0
    bk, bv = rng.integers(0, max(n // 8, 2), nb), rng.integers(0, 3, nb)
    pk, pv = rng.integers(0, max(n // 6, 3), n).astype(np.int32), rng.integers(0, 3, n)
    pvalid = nulls(rng, n, 0.1)
    bidx = rng.permutation(nb).astype(np.int64) if seed else None
    columns = [("x0", pv), ("x1", bv)] + ([("x2", bidx)] if bidx is not None else [])
    condition = "x0[j] != x1[x2[k]]" if bidx is not None else "x0[j] != x1[k]"
    probe, build = _key_side(cp, [(pk, pvalid)], None, n), _key_side(cp, [(bk, None)], bidx, nb)
    dev_columns = [(name, cp.asarray(a)) for name, a in columns]
    got_probe = hash_join.matched_with(cp, probe, build, condition, dev_columns, False)
    got_build = hash_join.matched_with(cp, probe, build, condition, dev_columns, True)
    bkk = bk if bidx is None else bk[bidx]
    bvv = bv if bidx is None else bv[bidx]
    if n and nb:
        lid, rid = keys.join_key_ids(np, [(pk, pvalid)], [(bkk, None)])
        li, ri = join.inner_pairs(np, lid, rid)
    else:
        li = ri = np.zeros(0, np.int64)
    keep = pv[li] != bvv[ri]
    want_probe, want_build = np.zeros(n, bool), np.zeros(nb, bool)
    want_probe[li[keep]] = True
    want_build[ri[keep]] = True
    same(want_probe, got_probe)
    same(want_build, got_build)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.float64, np.bool_, np.uint32])
def test_gather_kernels(n, dtype):
    """take and take_or (index -1 gives the fill value) on every item size, strided inputs, empty
    sources, and int32 indices."""
    rng = np.random.default_rng(n)
    src = (rng.integers(-100, 100, n + 3) % 2 == 0) if dtype is np.bool_ else rng.integers(-100, 100, n + 3).astype(dtype)
    idx = rng.integers(0, n + 3, 2 * n + 1).astype(np.int64)
    with_nulls = np.where(rng.random(idx.shape[0]) < 0.3, -1, idx)
    same(*both(lambda xp, a, i: gather.take(xp, a, i), src, idx))
    same(*both(lambda xp, a, i: gather.take_or(xp, a, i, 1), src, with_nulls))
    same(*both(lambda xp, a, i: gather.take(xp, a[::2], i // 2), src, idx))
    same(*both(lambda xp, a, i: gather.take(xp, a, i.astype(np.int32)), src, idx))
    same(*both(lambda xp, a, i: gather.take_or(xp, a[:0], i, 0), src, np.full(n, -1, np.int64)))


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 4095, 4096, 4097, 100_000, 1_000_003])
@pytest.mark.parametrize("density", [0.0, 0.001, 0.5, 1.0])
def test_true_rows_matches_flatnonzero(n, density):
    """Compaction of aligned masks, masks at an odd offset (the unaligned path) and strided views."""
    rng = np.random.default_rng(n)
    mask = rng.random(n + 1) < density
    same(*both(lambda xp, m: compact.true_rows(xp, m[:n]), mask))
    same(*both(lambda xp, m: compact.true_rows(xp, m[1:]), mask))
    same(*both(lambda xp, m: compact.true_rows(xp, m[::3]), mask))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_civil_from_days_kernel_matches_numpy(dtype):
    from warpdb.engine.physical import datetime as dt

    rng = np.random.default_rng(4)
    days = np.concatenate([rng.integers(-800_000, 800_000, 100_000), [-719469, -719468, -1, 0, 59, 60, 2_932_896]])
    want, got = both(lambda xp, d: dt.civil_from_days(xp, d), days.astype(dtype))
    for w, g in zip(want, got):
        same(w, g)


def test_host_ints_reads_mixed_scalars_in_one_transfer():
    a = cp.asarray(np.array([-(2**40), 7], np.int64))
    b = cp.asarray(np.array([3, -9], np.int32))
    flags = cp.asarray(np.array([True, False]))
    got = backend.host_ints(cp, a.min(), b.max(), flags[0], cp.asarray(np.uint8(200)), 5, a[1], b.sum())
    assert got == [-(2**40), 3, 1, 200, 5, 7, -6]
    assert backend.host_ints(cp, 4) == [4]


def test_send_moves_mixed_arrays_in_one_transfer():
    rng = np.random.default_rng(6)
    host_arrays = [rng.integers(-5, 5, 7).astype(np.int32), rng.random(9) < 0.5, rng.integers(0, 2**62, 4),
                   np.zeros(0, np.int64), rng.random(10)[::2], np.array([1, -2], np.int8), rng.random(3)]
    got = backend.send(cp, host_arrays)
    for h in host_arrays:
        d = got[id(h)]
        assert isinstance(d, cp.ndarray) and d.dtype == h.dtype and d.shape == h.shape
        assert d.data.ptr % h.dtype.itemsize == 0
        same(h, d)


def test_a_string_function_over_one_dictionary_runs_once_per_query(monkeypatch):
    import duckdb

    import warpdb
    from warpdb.engine.physical import strings as st
    from warpdb.oracle import compare_tables

    table = pa.table({"s": [f"{i:05d}x" for i in range(20_000)], "v": np.arange(20_000)})
    calls = []
    original = st.device_substring
    monkeypatch.setattr(st, "device_substring", lambda *a: calls.append(a[1:]) or original(*a))
    con = warpdb.connect(device="gpu")
    con.register("t", table)
    sql = "select substring(s, 1, 2) as p, v from t where substring(s, 1, 2) >= '05'"
    got = con.sql(sql).arrow()
    oracle = duckdb.connect()
    oracle.register("t", table)
    assert compare_tables(got, oracle.sql(sql).to_arrow_table(), ordered=False) is None
    assert got.num_rows == 15_000 and len(calls) == 1  # the filter's result per entry serves the projection
    con.sql(sql).arrow()
    assert len(calls) == 2  # once per query, not kept across queries
