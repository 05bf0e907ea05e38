"""Interventions: exact effects on tiny hand-made graphs, rates on larger runs, and composition."""

from __future__ import annotations

import numpy as np
import pytest

from pileon.model import OutrageModel
from pileon.model.decisions import ATTACK, DEFEND
from pileon.model.interventions import (
    KINDS,
    CircuitBreaker,
    CounterSpeech,
    DownRank,
    Friction,
    Nudge,
    Removal,
    Suspension,
    VictimProtection,
    make,
)
from pileon.model.scenarios import independent_cascade

from .helpers import events, graph

# Everyone hostile and sure to attack what they see (reply propensity 1, no amplifying); replies
# reach every follower; no sessions, decay or trending: items are seen at the next step. The
# platform's classifier is perfect here (every attack flagged, nothing else) unless a test says.
PERFECT = dict(classifier_recall=1.0, classifier_false_positive_rate=0.0)
HOSTILE = dict(amplify_prob=0.0, attack=True, reply_prob=1.0, reply_reach=1.0, horizon_hours=0.2, **PERFECT)
SUPPORTIVE = dict(HOSTILE, hostile_fraction=0.0, supportive_fraction=1.0, attack=False, defend=True)


def run(net, interventions=(), p=0.0, seed=0, **overrides):
    params = independent_cascade(p).replace(**(HOSTILE | overrides))
    model = OutrageModel(params, seed=seed, network=net, interventions=interventions)
    assert model.target == 0, "test graphs make user 0 the most followed"
    return model, model.run()


def star(k=5):
    return graph([(i, 0) for i in range(1, k + 1)], k + 1)


def chain():
    # 1, 3 and 4 follow the target 0; 2 follows 1 only; 5 follows 2 only.
    return graph([(1, 0), (3, 0), (4, 0), (2, 1), (5, 2)], 6)


def test_without_interventions_everyone_who_sees_attacks():
    _, r = run(chain())
    assert [(e[0], e[1], e[2]) for e in events(r)] == [
        (0, 0, "seed_post"),
        (1, 1, "attack"),
        (1, 3, "attack"),
        (1, 4, "attack"),
        (2, 2, "attack"),
        (3, 5, "attack"),
    ]
    s = r.summary
    assert s["attacks_received"] == s["attacks_on_target"] == 5 and s["posts_cancelled"] == 0


# -- friction -------------------------------------------------------------------------------------


def test_friction_cancelling_every_prompt_leaves_no_attack():
    _, r = run(star(), [Friction(cancel=1.0, revise=0.0)])
    assert r.summary["attacks_on_target"] == 0
    assert r.cancelled[1, ATTACK] == 5 and r.summary["posts_cancelled"] == 5
    assert r.summary["attacks_cancelled"] == 5 and r.summary["prompts"] == 5
    assert r.interventions[0]["acted_at"] == 1


def test_friction_revision_keeps_the_attack_without_its_outrage_words():
    _, base = run(star(), attack_outrage=5.0)
    _, r = run(star(), [Friction(cancel=0.0, revise=1.0, revised_outrage=0.0)], attack_outrage=5.0)
    attacks = r.events["action"] == ATTACK
    assert attacks.sum() == 5 and np.all(r.events["outrage"][attacks] == 0)
    assert base.events["outrage"][base.events["action"] == ATTACK].sum() > 0
    assert r.summary["attacks_revised"] == 5


def test_friction_before_its_start_changes_nothing():
    _, base = run(chain())
    _, r = run(chain(), [Friction(cancel=1.0, revise=0.0, start=1.0)])
    assert events(r) == events(base) and r.interventions[0]["acted_at"] is None


def test_friction_false_positives_cancel_benign_replies():
    _, r = run(star(), [Friction(cancel=1.0, revise=0.0)], **SUPPORTIVE | {"classifier_false_positive_rate": 1.0})
    assert r.summary["defences"] == 0 and r.cancelled[1, DEFEND] == 5
    assert r.summary["benign_suppressed"] == 5 and r.summary["benign_prompted"] == 5
    _, r = run(star(), [Friction(cancel=1.0, revise=0.0)], **SUPPORTIVE)
    assert r.summary["defences"] == 5 and r.summary["benign_suppressed"] == 0 == r.summary["benign_prompted"]


def test_friction_prompts_only_what_the_classifier_flags():
    # a classifier that misses every attack prompts nobody
    _, r = run(star(), [Friction(cancel=1.0, revise=0.0)], classifier_recall=0.0)
    assert r.summary["attacks_on_target"] == 5 and r.summary["prompts"] == 0


def test_friction_rates_match_katsaros_on_a_large_run():
    r = OutrageModel(preset="buffy", seed=3, n_users=50_000, interventions=[Friction()]).run()
    s = r.summary
    n = s["prompts"]
    assert n > 300
    for share, observed in ((0.09, s["attacks_cancelled"]), (0.22, s["attacks_revised"])):
        assert abs(observed - share * n) < 4 * np.sqrt(n * share * (1 - share))


# -- down-ranking, circuit breaker ----------------------------------------------------------------


def test_downranking_to_zero_hides_attacks_from_everyone():
    _, r = run(chain(), [DownRank(visibility=0.0)])
    # 1, 3, 4 attack the seed (not an attack, so shown); 2 never sees 1's attack
    assert sorted(e[1] for e in events(r) if e[2] == "attack") == [1, 3, 4]
    assert r.views[2] == 0


def test_downranking_at_one_changes_nothing():
    _, base = run(chain())
    _, r = run(chain(), [DownRank(visibility=1.0)])
    assert events(r) == events(base)


def test_circuit_breaker_cuts_a_fast_shared_post_and_its_amplifications():
    # The 5 followers amplify the seed at step 1: 5 shares in the hour trip a threshold of 5.
    net = graph([*[(i, 0) for i in range(1, 6)], (6, 1)], 7)
    amplifying = dict(amplify_prob=1.0, attack=False)
    _, base = run(net, p=1.0, **amplifying)
    assert (2, 6, "amplify") in [e[:3] for e in events(base)]
    _, r = run(net, [CircuitBreaker(threshold=5, reach_factor=0.0)], p=1.0, **amplifying)
    assert 6 not in [e[1] for e in events(r)]
    assert r.summary["breaker_trips"] == 1 and r.interventions[0]["acted_at"] == 2
    _, r = run(net, [CircuitBreaker(threshold=6, reach_factor=0.0)], p=1.0, **amplifying)
    assert 6 in [e[1] for e in events(r)]  # 5 shares do not trip a threshold of 6


# -- victim protection ----------------------------------------------------------------------------


def test_protection_does_not_stop_replies_reaching_the_target():
    """Twitter's help page: protecting limits who sees her posts, not who can mention her."""
    _, base = run(chain())
    _, r = run(chain(), [VictimProtection(start=0.0)])
    assert r.summary["attacks_received"] == base.summary["attacks_received"] == 5
    assert r.summary["replies_not_received"] == 0


def test_the_notification_filter_stops_replies_of_non_followers_reaching_the_target():
    _, r = run(chain(), [VictimProtection(start=0.0, filter_mentions=True)])
    s = r.summary
    # 1, 3, 4 follow the target; 2 and 5 do not: their attacks are posted but not received.
    assert s["attacks_on_target"] == 5 and s["attacks_received"] == 3
    received = r.events["reaches_target"] & (r.events["action"] == ATTACK)
    assert sorted(r.events["user"][received]) == [1, 3, 4]
    assert s["replies_not_received"] == 2


def test_protection_after_k_attacks_and_blocked_shares():
    _, r = run(chain(), [VictimProtection(start=0.0, after_attacks=3, filter_mentions=True)])
    assert r.interventions[0]["acted_at"] == 2  # 3 attacks received at step 1, private from step 2
    assert r.summary["attacks_received"] == 3
    _, r = run(star(), [VictimProtection(start=0.0)], p=1.0, amplify_prob=1.0, attack=False)
    assert r.summary["amplifications"] == 0 and r.summary["shares_blocked"] == 5


def test_protected_posts_are_shown_only_to_followers():
    model = OutrageModel(
        independent_cascade(0.0).replace(**HOSTILE),
        seed=0,
        network=chain(),
        interventions=[VictimProtection(start=0.0)],
    )
    model.step()
    iv = model.interventions[0]
    keep = iv.filter_items(model.view, 1, np.array([1, 2, 5, 3]), np.array([0, 0, 0, 0]))
    assert keep.tolist() == [True, False, False, True]


# -- suspension -----------------------------------------------------------------------------------


def test_suspension_removes_an_attacker_and_their_posts():
    _, r = run(chain(), [Suspension(min_flags=1, delay=0.0, capacity=1000)])
    # 1, 3, 4 attack at step 1 and are suspended at step 2: 2 never sees 1's attack.
    assert sorted(e[1] for e in events(r) if e[2] == "attack") == [1, 3, 4]
    s = r.summary
    assert s["suspended_users"] == 3 and s["wrongly_suspended"] == 0


def test_suspension_capacity_and_delay():
    _, r = run(chain(), [Suspension(min_flags=1, delay=0.0, capacity=0.0)])
    assert r.summary["suspended_users"] == 0 and r.summary["attacks_on_target"] == 5
    _, r = run(chain(), [Suspension(min_flags=1, delay=0.0, capacity=60.0)])  # one account a minute
    assert r.summary["suspended_users"] >= 1 and r.interventions[0]["acted_at"] == 2
    # A review after the horizon suspends nobody, and the pending queue keeps the run going.
    model, r = run(chain(), [Suspension(min_flags=1, delay=60.0)])
    assert r.summary["suspended_users"] == 0 and model.t == model.n_steps - 1


def test_suspension_false_positives_are_counted_as_wrong():
    _, r = run(star(), [Suspension(min_flags=1, delay=0.0)], **SUPPORTIVE | {"classifier_false_positive_rate": 1.0})
    assert r.summary["suspended_users"] == 5 and r.summary["wrongly_suspended"] == 5
    assert r.summary["benign_suppressed"] == 5  # their defences are hidden


def test_suspension_needs_flags_not_attacks():
    _, r = run(chain(), [Suspension(min_flags=1, delay=0.0)], classifier_recall=0.0)
    assert r.summary["suspended_users"] == 0 and r.summary["attacks_on_target"] == 5


# -- counter-speech, removal ----------------------------------------------------------------------


def test_counter_speech_posts_defences_by_supportive_users_from_its_start():
    iv = CounterSpeech(start=1.0, posts=300, duration=2.0, boost=3.0)
    model = OutrageModel(preset="buffy", seed=4, n_users=10_000, interventions=[iv], horizon_hours=4.0)
    before = model.population.reply.copy()
    r = model.run()
    alone = OutrageModel(preset="buffy", seed=4, n_users=10_000, horizon_hours=4.0).run()
    for name, column in r.events.items():  # nothing changes before the campaign starts
        np.testing.assert_array_equal(column[r.events["step"] < 60], alone.events[name][alone.events["step"] < 60])
    campaign = (r.events["parent"] == 0) & (r.events["action"] == DEFEND) & (r.events["step"] >= 60)
    stance = model.population.stance
    assert np.all(stance[r.events["user"][campaign]] > 0)
    assert campaign.sum() >= r.summary["campaign_posts"]
    expected = 300  # posts expected over the campaign
    assert abs(r.summary["campaign_posts"] - expected) < 4 * np.sqrt(expected)
    supportive = (stance > 0) & (np.arange(len(stance)) != model.target)
    np.testing.assert_allclose(model.population.reply[supportive], np.minimum(before[supportive] * 3.0, 1.0))
    np.testing.assert_array_equal(model.population.reply[~supportive], before[~supportive])


def test_a_mocking_share_of_counter_speech_posts_are_attacks_by_hostile_users():
    iv = CounterSpeech(start=1.0, posts=300, duration=2.0, mocking=0.4)
    model = OutrageModel(preset="buffy", seed=5, n_users=10_000, interventions=[iv], horizon_hours=4.0)
    r = model.run()
    ev, stance = r.events, model.population.stance
    n, mock = r.summary["campaign_posts"], r.summary["mocking_posts"]
    expected = 300
    assert abs(n - expected) < 4 * np.sqrt(expected)
    assert abs(mock / n - 0.4) < 4 * np.sqrt(0.4 * 0.6 / n)  # binomial, within four standard errors
    in_campaign = (ev["parent"] == 0) & (ev["step"] >= 60) & (ev["step"] < 180)
    assert np.count_nonzero(in_campaign & (ev["action"] == ATTACK)) >= mock
    attackers = ev["user"][in_campaign & (ev["action"] == ATTACK)]
    assert np.all(stance[attackers] < 0)


def test_removing_the_seed_at_once_stops_everything():
    _, r = run(star(), [Removal(what="seed", delay=0.0)], p=1.0, amplify_prob=1.0)
    assert r.summary["total_posts"] == 1 and r.summary["posts_removed"] == 1
    assert r.summary["benign_suppressed"] == 1  # the target's own post


def test_removing_the_seed_later_takes_its_amplifications_with_it():
    net = graph([*[(i, 0) for i in range(1, 4)], (4, 1)], 5)
    _, base = run(net, p=1.0, amplify_prob=1.0, attack=False)
    assert 4 in [e[1] for e in events(base)]
    _, r = run(net, [Removal(what="seed", delay=2.0)], p=1.0, amplify_prob=1.0, attack=False)
    # 1, 2, 3 amplify at step 1; at step 2 the seed is gone and so is 1's amplification of it
    assert sorted(e[1] for e in events(r) if e[2] == "amplify") == [1, 2, 3]


def test_removal_of_hostile_posts_removes_what_the_classifier_flags_benign_included():
    # supportive users defend; a classifier that flags every benign post has them removed
    net = graph([(1, 0), (2, 1)], 3)
    _, r = run(net, [Removal(what="hostile", delay=0.0, min_shares=0)], **SUPPORTIVE)
    assert r.summary["posts_removed"] == 0 and r.summary["defences"] == 2
    fp = SUPPORTIVE | {"classifier_false_positive_rate": 1.0}
    _, r = run(net, [Removal(what="hostile", delay=0.0, min_shares=0)], **fp)
    # the seed is flagged too, and removed at once: nobody sees it
    assert r.summary["posts_removed"] == 1 and r.summary["benign_removed"] == 1 == r.summary["benign_suppressed"]
    assert r.summary["defences"] == 0


def test_removing_attacks_once_shared():
    _, r = run(chain(), [Removal(what="hostile", delay=0.0, min_shares=0)])
    assert sorted(e[1] for e in events(r) if e[2] == "attack") == [1, 3, 4]
    assert r.summary["posts_removed"] == 3 and r.summary["benign_suppressed"] == 0
    _, r = run(chain(), [Removal(what="hostile", delay=0.0, min_shares=1)])  # nobody shares: none removed
    assert r.summary["posts_removed"] == 0 and r.summary["attacks_on_target"] == 5


# -- composition, reproducibility, configuration --------------------------------------------------


def test_interventions_compose_and_the_callers_objects_are_not_changed():
    ivs = [Friction(cancel=0.5), DownRank(visibility=0.5), Suspension(), Removal(), CircuitBreaker()]
    a = OutrageModel(preset="buffy", seed=7, n_users=20_000, interventions=ivs).run()
    b = OutrageModel(preset="buffy", seed=7, n_users=20_000, interventions=ivs).run()
    assert a.summary == b.summary and a.summary["total_posts"] > 50  # a cascade, not a seed post alone
    assert all(iv.acted_at is None for iv in ivs)
    c = OutrageModel(preset="buffy", seed=6, n_users=20_000, interventions=ivs).run()
    assert c.summary != a.summary


def test_each_intervention_reduces_harm_on_average():
    """Over 8 paired seeds at 20,000 users (the seed day), each policy at a strong setting lowers
    attacks received.

    The seeds are the first 8 whose run without intervention is a pile-on (50 or more attacks
    received): in the few runs where the case dies out at once (2 of the first 12 seeds), a
    counter-speech campaign's posts can bring it back, and harm rises from nothing."""
    strong = {
        "friction": [Friction(cancel=0.5)],
        "downrank": [DownRank(visibility=0.2)],
        "protect": [VictimProtection(start=0.5, filter_mentions=True)],
        "counter_speech": [CounterSpeech(start=0.5, posts=1000)],
        "removal": [Removal(delay=10, min_shares=1)],
        "circuit_breaker": [CircuitBreaker(reach_factor=0.1, threshold=3)],
    }

    def attacks(seed, ivs):
        return (
            OutrageModel(preset="buffy", seed=seed, n_users=20_000, horizon_hours=12, interventions=ivs)
            .run()
            .summary["attacks_received"]
        )

    baseline = {s: attacks(s, []) for s in range(30)}
    seeds = [s for s, a in baseline.items() if a >= 50][:8]
    assert len(seeds) == 8

    def harm(ivs):
        return np.mean([attacks(s, ivs) for s in seeds])

    base = np.mean([baseline[s] for s in seeds])
    for name, ivs in strong.items():
        assert harm(ivs) < 0.9 * base, name


def test_make_checks_kind_names_and_values():
    assert make({"kind": "friction", "cancel": 0.2}) == Friction(cancel=0.2)
    for cls in KINDS.values():
        assert make(cls().settings()) == cls()
    with pytest.raises(ValueError, match="unknown intervention kind 'fricton'.*did you mean friction"):
        make({"kind": "fricton"})
    with pytest.raises(ValueError, match="missing 'kind'"):
        make({"cancel": 0.2})
    with pytest.raises(ValueError, match="unknown removal parameter 'delai'.*did you mean delay"):
        make({"kind": "removal", "delai": 3})
    with pytest.raises(ValueError, match=r"cancel=1.7 is out of range: expected \[0, 1\]"):
        make({"kind": "friction", "cancel": 1.7})
    with pytest.raises(ValueError, match="revise \\+ cancel = 1.2"):
        Friction(cancel=0.6, revise=0.6)
    with pytest.raises(ValueError, match="what='every': expected one of 'hostile', 'seed', 'all'"):
        Removal(what="every")


def test_an_intervention_that_never_acts_leaves_the_run_unchanged():
    """Interventions draw from their own generators: doing nothing changes nothing."""
    # no attacks and a classifier without false positives: nothing to prompt, hide or suspend
    params = dict(preset="buffy", seed=9, n_users=20_000, attack=False, classifier_false_positive_rate=0.0)
    base = OutrageModel(**params).run().summary
    for ivs in (
        [Friction()],
        [Suspension()],
        [DownRank(visibility=0.0)],
        [CircuitBreaker(threshold=10_000)],
        [Removal(what="hostile")],
        [Nudge(reduction=0.0)],
    ):
        s = OutrageModel(**params, interventions=ivs).run().summary
        assert s["total_posts"] == base["total_posts"] and s["exposures"] == base["exposures"], ivs
    # Friction with false positives on defences does act, and changes the run
    params["classifier_false_positive_rate"] = 1.0
    s = OutrageModel(**params, interventions=[Friction(cancel=1.0, revise=0.0)]).run().summary
    assert s["defences"] == 0 and s["benign_suppressed"] > 0


def test_removal_hides_amplifications_of_amplifications():
    # 1 follows 0, 2 follows 1, 3 follows 2; everyone amplifies what they see.
    net = graph([(1, 0), (2, 1), (3, 2)], 4)
    kw = dict(p=1.0, amplify_prob=1.0, attack=False)
    _, base = run(net, **kw)
    assert [e[1] for e in events(base)] == [0, 1, 2, 3]
    assert base.events["root"].tolist() == [0, 0, 0, 0]  # every reshare points at the original
    # the seed is removed at step 3, when 3 would see 2's reshare of 1's reshare of it
    _, r = run(net, [Removal(what="seed", delay=3.0)], **kw)
    assert [e[1] for e in events(r)] == [0, 1, 2]


def test_removal_copes_with_posts_made_after_its_begin_step():
    # counter-speech posts after removal's begin_step in the same step, and trending may show them
    ivs = [Removal(what="seed", delay=0), CounterSpeech(start=0, posts=100_000, duration=1)]
    r = OutrageModel(preset="buffy", seed=2, n_users=20_000, horizon_hours=3, interventions=ivs).run()
    assert r.summary["campaign_posts"] > 1000 and r.summary["posts_removed"] == 1


def test_suspension_counts_attacks_made_before_it_starts():
    _, r = run(chain(), [Suspension(min_flags=1, delay=0.0, start=2 / 60)])  # starts at step 2
    # 1, 3, 4 attacked at step 1, before the start: flagged and suspended at step 2
    assert r.summary["suspended_users"] == 3 and r.interventions[0]["acted_at"] == 2
    assert sorted(e[1] for e in events(r) if e[2] == "attack") == [1, 3, 4]


def test_a_finished_models_interventions_start_afresh_in_a_new_run():
    first = OutrageModel(preset="buffy", seed=1, n_users=20_000, interventions=[VictimProtection(start=1.0)])
    a = first.run().summary
    again = OutrageModel(preset="buffy", seed=1, n_users=20_000, interventions=first.interventions).run().summary
    assert again == a


# -- what a platform knows: the classifier, costs, the trending volume ----------------------------


def test_the_classifier_flags_attacks_at_its_recall_and_benign_posts_at_its_false_positive_rate():
    params = dict(classifier_recall=0.6, classifier_false_positive_rate=0.3)
    r = OutrageModel(preset="buffy", seed=11, n_users=20_000, **params).run()
    ev = r.events
    original = ev["action"] != 1  # AMPLIFY
    attacks = ev["action"] == ATTACK
    benign = original & ~attacks
    for share, sel in ((0.6, attacks), (0.3, benign)):
        n = int(sel.sum())
        assert n > 100
        assert abs(ev["flagged"][sel].sum() - share * n) < 4 * np.sqrt(n * share * (1 - share))
    amplified = ~original
    assert np.array_equal(ev["flagged"][amplified], ev["flagged"][ev["root"][amplified]])  # the original's verdict


def test_without_interventions_the_classifier_changes_nothing_else():
    a = OutrageModel(preset="buffy", seed=12, n_users=20_000).run()
    b = OutrageModel(preset="buffy", seed=12, n_users=20_000, classifier_recall=0.1).run()
    assert a.summary == b.summary and not np.array_equal(a.events["flagged"], b.events["flagged"])


def test_every_intervention_sees_the_same_verdict_for_a_post():
    """Friction prompts exactly the flagged replies; down-ranking hides exactly flagged items."""
    ivs = [Friction(cancel=0.0, revise=0.0, later_attacks=1.0), Removal(what="hostile", delay=30, min_shares=1)]
    r = OutrageModel(preset="buffy", seed=13, n_users=20_000, interventions=ivs).run()
    ev = r.events
    replies = (ev["action"] == ATTACK) | (ev["action"] == DEFEND)
    assert r.summary["prompts"] == int((replies & ev["flagged"]).sum()) > 0
    removed = ev["withdrawn"] & (ev["action"] != 1)
    assert removed.sum() == r.summary["posts_removed"] > 0 and ev["flagged"][removed].all()


def test_the_lasting_effect_of_a_prompt_lowers_later_attacks():
    # 1 and 2 follow the target; 1 follows 2 too: at step 1 both attack the seed, at step 2 user 1
    # sees 2's attack and attacks again, unless the prompt at step 1 has made them stop.
    net = graph([(1, 0), (2, 0), (1, 2)], 3)
    repeat = dict(max_actions=5, fatigue=1.0)
    _, r = run(net, [Friction(cancel=0.0, revise=0.0, later_attacks=1.0)], **repeat)
    assert [e[1] for e in events(r) if e[2] == "attack"] == [1, 2, 1]
    model, r = run(net, [Friction(cancel=0.0, revise=0.0, later_attacks=0.0)], **repeat)
    assert [e[1] for e in events(r) if e[2] == "attack"] == [1, 2]
    assert model.population.attack_scale.tolist() == [1.0, 0.0, 0.0] and r.summary["prompted_users"] == 2
    model, _ = run(net, [Friction(cancel=0.0, revise=0.0, later_attacks=0.5)], **repeat)
    assert model.population.attack_scale.tolist() == [1.0, 0.5, 0.5]  # once per user, not per prompt


def test_friction_as_a_randomised_trial_prompts_only_the_treated():
    iv = Friction(treated_share=0.5, cancel=1.0, revise=0.0)
    model = OutrageModel(preset="buffy", seed=14, n_users=20_000, interventions=[iv], **PERFECT)
    r = model.run()
    s = r.summary
    assert abs(s["treated_users"] - 10_000) < 4 * np.sqrt(5_000) and s["treated_users"] + s["control_users"] == 20_000
    treated = model.interventions[0]._treated
    attackers = r.events["user"][r.events["action"] == ATTACK]
    assert s["treated_attacks"] == 0 and not treated[attackers].any()  # every treated attack was cancelled
    assert s["control_attacks"] == len(attackers) > 0


def test_downranking_counts_the_benign_posts_it_hides():
    _, r = run(star(), [DownRank(visibility=0.0)], p=1.0, amplify_prob=1.0, attack=False)
    assert r.summary["benign_downranked"] == 0
    _, r = run(
        star(), [DownRank(visibility=0.0)], p=1.0, amplify_prob=1.0, attack=False, classifier_false_positive_rate=1.0
    )
    assert r.summary["benign_downranked"] == 1 and r.summary["amplifications"] == 0  # the seed, flagged, hidden


def test_a_nudge_scales_everyones_sharing_from_its_start():
    model = OutrageModel(
        preset="buffy", seed=15, n_users=5_000, horizon_hours=2, interventions=[Nudge(reduction=0.3, start=1)]
    )
    before = model.population.amplify.copy()
    model.run()
    np.testing.assert_allclose(model.population.amplify, before * 0.7, rtol=1e-6)
    assert model.interventions[0].acted_at == 60


def test_suspended_users_make_no_campaign_posts():
    ivs = [CounterSpeech(start=0.0, posts=20_000, duration=2.0), Suspension(min_flags=1, delay=0.0, capacity=1e6)]
    params = dict(preset="buffy", seed=16, n_users=20_000, horizon_hours=3, classifier_false_positive_rate=1.0)
    r = OutrageModel(**params, interventions=ivs).run()
    s = r.summary
    assert s["suspended_users"] > 100 and s["suspended_posts_blocked"] > 0
    ev = r.events
    replies = (ev["action"] == ATTACK) | (ev["action"] == DEFEND)
    for u in np.unique(ev["user"][replies & ev["flagged"]])[:200]:
        mine = ev["user"] == u
        first_flag = ev["step"][mine & replies & ev["flagged"]].min()
        assert ev["step"][mine].max() <= first_flag, u  # suspended in the next step: no later post


def test_the_trending_volume_leaves_out_withdrawn_and_campaign_posts():
    for in_volume in (False, True):
        ivs = [
            Removal(what="hostile", delay=30, min_shares=1),
            Suspension(),
            CounterSpeech(start=1.0, posts=2_000, in_volume=in_volume),
        ]
        model = OutrageModel(preset="buffy", seed=17, n_users=20_000, interventions=ivs)
        r = model.run()
        ev = r.events
        counted = ev["in_volume"] & ~ev["withdrawn"]
        assert np.array_equal(model.volume, np.bincount(ev["step"][counted], minlength=model.n_steps))
        assert ev["withdrawn"].sum() > 100 and (~ev["in_volume"]).sum() == (
            0 if in_volume else r.summary["campaign_posts"]
        )


def test_removed_posts_stop_the_case_trending():
    base = OutrageModel(preset="buffy", seed=18, n_users=20_000).run()
    r = OutrageModel(preset="buffy", seed=18, n_users=20_000, interventions=[Removal(what="all", delay=5)]).run()
    assert base.summary["trend_clock"] is not None and r.summary["trend_clock"] is None
