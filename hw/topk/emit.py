"""Emission pass of the top-k selector: bitmap words and kept columns, in position order."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import ReadPort
from amaranth.lib.wiring import In, Out

from ..lib.layouts import bitmap_layout, column_layout

__all__ = ["TopKEmitter"]


class TopKEmitter(wiring.Component):
    """One pass over the stored codes and coefficients in position order.

    Position ``p`` is kept iff ``code > t`` or (``code == t`` and fewer than ``need`` earlier
    positions with ``code == t`` were kept): exactly ``golden.topk.select_topk``. Every stored
    beat is read once (one memory read per cycle, ``n * groups`` reads); a kept position's beats
    go out on ``cols``, every 32 positions (and at ``n - 1``) a word goes out on ``bitmap``.
    The reads run ahead into two small output FIFOs on credits (a read reserves a FIFO slot,
    the slot comes back when the beat is dropped or leaves), so backpressure never reaches the
    block RAMs' clock enables and their outputs go straight into registers (Fmax).

    Latency: without backpressure the last beat leaves ``n * groups + 6`` cycles after
    ``start``, whatever the data (``groups`` the frame's run-time group count). Throughput: one
    stored beat per cycle.

    Parameters
    ----------
    lanes, max_groups : int
        Coefficients per beat, most beats per position (validated by :class:`hw.topk.TopK`).
    pos_width, code_width, count_width : int
        Widths of a position, a code and a count.
    coef_addr_width : int
        Width of the coefficient memory's address.

    Members
    -------
    start : In(1)
        Pulse: begin the pass; ``n``, ``k``, ``t``, ``need`` (and ``glast``) are held by the
        user until ``done``.
    n, k, need : In(count_width)
        Positions in the frame (>= 1), positions to keep, positions kept at ``code == t``.
    t : In(code_width + 1)
    glast : In(range(max_groups))
        Only when ``max_groups > 1``: the frame's ``groups - 1``, the last group of a position.
    code_rd : In(ReadPort.Signature(addr_width=pos_width, shape=code_width))
        Read port of the code memory (address = position), read latency 2
        (:class:`hw.lib.memory.BankedMemory`).
    coef_rd : In(ReadPort.Signature(addr_width=coef_addr_width, shape=8 * lanes))
        Read port of the coefficient memory, read latency 2. Address = position with one
        group; ``group * 2**pos_width + position`` (a concatenation) with several.
    bitmap : Out(stream.Signature(bitmap_layout()))
    cols : Out(stream.Signature(column_layout(lanes)))
    done : Out(1)
        High from the end of the pass until the next ``start``.
    """

    col_depth = 8  # covers the 5-cycle read-to-FIFO pipeline plus the FIFO's own latency
    bm_depth = 4

    def __init__(self, *, lanes: int, max_groups: int, pos_width: int, code_width: int,
                 count_width: int, coef_addr_width: int):
        self.lanes, self.max_groups = lanes, max_groups
        # The group count is a run-time input only when there can be more than one group (one
        # group: the same ports and logic as a fixed single group).
        glast = {"glast": In(range(max_groups))} if max_groups > 1 else {}
        super().__init__({
            "start": In(1), "n": In(count_width), "k": In(count_width),
            "need": In(count_width), "t": In(code_width + 1), **glast,
            "code_rd": In(ReadPort.Signature(addr_width=pos_width, shape=code_width)),
            "coef_rd": In(ReadPort.Signature(addr_width=coef_addr_width, shape=8 * lanes)),
            "bitmap": Out(stream.Signature(bitmap_layout())),
            "cols": Out(stream.Signature(column_layout(lanes))),
            "done": Out(1, init=1),
        })

    def elaborate(self, platform):
        m = Module()
        mg = self.max_groups
        # The last group of a position and the one before it: constants with one group, else
        # from the held run-time group count (``g_pen`` registered at ``start``).
        g_last = self.glast if mg > 1 else 0
        g_pen = Signal.like(self.glast, name="g_pen") if mg > 1 else g_last - 1
        pos_w = len(self.code_rd.addr)
        lanes8 = 8 * self.lanes
        m.submodules.col_fifo = col_fifo = SyncFIFOBuffered(width=lanes8 + 1,
                                                            depth=self.col_depth)
        m.submodules.bm_fifo = bm_fifo = SyncFIFOBuffered(width=33, depth=self.bm_depth)
        m.d.comb += [
            self.cols.valid.eq(col_fifo.r_rdy), self.cols.p.eq(col_fifo.r_data),
            col_fifo.r_en.eq(self.cols.ready),
            self.bitmap.valid.eq(bm_fifo.r_rdy), self.bitmap.p.eq(bm_fifo.r_data),
            bm_fifo.r_en.eq(self.bitmap.ready),
        ]

        # Issue stage: the next beat to read, on credits.
        active = Signal()
        r_pos = Signal(pos_w)
        r_grp = Signal(range(max(mg, 2)))  # 1 bit at least: no [-1:0] vector
        # One group: the address is a counter of its own. Several: group * 2**pos_w + position,
        # a concatenation of the two counters (the beats of a position are a stride apart).
        r_addr = Signal.like(self.coef_rd.addr, name="r_addr") if mg == 1 else Cat(r_pos, r_grp)
        left = Signal.like(self.n)  # positions after r_pos; r_lastpos = (left == 0), registered
        r_lastpos = Signal()
        r_endw = Signal()  # the beat at r_pos / r_grp ends a bitmap word; registered
        col_cr = Signal(range(self.col_depth + 1), init=self.col_depth)
        bm_cr = Signal(range(self.bm_depth + 1), init=self.bm_depth)
        # Credits != 0 as registered flags: ``issue`` is one LUT of flip-flops, and it fans out
        # to every address and counter of this stage.
        col_ok, bm_ok = Signal(init=1), Signal(init=1)
        issue = Signal()
        m.d.comb += issue.eq(active & col_ok & (~r_endw | bm_ok))
        m.d.comb += [self.code_rd.addr.eq(r_pos), self.coef_rd.addr.eq(r_addr)]

        # s1: memories read; s2: their output registers; s3: compared with t.
        def stage(prev):
            nxt = {k: Signal.like(v, name=f"{k}_s") for k, v in prev.items()}
            m.d.sync += [nxt[k].eq(prev[k]) for k in prev]
            return nxt
        s1 = stage({"v": issue, "pos": r_pos, "grp": r_grp, "endw": r_endw,
                    "lastpos": r_lastpos})
        s2 = stage(s1)
        # The memories register their outputs themselves (read latency 2): nothing between a
        # block RAM and its register.
        # One more register in the logic before the compare: the block RAM outputs are far.
        s2b = stage(s2)
        c2, d2 = Signal.like(self.code_rd.data), Signal(lanes8)
        m.d.sync += [c2.eq(self.code_rd.data), d2.eq(self.coef_rd.data)]
        s3 = stage(s2b)
        gt3, tie3, d3 = Signal(), Signal(), Signal(lanes8)
        bit3 = Signal(32)  # 1 << (position % 32): decoded a stage ahead of the bitmap word
        m.d.sync += [gt3.eq(c2 > self.t), tie3.eq(c2 == self.t), d3.eq(d2),
                     bit3.eq(1 << s2b["pos"][:5])]

        remaining = Signal.like(self.need)  # ties still to keep
        rem_nz = Signal()  # remaining != 0, registered
        # Positions still to keep after the next one, and whether that is none: the next kept
        # position is the last (compares on registers, no adder before them).
        kleft = Signal.like(self.k)
        lastk = Signal()
        keep = Signal()
        m.d.comb += keep.eq(gt3 | (tie3 & rem_nz))
        pos_done = s3["grp"] == g_last
        word = Signal(32)
        word_next = Signal(32)
        m.d.comb += word_next.eq(word | Mux(keep, bit3, 0))
        m.d.comb += [
            col_fifo.w_en.eq(s3["v"] & keep),
            col_fifo.w_data.eq(Cat(d3, pos_done & lastk)),
            bm_fifo.w_en.eq(s3["v"] & s3["endw"]),
            bm_fifo.w_data.eq(Cat(word_next, s3["lastpos"])),
        ]
        with m.If(s3["v"] & pos_done):
            m.d.sync += word.eq(Mux(s3["endw"], 0, word_next))
            with m.If(keep):
                m.d.sync += [kleft.eq(kleft - 1), lastk.eq(kleft == 1)]
            with m.If(tie3 & rem_nz):  # = keep & tie3 (code > t and code == t exclude)
                m.d.sync += [remaining.eq(remaining - 1), rem_nz.eq(remaining != 1)]

        col_back = (s3["v"] & ~keep).as_unsigned() + (self.cols.valid & self.cols.ready)
        col_next = Signal.like(col_cr)
        bm_next = Signal.like(bm_cr)
        m.d.comb += [
            col_next.eq(col_cr + col_back - issue),
            bm_next.eq(bm_cr + (self.bitmap.valid & self.bitmap.ready) - (issue & r_endw)),
        ]
        m.d.sync += [col_cr.eq(col_next), bm_cr.eq(bm_next),
                     col_ok.eq(col_next != 0), bm_ok.eq(bm_next != 0)]

        # r_endw = (r_grp == g_last) & ((r_pos % 32 == 31) | r_lastpos), for the next beat.
        with m.If(self.start):
            # One group: the address counter restarts; several: g_pen = groups - 2 for the pass.
            grp_init = r_addr.eq(0) if mg == 1 else g_pen.eq(self.glast - 1)
            m.d.sync += [active.eq(1), r_pos.eq(0), r_grp.eq(0), grp_init, word.eq(0),
                         remaining.eq(self.need), rem_nz.eq(self.need != 0),
                         kleft.eq(self.k - 1), lastk.eq(self.k == 1),
                         left.eq(self.n - 1), r_lastpos.eq(self.n == 1),
                         r_endw.eq((g_last == 0) & (self.n == 1))]
        with m.Elif(issue):
            if mg == 1:
                m.d.sync += r_addr.eq(r_addr + 1)
            with m.If(r_grp == g_last):
                m.d.sync += [r_grp.eq(0), r_pos.eq(r_pos + 1), left.eq(left - 1),
                             r_lastpos.eq(left == 1),
                             r_endw.eq((g_last == 0) & ((r_pos[:5] == 30) | (left == 1)))]
                with m.If(r_lastpos):
                    m.d.sync += active.eq(0)
            with m.Else():
                m.d.sync += [r_grp.eq(r_grp + 1),
                             r_endw.eq((r_grp == g_pen) & ((r_pos[:5] == 31) | r_lastpos))]

        # Every stage counts, s2b too: a frame of one beat (n = 1, one group) has nothing else
        # in flight while that beat is in s2b.
        idle = ~active & ~s1["v"] & ~s2["v"] & ~s2b["v"] & ~s3["v"] & (
            col_fifo.level == 0) & (bm_fifo.level == 0)
        m.d.sync += self.done.eq(~self.start & idle)
        return m
