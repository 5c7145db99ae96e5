"""Deliberately broken variants of the proved units, one per property: each must fail the
proof of that property (``tests/verif/test_formal.py``), so that a vacuous property (one
that no design could fail) cannot pass unnoticed. Each overrides one output of the unit
after its own logic (the last assignment wins, or the function's result is replaced)."""

from __future__ import annotations

from amaranth.hdl import Const

from hw.haar import HaarInverse
from hw.lib.fifo import CreditFIFO, two_entry_fifo
from hw.requant import Requantizer

__all__ = ["FIFO_MUTANTS", "INVERSE_MUTANTS", "REQUANT_MUTANTS", "TWO_ENTRY_MUTANTS"]


def _mutant(base, name, override):
    def elaborate(self, platform):
        m = base.elaborate(self, platform)
        m.d.comb += override(self)
        return m
    return type(name, (base,), {"elaborate": elaborate})


#: property -> a CreditFIFO that breaks it.
FIFO_MUTANTS = {
    # A credit whether or not an entry is free: a full FIFO is written again.
    "no_overflow": _mutant(CreditFIFO, "CreditAlways", lambda f: f.credit.eq(1)),
    # Valid when empty: an entry read before it was written.
    "no_underflow": _mutant(CreditFIFO, "ValidAlways", lambda f: f.r_valid.eq(1)),
    # The head shows the write port's data: it changes while not taken.
    "stable": _mutant(CreditFIFO, "HeadFollowsWrite", lambda f: f.r_data.eq(f.w_data)),
    # Never valid: entries stay inside forever.
    "drains": _mutant(CreditFIFO, "NeverValid", lambda f: f.r_valid.eq(0)),
}

#: property -> a Requantizer that breaks it.
REQUANT_MUTANTS = {
    # Ready without a credit: beats accepted with the output FIFO full of reservations.
    "no_overflow": _mutant(Requantizer, "ReadyAlways", lambda u: u.i.ready.eq(1)),
    # Valid with nothing inside: a beat out of nothing.
    "no_underflow": _mutant(Requantizer, "ValidAlways", lambda u: u.o.valid.eq(1)),
    # The output data follows an input: it changes while the beat waits.
    "stable": _mutant(Requantizer, "DataFollowsInput",
                      lambda u: u.o.payload.data[0].eq(u.multiplier[:8])),
    # The output never offered: the unit never drains.
    "drains": _mutant(Requantizer, "NeverValid", lambda u: u.o.valid.eq(0)),
}


def _two_entry(change):
    def build(m, name, w_valid, r_ready, w_data):
        return change(*two_entry_fifo(m, name, w_valid, r_ready, w_data), w_data)
    return build


#: property -> a two_entry_fifo that breaks it (its outputs changed after it is built).
TWO_ENTRY_MUTANTS = {
    "no_overflow": _two_entry(lambda v, d, r, w: (v, d, Const(1))),   # never full
    "no_underflow": _two_entry(lambda v, d, r, w: (Const(1), d, r)),  # valid when empty
    "stable": _two_entry(lambda v, d, r, w: (v, w, r)),               # head = the input
    "drains": _two_entry(lambda v, d, r, w: (Const(0), d, r)),        # never valid
}

#: property -> a HaarInverse that breaks it.
INVERSE_MUTANTS = {
    # The output pixel follows the input coefficient: it changes while the pixel waits.
    "stable": _mutant(HaarInverse, "PixelFollowsInput",
                      lambda u: u.o.payload.data.eq(u.i.payload.data)),
    # Valid with no block inside: pixels out of nothing.
    "no_underflow": _mutant(HaarInverse, "ValidAlways", lambda u: u.o.valid.eq(1)),
}
