"""One weight-stationary processing element of the systolic array and its multiplier."""

from __future__ import annotations

from amaranth.hdl import Array, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.data import ArrayLayout
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..lib.ecp5 import PRIMITIVES, kept_register, mult18x18d
from ..lib.params import check_choice, check_power_of_two

__all__ = ["PE_LATENCY", "SystolicMult", "SystolicPE", "memory_banks"]

# Cycles from a PE's x_out to its psum_out holding that activation's contribution.
PE_LATENCY = 6


def memory_banks(depth: int, primitive: str) -> int:
    """Memories (banks) a PE's weight store of ``depth`` words is built of.

    16-word LUT-RAM banks on ECP5 (``primitive="ecp5"``), each read into a register of its
    own; elsewhere (iCE40: block RAM, whose read is registered) one memory, since each bank
    would take a block RAM of its own.
    """
    return max(1, depth // 16) if primitive == "ecp5" else 1


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
        self.primitive = check_choice("primitive", primitive, PRIMITIVES)
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


class SystolicPE(wiring.Component):
    """int8 x int8 multiply-add with a local, double-buffered weight memory.

    The PE holds ``depth`` int8 weights (two banks of ``depth // 2`` words: the input-channel
    tiles of the array's sub-tiles, hw/systolic/array.py) and, every cycle, multiplies the
    activation arriving from its left neighbour by the weight at the address that travels
    with that activation, adding the product to the partial sum arriving from above.
    Activations and addresses move one PE right per cycle; partial sums move one PE down per
    cycle (PE_LATENCY cycles after the activation passed the PE).

    Pipeline: ``x_out`` and the weight read registers (the read starts a cycle earlier,
    from ``a_in``); an operand register each in the fabric; the multiplier
    (hw/systolic/pe.py) with a register on both sides, generic or the input and output
    registers of an ECP5 MULT18X18D (``primitive="ecp5"``), which nextpnr then times register
    to register; two product registers in the fabric; ``psum_out``.

    Latency: ``x_out``/``a_out`` 1 cycle after ``x_in``/``a_in``; ``psum_out`` holds
    ``psum_in + x * w`` :data:`PE_LATENCY` (6) cycles after ``x_out``. Throughput one MAC
    per cycle, no flow control.

    Parameters
    ----------
    depth : int
        Weight memory depth, a power of two >= 2.
    psum_in_width, psum_out_width : int
        Widths of the partial sums entering (0: the PE is in the top row) and leaving.
    primitive : {"generic", "ecp5"}
        Multiplier variant (:class:`hw.systolic.pe.SystolicMult`).

    Members
    -------
    x_in : In(signed(8))
        Activation from the left.
    a_in : In(range(depth))
        Weight address of the activation that arrives at ``x_in`` in the next cycle.
    x_out : Out(signed(8))
    a_out : Out(range(depth))
        ``x_in``/``a_in`` registered, to the right neighbour (``a_out`` is a kept
        register, see :func:`hw.lib.ecp5.kept_register`).
    psum_in : In(signed(psum_in_width))
        Partial sum from above (absent in the top row).
    psum_out : Out(signed(psum_out_width))
    w_en : In(memory_banks(depth, primitive))
        Write enable, one per memory bank: bit ``w_addr // (depth // banks)`` (decoded by
        the loader).
    w_addr, w_data : In(range(depth)), In(signed(8))
        Weight memory write port (the loader writes the half not being read). The PE
        registers it: the word can be read two cycles after it is presented here.
    """

    def __init__(self, depth: int, psum_in_width: int, psum_out_width: int, *,
                 primitive: str = "generic"):
        check_power_of_two("depth", depth, 2)
        if not 0 <= psum_in_width <= psum_out_width <= 32:
            raise ValueError("psum widths must satisfy 0 <= psum_in_width <= psum_out_width "
                             f"<= 32, got {psum_in_width}, {psum_out_width}")
        self.depth, self.primitive = depth, primitive
        self.banks = memory_banks(depth, primitive)
        members = {
            "x_in": In(signed(8)), "a_in": In(range(depth)),
            "x_out": Out(signed(8)), "a_out": Out(range(depth)),
            "psum_out": Out(signed(psum_out_width)),
            "w_en": In(self.banks), "w_addr": In(range(depth)), "w_data": In(signed(8)),
        }
        if psum_in_width:
            members["psum_in"] = In(signed(psum_in_width))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        # The address arrives a cycle ahead of its activation, so the weight gets two
        # registers while the activation gets one (x_out). They sit after each 16-word bank's
        # asynchronous read and after the bank multiplexer: a deep LUT-RAM read (address ->
        # LUT-RAM -> 4:1 or 8:1 mux, 6.4 ns at depth 64) does not fit a 5 ns cycle, and the
        # route into a DSP block needs a register of its own.
        banks = self.banks
        size = self.depth // banks
        lo = exact_log2(size)
        a_r = kept_register(m, self.a_in, primitive=self.primitive, name="a_r")
        # The write port is registered next to the memory: the loader's enables, address and
        # data reach the PEs of a whole row (or column) across the array, and a write enable
        # is a LUT-RAM pin with a setup time of its own. Kept registers, since every PE of a
        # row (column) has the same inputs.
        we, wa, wd = (kept_register(m, v, primitive=self.primitive, name=n) for v, n in (
            (self.w_en, "we_r"), (self.w_addr[:lo], "wa_r"), (self.w_data, "wd_r")))
        bank_r = Signal(ArrayLayout(signed(8), banks), reset_less=True)
        for b in range(banks):
            m.submodules[f"mem{b}"] = mem = Memory(shape=signed(8), depth=size, init=[])
            wr, rd = mem.write_port(), mem.read_port(domain="comb")
            m.d.comb += [wr.en.eq(we[b]), wr.addr.eq(wa), wr.data.eq(wd),
                         rd.addr.eq(self.a_in[:lo])]
            m.d.sync += bank_r[b].eq(rd.data)
        w_r = Signal(signed(8), reset_less=True)
        # An Array index (a case), not a View's dynamic index (a wide shift).
        m.d.sync += w_r.eq(Array(bank_r)[a_r[lo:]] if banks > 1 else bank_r[0])
        m.submodules.mult = mult = SystolicMult(self.primitive)
        m.d.sync += self.x_out.eq(self.x_in)
        m.d.comb += self.a_out.eq(a_r)

        # The DSP blocks sit in fixed rows across the die, and the placer may put a PE's DSP
        # far from the PE's fabric (5.3 ns from a DSP output to its product register at 8 x 8,
        # 74 columns apart). Two fabric registers on each side of the DSP let every hop be half
        # that distance. The operand copy of x is kept: it equals the right neighbour's x_out,
        # and merged with it, it would no longer sit between this PE and its DSP.
        x_d = kept_register(m, self.x_out, primitive=self.primitive, name="x_d")
        w_d = Signal(signed(8), reset_less=True)
        m.d.sync += w_d.eq(w_r)
        m.d.comb += [mult.a.eq(x_d), mult.b.eq(w_d)]
        p = Signal(signed(16), reset_less=True)
        p_d = Signal(signed(16), reset_less=True)
        m.d.sync += [p.eq(mult.p), p_d.eq(p)]
        if hasattr(self, "psum_in"):
            m.d.sync += self.psum_out.eq(self.psum_in + p_d)
        else:
            m.d.sync += self.psum_out.eq(p_d)
        return m
