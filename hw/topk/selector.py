"""Bitmap-based joint top-k selector with data-independent latency (``golden/topk.py``)."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
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

__all__ = ["TopK"]


class TopK(wiring.Component):
    """Joint top-k over a whole frame: stores it, histograms its codes, emits the selection.

    Three phases per frame, none of them data dependent:

    1. input: one beat per cycle, registered; its int8 ``data`` goes to the coefficient
       memory, the score pipeline turns the exact ``coef`` of each position into a code
       (written to the code memory and counted in the histogram, ``score_latency + 4`` cycles
       later);
    2. threshold scan of the histogram from the top, ``scan_cycles`` cycles, clearing it;
    3. one emission pass over the stored frame in position order, ``n * groups`` reads.

    Latency, without output backpressure, from the cycle the ``last`` input beat is accepted
    to the cycle the last output beat is accepted: ``n * groups + latency_const`` cycles
    (``latency_const = score_latency + scan_cycles + 10``). Throughput: one input beat per cycle
    during phase 1; ``i.ready`` is low during phases 2 and 3.

    Parameters
    ----------
    lanes : int
        Channels per beat, 1..256.
    groups : int
        Beats per position (C = lanes * groups channels), 1..256.
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
        DP16KDs and MULT18X18Ds with their own registers (for Fmax, ``max_n * groups <=
        16384``, ``coef_bits <= 18``; simulated with ``sim/models/``); same behaviour and
        latency.

    Members
    -------
    i : In(stream.Signature(topk_input_layout(lanes, groups, max_n, coef_bits)))
        ``data``: the int8 coefficients stored and emitted (-128 allowed); ``coef``: the exact
        coefficients scored (signed ``coef_bits``, any value); ``pos`` and ``group`` of the
        beat, ``last`` on the frame's final beat. A position's beats are consecutive;
        positions come in any order, each once.
    k : In(range(max_n + 1))
        Positions to keep, 0 <= k <= n; sampled with the frame's first accepted beat.
    n : In(range(max_n + 1))
        Positions in the frame, 1 <= n <= max_n; sampled with the first beat.
    bitmap : Out(stream.Signature(bitmap_layout()))
        ``ceil(n / 32)`` words, ``golden.topk.pack_bitmap`` order, ``last`` on the final one.
    cols : Out(stream.Signature(column_layout(lanes)))
        ``k * groups`` beats: the kept columns in position order, a column's beats in group
        order; ``last`` on the final beat (no beat at all when k = 0).
    busy : Out(1)
        High from the first input beat until the frame's outputs are all sent.
    """

    def __init__(self, lanes: int, groups: int = 1, max_n: int = 4096, mant_bits: int = 7,
                 bins_per_cycle: int = 4, coef_bits: int = 14, primitive: str = "generic"):
        check_int("lanes", lanes, 1, 256)
        check_int("groups", groups, 1, 256)
        check_int("max_n", max_n, 2, 2**20)
        check_int("mant_bits", mant_bits, 1, 12)
        check_power_of_two("bins_per_cycle", bins_per_cycle, 1, 32)
        check_choice("primitive", primitive, PRIMITIVES)
        # The ECP5 build's squares are MULT18X18D products.
        check_int("coef_bits", coef_bits, 2, 18 if primitive == "ecp5" else 24)
        if primitive == "ecp5" and max_n * groups > 16384:
            raise ValueError(f"max_n * groups must be <= 16384 for primitive 'ecp5', got "
                             f"{max_n * groups}")
        self.lanes, self.groups, self.max_n, self.mant_bits = lanes, groups, max_n, mant_bits
        self.coef_bits, self.primitive = coef_bits, primitive
        self.channels = lanes * groups
        self.pos_width = max(max_n - 1, 1).bit_length()
        self.count_width = max_n.bit_length()
        self.sbits = score_bits(self.channels, 2 ** (coef_bits - 1))
        self.code_width = code_bits(self.sbits, mant_bits)
        self.nbins = int(score_code([self.channels * 4 ** (coef_bits - 1)], mant_bits)[0]) + 1
        self.bins_per_cycle = bins_per_cycle
        # input register, sum of squares, code
        self.score_latency = 1 + ScoreAccumulator.latency_for(lanes) + ScoreCode.latency
        self.scan_cycles = CodeHistogram.scan_cycles_for(self.nbins, bins_per_cycle)
        self.latency_const = self.score_latency + CodeHistogram.settle + self.scan_cycles + 6
        hist_words = -(-self.nbins // bins_per_cycle)
        self.memory_bits = {
            "coefficients": max_n * self.channels * 8,
            "codes": max_n * self.code_width,
            "histogram": hist_words * bins_per_cycle * self.count_width,
        }
        self.memory_bits["total"] = sum(self.memory_bits.values())
        super().__init__({
            "i": In(stream.Signature(topk_input_layout(lanes, groups, max_n, coef_bits))),
            "k": In(range(max_n + 1)), "n": In(range(max_n + 1)),
            "bitmap": Out(stream.Signature(bitmap_layout())),
            "cols": Out(stream.Signature(column_layout(lanes))),
            "busy": Out(1),
        })

    def cycles_after_last_input(self, n: int) -> int:
        """Exact cycles from the last input beat to the last output beat, no backpressure."""
        return n * self.groups + self.latency_const

    def elaborate(self, platform):
        m = Module()
        g = self.groups
        m.submodules.score = score = ScoreAccumulator(self.lanes, g, tag_width=self.pos_width,
                                                      coef_bits=self.coef_bits,
                                                      primitive=self.primitive)
        m.submodules.code = code = ScoreCode(self.sbits, self.mant_bits, tag_width=self.pos_width)
        m.submodules.hist = hist = CodeHistogram(self.nbins, self.count_width,
                                                 self.bins_per_cycle, primitive=self.primitive)
        m.submodules.coef_mem = coef_mem = BankedMemory(8 * self.lanes, self.max_n * g,
                                                        self.primitive)
        m.submodules.code_mem = code_mem = BankedMemory(self.code_width, self.max_n,
                                                        self.primitive)
        coef_wr, code_wr = coef_mem.wr, code_mem.wr
        m.submodules.emit = emit = TopKEmitter(
            lanes=self.lanes, groups=g, pos_width=self.pos_width, code_width=self.code_width,
            count_width=self.count_width, coef_addr_width=len(coef_wr.addr))
        wiring.connect(m, emit.code_rd, code_mem.rd)
        wiring.connect(m, emit.coef_rd, coef_mem.rd)
        wiring.connect(m, wiring.flipped(self.bitmap), emit.bitmap)
        wiring.connect(m, wiring.flipped(self.cols), emit.cols)

        k, n = Signal.like(self.k), Signal.like(self.n)
        fresh = Signal(init=1)  # the next accepted beat is a frame's first
        beat = self.i.p
        accept = self.i.valid & self.i.ready
        # Sampled every cycle until the first beat is accepted (held from then on): the enable
        # is the ``fresh`` flip-flop itself, not a function of the handshake.
        with m.If(fresh):
            m.d.sync += [k.eq(self.k), n.eq(self.n)]
        # The accepted beat is registered first: the memory write and the squares start from
        # flip-flops, not from the upstream's logic.
        r_valid = Signal()
        r_beat = Signal.like(beat)
        m.d.sync += [r_valid.eq(accept), r_beat.eq(beat)]
        grp = r_beat.group if g > 1 else 0
        m.d.comb += [
            coef_wr.addr.eq(r_beat.pos * g + grp), coef_wr.data.eq(r_beat.data),
            coef_wr.en.eq(r_valid),
            score.i_valid.eq(r_valid), score.i_data.eq(r_beat.coef),
            score.i_tag.eq(r_beat.pos), score.i_first.eq(grp == 0), score.i_end.eq(grp == g - 1),
            code.i_valid.eq(score.o_valid), code.i_score.eq(score.o_score),
            code.i_tag.eq(score.o_tag),
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
            self.i.ready.eq(phase == 0), self.busy.eq((phase != 0) | ~fresh),
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

