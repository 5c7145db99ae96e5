"""cocotb testbench of ``hw.topk.TopK``: bitmap and kept columns against ``golden.topk``
(through ``verif.stimulus.expected``).

Frames are built here from their description in the config (photos through the integer Haar
and the coefficient requantizer, random data, ties, extremes), so the config stays small. A
frame is the exact Haar coefficients ``w`` (scored, ``coef``) and their int8 quantization
``q = requantize(w, m, sh, lo=-127, hi=127)`` (stored and emitted, ``data``), of ``groups``
channel groups (the frame's ``groups`` key, else ``max_groups``), sent group-major with the
positions of each group in an order of their own; ``dut.groups`` is set per frame.
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly

from hw.lib.layouts import bitmap_layout, column_layout, topk_input_layout
from verif.cocotb_streams import StreamSink, StreamSource
from verif.runner import tb_config
from verif.stimulus import expected, frame_beats, quantize, topk_coefficients


@cocotb.test()
async def topk_frames(dut):
    cfg = tb_config()
    seed, lanes, max_groups = cfg["seed"], cfg["lanes"], cfg["max_groups"]
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    i_layout = topk_input_layout(lanes, max_groups, cfg["max_n"], cfg.get("coef_bits", 14))
    bm_layout, col_layout = bitmap_layout(), column_layout(lanes)

    plan = []
    for spec in cfg["frames"]:
        groups = spec.get("groups", max_groups)
        w = topk_coefficients(spec, lanes * groups, rng)
        q = quantize(w)
        n = q.shape[1]
        for k in spec["ks"]:
            orders = [rng.permutation(n) if spec.get("shuffle", True) else np.arange(n)
                      for _ in range(groups)]
            plan.append((spec, q, w, n, k, groups, frame_beats(q, w, groups, orders)))

    dut.k.value = 0
    dut.n.value = 0
    dut.groups.value = 0
    dut.i__valid.value = 0
    dut.bitmap__ready.value = 0
    dut.cols__ready.value = 0
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    src = StreamSource(dut, "i", dut.clk, i_layout, stall=cfg["stall"], rng=random.Random(seed))
    bm_sink = StreamSink(dut, "bitmap", dut.clk, bm_layout, backpressure=cfg["backpressure"],
                         rng=random.Random(seed + 1))
    col_sink = StreamSink(dut, "cols", dut.clk, col_layout, backpressure=cfg["backpressure"],
                          rng=random.Random(seed + 2))
    cycles = []

    async def send_all():
        for _, _, _, n, k, groups, beats in plan:
            dut.k.value = k
            dut.n.value = n
            dut.groups.value = groups
            await src.send(beats)

    async def monitor():
        # Edges from the one taking a frame's last input to the one taking its last output.
        t_in, left, cycle = None, 0, 0
        for _, _, _, _, k, _, _ in plan:
            while True:
                await FallingEdge(dut.clk)
                await ReadOnly()
                cycle += 1
                if int(dut.i__valid.value) and int(dut.i__ready.value) and (
                        pack_last(dut.i__payload.value, i_layout)):
                    t_in, left = cycle, 1 + (k > 0)
                if t_in is None:
                    continue
                for pre in ("bitmap", "cols"):
                    if int(getattr(dut, f"{pre}__valid").value) and int(
                            getattr(dut, f"{pre}__ready").value) and int(
                            getattr(dut, f"{pre}__payload").value) >> (
                            len(getattr(dut, f"{pre}__payload")) - 1):
                        left -= 1
                if left == 0:
                    cycles.append(cycle - t_in)
                    t_in = None
                    break

    sender = cocotb.start_soon(send_all())
    mon = cocotb.start_soon(monitor())
    for f, (spec, q, w, n, k, groups, _) in enumerate(plan):
        # Both outputs drain together: the emitter stops when either of its FIFOs is full.
        tmo = 50 * n * groups + 20_000
        bm_task = cocotb.start_soon(bm_sink.collect(-(-n // 32), timeout_cycles=tmo))
        col_task = cocotb.start_soon(col_sink.collect(k * groups, timeout_cycles=tmo))
        words, cols = await bm_task, await col_task
        _, want_words, want_cols = expected(q, w, k, groups)
        got_words = [w["word"] for w in words]
        tag = f"frame {f} ({spec['kind']}, n={n}, k={k}, groups={groups})"
        assert sum(bin(w).count("1") for w in got_words) == k, f"{tag}: not exactly k bits set"
        assert got_words == want_words, f"{tag}: bitmap differs"
        assert [w["last"] for w in words] == [0] * (len(words) - 1) + [1], f"{tag}: last"
        assert [c["data"] for c in cols] == want_cols, f"{tag}: kept columns differ"
        if cols:
            assert [c["last"] for c in cols] == [0] * (len(cols) - 1) + [1], f"{tag}: last"
    await sender
    await mon
    print(f"cycles after last input: {cycles}")
    if cfg.get("expect_cycles") is not None:
        assert cycles == [cfg["expect_cycles"][spec_i] for spec_i in range(len(plan))]


def pack_last(value, layout) -> int:
    """The ``last`` bit of a packed input payload."""
    return (int(value) >> layout["last"].offset) & 1
