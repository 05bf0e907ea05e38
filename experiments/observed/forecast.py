"""Forecasting a cascade from its first hour: pileon (its first hour matched against a reference
table of simulated cascades run on to 72 hours) and the Hawkes baseline fitted to the same hour,
scored on the same quantities.

pileon's forecast is a posterior predictive. The first hour alone says little about how long
attention to a story lasts (``novelty_halflife``, ``visibility_halflife``), so, as SEISMIC learns
its memory kernel from many tweets, the prior over the table's points can be learned from other
cascades: a :class:`PopulationPrior` counts, for each point, how many training cascades it
reproduces as a whole (first hour and later growth). A cascade is then forecast from the
``neighbours`` points closest to its first hour among those the prior supports, weighted by the
prior. Without training cascades every point weighs the same (``pooled`` is False).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import hawkes
from .calibrate import ReferenceTable, distances
from .curves import BIN, CURVES, WINDOW, curves, nrmse
from .nulls import GrowthNull, early_shape, relative_error
from .readers import Cascade

OBSERVE = 60.0  # minutes seen before forecasting
HORIZON = 72 * 60.0  # "final" size: posts within 72 hours (99% of a Twitter15/16 tree, median)
LATER = (90.0, 120.0, 150.0, 240.0, 360.0, 720.0, 1440.0, 2880.0, HORIZON)  # a training cascade's later curve
ACCEPT = 10  # points a training cascade adds to the prior
NEIGHBOURS = 30  # points a forecast is drawn from
POINTS = 2048  # a forecasting table's points: with 512, the median error over the 643 development cascades
# varied from 0.23 to 0.34 with the table's seed; with 2,048 it was 0.24 and 0.26 (docs/observed.md)


def count_times(
    observe: float = OBSERVE, window: float = WINDOW, bin_minutes: float = BIN, later: Sequence[float] = LATER
) -> np.ndarray:
    """Where a reference table must count posts for :func:`forecast` and :class:`PopulationPrior`:
    the ends of the bins from ``observe`` to ``window``, and the ``later`` times."""
    return np.union1d(np.arange(observe, window + bin_minutes / 2, bin_minutes), later)


def first_hour_distances(c: Cascade, table: ReferenceTable, observe: float = OBSERVE) -> np.ndarray:
    """Each table point's distance (mean NRMSE of scale, depth, breadth) to ``c``'s first
    ``observe`` minutes."""
    obs = curves(c.first(observe), observe, table.bin_minutes)[list(CURVES)].to_numpy(float)
    return distances([obs], table.curves)


@dataclass(frozen=True)
class PopulationPrior:
    """Which table points reproduce whole observed cascades: for each training cascade (by name),
    the ``accept`` points closest to its first hour plus its later curve (the mean absolute
    difference of log(1 + posts so far) at ``LATER``)."""

    points: int
    accepted: tuple[tuple[str, np.ndarray], ...]

    @classmethod
    def learn(
        cls,
        table: ReferenceTable,
        cascades: Sequence[Cascade],
        accept: int = ACCEPT,
        observe: float = OBSERVE,
        later: Sequence[float] = LATER,
    ) -> PopulationPrior:
        """Learn the prior from ``cascades`` (each must be followed to the last of ``later``)."""
        if accept < 1:
            raise ValueError(f"accept: expected at least 1 point per cascade, got {accept}")
        times = (observe, *later)
        cols = [table.count_index(t) for t in times]
        sim = np.log1p(np.median(table.counts[:, :, cols], axis=1))  # (points, times)
        accepted = []
        for c in cascades:
            obs = np.log1p(np.searchsorted(c.minutes, times, side="right"))
            d = first_hour_distances(c, table, observe) + np.mean(np.abs(sim - obs), axis=1)
            accepted.append((c.key, np.argsort(d, kind="stable")[:accept]))
        return cls(len(table.unit), tuple(accepted))

    def weights(self, exclude: str | None = None) -> np.ndarray:
        """Per table point, how many training cascades accepted it, leaving out every cascade
        named ``exclude`` (the one being forecast)."""
        w = np.zeros(self.points)
        for name, idx in self.accepted:
            if name != exclude:
                np.add.at(w, idx, 1.0)
        return w


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The smallest value of ``x`` with at least a share ``q`` of the weight ``w`` at or below it."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return float(x[order][min(np.searchsorted(cum, q * cum[-1]), len(x) - 1)])


def growth_null(cascades: Sequence[Cascade], observe: float = OBSERVE, horizon: float = HORIZON) -> GrowthNull:
    """The growth nulls (:class:`experiments.observed.nulls.GrowthNull`) learned from cascades
    followed to ``horizon``: their posts by ``observe`` and by ``horizon``."""
    return GrowthNull.learn(
        [c.key for c in cascades],
        [np.sum(c.minutes <= observe) for c in cascades],
        [[np.sum(c.minutes <= horizon)] for c in cascades],
        shape=[early_shape(c.minutes, observe) for c in cascades],
    )


def predict(
    early: Cascade,
    table: ReferenceTable,
    prior: PopulationPrior | None = None,
    nulls: GrowthNull | None = None,
    observe: float = OBSERVE,
    horizon: float = HORIZON,
    window: float = WINDOW,
    neighbours: int = NEIGHBOURS,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every forecast made from a cascade's first ``observe`` minutes, and nothing else: posts after
    them are dropped before anything is computed, and the prior and the nulls leave out training
    cascades named as this one.

    pileon's prediction is the count at ``observe`` times the growth from ``observe`` on of the
    ``neighbours`` table points closest to the first hour (among those ``prior`` supports, weighted
    by it), so that the forecast starts from what was seen rather than from a fresh run. The table
    needs post counts at :func:`count_times`.

    Returns:
        The predictions (``final_pileon`` with its 90% predictive interval ``final_pileon_low`` /
        ``_high``, ``final_unpooled`` with every table point weighing the same, ``final_hawkes``,
        ``final_nogrowth``, and with ``nulls`` ``final_naive``, ``final_sizenull`` and ``final_analog``; the fitted
        values ``fit_*``), and the predicted cumulative posts at the ends of the bins from
        ``observe`` to ``window`` (``pileon``, ``hawkes``).
    """
    early = early.first(observe)
    seen = len(early)
    ends = np.arange(observe + table.bin_minutes, window + table.bin_minutes / 2, table.bin_minutes)
    base = np.maximum(table.counts[:, :, [table.count_index(observe)]], 1.0)  # each run's posts by `observe`
    growth = table.counts[:, :, table.count_index(horizon)] / base[:, :, 0]  # (points, replicates)
    growth_curve = table.counts[:, :, [table.count_index(t) for t in ends]] / base  # (points, replicates, bins)
    d = first_hour_distances(early, table, observe)
    w = prior.weights(exclude=early.key) if prior is not None else np.zeros(len(d))
    pooled = bool(w.sum() > 0)

    def draw(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        support = np.flatnonzero(weights > 0)
        return (near := support[np.argsort(d[support], kind="stable")[:neighbours]]), weights[near]

    near, wn = draw(w if pooled else np.ones(len(d)))
    every, w_every = growth[near].ravel(), np.repeat(wn, growth.shape[1])  # every replicate: the predictive spread
    u_near, u_w = draw(np.ones(len(d)))
    row: dict[str, Any] = {
        "observed_first_hour": seen,
        "final_pileon": seen * weighted_quantile(np.median(growth[near], axis=1), wn, 0.5),
        "final_pileon_low": seen * weighted_quantile(every, w_every, 0.05),
        "final_pileon_high": seen * weighted_quantile(every, w_every, 0.95),
        "final_unpooled": seen * weighted_quantile(np.median(growth[u_near], axis=1), u_w, 0.5),
        "final_nogrowth": float(seen),
        "pooled": pooled,
        **{
            f"fit_{p.name}": float(p.from_unit(weighted_quantile(table.unit[near, i], wn, 0.5)))
            for i, p in enumerate(table.priors)
        },
    }
    if nulls is not None:
        row["final_naive"] = float(nulls.naive(seen, exclude=early.key)[0])
        row["final_sizenull"] = float(nulls.size_conditional(seen, exclude=early.key)[0])
        if nulls.shape is not None:
            row["final_analog"] = float(nulls.analog(seen, early_shape(early.minutes, observe), exclude=early.key)[0])
    curves = {
        "pileon": seen * np.array([weighted_quantile(col, wn, 0.5) for col in np.median(growth_curve[near], axis=1).T])
    }
    try:
        fit = hawkes.fit(early.minutes, early.parent, observe)
    except ValueError:  # fewer than 3 posts in the first hour: nothing to fit
        row["final_hawkes"] = np.nan
        curves["hawkes"] = np.full(len(ends), np.nan)
        return row, curves
    row.update(final_hawkes=fit.final_size(early.minutes, horizon), hawkes_kappa0=fit.kappa0, hawkes_kappa=fit.kappa)
    curves["hawkes"] = fit.expected_counts(early.minutes, ends)
    return row, curves


def forecast(
    c: Cascade,
    table: ReferenceTable,
    prior: PopulationPrior | None = None,
    nulls: GrowthNull | None = None,
    observe: float = OBSERVE,
    horizon: float = HORIZON,
    window: float = WINDOW,
    neighbours: int = NEIGHBOURS,
) -> dict[str, Any]:
    """:func:`predict` from the first ``observe`` minutes of ``c``, scored against the rest: the
    predicted posts by ``horizon`` and the cumulative posts from ``observe`` to ``window`` minutes.

    Returns:
        :func:`predict`'s row, ``final_actual``, and the relative errors of the final size
        (``forecast_error`` for pileon, ``forecast_error_unpooled``, ``_hawkes``, ``_nogrowth``,
        and with ``nulls`` ``_naive``, ``_sizenull`` and ``_analog``), and the NRMSE of the rest of the curve
        (``forecast_nrmse``, ``forecast_nrmse_hawkes``).
    """
    row, predicted = predict(c, table, prior, nulls, observe, horizon, window, neighbours)
    actual = int(np.sum(c.minutes <= horizon))
    ends = np.arange(observe + table.bin_minutes, window + table.bin_minutes / 2, table.bin_minutes)
    real_curve = np.searchsorted(c.minutes, ends, side="right").astype(float)
    out = {**row, "final_actual": actual}
    for name, suffix in FORECASTERS.items():
        if f"final_{name}" in row:
            out[f"forecast_error{suffix}"] = relative_error(row[f"final_{name}"], actual)
    out["forecast_nrmse"] = nrmse(predicted["pileon"], real_curve)
    out["forecast_nrmse_hawkes"] = (
        nrmse(predicted["hawkes"], real_curve) if np.isfinite(row["final_hawkes"]) else np.nan
    )
    return out


# each forecast's prediction column final_<name> and its error column forecast_error<suffix>
FORECASTERS = {
    "pileon": "",
    "unpooled": "_unpooled",
    "hawkes": "_hawkes",
    "nogrowth": "_nogrowth",
    "naive": "_naive",
    "sizenull": "_sizenull",
    "analog": "_analog",
}


def forecast_table(
    cascades: Sequence[Cascade],
    table: ReferenceTable,
    prior: PopulationPrior | None = None,
    observe: float = OBSERVE,
    nulls: GrowthNull | None = None,
) -> pd.DataFrame:
    """:func:`forecast` for every cascade, one row each. A cascade whose data stop at ``observe``
    minutes (nothing seen after the first hour) is forecast but not scored: its actual size and
    errors are NaN, since the data hold nothing to score against."""
    rows = pd.DataFrame([{"cascade": c.name, **forecast(c, table, prior, nulls, observe=observe)} for c in cascades])
    followed = np.array([bool(np.any(c.minutes > observe)) for c in cascades])
    scores = [k for k in rows.columns if k.startswith("forecast_") or k == "final_actual"]
    rows.loc[~followed, scores] = np.nan
    return rows
