"""Verilog of any registered module at any valid parameters, ready for another flow.

``wcc verilog MODULE [--PARAM VALUE ...] [-o DIR]`` writes one module (``wcc/verilog.py``);
``make verilog`` (``python -m synth.verilog``) writes every configuration of the registry
(``synth/designs.py``: the ones the README and the reports show), one file each::

    .venv/bin/python -m synth.verilog [--out DIR] [module ...]

Each file is self-contained for a reader and a linter: a header (:mod:`synth.interface`)
with every parameter, every port and each stream's payload bit layout and handshake rule;
``src`` attributes relative to the repository (no absolute path of the checkout); and the
project's named Verilator lint waivers (``synth/lint_waivers.vlt``) inlined in an
```ifdef VERILATOR`` block, so ``verilator --lint-only -Wall FILE`` on the file alone is
clean and other tools skip the block (an ECP5 build with its primitives' models, ``-y
sim/models``, as its header says).
"""

from __future__ import annotations

import argparse
import re
import sys
import sysconfig
import warnings
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import UnusedElaboratable

from synth import designs, interface, parameters
from synth.flow import REPO

__all__ = ["generate", "lint_block", "main", "ports", "relative_sources", "write_design"]

WAIVERS = REPO / "synth" / "lint_waivers.vlt"
#: Vendor primitives with simulation models in sim/models/ (the ECP5 builds instantiate them).
PRIMITIVE_MODELS = REPO / "sim" / "models"

# Yosys' write_verilog declares each port on its own line: "input [7:0] a;" / "output b;".
_PORT = re.compile(r"^\s*(input|output|inout)\s+(?:wire\s+|reg\s+)?(?:\[(\d+):(\d+)\]\s+)?"
                   r"(\\?\S+)\s*;", re.M)


def ports(text: str, top: str) -> list[tuple[str, str, int]]:
    """``(name, direction, width)`` of each port of module ``top`` in Verilog ``text``."""
    start = re.search(rf"^module \\?{re.escape(top)}\s*\(", text, re.M)
    if start is None:
        raise ValueError(f"module {top} not found")
    body = text[start.end():text.index("endmodule", start.end())]
    order = [p.strip().lstrip("\\") for p in text[start.end():].split(")", 1)[0].split(",")]
    found = {}
    for direction, msb, lsb, name in _PORT.findall(body):
        width = abs(int(msb) - int(lsb)) + 1 if msb else 1
        found[name.lstrip("\\")] = (name.lstrip("\\"), direction, width)
    # Report ports in the order of the module header.
    return [found[p] for p in order if p in found]


def relative_sources(text: str) -> str:
    """``text`` with the checkout's and the Python installation's paths made relative.

    Amaranth's ``src`` attributes name the Python line that made each cell; with an absolute
    path they would differ per machine and reveal the checkout's location."""
    # The longest first: the virtual environment's packages live inside the checkout.
    prefixes = sorted({str(REPO) + "/", sysconfig.get_paths()["purelib"] + "/"}, key=len,
                      reverse=True)
    for prefix in prefixes:
        text = text.replace(f'src = "{prefix}', 'src = "')
        text = text.replace(f"|{prefix}", "|")  # several sources in one attribute
    return text


def lint_block() -> str:
    """The lint waivers as a Verilator configuration block that other tools skip."""
    rules = [ln for ln in WAIVERS.read_text().splitlines() if ln.startswith("lint_off")]
    return ("// Lint waivers for Verilator (synth/lint_waivers.vlt says why each is a generator\n"
            "// artefact, not a design issue); other tools skip this block.\n"
            "`ifdef VERILATOR\n`verilator_config\n" + "\n".join(rules)
            + "\n`verilog\n`endif\n")


def _primitives(text: str) -> list[str]:
    names = sorted(p.stem for p in PRIMITIVE_MODELS.glob("*.v"))
    return [n for n in names if re.search(rf"^\s*{n}\s", text, re.M)]


def generate(design: designs.Design, params: dict | None = None, *, top: str | None = None,
             command: str | None = None) -> str:
    """The documented Verilog of ``design`` built with ``params``.

    Parameters
    ----------
    design : designs.Design
        The registered module.
    params : dict, optional
        Constructor keyword arguments; the registry's default configuration when omitted.
    top : str, optional
        Verilog name of the top module (default ``design.module``).
    command : str, optional
        The command line the header says regenerates the file.

    Raises
    ------
    ValueError
        The module's constructor rejected a parameter (the message names it), or the module
        does not import.
    """
    params = dict(design.default.params if params is None else params)
    top = top or design.module
    cls = designs.load(design)
    if cls is None:
        raise ValueError(f"{design.module}: {design.target} does not import")
    component = cls(**params)
    # A failed elaboration leaves half-built parts behind; the error itself is what matters.
    warnings.simplefilter("ignore", UnusedElaboratable)
    text = relative_sources(verilog.convert(component, name=top))
    shown = parameters.effective(design, params)
    head = interface.describe(
        top=top, title=design.title, params=shown,
        ports=interface.ports_of(component, ports(text, top)), component=component,
        command=command or parameters.command_line(design, params),
        primitives=_primitives(text))
    return head + lint_block() + text


def write_design(design: designs.Design, out_dir: Path, params: dict | None = None, *,
                 top: str | None = None, command: str | None = None) -> Path | None:
    """Write ``out_dir/<top>.v``; ``None`` (with a note) if the module does not import."""
    if designs.load(design) is None:
        return None
    top = top or design.module
    text = generate(design, params, top=top, command=command)
    path = Path(out_dir) / f"{top}.v"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def main(argv=None) -> int:
    """``make verilog``: every configuration of the chosen modules; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "verilog")
    parser.add_argument("modules", nargs="*", help="registry names (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.modules) - {d.module for d in designs.DESIGNS}
    if unknown:
        parser.error(f"unknown module(s) {sorted(unknown)}; choose from "
                     f"{', '.join(d.module for d in designs.DESIGNS)}")
    chosen = [d for d in designs.DESIGNS if not args.modules or d.module in args.modules]
    failed = 0
    for design in chosen:
        for config in design.configs:
            top = designs.run_name(design, config)
            try:
                path = write_design(design, args.out, config.params, top=top)
            except Exception as exc:  # report every configuration, then fail
                print(f"error: {top}: {type(exc).__name__}: {exc}", file=sys.stderr)
                failed += 1
                continue
            if path is not None:
                print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
