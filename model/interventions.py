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
received) and the only three ways it may act on it (``submit`` posts, ``withdraw`` posts,
``scale_propensity``); it never reaches into the engine.

What a platform knows: the label-based interventions (friction, down-ranking, removal of hostile
posts, suspension) act on the verdict of the platform's classifier (``log.flagged``, and
``posts.flagged`` for would-be posts), drawn once per post with the run's ``classifier_recall``
and ``classifier_false_positive_rate``, never on the true action, which they read only to count
what they cost.

An intervention overrides the hooks it needs (most one, a few two) and never looks at another:
masks from several filters multiply, cancellations add up. ``setup(model)`` is called once when
the model is built, on the model's own copy of the object (so one list can serve many runs), and
``report()`` returns the intervention's own counts for the results, with the costs under the
shared names of :data:`model.results.COSTS` (``benign_suppressed``, ``benign_prompted``,
``benign_downranked``, ``benign_removed``, ``wrongly_suspended``), which add up across
interventions.

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
    the target (counted in the log, not in ``attacks_received``); ``flagged`` is the platform
    classifier's verdict on each (read it, do not change it).
    """

    author: np.ndarray
    action: np.ndarray
    parent: np.ndarray
    valence: np.ndarray
    words: np.ndarray
    keep: np.ndarray
    reaches_target: np.ndarray
    flagged: np.ndarray

    def __len__(self) -> int:
        return len(self.author)


class PostMarks:
    """A mark per post id, growing with the log: which posts an intervention has acted on."""

    def __init__(self) -> None:
        self.marked = np.zeros(1024, bool)

    def grow(self, n: int) -> None:
        """Room for ``n`` posts."""
        if len(self.marked) < n:
            self.marked = np.concatenate((self.marked, np.zeros(max(len(self.marked), n - len(self.marked)), bool)))

    def mark(self, posts: np.ndarray) -> np.ndarray:
        """Mark posts; returns those not marked before (each once)."""
        posts = np.unique(posts)
        self.grow(int(posts[-1]) + 1 if len(posts) else 0)
        new = posts[~self.marked[posts]]
        self.marked[new] = True
        return new


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
        """Counts for the results; costs under the shared names of ``model.results.COSTS``."""
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


def _benign(valence: np.ndarray) -> np.ndarray:
    """Posts that are not hostile (defences, the seed post, amplifications of them)."""
    return valence >= 0


@dataclass
class Friction(Intervention):
    """An "are you sure?" prompt on the replies the platform's classifier flags.

    A reply (attack or defence) that the classifier flags (``classifier_recall`` of attacks,
    ``classifier_false_positive_rate`` of the rest) is prompted; per prompt a share ``cancel`` is
    cancelled and a share ``revise`` posted with ``revised_outrage`` of its moral-emotional words
    (so less contagious; it still reaches the target). Defaults from Katsaros et al. 2022 (ICWSM,
    Twitter's reply prompts): per 100 prompts, 69 sent as is, 22 revised, 9 cancelled; those
    shares are of all prompts, so prompted benign replies are cancelled at the same rate (the
    cost: ``benign_prompted``, and ``benign_suppressed`` for those cancelled).

    The lasting effect: from a user's first prompt on, their attack propensity is multiplied by
    ``later_attacks`` (Twitter 2021, "Tweeting with consideration": after being prompted once,
    people composed on average 11% fewer offensive replies in the future; applied once per user,
    for the rest of the run). With ``treated_share`` below 1 only that random share of users are
    ever prompted, as in Katsaros's randomised trial; the run then counts the attacks each group
    posted (``treated_attacks``, ``control_attacks``, ``treated_users``, ``control_users``).
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
    later_attacks: float = p(
        0.89,
        0.0,
        1.0,
        "x",
        "multiplier on a prompted user's attack propensity from the first prompt on",
        cited("Twitter 2021, 'Tweeting with consideration'", "11% fewer offensive replies after one prompt: 0.89"),
    )
    treated_share: float = p(
        1.0,
        0.0,
        1.0,
        "of users",
        "share of users, drawn at random, who can be prompted (below 1: a randomised trial)",
        assumed("a setting: 1 is the policy, below 1 a trial as in Katsaros et al."),
    )
    prompts: int = field(default=0, init=False, repr=False)
    cancelled: int = field(default=0, init=False, repr=False)
    revised: int = field(default=0, init=False, repr=False)
    benign_prompted: int = field(default=0, init=False, repr=False)
    benign_cancelled: int = field(default=0, init=False, repr=False)
    treated_attacks: int = field(default=0, init=False, repr=False)
    control_attacks: int = field(default=0, init=False, repr=False)

    def _check(self) -> None:
        if self.revise + self.cancel > 1.0:
            raise ValueError(f"revise + cancel = {self.revise + self.cancel:g}: expected at most 1")

    def setup(self, model: ModelView) -> None:
        self._prompted_users = np.zeros(model.n_users, bool)
        self._treated = self.rng.random(model.n_users) < self.treated_share if self.treated_share < 1.0 else None

    def review_posts(self, model: ModelView, t: int, posts: NewPosts) -> None:
        if not self.started(model, t):
            return
        attack = posts.action == ATTACK
        prompted = (attack | (posts.action == DEFEND)) & posts.flagged
        if self._treated is not None:
            prompted &= self._treated[posts.author]
        if prompted.any():
            self._acted(t)
            u = self.rng.random(len(posts))
            cancel = prompted & (u < self.cancel)
            revise = prompted & ~cancel & (u < self.cancel + self.revise)
            posts.keep &= ~cancel
            posts.words[revise] *= self.revised_outrage
            self.prompts += int(prompted.sum())
            self.cancelled += int((cancel & attack).sum())
            self.revised += int((revise & attack).sum())
            self.benign_prompted += int((prompted & ~attack).sum())
            self.benign_cancelled += int((cancel & ~attack).sum())
            first = np.unique(posts.author[prompted])
            first = first[~self._prompted_users[first]]
            self._prompted_users[first] = True
            if self.later_attacks != 1.0:
                model.scale_propensity(first, "attack", self.later_attacks)
        if self._treated is not None:
            sent = attack & posts.keep
            treated = self._treated[posts.author]
            self.treated_attacks += int((sent & treated).sum())
            self.control_attacks += int((sent & ~treated).sum())

    def report(self) -> dict[str, float]:
        out = {
            "prompts": self.prompts,
            "prompted_users": int(self._prompted_users.sum()),
            "attacks_cancelled": self.cancelled,
            "attacks_revised": self.revised,
            "benign_prompted": self.benign_prompted,
            "benign_suppressed": self.benign_cancelled,
        }
        if self._treated is not None:
            out |= {
                "treated_users": int(self._treated.sum()),
                "control_users": int((~self._treated).sum()),
                "treated_attacks": self.treated_attacks,
                "control_attacks": self.control_attacks,
            }
        return out


@dataclass
class Nudge(Intervention):
    """A nudge on sharing ("read before you share"): everyone's propensity to amplify is cut.

    From ``start``, every user's propensity to amplify is multiplied by 1 - ``reduction``.
    Bak-Coleman et al. 2022 (Nature Human Behaviour) model nudges that cut sharing by 5, 10, 20
    and 40%. Its cost, benign shares not made, is not counted post by post (they never exist):
    compare ``amplifications`` with the baseline's.
    """

    kind: ClassVar[str] = "nudge"
    reduction: float = p(
        0.1,
        0.0,
        1.0,
        "of sharing",
        "cut in every user's propensity to amplify (Bak-Coleman: 0.05-0.4)",
        assumed("a setting: Bak-Coleman et al. 2022 modelled nudges of 5, 10, 20 and 40%"),
    )

    def begin_step(self, model: ModelView, t: int) -> None:
        if self.acted_at is None and self.started(model, t) and self.reduction > 0:
            self._acted(t)
            model.scale_propensity(np.arange(model.n_users), "amplify", 1.0 - self.reduction)


@dataclass
class CircuitBreaker(Intervention):
    """A virality circuit breaker: a post shared fast has its algorithmic reach cut for a while.

    When a post's amplifications over the last hour reach ``threshold``, items of it (and of its
    amplifications), in feeds and in the trending channel, are shown with chance ``reach_factor``
    for ``duration`` hours (the "virality circuit breaker" proposed for review of fast-spreading
    posts; Bak-Coleman et al. 2022 model it as a cut in reach). It reads share counts, not the
    classifier, so it trips on benign posts too (the seed post first): ``benign_downranked``.
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
        self._tripped: set[int] = set()
        self._benign = 0

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
                q = int(q)
                if self._until.get(q, -1) <= t:
                    self._until[q] = t + self._steps
                    self.trips += 1
                    self._acted(t)
                    if q not in self._tripped:
                        self._tripped.add(q)
                        self._benign += int(log.valence[q] >= 0)
        self._until = {q: u for q, u in self._until.items() if u > t}
        if not self._until:
            return None
        tripped = np.fromiter(self._until, np.int64)
        hit = np.isin(log.root[post], tripped)
        return ~hit | (self.rng.random(len(post)) < self.reach_factor)

    def report(self) -> dict[str, float]:
        return {"breaker_trips": self.trips, "benign_downranked": getattr(self, "_benign", 0)}


@dataclass
class DownRank(Intervention):
    """Down-ranking of what the platform's classifier flags: flagged posts are shown less.

    Items of a flagged post and of its amplifications, in feeds and trending, are shown with
    chance ``visibility`` (their author never sees their own posts in the model, so "everyone
    but the author" is everyone). Flagged benign posts are the cost (``benign_downranked``).
    """

    kind: ClassVar[str] = "downrank"
    visibility: float = p(0.5, 0.0, 1.0, "", "share of a flagged post's items still shown", _OURS)
    attacks_downranked: int = field(default=0, init=False, repr=False)
    benign_downranked: int = field(default=0, init=False, repr=False)

    def setup(self, model: ModelView) -> None:
        self._met = PostMarks()  # originals whose items have been down-ranked

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        if not self.started(model, t):
            return None
        log = model.log
        hit = log.flagged[post]
        if not hit.any():
            return None
        self._acted(t)
        new = self._met.mark(log.root[post[hit]])
        benign = int(_benign(log.valence[new]).sum())
        self.benign_downranked += benign
        self.attacks_downranked += len(new) - benign
        return ~hit | (self.rng.random(len(post)) < self.visibility)

    def report(self) -> dict[str, float]:
        return {"attacks_downranked": self.attacks_downranked, "benign_downranked": self.benign_downranked}


@dataclass
class VictimProtection(Intervention):
    """Victim-side protection: the target makes her account private, as the #Buffy victim did.

    From ``start``, or from the first step after ``start`` at which ``after_attacks`` attacks have
    reached her (0: at ``start``). What it changes is what Twitter's help page on protected posts
    documents: her posts, and their earlier amplifications, are shown only to her followers (in
    feeds and in the trending channel, which stands for search and trends); nobody can amplify
    (repost or quote) them. Protecting does not stop others from mentioning or replying to her:
    their replies still reach her. Hiding notifications from accounts that do not follow her is
    a separate, opt-in filter (Twitter's advanced notification filters): ``filter_mentions``.
    """

    kind: ClassVar[str] = "protect"
    start: float = p(2.0, 0.0, None, "hours", "earliest time the target goes private", _OURS)
    after_attacks: int = p(
        0, 0, None, "attacks", "attacks received that make the target go private (0: at start)", _OURS
    )
    filter_mentions: bool = p(
        False,
        None,
        None,
        "",
        "she also filters notifications from accounts that do not follow her (opt-in)",
        assumed("a setting: Twitter's protected accounts still receive replies and mentions by default"),
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
        if self.filter_mentions:
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
    """Suspension of accounts the classifier flags repeatedly, by moderators working through a queue.

    An account with ``min_flags`` or more posts (replies) that the classifier flagged, counted
    from the start of the run, is queued; it is reviewed ``delay`` minutes later, at most
    ``capacity`` accounts an hour, and suspended (the review confirms the classifier: no second
    check). A suspended user sees nothing and posts nothing (campaign posts included), and their
    posts and the amplifications of them disappear from feeds and leave the case's trending
    volume. Accounts suspended without having attacked are the classifier's false positives
    (``wrongly_suspended``).
    """

    kind: ClassVar[str] = "suspend"
    min_flags: int = p(2, 1, None, "flagged posts", "flagged replies that queue an account for review", _OURS)
    delay: float = p(60.0, 0.0, None, "minutes", "time from flag to review", _OURS)
    capacity: float = p(200.0, 0.0, None, "accounts/hour", "accounts the moderators review per hour", _OURS)
    suspended_users: int = field(default=0, init=False, repr=False)
    wrongly: int = field(default=0, init=False, repr=False)
    benign_hidden: int = field(default=0, init=False, repr=False)
    posts_blocked: int = field(default=0, init=False, repr=False)

    def setup(self, model: ModelView) -> None:
        n = model.n_users
        self._flags = np.zeros(n, np.int32)  # flagged replies of each user
        self._attacks = np.zeros(n, np.int32)  # attacks of each user (for counting the false positives)
        self._queued = np.zeros(n, bool)
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
        reply = (action == ATTACK) | (action == DEFEND)
        np.add.at(self._flags, author[reply & log.flagged[new]], 1)  # counted from the start of the run
        np.add.at(self._attacks, author[action == ATTACK], 1)
        if not self.started(model, t):
            return
        if not self._began:  # posts flagged before ``start`` count at once
            self._began = True
            reached = np.flatnonzero(self._flags >= self.min_flags)
        else:
            reached = author[reply & (self._flags[author] >= self.min_flags)]
        for u in np.unique(reached):
            if not self._queued[u] and u != model.target:
                self._queued[u] = True
                self._queue.append((t + self._delay, int(u)))
        self._budget = min(self._budget + self.capacity * model.clock.step_minutes / 60.0, max(self.capacity, 1.0))
        while self._head < len(self._queue) and self._queue[self._head][0] <= t and self._budget >= 1.0:
            u = self._queue[self._head][1]
            self._head += 1
            self._budget -= 1.0
            self._suspend(model, u)
            self._acted(t)

    def _suspend(self, model: ModelView, u: int) -> None:
        log = model.log
        self._suspended[u] = True
        self.suspended_users += 1
        self.wrongly += int(self._attacks[u] == 0)
        own = log.user == u
        self.benign_hidden += int((own & _benign(log.valence)).sum())
        model.withdraw(np.flatnonzero(own | (log.user[log.root] == u)))

    def idle(self, model: ModelView, t: int) -> bool:
        waiting = not self._began and bool(np.any(self._flags >= self.min_flags))  # to queue at start
        return self._head == len(self._queue) and self._read == len(model.log) and not waiting

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        if self.acted_at is None:
            return None
        log = model.log
        return ~(self._suspended[viewer] | self._suspended[log.user[post]] | self._suspended[log.user[log.root[post]]])

    def review_posts(self, model: ModelView, t: int, posts: NewPosts) -> None:
        if self.acted_at is None:
            return
        blocked = posts.keep & self._suspended[posts.author]  # a suspended user's campaign posts
        if blocked.any():
            posts.keep &= ~blocked
            self.posts_blocked += int(blocked.sum())
            self.benign_hidden += int((blocked & _benign(posts.valence)).sum())

    def report(self) -> dict[str, float]:
        return {
            "suspended_users": self.suspended_users,
            "wrongly_suspended": self.wrongly,
            "suspended_posts_blocked": self.posts_blocked,
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
    the rest. A counter-hashtag is another hashtag: by default the campaign posts do not count
    toward the case's trending volume (``in_volume``).
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
    in_volume: bool = p(
        False,
        None,
        None,
        "",
        "campaign posts count toward the case's trending volume (false: their own hashtag)",
        assumed("a setting: a counter-hashtag trends on its own volume"),
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
            ids = model.submit(
                authors, np.full(k, DEFEND, np.int8), np.zeros(k, np.int64), words, self.in_volume
            )  # policies apply
            self.campaign_posts += len(ids)
        if mock:
            authors = self._mockers[np.searchsorted(self._mockers_cum, self.rng.random(mock) * self._mockers_cum[-1])]
            words = self.rng.poisson(model.params.attack_outrage, mock).astype(np.float32)
            ids = model.submit(authors, np.full(mock, ATTACK, np.int8), np.zeros(mock, np.int64), words, self.in_volume)
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
    """Removal of posts after a moderation delay: flagged ones, the seed post, or every post.

    ``what = "hostile"``: every original post the platform's classifier flags, once amplified
    ``min_shares`` times or more (attacks it misses stay; benign posts it flags go: the cost,
    ``benign_removed``); ``"seed"``: the target's post; ``"all"``: every post of the case (as
    Bak-Coleman et al. 2022 remove every instance of a misinformation event). Each is removed
    ``delay`` minutes after it was posted (or as soon as it qualifies, if later). A removed post
    and its amplifications disappear from feeds and trending and leave the case's volume.
    """

    kind: ClassVar[str] = "removal"
    what: str = choice(
        "hostile",
        ("hostile", "seed", "all"),
        "what is removed: the posts the classifier flags (once shared), the seed post, or every post",
        _OURS,
    )
    delay: float = p(60.0, 0.0, None, "minutes", "time from posting to removal", _OURS)
    min_shares: int = p(
        3, 0, None, "amplifications", "amplifications that make a flagged post removable (hostile)", _OURS
    )
    removed: int = field(default=0, init=False, repr=False)
    attacks_removed: int = field(default=0, init=False, repr=False)
    benign_removed: int = field(default=0, init=False, repr=False)

    def setup(self, model: ModelView) -> None:
        self._shares = np.zeros(1024, np.int32)  # amplifications of each post so far
        self._gone = PostMarks()
        self._read = 0  # log rows already counted
        self._ripe = 0  # posts [0, _ripe) are at least `delay` old
        self._delay = math.ceil(model.clock.steps(self.delay))

    def _ensure(self, n: int) -> None:
        """Room for ``n`` posts (posts can be made after this step's ``begin_step``)."""
        if len(self._shares) < n:
            self._shares = np.concatenate(
                (self._shares, np.zeros(max(len(self._shares), n - len(self._shares)), np.int32))
            )
        self._gone.grow(n)

    def _due(self, log: Any, posts: np.ndarray) -> np.ndarray:
        """Of ``posts``, those this removal takes down (once old enough)."""
        kind = log.action[posts]
        if self.what == "seed":
            return posts[kind == SEED]
        original = kind != AMPLIFY  # an amplification goes with its original
        if self.what == "all":
            return posts[original]
        return posts[original & log.flagged[posts] & (self._shares[posts] >= self.min_shares)]

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
        due = self._due(log, candidate)
        due = np.unique(due[~self._gone.marked[due]])
        if not len(due):
            return
        self._acted(t)
        self._gone.mark(due)
        self.removed += len(due)
        self.attacks_removed += int((log.action[due] == ATTACK).sum())
        self.benign_removed += int(_benign(log.valence[due]).sum())
        first = int(due[0])  # the removed posts and their amplifications (which come after them)
        model.withdraw(first + np.flatnonzero(self._gone.marked[log.root[first:]]))

    def idle(self, model: ModelView, t: int) -> bool:
        log = model.log
        if self._read < len(log):
            return False
        self._ensure(len(log))
        young = np.arange(self._ripe, len(log))  # posts not yet old enough to remove
        due = self._due(log, young)
        return not np.any(~self._gone.marked[due])

    def filter_items(self, model: ModelView, t: int, viewer: np.ndarray, post: np.ndarray) -> np.ndarray | None:
        if self.acted_at is None:
            return None
        log = model.log
        self._ensure(len(log))
        return ~self._gone.marked[log.root[post]]

    def report(self) -> dict[str, float]:
        return {
            "posts_removed": self.removed,
            "attacks_removed": self.attacks_removed,
            "benign_removed": self.benign_removed,
            "benign_suppressed": self.benign_removed,
        }


KINDS: dict[str, type[Intervention]] = {
    c.kind: c for c in (Friction, Nudge, CircuitBreaker, DownRank, VictimProtection, Suspension, CounterSpeech, Removal)
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
