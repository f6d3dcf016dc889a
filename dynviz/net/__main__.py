"""``python -m dynviz.net COMMAND``: the net subcommands without the rest of the CLI.

Node processes started by ``dynviz up`` run as ``python -m dynviz.net node ...``, so
they need nothing but this package.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dynviz.net.cli import add_net_commands


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dynviz")
    add_net_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
        return status
    except ValueError as exc:
        print(f"dynviz: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
