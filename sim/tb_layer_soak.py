"""cocotb side of the WCC layer's soak: many random frames back to back, every one checked.

Config (from ``sim/test_layer_soak.py``): ``layer`` (the ``WccLayer`` parameters of the
build), ``seed``, ``frames`` (how many), ``results`` (a JSON file for the summary). The frames
come from ``verif.layer_soak.soak_frames(layer, frames, seed=seed)``: valid, refused and
damaged ones, each with its own input gaps and output backpressure. The three input streams
are driven concurrently, frame after frame; the output is read frame by frame, each frame's
output awaited for at most the budgets of the frames since the previous output (a hang fails
there, saying where every stream is). Every frame that owes output is compared bit-exact with
its golden map; ``error_code``'s changes are checked by ``verif.soak_codes.check_codes``; at the
end every input beat must have been taken and no output beat may follow.
"""

from __future__ import annotations

import json
import random
import time

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, with_timeout
from cocotb.utils import get_sim_time

from hw.layer import WccLayer
from hw.layer.config import CONFIG_LAYOUT, ErrorCode
from hw.layer.protocol import output_map
from hw.layer.sequencer import params_layout
from hw.lib.layouts import layer_output_layout, pixel_layout
from verif.cocotb_streams import StreamSink, codec, reset
from verif.layer_soak import soak_frames, summary_line
from verif.runner import tb_config
from verif.soak_codes import check_codes


def now() -> int:
    """The current clock cycle (10 ns a cycle, ``verif.cocotb_streams.reset``'s clock)."""
    return int(get_sim_time(unit="ns")) // 10


class FrameSource:
    """Drives one input stream (``cfg``, ``params`` or ``x``) with the beats of every frame,
    each frame with its own ``stall`` (the probability of a gap before a beat), and records
    per frame the cycle of every handshake (``taken``) and the cycle its first beat was
    offered (``offered``)."""

    def __init__(self, dut, prefix: str, layout, rng):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.clk, self.rng, self.name = dut.clk, rng, prefix
        self._pack = codec(layout)[0]
        self.taken: list[list[int]] = []
        self.offered: list[int] = []
        self.at = (0, 0)  # (frame, beat) being sent: where a hang left this stream
        self.valid.value = 0

    async def send(self, frames, key: str) -> None:
        falling, settled = FallingEdge(self.clk), ReadOnly()
        valid, ready, payload, pack = self.valid, self.ready, self.payload, self._pack
        draw = self.rng.random
        await falling
        shown = 0
        for j, f in enumerate(frames):
            beats = [f.cfg] if key == "cfg" else getattr(f, key)
            times = []
            for i, beat in enumerate(beats):
                self.at = (j, i)
                gap = 0
                while f.stall and draw() < f.stall:
                    gap += 1
                if gap:
                    if shown:
                        valid.value = shown = 0
                    await ClockCycles(self.clk, gap, rising=False)
                payload.value = pack(beat)
                if not shown:
                    valid.value = shown = 1
                if i == 0:
                    self.offered.append(now())
                while True:
                    await settled
                    accepted = int(ready.value)
                    await falling
                    if accepted:
                        times.append(now() - 1)  # the cycle of the handshake's rising edge
                        break
            self.taken.append(times)
        valid.value = 0
        self.at = None


async def watch(signal, events: list) -> None:
    """Record every change of ``signal`` as ``(cycle, value)``."""
    while True:
        await signal.value_change
        events.append((now(), int(signal.value)))


@cocotb.test()
async def layer_soak(dut):
    cfg = tb_config()
    seed, count = cfg["seed"], cfg["frames"]
    print(f"soak: seed {seed}, {count} frames")
    layer = WccLayer(**cfg["layer"])
    t0 = time.perf_counter()
    frames = soak_frames(layer, count, seed=seed)
    gen_s = time.perf_counter() - t0
    rng = random.Random(seed + 1)
    out_layout = layer_output_layout(layer.out_lanes, layer.max_width, layer.max_height,
                                     layer.max_tiles)
    await reset(dut)
    wall0, cycle0 = time.perf_counter(), now()
    srcs = {"cfg": FrameSource(dut, "cfg", CONFIG_LAYOUT, random.Random(rng.random())),
            "params": FrameSource(dut, "params", params_layout(layer.cols),
                                  random.Random(rng.random())),
            "x": FrameSource(dut, "x", pixel_layout(layer.lanes, 8),
                             random.Random(rng.random()))}
    sink = StreamSink(dut, "o", dut.clk, out_layout, rng=random.Random(rng.random()))
    events: list = []
    cocotb.start_soon(watch(dut.error_code, events))
    tasks = [cocotb.start_soon(src.send(frames, key))
             for key, src in zip(("cfg", "params", "pixels"), srcs.values(), strict=True)]

    def where() -> str:
        return ", ".join(f"{n} at the end" if s.at is None else
                         f"{n} at frame {s.at[0]} beat {s.at[1]}" for n, s in srcs.items())

    mismatches, budget = [], 0
    for j, f in enumerate(frames):
        budget += f.budget
        if not f.outputs:
            continue
        c = f.cfg
        sink.bp = f.backpressure
        try:
            got = await sink.collect(f.outputs, timeout_cycles=budget)
        except AssertionError as exc:
            raise AssertionError(
                f"hang (seed {seed}): frame {j} ({f.kind}, {c['c_in']} -> {c['c_out']}, "
                f"{c['height']} x {c['width']}, k {c['k']}), budget {budget} cycles: {exc}; "
                f"cycle {now()}; inputs: {where()}") from None
        budget = 0
        problem = _compare(got, f, layer.out_lanes)
        if problem:
            mismatches.append(f"frame {j} ({f.kind}): {problem}")
            print(f"MISMATCH {mismatches[-1]}")
        if (j + 1) % 100 == 0:
            print(f"soak: frame {j + 1}/{count}, cycle {now() - cycle0}, "
                  f"{time.perf_counter() - wall0:.0f} s")
    # Every input beat is taken by the time the last output has come (the final frame is a
    # valid one), and nothing more comes out.
    for task in tasks:
        try:
            await with_timeout(task, 10 * 2000, "ns")
        except Exception as exc:
            raise AssertionError(f"input beats never taken (seed {seed}): {where()}") from exc
    await ClockCycles(dut.clk, 8)
    sink.ready.value = 1
    for _ in range(64):
        await ReadOnly()
        assert not int(dut.o__valid.value), f"an output beat after the last frame (seed {seed})"
        await FallingEdge(dut.clk)
    sink.ready.value = 0
    end = now()
    cycles, wall = end - cycle0, time.perf_counter() - wall0
    taken = {k: s.taken for k, s in srcs.items()}
    problems, stats = check_codes(frames, taken, srcs["x"].offered, events, end)
    error, code = int(dut.error.value), int(dut.error_code.value)
    faults = [f for f in frames if f.code]
    if (error, code) != ((1, events[-1][1]) if faults else (0, 0)):
        problems.append(f"error {error}, error_code {code} at the end")
    kinds = {k: sum(f.kind == k for f in frames) for k in dict.fromkeys(f.kind for f in frames)}
    summary = {"seed": seed, "frames": count, "valid": sum(f.kind != "refused" for f in frames),
               "refused": kinds.get("refused", 0),
               "damaged": sum(f.code and f.kind != "refused" for f in frames),
               "mismatches": len(mismatches), "code_problems": len(problems),
               "cycles": cycles, "sim_s": round(wall, 1), "gen_s": round(gen_s, 1),
               "kinds": kinds, "codes": stats}
    line = summary_line(summary, wall=f"{wall:.0f} s (simulation only)")
    print(line)
    by_code = {c.name: sum(f.kind == "refused" and f.code == c for f in frames)
               for c in ErrorCode if 0 < c < ErrorCode.PIXEL_FRAMING}
    summary["refused_by_code"] = by_code
    print(f"soak: kinds {kinds}; refused by code {by_code}; error codes seen as a change "
          f"{stats['changed']}, already held {stats['held']}, hidden by a code of higher "
          f"priority in the same cycle {stats['masked']}")
    if cfg.get("results"):
        with open(cfg["results"], "w") as fh:
            json.dump(summary, fh)
    for p in problems[:20]:
        print(f"CODE {p}")
    assert not mismatches, f"seed {seed}: {len(mismatches)} mismatching frames: {mismatches[:5]}"
    assert not problems, f"seed {seed}: {len(problems)} error code problems: {problems[:5]}"


def _compare(beats, f, out_lanes: int) -> str | None:
    """What is wrong with a frame's output beats (``None``: bit-exact, ``last`` right)."""
    lasts = [int(b["last"]) for b in beats]
    if lasts != [0] * (len(beats) - 1) + [1]:
        return f"last on beats {[i for i, v in enumerate(lasts) if v]} of {len(beats)}"
    c = f.cfg
    try:
        out = output_map(beats, c_out=c["c_out"], height=c["height"], width=c["width"],
                         lanes=out_lanes)
    except ValueError as exc:
        return str(exc)
    bad = np.argwhere(out != f.expected)
    if len(bad):
        at = tuple(int(v) for v in bad[0])
        return (f"{len(bad)} of {out.size} values differ, first at [c, y, x] = {at}: "
                f"{int(out[at])} instead of {int(f.expected[at])}")
    return None
