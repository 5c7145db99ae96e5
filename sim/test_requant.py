"""pytest side of the requantizer cocotb testbench (sim/tb_requant.py), Icarus."""

from __future__ import annotations

import pytest
from amaranth.hdl import unsigned
from amaranth.lib import data

from hw.requant import Requantizer
from verif.runner import ROOT, run_cocotb

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
                           offset=offset, trials=4, beats=150, stall=0.3, backpressure=0.3,
                           latency=Requantizer.latency))


def test_requant_ecp5_primitive():
    # The build synthesis measures on ECP5: 8 lanes of int16 (behind an 8 x 8 array), every
    # partial product a MULT18X18D with its registers and the per-lane control copies kept
    # TRELLIS_FFs, on the behavioural models in sim/models/.
    dut = Requantizer(lanes=8, out_width=16, offset=True, tag_layout=TAG, primitive="ecp5")
    run_cocotb(dut, name="requant_ecp5_8x16", test_module="tb_requant",
               extra_sources=[ROOT / "sim" / "models" / f"{prim}.v"
                              for prim in ("MULT18X18D", "TRELLIS_FF")],
               config=dict(seed=816, lanes=8, out_width=16, lo=-(2**15), hi=2**15 - 1,
                           offset=True, trials=4, beats=100, stall=0.3, backpressure=0.3,
                           latency=Requantizer.latency))
