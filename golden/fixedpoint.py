"""gemmlowp-exact fixed-point arithmetic: the requantization that the hardware computes.

All functions work elementwise on integer NumPy arrays (computed in int64) and on Python ints.
They are the spec of ``hw/requant.py``: the hardware must agree bit for bit.

The rounding mode is gemmlowp's: ``SaturatingRoundingDoublingHighMul`` rounds half away from
zero, ``RoundingDivideByPOT`` rounds half away from zero.
"""

from __future__ import annotations

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def _i64(x):
    return np.asarray(x, dtype=np.int64)


def saturate(x, bits: int):
    """Clamp ``x`` to the signed range of ``bits`` bits, ``[-2**(bits-1), 2**(bits-1) - 1]``."""
    return np.clip(_i64(x), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def srdhm(a, b):
    """gemmlowp ``SaturatingRoundingDoublingHighMul`` of int32 ``a`` and int32 ``b``.

    ``round_half_away(a * b / 2**31)``, saturated: the single overflow case
    ``a == b == INT32_MIN`` gives ``INT32_MAX``.
    """
    a = _i64(a)
    b = _i64(b)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    num = ab + nudge
    # C++ integer division truncates toward zero; floor division does not.
    q = np.where(num >= 0, num >> 31, -((-num) >> 31))
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, q)


def rdbpot(x, exponent):
    """gemmlowp ``RoundingDivideByPOT``: ``x / 2**exponent`` rounded half away from zero."""
    x = _i64(x)
    exponent = _i64(exponent)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def check_multiplier(multiplier: int, shift: int) -> None:
    """Raise ``ValueError`` unless ``multiplier`` is in [0, 2**31 - 1] and ``shift`` in [0, 31]."""
    if not 0 <= int(multiplier) <= INT32_MAX:
        raise ValueError(f"multiplier must be in [0, 2**31 - 1], got {multiplier}")
    if not 0 <= int(shift) <= 31:
        raise ValueError(f"shift must be in [0, 31], got {shift}")


def requantize(x, multiplier: int, shift: int, *, offset=0, lo: int = -128, hi: int = 127):
    """The requantizer of the hardware: int32 ``x`` (+ int32 ``offset``) to ``[lo, hi]``.

    ``y = clamp(rdbpot(srdhm(sat32(x + offset), multiplier), shift), lo, hi)``

    ``offset`` is added before scaling (a bias in the accumulator's scale), with int32
    saturation. ``multiplier`` is a Q0.31 value in [0, 2**31 - 1] (see
    :func:`quantize_multiplier`), ``shift`` a right shift in [0, 31]. A ReLU is ``lo = 0``.
    """
    check_multiplier(multiplier, shift)
    acc = saturate(_i64(x) + _i64(offset), 32)
    return np.clip(rdbpot(srdhm(acc, multiplier), shift), lo, hi)


def quantize_multiplier(ratio: float, *, name: str = "ratio") -> tuple[int, int]:
    """Turn a real scale ``ratio`` in (0, 1) into ``(multiplier, shift)``.

    ``ratio ~= multiplier / 2**31 / 2**shift`` with ``multiplier`` in [2**30, 2**31) (gemmlowp's
    ``QuantizeMultiplierSmallerThanOneExp``). Ratios below ``2**-62`` give ``(0, 0)``
    (everything rounds to zero); ratios of 1 or more are not representable by a right shift and
    raise ``ValueError`` naming ``name``.
    """
    ratio = float(ratio)
    if not np.isfinite(ratio) or ratio < 0:
        raise ValueError(f"{name} must be a finite non-negative scale ratio, got {ratio}")
    if ratio >= 1.0:
        raise ValueError(
            f"{name} = {ratio:.6g} must be < 1: the requantizer only shifts right; "
            "choose a coarser output scale (larger clipping value)"
        )
    if ratio == 0.0:
        return 0, 0
    mant, exp = np.frexp(ratio)  # ratio = mant * 2**exp, mant in [0.5, 1)
    multiplier = int(round(mant * 2**31))
    if multiplier == 2**31:
        multiplier //= 2
        exp += 1
    shift = -int(exp)
    if shift > 31:
        # Fold the excess shift into the multiplier (loses precision, stays exact in spec).
        multiplier = int(round(multiplier / 2 ** (shift - 31)))
        shift = 31
    if multiplier == 2**31:  # ratio rounds to exactly 1 - 2**-32 territory
        multiplier = INT32_MAX
    return multiplier, shift


def multiplier_to_float(multiplier: int, shift: int) -> float:
    """The real scale that ``(multiplier, shift)`` stands for."""
    return multiplier / 2.0**31 / 2.0**shift
