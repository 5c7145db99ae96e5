"""Check of the Haar units' sticky ``error`` (:class:`hw.haar.HaarForward`,
:class:`hw.haar.HaarInverse`) against a model of their documented framing rules."""

from __future__ import annotations

from amaranth.hdl import Assert, Cover, Module, Mux, Signal
from amaranth.lib import wiring

from hw.haar import HaarForward, HaarInverse

from .formal_props import environment, free_constant, input_members

__all__ = ["HaarErrorCheck"]

#: One lane of 2-bit samples, one level (2 x 2 blocks), frames up to 4 x 4.
_PARAMS = dict(max_width=4, max_height=4, levels=1, in_bits=2)


class HaarErrorCheck(wiring.Component):
    """The ``error`` output of a Haar unit (``kind``: ``"forward"`` or ``"inverse"``) checked
    in every cycle against a model of the rules its docstring states, counted from the ports.

    The size is the same in every cycle (any value of the ports, 0 to 7: the refused sizes 0
    and 5 to 7 among them, chosen by the solver); the markers are free. A frame opens on a
    taken ``first`` beat when the size is valid (1..4 each way); it is ``n`` beats long:
    ``width * height`` pixels into the forward unit, the padded frame's ``Wp * Hp``
    coefficients into the inverse one. The model raises its error on a taken beat

    * outside a frame that does not open one (no ``first``, or a refused size: dropped);
    * inside a frame with ``first``, or with ``last`` other than on its ``n``-th beat (the
      opening beat included: ``last`` only when ``n = 1``),

    and the unit's ``error`` must equal it, sticky, one cycle after the beat for the forward
    unit (``HaarFront``) and two for the inverse one (its marker checks are registered, then
    folded in).

    Members
    -------
    The unit's inputs (:func:`verif.formal_props.input_members`).
    """

    def __init__(self, kind: str = "forward", *, props=("error",), unit=None):
        if kind not in ("forward", "inverse"):
            raise ValueError(f"kind must be 'forward' or 'inverse', got {kind!r}")
        self.kind, self.props = kind, set(props)
        if unit is None:
            unit = HaarForward if kind == "forward" else HaarInverse
        extra = dict(fifo_depth=4) if kind == "forward" else {}
        self.unit = unit(1, **_PARAMS, **extra)
        super().__init__(input_members(self.unit))

    def elaborate(self, platform):
        m = Module()
        u = self.unit
        environment(m, self, u, ("i",))
        free_constant(m, u.width, "width")
        free_constant(m, u.height, "height")
        w, h = u.width, u.height
        ok = (w >= 1) & (w <= 4) & (h >= 1) & (h <= 4)
        if self.kind == "forward":
            n = w * h
        else:  # the padded frame, rounded up to 2 x 2 blocks
            n = ((w + 1) & ~1) * ((h + 1) & ~1)
        took = u.i.valid & u.i.ready
        first, last = u.i.payload.first, u.i.payload.last
        inside, pin = Signal(name="inside"), Signal(5, name="pin")
        at_end = pin == n - 1
        opens = ~inside & first & ok
        bad = Mux(inside, first | (last != at_end), ~opens | (last != (n == 1)))
        with m.If(took & inside):
            m.d.sync += [pin.eq(Mux(at_end, 0, pin + 1)), inside.eq(~at_end)]
        with m.If(took & opens & (n != 1)):
            m.d.sync += [pin.eq(1), inside.eq(1)]
        model = Signal(name="model")
        m.d.sync += model.eq(model | (took & bad))
        expect = model
        if self.kind == "inverse":
            expect = Signal(name="expect")
            m.d.sync += expect.eq(model)
        if "error" in self.props:
            m.d.comb += Assert(u.error == expect, "error")
        # A frame completed without an error, then one with: the model is not vacuous.
        done = Signal(name="done")
        with m.If(took & inside & at_end & ~bad & ~model):
            m.d.sync += done.eq(1)
        m.d.comb += Cover(done & u.error & (n == 4))
        return m
