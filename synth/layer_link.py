"""Byte link of the WCC layer: framed host packets to the layer's streams, its output to bytes.

The board's UART carries bytes; :class:`LayerLink` turns the host's packets into the
:class:`hw.layer.WccLayer` streams ``cfg``, ``params`` and ``x``, and the layer's ``o`` stream
(and status replies and flow-control credits) into bytes. ``docs/board.md`` has the protocol
table; :mod:`synth.layer_host` is the host's side.

Host to board (multi-byte fields little-endian; ``n`` = beats - 1, so 1..65536 beats)::

    'C' (0x43)  25 bytes          one cfg beat: CONFIG_LAYOUT's 198 bits from bit 0
    'P' (0x50)  flags, n (2), (n + 1) x 8 bytes      params beats (data, 64 bits each)
    'X' (0x58)  flags, n (2), (n + 1) x lanes bytes  x beats (int8 lanes in lane order)
    'S' (0x53)  -                 status query
    'R' (0x52)  -                 reset the layer (its clock domain reset, one cycle)
    0x00        -                 no-op; any other byte: skipped, flagged in the status

``flags`` bit 0: ``last`` on the packet's final beat; bit 1 (``X`` only): ``first`` on its
first beat. Board to host::

    'D' (0x44)  out_lanes bytes   one output beat (int8 lanes in lane order)
    'L' (0x4C)  out_lanes bytes   the frame's final output beat
    'K' (0x4B)  -                 credit: 256 more host bytes consumed from the input FIFO
    'S' (0x53)  4 bytes           status: flags (bit 0 layer error, 1 rx overrun, 2 break
                                  seen, 3 bad command), error_code, frames out (u16)

Flow control: the UART cannot stop the host, so the host keeps at most ``fifo_depth`` bytes
unconsumed (credits). Resynchronisation: a break (``rx`` low for a whole character, the
receiver's framing error) flushes the input FIFO, clears the pending credits and returns the
decoder to its command state once a beat it was offering has been taken.
"""

from __future__ import annotations

import contextlib

from amaranth.hdl import Cat, Const, Module, Mux, ResetInserter, Shape, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from hw.layer.config import CONFIG_LAYOUT
from hw.layer.sequencer import params_layout
from hw.lib.layouts import layer_output_layout, pixel_layout

__all__ = ["CMD", "CREDIT_BYTES", "REPLY", "STATUS_FLAGS", "LayerLink"]

#: Host command bytes.
CMD = {"config": 0x43, "params": 0x50, "pixels": 0x58, "status": 0x53, "reset": 0x52,
       "nop": 0x00}
#: Board reply type bytes.
REPLY = {"beat": 0x44, "last": 0x4C, "credit": 0x4B, "status": 0x53}
#: Bits of the status reply's flags byte.
STATUS_FLAGS = {"error": 0, "overrun": 1, "break": 2, "bad_command": 3}
#: Host bytes consumed per credit.
CREDIT_BYTES = 256
CONFIG_BYTES = -(-CONFIG_LAYOUT.size // 8)


class LayerLink(wiring.Component):
    """Framed byte protocol between a UART and the WCC layer's streams (module docstring).

    The host's bytes go through an input FIFO (``fifo_depth`` bytes, block RAM) to a decoder
    that takes one byte a cycle: it gathers a packet's fields in a shift register and offers
    each beat on ``cfg``, ``params`` or ``x`` until the layer takes it, reading no further
    byte meanwhile. A credit byte goes back for every ``CREDIT_BYTES`` bytes it reads. The
    transmit side sends, at packet boundaries and in this priority, a status reply, pending
    credits, then the layer's next output beat: ``o`` is taken only when the transmitter is
    free, so a slow UART stalls the layer and nothing is lost.

    Latency: a beat is offered one cycle after its last byte leaves the FIFO (the FIFO adds
    two cycles); an output beat's type byte is offered the cycle after ``o`` is taken.
    Throughput: one byte a cycle each way, far above a UART's.

    Parameters
    ----------
    lanes : int
        Channels of an ``x`` beat (the layer's ``lanes``).
    cols : int
        The layer's array columns (the ``params`` payload: ``max(64, 8 * cols)`` bits).
    out_lanes : int
        Channels of an ``o`` beat (``subtiles * cols``).
    max_width, max_height, max_tiles : int
        The layer's ``o`` payload fields (:func:`hw.lib.layouts.layer_output_layout`).
    fifo_depth : int
        Input FIFO bytes, a multiple of ``CREDIT_BYTES``: the host's credit window.

    Members
    -------
    rx : In(stream.Signature(8))
        Bytes from the UART receiver.
    rx_break : In(1)
        The receiver's framing-error pulse (a break): resynchronise.
    rx_overrun : In(1)
        The receiver's overrun pulse (a host past its credits): flagged in the status.
    tx : Out(stream.Signature(8))
        Bytes to the UART transmitter.
    cfg, params, x : Out(stream.Signature(...))
        To the layer's streams of the same names.
    o : In(stream.Signature(layer_output_layout(...)))
        The layer's output.
    error : In(1)
    error_code : In(4)
        The layer's, reported by the status reply.
    layer_reset : Out(1)
        One-cycle pulse on an ``R`` command: reset the layer.
    """

    def __init__(self, *, lanes: int, cols: int, out_lanes: int, max_width: int,
                 max_height: int, max_tiles: int, fifo_depth: int = 2048):
        if fifo_depth < CREDIT_BYTES or fifo_depth % CREDIT_BYTES:
            raise ValueError(f"fifo_depth must be a positive multiple of {CREDIT_BYTES}, "
                             f"got {fifo_depth}")
        self.lanes, self.cols, self.out_lanes = lanes, cols, out_lanes
        self.fifo_depth = fifo_depth
        self.p_layout = params_layout(cols)
        self.param_bytes = -(-Shape.cast(self.p_layout.members["data"]).width // 8)
        super().__init__({
            "rx": In(stream.Signature(8)), "rx_break": In(1), "rx_overrun": In(1),
            "tx": Out(stream.Signature(8)),
            "cfg": Out(stream.Signature(CONFIG_LAYOUT)),
            "params": Out(stream.Signature(self.p_layout)),
            "x": Out(stream.Signature(pixel_layout(lanes, 8))),
            "o": In(stream.Signature(layer_output_layout(out_lanes, max_width, max_height,
                                                         max_tiles))),
            "error": In(1), "error_code": In(4), "layer_reset": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        brk = self.rx_break
        m.submodules.fifo = fifo = ResetInserter(brk)(SyncFIFOBuffered(width=8,
                                                                      depth=self.fifo_depth))
        m.d.comb += [fifo.w_data.eq(self.rx.payload), fifo.w_en.eq(self.rx.valid),
                     self.rx.ready.eq(fifo.w_rdy)]

        # Flags reported (and cleared) by the status reply.
        overrun, seen_break, bad_cmd = Signal(), Signal(), Signal()
        status_req = Signal()
        clear_flags = Signal()
        with m.If(clear_flags):
            m.d.sync += [overrun.eq(0), seen_break.eq(0), bad_cmd.eq(0)]
        with m.If(self.rx_overrun):
            m.d.sync += overrun.eq(1)
        with m.If(brk):
            m.d.sync += seen_break.eq(1)

        # Decoder. The fields shift in from the top, so after the packet's bytes the
        # little-endian value sits at the top of `sh`.
        width = 8 * max(CONFIG_BYTES, self.lanes, self.param_bytes)
        sh = Signal(width)
        byte = fifo.r_data
        take = Signal()  # read a byte from the FIFO this cycle
        m.d.comb += fifo.r_en.eq(take)
        cmd = Signal(8)
        left = Signal(range(max(CONFIG_BYTES, self.lanes, self.param_bytes, 3) + 1))
        beats_left = Signal(16)
        flags = Signal(2)
        first_beat = Signal()
        abort = Signal()  # a break: back to the command state once the current beat is out
        with m.If(brk):
            m.d.sync += abort.eq(1)
        with m.If(take):
            m.d.sync += sh.eq(Cat(sh[8:], byte))

        cfg_val = sh[width - 8 * CONFIG_BYTES:][:CONFIG_LAYOUT.size]
        x_val = sh[width - 8 * self.lanes:]
        p_val = sh[width - 8 * self.param_bytes:]
        final = beats_left == 0
        m.d.comb += [
            self.cfg.payload.eq(cfg_val),
            self.x.payload.data.eq(x_val),
            self.x.payload.first.eq(first_beat & flags[1]),
            self.x.payload.last.eq(final & flags[0]),
            self.params.payload.data.eq(p_val),
            self.params.payload.last.eq(final & flags[0]),
        ]
        is_x = cmd == CMD["pixels"]
        beat_bytes = Mux(is_x, self.lanes, self.param_bytes)
        m.d.sync += self.layer_reset.eq(0)

        with m.FSM():
            with m.State("CMD"):
                m.d.sync += abort.eq(brk)
                m.d.comb += take.eq(fifo.r_rdy & ~brk)
                with m.If(take):
                    m.d.sync += cmd.eq(byte)
                    with m.Switch(byte):
                        with m.Case(CMD["config"]):
                            m.d.sync += left.eq(CONFIG_BYTES)
                            m.next = "BODY"
                        with m.Case(CMD["params"], CMD["pixels"]):
                            m.d.sync += left.eq(3)
                            m.next = "HEADER"
                        with m.Case(CMD["status"]):
                            m.d.sync += status_req.eq(1)
                            m.next = "STATUS"
                        with m.Case(CMD["reset"]):
                            m.d.sync += self.layer_reset.eq(1)
                        with m.Case(CMD["nop"]):
                            pass
                        with m.Default():
                            m.d.sync += bad_cmd.eq(1)
            with m.State("STATUS"):
                # One status reply at a time: wait for it to be loaded for sending.
                with m.If(~status_req):
                    m.next = "CMD"
            @contextlib.contextmanager
            def counted_bytes():
                """Take `left` bytes (a break or an abort returns to CMD); the body of the
                `with` applies with the last one."""
                m.d.comb += take.eq(fifo.r_rdy & ~brk & ~abort)
                with m.If(brk | abort):
                    m.next = "CMD"
                with m.Elif(take):
                    m.d.sync += left.eq(left - 1)
                    with m.If(left == 1):
                        yield

            with m.State("HEADER"):
                with counted_bytes():
                    # sh[-24:] = flags, n low, n high.
                    m.d.sync += [flags.eq(sh[width - 16:width - 14]),
                                 beats_left.eq(Cat(sh[width - 8:], byte)),
                                 first_beat.eq(1), left.eq(beat_bytes)]
                    m.next = "BODY"
            with m.State("BODY"):
                with counted_bytes():
                    m.next = "EMIT"
            with m.State("EMIT"):
                with m.Switch(cmd):
                    with m.Case(CMD["config"]):
                        m.d.comb += self.cfg.valid.eq(1)
                        with m.If(self.cfg.ready):
                            m.next = "CMD"
                    with m.Case(CMD["params"], CMD["pixels"]):
                        ready = Mux(is_x, self.x.ready, self.params.ready)
                        m.d.comb += [self.x.valid.eq(is_x), self.params.valid.eq(~is_x)]
                        with m.If(ready):
                            m.d.sync += [beats_left.eq(beats_left - 1), first_beat.eq(0),
                                         left.eq(beat_bytes)]
                            with m.If(final | abort | brk):
                                m.next = "CMD"
                            with m.Else():
                                m.next = "BODY"

        # Credits: one per CREDIT_BYTES bytes read.
        read_count = Signal(range(CREDIT_BYTES))
        credits = Signal(range(self.fifo_depth // CREDIT_BYTES + 64))
        credit_sent = Signal()
        with m.If(brk):
            m.d.sync += [read_count.eq(0), credits.eq(0)]
        with m.Else():
            with m.If(take):
                m.d.sync += read_count.eq(read_count + 1)
            add = take & (read_count == CREDIT_BYTES - 1)
            m.d.sync += credits.eq(credits + add - credit_sent)

        # Transmitter: a packet register shifted out a byte at a time.
        pkt = Signal(8 * (1 + max(self.out_lanes, 4)))
        pkt_left = Signal(range(len(pkt) // 8 + 1))
        frames = Signal(16)
        m.d.comb += [self.tx.payload.eq(pkt[:8]), self.tx.valid.eq(pkt_left != 0)]
        with m.If(self.tx.valid & self.tx.ready):
            m.d.sync += [pkt.eq(pkt >> 8), pkt_left.eq(pkt_left - 1)]
        idle = pkt_left == 0
        o = self.o.payload
        with m.If(idle):
            with m.If(status_req):
                code = Cat(self.error, overrun | self.rx_overrun, seen_break | brk,
                           bad_cmd, Const(0, 4))
                m.d.sync += [pkt.eq(Cat(Const(REPLY["status"], 8), code,
                                        self.error_code, Const(0, 4), frames)),
                             pkt_left.eq(5), status_req.eq(0)]
                m.d.comb += clear_flags.eq(1)
            with m.Elif(credits != 0):
                m.d.sync += [pkt.eq(REPLY["credit"]), pkt_left.eq(1)]
                m.d.comb += credit_sent.eq(1)
            with m.Else():
                m.d.comb += self.o.ready.eq(1)
                with m.If(self.o.valid):
                    kind = Mux(o.last, Const(REPLY["last"], 8), Const(REPLY["beat"], 8))
                    m.d.sync += [pkt.eq(Cat(kind, o.data.as_value())),
                                 pkt_left.eq(1 + self.out_lanes)]
                    with m.If(o.last):
                        m.d.sync += frames.eq(frames + 1)
        return m
