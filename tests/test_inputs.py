"""Bad and hostile inputs (issue 13): each case gives a clear error or a correct result; nothing is
written outside the folder the user named, nothing pileon did not write is deleted, nothing
computed is lost or silently wrong. The readers' property-based tests are in test_fuzz.py, the
experiment files' errors in test_sweep.py (test_bad_files_name_the_file_and_key)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pileon.experiments import resources
from pileon.experiments.cli import main
from pileon.experiments.observed import readers
from pileon.experiments.observed.validate import SETTINGS, check_settings
from pileon.experiments.output import read_run_params
from pileon.experiments.sweeps import design, report
from pileon.experiments.sweeps import run as sweep
from pileon.experiments.sweeps.store import Store, StoreError
from pileon.model.params import read_toml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
SMALL_RUN = ["--n-users", "3000", "--target-followers", "100", "--horizon-hours", "2", "--quiet"]

TINY = """
[experiment]
name = "tiny"
replicates = 2
seed = 3
timeline_minutes = 30

[params]
n_users = 2000
target_followers = 100
horizon_hours = 2

[arms]
friction = [{kind = "friction"}]
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _err(capsys) -> str:
    return capsys.readouterr().err


# -- nothing outside the output folder ---------------------------------------------------------------


def test_compare_names_figures_safely_whatever_the_thread_ids(tmp_path, capsys):
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    escape = tmp_path / "escape"
    threads = work / "threads.csv"
    rows = ["thread_id,post_id,parent_id,minutes,stance,depth"]
    for thread in (f"{escape}/pwned", "../../../pwned", "..", "a/b"):
        rows += [f"{thread},s,,0,support,0", f"{thread},r,s,2.5,deny,1", f"{thread},q,r,7,query,2"]
    _write(threads, "\n".join(rows) + "\n")
    out = work / "out"
    assert main(["compare", str(threads), "--replicates", "1", "--window", "30", "--out", str(out)]) == 0
    figures = sorted(p.name for p in out.glob("*.png"))
    assert len(figures) == 4 and all("/" not in f and not f.startswith(".") for f in figures)
    written = {p.resolve() for p in tmp_path.rglob("*") if p.is_file()}
    assert written <= {p.resolve() for p in out.iterdir()} | {threads.resolve()}
    assert not escape.exists() and not (tmp_path / "pwned.png").exists()
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["cascade"]) == {f"{escape}/pwned", "../../../pwned", "..", "a/b"}  # the data's names kept


def test_an_experiment_name_cannot_move_the_store(tmp_path):
    for name in ("/abs/path/pwned", "../../pwned", "a/b", ".hidden"):
        with pytest.raises(design.ExperimentError, match="expected a plain name"):
            design.parse({"experiment": {"name": name}}, where="exp.toml")
    assert design.parse({}, where=str(tmp_path / "...toml")).name == "_"  # a file's own name, made safe


def test_a_sqlite_file_that_is_not_a_store_is_refused_untouched(tmp_path, capsys):
    foreign = tmp_path / "mine.db"
    with sqlite3.connect(foreign) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE notes (text TEXT)")
        db.execute("INSERT INTO notes VALUES ('precious')")
    db.close()
    before = foreign.read_bytes()
    exp = _write(tmp_path / "tiny.toml", TINY)
    for extra in ([], ["--fresh"]):
        assert main(["sweep", str(exp), "--out", str(foreign), "--quiet", *extra]) == 2
        assert "not a pileon result store" in _err(capsys)
        assert foreign.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["mine.db", "tiny.toml"]
    text = _write(tmp_path / "notes.sqlite", "my notes, not a database\n")
    assert main(["sweep", str(exp), "--out", str(text), "--fresh", "--quiet"]) == 2
    assert "not a pileon result store" in _err(capsys) and text.read_text() == "my notes, not a database\n"


def test_fresh_deletes_only_the_store_and_its_own_wal_and_shm(tmp_path):
    exp = design.load(_write(tmp_path / "tiny.toml", TINY))
    store = tmp_path / "tiny.sqlite"
    sweep.sweep(exp, store, workers=1, progress=False)
    neighbours = [_write(tmp_path / f"tiny.sqlite{s}", "keep") for s in (".bak", "-wal.txt", ".sqlite")]
    rep = sweep.sweep(exp, store, workers=1, progress=False, fresh=True)
    assert (rep.skipped, rep.ran) == (0, 4)
    assert all(p.read_text() == "keep" for p in neighbours)
    # a -wal without its store (deleted by hand) would be replayed into a new one: refused
    store.unlink()
    _write(tmp_path / "tiny.sqlite-wal", "stale")
    with pytest.raises(StoreError, match="without its store"):
        sweep.sweep(exp, store, workers=1, progress=False)


# -- results that are correct, or refused --------------------------------------------------------------


def _edges(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    ids = [f"user-{i:03d}@x" for i in range(60)]
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, 60, (400, 2)) if a != b}
    pairs |= {(i, 0) for i in range(1, 40)}  # user-000@x is followed most: the target
    lines = ["follower,followee", *(f"{ids[a]},{ids[b]}" for a, b in sorted(pairs))]
    return _write(tmp_path / "follows.csv", "\n".join(lines) + "\n")


def test_edges_keep_the_files_ids_and_refuse_the_generated_graphs_options(tmp_path, capsys):
    edges = _edges(tmp_path)
    out = tmp_path / "run"
    args = ["run", "--edges", str(edges), "--horizon-hours", "3", "--no-plot", "--quiet", "--out", str(out)]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["target_user"] == "user-000@x" and summary["target_index"] == 0
    assert summary["edges_file"] == str(edges) and summary["params"]["n_users"] == 60
    events = pd.read_parquet(out / "events.parquet")
    assert events["user"].str.startswith("user-").all() and events["user"].iloc[0] == "user-000@x"
    ids = np.array([f"user-{i:03d}@x" for i in range(60)], dtype=object)
    order = {name: i for i, name in enumerate(pd.read_csv(edges).stack().drop_duplicates())}
    assert all(order[u] == i for u, i in zip(events["user"], events["user_index"], strict=True))
    assert set(events["user"]) <= set(ids)
    for option in (["--n-users", "100"], ["--mean-followers", "5"]):
        assert main([*args[:-1], str(tmp_path / "x"), *option]) == 2
        assert f"{option[0]}: options of the generated follower graph" in _err(capsys)
    assert not (tmp_path / "x").exists()


def test_run_out_is_checked_before_the_simulation_and_never_mixes_two_runs(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert main(["run", "--seed", "1", "--out", str(out), *SMALL_RUN]) == 0
    assert (out / "timeline.png").is_file()
    first = (out / "summary.json").read_text()

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before refusing")

    monkeypatch.setattr("pileon.experiments.cli.runs.OutrageModel", no_simulation)
    assert main(["run", "--seed", "2", "--out", str(out), *SMALL_RUN]) == 2
    assert "holds an earlier run" in _err(capsys) and (out / "summary.json").read_text() == first
    a_file = _write(tmp_path / "file.txt", "mine")
    assert main(["run", "--out", str(a_file), *SMALL_RUN]) == 2
    assert "a file, not a folder" in _err(capsys) and a_file.read_text() == "mine"
    for twice in (["--intervene", "friction", "--intervene", "friction"], ["--intervene", "removal"] * 2):
        assert main(["run", "--out", str(tmp_path / "y"), *SMALL_RUN, *twice]) == 2
        assert "is given 2 times; give each intervention once" in _err(capsys)
    monkeypatch.undo()
    assert main(["run", "--seed", "2", "--out", str(out), "--overwrite", "--no-plot", *SMALL_RUN]) == 0
    assert not (out / "timeline.png").exists()  # the first run's figure is not left beside the second's data
    assert json.loads((out / "summary.json").read_text())["seed"] == 2


def test_parameter_files_refuse_a_key_given_twice_and_read_a_bom(tmp_path, capsys):
    flat_and_table = _write(tmp_path / "p.toml", "n_users = 5000\n[network]\nn_users = 6000\n")
    assert main(["run", "--params", str(flat_and_table), "--out", str(tmp_path / "x"), *SMALL_RUN[2:]]) == 2
    assert "n_users is given twice" in _err(capsys)
    bom = tmp_path / "bom.toml"
    bom.write_bytes("\ufeff[decisions]\r\nfatigue = 0.3\r\n".encode())
    assert read_toml(bom) == {"fatigue": 0.3}
    summary = _write(tmp_path / "summary.json", '{"params": {"fatigue": 0.2, "fatigue": 0.3}}')
    with pytest.raises(ValueError, match="summary.json: key 'fatigue' is given twice"):
        read_run_params(summary)
    huge = _write(tmp_path / "huge.toml", "n_users = 1e400\n")
    assert main(["run", "--params", str(huge), "--out", str(tmp_path / "x")]) == 2
    assert "huge.toml: n_users=inf: expected a whole number" in _err(capsys)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("# caf\xe9\nfatigue = 0.3\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.toml, line 1: not UTF-8 text \(byte 0xe9\)"):
        read_toml(bad)


def test_options_out_of_range_are_refused(capsys):
    threads = str(DATA / "rumoureval2017_slice.csv")
    for command, option, value in (
        (["compare", threads], "--limit", "-1"),
        (["compare", threads], "--limit", "0"),
        (["compare", threads], "--window", "inf"),
        (["calibrate", threads], "--points", "1000000000000"),
        (["run"], "--seed", "-1"),
        (["sweep", "x.toml"], "--workers", "0"),
    ):
        with pytest.raises(SystemExit) as e:
            main([*command, option, value])
        assert e.value.code == 2
        assert f"argument {option}: " in _err(capsys)


def test_validate_refuses_to_mix_settings(tmp_path, capsys):
    out = tmp_path / "val"
    settings = {"points": 16, "replicates": 1, "refine": 4, "learned_from": "the other cascades"}
    out.mkdir()
    check_settings(out, settings)  # a first run records them
    _write(out / "validation.csv", "cascade,label,posts\n1,true,5\n")
    check_settings(out, settings)  # the same: resumed
    with pytest.raises(ValueError, match=r"other settings \(points=16 there, 32 now\).*delete .*validation.csv"):
        check_settings(out, settings | {"points": 32})
    trees = DATA / "twitter15_16_slice"
    args = ["validate", str(trees), "--out", str(out), "--points", "32", "--replicates", "1", "--refine", "4"]
    assert main(args) == 2
    assert "points=16 there, 32 now" in _err(capsys)
    assert json.loads((out / SETTINGS).read_text()) == settings


def test_validate_on_a_folder_with_a_cyclic_tree_names_the_file_and_lines(tmp_path, capsys):
    tree = tmp_path / "set" / "tree"
    tree.mkdir(parents=True)
    lines = [
        "['ROOT', 'ROOT', '0.0']->['s', '1', '0.0']",
        "['a', '2', '1.0']->['b', '3', '2.0']",
        "['b', '3', '2.0']->['a', '2', '1.0']",
    ]
    _write(tree / "1.txt", "\n".join(lines) + "\n")
    assert main(["validate", str(tmp_path / "set"), "--out", str(tmp_path / "v"), "--points", "4"]) == 2
    err = _err(capsys)
    assert f"{tree / '1.txt'}: the parent links form a cycle" in err and "line 2, line 3" in err


# -- the readers' cases ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "1.txt",
            "['ROOT', 'ROOT', '0.0']->['a', '1', '0.0']\n['a', '1', '0.0']->['b', '1', 'nan']\n",
            "line 2: delay 'nan' is not a finite",
        ),
        (
            "1.txt",
            "['ROOT', 'ROOT', '0.0']->['a', '1', '0.0']\n['a', '1', '0.0']->['b', '1', 'inf']\n",
            "line 2: delay 'inf' is not a finite",
        ),
        (
            "1.txt",
            "['ROOT', 'ROOT', '0.0']->['a', '1', '0.0']\n['a', '1', '0.0']->['b', '1', '1e308']\n",
            "line 2: this post comes 1e\\+308 minutes after the source",
        ),
        (
            "1.txt",
            "['ROOT', 'ROOT', '0.0']->['a', '1', '5.0']\n['a', '1', '5.0']->['b', '1', '2.0']\n",
            "line 2: this post \\(minute 2\\) comes before the source post \\(minute 5, line 1\\)",
        ),
        (
            "t.csv",
            "thread_id,post_id,parent_id,minutes,stance,depth\nx1,s,,0,support,0\nx1,r,s,NaN,deny,1\n",
            "\\(x1\\), line 3: time nan is not a finite",
        ),
        (
            "t.csv",
            "thread_id,post_id,parent_id,minutes,stance,depth\nt,s,,10,support,0\nt,r,s,3,deny,1\n",
            "line 3: this post \\(minute 3\\) comes before the source",
        ),
        (
            "t.csv",
            "thread_id,post_id,parent_id,minutes,stance,depth\nt,s,,0,support,0\nt,r,s,3,deny,1\nt,r,s,4,deny,1\n",
            "line 4: t: post 'r' is given twice \\(also line 3\\)",
        ),
        (
            "t.csv",
            "thread_id,post_id,parent_id,minutes,stance,depth\nx1,s,,0,support,0\nx1,a,b,3,deny,1\nx1,b,a,4,deny,1\n",
            "\\(x1\\): the parent links form a cycle.*line 3, line 4",
        ),
        ("p.csv", "minutes,post,parent\n0,s,\n1e308,r,s\n", "line 3: this post comes 1e\\+308 minutes after"),
        ("p.csv", "minutes,post,parent\n0,s,\ninf,r,s\n", "line 3, column 'minutes': 'inf' is not a finite number"),
        ("p.csv", "minutes,post,parent\n5,s,\n1,r,s\n", "line 3: this post \\(minute 0\\) comes before the source"),
        ("p.csv", "minutes,post,parent\n0,s,\n1,r,s\n2,r,s\n", "line 4, column 'post': 'r' is given twice"),
        ("p.csv", "minutes,post\n0,s\n1,r,extra,fields\n", "not a CSV table \\(Error tokenizing data.*line 3"),
        ("s.txt", "0\t0\t0\t0\t0.0\n0\t1\t0\t1\tnan\n", "line 2: hours 'nan' is not a finite number"),
    ],
)
def test_readers_refuse_broken_times_and_trees_naming_file_and_line(tmp_path, name, text, message):
    path = _write(tmp_path / name, text)
    with pytest.raises(ValueError, match=message) as e:
        readers.load(path, {"1.txt": "twitter", "t.csv": "rumoureval", "p.csv": "csv", "s.txt": "pheme"}[name])
    assert str(e.value).startswith(str(path))


def test_readers_accept_a_bom_and_name_invalid_utf8(tmp_path):
    tree = DATA / "twitter15_16_slice" / "twitter16" / "tree"
    source = next(tree.glob("*.txt"))
    with_bom = tmp_path / source.name
    with_bom.write_bytes(b"\xef\xbb\xbf" + source.read_bytes().replace(b"\n", b"\r\n"))
    a, b = readers.read_twitter_tree(source), readers.read_twitter_tree(with_bom)
    assert np.array_equal(a.minutes, b.minutes) and list(a.user) == list(b.user)
    csv = tmp_path / "bom.csv"
    csv.write_bytes(b"\xef\xbb\xbfminutes,user\n0,a\n2,b\n")
    assert list(readers.read_csv(csv).user) == ["a", "b"]
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"minutes,user\n0,a\n2,caf\xe9\n")
    with pytest.raises(ValueError, match=r"broken.csv, line 3: not UTF-8 text \(byte 0xe9\)"):
        readers.load(broken)


# -- stores: locked, checked, complete or said to be incomplete ----------------------------------------------


def test_a_read_only_or_damaged_store_is_a_clear_error(tmp_path, capsys):
    exp = design.load(_write(tmp_path / "tiny.toml", TINY))
    store = tmp_path / "tiny.sqlite"
    sweep.sweep(exp, store, workers=1, progress=False)
    store.chmod(0o444)
    try:
        if os.geteuid() != 0:  # root writes through read-only permissions
            with pytest.raises(StoreError, match="read-only"):
                sweep.sweep(exp, store, workers=1, progress=False)
        with Store(store) as readonly:  # a read-only store can still be reported
            assert len(readonly.runs()) == 4
    finally:
        store.chmod(0o644)
    cut = tmp_path / "cut.sqlite"
    data = store.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.99)])
    for args in (["report", str(cut)], ["sweep", str(tmp_path / "tiny.toml"), "--out", str(cut), "--quiet"]):
        assert main(args) == 2
        assert f"{cut}: the store is damaged" in _err(capsys)


def test_a_partial_store_is_reported_as_incomplete(tmp_path, capsys):
    exp = design.load(_write(tmp_path / "tiny.toml", TINY))
    store = tmp_path / "tiny.sqlite"

    def stop(run_id):
        if run_id == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep.sweep(exp, store, workers=1, progress=False, on_saved=stop)
    assert main(["report", str(store), "--boot", "100"]) == 0
    text = (tmp_path / "tiny-report" / "report.md").read_text()
    assert "**Incomplete: 2 of the design's 4 runs are in the store**" in text
    assert "tiny.sqlite is incomplete (2 of 4 runs)" in _err(capsys)
    sweep.sweep(exp, store, workers=1, progress=False)
    assert main(["report", str(store), "--boot", "100"]) == 0
    assert "Incomplete" not in (tmp_path / "tiny-report" / "report.md").read_text()


def test_a_report_stopped_half_way_leaves_the_earlier_one_whole(tmp_path, monkeypatch):
    exp = design.load(_write(tmp_path / "tiny.toml", TINY))
    store = tmp_path / "tiny.sqlite"
    sweep.sweep(exp, store, workers=1, progress=False)
    out = tmp_path / "rep"
    report.write_report(store, out, n_boot=100)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report.figures, "arms_timeline_figure", killed)
    with pytest.raises(KeyboardInterrupt):
        report.write_report(store, out, n_boot=100)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep", "tiny.sqlite", "tiny.toml"]  # no half report left
    others = tmp_path / "mine"
    others.mkdir()
    _write(others / "thesis.tex", "precious")
    with pytest.raises(ValueError, match="holds files that are not a pileon report"):
        report.write_report(store, others, n_boot=100)
    assert (others / "thesis.tex").read_text() == "precious"


def test_two_sweeps_on_one_store_the_second_is_refused_naming_the_first(tmp_path):
    exp = design.load(_write(tmp_path / "tiny.toml", TINY))
    store = tmp_path / "tiny.sqlite"
    seen = []

    def meanwhile(run_id):
        if not seen:
            with pytest.raises(StoreError, match=rf"another pileon sweep is writing to it \(pid {os.getpid()} on "):
                sweep.sweep(exp, store, workers=1, progress=False)
            with pytest.raises(StoreError, match="another pileon sweep"):
                sweep.sweep(exp, store, workers=1, progress=False, fresh=True)
        seen.append(run_id)

    rep = sweep.sweep(exp, store, workers=1, progress=False, on_saved=meanwhile)
    assert rep.ran == 4 and len(seen) == 4
    with Store(store) as s:
        assert s.done() == {0, 1, 2, 3}


def test_two_sweep_commands_at_once(tmp_path):
    """Two `pileon sweep` processes on one store: the second says which process holds it and exits;
    the first, stopped with Ctrl-C, leaves its runs whole, each once."""
    exp = _write(tmp_path / "tiny.toml", TINY.replace("replicates = 2", "replicates = 500"))
    store = tmp_path / "tiny.sqlite"
    cmd = [
        sys.executable,
        "-X",
        "faulthandler",
        "-m",
        "pileon.experiments.cli",
        "sweep",
        str(exp),
        "--out",
        str(store),
        "--workers",
        "1",
    ]
    first = subprocess.Popen([*cmd, "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first.poll() is None and not _locked(store):
            time.sleep(0.05)
        second = subprocess.run([*cmd, "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        running = first.poll() is None
    finally:
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=120)
    assert running, f"the first sweep ended before the second started: {err}"
    assert second.returncode == 2, second.stdout + second.stderr
    assert f"another pileon sweep is writing to it (pid {first.pid} on" in second.stderr
    assert first.returncode == 130 and "finished runs are saved" in err, err
    with Store(store) as s:
        runs = s.runs()
    assert list(runs["run_id"]) == list(range(len(runs)))  # whole runs, each once, in order (one worker)


def _locked(store: Path) -> bool:
    """The first sweep holds the store (it writes its pid in the meta table once it has the lock)."""
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM meta WHERE key = 'writer'").fetchone()[0] > 0
    except sqlite3.Error:
        return False


SLOW_WORKERS = """
import os, sys, time
from pileon.experiments.parallel import parallel_map
from tests.test_inputs import report_pid_then_sleep
for _ in parallel_map(report_pid_then_sleep, range(8), sys.argv[1], workers=2):
    pass
"""


def report_pid_then_sleep(folder: str, item: int) -> int:
    Path(folder, f"{os.getpid()}.pid").write_text("")
    time.sleep(600)
    return item


def test_workers_exit_when_the_main_process_is_killed(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WORKERS, str(tmp_path)], cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(tmp_path.glob("*.pid"))) < 2:
        time.sleep(0.1)
    workers = [int(p.stem) for p in tmp_path.glob("*.pid")]
    assert len(workers) == 2, "the workers did not start"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    alive = [pid for pid in workers if _alive(pid)]
    for pid in alive:  # do not leave them behind even if the test fails
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived their parent by 5 s"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (dead, not yet reaped by init) is gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# -- sizes estimated before the work ----------------------------------------------------------------------


def test_a_graph_too_large_for_the_machine_is_refused_with_the_estimate(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(resources, "available_memory", lambda: 16 * 10**9)
    out = tmp_path / "big"
    assert main(["run", "--n-users", "5000000", "--mean-followers", "1000", "--out", str(out), "--quiet"]) == 2
    err = _err(capsys)
    assert "the follower graph of 5,000,000 users x 1000 followers (5,000,000,000 edges) needs about 320.5 GB" in err
    assert "16.0 GB available" in err and "--force" in err and not out.exists()
    exp = design.load(_write(tmp_path / "big.toml", TINY.replace("n_users = 2000", "n_users = 10000000")))
    with pytest.raises(resources.TooLargeError, match="2 workers, each running up to 10,000,000 users"):
        sweep.sweep(exp, tmp_path / "big.sqlite", workers=2, progress=False)
    assert not (tmp_path / "big.sqlite").exists()


def test_a_dry_run_counts_the_design_without_expanding_its_runs(tmp_path, capsys, monkeypatch):
    text = TINY.replace("replicates = 2", "replicates = 100000") + "\n[vary]\nfatigue = [0.1, 0.2, 0.3]\n"
    exp = _write(tmp_path / "wide.toml", text)

    def no_expansion(self):
        raise AssertionError("the dry run expanded the design")

    monkeypatch.setattr(design.Experiment, "specs", no_expansion)
    assert main(["sweep", str(exp), "--dry-run"]) == 0
    assert "3 points x 100,000 replicates x 2 arms = 600,000 runs" in capsys.readouterr().out
    monkeypatch.setattr(resources, "available_memory", lambda: 10**8)  # 600,000 runs need about 300 MB
    assert main(["sweep", str(exp), "--dry-run"]) == 2
    assert "600,000 runs) needs about 300.0 MB of memory; this machine has 100.0 MB available" in _err(capsys)


# -- the app ---------------------------------------------------------------------------------------------


def test_app_warns_about_other_hosts_and_checks_the_port_first(capsys):
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["app", "--host", "0.0.0.0", "--port", str(port)]) == 2
    captured = capsys.readouterr()
    assert "anyone who can reach it on the network" in captured.err
    assert f"--port {port}: already in use" in captured.err and "serving on" not in captured.out
    assert main(["app", "--host", "no-such-host.invalid", "--port", "0"]) == 2
    assert "not an address this machine knows" in _err(capsys)
