"""cocotb side of the WCC layer test: whole frames against golden.wcc_int, back to back.

Config (``verif.layer_frames.tb_layer_config``, from ``sim/test_layer.py`` and ``wcc
simulate``): ``frames`` (an ``.npz`` written by ``verif.layer_frames.save_frames``), ``lanes``,
``cols``, ``subtiles``, ``out_lanes``, ``seed``, ``stall``, ``backpressure``, ``results`` (a
JSON file: per frame the cycle of its last output beat, and the error flags at the end),
``stages`` (also record, per frame, the first and last handshake cycle of every stage's stream:
slower), ``outputs`` (an ``.npz`` for the output maps), ``strict`` (default true: fail on a
mismatch; false: only report it, for ``wcc simulate``), ``trace`` (a JSON file for every watched
stream's payloads in the first frame, to locate a mismatch).
"""

from __future__ import annotations

import json
import random
import time

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, with_timeout
from cocotb.utils import get_sim_time

from hw.layer.config import CONFIG_LAYOUT
from hw.layer.protocol import output_map
from hw.layer.sequencer import params_layout
from hw.lib.layouts import layer_output_layout, pixel_layout
from verif.cocotb_streams import StreamSink, StreamSource, reset
from verif.layer_frames import STAGE_STREAMS, load_frames
from verif.runner import tb_config


async def high_before_edge(clk, sig) -> None:
    """Return in the low half of a clock cycle (before its rising edge, read-only phase) in
    which ``sig`` is high: the handshake of that edge. Sleeps on ``sig`` while it is low, so
    a stream that waits for many cycles costs no Python work per cycle."""
    while True:
        await ReadOnly()
        if int(sig.value):
            if not int(clk.value):
                return
            await FallingEdge(clk)
        else:
            await RisingEdge(sig)


class IdleSource(StreamSource):
    """:class:`StreamSource` without valid gaps that sleeps while ``ready`` is low."""

    async def send(self, beats) -> None:
        await FallingEdge(self.clk)
        self.valid.value = 1
        for beat in beats:
            self.payload.value = self._pack(beat)
            await high_before_edge(self.clk, self.ready)
            await FallingEdge(self.clk)
        self.valid.value = 0


class IdleSink(StreamSink):
    """:class:`StreamSink` without backpressure that sleeps while ``valid`` is low; like it,
    fails after ``timeout_cycles`` cycles (of 10 ns, the clock of ``reset``)."""

    async def collect(self, count: int, *, timeout_cycles: int = 1_000_000) -> list:
        return await with_timeout(self._collect(count), 10 * timeout_cycles, "ns")

    async def _collect(self, count: int) -> list:
        got = []
        await FallingEdge(self.clk)
        self.ready.value = 1
        while len(got) < count:
            await high_before_edge(self.clk, self.valid)
            got.append(self._unpack(int(self.payload.value)))
            await FallingEdge(self.clk)
        self.ready.value = 0
        self.beats.extend(got)
        return got


class Cycles:
    """The current clock cycle, from the simulation time (10 ns a cycle): no coroutine that
    wakes up every cycle to count. ``cycles[0]`` reads it."""

    def __getitem__(self, index: int) -> int:
        return int(get_sim_time(unit="ns")) // 10


@cocotb.test()
async def wcc_layer(dut):
    cfg = tb_config()
    seed = cfg["seed"]
    print(f"seed={seed}")
    rng = random.Random(seed)
    frames = load_frames(cfg["frames"], lanes=cfg["lanes"], cols=cfg["cols"],
                         subtiles=cfg["subtiles"])
    out_layout = layer_output_layout(cfg["out_lanes"], cfg["max_width"], cfg["max_height"],
                                     cfg["max_tiles"])
    await reset(dut)
    wall0 = time.perf_counter()  # the simulation's own speed, without the build
    # Without gaps and backpressure the drivers sleep while nothing moves (whole frames).
    src_cls = StreamSource if cfg["stall"] else IdleSource
    sink_cls = StreamSink if cfg["backpressure"] else IdleSink
    srcs = [src_cls(dut, "cfg", dut.clk, CONFIG_LAYOUT, stall=cfg["stall"],
                    rng=random.Random(rng.random())),
            src_cls(dut, "params", dut.clk, params_layout(cfg["cols"]), stall=cfg["stall"],
                    rng=random.Random(rng.random())),
            src_cls(dut, "x", dut.clk, pixel_layout(cfg["lanes"], 8), stall=cfg["stall"],
                    rng=random.Random(rng.random()))]
    sink = sink_cls(dut, "o", dut.clk, out_layout, backpressure=cfg["backpressure"],
                    rng=random.Random(rng.random()))
    cycle = Cycles()
    stages = {}
    if cfg.get("stages") or cfg.get("trace"):
        stages = watch_stages(dut, cfg, frames, cycle, payloads=bool(cfg.get("trace")))
    tasks = [cocotb.start_soon(src.send([b for f in frames for b in f[key]]))
             for src, key in zip(srcs, ("cfg", "params", "pixels"), strict=True)]
    ends, mismatches, maps = [], [], []
    runs = [f for f in frames if f["expected"] is not None]
    for j, f in enumerate(runs):
        c_out, h, w = f["expected"].shape
        n = -(-c_out // cfg["out_lanes"]) * h * w
        got = await sink.collect(n, timeout_cycles=cfg.get("timeout", 50_000_000))
        ends.append(cycle[0])
        lasts = [b["last"] for b in got]
        assert lasts == [0] * (n - 1) + [1], f"frame {j}: last flags {lasts[-3:]}"
        out = output_map(got, c_out=c_out, height=h, width=w, lanes=cfg["out_lanes"])
        maps.append(out)
        bad = np.argwhere(out != f["expected"])
        if len(bad):
            mismatches.append((j, len(bad), [int(v) for v in bad[0]]))
        print(f"frame {j}: {c_out} x {h} x {w}, last output at cycle {cycle[0]}, "
              f"{len(bad)} mismatches")
    for t in tasks:
        await t
    await ClockCycles(dut.clk, 4)
    await ReadOnly()
    wall = time.perf_counter() - wall0
    error, code = int(dut.error.value), int(dut.error_code.value)
    if cfg.get("results"):
        with open(cfg["results"], "w") as fh:
            json.dump({"ends": ends, "sim_s": wall, "error": error, "error_code": code,
                       "stages": {k: v["frames"] for k, v in stages.items()}}, fh)
    if cfg.get("outputs"):
        np.savez(cfg["outputs"], **{f"out{j}": mp for j, mp in enumerate(maps)})
    if cfg.get("trace"):
        with open(cfg["trace"], "w") as fh:
            json.dump({name: rec["payloads"] for name, rec in stages.items()}, fh)
    if not cfg.get("strict", True):
        return
    assert not mismatches, f"mismatches (frame, count, first [c, y, x]): {mismatches}"
    assert error == cfg.get("error", 0) and code == cfg.get("error_code", 0), (error, code)


def stage_beats(cfg, f) -> dict:
    """Beats of one frame on every watched stream (``f``: a frame that runs)."""
    c_out, h, w = f["expected"].shape
    c_in, n, k = f["c_in"], f["n"], f["k"]
    groups, t = -(-c_in // cfg["lanes"]), -(-c_in // cfg["rows"])
    tiles, m = -(-c_out // cfg["out_lanes"]), cfg["subtiles"]
    return {"pixels in": groups * h * w, "forward Haar out": groups * n,
            "top-k in": groups * n, "top-k columns out": k * groups,
            "array x": tiles * m * t * k, "array y": tiles * m * k,
            "inverse Haar in": tiles * n, "pixels out": tiles * h * w}


def watch_stages(dut, cfg, frames, cycle, payloads: bool = False) -> dict:
    """Start a monitor of the watched streams; returns its per-stage records, filled as the
    simulation runs: ``frames`` = [[first cycle, last cycle, beats], ...] per frame, and with
    ``payloads`` the raw payload integers of the first frame's beats (``payloads``)."""
    runs = [f for f in frames if f["expected"] is not None]
    want = [stage_beats(cfg, f) for f in runs]
    recs = {}
    for name, (inst, port) in STAGE_STREAMS.items():
        h = dut if inst is None else getattr(dut, inst)
        recs[name] = {"v": getattr(h, f"{port}__valid"), "r": getattr(h, f"{port}__ready"),
                      "p": getattr(h, f"{port}__payload"), "payloads": [],
                      "frame": 0, "count": 0,
                      "frames": [[None, None, 0] for _ in runs],
                      "want": [wb[name] for wb in want]}

    async def monitor():
        while True:
            await ReadOnly()
            now = cycle[0]
            for rec in recs.values():
                j = rec["frame"]
                while j < len(runs) and rec["want"][j] == 0:
                    j += 1
                rec["frame"] = j
                if j >= len(runs):
                    continue
                if int(rec["v"].value) and int(rec["r"].value):
                    fr = rec["frames"][j]
                    if fr[0] is None:
                        fr[0] = now
                    fr[1] = now
                    fr[2] += 1
                    if payloads and j == 0:
                        rec["payloads"].append(int(rec["p"].value))
                    if fr[2] == rec["want"][j]:
                        rec["frame"] = j + 1
            await FallingEdge(dut.clk)

    cocotb.start_soon(monitor())
    return recs

