"""``pileon anchors`` and ``pileon calibrate-buffy``: the #Buffy case's anchors, checked and calibrated to."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from pileon.model.scenarios import SCENARIOS

from .common import UsageError, progress_bar, resolve_params


def add_commands(sub: Any) -> None:
    """Add ``anchors`` and ``calibrate-buffy`` to the subcommands."""
    an = sub.add_parser(
        "anchors",
        help="check a scenario against the #Buffy anchors over many seeds (two-sided ranges)",
        description="Runs --seeds seeds of the scenario (by default in the case's documented configuration: the "
        "victim goes private, the counter-hashtag with its mocking uses) and checks each run and the median "
        "against every anchor range. Writes OUT/measures.csv (one row per seed) and OUT/checks.csv (per "
        "check: range, median, 10th-90th percentile, share of runs inside, whether it is evidence).",
    )
    an.add_argument("--scenario", default="buffy", help=f"parameter preset: {', '.join(SCENARIOS)} (default: buffy)")
    an.add_argument("--params", type=Path, metavar="FILE", help="TOML file of parameter values (flat keys)")
    an.add_argument("--seeds", type=int, default=20, help="runs, seeds 0..N-1 (default: 20)")
    _add_common(an, "runs/anchors")
    an.set_defaults(func=cmd_anchors)

    cal = sub.add_parser(
        "calibrate-buffy",
        help="calibrate the buffy preset to its anchors by rejection ABC; posterior table and figure",
        description="ABC by population Monte Carlo (experiments/anchors/calibrate.py): a scrambled Sobol design "
        "over the priors of amplify_prob, reply_prob, trend_threshold, trend_gain, novelty_halflife and "
        "hostile_fraction, then generations proposed around the closest points, --runs runs in all, one per "
        "point, in the documented configuration; a run is accepted when every evidence measure (onset, posts "
        "by the interview, hostile share) lies inside its range (distance <= --epsilon), with the importance "
        "weight prior / proposal. Writes OUT/evaluations.csv (every run, as it finishes: a rerun resumes), "
        "OUT/posterior.csv (accepted runs and their weights), OUT/summary.csv (weighted median and 90%% interval "
        "per parameter, acceptance rate, effective size) and OUT/posterior.png.",
    )
    cal.add_argument("--runs", type=int, default=1024, help="parameter points, one run each (default: 1024)")
    cal.add_argument(
        "--generations",
        type=int,
        default=2,
        help="ABC-PMC generations; 1: plain rejection on the Sobol design (default: 2)",
    )
    cal.add_argument(
        "--keep",
        type=float,
        default=0.1,
        help="share of the closest runs so far that centre the next generation's proposal (default: 0.1)",
    )
    cal.add_argument(
        "--epsilon", type=float, default=0.0, help="largest accepted distance (default: 0, inside every range)"
    )
    cal.add_argument("--seed", type=int, default=0, help="seed of the design and the runs' seeds (default: 0)")
    cal.add_argument(
        "--graphs",
        type=int,
        default=16,
        help="follower graphs the runs share, each built once per worker (default: 16; 0: every run its own)",
    )
    _add_common(cal, "runs/calibrate-buffy")
    cal.set_defaults(func=cmd_calibrate_buffy)


def _add_common(parser: argparse.ArgumentParser, out: str) -> None:
    parser.add_argument("--n-users", type=int, default=200_000, help="users per run (default: 200,000)")
    parser.add_argument(
        "--no-documented",
        action="store_true",
        help="run without the case's interventions (the victim going private, the counter-hashtag)",
    )
    parser.add_argument("--workers", type=int, default=2, help="local processes (default: 2)")
    parser.add_argument("--out", type=Path, default=Path(out), help=f"output folder (default: {out})")


def cmd_anchors(args: argparse.Namespace) -> int:
    """``pileon anchors``."""
    from ..anchors.calibrate import BuffySimulator, check_seeds

    if args.seeds < 1:
        raise UsageError(f"--seeds={args.seeds}: expected at least 1")
    sim = BuffySimulator(n_users=args.n_users, documented=not args.no_documented, base=resolve_params(args))
    bar = progress_bar("simulating", args.seeds)
    t0 = time.perf_counter()
    measures, checks = check_seeds(sim, range(args.seeds), args.workers, lambda done: bar.update(done - bar.n))
    bar.close()
    args.out.mkdir(parents=True, exist_ok=True)
    measures.to_csv(args.out / "measures.csv", index=False)
    checks.to_csv(args.out / "checks.csv", index=False)
    table = checks.to_dict("records")
    how = "without the case's interventions" if args.no_documented else "in the documented configuration"
    print(
        f"{args.scenario}, {args.n_users:,} users, {args.seeds} seeds {how} ({time.perf_counter() - t0:.0f} s); "
        "median of the seeds against each range:"
    )
    for r in table:
        mark = {True: "ok  ", False: "MISS", None: "  - "}[r["ok"]]
        kind = "evidence" if r["evidence"] else "input   "
        share = "" if r["ok"] is None else f"  {r['share_of_runs_inside']:.0%} of runs inside"
        print(f"  [{mark}] {kind} {r['quantity']}: {r['value']} (expected {r['expected']}){share}")
    print(f"wrote {args.out / 'measures.csv'} and {args.out / 'checks.csv'}")
    return 0


def cmd_calibrate_buffy(args: argparse.Namespace) -> int:
    """``pileon calibrate-buffy``."""
    from .. import plots
    from ..anchors import CHECKS
    from ..anchors.calibrate import PRIORS, BuffySimulator, run_abc
    from ..anchors.figures import posterior_figure

    if args.runs < 1:
        raise UsageError(f"--runs={args.runs}: expected at least 1")
    # A run with more posts by 14:00 than the posts check allows, by more than epsilon, cannot be accepted.
    posts = next(c for c in CHECKS if c.quantity == "posts_about_case_by_interview")
    stop = posts.high * (posts.high / posts.low) ** args.epsilon
    sim = BuffySimulator(n_users=args.n_users, documented=not args.no_documented, graphs=args.graphs, stop_above=stop)
    bar = progress_bar("ABC runs", args.runs)
    t0 = time.perf_counter()
    try:
        post = run_abc(
            sim,
            PRIORS,
            runs=args.runs,
            generations=args.generations,
            keep=args.keep,
            epsilon=args.epsilon,
            seed=args.seed,
            workers=args.workers,
            out=args.out,
            progress=lambda done, total: bar.update(done - bar.n),
            settings={
                "n_users": args.n_users,
                "documented": not args.no_documented,
                "graphs": args.graphs,
                "stop_above": stop,
            },
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    bar.close()
    post.accepted.to_csv(args.out / "posterior.csv", index=False)
    summary = post.summary()
    summary.to_csv(args.out / "summary.csv", index=False)
    plots.save(posterior_figure(post), args.out / "posterior.png")
    print(
        f"{len(post.evaluations)} runs ({time.perf_counter() - t0:.0f} s this time), {len(post.accepted)} accepted "
        f"(acceptance rate {post.acceptance_rate:.1%}, distance <= {args.epsilon:g}; effective size "
        f"{post.effective_size:.0f}); posterior median and 90% interval:"
    )
    for r in summary.itertuples():
        print(
            f"  {r.parameter:18s} {r.median:10.4g}  [{r.low:.4g}, {r.high:.4g}]  (prior {r.prior_low:g}-{r.prior_high:g})"
        )
    print(f"wrote evaluations.csv, posterior.csv, summary.csv and posterior.png in {args.out}")
    return 0
