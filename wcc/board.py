"""``wcc board``: a real OCR layer through the WCC layer on the ULX3S, checked bit for bit.

``wcc board --port PORT --layer ocr:TENSOR@PHOTO --keep K [--size S]`` calibrates the
PP-OCRv4 layer on that photo (the same int8 map and int parameters as ``wcc simulate``),
sends the frame over the board's UART (3 Mbaud, the byte protocol of ``docs/board.md``),
reads the output map back, compares it with ``golden.wcc_int`` and reports the time and the
link's throughput against the layer's. ``--sim`` runs the same host program against a
Verilator simulation of the bitstream's design at its pins (``synth/board_sim.py``; the first
run builds the model, a few minutes) instead of a serial port.
"""

from __future__ import annotations

import json
import re
import time

import numpy as np

#: Bytes of a beat-less reply; what the board sends per output beat besides its lanes.
TYPE_BYTES = 1


def check_fits(layer: dict, c_in: int, c_out: int, h: int, w: int, k: int) -> str | None:
    """Why a frame does not fit the board's layer build, or ``None``."""
    if c_in > layer["max_c_in"] or c_out > layer["max_c_out"]:
        return (f"the layer has {c_in} -> {c_out} channels; the board's build takes up to "
                f"{layer['max_c_in']} -> {layer['max_c_out']}")
    if h > layer["max_height"] or w > layer["max_width"]:
        return (f"the map is {h} x {w}; the board's build takes up to {layer['max_height']} x "
                f"{layer['max_width']} (a smaller --size)")
    if k > layer["max_k"]:
        return f"k = {k} kept positions; the board's build keeps up to {layer['max_k']}"
    return None


def throughput(layer: dict, *, c_in: int, c_out: int, h: int, w: int, n: int, k: int,
               bytes_in: int, bytes_out: int, baud: int, clock_hz: int) -> dict:
    """The link's seconds per frame against the layer's (its slowest stage,
    ``WccLayer.stage_cycles``, at the board clock). 8N1 is 10 bits a byte. Frames back to
    back overlap one frame's output with the next one's input (the UART is full duplex):
    ``link_s`` is the longer direction; a lone frame takes ``link_single_s``, both."""
    from hw.layer import WccLayer

    stages = WccLayer(**layer).stage_cycles(c_in, c_out, n, k)
    cycles = max(stages.values())
    link_in, link_out = bytes_in * 10 / baud, bytes_out * 10 / baud
    link = max(link_in, link_out)
    layer_s = cycles / clock_hz
    return {"bytes_in": bytes_in, "bytes_out": bytes_out, "link_in_s": link_in,
            "link_out_s": link_out, "link_s": link, "link_single_s": link_in + link_out,
            "layer_cycles": cycles,
            "layer_stages": stages, "layer_s": layer_s,
            "limit": "link" if link > layer_s else "layer",
            "ratio": max(link, layer_s) / min(link, layer_s)}


def mismatches(out: np.ndarray, want: np.ndarray, count: int = 5) -> list[str]:
    """The first ``count`` differing outputs, ``channel, row, col: got x, want y``."""
    bad = np.argwhere(out != want)
    return [f"channel {c}, row {r}, col {q}: got {out[c, r, q]}, want {want[c, r, q]}"
            for c, r, q in bad[:count]]


class SerialPort:
    """pyserial's port with the calls :class:`synth.layer_host.Session` uses."""

    def __init__(self, name: str, baud: int):
        try:
            import serial
        except ImportError:
            from .args import UsageError

            raise UsageError("--port needs pyserial (pip install pyserial, or the project's "
                             "dev extras)") from None
        try:
            self.ser = serial.Serial(name, baud, timeout=0)
        except serial.SerialException as exc:
            from .args import UsageError

            raise UsageError(f"--port {name}: {exc}") from None

    def write(self, data: bytes) -> None:
        self.ser.write(data)

    def read(self, timeout: float) -> bytes:
        self.ser.timeout = timeout
        first = self.ser.read(1)
        return first + self.ser.read(self.ser.in_waiting) if first else b""

    def send_break(self) -> None:
        self.ser.send_break(0.01)

    def close(self) -> str:
        self.ser.close()
        return ""


def frame_shape(tensor: str, size: int, keep: float) -> tuple[int, int, int, int, int]:
    """``(c_in, c_out, h, w, k)`` of a layer's frame at a photo side, before any
    calibration: the channels from the model's weights, the map's side from its stride (one
    run of the detector at 64, as the tensor names' check does)."""
    from golden.topk import k_from_keep
    from hw.layer.protocol import padded_positions

    from .data import ocr_1x1_layers, ocr_tensors

    c_in, c_out = next((ci, co) for t, _, ci, co in ocr_1x1_layers() if t == tensor)
    side = size * ocr_tensors([tensor], "astronaut", 64)[tensor].shape[1] // 64
    return c_in, c_out, side, side, k_from_keep(keep, padded_positions(side, side))


def main(args) -> int:
    from golden.int_model import wcc_int
    from hw.layer.protocol import padded_positions
    from synth.layer_board import BAUD, CLOCK_HZ, LAYER, divisor
    from synth.layer_host import Session, frame_bytes, output_map, output_order
    from verif.stimulus import ocr_frame

    from .args import UsageError

    tensor, photo = args.layer
    why = check_fits(LAYER, *frame_shape(tensor, args.size, args.keep))
    if why:
        raise UsageError(f"--layer {tensor}@{photo} at --size {args.size}: {why}")
    x, params, k = ocr_frame(tensor, photo, args.keep, size=args.size)
    c_in, h, w = x.shape
    c_out = params.weight.shape[0]
    why = check_fits(LAYER, c_in, c_out, h, w, k)
    if why:
        raise UsageError(f"--layer {tensor}@{photo} at --size {args.size}: {why}")
    want = wcc_int(x, params, k=k)
    out_lanes = LAYER["subtiles"] * LAYER["cols"]
    data = frame_bytes(x, params, k, lanes=LAYER["lanes"], cols=LAYER["cols"],
                       subtiles=LAYER["subtiles"])
    beats = len(output_order(c_out, h, w, out_lanes, params.levels))
    div = divisor()
    log = print if not args.json else (lambda *a, **kw: None)
    log(f"layer ocr:{tensor}@{photo}: {c_in} -> {c_out} channels, {h} x {w}, k = {k} "
        f"(keep {args.keep})")
    if args.sim:
        from synth.board_sim import SimPort, build

        port = SimPort(build(div, log=log), div)
        where, timeout = "pin-level simulation (Verilator)", 600.0
    else:
        port = SerialPort(args.port, BAUD)
        where, timeout = f"{args.port} at {BAUD} baud", 10.0
    t0 = time.monotonic()
    try:
        session = Session(port, out_lanes=out_lanes, window=2048, timeout=timeout)
        session.start()
        t1 = time.monotonic()
        shown = [time.monotonic()]

        def progress(sent, received):
            if time.monotonic() - shown[0] > 30:
                shown[0] = time.monotonic()
                log(f"  {sent} of {len(data)} bytes sent, {received} of {beats} output beats "
                    f"({shown[0] - t1:.0f} s)")

        got = session.run(data, beats, progress=progress)
        t2 = time.monotonic()
        status = session.status()
    finally:
        stats = port.close()
    out = output_map(got, c_out=c_out, height=h, width=w, out_lanes=out_lanes,
                     levels=params.levels)
    exact = bool(np.array_equal(out, want))
    n = padded_positions(h, w, params.levels)
    tp = throughput(LAYER, c_in=c_in, c_out=c_out, h=h, w=w, n=n, k=k, bytes_in=len(data),
                    bytes_out=beats * (TYPE_BYTES + out_lanes), baud=BAUD, clock_hz=CLOCK_HZ)
    rec = {"layer": f"ocr:{tensor}@{photo}", "keep": args.keep, "size": args.size,
           "c_in": c_in, "c_out": c_out, "height": h, "width": w, "n": n, "k": k,
           "where": where, "bit_exact": exact, "status": status,
           "frame_s": t2 - t1, "total_s": time.monotonic() - t0, "sim_stats": stats,
           "throughput": tp}
    cycles = re.match(r"board_sim: (\d+) cycles", stats or "")
    if cycles:
        # The simulated board's own time: what the session takes on a real board, whose
        # host is not the bottleneck.
        rec["sim_cycles"] = int(cycles.group(1))
        rec["board_s"] = rec["sim_cycles"] / CLOCK_HZ
    if args.json:
        print(json.dumps(rec, indent=1, default=str))
    else:
        log(f"bit-exact with golden.wcc_int: {'yes' if exact else 'NO'}")
        for line in mismatches(out, want):
            log(f"  {line}")
        log(f"board status: error {int(status['error'])}, error_code {status['error_code']}, "
            f"{status['frames_out']} frame(s) out")
        log(f"frame over {where}: {rec['frame_s']:.1f} s ({rec['total_s']:.1f} s in all)")
        if stats:
            log(stats)
        if "board_s" in rec:
            log(f"simulated board time (start, frame, status): {rec['board_s']:.3f} s at "
                f"{CLOCK_HZ / 1e6:g} MHz")
        log(f"bytes per frame: {tp['bytes_in']} to the board, {tp['bytes_out']} back")
        log(f"link at {BAUD} baud (8N1): {tp['link_in_s']:.3f} s in, {tp['link_out_s']:.3f} s "
            f"out -> {tp['link_s']:.3f} s per frame back to back (both ways at once), "
            f"{tp['link_single_s']:.3f} s for a lone frame")
        log(f"layer at {CLOCK_HZ / 1e6:g} MHz: {tp['layer_cycles']} cycles (slowest stage) -> "
            f"{tp['layer_s'] * 1e3:.3f} ms per frame")
        log(f"a frame is {tp['limit']}-bound, by {tp['ratio']:.0f}x")
    return 0 if exact else 1


def add_parser(subparsers) -> None:
    """Register ``wcc board``."""
    from .args import keep, layer_spec, map_help, photo_side

    p = subparsers.add_parser("board", help="a real layer through the ULX3S bitstream "
                              "(serial port) or its pin-level simulation (--sim)",
                              description=__doc__.split("\n\n")[0],
                              epilog_fn=lambda: map_help(spatial_only=True))
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="the board's serial port, e.g. /dev/ttyUSB0")
    where.add_argument("--sim", action="store_true",
                       help="a Verilator simulation of the bitstream's design at its pins")
    p.add_argument("--layer", type=layer_spec, default="ocr:p2o.Add.35@astronaut",
                   metavar="ocr:TENSOR@PHOTO",
                   help="a spatial 1x1 layer of the OCR model on a photo (names below; "
                        "default ocr:p2o.Add.35@astronaut)")
    p.add_argument("--keep", type=keep, default=0.25,
                   help="keep ratio in (0, 1] (default %(default)s)")
    p.add_argument("--size", type=photo_side, default=128,
                   help="photo side, a multiple of 32 in [32, 1024]; the board takes maps up "
                        "to 64 x 64 (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    p.set_defaults(func=main)
