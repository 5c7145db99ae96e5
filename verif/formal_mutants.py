"""Deliberately broken variants of the proved units, one per property: each must fail the
proof of that property (``tests/verif/test_formal.py``), so that a vacuous property (one
that no design could fail) cannot pass unnoticed. Each overrides one signal of the unit
after its own logic, in the domain that drives it (the last assignment wins, or the
function's result is replaced)."""

from __future__ import annotations

import inspect

from amaranth.hdl import Const

from hw.haar import HaarForward, HaarInverse
from hw.layer.colbuf import KeptColumnBuffer
from hw.layer.config import ErrorCode
from hw.layer.output import OutputStage
from hw.layer.zerofill import ZeroFill
from hw.lib.fifo import CreditFIFO, two_entry_fifo
from hw.requant import Requantizer
from hw.systolic import SystolicArray
from hw.topk import TopK

from .formal_layer import silence
from .formal_props import replace_submodule

__all__ = ["COLBUF_MUTANTS", "FIFO_MUTANTS", "FORWARD_MUTANTS", "HAAR_ERROR_MUTANTS",
           "INVERSE_MUTANTS", "LAYER_MUTANTS", "OUTPUT_MUTANTS", "REQUANT_MUTANTS",
           "SEQUENCER_MUTANTS", "SYSTOLIC_MUTANTS", "TOPK_MUTANTS", "TOPK_RESET_MUTANTS",
           "TWO_ENTRY_MUTANTS", "ZEROFILL_MUTANTS"]


def _mutant(base, name, override, domain="comb"):
    """A subclass of ``base`` whose module gets ``override(self, m)`` (or
    ``override(self)``) in ``domain`` after its own logic."""
    takes_module = len(inspect.signature(override).parameters) == 2

    def elaborate(self, platform):
        m = base.elaborate(self, platform)
        m.d[domain] += override(self, m) if takes_module else override(self)
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
    # Ready whether or not a half of the block store is free: coefficients taken and lost.
    "no_overflow": _mutant(HaarInverse, "ReadyAlways", lambda u: u.i.ready.eq(1)),
    # Valid with no block inside: pixels out of nothing.
    "no_underflow": _mutant(HaarInverse, "ValidAlways", lambda u: u.o.valid.eq(1)),
    # No `last` marker: the frame's end is lost.
    "count": _mutant(HaarInverse, "LastNever", lambda u: u.o.payload.last.eq(0)),
    # The output never offered: the unit never drains.
    "drains": _mutant(HaarInverse, "NeverValid", lambda u: u.o.valid.eq(0)),
}

#: (kind, property) -> a Haar unit whose sticky ``error`` never rises.
HAAR_ERROR_MUTANTS = {
    ("forward", "error"): _mutant(HaarForward, "ForwardErrorNever",
                                  lambda u: u.error.eq(0)),
    ("inverse", "error"): _mutant(HaarInverse, "InverseErrorNever",
                                  lambda u: u.error.eq(0), "sync"),
}

#: property -> a HaarForward that breaks it.
FORWARD_MUTANTS = {
    # The output coefficient follows the input pixel: it changes while the beat waits.
    "stable": _mutant(HaarForward, "CoefFollowsInput",
                      lambda u: u.o.payload.data[0].eq(u.i.payload.data[0])),
    # The quad FIFO written in every cycle, whether or not it has room.
    "no_overflow": _mutant(HaarForward, "WriteAlways",
                           lambda u, m: m.submodules.fifo.w_en.eq(1)),
    # Valid with nothing inside: coefficients out of nothing.
    "no_underflow": _mutant(HaarForward, "ValidAlways", lambda u: u.o.valid.eq(1), "sync"),
    # No `last` marker: the frame's end is lost.
    "count": _mutant(HaarForward, "LastNever", lambda u: u.o.payload.last.eq(0)),
    # The output never offered: the unit never drains.
    "drains": _mutant(HaarForward, "NeverValid", lambda u: u.o.valid.eq(0), "sync"),
}


def _register(m, name):
    """The signal ``name`` that the module ``m`` assigns at its top level in ``sync``
    (``Module._statements``, Amaranth 0.5: a mutant reaches a local register of the unit)."""
    for stmt in m._statements["sync"]:
        lhs = getattr(stmt, "lhs", None)   # an assignment (a Switch has none)
        if getattr(lhs, "name", None) == name:
            return lhs
    raise KeyError(name)


class TopKNoWipe(TopK):
    """A TopK whose code histogram's ``dirty`` flag never rises: the counts of a frame cut by
    a reset are not wiped."""

    def elaborate(self, platform):
        m = super().elaborate(platform)
        replace_submodule(m, "hist", lambda h, hm: _register(hm, "dirty").eq(0), "sync")
        return m


#: property -> a TopK that breaks it.
TOPK_MUTANTS = {
    "stable": _mutant(TopK, "ColumnFollowsInput",
                      lambda u: u.cols.payload.data[0].eq(u.i.payload.data[0])),
    # Ready in every phase: the next frame's beats overwrite the stored one.
    "no_overflow": _mutant(TopK, "ReadyAlways", lambda u: u.i.ready.eq(1)),
    # Kept columns out of nothing.
    "no_underflow": _mutant(TopK, "ValidAlways", lambda u: u.cols.valid.eq(1)),
    "count": _mutant(TopK, "LastNever", lambda u: u.cols.payload.last.eq(0)),
    # The bitmap never offered: the frame never ends.
    "drains": _mutant(TopK, "BitmapNeverValid", lambda u: u.bitmap.valid.eq(0)),
}

#: property -> a TopK that breaks it when the reset is free: the stream properties' mutants
#: above, and for ``count`` a histogram left unwiped by a reset in the middle of a frame.
TOPK_RESET_MUTANTS = {**TOPK_MUTANTS, "count": TopKNoWipe}


#: property -> a SystolicArray that breaks it.
SYSTOLIC_MUTANTS = {
    "stable": _mutant(SystolicArray, "ResultFollowsInput",
                      lambda u: u.y.payload.data[0].eq(u.x.payload[0])),
    # A result announced to the output FIFO in every cycle, whether or not it has room.
    "no_overflow": _mutant(SystolicArray, "WriteAlways",
                           lambda u, m: m.submodules.fifo.w_next.eq(1)),
    "no_underflow": _mutant(SystolicArray, "ValidAlways", lambda u: u.y.valid.eq(1)),
    "count": _mutant(SystolicArray, "LastNever", lambda u: u.y.payload.last.eq(0)),
    "drains": _mutant(SystolicArray, "NeverValid", lambda u: u.y.valid.eq(0)),
}


#: property -> an OutputStage that breaks it.
OUTPUT_MUTANTS = {
    # The output pixel follows the input: it changes while the beat waits.
    "stable": _mutant(OutputStage, "PixelFollowsInput",
                      lambda u: u.o.payload.data[0].eq(u.i.payload.data[0])),
    # Biases taken with both banks full: a third packet overwrites a frame's biases.
    "no_overflow": _mutant(OutputStage, "BiasReadyAlways", lambda u: u.bias.ready.eq(1)),
    "no_underflow": _mutant(OutputStage, "ValidAlways", lambda u: u.o.valid.eq(1)),
    "drains": _mutant(OutputStage, "NeverValid", lambda u: u.o.valid.eq(0)),
}


#: property -> a ZeroFill that breaks it (its output is a register: overridden in `sync`).
ZEROFILL_MUTANTS = {
    "stable": _mutant(ZeroFill, "PixelFollowsResults",
                      lambda u: u.o.payload.data[0].eq(u.z.payload.data[0]), "sync"),
    # A bitmap word taken with both banks full: a pending frame's bitmap overwritten.
    "no_overflow": _mutant(ZeroFill, "BitmapReadyAlways", lambda u: u.bitmap.ready.eq(1)),
    "no_underflow": _mutant(ZeroFill, "ValidAlways", lambda u: u.o.valid.eq(1), "sync"),
    "count": _mutant(ZeroFill, "LastNever", lambda u: u.o.payload.last.eq(0), "sync"),
    "drains": _mutant(ZeroFill, "NeverValid", lambda u: u.o.valid.eq(0), "sync"),
}


#: property -> a KeptColumnBuffer that breaks it.
COLBUF_MUTANTS = {
    # The x payload follows the w payload: it changes while the beat waits.
    "stable": _mutant(KeptColumnBuffer, "BeatFollowsWrite",
                      lambda u: u.x.payload[0].eq(u.w.payload.data[0])),
    # Ready in every cycle: w beats taken past the frame (and with both banks full).
    "no_overflow": _mutant(KeptColumnBuffer, "WriteReadyAlways", lambda u: u.w.ready.eq(1)),
    # Valid with nothing inside: x beats out of nothing.
    "no_underflow": _mutant(KeptColumnBuffer, "ValidAlways", lambda u: u.x.valid.eq(1)),
    # The frame's last tile registered as `tiles` instead of `tiles - 1`: one tile too many.
    "count": _mutant(KeptColumnBuffer, "OneTileTooMany",
                     lambda u, m: _register(m, "tiles1").eq(u.rd_cfg.payload.tiles), "sync"),
    # The x beats never offered: the reads stay inside.
    "drains": _mutant(KeptColumnBuffer, "NeverValid", lambda u: u.x.valid.eq(0)),
}


def _seq_mutant(name, override, domain="sync"):
    """A factory of a FrameSequencer (of a given layer) with ``override(seq)`` added."""
    def make(layer):
        return _mutant(type(layer.seq), name, override, domain)(**_seq_params(layer))
    return make


def _seq_params(layer):
    return dict(lanes=layer.lanes, rows=layer.rows, cols=layer.cols, subtiles=layer.subtiles,
                max_c_in=layer.max_c_in, max_c_out=layer.max_c_out,
                max_width=layer.max_width, max_height=layer.max_height, max_k=layer.max_k,
                levels=layer.levels, coef_bits=layer.coef_bits, pbits=layer.forward.pbits,
                colw_layout=layer.colbuf.wr_layout, colr_layout=layer.colbuf.rd_layout)


#: (proof, property) -> a factory ``layer -> FrameSequencer`` that breaks it.
SEQUENCER_MUTANTS = {
    # Every error reported as C_IN: the code no longer says why.
    ("config", "error"): _seq_mutant("CodeAlwaysCIn", lambda s: s.error_code.eq(ErrorCode.C_IN)),
    # The sticky error never rises: the framing faults go unreported.
    ("framing", "error"): _seq_mutant("ErrorNever", lambda s: s.error.eq(0)),
    # The weights follow the pixel stream: a weight beat changes while it waits.
    ("framing", "stable"): _seq_mutant("WeightFollowsPixels",
                                       lambda s: s.w.payload[0].eq(s.x.payload.data[0]), "comb"),
}


def _layer_error_never(layer):
    """The layer's ``error`` output tied low (a copy of ``layer``, which is not used)."""
    silence(layer)
    cls = _mutant(type(layer), "LayerErrorNever", lambda u: u.error.eq(0))
    return cls(**layer._params)


def _layer_cfg_ready_always(layer):
    """The layer's ``cfg.ready`` tied high: configurations taken with the sequencer full."""
    silence(layer)
    cls = _mutant(type(layer), "LayerCfgReadyAlways", lambda u: u.cfg.ready.eq(1))
    return cls(**layer._params)


#: property -> a factory ``layer -> WccLayer`` that breaks it.
LAYER_MUTANTS = {"error": _layer_error_never, "no_overflow": _layer_cfg_ready_always}
