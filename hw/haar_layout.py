"""Parameter checks, layouts and line-buffer figures shared by the Haar units."""

from __future__ import annotations

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

__all__ = ["check_haar_params", "entry_layout", "line_buffer_banks", "line_buffer_bits"]


def _check_int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    return value


def check_haar_params(lanes, groups, max_width, max_height, levels, in_bits, in_lo, in_hi):
    """Shared parameter checks of :class:`HaarForward` and ``HaarInverse``."""
    _check_int("lanes", lanes, 1, 64)
    _check_int("groups", groups, 1, 1)
    _check_int("levels", levels, 1, 4)
    _check_int("in_bits", in_bits, in_lo, in_hi)
    b = 2**levels
    for name, v in (("max_width", max_width), ("max_height", max_height)):
        _check_int(name, v, b, 4096)
        if v % b:
            raise ValueError(f"{name} must be a multiple of 2**levels = {b} in [{b}, 4096], "
                             f"got {v}")


def entry_layout(lanes: int, levels: int, in_bits: int, pbits: int,
                 slots: int = 4) -> data.StructLayout:
    """One quad of coefficients as the stages hand it on.

    ``v[lane]`` slots 0..2 hold LH, HL, HH (already shifted to the common scale), slot 3 the
    LL of the top level (unused below it; ``slots = 3`` drops it, as in the output FIFO, which
    keeps the LL in a FIFO of its own); lane-major, so that a lane's coefficients are
    adjacent bits (``lanes * slots * (2*levels + in_bits)`` bits from bit 0, then the rest);
    ``p0`` is the position of the quad's (oi, oj) corner in the block, ``lvl`` the level minus
    one, ``top`` is set at the top level (a register bit for
    the serializer, instead of a compare of ``lvl``), ``last`` marks the frame's final quad.
    """
    cb = 2 * levels + in_bits
    return data.StructLayout({
        "v": data.ArrayLayout(data.ArrayLayout(signed(cb), slots), lanes),
        "p0": unsigned(pbits),
        "lvl": unsigned(2),
        "top": 1,
        "last": 1,
    })


def line_buffer_banks(max_width: int, level: int) -> tuple[int, int, int]:
    """Words of a level's line buffer, words per bank (at most 16: one LUT-RAM cell deep)
    and banks."""
    nl = max(2, max_width >> level)
    depth = min(nl, 16)
    return nl, depth, -(-nl // depth)


def line_buffer_bits(lanes: int, level: int, in_bits: int, max_width: int) -> int:
    """Bits of level ``level``'s line buffer (whole banks of pair sums, ``in_bits + 2*level
    - 1`` bits each)."""
    _, depth, nb = line_buffer_banks(max_width, level)
    return depth * nb * 2 * lanes * (in_bits + 2 * level - 1)
