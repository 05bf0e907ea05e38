"""The ``buffy`` preset calibrated to the #Buffy anchors by ABC (population Monte Carlo).

One run per parameter point, each with its own seed (the seeding rule of :mod:`..seeds`), in the
documented configuration of the case (the victim going private, the counter-hashtag). A point is
accepted when its run's distance to the anchors (:func:`pileon.experiments.anchors.distance`: how
far each evidence measure lies outside its range, in widths of the range) is at most ``epsilon``
(0: inside every range). With one run per point this is ABC with a uniform kernel: the accepted
points are draws from the posterior of the parameters given that the case landed inside the
anchors' ranges.

Generation 1 is a scrambled Sobol design over the priors (``scipy.stats.qmc``): plain rejection
ABC. Each later generation proposes from Gaussian kernels (per parameter, truncated to the prior's
bounds, twice the spread of the centres: Beaumont et al. 2009) around the closest points so far,
so that more runs land near the posterior. Every accepted point carries the importance weight
prior / proposal, with the proposal the mixture of all generations' (the balance heuristic), so
the weighted accepted points are draws from the same posterior as plain rejection would give.

Runs whose posts by 14:00 already pass the anchors' upper bound stop there (a third of the cost):
their distance counts the posts check alone, a lower bound, and they cannot be accepted.

Every evaluation is written to ``evaluations.jsonl`` as it finishes, so an interrupted calibration
resumes where it stopped when run again with the same settings; ``evaluations.csv`` is written at the
end.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from pileon.model import Network, OutrageModel, Params
from pileon.model.scenarios import buffy

from ..parallel import parallel_map
from ..seeds import ANCHORS, REFINE, derive_seed
from . import CHECKS, Check, buffy_measures, check_buffy, distance, documented_interventions


@dataclass(frozen=True)
class Prior:
    """A calibrated parameter: its model name and bounds, sampled uniformly (on a log scale if ``log``)."""

    name: str
    low: float
    high: float
    log: bool = True

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map [0, 1] to the bounds."""
        u = np.asarray(u, float)
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`from_unit`."""
        x = np.asarray(x, float)
        if self.log:
            return (np.log(x) - np.log(self.low)) / (np.log(self.high) - np.log(self.low))
        return (x - self.low) / (self.high - self.low)


# The parameters the #Buffy preset used to be tuned by hand on, with wide priors around those values.
PRIORS: tuple[Prior, ...] = (
    Prior("amplify_prob", 0.03, 0.2),  # per seen post
    Prior("reply_prob", 0.03, 0.2),  # per seen post
    Prior("trend_threshold", 10.0, 100.0),  # posts/hour
    Prior("trend_gain", 4.0, 80.0),  # trending impressions per hour per post of the last hour
    Prior("novelty_halflife", 2.0, 48.0),  # hours
    Prior("hostile_fraction", 0.15, 0.6, log=False),  # of users
)


@dataclass
class BuffySimulator:
    """One run of the ``buffy`` preset at given parameter values; returns the anchor measures.

    Picklable, so that worker processes can call it. ``documented`` adds the case's interventions
    (:func:`pileon.experiments.anchors.documented_interventions`). The run stops at midnight of the
    seed day: the measures speak of that day only (:func:`pileon.experiments.anchors.buffy_measures`),
    so they are the same as a 48-hour run's, at a third of the cost. With ``stop_above``, a run
    with more posts by 14:00 stops there and reports ``posts_by_14h`` (and, as its lower bound,
    ``posts_by_19h``) and ``stopped``.
    """

    n_users: int = 200_000
    documented: bool = True
    base: Params = field(default_factory=buffy)
    graphs: int = 0  # 0: each run generates its own follower graph; k: runs share k graphs, built once
    graph_seed: int = 0
    stop_above: float | None = None
    _cache: dict[int, Network] = field(default_factory=dict, repr=False, compare=False)

    def __call__(self, values: dict[str, float], seed: int) -> dict[str, float]:
        specs = Params.specs()
        values = {k: round(v) if specs[k].kind is int else v for k, v in values.items()}
        params = self.base.replace(n_users=self.n_users, **values)
        params = params.replace(horizon_hours=min(params.horizon_hours, 24.0 - params.seed_clock))
        ivs = documented_interventions() if self.documented else []
        network = self.network(seed % self.graphs, params) if self.graphs else None
        model = OutrageModel(params, seed=seed, network=network, interventions=ivs)
        at_14h = math.ceil((14.0 - params.seed_clock) * 60.0 / params.step_minutes)
        while model.running:
            model.step()
            if self.stop_above is not None and model.t + 1 == at_14h:
                posts = int(model.counts[:at_14h].sum())
                if posts > self.stop_above:
                    day = dt.datetime.combine(model.clock.start.date(), dt.time())
                    seed_clock = (model.clock.start - day).total_seconds() / 3600.0
                    return {
                        "seed_post_clock_time": seed_clock,
                        "posts_by_14h": posts,
                        "posts_by_19h": posts,
                        "total_posts": posts,
                        "stopped": 1,
                    }
        result = model.result()
        return buffy_measures(result) | {"total_posts": result.summary["total_posts"], "stopped": 0}

    def network(self, k: int, params: Params) -> Network:
        """The ``k``-th shared follower graph (the calibrated parameters do not shape the graph),
        with the target's exact audience planted as a generated run's would be."""
        if k not in self._cache:
            rng = np.random.default_rng(np.random.SeedSequence([self.graph_seed, k]))
            net = Network.generate(params.network, rng)
            if params.target_exact:
                target = int(np.argmin(np.abs(net.follower_counts() - params.target_followers)))
                net = net.with_followers(target, min(params.target_followers, net.n - 1), rng)
            self._cache[k] = net
        return self._cache[k]

    def __getstate__(self) -> dict[str, Any]:  # workers build their own graphs
        return {**self.__dict__, "_cache": {}}


@dataclass
class Posterior:
    """The outcome of :func:`run_abc`: every evaluation, and the accepted ones with their weights."""

    priors: tuple[Prior, ...]
    evaluations: pd.DataFrame  # point, generation, seed, parameters, measures, distance, weight, accepted
    epsilon: float

    @property
    def accepted(self) -> pd.DataFrame:
        """The accepted points: weighted draws from the ABC posterior (column ``weight``)."""
        return self.evaluations[self.evaluations["accepted"]]

    @property
    def acceptance_rate(self) -> float:
        """Share of all runs accepted."""
        return float(self.evaluations["accepted"].mean()) if len(self.evaluations) else math.nan

    @property
    def effective_size(self) -> float:
        """Effective sample size of the weighted accepted points, ``(sum w)^2 / sum w^2``."""
        w = self.accepted["weight"].to_numpy(float)
        return float(w.sum() ** 2 / (w**2).sum()) if len(w) else 0.0

    def quantiles(self, name: str, q: Sequence[float]) -> np.ndarray:
        """Weighted quantiles of a parameter over the accepted points."""
        acc = self.accepted
        return weighted_quantiles(acc[name].to_numpy(float), acc["weight"].to_numpy(float), q)

    def summary(self) -> pd.DataFrame:
        """Per parameter: prior bounds, posterior median and 90% interval (5%-95%), accepted runs,
        their effective size, all runs and the acceptance rate."""
        rows = []
        for p in self.priors:
            low, median, high = self.quantiles(p.name, [0.05, 0.5, 0.95])
            rows.append(
                {
                    "parameter": p.name,
                    "prior_low": p.low,
                    "prior_high": p.high,
                    "prior_scale": "log" if p.log else "linear",
                    "median": median,
                    "low": low,
                    "high": high,
                    "accepted": len(self.accepted),
                    "effective_size": self.effective_size,
                    "runs": len(self.evaluations),
                    "acceptance_rate": self.acceptance_rate,
                }
            )
        return pd.DataFrame(rows)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of ``x`` with weights ``w`` (the weighted empirical distribution, interpolated
    between the midpoints of the sorted points' weights); NaN for no points."""
    x, w = x[w > 0], w[w > 0]
    if len(x) == 0:
        return np.full(len(q), np.nan)
    order = np.argsort(x)
    x, w = x[order], w[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cum, x)


@dataclass(frozen=True)
class Proposal:
    """A generation's proposal on the unit cube: the prior (no centres) or an equal mixture of
    Gaussian kernels at ``centres`` with spread ``sd`` per parameter, truncated to [0, 1]."""

    centres: np.ndarray | None = None
    sd: np.ndarray | None = None

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` points of the proposal."""
        assert self.centres is not None and self.sd is not None
        mu = self.centres[rng.integers(0, len(self.centres), n)]
        a, b = (0.0 - mu) / self.sd, (1.0 - mu) / self.sd
        return stats.truncnorm.rvs(a, b, loc=mu, scale=self.sd, random_state=rng)

    def density(self, u: np.ndarray) -> np.ndarray:
        """The proposal's density at points ``u`` of the unit cube (the prior's is 1)."""
        if self.centres is None:
            return np.ones(len(u))
        assert self.sd is not None
        z = (u[:, None, :] - self.centres[None]) / self.sd  # point, centre, parameter
        mass = stats.norm.cdf((1.0 - self.centres) / self.sd) - stats.norm.cdf(-self.centres / self.sd)
        per = stats.norm.pdf(z) / self.sd / mass[None]
        return per.prod(axis=2).mean(axis=1)

    @classmethod
    def around(cls, centres: np.ndarray) -> Proposal:
        """Kernels at the centres with twice their spread per parameter (at least 0.02)."""
        return cls(centres, np.maximum(np.sqrt(2.0) * centres.std(axis=0), 0.02))


def run_abc(
    simulate: Callable[[dict[str, float], int], dict[str, float]],
    priors: Sequence[Prior] = PRIORS,
    runs: int = 1024,
    generations: int = 2,
    keep: float = 0.1,
    epsilon: float = 0.0,
    seed: int = 0,
    checks: Sequence[Check] = CHECKS,
    workers: int = 1,
    out: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    settings: dict[str, Any] | None = None,
) -> Posterior:
    """ABC by population Monte Carlo: ``runs`` runs over ``generations`` (see the module docstring).

    Args:
        simulate: ``simulate(values, seed)`` -> the measures the checks read (top-level picklable
            callable when ``workers`` > 1).
        generations: 1 is plain rejection ABC on the Sobol design.
        keep: share of the runs so far (at least 10) whose points centre the next proposal.
        epsilon: the largest accepted distance.
        checks: the ranges; the evidence ones make the distance.
        out: a folder to write ``evaluations.jsonl`` to as runs finish (and to resume from), and
            ``evaluations.csv`` at the end.
        progress: called as ``progress(done, runs)``.
        settings: what else defines the runs (size, configuration), to refuse resuming with others.

    Raises:
        ValueError: bad priors or settings, or ``out`` holds a calibration with other settings.
    """
    priors = tuple(priors)
    _check_settings(priors, runs, generations, keep, epsilon)
    sizes = [runs // generations + (1 if g < runs % generations else 0) for g in range(generations)]
    done: dict[int, dict[str, Any]] = {}
    log_path = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        log_path = out / "evaluations.jsonl"
        described = {
            "priors": [asdict(p) for p in priors],
            "runs": runs,
            "generations": generations,
            "keep": keep,
            "seed": seed,
            **(settings or {}),
        }
        done = _resume(out, described)
    if progress:
        progress(len(done), runs)
    proposals: list[Proposal] = []
    first = 0
    for g, size in enumerate(sizes):
        index = np.arange(first, first + size)
        if g == 0:
            proposal = Proposal()
            with warnings.catch_warnings():  # a size that is not a power of two is fine here
                warnings.simplefilter("ignore", UserWarning)
                unit = qmc.Sobol(len(priors), scramble=True, seed=np.random.default_rng(seed)).random(size)
        else:
            so_far = pd.DataFrame([done[i] for i in range(first)])
            best = so_far.sort_values(["distance", "point"]).head(max(10, math.ceil(keep * len(so_far))))
            proposal = Proposal.around(_unit(priors, best))
            unit = proposal.sample(size, np.random.default_rng(derive_seed(seed, REFINE, g)))
        proposals.append(proposal)
        tasks = []
        for i, u in zip(index, unit, strict=True):
            if int(i) not in done:
                values = {p.name: float(p.from_unit(u[k])) for k, p in enumerate(priors)}
                tasks.append((int(i), values, derive_seed(seed, ANCHORS, int(i))))
        task_of = {t[0]: t for t in tasks}
        for i, measures in parallel_map(_simulate, tasks, simulate, workers=workers, ordered=False):
            _, values, run_seed = task_of[i]
            done[i] = {
                "point": i,
                "generation": g + 1,
                "seed": run_seed,
                **values,
                **measures,
                "distance": distance(measures, checks),
            }
            if log_path is not None:  # one JSON object a line: a stopped run has fewer measures
                with log_path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps({k: getattr(v, "item", lambda v=v: v)() for k, v in done[i].items()}) + "\n")
            if progress:
                progress(len(done), runs)
        first += size
    evaluations = pd.DataFrame([done[i] for i in sorted(done)])
    u = _unit(priors, evaluations)
    mixture = sum(size / runs * prop.density(u) for size, prop in zip(sizes, proposals, strict=True))
    evaluations["weight"] = 1.0 / mixture  # the prior's density on the unit cube is 1
    evaluations["accepted"] = evaluations["distance"] <= epsilon
    if out is not None:
        evaluations.to_csv(out / "evaluations.csv", index=False)
    return Posterior(priors, evaluations, epsilon)


def _unit(priors: Sequence[Prior], table: pd.DataFrame) -> np.ndarray:
    return np.column_stack([p.to_unit(table[p.name].to_numpy(float)) for p in priors])


def _check_settings(priors: Sequence[Prior], runs: int, generations: int, keep: float, epsilon: float) -> None:
    for p in priors:
        Params.owner(p.name)  # unknown names fail here, before any work
        if not p.low < p.high or (p.log and p.low <= 0):
            raise ValueError(f"prior {p.name}: expected low < high (and low > 0 on a log scale), got {p.low}, {p.high}")
    if generations < 1 or runs < generations:
        raise ValueError(f"runs={runs}, generations={generations}: expected at least one run per generation")
    if not 0 < keep <= 1:
        raise ValueError(f"keep={keep}: expected a share in (0, 1]")
    if not epsilon >= 0:
        raise ValueError(f"epsilon={epsilon}: expected a distance >= 0")


def _resume(out: Path, settings: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Rows already computed in ``out`` with the same settings (none if it holds none).

    Raises:
        ValueError: other settings, or a line of ``evaluations.jsonl`` that is not a run's record
            (a line cut short by a crash is dropped: its run is simply done again).
    """
    path, log_path = out / "settings.json", out / "evaluations.jsonl"
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old != settings:
            raise ValueError(f"{out}: holds a calibration with other settings ({path}); use another --out")
    else:
        path.write_text(json.dumps(settings, indent=1), encoding="utf-8")
        log_path.unlink(missing_ok=True)
    if not log_path.is_file():
        return {}
    rows: dict[int, dict[str, Any]] = {}
    lines = log_path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if n == len(lines):  # cut short: keep the file whole for the runs to come
                log_path.write_text("".join(f"{x}\n" for x in lines[:-1]), encoding="utf-8")
                continue
            raise ValueError(f"{log_path}, line {n}: not a JSON record of a run") from None
        if not isinstance(row, dict) or "point" not in row or "distance" not in row:
            raise ValueError(f"{log_path}, line {n}: expected a run's record with 'point' and 'distance'")
        rows[int(row["point"])] = row
    return rows


def _simulate(simulate: Callable, task: tuple[int, dict[str, float], int]) -> tuple[int, dict[str, float]]:
    """One design point (in a worker): ``(point, measures)``."""
    i, values, seed = task
    return i, simulate(values, seed)


def check_seeds(
    simulate: BuffySimulator, seeds: Sequence[int], workers: int = 1, progress: Callable[[int], None] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs at ``seeds`` (the simulator's values) against the anchors.

    Returns:
        ``(measures, checks)``: one row of measures per seed; per check, the median of the runs
        against its range (:func:`pileon.experiments.anchors.check_buffy`), their 10th-90th
        percentile, and the share of runs inside it.
    """
    tasks = [(s, {}, s) for s in seeds]
    rows = {
        i: {"seed": i, **m}
        for i, m in parallel_map(_simulate, tasks, simulate, workers=workers, ordered=False, progress=progress)
    }
    measures = pd.DataFrame([rows[i] for i in sorted(rows)]).drop(columns=["stopped"], errors="ignore")
    median = {k: float(np.median(measures[k])) for k in measures.columns if k != "seed"}
    table = []
    for c, row in zip(CHECKS, check_buffy(median), strict=True):
        inside = None
        if row["ok"] is not None:
            inside = float(np.mean([c.distance(m) == 0 for m in measures.to_dict("records")]))
        spread = ", ".join(
            f"{np.percentile(measures[k], 10):.4g}-{np.percentile(measures[k], 90):.4g}"
            for k in c.measures
            if k in measures
        )
        table.append(row | {"p10_p90": spread, "share_of_runs_inside": inside, "reading": c.reading})
    return measures, pd.DataFrame(table)
