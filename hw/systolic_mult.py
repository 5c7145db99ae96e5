"""ECP5 primitives of a systolic PE (hw/systolic_pe.py): the multiplier and kept registers."""

from __future__ import annotations

from amaranth.hdl import ClockSignal, Const, Instance, Module, ResetSignal, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.ecp5_mult import mult18x18d

__all__ = ["PRIMITIVES", "SystolicMult", "kept_register"]

PRIMITIVES = ("generic", "ecp5")


def kept_register(m, value, *, primitive: str, name: str, reset: bool = False):
    """``value`` delayed one cycle by a register that synthesis keeps as a distinct flip-flop.

    The weight-read address of PE (r, c) is the beat's address delayed ``r + c`` cycles, so
    every PE on an anti-diagonal holds the same value and Yosys merges their registers into
    one, which then drives LUT-RAMs all over the array. With ``primitive="ecp5"`` each bit
    is a ``TRELLIS_FF`` with the ``keep`` attribute, which ``opt_merge`` leaves alone (no
    enable; simulate with ``sim/models/TRELLIS_FF.v``); ``"generic"`` is a plain register.
    Both start at 0. ``reset``: the sync domain's reset clears the register (a state copy,
    e.g. a FIFO pointer); otherwise it is not reset (a data copy).
    """
    q = Signal(value.shape(), name=name, reset_less=not reset)
    if primitive == "generic":
        m.d.sync += q.eq(value)
        return q
    lsr = ResetSignal() if reset else Const(0, 1)
    for i in range(len(q)):
        m.submodules[f"{name}_{i}"] = Instance(
            "TRELLIS_FF", p_GSR="DISABLED", p_CEMUX="1", p_CLKMUX="CLK", p_LSRMUX="LSR",
            p_SRMODE="LSR_OVER_CE", p_REGSET="RESET", a_keep=1,
            i_CLK=ClockSignal(), i_LSR=lsr, i_CE=Const(1, 1), i_DI=value[i], o_Q=q[i])
    return q


class SystolicMult(wiring.Component):
    """``p = a * b`` (int8 x int8 -> int16) with a register on each operand and on the product.

    ``primitive="generic"`` describes the registers and the product behaviourally (Yosys maps
    the product to an ECP5 MULT18X18D or an iCE40 SB_MAC16 and leaves the registers in the
    fabric). ``primitive="ecp5"`` instantiates a MULT18X18D with its A, B and output registers
    enabled (``REG_INPUTA_CLK``, ``REG_INPUTB_CLK``, ``REG_OUTPUT_CLK`` = ``"CLK0"``), so that
    nextpnr times the multiplier as register to register inside the DSP block instead of
    as a combinational path between fabric flip-flops; simulate it with
    ``sim/models/MULT18X18D.v``.

    None of the three registers is reset (neither variant): the PE's valid flags travel
    outside the multiplier, and after two clock cycles its output depends on its inputs only.

    Latency 2 cycles, throughput one product per cycle, no enable.

    Parameters
    ----------
    primitive : {"generic", "ecp5"}
        Behavioural description or MULT18X18D instance.

    Members
    -------
    a, b : In(signed(8))
        Operands, sampled every cycle.
    p : Out(signed(16))
        ``a * b`` of two cycles earlier (``|a b| <= 2**14`` fits).
    """

    def __init__(self, primitive: str = "generic"):
        if primitive not in PRIMITIVES:
            raise ValueError(f"primitive must be one of {PRIMITIVES}, got {primitive!r}")
        self.primitive = primitive
        super().__init__({"a": In(signed(8)), "b": In(signed(8)), "p": Out(signed(16))})

    def elaborate(self, platform):
        m = Module()
        if self.primitive == "generic":
            a_r = Signal(signed(8), reset_less=True)
            b_r = Signal(signed(8), reset_less=True)
            m.d.sync += [a_r.eq(self.a), b_r.eq(self.b), self.p.eq(a_r * b_r)]
            return m

        # The DSP's input and output registers are the generic build's a_r/b_r and p.
        m.d.comb += self.p.eq(mult18x18d(m, self.a, self.b, "dsp")[:16])
        return m
