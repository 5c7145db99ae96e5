"""Argument checks shared by the golden model: each raises ``ValueError`` naming the argument."""

from __future__ import annotations

import numpy as np

MAX_LEVELS = 4


def check_chw(x, name: str) -> np.ndarray:
    """Return ``x`` as an array of shape (C, H, W) with C, H, W >= 1."""
    a = np.asarray(x)
    if a.ndim != 3:
        raise ValueError(f"{name} must have 3 dimensions (C, H, W), got shape {a.shape}")
    if min(a.shape) < 1:
        raise ValueError(f"{name} must not be empty: C, H and W must be >= 1, got {a.shape}")
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise ValueError(f"{name} must be numeric, got dtype {a.dtype}")
    return a


def check_levels(levels) -> int:
    """``levels`` must be an int >= 1."""
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 1:
        raise ValueError(f"levels must be an integer >= 1, got {levels!r}")
    return int(levels)


def check_int_levels(levels) -> int:
    """The integer model (and the hardware) support 1 <= levels <= MAX_LEVELS."""
    levels = check_levels(levels)
    if levels > MAX_LEVELS:
        raise ValueError(f"levels must be in [1, {MAX_LEVELS}] for the integer model, got {levels}")
    return levels


def check_keep(keep) -> float:
    """``keep`` must be a real number in (0, 1]."""
    try:
        k = float(keep)
    except (TypeError, ValueError):
        raise ValueError(f"keep must be a number in (0, 1], got {keep!r}") from None
    if not (0.0 < k <= 1.0):
        raise ValueError(f"keep must be in (0, 1], got {keep!r}")
    return k


def check_bits(bits, name: str, allow_none: bool = True):
    """Quantization bit widths are None (no quantization) or an int in [2, 16]."""
    if bits is None and allow_none:
        return None
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 16:
        raise ValueError(f"{name} must be None or an integer in [2, 16], got {bits!r}")
    return int(bits)


def check_weight(weight, c_in: int) -> np.ndarray:
    """``weight`` must be (C_out, C_in) (a trailing 1x1 is accepted) with C_in matching ``x``."""
    w = np.asarray(weight)
    if w.ndim == 4 and w.shape[2:] == (1, 1):
        w = w[:, :, 0, 0]
    if w.ndim != 2:
        raise ValueError(f"weight must have shape (C_out, C_in), got {w.shape}")
    if w.shape[1] != c_in or w.shape[0] < 1:
        raise ValueError(
            f"weight must have shape (C_out, C_in) with C_in = {c_in} (the channels of x), "
            f"got {w.shape}"
        )
    return w


def check_bias(bias, c_out: int):
    """``bias`` is None or a vector of length C_out."""
    if bias is None:
        return None
    b = np.asarray(bias).reshape(-1)
    if b.shape != (c_out,):
        raise ValueError(
            f"bias must be None or have shape ({c_out},) (C_out), got {np.shape(bias)}"
        )
    return b


def check_int8(x, name: str) -> np.ndarray:
    """``x`` must hold integers in [-128, 127] (any integer dtype)."""
    a = np.asarray(x)
    if not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must be an int8 array (integers in [-128, 127]), got {a.dtype}")
    if a.size and (a.min() < -128 or a.max() > 127):
        raise ValueError(
            f"{name} must hold int8 values in [-128, 127], got range [{a.min()}, {a.max()}]"
        )
    return a.astype(np.int64)


def check_stripe_rows(stripe_rows):
    """``stripe_rows`` is None (one top-k over the frame) or an int >= 1 (block rows per stripe)."""
    if stripe_rows is None:
        return None
    if (isinstance(stripe_rows, bool) or not isinstance(stripe_rows, (int, np.integer))
            or stripe_rows < 1):
        raise ValueError(f"stripe_rows must be None or an integer >= 1, got {stripe_rows!r}")
    return int(stripe_rows)
