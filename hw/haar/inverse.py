"""Streaming inverse integer Haar: position-order coefficients in, block-order pixels out."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory

from ..lib.fifo import CreditFIFO
from ..lib.layouts import block_pixel_layout, pixel_layout
from ..lib.params import HaarParams, check_int

__all__ = ["HaarInverse", "lane_sum", "tree_stages"]


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

    The arithmetic pipeline runs free (no clock enable): a pixel enters it only while the
    16-entry output FIFO (:class:`hw.lib.fifo.CreditFIFO`) has a free entry reserved for
    it (a credit), so backpressure never stalls the pipeline. ``o.valid`` is a register,
    ``o.payload`` the FIFO's asynchronous LUT-RAM read.

    Latency ``B*B + stages`` cycles from a block's last coefficient to its last pixel
    (``stages``: write register, bank read, operands, one register per adder-tree level,
    rounding, output FIFO; 7 for L = 3 without shift); throughput one beat per cycle
    sustained on both sides, after one opening cycle per frame (the registered size check).

    Parameters
    ----------
    lanes : int
        Channels per beat, 1..64.
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
    i : In(stream.Signature(pixel_layout(lanes, in_bits)))
        ``data``: coefficients; ``first``, ``last``: frame markers.
    o : Out(stream.Signature(block_pixel_layout(lanes, out_bits, max_width, max_height)))
        ``data``: pixels; ``row``, ``col``; ``last``: frame end.
    width, height : In(unsigned)
        Frame size, 1..max (padded up to multiples of ``B``), sampled with a ``first`` beat.
    error : Out(1)
        Sticky: a beat was dropped (no frame open, or a refused size) or a marker disagreed.

    Attributes
    ----------
    params : HaarParams
        Lanes, frame maxima, levels and coefficient width, checked.
    """

    def __init__(self, lanes: int = 1, *, max_width: int = 128, max_height: int = 128,
                 levels: int = 3, in_bits: int = 16, shift: int = 0):
        self.params = HaarParams(lanes, max_width, max_height, levels,
                                 in_bits).check_in_bits(2, 24)
        check_int("shift", shift, 0, in_bits + levels - 2)
        self.lanes, self.levels, self.in_bits = lanes, levels, in_bits
        self.max_width, self.max_height, self.shift = max_width, max_height, shift
        self.inv_bits = in_bits + levels + 2
        self.out_bits = self.inv_bits - shift
        # Registers from the input to the output FIFO: write, bank read, operands, adder tree,
        # rounding, FIFO entry.
        self.stages = 4 + tree_stages(3 * levels + 1, shift) + (1 if shift else 0)
        self.in_layout = pixel_layout(lanes, in_bits)
        self.out_layout = block_pixel_layout(lanes, self.out_bits, max_width, max_height)
        super().__init__(self.params.unit_members(self.in_layout, self.out_layout))

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
        active, k = Signal(name="active"), Signal(2 * levels, name="k")
        bc, br = Signal(range(nbw_max), name="bc"), Signal(range(nbh_max), name="br")
        # Last block column and row, (size - 1) >> levels: compares without an adder.
        nbw1, nbh1 = Signal.like(bc, name="nbw1"), Signal.like(br, name="nbh1")
        wbuf, rbuf = Signal(name="wbuf"), Signal(name="rbuf")
        full = [Signal(name=f"full{h}") for h in range(2)]
        meta = [Signal(data.StructLayout({"br": br.shape(), "bc": bc.shape(), "last": 1}),
                       name=f"meta{h}") for h in range(2)]
        # The half being written may be reused while the reader takes its last pixel (`rdone`):
        # the registered write lands a cycle later, after that read. The handshake reads only
        # registers: `wf` = full[wbuf] and `rf` = full[rbuf], kept from next-state values, the
        # FIFO's `credit` and `t_end`. The halves are written and read in turn, so the writer
        # finds its half full only two blocks ahead of the reader, which then reads that very
        # half (wf implies rf and rbuf == wbuf): it frees it when it issues its last pixel.
        t_end = Signal()  # reader at the block's last pixel, t == B*B - 1
        rdone, wf, rf = Signal(name="rdone"), Signal(name="wf"), Signal(name="rf")
        # The pipeline runs free (no enable): a pixel enters only with a credit of the output
        # FIFO. `issue` (= rf & credit) is itself a register, kept from next-state values: it
        # is the clock enable of every lane's read-address copy.
        m.submodules.fifo = fifo = CreditFIFO(self.out_layout, ram_style="distributed")
        assert self.stages + 1 <= fifo.depth  # credits for the whole round trip
        wfull = wf & ~(fifo.credit & t_end)
        first, last_in = self.i.payload.first, self.i.payload.last
        # Opening a frame takes a cycle: the size check is registered first. `size_ok` checks
        # the size of every cycle (no enable: its cone is the compares alone) and counts only
        # while `opening`, when the size is that of the waiting `first` beat.
        opening, size_ok = Signal(name="opening"), Signal(name="size_ok")
        can_open = opening & size_ok
        # Writer at the block's last coefficient, k == B*B - 1, kept in a register.
        block_end = Signal()
        bc_end, br_end = bc == nbw1, br == nbh1
        # The block counters step in the write stage (`wq_end`), a cycle after the block's
        # last write, and `last_block` is their compare, registered: both settle at least two
        # cycles before the next block's last write (B*B >= 4), and no block-end event hangs
        # on the input handshake and a compare at once.
        last_block = Signal(name="last_block")
        m.d.sync += last_block.eq(bc_end & br_end)
        # One unconditional assignment: Icarus misses the time-0 evaluation of an `always @*`
        # whose inputs never change, which left ready at X.
        m.d.comb += self.i.ready.eq(Mux(active, ~wfull,
                                        Mux(opening, ~size_ok | ~wfull, ~first)))
        take = self.i.valid & self.i.ready
        write = self.i.valid & ~wfull & (active | can_open)
        # Framing errors: a beat taken but not written (no frame open, or a refused size), and
        # a written beat whose markers disagree. Their parts are registered (the marker check
        # apart from `write`, so no cone holds both the handshake and the block-counter
        # compares) and folded into the sticky flag a cycle later.
        e_take, e_wr, e_first = Signal(name="e_take"), Signal(name="e_wr"), Signal(name="e_first")
        e_last, e_lastpos = Signal(name="e_last"), Signal(name="e_lastpos")
        m.d.sync += [
            e_take.eq(self.i.valid & ~active & Mux(opening, ~size_ok, ~first)),
            e_wr.eq(write), e_first.eq(first == active), e_last.eq(last_in),
            e_lastpos.eq(block_end & last_block),
        ]
        with m.If(e_take | (e_wr & (e_first | (e_last != e_lastpos)))):
            m.d.sync += self.error.eq(1)
        m.d.sync += size_ok.eq((self.width != 0) & (self.width <= self.max_width)
                               & (self.height != 0) & (self.height <= self.max_height))
        with m.If(~active & ~opening & self.i.valid & first):
            m.d.sync += opening.eq(1)
        # The last block column and row follow the size until the frame is open.
        with m.If(~active):
            m.d.sync += [nbw1.eq((self.width - 1) >> levels), nbh1.eq((self.height - 1) >> levels)]
        with m.If(opening & take):
            m.d.sync += [opening.eq(0), active.eq(size_ok)]
        # Registered write stage (`wq`): the banks' write enables, address and data are
        # registers (the input handshake would otherwise drive every LUT-RAM write enable), and
        # a half is marked full one cycle after its last coefficient, from `wq_end`.
        # Data, address and half are loaded every cycle (only the registered bank enables
        # depend on `write`): no clock enable of `lanes * in_bits` flip-flops on that path.
        wq_data, wq_k = Signal(sample, reset_less=True), Signal(2 * levels, name="wq_k")
        wq_buf, wq_end, wq_write = (Signal(name=f"wq_{n}") for n in ("buf", "end", "write"))
        m.d.sync += [wq_end.eq(write & block_end), wq_data.eq(self.i.payload.data),
                     wq_k.eq(k), wq_buf.eq(wbuf), wq_write.eq(write)]
        # From L = 2 on, a second write stage: the bank enables are registered from registers,
        # not from the handshake. The half is still marked full after `wq`: its last
        # coefficient (HH_1 at (B-1, B-1)) is first read by pixel (B-2, B-2); at L = 1, pixel 0.
        en_write, en_buf, mem_data, mem_k, mem_buf = write, wbuf, wq_data, wq_k, wq_buf
        if levels >= 2:
            en_write, en_buf = wq_write, wq_buf
            mem_data, mem_k = Signal(sample, reset_less=True), Signal.like(k, reset_less=True)
            mem_buf = Signal(reset_less=True)
            m.d.sync += [mem_data.eq(wq_data), mem_k.eq(wq_k), mem_buf.eq(wq_buf)]
        # Next-state values of the halves' flags, for the registered `wf` and `rf`.
        full_n = [Signal(name=f"full{h}_n") for h in range(2)]
        wbuf_n, rbuf_n = Signal(), Signal()
        for h in range(2):
            m.d.comb += full_n[h].eq((full[h] & ~(rdone & (rbuf == h)))
                                     | (wq_end & (wq_buf == h)))
        rf_n = Mux(rbuf_n, full_n[1], full_n[0])
        m.d.comb += [wbuf_n.eq(wbuf ^ (write & block_end)), rbuf_n.eq(rbuf ^ rdone)]
        m.d.sync += [full[h].eq(full_n[h]) for h in range(2)]
        m.d.sync += [wbuf.eq(wbuf_n), rbuf.eq(rbuf_n), wf.eq(Mux(wbuf_n, full_n[1], full_n[0])),
                     rf.eq(rf_n)]
        with m.If(write):
            m.d.sync += [k.eq(k + 1), block_end.eq(k == b * b - 2)]
            with m.If(block_end & last_block):
                m.d.sync += active.eq(0)
        with m.If(wq_end):
            for h in range(2):
                with m.If(wq_buf == h):
                    m.d.sync += [meta[h].br.eq(br), meta[h].bc.eq(bc),
                                 meta[h].last.eq(last_block)]
            with m.If(bc_end):
                m.d.sync += bc.eq(0)
                with m.If(br_end):
                    m.d.sync += br.eq(0)
                with m.Else():
                    m.d.sync += br.eq(br + 1)
            with m.Else():
                m.d.sync += bc.eq(bc + 1)

        # Reader: pixel (y, x) of the block in half rbuf; every bank is read at once.
        t = Signal(2 * levels)
        x, y = t[:levels], t[levels:]
        issue = Signal(name="issue")
        m.d.sync += issue.eq(rf_n & fifo.credit_next)
        # `sv`/`sp` is the pipeline's output register, written into the FIFO a cycle later.
        sv, sp = Signal(name="sv"), Signal(self.out_layout, name="sp", reset_less=True)
        m.d.comb += [fifo.take.eq(issue), fifo.w_en.eq(sv), fifo.w_data.eq(sp),
                     fifo.r_ready.eq(self.o.ready), self.o.valid.eq(fifo.r_valid),
                     self.o.payload.eq(fifo.r_data)]
        ki, kj = k[levels:], k[:levels]
        # Every lane reads its own banks at its own copy of the read address (`t`, `rbuf`):
        # one pair of counters would drive every LUT-RAM read port of all lanes and the
        # control as well. The copies step with `issue` like `t` and `rbuf` (each one's next
        # state is its own output, so synthesis does not merge them); `issue` is their clock
        # enable, not an input of the incrementer's carry chain.
        rt = [Signal(2 * levels, name=f"rt{q}") for q in range(lanes)]
        rb = [Signal(name=f"rb{q}") for q in range(lanes)]
        with m.If(issue):
            m.d.sync += [rt[q].eq(rt[q] + 1) for q in range(lanes)]
            with m.If(t_end):
                m.d.sync += [rb[q].eq(~rb[q]) for q in range(lanes)]
        reads = [{} for _ in range(lanes)]
        for lv in range(levels, -1, -1):
            # log2 of the band size inside a block; LL_L is a single sample like level L.
            rsh = lv if lv else levels
            sh = levels - rsh
            # A bank deeper than one LUT-RAM (16 words) is stored as one memory per half, read
            # both at once, so no multiplexer sits between a LUT RAM and its read register
            # (the half is selected in the operand's LUT).
            split = 2 * 4**sh > 16
            for band in (("ll",) if lv == 0 else ("lh", "hl", "hh")):
                if lv == 0:
                    sel = (ki | kj) == 0
                else:
                    sel = ((ki | kj) >> sh) == 1
                    sel &= {"lh": ~ki[sh], "hl": ~kj[sh], "hh": ki[sh] & kj[sh]}[band]
                if levels >= 2:  # the bank's decode of k, registered with `wq`
                    sel_q = Signal(name=f"sel_{band}{lv}")
                    m.d.sync += sel_q.eq(sel)
                    sel = sel_q
                halves = (0, 1) if split else (None,)
                wen = [Signal(name=f"wen_{band}{lv}_{h}") for h in halves]
                for h, en in zip(halves, wen, strict=True):
                    m.d.sync += en.eq(en_write & sel & (en_buf == h if split else 1))
                for q in range(lanes):
                    rx, ry = rt[q][:levels], rt[q][levels:]
                    got = []
                    for h, en in zip(halves, wen, strict=True):
                        mem = Memory(shape=signed(self.in_bits), depth=4**sh * (1 + (not split)),
                                     init=[], attrs={"ram_style": "distributed"})
                        m.submodules[f"{band}{lv}_{q}" + (f"_{h}" if split else "")] = mem
                        wr, rd = mem.write_port(), mem.read_port()
                        wa = Cat(mem_k[:sh], mem_k[levels:levels + sh])
                        ra = Cat(rx[rsh:], ry[rsh:])
                        m.d.comb += [wr.en.eq(en), wr.data.eq(mem_data[q]),
                                     wr.addr.eq(wa if split else Cat(wa, mem_buf)),
                                     rd.addr.eq(ra if split else Cat(ra, rb[q]))]
                        got.append(rd.data)
                    reads[q][band, lv] = tuple(got) if split else got[0]
        m.d.comb += rdone.eq(issue & t_end)
        m.d.sync += t_end.eq(Mux(issue, t == b * b - 2, t_end))
        with m.If(issue):
            m.d.sync += t.eq(t + 1)

        # Pipeline, free-running: bank read, signed operands, an adder tree with one adder
        # level per stage, rounding. Only the valid bits have a reset.
        tag = data.StructLayout({"row": self.o.payload.row.shape(),
                                 "col": self.o.payload.col.shape(), "last": 1})
        rmeta = data.View(meta[0].shape(), Mux(rbuf, meta[1], meta[0]))
        tag_a = Signal(tag)
        m.d.comb += [tag_a.row.eq(Cat(y, rmeta.br)),
                     tag_a.col.eq(Cat(x, rmeta.bc)), tag_a.last.eq(rmeta.last & t_end)]
        n = self.stages - 2  # without the write register and the FIFO entry
        tags = [Signal(tag, name=f"tag{s}", reset_less=True) for s in range(n)]
        valid = [Signal(name=f"valid{s}") for s in range(n)]
        m.d.sync += [valid[0].eq(issue), tags[0].eq(tag_a), sv.eq(valid[-1]),
                     sp.row.eq(tags[-1].row), sp.col.eq(tags[-1].col),
                     sp.last.eq(tags[-1].last)]
        for s in range(1, n):
            m.d.sync += [valid[s].eq(valid[s - 1]), tags[s].eq(tags[s - 1])]
        for q in range(lanes):
            m.d.sync += sp.data[q].eq(lane_sum(m, reads[q], rt[q], rb[q], levels=levels,
                                               shift=self.shift, name=f"l{q}"))
        return m


def tree_stages(n_ops: int, shift: int) -> int:
    """Registered adder-tree levels for ``n_ops`` operands (the root sum is registered only
    when the rounding follows)."""
    k = 0
    while n_ops > 2 or (n_ops == 2 and shift):
        n_ops, k = (n_ops + 1) // 2, k + 1
    return k


def lane_sum(m, reads, addr, half, *, levels: int, shift: int, name: str):
    """Free-running registered pipeline of one lane; returns the (unregistered) output value.

    Parameters
    ----------
    m : Module
    reads : dict
        ``(band, level)`` -> the lane's registered bank read, or a pair ``(half 0, half 1)``
        for a bank stored as one memory per half.
    addr : Value
        The lane's read address ``t`` (pixel ``x = t[:levels]``, ``y = t[levels:]``), in
        the cycle of the read.
    half : Value
        The half read, in the cycle of the read (selects in the pairs).
    levels, shift : int
        The unit's parameters.
    name : str
        Prefix of the lane's register names.
    """
    uid = [0]

    def reg(v):
        uid[0] += 1
        sig = Signal(v.shape(), name=f"{name}_p{uid[0]}", reset_less=True)
        m.d.sync += sig.eq(v)
        return sig

    def pick(v):
        return Mux(half0, v[1], v[0]) if isinstance(v, tuple) else v

    # Registered with the bank reads, from the lane's own address copy (so the operand LUTs
    # of a lane hang on the lane's own registers): the signs (x, y and x ^ y bits of each
    # level), the half, and `corr0`, the sum of the `1 << k` of the negated operands.
    x, y = addr[:levels], addr[levels:]
    signs = reg(Cat(Cat(x[lv], y[lv], x[lv] ^ y[lv]) for lv in range(levels)))
    half0 = reg(half)
    # Level l + 1 negates x_l + y_l + (x_l ^ y_l) = 2 * (x_l | y_l) operands shifted by
    # L - 1 - l: the sum has one bit per level, x_l | y_l at bit L - l, and needs no adder.
    corr0 = reg(Cat(Const(0, 1), *(x[lv] | y[lv] for lv in reversed(range(levels)))))
    # -v << k = (~v << k) + (1 << k): a LUT per bit here (sign, value and, for a bank split
    # by halves, both halves and the half: four inputs), the 1 << k of every negated operand
    # is in `corr0`.
    ops = [reg(pick(reads["ll", 0]) + corr0)]
    for lv in range(1, levels + 1):
        for j, band in enumerate(("lh", "hl", "hh")):
            v = pick(reads[band, lv])
            ops.append(reg(Mux(signs[3 * (lv - 1) + j], ~v, v) << (levels - lv)))
    for _ in range(tree_stages(len(ops), shift)):
        ops = [reg(ops[i] + ops[i + 1] if i + 1 < len(ops) else ops[i])
               for i in range(0, len(ops), 2)]
    if not shift:
        return ops[0] + ops[1]
    v = ops[0]
    threshold = Const((1 << shift) - 1 >> 1, shift) + v[-1]
    return reg(v >> shift) + reg(v[:shift] > threshold)
