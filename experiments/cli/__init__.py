"""The ``pileon`` command line. Every model parameter is an option named like its field.

One module per group of commands (``runs``, ``anchors``, ``observed``, ``sweeps``, ``app``, ``bench``), each
with an ``add_commands`` that adds its subcommands; the parser is assembled from them here.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence

from . import anchors, app, bench, observed, runs, sweeps
from .common import UsageError

__all__ = ["UsageError", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pileon``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into head or less, closed early
        sys.stderr.close()
        return 0
    except (UsageError, ValueError, OSError) as e:  # OSError: FileNotFoundError, PermissionError, a full disk ...
        print(f"pileon: error: {e}", file=sys.stderr)
        return 2
    except sqlite3.Error as e:  # a result store's, where the store did not say it better
        print(f"pileon: error: result store: {e}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, assembled from the command groups."""
    parser = argparse.ArgumentParser(
        prog="pileon",
        description="Simulate online outrage cascades (pile-ons) and the policies that curb them.",
    )
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for group in (runs, anchors, observed, sweeps, app, bench):
        group.add_commands(sub)
    return parser
