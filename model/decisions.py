"""What a user does with the posts seen in one session: ignore, amplify, attack or defend.

For each seen post the probability of each action is a baseline propensity times multipliers:

* stance: attacking needs hostility (``max(-stance, 0)``), defending needs support
  (``max(stance, 0)``), amplifying needs involvement (``|stance|``), and less so when the post's
  side is the other one (``cross_amplify``);
* outrage framing: ``(1 + outrage_effect * susceptibility) ** words`` (Brady et al. 2017, PNAS:
  each moral-emotional word raised retweets by about 20%);
* social proof, volume: ``1 + social_proof * log(1 + posts seen about the case)``;
* social proof, norm: the hostile share ``h`` of the partisan posts seen (Laplace-smoothed) tilts
  attack against defence by ``exp(+-norm_learning * (2h - 1))`` (Brady et al. 2021, Sci. Adv.:
  users learn the expression norms they observe);
* novelty: interest in the case halves every ``novelty_halflife`` hours (Wu & Huberman 2007,
  PNAS: collective attention to a news item decays with its age);
* fatigue: ``fatigue ** (earlier actions)``, and none after ``max_actions``.

The three probabilities are scaled down together if they sum past 1. A user acts at most once per
session: on the first of its seen posts whose draw comes up as an action.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import DecisionParams
from .population import Population

# Event kinds, in the column order of every per-step count table.
SEED, AMPLIFY, ATTACK, DEFEND = 0, 1, 2, 3
ACTIONS = ("seed_post", "amplify", "attack", "defend")
NONE = -1


@dataclass
class Modifiers:
    """Per-item multipliers that interventions may change before the draw (all default 1)."""

    amplify: np.ndarray
    attack: np.ndarray
    defend: np.ndarray

    @classmethod
    def ones(cls, k: int) -> Modifiers:
        """Neutral multipliers for ``k`` items."""
        return cls(np.ones(k), np.ones(k), np.ones(k))


def action_probabilities(
    params: DecisionParams,
    pop: Population,
    viewer: np.ndarray,
    valence: np.ndarray,
    outrage: np.ndarray,
    seen: np.ndarray,
    hostile_seen: np.ndarray,
    supportive_seen: np.ndarray,
    acted: np.ndarray,
    mods: Modifiers,
    case_age_hours: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Probabilities of (amplify, attack, defend) for each item; see the module docstring.

    ``valence`` is the side of each seen post (-1 hostile, 0 neither, +1 supportive); ``seen``,
    ``hostile_seen``, ``supportive_seen`` and ``acted`` are the viewer's counts so far.
    """
    stance = pop.stance[viewer].astype(np.float64)
    common = (1.0 + params.social_proof * np.log1p(seen)) * np.where(
        acted < params.max_actions, params.fatigue ** acted.astype(np.float64), 0.0
    )
    common *= 2.0 ** (-case_age_hours / params.novelty_halflife)
    common *= (1.0 + params.outrage_effect * pop.susceptibility[viewer]) ** outrage
    same_side = (valence == 0) | (valence * stance > 0)
    p_amp = pop.amplify[viewer] * np.abs(stance) * np.where(same_side, 1.0, params.cross_amplify)
    p_amp = p_amp * common * mods.amplify
    if params.attack or params.defend:
        h = (hostile_seen + 1.0) / (hostile_seen + supportive_seen + 2.0)
        tilt = np.exp(params.norm_learning * (2.0 * h - 1.0))
        reply = pop.reply[viewer] * common
    if params.attack:
        p_att = reply * np.maximum(-stance, 0.0) * tilt * mods.attack
    else:
        p_att = np.zeros_like(p_amp)
    if params.defend:
        p_def = reply * np.maximum(stance, 0.0) / tilt * mods.defend
    else:
        p_def = np.zeros_like(p_amp)
    total = p_amp + p_att + p_def
    scale = np.where(total > 1.0, 1.0 / np.maximum(total, 1e-300), 1.0)
    return p_amp * scale, p_att * scale, p_def * scale


def draw_actions(
    probs: tuple[np.ndarray, np.ndarray, np.ndarray], viewer: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one outcome per item and keep at most one action per viewer.

    Returns:
        ``(item_index, action)`` of the items acted on, in item order.
    """
    p_amp, p_att, p_def = probs
    u = rng.random(len(viewer))
    action = np.full(len(viewer), NONE, np.int8)
    action[u < p_amp + p_att + p_def] = DEFEND
    action[u < p_amp + p_att] = ATTACK
    action[u < p_amp] = AMPLIFY
    idx = np.flatnonzero(action != NONE)
    if len(idx) > 1:
        _, first = np.unique(viewer[idx], return_index=True)
        idx = np.sort(idx[first])
    return idx, action[idx]
