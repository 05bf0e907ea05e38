"""OutrageModel is a Mesa model: mesa.batch_run drives it and reads its per-step counts."""

from __future__ import annotations

import mesa
import pandas as pd

from pileon.model import OutrageModel


def test_batch_run_sweeps_a_parameter_and_collects_per_step_counts():
    rows = mesa.batch_run(
        OutrageModel,
        {"preset": "buffy", "n_users": 5000, "target_followers": 100, "horizon_hours": 2.0, "amplify_prob": [0.0, 0.5]},
        rng=[1, 2],
        max_steps=1000,
        data_collection_period=1,
        display_progress=False,
    )
    df = pd.DataFrame(rows)
    assert set(df["amplify_prob"]) == {0.0, 0.5} and set(df["seed"]) == {1, 2}
    runs = df.groupby(["amplify_prob", "seed"])
    # one row per one-minute step, up to the horizon (a run whose case has died out stops early)
    assert runs.size().eq(runs["Step"].max()).all() and runs.size().max() == 120
    per_run = df.groupby(["amplify_prob", "seed"])["amplify"].sum()
    assert (per_run.loc[0.0] == 0).all() and (per_run.loc[0.5] > 0).all()


def test_datacollector_matches_the_result_counts():
    m = OutrageModel(preset="buffy", seed=3, n_users=5000, target_followers=100, horizon_hours=3.0)
    r = m.run()
    df = m.datacollector.get_model_vars_dataframe()
    n = len(df)  # a row per step simulated; a run whose case died stops early, its counts zero after
    assert n > 10 and df["attack"].tolist() == r.counts[:n, 2].tolist() and not r.counts[n:].any()
    assert df["exposures"].sum() == r.summary["exposures"]


def test_user_view_reports_one_users_state():
    m = OutrageModel(preset="buffy", seed=3, n_users=5000, target_followers=100, horizon_hours=3.0)
    m.run()
    v = m.user(m.target)
    assert v.posts[0]["action"] == "seed_post" and v.followers == m.network.follower_counts()[m.target]
