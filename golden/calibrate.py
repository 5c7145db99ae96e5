"""Post-training calibration: float layer + a sample input -> integer parameters.

The clipping values come from the float reference on the calibration input:

* ``scale_x``: the int8 input's LSB, from the MSE-best 8-bit clip of ``x``;
* ``alpha_coef``: the float reference's ``alpha_a`` (MSE-best clip of the kept coefficients);
* ``alpha_z``: ``max |z|`` of the float reference's wavelet-domain conv outputs (no clipping);
* ``alpha_out``: the MSE-best 8-bit clip of the float reference's output (after bias/ReLU).
"""

from __future__ import annotations

import numpy as np

from .int_model import QMAX, IntParams, params_from_float, quantize_input
from .quant import mse_best_alpha
from .wcc_float import wcc_float


def calibrate(
    x, weight, bias=None, *, keep, levels: int = 3, relu: bool = False, z_bits: int = 16
) -> tuple[IntParams, np.ndarray]:
    """Return ``(params, x_int8)`` for the float layer ``(weight, bias)`` on sample ``x``."""
    x = np.asarray(x, dtype=np.float64)
    out, st = wcc_float(x, weight, bias, keep=keep, levels=levels, return_stages=True)
    if relu:
        out = np.maximum(out, 0.0)
    alpha_x = mse_best_alpha(x, 8)
    scale_x = alpha_x / QMAX
    alpha_coef = st["alpha_a"] if st["alpha_a"] else 1.0
    zmax = float(np.abs(st["z"]).max()) if st["z"].size else 0.0
    alpha_z = zmax if zmax > 0 else 1.0
    alpha_out = mse_best_alpha(out, 8, signed=not relu)
    params = params_from_float(
        weight, bias, scale_x=scale_x, alpha_coef=alpha_coef, alpha_z=alpha_z,
        alpha_out=alpha_out, levels=levels, relu=relu, z_bits=z_bits,
    )
    return params, quantize_input(x, scale_x)


def dequantize_output(out, params: IntParams) -> np.ndarray:
    """int8 layer output -> float, ``scale_out * out``."""
    return np.asarray(out, dtype=np.float64) * params.scales["out"]
