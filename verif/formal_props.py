"""The building blocks of the stream-contract checks (``verif/formal_*.py``).

Each check is a ``wiring.Component`` around one unit: the environment's side of the stream
contract is assumed (``Assume``), the unit's side asserted (``Assert``). The properties:

* ``stable``: a beat offered and not taken is offered again in the next cycle with the same
  payload;
* ``no_overflow``: nothing is accepted while the unit cannot hold it (a count of the beats
  inside never exceeds the capacity; no FIFO is written while full);
* ``no_underflow``: no output beat without an input beat inside (no FIFO read empty, no
  beat duplicated);
* ``count``: a frame of a fixed small size gives the number of output beats the spec says,
  ``last`` on the final one;
* ``error``: a sticky error rises exactly on its documented conditions;
* ``drains``: bounded liveness: once the input stops (at a frame boundary) and the output
  is always ready, the unit is empty (idle) within a stated bound.

The unit's own submodules (its FIFOs) are reached through :func:`elaborated`, so that a
check can assert on their write-when-full and read-when-empty conditions.
"""

from __future__ import annotations

import inspect

from amaranth.hdl import Assert, Assume, Elaboratable, Mux, ResetSignal, Signal, Value
from amaranth.lib import wiring

__all__ = ["PROPERTIES", "assert_chosen", "counter", "drive_inputs", "elaborated", "environment",
           "frame_position", "free_constant", "input_members", "open_submodule",
           "replace_submodule", "run_length", "stream_rules", "well_formed_frames"]

PROPERTIES = ("stable", "no_overflow", "no_underflow", "drains")


def stream_rules(m, valid, ready, payload, stmt):
    """``stmt`` (``Assert`` or ``Assume``) that a beat offered and not taken stays offered
    with the same payload."""
    payload = Value.cast(payload)
    held = Signal(name="held")
    prev = Signal(len(payload), name="prev")
    m.d.sync += [held.eq(valid & ~ready), prev.eq(payload)]
    with m.If(held):
        m.d.comb += stmt(valid & (payload == prev))


def assert_chosen(m, props, checks, outputs=()):
    """Assert the entries of ``checks`` (property name -> condition) that ``props`` names,
    and, when ``props`` names ``stable``, the stream rule on each of ``outputs`` (``(valid,
    ready, payload)`` triples)."""
    for name, cond in checks.items():
        if name in props:
            m.d.comb += Assert(cond, name)
    if "stable" in props:
        for valid, ready, payload in outputs:
            stream_rules(m, valid, ready, payload, Assert)


def run_length(cond, count, top):
    """The next value of a count of consecutive cycles with ``cond`` (saturating at
    ``top``)."""
    return Mux(cond, Mux(count == top, top, count + 1), 0)


def counter(m, name, width, inc, dec=0):
    """A register counting ``inc`` up and ``dec`` down every cycle (modulo ``2**width``)."""
    c = Signal(width, name=name)
    m.d.sync += c.eq(c + inc - dec)
    return c


def frame_position(m, step, n, name):
    """The position of the next beat in its frame of ``n`` beats (a register named ``name``),
    stepped by ``step``."""
    pos = Signal(range(n), name=name)
    with m.If(step):
        m.d.sync += pos.eq(0 if n == 1 else (pos + 1) % n)
    return pos


def well_formed_frames(m, port, n):
    """Assume the beats of stream ``port`` (``first``/``last`` in its payload) come in frames
    of ``n`` beats, ``first`` exactly on a frame's first and ``last`` exactly on its
    ``n``-th. Returns the position of the next beat and the count of frames begun."""
    took = port.valid & port.ready
    pin = frame_position(m, took, n, "pin")
    with m.If(port.valid):
        m.d.comb += [Assume(port.payload.first == (pin == 0)),
                     Assume(port.payload.last == (pin == n - 1))]
    return pin, counter(m, "frames", 8, took & (pin == 0))


def elaborated(unit, platform=None):
    """``unit`` elaborated into its ``Module``, whose named submodules (``.submodules.x``)
    the check can then look into; the check adds that module in place of the unit."""
    unit._MustUse__silence = True  # its module is used instead (no UnusedElaboratable)
    return unit.elaborate(platform)


def open_submodule(m, name, platform=None):
    """Elaborate submodule ``name`` of the elaborated module ``m`` in place and return its
    module (to look further in). Uses ``Module._named_submodules`` (Amaranth 0.5)."""
    sub, src_loc = m._named_submodules[name]
    sub._MustUse__silence = True
    mod = sub.elaborate(platform)
    m._named_submodules[name] = (mod, src_loc)
    return mod


def free_constant(m, value, name):
    """Assume ``value`` (a free input) the same in every cycle: a constant the solver
    chooses."""
    prev, seen = Signal.like(value, name=f"{name}_prev"), Signal(name=f"{name}_seen")
    m.d.sync += [prev.eq(value), seen.eq(1)]
    m.d.comb += Assume(~seen | (value == prev))


def input_members(unit) -> dict:
    """The inputs of ``unit`` (a ``wiring.Component``) as ``In`` ports named by their paths
    (``cfg__valid``, ``o__ready``, ...): the free inputs of a check that exports none of the
    unit's outputs, so that Yosys removes the logic that only drives outputs no property
    reads (the cone of influence of the properties is what the solver gets)."""
    members = {}
    for path, member, _ in unit.signature.flatten(unit):
        if member.flow == wiring.In:
            members["__".join(map(str, path))] = wiring.In(member.shape)
    return members


def drive_inputs(m, check, unit):
    """Drive every input of ``unit`` from the port of ``check`` that
    :func:`input_members` made for it."""
    for path, member, value in unit.signature.flatten(unit):
        if member.flow == wiring.In:
            m.d.comb += value.eq(getattr(check, "__".join(map(str, path))))


def environment(m, check, unit, streams):
    """Add ``unit`` to ``m`` as submodule ``unit``, driven from the ports of ``check`` (made by
    :func:`input_members`), out of reset, with the stream contract assumed on each of its
    input ``streams`` (names)."""
    m.submodules.unit = unit
    drive_inputs(m, check, unit)
    m.d.comb += Assume(~ResetSignal())
    for name in streams:
        port = getattr(unit, name)
        stream_rules(m, port.valid, port.ready, port.payload, Assume)


class _Overridden(Elaboratable):
    """A submodule elaborated, then ``override(submodule)`` added to its ``domain``."""

    def __init__(self, sub, override, domain):
        self.sub, self.override, self.domain = sub, override, domain

    def __getattr__(self, name):  # its ports, for the checks
        return getattr(self.sub, name)

    def elaborate(self, platform):
        m = self.sub.elaborate(platform)
        takes_module = len(inspect.signature(self.override).parameters) == 2
        m.d[self.domain] += self.override(self.sub, m) if takes_module else self.override(
            self.sub)
        return m


def replace_submodule(m, name, override, domain="comb"):
    """Change submodule ``name`` of the elaborated module ``m``: ``override(sub)`` (or
    ``override(sub, module)``, to reach the submodule's local signals in its module) is
    added to its logic in ``domain`` (the last assignment wins), the domain that drives the
    overridden signals. Uses ``Module._named_submodules`` (Amaranth 0.5): the public API
    has no way to replace a submodule once added."""
    sub, src_loc = m._named_submodules[name]
    sub._MustUse__silence = True  # elaborated by the wrapper (no UnusedElaboratable)
    m._named_submodules[name] = (_Overridden(sub, override, domain), src_loc)
