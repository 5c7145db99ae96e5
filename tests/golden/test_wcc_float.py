"""Float WCC layer (golden/wcc_float.py): eq. 10-12 and the shrinkage commuting with the conv."""

import numpy as np
import pytest

from golden import conv1x1, dwt2, idwt2, wcc_float
from golden.haar import pad_to
from golden.quant import quantize


@pytest.mark.parametrize("shape", [(3, 16, 16), (5, 13, 22), (2, 1, 1), (4, 9, 8)])
@pytest.mark.parametrize("levels", [1, 3, 4])
def test_keep_one_no_quant_is_the_conv(shape, levels):
    seed = sum(shape) + levels
    rng = np.random.default_rng(seed)
    print("seed", seed)
    x = rng.normal(size=shape)
    w = rng.normal(size=(7, shape[0]))
    b = rng.normal(size=7)
    out = wcc_float(x, w, b, keep=1, levels=levels, bits_w=None, bits_a=None)
    np.testing.assert_allclose(out, conv1x1(x, w, b), atol=1e-10)


@pytest.mark.parametrize("keep", [0.5, 0.25, 0.125, 0.03])
def test_shrinkage_commutes_with_conv(keep):
    seed = int(keep * 1000)
    rng = np.random.default_rng(seed)
    print("seed", seed)
    x = rng.normal(size=(4, 20, 27))
    w = rng.normal(size=(6, 4))
    out, st = wcc_float(x, w, keep=keep, bits_w=None, bits_a=None, return_stages=True)
    # Transform the exact conv output, keep the same positions, inverse-transform, crop.
    y = dwt2(pad_to(conv1x1(x, w), 3), 3)
    hp, wp = y.shape[1:]
    y = y.reshape(6, -1) * st["bitmap"]
    ref = idwt2(y.reshape(6, hp, wp), 3)[:, :20, :27]
    np.testing.assert_allclose(out, ref, atol=1e-10)
    assert st["bitmap"].sum() == int(np.floor(keep * hp * wp))


def test_topk_keeps_largest_joint_energy():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 16, 16))
    _, st = wcc_float(x, np.eye(3), keep=0.25, bits_w=None, bits_a=None, return_stages=True)
    s = (dwt2(x, 3) ** 2).sum(axis=0).reshape(-1)
    assert s[st["bitmap"]].min() >= s[~st["bitmap"]].max()


def test_quantized_path_uses_eq2():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 8, 8))
    w = rng.normal(size=(2, 3))
    out, st = wcc_float(x, w, keep=1, alpha_a=2.0, return_stages=True)
    np.testing.assert_allclose(st["kept_q"], quantize(st["kept"], 8, 2.0))
    assert np.unique(np.round(st["kept_q"] / 2.0 * 127, 9)).size <= 255
    aw = np.abs(w).max()
    np.testing.assert_allclose(st["weight_q"], np.round(w / aw * 127) / 127 * aw)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x=np.zeros((8, 8)), keep=0.5), "x must have 3 dimensions"),
        (dict(x=np.zeros((3, 0, 8)), keep=0.5), "empty"),
        (dict(keep=0.0), "keep"),
        (dict(keep=1.5), "keep"),
        (dict(keep=0.5, levels=0), "levels"),
        (dict(keep=0.5, weight=np.zeros((2, 4))), "C_in = 3"),
        (dict(keep=0.5, bias=np.zeros(3)), "bias"),
        (dict(keep=0.5, bits_a=1), "bits_a"),
    ],
)
def test_bad_input_raises_value_error(kwargs, match):
    args = dict(x=np.zeros((3, 8, 8)), weight=np.zeros((2, 3)))
    args.update(kwargs)
    x, w = args.pop("x"), args.pop("weight")
    with pytest.raises(ValueError, match=match):
        wcc_float(x, w, **args)
