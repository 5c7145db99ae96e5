"""Payload layouts of the streams that cross a block boundary, one function per stream.

The blocks build their ports from these functions and the testbenches pack and unpack beats
with them, so a field has one name and one place in the word everywhere: ``data`` (the lanes,
lane 0 in the low bits), ``first`` / ``last`` (frame markers), ``pos`` (a coefficient's
position, ``golden.int_haar`` order), ``group`` (the beat's channel group), ``row`` /
``col`` (a pixel's place in the padded frame), ``coef`` (exact coefficients beside their
int8 ``data``), ``offset`` and ``tag`` (the requantizer's per-lane addend and side band).
Fields are packed in the order listed, from bit 0.
"""

from __future__ import annotations

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

__all__ = [
    "accumulator_layout", "bitmap_layout", "coef_layout", "column_layout",
    "block_pixel_layout", "lanes_layout", "pixel_layout", "requant_in_layout",
    "layer_output_layout", "requant_out_layout", "topk_input_layout",
]


def lanes_layout(lanes: int, bits: int) -> data.ArrayLayout:
    """``lanes`` signed values of ``bits`` bits: the ``data`` of every stream here."""
    return data.ArrayLayout(signed(bits), lanes)


def pixel_layout(lanes: int, bits: int) -> data.StructLayout:
    """A raster or position-order frame: ``data``, ``first`` (frame's first beat), ``last``.

    Input of the forward Haar unit (pixels) and of the inverse unit (coefficients in
    position order)."""
    return data.StructLayout({"data": lanes_layout(lanes, bits), "first": 1, "last": 1})


def coef_layout(lanes: int, bits: int, pos_bits: int) -> data.StructLayout:
    """Exact Haar coefficients of one position: ``data``, ``pos``, ``last`` (frame's final
    beat). Output of the forward Haar unit."""
    return data.StructLayout({"data": lanes_layout(lanes, bits), "pos": unsigned(pos_bits),
                              "last": 1})


def block_pixel_layout(lanes: int, bits: int, max_width: int,
                       max_height: int) -> data.StructLayout:
    """One output pixel of the inverse Haar unit: ``data``, ``row``, ``col`` (in the padded
    frame), ``last``."""
    return data.StructLayout({
        "data": lanes_layout(lanes, bits),
        "row": unsigned((max_height - 1).bit_length()),
        "col": unsigned((max_width - 1).bit_length()), "last": 1})


def topk_input_layout(lanes: int, groups: int, max_n: int,
                      coef_bits: int = 14) -> data.StructLayout:
    """One beat into the top-k selector: ``lanes`` channels of one position, int8 ``data``
    (stored and emitted) and the exact ``coef`` (scored); ``pos``; ``group`` (only when
    ``groups > 1``); ``last``."""
    fields = {"data": lanes_layout(lanes, 8), "coef": lanes_layout(lanes, coef_bits),
              "pos": unsigned(max(max_n - 1, 1).bit_length())}
    if groups > 1:
        fields["group"] = unsigned((groups - 1).bit_length())
    fields["last"] = unsigned(1)
    return data.StructLayout(fields)


def bitmap_layout() -> data.StructLayout:
    """The top-k bitmap: bit ``p % 32`` of ``word`` ``p // 32``; ``last`` ends a frame."""
    return data.StructLayout({"word": unsigned(32), "last": 1})


def column_layout(lanes: int) -> data.StructLayout:
    """One beat of a kept column (int8 ``data``); ``last`` marks the frame's final beat."""
    return data.StructLayout({"data": lanes_layout(lanes, 8), "last": 1})


def accumulator_layout(cols: int) -> data.StructLayout:
    """One result of the systolic array: ``cols`` int32 accumulators of one column,
    ``tile_last`` (last column of an output-channel tile), ``last`` (the layer's last)."""
    return data.StructLayout({"data": lanes_layout(cols, 32), "tile_last": 1, "last": 1})


def requant_in_layout(lanes: int, offset: bool = False, tag=None) -> data.StructLayout:
    """Requantizer input: int32 ``data``, an int32 ``offset`` per lane if ``offset``, and
    ``tag`` (any shape) if given."""
    fields = {"data": lanes_layout(lanes, 32)}
    if offset:
        fields["offset"] = lanes_layout(lanes, 32)
    if tag is not None:
        fields["tag"] = tag
    return data.StructLayout(fields)


def requant_out_layout(lanes: int, bits: int, tag=None) -> data.StructLayout:
    """Requantizer output: ``data`` of ``bits`` bits and the input's ``tag`` if given."""
    fields = {"data": lanes_layout(lanes, bits)}
    if tag is not None:
        fields["tag"] = tag
    return data.StructLayout(fields)


def layer_output_layout(lanes: int, max_width: int, max_height: int,
                        max_groups: int) -> data.StructLayout:
    """One int8 output pixel of the WCC layer: ``data`` (channels ``group * lanes + q``),
    ``row``, ``col`` (in the frame), ``group`` (the output-channel group), ``last`` (the
    frame's final pixel)."""
    return data.StructLayout({
        "data": lanes_layout(lanes, 8),
        "row": unsigned(max(1, (max_height - 1).bit_length())),
        "col": unsigned(max(1, (max_width - 1).bit_length())),
        "group": unsigned(max(1, (max_groups - 1).bit_length())), "last": 1})

