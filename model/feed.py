"""Feeds: items waiting for a user's next session, and how long a post stays visible.

A feed item is a triple (viewer, post, shown_at). It is filed under the step of the viewer's next
session; when that step comes the viewer sees it if the post has not yet left the feed. Filing is
two-level (a calendar queue): items for a later hour wait in that hour's bin and are sorted into
minutes only when the hour begins, so filing costs a few array operations per step whatever the
number of distinct due steps.
"""

from __future__ import annotations

import numpy as np

ITEM_DTYPES = (np.int32, np.int64, np.int32)  # viewer, post, shown_at


class Calendar:
    """Feed items filed by the step at which they are due."""

    def __init__(self, n_steps: int, bin_steps: int = 64):
        self.n_steps = n_steps
        self.bin_steps = bin_steps
        self._by_step: list[list[tuple[np.ndarray, ...]]] = [[] for _ in range(n_steps)]
        self._by_bin: list[list[tuple[np.ndarray, ...]]] = [[] for _ in range(n_steps // bin_steps + 1)]
        self._opened = -1  # bins up to this one have been sorted into steps
        self.pending = 0

    def push(self, due: np.ndarray, *columns: np.ndarray) -> None:
        """File items (given column-wise) under their due steps; steps past the horizon are dropped."""
        keep = due < self.n_steps
        if not keep.all():
            due = due[keep]
            columns = tuple(c[keep] for c in columns)
        if len(due) == 0:
            return
        self.pending += len(due)
        bins = due // self.bin_steps
        near = bins <= self._opened
        if near.all():
            _scatter(self._by_step, due, columns)
        elif not near.any():
            _scatter(self._by_bin, bins, (due, *columns))
        else:
            far = ~near
            _scatter(self._by_step, due[near], tuple(c[near] for c in columns))
            _scatter(self._by_bin, bins[far], (due[far], *(c[far] for c in columns)))

    def pop(self, step: int) -> tuple[np.ndarray, ...]:
        """Remove and return the items due at ``step`` (column-wise)."""
        while self._opened < step // self.bin_steps:
            self._opened += 1
            chunks = self._by_bin[self._opened]
            if chunks:
                due, *columns = (np.concatenate(c) for c in zip(*chunks, strict=True))
                chunks.clear()
                _scatter(self._by_step, due, tuple(columns))
        chunks = self._by_step[step]
        if not chunks:
            return tuple(np.empty(0, d) for d in ITEM_DTYPES)
        self._by_step[step] = []
        out = tuple(np.concatenate(c) for c in zip(*chunks, strict=True))
        self.pending -= len(out[0])
        return out


def _scatter(lists: list[list[tuple[np.ndarray, ...]]], keys: np.ndarray, columns: tuple[np.ndarray, ...]) -> None:
    """Append each run of equal keys, column-wise, to ``lists[key]``."""
    if len(keys) == 1 or (keys[0] == keys).all():
        lists[int(keys[0])].append(columns)
        return
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    columns = tuple(c[order] for c in columns)
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(keys)]))
    for k, a, b in zip(keys[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
        lists[k].append(tuple(c[a:b] for c in columns))


def still_visible(age_steps: np.ndarray, halflife_steps: float, rng: np.random.Generator) -> np.ndarray:
    """Whether each item is still in the feed at the given age.

    A post's time in a feed is exponential with the given half-life, so the chance it is still
    there at age ``a`` is ``2 ** (-a / halflife)``.
    """
    return rng.random(len(age_steps)) < np.exp2(-age_steps / halflife_steps)
