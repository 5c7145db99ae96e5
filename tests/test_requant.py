"""Amaranth-simulator tests of hw/requant.py against golden.fixedpoint.requantize."""

from __future__ import annotations

import random

import numpy as np
import pytest
from amaranth.hdl import unsigned
from amaranth.lib import data
from amaranth.sim import Simulator
from amaranth_streams import stream_get, stream_put
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden.fixedpoint import INT32_MAX, INT32_MIN, requantize
from hw.requant import Requantizer

CORNERS = [INT32_MIN, INT32_MIN + 1, -(2**30), -3, -2, -1, 0, 1, 2, 3, 2**30, INT32_MAX - 1,
           INT32_MAX, 1 << 15, -(1 << 15), 12345, -12345]


def run(dut, beats, multiplier, shift, *, stall=0.0, backpressure=0.0, seed=0):
    """Push ``beats`` (payload dicts) through ``dut``; return the output payloads."""
    out = []

    async def producer(ctx):
        ctx.set(dut.multiplier, multiplier)
        ctx.set(dut.shift, shift)
        await stream_put(ctx, dut.i, beats, stall=stall, rng=random.Random(seed))

    async def consumer(ctx):
        got = await stream_get(ctx, dut.o, len(beats), backpressure=backpressure,
                               rng=random.Random(seed + 1), timeout=20 * len(beats) + 100)
        out.extend(got)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.run()
    return out


def check(dut, xs, multiplier, shift, offsets=None, **kw):
    lanes = dut.lanes
    xs = np.asarray(xs, np.int64).reshape(-1, lanes)
    offs = None if offsets is None else np.asarray(offsets, np.int64).reshape(-1, lanes)
    beats = []
    for b, row in enumerate(xs):
        beat = {"data": [int(v) for v in row]}
        if offs is not None:
            beat["offset"] = [int(v) for v in offs[b]]
        if dut.tag_layout is not None:
            beat["tag"] = {"pos": b % 1024, "last": int(b == len(xs) - 1)}
        beats.append(beat)
    out = run(dut, beats, multiplier, shift, **kw)
    want = requantize(xs, multiplier, shift, offset=0 if offs is None else offs,
                      lo=dut.lo, hi=dut.hi)
    got = np.array([[int(v) for v in o.data] for o in out], np.int64)
    np.testing.assert_array_equal(got, want, err_msg=f"m={multiplier} sh={shift}")
    if dut.tag_layout is not None:
        assert [int(o.tag.pos) for o in out] == [b % 1024 for b in range(len(xs))]
        assert [int(o.tag.last) for o in out][-1] == 1


TAG = data.StructLayout({"pos": unsigned(10), "last": 1})


@pytest.mark.parametrize("shift", [0, 1, 2, 15, 30, 31])
def test_corners(shift):
    dut = Requantizer(lanes=len(CORNERS), out_width=8)
    for mult in (0, 1, 2**30, 2**30 + 12345, 2**31 - 1):
        check(dut, CORNERS, mult, shift)


def test_ties():
    # Exact .5 cases of both roundings: srdhm (a*m = +-2**30 * odd) and rdbpot
    # (x = +-(2j+1) * 2**(shift-1)).
    dut = Requantizer(lanes=8, out_width=16)
    xs = [1, -1, 3, -3, 5, -5, 2**20 + 1, -(2**20) - 1]
    check(dut, xs, 2**30, 0)           # srdhm(x, 2**30) = x/2: ties
    check(dut, [v * 2 for v in xs], 2**31 - 1, 1)  # rdbpot ties after an almost-1 multiply
    check(dut, [2, -2, 6, -6, 10, -10, 14, -14], 2**30, 2)


def test_offset_saturation_tag_relu():
    seed = 1234
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = Requantizer(lanes=3, out_width=8, relu=True, offset=True, tag_layout=TAG)
    n = 60
    xs = rng.integers(INT32_MIN, INT32_MAX, 3 * n, endpoint=True)
    offs = rng.integers(INT32_MIN, INT32_MAX, 3 * n, endpoint=True)
    xs[:6] = [INT32_MAX, INT32_MIN, INT32_MAX, INT32_MIN, -5, 5]
    offs[:6] = [INT32_MAX, INT32_MIN, -1, 1, 5, -5]
    check(dut, xs, 2**31 - 1, 3, offs, stall=0.3, backpressure=0.3, seed=seed)


@pytest.mark.parametrize("out_width,lo,hi", [(8, -127, 127), (16, None, None), (32, None, None)])
def test_random_stalls(out_width, lo, hi):
    seed = 99 + out_width
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = Requantizer(lanes=4, out_width=out_width, lo=lo, hi=hi)
    for _ in range(3):
        mult = int(rng.integers(0, 2**31))
        shift = int(rng.integers(0, 32))
        scale = rng.integers(1, 32, 4 * 40)
        xs = rng.integers(-(2**31), 2**31, 4 * 40) >> (31 - scale + 1)
        check(dut, xs, mult, shift, stall=0.25, backpressure=0.25, seed=seed)


_HYP_DUT = Requantizer(lanes=4, out_width=16, offset=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(INT32_MIN, INT32_MAX), min_size=8, max_size=8),
       st.lists(st.integers(INT32_MIN, INT32_MAX), min_size=8, max_size=8),
       st.integers(0, INT32_MAX), st.integers(0, 31))
def test_property(xs, offs, mult, shift):
    check(_HYP_DUT, xs, mult, shift, offs)


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("kw", [dict(lanes=0), dict(lanes=65), dict(out_width=1),
                                dict(out_width=33), dict(lo=-129), dict(hi=128),
                                dict(lo=5, hi=4), dict(relu=True, lo=-1)])
def test_bad_parameters(kw):
    with pytest.raises(ValueError, match=next(iter(k for k in kw if k != "relu"))):
        Requantizer(**kw)
