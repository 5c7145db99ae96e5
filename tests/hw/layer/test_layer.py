"""Amaranth-simulator tests of hw/layer/layer.py (WccLayer) against golden.wcc_int.

Small configurations (4 lanes, a 2 x 2 array): the composition, the frame sequencing, the
refusal of invalid frames and the cycle figures; whole real layers run in ``sim/test_layer.py``
(Verilator).
"""

from __future__ import annotations

import numpy as np
import pytest

from hw.layer import ErrorCode, WccLayer
from verif.layer_harness import expected_outputs, run_layer
from verif.stimulus import layer_frame

SMALL = dict(lanes=4, rows=2, cols=2, subtiles=2, max_c_in=12, max_c_out=10, max_width=24,
             max_height=16)


def check(dut, frames, **kw):
    maps, ends, error, code = run_layer(dut, frames, **kw)
    want = expected_outputs(frames)
    for j, (got, exp) in enumerate(zip(maps, want, strict=True)):
        bad = np.argwhere(got != exp)
        assert not len(bad), f"frame {j}: {len(bad)} mismatches, first at {bad[0]}"
    return ends, error, code


def test_one_frame():
    dut = WccLayer(**SMALL)
    ends, error, _ = check(dut, [layer_frame(6, 5, 16, 16, seed=1, keep=0.25)], seed=1)
    assert not error


@pytest.mark.parametrize("stall,bp", [(0.0, 0.0), (0.3, 0.4)])
def test_back_to_back_shapes(stall, bp):
    """Different shapes back to back: channels below, at and above the lanes and the array's
    tile, sizes not multiples of 8, keep 1 to 1/8, ReLU, k = 0 and k = N."""
    seed = 2 + int(10 * stall)
    print(f"seed={seed}")
    dut = WccLayer(**SMALL)
    frames = [layer_frame(12, 10, 16, 24, seed=seed, keep=0.25),
              layer_frame(3, 4, 5, 9, seed=seed + 1, keep=1.0, relu=True),
              layer_frame(4, 4, 8, 8, seed=seed + 2, k=0),
              layer_frame(8, 10, 11, 13, seed=seed + 3, keep=0.125),
              layer_frame(5, 2, 16, 16, seed=seed + 4, k=256, kind="low")]
    _, error, _ = check(dut, frames, seed=seed, stall=stall, backpressure=bp)
    assert not error


def test_refused_frame_between_valid_ones():
    """A configuration with c_in above max_c_in: its pixels and parameters are dropped,
    error and the code rise, the frames around it are exact."""
    dut = WccLayer(**SMALL)
    bad = {"c_in": 13, "c_out": 4, "height": 8, "width": 8, "k": 1, "m_coef": 1 << 30,
           "sh_coef": 0, "m_acc": 1 << 30, "sh_acc": 0, "m_out": 1 << 30, "sh_out": 0,
           "relu": 0,
           "pixel_beats": [{"data": [1] * 4, "first": j == 0, "last": j == 4} for j in range(5)],
           "param_beats": [{"data": 7, "last": j == 2} for j in range(3)]}
    frames = [layer_frame(6, 6, 9, 17, seed=7, keep=0.25, kind="high", relu=True),
              (bad, None, None),
              layer_frame(7, 9, 16, 24, seed=8, keep=0.125, kind="checker")]
    _, error, code = check(dut, frames, seed=3)
    assert error and code == ErrorCode.C_IN


@pytest.mark.parametrize("field,value,code", [
    ("c_out", 0, ErrorCode.C_OUT), ("height", 17, ErrorCode.HEIGHT),
    ("width", 0, ErrorCode.WIDTH), ("k", 8 * 8 + 1, ErrorCode.K)])
def test_error_codes(field, value, code):
    dut = WccLayer(**SMALL)
    raw = {"c_in": 4, "c_out": 4, "height": 8, "width": 8, "k": 1, "m_coef": 1 << 30,
           "sh_coef": 0, "m_acc": 1 << 30, "sh_acc": 0, "m_out": 1 << 30, "sh_out": 0,
           "relu": 0, field: value,
           "pixel_beats": [{"data": [0] * 4, "first": 1, "last": 1}],
           "param_beats": [{"data": 0, "last": 1}]}
    frames = [(raw, None, None), layer_frame(4, 4, 8, 8, seed=9, keep=0.5)]
    _, error, got = check(dut, frames, seed=4)
    assert error and got == code


def test_bad_parameters():
    for kw, name in (({"lanes": 3}, "lanes"), ({"subtiles": 3}, "subtiles"),
                     ({"max_k": 0}, "max_k"), ({"max_c_in": 0}, "max_c_in"),
                     ({"levels": 5}, "levels"), ({"primitive": "x"}, "primitive"),
                     ({"cols": 32, "subtiles": 4}, "subtiles"),
                     ({"lanes": 1, "rows": 1, "cols": 1, "subtiles": 1}, "subtiles \\* cols")):
        with pytest.raises(ValueError, match=name):
            WccLayer(**{**SMALL, **kw})


@pytest.mark.parametrize("c_in,c_out,keep,slowest", [
    (8, 8, 0.25, "top-k (input + emission)"),
    (8, 10, 0.5, "convolution (array x beats)"),
])
def test_steady_cycles_meet_the_slowest_stage(c_in, c_out, keep, slowest):
    """Three identical frames back to back: the steady frame time (between the last output
    beats of frames 2 and 3) is at least the slowest stage's analytic cycles
    (``WccLayer.stage_cycles``: each of those beats takes a cycle) and within 2 % of it."""
    dut = WccLayer(**SMALL)
    frame = layer_frame(c_in, c_out, 16, 16, seed=3, keep=keep)
    ends, error, _ = check(dut, [frame] * 3, seed=1)
    bounds = dut.stage_cycles(c_in, c_out, 256, frame[2])
    steady = ends[-1] - ends[-2]
    print(f"steady {steady}, stages {bounds}")
    assert max(bounds, key=bounds.get) == slowest
    assert max(bounds.values()) <= steady <= 1.02 * max(bounds.values())
    assert not error


@pytest.mark.parametrize("params", [
    SMALL,
    dict(lanes=24, rows=8, cols=8, subtiles=2, max_c_in=96, max_c_out=40, max_width=64,
         max_height=32, max_k=512),
])
def test_memory_bits_match_the_blocks_formulas(params):
    """The netlist count of ``WccLayer.memory_bits`` against each block's own figure (the
    formulas of docs/layer.md), buffer by buffer."""
    dut = WccLayer(**params)
    got = dut.memory_bits
    want = {
        "frame store (top-k coefficients, codes, scores, histogram)":
            dut.topk.memory_bits["total"],
        "kept-column buffer": dut.colbuf.memory_bits,
        "bitmap (zero-fill)": dut.zerofill.memory_bits,
        "biases": dut.output.memory_bits,
        "forward Haar line buffers": dut.forward.line_buffer_bits,
        "forward Haar output FIFO": dut.forward.fifo_bits,
        "inverse Haar block store": dut.inverse.buffer_bits,
        "weights (array PEs)": dut.rows * dut.cols * dut.array.depth * 8,
    }
    for name, bits in want.items():
        assert got[name] == bits, (name, got[name], bits)
    fifos = [k for k in got if k.startswith("stream FIFOs")]
    assert len(fifos) == 1 and got[fifos[0]] > 0
    assert set(got) == set(want) | set(fifos), set(got) ^ set(want)
