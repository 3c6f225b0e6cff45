"""The `autograd-core` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="autograd-core",
        description="A scalar autodiff engine for learning how neural networks compute "
                    "their gradients.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo_parser = commands.add_parser("demo", help="backprop on the course's worked examples")
    demo_parser.add_argument("--out", default="autograd-core-demo", metavar="DIR",
                             help="where to write the drawings (default: %(default)s)")
    demo_parser.add_argument("--no-drawings", action="store_true",
                             help="print only; draw nothing (needs no Graphviz)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from . import demo

        demo.run(output_dir=None if args.no_drawings else Path(args.out))
        return 0
    parser.print_help(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
