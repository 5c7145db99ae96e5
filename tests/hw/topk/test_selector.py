"""Amaranth-simulator tests of :class:`hw.topk.TopK` against ``golden`` (small frames).

Frames carry the int8 coefficients ``q`` (stored, emitted) and the exact Haar coefficients
``w`` (scored), ``q = requantize(w, ...)`` as spec stage 4.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.back import rtlil

from golden.int_haar import coef_bits, int_dwt2
from golden.topk import joint_score, score_code
from hw.topk import TopK
from verif.stimulus import layer_trace, photo_map, quantize
from verif.topk_harness import check_frames, run_frames

WMAX = 2 ** (coef_bits(3) - 1)  # 8192: -8192 is the most negative 14-bit coefficient


def ks_for(n: int) -> list[int]:
    """The k values every configuration is run with: 0, 1, N/8, N/4, N/2, N-1, N."""
    return sorted({0, 1, n // 8, n // 4, n // 2, n - 1, n})


def run_and_check(dut, frames, seed, **kw):
    print(f"seed={seed}")
    res = run_frames(dut, frames, seed=seed, **kw)
    check_frames(dut, frames, res)
    return res


def random_w(rng, c: int, n: int) -> np.ndarray:
    """Exact coefficients over the whole 14-bit range, mostly small (like Haar details)."""
    return np.clip(rng.laplace(0, rng.choice([30, 300, 3000], size=(1, n)), size=(c, n)),
                   -WMAX, WMAX - 1).astype(np.int64)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_all_k_back_to_back(seed):
    """Random coefficients, all k values as consecutive frames (the histogram self-clears)."""
    rng = np.random.default_rng(seed)
    dut = TopK(lanes=4, max_n=64, bins_per_cycle=32)
    n = 50
    w = random_w(rng, 4, n)
    frames = [(quantize(w), w, k) for k in ks_for(n)]
    res = run_and_check(dut, frames, seed)
    for r in res:
        assert r["cycles"] == dut.cycles_after_last_input(n)


def test_photo_matches_wcc_int_trace():
    """A real photo (8 channels, 8x16) through golden.wcc_int: bitmap and columns, every k."""
    seed = 11
    x = photo_map(8, 8, 16, seed)
    n = x.shape[1] * x.shape[2]
    dut = TopK(lanes=8, max_n=n, bins_per_cycle=32)
    traces = [layer_trace(x, k) for k in ks_for(n)]
    assert (traces[0]["coeffs"] == int_dwt2(x, 3)).all()
    frames = [(t["q"], t["coeffs"], t["k"]) for t in traces]
    res = run_and_check(dut, frames, seed)
    for t, r in zip(traces, res, strict=True):
        got = np.unpackbits(np.array(r["words"], dtype="<u4").view(np.uint8),
                            bitorder="little")[:n].astype(bool)
        assert (got == t["bitmap"]).all()
        assert r["cols"] == t["cols"].T.tolist()


def test_ties_all_equal_and_two_values():
    """All scores equal, two distinct scores, equal codes from different scores."""
    seed = 3
    rng = np.random.default_rng(seed)
    dut = TopK(lanes=2, max_n=64, bins_per_cycle=32)
    n = 64
    same = np.full((2, n), 500)
    two = np.where(rng.random((1, n)) < 0.5, 300, -900) * np.ones((2, 1), dtype=int)
    # Scores 2 * 4000**2 .. 2 * 4005**2 (0.25 % apart): few distinct codes, many ties.
    near = np.repeat(4000 + rng.integers(0, 6, size=(1, n)), 2, axis=0)
    frames = [(quantize(same), same, k) for k in (1, 8, 33, 63)]
    frames += [(quantize(two), two, k) for k in ks_for(n)]
    frames += [(quantize(near), near, k) for k in (1, 16, 40)]
    run_and_check(dut, frames, seed)


def test_extremes_no_overflow():
    """Every channel at -2**13 (the largest score) or 2**13 - 1, mixed with small values."""
    seed = 4
    rng = np.random.default_rng(seed)
    dut = TopK(lanes=8, max_n=40, bins_per_cycle=32)
    n = 40
    w = rng.choice([-WMAX, WMAX - 1], size=(8, n))
    w[:, ::3] = rng.integers(-3, 4, size=(8, len(range(0, n, 3))))
    w[:, 7] = -WMAX
    low = np.full((8, n), -WMAX)
    frames = [(quantize(w), w, k) for k in (1, 5, 10, 20)] + [(quantize(low), low, 13)]
    run_and_check(dut, frames, seed)


@pytest.mark.parametrize("seed", [5, 6])
def test_stalls_and_backpressure(seed):
    """Random input gaps and random output ready: same results, outputs never lost."""
    rng = np.random.default_rng(seed)
    dut = TopK(lanes=3, max_n=48, bins_per_cycle=32)
    n = 45
    w = random_w(rng, 3, n)
    frames = [(quantize(w), w, k) for k in (0, 1, 11, 22, 44, 45)]
    run_and_check(dut, frames, seed, stall=0.3, backpressure=0.4)


@pytest.mark.parametrize("groups", [2, 3])
def test_groups(groups):
    """Several channel groups, group-major, each group's positions in an order of their own:
    scores add over the groups in the score memory, columns leave position by position."""
    seed = 7 + groups
    rng = np.random.default_rng(seed)
    dut = TopK(lanes=2, max_groups=groups, max_n=32, bins_per_cycle=32)
    n = 32
    w = random_w(rng, 2 * groups, n)
    frames = [(quantize(w), w, k) for k in (0, 1, 4, 8, 31, 32)]
    run_and_check(dut, frames, seed, stall=0.2, backpressure=0.2)
    res = run_frames(dut, frames[2:4], seed=seed)
    for r in res:
        assert r["cycles"] == dut.cycles_after_last_input(n, groups)


def frame(rng, lanes: int, groups: int, n: int, k: int):
    """A random frame of ``groups`` groups: (q, w, k)."""
    w = random_w(rng, lanes * groups, n)
    return quantize(w), w, k


@pytest.mark.parametrize("seed", [21, 22])
def test_groups_n_k_change_every_frame(seed):
    """Back-to-back frames that each pick their own groups (1..4), n and k (0 and n
    included), with random input stalls and output backpressure; then the same frames
    without either, for the exact cycle count ``n * groups + latency_const``."""
    rng = np.random.default_rng(seed)
    dut = TopK(lanes=2, max_groups=4, max_n=40, bins_per_cycle=32)
    frames = []
    for _ in range(8):
        g, n = int(rng.integers(1, 5)), int(rng.integers(1, 41))
        frames.append(frame(rng, 2, g, n, int(rng.choice([0, n, rng.integers(0, n + 1)]))))
    run_and_check(dut, frames, seed, stall=0.3, backpressure=0.4)
    res = run_and_check(dut, frames, seed + 100)
    for (q, _, _), r in zip(frames, res, strict=True):
        assert r["cycles"] == dut.cycles_after_last_input(q.shape[1], r["groups"])


def test_tiny_frames():
    """n = 1, 2, 3 with 1..4 groups and every k: a position comes back within the score
    memory's read-modify-write (its in-flight sums are forwarded). Exact cycle counts."""
    seed = 23
    rng = np.random.default_rng(seed)
    dut = TopK(lanes=3, max_groups=4, max_n=8, bins_per_cycle=32)
    frames = [frame(rng, 3, g, n, k) for n in (1, 2, 3) for g in (1, 2, 3, 4)
              for k in range(n + 1)]
    res = run_and_check(dut, frames, seed)
    for (q, _, _), r in zip(frames, res, strict=True):
        assert r["cycles"] == dut.cycles_after_last_input(q.shape[1], r["groups"])
    run_and_check(dut, frames[::3], seed + 1, stall=0.4, backpressure=0.5)


def test_groups_ties():
    """Ties across groups: equal scores made of different per-group sums (a channel's square
    moves from one group to another), all equal, two values."""
    seed = 24
    rng = np.random.default_rng(seed)
    dut = TopK(lanes=2, max_groups=3, max_n=48, bins_per_cycle=32)
    n = 48
    moved = np.zeros((6, n), dtype=np.int64)
    moved[rng.integers(0, 6, size=n), np.arange(n)] = 700  # one channel at 700, any group
    same = np.full((4, n), -333)
    two = np.where(rng.random((1, n)) < 0.5, 300, -900) * np.ones((6, 1), dtype=int)
    frames = [(quantize(moved), moved, k) for k in (1, 17, 47)]
    frames += [(quantize(same), same, k) for k in (0, 5, 48)]
    frames += [(quantize(two), two, k) for k in ks_for(n)]
    run_and_check(dut, frames, seed, stall=0.2, backpressure=0.3)


@pytest.mark.parametrize("seed", [31, 32])
def test_threshold_ties_random(seed):
    """Few distinct scores (many positions share the threshold's code) and random k: the
    kept set is the first k positions of a stable sort by decreasing code (an order, not the
    threshold rule), so keeping every position at the threshold's code, or none of them,
    fails. Most frames keep part of the threshold's ties (0 < need < count at t)."""
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = TopK(lanes=2, max_n=64, bins_per_cycle=32)
    frames, partial = [], 0
    for _ in range(8):
        n = int(rng.integers(20, 65))
        mags = rng.choice([0, 40, 300, 2000], size=rng.integers(2, 5), replace=False)
        w = (rng.choice(mags, size=(1, n)) * rng.choice([-1, 1], size=(2, n))).astype(np.int64)
        k = int(rng.integers(1, n))
        code = score_code(joint_score(w))
        want = np.zeros(n, bool)
        want[np.argsort(-code, kind="stable")[:k]] = True
        t = code[want].min()
        partial += int(0 < k - (code > t).sum() < (code == t).sum())
        frames.append((quantize(w), w, k, want))
    assert partial >= 4, "the frames must split ties at the threshold"
    res = run_and_check(dut, [f[:3] for f in frames], seed, stall=0.1, backpressure=0.2)
    for (q, _, _, want), r in zip(frames, res, strict=True):
        got = np.unpackbits(np.array(r["words"], dtype="<u4").view(np.uint8),
                            bitorder="little")[:q.shape[1]].astype(bool)
        assert got.tolist() == want.tolist()
        assert r["cols"] == q[:, want].T.tolist()


def test_one_group_on_a_grouped_build():
    """groups = 1 on a max_groups = 3 build: same results as the one-group build; the score
    takes one cycle more (the score memory's adder), the scan covers the codes of C = 12."""
    seed = 25
    rng = np.random.default_rng(seed)
    w = random_w(rng, 4, 30)
    frames = [(quantize(w), w, k) for k in (0, 7, 30)]
    grouped, single = (TopK(lanes=4, max_groups=mg, max_n=32, bins_per_cycle=32)
                       for mg in (3, 1))
    got = [run_and_check(d, frames, seed) for d in (grouped, single)]
    assert grouped.score_latency == single.score_latency + 1
    for a, b in zip(*got, strict=True):
        assert a["words"] == b["words"] and a["cols"] == b["cols"]
        assert a["cycles"] == grouped.cycles_after_last_input(30, 1)
        assert b["cycles"] == single.cycles_after_last_input(30)


def test_bound_and_memory():
    """Documented figures: the latency formula is n * groups + a constant; memory sizes."""
    dut = TopK(lanes=16, max_n=4096)
    assert dut.sbits == 31 and dut.code_width == 12
    assert dut.cycles_after_last_input(4096) == 4096 + dut.latency_const
    # docs/topk.md: N + 798 for C = 16, N + 831 for C = 32 (4 bins per scan cycle)
    assert dut.latency_const == 798 and TopK(lanes=32, max_n=4096).latency_const == 831
    assert dut.memory_bits["coefficients"] == 4096 * 16 * 8
    assert dut.memory_bits["codes"] == 4096 * dut.code_width
    assert dut.memory_bits["scores"] == 0
    assert dut.memory_bits["total"] == sum(
        v for key, v in dut.memory_bits.items() if key != "total")
    # Up to 3 x 16 channels: scores of C = 48 (32 bits), one cycle more for the score memory
    # (docs/topk.md: 3N + 847 with 4 bins per scan cycle).
    big = TopK(lanes=16, max_groups=3, max_n=4096)
    assert big.sbits == 32 and big.latency_const == big.scan_cycles + 22 == 847
    assert big.cycles_after_last_input(4096, 3) == 3 * 4096 + big.latency_const
    assert big.memory_bits["coefficients"] == 3 * 4096 * 16 * 8
    assert big.memory_bits["scores"] == 4096 * 32
    # Word group * 2**ceil(log2(max_n)) + pos: the last group needs only max_n words.
    odd = TopK(lanes=2, max_groups=3, max_n=40)
    assert odd.coef_depth == 2 * 64 + 40
    with pytest.raises(ValueError, match="groups"):
        big.cycles_after_last_input(16, 4)


def test_ecp5_primitive_elaborates():
    """The ECP5 variant (simulated in sim/test_topk.py) elaborates: a DP16KD per memory bank,
    a MULT18X18D per lane."""
    dut = TopK(lanes=4, max_n=4096, primitive="ecp5")
    text = rtlil.convert(dut)
    assert text.count("cell \\DP16KD") == 8 + 3 + 4  # 32 / 4, 12-bit codes / 4, histogram
    assert text.count("cell \\MULT18X18D") == 4
    # 4 groups of 1024 positions: 4096-word coefficient banks (x4, 32 / 4), 31-bit scores and
    # 12-bit codes in x18 banks (2 + 1), the histogram (4 x 11-bit counts a word: 3).
    dut = TopK(lanes=4, max_groups=4, max_n=1024, primitive="ecp5")
    text = rtlil.convert(dut)
    assert text.count("cell \\DP16KD") == 8 + 2 + 1 + 3


@pytest.mark.parametrize("kwargs, name", [
    ({"lanes": 0}, "lanes"), ({"lanes": 4, "max_groups": 0}, "max_groups"),
    ({"lanes": 4, "max_groups": 257}, "max_groups"),
    ({"lanes": 4, "max_groups": True}, "max_groups"),
    ({"lanes": 4, "max_n": 1}, "max_n"), ({"lanes": 4, "mant_bits": 0}, "mant_bits"),
    ({"lanes": 4, "bins_per_cycle": 3}, "bins_per_cycle"),
    ({"lanes": 4, "coef_bits": 1}, "coef_bits"), ({"lanes": 4, "coef_bits": 25}, "coef_bits"),
    ({"lanes": 4, "primitive": "xilinx"}, "primitive"),
    ({"lanes": 4, "max_n": 32768, "primitive": "ecp5"}, "max_n"),
    ({"lanes": 4, "max_groups": 5, "max_n": 4096, "primitive": "ecp5"}, "max_groups"),
    ({"lanes": 4, "coef_bits": 20, "primitive": "ecp5"}, "coef_bits"),
])
def test_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        TopK(**kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("channels, lanes, size", [(16, 16, 64), (48, 16, 32)])
def test_ocr_activation(channels, lanes, size):
    """The real PP-OCRv4 activation (p2o.Add.35 on astronaut), calibrated at keep 0.25: a
    ``size`` x ``size`` crop of its first ``channels`` channels through golden.wcc_int."""
    from dataclasses import replace

    from golden import calibrate, wcc_int
    from wcc.data import ocr_layer

    act, weight, bias = ocr_layer("p2o.Add.35", "astronaut", 512)
    params, x_int8 = calibrate(act, weight, bias, keep=0.25)
    full = wcc_int(x_int8, params, keep=0.25, trace=True)[1]
    assert int(full["bitmap"].sum()) == full["k"]
    x = x_int8[:channels, 32:32 + size, 32:32 + size]
    params = replace(params, weight=params.weight[:, :channels])
    t = wcc_int(x, params, keep=0.25, trace=True)[1]
    n = size * size
    dut = TopK(lanes=lanes, max_groups=channels // lanes, max_n=n)
    frames = [(t["q"], t["coeffs"], t["k"])]
    res = run_and_check(dut, frames, seed=0, shuffle=False)
    got = np.unpackbits(np.array(res[0]["words"], dtype="<u4").view(np.uint8),
                        bitorder="little")[:n].astype(bool)
    assert (got == t["bitmap"]).all()
    assert np.array(res[0]["cols"]).reshape(-1, channels).T.tolist() == t["cols"].tolist()
    assert res[0]["cycles"] == dut.cycles_after_last_input(n, channels // lanes)
