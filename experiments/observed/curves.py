"""Comparing cascades: the OASIS curves (scale, depth, maximum breadth over time), their
normalised RMSE, and timing and composition metrics, for observed and simulated cascades alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .readers import Cascade

CURVES = ("scale", "depth", "breadth")
WINDOW = 150.0  # minutes; OASIS compares the first 150 minutes
BIN = 3.0  # minutes


def curves(c: Cascade, window: float = WINDOW, bin_minutes: float = BIN) -> pd.DataFrame:
    """Scale (distinct participants), depth (deepest post) and maximum breadth (most posts at one
    depth) of the cascade so far, at the end of each ``bin_minutes`` bin up to ``window``."""
    ends = np.arange(bin_minutes, window + bin_minutes / 2, bin_minutes)
    upto = np.searchsorted(c.minutes, ends, side="right") - 1  # last post at or before each end
    _, first = np.unique(c.user.astype(str), return_index=True)
    new_user = np.zeros(len(c), np.int64)
    new_user[first] = 1
    scale = np.cumsum(new_user)
    depth = np.maximum.accumulate(c.depth)
    # breadth: running max over posts of "posts so far at this post's depth"
    order = np.lexsort((np.arange(len(c)), c.depth))
    d_sorted = c.depth[order]
    starts = np.flatnonzero(np.concatenate(([True], d_sorted[1:] != d_sorted[:-1])))
    rank_in_level = np.arange(len(c)) - np.repeat(starts, np.diff(np.append(starts, len(c))))
    at_level = np.empty(len(c), np.int64)
    at_level[order] = rank_in_level + 1
    breadth = np.maximum.accumulate(at_level)
    pick = lambda a: np.where(upto >= 0, a[np.maximum(upto, 0)], 0)  # noqa: E731
    return pd.DataFrame({"minutes": ends, "scale": pick(scale), "depth": pick(depth), "breadth": pick(breadth)})


def nrmse(sim: np.ndarray, real: np.ndarray) -> float:
    """``sqrt(mean((sim - real)^2)) / max(real)`` (OASIS's normalised RMSE)."""
    sim, real = np.asarray(sim, float), np.asarray(real, float)
    top = real.max()
    return float(np.sqrt(np.mean((sim - real) ** 2)) / top) if top > 0 else float("nan")


@dataclass
class Comparison:
    """An observed cascade against simulated replicates."""

    observed: Cascade
    simulated: list[Cascade]
    window: float = WINDOW
    bin_minutes: float = BIN
    _sim_curves: pd.DataFrame | None = field(default=None, init=False, repr=False)

    def observed_curves(self) -> pd.DataFrame:
        """The observed cascade's curves."""
        return curves(self.observed, self.window, self.bin_minutes)

    def simulated_curves(self) -> pd.DataFrame:
        """Every replicate's curves, stacked, with a ``replicate`` column (computed once)."""
        if self._sim_curves is None:
            frames = [
                curves(s, self.window, self.bin_minutes).assign(replicate=i) for i, s in enumerate(self.simulated)
            ]
            self._sim_curves = pd.concat(frames, ignore_index=True)
        return self._sim_curves

    def band(self, low: float = 0.05, high: float = 0.95) -> pd.DataFrame:
        """Median and ``[low, high]`` quantiles of the simulated curves per bin (long format)."""
        sim = self.simulated_curves().melt(["minutes", "replicate"], CURVES, "curve")
        g = sim.groupby(["curve", "minutes"])["value"]
        return pd.DataFrame({"median": g.median(), "low": g.quantile(low), "high": g.quantile(high)}).reset_index()

    def metrics(self) -> dict[str, Any]:
        """NRMSE of the median simulated curves, and timing and composition metrics."""
        obs = self.observed_curves()
        med = self.simulated_curves().groupby("minutes")[list(CURVES)].median().reindex(obs["minutes"]).fillna(0)
        out: dict[str, Any] = {f"nrmse_{k}": nrmse(med[k].to_numpy(), obs[k].to_numpy()) for k in CURVES}
        o = _timing(self.observed, self.window, self.bin_minutes)
        s = [_timing(c, self.window, self.bin_minutes) for c in self.simulated]
        o_times = self.observed.minutes[self.observed.minutes <= self.window]
        s_times = np.concatenate([c.minutes[c.minutes <= self.window] for c in self.simulated])
        out.update(
            observed_posts=o["posts"],
            simulated_posts=float(np.median([x["posts"] for x in s])),
            final_size_ratio=float(np.median([x["posts"] for x in s])) / max(o["posts"], 1),
            ks_time=float(stats.ks_2samp(o_times, s_times).statistic) if len(s_times) and len(o_times) else None,
            peak_time_error=float(np.median([x["peak"] for x in s])) - o["peak"],
            half_life_observed=o["half_life"],
            half_life_simulated=float(np.median([x["half_life"] for x in s])),
            attack_share_observed=_attack_share(self.observed),
            attack_share_simulated=_median_or_none([_attack_share(c) for c in self.simulated]),
        )
        return out


def _timing(c: Cascade, window: float, bin_minutes: float) -> dict[str, float]:
    t = c.minutes[c.minutes <= window]
    if len(t) == 0:
        return {"posts": 0, "peak": float("nan"), "half_life": float("nan")}
    counts = np.bincount((t // bin_minutes).astype(int))
    return {
        "posts": int(len(t)),
        "peak": float((np.argmax(counts) + 0.5) * bin_minutes),
        "half_life": float(np.quantile(t, 0.5)),
    }


def _attack_share(c: Cascade) -> float | None:
    att, dfd = int(np.sum(c.action == "attack")), int(np.sum(c.action == "defend"))
    return att / (att + dfd) if att + dfd else None


def _median_or_none(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return float(np.median(vals)) if vals else None
