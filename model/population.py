"""The users: traits drawn once per run, and what each has seen and done so far.

One table, one 64-byte row per user (user ``i`` is row ``i``), one named field per quantity:
``pop.stance`` and ``pop.seen`` are views of a field across all users. Keeping a user's numbers in
one row means the engine touches one cache line per user it visits, not one per array: at 10^6
users the separate arrays did not fit the processor's cache, and the engine ran at half speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import PopulationParams

TRAITS = {
    "stance": "[-1, 1]: -1 hostile to the target, +1 supportive",
    "sessions_per_day": "mean app opens per day (before the circadian profile)",
    "amplify": "baseline probability of amplifying a seen post",
    "reply": "baseline probability of replying to a seen post",
    "susceptibility": "multiplies the outrage framing effect; mean 1",
    "attack_scale": "multiplies the probability of attacking; 1 (a friction prompt's lasting effect lowers it)",
}
STATE = {
    "seen": "posts about the case seen",
    "hostile_seen": "of which hostile",
    "supportive_seen": "of which supportive",
    "acted": "posts made",
    "acted_at": "step of the last post, -1 for none",
    "next_session": "step of the next app session; -1 or a past step: none drawn yet",
}
USER = np.dtype(
    {
        "names": [*TRAITS, *STATE],
        "formats": ["f4"] * len(TRAITS) + ["i4"] * len(STATE),
        "offsets": [4 * i for i in range(len(TRAITS) + len(STATE))],
        "itemsize": 64,
    }
)


@dataclass(frozen=True, eq=False)
class Population:
    """The users table; ``pop.<field>`` is the field across users (see TRAITS and STATE)."""

    table: np.ndarray  # structured, dtype USER

    @property
    def n(self) -> int:
        """Number of users."""
        return len(self.table)

    def __len__(self) -> int:
        return len(self.table)

    def __getattr__(self, name: str) -> np.ndarray:
        if name in TRAITS or name in STATE:
            return self.__dict__["table"][name]
        raise AttributeError(name)

    @classmethod
    def draw(cls, params: PopulationParams, n: int, rng: np.random.Generator) -> Population:
        """Draw the traits of ``n`` users, who have seen and done nothing yet.

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
        table = np.zeros(n, USER)
        table["stance"] = np.clip(centre + params.stance_sd * rng.standard_normal(n), -1.0, 1.0)
        table["sessions_per_day"] = _lognormal(params.sessions_per_day, params.activity_sd, n, rng)
        table["amplify"] = np.minimum(_lognormal(params.amplify_prob, params.propensity_sd, n, rng), 1.0)
        table["reply"] = np.minimum(_lognormal(params.reply_prob, params.propensity_sd, n, rng), 1.0)
        table["susceptibility"] = _lognormal(1.0, params.susceptibility_sd, n, rng)
        table["attack_scale"] = 1.0
        table["acted_at"] = -1
        table["next_session"] = -1
        return cls(table)


def _lognormal(mean: float, sd: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Lognormal draws with the given arithmetic mean and log-scale spread."""
    return mean * np.exp(sd * rng.standard_normal(n) - sd * sd / 2.0)
