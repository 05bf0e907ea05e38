"""The Hawkes baseline recovers the parameters it simulated from, and forecasts sensibly."""

from __future__ import annotations

import numpy as np
import pytest

from pileon.experiments.observed import hawkes


def test_fit_recovers_known_parameters():
    rng = np.random.default_rng(1)
    fits = [hawkes.fit(*hawkes.simulate(300, 0.6, 5.0, 0.8, 60.0, rng), 60.0) for _ in range(20)]
    med = {k: np.median([getattr(f, k) for f in fits]) for k in ("kappa0", "kappa", "c", "theta")}
    assert med["kappa0"] == pytest.approx(300, rel=0.15)
    assert med["kappa"] == pytest.approx(0.6, rel=0.15)
    assert med["c"] == pytest.approx(5.0, rel=0.3)
    assert med["theta"] == pytest.approx(0.8, rel=0.2)


def test_forecast_of_the_rest_matches_simulations_of_the_fitted_process():
    rng = np.random.default_rng(2)
    times, parents = hawkes.simulate(200, 0.5, 10.0, 1.0, 60.0, rng)
    f = hawkes.fit(times, parents, 60.0)
    predicted = f.final_size(times, horizon=240.0)
    # the same quantity by brute force: continue the fitted process from the observed hour
    finals = [
        len(hawkes.simulate(f.kappa0, f.kappa, f.c, f.theta, 240.0, np.random.default_rng(s))[0]) for s in range(300)
    ]
    # simulate() starts from scratch, so compare the growth from 60 to 240 minutes instead
    grow_sim = np.mean(finals) - np.mean(
        [
            np.sum(hawkes.simulate(f.kappa0, f.kappa, f.c, f.theta, 60.0, np.random.default_rng(s))[0] <= 60)
            for s in range(300)
        ]
    )
    grow_pred = predicted - len(times)
    assert grow_pred == pytest.approx(grow_sim, rel=0.25)
    assert f.expected_counts(times, np.array([60.0]))[0] == pytest.approx(len(times))


def test_too_few_posts_is_a_clear_error():
    with pytest.raises(ValueError, match="need at least 3 posts in the first 60 minutes"):
        hawkes.fit(np.array([0.0, 70.0]), np.array([-1, 0]), 60.0)
