"""Front end of the forward Haar: frame opening, size sampling, zero padding, marker checks."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..lib.layouts import pixel_layout
from ..lib.params import HaarParams

__all__ = ["HaarFront"]


class HaarFront(wiring.Component):
    """Raster pixels in, the zero-padded band of level 1 out, with a registered handshake.

    A frame opens on a ``first`` beat once ``busy`` (the stages still hold the previous frame)
    has fallen, in two cycles: the first registers the size and its check, the second opens
    the frame or refuses it (its ``first`` beat is then dropped, and the rest of it as beats
    outside a frame) and computes the bounds from the registered size (no adder after the
    ``width``/``height`` inputs). Inside a frame every position of the padded frame is emitted
    once: a pixel, or a zero (one cycle each) right of ``width`` and below ``height``.

    ``i.ready`` depends on flip-flops only (and on ``i.payload.first`` outside a frame): the
    output goes through a skid buffer, ``band`` (the stage-1 input register) and a skid
    register ``kp`` loaded whenever empty; a sample is taken while the skid is empty, so the
    counters, the padding flags and ``i.ready`` never see ``band.ready``, which only loads
    ``band`` (from the skid or the new sample) and sets the skid's valid bit. ``i.ready`` is
    ``Mux(idle, ~first, Mux(active, rdy, ~size_ok))`` with ``idle`` and ``rdy`` registered
    from next-state values and ``size_ok`` the size check, registered in every cycle.
    Every decision of the sample path is a register: ``xpad``/``ypad`` (x >= w, y >= h) and
    the ``- 1`` bounds are updated with the counters, so no compare or adder feeds ``band``.

    Latency one cycle (pixel to ``band``) while ``band`` is taken; throughput one sample per
    cycle (the skid buffer costs no cycle unless stage 1 stalls).

    Parameters
    ----------
    params : HaarParams
        The unit's lanes, levels, pixel width and largest frame.

    Members
    -------
    i : In(stream.Signature(pixel_layout(lanes, in_bits)))
        ``data``, ``first``, ``last``.
    band : Out(stream.Signature(ArrayLayout(signed(in_bits), lanes)))
        The padded frame in raster order (``valid`` and ``payload`` are registers; not
        named ``o``, which would take the plain net name ``o__payload`` in the unit's
        Verilog from the unit's own output).
    bv : Out(lanes)
        Copies of ``band.valid``, one per lane, each following its own output (for stage 1's
        per-lane handshake copies, ``iv``).
    width, height : In(unsigned)
        Frame size, sampled when a ``first`` beat starts opening a frame.
    busy : In(1)
        The stages hold quads of the previous frame (read through a register).
    wp, hp, wp1, hp1 : Out(unsigned)
        Padded size and padded size - 1 of the open frame (registers).
    error : Out(1)
        Sticky: a beat was dropped, a marker disagreed with the counters, or a frame was
        refused for its size.
    """

    def __init__(self, params: HaarParams):
        self.params = params
        lanes, levels, in_bits = params.lanes, params.levels, params.in_bits
        max_width, max_height = params.max_width, params.max_height
        self.lanes, self.levels, self.in_bits = lanes, levels, in_bits
        self.max_width, self.max_height = max_width, max_height
        self.in_layout = pixel_layout(lanes, in_bits)
        super().__init__({
            "i": In(stream.Signature(self.in_layout)),
            "band": Out(stream.Signature(data.ArrayLayout(signed(in_bits), lanes))),
            "bv": Out(lanes),
            "width": In(range(max_width + 1)),
            "height": In(range(max_height + 1)),
            "busy": In(1),
            "wp": Out(range(max_width + 1)),
            "hp": Out(range(max_height + 1)),
            "wp1": Out(range(max_width)),
            "hp1": Out(range(max_height)),
            "error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        levels, b = self.levels, 2**self.levels
        wp, hp, wp1, hp1 = self.wp, self.hp, self.wp1, self.hp1
        active, opening, size_ok, xpad, ypad, kv = (
            Signal(name=n) for n in ("active", "opening", "size_ok", "xpad", "ypad", "kv"))
        # The position compares, as registers updated with the down counters below (set one
        # step ahead, where a counter is at 1): x == w - 1, x == wp - 1, y == h - 1,
        # y == hp - 1, (x, y) == (0, 0).
        ex_w, ex_wp, ey_h, ey_hp = (Signal(name=n) for n in ("ex_w", "ex_wp", "ey_h", "ey_hp"))
        at_first = Signal(init=1)
        first = self.i.payload.first
        # `rdy`: i.ready inside a frame or while opening one; `idle`: neither (then i.ready
        # is ~first: beats outside a frame are dropped, a `first` beat waits to open one).
        rdy, idle = Signal(), Signal(init=1)
        # One unconditional assignment: Icarus can miss the time-0 evaluation of an `always @*`
        # (likewise the next-state values below are plain expressions, not processes).
        # While opening (not `active`) it is ~size_ok, the size check registered in every
        # cycle (no enable), in a flip-flop apart from `rdy`, so the compares of the `width`
        # and `height` inputs end in a register of their own.
        m.d.comb += self.i.ready.eq(Mux(idle, ~first, Mux(active, rdy, ~size_ok)))
        accept = self.i.valid & self.i.ready

        # A sample (a pixel or a padding zero) enters while the skid is empty.
        # `pad` = xpad | ypad in a register of its own (`push` is then one LUT of flip-flops).
        pad = Signal(name="pad_any")
        push = active & ~kv & (pad | self.i.valid)
        # Per-lane copies of `pad` select each lane's zero. Each is enabled by the lane's own
        # `push` (made with its copy `kvq` of `kv`): copies with equal D and enable would be
        # merged by Yosys.
        padq = [Signal(name=f"pad{q}") for q in range(self.lanes)]
        kvqs = [Signal(name=f"kv{q}") for q in range(self.lanes)]
        sample = Signal.like(self.band.payload)
        for q, pq in enumerate(padq):
            m.d.comb += sample[q].eq(Mux(pq, 0, self.i.payload.data[q]))
        # Registered: the stages' busy flags fall once per frame and stay low until it opens
        # the next one, so a one-cycle-old value only delays the opening by a cycle.
        busy = Signal()
        m.d.sync += busy.eq(self.busy)
        start = ~active & ~opening & self.i.valid & first & ~busy

        def in_range(v, mx):
            # 1 <= v <= mx; with mx a power of two (v has one bit more than mx - 1): the top bit
            # set exactly when the others are all zero, one XOR of an OR (fewer LUT levels
            # than the two compares).
            if mx & (mx - 1) == 0 and len(v) == mx.bit_length():
                return v[-1] ^ v[:-1].any()
            return (v != 0) & (v <= mx)

        size_ok_n = in_range(self.width, self.max_width) & in_range(self.height, self.max_height)
        # Next-state values of the control bits, from which `rdy` and `idle` are registered
        # (`rdy` matters only inside a frame; `size_ok` only while opening, after `start`).
        o_free = ~self.band.valid | self.band.ready
        active_n = Mux(active, ~(push & ex_wp & ey_hp), opening & size_ok)
        xpad_n = Mux(push, ~ex_wp & (xpad | ex_w), xpad)
        ypad_n = Mux(push & ex_wp, ~ey_hp & (ypad | ey_h), ypad)
        kv_n = ~o_free & (kv | push)
        def pad_after_push(e_w, e_wp, e_h, e_hp, x_pad, y_pad):  # xpad_n | ypad_n at a push
            return (~e_wp & (x_pad | e_w)) | Mux(e_wp, ~e_hp & (y_pad | e_h), y_pad)
        with m.If(push):
            m.d.sync += pad.eq(pad_after_push(ex_w, ex_wp, ey_h, ey_hp, xpad, ypad))
        # Each lane keeps its own `push` (from its copies `kvq`, `pq`) and its own copies of
        # the bound and padding flags, updated with the shared compares of the counters, so
        # its padding flag is a LUT of its own flip-flops.
        pushq = [active & ~kvq & (pq | self.i.valid) for pq, kvq in zip(padq, kvqs, strict=True)]
        m.d.sync += [
            active.eq(active_n), xpad.eq(xpad_n), ypad.eq(ypad_n), kv.eq(kv_n),
            opening.eq(start), rdy.eq(~(xpad_n | ypad_n | kv_n)), idle.eq(~active_n & ~start),
            size_ok.eq(size_ok_n),
        ]

        # Skid buffer: `kp` is loaded whenever the skid is empty (its enable is the register
        # `~kv`), `band.payload` whenever `band` is free (no `band.valid` term: fewer enable
        # inputs).
        # No reset on the data registers (the valid bits qualify them).
        kp = Signal(self.band.payload.shape(), reset_less=True)
        bp = Signal(self.band.payload.shape(), reset_less=True)
        m.d.comb += self.band.payload.eq(bp)
        with m.If(self.band.valid & self.band.ready):
            m.d.sync += self.band.valid.eq(0)
        with m.If(o_free & (kv | push)):
            m.d.sync += self.band.valid.eq(1)
        # Each lane's payload and skid registers take their enables and select from the lane's
        # copies of `band.valid` (`bv`) and `kv` (`kvq`), each following its own output.
        for q, v in enumerate(self.bv):
            kvq, o_free_q = kvqs[q], ~v | self.band.ready
            m.d.sync += [v.eq(Mux(o_free_q, kvq | pushq[q], v)),
                         kvq.eq(~o_free_q & (kvq | pushq[q]))]
            with m.If(o_free_q):
                m.d.sync += bp[q].eq(Mux(kvq, kp[q], sample[q]))
            with m.If(~kvq):
                m.d.sync += kp[q].eq(sample[q])

        with m.If(accept & Mux(active, (first != at_first)
                               | (self.i.payload.last != (ex_w & ey_h)), 1)):
            # Beats outside a frame are dropped.
            m.d.sync += self.error.eq(1)
        # The position as down counters of the distance to the bounds, `xw` = w - 1 - x,
        # `xp` = wp - 1 - x (likewise `yw`, `yp`): each flag is set from a compare of its own
        # counter with the constant 1 (7 inputs at width 128, instead of the 14 of `x == w - 2`).
        # In the padding `xw` wraps below zero; it is not compared there (`xpad` is set).
        # `w1`, `h1` = w - 1, h - 1 (the reload values); wp - 1, hp - 1 are `wp1`, `hp1`.
        xw, xp, w1 = Signal.like(wp1), Signal.like(wp1), Signal.like(wp1)
        yw, yp, h1 = Signal.like(hp1), Signal.like(hp1), Signal.like(hp1)
        w_is1, h_is1 = Signal(), Signal()
        with m.If(push):
            m.d.sync += at_first.eq(ex_wp & ey_hp)
            with m.If(ex_wp):
                m.d.sync += [xw.eq(w1), xp.eq(wp1), ex_w.eq(w_is1), ex_wp.eq(0)]
                with m.If(ey_hp):
                    m.d.sync += [yw.eq(h1), yp.eq(hp1), ey_h.eq(h_is1), ey_hp.eq(0)]
                with m.Else():
                    m.d.sync += [yw.eq(yw - 1), yp.eq(yp - 1), ey_h.eq(yw == 1),
                                 ey_hp.eq(yp == 1)]
            with m.Else():
                m.d.sync += [xw.eq(xw - 1), xp.eq(xp - 1), ex_w.eq(xw == 1), ex_wp.eq(xp == 1)]
        # A `first` beat waits for the stages to finish the previous frame, since they read
        # the sampled sizes. The size is registered as it comes (`wr`, `hr`: no adder after
        # the `width` input, which may come from a multiplexer, e.g. hw.haar.lane_split's input
        # FIFO) and the bounds are computed in the opening cycle; only the check (compares, no
        # adder) is made from the inputs. The bounds are first read in the cycle after.
        wr, hr = Signal.like(self.width), Signal.like(self.height)
        with m.If(start):
            m.d.sync += [wr.eq(self.width), hr.eq(self.height)]
        with m.If(opening):
            w_1, h_1 = wr - 1, hr - 1
            m.d.sync += [
                w1.eq(w_1), h1.eq(h_1), w_is1.eq(wr == 1), h_is1.eq(hr == 1),
                # The position is (0, 0) at the opening.
                xw.eq(w_1), yw.eq(h_1), xp.eq(w_1 | (b - 1)), yp.eq(h_1 | (b - 1)),
                ex_w.eq(wr == 1), ey_h.eq(hr == 1), ex_wp.eq(0), ey_hp.eq(0),
                # Padded size - 1 = (size - 1) | (B - 1).
                wp1.eq(w_1 | (b - 1)), hp1.eq(h_1 | (b - 1)),
                # Padded size = (size + B - 1) rounded down to a multiple of B: one adder.
                wp.eq(Cat(Const(0, levels), (wr + (b - 1))[levels:])),
                hp.eq(Cat(Const(0, levels), (hr + (b - 1))[levels:])),
            ]
        # The lanes' copies of the bound and padding flags (see `pushq` above).
        for q, (pq, en) in enumerate(zip(padq, pushq, strict=True)):
            e_w, e_wp, e_h, e_hp, x_pad, y_pad = (
                Signal(name=f"{n}{q}") for n in ("ex_w", "ex_wp", "ey_h", "ey_hp", "xpad", "ypad"))
            with m.If(en):
                m.d.sync += [pq.eq(pad_after_push(e_w, e_wp, e_h, e_hp, x_pad, y_pad)),
                             x_pad.eq(~e_wp & (x_pad | e_w))]
                with m.If(e_wp):
                    m.d.sync += [e_w.eq(w_is1), e_wp.eq(0), y_pad.eq(~e_hp & (y_pad | e_h)),
                                 e_h.eq(Mux(e_hp, h_is1, yw == 1)), e_hp.eq(~e_hp & (yp == 1))]
                with m.Else():
                    m.d.sync += [e_w.eq(xw == 1), e_wp.eq(xp == 1)]
            with m.If(opening):
                m.d.sync += [e_w.eq(wr == 1), e_h.eq(hr == 1), e_wp.eq(0), e_hp.eq(0)]
        return m
