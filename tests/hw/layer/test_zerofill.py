"""Amaranth-simulator tests of hw/layer/zerofill.py (ZeroFill) against the golden zero-fill."""

from __future__ import annotations

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.topk import pack_bitmap
from hw.layer.zerofill import ZeroFill
from verif.amaranth_streams import stream_get, stream_put


def run(dut, frames, *, seed, stall, backpressure):
    """``frames``: (bitmap bool (n,), z (tiles * subtiles * cols, k) int). Returns the output
    beats (data, first, last) of every tile of every frame."""
    rng = random.Random(seed)
    cols, sub = dut.cols, dut.subtiles
    n_out = sum(len(bm) * (z.shape[0] // (cols * sub)) for bm, z in frames)

    async def bitmaps(ctx):
        for bm, _ in frames:
            words = [int(w) for w in pack_bitmap(bm)]
            beats = [{"word": w, "last": int(j == len(words) - 1)} for j, w in enumerate(words)]
            await stream_put(ctx, dut.bitmap, beats, stall=stall, rng=random.Random(rng.random()))

    async def results(ctx):
        for _, z in frames:
            tiles = z.shape[0] // (cols * sub)
            beats = [{"data": [int(v) for v in z[(t * sub + s) * cols:(t * sub + s + 1) * cols, c]]}
                     for t in range(tiles) for c in range(z.shape[1]) for s in range(sub)]
            await stream_put(ctx, dut.z, beats, stall=stall, rng=random.Random(rng.random()))

    async def cfgs(ctx):
        for bm, z in frames:
            await stream_put(ctx, dut.cfg, [{"n": len(bm), "tiles": z.shape[0] // (cols * sub)}])

    got = []

    async def sink(ctx):
        # A hung unit fails at a bound far above its one position a cycle (plus stalls).
        beats = await stream_get(ctx, dut.o, n_out, backpressure=backpressure,
                                 rng=random.Random(seed + 1), timeout=20 * n_out + 500)
        got.extend((tuple(int(v) for v in b.data), int(b.first), int(b.last)) for b in beats)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    for tb in (bitmaps, results, cfgs, sink):
        sim.add_testbench(tb)
    sim.run()
    return got


def expected(frames, cols, sub):
    out = []
    for bm, z in frames:
        n, lanes = len(bm), cols * sub
        for t in range(z.shape[0] // lanes):
            zf = np.zeros((lanes, n), np.int64)
            zf[:, bm] = z[t * lanes:(t + 1) * lanes]   # golden: zf[:, bitmap] = z
            out += [(tuple(int(v) for v in zf[:, p]), int(p == 0), int(p == n - 1))
                    for p in range(n)]
    return out


@pytest.mark.parametrize("cols,sub,stall,bp", [(2, 2, 0.0, 0.0), (2, 2, 0.3, 0.4),
                                               (3, 1, 0.2, 0.2), (1, 4, 0.5, 0.5)])
def test_frames(cols, sub, stall, bp):
    seed = 10 * cols + sub + int(10 * stall)
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = ZeroFill(cols=cols, subtiles=sub, bits=16, max_n=100)
    frames = []
    for n, keep in ((64, 0.25), (1, 1.0), (100, 0.0), (33, 1.0), (70, 0.5), (32, 0.1)):
        bm = rng.random(n) < keep
        tiles = int(rng.integers(1, 4))
        z = rng.integers(-2**15, 2**15, size=(tiles * sub * cols, int(bm.sum())))
        frames.append((bm, z))
    assert run(dut, frames, seed=seed, stall=stall, backpressure=bp) == expected(
        frames, cols, sub)


@pytest.mark.parametrize("max_n", [1, 4, 16, 31, 32])
def test_small_frames(max_n):
    """Frames of fewer than 32 positions (one bitmap word): two banks in turn, so the reader
    must find the second bank's word (its address is the bank bit above the word number)."""
    seed = 100 + max_n
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = ZeroFill(cols=1, subtiles=1, bits=8, max_n=max_n)
    frames = []
    for _ in range(5):
        n = int(rng.integers(1, max_n + 1))
        bm = rng.random(n) < 0.6
        tiles = int(rng.integers(1, 3))
        frames.append((bm, rng.integers(-128, 128, size=(tiles, int(bm.sum())))))
    assert run(dut, frames, seed=seed, stall=0.3, backpressure=0.3) == expected(frames, 1, 1)


def test_bad_parameters():
    for kw, name in (({"cols": 0}, "cols"), ({"subtiles": 3}, "subtiles"),
                     ({"bits": 1}, "bits"), ({"max_n": 0}, "max_n")):
        with pytest.raises(ValueError, match=name):
            ZeroFill(**{"cols": 2, "subtiles": 2, "bits": 16, "max_n": 64, **kw})
