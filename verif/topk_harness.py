"""Amaranth-simulator driver of :class:`hw.topk.TopK`: frames in, bitmap, columns, cycles out."""

from __future__ import annotations

import random

import numpy as np
from amaranth.sim import Simulator

from .amaranth_streams import stream_get, stream_put
from .stimulus import expected, frame_beats

__all__ = ["check_frames", "frame_groups", "run_frames", "wait_bound"]


def frame_groups(dut, q) -> int:
    """Channel groups of frame ``q`` (C x N) on ``dut``: C / lanes, within 1..max_groups."""
    groups, rest = divmod(q.shape[0], dut.lanes)
    if rest or not 1 <= groups <= dut.max_groups:
        raise ValueError(f"a frame of {q.shape[0]} channels does not fit {dut.lanes} lanes x "
                         f"1..{dut.max_groups} groups")
    return groups


def wait_bound(dut, n: int, groups: int, prev_beats: int = 0, *, stall: float = 0.0,
               backpressure: float = 0.0) -> int:
    """Cycles an output sink waits for a frame's outputs before it reports a hung unit.

    Counted from the end of the previous frame's outputs: that frame's emission may still run
    (``prev_beats`` = its ``n * groups``; the input of a frame follows the emission of the one
    before), then the frame's ``n * groups`` input beats and the documented
    ``cycles_after_last_input``. Stalls and backpressure stretch the input and the emission by
    at most ``1 / (1 - p)`` on average; twice that, plus 64 cycles, is the margin.
    """
    documented = prev_beats + n * groups + dut.cycles_after_last_input(n, groups)
    return int(2 * documented / ((1 - stall) * (1 - backpressure))) + 64


def run_frames(dut, frames, *, seed: int, stall: float = 0.0, backpressure: float = 0.0,
               shuffle: bool = True):
    """Run ``frames`` = [(q, w, k), ...] back to back; return per-frame results.

    A frame's channel count sets its run-time ``groups`` (C / lanes), so frames may differ in
    ``groups`` as in ``n`` and ``k``. Its beats go in group-major; with ``shuffle`` the
    positions of each group are in an order of their own (seeded).

    Each result: dict(words, cols, col_last, word_last, cycles, groups) where ``cycles`` counts
    clock edges from the one accepting the frame's ``last`` input to the one accepting its
    last output beat.
    """
    rng = random.Random(seed)
    plan = []
    for q, w, k in frames:
        n, g = q.shape[1], frame_groups(dut, q)
        orders = [list(range(n)) for _ in range(g)]
        if shuffle:
            for order in orders:
                rng.shuffle(order)
        plan.append((g, k, n, frame_beats(q, w, g, orders)))
    results = [{"groups": g} for g, _, _, _ in plan]

    async def source(ctx):
        for g, k, n, beats in plan:
            ctx.set(dut.k, k)
            ctx.set(dut.n, n)
            ctx.set(dut.groups, g)
            await stream_put(ctx, dut.i, beats, stall=stall, rng=random.Random(rng.random()))

    # A hung unit fails at its documented latency plus a margin, not after a million cycles.
    bounds = [wait_bound(dut, n, g, plan[j - 1][2] * plan[j - 1][0] if j else 0, stall=stall,
                         backpressure=backpressure) for j, (g, _, n, _) in enumerate(plan)]
    # A frame without kept columns returns at once: the next one's wait covers both.
    col_bounds, carry = [], 0
    for (_, k, _, _), tmo in zip(plan, bounds, strict=True):
        col_bounds.append(carry + tmo)
        carry = carry + tmo if k == 0 else 0

    async def bitmap_sink(ctx):
        for (_, _, n, _), res, tmo in zip(plan, results, bounds, strict=True):
            got = await stream_get(ctx, dut.bitmap, -(-n // 32), backpressure=backpressure,
                                   rng=random.Random(seed + 1), timeout=tmo)
            res["words"] = [int(b.word) for b in got]
            res["word_last"] = [int(b.last) for b in got]

    async def cols_sink(ctx):
        for (g, k, _, _), res, tmo in zip(plan, results, col_bounds, strict=True):
            got = await stream_get(ctx, dut.cols, k * g, backpressure=backpressure,
                                   rng=random.Random(seed + 2), timeout=tmo)
            res["cols"] = [[int(v) for v in b.data] for b in got]
            res["col_last"] = [int(b.last) for b in got]

    async def timer(ctx):
        idx, t_in, cycle = 0, None, 0
        outs_left = None
        while idx < len(plan):
            _, k, n, _ = plan[idx]
            (_, _, iv, ir, il, bv, br, bl, cv, cr, cl) = await ctx.tick().sample(
                dut.i.valid, dut.i.ready, dut.i.p.last, dut.bitmap.valid, dut.bitmap.ready,
                dut.bitmap.p.last, dut.cols.valid, dut.cols.ready, dut.cols.p.last)
            cycle += 1
            if iv and ir and il:
                t_in, outs_left = cycle, 1 + (k > 0)
            if t_in is not None:
                outs_left -= int(bv and br and bl) + int(cv and cr and cl)
                if outs_left == 0:
                    results[idx]["cycles"] = cycle - t_in
                    idx, t_in = idx + 1, None

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(source)
    sim.add_testbench(bitmap_sink)
    sim.add_testbench(cols_sink)
    sim.add_testbench(timer, background=True)
    sim.run()
    return results


def check_frames(dut, frames, results):
    """Assert every frame's outputs against golden, exactly k bits set, and last flags."""
    for (q, w, k), res in zip(frames, results, strict=True):
        bm, words, cols = expected(q, w, k, frame_groups(dut, q), dut.mant_bits)
        assert int(bm.sum()) == k
        got_bm = np.unpackbits(np.array(res["words"], dtype="<u4").view(np.uint8),
                               bitorder="little")
        assert int(got_bm.sum()) == k, "not exactly k bits set"
        assert res["words"] == words
        assert res["word_last"] == [0] * (len(words) - 1) + [1]
        assert res["cols"] == cols
        assert res["col_last"] == ([0] * (len(cols) - 1) + [1] if cols else [])
