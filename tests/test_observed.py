"""Readers of observed cascades: the real slices in tests/data, and clear errors on bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pileon.experiments.observed.readers import (
    Cascade,
    read_csv,
    read_pheme,
    read_rumoureval,
    read_twitter_folder,
    read_twitter_tree,
)
from pileon.model import OutrageModel
from pileon.model.scenarios import buffy

DATA = Path(__file__).parent / "data"


def _tree(tmp_path, lines):
    f = tmp_path / "123.txt"
    f.write_text("\n".join(lines) + "\n")
    return f


def test_twitter_tree_actions_parents_depths_and_quirks(tmp_path):
    f = _tree(
        tmp_path,
        [
            "['ROOT', 'ROOT', '0.0']->['a', '123', '0.0']",
            "['a', '123', '0.0']->['b', '123', '2.5']",  # retweet of the source
            "['b', '123', '2.5']->['c', '123', '4.0']",  # retweet of b's retweet: depth 2
            "['a', '123', '0.0']->['d', '999', '-1.0']",  # a reply, negative delay -> 0
            "['b', '123', '2.5']->['b', '123', '2.5']",  # self-loop: skipped
            "['a', '123', '0.0']->['c', '123', '9.0']",  # c again: first appearance kept
        ],
    )
    c = read_twitter_tree(f, label="false")
    df = c.frame()
    assert df["user"].tolist() == ["a", "d", "b", "c"]
    assert df["minutes"].tolist() == [0.0, 0.0, 2.5, 4.0]
    assert df["action"].tolist() == ["seed_post", "neutral", "amplify", "amplify"]
    assert df["depth"].tolist() == [0, 1, 1, 2]
    assert df["parent"].tolist() == [-1, 0, 0, 2]
    assert (c.meta["self_loops"], c.meta["repeated_nodes"], c.meta["negative_delays"]) == (1, 1, 1)
    assert c.meta["label"] == "false"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["['ROOT', 'ROOT', '0.0']->['a', '1', '0.0']", "a -> b"], "line 2: expected ['uid', 'tweet_id', 'delay']"),
        (["['ROOT', 'ROOT', '0.0']->['a', '1', 'x']"], "line 1: delay 'x' is not a number"),
        (["['a', '1', '0.0']->['b', '1', '1.0']"], "no ROOT line"),
    ],
)
def test_twitter_tree_errors_name_file_and_line(tmp_path, lines, message):
    f = _tree(tmp_path, lines)
    with pytest.raises(ValueError) as e:
        read_twitter_tree(f)
    assert str(f) in str(e.value) and message in str(e.value)


def test_twitter_folder_in_the_original_layout():
    cs = read_twitter_folder(DATA / "twitter15_16_slice")
    assert len(cs) == 5
    assert {c.meta["label"] for c in cs} == {"false", "true"}
    for c in cs:
        assert c.action[0] == "seed_post" and c.depth[0] == 0 and (np.diff(c.minutes) >= 0).all()
        assert (c.parent[1:] < np.arange(1, len(c))).all()  # parents come first
    assert len(read_twitter_folder(DATA / "twitter15_16_slice" / "twitter16")) == 2


def test_the_same_tree_in_two_datasets_gets_distinct_names(tmp_path):
    for name in ("twitter15", "twitter16"):
        (tmp_path / name / "tree").mkdir(parents=True)
        (tmp_path / name / "tree" / "7.txt").write_text("['ROOT', 'ROOT', '0.0']->['a', '7', '0.0']\n")
    assert [c.name for c in read_twitter_folder(tmp_path)] == ["7", "twitter16-7"]


def test_rumoureval_stances_mapped_and_configurable():
    cs = read_rumoureval(DATA / "rumoureval2017_slice.csv")
    assert len(cs) == 3
    acts = np.concatenate([c.action for c in cs])
    assert set(acts) <= {"seed_post", "attack", "defend", "neutral"}
    custom = read_rumoureval(
        DATA / "rumoureval2017_slice.csv",
        {"support": "amplify", "deny": "attack", "query": "attack", "comment": "neutral"},
    )
    assert (np.concatenate([c.action for c in custom]) == "amplify").sum() == (acts == "defend").sum()
    # the slice's depth column, post by post, is the depth the reader computed from the parent links
    assert max(c.depth.max() for c in cs) >= 2  # replies to replies: links the check follows
    table = pd.read_csv(DATA / "rumoureval2017_slice.csv", dtype={"thread_id": str, "post_id": str})
    for c in cs:
        rows = table[table["thread_id"] == c.name].set_index("post_id")
        assert rows.loc[c.user.astype(str), "depth"].tolist() == c.depth.tolist()


THREAD = "thread_id,post_id,parent_id,minutes,stance,depth\n1,1,,0,support,0\n1,2,1,3.5,deny,1\n"


def test_rumoureval_depth_column_is_checked_against_the_parent_links(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(THREAD + "1,3,2,4.0,deny,1\n")  # a reply to a reply is at depth 2, not 1
    with pytest.raises(ValueError) as e:
        read_rumoureval(f)
    assert (
        str(e.value)
        == f"{f}, line 4: thread 1, post 3: depth 1 in the file, but 2 from the parent links (a reply to 2)"
    )
    f.write_text(THREAD + "1,3,2,4.0,deny,2\n1,4,9,5.0,deny,3\n1,5,4,6.0,deny,4\n")
    (c,) = read_rumoureval(f)  # post 4's parent (9) is missing: it and post 5 below it are not checked
    assert c.meta["unknown_parents"] == 1 and c.depth.tolist() == [0, 1, 2, 1, 2]


def test_rumoureval_bad_stance_names_line(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("thread_id,post_id,parent_id,minutes,stance,depth\n1,1,,0,support,0\n1,2,1,3.5,angry,1\n")
    with pytest.raises(ValueError, match=r"t.csv, line 3: stance 'angry' is not one of support, deny, query, comment"):
        read_rumoureval(f)


def test_pheme_stories_minutes_from_hours():
    cs = read_pheme(DATA / "pheme_seqhawkes_slice" / "charlie.txt")
    assert [c.name for c in cs] == ["charlie-0", "charlie-1"]
    assert cs[0].minutes[0] == 0 and cs[0].minutes[-1] > 0


def test_generic_csv_with_timestamps_and_parents(tmp_path):
    f = tmp_path / "case.csv"
    f.write_text(
        "id,reply_to,when,kind,who\n"
        "1,,2017-01-16T09:00:00,post,x\n2,1,2017-01-16T09:05:00,hostile,y\n3,2,2017-01-16T09:06:30,support,z\n"
    )
    c = read_csv(
        f,
        time="when",
        post="id",
        parent="reply_to",
        action="kind",
        user="who",
        action_map={"post": "seed_post", "hostile": "attack", "support": "defend"},
    )
    assert c.minutes.tolist() == [0.0, 5.0, 6.5]
    assert c.action.tolist() == ["seed_post", "attack", "defend"] and c.depth.tolist() == [0, 1, 2]


def test_generic_csv_minimal_and_errors(tmp_path):
    f = tmp_path / "times.csv"
    f.write_text("minutes\n0\n1.5\n4\n")
    c = read_csv(f)
    assert c.action.tolist() == ["seed_post", "amplify", "amplify"] and c.depth.tolist() == [0, 1, 1]
    f.write_text("minutes\n0\nsoon\n")
    with pytest.raises(ValueError, match=r"times.csv, line 3, column 'minutes': 'soon' is neither a number"):
        read_csv(f)
    with pytest.raises(ValueError, match="no time column 't'"):
        read_csv(f, time="t")
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_csv(tmp_path / "nope.csv")


def test_simulated_run_as_cascade_and_early_window():
    r = OutrageModel(buffy().replace(n_users=20_000, target_followers=300, horizon_hours=4), seed=2).run()
    c = Cascade.from_result(r)
    assert len(c) == r.summary["total_posts"] and c.depth.max() == r.summary["cascade_depth"]
    early = c.first(60.0)
    assert early.minutes.max() <= 60 and (early.parent < np.arange(len(early))).all()
