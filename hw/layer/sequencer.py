"""Frame sequencer of the WCC layer: configurations in, one descriptor per stage and frame."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from ..lib.layouts import coef_layout, lanes_layout, pixel_layout, requant_in_layout
from .config import CONFIG_LAYOUT, ErrorCode, descriptor_layout

__all__ = ["FrameSequencer", "params_layout"]

#: Stages that take a descriptor per frame, in the order the sequencer's FIFOs are built.
#: ``px``, ``prm`` take every frame (a refused one is dropped there); the others only the
#: frames that run.
STAGES = ("px", "prm", "tag", "topk", "colw", "colr", "arr", "zf", "out")
DEPTH = 4  # frames a stage may lag the intake


def params_layout(cols: int) -> data.StructLayout:
    """A beat of the parameter stream: ``data`` (``max(64, 8 * cols)`` bits: biases as
    int32 pairs, or one weight beat of ``cols`` int8 lanes in its low bits) and ``last``."""
    return data.StructLayout({"data": max(64, 8 * cols), "last": 1})


class FrameSequencer(wiring.Component):
    """Takes a configuration per frame, checks it, and hands each stage its frame.

    A configuration beat on ``cfg`` is checked (``ErrorCode``) and completed with the counts
    the stages need (``descriptor_layout``: planes, array beats per column, output tiles,
    padded positions; a few cycles of sequential division, once per frame). The descriptor
    goes into a small FIFO per stage (``DEPTH`` frames), so every stage works on its own
    frame at its own pace, in frame order. A refused frame goes only to the two gates that
    consume what the user sends for it: its pixels and its parameters are taken and dropped
    (up to their ``last`` beats), nothing else runs, ``error`` rises and ``error_code`` says
    why; the next frame runs normally.

    The sequencer also holds the three gates where the user's streams enter:

    * pixel gate: the user's pixels (``first``/``last`` mark the frame: ``groups`` planes of
      ``lanes`` channels, each ``height x width`` in raster order) to the forward Haar unit
      with ``first``/``last`` per plane, and its ``width``/``height``;
    * plane tagger: the forward unit's coefficients to the coefficient requantizer, with the
      exact coefficients, the position, the plane (``group``) and the frame's ``last`` as
      its tag, and the frame's multiplier and shift;
    * parameter gate: per frame, ``ceil(c_out / 2)`` beats of biases (two int32 each, channel
      order) to the output stage, then ``tiles * subtiles * c_in`` weight beats to the array
      (``hw.systolic`` order), the array's ``c_in``/``c_out``/``k`` set a cycle before them
      and held until the array is done with the frame.

    Latency: a configuration reaches the stages ``4 + max(groups, t, tiles, b)`` cycles
    after it is taken (``b`` the bit length of the padded height over ``2**levels``, for
    ``N``); the gates pass one beat per cycle, each after one cycle on a new frame's
    descriptor (its bounds are registered).

    Parameters
    ----------
    lanes, rows, cols, subtiles : int
        Channels per plane beat; the array's R, C and sub-tiles.
    max_c_in, max_c_out, max_width, max_height, max_k, levels : int
        The layer's elaboration maxima (checked by :class:`hw.layer.WccLayer`).
    coef_bits, pbits : int
        Width of the exact coefficients and of a position.

    Members
    -------
    cfg : In(stream.Signature(CONFIG_LAYOUT))
    x : In(stream.Signature(pixel_layout(lanes, 8)))
        The user's pixels.
    haar_i : Out(stream.Signature(pixel_layout(lanes, 8)))
    haar_width, haar_height : Out(16)
    haar_o : In(stream.Signature(coef_layout(lanes, coef_bits, pbits)))
    rq_i : Out(stream.Signature(requant_in_layout(lanes, tag=...)))
    rq_multiplier, rq_shift : Out
        The coefficient requantizer's.
    topk_n, topk_k, topk_groups : Out
        The top-k selector's frame, the next frame to enter it.
    topk_taken_last : In(1)
        The top-k selector took a frame's last beat.
    colw_cfg, colr_cfg : Out(stream)
        The kept-column buffer's writer and reader frames.
    params : In(stream.Signature(params_layout(cols)))
    bias : Out(stream.Signature(StructLayout{data: 2 x int32, last}))
    w : Out(stream.Signature(lanes_layout(cols, 8)))
        To the array.
    arr_c_in, arr_c_out, arr_k : Out
    arr_busy : In(1)
    acc_multiplier, acc_shift : Out
        The accumulator requantizer's (the array's frame).
    zf_cfg, out_cfg : Out(stream)
        The zero-fill's and the output stage's frames (full descriptors).
    error : Out(1)
        Sticky: a frame was refused or a marker disagreed.
    error_code : Out(4)
        The most recent error (``ErrorCode``).
    """

    def __init__(self, *, lanes, rows, cols, subtiles, max_c_in, max_c_out, max_width,
                 max_height, max_k, levels, coef_bits, pbits, colw_layout, colr_layout):
        self.lanes, self.rows, self.cols, self.subtiles = lanes, rows, cols, subtiles
        self.max_c_in, self.max_c_out, self.max_k = max_c_in, max_c_out, max_k
        self.max_width, self.max_height, self.levels = max_width, max_height, levels
        self.max_n = max_width * max_height
        self.max_groups = -(-max_c_in // lanes)
        self.max_t = -(-max_c_in // rows)
        self.max_tiles = -(-max_c_out // (subtiles * cols))
        self.desc = descriptor_layout(self.max_n, max_k, self.max_groups, self.max_t,
                                      self.max_tiles)
        self.tag_layout = data.StructLayout({
            "coef": lanes_layout(lanes, coef_bits), "pos": unsigned(pbits),
            "group": range(max(2, self.max_groups)), "last": 1})
        super().__init__({
            "cfg": In(stream.Signature(CONFIG_LAYOUT)),
            "x": In(stream.Signature(pixel_layout(lanes, 8))),
            "haar_i": Out(stream.Signature(pixel_layout(lanes, 8))),
            "haar_width": Out(16), "haar_height": Out(16),
            "haar_o": In(stream.Signature(coef_layout(lanes, coef_bits, pbits))),
            "rq_i": Out(stream.Signature(requant_in_layout(lanes, tag=self.tag_layout))),
            "rq_multiplier": Out(31), "rq_shift": Out(5),
            "topk_n": Out(range(self.max_n + 1)), "topk_k": Out(range(max_k + 1)),
            "topk_groups": Out(range(self.max_groups + 1)), "topk_taken_last": In(1),
            "colw_cfg": Out(stream.Signature(colw_layout)),
            "colr_cfg": Out(stream.Signature(colr_layout)),
            "params": In(stream.Signature(params_layout(cols))),
            "bias": Out(stream.Signature(data.StructLayout({
                "data": lanes_layout(2, 32), "last": 1}))),
            "w": Out(stream.Signature(lanes_layout(cols, 8))),
            "arr_c_in": Out(range(max_c_in + 1)), "arr_c_out": Out(range(max_c_out + 1)),
            "arr_k": Out(range(max_k + 1)), "arr_busy": In(1),
            "acc_multiplier": Out(31), "acc_shift": Out(5),
            "zf_cfg": Out(stream.Signature(self.desc)),
            "out_cfg": Out(stream.Signature(self.desc)),
            "error": Out(1), "error_code": Out(4),
        })

    def elaborate(self, platform):
        m = Module()
        fifos = {}
        for name in STAGES:
            fifos[name] = f = SyncFIFOBuffered(width=self.desc.size, depth=DEPTH)
            m.submodules[f"desc_{name}"] = f
        self._fifos = fifos  # for debugging
        head = {n: data.View(self.desc, f.r_data) for n, f in fifos.items()}
        err_set, err_code = Signal(), Signal(4)  # an error this cycle, and its code

        self._intake(m, fifos)
        e_px = self._pixel_gate(m, fifos["px"], head["px"])
        self._plane_tagger(m, fifos["tag"], head["tag"])
        # The top-k selector samples its frame while waiting for the frame's first beat: the
        # head of its FIFO, dropped once the frame's last beat is in.
        tk = head["topk"]
        m.d.comb += [self.topk_n.eq(tk.n), self.topk_k.eq(tk.k), self.topk_groups.eq(tk.groups),
                     fifos["topk"].r_en.eq(self.topk_taken_last)]
        for name, port in (("colw", self.colw_cfg), ("colr", self.colr_cfg)):
            h = head[name]
            m.d.comb += [port.valid.eq(fifos[name].r_rdy), fifos[name].r_en.eq(port.ready),
                         port.payload.k.eq(h.k), port.payload.groups.eq(h.groups)]
        m.d.comb += [self.colr_cfg.payload.t.eq(head["colr"].t),
                     self.colr_cfg.payload.tiles.eq(head["colr"].tiles)]
        for name, port in (("zf", self.zf_cfg), ("out", self.out_cfg)):
            m.d.comb += [port.valid.eq(fifos[name].r_rdy), port.payload.eq(head[name]),
                         fifos[name].r_en.eq(port.ready)]
        e_prm = self._param_gate(m, fifos, head)

        code = self._intake_code
        with m.If(self._refuse):
            m.d.comb += [err_set.eq(1), err_code.eq(code)]
        with m.Elif(e_px):
            m.d.comb += [err_set.eq(1), err_code.eq(ErrorCode.PIXEL_FRAMING)]
        with m.Elif(e_prm):
            m.d.comb += [err_set.eq(1), err_code.eq(ErrorCode.PARAM_FRAMING)]
        with m.If(err_set):
            m.d.sync += [self.error.eq(1), self.error_code.eq(err_code)]
        return m

    def _intake(self, m, fifos):
        """Take a configuration, check it, compute the counts, push the descriptors."""
        c = Signal(CONFIG_LAYOUT)
        d = Signal(self.desc)
        state = Signal(range(4))  # 0 idle, 1 size, 2 divide, 3 push
        fid = Signal(4)
        m.d.comb += self.cfg.ready.eq(state == 0)
        b = 2**self.levels
        # Running multiples for the three ceilings (c_in / lanes, c_in / rows, c_out / (s*C)).
        acc_g, acc_t, acc_s = (Signal(range(2 * 65536 + 1024), name=n)
                               for n in ("acc_g", "acc_t", "acc_s"))
        self._refuse = Signal()
        self._intake_code = code = Signal(4)
        hp = Signal(16)
        wp = Signal(16)
        mul_h = Signal(16)
        mul_w = Signal(range(self.max_n + 1))
        # Room in every stage's FIFO, registered: only this intake fills them (in state 3, at
        # most once every four cycles), so room seen a cycle ago is still there.
        room_r = Signal()
        m.d.sync += room_r.eq(Cat(fifos[n].w_rdy for n in STAGES).all())
        with m.If(state == 0):
            with m.If(self.cfg.valid):
                m.d.sync += [c.eq(self.cfg.payload), state.eq(1)]
        with m.Elif(state == 1):
            # Padded sides; N = hp * wp by shift and add in state 2 (a bit of hp a cycle: no
            # multiplier between two registers).
            mask = ~(b - 1) & 0xFFFF
            m.d.comb += [hp.eq((c.height + b - 1) & mask), wp.eq((c.width + b - 1) & mask)]
            m.d.sync += [mul_h.eq(hp >> self.levels), mul_w.eq(wp << self.levels), d.n.eq(0),
                         d.groups.eq(1), d.t.eq(1), d.tiles.eq(1),
                         acc_g.eq(self.lanes), acc_t.eq(self.rows),
                         acc_s.eq(self.subtiles * self.cols), state.eq(2)]
            m.d.sync += [d.c_in.eq(c.c_in), d.c_out.eq(c.c_out), d.height.eq(c.height),
                         d.width.eq(c.width), d.m_coef.eq(c.m_coef), d.sh_coef.eq(c.sh_coef),
                         d.m_acc.eq(c.m_acc), d.sh_acc.eq(c.sh_acc), d.m_out.eq(c.m_out),
                         d.sh_out.eq(c.sh_out), d.relu.eq(c.relu), d.k.eq(c.k), d.id.eq(fid)]
            ok = [(c.c_in != 0) & (c.c_in <= self.max_c_in),
                  (c.c_out != 0) & (c.c_out <= self.max_c_out),
                  (c.height != 0) & (c.height <= self.max_height),
                  (c.width != 0) & (c.width <= self.max_width)]
            m.d.sync += code.eq(Mux(~ok[0], ErrorCode.C_IN, Mux(~ok[1], ErrorCode.C_OUT, Mux(
                ~ok[2], ErrorCode.HEIGHT, Mux(~ok[3], ErrorCode.WIDTH, ErrorCode.NONE)))))
        with m.Elif(state == 2):
            # One step of each ceiling per cycle; invalid channel counts end at once.
            more_g = (acc_g < c.c_in) & (code == 0)
            more_t = (acc_t < c.c_in) & (code == 0)
            more_s = (acc_s < c.c_out) & (code == 0)
            # N: one bit of hp / b a cycle, the last one added as the loop ends (so that the
            # K check below sees the whole product and a one-bit hp costs no cycle).
            n_add = Mux(mul_h[0], mul_w, 0)
            more_n = (mul_h[1:] != 0) & (code == 0)
            m.d.sync += [mul_h.eq(mul_h >> 1), mul_w.eq(mul_w << 1), d.n.eq(d.n + n_add)]
            with m.If(more_g):
                m.d.sync += [acc_g.eq(acc_g + self.lanes), d.groups.eq(d.groups + 1)]
            with m.If(more_t):
                m.d.sync += [acc_t.eq(acc_t + self.rows), d.t.eq(d.t + 1)]
            with m.If(more_s):
                m.d.sync += [acc_s.eq(acc_s + self.subtiles * self.cols),
                             d.tiles.eq(d.tiles + 1)]
            with m.If(~more_g & ~more_t & ~more_s & ~more_n):
                bad_k = (c.k > d.n + n_add) | (c.k > self.max_k)
                with m.If((code == 0) & bad_k):
                    m.d.sync += code.eq(ErrorCode.K)
                m.d.sync += state.eq(3)
        with m.Else():
            refused = code != 0
            run = [n for n in STAGES if n not in ("px", "prm")]
            room = room_r
            with m.If(room):
                m.d.sync += [state.eq(0), fid.eq(fid + 1)]
                m.d.comb += self._refuse.eq(refused)
                for n in STAGES:
                    m.d.comb += fifos[n].w_data.eq(Cat(d.as_value()[:1] | refused,
                                                       d.as_value()[1:]))
                    m.d.comb += fifos[n].w_en.eq(1 if n not in run else ~refused)

    def _pixel_gate(self, m, fifo, h):
        """User pixels to the forward Haar unit, planes marked; refused frames dropped.

        The gate counts the frame's beats and re-synchronises on the user's markers, so that
        a damaged frame never shifts the frames after it: at the frame's first position a
        beat without ``first`` belongs to no frame and is dropped; inside a frame a beat with
        ``first`` (the next frame began) or a taken beat with ``last`` before the count's end
        (the frame was cut short) ends the frame, whose remaining positions go out as zeros.
        A refused frame is dropped up to its ``last`` (its markers are not checked).
        """
        x, y, g = Signal(16), Signal(16), Signal(range(self.max_groups + 1))
        i, o = self.x, self.haar_i
        # The position's flags are registers, set from the next position's compares (with
        # the bounds registered from the head), so no compare sits between the counters and
        # the handshake: `end_row` (x = width - 1), `end_plane`, `end_grp`, `first`
        # (x = y = 0), `g0`. A new head is taken up the cycle after it appears (`fresh`),
        # when the flags of position (0, 0, 0) are set from it.
        w1, h1 = Signal(16), Signal(16)
        g1 = Signal(range(self.max_groups + 1))
        fresh = Signal()
        end_row, end_plane, end_grp = Signal(), Signal(), Signal()
        first, g0 = Signal(init=1), Signal(init=1)
        m.d.sync += [w1.eq(h.width - 1), h1.eq(h.height - 1), g1.eq(h.groups - 1)]
        start = first & g0
        end_frame = end_row & end_plane & end_grp
        run = fifo.r_rdy & fresh & ~h.refused
        refused = fifo.r_rdy & h.refused
        fill = Signal()  # completing a frame cut short with zeros
        skip = run & start & ~fill & ~i.payload.first
        cut = run & ~start & ~fill & i.valid & i.payload.first
        pad = fill | cut
        m.d.comb += [self.haar_width.eq(h.width), self.haar_height.eq(h.height),
                     o.valid.eq(run & (pad | (i.valid & ~skip))),
                     o.payload.data.eq(Mux(pad, 0, i.payload.data)),
                     o.payload.first.eq(first), o.payload.last.eq(end_row & end_plane),
                     i.ready.eq((o.ready & run & ~pad) | (run & skip) | refused)]
        took = i.valid & i.ready
        adv = o.valid & o.ready
        with m.If(~fresh):
            m.d.sync += [end_row.eq(h.width == 1), end_plane.eq(h.height == 1),
                         end_grp.eq(h.groups == 1), first.eq(1), g0.eq(1)]
        with m.Elif(adv):
            m.d.sync += [x.eq(Mux(end_row, 0, x + 1)), first.eq(0),
                         end_row.eq(Mux(end_row, w1 == 0, x + 1 == w1))]
            with m.If(end_row):
                m.d.sync += [y.eq(Mux(end_plane, 0, y + 1)),
                             end_plane.eq(Mux(end_plane, h1 == 0, y + 1 == h1))]
                with m.If(end_plane):
                    m.d.sync += [g.eq(Mux(end_frame, 0, g + 1)), first.eq(1),
                                 g0.eq(end_frame),
                                 end_grp.eq(Mux(end_grp, g1 == 0, g + 1 == g1))]
        with m.If(adv & end_frame):
            m.d.sync += fill.eq(0)
        with m.Elif(adv & (cut | (~pad & i.payload.last))):
            m.d.sync += fill.eq(1)
        m.d.comb += fifo.r_en.eq(Mux(h.refused, took & i.payload.last, adv & end_frame))
        m.d.sync += fresh.eq(fifo.r_rdy & ~fifo.r_en)
        # The user's markers must agree with the count.
        bad = (took & run & ((i.payload.first != start) | (i.payload.last != end_frame))) | (
            adv & cut)
        err = Signal()
        m.d.sync += err.eq(bad)
        return err

    def _plane_tagger(self, m, fifo, h):
        """Forward coefficients to the coefficient requantizer: plane number, frame end."""
        g = Signal(range(self.max_groups + 1))
        i, o = self.haar_o, self.rq_i
        end_frame = i.payload.last & (g == h.groups - 1)
        run = fifo.r_rdy
        m.d.comb += [o.valid.eq(i.valid & run), i.ready.eq(o.ready & run),
                     self.rq_multiplier.eq(h.m_coef), self.rq_shift.eq(h.sh_coef)]
        t = o.payload.tag
        for q in range(self.lanes):
            m.d.comb += [o.payload.data[q].eq(i.payload.data[q]),
                         t.coef[q].eq(i.payload.data[q])]
        m.d.comb += [t.pos.eq(i.payload.pos), t.group.eq(g), t.last.eq(end_frame)]
        took = i.valid & i.ready
        with m.If(took & i.payload.last):
            m.d.sync += g.eq(Mux(end_frame, 0, g + 1))
        m.d.comb += fifo.r_en.eq(took & end_frame)

    def _param_gate(self, m, fifos, head):
        """Parameters to the output stage (biases) and the array (weights), per frame."""
        h, fifo = head["prm"], fifos["prm"]
        ah, afifo = head["arr"], fifos["arr"]
        p = self.params
        # The counts' bounds are registered from the head (no adder or multiplier before the
        # compares); `fresh` waits the cycle that takes after a new head.
        sbits = (self.subtiles - 1).bit_length()
        nb1 = Signal(range(self.max_c_out + 1))
        ci1 = Signal(range(self.max_c_in + 1))
        ps1 = Signal(range(self.max_tiles * self.subtiles + 1))
        fresh = Signal()
        m.d.sync += [nb1.eq(((h.c_out + 1) >> 1) - 1), ci1.eq(h.c_in - 1),
                     ps1.eq((h.tiles << sbits) - 1)]
        cnt = Signal(range(self.max_c_out + 1))          # bias beats
        wc = Signal(range(self.max_c_in + 1))            # weights: channel within a pass,
        wpass = Signal(range(self.max_tiles * self.subtiles + 1))  # pass = (tile, sub-tile)
        phase = Signal()  # 0 biases, 1 weights
        # The array's frame: set from the head of its FIFO; armed a cycle later (the
        # array's shape inputs are registered inside it); started by its first weight.
        armed, started = Signal(), Signal()
        m.d.comb += [self.arr_c_in.eq(ah.c_in), self.arr_c_out.eq(ah.c_out),
                     self.arr_k.eq(ah.k), self.acc_multiplier.eq(ah.m_acc),
                     self.acc_shift.eq(ah.sh_acc)]
        m.d.sync += armed.eq(afifo.r_rdy & ~self.arr_busy & ~started)
        # The two heads are the same frame: registered (a new parameter head waits for
        # `fresh`, a new array head for `armed`, both a cycle).
        same_id = Signal()
        m.d.sync += same_id.eq(ah.id == h.id)
        same = afifo.r_rdy & same_id
        drop = fifo.r_rdy & h.refused
        to_bias = fifo.r_rdy & fresh & ~h.refused & ~phase
        to_w = fifo.r_rdy & fresh & ~h.refused & phase & same & (armed | started)
        last_bias = cnt == nb1
        last_w = (wc == ci1) & (wpass == ps1)
        # The packet's `last` is authoritative: a packet cut short (`last` before the count's
        # end) is completed with zero beats (`fill`), the beats past the count's end of a
        # packet too long are dropped up to its `last` (`skip`), so the next packet starts
        # in step.
        fill, skip = Signal(), Signal()
        pv = p.valid | fill
        m.d.comb += [self.bias.valid.eq(pv & to_bias & ~skip),
                     self.bias.payload.data.eq(Mux(fill, 0, p.payload.data[:64])),
                     self.bias.payload.last.eq(last_bias),
                     self.w.valid.eq(pv & to_w & ~skip),
                     self.w.payload.eq(Mux(fill, 0, p.payload.data)),
                     p.ready.eq(skip | (~fill & (drop | (to_bias & self.bias.ready)
                                                 | (to_w & self.w.ready))))]
        took = p.valid & p.ready & ~skip  # a user beat of the frame at the head
        sent = (self.bias.valid & self.bias.ready) | (self.w.valid & self.w.ready)
        end_run = sent & phase & last_w
        end = Mux(h.refused, took & p.payload.last, end_run)
        with m.If(sent & ~phase):
            m.d.sync += cnt.eq(cnt + 1)
            with m.If(last_bias):
                m.d.sync += [cnt.eq(0), phase.eq(1)]
        with m.If(sent & phase):
            m.d.sync += wc.eq(wc + 1)
            with m.If(wc == ci1):
                m.d.sync += [wc.eq(0), wpass.eq(wpass + 1)]
        with m.If(self.w.valid & self.w.ready):
            m.d.sync += started.eq(1)
        m.d.sync += fresh.eq(fifo.r_rdy & ~end)
        with m.If(end):
            m.d.sync += [cnt.eq(0), wc.eq(0), wpass.eq(0), phase.eq(0)]
        m.d.comb += fifo.r_en.eq(end)
        with m.If(end_run):
            m.d.sync += [fill.eq(0), skip.eq(~fill & ~p.payload.last)]
        with m.Elif(took & ~h.refused & p.payload.last):
            m.d.sync += fill.eq(1)
        with m.If(skip & p.valid & p.payload.last):
            m.d.sync += skip.eq(0)
        # The array is done with its frame once it has started and is no longer busy.
        done = started & ~self.arr_busy & ~self.w.valid
        with m.If(done):
            m.d.sync += started.eq(0)
        m.d.comb += afifo.r_en.eq(done)
        err = Signal()
        m.d.sync += err.eq(took & ~h.refused & (p.payload.last != (phase & last_w)))
        return err
