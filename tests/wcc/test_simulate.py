"""Tests of wcc/simulate.py without a simulator: the option checks and the stage locator."""

from __future__ import annotations

import pytest

from hw.layer import WccLayer
from hw.lib.layouts import (
    accumulator_layout,
    coef_layout,
    column_layout,
    lanes_layout,
    pixel_layout,
)
from verif.cocotb_streams import pack
from verif.stimulus import layer_frame
from wcc.simulate import expected_streams, locate_mismatch

SMALL = dict(lanes=4, rows=2, cols=2, subtiles=2, max_c_in=12, max_c_out=10, max_width=24,
             max_height=16)


def golden_trace(dut, x, params, k) -> dict:
    """The payload integers the testbench would record from a correct RTL."""
    exp = expected_streams(dut, x, params, k)
    lay = {"forward Haar out": coef_layout(dut.lanes, dut.coef_bits, dut.forward.pbits),
           "top-k in": dut.topk.i.payload.shape(), "top-k columns out": column_layout(dut.lanes),
           "array x": lanes_layout(dut.rows, 8), "array y": accumulator_layout(dut.cols),
           "inverse Haar in": pixel_layout(dut.out_lanes, 16)}
    trace = {}
    for name in ("forward Haar out", "top-k in"):
        trace[name] = [pack(lay[name], {"pos": p, "data": list(d), "coef": list(d) * 0})
                       for plane in exp[name] for p, d in reversed(plane)]
    trace["top-k columns out"] = [pack(lay["top-k columns out"], {"data": d})
                                  for d in exp["top-k columns out"]]
    trace["array x"] = [pack(lay["array x"], d) for d in exp["array x"]]
    trace["array y"] = [pack(lay["array y"], {"data": d}) for d in exp["array y"]]
    trace["inverse Haar in"] = [pack(lay["inverse Haar in"], {"data": d})
                                for d in exp["inverse Haar in"]]
    return trace


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_locator_names_the_first_differing_stage():
    dut = WccLayer(**SMALL)
    x, params, k = layer_frame(6, 5, 16, 16, seed=1, keep=0.25)
    trace = golden_trace(dut, x, params, k)
    assert locate_mismatch(dut, trace, x, params, k).startswith("output stage")
    for name in ("array y", "top-k columns out", "forward Haar out"):
        bad = dict(trace)
        bad[name] = list(bad[name])
        bad[name][len(bad[name]) // 2] ^= 1
        assert locate_mismatch(dut, bad, x, params, k) == name

