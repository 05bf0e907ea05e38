"""What an intervention may see of a run, and the two ways it may act on it.

The model hands every intervention hook a :class:`ModelView`, never itself. The view reads: the
parameters, the clock, the follower graph, the target, the event log and the users' traits and
state (arrays that cannot be written), and the attacks received so far; the log holds the platform
classifier's verdict on every post (``log.flagged``), which is all a label-based intervention may
act on (the true action is there for counting costs, as a researcher would). It acts in three ways
only: :meth:`ModelView.submit` posts (campaign posts, which the other interventions then review
like any user's), :meth:`ModelView.withdraw` takes posts off the platform (removed, or by a
suspended user: they leave the case's trending volume), and :meth:`ModelView.scale_propensity`
changes users' propensities. Anything else an intervention keeps is its own state. So a new intervention can be written against this page alone,
and the engine's internals can change without touching any intervention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .clock import Clock
from .network import Network
from .params import Params
from .population import STATE, TRAITS

if TYPE_CHECKING:
    from .model import OutrageModel

# The propensities an intervention may scale, and the users' column each is: ``attack`` is a
# multiplier on the probability of attacking alone (``reply`` feeds attacks and defences).
PROPENSITIES = {"amplify": "amplify", "reply": "reply", "attack": "attack_scale"}


class ReadOnlyColumns:
    """Named columns (of the event log or the users table) as arrays that cannot be written."""

    __slots__ = ("_names", "_source")

    def __init__(self, source: object, names: tuple[str, ...]):
        self._source = source
        self._names = names

    def __getattr__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise AttributeError(f"{name!r}: not one of the readable columns ({', '.join(self._names)})")
        column = getattr(self._source, name).view()
        column.flags.writeable = False
        return column

    def __len__(self) -> int:
        return len(self._source)  # type: ignore[arg-type]


class ModelView:
    """A run as its interventions see it: read-mostly, with two ways to act.

    Attributes (read only):
        params: every parameter of the run.
        clock: steps to minutes and back (``clock.minutes(t)``, ``clock.steps(minutes)``), the
            circadian ``clock.activity`` of each step and ``clock.step_minutes``.
        network: the follower graph (``network.followers(user)``, ``network.n``).
        target: the user the case is about.
        n_users: number of users.
        log: the posts so far, one row per post id (``log.step``, ``log.user``, ``log.action``,
            ``log.parent``, ``log.root``, ``log.valence``, ``log.flagged`` (the classifier's
            verdict), ``log.withdrawn``, ...; ``len(log)`` posts), in step order.
        users: the users' traits and state (``users.stance``, ``users.sessions_per_day``, ...;
            model/population.py lists them).
        attacks_received: attacks that have reached the target so far.
    """

    __slots__ = ("_model", "log", "users")

    def __init__(self, model: OutrageModel):
        self._model = model
        self.log = ReadOnlyColumns(model.log, tuple(model.log.column_names))
        self.users = ReadOnlyColumns(model.population, (*TRAITS, *STATE))

    @property
    def params(self) -> Params:
        return self._model.params

    @property
    def clock(self) -> Clock:
        return self._model.clock

    @property
    def network(self) -> Network:
        return self._model.network

    @property
    def target(self) -> int:
        return self._model.target

    @property
    def n_users(self) -> int:
        return self._model.network.n

    @property
    def attacks_received(self) -> int:
        return self._model.attacks_received

    def submit(
        self, author: np.ndarray, action: np.ndarray, parent: np.ndarray, words: np.ndarray, in_volume: bool = True
    ) -> np.ndarray:
        """Post in the current step, as users who decided to: the classifier gives its verdicts
        and every intervention reviews the posts (``review_posts``, which may cancel them) before
        they are logged and spread.

        Args:
            author, action, parent, words: one entry per post (``action`` as in model/decisions.py).
            in_volume: whether the posts count toward the case's trending volume (False: posts
                under another hashtag, such as a counter-speech campaign's).

        Returns:
            The ids of the posts kept.
        """
        return self._model.submit(author, action, parent, words, in_volume=in_volume)

    def withdraw(self, posts: np.ndarray) -> np.ndarray:
        """Take posts off the platform (removed, or made by a suspended user): from now on they
        are ``log.withdrawn`` and leave the case's trending volume. Hiding them from feeds stays
        the intervention's own filter. Returns the posts newly withdrawn (each post counts once)."""
        return self._model.withdraw(np.asarray(posts, np.int64))

    def scale_propensity(self, users: np.ndarray, name: str, factor: float) -> None:
        """Multiply the propensity ``name`` of ``users`` by ``factor``: ``"amplify"`` or
        ``"reply"`` (capped at 1: a probability per seen post), or ``"attack"`` (a multiplier on
        the probability of attacking alone, which the decision rule caps)."""
        if name not in PROPENSITIES:
            raise ValueError(f"{name!r}: expected a propensity, one of {', '.join(PROPENSITIES)}")
        column = self._model.population.table[PROPENSITIES[name]]
        scaled = column[users] * factor
        column[users] = scaled if name == "attack" else np.minimum(scaled, 1.0)
