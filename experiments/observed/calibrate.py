"""Calibrating the model to observed cascades by approximate Bayesian computation (ABC).

A documented subset of parameters (``PRIORS``: each with bounds, sampled on a log scale) is
explored in two rounds: a scrambled Sobol design over the box (``scipy.stats.qmc``), simulated
once into a reference table that serves any number of cascades and any shorter window, then a
refinement round drawn around the best points for the cascades at hand. Each point is simulated
with a few seeded replicates on one follower graph, and its distance to the data is the mean NRMSE
of the median scale, depth and breadth curves (``experiments.compare``). The posterior is the
best ``accept`` share of all points (ABC rejection with a quantile threshold); the reported
intervals are its 5th and 95th percentiles. The fitted values are those of the closest point
after the few closest are run again with more replicates (a single least noisy distance flatters
its point).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from pileon.model import Network, OutrageModel, Params
from pileon.model.results import RunResult
from pileon.model.scenarios import rumour

from ..parallel import parallel_map
from ..seeds import RECHECK, REFINE, REPLICATE, derive_seed
from .curves import BIN, CURVES, WINDOW, Comparison, curves
from .readers import Cascade


@dataclass(frozen=True)
class Prior:
    """A fitted parameter: its model name and bounds, sampled uniformly on a log scale (or, with
    ``log=False``, on a linear one: for a clock time, say)."""

    name: str
    low: float
    high: float
    log: bool = True

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map [0, 1] to the bounds, log-uniformly (or uniformly)."""
        if not self.log:
            return self.low + np.asarray(u) * (self.high - self.low)
        return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))


PRIORS = (
    Prior("target_followers", 20.0, 15000.0),  # the source's direct audience
    Prior("amplify_prob", 0.002, 0.5),  # how readily a viewer shares
    Prior("sessions_per_day", 1.0, 300.0),  # how soon followers look
    Prior("activity_sd", 0.1, 3.0),  # how unequal: a few look at once, many much later
    Prior("visibility_halflife", 5.0, 1000.0),  # minutes a post stays in feeds
    Prior("novelty_halflife", 0.2, 48.0),  # hours over which interest in the story fades
)


@dataclass
class Simulator:
    """Simulates cascades from parameter values on one follower graph (built once)."""

    base: Params = field(default_factory=rumour)
    graph_seed: int = 0
    _network: Network | None = field(default=None, repr=False)

    @property
    def network(self) -> Network:
        """The follower graph, generated on first use."""
        if self._network is None:
            self._network = Network.generate(self.base.network, np.random.default_rng(self.graph_seed))
        return self._network

    def params(self, values: dict[str, float], horizon_minutes: float) -> Params:
        """The base parameters with ``values`` (whole numbers rounded) and the horizon."""
        spec = Params.specs()
        values = {k: round(v) if spec[k].kind is int else v for k, v in values.items()}
        return self.base.replace(horizon_hours=horizon_minutes / 60.0, **values)

    def results(
        self,
        values: dict[str, float],
        seeds: Sequence[int],
        horizon_minutes: float,
        progress: Callable[[int], None] | None = None,
    ) -> list[RunResult]:
        """One run per seed, to ``horizon_minutes`` (``progress``: called with the number of runs
        done after each)."""
        params = self.params(values, horizon_minutes)
        out = []
        for s in seeds:
            out.append(OutrageModel(params, seed=int(s), network=self.network).run())
            if progress is not None:
                progress(len(out))
        return out

    def run(
        self,
        values: dict[str, float],
        seeds: Sequence[int],
        horizon_minutes: float,
        progress: Callable[[int], None] | None = None,
    ) -> list[Cascade]:
        """One simulated cascade per seed, to ``horizon_minutes`` (``progress``: called with the
        number of runs done after each)."""
        runs = self.results(values, seeds, horizon_minutes, progress)
        return [Cascade.from_result(r, f"sim-{s}") for r, s in zip(runs, seeds, strict=True)]


def median_curves(simulated: list[Cascade], window: float, bin_minutes: float) -> np.ndarray:
    """Median over replicates of the (scale, depth, breadth) curves: an array (bins, 3)."""
    stack = np.stack([curves(s, window, bin_minutes)[list(CURVES)].to_numpy(float) for s in simulated])
    return np.median(stack, axis=0)


def distances(observed: list[np.ndarray], simulated: np.ndarray) -> np.ndarray:
    """Mean NRMSE over curves and observed cascades, for each point.

    Args:
        observed: per cascade, its curves as an array (bins, 3).
        simulated: median curves of each point, (points, bins, 3); only the first bins (as many
            as the observed arrays have) are used.
    """
    out = np.zeros(len(simulated))
    for obs in observed:
        sim = simulated[:, : len(obs), :]
        rmse = np.sqrt(np.mean((sim - obs[None]) ** 2, axis=1))  # (points, 3)
        out += np.mean(rmse / np.maximum(obs.max(axis=0), 1e-12), axis=1)
    return out / len(observed)


@dataclass
class ReferenceTable:
    """Simulated median curves at a design of points: simulated once, compared with any cascade
    (ABC with a reference table). A fit over a shorter window uses the first bins of the curves.

    With ``count_times``, every replicate is run on to the last of them and its posts so far are
    recorded at each (``counts``): what a forecast needs (:mod:`experiments.forecast`).
    """

    priors: tuple[Prior, ...]
    unit: np.ndarray  # (points, parameters) in [0, 1]
    curves: np.ndarray  # (points, bins, 3)
    window: float
    bin_minutes: float
    count_times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # minutes
    counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))  # (points, replicates, times)

    def count_index(self, minutes: float) -> int:
        """Column of ``counts`` at ``minutes`` (which must be one of ``count_times``)."""
        hit = np.flatnonzero(np.isclose(self.count_times, minutes))
        if not len(hit):
            have = ", ".join(f"{t:g}" for t in self.count_times) or "none"
            raise ValueError(f"the reference table has no post counts at {minutes:g} min (it has: {have})")
        return int(hit[0])

    @classmethod
    def build(
        cls,
        simulator: Simulator,
        priors: Sequence[Prior] = PRIORS,
        points: int = 512,
        replicates: int = 3,
        window: float = WINDOW,
        bin_minutes: float = BIN,
        seed: int = 0,
        workers: int = 1,
        progress: Callable[[int, int], None] | None = None,
        count_times: Sequence[float] = (),
        cache: Path | None = None,
    ) -> ReferenceTable:
        """Simulate ``replicates`` runs at each of ``points`` scrambled-Sobol points (to the last of
        ``count_times`` if that is later than ``window``). With ``cache`` (a ``.npz`` file), a table
        saved there with the same settings is read instead, and a new one is saved there."""
        _check_priors(priors)
        if points < 1 or replicates < 1:
            raise ValueError(f"a reference table needs points >= 1 and replicates >= 1, got {points} and {replicates}")
        times = np.asarray(sorted(count_times), float)
        if len(times) and times[0] <= 0:
            raise ValueError(f"count_times: expected minutes > 0, got {times[0]:g}")
        settings = table_settings(
            simulator,
            priors,
            points,
            replicates,
            seed,
            window=window,
            bin_minutes=bin_minutes,
            count_times=times.tolist(),
        )
        if cache is not None and (saved := load_arrays(cache, settings)) is not None:
            return cls(tuple(priors), saved["unit"], saved["curves"], window, bin_minutes, times, saved["counts"])
        unit = sobol(len(priors), points, seed)
        task = _Task(simulator, replicate_seeds(seed, replicates), window, bin_minutes, times)
        out = _map(task, [_values(priors, u) for u in unit], workers, progress, 0, points)
        sim_curves, counts = np.stack([c for c, _ in out]), np.stack([n for _, n in out])
        if cache is not None:
            save_arrays(cache, settings, unit=unit, curves=sim_curves, counts=counts)
        return cls(tuple(priors), unit, sim_curves, window, bin_minutes, times, counts)


def sobol(dimensions: int, points: int, seed: int) -> np.ndarray:
    """A scrambled Sobol design of ``points`` in the unit cube."""
    with warnings.catch_warnings():  # Sobol balance is best at powers of 2; any count is valid
        warnings.simplefilter("ignore", UserWarning)
        return qmc.Sobol(dimensions, scramble=True, seed=np.random.default_rng(seed)).random(points)


def table_settings(
    simulator: Simulator, priors: Sequence[Prior], points: int, replicates: int, seed: int, **more: Any
) -> dict[str, Any]:
    """Everything a reference table depends on: a saved table is read back only for the same."""
    return {
        "points": points,
        "replicates": replicates,
        "seed": seed,
        "graph_seed": simulator.graph_seed,
        "priors": [(p.name, p.low, p.high, p.log) for p in priors],
        "scenario": simulator.base.to_flat(),
        "model": model_fingerprint(),
        **more,
    }


def model_fingerprint() -> str:
    """A hash of the model's source files: a saved table is stale once the model's code changes."""
    import hashlib

    import pileon.model

    digest = hashlib.sha1()
    for f in sorted(Path(pileon.model.__file__).parent.glob("*.py")):
        digest.update(f.name.encode() + f.read_bytes())
    return digest.hexdigest()


def save_arrays(path: Path, settings: dict[str, Any], **arrays: np.ndarray) -> None:
    """Save a table's arrays with its settings (``.npz``)."""
    np.savez_compressed(path, settings=np.array(repr(settings)), **arrays)


def load_arrays(path: Path, settings: dict[str, Any]) -> dict[str, np.ndarray] | None:
    """The arrays saved at ``path`` if they were made with ``settings``, else None."""
    if not Path(path).is_file():
        return None
    with np.load(path) as z:
        return {k: z[k] for k in z.files if k != "settings"} if str(z["settings"]) == repr(settings) else None


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The seeds of a point's replicates (the same at every point), from the base ``seed``."""
    return [derive_seed(seed, REPLICATE, i) for i in range(replicates)]


def _values(priors: Sequence[Prior], u: np.ndarray) -> dict[str, float]:
    """Parameter values of a point of the unit cube."""
    return {p.name: float(p.from_unit(u[i])) for i, p in enumerate(priors)}


def _check_priors(priors: Sequence[Prior]) -> None:
    for p in priors:
        Params.owner(p.name)  # unknown names fail here, before any work
        if not (0 < p.low < p.high if p.log else p.low < p.high):
            raise ValueError(f"prior {p.name}: expected {'0 < ' if p.log else ''}low < high, got {p.low}, {p.high}")


@dataclass
class Calibration:
    """The result of :func:`calibrate`."""

    priors: tuple[Prior, ...]
    evaluations: pd.DataFrame  # every point: parameter values, round, distance
    accept: float
    best: dict[str, float]
    comparisons: list[Comparison]  # each observed cascade against replicates at the best point
    window: float

    @property
    def posterior(self) -> pd.DataFrame:
        """The accepted points (best ``accept`` share by distance)."""
        k = max(3, int(np.ceil(self.accept * len(self.evaluations))))
        return self.evaluations.nsmallest(k, "distance")

    def intervals(self) -> pd.DataFrame:
        """Per parameter: fitted value, posterior median, and 5%-95% interval."""
        post = self.posterior
        rows = []
        for p in self.priors:
            values = post[p.name]
            rows.append({"parameter": p.name, "fitted": self.best[p.name], "median": values.median()})
            rows[-1] |= {"low": values.quantile(0.05), "high": values.quantile(0.95)}
            rows[-1] |= {"prior_low": p.low, "prior_high": p.high}
        return pd.DataFrame(rows)

    def metrics(self) -> pd.DataFrame:
        """Per observed cascade: NRMSE of each curve and the other comparison metrics."""
        return pd.DataFrame([{"cascade": c.observed.name, **c.metrics()} for c in self.comparisons])


def calibrate(
    observed: list[Cascade],
    simulator: Simulator | None = None,
    table: ReferenceTable | None = None,
    priors: Sequence[Prior] = PRIORS,
    samples: int = 512,
    refine: int = 128,
    replicates: int = 3,
    accept: float = 0.1,
    window: float = WINDOW,
    bin_minutes: float = BIN,
    final_replicates: int = 10,
    recheck: int = 8,
    workers: int = 1,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Fit ``priors`` to one or many observed cascades (see the module docstring).

    Args:
        table: a reference table to use as the first round (its priors are used); without one,
            a table of ``samples`` points is simulated first.
        refine: points of the refinement round, simulated for these cascades.
        replicates: seeded simulations per point (the same seeds for every point).
        workers: local processes (1: in this process).
        progress: called as ``progress(done, total)`` after each simulated point.
        recheck, final_replicates: the ``recheck`` closest points are run again with
            ``final_replicates`` replicates; the closest of those is the fitted point.
    """
    if not observed:
        raise ValueError("calibrate needs at least one observed cascade")
    simulator = simulator or Simulator()
    total = (0 if table else samples) + refine
    if table is None:
        table = ReferenceTable.build(
            simulator, priors, samples, replicates, window, bin_minutes, seed, workers, progress
        )
    elif window > table.window + 1e-9 or abs(bin_minutes - table.bin_minutes) > 1e-9:
        covers = f"the reference table covers {table.window:g} min in {table.bin_minutes:g}-min bins"
        raise ValueError(f"{covers}; cannot fit a {window:g}-min window in {bin_minutes:g}-min bins")
    priors = table.priors
    obs = [curves(c, window, bin_minutes)[list(CURVES)].to_numpy(float) for c in observed]
    unit = table.unit
    dist = distances(obs, table.curves)
    rounds = np.ones(len(unit), int)
    if refine > 0:
        rng = np.random.default_rng(derive_seed(seed, REFINE))
        top = unit[np.argsort(dist)[: max(3, len(unit) // 16)]]
        centre, spread = top.mean(axis=0), np.maximum(top.std(axis=0), 0.02)
        more = np.clip(centre + spread * rng.standard_normal((refine, len(priors))), 0.0, 1.0)
        task = _Task(simulator, replicate_seeds(seed, replicates), window, bin_minutes)
        values = [_values(priors, u) for u in more]
        more_curves = np.stack([c for c, _ in _map(task, values, workers, progress, total - refine, total)])
        unit = np.vstack((unit, more))
        dist = np.concatenate((dist, distances(obs, more_curves)))
        rounds = np.concatenate((rounds, np.full(refine, 2)))
    evaluations = pd.DataFrame({p.name: p.from_unit(unit[:, i]) for i, p in enumerate(priors)})
    evaluations["round"] = rounds
    evaluations["distance"] = dist
    # The least distance among noisy estimates flatters its point: re-run the closest few with
    # more replicates and keep the one that stays closest.
    final_seeds = [derive_seed(seed, RECHECK, i) for i in range(final_replicates)]
    best, best_d, final = {}, np.inf, []
    for k in np.argsort(dist)[:recheck]:
        values = _values(priors, unit[k])
        sims = simulator.run(values, final_seeds, window)
        d = float(distances(obs, median_curves(sims, window, bin_minutes)[None])[0])
        if d < best_d:
            best, best_d, final = values, d, sims
    comparisons = [Comparison(c, final, window, bin_minutes) for c in observed]
    return Calibration(tuple(priors), evaluations, accept, best, comparisons, window)


@dataclass
class _Task:
    """Median curves of seeded replicates at one point, and each replicate's posts so far at
    ``count_times`` (runs go on to the last of them)."""

    simulator: Simulator
    seeds: list[int]
    window: float
    bin_minutes: float
    count_times: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __call__(self, values: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        horizon = max(self.window, float(self.count_times.max(initial=0.0)))
        sims = self.simulator.run(values, self.seeds, horizon)
        counts = np.array([np.searchsorted(s.minutes, self.count_times, side="right") for s in sims], float)
        return median_curves(sims, self.window, self.bin_minutes), counts.reshape(len(sims), len(self.count_times))


def _simulate_point(task: _Task, values: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    return task(values)


def _map(
    task: _Task,
    points: list[dict[str, float]],
    workers: int,
    progress: Callable[[int, int], None] | None,
    done: int,
    total: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``task`` at every point, in order, on ``workers`` local processes."""
    task.simulator.network  # noqa: B018 - build the graph here once; workers receive it ready
    report = (lambda k: progress(done + k, total)) if progress else None
    return list(parallel_map(_simulate_point, points, task, workers=workers, progress=report))
