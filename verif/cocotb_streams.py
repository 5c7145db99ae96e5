"""cocotb helpers for ``amaranth.lib.stream`` ports of generated Verilog.

A stream port ``p`` of an Amaranth component becomes ``p__valid``, ``p__ready`` and a packed
``p__payload`` vector. :func:`pack` / :func:`unpack` map nested dicts and lists to that vector
using the Amaranth layout itself. :class:`StreamSource` drives beats with random valid gaps;
:class:`StreamSink` collects beats with random ready-low cycles. Both use a seeded
``random.Random`` so that a failing run can be repeated; the seed is printed by the test.

Long runs (whole frames, hundreds of thousands of cycles on Verilator) spend their time in
these drivers, so the per-cycle work is kept to what the handshake needs: the layout is walked
once into a packing and an unpacking function (:func:`codec`), a signal is written only when
its value changes, and the sink samples the port only in cycles where its ready is high.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from amaranth.hdl import Shape
from amaranth.lib import data
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly

__all__ = ["pack", "unpack", "codec", "StreamSource", "StreamSink", "reset"]


def _width(shape) -> int:
    return shape.size if isinstance(shape, data.Layout) else Shape.cast(shape).width


# Built codecs by id() of the layout, with the layout itself (so that the id stays its own):
# an id lookup, where hashing a layout walks it.
_CODECS: dict[int, tuple] = {}


def codec(layout) -> tuple[Callable, Callable]:
    """``(pack, unpack)`` functions of one argument for ``layout``, built once per layout.

    ``pack(value)`` maps a nested dict/list/int ``value`` to the integer bit pattern of
    ``layout`` (missing struct fields and array elements are 0, more elements than the array
    holds raise ``ValueError``, a plain int is taken as the bits of an aggregate);
    ``unpack(bits)`` is its inverse, signed fields coming back as negative Python ints.
    """
    hit = _CODECS.get(id(layout))
    if hit is None or hit[0] is not layout:
        hit = _CODECS[id(layout)] = (layout, _build(layout))
    return hit[1]


def _build(layout) -> tuple[Callable, Callable]:
    width = _width(layout)
    mask = (1 << width) - 1
    if isinstance(layout, data.StructLayout):
        fields = [(name, f.offset, (1 << _width(f.shape)) - 1, *codec(f.shape))
                  for name, f in layout]

        def pack_struct(value) -> int:
            if isinstance(value, int):
                return value & mask
            out = 0
            for name, offset, _, pack_field, _ in fields:
                out |= pack_field(value.get(name, 0)) << offset
            return out

        def unpack_struct(bits: int) -> dict:
            return {name: unpack_field((bits >> offset) & fmask)
                    for name, offset, fmask, _, unpack_field in fields}

        return pack_struct, unpack_struct
    if isinstance(layout, data.ArrayLayout):
        ew = _width(layout.elem_shape)
        emask = (1 << ew) - 1
        length = layout.length
        shifts = [i * ew for i in range(length)]
        pack_elem, unpack_elem = codec(layout.elem_shape)

        def check(value) -> None:
            if len(value) > length:
                raise ValueError(f"{len(value)} elements for {layout!r}")

        if isinstance(layout.elem_shape, data.Layout):
            def pack_array(value) -> int:
                if isinstance(value, int):
                    return value & mask
                check(value)
                return sum(pack_elem(v) << s for v, s in zip(value, shifts, strict=False))

            def unpack_array(bits: int) -> list:
                return [unpack_elem((bits >> s) & emask) for s in shifts]

            return pack_array, unpack_array
        # Arrays of plain numbers (lanes of data), the bulk of every payload: no call per lane.
        sign = 1 << (ew - 1) if Shape.cast(layout.elem_shape).signed else 0

        def pack_lanes(value) -> int:
            if isinstance(value, int):
                return value & mask
            check(value)
            return sum((int(v) & emask) << s for v, s in zip(value, shifts, strict=False))

        if sign:
            def unpack_lanes(bits: int) -> list:
                return [(((bits >> s) & emask) ^ sign) - sign for s in shifts]
        else:
            def unpack_lanes(bits: int) -> list:
                return [(bits >> s) & emask for s in shifts]

        return pack_lanes, unpack_lanes
    shape = Shape.cast(layout)
    sign = 1 << (shape.width - 1) if shape.signed else 0

    def pack_value(value) -> int:
        return int(value) & mask

    if sign:
        def unpack_value(bits: int) -> int:
            return ((bits & mask) ^ sign) - sign
    else:
        def unpack_value(bits: int) -> int:
            return bits & mask

    return pack_value, unpack_value


def pack(layout, value) -> int:
    """Nested dict/list/int ``value`` -> the integer bit pattern of ``layout``."""
    return codec(layout)[0](value)


def unpack(layout, bits: int):
    """The inverse of :func:`pack`: signed fields come back as negative Python ints."""
    return codec(layout)[1](bits)


class StreamSource:
    """Drive ``dut.<prefix>__valid/__payload``; each cycle valid is withheld with ``stall``.

    Inputs change at the falling clock edge; ``ready`` is sampled once the values of that half
    cycle have settled, which is what the DUT sees at the next rising edge. Per beat: one
    packing (see :func:`codec`) and one random draw per cycle while ``stall`` is nonzero.
    """

    def __init__(self, dut, prefix: str, clk, layout, *, stall: float = 0.0, rng=None):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.clk, self.layout, self.stall = clk, layout, stall
        self.rng = rng or random.Random(0)
        self._pack = codec(layout)[0]
        self.valid.value = 0

    async def send(self, beats) -> None:
        """Send every beat of ``beats`` (dicts/lists/ints), honouring ready."""
        falling, settled = FallingEdge(self.clk), ReadOnly()
        valid, ready, payload, pack = self.valid, self.ready, self.payload, self._pack
        stall, draw = self.stall, self.rng.random
        await falling
        shown = 0  # the value valid was last given
        for beat in beats:
            # The same draws, one per cycle, as a cycle-by-cycle loop; the gap is waited out
            # at once.
            gap = 0
            while stall and draw() < stall:
                gap += 1
            if gap:
                if shown:
                    valid.value = shown = 0
                await ClockCycles(self.clk, gap, rising=False)
            payload.value = pack(beat)
            if not shown:
                valid.value = shown = 1
            while True:
                await settled
                accepted = int(ready.value)
                await falling
                if accepted:
                    break
        valid.value = 0


class StreamSink:
    """Collect beats from ``dut.<prefix>__*``; ready is low with probability ``backpressure``.

    One random draw per cycle while ``backpressure`` is nonzero; the port is sampled (and a
    beat unpacked, see :func:`codec`) only in cycles where ready is high.
    """

    def __init__(self, dut, prefix: str, clk, layout, *, backpressure: float = 0.0, rng=None):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.clk, self.layout, self.bp = clk, layout, backpressure
        self.rng = rng or random.Random(1)
        self._unpack = codec(layout)[1]
        self.beats: list = []
        self.ready.value = 0

    async def collect(self, count: int, *, timeout_cycles: int = 1_000_000) -> list:
        """Receive ``count`` beats (or fail after ``timeout_cycles`` cycles)."""
        got = []
        falling, settled = FallingEdge(self.clk), ReadOnly()
        valid, ready, payload, unpack = self.valid, self.ready, self.payload, self._unpack
        bp, draw = self.bp, self.rng.random
        await falling
        shown = None  # the value ready was last given
        for _ in range(timeout_cycles):
            if len(got) >= count:
                break
            level = 0 if (bp and draw() < bp) else 1
            if level != shown:
                ready.value = shown = level
            if level:
                await settled
                if int(valid.value):
                    got.append(unpack(int(payload.value)))
            await falling
        else:
            raise AssertionError(f"timeout: {len(got)} of {count} beats after {timeout_cycles}")
        self.ready.value = 0
        self.beats.extend(got)
        return got


async def reset(dut):
    """Start a 100 MHz clock on ``dut.clk`` and hold ``dut.rst`` for two cycles."""
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
