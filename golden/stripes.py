"""Top-k per stripe of block rows: the bounded-memory form of the layer's selection.

A *block row* is one row of ``B x B`` Haar blocks, ``B = 2**levels`` image rows (8 at three
levels). A *stripe* is ``S = stripe_rows`` consecutive block rows, counted from the top of the
padded map; the last stripe holds the ``ceil(Hp / B) mod S`` block rows left over when ``S``
does not divide the block-row count (and ``S`` at or above that count is one stripe, the frame).

In the integer model's position order (:mod:`golden.int_haar`: blocks in raster order, each
block's ``B*B`` coefficients together) block row ``r`` is the contiguous range of positions
``[r * (Wp / B) * B*B, (r + 1) * (Wp / B) * B*B)``, so stripe ``s`` is the contiguous range
``[s * S * B * Wp, min((s + 1) * S * B * Wp, N))``: :func:`stripe_bounds`. In the float
reference's Mallat layout the same coefficients are scattered over every band;
:func:`mallat_stripes` labels each Mallat index with its stripe.

Quotas
------
The frame's ``k`` (``floor(keep * N)``, or given) is split over the stripes by the positions
they cover (:func:`stripe_quotas`)::

    k_s = floor(k * E_s / N) - floor(k * B_s / N)

``B_s`` and ``E_s`` being the first and one-past-last position of stripe ``s``. The quotas add
up to ``k`` exactly (the sum telescopes), each is ``floor`` or ``ceil`` of ``k * N_s / N``
(so ``0 <= k_s <= N_s``), and when ``keep * N_s`` is an integer for every stripe (keep 1/2,
1/4, 1/8 at three levels: ``N_s`` is a multiple of 64; then ``k = keep * N``) every stripe,
the shorter last one included, gets exactly ``keep * N_s = floor(keep * N_s)``.

:func:`balanced_quotas` spreads the same ``k`` over the stripes in proportion to a per-stripe
weight instead (:func:`stripe_weight`, the sum of the squared score codes), capped at each
stripe's size; it needs every stripe's weight before the first stripe's selection.

Selection
---------
Inside each stripe the frame-wide rule applies unchanged: the ``k_s`` largest codes, equal
codes in increasing position ``p`` (:func:`golden.topk.select_topk` on the stripe's range).
The bitmap keeps its frame layout (bit ``p`` for position ``p``).
"""

from __future__ import annotations

import numpy as np

from .checks import check_keep, check_levels, check_stripe_rows
from .int_haar import position_to_mallat
from .topk import k_from_keep


def block_rows(hp: int, levels: int) -> int:
    """Number of block rows of a padded map of height ``hp``."""
    return -(-int(hp) // 2**levels)


def stripe_bounds(hp: int, wp: int, levels: int, stripe_rows) -> np.ndarray:
    """Position offsets ``[B_0 = 0, B_1, ..., B_m = N]`` of the stripes (int64, length m + 1).

    ``stripe_rows=None`` is one stripe, the frame.
    """
    levels = check_levels(levels)
    stripe_rows = check_stripe_rows(stripe_rows)
    b = 2**levels
    n = int(hp) * int(wp)
    nbr = block_rows(hp, levels)
    s = nbr if stripe_rows is None else min(stripe_rows, nbr)
    per = s * b * int(wp)
    return np.minimum(np.arange(-(-nbr // s) + 1, dtype=np.int64) * per, n)


def stripe_quotas(k: int, bounds) -> np.ndarray:
    """Per-stripe k of the frame's ``k`` (module doc): int64, sums to ``k``."""
    bounds = np.asarray(bounds, dtype=np.int64)
    n = int(bounds[-1])
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"k must be an integer in [0, N = {n}], got {k!r}")
    cum = (int(k) * bounds) // n if n else np.zeros_like(bounds)
    return np.diff(cum)


def stripe_weight(code, bounds) -> np.ndarray:
    """The balanced variant's statistic: per stripe, ``sum of code**2`` over its positions.

    One squarer and one accumulator on the code stream. Squaring the code (~ 128 log2 of the
    score) weighs a stripe by how many of its positions carry much energy, without letting a
    few very large scores dominate as the plain energy would.
    """
    code = np.asarray(code, dtype=np.int64)
    bounds = np.asarray(bounds, dtype=np.int64)
    sq = np.concatenate([[0], np.cumsum(code * code)])
    return sq[bounds[1:]] - sq[bounds[:-1]]


def balanced_quotas(k: int, bounds, weight) -> np.ndarray:
    """Split the frame's ``k`` over the stripes in proportion to ``weight``, capped at sizes.

    Exact integer apportionment: among the stripes not yet at their size, cumulative floor
    rounding of ``k_rem * W_s / W`` (as :func:`stripe_quotas` with weights for sizes); a stripe
    whose share exceeds its size gets its size, and the rest is shared again among the others.
    Stripes of zero total weight share what is left by size. Sums to ``k``.
    """
    bounds = np.asarray(bounds, dtype=np.int64)
    sizes = [int(v) for v in np.diff(bounds)]
    total = stripe_quotas(k, bounds).sum()  # validates k
    w = np.asarray(weight)
    if w.shape != (len(sizes),) or not np.issubdtype(w.dtype, np.integer) or (w < 0).any():
        raise ValueError(f"weight must be {len(sizes)} non-negative integers (one per stripe), "
                         f"got {weight!r}")
    w = [int(v) for v in w]
    quota = [0] * len(sizes)
    active = list(range(len(sizes)))
    rem = int(total)
    while active:
        wsum = sum(w[i] for i in active)
        keys = [w[i] for i in active] if wsum else [sizes[i] for i in active]
        ksum = sum(keys)
        share, acc = [], 0
        for key in keys:
            share.append((rem * (acc + key)) // ksum - (rem * acc) // ksum)
            acc += key
        over = [i for i, q in zip(active, share, strict=True) if q > sizes[i]]
        if not over:
            for i, q in zip(active, share, strict=True):
                quota[i] = q
            break
        for i in over:
            quota[i] = sizes[i]
            rem -= sizes[i]
        active = [i for i in active if i not in over]
    return np.array(quota, dtype=np.int64)


def resolve_quotas(bounds, *, keep=None, k=None) -> np.ndarray:
    """Per-stripe k from exactly one of ``keep``, ``k`` (int: the frame's k, split by
    :func:`stripe_quotas`) or ``k`` as a sequence of one k per stripe (each in [0, N_s])."""
    bounds = np.asarray(bounds, dtype=np.int64)
    n = int(bounds[-1])
    if (keep is None) == (k is None):
        raise ValueError("give exactly one of keep (in (0, 1]) or k (in [0, N])")
    if k is None:
        return stripe_quotas(k_from_keep(check_keep(keep), n), bounds)
    if np.ndim(k) == 0:
        if not 0 <= int(k) <= n:
            raise ValueError(f"k must be in [0, N = {n}], got {k}")
        return stripe_quotas(int(k), bounds)
    q = np.asarray(k)
    sizes = np.diff(bounds)
    if (q.shape != sizes.shape or not np.issubdtype(q.dtype, np.integer) or (q < 0).any()
            or (q > sizes).any()):
        raise ValueError(f"k as a sequence must hold {len(sizes)} integers (one per stripe, "
                         f"each in [0, stripe size {sizes.tolist()}]), got {k!r}")
    return q.astype(np.int64)


def select_by_group(value, group, quotas) -> np.ndarray:
    """Bitmap keeping, in each group ``g``, the ``quotas[g]`` largest ``value``; equal values
    in increasing index order. ``group`` (int, 0..m-1, any order) labels every index."""
    value = np.asarray(value)
    group = np.asarray(group, dtype=np.int64)
    quotas = np.asarray(quotas, dtype=np.int64)
    n = value.shape[0]
    idx = np.arange(n)
    # One sort for all groups: by group, then value descending, then index ascending.
    order = np.lexsort((idx, -value, group))
    start = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(quotas)))])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = idx - start[group[order]]
    return rank < quotas[group]


def select_topk_stripes(code, bounds, quotas) -> np.ndarray:
    """Bitmap of the per-stripe top-k: ``quotas[s]`` largest codes of stripe ``s``, equal codes
    in increasing position order."""
    bounds = np.asarray(bounds, dtype=np.int64)
    group = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    return select_by_group(code, group, quotas)


def mallat_stripes(hp: int, wp: int, levels: int, stripe_rows) -> np.ndarray:
    """Stripe of every flattened index of the global Mallat layout (``golden.dwt2``)."""
    bounds = stripe_bounds(hp, wp, levels, stripe_rows)
    p = np.arange(hp * wp)
    rows, cols = position_to_mallat(hp, wp, levels)
    out = np.empty(hp * wp, dtype=np.int64)
    out[rows * wp + cols] = np.searchsorted(bounds, p, side="right") - 1
    return out
