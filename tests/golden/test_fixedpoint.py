"""gemmlowp fixed point (golden/fixedpoint.py) against exact rational arithmetic."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from golden.fixedpoint import (
    INT32_MAX,
    INT32_MIN,
    multiplier_to_float,
    quantize_multiplier,
    rdbpot,
    requantize,
    srdhm,
)

i32 = st.integers(INT32_MIN, INT32_MAX)


def _round_half_away(fr: Fraction) -> int:
    n = math.floor(abs(fr) + Fraction(1, 2))
    return n if fr >= 0 else -n


@given(i32, i32)
def test_srdhm_is_rounded_exact_product(a, b):
    got = int(srdhm(a, b))
    if a == b == INT32_MIN:
        assert got == INT32_MAX
    else:
        assert got == _round_half_away(Fraction(a * b, 2**31))


@given(i32, st.integers(0, 31))
def test_rdbpot_rounds_half_away(x, e):
    assert int(rdbpot(x, e)) == _round_half_away(Fraction(x, 2**e))


@pytest.mark.parametrize("x, e, want", [(5, 1, 3), (-5, 1, -3), (3, 1, 2), (-3, 1, -2),
                                         (4, 2, 1), (-6, 2, -2), (INT32_MIN, 31, -1),
                                         (INT32_MAX, 31, 1), (7, 0, 7)])
def test_rdbpot_ties(x, e, want):
    assert int(rdbpot(x, e)) == want


def test_requantize_corners():
    m = 2**31 - 1
    assert int(requantize(INT32_MAX, m, 0, lo=-(2**31), hi=2**31 - 1)) == INT32_MAX - 1
    assert int(requantize(INT32_MIN, m, 0, lo=-(2**31), hi=2**31 - 1)) == INT32_MIN + 1
    assert int(requantize(10_000, m, 0)) == 127 and int(requantize(-10_000, m, 0)) == -128
    assert int(requantize(-5, 2**30, 0, lo=0, hi=127)) == 0  # ReLU clamp
    # offset saturates at int32 before scaling
    assert int(requantize(INT32_MAX, 2**30, 31, offset=INT32_MAX, lo=-9, hi=9)) == 1


@given(st.floats(1e-9, 0.999999), i32)
def test_quantize_multiplier_matches_ratio(ratio, x):
    m, s = quantize_multiplier(ratio)
    assert 0 <= m <= INT32_MAX and 0 <= s <= 31
    assert abs(multiplier_to_float(m, s) - ratio) <= ratio * 2**-30 + 2**-62
    y = int(requantize(x, m, s, lo=INT32_MIN, hi=INT32_MAX))
    assert abs(y - x * ratio) <= 1 + abs(x) * ratio * 2**-29


@pytest.mark.parametrize("ratio", [1.0, 2.5, -0.1, float("nan")])
def test_quantize_multiplier_rejects(ratio):
    with pytest.raises(ValueError, match="ratio"):
        quantize_multiplier(ratio)


@pytest.mark.parametrize("m, s", [(-1, 0), (2**31, 0), (1, 32), (1, -1)])
def test_requantize_rejects_bad_parameters(m, s):
    with pytest.raises(ValueError, match="multiplier|shift"):
        requantize(np.arange(3), m, s)
