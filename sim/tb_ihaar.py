"""cocotb side of the inverse Haar test: round trip of photos, random coefficients, extremes.

Config (from ``sim/test_ihaar.py``): ``lanes, levels, in_bits, shift, seed, stall,
backpressure`` and ``frames``: ``{"kind", "h", "w"}`` pixel maps (kinds of
:func:`tb_haar.make_frame`), sent as their forward coefficients ``int_dwt2(pad_to(x))``, or
``{"kind": "coef_random" | "coef_extreme", "h", "w"}``: raw ``in_bits`` coefficients.
"""

from __future__ import annotations

import random

import cocotb
import numpy as np

from golden.int_haar import int_idwt2
from hw.lib.layouts import block_pixel_layout, pixel_layout
from verif.cocotb_streams import StreamSink, StreamSource, reset
from verif.runner import tb_config
from verif.stimulus import haar_coefficients


@cocotb.test()
async def haar_inverse(dut):
    cfg = tb_config()
    seed, lanes, levels, in_bits = cfg["seed"], cfg["lanes"], cfg["levels"], cfg["in_bits"]
    shift = cfg["shift"]
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    out_bits = in_bits + levels + 2 - shift
    i_layout = pixel_layout(lanes, in_bits)
    o_layout = block_pixel_layout(lanes, out_bits, 1 << cfg["col_bits"], 1 << cfg["row_bits"])
    items = [haar_coefficients(s, lanes, levels, in_bits, rng) for s in cfg["frames"]]
    dut.width.value = 0
    dut.height.value = 0
    await reset(dut)
    src = StreamSource(dut, "i", dut.clk, i_layout, stall=cfg["stall"], rng=random.Random(seed))
    sink = StreamSink(dut, "o", dut.clk, o_layout, backpressure=cfg["backpressure"],
                      rng=random.Random(seed + 1))

    async def send_all():
        for (z, _, _, _), spec in zip(items, cfg["frames"], strict=True):
            dut.width.value = spec["w"]
            dut.height.value = spec["h"]
            n = z.shape[1]
            await src.send([{"data": [int(v) for v in z[:, p]], "first": int(p == 0),
                             "last": int(p == n - 1)} for p in range(n)])

    sender = cocotb.start_soon(send_all())
    total = sum(z.shape[1] for z, *_ in items)
    got = await sink.collect(total, timeout_cycles=20 * total + 10_000)
    await sender
    b, k = 2**levels, 0
    for f, (z, hp, wp, x) in enumerate(items):
        n = hp * wp
        beats, k = got[k:k + n], k + n
        blk, loc = np.divmod(np.arange(n), b * b)
        rows = blk // (wp // b) * b + loc // b
        cols = blk % (wp // b) * b + loc % b
        assert [o["row"] for o in beats] == rows.tolist(), f"frame {f}: row order"
        assert [o["col"] for o in beats] == cols.tolist(), f"frame {f}: col order"
        assert [o["last"] for o in beats] == [0] * (n - 1) + [1], f"frame {f}: last flag"
        have = np.zeros((lanes, hp, wp), np.int64)
        have[:, rows, cols] = np.array([o["data"] for o in beats], np.int64).T
        want = int_idwt2(z, levels, hp, wp, shift=shift)
        bad = np.argwhere(have != want)
        assert not bad.size, (f"frame {f} ({cfg['frames'][f]}): {len(bad)} mismatches, first "
                              f"{bad[0].tolist()}: {have[tuple(bad[0])]} != {want[tuple(bad[0])]}")
        if x is not None and shift == 2 * levels:
            h, w = x.shape[1:]
            assert np.array_equal(have[:, :h, :w], x), f"frame {f}: round trip differs from x"
    assert int(dut.error.value) == 0
