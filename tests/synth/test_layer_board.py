"""The ULX3S layer build's constants: its PLL settings, clock, baud and layer configuration."""

import pytest

from synth import designs
from synth.layer_board import BAUD, CLOCK_HZ, LAYER, PLL, divisor


@pytest.mark.parametrize("fin, fout", [(fin, fout) for fin, outs in PLL.items() for fout in outs])
def test_pll_settings_make_their_clock_within_the_ecp5_ranges(fin, fout):
    # EHXPLLL with feedback from CLKOP: fout = fin / CLKI_DIV * CLKFB_DIV, VCO = fout * CLKOP_DIV
    # (ECP5 family data sheet: PFD >= 3.125 MHz, VCO 400..800 MHz).
    p = PLL[fin][fout]
    pfd = fin / p["CLKI_DIV"]
    assert pfd * p["CLKFB_DIV"] == fout
    assert pfd >= 3.125e6
    assert 400e6 <= fout * p["CLKOP_DIV"] <= 800e6
    assert p["CLKOP_CPHASE"] == p["CLKOP_DIV"] // 2


def test_the_clock_divides_the_baud_rate_and_has_a_pll_setting():
    assert CLOCK_HZ in PLL[25_000_000]
    assert divisor() * BAUD == CLOCK_HZ
    with pytest.raises(ValueError, match="multiple of the baud rate"):
        divisor(62_500_000, BAUD)


def test_the_board_builds_the_reports_ecp5_layer():
    # One layer configuration on the ECP5-85F: the report's record and the bitstream's build.
    layer = next(d for d in designs.DESIGNS if d.module == "layer")
    ecp5 = [c for c in layer.configs if "ecp5-85f" in c.devices]
    assert [c.params for c in ecp5] == [LAYER]
    assert ecp5[0].flow == designs.ECP5_LAYER_FLOW
