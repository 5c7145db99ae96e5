"""Integer adder/shift Haar transform: the spec of ``hw/haar/`` (forward and inverse units).

Layout
------
The padded map (C, Hp, Wp) is cut into blocks of ``B x B`` pixels, ``B = 2**levels``; with
Haar no coefficient depends on pixels outside its block. The *position* of a coefficient is

    p = (block_row * (Wp // B) + block_col) * B*B + i * B + j

where ``(i, j)`` is its place in the block's own Mallat layout (LL_L at (0, 0); at level l,
with s = B >> l: LH at rows [0, s) x cols [s, 2s), HL at [s, 2s) x [0, s), HH at [s, 2s)^2).
Arrays in this layout have shape (C, N), N = Hp * Wp.

Forward (exact, no rounding): per level, each 2x2 block [[a, b], [c, d]] of the low band gives
``S = a+b+c+d``, ``LH = a-b+c-d``, ``HL = a+b-c-d``, ``HH = a-b-c+d``; details of level l are
shifted left by ``levels - l``. The result is ``2**levels`` times the orthonormal transform, so
every coefficient shares one scale. Width: ``2*levels + in_bits`` bits signed.

Inverse (exact, no rounding): ``child = parent (+-) (LH << (L-l)) (+-) (HL << (L-l)) (+-)
(HH << (L-l))``, level L down to 1, starting from LL_L. The result is ``2**levels`` times the
orthonormal inverse. Width: ``in_bits + levels + 2`` bits signed. An optional output
``shift`` divides by a power of two, rounding half away from zero.
"""

from __future__ import annotations

import numpy as np

from .checks import check_int_levels
from .fixedpoint import rdbpot


def coef_bits(levels: int, in_bits: int = 8) -> int:
    """Signed width of the forward transform's coefficients."""
    return 2 * levels + in_bits


def inv_bits(levels: int, in_bits: int) -> int:
    """Signed width of the inverse transform's output before its output shift."""
    return in_bits + levels + 2


def to_blocks(x: np.ndarray, levels: int) -> np.ndarray:
    """(C, Hp, Wp) -> (C, nblocks, B, B), blocks in raster order."""
    c, h, w = x.shape
    b = 2**levels
    return x.reshape(c, h // b, b, w // b, b).transpose(0, 1, 3, 2, 4).reshape(c, -1, b, b)


def from_blocks(blk: np.ndarray, hp: int, wp: int) -> np.ndarray:
    """(C, nblocks, B, B) -> (C, Hp, Wp), the inverse of :func:`to_blocks`."""
    c, _, b, _ = blk.shape
    return blk.reshape(c, hp // b, wp // b, b, b).transpose(0, 1, 3, 2, 4).reshape(c, hp, wp)


def int_dwt2(x, levels: int = 3) -> np.ndarray:
    """Forward integer Haar of a padded (C, Hp, Wp) integer map -> (C, N) in position order."""
    levels = check_int_levels(levels)
    x = np.asarray(x, dtype=np.int64)
    c, hp, wp = x.shape
    y = to_blocks(x, levels).copy()
    s = 2**levels
    for lev in range(1, levels + 1):
        a = y[:, :, :s, :s]
        p00, p01, p10, p11 = a[..., 0::2, 0::2], a[..., 0::2, 1::2], a[..., 1::2, 0::2], a[
            ..., 1::2, 1::2
        ]
        h = s // 2
        sh = levels - lev
        ll = p00 + p01 + p10 + p11
        lh = (p00 - p01 + p10 - p11) << sh
        hl = (p00 + p01 - p10 - p11) << sh
        hh = (p00 - p01 - p10 + p11) << sh
        y[:, :, :h, :h] = ll
        y[:, :, :h, h:s] = lh
        y[:, :, h:s, :h] = hl
        y[:, :, h:s, h:s] = hh
        s = h
    return y.reshape(c, -1)


def int_idwt2(z, levels: int, hp: int, wp: int, shift: int = 0) -> np.ndarray:
    """Inverse integer Haar: (C, N) position-order coefficients -> (C, Hp, Wp).

    Returns ``rdbpot(2**levels * idwt2_orthonormal(z), shift)``, computed exactly.
    """
    levels = check_int_levels(levels)
    z = np.asarray(z, dtype=np.int64)
    b = 2**levels
    c = z.shape[0]
    zb = z.reshape(c, -1, b, b)
    a = zb[:, :, :1, :1].copy()
    for lev in range(levels, 0, -1):
        s = b >> lev
        sh = levels - lev
        lh = zb[:, :, :s, s : 2 * s] << sh
        hl = zb[:, :, s : 2 * s, :s] << sh
        hh = zb[:, :, s : 2 * s, s : 2 * s] << sh
        child = np.empty(a.shape[:2] + (2 * s, 2 * s), dtype=np.int64)
        child[..., 0::2, 0::2] = a + lh + hl + hh
        child[..., 0::2, 1::2] = a - lh + hl - hh
        child[..., 1::2, 0::2] = a + lh - hl - hh
        child[..., 1::2, 1::2] = a - lh - hl + hh
        a = child
    v = from_blocks(a, hp, wp)
    return rdbpot(v, shift) if shift else v


def position_to_mallat(hp: int, wp: int, levels: int) -> tuple[np.ndarray, np.ndarray]:
    """Global Mallat (row, col) of every position p, for comparing with :func:`golden.dwt2`."""
    b = 2**levels
    nbw = wp // b
    p = np.arange(hp * wp)
    blk, local = p // (b * b), p % (b * b)
    br, bc = blk // nbw, blk % nbw
    i, j = local // b, local % b
    # Level of the local coefficient: the band size s = b >> lev containing (i, j).
    m = np.maximum(i, j)
    lev = np.where(m == 0, levels, levels - np.floor(np.log2(np.maximum(m, 1))).astype(int))
    s = b >> lev  # band size inside the block
    gs_h, gs_w = hp >> lev, wp >> lev  # band size in the global map
    bi, bj = i // s, j // s  # band quadrant (0/1, 0/1)
    oi, oj = i % s, j % s
    rows = bi * gs_h + br * s + oi
    cols = bj * gs_w + bc * s + oj
    return rows, cols


def position_level(levels: int) -> np.ndarray:
    """Level (1..levels) of each of the B*B positions inside a block; LL_L counts as ``levels``."""
    b = 2**levels
    i, j = np.divmod(np.arange(b * b), b)
    m = np.maximum(i, j)
    return np.where(m == 0, levels, levels - np.floor(np.log2(np.maximum(m, 1))).astype(int))
