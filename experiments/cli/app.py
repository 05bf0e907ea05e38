"""``pileon app``: the interactive view in the browser."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import UsageError


def add_commands(sub: Any) -> None:
    """Add ``app`` to the subcommands."""
    app = sub.add_parser(
        "app",
        help="the interactive view in the browser: watch a pile-on grow, switch interventions on",
        description="Serves the interactive page (Mesa SolaraViz) at http://HOST:PORT/ and waits; Ctrl-C stops it. "
        "Only this machine can reach it unless --host says otherwise.",
    )
    app.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0: any free port)")
    app.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    app.set_defaults(func=cmd_app)


def cmd_app(args: argparse.Namespace) -> int:
    """``pileon app``."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("solara") is None:
        raise UsageError("the app needs solara: pip install 'pileon[app]' (./run.sh installs it)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port={args.port}: expected 0-65535")
    print(f"pileon app: serving on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "pileon.experiments.app",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--production",
        "--no-open",
        "--log-level",
        "warning",
    ]
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0
