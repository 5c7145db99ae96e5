"""The host's side of the layer link (``synth/layer_host.py``): packets decoded back to the
layer's beats, replies parsed across chunk boundaries, the output order, and a session that
never runs past the link's credit window (against a Python model of the board)."""

import random

import numpy as np
import pytest

import synth.layer_host as host
from hw.layer.protocol import param_beats, pixel_beats
from synth.layer_host import (
    LinkError,
    ReplyParser,
    Session,
    frame_bytes,
    output_map,
    output_order,
)
from synth.layer_link import CMD, CONFIG_BYTES, CREDIT_BYTES, REPLY
from verif.stimulus import layer_frame

LANES, COLS, SUBTILES = 4, 2, 2


def decode(data: bytes, lanes: int, pbytes: int = 8) -> dict:
    """The link's decoder in Python: the beats of each stream, in order."""
    out = {"cfg": [], "x": [], "params": []}
    i = 0
    while i < len(data):
        cmd = data[i]
        i += 1
        if cmd == CMD["config"]:
            out["cfg"].append(int.from_bytes(data[i:i + CONFIG_BYTES], "little"))
            i += CONFIG_BYTES
        elif cmd in (CMD["pixels"], CMD["params"]):
            flags, n = data[i], int.from_bytes(data[i + 1:i + 3], "little") + 1
            i += 3
            size = lanes if cmd == CMD["pixels"] else pbytes
            for j in range(n):
                body = data[i:i + size]
                i += size
                last = int(bool(flags & 1) and j == n - 1)
                if cmd == CMD["pixels"]:
                    out["x"].append({"data": [int(v) for v in np.frombuffer(body, np.int8)],
                                     "first": int(bool(flags & 2) and j == 0), "last": last})
                else:
                    out["params"].append({"data": int.from_bytes(body, "little"),
                                          "last": last})
    return out


def test_frame_bytes_decode_to_the_layer_beats(monkeypatch):
    """A frame's packets carry exactly ``hw.layer.protocol``'s beats, split into packets of
    at most MAX_BEATS (shrunk here to 7) with ``first``/``last`` only at the frame's ends."""
    monkeypatch.setattr(host, "MAX_BEATS", 7)
    x, params, k = layer_frame(6, 7, 5, 9, seed=1, keep=0.5)
    data = frame_bytes(x, params, k, lanes=LANES, cols=COLS, subtiles=SUBTILES)
    got = decode(data, LANES)
    assert got["x"] == pixel_beats(x, LANES)
    assert got["params"] == param_beats(params.weight, params.bias, cols=COLS,
                                        subtiles=SUBTILES)
    assert len(got["cfg"]) == 1
    xb, pb = len(got["x"]), len(got["params"])
    assert len(data) == (1 + CONFIG_BYTES + 4 * -(-xb // 7) + xb * LANES
                         + 4 * -(-pb // 7) + pb * 8)


def test_reply_parser_across_chunks():
    out = bytes([REPLY["beat"], 1, 2, 3, 0xFF, REPLY["credit"], REPLY["status"], 0b1011, 6,
                 3, 1, REPLY["last"], 9, 8, 7, 0x80])
    for cut in range(len(out) + 1):
        p = ReplyParser(4)
        events = list(p.feed(out[:cut])) + list(p.feed(out[cut:]))
        assert events == [("beat", bytes([1, 2, 3, 0xFF]), False), ("credit",),
                          ("status", {"error": True, "overrun": True, "break": False,
                                      "bad_command": True, "error_code": 6,
                                      "frames_out": 259}),
                          ("beat", bytes([9, 8, 7, 0x80]), True)]
    with pytest.raises(LinkError, match="0x7a"):
        list(ReplyParser(4).feed(b"z"))


def test_output_order_and_map():
    """Block order (8 x 8 blocks in raster order, raster inside, padding left out), per
    group of ``out_lanes`` channels; ``output_map`` puts each beat back in its place."""
    order = output_order(5, 10, 12, 4)
    assert len(order) == 2 * 10 * 12 == len(set(order))
    assert order[:3] == [(0, 0, 0), (0, 0, 1), (0, 0, 2)]
    assert order[8] == (0, 1, 0)  # the first block's second row
    assert order[64] == (0, 0, 8)  # the second block
    assert order[64 + 4 * 8] == (0, 8, 0)  # the third block: 4 columns left in the second
    rng = np.random.default_rng(3)
    want = rng.integers(-128, 128, (5, 10, 12))
    padded = np.zeros((8, 10, 12), np.int64)
    padded[:5] = want
    beats = [bytes(int(v) & 0xFF for v in padded[g * 4:(g + 1) * 4, r, c])
             for g, r, c in order]
    assert np.array_equal(output_map(beats, c_out=5, height=10, width=12, out_lanes=4), want)
    with pytest.raises(LinkError, match="output beats"):
        output_map(beats[:-1], c_out=5, height=10, width=12, out_lanes=4)


class FakeBoard:
    """The board as the host sees it: consumes a few random bytes per read (and fails if
    the host ever has more than ``window`` unconsumed), credits every CREDIT_BYTES, and
    sends ``beats`` output beats once it has consumed the frame's ``expect`` bytes."""

    def __init__(self, window, beats, expect, seed):
        print(f"seed {seed}")
        self.rng = random.Random(seed)
        self.window, self.beats, self.expect = window, beats, expect
        self.pending = bytearray()
        self.consumed = 0
        self.queue = bytearray()

    def write(self, data):
        self.pending += data
        assert len(self.pending) <= self.window, "host past its credit window"

    def read(self, timeout):
        n = min(len(self.pending), self.rng.randrange(0, 700))
        for _ in range(n):
            self.consumed += 1
            if self.consumed % CREDIT_BYTES == 0:
                self.queue.append(REPLY["credit"])
        del self.pending[:n]
        if self.consumed == self.expect and self.beats:
            for j, body in enumerate(self.beats):
                kind = REPLY["last"] if j == len(self.beats) - 1 else REPLY["beat"]
                self.queue += bytes([kind]) + body
            self.beats = []
        out, self.queue = bytes(self.queue[:1000]), self.queue[1000:]
        return out


def test_session_keeps_to_the_window():
    x, params, k = layer_frame(8, 8, 16, 16, seed=2, keep=0.25)
    data = frame_bytes(x, params, k, lanes=LANES, cols=COLS, subtiles=SUBTILES)
    beats = [bytes([j % 256] * 4) for j in range(2 * 256)]
    port = FakeBoard(512, beats, len(data), seed=4)
    s = Session(port, out_lanes=4, window=512, timeout=5)
    got = s.run(data, len(beats))
    assert got == beats and s.sent == len(data) > 4 * 512
