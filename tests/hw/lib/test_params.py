"""Tests of hw/lib/params.py: the checks' errors and HaarParams' derived figures."""

from __future__ import annotations

import pytest

from hw.lib.params import (
    HaarParams,
    check_bool,
    check_choice,
    check_int,
    check_power_of_two,
)


def test_check_int():
    assert check_int("n", 5, 1, 8) == 5
    assert check_int("n", 10**9, 1) == 10**9
    for bad in (0, 9, 2.0, True, "3", None):
        with pytest.raises(ValueError, match=r"n must be an integer in \[1, 8\], got"):
            check_int("n", bad, 1, 8)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        check_int("n", 0, 1)


def test_check_power_of_two():
    assert check_power_of_two("d", 16, 2, 64) == 16
    for bad in (1, 3, 128, 0, -4, True):
        with pytest.raises(ValueError, match=r"d must be a power of two in \[2, 64\]"):
            check_power_of_two("d", bad, 2, 64)


def test_check_choice_and_bool():
    assert check_choice("p", "ecp5", ("generic", "ecp5")) == "ecp5"
    with pytest.raises(ValueError, match=r"p must be one of \('generic', 'ecp5'\), got 'x'"):
        check_choice("p", "x", ("generic", "ecp5"))
    with pytest.raises(ValueError, match="b must be True or False, got 1"):
        check_bool("b", 1)
    assert check_bool("b", False) is False


def test_haar_params():
    p = HaarParams(lanes=4, max_width=128, max_height=64, levels=3, in_bits=8)
    assert (p.block, p.coef_bits, p.pbits) == (8, 14, 13)
    assert p.check_in_bits(2, 16) is p
    with pytest.raises(ValueError, match="in_bits"):
        p.check_in_bits(10, 16)
    with pytest.raises(ValueError, match=r"max_width must be a multiple of 2\*\*levels = 8"):
        HaarParams(max_width=100)
    for kw in (dict(lanes=0), dict(levels=5), dict(max_height=8192), dict(in_bits=30)):
        with pytest.raises(ValueError, match=next(iter(kw))):
            HaarParams(**kw)
    members = p.unit_members(1, 2)
    assert set(members) == {"i", "o", "width", "height", "error"}
