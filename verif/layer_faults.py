"""Faults on the WCC layer's input streams, and an Amaranth-simulator driver that survives them.

A frame here is a dict of the beats the host sends: ``cfg`` (one configuration beat),
``params`` and ``pixels`` (lists of beats, as ``verif.layer_harness.frame_streams`` makes
them, then damaged by the functions below), and ``outputs``: the output beats the layer
owes for it (``tiles * H * W`` for a frame that runs, 0 for a refused one), or ``extra``:
beats sent on ``x`` outside any frame (no configuration). The driver runs the three input
streams concurrently and drains the output; every wait is bounded by the documented cycles
of the frames (:func:`frame_budget`), so a hung layer fails at once instead of after a
million cycles. With ``reset_at``, the layer's reset is asserted in that cycle (counted from
the start) and the streams of the frames sent so far are abandoned; the frames listed after
the reset run on the freshly reset layer.
"""

from __future__ import annotations

import random

from amaranth.hdl import ResetInserter, Signal
from amaranth.sim import Simulator

from .layer_harness import frame_streams

__all__ = ["cut_params", "cut_pixels", "frame_budget", "frame_dict", "run_faults",
           "stretch_params", "stretch_pixels"]


def frame_dict(dut, frame) -> dict:
    """The beats of ``frame`` (``(x, params, k)`` or a raw refused configuration) for ``dut``
    and the output beats it owes."""
    cfg, prm, px, runs = frame_streams(dut, frame)
    outputs = 0
    if runs:
        x, p, _ = frame
        outputs = -(-p.weight.shape[0] // dut.out_lanes) * x.shape[1] * x.shape[2]
    return {"cfg": cfg, "params": prm, "pixels": px, "outputs": outputs}


def cut_pixels(f: dict, keep: int, *, last: bool = True) -> dict:
    """The frame's first ``keep`` pixel beats only: cut short, ``last`` on the final one kept
    (an early ``last``) or on none (the next frame's ``first`` ends it)."""
    px = [dict(b) for b in f["pixels"][:keep]]
    px[-1]["last"] = int(last)
    return f | {"pixels": px}


def stretch_pixels(f: dict, extra: int, *, last: bool = True) -> dict:
    """``extra`` more pixel beats after the frame's final one (a late ``last``, on the
    final extra beat; or no ``last`` at all)."""
    px = [dict(b) for b in f["pixels"]]
    px[-1]["last"] = 0
    px += [{"data": [3] * len(px[0]["data"]), "first": 0, "last": 0} for _ in range(extra)]
    px[-1]["last"] = int(last)
    return f | {"pixels": px}


def cut_params(f: dict, keep: int) -> dict:
    """The first ``keep`` parameter beats, ``last`` on the final one kept (an early ``last``)."""
    prm = [dict(b) for b in f["params"][:keep]]
    prm[-1]["last"] = 1
    return f | {"params": prm}


def stretch_params(f: dict, extra: int) -> dict:
    """``extra`` parameter beats after the packet's final one, ``last`` moved to the end."""
    prm = [dict(b) for b in f["params"]]
    prm[-1]["last"] = 0
    prm += [{"data": 5, "last": 0} for _ in range(extra)]
    prm[-1]["last"] = 1
    return f | {"params": prm}


def frame_budget(f: dict) -> int:
    """Cycles a frame may take, by the documented stage cycles (one beat a cycle on every
    stream, each stage at most ``tiles * N`` beats, the array ``S * m * T * k``): every beat
    of the frame ten times, plus 4000 cycles of pipeline latency."""
    cfg = f["cfg"]
    n = -(-cfg["height"] // 8) * 8 * -(-cfg["width"] // 8) * 8 if f["outputs"] else 0
    return 10 * (len(f["pixels"]) + len(f["params"]) + f["outputs"] + 4 * n) + 4000


async def _put(ctx, stream, beats, *, stall, rng, alive) -> int:
    """Send ``beats``; give up (valid low) as soon as ``alive()`` is false. Returns the
    number of beats not taken."""
    for j, beat in enumerate(beats):
        while stall and rng.random() < stall:
            ctx.set(stream.valid, 0)
            await ctx.tick()
        ctx.set(stream.payload, beat)
        ctx.set(stream.valid, 1)
        while True:
            if not alive():
                ctx.set(stream.valid, 0)
                return len(beats) - j
            *_, ready = await ctx.tick().sample(stream.ready)
            if ready:
                break
    ctx.set(stream.valid, 0)
    return 0


def _beats(f: dict, key: str) -> list:
    if key == "cfg":
        return [f["cfg"]] if "cfg" in f else []
    if key == "pixels":
        return f.get("extra", []) + f.get("pixels", [])
    return f.get(key, [])


def run_faults(dut, frames, *, seed: int, stall: float = 0.0, backpressure: float = 0.0,
               reset_at: int | None = None, after=()):
    """Run ``frames`` (dicts, above) back to back; with ``reset_at``, reset the layer in that
    cycle for two cycles, abandon what is left of ``frames`` and run ``after``.

    Returns ``(outs, error, error_code, cycles)``: the output beats of every frame that
    owes some (those of ``after`` only when reset), the error outputs 16 cycles after the
    last one, and the cycle of that last output beat. Raises ``AssertionError`` when a
    frame's output does not come within its budget (:func:`frame_budget`, summed over the
    frames since the previous output), or when an input beat is still not taken once the
    last output has come (16 cycles later)."""
    rng = random.Random(seed)
    rst = Signal()
    top = ResetInserter({"sync": rst})(dut) if reset_at is not None else dut
    state = {"phase": 0 if reset_at is not None else 2, "cycle": 0, "done": False}
    outs, final, stuck = [], {}, []

    def alive():
        return state["phase"] != 1 and not state["done"]

    def source(stream, key):
        async def run(ctx):
            for f in frames:
                left = await _put(ctx, getattr(dut, stream), _beats(f, key), stall=stall,
                                  rng=random.Random(rng.random()), alive=alive)
                if left and reset_at is None:
                    stuck.append((stream, left))
                if not alive():
                    break
            if reset_at is None:
                return
            while state["phase"] != 2:
                await ctx.tick()
            for f in after:
                left = await _put(ctx, getattr(dut, stream), _beats(f, key), stall=stall,
                                  rng=random.Random(rng.random()), alive=alive)
                if left:
                    stuck.append((stream, left))
                    break
        return run

    async def sink(ctx):
        if reset_at is not None:
            # Before the reset the output is drained, not checked.
            ctx.set(dut.o.ready, 1)
            while state["phase"] != 2:
                await ctx.tick()
        budget = 0
        for f in (after if reset_at is not None else frames):
            budget += frame_budget(f) if "cfg" in f else 0
            if not f.get("outputs", 0):
                continue
            got, waited, wrng = [], 0, random.Random(rng.random())
            while len(got) < f["outputs"]:
                ready = 0 if backpressure and wrng.random() < backpressure else 1
                ctx.set(dut.o.ready, ready)
                *_, valid, payload = await ctx.tick().sample(dut.o.valid, dut.o.payload)
                if valid and ready:
                    got.append(payload)
                waited += 1
                if waited > budget:
                    raise AssertionError(f"hang: {len(got)} of {f['outputs']} output beats "
                                         f"of frame {len(outs)} in {budget} cycles")
            ctx.set(dut.o.ready, 0)
            outs.append(got)
            final["cycles"] = state["cycle"]
            budget = 0
        await ctx.tick().repeat(16)
        final["error"], final["code"] = ctx.get(dut.error), ctx.get(dut.error_code)
        state["done"] = True

    async def clock(ctx):
        while True:
            await ctx.tick()
            state["cycle"] += 1
            if state["cycle"] == reset_at:
                state["phase"] = 1
                ctx.set(rst, 1)
                await ctx.tick().repeat(2)
                ctx.set(rst, 0)
                state["phase"] = 2

    sim = Simulator(top)
    sim.add_clock(1e-8)
    for stream, key in (("cfg", "cfg"), ("params", "params"), ("x", "pixels")):
        sim.add_testbench(source(stream, key))
    sim.add_testbench(sink)
    sim.add_testbench(clock, background=True)
    sim.run()
    if stuck:
        raise AssertionError(f"input beats never taken (stream, beats left): {stuck}")
    return outs, final["error"], final["code"], final.get("cycles", 0)
