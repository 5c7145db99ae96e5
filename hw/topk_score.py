"""Joint score ``sum_c q[c]**2`` of one position, accumulated over its beats."""

from __future__ import annotations

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.topk import score_bits


class ScoreAccumulator(wiring.Component):
    """Sum of squares of ``lanes`` int8 values per beat, accumulated over ``groups`` beats.

    The squares (up to ``128**2`` for -128: it cannot overflow, the widths are taken from
    ``golden.topk.score_bits(lanes * groups)``) go through a pipelined adder tree with a
    register after every two levels, then a per-position accumulator. A position's beats must
    be consecutive; ``i_first`` restarts the accumulator, ``i_end`` emits the score.

    Latency ``latency = 2 + ceil(log2(lanes) / 2)`` cycles from the ``i_end`` beat to
    ``o_valid``; throughput one beat per cycle; no backpressure (a fixed pipeline).

    Parameters
    ----------
    lanes : int
        Coefficients per beat, 1..256.
    groups : int
        Beats per position, 1..256.
    tag_width : int
        Width of a side-band tag (e.g. the position) delivered with the score, 0..64.

    Members
    -------
    i_valid : In(1)
    i_data : In(ArrayLayout(signed(8), lanes))
    i_first : In(1)
        First beat of a position.
    i_end : In(1)
        Last beat of a position: its score leaves ``latency`` cycles later.
    i_tag : In(tag_width)
        Sampled with the ``i_end`` beat.
    o_valid : Out(1)
    o_score : Out(sbits)
        ``sbits = golden.topk.score_bits(lanes * groups)``.
    o_tag : Out(tag_width)
    """

    def __init__(self, lanes: int, groups: int = 1, tag_width: int = 0):
        if not 1 <= lanes <= 256:
            raise ValueError(f"lanes must be in [1, 256], got {lanes}")
        if not 1 <= groups <= 256:
            raise ValueError(f"groups must be in [1, 256], got {groups}")
        if not 0 <= tag_width <= 64:
            raise ValueError(f"tag_width must be in [0, 64], got {tag_width}")
        self.lanes, self.groups = lanes, groups
        self.sbits = score_bits(lanes * groups)
        levels = (lanes - 1).bit_length()
        self.latency = 2 + (levels + 1) // 2
        tw = max(tag_width, 1)
        super().__init__({
            "i_valid": In(1), "i_data": In(data.ArrayLayout(signed(8), lanes)),
            "i_first": In(1), "i_end": In(1), "i_tag": In(tw),
            "o_valid": Out(1), "o_score": Out(self.sbits), "o_tag": Out(tw),
        })

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

        width = 15  # (-128)**2 = 16384
        level = stage([(q * q)[:width] for q in self.i_data], width)
        depth = 0
        while len(level) > 1:
            width += 1
            pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                pairs.append(level[-1])
            depth += 1
            if depth % 2 == 0 or len(pairs) == 1:
                level = stage(pairs, width)
            else:
                level = pairs
        beat_sum = level[0]

        valid, first, end, tag = side
        acc = Signal(self.sbits)
        total = Signal(self.sbits)
        m.d.comb += total.eq(Mux_first(first, beat_sum, acc + beat_sum))
        with m.If(valid):
            m.d.sync += acc.eq(total)
        m.d.sync += [
            self.o_valid.eq(valid & end), self.o_score.eq(total), self.o_tag.eq(tag),
        ]
        return m


def Mux_first(first, beat_sum, running):  # noqa: N802 - reads as the Mux it builds
    from amaranth.hdl import Mux

    return Mux(first, beat_sum, running)
