"""The ``wcc`` command line: ``wcc <subcommand> --help`` for each.

Subcommands register themselves from their own modules (each has ``add_parser(subparsers)``
that sets ``func``), so this file stays a dispatcher. A user's mistake is one line
``wcc: error: ...`` and exit status 2 (:mod:`wcc.args`); ``--debug`` shows the traceback
instead, for a report of what looks like a bug.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .args import Parser, UsageError, fail

SUBCOMMAND_MODULES = ["wcc.vectors", "wcc.evaluate", "wcc.demo", "wcc.simulate", "wcc.network",
                      "wcc.verilog", "wcc.board"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="wcc", description="Wavelet Compressed Convolution accelerator: the "
                    "golden model, the evaluation and the RTL's tools")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error (also after the subcommand)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    for p in sub.choices.values():
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the Python traceback of an error")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        if args.debug:
            raise
        return fail(args.command, str(exc))
    except ValueError as exc:  # the models' and the RTL's parameter checks name the value
        if args.debug:
            raise
        return fail(args.command, f"{exc} (--debug shows where)")


if __name__ == "__main__":
    sys.exit(main())
