"""pytest side of the requantizer cocotb testbench (sim/tb_requant.py), Icarus."""

from __future__ import annotations

import pytest
from amaranth.hdl import unsigned
from amaranth.lib import data
from runner import run_cocotb

from hw.requant import Requantizer

TAG = data.StructLayout({"pos": unsigned(12), "last": 1})


@pytest.mark.parametrize("out_width,lo,hi,relu,offset", [
    (8, -128, 127, False, False),
    (8, -127, 127, False, False),
    (16, 0, 32767, True, True),
])
def test_requant(out_width, lo, hi, relu, offset):
    dut = Requantizer(lanes=3, out_width=out_width, lo=None if relu else lo, hi=hi, relu=relu,
                      offset=offset, tag_layout=TAG)
    run_cocotb(dut, name=f"requant_{out_width}_{abs(lo)}_{int(offset)}", test_module="tb_requant",
               config=dict(seed=7 + out_width, lanes=3, out_width=out_width, lo=lo, hi=hi,
                           offset=offset, trials=4, beats=150, stall=0.3, backpressure=0.3))
