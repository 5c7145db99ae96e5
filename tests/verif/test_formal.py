"""Formal proofs (SymbiYosys, verif/formal.py) of the stream properties of
verif/formal_checks.py, and for each property a broken unit (verif/formal_mutants.py) that
must fail it: a property that nothing can fail would pass unnoticed otherwise."""

from __future__ import annotations

import pytest

from verif.formal import prove
from verif.formal_checks import (
    PROOFS,
    PROPERTIES,
    CreditFIFOCheck,
    HaarInverseCheck,
    RequantizerCheck,
    TwoEntryCheck,
)
from verif.formal_mutants import (
    FIFO_MUTANTS,
    INVERSE_MUTANTS,
    REQUANT_MUTANTS,
    TWO_ENTRY_MUTANTS,
)

_PLAN = {name: (make, props, mode, depth) for name, make, props, mode, depth, _ in PROOFS}


def _proof(name):
    make, props, mode, depth = _PLAN[name]
    result = prove(name, make(props), mode=mode, depth=depth)
    print(result.log)
    assert result.passed, result.log
    return result


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
}


@pytest.mark.parametrize("name", list(_PLAN))
def test_proof(name):
    _proof(name)


@pytest.mark.parametrize("name,prop", [(n, p) for n, (_, props) in MUTANTS.items()
                                       for p in props])
def test_mutant_fails(name, prop):
    _, _, mode, depth = _PLAN[name]
    make, _ = MUTANTS[name]
    result = prove(f"{name}_mutant_{prop}", make(prop), mode=mode, depth=depth)
    print(result.log)
    assert result.status == "FAIL", result.log


def test_every_proof_has_its_mutants():
    assert set(MUTANTS) == set(_PLAN)


@pytest.mark.parametrize("check,depth", [(CreditFIFOCheck, 12), (RequantizerCheck, 20),
                                         (TwoEntryCheck, 10), (HaarInverseCheck, 16)])
def test_cover_full(check, depth):
    """The environment's assumptions let the unit fill up (its ``Cover``: as many beats
    inside as it holds; for the inverse Haar unit: a pixel out), so the proofs above are
    not vacuous for want of traffic."""
    result = prove(f"{check.__name__}_cover", check(), mode="cover", depth=depth)
    print(result.log)
    assert result.passed, result.log
