"""gemmlowp-exact requantizer: int32 (+ int32 offset) -> clamped ``out_width``-bit integers."""

from __future__ import annotations

from amaranth.hdl import (
    Array,
    Cat,
    Const,
    Module,
    Mux,
    Signal,
    signed,
    unsigned,
)
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .lib.ecp5 import MULT_LATENCY, PRIMITIVES, kept_register, mult18x18d
from .lib.fifo import CreditFIFO
from .lib.layouts import requant_in_layout, requant_out_layout
from .lib.params import check_choice, check_int

__all__ = ["Requantizer", "rdbpot_bounds"]

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _rdbpot(q: int, s: int) -> int:
    # gemmlowp RoundingDivideByPOT on Python ints (the golden model's formula).
    mask = (1 << s) - 1
    return (q >> s) + int((q & mask) > (mask >> 1) + (q < 0))


def rdbpot_bounds(lo: int, hi: int, shift: int) -> tuple[int, int]:
    """``(t_lo, t_hi)`` such that ``lo <= rdbpot(q, shift) <= hi`` iff ``t_lo <= q <= t_hi``.

    RoundingDivideByPOT is non-decreasing in ``q``, so the clamp of its result is decided by
    two compares of ``q`` with per-shift constants. Bounds outside the int32 range mean "never
    clamps" (``t_hi = 2**31 - 1`` or ``t_lo = -2**31`` at most) or "always clamps"
    (``t_hi = -2**31 - 1``, ``t_lo = 2**31``); both fit a signed 33-bit value.
    """
    def first(pred):  # smallest int32 q with pred(q), or INT32_MAX + 1; pred is monotone
        a, b = _INT32_MIN, _INT32_MAX + 1
        while a < b:
            mid = (a + b) // 2
            if pred(mid):
                b = mid
            else:
                a = mid + 1
        return a

    t_lo = first(lambda q: _rdbpot(q, shift) >= lo)
    t_hi = first(lambda q: _rdbpot(q, shift) > hi) - 1
    return t_lo, t_hi


class Requantizer(wiring.Component):
    """``y = clamp(rdbpot(srdhm(sat32(x + offset), multiplier), shift), lo, hi)`` per lane.

    Bit-exact with :func:`golden.fixedpoint.requantize`. Because the multiplier is a Q0.31
    value in ``[0, 2**31 - 1]``, srdhm's only overflow case (``INT32_MIN * INT32_MIN``) cannot
    occur, and for a non-negative multiplier gemmlowp's nudge-then-truncate equals
    ``q = floor((a * m + 2**30) / 2**31)``. The 32 x 31 product is split into four 17 x 17
    partial products (one DSP each). RoundingDivideByPOT is computed as
    ``(q >> s) + [bit s-1 of q] * ([q >= 0] | [bits s-2..0 of q not all 0])``; the clamp is
    decided on ``q`` itself, by two compares with per-shift bounds
    (:func:`rdbpot_bounds`), so only ``out_width`` bits of the shifted value are built.

    The datapath is free-running (no clock enable): a beat is accepted only while the
    16-entry output FIFO is guaranteed to have room for it when it arrives (a credit
    count; ``i.ready`` is a register), so backpressure never stalls the pipeline. The stages
    are listed in ``docs/systolic.md`` ("Requantizer").

    Latency 14 cycles from an input handshake to ``o.valid``, throughput one beat
    (``lanes`` results) per cycle, sustained under continuous ``o.ready``.

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
    primitive : {"generic", "ecp5"}
        ``"generic"``: behavioural products (Yosys infers the DSPs, registers in the fabric).
        ``"ecp5"``: each partial product is a MULT18X18D with its input and output registers
        (:func:`hw.lib.ecp5.mult18x18d`), and the per-lane copies of the multiplier and of
        the per-shift constants are ``TRELLIS_FF`` cells with ``keep`` (Yosys would merge
        them back into one register driving every lane); simulate with
        ``sim/models/MULT18X18D.v`` and ``sim/models/TRELLIS_FF.v``. Same latency.

    Members
    -------
    i : In(stream.Signature(requant_in_layout(lanes, offset, tag_layout)))
        ``data``: ``lanes`` x signed(32); ``offset``: ``lanes`` x signed(32) if ``offset``;
        ``tag``: ``tag_layout`` if given.
    o : Out(stream.Signature(requant_out_layout(lanes, out_width, tag_layout)))
        ``data``: ``lanes`` x signed(out_width); ``tag`` as received.
    multiplier : In(unsigned(31))
        Q0.31 multiplier; sampled with each input beat.
    shift : In(unsigned(5))
        Right shift 0..31; sampled with each input beat.
    """

    latency = 14
    #: Output FIFO entries = credits; must exceed ``latency`` for one beat per cycle.
    fifo_depth = 16

    def __init__(self, lanes: int = 1, out_width: int = 8, *, lo: int | None = None,
                 hi: int | None = None, relu: bool = False, offset: bool = False,
                 tag_layout=None, primitive: str = "generic"):
        check_int("lanes", lanes, 1, 64)
        check_int("out_width", out_width, 2, 32)
        check_choice("primitive", primitive, PRIMITIVES)
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
        self.primitive = primitive
        self.in_layout = requant_in_layout(lanes, offset, tag_layout)
        self.out_layout = requant_out_layout(lanes, out_width, tag_layout)
        super().__init__({
            "i": In(stream.Signature(self.in_layout)),
            "o": Out(stream.Signature(self.out_layout)),
            "multiplier": In(unsigned(31)),
            "shift": In(unsigned(5)),
        })

    def elaborate(self, platform):
        m = Module()
        n_pipe = self.latency - 1  # register stages in front of the FIFO
        # The products are registered at S3 (operands) and S4 (product) in either build.
        assert MULT_LATENCY == 2
        ow = self.out_width

        # Flow control: one credit per FIFO entry, taken by an accepted beat and returned
        # by a popped one. The pipeline never stalls, so with depth > pipeline length plus
        # one, a full FIFO cannot overflow and continuous traffic never runs out of credit.
        m.submodules.fifo = fifo = CreditFIFO(self.out_layout, self.fifo_depth)
        assert self.latency + 1 <= self.fifo_depth  # credits for the whole round trip
        # i.ready is the FIFO's credit, a register.
        accept = self.i.valid & self.i.ready
        m.d.comb += [
            fifo.take.eq(accept), fifo.r_ready.eq(self.o.ready),
            self.o.valid.eq(fifo.r_valid), self.o.payload.eq(fifo.r_data),
            self.i.ready.eq(fifo.credit),
        ]

        valid = [accept]
        for s in range(1, n_pipe + 1):
            v = Signal(name=f"v{s}")
            m.d.sync += v.eq(valid[-1])
            valid.append(v)
        m.d.comb += fifo.w_en.eq(valid[n_pipe])

        def reg(value, shape, name):
            # Datapath registers: no reset and no enable; valid travels separately.
            r = Signal(shape, name=name, reset_less=True)
            m.d.sync += r.eq(value)
            return r

        def delay(value, shape, name, n):
            regs = [value]
            for s in range(1, n + 1):
                regs.append(reg(regs[-1], shape, f"{name}{s}"))
            return regs

        def lane_copy(value, name):
            # One register per lane for a control shared by the lanes, so that each copy
            # sits next to its lane instead of one net spanning all of them (kept apart on
            # ECP5: synthesis merges identical registers).
            return kept_register(m, value, primitive=self.primitive, name=name)

        # Per-beat controls travel with the beat, stage k holding the value of stage k.
        mult1 = reg(self.multiplier, unsigned(31), "mult1")
        shifts = delay(self.shift, unsigned(5), "shift", 7)
        if self.tag_layout is not None:
            tags = delay(self.i.payload.tag, self.tag_layout, "tag", n_pipe)
            m.d.comb += fifo.w_data.tag.eq(tags[n_pipe])

        def table(values, shape, name):
            # A 32-entry table of shift, as a LUT4 of shift[3:0] for each half at S7 and a
            # 2:1 multiplexer by shift[4] at S8: as one 5-input function per bit, the
            # mapper shared logic between bits and built three LUT levels.
            halves = [reg(Array(Const(v, shape) for v in values[16 * h: 16 * h + 16])
                          [shifts[6][:4]], shape, f"{name}_{h}") for h in range(2)]
            return reg(Mux(shifts[7][4], halves[1], halves[0]), shape, name)

        # S8: per-shift constants of the rounding and the clamp, computed once; every lane
        # takes its own copy at S9.
        bounds = [rdbpot_bounds(self.lo, self.hi, s) for s in range(32)]
        t_lo8 = table([b[0] for b in bounds], signed(33), "t_lo")
        t_hi8 = table([b[1] for b in bounds], signed(33), "t_hi")
        # Bits s-2..0 of q: below the rounding bit s-1.
        mask8 = table([(1 << max(s - 1, 0)) - 1 for s in range(32)], unsigned(32),
                      "sticky_mask")
        sh8 = reg(shifts[7], unsigned(5), "shift8")

        for lane in range(self.lanes):
            x = self.i.payload.data[lane]
            # S1 / S2: int32 saturation of x + offset, sum and saturation in separate stages.
            if self.has_offset:
                s1 = reg(x + self.i.payload.offset[lane], signed(33), f"sum_{lane}")
                a_sat = Mux(s1[32] == s1[31], s1[:32],
                            Mux(s1[32], _INT32_MIN, _INT32_MAX))
            else:
                a_sat = reg(x, signed(32), f"sum_{lane}")
            a = reg(a_sat, signed(32), f"a_{lane}")
            mult = lane_copy(mult1, f"mult2_{lane}")
            # S3 / S4: four partial products; every factor fits a signed 18-bit DSP input.
            factors = [(Cat(a[:16], Const(0, 1)).as_signed(), Cat(mult[:16], Const(0, 1))),
                       (Cat(a[:16], Const(0, 1)).as_signed(), Cat(mult[16:], Const(0, 1))),
                       (a[16:].as_signed(), Cat(mult[:16], Const(0, 1))),
                       (a[16:].as_signed(), Cat(mult[16:], Const(0, 1)))]
            pp_shapes = [unsigned(32), unsigned(31), signed(32), signed(31)]
            pps = []
            for k, ((fa, fb), shape) in enumerate(zip(factors, pp_shapes, strict=True)):
                fb = fb.as_signed()
                if self.primitive == "ecp5":
                    p = mult18x18d(m, fa, fb, f"mult_{lane}_{k}")
                else:
                    ra = reg(fa, signed(len(fa)), f"fa{k}_{lane}")
                    rb = reg(fb, signed(len(fb)), f"fb{k}_{lane}")
                    p = reg(ra * rb, signed(36), f"p{k}_{lane}")
                # S5 / S6: the product twice more in the fabric: the DSPs sit in fixed rows,
                # and one register between a DSP and its adder left a 2.6 to 3.9 ns route on
                # one side or the other.
                raw = p[:shape.width]
                pp = reg(raw.as_signed() if shape.signed else raw, shape, f"pp{k}_{lane}")
                pps.append(reg(pp, shape, f"ppb{k}_{lane}"))
            pp0, pp1, pp2, pp3 = pps
            # S7: middle terms; a * m + 2**30 = pp0 + 2**30 + mid * 2**16 + pp3 * 2**32.
            mid = reg(pp1 + pp2, signed(33), f"mid_{lane}")
            pp0c = reg(Cat(pp0[:30], pp0[30:32] + 1), unsigned(33), f"pp0c_{lane}")
            pp3b = reg(pp3, signed(31), f"pp3b_{lane}")
            # S8: low = pp0c + (mid mod 2**16) * 2**16 < 2**34; only its bits 31..33 matter.
            low_hi = reg(pp0c[16:] + mid[:16], unsigned(18), f"low_hi_{lane}")
            hi = reg(pp3b + mid[16:].as_signed(), signed(33), f"hi_{lane}")
            # S9: srdhm = floor((a*m + 2**30) / 2**31), an int32 since |a*m| < 2**62.
            q = reg((hi << 1) + low_hi[15:], signed(32), f"q_{lane}")
            t_lo = lane_copy(t_lo8, f"t_lo_{lane}")
            t_hi = lane_copy(t_hi8, f"t_hi_{lane}")
            sticky_mask = lane_copy(mask8, f"sticky_mask_{lane}")
            sh9 = lane_copy(sh8, f"shift9_{lane}")
            # S10-S12: 2q >> s in three steps of 4:1, 4:1 and 2:1 multiplexers (8 s[4:3],
            # 2 s[2:1], s[0]), each one slice deep; bit 0 of the result is the rounding bit
            # q[s-1], and only out_width + 1 bits of it are built.
            wide = Cat(Const(0, 1), q, *([q[31]] * 31))
            part10 = reg(Array(wide[8 * c: 8 * c + ow + 8] for c in range(4))[sh9[3:]],
                         unsigned(ow + 8), f"part10_{lane}")
            sh10 = reg(sh9[:3], unsigned(3), f"shift10_{lane}")
            # S10 also: the clamp decision, as the sign of a subtraction that cannot
            # overflow (the register takes the end of the carry chain), and the sticky bits
            # below the rounding bit in four partial ORs (one 32-bit AND-OR would be three
            # LUT levels).
            over = reg((t_hi - q).as_signed()[33], 1, f"over_{lane}")
            under = reg((q - t_lo).as_signed()[33], 1, f"under_{lane}")
            sticky = reg(Cat((q[8 * g: 8 * g + 8] & sticky_mask[8 * g: 8 * g + 8]).any()
                             for g in range(4)), unsigned(4), f"sticky_{lane}")
            neg = reg(q[31], 1, f"neg_{lane}")
            # S11: u = q[s-1] & ([q >= 0] | sticky) unless clamped; all but q[s-1] here.
            part11 = reg(Array(part10[2 * c: 2 * c + ow + 2] for c in range(4))[sh10[1:]],
                         unsigned(ow + 2), f"part11_{lane}")
            sh11 = reg(sh10[0], 1, f"shift11_{lane}")
            over11 = reg(over, 1, f"over11_{lane}")
            under11 = reg(under, 1, f"under11_{lane}")
            round_ok = reg((~neg | sticky.any()) & ~over & ~under, 1, f"round_ok_{lane}")
            # S12: last shift step and the clamp.
            w = Mux(sh11, part11[1:], part11[:-1])
            v = reg(Mux(over11, self.hi, Mux(under11, self.lo, w[1:])), unsigned(ow),
                    f"v_{lane}")
            u = reg(w[0] & round_ok, 1, f"u_{lane}")
            # S13: rounded result, which fits out_width bits when not clamped.
            y = reg(v + u, signed(ow), f"y_{lane}")
            m.d.comb += fifo.w_data.data[lane].eq(y)
        return m

