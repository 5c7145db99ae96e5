"""Tests of :class:`hw.topk.code.ScoreCode` against ``golden.topk.score_code``."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.topk import code_bits, score_bits, score_code
from hw.topk.code import ScoreCode


@pytest.mark.parametrize("channels, mant_bits", [(16, 7), (32, 7), (3, 4)])
def test_codes_match_golden(channels, mant_bits):
    """Every bit length's edges plus random scores, streamed back to back with their tags."""
    seed = channels + mant_bits
    print(f"seed={seed}")
    sb = score_bits(channels)
    rng = np.random.default_rng(seed)
    edges = [v for b in range(sb + 1) for v in ((1 << b) - 1, 1 << b, (1 << b) + 1)]
    scores = [s for s in edges if s < (1 << sb)] + [int(v) for v in rng.integers(0, 1 << sb, 200)]
    scores += [channels * 128 * 128]
    want = [int(c) for c in score_code(np.array(scores), mant_bits)]
    dut = ScoreCode(sb, mant_bits, tag_width=12)
    assert dut.code_width == code_bits(sb, mant_bits)
    got = {}

    async def bench(ctx):
        for i, s in enumerate(scores + [0] * dut.latency):
            ctx.set(dut.i_valid, i < len(scores))
            ctx.set(dut.i_score, s)
            ctx.set(dut.i_tag, i)
            _, _, ov, oc, ot = await ctx.tick().sample(dut.o_valid, dut.o_code, dut.o_tag)
            if ov:
                got[ot] = oc

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert [got[i] for i in range(len(scores))] == want


def test_bad_parameters():
    with pytest.raises(ValueError, match="sbits"):
        ScoreCode(0)
    with pytest.raises(ValueError, match="mant_bits"):
        ScoreCode(16, mant_bits=0)
    with pytest.raises(ValueError, match="tag_width"):
        ScoreCode(16, tag_width=65)
