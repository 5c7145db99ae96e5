"""Streaming forward integer Haar: raster pixels in, block-local Mallat coefficients out."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring

from ..lib.fifo import FIFO_MEMORIES, PrefetchFIFO
from ..lib.layouts import coef_layout, pixel_layout
from ..lib.params import HaarParams, check_choice, check_int
from .front import HaarFront
from .stage import HaarStage, entry_layout, line_buffer_bits

__all__ = ["HaarForward"]


class HaarForward(wiring.Component):
    """Exact adder/shift Haar of ``golden.int_haar.int_dwt2`` on a pixel stream.

    Pixels arrive in raster order; frames whose size is not a multiple of ``B = 2**levels``
    are zero-padded at the bottom and right (``golden.haar.pad_to``) by inserting zero samples
    (:class:`~hw.haar.front.HaarFront`, whose skid buffer makes ``i.ready`` a function of
    flip-flops and, outside a frame, of ``i.payload.first``).
    One :class:`~hw.haar.stage.HaarStage` per level; their detail quads are merged (lowest level
    first) through a write register into a FIFO of ``fifo_depth`` quads (LH, HL, HH; the top
    level's LL goes to a small FIFO of its own), which a serializer turns into one coefficient
    beat per cycle, through a skid register to ``o``. Every position of the padded frame is
    emitted exactly once; the order is production order (see ``docs/haar.md``); ``last``
    marks the frame's final beat. Each lane has its own copies of the control that reaches
    its data (handshakes, padding flags, FIFO slice controls, serializer slot), so no
    control net spans all lanes; data registers have no reset.

    Throughput one pixel per cycle sustained (the output FIFO absorbs the bursts of the odd
    rows); latency about ``Wp + 11`` cycles from the first pixel to the first coefficient. Two
    idle cycles open each frame.

    Parameters
    ----------
    lanes : int
        Channels per beat, 1..64.
    max_width, max_height : int
        Largest frame, multiples of ``2**levels`` in [2**levels, 4096].
    levels : int
        Transform depth, 1..4.
    in_bits : int
        Signed pixel width, 2..16.
    fifo_depth : int or None
        Output FIFO depth in quads, 4..65536 (default ``max_width * 5 // 8 + 8``, enough for
        no input stall at full output rate).
    fifo_memory : {"lut", "memory", "ecp5"}
        Storage of that FIFO: LUT RAM (default); portable memories with a registered read;
        ECP5 DP16KD block RAMs in their x36 pseudo-dual-port mode with the output register
        (one more cycle of latency; ``sim/models/DP16KD.v`` simulates them).

    Members
    -------
    i : In(stream.Signature(pixel_layout(lanes, in_bits)))
        ``data``: ``lanes`` x signed(in_bits); ``first``, ``last``: frame markers.
    o : Out(stream.Signature(coef_layout(lanes, 2*levels + in_bits, params.pbits)))
        ``data``: the coefficients; ``pos``: position; ``last``.
    width, height : In(unsigned)
        Frame size, 1..max, sampled when a ``first`` beat starts a frame.
    error : Out(1)
        Sticky: a beat was dropped (no frame open), or a marker disagreed with the counters,
        or a frame was refused for its size (all its beats are dropped).

    Attributes
    ----------
    params : HaarParams
        Lanes, frame maxima, levels and pixel width, checked.
    """

    def __init__(self, lanes: int = 1, *, max_width: int = 128, max_height: int = 128,
                 levels: int = 3, in_bits: int = 8, fifo_depth: int | None = None,
                 fifo_memory: str = "lut"):
        self.params = HaarParams(lanes, max_width, max_height, levels,
                                 in_bits).check_in_bits(2, 16)
        if fifo_depth is None:
            fifo_depth = max_width * 5 // 8 + 8
        check_int("fifo_depth", fifo_depth, 4, 65536)
        self.fifo_memory = check_choice("fifo_memory", fifo_memory, FIFO_MEMORIES)
        self.lanes, self.levels, self.in_bits = lanes, levels, in_bits
        self.max_width, self.max_height, self.fifo_depth = max_width, max_height, fifo_depth
        self.coef_bits, self.pbits = self.params.coef_bits, self.params.pbits
        self.ent = entry_layout(lanes, levels, in_bits, self.pbits, slots=3)
        # Top-level quads queued at once: those of one block row, plus margin.
        self.ll_depth = (max_width >> levels) + 4
        self.in_layout = pixel_layout(lanes, in_bits)
        self.out_layout = coef_layout(lanes, self.coef_bits, self.pbits)
        super().__init__(self.params.unit_members(self.in_layout, self.out_layout))

    @property
    def line_buffer_bits(self) -> int:
        """Bits of all line buffers: per level ``l``, ``max_width >> l`` pair sums of
        ``in_bits + 2*l - 1`` bits (rounded up to whole banks of 16 words)."""
        return sum(line_buffer_bits(self.lanes, lv, self.in_bits, self.max_width)
                   for lv in range(1, self.levels + 1))

    @property
    def fifo_bits(self) -> int:
        """Bits of the output FIFOs: ``fifo_depth`` quads of LH, HL, HH and the top level's
        LL FIFO (``max_width >> levels`` + 4 entries)."""
        return self.fifo_depth * self.ent.size + self.ll_depth * self.coef_bits * self.lanes

    def elaborate(self, platform):
        m = Module()
        levels = self.levels
        stages = [HaarStage(self.params, lv) for lv in range(1, levels + 1)]
        for k, st in enumerate(stages):
            m.submodules[f"stage{k + 1}"] = st
        for lo, hi in zip(stages, stages[1:], strict=False):
            wiring.connect(m, lo.ll, hi.i)
            m.d.comb += hi.iv.eq(lo.llv)

        # Front end (frame opening, padding, marker checks; a registered `i.ready`) into
        # stage 1's input register.
        m.submodules.front = front = HaarFront(self.params)
        wiring.connect(m, wiring.flipped(self.i), front.i)
        wiring.connect(m, front.band, stages[0].i)
        m.d.comb += stages[0].iv.eq(front.bv)
        m.d.comb += [front.width.eq(self.width), front.height.eq(self.height),
                     front.busy.eq(Cat(st.busy for st in stages).any()),
                     self.error.eq(front.error)]
        for st in stages:
            m.d.comb += [st.wp.eq(front.wp), st.hp.eq(front.hp), st.wp1.eq(front.wp1),
                         st.hp1.eq(front.hp1)]

        # Merge the detail quads, lowest level first: level 1 produces every second cycle and
        # must never wait, the rarer higher levels fill the gaps. The FIFO holds LH, HL, HH;
        # the top level's LL goes to `llfifo` (LUT RAM) in the same cycle.
        # Sliced per lane (a lane's three coefficients; the position fields go with the last
        # lane): each slice has its own head-buffer controls (and LUT-RAM pointers).
        lane_bits = 3 * self.coef_bits
        cuts = [lane_bits] * (self.lanes - 1) + [self.ent.size - lane_bits * (self.lanes - 1)]
        m.submodules.fifo = fifo = PrefetchFIFO(width=self.ent.size, depth=self.fifo_depth,
                                           memory=self.fifo_memory, slices=cuts,
                                           rdy3_copies=levels)
        m.submodules.llfifo = llfifo = PrefetchFIFO(width=self.coef_bits * self.lanes,
                                               depth=self.ll_depth, slices=self.lanes,
                                               rdy3_copies=levels)
        # A quad is granted only while both FIFOs have two free words (`free`: three a cycle
        # ago), so `wq` is written in the next cycle unconditionally: the write enables are
        # the registers `wq_valid`, `wq_ll_v`.
        # Data registers here have no reset (valid bits qualify them), nor do those below.
        wq = Signal(self.ent, reset_less=True)
        wq_ll = Signal(self.o.payload.data.shape(), reset_less=True)
        wq_valid, wq_ll_v = Signal(), Signal()
        m.d.comb += [fifo.w_data.eq(wq), fifo.w_en.eq(wq_valid),
                     llfifo.w_data.eq(wq_ll), llfifo.w_en.eq(wq_ll_v)]
        m.d.sync += [wq_valid.eq(0), wq_ll_v.eq(0)]
        taken = Const(0)
        for k, st in enumerate(stages):
            # `free` in a copy per stage (from the FIFOs' copies of `w_rdy3`), next to it.
            free = Signal(name=f"free{k}")
            m.d.sync += free.eq(fifo.w_rdy3[k] & llfifo.w_rdy3[k])
            grant = st.det.valid & ~taken
            m.d.comb += st.det.ready.eq(grant & free)
            with m.If(grant & free):
                m.d.sync += [wq_valid.eq(1), wq_ll_v.eq(k == levels - 1)]
            taken = taken | st.det.valid
        # `wq` is written into the FIFO in the cycle after it is loaded, or dropped: it takes
        # the highest-priority quad every cycle, with no enable (no path from `free`); with no
        # quad valid it takes the top stage's (not written). Its selects are the stages' `sel`
        # copies of `det.valid` (the grant logic stays next to the stages), one per lane: every
        # bit is a multiplexer of registers, with no decode shared by the whole word.
        def merge(field, bit):
            v = field(stages[-1].det.payload)
            for st in reversed(stages[:-1]):
                v = Mux(st.sel[bit], field(st.det.payload), v)
            return v

        m.d.sync += [wq.p0.eq(merge(lambda d: d.p0, 0)), wq.lvl.eq(merge(lambda d: d.lvl, 0)),
                     wq.top.eq(merge(lambda d: d.top, 0)),
                     wq.last.eq(merge(lambda d: d.last, 0))]
        for j in range(3):
            for q in range(self.lanes):
                m.d.sync += wq.v[q][j].eq(merge(lambda d, j=j, q=q: d.v[q][j], 1 + q))
        m.d.sync += [wq_ll[q].eq(stages[-1].det.payload.v[q][3]) for q in range(self.lanes)]

        # Serializer: slots 0..2 (LH, HL, HH) of every quad, then slot 3 (LL, the head of
        # `llfifo`) at the top. The current quad is the FIFO's head register; the LL of a top
        # quad was written with it and has reached the head of `llfifo` by slot 3 (both heads
        # refill within three cycles of a read).
        cur = data.View(self.ent, fifo.r_data)
        cur_valid = fifo.r_rdy[0]
        slot = Signal(2)
        top = cur.top
        s = Signal(levels)
        with m.Switch(cur.lvl):
            for lv in range(levels - 1):
                with m.Case(lv):
                    m.d.comb += s.eq(1 << (levels - 1 - lv))
            with m.Default():  # the top level; also keeps the case complete for linters
                m.d.comb += s.eq(1)
        offset = Signal(self.pbits)
        # Explicit cases: indexing a view with a signal would elaborate to a $mul/$shift.
        with m.Switch(slot):
            for k, off in enumerate((s, s << levels, (s << levels) | s, 0)):
                with m.Case(k):
                    m.d.comb += offset.eq(off)
        # `sv`/`sp` is the serializer's output register; a skid register (`kv`/`kp`) sits
        # between it and `o`, so `o.ready` loads only the output register. `at_end` (slot ==
        # end_slot, the quad's last slot: 3 at the top level, else 2) is a register; a quad is
        # current while `at_end` is set, so the read (`adv_end` = advance & at_end, from
        # next-state values, handed to the FIFOs a cycle ahead as `r_next`) depends on no
        # handshake of its own cycle.
        sv, sp = Signal(), Signal(self.out_layout, reset_less=True)
        kv, kp = Signal(), Signal(self.out_layout, reset_less=True)
        advance = ~sv | ~kv
        at_end, at_end_n = Signal(), Signal()
        # `pen` = (slot + 1 == end_slot), a register updated with `slot` (a new quad starts at
        # slot 0, where it is 0 whatever its `top`): `at_end_n` has five inputs, not seven.
        pen = Signal()
        m.d.comb += at_end_n.eq(Mux(advance & cur_valid, ~at_end & pen, at_end))
        # The read of the next cycle (`adv_end`), which the FIFOs register, is made per lane
        # from the lane's copies of `sv`, `kv`, `o.valid` (below) for that lane's FIFO slices.
        # A quad's `top` is the next cycle's too whenever `adv_end` is set.
        m.d.sync += at_end.eq(at_end_n)
        # `sp` is loaded whenever the output register advances (its enable does not depend
        # on the FIFO's `r_rdy`): without a current quad it holds no beat (`sv` low).
        with m.If(advance):
            m.d.sync += [
                sv.eq(cur_valid),
                # The slot's offset bits are zero in p0: OR instead of an adder.
                sp.pos.eq(cur.p0 | offset),
                sp.last.eq(cur.last & at_end),
            ]
            with m.If(cur_valid):
                m.d.sync += [slot.eq(Mux(at_end, 0, slot + 1)),
                             pen.eq(~at_end & Mux(slot == 0, ~top, (slot == 1) & top))]
        o, o_rdy = Signal(self.out_layout, reset_less=True), self.o.ready
        m.d.comb += self.o.payload.eq(o)
        with m.If(~self.o.valid | o_rdy):
            m.d.sync += [self.o.valid.eq(sv | kv), o.pos.eq(Mux(kv, kp.pos, sp.pos)),
                         o.last.eq(Mux(kv, kp.last, sp.last)), kv.eq(0)]
        with m.Elif(sv & ~kv):
            m.d.sync += kv.eq(1)
        # `kp` matters only while `kv` is set: loaded whenever `kv` is clear, its enable
        # does not depend on `o.ready`.
        with m.If(~kv):
            m.d.sync += [kp.pos.eq(sp.pos), kp.last.eq(sp.last)]
        # Each lane's data registers take their enables and selects from per-lane copies of
        # `sv`, `kv` and `o.valid`, each following its own outputs (so they are not merged).
        ll_data = data.View(data.ArrayLayout(signed(self.coef_bits), self.lanes), llfifo.r_data)
        for q in range(self.lanes):
            svq, kvq, ovq = (Signal(name=f"{n}{q}") for n in ("sv", "kv", "ov"))
            # The lane's copies of `at_end`, `pen` and (from its FIFO slice) `r_rdy`.
            aeq, penq, cvq = Signal(name=f"at_end{q}"), Signal(name=f"pen{q}"), fifo.r_rdy[q]
            adv_q = ~svq | ~kvq
            svq_n, at_end_nq = Mux(adv_q, cvq, svq), Mux(adv_q & cvq, ~aeq & penq, aeq)
            m.d.sync += aeq.eq(at_end_nq)
            # With `o.ready` high the skid empties (only `at_end` decides); `o.ready` last.
            rn = Mux(o_rdy, at_end_nq, ~(svq_n & ovq & (kvq | svq)) & at_end_nq)
            m.d.comb += [fifo.r_next[q].eq(rn), llfifo.r_next[q].eq(rn & top)]
            # The lane's copy of `slot` selects its coefficient (one select net per lane).
            slq, value = Signal(2, name=f"slot{q}"), Signal.like(sp.data[q], name=f"value{q}")
            with m.If(adv_q & cvq):
                m.d.sync += [slq.eq(Mux(aeq, 0, slq + 1)),
                             penq.eq(~aeq & Mux(slq == 0, ~top, (slq == 1) & top))]
            with m.Switch(slq):
                for k in range(4):
                    with m.Case(k):
                        m.d.comb += value.eq(cur.v[q][k] if k < 3 else ll_data[q])
            m.d.sync += [svq.eq(svq_n),
                         # An AND, not a multiplexer to 0: Yosys would make that a reset
                         # input with `o.ready` two LUTs before it.
                         kvq.eq(~o_rdy & ovq & (kvq | svq)),
                         ovq.eq(Mux(~ovq | o_rdy, svq | kvq, ovq))]
            with m.If(~svq | ~kvq):
                m.d.sync += sp.data[q].eq(value)
            with m.If(~ovq | o_rdy):
                m.d.sync += o.data[q].eq(Mux(kvq, kp.data[q], sp.data[q]))
            with m.If(~kvq):
                m.d.sync += kp.data[q].eq(sp.data[q])
        return m
