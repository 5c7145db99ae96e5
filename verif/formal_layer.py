"""Checks of the integrated layer's control: the frame sequencer's sticky error (its
configuration checks and the framing of the pixel and parameter streams) and, at the top
of the smallest :class:`hw.layer.WccLayer`, the configuration checks through the whole
layer."""

from __future__ import annotations

from amaranth.hdl import Assert, Assume, Cover, Module, Mux, ResetSignal, Signal
from amaranth.lib import wiring

from hw.layer import WccLayer
from hw.layer.config import ErrorCode
from hw.layer.sequencer import DEPTH

from .formal_props import counter, drive_inputs, elaborated, input_members, stream_rules

__all__ = ["LAYER_INTAKE", "LAYER_PARAMS", "LayerCheck", "SequencerCheck", "expected_code",
           "silence", "small_layer"]

#: The smallest layer: 2 lanes, a 2 x 2 array, one sub-tile, 2 channels each way, frames
#: up to 2 x 2, one Haar level, 1-bit score mantissa (a few codes), one bin a scan cycle.
LAYER_PARAMS = dict(lanes=2, rows=2, cols=2, subtiles=1, max_c_in=2, max_c_out=2,
                    max_width=2, max_height=2, levels=1, mant_bits=1, bins_per_cycle=1)

#: Configurations the layer takes while no frame moves: ``DEPTH`` in the sequencer's
#: descriptor FIFOs and one decided in its intake, waiting for room.
LAYER_INTAKE = DEPTH + 1

_BLOCKS = ("seq", "forward", "coef_rq", "topk", "colbuf", "array", "acc_rq", "zerofill",
           "inverse", "output")

#: Cycles from a configuration beat taken to its error visible on ``error``/``error_code``
#: (size 1, divide 1, push 1, the sticky register 1), with room in the stage FIFOs.
CONFIG_DELAY = 4


def silence(layer: WccLayer) -> None:
    """No ``UnusedElaboratable`` warnings for ``layer`` and its blocks (a check that
    elaborates only a part of it, or a copy)."""
    for unit in (layer, *(getattr(layer, n) for n in _BLOCKS)):
        unit._MustUse__silence = True


def small_layer(**kw) -> WccLayer:
    """:class:`hw.layer.WccLayer` at :data:`LAYER_PARAMS` (overridden by ``kw``)."""
    return WccLayer(**(LAYER_PARAMS | kw))


def expected_code(cfg, layer):
    """The documented ``ErrorCode`` of configuration ``cfg`` (a ``CONFIG_LAYOUT`` view) at
    ``layer``'s maxima, as an Amaranth value: the first of C_IN, C_OUT, HEIGHT, WIDTH, K
    that fails, NONE if none."""
    b = 2**layer.levels
    n = (((cfg.height + b - 1) >> layer.levels) << layer.levels) * (
        ((cfg.width + b - 1) >> layer.levels) << layer.levels)
    bad = [(ErrorCode.C_IN, (cfg.c_in == 0) | (cfg.c_in > layer.max_c_in)),
           (ErrorCode.C_OUT, (cfg.c_out == 0) | (cfg.c_out > layer.max_c_out)),
           (ErrorCode.HEIGHT, (cfg.height == 0) | (cfg.height > layer.max_height)),
           (ErrorCode.WIDTH, (cfg.width == 0) | (cfg.width > layer.max_width)),
           (ErrorCode.K, (cfg.k > n) | (cfg.k > layer.max_k))]
    code = ErrorCode.NONE
    for c, cond in reversed(bad):
        code = Mux(cond, c, code)
    return code


def _config_error(m, cfg, error, error_code, layer, frames):
    """Assert that ``error``/``error_code`` follow the configuration beats exactly: each
    refused one (:func:`expected_code` not NONE) sets them :data:`CONFIG_DELAY` cycles after
    it is taken, a valid one never does; at most ``frames`` beats are taken (so every stage
    FIFO has room and the delay is fixed). Each size field is 0..3 or its largest value, ``k``
    0..5 or its largest (the solver then needs no free 16 x 16 bit product)."""
    took = cfg.valid & cfg.ready
    c = cfg.payload
    for v, top in ((c.c_in, 3), (c.c_out, 3), (c.height, 3), (c.width, 3), (c.k, 5)):
        m.d.comb += Assume((v <= top) | (v == 2**len(v) - 1))
    taken = counter(m, "cfg_taken", 4, took)
    m.d.comb += Assume(~cfg.valid | (taken < frames))
    code = Signal(4, name="exp_code")
    m.d.comb += code.eq(expected_code(cfg.payload, layer))
    # The expected events, delayed so that the last is the cycle the error must show.
    ev = [Signal(name=f"ev{j}") for j in range(CONFIG_DELAY + 1)]
    evc = [Signal(4, name=f"evc{j}") for j in range(CONFIG_DELAY + 1)]
    m.d.comb += [ev[0].eq(took & (code != 0)), evc[0].eq(code)]
    m.d.sync += [b.eq(a) for a, b in zip(ev, ev[1:], strict=False)]
    m.d.sync += [b.eq(a) for a, b in zip(evc, evc[1:], strict=False)]
    exp_err, exp_code = Signal(name="exp_err"), Signal(4, name="exp_err_code")
    with m.If(ev[-1]):
        m.d.sync += [exp_err.eq(1), exp_code.eq(evc[-1])]
    m.d.comb += Assert((error == (exp_err | ev[-1]))
                       & (error_code == Mux(ev[-1], evc[-1], exp_code)), "error")
    return took, code


def _one_frame(c):
    """Configuration ``c`` is the valid frame of the framing and intake checks: 2 channels
    each way, 2 x 2 (padded N = 4), k up to N."""
    return (c.c_in == 2) & (c.c_out == 2) & (c.height == 2) & (c.width == 2) & (c.k <= 4)


class SequencerCheck(wiring.Component):
    """:class:`hw.layer.sequencer.FrameSequencer` of the smallest layer; ``error`` checked
    against its documented conditions.

    ``mode = "config"``: configurations free (at most ``frames`` taken), the pixel and
    parameter streams idle: ``error`` and ``error_code`` rise exactly 4 cycles after a
    refused configuration (codes 1 to 5, the first failing check), never for a valid one.

    ``mode = "framing"``: every configuration one valid frame (``c_in = c_out = 2``, 2 x 2,
    so 4 pixel beats; a parameter packet of 1 bias beat and 2 weight beats), the markers
    of both streams free: up to the first marker that disagrees with the frame's count
    (a taken pixel beat whose ``first``/``last`` is not the count's, or a ``first`` beat
    offered inside a frame while a pixel goes out; a taken parameter beat whose ``last`` is
    not the packet's end) ``error`` stays low, and 2 cycles after it ``error`` is high with
    code 6 (pixels) or 7 (parameters). ``stable``: the gates' outputs (to the forward Haar
    unit, the biases, the weights) keep their beats until taken, up to that marker. The
    array's ``arr_busy`` is assumed to behave as the array's: it rises only the cycle after
    a weight beat is taken, and is high then.

    Members
    -------
    The sequencer's inputs (:func:`verif.formal_props.input_members`).
    """

    def __init__(self, mode: str = "config", *, props=("error",), seq=None, frames: int = 4):
        self.mode, self.props, self.frames = mode, set(props), frames
        self.layer = small_layer()
        self.seq = seq(self.layer) if seq else self.layer.seq
        silence(self.layer)  # only the sequencer is elaborated
        super().__init__(input_members(self.seq))

    def elaborate(self, platform):
        m = Module()
        s = self.seq
        m.submodules.seq = elaborated(s, platform)
        drive_inputs(m, self, s)
        m.d.comb += Assume(~ResetSignal())
        for name in ("cfg", "x", "params"):
            port = getattr(s, name)
            stream_rules(m, port.valid, port.ready, port.payload, Assume)
        if self.mode == "config":
            m.d.comb += [Assume(~s.x.valid), Assume(~s.params.valid)]
            if "error" in self.props:
                _config_error(m, s.cfg, s.error, s.error_code, self.layer, self.frames)
            m.d.comb += Cover(s.error & (s.error_code == ErrorCode.K))
            return m
        self._framing(m, s)
        return m

    def _framing(self, m, s):
        c = s.cfg.payload
        m.d.comb += Assume(~s.cfg.valid | _one_frame(c))
        # The array is busy from the cycle after its first weight beat, and only then.
        w_took, busy_was = Signal(name="w_took"), Signal(name="busy_was")
        m.d.sync += [w_took.eq(s.w.valid & s.w.ready), busy_was.eq(s.arr_busy)]
        m.d.comb += [Assume(~s.arr_busy | busy_was | w_took), Assume(~w_took | s.arr_busy)]
        # Pixels: 4 beats a frame; parameters: 1 + 2 beats a packet.
        px, pp = Signal(2, name="px"), Signal(2, name="pp")
        x, p = s.x, s.params
        x_took, p_took = x.valid & x.ready, p.valid & p.ready
        adv = s.haar_i.valid & s.haar_i.ready
        x_bad = (x_took & ((x.payload.first != (px == 0)) | (x.payload.last != (px == 3)))) | (
            x.valid & x.payload.first & (px != 0) & adv)
        p_bad = p_took & (p.payload.last != (pp == 2))
        with m.If(x_took):
            m.d.sync += px.eq(px + 1)
        with m.If(p_took):
            m.d.sync += pp.eq(Mux(pp == 2, 0, pp + 1))
        # The first fault and its code, two cycles on.
        fault, f1, f2 = Signal(name="fault"), Signal(name="f1"), Signal(name="f2")
        fc1, fc2 = Signal(4, name="fc1"), Signal(4, name="fc2")
        now = ~fault & (x_bad | p_bad)
        m.d.sync += [fault.eq(fault | x_bad | p_bad), f1.eq(now), f2.eq(f1), fc2.eq(fc1),
                     fc1.eq(Mux(x_bad, ErrorCode.PIXEL_FRAMING, ErrorCode.PARAM_FRAMING))]
        if "error" in self.props:
            seen = Signal(name="fault_seen")  # fault two cycles ago or earlier
            with m.If(f2):
                m.d.sync += seen.eq(1)
            m.d.comb += Assert(Mux(f2, s.error & (s.error_code == fc2), seen | ~s.error),
                               "error")
        if "stable" in self.props:
            for port in (s.haar_i, s.bias, s.w):
                held = Signal()
                prev = Signal.like(port.payload.as_value())
                m.d.sync += [held.eq(port.valid & ~port.ready & ~fault & ~x_bad & ~p_bad),
                             prev.eq(port.payload.as_value())]
                with m.If(held):
                    m.d.comb += Assert(port.valid & (port.payload.as_value() == prev), "stable")
        m.d.comb += Cover(f2 & (fc2 == ErrorCode.PARAM_FRAMING))


class LayerCheck(wiring.Component):
    """The smallest :class:`hw.layer.WccLayer` (:data:`LAYER_PARAMS`), pixels and parameters
    idle, so that no frame runs; ``o`` is never valid. Two environments, by property:

    * ``error``: configurations free (at most ``frames`` taken); ``error``/``error_code`` at
      the layer's top rise exactly 4 cycles after a refused configuration (codes 1 to 5),
      never for a valid one, whatever the other stages do;
    * ``no_overflow``: every configuration a valid frame (2 x 2, 2 channels each way, k free
      up to 4), offered back to back: the layer takes at most :data:`LAYER_INTAKE` of them
      while no frame moves (the sequencer's descriptor FIFOs, ``DEPTH`` frames each, and
      the one decided and waiting for room), the rest wait on ``cfg.ready``.

    Members
    -------
    The layer's inputs (:func:`verif.formal_props.input_members`).
    """

    def __init__(self, *, props=("error",), layer=None, frames: int = 2):
        if set(props) - {"error", "no_overflow"} or len(set(props)) != 1:
            raise ValueError(f"props must be ('error',) or ('no_overflow',), got {props!r}")
        self.props, self.frames = set(props), frames
        self.layer = layer or small_layer()
        super().__init__(input_members(self.layer))

    def elaborate(self, platform):
        m = Module()
        u = self.layer
        m.submodules.layer = elaborated(u, platform)
        drive_inputs(m, self, u)
        m.d.comb += [Assume(~ResetSignal()), Assume(~u.x.valid), Assume(~u.params.valid)]
        stream_rules(m, u.cfg.valid, u.cfg.ready, u.cfg.payload, Assume)
        if "error" in self.props:
            _config_error(m, u.cfg, u.error, u.error_code, u, self.frames)
            m.d.comb += Assert(~u.o.valid, "error")
            m.d.comb += Cover(u.error & (u.error_code == ErrorCode.K))
            return m
        m.d.comb += Assume(_one_frame(u.cfg.payload))
        taken = counter(m, "cfg_taken", 4, u.cfg.valid & u.cfg.ready)
        m.d.comb += [Assert((taken <= LAYER_INTAKE) & ~u.o.valid, "no_overflow"),
                     Cover(taken == LAYER_INTAKE)]
        return m
