"""The mechanisms added for pile-ons that keep growing: stretched-exponential novelty and
exogenous attention pulses. Direction and size on controlled set-ups."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pileon.model import OutrageModel, Params
from pileon.model.model import novelty_factor, pulse_schedule
from pileon.model.scenarios import buffy

from .helpers import cascade_model, graph


def test_novelty_shape_one_is_the_plain_half_life():
    for age in (0.0, 1.0, 8.0, 30.0):
        assert novelty_factor(age, 8.0, 1.0) == 2.0 ** (-age / 8.0)


@pytest.mark.parametrize("shape", [0.3, 0.5, 2.0])
def test_a_stretched_novelty_keeps_its_half_life_and_changes_the_tail(shape):
    assert novelty_factor(8.0, 8.0, shape) == pytest.approx(0.5)
    early, late = novelty_factor(1.0, 8.0, shape), novelty_factor(64.0, 8.0, shape)
    if shape < 1:  # faster at first, then lingering: Wu & Huberman's stretched exponential
        assert early < 2.0 ** (-1 / 8) and late > 2.0 ** (-64 / 8)
    else:
        assert early > 2.0 ** (-1 / 8) and late < 2.0 ** (-64 / 8)
    assert late == pytest.approx(math.exp(-math.log(2) * 8.0**shape))


def test_pulses_arrive_at_their_rate_with_their_size_and_duration():
    exposure = Params().replace(pulse_rate=3.0, pulse_size=200.0, pulse_duration=2.0).exposure
    n_steps, step = 10 * 1440, 1.0  # ten days of minutes
    totals = [pulse_schedule(exposure, n_steps, step, seed).sum() / 60.0 for seed in range(200)]
    # 30 pulses expected in ten days, each of mean 200 impressions/hour over 2 hours: 12,000
    # impressions. A compound Poisson sum: variance 30 * E[(2 X)^2] = 30 * 2 * 400^2, so the mean
    # of 200 seeds has sd 346.
    assert np.mean(totals) == pytest.approx(12_000.0, abs=4 * math.sqrt(30 * 2 * 400.0**2 / 200))
    one = pulse_schedule(exposure.__class__(pulse_rate=0.1, pulse_size=300, pulse_duration=2.0), n_steps, step, 3)
    runs = np.flatnonzero(np.diff(np.concatenate(([0.0], one > 0, [0.0]))))  # starts and ends of pulses
    assert len(runs) == 6 and np.all(np.diff(runs)[::2] == 120)  # three pulses (this seed), two hours each


def test_no_pulses_leave_the_run_bit_for_bit_unchanged():
    small = buffy().replace(n_users=20_000, horizon_hours=8, target_followers=300)
    a = OutrageModel(small, seed=5).run()
    b = OutrageModel(small.replace(pulse_size=5000.0, pulse_duration=1.0), seed=5).run()  # rate 0: no pulse
    assert np.array_equal(a.counts, b.counts)


def test_a_pulse_brings_a_finished_cascade_back():
    """A chain whose followers are done by minute 10; a pulse at hour 2 shows the case to strangers."""
    n = 400
    net = graph([(1, 0), (2, 1)], n)  # users 3..399 follow nobody: only a pulse can reach them
    base = dict(horizon_hours=6.0, sessions=True, sessions_per_day=200.0, activity_sd=0.0)
    quiet = cascade_model(net, p=1.0, **base).run()
    assert quiet.events["step"].max() < 30
    model = cascade_model(net, p=1.0, **base, pulse_rate=24.0, pulse_size=20_000.0, pulse_duration=0.5)
    loud = model.run()
    first = int(np.flatnonzero(model.pulse_rate > 0)[0])
    later = loud.events["step"] >= first
    assert later.sum() > 20  # strangers shown the case by the pulse amplify it (p = 1)
    assert set(loud.events["user"][later]) - {0, 1, 2}


@pytest.mark.parametrize("n_users", [20_000, 60_000])
def test_the_target_has_its_audience_at_any_size(n_users):
    model = OutrageModel(buffy().replace(n_users=n_users, horizon_hours=0.1), seed=1)
    assert len(model.network.followers(model.target)) == 3000  # the preset's, although hubs are capped at 2,000


def test_trending_is_the_same_absolute_channel_at_any_size():
    """The same hourly volume gives the same trending impressions whatever the number of users."""
    rates = []
    for n_users in (20_000, 80_000):
        model = OutrageModel(buffy().replace(n_users=n_users, horizon_hours=2), seed=1)
        model.counts[:60, 2] = 1  # 60 attacks in the first hour
        rates.append((model._trend_rate(60), model._trend_rate(20)))
    # by minute 60: the seed post and 60 attacks; by minute 20, 21 posts: under the threshold of 30
    assert rates[0] == rates[1] == (16.7 * 61, 0.0)


def test_below_the_size_where_the_case_holds_every_command_says_so(tmp_path, capsys):
    from pileon.experiments.cli import main
    from pileon.model.scenarios import size_note

    assert size_note("buffy", 100_000) is None and size_note("rumour", 5_000) is None
    assert "classroom size" in size_note("buffy", 20_000)
    args = ["run", "--n-users", "5000", "--horizon-hours", "1", "--no-plot", "--quiet", "--out", str(tmp_path / "r")]
    assert main(args) == 0
    assert "5,000 users is a classroom size for the buffy scenario" in capsys.readouterr().err
    exp = tmp_path / "e.toml"
    exp.write_text('[experiment]\nname = "e"\nreplicates = 1\n[params]\nn_users = 5000\nhorizon_hours = 1\n')
    assert main(["sweep", str(exp), "--dry-run", "--out", str(tmp_path / "e.sqlite")]) == 0
    assert "classroom size" in capsys.readouterr().err
