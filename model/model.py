"""OutrageModel: a pile-on on a follower graph, one Mesa model step per simulated minute."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from . import scenarios
from .clock import Clock
from .decisions import ACTIONS, AMPLIFY, ATTACK, DEFEND, SEED, Rules, Seen, react
from .feed import Calendar, Outgoing, Reach, fan_out, still_visible
from .interventions import Intervention, NewPosts
from .network import Network, network_rng
from .params import ExposureParams, Params
from .population import Population
from .results import EventLog, RunResult
from .sampling import WeightedSampler
from .view import ModelView


@dataclass(frozen=True)
class UserView:
    """A read-only look at one user (for inspection; the engine never builds these)."""

    index: int
    stance: float
    sessions_per_day: float
    followers: int
    posts_seen: int
    hostile_seen: int
    supportive_seen: int
    actions: int
    posts: list[dict[str, Any]]


class OutrageModel(mesa.Model):
    """Agent-based outrage cascade: users (numpy arrays) react to a seed post and to each other.

    Args:
        params: all parameters; defaults to ``Params()`` or the named ``preset``.
        seed: seed of the run's single ``numpy.random.Generator`` (``self.rng``); None draws one
            from the operating system and records it in ``self.seed`` and the results.
        network: a follower graph to use instead of generating one (``n_users`` then follows it).
            A generated graph is drawn from its own stream (:func:`model.network.network_rng`),
            so passing ``Network.generate(params.network, network_rng(seed))`` (or that graph
            saved and loaded) with ``generated=True`` gives the same run as passing nothing.
        generated: ``network`` is the graph this run would generate (a sweep's saved graph): the
            target then gets exactly ``target_followers`` followers (``target_exact``) as in a
            generated run. A graph read from a file (the default) keeps its own.
        preset: name of a scenario in :mod:`model.scenarios` (e.g. ``"buffy"``) used as the base.
        interventions: policies applied in this run (:mod:`model.interventions`), in list order;
            the model works on its own copies, so one list can serve many runs.
        **overrides: flat parameter names to change, e.g. ``n_users=10_000``; unknown names are
            an error. This is what lets ``mesa.batch_run`` sweep parameters.
    """

    def __init__(
        self,
        params: Params | None = None,
        seed: int | None = None,
        *,
        network: Network | None = None,
        generated: bool = False,
        preset: str | None = None,
        interventions: Sequence[Intervention] = (),
        **overrides: Any,
    ):
        if seed is None:  # draw one from the OS, so that the run's record can reproduce it
            seed = int(np.random.SeedSequence().entropy % 2**63)
        super().__init__(rng=seed)
        base = params if params is not None else (scenarios.get(preset) if preset else Params())
        if network is not None:
            overrides["n_users"] = network.n
        self.params = base.replace(**overrides) if overrides else base
        self.seed = seed
        P = self.params
        self.network = network if network is not None else Network.generate(P.network, network_rng(seed))
        n = self.network.n
        self.population = Population.draw(P.population, n, self.rng)
        self.n_steps = max(1, math.ceil(P.horizon_hours * 60.0 / P.step_minutes))
        self.clock = Clock(P.seed_clock, P.step_minutes, self.n_steps)
        self._halflife_steps = P.visibility_halflife / P.step_minutes
        self._window = max(1, round(60.0 / P.step_minutes))  # steps in one hour
        self._by_activity = WeightedSampler(self.population.sessions_per_day)
        followers = self.network.follower_counts()
        self.target = int(np.argmin(np.abs(followers - P.target_followers)))
        if (network is None or generated) and P.target_exact:  # a generated graph: the target gets exactly its audience
            audience = min(P.target_followers, n - 1)
            plant = np.random.default_rng(np.random.SeedSequence([seed, _TARGET_STREAM]))
            self.network = self.network.with_followers(self.target, audience, plant)
        self._rules = Rules.of(P.decisions)
        self._reach = Reach(reply_reach=P.reply_reach, skip_user=self.target, sessions=P.sessions)

        self.pulse_rate = pulse_schedule(P.exposure, self.n_steps, P.step_minutes, seed)
        self.calendar = Calendar(self.n_steps)
        self.log = EventLog()
        self.counts = np.zeros((self.n_steps, len(ACTIONS)), np.int64)
        # Posts of each step that count toward the case's trending volume: less campaign posts under
        # their own hashtag, and less posts withdrawn since (removed, or by a suspended user).
        self.volume = np.zeros(self.n_steps, np.int64)
        self.cancelled = np.zeros((self.n_steps, len(ACTIONS)), np.int64)  # would-be posts cancelled
        self.hostile_views = np.zeros(self.n_steps, np.int64)  # hostile posts seen by bystanders
        self.attacks_received = 0  # attacks that reached the target so far
        self.exposures = np.zeros(self.n_steps, np.int64)
        self.views = np.zeros(self.n_steps, np.int64)
        self.trend_step: int | None = None
        self.t = 0  # the step being simulated (0 = the minute of the seed post)

        self.datacollector = mesa.DataCollector(
            model_reporters={name: _count_reporter(i) for i, name in enumerate(ACTIONS)}
            | {"exposures": _exposure_reporter, "views": _view_reporter}
        )
        # Fresh copies (``dataclasses.replace`` re-creates their run-time state), each with its own
        # generator derived from the run's seed, so that an intervention's draws never shift the
        # model's own stream (see model/interventions.py). They see the run through the view.
        self.view = ModelView(self)
        # The platform's classifier draws its verdicts from its own stream too (model/params.py,
        # ClassifierParams), so that a run without interventions is the same with or without it.
        self._classifier_rng = np.random.default_rng(np.random.SeedSequence([seed, _CLASSIFIER_STREAM]))
        self.interventions = [dataclasses.replace(iv) for iv in interventions]
        for i, iv in enumerate(self.interventions):
            iv.rng = np.random.default_rng(np.random.SeedSequence([seed, _INTERVENTION_STREAM, i]))
            iv.setup(self.view)
        self.post(np.array([self.target]), np.array([SEED]), np.array([-1]), np.array([P.seed_outrage]))

    # -- the step ---------------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one step (``step_minutes`` of clock time). Order of work:

        1. interventions' ``begin_step`` (their state changes, campaign posts);
        2. sessions: take the feed items of users who open the app in this step;
        3. visibility: drop items whose post has left the feed (``visibility_halflife``);
        4. trending: if the case's volume over the last hour (its posts, less campaign posts under
           their own hashtag and posts withdrawn since) passes ``trend_threshold``, some of the
           users opening the app now are shown a recent post of it; during an exogenous
           attention pulse (``pulse_rate``), some are shown any post of it;
        5. interventions' ``filter_items`` on the feed and trending items;
        6. reading: each viewer adds what it saw to its counts (volume, hostile, supportive);
        7. deciding: action probabilities per item, at most one action per viewer;
        8. interventions' ``review_posts`` on the would-be posts (cancel, revise, block);
        9. posting: log the new posts and put them in their authors' followers' feeds.

        The run ends at the horizon, or earlier once feeds are empty, the case cannot trend and no
        intervention has work pending (nothing can happen after that).
        """
        t = self.t = self.steps - 1
        if t >= self.n_steps:
            self.running = False
            return
        for iv in self.interventions:
            iv.begin_step(self.view, t)
        viewer, post, shown_at = self.calendar.pop(t)
        self.exposures[t] = len(viewer)
        if self.params.decay and len(viewer):
            keep = still_visible(t - shown_at, self._halflife_steps, self.rng, self.params.visibility_tail)
            viewer, post = viewer[keep], post[keep]
        for extra_viewer, extra_post in (self._trend(t), self._pulse(t)):
            if len(extra_viewer):
                self.exposures[t] += len(extra_viewer)
                viewer = np.concatenate((viewer, extra_viewer))
                post = np.concatenate((post, extra_post))
        if len(viewer):
            for iv in self.interventions:
                keep = iv.filter_items(self.view, t, viewer, post)
                if keep is not None:
                    viewer, post = viewer[keep], post[keep]
        self.views[t] = len(viewer)
        if len(viewer):
            self._react(t, viewer, post)
        self.datacollector.collect(self)
        if t + 1 >= self.n_steps or (
            self.calendar.pending == 0
            and self._trend_rate(t + 1) <= 0
            and not self.pulse_rate[t + 1 :].any()
            and all(iv.idle(self.view, t) for iv in self.interventions)
        ):
            self.running = False  # feeds are empty and nothing can bring the case back

    def run(self, progress: Callable[[int, int], None] | None = None) -> RunResult:
        """Simulate to the horizon and return the results.

        Args:
            progress: called as ``progress(steps_done, n_steps)`` about 100 times over the run.
        """
        every = max(1, self.n_steps // 100)
        while self.running:
            self.step()
            if progress is not None and (self.t % every == 0 or not self.running):
                progress(min(self.t + 1, self.n_steps), self.n_steps)
        return self.result()

    def result(self) -> RunResult:
        """The results so far (the whole run once ``running`` is False)."""
        return RunResult(
            params=self.params.to_flat(),
            seed=self.seed,
            start=self.clock.start,
            step_minutes=self.params.step_minutes,
            target=self.target,
            counts=self.counts.copy(),
            exposures=self.exposures.copy(),
            views=self.views.copy(),
            hostile_views=self.hostile_views.copy(),
            cancelled=self.cancelled.copy(),
            events=self.log.columns(),
            trend_step=self.trend_step,
            interventions=[
                iv.settings() | {"acted_at": iv.acted_at} | {"report": iv.report()} for iv in self.interventions
            ],
        )

    # -- phases -----------------------------------------------------------------------------------

    def _hourly_volume(self, t: int) -> float:
        """The case's posts in the hour before step ``t`` (those still counted in its volume)."""
        return float(self.volume[max(0, t - self._window) : t].sum())

    def _trend_rate(self, t: int) -> float:
        """Trending impressions per hour at step ``t`` (0: the case is not trending)."""
        P = self.params
        volume = self._hourly_volume(t)
        return min(P.trend_max_rate, P.trend_gain * volume) if volume >= P.trend_threshold else 0.0

    def _shown(self, t: int, per_hour: float) -> np.ndarray:
        """Users shown the case by a channel outside follower paths in step ``t``: ``per_hour``
        impressions an hour, following the daily rhythm, to users drawn by their session rate."""
        k = self.rng.poisson(per_hour * self.params.step_minutes / 60.0 * self.clock.activity[t])
        viewer = self._by_activity.draw(k, self.rng)
        return viewer[viewer != self.target]

    def _trend(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Trending channel: users opening the app now are shown a recent post of the case.

        Once the last hour's volume passes ``trend_threshold`` the case gets ``trend_gain``
        impressions an hour per post of that hour, up to ``trend_max_rate``. These are absolute
        numbers, so a preset is the same case at any network size large enough not to run out of
        users (docs/model.md, "Size").

        Returns:
            ``(viewer, post)`` of the items shown in this step.
        """
        rate = self._trend_rate(t)
        if rate <= 0:
            return _EMPTY_ITEMS
        if self.trend_step is None:
            self.trend_step = t
        viewer = self._shown(t, rate)
        first = int(np.searchsorted(self.log.step, max(0, t - self._window)))  # posts are logged in step order
        return viewer, self.rng.integers(first, len(self.log), len(viewer))

    def _pulse(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Exogenous attention (a press article, a TV segment): during a pulse the case gets its
        impressions whatever its current volume, each showing a post drawn from all its posts so far.

        Returns:
            ``(viewer, post)`` of the items shown in this step.
        """
        rate = self.pulse_rate[t]
        if rate <= 0 or not len(self.log):
            return _EMPTY_ITEMS
        viewer = self._shown(t, rate)
        return viewer, self.rng.integers(0, len(self.log), len(viewer))

    def _react(self, t: int, viewer: np.ndarray, post: np.ndarray) -> None:
        """Reading, deciding and posting for the items seen in this step."""
        P = self.params
        valence = self.log.valence[post]
        self.hostile_views[t] = int(np.count_nonzero(valence < 0))
        novelty = novelty_factor(t * P.step_minutes / 60.0, P.novelty_halflife, P.novelty_shape)
        seen = Seen(viewer=viewer, valence=valence, outrage=self.log.outrage[post])
        idx, action, new_valence, words = react(self._rules, self.population, seen, t, novelty, self.rng)
        if len(idx) == 0:
            return
        self.submit(viewer[idx], action, post[idx], words, new_valence)

    def submit(
        self,
        author: np.ndarray,
        action: np.ndarray,
        parent: np.ndarray,
        words: np.ndarray,
        valence: np.ndarray | None = None,
        in_volume: bool = True,
    ) -> np.ndarray:
        """Posts users decided to make in the current step: the classifier gives its verdicts, the
        interventions review them (``review_posts``), then those kept are posted (:meth:`post`).
        ``in_volume`` False: they do not count toward the case's trending volume. Returns the new
        posts' ids."""
        if valence is None:
            valence = _side(action)
        posts = NewPosts(
            author=author,
            action=action,
            parent=parent,
            valence=valence,
            words=words,
            keep=np.ones(len(author), bool),
            reaches_target=action >= ATTACK,
            flagged=self._verdict(action, parent),
        )
        for iv in self.interventions:
            iv.review_posts(self.view, self.t, posts)
        k = posts.keep
        if not k.all():
            self.cancelled[self.t] += np.bincount(posts.action[~k], minlength=len(ACTIONS))
        return self.post(
            posts.author[k],
            posts.action[k],
            posts.parent[k],
            posts.words[k],
            posts.valence[k],
            posts.reaches_target[k],
            posts.flagged[k],
            np.full(int(k.sum()), in_volume),
        )

    def _verdict(self, action: np.ndarray, parent: np.ndarray) -> np.ndarray:
        """The classifier's verdict on new posts: an attack is flagged with chance
        ``classifier_recall``, any other post with ``classifier_false_positive_rate``; an
        amplification carries the verdict of what it amplifies."""
        P = self.params
        u = self._classifier_rng.random(len(action))
        flagged = np.where(action == ATTACK, u < P.classifier_recall, u < P.classifier_false_positive_rate)
        shared = action == AMPLIFY
        if shared.any():
            flagged[shared] = self.log.flagged[parent[shared]]
        return flagged

    def withdraw(self, posts: np.ndarray) -> np.ndarray:
        """Take posts off the platform (removed, or by a suspended user): they are marked
        ``withdrawn`` and no longer count toward the case's trending volume. Returns the posts
        newly withdrawn."""
        posts = np.unique(posts)
        new = posts[~self.log.withdrawn[posts]]
        self.log.withdrawn[new] = True
        counted = new[self.log.in_volume[new]]
        self.volume -= np.bincount(self.log.step[counted], minlength=self.n_steps)[: self.n_steps]
        return new

    def post(
        self,
        author: np.ndarray,
        action: np.ndarray,
        parent: np.ndarray,
        words: np.ndarray,
        valence: np.ndarray | None = None,
        reaches_target: np.ndarray | None = None,
        flagged: np.ndarray | None = None,
        in_volume: np.ndarray | None = None,
    ) -> np.ndarray:
        """Log posts made in the current step and put them in the authors' followers' feeds.

        Args:
            author, action, parent, words: one entry per post (``parent`` is -1 for the seed
                post only: every other post responds to or amplifies an earlier one).
            valence: side of each post; by default hostile for attacks, supportive for defences,
                none otherwise.
            reaches_target: whether each reply reaches the target; by default every attack and
                defence does.
            flagged: the classifier's verdicts; by default drawn (:meth:`_verdict`).
            in_volume: whether each counts toward the case's trending volume; by default all do.

        Returns:
            The new posts' ids.
        """
        t = self.t
        if len(author) == 0:
            return np.empty(0, np.int64)
        if valence is None:
            valence = _side(action)
        if reaches_target is None:
            reaches_target = action >= ATTACK
        if flagged is None:
            flagged = self._verdict(action, parent)
        if in_volume is None:
            in_volume = np.ones(len(author), bool)
        first = len(self.log)
        if first:
            depth = self.log.depth[parent] + 1
            root = np.where(action == AMPLIFY, self.log.root[parent], np.arange(first, first + len(author)))
        else:  # the seed post
            depth, root = np.zeros(len(author)), np.arange(len(author))
        ids = self.log.append(
            step=np.full(len(author), t),
            user=author,
            action=action,
            parent=parent,
            root=root,
            depth=depth,
            valence=valence,
            outrage=words,
            reaches_target=reaches_target,
            flagged=flagged,
            in_volume=in_volume,
            withdrawn=np.zeros(len(author), bool),
        )
        self.counts[t] += np.bincount(action, minlength=len(ACTIONS))
        self.volume[t] += int(np.count_nonzero(in_volume))
        self.attacks_received += int(np.count_nonzero(reaches_target & (action == ATTACK)))
        self._spread(ids)
        return ids

    def _spread(self, ids: np.ndarray) -> None:
        """Put new posts in the feeds of their authors' followers (replies reach ``reply_reach``)."""
        new = Outgoing(author=self.log.user[ids], post=ids, is_reply=self.log.action[ids] >= ATTACK)
        self.calendar.push(fan_out(self.network, new, self._reach, self.t, self.population.table, self.clock, self.rng))

    # -- inspection -------------------------------------------------------------------------------

    def user(self, i: int) -> UserView:
        """What one user is and has done so far."""
        mine = np.flatnonzero(self.log.user == i)
        return UserView(
            index=i,
            stance=float(self.population.stance[i]),
            sessions_per_day=float(self.population.sessions_per_day[i]),
            followers=int(self.network.follower_counts()[i]),
            posts_seen=int(self.population.seen[i]),
            hostile_seen=int(self.population.hostile_seen[i]),
            supportive_seen=int(self.population.supportive_seen[i]),
            actions=int(self.population.acted[i]),
            posts=[
                {
                    "post": int(j),
                    "step": int(self.log.step[j]),
                    "action": ACTIONS[self.log.action[j]],
                    "parent": int(self.log.parent[j]),
                }
                for j in mine
            ],
        )


_EMPTY_ITEMS = (np.empty(0, np.int32), np.empty(0, np.int64))
_INTERVENTION_STREAM = 0x1A7E  # a constant mixed into the interventions' seeds
_CLASSIFIER_STREAM = 0xC1A5  # and into the classifier's
_PULSE_STREAM = 0x9A15  # and into the seed of the pulses' schedule
_TARGET_STREAM = 0x7A9E  # and into that of the target's planted followers


def novelty_factor(age_hours: float, halflife: float, shape: float = 1.0) -> float:
    """Interest left in a case of this age: ``exp(-ln 2 * (age / halflife) ** shape)``.

    Shape 1 halves it every ``halflife`` hours; below 1 it is a stretched exponential, the form Wu &
    Huberman (2007, PNAS) fitted to the decay of novelty on Digg: faster at first, then lingering.
    """
    if shape == 1.0:
        return 2.0 ** (-age_hours / halflife)
    if age_hours <= 0.0:
        return 1.0
    return math.exp(-math.log(2.0) * (age_hours / halflife) ** shape)


def pulse_schedule(params: ExposureParams, n_steps: int, step_minutes: float, seed: int) -> np.ndarray:
    """Impressions per hour that exogenous attention pulses bring the case at each step.

    Pulses arrive as a Poisson process (``pulse_rate`` per day) over the run, each lasting
    ``pulse_duration`` hours with its own size, exponential with mean ``pulse_size``; overlapping
    pulses add up. The schedule has its own random stream, derived from the run's seed, so that
    switching pulses on or off leaves the rest of the run's draws in step until the first pulse.
    """
    rate = np.zeros(n_steps + 1)
    if params.pulse_rate <= 0 or params.pulse_size <= 0:
        return rate
    rng = np.random.default_rng(np.random.SeedSequence([seed, _PULSE_STREAM]))
    days = n_steps * step_minutes / 1440.0
    starts = np.sort(rng.integers(1, max(n_steps, 2), rng.poisson(params.pulse_rate * days)))
    length = max(1, round(params.pulse_duration * 60.0 / step_minutes))
    for start, size in zip(starts, rng.exponential(params.pulse_size, len(starts)), strict=True):
        rate[start : start + length] += size
    return rate


def _side(action: np.ndarray) -> np.ndarray:
    """The usual side of new posts: attacks hostile (-1), defences supportive (+1), others none."""
    return np.select([action == ATTACK, action == DEFEND], [-1, 1], 0).astype(np.int8)


def _count_reporter(i: int) -> Callable[[OutrageModel], int]:
    def report(m: OutrageModel) -> int:
        return int(m.counts[m.t, i])

    return report


def _exposure_reporter(m: OutrageModel) -> int:
    return int(m.exposures[m.t])


def _view_reporter(m: OutrageModel) -> int:
    return int(m.views[m.t])
