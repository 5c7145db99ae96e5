"""cocotb side of the forward Haar test: photos, random maps and extremes, stalls, backpressure.

Config (from ``sim/test_haar.py``): ``lanes, levels, in_bits, pbits, seed, stall,
backpressure`` and ``frames``, a list of ``{"kind", "h", "w"}`` (see :func:`make_frame`).
"""

from __future__ import annotations

import random

import cocotb
import numpy as np

from golden.haar import pad_to
from golden.int_haar import int_dwt2
from hw.lib.layouts import coef_layout, pixel_layout
from verif.cocotb_streams import StreamSink, StreamSource, reset
from verif.runner import tb_config
from verif.stimulus import make_frame, pixel_beats


@cocotb.test()
async def haar_forward(dut):
    cfg = tb_config()
    seed, lanes, levels, in_bits = cfg["seed"], cfg["lanes"], cfg["levels"], cfg["in_bits"]
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    i_layout = pixel_layout(lanes, in_bits)
    o_layout = coef_layout(lanes, 2 * levels + in_bits, cfg["pbits"])
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
        ps = [b["pos"] for b in beats]
        assert sorted(ps) == list(range(n)), f"frame {f}: positions lost or duplicated"
        assert [b["last"] for b in beats] == [0] * (n - 1) + [1], f"frame {f}: last flag"
        have = np.zeros_like(want)
        have[:, ps] = np.array([b["data"] for b in beats], np.int64).T
        bad = np.argwhere(have != want)
        assert not bad.size, (f"frame {f} ({cfg['frames'][f]}): {len(bad)} mismatches, first "
                              f"(lane, p) {bad[0].tolist()}: {have[tuple(bad[0])]} != "
                              f"{want[tuple(bad[0])]}")
    assert int(dut.error.value) == 0
