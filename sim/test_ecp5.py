"""The MULT18X18D simulation model (``sim/models/MULT18X18D.v``) against Python products.

The vendor-primitive builds of the RTL (``primitive="ecp5"``) are simulated with this model, so
the model itself is checked here against an independent computation: random signed and
unsigned 18-bit operands every cycle, clock enable and synchronous reset toggled at random, for
each register configuration the RTL uses.
"""

from __future__ import annotations

import pytest
from amaranth.hdl import ClockSignal, Const, Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from verif.runner import ROOT, run_cocotb

MODEL = ROOT / "sim" / "models" / "MULT18X18D.v"
CONFIGS = {  # name -> (input A/B, pipeline, output) registers on CLK0
    "comb": (False, False, False),
    "in_out": (True, False, True),
    "in_pipe_out": (True, True, True),
}


class Mult18Shell(wiring.Component):
    """One MULT18X18D instance with its operands, flags, CE0 and RST0 on ports.

    Members
    -------
    a, b : In(18)
    signed_a, signed_b, ce, rst_m : In(1)
    p : Out(36)
    """

    def __init__(self, regs):
        self.regs = regs
        super().__init__({"a": In(18), "b": In(18), "signed_a": In(1), "signed_b": In(1),
                          "ce": In(1), "rst_m": In(1), "p": Out(36)})

    def elaborate(self, platform):
        m = Module()
        ports = {f"i_A{j}": self.a[j] for j in range(18)}
        ports.update({f"i_B{j}": self.b[j] for j in range(18)})
        ports.update({f"o_P{j}": self.p[j] for j in range(36)})
        for j in range(4):
            ports.update({f"i_CLK{j}": ClockSignal() if j == 0 else Const(0, 1),
                          f"i_CE{j}": self.ce if j == 0 else Const(1, 1),
                          f"i_RST{j}": self.rst_m if j == 0 else Const(0, 1)})
        ports.update({"i_SIGNEDA": self.signed_a, "i_SIGNEDB": self.signed_b,
                      "i_SOURCEA": Const(0, 1), "i_SOURCEB": Const(0, 1)})
        reg_in, reg_pipe, reg_out = ("CLK0" if r else "NONE" for r in self.regs)
        m.submodules.mult = Instance(
            "MULT18X18D", p_REG_INPUTA_CLK=reg_in, p_REG_INPUTB_CLK=reg_in,
            p_REG_PIPELINE_CLK=reg_pipe, p_REG_OUTPUT_CLK=reg_out, p_GSR="DISABLED",
            p_RESETMODE="SYNC", **ports)
        # The instance's clock is otherwise the only use of the domain; keep it on the ports.
        dummy = Signal()
        m.d.sync += dummy.eq(~dummy)
        return m


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_mult18x18d_model(config):
    regs = CONFIGS[config]
    run_cocotb(Mult18Shell(regs), name=f"mult18x18d_{config}", test_module="tb_ecp5",
               config={"seed": 11 + len(config), "regs": regs, "cycles": 3000},
               extra_sources=[MODEL])
