"""Joint score ``sum_c w[c]**2`` of one position, accumulated over its consecutive beats."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.topk import score_bits

from ..lib.ecp5 import PRIMITIVES, mult18x18d
from ..lib.params import check_choice, check_int


class ScoreAccumulator(wiring.Component):
    """Sum of squares of ``lanes`` signed values per beat, accumulated over ``groups`` beats.

    The values are the exact Haar coefficients (``coef_bits`` bits, 14 for three levels of an
    int8 map). The squares (up to ``2**(2 * coef_bits - 2)`` for the most negative value: it
    cannot overflow, the score width is ``golden.topk.score_bits(lanes * groups,
    2**(coef_bits - 1))``) come from multipliers with registered inputs and outputs (on ECP5
    a MULT18X18D's own registers: its 3.9 ns multiply then sits between them), then go
    through a pipelined adder tree with a register after every level, then a per-position
    accumulator. A position's beats must be consecutive;
    ``i_first`` restarts the accumulator, ``i_end`` emits the score.

    :class:`hw.topk.TopK` uses it with ``groups = 1`` and ``i_first`` / ``i_end`` always high:
    its output is one beat's sum of squares, a position's score with one channel group, the
    partial sum that :class:`hw.topk.score_mem.ScoreMemory` accumulates over the groups of a
    group-major frame otherwise (the beats of a position are not consecutive there).

    Latency ``latency = 3 + ceil(log2(lanes))`` cycles from the ``i_end`` beat to
    ``o_valid``; throughput one beat per cycle; no backpressure (a fixed pipeline).

    Parameters
    ----------
    lanes : int
        Coefficients per beat, 1..256.
    groups : int
        Beats per position, 1..256.
    tag_width : int
        Width of a side-band tag (e.g. the position) delivered with the score, 0..64.
    coef_bits : int
        Width of a signed coefficient, 2..24 (default 14; at most 18 for ``"ecp5"``).
    primitive : {"generic", "ecp5"}
        Portable multiply between two registers, or an ECP5 MULT18X18D instance with its
        input and output registers (same behaviour; ``sim/models/MULT18X18D.v`` simulates it).

    Members
    -------
    i_valid : In(1)
    i_data : In(ArrayLayout(signed(coef_bits), lanes))
    i_first : In(1)
        First beat of a position.
    i_end : In(1)
        Last beat of a position: its score leaves ``latency`` cycles later.
    i_tag : In(tag_width)
        Sampled with the ``i_end`` beat.
    o_valid : Out(1)
    o_score : Out(sbits)
        ``sbits = golden.topk.score_bits(lanes * groups, 2**(coef_bits - 1))``.
    o_tag : Out(tag_width)
    """

    def __init__(self, lanes: int, groups: int = 1, tag_width: int = 0, coef_bits: int = 14,
                 primitive: str = "generic"):
        check_int("lanes", lanes, 1, 256)
        check_int("groups", groups, 1, 256)
        check_int("tag_width", tag_width, 0, 64)
        check_choice("primitive", primitive, PRIMITIVES)
        top = 18 if primitive == "ecp5" else 24
        check_int("coef_bits", coef_bits, 2, top)
        self.lanes, self.groups, self.coef_bits = lanes, groups, coef_bits
        self.primitive = primitive
        self.sbits = score_bits(lanes * groups, 2 ** (coef_bits - 1))
        self.latency = self.latency_for(lanes)
        tw = max(tag_width, 1)
        super().__init__({
            "i_valid": In(1), "i_data": In(data.ArrayLayout(signed(coef_bits), lanes)),
            "i_first": In(1), "i_end": In(1), "i_tag": In(tw),
            "o_valid": Out(1), "o_score": Out(self.sbits), "o_tag": Out(tw),
        })

    @staticmethod
    def latency_for(lanes: int) -> int:
        """Pipeline latency for ``lanes``: squares (2), tree (one level a stage), accumulator."""
        return 3 + (lanes - 1).bit_length()

    def elaborate(self, platform):
        m = Module()
        # Side band (valid, first, end, tag) travels with the tree's registers.
        side = [self.i_valid, self.i_first, self.i_end, self.i_tag]

        def stage(values, width):
            nonlocal side
            regs = [Signal(width) for _ in values]
            m.d.sync += [r.eq(v) for r, v in zip(regs, values, strict=True)]
            new_side = [Signal.like(s) for s in side]
            m.d.sync += [n.eq(s) for n, s in zip(new_side, side, strict=True)]
            side = new_side
            return regs

        width = 2 * self.coef_bits - 1  # (-2**(coef_bits-1))**2 = 2**(2*coef_bits-2)
        if self.primitive == "ecp5":
            level = [mult18x18d(m, q, q, f"mult{i}")[:width]
                     for i, q in enumerate(self.i_data)]
            stage([], width)  # the side band follows the multipliers' two registers
            stage([], width)
        else:
            held = stage(list(self.i_data), self.coef_bits)
            level = stage([(q.as_signed() * q.as_signed())[:width] for q in held], width)
        while len(level) > 1:
            width += 1
            pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                pairs.append(level[-1])
            level = stage(pairs, width)
        beat_sum = level[0]

        valid, first, end, tag = side
        acc = Signal(self.sbits)
        total = Signal(self.sbits)
        m.d.comb += total.eq(Mux(first, beat_sum, acc + beat_sum))
        with m.If(valid):
            m.d.sync += acc.eq(total)
        m.d.sync += [
            self.o_valid.eq(valid & end), self.o_score.eq(total), self.o_tag.eq(tag),
        ]
        return m
