"""``pileon sweep`` and ``report``: experiments over many seeded runs, and their effects."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pileon.model.scenarios import get as get_scenario
from pileon.model.scenarios import size_note

from .common import whole


def add_commands(sub: Any) -> None:
    """Add ``sweep`` and ``report`` to the subcommands."""
    sw = sub.add_parser(
        "sweep",
        help="run an experiment file (parameters x interventions x replicates) into a result store",
        description="Runs every run of the experiment FILE (TOML; see examples/) not yet in the store, "
        "in parallel, saving each run as it finishes: rerunning the same command after an interruption "
        "resumes. The store is a SQLite file (runs and per-run timelines); read it with `pileon report`.",
    )
    sw.add_argument("file", type=Path, help="experiment file (TOML)")
    sw.add_argument("--out", type=Path, default=None, help="result store (default: runs/NAME.sqlite)")
    sw.add_argument(
        "--workers",
        type=whole(1, 1024),
        default=None,
        help="local worker processes (default: all cores; 1: in process)",
    )
    sw.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask distributed cluster, e.g. tcp://127.0.0.1:8786",
    )
    sw.add_argument(
        "--networks",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder where networks shared by runs (the arms of a replicate) are saved once and memory-mapped; "
        "on Dask, a folder every worker sees (default: STORE.networks beside the store, removed when the sweep "
        "completes; a folder given here is kept)",
    )
    sw.add_argument("--fresh", action="store_true", help="delete the store first instead of resuming")
    sw.add_argument("--dry-run", action="store_true", help="check the file and print the design; run nothing")
    sw.add_argument(
        "--force", action="store_true", help="go ahead even if the runs look too large for this machine's memory"
    )
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=cmd_sweep)

    rp = sub.add_parser(
        "report",
        help="effects with bootstrap intervals, forest plot, timelines, dose-response, heatmap, Sobol indices",
        description="Reads a result store written by `pileon sweep` and writes effects.csv, report.md and "
        "figures (forest.png, timelines.png, dose_response.png, heatmap.png, sobol.png as the design allows).",
    )
    rp.add_argument("store", type=Path, help="result store (SQLite) written by pileon sweep")
    rp.add_argument("--out", type=Path, default=None, help="output folder (default: STORE without .sqlite, + -report)")
    rp.add_argument("--metric", default="attacks_received", help="main harm metric (default: attacks_received)")
    rp.add_argument("--boot", type=whole(10, 1_000_000), default=2000, help="bootstrap resamples (default: 2000)")
    rp.set_defaults(func=cmd_report)


def cmd_sweep(args: argparse.Namespace) -> int:
    """``pileon sweep``."""
    from ..sweeps import design, run

    exp = design.load(args.file)
    out = args.out or Path("runs") / f"{exp.name}.sqlite"
    arms = [a for g in exp.arms.values() for a, _ in g]
    print(  # counted, not expanded: a dry run never builds the list of runs
        f"pileon sweep {exp.name}: {len(exp.points):,} points x {exp.replicates:,} replicates x {len(arms):,} arms "
        f"= {exp.n_runs:,} runs ({exp.scenario} scenario) -> {out}"
    )
    smallest = min(p.get("n_users", exp.fixed.get("n_users", get_scenario(exp.scenario).n_users)) for p in exp.points)
    note = size_note(exp.scenario, smallest)
    if note:
        print(f"pileon: note: {note}", file=sys.stderr)
    if args.dry_run:
        for a in arms:
            print(f"  arm {a}")
        for i, point in enumerate(exp.points[:20]):
            print(f"  point {i}: {point}")
        return 0
    try:
        report = run.sweep(
            exp,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            fresh=args.fresh,
            progress=not args.quiet,
            networks=args.networks,
            force=args.force,
        )
    except KeyboardInterrupt:
        print(f"pileon: interrupted; finished runs are saved in {out}: run the same command to resume", file=sys.stderr)
        return 130
    except run.RunError as e:
        print(f"pileon: error: {e}", file=sys.stderr)
        return 1
    print(f"  {report.ran:,} runs done in {report.seconds:.1f} s ({report.skipped:,} already in the store)")
    print(f"  next: pileon report {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``pileon report``."""
    from ..sweeps.report import completeness, write_report
    from ..sweeps.store import Store

    if not args.store.is_file():
        raise FileNotFoundError(f"{args.store}: no such result store")
    out = args.out or args.store.with_name(args.store.stem + "-report")
    paths = write_report(args.store, out, metric=args.metric, n_boot=args.boot)
    print((out / "report.md").read_text(encoding="utf-8"))
    for name, path in paths.items():
        print(f"wrote {name}: {path}")
    with Store(args.store) as store:
        present, total = completeness(store.meta(), store.runs())
    if present < total:
        print(f"pileon: warning: {args.store} is incomplete ({present:,} of {total:,} runs)", file=sys.stderr)
    return 0
