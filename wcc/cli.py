"""The ``wcc`` command line: ``wcc <subcommand> --help`` for each.

Subcommands register themselves from their own modules (each has ``add_parser(subparsers)``
that sets ``func``), so this file stays a dispatcher.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# (module, attribute): each module's add_parser registers one or more subcommands.
SUBCOMMAND_MODULES = ["wcc.vectors", "wcc.evaluate", "wcc.demo", "wcc.simulate", "wcc.network"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wcc", description="Wavelet Compressed Convolution accelerator: golden model tools"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        mod.add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
