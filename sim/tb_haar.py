"""cocotb side of the forward Haar test: photos, random maps and extremes, stalls, backpressure.

Config (from ``sim/test_haar.py``): ``lanes, levels, in_bits, pbits, seed, stall,
backpressure`` and ``frames``, a list of ``{"kind", "h", "w"}`` (see :func:`make_frame`).
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
from amaranth.hdl import signed, unsigned
from amaranth.lib import data
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles
from runner import tb_config
from streams import StreamSink, StreamSource

from golden.haar import pad_to
from golden.int_haar import int_dwt2


def make_frame(spec: dict, lanes: int, rng, bits: int = 8) -> np.ndarray:
    """A (lanes, h, w) map of signed ``bits``-bit integers of kind ``spec["kind"]``.

    Kinds: ``camera`` (skimage camera crops, one per lane, shifted to signed), ``astronaut``
    (RGB channels of a crop, cycled over the lanes), ``ocr`` (a real PP-OCRv4 activation,
    quantized to int8), ``random``, ``low`` / ``high`` (the extremes), ``checker``
    (+-extreme checkerboard), ``hot`` (one extreme pixel).
    """
    import skimage.data

    kind, h, w = spec["kind"], spec["h"], spec["w"]
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if kind == "camera":
        img = skimage.data.camera().astype(np.int64) - 128
        return np.stack([img[200 + 17 * q:200 + 17 * q + h, 150 + 9 * q:150 + 9 * q + w]
                         for q in range(lanes)])
    if kind == "astronaut":
        img = skimage.data.astronaut().astype(np.int64) - 128
        return np.stack([img[40:40 + h, 180:180 + w, q % 3] for q in range(lanes)])
    if kind == "ocr":
        from golden.data import ocr_layer
        from golden.int_model import quantize_input

        act = ocr_layer(photo="astronaut", size=spec.get("size", 128))[0]
        act = act[:lanes, :h, :w]
        return quantize_input(act, max(float(np.abs(act).max()), 1e-9) / 127)
    if kind == "random":
        return rng.integers(lo, hi + 1, size=(lanes, h, w))
    if kind in ("low", "high"):
        return np.full((lanes, h, w), lo if kind == "low" else hi, np.int64)
    if kind == "checker":
        c = np.indices((h, w)).sum(0) % 2
        return np.stack([np.where(c ^ (q % 2), hi, lo) for q in range(lanes)])
    if kind == "hot":
        x = np.zeros((lanes, h, w), np.int64)
        x[:, int(rng.integers(h)), int(rng.integers(w))] = hi
        return x
    raise ValueError(f"unknown frame kind {kind!r}")


def pixel_beats(x):
    """(C, H, W) -> raster-order beats with ``first`` / ``last`` frame markers."""
    _, h, w = x.shape
    return [{"data": [int(v) for v in x[:, r, q]], "first": int(r == 0 and q == 0),
             "last": int(r == h - 1 and q == w - 1)} for r in range(h) for q in range(w)]


async def reset(dut):
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0


@cocotb.test()
async def haar_forward(dut):
    cfg = tb_config()
    seed, lanes, levels, in_bits = cfg["seed"], cfg["lanes"], cfg["levels"], cfg["in_bits"]
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    i_layout = data.StructLayout({"data": data.ArrayLayout(signed(in_bits), lanes),
                                  "first": 1, "last": 1})
    o_layout = data.StructLayout({"data": data.ArrayLayout(signed(2 * levels + in_bits), lanes),
                                  "p": unsigned(cfg["pbits"]), "last": 1})
    frames = [make_frame(s, lanes, rng, in_bits) for s in cfg["frames"]]
    dut.width.value = 0
    dut.height.value = 0
    await reset(dut)
    src = StreamSource(dut, "i", dut.clk, i_layout, stall=cfg["stall"], rng=random.Random(seed))
    sink = StreamSink(dut, "o", dut.clk, o_layout, backpressure=cfg["backpressure"],
                      rng=random.Random(seed + 1))

    async def send_all():
        for x in frames:
            dut.width.value = x.shape[2]
            dut.height.value = x.shape[1]
            await src.send(pixel_beats(x))

    sender = cocotb.start_soon(send_all())
    wants = [int_dwt2(pad_to(x, levels), levels) for x in frames]
    total = sum(z.shape[1] for z in wants)
    got = await sink.collect(total, timeout_cycles=20 * total + 10_000)
    await sender
    k = 0
    for f, want in enumerate(wants):
        n = want.shape[1]
        beats, k = got[k:k + n], k + n
        ps = [b["p"] for b in beats]
        assert sorted(ps) == list(range(n)), f"frame {f}: positions lost or duplicated"
        assert [b["last"] for b in beats] == [0] * (n - 1) + [1], f"frame {f}: last flag"
        have = np.zeros_like(want)
        have[:, ps] = np.array([b["data"] for b in beats], np.int64).T
        bad = np.argwhere(have != want)
        assert not bad.size, (f"frame {f} ({cfg['frames'][f]}): {len(bad)} mismatches, first "
                              f"(lane, p) {bad[0].tolist()}: {have[tuple(bad[0])]} != "
                              f"{want[tuple(bad[0])]}")
    assert int(dut.error.value) == 0
