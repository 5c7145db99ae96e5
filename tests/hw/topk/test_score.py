"""Tests of :class:`hw.topk.score.ScoreAccumulator` against ``golden.topk.joint_score``."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.topk import joint_score
from hw.topk.score import ScoreAccumulator


@pytest.mark.parametrize("lanes, groups, coef_bits", [
    (1, 1, 14), (5, 1, 14), (16, 1, 14), (32, 1, 14), (3, 4, 14), (4, 2, 8), (2, 1, 24)])
def test_scores_match_golden(lanes, groups, coef_bits):
    """Random coefficients including all-most-negative columns, beats with random gaps."""
    seed = 10 * lanes + groups + coef_bits
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    n = 24
    lo = -2 ** (coef_bits - 1)
    q = rng.integers(lo, -lo, size=(lanes * groups, n))
    q[:, 0] = lo
    q[:, 1] = -lo - 1
    want = [int(s) for s in joint_score(q)]
    dut = ScoreAccumulator(lanes, groups, tag_width=8, coef_bits=coef_bits)
    assert dut.sbits == int(joint_score(np.full((lanes * groups, 1), lo))[0]).bit_length()
    got = {}

    async def drive(ctx):
        for p in range(n):
            for g in range(groups):
                while rng.random() < 0.3:
                    ctx.set(dut.i_valid, 0)
                    await ctx.tick()
                ctx.set(dut.i_valid, 1)
                ctx.set(dut.i_data, [int(v) for v in q[g * lanes:(g + 1) * lanes, p]])
                ctx.set(dut.i_first, g == 0)
                ctx.set(dut.i_end, g == groups - 1)
                ctx.set(dut.i_tag, p)
                await ctx.tick()
        ctx.set(dut.i_valid, 0)
        await ctx.tick().repeat(dut.latency + 1)

    async def watch(ctx):
        async for _, _, ov, os_, ot in ctx.tick().sample(dut.o_valid, dut.o_score, dut.o_tag):
            if ov:
                got[ot] = os_

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(drive)
    sim.add_testbench(watch, background=True)
    sim.run()
    assert [got[p] for p in range(n)] == want


def test_latency_formula():
    assert [ScoreAccumulator.latency_for(x) for x in (1, 2, 4, 16, 32)] == [3, 4, 5, 7, 8]


def test_bad_parameters():
    for kwargs, name in (({"lanes": 0}, "lanes"), ({"lanes": 2, "groups": 0}, "groups"),
                         ({"lanes": 2, "tag_width": -1}, "tag_width"),
                         ({"lanes": 2, "coef_bits": 1}, "coef_bits")):
        with pytest.raises(ValueError, match=name):
            ScoreAccumulator(**kwargs)
