"""Effects under uncertainty: per-point effects, their spread over parameter sets, noise vs parameters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pileon.experiments.sweeps import uncertainty
from pileon.experiments.sweeps.design import BASELINE


def runs_frame(values: dict[str, dict[int, list[float]]], param: dict[int, float] | None = None) -> pd.DataFrame:
    """A runs table: arm -> point -> the metric of each replicate (paired by position)."""
    rows = []
    for arm, by_point in values.items():
        for point, ys in by_point.items():
            for rep, y in enumerate(ys):
                row = {"arm": arm, "family": arm, "point": point, "replicate": rep, "harm": y}
                if param is not None:
                    row["x"] = param[point]
                rows.append(row)
    return pd.DataFrame(rows)


def test_point_effects_are_paired_within_each_point():
    runs = runs_frame(
        {BASELINE: {0: [10, 20, 30], 1: [0, 0, 0]}, "arm": {0: [5, 10, 18], 1: [1, 0, 2]}}, param={0: 0.1, 1: 0.9}
    )
    pe = uncertainty.point_effects(runs, "harm", ["x"]).set_index("point")
    d = np.array([-5, -10, -12])
    assert pe.loc[0, "diff"] == pytest.approx(d.mean()) and pe.loc[0, "diff_se"] == pytest.approx(
        d.std(ddof=1) / 3**0.5
    )
    ratio = 11 / 20
    assert pe.loc[0, "rel"] == pytest.approx(ratio - 1)
    linear = (np.array([5, 10, 18]) - ratio * np.array([10, 20, 30])) / 20
    assert pe.loc[0, "rel_se"] == pytest.approx(linear.std(ddof=1) / 3**0.5)
    assert math.isnan(pe.loc[1, "rel"]) and pe.loc[1, "diff"] == 1  # no baseline harm: no relative change
    assert pe.loc[1, "x"] == 0.9 and (pe["n"] == 3).all()


def test_random_effects_separates_parameter_spread_from_noise():
    rng = np.random.default_rng(0)
    k = 400
    truth = -0.3 + 0.1 * rng.standard_normal(k)  # the effect varies between parameter sets: tau = 0.1
    se = rng.uniform(0.03, 0.08, k)
    est = truth + se * rng.standard_normal(k)  # each set's estimate adds its own noise
    re = uncertainty.random_effects(est, se)
    assert re["tau"] == pytest.approx(0.1, rel=0.15) and re["mean"] == pytest.approx(-0.3, abs=0.02)
    assert 0.6 < re["I2"] < 0.9 and re["Q_p"] < 1e-6  # the points' effects differ beyond their noise
    noise_only = -0.3 + se * rng.standard_normal(k)  # the same effect everywhere: all spread is noise
    re = uncertainty.random_effects(noise_only, se)
    assert re["tau"] < 0.02 and re["I2"] < 0.1 and re["Q_p"] > 0.01
    # three sizes that agree within their intervals, and three that do not
    assert uncertainty.random_effects(np.array([-0.30, -0.27, -0.33]), np.array([0.03] * 3))["Q_p"] > 0.3
    assert uncertainty.random_effects(np.array([-0.30, -0.10, -0.50]), np.array([0.03] * 3))["Q_p"] < 0.001


def test_robustness_counts_where_the_sign_holds_and_where_it_flips():
    points = pd.DataFrame(
        {
            "arm": ["a"] * 5,
            "family": ["a"] * 5,
            "point": range(5),
            "n": [20] * 5,
            "rel": [-0.5, -0.4, -0.3, -0.02, 0.2],
            "rel_se": [0.05, 0.05, 0.05, 0.05, 0.05],
        }
    )
    r = uncertainty.robustness(points, "rel", precision=0.05).iloc[0]
    assert r["median"] == -0.3 and r["min"] == -0.5 and r["max"] == 0.2
    assert r["share_sign"] == 0.8  # 4 of 5 below 0
    assert r["share_same"] == 0.6  # 3 whose interval excludes 0 below it
    assert r["share_opposite"] == 0.2  # one that flips, clearly
    assert r["half_width"] == pytest.approx(1.96 * 0.05, rel=1e-3)
    assert r["replicates_needed"] == math.ceil(20 * (1.959964 * 0.05 / 0.05) ** 2)


def test_replicates_needed_scale_with_the_variance():
    assert uncertainty.replicates_needed(10, 0.2, 0.1) == 40
    assert uncertainty.replicates_needed(10, 0.05, 0.1) == 3
    assert math.isnan(uncertainty.replicates_needed(1, 0.2, 0.1))
