"""Float orthonormal 2-D Haar transform (db1) in the Mallat layout of ``pywt.coeffs_to_array``.

One level maps each 2x2 block ``[[a, b], [c, d]]`` of the low-pass band to
``LL = (a+b+c+d)/2`` (top-left quadrant), ``LH = (a-b+c-d)/2`` (top-right),
``HL = (a+b-c-d)/2`` (bottom-left) and ``HH = (a-b-c+d)/2`` (bottom-right).
For Haar this is exactly ``pywt.coeffs_to_array(pywt.wavedec2(x, 'haar', level=L))``.
"""

from __future__ import annotations

import numpy as np

from .checks import check_chw, check_levels


def _fwd_level(a: np.ndarray) -> np.ndarray:
    p00, p01 = a[:, 0::2, 0::2], a[:, 0::2, 1::2]
    p10, p11 = a[:, 1::2, 0::2], a[:, 1::2, 1::2]
    h, w = p00.shape[1:]
    out = np.empty_like(a)
    out[:, :h, :w] = (p00 + p01 + p10 + p11) / 2
    out[:, :h, w:] = (p00 - p01 + p10 - p11) / 2
    out[:, h:, :w] = (p00 + p01 - p10 - p11) / 2
    out[:, h:, w:] = (p00 - p01 - p10 + p11) / 2
    return out


def _inv_level(y: np.ndarray) -> np.ndarray:
    h, w = y.shape[1] // 2, y.shape[2] // 2
    ll, lh, hl, hh = y[:, :h, :w], y[:, :h, w:], y[:, h:, :w], y[:, h:, w:]
    out = np.empty_like(y)
    out[:, 0::2, 0::2] = (ll + lh + hl + hh) / 2
    out[:, 0::2, 1::2] = (ll - lh + hl - hh) / 2
    out[:, 1::2, 0::2] = (ll + lh - hl - hh) / 2
    out[:, 1::2, 1::2] = (ll - lh - hl + hh) / 2
    return out


def _check_divisible(x: np.ndarray, levels: int, name: str) -> None:
    m = 2**levels
    if x.shape[1] % m or x.shape[2] % m:
        raise ValueError(
            f"{name} height and width must be multiples of 2**levels = {m}, got {x.shape[1:]}"
        )


def dwt2(x, levels: int = 3) -> np.ndarray:
    """Forward orthonormal Haar, ``levels`` levels, per channel.

    Parameters
    ----------
    x : array_like, shape (C, H, W), float
        H and W multiples of ``2**levels``.
    levels : int, >= 1

    Returns
    -------
    numpy.ndarray, shape (C, H, W), float64, Mallat layout.
    """
    x = check_chw(x, "x").astype(np.float64)
    check_levels(levels)
    _check_divisible(x, levels, "x")
    y = x.copy()
    h, w = x.shape[1:]
    for _ in range(levels):
        y[:, :h, :w] = _fwd_level(y[:, :h, :w])
        h, w = h // 2, w // 2
    return y


def idwt2(y, levels: int = 3) -> np.ndarray:
    """Inverse of :func:`dwt2` (its transpose: the transform is orthonormal)."""
    y = check_chw(y, "y").astype(np.float64)
    check_levels(levels)
    _check_divisible(y, levels, "y")
    x = y.copy()
    for lev in reversed(range(levels)):
        h, w = y.shape[1] >> lev, y.shape[2] >> lev
        x[:, :h, :w] = _inv_level(x[:, :h, :w])
    return x


def pad_to(x: np.ndarray, levels: int) -> np.ndarray:
    """Zero-pad the bottom and right edges of (C, H, W) to multiples of ``2**levels``."""
    m = 2**levels
    ph = -x.shape[1] % m
    pw = -x.shape[2] % m
    return np.pad(x, ((0, 0), (0, ph), (0, pw)))
