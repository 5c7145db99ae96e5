"""Elaboration-parameter checks and the parameter objects that blocks share.

Every component checks its constructor arguments with these functions, so a bad value always
fails the same way: ``ValueError`` naming the parameter, the allowed values and the value
given. (One exception type for a wrong type and a wrong range alike: a caller that builds
units from a configuration catches one thing.) ``bool`` is not accepted where an integer is
expected, although Python makes it one.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.lib import stream
from amaranth.lib.wiring import In, Out

__all__ = ["HaarParams", "check_bool", "check_choice", "check_int", "check_power_of_two"]


def check_int(name: str, value, lo: int, hi: int | None = None) -> int:
    """``value`` if it is an integer in ``[lo, hi]`` (``hi=None``: no upper bound)."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    if ok and lo <= value and (hi is None or value <= hi):
        return value
    allowed = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
    raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")


def check_power_of_two(name: str, value, lo: int, hi: int | None = None) -> int:
    """``value`` if it is a power of two in ``[lo, hi]``."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if ok and value & (value - 1) == 0 and lo <= value and (hi is None or value <= hi):
        return value
    allowed = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
    raise ValueError(f"{name} must be a power of two {allowed}, got {value!r}")


def check_choice(name: str, value, choices) -> object:
    """``value`` if it is one of ``choices``."""
    if any(value == c and type(value) is type(c) for c in choices):
        return value
    raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")


def check_bool(name: str, value) -> bool:
    """``value`` if it is ``True`` or ``False``."""
    if isinstance(value, bool):
        return value
    raise ValueError(f"{name} must be True or False, got {value!r}")


@dataclass(frozen=True)
class HaarParams:
    """What the forward and inverse Haar units and their stages agree on.

    Parameters
    ----------
    lanes : int
        Channels per beat, 1..64.
    max_width, max_height : int
        Largest (padded) frame: multiples of ``2**levels`` in [2**levels, 4096].
    levels : int
        Transform depth, 1..4.
    in_bits : int
        Signed input width (pixels for the forward unit, coefficients for the inverse),
        2..24; each unit narrows the range it supports (:meth:`check_in_bits`).
    """

    lanes: int = 1
    max_width: int = 128
    max_height: int = 128
    levels: int = 3
    in_bits: int = 8

    def __post_init__(self):
        check_int("lanes", self.lanes, 1, 64)
        check_int("levels", self.levels, 1, 4)
        check_int("in_bits", self.in_bits, 2, 24)
        b = self.block
        for name in ("max_width", "max_height"):
            v = getattr(self, name)
            check_int(name, v, b, 4096)
            if v % b:
                raise ValueError(f"{name} must be a multiple of 2**levels = {b} in [{b}, "
                                 f"4096], got {v}")

    def check_in_bits(self, lo: int, hi: int) -> HaarParams:
        """``self`` if ``in_bits`` is in ``[lo, hi]`` (the unit's own range)."""
        check_int("in_bits", self.in_bits, lo, hi)
        return self

    def unit_members(self, in_layout, out_layout) -> dict:
        """The ports of a Haar unit: the ``i`` and ``o`` streams of these payloads, the
        run-time frame size ``width``, ``height`` (0..max) and the sticky ``error``."""
        return {
            "i": In(stream.Signature(in_layout)),
            "o": Out(stream.Signature(out_layout)),
            "width": In(range(self.max_width + 1)),
            "height": In(range(self.max_height + 1)),
            "error": Out(1),
        }

    @property
    def block(self) -> int:
        """Side of a transform block, ``B = 2**levels``."""
        return 2**self.levels

    @property
    def coef_bits(self) -> int:
        """Width of the forward unit's exact coefficients, ``2*levels + in_bits``."""
        return 2 * self.levels + self.in_bits

    @property
    def pbits(self) -> int:
        """Width of a position in the largest padded frame."""
        return max(1, (self.max_width * self.max_height - 1).bit_length())
