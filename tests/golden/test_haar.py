"""Float Haar (golden/haar.py) against PyWavelets, an independent implementation."""

import numpy as np
import pytest
import pywt

from golden import dwt2, idwt2
from golden.haar import pad_to


def _pywt_array(x, levels):
    return np.stack([pywt.coeffs_to_array(pywt.wavedec2(c, "haar", level=levels))[0] for c in x])


@pytest.mark.parametrize("levels", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dwt2_matches_pywt(levels, seed):
    rng = np.random.default_rng(seed)
    m = 2**levels
    shape = (int(rng.integers(1, 4)), m * int(rng.integers(1, 5)), m * int(rng.integers(1, 5)))
    print("seed", seed, "shape", shape)
    x = rng.normal(size=shape)
    y = dwt2(x, levels)
    ref = _pywt_array(x, levels)
    # Haar's sign convention agrees with pywt's here; allow a per-band sign flip anyway.
    np.testing.assert_allclose(np.abs(y), np.abs(ref), atol=1e-12)
    np.testing.assert_allclose(idwt2(y, levels), x, atol=1e-12)
    np.testing.assert_allclose((y**2).sum(), (x**2).sum(), rtol=1e-12)


def test_pad_to_pads_bottom_right_with_zeros():
    x = np.ones((2, 5, 9))
    p = pad_to(x, 3)
    assert p.shape == (2, 8, 16)
    assert p[:, :5, :9].sum() == x.sum() and p.sum() == x.sum()


@pytest.mark.parametrize(
    "bad, match",
    [(np.zeros((4, 4)), "3 dimensions"), (np.zeros((1, 0, 8)), "empty"),
     (np.zeros((1, 6, 8)), "multiples")],
)
def test_dwt2_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        dwt2(bad, 3)


def test_dwt2_bad_levels():
    with pytest.raises(ValueError, match="levels"):
        dwt2(np.zeros((1, 8, 8)), 0)
