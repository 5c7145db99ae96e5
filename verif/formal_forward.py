"""Stream-contract check of the forward Haar unit (:class:`hw.haar.HaarForward`)."""

from __future__ import annotations

from amaranth.hdl import Assume, Cover, Module, ResetSignal, Signal
from amaranth.lib import wiring

from hw.haar import HaarForward

from .formal_props import (
    PROPERTIES,
    assert_chosen,
    counter,
    elaborated,
    frame_position,
    run_length,
    stream_rules,
    well_formed_frames,
)

__all__ = ["FORWARD_PROPERTIES", "HaarForwardCheck"]

FORWARD_PROPERTIES = (*PROPERTIES, "count")


class HaarForwardCheck(wiring.Component):
    """:class:`hw.haar.HaarForward`, one lane of 2-bit pixels, one level, frames up to
    4 x 4, a 4-quad output FIFO; every frame ``width`` x ``height`` (3 x 2 by default:
    padded to 4 x 2, eight coefficients), the pixels well formed (``first`` on a frame's
    first beat, ``last`` on its final one), the size held.

    * ``no_overflow``: neither FIFO (the detail quads', the top level's LL) is written while
      full;
    * ``no_underflow``: no more coefficients out than the frames begun give (``Wp * Hp``
      each), and no FIFO word taken while none is there (the serializer reads its quad only
      while the FIFO's head is valid);
    * ``count``: ``last`` exactly on each frame's ``Wp * Hp``-th coefficient;
    * ``drains``: with no partial frame in and the output always ready, every coefficient
      of the frames begun is out within ``bound`` cycles.

    Members
    -------
    i, o, width, height, error
        As the unit's.
    """

    def __init__(self, width: int = 3, height: int = 2, *, props=FORWARD_PROPERTIES,
                 unit=HaarForward, bound: int = 16):
        self.w, self.h, self.props, self.bound = width, height, set(props), bound
        self.unit = unit(1, max_width=4, max_height=4, levels=1, in_bits=2, fifo_depth=4)
        self.n_out = (-(-width // 2) * 2) * (-(-height // 2) * 2)
        super().__init__(self.unit.signature)

    def elaborate(self, platform):
        m = Module()
        u = self.unit
        m.submodules.unit = mu = elaborated(u, platform)
        wiring.connect(m, wiring.flipped(self.i), u.i)
        wiring.connect(m, u.o, wiring.flipped(self.o))
        m.d.comb += [u.width.eq(self.width), u.height.eq(self.height), self.error.eq(u.error)]
        m.d.comb += [Assume(~ResetSignal()), Assume(self.width == self.w),
                     Assume(self.height == self.h)]
        stream_rules(m, self.i.valid, self.i.ready, self.i.payload, Assume)
        n_in, n_out = self.w * self.h, self.n_out
        out = self.o.valid & self.o.ready
        # The position of the next pixel in its frame, the frames begun, the beats out.
        pin, frames = well_formed_frames(m, self.i, n_in)
        produced = counter(m, "produced", 8, out)
        pout = frame_position(m, out, n_out, "pout")
        fifo, llfifo = mu.submodules.fifo, mu.submodules.llfifo
        quiet = Signal(range(self.bound + 2), name="quiet")
        m.d.sync += quiet.eq(run_length(self.o.ready & ~self.i.valid & (pin == 0), quiet,
                                        self.bound + 1))
        checks = {
            "no_overflow": ~(fifo.w_en & ~fifo.w_rdy) & ~(llfifo.w_en & ~llfifo.w_rdy),
            "no_underflow": (produced <= frames * n_out),
            "count": ~self.o.valid | (self.o.payload.last == (pout == n_out - 1)),
            "drains": (quiet < self.bound) | ((produced == frames * n_out) & ~self.o.valid),
        }
        assert_chosen(m, self.props, checks, [(self.o.valid, self.o.ready, self.o.payload)])
        m.d.comb += Cover(out & self.o.payload.last)
        return m
