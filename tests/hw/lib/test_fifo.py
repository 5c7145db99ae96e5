"""Amaranth-simulator tests of hw/lib/fifo.py.

PrefetchFIFO: order, no loss, the ``w_rdy3`` margin. CreditFIFO: credits and order behind a
pipeline (the inverse Haar's and requantizer's use), and announced writes against a Python
deque (the systolic array's use). ``two_entry_fifo`` is tested through ``LaneSplit``.
"""

from __future__ import annotations

import random
from collections import deque

import pytest
from amaranth.sim import Simulator

from hw.lib.fifo import CreditFIFO, PrefetchFIFO


@pytest.mark.parametrize("depth,memory,read_p,slices", [
    (3, "lut", 0.5, 1), (4, "lut", 0.3, 1), (5, "lut", 0.9, 1), (16, "lut", 0.4, 1),
    (72, "lut", 0.2, 1), (72, "lut", 1.0, 1), (6, "memory", 0.5, 1), (40, "memory", 0.3, 1),
    (5, "lut", 0.9, 12), (16, "lut", 0.4, 3), (72, "lut", 0.2, 4), (40, "memory", 0.3, 5),
    (16, "lut", 0.6, (5, 7)), (40, "memory", 0.3, (3, 3, 6)),
])
def test_fifo_writer_on_w_rdy3(depth, memory, read_p, slices):
    """The Haar arbiter's writer: a word is taken into a register while ``w_rdy3`` was high a
    cycle before and written in the next cycle unchecked, in bursts; the reader announces
    random reads a cycle ahead (``r_next``). Every word leaves once and in order (a FIFO
    that claimed room it lacks would overwrite or drop words), and ``w_rdy3`` implies
    ``w_rdy`` in every cycle. With ``slices``, every bit of a word must come out of its
    slice's memory and head registers at the same time, and as many copies of ``w_rdy3``
    (the writer follows the last) and of ``r_rdy`` must all be equal."""
    n_sl = slices if isinstance(slices, int) else len(slices)
    seed = depth * 10 + int(read_p * 10) + (memory == "memory") + 1000 * (n_sl - 1)
    print(f"seed={seed}")
    rng = random.Random(seed)
    dut = PrefetchFIFO(width=12, depth=depth, memory=memory, slices=slices, rdy3_copies=n_sl)
    all_ones = (1 << n_sl) - 1
    n, got = 400, []

    async def bench(ctx):
        sent, free, pending = 0, 0, None
        while len(got) < n:
            # The registered write of the word taken in the previous cycle.
            ctx.set(dut.w_en, pending is not None)
            ctx.set(dut.w_data, pending or 0)
            burst = (sent // 40) % 2 == 0  # bursts at full rate, then random gaps
            take = free and sent < n and (burst or rng.random() < 0.5)
            pending = sent if take else None
            sent += bool(take)
            r_next = rng.random() < read_p
            ctx.set(dut.r_next, all_ones if r_next else 0)  # equal copies
            *_, rdy3, w_rdy, r_rdy, data = await ctx.tick().sample(
                dut.w_rdy3, dut.w_rdy, dut.r_rdy, dut.r_data)
            assert rdy3 in (0, all_ones), f"w_rdy3 copies differ: {rdy3:b}"
            assert r_rdy in (0, all_ones), f"r_rdy copies differ: {r_rdy:b}"
            free = rdy3 >> (n_sl - 1)
            assert w_rdy or not free, "w_rdy3 high while the RAM is full"
            # A read announced in the previous cycle happens now, if a word is there.
            if read_now[0] and r_rdy:
                got.append(data)
            read_now[0] = r_next

    read_now = [False]
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got == list(range(n))


@pytest.mark.parametrize("kw, name", [(dict(width=0, depth=4), "width"),
                                      (dict(width=8, depth=1), "depth"),
                                      (dict(width=8, depth=4, memory="bram"), "memory"),
                                      (dict(width=8, depth=4, slices=0), "slices"),
                                      (dict(width=8, depth=4, slices=9), "slices"),
                                      (dict(width=8, depth=4, slices=(4, 3)), "slices"),
                                      (dict(width=8, depth=4, slices=(8, 0)), "slices"),
                                      (dict(width=8, depth=4, rdy3_copies=0), "rdy3_copies")])
def test_bad_parameters(kw, name):
    with pytest.raises(ValueError, match=name):
        PrefetchFIFO(**kw)


@pytest.mark.parametrize("delay,ready_p", [(1, 1.0), (7, 1.0), (7, 0.3), (14, 0.6)])
def test_credit_fifo(delay, ready_p):
    """A pipeline of ``delay`` cycles fed whenever ``credit`` (random gaps), drained with
    random ``r_ready``: every word leaves once, in order; full rate when always ready."""
    seed = 100 * delay + int(10 * ready_p)
    print(f"seed={seed}")
    rng = random.Random(seed)
    dut = CreditFIFO(16)
    n, got, cycles = 300, [], [0]

    async def bench(ctx):
        pipe = [None] * delay
        sent = 0
        while len(got) < n:
            take = sent < n and ctx.get(dut.credit) and rng.random() < 0.9
            ctx.set(dut.take, take)
            word = pipe.pop(0)
            pipe.append(sent if take else None)
            sent += bool(take)
            ctx.set(dut.w_en, word is not None)
            ctx.set(dut.w_data, word or 0)
            ctx.set(dut.r_ready, rng.random() < ready_p)
            *_, valid, ready, data = await ctx.tick().sample(dut.r_valid, dut.r_ready,
                                                            dut.r_data)
            if valid and ready:
                got.append(data)
            cycles[0] += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got == list(range(n))
    if ready_p == 1.0 and delay + 2 <= 16:
        assert cycles[0] < n / 0.9 + 60, cycles[0]

def systolic_fifo(width, depth, *, slice_width=32, primitive="generic"):
    """The systolic array's output FIFO: writes announced a cycle ahead, no credits."""
    return CreditFIFO(width, depth, credits=False, announce=True, slice_width=slice_width,
                      primitive=primitive)


@pytest.mark.parametrize("depth,slice_width,p_write,p_ready", [
    (4, 32, 0.7, 0.5), (16, 5, 0.5, 0.9), (8, 12, 0.9, 0.2), (32, 5, 0.8, 0.7),
    (64, 7, 0.6, 0.6)])
def test_announced_fifo_random(depth, slice_width, p_write, p_ready):
    seed = depth * 100 + int(10 * p_write)
    print(f"seed={seed}")
    rng = random.Random(seed)
    dut = systolic_fifo(12, depth, slice_width=slice_width)
    ref = deque()
    popped = []

    async def bench(ctx):
        nxt, announced = 0, None
        for _ in range(3000):
            # The writer's contract: never more than depth entries, counting the announced
            # one and ignoring this cycle's pop.
            w = len(ref) + (announced is not None) < depth and rng.random() < p_write
            ready = rng.random() < p_ready
            ctx.set(dut.w_next, w)
            ctx.set(dut.w_data, announced if announced is not None else rng.randrange(4096))
            ctx.set(dut.r_ready, ready)
            valid, data = ctx.get(dut.r_valid), ctx.get(dut.r_data)
            assert valid == bool(ref), "r_valid must equal 'not empty'"
            if valid and ready:
                popped.append(data)
                assert data == ref.popleft()
            if announced is not None:
                ref.append(announced)
            announced = None
            if w:
                announced, nxt = nxt, (nxt + 1) % 4096
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    # Every entry came out once and in order (the data above are a counter).
    assert popped == list(range(len(popped)))
    assert len(popped) > 500


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("kw", [dict(width=0), dict(depth=3), dict(depth=1),
                                dict(slice_width=0), dict(primitive="xilinx")])
def test_announced_fifo_bad_parameters(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        systolic_fifo(**{"width": 8, "depth": 4, **kw})
