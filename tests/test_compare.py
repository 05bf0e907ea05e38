"""The OASIS curves and NRMSE on hand-made cascades, and a comparison against replicates."""

from __future__ import annotations

import numpy as np
import pytest

from pileon.experiments.observed.curves import Comparison, curves, nrmse
from pileon.experiments.observed.readers import Cascade


def _cascade(minutes, users, parents, actions=None):
    actions = actions or ["seed_post"] + ["amplify"] * (len(minutes) - 1)
    return Cascade.build("hand", minutes, users, actions, parents)


def test_curves_count_participants_depth_and_breadth_by_bin():
    # source by a at 0; b, c reply to it at 1 and 4; a (again) replies to b at 5; d replies to a's reply at 7
    c = _cascade([0, 1, 4, 5, 7], ["a", "b", "c", "a", "d"], [-1, 0, 0, 1, 3])
    df = curves(c, window=9, bin_minutes=3)
    assert df["minutes"].tolist() == [3, 6, 9]
    assert df["scale"].tolist() == [2, 3, 4]  # a, b | c | d (a's second post adds nobody)
    assert df["depth"].tolist() == [1, 2, 3]
    assert df["breadth"].tolist() == [1, 2, 2]


def test_nrmse_is_rmse_over_the_observed_maximum():
    assert nrmse([1, 2, 3], [1, 2, 3]) == 0
    assert nrmse([2, 2, 2], [0, 2, 4]) == pytest.approx(np.sqrt((4 + 0 + 4) / 3) / 4)


def test_comparison_of_a_cascade_with_itself_is_perfect():
    c = _cascade(
        [0, 1, 4, 5, 7, 30],
        ["a", "b", "c", "a", "d", "e"],
        [-1, 0, 0, 1, 3, 0],
        ["seed_post", "attack", "defend", "attack", "amplify", "neutral"],
    )
    m = Comparison(c, [c, c, c]).metrics()
    assert m["nrmse_scale"] == m["nrmse_depth"] == m["nrmse_breadth"] == 0
    assert m["final_size_ratio"] == 1 and m["ks_time"] == 0 and m["peak_time_error"] == 0
    assert m["attack_share_observed"] == m["attack_share_simulated"] == pytest.approx(2 / 3)


def test_band_of_the_simulated_curves():
    a = _cascade([0, 1, 2], ["a", "b", "c"], [-1, 0, 0])
    b = _cascade([0, 1, 2, 3, 4], ["a", "b", "c", "d", "e"], [-1, 0, 1, 2, 3])
    cmp = Comparison(a, [a, b, b], window=6, bin_minutes=3)
    band = cmp.band()
    depth = band[band.curve == "depth"]
    assert depth["median"].tolist() == [3, 4] and depth["low"].tolist()[0] < 3  # a: 1; b: 3 by minute 3
