"""Joint score, score code and top-k rule: the spec of ``hw/topk/selector.py``.

* ``score[p] = sum_c w[c, p]**2`` over the Haar coefficients ``w`` (exact integer, before their
  int8 quantization: scoring int8 values makes small-C maps tie massively).
* ``code = score_code(score)``: a monotone float-like code of the score, ``mant_bits``
  mantissa bits (7 by default): scores below ``2**mant_bits`` map to themselves, larger ones
  keep their leading one's position and the ``mant_bits`` bits below it. Relative resolution
  ``2**-mant_bits``. It is what the hardware's histogram is indexed by.
* Top-k: the k positions with the largest code; equal codes are taken in increasing position
  order. Exactly k positions are kept. Equivalently: ``t`` = the code of the k-th position in
  that order, keep every code > t and the first ``k - count(code > t)`` positions with code == t.
* Bitmap: bit p is 1 iff position p is kept; packed into 32-bit words, word ``p // 32``,
  bit ``p % 32`` (little-endian).
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_MANT_BITS = 7


def joint_score(q) -> np.ndarray:
    """(C, N) int coefficients -> (N,) int64 scores, sum of squares over channels."""
    q = np.asarray(q, dtype=np.int64)
    return (q * q).sum(axis=0)


def score_bits(channels: int, qmax: int = 128) -> int:
    """Unsigned width that holds ``channels * qmax**2``, the largest possible score.

    For the layer's score over Haar coefficients, ``qmax = 2**(coef_bits(levels) - 1)``
    (:func:`layer_score_bits`).
    """
    return int(channels * qmax * qmax).bit_length()


def layer_score_bits(channels: int, levels: int, in_bits: int = 8) -> int:
    """Width of the layer's joint score: squares of ``2*levels + in_bits``-bit coefficients."""
    return score_bits(channels, 2 ** (2 * levels + in_bits - 1))


def score_code(score, mant_bits: int = DEFAULT_MANT_BITS) -> np.ndarray:
    """Monotone non-decreasing code of non-negative integer scores (see module docstring)."""
    s = np.asarray(score, dtype=np.int64)
    if s.size and s.min() < 0:
        raise ValueError("score must be non-negative")
    n = np.zeros(s.shape, dtype=np.int64)  # bit length
    t = s.copy()
    while np.any(t):
        nz = t > 0
        n += nz
        t >>= 1
    e = np.maximum(n - mant_bits, 0)
    big = e > 0
    mant = np.where(big, (s >> np.maximum(e - 1, 0)) - (1 << mant_bits), 0)
    return np.where(big, (e << mant_bits) + mant, s)


def code_bits(sbits: int, mant_bits: int = DEFAULT_MANT_BITS) -> int:
    """Width of the code of a ``sbits``-bit score."""
    largest = int(score_code(np.array([(1 << sbits) - 1]), mant_bits)[0])
    return max(largest.bit_length(), 1)


def k_from_keep(keep: float, n: int) -> int:
    """``k = floor(keep * N)`` (float64 product), as the reference code computes it."""
    return int(math.floor(keep * n))


def select_topk(code, k: int) -> np.ndarray:
    """Boolean bitmap of exactly ``k`` positions by the threshold rule (ties by position)."""
    code = np.asarray(code, dtype=np.int64)
    n = code.shape[0]
    if not 0 <= k <= n:
        raise ValueError(f"k must be in [0, N = {n}], got {k}")
    if k == 0:
        return np.zeros(n, dtype=bool)
    hist = np.bincount(code)
    # Count of codes >= each bin, from the top: the threshold is the highest t with count >= k.
    ge = np.cumsum(hist[::-1])[::-1]
    t = int(np.nonzero(ge >= k)[0][-1])
    above = code > t
    need = k - int(above.sum())
    eq_pos = np.nonzero(code == t)[0][:need]
    bitmap = above.copy()
    bitmap[eq_pos] = True
    return bitmap


def threshold_of(code, k: int) -> tuple[int, int]:
    """``(t, need)``: the threshold code and how many positions equal to it are kept."""
    code = np.asarray(code, dtype=np.int64)
    if k == 0:
        return int(code.max(initial=0)) + 1, 0
    hist = np.bincount(code)
    ge = np.cumsum(hist[::-1])[::-1]
    t = int(np.nonzero(ge >= k)[0][-1])
    return t, k - int((code > t).sum())


def pack_bitmap(bitmap) -> np.ndarray:
    """Bool (N,) -> uint32 words, bit p in word p // 32 at bit p % 32."""
    b = np.asarray(bitmap, dtype=bool)
    pad = -b.size % 32
    b = np.concatenate([b, np.zeros(pad, dtype=bool)]).reshape(-1, 32)
    return (b.astype(np.uint64) << np.arange(32, dtype=np.uint64)).sum(axis=1).astype(np.uint32)


def unpack_bitmap(words, n: int) -> np.ndarray:
    """uint32 words -> bool (N,), the inverse of :func:`pack_bitmap`."""
    w = np.asarray(words, dtype=np.uint64)
    bits = (w[:, None] >> np.arange(32, dtype=np.uint64)) & 1
    return bits.reshape(-1)[:n].astype(bool)
