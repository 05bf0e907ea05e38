"""The benchmark's baselines run the same cascade as pileon (fixed coin flips: the same users)."""

from __future__ import annotations

import pytest

from benchmarks.bench import _cascade, run_benchmark


@pytest.mark.parametrize("tool", ["mesa", "mesa-lean"])
def test_mesa_baselines_activate_exactly_the_users_pileon_activates(tool):
    ours = _cascade("pileon", "flips", 5000, 3, 0.1)
    theirs = _cascade(tool, "flips", 5000, 3, 0.1)
    assert ours["activated"] > 50
    assert theirs["activated"] == ours["activated"] and theirs["exposures"] == ours["exposures"]


def test_ndlib_baseline_when_installed():
    pytest.importorskip("ndlib")
    ours = _cascade("pileon", "flips", 3000, 3, 0.1)
    assert _cascade("ndlib", "flips", 3000, 3, 0.1)["activated"] == ours["activated"]


def test_benchmark_end_to_end_reports_every_measurement():
    lines = []
    table = run_benchmark([3000], [], 0, seed=2, say=lines.append)
    assert list(table["case"]) == [
        "full model, 48 h #Buffy",
        "cascade, kept edges p=0.052",
        "cascade, all edges p=0.052",
    ]
    assert (table["exposures_per_s"] > 0).all() and (table["peak_rss_mb"] > 0).all()
    assert any("full model" in line for line in lines)
