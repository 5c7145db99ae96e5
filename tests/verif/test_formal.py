"""Formal proofs (SymbiYosys, verif/formal.py) of the stream properties of the checks in
verif/formal_*.py (the list: verif/formal_plan.py), and for each property a broken unit
(verif/formal_mutants.py) that must fail it: a property that nothing can fail would pass
unnoticed otherwise. The slow proofs and their mutants are marked ``slow`` (``make
regress``; ``make formal`` runs every proof)."""

from __future__ import annotations

import pytest

from verif.formal import prove
from verif.formal_checks import (
    PROPERTIES,
    CreditFIFOCheck,
    HaarInverseCheck,
    RequantizerCheck,
    TwoEntryCheck,
)
from verif.formal_forward import FORWARD_PROPERTIES, HaarForwardCheck
from verif.formal_layer import LayerCheck, SequencerCheck, small_layer
from verif.formal_mutants import (
    FIFO_MUTANTS,
    FORWARD_MUTANTS,
    INVERSE_MUTANTS,
    LAYER_MUTANTS,
    OUTPUT_MUTANTS,
    REQUANT_MUTANTS,
    SEQUENCER_MUTANTS,
    SYSTOLIC_MUTANTS,
    TOPK_MUTANTS,
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
    "zerofill": (lambda p: ZeroFillCheck(props=(p,), unit=ZEROFILL_MUTANTS[p]),
                 ("stable", "no_overflow", "no_underflow", "count")),
    "zerofill_drains": (lambda p: ZeroFillCheck(props=(p,), unit=ZEROFILL_MUTANTS[p]),
                        ("drains",)),
    "layer_config": (lambda p: LayerCheck(props=(p,), layer=LAYER_MUTANTS[p](small_layer())),
                     ("error",)),
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


@pytest.mark.parametrize("check,depth", [(CreditFIFOCheck, 12), (RequantizerCheck, 20),
                                         (TwoEntryCheck, 10), (HaarInverseCheck, 16),
                                         (HaarForwardCheck, 26), (SystolicCheck, 22),
                                         (OutputStageCheck, 22), (ZeroFillCheck, 16),
                                         (LayerCheck, 12)])
def test_cover_full(check, depth):
    """The environment's assumptions let the unit fill up (its ``Cover``: as many beats
    inside as it holds; for the Haar units, the array and the output stage: a frame's last
    beat out, the stage also its requantizer's FIFO full), so the proofs above are not
    vacuous for want of traffic; for the layer: a refused configuration's K code shown."""
    result = prove(f"{check.__name__}_cover", check(), mode="cover", depth=depth)
    print(result.log)
    assert result.passed, result.log


@pytest.mark.slow
@pytest.mark.parametrize("check,depth", [(TopKCheck, 34), (SequencerCheck, 12)])
def test_cover_slow(check, depth):
    """The same for the top-k selector (a frame's bitmap word taken) and the sequencer (a
    refused configuration's K code shown)."""
    result = prove(f"{check.__name__}_cover", check(), mode="cover", depth=depth)
    print(result.log)
    assert result.passed, result.log


def test_property_names():
    """Every check knows the properties it is asked for."""
    assert set(FORWARD_PROPERTIES) == {*PROPERTIES, "count"}
    assert set(TOPK_PROPERTIES) == set(SYSTOLIC_PROPERTIES) == set(FORWARD_PROPERTIES)
