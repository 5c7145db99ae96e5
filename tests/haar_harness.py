"""Amaranth-simulator harness of the forward Haar unit, shared by tests/test_haar.py and
tests/test_ihaar.py (a helper module, so no test module imports another)."""

from __future__ import annotations

import random

from amaranth.sim import Simulator
from amaranth_streams import stream_get, stream_put

from golden.haar import pad_to

__all__ = ["pixel_beats", "run_forward"]


def pixel_beats(x):
    """(C, H, W) int map -> raster-order input beats with frame markers."""
    c, h, w = x.shape
    beats = []
    for r in range(h):
        for q in range(w):
            beats.append({"data": [int(v) for v in x[:, r, q]], "first": int(r == 0 and q == 0),
                          "last": int(r == h - 1 and q == w - 1)})
    return beats


def run_forward(dut, frames, *, stall=0.0, backpressure=0.0, seed=0, pre=None):
    """Send ``frames`` ((C, H, W) arrays) through ``dut``.

    Returns (beats, cycles): cycles = [cycle of the last input accepted, of the last output].
    """
    n_out = sum(pad_to(x, dut.levels)[0].size for x in frames)
    out, now, cycles = [], [0], [0, 0]

    async def producer(ctx):
        rng = random.Random(seed)
        if pre:
            await stream_put(ctx, dut.i, pre)
        for x in frames:
            ctx.set(dut.width, x.shape[2])
            ctx.set(dut.height, x.shape[1])
            await stream_put(ctx, dut.i, pixel_beats(x), stall=stall, rng=rng)
        cycles[0] = now[0]

    async def consumer(ctx):
        got = await stream_get(ctx, dut.o, n_out, backpressure=backpressure,
                               rng=random.Random(seed + 1), timeout=40 * n_out + 2000)
        out.extend(got)
        cycles[1] = now[0]

    async def clock(ctx):
        while True:
            await ctx.tick()
            now[0] += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.add_testbench(clock, background=True)
    sim.run()
    return out, cycles
