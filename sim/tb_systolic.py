"""cocotb side of the systolic-array test: layers from an .npz, stalls, backpressure.

The config's ``subtiles`` (default 1) is the array's: the w, x and y stream orders follow it
(``hw.systolic.model.w_stream``, ``x_stream``, ``y_order``).
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly

from hw.lib.layouts import accumulator_layout, lanes_layout
from hw.systolic.model import w_stream, x_stream, y_order
from verif.cocotb_streams import StreamSink, StreamSource
from verif.runner import tb_config


@cocotb.test()
async def systolic_layers(dut):
    cfg = tb_config()
    rows, cols, seed = cfg["rows"], cfg["cols"], cfg["seed"]
    subtiles = cfg.get("subtiles", 1)
    print(f"seed={seed}")
    rng = random.Random(seed)
    layers = np.load(cfg["layers"])
    x_layout, w_layout = lanes_layout(rows, 8), lanes_layout(cols, 8)
    y_layout = accumulator_layout(cols)
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    for i in range(cfg["count"]):
        ws, xs = layers[f"w{i}"], layers[f"x{i}"]
        c_out, c_in = ws.shape
        k = xs.shape[1]
        n_co = -(-c_out // (subtiles * cols))
        order = y_order(c_out, k, cols, subtiles=subtiles)
        want = ws.astype(np.int64) @ xs.astype(np.int64)
        if f"acc{i}" in layers:
            assert np.array_equal(want, layers[f"acc{i}"]), "golden acc != W @ cols"
        await FallingEdge(dut.clk)
        dut.c_in.value, dut.c_out.value, dut.k.value = c_in, c_out, k
        wsrc = StreamSource(dut, "w", dut.clk, w_layout, stall=cfg["stall"],
                            rng=random.Random(rng.random()))
        xsrc = StreamSource(dut, "x", dut.clk, x_layout, stall=cfg["stall"],
                            rng=random.Random(rng.random()))
        sink = StreamSink(dut, "y", dut.clk, y_layout, backpressure=cfg["backpressure"],
                          rng=random.Random(rng.random()))
        t_w = cocotb.start_soon(wsrc.send(w_stream(ws, cols, subtiles=subtiles)))
        t_x = cocotb.start_soon(xsrc.send(x_stream(xs, rows, n_co, subtiles=subtiles)))
        got = await sink.collect(len(order), timeout_cycles=20 * subtiles * (n_co * k * c_in
                                                                             + c_in) + 1000)
        await t_w
        await t_x
        for _ in range(10 * (rows + cols) + 100):
            await ReadOnly()
            if not int(dut.busy.value):
                break
            await FallingEdge(dut.clk)
        else:
            raise AssertionError(f"layer {i}: busy stuck high")
        y = np.zeros((n_co * subtiles * cols, k), np.int64)
        for (g, col, tile_last, last), beat in zip(order, got, strict=True):
            y[g * cols:(g + 1) * cols, col] = beat["data"]
            assert beat["tile_last"] == tile_last
            assert beat["last"] == last
        bad = np.argwhere(y[:c_out] != want)
        assert not len(bad), f"layer {i} ({c_in}, {c_out}, {k}): first mismatch {bad[0]}"
        assert not y[c_out:].any(), f"layer {i}: lanes past C_out not 0"
        print(f"layer {i}: C_in={c_in} C_out={c_out} k={k} subtiles={subtiles} ok")
