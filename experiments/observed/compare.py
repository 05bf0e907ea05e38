"""Observed cascades against simulated replicates of one parameter set (``pileon compare``): the
replicates are simulated once, on one follower graph, and every observed cascade is compared with
them (:class:`~.curves.Comparison`)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pileon.model import Params

from .calibrate import Simulator, replicate_seeds
from .curves import WINDOW, Comparison
from .readers import Cascade


def compare(
    observed: list[Cascade],
    params: Params,
    replicates: int = 20,
    window: float = WINDOW,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[Comparison]:
    """Each observed cascade against ``replicates`` runs of ``params`` to ``window`` minutes.

    The follower graph is generated from ``seed`` and the replicates' seeds derive from it, as a
    calibration's do (:func:`~.calibrate.replicate_seeds`): the same seed gives the same runs.
    ``progress`` is called with the number of runs done after each.
    """
    if replicates < 1:
        raise ValueError(f"replicates={replicates}: expected at least 1")
    simulated = Simulator(params, graph_seed=seed).run({}, replicate_seeds(seed, replicates), window, progress)
    return [Comparison(c, simulated, window=window) for c in observed]


def comparison_table(comparisons: list[Comparison]) -> pd.DataFrame:
    """One row per observed cascade: its name, posts, and :meth:`Comparison.metrics`."""
    return pd.DataFrame([{"cascade": c.observed.name, "posts": len(c.observed), **c.metrics()} for c in comparisons])
