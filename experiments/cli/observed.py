"""``pileon compare``, ``calibrate``, ``forecast`` and ``validate``: the model against observed cascades."""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from pileon.model.scenarios import SCENARIOS
from pileon.model.scenarios import get as get_scenario

from ..observed.forecast import POINTS as FORECAST_POINTS
from ..observed.pileons import POINTS as PILEON_POINTS
from ..observed.readers import FORMATS
from ..observed.timelines import ONSET_FACTOR, ONSET_MIN_POSTS, TIME_COLUMNS
from ..output import safe_name
from .common import UsageError, number, progress_bar, read_params_file, replace_params, whole

MAX_WINDOW = 30 * 24 * 60.0  # minutes: the longest a simulation runs (horizon_hours <= 720)
MAX_POINTS = 1_000_000  # a reference table's points: 10^6 x 3 replicates is already days of simulation


def add_commands(sub: Any) -> None:
    """Add ``compare``, ``calibrate``, ``forecast`` and ``validate`` to the subcommands."""
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
    cmp.add_argument(
        "--params",
        type=Path,
        metavar="FILE",
        help="TOML file of parameter values (flat or in [concern] tables), or a run's summary.json to replay",
    )
    cmp.add_argument("--replicates", type=whole(1, 10_000), default=20, help="simulated runs (default: 20)")
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
    cal.add_argument(
        "--accept", type=number(0, 1, low_open=True), default=0.1, help="share of points accepted (default: 0.1)"
    )
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
    fc.add_argument(
        "--learn-from",
        type=Path,
        metavar="PATH",
        help="cascades followed to 72 hours to learn the prior from (any format compare reads; "
        "default: none, every table point weighs the same)",
    )
    fc.add_argument("--observe", type=float, default=60.0, help="minutes seen before forecasting (default: 60)")
    _add_table_options(fc, points=FORECAST_POINTS)
    fc.set_defaults(func=cmd_forecast)

    val = sub.add_parser(
        "validate",
        help="score pileon against observed cascades or pile-on timelines, beside null models",
        description="FOLDER in the Twitter15/16 layout: for every tree, the in-sample fit of its first 150 minutes "
        "(NRMSE of scale, depth and breadth after calibration, beside the template and flat-line nulls) and the "
        "out-of-sample forecast of its 72-hour size from its first hour (pileon with a population prior, beside "
        "the naive, size-conditional and analog pooled growth, no further growth, and a Hawkes process). FOLDER of CSV "
        "files (one row per post, a time column): for every pile-on, its onset found from the past only, shape "
        "measures, and the out-of-sample forecast of its volume 3 and 7 days after the onset from its first day "
        "(pileon's pile-on scenario beside the naive pooled growth, no further growth and a Hawkes process). "
        "Priors and nulls learn from the other cascades of FOLDER (leave one out) or from --learn-from. Writes "
        "OUT/validation.csv, OUT/summary.csv (medians, pileon's skill against each null and the share of "
        "cascades it beats it on) and figures; pile-ons also OUT/daily.csv.",
    )
    val.add_argument(
        "folder",
        type=Path,
        help="a Twitter15/16 folder (tree/ and label.txt, or folders of them), "
        "or a folder of pile-on timelines (CSV files)",
    )
    val.add_argument("--out", type=Path, required=True, help="output folder")
    val.add_argument("--limit", type=whole(1), default=None, help="at most this many cascades (in file order)")
    val.add_argument(
        "--learn-from",
        type=Path,
        metavar="FOLDER",
        help="learn the population prior and the nulls from FOLDER (held out; the same layout) instead "
        "of from the other cascades of FOLDER (leave one out, the default)",
    )
    val.add_argument(
        "--points",
        type=int,
        default=None,
        help="points of the reference table, a Sobol design "
        f"(default: {FORECAST_POINTS} for trees, {PILEON_POINTS} for pile-ons)",
    )
    val.add_argument("--refine", type=int, default=128, help="trees: refinement points per cascade (default: 128)")
    val.add_argument(
        "--replicates", type=int, default=None, help="seeded runs per point (default: 3 for trees, 2 for pile-ons)"
    )
    val.add_argument("--workers", type=int, default=2, help="local processes (default: 2)")
    val.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH",
        help="add a model parameter to the reference table's priors (log-uniform; NAME=LOW:HIGH:linear for "
        "uniform), e.g. a mechanism's novelty_shape=0.15:1 or pulse_rate=0.05:10; repeatable. A report with "
        "and one without compare the mechanism by out-of-sample skill",
    )
    val.add_argument(
        "--no-fit",
        action="store_true",
        help="trees: skip the in-sample 150-minute calibration of each "
        "cascade (about 5 s a cascade): out-of-sample forecasts and nulls only",
    )
    val.add_argument(
        "--time-column",
        metavar="NAME",
        help=f"pile-ons: the column of post times (default: the first of {', '.join(TIME_COLUMNS)})",
    )
    val.add_argument(
        "--onset-factor",
        type=float,
        default=ONSET_FACTOR,
        help="pile-ons: the onset is the first hour "
        f"with this many times the median volume of the 48 hours before it (default: {ONSET_FACTOR:g})",
    )
    val.add_argument(
        "--onset-min-posts",
        type=int,
        default=ONSET_MIN_POSTS,
        help=f"pile-ons: ... and at least this many posts (default: {ONSET_MIN_POSTS})",
    )
    val.add_argument("--no-figures", action="store_true", help="skip the per-cascade and aggregate figures")
    val.set_defaults(func=cmd_validate)

    st = sub.add_parser(
        "stance",
        help="reply stance over a thread's life (RumourEval/PHEME) against the model's attack/defend mix",
        description="Shares of supportive, denying, querying and commenting replies by thread age, pooled over "
        "threads with bootstrap intervals over threads, against the model's attack / (attack + defend) by age "
        "(docs/observed.md, 'Reply stance': denying a claim is not attacking a person). A grid of model settings "
        "(the partisan users' hostile share and norm_learning, at the scenario's other values) is simulated; "
        "the setting closest on the CHOOSE threads is chosen, then checked on the --check-on threads. Threads "
        "of CHOOSE from an event present in --check-on are dropped from the choice (RumourEval 2017 holds "
        "PHEME's threads). Writes OUT/observed.csv, OUT/model.csv, OUT/choice.csv and OUT/stance.png.",
    )
    st.add_argument(
        "choose",
        type=Path,
        nargs="+",
        help="threads to choose the setting on (RumourEval CSV or PHEME seqhawkes files)",
    )
    st.add_argument(
        "--check-on", type=Path, nargs="+", required=True, metavar="FILE", help="threads to check the chosen setting on"
    )
    st.add_argument("--scenario", default="buffy", help=f"parameter preset: {', '.join(SCENARIOS)} (default: buffy)")
    st.add_argument("--n-users", type=int, default=None, help="users per run (default: the scenario's)")
    st.add_argument(
        "--partisans",
        type=float,
        default=0.45,
        help="hostile + supportive users, as a share of all, "
        "in every setting tried (default: 0.45, the buffy preset's)",
    )
    st.add_argument(
        "--hostile",
        type=_floats,
        default=(0.2, 0.3, 0.4, 0.5, 0.6, 0.7),
        metavar="LIST",
        help="shares of the partisans that are hostile, tried (default: 0.2,0.3,0.4,0.5,0.6,0.7)",
    )
    st.add_argument(
        "--norm-learning",
        type=_floats,
        default=(0.0, 1.0, 2.0),
        metavar="LIST",
        help="values of norm_learning tried with each (default: 0,1,2)",
    )
    st.add_argument("--replicates", type=int, default=4, help="runs per setting (default: 4)")
    st.add_argument("--boot", type=int, default=1000, help="bootstrap resamples (default: 1000)")
    st.add_argument("--seed", type=int, default=0, help="seed of the runs and the bootstrap (default: 0)")
    st.add_argument("--workers", type=int, default=2, help="local processes (default: 2)")
    st.add_argument("--out", type=Path, default=Path("runs/stance"), help="output folder (default: runs/stance)")
    st.set_defaults(func=cmd_stance)


def _add_observed_options(parser: argparse.ArgumentParser, verb: str, out: str, window: bool = True) -> None:
    """The input and output options ``compare``, ``calibrate`` and ``forecast`` share."""
    parser.add_argument(
        "observed",
        type=Path,
        help="observed cascades: a Twitter15/16 folder or tree file, a RumourEval CSV, a PHEME file or a CSV",
    )
    parser.add_argument("--format", default="auto", choices=FORMATS, help="input format (default: guessed)")
    if window:
        parser.add_argument(
            "--window", type=number(0, MAX_WINDOW, low_open=True), default=150.0, help=f"minutes {verb} (default: 150)"
        )
    parser.add_argument("--limit", type=whole(1), default=None, help="at most this many cascades")
    parser.add_argument("--seed", type=whole(0), default=0, help="seed of the simulations (default: 0)")
    parser.add_argument("--out", type=Path, default=Path(out), help=f"output folder (default: {out})")


def _add_table_options(parser: argparse.ArgumentParser, refine: str | None = None, points: int = 512) -> None:
    """The reference table's options (``calibrate``, ``forecast``, ``validate``)."""
    parser.add_argument(
        "--points",
        type=whole(1, MAX_POINTS),
        default=points,
        help=f"points of the reference table, a Sobol design (default: {points})",
    )
    if refine:
        parser.add_argument("--refine", type=whole(0, MAX_POINTS), default=128, help=f"{refine} (default: 128)")
    parser.add_argument("--replicates", type=whole(1, 1000), default=3, help="seeded runs per point (default: 3)")
    parser.add_argument("--workers", type=whole(1, 1024), default=2, help="local processes (default: 2)")


def _load(path: Path, fmt: str, limit: int | None) -> list:
    from ..observed.readers import load

    cascades = load(path, fmt)[:limit] if limit else load(path, fmt)
    if not cascades:
        raise UsageError(f"{path}: no cascades found")
    return cascades


def cmd_compare(args: argparse.Namespace) -> int:
    """``pileon compare``."""
    from .. import plots
    from ..observed import figures
    from ..observed.compare import compare, comparison_table

    cascades = _load(args.observed, args.format, args.limit)
    params = get_scenario(args.scenario)
    if args.params:
        params = replace_params(params, read_params_file(args.params), str(args.params))
    if args.replicates < 1:
        raise UsageError(f"--replicates={args.replicates}: expected at least 1")
    bar = progress_bar("simulating", args.replicates)
    comparisons = compare(cascades, params, args.replicates, args.window, args.seed, progress=_updates(bar))
    bar.close()
    args.out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for cmp in comparisons:  # a cascade's name comes from the data: a safe file name in --out
        plots.save(figures.comparison_figure(cmp), args.out / f"{safe_name(cmp.observed.name, taken)}.png")
    table = comparison_table(comparisons)
    table.to_csv(args.out / "comparison.csv", index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(3).to_string(index=False))
    print(f"wrote {args.out / 'comparison.csv'} and {len(comparisons)} figure(s) in {args.out}")
    return 0


def _updates(bar: Any) -> Callable[..., None]:
    """A progress callback (``done`` or ``done, total``) that moves ``bar`` to ``done``."""
    return lambda done, *_: bar.update(done - bar.n)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``pileon calibrate``."""
    from .. import plots
    from ..observed import figures
    from ..observed.calibrate import Simulator, calibrate

    cascades = _load(args.observed, args.format, args.limit)
    if not 0 < args.accept <= 1:
        raise UsageError(f"--accept={args.accept}: expected a share in (0, 1]")
    sim = Simulator(graph_seed=args.seed)
    table = _table(args, sim, window=args.window)
    bar = progress_bar("refining", args.refine)
    cal = calibrate(
        cascades,
        sim,
        table=table,
        refine=args.refine,
        replicates=args.replicates,
        accept=args.accept,
        window=args.window,
        workers=args.workers,
        seed=args.seed,
        progress=_updates(bar),
    )
    bar.close()
    args.out.mkdir(parents=True, exist_ok=True)
    intervals, metrics = cal.intervals(), cal.metrics()
    intervals.to_csv(args.out / "intervals.csv", index=False)
    cal.evaluations.to_csv(args.out / "evaluations.csv", index=False)
    metrics.to_csv(args.out / "metrics.csv", index=False)
    taken: set[str] = set()
    for cmp in cal.comparisons:
        name = cmp.observed.name
        figure = figures.comparison_figure(cmp, f"{name}: calibrated")
        plots.save(figure, args.out / f"{safe_name(name, taken)}.png")
    print(f"fitted to {len(cascades)} cascade(s); values with the 5%-95% interval of the ABC posterior:")
    print(intervals[["parameter", "fitted", "median", "low", "high"]].to_string(index=False, float_format="%.4g"))
    nrmse = metrics[["cascade", "nrmse_scale", "nrmse_depth", "nrmse_breadth"]]
    print(nrmse.to_string(index=False, float_format="%.3f"))
    print(f"wrote intervals.csv, evaluations.csv, metrics.csv and figures in {args.out}")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    """``pileon forecast``."""
    from .. import plots
    from ..observed import figures
    from ..observed.calibrate import Simulator
    from ..observed.forecast import HORIZON, PopulationPrior, count_times, forecast_table, growth_null

    cascades = _load(args.observed, args.format, args.limit)
    training = _load(args.learn_from, "auto", None) if args.learn_from else []
    if not 0 < args.observe < HORIZON:
        raise UsageError(f"--observe={args.observe:g}: expected minutes in (0, {HORIZON:g})")
    table = _table(args, Simulator(graph_seed=args.seed), count_times=count_times(args.observe))
    prior = PopulationPrior.learn(table, training, observe=args.observe) if training else None
    nulls = growth_null(training, observe=args.observe) if training else None
    rows = forecast_table(cascades, table, prior, observe=args.observe, nulls=nulls)
    args.out.mkdir(parents=True, exist_ok=True)
    rows.to_csv(args.out / "forecast.csv", index=False)
    plots.save(figures.forecast_figure(rows, args.observe), args.out / "forecast.png")
    how = f"a prior learned from {len(training)} cascade(s)" if prior else "no population prior (--learn-from)"
    print(f"out-of-sample prediction of the posts by 72 h from the first {args.observe:g} min, {how}:")
    show = [
        *("cascade", "observed_first_hour", "final_pileon", "final_pileon_low", "final_pileon_high"),
        *("final_hawkes", "final_naive", "final_sizenull", "final_analog", "final_actual"),
        *("forecast_error", "forecast_error_hawkes"),
    ]
    print(rows[[c for c in show if c in rows]].to_string(index=False, float_format="%.3g"))
    print(f"wrote forecast.csv and forecast.png in {args.out}")
    return 0


def _table(args: argparse.Namespace, simulator: Any, **options: Any) -> Any:
    """The reference table the options ask for, with a progress bar."""
    from ..observed.calibrate import ReferenceTable

    bar = progress_bar("reference table", args.points)
    table = ReferenceTable.build(
        simulator,
        points=args.points,
        replicates=args.replicates,
        seed=args.seed,
        workers=args.workers,
        progress=_updates(bar),
        **options,
    )
    bar.close()
    return table


def parse_vary(text: str) -> Any:
    """``NAME=LOW:HIGH`` (or ``NAME=LOW:HIGH:linear``) as a reference-table prior, checked against
    the parameter's declared range."""
    from pileon.model import Params

    from ..observed.calibrate import Prior

    name, _, bounds = text.partition("=")
    parts = bounds.split(":")
    if not name or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("log", "linear")):
        raise UsageError(f"--vary {text!r}: expected NAME=LOW:HIGH or NAME=LOW:HIGH:linear")
    spec = Params.specs().get(name.strip())
    if spec is None or spec.kind not in (int, float):
        raise UsageError(
            f"--vary {text!r}: {name.strip()!r} is not a numeric model parameter (pileon params lists them)"
        )
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise UsageError(f"--vary {text!r}: the bounds must be numbers") from None
    log = len(parts) == 2 or parts[2] == "log"
    if not (math.isfinite(low) and math.isfinite(high) and low < high) or (log and low <= 0):
        raise UsageError(f"--vary {text!r}: expected LOW < HIGH{', both above 0 on a log scale' if log else ''}")
    if (spec.low is not None and low < spec.low) or (spec.high is not None and high > spec.high):
        raise UsageError(f"--vary {text!r}: outside {spec.name}'s range [{spec.low}, {spec.high}]")
    return Prior(spec.name, low, high, log)


def cmd_validate(args: argparse.Namespace) -> int:
    """``pileon validate``: trees or pile-on timelines, by the folder's layout."""
    from ..observed.validate import SHAPES, summary_text, validate_folder

    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, progress_bar(stage, total))
        bar.update(done - bar.n)

    vary = [parse_vary(text) for text in args.vary]
    t0 = time.perf_counter()
    kind, result, table = validate_folder(
        args.folder,
        args.out,
        learn_from=args.learn_from,
        limit=args.limit,
        points=args.points,
        replicates=args.replicates,
        refine=args.refine,
        workers=args.workers,
        figures=not args.no_figures,
        fit=not args.no_fit,
        time_column=args.time_column,
        onset_factor=args.onset_factor,
        onset_min_posts=args.onset_min_posts,
        progress=progress,
        vary=vary,
    )
    for bar in bars.values():
        bar.close()
    learned = f"learned from {args.learn_from}" if args.learn_from else "leave one out over the folder"
    print(f"validated {len(result)} {kind} in {time.perf_counter() - t0:.0f} s (priors and nulls {learned})")
    if kind == "pile-ons":
        shapes = result[["cascade", "posts", "onset", "first_day_posts", *SHAPES]]
        print("observed pile-ons (onset from the past only; shape from the onset to the end of the data):")
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(shapes.to_string(index=False, float_format="%.3g"))
    print(summary_text(table))
    print(f"wrote validation.csv, summary.csv and figures in {args.out}")
    return 0


def cmd_stance(args: argparse.Namespace) -> int:
    """``pileon stance``."""
    from .. import plots
    from ..observed import figures
    from ..observed import stance as st

    if args.replicates < 1 or args.boot < 1:
        raise UsageError(f"--replicates={args.replicates}, --boot={args.boot}: expected at least 1 each")
    choose = [c for f in args.choose for c in st.read_threads(f)]
    check = [c for f in args.check_on for c in st.read_threads(f)]
    base = get_scenario(args.scenario)
    if args.n_users:
        base = replace_params(base, {"n_users": args.n_users}, "--n-users")
    try:
        grid = st.partisan_split_grid(args.partisans, args.hostile, args.norm_learning)
        for c in grid:
            base.replace(**c.values)  # a bad value fails here, before any run
    except ValueError as e:
        raise UsageError(f"--partisans, --hostile, --norm-learning: {e}") from None
    bar = progress_bar("simulating", (len(grid) + 1) * args.replicates)
    result = st.compare_stance(
        choose,
        check,
        base,
        args.scenario,
        grid=grid,
        replicates=args.replicates,
        boot=args.boot,
        seed=args.seed,
        workers=args.workers,
        progress=lambda done: bar.update(done - bar.n),
    )
    bar.close()
    args.out.mkdir(parents=True, exist_ok=True)
    result.write(args.out)
    plots.save(figures.stance_figure(result.observed, result.shown()), args.out / "stance.png")
    print(
        f"choose on {result.threads[0]} threads ({', '.join(result.events[0])}); check on {result.threads[1]} "
        f"({', '.join(result.events[1])}); dropped from the choice as events of the check: "
        f"{', '.join(result.dropped) or 'none'}"
    )
    for name, t in [*result.observed.items(), *result.shown().items()]:
        a, d = t.set_index("age").loc["all"], t.set_index("age").loc["drift"]
        print(
            f"  {name}: against share {a['against']:.3f} [{a['against_low']:.3f}, {a['against_high']:.3f}], "
            f"drift after {st.EARLY:g} min {d['against']:+.3f} [{d['against_low']:+.3f}, {d['against_high']:+.3f}]"
        )
    show = ["candidate", "distance_choose", "distance_check", "bins_inside_check", "bins", "against_all", "drift"]
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(result.choice[show].to_string(index=False, float_format="%.3f"))
    print(f"wrote observed.csv, model.csv, choice.csv and stance.png in {args.out}")
    return 0


def _floats(text: str) -> tuple[float, ...]:
    """A comma-separated list of numbers (an argparse type)."""
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected numbers separated by commas") from None
