"""Host driver for the ULX3S board build (``synth/board.py``): requantize int32 values.

Needs ``pyserial`` (``pip install pyserial``; not a project dependency)::

    .venv/bin/python -m synth.host /dev/ttyUSB0 --multiplier 1518500250 --shift 3 100 -7 4096

prints each value with the board's int8 answer and the golden model's, and exits non-zero
on a mismatch. Without a board, :func:`encode` documents the byte protocol.
"""

import argparse
import struct
import sys

from golden.fixedpoint import requantize
from synth.board import BAUD

__all__ = ["encode", "main"]


def encode(multiplier: int, shift: int, values) -> bytes:
    """Bytes that set ``multiplier``/``shift`` and query each int32 of ``values``."""
    if not 0 <= multiplier < 2**31:
        raise ValueError(f"multiplier must be in [0, 2**31 - 1], got {multiplier}")
    if not 0 <= shift <= 31:
        raise ValueError(f"shift must be in [0, 31], got {shift}")
    out = b"M" + struct.pack("<I", multiplier) + b"S" + bytes([shift])
    for x in values:
        out += b"Q" + struct.pack("<i", x)
    return out


def main(argv=None) -> int:
    """Command line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", help="serial device, e.g. /dev/ttyUSB0")
    parser.add_argument("--baud", type=int, default=BAUD)
    parser.add_argument("--multiplier", type=int, default=2**30)
    parser.add_argument("--shift", type=int, default=0)
    parser.add_argument("values", type=int, nargs="+")
    args = parser.parse_args(argv)
    import serial  # pyserial; imported here so the module imports without it

    with serial.Serial(args.port, args.baud, timeout=1.0) as link:
        link.write(b"E\x5a")
        if link.read(1) != b"\x5a":
            print("no echo from the board: check the port, baud rate and bitstream")
            return 2
        link.write(encode(args.multiplier, args.shift, args.values))
        answers = link.read(len(args.values))
    bad = 0
    for x, byte in zip(args.values, answers, strict=False):
        got = byte - 256 if byte > 127 else byte
        want = int(requantize(x, args.multiplier, args.shift))
        bad += got != want
        print(f"{x:>12} -> board {got:>4}  golden {want:>4}")
    if len(answers) != len(args.values):
        print(f"only {len(answers)} of {len(args.values)} answers arrived")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
