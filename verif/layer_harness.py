"""Amaranth-simulator driver of :class:`hw.layer.WccLayer`: frames in, output maps out.

A frame is ``(x, params, k)``: an int8 map (C_in, H, W), ``golden.int_model.IntParams`` and
the number of kept positions, or ``(cfg_dict, None, None)`` for a raw configuration beat
(an invalid one: nothing but its ``pixels`` and ``params`` entries are sent). The streams
``cfg``, ``params`` and ``x`` are driven by three concurrent processes with random gaps, the
output is drained with random backpressure; per frame the result is the output map and the
cycle of its last output beat.
"""

from __future__ import annotations

import random

import numpy as np

from golden.int_model import wcc_int
from hw.layer.protocol import config_beat, output_map, param_beats, pixel_beats

from .amaranth_streams import run_counted, stream_get, stream_put

__all__ = ["expected_outputs", "frame_streams", "run_layer"]


def frame_streams(dut, frame):
    """``(cfg beat, param beats, pixel beats, runs)`` of one frame for ``dut``."""
    x, params, k = frame
    if params is None:  # a raw (refused) configuration with the beats to drop
        cfg = dict(x)
        return cfg, cfg.pop("param_beats"), cfg.pop("pixel_beats"), False
    c_in, h, w = x.shape
    return (config_beat(params, c_in=c_in, height=h, width=w, k=k),
            param_beats(params.weight, params.bias, cols=dut.cols, subtiles=dut.subtiles),
            pixel_beats(x, dut.lanes), True)


def expected_outputs(frames) -> list[np.ndarray]:
    """golden.wcc_int of every frame that runs."""
    return [wcc_int(x, p, k=k) for x, p, k in frames if p is not None]


def run_layer(dut, frames, *, seed: int, stall: float = 0.0, backpressure: float = 0.0,
              timeout: int = 2_000_000):
    """Run ``frames`` back to back. Returns the output maps and last-beat cycles of the
    frames that run, and the ``error`` flag and ``error_code`` after the last one."""
    rng = random.Random(seed)
    streams = [frame_streams(dut, f) for f in frames]
    runs = [(f, s) for f, s in zip(frames, streams, strict=True) if s[3]]
    counts = []
    for (x, p, _), _ in runs:
        lanes = dut.out_lanes
        groups = -(-p.weight.shape[0] // lanes)
        counts.append(groups * x.shape[1] * x.shape[2])
    outs, ends, now, err = [], [], [0], {}

    async def cfg_src(ctx):
        for cfg, *_ in streams:
            await stream_put(ctx, dut.cfg, [cfg], stall=stall, rng=random.Random(rng.random()))

    async def prm_src(ctx):
        for _, prm, _, _ in streams:
            await stream_put(ctx, dut.params, prm, stall=stall, rng=random.Random(rng.random()))

    async def px_src(ctx):
        for _, _, px, _ in streams:
            await stream_put(ctx, dut.x, px, stall=stall, rng=random.Random(rng.random()))

    async def sink(ctx):
        for n in counts:
            beats = await stream_get(ctx, dut.o, n, backpressure=backpressure,
                                     rng=random.Random(rng.random()), timeout=timeout)
            outs.append(beats)
            ends.append(now[0])
        err["error"], err["code"] = ctx.get(dut.error), ctx.get(dut.error_code)

    run_counted(dut, (cfg_src, prm_src, px_src, sink), now)
    maps = []
    for ((x, p, _), _), beats in zip(runs, outs, strict=True):
        for b in beats:
            if int(b.last) != 0 and b is not beats[-1]:
                raise AssertionError("last set before the frame's final pixel")
        if int(beats[-1].last) != 1:
            raise AssertionError("last missing on the frame's final pixel")
        maps.append(output_map([{"data": b.data, "row": b.row, "col": b.col, "group": b.group}
                                for b in beats], c_out=p.weight.shape[0], height=x.shape[1],
                               width=x.shape[2], lanes=dut.out_lanes))
    return maps, ends, err["error"], err["code"]
