"""Strictly out of sample: what a cascade does after its observation window never moves its forecasts
(pileon's and every null's), with a held-out training set and with leave one out."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pileon.experiments.observed.readers import read_twitter_folder
from pileon.experiments.observed.validate import run_validation

DATA = Path(__file__).parent / "data"
TREES = DATA / "twitter15_16_slice"
EDGE = re.compile(r"^(\['[^']*', '[^']*', '[^']*'\])->\['([^']*)', '([^']*)', '([^']*)'\]$")
# every prediction made for a tree cascade (the errors move with the actual sizes, as they must)
TREE_PREDICTIONS = [
    "observed_first_hour",
    "final_pileon",
    "final_pileon_low",
    "final_pileon_high",
    "final_unpooled",
    "final_hawkes",
    "final_nogrowth",
    "final_naive",
    "final_sizenull",
    "final_analog",
]


def _change_after_first_hour(tree: Path) -> None:
    """Drop nine in ten posts after the first hour and move the rest 5 hours later."""
    out, later = [], 0
    for line in tree.read_text().splitlines():
        m = EDGE.match(line)
        assert m, line
        parent, user, tweet, delay = m.groups()
        if float(delay) > 60:
            later += 1
            if later % 10:
                continue
            delay = f"{float(delay) + 300:.1f}"
        out.append(f"{parent}->['{user}', '{tweet}', '{delay}']")
    tree.write_text("\n".join(out) + "\n")


def _predictions(folder: Path, out: Path, training: Path | None) -> pd.DataFrame:
    cascades = read_twitter_folder(folder)
    train = read_twitter_folder(training) if training else None
    result = run_validation(cascades, out, points=12, replicates=1, workers=1, figures=False, training=train, fit=False)
    return result.set_index("cascade").sort_index()


@pytest.mark.parametrize("held_out", [True, False], ids=["learn-from", "leave-one-out"])
def test_posts_after_the_first_hour_never_move_the_forecasts(tmp_path, held_out):
    folder = tmp_path / "trees"
    shutil.copytree(TREES, folder)
    scored = folder / "twitter16" if held_out else folder
    training = folder / "twitter15" if held_out else None
    before = _predictions(scored, tmp_path / "before", training)
    changed = sorted((folder / "twitter16" / "tree").glob("*.txt"))[0]
    _change_after_first_hour(changed)
    after = _predictions(scored, tmp_path / "after", training)
    name = changed.stem
    assert after.loc[name, "final_actual"] < before.loc[name, "final_actual"] / 2  # the change is real
    assert before.loc[name, TREE_PREDICTIONS].notna().all()
    pd.testing.assert_series_equal(before.loc[name, TREE_PREDICTIONS], after.loc[name, TREE_PREDICTIONS])
    others = after.index != name
    if not held_out:  # control: the changed cascade is training data for the others, so theirs move
        assert not np.allclose(before.loc[others, "final_naive"], after.loc[others, "final_naive"])


def test_a_tree_in_both_collections_is_left_out_of_its_own_forecast_twice(tmp_path):
    """Twitter15 and Twitter16 share source tweets: the reader names the second copy
    twitter16-<id>, but both copies carry the tree's key, and a cascade leaves out every copy."""
    from pileon.experiments.observed.forecast import growth_null
    from pileon.experiments.observed.validate import curve_template

    folder = tmp_path / "trees"
    shutil.copytree(TREES, folder)
    twin = sorted((folder / "twitter15" / "tree").glob("*.txt"))[0]
    shutil.copy(twin, folder / "twitter16" / "tree")
    cascades = read_twitter_folder(folder)
    copies = [c for c in cascades if c.key == twin.stem]
    assert sorted(c.name for c in copies) == [twin.stem, f"twitter16-{twin.stem}"]
    others = [c for c in cascades if c.key != twin.stem]
    first = int(np.sum(copies[0].minutes <= 60))
    assert growth_null(cascades).naive(first, exclude=twin.stem) == growth_null(others).naive(first)
    own = np.ones((50, 3))
    np.testing.assert_array_equal(curve_template(cascades).predict(own, twin.stem), curve_template(others).predict(own))
