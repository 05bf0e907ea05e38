"""Each mechanism's direction and size on a controlled setup, where the expected change is computed.

The model's decision factors (outrage framing, social proof, norm learning, novelty, fatigue) and
the circadian rhythm of sessions: every setup starts from the plain independent cascade (no
sessions, decay, trending, social proof, outrage framing or novelty; everyone fully involved) on a
hand-made graph and switches on the one mechanism under test, so that each follower's chance of
acting is known in closed form; counts are compared with their expectation within four binomial
standard errors, so a wrong form or factor (1.2 per word read as 1.1, a halving read as a third)
fails. Then the mechanisms added for pile-ons that keep growing: stretched-exponential novelty,
exogenous attention pulses, and a scenario that is the same case at any size.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pileon.model import OutrageModel, Params
from pileon.model.clock import HOURLY_ACTIVITY
from pileon.model.decisions import AMPLIFY, ATTACK, DEFEND
from pileon.model.model import novelty_factor, pulse_schedule
from pileon.model.scenarios import buffy, independent_cascade

from .helpers import cascade_model, graph

N = 40_000  # followers: enough that four standard errors are a few percent


def star(n: int = N):
    """Users 1..n follow the target 0 and nobody else; nobody follows them."""
    return graph([(i, 0) for i in range(1, n + 1)], n + 1)


def run(net, p: float, seed: int = 1, **overrides):
    params = independent_cascade(p).replace(**({"horizon_hours": 0.05} | overrides))
    model = OutrageModel(params, seed=seed, network=net)
    assert model.target == 0
    return model, model.run()


def assert_binomial(count: float, expected: float, n: float) -> None:
    """``count`` within four standard errors of a binomial with mean ``expected`` over ``n`` trials."""
    p = expected / n
    se = np.sqrt(n * p * (1 - p))
    assert abs(count - expected) < 4 * se, f"{count} vs expected {expected:.1f} (se {se:.1f})"


def amplified_at(result, step: int) -> np.ndarray:
    ev = result.events
    return ev["user"][(ev["action"] == AMPLIFY) & (ev["step"] == step)]


@pytest.mark.parametrize("words", [2, 4])
def test_outrage_framing_multiplies_the_chance_by_one_plus_effect_times_susceptibility_per_word(words):
    # (1 + 0.2 s)^words per follower, with each follower's own susceptibility s (lognormal, mean 1)
    model, r = run(star(), 0.05, outrage_effect=0.2, seed_outrage=words, susceptibility_sd=0.5)
    s = model.population.susceptibility[1:].astype(float)
    expected = np.sum(0.05 * (1 + 0.2 * s) ** words)
    assert_binomial(len(amplified_at(r, 1)), expected, N)
    assert expected / (0.05 * N) > 1.2**words  # Jensen: the spread raises the mean factor


def test_doubling_outrage_words_multiplies_the_chance_by_the_factor_squared():
    counts = {
        w: len(amplified_at(run(star(), 0.05, outrage_effect=0.2, seed_outrage=w, susceptibility_sd=0.0)[1], 1))
        for w in (2, 4)
    }
    assert_binomial(counts[2], N * 0.05 * 1.2**2, N)
    assert_binomial(counts[4], N * 0.05 * 1.2**4, N)  # 1.44 times the count at 2 words


def test_social_proof_raises_the_chance_by_log_of_posts_seen():
    # Each follower has seen one post (the seed) when deciding: factor 1 + social_proof * log(2).
    _, r = run(star(), 0.05, social_proof=1.0)
    assert_binomial(len(amplified_at(r, 1)), N * 0.05 * (1 + np.log(2)), N)
    _, r0 = run(star(), 0.05, social_proof=0.0)
    assert_binomial(len(amplified_at(r0, 1)), N * 0.05, N)


def test_novelty_halves_the_chance_at_one_half_life():
    # One step of an hour: the seed is seen at age 1 h.
    for halflife, factor in ((1.0, 0.5), (2.0, 2**-0.5), (float("inf"), 1.0)):
        _, r = run(star(), 0.1, step_minutes=60.0, horizon_hours=3.0, novelty_halflife=halflife)
        assert_binomial(len(amplified_at(r, 1)), N * 0.1 * factor, N)


def test_fatigue_multiplies_the_chance_per_earlier_action_and_max_actions_stops_it():
    # Followers of the target form a ring: i + 1 also follows i. At step 1 each sees the seed; at
    # step 2 those whose predecessor amplified see that amplification. Who amplified at step 1
    # has acted once: chance p * fatigue; the others p.
    n, p = N, 0.3
    edges = [(i, 0) for i in range(1, n + 1)] + [(i % n + 1, i) for i in range(1, n + 1)]
    net = graph(edges, n + 1)
    for fatigue, max_actions in ((0.5, 5), (1.0, 1)):
        _, r = run(net, p, fatigue=fatigue, max_actions=max_actions)
        first = np.zeros(n + 2, bool)
        first[amplified_at(r, 1)] = True
        exposed = np.flatnonzero(first[:-1]) % n + 1  # the successors of those who amplified
        second = np.zeros(n + 2, bool)
        second[amplified_at(r, 2)] = True
        acted, fresh = exposed[first[exposed]], exposed[~first[exposed]]
        rate_acted = p * fatigue if max_actions > 1 else 0.0
        if rate_acted:
            assert_binomial(second[acted].sum(), len(acted) * rate_acted, len(acted))
        else:
            assert second[acted].sum() == 0
        assert_binomial(second[fresh].sum(), len(fresh) * p, len(fresh))


def test_norm_learning_tilts_replies_toward_the_side_seen():
    # The target 0 is followed by leaders 1..M; each leader by its own K followers. Half of all
    # users are hostile (stance -1), half supportive (+1). A leader replies to the seed with chance
    # p (attack if hostile, defend if supportive); each of its followers then sees that one reply.
    # Having seen one partisan post, h (the smoothed hostile share) is 2/3 or 1/3, so a follower of
    # the side seen replies with chance p * exp(nl / 3), of the other side p * exp(-nl / 3).
    m, k, p = 2000, 25, 0.1
    edges = [(i, 0) for i in range(1, m + 1)]
    edges += [(m + 1 + (i - 1) * k + j, i) for i in range(1, m + 1) for j in range(k)]
    net = graph(edges, 1 + m + m * k)
    overrides = dict(
        amplify_prob=0.0,
        reply_prob=p,
        attack=True,
        defend=True,
        hostile_fraction=0.5,
        supportive_fraction=0.5,
        stance_strength=1.0,
        stance_sd=0.0,
        reply_reach=1.0,
        max_actions=1,
        horizon_hours=0.05,
    )
    for nl in (0.0, 3.0):
        model, r = run(net, 0.0, seed=2, norm_learning=nl, **overrides)
        ev, stance = r.events, model.population.stance
        leader_side = np.zeros(1 + m + m * k)
        step1 = ev["step"] == 1
        leader_side[ev["user"][step1]] = np.where(ev["action"][step1] == ATTACK, -1, 1)
        followers = np.arange(m + 1, 1 + m + m * k)
        seen = leader_side[(followers - m - 1) // k + 1]
        replied = np.zeros(1 + m + m * k, bool)
        step2 = (ev["step"] == 2) & np.isin(ev["action"], (ATTACK, DEFEND))
        replied[ev["user"][step2]] = True
        for same, factor in ((True, np.exp(nl / 3)), (False, np.exp(-nl / 3))):
            group = followers[(seen != 0) & ((seen * stance[followers] > 0) == same)]
            assert_binomial(replied[group].sum(), len(group) * p * factor, len(group))


@pytest.mark.parametrize(("clock", "hour"), [(3.5, 4), (20.5, 21)])
def test_sessions_follow_the_circadian_profile(clock, hour):
    # Followers see the seed at their first session; with a low rate a (per day) the share who
    # open the app in the next hour is 1 - exp(-a * the hour's cumulative intensity).
    a = 0.5
    model, r = run(
        star(), 1.0, sessions=True, sessions_per_day=a, activity_sd=0.0, seed_clock=clock, horizon_hours=1.05
    )
    cumulative = model.clock.sessions.cumulative
    expected = N * (1 - np.exp(-a * (cumulative[61] - cumulative[1])))
    seen = np.count_nonzero(r.events["step"][r.events["action"] == AMPLIFY] <= 60)
    assert_binomial(seen, expected, N)
    # the hour's intensity is the profile's value at that hour (a rate of 1/day spread over 24 h)
    assert (cumulative[61] - cumulative[1]) * 24 == pytest.approx(
        HOURLY_ACTIVITY[hour] / HOURLY_ACTIVITY.mean(), rel=0.15
    )


def test_sessions_at_04h_and_21h_are_in_the_profiles_ratio():
    counts = {}
    for clock in (3.5, 20.5):
        _, r = run(
            star(), 1.0, sessions=True, sessions_per_day=0.5, activity_sd=0.0, seed_clock=clock, horizon_hours=1.05
        )
        counts[clock] = np.count_nonzero(r.events["step"][r.events["action"] == AMPLIFY] <= 60)
    ratio = counts[3.5] / counts[20.5]
    expected = HOURLY_ACTIVITY[4] / HOURLY_ACTIVITY[21]  # about 0.09: the night trough against the evening peak
    se = ratio * np.sqrt(1 / counts[3.5] + 1 / counts[20.5])
    assert abs(ratio - expected) < 4 * se + 0.15 * expected, (ratio, expected)


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
        model.volume[:60] = 1  # 60 attacks in the first hour, and the seed post
        model.volume[0] = 2
        rates.append((model._trend_rate(60), model._trend_rate(20)))
    # by minute 60: the seed post and 60 attacks; by minute 20, 21 posts: under the threshold of 40
    P = buffy()
    assert P.trend_threshold == 40.0 and rates[0] == rates[1] == (pytest.approx(P.trend_gain * 61), 0.0)


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
