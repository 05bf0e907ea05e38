"""Calibration recovers known parameters; forecasting and the validation report run end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibrate import PRIORS, Prior, ReferenceTable, Simulator, calibrate, distances
from experiments.forecast import forecast
from experiments.observed import read_twitter_folder
from experiments.validate import run_validation, summarize
from model.scenarios import rumour

DATA = Path(__file__).parent / "data"
TRUTH = {"target_followers": 2000, "amplify_prob": 0.05, "sessions_per_day": 20.0, "activity_sd": 1.0,
         "visibility_halflife": 60.0, "novelty_halflife": 4.0}  # fmt: skip


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
        # the data narrow the prior: the interval spans less of it (log scale) than the prior does
        assert np.log(row["high"] / row["low"]) < 0.85 * np.log(row["prior_high"] / row["prior_low"]), name
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


def test_forecast_scores_pileon_and_hawkes_on_the_same_quantities(simulator):
    c = read_twitter_folder(DATA / "twitter15_16_slice", limit=1)[0]
    table = ReferenceTable.build(simulator, PRIORS, points=32, replicates=2)
    r = forecast(c, simulator, table, replicates=4, refine=8)
    assert r["final_actual"] == int(np.sum(c.minutes <= 72 * 60))
    for k in ("forecast_error", "forecast_error_hawkes", "forecast_nrmse", "forecast_nrmse_hawkes"):
        assert np.isfinite(r[k]) and r[k] >= 0, k
    assert r["final_pileon"] >= r["observed_first_hour"]  # a forecast starts from what was seen


def test_validation_report_writes_rows_as_it_goes_and_resumes(tmp_path):
    cascades = read_twitter_folder(DATA / "twitter15_16_slice", limit=2)
    out = tmp_path / "val"
    result = run_validation(cascades[:1], out, points=24, replicates=1, refine=4, workers=1)
    assert len(result) == 1 and (out / "cascades" / f"{cascades[0].name}.png").is_file()
    first = pd.read_csv(out / "validation.csv", dtype={"cascade": str})
    result = run_validation(cascades, out, points=24, replicates=1, refine=4, workers=1)  # resumes: one new
    again = pd.read_csv(out / "validation.csv", dtype={"cascade": str})
    assert len(again) == 2 and again.iloc[0].equals(first.iloc[0])
    for col in ("nrmse_scale", "nrmse_depth", "nrmse_breadth", "forecast_error", "forecast_error_hawkes"):
        assert col in again and again[col].notna().all()
    assert (out / "nrmse.png").is_file() and (out / "forecast.png").is_file()
    assert summarize(result)["cascades"] == 2


def test_naive_forecast_is_leave_one_out_median_growth():
    from experiments.validate import naive_forecast_errors

    df = pd.DataFrame({"observed_first_hour": [10, 10, 10], "final_actual": [20, 20, 40]})
    # growths 2, 2, 4: leave-one-out medians 3, 3, 2 -> forecasts 30, 30, 20
    np.testing.assert_allclose(naive_forecast_errors(df), [0.5, 0.5, 0.5])
    assert summarize(df.assign(nrmse_scale=0.1))["forecast_error_naive"] == 0.5
