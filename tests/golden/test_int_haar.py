"""Integer Haar (golden/int_haar.py) against the float orthonormal Haar and exact round trip."""

import numpy as np
import pytest

from golden import dwt2, idwt2
from golden.int_haar import coef_bits, int_dwt2, int_idwt2, inv_bits, position_to_mallat


def _extremes(c, h, w):
    chk = np.indices((h, w)).sum(axis=0) % 2
    yield np.full((c, h, w), -128)
    yield np.full((c, h, w), 127)
    yield np.broadcast_to(np.where(chk, 127, -128), (c, h, w))
    yield np.broadcast_to(np.where(chk, -128, 127), (c, h, w))
    hot = np.zeros((c, h, w), dtype=int)
    hot[:, h // 2, w // 3] = -128
    yield hot


@pytest.mark.parametrize("levels", [1, 2, 3, 4])
def test_int_dwt2_is_scaled_orthonormal_haar(levels):
    seed = 10 + levels
    rng = np.random.default_rng(seed)
    print("seed", seed)
    hp, wp = 2**levels * 3, 2**levels * 2
    x = rng.integers(-128, 128, size=(3, hp, wp))
    rows, cols = position_to_mallat(hp, wp, levels)
    ref = dwt2(x, levels)[:, rows, cols] * 2**levels
    np.testing.assert_array_equal(int_dwt2(x, levels), np.round(ref).astype(np.int64))
    assert np.abs(ref - np.round(ref)).max() < 1e-9


@pytest.mark.parametrize("levels", [1, 2, 3, 4])
def test_positions_are_a_permutation(levels):
    rows, cols = position_to_mallat(2**levels * 2, 2**levels * 3, levels)
    flat = rows * (2**levels * 3) + cols
    assert sorted(flat) == list(range(flat.size))


@pytest.mark.parametrize("levels", [1, 2, 3, 4])
def test_round_trip_is_exact(levels):
    m = 2**levels
    for x in _extremes(2, 2 * m, 3 * m):
        w = int_dwt2(x, levels)
        assert np.abs(w).max() <= 2 ** (coef_bits(levels) - 1)
        assert w.min() >= -(2 ** (coef_bits(levels) - 1))
        assert w.max() <= 2 ** (coef_bits(levels) - 1) - 1
        np.testing.assert_array_equal(int_idwt2(w, levels, 2 * m, 3 * m, shift=2 * levels), x)


@pytest.mark.parametrize("levels", [1, 3, 4])
def test_inverse_is_scaled_orthonormal_inverse_and_fits(levels):
    seed = 20 + levels
    rng = np.random.default_rng(seed)
    print("seed", seed)
    hp, wp = 2**levels * 2, 2**levels * 2
    zb = 16
    z = rng.integers(-(2 ** (zb - 1)), 2 ** (zb - 1), size=(2, hp * wp))
    z[0] = -(2 ** (zb - 1))  # the extreme: every coefficient at the most negative value
    rows, cols = position_to_mallat(hp, wp, levels)
    zz = np.zeros((2, hp, wp))
    zz[:, rows, cols] = z
    v = int_idwt2(z, levels, hp, wp)
    np.testing.assert_allclose(v, idwt2(zz, levels) * 2**levels, atol=1e-6)
    lim = 2 ** (inv_bits(levels, zb) - 1)
    assert -lim <= v.min() and v.max() < lim


def test_inverse_output_shift_rounds_half_away_from_zero():
    z = np.zeros((1, 64), dtype=int)
    z[0, 0] = 3  # LL only: every pixel v = 3
    v = int_idwt2(z, 3, 8, 8, shift=1)
    assert (v == 2).all()
    z[0, 0] = -3
    assert (int_idwt2(z, 3, 8, 8, shift=1) == -2).all()
