"""The layer's byte link (``synth/layer_link.py``) in Amaranth's simulator: host bytes to the
layer's streams and its output to bytes, with backpressure everywhere, credits, status replies,
a bad command and a break; against the host's encoder (``synth/layer_host.py``)."""

import random

import numpy as np
from amaranth.lib import data
from amaranth.sim import Simulator

from hw.layer.config import CONFIG_LAYOUT
from synth.layer_host import (
    ReplyParser,
    config_packet,
    packets,
    status_bytes,
)
from synth.layer_link import CMD, CREDIT_BYTES, LayerLink

GEO = dict(lanes=4, cols=2, out_lanes=4, max_width=16, max_height=16, max_tiles=2)
DEPTH = 256


def _cfg(rng):
    return {"c_in": rng.randrange(1, 1 << 16), "c_out": rng.randrange(1 << 16),
            "height": rng.randrange(1 << 16), "width": rng.randrange(1 << 16),
            "k": rng.randrange(1 << 25), "m_coef": rng.randrange(1 << 31),
            "sh_coef": rng.randrange(32), "m_acc": rng.randrange(1 << 31),
            "sh_acc": rng.randrange(32), "m_out": rng.randrange(1 << 31),
            "sh_out": rng.randrange(32), "relu": rng.randrange(2)}


def _run(link, host_bytes, *, seed, out_beats=(), ready_p=0.3, tx_ready_p=0.5,
         break_after=None, cycles_after=400):
    """Feed ``host_bytes`` to ``link.rx`` within the credit window, take the streams with
    random ready, offer ``out_beats`` on ``o``; return what came out of each stream and the
    board's bytes."""
    print(f"seed {seed}")
    rng = random.Random(seed)
    got = {"cfg": [], "params": [], "x": [], "tx": bytearray(), "resets": 0}
    state = {"credits": 0, "done": False}

    async def host(ctx):
        sent = 0
        for i, b in enumerate(host_bytes):
            while sent - state["credits"] * CREDIT_BYTES >= DEPTH:
                await ctx.tick()
            if break_after is not None and i == break_after:
                ctx.set(link.rx_break, 1)
                await ctx.tick()
                ctx.set(link.rx_break, 0)
                sent, state["credits"] = 0, 0
            ctx.set(link.rx.payload, b)
            ctx.set(link.rx.valid, 1)
            await ctx.tick().until(link.rx.ready)
            ctx.set(link.rx.valid, 0)
            sent += 1
            if rng.random() < 0.3:
                await ctx.tick().repeat(rng.randrange(1, 4))

    def sink(name):
        stream = getattr(link, name)

        async def run(ctx):
            while True:
                r = rng.random() < ready_p
                ctx.set(stream.ready, r)
                *_, valid, payload = await ctx.tick().sample(stream.valid, stream.payload)
                if r and valid:
                    got[name].append(payload)
        return run

    async def tx(ctx):
        parser = ReplyParser(GEO["out_lanes"])
        while True:
            r = rng.random() < tx_ready_p
            ctx.set(link.tx.ready, r)
            *_, valid, b = await ctx.tick().sample(link.tx.valid, link.tx.payload)
            if r and valid:
                got["tx"].append(b)
                state["credits"] += sum(e == ("credit",) for e in parser.feed(bytes([b])))

    async def out(ctx):
        for beat in out_beats:
            while rng.random() < 0.3:
                await ctx.tick()
            ctx.set(link.o.payload, beat)
            ctx.set(link.o.valid, 1)
            await ctx.tick().until(link.o.ready)
            ctx.set(link.o.valid, 0)

    async def resets(ctx):
        while True:
            *_, pulse = await ctx.tick().sample(link.layer_reset)
            got["resets"] += pulse

    async def main(ctx):
        await ctx.tick().repeat(len(host_bytes) * 6 + len(out_beats) * 60 + cycles_after)

    sim = Simulator(link)
    sim.add_clock(1e-6)
    sim.add_testbench(host, background=True)
    for name in ("cfg", "params", "x"):
        sim.add_testbench(sink(name), background=True)
    sim.add_testbench(tx, background=True)
    sim.add_testbench(out, background=True)
    sim.add_testbench(resets, background=True)
    sim.add_testbench(main)
    sim.run()
    return got


def _beats(rng, n, nbytes):
    return [bytes(rng.randrange(256) for _ in range(nbytes)) for _ in range(n)]


def test_bytes_to_streams_with_backpressure_and_credits():
    """Two frames' packets (more bytes than the window, so credits must flow) come out as
    the same beats, ``first``/``last`` where the flags say, with 70 % backpressure."""
    rng = random.Random(5)
    cfgs = [_cfg(rng) for _ in range(2)]
    xs = [_beats(rng, 60, GEO["lanes"]), _beats(rng, 3, GEO["lanes"])]
    ps = [_beats(rng, 7, 8), _beats(rng, 1, 8)]
    sent = b""
    for c, x, p in zip(cfgs, xs, ps, strict=True):
        sent += config_packet(c) + packets("pixels", x, first=True) + packets("params", p)
    assert len(sent) > DEPTH
    link = LayerLink(**GEO, fifo_depth=DEPTH)
    got = _run(link, sent, seed=5)
    assert [{k: int(getattr(v, k)) for k in c} for v, c in zip(got["cfg"], cfgs,
                                                                strict=True)] == cfgs
    flat_x = [b for x in xs for b in x]
    assert [bytes(int(v) & 0xFF for v in b.data) for b in got["x"]] == flat_x
    firsts = [int(b.first) for b in got["x"]]
    lasts = [int(b.last) for b in got["x"]]
    assert firsts == [1] + [0] * 59 + [1, 0, 0]
    assert lasts == [0] * 59 + [1] + [0, 0, 1]
    flat_p = [b for p in ps for b in p]
    assert [int(b.data).to_bytes(8, "little") for b in got["params"]] == flat_p
    assert [int(b.last) for b in got["params"]] == [0] * 6 + [1, 1]
    credits = [e for e in ReplyParser(GEO["out_lanes"]).feed(bytes(got["tx"]))]
    assert credits == [("credit",)] * (len(sent) // CREDIT_BYTES)


def test_streams_to_bytes_and_status():
    """Output beats become ``D``/``L`` packets in order under 50 % tx backpressure; the
    status reply counts the frames and carries the layer's error and code."""
    rng = random.Random(6)
    beats = []
    for j in range(9):
        lanes = [rng.randrange(-128, 128) for _ in range(GEO["out_lanes"])]
        beats.append({"data": lanes, "row": 0, "col": 0, "group": 0, "last": int(j in (4, 8))})
    link = LayerLink(**GEO, fifo_depth=DEPTH)
    # The status query comes once every beat has had time to be sent.
    got = _run(link, b"", seed=6, out_beats=beats, cycles_after=200)
    events = list(ReplyParser(GEO["out_lanes"]).feed(bytes(got["tx"])))
    assert [e[1] for e in events] == [bytes(v & 0xFF for v in b["data"]) for b in beats]
    assert [e[2] for e in events] == [bool(b["last"]) for b in beats]

    link = LayerLink(**GEO, fifo_depth=DEPTH)
    got = _run(link, status_bytes(), seed=7, out_beats=beats[:5], cycles_after=600)
    events = list(ReplyParser(GEO["out_lanes"]).feed(bytes(got["tx"])))
    status = [e[1] for e in events if e[0] == "status"]
    assert len(status) == 1 and status[0]["error_code"] == 0 and not status[0]["error"]
    assert sum(e[0] == "beat" for e in events) == 5


def test_bad_command_break_and_reset():
    """A bad command byte is skipped and flagged; a break in the middle of a packet drops
    it and the next packet decodes; ``R`` pulses the layer's reset; no-ops are skipped."""
    rng = random.Random(8)
    c1, c2 = _cfg(rng), _cfg(rng)
    cut = config_packet(c1)[:10]
    sent = bytes([0x99, CMD["nop"]]) + status_bytes() + cut + config_packet(c2) + bytes(
        [CMD["reset"]]) + status_bytes()
    link = LayerLink(**GEO, fifo_depth=DEPTH)
    got = _run(link, sent, seed=8, break_after=3 + len(cut))
    assert [{k: int(getattr(v, k)) for k in c2} for v in got["cfg"]] == [c2]
    status = [e[1] for e in ReplyParser(GEO["out_lanes"]).feed(bytes(got["tx"]))
              if e[0] == "status"]
    assert status[0]["bad_command"] and not status[0]["break"]
    assert status[1]["break"] and not status[1]["bad_command"]
    assert got["resets"] == 1


def test_config_packet_layout():
    """The 25 bytes of ``C`` are CONFIG_LAYOUT's bits from bit 0, little-endian."""
    cfg = {"c_in": 48, "c_out": 47, "height": 32, "width": 31, "k": 256, "m_coef": 5,
           "sh_coef": 3, "m_acc": 7, "sh_acc": 1, "m_out": 9, "sh_out": 31, "relu": 1}
    pkt = config_packet(cfg)
    assert len(pkt) == 26 and pkt[0] == CMD["config"]
    value = int.from_bytes(pkt[1:], "little")
    view = data.Const(CONFIG_LAYOUT, value)
    assert {k: int(getattr(view, k)) for k in cfg} == cfg
    assert pkt[1:3] == (48).to_bytes(2, "little")
    assert np.uint8(pkt[-1]) >> 6 == 0  # 198 bits: the top two bits are 0
