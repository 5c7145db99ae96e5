"""pytest side of the forward Haar cocotb testbench (sim/tb_haar.py), Icarus."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from hw.haar import HaarForward
from verif.runner import run_cocotb

MODELS = Path(__file__).resolve().parent / "models"


def frames(*specs):
    return [dict(kind=k, h=h, w=w) for k, h, w in specs]


def run(name, *, lanes, levels, max_width, max_height, specs, seed, stall=0.3,
        backpressure=0.5, in_bits=8, fifo_memory="lut"):
    dut = HaarForward(lanes=lanes, max_width=max_width, max_height=max_height, levels=levels,
                      in_bits=in_bits, fifo_memory=fifo_memory)
    run_cocotb(dut, name=name, test_module="tb_haar",
               config=dict(seed=seed, lanes=lanes, levels=levels, in_bits=in_bits,
                           pbits=dut.pbits, stall=stall, backpressure=backpressure,
                           frames=specs),
               extra_sources=[MODELS / "DP16KD.v"] if fifo_memory == "ecp5" else ())


def test_haar_photos_extremes():
    """Widths 8, 16 and max (64), heights 8..24, padding; photos, random, extremes."""
    run("haar_fwd_l3", lanes=3, levels=3, max_width=64, max_height=32, seed=11,
        specs=frames(("astronaut", 16, 64), ("camera", 8, 16), ("random", 16, 8),
                     ("low", 8, 8), ("high", 8, 16), ("checker", 16, 16), ("hot", 8, 16),
                     ("random", 13, 21), ("camera", 24, 64)))


def test_haar_dp16kd_fifo():
    """The output FIFO in instantiated DP16KD block RAMs (output register on), simulated by
    sim/models/DP16KD.v: photos, extremes, padding, with stalls and backpressure."""
    run("haar_fwd_dp16kd", lanes=4, levels=3, max_width=32, max_height=24, seed=13,
        fifo_memory="ecp5",
        specs=frames(("camera", 24, 32), ("astronaut", 16, 32), ("checker", 8, 16),
                     ("random", 13, 21), ("high", 8, 32)))


@pytest.mark.slow
@pytest.mark.parametrize("levels", [1, 2, 4])
def test_haar_levels(levels):
    b = 2**levels
    run(f"haar_fwd_l{levels}", lanes=2, levels=levels, max_width=max(16, 2 * b),
        max_height=max(16, 2 * b), seed=20 + levels,
        specs=frames(("camera", max(8, b), max(16, 2 * b)), ("random", max(8, b), 8),
                     ("checker", 16, max(8, b)), ("low", 8, 8)))


@pytest.mark.slow
def test_haar_full_camera():
    """A 128 x 128 camera crop and its neighbours at the full width, one lane."""
    run("haar_fwd_big", lanes=1, levels=3, max_width=128, max_height=128, seed=31,
        specs=frames(("camera", 128, 128), ("random", 64, 128), ("checker", 8, 128)))


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None, reason="no onnxruntime")
def test_haar_ocr_activation():
    """A real PP-OCRv4 detector activation (wcc.data.ocr_layer), int8, 8 channels."""
    run("haar_fwd_ocr", lanes=8, levels=3, max_width=64, max_height=64, seed=41,
        specs=[dict(kind="ocr", h=64, w=64, size=256)])
