"""Bit-exact integer model of one WCC layer: the spec of the hardware (see docs/spec.md).

Stages, for an int8 map ``x`` (C_in, H, W) and :class:`IntParams` ``P``:

1. pad with zeros to multiples of B = 2**L;
2. ``w = int_dwt2(x)``: exact adder/shift Haar, (C_in, N) in position order, 2L+8 bits;
3. ``score = sum_c w**2`` (exact); ``code = score_code(score)``; top-k bitmap (k at run time),
   over the frame or in each stripe of ``stripe_rows`` block rows (:mod:`golden.stripes`);
4. ``q = requantize(w, P.m_coef, P.sh_coef, lo=-127, hi=127)``: int8 coefficients (the same
   whether all N columns are quantized before the top-k or only the k kept ones after it);
5. ``cols = q[:, bitmap]``: the kept columns (C_in, k) in position order;
6. ``acc = W @ cols``: int32 accumulators (W int8 in [-127, 127]);
7. ``z = requantize(acc, P.m_acc, P.sh_acc, lo=-2**(Z-1), hi=2**(Z-1)-1)``, Z = ``P.z_bits``;
8. zero-fill: ``zf[:, bitmap] = z``, zeros elsewhere;
9. ``v = int_idwt2(zf)``: exact inverse Haar, Z+L+2 bits;
10. ``out = requantize(v, P.m_out, P.sh_out, offset=P.bias, lo=0 if relu else -128, hi=127)``,
    cropped to (C_out, H, W): int8, bias and ReLU in the spatial domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .checks import (
    check_bias,
    check_chw,
    check_int8,
    check_int_levels,
    check_stripe_rows,
    check_weight,
)
from .fixedpoint import quantize_multiplier, requantize, saturate
from .haar import pad_to
from .int_haar import int_dwt2, int_idwt2
from .stripes import resolve_quotas, select_topk_stripes, stripe_bounds
from .topk import DEFAULT_MANT_BITS, joint_score, score_code, select_topk

QMAX = 127  # eq. 2 signed 8-bit: levels -127..127


@dataclass
class IntParams:
    """Integer parameters of one WCC layer (what the hardware's registers hold).

    ``weight`` int8 (C_out, C_in); ``bias`` int32 (C_out,) in the scale of ``v``;
    ``(m_*, sh_*)`` Q0.31 multipliers and right shifts of the three requantizers. ``scale_*``
    are the real scales (value = scale * integer) of x, q, weight, z and out, for reference.
    """

    weight: np.ndarray
    bias: np.ndarray
    m_coef: int
    sh_coef: int
    m_acc: int
    sh_acc: int
    m_out: int
    sh_out: int
    levels: int = 3
    z_bits: int = 16
    relu: bool = False
    mant_bits: int = DEFAULT_MANT_BITS
    scales: dict = field(default_factory=dict)


def params_from_float(
    weight,
    bias=None,
    *,
    scale_x: float,
    alpha_coef: float,
    alpha_z: float,
    alpha_out: float,
    levels: int = 3,
    alpha_w: float | None = None,
    relu: bool = False,
    z_bits: int = 16,
) -> IntParams:
    """Integer parameters from a float layer and its clipping values.

    ``scale_x``: the real value of one LSB of the int8 input. ``alpha_coef``: clip of the
    orthonormal Haar coefficients (eq. 2, as ``alpha_a`` of :func:`golden.wcc_float`).
    ``alpha_z``: clip of the wavelet-domain conv outputs (mapped to Z-bit integers).
    ``alpha_out``: clip of the layer output (int8). ``alpha_w``: weight clip (None: max|w|).
    """
    levels = check_int_levels(levels)
    w = np.asarray(weight, dtype=np.float64)
    w = w[:, :, 0, 0] if w.ndim == 4 else w
    if w.ndim != 2:
        raise ValueError(f"weight must have shape (C_out, C_in), got {w.shape}")
    for name, val in (("scale_x", scale_x), ("alpha_coef", alpha_coef), ("alpha_z", alpha_z),
                      ("alpha_out", alpha_out)):
        if not (np.isfinite(val) and val > 0):
            raise ValueError(f"{name} must be a positive finite number, got {val!r}")
    aw = float(np.abs(w).max()) if alpha_w is None else float(alpha_w)
    aw = aw if aw > 0 else 1.0
    s_w = aw / QMAX
    w_int = np.clip(np.round(w / s_w), -QMAX, QMAX).astype(np.int64)
    s_x = float(scale_x)
    zmax = 2 ** (z_bits - 1) - 1
    # A scale finer than the LSB of the value it requantizes gains nothing and would need a
    # left shift: such scales are coarsened to that LSB (ratio 1 - 2**-31, exact below 2**30).
    s_c = max(alpha_coef / QMAX, s_x / 2**levels)
    s_z = max(alpha_z / zmax, s_w * s_c)
    s_v = s_z / 2**levels
    s_y = max(alpha_out / QMAX, s_v)
    one = 1 - 2**-31
    m_coef, sh_coef = quantize_multiplier(min(s_x / 2**levels / s_c, one), name="coef ratio")
    m_acc, sh_acc = quantize_multiplier(min(s_w * s_c / s_z, one), name="acc ratio")
    m_out, sh_out = quantize_multiplier(min(s_v / s_y, one), name="out ratio")
    b = check_bias(bias, w.shape[0])
    b_int = np.zeros(w.shape[0], np.int64) if b is None else saturate(np.round(b / s_v), 32)
    return IntParams(
        weight=w_int, bias=b_int, m_coef=m_coef, sh_coef=sh_coef, m_acc=m_acc, sh_acc=sh_acc,
        m_out=m_out, sh_out=sh_out, levels=levels, z_bits=z_bits, relu=relu,
        scales=dict(x=s_x, coef=s_c, w=s_w, z=s_z, v=s_v, out=s_y),
    )


def quantize_input(x, scale_x: float) -> np.ndarray:
    """Float activations -> int8 with eq. 2's symmetric levels [-127, 127], half away from 0."""
    t = np.asarray(x, dtype=np.float64) / scale_x
    return np.clip(np.sign(t) * np.floor(np.abs(t) + 0.5), -QMAX, QMAX).astype(np.int64)


def wcc_int(x, params: IntParams, *, keep=None, k=None, stripe_rows=None, trace: bool = False):
    """Run the integer layer on int8 ``x`` (C_in, H, W); give ``keep`` or ``k``.

    Parameters
    ----------
    x : array_like of int, (C_in, H, W)
        int8 values.
    params : IntParams
    keep : float in (0, 1], optional
        ``k = floor(keep * N)``.
    k : int in [0, N], or sequence of int, optional
        The frame's k; with ``stripe_rows``, also one k per stripe (each in [0, N_s]).
    stripe_rows : int >= 1, optional
        None: one top-k over the frame. S: a top-k in each stripe of S block rows, the frame's
        k split over the stripes by :func:`golden.stripes.stripe_quotas` (docs/spec.md).
    trace : bool
        Also return every stage.

    Returns
    -------
    The int8 output (C_out, H, W) as int64, and with ``trace=True`` also a dict of every stage
    (keys: padded, coeffs, q, score, code, k, stripe_bounds, stripe_k, bitmap, cols, acc, z,
    zero_filled, v, out).
    """
    x = check_int8(check_chw(x, "x"), "x")
    P = params
    levels = check_int_levels(P.levels)
    c_in, h, w = x.shape
    wt = check_weight(P.weight, c_in).astype(np.int64)
    if wt.min() < -128 or wt.max() > 127:
        raise ValueError("params.weight must hold int8 values in [-128, 127]")
    xp = pad_to(x, levels)
    hp, wp = xp.shape[1:]
    n = hp * wp
    stripe_rows = check_stripe_rows(stripe_rows)
    if stripe_rows is None and k is not None and np.ndim(k):
        raise ValueError(f"k must be an integer in [0, N = {n}] when stripe_rows is None "
                         f"(one k per stripe needs stripe_rows), got {k!r}")
    bounds = stripe_bounds(hp, wp, levels, stripe_rows)
    quotas = resolve_quotas(bounds, keep=keep, k=k)
    k = int(quotas.sum())
    coeffs = int_dwt2(xp, levels)
    q = requantize(coeffs, P.m_coef, P.sh_coef, lo=-QMAX, hi=QMAX)
    score = joint_score(coeffs)
    code = score_code(score, P.mant_bits)
    if stripe_rows is None:
        bitmap = select_topk(code, k)
    else:
        bitmap = select_topk_stripes(code, bounds, quotas)
    cols = q[:, bitmap]
    acc = wt @ cols
    zlim = 2 ** (P.z_bits - 1)
    z = requantize(acc, P.m_acc, P.sh_acc, lo=-zlim, hi=zlim - 1)
    zf = np.zeros((wt.shape[0], n), dtype=np.int64)
    zf[:, bitmap] = z
    v = int_idwt2(zf, levels, hp, wp)
    lo = 0 if P.relu else -128
    bias = np.asarray(P.bias, dtype=np.int64)[:, None, None]
    out = requantize(v, P.m_out, P.sh_out, offset=bias, lo=lo, hi=127)[:, :h, :w]
    if not trace:
        return out
    return out, dict(
        padded=xp, coeffs=coeffs, q=q, score=score, code=code, k=k, stripe_bounds=bounds,
        stripe_k=quotas, bitmap=bitmap,
        cols=cols, acc=acc, z=z, zero_filled=zf, v=v, out=out,
    )
