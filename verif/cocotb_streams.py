"""cocotb helpers for ``amaranth.lib.stream`` ports of generated Verilog.

A stream port ``p`` of an Amaranth component becomes ``p__valid``, ``p__ready`` and a packed
``p__payload`` vector. :func:`pack` / :func:`unpack` map nested dicts and lists to that vector
using the Amaranth layout itself. :class:`StreamSource` drives beats with random valid gaps;
:class:`StreamSink` collects beats with random ready-low cycles. Both use a seeded
``random.Random`` so that a failing run can be repeated; the seed is printed by the test.
"""

from __future__ import annotations

import random

from amaranth.hdl import Shape
from amaranth.lib import data
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly


def pack(layout, value) -> int:
    """Nested dict/list/int ``value`` -> the integer bit pattern of ``layout``."""
    if isinstance(layout, data.StructLayout):
        out = 0
        for name, field in layout:
            out |= pack(field.shape, value.get(name, 0)) << field.offset
        return out
    if isinstance(layout, data.ArrayLayout):
        w = Shape.cast(layout.elem_shape).width if not isinstance(
            layout.elem_shape, data.Layout) else layout.elem_shape.size
        out = 0
        for i, v in enumerate(value):
            out |= pack(layout.elem_shape, v) << (i * w)
        return out
    shape = Shape.cast(layout)
    return int(value) & ((1 << shape.width) - 1)


def unpack(layout, bits: int):
    """The inverse of :func:`pack`: signed fields come back as negative Python ints."""
    if isinstance(layout, data.StructLayout):
        return {name: unpack(f.shape, (bits >> f.offset) & ((1 << _width(f.shape)) - 1))
                for name, f in layout}
    if isinstance(layout, data.ArrayLayout):
        w = _width(layout.elem_shape)
        return [unpack(layout.elem_shape, (bits >> (i * w)) & ((1 << w) - 1))
                for i in range(layout.length)]
    shape = Shape.cast(layout)
    if shape.signed and bits >> (shape.width - 1):
        return bits - (1 << shape.width)
    return bits


def _width(shape) -> int:
    return shape.size if isinstance(shape, data.Layout) else Shape.cast(shape).width


class StreamSource:
    """Drive ``dut.<prefix>__valid/__payload``; each cycle valid is withheld with ``stall``.

    Inputs change at the falling clock edge; ``ready`` is sampled once the values of that half
    cycle have settled, which is what the DUT sees at the next rising edge.
    """

    def __init__(self, dut, prefix: str, clk, layout, *, stall: float = 0.0, rng=None):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.clk, self.layout, self.stall = clk, layout, stall
        self.rng = rng or random.Random(0)
        self.valid.value = 0

    async def send(self, beats) -> None:
        """Send every beat of ``beats`` (dicts/lists/ints), honouring ready."""
        await FallingEdge(self.clk)
        for beat in beats:
            while self.stall and self.rng.random() < self.stall:
                self.valid.value = 0
                await FallingEdge(self.clk)
            self.payload.value = pack(self.layout, beat)
            self.valid.value = 1
            while True:
                await ReadOnly()
                accepted = int(self.ready.value)
                await FallingEdge(self.clk)
                if accepted:
                    break
        self.valid.value = 0


class StreamSink:
    """Collect beats from ``dut.<prefix>__*``; ready is low with probability ``backpressure``."""

    def __init__(self, dut, prefix: str, clk, layout, *, backpressure: float = 0.0, rng=None):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.clk, self.layout, self.bp = clk, layout, backpressure
        self.rng = rng or random.Random(1)
        self.beats: list = []
        self.ready.value = 0

    async def collect(self, count: int, *, timeout_cycles: int = 1_000_000) -> list:
        """Receive ``count`` beats (or fail after ``timeout_cycles`` cycles)."""
        got = []
        await FallingEdge(self.clk)
        for _ in range(timeout_cycles):
            if len(got) >= count:
                break
            self.ready.value = 0 if (self.bp and self.rng.random() < self.bp) else 1
            await ReadOnly()
            if int(self.valid.value) and int(self.ready.value):
                got.append(unpack(self.layout, int(self.payload.value)))
            await FallingEdge(self.clk)
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
