"""Check of the integrated layer's zero-fill (:class:`hw.layer.zerofill.ZeroFill`): the
bitmap's two banks, the packing of a kept column's sub-tile results, one frame of ``n``
positions per tile, from its ports."""

from __future__ import annotations

from amaranth.hdl import Assume, Cover, Module, Mux, Signal, signed
from amaranth.lib import wiring

from hw.layer.zerofill import ZeroFill

from .formal_props import (
    assert_chosen,
    counter,
    environment,
    free_constant,
    input_members,
    run_length,
)

__all__ = ["ZEROFILL_DRAIN_BOUND", "ZEROFILL_PARAMS", "ZEROFILL_PROPERTIES", "ZeroFillCheck"]

#: One result lane in two sub-tiles (a kept column is two result beats, packed), 2-bit
#: results, frames of up to 4 positions (one bitmap word a frame).
ZEROFILL_PARAMS = dict(cols=1, subtiles=2, bits=2, max_n=4)

ZEROFILL_PROPERTIES = ("stable", "no_overflow", "no_underflow", "count", "drains")

#: Cycles of ``o.ready`` with the results and the configuration offered and no bitmap word
#: taken, after which no frame is inside: two frames (both banks) of two tiles, a tile
#: being two cycles (its first word's read, the output register) and at most two cycles a
#: position (a kept column's two result beats), four positions.
ZEROFILL_DRAIN_BOUND = 2 * 2 * (2 + ZEROFILL_PARAMS["subtiles"] * ZEROFILL_PARAMS["max_n"])


class ZeroFillCheck(wiring.Component):
    """:class:`hw.layer.zerofill.ZeroFill` at :data:`ZEROFILL_PARAMS`. The environment keeps
    the stream contract on ``z``, ``bitmap`` and ``cfg``; the configuration is the same for
    every frame (``n`` 1..4, 1 or 2 tiles, chosen by the solver), a frame's bitmap is one word
    (``last`` set), any bits. The properties, counted from the ports:

    * ``stable``: an ``o`` beat not taken is offered again with the same payload;
    * ``no_overflow``: bitmap frames taken whose ``cfg`` is not yet taken never exceed the
      two banks; result beats taken never run more than two columns (4 beats: the column
      in the output register, the one packed behind it) ahead of two a beat put out;
    * ``no_underflow``: no ``o`` beat without a frame's bitmap inside (taken, its last
      beat not yet out);
    * ``count``: each tile is ``n`` beats, ``first`` exactly on the first, ``last`` exactly
      on the ``n``-th;
    * ``drains``: after :data:`ZEROFILL_DRAIN_BOUND` cycles of ``o.ready``, results offered
      and the configuration offered, with no bitmap word taken, no frame is inside.

    Members
    -------
    The unit's inputs (:func:`verif.formal_props.input_members`).
    """

    def __init__(self, *, props=ZEROFILL_PROPERTIES, unit=ZeroFill):
        self.props = set(props)
        self.unit = unit(**ZEROFILL_PARAMS)
        super().__init__(input_members(self.unit))

    def elaborate(self, platform):
        m = Module()
        u = self.unit
        environment(m, self, u, ("z", "bitmap", "cfg"))
        c = u.cfg.payload
        free_constant(m, c.as_value(), "cfg")
        n = ZEROFILL_PARAMS["max_n"]
        m.d.comb += [Assume((c.n >= 1) & (c.n <= n) & (c.tiles >= 1) & (c.tiles <= 2)),
                     Assume(u.bitmap.payload.last)]

        out = u.o.valid & u.o.ready
        b_took = u.bitmap.valid & u.bitmap.ready
        # The unit frees a bank when it takes the frame's cfg (with the frame's last position,
        # a cycle before that beat shows on `o`); the check counts frames out at `o` too.
        held = counter(m, "held", 3, b_took, u.cfg.valid & u.cfg.ready)
        pos, tile = Signal(range(n), name="pos"), Signal(2, name="tile")
        t_end = out & (pos == c.n - 1)
        last_tile = tile == c.tiles - 1
        f_out = t_end & last_tile
        with m.If(out):
            m.d.sync += pos.eq(Mux(t_end, 0, pos + 1))
        with m.If(t_end):
            m.d.sync += tile.eq(Mux(last_tile, 0, tile + 1))
        pend = counter(m, "pend", 3, b_took, f_out)
        # Result beats taken against two a beat put out: a bound that needs no copy of the
        # bitmap (a copy, to count only the kept positions, made the solver far slower).
        z_took = u.z.valid & u.z.ready
        z_ahead = Signal(signed(8), name="z_ahead")
        m.d.sync += z_ahead.eq(z_ahead + z_took - Mux(out, 2, 0))
        quiet = Signal(range(ZEROFILL_DRAIN_BOUND + 2), name="quiet")
        m.d.sync += quiet.eq(run_length(u.o.ready & u.z.valid & u.cfg.valid & ~b_took, quiet,
                                        ZEROFILL_DRAIN_BOUND + 1))
        checks = {
            "no_overflow": (held <= 2) & (z_ahead <= 4),
            "no_underflow": ~u.o.valid | (pend != 0),
            "count": ~u.o.valid | ((u.o.payload.first == (pos == 0))
                                   & (u.o.payload.last == (pos == c.n - 1))),
            "drains": (quiet < ZEROFILL_DRAIN_BOUND) | (pend == 0),
        }
        assert_chosen(m, self.props, checks, [(u.o.valid, u.o.ready, u.o.payload)])
        m.d.comb += [Cover(f_out & (c.tiles == 2) & (c.n == 4)), Cover(held == 2),
                     Cover(z_ahead == 4)]
        return m

