"""ECP5 primitives that the blocks instantiate for Fmax: MULT18X18D, DP16KD, kept flip-flops.

Every block that offers them takes ``primitive`` in :data:`PRIMITIVES`: ``"generic"``
describes the logic behaviourally (Yosys infers what it can, on any device) and ``"ecp5"``
instantiates these cells with their own registers, which nextpnr then times register to
register. Their simulation models are in ``sim/models/`` (``MULT18X18D.v``, ``DP16KD.v``,
``TRELLIS_FF.v``), checked against these builders by ``sim/test_ecp5.py``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, ClockSignal, Const, Instance, ResetSignal, Signal

from .params import check_int

__all__ = ["MULT_LATENCY", "PRIMITIVES", "dp16kd", "kept_register", "mult18x18d"]

#: Values of every block's ``primitive`` parameter.
PRIMITIVES = ("generic", "ecp5")

#: Cycles from the operands to the product of :func:`mult18x18d`.
MULT_LATENCY = 2


def mult18x18d(m, a, b, name: str) -> Signal:
    """Signed ``a * b`` as a 36-bit signal, :data:`MULT_LATENCY` cycles after the operands.

    Yosys infers MULT18X18D from ``*`` but leaves its registers off, so nextpnr times the
    3.9 ns multiply between fabric flip-flops; instantiated with ``REG_INPUTA/B_CLK`` and
    ``REG_OUTPUT_CLK`` on ``CLK0``, the multiply sits between the block's own registers.

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


def kept_register(m, value, *, primitive: str, name: str, reset: bool = False):
    """``value`` delayed one cycle by a register that synthesis keeps as a distinct flip-flop.

    Copies of one register, each placed next to what it drives, are how the blocks keep a
    control net from spanning a wide datapath; but Yosys merges registers with the same
    input (``opt_merge``), for example the weight-read addresses of a systolic array's
    anti-diagonal. With ``primitive="ecp5"`` each bit is a ``TRELLIS_FF`` with the ``keep``
    attribute, which ``opt_merge`` leaves alone (no enable; simulate with
    ``sim/models/TRELLIS_FF.v``); ``"generic"`` is a plain register. Both start at 0.
    ``reset``: the sync domain's reset clears the register (a state copy, e.g. a FIFO
    pointer); otherwise it is not reset (a data copy).
    """
    q = Signal(value.shape(), name=name, reset_less=not reset)
    if primitive == "generic":
        m.d.sync += q.eq(value)
        return q
    lsr = ResetSignal() if reset else Const(0, 1)
    for i in range(len(q)):
        m.submodules[f"{name}_{i}"] = Instance(
            "TRELLIS_FF", p_GSR="DISABLED", p_CEMUX="1", p_CLKMUX="CLK", p_LSRMUX="LSR",
            p_SRMODE="LSR_OVER_CE", p_REGSET="RESET", a_keep=1,
            i_CLK=ClockSignal(), i_LSR=lsr, i_CE=Const(1, 1), i_DI=value[i], o_Q=q[i])
    return q


def dp16kd(m, name: str, ports: dict, width: int, regmode_a: str, wea) -> None:
    """A DP16KD block RAM as submodule ``name``: both ports on the domain's clock, always
    enabled and selected, port B reading through its output register (``REGMODE_B =
    "OUTREG"``); port A writes with ``wea``. ``ports`` holds the data and address pins
    (``i_DIA0``, ``o_DOB0``, ``i_ADA0``, ...); ``width`` is both ports' ``DATA_WIDTH``."""
    check_int("width", width, 1, 36)
    for p in "AB":
        ports.update({f"i_CLK{p}": ClockSignal(), f"i_CE{p}": Const(1, 1),
                      f"i_OCE{p}": Const(1, 1), f"i_RST{p}": Const(0, 1),
                      **{f"i_CS{p}{j}": Const(0, 1) for j in range(3)}})
    ports["i_WEA"], ports["i_WEB"] = wea, Const(0, 1)
    m.submodules[name] = Instance(
        "DP16KD", p_DATA_WIDTH_A=width, p_DATA_WIDTH_B=width, p_REGMODE_A=regmode_a,
        p_REGMODE_B="OUTREG", p_RESETMODE="SYNC", p_CSDECODE_A="0b000",
        p_CSDECODE_B="0b000", p_WRITEMODE_A="NORMAL", p_WRITEMODE_B="NORMAL",
        p_GSR="DISABLED", **ports)
