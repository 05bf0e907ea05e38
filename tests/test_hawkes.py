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


@pytest.mark.parametrize(("mu", "alpha", "beta"), [(2.0, 0.6, 1.0), (0.5, 0.3, 4.0), (5.0, 0.85, 0.2)])
def test_unmarked_fit_recovers_known_parameters(mu, alpha, beta):
    rng = np.random.default_rng(3)
    fits = [hawkes.fit_unmarked(hawkes.simulate_unmarked(mu, alpha, beta, 300.0, rng), 300.0) for _ in range(8)]
    assert np.median([f.mu for f in fits]) == pytest.approx(mu, rel=0.25)
    assert np.median([f.alpha for f in fits]) == pytest.approx(alpha, abs=0.08)
    assert np.median([f.beta for f in fits]) == pytest.approx(beta, rel=0.3)


def _continue(times: np.ndarray, f: hawkes.UnmarkedFit, until: float, rng: np.random.Generator) -> int:
    """Events in (observed_until, until] of the fitted process, given the observed ``times``."""
    t0 = f.observed_until
    parents = np.concatenate((times, t0 + np.sort(rng.uniform(0, until - t0, rng.poisson(f.mu * (until - t0))))))
    n = len(parents) - len(times)
    generation = parents
    while len(generation):
        k = rng.poisson(f.alpha, len(generation))
        born = np.repeat(generation, k) + rng.exponential(1.0 / f.beta, int(k.sum()))
        generation = born[(born > t0) & (born <= until)]
        n += len(generation)
    return n


def test_unmarked_forecast_matches_simulations_of_the_fitted_process():
    rng = np.random.default_rng(4)
    times = hawkes.simulate_unmarked(1.0, 0.7, 0.5, 48.0, rng)
    f = hawkes.fit_unmarked(times, 48.0)
    expected = f.expected_count(times, np.array([48.0, 72.0, 200.0]))
    assert expected[0] == len(times)
    for until, e in zip((72.0, 200.0), expected[1:], strict=True):
        sims = [_continue(times, f, until, np.random.default_rng(s)) for s in range(400)]
        assert e - len(times) == pytest.approx(np.mean(sims), rel=0.05)


def test_unmarked_fit_ignores_events_outside_its_window_and_refuses_too_few():
    times = hawkes.simulate_unmarked(2.0, 0.5, 1.0, 100.0, np.random.default_rng(5))
    inside = times[(times >= 10) & (times <= 60)]
    a = hawkes.fit_unmarked(times, 60.0, start=10.0)
    b = hawkes.fit_unmarked(inside, 60.0, start=10.0)
    assert a == b and a.n_events == len(inside)
    with pytest.raises(ValueError, match=r"need at least 3 events in \[0, 5\]"):
        hawkes.fit_unmarked(np.array([1.0, 2.0, 7.0]), 5.0)
