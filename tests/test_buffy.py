"""The #Buffy scenario against the anchors of the observed pile-on."""

from __future__ import annotations

import numpy as np
import pytest

from pileon.experiments.anchors import buffy_measures, check_buffy, load_anchors
from pileon.model import OutrageModel
from pileon.model.scenarios import buffy


@pytest.mark.slow
def test_median_of_20_seeds_at_default_size_falls_inside_every_checkable_anchor():
    params = buffy()
    assert params.n_users == 200_000  # the default size, not a reduced one
    results = [OutrageModel(params, seed=seed).run() for seed in range(20)]
    measures = [buffy_measures(r) for r in results]
    rows = check_buffy({k: float(np.median([m[k] for m in measures])) for k in measures[0]})  # median over seeds
    checked = [r for r in rows if r["ok"] is not None]
    assert {r["quantity"] for r in checked} == {
        "seed_post_clock_time",
        "hostile_wave_onset_clock_time",
        "posts_about_case_by_interview",
        "hostile_share_of_quoted_replies",
    }
    assert all(r["ok"] for r in checked), rows


def test_anchor_file_is_read_and_bad_files_name_the_line(tmp_path):
    anchors = load_anchors()
    assert anchors["posts_about_case_by_interview"].low == "5000"
    bad = tmp_path / "anchors.csv"
    bad.write_text("quantity,low,high,unit,note\nseed_post_clock_time,08:00\n")
    with pytest.raises(ValueError, match=r"anchors.csv, line 2: expected 5 fields, found 2"):
        load_anchors(bad)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        load_anchors(tmp_path / "missing.csv")


def test_check_flags_a_run_that_misses():
    rows = check_buffy(
        {
            "seed_post_clock_time": 12.0,
            "hostile_wave_onset_clock_time": 15.0,
            "posts_by_14h": 10,
            "posts_by_19h": 20,
            "hostile_share": 0.3,
        }
    )
    assert [r["ok"] for r in rows if r["ok"] is not None] == [False, False, False, False]
