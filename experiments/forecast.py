"""Forecasting a cascade from its first hour: pileon (calibrated on that hour, then run on) and
the Hawkes baseline fitted to the same hour, scored on the same quantities."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import hawkes
from .calibrate import ReferenceTable, Simulator, calibrate
from .compare import BIN, WINDOW, nrmse
from .observed import Cascade

OBSERVE = 60.0  # minutes seen before forecasting
HORIZON = 72 * 60.0  # "final" size: posts within 72 hours (99% of a Twitter15/16 tree, median)


def forecast(
    c: Cascade,
    simulator: Simulator,
    table: ReferenceTable,
    observe: float = OBSERVE,
    horizon: float = HORIZON,
    window: float = WINDOW,
    bin_minutes: float = BIN,
    replicates: int = 10,
    refine: int = 32,
    seed: int = 0,
) -> dict[str, Any]:
    """Fit on the first ``observe`` minutes; predict posts by ``horizon`` and the cumulative posts
    from ``observe`` to ``window`` minutes.

    pileon's prediction is the observed count at ``observe`` times the median growth from
    ``observe`` on of runs at the ``replicates`` closest points of the calibration (a posterior
    predictive), so that the forecast starts from what was seen rather than from a fresh run.

    Returns:
        ``forecast_error`` and ``forecast_error_hawkes`` (relative error of the final size),
        ``forecast_nrmse`` and ``forecast_nrmse_hawkes`` (NRMSE of the rest of the curve), the
        predicted and actual final sizes, and the fitted values.
    """
    early = c.first(observe)
    actual = int(np.sum(c.minutes <= horizon))
    ends = np.arange(observe + bin_minutes, window + bin_minutes / 2, bin_minutes)
    real_curve = np.searchsorted(c.minutes, ends, side="right").astype(float)
    cal = calibrate([early], simulator, table=table, refine=refine, window=observe, bin_minutes=bin_minutes,
                    final_replicates=1, recheck=1, seed=seed)  # fmt: skip
    # Posterior predictive: one run at each of the ``replicates`` closest points of the calibration.
    names = [p.name for p in cal.priors]
    points = cal.evaluations.nsmallest(replicates, "distance")[names].to_dict("records")
    sims = [simulator.run(v, [seed * 1000 + 900 + k], horizon)[0] for k, v in enumerate(points)]
    # The model supplies the growth from the first hour on; the observed first hour its level.
    seen = np.array([max(np.sum(s.minutes <= observe), 1) for s in sims], float)
    growth_final = np.array([np.sum(s.minutes <= horizon) for s in sims]) / seen
    growth_curve = np.array([np.searchsorted(s.minutes, ends, side="right") for s in sims]) / seen[:, None]
    predicted = len(early) * float(np.median(growth_final))
    sim_curve = len(early) * np.median(growth_curve, axis=0)
    out: dict[str, Any] = {
        "observed_first_hour": len(early),
        "final_actual": actual,
        "final_pileon": predicted,
        "forecast_error": abs(predicted - actual) / actual,
        "forecast_nrmse": nrmse(sim_curve, real_curve),
        **{f"fit_{k}": v for k, v in cal.best.items()},
    }
    try:
        fit = hawkes.fit(c.minutes, c.parent, observe)
    except ValueError:  # fewer than 3 posts in the first hour: nothing to fit
        out.update(final_hawkes=np.nan, forecast_error_hawkes=np.nan, forecast_nrmse_hawkes=np.nan)
        return out
    h_times = c.minutes[c.minutes <= observe]
    h_final = fit.final_size(h_times, horizon)
    out.update(
        final_hawkes=h_final,
        forecast_error_hawkes=abs(h_final - actual) / actual,
        forecast_nrmse_hawkes=nrmse(fit.expected_counts(h_times, ends), real_curve),
        hawkes_kappa0=fit.kappa0,
        hawkes_kappa=fit.kappa,
    )
    return out
