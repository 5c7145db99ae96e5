"""Float uniform quantization of the paper's eq. 1-2 and the MSE-best clipping value."""

from __future__ import annotations

import numpy as np

from .checks import check_bits

# Candidate clipping values, as fractions of max|x|: a fixed geometric grid, so the search is
# deterministic and data-independent in cost.
ALPHA_GRID = np.geomspace(1e-3, 1.0, 160)


def quantize(x, bits: int | None, alpha: float, *, signed: bool = True) -> np.ndarray:
    """Eq. 2: ``alpha * q_{b-1}(clip(x / alpha, -1, 1))`` (signed) or
    ``alpha * q_b(clip(x / alpha, 0, 1))`` (unsigned), with ``q_b(t) = round((2**b-1) t) /
    (2**b-1)``. ``bits=None`` returns ``x`` unchanged. Rounding is half to even (PyTorch)."""
    x = np.asarray(x, dtype=np.float64)
    bits = check_bits(bits, "bits")
    if bits is None:
        return x
    if not alpha > 0:
        return np.zeros_like(x)
    if signed:
        levels = 2 ** (bits - 1) - 1
        t = np.clip(x / alpha, -1.0, 1.0)
    else:
        levels = 2**bits - 1
        t = np.clip(x / alpha, 0.0, 1.0)
    return alpha * np.round(levels * t) / levels


def mse_best_alpha(x, bits: int, *, signed: bool = True, max_samples: int = 200_000) -> float:
    """The clipping value on :data:`ALPHA_GRID` x max|x| with the least quantization MSE.

    For large inputs a fixed, evenly strided subsample of ``max_samples`` values is searched.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.size == 0:
        return 1.0
    if x.size > max_samples:
        x = x[:: int(np.ceil(x.size / max_samples))]
    top = float(np.abs(x).max()) if signed else float(max(x.max(), 0.0))
    if top == 0.0:
        return 1.0
    best_alpha, best_mse = top, np.inf
    for f in ALPHA_GRID:
        a = top * f
        mse = float(np.mean((quantize(x, bits, a, signed=signed) - x) ** 2))
        if mse < best_mse:
            best_alpha, best_mse = a, mse
    return best_alpha


def sqnr_db(reference, test) -> float:
    """Signal-to-quantization-noise ratio ``10 log10(sum ref^2 / sum (ref - test)^2)`` in dB."""
    r = np.asarray(reference, dtype=np.float64)
    e = r - np.asarray(test, dtype=np.float64)
    noise = float(np.sum(e * e))
    sig = float(np.sum(r * r))
    if noise == 0.0:
        return float("inf")
    return 10.0 * np.log10(sig / noise)
