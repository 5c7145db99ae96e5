"""An ECP5 MULT18X18D with its input and output registers, for the ``primitive="ecp5"`` builds.

Yosys infers MULT18X18D from ``*`` but leaves its registers off, so nextpnr times the 3.9 ns
multiply between fabric flip-flops; instantiated with ``REG_INPUTA/B_CLK`` and
``REG_OUTPUT_CLK`` on ``CLK0``, the multiply sits between the block's own registers. The
simulation model is ``sim/models/MULT18X18D.v`` (checked by ``sim/test_mult18x18d.py``).
"""

from __future__ import annotations

from amaranth.hdl import Cat, ClockSignal, Const, Instance, Signal

__all__ = ["LATENCY", "mult18x18d"]

LATENCY = 2  # cycles from the operands to the product


def mult18x18d(m, a, b, name: str) -> Signal:
    """Signed ``a * b`` as a 36-bit signal, ``LATENCY`` cycles after the operands.

    Parameters
    ----------
    m : amaranth.hdl.Module
        Module that receives the instance as submodule ``name``.
    a, b : Value
        Signed operands of at most 18 bits, sign-extended to 18.
    name : str
        Submodule name (and prefix of the product signal).
    """
    for arg, v in (("a", a), ("b", b)):
        if not 1 <= len(v) <= 18:
            raise ValueError(f"{arg} must be 1..18 bits wide, got {len(v)}")
    a18 = Cat(a, *([a[-1]] * (18 - len(a))))
    b18 = Cat(b, *([b[-1]] * (18 - len(b))))
    p = Signal(36, name=f"{name}_p")
    ports = {f"o_P{j}": p[j] for j in range(36)}
    for j in range(18):
        ports.update({f"i_A{j}": a18[j], f"i_B{j}": b18[j], f"i_C{j}": Const(0, 1)})
    for j in range(4):
        ports.update({f"i_CLK{j}": ClockSignal() if j == 0 else Const(0, 1),
                      f"i_CE{j}": Const(1, 1), f"i_RST{j}": Const(0, 1)})
    ports.update({"i_SIGNEDA": Const(1, 1), "i_SIGNEDB": Const(1, 1),
                  "i_SOURCEA": Const(0, 1), "i_SOURCEB": Const(0, 1)})
    m.submodules[name] = Instance(
        "MULT18X18D", p_REG_INPUTA_CLK="CLK0", p_REG_INPUTB_CLK="CLK0",
        p_REG_PIPELINE_CLK="NONE", p_REG_OUTPUT_CLK="CLK0", p_GSR="DISABLED",
        p_RESETMODE="SYNC", p_SOURCEB_MODE="B_SHIFT", p_MULT_BYPASS="DISABLED", **ports)
    return p
