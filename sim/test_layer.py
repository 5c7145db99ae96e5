"""The WCC layer's Verilog against golden.wcc_int, whole frames back to back (cocotb).

Small random and extreme frames run on either simulator (``SIM``); the real PP-OCRv4 layers
run on Verilator, the slow ones behind ``-m slow`` (``make regress``).
"""

from __future__ import annotations

import pytest

from hw.layer import ErrorCode, WccLayer
from verif.layer_frames import save_frames
from verif.runner import BUILD, run_cocotb
from verif.stimulus import layer_frame, ocr_frame

SMALL = dict(lanes=4, rows=2, cols=2, subtiles=2, max_c_in=12, max_c_out=10, max_width=24,
             max_height=16)


def run(name, params: dict, frames, *, seed, stall=0.0, backpressure=0.0, error=0,
        error_code=0, simulator=None):
    dut = WccLayer(**params)
    build = BUILD / name
    build.mkdir(parents=True, exist_ok=True)
    save_frames(build / "frames.npz", frames)
    cfg = dict(frames=str(build / "frames.npz"), lanes=dut.lanes, rows=dut.rows, cols=dut.cols,
               subtiles=dut.subtiles, out_lanes=dut.out_lanes, max_width=dut.max_width,
               max_height=dut.max_height, max_tiles=dut.max_tiles, seed=seed, stall=stall,
               backpressure=backpressure, results=str(build / "results.json"), error=error,
               error_code=error_code)
    run_cocotb(dut, name=name, test_module="tb_layer", config=cfg, simulator=simulator)


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


@pytest.mark.slow
@pytest.mark.parametrize("keep", [1.0, 0.5, 0.25, 0.125])
def test_layer_ocr_add35(keep):
    """p2o.Add.35 on astronaut (48 -> 48, 128 x 128 at 512), two frames back to back."""
    params = dict(lanes=24, rows=8, cols=8, subtiles=2, max_c_in=48, max_c_out=48,
                  max_width=128, max_height=128)
    f = ocr_frame("p2o.Add.35", "astronaut", keep)
    run(f"layer_add35_{keep}", params, [f, f], seed=21, simulator="verilator")
