"""Running an experiment: every run of its design, in parallel, each saved the moment it finishes.

Runs go to local worker processes by default, or to a Dask distributed cluster given its
scheduler's address. Either way the main process writes each finished run to the store (one
transaction per run), so a sweep stopped at any point (Ctrl-C, SIGKILL, a crash) is resumed by
running the same command again: the runs already in the store are skipped, none is done twice.
At most a few runs per worker are in flight at once, so memory stays flat however long the sweep
(local processes: :func:`pileon.experiments.parallel.parallel_map`; Dask: its ``windowed``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pileon.model import OutrageModel
from pileon.model.decisions import AMPLIFY, ATTACK, DEFEND
from pileon.model.interventions import make as make_intervention
from pileon.model.network import Network
from pileon.model.results import RunResult
from pileon.model.scenarios import get as get_scenario

from .. import output
from ..parallel import TaskError, collect_garbage, parallel_map, windowed
from ..resources import check_fits
from . import networks as saved_networks
from .design import Experiment, RunSpec
from .networks import cached_network, network_key
from .store import Store, StoreError, now
from .store import remove as remove_store

# Summary entries that are not numbers or are better read from the timeline.
_SKIP_METRICS = {"peak_attacks_clock", "trend_clock", "clock_at_1000_posts", "clock_at_5000_posts"}


WORKER_BYTES = 300e6  # a worker process before its first run: Python, numpy, numba's compiled loops


class RunError(RuntimeError):
    """A run of a sweep raised; the runs finished before it are in the store."""

    def __init__(self, spec: RunSpec, error: BaseException):
        super().__init__(
            f"run {spec.run_id} (arm {spec.arm!r}, point {spec.point} {spec.params}, replicate {spec.replicate}, "
            f"seed {spec.seed}) failed: {type(error).__name__}: {error}. The runs finished before it are saved; "
            "rerunning the sweep resumes from them"
        )
        self.spec = spec


@dataclass
class SweepReport:
    """What a call to :func:`sweep` did."""

    store: Path
    total: int  # runs in the design
    skipped: int  # already in the store
    ran: int  # run now
    seconds: float
    replicates: int = 0  # runs per point and arm in the store now
    precision: Any = None  # per arm, the half-width reached and the replicates it needs (a DataFrame)


def run_spec(spec: RunSpec) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Simulate one run of a sweep; returns its tidy row and its binned timeline."""
    params = get_scenario(spec.scenario).replace(**spec.params)
    interventions = [make_intervention(s) for s in spec.interventions]
    t0 = time.perf_counter()
    network = cached_network(spec.networks, params.network, spec.seed) if spec.networks else None
    result = OutrageModel(params, seed=spec.seed, network=network, generated=True, interventions=interventions).run()
    runtime = time.perf_counter() - t0
    row: dict[str, Any] = {
        "run_id": spec.run_id,
        "point": spec.point,
        "replicate": spec.replicate,
        "arm": spec.arm,
        "family": spec.family,
        "seed": spec.seed,
        "scenario": spec.scenario,
    }
    row |= result.params
    for s in spec.interventions:
        row |= {f"{s['kind']}.{k}": v for k, v in s.items() if k != "kind"}
    row |= {k: v for k, v in result.summary.items() if k not in _SKIP_METRICS}
    row |= {"runtime_s": round(runtime, 4), "worker_pid": os.getpid()}
    return row, binned_timeline(result, spec.timeline_minutes)


def binned_timeline(result: RunResult, bin_minutes: float) -> dict[str, np.ndarray]:
    """Posts by action, attacks received and hostile views per time bin, trailing empty bins cut."""
    n_bins = max(1, int(np.ceil(result.n_steps * result.step_minutes / bin_minutes)))
    step_bin = (np.arange(result.n_steps) * result.step_minutes // bin_minutes).astype(np.int64)

    def per_bin(values: np.ndarray, bins: np.ndarray = step_bin) -> np.ndarray:
        return np.bincount(bins, weights=values, minlength=n_bins)[:n_bins].astype(np.int64)

    ev = result.events
    received = (ev["action"] == ATTACK) & ev["reaches_target"]
    event_bin = (ev["step"][received] * result.step_minutes // bin_minutes).astype(np.int64)
    out = {
        "amplify": per_bin(result.counts[:, AMPLIFY]),
        "attack": per_bin(result.counts[:, ATTACK]),
        "defend": per_bin(result.counts[:, DEFEND]),
        "attacks_received": per_bin(np.ones(len(event_bin)), event_bin),
        "hostile_views": per_bin(result.hostile_views),
    }
    busy = np.flatnonzero(np.any([v > 0 for v in out.values()], axis=0))
    last = int(busy[-1]) + 1 if len(busy) else 1
    return {k: v[:last] for k, v in out.items()}


def sweep(
    experiment: Experiment,
    store_path: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    fresh: bool = False,
    progress: bool = True,
    on_saved: Callable[[int], None] | None = None,
    networks: str | Path | None = None,
    replicates: int | None = None,
    force: bool = False,
) -> SweepReport:
    """Run every run of ``experiment`` not yet in the store at ``store_path``.

    Args:
        workers: local worker processes (default: the machine's cores); 1 runs in this process.
        scheduler: address of a Dask distributed scheduler (``tcp://host:8786``) to run on
            instead of local processes (needs the ``dask[distributed]`` package).
        fresh: delete the store first instead of resuming.
        progress: show a progress bar with an ETA.
        on_saved: called with each run id once it is saved (for tests and notebooks).
        networks: folder where the networks that several runs share (every arm of a point and
            replicate) are saved once and memory-mapped by each run; give a folder every worker
            sees when running on Dask. Default: ``STORE.networks`` beside the store, removed once
            the sweep is complete (a folder given here is kept).
        replicates: runs per point and arm (default: the experiment's); more than the store
            holds extends it.
        force: run even if the largest run times the local workers looks too large for this
            machine's memory (refused by default, with the estimate).

    Returns:
        A :class:`SweepReport`.
    """
    store_path = Path(store_path)
    n_workers = workers or os.cpu_count() or 1
    if not scheduler:  # each local worker holds one run's network at a time
        n, m = experiment.largest_network()
        check_fits(
            n_workers * (WORKER_BYTES + Network.estimated_bytes(n, m)),
            f"{n_workers} workers, each running up to {n:,} users x {m:g} followers",
            "fewer workers (--workers), users or followers, or --force to try anyway",
            force=force,
        )
    if fresh:  # only a pileon store, not while another sweep writes to it
        remove_store(store_path)
    n_reps = experiment.replicates if replicates is None else replicates
    held = 0  # replicates a store extended earlier holds (the meta keeps the most)
    if store_path.is_file():
        try:
            with Store(store_path) as old:
                held = int(old.meta().get("replicates") or 0)
        except (StoreError, ValueError):
            held = 0
    meta = {
        "fingerprint": experiment.fingerprint,
        "name": experiment.name,
        "source": experiment.source,
        "method": experiment.method or "",
        "problem": json.dumps(experiment.problem()) if experiment.method == "sobol" else "",
        "points": str(len(experiment.points)),
        "replicates": str(max(n_reps, held)),
        "runs_total": str(experiment.count_runs(max(n_reps, held))),  # a report says when the store holds fewer
    }
    t0 = time.perf_counter()
    default_folder = networks is None
    folder = Path(networks) if networks is not None else store_path.with_suffix(".networks")
    with Store(store_path, meta) as db:  # before the design is expanded: a store in use is refused at once
        specs = _share_networks(experiment.specs(n_reps), folder)
        done = db.done()
        todo = [s for s in specs if s.run_id not in done]
        provenance = output.provenance()
        bar = _bar(len(specs), len(specs) - len(todo), experiment.name, progress)
        if scheduler:
            results = _on_dask(todo, scheduler)
        else:
            results = _on_processes(todo, 1 if len(todo) <= 1 else n_workers)
        try:
            for row, timeline in results:
                db.save(row | provenance | {"finished_at": now()}, timeline, experiment.timeline_minutes)
                bar.update(1)
                if on_saved is not None:
                    on_saved(row["run_id"])
        finally:  # stopped early (Ctrl-C, a failed save): end the workers now, not when collected
            results.close()
            bar.close()
        complete = len(db.done()) == len(specs)
    if complete and default_folder:
        saved_networks.remove(folder)
    return SweepReport(store_path, len(specs), len(specs) - len(todo), len(todo), time.perf_counter() - t0, n_reps)


def sweep_to_precision(
    experiment: Experiment,
    store_path: str | Path,
    precision: float,
    *,
    max_replicates: int | None = None,
    metric: str = "attacks_received",
    say: Callable[[str], None] = print,
    **options: Any,
) -> SweepReport:
    """Sweep with the experiment's replicates as a pilot, then add replicates until every arm's
    effect at a point is known to ``precision``.

    After each round the variance of each arm's relative change in ``metric`` is measured at
    every point (:func:`pileon.experiments.sweeps.uncertainty.replicates_for_precision`); the
    replicates the least precise arm needs (its median point) are run next, at most three times
    as many as before per round (heavy tails: a small pilot understates the variance, so it is
    measured again) and at most ``max_replicates`` (default: the experiment's). Runs already in
    the store are kept: runs are numbered replicate by replicate.

    Args:
        options: passed to :func:`sweep` (workers, scheduler, fresh, progress, on_saved).

    Returns:
        The last round's :class:`SweepReport`, with ``precision`` the last measurement.
    """
    from .uncertainty import replicates_for_precision

    cap = max_replicates or experiment.max_replicates
    n = experiment.replicates
    seconds, ran, skipped = 0.0, 0, None
    while True:
        report = sweep(experiment, store_path, replicates=n, **options)
        options.pop("fresh", None)  # only the first round starts afresh
        seconds, ran = seconds + report.seconds, ran + report.ran
        skipped = report.skipped if skipped is None else skipped
        with Store(store_path) as store:
            runs = store.runs()
        runs = runs[runs["replicate"] < n]
        table = replicates_for_precision(runs, metric, precision)
        needed = table["replicates_needed"].to_numpy(float)
        want = int(np.nanmax(needed)) if np.isfinite(needed).any() else n
        worst = table.loc[table["replicates_needed"].idxmax()] if np.isfinite(needed).any() else None
        if worst is not None:
            say(
                f"  {n} replicates: least precise arm {worst['arm']!r} +-{100 * worst['half_width']:.1f} points "
                f"(target +-{100 * precision:g}); it needs {want}"
            )
        if want <= n or n >= cap:
            if want > n:
                say(f"  stopped at max_replicates = {cap}: the target is not reached")
            report.seconds, report.ran, report.skipped, report.precision = seconds, ran, skipped, table
            return report
        n = min(want, 3 * n, cap)


def _share_networks(specs: list[RunSpec], folder: Path) -> list[RunSpec]:
    """The specs, those whose network another run also uses pointed at the shared ``folder``."""
    keys = [network_key(get_scenario(s.scenario).replace(**s.params).network, s.seed) for s in specs]
    uses = Counter(keys)
    return [
        dataclasses.replace(s, networks=str(folder)) if uses[k] > 1 else s for s, k in zip(specs, keys, strict=True)
    ]


def _sweep_item(_: None, spec: RunSpec) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    return run_spec(spec)


def _on_processes(todo: list[RunSpec], workers: int) -> Generator[tuple[dict[str, Any], dict[str, np.ndarray]]]:
    """Results of ``todo`` from local worker processes (or this one), as they finish."""
    try:
        yield from parallel_map(_sweep_item, todo, workers=workers, ordered=False)
    except TaskError as e:
        raise RunError(e.item, e.__cause__) from e.__cause__


def _on_dask(todo: list[RunSpec], address: str) -> Generator[tuple[dict[str, Any], dict[str, np.ndarray]]]:
    """Results of ``todo`` from a Dask distributed cluster, as they finish."""
    try:
        from distributed import Client
        from distributed import wait as dask_wait
    except ImportError:
        raise RuntimeError("running on a Dask cluster needs the dask[distributed] package") from None

    def wait_first(pending: set[Any]) -> tuple[set[Any], set[Any]]:
        done, rest = dask_wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    with Client(address, timeout="20s") as client:
        window = 4 * max(1, sum(client.nthreads().values()))
        submit = lambda f, spec: client.submit(f, spec, pure=False)  # noqa: E731
        try:
            yield from windowed(submit, _on_dask_worker, todo, window, ordered=False, wait_first=wait_first)
        except TaskError as e:
            raise RunError(e.item, e.__cause__) from e.__cause__


def _on_dask_worker(spec: RunSpec) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    out = run_spec(spec)
    collect_garbage()  # as local workers do after each item
    return out


def _bar(total: int, initial: int, name: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="run", desc=name, disable=not enabled, smoothing=0.05)
