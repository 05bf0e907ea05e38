"""Figures of a sweep's results: effects by arm, timelines by arm, dose-response, heatmaps, Sobol indices.

They read the store's tables (as pandas frames), never a model.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns


def forest_figure(effects: pd.DataFrame, metrics: tuple[str, ...]) -> plt.Figure:
    """Relative change (with 95% interval) of each arm against the baseline, one panel per metric."""
    metrics = tuple(m for m in metrics if m in set(effects["metric"]))
    arms = list(dict.fromkeys(effects["arm"]))
    fig, axes = plt.subplots(
        1,
        len(metrics),
        figsize=(5.5 * len(metrics), 1.2 + 0.42 * len(arms)),
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    colors = dict(zip(dict.fromkeys(effects["family"]), sns.color_palette("deep"), strict=False))
    for ax, m in zip(axes[0], metrics, strict=True):
        e = effects[effects["metric"] == m].set_index("arm").reindex(arms)
        y = np.arange(len(arms))
        for i, (_, r) in enumerate(e.iterrows()):
            ax.errorbar(
                100 * r["rel_change"],
                i,
                xerr=[[100 * (r["rel_change"] - r["rel_lo"])], [100 * (r["rel_hi"] - r["rel_change"])]],
                fmt="o",
                color=colors.get(r["family"], "k"),
                capsize=3,
            )
        ax.axvline(0, color="#444444", lw=1)
        ax.set_yticks(y, arms)
        ax.invert_yaxis()
        ax.set_xlabel(f"{m}: change vs no intervention (%)")
    axes[0][0].set_title("effect with 95% bootstrap interval", loc="left", fontsize=11)
    return fig


def arms_timeline_figure(runs: pd.DataFrame, timelines: pd.DataFrame, arms: list[str], column: str) -> plt.Figure:
    """Mean ``column`` per time bin by arm, with a 95% band (normal interval over runs)."""
    arm_of = runs.set_index("run_id")["arm"]
    bin_minutes = (
        float(np.diff(np.unique(timelines["minute"]))[:1].min()) if timelines["minute"].nunique() > 1 else 10.0
    )
    n_bins = int(timelines["minute"].max() / bin_minutes) + 1
    fig, ax = plt.subplots(figsize=(11, 4.8), layout="constrained")
    colors = sns.color_palette("deep", len(arms))
    for color, arm in zip(colors, arms, strict=True):
        ids = arm_of.index[arm_of == arm]
        grid = np.zeros((len(ids), n_bins))
        pos = {r: i for i, r in enumerate(ids)}
        t = timelines[timelines["run_id"].isin(ids)]
        grid[t["run_id"].map(pos).to_numpy(), (t["minute"] / bin_minutes).round().astype(int).to_numpy()] = t[column]
        mean = grid.mean(axis=0)
        half = 1.96 * grid.std(axis=0, ddof=1) / np.sqrt(len(ids)) if len(ids) > 1 else np.zeros(n_bins)
        hours = np.arange(n_bins) * bin_minutes / 60.0
        ax.plot(hours, mean, color=color, lw=1.6, label=f"{arm} (n={len(ids)})")
        ax.fill_between(hours, mean - half, mean + half, color=color, alpha=0.2, lw=0)
    ax.set_xlabel("hours after the seed post")
    ax.set_ylabel(f"{column.replace('_', ' ')} per {bin_minutes:g} min")
    ax.set_xlim(0, None)
    ax.set_ylim(0, None)
    ax.legend(fontsize=9, frameon=False)
    ax.set_title("mean over runs, band: 95% interval of the mean", loc="left", fontsize=11)
    return fig


def dose_figure(runs: pd.DataFrame, effects: pd.DataFrame, dose: dict[str, str], metric: str) -> plt.Figure:
    """Relative change in ``metric`` against the swept setting of each arm family."""
    fig, axes = plt.subplots(1, len(dose), figsize=(5 * len(dose), 4), squeeze=False, layout="constrained")
    setting_of = runs.drop_duplicates("arm").set_index("arm")
    for ax, (family, col) in zip(axes[0], dose.items(), strict=True):
        e = effects[(effects["family"] == family) & (effects["metric"] == metric)].copy()
        e["x"] = e["arm"].map(setting_of[col]).astype(float)
        e = e.sort_values("x")
        ax.errorbar(
            e["x"],
            100 * e["rel_change"],
            yerr=[100 * (e["rel_change"] - e["rel_lo"]), 100 * (e["rel_hi"] - e["rel_change"])],
            fmt="o-",
            capsize=3,
        )
        ax.axhline(0, color="#444444", lw=1)
        ax.set_xlabel(col)
        ax.set_ylabel(f"{metric}: change (%)")
        ax.set_title(family, loc="left", fontsize=11)
    return fig


def heatmap_figure(runs: pd.DataFrame, x: str, y: str, metric: str) -> plt.Figure:
    """Mean ``metric`` over two swept parameters (binned into quintiles if sampled), by arm."""
    arms = list(dict.fromkeys(runs["arm"]))[:6]
    df = runs[runs["arm"].isin(arms)].copy()
    for c in (x, y):
        if df[c].nunique() > 8:
            df[c] = pd.qcut(df[c], 5).apply(lambda iv: f"{iv.mid:.3g}")
    fig, axes = plt.subplots(1, len(arms), figsize=(4.2 * len(arms), 3.8), squeeze=False, layout="constrained")
    vmax = df.groupby(["arm", x, y], observed=True)[metric].mean().max()
    for ax, arm in zip(axes[0], arms, strict=True):
        table = df[df["arm"] == arm].pivot_table(index=y, columns=x, values=metric, aggfunc="mean", observed=True)
        sns.heatmap(
            table.sort_index(ascending=False),
            ax=ax,
            cmap="rocket_r",
            vmin=0,
            vmax=vmax,
            annot=table.size <= 30,
            fmt=".0f",
            cbar=ax is axes[0][-1],
        )
        ax.set_title(arm, fontsize=10)
    fig.suptitle(f"mean {metric}", x=0.01, ha="left", fontsize=11)
    return fig


def sobol_figure(sobol: pd.DataFrame, metric: str) -> plt.Figure:
    """First-order and total Sobol indices with their 95% intervals."""
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "parameter": sobol["parameter"],
                    "index": "first order (S1)",
                    "value": sobol["S1"],
                    "conf": sobol["S1_conf"],
                }
            ),
            pd.DataFrame(
                {"parameter": sobol["parameter"], "index": "total (ST)", "value": sobol["ST"], "conf": sobol["ST_conf"]}
            ),
        ]
    )
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.5 * len(sobol)), layout="constrained")
    sns.barplot(data=long, y="parameter", x="value", hue="index", ax=ax)
    for bar_container, (_, g) in zip(ax.containers, long.groupby("index", sort=False), strict=False):
        for bar, conf in zip(bar_container, g["conf"], strict=False):
            ax.errorbar(bar.get_width(), bar.get_y() + bar.get_height() / 2, xerr=conf, color="k", capsize=2, lw=1)
    ax.set_xlabel(f"Sobol index of {metric}")
    return fig


def robustness_figure(points: pd.DataFrame, summary: pd.DataFrame, metric: str) -> plt.Figure:
    """Each arm's relative effect at every parameter set (one dot each), with its median and
    5th-95th percentile: how far a conclusion holds over the unmeasured parameters."""
    arms = list(summary["arm"])
    fig, ax = plt.subplots(figsize=(8.5, 1.2 + 0.45 * len(arms)), layout="constrained")
    colors = dict(zip(dict.fromkeys(summary["family"]), sns.color_palette("deep"), strict=False))
    rng = np.random.default_rng(0)  # jitter only
    for i, (_, r) in enumerate(summary.iterrows()):
        e = 100 * points.loc[points["arm"] == r["arm"], "rel"].dropna().to_numpy()
        color = colors.get(r["family"], "k")
        ax.scatter(e, i + rng.uniform(-0.18, 0.18, len(e)), s=9, color=color, alpha=0.45, lw=0)
        if "median" in r and np.isfinite(r["median"]):
            ax.plot([100 * r["p5"], 100 * r["p95"]], [i, i], color="k", lw=2.2, solid_capstyle="butt")
            ax.plot(100 * r["median"], i, "D", color="k", ms=6)
    ax.axvline(0, color="#444444", lw=1)
    ax.set_yticks(
        range(len(arms)), [f"{a}  ({s:.0%} same sign)" for a, s in zip(arms, summary["share_sign"], strict=True)]
    )
    ax.invert_yaxis()
    ax.set_xlabel(f"{metric}: change vs no intervention at each parameter set (%)")
    ax.set_title("dots: parameter sets; diamond: median; bar: 5th-95th percentile", loc="left", fontsize=10)
    return fig


def effect_vs_params_figure(points: pd.DataFrame, params: list[str], metric: str, max_arms: int = 6) -> plt.Figure:
    """Each arm's relative effect at each parameter set against each swept parameter, with the
    median in quintile bins: which unmeasured parameter an effect turns on."""
    arms = list(dict.fromkeys(points["arm"]))[:max_arms]
    fig, axes = plt.subplots(
        len(arms),
        len(params),
        figsize=(2.3 * len(params) + 0.8, 2.0 * len(arms) + 1.4),
        squeeze=False,
        sharey="row",
        layout="constrained",
    )
    for i, arm in enumerate(arms):
        g = points[points["arm"] == arm]
        y = 100 * g["rel"].to_numpy(float)
        half = 100 * 1.96 * g["rel_se"].to_numpy(float)
        for j, param in enumerate(params):
            ax = axes[i][j]
            x = g[param].to_numpy(float)
            ax.errorbar(x, y, yerr=half, fmt="o", ms=2.5, alpha=0.4, lw=0.6, color="#4C72B0")
            ok = np.isfinite(x) & np.isfinite(y)
            if ok.sum() >= 10 and np.ptp(x[ok]) > 0:
                edges = np.quantile(x[ok], np.linspace(0, 1, 6))
                which = np.clip(np.searchsorted(edges, x[ok], side="right") - 1, 0, 4)
                mids = [x[ok][which == k].mean() for k in range(5) if (which == k).any()]
                meds = [np.median(y[ok][which == k]) for k in range(5) if (which == k).any()]
                ax.plot(mids, meds, "-o", color="#C44E52", ms=3, lw=1.5)
            ax.axhline(0, color="#444444", lw=0.8)
            if i == len(arms) - 1:
                ax.set_xlabel(param, fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{arm}\n(%)", fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(
        f"{metric}: change vs no intervention at each parameter set, with its 95% interval\n"
        "(red: median by quintile of the parameter)",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    return fig


def effect_sobol_figure(indices: pd.DataFrame, measure: str = "diff") -> plt.Figure:
    """Total Sobol indices of each arm's effect (rows) for each swept parameter (columns)."""
    table = indices[indices["measure"] == measure].pivot_table(
        index="arm", columns="parameter", values="ST", sort=False
    )
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * table.shape[1], 1.4 + 0.45 * table.shape[0]), layout="constrained")
    sns.heatmap(table.clip(lower=0), ax=ax, cmap="mako_r", vmin=0, vmax=1, annot=True, fmt=".2f", cbar=True)
    ax.set_xlabel("")
    ax.set_ylabel("")
    what = "mean paired difference" if measure == "diff" else "relative change"
    ax.set_title(f"total Sobol index of each arm's effect ({what} per parameter set)", loc="left", fontsize=10)
    return fig
