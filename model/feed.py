"""Feeds: items waiting for a user's next session, and how long a post stays visible.

A feed item is a triple (viewer, post, shown_at). It is filed under the step of the viewer's next
session; when that step comes the viewer sees it if the post has not yet left the feed.

The calendar keeps, for each due step, a chain of fixed-size blocks of items, so filing and
taking an item cost O(1) whatever the number of distinct due steps, and a step's items are read
from contiguous memory. The loops over items are compiled with numba: per item they do a few
scalar operations, which numpy would spread over a dozen array passes and temporary arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from .clock import Clock, SessionTable, next_session
from .network import Csr, Network

_NONE = -1


BLOCK = 64  # items per block: a step's items lie in a few contiguous blocks


class Blocks(NamedTuple):
    """The calendar's storage, as its compiled loops read it."""

    head: np.ndarray  # first block of each step (-1: none)
    tail: np.ndarray  # last block of each step
    count: np.ndarray  # items due at each step
    next: np.ndarray  # next block of the same step
    used: np.ndarray  # items in each block
    viewer: np.ndarray  # (blocks, BLOCK) the items' fields
    post: np.ndarray
    shown_at: np.ndarray
    free: np.ndarray  # a stack of unused blocks
    n_free: np.ndarray  # its height, in a one-element array (the loops change it)


class FeedItems(NamedTuple):
    """Feed items to file: who sees which post, from which step, and when it is due."""

    due: np.ndarray
    viewer: np.ndarray
    post: np.ndarray
    shown_at: np.ndarray


class Calendar:
    """Feed items filed by the step at which they are due (first filed, first taken).

    Each step holds a chain of blocks of ``BLOCK`` items; a block is taken from a free list when
    a step's last block is full and returned when the step is popped. Items of one step are thus
    read from contiguous memory, which is what makes taking them fast.
    """

    def __init__(self, n_steps: int, blocks: int = 64):
        self.n_steps = n_steps
        self.blocks = Blocks(
            head=np.full(n_steps, _NONE, np.int64),
            tail=np.full(n_steps, _NONE, np.int64),
            count=np.zeros(n_steps, np.int64),
            next=np.empty(0, np.int64),
            used=np.empty(0, np.int64),
            viewer=np.empty((0, BLOCK), np.int32),
            post=np.empty((0, BLOCK), np.int64),
            shown_at=np.empty((0, BLOCK), np.int32),
            free=np.empty(0, np.int64),
            n_free=np.zeros(1, np.int64),
        )
        self.pending = 0  # items filed and not yet taken
        self._grow(blocks)

    def _grow(self, blocks: int) -> None:
        b = self.blocks
        size = len(b.used)
        grown = {}
        for name in ("viewer", "post", "shown_at", "used", "next"):
            old = getattr(b, name)
            new = np.empty((blocks, *old.shape[1:]), old.dtype)
            new[:size] = old
            grown[name] = new
        n_free = int(b.n_free[0])
        free = np.empty(blocks, np.int64)
        free[:n_free] = b.free[:n_free]
        free[n_free : n_free + blocks - size] = np.arange(blocks - 1, size - 1, -1)  # lowest block on top
        b.n_free[0] = n_free + blocks - size
        self.blocks = b._replace(free=free, **grown)

    def push(self, items: FeedItems) -> None:
        """File items under their due steps; steps past the horizon are dropped."""
        start = 0
        while True:
            start, filed = _push(self.blocks, items, start)
            self.pending += filed
            if start == len(items.due):
                return
            self._grow(2 * len(self.blocks.used))

    def pop(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Remove and return ``(viewer, post, shown_at)`` of the items due at ``step``."""
        self.pending -= int(self.blocks.count[step])
        return _pop(self.blocks, step)


@numba.njit(cache=True)
def _push(b: Blocks, items: FeedItems, start: int) -> tuple[int, int]:
    """File items from ``start`` on; returns where it stopped (all done, or out of free blocks)
    and how many items it filed."""
    n_steps = len(b.head)
    filed = 0
    for i in range(start, len(items.due)):
        d = items.due[i]
        if d >= n_steps or d < 0:
            continue
        k = b.tail[d]
        if k == -1 or b.used[k] == b.viewer.shape[1]:
            if b.n_free[0] == 0:
                return i, filed
            b.n_free[0] -= 1
            nk = b.free[b.n_free[0]]
            b.used[nk] = 0
            b.next[nk] = -1
            if k == -1:
                b.head[d] = nk
            else:
                b.next[k] = nk
            b.tail[d] = nk
            k = nk
        j = b.used[k]
        b.viewer[k, j] = items.viewer[i]
        b.post[k, j] = items.post[i]
        b.shown_at[k, j] = items.shown_at[i]
        b.used[k] = j + 1
        b.count[d] += 1
        filed += 1
    return len(items.due), filed


@numba.njit(cache=True)
def _pop(b: Blocks, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = b.count[step]
    viewer = np.empty(n, np.int32)
    post = np.empty(n, np.int64)
    shown_at = np.empty(n, np.int32)
    k = b.head[step]
    i = 0
    while k != -1:
        for j in range(b.used[k]):
            viewer[i] = b.viewer[k, j]
            post[i] = b.post[k, j]
            shown_at[i] = b.shown_at[k, j]
            i += 1
        b.free[b.n_free[0]] = k
        b.n_free[0] += 1
        k = b.next[k]
    b.head[step] = -1
    b.tail[step] = -1
    b.count[step] = 0
    return viewer, post, shown_at


def still_visible(
    age_steps: np.ndarray, halflife_steps: float, rng: np.random.Generator, tail: float = np.inf
) -> np.ndarray:
    """Whether each item is still in the feed at the given age.

    The chance a post is still in a feed at age ``a`` is ``2 ** (-a / halflife)`` (an exponential
    lifetime) when ``tail`` is infinite, and otherwise the power law ``(1 + a / s) ** -tail`` with
    ``s`` set so that half the posts are gone at the half-life: a heavier tail, a few posts seen
    much later (responses to online posts have such tails: Crane & Sornette 2008, PNAS).
    """
    if np.isinf(tail):
        keep = np.exp2(-age_steps / halflife_steps)
    else:
        scale = halflife_steps / (2.0 ** (1.0 / tail) - 1.0)
        keep = (1.0 + age_steps / scale) ** -tail
    return rng.random(len(age_steps)) < keep


class Outgoing(NamedTuple):
    """New posts to put in their authors' followers' feeds."""

    author: np.ndarray
    post: np.ndarray
    is_reply: np.ndarray  # a reply reaches each follower with chance ``reply_reach``


class Reach(NamedTuple):
    """Who gets a new post's feed items, and when they are due."""

    reply_reach: float  # chance a reply reaches each follower of its author
    skip_user: int  # gets no items (the target; -1 for nobody)
    sessions: bool  # due at the follower's next session; otherwise at the next step


def fan_out(
    network: Network, new: Outgoing, reach: Reach, t: int, users: np.ndarray, clock: Clock, rng: np.random.Generator
) -> FeedItems:
    """Feed items for the followers of new posts, with the step each is due.

    Every follower of an author gets the post, except that a reply reaches each with chance
    ``reach.reply_reach``, and ``reach.skip_user`` gets nothing. With ``reach.sessions`` an item is
    due at the follower's next session after ``t`` (field ``next_session`` of the ``users`` table),
    drawn by :func:`model.clock.next_session` from its rate (``sessions_per_day``) when none is
    pending; without, at ``t + 1``.

    Returns:
        The items, shown at ``t``.
    """
    total = int((network.indptr[new.author + 1] - network.indptr[new.author]).sum())
    due, viewer, post = _fan_out(network.csr, new, reach, t, users, clock.sessions, rng, total)
    return FeedItems(due=due, viewer=viewer, post=post, shown_at=np.full(len(due), t, np.int32))


@numba.njit(cache=True)
def _fan_out(
    graph: Csr,
    new: Outgoing,
    reach: Reach,
    t: int,
    users: np.ndarray,
    sessions: SessionTable,
    rng: np.random.Generator,
    total: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    due = np.empty(total, np.int32)
    viewer = np.empty(total, np.int32)
    post = np.empty(total, np.int64)
    k = 0
    # A reply reaches each follower with chance reply_reach: jump between the followers it
    # reaches with geometric gaps rather than drawing for every follower.
    reply_reach = reach.reply_reach
    log_miss = np.log1p(-reply_reach) if reply_reach < 1.0 else -np.inf
    for j in range(len(new.author)):
        a = new.author[j]
        e = graph.indptr[a]
        end = graph.indptr[a + 1]
        thin = new.is_reply[j] and reply_reach < 1.0
        while True:
            if thin:
                if reply_reach <= 0.0:
                    break
                e += int(np.log(1.0 - rng.random()) / log_miss)
            if e >= end:
                break
            v = graph.indices[e]
            e += 1
            if v == reach.skip_user:
                continue
            if reach.sessions:
                if users[v].next_session <= t:
                    users[v].next_session = next_session(sessions, t, users[v].sessions_per_day, rng)
                due[k] = users[v].next_session
            else:
                due[k] = t + 1
            viewer[k] = v
            post[k] = new.post[j]
            k += 1
    return due[:k], viewer[:k], post[:k]
