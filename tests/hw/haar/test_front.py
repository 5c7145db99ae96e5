"""Amaranth-simulator tests of hw/haar/front.py: padding, frame opening, registered ready."""

from __future__ import annotations

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.haar import pad_to
from hw.haar.front import HaarFront
from hw.lib.params import HaarParams
from verif.amaranth_streams import stream_get

LEVELS = 3


def run_frames(frames, *, lanes=2, stall=0.0, backpressure=0.0, seed=0, max_size=32):
    """Send ``frames`` [(C, H, W) int arrays] through a HaarFront; return its band beats.

    Also checks in every cycle that ``i.ready`` does not depend on ``band.ready`` in that
    cycle (the front end's handshake is registered), by toggling ``band.ready`` and reading
    ``i.ready`` again before the clock edge, and that every lane's ``bv`` equals
    ``band.valid``.
    """
    dut = HaarFront(HaarParams(lanes, max_size, max_size, LEVELS, 8))
    rng = random.Random(seed)
    n_out = sum(pad_to(f, LEVELS)[0].size for f in frames)
    got = []

    async def source(ctx):
        for f in frames:
            _, h, w = f.shape
            ctx.set(dut.width, w)
            ctx.set(dut.height, h)
            for idx in range(h * w):
                while stall and rng.random() < stall:
                    ctx.set(dut.i.valid, 0)
                    await ctx.tick()
                y, x = divmod(idx, w)
                ctx.set(dut.i.payload, {"data": [int(v) for v in f[:, y, x]],
                                        "first": idx == 0, "last": idx == h * w - 1})
                ctx.set(dut.i.valid, 1)
                while True:
                    ready = ctx.get(dut.i.ready)
                    # i.ready must not follow band.ready combinationally.
                    old = ctx.get(dut.band.ready)
                    ctx.set(dut.band.ready, 1 - old)
                    assert ctx.get(dut.i.ready) == ready, "i.ready follows band.ready"
                    ctx.set(dut.band.ready, old)
                    await ctx.tick()
                    if ready:
                        break
        ctx.set(dut.i.valid, 0)

    async def sink(ctx):
        got.extend(await stream_get(ctx, dut.band, n_out, backpressure=backpressure,
                                    rng=random.Random(seed + 1), timeout=20 * n_out + 1000))

    async def copies(ctx):
        async for _ in ctx.tick():
            v = ctx.get(dut.band.valid)
            assert ctx.get(dut.bv) == v * ((1 << lanes) - 1), "bv differs from band.valid"

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(source)
    sim.add_testbench(sink)
    sim.add_testbench(copies, background=True)
    sim.run()
    return [[int(v) for v in beat] for beat in got]


def want_beats(frames):
    """Independent reference: each frame zero-padded by golden, in raster order."""
    out = []
    for f in frames:
        p = pad_to(f, LEVELS)
        out += [[int(v) for v in p[:, y, x]] for y in range(p.shape[1])
                for x in range(p.shape[2])]
    return out


@pytest.mark.parametrize("stall,backpressure", [(0.0, 0.0), (0.3, 0.5)])
def test_padding_and_order(stall, backpressure):
    seed = int(10 * stall + 100 * backpressure)
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    # Sizes that are and are not multiples of 2**LEVELS, back to back.
    frames = [rng.integers(-128, 127, (2, h, w), endpoint=True)
              for h, w in ((8, 8), (11, 13), (16, 9), (9, 24))]
    got = run_frames(frames, stall=stall, backpressure=backpressure, seed=seed)
    assert got == want_beats(frames)


def test_refused_size_drops_frame():
    # A frame wider than max_width is refused: its beats are dropped (error set) and the next
    # frame is still padded and passed on whole.
    rng = np.random.default_rng(7)
    big = rng.integers(-128, 127, (2, 8, 40), endpoint=True)
    ok = rng.integers(-128, 127, (2, 10, 10), endpoint=True)
    dut = HaarFront(HaarParams(2, 32, 32, LEVELS, 8))
    errors = []

    async def source(ctx):
        for f in (big, ok):
            _, h, w = f.shape
            ctx.set(dut.width, 33 if f is big else w)   # 33 > max_width: refused
            ctx.set(dut.height, h)
            for idx in range(h * w):
                y, x = divmod(idx, w)
                ctx.set(dut.i.payload, {"data": [int(v) for v in f[:, y, x]],
                                        "first": idx == 0, "last": idx == h * w - 1})
                ctx.set(dut.i.valid, 1)
                await ctx.tick().until(dut.i.ready)
            errors.append(ctx.get(dut.error))
        ctx.set(dut.i.valid, 0)

    got = []

    async def sink(ctx):
        n = pad_to(ok, LEVELS)[0].size
        got.extend(await stream_get(ctx, dut.band, n, timeout=20000))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(source)
    sim.add_testbench(sink)
    sim.run()
    assert errors[0] == 1, "the refused frame must set error"
    assert [[int(v) for v in b] for b in got] == want_beats([ok])
