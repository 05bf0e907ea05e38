"""The users: traits drawn once per run, and what each has seen and done so far.

Both are tables with one row per user (user ``i`` is row ``i``) and one named column per
quantity: ``pop.stance`` is a view of a column. Keeping a user's numbers side by side in one row
means the engine touches one or two cache lines per user it visits, not one per array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import PopulationParams

# Column order of the tables; the engine's compiled loops index columns by these positions.
TRAITS = ("stance", "sessions_per_day", "amplify", "reply", "susceptibility")
STANCE, RATE, AMPLIFY_P, REPLY_P, SUSCEPTIBILITY = range(len(TRAITS))
STATE = ("seen", "hostile_seen", "supportive_seen", "acted", "acted_at", "next_session")
SEEN, HOSTILE_SEEN, SUPPORTIVE_SEEN, ACTED, ACTED_AT, NEXT_SESSION = range(len(STATE))


@dataclass(frozen=True, eq=False)
class Population:
    """Per-user traits: ``traits[i]`` is user ``i``; columns are named by properties."""

    traits: np.ndarray  # (n, len(TRAITS)) float32

    n = property(lambda self: len(self.traits), doc="Number of users.")
    stance = property(lambda self: self.traits[:, STANCE], doc="[-1, 1]: -1 hostile to the target, +1 supportive.")
    sessions_per_day = property(lambda self: self.traits[:, RATE], doc="Mean app opens per day (before the circadian profile).")  # fmt: skip
    amplify = property(lambda self: self.traits[:, AMPLIFY_P], doc="Baseline probability of amplifying a seen post.")
    reply = property(lambda self: self.traits[:, REPLY_P], doc="Baseline probability of replying to a seen post.")
    susceptibility = property(lambda self: self.traits[:, SUSCEPTIBILITY], doc="Multiplies the outrage framing effect; mean 1.")  # fmt: skip

    @classmethod
    def draw(cls, params: PopulationParams, n: int, rng: np.random.Generator) -> Population:
        """Draw the traits of ``n`` users.

        Stance comes from a three-group mix (hostile around ``-stance_strength``, supportive
        around ``+stance_strength``, neutral around 0, each with spread ``stance_sd``); rates and
        propensities are lognormal around their means, propensities capped at 1.
        """
        u = rng.random(n)
        centre = np.where(
            u < params.hostile_fraction,
            -params.stance_strength,
            np.where(u < params.hostile_fraction + params.supportive_fraction, params.stance_strength, 0.0),
        )
        traits = np.empty((n, len(TRAITS)), np.float32)
        traits[:, STANCE] = np.clip(centre + params.stance_sd * rng.standard_normal(n), -1.0, 1.0)
        traits[:, RATE] = _lognormal(params.sessions_per_day, params.activity_sd, n, rng)
        traits[:, AMPLIFY_P] = np.minimum(_lognormal(params.amplify_prob, params.propensity_sd, n, rng), 1.0)
        traits[:, REPLY_P] = np.minimum(_lognormal(params.reply_prob, params.propensity_sd, n, rng), 1.0)
        traits[:, SUSCEPTIBILITY] = _lognormal(1.0, params.susceptibility_sd, n, rng)
        return cls(traits)


@dataclass(frozen=True, eq=False)
class UserState:
    """What each user has seen and done so far: ``table[i]`` is user ``i``."""

    table: np.ndarray  # (n, len(STATE)) int32

    seen = property(lambda self: self.table[:, SEEN], doc="Posts about the case seen.")
    hostile_seen = property(lambda self: self.table[:, HOSTILE_SEEN], doc="Of which hostile.")
    supportive_seen = property(lambda self: self.table[:, SUPPORTIVE_SEEN], doc="Of which supportive.")
    acted = property(lambda self: self.table[:, ACTED], doc="Posts made.")
    acted_at = property(lambda self: self.table[:, ACTED_AT], doc="Step of the last post, -1 for none.")
    next_session = property(lambda self: self.table[:, NEXT_SESSION], doc="Step of the next app session, -1 or past: none drawn.")  # fmt: skip

    @classmethod
    def empty(cls, n: int) -> UserState:
        """Nobody has seen or done anything, and no session is drawn."""
        table = np.zeros((n, len(STATE)), np.int32)
        table[:, ACTED_AT] = -1
        table[:, NEXT_SESSION] = -1
        return cls(table)


def _lognormal(mean: float, sd: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Lognormal draws with the given arithmetic mean and log-scale spread."""
    return mean * np.exp(sd * rng.standard_normal(n) - sd * sd / 2.0)
