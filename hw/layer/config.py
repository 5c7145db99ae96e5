"""The WCC layer's run-time configuration: its payload, the frame descriptor, error codes."""

from __future__ import annotations

import enum

from amaranth.hdl import unsigned
from amaranth.lib import data

__all__ = ["CONFIG_LAYOUT", "ErrorCode", "descriptor_layout"]

#: One frame's configuration, the payload of ``WccLayer.cfg`` (fixed widths, whatever the
#: elaboration maxima, so that a driver packs it the same way for every build; values past a
#: build's maxima are refused). Fields from bit 0 in this order.
CONFIG_LAYOUT = data.StructLayout({
    "c_in": unsigned(16),      # input channels, 1..max_c_in
    "c_out": unsigned(16),     # output channels, 1..max_c_out
    "height": unsigned(16),    # frame height H, 1..max_height
    "width": unsigned(16),     # frame width W, 1..max_width
    "k": unsigned(25),         # kept positions, 0..N (N = padded H x padded W) and <= max_k
    "m_coef": unsigned(31),    # coefficient requantizer: Q0.31 multiplier and right shift
    "sh_coef": unsigned(5),
    "m_acc": unsigned(31),     # accumulator requantizer
    "sh_acc": unsigned(5),
    "m_out": unsigned(31),     # output requantizer
    "sh_out": unsigned(5),
    "relu": unsigned(1),       # clamp the output at 0
})


class ErrorCode(enum.IntEnum):
    """``WccLayer.error_code``: why the most recent frame was refused or went wrong."""

    NONE = 0
    C_IN = 1           #: c_in is 0 or above max_c_in: the frame is refused
    C_OUT = 2          #: c_out is 0 or above max_c_out: refused
    HEIGHT = 3         #: height is 0 or above max_height: refused
    WIDTH = 4          #: width is 0 or above max_width: refused
    K = 5              #: k above N or above max_k: refused
    PIXEL_FRAMING = 6  #: a pixel beat's first/last marker disagrees with the frame's size
    PARAM_FRAMING = 7  #: the parameter packet's last marker disagrees with its length


def descriptor_layout(max_n: int, max_k: int, max_groups: int, max_t: int,
                      max_tiles: int) -> data.StructLayout:
    """A checked frame: the configuration with the derived counts every stage needs.

    ``groups`` = ceil(c_in / lanes) input planes, ``t`` = ceil(c_in / rows) array beats per
    column, ``tiles`` = ceil(c_out / (subtiles * cols)) output-channel groups, ``n`` padded
    positions; ``refused``: the frame is dropped (its pixels and parameters are consumed and
    discarded); ``id``: the frame's number modulo 16 (the parameter gate's weights wait for
    the array to be on the same frame)."""
    return data.StructLayout({
        "refused": 1, "id": 4,
        "c_in": unsigned(16), "c_out": unsigned(16), "height": unsigned(16),
        "width": unsigned(16), "k": range(max_k + 1), "n": range(max_n + 1),
        "groups": range(max_groups + 1), "t": range(max_t + 1), "tiles": range(max_tiles + 1),
        "m_coef": unsigned(31), "sh_coef": unsigned(5), "m_acc": unsigned(31),
        "sh_acc": unsigned(5), "m_out": unsigned(31), "sh_out": unsigned(5), "relu": 1,
    })
