"""Published effects beside pileon's: the view-age recorder, the matched figures, the command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pileon.experiments import published
from pileon.experiments.cli import main
from pileon.experiments.sweeps.design import BASELINE
from pileon.model import OutrageModel


def test_the_view_recorder_sees_what_users_read_and_changes_nothing():
    base = OutrageModel(preset="buffy", seed=3, n_users=20_000, horizon_hours=6).run()
    model = OutrageModel(preset="buffy", seed=3, n_users=20_000, horizon_hours=6, interventions=[published.ViewAges()])
    r = model.run()
    assert {k: v for k, v in r.summary.items() if k != "view_ages_delay_minutes"} == base.summary
    rec = model.interventions[0]
    assert sum(len(p) for p in rec.posts) == r.summary["views"]
    ages = np.concatenate(rec.ages)
    assert ages.min() >= 0 and ages.max() < 6 * 60


def test_view_age_stats_on_a_hand_made_log():
    # post 0 (minute 0): 10 views at ages 0..9 and one at 2000; post 1 (minute 0): 3 views (too few);
    # post 2, made at minute 1500 (after the first day): left out of the per-post measures
    post = np.array([0] * 11 + [1] * 3 + [2] * 12)
    age = np.array([*range(10), 2000, 5, 6, 7, *([1] * 12)], float)
    s = published.view_age_stats(post, age, np.array([0.0, 0.0, 1500.0]), min_views=10)
    assert s["posts"] == 1 and s["halflife_minutes"] == 5.0 and s["seen_after_24h"] == 1.0
    assert s["views_after_24h"] == pytest.approx(1 / 26)
    assert s["after_15"] == pytest.approx(1 / 14) and s["after_1440"] == pytest.approx(1 / 14)  # posts 0 and 1


def fake_runs() -> pd.DataFrame:
    rows = []
    for rep in range(4):
        rows.append({"arm": BASELINE, "point": 0, "replicate": rep, "engagement": 100 * (rep + 1)})
        rows.append(
            {
                "arm": "trial",
                "point": 0,
                "replicate": rep,
                "engagement": 50 * (rep + 1),
                "prompts": 110,
                "benign_prompted": 10,
                "attacks_cancelled": 9,
                "attacks_revised": 22,
                "treated_attacks": 47,
                "control_attacks": 50,
                "treated_users": 100,
                "control_users": 100,
            }
        )
    return pd.DataFrame(rows)


def test_katsaros_figures_are_shares_of_prompted_attacks_and_a_rate_ratio():
    f = published.katsaros_figures(fake_runs())
    assert f["katsaros_cancelled"][0] == pytest.approx(0.09) and f["katsaros_revised"][0] == pytest.approx(0.22)
    assert f["katsaros_sent"][0] == pytest.approx(0.69)
    est, lo, hi = f["katsaros_fewer"]
    assert est == pytest.approx(-0.06) and lo == pytest.approx(-0.06) and hi == pytest.approx(-0.06)
    with pytest.raises(ValueError, match="sweep examples/katsaros.toml"):
        published.katsaros_figures(fake_runs().query("arm != 'trial'"))


def test_paired_change_by_medians_and_means():
    runs = fake_runs()
    est, lo, hi = published.paired_change(runs, "trial", "engagement", "median")
    assert est == pytest.approx(-0.5) and lo <= est <= hi
    assert published.paired_change(runs, "trial", "engagement", "mean")[0] == pytest.approx(-0.5)


def test_pileon_published_command(tmp_path, capsys):
    exp = tmp_path / "k.toml"
    exp.write_text(
        '[experiment]\nname = "k"\nreplicates = 2\nseed = 1\n[params]\nn_users = 5000\nhorizon_hours = 6\n'
        '[arms]\ntrial = [{kind = "friction", treated_share = 0.5}]\n',
        encoding="utf-8",
    )
    store = tmp_path / "k.sqlite"
    assert main(["sweep", str(exp), "--out", str(store), "--workers", "1", "--quiet"]) == 0
    capsys.readouterr()
    out = tmp_path / "pub"
    args = ["published", "--katsaros", str(store), "--view-runs", "2", "--n-users", "5000", "--workers", "1"]
    assert main([*args, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "per 100 prompts: cancelled" in text and "median half-life of a post's impressions" in text
    table = pd.read_csv(out / "published.csv")
    assert set(table["key"]) == {
        "katsaros_sent",
        "katsaros_revised",
        "katsaros_cancelled",
        "katsaros_fewer",
        "pfeffer_halflife",
        "pfeffer_24h",
    }
    assert (table["lo"] <= table["pileon"]).all() and (table["pileon"] <= table["hi"]).all()
    again = tmp_path / "again"
    assert main(["published", "--view-ages", str(out / "view_ages.csv"), "--out", str(again)]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(
        pd.read_csv(again / "published.csv"), table[table["key"].str.startswith("pfeffer")].reset_index(drop=True)
    )
    assert main(["published", "--out", str(out)]) == 2
    assert "nothing to compare" in capsys.readouterr().err
    assert main(["published", "--view-ages", str(tmp_path / "k.toml"), "--out", str(out)]) == 2
    assert "not a view_ages.csv" in capsys.readouterr().err
