"""Statistical checks against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from pileon.model import Network, NetworkParams, OutrageModel
from pileon.model.clock import Clock
from pileon.model.feed import fan_out, still_visible
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


def test_sessions_come_at_the_daily_rate():
    clock = Clock(seed_clock=0.0, step_minutes=1.0, n_steps=10 * 1440)
    rng = np.random.default_rng(1)
    rate = np.full(20_000, 6.0)
    t = np.zeros(20_000, np.int64)
    count = np.zeros(20_000)
    while True:  # walk each user's sessions through ten days
        live = t < clock.n_steps - 1
        if not live.any():
            break
        nxt = clock.next_sessions(t[live], rate[live], rng)
        ok = nxt < clock.n_steps
        idx = np.flatnonzero(live)
        count[idx[ok]] += 1
        t[idx] = np.where(ok, nxt, clock.n_steps)
    per_day = count / 10.0
    assert per_day.mean() == pytest.approx(6.0, abs=4 * np.sqrt(6.0 / 10 / 20_000))


def test_replies_reach_the_asked_share_of_followers():
    # User 1 has 20,000 followers; a reply by user 1 reaches each with chance reply_reach = 0.3.
    n = 20_002
    a = np.array([(i, 1) for i in range(2, n)])
    net = Network.from_edges(a[:, 0], a[:, 1], n)
    rng = np.random.default_rng(2)
    clock = Clock(seed_clock=9.0, step_minutes=1.0, n_steps=100)
    pop = Population.draw(PopulationParams(), n, rng)
    due, viewer, _ = fan_out(net, np.array([1]), np.array([0]), np.array([True]), 0.3, -1, 0, False,
                             pop.table, clock, rng)  # fmt: skip
    k = n - 2
    assert abs(len(viewer) - 0.3 * k) < 4 * np.sqrt(k * 0.3 * 0.7)
    assert len(np.unique(viewer)) == len(viewer) and (due == 1).all()


def test_weighted_sampler_matches_the_weights():
    from pileon.model.sampling import WeightedSampler

    w = np.array([0.0, 1.0, 3.0, 0.0, 6.0])
    draws = WeightedSampler(w).draw(200_000, np.random.default_rng(0))
    freq = np.bincount(draws, minlength=5) / len(draws)
    assert freq[0] == 0 and freq[3] == 0
    assert np.allclose(freq, w / w.sum(), atol=4 * np.sqrt(0.25 / len(draws)))
