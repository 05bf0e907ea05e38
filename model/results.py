"""What a run produces: the event log, per-step counts and the summary metrics of one cascade."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .decisions import ACTIONS, AMPLIFY, ATTACK, DEFEND

_EVENT_COLUMNS = {
    "step": np.int32,  # step at which the post was made
    "user": np.int32,  # author
    "action": np.int8,  # index into ACTIONS
    "parent": np.int64,  # post it responds to or amplifies (-1 for the seed)
    "root": np.int64,  # for an amplification, the original post at the top of its chain; else the post itself
    "depth": np.int32,  # distance from the seed post in the cascade tree
    "valence": np.int8,  # side of the post: -1 hostile, 0 neither, +1 supportive
    "outrage": np.float32,  # moral-emotional words
    "reaches_target": np.bool_,  # a reply that reached the target (a notification filter can stop them)
    "flagged": np.bool_,  # the platform's classifier flagged it (an amplification: its original's verdict)
    "in_volume": np.bool_,  # counts toward the case's trending volume (campaign posts may carry their own tag)
    "withdrawn": np.bool_,  # taken off the platform after posting (removed, or its author suspended)
}
# The costs interventions report under shared names; every run's summary has them (0 without).
COSTS = (
    "benign_suppressed",  # posts that are not hostile, cancelled after a prompt, removed or hidden
    "benign_prompted",  # replies that are not attacks, prompted by friction
    "benign_downranked",  # posts that are not hostile whose reach was cut (down-ranking, circuit breaker)
    "benign_removed",  # posts that are not hostile, removed
    "wrongly_suspended",  # suspended users who had made no attack
)


class EventLog:
    """Append-only columns of posts; the post id is the row number."""

    column_names = tuple(_EVENT_COLUMNS)

    def __init__(self, capacity: int = 1024):
        self._cols = {k: np.empty(capacity, d) for k, d in _EVENT_COLUMNS.items()}
        self.size = 0

    def append(self, **cols: np.ndarray) -> np.ndarray:
        """Add rows (every column given); returns their post ids."""
        k = len(cols["user"])
        if self.size + k > len(self._cols["user"]):
            cap = max(2 * len(self._cols["user"]), self.size + k)
            for name, arr in self._cols.items():
                grown = np.empty(cap, arr.dtype)
                grown[: self.size] = arr[: self.size]
                self._cols[name] = grown
        for name in _EVENT_COLUMNS:
            self._cols[name][self.size : self.size + k] = cols[name]
        self.size += k
        return np.arange(self.size - k, self.size)

    def __getattr__(self, name: str) -> np.ndarray:
        # The filled part of a column: log.action, log.parent, ...
        if name in _EVENT_COLUMNS:
            return self.__dict__["_cols"][name][: self.__dict__["size"]]
        raise AttributeError(name)

    def __len__(self) -> int:
        return self.size

    def columns(self) -> dict[str, np.ndarray]:
        """Copies of the filled columns."""
        return {k: v[: self.size].copy() for k, v in self._cols.items()}


@dataclass
class RunResult:
    """One run: its parameters, counts per step by action, event log and summary metrics.

    Plots and stores read this object, never the model.
    """

    params: dict[str, Any]
    seed: int | None
    start: dt.datetime  # clock time of step 0 (the seed post)
    step_minutes: float
    target: int
    counts: np.ndarray  # (steps, len(ACTIONS)) posts per step by action
    exposures: np.ndarray  # (steps,) post-viewer pairs processed per step (feed items + trending)
    views: np.ndarray  # (steps,) of those, the pairs still visible: the viewer saw the post
    hostile_views: np.ndarray  # (steps,) views of hostile posts (by bystanders)
    cancelled: np.ndarray  # (steps, len(ACTIONS)) would-be posts cancelled by interventions
    events: dict[str, np.ndarray]
    trend_step: int | None = None  # first step at which the case trended
    interventions: list[dict[str, Any]] = field(default_factory=list)  # settings, acted_at, report
    _summary: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def n_steps(self) -> int:
        """Number of steps simulated."""
        return len(self.counts)

    def clock(self, step: float) -> dt.datetime:
        """Clock time at the start of a step."""
        return self.start + dt.timedelta(minutes=float(step) * self.step_minutes)

    def timeline(self) -> pd.DataFrame:
        """Counts per step by action, one row per step (tidy enough to plot, CSV-friendly)."""
        steps = np.arange(self.n_steps)
        df = pd.DataFrame({"step": steps, "minutes": steps * self.step_minutes})
        df["clock"] = pd.Timestamp(self.start) + pd.to_timedelta(df["minutes"], unit="min")
        for i, name in enumerate(ACTIONS):
            df[name] = self.counts[:, i]
        df["posts"] = self.counts.sum(axis=1)
        df["exposures"] = self.exposures
        df["views"] = self.views
        df["hostile_views"] = self.hostile_views
        return df

    def events_frame(self) -> pd.DataFrame:
        """The event log: one row per post (id = row number)."""
        df = pd.DataFrame(self.events)
        df.insert(0, "post", np.arange(len(df)))
        df.insert(2, "minutes", df["step"] * self.step_minutes)
        df["action"] = pd.Categorical.from_codes(df["action"], categories=list(ACTIONS))
        return df

    @property
    def summary(self) -> dict[str, Any]:
        """Summary metrics (computed once)."""
        if self._summary is None:
            self._summary = summary_metrics(self)
        return self._summary

    def hourly_attacks(self) -> np.ndarray:
        """Attacks in the hour ending at each step (a rolling sum over the steps of one hour)."""
        per_hour = max(1, int(round(60.0 / self.step_minutes)))
        attacks = self.counts[:, ATTACK]
        return np.convolve(attacks, np.ones(per_hour, np.int64))[: len(attacks)]

    def posts_by(self, clock: dt.datetime) -> int:
        """Posts about the case made before a clock time."""
        k = int(np.ceil((clock - self.start).total_seconds() / 60.0 / self.step_minutes))
        return int(self.counts[: max(k, 0)].sum())


def summary_metrics(r: RunResult) -> dict[str, Any]:
    """The summary metrics of a run (see docs/model.md for definitions)."""
    ev = r.events
    action = ev["action"]
    per_hour = max(1, int(round(60.0 / r.step_minutes)))
    rolling = r.hourly_attacks()
    peak_end = int(np.argmax(rolling)) if len(rolling) else 0
    posts_cum = np.cumsum(r.counts.sum(axis=1))
    n_att = int((action == ATTACK).sum())
    n_def = int((action == DEFEND).sum())
    out: dict[str, Any] = {
        "total_posts": len(action),
        "amplifications": int((action == AMPLIFY).sum()),
        "attacks_on_target": n_att,
        "attacks_received": int(((action == ATTACK) & ev["reaches_target"]).sum()),
        "defences": n_def,
        "unique_attackers": len(np.unique(ev["user"][action == ATTACK])),
        "unique_participants": len(np.unique(ev["user"])) - 1,  # less the target
        "peak_attacks_per_hour": int(rolling[peak_end]) if len(rolling) else 0,
        "peak_attacks_clock": _iso(r.clock(max(peak_end + 1 - per_hour, 0))),
        "hostile_share": n_att / (n_att + n_def) if n_att + n_def else float("nan"),
        "engagement": len(action) - 1,  # every post but the seed
        "hostile_exposures": int(r.hostile_views.sum()),
        "exposures": int(r.exposures.sum()),
        "views": int(r.views.sum()),
        "cascade_depth": int(ev["depth"].max()) if len(action) else 0,
        "max_breadth": int(np.bincount(ev["depth"]).max()) if len(action) else 0,
        "structural_virality": structural_virality(ev["parent"], ev["depth"]),
        "trend_clock": _iso(r.clock(r.trend_step)) if r.trend_step is not None else None,
    }
    out |= dict.fromkeys(COSTS, 0)
    out["posts_cancelled"] = int(r.cancelled.sum())
    for iv in r.interventions:
        for key, value in iv["report"].items():
            out[key] = out.get(key, 0) + value  # two of a kind (or shared cost names) add up
        acted = iv["acted_at"]
        out[f"{iv['kind']}_delay_minutes"] = None if acted is None else acted * r.step_minutes
    for k in (1000, 5000):
        hit = np.flatnonzero(posts_cum >= k)
        out[f"minutes_to_{k}_posts"] = float((hit[0] + 1) * r.step_minutes) if len(hit) else None
        out[f"clock_at_{k}_posts"] = _iso(r.clock(hit[0] + 1)) if len(hit) else None
    return out


def structural_virality(parent: np.ndarray, depth: np.ndarray) -> float:
    """Mean distance between all pairs of posts in the cascade tree (Goel et al. 2016).

    Uses the Wiener index of a tree: the sum over edges of ``size(below) * size(above)``, with
    subtree sizes accumulated level by level from the deepest.
    """
    n = len(parent)
    if n < 2:
        return 0.0
    size = np.ones(n, np.int64)
    order = np.argsort(depth, kind="stable")[::-1]
    d_sorted = depth[order]
    cuts = np.flatnonzero(d_sorted[1:] != d_sorted[:-1]) + 1
    for level in np.split(order, cuts):
        if depth[level[0]] == 0:
            break
        np.add.at(size, parent[level], size[level])
    below = size[depth > 0].astype(np.float64)
    wiener = float(np.sum(below * (n - below)))
    return 2.0 * wiener / (n * (n - 1.0))


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")
