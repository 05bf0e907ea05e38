"""Interventions: platform and victim-side policies, as small objects a run takes a list of.

Each intervention is a dataclass of its own validated parameters (declared like the model's, with
range, unit and help) plus a ``start`` (hours after the seed post) and, for some, a trigger. The
model calls three hooks, at documented points of its step (``OutrageModel.step``):

* ``begin_step(model, t)``: before the step's feed items are taken (state changes, new posts);
* ``filter_items(model, t, viewer, post)``: on the step's feed and trending items, after
  visibility decay and before reading; returns a keep mask (None keeps all);
* ``review_posts(model, t, posts)``: on the posts users decided to make in the step, before they
  are logged and spread; may cancel them (``posts.keep``), change their words, or mark replies
  that do not reach the target (``posts.reaches_target``).

The ``model`` every hook receives is a :class:`model.view.ModelView`: what an intervention may
read of the run (parameters, clock, network, target, event log, users' traits and state, attacks
received) and the only two ways it may act on it (``submit`` posts, ``scale_propensity``); it
never reaches into the engine.

An intervention overrides the hooks it needs (most one, a few two) and never looks at another:
masks from several filters multiply, cancellations add up. ``setup(model)`` is called once when
the model is built, on the model's own copy of the object (so one list can serve many runs), and
``report()`` returns the intervention's own counts for the results, with the costs under shared
names: ``benign_suppressed`` (non-hostile posts cancelled or hidden) and ``wrongly_suspended``.

Randomness: each intervention draws from its own generator (``self.rng``), derived from the run's
seed and its place in the list, never from the model's stream. So an intervention that does
nothing leaves the run exactly as it would be without it, and arms of a sweep that share a seed
differ only through what the interventions change (common random numbers). The numbers behind the
defaults are in docs/model.md.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .decisions import AMPLIFY, ATTACK, DEFEND, SEED
from .params import Source, _Checked, assumed, choice, cited, p, specs, unknown_name_message
from .view import ModelView

_OURS = assumed()
_KATSAROS = "Katsaros et al. 2022 (ICWSM); Twitter Engineering blog, 9 June 2022"


@dataclass
class NewPosts:
    """The posts users decided to make in one step, as ``review_posts`` sees them.

    ``keep`` False cancels a post; ``reaches_target`` False marks a reply that does not reach
    the target (counted in the log, not in ``attacks_received``).
    """

    author: np.ndarray
    action: np.ndarray
    parent: np.ndarray
    valence: np.ndarray
    words: np.ndarray
    keep: np.ndarray
    reaches_target: np.ndarray

    def __len__(self) -> int:
        return len(self.author)


@dataclass
class Intervention(_Checked):
    """Base class: every hook does nothing. Subclasses set ``kind`` (the name in config files)."""

    kind: ClassVar[str] = ""
    start: float = p(0.0, 0.0, None, "hours", "time after the seed post at which the intervention begins", _OURS)
    acted_at: int | None = field(default=None, init=False, repr=False, compare=False)  # first step it changed anything
    rng: np.random.Generator | None = field(default=None, init=False, repr=False, compare=False)

    def setup(self, model: ModelView) -> None:
        """Prepare the per-run state (called once, on the model's own fresh copy; ``self.rng``
        is set before)."""

    def begin_step(self, model: ModelView, t: int) -> None:
        """Called at the start of every step."""

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        """Keep mask over the step's items (feed and trending), or None to keep all."""
        return None

    def review_posts(self, model: ModelView, t: int, posts: NewPosts) -> None:
        """Change the step's would-be posts in place."""

    def idle(self, model: ModelView, t: int) -> bool:
        """Whether nothing is scheduled after step ``t`` (the run may stop early once feeds are empty)."""
        return True

    def report(self) -> dict[str, float]:
        """Counts for the results (shared names: benign_suppressed, wrongly_suspended)."""
        return {}

    # -- helpers ----------------------------------------------------------------------------------

    def started(self, model: ModelView, t: int) -> bool:
        """Whether step ``t`` is at or after ``start``."""
        return model.clock.minutes(t) >= self.start * 60.0

    def _acted(self, t: int) -> None:
        if self.acted_at is None:
            self.acted_at = t

    def settings(self) -> dict[str, Any]:
        """``{"kind": ..., parameter: value, ...}``: what a config file or results row holds."""
        return {"kind": self.kind} | {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}


@dataclass
class Friction(Intervention):
    """An "are you sure?" prompt on hostile replies: some would-be attackers revise or cancel.

    Defaults from Katsaros et al. 2022 (ICWSM, Twitter's reply prompts): per 100 prompts, 69 sent
    as is, 22 revised, 9 cancelled. A revised attack is still posted (and still reaches the
    target) but with ``revised_outrage`` of its moral-emotional words. The classifier behind the
    prompt also fires on some benign replies (``false_positive_rate`` of defences), which are then
    cancelled at the same rate: the cost.
    """

    kind: ClassVar[str] = "friction"
    revise: float = p(
        0.22,
        0.0,
        1.0,
        "of prompts",
        "share of prompted replies that are revised",
        cited(_KATSAROS, "22 of 100 prompts"),
    )
    cancel: float = p(
        0.09,
        0.0,
        1.0,
        "of prompts",
        "share of prompted replies that are cancelled",
        cited(_KATSAROS, "9 of 100 prompts"),
    )
    revised_outrage: float = p(
        0.0,
        0.0,
        1.0,
        "",
        "share of moral-emotional words a revised reply keeps",
        assumed("Twitter's blog: of 22 revised, 8 were less offensive, 13 neither more nor less, 1 more"),
    )
    false_positive_rate: float = p(
        0.05,
        0.0,
        1.0,
        "of defences",
        "share of benign replies (defences) also prompted",
        assumed("no false-positive rate of the prompt's classifier was found"),
    )
    prompts: int = field(default=0, init=False, repr=False)
    cancelled: int = field(default=0, init=False, repr=False)
    revised: int = field(default=0, init=False, repr=False)
    benign_cancelled: int = field(default=0, init=False, repr=False)

    def _check(self) -> None:
        if self.revise + self.cancel > 1.0:
            raise ValueError(f"revise + cancel = {self.revise + self.cancel:g}: expected at most 1")

    def review_posts(self, model: ModelView, t: int, posts: NewPosts) -> None:
        if not self.started(model, t):
            return
        attack = posts.action == ATTACK
        prompted = attack | ((posts.action == DEFEND) & (self.rng.random(len(posts)) < self.false_positive_rate))
        if not prompted.any():
            return
        self._acted(t)
        u = self.rng.random(len(posts))
        cancel = prompted & (u < self.cancel)
        revise = prompted & ~cancel & (u < self.cancel + self.revise)
        posts.keep &= ~cancel
        posts.words[revise] *= self.revised_outrage
        self.prompts += int(prompted.sum())
        self.cancelled += int((cancel & attack).sum())
        self.revised += int((revise & attack).sum())
        self.benign_cancelled += int((cancel & ~attack).sum())

    def report(self) -> dict[str, float]:
        return {
            "prompts": self.prompts,
            "attacks_cancelled": self.cancelled,
            "attacks_revised": self.revised,
            "benign_suppressed": self.benign_cancelled,
        }


@dataclass
class CircuitBreaker(Intervention):
    """A virality circuit breaker: a post shared fast has its algorithmic reach cut for a while.

    When a post's amplifications over the last hour reach ``threshold``, items of it (and of its
    amplifications), in feeds and in the trending channel, are shown with chance ``reach_factor``
    for ``duration`` hours (the "virality circuit breaker" proposed for review of fast-spreading
    posts; Bak-Coleman et al. 2022 model it as a cut in reach).
    """

    kind: ClassVar[str] = "circuit_breaker"
    threshold: float = p(10.0, 1.0, None, "shares/hour", "amplifications in the last hour that trip the breaker", _OURS)
    reach_factor: float = p(0.2, 0.0, 1.0, "", "share of the post's items still shown while tripped", _OURS)
    duration: float = p(6.0, 0.0, None, "hours", "how long the reach stays cut", _OURS)
    trips: int = field(default=0, init=False, repr=False)

    def setup(self, model: ModelView) -> None:
        self._until: dict[int, int] = {}  # post -> step at which its reach comes back
        self._window = max(1, round(model.clock.steps(60.0)))
        self._steps = math.ceil(model.clock.steps(self.duration * 60.0))

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        if not self.started(model, t):
            return None
        log = model.log
        first = int(np.searchsorted(log.step, t - self._window))
        recent = slice(first, len(log))
        shared = log.root[recent][log.action[recent] == AMPLIFY]  # reshares count for the original
        if len(shared):
            ids, n = np.unique(shared, return_counts=True)
            for q in ids[n >= self.threshold]:
                if self._until.get(int(q), -1) <= t:
                    self._until[int(q)] = t + self._steps
                    self.trips += 1
                    self._acted(t)
        self._until = {q: u for q, u in self._until.items() if u > t}
        if not self._until:
            return None
        tripped = np.fromiter(self._until, np.int64)
        hit = np.isin(log.root[post], tripped)
        return ~hit | (self.rng.random(len(post)) < self.reach_factor)

    def report(self) -> dict[str, float]:
        return {"breaker_trips": self.trips}


@dataclass
class DownRank(Intervention):
    """Down-ranking of hostile replies: attacks are shown less.

    Items of attacks, in feeds and trending, are shown with chance ``visibility`` (their author
    never sees their own posts in the model, so "everyone but the author" is everyone).
    """

    kind: ClassVar[str] = "downrank"
    visibility: float = p(0.5, 0.0, 1.0, "", "share of an attack's items still shown", _OURS)

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        if not self.started(model, t):
            return None
        attack = model.log.action[post] == ATTACK
        if not attack.any():
            return None
        self._acted(t)
        return ~attack | (self.rng.random(len(post)) < self.visibility)


@dataclass
class VictimProtection(Intervention):
    """Victim-side protection: the target goes private, as the #Buffy victim did.

    From ``start``, or from the first step after ``start`` at which ``after_attacks`` attacks have
    reached them (0: at ``start``). Then replies from users who do not follow the target no longer
    reach the target; nobody can amplify the target's posts; and the target's posts and their
    earlier amplifications are shown only to the target's followers (Twitter's protected accounts).
    """

    kind: ClassVar[str] = "protect"
    start: float = p(2.0, 0.0, None, "hours", "earliest time the target goes private", _OURS)
    after_attacks: int = p(
        0, 0, None, "attacks", "attacks received that make the target go private (0: at start)", _OURS
    )
    blocked_replies: int = field(default=0, init=False, repr=False)
    blocked_shares: int = field(default=0, init=False, repr=False)

    def setup(self, model: ModelView) -> None:
        self._follows = np.zeros(model.n_users, bool)
        self._follows[model.network.followers(model.target)] = True

    def begin_step(self, model: ModelView, t: int) -> None:
        if self.acted_at is None and self.started(model, t) and model.attacks_received >= self.after_attacks:
            self._acted(t)

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        if self.acted_at is None:
            return None
        log = model.log
        return (log.user[log.root[post]] != model.target) | self._follows[viewer]

    def review_posts(self, model: ModelView, t: int, posts: NewPosts) -> None:
        if self.acted_at is None:
            return
        outsider = ~self._follows[posts.author]
        reply = (posts.action == ATTACK) | (posts.action == DEFEND)
        self.blocked_replies += int((posts.reaches_target & reply & outsider).sum())
        posts.reaches_target &= ~(reply & outsider)
        log = model.log
        share = (posts.action == AMPLIFY) & (log.user[log.root[posts.parent]] == model.target)
        self.blocked_shares += int((share & posts.keep).sum())
        posts.keep &= ~share

    def report(self) -> dict[str, float]:
        return {"replies_not_received": self.blocked_replies, "shares_blocked": self.blocked_shares}


@dataclass
class Suspension(Intervention):
    """Suspension of accounts that attack repeatedly, by moderators working through a queue.

    An account with ``min_attacks`` or more attacks (counted from the start of the run) is
    flagged; it is reviewed ``delay`` minutes after it is flagged, at most ``capacity`` accounts
    an hour. The flagging classifier also fires on benign replies: each defence flags
    its author with chance ``false_positive_rate``, and such accounts are suspended too (the
    pipeline's false positives). A suspended user sees nothing, posts nothing, and their posts
    disappear from feeds.
    """

    kind: ClassVar[str] = "suspend"
    min_attacks: int = p(2, 1, None, "attacks", "attacks that get an account flagged", _OURS)
    delay: float = p(60.0, 0.0, None, "minutes", "time from flag to review", _OURS)
    capacity: float = p(200.0, 0.0, None, "accounts/hour", "accounts the moderators review per hour", _OURS)
    false_positive_rate: float = p(0.002, 0.0, 1.0, "per defence", "chance a benign reply flags its author", _OURS)
    suspended_users: int = field(default=0, init=False, repr=False)
    wrongly: int = field(default=0, init=False, repr=False)
    benign_hidden: int = field(default=0, init=False, repr=False)

    def setup(self, model: ModelView) -> None:
        n = model.n_users
        self._attacks = np.zeros(n, np.int32)
        self._flagged = np.zeros(n, bool)
        self._suspended = np.zeros(n, bool)
        self._queue: list[tuple[int, int]] = []  # (step reviewable, user), in flag order
        self._head = 0
        self._budget = 0.0
        self._read = 0  # log rows already looked at
        self._delay = math.ceil(model.clock.steps(self.delay))
        self._began = False

    def begin_step(self, model: ModelView, t: int) -> None:
        log = model.log
        new = slice(self._read, len(log))
        self._read = len(log)
        author, action = log.user[new], log.action[new]
        np.add.at(self._attacks, author[action == ATTACK], 1)  # counted from the start of the run
        if not self.started(model, t):
            return
        if not self._began:  # attacks made before ``start`` count at once
            self._began = True
            reached = np.flatnonzero(self._attacks >= self.min_attacks)
        else:
            reached = author[(action == ATTACK) & (self._attacks[author] >= self.min_attacks)]
        benign = author[(action == DEFEND) & (self.rng.random(len(author)) < self.false_positive_rate)]
        for u in np.unique(np.concatenate((reached, benign))):
            if not self._flagged[u] and u != model.target:
                self._flagged[u] = True
                self._queue.append((t + self._delay, int(u)))
        self._budget = min(self._budget + self.capacity * model.clock.step_minutes / 60.0, max(self.capacity, 1.0))
        while self._head < len(self._queue) and self._queue[self._head][0] <= t and self._budget >= 1.0:
            u = self._queue[self._head][1]
            self._head += 1
            self._budget -= 1.0
            self._suspended[u] = True
            self.suspended_users += 1
            self.wrongly += int(self._attacks[u] == 0)
            self.benign_hidden += int(((log.user == u) & (log.valence >= 0)).sum())
            self._acted(t)

    def idle(self, model: ModelView, t: int) -> bool:
        waiting = not self._began and bool(np.any(self._attacks >= self.min_attacks))  # to flag at start
        return self._head == len(self._queue) and self._read == len(model.log) and not waiting

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        if self.acted_at is None:
            return None
        log = model.log
        return ~(self._suspended[viewer] | self._suspended[log.user[post]] | self._suspended[log.user[log.root[post]]])

    def report(self) -> dict[str, float]:
        return {
            "suspended_users": self.suspended_users,
            "wrongly_suspended": self.wrongly,
            "benign_suppressed": self.benign_hidden,
        }


@dataclass
class CounterSpeech(Intervention):
    """A counter-speech campaign (a counter-hashtag such as #harcelementdomicile).

    From ``start``, supportive users' reply propensity is multiplied by ``boost``, and ``posts`` campaign posts
    (uses of the hashtag) are made over ``duration`` hours by users drawn in proportion to their
    activity: a share ``mocking`` of them are hostile uses (hostile users mocking the target under
    the hashtag, posted as attacks), the rest defences by supportive users. The posts spread like
    any other, so what users see shifts toward support, and norm learning (Brady et al. 2021) does
    the rest.
    """

    kind: ClassVar[str] = "counter_speech"
    start: float = p(3.0, 0.0, None, "hours", "time the campaign is launched", _OURS)
    posts: int = p(
        600,
        0,
        None,
        "posts",
        "campaign posts over the campaign (an absolute number: the same campaign at any size)",
        assumed("#Buffy's counter-hashtag was used more than 1,300 times [S]"),
    )
    duration: float = p(6.0, 0.01, None, "hours", "time over which the campaign posts are made", _OURS)
    boost: float = p(2.0, 1.0, 100.0, "", "multiplier on supportive users' reply propensity", _OURS)
    mocking: float = p(
        0.0,
        0.0,
        1.0,
        "of campaign posts",
        "share of the campaign's posts that are hostile uses of the hashtag",
        assumed("a pure campaign by default; #Buffy's was used 'much of it to mock her' [S], no share given"),
    )
    campaign_posts: int = field(default=0, init=False, repr=False)
    mocking_posts: int = field(default=0, init=False, repr=False)

    def setup(self, model: ModelView) -> None:
        self._pool, self._cum = _by_activity(model, model.users.stance > 0)
        self._mockers, self._mockers_cum = _by_activity(model, model.users.stance < 0)
        self._rate = self.posts / model.clock.steps(self.duration * 60.0)
        self._end = model.clock.steps((self.start + self.duration) * 60.0)
        # The posts follow the circadian profile, with ``posts`` expected over the whole campaign.
        first = math.ceil(model.clock.steps(self.start * 60.0))
        window = model.clock.activity[first : math.ceil(self._end)]
        self._mean_activity = float(window.mean()) if len(window) else 1.0

    def begin_step(self, model: ModelView, t: int) -> None:
        if not self.started(model, t) or t >= self._end or not len(self._pool):
            return
        if self.acted_at is None:
            self._acted(t)
            model.scale_propensity(self._pool, "reply", self.boost)
        k = self.rng.poisson(self._rate * model.clock.activity[t] / self._mean_activity)
        if k == 0:
            return
        mock = self.rng.binomial(k, self.mocking) if self.mocking > 0 and len(self._mockers) else 0
        k -= mock
        if k:
            authors = self._pool[np.searchsorted(self._cum, self.rng.random(k) * self._cum[-1])]
            words = self.rng.poisson(model.params.defend_outrage, k).astype(np.float32)
            ids = model.submit(authors, np.full(k, DEFEND, np.int8), np.zeros(k, np.int64), words)  # policies apply
            self.campaign_posts += len(ids)
        if mock:
            authors = self._mockers[np.searchsorted(self._mockers_cum, self.rng.random(mock) * self._mockers_cum[-1])]
            words = self.rng.poisson(model.params.attack_outrage, mock).astype(np.float32)
            ids = model.submit(authors, np.full(mock, ATTACK, np.int8), np.zeros(mock, np.int64), words)
            self.campaign_posts += len(ids)
            self.mocking_posts += len(ids)

    def idle(self, model: ModelView, t: int) -> bool:
        return t + 1 >= self._end or not len(self._pool)

    def report(self) -> dict[str, float]:
        return {"campaign_posts": self.campaign_posts, "mocking_posts": self.mocking_posts}


def _by_activity(model: ModelView, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The users of ``mask`` (less the target) and the cumulative share of their session rates,
    to draw authors in proportion to activity."""
    users = np.flatnonzero(mask)
    users = users[users != model.target]
    rate = model.users.sessions_per_day[users].astype(np.float64)
    return users, (np.cumsum(rate) / rate.sum() if len(rate) else rate)


@dataclass
class Removal(Intervention):
    """Removal of the seed post or of the most shared attacks, after a moderation delay.

    Removes the seed post (``what = "seed"``), or every hostile post (an attack) amplified ``min_shares`` times or more (``what = "hostile"``), each
    ``delay`` minutes after it was posted (or as soon as it qualifies, if later). A removed post
    and its amplifications disappear from feeds and trending.
    """

    kind: ClassVar[str] = "removal"
    what: str = choice(
        "hostile", ("hostile", "seed"), "what is removed: the most shared attacks, or the seed post", _OURS
    )
    delay: float = p(60.0, 0.0, None, "minutes", "time from posting to removal", _OURS)
    min_shares: int = p(
        3, 0, None, "amplifications", "amplifications that make an attack removable (what = hostile)", _OURS
    )
    removed: int = field(default=0, init=False, repr=False)
    benign_removed: int = field(default=0, init=False, repr=False)

    def setup(self, model: ModelView) -> None:
        self._shares = np.zeros(1024, np.int32)  # amplifications of each post so far
        self._gone = np.zeros(1024, bool)
        self._read = 0  # log rows already counted
        self._ripe = 0  # posts [0, _ripe) are at least `delay` old
        self._delay = math.ceil(model.clock.steps(self.delay))

    def _ensure(self, n: int) -> None:
        """Room for ``n`` posts (posts can be made after this step's ``begin_step``)."""
        if len(self._gone) < n:
            size = max(2 * len(self._gone), n)
            self._shares = np.concatenate((self._shares, np.zeros(size - len(self._shares), np.int32)))
            self._gone = np.concatenate((self._gone, np.zeros(size - len(self._gone), bool)))

    def begin_step(self, model: ModelView, t: int) -> None:
        log = model.log
        self._ensure(len(log))
        new = slice(self._read, len(log))
        self._read = len(log)
        shared = log.root[new][log.action[new] == AMPLIFY]  # reshares count for the original
        np.add.at(self._shares, shared, 1)
        if not self.started(model, t):
            return
        # Candidates: posts that have just come of age, and older ones that have just been shared.
        ripe = int(np.searchsorted(log.step, t - self._delay, side="right"))
        older = shared[shared < self._ripe]
        candidate = np.concatenate((np.arange(self._ripe, ripe), older))
        self._ripe = ripe
        if self.what == "seed":
            due = candidate[log.action[candidate] == SEED]
        else:
            due = candidate[(log.action[candidate] == ATTACK) & (self._shares[candidate] >= self.min_shares)]
        due = np.unique(due[~self._gone[due]])
        if not len(due):
            return
        self._acted(t)
        self._gone[due] = True
        self.removed += len(due)
        self.benign_removed += int((log.valence[due] >= 0).sum())

    def idle(self, model: ModelView, t: int) -> bool:
        log = model.log
        if self._read < len(log):
            return False
        self._ensure(len(log))
        young = np.arange(self._ripe, len(log))  # posts not yet old enough to remove
        kind = log.action[young]
        due = (kind == SEED) if self.what == "seed" else (kind == ATTACK) & (self._shares[young] >= self.min_shares)
        return not np.any(due & ~self._gone[young])

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        if self.acted_at is None:
            return None
        log = model.log
        self._ensure(len(log))
        return ~self._gone[log.root[post]]

    def report(self) -> dict[str, float]:
        return {"posts_removed": self.removed, "benign_suppressed": self.benign_removed}


KINDS: dict[str, type[Intervention]] = {
    c.kind: c for c in (Friction, CircuitBreaker, DownRank, VictimProtection, Suspension, CounterSpeech, Removal)
}


def sources() -> dict[str, Source | None]:
    """Where each intervention parameter's default comes from, as ``{"kind.name": source}``."""
    return {f"{kind}.{name}": spec.source for kind, cls in KINDS.items() for name, spec in specs(cls).items()}


def assumed_names() -> list[str]:
    """The intervention parameters whose defaults are assumed (``kind.name``): what a robustness
    study of the policies must vary."""
    return [name for name, source in sources().items() if source is not None and source.kind == "assumed"]


def make(settings: dict[str, Any], where: str = "intervention") -> Intervention:
    """Build an intervention from ``{"kind": ..., parameter: value}`` (a config file's table).

    Raises:
        ValueError: unknown kind or parameter, or a bad value; the message names it and ``where``.
    """
    settings = dict(settings)
    kind = settings.pop("kind", None)
    if not isinstance(kind, str | None):
        raise ValueError(f"{where}: kind={kind!r}: expected the name of an intervention ({', '.join(KINDS)})")
    if kind not in KINDS:
        known = ", ".join(KINDS)
        if kind is None:
            raise ValueError(f"{where}: missing 'kind' (one of {known})")
        raise ValueError(f"{where}: {unknown_name_message(str(kind), KINDS, 'intervention kind')}; known: {known}")
    cls = KINDS[kind]
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    for key in settings:
        if key not in names:
            raise ValueError(
                f"{where}: {unknown_name_message(key, names, kind + ' parameter')}; known: {', '.join(names)}"
            )
    try:
        return cls(**settings)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
