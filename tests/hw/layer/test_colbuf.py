"""Amaranth-simulator tests of hw/layer/colbuf.py (KeptColumnBuffer) against a Python model."""

from __future__ import annotations

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.layer.colbuf import KeptColumnBuffer
from verif.amaranth_streams import stream_get, stream_put


def expected_x(cols: np.ndarray, t: int, tiles: int, subtiles: int, rows: int) -> list:
    """The reader's beats: for each tile, column, sub-tile, beat: ``rows`` channels."""
    k = cols.shape[1]
    out = []
    for _ in range(tiles):
        for c in range(k):
            for _ in range(subtiles):
                for b in range(t):
                    out.append([int(v) for v in cols[b * rows:(b + 1) * rows, c]])
    return out


def run(dut, frames, *, seed, stall, backpressure):
    """``frames``: (cols (groups*lanes, k) int8, groups, t, tiles). Returns the x beats."""
    rng = random.Random(seed)
    lanes, rows = dut.lanes, dut.rows
    n_out = sum(len(expected_x(c, t, tl, dut.subtiles, rows)) for c, _, t, tl in frames)

    async def writer(ctx):
        for c, groups, _, _ in frames:
            beats = [{"data": [int(v) for v in c[g * lanes:(g + 1) * lanes, j]], "last": 0}
                     for j in range(c.shape[1]) for g in range(groups)]
            await stream_put(ctx, dut.w, beats, stall=stall, rng=random.Random(rng.random()))

    async def cfgs(ctx, port, fields):
        for c, groups, t, tiles in frames:
            vals = {"k": c.shape[1], "groups": groups, "t": t, "tiles": tiles}
            await stream_put(ctx, port, [{f: vals[f] for f in fields}])

    async def wcfg(ctx):
        await cfgs(ctx, dut.wr_cfg, ("k", "groups"))

    async def rcfg(ctx):
        await cfgs(ctx, dut.rd_cfg, ("k", "groups", "t", "tiles"))

    got = []

    async def reader(ctx):
        beats = await stream_get(ctx, dut.x, n_out, backpressure=backpressure,
                                 rng=random.Random(seed + 1))
        got.extend([[int(v) for v in b] for b in beats])

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    for tb in (writer, wcfg, rcfg, reader):
        sim.add_testbench(tb)
    sim.run()
    return got


@pytest.mark.parametrize("lanes,rows,subtiles,stall,bp", [
    (4, 2, 2, 0.0, 0.0), (4, 2, 2, 0.3, 0.5), (6, 2, 1, 0.2, 0.3), (4, 4, 4, 0.5, 0.1),
    (8, 2, 2, 0.0, 0.6)])
def test_frames_back_to_back(lanes, rows, subtiles, stall, bp):
    seed = lanes * 100 + rows * 10 + subtiles + int(10 * stall)
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    max_k, max_groups = 12, 3
    dut = KeptColumnBuffer(lanes=lanes, rows=rows, subtiles=subtiles, max_k=max_k,
                           max_groups=max_groups)
    frames = []
    for _ in range(6):
        groups = int(rng.integers(1, max_groups + 1))
        k = int(rng.choice([0, 1, int(rng.integers(1, max_k + 1)), max_k]))
        c_in = int(rng.integers((groups - 1) * lanes + 1, groups * lanes + 1))
        t = -(-c_in // rows)
        tiles = int(rng.integers(1, 4))
        cols = rng.integers(-128, 128, size=(groups * lanes, k))
        cols[c_in:] = 0
        frames.append((cols, groups, t, tiles))
    got = run(dut, frames, seed=seed, stall=stall, backpressure=bp)
    want = [b for c, _, t, tl in frames for b in expected_x(c, t, tl, subtiles, rows)]
    assert got == want


def test_reader_follows_writer_and_full_rate():
    """With no stalls the reader of one tile runs at one beat per cycle, reading columns as
    they are written (same bank), and the x stream is exact."""
    dut = KeptColumnBuffer(lanes=4, rows=4, subtiles=1, max_k=64, max_groups=1)
    rng = np.random.default_rng(3)
    cols = rng.integers(-128, 128, size=(4, 64))
    got = run(dut, [(cols, 1, 1, 1)], seed=3, stall=0.0, backpressure=0.0)
    assert got == expected_x(cols, 1, 1, 1, 4)


def test_bad_parameters():
    for kw, name in (({"rows": 0}, "rows"), ({"lanes": 6, "rows": 4}, "lanes"),
                     ({"subtiles": 3}, "subtiles"), ({"max_k": 0}, "max_k"),
                     ({"max_groups": 0}, "max_groups"), ({"primitive": "x"}, "primitive")):
        args = {"lanes": 4, "rows": 2, "subtiles": 1, "max_k": 8, "max_groups": 2, **kw}
        with pytest.raises(ValueError, match=name):
            KeptColumnBuffer(**args)
