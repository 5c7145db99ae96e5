"""Tests of :class:`hw.topk.hist.CodeHistogram`: threshold against ``golden.topk.threshold_of``."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.topk import threshold_of
from hw.topk.hist import CodeHistogram


def run_frames(dut, frames):
    """frames = [(codes, [k, ...]), ...]: count the codes, then one scan per k."""
    out = []

    async def bench(ctx):
        for codes, ks in frames:
            res = []
            for i, k in enumerate(ks):
                if i:  # the scan cleared the histogram: count the frame again
                    pass
                for c in codes:
                    ctx.set(dut.inc_valid, 1)
                    ctx.set(dut.inc_code, int(c))
                    await ctx.tick()
                ctx.set(dut.inc_valid, 0)
                await ctx.tick().repeat(dut.settle - 1)
                ctx.set(dut.k, k)
                ctx.set(dut.scan_start, 1)
                await ctx.tick()
                ctx.set(dut.scan_start, 0)
                cycles = 1
                while not ctx.get(dut.scan_done):
                    await ctx.tick()
                    cycles += 1
                res.append((ctx.get(dut.t), ctx.get(dut.above), cycles))
                assert ctx.get(dut.need) == k - ctx.get(dut.above)
            out.append(res)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return out


@pytest.mark.parametrize("bins_per_word", [1, 4, 8])
def test_threshold_matches_golden(bins_per_word):
    """Random codes with runs of equal codes (back-to-back increments of one word)."""
    seed = 20 + bins_per_word
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    nbins = 100
    dut = CodeHistogram(nbins, count_width=7, bins_per_word=bins_per_word)
    n = 60
    codes = np.repeat(rng.integers(0, nbins, n // 3), 3)
    rng.shuffle(codes[:30])
    ties = np.array([7] * 30 + [99] * 30)
    frames = [(codes, [0, 1, 7, 15, 30, 59, 60]), (ties, [1, 30, 31, 60]),
              (np.zeros(64, dtype=int), [0, 5, 64])]
    for (codes_f, ks), res in zip(frames, run_frames(dut, frames), strict=True):
        for k, (t, above, cycles) in zip(ks, res, strict=True):
            gt, need = threshold_of(codes_f, k)
            assert cycles == dut.scan_cycles
            if k == 0:
                assert above == 0  # nothing kept: any t is fine with need = 0
                continue
            assert (t, k - above) == (gt, need), k


def test_bad_parameters():
    for kwargs, name in (({"nbins": 1}, "nbins"), ({"count_width": 0}, "count_width"),
                         ({"bins_per_word": 3}, "bins_per_word")):
        args = {"nbins": 16, "count_width": 8, "bins_per_word": 4} | kwargs
        with pytest.raises(ValueError, match=name):
            CodeHistogram(**args)
