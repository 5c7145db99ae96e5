"""Synchronous FIFO in distributed (LUT) RAM with an asynchronous head, for the Haar units."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["LutFIFO"]


class LutFIFO(wiring.Component):
    """First-word-fall-through FIFO whose storage is forced into LUT RAM.

    ECP5 block RAM has a clock-to-output time of about 5.8 ns without its (unused by Yosys)
    output register, more than a 200 MHz period; LUT RAM is read asynchronously. The read
    address is the read pointer register itself, so ``r_data`` is valid as soon as ``r_rdy``
    is and no path runs from ``r_en`` into the RAM. ``w_rdy`` and ``r_rdy`` are registers.

    Latency: a word written in cycle t can be read in cycle t + 1. Throughput: one write and
    one read per cycle, also when full or empty is being left.

    Parameters
    ----------
    width : int
        Bits per word, >= 1.
    depth : int
        Words, >= 2.

    Members
    -------
    w_data : In(width)
        Word to write.
    w_en : In(1)
        Write ``w_data`` (ignored while ``w_rdy`` is low).
    w_rdy : Out(1)
        Not full.
    r_data : Out(width)
        Oldest word, valid while ``r_rdy``.
    r_en : In(1)
        Drop the oldest word (ignored while ``r_rdy`` is low).
    r_rdy : Out(1)
        Not empty.
    """

    def __init__(self, *, width: int, depth: int):
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be an integer >= 1, got {width!r}")
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 2:
            raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
        self.width, self.depth = width, depth
        super().__init__({
            "w_data": In(width), "w_en": In(1), "w_rdy": Out(1, init=1),
            "r_data": Out(width), "r_en": In(1), "r_rdy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        depth = self.depth
        m.submodules.mem = mem = Memory(shape=self.width, depth=depth, init=[],
                                        attrs={"ram_style": "distributed"})
        wr = mem.write_port()
        rd = mem.read_port(domain="comb")
        wptr, rptr = Signal(range(depth)), Signal(range(depth))
        count = Signal(range(depth + 1))
        w = self.w_en & self.w_rdy
        r = self.r_en & self.r_rdy
        m.d.comb += [wr.addr.eq(wptr), wr.data.eq(self.w_data), wr.en.eq(w),
                     rd.addr.eq(rptr), self.r_data.eq(rd.data)]
        with m.If(w):
            m.d.sync += wptr.eq(Mux(wptr == depth - 1, 0, wptr + 1))
        with m.If(r):
            m.d.sync += rptr.eq(Mux(rptr == depth - 1, 0, rptr + 1))
        # The flags are computed from the count register only, never from a compare of the
        # updated count; `count +- 1` are precomputed, so the late `r_en` only drives muxes.
        up, down = Signal.like(count), Signal.like(count)
        m.d.comb += [up.eq(count + 1), down.eq(count - 1)]
        with m.If(w & ~r):
            m.d.sync += [count.eq(up), self.r_rdy.eq(1), self.w_rdy.eq(count != depth - 1)]
        with m.Elif(r & ~w):
            m.d.sync += [count.eq(down), self.w_rdy.eq(1), self.r_rdy.eq(count != 1)]
        return m
