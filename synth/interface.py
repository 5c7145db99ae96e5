"""The interface of a generated Verilog module, written out for a reader of its header.

Amaranth flattens a component's signature into Verilog ports named by their path joined with
``__`` (``x__payload``, ``x__valid``, ``x__ready``) and packs each stream's payload, a
``data.Layout``, into one port from bit 0 up. A user of the Verilog needs that packing and
the handshake rule, not the Python: :func:`describe` writes both, with every parameter and
port, as the comment block that heads each file of ``wcc verilog`` / ``make verilog``.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from amaranth.hdl import Shape
from amaranth.lib import data, stream, wiring

__all__ = ["Port", "about", "describe", "layout_fields", "ports_of", "primitives_note",
           "streams_of"]

#: The valid/ready rule every stream of the project keeps (Amaranth 0.5 ``lib.stream``).
HANDSHAKE = """\
Streams (amaranth.lib.stream): a beat moves on a rising edge of clk where <s>__valid and
<s>__ready are both 1. Once a producer raises valid it keeps valid at 1 and the payload
unchanged until the beat moves; valid never waits for ready, ready may depend on valid.
A stream without a __ready port is always ready (its consumer takes a beat every cycle),
one without a __valid port is always valid. clk: rising edge; rst: synchronous, active
high; it returns the control state to idle (data registers built without a reset keep
their contents)."""


@dataclass(frozen=True)
class Port:
    """One Verilog port: ``name``, ``direction`` (``input``/``output``), ``width``, and
    what it is (``role``, e.g. "stream x: payload")."""

    name: str
    direction: str
    width: int
    role: str = ""


def streams_of(component: wiring.Component) -> dict[str, tuple[bool, stream.Signature]]:
    """Stream interfaces of ``component`` by port prefix: ``(is_input, signature)``.

    A flipped stream signature is an input stream (the component is its consumer)."""
    found = {}
    for path, member in component.signature.members.flatten():
        if member.is_port:
            continue
        sig = member.signature
        flipped = isinstance(sig, wiring.FlippedSignature)
        plain = sig.flip() if flipped else sig
        if isinstance(plain, stream.Signature):
            found["__".join(path)] = (flipped, plain)
    return found


def about(component: wiring.Component) -> list[str]:
    """The paragraphs of the component's docstring before its first numpydoc section, as
    plain text (``x`` read as x): what it does, the order of the beats on its streams, its
    latency, which a user of the Verilog needs beside the ports."""
    import inspect

    from synth.parameters import _plain

    doc = inspect.getdoc(type(component)) or ""
    head = re.split(r"^\S[^\n]*\n-{3,}\n", doc, maxsplit=1, flags=re.M)[0]
    return [_plain(" ".join(par.split())) for par in re.split(r"\n\s*\n", head) if par.strip()]


def _members_doc(component) -> dict[str, str]:
    """First sentence of each member's description in the component's ``Members`` section."""
    from synth.parameters import doc_section

    out = {}
    for name, (_, text) in doc_section(type(component), "Members").items():
        out[name] = text.split(". ")[0].rstrip(".")
    return out


def ports_of(component: wiring.Component, verilog_ports) -> list[Port]:
    """The Verilog ports (``(name, direction, width)`` from the text) with their roles, in
    the order of the component's signature (``clk`` and ``rst`` first)."""
    docs = _members_doc(component)
    roles = {"clk": "clock (rising edge)", "rst": "synchronous reset, active high"}
    order = ["clk", "rst"]
    streams = streams_of(component)
    for path, member in component.signature.members.flatten():
        name = "__".join(path)
        if member.is_port and path[:-1] and "__".join(path[:-1]) in streams:
            prefix = "__".join(path[:-1])
            kind = "input" if streams[prefix][0] else "output"
            roles[name] = f"{kind} stream {prefix}: {path[-1]}"
        elif member.is_port:
            roles[name] = docs.get(name, "")
        order.append(name)
    rank = {n: i for i, n in enumerate(order)}
    found = [Port(n, d, w, roles.get(n, "")) for n, d, w in verilog_ports]
    return sorted(found, key=lambda p: rank.get(p.name, len(rank)))


def _shape_text(shape) -> str:
    shape = Shape.cast(shape)
    return f"{'signed' if shape.signed else 'unsigned'}({shape.width})"


_INDEX = "ijklmn"


def _at(terms: tuple, const: int) -> str:
    """An offset ``stride*var + ... + const`` as text (``8*i+3``, ``8*i``, ``12``)."""
    text = "+".join(f"{stride}*{var}" for stride, var in terms)
    return f"{text}+{const}" if text and const else text or str(const)


def layout_fields(layout, base: str = "", terms: tuple = (), const: int = 0,
                  ) -> list[tuple[str, str, str]]:
    """``(field, bits, shape)`` rows of a payload layout, bits as ``msb:lsb`` of the port.

    An array of plain values is one row with the element index ``i`` in its bit formula
    (``data[i] (i = 0..15)`` at ``8*i+7:8*i``), so a 64-lane payload stays one line; an array
    of structures lists the fields of element ``i`` the same way. ``terms`` and ``const``
    are the offset of ``layout`` in the port (used by the recursion)."""
    if isinstance(layout, data.StructLayout):
        rows = []
        for name, field in layout:
            rows += layout_fields(field.shape, f"{base}.{name}" if base else name, terms,
                                  const + field.offset)
        return rows
    if isinstance(layout, data.ArrayLayout):
        var = _INDEX[len(terms) % len(_INDEX)]
        stride = Shape.cast(layout.elem_shape).width
        rows = layout_fields(layout.elem_shape, f"{base or 'payload'}[{var}]",
                             terms + ((stride, var),), const)
        # The index range once, on the array's first row.
        return [(f"{rows[0][0]} ({var} = 0..{layout.length - 1})", *rows[0][1:]), *rows[1:]]
    width = layout.size if isinstance(layout, data.Layout) else Shape.cast(layout).width
    shape = f"unsigned({width})" if isinstance(layout, data.Layout) else _shape_text(layout)
    bits = _at(terms, const) if width == 1 else \
        f"{_at(terms, const + width - 1)}:{_at(terms, const)}"
    return [(base or "payload", bits, shape)]


def _table(rows, indent="  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def describe(*, top: str, title: str, params: dict, ports: list[Port],
             component: wiring.Component, command: str, primitives: list[str]) -> str:
    """The comment block that heads a generated file (each line starts with ``//``).

    Parameters
    ----------
    top : str
        Verilog name of the top module.
    title : str
        One line saying what the module is.
    params : dict
        Every constructor parameter with the value the file was generated with.
    ports : list of Port
        The top module's ports, in the order of its header.
    component : wiring.Component
        The elaborated component, for its stream payload layouts.
    command : str
        The command line that regenerates the file.
    primitives : list of str
        Vendor primitives the file instantiates but does not define.

    Raises
    ------
    ValueError
        A line of the block would start with the word "verilator", which Verilator reads as
        a directive (a parameter or a role so named).
    """
    lines = [f"{top}: {title}", f"Generated by: {command}",
             "Amaranth elaborates the parameters: the Verilog has no overridable `parameter`;",
             "regenerate with other values instead. Do not edit."]
    # What the module does and the order of its streams' beats, from its docstring: the
    # ports and bit layouts below say how to connect it, these say how to drive it.
    for par in about(component):
        lines += ["", *textwrap.wrap(par, 90, break_on_hyphens=False)]
    lines += ["", "Parameters:"]
    lines += [f"  {k} = {v!r}" for k, v in params.items()] or ["  (none)"]
    lines += ["", "Ports:"]
    lines += _table([("name", "dir", "width", "role")]
                    + [(p.name, p.direction, str(p.width), p.role) for p in ports])
    docs = _members_doc(component)
    for prefix, (is_input, sig) in streams_of(component).items():
        flags = [f for f in ("always_valid", "always_ready") if getattr(sig, f)]
        what = (f"Stream {prefix} ({'input' if is_input else 'output'}"
                + (", " + ", ".join(flags) if flags else "") + ")"
                + (f": {docs[prefix]}." if docs.get(prefix) else "."))
        lines += ["", *textwrap.wrap(what, 90), f"{prefix}__payload bits, field by field:"]
        rows = layout_fields(sig.members["payload"].shape)
        lines += _table([("field", "bits", "shape")] + rows)
    lines += [""] + HANDSHAKE.splitlines()
    if primitives:
        lines += ["", *primitives_note(primitives)]
    # Verilator reads a comment whose text starts with its name as a directive (and stops on
    # an unknown one), so no header line may start so.
    bad = [ln for ln in lines if ln.lstrip().lower().startswith("verilator")]
    if bad:
        raise ValueError(f"header line read by Verilator as a directive: {bad[0]!r}")
    return "".join(f"// {ln}".rstrip() + "\n" for ln in lines) + "\n"


#: Who knows each vendor primitive the ECP5 builds instantiate (``hw/lib/ecp5.py``).
_VENDOR = {
    "DP16KD": "Lattice ECP5 library (Diamond, Radiant, Yosys synth_ecp5)",
    "MULT18X18D": "Lattice ECP5 library (Diamond, Radiant, Yosys synth_ecp5)",
    "TRELLIS_FF": "the ECP5 slice flip-flop as Yosys synth_ecp5 and nextpnr-ecp5 name it, "
                  "not in Lattice's library: for another flow, a D flip-flop with synchronous "
                  "reset/set (its model)",
}


def primitives_note(primitives: list[str]) -> list[str]:
    """What a reader of another flow needs about the vendor primitives a file instantiates:
    who defines each, where their models are and how to lint the file with them (lines of
    the header, without the ``//``)."""
    known = "; ".join(f"{p}: {_VENDOR.get(p, 'vendor primitive')}" for p in primitives)
    text = (f"Vendor primitives instantiated, not defined here: {known}. Simulation models "
            "for Verilator and Icarus, one file each: sim/models/<name>.v.")
    # The command on a line of its own, whole, and in backticks: a comment line starting
    # with "verilator" is a directive.
    return [*textwrap.wrap(text, 90, break_on_hyphens=False),
            "Lint with them: `verilator --lint-only -Wall -y sim/models FILE`."]
