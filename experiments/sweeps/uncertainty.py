"""Effects under uncertainty: each arm's effect at each parameter set, and how it spreads over them.

A sweep that varies model parameters (a grid, random or Latin-hypercube samples, a Saltelli
design, or draws from a posterior) asks two questions of each arm's effect: how much it depends
on parameters nobody has measured, and how much of what we see is Monte Carlo noise. Both are
answered from the paired replicates at each parameter set ("point"):

* :func:`point_effects`: at each point, the arm's effect against the baseline on the same seeds,
  as the mean paired difference and as the relative change (arm mean / baseline mean - 1), each
  with its standard error (the relative change's by the delta method, from the linearised pairs
  ``(b - R a) / mean(a)``);
* :func:`robustness`: over the points, the median effect, its 5th-95th percentile and min-max
  range, and the share of points at which the sign holds (the sign of the median): in all,
  and counting only points whose own 95% interval excludes 0 (the same sign, or the opposite:
  a conclusion that flips). Noise is separated from parameter dependence by a random-effects
  decomposition (DerSimonian & Laird 1986): the spread of the point effects is split into the
  sampling variance of each (its squared standard error) and a between-point variance ``tau^2``;
  ``I2 = tau^2 / (tau^2 + typical se^2)`` is the share due to the parameters;
* precision: the half-width of a point's 95% interval (1.96 se), and the replicates per point
  that would bring it to a stated target (``n * (half-width / target)^2``: the variance of a mean
  falls as 1/n). Pile-on sizes are heavy-tailed, so a pilot's variance tends to understate it:
  ``pileon sweep --precision`` re-measures after each extension;
* :func:`effect_sobol`: Sobol indices of the effect itself (the mean paired difference at each
  point, and the relative change when it is defined everywhere), for Saltelli designs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from .design import BASELINE

Z95 = 1.959964  # two-sided 95% normal quantile


def point_effects(runs: pd.DataFrame, metric: str, params: list[str] | None = None) -> pd.DataFrame:
    """Each arm's effect on ``metric`` at each point, from the replicates paired with the baseline.

    Args:
        runs: the store's runs table.
        params: swept parameters whose values to carry along (for figures and Sobol indices).

    Returns:
        One row per (arm, point): ``arm, family, point, n, baseline_mean, arm_mean, diff,
        diff_se, rel, rel_se`` and the values of ``params``. ``rel`` is NaN where the baseline
        mean is 0; a standard error is NaN with fewer than 2 pairs.
    """
    params = params or []
    base = runs[runs["arm"] == BASELINE].set_index(["point", "replicate"])[[metric, *params]]
    if base.empty:
        raise ValueError("the store has no baseline runs to compare with")
    base = base.rename(columns={metric: "a"})
    rows = []
    for arm, group in runs[runs["arm"] != BASELINE].groupby("arm", sort=False):
        mine = group.set_index(["point", "replicate"])[[metric]].rename(columns={metric: "b"})
        both = mine.join(base, how="inner")
        for point, g in both.groupby(level="point"):
            a = g["a"].fillna(0).to_numpy(float)
            b = g["b"].fillna(0).to_numpy(float)
            row: dict[str, Any] = {"arm": arm, "family": group["family"].iloc[0], "point": int(point), "n": len(a)}
            row |= _paired(a, b)
            row |= {p: g[p].iloc[0] for p in params}
            rows.append(row)
    return pd.DataFrame(rows)


def _paired(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    n = len(a)
    d = b - a
    out = {"baseline_mean": a.mean(), "arm_mean": b.mean(), "diff": d.mean(), "diff_se": np.nan}
    out |= {"rel": np.nan, "rel_se": np.nan}
    if n >= 2:
        out["diff_se"] = d.std(ddof=1) / math.sqrt(n)
    if a.mean() > 0:
        ratio = b.mean() / a.mean()
        out["rel"] = ratio - 1.0
        if n >= 2:
            out["rel_se"] = ((b - ratio * a) / a.mean()).std(ddof=1) / math.sqrt(n)
    return out


def random_effects(effect: np.ndarray, se: np.ndarray) -> dict[str, float]:
    """DerSimonian-Laird split of the spread of point effects into noise and parameter dependence.

    Returns:
        ``tau`` (between-point standard deviation: the part due to the parameters),
        ``typical_se`` (root mean squared standard error: the noise of one point's estimate),
        ``I2`` (tau^2 / (tau^2 + typical_se^2)), ``mean`` (the random-effects mean), and
        Cochran's ``Q`` with ``Q_p``, the chance of a spread at least this large if every point
        had the same effect (chi-squared, points - 1 degrees of freedom): below 0.05, the points'
        effects differ beyond their noise.
    """
    ok = np.isfinite(effect) & np.isfinite(se)
    e, s = effect[ok], np.maximum(se[ok], 1e-12)
    nan = {"tau": np.nan, "typical_se": np.nan, "I2": np.nan, "mean": np.nan, "Q": np.nan, "Q_p": np.nan}
    if len(e) < 2:
        return nan
    w = 1.0 / s**2
    fixed = np.sum(w * e) / w.sum()
    q = np.sum(w * (e - fixed) ** 2)
    tau2 = max(0.0, (q - (len(e) - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    typical2 = float(np.mean(s**2))
    wr = 1.0 / (s**2 + tau2)
    return {
        "tau": math.sqrt(tau2),
        "typical_se": math.sqrt(typical2),
        "I2": tau2 / (tau2 + typical2) if tau2 + typical2 > 0 else np.nan,
        "mean": float(np.sum(wr * e) / wr.sum()),
        "Q": float(q),
        "Q_p": float(chi2.sf(q, len(e) - 1)),
    }


def robustness(points: pd.DataFrame, measure: str = "rel", precision: float = 0.05) -> pd.DataFrame:
    """Each arm's effect over the parameter sets (see the module docstring).

    Args:
        points: :func:`point_effects`.
        measure: ``"rel"`` (relative change) or ``"diff"`` (mean paired difference).
        precision: target half-width of a point's 95% interval, in the measure's unit (0.05:
            +-5 percentage points of relative change).

    Returns:
        One row per arm: ``arm, family, points, replicates, median, p5, p95, min, max,
        share_sign, share_same, share_opposite, tau, typical_se, I2, Q, Q_p, half_width,
        replicates_needed``. ``half_width`` is the median over points of 1.96 se;
        ``replicates_needed`` the replicates per point that bring it to ``precision``.
    """
    rows = []
    for arm, g in points.groupby("arm", sort=False):
        e = g[measure].to_numpy(float)
        se = g[f"{measure}_se"].to_numpy(float)
        ok = np.isfinite(e)
        e_ok, se_ok = e[ok], se[ok]
        row: dict[str, Any] = {"arm": arm, "family": g["family"].iloc[0], "points": int(ok.sum())}
        row["replicates"] = int(g["n"].median()) if len(g) else 0
        if not ok.any():
            rows.append(row)
            continue
        median = float(np.median(e_ok))
        sign = np.sign(median) if median != 0 else 1.0
        lo, hi = e_ok - Z95 * se_ok, e_ok + Z95 * se_ok
        row |= {
            "median": median,
            "p5": float(np.percentile(e_ok, 5)),
            "p95": float(np.percentile(e_ok, 95)),
            "min": float(e_ok.min()),
            "max": float(e_ok.max()),
            "share_sign": float(np.mean(np.sign(e_ok) == sign)),
            "share_same": float(np.mean((lo > 0) if sign > 0 else (hi < 0))),
            "share_opposite": float(np.mean((hi < 0) if sign > 0 else (lo > 0))),
        }
        row |= {k: v for k, v in random_effects(e_ok, se_ok).items() if k != "mean"}
        half = float(np.nanmedian(Z95 * se_ok)) if np.isfinite(se_ok).any() else np.nan
        row["half_width"] = half
        row["replicates_needed"] = replicates_needed(row["replicates"], half, precision)
        rows.append(row)
    return pd.DataFrame(rows)


def replicates_needed(n: int, half_width: float, target: float) -> float:
    """Replicates that bring a half-width measured with ``n`` to ``target`` (at least 2)."""
    if not np.isfinite(half_width) or n < 2:
        return np.nan
    return float(max(2, math.ceil(n * (half_width / target) ** 2)))


def effect_sobol(points: pd.DataFrame, problem: dict[str, Any], n_points: int) -> pd.DataFrame:
    """First-order and total Sobol indices of each arm's effect (SALib), for a Saltelli design.

    The output at each point is the arm's mean paired difference there and, when defined at
    every point, its relative change. Every point must be present (finish the sweep first).

    Returns:
        One row per (arm, measure, parameter): ``S1, S1_conf, ST, ST_conf``.
    """
    from SALib.analyze import sobol

    rows = []
    for arm, g in points.groupby("arm", sort=False):
        g = g.set_index("point").sort_index()
        if len(g) != n_points or not np.array_equal(g.index, np.arange(n_points)):
            raise ValueError(f"arm {arm!r}: the Sobol design is incomplete ({len(g)} of {n_points} points)")
        for measure in ("diff", "rel"):
            y = g[measure].to_numpy(float)
            if not np.isfinite(y).all() or np.ptp(y) == 0:
                continue
            si = sobol.analyze(problem, y, calc_second_order=False, seed=0)
            for i, name in enumerate(problem["names"]):
                rows.append(
                    {
                        "arm": arm,
                        "measure": measure,
                        "parameter": name,
                        "S1": si["S1"][i],
                        "S1_conf": si["S1_conf"][i],
                        "ST": si["ST"][i],
                        "ST_conf": si["ST_conf"][i],
                    }
                )
    return pd.DataFrame(rows)


def replicates_for_precision(runs: pd.DataFrame, metric: str, precision: float) -> pd.DataFrame:
    """Per arm, the half-width of its effect at a point and the replicates that reach ``precision``
    (the relative change of ``metric``; :func:`robustness`)."""
    return robustness(point_effects(runs, metric), "rel", precision)[
        ["arm", "points", "replicates", "median", "half_width", "replicates_needed"]
    ]
