"""Output FIFO of the requantizer (hw/requant.py): no overflow check, thermometer level."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["RequantFIFO"]


class RequantFIFO(wiring.Component):
    """16-entry LUT-RAM FIFO behind the free-running pipeline; the writer never overflows it.

    The write enable goes to the memory unchecked (the input side holds a credit for every
    entry), ``r_valid`` is a register computed a cycle ahead, and ``r_data`` is the
    asynchronous read at the read pointer, so no wide enable depends on ``r_ready``.

    Latency 1 cycle from ``w_en`` to ``r_valid``; one entry per cycle each way.
    ``r_valid`` is a register.

    Parameters
    ----------
    shape : shape-castable
        Entry shape (the requantizer's output payload layout).
    ram_style : str, optional
        Yosys ``ram_style`` of the memory (``"distributed"`` forces LUT RAM; by default the
        mapper chooses).

    Members
    -------
    w_en : In(1)
    w_data : In(shape)
    r_valid : Out(1)
    r_ready : In(1)
    r_data : Out(shape)
    """

    depth = 16

    def __init__(self, shape, *, ram_style: str | None = None):
        self.shape, self.ram_style = shape, ram_style
        super().__init__({"w_en": In(1), "w_data": In(shape), "r_valid": Out(1),
                          "r_ready": In(1), "r_data": Out(shape)})

    def elaborate(self, platform):
        m = Module()
        attrs = {"ram_style": self.ram_style} if self.ram_style else None
        m.submodules.mem = mem = Memory(shape=self.shape, depth=self.depth, init=[],
                                        attrs=attrs)
        wr = mem.write_port()
        rd = mem.read_port(domain="comb")
        wp = Signal(range(self.depth))
        rp = Signal(range(self.depth))
        pop = self.r_valid & self.r_ready
        # The level as a thermometer code (bit k: more than k entries): moving it up or down
        # is one LUT per bit, where a binary counter would put a carry chain behind r_ready.
        level = Signal(self.depth)
        up, down = self.w_en & ~pop, pop & ~self.w_en
        m.d.comb += [wr.en.eq(self.w_en), wr.addr.eq(wp), wr.data.eq(self.w_data),
                     rd.addr.eq(rp), self.r_data.eq(rd.data), self.r_valid.eq(level[0])]
        m.d.sync += [
            wp.eq(wp + self.w_en),
            rp.eq(Mux(pop, rp + 1, rp)),
            level.eq(Mux(up, Cat(Const(1, 1), level[:-1]),
                         Mux(down, Cat(level[1:], Const(0, 1)), level))),
        ]
        return m
