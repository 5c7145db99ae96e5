"""Amaranth-simulator tests of hw/haar_fifo.py (LutFIFO): order, no loss, the w_rdy3 margin."""

from __future__ import annotations

import random

import pytest
from amaranth.sim import Simulator

from hw.haar_fifo import LutFIFO


@pytest.mark.parametrize("depth,memory,read_p", [
    (3, "lut", 0.5), (4, "lut", 0.3), (5, "lut", 0.9), (16, "lut", 0.4), (72, "lut", 0.2),
    (72, "lut", 1.0), (6, "memory", 0.5), (40, "memory", 0.3),
])
def test_fifo_writer_on_w_rdy3(depth, memory, read_p):
    """The Haar arbiter's writer: a word is taken into a register while ``w_rdy3`` was high a
    cycle before and written in the next cycle unchecked, in bursts; the reader announces
    random reads a cycle ahead (``r_next``). Every word leaves once and in order (a FIFO
    that claimed room it lacks would overwrite or drop words), and ``w_rdy3`` implies
    ``w_rdy`` in every cycle."""
    seed = depth * 10 + int(read_p * 10) + (memory == "memory")
    print(f"seed={seed}")
    rng = random.Random(seed)
    dut = LutFIFO(width=12, depth=depth, memory=memory)
    n, got = 400, []

    async def bench(ctx):
        sent, free, pending = 0, 0, None
        while len(got) < n:
            # The registered write of the word taken in the previous cycle.
            ctx.set(dut.w_en, pending is not None)
            ctx.set(dut.w_data, pending or 0)
            burst = (sent // 40) % 2 == 0  # bursts at full rate, then random gaps
            take = free and sent < n and (burst or rng.random() < 0.5)
            pending = sent if take else None
            sent += bool(take)
            r_next = rng.random() < read_p
            ctx.set(dut.r_next, r_next)
            *_, rdy3, w_rdy, r_rdy, data = await ctx.tick().sample(
                dut.w_rdy3, dut.w_rdy, dut.r_rdy, dut.r_data)
            assert w_rdy or not rdy3, "w_rdy3 high while the RAM is full"
            free = rdy3
            # A read announced in the previous cycle happens now, if a word is there.
            if read_now[0] and r_rdy:
                got.append(data)
            read_now[0] = r_next

    read_now = [False]
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got == list(range(n))
