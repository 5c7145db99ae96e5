"""Amaranth-simulator harness of the Haar units: frames in, beats and cycle counts out."""

from __future__ import annotations

import random

from amaranth.sim import Simulator

from golden.haar import pad_to

from .amaranth_streams import run_counted, stream_get, stream_put
from .stimulus import coef_beats, pixel_beats

__all__ = ["full_rate_cycles", "run_forward", "run_inverse"]


def _run(dut, frames, n_out, *, stall, backpressure, seed, pre=None):
    """Drive ``frames`` ((beats, h, w) each) into ``dut.i`` while draining ``n_out`` beats.

    Returns (beats, [cycle of the last input accepted, cycle of the last output]).
    """
    out, now, cycles = [], [0], [0, 0]

    async def producer(ctx):
        rng = random.Random(seed)
        if pre:
            await stream_put(ctx, dut.i, pre)
        for beats, h, w in frames:
            ctx.set(dut.width, w)
            ctx.set(dut.height, h)
            await stream_put(ctx, dut.i, beats, stall=stall, rng=rng)
        cycles[0] = now[0]

    async def consumer(ctx):
        got = await stream_get(ctx, dut.o, n_out, backpressure=backpressure,
                               rng=random.Random(seed + 1), timeout=40 * n_out + 2000)
        out.extend(got)
        cycles[1] = now[0]

    run_counted(dut, (producer, consumer), now)
    return out, cycles


def run_forward(dut, frames, *, stall=0.0, backpressure=0.0, seed=0, pre=None):
    """Send ``frames`` ((C, H, W) arrays) through the forward unit ``dut``.

    Returns (beats, cycles): cycles = [cycle of the last input accepted, of the last output].
    """
    n_out = sum(pad_to(x, dut.params.levels)[0].size for x in frames)
    return _run(dut, [(pixel_beats(x), x.shape[1], x.shape[2]) for x in frames], n_out,
                stall=stall, backpressure=backpressure, seed=seed, pre=pre)


def run_inverse(dut, frames, *, stall=0.0, backpressure=0.0, seed=0):
    """``frames``: list of (z (C, N), h, w). Returns the output beats and the end cycle."""
    n_out = sum(z.shape[1] for z, _, _ in frames)
    out, cycles = _run(dut, [(coef_beats(z), h, w) for z, h, w in frames], n_out,
                       stall=stall, backpressure=backpressure, seed=seed)
    return out, cycles[1]


def full_rate_cycles(dut, beats, n_out, *, width, height):
    """Feed ``beats`` at full rate into a ``width`` x ``height`` frame, output always ready:
    the cycles of every accepted input beat and of the first ``n_out`` output beats."""
    t_in, t_out = [], []

    async def bench(ctx):
        ctx.set(dut.width, width)
        ctx.set(dut.height, height)
        ctx.set(dut.o.ready, 1)
        k, cycle = 0, 0
        while len(t_out) < n_out:
            ctx.set(dut.i.valid, k < len(beats))
            if k < len(beats):
                ctx.set(dut.i.payload, beats[k])
            *_, i_ok, o_ok = await ctx.tick().sample(dut.i.valid & dut.i.ready,
                                                    dut.o.valid & dut.o.ready)
            if i_ok:
                t_in.append(cycle)
                k += 1
            if o_ok:
                t_out.append(cycle)
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return t_in, t_out
