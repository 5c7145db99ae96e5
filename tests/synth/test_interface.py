"""The generated header's interface description (``synth/interface.py``)."""

import numpy as np
import pytest
from amaranth.hdl import signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from synth.interface import describe, layout_fields, ports_of, streams_of


def _bits_of(formula: str, env: dict) -> tuple[int, int]:
    """``(msb, lsb)`` of a header's bit formula with the index variables bound."""
    hi, _, lo = formula.partition(":")
    lo = lo or hi
    return eval(hi, {}, env), eval(lo, {}, env)  # noqa: S307 (the header's own arithmetic)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_payload_layout_rows_match_amaranth_packing(seed):
    # Pack random field values with Amaranth (the ports carry exactly this word) and read
    # each field back from the bits the header names.
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    elem = data.StructLayout({"x": 3, "y": signed(4), "z": data.ArrayLayout(2, 3)})
    layout = data.StructLayout({"data": data.ArrayLayout(signed(8), 5),
                                "a": data.ArrayLayout(elem, 4), "pos": 12, "last": 1})
    value = {"data": [int(v) for v in rng.integers(-128, 128, 5)],
             "a": [{"x": int(rng.integers(8)), "y": int(rng.integers(-8, 8)),
                    "z": [int(v) for v in rng.integers(0, 4, 3)]} for _ in range(4)],
             "pos": int(rng.integers(4096)), "last": int(rng.integers(2))}
    word = layout.const(value).as_value().value
    rows = layout_fields(layout)
    assert [r[0].split(" (")[0] for r in rows] == [
        "data[i]", "a[i].x", "a[i].y", "a[i].z[j]", "pos", "last"]

    def field(name, i=None, j=None):
        v = value[name.split("[")[0].split(".")[0]]
        if i is not None:
            v = v[i]
            if "." in name:
                v = v[name.split(".")[1].split("[")[0]]
                if j is not None:
                    v = v[j]
        return v

    checked = 0
    for name, bits, shape in rows:
        base = name.split(" (")[0]
        width = int(shape.split("(")[1].rstrip(")"))
        for i in range(5 if base.startswith("data") else 4 if "[i]" in base else 1):
            for j in range(3 if "[j]" in base else 1):
                msb, lsb = _bits_of(bits, {"i": i, "j": j})
                assert msb - lsb + 1 == width, (name, bits)
                raw = (word >> lsb) & ((1 << width) - 1)
                if shape.startswith("signed") and raw >> (width - 1):
                    raw -= 1 << width
                assert raw == field(base, i if "[i]" in base else None,
                                    j if "[j]" in base else None), (name, i, j)
                checked += 1
    assert checked == 5 + 2 * 4 + 4 * 3 + 2  # data, a[i].x and .y, a[i].z[j], pos, last


class _Probe(wiring.Component):
    """A probe.

    Members
    -------
    a : In(stream.Signature(...))
        Words in. More text that is not shown.
    b : Out(stream.Signature(..., always_ready=True))
        Words out.
    flag : Out(1)
        Sticky: something happened.
    """

    def __init__(self):
        super().__init__({"a": In(stream.Signature(data.StructLayout({"v": signed(4),
                                                                        "last": 1}))),
                          "b": Out(stream.Signature(8, always_ready=True)),
                          "flag": Out(1)})

    def elaborate(self, platform):  # pragma: no cover - never elaborated here
        raise NotImplementedError


def test_streams_and_roles():
    probe = _Probe()
    got = streams_of(probe)
    assert {k: v[0] for k, v in got.items()} == {"a": True, "b": False}
    verilog_ports = [("b__payload", "output", 8), ("a__payload", "input", 5),
                     ("flag", "output", 1), ("rst", "input", 1), ("a__valid", "input", 1),
                     ("a__ready", "output", 1), ("b__valid", "output", 1), ("clk", "input", 1)]
    ports = ports_of(probe, verilog_ports)
    assert [p.name for p in ports] == ["clk", "rst", "a__payload", "a__valid", "a__ready",
                                       "b__payload", "b__valid", "flag"]
    roles = {p.name: p.role for p in ports}
    assert roles["a__ready"] == "input stream a: ready"
    assert roles["b__payload"] == "output stream b: payload"
    assert roles["flag"] == "Sticky: something happened"
    head = describe(top="probe", title="a probe", params={"n": 3}, ports=ports,
                    component=probe, command="wcc verilog probe --n 3", primitives=[])
    lines = head.splitlines()
    assert all(ln.startswith("//") for ln in lines if ln)
    assert "//   n = 3" in lines
    assert "// Stream a (input): Words in." in lines
    assert "// Stream b (output, always_ready): Words out." in lines
    assert any(ln.split() == ["//", "v", "3:0", "signed(4)"] for ln in lines)
    assert any(ln.split() == ["//", "last", "4", "unsigned(1)"] for ln in lines)
    assert any(ln.split() == ["//", "payload", "7:0", "unsigned(8)"] for ln in lines)
    assert "Vendor primitives" not in head


def test_no_header_line_is_a_verilator_directive():
    # Verilator reads `// verilator ...` (any case) as a directive and stops on an unknown one:
    # the primitives' note once wrapped "Verilator/Icarus" to the start of a line.
    probe = _Probe()
    ports = ports_of(probe, [("clk", "input", 1), ("flag", "output", 1)])
    kw = dict(top="probe", title="a probe", ports=ports, component=probe,
              command="wcc verilog probe")
    head = describe(params={}, primitives=["DP16KD", "MULT18X18D", "TRELLIS_FF"], **kw)
    assert not [ln for ln in head.splitlines()
                if ln.removeprefix("//").lstrip().lower().startswith("verilator")]
    assert "// Lint with them: `verilator --lint-only -Wall -y sim/models FILE`." in head
    assert "TRELLIS_FF: the ECP5 slice flip-flop" in head.replace("\n// ", " ")
    with pytest.raises(ValueError, match="directive"):
        describe(params={"verilator": 1}, primitives=[], **kw)
