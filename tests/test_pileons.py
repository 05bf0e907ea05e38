"""Pile-on timelines: the reader, the onset found from the past only, shape measures, the pile-on
forecast's matching and prior, and the validation report end to end (with a no-leak test)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pileon.experiments.cli import main
from pileon.experiments.observed.calibrate import Prior
from pileon.experiments.observed.pileons import FIRST_DAY, LAG_MAX, MAX_DAY, Observed, PileonTable, learn_prior
from pileon.experiments.observed.timelines import (
    find_onset,
    read_timeline,
    read_timeline_folder,
    shape_measures,
)
from pileon.experiments.observed.validate import run_timeline_validation

SLICE = Path(__file__).parent / "data" / "cancel_culture_slice"


def test_reader_finds_the_time_column_and_ignores_the_others():
    tl = read_timeline(SLICE / "sebastian_stan.csv")
    raw = pd.read_csv(SLICE / "sebastian_stan.csv")
    assert tl.name == "sebastian_stan" and len(tl) == len(raw) and tl.meta["time_column"] == "Datetime"
    assert tl.meta["naive_times"] == 0 and (np.diff(tl.seconds) >= 0).all()
    first = pd.Timestamp(raw["Datetime"].min())
    assert tl.seconds[0] == first.timestamp() and tl.start == first.floor("h")
    assert tl.hourly().sum() == len(tl)
    assert [t.name for t in read_timeline_folder(SLICE)] == ["UnburntWitch", "carson_king", "sebastian_stan"]


def test_reader_converts_time_zones_to_utc_and_reads_unix_seconds(tmp_path):
    f = tmp_path / "zones.csv"
    f.write_text("user,created_at\na,2020-01-01T12:00:00+02:00\nb,2020-01-01 09:30:00Z\nc,2020-01-01 11:00:00\n")
    tl = read_timeline(f)
    utc = pd.to_datetime(["2020-01-01 09:30", "2020-01-01 10:00", "2020-01-01 11:00"], utc=True)
    np.testing.assert_array_equal(tl.seconds, [t.timestamp() for t in utc])
    assert tl.meta["naive_times"] == 1  # taken as UTC, and counted
    g = tmp_path / "unix.csv"
    g.write_text("when,x\n1600000000,1\n1600003600,2\n")
    assert read_timeline(g, time_column="when").hourly().tolist() == [1, 1]


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("a,b\n1,2\n", None, "no time column found .* columns are a, b: name one with --time-column"),
        ("time,b\n1,2\n", "when", "no time column 'when'; columns are time, b"),
        ("time\n2020-01-01\nyesterday\n", None, r"line 3, column 'time': 'yesterday' is not a timestamp"),
        ("time\n", None, "no rows after the header"),
        ("time\n1600000000000\n", None, "after 2100 \\(milliseconds\\?\\)"),
    ],
)
def test_reader_errors_name_file_line_and_column(tmp_path, text, column, message):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_timeline(f, time_column=column)


def test_onset_is_decided_from_the_past_only():
    rng = np.random.default_rng(0)
    hourly = rng.poisson(3.0, 24 * 6)
    hourly[70] = 12  # four times the usual: not enough
    hourly[90:100] = 200  # the pile-on
    hourly[96] = 2000  # its peak: no bearing on the onset
    onset = find_onset(hourly, factor=5, min_posts=50)
    assert onset == 90
    assert find_onset(hourly, factor=3, min_posts=10) == 70  # a looser rule fires earlier
    for end in range(len(hourly) + 1):  # what comes later never moves the onset
        assert find_onset(hourly[:end], factor=5, min_posts=50) == (onset if end > onset else None)
    assert find_onset(np.full(100, 60)) is None  # busy but flat: no onset
    with pytest.raises(ValueError, match="onset rule"):
        find_onset(hourly, factor=0)


def test_shape_measures_on_a_constructed_pile_on():
    hours = np.arange(24 * 10)
    base = 100 * (1 + 0.5 * np.cos(2 * np.pi * (hours - 20) / 24))  # daily rhythm, peak at 20:00 UTC
    hourly = base.copy()
    hourly[48:72] += 2000  # the main wave, day 3
    hourly[144:168] += 1000  # a second wave, day 7, after the volume fell back
    m = shape_measures(hourly, onset=48)
    assert m["peak_hours"] == 20  # the rhythm's peak hour on the wave's day
    days = hourly[48:].reshape(-1, 24).sum(axis=1)
    assert m["peak_day_share"] == pytest.approx(days.max() / days.sum())
    after = hourly[68:]
    assert m["halflife_hours"] == np.searchsorted(np.cumsum(after), after.sum() / 2) + 1
    assert m["second_waves"] == 1
    calm = shape_measures(base, onset=0)
    assert calm["rhythm_amplitude"] == pytest.approx(0.5, abs=0.02)
    assert calm["rhythm_peak_utc"] == pytest.approx(20, abs=0.1)
    assert calm["second_waves"] == 0
    assert np.isnan(shape_measures(base, onset=None)["peak_hours"])


def _table(curves: list[np.ndarray]) -> PileonTable:
    hourly = np.stack([np.broadcast_to(c, (2, len(c))) for c in curves])
    return PileonTable((Prior("amplify_prob", 0.01, 0.1),), np.linspace(0, 1, len(curves))[:, None], hourly)


def test_first_day_matching_finds_shape_and_lag_whatever_the_scale():
    hours = LAG_MAX + FIRST_DAY * MAX_DAY
    day = np.concatenate((np.linspace(10, 100, 6), np.linspace(100, 5, 18)))
    late = np.zeros(hours)
    late[3 : 3 + FIRST_DAY] = day * 7  # the same first day, three hours after the seed, 7 times the size
    late[3 + FIRST_DAY :] = 50  # then 50 posts an hour
    flat = np.full(hours, 40.0)
    table = _table([late, flat])
    d, lag = table.first_day_match(day)
    assert d[0] == pytest.approx(0, abs=1e-12) and lag[0] == 3 and d[1] > 0.05
    growth = table.growth(lag)
    expected = (day.sum() * 7 + 50 * 24 * np.arange(MAX_DAY)) / (day.sum() * 7)
    np.testing.assert_allclose(growth[0, 0], expected)
    tiny = _table([np.full(hours, 0.5)])  # 12 posts a day: too few to have a shape
    assert np.isinf(tiny.first_day_match(day)[0]).all()


def test_the_prior_learns_later_growth_the_first_day_cannot_tell():
    hours = LAG_MAX + FIRST_DAY * MAX_DAY
    day = np.full(FIRST_DAY, 100.0)
    curves = []
    for after in (0.0, 100.0):  # same first day; then nothing, or as much again every day
        c = np.zeros(hours)
        c[:FIRST_DAY] = day
        c[FIRST_DAY:] = after
        curves += [c] * 3
    table = _table(curves)
    growing = Observed("seen", 0, day, day.sum() * np.arange(1, MAX_DAY + 1))
    prior = learn_prior(table, [growing], accept=3)
    assert sorted(prior.accepted[0][1]) == [3, 4, 5]
    assert prior.weights(exclude="seen").sum() == 0


def _change_after_first_day(csv: Path, onset_end: pd.Timestamp) -> None:
    """Drop nine in ten posts after the first day and move the rest 7 hours later."""
    df = pd.read_csv(csv)
    t = pd.to_datetime(df["Datetime"], utc=True)
    late = t >= onset_end
    keep = ~late | (np.cumsum(late) % 10 == 0)
    t = t.where(~late, t + pd.Timedelta(hours=7))
    df.assign(Datetime=t.dt.strftime("%Y-%m-%d %H:%M:%S+00:00"))[keep].to_csv(csv, index=False)


PREDICTIONS = [
    "onset",
    "first_day_posts",
    "final_pileon_3d",
    "final_pileon_3d_low",
    "final_pileon_3d_high",
    "final_unpooled_3d",
    "final_naive_3d",
    "final_hawkes_3d",
    "final_nogrowth_3d",
    "final_pileon_7d",
    "final_naive_7d",
    "final_hawkes_7d",
]


def test_validation_report_and_no_leak(tmp_path):
    """The report end to end on three pile-ons (leave one out), then the same with one of them
    changed after its first day: its forecasts do not move; the others' learn from it, so theirs do."""
    folder = tmp_path / "cc"
    shutil.copytree(SLICE, folder)
    out = tmp_path / "val"
    kw = {"points": 8, "replicates": 1, "workers": 1, "onset_min_posts": 10}
    result, daily = run_timeline_validation(read_timeline_folder(folder), out, **kw)
    assert (out / "validation.csv").is_file() and (out / "daily.csv").is_file() and (out / "summary.csv").is_file()
    assert (out / "forecast.png").is_file() and len(list((out / "pileons").glob("*.png"))) == 3
    r = result.set_index("cascade")
    assert r.loc["carson_king", "onset"] == "2019-09-25T01:00:00+00:00"
    for col in (
        "forecast_error",
        "forecast_error_naive",
        "forecast_error_nogrowth",
        "forecast_error_hawkes",
        "peak_hours",
        "halflife_hours",
        "rhythm_amplitude",
        "second_waves",
    ):
        assert r[col].notna().all(), col
    assert (r["final_nogrowth_3d"] == r["first_day_posts"]).all()
    assert (r["final_pileon_3d_low"] <= r["final_pileon_3d"]).all()
    assert (r["final_pileon_3d"] <= r["final_pileon_3d_high"]).all()
    assert set(daily["day"]) == set(range(1, MAX_DAY + 1)) and len(daily) == 3 * MAX_DAY
    first = daily[daily["day"] == 1].set_index("cascade")
    assert (first["observed"] == r["first_day_posts"]).all() and (first["pileon"] == r["first_day_posts"]).all()
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["model"]) == {"pileon", "naive", "no growth", "Hawkes", "pileon, no prior"}

    onset_end = pd.Timestamp(r.loc["carson_king", "onset"]) + pd.Timedelta(hours=FIRST_DAY)
    _change_after_first_day(folder / "carson_king.csv", onset_end)
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(out / "pileon_table.npz", again)  # the same table (it does not depend on the data)
    after = run_timeline_validation(read_timeline_folder(folder), again, **kw)[0].set_index("cascade")
    later = [x.loc["carson_king", "actual_3d"] - x.loc["carson_king", "first_day_posts"] for x in (r, after)]
    assert later[1] < later[0] / 5  # the change is real
    pd.testing.assert_series_equal(r.loc["carson_king", PREDICTIONS], after.loc["carson_king", PREDICTIONS])
    assert not np.allclose(
        r.loc[["UnburntWitch", "sebastian_stan"], "final_naive_3d"].astype(float),
        after.loc[["UnburntWitch", "sebastian_stan"], "final_naive_3d"].astype(float),
    )


def test_held_out_training_and_the_command(tmp_path, capsys):
    train, scored = tmp_path / "train", tmp_path / "scored"
    train.mkdir()
    scored.mkdir()
    for name in ("UnburntWitch", "carson_king"):
        shutil.copy(SLICE / f"{name}.csv", train)
    shutil.copy(SLICE / "sebastian_stan.csv", scored)
    out = tmp_path / "held"
    args = [
        "validate",
        str(scored),
        "--learn-from",
        str(train),
        "--out",
        str(out),
        "--points",
        "8",
        "--replicates",
        "1",
        "--workers",
        "1",
        "--onset-min-posts",
        "10",
        "--no-figures",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "out-of-sample prediction from the first day after the onset" in printed and "learned from" in printed
    row = pd.read_csv(out / "validation.csv").iloc[0]
    assert row["pooled"] and np.isfinite(row["final_naive_3d"])
    # with one held-out pile-on changed after its first day, the scored one's forecasts move
    _change_after_first_day(train / "carson_king.csv", pd.Timestamp("2019-09-26 01:00", tz="UTC"))
    shutil.copytree(out, tmp_path / "held2")
    assert main([*args[:5], str(tmp_path / "held2"), *args[6:]]) == 0
    moved = pd.read_csv(tmp_path / "held2" / "validation.csv").iloc[0]
    assert moved["final_naive_3d"] != row["final_naive_3d"]
    assert main(["validate", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["validate", str(empty), "--out", str(out)]) == 2
    assert "no CSV files" in capsys.readouterr().err


def test_the_priors_name_model_parameters_and_the_scenario_is_a_pile_on():
    from pileon.experiments.observed.calibrate import _check_priors
    from pileon.experiments.observed.pileons import PRIORS, scenario
    from pileon.model.scenarios import buffy

    _check_priors(PRIORS)  # every name a model parameter, every range valid
    p = scenario()
    assert p.horizon_hours >= LAG_MAX + FIRST_DAY * MAX_DAY and p.n_users >= 100_000
    pileon_mechanisms = ("trend_threshold", "trend_gain", "reply_prob", "attack", "defend")
    assert all(getattr(p, k) == getattr(buffy(), k) for k in pileon_mechanisms)  # not the rumour scenario
