"""The benchmark's baselines run the same cascade as pileon (fixed coin flips: the same users)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.bench import _cascade, run_benchmark


@pytest.mark.parametrize("tool", ["mesa", "mesa-lean"])
def test_mesa_baselines_activate_exactly_the_users_pileon_activates(tool):
    ours = _cascade("pileon", "flips", 5000, 3, 0.1)
    theirs = _cascade(tool, "flips", 5000, 3, 0.1)
    assert ours["activated"] > 50
    assert theirs["activated"] == ours["activated"] and theirs["exposures"] == ours["exposures"]


def test_ndlib_baseline_activates_the_same_users():
    ours = _cascade("pileon", "flips", 3000, 3, 0.1)
    assert _cascade("ndlib", "flips", 3000, 3, 0.1)["activated"] == ours["activated"]


@pytest.mark.parametrize(
    ("table", "b_activated"), [({("a", "b"): 0.0}, True), ({("a", "b"): 0.0, ("c", "d"): 0.0}, False)]
)
def test_ndlib_drops_a_partial_threshold_table(table, b_activated):
    """What benchmarks/bench.py's comment says of NDlib 6.0.1: a threshold table that misses an edge
    is dropped whole and 1/out-degree is used (here 1: b always activated); a full one is used."""
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc  # noqa: N813
    import networkx as nx

    g = nx.DiGraph([("a", "b"), ("c", "d")])
    model = ep.IndependentCascadesModel(g, seed=1)
    cfg = mc.Configuration()
    cfg.add_model_initial_configuration("Infected", ["a"])
    for edge, p in table.items():
        cfg.add_edge_configuration("threshold", edge, p)
    model.set_initial_status(cfg)
    model.iteration()
    model.iteration()
    assert (model.status["b"] != 0) is b_activated


def test_benchmark_end_to_end_reports_every_measurement():
    lines = []
    table = run_benchmark([3000], [], 0, seed=2, say=lines.append)
    assert list(zip(table["case"], table["tool"], strict=True)) == [
        ("graph", "pileon"),
        ("full model, 48 h #Buffy", "pileon"),
        ("cascade, all edges p=0.052", "bare"),
        ("cascade, kept edges p=0.052", "pileon"),
        ("cascade, all edges p=0.052", "pileon"),
    ]
    cases = table[table["case"] != "graph"]
    assert (cases["exposures_per_s"] > 0).all() and (table["peak_rss_mb"] > 0).all()
    assert table["of_bare_rate"].notna().sum() == 2  # the full model and pileon's cascade, against the bare one
    assert any("of the bare cascade" in line for line in lines)
    graph = table[table["case"] == "graph"].iloc[0]
    assert 4.0 <= graph["bytes_per_edge"] < 5.0  # int32 followers, plus the row pointers


def test_the_bare_cascade_activates_exactly_the_reachable_users():
    from benchmarks.bench import bare_cascade, cascade_graph

    net, p, source = cascade_graph(5000, 3, "flips", 0.1)
    active, _ = bare_cascade(net, p, source, np.random.default_rng(0))
    ours = _cascade("pileon", "flips", 5000, 3, 0.1)
    assert len(active) == ours["activated"] > 50


def test_the_sweep_benchmark_with_arms_sharing_networks(tmp_path):
    from benchmarks.bench import sweep_benchmark

    lines = []
    out = sweep_benchmark(6, 2000, 2, str(tmp_path / "s.sqlite"), say=lines.append, arms=3, serial=2)
    assert out["runs"] == 6 and out["arms"] == 3 and out["sweep_s"] > 0
    assert not (tmp_path / "s.networks").exists()  # the shared networks are removed with a complete sweep
    assert any("3 arms a replicate" in line for line in lines)
