"""The users: fixed traits drawn once per run, one numpy array per trait."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import PopulationParams


@dataclass(frozen=True, eq=False)
class Population:
    """Per-user traits; user ``i`` is index ``i`` of every array."""

    stance: np.ndarray  # [-1, 1]: -1 hostile to the target, +1 supportive
    sessions_per_day: np.ndarray  # mean app opens per day (before the circadian profile)
    amplify: np.ndarray  # baseline probability of amplifying a seen post
    reply: np.ndarray  # baseline probability of replying to a seen post
    susceptibility: np.ndarray  # multiplies the outrage framing effect; mean 1

    @property
    def n(self) -> int:
        """Number of users."""
        return len(self.stance)

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
        stance = np.clip(centre + params.stance_sd * rng.standard_normal(n), -1.0, 1.0)
        return cls(
            stance=stance.astype(np.float32),
            sessions_per_day=_lognormal(params.sessions_per_day, params.activity_sd, n, rng),
            amplify=np.minimum(_lognormal(params.amplify_prob, params.propensity_sd, n, rng), 1.0),
            reply=np.minimum(_lognormal(params.reply_prob, params.propensity_sd, n, rng), 1.0),
            susceptibility=_lognormal(1.0, params.susceptibility_sd, n, rng),
        )


def _lognormal(mean: float, sd: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Lognormal draws with the given arithmetic mean and log-scale spread."""
    return (mean * np.exp(sd * rng.standard_normal(n) - sd * sd / 2.0)).astype(np.float32)
