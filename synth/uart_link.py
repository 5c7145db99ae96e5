"""Byte-command decoder that fronts the requantizer for a host on a UART.

Protocol (host -> board; multi-byte arguments little-endian):

=====  =========  ==========================================================
byte   argument   effect
=====  =========  ==========================================================
``M``  4 bytes    multiplier (Q0.31, bit 31 ignored)
``S``  1 byte     shift (0..31, bits 7:5 ignored)
``Q``  4 bytes    int32 ``x``; the board answers one byte, the int8 result
``E``  1 byte     echo: the board answers the same byte (link check)
=====  =========  ==========================================================

Any other command byte is ignored, so a host can resynchronise by sending a few ``E 00``.
"""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["RequantLink", "ARG_BYTES"]

ARG_BYTES = {ord("M"): 4, ord("S"): 1, ord("Q"): 4, ord("E"): 1}


class RequantLink(wiring.Component):
    """Command decoder around ``hw.requant.Requantizer(lanes=1, out_width=8)``.

    With ``requant=False`` (or if the requantizer does not import) ``Q`` is ignored and
    only the echo works: a loopback for bringing up the link.

    Latency: a ``Q`` answer is queued ``Requantizer.latency + 2`` cycles after its last
    argument byte. Throughput: one command at a time (the next command byte is accepted
    once the previous answer is queued, so answers leave in command order); the UART
    (5 bytes in per answer) is the bound, not the decoder.

    Parameters
    ----------
    requant : bool
        Instantiate the requantizer.

    Members
    -------
    rx : In(stream.Signature(8))
        Bytes from the host.
    tx : Out(stream.Signature(8))
        Bytes to the host.
    last : Out(8)
        The last byte sent to the host (for the board's LEDs).
    """

    rx: In(stream.Signature(8))
    tx: Out(stream.Signature(8))
    last: Out(8)

    def __init__(self, requant: bool = True):
        self.req = None
        if requant:
            try:
                from hw.requant import Requantizer
                self.req = Requantizer(lanes=1, out_width=8)
            except ImportError:
                self.req = None
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        cmd = Signal(8)
        left = Signal(range(5))
        # Arguments shift in from the top, so after n bytes the LE value sits in arg[32-8n:].
        arg = Signal(32)
        multiplier = Signal(31)
        shift = Signal(5)
        echo, echo_valid = Signal(8), Signal()
        q_valid = Signal()
        # Queries in the requantizer: the decoder waits for them to drain before the next
        # command so that answers (including echoes) leave in command order.
        inflight = Signal(range(16))

        m.d.comb += self.rx.ready.eq(~echo_valid & ~q_valid & (inflight == 0))
        with m.If(self.rx.valid & self.rx.ready):
            with m.If(left == 0):
                m.d.sync += cmd.eq(self.rx.payload)
                for code, n in ARG_BYTES.items():
                    with m.If(self.rx.payload == code):
                        m.d.sync += left.eq(n)
            with m.Else():
                value = Cat(arg[8:], self.rx.payload)
                m.d.sync += [arg.eq(value), left.eq(left - 1)]
                with m.If(left == 1):
                    with m.Switch(cmd):
                        with m.Case(ord("M")):
                            m.d.sync += multiplier.eq(value[:31])
                        with m.Case(ord("S")):
                            m.d.sync += shift.eq(value[24:29])
                        with m.Case(ord("E")):
                            m.d.sync += [echo.eq(value[24:]), echo_valid.eq(1)]
                        with m.Case(ord("Q")):
                            m.d.sync += q_valid.eq(self.req is not None)

        answer, answer_valid = Signal(8), Signal()
        if self.req is not None:
            m.submodules.req = req = self.req
            m.d.comb += [req.multiplier.eq(multiplier), req.shift.eq(shift),
                         req.i.payload.data[0].eq(arg.as_signed()), req.i.valid.eq(q_valid),
                         answer.eq(req.o.payload.data[0]), answer_valid.eq(req.o.valid)]
            with m.If(req.i.valid & req.i.ready):
                m.d.sync += [q_valid.eq(0), inflight.eq(inflight + 1)]
            with m.If(req.o.valid & req.o.ready):
                m.d.sync += inflight.eq(inflight - 1)

        # One output register: loaded when empty or being emptied, requantizer first, so
        # the payload never changes while tx.valid is waiting for tx.ready.
        with m.If(self.tx.ready | ~self.tx.valid):
            m.d.sync += self.tx.valid.eq(0)
            with m.If(answer_valid):
                m.d.sync += [self.tx.payload.eq(answer), self.tx.valid.eq(1),
                             self.last.eq(answer)]
            with m.Elif(echo_valid):
                m.d.sync += [self.tx.payload.eq(echo), self.tx.valid.eq(1),
                             self.last.eq(echo), echo_valid.eq(0)]
        if self.req is not None:
            m.d.comb += self.req.o.ready.eq(self.tx.ready | ~self.tx.valid)
        return m
