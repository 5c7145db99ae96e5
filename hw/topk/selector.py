"""Bitmap-based joint top-k selector with data-independent latency (``golden/topk.py``)."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from golden.topk import code_bits, score_bits, score_code

from ..lib.ecp5 import PRIMITIVES
from ..lib.layouts import bitmap_layout, column_layout, topk_input_layout
from ..lib.memory import BankedMemory
from ..lib.params import check_choice, check_int, check_power_of_two
from .code import ScoreCode
from .emit import TopKEmitter
from .hist import CodeHistogram
from .score import ScoreAccumulator
from .score_mem import ScoreMemory

__all__ = ["TopK"]


class TopK(wiring.Component):
    """Joint top-k over a whole frame: stores it, histograms its codes, emits the selection.

    A frame is ``groups`` channel groups ("planes") of ``lanes`` channels each, C = lanes *
    groups, sent group-major: every position of group 0, then of group 1, and so on (the
    order a forward Haar unit that transforms one plane at a time produces). ``groups`` is
    chosen per frame, up to ``max_groups``. Three phases per frame, none of them data
    dependent:

    1. input: one beat per cycle, registered; its int8 ``data`` goes to the coefficient
       memory, the score pipeline squares the exact ``coef`` and sums the beat's lanes; with
       several groups that partial sum is added to the position's running score in the
       score memory (:class:`hw.topk.score_mem.ScoreMemory`, a read-modify-write per beat,
       in-flight sums forwarded: no stall for any ``n`` or order). The last group's total
       becomes a code, written to the code memory and counted in the histogram
       (``score_latency + 4`` cycles after the beat);
    2. threshold scan of the histogram from the top, ``scan_cycles`` cycles, clearing it;
    3. one emission pass over the stored frame in position order, ``n * groups`` reads.

    Latency, without output backpressure, from the cycle the ``last`` input beat is accepted
    to the cycle the last output beat is accepted: ``n * groups + latency_const`` cycles
    (``latency_const = score_latency + scan_cycles + 10``; ``score_latency`` is one cycle
    longer with ``max_groups > 1``, the score memory's adder). Throughput: one input beat per
    cycle during phase 1 (``n * groups`` cycles); ``i.ready`` is low during phases 2 and 3,
    and after a reset that came in the middle of a frame while the histogram wipes the counts
    that frame left (``CodeHistogram.words`` cycles; never after the power-up reset).

    Parameters
    ----------
    lanes : int
        Channels per beat (per group), 1..256.
    max_groups : int
        Largest run-time ``groups`` (C <= lanes * max_groups channels), 1..256. With 1 there is
        no score memory: a position's score is its one beat's sum of squares.
    max_n : int
        Largest frame, in positions, 2..2**20.
    mant_bits : int
        Mantissa bits of the score code, 1..12 (7 is the spec's default).
    bins_per_cycle : int
        Histogram bins examined per scan cycle, a power of two in 1..32.
    coef_bits : int
        Width of the exact Haar coefficients that are scored, 2..24 (14: three levels of int8,
        ``golden.int_haar.coef_bits(3)``).
    primitive : {"generic", "ecp5"}
        Memories as :class:`amaranth.lib.memory.Memory` and portable multipliers, or ECP5
        DP16KDs and MULT18X18Ds with their own registers (for Fmax, coefficient memory depth
        ``(max_groups - 1) * 2**ceil(log2(max_n)) + max_n <= 16384``, ``coef_bits <= 18``;
        simulated with ``sim/models/``); same behaviour and latency.

    Members
    -------
    i : In(stream.Signature(topk_input_layout(lanes, max_groups, max_n, coef_bits)))
        ``data``: the int8 coefficients stored and emitted (-128 allowed); ``coef``: the exact
        coefficients scored (signed ``coef_bits``, any value); ``pos`` and ``group`` (a field
        only when ``max_groups > 1``) of the beat, ``last`` on the frame's final beat (the
        last beat of group ``groups - 1``). Group-major: all of group 0's ``n`` beats, then
        group 1's, ...; within a group every position once, in any order (the order may
        differ from group to group).
    k : In(range(max_n + 1))
        Positions to keep, 0 <= k <= n; sampled with the frame's first accepted beat.
    n : In(range(max_n + 1))
        Positions in the frame, 1 <= n <= max_n; sampled with the first beat.
    groups : In(range(max_groups + 1))
        Channel groups in the frame, 1 <= groups <= max_groups; sampled with the first beat.
        Like ``k`` and ``n``, held by the user from before the frame's first beat until its
        last beat is accepted (it is sampled every cycle until the first beat is accepted).
        Unused with ``max_groups = 1`` (the port stays, so callers drive it alike).
    bitmap : Out(stream.Signature(bitmap_layout()))
        ``ceil(n / 32)`` words, ``golden.topk.pack_bitmap`` order, ``last`` on the final one.
    cols : Out(stream.Signature(column_layout(lanes)))
        ``k * groups`` beats: the kept columns in position order, a column's beats in group
        order; ``last`` on the final beat (no beat at all when k = 0).
    busy : Out(1)
        High from the first input beat until the frame's outputs are all sent.
    """

    def __init__(self, lanes: int, max_groups: int = 1, max_n: int = 4096, mant_bits: int = 7,
                 bins_per_cycle: int = 4, coef_bits: int = 14, primitive: str = "generic"):
        check_int("lanes", lanes, 1, 256)
        check_int("max_groups", max_groups, 1, 256)
        check_int("max_n", max_n, 2, 2**20)
        check_int("mant_bits", mant_bits, 1, 12)
        check_power_of_two("bins_per_cycle", bins_per_cycle, 1, 32)
        check_choice("primitive", primitive, PRIMITIVES)
        # The ECP5 build's squares are MULT18X18D products.
        check_int("coef_bits", coef_bits, 2, 18 if primitive == "ecp5" else 24)
        self.lanes, self.max_groups, self.max_n = lanes, max_groups, max_n
        self.mant_bits, self.coef_bits, self.primitive = mant_bits, coef_bits, primitive
        self.channels = lanes * max_groups  # the most channels a frame can have
        self.pos_width = max(max_n - 1, 1).bit_length()
        self.count_width = max_n.bit_length()
        # Beat (pos, group) is coefficient word group * stride + pos: a concatenation. The last
        # group needs only max_n words, hence the depth.
        self.stride = 1 << self.pos_width
        self.coef_depth = (max_groups - 1) * self.stride + max_n
        if primitive == "ecp5" and self.coef_depth > 16384:
            raise ValueError(f"max_groups and max_n: (max_groups - 1) * 2**ceil(log2(max_n)) + "
                             f"max_n must be <= 16384 for primitive 'ecp5', got "
                             f"{self.coef_depth} (max_groups={max_groups}, max_n={max_n})")
        self.sbits = score_bits(self.channels, 2 ** (coef_bits - 1))
        self.code_width = code_bits(self.sbits, mant_bits)
        self.nbins = int(score_code([self.channels * 4 ** (coef_bits - 1)], mant_bits)[0]) + 1
        self.bins_per_cycle = bins_per_cycle
        # input register, sum of squares, (score memory's adder), code
        self.score_latency = (1 + ScoreAccumulator.latency_for(lanes) + ScoreCode.latency
                              + (ScoreMemory.latency if max_groups > 1 else 0))
        self.scan_cycles = CodeHistogram.scan_cycles_for(self.nbins, bins_per_cycle)
        self.latency_const = self.score_latency + CodeHistogram.settle + self.scan_cycles + 6
        hist_words = -(-self.nbins // bins_per_cycle)
        self.memory_bits = {
            "coefficients": self.coef_depth * lanes * 8,
            "scores": max_n * self.sbits if max_groups > 1 else 0,
            "codes": max_n * self.code_width,
            "histogram": hist_words * bins_per_cycle * self.count_width,
        }
        self.memory_bits["total"] = sum(self.memory_bits.values())
        super().__init__({
            "i": In(stream.Signature(topk_input_layout(lanes, max_groups, max_n, coef_bits))),
            "k": In(range(max_n + 1)), "n": In(range(max_n + 1)),
            "groups": In(range(max_groups + 1)),
            "bitmap": Out(stream.Signature(bitmap_layout())),
            "cols": Out(stream.Signature(column_layout(lanes))),
            "busy": Out(1),
        })

    def cycles_after_last_input(self, n: int, groups: int = 1) -> int:
        """Exact cycles from the last input beat to the last output beat, no backpressure,
        for a frame of ``n`` positions and ``groups`` groups."""
        check_int("n", n, 1, self.max_n)
        check_int("groups", groups, 1, self.max_groups)
        return n * groups + self.latency_const

    def elaborate(self, platform):
        m = Module()
        mg = self.max_groups
        # One group: a beat is a position's whole score (ScoreAccumulator's accumulator sees
        # i_first on every beat). Several: the per-beat sums go to the score memory, which
        # carries the position (no tag through the squares).
        m.submodules.score = score = ScoreAccumulator(
            self.lanes, 1, tag_width=self.pos_width if mg == 1 else 0,
            coef_bits=self.coef_bits, primitive=self.primitive)
        if mg > 1:
            m.submodules.score_mem = score_mem = ScoreMemory(
                self.sbits, self.max_n, lead=score.latency, primitive=self.primitive)
        m.submodules.code = code = ScoreCode(self.sbits, self.mant_bits, tag_width=self.pos_width)
        m.submodules.hist = hist = CodeHistogram(self.nbins, self.count_width,
                                                 self.bins_per_cycle, primitive=self.primitive)
        m.submodules.coef_mem = coef_mem = BankedMemory(8 * self.lanes, self.coef_depth,
                                                        self.primitive)
        m.submodules.code_mem = code_mem = BankedMemory(self.code_width, self.max_n,
                                                        self.primitive)
        coef_wr, code_wr = coef_mem.wr, code_mem.wr
        m.submodules.emit = emit = TopKEmitter(
            lanes=self.lanes, max_groups=mg, pos_width=self.pos_width,
            code_width=self.code_width, count_width=self.count_width,
            coef_addr_width=len(coef_wr.addr))
        wiring.connect(m, emit.code_rd, code_mem.rd)
        wiring.connect(m, emit.coef_rd, coef_mem.rd)
        wiring.connect(m, wiring.flipped(self.bitmap), emit.bitmap)
        wiring.connect(m, wiring.flipped(self.cols), emit.cols)

        k, n = Signal.like(self.k), Signal.like(self.n)
        glast = Signal(range(mg), name="glast") if mg > 1 else None  # the frame's groups - 1
        fresh = Signal(init=1)  # the next accepted beat is a frame's first
        beat = self.i.p
        accept = self.i.valid & self.i.ready
        # Sampled every cycle until the first beat is accepted (held from then on): the enable
        # is the ``fresh`` flip-flop itself, not a function of the handshake.
        with m.If(fresh):
            m.d.sync += [k.eq(self.k), n.eq(self.n)]
            if mg > 1:
                m.d.sync += glast.eq(self.groups - 1)
        # The accepted beat is registered first: the memory write and the squares start from
        # flip-flops, not from the upstream's logic.
        r_valid = Signal()
        r_beat = Signal.like(beat)
        m.d.sync += [r_valid.eq(accept), r_beat.eq(beat)]
        if mg > 1:
            # Beat (pos, group) at word group * stride + pos (a concatenation); its partial sum
            # joins the position's running score, the last group's total is coded.
            coef_addr = Cat(r_beat.pos, r_beat.group)
            m.d.comb += [
                score_mem.a_valid.eq(r_valid), score_mem.a_pos.eq(r_beat.pos),
                score_mem.a_first.eq(r_beat.group == 0),
                score_mem.a_last.eq(r_beat.group == glast),
                score_mem.i_partial.eq(score.o_score),
                emit.glast.eq(glast),
            ]
            scored, tag = (score_mem.o_valid, score_mem.o_score, score_mem.o_pos), []
        else:
            # Word pos, written as the former position-major ``pos * groups + group`` with one
            # group: Yosys folds the constants, and the RTLIL of the benched one-group builds
            # stays exactly as it was.
            coef_addr = r_beat.pos * 1 + 0
            scored = score.o_valid, score.o_score, score.o_tag
            tag = [score.i_tag.eq(r_beat.pos)]
        m.d.comb += [
            coef_wr.addr.eq(coef_addr), coef_wr.data.eq(r_beat.data), coef_wr.en.eq(r_valid),
            score.i_valid.eq(r_valid), score.i_data.eq(r_beat.coef),
            *tag, score.i_first.eq(True), score.i_end.eq(True),
            code.i_valid.eq(scored[0]), code.i_score.eq(scored[1]), code.i_tag.eq(scored[2]),
            code_wr.addr.eq(code.o_tag), code_wr.data.eq(code.o_code),
            code_wr.en.eq(code.o_valid),
            hist.inc_valid.eq(code.o_valid), hist.inc_code.eq(code.o_code),
            hist.k.eq(k),
            emit.n.eq(n), emit.k.eq(k), emit.t.eq(hist.t), emit.need.eq(hist.need),
        ]

        # Phases as an If chain: an m.FSM becomes a casez without default (CASEINCOMPLETE).
        # Outputs are plain expressions of the phase (continuous assigns): Icarus never runs
        # an `always @*` whose inputs do not change, and ready would stay X after reset.
        phase = Signal(range(4))  # 0 input, 1 drain, 2 scan, 3 emit
        drain = Signal(range(self.score_latency + CodeHistogram.settle))
        # scan_start = (phase == 1) & (drain == 0), registered (it steers the histogram's read
        # address); drain starts at >= 6, so drain == 1 comes one cycle before.
        scan_start = Signal()
        m.d.sync += scan_start.eq((phase == 1) & (drain == 1))
        m.d.comb += [
            self.i.ready.eq((phase == 0) & hist.ready),
            self.busy.eq((phase != 0) | ~fresh),
            hist.scan_start.eq(scan_start),
            emit.start.eq((phase == 2) & hist.scan_done),
        ]
        with m.If(phase == 0):
            with m.If(accept):
                m.d.sync += fresh.eq(0)
                with m.If(beat.last):
                    m.d.sync += [drain.eq(self.score_latency + CodeHistogram.settle - 1),
                                 phase.eq(1)]
        with m.Elif(phase == 1):
            # Let the last code reach the histogram (and its write land) before scanning.
            m.d.sync += drain.eq(drain - 1)
            with m.If(drain == 0):
                m.d.sync += phase.eq(2)
        with m.Elif(phase == 2):
            with m.If(hist.scan_done):
                m.d.sync += phase.eq(3)
        with m.Else():
            with m.If(emit.done):
                m.d.sync += [fresh.eq(1), phase.eq(0)]
        return m

