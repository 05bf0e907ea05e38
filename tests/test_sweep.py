"""Experiments: the file format and its errors, sweeps into the store, resuming after SIGKILL, Dask,
and the report's effects, figures and Sobol indices."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pileon.experiments.cli import main
from pileon.experiments.sweeps import design as experiment
from pileon.experiments.sweeps import report
from pileon.experiments.sweeps import run as sweep
from pileon.experiments.sweeps.design import BASELINE, ExperimentError
from pileon.experiments.sweeps.store import Store, StoreError
from pileon.model import Params

ROOT = Path(__file__).resolve().parents[1]

SMALL = """
[experiment]
name = "small"
scenario = "buffy"
replicates = 3
seed = 11
timeline_minutes = 30

[params]
classifier_recall = 1.0   # the prompt sees every attack: cancel_all leaves none
n_users = 5000
horizon_hours = 12

[vary]
hostile_fraction = [0.3, 0.45]

[arms]
never = [{kind = "friction", cancel = 1.0, revise = 0.0, start = 100.0}]
cancel_all = [{kind = "friction", cancel = 1.0, revise = 0.0}]
removal = [{kind = "removal", min_shares = 0, delay = [10, 120]}]
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    """The SMALL experiment, swept in this process (4 arms x 2 points x 3 replicates)."""
    tmp = tmp_path_factory.mktemp("small")
    exp = experiment.load(write(tmp, SMALL))
    sweep.sweep(exp, tmp / "small.sqlite", workers=1, progress=False)
    return tmp / "small.sqlite"


# -- the file -------------------------------------------------------------------------------------


def test_design_expands_points_replicates_and_arms(tmp_path):
    exp = experiment.load(write(tmp_path, SMALL))
    specs = exp.specs()
    arms = [s.arm for s in specs[:5]]
    assert arms == [BASELINE, "never", "cancel_all", "removal(removal.delay=10)", "removal(removal.delay=120)"]
    assert len(specs) == 2 * 3 * 5 and [s.run_id for s in specs] == list(range(30))
    assert {s.params["hostile_fraction"] for s in specs} == {0.3, 0.45}
    assert all(s.params["n_users"] == 5000 for s in specs)
    # common random numbers: one seed per (point, replicate), shared by the arms
    seeds = pd.DataFrame([(s.point, s.replicate, s.arm, s.seed) for s in specs], columns=["p", "r", "a", "seed"])
    assert (seeds.groupby(["p", "r"])["seed"].nunique() == 1).all()
    assert seeds.drop_duplicates(["p", "r"])["seed"].nunique() == 6
    assert experiment.load(write(tmp_path, SMALL)).fingerprint == exp.fingerprint
    assert experiment.load(write(tmp_path, SMALL.replace("seed = 11", "seed = 12"))).fingerprint != exp.fingerprint


def test_params_may_be_given_by_concern_as_in_a_parameter_file(tmp_path):
    flat = experiment.load(write(tmp_path, SMALL))
    by_concern = SMALL.replace(
        "n_users = 5000\nhorizon_hours = 12", "[params.network]\nn_users = 5000\n[params.time]\nhorizon_hours = 12"
    )
    assert by_concern != SMALL
    exp = experiment.load(write(tmp_path, by_concern))
    assert exp.fixed == flat.fixed == {"classifier_recall": 1.0, "n_users": 5000, "horizon_hours": 12}
    assert exp.fingerprint == flat.fingerprint


@pytest.mark.parametrize("method", ["random", "lhs"])
def test_sampled_designs_stay_in_their_bounds(tmp_path, method):
    text = f"""
[experiment]
replicates = 1
[vary]
method = "{method}"
samples = 40
reply_prob = [0.02, 0.1]
max_actions = [1, 9]
"""
    exp = experiment.load(write(tmp_path, text))
    pts = pd.DataFrame(exp.points)
    assert len(pts) == 40 and pts["reply_prob"].between(0.02, 0.1).all()
    assert pts["max_actions"].between(1, 9).all() and (pts["max_actions"] % 1 == 0).all()
    if method == "lhs":  # one sample in each of the 40 strata
        strata = np.floor((pts["reply_prob"] - 0.02) / 0.08 * 40).astype(int)
        assert sorted(strata) == list(range(40))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[experimnt]\nname='x'", "unknown section 'experimnt' \\(did you mean experiment\\?\\)"),
        ("[experiment]\nreplicate = 3", "\\[experiment\\] unknown key 'replicate' \\(did you mean replicates"),
        ("[experiment]\nscenario = 'bufy'", "unknown scenario 'bufy'"),
        ("[experiment]\nreplicates = 0", "replicates=0: expected a whole number >= 1"),
        ("[params]\nn_user = 10", "\\[params\\]: unknown parameter 'n_user' \\(did you mean n_users\\?\\)"),
        ("[params]\nhostile_fraction = 1.7", "\\[params\\] hostile_fraction=1.7 is out of range"),
        (
            "[params]\nfatigue = 0.2\n[params.decisions]\nfatigue = 0.3",
            "\\[params\\]: fatigue is given twice, as fatigue and as \\[decisions\\] fatigue",
        ),
        ("[params.decisions]\nn_users = 10", "\\[params\\]: \\[decisions\\] n_users is a parameter of \\[network\\]"),
        ("[vary]\nreply_prob = [0.1, 1.7]", "a point with .*reply_prob=1.7 is out of range"),
        ("[vary]\nmethod = 'lhs'\nreply_prob = [0.1, 0.2]", "\\[vary\\] samples: required for method 'lhs'"),
        ("[vary]\nmethod = 'sobl'\nreply_prob = [0.1, 0.2]", "method='sobl': expected one of grid, random"),
        ("[vary]\nmethod = 'random'\nsamples = 4\nreply_prob = [0.2, 0.1]", "expected \\[low, high\\] with low < high"),
        ("[arms]\nx = [{kind = 'fricton'}]", "\\[arms\\] x\\[0\\]: unknown intervention kind 'fricton'"),
        ("[arms]\nx = [{kind = 'friction', cancel = [0.1, 1.7]}]", "\\[arms\\] x\\[0\\]: cancel=1.7 is out of range"),
        ("[arms]\nx = {kind = 'friction'}", "\\[arms\\] x: expected a list of tables"),
        ("[arms]\nx = []", "\\[arms\\] x: an empty list is the baseline"),
        (
            "[arms]\nx = [{kind = 'removal', delay = []}]",
            "\\[arms\\] x\\[0\\] delay=\\[\\]: expected at least one value",
        ),
        ("[arms]\nx = [{kind = 'removal'}, {kind = 'removal'}]", "two interventions of one kind"),
        ("[arms]\nx = [{kind = {a = 1}}]", "kind=\\{'a': 1\\}: expected the name of an intervention"),
        ("[vary]\nmax_actions = [1.5, 2]", "max_actions=1.5: expected a whole number"),
        ("[experiment\nname='x'", "not valid TOML.*line 1"),
        # issue 13: hostile and mistaken values
        ("[experiment]\nname = '/abs/path/pwned'", "name='/abs/path/pwned': expected a plain name"),
        ("[experiment]\nname = '../../pwned'", "name='../../pwned': expected a plain name"),
        ("[experiment]\nname = '..'", "name='..': expected a plain name"),
        ("[experiment]\nscenario = 3", "scenario=3: expected the name of a scenario"),
        ("[experiment]\ntimeline_minutes = inf", "timeline_minutes=inf: expected minutes from one step"),
        ("[experiment]\ntimeline_minutes = 1e-9", "timeline_minutes=1e-09: expected minutes from one step"),
        ("[params]\nn_users = 1e400", "\\[params\\] n_users=inf: expected a whole number"),
        ("[params]\nn_users = 99999999999999999999999", "n_users=1.00e\\+23 is out of range"),
        ("[experiment]\nreplicates = 1000000000000", "1,000,000,000,000 runs\\) needs about .* of memory"),
        (
            "[vary]\nmethod = 'lhs'\nsamples = 1000000000000\nreply_prob = [0.1, 0.2]",
            "1,000,000,000,000 points x 10 replicates .* needs about",
        ),
        (
            "[arms]\nx = [{kind = 'removal', delay = [30, 30]}]",
            "\\[arms\\] x\\[0\\] delay=\\[30, 30\\]: 30 is given twice",
        ),
        ("[arms]\nx = [{kind = 'removal', delay = [30, 30.0]}]", "30.0 is given twice"),
        (
            "[arms]\nf = [{kind = 'friction', cancel = [0.1, 0.2]}]\n'f(friction.cancel=0.1)' = [{kind = 'friction'}]",
            "the arm 'f\\(friction.cancel=0.1\\)' is also made by \\[arms\\] f",
        ),
    ],
)
def test_bad_files_name_the_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ExperimentError, match=message) as info:
        experiment.load(path)
    assert str(path) in str(info.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.toml: no such experiment file"):
        experiment.load(tmp_path / "nope.toml")


# -- sweeping into the store ----------------------------------------------------------------------


def test_the_store_has_one_tidy_row_per_run_with_provenance(small_store):
    with Store(small_store) as store:
        runs, tl = store.runs(), store.timelines()
    assert len(runs) == 30 and runs["run_id"].is_unique
    expected = [*Params.specs(), "seed", "arm", "point", "replicate", "pileon_version", "git_commit", "finished_at"]
    expected += ["attacks_received", "hostile_exposures", "benign_suppressed", "friction.cancel", "removal.delay"]
    for col in expected:
        assert col in runs.columns, col
    assert runs["pileon_version"].notna().all()
    assert np.isposinf(runs["visibility_tail"]).all()  # stored as the text inf, read back as infinity
    # timelines add up to the run's totals
    sums = tl.groupby("run_id")[["attack", "attacks_received"]].sum()
    np.testing.assert_array_equal(sums.loc[runs["run_id"], "attack"], runs["attacks_on_target"])
    np.testing.assert_array_equal(sums.loc[runs["run_id"], "attacks_received"], runs["attacks_received"])
    # an arm that never acts is the baseline, run for run (same seeds)
    base = runs[runs["arm"] == BASELINE].set_index(["point", "replicate"])
    never = runs[runs["arm"] == "never"].set_index(["point", "replicate"])
    np.testing.assert_array_equal(never["attacks_received"], base["attacks_received"])
    assert (runs.loc[runs["arm"] == "cancel_all", "attacks_received"] == 0).all()


def test_a_sweep_resumes_without_losing_or_repeating_runs(tmp_path, small_store):
    exp = experiment.load(write(tmp_path, SMALL))
    path = tmp_path / "resumed.sqlite"

    def stop_after_7(run_id):
        if run_id >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep.sweep(exp, path, workers=1, progress=False, on_saved=stop_after_7)
    with Store(path) as store:
        assert store.done() == set(range(7))
    rep = sweep.sweep(exp, path, workers=1, progress=False)
    assert (rep.skipped, rep.ran) == (7, 23)
    assert_same_results(path, small_store)


def test_sigkill_mid_sweep_then_resume(tmp_path, small_store):
    """Kill the CLI and its two worker processes with SIGKILL mid-sweep, then run it again."""
    path_exp = write(tmp_path, SMALL)
    store = tmp_path / "killed.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "pileon.experiments.cli",
        "sweep",
        str(path_exp),
        "--out",
        str(store),
        "--workers",
        "2",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    saved = 0
    while time.monotonic() < deadline and proc.poll() is None:
        saved = _count(store)
        if saved >= 5:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read().decode()}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = _count(store)
    assert 5 <= killed_at < 30
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"({killed_at:,} already in the store)" in done.stdout
    assert_same_results(store, small_store)


def _count(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT count(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def assert_same_results(path: Path, reference: Path) -> None:
    """Every run present once, with the metrics and timeline of an uninterrupted sweep."""
    with Store(path) as a, Store(reference) as b:
        ra, rb = a.runs(), b.runs()
        ta, tb = a.timelines(), b.timelines()
    assert list(ra["run_id"]) == list(range(30))
    metrics = ["seed", "arm", "attacks_received", "total_posts", "hostile_exposures", "posts_removed"]
    pd.testing.assert_frame_equal(ra[metrics], rb[metrics])
    pd.testing.assert_frame_equal(ta, tb)


def test_a_store_of_another_experiment_is_refused(tmp_path, small_store):
    other = experiment.load(write(tmp_path, SMALL.replace("seed = 11", "seed = 12")))
    with pytest.raises(StoreError, match="holds results of another experiment"):
        sweep.sweep(other, small_store, workers=1, progress=False)


def test_more_replicates_extend_a_store_without_renumbering(tmp_path, small_store):
    exp = experiment.load(write(tmp_path, SMALL))
    assert exp.specs(4)[:30] == exp.specs() and len(exp.specs(4)) == 40
    assert (
        exp.fingerprint
        == experiment.load(write(tmp_path, SMALL.replace("replicates = 3", "replicates = 4"))).fingerprint
    )
    path = tmp_path / "more.sqlite"
    for suffix in ("", "-wal"):
        if Path(f"{small_store}{suffix}").exists():
            shutil.copy(f"{small_store}{suffix}", f"{path}{suffix}")
    rep = sweep.sweep(exp, path, workers=1, progress=False, replicates=4)
    assert (rep.skipped, rep.ran, rep.replicates) == (30, 10, 4)
    metrics = ["seed", "arm", "point", "attacks_received", "total_posts"]
    with Store(path) as a, Store(small_store) as b:
        ra, rb, meta = a.runs(), b.runs(), a.meta()
    assert list(ra["run_id"]) == list(range(40)) and set(ra.loc[ra["run_id"] >= 30, "replicate"]) == {3}
    pd.testing.assert_frame_equal(ra.loc[ra["run_id"] < 30, metrics], rb[metrics])
    assert meta["replicates"] == "4"
    rep = sweep.sweep(exp, path, workers=1, progress=False)  # the file's 3 again: nothing to do, 4 kept
    assert rep.ran == 0
    with Store(path) as a:
        assert a.meta()["replicates"] == "4"


TINY = """
[experiment]
name = "tiny"
replicates = 2
seed = 5
[params]
n_users = 3000
horizon_hours = 4
classifier_recall = 1.0
[arms]
cancel_half = [{kind = "friction", cancel = 0.5, revise = 0.0}]
"""


def test_sweep_to_precision_adds_replicates_until_the_target_or_the_cap(tmp_path):
    exp = experiment.load(write(tmp_path, TINY))
    said: list[str] = []
    options = dict(metric="total_posts", workers=1, progress=False, say=said.append)
    rep = sweep.sweep_to_precision(exp, tmp_path / "p.sqlite", 5.0, **options)  # loose: the pilot suffices
    assert (rep.replicates, rep.ran) == (2, 4) and list(rep.precision["arm"]) == ["cancel_half"]
    rep = sweep.sweep_to_precision(exp, tmp_path / "p.sqlite", 1e-4, max_replicates=5, **options)
    assert (rep.replicates, rep.skipped, rep.ran) == (5, 4, 6)
    assert "stopped at max_replicates = 5" in said[-1] and "needs" in said[-2]


def test_sweep_on_a_dask_local_cluster(tmp_path, small_store):
    from distributed import LocalCluster

    exp = experiment.load(write(tmp_path, SMALL))
    shared = tmp_path / "shared-networks"  # what a folder on shared storage is to a real cluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        rep = sweep.sweep(
            exp, tmp_path / "dask.sqlite", scheduler=cluster.scheduler_address, progress=False, networks=shared
        )
    assert rep.ran == 30
    assert_same_results(tmp_path / "dask.sqlite", small_store)
    assert len([p for p in shared.iterdir() if p.is_dir()]) == 6  # one per point and replicate, built once
    with Store(tmp_path / "dask.sqlite") as store:
        pids = set(store.runs()["worker_pid"])
    assert os.getpid() not in pids and len(pids) >= 1


# -- networks built once --------------------------------------------------------------------------


def test_arms_of_a_replicate_share_one_saved_network_and_runs_do_not_change(tmp_path, small_store):
    from pileon.experiments.sweeps.networks import cached_network
    from pileon.model import OutrageModel
    from pileon.model.interventions import make
    from pileon.model.scenarios import get

    exp = experiment.load(write(tmp_path, SMALL))
    folder = tmp_path / "nets"
    sweep.sweep(exp, tmp_path / "kept.sqlite", workers=1, progress=False, networks=folder)
    saved = sorted(p for p in folder.iterdir() if p.is_dir())
    assert len(saved) == 6  # 2 points x 3 replicates; the 5 arms of each use the same network
    assert_same_results(tmp_path / "kept.sqlite", small_store)
    assert not (tmp_path / "small.networks").exists() and not small_store.with_suffix(".networks").exists()
    # a run of the sweep, on its own, builds the same network and gives the same results
    spec = exp.specs()[7]
    params = get(spec.scenario).replace(**spec.params)
    alone = OutrageModel(params, seed=spec.seed, interventions=[make(s) for s in spec.interventions]).run()
    with Store(small_store) as store:
        row = store.runs().set_index("run_id").loc[spec.run_id]
    assert alone.summary["attacks_received"] == row["attacks_received"]
    assert alone.summary["exposures"] == row["exposures"]
    net = cached_network(folder, params.network, spec.seed)  # read back, memory-mapped
    assert isinstance(net.indices, np.memmap)
    built = OutrageModel(params, seed=spec.seed).network  # the target planted in the generated graph
    planted = OutrageModel(params, seed=spec.seed, network=net, generated=True).network
    assert np.array_equal(planted.indices, built.indices) and np.array_equal(planted.indptr, built.indptr)


# -- the report -----------------------------------------------------------------------------------


def test_paired_effects_and_their_intervals(small_store):
    with Store(small_store) as store:
        runs = store.runs()
    eff = report.paired_effects(runs, ("attacks_received", "posts_removed"), n_boot=500).set_index(["arm", "metric"])
    never = eff.loc[("never", "attacks_received")]
    assert never["diff"] == 0 and never["rel_change"] == 0 and never["rel_lo"] == never["rel_hi"] == 0
    cancel = eff.loc[("cancel_all", "attacks_received")]
    assert cancel["rel_change"] == -1 and cancel["arm_mean"] == 0
    assert cancel["diff_lo"] <= cancel["diff"] <= cancel["diff_hi"] < 0
    assert cancel["n"] == 6  # 2 points x 3 replicates, paired
    # the bootstrap interval of the mean difference is close to the t interval
    d = (
        runs.loc[runs.arm == "cancel_all", "attacks_received"].to_numpy()
        - runs.loc[runs.arm == BASELINE, "attacks_received"].to_numpy()
    )
    half = 2.57 * d.std(ddof=1) / np.sqrt(len(d))
    assert cancel["diff_hi"] - cancel["diff_lo"] < 2.5 * half
    removed = eff.loc[("removal(removal.delay=10)", "posts_removed")]
    assert removed["arm_mean"] > 0 and removed["baseline_mean"] == 0


def test_report_writes_tables_and_figures(small_store, tmp_path):
    paths = report.write_report(small_store, tmp_path / "rep", n_boot=300)
    for name in ("effects", "forest", "timelines", "dose_response", "report", "robustness_figure", "effect_vs_params"):
        assert paths[name].is_file() and paths[name].stat().st_size > 0, name
    assert "heatmap" not in paths  # a single swept parameter
    text = paths["report"].read_text()
    assert "| cancel_all |" in text and "-100.0%" in text
    assert "## Precision" in text and "## Effects over the parameter sets" in text
    robust = pd.read_csv(paths["robustness"]).set_index("arm")
    assert robust.loc["cancel_all", "median"] == -1 and robust.loc["cancel_all", "share_sign"] == 1
    assert robust.loc["cancel_all", "points"] == 2 and robust.loc["cancel_all", "replicates"] == 3
    points = pd.read_csv(paths["points"])
    assert len(points) == 4 * 2 and set(points["hostile_fraction"]) == {0.3, 0.45}
    assert report.swept_settings(Store(small_store).runs()) == {"removal": "removal.delay"}


def test_heatmap_and_sobol_indices(tmp_path):
    text = """
[experiment]
name = "sens"
replicates = 1
seed = 3
[params]
n_users = 3000
horizon_hours = 6
defend = false
classifier_recall = 1.0
[vary]
method = "sobol"
samples = 16
reply_prob = [0.01, 0.2]
defend_outrage = [0.0, 5.0]
[arms]
cancel_all = [{kind = "friction", cancel = 1.0, revise = 0.0}]
"""
    exp = experiment.load(write(tmp_path, text))
    assert len(exp.points) == 16 * (2 + 2)
    sweep.sweep(exp, tmp_path / "sens.sqlite", workers=1, progress=False)
    paths = report.write_report(tmp_path / "sens.sqlite", tmp_path / "rep", n_boot=200)
    sobol = pd.read_csv(paths["sobol"]).set_index("parameter")
    # defences are off, so their wording cannot matter; the reply propensity drives attacks
    assert sobol.loc["reply_prob", "ST"] > 0.5 > sobol.loc["defend_outrage", "ST"]
    assert paths["heatmap"].is_file() and paths["sobol_figure"].is_file()
    # the effect itself (attacks prevented at each point) turns on the reply propensity too
    effect = pd.read_csv(paths["sobol_effects"])
    effect = effect[effect["measure"] == "diff"].set_index("parameter")
    assert effect.loc["reply_prob", "ST"] > 0.5 > effect.loc["defend_outrage", "ST"]
    assert paths["sobol_effects_figure"].is_file()


# -- the command line -----------------------------------------------------------------------------


def test_cli_sweep_and_report(tmp_path, capsys):
    path = write(tmp_path, SMALL.replace("replicates = 3", "replicates = 1").replace('"small"', '"cli"'))
    assert main(["sweep", str(path), "--dry-run"]) == 0
    assert "2 points x 1 replicates x 5 arms = 10 runs" in capsys.readouterr().out
    store = tmp_path / "cli.sqlite"
    assert main(["sweep", str(path), "--out", str(store), "--workers", "1", "--quiet"]) == 0
    assert "10 runs done" in capsys.readouterr().out
    assert main(["sweep", str(path), "--out", str(store), "--workers", "1", "--quiet"]) == 0
    again = capsys.readouterr().out
    assert "0 runs done" in again and "(10 already in the store)" in again
    assert main(["report", str(store), "--out", str(tmp_path / "rep"), "--boot", "200"]) == 0
    assert "| cancel_all |" in capsys.readouterr().out
    bad = write(tmp_path, "[params]\nn_users = -4", "bad.toml")
    assert main(["sweep", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "n_users=-4 is out of range" in err
    assert main(["report", str(tmp_path / "missing.sqlite")]) == 2
    assert "missing.sqlite: no such result store" in capsys.readouterr().err


def test_cli_run_with_interventions(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["run", "--n-users", "5000", "--horizon-hours", "6", "--out", str(out), "--no-plot"]
    assert (
        main([*args, "--intervene", "friction:cancel=1.0,revise=0", "--intervene", "removal:what=seed,delay=30"]) == 0
    )
    text = capsys.readouterr().out
    assert "friction: acted from" in text and "removal: acted from 09:30" in text
    assert main([*args, "--intervene", "removal:wat=seed"]) == 2
    assert "unknown removal parameter 'wat'" in capsys.readouterr().err


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.toml")), ids=lambda p: p.name)
def test_the_shipped_examples_are_valid(path):
    exp = experiment.load(path)
    assert len(exp.specs()) >= 50 and exp.name == path.stem
    assert "n_users" not in exp.fixed  # at the preset's size, where the #Buffy anchors hold


def test_a_failing_run_is_named_and_the_finished_ones_are_kept(tmp_path, monkeypatch):
    exp = experiment.load(write(tmp_path, SMALL))
    real = sweep.run_spec

    def failing(spec):
        if spec.run_id == 4:
            raise ZeroDivisionError("boom")
        return real(spec)

    monkeypatch.setattr(sweep, "run_spec", failing)
    with pytest.raises(
        sweep.RunError, match=r"run 4 \(arm 'removal\(removal.delay=120\)', point 0 .*ZeroDivisionError: boom"
    ):
        sweep.sweep(exp, tmp_path / "f.sqlite", workers=1, progress=False)
    with Store(tmp_path / "f.sqlite") as store:
        assert store.done() == {0, 1, 2, 3}
