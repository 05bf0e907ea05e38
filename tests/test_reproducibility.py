"""Same seed, same run bit for bit; a different seed, a different run (the negative control)."""

from __future__ import annotations

import numpy as np

from pileon.model import OutrageModel
from pileon.model.scenarios import buffy

SMALL = buffy().replace(n_users=20_000, horizon_hours=12, target_followers=300)


def _run(seed):
    return OutrageModel(SMALL, seed=seed).run()


def test_same_seed_identical_outputs():
    a, b = _run(22), _run(22)
    assert a.summary == b.summary
    assert np.array_equal(a.counts, b.counts) and np.array_equal(a.exposures, b.exposures)
    for k in a.events:
        assert np.array_equal(a.events[k], b.events[k]), k
    assert a.summary["total_posts"] > 50  # the comparison is about a real cascade


def test_different_seed_different_run():
    a, b = _run(10), _run(11)
    assert not np.array_equal(a.counts, b.counts)
    assert a.summary["exposures"] != b.summary["exposures"]


def test_network_and_population_come_from_the_model_rng():
    m1, m2 = OutrageModel(SMALL, seed=5), OutrageModel(SMALL, seed=5)
    assert np.array_equal(m1.network.indices, m2.network.indices)
    assert np.array_equal(m1.population.stance, m2.population.stance)
    assert not np.array_equal(OutrageModel(SMALL, seed=6).population.stance, m1.population.stance)


def test_a_run_without_a_seed_records_one_that_reproduces_it():
    a = OutrageModel(SMALL.replace(horizon_hours=3)).run()
    assert isinstance(a.seed, int)
    b = OutrageModel(SMALL.replace(horizon_hours=3), seed=a.seed).run()
    assert np.array_equal(a.counts, b.counts) and a.summary == b.summary
