"""Streaming inverse integer Haar: position-order coefficients in, block-order pixels out."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .haar import _check_int, check_haar_params

__all__ = ["HaarInverse"]


class HaarInverse(wiring.Component):
    """Exact inverse of ``golden.int_haar.int_idwt2`` (with its rounding ``shift``).

    Coefficients arrive in position order, so each ``B x B`` block (``B = 2**levels``) is
    contiguous. Its ``B*B`` coefficients are written into ``3*levels + 1`` small banks (one
    per band: LL, and LH/HL/HH of every level), double-buffered, so a block is written while
    the previous one is read. Every bank has its own read port, so each output pixel reads
    its ``3*levels + 1`` ancestors at once and sums them, signs from the pixel's coordinate
    bits: ``v = LL + sum_l (+-LH_l +- HL_l +- HH_l) << (levels - l)``. Pixels leave in block
    order (blocks in raster order, raster order inside a block) with their (row, col) in the
    padded frame.

    Latency ``B*B + stages`` cycles from a block's last coefficient to its last pixel
    (``stages``: write register, bank read, operands, one register per adder-tree level,
    rounding, output skid register; 7 for L = 3 without shift); throughput one beat per cycle
    sustained on both sides, after one opening cycle per frame (the registered size check).

    Parameters
    ----------
    lanes : int
        Channels per beat, 1..64.
    groups : int
        Beats per position; only 1 is supported.
    max_width, max_height : int
        Largest padded frame, multiples of ``2**levels`` in [2**levels, 4096].
    levels : int
        Transform depth, 1..4.
    in_bits : int
        Signed coefficient width, 2..24.
    shift : int
        Output right shift with rounding half away from zero (``golden.fixedpoint.rdbpot``),
        0..in_bits + levels - 2. Output width ``in_bits + levels + 2 - shift``.

    Members
    -------
    i : In(stream.Signature(StructLayout))
        ``data``: ``lanes`` x signed(in_bits); ``first``, ``last``: frame markers.
    o : Out(stream.Signature(StructLayout))
        ``data``: ``lanes`` x signed(out_bits); ``row``, ``col``; ``last``: frame end.
    width, height : In(unsigned)
        Frame size, 1..max (padded up to multiples of ``B``), sampled with a ``first`` beat.
    error : Out(1)
        Sticky: a beat was dropped (no frame open, or a refused size) or a marker disagreed.
    """

    def __init__(self, lanes: int = 1, groups: int = 1, *, max_width: int = 128,
                 max_height: int = 128, levels: int = 3, in_bits: int = 16, shift: int = 0):
        check_haar_params(lanes, groups, max_width, max_height, levels, in_bits, 2, 24)
        _check_int("shift", shift, 0, in_bits + levels - 2)
        self.lanes, self.groups, self.levels, self.in_bits = lanes, groups, levels, in_bits
        self.max_width, self.max_height, self.shift = max_width, max_height, shift
        self.inv_bits = in_bits + levels + 2
        self.out_bits = self.inv_bits - shift
        # Registers from the input to the output register: write, bank read, operands, adder
        # tree, rounding, output skid.
        self.stages = 4 + self._tree_stages(3 * levels + 1, shift) + (1 if shift else 0)
        self.in_layout = data.StructLayout({
            "data": data.ArrayLayout(signed(in_bits), lanes), "first": 1, "last": 1})
        self.out_layout = data.StructLayout({
            "data": data.ArrayLayout(signed(self.out_bits), lanes),
            "row": unsigned((max_height - 1).bit_length()),
            "col": unsigned((max_width - 1).bit_length()), "last": 1})
        super().__init__({
            "i": In(stream.Signature(self.in_layout)),
            "o": Out(stream.Signature(self.out_layout)),
            "width": In(range(max_width + 1)),
            "height": In(range(max_height + 1)),
            "error": Out(1),
        })

    @property
    def buffer_bits(self) -> int:
        """Bits of the double-buffered block store: 2 * B*B * lanes * in_bits."""
        return 2 * 4**self.levels * self.lanes * self.in_bits

    def elaborate(self, platform):
        m = Module()
        levels, lanes, b = self.levels, self.lanes, 2**self.levels
        sample = data.ArrayLayout(signed(self.in_bits), lanes)
        nbw_max, nbh_max = self.max_width // b, self.max_height // b

        # Writer: block-local position k = i*B + j, block counters, two halves.
        active = Signal()
        k = Signal(2 * levels)
        bc, br = Signal(range(nbw_max)), Signal(range(nbh_max))
        # Last block column and row, (size - 1) >> levels: compares without an adder.
        nbw1, nbh1 = Signal.like(bc), Signal.like(br)
        wbuf = Signal()
        rbuf = Signal()
        full = [Signal(name=f"full{h}") for h in range(2)]
        meta = [Signal(data.StructLayout({"br": br.shape(), "bc": bc.shape(), "last": 1}),
                       name=f"meta{h}") for h in range(2)]
        # The half being written may be reused while the reader takes its last pixel (`rdone`):
        # the registered write lands a cycle later, after that read. The handshake reads only
        # registers and the output stage's `advance`: `wf` = full[wbuf], `rf` = full[rbuf] and
        # `rel` = rf & (reader at t == B*B - 1) & (rbuf == wbuf) are kept from next-state values.
        rdone = Signal()
        t_end = Signal()  # reader at the block's last pixel, t == B*B - 1
        wf, rf, rel = Signal(), Signal(), Signal()
        # `adv` is a register equal to the pipeline enable `advance` (= ~sv | ~kv, computed
        # from their next values), so the reader and writer control does not hang on the
        # enable net of every pipeline register.
        advance, adv = Signal(), Signal(init=1)
        wfull = wf & ~(adv & rel)
        first, last_in = self.i.payload.first, self.i.payload.last
        # Opening a frame takes a cycle: the size check is registered (`can_open`) first.
        opening, can_open = Signal(), Signal()
        # Writer at the block's last coefficient, k == B*B - 1, kept in a register.
        block_end = Signal()
        bc_end, br_end = bc == nbw1, br == nbh1
        last_block = bc_end & br_end
        # One unconditional assignment: Icarus misses the time-0 evaluation of an `always @*`
        # whose inputs never change, which left ready at X.
        m.d.comb += self.i.ready.eq(Mux(active, ~wfull,
                                        Mux(opening, ~can_open | ~wfull, ~first)))
        take = self.i.valid & self.i.ready
        write = self.i.valid & ~wfull & (active | can_open)
        # Framing errors are registered events, folded into the sticky flag a cycle later.
        bad = Signal()
        m.d.sync += bad.eq((take & ~write) | (write & ((first != ~active)
                                                     | (last_in != (block_end & last_block)))))
        with m.If(bad):
            m.d.sync += self.error.eq(1)
        with m.If(~active & ~opening & self.i.valid & first):
            m.d.sync += [
                opening.eq(1),
                can_open.eq((self.width != 0) & (self.width <= self.max_width)
                            & (self.height != 0) & (self.height <= self.max_height)),
                nbw1.eq((self.width - 1) >> levels),
                nbh1.eq((self.height - 1) >> levels),
            ]
        with m.If(opening & take):
            m.d.sync += [opening.eq(0), can_open.eq(0), active.eq(can_open)]
        # Registered write stage: the banks' write enables, address and data are registers
        # (the input handshake would otherwise drive every LUT-RAM write enable), and a half
        # is marked full one cycle after its last coefficient, when that write lands.
        # Data, address and half are loaded every cycle (only the registered bank enables
        # depend on `write`): no clock enable of `lanes * in_bits` flip-flops on that path.
        wq_data, wq_k, wq_buf, wq_end = Signal(sample), Signal(2 * levels), Signal(), Signal()
        m.d.sync += [wq_end.eq(write & block_end), wq_data.eq(self.i.payload.data),
                     wq_k.eq(k), wq_buf.eq(wbuf)]
        # Next-state values of the halves' flags, for the registered `wf`, `rf` and `rel`.
        full_n = [Signal(name=f"full{h}_n") for h in range(2)]
        wbuf_n, rbuf_n, t_end_n = Signal(), Signal(), Signal()
        for h in range(2):
            m.d.comb += full_n[h].eq((full[h] & ~(rdone & (rbuf == h)))
                                     | (wq_end & (wq_buf == h)))
        rf_n = Mux(rbuf_n, full_n[1], full_n[0])
        m.d.comb += [wbuf_n.eq(wbuf ^ (write & block_end)), rbuf_n.eq(rbuf ^ rdone)]
        m.d.sync += [full[h].eq(full_n[h]) for h in range(2)]
        m.d.sync += [wbuf.eq(wbuf_n), rbuf.eq(rbuf_n), wf.eq(Mux(wbuf_n, full_n[1], full_n[0])),
                     rf.eq(rf_n), rel.eq(rf_n & t_end_n & (rbuf_n == wbuf_n))]
        with m.If(write):
            m.d.sync += [k.eq(k + 1), block_end.eq(k == b * b - 2)]
            with m.If(block_end):
                for h in range(2):
                    with m.If(wbuf == h):
                        m.d.sync += [meta[h].br.eq(br), meta[h].bc.eq(bc),
                                     meta[h].last.eq(last_block)]
                with m.If(bc_end):
                    m.d.sync += bc.eq(0)
                    with m.If(br_end):
                        m.d.sync += [br.eq(0), active.eq(0)]
                    with m.Else():
                        m.d.sync += br.eq(br + 1)
                with m.Else():
                    m.d.sync += bc.eq(bc + 1)

        # Reader: pixel (y, x) of the block in half rbuf; every bank is read at once.
        t = Signal(2 * levels)
        x, y = t[:levels], t[levels:]
        rfull = rf
        # `sv`/`sp` is the pipeline's output register; a skid register (`kv`/`kp`) sits between
        # it and `o`, so `o.ready` loads only these two and the pipeline's enable `advance`
        # (bank reads and every pipeline register) is a function of registers.
        sv, sp = Signal(), Signal(self.out_layout)
        kv, kp = Signal(), Signal(self.out_layout)
        m.d.comb += advance.eq(~sv | ~kv)
        with m.If(~self.o.valid | self.o.ready):
            m.d.sync += [self.o.valid.eq(sv | kv), self.o.payload.eq(Mux(kv, kp, sp)),
                         kv.eq(0)]
        with m.Elif(sv & ~kv):
            m.d.sync += kv.eq(1)
        # `kp` matters only while `kv` is set: loaded whenever `kv` is clear, its enable
        # does not depend on `o.ready`.
        with m.If(~kv):
            m.d.sync += kp.eq(sp)
        ki, kj = k[levels:], k[:levels]
        banks = {}
        for lv in range(levels, -1, -1):
            # log2 of the band size inside a block; LL_L is a single sample like level L.
            rsh = lv if lv else levels
            sh = levels - rsh
            for band in (("ll",) if lv == 0 else ("lh", "hl", "hh")):
                mem = Memory(shape=sample, depth=2 * 4**sh, init=[],
                             attrs={"ram_style": "distributed"})
                m.submodules[f"{band}{lv}"] = mem
                wr, rd = mem.write_port(), mem.read_port()
                if lv == 0:
                    sel = (ki | kj) == 0
                else:
                    sel = ((ki | kj) >> sh) == 1
                    sel &= {"lh": ~ki[sh], "hl": ~kj[sh], "hh": ki[sh] & kj[sh]}[band]
                wen = Signal(name=f"wen_{band}{lv}")
                m.d.sync += wen.eq(write & sel)
                m.d.comb += [
                    wr.en.eq(wen), wr.data.eq(wq_data),
                    wr.addr.eq(Cat(wq_k[:sh], wq_k[levels:levels + sh], wq_buf)),
                    rd.en.eq(advance), rd.addr.eq(Cat(x[rsh:], y[rsh:], rbuf)),
                ]
                banks[band, lv] = rd.data
        m.d.comb += [rdone.eq(adv & rfull & t_end),
                     t_end_n.eq(Mux(adv & rfull, t == b * b - 2, t_end))]
        m.d.sync += t_end.eq(t_end_n)
        with m.If(adv & rfull):
            m.d.sync += t.eq(t + 1)

        # Pipeline, stalled as a whole while the output is valid and not ready: bank read,
        # signed operands, an adder tree with one adder level per stage, rounding.
        tag = data.StructLayout({"y": levels, "x": levels, "row": self.o.payload.row.shape(),
                                 "col": self.o.payload.col.shape(), "last": 1})
        rmeta = data.View(meta[0].shape(), Mux(rbuf, meta[1], meta[0]))
        tag_a = Signal(tag)
        m.d.comb += [tag_a.y.eq(y), tag_a.x.eq(x), tag_a.row.eq(Cat(y, rmeta.br)),
                     tag_a.col.eq(Cat(x, rmeta.bc)), tag_a.last.eq(rmeta.last & t_end)]
        n = self.stages - 2  # without the write register and the skid register
        tags = [Signal(tag, name=f"tag{s}") for s in range(n)]
        valid = [Signal(name=f"valid{s}") for s in range(n)]
        sv_n = Mux(advance, valid[-1], sv)
        kv_n = Mux(~self.o.valid | self.o.ready, 0, kv | sv)
        m.d.sync += adv.eq(~(sv_n & kv_n))
        with m.If(advance):
            m.d.sync += [valid[0].eq(rfull), tags[0].eq(tag_a), sv.eq(valid[-1]),
                         sp.row.eq(tags[-1].row), sp.col.eq(tags[-1].col),
                         sp.last.eq(tags[-1].last)]
            for s in range(1, n):
                m.d.sync += [valid[s].eq(valid[s - 1]), tags[s].eq(tags[s - 1])]
            # A negated operand is taken as its one's complement; the missing 1 << shift of
            # each is summed here from the sign bits (with the bank read) and added to LL.
            corr = sum((x[lv - 1] + y[lv - 1] + (x[lv - 1] ^ y[lv - 1])) << (levels - lv)
                       for lv in range(1, levels + 1))
            corr0 = Signal(range(3 * b), name="corr0")
            m.d.sync += corr0.eq(corr)
            for q in range(lanes):
                m.d.sync += sp.data[q].eq(self._lane(m, banks, tags[0], corr0, q))
        return m

    @staticmethod
    def _tree_stages(n_ops: int, shift: int) -> int:
        """Registered adder-tree levels for ``n_ops`` operands (the root sum is registered
        only when the rounding follows)."""
        k = 0
        while n_ops > 2 or (n_ops == 2 and shift):
            n_ops, k = (n_ops + 1) // 2, k + 1
        return k

    def _lane(self, m, banks, tag0, corr0, q):
        """Registered pipeline of one lane (under ``advance``); returns the output value."""
        levels, uid = self.levels, [0]

        def reg(v):
            uid[0] += 1
            sig = Signal(v.shape(), name=f"l{q}_p{uid[0]}")
            m.d.sync += sig.eq(v)
            return sig

        # -v << k = (~v << k) + (1 << k): an XOR here (no carry chain in front of the mux),
        # the 1 << k of every negated operand is in `corr0`.
        ops = [reg(banks["ll", 0][q] + corr0)]
        for lv in range(1, levels + 1):
            xb, yb = tag0.x[lv - 1], tag0.y[lv - 1]
            lh, hl, hh = (banks[band, lv][q] for band in ("lh", "hl", "hh"))
            ops += [reg(Mux(sgn, ~v, v) << (levels - lv))
                    for sgn, v in ((xb, lh), (yb, hl), (xb ^ yb, hh))]
        for _ in range(self._tree_stages(len(ops), self.shift)):
            ops = [reg(ops[i] + ops[i + 1] if i + 1 < len(ops) else ops[i])
                   for i in range(0, len(ops), 2)]
        if not self.shift:
            return ops[0] + ops[1]
        v, s = ops[0], self.shift
        threshold = Const((1 << s) - 1 >> 1, s) + v[-1]
        return reg(v >> s) + reg(v[:s] > threshold)
