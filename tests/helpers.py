"""Shared helpers for the tests: tiny hand-made graphs and the plain independent cascade."""

from __future__ import annotations

import numpy as np
import pytest

from pileon.model import Network, OutrageModel
from pileon.model.scenarios import independent_cascade


def graph(edges: list[tuple[int, int]], n: int) -> Network:
    """A network from (follower, followee) pairs."""
    a = np.array(edges, dtype=np.int64).reshape(-1, 2)
    return Network.from_edges(a[:, 0], a[:, 1], n)


def cascade_model(net: Network, p: float, target: int = 0, seed: int = 0, **overrides) -> OutrageModel:
    """The plain independent cascade on ``net`` seeded by ``target`` (no sessions, decay, trending)."""
    params = independent_cascade(p).replace(horizon_hours=overrides.pop("horizon_hours", 0.5), **overrides)
    model = OutrageModel(params, seed=seed, network=net)
    if model.target != target:
        pytest.fail(f"test graph must make user {target} the most followed")
    return model


def events(result) -> list[tuple[int, int, str, int, int]]:
    """(step, user, action, parent, depth) of every post."""
    df = result.events_frame()
    return list(zip(df.step, df.user, df.action.astype(str), df.parent, df.depth, strict=True))
