"""The integrated WCC layer: int8 map in, int8 map out, the paper's Figure 2 (A to E)."""

from __future__ import annotations

import functools

from amaranth.hdl import Cat, Module
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from golden.int_haar import coef_bits as haar_coef_bits
from golden.topk import DEFAULT_MANT_BITS

from ..haar import HaarForward, HaarInverse
from ..lib.ecp5 import PRIMITIVES
from ..lib.fifo import two_entry_fifo
from ..lib.layouts import layer_output_layout, pixel_layout
from ..lib.memory import memory_inventory
from ..lib.params import check_choice, check_int, check_power_of_two
from ..requant import Requantizer
from ..systolic import SystolicArray
from ..topk import TopK
from .colbuf import KeptColumnBuffer
from .config import CONFIG_LAYOUT
from .output import OutputStage
from .sequencer import FrameSequencer, params_layout
from .zerofill import ZeroFill

__all__ = ["WccLayer"]

Z_BITS = 16  #: width of the requantized accumulators (``golden.int_model.IntParams.z_bits``)

# WccLayer.memory_bits: the buffer each block's memories are (by submodule name).
_BUFFERS = {"topk": "frame store (top-k coefficients, codes, scores, histogram)",
            "colbuf": "kept-column buffer", "zerofill": "bitmap (zero-fill)",
            "output": "biases", "array": "weights (array PEs)",
            "forward": "forward Haar line buffers", "inverse": "inverse Haar block store"}
_HAAR_FIFO = "forward Haar output FIFO"
_FIFOS = ("stream FIFOs (requantizers, array, inverse Haar, column buffer, top-k emitter, "
          "frame descriptors)")


class WccLayer(wiring.Component):
    """One WCC layer, bit-exact with ``golden.int_model.wcc_int``, frames back to back.

    ``x`` (int8, ``lanes`` channels a beat, the frame as ``ceil(C_in / lanes)`` planes) ->
    forward Haar -> coefficient requantizer (int8; the exact coefficients ride in its tag
    for the score) -> top-k selector -> kept-column buffer -> systolic array (int8 1x1 on
    the k kept columns) -> accumulator requantizer (int16) -> zero-fill (bitmap) -> inverse
    Haar (``subtiles * cols`` channels a beat, one frame per output-channel group) -> output
    stage (bias, requantization, ReLU, crop) -> ``o``. The frame sequencer
    (``sequencer.py``) takes a configuration per frame and hands every stage its frame; this
    file only connects the blocks. See ``docs/layer.md`` for the formats, the cycle and
    memory formulas and the error codes.

    Throughput: the slowest stage of a frame, with the stages of successive frames
    overlapped (the forward Haar and top-k input of frame i + 1 run during the convolution
    of frame i; the kept-column buffer is double-buffered); per stage, one beat per cycle.
    Latency: the blocks' own, plus one cycle for each register slice a beat crosses (every
    stream between two blocks has one, ``_slice``: no combinational path between blocks).

    Parameters
    ----------
    lanes : int
        Input channels per ``x`` beat (forward Haar, top-k), a multiple of ``rows``, 1..64.
    rows, cols : int
        The systolic array's R and C, 1..32.
    subtiles : int
        Array sub-tiles per output-channel group: the inverse Haar and the output take
        ``subtiles * cols`` channels a beat (even, at most 64); a power of two, 1..8.
    max_c_in, max_c_out : int
        Largest run-time channel counts, 1..4096.
    max_width, max_height : int
        Largest frame, multiples of ``2**levels`` in [2**levels, 4096].
    max_k : int or None
        Largest run-time k (default ``max_width * max_height``); sizes the column buffer.
    levels : int
        Haar levels, 1..4 (3 in the paper).
    mant_bits : int
        Score code mantissa bits (the spec's default 7).
    bins_per_cycle : int
        Histogram bins scanned per cycle by the top-k selector.
    primitive : {"generic", "ecp5"}
        Behavioural build or ECP5 primitives where the blocks have them.

    Members
    -------
    cfg : In(stream.Signature(CONFIG_LAYOUT))
        One beat per frame (``hw.layer.config``), before or with its pixels.
    params : In(stream.Signature(params_layout(cols)))
        Per frame: biases, then weights (``hw.layer.protocol.param_beats``).
    x : In(stream.Signature(pixel_layout(lanes, 8)))
        Per frame: the int8 planes (``hw.layer.protocol.pixel_beats``).
    o : Out(stream.Signature(layer_output_layout(...)))
        Per frame: ``ceil(C_out / (subtiles*cols))`` groups, each the frame's pixels in block
        order (``data``, ``row``, ``col``, ``group``); ``last`` on the frame's final pixel.
    error : Out(1)
        Sticky: a frame was refused or a stream's markers disagreed with the frame.
    error_code : Out(4)
        The most recent error (:class:`hw.layer.config.ErrorCode`).
    """

    def __init__(self, *, lanes: int = 16, rows: int = 8, cols: int = 8, subtiles: int = 2,
                 max_c_in: int = 64, max_c_out: int = 64, max_width: int = 128,
                 max_height: int = 128, max_k: int | None = None, levels: int = 3,
                 mant_bits: int = DEFAULT_MANT_BITS, bins_per_cycle: int = 4,
                 primitive: str = "generic"):
        check_int("rows", rows, 1, 32)
        check_int("cols", cols, 1, 32)
        check_int("lanes", lanes, rows, 64)
        if lanes % rows:
            raise ValueError(f"lanes must be a multiple of rows = {rows} in [{rows}, 64], "
                             f"got {lanes}")
        check_power_of_two("subtiles", subtiles, 1, 8)
        if subtiles * cols > 64 or subtiles * cols % 2:
            # The output lanes: the inverse Haar's lanes (at most 64), and an even number
            # because the output stage takes its biases two to a params beat.
            raise ValueError(f"subtiles * cols must be even and at most 64 (the output "
                             f"lanes), got {subtiles * cols}")
        check_int("max_c_in", max_c_in, 1, 4096)
        check_int("max_c_out", max_c_out, 1, 4096)
        check_int("levels", levels, 1, 4)
        max_n = max_width * max_height
        max_k = max_n if max_k is None else max_k
        check_int("max_k", max_k, 1, max_n)
        check_choice("primitive", primitive, PRIMITIVES)
        self._params = dict(lanes=lanes, rows=rows, cols=cols, subtiles=subtiles,
                            max_c_in=max_c_in, max_c_out=max_c_out, max_width=max_width,
                            max_height=max_height, max_k=max_k, levels=levels,
                            mant_bits=mant_bits, bins_per_cycle=bins_per_cycle,
                            primitive=primitive)
        self.lanes, self.rows, self.cols, self.subtiles = lanes, rows, cols, subtiles
        self.out_lanes = subtiles * cols
        self.max_c_in, self.max_c_out = max_c_in, max_c_out
        self.max_width, self.max_height, self.max_n, self.max_k = (max_width, max_height,
                                                                   max_n, max_k)
        self.levels, self.mant_bits, self.primitive = levels, mant_bits, primitive
        self.bins_per_cycle = bins_per_cycle
        self.max_groups = -(-max_c_in // lanes)
        self.max_tiles = -(-max_c_out // self.out_lanes)
        self.coef_bits = haar_coef_bits(levels)
        # The blocks, built here so that their figures (memories, latencies) are known
        # before elaboration.
        p = primitive
        self.forward = HaarForward(lanes, max_width=max_width, max_height=max_height,
                                   levels=levels, in_bits=8)
        self.colbuf = KeptColumnBuffer(lanes=lanes, rows=rows, subtiles=subtiles,
                                       max_k=max_k, max_groups=self.max_groups, primitive=p)
        self.seq = FrameSequencer(
            lanes=lanes, rows=rows, cols=cols, subtiles=subtiles, max_c_in=max_c_in,
            max_c_out=max_c_out, max_width=max_width, max_height=max_height, max_k=max_k,
            levels=levels, coef_bits=self.coef_bits, pbits=self.forward.pbits,
            colw_layout=self.colbuf.wr_layout, colr_layout=self.colbuf.rd_layout)
        self.coef_rq = Requantizer(lanes, 8, lo=-127, hi=127, tag_layout=self.seq.tag_layout,
                                   primitive=p)
        self.topk = TopK(lanes, max_groups=self.max_groups, max_n=max_n, mant_bits=mant_bits,
                         bins_per_cycle=bins_per_cycle, coef_bits=self.coef_bits, primitive=p)
        self.array = SystolicArray(rows, cols, max_c_in=max_c_in,
                                   max_c_out=self.max_tiles * self.out_lanes, max_k=max_k,
                                   subtiles=subtiles, primitive=p)
        self.acc_rq = Requantizer(cols, Z_BITS, tag_layout=data.StructLayout({
            "tile_last": 1, "last": 1}), primitive=p)
        self.zerofill = ZeroFill(cols=cols, subtiles=subtiles, bits=Z_BITS, max_n=max_n,
                                 z_layout=self.acc_rq.out_layout, cfg_layout=self.seq.desc)
        self.inverse = HaarInverse(self.out_lanes, max_width=max_width, max_height=max_height,
                                   levels=levels, in_bits=Z_BITS)
        self.output = OutputStage(lanes=self.out_lanes, in_bits=self.inverse.out_bits,
                                  max_width=max_width, max_height=max_height,
                                  max_tiles=self.max_tiles, max_c_out=max_c_out,
                                  cfg_layout=self.seq.desc, primitive=p)
        super().__init__({
            "cfg": In(stream.Signature(CONFIG_LAYOUT)),
            "params": In(stream.Signature(params_layout(cols))),
            "x": In(stream.Signature(pixel_layout(lanes, 8))),
            "o": Out(stream.Signature(layer_output_layout(self.out_lanes, max_width,
                                                          max_height, self.max_tiles))),
            "error": Out(1), "error_code": Out(4),
        })

    @functools.cached_property
    def memory_bits(self) -> dict:
        """On-chip memory by buffer, in data bits, at the elaboration maxima: every memory of
        the elaborated netlist (of the generic build; :func:`hw.lib.memory.memory_inventory`),
        summed by the block that holds it, FIFOs apart. About 3 s for a 128 x 128 build."""
        generic = WccLayer(**dict(self._params, primitive="generic"))
        out = dict.fromkeys([*_BUFFERS.values(), _HAAR_FIFO, _FIFOS], 0)
        for name, bits in memory_inventory(generic).items():
            parts = name.split(".")
            if any("fifo" in p or p.startswith("desc_") for p in parts):
                key = _HAAR_FIFO if parts[0] == "forward" else _FIFOS
            else:
                key = _BUFFERS.get(parts[0], "other")
            out[key] = out.get(key, 0) + bits
        return out

    def stage_cycles(self, c_in: int, c_out: int, n: int, k: int) -> dict:
        """Analytic cycles per frame of each stage for a run-time configuration (``n`` padded
        positions, ``k`` kept), one beat per cycle: in steady state a frame takes about the
        largest of them (``docs/layer.md``, Cycles). The top-k counts its input and its
        emission, which follow each other (it holds one frame); the zero-fill a cycle more per
        tile (the read of the tile's first bitmap word)."""
        groups, beats = -(-c_in // self.lanes), -(-c_in // self.rows)
        tiles = -(-c_out // self.out_lanes)
        return {"top-k (input + emission)": 2 * groups * n + self.topk.latency_const,
                "convolution (array x beats)": tiles * self.subtiles * beats * k,
                "zero-fill + inverse Haar": tiles * (n + 1)}

    def dense_cycles(self, c_in: int, c_out: int, n: int) -> int:
        """Cycles of the dense baseline: the same array on all ``n`` columns, as an ordinary
        int8 1x1 accelerator runs the layer (``ceil(C_out / cols) * ceil(C_in / rows) * n``)."""
        return -(-c_out // self.cols) * -(-c_in // self.rows) * n

    def elaborate(self, platform):
        m = Module()
        seq, fwd, crq, topk = self.seq, self.forward, self.coef_rq, self.topk
        colbuf, arr, arq, zf = self.colbuf, self.array, self.acc_rq, self.zerofill
        inv, out = self.inverse, self.output
        for name in ("seq", "forward", "coef_rq", "topk", "colbuf", "array", "acc_rq",
                     "zerofill", "inverse", "output"):
            m.submodules[name] = getattr(self, name)

        # Every stream between two blocks whose handshake logic is deep on either side
        # crosses a register slice (`_slice`): no combinational path runs from one block's
        # handshake into another's, which is what bounds the layer's clock (docs/layer.md).

        # Front: pixels, forward Haar, coefficient requantizer, top-k selector.
        wiring.connect(m, wiring.flipped(self.cfg), seq.cfg)
        wiring.connect(m, wiring.flipped(self.x), seq.x)
        wiring.connect(m, wiring.flipped(self.params), seq.params)
        # The frame's size rides with each pixel: the forward unit samples it at a frame's
        # first beat, when the sequencer may already be on the next frame.
        _slice(m, "px_slice", seq.haar_i, fwd.i,
               side=((seq.haar_width, fwd.width), (seq.haar_height, fwd.height)))
        wiring.connect(m, fwd.o, seq.haar_o)
        wiring.connect(m, seq.rq_i, crq.i)
        m.d.comb += [crq.multiplier.eq(seq.rq_multiplier), crq.shift.eq(seq.rq_shift)]
        # The requantizer's int8 coefficients and its tag make the top-k selector's beat.
        c, t = crq.o.payload, crq.o.payload.tag
        ti = topk.i.payload
        m.d.comb += [topk.i.valid.eq(crq.o.valid), crq.o.ready.eq(topk.i.ready),
                     ti.data.eq(c.data), ti.coef.eq(t.coef), ti.pos.eq(t.pos),
                     ti.last.eq(t.last),
                     topk.n.eq(seq.topk_n), topk.k.eq(seq.topk_k),
                     topk.groups.eq(seq.topk_groups),
                     seq.topk_taken_last.eq(topk.i.valid & topk.i.ready & t.last)]
        if self.max_groups > 1:
            m.d.comb += ti.group.eq(t.group)

        # Convolution: kept columns, array, accumulator requantizer.
        _slice(m, "col_slice", topk.cols, colbuf.w)
        _slice(m, "colw_slice", seq.colw_cfg, colbuf.wr_cfg)
        _slice(m, "colr_slice", seq.colr_cfg, colbuf.rd_cfg)
        wiring.connect(m, colbuf.x, arr.x)
        # A weight in the slice counts as the array's: the sequencer holds the array's frame
        # until the array is idle and nothing is on its way to it.
        _slice(m, "w_slice", seq.w, arr.w)
        m.d.comb += [arr.c_in.eq(seq.arr_c_in), arr.c_out.eq(seq.arr_c_out),
                     arr.k.eq(seq.arr_k), seq.arr_busy.eq(arr.busy | arr.w.valid),
                     arq.multiplier.eq(seq.acc_multiplier), arq.shift.eq(seq.acc_shift)]
        y = arr.y.payload
        m.d.comb += [arq.i.valid.eq(arr.y.valid), arr.y.ready.eq(arq.i.ready),
                     arq.i.payload.data.eq(y.data), arq.i.payload.tag.tile_last.eq(y.tile_last),
                     arq.i.payload.tag.last.eq(y.last)]

        # Back: zero-fill, inverse Haar, output stage.
        _slice(m, "z_slice", arq.o, zf.z)
        wiring.connect(m, topk.bitmap, zf.bitmap)
        _slice(m, "zf_cfg_slice", seq.zf_cfg, zf.cfg)
        _slice(m, "zf_slice", zf.o, inv.i)
        # The zero-fill's frame (the head of its slice, held to the frame's last position):
        # the inverse unit samples it between its frames (tiles), when the zero-fill's output
        # slice and register hold at most 3 positions, fewer than a frame has (4**levels).
        m.d.comb += [inv.width.eq(zf.cfg.payload.width), inv.height.eq(zf.cfg.payload.height)]
        _slice(m, "inv_slice", inv.o, out.i)
        _slice(m, "bias_slice", seq.bias, out.bias)
        _slice(m, "out_cfg_slice", seq.out_cfg, out.cfg)
        wiring.connect(m, out.o, wiring.flipped(self.o))
        m.d.comb += [self.error.eq(seq.error), self.error_code.eq(seq.error_code)]
        return m


def _slice(m, name, src, dst, *, side=()):
    """Connect stream ``src`` to ``dst`` through a two-entry FIFO
    (:func:`hw.lib.fifo.two_entry_fifo`): ``dst.valid``, ``dst.payload`` and ``src.ready`` are
    registers (the payload a 2:1 multiplexer of two), so no combinational path crosses it.
    ``side``: ``(value, target)`` pairs carried with each beat (``target`` follows the beat at
    the head). Latency one cycle, throughput one beat per cycle."""
    payload = src.payload.as_value()
    valid, out, ready = two_entry_fifo(m, name, src.valid, dst.ready,
                                       Cat(payload, *[v for v, _ in side]))
    m.d.comb += [src.ready.eq(ready), dst.valid.eq(valid), dst.payload.eq(out[:len(payload)])]
    at = len(payload)
    for v, target in side:
        m.d.comb += target.eq(out[at:at + len(v)])
        at += len(v)
