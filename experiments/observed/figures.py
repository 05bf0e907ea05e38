"""Figures of observed cascades against the model: comparisons, validation and forecasts."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .curves import CURVES, Comparison


def comparison_figure(cmp: Comparison, title: str | None = None) -> plt.Figure:
    """Observed scale, depth and maximum breadth against the simulated median and 90% band."""
    sns.set_theme(style="whitegrid", context="notebook")
    obs = cmp.observed_curves().melt("minutes", list(CURVES), "curve")
    band = cmp.band()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    metrics = cmp.metrics()
    for ax, curve in zip(axes, CURVES, strict=True):
        b = band[band.curve == curve]
        ax.fill_between(
            b["minutes"], b["low"], b["high"], color="#4C72B0", alpha=0.2, linewidth=0, label="simulated 90%"
        )
        ax.plot(b["minutes"], b["median"], color="#4C72B0", linewidth=1.8, label="simulated median")
        o = obs[obs.curve == curve]
        ax.plot(o["minutes"], o["value"], color="#C44E52", linewidth=1.8, label="observed")
        ax.set_title(f"{curve}  (NRMSE {metrics['nrmse_' + curve]:.2f})")
        ax.set_xlabel("minutes after the source post")
    axes[0].set_ylabel("participants / depth / posts at one depth")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(title or f"cascade {cmp.observed.name}")
    return fig


def validation_nrmse_figure(result: pd.DataFrame) -> plt.Figure:
    """NRMSE of scale, depth and maximum breadth per cascade, with the OASIS level and our target."""
    sns.set_theme(style="whitegrid", context="notebook")
    long = result.melt("cascade", ["nrmse_scale", "nrmse_depth", "nrmse_breadth"], "curve", "NRMSE")
    long["curve"] = long["curve"].str.removeprefix("nrmse_")
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    sns.boxplot(data=long, x="curve", y="NRMSE", color="#DDDDDD", showfliers=False, ax=ax)
    sns.stripplot(data=long, x="curve", y="NRMSE", color="#4C72B0", alpha=0.5, size=3, ax=ax)
    ax.axhline(0.30, color="#C44E52", linestyle="--", linewidth=1.2)
    ax.axhline(0.20, color="#55A868", linestyle=":", linewidth=1.2)
    ax.text(2.45, 0.305, "OASIS ~0.30", color="#C44E52", fontsize=8, ha="right", va="bottom")
    ax.text(2.45, 0.205, "target 0.20", color="#55A868", fontsize=8, ha="right", va="bottom")
    med = long.groupby("curve")["NRMSE"].median()
    ax.set_title(
        "first 150 minutes, per cascade; medians: "
        + ", ".join(f"{k} {med[k]:.2f}" for k in ("scale", "depth", "breadth"))
    )
    return fig


ERROR_CAP = 10.0  # relative errors above this are drawn at it
FORECASTERS = {
    "forecast_error": "pileon",
    "forecast_error_unpooled": "pileon, no prior",
    "forecast_error_hawkes": "Hawkes",
    "forecast_error_naive": "naive",
}


def validation_forecast_figure(result: pd.DataFrame) -> plt.Figure:
    """First-hour forecast errors of pileon, the Hawkes baseline and (where the report has them)
    pileon without its population prior and the naive forecast, side by side over the cascades
    every one scored; pileon and Hawkes paired."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    cols = [c for c in FORECASTERS if c in result]
    result = result.dropna(subset=cols)
    shown = result.assign(**{c: result[c].clip(upper=ERROR_CAP) for c in cols})  # supercritical Hawkes fits
    long = shown.melt("cascade", cols, "model", "relative error")
    long["model"] = long["model"].map(FORECASTERS)
    med = result[cols].median()  # of the unclipped errors
    palette = ["#4C72B0", "#8172B3", "#DD8452", "#937860"][: len(cols)]
    sns.boxplot(data=long, x="model", y="relative error", color="#DDDDDD", showfliers=False, ax=ax)
    sns.stripplot(
        data=long, x="model", y="relative error", hue="model", palette=palette, alpha=0.5, size=3, legend=False, ax=ax
    )
    ax.set_yscale("log")
    ax.set_xlabel("")
    off = int((result[cols] > ERROR_CAP).to_numpy().sum())
    ax.set_title(
        "72 h size from the first hour, medians: "
        + ", ".join(f"{FORECASTERS[c]} {med[c]:.2f}" for c in cols)
        + (f"\n({off} errors above {ERROR_CAP:g} drawn at {ERROR_CAP:g})" if off else ""),
        fontsize=9,
    )
    both = shown.dropna(subset=["forecast_error", "forecast_error_hawkes"])
    ax2.scatter(both["forecast_error_hawkes"], both["forecast_error"], s=10, alpha=0.6, color="#4C72B0")
    lim = [
        max(1e-3, both[["forecast_error", "forecast_error_hawkes"]].min().min()),
        max(1.0, both[["forecast_error", "forecast_error_hawkes"]].max().max()),
    ]
    ax2.plot(lim, lim, color="#999999", linestyle="--", linewidth=1)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("Hawkes relative error")
    ax2.set_ylabel("pileon relative error")
    ax2.set_title(
        f"per cascade: pileon better below the line ({(both.forecast_error < both.forecast_error_hawkes).mean():.0%})",
        fontsize=10,
    )
    return fig


def forecast_figure(rows: pd.DataFrame, observe: float = 60.0) -> plt.Figure:
    """Per cascade (ordered by the posts seen): the posts in the first ``observe`` minutes, pileon's
    forecast of the 72-hour size with its 90% interval, the Hawkes forecast, and the actual size
    where it is known."""
    sns.set_theme(style="whitegrid", context="notebook")
    rows = rows.sort_values("observed_first_hour").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(rows) + 2), 4.5), layout="constrained")
    x = np.arange(len(rows))
    ax.vlines(
        x,
        rows["final_pileon_low"],
        rows["final_pileon_high"],
        color="#4C72B0",
        linewidth=3,
        alpha=0.35,
        label="pileon, 90% interval",
    )
    ax.scatter(x, rows["final_pileon"], color="#4C72B0", s=30, zorder=3, label="pileon")
    ax.scatter(x, rows["final_hawkes"], color="#DD8452", marker="D", s=22, zorder=3, label="Hawkes")
    ax.scatter(
        x,
        rows["observed_first_hour"],
        color="#999999",
        marker="_",
        s=120,
        zorder=3,
        label=f"seen in the first {observe:g} min",
    )
    if rows["final_actual"].notna().any():
        ax.scatter(x, rows["final_actual"], color="black", marker="x", s=30, zorder=4, label="actual")
    ax.set_yscale("log")
    ax.set_xticks(x, rows["cascade"].astype(str), rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("posts by 72 hours")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def stance_figure(observed: dict[str, pd.DataFrame], model: dict[str, pd.DataFrame]) -> plt.Figure:
    """Left: the against share of partisan replies by thread age, observed (with bootstrap intervals
    over threads) and simulated (with intervals over runs). Right: the share of each stance among
    all observed replies by age (the model has no neutral replies)."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
    first = next(iter(observed.values()))
    ages = [a for a in first["age"] if a not in ("all", "drift")]
    x = np.arange(len(ages))
    series = [(name, t, "o", c) for (name, t), c in zip(observed.items(), ("#C44E52", "#DD8452"), strict=False)]
    series += [(name, t, "s", c) for (name, t), c in zip(model.items(), ("#4C72B0", "#8172B3"), strict=False)]
    width = 0.6 / max(len(series), 1)
    for k, (name, t, marker, colour) in enumerate(series):
        t = t.set_index("age").loc[ages]
        dx = (k - (len(series) - 1) / 2) * width
        yerr = np.vstack((t["against"] - t["against_low"], t["against_high"] - t["against"]))
        ax.errorbar(
            x + dx,
            t["against"],
            yerr=np.nan_to_num(yerr),
            fmt=marker + "-",
            color=colour,
            capsize=3,
            linewidth=1.4,
            markersize=5,
            label=name,
        )
    ax.set_xticks(x, ages, rotation=20)
    ax.set_ylim(0, 1)
    ax.set_xlabel("thread age (time after the source post)")
    ax.set_ylabel("against share: deny / (deny + support)\nmodel: attack / (attack + defend)")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("partisan replies against the source post (90% intervals)", fontsize=10)
    colours = {"support": "#55A868", "deny": "#C44E52", "query": "#8172B3", "comment": "#999999"}
    for (name, t), style in zip(observed.items(), ("-", "--"), strict=False):
        t = t.set_index("age").loc[ages]
        for s, c in colours.items():
            ax2.plot(x, t[f"share_{s}"], style, color=c, marker="o", markersize=4, label=f"{s} ({name})")
    ax2.set_xticks(x, ages, rotation=20)
    ax2.set_ylim(0, 1)
    ax2.set_xlabel("thread age (time after the source post)")
    ax2.set_ylabel("share of all replies")
    ax2.set_title("observed stance of all replies (the model has no query or comment)", fontsize=10)
    ax2.legend(fontsize=7, ncol=2, loc="upper right")
    return fig
