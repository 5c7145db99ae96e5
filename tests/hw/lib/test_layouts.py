"""Tests of hw/lib/layouts.py: field names, order and widths of the shared stream payloads."""

from __future__ import annotations

from hw.lib import layouts


def offsets(layout):
    return {name: (f.offset, f.width) for name, f in layout}


def test_pixel_and_coef_layouts():
    assert offsets(layouts.pixel_layout(3, 8)) == {"data": (0, 24), "first": (24, 1),
                                                   "last": (25, 1)}
    assert offsets(layouts.coef_layout(2, 14, 13)) == {"data": (0, 28), "pos": (28, 13),
                                                       "last": (41, 1)}
    assert offsets(layouts.block_pixel_layout(1, 21, 128, 64)) == {
        "data": (0, 21), "row": (21, 6), "col": (27, 7), "last": (34, 1)}


def test_topk_layouts():
    one = offsets(layouts.topk_input_layout(4, 1, 4096))
    assert one == {"data": (0, 32), "coef": (32, 56), "pos": (88, 12), "last": (100, 1)}
    grouped = offsets(layouts.topk_input_layout(4, 3, 1024, coef_bits=10))
    assert grouped["group"] == (82, 2) and grouped["last"] == (84, 1)
    assert offsets(layouts.bitmap_layout()) == {"word": (0, 32), "last": (32, 1)}
    assert offsets(layouts.column_layout(2)) == {"data": (0, 16), "last": (16, 1)}


def test_array_and_requant_layouts():
    assert offsets(layouts.accumulator_layout(2)) == {"data": (0, 64), "tile_last": (64, 1),
                                                      "last": (65, 1)}
    assert offsets(layouts.requant_in_layout(2, offset=True, tag=5)) == {
        "data": (0, 64), "offset": (64, 64), "tag": (128, 5)}
    assert offsets(layouts.requant_out_layout(3, 16)) == {"data": (0, 48)}
    assert layouts.lanes_layout(4, 8).size == 32
