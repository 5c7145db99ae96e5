"""Zero-fill: the convolution's kept columns back to every position, from the bitmap."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..lib.layouts import bitmap_layout, lanes_layout, pixel_layout
from ..lib.params import check_int, check_power_of_two

__all__ = ["ZeroFill"]


class ZeroFill(wiring.Component):
    """Scatter each tile's results to the kept positions of the frame, zeros elsewhere.

    The bitmap of a frame (the top-k selector's ``bitmap`` words) is stored in one of two
    banks as it arrives; the results come from the array's requantizer, ``subtiles`` beats of
    ``cols`` lanes per kept column (the sub-tiles of one column, ``hw.systolic``), columns
    in position order, tile after tile. For each tile the unit emits one frame of ``n``
    positions to the inverse Haar unit, ``subtiles * cols`` lanes a beat: at a kept position
    the column's packed sub-tile results, elsewhere zeros; ``first`` on position 0, ``last``
    on position ``n - 1``. It reads the bitmap while it is still being written (word ``w``
    once the writer has passed it), so a frame's first tile starts during the selection.
    A bank is freed after the frame's last tile.

    Throughput one position per cycle (a kept one waits for its packed results), plus one
    cycle at the start of each tile (its first bitmap word is read from a registered
    address); latency one cycle (the output register). The handshake sees only registers:
    the bitmap is read a word ahead into a shift register (``docs/layer.md``).

    Parameters
    ----------
    cols : int
        Lanes of a result beat (the array's C), 1..32.
    subtiles : int
        Result beats per kept column, a power of two in 1..8.
    bits : int
        Width of a result lane (the requantized accumulator, ``z_bits``), 2..32.
    max_n : int
        Largest frame, in positions, >= 1.

    z_layout : StructLayout or None
        Payload of ``z`` (default ``{data}``); only its ``data`` field is used.
    cfg_layout : StructLayout or None
        Payload of ``cfg`` (default ``{n, tiles}``); any layout with those fields.

    Members
    -------
    z : In(stream.Signature(z_layout))
        Results; only ``data`` is used (the order is the contract).
    bitmap : In(stream.Signature(bitmap_layout()))
        ``ceil(n / 32)`` words per frame, ``last`` on the final one.
    cfg : In(stream.Signature(cfg_layout))
        The frame: positions, tiles; taken with its last tile's last position.
    o : Out(stream.Signature(pixel_layout(subtiles * cols, bits)))
        One frame of ``n`` positions per tile.
    """

    def __init__(self, *, cols: int, subtiles: int, bits: int, max_n: int,
                 z_layout: data.StructLayout | None = None,
                 cfg_layout: data.StructLayout | None = None):
        check_int("cols", cols, 1, 32)
        check_power_of_two("subtiles", subtiles, 1, 8)
        check_int("bits", bits, 2, 32)
        check_int("max_n", max_n, 1, 2**24)
        self.cols, self.subtiles, self.bits, self.max_n = cols, subtiles, bits, max_n
        self.lanes = cols * subtiles
        self.words = -(-max_n // 32)
        # Two banks of 2**word_bits words (the bank bit above the word number addresses them).
        self.word_bits = max(1, (self.words - 1).bit_length())
        self.memory_bits = 2 * (1 << self.word_bits) * 32
        if z_layout is None:
            z_layout = data.StructLayout({"data": lanes_layout(cols, bits)})
        self.cfg_layout = cfg_layout or data.StructLayout({"n": max_n.bit_length(),
                                                           "tiles": 16})
        super().__init__({
            "z": In(stream.Signature(z_layout)),
            "bitmap": In(stream.Signature(bitmap_layout())),
            "cfg": In(stream.Signature(self.cfg_layout)),
            "o": Out(stream.Signature(pixel_layout(self.lanes, bits))),
        })

    def elaborate(self, platform):
        m = Module()
        wbits = self.word_bits
        m.submodules.mem = mem = Memory(shape=32, depth=2 << wbits, init=[])
        wr, rd = mem.write_port(), mem.read_port(domain="comb")
        full = Signal(2)

        # Bitmap writer: bank wb, word count wcount (the reader may read words below it).
        wb, wcount = Signal(), Signal(wbits + 1)
        w_free = Mux(wb, ~full[1], ~full[0])
        m.d.comb += [self.bitmap.ready.eq(w_free), wr.addr.eq(Cat(wcount[:wbits], wb)),
                     wr.data.eq(self.bitmap.payload.word),
                     wr.en.eq(self.bitmap.valid & w_free)]
        w_end = self.bitmap.valid & w_free & self.bitmap.payload.last
        with m.If(self.bitmap.valid & w_free):
            m.d.sync += wcount.eq(wcount + 1)
        with m.If(w_end):
            m.d.sync += [wcount.eq(0), wb.eq(~wb)]

        # Packer: `subtiles` result beats of one column into one output word.
        zw = self.cols * self.bits
        packed = Signal(self.lanes * self.bits, reset_less=True)
        pv = Signal()                         # `packed` holds a whole column
        part = Signal(range(self.subtiles))
        take_col = Signal()                   # the position logic consumes `packed`
        m.d.comb += self.z.ready.eq(~pv | take_col)
        with m.If(self.z.valid & self.z.ready):
            for s in range(self.subtiles):
                with m.If(part == s):
                    m.d.sync += packed[s * zw:(s + 1) * zw].eq(self.z.payload.data.as_value())
            m.d.sync += part.eq(part + 1 if self.subtiles > 1 else 0)
            if self.subtiles > 1:
                with m.If(part == self.subtiles - 1):
                    m.d.sync += [part.eq(0), pv.eq(1)]
                with m.Elif(take_col):
                    m.d.sync += pv.eq(0)
            else:
                m.d.sync += pv.eq(1)
        with m.Elif(take_col):
            m.d.sync += pv.eq(0)

        # Position loop: bank rb, position p, tile. Every decision of the loop is a register
        # or a small function of registers: the bitmap is read a word at a time from registered
        # addresses into a shift register `cur` (bit 0 is position p's), and the next word is
        # prefetched into `nxt` (read port 2, address `wn`, the word after p's), so the
        # 32:1 bit select and the memory read never reach the handshake. Words are read once
        # the writer has passed them (`word_ok`).
        cfg = self.cfg.payload
        rb = Signal()
        # p's word number is p[5:5 + wbits]: p is at least that wide even when a frame has
        # fewer than 32 positions (else the bank bit would land on the word bits).
        p = Signal(max(self.max_n.bit_length(), 5 + wbits))
        wn = Signal(wbits + 1, init=1)        # p's word + 1
        tile = Signal(16)
        cur, nxt = Signal(32), Signal(32)
        cv, nv = Signal(), Signal()           # `cur` holds p's word; `nxt` holds word wn
        is_first, is_last = Signal(init=1), Signal()  # p == 0; p == n - 1 (set with `cur`)
        rd2 = mem.read_port(domain="comb")

        def word_ok(w):
            return Mux(rb, full[1], full[0]) | ((wb == rb) & (wcount > w))

        m.d.comb += [rd.addr.eq(Cat(p[5:5 + wbits], rb)), rd2.addr.eq(Cat(wn[:wbits], rb))]
        kept = cur[0]
        out_free = ~self.o.valid | self.o.ready
        can = self.cfg.valid & cv & out_free & (~kept | pv)
        ov, op = self.o.valid, self.o.payload
        with m.If(self.o.ready):
            m.d.sync += ov.eq(0)
        m.d.comb += take_col.eq(can & kept)
        wend = p[:5] == 31
        last_tile = Signal()                  # tile == tiles - 1, registered
        with m.If(can):
            m.d.sync += [ov.eq(1), op.data.eq(Mux(kept, packed, 0)),
                         op.first.eq(is_first), op.last.eq(is_last),
                         cur.eq(cur >> 1), p.eq(p + 1), is_first.eq(0),
                         is_last.eq(p + 2 == cfg.n)]
            with m.If(is_last):
                # The tile's end: its next word (word 0) is read in the next cycle.
                m.d.sync += [p.eq(0), wn.eq(1), cv.eq(0), nv.eq(0), is_first.eq(1),
                             tile.eq(tile + 1)]
            with m.Elif(wend):
                m.d.sync += wn.eq(wn + 1)
                with m.If(nv):
                    m.d.sync += [cur.eq(nxt), nv.eq(0)]
                with m.Else():
                    m.d.sync += cv.eq(0)
        with m.If(~cv & self.cfg.valid & word_ok(p[5:])):
            # p is at a word's bit 0 here (a tile's start, or a word the prefetch missed).
            m.d.sync += [cur.eq(rd.data), cv.eq(1), is_last.eq(p + 1 == cfg.n)]
        with m.If(~nv & self.cfg.valid & word_ok(wn) & ~(can & (is_last | wend))):
            m.d.sync += [nxt.eq(rd2.data), nv.eq(1)]
        frame_end = can & is_last & last_tile
        m.d.comb += self.cfg.ready.eq(frame_end)
        with m.If(frame_end):
            m.d.sync += [tile.eq(0), rb.eq(~rb)]
        # For the tile counter's next value, both compares made from registers; after a
        # frame's end the flag is made again from the next frame's `cfg` in the cycle that
        # reads its first word (`cur` empty), before any position is taken.
        m.d.sync += last_tile.eq(Mux(can & is_last, tile + 1 == cfg.tiles - 1,
                                     tile == cfg.tiles - 1))
        # A bank is full from its last word's write to its frame's end.
        set_w = Mux(w_end, Mux(wb, 0b10, 0b01), 0)
        clr_r = Mux(frame_end, Mux(rb, 0b10, 0b01), 0)
        m.d.sync += full.eq((full | set_w) & ~clr_r)
        return m
