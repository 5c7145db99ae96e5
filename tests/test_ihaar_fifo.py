"""Amaranth-simulator tests of hw/ihaar_fifo.py (CreditFIFO): credits, order, no overflow."""

from __future__ import annotations

import random

import pytest
from amaranth.sim import Simulator

from hw.ihaar_fifo import CreditFIFO


@pytest.mark.parametrize("delay,ready_p", [(1, 1.0), (7, 1.0), (7, 0.3), (14, 0.6)])
def test_credit_fifo(delay, ready_p):
    """A pipeline of ``delay`` cycles fed whenever ``credit`` (random gaps), drained with
    random ``r_ready``: every word leaves once, in order; full rate when always ready."""
    seed = 100 * delay + int(10 * ready_p)
    print(f"seed={seed}")
    rng = random.Random(seed)
    dut = CreditFIFO(16)
    n, got, cycles = 300, [], [0]

    async def bench(ctx):
        pipe = [None] * delay
        sent = 0
        while len(got) < n:
            take = sent < n and ctx.get(dut.credit) and rng.random() < 0.9
            ctx.set(dut.take, take)
            word = pipe.pop(0)
            pipe.append(sent if take else None)
            sent += bool(take)
            ctx.set(dut.w_en, word is not None)
            ctx.set(dut.w_data, word or 0)
            ctx.set(dut.r_ready, rng.random() < ready_p)
            *_, valid, ready, data = await ctx.tick().sample(dut.r_valid, dut.r_ready,
                                                            dut.r_data)
            if valid and ready:
                got.append(data)
            cycles[0] += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got == list(range(n))
    if ready_p == 1.0 and delay + 2 <= 16:
        assert cycles[0] < n / 0.9 + 60, cycles[0]
