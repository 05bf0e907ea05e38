"""Null models: the simplest predictions pileon must beat, and skill scores against them.

For the curves fitted over a cascade's first 150 minutes (an in-sample fit):

* the **template**: the mean normalised curve of the other cascades (each curve divided by its
  own value at the end of the window), times this cascade's own value there; one number per
  curve, taken from the cascade itself, as pileon's fit takes six;
* the **flat line** at the cascade's own value at the end of the window.

For forecasts (out-of-sample predictions of a later size from an early count):

* **no further growth**: the early count is the forecast;
* **naive pooled growth**: the early count times the median growth (later / early count) of the
  training cascades;
* **size-conditional growth**: the early count times the median growth of the ``k`` training
  cascades closest in log early count (growth after the first hour falls with its size in the
  data, so this is the stronger statistical null);
* **analog growth**: the early count times the median growth of the ``k`` training cascades
  closest in log early count *and* in the shape of the early window (the shares of its posts
  made by a quarter, a half and three quarters of it): a nearest-neighbour forecast on the same
  information pileon's forecast uses, with no simulation at all.

Each null learns from training cascades only, and leaves out the cascade being predicted (by
name): with a held-out training set the scored cascades' later posts touch nothing.

Skill against a null is ``1 - median(error) / median(null error)``, on the cascades both scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

SIZE_NEIGHBOURS = 30  # training cascades the size-conditional and analog nulls draw their growth from
# Weight of the early window's shape against log early count in the analog null's distance. Chosen
# on the 643 development trees (leave one out; 1 and 10 were also tried, 3 was best), never on
# held-out data.
SHAPE_WEIGHT = 3.0


def early_shape(minutes: np.ndarray, observe: float) -> np.ndarray:
    """The shares of the posts made by ``observe`` that were made by a quarter, a half and three
    quarters of it (zeros for an empty window)."""
    minutes = np.asarray(minutes, float)
    total = np.sum(minutes <= observe)
    if total == 0:
        return np.zeros(3)
    return np.array([np.sum(minutes <= observe * q) / total for q in (0.25, 0.5, 0.75)])


@dataclass(frozen=True)
class CurveTemplate:
    """The template null for curves over a window: per training cascade (by name), its curves
    divided by their values at the end of the window (``normalised``: cascades, bins, curves;
    NaN where a curve ends at 0)."""

    names: tuple[str, ...]
    normalised: np.ndarray

    @classmethod
    def learn(cls, names: Sequence[str], curves: Sequence[np.ndarray]) -> CurveTemplate:
        """From each training cascade's curves, an array (bins, curves) over the same bins."""
        stack = np.stack([np.asarray(c, float) for c in curves]) if len(curves) else np.zeros((0, 0, 0))
        end = stack[:, -1:, :] if len(stack) else stack
        with np.errstate(invalid="ignore", divide="ignore"):
            normalised = np.where(end > 0, stack / np.where(end > 0, end, 1.0), np.nan)
        return cls(tuple(names), normalised)

    def mean_shape(self, exclude: str | None = None) -> np.ndarray:
        """The mean normalised curve (bins, curves) of the training cascades other than ``exclude``
        (NaN where none has a value)."""
        keep = np.array([n != exclude for n in self.names], bool)
        shape = self.normalised[keep]
        counted = np.isfinite(shape).sum(axis=0)
        return np.where(counted > 0, np.nansum(shape, axis=0) / np.maximum(counted, 1), np.nan)

    def predict(self, own: np.ndarray, name: str | None = None) -> np.ndarray:
        """The template for a cascade with curves ``own`` (bins, curves): the others' mean shape
        times the cascade's own values at the end of the window."""
        own = np.asarray(own, float)
        return self.mean_shape(exclude=name)[: len(own)] * own[-1][None, :]


def flat(own: np.ndarray) -> np.ndarray:
    """The flat-line null: every bin at the curve's value at the end of the window."""
    own = np.asarray(own, float)
    return np.broadcast_to(own[-1], own.shape).copy()


@dataclass(frozen=True)
class GrowthNull:
    """Growth nulls learned from training cascades: per cascade (by name) its early count and its
    growth (later count / early count) at each forecast horizon (``growth``: cascades, horizons)."""

    names: tuple[str, ...]
    early: np.ndarray
    growth: np.ndarray
    neighbours: int = SIZE_NEIGHBOURS
    shape: np.ndarray | None = None  # (cascades, 3): early_shape of each, for the analog null

    @classmethod
    def learn(
        cls,
        names: Sequence[str],
        early: Sequence[float],
        later: Sequence[Sequence[float]] | np.ndarray,
        neighbours: int = SIZE_NEIGHBOURS,
        shape: Sequence[Sequence[float]] | np.ndarray | None = None,
    ) -> GrowthNull:
        """From each training cascade's early count and its counts at the horizons (``later``:
        cascades, horizons; NaN where a cascade was not followed that far), and for the analog
        null the shape of each one's early window (:func:`early_shape`)."""
        early_a = np.asarray(early, float)
        later_a = np.asarray(later, float).reshape(len(early_a), -1)
        if (early_a <= 0).any():
            raise ValueError("a growth null needs early counts above 0")
        if neighbours < 1:
            raise ValueError(f"neighbours: expected at least 1, got {neighbours}")
        shape_a = None if shape is None else np.asarray(shape, float).reshape(len(early_a), 3)
        return cls(tuple(names), early_a, later_a / early_a[:, None], neighbours, shape_a)

    def _others(self, exclude: str | None) -> np.ndarray:
        return np.array([n != exclude for n in self.names], bool)

    def naive(self, early: float, exclude: str | None = None) -> np.ndarray:
        """``early`` times the median growth of the training cascades (other than ``exclude``),
        per horizon (NaN where none was followed that far)."""
        g = self.growth[self._others(exclude)]
        return early * _nanmedian(g)

    def size_conditional(self, early: float, exclude: str | None = None) -> np.ndarray:
        """``early`` times the median growth of the ``neighbours`` training cascades closest in
        log early count, per horizon. Every cascade tied with the last of them is included, so
        the forecast does not hang on the training set's order."""
        keep = np.flatnonzero(self._others(exclude))
        return self._nearest(early, keep, np.abs(np.log(self.early[keep]) - np.log(max(early, 1e-12))))

    def analog(self, early: float, shape: Sequence[float], exclude: str | None = None) -> np.ndarray:
        """``early`` times the median growth of the ``neighbours`` training cascades closest in
        (log early count, ``SHAPE_WEIGHT`` x early shape), per horizon (ties with the last
        included). Needs the training cascades' shapes (``learn(..., shape=...)``)."""
        if self.shape is None:
            raise ValueError("the analog null needs the training cascades' early shapes")
        keep = np.flatnonzero(self._others(exclude))
        d = np.sqrt(
            (np.log(self.early[keep]) - np.log(max(early, 1e-12))) ** 2
            + (SHAPE_WEIGHT**2) * ((self.shape[keep] - np.asarray(shape, float)[None, :]) ** 2).sum(axis=1)
        )
        return self._nearest(early, keep, d)

    def _nearest(self, early: float, keep: np.ndarray, d: np.ndarray) -> np.ndarray:
        """``early`` times the median growth of the ``neighbours`` cascades ``keep`` nearest by
        ``d``, every cascade tied with the last of them included (NaN with none to draw on)."""
        if not len(d):
            return np.full(self.growth.shape[1], np.nan)
        cut = np.sort(d)[min(self.neighbours, len(d)) - 1] + 1e-9  # ties within rounding are ties
        return early * _nanmedian(self.growth[keep[d <= cut]])


def _nanmedian(a: np.ndarray) -> np.ndarray:
    """Column medians ignoring NaN; NaN for an all-NaN (or empty) column."""
    out = np.full(a.shape[1], np.nan)
    for j in range(a.shape[1]):
        col = a[:, j][np.isfinite(a[:, j])]
        if len(col):
            out[j] = np.median(col)
    return out


def relative_error(predicted: float, actual: float) -> float:
    """``|predicted - actual| / actual`` (NaN when either is missing or actual is 0)."""
    if not (np.isfinite(predicted) and np.isfinite(actual)) or actual <= 0:
        return float("nan")
    return float(abs(predicted - actual) / actual)


def skill(model: Sequence[float] | pd.Series, null: Sequence[float] | pd.Series) -> dict[str, float]:
    """pileon's errors against a null's, over the cascades both scored (finite errors):
    ``skill`` = 1 - median(model) / median(null) (above 0: pileon better), ``better`` = the share
    of those cascades where pileon's error is smaller (ties count half), and ``cascades``."""
    m, n = np.asarray(model, float), np.asarray(null, float)
    ok = np.isfinite(m) & np.isfinite(n)
    if not ok.any():
        return {"skill": float("nan"), "better": float("nan"), "cascades": 0}
    m, n = m[ok], n[ok]
    med_null = float(np.median(n))
    return {
        "skill": 1.0 - float(np.median(m)) / med_null if med_null > 0 else float("nan"),
        "better": float(np.mean((m < n) + 0.5 * (m == n))),
        "cascades": int(ok.sum()),
    }
