"""Output FIFO of the systolic array (hw/systolic.py): no overflow check, registered controls."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["SystolicFIFO"]


class SystolicFIFO(wiring.Component):
    """Single-clock FIFO for a writer that never overflows it (the array's output credit).

    ``amaranth.lib.fifo.SyncFIFOBuffered`` gates every write with its level compare and
    loads its ``width``-bit output register under a read enable that depends on ``r_ready``:
    on an 8 x 8 array those two nets (level compare -> LUT-RAM write enables, ``r_ready`` ->
    258 clock enables) were the slowest paths. Here the write enable goes to the LUT-RAM
    unchecked (the array only issues a result when it holds a credit for it), ``r_valid`` is
    a register computed a cycle ahead for both outcomes of the read handshake, and ``r_data``
    is the asynchronous read of the LUT-RAM at the read pointer (a register), so no wide
    enable depends on ``r_ready``.

    Latency 1 cycle from ``w_en`` to ``r_valid``; throughput one entry per cycle each way.

    Parameters
    ----------
    width : int
        Entry width, >= 1.
    depth : int
        Capacity, a power of two >= 2; the writer must never hold more than ``depth``
        entries in the FIFO.

    Members
    -------
    w_en : In(1)
        Write ``w_data`` (ignored when the FIFO is full: the writer's contract).
    w_data : In(width)
    r_valid : Out(1)
        The FIFO is not empty; ``r_data`` is its oldest entry.
    r_ready : In(1)
        Pop the oldest entry when ``r_valid``.
    r_data : Out(width)
    """

    def __init__(self, width: int, depth: int):
        if not (isinstance(width, int) and width >= 1):
            raise ValueError(f"width must be an integer >= 1, got {width!r}")
        if not (isinstance(depth, int) and depth >= 2 and depth & (depth - 1) == 0):
            raise ValueError(f"depth must be a power of two >= 2, got {depth!r}")
        self.width, self.depth = width, depth
        super().__init__({"w_en": In(1), "w_data": In(width), "r_valid": Out(1),
                          "r_ready": In(1), "r_data": Out(width)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=self.width, depth=self.depth, init=[])
        wr = mem.write_port()
        rd = mem.read_port(domain="comb")
        wp = Signal(range(self.depth))
        rp = Signal(range(self.depth))
        level = Signal(range(self.depth + 1))
        pop = self.r_valid & self.r_ready
        m.d.comb += [wr.en.eq(self.w_en), wr.addr.eq(wp), wr.data.eq(self.w_data),
                     rd.addr.eq(rp), self.r_data.eq(rd.data)]
        m.d.sync += [
            wp.eq(wp + self.w_en),
            rp.eq(Mux(pop, rp + 1, rp)),
            level.eq(Mux(self.w_en ^ pop, Mux(pop, level - 1, level + 1), level)),
            # Not empty next cycle: a write, or an entry left after this cycle's pop.
            self.r_valid.eq(self.w_en | Mux(pop, level != 1, self.r_valid)),
        ]
        return m
