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


def test_credit_fifo_proof():
    _proof("credit_fifo")


@pytest.mark.parametrize("prop", PROPERTIES)
def test_credit_fifo_mutant_fails(prop):
    _, _, mode, depth = _PLAN["credit_fifo"]
    result = prove(f"credit_fifo_mutant_{prop}",
                   CreditFIFOCheck(props=(prop,), fifo=FIFO_MUTANTS[prop]), mode=mode,
                   depth=depth)
    print(result.log)
    assert result.status == "FAIL", result.log


def test_two_entry_fifo_proof():
    _proof("two_entry_fifo")


@pytest.mark.parametrize("prop", PROPERTIES)
def test_two_entry_fifo_mutant_fails(prop):
    _, _, mode, depth = _PLAN["two_entry_fifo"]
    result = prove(f"two_entry_fifo_mutant_{prop}",
                   TwoEntryCheck(props=(prop,), build=TWO_ENTRY_MUTANTS[prop]), mode=mode,
                   depth=depth)
    print(result.log)
    assert result.status == "FAIL", result.log


def test_haar_inverse_proof():
    _proof("haar_inverse")


@pytest.mark.parametrize("prop", ["stable", "no_underflow"])
def test_haar_inverse_mutant_fails(prop):
    _, _, mode, depth = _PLAN["haar_inverse"]
    result = prove(f"haar_inverse_mutant_{prop}",
                   HaarInverseCheck(props=(prop,), unit=INVERSE_MUTANTS[prop]), mode=mode,
                   depth=depth)
    print(result.log)
    assert result.status == "FAIL", result.log


def test_requantizer_proof():
    _proof("requantizer")


@pytest.mark.parametrize("prop", ["stable", "no_overflow", "no_underflow"])
def test_requantizer_mutant_fails(prop):
    _, _, mode, depth = _PLAN["requantizer"]
    result = prove(f"requantizer_mutant_{prop}",
                   RequantizerCheck(props=(prop,), unit=REQUANT_MUTANTS[prop]), mode=mode,
                   depth=depth)
    print(result.log)
    assert result.status == "FAIL", result.log


def test_requantizer_drains_proof():
    _proof("requantizer_drains")


def test_requantizer_drains_mutant_fails():
    _, _, mode, depth = _PLAN["requantizer_drains"]
    result = prove("requantizer_mutant_drains",
                   RequantizerCheck(props=("drains",), unit=REQUANT_MUTANTS["drains"]),
                   mode=mode, depth=depth)
    assert result.status == "FAIL", result.log


@pytest.mark.parametrize("check,depth", [(CreditFIFOCheck, 12), (RequantizerCheck, 20),
                                         (TwoEntryCheck, 10), (HaarInverseCheck, 16)])
def test_cover_full(check, depth):
    """The environment's assumptions let the unit fill up (its ``Cover``: as many beats
    inside as it holds; for the inverse Haar unit: a pixel out), so the proofs above are
    not vacuous for want of traffic."""
    result = prove(f"{check.__name__}_cover", check(), mode="cover", depth=depth)
    print(result.log)
    assert result.passed, result.log
