"""Output stage: the inverse Haar's pixels to int8, with the bias, ReLU and the crop."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..lib.ecp5 import PRIMITIVES
from ..lib.layouts import block_pixel_layout, lanes_layout, layer_output_layout
from ..lib.params import check_choice, check_int
from ..requant import Requantizer

__all__ = ["OutputStage"]


class OutputStage(wiring.Component):
    """``out = requantize(v, m_out, sh_out, offset=bias, lo=0 if relu else -128, hi=127)``,
    cropped to the frame, per output-channel group of ``lanes`` channels.

    The inverse Haar unit delivers each output-channel group ("tile") of a frame as one frame
    of its own, in block order with ``(row, col)`` in the padded frame. This stage counts the
    tiles of the frame described by ``cfg``, adds the tile's biases (``golden``: in the spatial
    domain, after the inverse), requantizes (:class:`hw.requant.Requantizer`, offset = bias),
    applies ReLU as ``max(0, y)`` after the clamp to [-128, 127] (the same as clamping to
    [0, 127]), forces lanes past ``c_out`` to 0 and drops the padding (``row >= height`` or
    ``col >= width``). ``last`` marks the frame's final pixel, ``(height - 1, width - 1)`` of
    its last tile.

    Biases arrive on ``bias`` before their frame's pixels, ``per_beat`` int32 values a beat,
    channel order; they go to one of two banks, a frame's bank is freed after its last pixel.

    Latency ``Requantizer.latency + 1`` cycles; throughput one pixel per cycle.

    Parameters
    ----------
    lanes : int
        Channels per pixel beat (the inverse unit's lanes), 1..64.
    in_bits : int
        Width of the inverse unit's pixels, 2..32.
    max_width, max_height : int
        Largest padded frame (the inverse unit's).
    max_tiles : int
        Largest number of tiles (output-channel groups) per frame, >= 1.
    max_c_out : int
        Largest run-time ``c_out``.
    per_beat : int
        Biases per ``bias`` beat; divides ``lanes``.
    cfg_layout : StructLayout or None
        Payload of ``cfg``: any layout with the fields named below (default: just those).
    primitive : {"generic", "ecp5"}
        The requantizer's build.

    Members
    -------
    i : In(stream.Signature(block_pixel_layout(lanes, in_bits, max_width, max_height)))
        The inverse Haar unit's pixels, tile after tile (``last`` ends a tile).
    bias : In(stream.Signature(StructLayout{data: ArrayLayout(signed(32), per_beat), last}))
        Per frame, ``ceil(c_out / per_beat)`` beats; ``last`` on the frame's final one.
    cfg : In(stream.Signature(cfg_layout))
        The frame: ``tiles``, ``width``, ``height``, ``c_out``, ``relu``, ``m_out``,
        ``sh_out``; taken with its last pixel's input beat.
    o : Out(stream.Signature(layer_output_layout(lanes, max_width, max_height, max_tiles)))
        int8 pixels of the frame (no padding), block order, tile after tile.
    """

    def __init__(self, *, lanes: int, in_bits: int, max_width: int, max_height: int,
                 max_tiles: int, max_c_out: int, per_beat: int = 2,
                 cfg_layout: data.StructLayout | None = None, primitive: str = "generic"):
        check_int("lanes", lanes, 1, 64)
        check_int("in_bits", in_bits, 2, 32)
        check_int("max_tiles", max_tiles, 1, 4096)
        check_int("per_beat", per_beat, 1, lanes)
        if lanes % per_beat:
            raise ValueError(f"per_beat must divide lanes = {lanes}, got {per_beat}")
        self.primitive = check_choice("primitive", primitive, PRIMITIVES)
        self.lanes, self.in_bits, self.per_beat = lanes, in_bits, per_beat
        self.max_width, self.max_height, self.max_tiles = max_width, max_height, max_tiles
        # Two banks of 2**tbits tiles (the bank bit above the tile number addresses them).
        self.tile_bits = max(1, (max_tiles - 1).bit_length())
        self.memory_bits = 2 * (1 << self.tile_bits) * lanes * 32
        self.cfg_layout = cfg_layout or data.StructLayout({
            "tiles": range(1, max_tiles + 1), "width": range(max_width + 1),
            "height": range(max_height + 1), "c_out": range(max_c_out + 1), "relu": 1,
            "m_out": unsigned(31), "sh_out": unsigned(5)})
        self.bias_layout = data.StructLayout({"data": lanes_layout(per_beat, 32), "last": 1})
        super().__init__({
            "i": In(stream.Signature(block_pixel_layout(lanes, in_bits, max_width,
                                                        max_height))),
            "bias": In(stream.Signature(self.bias_layout)),
            "cfg": In(stream.Signature(self.cfg_layout)),
            "o": Out(stream.Signature(layer_output_layout(lanes, max_width, max_height,
                                                          max_tiles))),
        })

    def elaborate(self, platform):
        m = Module()
        lanes, pb = self.lanes, self.per_beat
        slots = lanes // pb
        tbits = self.tile_bits
        m.submodules.mem = mem = Memory(shape=lanes * 32, depth=2 << tbits, init=[])
        wr = mem.write_port(granularity=pb * 32)
        rd = mem.read_port(domain="comb")
        full = Signal(2)

        # Bias writer: bank bw; beat b goes to tile b // slots, slot b % slots.
        bw = Signal()
        wtile, wslot = Signal(tbits), Signal(range(slots))
        w_free = Mux(bw, ~full[1], ~full[0])
        put = self.bias.valid & w_free
        m.d.comb += [self.bias.ready.eq(w_free), wr.addr.eq(Cat(wtile, bw)),
                     wr.data.eq(Cat(*[self.bias.payload.data[j] for _ in range(slots)
                                      for j in range(pb)])),
                     wr.en.eq(Mux(put, 1 << wslot, 0))]
        w_end = put & self.bias.payload.last
        with m.If(put):
            if slots > 1:
                with m.If(wslot == slots - 1):
                    m.d.sync += [wslot.eq(0), wtile.eq(wtile + 1)]
                with m.Else():
                    m.d.sync += wslot.eq(wslot + 1)
            else:
                m.d.sync += wtile.eq(wtile + 1)
        with m.If(w_end):
            m.d.sync += [wslot.eq(0), wtile.eq(0), bw.eq(~bw)]

        # Input side: tile counter of the frame in bank rb; the requantizer takes a pixel
        # only once the frame's biases are all written.
        cfg = self.cfg.payload
        rb = Signal()
        tile = Signal(tbits)
        m.d.comb += rd.addr.eq(Cat(tile, rb))
        tag = data.StructLayout({"row": self.i.payload.row.shape(),
                                 "col": self.i.payload.col.shape(), "tile": tbits,
                                 "keep": 1, "last": 1, "relu": 1, "mask": lanes})
        m.submodules.rq = rq = Requantizer(lanes, 8, offset=True, tag_layout=tag,
                                           primitive=self.primitive)
        px = self.i.payload
        # The frame's bounds are registered from `cfg` (no adder before the compares): a new
        # frame's pixels are taken from the cycle after its `cfg` appears (`fresh`). The lane
        # mask is all ones except on the last tile, whose mask (`c_out` past the tiles before
        # it) is registered too, and so is `is_ltile`, from the tile counter's next value.
        fresh, is_ltile = Signal(), Signal()
        h1, w1 = Signal.like(cfg.height), Signal.like(cfg.width)
        lmask = Signal(lanes)
        last_first = Signal(range(self.max_tiles * lanes + 1))
        m.d.comb += last_first.eq((cfg.tiles - 1) * lanes)
        m.d.sync += [h1.eq(cfg.height - 1), w1.eq(cfg.width - 1),
                     lmask.eq(Cat(last_first + q < cfg.c_out for q in range(lanes)))]
        go = self.cfg.valid & fresh & Mux(rb, full[1], full[0])
        m.d.comb += [rq.i.valid.eq(self.i.valid & go), self.i.ready.eq(rq.i.ready & go),
                     rq.multiplier.eq(cfg.m_out), rq.shift.eq(cfg.sh_out)]
        bias = data.View(lanes_layout(lanes, 32), rd.data)
        for q in range(lanes):
            m.d.comb += [rq.i.payload.data[q].eq(px.data[q]),
                         rq.i.payload.offset[q].eq(bias[q])]
        t = rq.i.payload.tag
        m.d.comb += [t.row.eq(px.row), t.col.eq(px.col), t.tile.eq(tile),
                     t.keep.eq((px.row < cfg.height) & (px.col < cfg.width)),
                     t.last.eq(is_ltile & (px.row == h1) & (px.col == w1)),
                     t.relu.eq(cfg.relu),
                     t.mask.eq(Mux(is_ltile, lmask, (1 << lanes) - 1))]
        took = self.i.valid & self.i.ready
        frame_end = took & px.last & is_ltile
        m.d.comb += self.cfg.ready.eq(frame_end)
        with m.If(took & px.last):
            m.d.sync += tile.eq(tile + 1)
        with m.If(frame_end):
            m.d.sync += [tile.eq(0), rb.eq(~rb)]
        tile_n = Mux(frame_end, 0, Mux(took & px.last, tile + 1, tile))
        m.d.sync += [fresh.eq(self.cfg.valid & ~frame_end),
                     is_ltile.eq(tile_n == cfg.tiles - 1)]
        set_w = Mux(w_end, Mux(bw, 0b10, 0b01), 0)
        clr_r = Mux(frame_end, Mux(rb, 0b10, 0b01), 0)
        m.d.sync += full.eq((full | set_w) & ~clr_r)

        # Output side: ReLU, lane mask, crop (dropped beats are taken and discarded).
        y, ot = rq.o.payload.data, rq.o.payload.tag
        keep = ot.keep
        m.d.comb += [self.o.valid.eq(rq.o.valid & keep),
                     rq.o.ready.eq(self.o.ready | ~keep)]
        o = self.o.payload
        for q in range(lanes):
            v = Mux(ot.relu & y[q][-1], 0, y[q])
            m.d.comb += o.data[q].eq(Mux(ot.mask[q], v, 0))
        m.d.comb += [o.row.eq(ot.row), o.col.eq(ot.col), o.group.eq(ot.tile),
                     o.last.eq(ot.last)]
        return m
