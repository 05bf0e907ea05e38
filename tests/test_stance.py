"""Reply stance over a thread's life: the observed shares, the model's, and the choice and check."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pileon.experiments.cli import main
from pileon.experiments.observed import stance as st
from pileon.model import OutrageModel
from pileon.model.decisions import AMPLIFY, ATTACK, DEFEND
from pileon.model.scenarios import buffy

DATA = Path(__file__).parent / "data"
RUMOUREVAL = DATA / "rumoureval2017_slice.csv"
PHEME = DATA / "pheme_seqhawkes_slice" / "charlie.txt"


def test_threads_keep_their_stance_labels_and_event():
    threads = st.read_threads(RUMOUREVAL)
    with RUMOUREVAL.open() as fh:
        rows = list(csv.DictReader(fh))
    expected = Counter(r["stance"] for r in rows if r["depth"] != "0")
    got = Counter(a for c in threads for a in c.action[c.parent >= 0])
    assert got == expected
    assert all(c.action[0] == "seed_post" for c in threads)
    assert {c.meta["event"] for c in threads} == {"ferguson"}  # August 2014, from the tweet ids
    assert {c.meta["event"] for c in st.read_threads(PHEME)} == {"charliehebdo"}


def test_event_of_a_tweet_id_from_its_timestamp():
    assert st.event_of_tweet("553476880339599360") == "charliehebdo"  # 9 January 2015
    assert st.event_of_tweet("524931324043526144") == "ottawashooting"  # 22 October 2014
    assert st.event_of_tweet("20") == "unknown"  # 2010: before every PHEME event
    assert st.event_of_tweet("not-an-id") == "unknown"


def test_threads_of_the_checks_events_are_dropped_from_the_choice():
    choose = st.read_threads(RUMOUREVAL) + st.read_threads(PHEME)
    kept, dropped = st.split_by_event(choose, st.read_threads(PHEME))
    assert dropped == ["charliehebdo"]
    assert {c.meta["event"] for c in kept} == {"ferguson"}


def test_replies_are_counted_by_age_bin_and_stance():
    sc = st.StanceCounts.observed(st.read_threads(RUMOUREVAL))
    total = sc.counts.sum(axis=0)  # bins x stances (support, deny, query, comment)
    assert total.tolist() == [[0, 1, 0, 1], [0, 0, 0, 7], [0, 0, 1, 5], [4, 0, 0, 13], [0, 0, 0, 5], [0, 1, 0, 1]]
    assert sc.counts.shape[0] == 3  # per thread, for the bootstrap


def test_shares_are_pooled_with_intervals_over_threads():
    t = st.shares(st.StanceCounts.observed(st.read_threads(RUMOUREVAL)), boot=200, seed=1).set_index("age")
    assert t.loc["0 min-5 min", "against"] == 1.0  # one deny, no support
    assert t.loc["all", "against"] == pytest.approx(2 / 6)
    assert t.loc["all", "replies"] == 39
    kinds = [f"share_{s}" for s in st.STANCES]
    np.testing.assert_allclose(t.loc["all", kinds].sum(), 1.0)
    assert t.loc["all", "against_low"] <= t.loc["all", "against"] <= t.loc["all", "against_high"]
    # after the first hour: 1 deny of 5 partisan; before it: 1 of 1
    assert t.loc["drift", "against"] == pytest.approx(1 / 5 - 1)


def test_the_models_replies_are_counted_by_age_from_the_event_log():
    params = buffy().replace(n_users=20_000, target_followers=300, horizon_hours=12.0)
    counts = st.StanceSimulator(params)({}, 3)
    ev = OutrageModel(params, seed=3).run().events
    assert counts.sum(axis=0).tolist() == [int(np.sum(ev["action"] == k)) for k in (ATTACK, DEFEND, AMPLIFY)]
    t = st.shares(st.StanceCounts(st.MODEL_KINDS, counts[None]), boot=10).set_index("age")
    assert t.loc["all", "against"] == pytest.approx(counts[:, 0].sum() / counts[:, :2].sum())
    assert "share_amplify" not in t  # amplifications are not replies


def test_distance_and_inside_compare_against_shares():
    counts = np.random.default_rng(0).poisson([2.0, 1.0, 0.5, 5.0], (60, len(st.AGE_BINS) - 1, 4))
    obs = st.shares(st.StanceCounts(st.STANCES, counts), boot=200)
    assert st.inside(obs, obs).dropna().all()
    assert st.distance(obs, obs, min_replies=1) == 0.0
    shifted = obs.assign(against=obs["against"] + 0.5)
    assert st.distance(shifted, obs, min_replies=1) > 0
    assert not st.inside(shifted, obs).dropna().any()


def test_stance_command_chooses_on_one_set_and_checks_on_the_other(tmp_path, capsys):
    out = tmp_path / "stance"
    args = [
        "stance",
        str(RUMOUREVAL),
        "--check-on",
        str(PHEME),
        "--n-users",
        "2000",
        "--replicates",
        "1",
        "--boot",
        "50",
        "--hostile",
        "0.3,0.6",
        "--norm-learning",
        "1",
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "choose on 3 threads (ferguson); check on 2 (charliehebdo)" in text
    choice = pd.read_csv(out / "choice.csv")
    assert len(choice) == 3  # the preset and two settings
    assert choice["chosen"].sum() == 1 and not choice["chosen"].iloc[0]  # the preset is not chosen among
    for name in ("observed.csv", "model.csv", "stance.png"):
        assert (out / name).is_file()
    same = ["stance", str(PHEME), "--check-on", str(PHEME), "--out", str(out)]
    assert main(same) == 2
    assert "no threads left to choose on (events dropped from the choice: charliehebdo)" in capsys.readouterr().err
    assert main([*args[:-2], "--out", str(out), "--hostile", "0.3,3"]) == 2
    assert "--hostile" in capsys.readouterr().err
