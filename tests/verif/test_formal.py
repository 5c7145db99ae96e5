"""Formal proofs (SymbiYosys, verif/formal.py) of the stream properties of the checks in
verif/formal_*.py (the list: verif/formal_plan.py), and for each property a broken unit
(verif/formal_mutants.py) that must fail it: a property that nothing can fail would pass
unnoticed otherwise. The slow proofs and their mutants are marked ``slow`` (``make
regress``; ``make formal`` runs every proof)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verif.formal import prove
from verif.formal_checks import PROPERTIES, CreditFIFOCheck, RequantizerCheck, TwoEntryCheck
from verif.formal_colbuf import KeptColumnBufferCheck
from verif.formal_forward import FORWARD_PROPERTIES, HaarForwardCheck
from verif.formal_haar_error import HaarErrorCheck
from verif.formal_inverse import INVERSE_PROPERTIES, HaarInverseCheck
from verif.formal_layer import LayerCheck, SequencerCheck, small_layer
from verif.formal_mutants import (
    COLBUF_MUTANTS,
    FIFO_MUTANTS,
    FORWARD_MUTANTS,
    HAAR_ERROR_MUTANTS,
    INVERSE_MUTANTS,
    LAYER_MUTANTS,
    OUTPUT_MUTANTS,
    REQUANT_MUTANTS,
    SEQUENCER_MUTANTS,
    SYSTOLIC_MUTANTS,
    TOPK_MUTANTS,
    TOPK_RESET_MUTANTS,
    TWO_ENTRY_MUTANTS,
    ZEROFILL_MUTANTS,
)
from verif.formal_output import OutputStageCheck
from verif.formal_plan import PROOFS
from verif.formal_systolic import SYSTOLIC_PROPERTIES, SystolicCheck
from verif.formal_topk import TOPK_PROPERTIES, TopKCheck
from verif.formal_zerofill import ZeroFillCheck

_PLAN = {p.name: p for p in PROOFS}


def _slow(name, *values):
    """A test parameter, marked ``slow`` when the proof ``name`` is not fast."""
    return pytest.param(*values, marks=() if _PLAN[name].fast else pytest.mark.slow)


#: proof name -> (the check around a broken unit with one property, the properties mutated)
MUTANTS = {
    "credit_fifo": (lambda p: CreditFIFOCheck(props=(p,), fifo=FIFO_MUTANTS[p]), PROPERTIES),
    "two_entry_fifo": (lambda p: TwoEntryCheck(props=(p,), build=TWO_ENTRY_MUTANTS[p]),
                       PROPERTIES),
    "haar_inverse": (lambda p: HaarInverseCheck(props=(p,), unit=INVERSE_MUTANTS[p]),
                     ("stable", "no_underflow")),
    "haar_inverse_frames": (lambda p: HaarInverseCheck(props=(p,), framed=True,
                                                       unit=INVERSE_MUTANTS[p]),
                            ("stable", "no_underflow", "count")),
    "haar_inverse_overflow": (lambda p: HaarInverseCheck(props=(p,), framed=True,
                                                         unit=INVERSE_MUTANTS[p]),
                              ("no_overflow",)),
    "haar_inverse_drains": (lambda p: HaarInverseCheck(props=(p,), framed=True,
                                                       unit=INVERSE_MUTANTS[p]),
                            ("drains",)),
    "haar_inverse_error": (lambda p: HaarErrorCheck("inverse", props=(p,),
                                                    unit=HAAR_ERROR_MUTANTS["inverse", p]),
                           ("error",)),
    "haar_forward_error": (lambda p: HaarErrorCheck("forward", props=(p,),
                                                    unit=HAAR_ERROR_MUTANTS["forward", p]),
                           ("error",)),
    "requantizer": (lambda p: RequantizerCheck(props=(p,), unit=REQUANT_MUTANTS[p]),
                    ("stable", "no_overflow", "no_underflow")),
    # The drain bound needs the deeper run of its own proof.
    "requantizer_drains": (lambda p: RequantizerCheck(props=(p,), unit=REQUANT_MUTANTS[p]),
                           ("drains",)),
    "haar_forward": (lambda p: HaarForwardCheck(2, 2, props=(p,), unit=FORWARD_MUTANTS[p]),
                     ("stable", "no_overflow", "no_underflow", "count")),
    "haar_forward_padded": (lambda p: HaarForwardCheck(3, 2, props=(p,),
                                                       unit=FORWARD_MUTANTS[p]),
                            ("stable", "no_overflow", "no_underflow", "count")),
    "haar_forward_drains": (lambda p: HaarForwardCheck(props=(p,), unit=FORWARD_MUTANTS[p]),
                            ("drains",)),
    "topk": (lambda p: TopKCheck(props=(p,), unit=TOPK_MUTANTS[p]),
             ("no_overflow", "no_underflow")),
    "topk_frame": (lambda p: TopKCheck(props=(p,), unit=TOPK_MUTANTS[p]),
                   ("stable", "count", "drains")),
    "topk_groups": (lambda p: TopKCheck(groups=2, props=(p,), bound=34, unit=TOPK_MUTANTS[p]),
                    ("stable", "no_overflow", "no_underflow", "count")),
    "topk_groups_drains": (lambda p: TopKCheck(groups=2, props=(p,), bound=34,
                                               unit=TOPK_MUTANTS[p]), ("drains",)),
    "topk_reset": (lambda p: TopKCheck(resets=True, props=(p,), unit=TOPK_RESET_MUTANTS[p]),
                   ("stable", "no_overflow", "no_underflow", "count")),
    "systolic": (lambda p: SystolicCheck(props=(p,), unit=SYSTOLIC_MUTANTS[p]),
                 ("stable", "no_overflow", "no_underflow", "count")),
    "systolic_drains": (lambda p: SystolicCheck(props=(p,), unit=SYSTOLIC_MUTANTS[p]),
                        ("drains",)),
    "sequencer_config": (lambda p: SequencerCheck("config", props=(p,), frames=2,
                                                  seq=SEQUENCER_MUTANTS["config", p]),
                         ("error",)),
    "sequencer_framing": (lambda p: SequencerCheck("framing", props=(p,),
                                                   seq=SEQUENCER_MUTANTS["framing", p]),
                          ("error", "stable")),
    "output_stage": (lambda p: OutputStageCheck(props=(p,), unit=OUTPUT_MUTANTS[p]),
                     ("stable", "no_overflow", "no_underflow")),
    "output_stage_drains": (lambda p: OutputStageCheck(props=(p,), unit=OUTPUT_MUTANTS[p]),
                            ("drains",)),
    "zerofill": (lambda p: ZeroFillCheck(props=(p,), unit=ZEROFILL_MUTANTS[p]),
                 ("stable", "no_overflow", "no_underflow", "count")),
    "zerofill_drains": (lambda p: ZeroFillCheck(props=(p,), unit=ZEROFILL_MUTANTS[p]),
                        ("drains",)),
    "colbuf": (lambda p: KeptColumnBufferCheck(props=(p,), unit=COLBUF_MUTANTS[p]),
               ("stable", "no_overflow", "no_underflow", "count")),
    "colbuf_drains": (lambda p: KeptColumnBufferCheck(props=(p,), unit=COLBUF_MUTANTS[p]),
                      ("drains",)),
    "layer_config": (lambda p: LayerCheck(props=(p,), layer=LAYER_MUTANTS[p](small_layer())),
                     ("error",)),
    "layer_intake": (lambda p: LayerCheck(props=(p,), layer=LAYER_MUTANTS[p](small_layer())),
                     ("no_overflow",)),
}


@pytest.mark.parametrize("name", [_slow(n, n) for n in _PLAN])
def test_proof(name):
    p = _PLAN[name]
    result = prove(name, p.make(p.props), mode=p.mode, depth=p.depth)
    print(result.log)
    assert result.passed, result.log


@pytest.mark.parametrize("name,prop", [_slow(n, n, p) for n, (_, props) in MUTANTS.items()
                                       for p in props])
def test_mutant_fails(name, prop):
    p = _PLAN[name]
    make, _ = MUTANTS[name]
    result = prove(f"{name}_mutant_{prop}", make(prop), mode=p.mode, depth=p.depth)
    print(result.log)
    assert result.status == "FAIL", result.log


def test_every_proof_has_its_mutants():
    assert set(MUTANTS) == set(_PLAN)
    for name, (_, props) in MUTANTS.items():
        assert set(props) == set(_PLAN[name].props), name


@pytest.mark.parametrize("name,make,depth", [
    ("credit_fifo", CreditFIFOCheck, 12), ("requantizer", RequantizerCheck, 20),
    ("two_entry_fifo", TwoEntryCheck, 10), ("haar_inverse", HaarInverseCheck, 16),
    ("haar_inverse_frames", lambda: HaarInverseCheck(framed=True), 32),
    ("haar_forward_error", lambda: HaarErrorCheck("forward"), 16),
    ("haar_inverse_error", lambda: HaarErrorCheck("inverse"), 16),
    ("haar_forward", HaarForwardCheck, 26), ("systolic", SystolicCheck, 22),
    ("output_stage", OutputStageCheck, 22), ("zerofill", ZeroFillCheck, 16),
    ("colbuf", KeptColumnBufferCheck, 22), ("topk", TopKCheck, 62),
    ("topk_groups", lambda: TopKCheck(groups=2), 72),
    ("topk_reset", lambda: TopKCheck(resets=True), 40),
    ("sequencer", SequencerCheck, 12), ("layer_config", LayerCheck, 12),
    ("layer_intake", lambda: LayerCheck(props=("no_overflow",)), 20)])
def test_cover_full(name, make, depth):
    """The environment's assumptions let the unit fill up (its ``Cover``: as many beats
    inside as it holds; for the Haar units, the array, the output stage and the kept-column
    buffer: a frame's last beat out, the stage also its requantizer's FIFO full, the buffer
    both banks full and every credit in use), so the proofs above are not vacuous for want of
    traffic; for the Haar units' error checks: a clean frame, then an error; for the top-k
    selector: two frames' bitmap words taken; for the sequencer and the layer: a refused
    configuration's K code shown. Every ``Cover`` of a check must be reached."""
    result = prove(f"{name}_cover", make(), mode="cover", depth=depth)
    print(result.log)
    assert result.passed, result.log


def test_property_names():
    """Every check knows the properties it is asked for."""
    assert set(FORWARD_PROPERTIES) == {*PROPERTIES, "count"}
    assert (set(TOPK_PROPERTIES) == set(SYSTOLIC_PROPERTIES) == set(INVERSE_PROPERTIES)
            == set(FORWARD_PROPERTIES))


def test_timeout_kills_the_solver():
    """A proof past its time limit ends as ``TIMEOUT`` and leaves no solver running (the
    solver is SymbiYosys's grandchild: it would otherwise run on for as long as its depth
    takes)."""
    result = prove("timeout_check", OutputStageCheck(props=("stable",)), mode="bmc",
                   depth=200, timeout=3)
    assert result.status == "TIMEOUT", result.log
    assert not result.passed
    left = [p for p in Path("/proc").glob("[0-9]*")
            if _cwd(p).startswith(str(result.workdir.parent))]
    assert not left, left


def _cwd(proc: Path) -> str:
    try:
        return os.readlink(proc / "cwd")
    except OSError:  # gone, or not ours
        return ""
