"""pytest side of the lane-split Haar cocotb testbench (sim/tb_lane_split.py), Icarus."""

from __future__ import annotations

from pathlib import Path

from golden.int_haar import coef_bits
from hw.haar import split_forward, split_inverse
from verif.runner import run_cocotb

MODELS = Path(__file__).resolve().parent / "models"


def frames(*specs):
    return [dict(kind=k, h=h, w=w) for k, h, w in specs]


def test_lane_split_forward_dp16kd():
    """Forward, 4 lanes as two 2-lane copies with output buffers, DP16KD FIFOs
    (sim/models/DP16KD.v): photos, extremes, padding, 30 % input gaps, 50 % backpressure;
    copies in lockstep."""
    lanes, parts, levels = 4, 2, 3
    dut = split_forward(lanes, parts, max_width=32, max_height=16, levels=levels,
                        fifo_memory="ecp5")
    run_cocotb(dut, name="lane_split_fwd", test_module="tb_lane_split",
               config=dict(unit="forward", seed=61, lanes=lanes, parts=parts, levels=levels,
                           output_buffer=True,
                           in_bits=8, data_bits=dut.params.coef_bits, meta_bits=[dut.params.pbits],
                           stall=0.3, backpressure=0.5,
                           frames=frames(("camera", 8, 32), ("checker", 8, 16),
                                         ("random", 13, 21))),
               extra_sources=[MODELS / "DP16KD.v"])


def test_lane_split_inverse():
    """Inverse, 8 lanes as eight 1-lane copies without output buffers: round trip of photos
    (shift 2*levels) and extreme coefficients; copies in lockstep."""
    lanes, parts, levels = 8, 8, 2
    in_bits = coef_bits(levels, 8)
    dut = split_inverse(lanes, parts, max_width=16, max_height=16, levels=levels,
                        in_bits=in_bits, shift=2 * levels, output_buffer=False)
    run_cocotb(dut, name="lane_split_inv", test_module="tb_lane_split",
               config=dict(unit="inverse", seed=62, lanes=lanes, parts=parts, levels=levels,
                           output_buffer=False,
                           in_bits=in_bits, shift=2 * levels, data_bits=dut.unit.out_bits,
                           meta_bits=[len(dut.o.payload.row), len(dut.o.payload.col)],
                           stall=0.3, backpressure=0.5,
                           frames=frames(("camera", 16, 16), ("coef_extreme", 8, 8),
                                         ("astronaut", 5, 11))))
