"""The validation report: fit and forecast every cascade of a folder, beside null models; tabulate
and plot.

One reference table (see :mod:`experiments.calibrate`) is simulated for the whole folder, its runs
followed to 72 hours, and everything that learns from other cascades learns from the training
cascades: a held-out folder (``training``), or else the folder's own cascades with each cascade
left out of what predicts it. That is the forecasts' population prior
(:class:`experiments.forecast.PopulationPrior`), the growth nulls and the curve template
(:mod:`experiments.observed.nulls`). Then each cascade, on a pool of local processes, is

* **fitted** over its first 150 minutes (an in-sample fit: the NRMSE of its scale, depth and
  breadth curves after calibration), beside the template and flat-line nulls; and
* **forecast** from its first hour (an out-of-sample prediction of its 72-hour size), beside the
  Hawkes process, no further growth, and the naive and size-conditional pooled growth.

Each finished cascade is appended to ``validation.csv`` at once; run again on the same output
folder, the report skips the cascades already there.

A folder of pile-on timelines (CSV files) gets its own report, :func:`run_timeline_validation`:
each pile-on's onset found from the past only, its shape, and the out-of-sample forecast of the
days after its first day by pileon's pile-on scenario (:mod:`experiments.observed.pileons`) beside
no further growth, the naive pooled growth and a Hawkes process. :func:`validate_folder` chooses
the report by the folder's layout.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..output import safe_name
from ..parallel import parallel_map
from .calibrate import PRIORS, Prior, ReferenceTable, Simulator, calibrate
from .curves import BIN, CURVES, WINDOW, curves, nrmse
from .forecast import POINTS, PopulationPrior, count_times, forecast, growth_null
from .nulls import CurveTemplate, GrowthNull, flat, skill
from .pileons import DAYS, Observed, PileonTable, learn_prior
from .pileons import POINTS as PILEON_POINTS
from .pileons import PRIORS as PILEON_PRIORS
from .pileons import forecast as forecast_pileon
from .pileons import growth_null as pileon_growth_null
from .pileons import scenario as pileon_scenario
from .readers import Cascade, read_twitter_folder
from .timelines import ONSET_FACTOR, ONSET_MIN_POSTS, Timeline, read_timeline_folder, shape_measures

IN_SAMPLE = "in-sample fit of the first 150 minutes"
OUT_OF_SAMPLE = "out-of-sample prediction from the first hour"

# The report's scores: (group, what is scored, pileon's column, {null: its column}). The summary
# gives each column's median over the cascades all of a row's columns scored, and pileon's skill
# against each null.
SCORES: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    *(
        (IN_SAMPLE, f"NRMSE of {k}", f"nrmse_{k}", {"template": f"nrmse_{k}_template", "flat": f"nrmse_{k}_flat"})
        for k in CURVES
    ),
    (
        OUT_OF_SAMPLE,
        "relative error of the 72 h size",
        "forecast_error",
        {
            "naive": "forecast_error_naive",
            "size-conditional": "forecast_error_sizenull",
            "analog": "forecast_error_analog",
            "no growth": "forecast_error_nogrowth",
            "Hawkes": "forecast_error_hawkes",
            "pileon, no prior": "forecast_error_unpooled",
        },
    ),
    (OUT_OF_SAMPLE, "NRMSE of the posts, 60-150 min", "forecast_nrmse", {"Hawkes": "forecast_nrmse_hawkes"}),
)

COLUMNS = [
    "cascade",
    "label",
    "posts",
    *(c for _, _, model, nulls in SCORES[:3] for c in (model, *nulls.values())),
    "forecast_error",
    "forecast_error_naive",
    "forecast_error_sizenull",
    "forecast_error_analog",
    "forecast_error_nogrowth",
    "forecast_error_hawkes",
    "forecast_error_unpooled",
    "forecast_nrmse",
    "forecast_nrmse_hawkes",
]


def curve_template(cascades: Sequence[Cascade], window: float = WINDOW, bin_minutes: float = BIN) -> CurveTemplate:
    """The template null learned from ``cascades``' curves over ``window``."""
    return CurveTemplate.learn(
        [c.key for c in cascades], [curves(c, window, bin_minutes)[list(CURVES)].to_numpy(float) for c in cascades]
    )


def validate_one(
    c: Cascade,
    simulator: Simulator,
    table: ReferenceTable,
    prior: PopulationPrior | None = None,
    nulls: GrowthNull | None = None,
    template: CurveTemplate | None = None,
    refine: int = 128,
    fit: bool = True,
) -> tuple[dict, Any]:
    """The report's row for one cascade, and its 150-minute comparison (for the figure; None
    without ``fit``)."""
    t0 = time.perf_counter()
    row: dict[str, Any] = {"cascade": c.name, "label": c.meta.get("label"), "posts": len(c)}
    own = curves(c, WINDOW, BIN)[list(CURVES)].to_numpy(float)
    guesses = {"flat": flat(own)} | ({"template": template.predict(own, c.key)} if template is not None else {})
    for null, guess in guesses.items():
        row |= {f"nrmse_{k}_{null}": nrmse(guess[:, i], own[:, i]) for i, k in enumerate(CURVES)}
    comparison = None
    if fit:
        cal = calibrate([c], simulator, table=table, refine=refine, window=WINDOW, bin_minutes=BIN)
        m = cal.metrics().iloc[0].to_dict()
        row |= {f"nrmse_{k}": m[f"nrmse_{k}"] for k in CURVES} | {f"fit150_{k}": v for k, v in cal.best.items()}
        comparison = cal.comparisons[0]
    row |= forecast(c, table, prior, nulls)
    row["seconds"] = time.perf_counter() - t0
    return row, comparison


def run_validation(
    cascades: list[Cascade],
    out: Path,
    points: int = POINTS,
    replicates: int = 3,
    refine: int = 128,
    workers: int = 2,
    figures: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    training: list[Cascade] | None = None,
    fit: bool = True,
    vary: Sequence[Prior] = (),
) -> pd.DataFrame:
    """Validate every cascade, writing ``out/validation.csv`` row by row, then the figures.

    Everything that learns from other cascades learns from ``training`` if given (a held-out
    set), else from ``cascades`` themselves, each cascade leaving itself out. Without ``fit`` the
    150-minute calibration (about 5 s a cascade) is skipped: forecasts and nulls only."""
    out.mkdir(parents=True, exist_ok=True)
    table_csv = out / "validation.csv"
    learned_from = "the other cascades" if training is None else sorted(c.name for c in training)
    priors = with_priors(PRIORS, vary)
    settings = {"points": points, "replicates": replicates, "refine": refine, "fit": fit, "learned_from": learned_from}
    settings["vary"] = [[p.name, p.low, p.high, p.log] for p in vary]
    check_settings(out, settings)  # rows made with other settings are never mixed in
    check_resumable(table_csv)  # nor rows of another version of the report
    done = set(pd.read_csv(table_csv, dtype={"cascade": str})["cascade"]) if table_csv.is_file() else set()
    todo = [c for c in cascades if c.name not in done]
    simulator = Simulator()
    if todo:
        table = ReferenceTable.build(
            simulator,
            priors,
            points=points,
            replicates=replicates,
            workers=workers,
            progress=(lambda d, n: progress("reference table", d, n)) if progress else None,
            count_times=count_times(),
            cache=out / "reference_table.npz",
        )
        learn = cascades if training is None else training  # all of them: a resumed report agrees
        state = (simulator, table, PopulationPrior.learn(table, learn), growth_null(learn), curve_template(learn))
        if figures and fit:
            (out / "cascades").mkdir(exist_ok=True)
        taken: set[str] = set()  # a cascade's name comes from the data: a safe file name in cascades/
        args = [
            (c, refine, figures and fit, fit, str(out / "cascades" / f"{safe_name(c.name, taken)}.png")) for c in todo
        ]
        with closing(parallel_map(_one, args, state, workers=workers, ordered=False)) as rows:
            _consume(rows, table_csv, len(todo), progress)
    result = pd.read_csv(table_csv, dtype={"cascade": str})
    result = result[result["cascade"].isin({c.name for c in cascades})]
    summary(result).to_csv(out / "summary.csv", index=False)
    if figures:
        from ..plots import save
        from .figures import validation_forecast_figure, validation_nrmse_figure

        if result["nrmse_scale"].notna().any():
            save(validation_nrmse_figure(result), out / "nrmse.png")
        save(validation_forecast_figure(result), out / "forecast.png")
    return result


def summary(result: pd.DataFrame, scores: Sequence[tuple[str, str, str, dict[str, str]]] = SCORES) -> pd.DataFrame:
    """One row per (score, model): the median over the cascades that every column of the score
    scored, and for each null pileon's ``skill`` against it (1 - pileon's median / the null's)
    and the share of those cascades where pileon did ``better`` (ties count half).

    Columns: ``group`` (in-sample fit or out-of-sample prediction), ``measure``, ``model``,
    ``column``, ``median``, ``skill``, ``better``, ``cascades``."""
    rows = []
    for group, measure, model, nulls in scores:
        cols = [c for c in (model, *nulls.values()) if c in result]
        if model not in cols:
            continue
        both = result[cols].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan).dropna()
        if both.empty:
            continue
        base = {"group": group, "measure": measure, "cascades": len(both)}
        rows.append(base | {"model": "pileon", "column": model, "median": float(both[model].median())})
        for null, col in nulls.items():
            if col in both:
                s = skill(both[model], both[col])
                rows.append(
                    base
                    | {
                        "model": null,
                        "column": col,
                        "median": float(both[col].median()),
                        "skill": s["skill"],
                        "better": s["better"],
                    }
                )
    columns = ["group", "measure", "model", "column", "median", "skill", "better", "cascades"]
    return pd.DataFrame(rows, columns=columns)


def check_settings(out: Path, settings: dict[str, Any]) -> None:
    """Record the settings of a validation in ``out/validation_settings.json``; a rerun resumes the
    folder only with the same settings, so that ``validation.csv`` never mixes rows made two ways.

    Raises:
        ValueError: ``out`` holds rows made with other settings; names them.
    """
    record = out / SETTINGS
    table_csv = out / "validation.csv"
    if table_csv.is_file() and record.is_file():
        try:
            before = json.loads(record.read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            raise ValueError(f"{record}: cannot read the settings of the rows in {table_csv.name} ({e})") from None
        keys = [*settings, *(k for k in before if k not in settings)]  # a setting either side
        changed = [
            f"{k}={_short(before.get(k))} there, {_short(settings.get(k))} now"
            for k in keys
            if before.get(k) != settings.get(k)
        ]
        if changed:
            raise ValueError(
                f"{out}: its {table_csv.name} was made with other settings ({'; '.join(changed)}); resuming would "
                f"mix rows made two ways: give another --out, or delete {table_csv} to start afresh"
            )
        return
    if table_csv.is_file():
        print(
            f"note: {table_csv} has no record of its settings (an older pileon): resumed as if made with these",
            file=sys.stderr,
        )
    record.write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


SETTINGS = "validation_settings.json"


def summary_text(table: pd.DataFrame) -> str:
    """The summary grouped for printing: in-sample fit, then out-of-sample prediction."""
    lines = []
    for (group, measure), rows in table.groupby(["group", "measure"], sort=False):
        lines.append(f"{group}: {measure} ({int(rows['cascades'].iloc[0])} cascades)")
        for r in rows.itertuples():
            vs = "" if r.model == "pileon" else f"   pileon's skill {r.skill:+.2f}, better on {r.better:.0%}"
            lines.append(f"    {r.model:18s} median {r.median:.3f}{vs}")
    return "\n".join(lines)


def check_resumable(table_csv: Path, columns: Sequence[str] = COLUMNS) -> None:
    """Refuse to append to a table written by another version of the report (before any work)."""
    if table_csv.is_file() and (missing := [c for c in columns if c not in pd.read_csv(table_csv, nrows=0).columns]):
        raise ValueError(
            f"{table_csv}: written by another version of the report (no column {missing[0]!r}); "
            "write to another --out folder"
        )


def _one(state: tuple, arg: tuple[Cascade, int, bool, bool, str]) -> dict:
    c, refine, figure, fit, figure_path = arg
    row, comparison = validate_one(c, *state, refine=refine, fit=fit)
    if figure and comparison is not None:
        from ..plots import save
        from .figures import comparison_figure

        save(comparison_figure(comparison, f"{c.name}: in-sample fit of the first 150 minutes"), Path(figure_path))
    return row


def _consume(
    rows: Any,
    table_csv: Path,
    total: int,
    progress: Callable[[str, int, int], None] | None,
    columns: Sequence[str] = COLUMNS,
) -> None:
    """Append each row to ``table_csv`` as it comes: ``columns`` first, then the first row's others."""
    header = list(pd.read_csv(table_csv, nrows=0).columns) if table_csv.is_file() else None
    for k, row in enumerate(rows, 1):
        frame = pd.DataFrame([row])
        if header is None:  # the first row fixes the columns: the report's first, then the rest
            header = [*columns, *[c for c in frame.columns if c not in columns]]
            frame.reindex(columns=header).to_csv(table_csv, index=False)
        else:
            frame.reindex(columns=header).to_csv(table_csv, mode="a", header=False, index=False)
        if progress:
            progress("cascades", k, total)


# -- pile-on timelines --------------------------------------------------------------------------------

OUT_OF_SAMPLE_DAY = "out-of-sample prediction from the first day after the onset"
_PILEON_NULLS = {
    "naive": "forecast_error_naive",
    "no growth": "forecast_error_nogrowth",
    "Hawkes": "forecast_error_hawkes",
    "pileon, no prior": "forecast_error_unpooled",
}
PILEON_SCORES: tuple[tuple[str, str, str, dict[str, str]], ...] = tuple(
    (
        OUT_OF_SAMPLE_DAY,
        f"relative error of the volume at onset + {n} days",
        "forecast_error" + tag,
        {k: v + tag for k, v in _PILEON_NULLS.items()},
    )
    for n, tag in zip(DAYS, ("", *(f"_{n}d" for n in DAYS[1:])), strict=True)
)
SHAPES = ("peak_hours", "peak_day_share", "halflife_hours", "rhythm_amplitude", "rhythm_peak_utc", "second_waves")
PILEON_COLUMNS = [
    "cascade",
    "posts",
    "start",
    "onset",
    "onset_hour",
    "first_day_posts",
    *SHAPES,
    *(c for _, _, model, nulls in PILEON_SCORES for c in (model, *nulls.values())),
]


def run_timeline_validation(
    timelines: list[Timeline],
    out: Path,
    points: int = PILEON_POINTS,
    replicates: int = 2,
    workers: int = 2,
    figures: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    training: list[Timeline] | None = None,
    onset_factor: float = ONSET_FACTOR,
    onset_min_posts: int = ONSET_MIN_POSTS,
    seed: int = 0,
    vary: Sequence[Prior] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate pileon's pile-on forecast on volume timelines: per timeline its onset (from the past
    only), shape measures, and the forecasts made a day after the onset (pileon's and the nulls')
    scored against the days after; written to ``out/validation.csv`` (a row per timeline) and
    ``out/daily.csv`` (a row per timeline and day after the onset), with figures.

    The reference table is saved as ``out/pileon_table.npz`` and reused by a report with the same
    settings. The prior and the pooled growth learn from ``training`` if given, else from
    ``timelines`` themselves, each pile-on leaving itself out."""
    out.mkdir(parents=True, exist_ok=True)
    observed = {tl.name: Observed.of(tl, onset_factor, onset_min_posts) for tl in timelines}
    learn = (
        [Observed.of(tl, onset_factor, onset_min_posts) for tl in training]
        if training is not None
        else list(observed.values())
    )
    simulator = Simulator(base=pileon_scenario())
    table = None
    if any(o.usable for o in observed.values()):
        report = (lambda d, n: progress("reference table", d, n)) if progress else None
        cache = out / "pileon_table.npz"
        priors = with_priors(PILEON_PRIORS, vary)
        table = PileonTable.build(simulator, priors, points, replicates, seed, workers, report, cache)
    prior = learn_prior(table, learn) if table is not None else None
    nulls = pileon_growth_null(learn)
    rows, dailies = [], []
    for tl in timelines:
        o = observed[tl.name]
        hourly = tl.hourly()
        row: dict[str, Any] = {
            "cascade": tl.name,
            "posts": len(tl),
            "start": tl.start.isoformat(),
            "onset": tl.hour_time(o.onset).isoformat() if o.onset is not None else None,
            "onset_hour": o.onset,
            **shape_measures(hourly, o.onset, tl.start.hour),
        }
        if o.usable and table is not None:
            forecast_row, daily = forecast_pileon(tl, o, table, prior, nulls)
            row |= forecast_row
            dailies.append(daily.assign(cascade=tl.name))
        else:
            row["note"] = "no onset found" if o.onset is None else "the data end within a day of the onset"
        rows.append(row)
    result = pd.DataFrame(rows)
    result = result.reindex(columns=[*PILEON_COLUMNS, *[c for c in result.columns if c not in PILEON_COLUMNS]])
    daily = pd.concat(dailies, ignore_index=True) if dailies else pd.DataFrame(columns=["cascade", "day"])
    daily = daily[["cascade", *[c for c in daily.columns if c != "cascade"]]]
    result.to_csv(out / "validation.csv", index=False)
    daily.to_csv(out / "daily.csv", index=False)
    summary(result, PILEON_SCORES).to_csv(out / "summary.csv", index=False)
    if figures:
        from ..plots import save
        from .figures import pileon_figure, pileon_forecast_figure

        (out / "pileons").mkdir(exist_ok=True)
        taken: set[str] = set()  # a pile-on's name comes from its file name: a safe file name in pileons/
        for tl in timelines:
            r = result.set_index("cascade").loc[tl.name]
            figure = out / "pileons" / f"{safe_name(tl.name, taken)}.png"
            save(pileon_figure(tl, r, daily[daily["cascade"] == tl.name]), figure)
        if result["forecast_error"].notna().any():
            save(pileon_forecast_figure(result), out / "forecast.png")
    return result, daily


def validate_folder(
    folder: Path,
    out: Path,
    *,
    learn_from: Path | None = None,
    limit: int | None = None,
    points: int | None = None,
    replicates: int | None = None,
    refine: int = 128,
    workers: int = 2,
    figures: bool = True,
    fit: bool = True,
    time_column: str | None = None,
    onset_factor: float = ONSET_FACTOR,
    onset_min_posts: int = ONSET_MIN_POSTS,
    progress: Callable[[str, int, int], None] | None = None,
    vary: Sequence[Prior] = (),
) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """What ``pileon validate`` does: :func:`run_validation` on a folder in the Twitter15/16 layout,
    :func:`run_timeline_validation` on a folder of CSV timelines (``learn_from``: a held-out folder
    in the same layout). Options that concern one kind only are ignored for the other; ``points``
    and ``replicates`` default to each kind's own. ``vary`` adds parameters to the reference
    table's priors (a mechanism's, say ``novelty_shape`` or ``pulse_rate``), so that a report with
    and one without them compare the mechanism by out-of-sample skill.

    Returns:
        ``"cascades"`` or ``"pile-ons"``, the report's table and its :func:`summary`.
    """
    if not Path(folder).is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    if is_tree_folder(folder):
        cascades = read_twitter_folder(folder, limit=limit)
        if not cascades:
            raise ValueError(f"{folder}: no cascades found")
        training = read_twitter_folder(learn_from) if learn_from else None
        if training == []:
            raise ValueError(f"{learn_from}: no cascades found")
        result = run_validation(
            cascades,
            out,
            points=points or POINTS,
            replicates=replicates or 3,
            refine=refine,
            workers=workers,
            figures=figures,
            progress=progress,
            training=training,
            fit=fit,
            vary=vary,
        )
        return "cascades", result, summary(result)
    timelines = read_timeline_folder(folder, time_column, limit)
    held_out = read_timeline_folder(learn_from, time_column) if learn_from else None
    result, _ = run_timeline_validation(
        timelines,
        out,
        points=points or PILEON_POINTS,
        replicates=replicates or 2,
        workers=workers,
        figures=figures,
        progress=progress,
        training=held_out,
        onset_factor=onset_factor,
        onset_min_posts=onset_min_posts,
        vary=vary,
    )
    return "pile-ons", result, summary(result, PILEON_SCORES)


def with_priors(priors: Sequence[Prior], vary: Sequence[Prior]) -> tuple[Prior, ...]:
    """The reference table's priors with ``vary`` added (a mechanism's parameters, to let
    out-of-sample skill say whether it helps); a name given twice, or already a prior, is refused."""
    names = [p.name for p in priors]
    for p in vary:
        if p.name in names:
            raise ValueError(f"--vary {p.name}: already varied by the reference table; give each parameter once")
        names.append(p.name)
    return (*priors, *vary)


def is_tree_folder(folder: Path) -> bool:
    """A Twitter15/16 folder (``tree/``, or folders holding one) rather than a folder of CSV timelines."""
    folder = Path(folder)
    return (folder / "tree").is_dir() or any((p / "tree").is_dir() for p in folder.iterdir() if p.is_dir())
