"""A golden baseline: a small #Buffy run must give the stored results (regenerate only on purpose)."""

from __future__ import annotations

import json

import pytest

from .regenerate_golden import GOLDEN, golden_run


def test_small_scenario_matches_the_golden_baseline():
    want = json.loads(GOLDEN.read_text())
    got = json.loads(json.dumps(golden_run()))
    assert got["hourly_counts"] == want["hourly_counts"]
    for key, value in want["summary"].items():
        if isinstance(value, float):
            assert got["summary"][key] == pytest.approx(value, rel=1e-9), key
        else:
            assert got["summary"][key] == value, key
