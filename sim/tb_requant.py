"""cocotb side of the requantizer test: random and corner int32 beats, stalls, backpressure."""

from __future__ import annotations

import random

import cocotb
import numpy as np
from amaranth.hdl import unsigned
from amaranth.lib import data
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge

from golden.fixedpoint import INT32_MAX, INT32_MIN, requantize
from hw.lib.layouts import requant_in_layout, requant_out_layout
from verif.cocotb_streams import StreamSink, StreamSource, pack, unpack
from verif.runner import tb_config

TAG = data.StructLayout({"pos": unsigned(12), "last": 1})


def layouts(cfg):
    lanes, ow = cfg["lanes"], cfg["out_width"]
    return (requant_in_layout(lanes, cfg["offset"], TAG),
            requant_out_layout(lanes, ow, TAG))


@cocotb.test()
async def requant_random(dut):
    cfg = tb_config()
    seed = cfg["seed"]
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    lanes = cfg["lanes"]
    i_layout, o_layout = layouts(cfg)
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    corners = [INT32_MIN, INT32_MAX, -1, 0, 1, 2**30, -(2**30), 3, -3]
    for trial in range(cfg["trials"]):
        mult = int(rng.choice([0, 1, 2**30, INT32_MAX, int(rng.integers(0, 2**31))]))
        shift = int(rng.choice([0, 31, int(rng.integers(0, 32))]))
        dut.multiplier.value = mult
        dut.shift.value = shift
        n = cfg["beats"]
        sc = rng.integers(1, 33, (n, lanes))
        xs = rng.integers(INT32_MIN, INT32_MAX, (n, lanes), endpoint=True) >> (32 - sc)
        xs.flat[: len(corners)] = corners[: xs.size]
        offs = (rng.integers(INT32_MIN, INT32_MAX, (n, lanes), endpoint=True) >> (32 - sc[::-1])
                if cfg["offset"] else np.zeros_like(xs))
        beats = [{"data": [int(v) for v in xs[b]], "offset": [int(v) for v in offs[b]],
                  "tag": {"pos": b, "last": int(b == n - 1)}} for b in range(n)]
        src = StreamSource(dut, "i", dut.clk, i_layout, stall=cfg["stall"],
                           rng=random.Random(seed + trial))
        sink = StreamSink(dut, "o", dut.clk, o_layout, backpressure=cfg["backpressure"],
                          rng=random.Random(seed + 100 + trial))
        send = cocotb.start_soon(src.send(beats))
        got = await sink.collect(n, timeout_cycles=50 * n + 100)
        await send
        want = requantize(xs, mult, shift, offset=offs, lo=cfg["lo"], hi=cfg["hi"])
        have = np.array([g["data"] for g in got], np.int64)
        assert np.array_equal(have, want), (
            f"trial {trial} m={mult} sh={shift}: first mismatch at "
            f"{np.argwhere(have != want)[:1].tolist()}")
        assert [g["tag"]["pos"] for g in got] == list(range(n))
        assert [g["tag"]["last"] for g in got] == [0] * (n - 1) + [1]
        await RisingEdge(dut.clk)


@cocotb.test()
async def requant_latency(dut):
    """A burst of 3 x latency beats under a ready sink: accepted and delivered one per cycle,
    each exactly ``latency`` cycles after its handshake (``Requantizer.latency``)."""
    cfg = tb_config()
    lanes, latency = cfg["lanes"], cfg["latency"]
    i_layout, o_layout = layouts(cfg)
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.i__valid.value = 0
    dut.o__ready.value = 1
    dut.multiplier.value = INT32_MAX
    dut.shift.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)
    n = 3 * latency
    ins, outs = [], []
    for c in range(n + latency + 4):
        await FallingEdge(dut.clk)
        sending = c < n
        dut.i__valid.value = int(sending)
        # multiplier 2**31 - 1 and shift 0 keep small values: y = x.
        dut.i__payload.value = pack(i_layout, {"data": [c + j for j in range(lanes)],
                                               "offset": [0] * lanes,
                                               "tag": {"pos": c, "last": 0}})
        await ReadOnly()
        if sending and int(dut.i__ready.value):
            ins.append(c)
        if int(dut.o__valid.value):
            outs.append((c, unpack(o_layout, int(dut.o__payload.value))))
    assert ins == list(range(n)), f"input not accepted every cycle: {ins}"
    assert [c for c, _ in outs] == [c + latency for c in ins], outs
    assert [o["tag"]["pos"] for _, o in outs] == ins
    assert [o["data"] for _, o in outs] == [[c + j for j in range(lanes)] for c in ins]
