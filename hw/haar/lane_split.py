"""A streaming unit with many lanes built as independent copies of the unit on lane slices."""

from __future__ import annotations

from dataclasses import replace

from amaranth.hdl import Cat, Module
from amaranth.lib import data, stream, wiring

from ..lib.fifo import two_entry_fifo
from ..lib.params import check_bool, check_int
from .forward import HaarForward
from .inverse import HaarInverse

__all__ = ["LaneSplit", "split_forward", "split_inverse"]


def _widen(layout: data.StructLayout, lanes: int) -> data.StructLayout:
    """``layout`` with its ``data`` field (an ArrayLayout of lanes) widened to ``lanes``."""
    fields = {}
    for name, field in layout:
        shape = field.shape
        if name == "data":
            shape = data.ArrayLayout(shape.elem_shape, lanes)
        fields[name] = shape
    return data.StructLayout(fields)


class LaneSplit(wiring.Component):
    """``parts`` independent copies of a Haar unit, each on ``lanes / parts`` lanes.

    The control of ``HaarForward`` and ``HaarInverse`` never depends on data values: padding,
    counters, positions, FIFO pointers and markers are functions of the handshakes, the frame
    size and ``first``/``last`` only. All copies get the same ``i.valid``, ``first``,
    ``last``, ``width``, ``height`` and ``o.ready``, start from the same reset state and so
    see the identical handshake sequence: they stay in lockstep by construction (checked
    every cycle by ``tests/hw/haar/test_lane_split.py``). ``i.ready``, ``o.valid``, the non-data
    output fields (``p`` or ``row``/``col``, ``last``) and ``error`` are those of copy 0;
    ``o.data`` is the concatenation of the copies' data, lane ``q`` from copy
    ``q // (lanes / parts)``. Every lane is computed by the unchanged unit, so the output is
    bit-exact with the unit at ``lanes`` (and with ``golden/``).

    Each copy has its own control (register replication), FIFO and line buffers: no register
    is wider than one copy's, and no clock enable fans out to more than one copy's
    flip-flops, so the placer can keep each copy in a region of its own. Cost: the control
    (counters, pointers, positions, flags) is ``parts`` times that of one unit.

    With ``input_buffer`` (default) every copy takes its input through a two-entry FIFO of
    its own, which registers the copy's payload slice and ``width``, ``height`` together
    with each beat; ``i.ready`` is copy 0's "not full" register. The shared inputs then
    drive one LUT level into registers in each copy, instead of the copies' control
    (``i.valid`` to a distant copy's enables, or one ``width - 1`` adder that Yosys shares
    between the copies and routes to all of them). The size of a
    frame is taken with its ``first`` beat when the wrapper accepts it: hold ``width`` and
    ``height`` from the cycle ``first`` is offered until it is taken (as the unit requires).

    With ``output_buffer`` (default) every copy's output likewise goes through a two-entry
    FIFO of its own; the unit's ``o.ready`` is that FIFO's "not full" register, so the
    wrapper's ``o.ready``, which reaches every copy, drives only those FIFOs' pointers and
    flags (without it, ``o.ready`` to the far copy's output registers limited two 4-lane
    copies of the forward unit to 176 MHz). ``o.valid`` and the non-data fields are copy 0's
    FIFO's.

    Latency: the wrapped unit's, plus one cycle with ``input_buffer`` and one with
    ``output_buffer``; throughput the unit's (one beat per cycle sustained on both sides;
    see ``docs/haar.md``).

    Parameters
    ----------
    factory : callable
        ``factory(lanes_per_part)`` returns one unit (a ``wiring.Component`` with ``i``,
        ``o`` streams whose payload has a ``data`` array of lanes, ``width``, ``height`` and
        ``error``), all other parameters bound; see :func:`split_forward`,
        :func:`split_inverse`.
    lanes : int
        Total channels per beat, >= 1.
    parts : int
        Number of copies, 1..lanes, a divisor of ``lanes``.
    input_buffer : bool
        A two-entry FIFO in front of every copy (default ``True``); ``False`` feeds the
        copies directly.
    output_buffer : bool
        A two-entry FIFO after every copy (default ``True``); ``False`` takes the copies'
        outputs directly.

    Members
    -------
    i : In(stream.Signature(StructLayout))
        The unit's input payload with ``data`` widened to ``lanes``.
    o : Out(stream.Signature(StructLayout))
        The unit's output payload with ``data`` widened to ``lanes``.
    width, height : In(unsigned)
        Frame size, as the unit's; fed to every copy.
    error : Out(1)
        Copy 0's sticky error flag (all copies raise it in the same cycle).

    Attributes
    ----------
    params : HaarParams
        The copies' parameters with ``lanes`` for the whole.
    copies : list
        The copies; ``unit`` is copy 0, for its unit-specific figures (``out_bits``,
        ``stages``, ``fifo_bits``, ...).
    """

    def __init__(self, factory, lanes: int, parts: int, *, input_buffer: bool = True,
                 output_buffer: bool = True):
        if not callable(factory):
            raise ValueError(f"factory must be callable, got {factory!r}")
        check_int("lanes", lanes, 1)
        if (isinstance(parts, bool) or not isinstance(parts, int) or not 1 <= parts <= lanes
                or lanes % parts):
            raise ValueError(f"parts must be an integer in [1, {lanes}] dividing lanes = "
                             f"{lanes}, got {parts!r}")
        check_bool("input_buffer", input_buffer)
        check_bool("output_buffer", output_buffer)
        self.lanes, self.parts, self.part_lanes = lanes, parts, lanes // parts
        self.input_buffer, self.output_buffer = input_buffer, output_buffer
        self.copies = [factory(self.part_lanes) for _ in range(parts)]
        self.unit = unit = self.copies[0]
        # The whole's parameters: the copies', with all the lanes.
        self.params = replace(unit.params, lanes=lanes)
        members = {}
        for name, member in unit.signature.members.items():
            if name in ("i", "o"):
                layout = member.signature.members["payload"].shape
                have = layout["data"].shape.length
                if have != self.part_lanes:
                    raise ValueError(f"factory({self.part_lanes}) built a unit of {have} "
                                     f"lanes")
                sig = stream.Signature(_widen(layout, lanes))
                member = wiring.In(sig) if member.flow == wiring.In else wiring.Out(sig)
            members[name] = member
        self.in_layout = members["i"].signature.members["payload"].shape
        self.out_layout = members["o"].signature.members["payload"].shape
        super().__init__(members)

    def total(self, attr: str) -> int:
        """Sum of the copies' ``attr`` (e.g. ``line_buffer_bits``, ``fifo_bits``)."""
        return sum(getattr(c, attr) for c in self.copies)

    def elaborate(self, platform):
        m = Module()
        n = self.part_lanes
        readies, outs = [], []
        for k, unit in enumerate(self.copies):
            m.submodules[f"part{k}"] = unit
            outs.append(self._out_fifo(m, k, unit) if self.output_buffer
                        else (unit.o.valid, unit.o.payload))
            if not self.output_buffer:
                m.d.comb += unit.o.ready.eq(self.o.ready)
            beat = {name: self.i.payload[name] for name, _ in self.in_layout}
            beat["data"] = Cat(beat["data"][k * n + q] for q in range(n))
            beat |= {"width": self.width, "height": self.height}
            if self.input_buffer:
                valid, beat, ready = self._in_fifo(m, k, unit, beat)
            else:
                valid, ready = self.i.valid, unit.i.ready
            readies.append(ready)
            m.d.comb += [unit.i.valid.eq(valid), unit.width.eq(beat["width"]),
                         unit.height.eq(beat["height"])]
            for name, _ in self.in_layout:
                m.d.comb += unit.i.payload[name].eq(beat[name])
        u0 = self.copies[0]
        m.d.comb += [self.i.ready.eq(readies[0]), self.o.valid.eq(outs[0][0]),
                     self.error.eq(u0.error)]
        for name, _ in self.out_layout:
            if name == "data":
                m.d.comb += self.o.payload.data.eq(Cat(p["data"] for _, p in outs))
            else:
                m.d.comb += self.o.payload[name].eq(outs[0][1][name])
        return m

    def _out_fifo(self, m, k, unit):
        """Two-entry output FIFO of copy ``k``: ``(valid, payload)`` towards the wrapper's
        output. The unit's ``o.ready`` is the register ``~full``, so the wrapper's
        ``o.ready`` drives only this FIFO's pointer and flags (a few flip-flops each copy
        can keep next to the output), not the unit's output registers far away."""
        layout = unit.o.payload.shape()
        valid, word, not_full = two_entry_fifo(m, f"out{k}", unit.o.valid, self.o.ready,
                                           unit.o.payload.as_value())
        m.d.comb += unit.o.ready.eq(not_full)
        return valid, data.View(layout, word)

    def _in_fifo(self, m, k, unit, beat):
        """Two-entry input FIFO of copy ``k``: ``(valid, beat, ready)`` seen by the unit and
        the wrapper. The entries are written by the wrapper's handshake only (``i.valid``
        and the registered ``full``) and read through a 2:1 multiplexer selected by a
        register, so the unit's ``i.ready`` drives only the read pointer and the two flags,
        not the clock enables of the entries."""
        names = list(beat)
        valid, word, not_full = two_entry_fifo(m, f"in{k}", self.i.valid, unit.i.ready,
                                           Cat(beat[f] for f in names))
        out, lo = {}, 0
        for f in names:
            out[f] = word[lo:lo + len(beat[f])]
            lo += len(beat[f])
        return valid, out, not_full


def split_forward(lanes: int = 1, parts: int = 1, *, input_buffer: bool = True,
                  output_buffer: bool = True, **kwargs) -> LaneSplit:
    """``HaarForward(lanes, **kwargs)`` built as ``parts`` copies of ``lanes / parts`` lanes."""
    return LaneSplit(lambda n: HaarForward(lanes=n, **kwargs), lanes, parts,
                     input_buffer=input_buffer, output_buffer=output_buffer)


def split_inverse(lanes: int = 1, parts: int = 1, *, input_buffer: bool = True,
                  output_buffer: bool = True, **kwargs) -> LaneSplit:
    """``HaarInverse(lanes, **kwargs)`` built as ``parts`` copies of ``lanes / parts`` lanes."""
    return LaneSplit(lambda n: HaarInverse(lanes=n, **kwargs), lanes, parts,
                     input_buffer=input_buffer, output_buffer=output_buffer)
