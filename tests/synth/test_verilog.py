"""``wcc verilog`` / ``make verilog`` (``synth/verilog.py``): self-contained, documented files."""

import pytest

from synth import designs
from synth.flow import REPO
from synth.verilog import generate, main, ports, relative_sources, write_design

UART_TX = designs.Design("uart_tx", "synth.uart:UARTTx", (designs.Config({"divisor": 8}),),
                         title="UART transmitter")


def _design(name):
    return next(d for d in designs.DESIGNS if d.module == name)


def _header(text):
    return text[:text.index("`ifdef VERILATOR")]


def test_header_lists_params_and_ports(tmp_path):
    path = write_design(UART_TX, tmp_path)
    assert path == tmp_path / "uart_tx.v"
    text = path.read_text()
    header = _header(text)
    assert "//   divisor = 8" in header
    found = {name: (direction, width) for name, direction, width in ports(text, "uart_tx")}
    assert found == {"clk": ("input", 1), "rst": ("input", 1), "i__valid": ("input", 1),
                     "i__payload": ("input", 8), "i__ready": ("output", 1),
                     "tx": ("output", 1)}
    for name, (direction, width) in found.items():
        assert any(line.split()[:4] == ["//", name, direction, str(width)]
                   for line in header.splitlines()), name
    assert "//   i__payload  input   8      input stream i: payload" in header
    assert "module uart_tx(" in text


def test_missing_module_is_skipped(tmp_path, capsys):
    missing = designs.Design("nothing", "hw.does_not_exist:Nope", (designs.Config(),))
    assert write_design(missing, tmp_path) is None
    assert "skipping nothing" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_make_verilog_writes_every_config(tmp_path, monkeypatch):
    two = designs.Design("uart_tx", "synth.uart:UARTTx", (designs.Config({"divisor": 8}),
                                                          designs.Config({"divisor": 5})))
    monkeypatch.setattr(designs, "DESIGNS", (two,))
    assert main(["--out", str(tmp_path), "uart_tx"]) == 0
    for config in two.configs:
        name = designs.run_name(two, config)
        text = (tmp_path / f"{name}.v").read_text()
        assert f"module {name}(" in text
        assert f"//   divisor = {config.params['divisor']}" in text


def test_make_verilog_rejects_unknown_module(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--out", str(tmp_path), "no_such_module"])
    assert exc.value.code == 2
    assert "unknown module(s) ['no_such_module']" in capsys.readouterr().err


def test_ports_parser_on_yosys_style_text():
    # write_verilog style: header list, one declaration per line, escaped identifiers.
    text = """module \\top.sub (a, b);
  input a;
endmodule
module top(clk, \\x.y , data);
  input clk;
  wire [3:0] tmp;
  output [15:0] \\x.y ;
  input [0:7] data;
endmodule
"""
    assert ports(text, "top") == [("clk", "input", 1), ("x.y", "output", 16),
                                  ("data", "input", 8)]


def test_sources_are_relative():
    pure = "/usr/lib/python3/site-packages/amaranth/lib/stream.py"
    text = (f'(* src = "{REPO}/hw/requant.py:12" *)\n'
            f'(* src = "{REPO}/hw/a.py:1|{REPO}/hw/b.py:2" *)\n')
    assert relative_sources(text) == ('(* src = "hw/requant.py:12" *)\n'
                                      '(* src = "hw/a.py:1|hw/b.py:2" *)\n')
    assert pure in relative_sources(f'(* src = "{pure}" *)')  # not ours: left as it is


def test_generated_file_names_no_absolute_path():
    text = generate(_design("requant"), {"lanes": 2})
    assert str(REPO) not in text
    assert 'src = "hw/requant.py:' in text
    assert "site-packages/" not in text


def test_ecp5_build_names_its_primitives():
    text = generate(_design("systolic"), {"rows": 2, "cols": 2, "primitive": "ecp5"})
    header = _header(text)
    assert "Vendor primitives" in header and "MULT18X18D" in header
    assert "Vendor primitives" not in _header(generate(_design("systolic"), {"rows": 2,
                                                                              "cols": 2}))


def test_constructor_errors_name_the_parameter():
    with pytest.raises(ValueError, match="rows"):
        generate(_design("systolic"), {"rows": 0})
