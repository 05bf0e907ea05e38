"""Figures of observed cascades against the model: comparisons, validation and forecasts."""

from __future__ import annotations

from typing import Any

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
    """In-sample fit: NRMSE of scale, depth and maximum breadth per cascade after calibrating six
    parameters to its first 150 minutes, beside the template and flat-line nulls (one number each
    from the cascade itself)."""
    sns.set_theme(style="whitegrid", context="notebook")
    models = {"": "pileon (6 fitted)", "_template": "template (1 number)", "_flat": "flat line (1 number)"}
    frames = []
    for suffix, model in models.items():
        cols = [f"nrmse_{k}{suffix}" for k in CURVES]
        if all(c in result for c in cols):
            part = result[["cascade", *cols]].rename(columns=dict(zip(cols, CURVES, strict=True)))
            frames.append(part.melt("cascade", list(CURVES), "curve", "NRMSE").assign(model=model))
    long = pd.concat(frames, ignore_index=True).dropna()
    fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
    palette = dict(zip(models.values(), ["#4C72B0", "#937860", "#BBBBBB"], strict=True))
    sns.boxplot(data=long, x="curve", y="NRMSE", hue="model", palette=palette, showfliers=False, ax=ax)
    med = long.groupby(["model", "curve"])["NRMSE"].median()
    ax.set_title(
        "In-sample fit of the first 150 minutes (not a prediction); medians: "
        + "; ".join(
            f"{m.split(' (')[0]} " + "/".join(f"{med[m][k]:.3f}" for k in CURVES)
            for m in models.values()
            if m in med.index.get_level_values(0)
        ),
        fontsize=9,
    )
    ax.set_xlabel("curve (scale / depth / breadth)")
    ax.legend(fontsize=8)
    return fig


ERROR_CAP = 10.0  # relative errors above this are drawn at it
FORECASTERS = {
    "forecast_error": "pileon",
    "forecast_error_unpooled": "pileon, no prior",
    "forecast_error_hawkes": "Hawkes",
    "forecast_error_naive": "naive",
    "forecast_error_sizenull": "size-cond.",
    "forecast_error_analog": "analog",
    "forecast_error_nogrowth": "no growth",
}


def validation_forecast_figure(result: pd.DataFrame, title: str = "72 h size from the first hour") -> plt.Figure:
    """Out-of-sample prediction: the forecast errors of pileon, pileon without its population prior,
    the Hawkes process and the null models (those the report has), side by side over the cascades
    every one scored; pileon and Hawkes paired."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained", width_ratios=(3, 2))
    cols = [c for c in FORECASTERS if c in result and result[c].notna().any()]
    result = result.dropna(subset=cols)
    shown = result.assign(**{c: result[c].clip(upper=ERROR_CAP) for c in cols})  # supercritical Hawkes fits
    long = shown.melt("cascade", cols, "model", "relative error")
    long["model"] = long["model"].map(FORECASTERS)
    med = result[cols].median()  # of the unclipped errors
    palette = ["#4C72B0", "#8172B3", "#DD8452", "#937860", "#55A868", "#C44E52", "#BBBBBB"][: len(cols)]
    sns.boxplot(data=long, x="model", y="relative error", color="#DDDDDD", showfliers=False, ax=ax)
    sns.stripplot(
        data=long, x="model", y="relative error", hue="model", palette=palette, alpha=0.5, size=3, legend=False, ax=ax
    )
    ax.set_yscale("log")
    ax.set_xlabel("")
    off = int((result[cols] > ERROR_CAP).to_numpy().sum())
    ax.set_title(
        f"Out-of-sample prediction: {title}, {len(result)} cascades; medians:\n"
        + ", ".join(f"{FORECASTERS[c]} {med[c]:.3f}" for c in cols)
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
    """Out-of-sample prediction, per cascade (ordered by the posts seen): the posts in the first
    ``observe`` minutes, pileon's forecast of the 72-hour size with its 90% interval, the Hawkes
    forecast, the naive pooled growth (where the rows have it), and the actual size where it is
    known."""
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
    if "final_naive" in rows:
        ax.scatter(x, rows["final_naive"], color="#937860", marker="s", s=18, zorder=3, label="naive pooled growth")
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
    ax.set_title(f"Out-of-sample prediction of the posts by 72 hours from the first {observe:g} minutes", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return fig


PILEON_COLOURS = {"pileon": "#4C72B0", "naive": "#937860", "hawkes": "#DD8452", "nogrowth": "#999999"}
PILEON_LABELS = {
    "pileon": "pileon (90% interval)",
    "naive": "naive pooled growth",
    "hawkes": "Hawkes",
    "nogrowth": "no further growth",
}


def pileon_figure(tl: Any, row: pd.Series, daily: pd.DataFrame) -> plt.Figure:
    """One pile-on: its observed hourly volume with the onset, the first day (what the forecast
    saw), the peak, and the out-of-sample prediction of each later day's volume (drawn as the mean
    hourly volume of that day) by pileon with its 90% interval and by the nulls; below, the
    cumulative volume from the onset against each forecast."""
    sns.set_theme(style="whitegrid", context="notebook")
    hourly = tl.hourly()
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(12, 7), layout="constrained", height_ratios=(3, 2))
    ax.bar(np.arange(len(hourly)), hourly, width=1.0, color="#CCCCCC", label="observed posts per hour")
    onset = row.get("onset_hour")
    ax.set_xlabel(f"hours after {tl.start:%Y-%m-%d %H:00} UTC")
    ax.set_ylabel("posts per hour")
    title = f"{tl.name}: {len(tl):,} posts"
    if pd.notna(onset):
        onset = int(onset)
        ax.axvspan(onset, onset + 24, color="#4C72B0", alpha=0.08, label="first day (seen by the forecasts)")
        ax.axvline(onset, color="black", linewidth=1, linestyle="--", label=f"onset {row['onset'][:16]}")
        if pd.notna(row.get("peak_hours")):
            peak = onset + int(row["peak_hours"])
            ax.plot(peak + 0.5, hourly[peak], "v", color="#C44E52", label=f"peak (+{int(row['peak_hours'])} h)")
    if len(daily):
        starts = onset + 24 * (daily["day"].to_numpy() - 1)
        later = daily["day"].to_numpy() > 1
        for model, colour in PILEON_COLOURS.items():
            if model in daily and daily[model].notna().any():
                ax.hlines(
                    daily[model][later] / 24,
                    starts[later],
                    starts[later] + 24,
                    color=colour,
                    linewidth=2,
                    label=f"{PILEON_LABELS[model]}, each day's mean per hour",
                )
        ax.fill_between(
            np.repeat(starts[later], 2) + np.tile([0, 24], later.sum()),
            np.repeat(daily["pileon_low"][later] / 24, 2),
            np.repeat(daily["pileon_high"][later] / 24, 2),
            color=PILEON_COLOURS["pileon"],
            alpha=0.15,
            linewidth=0,
        )
        days = daily["day"].to_numpy()
        ax2.plot(days, daily["cum_observed"], "ko-", label="observed")
        ax2.fill_between(
            days,
            daily["cum_pileon_low"],
            daily["cum_pileon_high"],
            color=PILEON_COLOURS["pileon"],
            alpha=0.15,
            linewidth=0,
        )
        for model, colour in PILEON_COLOURS.items():
            if f"cum_{model}" in daily:
                ax2.plot(days, daily[f"cum_{model}"], "o-", color=colour, markersize=3, label=PILEON_LABELS[model])
        ax2.set_yscale("log")
        err = ", ".join(
            f"{k} {row.get(c, np.nan):.2f}"
            for k, c in (
                ("pileon", "forecast_error"),
                ("naive", "forecast_error_naive"),
                ("Hawkes", "forecast_error_hawkes"),
                ("no growth", "forecast_error_nogrowth"),
            )
        )
        title += f"; out-of-sample prediction from the first day; relative error at +3 days: {err}"
    else:
        ax2.text(0.5, 0.5, str(row.get("note", "no forecast")), ha="center", va="center", transform=ax2.transAxes)
    ax2.set_xlabel("days after the onset")
    ax2.set_ylabel("posts since the onset")
    ax2.legend(fontsize=8, loc="lower right")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title, fontsize=10)
    return fig


def pileon_forecast_figure(result: pd.DataFrame) -> plt.Figure:
    """Out-of-sample prediction of pile-ons' volume at onset + 3 and + 7 days from the first day:
    each pile-on's relative error by forecast, one panel per horizon (a pile-on appears where its
    data reach that far)."""
    sns.set_theme(style="whitegrid", context="notebook")
    models = {
        "": "pileon",
        "_unpooled": "pileon, no prior",
        "_naive": "naive",
        "_hawkes": "Hawkes",
        "_nogrowth": "no growth",
    }
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained", sharey=True)
    for ax, (days, tag) in zip(axes, ((3, ""), (7, "_7d")), strict=True):
        cols = {
            f"forecast_error{suffix}{tag}": m
            for suffix, m in models.items()
            if f"forecast_error{suffix}{tag}" in result
        }
        long = result.melt("cascade", list(cols), "model", "relative error").dropna()
        long["model"] = long["model"].map(cols)
        if long.empty:
            ax.text(0.5, 0.5, f"no pile-on followed to onset + {days} days", ha="center", transform=ax.transAxes)
            continue
        sns.stripplot(data=long, x="model", y="relative error", hue="cascade", size=8, jitter=0.1, ax=ax)
        med = long.groupby("model", sort=False)["relative error"].median()
        ax.scatter(range(len(med)), med.to_numpy(), marker="_", s=900, color="black", zorder=3, label="median")
        ax.set_yscale("log")
        ax.set_xlabel("")
        n = long["cascade"].nunique()
        medians = ", ".join(f"{m} {v:.2f}" for m, v in med.items())
        ax.set_title(f"volume at onset + {days} days ({n} pile-ons); medians:\n{medians}", fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle("Out-of-sample prediction of pile-ons from their first day after the onset", fontsize=11)
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
