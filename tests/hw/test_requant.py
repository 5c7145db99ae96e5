"""Amaranth-simulator tests of hw/requant.py against golden.fixedpoint.requantize."""

from __future__ import annotations

import gc
import random

import numpy as np
import pytest
from amaranth.hdl import unsigned
from amaranth.lib import data
from amaranth.sim import Simulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden.fixedpoint import INT32_MAX, INT32_MIN, rdbpot, requantize
from hw.requant import Requantizer, rdbpot_bounds
from verif.amaranth_streams import stream_get, stream_put

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
    # rdbpot exact halves of both signs: srdhm(x, 2**30) = x / 2 = +-(2j+1) * 2**(shift-1),
    # whose bits below the rounding bit are all zero (a negative half rounds away from zero,
    # to -(j+1), not up to -j).
    for shift in (1, 2, 5, 17, 30):
        js = [j for j in (0, 1, 2, 9) if (2 * j + 1) << shift <= INT32_MAX]
        xs = [sg * ((2 * j + 1) << shift) for j in js for sg in (1, -1)]
        want = [sg * (j + 1) for j in js for sg in (1, -1)]
        assert rdbpot(np.array(xs) // 2, shift).tolist() == want
        check(dut, (xs * 4)[:8], 2**30, shift)
    check(dut, [INT32_MIN, -(2**31) + 2**30, -(2**30), 2**30, 6, -6, 2, -2], 2**30, 31)


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
                                dict(lo=5, hi=4), dict(relu=True, lo=-1),
                                dict(primitive="xilinx")])
def test_bad_parameters(kw):
    with pytest.raises(ValueError, match=next(iter(k for k in kw if k != "relu"))):
        Requantizer(**kw)
    gc.collect()  # the half-built component warns when collected: do it under the filter


@pytest.mark.parametrize("lo,hi", [(-128, 127), (0, 127), (-127, 127), (-(2**15), 2**15 - 1),
                                   (INT32_MIN, INT32_MAX), (5, 5), (-3, -3), (0, 0)])
def test_rdbpot_bounds(lo, hi):
    # The clamp is decided on q before the shift: lo <= rdbpot(q, s) <= hi iff
    # t_lo <= q <= t_hi. Checked with golden's rdbpot around both bounds and at random.
    seed = 4321
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    for s in range(32):
        t_lo, t_hi = rdbpot_bounds(lo, hi, s)
        near = np.array([t + d for t in (t_lo, t_hi) for d in range(-3, 4)], np.int64)
        qs = np.concatenate([near, [INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX],
                             rng.integers(INT32_MIN, INT32_MAX, 200, endpoint=True),
                             rng.integers(-(2**12), 2**12, 200) << s])
        qs = np.clip(qs, INT32_MIN, INT32_MAX)
        r = rdbpot(qs, s)
        np.testing.assert_array_equal((r >= lo) & (r <= hi), (qs >= t_lo) & (qs <= t_hi),
                                      err_msg=f"lo={lo} hi={hi} shift={s}")


def test_lanes8_out16_random():
    # The configuration behind an 8 x 8 systolic array.
    seed = 808
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = Requantizer(lanes=8, out_width=16, offset=True)
    for _ in range(3):
        mult, shift = int(rng.integers(0, 2**31)), int(rng.integers(0, 32))
        scale = rng.integers(1, 33, 8 * 30)
        xs = rng.integers(INT32_MIN, INT32_MAX, 8 * 30, endpoint=True) >> (32 - scale)
        offs = rng.integers(INT32_MIN, INT32_MAX, 8 * 30, endpoint=True) >> (32 - scale[::-1])
        check(dut, xs, mult, shift, offs, stall=0.2, backpressure=0.4, seed=seed)


def test_per_beat_multiplier_and_shift():
    # multiplier and shift are sampled with each beat and travel with it: every beat here
    # has its own, so a stage using a neighbour's value would show.
    seed = 77
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = Requantizer(lanes=2, out_width=8, tag_layout=TAG)
    n = 120
    xs = rng.integers(INT32_MIN, INT32_MAX, (n, 2), endpoint=True) >> rng.integers(0, 32, (n, 2))
    mults = rng.integers(0, 2**31, n)
    shifts = rng.integers(0, 32, n)
    out = []

    async def producer(ctx):
        prng = random.Random(seed)
        for b in range(n):
            while prng.random() < 0.2:
                ctx.set(dut.i.valid, 0)
                await ctx.tick()
            ctx.set(dut.i.payload, {"data": [int(v) for v in xs[b]],
                                    "tag": {"pos": b, "last": int(b == n - 1)}})
            ctx.set(dut.multiplier, int(mults[b]))
            ctx.set(dut.shift, int(shifts[b]))
            ctx.set(dut.i.valid, 1)
            await ctx.tick().until(dut.i.ready)
        ctx.set(dut.i.valid, 0)

    async def consumer(ctx):
        out.extend(await stream_get(ctx, dut.o, n, backpressure=0.3,
                                    rng=random.Random(seed + 1), timeout=50 * n))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.run()
    want = [requantize(xs[b], int(mults[b]), int(shifts[b])) for b in range(n)]
    got = [[int(v) for v in o.data] for o in out]
    np.testing.assert_array_equal(np.array(got), np.array(want))
    assert [int(o.tag.pos) for o in out] == list(range(n))


def _cycle_trace(dut, valid_at, ready_at, cycles, multiplier=2**31 - 1, shift=0):
    """Drive ``i.valid`` / ``o.ready`` per cycle from the two predicates; payload = cycle.

    Returns the cycles of the input handshakes, and of the output handshakes with their data.
    """
    ins, outs = [], []

    async def bench(ctx):
        ctx.set(dut.multiplier, multiplier)
        ctx.set(dut.shift, shift)
        for c in range(cycles):
            ctx.set(dut.i.valid, int(valid_at(c)))
            ctx.set(dut.i.payload.data[0], c)
            ctx.set(dut.o.ready, int(ready_at(c)))
            _, _, i_ready, o_valid, data = await ctx.tick().sample(
                dut.i.ready, dut.o.valid, dut.o.payload.data[0])
            if valid_at(c) and i_ready:
                ins.append(c)
            if o_valid and ready_at(c):
                outs.append((c, int(data)))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return ins, outs


def test_latency_and_full_rate():
    # One beat into an idle pipeline, then a long burst under a ready sink: every beat
    # leaves exactly `latency` cycles after its handshake, and the burst is accepted and
    # delivered one beat per cycle (the credits cover the round trip).
    dut = Requantizer(lanes=1, out_width=16)
    burst = range(40, 40 + 4 * dut.latency)
    ins, outs = _cycle_trace(dut, lambda c: c == 5 or c in burst, lambda c: True,
                             burst.stop + dut.latency + 5)
    assert ins == [5, *burst]
    assert [c for c, _ in outs] == [c + dut.latency for c in ins]
    assert [d for _, d in outs] == ins  # multiplier 2**31 - 1, shift 0: y = x here
    assert dut.latency < dut.fifo_depth


def test_fifo_full_backpressure():
    # The sink refuses everything for a long time: exactly fifo_depth beats are accepted,
    # none is lost or duplicated, and the order holds once the sink drains.
    dut = Requantizer(lanes=1, out_width=16)
    stop = 60
    ins, outs = _cycle_trace(dut, lambda c: 3 <= c < stop + 60, lambda c: c >= stop,
                             stop + 100)
    assert len([c for c in ins if c < stop]) == dut.fifo_depth
    assert [d for _, d in outs] == ins
    # After the stall the sink sees one beat per cycle again.
    assert [c for c, _ in outs[:40]] == list(range(stop, stop + 40))
