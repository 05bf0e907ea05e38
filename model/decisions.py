"""What a user does with the posts seen in one session: ignore, amplify, attack or defend.

For each seen post the probability of each action is a baseline propensity times multipliers:

* stance: attacking needs hostility (``max(-stance, 0)``), defending needs support
  (``max(stance, 0)``), amplifying needs involvement (``|stance|``), and less so when the post's
  side is the other one (``cross_amplify``);
* outrage framing: ``(1 + outrage_effect * susceptibility) ** words`` (Brady et al. 2017, PNAS:
  each moral-emotional word raised retweets by about 20%; applied here to replies too);
* social proof, volume: ``1 + social_proof * log(1 + posts seen about the case)``;
* social proof, norm: the hostile share ``h`` of the partisan posts seen (Laplace-smoothed) tilts
  attack against defence by ``exp(+-norm_learning * (2h - 1))`` (after Brady et al. 2021, Sci.
  Adv.: users conform their outrage expression to the norms they observe; the strength is ours);
* novelty: interest in the case halves every ``novelty_halflife`` hours (after Wu & Huberman
  2007, PNAS: collective attention to a news item decays with its age);
* fatigue: ``fatigue ** (earlier actions)``, and none after ``max_actions``;
* the user's ``attack_scale`` (1, lowered by a friction prompt's lasting effect) on attacking.

The three probabilities are scaled down together if they sum past 1. A user acts at most once per
session: on the first of its seen posts whose draw comes up as an action.

The loop over seen posts is compiled with numba (scalar work per post; see model/feed.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from .params import DecisionParams
from .population import Population

# Event kinds, in the column order of every per-step count table.
SEED, AMPLIFY, ATTACK, DEFEND = 0, 1, 2, 3
ACTIONS = ("seed_post", "amplify", "attack", "defend")


class Rules(NamedTuple):
    """The decision parameters as the compiled loop reads them (a subset of ``DecisionParams``)."""

    outrage_effect: float
    social_proof: float
    norm_learning: float
    fatigue: float
    max_actions: int
    cross_amplify: float
    attack: bool
    defend: bool
    attack_outrage: float
    defend_outrage: float

    @classmethod
    def of(cls, params: DecisionParams) -> Rules:
        """The fields of ``params`` that the loop needs, by name."""
        return cls(**{name: getattr(params, name) for name in cls._fields})


class Seen(NamedTuple):
    """The items seen in one step: who saw each, and the side and words of the post seen."""

    viewer: np.ndarray
    valence: np.ndarray
    outrage: np.ndarray


def react(
    rules: Rules, pop: Population, seen: Seen, t: int, novelty: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read and decide for the posts seen in step ``t``; see the module docstring.

    First every viewer adds what it saw to its counts (volume, hostile, supportive); then each
    item, in order, gets its action probabilities and one draw, skipping viewers who have already
    acted in this step or reached ``max_actions``.

    The new posts' side and words: an attack is hostile with Poisson(``attack_outrage``) words, a
    defence supportive with Poisson(``defend_outrage``); an amplification keeps the words and side
    of what it amplifies, except that amplifying the seed post (a quote) takes the amplifier's side.

    Args:
        rules: the decision parameters (``Rules.of(params.decisions)``).
        seen: who saw which kind of post.
        novelty: the novelty factor of the case at this step.

    Returns:
        ``(item_index, action, valence, words)`` of the items acted on (in item order) and of
        the posts they make.
    """
    return _react(rules, pop.table, seen, t, novelty, rng)


@numba.njit(cache=True)
def _react(
    rules: Rules, users: np.ndarray, seen: Seen, t: int, novelty: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    viewer, valence, outrage = seen.viewer, seen.valence, seen.outrage
    k = len(viewer)
    for i in range(k):
        v = viewer[i]
        users[v].seen += 1
        if valence[i] < 0:
            users[v].hostile_seen += 1
        elif valence[i] > 0:
            users[v].supportive_seen += 1
    chosen = np.empty(k, np.int64)
    action = np.empty(k, np.int8)
    new_valence = np.empty(k, np.int8)
    words = np.empty(k, np.float32)
    n = 0
    for i in range(k):
        v = viewer[i]
        acted = users[v].acted
        if users[v].acted_at == t or acted >= rules.max_actions:
            continue
        s = np.float64(users[v].stance)
        # A factor whose parameter is 0 is exactly 1: skipping its log or power changes no result.
        common = rules.fatigue**acted * novelty
        if rules.social_proof != 0.0:
            common = (1.0 + rules.social_proof * np.log1p(users[v].seen)) * rules.fatigue**acted * novelty
        if rules.outrage_effect != 0.0:
            common *= (1.0 + rules.outrage_effect * users[v].susceptibility) ** outrage[i]
        same_side = valence[i] == 0 or valence[i] * s > 0
        p_amp = users[v].amplify * abs(s) * (1.0 if same_side else rules.cross_amplify) * common
        p_att = 0.0
        p_def = 0.0
        if rules.attack or rules.defend:
            hostile, supportive = users[v].hostile_seen, users[v].supportive_seen
            h = (hostile + 1.0) / (hostile + supportive + 2.0)
            tilt = np.exp(rules.norm_learning * (2.0 * h - 1.0))
            r = users[v].reply * common
            if rules.attack:
                p_att = r * max(-s, 0.0) * tilt * users[v].attack_scale
            if rules.defend:
                p_def = r * max(s, 0.0) / tilt
        total = p_amp + p_att + p_def
        if total <= 0.0:
            continue
        if total > 1.0:
            p_amp /= total
            p_att /= total
            total = 1.0
        u = rng.random()
        if u < p_amp:
            action[n] = AMPLIFY
            words[n] = outrage[i]
            new_valence[n] = valence[i] if valence[i] != 0 else (s > 0) - (s < 0)
        elif u < p_amp + p_att:
            action[n] = ATTACK
            words[n] = rng.poisson(rules.attack_outrage)
            new_valence[n] = -1
        elif u < total:
            action[n] = DEFEND
            words[n] = rng.poisson(rules.defend_outrage)
            new_valence[n] = 1
        else:
            continue
        chosen[n] = i
        n += 1
        users[v].acted = acted + 1
        users[v].acted_at = t
    return chosen[:n], action[:n], new_valence[:n], words[:n]
