"""``hw.lib.ecp5.mult18x18d``: operand checks and the registers it turns on.

Its arithmetic is simulated through the ECP5 builds of the top-k selector and the systolic
array (``sim/test_topk.py``, ``sim/test_systolic.py``) on ``sim/models/MULT18X18D.v``.
"""

from __future__ import annotations

import pytest
from amaranth.back import rtlil
from amaranth.hdl import Module, Signal, signed

from hw.lib.ecp5 import mult18x18d


def test_operand_width_is_checked():
    m = Module()
    with pytest.raises(ValueError, match="a must be 1..18 bits wide, got 19"):
        mult18x18d(m, Signal(signed(19)), Signal(signed(8)), "mult")


def test_instance_registers_inputs_and_output():
    m = Module()
    p = mult18x18d(m, Signal(signed(8)), Signal(signed(18)), "mult")
    out = Signal(36)
    m.d.sync += out.eq(p)
    text = rtlil.convert(m, ports=[out])
    for param in ("REG_INPUTA_CLK", "REG_INPUTB_CLK", "REG_OUTPUT_CLK"):
        assert f'parameter \\{param} "CLK0"' in text
    assert 'parameter \\REG_PIPELINE_CLK "NONE"' in text
