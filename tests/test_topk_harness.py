"""Amaranth-simulator driver of :class:`hw.topk.TopK` shared by the ``test_topk*`` tests."""

from __future__ import annotations

import random

import numpy as np
from amaranth.sim import Simulator
from amaranth_streams import stream_get, stream_put

from golden.fixedpoint import quantize_multiplier, requantize
from golden.int_model import params_from_float, wcc_int
from golden.topk import joint_score, pack_bitmap, score_code, select_topk


def quantize(w, ratio: float = 1 / 24) -> np.ndarray:
    """int8 ``q = requantize(w, m, sh, lo=-127, hi=127)`` of exact coefficients (spec stage 4)."""
    m, sh = quantize_multiplier(ratio)
    return requantize(np.asarray(w, dtype=np.int64), m, sh, lo=-127, hi=127)


def photo_map(channels: int, h: int, w: int, seed: int, name: str = "astronaut") -> np.ndarray:
    """(channels, h, w) int8 map of a real photo: colour planes at random crop offsets."""
    from skimage import data as skdata

    img = np.asarray(getattr(skdata, name)())
    img = img[..., None] if img.ndim == 2 else img
    rng = np.random.default_rng(seed)
    planes = []
    for c in range(channels):
        r0 = int(rng.integers(0, img.shape[0] - h))
        c0 = int(rng.integers(0, img.shape[1] - w))
        planes.append(img[r0:r0 + h, c0:c0 + w, c % img.shape[2]].astype(np.int64) - 128)
    return np.stack(planes)


def layer_trace(x: np.ndarray, k: int, params=None) -> dict:
    """``golden.wcc_int`` trace of int8 map ``x`` (made-up 1x1 layer unless ``params``)."""
    if params is None:
        c = x.shape[0]
        weight = np.random.default_rng(c).normal(size=(4, c))
        params = params_from_float(weight, scale_x=1.0, alpha_coef=300.0, alpha_z=1000.0,
                                   alpha_out=100.0)
    return wcc_int(x, params, k=k, trace=True)[1]


def frame_beats(q: np.ndarray, w: np.ndarray, groups: int, order) -> list[dict]:
    """(C, N) int8 ``q`` and exact ``w`` coefficients -> input beats, positions in ``order``."""
    lanes = q.shape[0] // groups
    beats = []
    for p in order:
        for g in range(groups):
            sl = slice(g * lanes, (g + 1) * lanes)
            beat = {"data": [int(v) for v in q[sl, p]], "coef": [int(v) for v in w[sl, p]],
                    "pos": int(p), "last": 0}
            if groups > 1:
                beat["group"] = g
            beats.append(beat)
    beats[-1]["last"] = 1
    return beats


def expected(q: np.ndarray, w: np.ndarray, k: int, groups: int, mant_bits: int = 7):
    """Golden bitmap (scored on ``w``), its words and kept-column beats of ``q``."""
    bm = select_topk(score_code(joint_score(w), mant_bits), k)
    lanes = q.shape[0] // groups
    cols = [[int(v) for v in q[g * lanes:(g + 1) * lanes, p]]
            for p in np.nonzero(bm)[0] for g in range(groups)]
    return bm, [int(w) for w in pack_bitmap(bm)], cols


def run_frames(dut, frames, *, seed: int, stall: float = 0.0, backpressure: float = 0.0,
               shuffle: bool = True):
    """Run ``frames`` = [(q, w, k), ...] back to back; return per-frame results.

    Each result: dict(words, cols, col_last, word_last, cycles) where ``cycles`` counts clock
    edges from the one accepting the frame's ``last`` input to the one accepting its last
    output beat.
    """
    rng = random.Random(seed)
    g = dut.groups
    plan = []
    for q, w, k in frames:
        n = q.shape[1]
        order = list(range(n))
        if shuffle:
            rng.shuffle(order)
        plan.append((q, k, n, frame_beats(q, w, g, order)))
    results = [dict() for _ in plan]

    async def source(ctx):
        for _q, k, n, beats in plan:
            ctx.set(dut.k, k)
            ctx.set(dut.n, n)
            await stream_put(ctx, dut.i, beats, stall=stall, rng=random.Random(rng.random()))

    async def bitmap_sink(ctx):
        for (_, _, n, _), res in zip(plan, results, strict=True):
            got = await stream_get(ctx, dut.bitmap, -(-n // 32), backpressure=backpressure,
                                   rng=random.Random(seed + 1))
            res["words"] = [int(b.word) for b in got]
            res["word_last"] = [int(b.last) for b in got]

    async def cols_sink(ctx):
        for (_, k, _, _), res in zip(plan, results, strict=True):
            got = await stream_get(ctx, dut.cols, k * g, backpressure=backpressure,
                                   rng=random.Random(seed + 2))
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
        bm, words, cols = expected(q, w, k, dut.groups, dut.mant_bits)
        assert int(bm.sum()) == k
        got_bm = np.unpackbits(np.array(res["words"], dtype="<u4").view(np.uint8),
                               bitorder="little")
        assert int(got_bm.sum()) == k, "not exactly k bits set"
        assert res["words"] == words
        assert res["word_last"] == [0] * (len(words) - 1) + [1]
        assert res["cols"] == cols
        assert res["col_last"] == ([0] * (len(cols) - 1) + [1] if cols else [])


def test_expected_matches_golden_tie_rule():
    """The harness's reference: scored on w, exactly k kept, ties in increasing position."""
    w = np.array([[1, 2, 2, 2, 0, 2]])
    q = np.array([[5, 6, 7, 8, 9, 10]])
    bm, words, cols = expected(q, w, 3, groups=1)
    assert bm.tolist() == [False, True, True, True, False, False]
    assert words == [0b1110]
    assert cols == [[6], [7], [8]]

