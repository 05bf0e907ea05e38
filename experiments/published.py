"""Published intervention effects beside pileon's, under settings matched as closely as pileon allows.

Three studies (docs/policy.md, "Published effects, side by side"):

* Katsaros, Yang & Fratamico 2022 (ICWSM): Twitter's reply prompt, a randomised trial. Per 100
  prompts 69 sent, 22 revised, 9 cancelled; treated users posted 6% fewer offensive tweets than
  control users. Matched by ``examples/katsaros.toml``: the friction prompt as a trial
  (``treated_share = 0.5``), treated and control users in the same pile-on; the outcome is attacks
  posted per user of each group. Twitter's 2021 blog (after one prompt, 11% fewer offensive
  replies later) is the prompt's lasting effect, an input (``later_attacks``), not an output.
* Bak-Coleman et al. 2022 (Nature Human Behaviour; the figures are the 2021 preprint's, read in a
  secondary source): removing every instance of a misinformation event after 30 min / 4 h, nudges
  that cut sharing by 5-40%, a 10% cut in virality after 4 h, and a combination. Matched by
  ``examples/bak_coleman.toml`` with their outcome, cumulative engagement (pileon's
  ``engagement``: every post of the case but the seed), and their statistic, the median over
  simulations (also the mean).
* Pfeffer, Matter & Sargsyan 2023 (ICWSM): the median half-life of a tweet's impressions is about
  80 minutes; after 24 hours ~95% of tweets get no relevant impressions. Matched by the ages at
  which pileon's posts are seen (:class:`ViewAges`, on baseline runs) and by the removal-delay
  curve of ``examples/bak_coleman.toml``.

``pileon published`` computes every pileon figure with a 95% interval (a percentile bootstrap over
runs or paired runs) and says whether the published figure lies inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pileon.model import OutrageModel
from pileon.model.interventions import Intervention
from pileon.model.scenarios import get as get_scenario
from pileon.model.view import ModelView

from .parallel import parallel_map
from .seeds import derive_seed
from .sweeps.design import BASELINE
from .sweeps.store import Store


@dataclass(frozen=True)
class Published:
    """One published figure and where pileon's counterpart comes from."""

    key: str
    study: str
    figure: str
    value: float  # as a share (-0.93 for "93% less") or in the unit of ``unit``
    unit: str  # "share" or "minutes"
    source: str  # [P] read in the primary source, [S] secondary only, as in the sources list


PUBLISHED = (
    Published("katsaros_sent", "Katsaros et al. 2022", "per 100 prompts: sent as is", 0.69, "share", "[P] blog"),
    Published("katsaros_revised", "Katsaros et al. 2022", "per 100 prompts: revised", 0.22, "share", "[P] blog"),
    Published("katsaros_cancelled", "Katsaros et al. 2022", "per 100 prompts: cancelled", 0.09, "share", "[P] blog"),
    Published(
        "katsaros_fewer",
        "Katsaros et al. 2022",
        "offensive posts per treated user vs per control user",
        -0.06,
        "share",
        "[P] abstract",
    ),
    Published("bc_removal_30", "Bak-Coleman et al. 2022", "removal after 30 min: engagement", -0.93, "share", "[S]"),
    Published("bc_removal_240", "Bak-Coleman et al. 2022", "removal after 4 h: engagement", -0.50, "share", "[S]"),
    Published("bc_nudge_5", "Bak-Coleman et al. 2022", "nudge, sharing -5%: engagement", -0.066, "share", "[S]"),
    Published("bc_nudge_10", "Bak-Coleman et al. 2022", "nudge, sharing -10%: engagement", -0.124, "share", "[S]"),
    Published("bc_nudge_20", "Bak-Coleman et al. 2022", "nudge, sharing -20%: engagement", -0.226, "share", "[S]"),
    Published("bc_nudge_40", "Bak-Coleman et al. 2022", "nudge, sharing -40%: engagement", -0.389, "share", "[S]"),
    Published(
        "bc_breaker", "Bak-Coleman et al. 2022", "virality -10% after 4 h (breaker): engagement", -0.33, "share", "[S]"
    ),
    Published("bc_combined", "Bak-Coleman et al. 2022", "combined interventions: engagement", -0.50, "share", "[S]"),
    Published(
        "pfeffer_halflife",
        "Pfeffer et al. 2023",
        "median half-life of a post's impressions",
        80.0,
        "minutes",
        "[P] abstract",
    ),
    Published(
        "pfeffer_24h",
        "Pfeffer et al. 2023",
        "posts still seen after 24 h",
        0.05,
        "share",
        "[P] abstract (~95% without relevant impressions)",
    ),
    Published(
        "pfeffer_removal_80",
        "Pfeffer et al. 2023",
        "removal of attacks after 80 min: hostile exposures",
        -0.50,
        "share",
        "our inference: half a median post's impressions come after its half-life",
    ),
    Published(
        "pfeffer_removal_24h",
        "Pfeffer et al. 2023",
        "removal of attacks after 24 h: hostile exposures",
        0.0,
        "share",
        "our inference: ~95% of posts get no relevant impressions after 24 h",
    ),
)
DELAYS = (15, 30, 60, 80, 120, 240, 480, 1440)  # minutes: the removal arms of examples/bak_coleman.toml

# The arms of examples/bak_coleman.toml that match each Bak-Coleman figure (engagement).
BAK_COLEMAN_ARMS = {
    "bc_removal_30": "removal_all(removal.delay=30)",
    "bc_removal_240": "removal_all(removal.delay=240)",
    "bc_nudge_5": "nudge(nudge.reduction=0.05)",
    "bc_nudge_10": "nudge(nudge.reduction=0.1)",
    "bc_nudge_20": "nudge(nudge.reduction=0.2)",
    "bc_nudge_40": "nudge(nudge.reduction=0.4)",
    "bc_breaker": "breaker_4h",
    "bc_combined": "combined",
}
PFEFFER_ARMS = {"pfeffer_removal_80": "removal(removal.delay=80)", "pfeffer_removal_24h": "removal(removal.delay=1440)"}
KATSAROS_ARM = "trial"
TOLERANCE = {"share": 0.005, "minutes": 0.5}  # published figures are rounded: half a point, half a minute


# -- the ages at which posts are seen -------------------------------------------------------------


@dataclass
class ViewAges(Intervention):
    """A recorder, not a policy: the age of the post in every item a user reads.

    Put it last in a run's list: ``filter_items`` then sees the items the others have kept, which
    are what users read. It never changes the run (it returns no mask and draws nothing).
    """

    kind: ClassVar[str] = "view_ages"
    posts: list[np.ndarray] = field(default_factory=list, init=False, repr=False)
    ages: list[np.ndarray] = field(default_factory=list, init=False, repr=False)

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        self.posts.append(post.copy())
        self.ages.append(t - model.log.step[post])
        return None


def view_age_stats(post: np.ndarray, age_minutes: np.ndarray, posted_minute: np.ndarray, min_views: int = 10) -> dict:
    """Pfeffer's measures on one run's views.

    Args:
        post, age_minutes: one entry per view: the post seen and its age then.
        posted_minute: minute each post was made (index = post id).
        min_views: posts with fewer views are left out of the per-post measures (a half-life of 3
            views means little).

    Returns:
        ``halflife_minutes`` (median over posts made in the first 24 h of the age by which half
        their views had happened), ``seen_after_24h`` (share of those posts seen at an age over
        24 h), ``views_after_24h`` (share of all views at an age over 24 h), ``posts`` (how many),
        and ``after_D`` for each removal delay D of :data:`DELAYS`: the share of the views of posts
        made in the first 24 h that came at an age over D minutes (what removing every post at age
        D would hide, if it changed nothing else).
    """
    day = 24 * 60.0
    early = posted_minute[post] < day  # whole first day of life observed (horizon 48 h)
    p, a = post[early], age_minutes[early]
    order = np.lexsort((a, p))
    p, a = p[order], a[order]
    _, first, counts = np.unique(p, return_index=True, return_counts=True)
    keep = counts >= min_views
    halves = np.array([np.median(a[f : f + c]) for f, c in zip(first[keep], counts[keep], strict=True)])
    late = np.array([a[f + c - 1] > day for f, c in zip(first[keep], counts[keep], strict=True)])
    return {
        "halflife_minutes": float(np.median(halves)) if len(halves) else np.nan,
        "seen_after_24h": float(late.mean()) if len(late) else np.nan,
        "views_after_24h": float(np.mean(age_minutes > day)) if len(age_minutes) else np.nan,
        "posts": int(keep.sum()),
    } | {f"after_{d}": float(np.mean(a > d)) if len(a) else np.nan for d in DELAYS}


def _view_run(scenario: str, spec: tuple[int, dict[str, Any]]) -> dict:
    seed, overrides = spec
    model = OutrageModel(get_scenario(scenario).replace(**overrides), seed=seed, interventions=[ViewAges()])
    result = model.run()
    rec = model.interventions[-1]
    post = np.concatenate(rec.posts) if rec.posts else np.empty(0, np.int64)
    age = (np.concatenate(rec.ages) if rec.ages else np.empty(0)) * result.step_minutes
    return view_age_stats(post, age, result.events["step"] * result.step_minutes) | {"seed": seed}


def view_ages(runs: int, seed: int = 2023, scenario: str = "buffy", workers: int = 1, **overrides: Any) -> pd.DataFrame:
    """:func:`view_age_stats` of ``runs`` baseline runs (seeds derived from ``seed``), one row each."""
    specs = [(derive_seed(seed, i), overrides) for i in range(runs)]
    return pd.DataFrame(list(parallel_map(_view_run, specs, scenario, workers=workers)))


def read_view_ages(path: str | Path) -> pd.DataFrame:
    """A ``view_ages.csv`` written by ``pileon published``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a column of :func:`view_age_stats` is missing (the message names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a view_ages.csv of pileon published ({str(e).strip()})") from None
    missing = {"halflife_minutes", "seen_after_24h", "views_after_24h", "posts"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: not a view_ages.csv of pileon published (no {', '.join(sorted(missing))})")
    return table


# -- pileon's figures with intervals --------------------------------------------------------------


def _boot(values: np.ndarray, stat: Any, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """``stat`` of the rows of ``values`` and its 95% percentile bootstrap interval (rows resampled)."""
    rng = np.random.default_rng(seed)
    est = float(stat(values))
    idx = rng.integers(0, len(values), (n_boot, len(values)))
    draws = np.array([stat(values[i]) for i in idx])
    lo, hi = np.nanpercentile(draws, [2.5, 97.5])
    return est, float(lo), float(hi)


def katsaros_figures(runs: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """Per 100 prompted attacks: sent, revised, cancelled; and attacks per treated vs control user."""
    trial = runs[runs["arm"] == KATSAROS_ARM]
    if trial.empty:
        raise ValueError(f"no runs of arm {KATSAROS_ARM!r}: sweep examples/katsaros.toml")
    cols = ["prompts", "benign_prompted", "attacks_cancelled", "attacks_revised"]
    cols += ["treated_attacks", "control_attacks", "treated_users", "control_users"]
    x = trial[cols].fillna(0).to_numpy(float)

    def share(col: int) -> Any:
        return lambda v: v[:, col].sum() / (v[:, 0] - v[:, 1]).sum()

    def fewer(v: np.ndarray) -> float:
        return (v[:, 4].sum() / v[:, 6].sum()) / (v[:, 5].sum() / v[:, 7].sum()) - 1.0

    return {
        "katsaros_cancelled": _boot(x, share(2)),
        "katsaros_revised": _boot(x, share(3)),
        "katsaros_sent": _boot(x, lambda v: 1.0 - share(2)(v) - share(3)(v)),
        "katsaros_fewer": _boot(x, fewer),
    }


def paired_change(runs: pd.DataFrame, arm: str, metric: str, statistic: str = "median") -> tuple[float, float, float]:
    """Relative change of ``metric`` in ``arm`` against the baseline (paired runs): the ratio of
    medians (Bak-Coleman's statistic) or of means, less 1, with its bootstrap interval."""
    base = runs[runs["arm"] == BASELINE].set_index(["point", "replicate"])[metric]
    mine = runs[runs["arm"] == arm].set_index(["point", "replicate"])[metric]
    if mine.empty:
        raise ValueError(f"no runs of arm {arm!r} in the store")
    pairs = pd.concat([base, mine], axis=1, join="inner").to_numpy(float)
    f = np.median if statistic == "median" else np.mean

    def change(v: np.ndarray) -> float:
        b = f(v[:, 0])
        return f(v[:, 1]) / b - 1.0 if b > 0 else np.nan

    return _boot(pairs, change)


def comparison(
    bak_coleman: str | Path | None = None,
    katsaros: str | Path | None = None,
    views: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The published figures and pileon's, one row each (those whose inputs are given).

    Returns:
        ``key, study, figure, source, published, pileon, lo, hi, inside, statistic, runs``:
        ``inside`` whether the published figure lies in pileon's 95% interval (widened by the
        published figure's rounding, :data:`TOLERANCE`).
    """
    ours: dict[str, tuple[tuple[float, float, float], str, int]] = {}
    if katsaros is not None:
        with Store(katsaros) as store:
            runs = store.runs()
        n = int((runs["arm"] == KATSAROS_ARM).sum())
        for key, v in katsaros_figures(runs).items():
            ours[key] = (v, "pooled over runs", n)
    if bak_coleman is not None:
        with Store(bak_coleman) as store:
            runs = store.runs()
        for key, arm in BAK_COLEMAN_ARMS.items():
            if (runs["arm"] == arm).any():
                n = int((runs["arm"] == arm).sum())
                ours[key] = (paired_change(runs, arm, "engagement", "median"), "ratio of medians", n)
                ours[key + "_mean"] = (paired_change(runs, arm, "engagement", "mean"), "ratio of means", n)
        for key, arm in PFEFFER_ARMS.items():
            if (runs["arm"] == arm).any():
                n = int((runs["arm"] == arm).sum())
                ours[key] = (paired_change(runs, arm, "hostile_exposures", "mean"), "ratio of means", n)
    if views is not None and len(views):
        v = views[["halflife_minutes", "seen_after_24h"]].to_numpy(float)
        ours["pfeffer_halflife"] = (_boot(v, lambda x: np.median(x[:, 0])), "median over runs", len(v))
        ours["pfeffer_24h"] = (_boot(v, lambda x: np.median(x[:, 1])), "median over runs", len(v))
    rows = []
    for pub in PUBLISHED:
        for suffix in ("", "_mean"):
            if pub.key + suffix not in ours:
                continue
            (est, lo, hi), statistic, n = ours[pub.key + suffix]
            rows.append(
                {
                    "key": pub.key,
                    "study": pub.study,
                    "figure": pub.figure,
                    "source": pub.source,
                    "published": pub.value,
                    "unit": pub.unit,
                    "pileon": est,
                    "lo": lo,
                    "hi": hi,
                    "inside": bool(lo - TOLERANCE[pub.unit] <= pub.value <= hi + TOLERANCE[pub.unit]),
                    "statistic": statistic,
                    "runs": n,
                }
            )
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The comparison as a markdown table."""

    def fmt(x: float, unit: str, change: bool) -> str:
        return f"{x:.0f} min" if unit == "minutes" else f"{100 * x:+.1f}%" if change else f"{100 * x:.1f}%"

    lines = [
        "| study | figure | published | pileon | 95% interval | statistic (runs) | inside |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        u, c = r["unit"], r["published"] <= 0 and r["pileon"] <= 0  # a change, not a share
        lines.append(
            f"| {r['study']} {r['source']} | {r['figure']} | {fmt(r['published'], u, c)} | "
            f"{fmt(r['pileon'], u, c)} | [{fmt(r['lo'], u, c)}, {fmt(r['hi'], u, c)}] | "
            f"{r['statistic']} ({r['runs']}) | {'yes' if r['inside'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def removal_delay_figure(runs: pd.DataFrame, views: pd.DataFrame | None = None) -> Any:
    """The removal-delay curve beside what impressions' timing implies.

    Lines: the share of hostile exposures (and of engagement) prevented by removing each post the
    classifier flags, once shared, after each delay (pileon, ``examples/bak_coleman.toml``, mean
    with 95% bootstrap interval); the share of views that come after each age in baseline runs
    (pileon, ``views``); and the share of a post's impressions still to come at each age if they
    decayed exponentially with Pfeffer et al.'s 80-minute median half-life (the shape is our
    assumption; the paper gives the half-life and that ~95% of tweets get no relevant impressions
    after 24 h, both marked).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
    for metric, color in (("hostile_exposures", "#C44E52"), ("engagement", "#4C72B0")):
        xs, ys, los, his = [], [], [], []
        for d in DELAYS:
            arm = f"removal(removal.delay={d})"
            if (runs["arm"] == arm).any():
                est, lo, hi = paired_change(runs, arm, metric, "mean")
                xs.append(d)
                ys.append(-100 * est)
                los.append(-100 * hi)
                his.append(-100 * lo)
        if xs:
            ax.plot(xs, ys, "o-", color=color, label=f"pileon: {metric} prevented by removal after d")
            ax.fill_between(xs, los, his, color=color, alpha=0.15, lw=0)
    if views is not None and all(f"after_{d}" in views for d in DELAYS):
        after = [100 * views[f"after_{d}"].median() for d in DELAYS]
        ax.plot(DELAYS, after, "s--", color="#55A868", label="pileon: views that come after age d (baseline)")
    d = np.geomspace(DELAYS[0], DELAYS[-1], 100)
    ax.plot(d, 100 * 2.0 ** (-d / 80.0), ":", color="k", label="impressions after age d, exponential, half-life 80 min")
    ax.plot([80], [50], "kD", ms=6)
    ax.plot([1440], [5], "kv", ms=7, label="Pfeffer et al. 2023: half-life 80 min; ~95% none after 24 h")
    ax.set_xscale("log")
    ax.set_xticks(DELAYS, [str(x) for x in DELAYS])
    ax.set_xlabel("removal delay, or age of the post (minutes)")
    ax.set_ylabel("%")
    ax.set_ylim(-5, 105)
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    ax.set_title("late removal prevents little: pileon's removal-delay curve and impressions' timing", loc="left")
    return fig
