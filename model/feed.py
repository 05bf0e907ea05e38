"""Feeds: items waiting for a user's next session, and how long a post stays visible.

A feed item is a triple (viewer, post, shown_at). It is filed under the step of the viewer's next
session; when that step comes the viewer sees it if the post has not yet left the feed.

The calendar keeps, for each due step, a chain of fixed-size blocks of items, so filing and
taking an item cost O(1) whatever the number of distinct due steps, and a step's items are read
from contiguous memory. The loops over items are compiled with numba: per item they do a few
scalar operations, which numpy would spread over a dozen array passes and temporary arrays.
"""

from __future__ import annotations

import numba
import numpy as np

from .clock import Clock, step_of
from .network import Network

_NONE = -1


BLOCK = 64  # items per block: a step's items lie in a few contiguous blocks


class Calendar:
    """Feed items filed by the step at which they are due (first filed, first taken).

    Each step holds a chain of blocks of ``BLOCK`` items; a block is taken from a free list when
    a step's last block is full and returned when the step is popped. Items of one step are thus
    read from contiguous memory, which is what makes taking them fast.
    """

    def __init__(self, n_steps: int, blocks: int = 64):
        self.n_steps = n_steps
        self.head = np.full(n_steps, _NONE, np.int64)  # first block of each step
        self.tail = np.full(n_steps, _NONE, np.int64)  # last block of each step
        self.count = np.zeros(n_steps, np.int64)  # items due at each step
        self.viewer = np.empty((0, BLOCK), np.int32)
        self.post = np.empty((0, BLOCK), np.int64)
        self.shown_at = np.empty((0, BLOCK), np.int32)
        self.used = np.empty(0, np.int64)  # items in each block
        self.next = np.empty(0, np.int64)  # next block of the same step
        self.free = np.empty(0, np.int64)  # a stack of unused blocks
        self.n_free = np.zeros(1, np.int64)
        self.pending = 0  # items filed and not yet taken
        self._grow(blocks)

    def _grow(self, blocks: int) -> None:
        size = len(self.used)
        for name in ("viewer", "post", "shown_at", "used", "next"):
            old = getattr(self, name)
            new = np.empty((blocks, *old.shape[1:]), old.dtype)
            new[:size] = old
            setattr(self, name, new)
        n_free = int(self.n_free[0])
        free = np.empty(blocks, np.int64)
        free[:n_free] = self.free[:n_free]
        free[n_free : n_free + blocks - size] = np.arange(blocks - 1, size - 1, -1)  # lowest block on top
        self.free = free
        self.n_free[0] = n_free + blocks - size

    def push(self, due: np.ndarray, viewer: np.ndarray, post: np.ndarray, shown_at: np.ndarray) -> None:
        """File items under their due steps; steps past the horizon are dropped."""
        start = 0
        while True:
            start, filed = _push(self.head, self.tail, self.count, self.next, self.used, self.viewer, self.post,
                                 self.shown_at, self.free, self.n_free, due, viewer, post, shown_at, start)  # fmt: skip
            self.pending += filed
            if start == len(due):
                return
            self._grow(2 * len(self.used))

    def pop(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Remove and return ``(viewer, post, shown_at)`` of the items due at ``step``."""
        self.pending -= int(self.count[step])
        return _pop(step, self.head, self.tail, self.count, self.next, self.used, self.viewer, self.post,
                    self.shown_at, self.free, self.n_free)  # fmt: skip


@numba.njit(cache=True)
def _push(head, tail, count, nxt, used, pv, pp, ps, free, n_free, due, viewer, post, shown_at, start):
    """File items from ``start`` on; returns where it stopped (all done, or out of free blocks)
    and how many items it filed."""
    n_steps = len(head)
    filed = 0
    for i in range(start, len(due)):
        d = due[i]
        if d >= n_steps or d < 0:
            continue
        b = tail[d]
        if b == -1 or used[b] == pv.shape[1]:
            if n_free[0] == 0:
                return i, filed
            n_free[0] -= 1
            nb = free[n_free[0]]
            used[nb] = 0
            nxt[nb] = -1
            if b == -1:
                head[d] = nb
            else:
                nxt[b] = nb
            tail[d] = nb
            b = nb
        j = used[b]
        pv[b, j] = viewer[i]
        pp[b, j] = post[i]
        ps[b, j] = shown_at[i]
        used[b] = j + 1
        count[d] += 1
        filed += 1
    return len(due), filed


@numba.njit(cache=True)
def _pop(step, head, tail, count, nxt, used, pv, pp, ps, free, n_free):
    k = count[step]
    viewer = np.empty(k, np.int32)
    post = np.empty(k, np.int64)
    shown_at = np.empty(k, np.int32)
    b = head[step]
    i = 0
    while b != -1:
        for j in range(used[b]):
            viewer[i] = pv[b, j]
            post[i] = pp[b, j]
            shown_at[i] = ps[b, j]
            i += 1
        free[n_free[0]] = b
        n_free[0] += 1
        b = nxt[b]
    head[step] = -1
    tail[step] = -1
    count[step] = 0
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


def fan_out(
    network: Network,
    authors: np.ndarray,
    posts: np.ndarray,
    is_reply: np.ndarray,
    reply_reach: float,
    skip_user: int,
    t: int,
    sessions: bool,
    users: np.ndarray,
    clock: Clock,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feed items for the followers of new posts, with the step each is due.

    Every follower of an author gets the post, except that a reply reaches each with chance
    ``reply_reach``, and ``skip_user`` gets nothing. With ``sessions`` an item is due at the
    follower's next session after ``t`` (field ``next_session`` of the ``users`` table), drawn from
    its rate (``sessions_per_day``) when none is pending (see
    :meth:`model.clock.Clock.next_sessions`, whose rule this repeats per follower); without, at
    ``t + 1``.

    Returns:
        ``(due, viewer, post)``.
    """
    total = int((network.indptr[authors + 1] - network.indptr[authors]).sum())
    return _fan_out(network.indptr, network.indices, authors, posts, is_reply, reply_reach, skip_user, t,
                    sessions, users, clock.cumulative, clock.index, clock.resolution, rng, total)  # fmt: skip


@numba.njit(cache=True)
def _fan_out(
    indptr,
    indices,
    authors,
    posts,
    is_reply,
    reply_reach,
    skip_user,
    t,
    sessions,
    users,
    cumulative,
    index,
    resolution,
    rng,
    total,
):
    due = np.empty(total, np.int32)
    viewer = np.empty(total, np.int32)
    post = np.empty(total, np.int64)
    k = 0
    # A reply reaches each follower with chance reply_reach: jump between the followers it
    # reaches with geometric gaps rather than drawing for every follower.
    log_miss = np.log1p(-reply_reach) if reply_reach < 1.0 else -np.inf
    for j in range(len(authors)):
        a = authors[j]
        e = indptr[a]
        end = indptr[a + 1]
        thin = is_reply[j] and reply_reach < 1.0
        while True:
            if thin:
                if reply_reach <= 0.0:
                    break
                e += int(np.log(1.0 - rng.random()) / log_miss)
            if e >= end:
                break
            v = indices[e]
            e += 1
            if v == skip_user:
                continue
            if sessions:
                if users[v].next_session <= t:
                    x = cumulative[t + 1] + rng.standard_exponential() / users[v].sessions_per_day
                    users[v].next_session = step_of(x, cumulative, index, resolution)
                due[k] = users[v].next_session
            else:
                due[k] = t + 1
            viewer[k] = v
            post[k] = posts[j]
            k += 1
    return due[:k], viewer[:k], post[:k]
