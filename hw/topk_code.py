"""Float-like score code of ``golden.topk.score_code``: the index of the top-k histogram."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.topk import code_bits


class ScoreCode(wiring.Component):
    """Pipelined ``code = score_code(score, mant_bits)`` of an unsigned score.

    Scores below ``2**mant_bits`` map to themselves; a larger score with bit length
    ``mant_bits + e`` maps to ``(e << mant_bits) | mantissa``, the ``mant_bits`` bits below its
    leading one. The code is monotone in the score, so a histogram indexed by it orders
    positions like the score (with ``2**-mant_bits`` relative resolution).

    Latency 2 cycles, throughput one score per cycle, no backpressure (a fixed pipeline).

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

    latency = 2

    def __init__(self, sbits: int, mant_bits: int = 7, tag_width: int = 0):
        if not 1 <= sbits <= 64:
            raise ValueError(f"sbits must be in [1, 64], got {sbits}")
        if not 1 <= mant_bits <= 16:
            raise ValueError(f"mant_bits must be in [1, 16], got {mant_bits}")
        if not 0 <= tag_width <= 64:
            raise ValueError(f"tag_width must be in [0, 64], got {tag_width}")
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

        # Stage 1: exponent from the leading one; the shift is left to stage 2 for Fmax.
        # A Mux chain, not m.If: Icarus never evaluates an `always @*` whose inputs have not
        # changed since time 0, so a first score of 0 would leave e at X.
        e = Signal(range(emax + 1))
        e_val = 0
        for bit in range(mb, sb):
            e_val = Mux(self.i_score[bit], bit - mb + 1, e_val)
        m.d.comb += e.eq(e_val)
        s1_score = Signal(sb)
        s1_e = Signal.like(e)
        s1_valid = Signal()
        s1_tag = Signal.like(self.i_tag)
        m.d.sync += [s1_score.eq(self.i_score), s1_e.eq(e), s1_valid.eq(self.i_valid),
                     s1_tag.eq(self.i_tag)]

        # Stage 2: mantissa = the mb bits below the leading one, i.e. score >> (e - 1).
        mant = Signal(unsigned(mb))
        if emax:
            m.d.comb += mant.eq(s1_score >> (s1_e - 1)[:len(s1_e)])
        coded = Signal(self.code_width)
        m.d.comb += coded.eq(Mux(s1_e == 0, s1_score, (s1_e << mb) | mant))
        m.d.sync += [self.o_code.eq(coded), self.o_valid.eq(s1_valid), self.o_tag.eq(s1_tag)]
        return m
