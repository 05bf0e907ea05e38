"""``pileon sweep`` and ``report``: experiments over many seeded runs, and their effects."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pileon.model.scenarios import get as get_scenario
from pileon.model.scenarios import size_note

from .common import UsageError, whole


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
    sw.add_argument(
        "--replicates",
        type=whole(1, 100_000),
        default=None,
        help="runs per point and arm (default: the file's); more extend a store",
    )
    sw.add_argument(
        "--precision",
        type=float,
        default=None,
        metavar="HALF_WIDTH",
        help="take the file's replicates as a pilot and add replicates until each arm's relative effect at a "
        "parameter set is known to +-HALF_WIDTH (95%%; e.g. 0.05), re-measuring the variance after each round "
        "(default: the file's [experiment] precision, if any)",
    )
    sw.add_argument(
        "--max-replicates", type=whole(1, 100_000), default=None, help="most replicates --precision may ask for"
    )
    sw.add_argument(
        "--metric", default=None, help="metric --precision is about (default: the file's, else attacks_received)"
    )
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
    rp.add_argument(
        "--precision",
        type=float,
        default=0.05,
        help="target half-width of an arm's relative effect at a parameter set, for the replicates needed "
        "(default: 0.05, +-5 points)",
    )
    rp.set_defaults(func=cmd_report)

    pb = sub.add_parser(
        "published",
        help="published intervention effects beside pileon's under matched settings, with intervals",
        description="Katsaros et al. 2022 (from the store of examples/katsaros.toml), Bak-Coleman et al. 2022 "
        "(from the store of examples/bak_coleman.toml) and Pfeffer et al. 2023 (the ages at which posts are seen, "
        "measured on baseline runs made here). Writes published.csv and published.md.",
    )
    pb.add_argument("--katsaros", type=Path, default=None, help="store of examples/katsaros.toml")
    pb.add_argument("--bak-coleman", type=Path, default=None, help="store of examples/bak_coleman.toml")
    pb.add_argument(
        "--view-runs", type=int, default=0, help="baseline runs measuring when posts are seen (Pfeffer; default 0)"
    )
    pb.add_argument("--n-users", type=int, default=None, help="users in those runs (default: the scenario's)")
    pb.add_argument(
        "--view-ages", type=Path, default=None, help="view_ages.csv of an earlier pileon published, instead of runs"
    )
    pb.add_argument("--workers", type=whole(1, 1024), default=None, help="local worker processes (default: all cores)")
    pb.add_argument("--out", type=Path, default=Path("runs/published"), help="output folder (default: runs/published)")
    pb.set_defaults(func=cmd_published)


def cmd_sweep(args: argparse.Namespace) -> int:
    """``pileon sweep``."""
    from ..sweeps import design, run

    exp = design.load(args.file)
    if args.replicates is not None:
        exp.replicates = args.replicates
    precision = args.precision if args.precision is not None else exp.precision
    if precision is not None and not 0 < precision < 10:
        raise UsageError(f"--precision={precision}: expected a half-width of relative change, e.g. 0.05")
    cap = args.max_replicates or exp.max_replicates
    if precision is not None and cap < exp.replicates:
        raise UsageError(f"--max-replicates={cap}: expected at least the pilot's {exp.replicates} replicates")
    out = args.out or Path("runs") / f"{exp.name}.sqlite"
    arms = [a for g in exp.arms.values() for a, _ in g]
    pilot = f" (a pilot: then to +-{100 * precision:g} points, at most {cap} replicates)" if precision else ""
    print(  # counted, not expanded: a dry run never builds the list of runs
        f"pileon sweep {exp.name}: {len(exp.points):,} points x {exp.replicates:,} replicates x {len(arms):,} arms "
        f"= {exp.n_runs:,} runs{pilot} ({exp.scenario} scenario) -> {out}"
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
    options = dict(
        workers=args.workers,
        scheduler=args.scheduler,
        fresh=args.fresh,
        progress=not args.quiet,
        networks=args.networks,
        force=args.force,
    )
    try:
        if precision is not None:
            metric = args.metric or exp.metric
            report = run.sweep_to_precision(exp, out, precision, max_replicates=cap, metric=metric, **options)
        else:
            report = run.sweep(exp, out, **options)
    except KeyboardInterrupt:
        print(f"pileon: interrupted; finished runs are saved in {out}: run the same command to resume", file=sys.stderr)
        return 130
    except run.RunError as e:
        print(f"pileon: error: {e}", file=sys.stderr)
        return 1
    print(
        f"  {report.ran:,} runs done in {report.seconds:.1f} s ({report.skipped:,} already in the store); "
        f"{report.replicates} replicates per point and arm"
    )
    print(f"  next: pileon report {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``pileon report``."""
    from ..sweeps.report import completeness, write_report
    from ..sweeps.store import Store

    if not args.store.is_file():
        raise FileNotFoundError(f"{args.store}: no such result store")
    out = args.out or args.store.with_name(args.store.stem + "-report")
    if not 0 < args.precision < 10:
        raise UsageError(f"--precision={args.precision}: expected a half-width of relative change, e.g. 0.05")
    paths = write_report(args.store, out, metric=args.metric, n_boot=args.boot, precision=args.precision)
    print((out / "report.md").read_text(encoding="utf-8"))
    for name, path in paths.items():
        print(f"wrote {name}: {path}")
    with Store(args.store) as store:
        present, total = completeness(store.meta(), store.runs())
    if present < total:
        print(f"pileon: warning: {args.store} is incomplete ({present:,} of {total:,} runs)", file=sys.stderr)
    return 0


def cmd_published(args: argparse.Namespace) -> int:
    """``pileon published``."""
    import os

    from .. import published

    for store in (args.katsaros, args.bak_coleman):
        if store is not None and not store.is_file():
            raise FileNotFoundError(f"{store}: no such result store")
    if args.view_runs < 0:
        raise UsageError(f"--view-runs={args.view_runs}: expected 0 or more")
    if args.katsaros is None and args.bak_coleman is None and not args.view_runs and args.view_ages is None:
        raise UsageError("nothing to compare: give --katsaros, --bak-coleman, --view-runs or --view-ages")
    if args.view_runs and args.view_ages is not None:
        raise UsageError("give --view-runs or --view-ages, not both")
    views = None
    if args.view_ages is not None:
        views = published.read_view_ages(args.view_ages)
    elif args.view_runs:
        overrides = {} if args.n_users is None else {"n_users": args.n_users}
        workers = args.workers or os.cpu_count() or 1
        views = published.view_ages(args.view_runs, workers=workers, **overrides)
    table = published.comparison(args.bak_coleman, args.katsaros, views)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "published.csv", index=False)
    if views is not None and args.view_ages is None:
        views.to_csv(args.out / "view_ages.csv", index=False)
    text = published.markdown(table)
    (args.out / "published.md").write_text(text, encoding="utf-8")
    if args.bak_coleman is not None:
        from ..plots import save
        from ..sweeps.store import Store

        with Store(args.bak_coleman) as store:
            runs = store.runs()
        save(published.removal_delay_figure(runs, views), args.out / "removal_delay.png")
        print(f"wrote {args.out / 'removal_delay.png'}")
    print(text)
    print(f"wrote {args.out / 'published.csv'} and {args.out / 'published.md'}")
    return 0
