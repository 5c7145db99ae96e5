"""Stream-contract checks of the inverse Haar unit (:class:`hw.haar.HaarInverse`)."""

from __future__ import annotations

from amaranth.hdl import Assert, Assume, Cover, Module, Signal
from amaranth.lib import wiring

from hw.haar import HaarInverse

from .formal_props import (
    PROPERTIES,
    assert_chosen,
    counter,
    environment,
    frame_position,
    input_members,
    run_length,
    stream_rules,
    well_formed_frames,
)

__all__ = ["INVERSE_CAPACITY", "INVERSE_DRAIN_BOUND", "INVERSE_PROPERTIES", "HaarInverseCheck"]

INVERSE_PROPERTIES = (*PROPERTIES, "count")

#: The unit of the checks: one lane of 2-bit coefficients (the payload is not what the
#: properties are about, and its width is the solver's cost), one level, frames up to 4 x 4.
_PARAMS = dict(lanes=1, max_width=4, max_height=4, levels=1, in_bits=2)

#: Coefficients the unit holds: the two halves of its block store (a 2 x 2 block each) and
#: the 16 entries of its output FIFO, every pixel in the pipeline having one reserved.
INVERSE_CAPACITY = 2 * 4 + 16

#: Cycles of ``o.ready`` without a coefficient offered, after which every pixel of the frames
#: taken is out: a block's 4 pixels issued one a cycle, the 5 pipeline registers, the FIFO
#: entry and its output, for each of the two blocks the store may hold (the first's pixels
#: leave while the second's are issued), and the FIFO's 16 entries ahead of them (16 cycles
#: fail at step 41 of the depth-48 proof).
INVERSE_DRAIN_BOUND = 4 + 4 + 5 + 2 + 16


class HaarInverseCheck(wiring.Component):
    """:class:`hw.haar.HaarInverse`, one lane of 2-bit coefficients, one level, frames up to
    4 x 4 (a 2 x 2 block at a time).

    Two environments:

    * free (``framed=False``): the markers and the size are anything; ``no_underflow`` is
      "no more pixels out than coefficients in" (beats outside a frame are dropped, never
      emitted); ``stable`` on the output;
    * framed (``framed=True``): every frame ``width`` x ``height`` (2 x 2 by default, a
      multiple of the block: the coefficients of the padded frame), the coefficients well
      formed (``first`` on a frame's first, ``last`` on its final one), the size held.
      Besides ``stable``:

      - ``no_overflow``: coefficients taken minus pixels out never above
        :data:`INVERSE_CAPACITY` (with the output stalled, the unit stops taking);
      - ``no_underflow``: no more pixels out than the frames begun give;
      - ``count``: ``last`` exactly on each frame's ``width * height``-th pixel;
      - ``drains``: with no coefficient offered after a frame's last and the output always
        ready, every pixel of the frames taken is out within ``bound`` cycles.

    Members
    -------
    The unit's inputs (:func:`verif.formal_props.input_members`: its outputs are read inside,
    so that the logic of those no property reads is removed).
    """

    def __init__(self, *, props=("stable", "no_underflow"), unit=HaarInverse,
                 framed: bool = False, width: int = 2, height: int = 2,
                 bound: int = INVERSE_DRAIN_BOUND):
        self.props, self.framed, self.bound = set(props), framed, bound
        self.w, self.h = width, height
        self.unit = unit(**_PARAMS)
        super().__init__(input_members(self.unit))

    def elaborate(self, platform):
        m = Module()
        u = self.unit
        environment(m, self, u, ("i",))
        took = u.i.valid & u.i.ready
        out = u.o.valid & u.o.ready
        surplus = counter(m, "surplus", 8, took, out)  # in minus out, as a signed count
        if not self.framed:
            if "no_underflow" in self.props:
                m.d.comb += Assert(~surplus[-1], "no_underflow")
            if "stable" in self.props:
                stream_rules(m, u.o.valid, u.o.ready, u.o.payload, Assert)
            m.d.comb += Cover(out)
            return m

        n = self.w * self.h
        m.d.comb += [Assume(u.width == self.w), Assume(u.height == self.h)]
        pin, frames = well_formed_frames(m, u.i, n)
        produced = counter(m, "produced", 8, out)
        pout = frame_position(m, out, n, "pout")
        quiet = Signal(range(self.bound + 2), name="quiet")
        m.d.sync += quiet.eq(run_length(u.o.ready & ~u.i.valid & (pin == 0), quiet,
                                        self.bound + 1))
        checks = {
            "no_overflow": ~surplus[-1] & (surplus <= INVERSE_CAPACITY),
            "no_underflow": produced <= frames * n,
            "count": ~u.o.valid | (u.o.payload.last == (pout == n - 1)),
            "drains": (quiet < self.bound) | ((produced == frames * n) & ~u.o.valid),
        }
        assert_chosen(m, self.props, checks, [(u.o.valid, u.o.ready, u.o.payload)])
        m.d.comb += [Cover(out & u.o.payload.last), Cover(surplus == INVERSE_CAPACITY)]
        return m
