"""Statistical checks against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from pileon.model import Network, NetworkParams, OutrageModel
from pileon.model.clock import Clock
from pileon.model.feed import Outgoing, Reach, fan_out, still_visible
from pileon.model.params import PopulationParams
from pileon.model.population import Population
from pileon.model.scenarios import independent_cascade


def kary_tree(k: int, depth: int) -> Network:
    """Directed k-ary tree: node i's children (its followers) are k*i+1 .. k*i+k."""
    n = (k ** (depth + 1) - 1) // (k - 1)
    child = np.arange(1, n)
    return Network.from_edges(child, (child - 1) // k, n)


def test_mean_cascade_size_on_a_k_regular_tree_matches_the_branching_process():
    # Offspring ~ Binomial(k, p): expected size within depth D is sum_{d<=D} (k p)^d.
    k, depth, p, reps = 3, 6, 0.25, 2000
    tree = kary_tree(k, depth)
    params = independent_cascade(p).replace(horizon_hours=(depth + 2) / 60, target_followers=k)
    sizes = np.array([_run_from_root(params, tree, seed) for seed in range(reps)])
    expected = sum((k * p) ** d for d in range(depth + 1))
    se = sizes.std(ddof=1) / np.sqrt(reps)
    assert abs(sizes.mean() - expected) < 3 * se, (sizes.mean(), expected, se)


def _run_from_root(params, tree, seed):
    model = OutrageModel(params, seed=seed, network=tree)
    assert model.target == 0, "every internal node has k followers; argmin picks the root first"
    return model.run().summary["total_posts"]


def test_fixed_coin_flips_activate_exactly_the_reachable_users():
    # Keep each edge with probability p once, then run at p = 1: the users who act are those
    # reachable from the seed over the kept edges (what every tool must agree on).
    rng = np.random.default_rng(4)
    full = Network.generate(NetworkParams(n_users=20_000), rng)
    followee = np.repeat(np.arange(full.n), full.follower_counts())
    keep = rng.random(full.n_edges) < 0.06
    kept = Network.from_edges(full.indices[keep], followee[keep], full.n)
    params = independent_cascade(1.0).replace(horizon_hours=2.0)
    model = OutrageModel(params, seed=0, network=kept)
    r = model.run()
    acted = set(r.events["user"].tolist())
    adj = csr_matrix((np.ones(kept.n_edges), kept.indices, kept.indptr), shape=(kept.n, kept.n))
    reach = set(breadth_first_order(adj, model.target, directed=True, return_predecessors=False).tolist())
    assert len(reach) > 100
    assert acted == reach


def test_visibility_halves_every_halflife():
    rng = np.random.default_rng(0)
    seen = still_visible(np.full(200_000, 30.0), 30.0, rng)
    assert seen.mean() == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / 200_000))


def test_a_heavy_visibility_tail_keeps_the_half_life_and_fattens_the_tail():
    rng = np.random.default_rng(3)
    n = 200_000
    at_half = still_visible(np.full(n, 30.0), 30.0, rng, tail=1.0).mean()
    assert at_half == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / n))
    late_heavy = still_visible(np.full(n, 240.0), 30.0, rng, tail=1.0).mean()
    late_exp = still_visible(np.full(n, 240.0), 30.0, rng).mean()
    assert late_heavy == pytest.approx(1 / (1 + 240 / 30), abs=0.01)  # (1 + a/s)^-1 with s = halflife
    assert late_exp == pytest.approx(2**-8, abs=0.002) and late_heavy > 10 * late_exp


def _star_with_sessions(k: int, rate: float, n_steps: int, seed_clock: float = 0.0):
    """User 0 followed by users 1..k, each opening the app ``rate`` times a day (no spread in rates)."""
    net = Network.from_edges(np.arange(1, k + 1), np.zeros(k, np.int64), k + 1)
    pop = Population.draw(PopulationParams(activity_sd=0.0, sessions_per_day=rate), k + 1, np.random.default_rng(0))
    return net, pop, Clock(seed_clock=seed_clock, step_minutes=1.0, n_steps=n_steps)


def _due(net, pop, clock, t, rng, reply_reach=1.0, is_reply=False, sessions=True):
    """The engine's feed items for a post by user 0 at step ``t`` (the session rule included)."""
    new = Outgoing(author=np.array([0]), post=np.array([0]), is_reply=np.array([is_reply]))
    return fan_out(net, new, Reach(reply_reach, -1, sessions), t, pop.table, clock, rng)


def test_the_next_session_follows_the_cumulative_rate():
    # A user with rate a, given no session pending, next opens the app within m steps after step t
    # with chance 1 - exp(-a (C[t+1+m] - C[t+1])), C the cumulative circadian intensity (per day).
    k, rate = 50_000, 6.0
    net, pop, clock = _star_with_sessions(k, rate, n_steps=2 * 1440, seed_clock=3.0)
    rng = np.random.default_rng(5)
    cumulative = clock.sessions.cumulative
    for t in (0, 360, 1000):  # 03:00 (night), 09:00, 19:40
        pop.table["next_session"] = -1
        due = _due(net, pop, clock, t, rng).due
        assert due.min() > t
        for m in (10, 60, 240):
            expected = 1.0 - np.exp(-rate * (cumulative[t + 1 + m] - cumulative[t + 1]))
            share = np.mean(due <= t + m)
            assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / k), (t, m, share, expected)


def test_sessions_come_at_the_daily_rate():
    # Walk every follower's sessions through ten days: a post by user 0 at every step makes the
    # engine redraw the next session of each follower whose session has come.
    k, rate = 2_000, 6.0
    net, pop, clock = _star_with_sessions(k, rate, n_steps=10 * 1440)
    rng = np.random.default_rng(1)
    sessions = 0
    for t in range(clock.n_steps):
        sessions += int(np.count_nonzero(pop.table["next_session"][1:] == t))
        _due(net, pop, clock, t, rng)
    cumulative = clock.sessions.cumulative
    expected = k * rate * (cumulative[-1] - cumulative[1])  # sessions in steps 1..n_steps-1
    assert expected == pytest.approx(k * rate * 10, rel=0.01)  # ten days of a mean-1 profile
    assert abs(sessions - expected) < 4 * np.sqrt(expected)


def test_replies_reach_the_asked_share_of_followers():
    # User 0 has 20,000 followers; a reply by user 0 reaches each with chance reply_reach = 0.3.
    k = 20_000
    net, pop, clock = _star_with_sessions(k, 10.0, n_steps=100, seed_clock=9.0)
    items = _due(net, pop, clock, 0, np.random.default_rng(2), reply_reach=0.3, is_reply=True, sessions=False)
    assert abs(len(items.viewer) - 0.3 * k) < 4 * np.sqrt(k * 0.3 * 0.7)
    assert len(np.unique(items.viewer)) == len(items.viewer) and (items.due == 1).all()


def test_weighted_sampler_matches_the_weights():
    from pileon.model.sampling import WeightedSampler

    w = np.array([0.0, 1.0, 3.0, 0.0, 6.0])
    draws = WeightedSampler(w).draw(200_000, np.random.default_rng(0))
    freq = np.bincount(draws, minlength=5) / len(draws)
    assert freq[0] == 0 and freq[3] == 0
    assert np.allclose(freq, w / w.sum(), atol=4 * np.sqrt(0.25 / len(draws)))
