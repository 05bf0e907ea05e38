"""Drawing users in proportion to a weight, fast: a cumulative sum with a guide table."""

from __future__ import annotations

import numba
import numpy as np


class WeightedSampler:
    """Draws indices ``i`` with probability ``weight[i] / weight.sum()``.

    A guide table (Chen & Asau 1974) records, for each of ``len(weight)`` equal slices of the
    total, the first index whose cumulative weight reaches the slice: a draw is a table read and
    a short scan, rather than a binary search over the whole cumulative sum.
    """

    def __init__(self, weight: np.ndarray):
        self.cumulative = np.cumsum(weight, dtype=np.float64)
        self.total = float(self.cumulative[-1])
        grid = np.arange(len(weight)) * (self.total / len(weight))
        self.guide = np.searchsorted(self.cumulative, grid, side="right").astype(np.int64)

    def draw(self, k: int, rng: np.random.Generator) -> np.ndarray:
        """``k`` independent draws."""
        return _draw(self.cumulative, self.guide, rng.random(k) * self.total)


@numba.njit(cache=True)
def _draw(cumulative, guide, x):
    n = len(cumulative)
    out = np.empty(len(x), np.int32)
    width = cumulative[-1] / n
    for i in range(len(x)):
        j = min(int(x[i] / width), n - 1)
        k = guide[j]
        while k < n - 1 and cumulative[k] <= x[i]:
            k += 1
        out[i] = k
    return out
