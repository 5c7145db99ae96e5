"""pytest side of the inverse Haar cocotb testbench (sim/tb_ihaar.py), Icarus."""

from __future__ import annotations

import pytest

from golden.int_haar import coef_bits
from hw.haar import HaarInverse
from verif.runner import run_cocotb


def frames(*specs):
    return [dict(kind=k, h=h, w=w) for k, h, w in specs]


def run(name, *, lanes, levels, max_width, max_height, specs, seed, in_bits, shift,
        stall=0.3, backpressure=0.5):
    dut = HaarInverse(lanes=lanes, max_width=max_width, max_height=max_height, levels=levels,
                      in_bits=in_bits, shift=shift)
    run_cocotb(dut, name=name, test_module="tb_ihaar",
               config=dict(seed=seed, lanes=lanes, levels=levels, in_bits=in_bits, shift=shift,
                           row_bits=len(dut.o.payload.row), col_bits=len(dut.o.payload.col),
                           stall=stall, backpressure=backpressure, frames=specs))


def test_ihaar_round_trip():
    """Forward coefficients of photos and extremes, shift = 2*levels: exactly x again."""
    run("haar_inv_rt", lanes=3, levels=3, max_width=64, max_height=32, seed=12,
        in_bits=coef_bits(3, 8), shift=6,
        specs=frames(("astronaut", 16, 64), ("camera", 8, 16), ("random", 13, 21),
                     ("low", 8, 8), ("high", 8, 16), ("checker", 16, 8), ("hot", 8, 16)))


def test_ihaar_raw_coefficients():
    """Random and extreme 16-bit coefficients (the requantized conv outputs), no shift."""
    run("haar_inv_raw", lanes=4, levels=3, max_width=32, max_height=16, seed=13,
        in_bits=16, shift=0,
        specs=frames(("coef_random", 16, 32), ("coef_extreme", 8, 16), ("coef_random", 9, 8)))


@pytest.mark.slow
@pytest.mark.parametrize("levels,shift", [(1, 2), (2, 0), (4, 5)])
def test_ihaar_levels(levels, shift):
    b = 2**levels
    run(f"haar_inv_l{levels}", lanes=2, levels=levels, max_width=max(16, 2 * b),
        max_height=max(16, 2 * b), seed=50 + levels, in_bits=16, shift=shift,
        specs=frames(("coef_random", max(8, b), max(16, 2 * b)), ("coef_extreme", 16, b)))


@pytest.mark.slow
def test_ihaar_full_camera():
    """Round trip of a 128 x 128 camera crop at the full width, one lane."""
    run("haar_inv_big", lanes=1, levels=3, max_width=128, max_height=128, seed=32,
        in_bits=coef_bits(3, 8), shift=6, specs=frames(("camera", 128, 128)))
