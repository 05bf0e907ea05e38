"""``pileon run``, ``params`` and ``interventions``: one simulated pile-on, and what can be set."""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from pileon.model import OutrageModel, Params
from pileon.model.network import Network
from pileon.model.params import NetworkParams, specs
from pileon.model.results import COSTS
from pileon.model.scenarios import SCENARIOS, size_note
from pileon.model.scenarios import get as get_scenario

from .common import UsageError, add_param_options, read_params_file, resolve_params, whole


def add_commands(sub: Any) -> None:
    """Add ``run``, ``params`` and ``interventions`` to the subcommands."""
    run = sub.add_parser(
        "run",
        help="simulate one pile-on and write its timeline, events, summary and figure",
        description="Simulate one pile-on. Writes OUT/timeline.csv (posts per step by action), "
        "OUT/events.parquet (one row per post), OUT/summary.json (metrics, parameters, seed, "
        "provenance) and OUT/timeline.png. Parameters: the scenario's values, then those of "
        "--params FILE, then any option below.",
    )
    run.add_argument("--scenario", default="buffy", help=f"parameter preset: {', '.join(SCENARIOS)} (default: buffy)")
    run.add_argument("--seed", type=whole(0), default=7, help="seed of the run's random generator (default: 7)")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: runs/SCENARIO-seedSEED)")
    run.add_argument(
        "--params",
        type=Path,
        metavar="FILE",
        help="TOML file of parameter values (flat or in [concern] tables), or a run's summary.json to replay",
    )
    run.add_argument(
        "--edges",
        type=Path,
        metavar="CSV",
        help="follower edge list (header follower,followee) to use instead of a generated network: n_users "
        "follows the file, the generated graph's options (--n-users, --mean-followers, ...) are refused, and the "
        "results carry the file's ids",
    )
    run.add_argument(
        "--intervene",
        action="append",
        default=[],
        metavar="KIND[:KEY=VALUE,...]",
        help="apply an intervention (repeatable), e.g. friction or removal:delay=30,what=seed; "
        "`pileon interventions` lists them",
    )
    run.add_argument("--no-plot", action="store_true", help="skip the figure")
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="write into an --out folder that holds an earlier run (its files are replaced; without this, refused)",
    )
    run.add_argument(
        "--force", action="store_true", help="go ahead even if the follower graph looks too large for this machine"
    )
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_param_options(run)
    run.set_defaults(func=cmd_run)

    ps = sub.add_parser(
        "params",
        help="list every model parameter with its value, unit, range and source",
        description="Every model parameter: its value in the scenario, unit, range, meaning and where its default "
        "comes from: a citation with the figure it takes, 'calibrated to DATA' with its interval, or 'assumed'. "
        "A value the scenario changes is marked *. --assumed prints, as CSV, the parameters (the model's and "
        "the interventions') whose defaults are assumed: what a sensitivity or robustness study must vary.",
    )
    ps.add_argument("--scenario", default="default", help="show this scenario's values (default: default)")
    ps.add_argument("--assumed", action="store_true", help="print the assumed parameters as CSV")
    ps.set_defaults(func=cmd_params)

    ivs = sub.add_parser(
        "interventions", help="list the interventions with their parameters, defaults, ranges and sources"
    )
    ivs.set_defaults(func=cmd_interventions)


def cmd_run(args: argparse.Namespace) -> int:
    """``pileon run``."""
    from tqdm.auto import tqdm

    from .. import anchors, output, plots
    from ..resources import check_fits

    params = resolve_params(args)
    interventions = [parse_intervention(spec) for spec in args.intervene]
    kinds = [iv.kind for iv in interventions]
    for kind in dict.fromkeys(k for k in kinds if kinds.count(k) > 1):
        raise UsageError(f"--intervene {kind} is given {kinds.count(kind)} times; give each intervention once")
    out = args.out or Path("runs") / f"{args.scenario}-seed{args.seed}"
    stale = output.check_run_folder(out, args.overwrite)  # before the work: nothing computed is lost
    say = (lambda *_: None) if args.quiet else print
    network = None
    if args.edges:
        generated = [f"--{name.replace('_', '-')}" for name in specs(NetworkParams) if getattr(args, name) is not None]
        if generated:
            raise UsageError(
                f"{', '.join(generated)}: options of the generated follower graph; with --edges the graph is "
                f"{args.edges}'s (its users and edges): leave them out"
            )
        network = Network.read_csv(args.edges)
        given = read_params_file(args.params).get("n_users") if args.params else None
        if given is not None and given != network.n:
            say(f"  note: n_users={given} of {args.params} is replaced by the {network.n:,} users of {args.edges}")
    else:
        edges = params.n_users * params.mean_followers
        check_fits(
            Network.estimated_bytes(params.n_users, params.mean_followers),
            f"the follower graph of {params.n_users:,} users x {params.mean_followers:g} followers ({edges:,.0f} edges)",
            "fewer users (--n-users) or followers (--mean-followers), or --force to try anyway",
            force=args.force,
        )
    n_users = network.n if network is not None else params.n_users  # an edge list brings its own users
    say(f"pileon: {args.scenario} scenario, {n_users:,} users, seed {args.seed}")
    note = size_note(args.scenario, n_users)
    if note:
        print(f"pileon: note: {note}", file=sys.stderr)
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
        "size_note": note,
        "timing_s": {"build": round(t_build, 3), "run": round(t_run, 3)},
    }
    anchor_rows = None
    if args.scenario == "buffy":
        anchor_rows = anchors.check_buffy(anchors.buffy_measures(result))
        extra["anchors"] = anchor_rows
    if network is not None:
        extra["edges_file"] = str(args.edges)
    for path in stale:  # the earlier run's files (--overwrite): none is left beside the new data
        path.unlink(missing_ok=True)
    paths = output.write_run(result, out, extra, ids=network.ids if network is not None else None)
    if not args.no_plot:
        observed = anchors.load_anchors() if args.scenario == "buffy" else None
        title = f"#{args.scenario}: {result.summary['total_posts']:,} posts ({n_users:,} users, seed {args.seed})"
        paths["figure"] = plots.save(plots.run_timeline_figure(result, observed, title=title), out / "timeline.png")
    s = result.summary
    say(f"  built in {t_build:.1f} s, simulated {params.horizon_hours:g} h in {t_run:.1f} s")
    say(
        f"  total_posts {s['total_posts']:,}  attacks_on_target {s['attacks_on_target']:,}  "
        f"unique_attackers {s['unique_attackers']:,}  hostile_share {s['hostile_share']:.2f}"
    )
    say(
        f"  peak_attacks_per_hour {s['peak_attacks_per_hour']:,} at {s['peak_attacks_clock']}  "
        f"5,000 posts at {s['clock_at_5000_posts']}  exposures {s['exposures']:,}"
    )
    if interventions:
        say(f"  attacks_received {s['attacks_received']:,}  hostile_exposures {s['hostile_exposures']:,}")
        say("  costs: " + "  ".join(f"{k} {s[k]:,}" for k in COSTS))
        for iv in result.interventions:
            when = "never acted" if iv["acted_at"] is None else f"acted from {result.clock(iv['acted_at']):%H:%M}"
            counts = "  ".join(f"{k} {v:,}" for k, v in iv["report"].items())
            say(f"  {iv['kind']}: {when}  {counts}")
    if anchor_rows:
        for row in anchor_rows:
            mark = {True: "ok  ", False: "MISS", None: "  - "}[row["ok"]]
            say(f"  [{mark}] {row['quantity']}: {row['value']} (expected {row['expected']})")
        say("  (checks fixed by inputs are not evidence: docs/model.md, 'The #Buffy anchors')")
    for name, path in paths.items():
        say(f"  wrote {name}: {path}")
    return 0


def parse_intervention(spec: str) -> Any:
    """``kind`` or ``kind:key=value,key=value`` (values read as TOML: numbers, true/false, "text")."""
    from pileon.model.interventions import make

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
    from pileon.model.interventions import KINDS

    for kind, cls in KINDS.items():
        print(f"{kind}  ({cls.__name__}): {(cls.__doc__ or '').strip().splitlines()[0]}")
        for name, spec in specs(cls).items():
            print(f"    {name:20s} {spec.default!s:>8} {spec.unit:>22s}  {spec.range_text():14s} {spec.help}")
            _print_source(spec.source, "        ")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """``pileon params``."""
    import csv
    import sys

    from pileon.model import interventions

    values = get_scenario(args.scenario).to_flat()
    if args.assumed:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["name", "owner", "value", "low", "high", "unit", "note"])
        for name in Params.assumed():
            spec = Params.specs()[name]
            out.writerow([name, Params.owner(name), values[name], spec.low, spec.high, spec.unit, spec.source.note])
        for key in interventions.assumed_names():
            kind, name = key.split(".")
            spec = specs(interventions.KINDS[kind])[name]
            out.writerow([key, "intervention", spec.default, spec.low, spec.high, spec.unit, spec.source.note])
        return 0
    for name, spec in Params.specs().items():
        mark = "*" if values[name] != spec.default else " "
        print(f"{name:24s} {values[name]!s:>10}{mark} {spec.unit:>22}  {spec.range_text():16s} {spec.help}")
        _print_source(spec.source, "    ")
    if any(values[n] != s.default for n, s in Params.specs().items()):
        print(f"* set by the scenario {args.scenario!r} (its reasons: docs/model.md); the source is the default's")
    return 0


def _print_source(source: Any, indent: str) -> None:
    print(f"{indent}source: {source}")
    if source is not None and source.kind != "assumed" and source.note:
        print(f"{indent}        {source.note}")
