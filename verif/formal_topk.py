"""Stream-contract check of the top-k selector (:class:`hw.topk.TopK`)."""

from __future__ import annotations

from amaranth.hdl import Assume, Cover, Module, Mux, ResetSignal, Signal
from amaranth.lib import wiring

from hw.topk import TopK

from .formal_props import (
    PROPERTIES,
    assert_chosen,
    counter,
    elaborated,
    frame_position,
    free_constant,
    open_submodule,
    run_length,
    stream_rules,
)

__all__ = ["TOPK_PROPERTIES", "TopKCheck"]

TOPK_PROPERTIES = (*PROPERTIES, "count")


class TopKCheck(wiring.Component):
    """:class:`hw.topk.TopK`, one lane, ``groups`` channel groups (1 by default, ``max_groups``
    too; from 2 on, the score memory's read-modify-write of a position's running score),
    frames of ``n`` positions (2 by default, ``max_n`` too), 2-bit exact coefficients, 1-bit
    code mantissa (5 codes, in one histogram word: one scan cycle); ``k`` chosen by the
    solver in ``0..n``, the same for every frame; the beats well formed (group-major,
    positions in order within a group, ``last`` on the frame's final one), the data free.

    * ``no_overflow``: neither output FIFO of the emitter (kept columns, bitmap words) is
      written while full, and no beat of a frame is taken before the previous frame's
      outputs are all out (the unit stores one frame);
    * ``no_underflow``: no more bitmap words or kept columns out than the frames whose last
      beat is in give; neither output FIFO read while empty;
    * ``count``: per frame one bitmap word, with ``last``, exactly ``k`` of its ``n`` low
      bits set and none above; ``k * groups`` kept-column beats, ``last`` on the last;
    * ``drains``: with no partial frame in and both outputs always ready, every output of
      the frames in is out and ``busy`` is low within ``bound`` cycles.

    With ``resets`` the reset is free (asserted in any cycle, for any number of cycles) and
    the environment starts again from a frame's first beat after it, as a host does
    (``docs/reliability.md``); the check's own counts restart with it, the memories (the
    code histogram's counts among them) keep what they hold. The properties then say that
    the frames after a reset in the middle of a frame are whole and right: ``count`` holds
    only if the histogram's leftover counts are wiped before the next frame's.

    Members
    -------
    i, k, n, groups, bitmap, cols, busy
        As the unit's.
    """

    def __init__(self, n: int = 2, *, groups: int = 1, props=TOPK_PROPERTIES, unit=TopK,
                 bound: int = 30, resets: bool = False):
        self.n_pos, self.g, self.props, self.bound = n, groups, set(props), bound
        self.resets = resets
        self.unit = unit(1, max_groups=groups, max_n=n, mant_bits=1, bins_per_cycle=8,
                         coef_bits=2)
        super().__init__(self.unit.signature)

    def elaborate(self, platform):
        m = Module()
        u, n = self.unit, self.n_pos
        m.submodules.unit = mu = elaborated(u, platform)
        emit = open_submodule(mu, "emit", platform)
        col_fifo, bm_fifo = emit.submodules.col_fifo, emit.submodules.bm_fifo
        for port in ("i", "bitmap", "cols"):
            a, b = getattr(self, port), getattr(u, port)
            if port == "i":
                wiring.connect(m, wiring.flipped(a), b)
            else:
                wiring.connect(m, b, wiring.flipped(a))
        m.d.comb += [u.k.eq(self.k), u.n.eq(self.n), u.groups.eq(self.groups),
                     self.busy.eq(u.busy)]
        g = self.g
        m.d.comb += [Assume(self.n == n), Assume(self.groups == g), Assume(self.k <= n)]
        if not self.resets:
            m.d.comb += Assume(~ResetSignal())
        free_constant(m, self.k, "k")
        stream_rules(m, self.i.valid, self.i.ready, self.i.payload, Assume)
        took = self.i.valid & self.i.ready
        # Group-major: the position within the group, the group; `pin` is 0 on a frame's
        # first beat only.
        ppos = frame_position(m, took, n, "ppos")
        pgrp = frame_position(m, took & (ppos == n - 1), g, "pgrp")
        pin = ppos | pgrp
        with m.If(self.i.valid):
            m.d.comb += [Assume(self.i.payload.pos == ppos),
                         Assume(self.i.payload.last == ((ppos == n - 1) & (pgrp == g - 1)))]
            if g > 1:
                m.d.comb += Assume(self.i.payload.group == pgrp)
        bm_took = self.bitmap.valid & self.bitmap.ready
        col_took = self.cols.valid & self.cols.ready
        begun = counter(m, "begun", 6, took & (pin == 0))
        ended = counter(m, "ended", 6, took & self.i.payload.last)
        words = counter(m, "words", 6, bm_took)
        columns = counter(m, "columns", 8, col_took)
        kg = self.k * g  # kept-column beats a frame
        pcol = Signal(range(n * g + 1), name="pcol")  # kept-column beats of the frame so far
        with m.If(col_took):
            m.d.sync += pcol.eq(Mux(self.cols.payload.last, 0, pcol + 1))
        word = self.bitmap.payload.word
        popcount = sum(word[j] for j in range(n))
        quiet = Signal(range(self.bound + 2), name="quiet")
        m.d.sync += quiet.eq(run_length(self.bitmap.ready & self.cols.ready & ~self.i.valid
                                        & (pin == 0), quiet, self.bound + 1))
        all_out = (words == begun) & (columns == begun * kg)
        checks = {
            "no_overflow": ~(col_fifo.w_en & ~col_fifo.w_rdy) & ~(bm_fifo.w_en & ~bm_fifo.w_rdy)
                           & (~(took & (pin == 0)) | all_out),
            "no_underflow": (words <= ended) & (columns <= ended * kg)
                            & ~(col_fifo.r_en & col_fifo.r_rdy & (col_fifo.level == 0))
                            & ~(bm_fifo.r_en & bm_fifo.r_rdy & (bm_fifo.level == 0)),
            "count": (~self.bitmap.valid | (self.bitmap.payload.last & (popcount == self.k)
                                            & (word[n:] == 0)))
                     & (~self.cols.valid | ((pcol < kg)
                                            & (self.cols.payload.last == (pcol == kg - 1)))),
            "drains": (quiet < self.bound) | (all_out & ~self.busy),
        }
        assert_chosen(m, self.props, checks, [
            (self.bitmap.valid, self.bitmap.ready, self.bitmap.payload),
            (self.cols.valid, self.cols.ready, self.cols.payload),
        ])
        if not self.resets:
            m.d.comb += [Cover(bm_took & (self.k == 1)), Cover(bm_took & (words == 1))]
            return m
        # A bitmap word taken after a reset that came once a beat was in (its counts in the
        # histogram): flags without a reset, which outlive it as the memory does.
        beat_in, reset_after = Signal(reset_less=True), Signal(reset_less=True)
        with m.If(took):
            m.d.sync += beat_in.eq(1)
        with m.If(ResetSignal() & beat_in):
            m.d.sync += reset_after.eq(1)
        m.d.comb += Cover(bm_took & reset_after & (self.k == 1))
        return m
