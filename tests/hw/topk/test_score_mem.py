"""Tests of :class:`hw.topk.score_mem.ScoreMemory`: running scores of group-major frames."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.topk import joint_score
from hw.topk.score_mem import ScoreMemory

LANES = 2


def partials(w) -> np.ndarray:
    """(groups * LANES, n) coefficients -> (groups, n) per-beat sums of squares."""
    return np.stack([joint_score(w[g:g + LANES]) for g in range(0, w.shape[0], LANES)])


def schedule(frames, rng, gap: float, shuffle: bool = True):
    """Cycle-by-cycle operations of back-to-back frames (None: no beat that cycle).

    frames = [w (groups * LANES, n), ...]: every position of group 0 (in a random order with
    ``shuffle``), then of group 1 (in another), ...; ``gap``: probability of an idle cycle
    before a beat. An operation is (position, first group, last group, partial sum, frame).
    """
    ops = []
    for f, w in enumerate(frames):
        parts = partials(w)
        groups, n = parts.shape
        for g in range(groups):
            for p in (rng.permutation(n) if shuffle else range(n)):
                while rng.random() < gap:
                    ops.append(None)
                ops.append((int(p), g == 0, g == groups - 1, int(parts[g, p]), f))
    return ops


def run(dut, ops):
    """Drive ``ops`` (address phase, then the partial sum ``lead`` cycles later); return the
    (position, score) totals in the order they leave."""
    got = []

    async def bench(ctx):
        for c in range(len(ops) + dut.lead + 2):
            op = ops[c] if c < len(ops) else None
            ctx.set(dut.a_valid, op is not None)
            if op is not None:
                ctx.set(dut.a_pos, op[0])
                ctx.set(dut.a_first, op[1])
                ctx.set(dut.a_last, op[2])
            back = ops[c - dut.lead] if 0 <= c - dut.lead < len(ops) else None
            # Garbage when no beat is due: the pipeline must ignore it.
            ctx.set(dut.i_partial, back[3] if back is not None else (c * 7919) % 1000)
            _, _, ov, osc, opos = await ctx.tick().sample(dut.o_valid, dut.o_score, dut.o_pos)
            if ov:
                got.append((opos, osc))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return got


def want(frames, ops):
    """Golden: ``joint_score`` of the whole frame, in the order of the last-group beats."""
    scores = [joint_score(w) for w in frames]
    return [(op[0], int(scores[op[4]][op[0]])) for op in ops if op is not None and op[2]]


def random_frames(rng, shapes):
    """Coefficient maps of (groups, n) shapes, LANES channels a group, 14-bit range."""
    return [rng.integers(-2**13, 2**13, size=(g * LANES, n)) >> rng.integers(0, 13, size=(1, n))
            for g, n in shapes]


@pytest.mark.parametrize("lead, gap", [(3, 0.0), (3, 0.3), (6, 0.0), (5, 0.5)])
def test_running_scores_match_golden(lead, gap):
    """Tiny frames (the same position back within the read-modify-write: n = 1, 2, 3) and
    larger ones, groups 1..4, shuffled within each group, back to back (a frame's group 0
    must not see the previous frame's totals still in flight), with and without idle
    cycles."""
    seed = 100 + 10 * lead + int(10 * gap)
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    shapes = [(3, 1), (3, 2), (4, 1), (2, 3), (4, 2), (1, 1), (3, 3), (4, 3), (2, 1), (3, 17),
              (1, 5), (4, 9), (2, 2), (4, 1)]
    frames = random_frames(rng, shapes)
    dut = ScoreMemory(width=30, depth=32, lead=lead)
    ops = schedule(frames, rng, gap)
    assert run(dut, ops) == want(frames, ops)


def test_every_forwarding_distance():
    """The same position back 1, 2, 3, 4 and 5 cycles later (n = 1..5, positions in order):
    each in-flight total forwarded (1..4) and the first one read from the memory (5)."""
    seed = 7
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    for n in (1, 2, 3, 4, 5):
        frames = random_frames(rng, [(4, n)])
        ops = schedule(frames, rng, 0.0, shuffle=False)
        assert run(ScoreMemory(width=30, depth=8), ops) == want(frames, ops), n


@pytest.mark.parametrize("kwargs, name", [
    ({"width": 0, "depth": 8}, "width"), ({"width": 8, "depth": 1}, "depth"),
    ({"width": 8, "depth": 32768, "primitive": "ecp5"}, "depth"),
    ({"width": 8, "depth": 8, "lead": 2}, "lead"),
    ({"width": 8, "depth": 8, "primitive": "xilinx"}, "primitive"),
])
def test_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ScoreMemory(**kwargs)
