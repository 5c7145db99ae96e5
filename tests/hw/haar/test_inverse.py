"""Amaranth-simulator tests of hw/haar/inverse.py (HaarInverse) against golden int_idwt2."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.haar import pad_to
from golden.int_haar import coef_bits, int_dwt2, int_idwt2, inv_bits
from hw.haar import HaarForward, HaarInverse
from verif.haar_harness import run_forward, run_inverse


def check_frames(dut, frames, beats):
    """Pixels of each frame in block order, each once, ``last`` at the end, values = golden."""
    b, k = 2**dut.levels, 0
    for z, h, w in frames:
        hp, wp = -(-h // b) * b, -(-w // b) * b
        want = int_idwt2(z, dut.levels, hp, wp, shift=dut.shift)
        chunk = beats[k:k + hp * wp]
        k += hp * wp
        got = np.zeros_like(want)
        for j, o in enumerate(chunk):
            blk, loc = divmod(j, b * b)
            row = blk // (wp // b) * b + loc // b
            col = blk % (wp // b) * b + loc % b
            assert (int(o.row), int(o.col)) == (row, col), f"beat {j} out of block order"
            got[:, row, col] = [int(v) for v in o.data]
            assert int(o.last) == (j == hp * wp - 1)
        np.testing.assert_array_equal(got, want)


def rand_coefs(rng, c, n, bits):
    return rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(c, n))


@pytest.mark.parametrize("levels,shift", [(1, 0), (2, 3), (3, 0), (3, 6), (4, 1)])
def test_random(levels, shift):
    seed = 10 * levels + shift
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    b = 2**levels
    dut = HaarInverse(lanes=2, max_width=2 * b, max_height=2 * b, levels=levels, shift=shift)
    assert dut.inv_bits == inv_bits(levels, 16)
    frames = [(rand_coefs(rng, 2, 4 * b * b, 16), 2 * b, 2 * b),
              (rand_coefs(rng, 2, 2 * b * b, 16), b, 2 * b - 1)]
    beats, _ = run_inverse(dut, frames)
    check_frames(dut, frames, beats)


@pytest.mark.parametrize("shift", [0, 5])
def test_extremes(shift):
    dut = HaarInverse(lanes=3, max_width=16, max_height=8, levels=3, shift=shift)
    n = 128
    alt = np.where(np.arange(n) % 2, 32767, -32768)
    frames = [(np.stack([np.full(n, -32768), np.full(n, 32767), alt]), 8, 16),
              (np.stack([alt, -alt - 1, np.eye(1, n, 77, dtype=np.int64)[0] * 32767]), 8, 16)]
    beats, _ = run_inverse(dut, frames)
    check_frames(dut, frames, beats)


@pytest.mark.parametrize("seed", [1, 2])
def test_stalls_backpressure(seed):
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = HaarInverse(lanes=2, max_width=24, max_height=16, levels=3, in_bits=12, shift=2)
    frames = [(rand_coefs(rng, 2, 16 * 24, 12), 16, 24), (rand_coefs(rng, 2, 64, 12), 3, 5)]
    beats, _ = run_inverse(dut, frames, stall=0.3, backpressure=0.5, seed=seed)
    check_frames(dut, frames, beats)


@pytest.mark.parametrize("levels,shift", [(1, 0), (3, 0), (3, 6)])
def test_throughput_bound(levels, shift):
    """No stalls: N coefficients in, N pixels out, one opening cycle per frame (the registered
    size check); the last pixel leaves exactly B*B + stages cycles after the last coefficient
    (stages = the pipeline registers, docs/haar.md)."""
    rng = np.random.default_rng(9)
    dut = HaarInverse(lanes=1, max_width=16, max_height=16, levels=levels, shift=shift)
    frames = [(rand_coefs(rng, 1, 256, 16), 16, 16)] * 2
    beats, end = run_inverse(dut, frames)
    check_frames(dut, frames, beats)
    assert dut.stages == {(1, 0): 5, (3, 0): 7, (3, 6): 9}[levels, shift]
    assert end <= 512 + 2 + 4**levels + dut.stages, end


@pytest.mark.parametrize("levels", [1, 2, 3, 4])
def test_round_trip_hardware(levels):
    """inverse(forward(x)) with shift = 2*levels is x, through both units."""
    seed = 40 + levels
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    b = 2**levels
    h, w = 2 * b - 3, 2 * b
    x = rng.integers(-128, 128, size=(2, h, w))
    x[0, 0, :] = -128
    fwd = HaarForward(lanes=2, max_width=2 * b, max_height=2 * b, levels=levels)
    coefs, _ = run_forward(fwd, [x])
    z = np.zeros((2, len(coefs)), np.int64)
    for o in coefs:
        z[:, int(o.pos)] = [int(v) for v in o.data]
    np.testing.assert_array_equal(z, int_dwt2(pad_to(x, levels), levels))
    inv = HaarInverse(lanes=2, max_width=2 * b, max_height=2 * b, levels=levels,
                      in_bits=coef_bits(levels, 8), shift=2 * levels)
    pix, _ = run_inverse(inv, [(z, h, w)])
    check_frames(inv, [(z, h, w)], pix)
    y = np.zeros((2, 2 * b, 2 * b), np.int64)
    for o in pix:
        y[:, int(o.row), int(o.col)] = [int(v) for v in o.data]
    np.testing.assert_array_equal(y[:, :h, :w], x)


@pytest.mark.parametrize("kw", [
    dict(lanes=0), dict(levels=5), dict(in_bits=25), dict(in_bits=1),
    dict(max_width=20), dict(max_height=0), dict(shift=-1), dict(shift=18),
])
def test_bad_parameters(kw):
    args = dict(lanes=1, max_width=16, max_height=16, levels=3) | kw
    name = next(iter(kw))
    with pytest.raises(ValueError, match=name):
        HaarInverse(**args)


@pytest.mark.parametrize("levels", [1, 4])
def test_no_multipliers(levels):
    """Adds, subtracts and shifts only: no $mul (nor variable $shift) at Yosys word level."""
    flow = pytest.importorskip("synth.flow")
    dut = HaarInverse(lanes=2, max_width=32, max_height=32, shift=3, levels=levels)
    cells = flow.yosys_cells(dut, f"ihaar_cells_l{levels}")
    assert "$mul" not in cells and "$macc" not in cells, cells
    assert "$add" in cells


def _error_after(beats, width=8, height=8):
    """Offer ``beats`` (first, last) one after the other to a one-lane L = 3 unit, output
    always ready; return ``error`` a few cycles after the last one is taken."""
    dut = HaarInverse(lanes=1, max_width=16, max_height=16, levels=3)
    got = []

    async def bench(ctx):
        ctx.set(dut.width, width)
        ctx.set(dut.height, height)
        ctx.set(dut.o.ready, 1)
        for first, last in beats:
            ctx.set(dut.i.payload, {"data": [1], "first": first, "last": last})
            ctx.set(dut.i.valid, 1)
            while not (await ctx.tick().sample(dut.i.ready))[-1]:
                pass
        ctx.set(dut.i.valid, 0)
        await ctx.tick().repeat(4)
        got.append(ctx.get(dut.error))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return got[0]


@pytest.mark.parametrize("case,want", [
    ("ok", 0), ("two frames", 0), ("stray", 1), ("late last", 1), ("early last", 1),
    ("first inside", 1), ("bad size", 1),
])
def test_framing_errors(case, want):
    """The sticky ``error``: beats outside a frame, a refused size, misplaced markers."""
    frame = [(1, 0)] + [(0, 0)] * 62 + [(0, 1)]
    beats = {"ok": frame, "two frames": frame * 2, "stray": [(0, 0)],
             "late last": frame[:-1] + [(0, 0), (0, 1)], "early last": frame[:-2] + [(0, 1)],
             "first inside": frame[:30] + [(1, 0)] + frame[31:], "bad size": frame}[case]
    assert _error_after(beats, width=0 if case == "bad size" else 8) == want
