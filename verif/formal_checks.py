"""Stream-contract checks of the FIFOs and the requantizer.

Each check is a ``wiring.Component`` with the ports of the unit it wraps (the free inputs of
the proof) and the unit inside; the properties (``stable``, ``no_overflow``,
``no_underflow``, ``drains``) are those of :mod:`verif.formal_props`. The other blocks'
checks are ``verif/formal_forward.py``, ``formal_inverse.py``, ``formal_haar_error.py``,
``formal_topk.py``, ``formal_systolic.py``, ``formal_output.py``, ``formal_zerofill.py``,
``formal_colbuf.py`` and ``formal_layer.py``; the list of proofs is ``verif/formal_plan.py``.

``props`` selects the properties asserted (all by default), so that a broken variant of a
unit can be shown to fail each one on its own (``tests/verif/test_formal.py``).
"""

from __future__ import annotations

from amaranth.hdl import Assume, Cover, Module, ResetSignal, Signal, unsigned
from amaranth.lib import wiring

from hw.lib.fifo import CreditFIFO, two_entry_fifo
from hw.requant import Requantizer

from .formal_props import PROPERTIES, assert_chosen, counter, run_length, stream_rules

__all__ = ["PROPERTIES", "CreditFIFOCheck", "RequantizerCheck", "TwoEntryCheck", "stream_rules"]


class CreditFIFOCheck(wiring.Component):
    """:class:`hw.lib.fifo.CreditFIFO` with credits, written at once (``announce=False``).

    The writer takes a credit for each beat it starts (``take`` only with ``credit``) and
    writes each started beat once, later (any delay: the pipeline is free). Bound of
    ``drains``: ``depth`` cycles of ``r_ready`` without a write.

    Members
    -------
    take, w_en, w_data, r_ready : In
        As the FIFO's.
    credit, r_valid, r_data : Out
        As the FIFO's.
    """

    def __init__(self, depth: int = 4, width: int = 2, *, props=PROPERTIES, fifo=CreditFIFO):
        self.depth, self.width, self.props, self.fifo = depth, width, set(props), fifo
        super().__init__({
            "take": wiring.In(1), "w_en": wiring.In(1), "w_data": wiring.In(width),
            "r_ready": wiring.In(1),
            "credit": wiring.Out(1), "r_valid": wiring.Out(1), "r_data": wiring.Out(width),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.fifo = fifo = self.fifo(unsigned(self.width), self.depth)
        m.d.comb += [fifo.take.eq(self.take), fifo.w_en.eq(self.w_en),
                     fifo.w_data.eq(self.w_data), fifo.r_ready.eq(self.r_ready),
                     self.credit.eq(fifo.credit), self.r_valid.eq(fifo.r_valid),
                     self.r_data.eq(fifo.r_data)]
        m.d.comb += Assume(~ResetSignal())
        d, w = self.depth, (2 * self.depth).bit_length() + 1
        pop = self.r_valid & self.r_ready
        # Beats started and not yet written, beats in the FIFO.
        started = counter(m, "started", w, self.take, self.w_en)
        inside = counter(m, "inside", w, self.w_en, pop)
        m.d.comb += [Assume(~self.take | self.credit), Assume(~self.w_en | (started != 0))]
        quiet = Signal(range(d + 2), name="quiet")
        m.d.sync += quiet.eq(run_length(self.r_ready & ~self.w_en & ~self.take, quiet, d + 1))
        checks = {
            "no_overflow": (started + inside <= d) & (~self.w_en | pop | (inside < d)),
            "no_underflow": self.r_valid == (inside != 0),
            "drains": (quiet < d) | (inside == 0),
        }
        assert_chosen(m, self.props, checks, [(self.r_valid, self.r_ready, self.r_data)])
        m.d.comb += Cover(inside == d)
        return m


class TwoEntryCheck(wiring.Component):
    """:func:`hw.lib.fifo.two_entry_fifo` as a stream buffer: ``i`` in, ``o`` out. Its input
    contract is assumed, its output's asserted; capacity 2; bound of ``drains``: 2 cycles of
    ``o_ready`` without an input beat.

    Members
    -------
    i_valid, i_data, o_ready : In
        The writer's beat and the reader's ready.
    i_ready, o_valid, o_data : Out
        Room for a beat (not full), the head.
    """

    def __init__(self, width: int = 3, *, props=PROPERTIES, build=two_entry_fifo):
        self.props, self.build = set(props), build
        super().__init__({
            "i_valid": wiring.In(1), "i_data": wiring.In(width), "o_ready": wiring.In(1),
            "i_ready": wiring.Out(1), "o_valid": wiring.Out(1), "o_data": wiring.Out(width),
        })

    def elaborate(self, platform):
        m = Module()
        valid, data, ready = self.build(m, "buf", self.i_valid, self.o_ready, self.i_data)
        m.d.comb += [self.o_valid.eq(valid), self.o_data.eq(data), self.i_ready.eq(ready)]
        m.d.comb += Assume(~ResetSignal())
        stream_rules(m, self.i_valid, self.i_ready, self.i_data, Assume)
        took = self.i_valid & self.i_ready
        out = self.o_valid & self.o_ready
        inside = counter(m, "inside", 3, took, out)
        quiet = Signal(range(4), name="quiet")
        m.d.sync += quiet.eq(run_length(self.o_ready & ~took, quiet, 3))
        checks = {
            "no_overflow": inside <= 2,
            "no_underflow": ~self.o_valid | (inside != 0),
            "drains": (quiet < 2) | (inside == 0),
        }
        assert_chosen(m, self.props, checks, [(self.o_valid, self.o_ready, self.o_data)])
        m.d.comb += Cover(inside == 2)
        return m


class RequantizerCheck(wiring.Component):
    """:class:`hw.requant.Requantizer` (one lane, int8 out): its 13 pipeline registers and
    its 16-entry output FIFO. Bound of ``drains``: ``latency + fifo_depth`` = 30 cycles of
    ``o.ready`` without an input beat.

    Members
    -------
    i, o, multiplier, shift
        As the requantizer's.
    """

    def __init__(self, *, props=PROPERTIES, unit=Requantizer):
        self.props = set(props)
        self.unit = unit(lanes=1, out_width=8)
        super().__init__(self.unit.signature)

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = u = self.unit
        wiring.connect(m, wiring.flipped(self.i), u.i)
        wiring.connect(m, u.o, wiring.flipped(self.o))
        m.d.comb += [u.multiplier.eq(self.multiplier), u.shift.eq(self.shift)]
        m.d.comb += Assume(~ResetSignal())
        stream_rules(m, self.i.valid, self.i.ready, self.i.payload, Assume)
        cap, bound = Requantizer.fifo_depth, Requantizer.latency + Requantizer.fifo_depth
        took = self.i.valid & self.i.ready
        out = self.o.valid & self.o.ready
        inside = counter(m, "inside", 8, took, out)
        quiet = Signal(range(bound + 2), name="quiet")
        m.d.sync += quiet.eq(run_length(self.o.ready & ~took, quiet, bound + 1))
        checks = {
            "no_overflow": inside <= cap,
            "no_underflow": ~self.o.valid | (inside != 0),
            "drains": (quiet < bound) | (inside == 0),
        }
        assert_chosen(m, self.props, checks, [(self.o.valid, self.o.ready, self.o.payload)])
        m.d.comb += Cover(inside == cap)
        return m
