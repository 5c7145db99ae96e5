"""Amaranth-simulator tests of hw/systolic_fifo.py against a Python deque."""

from __future__ import annotations

import random
from collections import deque

import pytest
from amaranth.sim import Simulator

from hw.systolic_fifo import SystolicFIFO


@pytest.mark.parametrize("depth,p_write,p_ready", [(4, 0.7, 0.5), (16, 0.5, 0.9),
                                                   (8, 0.9, 0.2)])
def test_fifo_random(depth, p_write, p_ready):
    seed = depth * 100 + int(10 * p_write)
    print(f"seed={seed}")
    rng = random.Random(seed)
    dut = SystolicFIFO(12, depth)
    ref = deque()
    popped = []

    async def bench(ctx):
        nxt = 0
        for _ in range(2000):
            # The writer's contract: never more than depth entries, counting this pop.
            w = len(ref) < depth and rng.random() < p_write
            ready = rng.random() < p_ready
            ctx.set(dut.w_en, w)
            ctx.set(dut.w_data, nxt)
            ctx.set(dut.r_ready, ready)
            valid, data = ctx.get(dut.r_valid), ctx.get(dut.r_data)
            assert valid == bool(ref), "r_valid must equal 'not empty'"
            if valid and ready:
                popped.append(data)
                assert data == ref.popleft()
            if w:
                ref.append(nxt)
                nxt = (nxt + 1) % 4096
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert len(popped) > 300


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("kw", [dict(width=0), dict(depth=3), dict(depth=1)])
def test_fifo_bad_parameters(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        SystolicFIFO(**{"width": 8, "depth": 4, **kw})
