"""Check of the integrated layer's kept-column buffer (:class:`hw.layer.colbuf.KeptColumnBuffer`):
its two banks, the reader following the writer in the same bank, the lane select, the
sub-tile repeat and the credits of its output FIFO, from its ports (and the reads it issues,
the ``take`` of that FIFO)."""

from __future__ import annotations

from amaranth.hdl import Assume, Cat, Cover, Module, Mux, Signal
from amaranth.lib import wiring

from hw.layer.colbuf import KeptColumnBuffer
from hw.lib.memory import BankedMemory

from .formal_props import (
    assert_chosen,
    counter,
    environment,
    free_constant,
    input_members,
    open_submodule,
    run_length,
)

__all__ = ["COLBUF_DRAIN_BOUND", "COLBUF_FIFO_DEPTH", "COLBUF_MAX_TILES", "COLBUF_PARAMS",
           "COLBUF_PROPERTIES", "KeptColumnBufferCheck"]

#: Two stored lanes read one a beat (ratio 2: ``t`` = 2 reads both lane slices of a word, the
#: lane select), two sub-tiles (each column read twice in a row), up to two columns of one
#: word (the column loop and its base address; the reader may follow the writer a column at
#: a time), so a bank is two words. One word a column (``max_groups = 1``): two would double
#: the largest frame (t up to 4) and so the drain bound and the depths, and only add a word
#: address that no property here reads (the ports carry no address).
COLBUF_PARAMS = dict(lanes=2, rows=1, subtiles=2, max_k=2, max_groups=1, primitive="generic")

#: Tiles a frame (``rd_cfg.tiles``) the environment offers at most: two exercise the tile
#: loop (every column read again); the field is 16 bits.
COLBUF_MAX_TILES = 2

#: Entries of the unit's output FIFO (:class:`hw.lib.fifo.CreditFIFO`), hence its credits.
COLBUF_FIFO_DEPTH = 8

COLBUF_PROPERTIES = ("stable", "no_overflow", "no_underflow", "count", "drains")

_RATIO = COLBUF_PARAMS["lanes"] // COLBUF_PARAMS["rows"]
#: Reads of the largest frame: tiles * k * subtiles * t (2 * 2 * 2 * 2 = 16).
_MAX_READS = (COLBUF_MAX_TILES * COLBUF_PARAMS["max_k"] * COLBUF_PARAMS["subtiles"]
              * COLBUF_PARAMS["max_groups"] * _RATIO)
#: Cycles from a read issued to its beat offered on ``x``: the memory's read, the lane
#: select's register, the FIFO's write.
_READ_LATENCY = BankedMemory.latency + 2

#: Cycles of ``x.ready`` with ``rd_cfg`` offered and ``wr_cfg`` not (so that no ``w`` beat
#: is needed: every frame inside is complete), after which no frame is inside and every
#: read is out. The worst case, both banks stored and the reader not started: each frame a
#: cycle to register its ``rd_cfg`` (``fresh``), its 16 reads at one a cycle and a cycle for
#: its handshake (2 * 18 cycles, the last read in the cycle before the second handshake),
#: then that read's beat out 4 cycles after it and the count of reads inside down the
#: cycle after: 2 * (16 + 2) - 2 + 4 + 1 = 39 (38 fails at step 44).
COLBUF_DRAIN_BOUND = 2 * (_MAX_READS + 2) + _READ_LATENCY - 1


class KeptColumnBufferCheck(wiring.Component):
    """:class:`hw.layer.colbuf.KeptColumnBuffer` at :data:`COLBUF_PARAMS`. The environment
    keeps the stream contract on ``w``, ``wr_cfg`` and ``rd_cfg``; the configuration is the
    same for every frame (the solver's choice: ``k`` 0..2, one word a column, ``t`` 1..2,
    1..2 tiles; the reader's ``k`` and ``groups`` the writer's), the column data free.
    The properties, counted from the ports and the reads issued (the output FIFO's ``take``:
    a read in flight is not visible at the ports):

    * ``stable``: an ``x`` beat not taken is offered again with the same payload;
    * ``no_overflow``: frames stored (``wr_cfg`` taken) and not yet released (``rd_cfg``
      taken) never exceed the two banks; no ``w`` beat taken past the frame's
      ``k * groups``; reads issued and not yet out never exceed the 8 credits, and the
      FIFO's own count (its writes, its pops) never exceeds its 8 entries;
    * ``no_underflow``: no ``x`` beat without a read issued before it (so no more ``x``
      beats than reads); no read without a frame's ``rd_cfg`` offered, for ``k = 0``, or
      past the frame's ``tiles * k * subtiles * t``; no read of a column before the writer
      has taken all of its words (the reader may follow the writer in the same bank); no
      frame released that was not stored;
    * ``count``: each frame is exactly ``tiles * k * subtiles * t`` reads (the check's own
      loop over tiles, columns, sub-tiles and beats), its ``rd_cfg`` taken only after the
      last (at that handshake the frame's beats out plus those still in the pipeline and
      the FIFO are that number: with ``no_underflow``, the ``x`` beats are the reads, in
      order), none after; ``wr_cfg`` taken exactly after the frame's ``k * groups`` beats;
    * ``drains``: after :data:`COLBUF_DRAIN_BOUND` cycles of ``x.ready`` with ``rd_cfg``
      offered and ``wr_cfg`` not, no frame is stored and every read is out.

    Members
    -------
    The unit's inputs (:func:`verif.formal_props.input_members`).
    """

    def __init__(self, *, props=COLBUF_PROPERTIES, unit=KeptColumnBuffer):
        self.props = set(props)
        self.unit = unit(**COLBUF_PARAMS)
        # Only the inputs are ports: without `stable` the memory's data and the lane select
        # leave the cone of influence.
        super().__init__(input_members(self.unit))

    def elaborate(self, platform):
        m = Module()
        u = self.unit
        environment(m, self, u, ("w", "wr_cfg", "rd_cfg"))
        fifo = open_submodule(m, "unit", platform).submodules.fifo
        wc, rc = u.wr_cfg.payload, u.rd_cfg.payload
        free_constant(m, Cat(wc.as_value(), rc.as_value()), "cfg")
        max_k, groups_max = COLBUF_PARAMS["max_k"], COLBUF_PARAMS["max_groups"]
        m.d.comb += [Assume((rc.k == wc.k) & (rc.groups == wc.groups)),
                     Assume((wc.k <= max_k) & (wc.groups >= 1) & (wc.groups <= groups_max)),
                     Assume((rc.t >= 1) & (rc.t <= rc.groups * _RATIO)),
                     Assume((rc.tiles >= 1) & (rc.tiles <= COLBUF_MAX_TILES))]
        k, groups, t, tiles = wc.k, wc.groups, rc.t, rc.tiles
        subtiles = COLBUF_PARAMS["subtiles"]

        w_took = u.w.valid & u.w.ready
        wr_took = u.wr_cfg.valid & u.wr_cfg.ready
        rd_took = u.rd_cfg.valid & u.rd_cfg.ready
        x_out = u.x.valid & u.x.ready
        take = fifo.take   # a read issued (it holds one of the FIFO's entries)
        pop = fifo.r_valid & fifo.r_ready

        # The writer's frame: the group of the next w beat in its column, the columns done
        # (one value past k: a beat beyond the frame is counted, not wrapped to 0).
        wgrp = Signal(range(groups_max), name="wgrp")
        wcol = Signal(range(max_k + 2), name="wcol")
        with m.If(w_took):
            with m.If(wgrp == groups - 1):
                m.d.sync += [wgrp.eq(0), wcol.eq(wcol + 1)]
            with m.Else():
                m.d.sync += wgrp.eq(wgrp + 1)
        with m.If(wr_took):
            m.d.sync += [wgrp.eq(0), wcol.eq(0)]
        # Frames stored and not released; when none, the reader's frame is the writer's.
        held = counter(m, "held", 3, wr_took, rd_took)

        # The reader's frame, in the spec's order: the position of the next read (tile,
        # column, sub-tile, beat) and `rdone`, all its reads issued (until its rd_cfg).
        itile = Signal(range(COLBUF_MAX_TILES), name="itile")
        icol = Signal(range(max_k), name="icol")
        isub = Signal(range(subtiles), name="isub")
        ibeat = Signal(range(groups_max * _RATIO), name="ibeat")
        rdone = Signal(name="rdone")
        last_beat, last_sub = ibeat == t - 1, isub == subtiles - 1
        last_col, last_tile = icol == k - 1, itile == tiles - 1
        with m.If(take):
            m.d.sync += ibeat.eq(Mux(last_beat, 0, ibeat + 1))
            with m.If(last_beat):
                m.d.sync += isub.eq(Mux(last_sub, 0, isub + 1))
                with m.If(last_sub):
                    m.d.sync += icol.eq(Mux(last_col, 0, icol + 1))
                    with m.If(last_col):
                        m.d.sync += itile.eq(Mux(last_tile, 0, itile + 1))
                        with m.If(last_tile):
                            m.d.sync += rdone.eq(1)
        with m.If(rd_took):
            m.d.sync += rdone.eq(0)

        # Reads issued and not yet out (x beats), and the FIFO's entries (writes, pops).
        inflight = counter(m, "inflight", 5, take, x_out)
        level = counter(m, "level", 5, fifo.w_en, pop)
        beats = counter(m, "beats", 6, x_out)   # for the cover of a frame's final beat
        quiet = Signal(range(COLBUF_DRAIN_BOUND + 2), name="quiet")
        m.d.sync += quiet.eq(run_length(u.x.ready & u.rd_cfg.valid & ~u.wr_cfg.valid, quiet,
                                        COLBUF_DRAIN_BOUND + 1))
        checks = {
            "no_overflow": ((held <= 2) & (~w_took | (wcol < k))
                            & (inflight <= COLBUF_FIFO_DEPTH) & (level <= COLBUF_FIFO_DEPTH)),
            "no_underflow": ((~u.x.valid | (inflight != 0)) & (~rd_took | (held != 0))
                             & (~take | (u.rd_cfg.valid & (k != 0) & ~rdone
                                         & ((held != 0) | (icol < wcol))))),
            "count": ((~rd_took | rdone | (k == 0)) & (~take | ~rdone)
                      & (~wr_took | ((wcol == k) & (wgrp == 0)))),
            "drains": ((quiet < COLBUF_DRAIN_BOUND)
                       | ((held == 0) & (inflight == 0) & ~u.x.valid)),
        }
        assert_chosen(m, self.props, checks, [(u.x.valid, u.x.ready, u.x.payload)])
        largest = (k == max_k) & (tiles == COLBUF_MAX_TILES) & (t == groups_max * _RATIO)
        m.d.comb += [
            # Both banks full, two columns each.
            Cover((held == 2) & (k == max_k)),
            # The final (16th) beat of the first frame of the largest configuration out.
            Cover(x_out & (beats == _MAX_READS - 1) & largest),
            # The reader on the writer's heels: column 1 read before its frame is stored.
            Cover(take & (held == 0) & (icol == 1)),
            # Every credit in use: eight reads in flight.
            Cover(inflight == COLBUF_FIFO_DEPTH),
        ]
        return m
