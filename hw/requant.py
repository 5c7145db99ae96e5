"""gemmlowp-exact requantizer: int32 (+ int32 offset) -> clamped ``out_width``-bit integers."""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Requantizer"]


class Requantizer(wiring.Component):
    """``y = clamp(rdbpot(srdhm(sat32(x + offset), multiplier), shift), lo, hi)`` per lane.

    Bit-exact with :func:`golden.fixedpoint.requantize`. Because the multiplier is a Q0.31
    value in ``[0, 2**31 - 1]``, srdhm's only overflow case (``INT32_MIN * INT32_MIN``) cannot
    occur, and for a non-negative multiplier gemmlowp's nudge-then-truncate equals
    ``floor((a * m + 2**30) / 2**31)``; RoundingDivideByPOT equals
    ``floor((q + 2**(shift-1) - (q < 0)) / 2**shift)`` (``shift > 0``). The 32 x 31 product
    is split into four 17 x 17 partial products (one DSP each) so that every stage is a
    short register-to-register path.

    Latency 8 cycles, throughput one beat (``lanes`` results) per cycle. The whole pipeline
    stalls while the output is valid and not ready.

    Parameters
    ----------
    lanes : int
        Values per beat, 1..64.
    out_width : int
        Output width, 2..32 (8 for activations, 16 for the accumulators feeding inverse Haar).
    lo, hi : int or None
        Clamp bounds within the signed ``out_width`` range (default: that whole range).
    relu : bool
        Shorthand for ``lo = 0``.
    offset : bool
        The input payload carries a per-lane int32 ``offset`` added (saturating) before
        scaling, e.g. a bias.
    tag_layout : shape-castable or None
        Side-band ``tag`` carried unchanged from input to output (position, last flag, ...).

    Members
    -------
    i : In(stream.Signature(StructLayout))
        ``data``: ``lanes`` x signed(32); ``offset``: ``lanes`` x signed(32) if ``offset``;
        ``tag``: ``tag_layout`` if given.
    o : Out(stream.Signature(StructLayout))
        ``data``: ``lanes`` x signed(out_width); ``tag`` as received.
    multiplier : In(unsigned(31))
        Q0.31 multiplier; sampled with each input beat.
    shift : In(unsigned(5))
        Right shift 0..31; sampled with each input beat.
    """

    latency = 8

    def __init__(self, lanes: int = 1, out_width: int = 8, *, lo: int | None = None,
                 hi: int | None = None, relu: bool = False, offset: bool = False,
                 tag_layout=None):
        if not (isinstance(lanes, int) and 1 <= lanes <= 64):
            raise ValueError(f"lanes must be an integer in [1, 64], got {lanes!r}")
        if not (isinstance(out_width, int) and 2 <= out_width <= 32):
            raise ValueError(f"out_width must be an integer in [2, 32], got {out_width!r}")
        omin, omax = -(2 ** (out_width - 1)), 2 ** (out_width - 1) - 1
        lo = (0 if relu else omin) if lo is None else lo
        hi = omax if hi is None else hi
        if relu and lo != 0:
            raise ValueError(f"lo must be 0 (or None) when relu=True, got {lo}")
        if not omin <= lo <= omax:
            raise ValueError(f"lo must be in [{omin}, {omax}] for out_width={out_width}, "
                             f"got {lo}")
        if not lo <= hi <= omax:
            raise ValueError(f"hi must be in [lo={lo}, {omax}] for out_width={out_width}, "
                             f"got {hi}")
        self.lanes, self.out_width, self.lo, self.hi = lanes, out_width, lo, hi
        self.has_offset, self.tag_layout = bool(offset), tag_layout
        fields = {"data": data.ArrayLayout(signed(32), lanes)}
        if offset:
            fields["offset"] = data.ArrayLayout(signed(32), lanes)
        out_fields = {"data": data.ArrayLayout(signed(out_width), lanes)}
        if tag_layout is not None:
            fields["tag"] = out_fields["tag"] = tag_layout
        self.in_layout = data.StructLayout(fields)
        self.out_layout = data.StructLayout(out_fields)
        super().__init__({
            "i": In(stream.Signature(self.in_layout)),
            "o": Out(stream.Signature(self.out_layout)),
            "multiplier": In(unsigned(31)),
            "shift": In(unsigned(5)),
        })

    def elaborate(self, platform):
        m = Module()
        n = self.latency
        # One global enable: a stage only moves when the last stage can drain. valid is
        # a register, so it never depends on o.ready.
        en = Signal()
        valid = [Signal(name=f"v{s}") for s in range(n)]
        m.d.comb += [en.eq(~self.o.valid | self.o.ready), self.i.ready.eq(en),
                     self.o.valid.eq(valid[-1])]
        with m.If(en):
            m.d.sync += valid[0].eq(self.i.valid)
            m.d.sync += [valid[s].eq(valid[s - 1]) for s in range(1, n)]

        def stage(value, shape, name):
            reg = Signal(shape, name=name)
            with m.If(en):
                m.d.sync += reg.eq(value)
            return reg

        def carry(value, shape, name):
            regs = [value]
            for s in range(n):
                regs.append(stage(regs[-1], shape, f"{name}{s}"))
            return regs

        mult = stage(self.multiplier, unsigned(31), "mult1")
        shifts = carry(self.shift, unsigned(5), "shift")
        if self.tag_layout is not None:
            tags = carry(self.i.payload.tag, self.tag_layout, "tag")
            m.d.comb += self.o.payload.tag.eq(tags[n])

        int_min, int_max = -(2**31), 2**31 - 1
        for lane in range(self.lanes):
            x = self.i.payload.data[lane]
            # S1: int32 saturation of x + offset.
            if self.has_offset:
                s = x + self.i.payload.offset[lane]
                s = Mux(s < int_min, int_min, Mux(s > int_max, int_max, s))
            else:
                s = x
            a = stage(s, signed(32), f"a_{lane}")
            # S2: four partial products; every factor fits a signed 18-bit DSP input.
            al, ah = a[:16], a[16:].as_signed()
            ml, mh = mult[:16], mult[16:]
            pp0 = stage(al * ml, unsigned(32), f"pp0_{lane}")
            pp1 = stage(al * mh, unsigned(31), f"pp1_{lane}")
            pp2 = stage(ah * ml, signed(32), f"pp2_{lane}")
            pp3 = stage(ah * mh, signed(31), f"pp3_{lane}")
            # S3: middle terms.
            mid = stage(pp1 + pp2, signed(33), f"mid_{lane}")
            pp0b = stage(pp0, unsigned(32), f"pp0b_{lane}")
            pp3b = stage(pp3, signed(31), f"pp3b_{lane}")
            # S4: a*m + 2**30 = hi * 2**32 + low, with 0 <= low < 2**34.
            low = stage(pp0b + (mid[:16] << 16) + (1 << 30), unsigned(34), f"low_{lane}")
            hi = stage(pp3b + mid[16:].as_signed(), signed(33), f"hi_{lane}")
            # S5: srdhm = floor((a*m + 2**30) / 2**31), an int32 since |a*m| < 2**62.
            q = stage((hi << 1) + low[31:], signed(32), f"q_{lane}")
            # S6: RoundingDivideByPOT's half-away-from-zero rounding folded into one bias.
            sh = shifts[5]
            half = Mux(sh == 0, 0, (Const(1, unsigned(32)) << sh)[1:])
            t = stage(q + Mux(sh == 0, 0, half - (q < 0)), signed(33), f"t_{lane}")
            # S7: arithmetic shift.
            r = stage(t >> shifts[6], signed(33), f"r_{lane}")
            # S8: clamp.
            c = Mux(r < self.lo, self.lo, Mux(r > self.hi, self.hi, r))
            y = stage(c, signed(self.out_width), f"y_{lane}")
            m.d.comb += self.o.payload.data[lane].eq(y)
        return m
