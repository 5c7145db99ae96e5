"""Amaranth-simulator tests of hw/layer/output.py (OutputStage) against golden requantize."""

from __future__ import annotations

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.fixedpoint import quantize_multiplier, requantize
from hw.layer.output import OutputStage
from verif.amaranth_streams import stream_get, stream_put


def block_order(hp, wp, b=8):
    """(row, col) of the padded frame in the inverse unit's block order."""
    return [(br * b + y, bc * b + x) for br in range(hp // b) for bc in range(wp // b)
            for y in range(b) for x in range(b)]


def test_frames():
    seed = 5
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    lanes, maxw, maxh = 4, 16, 16
    dut = OutputStage(lanes=lanes, in_bits=21, max_width=maxw, max_height=maxh, max_tiles=3,
                      max_c_out=12)
    frames = []
    for h, w, c_out, relu in ((16, 16, 12, 0), (5, 9, 3, 1), (8, 13, 7, 0), (1, 1, 12, 1)):
        hp, wp = -(-h // 8) * 8, -(-w // 8) * 8
        tiles = -(-c_out // lanes)
        v = rng.integers(-2**20, 2**20, size=(tiles * lanes, hp, wp))
        v[:, 0, 0] = -2**20  # an extreme
        bias = rng.integers(-2**31, 2**31, size=c_out)
        m_out, sh_out = quantize_multiplier(float(rng.uniform(1e-4, 0.5)))
        frames.append(dict(h=h, w=w, c_out=c_out, relu=relu, v=v, bias=bias, m=m_out,
                           sh=sh_out, tiles=tiles))
    rnd = random.Random(seed)

    async def pixels(ctx):
        for f in frames:
            hp, wp = f["v"].shape[1:]
            for t in range(f["tiles"]):
                order = block_order(hp, wp)
                beats = [{"data": [int(x) for x in f["v"][t * lanes:(t + 1) * lanes, r, c]],
                          "row": r, "col": c, "last": int(j == len(order) - 1)}
                         for j, (r, c) in enumerate(order)]
                await stream_put(ctx, dut.i, beats, stall=0.2, rng=random.Random(rnd.random()))

    async def biases(ctx):
        for f in frames:
            b = list(f["bias"]) + [0] * (len(f["bias"]) % 2)
            beats = [{"data": [int(b[2 * j]), int(b[2 * j + 1])], "last": int(2 * j + 2 >= len(b))}
                     for j in range(len(b) // 2)]
            await stream_put(ctx, dut.bias, beats, stall=0.3, rng=random.Random(rnd.random()))

    async def cfgs(ctx):
        for f in frames:
            await stream_put(ctx, dut.cfg, [{"tiles": f["tiles"], "width": f["w"],
                                             "height": f["h"], "c_out": f["c_out"],
                                             "relu": f["relu"], "m_out": f["m"],
                                             "sh_out": f["sh"]}])

    want = []
    for f in frames:
        hp, wp = f["v"].shape[1:]
        c = f["tiles"] * lanes
        bias = np.zeros(c, np.int64)
        bias[:f["c_out"]] = f["bias"]
        out = requantize(f["v"], f["m"], f["sh"], offset=bias[:, None, None],
                         lo=0 if f["relu"] else -128, hi=127)
        out[f["c_out"]:] = 0
        beats = [(tuple(int(x) for x in out[t * lanes:(t + 1) * lanes, r, cc]), r, cc, t)
                 for t in range(f["tiles"]) for r, cc in block_order(hp, wp)
                 if r < f["h"] and cc < f["w"]]
        want += [b + (int(j == len(beats) - 1),) for j, b in enumerate(beats)]
    got = []

    async def sink(ctx):
        beats = await stream_get(ctx, dut.o, len(want), backpressure=0.4,
                                 rng=random.Random(seed + 1))
        got.extend((tuple(int(x) for x in b.data), int(b.row), int(b.col), int(b.group),
                    int(b.last)) for b in beats)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    for tb in (pixels, biases, cfgs, sink):
        sim.add_testbench(tb)
    sim.run()
    assert got == want


def test_bad_parameters():
    for kw, name in (({"lanes": 0}, "lanes"), ({"per_beat": 3}, "per_beat"),
                     ({"max_tiles": 0}, "max_tiles"), ({"primitive": "x"}, "primitive")):
        args = {"lanes": 4, "in_bits": 21, "max_width": 16, "max_height": 16, "max_tiles": 2,
                "max_c_out": 8, **kw}
        with pytest.raises(ValueError, match=name):
            OutputStage(**args)
