"""The host's side of the layer's byte link (:mod:`synth.layer_link`): packets and a session.

Pure Python: :func:`frame_bytes` packs one frame (``hw.layer.protocol``'s beats into the
link's packets), :class:`ReplyParser` splits the board's bytes into output beats, credits and
status replies, :func:`output_order` gives the pixel of each output beat (the layer's block
order), and :class:`Session` runs frames over a port (a serial port or the pin-level
simulation, :mod:`synth.board_sim`) within the link's credit window. ``docs/board.md`` has
the protocol table.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from hw.layer.config import CONFIG_LAYOUT
from hw.layer.protocol import config_beat, param_beats, pixel_beats
from synth.layer_link import CMD, CONFIG_BYTES, CREDIT_BYTES, REPLY, STATUS_FLAGS

__all__ = ["LinkError", "ReplyParser", "Session", "config_packet", "frame_bytes",
           "output_map", "output_order", "packets", "reset_bytes", "status_bytes"]

MAX_BEATS = 65536  #: beats per ``P`` or ``X`` packet (the count field is ``beats - 1``)


class LinkError(RuntimeError):
    """The board did not answer as the protocol says (timeout, bad reply byte)."""


def config_packet(cfg: dict) -> bytes:
    """``C`` and the 25 bytes of a ``cfg`` beat (``CONFIG_LAYOUT`` from bit 0, LE)."""
    value = CONFIG_LAYOUT.const(cfg).as_value().value
    return bytes([CMD["config"]]) + value.to_bytes(CONFIG_BYTES, "little")


def packets(cmd: str, beats: list[bytes], *, first: bool = False, last: bool = True) -> bytes:
    """``P`` or ``X`` packets of ``beats`` (each already its bytes), at most
    :data:`MAX_BEATS` a packet: ``first`` on the first beat (``X``), ``last`` on the final."""
    out = bytearray()
    for start in range(0, len(beats), MAX_BEATS):
        chunk = beats[start:start + MAX_BEATS]
        flags = ((last and start + len(chunk) == len(beats)) << 0
                 | (first and start == 0) << 1)
        out += bytes([CMD[cmd], flags]) + (len(chunk) - 1).to_bytes(2, "little")
        out += b"".join(chunk)
    return bytes(out)


def frame_bytes(x: np.ndarray, params, k: int, *, lanes: int, cols: int,
                subtiles: int) -> bytes:
    """One frame's bytes: ``C``, then ``X`` (the planes), then ``P`` (biases, weights).

    The pixels go before the parameters: a frame's weights are taken only once the array is
    done with the previous frame, and its pixels can already stream in meanwhile.
    """
    c_in, h, w = x.shape
    cfg = config_beat(params, c_in=c_in, height=h, width=w, k=k)
    xs = [bytes(v & 0xFF for v in b["data"]) for b in pixel_beats(x, lanes)]
    pbytes = -(-max(64, 8 * cols) // 8)
    ps = [b["data"].to_bytes(pbytes, "little")
          for b in param_beats(params.weight, params.bias, cols=cols, subtiles=subtiles)]
    return config_packet(cfg) + packets("pixels", xs, first=True) + packets("params", ps)


def status_bytes() -> bytes:
    """A status query."""
    return bytes([CMD["status"]])


def reset_bytes() -> bytes:
    """Reset the layer, then query the status (a session's start)."""
    return bytes([CMD["reset"], CMD["status"]])


class ReplyParser:
    """Splits the board's bytes into events: ``("beat", bytes, last)``, ``("credit",)``,
    ``("status", dict)``. Feed it any chunks; a reply split across chunks is kept."""

    def __init__(self, out_lanes: int):
        self.out_lanes = out_lanes
        self.buf = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple]:
        self.buf += data
        while self.buf:
            kind = self.buf[0]
            if kind == REPLY["credit"]:
                del self.buf[:1]
                yield ("credit",)
            elif kind in (REPLY["beat"], REPLY["last"]):
                if len(self.buf) < 1 + self.out_lanes:
                    return
                body = bytes(self.buf[1:1 + self.out_lanes])
                del self.buf[:1 + self.out_lanes]
                yield ("beat", body, kind == REPLY["last"])
            elif kind == REPLY["status"]:
                if len(self.buf) < 5:
                    return
                f, code, lo, hi = self.buf[1:5]
                del self.buf[:5]
                yield ("status", {**{name: bool(f >> bit & 1)
                                     for name, bit in STATUS_FLAGS.items()},
                                  "error_code": code & 0xF, "frames_out": lo | hi << 8})
            else:
                raise LinkError(f"unexpected byte 0x{kind:02x} from the board")


def output_order(c_out: int, height: int, width: int, out_lanes: int,
                 levels: int = 3) -> list[tuple[int, int, int]]:
    """``(group, row, col)`` of each output beat of a frame, in the order ``o`` sends them:
    per group of ``out_lanes`` channels, the ``2**levels`` square blocks in raster order,
    raster order inside a block, the padding left out."""
    b = 2 ** levels
    order = []
    for g in range(-(-c_out // out_lanes)):
        for by in range(0, height, b):
            for bx in range(0, width, b):
                order += [(g, r, c) for r in range(by, min(by + b, height))
                          for c in range(bx, min(bx + b, width))]
    return order


def output_map(beats: list[bytes], *, c_out: int, height: int, width: int,
               out_lanes: int, levels: int = 3) -> np.ndarray:
    """The int8 map (C_out, H, W) from one frame's output beats (their bytes, in order)."""
    order = output_order(c_out, height, width, out_lanes, levels)
    if len(beats) != len(order):
        raise LinkError(f"{len(beats)} output beats for a frame of {len(order)}")
    groups = -(-c_out // out_lanes)
    out = np.zeros((groups * out_lanes, height, width), np.int64)
    for (g, r, c), body in zip(order, beats, strict=True):
        out[g * out_lanes:(g + 1) * out_lanes, r, c] = np.frombuffer(body, np.int8)
    return out[:c_out]


class Session:
    """Frames over a port within the link's credit window.

    Parameters
    ----------
    port : object
        ``write(bytes)``, ``read(timeout) -> bytes`` (what has arrived, waiting up to
        ``timeout`` seconds for the first byte) and ``send_break()``.
    out_lanes : int
        Channels of an output beat.
    window : int
        The link's input FIFO, bytes (the most the host keeps unconsumed).
    timeout : float
        Seconds without any byte from the board before :class:`LinkError`.
    """

    def __init__(self, port, *, out_lanes: int, window: int, timeout: float = 10.0):
        self.port, self.window, self.timeout = port, window, timeout
        self.parser = ReplyParser(out_lanes)
        self.unacked = 0
        self.sent = self.received = 0

    def _write(self, data: bytes) -> None:
        self.port.write(data)
        self.unacked += len(data)
        self.sent += len(data)

    def _events(self, timeout: float) -> list[tuple]:
        data = self.port.read(timeout)
        self.received += len(data)
        events = list(self.parser.feed(data))
        self.unacked -= CREDIT_BYTES * sum(e[0] == "credit" for e in events)
        return events

    def start(self) -> dict:
        """Resynchronise: a break (flushes the link), reset the layer, query the status;
        everything before the status reply is discarded. Returns the status."""
        self.port.send_break()
        self.port.write(reset_bytes())
        # The line's return to idle after a break may be read as one more byte (its bits
        # 0...01...1: never a command, skipped): counted as unacknowledged, to be safe.
        self.unacked = len(reset_bytes()) + 1
        self.parser.buf.clear()
        raw, deadline = bytearray(), time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            got = self.port.read(0.2)
            raw += got
            # The status reply is the last thing the board sends after the reset (the
            # break cleared its credits): wait for it and for the line to go quiet.
            if not got and len(raw) >= 5 and raw[-5] == REPLY["status"]:
                return next(iter(ReplyParser(0).feed(bytes(raw[-5:]))))[1]
        raise LinkError(f"no status reply within {self.timeout} s: check the port, the baud "
                        f"rate and the bitstream")

    def status(self) -> dict:
        """Query the status (after any output in flight)."""
        self._write(status_bytes())
        return self._wait(lambda e: e[0] == "status")[1]

    def _wait(self, want) -> tuple:
        last = time.monotonic()
        while True:
            for e in self._events(0.05):
                last = time.monotonic()
                if want(e):
                    return e
            if time.monotonic() - last > self.timeout:
                raise LinkError(f"nothing from the board for {self.timeout} s")

    def run(self, data: bytes, beats: int, progress=None) -> list[bytes]:
        """Send a frame's bytes (:func:`frame_bytes`) and collect its ``beats`` output beats
        (the last one marked); ``progress(sent, received)`` is called now and then."""
        out, pos, last = [], 0, time.monotonic()
        while len(out) < beats:
            free = self.window - self.unacked
            if pos < len(data) and free > 0:
                chunk = data[pos:pos + min(free, 4096)]
                self._write(chunk)
                pos += len(chunk)
            events = self._events(0.0 if pos < len(data) and self.window > self.unacked
                                  else 0.05)
            for e in events:
                last = time.monotonic()
                if e[0] == "beat":
                    out.append(e[1])
                    if e[2] != (len(out) == beats):
                        raise LinkError(f"output beat {len(out)} of {beats}: the frame's "
                                        f"last marker {'came early' if e[2] else 'is missing'}")
            if events and progress:
                progress(pos, len(out))
            if time.monotonic() - last > self.timeout:
                raise LinkError(f"nothing from the board for {self.timeout} s "
                                f"({pos} of {len(data)} bytes sent, {len(out)} of {beats} "
                                f"output beats)")
        return out
