"""Output FIFO of the systolic array (hw/systolic.py): no overflow check, registered controls."""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from hw.systolic_mult import PRIMITIVES, kept_register

__all__ = ["SystolicFIFO"]

# Entries per LUT-RAM bank (an ECP5 TRELLIS_DPR16X4 holds 16 x 4 bits).
BANK_DEPTH = 16


class SystolicFIFO(wiring.Component):
    """Single-clock FIFO for a writer that never overflows it (the array's output credit).

    ``amaranth.lib.fifo.SyncFIFOBuffered`` gates every write with its level compare and
    loads its ``width``-bit output register under a read enable that depends on ``r_ready``:
    on an 8 x 8 array those two nets (level compare -> LUT-RAM write enables, ``r_ready`` ->
    258 clock enables) were the slowest paths. Here nothing wide depends on a handshake in
    the same cycle:

    - the writer announces a write a cycle ahead (``w_next``), so the write enables of every
      16-entry bank are registers, decoded from the write pointer beforehand;
    - the entry is cut into slices of ``slice_width`` bits, each slice a memory of its own
      with its own copies of the write enables and of the write and read addresses (kept
      registers with ``primitive="ecp5"``), so that no register drives LUT-RAMs across the
      whole array;
    - ``r_valid`` is a register computed a cycle ahead for both outcomes of the read
      handshake, and ``r_data`` is the asynchronous LUT-RAM read at the registered read
      address (one bank multiplexer after it when ``depth > 16``).

    Latency: an entry whose ``w_next`` is set in cycle t (its ``w_data`` in cycle t + 1) is
    readable (``r_valid``) in cycle t + 2. Throughput one entry per cycle each way.

    Parameters
    ----------
    width : int
        Entry width, >= 1.
    depth : int
        Capacity, a power of two >= 2; the writer must never hold more than ``depth``
        entries in the FIFO.
    slice_width : int
        Bits per memory slice, >= 1 (the last slice takes the remainder).
    primitive : {"generic", "ecp5"}
        Register copies as plain registers (Yosys may merge them) or as kept ECP5 flip-flops
        (:func:`hw.systolic_mult.kept_register`).

    Members
    -------
    w_next : In(1)
        ``w_data`` holds an entry to write in the next cycle (ignored when the FIFO would
        overflow: the writer's contract).
    w_data : In(width)
    r_valid : Out(1)
        The FIFO is not empty; ``r_data`` is its oldest entry.
    r_ready : In(1)
        Pop the oldest entry when ``r_valid``.
    r_data : Out(width)
    """

    def __init__(self, width: int, depth: int, *, slice_width: int = 32,
                 primitive: str = "generic"):
        if not (isinstance(width, int) and width >= 1):
            raise ValueError(f"width must be an integer >= 1, got {width!r}")
        if not (isinstance(depth, int) and depth >= 2 and depth & (depth - 1) == 0):
            raise ValueError(f"depth must be a power of two >= 2, got {depth!r}")
        if not (isinstance(slice_width, int) and slice_width >= 1):
            raise ValueError(f"slice_width must be an integer >= 1, got {slice_width!r}")
        if primitive not in PRIMITIVES:
            raise ValueError(f"primitive must be one of {PRIMITIVES}, got {primitive!r}")
        self.width, self.depth, self.slice_width = width, depth, slice_width
        self.primitive = primitive
        super().__init__({"w_next": In(1), "w_data": In(width), "r_valid": Out(1),
                          "r_ready": In(1), "r_data": Out(width)})

    def elaborate(self, platform):
        m = Module()
        size = min(self.depth, BANK_DEPTH)
        banks, lo = self.depth // size, exact_log2(size)
        wq = Signal(range(self.depth))   # where the entry announced by w_next goes
        w_en = Signal()                  # an entry is written in this cycle
        level = Signal(range(self.depth + 1))
        pop = self.r_valid & self.r_ready
        we_n = Cat(self.w_next & ((wq >> lo) == b if banks > 1 else 1) for b in range(banks))
        m.d.sync += [
            wq.eq(wq + self.w_next), w_en.eq(self.w_next),
            level.eq(Mux(w_en ^ pop, Mux(pop, level - 1, level + 1), level)),
            # Not empty next cycle: a write, or an entry left after this cycle's pop.
            self.r_valid.eq(w_en | Mux(pop, level != 1, self.r_valid)),
        ]
        for s, base in enumerate(range(0, self.width, self.slice_width)):
            top = min(base + self.slice_width, self.width)

            def copy(value, name, s=s, reset=True):
                return kept_register(m, value, primitive=self.primitive, name=f"{name}{s}",
                                     reset=reset)

            we, wa = copy(we_n, "we"), copy(wq[:lo], "wa", reset=False)
            # Each read-address copy counts by itself: a shared next-address LUT would sit
            # between all the copies, with a long route on each side.
            ra_n = Signal(range(self.depth), name=f"ra_n{s}")
            ra = copy(ra_n, "ra")
            m.d.comb += ra_n.eq(Mux(pop, ra + 1, ra))
            reads = []
            for b in range(banks):
                m.submodules[f"mem{s}_{b}"] = mem = Memory(shape=top - base, depth=size,
                                                           init=[])
                wr, rd = mem.write_port(), mem.read_port(domain="comb")
                m.d.comb += [wr.en.eq(we[b]), wr.addr.eq(wa),
                             wr.data.eq(self.w_data[base:top]), rd.addr.eq(ra[:lo])]
                reads.append(rd.data)
            m.d.comb += self.r_data[base:top].eq(Array(reads)[ra[lo:]] if banks > 1
                                                 else reads[0])
        return m
