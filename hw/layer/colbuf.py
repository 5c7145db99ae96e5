"""Kept-column buffer: the top-k selector's kept columns, written once, read once per tile."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..lib.ecp5 import PRIMITIVES
from ..lib.fifo import CreditFIFO
from ..lib.layouts import column_layout, lanes_layout
from ..lib.memory import BankedMemory
from ..lib.params import check_choice, check_int, check_power_of_two

__all__ = ["KeptColumnBuffer"]


class KeptColumnBuffer(wiring.Component):
    """Two banks of kept columns between the top-k selector and the systolic array.

    The top-k selector emits each kept column once, as ``groups`` beats of ``lanes`` int8
    coefficients (channel group 0 first); the array reads every column once per output-channel
    tile, as ``T = ceil(C_in / rows)`` beats of ``rows`` channels, each column ``subtiles``
    times in a row (one pass per sub-tile of the tile, ``hw.systolic.SystolicArray``). The
    writer fills one bank while the reader reads the other, so the selection of frame i + 1
    overlaps the convolution of frame i; the reader may also follow the writer in the same
    bank, a column at a time, so the first tile of a frame starts while its columns are still
    being emitted.

    Beat ``t`` of a column is lanes ``[(t % r) * rows, (t % r + 1) * rows)`` of the column's
    word ``t // r`` (``r = lanes / rows``); a column's words are stored consecutively, so the
    address is a running sum (``base + t // r``), no multiplier. Reads are issued on credits
    of a small output FIFO (:class:`hw.lib.fifo.CreditFIFO`): backpressure on ``x`` never
    reaches the memory.

    Throughput one ``x`` beat per cycle (one memory read each), one ``w`` beat per cycle.
    Latency: a beat read from a full bank leaves ``4`` cycles after its read is issued
    (memory 2, lane select 1, FIFO 1).

    Parameters
    ----------
    lanes : int
        Channels per stored beat (the top-k selector's lanes), a multiple of ``rows``.
    rows : int
        Channels per ``x`` beat (the array's R), 1..32.
    subtiles : int
        Reads of each column in a row (the array's ``subtiles``), a power of two in 1..8.
    max_k : int
        Largest run-time k (columns per frame), >= 1.
    max_groups : int
        Largest run-time ``groups`` (beats per column), 1..256.
    primitive : {"generic", "ecp5"}
        Memory as :class:`hw.lib.memory.BankedMemory` builds it.

    Members
    -------
    w : In(stream.Signature(column_layout(lanes)))
        Kept columns, beats in column order (the top-k selector's ``cols``); ``last`` is
        ignored, the frame's length comes from ``wr_cfg``.
    wr_cfg : In(stream.Signature(StructLayout{k, groups}))
        The writer's frame: ``k * groups`` beats to store. Taken (``ready``) once they are all
        written (at once when ``k = 0``), which hands the bank to the reader.
    x : Out(stream.Signature(lanes_layout(rows, 8)))
        For each of ``tiles`` tiles, for each column, ``subtiles`` times the column's ``t``
        beats (to the array's ``x``).
    rd_cfg : In(stream.Signature(StructLayout{k, groups, t, tiles}))
        The reader's frame (the same ``k``, ``groups`` as the writer's; ``t``: beats per
        column, ``1 <= t <= groups * lanes / rows``; ``tiles >= 1``). Taken once the frame's
        last read is issued, which frees the bank.
    """

    def __init__(self, *, lanes: int, rows: int, subtiles: int = 1, max_k: int,
                 max_groups: int, primitive: str = "generic"):
        check_int("rows", rows, 1, 32)
        check_int("lanes", lanes, rows, 1024)
        if lanes % rows:
            raise ValueError(f"lanes must be a multiple of rows = {rows}, got {lanes}")
        check_power_of_two("subtiles", subtiles, 1, 8)
        check_int("max_k", max_k, 1, 2**20)
        check_int("max_groups", max_groups, 1, 256)
        self.primitive = check_choice("primitive", primitive, PRIMITIVES)
        self.lanes, self.rows, self.subtiles = lanes, rows, subtiles
        self.max_k, self.max_groups = max_k, max_groups
        self.ratio = lanes // rows
        # Words of one bank: max_k columns of max_groups words, rounded up to a power of two
        # so that the bank is the address's top bit.
        self.bank_words = 1 << (max_k * max_groups - 1).bit_length()
        self.memory_bits = 2 * self.bank_words * lanes * 8
        kbits, gbits = max_k.bit_length(), max_groups.bit_length()
        self.wr_layout = data.StructLayout({"k": kbits, "groups": gbits})
        self.rd_layout = data.StructLayout({
            "k": kbits, "groups": gbits,
            "t": (max_groups * self.ratio).bit_length(), "tiles": 16})
        super().__init__({
            "w": In(stream.Signature(column_layout(lanes))),
            "wr_cfg": In(stream.Signature(self.wr_layout)),
            "x": Out(stream.Signature(lanes_layout(rows, 8))),
            "rd_cfg": In(stream.Signature(self.rd_layout)),
        })

    def elaborate(self, platform):
        m = Module()
        abits = (self.bank_words - 1).bit_length()
        m.submodules.mem = mem = BankedMemory(self.lanes * 8, 2 * self.bank_words,
                                              primitive=self.primitive)
        # Bank b is `full` from the end of its frame's writes to the end of its reads.
        full = Signal(2)

        # Writer: bank wb, word address wa, column count wcols, group within the column.
        wb, wa = Signal(), Signal(abits)
        wcols, wg = Signal(range(self.max_k + 1)), Signal(range(self.max_groups))
        wcfg = self.wr_cfg.payload
        w_free = Mux(wb, ~full[1], ~full[0])
        writing = self.wr_cfg.valid & w_free & (wcols != wcfg.k)
        m.d.comb += [self.w.ready.eq(writing),
                     mem.wr.addr.eq(Cat(wa, wb)), mem.wr.data.eq(self.w.payload.data),
                     mem.wr.en.eq(self.w.valid & writing)]
        with m.If(self.w.valid & writing):
            m.d.sync += wa.eq(wa + 1)
            with m.If(wg == wcfg.groups - 1):
                m.d.sync += [wg.eq(0), wcols.eq(wcols + 1)]
            with m.Else():
                m.d.sync += wg.eq(wg + 1)
        w_done = self.wr_cfg.valid & w_free & (wcols == wcfg.k)
        m.d.comb += self.wr_cfg.ready.eq(w_done)
        with m.If(w_done):
            m.d.sync += [wa.eq(0), wcols.eq(0), wg.eq(0), wb.eq(~wb),
                         full.eq(full | Mux(wb, 0b10, 0b01))]

        # Reader: bank rb; tile, column (base address), sub-tile, beat t as (word, lane slice).
        rcfg = self.rd_cfg.payload
        rb = Signal()
        tile = Signal(16)
        col = Signal(range(self.max_k + 1))
        base = Signal(abits)
        sub = Signal(range(self.subtiles))
        t = Signal(range(self.max_groups * self.ratio + 1))
        tw = Signal(range(self.max_groups + 1))      # t // ratio
        th = Signal(range(self.ratio))               # t % ratio
        # Columns of bank rb the reader may read: all of them once the bank is full, else
        # those the writer has finished (while it writes this very bank).
        same = (wb == rb) & ~Mux(rb, full[1], full[0])
        ready_col = Mux(rb, full[1], full[0]) | (same & (wcols > col))
        m.submodules.fifo = fifo = CreditFIFO(lanes_layout(self.rows, 8), 8)
        # The frame's bounds are registered from `rd_cfg` (no subtractor before the compares):
        # a new frame is read from the cycle after its `rd_cfg` appears (`fresh`).
        fresh, kz = Signal(), Signal()
        t1, k1 = Signal.like(rcfg.t), Signal.like(rcfg.k)
        tiles1 = Signal.like(rcfg.tiles)
        m.d.sync += [t1.eq(rcfg.t - 1), k1.eq(rcfg.k - 1), tiles1.eq(rcfg.tiles - 1),
                     kz.eq(rcfg.k == 0), fresh.eq(self.rd_cfg.valid & ~self.rd_cfg.ready)]
        end = self.rd_cfg.valid & fresh & ((col == rcfg.k) | kz)
        issue = self.rd_cfg.valid & fresh & ~end & ready_col & fifo.credit
        m.d.comb += [mem.rd.addr.eq(Cat((base + tw)[:abits], rb)), fifo.take.eq(issue),
                     self.rd_cfg.ready.eq(end & Mux(rb, full[1], full[0]))]
        last_t = t == t1
        last_sub = sub == self.subtiles - 1
        with m.If(issue):
            m.d.sync += t.eq(t + 1)
            if self.ratio > 1:
                with m.If(th == self.ratio - 1):
                    m.d.sync += [th.eq(0), tw.eq(tw + 1)]
                with m.Else():
                    m.d.sync += th.eq(th + 1)
            else:
                m.d.sync += tw.eq(tw + 1)
            with m.If(last_t):
                m.d.sync += [t.eq(0), th.eq(0), tw.eq(0), sub.eq(sub + 1)]
                with m.If(last_sub):
                    m.d.sync += [sub.eq(0), col.eq(col + 1), base.eq(base + rcfg.groups)]
                    with m.If(col == k1):
                        with m.If(tile != tiles1):
                            m.d.sync += [tile.eq(tile + 1), col.eq(0), base.eq(0)]
        with m.If(self.rd_cfg.ready):
            m.d.sync += [rb.eq(~rb), tile.eq(0), col.eq(0), base.eq(0),
                         full.eq(Mux(rb, full & 0b01, full & 0b10)
                                 | Mux(w_done, Mux(wb, 0b10, 0b01), 0))]

        # Read pipeline: the lane slice travels with the read, BankedMemory.latency cycles.
        sel = [th]
        v = [issue]
        for s in range(BankedMemory.latency):
            sel.append(Signal.like(th, name=f"sel{s + 1}"))
            v.append(Signal(name=f"v{s + 1}"))
            m.d.sync += [sel[-1].eq(sel[-2]), v[-1].eq(v[-2])]
        word = data.View(lanes_layout(self.lanes, 8), mem.rd.data)
        beat = Signal(lanes_layout(self.rows, 8), reset_less=True)
        bv = Signal()
        with m.Switch(sel[-1]):
            for h in range(self.ratio):
                # The last slice as the default: a complete case for any ratio (linters).
                with (m.Default() if h == self.ratio - 1 else m.Case(h)):
                    m.d.sync += [beat[r].eq(word[h * self.rows + r]) for r in range(self.rows)]
        m.d.sync += bv.eq(v[-1])
        m.d.comb += [fifo.w_en.eq(bv), fifo.w_data.eq(beat),
                     self.x.valid.eq(fifo.r_valid), self.x.payload.eq(fifo.r_data),
                     fifo.r_ready.eq(self.x.ready)]
        return m
