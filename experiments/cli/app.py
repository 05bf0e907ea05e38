"""``pileon app``: the interactive view in the browser."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import socket
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
    if not is_loopback(args.host):
        print(
            f"pileon app: warning: --host {args.host} serves the page beyond this machine: anyone who can reach it "
            "on the network can open it and run simulations here (the default, 127.0.0.1, keeps it to this machine)",
            file=sys.stderr,
        )
    port = claim_port(args.host, args.port)
    print(f"pileon app: serving on http://{args.host}:{port}/ (Ctrl-C to stop)", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "pileon.experiments.app",
        "--host",
        args.host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--log-level",
        "warning",
    ]
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may name any interface
        return False


def claim_port(host: str, port: int) -> int:
    """``port`` if it is free on ``host`` (0: a free port chosen now), checked before the server is
    started, so that "serving on" is not printed for a port another program holds.

    Raises:
        UsageError: the port is in use, or ``host`` is not an address of this machine.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise UsageError(f"--host {host}: not an address this machine knows ({e.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no conflict
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise UsageError(
                    f"--port {port}: already in use on {host} (another pileon app, or another program); "
                    "give another --port, or 0 for any free one"
                ) from None
            raise UsageError(f"--host {host} --port {port}: cannot listen there ({e.strerror or e})") from None
        return probe.getsockname()[1]
