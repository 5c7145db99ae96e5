"""Float reference of one WCC layer, step by step as ``shared/notes/reference-semantics.md``."""

from __future__ import annotations

import numpy as np

from .checks import (
    check_bias,
    check_bits,
    check_chw,
    check_keep,
    check_levels,
    check_stripe_rows,
    check_weight,
)
from .haar import dwt2, idwt2, pad_to
from .quant import mse_best_alpha, quantize
from .stripes import mallat_stripes, select_by_group, stripe_bounds, stripe_quotas
from .topk import k_from_keep


def quantize_weight(weight, bits_w, alpha_w=None, *, normalize: bool = False) -> np.ndarray:
    """Per-layer signed quantization of (C_out, C_in) weights (eq. 2).

    ``normalize=True`` is the paper's training-time variant (subtract the mean, divide by the
    standard deviation over the layer, then quantize); it changes the layer's function and only
    suits layers trained that way. ``alpha_w=None`` means ``max|w|`` (no clipping).
    """
    w = np.asarray(weight, dtype=np.float64)
    if normalize:
        w = (w - w.mean()) / (w.std() + 1e-12)
    if bits_w is None:
        return w
    a = float(np.abs(w).max()) if alpha_w is None else float(alpha_w)
    return quantize(w, bits_w, a, signed=True)


def topk_bitmap_float(score: np.ndarray, k: int) -> np.ndarray:
    """The k largest scores; equal scores in increasing (raster) position order."""
    order = np.argsort(-score, kind="stable")
    bitmap = np.zeros(score.shape[0], dtype=bool)
    bitmap[order[:k]] = True
    return bitmap


def wcc_float(
    x,
    weight,
    bias=None,
    *,
    keep,
    levels: int = 3,
    bits_w: int | None = 8,
    bits_a: int | None = 8,
    alpha_w: float | None = None,
    alpha_a: float | None = None,
    normalize_w: bool = False,
    stripe_rows: int | None = None,
    return_stages: bool = False,
):
    """One WCC layer in float64.

    Parameters
    ----------
    x : array_like, (C_in, H, W)
        Input activation map, any H, W >= 1.
    weight : array_like, (C_out, C_in)
        1x1-conv weights ((C_out, C_in, 1, 1) is accepted).
    bias : array_like, (C_out,), optional
        Added in the spatial domain after the inverse Haar.
    keep : float in (0, 1]
        Fraction of the padded positions kept: ``k = floor(keep * Hp * Wp)``.
    levels : int >= 1
    bits_w, bits_a : int or None
        Weight and kept-coefficient bits (eq. 2, signed); None: no quantization.
    alpha_w, alpha_a : float or None
        Clipping values; None: ``max|w|`` for the weights and the MSE-best value
        (:func:`golden.quant.mse_best_alpha`) over the kept coefficients for the activations.
    normalize_w : bool
        The paper's weight normalization before quantization (training-time variant).
    stripe_rows : int >= 1, optional
        None: one top-k over the frame (the paper). S: a top-k in each stripe of S block rows
        of ``2**levels`` image rows, ``k`` split over the stripes as in the integer model
        (:func:`golden.stripes.stripe_quotas`); equal scores in increasing Mallat index order
        inside a stripe.
    return_stages : bool
        Also return a dict of the intermediate arrays.

    Returns
    -------
    numpy.ndarray, (C_out, H, W) float64 (and the stages dict if asked).
    """
    x = check_chw(x, "x").astype(np.float64)
    keep = check_keep(keep)
    levels = check_levels(levels)
    bits_w = check_bits(bits_w, "bits_w")
    bits_a = check_bits(bits_a, "bits_a")
    c_in, h, w = x.shape
    wq = quantize_weight(check_weight(weight, c_in), bits_w, alpha_w, normalize=normalize_w)
    b = check_bias(bias, wq.shape[0])

    xp = pad_to(x, levels)
    hp, wp = xp.shape[1:]
    y = dwt2(xp, levels).reshape(c_in, -1)
    score = (y * y).sum(axis=0)
    k = k_from_keep(keep, hp * wp)
    stripe_rows = check_stripe_rows(stripe_rows)
    if stripe_rows is None:
        bitmap = topk_bitmap_float(score, k)
        stripe_k = np.array([k])
    else:
        stripe_k = stripe_quotas(k, stripe_bounds(hp, wp, levels, stripe_rows))
        group = mallat_stripes(hp, wp, levels, stripe_rows)
        bitmap = select_by_group(score, group, stripe_k)
    kept = y[:, bitmap]
    if bits_a is not None:
        a = mse_best_alpha(kept, bits_a) if alpha_a is None else float(alpha_a)
        kept_q = quantize(kept, bits_a, a, signed=True)
    else:
        a, kept_q = None, kept
    z = wq @ kept_q
    zf = np.zeros((wq.shape[0], hp * wp))
    zf[:, bitmap] = z
    out = idwt2(zf.reshape(-1, hp, wp), levels)[:, :h, :w]
    if b is not None:
        out = out + b[:, None, None]
    if not return_stages:
        return out
    stages = dict(
        padded=xp, coeffs=y, score=score, k=k, stripe_k=stripe_k, bitmap=bitmap, kept=kept,
        alpha_a=a, kept_q=kept_q, weight_q=wq, z=z, out=out,
    )
    return out, stages


def conv1x1(x, weight, bias=None) -> np.ndarray:
    """The exact float 1x1 convolution of a (C_in, H, W) map, the reference for SQNR."""
    x = check_chw(x, "x").astype(np.float64)
    w = check_weight(weight, x.shape[0]).astype(np.float64)
    out = np.einsum("oc,chw->ohw", w, x)
    b = check_bias(bias, w.shape[0])
    return out if b is None else out + b[:, None, None]
