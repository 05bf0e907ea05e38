"""The engine benchmark: the full model at scale, and the same cascade in NDlib and a plain Mesa model.

Two measurements per network size, each in a fresh process so that peak memory is its own:

* **full model**: a 48 h #Buffy-like run (the ``buffy`` preset at that size, the target's
  followers scaled with it: 3,000 at 200,000 users, the largest hub at 10^6); wall time, peak
  resident memory, exposures (post-viewer pairs processed) per second;
* **independent cascade**, in pileon (``independent_cascade`` preset), NDlib's
  ``IndependentCascadesModel`` (the probability set as threshold on every edge) and a plain Mesa
  model with one Agent per user (``mesa``: CellAgents on Mesa's Network space, as Mesa's examples
  do; ``mesa-lean``: Agents holding lists of their followers, no space), on the same graph from
  the most-followed user, two ways:
  *kept edges* (fixed coin flips: each edge kept with probability ``p`` once, then every tool at
  probability 1, so all must activate the same users and do the same work) and *all edges* (the
  whole graph at probability ``p`` per edge, at the same probability). Exposures = followers of every
  activated user; ratios are exposures per second.

pileon's compiled loops are loaded once per process before timing (a fraction of a second; on a
fresh clone the first process also compiles them, about 10 s, and caches them on disk).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pileon.model import Network, OutrageModel
from pileon.model.network import network_rng
from pileon.model.scenarios import buffy, independent_cascade


def run_benchmark(
    sizes: list[int],
    baselines: list[str],
    baseline_max_users: int,
    seed: int,
    say: Callable[[str], None] = print,
    ic_p: float = 0.052,
    profile: bool = False,
) -> pd.DataFrame:
    """Run every measurement and print a table with the ratios; returns the rows."""
    rows: list[dict[str, Any]] = []
    ctx = mp.get_context("spawn")
    for n in sizes:
        say(f"\n== {n:,} users ==")
        graph = _in_fresh_process(ctx, _graph, n, seed)
        rows.append(graph)
        say(
            f"  {'graph':<22} {'pileon':<7} built in {graph['run_s']:.2f} s (CPU {graph['run_cpu_s']:.2f} s; {graph['edges']:,} edges, "
            f"{graph['edges'] / graph['run_s']:,.0f}/s), saved in {graph['save_s']:.2f} s, loaded (memory-mapped) "
            f"in {graph['load_s']:.3f} s, {graph['bytes_per_edge']:.2f} bytes/edge, peak {graph['peak_rss_mb']:,.0f} MB"
        )
        full = _in_fresh_process(ctx, _full_model, n, seed)
        rows.append(full)
        say(_line(full) + f"  (graph {full['graph_s']:.2f} s, end to end {full['wall_s']:.2f} s)")
        bare = _in_fresh_process(ctx, _cascade, "bare", "edges", n, seed, ic_p)
        rows.append(bare)
        say(_line(bare))
        _of_bare(full, bare, "full model", say)
        tools = ["pileon"] + [b for b in baselines if n <= baseline_max_users]
        for mode in ("flips", "edges"):
            compared = _compare(ctx, tools, mode, n, seed, ic_p, say)
            if mode == "edges":
                _of_bare(compared[0], bare, "pileon's cascade", say)
            rows.extend(compared)
        for b in baselines:
            if n > baseline_max_users:
                say(f"  {b}: skipped above --baseline-max-users {baseline_max_users:,}")
        if profile:
            for part in _in_fresh_process(ctx, where_time_goes, n, seed):
                say(f"  time in {part['part']:<34} {part['seconds']:7.2f} s  {part['share']:6.1%}")
    return pd.DataFrame(rows)


def _of_bare(row: dict[str, Any], bare: dict[str, Any], what: str, say: Callable[[str], None]) -> None:
    """The rate of work of ``row`` against the bare cascade's, by wall time and by CPU time (which a
    machine shared with other work does not inflate)."""
    row["of_bare_rate"] = row["exposures_per_s"] / bare["exposures_per_s"]
    row["of_bare_rate_cpu"] = row["exposures_per_cpu_s"] / bare["exposures_per_cpu_s"]
    say(
        f"  {what} at {row['of_bare_rate']:.3f} of the bare cascade's exposures per second "
        f"({row['of_bare_rate_cpu']:.3f} per CPU second)"
    )


def _in_fresh_process(ctx: Any, func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` in a new process, so that its peak memory is its own."""
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(func, args)


def _compare(ctx: Any, tools: list[str], mode: str, n: int, seed: int, p: float, say: Callable[[str], None]) -> list:
    """One cascade comparison: every tool in a fresh process, then the ratios against pileon."""
    rows = []
    for tool in tools:
        row = _in_fresh_process(ctx, _cascade, tool, mode, n, seed, p)
        rows.append(row)
        say(_line(row))
    ref = rows[0]
    for row in rows[1:]:
        if mode == "flips" and row["activated"] != ref["activated"]:
            say(f"  WARNING: {row['tool']} activated {row['activated']} users, pileon {ref['activated']}")
        row["pileon_speedup"] = ref["exposures_per_s"] / row["exposures_per_s"]
        end_to_end = (row["setup_s"] + row["run_s"]) / (ref["setup_s"] + ref["run_s"])
        say(
            f"  pileon / {row['tool']}: {row['pileon_speedup']:,.0f}x exposures per second (run), "
            f"{end_to_end:,.0f}x end to end"
        )
    return rows


def _clock() -> tuple[float, float]:
    """Wall time and this process's CPU time, now."""
    return time.perf_counter(), time.process_time()


def _line(r: dict[str, Any]) -> str:
    return (
        f"  {r['case']:<22} {r['tool']:<7} setup {r['setup_s']:7.2f} s  run {r['run_s']:7.2f} s "
        f"(CPU {r.get('run_cpu_s', float('nan')):6.2f} s)  "
        f"exposures {r['exposures']:>11,}  {r['exposures_per_s']:>12,.0f}/s  peak {r['peak_rss_mb']:>7,.0f} MB"
    )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def _warm_up() -> None:
    """Load the engine's compiled loops (numba's on-disk cache) before timing: a one-off cost per
    process, like importing a module, which would otherwise land in the first run's time."""
    OutrageModel(buffy().replace(n_users=2000, target_followers=50, horizon_hours=0.5, trend_threshold=0), seed=0).run()


def _buffy_at(n: int) -> Any:
    """The ``buffy`` preset at ``n`` users, the target's followers scaled with it so that the case
    can trend at any size (3,000 at 200,000 users, the largest hub at 10^6)."""
    return buffy().replace(n_users=n, target_followers=3000 * n // 200_000)


def _full_model(n: int, seed: int) -> dict[str, Any]:
    _warm_up()
    params = _buffy_at(n)
    t0 = time.perf_counter()
    net = Network.generate(params.network, network_rng(seed))  # what OutrageModel would build
    t1 = time.perf_counter()
    model = OutrageModel(params, seed=seed, network=net, generated=True)
    t2 = time.perf_counter()
    c2 = time.process_time()
    r = model.run()
    t3 = time.perf_counter()
    cpu = time.process_time() - c2
    s = r.summary
    return {
        "users": n,
        "case": "full model, 48 h #Buffy",
        "tool": "pileon",
        "graph_s": t1 - t0,
        "setup_s": t2 - t0,
        "run_s": t3 - t2,
        "run_cpu_s": cpu,
        "wall_s": t3 - t0,
        "exposures": s["exposures"],
        "exposures_per_s": s["exposures"] / (t3 - t2),
        "exposures_per_cpu_s": s["exposures"] / cpu,
        "posts": s["total_posts"],
        "activated": s["unique_participants"],
        "peak_rss_mb": _peak_rss_mb(),
    }


def _graph(n: int, seed: int) -> dict[str, Any]:
    """Build the #Buffy graph at ``n`` users, save it, load it back memory-mapped."""
    import shutil
    import tempfile
    from pathlib import Path

    _warm_up()
    params = _buffy_at(n)
    t0 = time.perf_counter()
    c0 = time.process_time()
    net = Network.generate(params.network, network_rng(seed))
    t1 = time.perf_counter()
    cpu = time.process_time() - c0
    peak = _peak_rss_mb()
    folder = Path(tempfile.mkdtemp(prefix="pileon-bench-"))
    try:
        net.save(folder / "g")
        t2 = time.perf_counter()
        back = Network.load(folder / "g")
        int(back.indices[-1]) + int(back.indptr[-1])  # touch it
        t3 = time.perf_counter()
        size = sum(f.stat().st_size for f in (folder / "g").iterdir())
    finally:
        shutil.rmtree(folder)
    return {
        "users": n,
        "case": "graph",
        "tool": "pileon",
        "setup_s": 0.0,
        "run_s": t1 - t0,
        "run_cpu_s": cpu,
        "wall_s": t1 - t0,
        "edges": net.n_edges,
        "save_s": t2 - t1,
        "load_s": t3 - t2,
        "bytes_per_edge": size / max(net.n_edges, 1),
        "peak_rss_mb": peak,
    }


def csv_benchmark(edges: int, seed: int, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Write an edge list of about ``edges`` edges (a generated graph, string ids ``u<number>``) to a
    temporary CSV, then time ``Network.read_csv`` on it in a fresh process."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="pileon-csv-"))
    try:
        path = folder / "edges.csv"
        _write_csv(path, max(3, edges // 20), seed)
        size = path.stat().st_size
        row = _in_fresh_process(mp.get_context("spawn"), _read_csv, str(path))
    finally:
        shutil.rmtree(folder)
    row |= {"case": "read an edge list (CSV)", "tool": "pileon", "file_mb": size / 2**20}
    say(
        f"  read_csv: {row['edges']:,} edges ({row['file_mb']:,.0f} MB, {row['users']:,} users) in "
        f"{row['run_s']:.1f} s (CPU {row['run_cpu_s']:.1f} s, all threads; {row['edges'] / row['run_s']:,.0f} edges/s), "
        f"peak {row['peak_rss_mb']:,.0f} MB"
    )
    return row


def _write_csv(path: Any, n: int, seed: int) -> None:
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    net = Network.generate(buffy().replace(n_users=n).network, network_rng(seed))
    ids = pa.array(np.char.add("u", np.arange(n).astype(str)))
    followee = np.repeat(np.arange(n), net.follower_counts())
    order = np.random.default_rng(seed).permutation(net.n_edges)  # not grouped by followee
    with pa_csv.CSVWriter(path, pa.schema([("follower", pa.string()), ("followee", pa.string())])) as w:
        for part in np.array_split(order, max(1, len(order) // 5_000_000)):
            w.write_table(pa.table({"follower": ids.take(net.indices[part]), "followee": ids.take(followee[part])}))


def _read_csv(path: str) -> dict[str, Any]:
    from pathlib import Path

    tiny = _tiny_csv()
    Network.read_csv(tiny)  # load the compiled loops first
    Path(tiny).unlink()
    t0, c0 = _clock()
    net = Network.read_csv(path)
    t1, c1 = _clock()
    return {
        "users": net.n,
        "edges": net.n_edges,
        "setup_s": 0.0,
        "run_s": t1 - t0,
        "run_cpu_s": c1 - c0,
        "wall_s": t1 - t0,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _tiny_csv() -> str:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
        fh.write("follower,followee\na,b\nb,c\n")
    return fh.name


def where_time_goes(n: int, seed: int) -> list[dict[str, Any]]:
    """The full model's run under cProfile, its time grouped by part of the step."""
    import cProfile
    import pstats

    _warm_up()
    params = _buffy_at(n)
    model = OutrageModel(params, seed=seed)
    prof = cProfile.Profile()
    prof.enable()
    model.run()
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    # Disjoint calls, each timed with what it calls (the compiled loops inside them included).
    parts = {
        "fan-out to followers": ("model/feed.py", "fan_out"),
        "calendar: file items": ("model/feed.py", "push"),
        "calendar: take items": ("model/feed.py", "pop"),
        "reading and deciding": ("model/decisions.py", "react"),
        "visibility decay": ("model/feed.py", "still_visible"),
        "trending channel": ("model/model.py", "_trend"),
        "event log": ("model/results.py", "append"),
        "Mesa's data collector": ("datacollection.py", "collect"),
    }
    total = sum(v[2] for v in stats.values())  # the tottime of every function adds up to the run
    out = []
    for part, (where, name) in parts.items():
        seconds = sum(v[3] for (file, _, func), v in stats.items() if func == name and file.endswith(where))
        out.append({"part": part, "seconds": seconds})
    out.append({"part": "the rest of the step (numpy, Python)", "seconds": total - sum(o["seconds"] for o in out)})
    for o in out:
        o["share"] = o["seconds"] / total
    return out


def cascade_graph(n: int, seed: int, mode: str, p: float) -> tuple[Network, float, int]:
    """The graph, per-edge probability and seed user of a cascade comparison.

    ``flips``: each edge of the generated graph kept with probability ``p`` once, then run at
    probability 1 (every tool must activate the same users); ``edges``: the whole generated graph
    with probability ``p`` on every edge (activations differ by chance, exposures per second do not).
    The seed is the most-followed user, the one pileon's preset picks.
    """
    rng = np.random.default_rng(seed)
    full = Network.generate(buffy().replace(n_users=n).network, rng)
    if mode == "edges":
        return full, p, int(np.argmax(full.follower_counts()))
    followee = np.repeat(np.arange(full.n), full.follower_counts())
    keep = rng.random(full.n_edges) < p
    kept = Network.from_edges(full.indices[keep], followee[keep], full.n)
    return kept, 1.0, int(np.argmax(kept.follower_counts()))


def _cascade(tool: str, mode: str, n: int, seed: int, p: float) -> dict[str, Any]:
    net, prob, source = cascade_graph(n, seed, mode, p)
    if tool == "pileon":
        _warm_up()
    t0, _ = _clock()
    if tool == "bare":
        active, ready = bare_cascade(net, prob, source, np.random.default_rng(seed))
    elif tool == "pileon":
        model = OutrageModel(independent_cascade(prob).replace(horizon_hours=4.0), seed=seed, network=net)
        assert model.target == source
        ready = _clock()
        active = np.unique(model.run().events["user"])
    elif tool == "ndlib":
        active, ready = _ndlib(net, prob, seed, source)
    elif tool in ("mesa", "mesa-lean"):
        active, ready = _mesa(net, prob, seed, source, space=tool == "mesa")
    else:
        raise ValueError(f"unknown tool {tool!r}")
    t2, c2 = _clock()
    t1, c1 = ready
    cpu = c2 - c1
    exposures = int(net.follower_counts()[active].sum())  # every activated user exposes all its followers
    case = f"cascade, kept edges p={p:g}" if mode == "flips" else f"cascade, all edges p={p:g}"
    return {
        "users": n,
        "case": case,
        "tool": tool,
        "setup_s": t1 - t0,
        "run_s": t2 - t1,
        "exposures": exposures,
        "exposures_per_s": exposures / (t2 - t1),
        "run_cpu_s": cpu,
        "exposures_per_cpu_s": exposures / max(cpu, 1e-9),
        "posts": len(active),
        "activated": len(active),
        "peak_rss_mb": _peak_rss_mb(),
    }


def bare_cascade(
    net: Network, p: float, source: int, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[float, float]]:
    """The independent cascade at its barest, frontier by frontier in numpy: the followers of the
    users activated last round each activate with chance ``p``; no feeds, sessions, clock, log or
    per-user state beyond an activated flag. The reference rate of work on this graph.

    Returns:
        The activated users, and the wall and CPU times at which set-up ended.
    """
    active = np.zeros(net.n, bool)
    active[source] = True
    frontier = np.array([source])
    t1 = _clock()
    while len(frontier):
        followers, _ = net.gather(frontier)
        hit = followers[rng.random(len(followers)) < p]
        hit = np.unique(hit[~active[hit]])
        active[hit] = True
        frontier = hit
    return np.flatnonzero(active), t1


def _ndlib(net: Network, p: float, model_seed: int, source: int) -> tuple[np.ndarray, tuple[float, float]]:
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc  # noqa: N813
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(range(net.n))
    followee = np.repeat(np.arange(net.n), net.follower_counts())
    g.add_edges_from(zip(followee.tolist(), net.indices.tolist(), strict=True))  # post flows followee -> follower
    model = ep.IndependentCascadesModel(g, seed=model_seed)
    cfg = mc.Configuration()
    cfg.add_model_initial_configuration("Infected", [source])
    # The probability goes on every edge. NDlib 6.0.1 (DiffusionModel.set_initial_status) keeps an
    # edge-threshold table only if it covers every edge: a partial one is dropped whole, and
    # IndependentCascadesModel then uses 1/out-degree of the spreader; with no table at all it
    # sets its declared default, 0.1, on every edge.
    for e in g.edges():
        cfg.add_edge_configuration("threshold", e, p)
    model.set_initial_status(cfg)
    t1 = _clock()
    while True:
        it = model.iteration(node_status=False)
        if it["iteration"] > 0 and it["node_count"][1] == 0:  # nobody left to spread
            break
    status = model.status
    return np.array(sorted(k for k, v in status.items() if v != 0)), t1


def _mesa(net: Network, p: float, seed: int, source: int, space: bool) -> tuple[np.ndarray, tuple[float, float]]:
    """The independent cascade as a plain Mesa model, one Agent per user.

    ``space``: as Mesa's examples write it (Virus on a Network), users are CellAgents on a
    ``Network`` space and find their followers through the cell's neighbourhood; otherwise each
    Agent holds a list of its followers (Mesa written for speed).

    Returns:
        The activated users, and the wall and CPU times at which set-up ended.
    """
    import mesa
    import networkx as nx
    from mesa.discrete_space import CellAgent
    from mesa.discrete_space import Network as NetworkSpace

    class User(CellAgent):
        def __init__(self, model: mesa.Model):
            super().__init__(model)
            self.state = 0  # 0 waiting, 1 spreads this round, 2 done, 3 activated this round
            self.follower_list: list[User] = []

        def followers(self) -> Any:
            return self.cell.neighborhood.agents if space else self.follower_list

        def step(self) -> None:
            if self.state == 1:
                for other in self.followers():
                    if other.state == 0 and self.random.random() < p:
                        other.state = 3
                self.state = 2

    class Cascade(mesa.Model):
        def __init__(self) -> None:
            super().__init__(rng=seed)
            self.users = [User(self) for _ in range(net.n)]
            if space:
                g = nx.DiGraph()  # edges followee -> follower: a cell's neighbours are the followers
                g.add_nodes_from(range(net.n))
                followee = np.repeat(np.arange(net.n), net.follower_counts())
                g.add_edges_from(zip(followee.tolist(), net.indices.tolist(), strict=True))
                grid = NetworkSpace(g, layout=None, random=self.random)  # a layout costs O(N^2)
                for i, user in enumerate(self.users):
                    user.cell = grid._cells[i]
            else:
                for i, user in enumerate(self.users):
                    user.follower_list = [self.users[f] for f in net.followers(i)]
            self.users[source].state = 1

        def step(self) -> None:
            self.agents.do("step")
            fresh = False
            for a in self.agents:
                if a.state == 3:
                    a.state, fresh = 1, True
            self.running = fresh

    model = Cascade()
    t1 = _clock()
    while model.running:
        model.step()
    return np.array([i for i, a in enumerate(model.users) if a.state != 0]), t1


def sweep_benchmark(
    runs: int,
    users: int,
    workers: int,
    store: str,
    say: Callable[[str], None] = print,
    sample_s: float = 0.5,
    arms: int = 1,
    serial: int = 50,
) -> dict[str, Any]:
    """Time a sweep of ``runs`` #Buffy runs of ``users`` users, and watch its memory.

    With ``arms`` > 1 the runs are ``runs // arms`` replicates of ``arms`` arms (no intervention,
    and removal of shared attacks after 15, 30, 60, ... minutes), the shape of an
    intervention-effect study: the arms of a replicate share one network, built once and
    memory-mapped by the others (``STORE.networks/``).

    The baseline, in the same command: the same runs one after another in this process (the first
    ``min(runs, serial)`` of them, each building its own network), so the ratio says how much of the
    machine the sweep uses (parallel speed-up and network reuse, with every overhead of processes
    and the store included). Memory: the resident memory of this process and its workers, sampled
    every ``sample_s`` seconds; "flat" means the last tenth of the sweep peaks no higher than the
    second tenth.

    Returns:
        The figures, by name.
    """
    import threading
    from pathlib import Path

    import psutil

    from pileon.experiments.sweeps.design import parse
    from pileon.experiments.sweeps.run import run_spec, sweep

    doc: dict[str, Any] = {
        "experiment": {"name": f"bench-{runs}", "replicates": max(1, runs // arms), "seed": 1},
        "params": {"n_users": users},
    }
    if arms > 1:
        doc["arms"] = {"removal": [{"kind": "removal", "delay": [15.0 * 2**i for i in range(arms - 1)]}]}
    exp = parse(doc)
    Path(store).unlink(missing_ok=True)
    specs = exp.specs()
    runs = len(specs)
    _warm_up()
    k = min(runs, serial)
    t0 = time.perf_counter()
    for spec in specs[:k]:
        run_spec(spec)
    serial = (time.perf_counter() - t0) / k
    say(f"in process, one after another: {serial * 1000:.0f} ms a run ({k} runs)")

    me = psutil.Process()
    samples: list[tuple[int, float]] = []  # (runs saved, RSS of this process and its workers, MB)
    saved = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(sample_s):
            procs = [me, *me.children(recursive=True)]
            rss = 0.0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    rss += p.memory_info().rss
            samples.append((saved[0], rss / 2**20))

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()

    def on_saved(_: int) -> None:
        saved[0] += 1

    report = sweep(exp, store, workers=workers, progress=True, on_saved=on_saved)
    stop.set()
    thread.join()
    per_run = report.seconds / runs
    mem = pd.DataFrame(samples, columns=["saved", "rss_mb"])
    tenth = max(1, runs // 10)
    early = mem[(mem.saved >= tenth) & (mem.saved < 2 * tenth)].rss_mb.max()
    late = mem[mem.saved >= runs - tenth].rss_mb.max()
    out = {
        "runs": runs,
        "users": users,
        "arms": arms,
        "workers": workers,
        "sweep_s": round(report.seconds, 1),
        "runs_per_s": round(runs / report.seconds, 1),
        "serial_s_per_run": round(serial, 4),
        "speedup_vs_serial": round(serial / per_run, 2),
        "rss_mb_second_tenth": round(float(early), 1),
        "rss_mb_last_tenth": round(float(late), 1),
        "rss_growth": round(float(late / early), 3),
    }
    say(
        f"sweep of {runs:,} runs of {users:,} users ({arms} arms a replicate) on {workers} workers: {report.seconds:.1f} s "
        f"({out['runs_per_s']} runs/s; {out['speedup_vs_serial']}x the in-process rate)"
    )
    say(
        f"memory (this process + workers): {early:.0f} MB in the second tenth of the sweep, {late:.0f} MB in "
        f"the last tenth (x{out['rss_growth']})"
    )
    return out
