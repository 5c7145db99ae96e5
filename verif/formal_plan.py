"""The proofs of ``make formal``: which check, which properties, which mode and depth, why.

Induction does not close on these checks: their counts of the beats inside are not related,
in the properties, to the units' own state (thermometer codes of level and credits, the
pipelines' valid bits, the frame counters), so k-induction finds unreachable start states
where they disagree and that persist while a reader stalls. Bounded model checking from the
reset is used instead, to a depth past the states each property needs reached (``why``).

``fast`` proofs (each under a minute here) run in ``make test`` with their mutants
(``tests/verif/test_formal.py``); the others, none at present (every proof is under a minute
since :func:`verif.formal.prove` maps the memories to flip-flops), only in ``make formal``
(their mutants in ``make regress``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .formal_checks import PROPERTIES, CreditFIFOCheck, RequantizerCheck, TwoEntryCheck
from .formal_colbuf import KeptColumnBufferCheck
from .formal_forward import HaarForwardCheck
from .formal_haar_error import HaarErrorCheck
from .formal_inverse import HaarInverseCheck
from .formal_layer import LayerCheck, SequencerCheck
from .formal_output import OutputStageCheck
from .formal_systolic import SystolicCheck
from .formal_topk import TopKCheck
from .formal_zerofill import ZeroFillCheck

__all__ = ["PROOFS", "Proof"]


@dataclass(frozen=True)
class Proof:
    """One proof: ``make(props)`` builds the check asserting ``props``."""

    name: str
    make: Callable
    props: tuple
    mode: str
    depth: int
    why: str
    fast: bool = True


PROOFS = [
    Proof("two_entry_fifo", lambda props: TwoEntryCheck(props=props), PROPERTIES, "bmc", 10,
          "fills the two entries, holds them, drains them, twice over"),
    Proof("credit_fifo", lambda props: CreditFIFOCheck(props=props), PROPERTIES, "bmc", 12,
          "fills the 4-entry FIFO from empty, holds it full, drains it (4 + 4 + 4 cycles)"),
    Proof("haar_inverse", lambda props: HaarInverseCheck(props=props),
          ("stable", "no_underflow"), "bmc", 16,
          "a 2 x 2 frame in and its pixels out (the first output at step 11)"),
    Proof("haar_inverse_frames", lambda props: HaarInverseCheck(props=props, framed=True),
          ("stable", "no_underflow", "count"), "bmc", 26,
          "two 2 x 2 frames in and their pixels out (the first frame's last at step 14)"),
    Proof("haar_inverse_overflow", lambda props: HaarInverseCheck(props=props, framed=True),
          ("no_overflow",), "bmc", 32, "24 coefficients inside with the output stalled (both "
          "halves and the FIFO's 16 entries) by step 30, a 25th offered"),
    Proof("haar_inverse_drains", lambda props: HaarInverseCheck(props=props, framed=True),
          ("drains",), "bmc", 48, "frames taken until step 17, then the 31 cycles of the "
          "bound (16 fail at step 41)"),
    Proof("haar_inverse_error", lambda props: HaarErrorCheck("inverse", props=props),
          ("error",), "bmc", 16, "a 2 x 2 frame opened and completed by step 7, markers and "
          "stray beats before and after it"),
    Proof("haar_forward_error", lambda props: HaarErrorCheck("forward", props=props),
          ("error",), "bmc", 16, "a frame opened and completed by step 7, markers and stray "
          "beats before and after it"),
    Proof("requantizer", lambda props: RequantizerCheck(props=props),
          ("stable", "no_overflow", "no_underflow"), "bmc", 20,
          "17 beats accepted with the output stalled overflow the 16-entry FIFO by cycle 18"),
    Proof("requantizer_drains", lambda props: RequantizerCheck(props=props), ("drains",),
          "bmc", 34, "a beat, then the 30 cycles of the bound (latency 14 + FIFO 16), plus "
          "margin"),
    Proof("haar_forward", lambda props: HaarForwardCheck(2, 2, props=props),
          ("stable", "no_overflow", "no_underflow", "count"), "bmc", 20,
          "a 2 x 2 frame in and its 4 coefficients out (the last at step 17)"),
    Proof("haar_forward_padded", lambda props: HaarForwardCheck(3, 2, props=props),
          ("stable", "no_overflow", "no_underflow", "count"), "bmc", 26,
          "a 3 x 2 frame (padded to 4 x 2) in and its 8 coefficients out (the last at step 23)"),
    Proof("haar_forward_drains", lambda props: HaarForwardCheck(props=props), ("drains",),
          "bmc", 28, "a frame in by step 12, then the 16 cycles of the bound (14 fail at step "
          "23)"),
    Proof("topk", lambda props: TopKCheck(props=props), ("no_overflow", "no_underflow"),
          "bmc", 16, "two frames of 2 positions offered: the second's first beat waits for "
          "the first's outputs"),
    Proof("topk_frame", lambda props: TopKCheck(props=props), ("stable", "count", "drains"),
          "bmc", 62, "two 2-position frames in, their bitmap words out (steps 29 and 61) with "
          "their columns, the 30-cycle drain bound from a frame's last beat up to step 32"),
    Proof("topk_groups", lambda props: TopKCheck(groups=2, props=props, bound=34),
          ("stable", "no_overflow", "no_underflow", "count"), "bmc", 40,
          "a frame of 2 positions in 2 groups (the score memory's read-modify-write) in, its "
          "columns and bitmap word out (step 34), the next frame's beats held off"),
    Proof("topk_groups_drains", lambda props: TopKCheck(groups=2, props=props, bound=34),
          ("drains",), "bmc", 46, "a frame in, then the 34 cycles of the bound (32 fail at "
          "step 36)"),
    Proof("topk_reset", lambda props: TopKCheck(resets=True, props=props),
          ("stable", "no_overflow", "no_underflow", "count"), "bmc", 50,
          "a beat counted in the histogram, a reset, a whole frame's bitmap word out (a "
          "histogram left unwiped fails at step 41)"),
    Proof("systolic", lambda props: SystolicCheck(props=props),
          ("stable", "no_overflow", "no_underflow", "count"), "bmc", 22,
          "weights, 2 columns in and both results out (the last at step 19)"),
    Proof("systolic_drains", lambda props: SystolicCheck(props=props), ("drains",), "bmc",
          26, "a layer in by step 12, then the 14 cycles of the bound (10 fail)"),
    Proof("sequencer_config", lambda props: SequencerCheck("config", props=props, frames=2),
          ("error",), "bmc", 12, "two configurations taken and checked (4 cycles each), "
          "their errors visible"),
    Proof("sequencer_framing", lambda props: SequencerCheck("framing", props=props),
          ("error", "stable"), "bmc", 16, "a configuration, its first pixel and parameter "
          "beats out from step 5, a marker fault and its error 2 cycles on, beats after it"),
    Proof("output_stage", lambda props: OutputStageCheck(props=props),
          ("stable", "no_overflow", "no_underflow"), "bmc", 22,
          "17 pixels taken with the output stalled overflow the requantizer's FIFO by step "
          "21, a third bias packet is offered by step 4, the first pixel out at step 15"),
    Proof("output_stage_drains", lambda props: OutputStageCheck(props=props), ("drains",),
          "bmc", 44, "pixels taken from step 5 and in the requantizer's pipeline by step 14 "
          "(the first out at step 15), then the 30 cycles of the bound"),
    Proof("zerofill", lambda props: ZeroFillCheck(props=props),
          ("stable", "no_overflow", "no_underflow", "count"), "bmc", 16,
          "both banks' bitmaps taken and a third offered by step 3; a frame of 2 tiles of 4 "
          "positions out by step 13"),
    Proof("zerofill_drains", lambda props: ZeroFillCheck(props=props), ("drains",), "bmc", 44,
          "two frames banked by step 3, then the 40 cycles of the bound"),
    Proof("colbuf", lambda props: KeptColumnBufferCheck(props=props),
          ("stable", "no_overflow", "no_underflow", "count"), "bmc", 20,
          "a third frame offered with both banks full by step 6, 8 reads in flight by step 9, "
          "the reader on the writer's heels at step 3, a 16-read frame released at step 17"),
    Proof("colbuf_drains", lambda props: KeptColumnBufferCheck(props=props), ("drains",),
          "bmc", 48, "both banks stored by step 6, then the 39 cycles of the bound (38 fail "
          "at step 44)"),
    Proof("layer_config", lambda props: LayerCheck(props=props), ("error",), "bmc", 12,
          "two configurations through the whole layer, their errors visible"),
    Proof("layer_intake", lambda props: LayerCheck(props=props), ("no_overflow",), "bmc", 24,
          "valid configurations back to back: the fifth taken at step 17, a sixth offered "
          "and refused room until the depth"),
]
