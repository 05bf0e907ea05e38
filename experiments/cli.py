"""The ``pileon`` command line. Every model parameter is an option named like its field."""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model import OutrageModel, Params
from model.network import Network
from model.params import unknown_name_message
from model.scenarios import SCENARIOS
from model.scenarios import get as get_scenario

from .forecast import POINTS as FORECAST_POINTS
from .observed import FORMATS


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pileon``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, ValueError, FileNotFoundError) as e:
        print(f"pileon: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head or less, closed early
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one option per model parameter on ``run``."""
    parser = argparse.ArgumentParser(
        prog="pileon",
        description="Simulate online outrage cascades (pile-ons) and the policies that curb them.",
    )
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="simulate one pile-on and write its timeline, events, summary and figure",
        description="Simulate one pile-on. Writes OUT/timeline.csv (posts per step by action), "
        "OUT/events.parquet (one row per post), OUT/summary.json (metrics, parameters, seed, "
        "provenance) and OUT/timeline.png. Parameters: the scenario's values, then those of "
        "--params FILE, then any option below.",
    )
    run.add_argument("--scenario", default="buffy", help=f"parameter preset: {', '.join(SCENARIOS)} (default: buffy)")
    run.add_argument("--seed", type=int, default=7, help="seed of the run's random generator (default: 7)")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: runs/SCENARIO-seedSEED)")
    run.add_argument("--params", type=Path, metavar="FILE", help="TOML file of parameter values (flat keys)")
    run.add_argument("--edges", type=Path, metavar="CSV", help="follower edge list (header follower,followee) "
                     "to use instead of a generated network; n_users then follows the file")  # fmt: skip
    run.add_argument("--intervene", action="append", default=[], metavar="KIND[:KEY=VALUE,...]",
                     help="apply an intervention (repeatable), e.g. friction or removal:delay=30,what=seed; "
                     "`pileon interventions` lists them")  # fmt: skip
    run.add_argument("--no-plot", action="store_true", help="skip the figure")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_param_options(run)
    run.set_defaults(func=cmd_run)

    ps = sub.add_parser("params", help="list every model parameter with its default, unit and range")
    ps.add_argument("--scenario", default="default", help="show this scenario's values (default: default)")
    ps.set_defaults(func=cmd_params)

    cmp = sub.add_parser(
        "compare",
        help="compare observed cascades with simulated replicates (curves, NRMSE, timing)",
        description="Simulates replicates of a scenario (or a parameter file) and compares them with each "
        "observed cascade: NRMSE of the scale, depth and maximum-breadth curves over the window, KS distance "
        "of post times, final size ratio, peak time error, half-life, attack share. Writes OUT/comparison.csv "
        "and one figure per cascade.",
    )
    _add_observed_options(cmp, "compared", "runs/compare")
    cmp.add_argument("--scenario", default="rumour", help=f"parameter preset: {', '.join(SCENARIOS)} (default: rumour)")
    cmp.add_argument("--params", type=Path, metavar="FILE", help="TOML file of parameter values (flat keys)")
    cmp.add_argument("--replicates", type=int, default=20, help="simulated runs (default: 20)")
    cmp.set_defaults(func=cmd_compare)

    cal = sub.add_parser(
        "calibrate",
        help="fit the model to observed cascades (ABC) and report values with intervals",
        description="Fits target_followers, amplify_prob, sessions_per_day, activity_sd, visibility_halflife "
        "and novelty_halflife (experiments/calibrate.py: PRIORS) of the rumour scenario to the observed cascades "
        "jointly, by ABC: a Sobol design simulated once, a refinement round, the best --accept share as the "
        "posterior. Writes OUT/intervals.csv, OUT/evaluations.csv, OUT/metrics.csv and a figure per cascade.",
    )
    _add_observed_options(cal, "fitted", "runs/calibrate")
    _add_table_options(cal, refine="points of the refinement round")
    cal.add_argument("--accept", type=float, default=0.1, help="share of points accepted (default: 0.1)")
    cal.set_defaults(func=cmd_calibrate)

    fc = sub.add_parser(
        "forecast",
        help="forecast cascades' 72-hour size from their first hour (pileon and a Hawkes baseline)",
        description="Matches each cascade's first --observe minutes against a reference table of simulated "
        "cascades run on to 72 hours, with a population prior learned from the cascades of --learn-from (seen "
        "whole; a cascade there with the same name as one forecast is left out), and fits a Hawkes process to "
        "the same minutes. Writes OUT/forecast.csv (predicted size with a 90% interval, the Hawkes forecast, "
        "and, as the file has them, the posts by the horizon and the errors) and OUT/forecast.png.",
    )
    _add_observed_options(fc, "", "runs/forecast", window=False)
    fc.add_argument("--learn-from", type=Path, metavar="PATH",
                    help="cascades followed to 72 hours to learn the prior from (any format compare reads; "
                         "default: none, every table point weighs the same)")  # fmt: skip
    fc.add_argument("--observe", type=float, default=60.0, help="minutes seen before forecasting (default: 60)")
    _add_table_options(fc, points=FORECAST_POINTS)
    fc.set_defaults(func=cmd_forecast)

    val = sub.add_parser(
        "validate",
        help="calibrate and forecast every Twitter15/16 cascade of a folder; table and figures",
        description="For every tree of FOLDER (Twitter15/16 layout): NRMSE of scale, depth and breadth over "
        "the first 150 minutes after calibration, and the first-hour forecast of the 72-hour size by pileon "
        "(with a population prior learned from the other cascades, or from --learn-from) and by a Hawkes "
        "process. Writes OUT/validation.csv (one row per cascade, written as each finishes: a rerun resumes), "
        "OUT/nrmse.png, OUT/forecast.png and OUT/cascades/*.png.",
    )
    val.add_argument("folder", type=Path, help="a Twitter15/16 folder (tree/ and label.txt, or folders of them)")
    val.add_argument("--out", type=Path, required=True, help="output folder")
    val.add_argument("--limit", type=int, default=None, help="at most this many cascades (in file order)")
    val.add_argument("--learn-from", type=Path, metavar="FOLDER",
                     help="learn the forecasts' population prior from the trees of FOLDER (held out) instead of "
                          "from the other cascades of FOLDER (leave one out, the default)")  # fmt: skip
    _add_table_options(val, refine="refinement points per cascade", points=FORECAST_POINTS)
    val.add_argument("--no-figures", action="store_true", help="skip the per-cascade and aggregate figures")
    val.set_defaults(func=cmd_validate)

    ivs = sub.add_parser("interventions", help="list the interventions with their parameters, defaults and ranges")
    ivs.set_defaults(func=cmd_interventions)

    app = sub.add_parser(
        "app",
        help="the interactive view in the browser: watch a pile-on grow, switch interventions on",
        description="Serves the interactive page (Mesa SolaraViz) at http://HOST:PORT/ and waits; Ctrl-C stops it. "
        "Only this machine can reach it unless --host says otherwise.",
    )
    app.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0: any free port)")
    app.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    app.set_defaults(func=cmd_app)

    sw = sub.add_parser(
        "sweep",
        help="run an experiment file (parameters x interventions x replicates) into a result store",
        description="Runs every run of the experiment FILE (TOML; see experiments/examples/) not yet in the store, "
        "in parallel, saving each run as it finishes: rerunning the same command after an interruption "
        "resumes. The store is a SQLite file (runs and per-run timelines); read it with `pileon report`.",
    )
    sw.add_argument("file", type=Path, help="experiment file (TOML)")
    sw.add_argument("--out", type=Path, default=None, help="result store (default: runs/NAME.sqlite)")
    sw.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: all cores; 1: in process)"
    )
    sw.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run on a Dask distributed cluster, e.g. tcp://127.0.0.1:8786")  # fmt: skip
    sw.add_argument("--fresh", action="store_true", help="delete the store first instead of resuming")
    sw.add_argument("--dry-run", action="store_true", help="check the file and print the design; run nothing")
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
    rp.add_argument("--boot", type=int, default=2000, help="bootstrap resamples (default: 2000)")
    rp.set_defaults(func=cmd_report)

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
    bench.add_argument("--baselines", default="ndlib,mesa,mesa-lean",
                       help="comma-separated baselines: ndlib, mesa (Network space), mesa-lean, or none")  # fmt: skip
    bench.add_argument("--baseline-max-users", type=int, default=100_000,
                       help="skip baselines above this size (NDlib needs ~2 min and 8 GB at 10^6)")  # fmt: skip
    bench.add_argument("--ic-p", type=float, default=0.052,
                       help="edge-keeping probability of the fixed-coin-flip cascade (default 0.052)")  # fmt: skip
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
    bs.add_argument("--store", type=Path, default=Path("runs/bench-sweep.sqlite"), help="store (replaced)")
    bs.set_defaults(func=cmd_bench_sweep)
    return parser


def _add_observed_options(parser: argparse.ArgumentParser, verb: str, out: str, window: bool = True) -> None:
    """The input and output options ``compare``, ``calibrate`` and ``forecast`` share."""
    parser.add_argument("observed", type=Path, help="observed cascades: a Twitter15/16 folder or tree file, "
                        "a RumourEval CSV, a PHEME file or a CSV")  # fmt: skip
    parser.add_argument("--format", default="auto", choices=FORMATS, help="input format (default: guessed)")
    if window:
        parser.add_argument("--window", type=float, default=150.0, help=f"minutes {verb} (default: 150)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many cascades")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulations (default: 0)")
    parser.add_argument("--out", type=Path, default=Path(out), help=f"output folder (default: {out})")


def _add_table_options(parser: argparse.ArgumentParser, refine: str | None = None, points: int = 512) -> None:
    """The reference table's options (``calibrate``, ``forecast``, ``validate``)."""
    parser.add_argument("--points", type=int, default=points, help="points of the reference table, a Sobol design "
                        f"(default: {points})")  # fmt: skip
    if refine:
        parser.add_argument("--refine", type=int, default=128, help=f"{refine} (default: 128)")
    parser.add_argument("--replicates", type=int, default=3, help="seeded runs per point (default: 3)")
    parser.add_argument("--workers", type=int, default=2, help="local processes (default: 2)")


def _add_param_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model parameters (named as in model/params.py)")
    for name, f in Params.names().items():
        lo, hi = f.metadata["range"]
        unit = f" [{f.metadata['unit']}]" if f.metadata["unit"] else ""
        rng = "" if f.type == "bool" else f"; range {lo}..{hi}"
        help_ = f"{f.metadata['help']}{unit} (default {f.default}{rng})"
        flag = "--" + name.replace("_", "-")
        if f.type == "bool":
            group.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_)
        else:
            group.add_argument(flag, dest=name, type=int if f.type == "int" else float, default=None,
                               metavar=f.type.upper(), help=help_)  # fmt: skip


def read_params_file(path: Path) -> dict[str, Any]:
    """Flat parameter values from a TOML file; tables named after concerns are flattened."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such parameter file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: not valid TOML: {e}") from None
    flat: dict[str, Any] = {}
    names = Params.names()
    for key, value in data.items():
        items = value.items() if isinstance(value, dict) else [(key, value)]
        for k, v in items:
            if k not in names:
                raise UsageError(f"{path}: {unknown_name_message(k, names)}")
            flat[k] = v
    return flat


def resolve_params(args: argparse.Namespace) -> Params:
    """Scenario, then the parameter file, then command-line options."""
    params = get_scenario(args.scenario)
    if args.params:
        params = _replace(params, read_params_file(args.params), str(args.params))
    given = {k: getattr(args, k) for k in Params.names() if getattr(args, k, None) is not None}
    return _replace(params, given, "command line") if given else params


def _replace(params: Params, values: dict[str, Any], where: str) -> Params:
    try:
        return params.replace(**values)
    except ValueError as e:
        raise UsageError(f"{where}: {e}") from None


def cmd_run(args: argparse.Namespace) -> int:
    """``pileon run``."""
    from tqdm.auto import tqdm

    from . import anchors, output, plots

    params = resolve_params(args)
    interventions = [parse_intervention(spec) for spec in args.intervene]
    network = Network.read_csv(args.edges) if args.edges else None
    out = args.out or Path("runs") / f"{args.scenario}-seed{args.seed}"
    say = (lambda *_: None) if args.quiet else print
    say(f"pileon: {args.scenario} scenario, {network.n if network else params.n_users:,} users, seed {args.seed}")
    if network is None and params.n_users >= 500_000:
        say(f"  generating the follower graph ({params.n_users * params.mean_followers:,.0f} edges) ...")
    t0 = time.perf_counter()
    model = OutrageModel(params, seed=args.seed, network=network, interventions=interventions)
    t_build = time.perf_counter() - t0
    bar = tqdm(total=model.n_steps, unit="step", desc="simulating", delay=2.0, disable=args.quiet, leave=False)

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    t1 = time.perf_counter()
    result = model.run(progress=progress)
    bar.close()
    t_run = time.perf_counter() - t1
    extra: dict[str, Any] = {
        "scenario": args.scenario,
        "timing_s": {"build": round(t_build, 3), "run": round(t_run, 3)},
    }
    anchor_rows = None
    if args.scenario == "buffy":
        anchor_rows = anchors.check_buffy(anchors.buffy_measures(result), trend_threshold=params.trend_threshold)
        extra["anchors"] = anchor_rows
    paths = output.write_run(result, out, extra)
    if not args.no_plot:
        fig = plots.timeline_figure(result, anchors.load_anchors() if args.scenario == "buffy" else None,
                                    title=f"#{args.scenario}: {result.summary['total_posts']:,} posts "
                                    f"({params.n_users:,} users, seed {args.seed})")  # fmt: skip
        paths["figure"] = plots.save(fig, out / "timeline.png")
    s = result.summary
    say(f"  built in {t_build:.1f} s, simulated {params.horizon_hours:g} h in {t_run:.1f} s")
    say(f"  total_posts {s['total_posts']:,}  attacks_on_target {s['attacks_on_target']:,}  "
        f"unique_attackers {s['unique_attackers']:,}  hostile_share {s['hostile_share']:.2f}")  # fmt: skip
    say(f"  peak_attacks_per_hour {s['peak_attacks_per_hour']:,} at {s['peak_attacks_clock']}  "
        f"5,000 posts at {s['clock_at_5000_posts']}  exposures {s['exposures']:,}")  # fmt: skip
    if interventions:
        say(f"  attacks_received {s['attacks_received']:,}  hostile_exposures {s['hostile_exposures']:,}  "
            f"benign_suppressed {s['benign_suppressed']:,}  wrongly_suspended {s['wrongly_suspended']:,}")  # fmt: skip
        for iv in result.interventions:
            when = "never acted" if iv["acted_at"] is None else f"acted from {result.clock(iv['acted_at']):%H:%M}"
            counts = "  ".join(f"{k} {v:,}" for k, v in iv["report"].items())
            say(f"  {iv['kind']}: {when}  {counts}")
    if anchor_rows:
        for row in anchor_rows:
            mark = {True: "ok  ", False: "MISS", None: "  - "}[row["ok"]]
            say(f"  [{mark}] {row['quantity']}: {row['value']} (expected {row['expected']})")
    for name, path in paths.items():
        say(f"  wrote {name}: {path}")
    return 0


def parse_intervention(spec: str) -> Any:
    """``kind`` or ``kind:key=value,key=value`` (values read as TOML: numbers, true/false, "text")."""
    from model.interventions import make

    kind, _, rest = spec.partition(":")
    settings: dict[str, Any] = {"kind": kind.strip()}
    for item in filter(None, (x.strip() for x in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"--intervene {spec!r}: expected KEY=VALUE, found {item!r}")
        try:
            settings[key.strip()] = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            settings[key.strip()] = value.strip()  # a bare word such as what=seed
    try:
        return make(settings, where=f"--intervene {spec!r}")
    except ValueError as e:
        raise UsageError(str(e)) from None


def cmd_interventions(args: argparse.Namespace) -> int:
    """``pileon interventions``."""
    import dataclasses

    from model.interventions import KINDS

    for kind, cls in KINDS.items():
        print(f"{kind}  ({cls.__name__}): {(cls.__doc__ or '').strip().splitlines()[0]}")
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            m = f.metadata
            allowed = ", ".join(m["choices"]) if "choices" in m else _range_text(m["range"])
            print(f"    {f.name:20s} {f.default!s:>8} {m['unit']:>22s}  {allowed:14s} {m['help']}")
    return 0


def _range_text(r: tuple[Any, Any]) -> str:
    lo, hi = r
    return f"[{'-inf' if lo is None else lo:g}, {'inf' if hi is None else f'{hi:g}'}]" if lo is not None else "any"


def cmd_app(args: argparse.Namespace) -> int:
    """``pileon app``."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("solara") is None:
        raise UsageError("the app needs solara: pip install 'pileon[app]' (./run.sh installs it)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port={args.port}: expected 0-65535")
    print(f"pileon app: serving on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    cmd = [sys.executable, "-m", "solara", "run", "experiments.app", "--host", args.host, "--port", str(args.port),
           "--production", "--no-open", "--log-level", "warning"]  # fmt: skip
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """``pileon sweep``."""
    from . import experiment, sweep

    exp = experiment.load(args.file)
    specs = exp.specs()
    out = args.out or Path("runs") / f"{exp.name}.sqlite"
    arms = [a for g in exp.arms.values() for a, _ in g]
    print(f"pileon sweep {exp.name}: {len(exp.points)} points x {exp.replicates} replicates x {len(arms)} arms "
          f"= {len(specs):,} runs ({exp.scenario} scenario) -> {out}")  # fmt: skip
    if args.dry_run:
        for a in arms:
            print(f"  arm {a}")
        for i, point in enumerate(exp.points[:20]):
            print(f"  point {i}: {point}")
        return 0
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers={args.workers}: expected at least 1")
    try:
        report = sweep.sweep(exp, out, workers=args.workers, scheduler=args.scheduler, fresh=args.fresh,
                             progress=not args.quiet)  # fmt: skip
    except KeyboardInterrupt:
        print(f"pileon: interrupted; finished runs are saved in {out}: run the same command to resume", file=sys.stderr)
        return 130
    except sweep.RunError as e:
        print(f"pileon: error: {e}", file=sys.stderr)
        return 1
    print(f"  {report.ran:,} runs done in {report.seconds:.1f} s ({report.skipped:,} already in the store)")
    print(f"  next: pileon report {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``pileon report``."""
    from .report import write_report

    if not args.store.is_file():
        raise FileNotFoundError(f"{args.store}: no such result store")
    out = args.out or args.store.with_name(args.store.stem + "-report")
    paths = write_report(args.store, out, metric=args.metric, n_boot=args.boot)
    print((out / "report.md").read_text(encoding="utf-8"))
    for name, path in paths.items():
        print(f"wrote {name}: {path}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """``pileon params``."""
    values = get_scenario(args.scenario).to_flat()
    for name, f in Params.names().items():
        lo, hi = f.metadata["range"]
        rng = "" if f.type == "bool" else f" in [{lo}, {hi}]"
        print(f"{name:24s} {values[name]!s:>10}  {f.metadata['unit']:>22}{rng}  {f.metadata['help']}")
    return 0


def _load(path: Path, fmt: str, limit: int | None) -> list:
    from .observed import load

    cascades = load(path, fmt)[:limit] if limit else load(path, fmt)
    if not cascades:
        raise UsageError(f"{path}: no cascades found")
    return cascades


def _bar(desc: str, total: int, quiet: bool = False) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run", delay=1.0, disable=quiet, leave=False)


def cmd_compare(args: argparse.Namespace) -> int:
    """``pileon compare``."""
    from . import plots
    from .compare import Comparison
    from .observed import Cascade

    cascades = _load(args.observed, args.format, args.limit)
    params = get_scenario(args.scenario)
    if args.params:
        params = _replace(params, read_params_file(args.params), str(args.params))
    params = params.replace(horizon_hours=args.window / 60.0)
    network = Network.generate(params.network, np.random.default_rng(args.seed))
    bar = _bar("simulating", args.replicates)
    sims = []
    for i in range(args.replicates):
        sims.append(Cascade.from_result(OutrageModel(params, seed=args.seed * 1000 + i, network=network).run()))
        bar.update()
    bar.close()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for c in cascades:
        cmp = Comparison(c, sims, window=args.window)
        rows.append({"cascade": c.name, "posts": len(c), **cmp.metrics()})
        plots.save(plots.comparison_figure(cmp), args.out / f"{c.name}.png")
    table = pd.DataFrame(rows)
    table.to_csv(args.out / "comparison.csv", index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(3).to_string(index=False))
    print(f"wrote {args.out / 'comparison.csv'} and {len(rows)} figure(s) in {args.out}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``pileon calibrate``."""
    from . import plots
    from .calibrate import ReferenceTable, Simulator, calibrate

    cascades = _load(args.observed, args.format, args.limit)
    if not 0 < args.accept <= 1:
        raise UsageError(f"--accept={args.accept}: expected a share in (0, 1]")
    sim = Simulator(graph_seed=args.seed)
    bar = _bar("reference table", args.points)
    table = ReferenceTable.build(sim, points=args.points, replicates=args.replicates, window=args.window,
                                 seed=args.seed, workers=args.workers,
                                 progress=lambda done, total: bar.update(done - bar.n))  # fmt: skip
    bar.close()
    bar = _bar("refining", args.refine)
    cal = calibrate(cascades, sim, table=table, refine=args.refine, replicates=args.replicates, accept=args.accept,
                    window=args.window, workers=args.workers, seed=args.seed,
                    progress=lambda done, total: bar.update(done - bar.n))  # fmt: skip
    bar.close()
    args.out.mkdir(parents=True, exist_ok=True)
    intervals, metrics = cal.intervals(), cal.metrics()
    intervals.to_csv(args.out / "intervals.csv", index=False)
    cal.evaluations.to_csv(args.out / "evaluations.csv", index=False)
    metrics.to_csv(args.out / "metrics.csv", index=False)
    for cmp in cal.comparisons:
        plots.save(
            plots.comparison_figure(cmp, f"{cmp.observed.name}: calibrated"), args.out / f"{cmp.observed.name}.png"
        )
    print(f"fitted to {len(cascades)} cascade(s); values with the 5%-95% interval of the ABC posterior:")
    print(intervals[["parameter", "fitted", "median", "low", "high"]].to_string(index=False, float_format="%.4g"))
    print(
        metrics[["cascade", "nrmse_scale", "nrmse_depth", "nrmse_breadth"]].to_string(index=False, float_format="%.3f")
    )
    print(f"wrote intervals.csv, evaluations.csv, metrics.csv and figures in {args.out}")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    """``pileon forecast``."""
    from . import plots
    from .calibrate import ReferenceTable, Simulator
    from .forecast import HORIZON, PopulationPrior, count_times, forecast

    cascades = _load(args.observed, args.format, args.limit)
    training = _load(args.learn_from, "auto", None) if args.learn_from else []
    if not 0 < args.observe < HORIZON:
        raise UsageError(f"--observe={args.observe:g}: expected minutes in (0, {HORIZON:g})")
    bar = _bar("reference table", args.points)
    table = ReferenceTable.build(Simulator(graph_seed=args.seed), points=args.points, replicates=args.replicates,
                                 seed=args.seed, workers=args.workers, count_times=count_times(args.observe),
                                 progress=lambda done, total: bar.update(done - bar.n))  # fmt: skip
    bar.close()
    prior = PopulationPrior.learn(table, training, observe=args.observe) if training else None
    rows = pd.DataFrame([{"cascade": c.name, **forecast(c, table, prior, observe=args.observe)} for c in cascades])
    followed = [bool(np.any(c.minutes > args.observe)) for c in cascades]  # else nothing to score against
    score = [k for k in rows.columns if k.startswith("forecast_") or k == "final_actual"]
    rows.loc[~np.array(followed), score] = np.nan
    args.out.mkdir(parents=True, exist_ok=True)
    rows.to_csv(args.out / "forecast.csv", index=False)
    plots.save(plots.forecast_figure(rows, args.observe), args.out / "forecast.png")
    how = f"a prior learned from {len(training)} cascade(s)" if prior else "no population prior (--learn-from)"
    print(f"forecast of the posts by 72 h from the first {args.observe:g} min, {how}:")
    show = ["cascade", "observed_first_hour", "final_pileon", "final_pileon_low", "final_pileon_high", "final_hawkes",
            "final_actual", "forecast_error", "forecast_error_hawkes"]  # fmt: skip
    print(rows[show].to_string(index=False, float_format="%.3g"))
    print(f"wrote forecast.csv and forecast.png in {args.out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``pileon validate``."""
    from .observed import read_twitter_folder
    from .validate import run_validation, summarize

    cascades = read_twitter_folder(args.folder, limit=args.limit)
    if not cascades:
        raise UsageError(f"{args.folder}: no cascades found")
    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, _bar(stage, total))
        bar.update(done - bar.n)

    training = read_twitter_folder(args.learn_from) if args.learn_from else None
    if training == []:
        raise UsageError(f"{args.learn_from}: no cascades found")
    t0 = time.perf_counter()
    result = run_validation(cascades, args.out, points=args.points, replicates=args.replicates, refine=args.refine,
                            workers=args.workers, figures=not args.no_figures, progress=progress,
                            training=training)  # fmt: skip
    for bar in bars.values():
        bar.close()
    medians = summarize(result)
    print(f"validated {medians.pop('cascades')} cascades in {time.perf_counter() - t0:.0f} s; medians:")
    for k, v in medians.items():
        print(f"  {k:24s} {v:.3f}" if isinstance(v, float) else f"  {k:24s} {v}")
    print(f"wrote {args.out / 'validation.csv'}, nrmse.png, forecast.png and cascades/*.png")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """``pileon bench``."""
    from . import bench

    sizes = [int(s) for s in args.sizes.split(",") if s]
    baselines = [b for b in args.baselines.split(",") if b and b != "none"]
    unknown = set(baselines) - {"ndlib", "mesa", "mesa-lean"}
    if unknown:
        expected = "ndlib, mesa, mesa-lean or none"
        raise UsageError(f"--baselines: unknown {', '.join(sorted(unknown))}; expected {expected}")
    if not 0.0 < args.ic_p <= 1.0:
        raise UsageError(f"--ic-p={args.ic_p}: expected a probability in (0, 1]")
    table = bench.run_benchmark(sizes, baselines, args.baseline_max_users, args.seed, print, ic_p=args.ic_p)
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


def cmd_bench_sweep(args: argparse.Namespace) -> int:
    """``pileon bench-sweep``."""
    from . import bench

    for name in ("runs", "users", "workers"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name}={getattr(args, name)}: expected at least 1")
    bench.sweep_benchmark(args.runs, args.users, args.workers, str(args.store))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
