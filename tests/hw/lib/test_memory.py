"""Tests of :class:`hw.lib.memory.BankedMemory`: a plain memory with a two-cycle read."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.sim import Simulator

from hw.lib.memory import BankedMemory, bank_bits_for


@pytest.mark.parametrize("width, depth, wide", [(20, 64, False), (9, 3000, False),
                                               (128, 4096, False), (5, 9000, False),
                                               (80, 128, True), (40, 1024, True)])
def test_write_then_read_two_cycles(width, depth, wide):
    """Random writes, then reads interleaved with writes elsewhere: data two cycles later."""
    seed = width + depth
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = BankedMemory(width, depth, wide=wide)
    bits = 36 if wide and depth <= 512 else bank_bits_for(depth)
    assert dut.banks * dut.bank_bits >= width and dut.bank_bits == min(bits, width)
    addrs = rng.choice(depth, size=40, replace=False)
    vals = [int(v) for v in rng.integers(0, 2**min(width, 62), size=40)]
    got = []

    async def bench(ctx):
        for a, v in zip(addrs, vals, strict=True):
            ctx.set(dut.wr.addr, int(a))
            ctx.set(dut.wr.data, v)
            ctx.set(dut.wr.en, 1)
            await ctx.tick()
        ctx.set(dut.wr.en, 0)
        # Address set in cycle i, data seen in cycle i + 2, i.e. just after the second edge.
        for i, a in enumerate(list(addrs) + [0]):
            ctx.set(dut.rd.addr, int(a))
            await ctx.tick()
            if i >= 1:
                got.append(ctx.get(dut.rd.data))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got == vals


def test_bank_bits():
    assert [bank_bits_for(d) for d in (512, 1024, 2048, 4096, 8192, 16384, 32768)] == [
        16, 16, 8, 4, 2, 1, 1]


def test_ecp5_instances():
    """One DP16KD per bank, output register on."""
    text = rtlil.convert(BankedMemory(16, 4096, primitive="ecp5"))
    assert text.count("cell \\DP16KD") == 4
    assert "OUTREG" in text


def test_ecp5_wide_instances():
    """``wide``: x36 banks up to 512 words (a 354-bit word in 10 DP16KD instead of 23), none
    deeper."""
    text = rtlil.convert(BankedMemory(354, 128, primitive="ecp5", wide=True))
    assert text.count("cell \\DP16KD") == 10 == -(-354 // 36)
    assert text.count("DATA_WIDTH_A 36") == 10
    deep = rtlil.convert(BankedMemory(354, 1024, primitive="ecp5", wide=True))
    assert deep.count("cell \\DP16KD") == 23 and "DATA_WIDTH_A 36" not in deep


@pytest.mark.parametrize("args, name", [((0, 16), "width"), ((8, 1), "depth"),
                                        ((8, 32768, "ecp5"), "depth"),
                                        ((8, 16, "bram"), "primitive")])
def test_bad_parameters(args, name):
    with pytest.raises(ValueError, match=name):
        BankedMemory(*args)
