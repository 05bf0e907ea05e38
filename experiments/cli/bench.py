"""``pileon bench`` and ``bench-sweep``: the benchmarks, which live in the source checkout's
``benchmarks/`` folder (not installed: they need the checkout and the bench extra)."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from .common import UsageError


def add_commands(sub: Any) -> None:
    """Add ``bench`` and ``bench-sweep`` to the subcommands."""
    bench = sub.add_parser(
        "bench",
        help="benchmark the engine against NDlib and a plain Mesa model",
        description="Times the full model at each size (48 h #Buffy-like run) and the engine's "
        "independent cascade against NDlib's IndependentCascadesModel and a plain Mesa model with "
        "one Agent per user, on the same graph, and prints the ratios.",
    )
    bench.add_argument(
        "--sizes", default="100000,1000000", help="comma-separated user counts (default: 100000,1000000)"
    )
    bench.add_argument(
        "--baselines",
        default="ndlib,mesa,mesa-lean",
        help="comma-separated baselines: ndlib, mesa (Network space), mesa-lean, or none",
    )
    bench.add_argument(
        "--baseline-max-users",
        type=int,
        default=100_000,
        help="skip baselines above this size (NDlib needs ~2 min and 8 GB at 10^6)",
    )
    bench.add_argument(
        "--ic-p",
        type=float,
        default=0.052,
        help="edge-keeping probability of the fixed-coin-flip cascade (default 0.052)",
    )
    bench.add_argument(
        "--profile",
        action="store_true",
        help="also show where the full model's time goes (a run under cProfile, by part of the step)",
    )
    bench.add_argument(
        "--csv-edges",
        type=int,
        default=0,
        metavar="N",
        help="also time reading an edge-list CSV of N edges (written first; 0: skip)",
    )
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument("--out", type=Path, default=None, help="also write the table here as CSV")
    bench.set_defaults(func=cmd_bench)

    bs = sub.add_parser(
        "bench-sweep",
        help="benchmark a sweep: N #Buffy runs in parallel into a store, speed and memory",
        description="Runs a sweep of --runs #Buffy runs of --users users on --workers processes into a "
        "fresh store, and reports its time against the same runs one after another in this process, "
        "and the memory of this process and its workers early and late in the sweep.",
    )
    bs.add_argument("--runs", type=int, default=1000, help="runs in the sweep (default: 1000)")
    bs.add_argument("--users", type=int, default=10_000, help="users per run (default: 10000)")
    bs.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    bs.add_argument(
        "--arms",
        type=int,
        default=1,
        help="arms a replicate (no intervention + removal after 15, 30, ... min); the arms of a replicate share "
        "one saved network (default: 1)",
    )
    bs.add_argument(
        "--serial",
        type=int,
        default=50,
        help="runs done one after another in this process first, the baseline (default: 50)",
    )
    bs.add_argument("--store", type=Path, default=Path("runs/bench-sweep.sqlite"), help="store (replaced)")
    bs.set_defaults(func=cmd_bench_sweep)


def load_benchmarks() -> ModuleType:
    """``benchmarks/bench.py`` of the checkout this package was installed from."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / "bench.py").is_file():
        raise UsageError(f"the benchmarks need a source checkout of pileon (no benchmarks/bench.py under {root})")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # workers spawned by the benchmark inherit it
    return importlib.import_module("benchmarks.bench")


def cmd_bench(args: argparse.Namespace) -> int:
    """``pileon bench``."""
    bench = load_benchmarks()

    sizes = [int(s) for s in args.sizes.split(",") if s]
    baselines = [b for b in args.baselines.split(",") if b and b != "none"]
    unknown = set(baselines) - {"ndlib", "mesa", "mesa-lean"}
    if unknown:
        expected = "ndlib, mesa, mesa-lean or none"
        raise UsageError(f"--baselines: unknown {', '.join(sorted(unknown))}; expected {expected}")
    if not 0.0 < args.ic_p <= 1.0:
        raise UsageError(f"--ic-p={args.ic_p}: expected a probability in (0, 1]")
    table = bench.run_benchmark(
        sizes, baselines, args.baseline_max_users, args.seed, print, ic_p=args.ic_p, profile=args.profile
    )
    if args.csv_edges:
        table = pd.concat([table, pd.DataFrame([bench.csv_benchmark(args.csv_edges, args.seed, print)])])
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


def cmd_bench_sweep(args: argparse.Namespace) -> int:
    """``pileon bench-sweep``."""
    bench = load_benchmarks()

    for name in ("runs", "users", "workers", "arms", "serial"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name}={getattr(args, name)}: expected at least 1")
    bench.sweep_benchmark(args.runs, args.users, args.workers, str(args.store), arms=args.arms, serial=args.serial)
    return 0
