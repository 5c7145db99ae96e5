"""The WCC layer on the ULX3S: UART pins, byte link, layer; the PLL that clocks them.

:class:`LayerBoard` is the design at the pins (``rx``, ``tx``, ``leds``, one clock domain):
UART receiver -> :class:`synth.layer_link.LayerLink` -> :class:`hw.layer.WccLayer` -> link ->
UART transmitter. :class:`LayerBoardTop` is what ``make bitstream`` builds: the ECP5 PLL
(``EHXPLLL``) makes the ``sync`` clock from the board's 25 MHz oscillator, its lock releases
the reset, and a :class:`LayerBoard` sits on the FTDI UART pins and the eight LEDs. The
pin-level simulation (:mod:`synth.board_sim`, ``wcc board --sim``) runs the same
:class:`LayerBoard` with its clock driven directly.
"""

from amaranth.hdl import (
    Cat,
    ClockDomain,
    ClockSignal,
    Const,
    DomainRenamer,
    Instance,
    Module,
    Signal,
)
from amaranth.lib import wiring
from amaranth.lib.cdc import ResetSynchronizer
from amaranth.lib.wiring import In, Out

from synth.designs import ECP5_LAYER
from synth.layer_link import LayerLink
from synth.uart import UARTRx, UARTTx

__all__ = ["BAUD", "CLOCK_HZ", "LAYER", "LayerBoard", "LayerBoardTop", "PLL", "divisor"]

#: The layer's build on the board: the report's ECP5-85F build (``synth.designs.ECP5_LAYER``:
#: 48 -> 48 channels, maps up to 64 x 64, k up to 1024, 12 lanes, a 4 x 4 array in 2
#: sub-tiles), so its area and Fmax are the report's. The UART, not the layer, limits a frame
#: on the board, by three orders of magnitude either way.
LAYER = dict(ECP5_LAYER)
#: The FT231X's highest rate, and a PLL clock that divides it exactly (20 cycles a bit): 60 MHz,
#: between the report's two routed seeds of the layer alone (54.4 and 71.5 MHz); the board's
#: routed build reaches 47.5 MHz (docs/board.md), so 45 MHz (15 cycles a bit) is the clock that
#: build meets. The clocks that divide 3 Mbaud and that the PLL makes from 25 MHz with a phase
#: detector at >= 3.125 MHz near these: 45, 60 and 75 MHz.
BAUD = 3_000_000
CLOCK_HZ = 60_000_000
#: EHXPLLL settings, as Lattice's ecppll picks them (feedback from CLKOP, CLKOP_CPHASE =
#: CLKOP_DIV / 2): 25 -> 45 MHz: PFD 5 MHz (CLKI_DIV 5), CLKFB_DIV 9, VCO 630 MHz
#: (CLKOP_DIV 14, within 400..800 MHz); 25 -> 60 MHz: PFD 5 MHz, CLKFB_DIV 12, VCO 600 MHz
#: (CLKOP_DIV 10); 25 -> 75 MHz: PFD 25 MHz, CLKFB_DIV 3, VCO 600 MHz (CLKOP_DIV 8).
PLL = {25_000_000: {
    45_000_000: dict(CLKI_DIV=5, CLKFB_DIV=9, CLKOP_DIV=14, CLKOP_CPHASE=7),
    60_000_000: dict(CLKI_DIV=5, CLKFB_DIV=12, CLKOP_DIV=10, CLKOP_CPHASE=5),
    75_000_000: dict(CLKI_DIV=1, CLKFB_DIV=3, CLKOP_DIV=8, CLKOP_CPHASE=4),
}}

def divisor(clock_hz: int = CLOCK_HZ, baud: int = BAUD) -> int:
    """Clock cycles per UART bit; the clock must be a multiple of the baud rate."""
    if clock_hz % baud:
        raise ValueError(f"the clock ({clock_hz} Hz) must be a multiple of the baud rate "
                         f"({baud})")
    return clock_hz // baud


class LayerBoard(wiring.Component):
    """The layer behind the UART: the bitstream's design at its pins, one clock domain.

    The layer runs in a domain of its own (``layer``: the same clock, and a reset that is the
    board's or the link's ``R`` command), so a host can reset it without resetting the link.

    Latency: a UART byte each way per ``10 * divisor`` cycles; the link adds a few cycles
    (:class:`synth.layer_link.LayerLink`). Throughput: the UART's, ``baud / 10`` bytes a second
    each way (full duplex), far below the layer's.

    Parameters
    ----------
    divisor : int
        Clock cycles per UART bit.
    layer : dict, optional
        :class:`hw.layer.WccLayer` keyword arguments (default :data:`LAYER`).
    fifo_depth : int
        The link's input FIFO (the host's credit window), bytes.

    Members
    -------
    rx : In(1)
        Serial line from the host (idle high).
    tx : Out(1)
        Serial line to the host (idle high).
    leds : Out(8)
        0: the layer's ``error``; 1-4: ``error_code``; 5: a host byte arrived (toggles);
        6: an output frame ended (toggles); 7: lit (the clock runs).
    """

    rx: In(1, init=1)
    tx: Out(1, init=1)
    leds: Out(8)

    def __init__(self, divisor: int, layer=None, fifo_depth: int = 2048):
        from hw.layer import WccLayer

        self.divisor = divisor
        self.layer = WccLayer(**(LAYER if layer is None else layer))
        lay = self.layer
        self.link = LayerLink(lanes=lay.lanes, cols=lay.cols, out_lanes=lay.out_lanes,
                              max_width=lay.max_width, max_height=lay.max_height,
                              max_tiles=lay.max_tiles, fifo_depth=fifo_depth)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.rx = rx = UARTRx(self.divisor)
        m.submodules.tx = tx = UARTTx(self.divisor)
        m.submodules.link = link = self.link
        m.submodules.layer = DomainRenamer("layer")(self.layer)
        m.domains.layer = cd_layer = ClockDomain("layer")
        layer_rst = Signal(init=1)
        m.d.sync += layer_rst.eq(link.layer_reset)
        m.d.comb += [cd_layer.clk.eq(ClockSignal("sync")), cd_layer.rst.eq(layer_rst)]

        wiring.connect(m, rx.o, link.rx)
        wiring.connect(m, link.tx, tx.i)
        lay = self.layer
        for name in ("cfg", "params", "x"):
            wiring.connect(m, getattr(link, name), getattr(lay, name))
        wiring.connect(m, lay.o, link.o)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx), link.rx_break.eq(rx.frame_error),
                     link.rx_overrun.eq(rx.overrun), link.error.eq(lay.error),
                     link.error_code.eq(lay.error_code)]
        got, ended = Signal(), Signal()
        with m.If(rx.o.valid & rx.o.ready):
            m.d.sync += got.eq(~got)
        with m.If(lay.o.valid & lay.o.ready & lay.o.payload.last):
            m.d.sync += ended.eq(~ended)
        m.d.comb += self.leds.eq(Cat(lay.error, lay.error_code, got, ended, Const(1, 1)))
        return m


class LayerBoardTop(wiring.Component):
    """ULX3S top: the PLL, its lock as the reset, and :class:`LayerBoard` on the pins.

    Parameters
    ----------
    clock_hz : int
        The ``sync`` clock made by the PLL from the 25 MHz oscillator (a key of :data:`PLL`).
    baud : int
        The UART rate; ``clock_hz`` must be a multiple of it.
    layer : dict, optional
        The layer's parameters (default :data:`LAYER`).

    Members
    -------
    None: the ports are the platform's ``clk25``, ``uart`` and ``led`` resources.
    """

    def __init__(self, clock_hz: int = CLOCK_HZ, baud: int = BAUD, layer=None):
        self.clock_hz, self.baud = clock_hz, baud
        self.board = LayerBoard(divisor(clock_hz, baud), layer)
        super().__init__({})

    def elaborate(self, platform):
        m = Module()
        clk25 = platform.request(platform.default_clk)
        fin = int(platform.default_clk_frequency)
        try:
            pll = PLL[fin][self.clock_hz]
        except KeyError:
            raise ValueError(f"no PLL setting for {fin} Hz -> {self.clock_hz} Hz; known: "
                             f"{PLL}") from None
        m.domains.sync = cd_sync = ClockDomain("sync")
        locked = Signal()
        m.submodules.pll = Instance(
            "EHXPLLL",
            a_FREQUENCY_PIN_CLKI=str(fin / 1e6), a_FREQUENCY_PIN_CLKOP=str(self.clock_hz / 1e6),
            a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
            a_MFG_GMCREF_SEL="2",
            p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
            p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB",
            p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD", p_CLKOP_ENABLE="ENABLED",
            p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP", **{f"p_{k}": v for k, v in pll.items()},
            i_CLKI=clk25.i, o_CLKOP=cd_sync.clk, i_CLKFB=cd_sync.clk, i_RST=Const(0, 1),
            i_STDBY=Const(0, 1), i_PHASESEL0=Const(0, 1), i_PHASESEL1=Const(0, 1),
            i_PHASEDIR=Const(1, 1), i_PHASESTEP=Const(1, 1), i_PHASELOADREG=Const(1, 1),
            i_PLLWAKESYNC=Const(0, 1), i_ENCLKOP=Const(0, 1), o_LOCK=locked)
        platform.add_clock_constraint(cd_sync.clk, self.clock_hz)
        m.submodules.reset_sync = ResetSynchronizer(~locked, domain="sync")

        m.submodules.board = board = self.board
        uart = platform.request("uart", 0)
        m.d.comb += [board.rx.eq(uart.rx.i), uart.tx.o.eq(board.tx)]
        for i in range(8):
            m.d.comb += platform.request("led", i).o.eq(board.leds[i])
        return m
