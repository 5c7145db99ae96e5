"""The WCC layer's Verilog against golden.wcc_int, whole frames back to back (cocotb).

Small random and extreme frames run on either simulator (``SIM``); the real PP-OCRv4 layers
run on Verilator, the slow ones behind ``-m slow`` (``make regress``).
"""

from __future__ import annotations

import pytest

from hw.layer import ErrorCode, WccLayer
from verif.layer_frames import save_frames, tb_layer_config
from verif.runner import BUILD, run_cocotb, waves_enabled
from verif.stimulus import layer_frame, ocr_frame

SMALL = dict(lanes=4, rows=2, cols=2, subtiles=2, max_c_in=12, max_c_out=10, max_width=24,
             max_height=16)


def run(name, params: dict, frames, *, seed, stall=0.0, backpressure=0.0, error=0,
        error_code=0, simulator=None, waves=None):
    """Build a WccLayer(**params), save ``frames`` and run ``sim/tb_layer.py`` on them."""
    dut = WccLayer(**params)
    build = BUILD / name
    build.mkdir(parents=True, exist_ok=True)
    save_frames(build / "frames.npz", frames)
    cfg = tb_layer_config(dut, build, seed=seed, stall=stall, backpressure=backpressure,
                          error=error, error_code=error_code)
    run_cocotb(dut, name=name, test_module="tb_layer", config=cfg, simulator=simulator,
               public=(), waves=waves)


def test_layer_small_random_back_to_back():
    """Several shapes back to back (channels below, at and above the lanes; sizes not
    multiples of 8; keep 1 to 1/8; ReLU), with input gaps and output backpressure."""
    frames = [layer_frame(12, 10, 16, 24, seed=1, keep=0.25),
              layer_frame(3, 4, 5, 9, seed=2, keep=1.0, relu=True),
              layer_frame(8, 10, 11, 13, seed=3, keep=0.125),
              layer_frame(5, 2, 16, 16, seed=4, keep=0.5)]
    run("layer_small", SMALL, frames, seed=11, stall=0.2, backpressure=0.3)


def test_layer_small_extremes_and_k():
    """All -128, all 127, checkerboards; k = 0 and k = N; an invalid frame between two
    valid ones is refused (its pixels and parameters dropped) and the next runs."""
    bad = {"c_in": 13, "c_out": 4, "height": 8, "width": 8, "k": 1, "m_coef": 1 << 30,
           "sh_coef": 0, "m_acc": 1 << 30, "sh_acc": 0, "m_out": 1 << 30, "sh_out": 0,
           "relu": 0, "pixel_beats": [{"data": [1] * 4, "first": 1, "last": 0}] * 3
           + [{"data": [0] * 4, "first": 0, "last": 1}],
           "param_beats": [{"data": 7, "last": 0}, {"data": 7, "last": 1}]}
    frames = [layer_frame(4, 4, 8, 8, seed=5, k=0),
              layer_frame(6, 6, 16, 16, seed=6, k=256, kind="low"),
              (bad, None, None),
              layer_frame(6, 6, 9, 17, seed=7, keep=0.25, kind="high", relu=True),
              layer_frame(7, 9, 16, 24, seed=8, keep=0.125, kind="checker")]
    run("layer_extremes", SMALL, frames, seed=12, stall=0.1, backpressure=0.2, error=1,
        error_code=int(ErrorCode.C_IN))


GEOMETRY = dict(lanes=24, rows=8, cols=8, subtiles=2)
# Whole frames of a real layer: waveforms only when asked for (WAVES=1), they run to gigabytes.
BIG = dict(simulator="verilator", waves=waves_enabled(default=False))


@pytest.mark.slow
def test_layer_ocr_add35_all_keeps():
    """p2o.Add.35 on astronaut (48 -> 48, 128 x 128 at 512) at keep 1, 1/2, 1/4, 1/8, back
    to back (one build: the keep is run-time)."""
    params = dict(GEOMETRY, max_c_in=48, max_c_out=48, max_width=128, max_height=128)
    frames = [ocr_frame("p2o.Add.35", "astronaut", keep) for keep in (1.0, 0.5, 0.25, 0.125)]
    run("layer_add35", params, frames, seed=21, **BIG)


@pytest.mark.slow
def test_layer_ocr_add63():
    """p2o.Add.63 on coffee (96 -> 96, 64 x 64 at 512) at keep 1/4 and 1/8, then with input
    gaps and output backpressure."""
    params = dict(GEOMETRY, max_c_in=96, max_c_out=96, max_width=64, max_height=64)
    frames = [ocr_frame("p2o.Add.63", "coffee", keep) for keep in (0.25, 0.125)]
    run("layer_add63", params, frames, seed=22, **BIG)
    run("layer_add63", params, frames[1:], seed=23, stall=0.2, backpressure=0.3,
        **BIG)


@pytest.mark.slow
def test_layer_ocr_c_in_192():
    """p2o.Add.91 on chelsea (192 -> 192, 32 x 32 at 512), keep 1/2 and 1/8 with ReLU."""
    params = dict(GEOMETRY, max_c_in=192, max_c_out=192, max_width=32, max_height=32)
    frames = [ocr_frame("p2o.Add.91", "chelsea", 0.5),
              ocr_frame("p2o.Add.91", "chelsea", 0.125, relu=True)]
    run("layer_c192", params, frames, seed=24, **BIG)
