"""Golden model of the WCC accelerator: float reference and bit-exact integer spec.

Public API: :func:`dwt2`, :func:`idwt2`, :func:`wcc_float`, :func:`conv1x1`, :func:`wcc_int`,
:class:`IntParams`, :func:`params_from_float`, :func:`calibrate`; the per-stripe top-k's quotas
:func:`stripe_bounds`, :func:`stripe_quotas`, :func:`balanced_quotas`, :func:`stripe_weight`.
"""

from .calibrate import calibrate, dequantize_output
from .fixedpoint import quantize_multiplier, requantize
from .haar import dwt2, idwt2
from .int_haar import int_dwt2, int_idwt2
from .int_model import IntParams, params_from_float, quantize_input, wcc_int
from .quant import mse_best_alpha, quantize, sqnr_db
from .stripes import balanced_quotas, stripe_bounds, stripe_quotas, stripe_weight
from .topk import joint_score, score_code, select_topk
from .wcc_float import conv1x1, wcc_float

__all__ = [
    "IntParams", "balanced_quotas", "calibrate", "conv1x1", "dequantize_output", "dwt2", "idwt2",
    "int_dwt2", "int_idwt2", "joint_score", "mse_best_alpha", "params_from_float", "quantize",
    "quantize_input", "quantize_multiplier", "requantize", "score_code", "select_topk",
    "sqnr_db", "stripe_bounds", "stripe_quotas", "stripe_weight", "wcc_float", "wcc_int",
]
