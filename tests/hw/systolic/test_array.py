"""Amaranth-simulator tests of hw/systolic/array.py: bit-exact Y = W . X, tiling, stalls, cycles.

Sub-tiles (``subtiles`` = m > 1): the tests below the ``SHAPES_SUB`` table.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.systolic import SystolicArray
from hw.systolic.model import cycle_bound, cycle_model, w_stream, x_stream, y_order
from verif.amaranth_streams import stream_get, stream_put


def run_layers(dut, layers, *, stall=0.0, backpressure=0.0, seed=0, fill=None):
    """Run ``layers`` [(W, X), ...] one after the other; return [(Y, cycles, flags)].

    Each layer starts once ``busy`` is low; ``cycles`` counts from the cycle its streams are
    first offered to the cycle of its last y handshake (both included). ``fill``: x lanes
    past C_in carry random values from this generator instead of zeros. ``busy`` must be high
    from the cycle after a layer's first w handshake to its last y handshake (its last w
    handshake for k = 0), stalls between the weight runs of a tile included.
    """
    R, C, S = dut.rows, dut.cols, dut.subtiles
    rng = random.Random(seed)
    go = [None] * len(layers)       # cycle at which layer i was released
    done = [None] * len(layers)
    sent = [0] * len(layers)        # producers finished with layer i
    got = [[] for _ in layers]
    cyc = [0]

    def shape(i):
        ws, xs = layers[i]
        return ws.shape[1], ws.shape[0], xs.shape[1], -(-ws.shape[0] // (S * C))

    async def counter(ctx):
        async for _ in ctx.tick():
            cyc[0] += 1

    async def busy_monitor(ctx):
        i = wn = yn = 0
        async for _, _, wv, wr, yv, yr, busy in ctx.tick().sample(
                dut.w.valid, dut.w.ready, dut.y.valid, dut.y.ready, dut.busy):
            if i == len(layers):
                continue
            assert busy or not wn, f"layer {i}: busy low in the middle of the layer"
            wn, yn = wn + (wv & wr), yn + (yv & yr)
            c_in, _, k, n_co = shape(i)
            if (yn == n_co * S * k) if k else (wn == n_co * S * c_in):
                i, wn, yn = i + 1, 0, 0

    async def wait_go(ctx, i):
        while go[i] is None:
            await ctx.tick()

    async def control(ctx):
        for i in range(len(layers)):
            c_in, c_out, k, _ = shape(i)
            ctx.set(dut.c_in, c_in)
            ctx.set(dut.c_out, c_out)
            ctx.set(dut.k, k)
            await ctx.tick()  # the shape must be set a cycle before the first beat
            go[i] = cyc[0]
            while done[i] is None or sent[i] < 2:
                await ctx.tick()
            await ctx.tick()
            for _ in range(10**4):   # a layer whose state never drains fails, not hangs
                if not ctx.get(dut.busy):
                    break
                await ctx.tick()
            else:
                raise AssertionError(f"layer {i}: busy still set 10**4 cycles after its end")

    async def wprod(ctx):
        for i, (ws, _) in enumerate(layers):
            await wait_go(ctx, i)
            await stream_put(ctx, dut.w, w_stream(ws, C, subtiles=S), stall=stall,
                             rng=random.Random(rng.random()))
            sent[i] += 1

    async def xprod(ctx):
        for i, (_, xs) in enumerate(layers):
            await wait_go(ctx, i)
            await stream_put(ctx, dut.x, x_stream(xs, R, shape(i)[3], subtiles=S, fill=fill),
                             stall=stall, rng=random.Random(rng.random()))
            sent[i] += 1

    async def cons(ctx):
        for i in range(len(layers)):
            await wait_go(ctx, i)
            _, _, k, n_co = shape(i)
            got[i] = await stream_get(ctx, dut.y, n_co * S * k, backpressure=backpressure,
                                      rng=random.Random(rng.random()), timeout=10**6)
            done[i] = cyc[0]

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(counter, background=True)
    sim.add_testbench(busy_monitor, background=True)
    for tb in (control, wprod, xprod, cons):
        sim.add_testbench(tb)
    sim.run()
    results = []
    for i in range(len(layers)):
        _, c_out, k, n_co = shape(i)
        y = np.zeros((n_co * S * C, k), np.int64)
        flags, order = [], y_order(c_out, k, C, subtiles=S)
        assert len(got[i]) == len(order)
        for (g, col, _, _), beat in zip(order, got[i], strict=True):
            y[g * C:(g + 1) * C, col] = [int(v) for v in beat.data]
            flags.append((int(beat.tile_last), int(beat.last)))
        results.append((y, done[i] - go[i], flags))
    return results


def check_layers(dut, layers, **kw):
    res = run_layers(dut, layers, **kw)
    for (ws, xs), (y, _, flags) in zip(layers, res, strict=True):
        c_out, k = ws.shape[0], xs.shape[1]
        want = ws.astype(np.int64) @ xs.astype(np.int64)
        np.testing.assert_array_equal(y[:c_out], want)
        assert not y[c_out:].any(), "lanes past C_out must be 0"
        assert flags == [(tl, last) for _, _, tl, last in
                         y_order(c_out, k, dut.cols, subtiles=dut.subtiles)]
    return res


def rand_layer(rng, c_in, c_out, k, lo=-128, hi=127):
    return (rng.integers(lo, hi, (c_out, c_in), endpoint=True),
            rng.integers(lo, hi, (c_in, k), endpoint=True))


SHAPES = [  # (R, C, [(c_in, c_out, k), ...]): multiples, non-multiples, k = 0 and k = 1
    (2, 2, [(4, 4, 8), (3, 5, 3), (1, 1, 1), (6, 2, 0), (5, 3, 1), (2, 4, 9)]),
    # One weight beat per tile, one column: the loader comes back to a bank at once, so a
    # bank must count as taken from its last beat's write register on (the word is
    # written by the PEs' write register a cycle later).
    (2, 2, [(1, 6, 1), (1, 7, 2), (2, 6, 1)]),
    (4, 4, [(8, 8, 12), (5, 9, 7), (4, 4, 1), (12, 3, 0), (13, 4, 20)]),
    (3, 2, [(7, 5, 6), (3, 2, 2)]),
    (1, 3, [(3, 4, 5), (1, 1, 1)]),
]


@pytest.mark.parametrize("rows,cols,shapes", SHAPES, ids=lambda v: str(v))
def test_layers_exact_and_cycles(rows, cols, shapes):
    seed = 11 * rows + cols
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = SystolicArray(rows, cols, max_c_in=16, max_c_out=16, max_k=32)
    layers = [rand_layer(rng, *s) for s in shapes]
    res = check_layers(dut, layers)
    for (c_in, c_out, k), (_, cycles, _) in zip(shapes, res, strict=True):
        if k:
            # Ideal streams: the simulation is the cycle model, and within the bound.
            assert cycles == cycle_model(rows, cols, c_in, c_out, k), (c_in, c_out, k)
            assert cycles <= cycle_bound(rows, cols, c_in, c_out, k)


def test_deep_weight_memory():
    # max_c_in = 64 on 2 rows: 32 tiles per bank half, a 64-word PE memory (one memory in the
    # generic build; the ECP5 build's four 16-word LUT-RAM banks are simulated by
    # sim/test_systolic.py); three C_out tiles alternate between the two halves (double
    # buffer), so every word is written and read.
    seed = 64
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = SystolicArray(2, 2, max_c_in=64, max_c_out=8, max_k=8)
    assert dut.depth == 64
    shapes = [(64, 6, 5), (37, 3, 4), (64, 2, 1)]
    res = check_layers(dut, [rand_layer(rng, *s) for s in shapes], stall=0.2,
                       backpressure=0.3, seed=seed)
    assert len(res) == len(shapes)


@pytest.mark.parametrize("stall,backpressure", [(0.3, 0.0), (0.0, 0.5), (0.4, 0.6)])
def test_stalls_backpressure(stall, backpressure):
    seed = int(100 * stall + 10 * backpressure)
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = SystolicArray(4, 2, max_c_in=16, max_c_out=16, max_k=32)
    layers = [rand_layer(rng, 9, 5, 17), rand_layer(rng, 4, 2, 1), rand_layer(rng, 3, 3, 0),
              rand_layer(rng, 8, 4, 16)]
    check_layers(dut, layers, stall=stall, backpressure=backpressure, seed=seed)


def test_lanes_past_c_in_ignored():
    # The first layer writes every row of the PE memories; in the later ones, the rows past
    # C_in of the last input-channel tile keep those stale weights while their x lanes carry
    # random values: the array must zero those lanes.
    seed = 45
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = SystolicArray(4, 4, max_c_in=16, max_c_out=16, max_k=32)
    shapes = [(12, 8, 3), (5, 4, 7), (6, 9, 5), (1, 4, 3), (11, 5, 2)]
    check_layers(dut, [rand_layer(rng, *s) for s in shapes], fill=rng, stall=0.2,
                 backpressure=0.2, seed=seed)


def test_steady_state_full_rate():
    # C_in, C_out multiples of R, C and k >= 16 max(R, C): the bound is exact, the x stream
    # never stalls inside a layer, so utilization is C_out C_in k / (R C (bound)).
    rng = np.random.default_rng(3)
    dut = SystolicArray(4, 4, max_c_in=16, max_c_out=16, max_k=64)
    c_in, c_out, k = 8, 8, 64
    (_, cycles, _), = check_layers(dut, [rand_layer(rng, c_in, c_out, k)])
    assert cycles == cycle_bound(4, 4, c_in, c_out, k) == c_in + 4 + 4 + 11 + 2 * 2 * k


def test_accumulator_extreme():
    # -128 x -128 summed max_c_in times: the largest accumulator value (see docs/systolic.md).
    c_in = 1024
    dut = SystolicArray(2, 2, max_c_in=c_in, max_c_out=4, max_k=4)
    ws = np.full((3, c_in), -128)
    ws[1] = 127
    xs = np.full((c_in, 2), -128)
    (y, _, _), = check_layers(dut, [(ws, xs)])
    assert y[0, 0] == c_in * 128 * 128 == 2**24


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("kw", [dict(rows=0), dict(cols=33), dict(max_c_in=0),
                                dict(max_c_in=4097), dict(max_c_out=0), dict(max_k=0),
                                dict(primitive="ice40"), dict(subtiles=0), dict(subtiles=3),
                                dict(subtiles=16), dict(subtiles=2.0), dict(subtiles=True)])
def test_bad_parameters(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        SystolicArray(**{"rows": 2, "cols": 2, **kw})


# Sub-tiles: (R, C, m, [(c_in, c_out, k), ...]). C_out not a multiple of m x C: the last tile
# has a partial sub-tile and sub-tiles wholly past C_out (streamed and computed as zeros);
# C_out < C; C_in not a multiple of R and C_in < R; k = 0 and k = 1; one-beat runs
# (C_in = 1) whose banks turn over faster than they are released.
SHAPES_SUB = [
    (2, 2, 2, [(4, 8, 5), (3, 5, 3), (1, 1, 1), (6, 2, 0), (5, 3, 1), (2, 9, 9), (1, 6, 1),
               (1, 13, 2)]),
    (4, 4, 4, [(8, 40, 6), (5, 9, 7), (4, 3, 1), (13, 20, 0), (3, 17, 4), (1, 33, 1)]),
    (3, 2, 2, [(7, 5, 6), (2, 2, 1), (9, 7, 3)]),
    (1, 3, 4, [(3, 4, 5), (1, 1, 1), (2, 13, 2)]),
    (2, 4, 8, [(3, 40, 2), (4, 70, 3)]),
]


@pytest.mark.parametrize("rows,cols,subtiles,shapes", SHAPES_SUB, ids=lambda v: str(v))
def test_subtiles_exact_and_cycles(rows, cols, subtiles, shapes):
    seed = 100 * subtiles + 11 * rows + cols
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = SystolicArray(rows, cols, max_c_in=16, max_c_out=80, max_k=32, subtiles=subtiles)
    # (bank, s, t): 2 x m x 2**tbits words per PE.
    assert dut.depth == 2 * subtiles * 2 ** max(1, (-(-16 // rows) - 1).bit_length())
    layers = [rand_layer(rng, *s) for s in shapes]
    res = check_layers(dut, layers)
    for (c_in, c_out, k), (_, cycles, _) in zip(shapes, res, strict=True):
        if k:
            model = cycle_model(rows, cols, c_in, c_out, k, subtiles=subtiles)
            assert cycles == model, (c_in, c_out, k)
            assert cycles <= cycle_bound(rows, cols, c_in, c_out, k, subtiles=subtiles)


@pytest.mark.parametrize("subtiles", [2, 4])
@pytest.mark.parametrize("stall,backpressure", [(0.3, 0.0), (0.0, 0.5), (0.4, 0.6)])
def test_subtiles_stalls_backpressure(subtiles, stall, backpressure):
    # Random shapes, back to back, with random x/w stalls and y backpressure; lanes past C_in
    # carry random values.
    seed = 1000 * subtiles + int(100 * stall + 10 * backpressure)
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    rows, cols = 4, 2
    dut = SystolicArray(rows, cols, max_c_in=16, max_c_out=40, max_k=16, subtiles=subtiles)
    shapes = [(int(rng.integers(1, 17)), int(rng.integers(1, 41)), int(rng.integers(0, 9)))
              for _ in range(4)]
    shapes += [(3, 1, 5), (9, subtiles * cols + 1, 0), (16, 5 * cols, 1)]
    print(f"shapes={shapes}")
    check_layers(dut, [rand_layer(rng, *s) for s in shapes], fill=rng, stall=stall,
                 backpressure=backpressure, seed=seed)


def test_subtiles_deep_memory_and_extreme():
    # max_c_in = 32 on 2 rows with m = 2: 16 tiles per sub-tile, a 64-word PE memory, every
    # word written and read over three tiles (both banks). The accumulator is as wide as one
    # sub-tile's C_in needs: C_in = 32 of -128 x -128 = 2**19 must fit.
    seed = 232
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = SystolicArray(2, 2, max_c_in=32, max_c_out=16, max_k=8, subtiles=2)
    assert dut.depth == 64
    ws = np.full((10, 32), -128)
    ws[3] = 127
    xs = np.full((32, 2), -128)
    layers = [rand_layer(rng, 32, 12, 5), rand_layer(rng, 31, 3, 4), (ws, xs),
              rand_layer(rng, 32, 2, 1)]
    res = check_layers(dut, layers, stall=0.2, backpressure=0.3, seed=seed)
    assert res[2][0][0, 0] == 32 * 128 * 128 == 2**19


def test_subtiles_steady_state_full_rate():
    # m k T >= m C_in + R + C + 3: the bound is exact and the x stream never stalls inside
    # a layer after the first tile's load (m C_in beats).
    rng = np.random.default_rng(5)
    dut = SystolicArray(4, 4, max_c_in=16, max_c_out=16, max_k=64, subtiles=2)
    c_in, c_out, k = 8, 16, 32
    (_, cycles, _), = check_layers(dut, [rand_layer(rng, c_in, c_out, k)])
    assert cycles == cycle_model(4, 4, c_in, c_out, k, subtiles=2)
    assert cycles == cycle_bound(4, 4, c_in, c_out, k, subtiles=2)
    assert cycles == 2 * c_in + 4 + 4 + 11 + 2 * (2 * k * 2)
