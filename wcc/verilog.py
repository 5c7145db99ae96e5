"""``wcc verilog MODULE [--PARAM VALUE ...] [-o DIR]``: one module's Verilog, any parameters.

The module's options come from its constructor (:mod:`synth.parameters`), so
``wcc verilog MODULE --help`` lists exactly what the RTL accepts, with the docstring's help
and allowed values; the file is written by :func:`synth.verilog.generate` (header with every
parameter, port and stream payload layout, inlined lint waivers). The options are parsed only
once the module is named, so the rest of ``wcc`` does not import the RTL.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from synth import designs

from .args import Parser, UsageError

__all__ = ["add_parser", "module_parser"]


def add_parser(sub) -> None:
    names = [d.module for d in designs.DESIGNS]
    p = sub.add_parser(
        "verilog", help="Verilog of one module at any valid parameters",
        description="Write the Verilog of one module (top module named after it, or --top) "
                    "with a header listing every parameter, port and stream payload layout. "
                    "`wcc verilog MODULE --help` lists the module's parameters. Modules: "
                    + ", ".join(f"{d.module} ({d.title})" for d in designs.DESIGNS) + ".")
    p.add_argument("module", choices=names, metavar="MODULE",
                   help="one of: " + ", ".join(names))
    p.add_argument("options", nargs=argparse.REMAINDER,
                   help="--PARAM VALUE ... and -o DIR (see `wcc verilog MODULE --help`)")
    p.set_defaults(func=_run)


def module_parser(design: designs.Design) -> Parser:
    """The option parser of one module: its parameters, ``-o/--out`` and ``--top``."""
    from synth.parameters import parameters

    p = Parser(prog=f"wcc verilog {design.module}",
                     description=f"Verilog of {design.module}: {design.title}. Options not "
                                 "given take the constructor's default.")
    p.add_argument("-o", "--out", type=Path, default=Path("build/verilog"),
                   help="output folder (default: %(default)s)")
    p.add_argument("--top", help=f"Verilog top module name (default: {design.module})")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    for param in parameters(design):
        default = "required" if param.default is None and not param.optional \
            else f"default {param.default!r}"
        metavar = "{" + ",".join(param.choices) + "}" if param.choices else param.kind.upper()
        p.add_argument(f"--{param.name.replace('_', '-')}", dest=param.name, metavar=metavar,
                       type=_parser_of(param), default=argparse.SUPPRESS,
                       help=f"{param.help} ({default})".strip())
    return p


def _parser_of(param):
    def parse(text):
        try:
            return param.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = param.kind  # argparse names the type in its message
    return parse


def _run(args) -> int:
    from synth.parameters import parameters
    from synth.verilog import write_design

    design = next(d for d in designs.DESIGNS if d.module == args.module)
    parser = module_parser(design)
    opts = vars(parser.parse_args(args.options))
    out, top = opts.pop("out"), opts.pop("top") or design.module
    args.debug = opts.pop("debug") or getattr(args, "debug", False)
    missing = [p.name for p in parameters(design)
               if p.default is None and not p.optional and p.name not in opts]
    if missing:
        parser.error("the module needs " + ", ".join(f"--{m.replace('_', '-')}" for m in missing))
    command = shlex.join(["wcc", "verilog", design.module, *args.options])
    try:
        path = write_design(design, out, opts, top=top, command=command)
    except ValueError as exc:  # the constructor's parameter check names the parameter
        if args.debug:
            raise
        raise UsageError(f"{design.module}: {exc}") from None
    print(f"wrote {path}")
    return 0
