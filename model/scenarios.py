"""Named parameter presets. Each is a ``Params``; the numbers and their reasons are in docs/model.md."""

from __future__ import annotations

from collections.abc import Callable

from .params import Params, unknown_name_message


def buffy() -> Params:
    """The #Buffy pile-on of 16 January 2017 (see docs/model.md, 'The #Buffy scenario').

    ``amplify_prob``, ``reply_prob``, ``trend_threshold``, ``trend_gain``, ``novelty_halflife`` and
    ``hostile_fraction`` are calibrated to the case's anchors: their defaults (model/params.py, each
    with its 90% interval) are the posterior medians of the ABC run ``pileon calibrate-buffy --runs
    1024 --out runs/calibrate-buffy`` (1,024 runs in the documented configuration, 143 accepted;
    docs/model.md, 'The #Buffy calibration').
    """
    return Params().replace(
        n_users=200_000,
        seed_clock=9.0,  # anchors.csv: seed post 08:00-10:30
        target_followers=3000,
        supportive_fraction=0.15,
    )


def independent_cascade(p: float = 0.05) -> Params:
    """The plain independent cascade: each follower of a new post amplifies it once with chance ``p``.

    Everything else is switched off: sessions (items are seen at the next step), visibility decay,
    trending, social proof, outrage framing, novelty decay, replies, and repeated actions; every user is equally
    (and fully) involved. Used for the closed-form test and the NDlib/Mesa benchmark.
    """
    return Params().replace(
        hostile_fraction=1.0,
        supportive_fraction=0.0,
        stance_strength=1.0,
        stance_sd=0.0,
        amplify_prob=p,
        propensity_sd=0.0,
        sessions=False,
        decay=False,
        trend_max_rate=0.0,
        social_proof=0.0,
        novelty_halflife=float("inf"),
        outrage_effect=0.0,
        attack=False,
        defend=False,
        max_actions=1,
        target_followers=10**9,  # the most-followed user posts the seed
        target_exact=False,
    )


def rumour() -> Params:
    """A retweet cascade of a widely followed source, as in Twitter15/16: no pile-on channel.

    50,000 users; the source has exactly ``target_followers`` followers and other users up to
    15,000 (as the earlier cap of 30% of 50,000 users allowed); no trending channel; 2.5 hours. The values ``pileon calibrate`` fits start from these (docs/model.md).
    """
    return Params().replace(
        n_users=50_000,
        max_followers=15_000,
        target_followers=1000,
        hostile_fraction=0.2,
        supportive_fraction=0.4,
        amplify_prob=0.05,
        reply_prob=0.005,
        trend_max_rate=0.0,
        visibility_halflife=60.0,
        novelty_halflife=2.0,
        horizon_hours=2.5,
    )


SCENARIOS: dict[str, Callable[[], Params]] = {
    "default": Params,
    "buffy": buffy,
    "rumour": rumour,
    "independent_cascade": independent_cascade,
}


# The smallest network in which a preset is still its case (docs/policy.md, "Size"): below it the
# trending channel, which draws its audience from the whole network, shows the case to the same
# users again and again, and the #Buffy anchors no longer hold (measured: posts by 19:00, median of
# 10 seeds, 4,296 at 10,000 users, 6,445 at 50,000, 7,491 at 100,000 and about 7,400-8,000 above).
MIN_USERS: dict[str, int] = {"buffy": 100_000, "default": 100_000}


def size_note(name: str, n_users: int) -> str | None:
    """What to tell a user who runs preset ``name`` below the size where it is its case (None: fine)."""
    least = MIN_USERS.get(name)
    if least is None or n_users >= least:
        return None
    return (
        f"{n_users:,} users is a classroom size for the {name} scenario: below {least:,} users it is not the "
        "same case (the trending channel runs out of fresh users and the day's evening is smaller), so show "
        "with it, do not measure with it (docs/policy.md, 'Size')"
    )


def get(name: str) -> Params:
    """The preset called ``name``."""
    if name not in SCENARIOS:
        raise ValueError(unknown_name_message(name, SCENARIOS, "scenario") + f"; known: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]()
