"""What an intervention may see of a run, and the two ways it may act on it.

The model hands every intervention hook a :class:`ModelView`, never itself. The view reads: the
parameters, the clock, the follower graph, the target, the event log and the users' traits and
state (arrays that cannot be written), and the attacks received so far. It acts in two ways only:
:meth:`ModelView.submit` posts (campaign posts, which the other interventions then review like any
user's) and :meth:`ModelView.scale_propensity` changes users' propensities. Anything else an
intervention keeps is its own state. So a new intervention can be written against this page alone,
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

PROPENSITIES = ("amplify", "reply")  # the traits an intervention may scale


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
            ``log.parent``, ``log.root``, ``log.valence``, ...; ``len(log)`` posts), in step order.
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

    def submit(self, author: np.ndarray, action: np.ndarray, parent: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Post in the current step, as users who decided to: every intervention reviews the posts
        (``review_posts``, which may cancel them) before they are logged and spread.

        Args:
            author, action, parent, words: one entry per post (``action`` as in model/decisions.py).

        Returns:
            The ids of the posts kept.
        """
        return self._model.submit(author, action, parent, words)

    def scale_propensity(self, users: np.ndarray, name: str, factor: float) -> None:
        """Multiply the propensity ``name`` (``"amplify"`` or ``"reply"``) of ``users`` by ``factor``,
        capped at 1 (it is a probability per seen post)."""
        if name not in PROPENSITIES:
            raise ValueError(f"{name!r}: expected a propensity, one of {', '.join(PROPENSITIES)}")
        column = self._model.population.table[name]
        column[users] = np.minimum(column[users] * factor, 1.0)
