"""Tests of verif/topk_harness.py: a hung top-k unit fails at its documented latency bound."""

from __future__ import annotations

import re

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring

from hw.topk import TopK
from verif.stimulus import quantize
from verif.topk_harness import run_frames, wait_bound


class SilentTopK(wiring.Component):
    """A :class:`hw.topk.TopK` whose outputs never go valid: it takes a frame, then hangs.

    Members
    -------
    i, k, n, groups, bitmap, cols, busy
        As :class:`hw.topk.TopK`'s; ``bitmap.valid`` and ``cols.valid`` are held at 0.
    """

    def __init__(self, inner: TopK):
        self.inner = inner
        self.lanes, self.max_groups, self.mant_bits = inner.lanes, inner.max_groups, 7
        self.cycles_after_last_input = inner.cycles_after_last_input
        super().__init__(inner.signature)

    def elaborate(self, platform):
        m = Module()
        m.submodules.inner = inner = self.inner
        wiring.connect(m, wiring.flipped(self.i), inner.i)
        m.d.comb += [inner.k.eq(self.k), inner.n.eq(self.n), inner.groups.eq(self.groups),
                     self.busy.eq(inner.busy)]
        for name in ("bitmap", "cols"):
            mine, theirs = getattr(self, name), getattr(inner, name)
            m.d.comb += [mine.payload.eq(theirs.payload), mine.valid.eq(0),
                         theirs.ready.eq(mine.ready)]
        return m


@pytest.mark.parametrize("stall,backpressure", [(0.0, 0.0), (0.3, 0.4)])
def test_silent_unit_fails_at_its_bound(stall, backpressure):
    """The sinks give up after :func:`wait_bound` cycles: twice the documented input plus
    ``cycles_after_last_input``, stretched by the stalls, plus 64; not a million cycles."""
    seed = 12
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    inner = TopK(lanes=2, max_n=64, bins_per_cycle=32)
    n = 64
    w = rng.integers(-500, 500, size=(2, n))
    with pytest.raises(AssertionError, match=r"timeout: 0 of \d+ beats") as err:
        run_frames(SilentTopK(inner), [(quantize(w), w, 9)], seed=seed, stall=stall,
                   backpressure=backpressure)
    waited = int(re.search(r"in (\d+) cycles", str(err.value)).group(1))
    bound = wait_bound(inner, n, 1, stall=stall, backpressure=backpressure)
    assert waited == bound
    assert bound == int(2 * (2 * n + inner.latency_const) / ((1 - stall) * (1 - backpressure))
                        ) + 64
    assert bound < 20 * (n + inner.cycles_after_last_input(n))
