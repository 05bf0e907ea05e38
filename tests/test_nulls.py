"""The null models: each predicts from training cascades only, leaving out the one predicted."""

from __future__ import annotations

import numpy as np
import pytest

from pileon.experiments.observed.nulls import CurveTemplate, GrowthNull, early_shape, flat, relative_error, skill


def test_naive_growth_is_the_median_of_the_others():
    null = GrowthNull.learn(["a", "b", "c"], [10, 10, 10], [[20], [20], [40]])
    # growths 2, 2, 4: leave one out, the medians are 3, 3 and 2
    assert null.naive(10, exclude="a")[0] == pytest.approx(30)
    assert null.naive(10, exclude="c")[0] == pytest.approx(20)
    assert null.naive(5)[0] == pytest.approx(10)  # a cascade not in training: all three
    assert np.isnan(GrowthNull.learn(["a"], [10], [[20]]).naive(10, exclude="a")[0])  # nothing else to learn from
    with pytest.raises(ValueError, match="early counts above 0"):
        GrowthNull.learn(["a"], [0], [[3]])


def test_size_conditional_growth_draws_on_the_nearest_in_log_size_with_ties():
    early = [1, 2, 4, 100, 200, 400]
    later = [[10], [20], [40], [150], [300], [600]]  # small cascades grow 10x, big ones 1.5x
    null = GrowthNull.learn(list("abcdef"), early, later, neighbours=2)
    assert null.size_conditional(3)[0] == pytest.approx(30)  # 2 and 4 are the nearest to 3
    assert null.size_conditional(300)[0] == pytest.approx(450)
    assert null.naive(300)[0] == pytest.approx(300 * (10 + 1.5) / 2)  # the pooled median mixes both
    # 2 and 8 are equally far from 4 (in log): with neighbours=1 both are drawn, never one by list order
    tied = GrowthNull.learn(["x", "y"], [2, 8], [[4], [8]], neighbours=1)
    assert tied.size_conditional(4)[0] == pytest.approx(4 * 1.5)
    assert tied.size_conditional(4, exclude="x")[0] == pytest.approx(4)
    # horizons a cascade was not followed to are skipped
    two = GrowthNull.learn(["a", "b"], [10, 10], [[20, np.nan], [40, 80]])
    np.testing.assert_allclose(two.naive(1), [3, 8])


def test_analog_growth_draws_on_the_nearest_in_size_and_early_shape():
    # the same early counts; early bursts (most posts in the first quarter) grew 1.2x, steady ones 5x
    burst, steady = [0.9, 0.95, 1.0], [0.25, 0.5, 0.75]
    null = GrowthNull.learn(
        list("abcd"), [50, 50, 50, 50], [[60], [60], [250], [250]], 2, [burst, burst, steady, steady]
    )
    assert null.analog(50, burst)[0] == pytest.approx(60)
    assert null.analog(50, steady)[0] == pytest.approx(250)
    assert null.size_conditional(50)[0] == pytest.approx(50 * (1.2 + 5) / 2)  # size alone cannot tell them apart
    # without a: b, then c and d tied for second place (both drawn): the median of 1.2, 5, 5
    assert null.analog(50, burst, exclude="a")[0] == pytest.approx(250)
    with pytest.raises(ValueError, match="early shapes"):
        GrowthNull.learn(["a"], [1], [[2]]).analog(1, burst)
    # the shape is the shares of the window's posts made by its quarter, half and three quarters
    np.testing.assert_allclose(early_shape(np.array([1.0, 10, 20, 40, 59, 61]), 60), [2 / 5, 3 / 5, 4 / 5])
    np.testing.assert_allclose(early_shape(np.array([70.0]), 60), [0, 0, 0])


def test_curve_template_is_the_others_mean_shape_times_own_end_value():
    a = np.array([[1.0, 0], [2, 1], [4, 2]])  # bins x curves
    b = np.array([[2.0, 1], [3, 1], [4, 1]])
    c = np.array([[0.0, 0], [0, 0], [0, 0]])  # its curves end at 0: no shape to learn
    template = CurveTemplate.learn(["a", "b", "c"], [a, b, c])
    own = np.array([[5.0, 1], [6, 1], [10, 3]])
    shape = np.array([[(0.25 + 0.5) / 2, 0.5], [(0.5 + 0.75) / 2, 0.75], [1, 1]])
    np.testing.assert_allclose(template.predict(own), shape * [10, 3])
    np.testing.assert_allclose(template.predict(own, name="a"), b / b[-1] * [10, 3])  # a left out
    np.testing.assert_allclose(flat(own), [[10, 3]] * 3)


def test_relative_error_and_skill():
    assert relative_error(15, 10) == pytest.approx(0.5)
    assert np.isnan(relative_error(np.nan, 10)) and np.isnan(relative_error(3, 0))
    s = skill([0.1, 0.5, np.nan], [0.2, 0.4, 0.3])
    assert s["cascades"] == 2 and s["better"] == pytest.approx(0.5)
    assert s["skill"] == pytest.approx(1 - 0.3 / 0.3)
