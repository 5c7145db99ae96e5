"""Check of the integrated layer's output stage (:class:`hw.layer.output.OutputStage`): the
biases' two banks, the requantizer behind it and the crop of the padding, from its ports."""

from __future__ import annotations

from amaranth.hdl import Assume, Cover, Module, Signal
from amaranth.lib import wiring

from hw.layer.output import OutputStage
from hw.requant import Requantizer

from .formal_props import (
    PROPERTIES,
    assert_chosen,
    counter,
    environment,
    input_members,
    run_length,
)

__all__ = ["OUTPUT_DRAIN_BOUND", "OUTPUT_PARAMS", "OutputStageCheck"]

#: One lane of 2-bit pixels, frames up to 2 x 2, up to 2 tiles (so both bias banks hold 2
#: tiles), one bias a beat.
OUTPUT_PARAMS = dict(lanes=1, in_bits=2, max_width=2, max_height=2, max_tiles=2, max_c_out=2,
                     per_beat=1)

#: Cycles of ``o.ready`` without a pixel in, after which the stage holds no pixel: the
#: requantizer's (its latency and its FIFO, as ``RequantizerCheck``): the stage adds no
#: register on the pixels' way (its bias read and its crop are combinational).
OUTPUT_DRAIN_BOUND = Requantizer.latency + Requantizer.fifo_depth


class OutputStageCheck(wiring.Component):
    """:class:`hw.layer.output.OutputStage` at :data:`OUTPUT_PARAMS`. The environment keeps
    the stream contract on ``i``, ``bias`` and ``cfg`` and offers configurations of 1 or 2
    tiles, sizes 1..2 and 1..2 output channels; pixels may lie in the padding (``row >=
    height`` or ``col >= width``: the stage drops them). The properties, counted from the
    ports only:

    * ``stable``: an ``o`` beat not taken is offered again with the same payload;
    * ``no_overflow``: bias packets (beats up to one with ``last``) taken and not yet used by
      a frame (a ``cfg`` beat taken ends a frame) never exceed the two banks; pixels inside
      that will come out (taken, not padding, not yet out) never exceed the requantizer's
      FIFO;
    * ``no_underflow``: no ``o`` beat without such a pixel inside; no pixel taken before its
      frame's bias packet is complete;
    * ``drains``: after :data:`OUTPUT_DRAIN_BOUND` cycles of ``o.ready`` with no pixel taken,
      no pixel is inside.

    Members
    -------
    The stage's inputs (:func:`verif.formal_props.input_members`).
    """

    def __init__(self, *, props=PROPERTIES, unit=OutputStage):
        self.props = set(props)
        self.unit = unit(**OUTPUT_PARAMS)
        # Only the inputs are ports: Yosys then drops the requantizer's datapath unless
        # `stable` reads the output's payload (the solver's cone of influence).
        super().__init__(input_members(self.unit))

    def elaborate(self, platform):
        m = Module()
        u = self.unit
        environment(m, self, u, ("i", "bias", "cfg"))
        c = u.cfg.payload
        m.d.comb += Assume(~u.cfg.valid | ((c.width != 0) & (c.height != 0) & (c.c_out != 0)))

        px = u.i.payload
        took = u.i.valid & u.i.ready
        # cfg is held (stream rule) while its frame's pixels go in: a pixel outside the
        # frame it describes is padding and never comes out.
        kept = took & (px.row < c.height) & (px.col < c.width)
        out = u.o.valid & u.o.ready
        inside = counter(m, "inside", 8, kept, out)
        b_end = u.bias.valid & u.bias.ready & u.bias.payload.last
        f_end = u.cfg.valid & u.cfg.ready
        banked = counter(m, "banked", 4, b_end, f_end)  # complete bias packets not yet used
        quiet = Signal(range(OUTPUT_DRAIN_BOUND + 2), name="quiet")
        m.d.sync += quiet.eq(run_length(u.o.ready & ~took, quiet, OUTPUT_DRAIN_BOUND + 1))
        checks = {
            "no_overflow": (banked <= 2) & (inside <= Requantizer.fifo_depth),
            "no_underflow": (~u.o.valid | (inside != 0)) & (~took | (banked != 0)),
            "drains": (quiet < OUTPUT_DRAIN_BOUND) | (inside == 0),
        }
        assert_chosen(m, self.props, checks, [(u.o.valid, u.o.ready, u.o.payload)])
        m.d.comb += [Cover(out & u.o.payload.last),
                     Cover(inside == Requantizer.fifo_depth)]
        return m
