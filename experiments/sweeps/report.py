"""Analysis of a sweep's store: effects of each arm against the baseline, figures, Sobol indices.

``pileon report STORE --out DIR`` writes:

* ``effects.csv``: per arm and metric, the baseline and arm means, the mean paired difference and
  the relative change (arm mean / baseline mean - 1), each with a 95% bootstrap interval
  (``scipy.stats.bootstrap``, resampling (point, replicate) pairs: arms share seeds, so the
  comparison is paired), and the standardised paired effect ``d_z`` (mean difference / its sd);
* ``forest.png``: the relative change in the harm metrics for every arm, with intervals;
* ``timelines.png``: attacks received per time bin, mean and 95% band, by arm;
* ``dose_response.png``: for arm families that sweep an intervention setting (a removal delay,
  a friction strength), the relative change against that setting;
* ``heatmap.png``: the main metric over the first two swept model parameters, by arm;
* ``sobol.csv`` and ``sobol.png``: first-order and total Sobol indices (SALib) of the main metric
  when the experiment's design is ``sobol``;
* ``points.csv`` and ``robustness.csv``: each arm's effect at each parameter set (from its paired
  replicates), and over the parameter sets: median, 5th-95th percentile, min-max, the share of
  sets in which the sign holds, the random-effects split of that spread into noise and parameter
  dependence, the half-width of a set's interval and the replicates that reach ``precision``
  (:mod:`.uncertainty`);
* ``robustness.png`` and ``effect_vs_params.png`` (when parameters vary): the effect at every
  parameter set, per arm, and against each swept parameter;
* ``sobol_effects.csv`` and ``sobol_effects.png``: Sobol indices of each arm's effect itself, for
  ``sobol`` designs;
* ``report.md``: the tables above in words, with the figures linked.

Figures read the store only, never a model.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from scipy import stats

from pileon.model import Params
from pileon.model.results import COSTS

from ..plots import save
from . import figures, uncertainty
from .design import BASELINE
from .store import Store

HARM = ("attacks_received", "unique_attackers", "peak_attacks_per_hour", "hostile_exposures", "engagement")
COST = (*COSTS, "posts_cancelled")
MAX_TIMELINE_ARMS = 8


def paired_effects(
    runs: pd.DataFrame, metrics: tuple[str, ...] = HARM + COST, n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Each arm against the baseline on each metric, paired on (point, replicate).

    A metric missing from a run (an intervention's own count, in a run without that
    intervention) counts as 0.

    Returns:
        One row per (arm, metric): ``n, baseline_mean, arm_mean, diff, diff_lo, diff_hi,
        rel_change, rel_lo, rel_hi, d_z`` (intervals: 95% percentile bootstrap).
    """
    base = runs[runs["arm"] == BASELINE].set_index(["point", "replicate"])
    if base.empty:
        raise ValueError("the store has no baseline runs to compare with")
    rows = []
    for arm, group in runs[runs["arm"] != BASELINE].groupby("arm", sort=False):
        g = group.set_index(["point", "replicate"])
        both = g.join(base.add_suffix("_base"), how="inner")
        for m in metrics:
            if m not in g.columns:
                continue
            if m not in base.columns or m.endswith("_minutes"):
                continue
            # an intervention's own count is missing from runs without it: it is 0 there
            a = both[f"{m}_base"].fillna(0).to_numpy(float)
            b = both[m].fillna(0).to_numpy(float)
            row: dict[str, Any] = {"arm": arm, "family": group["family"].iloc[0], "metric": m, "n": len(a)}
            row |= {"baseline_mean": a.mean() if len(a) else np.nan, "arm_mean": b.mean() if len(a) else np.nan}
            row |= _intervals(a, b, n_boot, seed)
            rows.append(row)
    return pd.DataFrame(rows)


def _intervals(a: np.ndarray, b: np.ndarray, n_boot: int, seed: int) -> dict[str, float]:
    nan = {k: np.nan for k in ("diff", "diff_lo", "diff_hi", "rel_change", "rel_lo", "rel_hi", "d_z")}
    if len(a) < 2:
        return nan
    d = b - a
    out = dict(nan)
    out["diff"] = d.mean()
    sd = d.std(ddof=1)
    out["d_z"] = d.mean() / sd if sd > 0 else np.nan
    varies = np.ptp(a) > 0 or np.ptp(b) > 0
    if sd > 0:
        ci = stats.bootstrap((d,), np.mean, n_resamples=n_boot, method="percentile", rng=seed).confidence_interval
        out["diff_lo"], out["diff_hi"] = ci.low, ci.high
    else:
        out["diff_lo"] = out["diff_hi"] = d.mean()
    if a.mean() > 0:
        out["rel_change"] = b.mean() / a.mean() - 1.0

        def rel(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                return y.mean(axis=axis) / x.mean(axis=axis) - 1.0

        if varies:
            ci = stats.bootstrap(
                (a, b), rel, paired=True, n_resamples=n_boot, method="percentile", rng=seed, vectorized=True
            ).confidence_interval
            out["rel_lo"], out["rel_hi"] = ci.low, ci.high
        else:
            out["rel_lo"] = out["rel_hi"] = out["rel_change"]
    return out


def swept_settings(runs: pd.DataFrame) -> dict[str, str]:
    """For each arm family that sweeps one intervention setting, that setting's column."""
    out = {}
    setting_cols = [c for c in runs.columns if "." in c and pd.api.types.is_numeric_dtype(runs[c])]
    for family, g in runs[runs["arm"] != BASELINE].groupby("family"):
        varying = [c for c in setting_cols if g[c].nunique(dropna=True) > 1]
        if len(varying) == 1 and g["arm"].nunique() > 1:
            out[family] = varying[0]
    return out


def swept_params(runs: pd.DataFrame) -> list[str]:
    """Model parameters that take more than one value across the runs, in declaration order."""
    return [c for c in Params.specs() if c in runs.columns and runs[c].nunique(dropna=True) > 1]


def sobol_indices(
    runs: pd.DataFrame, problem: dict[str, Any], metric: str, points: int | None = None, replicates: int | None = None
) -> pd.DataFrame:
    """First-order and total Sobol indices of ``metric`` (baseline arm, mean over replicates).

    ``points`` and ``replicates`` are the design's (from the store's meta): every point must have
    all its replicates, or the indices would be silently wrong.
    """
    from SALib.analyze import sobol

    base = runs[runs["arm"] == BASELINE]
    per_point = base.groupby("point")[metric]
    y = per_point.mean().sort_index()
    complete = len(y) == (points if points is not None else len(y)) and np.array_equal(y.index, np.arange(len(y)))
    if replicates is not None:
        complete = complete and bool((per_point.count() == replicates).all())
    if not complete or len(y) % (problem["num_vars"] + 2):
        raise ValueError(
            f"the store's Sobol design is incomplete ({len(base)} of "
            f"{(points or len(y)) * (replicates or 1)} baseline runs): finish the sweep first"
        )
    si = sobol.analyze(problem, y.to_numpy(float), calc_second_order=False, seed=0)
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": si["S1"],
            "S1_conf": si["S1_conf"],
            "ST": si["ST"],
            "ST_conf": si["ST_conf"],
        }
    )


def write_report(
    store_path: str | Path,
    out: str | Path,
    metric: str = "attacks_received",
    n_boot: int = 2000,
    precision: float = 0.05,
) -> dict[str, Path]:
    """Write the tables and figures of the module docstring for the store at ``store_path``.

    Args:
        precision: target half-width of an arm's relative effect at a parameter set (0.05: +-5
            percentage points), for the replicates the report says it needs.

    Returns:
        The paths written, by name.
    """
    out = Path(out)
    with Store(store_path) as store:
        runs = store.runs()
        meta = store.meta()
        if runs.empty:
            raise ValueError(f"{store_path}: no runs saved yet")
        numeric = [c for c in runs.columns if pd.api.types.is_numeric_dtype(runs[c]) and c not in Params.specs()]
        if metric not in numeric:
            raise ValueError(f"metric {metric!r} is not a numeric column of the store; it has: {', '.join(numeric)}")
        arms = _timeline_arms(runs)
        timelines = store.timelines(runs.loc[runs["arm"].isin(arms), "run_id"].tolist())
    with report_folder(out) as tmp:
        paths = _write(tmp, runs, meta, timelines, arms, metric, n_boot, precision)
    return {name: out / p.name for name, p in paths.items()}


def _write(
    out: Path,
    runs: pd.DataFrame,
    meta: dict[str, str],
    timelines: pd.DataFrame,
    arms: list[str],
    metric: str,
    n_boot: int,
    precision: float,
) -> dict[str, Path]:
    sns.set_theme(style="whitegrid", context="notebook")
    paths: dict[str, Path] = {}
    metrics = tuple(dict.fromkeys((metric, *HARM, *COST)))
    effects = paired_effects(runs, metrics, n_boot=n_boot) if (runs["arm"] != BASELINE).any() else pd.DataFrame()
    if not effects.empty:
        paths["effects"] = out / "effects.csv"
        effects.to_csv(paths["effects"], index=False)
        paths["forest"] = save(figures.forest_figure(effects, (metric, "hostile_exposures")), out / "forest.png")
        dose = swept_settings(runs)
        if dose:
            paths["dose_response"] = save(figures.dose_figure(runs, effects, dose, metric), out / "dose_response.png")
    paths["timelines"] = save(
        figures.arms_timeline_figure(runs, timelines, arms, "attacks_received"), out / "timelines.png"
    )
    varied = swept_params(runs)
    if len(varied) >= 2:
        paths["heatmap"] = save(figures.heatmap_figure(runs, varied[0], varied[1], metric), out / "heatmap.png")
    sobol = None
    present, total = completeness(meta, runs)
    if meta.get("method") == "sobol" and present == total:  # an incomplete design has no indices
        sobol = sobol_indices(
            runs, json.loads(meta["problem"]), metric, _int(meta.get("points")), _int(meta.get("replicates"))
        )
        paths["sobol"] = out / "sobol.csv"
        sobol.to_csv(paths["sobol"], index=False)
        paths["sobol_figure"] = save(figures.sobol_figure(sobol, metric), out / "sobol.png")
    robust, effect_si = None, None
    if not effects.empty:
        points = uncertainty.point_effects(runs, metric, varied)
        robust = uncertainty.robustness(points, "rel", precision)
        paths["points"] = out / "points.csv"
        points.to_csv(paths["points"], index=False)
        paths["robustness"] = out / "robustness.csv"
        robust.to_csv(paths["robustness"], index=False)
        if points["point"].nunique() > 1:
            paths["robustness_figure"] = save(figures.robustness_figure(points, robust, metric), out / "robustness.png")
            if varied:
                paths["effect_vs_params"] = save(
                    figures.effect_vs_params_figure(points, varied, metric), out / "effect_vs_params.png"
                )
        if meta.get("method") == "sobol":
            effect_si = uncertainty.effect_sobol(points, json.loads(meta["problem"]), int(meta["points"]))
            if not effect_si.empty:
                paths["sobol_effects"] = out / "sobol_effects.csv"
                effect_si.to_csv(paths["sobol_effects"], index=False)
                paths["sobol_effects_figure"] = save(figures.effect_sobol_figure(effect_si), out / "sobol_effects.png")
    paths["report"] = out / "report.md"
    text = _markdown(meta, runs, effects, sobol, metric, paths)
    if robust is not None:
        text += _uncertainty_markdown(robust, effect_si, metric, precision)
    paths["report"].write_text(text, encoding="utf-8")
    return paths


def completeness(meta: dict[str, str], runs: pd.DataFrame) -> tuple[int, int]:
    """Runs in the store and runs in the design (``meta['runs_total']``, written by the sweep; for
    an older store, points x replicates x the arms seen)."""
    total = _int(meta.get("runs_total"))
    if total is None:
        points, replicates = _int(meta.get("points")), _int(meta.get("replicates"))
        total = (points or 0) * (replicates or 0) * runs["arm"].nunique() if len(runs) else 0
    return len(runs), max(total, len(runs))


MARKER = ".pileon-report"  # in every report folder: the next report may replace the folder
REPORT_FILES = {
    *("report.md", "effects.csv", "forest.png", "dose_response.png", "timelines.png", "heatmap.png"),
    *("sobol.csv", "sobol.png", MARKER),
    *("points.csv", "robustness.csv", "robustness.png", "effect_vs_params.png", "sobol_effects.csv"),
    "sobol_effects.png",
}


@contextlib.contextmanager
def report_folder(out: Path) -> Iterator[Path]:
    """A new folder to write a report into, beside ``out``, that replaces ``out`` whole once the
    report is written: a report stopped half-way leaves ``out`` as it was, never one report's files
    mixed with another's. ``out`` may be missing, empty, or an earlier report; a folder holding
    anything else is refused (the report would delete it)."""
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"{out}: a file, not a folder; give --out a folder for the report")
        others = sorted(p.name for p in out.iterdir() if p.name not in REPORT_FILES)
        if others and not (out / MARKER).is_file():
            raise ValueError(
                f"{out}: holds files that are not a pileon report ({', '.join(others[:3])}"
                f"{', ...' if len(others) > 3 else ''}); give --out a new folder or an earlier report's"
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new", dir=out.parent))
    try:
        (tmp / MARKER).write_text("written by pileon report; the folder is replaced whole by the next one\n")
        yield tmp
        old = tmp.with_suffix(".old")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- helpers --------------------------------------------------------------------------------------


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def _timeline_arms(runs: pd.DataFrame) -> list[str]:
    """Arms drawn in the timeline figure: all if few, else the baseline and each family's first."""
    arms = list(dict.fromkeys(runs["arm"]))
    if len(arms) <= MAX_TIMELINE_ARMS:
        return arms
    firsts = list(dict.fromkeys(runs.drop_duplicates("family")["arm"]))
    return firsts[:MAX_TIMELINE_ARMS]


def _markdown(
    meta: dict[str, str],
    runs: pd.DataFrame,
    effects: pd.DataFrame,
    sobol: pd.DataFrame | None,
    metric: str,
    paths: dict[str, Path],
) -> str:
    lines = [f"# Report: {meta.get('name', '')}", ""]
    present, total = completeness(meta, runs)
    if present < total:
        lines += [
            f"**Incomplete: {present:,} of the design's {total:,} runs are in the store** (a sweep still running, "
            "or stopped): the effects below use the runs present"
            + ("; Sobol indices need the whole design" if meta.get("method") == "sobol" else "")
            + ". Run the same `pileon sweep` command to finish it.",
            "",
        ]
    commits = ", ".join(sorted(map(str, runs["git_commit"].dropna().unique()))) if "git_commit" in runs else "?"
    lines += [
        f"{len(runs)} runs, {runs['arm'].nunique()} arms, {runs['point'].nunique()} points, "
        f"up to {runs['replicate'].max() + 1} replicates; pileon {runs['pileon_version'].iloc[0]}, commit {commits}.",
        "",
    ]
    if not effects.empty:
        e = effects[effects["metric"] == metric]
        lines += [
            f"## {metric}: each arm against no intervention (paired, 95% bootstrap interval)",
            "",
            "| arm | baseline mean | arm mean | change | interval | d_z |",
            "|---|---|---|---|---|---|",
        ]
        for _, r in e.iterrows():
            lines.append(
                f"| {r['arm']} | {r['baseline_mean']:.1f} | {r['arm_mean']:.1f} | {100 * r['rel_change']:+.1f}% | "
                f"[{100 * r['rel_lo']:+.1f}%, {100 * r['rel_hi']:+.1f}%] | {r['d_z']:.2f} |"
            )
        costs = effects[effects["metric"].isin(COST)].pivot_table(
            index="arm", columns="metric", values="arm_mean", sort=False
        )
        lines += [
            "",
            "## Costs (mean per run)",
            "",
            "| arm | " + " | ".join(costs.columns) + " |",
            "|---" * (len(costs.columns) + 1) + "|",
        ]
        for arm, r in costs.iterrows():
            lines.append(f"| {arm} | " + " | ".join(f"{v:.2f}" for v in r) + " |")
    if sobol is not None:
        lines += ["", f"## Sobol indices of {metric}", "", "| parameter | S1 | ST |", "|---|---|---|"]
        for _, r in sobol.iterrows():
            lines.append(
                f"| {r['parameter']} | {r['S1']:.3f} ± {r['S1_conf']:.3f} | {r['ST']:.3f} ± {r['ST_conf']:.3f} |"
            )
    lines += ["", "## Files", ""] + [f"- {name}: `{p.name}`" for name, p in paths.items() if name != "report"]
    return "\n".join(lines) + "\n"


def _pct(x: float) -> str:
    return f"{100 * x:+.1f}%" if np.isfinite(x) else "-"


def _uncertainty_markdown(robust: pd.DataFrame, effect_si: pd.DataFrame | None, metric: str, precision: float) -> str:
    """The precision of each arm's effect, and (when parameters vary) its spread over them."""
    lines = [
        "",
        f"## Precision: {metric}, relative change at one parameter set",
        "",
        "Half-width of the 95% interval of an arm's effect at one parameter set (the median over sets), from "
        f"its paired replicates; the replicates per set that would bring it to +-{100 * precision:g} points "
        "(the variance of a mean falls as 1/n; pile-on sizes are heavy-tailed, so measure again after adding "
        "them: `pileon sweep FILE --precision`).",
        "",
        "| arm | replicates | effect | half-width | replicates needed |",
        "|---|---|---|---|---|",
    ]
    for _, r in robust.iterrows():
        need = r.get("replicates_needed", np.nan)
        lines.append(
            f"| {r['arm']} | {r['replicates']} | {_pct(r.get('median', np.nan))} | "
            f"{100 * r.get('half_width', np.nan):.1f} points | {'-' if not np.isfinite(need) else int(need)} |"
        )
    if robust["points"].max() > 1:
        lines += [
            "",
            f"## Effects over the parameter sets: {metric}, relative change",
            "",
            "Each set's effect is estimated from its own paired replicates. Sign held: share of sets whose "
            "effect has the sign of the median; significant: share whose own 95% interval excludes 0 with that "
            "sign, flips: with the opposite sign. tau: spread between sets beyond noise (random effects, "
            "DerSimonian-Laird); se: typical noise of one set's estimate; I2: share of the spread due to the "
            "parameters; Q p: Cochran's test that every set has the same effect (below 0.05: the sets' effects "
            "differ beyond their noise).",
            "",
            "| arm | sets | median | 5th-95th pct | min - max | sign held | significant | flips | tau | se | I2 | Q p |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for _, r in robust.iterrows():
            if not np.isfinite(r.get("median", np.nan)):
                continue
            lines.append(
                f"| {r['arm']} | {r['points']} | {_pct(r['median'])} | [{_pct(r['p5'])}, {_pct(r['p95'])}] | "
                f"{_pct(r['min'])} .. {_pct(r['max'])} | {r['share_sign']:.0%} | {r['share_same']:.0%} | "
                f"{r['share_opposite']:.0%} | {100 * r['tau']:.1f} | {100 * r['typical_se']:.1f} | {r['I2']:.2f} | "
                f"{r['Q_p']:.2g} |"
            )
    if effect_si is not None and not effect_si.empty:
        lines += [
            "",
            "## Sobol indices of each arm's effect (mean paired difference per parameter set)",
            "",
            "| arm | parameter | S1 | ST |",
            "|---|---|---|---|",
        ]
        for _, r in effect_si[effect_si["measure"] == "diff"].iterrows():
            lines.append(
                f"| {r['arm']} | {r['parameter']} | {r['S1']:.2f} ± {r['S1_conf']:.2f} | "
                f"{r['ST']:.2f} ± {r['ST_conf']:.2f} |"
            )
    return "\n".join(lines) + "\n"
