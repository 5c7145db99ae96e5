"""Stream-contract check of the systolic array (:class:`hw.systolic.SystolicArray`)."""

from __future__ import annotations

from amaranth.hdl import Assume, Cover, Module, Mux, ResetSignal, Signal
from amaranth.lib import wiring

from hw.systolic import SystolicArray

from .formal_props import (
    PROPERTIES,
    assert_chosen,
    counter,
    elaborated,
    run_length,
    stream_rules,
)

__all__ = ["SYSTOLIC_PROPERTIES", "SystolicCheck"]

SYSTOLIC_PROPERTIES = (*PROPERTIES, "count")


class SystolicCheck(wiring.Component):
    """:class:`hw.systolic.SystolicArray`, ``rows`` x ``cols`` PEs (2 x 2), one sub-tile,
    maxima 4 channels and ``k`` = 2; every layer ``c_in`` x ``c_out`` (2 x 2 by default,
    so one tile of one array beat per column) on ``k`` columns, the weights (``tiles *
    c_in`` beats) and the columns (``tiles * k * T`` beats) streams of whole layers, the
    data free.

    * ``no_overflow``: the output FIFO (16 results) is never written full: a count of its
      entries (writes announced a cycle ahead, pops) never exceeds its depth;
    * ``no_underflow``: no result without its column in (results * T <= x beats taken),
      no FIFO entry read that was not written;
    * ``count``: ``tiles * k`` results a layer, ``tile_last`` on each tile's ``k``-th,
      ``last`` on the layer's final one;
    * ``drains``: with no partial layer in and ``y`` always ready, every result is out and
      ``busy`` is low within ``bound`` cycles.

    Members
    -------
    x, w, y, c_in, c_out, k, busy
        As the array's.
    """

    def __init__(self, c_in: int = 2, c_out: int = 2, k: int = 2, *, rows: int = 2,
                 cols: int = 2, props=SYSTOLIC_PROPERTIES, unit=SystolicArray,
                 bound: int = 14):
        self.shape, self.props, self.bound = (c_in, c_out, k), set(props), bound
        self.unit = unit(rows, cols, max_c_in=4, max_c_out=4, max_k=2)
        self.t = -(-c_in // rows)
        self.tiles = -(-c_out // cols)
        super().__init__(self.unit.signature)

    def elaborate(self, platform):
        m = Module()
        u = self.unit
        c_in, c_out, k = self.shape
        t, tiles = self.t, self.tiles
        m.submodules.unit = mu = elaborated(u, platform)
        fifo = mu.submodules.fifo
        wiring.connect(m, wiring.flipped(self.x), u.x)
        wiring.connect(m, wiring.flipped(self.w), u.w)
        wiring.connect(m, u.y, wiring.flipped(self.y))
        m.d.comb += [u.c_in.eq(self.c_in), u.c_out.eq(self.c_out), u.k.eq(self.k),
                     self.busy.eq(u.busy)]
        m.d.comb += [Assume(~ResetSignal()), Assume(self.c_in == c_in),
                     Assume(self.c_out == c_out), Assume(self.k == k)]
        stream_rules(m, self.x.valid, self.x.ready, self.x.payload, Assume)
        stream_rules(m, self.w.valid, self.w.ready, self.w.payload, Assume)
        n_w, n_x, n_y = tiles * c_in, tiles * k * t, tiles * k
        x_took = self.x.valid & self.x.ready
        w_took = self.w.valid & self.w.ready
        y_took = self.y.valid & self.y.ready
        # Positions in the layer of the next weight, column and result beats.
        pw = Signal(range(n_w), name="pw")
        px = Signal(range(n_x), name="px")
        py = Signal(range(n_y), name="py")
        for p, took, n in ((pw, w_took, n_w), (px, x_took, n_x), (py, y_took, n_y)):
            with m.If(took):
                m.d.sync += p.eq(Mux(p == n - 1, 0, p + 1))
        layers = counter(m, "layers", 6, w_took & (pw == 0))
        xs = counter(m, "xs", 8, x_took)
        results = counter(m, "results", 8, y_took)
        # The FIFO's entries: a write announced by `w_next` lands in the next cycle.
        w_en = Signal(name="w_en")
        m.d.sync += w_en.eq(fifo.w_next)
        level = counter(m, "level", 6, w_en, fifo.r_valid & fifo.r_ready)
        quiet = Signal(range(self.bound + 2), name="quiet")
        m.d.sync += quiet.eq(run_length(self.y.ready & ~self.x.valid & ~self.w.valid
                                        & (pw == 0) & (xs == layers * n_x), quiet,
                                        self.bound + 1))
        checks = {
            "no_overflow": level <= fifo.depth,
            "no_underflow": (results * t <= xs) & (~fifo.r_valid | (level != 0)),
            "count": ~self.y.valid | ((self.y.payload.last == (py == n_y - 1))
                                      & (self.y.payload.tile_last == (py % k == k - 1))),
            "drains": (quiet < self.bound) | ((results == layers * n_y) & ~self.busy),
        }
        assert_chosen(m, self.props, checks, [(self.y.valid, self.y.ready, self.y.payload)])
        m.d.comb += Cover(y_took & self.y.payload.last)
        return m
