"""The #Buffy calibration: the ABC recovers known parameters from a synthetic anchor set, its
importance weights are right, it resumes, and the command runs end to end."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pileon.experiments.anchors import Check
from pileon.experiments.anchors.calibrate import Prior, Proposal, run_abc, weighted_quantiles
from pileon.experiments.cli import main

# Two parameters with known values; the synthetic "anchors" are ranges around what they produce.
TRUE = {"amplify_prob": 0.1, "hostile_fraction": 0.6}
PRIORS = (Prior("amplify_prob", 0.01, 1.0), Prior("hostile_fraction", 0.0, 1.0, log=False))
CHECKS = (
    Check("x", ("x",), -1.2, -0.8, "", True, "log10(amplify_prob) +- noise"),
    Check("y", ("y",), 0.5, 0.7, "", True, "hostile_fraction +- noise"),
    Check("z", ("z",), 0.0, 0.0, "", False, "an input, not evidence: never in the distance"),
)


class Toy:
    """Measures a known function of the parameters plus noise, seeded like a run."""

    def __call__(self, values: dict[str, float], seed: int) -> dict[str, float]:
        rng = np.random.default_rng(seed)
        return {
            "x": math.log10(values["amplify_prob"]) + rng.normal(0, 0.03),
            "y": values["hostile_fraction"] + rng.normal(0, 0.02),
            "z": 1.0,
        }


@pytest.mark.parametrize("generations", [1, 2])
def test_abc_recovers_known_parameters_from_a_synthetic_anchor_set(generations):
    post = run_abc(Toy(), PRIORS, runs=800, generations=generations, checks=CHECKS, seed=3)
    assert len(post.accepted) >= 20
    for p in PRIORS:
        low, median, high = post.quantiles(p.name, [0.05, 0.5, 0.95])
        assert low < TRUE[p.name] < high, (p.name, low, high)
        width = p.to_unit(np.array([low, high]))
        assert width[1] - width[0] < 0.3, p.name  # the anchors narrow the prior a lot
        assert abs(p.to_unit(median) - p.to_unit(TRUE[p.name])) < 0.05
    summary = post.summary()
    assert list(summary["parameter"]) == ["amplify_prob", "hostile_fraction"]
    assert summary["acceptance_rate"].iloc[0] == pytest.approx(len(post.accepted) / 800)


def test_a_second_generation_accepts_more_and_its_weights_undo_the_proposal():
    one = run_abc(Toy(), PRIORS, runs=600, generations=1, checks=CHECKS, seed=5)
    two = run_abc(Toy(), PRIORS, runs=600, generations=2, checks=CHECKS, seed=5)
    g = two.evaluations.groupby("generation")["accepted"].mean()
    assert g[2] > 3 * g[1]
    # Generation 1 is the prior: its points weigh alike; the posterior medians agree across methods.
    first = two.evaluations[two.evaluations["generation"] == 1]["weight"]
    assert first.nunique() > 1  # the mixture's density varies, and so do the weights
    for p in PRIORS:
        a = p.to_unit(one.quantiles(p.name, [0.5])[0])
        b = p.to_unit(two.quantiles(p.name, [0.5])[0])
        assert abs(a - b) < 0.05


def test_proposal_density_integrates_to_one_on_the_unit_cube():
    rng = np.random.default_rng(0)
    prop = Proposal.around(rng.uniform(0.2, 0.5, (15, 2)))
    u = rng.uniform(0, 1, (200_000, 2))
    assert prop.density(u).mean() == pytest.approx(1.0, abs=0.02)  # Monte Carlo integral over the cube
    x = prop.sample(10_000, rng)
    assert x.min() >= 0 and x.max() <= 1


def test_weighted_quantiles():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert weighted_quantiles(x, np.ones(4), [0.5])[0] == pytest.approx(2.5)
    assert weighted_quantiles(x, np.array([0, 0, 0, 1.0]), [0.05, 0.95]).tolist() == [4.0, 4.0]
    assert np.isnan(weighted_quantiles(np.array([]), np.array([]), [0.5])).all()


def test_abc_resumes_from_its_folder_and_refuses_other_settings(tmp_path):
    first = run_abc(Toy(), PRIORS, runs=40, checks=CHECKS, seed=1, out=tmp_path)
    assert len(pd.read_csv(tmp_path / "evaluations.csv")) == 40
    log = tmp_path / "evaluations.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:25]) + "\n" + lines[25][:30])  # stopped after 25 runs, mid-line
    again = run_abc(Toy(), PRIORS, runs=40, checks=CHECKS, seed=1, out=tmp_path)
    pd.testing.assert_frame_equal(first.evaluations, again.evaluations, check_dtype=False)
    assert len(log.read_text().splitlines()) == 40  # the cut line was dropped, the runs done again appended
    log.write_text("\n".join([*lines[:3], "not json", *lines[3:]]))
    with pytest.raises(ValueError, match=r"evaluations.jsonl, line 4: not a JSON record of a run"):
        run_abc(Toy(), PRIORS, runs=40, checks=CHECKS, seed=1, out=tmp_path)
    with pytest.raises(ValueError, match="other settings"):
        run_abc(Toy(), PRIORS, runs=41, checks=CHECKS, seed=1, out=tmp_path)
    with pytest.raises(ValueError, match="unknown parameter 'amplify'"):
        run_abc(Toy(), (Prior("amplify", 0.1, 1.0),), runs=4, checks=CHECKS)


def test_calibrate_buffy_and_anchors_commands_end_to_end(tmp_path, capsys):
    out = tmp_path / "abc"
    args = ["calibrate-buffy", "--runs", "4", "--n-users", "3000", "--graphs", "1", "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "acceptance rate" in text and "hostile_fraction" in text
    for name in ("evaluations.csv", "posterior.csv", "summary.csv", "posterior.png", "settings.json"):
        assert (out / name).is_file(), name
    assert len(pd.read_csv(out / "evaluations.csv")) == 4
    assert main(["anchors", "--seeds", "2", "--n-users", "3000", "--workers", "1", "--out", str(tmp_path / "a")]) == 0
    text = capsys.readouterr().out
    assert "evidence hostile_wave_onset_clock_time" in text and "input    seed_post_clock_time" in text
    checks = pd.read_csv(tmp_path / "a" / "checks.csv")
    assert checks["evidence"].sum() == 3
    assert main(["calibrate-buffy", "--runs", "0", "--out", str(out)]) == 2
    assert "--runs=0" in capsys.readouterr().err
