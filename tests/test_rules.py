"""Exact rules on tiny hand-made networks: who sees what, when, and what they do."""

from __future__ import annotations

import numpy as np
import pytest

from pileon.model.feed import Calendar, FeedItems
from pileon.model.results import structural_virality

from .helpers import cascade_model, events, graph


def test_chain_spreads_one_hop_per_step_without_sessions():
    # 1 follows 0, 2 follows 1; 3 follows nobody. Everyone who sees a post amplifies it.
    net = graph([(1, 0), (2, 1), (3, 0), (3, 2)], 4)
    r = cascade_model(net, p=1.0).run()
    assert events(r) == [
        (0, 0, "seed_post", -1, 0),
        (1, 1, "amplify", 0, 1),
        (1, 3, "amplify", 0, 1),
        (2, 2, "amplify", 1, 2),
    ]
    # Seen: step 1 users 1 and 3 see the seed; step 2 user 2 sees 1's post and 3 sees nothing new
    # because 3 follows 2, who only posts at step 2: 3 sees that at step 3 but has acted already.
    assert r.exposures[:4].tolist() == [0, 2, 1, 1]
    assert r.views[:4].tolist() == [0, 2, 1, 1]
    assert r.summary["total_posts"] == 4 and r.summary["cascade_depth"] == 2


def test_nobody_acts_at_p_zero_but_followers_still_see_the_seed():
    star = graph([(i, 0) for i in range(1, 6)], 6)
    r = cascade_model(star, p=0.0).run()
    assert events(r) == [(0, 0, "seed_post", -1, 0)]
    assert r.exposures.sum() == 5 and r.exposures[1] == 5


def test_star_at_p_one():
    star = graph([(i, 0) for i in range(1, 6)], 6)
    r = cascade_model(star, p=1.0).run()
    assert sorted(e[1] for e in events(r) if e[2] == "amplify") == [1, 2, 3, 4, 5]
    s = r.summary
    assert s["max_breadth"] == 5 and s["cascade_depth"] == 1
    # 5 centre-leaf pairs at distance 1 and 10 leaf-leaf pairs at distance 2, over 15 pairs
    assert s["structural_virality"] == pytest.approx(25 / 15)


def test_a_user_acts_once_when_max_actions_is_one():
    # 1 and 2 follow 0; 3 follows both 1 and 2: it sees two posts at step 2 and amplifies once.
    net = graph([(1, 0), (2, 0), (3, 1), (3, 2), (4, 0)], 5)
    r = cascade_model(net, p=1.0).run()
    assert [e[:3] for e in events(r)].count((2, 3, "amplify")) == 1
    assert r.views[2] == 2


def test_replies_reach_followers_only_with_reply_reach():
    # Everyone is hostile and replies (attacks) on every post; nobody amplifies.
    net = graph([(1, 0), (2, 1), (3, 0)], 4)
    kw = dict(amplify_prob=0.0, attack=True, reply_prob=1.0, horizon_hours=0.2)
    r = cascade_model(net, p=0.0, reply_reach=0.0, **kw).run()
    assert [e[1:3] for e in events(r)] == [(0, "seed_post"), (1, "attack"), (3, "attack")]
    r = cascade_model(net, p=0.0, reply_reach=1.0, **kw).run()
    assert (2, 2, "attack", 1, 2) in events(r)
    assert r.summary["attacks_on_target"] == 3 and r.summary["hostile_share"] == 1.0


def test_trending_reaches_users_outside_follower_paths():
    # Nobody follows the target's followers; 5..49 follow nobody and can only learn of the case by trending.
    net = graph([(1, 0), (2, 0), (3, 0), (4, 0)], 50)
    kw = dict(trend_threshold=1.0, trend_gain=5000.0, trend_max_rate=1e6, sessions_per_day=500.0, activity_sd=0.0)
    r = cascade_model(net, p=1.0, horizon_hours=1.0, **kw).run()
    outsiders = {e[1] for e in events(r)} - {0, 1, 2, 3, 4}
    assert outsiders and r.trend_step == 1  # the seed is counted once its minute is over
    r = cascade_model(net, p=1.0, horizon_hours=1.0, **(kw | {"trend_max_rate": 0.0})).run()
    assert {e[1] for e in events(r)} == {0, 1, 2, 3, 4} and r.trend_step is None


def test_calendar_returns_each_item_at_its_due_step_in_filing_order():
    cal = Calendar(n_steps=200, blocks=1)  # small, so that filing grows the pool
    due = np.array([5, 5, 17, 40, 199, 250, 3])
    cal.push(
        FeedItems(due=due, viewer=np.arange(7, dtype=np.int32), post=np.arange(7) * 10, shown_at=np.zeros(7, np.int32))
    )
    got = {}
    for t in range(200):
        if t == 10:  # a later push reuses the slots of popped items
            cal.push(
                FeedItems(np.array([12, 100]), np.array([7, 8], np.int32), np.array([70, 80]), np.full(2, 10, np.int32))
            )
        v, p, _ = cal.pop(t)
        for vi, pi in zip(v.tolist(), p.tolist(), strict=True):
            got[vi] = (t, pi)
    assert got == {0: (5, 0), 1: (5, 10), 2: (17, 20), 3: (40, 30), 4: (199, 40), 6: (3, 60), 7: (12, 70), 8: (100, 80)}
    assert cal.pending == 0  # the item due at 250 (past the horizon) was never filed
    many = np.arange(300)  # several blocks for one step
    cal.push(
        FeedItems(
            due=np.full(300, 150), viewer=many[::-1].astype(np.int32), post=many, shown_at=np.zeros(300, np.int32)
        )
    )
    assert cal.pop(150)[0].tolist() == many[::-1].tolist() and cal.pending == 0


def test_structural_virality_of_a_chain():
    # 0 - 1 - 2: distances 1, 1, 2
    assert structural_virality(np.array([-1, 0, 1]), np.array([0, 1, 2])) == pytest.approx(4 / 3)
