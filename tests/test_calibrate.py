"""Calibration recovers known parameters; forecasting and the validation report run end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pileon.experiments.observed.calibrate import PRIORS, Prior, ReferenceTable, Simulator, calibrate, distances
from pileon.experiments.observed.curves import CURVES, curves
from pileon.experiments.observed.forecast import PopulationPrior, count_times, forecast
from pileon.experiments.observed.readers import Cascade, read_twitter_folder
from pileon.experiments.observed.validate import run_validation, summary
from pileon.model.scenarios import rumour

DATA = Path(__file__).parent / "data"
TRUTH = {
    "target_followers": 2000,
    "amplify_prob": 0.05,
    "sessions_per_day": 20.0,
    "activity_sd": 1.0,
    "visibility_halflife": 60.0,
    "novelty_halflife": 4.0,
}


@pytest.fixture(scope="module")
def simulator():
    return Simulator(base=rumour().replace(n_users=20_000))


def test_parameter_recovery(simulator):
    observed = simulator.run(TRUTH, [101, 102, 103], 150.0)  # three cascades from known values
    assert min(len(c) for c in observed) > 20
    cal = calibrate(observed, simulator, samples=128, refine=32, replicates=2)
    iv = cal.intervals().set_index("parameter")
    for name, value in TRUTH.items():
        row = iv.loc[name]
        assert row["low"] <= value <= row["high"], (name, value, row.to_dict())
    # The data narrow the prior: the intervals span less of it (log scale) than the prior does. On
    # three 150-minute cascades some parameters are barely identified (how often users look, how
    # long interest lasts: 0.5-0.96 of the prior over calibration seeds 0-2), so the narrowing is
    # asked of the mean and of the best identified, the source's audience (0.22-0.51). (Each is a 90%
    # interval: over seeds one of the six may miss its true value; seed 2's did for the audience.)
    share = np.log(iv["high"] / iv["low"]) / np.log(iv["prior_high"] / iv["prior_low"])
    assert share.mean() < 0.85 and share["target_followers"] < 0.6, share.round(2).to_dict()
    assert len(cal.evaluations) == 160 and set(cal.evaluations["round"]) == {1, 2}


def test_distances_are_mean_nrmse_over_curves_and_cascades():
    obs = np.array([[1.0, 1, 1], [2, 2, 4]])
    sims = np.stack([obs, obs * 0])  # perfect, and all zeros
    d = distances([obs], sims)
    assert d[0] == 0
    assert d[1] == pytest.approx(
        np.mean([np.sqrt((1 + 4) / 2) / 2, np.sqrt((1 + 4) / 2) / 2, np.sqrt((1 + 16) / 2) / 4])
    )


def test_bad_priors_are_refused(simulator):
    with pytest.raises(ValueError, match="unknown parameter 'amplify'"):
        ReferenceTable.build(simulator, [Prior("amplify", 0.1, 0.2)], points=2)
    with pytest.raises(ValueError, match="expected 0 < low < high"):
        ReferenceTable.build(simulator, [Prior("amplify_prob", 0.2, 0.1)], points=2)
    with pytest.raises(ValueError, match="needs points >= 1 and replicates >= 1, got 0 and 3"):
        ReferenceTable.build(simulator, points=0)
    with pytest.raises(ValueError, match="count_times: expected minutes > 0"):
        ReferenceTable.build(simulator, points=2, count_times=[0.0, 60.0])


def test_forecast_scores_pileon_and_hawkes_on_the_same_quantities(simulator):
    c = read_twitter_folder(DATA / "twitter15_16_slice", limit=1)[0]
    table = ReferenceTable.build(simulator, PRIORS, points=32, replicates=2, count_times=count_times())
    assert table.counts.shape == (32, 2, len(count_times()))
    assert (np.diff(table.counts, axis=2) >= 0).all()  # posts so far never fall
    r = forecast(c, table)
    assert r["final_actual"] == int(np.sum(c.minutes <= 72 * 60)) and not r["pooled"]
    for k in ("forecast_error", "forecast_error_hawkes", "forecast_nrmse", "forecast_nrmse_hawkes"):
        assert np.isfinite(r[k]) and r[k] >= 0, k
    assert r["forecast_error"] == r["forecast_error_unpooled"]  # no prior: the same forecast
    # a forecast starts from what was seen, inside its predictive interval
    assert r["observed_first_hour"] <= r["final_pileon_low"] <= r["final_pileon"] <= r["final_pileon_high"]
    for p in PRIORS:
        assert p.low <= r[f"fit_{p.name}"] <= p.high
    with pytest.raises(ValueError, match="no post counts at 61 min"):
        forecast(c, table, observe=61.0)


def _star(name: str, minutes) -> Cascade:
    """A cascade in which every post responds to the source."""
    n = len(minutes)
    return Cascade.build(name, minutes, np.arange(n), ["seed_post"] + ["amplify"] * (n - 1), [-1] + [0] * (n - 1))


def _growing(name: str, first_hour: int, final: int) -> Cascade:
    """``first_hour`` posts spread over the first hour, then the rest log-uniformly to 72 hours."""
    later = 60.0 * 72.0 ** ((np.arange(final - first_hour) + 0.5) / (final - first_hour))
    return _star(name, np.concatenate(([0.0], np.linspace(1, 59, first_hour - 1), later)))


def test_a_population_prior_settles_what_the_first_hour_cannot():
    """Two groups of table points share a first hour (40 posts) but grow 2x or 5x by 72 hours;
    a third starts differently. Alone, the first hour cannot choose; cascades seen whole (all
    growing 5x) teach the prior which group is right."""
    times = count_times()
    observed = _growing("new", 40, 200)
    same = curves(observed, 150.0, 3.0)[list(CURVES)].to_numpy(float)
    other = curves(_growing("small", 5, 20), 150.0, 3.0)[list(CURVES)].to_numpy(float)
    frac = np.log(times / 60.0) / np.log(72.0)  # the table counts from an hour (0) to 72 hours (1)
    group = np.repeat([0, 1, 2], 10)  # 0: grows 2x, 1: grows 5x, 2: another start
    final = np.array([80.0, 200.0, 20.0])[group]
    start = np.array([40.0, 40.0, 5.0])[group]
    counts = start[:, None] + (final - start)[:, None] * frac
    table = ReferenceTable(
        PRIORS,
        np.random.default_rng(0).random((30, len(PRIORS))),
        np.stack([other if g == 2 else same for g in group]),
        150.0,
        3.0,
        times,
        counts[:, None, :],
    )
    training = [_growing(f"seen-{i}", 40 + i, 5 * (40 + i)) for i in range(3)]
    prior = PopulationPrior.learn(table, training, accept=5)
    assert all(set(group[idx]) == {1} for _, idx in prior.accepted)  # each chose the 5x group
    w = prior.weights()
    assert w.sum() == 15 and (w[group != 1] == 0).all()
    assert prior.weights(exclude="seen-0").sum() == 10  # a cascade is left out of its own forecast
    unpooled = forecast(observed, table, neighbours=20)
    pooled = forecast(observed, table, prior, neighbours=20)
    assert pooled["pooled"] and not unpooled["pooled"]
    assert pooled["final_pileon"] == pytest.approx(200.0)
    assert pooled["forecast_error"] == pytest.approx(0.0)
    assert unpooled["forecast_error"] == pooled["forecast_error_unpooled"] > 0.5  # a tie, broken the wrong way
    training_self = PopulationPrior.learn(table, [observed], accept=5)
    assert not forecast(observed, table, training_self)["pooled"]  # its own whole curve is never used


def test_validation_report_writes_rows_as_it_goes_and_resumes(tmp_path):
    cascades = read_twitter_folder(DATA / "twitter15_16_slice", limit=2)
    out = tmp_path / "val"
    result = run_validation(cascades[:1], out, points=24, replicates=1, refine=4, workers=1)
    assert len(result) == 1 and (out / "cascades" / f"{cascades[0].name}.png").is_file()
    first = pd.read_csv(out / "validation.csv", dtype={"cascade": str})
    result = run_validation(cascades, out, points=24, replicates=1, refine=4, workers=1)  # resumes: one new
    again = pd.read_csv(out / "validation.csv", dtype={"cascade": str})
    assert len(again) == 2 and again.iloc[0].equals(first.iloc[0])
    for col in (
        "nrmse_scale",
        "nrmse_depth",
        "nrmse_breadth",
        "forecast_error",
        "forecast_error_hawkes",
        "nrmse_scale_template",
        "nrmse_depth_flat",
        "forecast_error_naive",
        "forecast_error_sizenull",
        "forecast_error_analog",
        "forecast_error_nogrowth",
    ):
        assert col in again and again[col].iloc[1:].notna().all(), col
    # the first run had one cascade: no other to learn the template or the pooled growth from
    assert again.loc[0, ["nrmse_scale_template", "forecast_error_naive"]].isna().all()
    assert again.loc[0, ["nrmse_scale_flat", "forecast_error_nogrowth"]].notna().all()
    assert (out / "nrmse.png").is_file() and (out / "forecast.png").is_file()
    table = pd.read_csv(out / "summary.csv")
    assert set(table["group"]) == {
        "in-sample fit of the first 150 minutes",
        "out-of-sample prediction from the first hour",
    }
    assert (table["cascades"] >= 1).all()
    bad = tmp_path / "old"
    bad.mkdir()
    (bad / "validation.csv").write_text("cascade,nrmse_scale\nx,0.1\n")
    with pytest.raises(ValueError, match="written by another version of the report"):
        run_validation(cascades, bad, points=24, replicates=1, refine=4, workers=1)


def test_summary_gives_medians_skill_and_share_against_each_null():
    df = pd.DataFrame(
        {
            "forecast_error": [0.1, 0.2, 0.3, np.nan],
            "forecast_error_naive": [0.2, 0.2, 0.6, 0.1],
            "forecast_error_hawkes": [0.05, 0.4, 0.6, 0.1],
        }
    )
    table = summary(
        df, [("out", "error", "forecast_error", {"naive": "forecast_error_naive", "Hawkes": "forecast_error_hawkes"})]
    )
    rows = table.set_index("model")
    assert (rows["cascades"] == 3).all()  # the fourth cascade lacks pileon's error
    assert rows.loc["pileon", "median"] == pytest.approx(0.2)
    # naive: the same median; pileon better on the first and third, a tie (half) on the second
    assert rows.loc["naive", "skill"] == pytest.approx(0.0) and rows.loc["naive", "better"] == pytest.approx(2.5 / 3)
    # Hawkes: median 0.4, pileon better on 2 of 3
    assert rows.loc["Hawkes", "skill"] == pytest.approx(0.5) and rows.loc["Hawkes", "better"] == pytest.approx(2 / 3)


def test_a_saved_reference_table_is_read_back_only_with_the_same_settings(tmp_path, simulator):
    cache = tmp_path / "table.npz"
    first = ReferenceTable.build(simulator, PRIORS, points=4, replicates=1, count_times=[60.0], cache=cache)
    stamp = cache.stat().st_mtime_ns
    again = ReferenceTable.build(simulator, PRIORS, points=4, replicates=1, count_times=[60.0], cache=cache)
    assert cache.stat().st_mtime_ns == stamp  # read, not rebuilt
    np.testing.assert_array_equal(first.counts, again.counts)
    np.testing.assert_array_equal(first.curves, again.curves)
    other = ReferenceTable.build(simulator, PRIORS, points=4, replicates=1, seed=1, count_times=[60.0], cache=cache)
    assert cache.stat().st_mtime_ns != stamp and not np.array_equal(other.unit, first.unit)  # rebuilt, saved
