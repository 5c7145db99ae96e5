"""Top-k per stripe of block rows (golden/stripes.py, ``stripe_rows`` of wcc_int / wcc_float),
against per-stripe loops and exact rational arithmetic computed independently."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden import IntParams, dwt2, wcc_float, wcc_int
from golden.haar import pad_to
from golden.int_haar import to_blocks
from golden.stripes import (
    balanced_quotas,
    mallat_stripes,
    select_topk_stripes,
    stripe_bounds,
    stripe_quotas,
    stripe_weight,
)


def _params(c_in, c_out=2, levels=3, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, size=(c_out, c_in))
    return IntParams(weight=w, bias=np.zeros(c_out, np.int64), m_coef=2**30, sh_coef=2,
                     m_acc=2**30, sh_acc=4, m_out=2**30, sh_out=2, levels=levels)


def _block_row_of_position(hp, wp, levels):
    """Block row of each position, read off the image row of each block's top-left pixel."""
    b = 2**levels
    rows = np.broadcast_to(np.arange(hp)[None, :, None], (1, hp, wp))
    return to_blocks(rows, levels)[0, :, 0, 0].repeat(b * b) // b


def _reference_stripe_topk(code, stripe, quotas):
    """Per-stripe loop: sort the stripe's positions by (code descending, position), take k_s."""
    bm = np.zeros(len(code), dtype=bool)
    for s, ks in enumerate(quotas):
        pos = [p for p in range(len(code)) if stripe[p] == s]
        pos.sort(key=lambda p: (-int(code[p]), p))
        bm[pos[:ks]] = True
    return bm


def _reference_quotas(k, sizes):
    """k_s = floor(k * E_s / N) - floor(k * B_s / N) in exact rationals."""
    n, out, start = sum(sizes), [], 0
    for size in sizes:
        end = start + size
        out.append(int(Fraction(k * end, n).__floor__() - Fraction(k * start, n).__floor__()))
        start = end
    return out


@pytest.mark.parametrize("levels", [1, 2, 3, 4])
@pytest.mark.parametrize("hp_blocks, wp_blocks, s", [(5, 3, 1), (5, 3, 2), (7, 2, 3), (4, 4, 4),
                                                     (3, 5, 9)])
def test_stripes_are_block_rows_in_position_order(levels, hp_blocks, wp_blocks, s):
    b = 2**levels
    hp, wp = hp_blocks * b, wp_blocks * b
    bounds = stripe_bounds(hp, wp, levels, s)
    stripe = _block_row_of_position(hp, wp, levels) // s
    assert bounds[0] == 0 and bounds[-1] == hp * wp
    assert len(bounds) - 1 == -(-hp_blocks // s) == stripe.max() + 1
    for i in range(len(bounds) - 1):
        np.testing.assert_array_equal(np.nonzero(stripe == i)[0],
                                      np.arange(bounds[i], bounds[i + 1]))
    np.testing.assert_array_equal(stripe_bounds(hp, wp, levels, None), [0, hp * wp])


@pytest.mark.parametrize("levels", [1, 3])
def test_mallat_stripes_match_the_mallat_band_geometry(levels):
    b = 2**levels
    hp, wp, s = 5 * b, 3 * b, 2
    got = mallat_stripes(hp, wp, levels, s).reshape(hp, wp)
    # Independent: a Mallat (r, c) is in the band of the largest level l with r < 2 (Hp >> l)
    # and c < 2 (Wp >> l); each block gives that band B >> l rows.
    for r in range(hp):
        for c in range(wp):
            lev = max(v for v in range(1, levels + 1) if r < 2 * (hp >> v) and c < 2 * (wp >> v))
            block_row = (r % (hp >> lev)) // (b >> lev)
            assert got[r, c] == block_row // s, (r, c)


@given(k_frac=st.fractions(0, 1), sizes=st.lists(st.integers(1, 300), min_size=1, max_size=12))
def test_quotas_sum_to_k_and_round_each_stripe_share(k_frac, sizes):
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    n = int(bounds[-1])
    k = int(k_frac * n)
    q = stripe_quotas(k, bounds)
    assert q.tolist() == _reference_quotas(k, sizes)
    assert q.sum() == k
    for qs, size in zip(q, sizes, strict=True):
        share = Fraction(k * size, n)
        assert share.__floor__() <= qs <= share.__ceil__() and 0 <= qs <= size


@pytest.mark.parametrize("keep", [0.5, 0.25, 0.125])
@pytest.mark.parametrize("s", [1, 2, 4])
def test_paper_keeps_give_keep_times_stripe_size(keep, s):
    # 9 block rows: with S = 2 or 4 the last stripe is shorter; it still gets keep * N_s.
    hp, wp = 72, 40
    bounds = stripe_bounds(hp, wp, 3, s)
    want = [int(keep * n_s) for n_s in np.diff(bounds)]
    assert all(keep * n_s == int(keep * n_s) for n_s in np.diff(bounds))
    assert stripe_quotas(int(keep * hp * wp), bounds).tolist() == want


@given(seed=st.integers(0, 2**32 - 1), s=st.integers(1, 6))
@settings(max_examples=40, deadline=None)
def test_select_topk_stripes_matches_per_stripe_loop(seed, s):
    rng = np.random.default_rng(seed)
    print("seed", seed)
    hp, wp = int(rng.integers(1, 7)) * 4, int(rng.integers(1, 4)) * 4
    bounds = stripe_bounds(hp, wp, 2, s)
    code = rng.integers(0, 6, size=hp * wp)  # few values: many ties
    quotas = [int(rng.integers(0, n_s + 1)) for n_s in np.diff(bounds)]
    got = select_topk_stripes(code, bounds, quotas)
    stripe = _block_row_of_position(hp, wp, 2) // s
    np.testing.assert_array_equal(got, _reference_stripe_topk(code, stripe, quotas))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("keep", [1.0, 0.5, 0.3, 0.125, 0.01])
def test_int_stripe_rows_as_block_row_count_is_frame_wide(seed, keep):
    rng = np.random.default_rng(seed)
    print("seed", seed)
    x = rng.integers(-128, 128, size=(3, 37, 29))  # padded to 40 x 32: 5 block rows
    p = _params(3, seed=seed)
    out_f, tr_f = wcc_int(x, p, keep=keep, trace=True)
    for s in (5, 6, 100):
        out_s, tr_s = wcc_int(x, p, keep=keep, stripe_rows=s, trace=True)
        np.testing.assert_array_equal(out_s, out_f)
        for key in ("bitmap", "cols", "acc", "z", "v"):
            np.testing.assert_array_equal(tr_s[key], tr_f[key])
        assert tr_s["k"] == tr_f["k"] and tr_s["stripe_k"].tolist() == [tr_f["k"]]


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("keep", [0.5, 0.3, 0.125])
def test_int_keeps_the_stated_k_in_each_stripe(seed, s, keep):
    rng = np.random.default_rng(seed)
    print("seed", seed)
    x = rng.integers(-128, 128, size=(4, 40, 24))  # 5 block rows of 3 blocks: 192 positions
    out, tr = wcc_int(x, _params(4, seed=seed), keep=keep, stripe_rows=s, trace=True)
    stripe = _block_row_of_position(40, 24, 3) // s
    sizes = np.bincount(stripe).tolist()
    k = int(np.floor(keep * 960))
    assert tr["k"] == k and tr["stripe_k"].tolist() == _reference_quotas(k, sizes)
    assert np.bincount(stripe, weights=tr["bitmap"]).tolist() == tr["stripe_k"].tolist()
    np.testing.assert_array_equal(tr["bitmap"],
                                  _reference_stripe_topk(tr["code"], stripe, tr["stripe_k"]))
    # The rest of the layer is the frame-wide pipeline on that bitmap.
    np.testing.assert_array_equal(tr["cols"], tr["q"][:, tr["bitmap"]])


def test_int_ties_inside_a_stripe_take_first_positions():
    # Constant map: only the LL position of each block scores; everything else ties at 0.
    x = np.full((2, 32, 16), 5)  # 4 block rows of 2 blocks, 128 positions per block row
    _, tr = wcc_int(x, _params(2), k=40, stripe_rows=2, trace=True)
    assert tr["stripe_k"].tolist() == [20, 20]
    kept = np.nonzero(tr["bitmap"])[0]
    ll = np.arange(8) * 64
    want = []
    for start in (0, 256):
        lls = [p for p in ll if start <= p < start + 256]
        rest = [p for p in range(start, start + 256) if p not in lls][: 20 - len(lls)]
        want += sorted(lls + rest)
    np.testing.assert_array_equal(kept, want)
    assert want[:6] == [0, 1, 2, 3, 4, 5] and 256 in want and 257 in want


def test_int_per_stripe_k_sequence():
    rng = np.random.default_rng(8)
    print("seed", 8)
    x = rng.integers(-128, 128, size=(3, 24, 16))  # 3 block rows of 128 positions
    _, tr = wcc_int(x, _params(3), k=[0, 128, 5], stripe_rows=1, trace=True)
    assert tr["k"] == 133 and tr["bitmap"][:128].sum() == 0 and tr["bitmap"][128:256].all()
    stripe = _block_row_of_position(24, 16, 3)
    np.testing.assert_array_equal(tr["bitmap"],
                                  _reference_stripe_topk(tr["code"], stripe, [0, 128, 5]))


@pytest.mark.parametrize("bad", [0, -1, 2.5, 2.0, "2", True])
def test_bad_stripe_rows_raise_value_error(bad):
    x = np.zeros((3, 8, 8), dtype=np.int8)
    with pytest.raises(ValueError, match="stripe_rows"):
        wcc_int(x, _params(3), keep=0.5, stripe_rows=bad)
    with pytest.raises(ValueError, match="stripe_rows"):
        wcc_float(x, np.eye(3), keep=0.5, stripe_rows=bad)
    with pytest.raises(ValueError, match="stripe_rows"):
        stripe_bounds(8, 8, 3, bad)


@pytest.mark.parametrize("k, stripe_rows, match", [
    ([1, 1], None, "k must be an integer"),
    ([1, 1], 1, "one per stripe"),
    ([1, 1, 1, 65], 1, "one per stripe"),
    ([1, -1, 1], 1, "one per stripe"),
    ([1.0, 1.0, 1.0], 1, "one per stripe"),
    (200, 1, "k must be in"),
])
def test_bad_k_with_stripes(k, stripe_rows, match):
    x = np.zeros((3, 24, 8), dtype=np.int8)  # 3 block rows of 64 positions
    with pytest.raises(ValueError, match=match):
        wcc_int(x, _params(3), k=k, stripe_rows=stripe_rows)


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("keep", [0.5, 0.25, 0.1])
def test_float_stripes(seed, keep):
    rng = np.random.default_rng(seed)
    print("seed", seed)
    x = rng.normal(size=(3, 30, 21))  # padded 32 x 24: 4 block rows
    w = rng.normal(size=(2, 3))
    kw = dict(keep=keep, bits_w=None, bits_a=None, return_stages=True)
    out_f, st_f = wcc_float(x, w, **kw)
    out_4, st_4 = wcc_float(x, w, stripe_rows=4, **kw)
    np.testing.assert_array_equal(st_4["bitmap"], st_f["bitmap"])
    np.testing.assert_array_equal(out_4, out_f)
    _, st = wcc_float(x, w, stripe_rows=1, **kw)
    stripe = mallat_stripes(32, 24, 3, 1)
    sizes = np.bincount(stripe).tolist()
    assert sizes == [192] * 4
    assert st["stripe_k"].tolist() == _reference_quotas(int(np.floor(keep * 768)), sizes)
    score = (dwt2(pad_to(x, 3), 3) ** 2).sum(axis=0).reshape(-1)
    for s, ks in enumerate(st["stripe_k"]):
        inside = stripe == s
        kept, dropped = score[inside & st["bitmap"]], score[inside & ~st["bitmap"]]
        assert kept.size == ks and kept.min() >= dropped.max()


def test_float_ties_inside_a_stripe_in_mallat_order():
    x = np.ones((1, 16, 16))  # only the 4 LL_3 coefficients score
    _, st = wcc_float(x, np.eye(1), keep=0.125, stripe_rows=1, bits_w=None, bits_a=None,
                      return_stages=True)
    assert st["stripe_k"].tolist() == [16, 16]
    stripe = mallat_stripes(16, 16, 3, 1)
    for s in (0, 1):
        idx = np.nonzero(stripe == s)[0]
        np.testing.assert_array_equal(np.nonzero(st["bitmap"] & (stripe == s))[0], idx[:16])


def test_stripe_weight_is_sum_of_squared_codes():
    code = np.arange(10)
    np.testing.assert_array_equal(stripe_weight(code, [0, 3, 10]),
                                  [0 + 1 + 4, sum(c * c for c in range(3, 10))])


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_balanced_quotas(seed):
    rng = np.random.default_rng(seed)
    print("seed", seed)
    sizes = rng.integers(1, 50, size=int(rng.integers(1, 8))).tolist()
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    k = int(rng.integers(0, sum(sizes) + 1))
    w = rng.integers(0, 4, size=len(sizes)) * rng.integers(0, 1000, size=len(sizes))
    q = balanced_quotas(k, bounds, w)
    assert q.sum() == k and (q >= 0).all() and (q <= sizes).all()
    # Independent check of the water-filling: some set of capped stripes (each at its size)
    # leaves the others to share what is left in proportion to their weight (by size if they
    # weigh nothing), each within one of its exact share; a capped stripe's own share at that
    # final rate would have been more than its size (up to the rounding of one position).
    def fits(capped):
        free = [i for i in range(len(sizes)) if i not in capped]
        left = k - sum(sizes[i] for i in capped)
        wf = sum(int(w[i]) for i in free)
        key = {i: int(w[i]) if wf else sizes[i] for i in free}
        total = sum(key.values())
        share = {i: Fraction(left * key[i], total) if total else Fraction(0) for i in free}
        due = all(wf == 0 or Fraction(left * int(w[i]), wf) > sizes[i] - 1 for i in capped)
        return due and all(share[i].__floor__() <= q[i] <= share[i].__ceil__() for i in free)

    full = [i for i in range(len(sizes)) if q[i] == sizes[i]]
    assert any(fits({i for b, i in enumerate(full) if m >> b & 1})
               for m in range(2 ** len(full)))


def test_balanced_quotas_cap_and_reshare():
    # Proportional shares 60, 30, 10 of k = 100; the first stripe holds only 40.
    q = balanced_quotas(100, [0, 40, 140, 240], np.array([6, 3, 1]))
    assert q.tolist() == [40, 45, 15]
    assert balanced_quotas(6, [0, 4, 8], np.array([0, 0])).tolist() == [3, 3]
    with pytest.raises(ValueError, match="weight"):
        balanced_quotas(5, [0, 4, 8], np.array([1.5, 1.0]))
    with pytest.raises(ValueError, match="weight"):
        balanced_quotas(5, [0, 4, 8], np.array([1]))
