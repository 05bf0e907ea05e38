"""Reply stance over a thread's life: RumourEval / PHEME threads against the model's replies.

Observed: every reply in a thread (every post but the source) carries a human stance label toward
the source post's *claim*: support, deny, query or comment. Model: a reply is an attack (hostile to
the target, a *person*) or a defence (supportive of them); amplifications are not replies.

The mapping (docs/observed.md, "Reply stance"): support -> defend, deny -> attack as "a reply
against the source post"; query and comment have no counterpart (the model's users reply only to
take a side). So the comparable measure is the **against share** of the partisan replies,
``deny / (deny + support)`` against ``attack / (attack + defend)``, by thread age; denying a claim is
not attacking a person, so agreement says the model's mix of for and against and its drift over a
thread's life are plausible for a contested post, never that its attacks are.

Shares are pooled over threads within bins of thread age (minutes after the source post), with
bootstrap intervals over threads (observed) or over runs (model). RumourEval 2017 was built from
PHEME: the seqhawkes stories are the same conversations as RumourEval's Charlie Hebdo, Ottawa and
Sydney threads. :func:`split_by_event` keeps a choice and its check apart by event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pileon.model import OutrageModel, Params
from pileon.model.decisions import AMPLIFY, ATTACK, DEFEND

from ..parallel import parallel_map
from ..seeds import REPLICATE, derive_seed
from .readers import Cascade, read_pheme, read_rumoureval

STANCES = ("support", "deny", "query", "comment")
AGE_BINS = (0.0, 5.0, 15.0, 60.0, 240.0, 1440.0, np.inf)  # minutes after the source post
EARLY = 60.0  # minutes: the drift is the against share after this age less the share before it

# PHEME's events by the UTC day of their source tweets (RumourEval thread ids are tweet ids, whose
# top bits are a millisecond timestamp), and the events of the seqhawkes files by file name.
PHEME_EVENTS = (
    ("ferguson", "2014-08-01", "2014-08-31"),
    ("ebola-essien", "2014-10-01", "2014-10-20"),
    ("ottawashooting", "2014-10-21", "2014-10-31"),
    ("prince-toronto", "2014-11-01", "2014-11-30"),
    ("sydneysiege", "2014-12-01", "2014-12-31"),
    ("charliehebdo", "2015-01-01", "2015-01-31"),
    ("putinmissing", "2015-03-01", "2015-03-20"),
    ("germanwings-crash", "2015-03-21", "2015-03-31"),
)
SEQHAWKES_EVENTS = {"charlie": "charliehebdo", "ottawa": "ottawashooting", "sydney": "sydneysiege"}
_TWITTER_EPOCH_MS = 1288834974657


def read_threads(path: str | Path) -> list[Cascade]:
    """Threads of a RumourEval CSV or a PHEME seqhawkes file with their stance labels as actions
    (``support``, ``deny``, ``query``, ``comment``; the source ``seed_post``) and ``meta['event']``."""
    path = Path(path)
    labels = {s: s for s in STANCES}
    if path.suffix == ".csv":
        threads = read_rumoureval(path, labels)
        for c in threads:
            c.meta["event"] = event_of_tweet(c.name)
    else:
        threads = read_pheme(path, labels)
        for c in threads:
            c.meta["event"] = SEQHAWKES_EVENTS.get(path.stem, path.stem)
    return threads


def event_of_tweet(tweet_id: str) -> str:
    """The PHEME event of a source tweet, from the day in its id (``unknown`` if none fits)."""
    try:
        ms = (int(tweet_id) >> 22) + _TWITTER_EPOCH_MS
    except ValueError:
        return "unknown"
    day = dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date().isoformat()
    return next((name for name, first, last in PHEME_EVENTS if first <= day <= last), "unknown")


def split_by_event(choose: list[Cascade], check: list[Cascade]) -> tuple[list[Cascade], list[str]]:
    """The threads of ``choose`` whose event is not among ``check``'s, and the events dropped."""
    held = {c.meta["event"] for c in check}
    dropped = sorted({c.meta["event"] for c in choose} & held)
    return [c for c in choose if c.meta["event"] not in held], dropped


@dataclass
class StanceCounts:
    """Replies per age bin and kind, per thread (observed) or per run (model): ``counts[unit, bin, kind]``."""

    kinds: tuple[str, ...]
    counts: np.ndarray
    bins: tuple[float, ...] = AGE_BINS

    @classmethod
    def observed(cls, threads: Sequence[Cascade], bins: Sequence[float] = AGE_BINS) -> StanceCounts:
        """Replies of each stance per thread and age bin (the source post is not a reply)."""
        counts = np.zeros((len(threads), len(bins) - 1, len(STANCES)), np.int64)
        for i, c in enumerate(threads):
            reply = c.parent >= 0
            b = np.digitize(c.minutes[reply], bins[1:-1], right=True)
            for k, s in enumerate(STANCES):
                counts[i, :, k] = np.bincount(b[c.action[reply] == s], minlength=len(bins) - 1)
        return cls(STANCES, counts, tuple(bins))

    def against(self) -> np.ndarray:
        """Per unit and bin: (against replies, partisan replies)."""
        k = {s: i for i, s in enumerate(self.kinds)}
        if "deny" in k:
            a, f = self.counts[..., k["deny"]], self.counts[..., k["support"]]
        else:
            a, f = self.counts[..., k["attack"]], self.counts[..., k["defend"]]
        return np.stack((a, a + f), axis=-1)


@dataclass
class StanceSimulator:
    """Runs of a preset at given values; returns the run's replies and amplifications per age bin.

    Picklable, so that worker processes can call it.
    """

    base: Params
    bins: tuple[float, ...] = AGE_BINS

    def __call__(self, values: dict[str, float], seed: int) -> np.ndarray:
        result = OutrageModel(self.base.replace(**values), seed=seed).run()
        ev = result.events
        minutes = ev["step"] * result.step_minutes
        b = np.digitize(minutes, self.bins[1:-1], right=True)
        out = np.zeros((len(self.bins) - 1, 3), np.int64)
        for k, action in enumerate((ATTACK, DEFEND, AMPLIFY)):
            sel = (ev["action"] == action) & (ev["parent"] >= 0)
            out[:, k] = np.bincount(b[sel], minlength=len(self.bins) - 1)
        return out


MODEL_KINDS = ("attack", "defend", "amplify")


def simulate(sim: StanceSimulator, task: tuple[dict[str, float], int]) -> np.ndarray:
    """One run (in a worker): the simulator at ``(values, seed)``."""
    values, seed = task
    return sim(values, seed)


def shares(sc: StanceCounts, boot: int = 1000, seed: int = 0, level: float = 0.9) -> pd.DataFrame:
    """Per age bin and overall: replies, the share of each kind among the replies (amplifications
    apart) and the against share, each pooled over units with a bootstrap interval over units; and
    the drift (against share after :data:`EARLY` minutes less before it) in the ``drift`` row."""
    rng = np.random.default_rng(seed)
    n = sc.counts.shape[0]
    draws = rng.integers(0, n, (boot, n)) if n else np.zeros((boot, 0), int)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    reply_kinds = [k for k in range(len(sc.kinds)) if sc.kinds[k] != "amplify"]
    edges = sc.bins
    labels = [_bin_label(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]

    def pooled(c: np.ndarray) -> dict[str, np.ndarray]:
        # c: (..., units, bins, kinds) -> per bin + overall, and the drift
        per_bin = c.sum(axis=-3)
        overall = per_bin.sum(axis=-2, keepdims=True)
        early = np.asarray(edges[1:]) <= EARLY
        table = np.concatenate((per_bin, overall), axis=-2).astype(float)
        replies = table[..., reply_kinds].sum(axis=-1)
        ag = np.moveaxis(StanceCounts(sc.kinds, table).against(), -1, 0)
        out = {"replies": replies}
        with np.errstate(invalid="ignore", divide="ignore"):
            for k in reply_kinds:
                out[f"share_{sc.kinds[k]}"] = table[..., k] / replies
            out["against"] = ag[0] / ag[1]
            before = StanceCounts(sc.kinds, per_bin[..., early, :].sum(axis=-2)).against()
            after = StanceCounts(sc.kinds, per_bin[..., ~early, :].sum(axis=-2)).against()
            out["drift"] = after[..., 0] / after[..., 1] - before[..., 0] / before[..., 1]
        return out

    point = pooled(sc.counts)
    sample = pooled(sc.counts[draws]) if n else {k: np.full((boot, *np.shape(v)), np.nan) for k, v in point.items()}
    rows = []
    for j, label in enumerate([*labels, "all"]):
        row: dict[str, float | str] = {"age": label, "replies": point["replies"][j]}
        for key in [k for k in point if k not in ("replies", "drift")]:
            row[key] = point[key][j]
            row[f"{key}_low"], row[f"{key}_high"] = _interval(sample[key][:, j], lo_q, hi_q)
        rows.append(row)
    lo, hi = _interval(sample["drift"], lo_q, hi_q)
    rows.append(
        {
            "age": "drift",
            "replies": point["replies"][-1],
            "against": point["drift"],
            "against_low": lo,
            "against_high": hi,
        }
    )
    return pd.DataFrame(rows)


def _interval(x: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    return (float(np.quantile(x, lo)), float(np.quantile(x, hi))) if len(x) else (np.nan, np.nan)


def _bin_label(a: float, b: float) -> str:
    def fmt(m: float) -> str:
        return f"{m / 60:g} h" if m >= 60 else f"{m:g} min"

    return f"over {fmt(a)}" if not np.isfinite(b) else f"{fmt(a)}-{fmt(b)}"


def distance(model: pd.DataFrame, observed: pd.DataFrame, min_replies: int = 10) -> float:
    """Mean squared difference of the against shares over the age bins (not ``all`` or ``drift``),
    in units of the two intervals' combined half-width, over bins with ``min_replies`` partisan
    replies or more in the observed data."""
    m, o = _bins(model), _bins(observed)
    half = lambda t: (t["against_high"] - t["against_low"]) / 2  # noqa: E731
    scale = np.sqrt(half(m) ** 2 + half(o) ** 2)
    use = np.isfinite(m["against"]) & np.isfinite(o["against"]) & (o["partisan"] >= min_replies) & (scale > 0)
    return float(np.mean(((m["against"] - o["against"]) / scale)[use] ** 2)) if use.any() else np.inf


def inside(model: pd.DataFrame, observed: pd.DataFrame) -> pd.Series:
    """Per age bin, ``all`` and ``drift``: whether the model's against share lies in the observed interval."""
    m, o = model.set_index("age"), observed.set_index("age")
    ok = (m["against"] >= o["against_low"]) & (m["against"] <= o["against_high"])
    return ok.where(np.isfinite(m["against"]) & np.isfinite(o["against_low"]))


def _bins(t: pd.DataFrame) -> pd.DataFrame:
    t = t[~t["age"].isin(["all", "drift"])].reset_index(drop=True)
    sides = ["share_attack", "share_defend"] if "share_attack" in t else ["share_support", "share_deny"]
    return t.assign(partisan=t["replies"] * t[sides].sum(axis=1))


@dataclass
class Candidate:
    """A model setting tried: a label and the parameter values it changes."""

    label: str
    values: dict[str, float] = field(default_factory=dict)


def partisan_split_grid(
    partisans: float = 0.45,
    hostile: Sequence[float] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7),
    norm_learning: Sequence[float] = (0.0, 1.0, 2.0),
) -> list[Candidate]:
    """Settings that keep the partisan users at ``partisans`` of all and vary how many of them are
    hostile (the reply mix) and ``norm_learning`` (its drift)."""
    return [
        Candidate(
            f"hostile {h:.0%} of partisans, norm_learning {nl:g}",
            {"hostile_fraction": partisans * h, "supportive_fraction": partisans * (1 - h), "norm_learning": nl},
        )
        for h in hostile
        for nl in norm_learning
    ]


@dataclass
class StanceComparison:
    """The outcome of :func:`compare_stance`."""

    observed: dict[str, pd.DataFrame]  # the choice's threads, then the check's: :func:`shares`
    model: dict[str, pd.DataFrame]  # each setting tried (the preset first): :func:`shares`
    choice: pd.DataFrame  # per setting: its values, distances, bins inside the check's intervals, chosen
    chosen: str
    dropped: list[str]  # events dropped from the choice because the check has them
    threads: tuple[int, int]
    events: tuple[list[str], list[str]]

    def shown(self) -> dict[str, pd.DataFrame]:
        """The chosen setting and the preset, as the figure shows them."""
        preset = next(iter(self.model))
        return {f"model, chosen: {self.chosen}": self.model[self.chosen], f"model, {preset}": self.model[preset]}

    def write(self, out: Path) -> None:
        """``observed.csv``, ``model.csv`` and ``choice.csv`` in ``out``."""
        pd.concat([t.assign(dataset=k) for k, t in self.observed.items()]).to_csv(out / "observed.csv", index=False)
        pd.concat([t.assign(candidate=k) for k, t in self.model.items()]).to_csv(out / "model.csv", index=False)
        self.choice.to_csv(out / "choice.csv", index=False)


def compare_stance(
    choose: list[Cascade],
    check: list[Cascade],
    base: Params,
    name: str = "buffy",
    grid: Sequence[Candidate] | None = None,
    replicates: int = 4,
    boot: int = 1000,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> StanceComparison:
    """Choose a model setting on ``choose``'s threads, check it on ``check``'s.

    Threads of ``choose`` from an event ``check`` holds are dropped first (:func:`split_by_event`).
    Every setting of ``grid`` (default :func:`partisan_split_grid`) and the preset ``base`` itself
    run ``replicates`` times with the same seeds; the setting with the least :func:`distance` on
    the choice's threads is chosen (the preset is reported, not chosen among).

    Raises:
        ValueError: no threads left to choose or check on.
    """
    choose, dropped = split_by_event(choose, check)
    if not choose or not check:
        raise ValueError(
            f"no threads left to {'choose on' if not choose else 'check on'} "
            f"(events dropped from the choice: {', '.join(dropped) or 'none'})"
        )
    observed = {
        f"observed, choose ({len(choose)} threads)": shares(StanceCounts.observed(choose), boot, seed),
        f"observed, check ({len(check)} threads)": shares(StanceCounts.observed(check), boot, seed),
    }
    grid = [Candidate(f"{name} preset", {}), *(partisan_split_grid() if grid is None else grid)]
    seeds = [derive_seed(seed, REPLICATE, r) for r in range(replicates)]  # the same for every setting
    tasks = [(c.values, s) for c in grid for s in seeds]
    counts = np.stack(list(parallel_map(simulate, tasks, StanceSimulator(base), workers=workers, progress=progress)))
    model = {
        c.label: shares(StanceCounts(MODEL_KINDS, counts[k * replicates : (k + 1) * replicates]), boot, seed)
        for k, c in enumerate(grid)
    }
    t_choose, t_check = observed.values()
    rows = []
    for c in grid:
        m = model[c.label]
        ok = inside(m, t_check)
        ages = [a for a in ok.index if a not in ("all", "drift")]
        rows.append(
            {
                "candidate": c.label,
                **c.values,
                "distance_choose": distance(m, t_choose),
                "distance_check": distance(m, t_check),
                "bins_inside_check": int(ok[ages].sum()),
                "bins": int(ok[ages].notna().sum()),
                "against_all": float(m.set_index("age").loc["all", "against"]),
                "drift": float(m.set_index("age").loc["drift", "against"]),
            }
        )
    choice = pd.DataFrame(rows)
    tried = choice.iloc[1:]
    chosen = str(tried.loc[tried["distance_choose"].idxmin(), "candidate"])
    choice["chosen"] = choice["candidate"] == chosen
    events = (sorted({c.meta["event"] for c in choose}), sorted({c.meta["event"] for c in check}))
    return StanceComparison(observed, model, choice, chosen, dropped, (len(choose), len(check)), events)
