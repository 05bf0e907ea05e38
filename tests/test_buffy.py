"""The #Buffy scenario against the anchors of the observed pile-on: two-sided ranges, which are
evidence, and the calibrated preset in the case's documented configuration."""

from __future__ import annotations

import math

import pytest

from pileon.experiments.anchors import CHECKS, _h, check_buffy, distance, load_anchors
from pileon.experiments.anchors.calibrate import BuffySimulator, check_seeds
from pileon.model.scenarios import buffy

INSIDE = {
    "seed_post_clock_time": 9.0,
    "hostile_wave_onset_clock_time": 10.5,
    "posts_by_14h": 4000,
    "posts_by_19h": 9000,
    "hostile_share": 0.7,
}


@pytest.mark.slow
def test_median_of_20_seeds_in_the_documented_configuration_falls_inside_every_range():
    sim = BuffySimulator()  # the buffy preset at its default size, with protect and the counter-hashtag
    assert sim.n_users == buffy().n_users == 200_000 and sim.documented
    _, checks = check_seeds(sim, range(20))
    assert set(checks["quantity"]) == {c.quantity for c in CHECKS}
    assert checks["ok"].all(), checks[["quantity", "value", "expected", "share_of_runs_inside"]]
    evidence = checks[checks["evidence"]]
    assert len(evidence) == 3
    assert (evidence["share_of_runs_inside"] >= 0.5).all(), evidence  # most seeds, not only the median


def test_three_checks_are_evidence_and_four_are_fixed_by_inputs():
    evidence = [c.quantity for c in CHECKS if c.evidence]
    assert evidence == [
        "hostile_wave_onset_clock_time",
        "posts_about_case_by_interview",
        "hostile_share_of_quoted_replies",
    ]
    for c in CHECKS:
        assert c.reading and (c.evidence or "set" in c.reading)


def test_ranges_agree_with_the_anchor_file_where_it_gives_numbers():
    a, c = load_anchors(), {c.quantity: c for c in CHECKS}
    seed = a["seed_post_clock_time"]
    assert (c["seed_post_clock_time"].low, c["seed_post_clock_time"].high) == (_h(seed.low), _h(seed.high))
    share = a["hostile_share_of_quoted_replies"]
    assert (c["hostile_share_of_quoted_replies"].low, c["hostile_share_of_quoted_replies"].high) == (
        float(share.low),
        float(share.high),
    )
    assert c["counter_hashtag_uses"].low == float(a["counter_hashtag_uses"].low)
    said = float(a["posts_about_case_by_interview"].low)  # 'already 5,000 tweets'
    assert c["posts_about_case_by_interview"].low < said < c["posts_about_case_by_interview"].high
    assert c["hostile_wave_onset_clock_time"].low < _h(a["hostile_wave_onset_clock_time"].high)  # 'since 11'


@pytest.mark.parametrize(
    ("change", "fails", "how_far"),
    [
        ({"hostile_wave_onset_clock_time": 9 + 1 / 60}, "hostile_wave_onset_clock_time", (10 - 9 - 1 / 60) / 1.5),
        ({"hostile_wave_onset_clock_time": 12.0}, "hostile_wave_onset_clock_time", 0.5 / 1.5),
        ({"hostile_wave_onset_clock_time": math.inf}, "hostile_wave_onset_clock_time", math.inf),
        (
            {"posts_by_14h": 100_000, "posts_by_19h": 150_000},
            "posts_about_case_by_interview",
            math.log10(100 / 15) / math.log10(5),
        ),
        ({"posts_by_14h": 300, "posts_by_19h": 1500}, "posts_about_case_by_interview", math.log10(2) / math.log10(5)),
        ({"hostile_share": 0.9}, "hostile_share_of_quoted_replies", 0.5),
        ({"hostile_share": 0.45}, "hostile_share_of_quoted_replies", 0.75),
        ({"hostile_share": math.nan}, "hostile_share_of_quoted_replies", math.inf),
    ],
)
def test_a_run_outside_a_range_on_either_side_fails_it_and_only_it(change, fails, how_far):
    assert distance(INSIDE) == 0.0
    rows = check_buffy(INSIDE | change)
    assert [r["quantity"] for r in rows if r["ok"] is False] == [fails]
    assert distance(INSIDE | change) == pytest.approx(how_far)


def test_posts_pass_when_some_moment_of_the_interview_window_is_in_range():
    assert distance(INSIDE | {"posts_by_14h": 1000, "posts_by_19h": 40_000}) == 0.0
    assert distance(INSIDE | {"posts_by_14h": 14_000, "posts_by_19h": 14_500}) == 0.0


def test_checks_fixed_by_inputs_do_not_count_in_the_distance():
    m = INSIDE | {
        "seed_post_clock_time": 12.0,
        "private_clock_time": 30.0,
        "counter_hashtag_uses": 10,
        "counter_hashtag_volume_over_threshold": 0.1,
    }
    rows = {r["quantity"]: r for r in check_buffy(m)}
    assert not rows["seed_post_clock_time"]["ok"] and not rows["counter_hashtag_uses"]["ok"]
    assert distance(m) == 0.0


def test_checks_a_run_cannot_speak_to_are_marked_and_skipped():
    rows = {r["quantity"]: r for r in check_buffy(INSIDE)}
    assert rows["victim_goes_private"]["ok"] is None
    assert "protect" in rows["victim_goes_private"]["expected"]
    stopped = {"seed_post_clock_time": 9.0, "posts_by_14h": 30_000, "posts_by_19h": 30_000}  # a run stopped at 14:00
    assert distance(stopped) == pytest.approx(math.log10(2) / math.log10(5))


def test_anchor_file_is_read_and_bad_files_name_the_line(tmp_path):
    anchors = load_anchors()
    assert anchors["posts_about_case_by_interview"].low == "5000"
    bad = tmp_path / "anchors.csv"
    bad.write_text("quantity,low,high,unit,note\nseed_post_clock_time,08:00\n")
    with pytest.raises(ValueError, match=r"anchors.csv, line 2: expected 5 fields, found 2"):
        load_anchors(bad)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        load_anchors(tmp_path / "missing.csv")
