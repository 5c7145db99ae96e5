"""Amaranth-simulator helpers for ``lib.stream`` ports: put and get beats with stalls.

Used by the fast tests in ``tests/``; the cocotb equivalents live in ``verif/cocotb_streams.py``.
"""

from __future__ import annotations

import random

from amaranth.sim import Simulator


async def stream_put(ctx, stream, beats, *, stall: float = 0.0, rng=None) -> None:
    """Send ``beats`` (payload values) into ``stream``; valid is withheld with ``stall``."""
    rng = rng or random.Random(0)
    for beat in beats:
        while stall and rng.random() < stall:
            ctx.set(stream.valid, 0)
            await ctx.tick()
        ctx.set(stream.payload, beat)
        ctx.set(stream.valid, 1)
        await ctx.tick().until(stream.ready)
    ctx.set(stream.valid, 0)


async def stream_get(ctx, stream, count: int, *, backpressure: float = 0.0, rng=None,
                     timeout: int = 1_000_000) -> list:
    """Receive ``count`` payloads from ``stream``; ready is low with ``backpressure``."""
    rng = rng or random.Random(1)
    got = []
    for _ in range(timeout):
        if len(got) >= count:
            break
        ready = 0 if (backpressure and rng.random() < backpressure) else 1
        ctx.set(stream.ready, ready)
        _, _, valid, payload = await ctx.tick().sample(stream.valid, stream.payload)
        if valid and ready:
            got.append(payload)
    else:
        raise AssertionError(f"timeout: {len(got)} of {count} beats in {timeout} cycles")
    ctx.set(stream.ready, 0)
    return got


def run_counted(dut, testbenches, now: list) -> None:
    """Simulate ``dut`` (10 ns clock) with ``testbenches`` until they return, counting clock
    cycles in ``now[0]`` so that a testbench can record when something happened."""

    async def clock(ctx):
        while True:
            await ctx.tick()
            now[0] += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    for tb in testbenches:
        sim.add_testbench(tb)
    sim.add_testbench(clock, background=True)
    sim.run()
