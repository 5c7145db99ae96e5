"""Integer model (golden/int_model.py): documented widths, exact k, ties, accuracy, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden import IntParams, calibrate, conv1x1, dequantize_output, sqnr_db, wcc_float, wcc_int
from golden.int_haar import coef_bits, inv_bits
from golden.topk import code_bits, layer_score_bits
from wcc.vectors import random_layer

ONE = 2**31 - 1  # multiplier ~1.0: the widest intermediate values


def _params(c_in, c_out, levels, weight_fill, relu=False, m=ONE, sh=0):
    w = np.full((c_out, c_in), weight_fill, dtype=np.int64)
    return IntParams(weight=w, bias=np.zeros(c_out, np.int64), m_coef=m, sh_coef=sh, m_acc=m,
                     sh_acc=sh, m_out=m, sh_out=sh, levels=levels, relu=relu)


def _pattern(kind, c, h, w):
    chk = np.indices((h, w)).sum(axis=0) % 2
    return {
        "min": np.full((c, h, w), -128),
        "max": np.full((c, h, w), 127),
        "chk": np.broadcast_to(np.where(chk, 127, -128), (c, h, w)),
        "chkn": np.broadcast_to(np.where(chk, -128, 127), (c, h, w)),
    }[kind]


def _check_widths(tr, c_in, levels, z_bits=16):
    cb = coef_bits(levels)
    assert -(2 ** (cb - 1)) <= tr["coeffs"].min() and tr["coeffs"].max() < 2 ** (cb - 1)
    assert -127 <= tr["q"].min() and tr["q"].max() <= 127
    sb = layer_score_bits(c_in, levels)
    assert 0 <= tr["score"].min() and tr["score"].max() < 2**sb
    assert tr["code"].max() < 2 ** code_bits(sb)
    assert np.abs(tr["acc"]).max(initial=0) <= 128 * 128 * c_in < 2**31
    assert -(2 ** (z_bits - 1)) <= tr["z"].min(initial=0) and tr["z"].max(initial=0) < 2 ** (
        z_bits - 1)
    ib = inv_bits(levels, z_bits)
    assert -(2 ** (ib - 1)) <= tr["v"].min() and tr["v"].max() < 2 ** (ib - 1)
    assert -128 <= tr["out"].min() and tr["out"].max() <= 127
    assert tr["bitmap"].sum() == tr["k"]


@given(
    kind=st.sampled_from(["min", "max", "chk", "chkn"]),
    levels=st.integers(1, 4),
    c_in=st.sampled_from([1, 3, 16, 64]),
    wfill=st.sampled_from([-128, -127, 127]),
    keep=st.sampled_from([1.0, 0.5, 0.25, 0.01]),
    relu=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_extremes_stay_inside_documented_widths(kind, levels, c_in, wfill, keep, relu):
    m = 2**levels
    x = _pattern(kind, c_in, 2 * m, m + 3)
    p = _params(c_in, 3, levels, wfill, relu=relu)
    out, tr = wcc_int(x, p, keep=keep, trace=True)
    _check_widths(tr, c_in, levels)
    assert out.shape == (3, 2 * m, m + 3)
    if relu:
        assert out.min() >= 0


@given(seed=st.integers(0, 2**32 - 1), keep=st.floats(0.01, 1.0), levels=st.integers(1, 4),
       h=st.integers(1, 40), w=st.integers(1, 40))
@settings(max_examples=40, deadline=None)
def test_random_maps_exact_k_and_widths(seed, keep, levels, h, w):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(1, 9))
    x = rng.integers(-128, 128, size=(c, h, w))
    p = _params(c, 2, levels, 0)
    p.weight = rng.integers(-128, 128, size=(2, c))
    p.m_coef, p.sh_coef = int(rng.integers(2**30, 2**31)), int(rng.integers(0, 6))
    out, tr = wcc_int(x, p, keep=keep, trace=True)
    m = 2**levels
    n = (-(-h // m) * m) * (-(-w // m) * m)
    assert tr["k"] == int(np.floor(keep * n)) == tr["bitmap"].sum()
    _check_widths(tr, c, levels)
    # The kept positions are the k largest codes; equal codes are taken in position order.
    order = np.lexsort((np.arange(n), -tr["code"]))
    np.testing.assert_array_equal(np.nonzero(tr["bitmap"])[0], np.sort(order[: tr["k"]]))


def test_ties_constant_map_take_first_positions():
    x = np.full((4, 16, 16), 5)  # only the LL positions score; the rest tie at zero
    p = _params(4, 2, 3, 1, m=2**30, sh=0)
    _, tr = wcc_int(x, p, k=10, trace=True)
    kept = np.nonzero(tr["bitmap"])[0]
    ll = np.arange(4) * 64  # LL_3 of each of the 4 blocks
    assert set(ll) <= set(kept)
    np.testing.assert_array_equal(sorted(set(kept) - set(ll)), [1, 2, 3, 4, 5, 6])


@pytest.mark.parametrize("keep", [1.0, 0.5, 0.25, 0.125])
def test_int_model_tracks_float_reference(keep):
    seed = 7
    print("seed", seed)
    cfg = dict(c_in=16, c_out=12, height=48, width=40)
    x, w, b = random_layer(cfg, seed)
    ref = conv1x1(x, w, b)
    f = wcc_float(x, w, b, keep=keep)
    p, xi = calibrate(x, w, b, keep=keep)
    o = dequantize_output(wcc_int(xi, p, keep=keep), p)
    loss = sqnr_db(ref, f) - sqnr_db(ref, o)
    print(f"keep {keep}: float {sqnr_db(ref, f):.2f} dB int {sqnr_db(ref, o):.2f} dB")
    assert loss <= 1.5


@pytest.mark.parametrize(
    "x, kw, match",
    [
        (np.zeros((3, 8, 8)), dict(keep=0.5), "int8"),
        (np.zeros((3, 8, 8), dtype=np.int16) + 300, dict(keep=0.5), r"\[-128, 127\]"),
        (np.zeros((8, 8), dtype=np.int8), dict(keep=0.5), "3 dimensions"),
        (np.zeros((3, 0, 8), dtype=np.int8), dict(keep=0.5), "empty"),
        (np.zeros((3, 8, 8), dtype=np.int8), dict(keep=0.0), "keep"),
        (np.zeros((3, 8, 8), dtype=np.int8), dict(keep=2), "keep"),
        (np.zeros((3, 8, 8), dtype=np.int8), dict(k=65), "k must be"),
        (np.zeros((3, 8, 8), dtype=np.int8), dict(), "exactly one"),
        (np.zeros((2, 8, 8), dtype=np.int8), dict(keep=0.5), "C_in = 2"),
    ],
)
def test_bad_input_raises_value_error(x, kw, match):
    with pytest.raises(ValueError, match=match):
        wcc_int(x, _params(3, 2, 3, 1), **kw)


@pytest.mark.parametrize("levels", [0, 5])
def test_bad_levels(levels):
    with pytest.raises(ValueError, match="levels"):
        wcc_int(np.zeros((3, 8, 8), dtype=np.int8), _params(3, 2, levels, 1), keep=0.5)
