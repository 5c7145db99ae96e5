"""Fast checks of the Yosys/nextpnr flow (``synth/flow.py``) on an 8-bit registered adder.

One seed per device; the YoWASP tools take a few seconds each once their WebAssembly is
cached (the very first call compiles it, about a minute).
"""

import gc

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from synth import designs
from synth.flow import flow_settings, overflow, router_args, synthesize, yosys_cells
from synth.wrapper import split_ports

KEYS = {"module", "device", "luts", "ffs", "carries", "dsps", "brams", "sprams",
        "fmax_mhz_median", "fmax_mhz_worst", "fmax_mhz_all", "yosys_stat"}


class RegAdder(wiring.Component):
    """``s <= a + b`` (8-bit operands, 9-bit registered sum); latency 1 cycle.

    Members
    -------
    a, b : In(8)
    s : Out(9)
    """

    a: In(8)
    b: In(8)
    s: Out(9)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.s.eq(self.a + self.b)
        return m


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_split_ports():
    inputs, outputs = split_ports(RegAdder())
    assert [(n, len(v)) for n, v in inputs] == [("a", 8), ("b", 8)]
    assert [(n, len(v)) for n, v in outputs] == [("s", 9)]
    gc.collect()  # the adder is only inspected, never elaborated: it warns when collected


def test_yosys_cells_word_level():
    cells = yosys_cells(RegAdder(), "test_reg_adder")
    # The synchronous reset is merged into the flip-flop ($sdff).
    assert cells == {"$add": 1, "$sdff": 1}


def test_ecp5_reg_adder():
    r = synthesize(RegAdder(), name="test_reg_adder", device="ecp5-85f", seeds=(1,))
    assert KEYS <= set(r)
    # 9 result bits: 9 flip-flops, 5 CCU2C (2 bits each), no LUTs outside the carry chain;
    # the wrapper's 16 + 18 flip-flops are not counted.
    assert r["ffs"] == 9
    assert 4 <= r["carries"] <= 5
    assert r["luts"] <= 4
    assert r["dsps"] == r["brams"] == r["sprams"] == 0
    assert len(r["fmax_mhz_all"]) == 1
    # Speed grade 6: an 8-bit carry chain runs at a few hundred MHz.
    assert 150 < r["fmax_mhz_worst"] == r["fmax_mhz_median"] < 600


def test_ice40_reg_adder():
    r = synthesize(RegAdder(), name="test_reg_adder", device="ice40-up5k", seeds=(1,))
    assert r["ffs"] == 9
    assert 7 <= r["carries"] <= 9
    assert 7 <= r["luts"] <= 12
    assert r["yosys_stat"].get("SB_MAC16", 0) == 0
    assert 40 < r["fmax_mhz_median"] < 250


class LutRamDelay(wiring.Component):
    """A 16-word memory forced to LUT RAM (``ram_style``), as the Haar units' banks are.

    Members
    -------
    a : In(4)
    d : In(8)
    q : Out(8)
    """

    a: In(4)
    d: In(8)
    q: Out(8)

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=8, depth=16, init=[],
                                        attrs={"ram_style": "distributed"})
        wr, rd = mem.write_port(), mem.read_port()
        m.d.comb += [wr.en.eq(1), wr.addr.eq(self.a), wr.data.eq(self.d),
                     rd.addr.eq(self.a + 1), self.q.eq(rd.data)]
        return m


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_ice40_lut_ram_memory_maps():
    # iCE40 has no LUT RAM: the flow drops ram_style there (Yosys would find no mapping),
    # while ECP5 keeps it (TRELLIS_DPR16X4, not block RAM).
    r = synthesize(LutRamDelay(), name="test_lutram_ice40", device="ice40-up5k", seeds=(1,))
    assert r["brams"] + r["ffs"] > 0
    r = synthesize(LutRamDelay(), name="test_lutram_ecp5", device="ecp5-85f", seeds=(1,))
    assert r["lutrams"] > 0 and r["brams"] == 0


def test_every_seed_timed_out():
    # nextpnr is stopped at once; with no seed left there is no Fmax to report.
    with pytest.raises(RuntimeError, match="timed out"):
        synthesize(RegAdder(), name="test_reg_adder_timeout", device="ice40-up5k",
                   seeds=(1, 2), timeout_s=0.01)


def test_every_seed_timed_out_kept():
    # make synth's way: the counts are kept, the Fmax figures are None, the seed is named.
    r = synthesize(RegAdder(), name="test_reg_adder_timeout", device="ice40-up5k",
                   seeds=(1,), timeout_s=0.01, need_fmax=False)
    assert r["seeds_timed_out"] == [1] and r["fmax_mhz_all"] == []
    assert r["fmax_mhz_median"] is None and r["ffs"] > 0 and len(r["design_hash"]) == 64


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_bad_device():
    with pytest.raises(ValueError, match="device"):
        synthesize(RegAdder(), name="test_reg_adder", device="xc7a35t")
    gc.collect()  # the never-elaborated adder warns when collected: do it under the filter


def test_registry_names_unique():
    names = [d.module for d in designs.DESIGNS]
    assert len(names) == len(set(names))
    run_names = [designs.run_name(d, c) for d in designs.DESIGNS for c in d.configs]
    assert len(run_names) == len(set(run_names))


def test_overflow_names_each_resource_past_the_device():
    counts = {"luts": 6000, "ffs": 5280, "dsps": 9, "brams": 30, "sprams": 0}
    assert overflow("ice40-up5k", counts) == {"luts": (6000, 5280), "dsps": (9, 8)}
    assert overflow("ecp5-85f", counts) == {}


def test_a_fit_check_is_its_own_flow():
    # A Yosys-only record must not pass for a placed one, nor the other way round.
    placed = flow_settings("ice40-up5k")
    assert flow_settings("ice40-up5k", place=False) == {**placed, "place": False}
    assert "place" not in placed


def test_router_is_part_of_the_flow():
    # router1 is nextpnr's default: choosing it leaves every earlier record's flow as it was;
    # router2 must not pass for router1 (nor the other way round).
    default = flow_settings("ecp5-85f")
    assert flow_settings("ecp5-85f", router="router1") == default and "router" not in default
    r2 = flow_settings("ecp5-85f", router="router2")
    assert r2["router"] == "router2" and r2["script_sha256"] != default["script_sha256"]
    assert router_args("router1") == [] and router_args("router2") == ["--router", "router2"]
    with pytest.raises(ValueError, match="router must be one of"):
        flow_settings("ecp5-85f", router="router3")


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_bad_router_fails_before_yosys():
    with pytest.raises(ValueError, match="router"):
        synthesize(RegAdder(), name="test_reg_adder", device="ecp5-85f", router="fast")
    gc.collect()

