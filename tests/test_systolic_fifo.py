"""Amaranth-simulator tests of hw/systolic_fifo.py against a Python deque."""

from __future__ import annotations

import random
from collections import deque

import pytest
from amaranth.sim import Simulator

from hw.systolic_fifo import SystolicFIFO


@pytest.mark.parametrize("depth,slice_width,p_write,p_ready", [
    (4, 32, 0.7, 0.5), (16, 5, 0.5, 0.9), (8, 12, 0.9, 0.2), (32, 5, 0.8, 0.7),
    (64, 7, 0.6, 0.6)])
def test_fifo_random(depth, slice_width, p_write, p_ready):
    seed = depth * 100 + int(10 * p_write)
    print(f"seed={seed}")
    rng = random.Random(seed)
    dut = SystolicFIFO(12, depth, slice_width=slice_width)
    ref = deque()
    popped = []

    async def bench(ctx):
        nxt, announced = 0, None
        for _ in range(3000):
            # The writer's contract: never more than depth entries, counting the announced
            # one and ignoring this cycle's pop.
            w = len(ref) + (announced is not None) < depth and rng.random() < p_write
            ready = rng.random() < p_ready
            ctx.set(dut.w_next, w)
            ctx.set(dut.w_data, announced if announced is not None else rng.randrange(4096))
            ctx.set(dut.r_ready, ready)
            valid, data = ctx.get(dut.r_valid), ctx.get(dut.r_data)
            assert valid == bool(ref), "r_valid must equal 'not empty'"
            if valid and ready:
                popped.append(data)
                assert data == ref.popleft()
            if announced is not None:
                ref.append(announced)
            announced = None
            if w:
                announced, nxt = nxt, (nxt + 1) % 4096
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    # Every entry came out once and in order (the data above are a counter).
    assert popped == list(range(len(popped)))
    assert len(popped) > 500


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("kw", [dict(width=0), dict(depth=3), dict(depth=1),
                                dict(slice_width=0), dict(primitive="xilinx")])
def test_fifo_bad_parameters(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        SystolicFIFO(**{"width": 8, "depth": 4, **kw})
