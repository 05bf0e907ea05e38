"""pileon against pile-on timelines: forecasting the days after a pile-on's first day.

A pile-on is seen as a volume timeline (:mod:`experiments.observed.timelines`). Its onset is found
from the past only; a day later, what is known is the first day's hourly volume. From it, pileon
forecasts the cumulative volume at onset + 3 and + 7 days (:data:`DAYS`) and each day's volume.

The forecast runs the model's pile-on scenario (:func:`scenario`: the ``buffy`` preset, with its
trending channel, attacks and defences, on 100,000 users in 10-minute steps for 8 days) over a
reference table of parameter points drawn from :data:`PRIORS`. Collected counts are a sampled
lower bound of the real volume, so shapes are compared, never sizes: a point's median run is
matched to the observed first day by the distance between the two first days' post-time
distributions (the mean absolute difference of their cumulative shares by hour, in days), its
simulated onset allowed to follow the seed post by up to :data:`LAG_MAX` hours; the forecast is
the observed first-day count times the growth of the matched runs after their first day. As for
cascades (:class:`experiments.observed.forecast.PopulationPrior`), a population prior learned
from training pile-ons seen whole says which points real pile-ons occupy; a pile-on never learns
from itself.

The nulls: no further growth; the naive pooled growth of the training pile-ons; and a Hawkes
process (background rate and exponential kernel) fitted to the first day's post times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from pileon.model import Params
from pileon.model.scenarios import buffy

from . import hawkes
from .calibrate import (
    Prior,
    Simulator,
    _check_priors,
    _map,
    _values,
    load_arrays,
    replicate_seeds,
    save_arrays,
    sobol,
    table_settings,
)
from .forecast import PopulationPrior, weighted_quantile
from .nulls import GrowthNull, relative_error
from .timelines import ONSET_FACTOR, ONSET_MIN_POSTS, Timeline, find_onset

HOURS = 8 * 24  # simulated hours: the longest lag plus the longest forecast
FIRST_DAY = 24  # hours observed after the onset
MAX_DAY = 7  # days after the onset forecast (daily volumes 1..MAX_DAY)
DAYS = (3, 7)  # the forecast horizons scored: cumulative volume at onset + N days
LAG_MAX = 12  # hours a simulated onset may follow the seed post
MIN_FIRST_DAY = 20  # simulated posts a first day needs to be matched (fewer: a shape of noise)
ACCEPT = 10  # points a training pile-on adds to the prior
NEIGHBOURS = 30  # points a forecast is drawn from
POINTS = 1024  # points of the reference table

# The parameters a pile-on forecast varies, each with its bounds (log-uniform unless log=False).
# One line a parameter: a model parameter added to the model is added here to be explored.
PRIORS = (
    Prior("novelty_halflife", 1.0, 96.0),  # hours over which interest in the case fades
    Prior("trend_threshold", 3.0, 75.0),  # posts in the last hour above which the case trends
    Prior("trend_gain", 2.0, 42.0),  # trending impressions an hour per post of the last hour
    Prior("amplify_prob", 0.02, 0.2),  # how readily a viewer shares
    Prior("reply_prob", 0.02, 0.2),  # how readily a viewer attacks or defends
    Prior("sessions_per_day", 3.0, 30.0),  # how often users look
    Prior("hostile_fraction", 0.1, 0.6),  # the share of users hostile to the target
    Prior("seed_clock", 0.0, 24.0, log=False),  # local hour of the seed post (the audience's time zone is unknown)
)


def scenario() -> Params:
    """The pile-on scenario the forecast runs: ``buffy`` on 100,000 users, 10-minute steps, 8 days."""
    return buffy().replace(n_users=100_000, step_minutes=10.0, horizon_hours=float(HOURS))


@dataclass
class _HourlyTask:
    """Posts per hour of seeded runs at one point."""

    simulator: Simulator
    seeds: list[int]
    hours: int

    def __call__(self, values: dict[str, float]) -> np.ndarray:
        out = []
        for r in self.simulator.results(values, self.seeds, self.hours * 60.0):
            per_step = r.counts.sum(axis=1)
            hour = (np.arange(len(per_step)) * r.step_minutes // 60).astype(np.int64)
            out.append(np.bincount(hour, weights=per_step, minlength=self.hours)[: self.hours])
        return np.stack(out)


@dataclass
class PileonTable:
    """Posts per hour of seeded runs of the pile-on scenario at a design of points
    (``hourly``: points, replicates, hours)."""

    priors: tuple[Prior, ...]
    unit: np.ndarray
    hourly: np.ndarray

    @classmethod
    def build(
        cls,
        simulator: Simulator | None = None,
        priors: Sequence[Prior] = PRIORS,
        points: int = POINTS,
        replicates: int = 2,
        seed: int = 0,
        workers: int = 1,
        progress: Callable[[int, int], None] | None = None,
        cache: Path | None = None,
    ) -> PileonTable:
        """Simulate ``replicates`` runs at each of ``points`` scrambled-Sobol points. With ``cache``
        (a ``.npz`` file), a table saved there with the same settings is read instead, and a new one
        is saved there."""
        simulator = simulator or Simulator(base=scenario())
        _check_priors(priors)
        if points < 1 or replicates < 1:
            raise ValueError(f"a reference table needs points >= 1 and replicates >= 1, got {points} and {replicates}")
        hours = int(round(simulator.base.horizon_hours))
        if hours < LAG_MAX + FIRST_DAY * MAX_DAY:
            raise ValueError(f"the pile-on scenario runs {hours} h; a forecast needs {LAG_MAX + FIRST_DAY * MAX_DAY}")
        settings = table_settings(simulator, priors, points, replicates, seed, kind="pile-on")
        if cache is not None and (saved := load_arrays(cache, settings)) is not None:
            return cls(tuple(priors), saved["unit"], saved["hourly"])
        unit = sobol(len(priors), points, seed)
        task = _HourlyTask(simulator, replicate_seeds(seed, replicates), hours)
        hourly = np.stack(_map(task, [_values(priors, u) for u in unit], workers, progress, 0, points))
        if cache is not None:
            save_arrays(cache, settings, unit=unit, hourly=hourly)
        return cls(tuple(priors), unit, hourly)

    def first_day_match(self, first_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each point's distance to an observed first day (posts per hour, 24 values) and the lag
        (hours after the seed post) at which its median run matches it best.

        The distance is the mean absolute difference of the two days' cumulative shares by hour:
        the Wasserstein distance between the post-time distributions, in days. A point whose
        median run makes fewer than ``MIN_FIRST_DAY`` posts in a day is never matched."""
        first_day = np.asarray(first_day, float)
        if len(first_day) != FIRST_DAY or first_day.sum() <= 0:
            raise ValueError(f"a first day is {FIRST_DAY} hourly counts with at least one post")
        med = np.median(self.hourly, axis=1)[:, : LAG_MAX + FIRST_DAY]
        win = sliding_window_view(med, FIRST_DAY, axis=1)  # (points, lags, hours)
        total = win.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            cdf = np.cumsum(win, axis=2) / total[:, :, None]
        d = np.mean(np.abs(cdf - np.cumsum(first_day) / first_day.sum()), axis=2)
        d[~(total >= MIN_FIRST_DAY)] = np.inf
        lag = np.argmin(d, axis=1)
        return d[np.arange(len(d)), lag], lag

    def growth(self, lag: np.ndarray) -> np.ndarray:
        """Per point and replicate, the cumulative volume from the (lagged) onset to the end of
        each day 1..``MAX_DAY`` over the first day's (points, replicates, days); NaN where a run
        made no post in its first day."""
        cum = np.concatenate((np.zeros((*self.hourly.shape[:2], 1)), np.cumsum(self.hourly, axis=2)), axis=2)
        ends = lag[:, None] + FIRST_DAY * np.arange(1, MAX_DAY + 1)  # (points, days)
        at = np.take_along_axis(cum, ends[:, None, :], axis=2) - np.take_along_axis(cum, lag[:, None, None], axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(at[:, :, :1] > 0, at / at[:, :, :1], np.nan)


@dataclass(frozen=True)
class Observed:
    """What a pile-on's timeline gives the forecast: the onset hour, the first day's hourly counts,
    and (for scoring and for training) the cumulative volume at the end of each day after the
    onset that the data cover (NaN beyond)."""

    name: str
    onset: int | None
    first_day: np.ndarray
    cumulative: np.ndarray  # days 1..MAX_DAY

    @classmethod
    def of(cls, tl: Timeline, factor: float = ONSET_FACTOR, min_posts: int = ONSET_MIN_POSTS) -> Observed:
        """The onset (from the past only) and the days after it."""
        hourly = tl.hourly()
        onset = find_onset(hourly, factor, min_posts)
        cum = np.full(MAX_DAY, np.nan)
        if onset is None or onset + FIRST_DAY > len(hourly):
            return cls(tl.name, onset, np.zeros(0), cum)
        ends = onset + FIRST_DAY * np.arange(1, MAX_DAY + 1)
        covered = ends <= len(hourly)
        run = np.cumsum(hourly[onset:])
        cum[covered] = run[ends[covered] - onset - 1]
        return cls(tl.name, onset, hourly[onset : onset + FIRST_DAY].astype(float), cum)

    @property
    def usable(self) -> bool:
        """An onset with a whole first day after it."""
        return len(self.first_day) == FIRST_DAY and self.first_day.sum() > 0


def learn_prior(table: PileonTable, training: Sequence[Observed], accept: int = ACCEPT) -> PopulationPrior:
    """Which table points reproduce whole training pile-ons: for each (by name), the ``accept``
    points closest in first-day shape (the distance of :meth:`PileonTable.first_day_match`) plus
    the mean absolute difference of log growth over the later days its data cover."""
    if accept < 1:
        raise ValueError(f"accept: expected at least 1 point per pile-on, got {accept}")
    accepted = []
    for o in training:
        if not o.usable:
            continue
        d, lag = table.first_day_match(o.first_day)
        sim = np.log(np.nanmedian(table.growth(lag), axis=1))  # (points, days)
        later = np.flatnonzero(np.isfinite(o.cumulative[1:])) + 1
        obs = np.log(o.cumulative[later] / o.cumulative[0])
        d = d + (np.mean(np.abs(sim[:, later] - obs), axis=1) if len(later) else 0.0)
        d = np.where(np.isfinite(d), d, np.inf)
        accepted.append((o.name, np.argsort(d, kind="stable")[:accept]))
    return PopulationPrior(len(table.unit), tuple(accepted))


def growth_null(training: Sequence[Observed]) -> GrowthNull:
    """The pooled growth of training pile-ons: cumulative volume at the end of days 1..MAX_DAY
    over the first day's."""
    usable = [o for o in training if o.usable]
    return GrowthNull.learn([o.name for o in usable], [o.cumulative[0] for o in usable], [o.cumulative for o in usable])


def predict(
    known: Timeline,
    onset: int,
    table: PileonTable,
    prior: PopulationPrior | None = None,
    nulls: GrowthNull | None = None,
    neighbours: int = NEIGHBOURS,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Every forecast made a day after the onset, from ``known`` (the timeline up to the end of its
    first day; any later posts are dropped first). The prior and the nulls leave out training
    pile-ons named as this one.

    Returns:
        The row (``first_day_posts``; per horizon N in :data:`DAYS`: ``final_pileon_{N}d`` with its
        90% interval ``_low``/``_high``, ``final_unpooled_{N}d``, ``final_naive_{N}d``,
        ``final_hawkes_{N}d``, ``final_nogrowth_{N}d``; the matched points' parameters ``fit_*`` and
        ``lag_hours``; the Hawkes fit), and the daily volumes each forecasts (days 1..MAX_DAY).
    """
    known = known.until(onset + FIRST_DAY)
    hourly = known.hourly()
    if len(hourly) < onset + FIRST_DAY:
        hourly = np.concatenate((hourly, np.zeros(onset + FIRST_DAY - len(hourly))))
    first_day = hourly[onset : onset + FIRST_DAY].astype(float)
    seen = float(first_day.sum())
    d, lag = table.first_day_match(first_day)
    growth = table.growth(lag)  # (points, replicates, days)
    per_point = np.nanmedian(growth, axis=1)  # (points, days)
    w = prior.weights(exclude=known.name) if prior is not None else np.zeros(len(d))
    pooled = bool(w.sum() > 0)

    def draw(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        support = np.flatnonzero((weights > 0) & np.isfinite(d) & np.isfinite(per_point).all(axis=1))
        return (near := support[np.argsort(d[support], kind="stable")[:neighbours]]), weights[near]

    near, wn = draw(w if pooled else np.ones(len(d)))
    u_near, u_w = draw(np.ones(len(d)))
    if not len(near):
        raise ValueError(f"{known.name}: no point of the reference table makes a first day to match")
    cum = {
        "pileon": np.array([weighted_quantile(per_point[near, k], wn, 0.5) for k in range(MAX_DAY)]),
        "unpooled": np.array([weighted_quantile(per_point[u_near, k], u_w, 0.5) for k in range(MAX_DAY)]),
    }
    every = growth[near].reshape(-1, MAX_DAY)  # every replicate: the predictive spread
    w_every = np.repeat(wn, growth.shape[1])
    ok = np.isfinite(every).all(axis=1)
    every, w_every = every[ok], w_every[ok]
    each_day = np.diff(every, axis=1, prepend=0.0)

    def spread(a: np.ndarray, q: float) -> np.ndarray:
        return seen * np.array([weighted_quantile(a[:, k], w_every, q) for k in range(MAX_DAY)])

    ends = FIRST_DAY * np.arange(1, MAX_DAY + 1)
    row: dict[str, Any] = {"first_day_posts": seen, "pooled": pooled}
    cum = {k: seen * v for k, v in cum.items()} | {"nogrowth": np.full(MAX_DAY, seen)}
    if nulls is not None:
        cum["naive"] = nulls.naive(seen, exclude=known.name)
    try:
        fit = hawkes.fit_unmarked(known.hours(), float(onset + FIRST_DAY), start=float(onset))
        cum["hawkes"] = fit.expected_count(known.hours(), onset + ends)
        row |= {"hawkes_mu": fit.mu, "hawkes_alpha": fit.alpha, "hawkes_beta": fit.beta}
    except ValueError:  # fewer than 3 posts in the first day
        cum["hawkes"] = np.full(MAX_DAY, np.nan)
    cum_low, cum_high = spread(every, 0.05), spread(every, 0.95)
    for n in DAYS:
        for k, v in cum.items():
            row[f"final_{k}_{n}d"] = float(v[n - 1])
        row[f"final_pileon_{n}d_low"] = float(cum_low[n - 1])
        row[f"final_pileon_{n}d_high"] = float(cum_high[n - 1])
    row["lag_hours"] = weighted_quantile(lag[near].astype(float), wn, 0.5)
    row |= {
        f"fit_{p.name}": float(p.from_unit(weighted_quantile(table.unit[near, i], wn, 0.5)))
        for i, p in enumerate(table.priors)
    }
    daily = pd.DataFrame({"day": np.arange(1, MAX_DAY + 1)})
    for k, v in cum.items():
        daily[k] = np.diff(v, prepend=0.0)
    daily["pileon_low"], daily["pileon_high"] = spread(each_day, 0.05), spread(each_day, 0.95)
    for k, v in cum.items():
        daily[f"cum_{k}"] = v
    daily["cum_pileon_low"], daily["cum_pileon_high"] = cum_low, cum_high
    return row, daily


# each forecast's prediction column final_<name>_<N>d and its error column forecast_error<suffix>
FORECASTERS = {"pileon": "", "unpooled": "_unpooled", "naive": "_naive", "hawkes": "_hawkes", "nogrowth": "_nogrowth"}


def forecast(
    tl: Timeline,
    observed: Observed,
    table: PileonTable,
    prior: PopulationPrior | None = None,
    nulls: GrowthNull | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """:func:`predict` a day after the onset, scored against the rest of the timeline: the relative
    error of the cumulative volume at onset + N days (``forecast_error`` etc. for the first of
    :data:`DAYS`, ``forecast_error_7d`` etc. for the others) and the observed daily volumes."""
    assert observed.onset is not None
    row, daily = predict(tl, observed.onset, table, prior, nulls)
    for i, n in enumerate(DAYS):
        actual = observed.cumulative[n - 1]
        row[f"actual_{n}d"] = actual
        tag = "" if i == 0 else f"_{n}d"
        for name, suffix in FORECASTERS.items():
            row[f"forecast_error{suffix}{tag}"] = relative_error(row.get(f"final_{name}_{n}d", np.nan), actual)
    daily["observed"] = np.diff(observed.cumulative, prepend=0.0)
    daily["cum_observed"] = observed.cumulative
    return row, daily
