"""One level of the streaming forward Haar: a 2x2 adder butterfly over a pair line buffer."""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..lib.params import HaarParams

__all__ = ["HaarStage", "entry_layout", "line_buffer_banks", "line_buffer_bits"]


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

__all__ = ["HaarStage"]


class HaarStage(wiring.Component):
    """Level ``level`` of a ``levels``-level block-local forward Haar over a raster band.

    Even rows of the band are stored as pair sums (a+b, a-b) in a line buffer of
    ``band_width / 2`` words; on odd rows the held ``c`` and the arriving ``d`` (through the
    same adders, ``c+-d``) complete each 2x2 quad, which leaves as one LL sample (to the next
    level, or in slot 3 at the top) and one detail entry. The butterfly is split over two
    cycles: the odd-row, odd-column input registers the stored ``a+-b`` and ``c+-d`` in
    ``mid``, which moves on through the second adder level into the output registers once
    both are empty. ``i.ready`` is a register (``~stall``, ``stall = produce & mid_valid``
    from next-state values): no combinational ready path runs through the chain of stages.
    The held ``c``, ``mid`` and the output registers are loaded whenever their position comes
    up (``hold`` in every even-column cycle, ``mid`` while empty at an odd row and column,
    the outputs while both are empty, ``out_free``, a register), so the handshakes drive only
    counters and valid bits, not the enables of wide registers. Each lane keeps its own
    copies of the handshake (``iv``, ``stall``, the parities, ``mid_valid``, ``out_free``;
    ``llv`` towards the next stage), so no control net spans all lanes. A quad is produced at most
    every second input, which an output register taken the cycle after it is loaded
    sustains. The line buffer is LUT RAM in banks of 16 words, each read into a register in
    every cycle, the bank multiplexer after them (ECP5 block RAM is too slow for 200 MHz
    without its output register).

    Latency 2 cycles (odd-row, odd-column input to registered outputs); throughput one input
    sample per cycle while the outputs are taken the cycle after they are loaded.

    Parameters
    ----------
    params : HaarParams
        The unit's lanes, levels, pixel width (the stage input is ``in_bits + 2*(level-1)``
        wide) and largest frame (``params.pbits``: width of the position field).
    level : int
        This stage's level, 1..levels.

    Members
    -------
    i : In(stream.Signature(ArrayLayout(signed(in_bits + 2*(level-1)), lanes)))
        Band samples in raster order.
    ll : Out(stream.Signature(ArrayLayout(signed(in_bits + 2*level), lanes)))
        LL samples in raster order of the next band; absent at the top level.
    det : Out(stream.Signature(entry_layout(...)))
        One entry per quad.
    wp, hp : In(unsigned)
        Padded frame width and height; must not change while ``busy``.
    wp1, hp1 : In(unsigned)
        ``wp - 1`` and ``hp - 1`` (registered by the caller: no adder in the counter paths).
    busy : Out(1)
        High from the first sample of a frame until its last quad has left ``det``.
    iv : In(lanes)
        Copies of ``i.valid`` (equal to it in every cycle), one per lane: each lane's line
        buffer, parities and copies of ``stall`` follow its own copy, so its handshake is
        local (from the producer's per-lane flip-flops: the front's ``bv`` or the previous
        stage's ``llv``).
    llv : Out(lanes)
        Copies of ``ll.valid``, one per lane (absent at the top level).
    sel : Out(lanes + 1)
        ``det.valid`` in flip-flops of its own, for the selects of the arbiter's wide data
        multiplexer (so they share no gate with the grant, ``det.ready``): bit 0 for the
        position fields, bit ``1 + q`` for lane ``q``'s coefficients (a copy per lane, so no
        select net spans all lanes).
    """

    def __init__(self, params: HaarParams, level: int):
        self.params, self.level = params, level
        lanes, levels, in_bits = params.lanes, params.levels, params.in_bits
        max_width, max_height, pbits = params.max_width, params.max_height, params.pbits
        self.lanes, self.levels, self.in_bits = lanes, levels, in_bits
        self.max_width, self.max_height = max_width, max_height
        self.b_in = in_bits + 2 * (level - 1)
        self.top = level == levels
        self.sample = data.ArrayLayout(signed(self.b_in), lanes)
        self.ent = entry_layout(lanes, levels, in_bits, pbits)
        sig = {
            "i": In(stream.Signature(self.sample)),
            "det": Out(stream.Signature(self.ent)),
            "wp": In(range(max_width + 1)),
            "hp": In(range(max_height + 1)),
            "wp1": In(range(max_width)),
            "hp1": In(range(max_height)),
            "busy": Out(1),
            "iv": In(lanes),
            "sel": Out(lanes + 1),
        }
        if not self.top:
            sig["ll"] = Out(stream.Signature(data.ArrayLayout(signed(self.b_in + 2), lanes)))
            sig["llv"] = Out(lanes)
        super().__init__(sig)

    @property
    def buffer_bits(self) -> int:
        """Bits of this stage's line buffer: pair sums of ``in_bits + 2*level - 1`` bits."""
        return line_buffer_bits(self.lanes, self.level, self.in_bits,
                                self.max_width)

    def elaborate(self, platform):
        m = Module()
        lvl, levels, lanes = self.level, self.levels, self.lanes
        sh = levels - lvl  # detail scale shift, and log2 of the band size in a block
        col = Signal(range(self.max_width >> (lvl - 1)))
        row = Signal(range(self.max_height >> (lvl - 1)))
        rowbase = Signal.like(self.det.payload.p0)
        # (wp - 1) >> (lvl - 1) = band width - 1, since wp is a multiple of 2**levels.
        wl1, hl1 = self.wp1 >> (lvl - 1), self.hp1 >> (lvl - 1)
        odd_r, odd_c = row[0], col[0]
        # col == band width - 1, row == band height - 1, registers updated with the counters
        # (a band is at least two samples wide and high, so neither holds at 0).
        col_end, row_end = Signal(), Signal()
        # Band width, height - 2, registered: the sizes change two cycles before a frame's
        # first sample can reach a stage, and stay until it has passed.
        wl2, hl2 = Signal.like(col), Signal.like(row)
        m.d.sync += [wl2.eq(wl1 - 1), hl2.eq(hl1 - 1)]
        produce = odd_r & odd_c
        # `mid` holds a quad's first adder level until both output registers are empty.
        mid_valid = Signal()
        # i.ready = ~(produce & mid_valid), a register (`stall`) from the next-state values.
        stall = Signal()
        # (row, col) != (0, 0), updated with the counters: `busy` is an OR of flip-flops.
        started = Signal()
        m.d.comb += [
            self.i.ready.eq(~stall),
            # Until its last quad has left: a frame's quads must all reach the FIFO before the
            # next frame's (the arbiter favours lower levels, it would reorder them).
            self.busy.eq(started | mid_valid | self.det.valid),
        ]
        accept = self.i.valid & ~stall
        # Per-lane copies of `stall` (`stq`) and of `i.valid` (`iv`): `acc[q]` is `accept`
        # made from the lane's own flip-flops, for its line buffer, parities and `mid` copies.
        stq = [Signal(name=f"stall{q}") for q in range(lanes)]
        acc = [self.iv[q] & ~stq[q] for q in range(lanes)]

        # Even rows are stored as pair sums (a+b, a-b) from the adders that form (c+d, c-d)
        # on odd rows, so a stored word goes straight into `mid`. One line buffer per lane
        # with its own copies of the address (`laddr[q]`, col >> 1) and parities (`pc[q]`,
        # `pr[q]`), driving only that lane's cells (one address fanned out to all lanes was
        # critical at 4 lanes; each copy's next state is a function of itself, so they are
        # not merged). Banks of 16 words (one LUT-RAM cell deep) are read into registers
        # of their own in every cycle, the bank multiplexer after them: a quad's address is
        # stable from the cycle after the previous pair's odd column, so the bank registers
        # hold its pair by the quad's odd column.
        nl, depth, nb = line_buffer_banks(self.max_width, lvl)
        lo = (depth - 1).bit_length()
        pair = data.ArrayLayout(signed(self.b_in + 1), 2)  # (a+b, a-b) or (c+d, c-d)
        laddr = [Signal(range(nl), name=f"laddr{q}") for q in range(lanes)]
        pc = [Signal(name=f"pc{q}") for q in range(lanes)]
        pr = [Signal(name=f"pr{q}") for q in range(lanes)]
        breg = [[Signal(pair, name=f"breg{q}_{k}", reset_less=True) for k in range(nb)]
                for q in range(lanes)]
        # Data registers have no reset (their valid bits say whether they hold anything): the
        # reset then reaches only the control flip-flops.
        hold = Signal(self.sample, reset_less=True)
        # Loaded in every even-column cycle: the last load before the column turns odd is
        # the accepted sample (its enable is the lane's parity `~pc[q]`, not the handshake).
        for q in range(lanes):
            with m.If(~pc[q]):
                m.d.sync += hold[q].eq(self.i.payload[q])
        sums = [Signal(pair, name=f"sums{q}") for q in range(lanes)]
        ab = [Signal(pair, name=f"ab{q}") for q in range(lanes)]
        for q in range(lanes):
            c, d = hold[q], self.i.payload[q]
            m.d.comb += [sums[q][0].eq(c + d), sums[q][1].eq(c - d)]
            for k in range(nb):
                mem = Memory(shape=pair, depth=depth, init=[],
                             attrs={"ram_style": "distributed"})
                m.submodules[f"mem{q}_{k}"] = mem
                # An asynchronous read port and an explicit register: with a synchronous
                # port, Yosys left two flip-flops driving one bit ("multiply driven").
                rd, wr = mem.read_port(domain="comb"), mem.write_port()
                m.d.sync += breg[q][k].eq(rd.data)
                m.d.comb += [
                    rd.addr.eq(laddr[q][:lo]), wr.addr.eq(laddr[q][:lo]), wr.data.eq(sums[q]),
                    # `accept` on an even row (`i.ready` is high there), no ready term.
                    wr.en.eq(self.iv[q] & ~pr[q] & pc[q] & (laddr[q][lo:] == k)),
                ]
            m.d.comb += ab[q].eq(Array(breg[q])[laddr[q][lo:]] if nb > 1 else breg[q][0])

        with m.If(self.det.valid & self.det.ready):
            m.d.sync += self.det.valid.eq(0)
        # Both output registers empty (~det.valid & ~ll.valid), as a register from the
        # next-state values: it enables the wide output registers.
        out_free = Signal(init=1)
        still = self.det.valid & ~self.det.ready
        if not self.top:
            still |= self.ll.valid & ~self.ll.ready
            with m.If(self.ll.valid & self.ll.ready):
                m.d.sync += self.ll.valid.eq(0)
        m.d.sync += out_free.eq(Mux(out_free, ~mid_valid, ~still))
        # Per-lane copies of `mid_valid` and `out_free` enable the lane's `mid` and outputs
        # (each copy follows its own outputs, so they are not merged).
        mvq = [Signal(name=f"mv{q}") for q in range(lanes)]
        ofq = [Signal(init=1, name=f"of{q}") for q in range(lanes)]
        for mv, of, a, b, ac in zip(mvq, ofq, pr, pc, acc, strict=True):
            m.d.sync += [mv.eq(Mux(ac & a & b, 1, ~of & mv)), of.eq(Mux(of, ~mv, ~still))]

        # Cycle 1 (the odd-row, odd-column input): a+-b and c+-d, the position, `last`.
        lw = data.ArrayLayout(signed(self.b_in + 1), lanes)
        mid = Signal(data.StructLayout({"s_ab": lw, "d_ab": lw, "s_cd": lw, "d_cd": lw,
                                        "p0": unsigned(len(rowbase)), "last": 1}),
                     reset_less=True)
        big_r, big_c = row >> 1, col >> 1
        bcol = big_c >> sh
        p_local = Cat(big_c[:sh], Const(0, lvl), big_r[:sh], Const(0, lvl), bcol)
        # `mid` is loaded whenever it is empty at a produce position (an enable of registers
        # only); `mid_valid` is set by the accepted input.
        with m.If(produce & ~mid_valid):
            m.d.sync += [mid.p0.eq(rowbase + p_local),
                         mid.last.eq(int(self.top) & row_end & col_end)]
        for k in range(lanes):
            with m.If(pr[k] & pc[k] & ~mvq[k]):
                m.d.sync += [mid.s_ab[k].eq(ab[k][0]), mid.d_ab[k].eq(ab[k][1]),
                             mid.s_cd[k].eq(sums[k][0]), mid.d_cd[k].eq(sums[k][1])]
        # Cycle 2: the second adder level into the output registers.
        ent = Signal(self.ent, reset_less=True)
        m.d.comb += self.det.payload.eq(ent)
        if not self.top:
            llp = Signal(data.ArrayLayout(signed(self.b_in + 2), lanes), reset_less=True)
            m.d.comb += self.ll.payload.eq(llp)
        mid_valid_n = Mux(accept & produce, 1, ~out_free & mid_valid)
        # Every `sel` bit follows `det.valid` from its own output (so none are merged).
        m.d.sync += [b.eq((mid_valid & out_free) | (b & ~self.det.ready)) for b in self.sel]
        with m.If(mid_valid & out_free):
            m.d.sync += self.det.valid.eq(1)
            if not self.top:
                m.d.sync += self.ll.valid.eq(1)
        if not self.top:  # each copy from the lane's `mid_valid`, `out_free` and its output
            m.d.sync += [self.llv[q].eq((mvq[q] & ofq[q]) | (self.llv[q] & ~self.ll.ready))
                         for q in range(lanes)]
        # The column parity flips with every accepted sample, the row parity at the row's
        # end (bands are an even number of samples wide and high, so the wraps to 0 flip too).
        odd_c_n, odd_r_n = odd_c ^ accept, odd_r ^ (accept & col_end)
        m.d.sync += [mid_valid.eq(mid_valid_n), stall.eq(odd_r_n & odd_c_n & mid_valid_n)]
        for q in range(lanes):
            pc_n, pr_n = pc[q] ^ acc[q], pr[q] ^ (acc[q] & col_end)
            mv_n = Mux(acc[q] & pr[q] & pc[q], 1, ~ofq[q] & mvq[q])
            m.d.sync += [pc[q].eq(pc_n), pr[q].eq(pr_n), stq[q].eq(pr_n & pc_n & mv_n)]
        # The output registers are loaded whenever both are free (no `mid_valid` in their
        # enable): only the valid bits say whether they hold a quad.
        with m.If(out_free):
            m.d.sync += [ent.p0.eq(mid.p0), ent.lvl.eq(lvl - 1), ent.top.eq(int(self.top)),
                         ent.last.eq(mid.last)]
        for k in range(lanes):
            with m.If(ofq[k]):
                s_ab, d_ab, s_cd, d_cd = mid.s_ab[k], mid.d_ab[k], mid.s_cd[k], mid.d_cd[k]
                m.d.sync += [
                    ent.v[k][0].eq((d_ab + d_cd) << sh),
                    ent.v[k][1].eq((s_ab - s_cd) << sh),
                    ent.v[k][2].eq((d_ab - d_cd) << sh),
                ]
                target = ent.v[k][3] if self.top else llp[k]
                m.d.sync += target.eq(s_ab + s_cd)

        # A block row of this band ends after 2*2**sh input rows. `step` = the current row
        # ends a block row and is not the band's last (rowbase steps at its end), a register
        # updated with `row`: the next row ends a block row if this one's low sh + 1 bits are
        # all ones but bit 0, and is not the last if this one is neither the last nor hl2.
        step = Signal()
        mask = (2 << sh) - 1
        step_n = ~row_end & (row != hl2) & ((row & mask) == mask - 1)
        # rowbase steps (or clears, at the band's end) a cycle after the row's last sample,
        # from registered enables: it is next read by the next row's first quad, at least
        # two samples later, and its enable then hangs on no handshake.
        do_step, do_zero = Signal(), Signal()
        m.d.sync += [do_step.eq(accept & col_end & step),
                     do_zero.eq(accept & col_end & row_end)]
        with m.If(do_zero):
            m.d.sync += rowbase.eq(0)
        with m.Elif(do_step):
            m.d.sync += rowbase.eq(rowbase + (self.wp << levels))
        with m.If(accept):
            m.d.sync += [col_end.eq(~col_end & (col == wl2)), started.eq(~(col_end & row_end))]
            with m.If(col_end):
                m.d.sync += [col.eq(0), row_end.eq(~row_end & (row == hl2)), step.eq(step_n)]
                with m.If(row_end):
                    m.d.sync += row.eq(0)
                with m.Else():
                    m.d.sync += row.eq(row + 1)
            with m.Else():
                m.d.sync += col.eq(col + 1)
        for q in range(lanes):
            with m.If(acc[q] & col_end):
                m.d.sync += laddr[q].eq(0)
            with m.Elif(acc[q] & pc[q]):
                m.d.sync += laddr[q].eq(laddr[q] + 1)
        return m
