"""Figures of one run, and what every figure shares (saving, colours). Figures are drawn from results,
never from a model; those of observed cascades are in ``observed/figures.py``, those of sweeps in
``sweeps/figures.py``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import seaborn as sns

from pileon.model.results import RunResult

from .anchors import CHECKS, Anchor, _clock, _h

INTERVENTION_LABELS = {
    "protect": "target goes private",
    "counter_speech": "counter-speech campaign",
    "removal": "first removal",
    "suspend": "first suspension",
    "friction": "first friction prompt",
    "circuit_breaker": "circuit breaker trips",
    "downrank": "down-ranking",
    "nudge": "sharing nudge",
}
PALETTE = {"seed_post": "#444444", "amplify": "#4C72B0", "attack": "#C44E52", "defend": "#55A868"}


def run_timeline_figure(
    result: RunResult,
    anchors: dict[str, Anchor] | None = None,
    bin_minutes: int = 10,
    title: str | None = None,
) -> plt.Figure:
    """Posts per ``bin_minutes`` by action against clock time, with cumulative posts below.

    Anchors (from anchors.csv) are drawn as shaded windows and lines when given.
    """
    tl = result.timeline().set_index("clock")
    binned = tl[["amplify", "attack", "defend"]].resample(f"{bin_minutes}min").sum()
    long = binned.reset_index().melt("clock", var_name="action", value_name="posts")
    sns.set_theme(style="whitegrid", context="notebook")
    fig, (ax, ax2) = plt.subplots(
        2, 1, figsize=(11, 6.5), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]}, layout="constrained"
    )
    sns.lineplot(data=long, x="clock", y="posts", hue="action", palette=PALETTE, ax=ax, linewidth=1.6)
    ax.set_ylabel(f"posts per {bin_minutes} min")
    ax.legend(title=None, loc="upper right")
    cum = tl["posts"].cumsum()
    ax2.plot(cum.index, cum.values, color="#333333", linewidth=1.6, label="all posts")
    ax2.set_ylabel("posts so far")
    ax2.set_xlabel("local clock time")
    ax2.xaxis.set_major_formatter(mdates.DateFormatter("%a %H:%M"))
    if result.trend_step is not None:
        for a in (ax, ax2):
            a.axvline(result.clock(result.trend_step), color="#8172B3", linestyle=":", linewidth=1.2)
        ax.annotate(
            "case trends",
            (result.clock(result.trend_step), 0.02),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            color="#8172B3",
            fontsize=8,
        )
    for i, iv in enumerate(result.interventions):
        if iv["acted_at"] is None:
            continue
        t = result.clock(iv["acted_at"])
        for a in (ax, ax2):
            a.axvline(t, color="#2F4F4F", linestyle="-.", linewidth=1.0)
        ax.annotate(
            INTERVENTION_LABELS.get(iv["kind"], iv["kind"]),
            (t, 0.97 - 0.07 * i),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            color="#2F4F4F",
            fontsize=8,
            va="top",
        )
    if anchors:
        _mark_anchors(ax, ax2, result, anchors)
    ax.set_title(title or f"pileon run: {result.summary['total_posts']:,} posts, seed {result.seed}")
    return fig


def _mark_anchors(ax: plt.Axes, ax2: plt.Axes, result: RunResult, anchors: dict[str, Anchor]) -> None:
    day = dt.datetime.combine(result.start.date(), dt.time())

    def at(hhmm: str) -> dt.datetime:
        return day + dt.timedelta(hours=_h(hhmm))

    grey = dict(color="#999999", alpha=0.18, linewidth=0)
    if "seed_post_clock_time" in anchors:
        a = anchors["seed_post_clock_time"]
        for axis in (ax, ax2):
            axis.axvspan(at(a.low), at(a.high), **grey)
        ax2.annotate(
            "seed post\n(observed window)",
            (at(a.low), 0.95),
            xycoords=("data", "axes fraction"),
            va="top",
            fontsize=8,
            color="#555555",
        )
    checks = {c.quantity: c for c in CHECKS}
    if "hostile_wave_onset_clock_time" in anchors:
        c = checks["hostile_wave_onset_clock_time"]
        t0, t1 = day + dt.timedelta(hours=c.low), day + dt.timedelta(hours=c.high)
        ax.axvspan(t0, t1, color=PALETTE["attack"], alpha=0.12, linewidth=0)
        ax.annotate(
            f"hostile wave 'since 11 a.m.'\n(onset {_clock(c.low)}-{_clock(c.high)})",
            (t0, 0.8),
            xycoords=("data", "axes fraction"),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
            color=PALETTE["attack"],
        )
    if "interview_clock_time" in anchors and "posts_about_case_by_interview" in anchors:
        a = anchors["interview_clock_time"]
        c = checks["posts_about_case_by_interview"]
        said = float(anchors["posts_about_case_by_interview"].low)
        ax2.fill_between([at(a.low), at(a.high)], c.low, c.high, color="#DD8452", alpha=0.2, linewidth=0)
        ax2.annotate(
            f"'already {said:,.0f} tweets': {c.low:,.0f}-{c.high:,.0f} by the interview ({a.low}-{a.high})",
            (at(a.low), c.high),
            xytext=(4, 2),
            textcoords="offset points",
            fontsize=8,
            color="#A0522D",
            va="bottom",
        )


def save(fig: plt.Figure, path: str | Path) -> Path:
    """Write a figure as PNG and close it."""
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
