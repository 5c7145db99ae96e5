"""cocotb side of the lane-split Haar test: frames through a ``LaneSplit`` of the forward or
inverse unit, every word compared with golden, and the copies checked to be in lockstep.

Config (from ``sim/test_lane_split.py``): ``unit`` ("forward" or "inverse"), ``lanes``,
``parts``, ``levels``, ``in_bits``, ``shift`` (inverse), ``data_bits`` (output data width per
lane), ``meta_bits`` (the output fields after ``data``), ``seed``, ``stall``,
``backpressure`` and ``frames`` (kinds of :func:`tb_haar.make_frame`, and for the inverse
``coef_random`` / ``coef_extreme``, see :func:`tb_ihaar.coefficients`).
"""

from __future__ import annotations

import random
import re

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from golden.haar import pad_to
from golden.int_haar import int_dwt2, int_idwt2
from hw.lib.layouts import block_pixel_layout, coef_layout, pixel_layout
from verif.cocotb_streams import StreamSink, StreamSource, reset
from verif.runner import tb_config, tb_verilog
from verif.stimulus import haar_coefficients, make_frame, pixel_beats


def ready_net() -> str:
    """Name of the unit's ``i.ready`` net in submodule ``part0`` (Amaranth may number it,
    e.g. ``i__ready$28``): the ``i__ready`` port in the header of module ``<top>.part0``. The
    copies are identical modules, so every ``part<k>`` has a net of that name."""
    top = cocotb.top._name
    text = tb_verilog().read_text()
    header = re.search(rf"^module \\{re.escape(top)}\.part0 \(([^)]*)\)", text, re.M)
    assert header, "module part0 not found in the Verilog"
    names = [p.strip().lstrip("\\") for p in header.group(1).split(",")]
    found = [p for p in names if re.fullmatch(r"i__ready(\$\d+)?", p)]
    assert len(found) == 1, f"i__ready port of part0 not found in {names}"
    return found[0]


def net(scope, name: str):
    """Net ``name`` of ``scope``. A name that is not a plain identifier (``i__ready$28``) is an
    escaped identifier in the Verilog: Icarus calls it by its characters, Verilator by its
    Verilog spelling, ``\\i__ready$28`` and a space."""
    try:
        return scope[name]
    except KeyError:
        return scope[f"\\{name} "]


async def lockstep(dut, cfg, state):
    """Every cycle: copy k's ``i.ready``, ``o.valid``, ``error`` and non-data output fields
    (nets of submodule ``part<k>``) equal copy 0's, and the top level's ``error`` is copy 0's
    (and so are its outputs, without ``output_buffer``; with it they pass through the output
    FIFOs and are checked against golden)."""
    n_data = cfg["lanes"] * cfg["data_bits"]
    part_data = n_data // cfg["parts"]
    parts = [getattr(dut, f"part{k}") for k in range(cfg["parts"])]
    name = ready_net()
    readies = [net(p, name) for p in parts]
    while True:
        await FallingEdge(dut.clk)
        # Compared as strings (MSB first), so X and Z also count: the non-data fields are
        # the leading characters of o__payload.
        meta = len(dut.o__payload.value) - n_data
        want = None
        for k, p in enumerate(parts):
            assert len(p.o__payload.value) == meta + part_data
            got = (str(readies[k].value), str(p.o__valid.value), str(p.error.value),
                   str(p.o__payload.value)[:meta])
            if k == 0:
                want = got
                top = (str(dut.o__valid.value), str(dut.error.value),
                       str(dut.o__payload.value)[:meta])
                same = top[1] == got[2] if cfg["output_buffer"] else top == got[1:]
                assert same, f"cycle {state['cycles']}: top {top} != part0 {got}"
            assert got == want, f"cycle {state['cycles']}: part{k} {got} != part0 {want}"
        state["cycles"] += 1


@cocotb.test()
async def lane_split(dut):
    cfg = tb_config()
    seed, lanes, levels, in_bits = cfg["seed"], cfg["lanes"], cfg["levels"], cfg["in_bits"]
    forward = cfg["unit"] == "forward"
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    i_layout = pixel_layout(lanes, in_bits)
    mb = cfg["meta_bits"]
    o_layout = (coef_layout(lanes, cfg["data_bits"], mb[0]) if forward else
                block_pixel_layout(lanes, cfg["data_bits"], 1 << mb[1], 1 << mb[0]))
    if forward:
        maps = [make_frame(s, lanes, rng, in_bits) for s in cfg["frames"]]
        items = [(x, int_dwt2(pad_to(x, levels), levels)) for x in maps]
    else:
        items = [haar_coefficients(s, lanes, levels, in_bits, rng) for s in cfg["frames"]]
    dut.width.value = 0
    dut.height.value = 0
    await reset(dut)
    state = {"cycles": 0}
    cocotb.start_soon(lockstep(dut, cfg, state))
    src = StreamSource(dut, "i", dut.clk, i_layout, stall=cfg["stall"], rng=random.Random(seed))
    sink = StreamSink(dut, "o", dut.clk, o_layout, backpressure=cfg["backpressure"],
                      rng=random.Random(seed + 1))

    async def send_all():
        for item, spec in zip(items, cfg["frames"], strict=True):
            dut.width.value = spec["w"]
            dut.height.value = spec["h"]
            if forward:
                await src.send(pixel_beats(item[0]))
            else:
                z, n = item[0], item[0].shape[1]
                await src.send([{"data": [int(v) for v in z[:, p]], "first": int(p == 0),
                                 "last": int(p == n - 1)} for p in range(n)])

    sender = cocotb.start_soon(send_all())
    total = sum(it[1].shape[1] if forward else it[0].shape[1] for it in items)
    got = await sink.collect(total, timeout_cycles=20 * total + 10_000)
    await sender
    k = 0
    for f, item in enumerate(items):
        if forward:
            want = item[1]
            n = want.shape[1]
            beats, k = got[k:k + n], k + n
            ps = [b["pos"] for b in beats]
            assert sorted(ps) == list(range(n)), f"frame {f}: positions lost or duplicated"
            have = np.zeros_like(want)
            have[:, ps] = np.array([b["data"] for b in beats], np.int64).T
        else:
            z, hp, wp, _ = item
            n, b = hp * wp, 2**levels
            beats, k = got[k:k + n], k + n
            blk, loc = np.divmod(np.arange(n), b * b)
            rows, cols = blk // (wp // b) * b + loc // b, blk % (wp // b) * b + loc % b
            assert [o["row"] for o in beats] == rows.tolist(), f"frame {f}: row order"
            assert [o["col"] for o in beats] == cols.tolist(), f"frame {f}: col order"
            have = np.zeros((lanes, hp, wp), np.int64)
            have[:, rows, cols] = np.array([o["data"] for o in beats], np.int64).T
            want = int_idwt2(z, levels, hp, wp, shift=cfg["shift"])
        assert [b["last"] for b in beats] == [0] * (n - 1) + [1], f"frame {f}: last flag"
        bad = np.argwhere(have != want)
        assert not bad.size, (f"frame {f} ({cfg['frames'][f]}): {len(bad)} mismatches, first "
                              f"{bad[0].tolist()}: {have[tuple(bad[0])]} != {want[tuple(bad[0])]}")
    assert int(dut.error.value) == 0
    assert state["cycles"] > total, "lockstep monitor did not run"
    print(f"lockstep checked on {state['cycles']} cycles")
