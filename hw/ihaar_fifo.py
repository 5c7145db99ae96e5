"""Output FIFO of the inverse Haar unit (hw/ihaar.py) with the credits of its pipeline."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .requant_fifo import RequantFIFO

__all__ = ["CreditFIFO"]


class CreditFIFO(wiring.Component):
    """16-entry LUT-RAM FIFO behind a free-running pipeline, and the credits to enter it.

    One credit per entry: ``credit`` (a register) says a beat may enter the pipeline now;
    ``take`` consumes one, a popped entry returns one. A beat entering with a credit has its
    entry reserved, so ``w_en`` goes to the memory unchecked and backpressure never stalls
    the pipeline; with more credits than the round trip (entry, pipeline, FIFO, pop: the
    pipeline's registers plus two) the input runs at one beat per cycle. Credits and the
    level are thermometer codes (bit k: more than k), so each bit's next state is one LUT
    where a binary counter would put a carry chain behind ``o.ready``. ``r_valid`` is a
    register and ``r_data`` the asynchronous read at the read pointer: no wide enable
    depends on ``r_ready``.

    Latency 1 cycle from ``w_en`` to ``r_valid``; one entry per cycle each way.

    Parameters
    ----------
    shape : shape-castable
        Entry shape (the unit's output payload layout).

    Members
    -------
    take : In(1)
        A beat enters the pipeline (only with ``credit``).
    credit : Out(1)
        A register: at least one entry is free and not reserved.
    credit_next : Out(1)
        The value ``credit`` takes at the next clock edge (for registers kept equal to a
        function of it).
    w_en : In(1)
        The pipeline delivers a beat.
    w_data : In(shape)
    r_valid : Out(1)
    r_ready : In(1)
    r_data : Out(shape)
    """

    depth = RequantFIFO.depth

    def __init__(self, shape):
        self.shape = shape
        super().__init__({"take": In(1), "credit": Out(1), "credit_next": Out(1),
                          "w_en": In(1), "w_data": In(shape),
                          "r_valid": Out(1), "r_ready": In(1), "r_data": Out(shape)})

    def elaborate(self, platform):
        m = Module()
        # The storage and its level are the requantizer's FIFO (same free-running producer,
        # no overflow check); this adds the credits.
        m.submodules.fifo = fifo = RequantFIFO(self.shape, ram_style="distributed")
        pop = self.r_valid & self.r_ready
        free = Signal(self.depth, init=2**self.depth - 1)
        took, gave = self.take & ~pop, pop & ~self.take
        free_n = Mux(took, Cat(free[1:], Const(0, 1)),
                     Mux(gave, Cat(Const(1, 1), free[:-1]), free))
        m.d.comb += [fifo.w_en.eq(self.w_en), fifo.w_data.eq(self.w_data),
                     self.r_valid.eq(fifo.r_valid), fifo.r_ready.eq(self.r_ready),
                     self.r_data.eq(fifo.r_data),
                     self.credit.eq(free[0]), self.credit_next.eq(free_n[0])]
        m.d.sync += free.eq(free_n)
        return m
