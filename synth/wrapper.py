"""Registered wrapper that measures a component without running out of FPGA pins.

Every input of the wrapped module is driven by a flip-flop of an input scan chain (fed from
pin ``si``), and every output is captured by a flip-flop and then loaded into an output scan
chain (read on pin ``so``). All of the module's paths therefore start and end at flip-flops,
none of its inputs is constant (so Yosys cannot optimise logic away), and the design needs
only five pins: ``clk``, ``rst``, ``si``, ``load``, ``so``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["RegisteredWrapper", "split_ports"]


def split_ports(component) -> tuple[list[tuple[str, Value]], list[tuple[str, Value]]]:
    """Flatten ``component``'s signature into ``(inputs, outputs)`` lists of (name, value).

    Names join the member path with ``__`` (the convention of Amaranth's Verilog ports).
    """
    inputs, outputs = [], []
    for path, member, value in component.signature.flatten(component):
        name = "__".join(str(p) for p in path)
        port = (name, Value.cast(value))
        (inputs if member.flow == In else outputs).append(port)
    return inputs, outputs


class RegisteredWrapper(wiring.Component):
    """Scan-chain harness around ``dut`` (instantiated as submodule ``dut``).

    Parameters
    ----------
    dut : amaranth.lib.wiring.Component
        Module under measurement, clocked by the ``sync`` domain.

    Members
    -------
    si : In(1)
        Serial input of the input scan chain (shifts every cycle).
    load : In(1)
        Loads the captured outputs into the output scan chain; otherwise it shifts.
    so : Out(1)
        Serial output of the output scan chain.

    Latency: one cycle into the module, one cycle out; the wrapper adds no logic between
    the module and its input/output flip-flops.
    """

    def __init__(self, dut):
        self.dut = dut
        super().__init__({"si": In(1), "load": In(1), "so": Out(1)})

    def elaborate(self, platform):
        m = Module()
        # The sync domain is left undefined here: the back-end then creates it and makes
        # clk and rst top-level ports.
        m.submodules.dut = self.dut
        inputs, outputs = split_ports(self.dut)

        width_in = sum(len(v) for _, v in inputs)
        if width_in:
            chain = Signal(width_in)
            m.d.sync += chain.eq(Cat(self.si, chain[:-1]))
            offset = 0
            for _, value in inputs:
                m.d.comb += value.eq(chain[offset : offset + len(value)])
                offset += len(value)

        width_out = sum(len(v) for _, v in outputs)
        if width_out:
            # Capture first, then scan: the load mux sits behind the capture flip-flops,
            # not on the module's output paths.
            capture = Signal(width_out)
            scan = Signal(width_out)
            m.d.sync += capture.eq(Cat(v for _, v in outputs))
            with m.If(self.load):
                m.d.sync += scan.eq(capture)
            with m.Else():
                m.d.sync += scan.eq(scan >> 1)
            m.d.comb += self.so.eq(scan[0])
        return m
