"""Float-like score code of ``golden.topk.score_code``: the index of the top-k histogram."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.topk import code_bits

from ..lib.params import check_int


class ScoreCode(wiring.Component):
    """Pipelined ``code = score_code(score, mant_bits)`` of an unsigned score.

    Scores below ``2**mant_bits`` map to themselves; a larger score with bit length
    ``mant_bits + e`` maps to ``(e << mant_bits) | mantissa``, the ``mant_bits`` bits below its
    leading one. The code is monotone in the score, so a histogram indexed by it orders
    positions like the score (with ``2**-mant_bits`` relative resolution).

    The leading one is found in two registered steps (per 4-bit group, then across groups) and
    the mantissa shifted out in a third: no long priority chain in one cycle (Fmax).

    Latency 3 cycles, throughput one score per cycle, no backpressure (a fixed pipeline).

    Parameters
    ----------
    sbits : int
        Score width, 1..64.
    mant_bits : int
        Mantissa bits of the code, 1..16.
    tag_width : int
        Width of a side-band tag carried alongside (0..64), e.g. the position.

    Members
    -------
    i_valid : In(1)
        ``i_score`` and ``i_tag`` are valid this cycle.
    i_score : In(sbits)
    i_tag : In(tag_width)
    o_valid : Out(1)
        ``o_code`` / ``o_tag`` valid, ``latency`` cycles after ``i_valid``.
    o_code : Out(code_width)
        ``code_width = golden.topk.code_bits(sbits, mant_bits)``.
    o_tag : Out(tag_width)
    """

    latency = 3

    def __init__(self, sbits: int, mant_bits: int = 7, tag_width: int = 0):
        check_int("sbits", sbits, 1, 64)
        check_int("mant_bits", mant_bits, 1, 16)
        check_int("tag_width", tag_width, 0, 64)
        self.sbits, self.mant_bits, self.tag_width = sbits, mant_bits, tag_width
        self.code_width = code_bits(sbits, mant_bits)
        super().__init__({
            "i_valid": In(1), "i_score": In(sbits), "i_tag": In(max(tag_width, 1)),
            "o_valid": Out(1), "o_code": Out(self.code_width), "o_tag": Out(max(tag_width, 1)),
        })

    def elaborate(self, platform):
        m = Module()
        sb, mb = self.sbits, self.mant_bits
        emax = max(sb - mb, 0)

        # Stage 1: per 4-bit group of the bits above the mantissa, whether it holds a one and
        # the exponent e (and shift e - 1) its leading one would give: functions of the group's
        # four bits, one LUT each. Mux chains, not m.If: Icarus never evaluates an
        # `always @*` whose inputs have not changed since time 0 (a first score of 0 would
        # leave e at X).
        groups = [list(range(lo, min(lo + 4, sb))) for lo in range(mb, sb, 4)]
        e_w, sh_w = range(emax + 1), range(max(emax, 1))
        g_any = [Signal(name=f"g{j}_any") for j in range(len(groups))]
        g_e = [Signal(e_w, name=f"g{j}_e") for j in range(len(groups))]
        g_sh = [Signal(sh_w, name=f"g{j}_sh") for j in range(len(groups))]
        for j, bits in enumerate(groups):
            e_val, sh_val = 0, 0
            for bit in bits:
                e_val = Mux(self.i_score[bit], bit - mb + 1, e_val)
                sh_val = Mux(self.i_score[bit], bit - mb, sh_val)
            m.d.sync += [g_any[j].eq(self.i_score[bits[0]:bits[-1] + 1] != 0),
                         g_e[j].eq(e_val), g_sh[j].eq(sh_val)]
        s1_score, s1_valid, s1_tag = Signal(sb), Signal(), Signal.like(self.i_tag)
        m.d.sync += [s1_score.eq(self.i_score), s1_valid.eq(self.i_valid),
                     s1_tag.eq(self.i_tag)]

        # Stage 2: the highest group with a one gives e and e - 1.
        e_val, sh_val = 0, 0
        for j in range(len(groups)):
            e_val = Mux(g_any[j], g_e[j], e_val)
            sh_val = Mux(g_any[j], g_sh[j], sh_val)
        s2_score, s2_valid, s2_tag = Signal(sb), Signal(), Signal.like(self.i_tag)
        s2_e, s2_sh, s2_big = Signal(e_w), Signal(sh_w), Signal()
        m.d.sync += [s2_score.eq(s1_score), s2_valid.eq(s1_valid), s2_tag.eq(s1_tag),
                     s2_e.eq(e_val), s2_sh.eq(sh_val),
                     s2_big.eq(Cat(*g_any) != 0 if groups else 0)]

        # Stage 3: mantissa = the mb bits below the leading one, i.e. score >> (e - 1).
        mant = Signal(unsigned(mb))
        if emax:
            m.d.comb += mant.eq(s2_score >> s2_sh)
        coded = Signal(self.code_width)
        m.d.comb += coded.eq(Mux(s2_big, (s2_e << mb) | mant, s2_score))
        m.d.sync += [self.o_code.eq(coded), self.o_valid.eq(s2_valid), self.o_tag.eq(s2_tag)]
        return m
